"""The bench scripts, each run once in a short form so that they keep working (their figures come from
full runs by hand, in docs/performance.md; a timed unit test would fail on a busy machine, not on slow
code). Each script checks what it measured before it reports it, so a wrong answer fails here."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(script: str, *args: str) -> str:
    result = subprocess.run([sys.executable, str(ROOT / "bench" / script), *args],
                            capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_the_triage_bench_runs_and_checks_what_it_measures():
    out = run("triage.py", "--notes", "30", "--actions", "60", "--searches", "3", "--records", "3")
    assert "30 notes with 60 actions, pulled, checked, opened and listed" in out
    assert "search, typed to redrawn: n=3" in out and "an action, Save to shown" in out


def test_the_webcrypto_bench_runs_and_checks_what_it_measures():
    out = run("webcrypto.py", "--count", "200")
    assert "200 of each in 2 workers" in out and "ECDSA P-256 verify" in out
    assert "one of each, the sum" in out and "for 30,000 envelopes" in out


def test_the_app_bench_runs_and_checks_what_it_measures():
    out = run("app.py", "--starts", "2", "--seals", "3", "--cli", "2")
    assert "first load, empty cache, until the app works offline:" in out
    assert "offline cold start to the lock screen: n=2" in out
    assert "to 3 recipients: n=3" in out and "`lantern admin school list`: n=2" in out


def test_the_catchup_bench_runs_and_checks_what_it_measures():
    out = run("catchup.py", "--envelopes", "600", "--runs", "2", "--increments", "2", "--during", "200")
    assert "600 envelopes pulled from the start in pages of 500: n=2" in out
    assert "100 new envelopes pulled from the cursor: n=2" in out and "each envelope exactly once" in out
    assert "server peak RSS: " in out


def test_the_ingest_bench_runs_and_checks_what_it_measures():
    out = run("ingest.py", "--devices", "3", "--per-device", "20", "--batch", "5", "--in-flight", "2")
    assert "60 envelopes of" in out and "from 3 devices, batches of 5, 2 in flight" in out
    assert "per batch: n=12" in out
    assert "bytes an envelope, database and WAL after a checkpoint" in out and "server peak RSS: " in out


def test_the_long_runs_run_in_short():
    storm = run("storm.py", "--kills", "2", "--per-device", "250")  # a kill needs envelopes still going
    assert "1000 envelopes from 4 devices, each stored once: " in storm
    drill = run("drill.py", "--devices", "3", "--seconds", "2")
    assert "the DSL pulled all" in drill and "each once, bytes equal" in drill


def test_the_ingest_bench_runs_on_postgres():
    out = run("ingest.py", "--devices", "2", "--per-device", "10", "--batch", "5", "--in-flight", "2", "--postgres")
    assert "server and PostgreSQL on core" in out or "not pinned" in out
    assert "20 envelopes of" in out and "bytes an envelope, PostgreSQL's database" in out

"""The `lantern` command as an IT technician and a DSL use it: a real school set up from nothing,
its keyring signed offline, a device enrolled with the code, a note opened by the DSL."""

from __future__ import annotations

import os
import re
from datetime import datetime, timedelta, timezone
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sync import keyfiles, keyring
from sync.client import Client
from tests.conftest import start_server, stop_server

LANTERN = shutil.which("lantern", path=os.path.dirname(sys.executable)) or "lantern"
PASSPHRASE = {"LANTERN_PASSPHRASE": "correct horse battery staple"}


def lantern(*args: str, ok: bool = True, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [LANTERN, *args], capture_output=True, text=True, env={**os.environ, **PASSPHRASE, **(env or {})}, timeout=60
    )
    if ok:
        assert result.returncode == 0, result.stderr
    return result


def test_a_school_from_nothing(tmp_path: Path):
    data = str(tmp_path / "data")
    dsl_machine = tmp_path / "dsl-laptop"
    dsl_machine.mkdir()
    server = start_server(tmp_path / "data")  # --demo too, so that a second school shares the server
    try:
        out = lantern("trust", "init", "--out", str(dsl_machine / "trust.pem")).stdout
        assert "Fingerprint:" in out
        lantern("keys", "recipient", "--out", str(dsl_machine / "dsl.pem"))
        school = lantern(
            "admin", "--data-dir", data, "school", "create", "--name", "Hill Top Primary",
            "--trust-public-key", str(dsl_machine / "trust.pub.pem"),
        ).stdout.strip()
        lantern("admin", "--data-dir", data, "person", "add", "--school", school, "--name", "Asha (DSL)",
                "--role", "dsl", "--recipient-public-key", str(dsl_machine / "dsl.pub.pem"))
        teacher = lantern("admin", "--data-dir", data, "person", "add", "--school", school,
                          "--name", "Tom", "--role", "staff").stdout.strip()
        lantern("admin", "--data-dir", data, "contact", "add", "--school", school, "--kind", "front_door",
                "--name", "Children's services front door", "--phone", "01234 567890")
        lantern("admin", "--data-dir", data, "keyring", "draft", "--school", school, "--out", str(tmp_path / "draft.json"))
        signed = lantern("trust", "sign", "--key", str(dsl_machine / "trust.pem"), str(tmp_path / "draft.json"),
                         "--out", str(tmp_path / "signed.json")).stdout
        assert "dsl" in signed and "Asha (DSL)" in signed
        lantern("admin", "--data-dir", data, "keyring", "publish", "--school", school, str(tmp_path / "signed.json"))

        issued = lantern("admin", "--data-dir", data, "code", "issue", "--person", teacher,
                         "--base-url", server.url, "--qr", str(tmp_path / "qr.svg")).stdout
        code = re.search(r"code \(works once, for 24 hours\): ([A-Z2-7-]+)", issued).group(1)
        assert f"{server.url}/#enrol={code}" in issued
        assert (tmp_path / "qr.svg").read_text().startswith("<?xml")

        tom = Client(server.url)
        tom.enrol(code)
        assert [c.phone for c in tom.accepted_payload().contacts] == ["01234 567890"]
        # Signed current for 30 days from the signing, as the signer was told.
        expires = keyring.expires(tom.accepted_payload())
        assert f"current until {tom.accepted_payload().expires_at}" in signed
        assert abs((expires - datetime.now(timezone.utc)) - timedelta(days=30)) < timedelta(minutes=5)
        assert not tom.keyring_expired()
        tom.push([tom.seal(b"Tom's note")])

        dsl_person = next(
            line.split()[0] for line in lantern("admin", "--data-dir", data, "person", "list", "--school", school).stdout.splitlines()
            if " dsl " in line
        )
        dsl_code = re.search(r": ([A-Z2-7-]{49})", lantern("admin", "--data-dir", data, "code", "issue", "--person", dsl_person).stdout).group(1)
        dsl = Client(server.url)
        dsl.enrol(dsl_code)
        key = keyfiles.load(dsl_machine / "dsl.pem", PASSPHRASE["LANTERN_PASSPHRASE"].encode())
        assert [o.content for o in dsl.open_all(key)] == [b"Tom's note"]

        listed = lantern("admin", "--data-dir", data, "device", "list", "--school", school).stdout
        tom_key = next(line.split()[0] for line in listed.splitlines() if "Tom" in line)
        lantern("admin", "--data-dir", data, "device", "revoke", tom_key)
        assert "revoked" in lantern("admin", "--data-dir", data, "device", "list", "--school", school).stdout
    finally:
        stop_server(server)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["admin", "--data-dir", "{tmp}/none", "school", "list"], "no Lantern database"),
        (["admin", "--data-dir", "{data}", "person", "add", "--school", "nope", "--name", "x", "--role", "staff"], "is not an id"),
        (["admin", "--data-dir", "{data}", "person", "add", "--school", "0190a000-0000-7000-8000-000000000000", "--name", "x", "--role", "staff"], "no such school"),
        (["admin", "--data-dir", "{data}", "person", "add", "--school", "0190a000-0000-7000-8000-000000000000", "--name", "x", "--role", "janitor"], "invalid choice"),
        (["admin", "--data-dir", "{data}", "school", "create", "--name", "x", "--trust-public-key", "{tmp}/missing.pem"], "no such file"),
        (["admin", "--data-dir", "{data}", "school", "create", "--name", "x"], "give --name and --trust-public-key, or --setup"),
        (["admin", "--data-dir", "{data}", "school", "create", "--setup", "{tmp}/missing.json"], "no such file"),
        (["admin", "--data-dir", "{data}", "device", "revoke", "abc"], "no active device"),
        (["admin", "--data-dir", "{data}", "keyring", "publish", "--school", "0190a000-0000-7000-8000-000000000000", "{tmp}/missing.json"], "no such file"),
        (["trust", "sign", "--key", "{tmp}/missing.pem", "{tmp}/missing.json", "--out", "{tmp}/x"], "no such file"),
    ],
)
def test_bad_input_is_said_plainly(tmp_path: Path, args, message):
    data = tmp_path / "data"
    server = start_server(data)
    stop_server(server)
    result = lantern(*[a.format(tmp=tmp_path, data=data) for a in args], ok=False)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_a_key_is_never_overwritten(tmp_path: Path):
    lantern("trust", "init", "--out", str(tmp_path / "trust.pem"))
    before = (tmp_path / "trust.pem").read_bytes()
    result = lantern("trust", "init", "--out", str(tmp_path / "trust.pem"), ok=False)
    assert result.returncode == 2 and "never overwrites" in result.stderr
    assert (tmp_path / "trust.pem").read_bytes() == before
    assert oct((tmp_path / "trust.pem").stat().st_mode & 0o777) == "0o600"


def test_a_code_links_to_where_the_server_runs_and_data_dir_goes_anywhere(server):
    data = str(server.data_dir)
    before = lantern("admin", "--data-dir", data, "school", "list").stdout
    after = lantern("admin", "school", "list", "--data-dir", data).stdout  # where people put it
    assert before == after and "Demo" in after
    person = lantern("admin", "person", "add", "--school", str(server.demo_school_id()), "--name", "Pat",
                     "--role", "staff", "--data-dir", data).stdout.strip()
    issued = lantern("admin", "code", "issue", "--person", person, "--data-dir", data,
                     "--qr", str(server.data_dir.parent / "qr.svg")).stdout
    assert f"Link: {server.url}/#enrol=" in issued  # the port this server runs on, not 8000
    issued = lantern("admin", "code", "issue", "--person", person, "--data-dir", data, "--base-url",
                     "https://lantern.example.sch.uk", "--qr", str(server.data_dir.parent / "qr.svg")).stdout
    assert "Link: https://lantern.example.sch.uk/#enrol=" in issued


def test_a_code_links_to_the_public_url_behind_a_proxy(tmp_path):
    """Behind Caddy the server listens on 127.0.0.1:8000, which no phone can open: its public URL,
    given once to `lantern serve`, is what the links name."""
    server = start_server(tmp_path / "data", env={"LANTERN_PUBLIC_URL": "https://lantern.school.example/"})
    try:
        person = lantern(*server.admin, "person", "add", "--school", str(server.demo_school_id()), "--name", "Pat",
                         "--role", "staff").stdout.strip()
        issued = lantern(*server.admin, "code", "issue", "--person", person, "--qr", str(tmp_path / "qr.svg")).stdout
        assert "Link: https://lantern.school.example/#enrol=" in issued
    finally:
        stop_server(server)

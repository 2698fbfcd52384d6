"""Docs as tests: a route, an error code, a CLI command or an app file the docs do not mention fails here."""

from __future__ import annotations

import argparse
import hashlib
import re
from pathlib import Path

from server.app import create_app
from server.cli import build_parser
from server.errors import STATUS
from server.settings import Settings
from sync.envelope import ERROR_CODES

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
API_DOC = (DOCS / "api.md").read_text()
README = (ROOT / "README.md").read_text()


def test_every_route_is_documented(tmp_path):
    schema = create_app(Settings(data_dir=tmp_path)).openapi_schema.to_schema()
    routes = [f"{method.upper()} {path}" for path, ops in schema["paths"].items() for method in ops]
    assert len(routes) >= 9
    assert [r for r in routes if f"`{r}" not in API_DOC] == []


def test_every_error_code_is_documented_with_its_status():
    documented = {code: int(status) for code, status in re.findall(r"^\| `([a-z_]+)` \| (\d{3}) \|", API_DOC, re.M)}
    assert documented == STATUS


def test_every_code_the_server_raises_has_a_status():
    source = "\n".join(p.read_text() for p in (ROOT / "server").rglob("*.py"))
    raised = set(re.findall(r'Refused\(\s*"([a-z_]+)"', source))
    assert len(raised) >= 15
    assert raised - set(STATUS) == set()


def test_every_envelope_error_code_is_in_the_spec():
    spec = (DOCS / "envelope.md").read_text()
    assert [c for c in ERROR_CODES if f"`{c}`" not in spec] == []


def test_every_keyring_error_code_is_in_the_protocol():
    protocol = (DOCS / "protocol.md").read_text()
    source = "\n".join(p.read_text() for p in (ROOT / "sync").glob("*.py"))
    codes = set(re.findall(r'KeyringError\(\s*"([a-z_]+)"', source))
    assert codes >= {"keyring_bad_signature", "keyring_invalid", "keyring_rollback", "trust_key_mismatch"}
    assert [c for c in codes if f"`{c}`" not in protocol] == []


def commands(parser: argparse.ArgumentParser, prefix: str = "lantern") -> list[str]:
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                nested = commands(sub, f"{prefix} {name}")
                found.extend(nested or [f"{prefix} {name}"])
    return found


def test_every_cli_command_is_documented():
    docs = README + (DOCS / "admin.md").read_text() + (DOCS / "trust-key.md").read_text()
    found = commands(build_parser())
    assert len(found) >= 14
    assert [c for c in found if c not in docs.replace("lantern admin --data-dir DIR", "lantern admin")] == []


# Fetched by the browser itself when the app is added to a home screen, never by the app offline.
HOME_SCREEN_ONLY = {"/icons/icon-512.png", "/icons/maskable-192.png", "/icons/maskable-512.png", "/icons/apple-touch-icon.png"}
# Fetched when the trust key holder first opens their screens (pwa/sw.js), never needed offline.
ONLINE_ONLY = {"/team/trust.js", "/team/approvals.js", "/team/issued-codes.js", "/team/keyring-changes.js"}


def test_service_worker_precaches_exactly_the_app_files():
    sw = (ROOT / "pwa" / "sw.js").read_text()
    shell = set(re.findall(r'^\s*"(/[^"]*)",$', sw, re.M))
    files = {"/" + p.relative_to(ROOT / "pwa").as_posix() for p in (ROOT / "pwa").rglob("*") if p.is_file()}
    files = {f for f in files if f != "/sw.js" and not f.endswith(".py")} - HOME_SCREEN_ONLY - ONLINE_ONLY
    assert "/index.html" not in shell  # it is "/", fetched once
    assert shell - {"/"} | {"/index.html"} == files


def shell_digest() -> str:
    """What the shell's VERSION must be: a digest of every file the shell caches, but the two workers,
    which name the version themselves."""
    digest = hashlib.sha256()
    pwa = ROOT / "pwa"
    for path in sorted(p for p in pwa.rglob("*") if p.is_file() and p.name not in ("sw.js", "sw-module.js")):
        digest.update(path.relative_to(pwa).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def test_the_shell_version_changes_with_any_shell_file():
    """An installed app fetches a new shell only when the worker's bytes change: a shell file changed
    without a new VERSION would stay old on every device, or mix with the new one."""
    version = re.search(r'^const VERSION = "([^"]+)";$', (ROOT / "pwa" / "sw.js").read_text(), re.M).group(1)
    expected = shell_digest()
    assert version == expected, (
        f'a file of the shell changed: set VERSION in pwa/sw.js and "/* Shell version: */" in pwa/sw-module.js to "{expected}"'
    )


def test_the_module_worker_names_the_shell_version():
    """Chromium does not reliably update a module worker whose own bytes did not change (pwa/sw-module.js)."""
    version = re.search(r'^const VERSION = "([^"]+)";$', (ROOT / "pwa" / "sw.js").read_text(), re.M).group(1)
    named = re.search(r"^/\* Shell version: (\S+) \*/$", (ROOT / "pwa" / "sw-module.js").read_text(), re.M).group(1)
    assert named == version


def test_readme_commands_are_the_real_ones():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "exec ./tests/run" in ci and "./tests/run" in README
    assert "lantern serve --demo" in README and "http://127.0.0.1:8000/" in README
    for flag in ("--host", "--port", "--data-dir"):
        assert flag in README


def test_every_bench_script_is_run_from_the_readme_with_its_figures_kept():
    performance = (DOCS / "performance.md").read_text()
    helpers = {"report.py", "fresh.py"}  # what the scripts share, run by none
    scripts = [p.name for p in sorted((ROOT / "bench").glob("*.py")) if p.name not in helpers]
    assert scripts, "no bench scripts found"
    for name in scripts:
        assert f".venv/bin/python bench/{name}" in README, f"README does not say how to run bench/{name}"
        assert f"(`bench/{name}`)" in performance, f"docs/performance.md has no section for bench/{name}"


def test_every_screen_has_its_screenshots_in_the_readme():
    from tests.browser.screens import SCREENS, VIEWPORTS

    shots = [f"docs/screenshots/{screen}-{size}.png" for screen in SCREENS for size in VIEWPORTS]
    assert [s for s in shots if not (ROOT / s).is_file() or f'src="{s}"' not in README] == []

"""Docs as tests: a route, an error code, an app file or a command that the docs do not mention fails here."""

from __future__ import annotations

import re
from pathlib import Path

from server.app import create_app
from server.errors import _GENERIC_CODES
from server.settings import Settings
from sync.envelope import ERROR_CODES

ROOT = Path(__file__).resolve().parent.parent
API_DOC = (ROOT / "docs" / "api.md").read_text()
README = (ROOT / "README.md").read_text()


def test_every_route_is_documented(tmp_path):
    schema = create_app(Settings(data_dir=tmp_path)).openapi_schema.to_schema()
    assert schema["paths"]
    missing = [path for path in schema["paths"] if f"`{path}" not in API_DOC and f" {path}" not in API_DOC]
    assert missing == []


def test_every_server_error_code_is_documented():
    source = "\n".join(p.read_text() for p in (ROOT / "server").rglob("*.py"))
    raised = set(re.findall(r'ApiError\(\d+, "([a-z_]+)"', source)) | set(re.findall(r'Refused\("([a-z_]+)"', source))
    raised |= set(re.findall(r'_response\(\d+, "([a-z_]+)"', source))
    codes = raised | set(_GENERIC_CODES.values()) | {"http_error", "internal_error"}
    assert len(raised) >= 5
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", API_DOC, re.M))
    assert codes - documented == set()
    assert documented - codes == set(), "documented codes the server never sends"


def test_every_envelope_error_code_is_in_the_spec():
    spec = (ROOT / "docs" / "envelope.md").read_text()
    assert [c for c in ERROR_CODES if f"`{c}`" not in spec] == []


def test_service_worker_precaches_exactly_the_app_files():
    sw = (ROOT / "pwa" / "sw.js").read_text()
    shell = set(re.findall(r'^\s*"(/[^"]*)",$', sw, re.M))
    files = {"/" + p.relative_to(ROOT / "pwa").as_posix() for p in (ROOT / "pwa").rglob("*") if p.is_file()}
    files = {f for f in files if f != "/sw.js" and not f.endswith(".py")}
    assert shell - {"/"} == files


def test_readme_commands_are_the_real_ones():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "exec ./tests/run" in ci and "./tests/run" in README
    assert "lantern serve --demo" in README and "http://127.0.0.1:8000/" in README
    for flag in ("--host", "--port", "--data-dir"):
        assert flag in README

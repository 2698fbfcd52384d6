"""Schemathesis over the served OpenAPI schema of a real server: whatever it is sent, no 5xx.

The schemathesis CLI runs in a subprocess against `lantern serve --demo` on 127.0.0.1, twice: once
unsigned (every authenticated route must refuse), and once with every request signed by an enrolled
device, so that the fuzzer gets past authentication into the handlers. Signing happens in a
schemathesis `before_call` hook, in this very file: schemathesis loads it by path (SCHEMATHESIS_HOOKS),
under the module name `_schemathesis_hooks`, and only then are the hooks at the bottom registered.
The same hooks log each operation's statuses, so the test can see what the run really reached.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import httpx
import requests.auth

from sync import keyfiles, requests as signed_requests
from tests.conftest import start_server, stop_server

ROOT = Path(__file__).resolve().parent.parent
KEY_ENV = "LANTERN_FUZZ_DEVICE_KEY"  # a PEM file: sign every request with this device key
LOG_ENV = "LANTERN_FUZZ_LOG"  # a file: one "<operation> <status> <method sent>" line per response
# docs/api.md's route table says who may call each route; those marked "signed" must refuse an
# unsigned request, whatever else it carries.
ROUTE_ROW = re.compile(r"^\| `([A-Z]+) (/[^`?]*)[^`]*` \| ([^|]+) \|", re.M)
MAX_EXAMPLES = 25
SEED = 20240607
ENV = {"LANTERN_ENROL_PER_MINUTE": "100000", "LANTERN_DEVICE_PER_MINUTE": "100000"}


class SignedRequest(requests.auth.AuthBase):
    """Signs the request exactly as prepared for the wire: its final path-and-query and body bytes."""

    def __init__(self, device) -> None:
        self.device = device

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        body = r.body or b""
        if isinstance(body, str):
            body = body.encode("utf-8")  # as urllib3 sends a str body
        if not isinstance(body, bytes):
            raise TypeError(f"cannot sign a streamed body ({type(body).__name__})")
        r.headers.update(signed_requests.sign_request(self.device, r.method, r.path_url, body))
        return r


def run_schemathesis(server, tmp_path: Path, name: str, device=None) -> dict[str, list[int]]:
    """Runs the CLI; fails the test with its output unless it exits 0. Returns statuses by operation."""
    log = tmp_path / f"{name}.log"
    env = {**os.environ, "SCHEMATHESIS_HOOKS": __file__, LOG_ENV: str(log), "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    env.pop(KEY_ENV, None)
    if device is not None:
        key = tmp_path / f"{name}-device.pem"
        keyfiles.save(device, key, passphrase=None)
        env[KEY_ENV] = str(key)
    schemathesis = shutil.which("schemathesis", path=os.path.dirname(sys.executable)) or "schemathesis"
    command = [
        schemathesis, "run", server.url + "/schema/openapi.json",
        "--checks", "not_a_server_error",
        "--max-examples", str(MAX_EXAMPLES), "--seed", str(SEED), "--no-shrink",
        "--generation-database", "none", "--workers", "1", "--request-timeout", "10",
        "--phases", "examples,coverage,fuzzing", "--no-color",
    ]
    result = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"schemathesis found a problem ({result.returncode}):\n{output}"
    statuses: dict[str, list[int]] = defaultdict(list)
    for line in log.read_text().splitlines():
        method, path, status, sent_method = line.split(" ")
        # Schemathesis also probes each path with other methods (405, or Litestar's automatic 204
        # answer to OPTIONS); those say nothing about the operation's own handler.
        if sent_method == method:
            statuses[f"{method} {path}"].append(int(status))
    assert server.process.poll() is None, "the server died under the fuzzer"
    assert httpx.get(server.url + "/healthz").status_code == 200
    return statuses


def documented_access() -> dict[str, str]:
    table = ROUTE_ROW.findall((ROOT / "docs" / "api.md").read_text())
    return {f"{method} {path}": who.strip() for method, path, who in table}


def signed_operations(operations: set[str]) -> set[str]:
    access = documented_access()
    assert operations <= set(access), f"routes missing from docs/api.md: {operations - set(access)}"
    signed = {op for op in operations if access[op].startswith("signed")}
    assert len(signed) >= 5 and len(operations - signed) >= 2
    return signed


def schema_operations(server) -> set[str]:
    schema = httpx.get(server.url + "/schema/openapi.json").json()
    return {f"{method.upper()} {path}" for path, item in schema["paths"].items() for method in item
            if method in ("get", "put", "post", "delete", "patch", "head", "options")}


def test_unsigned_fuzzing_finds_no_server_error_and_no_way_past_authentication(tmp_path):
    server = start_server(tmp_path / "data", env=ENV)
    try:
        statuses = run_schemathesis(server, tmp_path, "unsigned")
        operations = schema_operations(server)
        assert set(statuses) == operations, "schemathesis did not reach every operation"
        assert all(max(s) < 500 for s in statuses.values())
        for operation in signed_operations(operations):
            assert {s for s in statuses[operation] if s < 400} == set(), f"{operation} answered unsigned"
            assert 401 in statuses[operation]
    finally:
        stop_server(server)


def test_signed_fuzzing_reaches_the_handlers_and_finds_no_server_error(tmp_path):
    server = start_server(tmp_path / "data", env=ENV)
    try:
        # Something to pull, so that the DSL's pulls carry envelopes, not only empty pages.
        staff = server.enrolled("staff")
        staff.push([staff.seal(f"fuzz seed note {i}".encode()) for i in range(3)])
        dsl = server.enrolled("dsl")
        statuses = run_schemathesis(server, tmp_path, "signed", device=dsl.device)
        operations = schema_operations(server)
        assert set(statuses) == operations, "schemathesis did not reach every operation"
        assert all(max(s) < 500 for s in statuses.values())
        for operation in signed_operations(operations):
            # Every signed request passed authentication, whatever path, query and body the fuzzer
            # made: the server checks the signature over exactly the bytes a client signs.
            assert 401 not in statuses[operation], f"{operation}: a correctly signed request was refused"
        # The routes whose valid inputs need no prior state answered 200 at least once.
        for operation in ("GET /api/v1/keyring", "GET /api/v1/envelopes", "POST /api/v1/status"):
            assert 200 in statuses[operation], f"{operation}: never 200 ({sorted(set(statuses[operation]))})"
    finally:
        stop_server(server)


def test_integer_parameters_beyond_sqlite_range_are_refused_not_crashed(tmp_path):
    """What a short fuzzing run seldom tries: integers past SQLite's 64-bit range, where sqlite3 raises
    OverflowError. Every integer query parameter of every GET operation, signed, at the edges."""
    server = start_server(tmp_path / "data", env=ENV)
    try:
        dsl = server.enrolled("dsl")
        schema = httpx.get(server.url + "/schema/openapi.json").json()
        probed = 0
        for path, item in schema["paths"].items():
            for parameter in item.get("get", {}).get("parameters", []):
                if parameter["in"] != "query" or parameter.get("schema", {}).get("type") != "integer":
                    continue
                for value in (-1, 2**63 - 1, 2**63, 10**30):
                    target = f"{path}?{parameter['name']}={value}"
                    headers = signed_requests.sign_request(dsl.device, "GET", target, b"")
                    status = httpx.get(server.url + target, headers=headers).status_code
                    assert status < 500, f"GET {target}: {status}"
                    probed += 1
        assert probed >= 8  # at least GET /api/v1/envelopes' after and limit
    finally:
        stop_server(server)


if __name__ == "_schemathesis_hooks":  # loaded by schemathesis in its own process, not by pytest
    import schemathesis

    _device = keyfiles.load(Path(os.environ[KEY_ENV])) if os.environ.get(KEY_ENV) else None

    @schemathesis.hook
    def before_call(context, case, kwargs):
        if _device is not None:
            kwargs["auth"] = SignedRequest(_device)

    @schemathesis.hook
    def after_call(context, case, response):
        with open(os.environ[LOG_ENV], "a") as log:
            log.write(f"{case.operation.label} {response.status_code} {response.request.method}\n")

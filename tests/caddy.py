"""Caddy in front of a test's Lantern server, from Debian's package (tests/run installs it) and the
Caddyfile docs/admin.md tells a technician to use, docs/deploy/Caddyfile, as it is: only its
environment variables are set, to the test's ports and a certificate from the tests' own CA."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from dataclasses import dataclass
from pathlib import Path


from tests import processes
from tests.conftest import free_port
from tests.local_ca import LocalCA

CADDYFILE = Path(__file__).resolve().parent.parent / "docs" / "deploy" / "Caddyfile"
NAME = "lantern.test"  # the site's name, which a browser under test resolves to 127.0.0.1


@dataclass
class Proxy:
    url: str  # https://127.0.0.1:PORT, for clients that connect by address
    named_url: str  # https://lantern.test:PORT, for a browser told where lantern.test is
    port: int
    http_port: int
    ca: LocalCA
    certificate: object  # the site's x509.Certificate
    process: subprocess.Popen
    log: Path

    def trusted(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca.file))

    def stop(self) -> None:
        processes.stop(self.process)


def start_caddy(folder: Path, upstream: str) -> Proxy:
    caddy = shutil.which("caddy")
    assert caddy, "caddy is missing: tests/run installs Debian's caddy package"
    folder.mkdir(parents=True, exist_ok=True)
    ca = LocalCA(folder)
    cert_file, key_file, certificate = ca.issue(NAME, "127.0.0.1")
    port, http_port = free_port(), free_port()
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(folder),
        "XDG_DATA_HOME": str(folder / "data"),
        "XDG_CONFIG_HOME": str(folder / "config"),
        "LANTERN_CADDY_ADMIN": "off",
        "LANTERN_HTTP_PORT": str(http_port),
        "LANTERN_SITE": f"https://{NAME}:{port}, https://127.0.0.1:{port}",
        "LANTERN_TLS": f"tls {cert_file} {key_file}",
        "LANTERN_UPSTREAM": upstream.removeprefix("http://"),
    }
    log = folder / "caddy.log"
    process = subprocess.Popen(
        [caddy, "run", "--config", str(CADDYFILE), "--adapter", "caddyfile"],
        env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT, cwd=folder,
    )
    proxy = Proxy(f"https://127.0.0.1:{port}", f"https://{NAME}:{port}", port, http_port, ca, certificate, process, log)
    processes.wait_healthy(proxy.url, process, log, verify=proxy.trusted())
    return proxy

"""The tests' servers as processes: started, waited for until they answer, and stopped, one way for
Lantern, Caddy and PostgreSQL alike."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import httpx


def wait_healthy(url: str, process: subprocess.Popen, log: Path | None = None, *, verify=True,
                 seconds: float = 20) -> None:
    """Returns once `url`/healthz answers 200; raises, the log's tail with it, if the process exits
    first or the time runs out (and then kills it)."""
    said = lambda: log.read_text()[-3000:] if log else ""  # noqa: E731
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited: {said()}")
        try:
            if httpx.get(url + "/healthz", verify=verify, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"{process.args[0]} did not answer at {url}: {said()}")


def stop(process: subprocess.Popen, seconds: float = 10) -> None:
    """SIGTERM, and SIGKILL if it has not ended within `seconds`."""
    process.terminate()
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()

"""The server's notion of now, in one place so that tests can move it."""

from __future__ import annotations

import time
from datetime import datetime, timezone


def now() -> float:
    return time.time()


def iso(at: float | None = None) -> str:
    return datetime.fromtimestamp(now() if at is None else at, timezone.utc).isoformat(timespec="milliseconds")

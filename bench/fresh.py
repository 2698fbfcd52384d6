"""A real `lantern serve --demo` on a fresh data folder, for a bench's load driver: its rate limits
lifted, since one machine plays every device (tests/conftest.py starts it)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from tests.conftest import RunningServer, start_server

UNLIMITED = {"LANTERN_ENROL_PER_MINUTE": "1000000", "LANTERN_DEVICE_PER_MINUTE": "100000000"}


def fresh_server(database: str | None = None) -> RunningServer:
    """On a new SQLite file, or on `database` (a PostgreSQL URL)."""
    return start_server(Path(tempfile.mkdtemp(prefix="lantern-bench-")) / "data", env=UNLIMITED, database=database)

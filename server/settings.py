"""Server settings: from the command line, or from LANTERN_* environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PWA_DIR = Path(__file__).resolve().parent.parent / "pwa"


def _env(name: str, default: str) -> str:
    return os.environ.get(f"LANTERN_{name}", default)


@dataclass(frozen=True)
class Settings:
    # Where the SQLite database (and, for the demo, its keys) live; created if missing.
    data_dir: Path = field(default_factory=lambda: Path(_env("DATA_DIR", "lantern-data")))
    # A PostgreSQL database instead of the SQLite file, as postgresql://user:password@host/dbname, for a
    # host serving many schools (docs/hosting.md). The data folder still holds the push key.
    database: str = field(default_factory=lambda: _env("DATABASE", ""))
    # The address staff open, where a proxy in front serves Lantern (https://lantern.school.example): the
    # links `lantern admin code issue` prints. Unset, the address `lantern serve` listens on.
    public_url: str = field(default_factory=lambda: _env("PUBLIC_URL", "").rstrip("/"))
    # Create the demo school (with demo-only keys on disk) at start, and offer demo enrolment codes.
    demo: bool = field(default_factory=lambda: _env("DEMO", "") == "1")
    # The PWA's static files, served at /.
    pwa_dir: Path = field(default_factory=lambda: Path(_env("PWA_DIR", str(PWA_DIR))))
    # Enrolment attempts (and demo codes) allowed per client address per minute.
    enrol_per_minute: int = field(default_factory=lambda: int(_env("ENROL_PER_MINUTE", "10")))
    # Signed requests allowed per device per minute (a burst of as many).
    device_per_minute: int = field(default_factory=lambda: int(_env("DEVICE_PER_MINUTE", "600")))
    # Who runs this server, for push services (the VAPID `sub` claim): a mailto: or https: URL they
    # can reach if the server misbehaves. Say who you are in production.
    vapid_subject: str = field(default_factory=lambda: _env("VAPID_SUBJECT", "mailto:lantern@localhost"))
    # Accept http:// push endpoints, for a push service on a developer's machine or in the tests.
    # Off in production: a real push service is https, and a team device should not be able to
    # make the server post to plain-http addresses.
    push_allow_http: bool = field(default_factory=lambda: _env("PUSH_ALLOW_HTTP", "") == "1")
    # The most the database may hold, in MiB (unset: as much as the disk): for a host that gives each
    # school a share. Met like a full disk (server/db.py): only urgent notes and their receipts go on.
    max_database_mb: int | None = field(default_factory=lambda: int(_env("MAX_DATABASE_MB", "0")) or None)
    # A request's head must arrive whole within this many seconds, and its body at this many bytes a
    # second at least (after the same grace): a client that sends slowly holds a connection open.
    request_head_seconds: float = field(default_factory=lambda: float(_env("REQUEST_HEAD_SECONDS", "10")))
    request_body_bytes_per_second: int = field(default_factory=lambda: int(_env("REQUEST_BODY_BYTES_PER_SECOND", "8000")))

    @property
    def database_path(self) -> Path:
        return self.data_dir / "lantern.db"

    @property
    def database_target(self) -> Path | str:
        """What server/db.py's open_database opens: the PostgreSQL URL if one is set, else the SQLite file."""
        return self.database or self.database_path

    @property
    def max_database_pages(self) -> int | None:
        return self.max_database_mb * 1024 * 1024 // 4096 if self.max_database_mb else None

    @property
    def vapid_key_path(self) -> Path:
        return self.data_dir / "vapid-private.pem"

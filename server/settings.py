"""Server settings: from the command line, or from LANTERN_* environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PWA_DIR = Path(__file__).resolve().parent.parent / "pwa"


@dataclass(frozen=True)
class Settings:
    # Where the SQLite database (and, for the demo, its keys) live; created if missing.
    data_dir: Path = Path(os.environ.get("LANTERN_DATA_DIR", "lantern-data"))
    # Create the demo school (with demo-only keys on disk) at start.
    demo: bool = os.environ.get("LANTERN_DEMO", "") == "1"
    # The PWA's static files, served at /.
    pwa_dir: Path = Path(os.environ.get("LANTERN_PWA_DIR", PWA_DIR))

    @property
    def database_path(self) -> Path:
        return self.data_dir / "lantern.db"

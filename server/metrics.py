"""What a monitoring system scrapes from GET /metrics (server/routes/metrics.py), in Prometheus's text
format, from a registry of the app's own (a second app in the same process, as in tests, counts apart).

No label carries anything personal: routes are templates (`/api/v1/devices/{key_id}`, never a key
id), and every label has a handful of values, so a client cannot grow the registry by what it sends.
"""

from __future__ import annotations

import os
from pathlib import Path

from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from server.db import Db

CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4  # the text format every Prometheus reads
METHODS = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"}
# What becomes of a delivery at a push service's answer (server/alerts.py, record_outcome); a
# cancelled one was acknowledged or superseded while its push was on its way.
OUTCOMES = ("delivered", "retry", "pruned", "failed", "cancelled")


class Metrics:
    def __init__(self, *, sqlite: bool) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter("lantern_requests", "Requests answered, by route template, method and status",
                                ["route", "method", "status"], registry=r)
        self.request_seconds = Histogram("lantern_request_seconds", "Time to answer a request, by route template "
                                         "and method (a sync's push is POST, its pull GET, /api/v1/envelopes)",
                                         ["route", "method"], registry=r)
        self.envelopes = Counter("lantern_sync_envelopes", "Envelopes taken in pushes (duplicates too) and "
                                 "sent in pulls", ["direction"], registry=r)
        self.alert_seconds = Histogram(
            "lantern_alert_delivery_seconds",
            "From an urgent note being on disk to the push service's answer to its first push, per device",
            buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60), registry=r)
        self.alert_deliveries = Counter("lantern_alert_deliveries", "Push services' answers to urgent alerts' "
                                        "pushes, by what became of the delivery", ["outcome"], registry=r)
        self.disk_free = Gauge("lantern_disk_free_bytes", "Free space for Lantern in its data folder's file "
                               "system, at the scrape", registry=r)
        # PostgreSQL keeps no reserve (server/postgres.py): a full disk there is its own to watch.
        self.storage_full = Gauge("lantern_storage_full", "1 while the SQLite database is full and stores "
                                  "urgent notes only, else 0", registry=r) if sqlite else None
        for direction in ("pushed", "pulled"):  # at 0 from the start, so that a rate is defined at once
            self.envelopes.labels(direction)
        for outcome in OUTCOMES:
            self.alert_deliveries.labels(outcome)

    def request(self, route: str, method: str, status: int, seconds: float) -> None:
        self.requests.labels(route, method, str(status)).inc()
        self.request_seconds.labels(route, method).observe(seconds)

    def alert_answered(self, outcome: str, seconds: float | None) -> None:
        """A push service answered an alert's push, and the answer is recorded (server/alert_worker.py)."""
        self.alert_deliveries.labels(outcome).inc()
        if seconds is not None:
            self.alert_seconds.observe(seconds)

    def scrape(self, data_dir: Path, db: Db) -> bytes:
        """The text to answer with; what the disk holds is read now, not counted as it goes."""
        fs = os.statvfs(data_dir)  # a folder gone fails the scrape: better than a stale number
        self.disk_free.set(fs.f_bavail * fs.f_frsize)
        if self.storage_full is not None:
            self.storage_full.set(0 if db.full_since is None else 1)
        return generate_latest(self.registry)

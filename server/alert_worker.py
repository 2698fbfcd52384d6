"""The threads behind urgent alerts: a sender that posts pushes off the request path, and a scheduler
that runs the escalation schedule (server/alerts.py), and the clock reminders (server/reminders.py),
every second. Both start and stop with the app.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from server import alerts, clock, reminders
from server.alerts import Delivery, Dispatch
from server.db import Db
from server.webpush import Outcome, Poster

log = logging.getLogger("lantern")

# Pushes go out side by side: a worker is busy until its push service answers (tens of ms on the
# internet, more when it is slow), and a push must not wait for a free worker. A worker waiting on
# a socket costs a thread's memory and no CPU, so there are many.
WORKERS = 64
TICK_SECONDS = 1.0
MAX_BATCH = 500
# Told of each answer once it is recorded: what became of the delivery, and for an alert's first
# pushes the seconds from the note being on disk to the answer (server/metrics.py counts them).
Observer = Callable[[str, float | None], None]


def post(poster: Poster, delivery: Delivery) -> Outcome:
    """Posts one push. Never raises: a bug here must not lose the record of the attempt."""
    try:
        return poster.post(delivery.endpoint, delivery.p256dh, delivery.auth, delivery.payload())
    except Exception as exc:  # the type only: a message could quote an endpoint
        log.error("posting alert %s's push failed unexpectedly: %s", delivery.alert_id, type(exc).__name__)
        return Outcome(None, None, error=type(exc).__name__)


class BackgroundSender:
    """Takes a dispatch from the request thread in microseconds (a queue put per push) and posts it
    from a thread pool, so a request never waits on a push service.

    Sending never waits on the database either: the workers only post, and hand each answer to one
    recorder thread, which writes whatever has arrived in one transaction. Under load the database
    lock is the busiest thing in the server, and a push must not queue behind a hundred commits.
    """

    def __init__(self, db: Db, poster: Poster, *, clock: Callable[[], float] = clock.now, workers: int = WORKERS,
                 observe: Observer | None = None) -> None:
        self.db = db
        self.poster = poster
        self.clock = clock
        self.observe = observe
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lantern-push")
        self._records: queue.SimpleQueue = queue.SimpleQueue()
        self._recorder = threading.Thread(target=self._record_loop, name="lantern-push-recorder", daemon=True)
        self._recorder.start()

    def submit(self, dispatch: Dispatch) -> None:
        try:
            for delivery in dispatch.deliveries:
                self._pool.submit(self._send, delivery, dispatch.durable_at)
        except RuntimeError:  # shutting down: the deliveries stay queued and the next start sends them
            log.warning("alert %s: the server is stopping; its pushes are sent at the next start", dispatch.alert_id)
        if dispatch.durable_at is not None:
            self._records.put(("durable", dispatch.alert_id, dispatch.durable_at))

    def run(self, job: Callable[[], None]) -> None:
        """Runs a push of another kind (a clock reminder: server/reminders.py) on the same workers."""
        try:
            self._pool.submit(job)
        except RuntimeError:
            log.warning("the server is stopping: a clock reminder's push was not sent")

    def _send(self, delivery: Delivery, durable_at: float | None) -> None:
        outcome = post(self.poster, delivery)
        self._records.put(("outcome", delivery, outcome, self.clock(), durable_at))

    def _record_loop(self) -> None:
        while (item := self._records.get()) is not None:
            batch = [item]
            while len(batch) < MAX_BATCH:
                try:
                    more = self._records.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._records.put(None)  # stop after this batch
                    break
                batch.append(more)
            self._write(batch)

    def _write(self, batch: list[tuple]) -> None:
        try:
            with self.db.write(urgent=True) as s:
                answers = [_apply(s, item) for item in batch]
        except Exception:
            # One bad record must not take the others with it: write them one by one. What still
            # fails leaves its delivery queued, and the scheduler sends it again when its lease ends.
            answers = []
            for item in batch:
                try:
                    with self.db.write(urgent=True) as s:
                        answers.append(_apply(s, item))
                except Exception as exc:
                    log.error("recording a push for alert %s failed: %s", _alert_of(item), type(exc).__name__)
        if self.observe is not None:  # after the commit: a batch written again one by one counts once
            for answer in answers:
                if answer is not None:
                    self.observe(*answer)

    def close(self) -> None:
        """Lets the pushes already leaving finish and records them; the rest stay queued in the
        database, and the next start sends them (alerts.resume)."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._records.put(None)
        self._recorder.join(timeout=10)


def _apply(s, item: tuple) -> tuple[str, float | None] | None:
    """Records one item; for an answer, returns what the observer is told of it."""
    if item[0] == "durable":
        alerts.record_durable(s, item[1], item[2])
        return None
    _, delivery, outcome, at, durable_at = item
    state = alerts.record_outcome(s, delivery, outcome, at)
    return state, at - durable_at if durable_at is not None else None


def _alert_of(item: tuple) -> str:
    return item[1] if item[0] == "durable" else item[1].alert_id


class InlineSender:
    """Posts each push at once, in the caller's thread: for tests with a fake clock, and for tools."""

    def __init__(self, db: Db, poster: Poster, *, clock: Callable[[], float] = clock.now) -> None:
        self.db = db
        self.poster = poster
        self.clock = clock

    def run(self, job: Callable[[], None]) -> None:
        job()

    def submit(self, dispatch: Dispatch) -> None:
        for delivery in dispatch.deliveries:
            outcome = post(self.poster, delivery)
            with self.db.write(urgent=True) as s:
                alerts.record_outcome(s, delivery, outcome, self.clock())
        if dispatch.durable_at is not None:
            with self.db.write(urgent=True) as s:
                alerts.record_durable(s, dispatch.alert_id, dispatch.durable_at)


class Scheduler:
    """Resumes the schedule at start, then runs alerts.run_due every tick until stopped."""

    def __init__(self, db: Db, sender: alerts.Sender, *, clock: Callable[[], float] = clock.now,
                 tick: float = TICK_SECONDS) -> None:
        self.db = db
        self.sender = sender
        self.clock = clock
        self.tick = tick
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lantern-alert-scheduler", daemon=True)

    def start(self) -> None:
        resumed = alerts.resume(self.db, self.clock())
        if resumed:
            log.info("resuming %d unacknowledged urgent alerts", resumed)
        self._thread.start()

    def _run(self) -> None:
        while True:
            try:
                alerts.run_due(self.db, self.sender, self.clock())
                reminders.run_due(self.db, self.sender.run, self.sender.poster.post, self.clock())
            except Exception as exc:  # keep ticking: the next tick retries whatever failed
                log.error("alert scheduler: %s", type(exc).__name__)
            if self._stop.wait(self.tick):
                return

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

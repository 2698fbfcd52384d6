"""Urgent alerts: created with an urgent envelope, pushed to the team, repeated and widened along the
school's escalation policy until a recipient acknowledges the note (docs/alerts.md).

Plain functions over the database, each taking `now` (Unix seconds) from its caller, so that the
schedule is tested with a fake clock and run by a thin thread in the server (server/alert_worker.py).
Every state lives in the database (alerts, alert_deliveries), so a restart resumes where the last
process stopped; every step is appended to alert_events, which records ids, statuses and times only.
"""

from __future__ import annotations

import dataclasses
import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Protocol

import msgspec

from server import escalation
from server.db import Db
from server.schools import TEAM_ROLES
from server.sql import dicts
from server.webpush import Outcome
from sync import wire
from sync.ids import uuid7

log = logging.getLogger("lantern")

# Every kind of event the audit trail holds (docs/alerts.md describes each).
EVENT_KINDS = (
    "created", "queued", "durable", "posted", "delivered", "retry_scheduled", "pruned", "failed", "cancelled",
    "escalated", "ended", "acknowledged", "resumed",
)
# A queued delivery is the sender's until this many seconds have passed (well beyond the request
# timeout); after that the scheduler takes it back, so a delivery lost with a crashed process is sent.
LEASE_SECONDS = 60
MAX_ATTEMPTS = 6
MAX_BACKOFF = 64
# Answers that mean "try again later"; anything else that is not a success is final.
NOT_RETRIED_ERRORS = {"WebPushException", "TooManyRedirects", "InvalidURL", "InvalidSchema", "MissingSchema"}


@dataclass(frozen=True)
class Delivery:
    """One push to one device, as handed to a sender: what the POST needs, nothing more."""

    id: int
    alert_id: str
    record_id: str
    step: int
    device_key_id: str
    attempt: int
    endpoint: str
    p256dh: bytes
    auth: bytes

    def payload(self) -> bytes:
        return msgspec.json.encode(
            wire.UrgentPush(type="urgent", alert_id=uuid.UUID(self.alert_id), record_id=uuid.UUID(self.record_id))
        )


@dataclass(frozen=True)
class Dispatch:
    """The deliveries of one alert to send now; durable_at is set for a new alert's first step."""

    alert_id: str
    deliveries: tuple[Delivery, ...]
    durable_at: float | None = None


class Sender(Protocol):
    def submit(self, dispatch: Dispatch) -> None: ...


def _event(s, alert_id: str, at: float, kind: str, *, step: int | None = None, device: str | None = None,
           status: int | None = None, detail: str = "") -> None:
    assert kind in EVENT_KINDS, kind
    s.execute(
        """INSERT INTO alert_events (alert_id, at, kind, step, device_key_id, status, detail)
           VALUES (?, ?, ?, ?, ?, ?, ?)""",
        [alert_id, at, kind, step, device, status, detail],
    )


# Creation, inside the envelope's transaction


def create_alert(s, *, school_id: str, seq: int, record_id: str, author_key_id: str,
                 recipient_key_ids: list[str], now: float) -> Dispatch:
    """Called by envelopes.push in the same transaction as the urgent envelope, so the alert is as
    durable as the note. Returns step 0's deliveries, for the caller to hand over once it commits."""
    policy = escalation.policy_in(s, school_id)
    # Widen only a note sealed to the whole concern team. A note sealed more narrowly (an allegation,
    # to the headteacher or the chair alone) goes to its own recipients only, at every step: the
    # author left the others out on purpose, and one of them may be its subject. People, not keys,
    # are compared: a DSL may have several keys (one per device), and a staff device offline since
    # the DSL's newest key joined the keyring seals a concern to the DSL's older keys only.
    person = "COALESCE(person_id, key_id)"  # recipients rows from before people existed have no person
    team = {r[0] for r in s.execute(
        f"SELECT {person} FROM recipients WHERE school_id = ? AND role IN ('dsl', 'deputy_dsl')", [school_id]
    )}
    sealed = {r[0] for r in s.execute(
        f"SELECT {person} FROM recipients WHERE school_id = ? AND key_id IN ({', '.join('?' * len(recipient_key_ids))})",
        [school_id, *recipient_key_ids],
    )}
    widen = bool(team) and team <= sealed
    alert_id = str(uuid7())
    following = policy.offset(1)
    s.execute(
        """INSERT INTO alerts (id, school_id, seq, record_id, author_key_id, policy, widen, created_at, step, next_due)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?)""",
        [alert_id, school_id, seq, record_id, author_key_id, escalation.encode(policy), int(widen), now,
         now + following if following is not None else None],
    )
    targets = _targets(s, alert_id, 0)
    _event(s, alert_id, now, "created", step=0, detail=_who(policy, widen, 0, targets))
    deliveries = _queue(s, alert_id, record_id, 0, targets, now)
    if not deliveries:
        log.warning("urgent alert %s: no subscribed team device to push to", alert_id)
    if following is None:
        _event(s, alert_id, now, "ended", step=0, detail="the policy has no further step")
    return Dispatch(alert_id, deliveries)


def _who(policy: escalation.Policy, widen: bool, step: int, targets) -> str:
    whom = ", ".join(policy.roles(step)) if widen else "the note's recipients (not widened)"
    return f"{len(targets)} device{'' if len(targets) == 1 else 's'}: {whom}"


def _targets(s, alert_id: str, step: int) -> list[tuple]:
    """(device key id, endpoint, p256dh, auth) of every subscribed, unrevoked team device to push at
    `step`; never the author's own device."""
    seq, school_id, author, policy_text, widen = s.execute(
        "SELECT seq, school_id, author_key_id, policy, widen FROM alerts WHERE id = ?", [alert_id]
    ).fetchone()
    if widen:
        roles = escalation.decode(policy_text).roles(step)
        whom, args = f"p.role IN ({', '.join('?' * len(roles))})", list(roles)
    else:
        whom = """d.person_id IN (SELECT k.person_id FROM envelope_recipients r
                  JOIN recipients k ON k.key_id = r.key_id WHERE r.seq = ? AND k.school_id = ?)"""
        args = [seq, school_id]
    return s.execute(
        f"""SELECT d.key_id, ps.endpoint, ps.p256dh, ps.auth
            FROM push_subscriptions ps JOIN devices d ON d.key_id = ps.device_key_id
            JOIN people p ON p.id = d.person_id
            WHERE d.school_id = ? AND d.revoked_at IS NULL AND d.key_id != ?
              AND p.role IN ({', '.join('?' * len(TEAM_ROLES))}) AND {whom}
            ORDER BY d.key_id""",
        [school_id, author, *TEAM_ROLES, *args],
    ).fetchall()


def _queue(s, alert_id: str, record_id: str, step: int, targets: list[tuple], now: float) -> tuple[Delivery, ...]:
    deliveries = []
    for device_key_id, endpoint, p256dh, auth in targets:
        (delivery_id,) = s.execute(
            """INSERT INTO alert_deliveries (alert_id, step, device_key_id, state, attempts, next_attempt_at,
                   last_status, updated_at) VALUES (?, ?, ?, 'queued', 0, ?, NULL, ?) RETURNING id""",
            [alert_id, step, device_key_id, now + LEASE_SECONDS, now],
        ).fetchone()
        _event(s, alert_id, now, "queued", step=step, device=device_key_id)
        deliveries.append(Delivery(delivery_id, alert_id, record_id, step, device_key_id, 1, endpoint, p256dh, auth))
    return tuple(deliveries)


# What the sender reports


def record_durable(s, alert_id: str, at: float) -> None:
    """When the commit holding the alert returned: the start of the latency docs/alerts.md measures."""
    _event(s, alert_id, at, "durable", step=0)


def backoff(attempt: int, retry_after: float | None) -> float:
    """2, 4, 8, 16, 32 seconds after attempts 1 to 5; a push service's Retry-After is honoured when
    it asks for longer (webpush.retry_after has bounded it already)."""
    delay = float(min(2**attempt, MAX_BACKOFF))
    return max(delay, retry_after) if retry_after is not None else delay


def _retryable(outcome: Outcome) -> bool:
    if outcome.status is None:
        return outcome.error not in NOT_RETRIED_ERRORS
    return outcome.status == 429 or outcome.status >= 500


def record_outcome(s, delivery: Delivery, outcome: Outcome, now: float) -> str:
    """One answer from a push service: delivered, pruned (404/410), retried with backoff (429, 5xx,
    no answer) or failed. A delivery cancelled meanwhile (acknowledged, superseded) is not retried.
    Runs inside the caller's transaction (the sender records many answers in one). Returns the
    delivery's state now, for the server's metrics."""
    d = delivery
    if outcome.left_at is not None:
        _event(s, d.alert_id, outcome.left_at, "posted", step=d.step, device=d.device_key_id,
               detail=f"attempt {d.attempt}")
    state = s.execute("SELECT state FROM alert_deliveries WHERE id = ?", [d.id]).fetchone()[0]
    live = state == "queued"
    status, next_at = outcome.status, None
    said = f"HTTP {status}" if status is not None else f"no answer ({outcome.error or 'unknown'})"
    if status is not None and 200 <= status < 300:
        new, kind, detail = "delivered", "delivered", ""
    elif status in (404, 410):
        # Gone for good (the browser unsubscribed, or the subscription expired). Only this
        # endpoint: the device may have registered a new one since this push was queued.
        s.execute(
            "DELETE FROM push_subscriptions WHERE device_key_id = ? AND endpoint = ?", [d.device_key_id, d.endpoint]
        )
        new, kind, detail = "pruned", "pruned", f"{said}: subscription removed"
    elif live and _retryable(outcome) and d.attempt < MAX_ATTEMPTS:
        delay = backoff(d.attempt, outcome.retry_after)
        next_at = now + delay
        new, kind, detail = "retry", "retry_scheduled", f"{said}; attempt {d.attempt + 1} in {delay:g} s"
    else:
        new, kind = ("failed" if live else state), "failed"
        if not live:
            detail = f"{said}; not retried: {state}"
        elif _retryable(outcome):
            detail = f"{said}; gave up after {d.attempt} attempts"
        else:
            detail = f"{said}; not retried"
            log.warning("a push service refused alert %s's push (%s)", d.alert_id, said)
    s.execute(
        """UPDATE alert_deliveries SET state = ?, attempts = ?, next_attempt_at = ?, last_status = ?,
               updated_at = ? WHERE id = ?""",
        [new, d.attempt, next_at, status, now, d.id],
    )
    _event(s, d.alert_id, now, kind, step=d.step, device=d.device_key_id, status=status, detail=detail)
    return new


# Acknowledgement, inside the receipt's transaction


def acknowledge(s, seq: int, device_key_id: str, now: float) -> bool:
    """A recipient has opened the note: the alert stops. Returns False if there was nothing to stop."""
    row = s.execute("SELECT id, step FROM alerts WHERE seq = ? AND acknowledged_at IS NULL", [seq]).fetchone()
    if row is None:
        return False
    alert_id, step = row
    s.execute(
        "UPDATE alerts SET acknowledged_at = ?, acknowledged_by = ?, next_due = NULL WHERE id = ?",
        [now, device_key_id, alert_id],
    )
    cancelled = s.execute(
        """UPDATE alert_deliveries SET state = 'cancelled', next_attempt_at = NULL, updated_at = ?
           WHERE alert_id = ? AND state IN ('queued', 'retry')""",
        [now, alert_id],
    ).rowcount
    _event(s, alert_id, now, "acknowledged", step=step, device=device_key_id,
           detail=f"{cancelled} pending deliveries cancelled")
    return True


# The schedule, run by the scheduler thread (and by tests, with a fake clock)


def due_alerts(db: Db, now: float) -> list[str]:
    """Unacknowledged alerts whose next step is due."""
    with db.read() as s:
        return [r[0] for r in s.execute(
            "SELECT id FROM alerts WHERE next_due <= ? AND acknowledged_at IS NULL ORDER BY next_due", [now]
        )]


def escalate(db: Db, sender: Sender, now: float) -> int:
    """Starts the next step of every due alert; returns how many steps were started."""
    started = 0
    for alert_id in due_alerts(db, now):
        with db.write(urgent=True) as s:
            dispatch = _advance(s, alert_id, now)
        if dispatch is not None:  # handed over only once the step is committed
            sender.submit(dispatch)
            started += 1
    return started


def _advance(s, alert_id: str, now: float) -> Dispatch | None:
    row = s.execute(
        "SELECT record_id, policy, widen, created_at, step, next_due, acknowledged_at FROM alerts WHERE id = ?",
        [alert_id],
    ).fetchone()
    record_id, policy_text, widen, created_at, step, next_due, acknowledged_at = row
    if acknowledged_at is not None or next_due is None or next_due > now:
        return None  # acknowledged or advanced since due_alerts looked
    policy = escalation.decode(policy_text)
    # After a long stop (a restart, a sleeping machine), go to the latest step that is due rather
    # than firing every missed one at once.
    first = step + 1
    step = first
    while (following := policy.offset(step + 1)) is not None and created_at + following <= now:
        step += 1
    targets = _targets(s, alert_id, step)
    # A device this step reaches needs no older, unfinished push of the same alert: not a retry, nor
    # one a crashed process never sent (one already leaving still leaves; it is just not retried).
    superseded = 0
    for device_key_id, *_ in targets:
        superseded += s.execute(
            """UPDATE alert_deliveries SET state = 'cancelled', next_attempt_at = NULL, updated_at = ?
               WHERE alert_id = ? AND device_key_id = ? AND state IN ('queued', 'retry')""",
            [now, alert_id, device_key_id],
        ).rowcount
    following = policy.offset(step + 1)
    s.execute(
        "UPDATE alerts SET step = ?, next_due = ? WHERE id = ?",
        [step, created_at + following if following is not None else None, alert_id],
    )
    detail = _who(policy, bool(widen), step, targets)
    if step > first:
        detail += f"; {step - first} overdue steps skipped"
    if superseded:
        detail += f"; {superseded} unfinished earlier pushes superseded"
    _event(s, alert_id, now, "escalated", step=step, detail=detail)
    deliveries = _queue(s, alert_id, record_id, step, targets, now)
    if following is None:
        _event(s, alert_id, now, "ended", step=step, detail="no further step: unacknowledged")
    return Dispatch(alert_id, deliveries)


def retry_due(db: Db, sender: Sender, now: float) -> int:
    """Hands back to the sender every delivery whose retry time (or lease) has come; returns how many."""
    dispatches: dict[str, list[Delivery]] = defaultdict(list)
    with db.read() as s:  # the usual answer, every second: nothing; no need to take the write lock
        if not s.execute(
            "SELECT 1 FROM alert_deliveries WHERE state IN ('queued', 'retry') AND next_attempt_at <= ? LIMIT 1", [now]
        ).fetchone():
            return 0
    with db.write(urgent=True) as s:
        rows = s.execute(
            """SELECT dl.id, dl.alert_id, a.record_id, dl.step, dl.device_key_id, dl.attempts,
                      ps.endpoint, ps.p256dh, ps.auth, d.revoked_at
               FROM alert_deliveries dl JOIN alerts a ON a.id = dl.alert_id
               JOIN devices d ON d.key_id = dl.device_key_id
               LEFT JOIN push_subscriptions ps ON ps.device_key_id = dl.device_key_id
               WHERE dl.state IN ('queued', 'retry') AND dl.next_attempt_at <= ?
               ORDER BY dl.id""",
            [now],
        ).fetchall()
        for delivery_id, alert_id, record_id, step, device, attempts, endpoint, p256dh, auth, revoked_at in rows:
            if endpoint is None or revoked_at is not None:
                s.execute(
                    "UPDATE alert_deliveries SET state = 'cancelled', next_attempt_at = NULL, updated_at = ? WHERE id = ?",
                    [now, delivery_id],
                )
                why = "the device was revoked" if revoked_at is not None else "the device has no subscription now"
                _event(s, alert_id, now, "cancelled", step=step, device=device, detail=why)
                continue
            s.execute(
                "UPDATE alert_deliveries SET state = 'queued', next_attempt_at = ?, updated_at = ? WHERE id = ?",
                [now + LEASE_SECONDS, now, delivery_id],
            )
            # The subscription as it is now: the device may have re-subscribed since the last try.
            dispatches[alert_id].append(
                Delivery(delivery_id, alert_id, record_id, step, device, attempts + 1, endpoint, p256dh, auth)
            )
    for alert_id, deliveries in dispatches.items():
        sender.submit(Dispatch(alert_id, tuple(deliveries)))
    return sum(len(d) for d in dispatches.values())


def run_due(db: Db, sender: Sender, now: float) -> int:
    """One tick of the scheduler: due steps, then due retries."""
    return escalate(db, sender, now) + retry_due(db, sender, now)


def resume(db: Db, now: float) -> int:
    """At start: deliveries the last process had in hand are due again now (its sends may never have
    left), and each open alert says in its trail that the schedule resumed. Returns the open alerts."""
    with db.write(urgent=True) as s:
        requeued = dict(s.execute(
            "SELECT alert_id, COUNT(*) FROM alert_deliveries WHERE state = 'queued' GROUP BY alert_id"
        ).fetchall())
        s.execute("UPDATE alert_deliveries SET next_attempt_at = ? WHERE state = 'queued'", [now])
        open_alerts = [r[0] for r in s.execute(
            """SELECT id FROM alerts WHERE acknowledged_at IS NULL AND (next_due IS NOT NULL OR id IN
                   (SELECT alert_id FROM alert_deliveries WHERE state IN ('queued', 'retry')))
               ORDER BY created_at"""
        )]
        for alert_id in open_alerts:
            _event(s, alert_id, now, "resumed",
                   detail=f"server started; {requeued.get(alert_id, 0)} unfinished deliveries sent again")
    return len(open_alerts)


# For the admin


def recent(db: Db, school_id: uuid.UUID, limit: int = 20) -> list[dict]:
    """The school's latest alerts, newest first, each with its events in order."""
    with db.read() as s:
        alerts = dicts(
            s,
            """SELECT id, record_id, created_at, step, next_due, acknowledged_at, acknowledged_by, widen
               FROM alerts WHERE school_id = ? ORDER BY created_at DESC LIMIT ?""",
            [str(school_id), limit],
        )
        for alert in alerts:
            alert["events"] = dicts(
                s,
                "SELECT at, kind, step, device_key_id, status, detail FROM alert_events WHERE alert_id = ? ORDER BY id",
                [alert["id"]],
            )
    return alerts


def with_durable_time(dispatch: Dispatch, at: float) -> Dispatch:
    return dataclasses.replace(dispatch, durable_at=at)

"""Clock reminders (docs/alerts.md, "Clock reminders"): a team member's device asks to be reminded at a
time, under an id it made up; at that time the server pushes a reminder that says nothing but that id
to the person's subscribed devices, which show a fixed text and open Lantern. The server learns an
opaque id, a time and whose reminder it is: never which clock, which case or which child."""

from __future__ import annotations

import logging
from collections.abc import Callable

import msgspec

from server.db import Db
from server.devices import Device
from server.errors import Refused
from server.schools import TEAM_ROLES
from sync import wire

log = logging.getLogger("lantern")

MAX_PER_PERSON = 1000
MAX_AHEAD_SECONDS = 400 * 24 * 3600
BATCH = 500


def update(db: Db, device: Device, request: wire.RemindersRequest, now: float) -> int:
    """Sets, moves and cancels this person's reminders; answers how many of theirs are pending. An
    id another person holds is left alone, so ids cannot be used to cancel or move someone else's."""
    if device.role not in TEAM_ROLES:
        raise Refused("not_team", "only the safeguarding team sets clock reminders")
    for reminder in request.set:
        if reminder.due_at > now + MAX_AHEAD_SECONDS:
            raise Refused("invalid_request", "a reminder is due more than 400 days from now")
    person, school = str(device.person_id), str(device.school_id)
    with db.write() as s:
        for rid in request.cancel:
            s.execute("DELETE FROM reminders WHERE id = ? AND person_id = ?", [rid, person])
        for reminder in request.set:
            # A moved reminder is pushed again at its new time; one set again unchanged is not.
            s.execute(
                """INSERT INTO reminders (id, school_id, person_id, due_at, sent_at) VALUES (?, ?, ?, ?, NULL)
                   ON CONFLICT (id) DO UPDATE SET due_at = excluded.due_at,
                       sent_at = CASE WHEN reminders.due_at = excluded.due_at THEN reminders.sent_at END
                   WHERE reminders.person_id = excluded.person_id""",
                [reminder.id, school, person, float(reminder.due_at)],
            )
        held = s.execute("SELECT COUNT(*) FROM reminders WHERE person_id = ?", [person]).fetchone()[0]
        if held > MAX_PER_PERSON:
            raise Refused("too_many_reminders", f"a person may hold at most {MAX_PER_PERSON} reminders")
        return s.execute("SELECT COUNT(*) FROM reminders WHERE person_id = ? AND sent_at IS NULL", [person]).fetchone()[0]


def take_due(db: Db, now: float) -> list[tuple[str, list[tuple[str, bytes, bytes]]]]:
    """The reminders due now, each with the (endpoint, p256dh, auth) of its person's subscribed,
    unrevoked devices, marked sent in the same transaction: each is pushed once. A deadline's
    reminder is worth the disk's reserve, as an alert is."""
    with db.write(urgent=True) as s:
        due = s.execute(
            "SELECT id, person_id FROM reminders WHERE sent_at IS NULL AND due_at <= ? ORDER BY due_at LIMIT ?",
            [now, BATCH],
        ).fetchall()
        out = []
        for rid, person in due:
            s.execute("UPDATE reminders SET sent_at = ? WHERE id = ?", [now, rid])
            targets = s.execute(
                """SELECT ps.endpoint, ps.p256dh, ps.auth FROM push_subscriptions ps
                   JOIN devices d ON d.key_id = ps.device_key_id
                   WHERE d.person_id = ? AND d.revoked_at IS NULL ORDER BY d.key_id""",
                [person],
            ).fetchall()
            out.append((rid, targets))
        return out


def payload(reminder_id: str) -> bytes:
    return msgspec.json.encode(wire.ReminderPush(type="reminder", reminder_id=reminder_id))


def run_due(db: Db, submit: Callable[[Callable[[], None]], object], post, now: float) -> int:
    """Pushes every reminder due now, each push handed to `submit` (a thread pool's), so that a slow
    push service never holds up the schedule. A push that fails is logged, not retried: the clock
    itself stays overdue on every team device that holds the case, which is where it is acted on."""
    count = 0
    for rid, targets in take_due(db, now):
        for endpoint, p256dh, auth in targets:
            def send(endpoint=endpoint, p256dh=p256dh, auth=auth, rid=rid) -> None:
                try:
                    outcome = post(endpoint, p256dh, auth, payload(rid))
                    if outcome.error or (outcome.status or 0) >= 300:
                        log.warning("a clock reminder's push was refused (%s)", outcome.error or outcome.status)
                except Exception as exc:  # the type only: a message could quote an endpoint
                    log.error("a clock reminder's push failed: %s", type(exc).__name__)
            submit(send)
            count += 1
    return count

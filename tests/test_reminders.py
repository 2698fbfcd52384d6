"""Clock reminders on a real server (server/reminders.py, POST /api/v1/reminders): pushed through the
tests' RFC 8030/8291 push service at their time, once, to the person who set them and no one else,
carrying the device's opaque id and nothing more; moved, cancelled, and refused as they should be."""

from __future__ import annotations

import secrets
import time

import httpx
import pytest

from sync import wire
from sync.client import ApiError
from tests.test_push_api import service, subscribed  # noqa: F401 (service is a fixture)
from tests.conftest import BOTH_DATABASES

pytestmark = BOTH_DATABASES  # the server suite: on SQLite and on PostgreSQL


def test_a_reminder_is_pushed_once_at_its_time_with_nothing_but_its_id(server, service):
    dsl, dsl_sub = subscribed(server, service, "dsl")
    deputy, deputy_sub = subscribed(server, service, "deputy_dsl")
    service.server_key = dsl.push_key()
    rid = secrets.token_hex(16)
    later = secrets.token_hex(16)
    now = int(time.time())
    assert dsl.reminders(set=[wire.Reminder(id=rid, due_at=now + 1), wire.Reminder(id=later, due_at=now + 3600)]).pending == 2

    [got] = service.wait_for(lambda r: len(r) >= 1, timeout=5)
    assert got.json() == {"type": "reminder", "reminder_id": rid}
    assert got.subscription_id == dsl_sub.id and got.vapid_key == service.server_key
    time.sleep(1.5)  # more ticks of the scheduler: still once, and never to another person
    assert len(service.received(dsl_sub)) == 1 and service.received(deputy_sub) == []
    # What the server holds: an id, whose, and when. Nothing of a clock, a case or a child.
    assert server.query("SELECT * FROM reminders WHERE id = ?", rid)[0][:2] == (rid, str(server.demo_school_id()))
    assert server.columns("reminders") == ["id", "school_id", "person_id", "due_at", "sent_at"]

    # Moved: pushed again at its new time. Cancelled: never pushed.
    dsl.reminders(set=[wire.Reminder(id=rid, due_at=int(time.time()) + 1)], cancel=[later])
    service.wait_for(lambda r: len(r) >= 2, timeout=5)
    assert [r.json()["reminder_id"] for r in service.received(dsl_sub)] == [rid, rid]
    assert server.query("SELECT COUNT(*) FROM reminders WHERE id = ?", later) == [(0,)]


def test_another_person_cannot_move_or_cancel_a_reminder(server, service):
    dsl, dsl_sub = subscribed(server, service, "dsl")
    deputy = server.enrolled("deputy_dsl")
    rid = secrets.token_hex(16)
    dsl.reminders(set=[wire.Reminder(id=rid, due_at=int(time.time()) + 2)])
    assert deputy.reminders(cancel=[rid], set=[wire.Reminder(id=rid, due_at=int(time.time()) + 3600)]).pending == 0
    [got] = service.wait_for(lambda r: len(r) >= 1, timeout=6)
    assert got.json()["reminder_id"] == rid and got.subscription_id == dsl_sub.id


def test_what_is_refused(server):
    staff = server.enrolled("staff")
    with pytest.raises(ApiError) as refused:
        staff.reminders(set=[wire.Reminder(id=secrets.token_hex(16), due_at=int(time.time()) + 60)])
    assert refused.value.code == "not_team"
    dsl = server.enrolled("dsl")
    with pytest.raises(ApiError) as refused:
        dsl.reminders(set=[wire.Reminder(id=secrets.token_hex(16), due_at=int(time.time()) + 500 * 86400)])
    assert refused.value.code == "invalid_request"
    unsigned = httpx.post(server.url + "/api/v1/reminders", json={"set": [{"id": "x", "due_at": 1}]})
    assert unsigned.status_code == 401

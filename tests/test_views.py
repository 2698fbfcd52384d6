"""The view trail on a real server (server/views.py): a record's readers add to it and read it; nobody
else can do either; it holds who, which device, when, and nothing more."""

from __future__ import annotations

import pytest

from sync import envelope
from sync.client import ApiError
from tests.conftest import BOTH_DATABASES

pytestmark = BOTH_DATABASES  # the server suite: on SQLite and on PostgreSQL


def key(client) -> str:
    return envelope.key_id(client.device.public_key()).hex()


def test_a_record_s_readers_see_who_opened_it_and_others_cannot(server):
    with server.enrolled("staff") as staff, server.enrolled("dsl") as dsl, server.enrolled("deputy_dsl") as deputy:
        sealed = staff.seal(b"a note")
        staff.push([sealed])
        record_id = envelope.parse(sealed).record_id
        assert dsl.views([record_id]).recorded == 1
        deputy.views([record_id])
        dsl.views([record_id])
        trail = deputy.view_trail(record_id)
        assert trail.record_id == record_id
        assert [v.device_key_id for v in trail.views] == [key(dsl), key(deputy), key(dsl)]
        assert {v.name for v in trail.views} == {"Demo DSL (DEMO ONLY)", "Demo Deputy DSL (DEMO ONLY)"}
        assert all(v.viewed_at.endswith("+00:00") for v in trail.views)
        for who in (staff, server.enrolled("headteacher")):
            with pytest.raises(ApiError) as refused:
                who.view_trail(record_id)
            assert refused.value.code == "not_a_recipient"
            with pytest.raises(ApiError):
                who.views([record_id])
    assert server.columns("views") == ["id", "seq", "school_id", "person_id", "device_key_id", "viewed_at"]

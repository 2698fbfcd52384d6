from __future__ import annotations

from litestar import post
from litestar.params import JSONBody

from server.errors import ApiError
from server.routes import StoreDep
from server.store import Refused
from sync.wire import PushRequest, PushResponse, PushResult

_STATUS = {"invalid_envelope": 400, "unknown_device": 403, "conflict": 409}


@post("/api/v1/envelopes", sync_to_thread=True, status_code=200, tags=["envelopes"])
def push(store: StoreDep, data: JSONBody[PushRequest]) -> PushResponse:
    """Stores a batch of envelopes, all or none. An answer means every one is durable on disk."""
    try:
        stored = store.push(data.envelopes)
    except Refused as exc:
        raise ApiError(_STATUS[exc.code], exc.code, exc.detail) from None
    return PushResponse(
        results=[
            PushResult(record_id=s.record_id, seq=s.seq, status="duplicate" if s.duplicate else "stored")
            for s in stored
        ]
    )

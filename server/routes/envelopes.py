from __future__ import annotations

from typing import Annotated

from litestar import get, post
from litestar.di import Provide
from litestar.datastructures import State
from litestar.params import JSONBody, Parameter

from server import envelopes
from server.routes.errors import error_responses
from server.routes import SIGNED, DbDep, DeviceDep, SignedDep, signed_request, signing_device
from sync.wire import (
    MAX_PAGE, PulledEnvelope, PullResponse, PushRequest, PushResponse, PushResult, Receipted,
    ReceiptsRequest, RecordsRequest, RecordStatus, StatusResponse,
)


@post(
    "/api/v1/envelopes",
    sync_to_thread=True,
    status_code=200,
    dependencies={"signed": Provide(signed_request)},
    tags=["envelopes"],
    security=SIGNED,
    responses=error_responses(400, 401, 403, 409, 413, 429),
)
def push(db: DbDep, signed: SignedDep, state: State, data: JSONBody[PushRequest]) -> PushResponse:
    """Stores a batch of this device's envelopes, all or none. An answer means every one is on disk;
    an urgent one's alert is on its way to the team before the answer is."""
    # Checked here, in the handler's thread: one hand-off a push. Its nonce is spent in the transaction
    # that stores the envelopes, so a push is one commit, not two, and a refused one spends nothing.
    device = signing_device(state, signed, spend=False)
    stored = envelopes.push(db, device, data.envelopes, sender=state.alert_sender)
    return PushResponse(
        results=[
            PushResult(record_id=s.record_id, seq=s.seq, status="duplicate" if s.duplicate else "stored")
            for s in stored
        ]
    )


@get(
    "/api/v1/envelopes",
    sync_to_thread=True,
    tags=["envelopes"],
    security=SIGNED,
    responses=error_responses(400, 401, 403, 429),
)
def pull(
    db: DbDep,
    device: DeviceDep,
    state: State,
    after: Annotated[int, Parameter(ge=0, le=2**63 - 1, description="the last seq this device has")] = 0,
    limit: Annotated[int, Parameter(ge=1, le=MAX_PAGE)] = 100,
) -> PullResponse:
    """The envelopes sealed to this device's person, after a server sequence number, oldest first, with
    which database answers and the last seq it holds for them (docs/protocol.md, "When the server forgets")."""
    page = envelopes.pull(db, device, after, limit)
    return PullResponse(
        envelopes=[PulledEnvelope(seq=seq, data=data) for seq, data in page.rows], more=page.more, after=page.after,
        database=state.database_id, high_water=page.high_water,
    )


@post(
    "/api/v1/receipts",
    sync_to_thread=True,
    status_code=200,
    tags=["envelopes"],
    security=SIGNED,
    responses=error_responses(400, 401, 403, 429),
)
def receipts(db: DbDep, device: DeviceDep, data: JSONBody[ReceiptsRequest]) -> Receipted:
    """This device's person has opened these records (each must be addressed to them), with each
    one's proof for its author."""
    envelopes.record_receipts(db, device, data.receipts)
    return Receipted(recorded=len(data.receipts))


@post(
    "/api/v1/status",
    sync_to_thread=True,
    status_code=200,
    tags=["envelopes"],
    security=SIGNED,
    responses=error_responses(400, 401, 403, 429),
)
def status(db: DbDep, device: DeviceDep, data: JSONBody[RecordsRequest]) -> StatusResponse:
    """For this device's own records: received by the server, opened by the safeguarding team."""
    found = envelopes.statuses(db, device, data.record_ids)
    return StatusResponse(
        statuses=[
            RecordStatus(record_id=rid, received=r, opened=o, alert=a, readable=k, proofs=p)
            for rid, (r, o, a, k, p) in found.items()
        ]
    )

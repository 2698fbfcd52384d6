"""What a school publishes to its devices: its team's keys, its devices' keys, and envelopes."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, get
from litestar.params import FromPath, Parameter

from server.errors import ApiError
from server.routes import StoreDep
from server.store import Store
from sync.wire import MAX_PAGE, DeviceKey, Keyring, KeyIdHex, PulledEnvelope, PullResponse, Recipient

KeyIdParam = Annotated[KeyIdHex, Parameter(pattern="^[0-9a-f]{64}$", description="key id, 64 hex digits")]


def keyring_of(store: Store, school_id: uuid.UUID) -> Keyring:
    return Keyring(
        school_id=school_id,
        recipients=[
            Recipient(key_id=r["key_id"], role=r["role"], name=r["name"], public_key=r["public_key"])
            for r in store.recipients(school_id)
        ],
    )


class SchoolController(Controller):
    path = "/api/v1/schools/{school_id:uuid}"
    tags = ["schools"]

    @staticmethod
    def _known(store: Store, school_id: uuid.UUID) -> None:
        if store.school(school_id) is None:
            raise ApiError(404, "unknown_school")

    @get("/keyring", sync_to_thread=True)
    def keyring(self, store: StoreDep, school_id: FromPath[uuid.UUID]) -> Keyring:
        """The safeguarding team's public keys: whom a device seals notes to."""
        self._known(store, school_id)
        return keyring_of(store, school_id)

    @get("/devices/{key_id:str}", sync_to_thread=True)
    def device(self, store: StoreDep, school_id: FromPath[uuid.UUID], key_id: KeyIdParam) -> DeviceKey:
        """An enrolled device's public key, so a reader can check the signature on its envelopes."""
        public_key = store.device_key(school_id, key_id)
        if public_key is None:
            raise ApiError(404, "unknown_device")
        return DeviceKey(key_id=key_id, public_key=public_key)

    @get("/envelopes", sync_to_thread=True)
    def pull(
        self,
        store: StoreDep,
        school_id: FromPath[uuid.UUID],
        recipient: KeyIdParam,
        after: Annotated[int, Parameter(ge=0, description="the last seq this reader has")] = 0,
        limit: Annotated[int, Parameter(ge=1, le=MAX_PAGE)] = 100,
    ) -> PullResponse:
        """The envelopes sealed to one recipient key, after a server sequence number, oldest first."""
        self._known(store, school_id)
        rows, more = store.pull(school_id, recipient, after, limit)
        return PullResponse(
            envelopes=[PulledEnvelope(seq=seq, data=data) for seq, data in rows],
            more=more,
            after=rows[-1][0] if rows else after,
        )

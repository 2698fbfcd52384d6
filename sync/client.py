"""A Python client for the sync API: what a DSL's tools (and the tests) use to fetch and open notes."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import msgspec
from cryptography.hazmat.primitives.asymmetric import ec

from sync import envelope, wire


class ApiError(Exception):
    def __init__(self, status: int, error: wire.Error) -> None:
        super().__init__(f"{status} {error.error}: {error.detail}")
        self.status = status
        self.code = error.error
        self.detail = error.detail


class Client:
    def __init__(self, base_url: str, *, timeout: float = 10.0) -> None:
        self._http = httpx.Client(base_url=base_url, timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, method: str, path: str, type_: type, **kwargs):
        response = self._http.request(method, path, **kwargs)
        if response.status_code >= 400:
            raise ApiError(response.status_code, msgspec.json.decode(response.content, type=wire.Error))
        return msgspec.json.decode(response.content, type=type_)

    def keyring(self, school_id: uuid.UUID) -> wire.Keyring:
        return self._call("GET", f"/api/v1/schools/{school_id}/keyring", wire.Keyring)

    def device_key(self, school_id: uuid.UUID, key_id: bytes) -> bytes:
        return self._call("GET", f"/api/v1/schools/{school_id}/devices/{key_id.hex()}", wire.DeviceKey).public_key

    def demo_enrol(self, device_public_key: bytes) -> wire.Enrolment:
        body = msgspec.json.encode(wire.DemoEnrolRequest(device_public_key=device_public_key))
        return self._call("POST", "/api/v1/demo/enrol", wire.Enrolment, content=body)

    def push(self, envelopes: list[bytes]) -> wire.PushResponse:
        body = msgspec.json.encode(wire.PushRequest(envelopes=envelopes))
        return self._call(
            "POST", "/api/v1/envelopes", wire.PushResponse, content=body, headers={"content-type": "application/json"}
        )

    def pull(self, school_id: uuid.UUID, recipient_key_id: bytes, after: int = 0, limit: int = 100) -> wire.PullResponse:
        params = {"recipient": recipient_key_id.hex(), "after": after, "limit": limit}
        return self._call("GET", f"/api/v1/schools/{school_id}/envelopes", wire.PullResponse, params=params)

    def pull_all(self, school_id: uuid.UUID, recipient_key_id: bytes, after: int = 0) -> Iterator[wire.PulledEnvelope]:
        while True:
            page = self.pull(school_id, recipient_key_id, after)
            yield from page.envelopes
            if not page.more:
                return
            after = page.after

    def open_all(self, school_id: uuid.UUID, recipient: ec.EllipticCurvePrivateKey) -> Iterator[envelope.Opened]:
        """Pulls every envelope sealed to `recipient` and opens each, checking its author's signature."""
        for pulled in self.pull_all(school_id, envelope.key_id(recipient.public_key())):
            header = envelope.parse(pulled.data)
            author = envelope.public_key_from_bytes(self.device_key(school_id, header.author_key_id))
            yield envelope.open(pulled.data, recipient=recipient, author=author)

"""A small Web Push service for development and tests: an RFC 8030 endpoint on 127.0.0.1.

It does what a real push service does to a message, and then what the browser does:
- checks the VAPID `Authorization: vapid t=<JWT>,k=<key>` header (RFC 8292): an ES256 JWT signed by
  the key `k`, whose `aud` is this service's origin, whose `exp` is in the future (and within 24 h),
  whose `sub` is a mailto: or https: URL; and, when told the server's key, that `k` is that key;
- decrypts the aes128gcm body (RFC 8291) with the subscription's private key and auth secret, which
  the test made as the "browser";
- records what arrived (Urgency, TTL, the decrypted payload, the arrival time), and answers as it is
  told per subscription: 201, or 404, 410, 429 (with Retry-After), 500; or holds the request open.

    with PushService() as service:
        sub = service.new_subscription()
        client.subscribe_push(sub.wire())
        ...
        service.wait_for(lambda got: len(got) >= 1)
"""

from __future__ import annotations

import base64
import json
import os
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from sync import wire

SUBJECT = re.compile(r"^(mailto:\S+@\S+|https://\S+)$")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Subscription:
    """What a browser holds for one push subscription: the endpoint and its decryption keys."""

    id: str
    endpoint: str
    private_key: ec.EllipticCurvePrivateKey
    auth: bytes

    @property
    def p256dh(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )

    def json(self) -> dict:
        """As PushSubscription.toJSON() gives it."""
        return {"endpoint": self.endpoint, "expirationTime": None,
                "keys": {"p256dh": b64url(self.p256dh), "auth": b64url(self.auth)}}

    def wire(self) -> wire.PushSubscription:
        return wire.PushSubscription(
            endpoint=self.endpoint, keys=wire.PushSubscriptionKeys(p256dh=b64url(self.p256dh), auth=b64url(self.auth))
        )


@dataclass(frozen=True)
class Received:
    subscription_id: str
    at: float  # time.time() when the request arrived
    urgency: str | None
    ttl: str | None
    content_encoding: str | None
    payload: bytes  # decrypted
    claims: dict
    vapid_key: str
    answered: int

    def json(self) -> dict:
        return json.loads(self.payload)


@dataclass(frozen=True)
class Refused:
    subscription_id: str
    reason: str


@dataclass
class _State:
    subscriptions: dict[str, Subscription] = field(default_factory=dict)
    answers: dict[str, list[tuple[int, str | None]]] = field(default_factory=dict)
    held: dict[str, threading.Event] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    refused: list[Refused] = field(default_factory=list)


class _Server(ThreadingHTTPServer):
    # socketserver's default backlog of 5 refuses connections when a sender opens many at once.
    request_queue_size = 256


class PushService:
    def __init__(self) -> None:
        self.server_key: str | None = None  # when set, `k` must be this (base64url) VAPID key
        self._state = _State()
        self._changed = threading.Condition()
        self._httpd = _Server(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self.origin = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), name="pushservice", daemon=True)

    # Lifecycle

    def start(self) -> PushService:
        self._thread.start()
        return self

    def stop(self) -> None:
        for event in list(self._state.held.values()):
            event.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> PushService:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # What a test controls

    def new_subscription(self) -> Subscription:
        sub_id = uuid.uuid4().hex
        sub = Subscription(sub_id, f"{self.origin}/push/{sub_id}", ec.generate_private_key(ec.SECP256R1()), os.urandom(16))
        with self._changed:
            self._state.subscriptions[sub_id] = sub
        return sub

    def answer(self, sub: Subscription, *statuses: int | tuple[int, str]) -> None:
        """The next answers for this subscription, in order (then 201): 404, (429, "10"), 500..."""
        with self._changed:
            self._state.answers[sub.id] = [s if isinstance(s, tuple) else (s, None) for s in statuses]

    def forget(self, sub: Subscription) -> None:
        """The browser unsubscribed: from now on this endpoint answers 410 Gone."""
        with self._changed:
            self._state.subscriptions.pop(sub.id, None)

    def hold(self, sub: Subscription) -> threading.Event:
        """Requests to this subscription are received, then left unanswered until the event is set."""
        event = threading.Event()
        with self._changed:
            self._state.held[sub.id] = event
        return event

    # What a test reads

    def received(self, sub: Subscription | None = None) -> list[Received]:
        with self._changed:
            return [r for r in self._state.received if sub is None or r.subscription_id == sub.id]

    def refused(self) -> list[Refused]:
        with self._changed:
            return list(self._state.refused)

    def wait_for(self, condition: Callable[[list[Received]], bool], timeout: float = 5.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        with self._changed:
            while not condition(list(self._state.received)):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"push service: condition not met; received {len(self._state.received)}, "
                                       f"refused {[r.reason for r in self._state.refused]}")
                self._changed.wait(left)
            return list(self._state.received)

    # The endpoint

    def _handler(self):
        service = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real push services

            def log_message(self, *args) -> None:  # quiet
                pass

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                match = re.fullmatch(r"/push/([0-9a-f]{32})", self.path)
                sub_id = match.group(1) if match else ""
                status, retry_after = service._receive(sub_id, dict(self.headers.items()), body)
                self.send_response(status)
                if status == 201:
                    self.send_header("Location", f"{service.origin}/message/{uuid.uuid4().hex}")
                if retry_after is not None:
                    self.send_header("Retry-After", retry_after)
                self.send_header("Content-Length", "0")
                self.end_headers()

        return Handler

    def _receive(self, sub_id: str, headers: dict[str, str], body: bytes) -> tuple[int, str | None]:
        arrived = time.time()
        headers = {k.lower(): v for k, v in headers.items()}
        with self._changed:
            sub = self._state.subscriptions.get(sub_id)
        if sub is None:
            return 410 if sub_id else 404, None
        try:
            claims, key = self._check_vapid(headers.get("authorization", ""))
            if headers.get("content-encoding") != "aes128gcm":
                raise ValueError(f"content-encoding {headers.get('content-encoding')!r}")
            payload = http_ece.decrypt(body, private_key=sub.private_key, auth_secret=sub.auth, version="aes128gcm")
        except (ValueError, InvalidSignature, http_ece.ECEException) as exc:
            with self._changed:
                self._state.refused.append(Refused(sub_id, f"{type(exc).__name__}: {exc}"))
                self._changed.notify_all()
            return 403 if isinstance(exc, InvalidSignature) or "vapid" in str(exc).lower() else 400, None
        with self._changed:
            queued = self._state.answers.get(sub_id) or []
            status, retry_after = queued.pop(0) if queued else (201, None)
            held = self._state.held.get(sub_id)
            self._state.received.append(Received(
                sub_id, arrived, headers.get("urgency"), headers.get("ttl"), headers.get("content-encoding"),
                payload, claims, key, status,
            ))
            self._changed.notify_all()
        if held is not None:
            held.wait(timeout=30)
        return status, retry_after

    def _check_vapid(self, authorization: str) -> tuple[dict, str]:
        scheme, _, params = authorization.partition(" ")
        if scheme.lower() != "vapid":
            raise ValueError("vapid: no `Authorization: vapid` header")
        fields = dict(p.strip().split("=", 1) for p in params.split(",") if "=" in p)
        token, key = fields.get("t", ""), fields.get("k", "")
        if self.server_key is not None and key != self.server_key:
            raise ValueError("vapid: k is not the server's key")
        parts = token.split(".")
        if len(parts) != 3:
            raise ValueError("vapid: t is not a JWT")
        header = json.loads(unb64url(parts[0]))
        if header.get("alg") != "ES256":
            raise ValueError("vapid: alg is not ES256")
        signature = unb64url(parts[2])
        if len(signature) != 64:
            raise InvalidSignature()
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(key))
        public.verify(
            encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")),
            f"{parts[0]}.{parts[1]}".encode(),
            ec.ECDSA(hashes.SHA256()),
        )
        claims = json.loads(unb64url(parts[1]))
        if claims.get("aud") != self.origin:
            raise ValueError(f"vapid: aud {claims.get('aud')!r} is not {self.origin}")
        if not time.time() < int(claims.get("exp", 0)) <= time.time() + 24 * 3600:
            raise ValueError("vapid: exp is not within the next 24 hours")
        if not SUBJECT.match(str(claims.get("sub", ""))):
            raise ValueError("vapid: sub is not a mailto: or https: URL")
        return claims, key

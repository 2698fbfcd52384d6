"""Web Push, the transport: the server's VAPID key, and posting one encrypted message to one endpoint.

Nothing here knows about alerts (server/alerts.py) or threads (server/alert_worker.py). The VAPID key
is the server's identity to push services (RFC 8292); it signs a short-lived JWT on every request.
It never leaves the data directory and is never logged.
"""

from __future__ import annotations

import base64
import email.utils
import logging
import os
import threading
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid, VapidException
from pywebpush import WebPushException, webpush

from server import clock
from sync import keyfiles
from sync.signing import public_bytes

log = logging.getLogger("lantern")

# How long a push service keeps an alert for a phone that is off or out of signal. An hour: longer
# than that, the escalation schedule has sent newer pushes anyway.
TTL_SECONDS = 3600
TIMEOUT_SECONDS = 10
MAX_RETRY_AFTER = 3600


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def check_subject(subject: str) -> None:
    """py_vapid's own rule for the JWT `sub` claim, tried at start rather than failing every alert."""
    try:
        Vapid(ec.generate_private_key(ec.SECP256R1())).sign({"sub": subject, "aud": "https://push.example.org"})
    except VapidException:
        raise ValueError(
            "LANTERN_VAPID_SUBJECT must be a mailto: address or an https: URL a push service can reach you at"
        ) from None


def load_or_create_key(path: Path) -> Vapid:
    """The VAPID key pair: made once, at first start, then the same for the server's whole life
    (every browser subscription is bound to its public half)."""
    try:
        key = keyfiles.load(path)
    except FileNotFoundError:
        key = keyfiles.new_key()
        try:
            _create(path, key)
            log.info("made a new VAPID key in %s", path)
        except FileExistsError:  # another process made it first: use theirs
            key = keyfiles.load(path)
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        path.chmod(0o600)
        log.warning("%s was readable by others (mode %o): made it owner-only", path, mode)
    return Vapid(key)


def _create(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    """Written in full beside the final name, then linked into place: a crash half way leaves no
    half-written key to trip over, and os.link refuses to replace a key another process made."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    data = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def application_server_key(vapid: Vapid) -> str:
    """What browsers pass to pushManager.subscribe(): the raw public point, base64url, no padding."""
    return b64url(public_bytes(vapid.public_key))


@dataclass(frozen=True)
class Outcome:
    """What became of one POST. status None: no answer (refused connection, timeout, bad address)."""

    status: int | None
    left_at: float | None  # when the request was handed to the socket, by the poster's clock
    retry_after: float | None = None
    error: str = ""  # an exception's type name when there was no answer; never its message


class _TimedSession(requests.Session):
    """Notes the moment each request leaves: the end of the latency the bench measures."""

    def __init__(self, clock: Callable[[], float]) -> None:
        super().__init__()
        self._clock = clock
        self.left_at: float | None = None
        # A push service answers, it does not redirect; following one would turn the POST into a GET
        # and could lead the server to an address nobody registered.
        self.max_redirects = 0
        # Without proxy settings in the environment, do not read the environment (and ~/.netrc) again
        # on every request: that was a third of a push's time before it left. With them, honour them.
        self.trust_env = bool(urllib.request.getproxies())

    def send(self, request, **kwargs):
        self.left_at = self._clock()
        return super().send(request, **kwargs)


class Poster:
    """Posts Web Push messages: aes128gcm (RFC 8291), VAPID (RFC 8292), `Urgency: high`, a TTL.

    Safe to call from many threads: each thread keeps its own HTTP session (connections to a push
    service are reused, which saves a TLS handshake on every alert).
    """

    def __init__(self, vapid: Vapid, subject: str, *, clock: Callable[[], float] = clock.now,
                 timeout: float = TIMEOUT_SECONDS) -> None:
        check_subject(subject)
        self.vapid = vapid
        self.subject = subject
        self.clock = clock
        self.timeout = timeout
        self._local = threading.local()

    def _session(self) -> _TimedSession:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = _TimedSession(self.clock)
        return session

    def post(self, endpoint: str, p256dh: bytes, auth: bytes, payload: bytes) -> Outcome:
        session = self._session()
        session.left_at = None
        subscription = {"endpoint": endpoint, "keys": {"p256dh": b64url(p256dh), "auth": b64url(auth)}}
        try:
            response = webpush(
                subscription,
                data=payload,
                vapid_private_key=self.vapid,
                # webpush() writes aud and exp into the dict it is given: a fresh one every time,
                # or one push service's audience would be sent to the next.
                vapid_claims={"sub": self.subject},
                content_encoding="aes128gcm",
                ttl=TTL_SECONDS,
                headers={"Urgency": "high"},
                timeout=self.timeout,
                requests_session=session,
            )
        except WebPushException as exc:
            if exc.response is None:  # refused before sending (a key pywebpush cannot use)
                return Outcome(None, session.left_at, error="WebPushException")
            return Outcome(exc.response.status_code, session.left_at, retry_after(exc.response.headers.get("Retry-After")))
        except requests.RequestException as exc:
            # The exception's text names the endpoint, a capability URL: keep only its type.
            return Outcome(None, session.left_at, error=type(exc).__name__)
        return Outcome(response.status_code, session.left_at)


def retry_after(value: str | None) -> float | None:
    """Retry-After as seconds from now: delay-seconds or an HTTP date (RFC 9110), bounded."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        seconds = float(value)
    else:
        try:
            seconds = email.utils.parsedate_to_datetime(value).timestamp() - clock.now()
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)

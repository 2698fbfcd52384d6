"""Web Push subscriptions: one per team device, registered by the device itself (docs/protocol.md).

An endpoint is a capability URL (whoever knows it can push to that browser): it is stored, used, and
never logged, shown or returned.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from server.clock import iso
from server.db import Db
from server.devices import Device
from server.errors import Refused
from server.schools import TEAM_ROLES
from server.webpush import b64url_decode
from sync import wire
from sync.signing import public_key_from_bytes

LOOPBACK = {"127.0.0.1", "::1", "localhost"}


def check_endpoint(endpoint: str, allow_http: bool) -> None:
    """https to any host; http only with LANTERN_PUSH_ALLOW_HTTP=1 (a development push service)."""
    try:
        parts = urlsplit(endpoint)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError:
        raise Refused("invalid_subscription", "the endpoint is not a URL") from None
    if not parts.hostname or parts.username is not None or parts.fragment:
        raise Refused("invalid_subscription", "the endpoint must be a plain https URL, with no user name or fragment")
    if parts.scheme == "https":
        return
    if parts.scheme == "http" and allow_http:
        return
    raise Refused("invalid_subscription", "push endpoints must be https")


def subscribe(db: Db, device: Device, subscription: wire.PushSubscription, *, allow_http: bool) -> None:
    """Stores or replaces this device's subscription. Only the safeguarding team receives alerts."""
    if device.role not in TEAM_ROLES:
        raise Refused("not_team", "only the safeguarding team receives urgent alerts")
    check_endpoint(subscription.endpoint, allow_http)
    p256dh = b64url_decode(subscription.keys.p256dh)
    auth = b64url_decode(subscription.keys.auth)
    try:
        public_key_from_bytes(p256dh)
    except ValueError:
        raise Refused("invalid_key", "keys.p256dh is not a P-256 point") from None
    with db.write() as s:
        # An endpoint reaches one browser. If another enrolment registered it before (the same
        # browser enrolled again), the newest registration wins, so that browser is pushed once.
        s.execute(
            "DELETE FROM push_subscriptions WHERE endpoint = ? AND device_key_id != ?",
            [subscription.endpoint, device.key_id],
        )
        s.execute(
            """INSERT INTO push_subscriptions (device_key_id, school_id, endpoint, p256dh, auth, created_at)
               VALUES (?, ?, ?, ?, ?, ?)
               ON CONFLICT (device_key_id) DO UPDATE SET endpoint = excluded.endpoint,
                   p256dh = excluded.p256dh, auth = excluded.auth, created_at = excluded.created_at""",
            [device.key_id, str(device.school_id), subscription.endpoint, p256dh, auth, iso()],
        )


def unsubscribe(db: Db, device: Device) -> None:
    """Removes this device's subscription, if it has one."""
    with db.write() as s:
        s.execute("DELETE FROM push_subscriptions WHERE device_key_id = ?", [device.key_id])


def is_subscribed(db: Db, device_key_id: str) -> bool:
    with db.read() as s:
        return s.execute("SELECT 1 FROM push_subscriptions WHERE device_key_id = ?", [device_key_id]).fetchone() is not None

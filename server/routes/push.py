"""Web Push: the server's VAPID public key, and a team device's subscription (docs/protocol.md)."""

from __future__ import annotations

from litestar import delete, get, post
from litestar.datastructures import State
from litestar.params import JSONBody

from server import subscriptions
from server.routes.errors import error_responses
from server.routes import SIGNED, DbDep, DeviceDep
from sync.wire import PushKey, PushSubscription, SubscriptionState


# Nothing to refuse: the key is public, made at first start. 500 is declared as for any route.
@get("/api/v1/push/key", sync_to_thread=False, tags=["push"], responses=error_responses(500))
def push_key(state: State) -> PushKey:
    """The applicationServerKey a device passes to pushManager.subscribe()."""
    return PushKey(public_key=state.vapid_public_key)


@post(
    "/api/v1/push/subscriptions",
    sync_to_thread=True,
    status_code=200,
    tags=["push"],
    security=SIGNED,
    responses=error_responses(400, 401, 403, 429),
)
def subscribe(db: DbDep, device: DeviceDep, state: State, data: JSONBody[PushSubscription]) -> SubscriptionState:
    """Registers this team device's push subscription for urgent alerts, replacing any it had."""
    subscriptions.subscribe(db, device, data, allow_http=state.push_allow_http)
    return SubscriptionState(subscribed=True)


@delete(
    "/api/v1/push/subscriptions",
    sync_to_thread=True,
    status_code=200,
    tags=["push"],
    security=SIGNED,
    responses=error_responses(401, 403, 429),
)
def unsubscribe(db: DbDep, device: DeviceDep) -> SubscriptionState:
    """Removes this device's push subscription (no error if it had none)."""
    subscriptions.unsubscribe(db, device)
    return SubscriptionState(subscribed=False)

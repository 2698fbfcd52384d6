"""create_app(): the Litestar application, its database and the PWA it serves."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme

from server import clock, continuity, webpush
from server.static import Assets
from server.alert_worker import BackgroundSender, Scheduler
from server.db import Db, open_database
from server.demo import ensure_demo_school
from server.metrics import Metrics
from server.routes.errors import EXCEPTION_HANDLERS
from server.ratelimit import RateLimiter
from server.routes import authenticated_device, only_json_bodies
from server.routes.app_files import app_file
from server.routes.limits import bounded_heads
from server.routes.metrics import scrape
from server.routes.observe import envelopes_counter, observed
from server.routes.calendar import calendar
from server.routes.codes import people, store_code
from server.routes.devices import device_key, leave
from server.routes.enrol import demo, demo_code, enrol
from server.routes.envelopes import pull, push, receipts, status
from server.routes.health import healthz
from server.routes.keyring import keyring, keyring_draft, keyring_publish
from server.routes.push import push_key, subscribe, unsubscribe
from server.routes.recipient_keys import register_recipient_key
from server.routes.reminders import set_reminders
from server.routes.views import record_views, view_trail
from server.routes.roster import fetch_roster, missing_roster, publish_roster, register_roster_key
from server.settings import Settings
from sync.wire import MAX_BODY

ROUTES = [
    healthz, enrol, demo, demo_code, keyring, keyring_draft, keyring_publish, device_key, leave, push, pull,
    receipts, status, push_key, subscribe, unsubscribe, register_recipient_key,
    register_roster_key, publish_roster, fetch_roster, missing_roster, calendar, set_reminders,
    record_views, view_trail, people, store_code, scrape,
]


def create_app(settings: Settings) -> Litestar:
    metrics = Metrics(sqlite=not settings.database)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        db = open_database(settings.database_target, settings.max_database_pages)
        app.state.db = db
        app.state.database_id = continuity.database_id(db)
        continuity.raise_seq_floor(db, clock.now())
        sender = scheduler = None
        try:
            if settings.demo:
                ensure_demo_school(db, settings.data_dir)
            vapid = webpush.load_or_create_key(settings.vapid_key_path)
            app.state.vapid_public_key = webpush.application_server_key(vapid)
            # Urgent alerts: pushes leave from the sender's threads, never from a request's; the
            # scheduler resumes whatever the last process left unfinished, then runs the schedule.
            sender = BackgroundSender(db, webpush.Poster(vapid, settings.vapid_subject), observe=metrics.alert_answered)
            app.state.alert_sender = sender
            scheduler = Scheduler(db, sender)
            scheduler.start()
            yield
        finally:
            if scheduler is not None:
                scheduler.stop()
            if sender is not None:
                sender.close()  # before the database closes: it records the last answers
            db.close()

    def provide_db(state: State) -> Db:
        return state.db

    app = Litestar(
        route_handlers=[*ROUTES, app_file],
        dependencies={
            "db": Provide(provide_db, sync_to_thread=False),
            "device": Provide(authenticated_device),
        },
        exception_handlers=EXCEPTION_HANDLERS,
        before_request=only_json_bodies,
        after_request=envelopes_counter(metrics),
        middleware=[bounded_heads],
        lifespan=[lifespan],
        state=State(
            {
                "demo": settings.demo,
                "data_dir": settings.data_dir,
                # The app's files, compressed once per version (server/static.py). The API is not
                # compressed: envelopes are ciphertext, and pulls must cost the server nothing more.
                "assets": Assets(settings.pwa_dir),
                "push_allow_http": settings.push_allow_http,
                "enrol_limiter": RateLimiter(settings.enrol_per_minute, burst=settings.enrol_per_minute),
                "device_limiter": RateLimiter(settings.device_per_minute, burst=settings.device_per_minute),
                "metrics": metrics,
            }
        ),
        openapi_config=OpenAPIConfig(
            title="Lantern",
            version="0.1.0",
            description="Stores and relays sealed safeguarding notes. See docs/api.md and docs/protocol.md.",
            components=Components(
                security_schemes={
                    "deviceSignature": SecurityScheme(
                        type="apiKey",
                        name="Lantern-Signature",
                        security_scheme_in="header",
                        description="ECDSA P-256 signature of the request by the enrolled device, with the "
                        "Lantern-Device, Lantern-Date and Lantern-Nonce headers (docs/protocol.md).",
                    )
                }
            ),
        ),
        request_max_body_size=MAX_BODY,
        # Logging is `lantern serve`'s to set up, as JSON lines (server/logs.py); Litestar's own
        # configuration would give its logger a handler and a format of its own.
        logging_config=None,
    )
    # Around the router, so that every request has an id and an access line (server/routes/observe.py).
    app.asgi_handler = observed(app.asgi_handler, metrics)
    return app

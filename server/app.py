"""create_app(): the Litestar application, its database and the PWA it serves."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.static_files import create_static_files_router

from server.db import open_database
from server.demo import ensure_demo_school
from server.errors import EXCEPTION_HANDLERS
from server.routes.demo import demo_enrol
from server.routes.envelopes import push
from server.routes.health import healthz
from server.routes.schools import SchoolController
from server.settings import Settings
from server.store import Store
from sync.wire import MAX_BODY


def create_app(settings: Settings) -> Litestar:
    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        db = open_database(settings.database_path)
        app.state.store = Store(db)
        if settings.demo:
            ensure_demo_school(app.state.store, settings.data_dir)
        try:
            yield
        finally:
            db.close()

    def provide_store() -> Store:
        return app.state.store

    pwa = create_static_files_router(
        path="/",
        directories=[settings.pwa_dir],
        html_mode=True,
        include_in_schema=False,
        # The service worker and the app shell must be revalidated, or an update never arrives.
        cache_control=None,
    )
    app = Litestar(
        route_handlers=[healthz, SchoolController, push, demo_enrol, pwa],
        dependencies={"store": Provide(provide_store, sync_to_thread=False)},
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=[lifespan],
        openapi_config=OpenAPIConfig(title="Lantern", version="0.1.0"),
        request_max_body_size=MAX_BODY,
    )
    return app

"""The HTTP API, one module per resource (docs/api.md describes each route and error code)."""

from litestar.di import NamedDependency

from server.store import Store

# The one dependency every route takes: the store, provided by server.app from app.state.
StoreDep = NamedDependency[Store]

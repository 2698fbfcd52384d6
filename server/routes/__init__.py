"""The HTTP API, one module per resource (docs/api.md describes each route and error code)."""

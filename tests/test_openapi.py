"""The served OpenAPI schema is complete and true: every route's refusals and its signature."""

from __future__ import annotations

import httpx

from server.errors import STATUS
from tests.conftest import BOTH_DATABASES

pytestmark = BOTH_DATABASES  # the server suite: on SQLite and on PostgreSQL


def test_every_route_declares_its_refusals_with_the_error_body(server):
    schema = httpx.get(server.url + "/schema/openapi.json").json()
    assert schema["components"]["schemas"]["Error"]["required"] == ["error"]
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            errors = {int(s): r for s, r in operation["responses"].items() if int(s) >= 400}
            assert errors, f"{method} {path} declares no refusal"
            for status, response in errors.items():
                assert status in STATUS.values(), f"{method} {path}: {status} is no Lantern status"
                ref = response["content"]["application/json"]["schema"]["$ref"]
                assert ref == "#/components/schemas/Error", f"{method} {path} {status}"


def test_signed_routes_say_so_and_unsigned_ones_do_not(server):
    schema = httpx.get(server.url + "/schema/openapi.json").json()
    assert "deviceSignature" in schema["components"]["securitySchemes"]
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            signed = operation.get("security") == [{"deviceSignature": []}]
            answer = httpx.request(method.upper(), server.url + path.replace("{key_id}", "0" * 64))
            refused_unsigned = answer.status_code == 401 and answer.json()["error"] == "unauthenticated"
            assert signed == refused_unsigned, f"{method} {path}"

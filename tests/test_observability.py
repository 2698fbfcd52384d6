"""Logs and metrics (docs/admin.md, "Logs and metrics"), from a real server process: its log is one JSON
object a line, each request's lines carry its id, and nothing personal or secret is in any of them;
GET /metrics answers a scraper on the same machine, and no one else."""

from __future__ import annotations

import base64
import json
import logging
import re
import sys
import time

import httpx
import msgspec
import pytest
from litestar.testing import create_test_client
from prometheus_client.parser import text_string_to_metric_families

from server.db import DatabaseProblem
from server.logs import JsonFormatter
from server.routes.errors import EXCEPTION_HANDLERS
from server.routes.metrics import scrape
from server.routes.observe import request_id_of
from sync import signing, wire
from sync.requests import sign_request
from tests.conftest import BOTH_DATABASES
from tests.pushservice import PushService
from tests.test_push_api import subscribed, wait_until

MARKER = b"observability-marker-8c1f"
NOTE = b"Child said her brother hits her when their mum is at work " + MARKER
GENERATED_ID = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def service():
    with PushService() as running:
        yield running


def lines(server) -> list:
    """The server's log, each whole line decoded (the last may still be being written)."""
    return [json.loads(line) for line in server.log.read_text().split("\n")[:-1]]


def access_line(server, request_id: str) -> dict:
    """The access line of the request with this id, once written (just after the answer has left)."""
    deadline = time.monotonic() + 5
    while not (found := [line for line in lines(server)
                         if line["logger"] == "lantern.access" and line.get("request_id") == request_id]):
        assert time.monotonic() < deadline, f"no access line for {request_id}"
        time.sleep(0.02)
    assert len(found) == 1, found
    return found[0]


def signed(server, client, method: str, path: str, body: bytes = b"") -> httpx.Response:
    """A signed request sent by hand, so that a test sees the answer's headers."""
    headers = {**({"content-type": "application/json"} if body else {}), **sign_request(client.device, method, path, body)}
    return httpx.request(method, server.url + path, content=body, headers=headers)


def push(server, client, note: bytes) -> httpx.Response:
    body = msgspec.json.encode(wire.PushRequest(envelopes=[note]))
    answer = signed(server, client, "POST", "/api/v1/envelopes", body)
    assert answer.status_code == 200, answer.text
    return answer


def metrics(server) -> dict[tuple, float]:
    answer = httpx.get(server.url + "/metrics")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
    return {(s.name, *sorted(s.labels.items())): s.value
            for family in text_string_to_metric_families(answer.text) for s in family.samples}


def sample(samples: dict, name: str, **labels: str) -> float | None:
    return samples.get((name, *sorted(labels.items())))


# Logs


def test_every_line_is_a_json_object_and_a_push_has_an_access_line_with_its_request_id(server):
    staff = server.enrolled("staff")
    answer = push(server, staff, staff.seal(NOTE))
    request_id = answer.headers["x-request-id"]
    assert GENERATED_ID.fullmatch(request_id)

    line = access_line(server, request_id)
    assert (line["logger"], line["level"], line["method"], line["route"], line["status"]) == (
        "lantern.access", "info", "POST", "/api/v1/envelopes", 200)
    assert isinstance(line["duration_ms"], float) and 0 < line["duration_ms"] < 10_000
    assert line["message"] == "POST /api/v1/envelopes 200"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", line["time"])

    logged = lines(server)
    assert len(logged) > 5  # every line, the startup lines too
    assert all(isinstance(each, dict) and {"time", "level", "logger", "message"} <= each.keys() for each in logged)
    assert any(each["message"].startswith("Lantern is starting: open ") for each in logged)
    assert any(each["logger"] == "uvicorn.error" for each in logged)
    # Another request, another id.
    assert push(server, staff, staff.seal(b"another note")).headers["x-request-id"] != request_id


def test_a_safe_request_id_from_a_proxy_is_kept_and_any_other_replaced(server):
    given = "caddy-7f3e.9A_b"
    answer = httpx.get(server.url + "/healthz", headers={"x-request-id": given})
    assert answer.headers["x-request-id"] == given
    assert access_line(server, given)["route"] == "/healthz"

    for unsafe in ["a" * 65, "two words", 'quote"d', "forged\\nline", "<script>", b"caf\xc3\xa9", ""]:
        answer = httpx.get(server.url + "/healthz", headers={"x-request-id": unsafe})
        replaced = answer.headers["x-request-id"]
        assert GENERATED_ID.fullmatch(replaced), unsafe
        assert access_line(server, replaced)["status"] == 200
    # A newline cannot cross the wire inside a header value (it would end the header), so here it is
    # given to the function that reads the header.
    assert GENERATED_ID.fullmatch(request_id_of([(b"x-request-id", b"forged\n{\"level\": \"error\"}")]))

    # A request no route takes has an id and an access line too, without its path.
    answer = httpx.post(server.url + "/api/v1/nowhere?record=1", content=b"{}")
    assert answer.status_code in (404, 405) and GENERATED_ID.fullmatch(answer.headers["x-request-id"])
    assert "nowhere" not in json.dumps(access_line(server, answer.headers["x-request-id"]))
    assert "a" * 65 not in server.log.read_text() and "two words" not in server.log.read_text()


@BOTH_DATABASES
def test_nothing_personal_or_secret_is_logged(server):
    staff, dsl = server.enrolled("staff"), server.enrolled("dsl")
    note = staff.seal(NOTE)
    staff_key_id = signing.key_id(staff.device.public_key()).hex()
    ids = [push(server, staff, note).headers["x-request-id"]]
    pull = signed(server, dsl, "GET", "/api/v1/envelopes?after=0&limit=50")
    assert len(pull.json()["envelopes"]) == 1
    ids.append(pull.headers["x-request-id"])
    device = signed(server, dsl, "GET", f"/api/v1/devices/{staff_key_id}")  # a key id in the path
    assert device.status_code == 200
    ids.append(device.headers["x-request-id"])

    access = [access_line(server, rid) for rid in ids]
    assert [line["route"] for line in access] == ["/api/v1/envelopes", "/api/v1/envelopes", "/api/v1/devices/{key_id}"]
    for line in access:  # exactly these fields: no address, no header, no path, no body
        assert line.keys() == {"time", "level", "logger", "message", "request_id", "method", "route", "status",
                               "duration_ms"}
    text = server.log.read_text()
    assert "127.0.0.1" not in json.dumps(access)
    assert MARKER.decode() not in text and base64.b64encode(note)[:40].decode() not in text
    assert staff_key_id not in text and staff_key_id[:16] not in text
    assert "after=" not in text and "limit=50" not in text
    if server.database_url:
        assert server.database_url not in text and "postgresql://" not in text


def logged(exception: Exception) -> dict:
    def fail():
        raise exception

    try:
        fail()
    except Exception:
        record = logging.getLogger("lantern").makeRecord("lantern", logging.ERROR, __file__, 1, "push failed", (),
                                                         exc_info=sys.exc_info())
    return json.loads(JsonFormatter().format(record))


def test_an_exception_is_logged_by_its_type_and_frames_and_only_lantern_s_own_with_its_message():
    line = logged(ValueError("the value was " + MARKER.decode()))
    assert line["message"] == "push failed" and line["level"] == "error"
    assert line["traceback"].startswith("Traceback (most recent call last):") and line["traceback"].endswith("ValueError")
    assert "in fail" in line["traceback"] and MARKER.decode() not in json.dumps(line)
    # Lantern's own are sentences for the person running it, written to quote nothing.
    line = logged(DatabaseProblem("Lantern cannot reach its PostgreSQL database lantern on db:5432"))
    assert line["traceback"].endswith("DatabaseProblem: Lantern cannot reach its PostgreSQL database lantern on db:5432")


# Metrics


def test_metrics_count_requests_by_route_and_status_and_show_the_disk(server):
    staff, dsl = server.enrolled("staff"), server.enrolled("dsl")
    push(server, staff, staff.seal(NOTE))
    assert len(list(dsl.pull_all())) == 1
    dsl.lookup_device(signing.key_id(staff.device.public_key()))

    samples = metrics(server)
    assert sample(samples, "lantern_requests_total", route="/api/v1/envelopes", method="POST", status="200") == 1
    assert sample(samples, "lantern_requests_total", route="/api/v1/envelopes", method="GET", status="200") >= 1
    assert sample(samples, "lantern_requests_total", route="/api/v1/devices/{key_id}", method="GET", status="200") == 1
    assert sample(samples, "lantern_request_seconds_count", route="/api/v1/envelopes", method="POST") == 1
    assert 0 < sample(samples, "lantern_request_seconds_sum", route="/api/v1/envelopes", method="POST") < 10
    assert sample(samples, "lantern_sync_envelopes_total", direction="pushed") == 1
    assert sample(samples, "lantern_sync_envelopes_total", direction="pulled") == 1
    assert sample(samples, "lantern_disk_free_bytes") > 0
    assert sample(samples, "lantern_storage_full") == 0
    assert sample(samples, "lantern_alert_deliveries_total", outcome="delivered") == 0
    # No label holds an id.
    values = [value for key in samples for _, value in key[1:]]
    assert not [v for v in values if re.search(r"[0-9a-f]{16}|\?", v)]


def test_metrics_answer_only_a_client_on_this_machine_not_through_the_proxy(server):
    not_there = httpx.get(server.url + "/no-such-page")
    assert (not_there.status_code, not_there.json()["error"]) == (404, "not_found")
    for header in ({"x-forwarded-for": "203.0.113.7"}, {"forwarded": "for=203.0.113.7"}, {"x-real-ip": "203.0.113.7"}):
        answer = httpx.get(server.url + "/metrics", headers=header)
        assert (answer.status_code, answer.json()) == (404, not_there.json()), header
    assert httpx.get(server.url + "/metrics").status_code == 200
    assert "/metrics" not in httpx.get(server.url + "/schema/openapi.json").json()["paths"]


def test_metrics_refuse_a_client_elsewhere():
    # The test client's address is "testclient", not loopback: as from another machine.
    with create_test_client(route_handlers=[scrape], exception_handlers=EXCEPTION_HANDLERS) as client:
        answer = client.get("/metrics")
    assert (answer.status_code, answer.json()["error"]) == (404, "not_found")


def test_alert_deliveries_are_counted_and_timed_from_the_note_on_disk(server, service):
    staff = server.enrolled("staff")
    service.server_key = staff.push_key()
    _, sub = subscribed(server, service, "dsl")
    staff.push([staff.seal(b"urgent: counted", urgent=True)])
    wait_until(lambda: sample(metrics(server), "lantern_alert_deliveries_total", outcome="delivered") == 1)
    samples = metrics(server)
    assert sample(samples, "lantern_alert_delivery_seconds_count") == 1
    assert 0 < sample(samples, "lantern_alert_delivery_seconds_sum") < 2
    assert sample(samples, "lantern_alert_delivery_seconds_bucket", le="1.0") == 1

    # The push service fails the next one once: a retry, then delivered; only the first answer is
    # timed from the note on disk (a retry's wait is the backoff's, not the server's).
    service.answer(sub, 500)
    staff.push([staff.seal(b"urgent: retried", urgent=True)])
    wait_until(lambda: sample(metrics(server), "lantern_alert_deliveries_total", outcome="delivered") == 2, timeout=10)
    samples = metrics(server)
    assert sample(samples, "lantern_alert_deliveries_total", outcome="retry") == 1
    assert sample(samples, "lantern_alert_deliveries_total", outcome="failed") == 0
    assert sample(samples, "lantern_alert_delivery_seconds_count") == 2
    assert service.origin not in server.log.read_text()

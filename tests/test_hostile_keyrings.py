"""A hostile server on the wire: tests/hostile/proxy.py stands between a real Python client and a real
Lantern server and lies about the keyring; the client must refuse each lie and keep what it had.

Each lie is told by a rule that counts its uses, and each test first makes the same call with no lie
told and sees it succeed: a refusal then proves the client caught the proxy's change, not that the
call was failing anyway.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import httpx
import msgspec
import pytest

from server import keyrings, schools
from server.sql import insert
from sync import keyfiles, keyring, signing, wire
from sync.client import Client
from sync.ids import uuid7
from sync.signing import public_bytes
from tests.hostile.proxy import Exchange, HostileProxy, Lie, json_body, replica, set_json
from tests.test_auth import publish_next
from tests.conftest import BOTH_DATABASES

pytestmark = BOTH_DATABASES  # the server suite: on SQLite and on PostgreSQL

ENROL = "/api/v1/enrol"
KEYRING = "/api/v1/keyring"


def enrolled_through(proxy: HostileProxy, server, role: str = "staff") -> Client:
    client = Client(proxy.url)
    client.enrol(server.code_for(role))
    return client


def refusal(call) -> keyring.KeyringError:
    with pytest.raises(keyring.KeyringError) as raised:
        call()
    return raised.value


def resigned(signed: keyring.SignedKeyring, key) -> keyring.SignedKeyring:
    return keyring.SignedKeyring(signed.payload, signing.sign(key, keyring.LABEL, signed.payload))


def serve_keyring(signed: keyring.SignedKeyring):
    """An answer for GET /api/v1/keyring the server never gave."""

    def fn(ex: Exchange) -> None:
        ex.status, ex.headers = 200, {}
        set_json(ex, signed)

    return fn


# The enrolment answer


def test_an_enrolment_naming_another_trust_key_is_refused(server, hostile):
    assert enrolled_through(hostile, server).trust_public_key == public_bytes(server.demo_key("trust").public_key())
    impostor = public_bytes(keyfiles.new_key().public_key())

    def other_trust_key(ex: Exchange) -> None:
        set_json(ex, msgspec.structs.replace(json_body(ex, wire.Enrolment), trust_public_key=impostor))

    lie = Lie(other_trust_key)
    hostile.rule("POST", ENROL, lie, times=1)
    client = Client(hostile.url)
    assert refusal(lambda: client.enrol(server.code_for("staff"))).code == "trust_key_mismatch"
    assert lie.told == 1 and hostile.seen[-1] == ("POST", ENROL, 200)
    assert client.school_id is None and client.trust_public_key is None and client.accepted_keyring is None


def test_an_enrolment_keyring_signed_by_another_key_is_refused(server, hostile):
    assert enrolled_through(hostile, server).accepted_payload().version == 1
    forger = keyfiles.new_key()

    def forged_keyring(ex: Exchange) -> None:
        enrolment = json_body(ex, wire.Enrolment)
        set_json(ex, msgspec.structs.replace(enrolment, keyring=resigned(enrolment.keyring, forger)))

    lie = Lie(forged_keyring)
    hostile.rule("POST", ENROL, lie, times=1)
    client = Client(hostile.url)
    assert refusal(lambda: client.enrol(server.code_for("staff"))).code == "keyring_bad_signature"
    assert lie.told == 1 and hostile.seen[-1] == ("POST", ENROL, 200)
    assert client.school_id is None and client.trust_public_key is None and client.accepted_keyring is None


# GET /api/v1/keyring


def test_a_keyring_signed_by_another_key_is_refused_and_the_held_one_kept(server, hostile):
    staff = enrolled_through(hostile, server)
    assert staff.keyring().version == 1
    held = staff.accepted_keyring
    db = server.db()
    next_version = keyrings.draft(db, server.demo_school_id())
    db.close()
    lie = Lie(serve_keyring(keyring.sign(next_version, keyfiles.new_key())))
    hostile.answer("GET", KEYRING, lie, times=1)
    assert refusal(staff.keyring).code == "keyring_bad_signature"
    assert lie.told == 1 and hostile.seen[-1] == ("GET", KEYRING, 200)
    assert staff.accepted_keyring == held
    assert staff.keyring().version == 1  # the lie told once, the truth is believed again


def test_a_genuine_keyring_with_a_recipient_key_swapped_is_refused(server, hostile):
    staff = enrolled_through(hostile, server)
    assert staff.keyring().version == 1
    held = staff.accepted_keyring
    swapped_in = public_bytes(keyfiles.new_key().public_key())

    def swap_recipient(ex: Exchange) -> None:
        # Only the signature can catch this one: a newer version, the recipient's key id consistent
        # with its new key, the genuine signature kept.
        genuine = json_body(ex, keyring.SignedKeyring)
        payload = msgspec.json.decode(genuine.payload, type=keyring.KeyringPayload)
        recipients = list(payload.recipients)
        target = next(i for i, r in enumerate(recipients) if r.role == "dsl")
        recipients[target] = msgspec.structs.replace(
            recipients[target], public_key=swapped_in, key_id=signing.key_id(swapped_in).hex()
        )
        payload = msgspec.structs.replace(payload, version=payload.version + 1, recipients=recipients)
        set_json(ex, keyring.SignedKeyring(msgspec.json.encode(payload), genuine.signature))

    lie = Lie(swap_recipient)
    hostile.rule("GET", KEYRING, lie, times=1)
    assert refusal(staff.keyring).code == "keyring_bad_signature"
    assert lie.told == 1 and hostile.seen[-1] == ("GET", KEYRING, 200)
    assert staff.accepted_keyring == held
    assert swapped_in not in [r.public_key for r in keyring.concern_recipients(staff.accepted_payload())]


def test_a_replayed_older_keyring_is_refused_and_the_newer_one_kept(server, hostile):
    staff = enrolled_through(hostile, server)
    recorded: list[Exchange] = []
    hostile.rule("GET", KEYRING, lambda ex: recorded.append(replica(ex)))
    assert staff.keyring().version == 1
    trust = server.demo_key("trust")
    publish_next(server, trust)
    assert staff.keyring().version == 2
    held = staff.accepted_keyring
    hostile.clear()
    version_1 = recorded[0]
    genuine = json_body(version_1, keyring.SignedKeyring)
    # What is replayed is the server's own, genuinely signed answer: only its age is wrong.
    assert keyring.verify(genuine, public_bytes(trust.public_key()), staff.school_id).version == 1

    def replay(ex: Exchange) -> None:
        ex.status, ex.headers, ex.body = version_1.status, dict(version_1.headers), version_1.body

    lie = Lie(replay)
    hostile.answer("GET", KEYRING, lie, times=1)
    assert refusal(staff.keyring).code == "keyring_rollback"
    assert lie.told == 1 and hostile.seen[-1] == ("GET", KEYRING, 200)
    assert staff.accepted_keyring == held and staff.accepted_payload().version == 2
    assert staff.keyring().version == 2


def another_school_keyring(server) -> keyring.SignedKeyring:
    """A second school whose keyring the demo trust key really signed, version 2 so that it is newer
    than anything the demo school's devices hold: only its school id is wrong for them."""
    trust = server.demo_key("trust")
    db = server.db()
    try:
        # The server refuses a second school with a trust key already used (server/schools.py); a
        # hostile server holds whatever schools it likes, so this one is written in directly.
        other = uuid7()
        with db.write() as s:
            insert(s, "schools", {"id": str(other), "name": "Another school", "demo": 0,
                                  "trust_public_key": public_bytes(trust.public_key())})
        for _ in range(2):
            signed = keyring.sign(keyrings.draft(db, other), trust)
            keyrings.publish(db, other, signed)
    finally:
        db.close()
    # Fetched as any device enrolled there could fetch it, to hand to the proxy.
    assert server.enrolled("staff", school_id=other).keyring().version == 2
    return signed


def test_a_keyring_for_another_school_is_refused_at_enrolment(server, hostile):
    assert enrolled_through(hostile, server).accepted_payload().school_id == server.demo_school_id()
    theirs = another_school_keyring(server)

    def other_school(ex: Exchange) -> None:
        set_json(ex, msgspec.structs.replace(json_body(ex, wire.Enrolment), keyring=theirs))

    lie = Lie(other_school)
    hostile.rule("POST", ENROL, lie, times=1)
    client = Client(hostile.url)
    refused = refusal(lambda: client.enrol(server.code_for("staff")))
    assert (refused.code, refused.detail) == ("keyring_invalid", "signed for another school")
    assert lie.told == 1 and hostile.seen[-1] == ("POST", ENROL, 200)
    assert client.school_id is None and client.accepted_keyring is None


def test_a_keyring_for_another_school_is_refused_and_the_held_one_kept(server, hostile):
    staff = enrolled_through(hostile, server)
    assert staff.keyring().version == 1
    held = staff.accepted_keyring
    theirs = another_school_keyring(server)
    assert msgspec.json.decode(theirs.payload, type=keyring.KeyringPayload).school_id != staff.school_id
    lie = Lie(lambda ex: set_json(ex, theirs))
    hostile.rule("GET", KEYRING, lie, times=1)
    refused = refusal(staff.keyring)
    assert (refused.code, refused.detail) == ("keyring_invalid", "signed for another school")
    assert lie.told == 1 and hostile.seen[-1] == ("GET", KEYRING, 200)
    assert staff.accepted_keyring == held and staff.school_id == server.demo_school_id()


# With no lie told, the proxy is the server


def raw_get(url: str, path: str, accept_encoding: str | None, method: str = "GET") -> tuple[httpx.Response, bytes]:
    """The answer and its body as it travelled: not decoded, no accept-encoding unless one is given."""
    with httpx.Client() as http:
        request = http.build_request(method, url + path)
        del request.headers["accept-encoding"]
        if accept_encoding is not None:
            request.headers["accept-encoding"] = accept_encoding
        response = http.send(request, stream=True)
        try:
            return response, b"".join(response.iter_raw())
        finally:
            response.close()


def without_date(response: httpx.Response) -> dict[str, str]:
    # Two requests may straddle a second, and each has its own request id; that the server's date is
    # the one passed on is checked apart.
    return {name: value for name, value in response.headers.items() if name not in ("date", "x-request-id")}


@pytest.mark.parametrize("accept_encoding", ["gzip", "identity", None])
def test_the_proxy_passes_the_app_through_byte_for_byte(server, hostile, accept_encoding):
    for method, path in [("GET", "/"), ("GET", "/sw.js"), ("GET", "/styles.css"), ("HEAD", "/"),
                         ("GET", "/no-such-file"), ("GET", "/api/v1/demo"), ("GET", "/healthz?x=1&y=%2F")]:
        direct, direct_body = raw_get(server.url, path, accept_encoding, method)
        proxied, proxied_body = raw_get(hostile.url, path, accept_encoding, method)
        assert proxied.status_code == direct.status_code, path
        assert proxied_body == direct_body, path
        assert without_date(proxied) == without_date(direct), path
        assert len(proxied.headers.get_list("date")) == 1
        assert hostile.seen[-1] == (method, path, direct.status_code)
    answer, body = raw_get(hostile.url, "/", accept_encoding)
    if answer.headers.get("content-encoding") == "gzip":
        body = gzip.decompress(body)
    assert body.startswith(b"<!")  # the page, not nothing


def test_a_note_goes_through_the_proxy_unchanged(server, hostile):
    demo = Client(hostile.url).demo_code()
    assert demo.link.startswith(hostile.url + "/")  # the server saw the client's Host
    staff = Client(hostile.url)
    staff.enrol(demo.code)
    dsl = enrolled_through(hostile, server, "dsl")
    note = staff.seal(b"a note that must arrive exactly as sealed")
    assert staff.push([note]).results[0].status == "stored"
    assert [p.data for p in dsl.pull_all()] == [note]
    direct = Client(server.url, dsl.device)
    assert [p.data for p in direct.pull_all()] == [note]
    assert [o.content for o in dsl.open_all(server.demo_key("dsl"))] == [b"a note that must arrive exactly as sealed"]
    assert [s for _, p, s in hostile.seen if p.startswith("/api/v1/envelopes")] == [200, 200, 200]


def test_a_compressed_answer_passes_through_undecoded(server, hostile):
    """The server compresses the app's files itself (server/static.py); the proxy hands on those
    bytes, not decoded ones, and a second proxy in front of it does the same."""
    page, page_body = raw_get(server.url, "/", "gzip")
    assert page.headers["content-encoding"] == "gzip"
    with HostileProxy(hostile.url) as outer:
        proxied, proxied_body = raw_get(outer.url, "/", "gzip")
        assert outer.seen == [("GET", "/", 200)]
    assert proxied.headers["content-encoding"] == "gzip" and proxied_body == page_body
    assert gzip.decompress(proxied_body) == (Path(__file__).resolve().parent.parent / "pwa" / "index.html").read_bytes()
    assert int(proxied.headers["content-length"]) == len(proxied_body)
    assert proxied.headers["date"] and proxied.headers["etag"] == page.headers["etag"]


@pytest.mark.parametrize("accept_encoding", ["gzip, br", None])
def test_the_headers_reach_the_server_as_the_client_sent_them(server, hostile, accept_encoding):
    """What a first proxy forwards is what a second one sees: httpx added no accept-encoding of its
    own (it would have asked for gzip), and the hop-by-hop connection header stayed behind."""
    arrived: list[Exchange] = []
    hostile.rule("*", "/", lambda ex: arrived.append(replica(ex)))
    with HostileProxy(hostile.url) as outer:
        raw_get(outer.url, "/sw.js?v=1", accept_encoding)
    headers = arrived[0].request_headers
    assert headers.get("accept-encoding") == accept_encoding
    assert headers["host"] == outer.url.removeprefix("http://")
    assert "connection" not in headers and arrived[0].path == "/sw.js?v=1"

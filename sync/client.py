"""A Python client for the sync API: a device that enrols, signs its requests, pins its school's trust
key and checks every keyring against it. The DSL's tools (and the tests) use it to fetch and open notes.
"""

from __future__ import annotations

import email.utils
import hashlib
import hmac
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from urllib.parse import urlencode

import httpx
import msgspec
from cryptography.hazmat.primitives.asymmetric import ec

from sync import codes, envelope, gaps, key_proofs, keyring, requests, signing, wire
from sync.ids import uuid7
from sync.signing import public_bytes


class ApiError(Exception):
    def __init__(self, status: int, error: wire.Error) -> None:
        super().__init__(f"{status} {error.error}: {error.detail}")
        self.status = status
        self.code = error.error
        self.detail = error.detail


@dataclass(frozen=True)
class Read:
    """One pulled envelope as this client read it: opened, or refused with a code (an envelope error
    code from docs/envelope.md, or wrong_school, conflict), never silently skipped."""

    seq: int
    record_id: uuid.UUID | None
    opened: envelope.Opened | None = None
    refused: str | None = None
    # The device that signed it, as the server names it (the signature proves only the key).
    signer: wire.DeviceKey | None = None
    # The content names an author (author.person_id) other than the person the signing device was
    # enrolled to: shown to the reader, as the browser does, never hidden.
    author_mismatch: bool = False
    # Urgent if the signed header or the content says so (docs/protocol.md, "Reading a record").
    urgent: bool = False
    # Its place in its signing device's sequence of records to this reader's key (docs/protocol.md,
    # "Gaps"); None for a record that carries none.
    number: int | None = None
    # Whether the keyring this client holds approves the signing device (docs/protocol.md, "Approved
    # devices"); None under a keyring from before approvals. False is shown to the reader, as the
    # browser does: the note stands, its device unvouched for.
    device_approved: bool | None = None


@dataclass(frozen=True)
class Cursor:
    """How far this device has pulled, and from which database (docs/protocol.md, "When the server forgets")."""

    database: str | None = None
    after: int = 0


def gaps_in(reads: Iterable[Read]) -> list[gaps.Gap]:
    """The records missing from what read_all found, by signing device (docs/protocol.md, "Gaps")."""
    return gaps.find(
        gaps.Numbered(r.opened.header.author_key_id, r.number, r.record_id)
        for r in reads if r.opened is not None and r.number is not None
    )


@dataclass(frozen=True)
class Status:
    """What became of a record this client sealed (docs/protocol.md, "Receipts and status")."""

    record_id: uuid.UUID
    received: bool
    # Only on proof: a receipt made with the record's content key. The server's own word is below.
    opened: bool
    server_says_opened: bool
    alert: str | None = None
    readable: bool | None = None


class _Named(msgspec.Struct):
    """What a reader compares with the envelope: the author a record names, whether it is urgent, its
    sequence numbers."""

    author: dict | None = None
    urgent: bool = False
    sequence: dict[str, int] = {}


def _named(content: bytes) -> _Named:
    try:
        return msgspec.json.decode(content, type=_Named)
    except msgspec.DecodeError:  # content that is not a Lantern record names no one
        return _Named()


def receipt_check(proof: bytes) -> bytes:
    """What an author keeps to recognise a reader's receipt: a hash, so that what it stores proves nothing."""
    return hashlib.sha256(proof).digest()


class Client:
    def __init__(self, base_url: str, device: ec.EllipticCurvePrivateKey | None = None, *, timeout: float = 10.0) -> None:
        self._http = httpx.Client(base_url=base_url, timeout=timeout)
        self.device = device or ec.generate_private_key(ec.SECP256R1())
        self.clock_offset = 0.0
        # Set by enrol(): what this device pins and what it has accepted.
        self.school_id: uuid.UUID | None = None
        self.trust_public_key: bytes | None = None
        self.accepted_keyring: keyring.SignedKeyring | None = None
        # For each record this client sealed: receipt_check of its receipt proof.
        self.receipt_checks: dict[uuid.UUID, bytes] = {}
        # How many records this device has sealed to each recipient key id (docs/protocol.md, "Gaps").
        self.sequences: dict[bytes, int] = {}
        # What this device has pulled (pull_new), and the envelopes the server acknowledged, kept to
        # send again if it forgets them (docs/protocol.md, "When the server forgets").
        self.cursor = Cursor()
        self.sent: dict[uuid.UUID, bytes] = {}

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # Transport

    def _send(self, method: str, path: str, type_: type, body: msgspec.Struct | None, signed: bool):
        content = msgspec.json.encode(body) if body is not None else b""
        for attempt in (1, 2):
            headers = {"content-type": "application/json"} if body is not None else {}
            if signed:
                headers |= requests.sign_request(self.device, method, path, content, now=time.time() + self.clock_offset)
            response = self._http.request(method, path, content=content, headers=headers)
            if response.status_code < 400:
                return msgspec.json.decode(response.content, type=type_)
            error = msgspec.json.decode(response.content, type=wire.Error)
            if error.error == "stale_request" and attempt == 1 and "date" in response.headers:
                # A wrong device clock must not stop a note: learn the server's time and retry once.
                server_time = email.utils.parsedate_to_datetime(response.headers["date"]).timestamp()
                self.clock_offset = server_time - time.time()
                continue
            raise ApiError(response.status_code, error)

    # Enrolment and the keyring

    def demo_code(self) -> wire.DemoCode:
        return self._send("POST", "/api/v1/demo/code", wire.DemoCode, None, signed=False)

    def enrol(self, code_text: str, label: str = "python client") -> wire.Enrolment:
        """Spends a code; refuses the result unless the school's trust key matches the code's fingerprint."""
        code = codes.parse_code(code_text)
        request = wire.EnrolRequest(
            code=code.token_text(),
            device_public_key=public_bytes(self.device.public_key()),
            proof=requests.enrol_proof(self.device, code.token()),
            approval=codes.approval(code.secret, public_bytes(self.device.public_key())),
            label=label,
        )
        enrolment = self._send("POST", "/api/v1/enrol", wire.Enrolment, request, signed=False)
        if codes.fingerprint(enrolment.trust_public_key) != code.fingerprint:
            raise keyring.KeyringError("trust_key_mismatch", "the server's trust key is not the one the code names")
        keyring.verify(enrolment.keyring, enrolment.trust_public_key, enrolment.school.id, min_version=code.min_keyring_version)
        self.school_id = enrolment.school.id
        self.trust_public_key = enrolment.trust_public_key
        self.accepted_keyring = enrolment.keyring
        return enrolment

    def keyring(self) -> keyring.KeyringPayload:
        """Fetches the current keyring; keeps the one it has and raises KeyringError if it fails a check."""
        signed = self._send("GET", "/api/v1/keyring", keyring.SignedKeyring, None, signed=True)
        payload = keyring.verify(signed, self.trust_public_key, self.school_id, self.accepted_keyring)
        self.accepted_keyring = signed
        return payload

    def accepted_payload(self) -> keyring.KeyringPayload:
        return msgspec.json.decode(self.accepted_keyring.payload, type=keyring.KeyringPayload)

    def keyring_expired(self) -> bool:
        """Whether the keyring held is past its expiry: this client still seals to it, and says so."""
        return keyring.expired(self.accepted_payload())

    def keyring_draft(self) -> wire.KeyringDraft:
        """The next version as the server would have it signed: check it before signing (a team device)."""
        return self._send("GET", "/api/v1/keyring/draft", wire.KeyringDraft, None, signed=True)

    def people(self) -> list[wire.Person]:
        """The school's people, to issue a code to one (a team device)."""
        return self._send("GET", "/api/v1/people", wire.People, None, signed=True).people

    def issue_code(self, person_id: uuid.UUID, hours: float = 24) -> codes.Code:
        """A code made here, as the trust key holder's app makes one: the server is given its token
        only. The caller keeps the code's secret, to check the approval of the device it sets up
        (codes.approval against the draft's devices)."""
        code = codes.new_code(self.trust_public_key, self.accepted_payload().version)
        self._send("POST", "/api/v1/codes", wire.CodeStored, wire.CodeRequest(person_id, code.token(), hours), signed=True)
        return code

    def publish_keyring(self, signed: keyring.SignedKeyring) -> wire.KeyringPublished:
        """Publishes a keyring this client's holder signed with the trust key (a team device)."""
        return self._send("POST", "/api/v1/keyring", wire.KeyringPublished, signed, signed=True)

    def register_recipient_key(self, public_key: bytes) -> wire.RecipientKeyState:
        """Proposes a recipient public key this team device made (its private half stays here)."""
        proof = key_proofs.prove(self.device, key_proofs.RECIPIENT_KEY, self.school_id, public_key)
        return self._send(
            "POST", "/api/v1/recipient-keys", wire.RecipientKeyState,
            wire.RecipientKeyRequest(public_key=public_key, proof=proof), signed=True,
        )

    # The child roster (docs/protocol.md, "The roster")

    def register_roster_key(self, public_key: bytes) -> wire.RosterKeyState:
        """Registers this device's roster public key (its private half stays here), replacing any it had."""
        proof = key_proofs.prove(self.device, key_proofs.ROSTER_KEY, self.school_id, public_key)
        return self._send(
            "PUT", "/api/v1/roster-key", wire.RosterKeyState, wire.RosterKeyRequest(public_key=public_key, proof=proof),
            signed=True,
        )

    def seal_roster(self, content: bytes, roster_keys: list[bytes]) -> list[bytes]:
        """Seals a roster's content to these roster public keys, one envelope per group of at most 16."""
        keys = [envelope.public_key_from_bytes(k) for k in roster_keys]
        return [
            envelope.seal(content, school_id=self.school_id, record_id=uuid7(), recipients=keys[i:i + 16], author=self.device)
            for i in range(0, len(keys), 16)
        ]

    def publish_roster(self, version: int, envelopes: list[bytes]) -> wire.RosterPublished:
        return self._send(
            "POST", "/api/v1/roster", wire.RosterPublished, wire.RosterPublish(version=version, envelopes=envelopes),
            signed=True,
        )

    def roster(self) -> wire.RosterEnvelope:
        """The newest roster envelope sealed to this device's roster key (ApiError no_roster if none)."""
        return self._send("GET", "/api/v1/roster", wire.RosterEnvelope, None, signed=True)

    def open_roster(self, roster_key: ec.EllipticCurvePrivateKey) -> envelope.Opened:
        """Fetches and opens this device's roster envelope, checking that its author is the device the
        server names and that it is sealed for this school; under a keyring that names the devices it
        approves, that the author is an approved device of the DSL or a deputy."""
        held = self.roster()
        devices = self.accepted_payload().devices
        author_id = signing.key_id(held.author_public_key).hex()
        if devices is not None and not any(d.key_id == author_id and d.role in ("dsl", "deputy_dsl") for d in devices):
            raise ValueError("unapproved_author: the roster is not from an approved device of the DSL or a deputy")
        author = envelope.public_key_from_bytes(held.author_public_key)
        opened = envelope.open(held.envelope, recipient=roster_key, author=author)
        if opened.header.school_id != self.school_id:
            raise ValueError("wrong_school: the roster names another school")
        return opened

    def roster_missing(self) -> wire.RosterMissing:
        return self._send("GET", "/api/v1/roster/missing", wire.RosterMissing, None, signed=True)

    def roster_keys_to_seal(self) -> list[bytes]:
        """The roster keys of roster_missing that the roster may be sealed to, as the DSL's app decides
        (docs/protocol.md, "Approved devices"): each proven its own by a device the accepted keyring
        approves; every one under a keyring from before approvals."""
        payload = self.accepted_payload()
        keys = self.roster_missing().keys
        if payload.devices is None:
            return [k.public_key for k in keys]
        approved = {d.key_id for d in payload.devices}
        return [
            k.public_key for k in keys
            if signing.key_id(k.device_public_key).hex() in approved
            and key_proofs.proven(k.device_public_key, key_proofs.ROSTER_KEY, self.school_id, k.public_key, k.proof)
        ]

    # Envelopes

    def seal(self, content: bytes, *, urgent: bool = False, record_id: uuid.UUID | None = None) -> bytes:
        """Seals a concern to the DSL and deputies of the accepted keyring, signed by this device, and
        keeps what recognises its receipt."""
        team = [envelope.public_key_from_bytes(r.public_key) for r in keyring.concern_recipients(self.accepted_payload())]
        record_id = record_id or uuid7()
        data, content_key = envelope.seal_keeping_key(
            self._numbered(content, team), school_id=self.school_id, record_id=record_id, recipients=team,
            author=self.device, urgent=urgent,
        )
        self.receipt_checks[record_id] = receipt_check(envelope.receipt_proof(content_key, record_id))
        return data

    def _numbered(self, content: bytes, recipients: list[ec.EllipticCurvePublicKey]) -> bytes:
        """A record (a JSON object) with its sequence numbers added, as the app adds them; other
        content (the tests' plain bytes) as it is."""
        try:
            record = msgspec.json.decode(content)
        except msgspec.DecodeError:
            return content
        if not isinstance(record, dict):
            return content
        ids = [envelope.key_id(pk) for pk in recipients]
        for kid in ids:
            self.sequences[kid] = self.sequences.get(kid, 0) + 1
        return msgspec.json.encode(record | {"sequence": {kid.hex(): self.sequences[kid] for kid in ids}})

    def push(self, envelopes: list[bytes]) -> wire.PushResponse:
        answer = self._send("POST", "/api/v1/envelopes", wire.PushResponse, wire.PushRequest(envelopes=envelopes), signed=True)
        for data in envelopes:  # all or none: an answer means every one is stored
            self.sent[envelope.parse(data).record_id] = data
        return answer

    def resend_missing(self) -> list[uuid.UUID]:
        """Asks about every envelope this device had acknowledged, and sends again the ones the server
        says it does not hold (a server restored from a backup, or one that lost its last commits)."""
        ids = list(self.sent)
        missing = []
        for i in range(0, len(ids), wire.MAX_BATCH):
            statuses = self.status(ids[i:i + wire.MAX_BATCH])
            missing += [rid for rid in ids[i:i + wire.MAX_BATCH] if not statuses[rid].received]
        for i in range(0, len(missing), wire.MAX_BATCH):
            self.push([self.sent[rid] for rid in missing[i:i + wire.MAX_BATCH]])
        return missing

    def pull(self, after: int = 0, limit: int = 100) -> wire.PullResponse:
        path = "/api/v1/envelopes?" + urlencode({"after": after, "limit": limit})
        return self._send("GET", path, wire.PullResponse, None, signed=True)

    def pull_new(self) -> list[wire.PulledEnvelope]:
        """Every envelope after this device's cursor, which moves past them. From the start again, once,
        when the answer comes from another database than the cursor's, or when the server holds less for
        this person than the cursor has passed: it forgot, and what it has now may be numbered anew
        (the caller meets what it already has again, and keeps one of each: read_all does)."""
        after, pulled, checked = self.cursor.after, [], False
        while True:
            page = self.pull(after, limit=wire.MAX_PAGE)
            if not checked:
                checked = True
                if after and self.cursor.database is not None and (page.database != self.cursor.database or after > page.high_water):
                    after = 0
                    continue
            pulled += page.envelopes
            after = page.after
            if not page.more:
                self.cursor = Cursor(page.database, after)
                return pulled

    def pull_all(self, after: int = 0) -> Iterator[wire.PulledEnvelope]:
        while True:
            page = self.pull(after)
            yield from page.envelopes
            if not page.more:
                return
            after = page.after

    def lookup_device(self, key_id: bytes) -> wire.DeviceKey:
        """An enrolled device of the school: its public key and the person it was enrolled to (team only)."""
        return self._send("GET", f"/api/v1/devices/{key_id.hex()}", wire.DeviceKey, None, signed=True)

    def leave(self) -> wire.DeviceState:
        """Revokes this device: every later request it signs is refused (device_revoked)."""
        return self._send("DELETE", "/api/v1/devices/self", wire.DeviceState, None, signed=True)

    def device_key(self, key_id: bytes) -> bytes:
        return self.lookup_device(key_id).public_key

    def read_all(self, recipient: ec.EllipticCurvePrivateKey, after: int = 0) -> list[Read]:
        """Pulls every envelope for this device's person and reads each on its own, with every check the
        browser makes (docs/protocol.md, "Reading a record"): the author's signature, this school, one
        record once. A bad envelope is reported as refused and the rest still open."""
        signers: dict[bytes, wire.DeviceKey | None] = {}
        seen: dict[uuid.UUID, bytes] = {}
        reads = (self._read(pulled, recipient, signers, seen) for pulled in self.pull_all(after))
        return [r for r in reads if r is not None]

    def _read(self, pulled: wire.PulledEnvelope, recipient, signers, seen) -> Read | None:
        try:
            header = envelope.parse(pulled.data)
        except envelope.EnvelopeError as error:
            return Read(pulled.seq, None, refused=error.code)
        digest = hashlib.sha256(pulled.data).digest()
        if header.record_id in seen:
            # The same bytes again are one record (a replay: nothing to show); other bytes are a conflict.
            return None if seen[header.record_id] == digest else Read(pulled.seq, header.record_id, refused="conflict")
        if header.author_key_id not in signers:
            try:
                signers[header.author_key_id] = self.lookup_device(header.author_key_id)
            except ApiError as error:
                if error.status != 404:
                    raise
                signers[header.author_key_id] = None
        signer = signers[header.author_key_id]
        if signer is None:
            return Read(pulled.seq, header.record_id, refused="unknown_author")
        try:
            opened = envelope.open(pulled.data, recipient=recipient, author=envelope.public_key_from_bytes(signer.public_key))
        except envelope.EnvelopeError as error:
            return Read(pulled.seq, header.record_id, refused=error.code, signer=signer)
        except ValueError:  # the server named a key that is not a P-256 point (docs/envelope.md, "Opening")
            return Read(pulled.seq, header.record_id, refused="bad_signature", signer=signer)
        if opened.header.school_id != self.school_id:
            return Read(pulled.seq, header.record_id, refused="wrong_school", signer=signer)
        seen[header.record_id] = digest
        named = _named(opened.content)
        person = (named.author or {}).get("person_id")
        return Read(
            pulled.seq, header.record_id, opened=opened, signer=signer,
            author_mismatch=person is not None and str(person).lower() != str(signer.person_id),
            urgent=opened.header.urgent or named.urgent is True,
            number=named.sequence.get(envelope.key_id(recipient.public_key()).hex()),
            device_approved=keyring.approves(self.accepted_payload(), header.author_key_id.hex()),
        )

    def open_all(self, recipient: ec.EllipticCurvePrivateKey) -> Iterator[envelope.Opened]:
        """The records of read_all that opened, in order."""
        return (r.opened for r in self.read_all(recipient) if r.opened is not None)

    def receipts(self, receipts: list[wire.Receipt]) -> wire.Receipted:
        return self._send("POST", "/api/v1/receipts", wire.Receipted, wire.ReceiptsRequest(receipts=receipts), signed=True)

    def acknowledge(self, opened: Iterable[envelope.Opened]) -> wire.Receipted:
        """Says this device's person opened these records, each with the proof its author checks."""
        return self.receipts([
            wire.Receipt(record_id=o.header.record_id, proof=envelope.receipt_proof(o.content_key, o.header.record_id))
            for o in opened
        ])

    def status(self, record_ids: list[uuid.UUID]) -> dict[uuid.UUID, Status]:
        """What became of records this client sealed: `opened` only where a receipt proves it."""
        answer = self._send("POST", "/api/v1/status", wire.StatusResponse, wire.RecordsRequest(record_ids=record_ids), signed=True)
        return {s.record_id: self._status(s) for s in answer.statuses}

    def _status(self, said: wire.RecordStatus) -> Status:
        check = self.receipt_checks.get(said.record_id)
        proven = check is not None and any(hmac.compare_digest(receipt_check(p), check) for p in said.proofs)
        return Status(
            said.record_id, received=said.received, opened=proven, server_says_opened=said.opened,
            alert=said.alert, readable=said.readable,
        )

    # Urgent alerts

    def push_key(self) -> str:
        """The server's VAPID public key (base64url), the applicationServerKey for subscribing."""
        return self._send("GET", "/api/v1/push/key", wire.PushKey, None, signed=False).public_key

    def views(self, record_ids: list[uuid.UUID]) -> wire.Receipted:
        """Adds "this device opened these records now" to each record's view trail."""
        return self._send("POST", "/api/v1/views", wire.Receipted, wire.RecordsRequest(record_ids=record_ids), signed=True)

    def view_trail(self, record_id: uuid.UUID) -> wire.ViewTrail:
        return self._send("GET", f"/api/v1/views?record_id={record_id}", wire.ViewTrail, None, signed=True)

    def reminders(self, set: list[wire.Reminder] = (), cancel: list[str] = ()) -> wire.RemindersState:
        """Sets, moves or cancels this person's clock reminders (docs/alerts.md, "Clock reminders")."""
        request = wire.RemindersRequest(set=list(set), cancel=list(cancel))
        return self._send("POST", "/api/v1/reminders", wire.RemindersState, request, signed=True)

    def subscribe_push(self, subscription: wire.PushSubscription) -> wire.SubscriptionState:
        return self._send("POST", "/api/v1/push/subscriptions", wire.SubscriptionState, subscription, signed=True)

    def unsubscribe_push(self) -> wire.SubscriptionState:
        return self._send("DELETE", "/api/v1/push/subscriptions", wire.SubscriptionState, None, signed=True)

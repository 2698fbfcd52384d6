"""A record's content, what an envelope carries sealed (docs/protocol.md, "Record content, version 3").

`read` turns an opened envelope's content into a `Concern`, an `Addendum` or an `Action` (what the
safeguarding team did about a concern), or raises `NoteError`.
Readers ignore fields they do not know and accept every version from 1: versions only ever add fields
(with defaults here), and a field never changes type. `check` is the staff app's rule that a bad record
is hard to save (pwa/common/note.js checkConcern), applied again by the reader.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

from sync import keyring

Fraction = Annotated[float, msgspec.Meta(ge=0, le=1)]

# The values the staff app offers today (pwa/common/categories.js, pwa/common/bodymap.js). They are read as
# plain strings, so a later version can add one without older readers refusing the whole note.
CATEGORIES = (
    "physical_abuse", "emotional_abuse", "sexual_abuse", "neglect", "fgm", "cse", "cce",
    "radicalisation", "domestic_abuse", "honour_based_violence", "child_on_child", "sexting",
    "serious_violence", "missing_education", "homelessness", "family_in_prison", "online_safety",
    "send", "young_carer", "court_system", "other",
)
MARK_TYPES = ("bruise", "cut", "burn", "bite", "scratch", "swelling", "other")
MARK_SIZES = ("under_1cm", "1_to_3cm", "3_to_6cm", "over_6cm")


class Child(msgspec.Struct, kw_only=True, frozen=True):
    name: str
    # The child's id in the school's roster (docs/protocol.md, "The roster"), when the author picked
    # them from it: the MIS id or UPN, or a UUID the DSL's app gave them. Absent for free text.
    roster_id: Annotated[str, msgspec.Meta(max_length=64)] | None = None


class Mark(msgspec.Struct, kw_only=True, frozen=True):
    """One mark on the body map: x and y are fractions of the side's drawing, from its top left as
    the viewer sees it (so on the front, the child's right is on the left)."""

    side: Literal["front", "back"]
    x: Fraction
    y: Fraction
    type: str
    size: str = ""
    colour: str = ""
    description: str = ""
    region: str = ""  # in words, from the drawing, for a reader without it ("left forearm")


class FgmReport(msgspec.Struct, kw_only=True, frozen=True):
    reported: bool
    police_reference: str = ""


class AboutStaff(msgspec.Struct, kw_only=True, frozen=True):
    headteacher: bool
    name: str = ""
    person_id: uuid.UUID | None = None  # set when the person is in the keyring


class Author(msgspec.Struct, kw_only=True, frozen=True):
    """Who wrote the note, as their device was enrolled: the person's id and name from the enrolment.
    The envelope's signature says which device; this says which person, which matters on a tablet
    several people share, each recording as their own profile with their own device key."""

    person_id: uuid.UUID | None = None
    name: str = ""


KeyIdHex = Annotated[str, msgspec.Meta(pattern="^[0-9a-f]{64}$")]


class Content(msgspec.Struct, kw_only=True, frozen=True, tag_field="type"):
    v: Annotated[int, msgspec.Meta(ge=1)]
    recorded_at: str
    author: Author | None = None  # absent in notes from staff apps before profiles
    # For each recipient key id (hex) the envelope is sealed to: this is the nth record the signing
    # device has sealed to that key, from 1 (docs/protocol.md, "Gaps"). A reader finds a record the
    # server dropped as a number it never received. Absent from records written before it.
    sequence: dict[KeyIdHex, Annotated[int, msgspec.Meta(ge=1)]] = msgspec.field(default_factory=dict)


class Concern(Content, tag="concern"):
    child: Child
    incident_at: str = ""  # "YYYY-MM-DDTHH:MM", local time, as entered; "" when not given
    place: str = ""
    people_present: str = ""
    words: str = ""
    seen: str = ""
    action_taken: str = ""
    categories: list[str] = msgspec.field(default_factory=list)
    category_other: str = ""
    urgent: bool = False
    body_map: list[Mark] = msgspec.field(default_factory=list)
    fgm_report: FgmReport | None = None  # present when "fgm" is ticked
    about_staff: AboutStaff | None = None  # present when it is an allegation against staff


class Addendum(Content, tag="addendum"):
    refers_to: uuid.UUID
    text: str
    urgent: bool = False


# What the team records about a concern (version 3), from the sources (docs/protocol.md, "Actions").
ACTION_KINDS = (
    "advice_sought", "decision", "consent", "phone_referral", "written_referral", "acknowledgement",
    "chased", "fgm_police_report", "lado_informed", "information_shared", "family_told", "outcome",
    "closed", "reopened", "link_child", "link_notes",
)
ADVISERS = ("area_safeguarding_advisor", "front_door", "lado", "other")
DECISIONS = ("refer_social_care", "early_help", "police", "lado", "monitor", "no_further_action")
CONSENT = ("sought", "given", "refused", "not_sought")
# The Hull policy's three grounds for not seeking consent before a referral.
CONSENT_GROUNDS = ("risk_to_child_or_family", "immediate_danger", "risk_to_staff")


class Action(Content, tag="action"):
    """One thing the team did or decided about the concern `refers_to`; a record never changes, so a
    correction is another action. Fields a kind does not use keep their defaults."""

    refers_to: uuid.UUID
    kind: str
    at: str = ""  # when it happened (ISO 8601); "" for "when it was recorded"
    acted_by: str = ""  # who took the action, when not the person recording it
    whom: str = ""  # advice_sought: one of ADVISERS; phone_referral, written_referral, information_shared: to or with whom
    whom_name: str = ""  # the person spoken to, in words
    child_named: bool | None = None  # advice_sought: whether the child was named (Hull: anonymised unless agreed)
    decision: str = ""  # decision: one of DECISIONS
    reasons: str = ""  # decision: why
    information_shared: bool | None = None  # decision: whether information is shared
    consent: str = ""  # consent: one of CONSENT
    consent_ground: str = ""  # consent not sought: one of CONSENT_GROUNDS
    reference: str = ""  # the other agency's reference, or the police's crime reference
    what: str = ""  # information_shared: what; family_told: what they were told
    why: str = ""  # information_shared: for what purpose
    told_nothing: bool = False  # family_told: the agencies said to tell the family nothing
    text: str = ""  # notes; the outcome; the reason for closing or reopening
    child: Child | None = None  # link_child: the child on the roster the concern is about
    links: list[uuid.UUID] = msgspec.field(default_factory=list)  # link_notes: other concerns of the same case


class Reseal(Content, tag="reseal"):
    """A record that a team member's device could open, handed on to keys of the same people that
    it was not sealed to (a device they enrolled since): the original envelope as its author sealed
    it, and its content key. A reader opens `envelope` with `content_key` (sync/envelope.py
    open_with_key), checking the original author's signature, and reads that as the record."""

    refers_to: uuid.UUID  # the original record's id, as in its envelope
    envelope: Annotated[bytes, msgspec.Meta(max_length=4 * 1024 * 1024)]
    content_key: Annotated[bytes, msgspec.Meta(min_length=32, max_length=32)]


Note = Concern | Addendum | Action | Reseal
TYPES = ("concern", "addendum", "action", "reseal")


def _is_time(value: str) -> bool:
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
        return True
    except ValueError:
        return False


# What each kind must say, beyond refers_to and kind: (field, test, what is missing in words).
_REQUIRED = {
    "advice_sought": [("whom", lambda a: bool(a.whom), "from whom advice was sought"),
                      ("child_named", lambda a: a.child_named is not None, "whether the child was named")],
    "decision": [("decision", lambda a: a.decision != "", "the decision"),
                 ("reasons", lambda a: a.reasons.strip() != "", "the reasons for the decision"),
                 ("information_shared", lambda a: a.information_shared is not None, "whether information is shared")],
    "consent": [("consent", lambda a: a.consent != "", "what happened about consent"),
                ("consent_ground", lambda a: a.consent != "not_sought" or a.consent_ground != "",
                 "why consent was not sought")],
    "phone_referral": [("whom", lambda a: a.whom.strip() != "", "to whom the referral was made")],
    "fgm_police_report": [("reference", lambda a: a.reference.strip() != "", "the police's crime reference")],
    "information_shared": [("what", lambda a: a.what.strip() != "", "what was shared"),
                           ("whom", lambda a: a.whom.strip() != "", "with whom"),
                           ("why", lambda a: a.why.strip() != "", "why")],
    "family_told": [("what", lambda a: a.told_nothing or a.what.strip() != "", "what the family was told")],
    "outcome": [("text", lambda a: a.text.strip() != "", "the outcome")],
    "closed": [("text", lambda a: a.text.strip() != "", "why the case is closed")],
    "reopened": [("text", lambda a: a.text.strip() != "", "why the case is reopened")],
    "link_child": [("child", lambda a: a.child is not None and bool(a.child.roster_id), "the child on the roster")],
    "link_notes": [("links", lambda a: len(a.links) > 0, "the notes it links")],
}


def check_action(action: Action) -> list[str]:
    problems = []
    if action.kind not in ACTION_KINDS:
        return problems  # a kind from a later version: shown as it is, not refused
    if action.at and not _is_time(action.at):
        problems.append("at is not an ISO 8601 time")
    problems.extend(f"a {action.kind} action needs {words}" for _, ok, words in _REQUIRED.get(action.kind, []) if not ok(action))
    return problems


class _Kind(msgspec.Struct):
    type: str


_decoder = msgspec.json.Decoder(Note)
_kind = msgspec.json.Decoder(_Kind)


class NoteError(ValueError):
    """`code` is `malformed` (not a note's JSON), `unknown_type` (a kind of record this reader does
    not know) or `incomplete` (a required answer is missing)."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


def check(note: Note) -> list[str]:
    """What is missing from a note, in words; empty when it is complete."""
    problems = [] if _is_time(note.recorded_at) else ["recorded_at is not an ISO 8601 time"]
    if isinstance(note, Reseal):
        return problems
    if isinstance(note, Action):
        return problems + check_action(note)
    if isinstance(note, Addendum):
        if not note.text.strip():
            problems.append("an addendum needs text")
        return problems
    if not note.child.name.strip():
        problems.append("the child's name is empty")
    if note.v < 2:
        return problems  # version 1 asked for nothing more
    if not note.words.strip() and not note.seen.strip():
        problems.append("neither what was said nor what was seen")
    if not note.categories:
        problems.append("no category")
    if "other" in note.categories and not note.category_other.strip():
        problems.append("'other' ticked without saying what")
    if ("fgm" in note.categories) != (note.fgm_report is not None):
        problems.append("an FGM concern needs its police report, and only an FGM concern has one")
    if note.about_staff and not note.about_staff.headteacher and not (note.about_staff.name or note.about_staff.person_id):
        problems.append("an allegation names no member of staff")
    problems.extend(f"mark {i + 1} has no type" for i, m in enumerate(note.body_map) if not m.type)
    return problems


def read(content: bytes) -> Note:
    """The note in an opened envelope's content; raises NoteError."""
    try:
        kind = _kind.decode(content).type
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise NoteError("malformed", str(exc)) from None
    if kind not in TYPES:
        raise NoteError("unknown_type", kind)
    try:
        note = _decoder.decode(content)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise NoteError("malformed", str(exc)) from None
    problems = check(note)
    if problems:
        raise NoteError("incomplete", "; ".join(problems))
    return note


def expected_recipients(payload: keyring.KeyringPayload, concern: Concern) -> list[keyring.KeyringRecipient]:
    """Whom a concern should have been sealed to under `payload`, by the protocol's routing rule: a
    reader can compare this with the envelope's recipients."""
    if concern.about_staff is None:
        return keyring.concern_recipients(payload)
    return keyring.allegation_recipients(
        payload, about_headteacher=concern.about_staff.headteacher, subject_person_id=concern.about_staff.person_id
    )

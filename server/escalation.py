"""A school's escalation policy: when an unacknowledged urgent alert is repeated, and to whom.

A policy is a list of steps, each `after_seconds` from the alert's creation, naming the team roles
whose devices are pushed at that step; after the last step, the last step repeats every
`repeat_every` seconds (0: never), and nothing is sent later than `stop_after` seconds after the
alert. Step times are offsets from the alert's creation, not from each other, so a late tick or a
restart never shifts the rest of the schedule. Written as a text:

    0:dsl,deputy_dsl;120:dsl,deputy_dsl;300:dsl,deputy_dsl,headteacher
"""

from __future__ import annotations

import uuid

import msgspec

from server.clock import iso
from server.db import Db
from server.errors import Refused
from server.schools import TEAM_ROLES, get_school

MAX_STEPS = 10
MAX_SECONDS = 24 * 3600
MIN_REPEAT = 30  # seconds: more often than this is noise on a phone, not escalation


class Step(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    after_seconds: int
    roles: tuple[str, ...]


class Policy(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    steps: tuple[Step, ...]
    repeat_every: int
    stop_after: int

    def offset(self, step: int) -> int | None:
        """Seconds from the alert's creation to `step`, or None when there is no such step."""
        last = len(self.steps) - 1
        if step <= last:
            at = self.steps[step].after_seconds
        elif self.repeat_every:
            at = self.steps[last].after_seconds + (step - last) * self.repeat_every
        else:
            return None
        return at if at <= self.stop_after else None

    def roles(self, step: int) -> tuple[str, ...]:
        return self.steps[min(step, len(self.steps) - 1)].roles

    def text(self) -> str:
        return ";".join(f"{s.after_seconds}:{','.join(s.roles)}" for s in self.steps)


# Step 0 reaches the readers of a concern at once; step 1 repeats it to them after two minutes (a
# phone in a bag, a missed buzz); from five minutes the headteacher is told too, every five
# minutes, for two hours.
DEFAULT = Policy(
    steps=(
        Step(0, ("dsl", "deputy_dsl")),
        Step(120, ("dsl", "deputy_dsl")),
        Step(300, ("dsl", "deputy_dsl", "headteacher")),
    ),
    repeat_every=300,
    stop_after=7200,
)


def parse(steps_text: str, repeat_every: int = DEFAULT.repeat_every, stop_after: int = DEFAULT.stop_after) -> Policy:
    """Reads and checks a policy; raises ValueError with a sentence an admin can act on."""
    steps = []
    for part in filter(None, (p.strip() for p in steps_text.split(";"))):
        after, sep, roles_text = part.partition(":")
        if not sep or not after.strip().isdigit():
            raise ValueError(f"{part!r}: write each step as SECONDS:ROLE,ROLE (e.g. 120:dsl,deputy_dsl)")
        roles = tuple(r.strip() for r in roles_text.split(",") if r.strip())
        steps.append(Step(int(after), roles))
    return check(Policy(tuple(steps), repeat_every, stop_after))


def check(policy: Policy) -> Policy:
    steps = policy.steps
    if not 1 <= len(steps) <= MAX_STEPS:
        raise ValueError(f"a policy has 1 to {MAX_STEPS} steps")
    if steps[0].after_seconds != 0:
        raise ValueError("the first step must be at 0 seconds: an urgent alert is never held back")
    for before, after in zip(steps, steps[1:]):
        if after.after_seconds <= before.after_seconds:
            raise ValueError("step times must increase")
    for step in steps:
        if not step.roles:
            raise ValueError(f"the step at {step.after_seconds} s names no role")
        unknown = [r for r in step.roles if r not in TEAM_ROLES]
        if unknown:
            raise ValueError(f"{', '.join(unknown)}: roles are {', '.join(TEAM_ROLES)}")
        if len(set(step.roles)) != len(step.roles):
            raise ValueError(f"the step at {step.after_seconds} s names a role twice")
    if policy.repeat_every and not MIN_REPEAT <= policy.repeat_every <= MAX_SECONDS:
        raise ValueError(f"--repeat-every is 0 (never) or {MIN_REPEAT} to {MAX_SECONDS} seconds")
    if not steps[-1].after_seconds <= policy.stop_after <= MAX_SECONDS:
        raise ValueError(f"--stop-after must be between the last step's time and {MAX_SECONDS} seconds")
    return policy


def encode(policy: Policy) -> str:
    return msgspec.json.encode(policy).decode()


def decode(text: str) -> Policy:
    return msgspec.json.decode(text, type=Policy)


def policy_in(s, school_id: str) -> Policy:
    """The school's policy, read inside the caller's transaction (the default when none is set)."""
    row = s.execute("SELECT policy FROM escalation_policies WHERE school_id = ?", [school_id]).fetchone()
    return decode(row[0]) if row else DEFAULT


def get(db: Db, school_id: uuid.UUID) -> tuple[Policy, str | None]:
    """(policy, when it was set), or (DEFAULT, None) for a school that has not set one."""
    if get_school(db, school_id) is None:
        raise Refused("not_found", "no such school")
    with db.read() as s:
        row = s.execute(
            "SELECT policy, updated_at FROM escalation_policies WHERE school_id = ?", [str(school_id)]
        ).fetchone()
    return (decode(row[0]), row[1]) if row else (DEFAULT, None)


def set_policy(db: Db, school_id: uuid.UUID, policy: Policy) -> None:
    """New alerts follow it; an alert already running keeps the policy it started with."""
    check(policy)
    if get_school(db, school_id) is None:
        raise Refused("not_found", "no such school")
    with db.write() as s:
        s.execute(
            """INSERT INTO escalation_policies (school_id, policy, updated_at) VALUES (?, ?, ?)
               ON CONFLICT (school_id) DO UPDATE SET policy = excluded.policy, updated_at = excluded.updated_at""",
            [str(school_id), encode(policy), iso()],
        )

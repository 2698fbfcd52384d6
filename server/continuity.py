"""What lets a device trust that the server's sequence numbers go on from where it left them, and tell
when they do not (docs/protocol.md, "When the server forgets"): the database's identity, and the floor
each start raises its sequence to.

A server restored from last night's backup, or one whose WAL lost its last commits, would give its next
envelopes the `seq` numbers of envelopes it had already acknowledged and handed out: a device whose
cursor had passed them would never pull the new ones. So at each start the next `seq` is raised to at
least the start's time in seconds times SEQ_PER_SECOND: higher than any number a run that began
earlier could have reached, unless it stored more than SEQ_PER_SECOND envelopes a second, or the clock
went back. JavaScript's numbers hold every such `seq` exactly until the year 2242 (2**53 / 2**20 s)."""

from __future__ import annotations

import logging

from server.db import Db

SEQ_PER_SECOND = 2**20

log = logging.getLogger("lantern")


def database_id(db: Db) -> str:
    with db.read() as s:
        (value,) = s.execute("SELECT value FROM meta WHERE key = 'database_id'").fetchone()
    return value


def raise_seq_floor(db: Db, now: float) -> int:
    """Raises the next envelope's `seq` past the floor of a start at `now`, and past every number the
    last run could have used in its own second; returns the new floor."""
    floor = int(now) * SEQ_PER_SECOND
    with db.write() as s:
        held = db.held_seq(s)
        if held is not None and held >= floor:
            # A restart within the same second as the last start, or with a clock behind it: the last
            # number held may be one that survived a lost WAL tail, with acknowledged numbers after it
            # gone. So the next run starts a second's worth of numbers past it, as a later second would.
            # A clock behind, which a restore could then not be told from, is said once it is more than
            # a minute behind.
            if held >= floor + 60 * SEQ_PER_SECOND:
                log.warning("the clock is behind this database's sequence numbers: is the server's time right?")
            floor = held + SEQ_PER_SECOND
        db.hold_seq(s, floor)
    return floor

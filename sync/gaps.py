"""Records a server dropped, found by their readers (docs/protocol.md, "Gaps").

Every record a device seals carries, for each recipient key, its place in that device's sequence of
records to that key (`sequence` in the content, signed with the rest). A reader holding one of those
keys lists what it has opened from each device; a number missing below the highest it has seen is a
record that device sealed to it and the server never handed over (or that could not be opened, which
the reader shows as well). What it cannot find is a drop after the last record it has: for that the
author's own device waits for receipts (docs/protocol.md, "Receipts and status").
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Numbered:
    """One opened record, as far as gaps go: who signed it, its number for this reader's key."""

    author_key_id: bytes
    number: int
    record_id: uuid.UUID


@dataclass(frozen=True)
class Gap:
    """Records `first` to `last` of the device `author_key_id` (a range, since a number is the device's
    to write), written after `after` (the record before the gap, None at the start of the sequence)
    and before `before`."""

    author_key_id: bytes
    first: int
    last: int
    after: uuid.UUID | None
    before: uuid.UUID


def find(records: Iterable[Numbered]) -> list[Gap]:
    by_device: dict[bytes, dict[int, uuid.UUID]] = {}
    for r in records:
        by_device.setdefault(r.author_key_id, {}).setdefault(r.number, r.record_id)
    found = []
    for device, held in sorted(by_device.items()):
        previous, expected = None, 1
        for n in sorted(held):
            if n > expected:
                found.append(Gap(device, expected, n - 1, previous, held[n]))
            previous, expected = held[n], n + 1
    return found

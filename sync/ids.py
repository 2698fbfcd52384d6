"""UUIDv7 (RFC 9562): record ids that sort by creation time; Python 3.11 has no uuid.uuid7."""

from __future__ import annotations

import os
import time
import uuid


def uuid7() -> uuid.UUID:
    value = (time.time_ns() // 1_000_000) << 80 | int.from_bytes(os.urandom(10), "big")
    value &= ~(0xF << 76) & ~(0x3 << 62)
    value |= 0x7 << 76 | 0x2 << 62
    return uuid.UUID(int=value)

"""Reads the envelope corpus (format in docs/envelope.md, "Test vectors")."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path

DIR = Path(__file__).parent / "envelope"


@dataclass(frozen=True)
class Case:
    name: str
    expect: str
    comment: str
    recipient_key: bytes
    author_public_key: bytes
    content: bytes | None
    envelope: bytes


def load(path: Path) -> Case:
    head, _, body = path.read_text().partition("\n\n")
    fields = dict(line.split(": ", 1) for line in head.splitlines())
    return Case(
        name=path.stem,
        expect=fields["expect"],
        comment=fields["comment"],
        recipient_key=bytes.fromhex(fields["recipient-key"]),
        author_public_key=bytes.fromhex(fields["author-public-key"]),
        content=bytes.fromhex(fields["content"]) if "content" in fields else None,
        envelope=base64.b64decode("".join(body.split())),
    )


def cases() -> list[Case]:
    return [load(p) for p in sorted(DIR.glob("*.txt"))]

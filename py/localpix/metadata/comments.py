"""Comments, unknown blocks and data trailing after the image: findings for what a container
finds but cannot explain further."""

from __future__ import annotations

from ..report import Finding
from .tags import WHY_TEXT
from .text import short, size_text


def comment_finding(label: str, raw: bytes) -> Finding:
    text = short(raw.split(b"\0")[0].decode("utf-8", "replace")) or size_text(len(raw))
    return Finding("comment", label, text, WHY_TEXT)


def unknown_finding(label: str, size: int) -> Finding:
    return Finding(
        "other", label, size_text(size),
        "A block of data localpix does not know; it could hold anything, so it is removed",
    )


def trailer_finding(extra: bytes) -> Finding:
    if b"ftyp" in extra[:64]:
        kind = ", looks like a video (motion photo)"
    elif extra[:3] == b"\xff\xd8\xff":
        kind = ", looks like another image"
    elif not extra.strip(b"\0"):
        kind = " of padding"
    else:
        kind = ""
    return Finding(
        "trailer", "Data after the end of the image", size_text(len(extra)) + kind,
        "Hidden data after the picture: apps append videos, extra images or tracking data here",
    )

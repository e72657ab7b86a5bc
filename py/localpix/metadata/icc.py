"""ICC colour profiles: technical, kept by default, reported with their description."""

from __future__ import annotations

import struct

from ..report import Finding
from .text import short, size_text


def icc_finding(profile: bytes) -> Finding:
    description = _icc_description(profile)
    return Finding(
        "color_profile", "Colour profile",
        f"{description}, {size_text(len(profile))}" if description else size_text(len(profile)),
        "Tells screens how to show the colours; technical and harmless, kept by default",
        private=False,
    )


def _icc_description(profile: bytes) -> str:
    """The profile's 'desc' text (ICC v2 'desc' or v4 'mluc'), or "" if it is not readable."""
    try:
        (count,) = struct.unpack(">I", profile[128:132])
        for pos in range(132, 132 + 12 * min(count, 100), 12):
            sig, offset, size = struct.unpack(">4sII", profile[pos : pos + 12])
            if sig != b"desc":
                continue
            tag = profile[offset : offset + size]
            if tag[:4] == b"desc":
                (length,) = struct.unpack(">I", tag[8:12])
                return short(tag[12 : 12 + length].split(b"\0")[0].decode("latin-1"), 60)
            if tag[:4] == b"mluc":
                length, start = struct.unpack(">II", tag[20:28])
                return short(tag[start : start + length].decode("utf-16-be", "replace"), 60)
    except struct.error:
        pass
    return ""

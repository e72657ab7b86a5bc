"""IPTC IIM datasets, and the Photoshop image resource blocks that usually carry them."""

from __future__ import annotations

import struct

from ..report import Finding
from .tags import (
    ARTIST,
    CITY,
    COPYRIGHT,
    DATE_DIGITIZED,
    DATE_TAKEN,
    DESCRIPTION,
    KEYWORDS,
    PLACE,
    SOFTWARE,
    TITLE,
    WHY_NAME,
    WHY_TEXT,
    WHY_WHEN,
    Tag,
)
from .text import short, size_text
from .xmp import xmp_findings

# IPTC IIM record 2: dataset number -> (ExifTool's name, meaning)
IPTC_TAGS: dict[int, tuple[str, Tag]] = {
    5: ("ObjectName", TITLE),
    25: ("Keywords", KEYWORDS),
    40: ("SpecialInstructions", Tag("comment", "Special instructions", WHY_TEXT)),
    55: ("DateCreated", DATE_TAKEN),
    60: ("TimeCreated", Tag("time", "Time taken", WHY_WHEN)),
    62: ("DigitalCreationDate", DATE_DIGITIZED),
    65: ("OriginatingProgram", SOFTWARE),
    80: ("By-line", ARTIST),
    85: ("By-lineTitle", Tag("device", "Author's job title", WHY_NAME)),
    90: ("City", CITY),
    92: ("Sub-location", PLACE),
    95: ("Province-State", PLACE),
    101: ("Country-PrimaryLocationName", PLACE),
    105: ("Headline", TITLE),
    110: ("Credit", ARTIST),
    115: ("Source", Tag("comment", "Source", WHY_TEXT)),
    116: ("CopyrightNotice", COPYRIGHT),
    120: ("Caption-Abstract", DESCRIPTION),
    122: ("Writer-Editor", Tag("device", "Caption writer", WHY_NAME)),
}


def iptc_findings(iim: bytes) -> list[Finding]:
    """IPTC IIM datasets (0x1C, record, dataset, length, value)."""
    found: list[Finding] = []
    fields = 0
    pos = 0
    while pos + 5 <= len(iim) and iim[pos] == 0x1C:
        record, dataset, length = iim[pos + 1], iim[pos + 2], int.from_bytes(iim[pos + 3 : pos + 5])
        pos += 5
        if length & 0x8000:  # extended length: the next (length & 0x7FFF) bytes hold it
            width = length & 0x7FFF
            length, pos = int.from_bytes(iim[pos : pos + width]), pos + width
        value, pos = iim[pos : pos + length], pos + length
        fields += 1
        known = IPTC_TAGS.get(dataset) if record == 2 else None
        if known:
            info = known[1]
            text = short(value.decode("utf-8", "replace")) or "present"
            found.append(Finding(info.category, info.label + " (IPTC)", text, info.why))
    found.append(Finding(
        "iptc", "IPTC data", f"{fields} fields",
        "News-agency style captions, names, places and dates written by editing software",
    ))
    return found


def photoshop_findings(irb: bytes) -> list[Finding]:
    """Photoshop image resource blocks ("8BIM", id, Pascal name, size, data)."""
    found: list[Finding] = []
    blocks = 0
    pos = 0
    while pos + 12 <= len(irb) and irb[pos : pos + 4] == b"8BIM":
        resource, name_length = struct.unpack(">HB", irb[pos + 4 : pos + 7])
        pos += 6 + ((name_length + 2) & ~1)  # the Pascal name is padded to an even length
        if pos + 4 > len(irb):
            break
        (size,) = struct.unpack(">I", irb[pos : pos + 4])
        data = irb[pos + 4 : pos + 4 + size]
        pos += 4 + size + (size & 1)
        blocks += 1
        if resource == 0x0404:
            found += iptc_findings(data)
        elif resource in (0x0409, 0x040C):
            found.append(Finding(
                "thumbnail", "Photoshop thumbnail", size_text(len(data)),
                "A small copy of the photo; it may still show what was cropped or edited out",
            ))
        elif resource == 0x0424:
            found += xmp_findings(data)
    found.append(Finding(
        "iptc", "Photoshop data", f"{blocks} blocks, {size_text(len(irb))}",
        "Editing-software data: may hold captions, names, thumbnails and file paths",
    ))
    return found

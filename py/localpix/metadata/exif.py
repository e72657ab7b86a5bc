"""A small, defensive TIFF/EXIF reader (for inspect) and a writer that rebuilds a minimal EXIF
block holding only what a `Keep` policy allows (for clean).

Malformed input never raises: the reader returns what it could read and sets `damaged`.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from ..options import Keep
from ..report import Finding
from .exif_tags import EXIF_TAGS, GPS_TAGS
from .tags import LOCATION, position_finding
from .text import short, size_text

# Bytes per value of each TIFF field type (BYTE, ASCII, SHORT, LONG, RATIONAL, SBYTE, UNDEFINED,
# SSHORT, SLONG, SRATIONAL, FLOAT, DOUBLE, IFD).
_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}
_INT_FORMATS = {1: "B", 3: "H", 4: "I", 6: "b", 8: "h", 9: "i", 13: "I"}
_MAX_ENTRIES = 1000  # real IFDs hold tens of entries; more means garbage

EXIF_IFD, GPS_IFD, INTEROP_IFD = 0x8769, 0x8825, 0xA005
ORIENTATION = 0x0112
# Pointers, and blocks a TIFF keeps in IFD0 (IPTC, Photoshop, ICC) that are reported on their own.
_NOT_SETTINGS = frozenset([EXIF_IFD, GPS_IFD, INTEROP_IFD, 0x83BB, 0x8649, 0x8773])
_THUMB_OFFSET, _THUMB_LENGTH = 0x0201, 0x0202


@dataclass(frozen=True)
class Entry:
    tag: int
    type: int
    count: int
    raw: bytes  # the value's bytes, in the block's byte order


@dataclass
class Exif:
    order: str  # "<" (II) or ">" (MM)
    ifds: dict[str, dict[int, Entry]] = field(default_factory=dict)
    thumbnail: bytes | None = None
    damaged: bool = False

    def get(self, ifd: str, tag: int) -> Entry | None:
        return self.ifds.get(ifd, {}).get(tag)

    def ints(self, entry: Entry) -> tuple[int, ...]:
        fmt = _INT_FORMATS.get(entry.type)
        if fmt is None:
            return ()
        return struct.unpack(f"{self.order}{entry.count}{fmt}", entry.raw)

    def rationals(self, entry: Entry) -> tuple[float, ...]:
        if entry.type not in (5, 10):
            return tuple(float(v) for v in self.ints(entry))
        fmt = "I" if entry.type == 5 else "i"
        nums = struct.unpack(f"{self.order}{2 * entry.count}{fmt}", entry.raw)
        return tuple(n / d if d else 0.0 for n, d in zip(nums[::2], nums[1::2], strict=True))

    def text(self, entry: Entry) -> str:
        raw = entry.raw
        if entry.tag in (0x9C9B, 0x9C9C, 0x9C9D, 0x9C9E, 0x9C9F):  # Windows XP*: UTF-16LE
            return raw.decode("utf-16-le", "replace").split("\0")[0].strip()
        if entry.tag == 0x9286:  # UserComment: an 8-byte character-code prefix
            code, raw = raw[:8], raw[8:]
            if code.startswith(b"UNICODE"):
                codec = "utf-16-be" if self.order == ">" else "utf-16-le"
                return raw.decode(codec, "replace").split("\0")[0].strip()
        if entry.type not in (1, 2, 7):
            return ""
        return raw.split(b"\0")[0].decode("utf-8", "replace").strip()


class _Damaged(Exception):
    pass


def parse(block: bytes, thumbnail: bool = True) -> Exif | None:
    """Read a TIFF-structured block ("II*\\0..." / "MM\\0*..."). None if it is not one at all.
    `thumbnail=False` for TIFF files, whose second IFD is a page rather than a thumbnail."""
    order = {b"II": "<", b"MM": ">"}.get(block[:2])
    if order is None or len(block) < 8 or struct.unpack(f"{order}H", block[2:4])[0] != 42:
        return None
    exif = Exif(order)
    seen: set[int] = set()

    def read_ifd(name: str, offset: int) -> int:
        """Read one IFD into exif.ifds[name]; returns the next IFD's offset (0: none)."""
        if offset in seen or offset < 8 or offset + 2 > len(block):
            raise _Damaged
        seen.add(offset)
        (count,) = struct.unpack(f"{order}H", block[offset : offset + 2])
        entries: dict[int, Entry] = {}
        exif.ifds[name] = entries
        if count > _MAX_ENTRIES:
            raise _Damaged
        for pos in range(offset + 2, offset + 2 + 12 * count, 12):
            if pos + 12 > len(block):
                raise _Damaged
            tag, kind, n = struct.unpack(f"{order}HHI", block[pos : pos + 8])
            size = _TYPE_SIZES.get(kind, 0) * n
            if not size:
                exif.damaged = True
                continue
            if size <= 4:
                raw = block[pos + 8 : pos + 8 + size]
            else:
                (where,) = struct.unpack(f"{order}I", block[pos + 8 : pos + 12])
                if where + size > len(block):
                    exif.damaged = True
                    continue
                raw = block[where : where + size]
            entries[tag] = Entry(tag, kind, n, raw)
        end = offset + 2 + 12 * count
        return struct.unpack(f"{order}I", block[end : end + 4])[0] if end + 4 <= len(block) else 0

    def follow(name: str, parent: str, tag: int) -> None:
        entry = exif.get(parent, tag)
        if entry is None:
            return
        try:
            offsets = exif.ints(entry)
            if offsets:
                read_ifd(name, offsets[0])
        except (_Damaged, struct.error):
            exif.damaged = True

    try:
        next_ifd = read_ifd("IFD0", struct.unpack(f"{order}I", block[4:8])[0])
    except (_Damaged, struct.error):
        exif.damaged = True
        return exif
    follow("ExifIFD", "IFD0", EXIF_IFD)
    follow("GPS", "IFD0", GPS_IFD)
    follow("Interop", "ExifIFD", INTEROP_IFD)
    if thumbnail and next_ifd:
        try:
            read_ifd("IFD1", next_ifd)
        except (_Damaged, struct.error):
            exif.damaged = True
        start, length = exif.get("IFD1", _THUMB_OFFSET), exif.get("IFD1", _THUMB_LENGTH)
        if start and length and exif.ints(start) and exif.ints(length):
            begin, size = exif.ints(start)[0], exif.ints(length)[0]
            if size and begin + size <= len(block):
                exif.thumbnail = block[begin : begin + size]
    return exif


def _gps_findings(exif: Exif) -> list[Finding]:
    gps = exif.ifds.get("GPS", {})
    if not gps:
        return []
    findings: list[Finding] = []
    shown: set[int] = set()

    def coordinate(tag: int, ref_tag: int, negative: bytes) -> float | None:
        entry, ref = gps.get(tag), gps.get(ref_tag)
        parts = exif.rationals(entry) if entry else ()
        if len(parts) != 3:
            return None
        value = parts[0] + parts[1] / 60 + parts[2] / 3600
        return -value if ref is not None and ref.raw[:1] == negative else value

    lat, lon = coordinate(0x02, 0x01, b"S"), coordinate(0x04, 0x03, b"W")
    if lat is not None and lon is not None:
        findings.append(position_finding(lat, lon))
        shown |= {0x01, 0x02, 0x03, 0x04}
    for number, known in GPS_TAGS.items():
        entry = gps.get(number)
        if entry is None or number in shown:
            continue
        value = known.show(exif, entry) if known.show else ""
        if not value and entry.type in (5, 10):
            value = ", ".join(f"{v:g}" for v in exif.rationals(entry))
        value = value or short(exif.text(entry)) or size_text(len(entry.raw))
        tag = known.tag
        findings.append(Finding(tag.category, tag.label, value, tag.why))
        shown.add(number)
    if not findings:
        findings.append(Finding("location", "GPS data", f"{len(gps)} GPS fields", LOCATION.why))
    return findings


def findings(exif: Exif) -> list[Finding]:
    """Plain-words findings for every EXIF piece that matters; technical tags are summarised."""
    found: list[Finding] = []
    technical = 0
    for ifd in ("IFD0", "ExifIFD"):
        for tag, entry in exif.ifds.get(ifd, {}).items():
            known = EXIF_TAGS.get(tag)
            if known is None:
                # IFD0 tags below 0x8000 describe the image's layout (or, in a TIFF, hold XMP):
                # only the rest are camera settings.
                technical += tag not in _NOT_SETTINGS and (ifd == "ExifIFD" or tag >= 0x8000)
                continue
            value = known.show(exif, entry) if known.show else short(exif.text(entry))
            if not value:
                continue  # cameras write blank descriptions; nothing to tell
            info = known.tag
            found.append(Finding(info.category, info.label, value, info.why, info.private))
    found += _gps_findings(exif)
    if "IFD1" in exif.ifds:
        size = len(exif.thumbnail) if exif.thumbnail else 0
        found.append(Finding(
            "thumbnail", "Embedded thumbnail", size_text(size) if size else "present",
            "A small copy of the photo; it may still show what was cropped or edited out",
        ))
    if technical:
        found.append(Finding(
            "other", "Camera settings", f"{technical} technical tags",
            "Exposure, lens and similar settings: harmless alone, removed with the rest",
            private=False,
        ))
    if exif.damaged:
        found.append(Finding(
            "other", "Damaged EXIF data", "partly unreadable",
            "Some of the EXIF block could not be read; it is removed whole when cleaning",
        ))
    return found


def rebuild(exif: Exif | None, keep: Keep) -> bytes | None:
    """A minimal TIFF block with only the tags `keep` allows (Orientation 1 is the default and
    not worth keeping); None when nothing is left. Values are copied byte for byte."""
    if exif is None:
        return None
    kept: dict[str, list[Entry]] = {"IFD0": [], "ExifIFD": []}
    for ifd, entries in kept.items():
        for tag, entry in sorted(exif.ifds.get(ifd, {}).items()):
            known = EXIF_TAGS.get(tag)
            info = known.tag if known else None
            if info is None or info.keep is None or not getattr(keep, info.keep):
                continue
            if tag == ORIENTATION and not (entry.type == 3 and exif.ints(entry)[0] in range(2, 9)):
                continue
            entries.append(entry)
    if not kept["IFD0"] and not kept["ExifIFD"]:
        return None
    order = exif.order
    ifd0 = kept["IFD0"]
    if kept["ExifIFD"]:
        # The pointer's value is inline, so IFD0's size does not depend on it: size it first.
        ifd0 = sorted([*ifd0, Entry(EXIF_IFD, 4, 1, bytes(4))], key=lambda e: e.tag)
        pointer = 8 + len(_write_ifd(ifd0, 8, order))
        ifd0 = [
            Entry(EXIF_IFD, 4, 1, struct.pack(f"{order}I", pointer)) if e.tag == EXIF_IFD else e
            for e in ifd0
        ]
    header = (b"II*\0" if order == "<" else b"MM\0*") + struct.pack(f"{order}I", 8)
    block = header + _write_ifd(ifd0, 8, order)
    if kept["ExifIFD"]:
        block += _write_ifd(kept["ExifIFD"], len(block), order)
    return block


def _write_ifd(entries: list[Entry], offset: int, order: str) -> bytes:
    """One IFD at `offset` followed by its out-of-line values; no next IFD."""
    table = struct.pack(f"{order}H", len(entries))
    data = b""
    data_start = offset + 2 + 12 * len(entries) + 4
    for entry in entries:
        if len(entry.raw) <= 4:
            value = entry.raw.ljust(4, b"\0")
        else:
            value = struct.pack(f"{order}I", data_start + len(data))
            data += entry.raw + b"\0" * (len(entry.raw) & 1)  # values start on word boundaries
        table += struct.pack(f"{order}HHI", entry.tag, entry.type, entry.count) + value
    return table + struct.pack(f"{order}I", 0) + data

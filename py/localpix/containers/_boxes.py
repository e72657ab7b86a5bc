"""ISO base media file format boxes (ISO/IEC 14496-12), the structure HEIF, AVIF and the JPEG XL
container share: a bounds-checked box walker and a field reader for box payloads. Every length
is checked against its parent before it is trusted, so damaged files raise CorruptImageError (or
TruncatedImageError when the file simply ends too soon) instead of reading past the end."""

from __future__ import annotations

import struct
from dataclasses import dataclass

from ..errors import CorruptImageError, TruncatedImageError

# Real files have tens of boxes per level; many thousands means garbage, and bounding the count
# bounds the work a hostile file can ask for.
MAX_BOXES = 10_000


@dataclass(frozen=True)
class Box:
    type: bytes
    start: int  # data[start:end] is the whole box, header included
    body: int  # where the payload starts
    end: int

    def payload(self, data: bytes) -> bytes:
        return data[self.body : self.end]

    def raw(self, data: bytes) -> bytes:
        return data[self.start : self.end]


def boxes(data: bytes, start: int, end: int, what: str, top: bool = False) -> list[Box]:
    """The boxes in data[start:end]. `top`: this is the whole file, so a box running past its end
    means the file is cut short rather than damaged. `what` names the file kind for messages."""
    found: list[Box] = []
    pos = start
    while pos < end:
        if len(found) >= MAX_BOXES:
            raise CorruptImageError(f"The {what} file is damaged: it holds too many boxes.")
        if pos + 8 > end:
            _overrun(what, top, end == len(data))
        size, kind = struct.unpack(">I4s", data[pos : pos + 8])
        header = 8
        if size == 1:
            if pos + 16 > end:
                _overrun(what, top, end == len(data))
            (size,) = struct.unpack(">Q", data[pos + 8 : pos + 16])
            header = 16
        elif size == 0:  # "to the end of the file": only the last box of a file may say so
            if not top:
                raise CorruptImageError(f"The {what} file is damaged: a box has no size.")
            size = end - pos
        if size < header:
            raise CorruptImageError(f"The {what} file is damaged: a box declares a bad size.")
        if pos + size > end:
            _overrun(what, top, end == len(data))
        found.append(Box(kind, pos, pos + header, pos + size))
        pos += size
    return found


def _overrun(what: str, top: bool, at_file_end: bool) -> None:
    if top and at_file_end:
        raise TruncatedImageError(
            f"The {what} file is cut short (an interrupted download or copy?). Try the original."
        )
    raise CorruptImageError(f"The {what} file is damaged: a box runs past the end of its parent.")


def box(kind: bytes, payload: bytes) -> bytes:
    """A box with a 32-bit size (or a 64-bit one when it needs it)."""
    if len(payload) + 8 < 1 << 32:
        return struct.pack(">I4s", len(payload) + 8, kind) + payload
    return struct.pack(">I4sQ", 1, kind, len(payload) + 16) + payload


def full_box(kind: bytes, version: int, flags: int, payload: bytes) -> bytes:
    return box(kind, struct.pack(">I", (version << 24) | flags) + payload)


class Reader:
    """Big-endian fields from a box payload; reading past its end is a damaged file."""

    def __init__(self, data: bytes, what: str, pos: int = 0, end: int | None = None) -> None:
        self.data = data
        self.what = what
        self.pos = pos
        self.end = len(data) if end is None else end

    def remaining(self) -> int:
        return self.end - self.pos

    def take(self, size: int) -> bytes:
        if size < 0 or self.pos + size > self.end:
            raise CorruptImageError(f"The {self.what} file is damaged: a box is too short.")
        chunk = self.data[self.pos : self.pos + size]
        self.pos += size
        return chunk

    def uint(self, size: int) -> int:
        """An unsigned integer of `size` bytes (0 reads nothing and gives 0, as iloc wants)."""
        return int.from_bytes(self.take(size), "big") if size else 0

    def u8(self) -> int:
        return self.uint(1)

    def u16(self) -> int:
        return self.uint(2)

    def u32(self) -> int:
        return self.uint(4)

    def full(self) -> tuple[int, int]:
        """(version, flags) of a FullBox."""
        value = self.u32()
        return value >> 24, value & 0xFFFFFF

    def cstring(self) -> bytes:
        """A NUL-terminated string; a missing NUL at the payload's end is tolerated."""
        stop = self.data.find(b"\0", self.pos, self.end)
        if stop < 0:
            text, self.pos = self.data[self.pos : self.end], self.end
            return text
        text, self.pos = self.data[self.pos : stop], stop + 1
        return text

    def check_count(self, count: int, each: int, label: str) -> None:
        """Refuse a declared count that cannot fit in what is left (item counts in the millions
        in a few bytes), before looping over it."""
        if count * each > self.remaining():
            raise CorruptImageError(
                f"The {self.what} file is damaged: it declares {count:,} {label}, more than it "
                "has room for."
            )


def exif_tiff(payload: bytes) -> bytes:
    """The TIFF structure in an ISOBMFF Exif item or box: it follows a 4-byte offset to it
    (commonly 6, skipping "Exif\\0\\0"). Writers get that wrong (leaving the offset out, or
    "Exif" with offset 0), so a TIFF header at the start or just after the offset is taken too."""
    if len(payload) < 4 or payload[:4] in (b"II*\0", b"MM\0*"):
        return payload
    (skip,) = struct.unpack(">I", payload[:4])
    tiff = payload[4 + skip :]
    if tiff[:4] in (b"II*\0", b"MM\0*"):
        return tiff
    head = payload[4:20]
    found = [i for i in (head.find(b"MM\0*"), head.find(b"II*\0")) if i >= 0]
    return payload[4 + min(found) :] if found else payload[4:]

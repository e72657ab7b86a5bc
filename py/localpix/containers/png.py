"""PNG: chunk filtering. Image chunks are copied byte for byte (their CRCs verified); text, EXIF,
time stamps, unknown ancillary chunks and data after IEND go."""

from __future__ import annotations

import struct
import zlib

from ..errors import CorruptImageError, TruncatedImageError
from ..metadata import exif as exif_block
from ..metadata.comments import trailer_finding, unknown_finding
from ..metadata.icc import icc_finding
from ..metadata.iptc import iptc_findings, photoshop_findings
from ..metadata.png_text import PNG_TEXT_TAGS
from ..metadata.text import short
from ..metadata.xmp import xmp_findings
from ..options import DEFAULT_MAX_PIXELS, Keep, check_pixels
from ..report import Finding
from . import begins_like

TECHNIQUE = "surgery"

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_TEXT = frozenset([b"tEXt", b"zTXt", b"iTXt"])
# Ancillary chunks about the pixels themselves (colour, transparency, density, animation).
_IMAGE = frozenset([
    b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"sBIT", b"bKGD", b"hIST", b"pHYs", b"sPLT", b"sCAL",
    b"oFFs", b"pCAL", b"acTL", b"fcTL", b"fdAT", b"cICP", b"mDCv", b"cLLi",
])
_MAX_INFLATED = 1 << 20  # text and profiles are small; refuse to inflate a zip bomb

_TRUNCATED = "The PNG file is cut short (an interrupted download or copy?). Try the original."

Chunk = tuple[bytes, int, int]  # type, start, end: data[start:end] is length + type + data + CRC


def detect(data: bytes) -> bool:
    return data[:8] == _SIGNATURE


def starts_like(data: bytes) -> bool:
    return begins_like(data, _SIGNATURE)


def _parse(data: bytes, max_pixels: int | None) -> tuple[list[Chunk], int, int, int]:
    """(chunks up to IEND, width, height, end of IEND), every CRC checked."""
    chunks: list[Chunk] = []
    pos = len(_SIGNATURE)
    while True:
        if pos + 12 > len(data):
            raise TruncatedImageError(_TRUNCATED)
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        end = pos + 12 + length
        if end > len(data):
            raise TruncatedImageError(_TRUNCATED)
        (crc,) = struct.unpack(">I", data[end - 4 : end])
        if zlib.crc32(data[pos + 4 : end - 4]) != crc or not kind.isalpha():
            raise CorruptImageError(
                f"The PNG file is damaged: its {kind.decode('latin-1')!r} chunk fails its "
                "checksum. Try the original file."
            )
        if not chunks:
            if kind != b"IHDR" or length != 13:
                raise CorruptImageError("The PNG file is damaged: it does not start with IHDR.")
            width, height = struct.unpack(">II", data[pos + 8 : pos + 16])
            if max_pixels is not None:
                check_pixels(width, height, max_pixels)
        chunks.append((kind, pos, end))
        pos = end
        if kind == b"IEND":
            return chunks, width, height, pos


def chunk_bodies(data: bytes) -> list[tuple[bytes, bytes]]:
    """(type, data) of every chunk up to IEND, CRCs checked (for codecs that rewrite chunks)."""
    return [(kind, data[start + 8 : end - 4]) for kind, start, end in _parse(data, None)[0]]


def write_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _inflate(raw: bytes) -> bytes:
    try:
        return zlib.decompressobj().decompress(raw, _MAX_INFLATED)
    except zlib.error:
        return b""


def _text(kind: bytes, body: bytes) -> tuple[str, bytes]:
    """(keyword, text bytes) of a tEXt, zTXt or iTXt chunk."""
    keyword, _, rest = body.partition(b"\0")
    if kind == b"zTXt":
        rest = _inflate(rest[1:])
    elif kind == b"iTXt":
        compressed, rest = rest[:1] == b"\1", rest[2:]
        rest = rest.split(b"\0", 2)[-1]  # after language tag and translated keyword
        rest = _inflate(rest) if compressed else rest
    return keyword.decode("latin-1"), rest


def _text_findings(keyword: str, text: bytes) -> list[Finding]:
    if keyword == "XML:com.adobe.xmp":
        return xmp_findings(text)
    if keyword.startswith("Raw profile type "):  # ImageMagick: "\nexif\n  1234\n4578..." in hex
        try:
            raw = bytes.fromhex("".join(text.decode("ascii").split("\n")[3:]))
        except (UnicodeError, ValueError):
            raw = b""
        kind = keyword.removeprefix("Raw profile type ").lower()
        parsed = exif_block.parse(raw.removeprefix(b"Exif\0\0"))
        if parsed and kind in ("exif", "app1"):
            return exif_block.findings(parsed)
        if kind == "xmp":
            return xmp_findings(raw)
        if kind == "iptc":
            return iptc_findings(raw) if raw[:1] == b"\x1c" else photoshop_findings(raw)
        if kind == "8bim":
            return photoshop_findings(raw)
        return [unknown_finding(f"Embedded {kind} profile", len(raw))]
    info = PNG_TEXT_TAGS.get(keyword)
    value = short(text.decode("utf-8", "replace")) or "(empty)"
    if info is None:
        return [Finding(
            "text", f"Text: {short(keyword, 40)}", value,
            "Text stored in the file by the app that saved it; may name people, places or settings",
        )]
    return [Finding(info.category, info.label + " (PNG text)", value, info.why)]


def inspect(data: bytes) -> tuple[int, int, list[Finding]]:
    chunks, width, height, end = _parse(data, None)
    findings: list[Finding] = []
    for kind, start, stop in chunks:
        body = data[start + 8 : stop - 4]
        if kind in _TEXT:
            findings += _text_findings(*_text(kind, body))
        elif kind == b"eXIf":
            parsed = exif_block.parse(body.removeprefix(b"Exif\0\0"))
            findings += exif_block.findings(parsed) if parsed else [
                unknown_finding("Unreadable EXIF block", len(body))
            ]
        elif kind == b"tIME" and len(body) == 7:
            findings.append(Finding(
                "time", "Last modified time", "{}-{:02}-{:02} {:02}:{:02}:{:02}".format(
                    struct.unpack(">H", body[:2])[0], *body[2:]
                ), "Tells when the file was last changed",
            ))
        elif kind == b"iCCP":
            findings.append(icc_finding(_inflate(body.partition(b"\0")[2][1:])))
        elif kind[:1].islower() and kind not in _IMAGE:
            label = f"Unknown PNG chunk {kind.decode('latin-1')}"
            findings.append(unknown_finding(label, len(body)))
    if end < len(data):
        findings.append(trailer_finding(data[end:]))
    return width, height, findings


def clean(data: bytes, keep: Keep, max_pixels: int = DEFAULT_MAX_PIXELS) -> bytes:
    chunks, _, _, _ = _parse(data, max_pixels)
    exif = next((data[s + 8 : e - 4] for k, s, e in chunks if k == b"eXIf"), None)
    rebuilt = exif_block.rebuild(exif_block.parse(exif.removeprefix(b"Exif\0\0")), keep) if exif \
        else None
    out = [_SIGNATURE]
    for kind, start, end in chunks:
        if kind == b"iCCP":
            if not keep.color_profile:
                continue
        elif kind[:1].islower() and kind not in _IMAGE:  # text, eXIf, tIME, unknown ancillary
            continue
        if kind == b"IDAT" and rebuilt:  # eXIf must come before the image data
            out.append(write_chunk(b"eXIf", rebuilt))
            rebuilt = None
        out.append(data[start:end])
    return b"".join(out)

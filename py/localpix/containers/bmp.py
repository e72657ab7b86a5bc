"""BMP: a lossless re-save with Pillow. BMP carries no private metadata of its own, but a V5
header can link a colour profile by file path, and bytes can trail the pixels."""

from __future__ import annotations

import io
import struct

from ..errors import TruncatedImageError
from ..metadata.comments import trailer_finding
from ..metadata.icc import icc_finding
from ..options import DEFAULT_MAX_PIXELS, Keep
from ..pixels.decode import open_image, pillow_errors
from ..report import Finding
from . import begins_like

TECHNIQUE = "resave"

_HEADER_SIZES = (12, 16, 40, 52, 56, 64, 108, 124)
_EMBEDDED, _LINKED = b"MBED"[::-1], b"LINK"[::-1]  # little-endian FOURCCs


def detect(data: bytes) -> bool:
    return data[:2] == b"BM" and int.from_bytes(data[14:18], "little") in _HEADER_SIZES


def starts_like(data: bytes) -> bool:
    return begins_like(data, b"BM")


def inspect(data: bytes) -> tuple[int, int, list[Finding]]:
    if len(data) < 26:
        raise TruncatedImageError("The BMP file is cut short. Try the original file.")
    header = int.from_bytes(data[14:18], "little")
    if header == 12:
        width, height = struct.unpack("<HH", data[18:22])
    else:
        width, height = struct.unpack("<ii", data[18:26])
    findings: list[Finding] = []
    if header == 124 and len(data) >= 14 + 124:
        kind = data[14 + 56 : 14 + 60]
        start, size = struct.unpack("<II", data[14 + 112 : 14 + 120])
        profile = data[14 + start : 14 + start + size]
        if kind == _EMBEDDED and profile:
            findings.append(icc_finding(profile))
        elif kind == _LINKED and profile:
            findings.append(Finding(
                "color_profile", "Linked colour profile path",
                profile.split(b"\0")[0].decode("latin-1"),
                "A file path on the computer that made the image; may include a user name",
            ))
    (declared,) = struct.unpack("<I", data[2:6])
    if struct.unpack("<I", data[10:14])[0] < declared < len(data):
        findings.append(trailer_finding(data[declared:]))
    return width, abs(height), findings


def clean(data: bytes, keep: Keep, max_pixels: int = DEFAULT_MAX_PIXELS) -> bytes:
    image = open_image(data, max_pixels)
    out = io.BytesIO()
    with pillow_errors():
        copy = image.copy()
        copy.info = {}
        copy.save(out, "BMP")
    return out.getvalue()

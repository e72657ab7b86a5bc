"""Pieces the container modules share: the pixel limit, and findings for metadata blocks that
several containers carry (XMP, IPTC / Photoshop, ICC, comments, trailers)."""

from __future__ import annotations

import re
import struct
import xml.etree.ElementTree as ET

from ..errors import CorruptImageError
from ..exif import position_text, short, size_text
from ..imaging import too_large
from ..report import Finding
from ..tags import IPTC_NAMES, TAGS


def check_size(width: int, height: int, max_pixels: int) -> None:
    """Refuse a header over the pixel limit before any other work is done."""
    if width < 1 or height < 1:
        raise CorruptImageError("The image declares no pixels (zero width or height).")
    if width * height > max_pixels:
        raise too_large(width, height, max_pixels)


def comment_finding(label: str, raw: bytes) -> Finding:
    text = short(raw.split(b"\0")[0].decode("utf-8", "replace")) or size_text(len(raw))
    return Finding("comment", label, text, TAGS["PNG:Comment"].why)


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


_XMP_PREFIXES = {
    "http://purl.org/dc/elements/1.1/": "dc",
    "http://ns.adobe.com/xap/1.0/": "xmp",
    "http://ns.adobe.com/xap/1.0/mm/": "xmpMM",
    "http://ns.adobe.com/xap/1.0/rights/": "xmpRights",
    "http://ns.adobe.com/photoshop/1.0/": "photoshop",
    "http://ns.adobe.com/exif/1.0/": "exif",
    "http://cipa.jp/exif/1.0/": "exifEX",
    "http://ns.adobe.com/exif/1.0/aux/": "aux",
    "http://ns.adobe.com/tiff/1.0/": "tiff",
    "http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/": "Iptc4xmpCore",
}
_RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
_NUMBER = r"(\d+(?:\.\d+)?)"
_XMP_COORDINATE = re.compile(rf"^\s*{_NUMBER},{_NUMBER}(?:,{_NUMBER})?([NSEW])\s*$")


def _xmp_coordinate(text: str) -> float | None:
    """XMP writes GPS as "48,51.502N" or "48,51,30.13N"."""
    match = _XMP_COORDINATE.match(text)
    if not match:
        return None
    degrees, minutes, seconds, ref = match.groups()
    value = float(degrees) + float(minutes) / 60 + float(seconds or 0) / 3600
    return -value if ref in "SW" else value


def _xmp_properties(packet: bytes) -> list[tuple[str, str, int]]:
    """(prefix:Name, text, number of items) for each top-level XMP property."""
    # XMP forbids DTDs; refusing them rules out entity-expansion attacks on the XML parser.
    if b"<!DOCTYPE" in packet or b"<!ENTITY" in packet:
        raise ValueError("XMP with a DTD")
    root = ET.fromstring(packet.strip(b"\0 \t\r\n"))
    props: list[tuple[str, str, int]] = []

    def key(qname: str) -> str:
        uri, _, local = qname[1:].partition("}")
        return f"{_XMP_PREFIXES.get(uri, 'other')}:{local}"

    for desc in root.iter(f"{_RDF}Description"):
        for name, value in desc.attrib.items():
            if name.startswith("{") and not name.startswith(_RDF):
                props.append((key(name), value, 1))
        for child in desc:
            items = list(child.iter(f"{_RDF}li"))
            texts = [t.strip() for t in ((li.text or "") for li in items) if t.strip()]
            text = ", ".join(texts) if texts else (child.text or "").strip()
            props.append((key(child.tag), text, len(items) or 1))
    return props


def xmp_findings(packet: bytes) -> list[Finding]:
    try:
        props = _xmp_properties(packet)
    except (ET.ParseError, ValueError, UnicodeError):
        props = []
    found: list[Finding] = []
    position = {name: _xmp_coordinate(text) for name, text, _ in props
                if name in ("exif:GPSLatitude", "exif:GPSLongitude")}
    located = len(position) == 2 and None not in position.values()
    if located:
        info = TAGS["exif:GPSLatitude"]
        found.append(Finding(
            info.category, info.label + " (XMP)",
            position_text(position["exif:GPSLatitude"], position["exif:GPSLongitude"]), info.why,
        ))
    for name, text, items in props:
        info = TAGS.get(name)
        if info is None or (located and name in position):
            continue
        if name == "xmpMM:History":
            value = f"{items} steps"
        elif name == "photoshop:DocumentAncestors":
            value = f"{items} IDs"
        else:
            value = short(text) or "present"
        found.append(Finding(info.category, info.label + " (XMP)", value, info.why))
    found.append(Finding(
        "xmp", "XMP metadata", f"{size_text(len(packet))}, {len(props)} properties",
        "An extensible metadata packet: may repeat the camera data and add editing details, "
        "names and IDs that track the file across edits",
    ))
    return found


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
        name = IPTC_NAMES.get(dataset) if record == 2 else None
        if name:
            info = TAGS[f"IPTC:{name}"]
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

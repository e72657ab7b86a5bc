"""XMP packets (RDF/XML): every top-level property, explained through the tag table."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from ..report import Finding
from .tags import (
    ARTIST,
    CITY,
    COPYRIGHT,
    DATE_DIGITIZED,
    DATE_MODIFIED,
    DATE_TAKEN,
    DESCRIPTION,
    KEYWORDS,
    LOCATION,
    MAKE,
    MODEL,
    PLACE,
    SOFTWARE,
    TITLE,
    WHY_DOC_ID,
    WHY_NAME,
    WHY_SERIAL,
    WHY_TEXT,
    WHY_WHEN,
    Tag,
    position_finding,
)
from .text import short, size_text

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
# XMP properties ("prefix:Name", with the prefixes of _XMP_PREFIXES) -> meaning
XMP_TAGS: dict[str, Tag] = {
    "dc:creator": ARTIST,
    "dc:rights": COPYRIGHT,
    "dc:description": DESCRIPTION,
    "dc:title": TITLE,
    "dc:subject": KEYWORDS,
    "xmp:CreatorTool": SOFTWARE,
    "xmp:CreateDate": DATE_DIGITIZED,
    "xmp:ModifyDate": DATE_MODIFIED,
    "xmp:MetadataDate": Tag("time", "Metadata date", "Tells when the file's metadata was edited"),
    "xmp:Label": TITLE,
    "xmpMM:DocumentID": Tag("xmp", "Document ID", WHY_DOC_ID),
    "xmpMM:InstanceID": Tag("xmp", "Instance ID", WHY_DOC_ID),
    "xmpMM:OriginalDocumentID": Tag("xmp", "Original document ID", WHY_DOC_ID),
    "xmpMM:DerivedFrom": Tag("xmp", "Derived from", WHY_DOC_ID),
    "xmpMM:History": Tag(
        "xmp", "Edit history",
        "Lists every save and edit, with dates and software: the file's life story",
    ),
    "xmpMM:Ingredients": Tag("xmp", "Source files", "Names files that went into this one"),
    "xmpMM:Manifest": Tag("xmp", "Source files", "Names files that went into this one"),
    "xmpRights:Owner": ARTIST,
    "xmpRights:UsageTerms": COPYRIGHT,
    "photoshop:DateCreated": DATE_TAKEN,
    "photoshop:City": CITY,
    "photoshop:State": PLACE,
    "photoshop:Country": PLACE,
    "photoshop:AuthorsPosition": Tag("device", "Author's job title", WHY_NAME),
    "photoshop:Credit": ARTIST,
    "photoshop:Source": Tag("comment", "Source", WHY_TEXT),
    "photoshop:DocumentAncestors": Tag(
        "xmp", "Source document IDs", "IDs of other files this one was made from, linking them",
    ),
    "photoshop:TextLayerText": Tag("comment", "Text layers", WHY_TEXT),
    "photoshop:History": Tag("xmp", "Edit history", "Lists edits made to the file"),
    "Iptc4xmpCore:Location": PLACE,
    "Iptc4xmpCore:CreatorContactInfo": Tag(
        "device", "Author's contact details", "Address, phone or e-mail of a person",
    ),
    "exif:DateTimeOriginal": DATE_TAKEN,
    "exif:GPSLatitude": LOCATION,
    "exif:GPSLongitude": LOCATION,
    "exif:GPSAltitude": Tag("location", "Altitude", "Tells how high the photo was taken"),
    "exif:GPSTimeStamp": Tag("time", "GPS time", WHY_WHEN),
    "exif:UserComment": Tag("comment", "User comment", WHY_TEXT),
    "exifEX:BodySerialNumber": Tag("device", "Camera serial number", WHY_SERIAL),
    "exifEX:CameraOwnerName": Tag("device", "Camera owner name", WHY_NAME),
    "exifEX:LensSerialNumber": Tag("device", "Lens serial number", WHY_SERIAL),
    "exifEX:LensModel": Tag("device", "Lens model", "Names the lens used"),
    "aux:SerialNumber": Tag("device", "Camera serial number", WHY_SERIAL),
    "aux:LensSerialNumber": Tag("device", "Lens serial number", WHY_SERIAL),
    "aux:OwnerName": Tag("device", "Camera owner name", WHY_NAME),
    "aux:Lens": Tag("device", "Lens model", "Names the lens used"),
    "tiff:Make": MAKE,
    "tiff:Model": MODEL,
    "tiff:Artist": ARTIST,
    "tiff:Software": SOFTWARE,
    "tiff:DateTime": DATE_MODIFIED,
    "tiff:ImageDescription": DESCRIPTION,
    "tiff:Copyright": COPYRIGHT,
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


_DTD = "XMP with a DTD"


class _NoDTD(ET.TreeBuilder):
    """XMP forbids DTDs. Refusing one as the parser meets it (in whatever encoding the packet
    declares) rules out entity expansion ("billion laughs") and external entities: entities
    can only be declared inside a DTD, and without one expat fetches nothing."""

    def doctype(self, name: str, pubid: str | None, system: str | None) -> None:
        raise ValueError(_DTD)


def _xmp_properties(packet: bytes) -> list[tuple[str, str, int]]:
    """(prefix:Name, text, number of items) for each top-level XMP property."""
    parser = ET.XMLParser(target=_NoDTD())
    parser.feed(packet.strip(b"\0 \t\r\n"))
    root = parser.close()
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
    unread = ""
    try:
        props = _xmp_properties(packet)
    except (ET.ParseError, ValueError, UnicodeError) as exc:
        props = []
        unread = "; not read: it declares a DTD, which XMP forbids" if str(exc) == _DTD else ""
    found: list[Finding] = []
    position = {name: _xmp_coordinate(text) for name, text, _ in props
                if name in ("exif:GPSLatitude", "exif:GPSLongitude")}
    located = len(position) == 2 and None not in position.values()
    if located:
        found.append(position_finding(position["exif:GPSLatitude"], position["exif:GPSLongitude"],
                                      " (XMP)"))
    for name, text, items in props:
        info = XMP_TAGS.get(name)
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
        "xmp", "XMP metadata", f"{size_text(len(packet))}, {len(props)} properties{unread}",
        "An extensible metadata packet: may repeat the camera data and add editing details, "
        "names and IDs that track the file across edits",
    ))
    return found

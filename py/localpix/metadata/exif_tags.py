"""The EXIF and GPS tag tables: per tag number, ExifTool's name, what it means (a `Tag`) and,
where a plain text preview would not do, how its value is shown. Tags not listed here are
summarised as camera settings or, in IFD0 below 0x8000, are the image's own layout."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .tags import (
    ARTIST,
    COPYRIGHT,
    DATE_DIGITIZED,
    DATE_MODIFIED,
    DATE_TAKEN,
    DESCRIPTION,
    KEYWORDS,
    LOCATION,
    MAKE,
    MODEL,
    ORIENTATION,
    PLACE,
    SOFTWARE,
    TITLE,
    WHY_DOC_ID,
    WHY_NAME,
    WHY_SERIAL,
    WHY_TEXT,
    WHY_WHEN,
    WHY_WHERE,
    WHY_ZONE,
    Tag,
)
from .text import size_text

if TYPE_CHECKING:
    from .exif import Entry, Exif

_ORIENTATIONS = {
    1: "Normal", 2: "Mirrored", 3: "Rotate 180°", 4: "Mirrored upside down",
    5: "Mirrored, rotate 270° clockwise", 6: "Rotate 90° clockwise",
    7: "Mirrored, rotate 90° clockwise", 8: "Rotate 270° clockwise",
}


def _orientation(exif: Exif, entry: Entry) -> str:
    number = exif.ints(entry)[0] if exif.ints(entry) else 0
    return f"{_ORIENTATIONS.get(number, 'Invalid')} ({number})"


def _size(exif: Exif, entry: Entry) -> str:
    return size_text(len(entry.raw))


def _altitude(exif: Exif, entry: Entry) -> str:
    """Metres; below sea level when GPSAltitudeRef (0x05) is 1."""
    values = exif.rationals(entry)
    if not values:
        return ""
    ref = exif.get("GPS", 0x05)
    below = ref is not None and ref.raw[:1] == b"\x01"
    return f"{'-' if below else ''}{values[0]:.0f} m"


def _utc_time(exif: Exif, entry: Entry) -> str:
    values = exif.rationals(entry)
    return "{:02.0f}:{:02.0f}:{:02.0f} UTC".format(*values) if len(values) == 3 else ""


@dataclass(frozen=True)
class ExifTag:
    name: str  # ExifTool's name
    tag: Tag
    # How the value is shown; None: as text. "" (from either) means nothing worth telling.
    show: Callable[[Exif, Entry], str] | None = None


# IFD0 and the Exif sub-IFD
EXIF_TAGS: dict[int, ExifTag] = {
    0x010D: ExifTag("DocumentName", Tag("comment", "Document name", WHY_TEXT)),
    0x010E: ExifTag("ImageDescription", DESCRIPTION),
    0x010F: ExifTag("Make", MAKE),
    0x0110: ExifTag("Model", MODEL),
    0x0112: ExifTag("Orientation", ORIENTATION, show=_orientation),
    0x0131: ExifTag("Software", SOFTWARE),
    0x0132: ExifTag("ModifyDate", DATE_MODIFIED),
    0x013B: ExifTag("Artist", ARTIST),
    0x013C: ExifTag(
        "HostComputer", Tag("device", "Computer name", "Names the computer that saved the file"),
    ),
    0x8298: ExifTag("Copyright", COPYRIGHT),
    0x9003: ExifTag("DateTimeOriginal", DATE_TAKEN),
    0x9004: ExifTag("CreateDate", DATE_DIGITIZED),
    0x9010: ExifTag("OffsetTime", Tag("time", "Time zone (modified)", WHY_ZONE)),
    0x9011: ExifTag("OffsetTimeOriginal", Tag("time", "Time zone (taken)", WHY_ZONE, "date_taken")),
    0x9012: ExifTag(
        "OffsetTimeDigitized", Tag("time", "Time zone (digitized)", WHY_ZONE, "date_taken"),
    ),
    0x9290: ExifTag("SubSecTime", Tag("time", "Fraction of a second (modified)", WHY_WHEN)),
    0x9291: ExifTag("SubSecTimeOriginal", Tag("time", "Fraction of a second (taken)", WHY_WHEN)),
    0x9292: ExifTag(
        "SubSecTimeDigitized", Tag("time", "Fraction of a second (digitized)", WHY_WHEN),
    ),
    0x9286: ExifTag("UserComment", Tag("comment", "User comment", WHY_TEXT)),
    0x927C: ExifTag("MakerNote", Tag(
            "other", "Maker notes",
            "The manufacturer's private data block: often serial numbers, owner and lens details",
        ), show=_size),
    0xA420: ExifTag("ImageUniqueID", Tag("device", "Unique image ID", WHY_DOC_ID)),
    0xA430: ExifTag("OwnerName", Tag("device", "Camera owner name", WHY_NAME)),
    0xA431: ExifTag("SerialNumber", Tag("device", "Camera serial number", WHY_SERIAL)),
    0xA433: ExifTag(
        "LensMake", Tag("device", "Lens make", "Names the lens used; helps fingerprint a camera"),
    ),
    0xA434: ExifTag(
        "LensModel", Tag("device", "Lens model", "Names the lens used; helps fingerprint a camera"),
    ),
    0xA435: ExifTag("LensSerialNumber", Tag(
            "device", "Lens serial number", "Identifies the exact lens, linking all its photos",
        )),
    0xA436: ExifTag("ImageTitle", TITLE),
    0xA437: ExifTag("Photographer", Tag("device", "Photographer name", WHY_NAME)),
    0xA438: ExifTag("ImageEditor", Tag("device", "Editor name", WHY_NAME)),
    0xA439: ExifTag("CameraFirmware", SOFTWARE),
    0xA43A: ExifTag("ImageEditingSoftware", SOFTWARE),
    0x9C9B: ExifTag("XPTitle", TITLE),
    0x9C9C: ExifTag("XPComment", Tag("comment", "Windows comment", WHY_TEXT)),
    0x9C9D: ExifTag("XPAuthor", Tag("device", "Windows author name", WHY_NAME)),
    0x9C9E: ExifTag("XPKeywords", KEYWORDS),
    0x9C9F: ExifTag("XPSubject", Tag("comment", "Windows subject", WHY_TEXT)),
}

# The GPS IFD: the position (0x01-0x04) is one finding with a readable preview (exif.py).
GPS_TAGS: dict[int, ExifTag] = {
    0x02: ExifTag("GPSLatitude", LOCATION),
    0x04: ExifTag("GPSLongitude", LOCATION),
    0x06: ExifTag(
        "GPSAltitude",
        Tag("location", "Altitude", "Tells how high the photo was taken: e.g. a floor"),
        show=_altitude,
    ),
    0x07: ExifTag("GPSTimeStamp", Tag("time", "GPS time", WHY_WHEN), show=_utc_time),
    0x0D: ExifTag("GPSSpeed", Tag("location", "Speed", "Tells how fast the camera was moving")),
    0x11: ExifTag("GPSImgDirection", Tag(
        "location", "Camera direction", "Tells which way the camera faced; narrows down the place",
    )),
    0x1B: ExifTag("GPSProcessingMethod", Tag("location", "Positioning method", WHY_WHERE)),
    0x1C: ExifTag("GPSAreaInformation", PLACE),
    0x1D: ExifTag("GPSDateStamp", Tag("time", "GPS date", WHY_WHEN)),
}

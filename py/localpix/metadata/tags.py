"""What metadata means, in plain words: the `Tag` each family's table entry points to (category,
label, why it matters, and the `Keep` flag, if any, that lets it survive cleaning), and the
meanings several families share (an author's name is an author's name in EXIF, XMP and IPTC).

The tables themselves live with their family, one entry per key with everything about it:
exif_tags (EXIF and GPS, by number), xmp (properties), iptc (datasets), png_text (keywords).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..report import Category, Finding
from .text import position_text


@dataclass(frozen=True)
class Tag:
    category: Category
    label: str
    why: str
    keep: str | None = None  # the Keep flag that preserves it; None: always removed
    private: bool = True


WHY_WHERE = "Reveals where the photo was taken: often someone's home"
WHY_GPS = "Reveals where the photo was taken, down to a few metres: often someone's home"
WHY_WHEN = "Tells exactly when the photo was taken"
WHY_ZONE = "Reveals the time zone, so roughly where in the world the photo was taken"
WHY_SERIAL = "Identifies the exact camera body that took the photo, linking all its photos together"
WHY_NAME = "Names a person: whoever took or owns the photo"
WHY_SOFTWARE = "Names the app or firmware that saved the file; helps fingerprint a device"
WHY_TEXT = "Free text that may name people, places or anything else"
WHY_DOC_ID = "A unique ID that tracks this file across edits and copies, linking them together"
WHY_CREDIT = "States who owns the rights; kept only if you ask to keep copyright"

ORIENTATION = Tag(
    "orientation", "Orientation", "Tells viewers how to rotate the picture; harmless",
    "orientation", private=False,
)
DATE_TAKEN = Tag("time", "Date taken", WHY_WHEN, "date_taken")
DATE_DIGITIZED = Tag("time", "Date digitized", WHY_WHEN, "date_taken")
DATE_MODIFIED = Tag("time", "Date modified", "Tells when the file was last edited")
# Not kept with the copyright notice: "keep copyright" keeps the notice itself, and a person's
# name is private even where the notice repeats it by the owner's choice.
ARTIST = Tag("device", "Author / artist name", WHY_NAME)
COPYRIGHT = Tag("copyright", "Copyright notice", WHY_CREDIT, "copyright")
MAKE = Tag("device", "Camera make", "Names the brand of the device that took the photo")
MODEL = Tag("device", "Camera model", "Names the exact model of the device that took the photo")
SOFTWARE = Tag("device", "Software", WHY_SOFTWARE)
DESCRIPTION = Tag("comment", "Image description", WHY_TEXT)
TITLE = Tag("comment", "Title", WHY_TEXT)
KEYWORDS = Tag("comment", "Keywords", WHY_TEXT)
CITY = Tag("location", "City", WHY_WHERE)
PLACE = Tag("location", "Place name", WHY_WHERE)
LOCATION = Tag("location", "GPS position", WHY_GPS)

GPS_POSITION = "gps_position"  # Finding.key of every GPS position


def position_finding(lat: float, lon: float, source: str = "") -> Finding:
    """The one finding for a GPS position, wherever it was read (EXIF, or XMP with a source)."""
    return Finding(LOCATION.category, LOCATION.label + source, position_text(lat, lon),
                   LOCATION.why, key=GPS_POSITION)

"""The one table of metadata keys localpix explains: what each is, in plain words, why it matters,
and which `Keep` flag (if any) lets it survive cleaning.

Keys are ExifTool-style names. EXIF and GPS tags are looked up by number through `EXIF_NAMES`
and `GPS_NAMES`; XMP properties as "prefix:Name" (dc:creator); IPTC datasets as "IPTC:Name";
PNG text keywords as "PNG:Keyword".
"""

from __future__ import annotations

from dataclasses import dataclass

from .report import Category


@dataclass(frozen=True)
class Tag:
    category: Category
    label: str
    why: str
    keep: str | None = None  # the Keep flag that preserves it; None: always removed
    private: bool = True


_WHERE = "Reveals where the photo was taken: often someone's home"
_GPS = "Reveals where the photo was taken, down to a few metres: often someone's home"
_WHEN = "Tells exactly when the photo was taken"
_WHEN_ZONE = "Reveals the time zone, so roughly where in the world the photo was taken"
_SERIAL = "Identifies the exact camera body that took the photo, linking all its photos together"
_NAME = "Names a person: whoever took or owns the photo"
_SOFTWARE = "Names the app or firmware that saved the file; helps fingerprint a device"
_TEXT = "Free text that may name people, places or anything else"
_DOC_ID = "A unique ID that tracks this file across edits and copies, linking them together"
_CREDIT = "States who owns the rights; kept only if you ask to keep copyright"

ORIENTATION = Tag(
    "orientation", "Orientation", "Tells viewers how to rotate the picture; harmless",
    "orientation", private=False,
)
DATE_TAKEN = Tag("time", "Date taken", _WHEN, "date_taken")
DATE_DIGITIZED = Tag("time", "Date digitized", _WHEN, "date_taken")
DATE_MODIFIED = Tag("time", "Date modified", "Tells when the file was last edited")
# Not kept with the copyright notice: "keep copyright" keeps the notice itself, and a person's
# name is private even where the notice repeats it by the owner's choice.
ARTIST = Tag("device", "Author / artist name", _NAME)
COPYRIGHT = Tag("copyright", "Copyright notice", _CREDIT, "copyright")
MAKE = Tag("device", "Camera make", "Names the brand of the device that took the photo")
MODEL = Tag("device", "Camera model", "Names the exact model of the device that took the photo")
SOFTWARE = Tag("device", "Software", _SOFTWARE)
DESCRIPTION = Tag("comment", "Image description", _TEXT)
TITLE = Tag("comment", "Title", _TEXT)
KEYWORDS = Tag("comment", "Keywords", _TEXT)
CITY = Tag("location", "City", _WHERE)
PLACE = Tag("location", "Place name", _WHERE)
LOCATION = Tag("location", "GPS position", _GPS)

TAGS: dict[str, Tag] = {
    # EXIF IFD0
    "ImageDescription": DESCRIPTION,
    "Make": MAKE,
    "Model": MODEL,
    "Orientation": ORIENTATION,
    "Software": SOFTWARE,
    "ModifyDate": DATE_MODIFIED,
    "Artist": ARTIST,
    "HostComputer": Tag("device", "Computer name", "Names the computer that saved the file"),
    "Copyright": COPYRIGHT,
    "XPTitle": TITLE,
    "XPComment": Tag("comment", "Windows comment", _TEXT),
    "XPAuthor": Tag("device", "Windows author name", _NAME),
    "XPKeywords": KEYWORDS,
    "XPSubject": Tag("comment", "Windows subject", _TEXT),
    "DocumentName": Tag("comment", "Document name", _TEXT),
    # EXIF sub-IFD
    "DateTimeOriginal": DATE_TAKEN,
    "CreateDate": DATE_DIGITIZED,
    "OffsetTime": Tag("time", "Time zone (modified)", _WHEN_ZONE),
    "OffsetTimeOriginal": Tag("time", "Time zone (taken)", _WHEN_ZONE, "date_taken"),
    "OffsetTimeDigitized": Tag("time", "Time zone (digitized)", _WHEN_ZONE, "date_taken"),
    "SubSecTime": Tag("time", "Fraction of a second (modified)", _WHEN),
    "SubSecTimeOriginal": Tag("time", "Fraction of a second (taken)", _WHEN),
    "SubSecTimeDigitized": Tag("time", "Fraction of a second (digitized)", _WHEN),
    "UserComment": Tag("comment", "User comment", _TEXT),
    "MakerNote": Tag(
        "other", "Maker notes",
        "The manufacturer's private data block: often serial numbers, owner and lens details",
    ),
    "ImageUniqueID": Tag("device", "Unique image ID", _DOC_ID),
    "OwnerName": Tag("device", "Camera owner name", _NAME),
    "SerialNumber": Tag("device", "Camera serial number", _SERIAL),
    "LensMake": Tag("device", "Lens make", "Names the lens used; helps fingerprint a camera"),
    "LensModel": Tag("device", "Lens model", "Names the lens used; helps fingerprint a camera"),
    "LensSerialNumber": Tag(
        "device", "Lens serial number", "Identifies the exact lens, linking all its photos",
    ),
    "Photographer": Tag("device", "Photographer name", _NAME),
    "ImageEditor": Tag("device", "Editor name", _NAME),
    "CameraFirmware": SOFTWARE,
    "ImageEditingSoftware": SOFTWARE,
    "ImageTitle": TITLE,
    # GPS IFD: the position tags become one finding with a readable preview
    "GPSLatitude": LOCATION,
    "GPSLongitude": LOCATION,
    "GPSAltitude": Tag("location", "Altitude", "Tells how high the photo was taken: e.g. a floor"),
    "GPSTimeStamp": Tag("time", "GPS time", _WHEN),
    "GPSDateStamp": Tag("time", "GPS date", _WHEN),
    "GPSImgDirection": Tag(
        "location", "Camera direction", "Tells which way the camera faced; narrows down the place",
    ),
    "GPSSpeed": Tag("location", "Speed", "Tells how fast the camera was moving"),
    "GPSAreaInformation": PLACE,
    "GPSProcessingMethod": Tag("location", "Positioning method", _WHERE),
    # XMP
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
    "xmpMM:DocumentID": Tag("xmp", "Document ID", _DOC_ID),
    "xmpMM:InstanceID": Tag("xmp", "Instance ID", _DOC_ID),
    "xmpMM:OriginalDocumentID": Tag("xmp", "Original document ID", _DOC_ID),
    "xmpMM:DerivedFrom": Tag("xmp", "Derived from", _DOC_ID),
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
    "photoshop:AuthorsPosition": Tag("device", "Author's job title", _NAME),
    "photoshop:Credit": ARTIST,
    "photoshop:Source": Tag("comment", "Source", _TEXT),
    "photoshop:DocumentAncestors": Tag(
        "xmp", "Source document IDs", "IDs of other files this one was made from, linking them",
    ),
    "photoshop:TextLayerText": Tag("comment", "Text layers", _TEXT),
    "photoshop:History": Tag("xmp", "Edit history", "Lists edits made to the file"),
    "Iptc4xmpCore:Location": PLACE,
    "Iptc4xmpCore:CreatorContactInfo": Tag(
        "device", "Author's contact details", "Address, phone or e-mail of a person",
    ),
    "exif:DateTimeOriginal": DATE_TAKEN,
    "exif:GPSLatitude": LOCATION,
    "exif:GPSLongitude": LOCATION,
    "exif:GPSAltitude": Tag("location", "Altitude", "Tells how high the photo was taken"),
    "exif:GPSTimeStamp": Tag("time", "GPS time", _WHEN),
    "exif:UserComment": Tag("comment", "User comment", _TEXT),
    "exifEX:BodySerialNumber": Tag("device", "Camera serial number", _SERIAL),
    "exifEX:CameraOwnerName": Tag("device", "Camera owner name", _NAME),
    "exifEX:LensSerialNumber": Tag("device", "Lens serial number", _SERIAL),
    "exifEX:LensModel": Tag("device", "Lens model", "Names the lens used"),
    "aux:SerialNumber": Tag("device", "Camera serial number", _SERIAL),
    "aux:LensSerialNumber": Tag("device", "Lens serial number", _SERIAL),
    "aux:OwnerName": Tag("device", "Camera owner name", _NAME),
    "aux:Lens": Tag("device", "Lens model", "Names the lens used"),
    "tiff:Make": MAKE,
    "tiff:Model": MODEL,
    "tiff:Artist": ARTIST,
    "tiff:Software": SOFTWARE,
    "tiff:DateTime": DATE_MODIFIED,
    "tiff:ImageDescription": DESCRIPTION,
    "tiff:Copyright": COPYRIGHT,
    # IPTC IIM (in JPEG APP13 / TIFF)
    "IPTC:By-line": ARTIST,
    "IPTC:By-lineTitle": Tag("device", "Author's job title", _NAME),
    "IPTC:Writer-Editor": Tag("device", "Caption writer", _NAME),
    "IPTC:Credit": ARTIST,
    "IPTC:Source": Tag("comment", "Source", _TEXT),
    "IPTC:CopyrightNotice": COPYRIGHT,
    "IPTC:Caption-Abstract": DESCRIPTION,
    "IPTC:Headline": TITLE,
    "IPTC:ObjectName": TITLE,
    "IPTC:Keywords": KEYWORDS,
    "IPTC:SpecialInstructions": Tag("comment", "Special instructions", _TEXT),
    "IPTC:City": CITY,
    "IPTC:Sub-location": PLACE,
    "IPTC:Province-State": PLACE,
    "IPTC:Country-PrimaryLocationName": PLACE,
    "IPTC:DateCreated": DATE_TAKEN,
    "IPTC:TimeCreated": Tag("time", "Time taken", _WHEN),
    "IPTC:DigitalCreationDate": DATE_DIGITIZED,
    "IPTC:OriginatingProgram": SOFTWARE,
    # PNG text keywords (the registered ones, plus what cameras and apps write)
    "PNG:Title": TITLE,
    "PNG:Author": ARTIST,
    "PNG:Artist": ARTIST,
    "PNG:Description": DESCRIPTION,
    "PNG:Copyright": COPYRIGHT,
    "PNG:Creation Time": DATE_TAKEN,
    "PNG:Software": SOFTWARE,
    "PNG:Disclaimer": Tag("comment", "Disclaimer", _TEXT),
    "PNG:Warning": Tag("comment", "Warning text", _TEXT),
    "PNG:Source": MODEL,
    "PNG:Comment": Tag("comment", "Comment", _TEXT),
    "PNG:Make": MAKE,
    "PNG:Model": MODEL,
    "PNG:parameters": Tag(
        "text", "AI generation settings", "The prompt and settings used to generate the image",
    ),
}

# EXIF tag numbers (IFD0, ExifIFD, IFD1) -> ExifTool names, for the tags the table explains.
EXIF_NAMES: dict[int, str] = {
    0x010D: "DocumentName", 0x010E: "ImageDescription", 0x010F: "Make", 0x0110: "Model",
    0x0112: "Orientation", 0x0131: "Software", 0x0132: "ModifyDate", 0x013B: "Artist",
    0x013C: "HostComputer", 0x8298: "Copyright", 0x9003: "DateTimeOriginal",
    0x9004: "CreateDate", 0x9010: "OffsetTime", 0x9011: "OffsetTimeOriginal",
    0x9012: "OffsetTimeDigitized", 0x9290: "SubSecTime", 0x9291: "SubSecTimeOriginal",
    0x9292: "SubSecTimeDigitized", 0x9286: "UserComment", 0x927C: "MakerNote",
    0xA420: "ImageUniqueID", 0xA430: "OwnerName", 0xA431: "SerialNumber", 0xA433: "LensMake",
    0xA434: "LensModel", 0xA435: "LensSerialNumber", 0xA436: "ImageTitle",
    0xA437: "Photographer", 0xA438: "ImageEditor", 0xA439: "CameraFirmware",
    0xA43A: "ImageEditingSoftware", 0x9C9B: "XPTitle", 0x9C9C: "XPComment", 0x9C9D: "XPAuthor",
    0x9C9E: "XPKeywords", 0x9C9F: "XPSubject",
}

GPS_NAMES: dict[int, str] = {
    0x02: "GPSLatitude", 0x04: "GPSLongitude", 0x06: "GPSAltitude", 0x07: "GPSTimeStamp",
    0x0D: "GPSSpeed", 0x11: "GPSImgDirection", 0x1B: "GPSProcessingMethod",
    0x1C: "GPSAreaInformation", 0x1D: "GPSDateStamp",
}

# IPTC IIM record 2 dataset numbers -> names.
IPTC_NAMES: dict[int, str] = {
    5: "ObjectName", 25: "Keywords", 40: "SpecialInstructions", 55: "DateCreated",
    60: "TimeCreated", 62: "DigitalCreationDate", 65: "OriginatingProgram", 80: "By-line",
    85: "By-lineTitle", 90: "City", 92: "Sub-location", 95: "Province-State",
    101: "Country-PrimaryLocationName", 105: "Headline", 110: "Credit", 115: "Source",
    116: "CopyrightNotice", 120: "Caption-Abstract", 122: "Writer-Editor",
}

"""PNG text chunks (tEXt, zTXt, iTXt): the keywords localpix explains, the registered ones plus
what cameras and apps write. Any other keyword is reported as text all the same."""

from __future__ import annotations

from .tags import (
    ARTIST,
    COPYRIGHT,
    DATE_TAKEN,
    DESCRIPTION,
    MAKE,
    MODEL,
    SOFTWARE,
    TITLE,
    WHY_TEXT,
    Tag,
)

PNG_TEXT_TAGS: dict[str, Tag] = {
    "Title": TITLE,
    "Author": ARTIST,
    "Artist": ARTIST,
    "Description": DESCRIPTION,
    "Copyright": COPYRIGHT,
    "Creation Time": DATE_TAKEN,
    "Software": SOFTWARE,
    "Disclaimer": Tag("comment", "Disclaimer", WHY_TEXT),
    "Warning": Tag("comment", "Warning text", WHY_TEXT),
    "Source": MODEL,
    "Comment": Tag("comment", "Comment", WHY_TEXT),
    "Make": MAKE,
    "Model": MODEL,
}

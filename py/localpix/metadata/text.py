"""How metadata values are shown to people: one-line previews, sizes and positions.

Every value comes from a file someone else made, so what reaches a person is plain, visible text:
control characters, bidirectional overrides (U+202E can make "gpj.exe" read "exe.jpg"),
zero-width and other invisible format characters, and lone surrogates become U+FFFD, and no
preview is longer than its limit, however long the value (a 1 MB string costs a slice)."""

from __future__ import annotations

import re
import unicodedata

REPLACEMENT = "\ufffd"
# Categories replaced: Cc control, Cf format (bidi controls, zero-width, BOM), Cs surrogate.
_HIDDEN = frozenset(("Cc", "Cf", "Cs"))
_WHITESPACE = re.compile(r"\s+")
# However much whitespace collapses, a preview never reads more of a value than this.
_WINDOW = 8


def visible(text: str) -> str:
    """`text` with every invisible or reordering character replaced by U+FFFD (whitespace
    excepted: the caller decides how to show it)."""
    if text.isprintable():  # the common case, in C
        return text
    return "".join(
        REPLACEMENT if unicodedata.category(c) in _HIDDEN and not c.isspace() else c
        for c in text
    )


def short(text: str, limit: int = 80) -> str:
    """A one-line preview of at most `limit` characters, shown as plain visible text."""
    text = visible(_WHITESPACE.sub(" ", text[: limit * _WINDOW]).strip())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def size_text(size: int) -> str:
    """KB and MB are 1000 and 1000² bytes, as on the page and in the CLI."""
    if size < 1000:
        return f"{size} bytes"
    if size < 1_000_000:
        return f"{size / 1000:.1f} KB"
    return f"{size / 1_000_000:.1f} MB"


def position_text(lat: float, lon: float) -> str:
    """48.8584° N, 2.2945° E"""
    return (
        f"{abs(lat):.4f}° {'N' if lat >= 0 else 'S'}, {abs(lon):.4f}° {'E' if lon >= 0 else 'W'}"
    )

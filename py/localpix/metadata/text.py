"""How metadata values are shown to people: one-line previews, sizes and positions."""

from __future__ import annotations


def short(text: str, limit: int = 80) -> str:
    """A one-line preview, cut to `limit` characters."""
    text = " ".join(text.split())
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

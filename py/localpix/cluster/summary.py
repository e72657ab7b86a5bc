"""The privacy sentences of the page's batch summary (web/report.js batchSummary), over a whole
cluster run: "37 of 40 photos carried a GPS location; all removed."

Each file's part is worked out on the worker (`privacy`) and kept in the manifest as category
names and states only, never the values: a resumed run sums what earlier runs found too."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from ..report import Finding, Report

# How a sentence names each category, in the page's order and words.
PHRASES = {
    "device": "camera or device details (make, model, serial, owner, software)",
    "time": "dates and times",
    "thumbnail": "a hidden thumbnail or preview",
    "xmp": "XMP metadata",
    "iptc": "IPTC or Photoshop data",
    "comment": "comments or descriptions",
    "text": "text chunks",
    "trailer": "hidden data after the image",
    "other": "maker notes or other metadata blocks",
    "copyright": "a copyright notice",
    "color_profile": "a colour profile",
    "orientation": "an orientation tag",
}
_HARMLESS = ("color_profile", "orientation")  # worth a sentence only when kept
_LATITUDE = re.compile(r"°\s*[NS]\b")


def _is_gps_position(finding: Finding) -> bool:
    """Coordinates, not just some place-related field (a city, an altitude)."""
    return finding.category == "location" and (
        "gps position" in finding.label.lower() or bool(_LATITUDE.search(finding.value))
    )


def privacy(before: Report, after: Report) -> dict[str, Any]:
    """{"categories": {category: "removed" | "kept" | "partly"}, "gps": "none" | "removed" |
    "kept"} for one file: what it carried and what became of it."""
    kept = {(f.category, f.label) for f in after.findings}
    categories: dict[str, str] = {}
    gps: list[bool] = []
    for finding in before.findings:
        removed = (finding.category, finding.label) not in kept
        now = "removed" if removed else "kept"
        was = categories.get(finding.category)
        categories[finding.category] = "partly" if was and was != now else now
        if _is_gps_position(finding):
            gps.append(removed)
    return {"categories": categories,
            "gps": "none" if not gps else "removed" if all(gps) else "kept"}  # fmt: skip


def _outcome(carried: int, kept: int) -> str:
    if not kept:
        return "removed" if carried == 1 else "all removed"
    if kept == carried:
        return "kept, as your settings ask"
    return f"removed from {carried - kept}, kept in {kept} (your settings)"


def sentences(files: Iterable[dict[str, Any]]) -> list[str]:
    """The summary over every file processed without error (each one's `privacy`)."""
    files = list(files)
    total = len(files)
    if not total:
        return []
    noun = "photo" if total == 1 else "photos"
    gps = [f["gps"] for f in files if f["gps"] != "none"]
    place = [f["categories"]["location"] for f in files
             if f["gps"] == "none" and "location" in f["categories"]]  # fmt: skip
    lines = []
    if not gps:
        lines.append("The photo carried no GPS location." if total == 1 else
                     f"None of the {total} {noun} carried a GPS location.")  # fmt: skip
    else:
        who = "The photo" if total == 1 else f"{len(gps)} of {total} {noun}"
        lines.append(f"{who} carried a GPS location; "
                     f"{_outcome(len(gps), gps.count('kept'))}.")  # fmt: skip
    if place:
        others = len(place)
        who = (f"{others} other{'' if others == 1 else 's'}" if gps else
               "The photo" if total == 1 else f"{others} of {total} {noun}")  # fmt: skip
        lines.append(f"{who} carried place details (place names, or GPS fields without a "
                     f"position); {_outcome(others, others - place.count('removed'))}.")
    for category, phrase in PHRASES.items():
        states = [f["categories"][category] for f in files if category in f["categories"]]
        kept = len(states) - states.count("removed")
        if not states or (category in _HARMLESS and not kept):
            continue
        who = "The photo" if total == 1 else f"{len(states)} of {total} {noun}"
        lines.append(f"{who} carried {phrase}; {_outcome(len(states), kept)}.")
    return lines

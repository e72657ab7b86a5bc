"""The engine's facts the page needs, written by scripts/build into dist/facts.js, so that the
page never keeps its own copy: formats and extensions, option defaults and ranges, the keep
choices, the quality targets, finding categories and keys, and the size units."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path
from typing import Any, get_args

from ..codecs.providers import PROVIDERS
from ..metadata.tags import GPS_POSITION
from ..options import (
    DEFAULT_MAX_PIXELS,
    DEFAULT_QUALITY_TARGET,
    QUALITY_TARGETS,
    CompressOptions,
    Keep,
)
from ..pipeline.run import MODES
from ..registry import FORMATS, SMALLEST, SMALLEST_OF, record
from ..report import Category

# Ranges CompressOptions.__post_init__ enforces; a test checks the engine refuses just outside.
RANGES = {
    "quality": (1, 100),
    "quality_target": (30, 99),
    "png_colors": (2, 256),
    "max_width": (1, None),
    "max_height": (1, None),
    "target_size": (1, None),
}


def page_output_formats() -> list[str]:
    """What the page can write: not the formats whose encoder Pyodide's Pillow lacks (AVIF)
    unless a browser provider writes them."""
    browser = {name for name, p in PROVIDERS.items() if p.runtime == "browser"}
    return [f.name for f in FORMATS if f.writable
            and (f.encoder_needs is None or browser.intersection(f.providers))]


def facts() -> dict[str, Any]:
    defaults = CompressOptions()
    keep = Keep()
    writable = page_output_formats()
    smallest_of = [name for name in SMALLEST_OF if name in writable]
    return {
        "formats": [
            {"name": f.name, "label": f.label, "mime": f.mime, "extensions": list(f.extensions),
             "writable": f.writable, "compress_to": f.compress_to}
            for f in FORMATS
        ],
        "output_formats": [*writable, SMALLEST],
        "output_labels": {
            **{name: record(name).label for name in writable},
            SMALLEST: "Smallest of " + " / ".join(record(n).label for n in smallest_of),
        },
        "extensions": [e for f in FORMATS for e in f.extensions],
        "accept": ",".join([f.mime for f in FORMATS] + [e for f in FORMATS for e in f.extensions]),
        "modes": list(MODES),
        "options": {
            f.name: {"default": getattr(defaults, f.name),
                     **({"min": RANGES[f.name][0], "max": RANGES[f.name][1]}
                        if f.name in RANGES else {})}
            for f in fields(CompressOptions) if f.name not in ("keep", "background")
        },
        "keep": [{"name": f.name, "default": getattr(keep, f.name)} for f in fields(Keep)],
        "quality_targets": [{"score": score, "label": label, "meaning": meaning}
                            for score, (label, meaning) in QUALITY_TARGETS.items()],
        "default_quality_target": DEFAULT_QUALITY_TARGET,
        "max_pixels": DEFAULT_MAX_PIXELS,
        "categories": list(get_args(Category)),
        "finding_keys": {"gps_position": GPS_POSITION},
        "units": {"KB": 1000, "MB": 1000 * 1000, "KiB": 1024, "MiB": 1024 * 1024},
    }


def script(data: dict[str, Any] | None = None) -> str:
    """facts.js: a classic script, like the page's others (no fetch: it works from file:// and
    in the single-file build)."""
    text = json.dumps(facts() if data is None else data, indent=1, sort_keys=True)
    return (
        "// Written by scripts/build from the engine (localpix.adapters.page_facts): do not edit.\n"
        '"use strict";\nwindow.localpix = window.localpix || {};\n'
        f"window.localpix.facts = Object.freeze({text});\n"
    )


def write(path: Path) -> None:
    path.write_text(script(), encoding="utf-8")

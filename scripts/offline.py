"""The offline part of the build, run by scripts/build on the assembled dist/ (before it goes
live): PNG app icons, the single-file dist/localpix.html, and the service worker's precache list.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import singlefile

PRECACHE_SCRIPT = "precache.js"
# Never precached: the service worker and its list (the browser keeps those itself) and the
# single file (a download for keeping, not something the app loads).
NOT_PRECACHED = {"sw.js", PRECACHE_SCRIPT, singlefile.OUTPUT_NAME}
# Loaded by the engine worker (importScripts, fetch) rather than by the page.
ENGINE_FILES = {"worker.js", "decoders.js", "build-info.json"}
ICON_SIZES = (192, 512)
ACCENT = (37, 99, 235)  # --accent in style.css; the same drawing as web/icons/icon.svg


def draw_icon(size: int, maskable: bool = False) -> object:
    """A photo glyph (frame, sun, hill) on the accent colour, drawn on a 100-unit grid."""
    from PIL import Image, ImageDraw

    scale = 4  # supersample, then shrink: smooth edges without anti-aliasing support
    n = size * scale
    image = Image.new("RGBA", (n, n), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)

    def u(value: float) -> int:
        return round(value * n / 100)

    if maskable:  # full bleed; the glyph shrinks to stay inside the 80 % safe circle
        draw.rectangle((0, 0, n, n), fill=(*ACCENT, 255))
        inset, span = 10, 80
    else:
        draw.rounded_rectangle((0, 0, n - 1, n - 1), radius=u(22), fill=(*ACCENT, 255))
        inset, span = 0, 100

    def g(value: float) -> int:  # glyph coordinates on the 100-unit grid
        return u(inset + value * span / 100)

    white = (255, 255, 255, 255)
    draw.rounded_rectangle((g(20), g(26), g(80), g(74)), radius=g(6) - g(0), outline=white,
                           width=max(1, g(6) - g(0)))
    draw.ellipse((g(60) - (g(6) - g(0)), g(40) - (g(6) - g(0)),
                  g(60) + (g(6) - g(0)), g(40) + (g(6) - g(0))), fill=white)
    draw.polygon([(g(26), g(68)), (g(44), g(46)), (g(56), g(60)), (g(62), g(54)),
                  (g(74), g(68))], fill=white)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def write_icons(dist: Path) -> None:
    icons = dist / "icons"
    icons.mkdir(exist_ok=True)
    for size in ICON_SIZES:
        draw_icon(size).save(icons / f"icon-{size}.png", optimize=True)
    draw_icon(512, maskable=True).save(icons / "icon-maskable-512.png", optimize=True)


def write_precache(dist: Path) -> dict:
    """precache.js for sw.js: every file the app loads, with its sha256, and a cache version
    derived from all of them (a new build, a new cache)."""
    files = {}
    for path in sorted(dist.rglob("*")):
        rel = path.relative_to(dist).as_posix()
        if (path.is_file() and rel not in NOT_PRECACHED
                and path.suffix not in singlefile.PRECOMPRESSED):
            files[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    version = hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest()[:16]
    # The engine worker's files: on a first visit the worker downloads them itself (and hands
    # over what it fetched), so sw.js stores them only once the engine is ready, from that
    # hand-over or the browser's HTTP cache, never by downloading them a second time.
    info = json.loads((dist / "build-info.json").read_text())
    # The decoders (decoders.js) and wasm codecs are engine files too, fetched on first use:
    # never before ready.
    later = sorted(rel for rel in files
                   if rel.startswith(("pyodide/", "decoders/", "codecs/")) or rel in ENGINE_FILES
                   or rel in info["download"])
    manifest = {"version": version, "files": files, "later": later}
    (dist / PRECACHE_SCRIPT).write_text(
        "// Written by scripts/offline.py at build time: what sw.js precaches.\n"
        f"self.LOCALPIX_PRECACHE = {json.dumps(manifest, indent=1, sort_keys=True)};\n")
    return manifest


def finish(dist: Path) -> None:
    shutil.rmtree(dist / "singlefile", ignore_errors=True)  # embedded, not served
    write_icons(dist)
    singlefile.build(dist)
    write_precache(dist)

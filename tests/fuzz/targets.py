"""Fuzz targets: one per parser the engine owns, each a function of untrusted bytes.

A target passes when it returns or raises a `localpix.errors.LocalpixError` (a refusal the user
can read); any other exception is a crash. `scripts/fuzz` runs them under atheris (coverage
guided, libFuzzer), which also counts a call over 10 s or a process over 2 GB as a crash;
`tests/fuzz/test_fuzz.py` runs each briefly in CI and replays `regressions/` (every crash found,
kept with its file). Seeds come from ../shared/corpus/ (see `seeds`)."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "corpus"
REGRESSIONS = Path(__file__).resolve().parent / "regressions"
# Small enough that a header declaring a huge image is refused quickly (a LocalpixError, a pass)
# instead of allocating gigabytes; real decoding still runs on every seed.
MAX_PIXELS = 1_000_000
# What the fuzzer may hand `compress`: bigger inputs only slow it down, never reach new code.
COMPRESS_MAX_BYTES = 64_000

_CONTAINERS = ("jpeg", "png", "webp", "gif", "tiff", "bmp", "netpbm", "heic", "avif", "jxl")


@dataclass(frozen=True)
class Target:
    name: str
    run: Callable[[bytes], object]
    seeds: Callable[[], Iterator[bytes]]


def _refused(call: Callable[[], object]) -> object:
    from localpix.errors import LocalpixError

    try:
        return call()
    except LocalpixError as exc:
        if not str(exc):
            raise AssertionError(f"{type(exc).__name__} without a message") from exc
        return None


# ---- seeds ---------------------------------------------------------------------------------

def _files(*patterns: str) -> Iterator[bytes]:
    for pattern in patterns:
        for path in sorted(CORPUS.glob(pattern)):
            if path.is_file() and path.stat().st_size <= 200_000:
                yield path.read_bytes()


def _synthetic(fmt: str) -> bytes:
    """The corpus has no small TIFF, BMP or Netpbm file: make one with metadata in it."""
    from PIL import Image

    image = Image.linear_gradient("L").resize((48, 32)).convert("RGB")
    buf = io.BytesIO()
    if fmt == "TIFF":
        exif = Image.Exif()
        exif[0x013B] = "Jane_Doe"  # Artist
        exif[0x0112] = 6  # Orientation
        image.save(buf, "TIFF", exif=exif, compression="tiff_lzw")
    else:
        image.save(buf, fmt)
    return buf.getvalue()


_CONTAINER_SEEDS: dict[str, Callable[[], Iterator[bytes]]] = {
    "jpeg": lambda: _files("formats/*.jpg", "photos/*.jpg", "bad-exif/*.jpg", "xmp/*.jpg",
                           "broken/*.jpg"),
    "png": lambda: _files("formats/*.png", "broken/*.png"),
    "webp": lambda: _files("formats/*.webp"),
    "gif": lambda: _files("formats/*.gif"),
    "tiff": lambda: iter([_synthetic("TIFF")]),
    "bmp": lambda: iter([_synthetic("BMP")]),
    "netpbm": lambda: iter([_synthetic("PPM"), b"P1\n# Jane_Doe\n3 2\n1 0 1\n0 1 0\n",
                            b"P2\n2 2\n255\n0 64\n128 255\n"]),
    "heic": lambda: _files("modern/*.heic"),
    "avif": lambda: _files("modern/*.avif"),
    "jxl": lambda: _files("modern/*.jxl"),
}


def _jpeg_segments(marker: int, prefix: bytes) -> Iterator[bytes]:
    """Payloads of one kind of JPEG segment across the corpus, without their signature."""
    for data in _files("formats/*.jpg", "photos/*.jpg", "gps/*.jpg", "xmp/*.jpg", "bad-exif/*.jpg"):
        pos = 2
        while pos + 4 <= len(data) and data[pos] == 0xFF and data[pos + 1] not in (0xDA, 0xD9):
            length = int.from_bytes(data[pos + 2 : pos + 4], "big")
            payload = data[pos + 4 : pos + 2 + length]
            if data[pos + 1] == marker and payload.startswith(prefix):
                yield payload[len(prefix) :]
            pos += 2 + length


def _xmp_seeds() -> Iterator[bytes]:
    yield from _jpeg_segments(0xE1, b"http://ns.adobe.com/xap/1.0/\0")
    yield (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/'
           b'22-rdf-syntax-ns#"><rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" '
           b'dc:format="image/jpeg"><dc:creator><rdf:Seq><rdf:li>Jane_Doe</rdf:li></rdf:Seq>'
           b"</dc:creator></rdf:Description></rdf:RDF></x:xmpmeta>")


def _iptc_seeds() -> Iterator[bytes]:
    for irb in _jpeg_segments(0xED, b"Photoshop 3.0\0"):
        pos = irb.find(b"\x1c\x02")
        if pos != -1:
            yield irb[pos:]


_OPTION_SEEDS = [
    {}, {"quality": 80}, {"format": "webp", "quality_target": 80, "max_width": 2048},
    {"keep": {"orientation": True, "copyright": False}, "background": "#ffffff"},
    {"keep": ["date_taken"], "target_size": 200000, "png_colors": 64, "webp_lossless": False},
    {"format": None, "max_height": 1.0e3, "max_pixels": 100, "keep": "orientation,copyright"},
]


# ---- the targets ---------------------------------------------------------------------------

def _container(name: str) -> tuple[Target, Target]:
    def module():  # imported on first use, after atheris has instrumented localpix
        import importlib

        return importlib.import_module(f"localpix.containers.{name}")

    def inspect(data: bytes) -> object:
        mod = module()
        return _refused(lambda: mod.inspect(data)) if mod.detect(data) else None

    def clean(data: bytes) -> object:
        from localpix.options import Keep

        mod = module()
        if not mod.detect(data):
            return None
        output = _refused(lambda: mod.clean(data, Keep(), MAX_PIXELS))
        if output is not None and not isinstance(output, bytes):
            raise AssertionError(f"clean gave {type(output).__name__}, not bytes")
        return output

    seeds = _CONTAINER_SEEDS[name]
    return Target(f"{name}-inspect", inspect, seeds), Target(f"{name}-clean", clean, seeds)


def _exif(data: bytes) -> object:
    from localpix.metadata import exif
    from localpix.options import Keep

    parsed = exif.parse(data)
    if parsed is None:
        return None
    exif.findings(parsed)
    everything = Keep(orientation=True, color_profile=True, copyright=True, date_taken=True)
    rebuilt = exif.rebuild(parsed, everything)
    if rebuilt is not None and exif.parse(rebuilt) is None:
        raise AssertionError("the rebuilt EXIF block does not parse")
    return rebuilt


def _xmp(data: bytes) -> object:
    from localpix.metadata.xmp import xmp_findings

    return xmp_findings(data)


def _iptc(data: bytes) -> object:
    from localpix.metadata.iptc import iptc_findings, photoshop_findings

    return iptc_findings(data), photoshop_findings(b"8BIM\x04\x04\0\0" + len(data).to_bytes(4)
                                                   + data)


def _icc(data: bytes) -> object:
    from localpix.metadata.icc import icc_finding

    return icc_finding(data)


def _options(data: bytes) -> object:
    from localpix.options import parse_options

    try:
        raw = json.loads(data)
    except (ValueError, RecursionError):  # not JSON: the page only ever sends JSON
        return None
    return _refused(lambda: parse_options(raw))


def _compress(data: bytes) -> object:
    from localpix.options import CompressOptions
    from localpix.pipeline.compress import compress

    if len(data) > COMPRESS_MAX_BYTES:
        return None
    options = CompressOptions(max_pixels=MAX_PIXELS, quality=60, max_width=320)
    return _refused(lambda: compress(data, options))


def _compress_seeds() -> Iterator[bytes]:
    for name in _CONTAINERS:
        for data in _CONTAINER_SEEDS[name]():
            if len(data) <= COMPRESS_MAX_BYTES:
                yield data


ENGINE: dict[str, Target] = {
    t.name: t
    for t in [
        *(t for name in _CONTAINERS for t in _container(name)),
        Target("exif", _exif, lambda: _jpeg_segments(0xE1, b"Exif\0\0")),
        Target("xmp", _xmp, _xmp_seeds),
        Target("iptc", _iptc, _iptc_seeds),
        Target("icc", _icc, lambda: _jpeg_segments(0xE2, b"ICC_PROFILE\0\x01\x01")),
        Target("options", _options,
               lambda: (json.dumps(o).encode() for o in _OPTION_SEEDS)),
        Target("compress", _compress, _compress_seeds),
    ]
}


def regression_files() -> list[tuple[str, Path]]:
    """(target, file) for every input kept under regressions/<target>/."""
    return [(folder.name, path) for folder in sorted(REGRESSIONS.iterdir()) if folder.is_dir()
            for path in sorted(folder.iterdir()) if not path.name.startswith(".")]


def safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", text)

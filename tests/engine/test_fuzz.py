"""Property: on damaged input, inspect, clean and compress either succeed or raise a LocalpixError.
Never another exception, never a hang. Mutations: truncation, flipped bytes, and corrupted
segment/chunk length fields (the fields parsers trust most)."""

from __future__ import annotations

import io
import os
import signal
import struct
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from tests.conftest import CORPUS

from localpix import CompressOptions, Keep, LocalpixError, clean, compress, inspect

# Small seeds, one or more per container, so each example takes milliseconds.
SEEDS = [
    "formats/meta.jpg", "formats/meta.png", "formats/meta.webp", "formats/meta.gif",
    "formats/trailer.jpg", "formats/crop_with_old_thumb.jpg", "photos/Fujifilm_FinePix_E500.jpg",
    "photos/Canon_40D.jpg", "bad-exif/image01137.jpg", "xmp/BlueSquare.jpg",
    "synthetic:tiff", "synthetic:bmp", "modern/meta.heic", "modern/meta.avif", "modern/meta.jxl",
]  # fmt: skip
PER_CALL_SECONDS = 10  # far above any real call on these files: only a hang gets near it

# Keep the pixel limit small so that a mutated header declaring a huge image is refused fast
# instead of allocating gigabytes (that refusal is itself a LocalpixError, i.e. a pass).
MAX_PIXELS = 4_000_000
OPTIONS = CompressOptions(max_pixels=MAX_PIXELS, quality=60)
# 60 examples per test keeps the suite quick and, derandomized, the same on every CI run (a new
# random find must not turn an unrelated change red); LOCALPIX_FUZZ_EXAMPLES=5000 hunts deeply
# with fresh random examples each time.
DEEP = os.environ.get("LOCALPIX_FUZZ_EXAMPLES")
EXAMPLES = int(DEEP or "60")
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=not DEEP,
                suppress_health_check=[HealthCheck.too_slow])  # fmt: skip


@cache
def seed(name: str) -> bytes:
    """A corpus file, or "synthetic:tiff|bmp": the corpus has no small TIFF and no BMP."""
    if not name.startswith("synthetic:"):
        return (CORPUS / name).read_bytes()
    image = Image.linear_gradient("L").resize((48, 32)).convert("RGB")
    buf = io.BytesIO()
    if name == "synthetic:tiff":
        exif = Image.Exif()
        exif[0x013B] = "Jane_Doe"  # Artist
        exif[0x8298] = "CC-BY_Jane_Doe"  # Copyright
        exif[0x0112] = 6  # Orientation
        image.save(buf, "TIFF", exif=exif)
    else:
        image.save(buf, "BMP")
    return buf.getvalue()


class Hang(Exception):
    pass


@contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    """Fail (rather than stall the suite) if a call runs away. SIGALRM: Unix, main thread."""

    def on_alarm(signum, frame):
        raise Hang(f"no answer after {seconds} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def length_fields(data: bytes) -> list[tuple[int, int, str]]:
    """(offset, width, byte order) of the length/offset fields parsers trust, in a JPEG, PNG,
    RIFF, GIF, TIFF or BMP file."""
    fields: list[tuple[int, int, str]] = []
    if data[:2] == b"\xff\xd8":
        pos = 2
        while pos + 4 <= len(data) and data[pos] == 0xFF:
            marker = data[pos + 1]
            fields.append((pos + 2, 2, "big"))
            if marker in (0xD9, 0xDA):  # end of image / start of scan: entropy data follows
                break
            pos += 2 + struct.unpack(">H", data[pos + 2 : pos + 4])[0]
    elif data[:8] == b"\x89PNG\r\n\x1a\n":
        pos = 8
        while pos + 8 <= len(data):
            fields.append((pos, 4, "big"))
            pos += 12 + struct.unpack(">I", data[pos : pos + 4])[0]
    elif data[:4] == b"RIFF":
        fields.append((4, 4, "little"))
        pos = 12
        while pos + 8 <= len(data):
            fields.append((pos + 4, 4, "little"))
            size = struct.unpack("<I", data[pos + 4 : pos + 8])[0]
            pos += 8 + size + (size & 1)
    elif data[:3] == b"GIF":
        fields += [(6, 2, "little"), (8, 2, "little")]  # logical screen size
        # image descriptors: 0x2C, then left, top, width, height (2 bytes each), flags
        pos = data.find(b"\x2c", 13)
        while pos != -1 and len(fields) < 40:
            fields += [(pos + 5, 2, "little"), (pos + 7, 2, "little"), (pos + 9, 1, "little")]
            pos = data.find(b"\x2c", pos + 1)
    elif data[:4] in (b"II*\0", b"MM\0*"):
        order = "little" if data[:2] == b"II" else "big"
        ifd = int.from_bytes(data[4:8], order)
        fields.append((4, 4, order))
        if ifd + 2 <= len(data):
            fields.append((ifd, 2, order))
            for i in range(min(int.from_bytes(data[ifd : ifd + 2], order), 50)):
                entry = ifd + 2 + 12 * i
                fields += [(entry + 2, 2, order), (entry + 4, 4, order), (entry + 8, 4, order)]
    elif data[4:8] == b"ftyp" or data[:12] == b"\0\0\0\x0cJXL \r\n\x87\n":
        fields += _box_fields(data, 0, len(data))
    elif data[:2] == b"BM":
        # file size, pixel offset, header size, width, height, planes, bits, compression
        fields += [(2, 4, "little"), (10, 4, "little"), (14, 4, "little"), (18, 4, "little"),
                   (22, 4, "little"), (26, 2, "little"), (28, 2, "little"), (30, 4, "little")]
    return [f for f in fields if f[0] + f[1] <= len(data)]


# ISOBMFF boxes holding boxes, and how many bytes (version, flags, counts) precede their children.
_CONTAINERS = {b"meta": 4, b"iprp": 0, b"ipco": 0, b"iinf": 6, b"iref": 4}
# Counts that size the loops: iloc's item count, ipma's entry count.
_COUNTS = {b"iloc": (14, 2), b"ipma": (12, 4)}


def _box_fields(data: bytes, start: int, end: int) -> list[tuple[int, int, str]]:
    """Every box's size field in data[start:end], nested boxes and item counts included."""
    fields: list[tuple[int, int, str]] = []
    pos = start
    while pos + 8 <= end and len(fields) < 200:
        size, kind = struct.unpack(">I4s", data[pos : pos + 8])
        size = size or end - pos
        if size < 8:
            break
        fields.append((pos, 4, "big"))
        if kind in _CONTAINERS:
            fields += _box_fields(data, pos + 8 + _CONTAINERS[kind], min(pos + size, end))
        elif kind in _COUNTS:
            offset, width = _COUNTS[kind]
            fields.append((pos + offset, width, "big"))
        pos += size
    return fields


@st.composite
def damaged(draw: st.DrawFn) -> bytes:
    data = bytearray(seed(draw(st.sampled_from(SEEDS))))
    kind = draw(st.sampled_from(["truncate", "flip", "length", "length+truncate"]))
    if kind in ("flip",):
        for _ in range(draw(st.integers(1, 8))):
            pos = draw(st.integers(0, len(data) - 1))
            data[pos] ^= draw(st.integers(1, 255))
    if kind.startswith("length"):
        fields = length_fields(bytes(data))
        if fields:
            offset, width, order = draw(st.sampled_from(fields))
            value = draw(st.one_of(
                st.sampled_from([0, 1, 2, 3, 7, 8, 2**(8 * width) - 1, 2**(8 * width - 1)]),
                st.integers(0, 2**(8 * width) - 1),
            ))  # fmt: skip
            data[offset : offset + width] = value.to_bytes(width, order)  # type: ignore[arg-type]
    if kind in ("truncate", "length+truncate"):
        data = data[: draw(st.integers(0, len(data) - 1))]
    return bytes(data)


def survives(call: Callable[[bytes], object], data: bytes) -> object | None:
    """Run `call`: a result or a LocalpixError is fine; anything else fails the test."""
    with time_limit(PER_CALL_SECONDS):
        try:
            return call(data)
        except LocalpixError as exc:
            assert str(exc)  # every error explains itself
            return None


@FUZZ
@given(damaged())
def test_inspect_on_damaged_input(data: bytes) -> None:
    survives(lambda d: inspect(d, MAX_PIXELS), data)


@FUZZ
@given(damaged())
def test_clean_on_damaged_input(data: bytes) -> None:
    output = survives(lambda d: clean(d, keep=Keep(), max_pixels=MAX_PIXELS), data)
    if output is not None:
        assert isinstance(output, bytes)
        assert len(output) <= len(data) + 64  # cleaning never pads a file out


@FUZZ
@given(damaged())
def test_compress_on_damaged_input(data: bytes) -> None:
    result = survives(lambda d: compress(d, OPTIONS), data)
    if result is not None:
        Image.open(io.BytesIO(result.data)).load()  # type: ignore[attr-defined]


@FUZZ
@given(damaged(), st.sampled_from(["jpeg", "png", "webp"]))
def test_compress_to_other_formats_on_damaged_input(data: bytes, fmt: str) -> None:
    options = CompressOptions(format=fmt, max_pixels=MAX_PIXELS, max_width=200,  # type: ignore
                              keep=Keep(copyright=True, date_taken=True))
    survives(lambda d: compress(d, options), data)


@pytest.mark.parametrize("name", SEEDS)
def test_seeds_have_length_fields(name: str) -> None:
    """The length-field mutation must have something to aim at for each seed."""
    assert length_fields(seed(name))

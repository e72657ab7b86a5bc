"""PNG, WebP, GIF, TIFF and BMP on hand-built files: what goes, what stays, pixels unchanged."""

from __future__ import annotations

import contextlib
import io
import struct
import zlib

import pytest
from PIL import Image, ImageDraw, PngImagePlugin
from tests.conftest import exiftool
from tests.engine.metadata_helpers import frames, is_icc, leftover

from localpix import (
    CorruptImageError,
    ImageTooLargeError,
    Keep,
    LocalpixError,
    TruncatedImageError,
    clean,
    inspect,
)

PROFILE = bytes(range(256)) * 4  # any bytes will do: nothing here interprets the profile


def _picture(mode: str = "RGB", size: tuple[int, int] = (48, 32)) -> Image.Image:
    image = Image.new("RGB", size, (10, 200, 30))
    ImageDraw.Draw(image).ellipse((4, 4, size[0] - 4, size[1] - 4), fill=(250, 20, 90))
    return image.convert(mode)


def _save(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def _exif(**tags: object) -> bytes:
    exif = Image.Exif()
    for tag, value in {0x0112: 6, 0x010F: "Pixelphone", 0x013B: "Jane_Doe", **tags}.items():
        exif[int(tag)] = value
    return exif.tobytes()


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def test_png_text_time_unknown_chunks_and_trailer_go() -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Jane_Doe")
    info.add_text("Comment", "at home", zip=True)
    info.add_itxt("Description", "private-home", zip=True)
    data = _save(_picture("RGBA"), "PNG", pnginfo=info, icc_profile=PROFILE, exif=_exif())
    iend = data.rindex(b"IEND") - 4
    data = data[:iend] + _chunk(b"tIME", b"\x07\xea\x05\x01\x0a\x0b\x0c") \
        + _chunk(b"prVt", b"Jane_Doe") + data[iend:] + b"after the end, Jane_Doe"
    labels = {f.label for f in inspect(data).findings}
    assert {"Author / artist name (PNG text)", "Comment (PNG text)", "Last modified time",
            "Unknown PNG chunk prVt", "Data after the end of the image", "Colour profile"} <= labels
    out = clean(data)
    assert b"Jane_Doe" not in out and out.endswith(b"IEND\xaeB`\x82")
    assert leftover(exiftool(out)) == {"IFD0:Orientation": "Rotate 90 CW"}
    assert frames(out) == frames(data)
    with Image.open(io.BytesIO(out)) as image:
        assert image.info["icc_profile"] == PROFILE
    bare = clean(data, Keep(orientation=False, color_profile=False))
    assert b"iCCP" not in bare and b"eXIf" not in bare and leftover(exiftool(bare)) == {}


def test_png_bad_crc_and_truncation() -> None:
    data = _save(_picture(), "PNG")
    idat = data.index(b"IDAT")
    with pytest.raises(CorruptImageError, match="checksum"):
        clean(data[: idat + 6] + bytes([data[idat + 6] ^ 1]) + data[idat + 7 :])
    for size in (9, 30, idat + 10, len(data) - 1):
        with pytest.raises(TruncatedImageError):
            inspect(data[:size])


def test_webp_metadata_flags_and_riff_size() -> None:
    data = _save(_picture(), "WEBP", lossless=True, icc_profile=PROFILE, exif=_exif())
    data += b"beyond the RIFF size: Jane_Doe"
    assert "Data after the end of the image" in {f.label for f in inspect(data).findings}
    out = clean(data)
    assert b"Jane_Doe" not in out and b"Pixelphone" not in out
    assert struct.unpack("<I", out[4:8])[0] == len(out) - 8
    tags = exiftool(out)
    assert leftover(tags) == {"IFD0:Orientation": "Rotate 90 CW"}
    assert set(str(tags["RIFF:WebP_Flags"]).split(", ")) == {"EXIF", "ICC Profile"}
    assert frames(out) == frames(data)
    bare = clean(data, Keep(orientation=False, color_profile=False))
    assert exiftool(bare)["RIFF:WebP_Flags"] == "(none)"
    assert not any(is_icc(key) for key in exiftool(bare)) and leftover(exiftool(bare)) == {}
    assert frames(bare) == frames(data)


def test_simple_webp_is_unchanged() -> None:
    data = _save(_picture(), "WEBP", quality=80)
    assert data[12:16] == b"VP8 "
    assert clean(data) == data


def test_gif_animation_survives_and_comments_go() -> None:
    first = _picture("P")
    second = _picture("P").transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    data = _save(first, "GIF", save_all=True, append_images=[second], duration=[120, 340],
                 loop=3, transparency=0, comment=b"taken by Jane_Doe")
    data += b"after the trailer"
    assert {"GIF comment", "Data after the end of the image"} <= {
        f.label for f in inspect(data).findings
    }
    out = clean(data)
    assert b"Jane_Doe" not in out and out.endswith(b"\x3b")
    assert frames(out) == frames(data) and len(frames(out)) == 2
    assert frames(out)[1][3]["duration"] == 340 and frames(out)[0][3]["loop"] == 3
    assert "File:Comment" not in exiftool(out)


def test_multipage_tiff_keeps_every_page() -> None:
    pages = [_picture(), _picture().rotate(180)]
    data = _save(pages[0], "TIFF", save_all=True, append_images=pages[1:],
                 tiffinfo={0x010F: "Pixelphone", 0x013B: "Jane_Doe"}, compression="tiff_lzw")
    out = clean(data)
    assert b"Jane_Doe" not in out and b"Pixelphone" not in out
    assert frames(out) == frames(data) and len(frames(out)) == 2


def test_tiff_strip_shorter_than_its_pixels_is_damaged() -> None:
    # Found by the fuzz test: Pillow 10.2 fills a short raw strip with black, and a re-save would
    # store that black as if it were the photo.
    data = bytearray(_save(_picture(), "TIFF"))
    image = Image.open(io.BytesIO(bytes(data)))
    offset = image.tag_v2.get(273)[0]
    count = image.tag_v2.get(279)[0]
    assert count == 48 * 32 * 3
    short = struct.pack("<I", count - 144)
    at = data.index(struct.pack("<HHI", 279, 4, 1)) + 8
    data[at:at + 4] = short
    assert offset + count <= len(data)  # every byte is still there: only the count lies
    with pytest.raises(CorruptImageError, match="4,464 bytes where 48 x 32 pixels need 4,608"):
        clean(bytes(data))


@pytest.mark.parametrize("mode", ["RGB", "P", "L", "1"])
def test_bmp_pixels_unchanged(mode: str) -> None:
    data = _save(_picture(mode), "BMP")
    report = inspect(data)
    assert (report.format, report.width, report.height) == ("bmp", 48, 32)
    assert frames(clean(data)) == frames(data)


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "GIF", "TIFF", "BMP"])
def test_pixel_limit_is_checked_on_the_header(fmt: str) -> None:
    data = _save(_picture(), fmt)
    with pytest.raises(ImageTooLargeError):
        clean(data, max_pixels=48 * 32 - 1)
    with pytest.raises(ImageTooLargeError):
        inspect(data, max_pixels=100)
    assert clean(data, max_pixels=48 * 32)


@pytest.mark.filterwarnings("ignore::UserWarning")  # Pillow warns about damaged TIFF tags
@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "GIF", "TIFF", "BMP"])
def test_damaged_files_raise_only_localpix_errors(fmt: str) -> None:
    options = {"exif": _exif()} if fmt in ("JPEG", "PNG", "WEBP") else {}
    data = _save(_picture(), fmt, **options)
    head = min(len(data), 400)  # the headers and metadata, where the parsing happens
    samples = [data[:size] for size in range(0, head, 3)]
    samples += [data[:i] + bytes([data[i] ^ 0x5A]) + data[i + 1 :] for i in range(0, head, 2)]
    samples += [data[:i] + b"\xff" * 4 + data[i + 8 :] for i in range(0, head, 7)]
    for sample in samples:
        for function in (inspect, clean):
            with contextlib.suppress(LocalpixError):
                function(sample)

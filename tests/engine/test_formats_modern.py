"""HEIC, AVIF and JPEG XL: the privacy report, the lossless clean (judged by ExifTool, by the coded
bytes of every kept item and by decoded pixels) and compress (upright JPEG by default). Files
with structures the corpus lacks (grids in idat, thumbnails, alpha planes) are made at test time
with pillow-heif; damaged ones with a small builder (heif_helpers)."""

from __future__ import annotations

import io
import struct

import pytest
from PIL import Image, ImageChops, ImageOps, ImageStat
from tests.conftest import CORPUS, exiftool
from tests.engine import heif_helpers as hh

from localpix import (
    CompressOptions,
    CorruptImageError,
    Keep,
    LocalpixError,
    TruncatedImageError,
    UnsupportedFormatError,
    clean,
    compress,
    inspect,
)
from localpix.containers import jxl
from localpix.pixels import modern as decoders

MODERN = CORPUS / "modern"
FILES = ["meta.heic", "meta.avif", "meta.jxl", "gps_photo.heic", "gps_photo.avif"]
PILLOW_NAME = {"heic": "HEIF", "avif": "AVIF", "jxl": "JXL"}
# What must never survive: ExifTool groups of EXIF and XMP, and the tags that identify or locate.
PRIVATE_GROUPS = ("IFD0", "IFD1", "ExifIFD", "GPS", "InteropIFD", "XMP", "MakerNotes", "Nikon")
PRIVATE_WORDS = ("GPS", "Serial", "Owner", "Make", "Model", "Date", "Artist", "Creator",
                 "Software", "Copyright")
PLANTED = (b"Jane_Doe", b"SN123456789", b"Pixelphone", b"NIKON", b"COOLPIX")


def data_of(name: str) -> bytes:
    return (MODERN / name).read_bytes()


def private_tags(tags: dict[str, object], allowed: tuple[str, ...] = ()) -> dict[str, object]:
    found = {}
    for key, value in tags.items():
        group, _, name = key.partition(":")
        # The colour profile is kept by default; its header has a date and a creator app.
        if key in allowed or group in ("System", "File", "ExifTool", "SourceFile") \
                or group.startswith("ICC"):
            continue
        if group.startswith(PRIVATE_GROUPS) or any(w in name for w in PRIVATE_WORDS):
            found[key] = value
    return found


def decode(data: bytes, name: str) -> Image.Image:
    assert decoders.available(name)
    image = Image.open(io.BytesIO(data), formats=(name,))
    image.load()
    return image


def same_pixels(a: Image.Image, b: Image.Image) -> bool:
    mode = "RGBA" if "A" in a.mode or "A" in b.mode else "RGB"
    return a.size == b.size and ImageChops.difference(a.convert(mode),
                                                      b.convert(mode)).getbbox() is None


def need_decoder(name: str) -> None:
    if not decoders.available(name):
        pytest.skip(f"no {name} decoder in this environment (the Pillow 10.2 venv)")


def codestream(data: bytes) -> bytes:
    """A JPEG XL container's codestream boxes, as they are in the file."""
    out, pos = b"", 0
    while pos + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[pos : pos + 8])
        size = size or len(data) - pos
        if kind in (b"jxlc", b"jxlp"):
            out += data[pos : pos + size]
        pos += size
    return out


# --- the corpus ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", FILES)
def test_report_names_what_is_planted(name: str) -> None:
    report = inspect(data_of(name))
    assert report.format == name.rsplit(".", 1)[1]
    assert (report.width, report.height) == (640, 480)
    assert report.by_category("location")
    labels = {f.label for f in report.findings}
    assert "Camera make" in labels and "Camera model" in labels
    if name.startswith("meta."):
        assert {"Camera serial number", "Camera owner name", "XMP metadata"} <= labels
        assert "Author / artist name (XMP)" in labels
    if name == "gps_photo.heic":
        assert "Extra embedded image" in labels  # the file's second picture


@pytest.mark.parametrize("name", FILES)
def test_clean_leaves_nothing_private(name: str) -> None:
    data = data_of(name)
    before, cleaned = exiftool(data), clean(data)
    after = exiftool(cleaned)
    assert private_tags(before)  # the judge sees what is planted...
    # ...and nothing of it afterwards; JPEG XL keeps its EXIF orientation (the keep default).
    assert private_tags(after, allowed=("IFD0:Orientation",)) == {}
    assert not [k for k in after if k.startswith(("IFD0", "ExifIFD", "GPS"))
                and k != "IFD0:Orientation"]
    for planted in PLANTED:
        assert planted not in cleaned
    assert "ExifTool:Error" not in after and "ExifTool:Warning" not in after
    assert inspect(cleaned).by_category("location") == ()
    assert clean(cleaned) == cleaned  # nothing left to remove


@pytest.mark.parametrize("name", [f for f in FILES if not f.endswith(".jxl")])
def test_clean_copies_coded_images_byte_for_byte(name: str) -> None:
    data = data_of(name)
    before, after = hh.items(data), hh.items(clean(data))
    primary_before = before[1]
    assert after[1] == primary_before  # the primary image's coded bytes, unchanged
    assert {kind for kind, _ in after.values()} <= {b"hvc1", b"av01"}  # no Exif, no XMP item
    original = {payload for _, payload in before.values()}
    assert all(payload in original for _, payload in after.values())


def test_jxl_clean_copies_the_codestream_byte_for_byte() -> None:
    data = data_of("meta.jxl")
    cleaned = clean(data)
    assert codestream(cleaned) == codestream(data) != b""
    assert clean(data, Keep(orientation=False)).find(b"Exif") == -1


@pytest.mark.parametrize("name", FILES)
def test_clean_keeps_decoded_pixels(name: str) -> None:
    pillow = PILLOW_NAME[name.rsplit(".", 1)[1]]
    need_decoder(pillow)
    data = data_of(name)
    assert same_pixels(decode(data, pillow), decode(clean(data), pillow))


@pytest.mark.parametrize("name", ["meta.heic", "meta.avif"])
def test_keep_policy_for_rotation_and_colour_profile(name: str) -> None:
    data = data_of(name)
    kept = exiftool(clean(data))
    assert kept.get("QuickTime:Rotation") == 270 and "ICC_Profile:ProfileDescription" in kept
    bare = exiftool(clean(data, Keep(orientation=False, color_profile=False)))
    assert "QuickTime:Rotation" not in bare
    assert not [k for k in bare if k.startswith("ICC")]
    assert inspect(clean(data, Keep(orientation=False))).by_category("orientation") == ()


@pytest.mark.parametrize("name", ["meta.heic", "meta.avif", "meta.jxl"])
def test_keep_copyright_and_date_keeps_only_those(name: str) -> None:
    cleaned = clean(data_of(name), Keep(copyright=True, date_taken=True))
    tags = exiftool(cleaned)
    assert tags["IFD0:Copyright"] == "CC-BY_Jane_Doe"
    assert tags["ExifIFD:DateTimeOriginal"] == "2026:05:01 10:11:12"
    assert not [k for k in tags if k.startswith(("GPS", "XMP"))]
    assert b"SN123456789" not in cleaned and b"Pixelphone" not in cleaned
    if not name.endswith(".jxl"):  # HEIF says irot, not the EXIF tag
        assert "IFD0:Orientation" not in tags


@pytest.mark.parametrize("name", FILES)
def test_compress_gives_an_upright_jpeg_with_nothing_private(name: str) -> None:
    data = data_of(name)
    pillow = PILLOW_NAME[name.rsplit(".", 1)[1]]
    if not decoders.available(pillow):
        package = decoders.MODERN[pillow].decoder_package
        with pytest.raises(UnsupportedFormatError, match=package.split()[0]):
            compress(data)
        return
    result = compress(data)
    assert result.format == "jpeg" and result.reencoded
    image = Image.open(io.BytesIO(result.data))
    assert image.format == "JPEG"
    assert private_tags(exiftool(result.data)) == {}
    for planted in PLANTED:
        assert planted not in result.data
    if name.startswith("meta."):  # orientation 6: the upright picture is the JPEG's, turned
        reference = ImageOps.exif_transpose(Image.open(CORPUS / "formats" / "meta.jpg"))
        assert image.size == reference.size == (480, 640)
        diff = ImageStat.Stat(ImageChops.difference(image.convert("RGB"),
                                                    reference.convert("RGB"))).mean
        assert max(diff) < 4
        wrong = ImageStat.Stat(ImageChops.difference(image.transpose(Image.Transpose.ROTATE_180)
                                                     .convert("RGB"), reference.convert("RGB")))
        assert max(wrong.mean) > 10  # the comparison can tell a wrong turn
    if name == "gps_photo.heic":
        assert any("primary" in w for w in result.warnings)


def test_compress_to_webp_and_png_when_asked() -> None:
    need_decoder("HEIF")
    for fmt in ("webp", "png"):
        result = compress(data_of("meta.heic"), CompressOptions(format=fmt))  # type: ignore[arg-type]
        assert Image.open(io.BytesIO(result.data)).format == fmt.upper()
        assert result.after.by_category("location") == ()


def test_decoders_are_installed_with_the_latest_pillow() -> None:
    """scripts/setup installs the 'modern' extra into .venv: compress must work there."""
    import PIL

    if tuple(int(p) for p in PIL.__version__.split(".")[:2]) < (11, 3):
        pytest.skip("the Pillow 10.2 venv has no decoders by design")
    assert all(decoders.available(name) for name in decoders.MODERN)


def test_missing_decoder_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(decoders, "available", lambda name: False)
    with pytest.raises(UnsupportedFormatError, match=r"needs pillow-heif.*'Strip only'"):
        compress(data_of("meta.heic"))
    assert clean(data_of("meta.heic"))  # the lossless path needs no decoder


@pytest.mark.parametrize("call", [inspect, clean, compress])
def test_truncated_heic_is_named(call) -> None:
    with pytest.raises(TruncatedImageError, match="cut short"):
        call(data_of("truncated.heic"))


# --- structures made with pillow-heif ------------------------------------------------------------

XMP = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/'
       b'22-rdf-syntax-ns#"><rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/">'
       b"<dc:creator><rdf:Seq><rdf:li>Jane_Doe</rdf:li></rdf:Seq></dc:creator>"
       b"</rdf:Description></rdf:RDF></x:xmpmeta>")


def made_heic(mode: str, **save: object) -> bytes:
    pytest.importorskip("pillow_heif")
    assert decoders.available("HEIF")
    image = Image.linear_gradient("L").resize((200, 150)).convert("RGB")
    image.paste((220, 30, 30), (10, 10, 60, 40))
    if mode == "RGBA":
        image.putalpha(Image.linear_gradient("L").resize((200, 150)))
    exif = Image.Exif()
    exif[0x013B] = "Jane_Doe"
    exif[0xA431] = "SN123456789"
    buf = io.BytesIO()
    image.save(buf, "HEIF", exif=exif.tobytes(), xmp=XMP, quality=60, **save)
    return buf.getvalue()


def test_grid_image_with_idat_and_thumbnail() -> None:
    data = made_heic("RGB", tile_size=64, thumbnails=[48])
    before = hh.items(data)
    assert before[1][0] == b"grid" and sum(k == b"hvc1" for k, _ in before.values()) == 13
    report = inspect(data)
    assert {"Thumbnail image", "Camera serial number", "XMP metadata"} <= {
        f.label for f in report.findings}
    cleaned = clean(data)
    after = hh.items(cleaned)
    # The grid (its descriptor lives in idat) and its 12 tiles stay byte for byte; the thumbnail,
    # Exif and XMP go.
    assert len(after) == 13 and all(after[i] == before[i] for i in after)
    assert after[1][0] == b"grid"
    assert same_pixels(decode(data, "HEIF"), decode(cleaned, "HEIF"))
    assert Image.open(io.BytesIO(cleaned)).info.get("thumbnails") in (None, [])
    assert private_tags(exiftool(cleaned)) == {}
    assert b"Jane_Doe" not in cleaned and b"SN123456789" not in cleaned


def test_alpha_plane_is_kept_and_thumbnail_goes() -> None:
    data = made_heic("RGBA", thumbnails=[32])
    labels = [f.label for f in inspect(data).findings]
    assert "Thumbnail image" in labels and "Transparency of an extra image" in labels
    cleaned = clean(data)
    kinds = [kind for kind, _ in hh.items(cleaned).values()]
    assert kinds == [b"hvc1", b"hvc1"]  # the picture and its alpha plane
    original, result = decode(data, "HEIF"), decode(cleaned, "HEIF")
    assert result.mode == "RGBA" and same_pixels(original, result)
    assert inspect(cleaned).findings == ()


# --- structures and damage made by hand -------------------------------------------------------

HVC = b"\0\0\0\x10coded-image-data"  # never decoded: clean only moves bytes
TIFF = b"MM\0*\0\0\0\x08\0\x01\x01\x3b\0\x02\0\0\0\x09\0\0\0\x1a\0\0\0\0Jane_Doe\0"


def test_items_in_idat_are_moved_and_removed() -> None:
    data = hh.build(
        [(1, b"hvc1", HVC, 0), (2, b"Exif", b"\0\0\0\0" + TIFF, 1), (3, b"hvc1", HVC * 2, 1)],
        refs=((b"cdsc", 2, [1]), (b"dimg", 1, [3])),
        properties=(hh.ispe(64, 64),), associations={1: [0x81], 3: [1]},
    )
    assert "Author / artist name" in {f.label for f in inspect(data).findings}
    cleaned = clean(data)
    after = hh.items(cleaned)
    assert after == {1: (b"hvc1", HVC), 3: (b"hvc1", HVC * 2)}
    assert b"Jane_Doe" not in cleaned
    assert inspect(cleaned).findings == ()


def test_unused_bytes_and_unknown_boxes_are_reported_and_removed() -> None:
    data = hh.build([(1, b"hvc1", HVC, 0)], properties=(hh.ispe(8, 8),),
                    associations={1: [1]}, extra_top=hh.box(b"uuid", b"\x11" * 16 + b"secret"),
                    extra_meta=hh.box(b"xtra", b"hidden"))
    labels = {f.label for f in inspect(data).findings}
    assert {"Unknown HEIC box uuid", "Unknown HEIC box xtra"} <= labels
    cleaned = clean(data)
    assert b"secret" not in cleaned and b"hidden" not in cleaned
    assert hh.items(cleaned) == {1: (b"hvc1", HVC)}


def test_looping_references_end() -> None:
    data = hh.build([(1, b"grid", b"\0\0\0\0\0\x08\0\x08", 0), (2, b"hvc1", HVC, 0)],
                    refs=((b"dimg", 1, [2, 1]), (b"dimg", 2, [1])),
                    properties=(hh.ispe(8, 8),), associations={1: [1], 2: [1]})
    assert set(hh.items(clean(data))) == {1, 2}


@pytest.mark.parametrize(("damage", "error"), [
    ({"item_count": 60000}, CorruptImageError),  # millions of items in a few bytes
    ({"extent_shift": 1 << 20}, TruncatedImageError),  # extents past the end of the file
    ({"primary": 9}, CorruptImageError),  # no such image
    ({"associations": {1: [7]}}, CorruptImageError),  # a property that does not exist
    ({"associations": {}}, CorruptImageError),  # no size: nothing to show
    ({"extra_top": hh.box(b"moov", b"")}, UnsupportedFormatError),  # an image sequence
    ({"extra_meta": hh.box(b"ipro", b"")}, UnsupportedFormatError),  # encrypted items
])
def test_damage_is_named(damage: dict, error: type[LocalpixError]) -> None:
    settings = {"properties": (hh.ispe(8, 8),), "associations": {1: [1]}} | damage
    data = hh.build([(1, b"hvc1", HVC, 0), (2, b"Exif", b"\0\0\0\0" + TIFF, 0)], **settings)
    with pytest.raises(error):
        clean(data)
    with pytest.raises(error):
        inspect(data)


def test_boxes_that_lie_about_their_size() -> None:
    good = hh.build([(1, b"hvc1", HVC, 0)], properties=(hh.ispe(8, 8),), associations={1: [1]})
    meta = good.index(b"meta") - 4
    for size in (0, 3, 1 << 31):
        bad = bytearray(good)
        bad[meta + 12 : meta + 16] = struct.pack(">I", size)  # the first box inside meta
        with pytest.raises(CorruptImageError):
            inspect(bytes(bad))
    with pytest.raises(TruncatedImageError):
        inspect(good[: len(good) - 3])


def test_pixel_limit_is_checked_on_the_header() -> None:
    data = hh.build([(1, b"hvc1", HVC, 0)], properties=(hh.ispe(40000, 40000),),
                    associations={1: [1]})
    with pytest.raises(LocalpixError, match="limit"):
        clean(data)


# --- JPEG XL boxes ------------------------------------------------------------------------------


def jxl_with(*extra: bytes) -> bytes:
    data = data_of("meta.jxl")
    signature_and_ftyp = data[:32]
    return signature_and_ftyp + b"".join(extra) + codestream(data)


def test_brotli_compressed_exif_is_read_and_removed() -> None:
    brotli = pytest.importorskip("brotli")
    exif = data_of("meta.jxl")[57 : 49 + 480]  # the corpus file's Exif box payload
    data = jxl_with(hh.box(b"brob", b"Exif" + brotli.compress(exif)))
    assert inspect(data).by_category("location")
    cleaned = clean(data)
    assert b"brob" not in cleaned and codestream(cleaned) == codestream(data)


def test_brob_without_a_brotli_decoder_is_removed_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jxl, "_inflate", lambda payload: None)
    data = jxl_with(hh.box(b"brob", b"xml " + b"\x1b\x2a" * 40))
    assert [f.label for f in inspect(data).findings] == ["Compressed metadata (xml)"]
    assert b"brob" not in clean(data)


def test_content_credentials_and_unknown_boxes_go() -> None:
    jumd = hh.box(b"jumd", b"\0" * 16 + b"\x03" + b"c2pa\0")
    data = jxl_with(hh.box(b"jumb", jumd + hh.box(b"json", b'{"author": "Jane_Doe"}')),
                    hh.box(b"zzzz", b"Jane_Doe"))
    labels = [f.label for f in inspect(data).findings]
    assert labels == ["Content Credentials (C2PA)", "Unknown JPEG XL box 'zzzz'"]
    cleaned = clean(data)
    assert b"Jane_Doe" not in cleaned and codestream(cleaned) == codestream(data)
    assert private_tags(exiftool(cleaned)) == {}


def test_bare_codestream_has_nothing_to_remove() -> None:
    container = codestream(data_of("meta.jxl"))
    # One jxlp part or a whole jxlc: either way, the parts' payloads are the codestream.
    pos, bare = 0, b""
    while pos < len(container):
        size, kind = struct.unpack(">I4s", container[pos : pos + 8])
        bare += container[pos + (12 if kind == b"jxlp" else 8) : pos + size]
        pos += size
    report = inspect(bare)
    assert (report.format, report.width, report.height, report.findings) == ("jxl", 640, 480, ())
    assert clean(bare) == bare


# --- the CLI and the browser bridge ------------------------------------------------------------


def test_cli_finds_them_in_folders_and_names_outputs(tmp_path, capsys) -> None:
    from tests.engine.test_cli import copy_inputs, run

    copy_inputs(tmp_path / "in", ["modern/meta.heic", "modern/meta.avif", "modern/meta.jxl"])
    code, _, _ = run([tmp_path / "in", "-o", tmp_path / "clean", "--strip-only"], capsys)
    assert code == 0
    for name in ("meta.heic", "meta.avif", "meta.jxl"):
        assert (tmp_path / "clean" / name).read_bytes() == clean(data_of(name))
    if decoders.available("HEIF"):
        code, _, _ = run([tmp_path / "in" / "meta.heic", "-o", tmp_path / "small"], capsys)
        assert code == 0
        assert Image.open(tmp_path / "small" / "meta.jpg").format == "JPEG"


def test_bridge_answers_with_the_right_name_and_type() -> None:
    import json

    from localpix.adapters.bridge import process

    output, response = process(data_of("meta.heic"), json.dumps({"mode": "clean",
                                                                  "name": "IMG_0001.HEIC"}))
    answer = json.loads(response)
    assert answer["ok"] and answer["mime"] == "image/heic" and answer["name"] == "IMG_0001.HEIC"
    assert output == clean(data_of("meta.heic"))
    output, response = process(data_of("meta.heic"), json.dumps({"mode": "compress",
                                                                  "name": "IMG_0001.HEIC"}))
    answer = json.loads(response)
    if decoders.available("HEIF"):
        assert answer["ok"] and answer["mime"] == "image/jpeg"
        assert answer["name"] == "IMG_0001.jpg"
        assert Image.open(io.BytesIO(output)).format == "JPEG"
    else:
        assert not answer["ok"] and "pillow-heif" in answer["error"]


def test_missing_tiles_are_named() -> None:
    data = hh.build([(1, b"grid", b"\0\0\0\0\0\x08\0\x08", 0), (2, b"hvc1", HVC, 0)],
                    refs=((b"dimg", 1, [2, 5]),),
                    properties=(hh.ispe(8, 8),), associations={1: [1], 2: [1]})
    with pytest.raises(CorruptImageError, match="missing"):
        clean(data)


def test_pixels_decoded_by_the_page_are_compressed() -> None:
    """The page decodes AVIF itself (web/decoders.js) and sends the pixels after the file."""
    import json

    from localpix.adapters.bridge import process

    upright = ImageOps.exif_transpose(Image.open(CORPUS / "formats" / "meta.jpg")).convert("RGBA")
    data = data_of("meta.avif")
    request = {"mode": "compress", "name": "meta.avif",
               "options": {"keep": ["date_taken"], "quality": 90},
               "decoded": {"format": "AVIF", "width": upright.width, "height": upright.height,
                           "file_size": len(data)}}
    output, response = process(data + upright.tobytes(), json.dumps(request))
    answer = json.loads(response)
    assert answer["ok"], answer
    assert answer["name"] == "meta.jpg" and answer["before"]["format"] == "avif"
    image = Image.open(io.BytesIO(output))
    assert image.size == (480, 640)
    assert max(ImageStat.Stat(ImageChops.difference(image.convert("RGB"),
                                                    upright.convert("RGB"))).mean) < 3
    tags = exiftool(output)
    assert tags["ExifIFD:DateTimeOriginal"] == "2026:05:01 10:11:12"  # from the AVIF's Exif item
    assert private_tags(tags, allowed=("ExifIFD:DateTimeOriginal",)) == {}
    request["decoded"]["width"] += 1  # pixels that do not add up are refused, not guessed at
    _, response = process(data + upright.tobytes(), json.dumps(request))
    assert json.loads(response)["kind"] == "InvalidOptionsError"


@pytest.mark.parametrize("name", ["meta.heic", "meta.jxl"])
def test_pixels_decoded_by_the_page_come_out_like_native_ones(name: str) -> None:
    """The page's decoders (web/decoders.js) hand over what libheif and libjxl decode: HEIC
    turned upright by its irot, JPEG XL as coded, its EXIF orientation still to apply. Those
    pixels (made here by the same libraries natively) must give the same upright JPEG."""
    import json

    from localpix.adapters.bridge import process

    fmt = {"meta.heic": "HEIF", "meta.jxl": "JXL"}[name]
    if not decoders.available(fmt):
        pytest.skip(f"no native {fmt} decoder to make the page's pixels with")
    data = data_of(name)
    pixels = Image.open(io.BytesIO(data)).convert("RGBA")
    request = {"mode": "compress", "name": name, "options": {"keep": ["date_taken"], "quality": 90},
               "decoded": {"format": fmt, "width": pixels.width, "height": pixels.height,
                           "file_size": len(data)}}
    output, response = process(data + pixels.tobytes(), json.dumps(request))
    answer = json.loads(response)
    assert answer["ok"], answer
    native, _ = process(data, json.dumps({k: v for k, v in request.items() if k != "decoded"}))
    page, reference = (Image.open(io.BytesIO(b)).convert("RGB") for b in (output, native))
    assert page.size == reference.size == (480, 640)
    assert max(ImageStat.Stat(ImageChops.difference(page, reference)).mean) < 2
    tags = exiftool(output)
    assert tags["ExifIFD:DateTimeOriginal"] == "2026:05:01 10:11:12"
    assert private_tags(tags, allowed=("ExifIFD:DateTimeOriginal",)) == {}


def test_a_format_nothing_decodes_asks_the_page_for_its_pixels(monkeypatch) -> None:
    import json

    from localpix.adapters.bridge import process

    monkeypatch.setattr(decoders, "available", lambda name: False)
    _, response = process(data_of("meta.jxl"), json.dumps({"mode": "compress"}))
    answer = json.loads(response)
    assert not answer["ok"] and answer["decode"] == "JXL" and "Strip only" in answer["error"]

"""Perceptually tuned JPEG tables, the numpy SSIMULACRA2 and the automatic quality mode."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import pytest
from PIL import Image, ImageOps

from localpix import CompressOptions, compress
from localpix.adapters.bridge import process
from localpix.codecs import jpeg
from localpix.codecs import jpeg_tables as jpegtables
from localpix.errors import InvalidOptionsError
from localpix.job import Job
from localpix.options import parse_options
from localpix.quality import auto as autoquality
from localpix.quality import perceptual

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
PHOTO = CORPUS / "large" / "jolla.jpg"


@pytest.fixture(scope="module")
def photo() -> Image.Image:
    with Image.open(PHOTO) as im:
        im = ImageOps.exif_transpose(im).convert("RGB")
    w, h = im.size
    return im.crop((w // 2 - 320, h // 2 - 240, w // 2 + 320, h // 2 + 240))


def _bmp(im: Image.Image) -> bytes:
    buf = io.BytesIO()
    im.save(buf, "BMP")
    return buf.getvalue()


def _decoded(data: bytes) -> Image.Image:
    with Image.open(io.BytesIO(data)) as im:
        return im.convert("RGB")


def _dqt_precisions(data: bytes) -> list[int]:
    out, i = [], 2
    while i < len(data) - 4 and data[i] == 0xFF:
        marker, length = data[i + 1], int.from_bytes(data[i + 2 : i + 4], "big")
        if marker == 0xDB:
            j = i + 4
            while j < i + 2 + length:
                precision = data[j] >> 4
                out.append(precision)
                j += 1 + 64 * (2 if precision else 1)
        if marker == 0xDA:
            break
        i += 2 + length
    return out


@pytest.mark.parametrize("name", sorted(jpegtables.TABLES))
@pytest.mark.parametrize("quality", [1, 10, 50, 75, 100])
def test_scaled_tables_are_baseline_8_bit(name: str, quality: int) -> None:
    tables = jpegtables.scaled(name, quality)
    assert len(tables) == 2 and all(len(t) == 64 for t in tables)
    assert all(1 <= v <= 255 for t in tables for v in t)
    assert jpegtables.scaled(name, 50) == [[min(v, 255) for v in t]
                                           for t in jpegtables.TABLES[name]]


def test_jpeg_output_uses_8_bit_tables_even_at_low_quality(photo: Image.Image) -> None:
    for quality in (1, 20, 80):
        out = compress(_bmp(photo), CompressOptions(format="jpeg", quality=quality)).data
        assert _dqt_precisions(out) and set(_dqt_precisions(out)) == {0}


# 200 x 150 has five scales (weights shifted, as in libjxl); a 384 px mosaic has all six
@pytest.mark.parametrize("size", [(200, 150), (384, 384)])
def test_perceptual_matches_the_ssimulacra2_package(photo: Image.Image,
                                                    size: tuple[int, int]) -> None:
    pytest.importorskip("scipy")
    s2 = pytest.importorskip("ssimulacra2")
    crop = photo.crop((0, 0, *size))
    buf = io.BytesIO()
    crop.save(buf, "JPEG", quality=40)
    distorted = _decoded(buf.getvalue())

    def png(im: Image.Image) -> io.BytesIO:
        b = io.BytesIO()
        im.save(b, "PNG")
        b.seek(0)
        return b

    expected = s2.compute_ssimulacra2(png(crop), png(distorted))
    # float32 and a slightly different blur: within ~0.1 on 1 MP crops, ~1 on tiny ones
    assert perceptual.ssimulacra2(crop, distorted) == pytest.approx(expected, abs=1.5)
    assert perceptual.ssimulacra2(crop, crop) == pytest.approx(100.0)


def test_mosaic_takes_16_aligned_tiles(photo: Image.Image) -> None:
    sample = autoquality.mosaic(photo)
    assert sample.size == (autoquality.TILE * 3, autoquality.TILE * 3)
    small = photo.crop((0, 0, 100, 70))
    assert autoquality.mosaic(small).size == small.size


@pytest.mark.parametrize("target", [5.0, 55.0, 73.3, 99.0, 200.0])
def test_lowest_quality_finds_the_smallest_setting_meeting_the_target(target: float) -> None:
    calls = []

    def score(q: int) -> float:
        calls.append(q)
        return q * 0.9 + 5  # increasing

    q, s = autoquality.lowest_quality(score, target)
    assert len(set(calls)) <= autoquality.MAX_STEPS + 1
    if target > score(autoquality.HIGHEST):
        assert q == autoquality.HIGHEST
    elif target <= score(autoquality.LOWEST):
        assert q <= autoquality.LOWEST + 2
    else:
        assert s >= target
        assert q == autoquality.LOWEST or score(q - 1) < target


@pytest.mark.parametrize("target", [60, 70, 75, 80, 85, 90])
@pytest.mark.parametrize("curve", ["mozjpeg", "saturating"])
def test_lowest_quality_needs_few_scores_on_photo_like_curves(curve: str, target: float) -> None:
    """Each score is a sample encode and a SSIMULACRA2 run (~70 ms together in the browser)."""
    shapes = {
        # roughly mozjpeg on a 12 MP photo's mosaic (42_IndexError: 76.9 at 56, 84.5 at 80)
        "mozjpeg": lambda q: 100 - 72 * math.exp(-q / 48),
        "saturating": lambda q: 30 + 62 * (1 - math.exp(-(q - 10) / 25)),
    }
    calls = []

    def score(q: int) -> float:
        calls.append(q)
        return shapes[curve](q)

    q, s = autoquality.lowest_quality(score, target)
    assert s >= target and score(q - 1) < target
    assert len(set(calls)) <= 5


@pytest.mark.parametrize("fmt", ["jpeg", "webp"])
@pytest.mark.parametrize("target", [70, 85])
def test_quality_target_reaches_the_score(photo: Image.Image, fmt: str, target: int) -> None:
    result = compress(_bmp(photo), CompressOptions(format=fmt, quality_target=target))
    assert result.quality is not None and "Automatic quality" in result.note
    score = perceptual.ssimulacra2(photo, _decoded(result.data))
    assert score >= target - 3  # the sample stands for the whole image, within a few points
    # A higher target costs bytes. Not just a little higher: libwebp's score on this photo jumps
    # 12 points between qualities 81 and 82, so 70 and 78 both need 82.
    higher = compress(_bmp(photo), CompressOptions(format=fmt, quality_target=target + 12))
    assert higher.output_size > result.output_size


def _upright(path: Path) -> Image.Image:
    with Image.open(path) as im:
        return ImageOps.exif_transpose(im).convert("RGB")


def _table_set(data: bytes, quality: int) -> str:
    """Which of localpix's table sets at `quality` the JPEG's luma table is."""
    with Image.open(io.BytesIO(data)) as im:
        luma = list(im.quantization[0])
    return next(n for n in jpegtables.TABLES if jpegtables.scaled(n, quality)[0] == luma)


def test_steep_tables_are_psnr_hvs_tilted_to_low_frequencies() -> None:
    plain, steep = (jpegtables.TABLES[n] for n in ("psnr-hvs", "psnr-hvs-steep"))
    for p, s in zip(plain, steep, strict=True):
        assert s[0] < p[0] and s[63] > p[63]  # DC finer, the highest frequency coarser
        assert s[4] == p[4]  # (1 + u + v) / 5 == 1 at (u, v) == (0, 4)


@pytest.mark.parametrize(("path", "expected"), [
    ("photos/Reconyx_HC500_Hyperfire.jpg", "psnr-hvs-steep"),  # full-resolution camera photo
    ("gps/DSCN0010.jpg", "psnr-hvs"),  # downscaled: sharp per pixel
])
def test_quality_target_picks_the_table_set_with_fewer_bytes(path: str, expected: str) -> None:
    im = _upright(CORPUS / path)
    w, h = im.size
    if w > 768:  # full-resolution pixels, fewer of them
        im = im.crop((w // 2 - 384, h // 2 - 256, w // 2 + 384, h // 2 + 256))
    target = 80
    auto = compress(_bmp(im), CompressOptions(format="jpeg", quality_target=target))
    plain = compress(_bmp(im), CompressOptions(format="jpeg", quality_target=target,
                                               jpeg_tables="psnr-hvs"))
    assert auto.quality is not None and plain.quality is not None
    assert _table_set(auto.data, auto.quality) == expected
    reference = perceptual.Reference(im)
    for result in (auto, plain):
        assert reference.score(_decoded(result.data)) >= target - 3
    if expected == "psnr-hvs":
        assert auto.data == plain.data
    else:  # the same score in clearly fewer bytes
        assert auto.output_size < 0.95 * plain.output_size


def test_a_second_encoder_no_better_at_equal_bytes_costs_one_score(
        photo: Image.Image, monkeypatch: pytest.MonkeyPatch) -> None:
    def jpeg(im: Image.Image, q: int) -> bytes:
        buf = io.BytesIO()
        im.save(buf, "JPEG", quality=q)
        return buf.getvalue()

    def blurred(im: Image.Image, q: int) -> bytes:  # worse at every size
        from PIL import ImageFilter
        return jpeg(im.filter(ImageFilter.GaussianBlur(2)), q)

    calls = []
    real = perceptual.Reference.score
    monkeypatch.setattr(perceptual.Reference, "score",
                        lambda self, c: calls.append(1) or real(self, c))
    alone = autoquality.choose(photo, 80, {"jpeg": jpeg})
    searched = len(calls)
    assert autoquality.choose(photo, 80, {"jpeg": jpeg, "blurred": blurred}) == alone
    assert len(calls) == 2 * searched + 1
    # The other way round, the better encoder still earns its own search and wins.
    calls.clear()
    assert autoquality.choose(photo, 80, {"blurred": blurred, "jpeg": jpeg})[0] == "jpeg"
    assert len(calls) > searched + 1


def test_quality_target_without_numpy_falls_back(photo: Image.Image,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(autoquality, "available", lambda: False)
    result = compress(_bmp(photo), CompressOptions(format="jpeg", quality=70, quality_target=80))
    assert result.quality == 70
    assert any("numpy" in w for w in result.warnings)


def test_quality_target_and_tables_through_the_bridge(photo: Image.Image) -> None:
    assert parse_options({"quality_target": 80}).quality_target == 80
    assert parse_options({"quality_target": 82.5, "jpeg_tables": "klein"}).jpeg_tables == "klein"
    for bad in ({"quality_target": "80"}, {"quality_target": True}, {"quality_target": 10},
                {"jpeg_tables": "nope"}):
        with pytest.raises(InvalidOptionsError):
            parse_options(bad)
    out, response = process(_bmp(photo), json.dumps(
        {"mode": "compress", "options": {"format": "jpeg", "quality_target": 75}}))
    parsed = json.loads(response)
    assert parsed["ok"] and out and "Automatic quality" in parsed["note"]


def test_the_search_tries_the_steep_tables_first_on_camera_sized_photos() -> None:
    job = Job(CompressOptions(quality_target=80), "jpeg", None)
    camera, web = Image.new("RGB", (3000, 2000)), Image.new("RGB", (2000, 1500))
    assert list(jpeg.sample_encoders(camera, job)) == ["psnr-hvs-steep", "psnr-hvs"]
    assert list(jpeg.sample_encoders(web, job)) == list(jpeg.AUTO_TABLES) == ["psnr-hvs",
                                                                             "psnr-hvs-steep"]
    chosen = Job(CompressOptions(quality_target=80, jpeg_tables="klein"), "jpeg", None)
    assert list(jpeg.sample_encoders(camera, chosen)) == ["klein"]

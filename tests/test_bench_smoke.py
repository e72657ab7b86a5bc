"""scripts/bench's pure-Python pieces on a small image, so the benchmark cannot rot silently.
(The benchmark itself is not part of the test suite: performance is reported, never asserted.)"""

from __future__ import annotations

import io
import math
import sys
from pathlib import Path

import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import bench_core as core  # noqa: E402

PHOTO = ROOT.parent / "shared" / "corpus" / "large" / "jolla.jpg"


@pytest.fixture(scope="module")
def small() -> Image.Image:
    im = core.load_upright_rgb(PHOTO.read_bytes())
    return core.centre_crop(im, 160)


def test_bytes_at_score_interpolates_log_bytes_and_drops_dominated_points() -> None:
    pts = [core.Point(50, 1000, 60.0), core.Point(70, 4000, 80.0),
           core.Point(60, 3000, 59.0)]  # dominated: bigger and worse than the first
    assert core.bytes_at_score(pts, 70.0) == pytest.approx(2000.0)  # geometric midpoint
    assert core.bytes_at_score(pts, 80.0) == pytest.approx(4000.0)
    assert core.bytes_at_score(pts, 90.0) is None
    assert core.bytes_at_score(pts, 40.0) is None


def test_geometric_mean_ratio_uses_images_both_codecs_reached() -> None:
    ours = {"a": 110.0, "b": 90.0, "c": None}
    ref = {"a": 100.0, "b": 100.0, "c": 100.0}
    assert core.ratio_geomean(ours, ref) == pytest.approx(math.sqrt(1.1 * 0.9))


def test_scorer_matches_the_ssimulacra2_package(small: Image.Image) -> None:
    jpeg = core.pillow_jpeg(small, 40)
    distorted = core.decode_rgb(jpeg)
    ours = core.Scorer(small).score(distorted)
    assert ours == pytest.approx(core.ssimulacra2_reference(small, distorted), abs=1e-6)
    assert 0 < ours < 95
    assert core.Scorer(small).score(small) == pytest.approx(100.0)


def test_native_encoders_give_decodable_images(small: Image.Image) -> None:
    for data in (core.pillow_jpeg(small, 80), core.pillow_webp(small, 80), core.pillow_png(small),
                 core.localpix_native(core.bmp_bytes(small), format="jpeg", quality=80)):
        assert Image.open(io.BytesIO(data)).size == small.size
    if core.have_pngquant():
        for dither in (True, False):
            quantized = core.pngquant(core.png_bytes(small), 64, dither)
            assert Image.open(io.BytesIO(quantized)).mode == "P"


def test_decode_rgb_puts_palette_alpha_onto_white() -> None:
    png = core.png_bytes(Image.new("RGBA", (4, 4), (0, 0, 0, 0)).quantize(2))
    assert Image.open(io.BytesIO(png)).mode == "P"
    assert core.decode_rgb(png).getpixel((0, 0)) == (255, 255, 255)


def test_overlap_ratio_compares_where_both_curves_reach() -> None:
    ref = [core.Point(0, 1000, 60.0), core.Point(0, 2000, 90.0)]
    half = [core.Point(0, 500, 70.0), core.Point(0, 1000, 99.0)]  # half the bytes, but higher
    assert core.overlap_ratio(half, ref) is not None
    # at each shared score (70..90) ours is smaller than ref, by an amount that varies with score
    assert 0.3 < core.overlap_ratio(half, ref) < 0.7
    assert core.overlap_ratio(ref, ref) == pytest.approx(1.0)
    apart = [core.Point(0, 100, 95.0), core.Point(0, 200, 99.0)]
    assert core.overlap_ratio(apart, ref) is None


def test_bench_codecs_rows_on_a_small_crop(tmp_path: Path) -> None:
    """scripts/bench_codecs.py's rows (every encoder, mozjpeg under Node, PNG) and its table."""
    pytest.importorskip("mozjpeg_lossless_optimization")
    pytest.importorskip("oxipng")
    import bench_codecs

    photo = bench_codecs.bench_photo(PHOTO, {"q": [40, 70, 95], "avif_q": [40, 90], "crop": 96})
    assert set(photo["curves"]) == {"Pillow", "localpix/Pillow", "localpix/mozjpeg-lossless",
                                    "jpegli", "mozjpeg", "AVIF (libavif)"}
    assert photo["auto"]["jpeg@80"]["bytes"] > 0 and photo["auto"]["jpeg@80"]["codec"]
    shot = tmp_path / "shot.png"
    Image.new("RGB", (64, 48), (20, 120, 200)).save(shot)
    png = bench_codecs.bench_png(shot)
    assert png["engine+oxipng"] <= png["engine"]
    text = bench_codecs.table({"photos": [photo], "pngs": [png]})
    assert "mozjpeg" in text and "shot.png" in text

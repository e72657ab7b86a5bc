"""What the page's guard rails rely on: keep choices keep exactly what they name (judged by
ExifTool), the orientation is reported as applied to the pixels, lossy results carry a score, a
larger conversion says so, a refused bomb says what it would need, rows get a thumbnail."""

from __future__ import annotations

import base64
import io
import json

import pytest
from PIL import Image
from tests.conftest import CORPUS, exiftool

from localpix import CompressOptions, Keep, clean, compress
from localpix.adapters.bridge import process

META_JPG = (CORPUS / "formats" / "meta.jpg").read_bytes()


def call(data: bytes, request: dict) -> tuple[bytes, dict]:
    output, response = process(data, json.dumps(request))
    return output, json.loads(response)


@pytest.mark.parametrize("run", ["clean", "compress"])
def test_keep_copyright_keeps_the_notice_but_not_the_artist(run: str) -> None:
    keep = Keep(copyright=True)
    out = (clean(META_JPG, keep=keep) if run == "clean"
           else compress(META_JPG, CompressOptions(keep=keep)).data)
    tags = exiftool(out)
    assert exiftool(META_JPG)["IFD0:Artist"] == "Jane_Doe"
    assert tags["IFD0:Copyright"] == "CC-BY_Jane_Doe"
    assert "IFD0:Artist" not in tags
    assert not [k for k, v in tags.items() if v == "Jane_Doe"], tags


def test_orientation_applied_to_the_pixels_is_reported() -> None:
    rotated = (CORPUS / "orientation" / "Landscape_6.jpg").read_bytes()
    upright = (CORPUS / "orientation" / "Landscape_1.jpg").read_bytes()
    assert exiftool(rotated)["IFD0:Orientation"] == "Rotate 90 CW"
    result = compress(rotated, CompressOptions(max_width=300))
    assert result.reencoded and result.orientation_applied
    assert "IFD0:Orientation" not in exiftool(result.data)
    with Image.open(io.BytesIO(result.data)) as im, Image.open(io.BytesIO(rotated)) as src:
        assert (im.width > im.height) != (src.width > src.height)  # turned upright
    assert not compress(upright, CompressOptions(max_width=300)).orientation_applied
    _, response = call(rotated, {"mode": "compress", "options": {"max_width": 300}})
    assert response["orientation_applied"] is True
    _, response = call(rotated, {"mode": "clean"})
    assert response["orientation_applied"] is False  # clean keeps the tag, pixels untouched


def test_a_tight_target_size_reports_a_low_score() -> None:
    photo = (CORPUS / "large").glob("*.jpg").__next__().read_bytes()
    tight = compress(photo, CompressOptions(target_size=60_000))
    roomy = compress(photo, CompressOptions(quality=85, score=True))
    assert tight.quality is not None and roomy.quality == 85
    assert compress(photo, CompressOptions(quality=85)).score is None  # not asked: not paid for
    assert tight.score is not None and roomy.score is not None
    assert tight.score < 50 < roomy.score, (tight.score, roomy.score)
    auto = compress(META_JPG, CompressOptions(quality_target=80))
    assert auto.score is not None and auto.score >= 79  # the search's own score
    assert compress(META_JPG, CompressOptions(format="png")).score is None  # lossless


def test_a_larger_conversion_says_so() -> None:
    small = (CORPUS / "photos").glob("*.jpg")
    for path in small:
        data = path.read_bytes()
        result = compress(data, CompressOptions(format="png"))
        if result.output_size > len(data):
            break
    else:
        pytest.fail("no photo grew as PNG")
    assert any("larger than the original JPEG" in w for w in result.warnings), result.warnings


def test_a_refused_bomb_says_how_much_memory_it_needs() -> None:
    bomb = (CORPUS / "broken" / "bomb-40000x40000.png").read_bytes()
    out, response = call(bomb, {"mode": "compress"})
    assert out == b"" and response["kind"] == "ImageTooLargeError"
    assert response["pixels"] == 40000 * 40000
    assert 10e9 < response["memory"] < 30e9  # several bytes per pixel
    assert "19.2 GB" in response["error"] and "raise" not in response["error"].lower()
    # A raised limit lets a big-but-honest image through (the page's "open anyway").
    big = io.BytesIO()
    Image.new("RGB", (3000, 2000), (10, 20, 30)).save(big, "PNG")
    _, refused = call(big.getvalue(), {"mode": "compress", "options": {"max_pixels": 5_000_000}})
    assert refused["pixels"] == 6_000_000
    _, opened = call(big.getvalue(), {"mode": "compress",
                                      "options": {"max_pixels": refused["pixels"]}})
    assert opened["ok"]


def test_a_thumbnail_is_an_upright_small_jpeg_of_the_result() -> None:
    rotated = (CORPUS / "orientation" / "Landscape_6.jpg").read_bytes()
    for mode in ("clean", "compress"):
        _, response = call(rotated, {"mode": mode, "thumbnail": 96})
        url = response["thumbnail"]
        assert url.startswith("data:image/jpeg;base64,")
        thumb = base64.b64decode(url.split(",", 1)[1])
        with Image.open(io.BytesIO(thumb)) as im:
            assert max(im.size) == 96 and im.width > im.height, (mode, im.size)  # upright
        assert not [k for k in exiftool(thumb) if k.startswith(("IFD0:", "GPS:", "XMP"))]
    _, response = call(rotated, {"mode": "compress"})
    assert "thumbnail" not in response

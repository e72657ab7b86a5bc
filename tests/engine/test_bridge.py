"""bridge.process: the Web Worker's one entry point. It answers JSON and never raises."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image
from tests.conftest import CORPUS

from localpix.adapters import bridge
from localpix.adapters.bridge import process

META_JPG = (CORPUS / "formats" / "meta.jpg").read_bytes()

SUCCESS_KEYS = {
    "ok", "format", "mime", "extension", "name", "input_size", "output_size", "reencoded",
    "quality", "target_met", "score", "orientation_applied", "low_quality", "codec", "tried",
    "note", "warnings",
    "before",
    "after", "removed",
}  # fmt: skip


def call(data: bytes, request: dict | str) -> tuple[bytes, dict]:
    output, response = process(data, request if isinstance(request, str) else json.dumps(request))
    assert isinstance(output, bytes) and isinstance(response, str)
    return output, json.loads(response)


def test_compress_same_format_keeps_name() -> None:
    output, response = call(META_JPG, {"mode": "compress", "name": "holiday/meta.jpg",
                                       "options": {"quality": 70}})
    assert set(response) == SUCCESS_KEYS
    assert response["ok"] is True
    assert response["format"] == "jpeg" and response["mime"] == "image/jpeg"
    assert response["extension"] == "jpg"
    assert response["name"] == "meta.jpg"  # folder part dropped, name unchanged
    assert response["input_size"] == len(META_JPG)
    assert response["output_size"] == len(output) > 0
    assert Image.open(io.BytesIO(output)).format == "JPEG"
    assert response["before"]["format"] == "jpeg"
    assert response["after"]["format"] == "jpeg"
    assert isinstance(response["removed"], list)
    for finding in response["removed"]:
        assert {"category", "label", "value", "why", "private"} <= set(finding)


def test_compress_format_change_renames() -> None:
    output, response = call(META_JPG, {"mode": "compress", "name": "my.photo.JPG",
                                       "options": {"format": "webp", "quality": 50}})
    assert response["ok"] is True
    assert response["format"] == "webp" and response["mime"] == "image/webp"
    assert response["name"] == "my.photo.webp"
    assert Image.open(io.BytesIO(output)).format == "WEBP"


def test_compress_all_options_from_json() -> None:
    options = {
        "format": "jpeg", "quality": 60.0, "target_size": 8000, "max_width": 200,
        "max_height": None, "png_colors": None, "png_dither": False, "webp_lossless": False,
        "jpeg_progressive": False, "jpeg_optimize": True, "jpeg_subsampling": "4:4:4",
        "background": "#ff00ff", "keep": {"copyright": True, "orientation": False},
        "max_pixels": 50_000_000,
    }  # fmt: skip
    output, response = call(META_JPG, {"mode": "compress", "options": options})
    assert response["ok"] is True, response
    assert Image.open(io.BytesIO(output)).width == 200
    assert response["target_met"] is True and response["output_size"] <= 8000
    assert response["quality"] <= 60
    assert response["name"] == "image.jpg"  # no name given


def test_keep_as_list_of_names() -> None:
    _, response = call(META_JPG, {"mode": "compress",
                                  "options": {"quality": 60, "keep": ["copyright"]}})
    assert response["ok"] is True


def test_inspect_returns_no_bytes_and_a_report() -> None:
    output, response = call(META_JPG, {"mode": "inspect", "name": "meta.jpg"})
    assert output == b""
    assert response["ok"] is True
    assert response["before"]["format"] == "jpeg"
    assert response["after"] is None and response["removed"] == []


def test_clean_mode() -> None:
    pytest.importorskip("localpix.clean")
    output, response = call(META_JPG, {"mode": "clean", "name": "meta.jpg",
                                       "options": {"keep": []}})
    assert response["ok"] is True, response
    assert response["reencoded"] is False and response["format"] == "jpeg"
    assert response["name"] == "meta.jpg"
    assert 0 < len(output) < len(META_JPG)
    assert response["removed"]  # meta.jpg is full of planted metadata


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"", "CorruptImageError"),
        (b"hello, not an image", "UnsupportedFormatError"),
        ((CORPUS / "broken" / "bomb-40000x40000.png").read_bytes(), "ImageTooLargeError"),
        ((CORPUS / "broken" / "bad-crc.png").read_bytes(), "CorruptImageError"),
    ],
)
def test_errors_are_reported_not_raised(data: bytes, kind: str) -> None:
    output, response = call(data, {"mode": "compress"})
    assert output == b""
    extra = {"pixels": 40000 * 40000, "memory": response.get("memory")} \
        if kind == "ImageTooLargeError" else {}
    assert response == {"ok": False, "error": response["error"], "kind": kind, **extra}
    assert response["error"]


@pytest.mark.parametrize(
    "request_json",
    [
        "{not json",
        "[1, 2]",
        json.dumps({"mode": "explode"}),
        json.dumps({"options": {"quality": 0}}),
        json.dumps({"options": {"quality": "high"}}),
        json.dumps({"options": {"quality": True}}),
        json.dumps({"options": {"qualty": 80}}),
        json.dumps({"options": {"format": "gif"}}),
        json.dumps({"options": {"keep": ["gps"]}}),
        json.dumps({"options": {"keep": {"orientation": "yes"}}}),
        json.dumps({"options": {"background": [300, 0, 0]}}),
        json.dumps({"options": {"background": "white"}}),
        json.dumps({"options": {"png_dither": 1}}),
        json.dumps({"options": []}),
    ],
)
def test_bad_requests_are_invalid_options(request_json: str) -> None:
    output, response = call(META_JPG, request_json)
    assert output == b""
    assert response["ok"] is False and response["kind"] == "InvalidOptionsError"
    assert response["error"]


def test_unexpected_exception_is_an_internal_error(monkeypatch) -> None:
    def boom(*args, **kwargs):
        raise ZeroDivisionError("oops")

    monkeypatch.setattr(bridge, "run", boom)
    output, response = call(META_JPG, {"mode": "compress"})
    assert output == b""
    assert response["ok"] is False and response["kind"] == "InternalError"
    assert "bug" in response["error"]
    assert "ZeroDivisionError" in response["detail"]


def test_memory_error_is_too_large_and_out_of_memory(monkeypatch) -> None:
    def boom(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(bridge, "run", boom)
    _, response = call(META_JPG, {"mode": "compress"})
    assert response["kind"] == "ImageTooLargeError"
    assert response["out_of_memory"] is True  # the worker replaces its engine
    assert "ran out of memory" in response["error"] and "Try again" in response["error"]
    assert "memory" not in response  # no "open anyway": more memory is what it lacked


def test_memory_error_while_decoding_is_out_of_memory(monkeypatch) -> None:
    from PIL import Image

    def boom(self, *args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(Image.Image, "load", boom)
    _, response = call(META_JPG, {"mode": "compress"})
    assert response["ok"] is False and response["out_of_memory"] is True


def test_a_refused_large_image_is_not_out_of_memory() -> None:
    _, response = call(META_JPG, {"mode": "compress", "options": {"max_pixels": 100}})
    assert response["kind"] == "ImageTooLargeError" and "out_of_memory" not in response


def test_odd_arguments_never_raise() -> None:
    for data, request in [(None, "{}"), (META_JPG, None), (META_JPG, 42)]:
        output, response = process(data, request)  # type: ignore[arg-type]
        assert output == b""
        assert json.loads(response)["ok"] is False


def test_memoryview_input() -> None:
    _, response = call(memoryview(META_JPG), {"mode": "compress", "options": {"quality": 50}})
    assert response["ok"] is True


def test_thumbnails_use_only_the_registered_formats_decoder() -> None:
    """A preview never lets Pillow guess: bytes of a format localpix does not register (PCX,
    whose loader localpix never needs) are refused, not decoded by whatever plugin matches."""
    import io

    from PIL import Image

    from localpix.errors import LocalpixError
    from localpix.pixels.thumbnail import thumbnail

    buf = io.BytesIO()
    Image.new("RGB", (32, 32), "red").save(buf, "PCX")
    with pytest.raises(LocalpixError):
        thumbnail(buf.getvalue(), 64, own=True)
    assert thumbnail(META_JPG, 64, own=True).startswith("data:image/jpeg;base64,")

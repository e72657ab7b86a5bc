"""Codec providers (codecs.providers): each native provider's output decodes, reaches the quality
target, carries no private metadata (ExifTool) and says which codec made it; a provider that is
missing or fails falls back to Pillow and says so. AVIF output and the "smallest" choice.

In .venv-pillow-min (no provider packages, Pillow 10.2) the provider tests skip and the fallback
and refusal tests run the real fallback path."""

from __future__ import annotations

import io
import json
import sys
import types
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from tests.conftest import CORPUS

from localpix import CompressOptions, Result, compress
from localpix.adapters.cli import main
from localpix.codecs import avif, jpeg, jpeg_tables, png, providers, webp
from localpix.errors import UnsupportedFormatError
from localpix.options import Keep
from localpix.pixels import prepare
from localpix.quality import auto, perceptual
from localpix.registry import SMALLEST_OF

from .metadata_helpers import exiftool_many, leftover
from .test_formats_modern import PLANTED, private_tags

PHOTO = (CORPUS / "formats" / "meta.jpg").read_bytes()  # GPS, serial, owner, XMP, IPTC, ...
PNG = (CORPUS / "formats" / "meta.png").read_bytes()
TARGET = 80
AUTO = CompressOptions(quality_target=TARGET, max_width=480)  # resized: always re-encoded

needs_numpy = pytest.mark.skipif(not auto.available(), reason="automatic quality needs numpy")


def have(name: str) -> bool:
    return providers._native_problem(providers.PROVIDERS[name]) is None


def pixels(data: bytes) -> bytes:
    with Image.open(io.BytesIO(data)) as im:
        return im.convert("RGBA").tobytes()


def no_private_metadata(*outputs: bytes) -> None:
    for key, tags in exiftool_many(dict(enumerate(outputs))).items():
        if tags.get("File:FileType") == "AVIF":  # its boxes are all structure to ExifTool
            assert private_tags(tags) == {}, key
            assert not any(planted in outputs[key] for planted in PLANTED)
        else:
            assert leftover(tags) == {}, key


def without(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """As if provider `name`'s package were not installed."""
    real = providers._native_module
    source = providers.PROVIDERS[name].source

    def fake(module: str) -> object:
        if module == source:
            raise ImportError(module)
        return real(module)

    monkeypatch.setattr(providers, "_native_module", fake)


@needs_numpy
@pytest.mark.skipif(not have("mozjpeg-lossless"), reason="mozjpeg-lossless-optimization missing")
def test_mozjpeg_rewrite_same_pixels_fewer_bytes_target_met(monkeypatch) -> None:
    result = compress(PHOTO, AUTO)
    assert result.codec == providers.PROVIDERS["mozjpeg-lossless"].label
    assert result.format == "jpeg" and result.score is not None and result.score >= TARGET
    with monkeypatch.context() as m:
        without(m, "mozjpeg-lossless")
        plain = compress(PHOTO, AUTO)
    assert plain.codec == jpeg.LABEL and plain.quality == result.quality
    # Lossless: the same coefficients, so the same decoded pixels, in fewer bytes.
    assert pixels(result.data) == pixels(plain.data)
    assert result.output_size < plain.output_size
    no_private_metadata(result.data)


@pytest.mark.skipif(not have("oxipng"), reason="pyoxipng missing")
def test_oxipng_is_lossless_and_not_bigger(monkeypatch) -> None:
    result = compress(PNG, CompressOptions(format="png"))
    assert result.codec == providers.PROVIDERS["oxipng"].label
    with monkeypatch.context() as m:
        without(m, "oxipng")
        plain = compress(PNG, CompressOptions(format="png"))
    assert plain.codec == png.LABEL
    assert pixels(result.data) == pixels(plain.data)
    assert result.output_size <= plain.output_size
    no_private_metadata(result.data)


def test_a_missing_provider_falls_back_to_pillow_and_says_so(monkeypatch) -> None:
    without(monkeypatch, "mozjpeg-lossless")
    result = compress(PHOTO, CompressOptions(max_width=480))
    assert result.codec == jpeg.LABEL
    assert "mozjpeg-lossless-optimization is not installed" in result.note
    assert not result.warnings
    Image.open(io.BytesIO(result.data)).load()


@pytest.mark.skipif(not have("mozjpeg-lossless"), reason="mozjpeg-lossless-optimization missing")
def test_a_failing_provider_falls_back_to_pillow_with_a_warning(monkeypatch) -> None:
    lib = providers.module(providers.PROVIDERS["mozjpeg-lossless"])

    def broken(data: bytes, copy: object = None) -> bytes:
        raise ValueError("simulated crash")

    monkeypatch.setattr(lib, "optimize", broken)
    result = compress(PHOTO, CompressOptions(max_width=480))
    assert result.codec == jpeg.LABEL
    assert any("simulated crash" in w and "Pillow encoded it instead" in w
               for w in result.warnings)
    Image.open(io.BytesIO(result.data)).load()
    no_private_metadata(result.data)


def test_a_browser_codec_the_page_did_not_load_is_a_note(monkeypatch) -> None:
    monkeypatch.setattr(providers, "RUNTIME", "browser")
    with providers.browser_codecs({"mozjpeg-wasm": "the wasm file did not load"}):
        result = compress(PHOTO, CompressOptions(max_width=480))
    assert result.codec == jpeg.LABEL
    assert "did not load" in result.note


def test_a_baseline_jpeg_stays_pillows() -> None:
    result = compress(PHOTO, CompressOptions(max_width=480, jpeg_progressive=False))
    assert result.codec == jpeg.LABEL


@needs_numpy
@pytest.mark.skipif(not avif.available(), reason="this Pillow cannot write AVIF")
def test_avif_output_decodes_meets_target_and_has_no_private_metadata() -> None:
    result = compress(PHOTO, CompressOptions(format="avif", quality_target=TARGET))
    assert result.format == "avif" and result.codec == avif.LABEL
    with Image.open(io.BytesIO(result.data)) as im:
        assert im.format == "AVIF" and im.size == (480, 640)  # turned upright (orientation 6)
    assert result.score is not None and result.score >= TARGET
    no_private_metadata(result.data)


@pytest.mark.skipif(avif.available(), reason="this Pillow writes AVIF")
def test_avif_output_without_an_encoder_says_what_to_install() -> None:
    with pytest.raises(UnsupportedFormatError, match=r"Pillow 11\.3"):
        compress(PHOTO, CompressOptions(format="avif"))


@needs_numpy
def test_smallest_keeps_the_smallest_and_names_every_size() -> None:
    result = compress(PHOTO, CompressOptions(format="smallest", max_width=480))
    tried = dict(result.tried)
    assert set(tried) == {f for f in SMALLEST_OF if f != "avif" or avif.available()}
    assert result.format == min(tried, key=tried.__getitem__)
    assert result.output_size == tried[result.format]
    assert result.note.startswith("Smallest format:") and "target 80" in result.note
    no_private_metadata(result.data)


def test_cli_report_names_the_codec(tmp_path: Path, capsys) -> None:
    report = tmp_path / "r.json"
    code = main([str(CORPUS / "formats" / "meta.jpg"), "-o", str(tmp_path / "out"),
                 "--max-size", "400", "--quality", "70", "--report", str(report)])
    assert code == 0
    (entry,) = json.loads(report.read_text())["files"]
    expected = jpeg.LABEL if not have("mozjpeg-lossless") else \
        providers.PROVIDERS["mozjpeg-lossless"].label
    assert entry["codec"] == expected


def test_the_worker_is_told_which_wasm_codecs_a_job_can_use() -> None:
    from localpix.adapters.bridge import codecs_for

    def ask(data: bytes, request: dict) -> list[str]:
        return codecs_for(data, json.dumps(request))

    assert ask(PHOTO, {"mode": "compress", "options": {}}) == ["mozjpeg-wasm"]
    assert ask(PHOTO, {"mode": "compress", "options": {"format": "smallest"}}) == [
        "mozjpeg-wasm", "jsquash-webp", "jsquash-avif"]
    assert ask(PHOTO, {"mode": "compress", "options": {"format": "avif"}}) == ["jsquash-avif"]
    assert ask(PHOTO, {"mode": "compress", "options": {"format": "webp"}}) == ["jsquash-webp"]
    assert ask(PNG, {"mode": "compress"}) == ["jsquash-oxipng"]
    assert ask(PHOTO, {"mode": "clean"}) == []
    assert ask(b"not an image", {"mode": "compress"}) == []


class _JsBytes:
    """What a wasm codec's Uint8Array looks like to Python through Pyodide's FFI."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def to_bytes(self) -> bytes:
        return self.data


class JsException(Exception):
    """What a JS exception raised inside a codec is in Python (pyodide.ffi.JsException)."""


def compress_in_the_page(monkeypatch: pytest.MonkeyPatch, name: str, codec: Any, data: bytes,
                         options: CompressOptions) -> Result:
    """compress(data, options) in the browser runtime with the wasm codec `name` loaded as
    `codec` (Pyodide's to_js passes the buffer through): the engine's side of the page's codecs,
    run natively. Chromium runs the real wasm (tests/browser/test_codecs.py)."""
    monkeypatch.setattr(providers, "RUNTIME", "browser")
    ffi = types.ModuleType("pyodide.ffi")
    ffi.to_js = lambda value, **_: value  # type: ignore[attr-defined]
    ffi.JsException = JsException  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "pyodide", types.ModuleType("pyodide"))
    monkeypatch.setitem(sys.modules, "pyodide.ffi", ffi)
    real = providers.module
    monkeypatch.setattr(providers, "module",
                        lambda p: codec if p.name == name else real(p))
    with providers.browser_codecs({name: "ready"}):
        return compress(data, options)


@pytest.mark.skipif(not have("oxipng"), reason="pyoxipng missing")
def test_the_pages_oxipng_redeflates_the_engines_png(monkeypatch) -> None:
    import oxipng

    seen: list[tuple[int, bool, bool]] = []

    class WasmOxipng:  # @jsquash/oxipng's optimise(data, level, interlace, optimiseAlpha)
        def optimise(self, data: memoryview, level: int, interlace: bool, alpha: bool
                     ) -> _JsBytes:
            seen.append((level, interlace, alpha))
            return _JsBytes(oxipng.optimize_from_memory(bytes(data), level=level,
                                                        strip=oxipng.StripChunks.none()))

    plain = compress(PNG, CompressOptions(format="png"))
    result = compress_in_the_page(monkeypatch, "jsquash-oxipng", WasmOxipng(), PNG,
                                  CompressOptions(format="png"))
    assert seen == [(png.OXIPNG_LEVEL, False, False)]
    assert result.codec == providers.PROVIDERS["jsquash-oxipng"].label
    assert pixels(result.data) == pixels(plain.data)  # (turned upright: its orientation)
    assert result.output_size <= plain.output_size
    no_private_metadata(result.data)


def test_the_pages_oxipng_failing_falls_back_to_the_engines_png(monkeypatch) -> None:
    class Broken:
        def optimise(self, *args: object) -> _JsBytes:
            raise RuntimeError("unreachable executed")  # a wasm trap, as Pyodide raises it

    plain = compress(PNG, CompressOptions(format="png"))
    result = compress_in_the_page(monkeypatch, "jsquash-oxipng", Broken(), PNG,
                                  CompressOptions(format="png"))
    assert result.codec == png.LABEL
    assert any("unreachable executed" in w and "Pillow encoded it instead" in w
               for w in result.warnings)
    assert pixels(result.data) == pixels(plain.data)


def same_metadata_as_pillow(page: bytes, pillow: bytes, container: str) -> None:
    """The page's output carries the metadata the keep settings allow, where Pillow writes it:
    the same tags as Pillow's output (ExifTool), apart from the container's own; nothing private."""
    tags = exiftool_many({"page": page, "pillow": pillow})

    def meta(which: str) -> dict:
        return {k: v for k, v in tags[which].items()
                if not k.startswith(("SourceFile", "System:", "File:", container))}

    assert meta("page") == meta("pillow") and meta("page")
    no_private_metadata(page)


class WasmMozjpeg:
    """The page's mozjpeg's encode(pixels, width, height, settings) (scripts/wasm/mozjpeg-wasm),
    made here with Pillow's libjpeg and the tables it is given: a bare JFIF JPEG, as the wasm
    writes it, without trellis (tests/test_wasm_mozjpeg.py runs the real one)."""

    def __init__(self) -> None:
        self.settings: list[dict] = []
        self.images: list[Image.Image] = []

    def encode(self, pixels: bytes, width: int, height: int, settings: dict) -> _JsBytes:
        self.settings.append(settings)
        mode = "L" if len(pixels) == width * height else "RGB"
        im = Image.frombytes(mode, (width, height), bytes(pixels))
        self.images.append(im)
        flat = settings["tables"]
        out = io.BytesIO()
        im.save(out, "JPEG", qtables=[flat[i : i + 64] for i in range(0, len(flat), 64)],
                subsampling={1: "4:4:4", 2: "4:2:2", 4: "4:2:0"}[settings["subsampling"]],
                optimize=True, progressive=True)
        return _JsBytes(out.getvalue())


def tables_used(settings: dict) -> set[str]:
    """Which of localpix's table sets, at some quality, `settings` carries."""
    return {name for name in jpeg_tables.TABLES for q in range(1, 101)
            if jpeg.wasm_tables(name, q) == settings["tables"]}


@needs_numpy
def test_the_pages_mozjpeg_searches_localpixs_tables_like_the_engine(monkeypatch) -> None:
    pillow = compress(PHOTO, AUTO)
    codec = WasmMozjpeg()
    result = compress_in_the_page(monkeypatch, "mozjpeg-wasm", codec, PHOTO, AUTO)
    assert result.codec == providers.PROVIDERS["mozjpeg-wasm"].label and not result.warnings
    assert set().union(*map(tables_used, codec.settings)) == set(jpeg.WASM_AUTO_TABLES)
    assert all(s["trellis"] is jpeg.WASM_TRELLIS and s["scan_search"] is jpeg.WASM_SCAN_SEARCH
               and s["subsampling"] == 4 for s in codec.settings)
    assert result.score is not None and result.score >= TARGET
    # Klein's set, tried in the page only, does not win on this photo: the same tables at the
    # same quality as the engine's own search, so the same pixels.
    assert pixels(result.data) == pixels(pillow.data)
    same_metadata_as_pillow(result.data, pillow.data, "JFIF:")


def test_the_pages_mozjpeg_takes_the_tables_and_subsampling_asked_for(monkeypatch) -> None:
    codec = WasmMozjpeg()
    options = CompressOptions(quality=70, jpeg_tables="klein", jpeg_subsampling="4:4:4",
                              max_width=480)
    result = compress_in_the_page(monkeypatch, "mozjpeg-wasm", codec, PHOTO, options)
    (settings,) = codec.settings
    assert settings["tables"] == jpeg.wasm_tables("klein", 70)
    assert settings["subsampling"] == 1
    with Image.open(io.BytesIO(result.data)) as im:
        assert im.layer[0][1:3] == (1, 1)


class WasmMozjpegDecoder(WasmMozjpeg):
    """Also the page's mozjpeg's decodeResized(jpeg, options) (scripts/wasm/mozjpeg-wasm/
    resize.c), made here with Pillow: what it is asked, and Pillow's pixels as the wasm returns
    them (grey, or RGBX rows). tests/test_wasm_mozjpeg.py checks the real one gives the same."""

    def __init__(self, declines: bool = False) -> None:
        super().__init__()
        self.declines = declines
        self.asked: list[dict] = []

    def decodeResized(self, data: bytes, options: dict) -> types.SimpleNamespace:
        self.asked.append(options)
        if self.declines:
            raise JsException("mozjpeg: Premature end of JPEG file")
        im = Image.open(io.BytesIO(bytes(data)))
        full = im.size
        im.draft(im.mode, (full[0] // options["scale"], full[1] // options["scale"]))
        assert im.size == (options["in_width"], options["in_height"])
        im = im.resize((options["width"], options["height"]), Image.Resampling.LANCZOS)
        raw = im.tobytes() if im.mode == "L" else im.tobytes("raw", "RGBX")
        return types.SimpleNamespace(pixels=_JsBytes(raw), channels=1 if im.mode == "L" else 4)


class WasmMozjpegScorer(WasmMozjpeg):
    """Also the page's mozjpeg's scoreReference(rgb, width, height, weights) and score(rgb)
    (scripts/wasm/mozjpeg-wasm/score.c), made here with perceptual.Reference: what the search
    asks of them. tests/test_wasm_mozjpeg.py checks the real ones score as the engine does."""

    def __init__(self, fits: bool = True) -> None:
        super().__init__()
        self.fits = fits
        self.references: list[tuple[int, int]] = []
        self.scored = 0

    def scoreReference(self, rgb: bytes, width: int, height: int, weights: list) -> bool:
        assert weights == [float(w) for w in perceptual._WEIGHTS]
        self.references.append((width, height))
        self.reference = perceptual.Reference(Image.frombytes("RGB", (width, height), rgb))
        return self.fits

    def score(self, rgb: bytes) -> float:
        self.scored += 1
        return self.reference.score(Image.frombytes("RGB", self.reference_size, rgb))

    @property
    def reference_size(self) -> tuple[int, int]:
        return self.references[-1]


@needs_numpy
@pytest.mark.parametrize("fits", [True, False])
def test_the_pages_search_scores_with_the_pages_ssimulacra2(monkeypatch, fits) -> None:
    codec = WasmMozjpegScorer(fits)
    result = compress_in_the_page(monkeypatch, "mozjpeg-wasm", codec, PHOTO, AUTO)
    # one reference, the search's mosaic; scored there, or by numpy when it did not fit
    assert codec.references == [auto.mosaic(Image.open(io.BytesIO(PHOTO))).size]
    assert (codec.scored > 2) if fits else (codec.scored == 0)
    assert pixels(result.data) == pixels(compress(PHOTO, AUTO).data)
    assert result.score is not None and result.score >= TARGET


def landscape(orientation: int) -> bytes:
    return (CORPUS / "orientation" / f"Landscape_{orientation}.jpg").read_bytes()


@pytest.mark.parametrize(("orientation", "box"), [(1, 300), (1, 150), (3, 300), (6, 200)])
def test_the_pages_mozjpeg_decodes_and_resizes_in_one_pass(monkeypatch, orientation, box
                                                           ) -> None:
    data = landscape(orientation)
    codec = WasmMozjpegDecoder()
    options = CompressOptions(quality=80, max_width=box, max_height=box)
    result = compress_in_the_page(monkeypatch, "mozjpeg-wasm", codec, data, options)
    (asked,) = codec.asked
    (given,) = codec.images  # what the page's encoder was given
    with Image.open(io.BytesIO(data)) as im:
        size = im.size
        turned = size[::-1] if orientation >= 5 else size
        target = prepare.fit(*turned, box, box)
        assert target is not None and given.size == target
        # asked in the file's own geometry, at the scale Pillow's draft() chose
        source = target[::-1] if orientation >= 5 else target
        assert (asked["width"], asked["height"]) == source
        im.draft(im.mode, (2 * source[0], 2 * source[1]))
        assert (asked["in_width"], asked["in_height"]) == im.size
        assert asked["scale"] == size[0] // im.size[0]
        # Pillow's LANCZOS, in the file's geometry, then turned upright. (The engine turns first
        # when Pillow decodes: the passes then run in the other order, and its rounding and
        # clipping between them can move a few pixels by a few levels.)
        expected = prepare.upright(im.resize(source, Image.Resampling.LANCZOS, reducing_gap=3.0),
                                   orientation)
    assert given.tobytes() == expected.tobytes()
    assert result.orientation_applied == (orientation != 1)
    assert (result.after.width, result.after.height) == target
    same_metadata_as_pillow(result.data, compress(data, options).data, "JFIF:")


def test_a_jpeg_the_pages_decoder_declines_is_decoded_by_pillow(monkeypatch) -> None:
    codec = WasmMozjpegDecoder(declines=True)
    options = CompressOptions(quality=80, max_width=300)
    data = landscape(1)
    result = compress_in_the_page(monkeypatch, "mozjpeg-wasm", codec, data, options)
    assert len(codec.asked) == 1 and not result.warnings
    assert pixels(result.data) == pixels(compress(data, options).data)


class WasmWebp:
    """@jsquash/webp's encode(rgba, width, height, config), made here with Pillow's libwebp:
    a bare WebP (no metadata), as the wasm build writes it."""

    def __init__(self) -> None:
        self.configs: list[dict] = []

    def encode(self, rgba: memoryview, width: int, height: int, config: dict) -> _JsBytes:
        self.configs.append(config)
        im = Image.frombytes("RGBA", (width, height), bytes(rgba))
        if im.getextrema()[3] == (255, 255):
            im = im.convert("RGB")  # libwebp writes no alpha for an opaque image
        out = io.BytesIO()
        im.save(out, "WEBP", quality=config["quality"], method=config["method"],
                lossless=bool(config["lossless"]))
        return _JsBytes(out.getvalue())


@needs_numpy
def test_the_pages_webp_meets_the_target_and_carries_only_the_kept_metadata(monkeypatch
                                                                            ) -> None:
    options = CompressOptions(format="webp", quality_target=TARGET, max_width=480)
    pillow = compress(PHOTO, options)
    codec = WasmWebp()
    result = compress_in_the_page(monkeypatch, "jsquash-webp", codec, PHOTO, options)
    assert result.codec == providers.PROVIDERS["jsquash-webp"].label and not result.warnings
    assert len(codec.configs) > 1  # the automatic search ran on the same encoder
    assert set(codec.configs[0]) == set(webp.WASM_DEFAULTS)  # embind wants every field
    assert result.score is not None and result.score >= TARGET
    assert pixels(result.data) == pixels(pillow.data)  # same libwebp here: same pixels
    same_metadata_as_pillow(result.data, pillow.data, "RIFF:")


def test_webp_metadata_goes_into_a_vp8x_file_the_decoder_reads() -> None:
    icc = b"fake profile bytes"
    exif = b"Exif\0\0MM\0*\0\0\0\x08\0\0"
    for mode in ("RGB", "RGBA"):
        im = Image.new(mode, (33, 17), (10, 200, 30, 128)[: len(mode)])
        bare = io.BytesIO()
        im.save(bare, "WEBP", quality=80)
        out = webp.with_metadata(bare.getvalue(), im, {"icc_profile": icc, "exif": exif})
        with Image.open(io.BytesIO(out)) as back:
            back.load()
            assert back.size == (33, 17) and back.mode == mode
            assert back.info["icc_profile"] == icc
            assert back.info["exif"] == exif
        assert webp.with_metadata(bare.getvalue(), im, {}) == bare.getvalue()


def test_the_pages_webp_failing_falls_back_to_pillow(monkeypatch) -> None:
    class Broken:
        def encode(self, *args: object) -> None:
            return None  # what libwebp's wasm encode returns when it fails

    result = compress_in_the_page(monkeypatch, "jsquash-webp", Broken(), PHOTO,
                                  CompressOptions(format="webp", max_width=480))
    assert result.codec == webp.LABEL and result.format == "webp"
    assert any("libwebp (wasm" in w and "Pillow encoded it instead" in w for w in result.warnings)
    Image.open(io.BytesIO(result.data)).load()


class WasmAvif:
    """@jsquash/avif's encode(rgba, width, height, options), made here with Pillow's libavif:
    an AVIF with nothing but what the encoder writes."""

    def __init__(self) -> None:
        self.options: list[dict] = []
        self.decoded = 0

    def encode(self, rgba: memoryview, width: int, height: int, options: dict) -> _JsBytes:
        self.options.append(options)
        im = Image.frombytes("RGBA", (width, height), bytes(rgba)).convert("RGB")
        out = io.BytesIO()
        im.save(out, "AVIF", quality=options["quality"], speed=options["speed"])
        return _JsBytes(out.getvalue())

    def decode(self, data: memoryview) -> types.SimpleNamespace:  # an ImageData
        self.decoded += 1
        with Image.open(io.BytesIO(bytes(data))) as im:
            rgba = im.convert("RGBA")
        return types.SimpleNamespace(width=rgba.width, height=rgba.height,
                                     data=_JsBytes(rgba.tobytes()))


@needs_numpy
@pytest.mark.skipif(not avif.available(), reason="this Pillow cannot write AVIF")
def test_the_pages_avif_meets_the_target_and_says_what_it_could_not_keep(monkeypatch) -> None:
    codec = WasmAvif()
    result = compress_in_the_page(monkeypatch, "jsquash-avif", codec, PHOTO,
                                  CompressOptions(format="avif", quality_target=TARGET,
                                                  keep=Keep(date_taken=True)))
    assert result.format == "avif"
    assert result.codec == providers.PROVIDERS["jsquash-avif"].label
    assert len(codec.options) > 1 and set(codec.options[0]) == set(avif.WASM_DEFAULTS)
    assert codec.decoded > 1  # the search's samples, scored through the page's decoder
    assert result.score is not None and result.score >= TARGET
    assert avif.NO_METADATA in result.note  # the date it was asked to keep
    no_private_metadata(result.data)


def test_avif_in_the_page_without_its_codec_is_refused_and_skipped_by_smallest(monkeypatch
                                                                              ) -> None:
    monkeypatch.setattr(providers, "RUNTIME", "browser")
    monkeypatch.setattr(avif, "_pillow", lambda: False)  # Pyodide's Pillow 10.2
    with providers.browser_codecs({"jsquash-avif": "it did not load: 404"}):
        with pytest.raises(UnsupportedFormatError, match="did not load: 404"):
            compress(PHOTO, CompressOptions(format="avif", max_width=480))
        result = compress(PHOTO, CompressOptions(format="smallest", max_width=480))
    assert "avif" not in dict(result.tried)
    assert "not tried: AVIF (no AVIF encoder here)" in result.note

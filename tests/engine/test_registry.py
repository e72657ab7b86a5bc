"""The format registry holds the layers together: every record has its modules, a corpus sample
and the same facts on the page; the public API and the layout stay as documented."""

from __future__ import annotations

import importlib
import io
import json
import struct
import subprocess
import sys
from dataclasses import fields
from pathlib import Path
from typing import get_args

import pytest
from PIL import Image

import localpix
from conftest import CORPUS, ROOT
from localpix import CompressOptions, InvalidOptionsError, UnsupportedFormatError, registry
from localpix.adapters import page_facts
from localpix.adapters.bridge import process
from localpix.adapters.cli import main
from localpix.codecs import jpeg_tables
from localpix.options import JpegTables, OutputFormat, parse_options


def _saved_as(pillow_format: str) -> bytes:
    buf = io.BytesIO()
    Image.open(CORPUS / "formats" / "meta.png").convert("RGB").save(buf, pillow_format)
    return buf.getvalue()


# Formats the corpus has no file of: a sample made from a corpus image (the list is explicit, so
# a new format must either bring a corpus file or say how its sample is made).
MADE_AT_TEST_TIME = {"bmp": lambda: _saved_as("BMP"), "netpbm": lambda: _saved_as("PPM")}

SAMPLES = sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.parent.name != "broken"
                 and p.name not in ("LICENSE", "README.md"))


@pytest.mark.parametrize("fmt", registry.FORMATS, ids=lambda f: f.name)
def test_every_record_has_its_modules_and_a_corpus_sample(fmt: registry.Format) -> None:
    container = fmt.container_module()
    for name in ("detect", "starts_like", "inspect", "clean"):
        assert callable(getattr(container, name)), f"{fmt.container} lacks {name}"
    assert container.TECHNIQUE in ("surgery", "resave")
    if fmt.writable:
        codec = fmt.codec_module()
        assert callable(codec.encoder) and callable(codec.sample_encoders) and codec.LABEL
    else:
        assert fmt.codec is None  # read-only, explicitly
        with pytest.raises(UnsupportedFormatError):
            fmt.codec_module()
    assert registry.record(fmt.compress_to).writable
    for plugin in fmt.pillow_plugins:
        importlib.import_module(f"PIL.{plugin}")
    samples = [p.read_bytes() for p in SAMPLES if p.suffix.lower() in fmt.extensions
               and registry.detect(p.read_bytes()) == fmt]
    if fmt.name in MADE_AT_TEST_TIME:
        samples.append(MADE_AT_TEST_TIME[fmt.name]())
    assert samples, f"no corpus file is a {fmt.label}: add one, or make one in MADE_AT_TEST_TIME"
    assert localpix.inspect(samples[0]).format == fmt.name


def test_formats_do_not_share_an_extension_or_claim_another_formats_file() -> None:
    assert len(registry.EXTENSIONS) == len(set(registry.EXTENSIONS))
    for path in SAMPLES:
        data = path.read_bytes()
        claims = [f.name for f in registry.FORMATS if f.container_module().detect(data)]
        assert len(claims) <= 1, f"{path.name} is claimed by {claims}"


def test_typed_choices_match_the_registry_and_the_codecs() -> None:
    assert get_args(OutputFormat) == registry.OUTPUT_FORMATS
    assert set(get_args(JpegTables)) == set(jpeg_tables.TABLES)


def test_the_page_facts_in_dist_are_the_engines() -> None:
    """dist/facts.js (what the page reads) is what the engine says now: no stale build, no copy."""
    script = (ROOT / "dist" / "facts.js").read_text()
    shipped = json.loads(script.split("Object.freeze(", 1)[1].rsplit(");", 1)[0])
    assert shipped == json.loads(json.dumps(page_facts.facts()))
    assert [f["name"] for f in shipped["formats"]] == [f.name for f in registry.FORMATS]
    for record, entry in zip(registry.FORMATS, shipped["formats"], strict=True):
        assert entry["mime"] == record.mime and entry["extensions"] == list(record.extensions)
    assert "facts.js" in (ROOT / "dist" / "index.html").read_text()


@pytest.mark.parametrize("name", sorted(page_facts.RANGES))
def test_the_ranges_the_page_is_told_are_the_ones_the_engine_enforces(name: str) -> None:
    low, high = page_facts.RANGES[name]
    CompressOptions(**{name: low})
    with pytest.raises(InvalidOptionsError):
        CompressOptions(**{name: low - 1})
    if high is not None:
        CompressOptions(**{name: high})
        with pytest.raises(InvalidOptionsError):
            CompressOptions(**{name: high + 1})


def test_options_are_parsed_from_the_dataclass_fields() -> None:
    assert parse_options({"quality": 55.0, "format": "webp"}) == CompressOptions(quality=55,
                                                                                format="webp")
    for bad, words in (
        ({"qualty": 50}, "Unknown option qualty"),
        ({"quality": "50"}, "quality must be a whole number"),
        ({"webp_lossless": 1}, "webp_lossless must be true or false"),
        ({"format": "heic"}, "format must be one of jpeg, png, webp, avif, smallest"),
        ({"jpeg_tables": "mozjpeg"}, "jpeg_tables must be one of"),
        ({"quality_target": True}, "quality_target must be a number"),
        ({"keep": {"gps": True}}, "unknown: gps"),
    ):
        with pytest.raises(InvalidOptionsError, match=words):
            parse_options(bad)
    # Every field is readable from JSON: a new field of a type the parser doesn't know fails here.
    for f in fields(CompressOptions):
        parse_options({f.name: json.loads(json.dumps(_json_value(getattr(CompressOptions(),
                                                                           f.name))))})


def _json_value(value: object) -> object:
    if isinstance(value, localpix.Keep):
        return {f.name: getattr(value, f.name) for f in fields(value)}
    return list(value) if isinstance(value, tuple) else value


def test_psnr_hvs_steep_tables_are_accepted() -> None:
    data = (CORPUS / "gps" / "DSCN0010.jpg").read_bytes()
    result = localpix.compress(data, CompressOptions(jpeg_tables="psnr-hvs-steep", quality=70))
    assert result.format == "jpeg" and result.output_size > 0


def bigtiff() -> bytes:
    """A BigTIFF header (version 43, 8-byte offsets) with one empty directory."""
    return b"II+\x00" + struct.pack("<HHQ", 8, 0, 16) + struct.pack("<QQ", 0, 0)


def test_bigtiff_is_refused_with_the_same_clear_error_in_every_layer(tmp_path: Path,
                                                                      capsys) -> None:
    data = bigtiff()
    assert registry.detect(data).name == "tiff"
    messages = set()
    for operation in (localpix.inspect, localpix.clean, localpix.compress):
        with pytest.raises(UnsupportedFormatError) as info:
            operation(data)
        messages.add(str(info.value))
    for mode in ("inspect", "clean", "compress"):
        _, response = process(data, json.dumps({"mode": mode}))
        answer = json.loads(response)
        assert answer["ok"] is False and answer["kind"] == "UnsupportedFormatError"
        messages.add(answer["error"])
    source = tmp_path / "scan.tif"
    source.write_bytes(data)
    assert main([str(source), "-o", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    (message,) = messages
    assert "BigTIFF" in message and message in err
    assert not (tmp_path / "out" / "scan.tif").exists()


def test_public_names_are_functions_and_modules_are_not_shadowed() -> None:
    assert callable(localpix.compress) and callable(localpix.clean) and callable(localpix.inspect)
    code = ("import localpix.pipeline.compress as m, types; "
            "assert isinstance(m, types.ModuleType) and callable(m.compress)")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_unsupported_message_lists_the_registry() -> None:
    with pytest.raises(UnsupportedFormatError) as info:
        localpix.inspect(b"plain text, not an image at all")
    for fmt in registry.FORMATS:
        assert fmt.label in str(info.value)

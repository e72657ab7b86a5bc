"""Helpers for the metadata tests: ExifTool over many files in one run, what ExifTool still finds
beyond a container's own structure, and an independent JPEG segment walker."""

from __future__ import annotations

import io
import json
import shutil
import struct
import subprocess
import tempfile
from pathlib import Path

import pytest
from PIL import Image, ImageSequence
from tests.conftest import metadata_tags


def exiftool_many(blobs: dict[str, bytes]) -> dict[str, dict[str, object]]:
    """`exiftool -j -a -G1 -b` on every blob in one process (one Perl start instead of hundreds);
    the same view as conftest's `exiftool`, keyed like `blobs`."""
    if shutil.which("exiftool") is None:
        pytest.fail("exiftool is missing: run scripts/setup (Debian libimage-exiftool-perl)")
    with tempfile.TemporaryDirectory() as tmp:
        names = {}
        for index, (key, data) in enumerate(blobs.items()):
            path = Path(tmp) / f"{index:04d}.bin"
            path.write_bytes(data)
            names[str(path)] = key
        proc = subprocess.run(
            ["exiftool", "-j", "-a", "-G1", "-b", *names], capture_output=True, check=False,
            timeout=300,
        )
    return {names[tags["SourceFile"]]: tags for tags in json.loads(proc.stdout)}


# Tags ExifTool reports about a container's own structure, not metadata about the photo.
STRUCTURAL = {
    "JFIF:JFIFVersion", "JFIF:ResolutionUnit", "JFIF:XResolution", "JFIF:YResolution",
    "Adobe:DCTEncodeVersion", "Adobe:APP14Flags0", "Adobe:APP14Flags1", "Adobe:ColorTransform",
    "PNG:ImageWidth", "PNG:ImageHeight", "PNG:BitDepth", "PNG:ColorType", "PNG:Compression",
    "PNG:Filter", "PNG:Interlace", "PNG:Palette", "PNG:Transparency", "PNG:PixelsPerUnitX",
    "PNG:PixelsPerUnitY", "PNG:PixelUnits", "PNG:Gamma", "PNG:SRGBRendering",
    "PNG:BackgroundColor", "PNG:SignificantBits", "PNG:WhitePointX", "PNG:WhitePointY",
    "PNG:RedX", "PNG:RedY", "PNG:GreenX", "PNG:GreenY", "PNG:BlueX", "PNG:BlueY",
    "PNG:AnimationFrames", "PNG:AnimationPlays",
    "RIFF:VP8Version", "RIFF:ImageWidth", "RIFF:ImageHeight", "RIFF:HorizontalScale",
    "RIFF:VerticalScale", "RIFF:WebP_Flags", "RIFF:AlphaPreprocessing", "RIFF:AlphaFiltering",
    "RIFF:AlphaCompression", "RIFF:BackgroundColor", "RIFF:AnimationLoopCount",
    "GIF:GIFVersion", "GIF:ImageWidth", "GIF:ImageHeight", "GIF:HasColorMap",
    "GIF:ColorResolutionDepth", "GIF:BitsPerPixel", "GIF:BackgroundColor",
    "GIF:AnimationIterations", "GIF:FrameCount", "GIF:Duration", "GIF:TransparentColor",
    "GIF:PixelAspectRatio",
    # A TIFF's first IFD is the image itself; these describe its pixels and where they are.
    "IFD0:ImageWidth", "IFD0:ImageHeight", "IFD0:BitsPerSample", "IFD0:Compression",
    "IFD0:PhotometricInterpretation", "IFD0:StripOffsets", "IFD0:SamplesPerPixel",
    "IFD0:RowsPerStrip", "IFD0:StripByteCounts", "IFD0:PlanarConfiguration", "IFD0:ExtraSamples",
    "IFD0:SampleFormat", "IFD0:Predictor", "IFD0:FillOrder", "IFD0:TileWidth", "IFD0:TileLength",
    "IFD0:TileOffsets", "IFD0:TileByteCounts", "IFD0:ColorMap", "IFD0:SubfileType",
    "IFD0:XResolution", "IFD0:YResolution", "IFD0:ResolutionUnit",
}
# File-group tags that are metadata (ExifTool files JPEG/GIF comments under File).
FILE_METADATA = {"File:Comment", "File:CurrentIPTCDigest"}
# What a keep flag lets through (the values must then equal the input's).
KEPT_BY = {
    "orientation": {"IFD0:Orientation"},
    "copyright": {"IFD0:Copyright"},
    "date_taken": {
        "ExifIFD:DateTimeOriginal", "ExifIFD:CreateDate", "ExifIFD:OffsetTimeOriginal",
        "ExifIFD:OffsetTimeDigitized",
    },
}


def is_icc(key: str) -> bool:
    """ICC profile tags (an iCCP that ExifTool cannot parse shows as PNG:ICC_Profile)."""
    return key.split(":", 1)[0].startswith("ICC") or key in ("PNG:ICC_Profile", "PNG:ProfileName")


def leftover(tags: dict[str, object]) -> dict[str, object]:
    """What ExifTool finds beyond structure and the ICC profile: the metadata that survived."""
    found = {k: v for k, v in metadata_tags(tags).items() if k not in STRUCTURAL and not is_icc(k)}
    found.update({k: tags[k] for k in FILE_METADATA if k in tags})
    return found


def jpeg_parts(data: bytes) -> tuple[list[bytes], bytes]:
    """(every DQT/DHT/SOFn/DRI segment, everything from the first SOS up to and including EOI),
    found by walking the segments without the engine's code."""
    tables: list[bytes] = []
    pos = 2
    while True:
        while data[pos + 1] == 0xFF:
            pos += 1
        marker = data[pos + 1]
        if marker == 0xDA:
            return tables, data[pos : data.index(b"\xff\xd9", pos) + 2]
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        if marker in (0xDB, 0xC4, 0xDD) or 0xC0 <= marker <= 0xCF:
            tables.append(data[pos : pos + 2 + length])
        pos += 2 + length


def frames(data: bytes) -> list[tuple[str, tuple[int, int], bytes, dict[str, object]]]:
    """Every frame's (mode, size, pixels, timing) as Pillow decodes it; palette images as the
    colours they show, since a lossless re-save may reorder or pad a palette."""
    with Image.open(io.BytesIO(data)) as image:
        return [
            (
                frame.mode, frame.size,
                (frame.convert("RGBA") if frame.mode == "P" else frame).tobytes(),
                {key: frame.info.get(key) for key in ("duration", "loop", "transparency")},
            )
            for frame in ImageSequence.Iterator(image)
        ]

"""compress: decode, orient upright, optionally downscale, and re-encode an image, writing back only
the metadata the user chose to keep. Unless the user asked for another format (or smaller
dimensions), the result is never bigger than the input: then the losslessly cleaned original wins.

Works on Pillow 10.2 (Pyodide) and the latest Pillow: only APIs present in both are used.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from PIL import Image, ImageChops

from . import assess, autoquality, jpegtables
from . import exif as exif_block
from .clean import clean
from .errors import LocalpixError, UnsupportedFormatError
from .imaging import decode, open_header, pillow_errors
from .inspect import inspect
from .options import CompressOptions, Keep
from .report import Report, Result

# Pillow's format name -> our name, and the output format when the user gives none.
_INPUT_NAME = {
    "JPEG": "jpeg", "MPO": "jpeg", "PNG": "png", "WEBP": "webp",
    "GIF": "gif", "TIFF": "tiff", "BMP": "bmp",
}  # fmt: skip
_DEFAULT_OUTPUT = {"jpeg": "jpeg", "png": "png", "webp": "webp", "gif": "png", "tiff": "png",
                   "bmp": "png"}  # fmt: skip
_PILLOW_NAME = {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP"}

_ORIENTATION = 0x0112

# EXIF orientation -> the transpose that makes the pixels upright (the table exif_transpose uses).
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}

MIN_QUALITY = 1  # the lowest setting the target-size search may go down to
WEBP_METHOD = 4  # libwebp effort 0-6; 6 is ~2x slower for ~1-2 % smaller files, too slow in a tab
WEBP_LOSSLESS_EFFORT = 80  # Pillow's `quality` means effort in lossless mode

_GREY_MODES = ("1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "I;16N", "F")
_SIXTEEN_BIT = ("I", "I;16", "I;16B", "I;16L", "I;16N")


@dataclass
class _Job:
    """Everything one compress call works with, so helpers stay small."""

    options: CompressOptions
    out_format: str
    icc: bytes | None
    exif: bytes = b""
    warnings: list[str] = field(default_factory=list)
    quality: int = 80  # the JPEG/WebP quality to encode at (options.quality, or chosen by auto)
    jpeg_tables: str = jpegtables.DEFAULT
    note: str = ""
    score: float | None = None  # the automatic search's score at `quality`


def compress(data: bytes, options: CompressOptions = CompressOptions()) -> Result:  # noqa: B008
    """Re-encode `data` per `options`; see the module docstring for the guarantees."""
    data = bytes(data)  # Pyodide may hand over a memoryview
    image = open_header(data, options.max_pixels)
    in_format = _INPUT_NAME[image.format or ""]
    out_format = options.format or _DEFAULT_OUTPUT[in_format]
    format_change = options.format is not None and options.format != in_format

    exif = _read_exif(image)
    job = _Job(
        options=options,
        out_format=out_format,
        icc=image.info.get("icc_profile") if options.keep.color_profile else None,
        quality=options.quality,
        jpeg_tables=options.jpeg_tables or jpegtables.DEFAULT,
    )

    # Re-encoding an animation would keep only its first frame: without an explicit format
    # change, strip its metadata losslessly instead. (MPO "frames" are previews, not animation.)
    animated = bool(getattr(image, "is_animated", False)) and image.format != "MPO"
    if animated and not format_change:
        before = inspect(data, options.max_pixels)
        return _cleaned_original(
            data, before, in_format, options,
            "Animated image: not re-encoded (that would keep only the first frame); "
            "metadata removed losslessly.",
        )  # fmt: skip
    if animated:
        job.warnings.append("Only the first frame of the animation was kept.")

    target = None
    if image.format in ("JPEG", "MPO") and (options.max_width or options.max_height):
        orientation = _orientation(exif)
        width, height = image.size[::-1] if orientation >= 5 else image.size
        target = _fit(width, height, options.max_width, options.max_height)
        if target is not None:
            # DCT scaling decodes at 1/2, 1/4 or 1/8 size: much faster and less memory, and
            # keeping >= 2x the target leaves LANCZOS enough pixels for a sharp result.
            want = (target[0] * 2, target[1] * 2)
            with pillow_errors():
                image.draft(image.mode, want[::-1] if orientation >= 5 else want)
    decode(image)
    job.exif = _kept_exif(image, data, options.keep, job)  # after decoding: PNG may put eXIf last
    # Read after decoding: Pillow turns TIFFs upright itself while loading (and drops the tag).
    orientation = _orientation(_read_exif(image))
    # Only decoding failures mean a damaged file; anything below failing is a bug, not the user's.
    if orientation != 1:
        image = image.transpose(_TRANSPOSE[orientation])
    # TIFFs are turned while loading, so their tag counts as read before decoding.
    orientation_applied = orientation != 1 or _orientation(exif) != 1
    image = _normalise(image, job)
    if target is None:
        target = _fit(image.width, image.height, options.max_width, options.max_height)
    if target is not None and image.size != target:
        image = _resize(image, target)
    encode = _encoder(image, job)
    if options.quality_target is not None:
        _choose_quality(image, job)
    output, quality, target_met, note = _encode_for_target(encode, job)
    score = job.score if quality == job.quality else None
    if score is None and quality is not None and (options.target_size or options.score):
        score = assess.score(image, output)
    note = " ".join(n for n in (job.note, note) if n)
    before = inspect(data, options.max_pixels)

    # Never bigger than the input (or than the losslessly cleaned input, which is better in every
    # way when it is smaller), unless the user asked for another format or smaller dimensions.
    if not format_change and target is None:
        try:
            cleaned = clean(data, keep=replace(options.keep, orientation=True),
                            max_pixels=options.max_pixels)
        except LocalpixError:
            cleaned = None  # the metadata parser gave up; the re-encode is still good
        if cleaned is not None and len(cleaned) <= len(output):
            return _cleaned_original(
                data, before, in_format, options,
                "Re-encoding did not make it smaller; kept the original pixels and removed "
                "the metadata losslessly.", cleaned=cleaned,
            )  # fmt: skip
    if not format_change and len(output) > len(data):
        job.warnings.append(
            "The result is larger than the original"
            + (" (you asked for smaller dimensions)." if target is not None else ".")
        )
    elif format_change and len(output) > len(data):
        job.warnings.append(
            f"The {out_format.upper()} is larger than the original {in_format.upper()} "
            f"({_kb(len(output))} vs {_kb(len(data))}); keeping the original format, "
            "cleaned, gives a smaller file."
        )

    return Result(
        data=output,
        format=out_format,
        input_size=len(data),
        output_size=len(output),
        before=before,
        after=inspect(output, options.max_pixels),
        note=note,
        reencoded=True,
        quality=quality,
        target_met=target_met,
        warnings=tuple(job.warnings),
        score=score,
        orientation_applied=orientation_applied,
    )


def _cleaned_original(
    data: bytes,
    before: Report,
    in_format: str,
    options: CompressOptions,
    note: str,
    cleaned: bytes | None = None,
) -> Result:
    """The losslessly cleaned input as a Result. Orientation is kept (whatever `keep` says) because
    these pixels were not turned upright, and dropping the tag would show them sideways."""
    if cleaned is None:
        cleaned = clean(data, keep=replace(options.keep, orientation=True),
                        max_pixels=options.max_pixels)
    target_met = None if options.target_size is None else len(cleaned) <= options.target_size
    return Result(
        data=cleaned,
        format=in_format,
        input_size=len(data),
        output_size=len(cleaned),
        before=before,
        after=inspect(cleaned, options.max_pixels),
        note=note,
        reencoded=False,
        quality=None,
        target_met=target_met,
    )


def _read_exif(image: Image.Image) -> Image.Exif | None:
    """Pillow's view of the EXIF (for the orientation), or None when it is unreadable: malformed
    EXIF must not stop compression, the pixels are fine."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return image.getexif()
    except Exception:  # Pillow's EXIF parser raises almost anything on bad data
        return None


def _orientation(exif: Image.Exif | None) -> int:
    """The EXIF orientation 1-8 (1 = upright) or 1 when missing or invalid."""
    value = exif.get(_ORIENTATION) if exif is not None else None
    return value if value in _TRANSPOSE else 1


def _kept_exif(image: Image.Image, data: bytes, keep: Keep, job: _Job) -> bytes:
    """A new minimal EXIF block with only what `keep` allows, chosen by the same tag policy as
    `clean` (exif.rebuild). Never the orientation: compress turns the pixels upright instead."""
    if not (keep.copyright or keep.date_taken):
        return b""
    raw = image.info.get("exif")
    if isinstance(raw, bytes):
        raw = raw.removeprefix(b"Exif\x00\x00")
    elif image.format == "TIFF":
        raw = data  # a TIFF file is itself the TIFF structure EXIF borrows
    else:
        return b""
    try:
        parsed = exif_block.parse(raw, thumbnail=image.format != "TIFF")
        block = exif_block.rebuild(parsed, replace(keep, orientation=False))
    except Exception:  # a metadata reader bug must not cost the user their compressed image
        job.warnings.append("Could not read the EXIF data, so nothing of it was kept.")
        return b""
    return b"Exif\x00\x00" + block if block else b""


def _fit(
    width: int, height: int, max_width: int | None, max_height: int | None
) -> tuple[int, int] | None:
    """The downscaled size that fits the box keeping the aspect ratio; None if it already fits."""
    scale = min(
        max_width / width if max_width else 1.0,
        max_height / height if max_height else 1.0,
    )
    if scale >= 1.0:
        return None  # never upscale
    return max(1, round(width * scale)), max(1, round(height * scale))


def _resize(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """High-quality downscale. reducing_gap box-reduces by an integer factor first (fast), keeping
    3x the target for the LANCZOS pass so the result is indistinguishable from pure LANCZOS."""
    if image.mode in ("P", "1"):  # resampling palette indices is meaningless
        image = image.convert("RGB")
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info


def _to_8bit(image: Image.Image) -> Image.Image:
    """16-bit and float greyscale -> "L", scaled rather than clipped (Pillow clips)."""
    if image.mode in _SIXTEEN_BIT:
        image = image.convert("I")
        if image.getextrema()[1] > 255:  # type: ignore[index]
            image = image.point(lambda v: v * (1 / 257))  # type: ignore[arg-type,operator]
    elif image.mode == "F" and image.getextrema()[1] <= 1.0:  # type: ignore[index,operator]
        image = image.point(lambda v: v * 255)  # type: ignore[arg-type,operator]
    return image.convert("L")


def _normalise(image: Image.Image, job: _Job) -> Image.Image:
    """Convert to a mode the output format stores well, dealing with alpha, CMYK and 16 bits."""
    opts = job.options
    if image.mode == "CMYK":
        image = _cmyk_to_rgb(image, job)
    elif image.mode in ("YCbCr", "LAB", "HSV", "RGBX"):
        try:
            image = image.convert("RGB")
        except ValueError as exc:  # Pillow cannot convert some of these (LAB) without littlecms
            raise UnsupportedFormatError(
                f"Images in the {image.mode} colour space are not supported; "
                "save it as RGB first."
            ) from exc

    if _has_alpha(image):
        image = image.convert("LA" if image.mode in ("LA", "La") else "RGBA")
        if image.getchannel("A").getextrema() == (255, 255):
            image = image.convert("L" if image.mode == "LA" else "RGB")  # alpha says nothing

    fmt = job.out_format
    if fmt == "png":
        # 16-bit greyscale stays 16-bit when lossless; a palette needs 8 bits, PNG has no floats.
        if image.mode == "F" or (opts.png_colors is not None and image.mode in _SIXTEEN_BIT):
            image = _to_8bit(image)
        elif image.mode in _SIXTEEN_BIT and image.mode != "I;16":
            # the one 16-bit mode every Pillow writes to PNG (new ones refuse "I")
            image = image.convert("I").convert("I;16")  # clips to 0-65535
        return image  # 1, L, LA, P, RGB, RGBA, I, I;16 are all PNG modes
    if image.mode in (*_SIXTEEN_BIT, "F"):
        image = _to_8bit(image)
    if fmt == "jpeg":
        if image.mode in ("RGBA", "LA"):
            image = _flatten(image, opts.background)
        elif image.mode == "P":
            image = image.convert("RGB")
        elif image.mode == "1":
            image = image.convert("L")
        return image  # L or RGB
    # WebP stores RGB or RGBA only
    return image.convert("RGBA" if image.mode in ("RGBA", "LA") else "RGB")


def _flatten(image: Image.Image, background: tuple[int, int, int]) -> Image.Image:
    """Composite onto the background colour: JPEG has no alpha, and dropping the channel would
    show whatever colour hides under transparent pixels (often black)."""
    grey = image.mode == "LA" and background[0] == background[1] == background[2]
    rgba = image.convert("RGBA")
    base = Image.new("RGB", rgba.size, tuple(background))
    base.paste(rgba, mask=rgba.getchannel("A"))
    return base.convert("L") if grey else base


def _cmyk_to_rgb(image: Image.Image, job: _Job) -> Image.Image:
    """CMYK -> RGB, through the embedded CMYK profile when littlecms is available."""
    icc = image.info.get("icc_profile")
    if icc and _icc_space(icc) == b"CMYK":
        try:
            from PIL import ImageCms

            converted = ImageCms.profileToProfile(
                image, ImageCms.ImageCmsProfile(io.BytesIO(icc)),
                ImageCms.createProfile("sRGB"), outputMode="RGB",
            )  # fmt: skip
            if converted is not None:
                job.icc = None  # now plain sRGB: the CMYK profile no longer applies
                return converted
        except Exception:  # no littlecms (Pyodide) or an unusable profile
            pass
        job.warnings.append("Converted CMYK to RGB without its colour profile; colours may shift.")
    job.icc = None if job.icc and _icc_space(job.icc) == b"CMYK" else job.icc
    return image.convert("RGB")


def _icc_space(icc: bytes) -> bytes:
    """The ICC header's data colour space: b"RGB ", b"GRAY", b"CMYK", ..."""
    return icc[16:20]


def _icc_for(image: Image.Image, job: _Job) -> bytes | None:
    """The kept profile if it fits the pixels (a grey profile on RGB data is invalid)."""
    if not job.icc:
        return None
    want = b"GRAY" if image.mode in _GREY_MODES else b"RGB "
    if _icc_space(job.icc) != want:
        job.warnings.append("The colour profile does not fit the converted image; removed it.")
        job.icc = None
        return None
    return job.icc


# An encoder maps a setting (JPEG/WebP quality, or PNG palette size; None = the default) to bytes.
Encoder = Callable[[int | None], bytes]


def _encoder(image: Image.Image, job: _Job) -> Encoder:
    opts = job.options
    fmt = job.out_format
    image.info = {}  # Pillow carries some info entries (icc, exif, comments) into saves by default
    palette = _exact_palette(image) if fmt == "png" else None
    if palette is not None:
        image = palette
    icc = _icc_for(image, job)
    extra: dict[str, object] = {}
    if icc:
        extra["icc_profile"] = icc
    if job.exif:
        extra["exif"] = job.exif

    def save(im: Image.Image, **params: object) -> bytes:
        buf = io.BytesIO()
        im.save(buf, _PILLOW_NAME[fmt], **params, **extra)
        return buf.getvalue()

    if fmt == "jpeg":

        def jpeg(quality: int | None) -> bytes:
            return save(image, **_jpeg_params(image, quality or job.quality, job.jpeg_tables,
                                              opts))

        return jpeg
    if fmt == "webp":

        def webp(quality: int | None) -> bytes:
            if opts.webp_lossless:
                return save(image, lossless=True, quality=WEBP_LOSSLESS_EFFORT,
                            method=WEBP_METHOD)
            return save(image, quality=quality or job.quality, method=WEBP_METHOD)

        return webp

    quantizer: list[object] = []  # made on first use, kept for the target-size search

    def png(colors: int | None) -> bytes:
        colors = colors or opts.png_colors
        im = image
        if colors is not None and not (im.mode == "P" and _palette_size(im) <= colors):
            im = _quantize(image, colors, opts.png_dither, quantizer)
            if _icc_for(im, job) is None:
                extra.pop("icc_profile", None)
        if not autoquality.available():
            return save(im, optimize=True)
        from .pngwrite import optimise  # numpy: choose the PNG filters ourselves

        # Palette data re-deflated at level 9 by optimise always beat Pillow's own level 9
        # (measured), so Pillow's pass only needs to be quick there.
        return optimise(save(im, compress_level=1) if im.mode == "P" else save(im, optimize=True),
                        im)

    return png


def _jpeg_params(image: Image.Image, quality: int, tables: str, opts: CompressOptions
                 ) -> dict[str, object]:
    """Pillow's JPEG save parameters. Tables are scaled and clamped here (localpix.jpegtables)
    and passed without `quality=`, which would make Pillow rescale them unclamped."""
    return {
        "qtables": jpegtables.scaled(tables, quality, grey=image.mode == "L"),
        "optimize": opts.jpeg_optimize,
        "progressive": opts.jpeg_progressive,
        "subsampling": opts.jpeg_subsampling or "4:2:0",
    }


def _choose_quality(image: Image.Image, job: _Job) -> None:
    """options.quality_target: pick job.quality (and the JPEG table set) per image."""
    opts = job.options
    target = opts.quality_target
    lossy = job.out_format == "jpeg" or (job.out_format == "webp" and not opts.webp_lossless)
    if target is None or not lossy:
        return
    if not autoquality.available():
        job.warnings.append(f"Automatic quality is not available here (numpy is missing); "
                            f"used quality {opts.quality}.")
        return

    def jpeg_with(tables: str):
        def encode(im: Image.Image, q: int) -> bytes:
            buf = io.BytesIO()
            im.save(buf, "JPEG", **_jpeg_params(im, q, tables, opts))
            return buf.getvalue()

        return encode

    def webp(im: Image.Image, q: int) -> bytes:
        buf = io.BytesIO()
        im.save(buf, "WEBP", quality=q, method=WEBP_METHOD)
        return buf.getvalue()

    if job.out_format == "jpeg":
        sets = [opts.jpeg_tables] if opts.jpeg_tables else list(AUTO_JPEG_TABLES)
        encoders = {name: jpeg_with(name) for name in sets}
    else:
        encoders = {"webp": webp}
    sample = image if image.mode in ("RGB", "L") else image.convert("RGB")
    name, quality, score = autoquality.choose(sample, target, encoders)
    job.quality = quality
    job.score = round(score, 1)
    if job.out_format == "jpeg":
        job.jpeg_tables = name
    job.note = (f"Automatic quality {quality} (SSIMULACRA2 {score:.1f} on a sample of the image, "
                f"target {target:g}).")


# Candidates for the automatic mode: the steep set wins on full-resolution camera photos, the
# plain one on downscaled/sharp ones (Klein's tables, tried before, were rarely better than either).
AUTO_JPEG_TABLES = ("psnr-hvs", "psnr-hvs-steep")


def _palette_size(image: Image.Image) -> int:
    colors = image.getcolors(256)
    return len(colors) if colors else 257


def _exact_palette(image: Image.Image) -> Image.Image | None:
    """The same pixels as a palette image when there are <= 256 colours (much smaller PNGs), or
    None. Checked pixel for pixel: lossless output must decode to identical pixels."""
    if image.mode not in ("RGB", "RGBA"):
        return None
    colors = image.getcolors(256)
    if not colors:
        return None
    rgb = image.convert("RGB")
    # Median cut hands back the exact colours when there are no more than asked for.
    palette = rgb.quantize(len(colors), method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    if image.mode == "RGBA":
        # Pillow's only RGBA quantizer (fast octree) is lossy, so quantize RGB and give each
        # palette entry its alpha; this works when no RGB colour appears with two alphas.
        indices = Image.frombytes("L", palette.size, palette.tobytes())
        pairs = Image.merge("LA", (indices, image.getchannel("A"))).getcolors(65536) or []
        alphas = dict((index, alpha) for _, (index, alpha) in pairs)
        if len(alphas) != len(pairs):
            return None
        rgb_palette = palette.getpalette() or []
        entries = len(rgb_palette) // 3
        rgba = bytearray()
        for i in range(entries):
            rgba += bytes(rgb_palette[3 * i : 3 * i + 3]) + bytes([alphas.get(i, 255)])
        palette.putpalette(rgba, rawmode="RGBA")
    back = palette.convert(image.mode)
    if any(hi for _, hi in ImageChops.difference(back, image).getextrema()):  # type: ignore[misc]
        return None
    return palette


def _quantize(image: Image.Image, colors: int, dither: bool, cache: list[object]
              ) -> Image.Image:
    """Lossy palette: localpix.quantize's k-means palette when numpy is there (its histogram is
    kept in `cache` for the next call). Otherwise quantizers present in every Pillow (Pyodide's
    has no libimagequant): fast octree for alpha, median cut plus Pillow's dithered remap (it
    dithers only when remapping to a given palette, and only RGB images)."""
    alpha = image.mode in ("RGBA", "LA", "PA")
    if autoquality.available():
        from .quantize import Quantizer

        if not cache:
            cache.append(Quantizer(image.convert("RGBA" if alpha else "RGB")))
        quantizer = cache[0]
        assert isinstance(quantizer, Quantizer)
        return quantizer.quantize(colors, dither)
    if alpha:
        return image.convert("RGBA").quantize(colors, method=Image.Quantize.FASTOCTREE)
    rgb = image.convert("RGB")
    palette = rgb.quantize(colors, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    if not dither:
        return palette
    return rgb.quantize(palette=palette, dither=Image.Dither.FLOYDSTEINBERG)


def _encode_for_target(encode: Encoder, job: _Job) -> tuple[bytes, int | None, bool | None, str]:
    """Encode once, or search the setting that best fits options.target_size.

    Returns (output, quality used or None, target met or None, note)."""
    opts = job.options
    fmt = job.out_format
    lossy = fmt == "jpeg" or (fmt == "webp" and not opts.webp_lossless)
    first = encode(None)
    quality = job.quality if lossy else None
    target = opts.target_size
    if target is None:
        return first, quality, None, ""
    if len(first) <= target:
        return first, quality, True, ""
    if lossy:
        low, high = MIN_QUALITY, job.quality - 1
    elif fmt == "png":
        low, high = 2, (opts.png_colors or 257) - 1
    else:
        return first, None, False, (
            f"Lossless WebP is {_kb(len(first))}, over the {_kb(target)} target; "
            "turn off lossless to go smaller."
        )
    best: tuple[bytes, int] | None = None
    smallest = (first, quality or 0)
    # Binary search for the highest setting that fits: sizes grow (almost) monotonically with
    # quality/colours, and log2(100) ~ 7 encodes bounds the time on big photos.
    while low <= high:
        mid = (low + high) // 2
        out = encode(mid)
        if len(out) <= target:
            best = (out, mid)
            low = mid + 1
        else:
            high = mid - 1
            if len(out) < len(smallest[0]):
                smallest = (out, mid)
    if best is not None:
        out, setting = best
        if lossy:
            return out, setting, True, f"Quality {setting} fits the {_kb(target)} target."
        return out, None, True, f"Reduced to {setting} colours to fit the {_kb(target)} target."
    out, setting = smallest
    lowest = "quality" if lossy else "number of colours"
    return out, (setting if lossy else None), False, (
        f"Even the lowest {lowest} gives {_kb(len(out))}, over the {_kb(target)} target; "
        "this is the smallest version. Try a smaller maximum width/height."
    )


def _kb(size: int) -> str:
    return f"{size / 1000:.0f} KB" if size >= 10_000 else f"{size / 1000:.1f} KB"

"""compress: decode, orient upright, optionally downscale, and re-encode an image, writing back only
the metadata the user chose to keep. Unless the user asked for another format (or smaller
dimensions), the result is never bigger than the input: then the losslessly cleaned original wins.

Works on Pillow 10.2 (Pyodide) and the latest Pillow: only APIs present in both are used.
"""

from __future__ import annotations

from dataclasses import replace

from PIL import Image

from ..codecs import encoder_for, jpeg
from ..errors import LocalpixError
from ..job import Job
from ..metadata import exif as exif_block
from ..metadata.text import size_text
from ..options import DEFAULT_QUALITY_TARGET, CompressOptions, Keep
from ..pixels import prepare
from ..pixels.decode import decode, open_header, pillow_errors
from ..quality import assess, auto
from ..quality.target_size import encode_for_target
from ..registry import SMALLEST, SMALLEST_OF, detect, record
from ..report import Report, Result
from .clean import clean
from .inspect import inspect


def compress(data: bytes, options: CompressOptions = CompressOptions()) -> Result:  # noqa: B008
    """Re-encode `data` per `options`; see the module docstring for the guarantees."""
    data = bytes(data)  # Pyodide may hand over a memoryview
    if options.format == SMALLEST:
        return _smallest(data, options)
    source = detect(data)
    in_format = source.name
    before = inspect(data, options.max_pixels)  # the container's own checks come first
    image = open_header(data, options.max_pixels)
    out_format = options.format or source.compress_to
    format_change = out_format != in_format and (
        options.format is not None or source.always_convert)

    exif = prepare.read_exif(image)
    job = Job(
        options=options,
        out_format=out_format,
        icc=image.info.get("icc_profile") if options.keep.color_profile else None,
        quality=options.quality,
        jpeg_tables=options.jpeg_tables or Job.jpeg_tables,
    )

    # Re-encoding an animation would keep only its first frame: without an explicit format
    # change, strip its metadata losslessly instead. (MPO "frames" are previews, not animation.)
    animated = bool(getattr(image, "is_animated", False)) and image.format not in ("MPO", "HEIF")
    if image.format == "HEIF" and getattr(image, "n_frames", 1) > 1:  # images, not frames
        job.warnings.append(f"The file holds {image.n_frames} images; only the primary one "
                            "was converted.")
    if animated and not format_change:
        return _cleaned_original(
            data, before, in_format, options,
            "Animated image: not re-encoded (that would keep only the first frame); "
            "metadata removed losslessly.",
        )  # fmt: skip
    if animated:
        job.warnings.append("Only the first frame of the animation was kept.")

    target = None
    resized = None
    if image.format in ("JPEG", "MPO") and (options.max_width or options.max_height):
        orientation = prepare.orientation(exif)
        width, height = image.size[::-1] if orientation >= 5 else image.size
        target = prepare.fit(width, height, options.max_width, options.max_height)
        if target is not None:
            # DCT scaling decodes at 1/2, 1/4 or 1/8 size: much faster and less memory, and
            # keeping >= 2x the target leaves LANCZOS enough pixels for a sharp result.
            want = (target[0] * 2, target[1] * 2)
            with pillow_errors():
                image.draft(image.mode, want[::-1] if orientation >= 5 else want)
            # In the page, mozjpeg can decode and resize in one pass (turned upright below).
            resized = jpeg.decode_resized_in_page(
                data, image, target[::-1] if orientation >= 5 else target)
    if resized is None:
        decode(image)
    job.exif = _kept_exif(image, data, options.keep, job)  # after decoding: PNG may put eXIf last
    # Read after decoding: Pillow turns TIFFs upright itself while loading (and drops the tag).
    orientation = prepare.orientation(prepare.read_exif(image))
    image = prepare.upright(image if resized is None else resized, orientation)
    # TIFFs are turned while loading, so their tag counts as read before decoding.
    orientation_applied = orientation != 1 or prepare.orientation(exif) != 1
    image = prepare.normalise(image, job)
    if target is None:
        target = prepare.fit(image.width, image.height, options.max_width, options.max_height)
    if target is not None and image.size != target:
        image = prepare.resize(image, target)
    encode = encoder_for(image, job, _metadata_to_write(image, job))
    if options.quality_target is not None:
        auto.choose_for(image, job)
    output, quality, target_met, note = encode_for_target(encode, job)
    score = job.score if quality == job.quality else None
    if score is None and quality is not None and (options.target_size or options.score):
        score = assess.score(image, output)
    note = " ".join(n for n in (job.note, note, *job.codec_notes) if n)

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
            f"The {record(out_format).label} is larger than the original {source.label} "
            f"({size_text(len(output))} vs {size_text(len(data))}); keeping the original "
            "format, cleaned, gives a smaller file."
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
        codec=job.codec,
    )


def _smallest(data: bytes, options: CompressOptions) -> Result:
    """options.format "smallest": each of SMALLEST_OF at the quality target, the smallest kept;
    the note names it and the bytes of each tried. JPEG is not tried for an image with alpha
    (it would lose the transparency), AVIF not where nothing here encodes it."""
    from ..codecs import avif

    target = options.quality_target
    if target is None and options.target_size is None:
        target = DEFAULT_QUALITY_TARGET
    with pillow_errors():
        header = open_header(data, options.max_pixels)
    alpha = header.mode in ("RGBA", "LA", "PA") or "transparency" in header.info
    results: list[Result] = []
    skipped = []
    for name in SMALLEST_OF:
        if name == "jpeg" and alpha:
            skipped.append("JPEG (the image has transparency)")
        elif name == "avif" and not avif.available():
            skipped.append("AVIF (no AVIF encoder here)")
        else:
            results.append(compress(data, replace(options, format=name,  # type: ignore[arg-type]
                                                  quality_target=target)))
    best = min(results, key=lambda r: r.output_size)
    sizes = ", ".join(f"{record(r.format).label} {size_text(r.output_size)}" for r in results)
    why = (f"Smallest format: {record(best.format).label} ({sizes}"
           + (f"; not tried: {', '.join(skipped)}" if skipped else "") + ").")
    return replace(best, note=" ".join(n for n in (why, best.note) if n),
                   tried=tuple((r.format, r.output_size) for r in results))


def _metadata_to_write(image: Image.Image, job: Job) -> dict[str, object]:
    """Pillow save parameters for the metadata the output carries: the kept profile and EXIF."""
    image.info = {}  # Pillow carries some info entries (icc, exif, comments) into saves by default
    extra: dict[str, object] = {}
    icc = prepare.icc_for(image, job)
    if icc:
        extra["icc_profile"] = icc
    if job.exif:
        extra["exif"] = job.exif
    return extra


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


def _kept_exif(image: Image.Image, data: bytes, keep: Keep, job: Job) -> bytes:
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

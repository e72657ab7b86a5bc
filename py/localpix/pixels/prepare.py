"""The pixel pipeline after decoding: turn upright, fit the size box, and convert to a mode the
output format stores well (alpha, CMYK, 16 bits, odd colour spaces)."""

from __future__ import annotations

import io
import warnings

from PIL import Image

from ..errors import UnsupportedFormatError
from ..job import Job

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

GREY_MODES = ("1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "I;16N", "F")
_SIXTEEN_BIT = ("I", "I;16", "I;16B", "I;16L", "I;16N")


def read_exif(image: Image.Image) -> Image.Exif | None:
    """Pillow's view of the EXIF (for the orientation), or None when it is unreadable: malformed
    EXIF must not stop compression, the pixels are fine."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return image.getexif()
    except Exception:  # Pillow's EXIF parser raises almost anything on bad data
        return None


def orientation(exif: Image.Exif | None) -> int:
    """The EXIF orientation 1-8 (1 = upright) or 1 when missing or invalid."""
    value = exif.get(_ORIENTATION) if exif is not None else None
    return value if value in _TRANSPOSE else 1


def upright(image: Image.Image, orientation: int) -> Image.Image:
    return image if orientation == 1 else image.transpose(_TRANSPOSE[orientation])


def fit(
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


def resize(image: Image.Image, size: tuple[int, int]) -> Image.Image:
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


def normalise(image: Image.Image, job: Job) -> Image.Image:
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
    # WebP stores RGB or RGBA only (convert to the same mode would copy every pixel for nothing)
    mode = "RGBA" if image.mode in ("RGBA", "LA") else "RGB"
    return image if image.mode == mode else image.convert(mode)


def _flatten(image: Image.Image, background: tuple[int, int, int]) -> Image.Image:
    """Composite onto the background colour: JPEG has no alpha, and dropping the channel would
    show whatever colour hides under transparent pixels (often black)."""
    grey = image.mode == "LA" and background[0] == background[1] == background[2]
    rgba = image.convert("RGBA")
    base = Image.new("RGB", rgba.size, tuple(background))
    base.paste(rgba, mask=rgba.getchannel("A"))
    return base.convert("L") if grey else base


def _cmyk_to_rgb(image: Image.Image, job: Job) -> Image.Image:
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


def icc_for(image: Image.Image, job: Job) -> bytes | None:
    """The kept profile if it fits the pixels (a grey profile on RGB data is invalid)."""
    if not job.icc:
        return None
    want = b"GRAY" if image.mode in GREY_MODES else b"RGB "
    if _icc_space(job.icc) != want:
        job.warnings.append("The colour profile does not fit the converted image; removed it.")
        job.icc = None
        return None
    return job.icc

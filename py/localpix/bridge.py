"""The one entry point the browser's Web Worker calls through Pyodide.

    process(data, request_json) -> (output_bytes, response_json)

request:  {"mode": "compress" | "clean" | "inspect", "options": {...}, "name": "photo.jpg",
           "thumbnail"?: px}
          options are CompressOptions fields; "keep" is {"orientation": true, ...} or a list of
          names; "background" is [r, g, b] or "#rrggbb". thumbnail: also return a preview of the
          result at most that many px on a side, as a data: URL.
response: {"ok": true, "format", "mime", "extension", "name", "input_size", "output_size",
           "reencoded", "quality", "target_met", "score", "orientation_applied", "low_quality",
           "note", "warnings", "before", "after", "removed", "thumbnail"?}
          score: SSIMULACRA2 of a lossy result (localpix.assess); low_quality: a target size
          forced it below assess.LOW_SCORE.
          or {"ok": false, "error": "<message for the user>", "kind": "<error class name>",
          "pixels"?, "memory"?: what a too-large image declares, and the bytes opening it takes}
          with empty bytes. It never raises: JSON strings and bytes are all that cross into JS.
"""

from __future__ import annotations

import json
import traceback
from dataclasses import asdict, fields
from typing import Any

from .assess import LOW_SCORE
from .clean import clean
from .compress import compress
from .errors import ImageTooLargeError, InvalidOptionsError, LocalpixError
from .imaging import BYTES_PER_PIXEL_WORKING
from .inspect import inspect
from .options import CompressOptions, Keep
from .report import Finding, Report
from .thumbnail import thumbnail

# format -> (MIME type, file extension without the dot)
FORMATS: dict[str, tuple[str, str]] = {
    "jpeg": ("image/jpeg", "jpg"),
    "png": ("image/png", "png"),
    "webp": ("image/webp", "webp"),
    "gif": ("image/gif", "gif"),
    "tiff": ("image/tiff", "tif"),
    "bmp": ("image/bmp", "bmp"),
}

_BOOL_FIELDS = ("png_dither", "webp_lossless", "jpeg_progressive", "jpeg_optimize", "score")
_INT_FIELDS = ("quality", "max_pixels")
_OPTIONAL_INT_FIELDS = ("target_size", "max_width", "max_height", "png_colors")
_OPTIONAL_STR_FIELDS = ("format", "jpeg_subsampling", "jpeg_tables")
_OPTIONAL_NUMBER_FIELDS = ("quality_target",)

BUG_MESSAGE = (
    "Something went wrong inside localpix: this is a bug, not a problem with your image. "
    "Please report it (with the image if you can share it)."
)


def process(data: bytes, request_json: str) -> tuple[bytes, str]:
    """Run one request; see the module docstring. Never raises."""
    try:
        return _process(bytes(data), request_json)
    except ImageTooLargeError as exc:
        # What opening it anyway would take, so the page can offer that only where it can work.
        extra = {"pixels": exc.pixels, "memory": exc.pixels * BYTES_PER_PIXEL_WORKING} \
            if exc.pixels else {}
        return b"", _failure(str(exc), type(exc).__name__, **extra)
    except LocalpixError as exc:
        return b"", _failure(str(exc), type(exc).__name__)
    except MemoryError:
        # A browser tab's heap is small; say so rather than calling it a bug.
        return b"", _failure(
            "The image needs more memory than this browser tab has. Try a smaller image or "
            "the command-line tool.",
            ImageTooLargeError.__name__,
        )
    except Exception as exc:
        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        return b"", _failure(BUG_MESSAGE, "InternalError", detail=detail)


def _failure(message: str, kind: str, **extra: object) -> str:
    return json.dumps({"ok": False, "error": message, "kind": kind, **extra})


def _process(data: bytes, request_json: str) -> tuple[bytes, str]:
    request = _parse_request(request_json)
    mode = request.get("mode", "compress")
    options = parse_options({} if request.get("options") is None else request["options"])
    name = _base_name(request.get("name"))
    thumb = request.get("thumbnail")
    if thumb is not None and (isinstance(thumb, bool) or not isinstance(thumb, int)):
        raise InvalidOptionsError("thumbnail must be a size in pixels.")

    if mode == "inspect":
        report = inspect(data, options.max_pixels)
        return b"", _success(report.format, name, report.format, len(data), b"", report, None)
    if mode == "clean":
        before = inspect(data, options.max_pixels)
        output = clean(data, keep=options.keep, max_pixels=options.max_pixels)
        after = inspect(output, options.max_pixels)
        return output, _success(after.format, name, before.format, len(data), output, before,
                                after, reencoded=False, **_thumbnail(output, thumb))
    if mode == "compress":
        result = compress(data, options)
        return result.data, _success(
            result.format, name, result.before.format, len(data), result.data, result.before,
            result.after, reencoded=result.reencoded, quality=result.quality,
            target_met=result.target_met, note=result.note, warnings=list(result.warnings),
            score=result.score, orientation_applied=result.orientation_applied,
            low_quality=options.target_size is not None and result.score is not None
            and result.score < LOW_SCORE,
            **_thumbnail(result.data, thumb),
        )  # fmt: skip
    raise InvalidOptionsError(f"Unknown mode {mode!r}; choose compress, clean or inspect.")


def _success(
    out_format: str,
    name: str,
    in_format: str,
    input_size: int,
    output: bytes,
    before: Report,
    after: Report | None,
    **fields_: Any,
) -> str:
    mime, extension = FORMATS.get(out_format, ("application/octet-stream", out_format))
    if out_format != in_format or not name:
        name = f"{name.rsplit('.', 1)[0] if '.' in name else name or 'image'}.{extension}"
    return json.dumps({
        "ok": True,
        "format": out_format,
        "mime": mime,
        "extension": extension,
        "name": name,
        "input_size": input_size,
        "output_size": len(output),
        "reencoded": False,
        "quality": None,
        "target_met": None,
        "score": None,
        "orientation_applied": False,
        "low_quality": False,
        "note": "",
        "warnings": [],
        **fields_,
        "before": before.to_dict(),
        "after": after.to_dict() if after is not None else None,
        "removed": [asdict(f) for f in _removed(before, after)],
    })  # fmt: skip


def _thumbnail(output: bytes, side: int | None) -> dict[str, str]:
    """{"thumbnail": data URL} when asked for; a preview that fails costs only the preview."""
    if not side:
        return {}
    try:
        return {"thumbnail": thumbnail(output, side)}
    except LocalpixError:
        return {}


def _removed(before: Report, after: Report | None) -> tuple[Finding, ...]:
    """Findings of the input that are gone from the output (as Result.removed)."""
    if after is None:
        return ()
    kept = {(f.category, f.label) for f in after.findings}
    return tuple(f for f in before.findings if (f.category, f.label) not in kept)


def _base_name(name: object) -> str:
    """The file name without any folder part (browsers may pass a path)."""
    if not isinstance(name, str):
        return ""
    return name.replace("\\", "/").rsplit("/", 1)[-1].strip()


def _parse_request(request_json: str) -> dict[str, Any]:
    if not isinstance(request_json, str):
        raise InvalidOptionsError("The request must be a JSON string.")
    try:
        request = json.loads(request_json) if request_json.strip() else {}
    except ValueError as exc:
        raise InvalidOptionsError(f"The request is not valid JSON ({exc}).") from exc
    if not isinstance(request, dict):
        raise InvalidOptionsError("The request must be a JSON object.")
    return request


def parse_options(raw: object) -> CompressOptions:
    """CompressOptions from their JSON form, rejecting unknown names and wrong types."""
    if not isinstance(raw, dict):
        raise InvalidOptionsError("Options must be a JSON object.")
    known = {f.name for f in fields(CompressOptions)}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise InvalidOptionsError(f"Unknown option {', '.join(unknown)}.")
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key in _BOOL_FIELDS:
            if not isinstance(value, bool):
                raise InvalidOptionsError(f"Option {key} must be true or false.")
        elif key in _INT_FIELDS or key in _OPTIONAL_INT_FIELDS:
            if value is None and key in _OPTIONAL_INT_FIELDS:
                pass
            elif isinstance(value, float) and value.is_integer():
                value = int(value)  # JavaScript has only one number type
            elif isinstance(value, bool) or not isinstance(value, int):
                raise InvalidOptionsError(f"Option {key} must be a whole number.")
        elif key in _OPTIONAL_NUMBER_FIELDS:
            if value is not None and (isinstance(value, bool)
                                      or not isinstance(value, int | float)):
                raise InvalidOptionsError(f"Option {key} must be a number.")
        elif key in _OPTIONAL_STR_FIELDS:
            if value is not None and not isinstance(value, str):
                raise InvalidOptionsError(f"Option {key} must be a string.")
        elif key == "background":
            value = _parse_colour(value)
        elif key == "keep":
            value = parse_keep(value)
        values[key] = value
    return CompressOptions(**values)


def parse_keep(value: object) -> Keep:
    """Keep from {"orientation": true, ...} (unnamed fields take their defaults) or a list/string
    of names (exactly those kept)."""
    if isinstance(value, Keep):
        return value
    if isinstance(value, dict):
        unknown = sorted(set(value) - set(Keep.NAMES))
        if unknown or not all(isinstance(v, bool) for v in value.values()):
            raise InvalidOptionsError(
                f"Keep takes true/false for {', '.join(Keep.NAMES)}"
                + (f"; unknown: {', '.join(unknown)}." if unknown else ".")
            )
        return Keep(**value)
    if isinstance(value, str) or (
        isinstance(value, list) and all(isinstance(v, str) for v in value)
    ):
        return Keep.from_names(value)
    raise InvalidOptionsError("Keep must be an object of true/false values or a list of names.")


def _parse_colour(value: object) -> tuple[int, int, int]:
    if isinstance(value, str) and len(value) == 7 and value.startswith("#"):
        try:
            return (int(value[1:3], 16), int(value[3:5], 16), int(value[5:7], 16))
        except ValueError:
            pass
    elif (
        isinstance(value, list | tuple)
        and len(value) == 3
        and all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 255 for v in value)
    ):
        return (value[0], value[1], value[2])
    raise InvalidOptionsError('Background must be "#rrggbb" or [r, g, b] with values 0-255.')

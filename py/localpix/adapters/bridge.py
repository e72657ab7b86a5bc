"""The one entry point the browser's Web Worker calls through Pyodide.

    process(data, request_json) -> (output_bytes, response_json)

request:  {"mode": "compress" | "clean" | "inspect", "options": {...}, "name": "photo.jpg",
           "thumbnail"?: px}
          options are CompressOptions fields; "keep" is {"orientation": true, ...} or a list of
          names; "background" is [r, g, b] or "#rrggbb". thumbnail: also return a preview of the
          result at most that many px on a side, as a data: URL. Optional "decoded":
          {"format": "AVIF", "width", "height", "file_size"}: `data` is the file's first
          file_size bytes followed by the RGBA pixels the page decoded for it (web/decoders.js).
          Optional "codecs": {"mozjpeg-wasm": "ready" | "<why not>"}: the wasm codecs the
          worker initialised for this job (web/worker.js; codecs.providers).
response: {"ok": true, "format", "mime", "extension", "name", "input_size", "output_size",
           "reencoded", "quality", "target_met", "score", "orientation_applied", "low_quality",
           "codec", "tried", "note", "warnings", "before", "after", "removed", "thumbnail"?}
          codec: what encoded the output ("" = the input's own data, cleaned); tried: with
          format "smallest", {format: bytes} of each format tried.
          score: SSIMULACRA2 of a lossy result (quality.assess); low_quality: a target size
          forced it below assess.LOW_SCORE.
          or {"ok": false, "error": "<message for the user>", "kind": "<error class name>",
          "pixels"?, "memory"?: what a too-large image declares, and the bytes opening it takes,
          "decode"?, "label"?: the format (as in "decoded"; and its name for people) whose
          pixels nothing here decodes: the page decodes them and sends the request again with
          "decoded"; "out_of_memory"?: true when the heap ran out (the worker then replaces
          its engine)}
          with empty bytes. It never raises: JSON strings and bytes are all that cross into JS.
"""

from __future__ import annotations

import json
import traceback
from dataclasses import asdict
from typing import Any

from ..codecs import providers
from ..errors import DecoderMissingError, ImageTooLargeError, InvalidOptionsError, LocalpixError
from ..options import BYTES_PER_PIXEL_WORKING, CompressOptions, parse_options
from ..pipeline.run import output_name, run
from ..pixels.modern import split_page_pixels
from ..pixels.thumbnail import thumbnail
from ..quality.assess import LOW_SCORE
from ..registry import SMALLEST, SMALLEST_OF, detect, record
from ..report import Result

BUG_MESSAGE = (
    "Something went wrong inside localpix: this is a bug, not a problem with your image. "
    "Please report it (with the image if you can share it)."
)


def process(data: bytes, request_json: str) -> tuple[bytes, str]:
    """Run one request; see the module docstring. Never raises."""
    try:
        return _process(bytes(data), request_json)
    except ImageTooLargeError as exc:
        if isinstance(exc.__cause__, MemoryError):  # pixels.decode's words for a MemoryError
            return b"", _out_of_memory()
        # What opening it anyway would take, so the page can offer that only where it can work.
        extra = {"pixels": exc.pixels, "memory": exc.pixels * BYTES_PER_PIXEL_WORKING} \
            if exc.pixels else {}
        return b"", _failure(str(exc), type(exc).__name__, **extra)
    except DecoderMissingError as exc:
        # The page may have a decoder of its own: it then sends the pixels ("decoded").
        return b"", _failure(str(exc), type(exc).__name__, decode=exc.pillow_format,
                            label=exc.label)
    except LocalpixError as exc:
        return b"", _failure(str(exc), type(exc).__name__)
    except MemoryError:
        return b"", _out_of_memory()
    except Exception as exc:
        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        return b"", _failure(BUG_MESSAGE, "InternalError", detail=detail)


def codecs_for(data: bytes, request_json: str) -> list[str]:
    """The browser providers (codecs.providers) the job may use, best first, for the worker to
    initialise before calling `process`. Never raises: a request it cannot read needs none
    (process then reports the problem)."""
    try:
        request = _parse_request(request_json)
        request.pop("codecs", None)
        if request.get("mode", "compress") != "compress":
            return []
        options = parse_options(request.get("options") or {})
        if options.format == SMALLEST:
            formats: tuple[str, ...] = SMALLEST_OF
        else:
            formats = (options.format or detect(bytes(data[:64])).compress_to,)
    except LocalpixError:
        return []
    wanted = [name for fmt in formats for name in record(fmt).providers]
    return [name for name in wanted if providers.PROVIDERS[name].runtime == "browser"]


def _out_of_memory() -> str:
    # A browser tab's heap is small; say so rather than calling it a bug. The heap that ran out
    # stays that large (a wasm memory never shrinks) and a MemoryError may strike where C code
    # cannot recover: the worker replaces this engine (out_of_memory) before the next file.
    return _failure(
        "The image engine ran out of memory on this file and has been restarted. Try again, "
        "or try a smaller image or the command-line tool.",
        ImageTooLargeError.__name__,
        out_of_memory=True,
    )


def _failure(message: str, kind: str, **extra: object) -> str:
    return json.dumps({"ok": False, "error": message, "kind": kind, **extra})


def _process(data: bytes, request_json: str) -> tuple[bytes, str]:
    request = _parse_request(request_json)
    if request.get("decoded") is not None:  # pixels the page decoded follow the file's bytes
        data, pixels = split_page_pixels(data, request["decoded"])
        with pixels:
            return _run(data, request)
    return _run(data, request)


def _run(data: bytes, request: dict[str, Any]) -> tuple[bytes, str]:
    options = parse_options({} if request.get("options") is None else request["options"])
    thumb = request.get("thumbnail")
    if thumb is not None and (isinstance(thumb, bool) or not isinstance(thumb, int)):
        raise InvalidOptionsError("thumbnail must be a size in pixels.")
    status = request.get("codecs") or {}
    if not isinstance(status, dict):
        raise InvalidOptionsError("codecs must be an object of codec names.")
    with providers.browser_codecs(status):
        result = run(data, request.get("mode", "compress"), options)
    return result.data, _response(result, _base_name(request.get("name")), options, thumb)


def _response(result: Result, name: str, options: CompressOptions, thumb: int | None) -> str:
    fmt = record(result.format)
    low = options.target_size is not None and result.score is not None \
        and result.score < LOW_SCORE
    return json.dumps({
        "ok": True,
        "format": fmt.name,
        "mime": fmt.mime,
        "extension": fmt.extensions[0].lstrip("."),
        "name": output_name(name, fmt.name),
        "input_size": result.input_size,
        "output_size": result.output_size,
        "reencoded": result.reencoded,
        "quality": result.quality,
        "target_met": result.target_met,
        "score": result.score,
        "orientation_applied": result.orientation_applied,
        "low_quality": low,
        "codec": result.codec,
        "tried": dict(result.tried),
        "note": result.note,
        "warnings": list(result.warnings),
        "before": result.before.to_dict(),
        "after": result.after.to_dict() if result.after is not None else None,
        "removed": [asdict(f) for f in result.removed],
        **(_thumbnail(result.data, thumb, result.reencoded) if result.data else {}),
    })  # fmt: skip


def _thumbnail(output: bytes, side: int | None, own: bool) -> dict[str, str]:
    """{"thumbnail": data URL} when asked for; a preview that fails costs only the preview."""
    if not side:
        return {}
    try:
        return {"thumbnail": thumbnail(output, side, own)}
    except LocalpixError:
        return {}


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

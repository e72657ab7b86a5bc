"""Codec providers: which encoder library makes a format's bytes in this runtime.

Pillow is the baseline that is always there (for AVIF: Pillow >= 11.3 built with libavif). A
format's registry record lists better providers in order of preference; each belongs to one
runtime. Natively a provider is a PyPI package, used when it imports (`localpix[native]`). In the
browser it is a wasm codec the worker initialised in JavaScript before the job (web/worker.js);
the request says which ones it has ({"mozjpeg-wasm": "ready" | "<why not>"}), and Python calls
their synchronous encode through Pyodide's FFI.

A provider that is missing is noted on the file's row and Pillow encodes; one that fails while
encoding is a warning on the row and Pillow encodes that file instead. Never a failed job.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal, TypeVar

from ..job import Job

Runtime = Literal["native", "browser"]
RUNTIME: Runtime = "browser" if sys.platform == "emscripten" else "native"
NATIVE_EXTRA = "pip install 'localpix[native]'"

T = TypeVar("T")


@dataclass(frozen=True)
class Provider:
    name: str  # the id in the registry, requests and reports: "mozjpeg-lossless"
    label: str  # what made the file, on its row
    runtime: Runtime
    source: str  # native: the module to import; browser: its key in the worker's localpixCodecs
    package: str  # where it comes from (PyPI / npm name)
    licence: str


PROVIDERS: dict[str, Provider] = {p.name: p for p in (
    # Rewrites Pillow's JPEG with mozjpeg's progressive scan layout and Huffman optimisation:
    # the same DCT coefficients (same pixels, same score), 3-5 % fewer bytes. It beat pyjpegli
    # (jpegli) at equal SSIMULACRA2 on every photo measured (scripts/bench_codecs.py).
    Provider("mozjpeg-lossless", "mozjpeg (lossless rewrite of Pillow's libjpeg)", "native",
             "mozjpeg_lossless_optimization", "mozjpeg-lossless-optimization",
             "BSD-3-Clause; mozjpeg IJG + BSD-3-Clause + zlib"),
    # Re-deflates the engine's PNG (its palette and filter choice) with libdeflate.
    Provider("oxipng", "oxipng (libdeflate), after localpix's palette reduction", "native",
             "oxipng", "pyoxipng", "MIT"),
    # mozjpeg itself (trellis quantisation) with localpix's tables, compiled to wasm by
    # scripts/wasm_build.py from the source mozjpeg-lossless-optimization's sdist bundles.
    Provider("mozjpeg-wasm", "mozjpeg 5 (wasm, with localpix's tables)", "browser",
             "mozjpeg-wasm", "mozjpeg-lossless-optimization (sdist, mozjpeg 5.0.0 source)",
             "mozjpeg IJG + BSD-3-Clause + zlib"),
    # oxipng itself (libdeflate), compiled to wasm by Squoosh: the page's pyoxipng.
    Provider("jsquash-oxipng", "oxipng (wasm, @jsquash/oxipng), after localpix's palette reduction",
             "browser", "jsquash-oxipng", "@jsquash/oxipng", "Apache-2.0; oxipng MIT"),
    # A current libwebp, with SIMD where the browser has it: Pyodide's Pillow has 1.2.2 without.
    Provider("jsquash-webp", "libwebp (wasm, @jsquash/webp)", "browser", "jsquash-webp",
             "@jsquash/webp", "Apache-2.0; libwebp BSD-3-Clause"),
    # AVIF for the page, whose Pillow 10.2 cannot write it.
    Provider("jsquash-avif", "libavif + aom (wasm, @jsquash/avif)", "browser", "jsquash-avif",
             "@jsquash/avif", "Apache-2.0; libavif BSD-2-Clause, aom BSD-2-Clause"),
)}  # fmt: skip


# The wasm codecs the worker initialised for the job at hand, {name: "ready" | why not}: set by
# the bridge around each request (a worker runs one job at a time).
_browser_status: dict[str, str] = {}


@contextmanager
def browser_codecs(status: dict[str, str]) -> Iterator[None]:
    _browser_status.clear()
    _browser_status.update({str(k): str(v) for k, v in status.items()})
    try:
        yield
    finally:
        _browser_status.clear()


def browser_ready(name: str) -> bool:
    """Whether the page loaded the wasm codec `name` for the job at hand."""
    return RUNTIME == "browser" and _browser_status.get(name) == "ready"


def _native_problem(provider: Provider) -> str | None:
    try:
        _native_module(provider.source)
    except Exception as exc:  # an ImportError, or a broken binary wheel
        return (f"{provider.package} is not installed or does not load ({type(exc).__name__}); "
                f"Pillow encoded this file ({NATIVE_EXTRA} for {provider.label.split(' (')[0]}).")
    return None


@cache
def _native_module(name: str) -> Any:
    return importlib.import_module(name)


def module(provider: Provider) -> Any:
    """The provider's Python module (native) or its JS codec object (browser)."""
    if provider.runtime == "native":
        return _native_module(provider.source)
    import js  # type: ignore[import-not-found]  # Pyodide's view of the worker's globals

    return js.Reflect.get(js.localpixCodecs, provider.source)


def pick(out_format: str, job: Job) -> Provider | None:
    """The first of the format's providers this runtime has for this job, or None (Pillow).
    Providers that are not there say so in job.codec_notes."""
    from ..registry import record

    for name in record(out_format).providers:
        provider = PROVIDERS[name]
        if provider.runtime != RUNTIME:
            continue
        if provider.runtime == "native":
            problem = _native_problem(provider)
        else:
            status = _browser_status.get(name)
            problem = None if status == "ready" else (
                f"{provider.label} is not loaded in this page ({status or 'not requested'}); "
                "Pillow encoded this file.")
        if problem is None:
            return provider
        if problem not in job.codec_notes:
            job.codec_notes.append(problem)
    return None


def attempt(job: Job, provider: Provider, call: Callable[[], T], fallback: Callable[[], T],
            fallback_label: str) -> T:
    """call() through the provider; if it raises, fallback() with Pillow, and the row says so.
    After one failure the provider is not tried again for this job."""
    if provider.name not in job.failed_providers:
        try:
            out = call()
            job.codec = provider.label
            return out
        except Exception as exc:
            job.failed_providers.add(provider.name)
            job.warnings.append(f"{provider.label} failed on this image ({type(exc).__name__}: "
                                f"{exc}); Pillow encoded it instead.")
    job.codec = fallback_label
    return fallback()


def installed() -> dict[str, str | None]:
    """Native providers and their versions (None: not installed), for reports and the bench."""
    from importlib.metadata import PackageNotFoundError, version

    out: dict[str, str | None] = {}
    for p in PROVIDERS.values():
        if p.runtime == "native":
            try:
                out[p.name] = version(p.package)
            except PackageNotFoundError:
                out[p.name] = None
    return out

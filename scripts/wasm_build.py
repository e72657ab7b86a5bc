"""Wasm codecs localpix compiles itself (wasm_codecs.py entries with `pypi = ...`): C sources from
a pinned PyPI sdist, compiled with Debian's emscripten by scripts/setup into the download cache,
copied into dist/codecs/NAME/ by scripts/build like the npm codecs.

mozjpeg is the one so far: Squoosh's build (@jsquash/jpeg) encodes only with mozjpeg's table
presets, and the engine needs its own tables under mozjpeg's trellis quantisation. No npm package
offers that; PyPI's mozjpeg-lossless-optimization bundles mozjpeg's source tree in its sdist.
What localpix adds to it is in scripts/wasm/NAME/: C entry points (every .c file there), the JS
interface the worker calls (--post-js) and the line registering the factory (--extern-post-js).
Each codec is built twice: plain, and with wasm SIMD for the browsers that validate it.
Standard library only, like runtime.py.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tarfile
import tempfile
from functools import cache
from pathlib import Path

from runtime import CACHE_DIR, ROOT, BuildRefused

RECIPES = ROOT / "scripts" / "wasm"
# Debian's emscripten finds its JS tools' modules (acorn) where Debian's node packages live.
NODE_PATH = "/usr/share/nodejs"

MOZJPEG_CMAKE = ["-DBUILD_SHARED_LIBS=FALSE", "-DWITH_TURBOJPEG=FALSE", "-DPNG_SUPPORTED=FALSE",
                 "-DWITH_SIMD=FALSE",  # x86/Arm assembly; wasm has none
                 "-DCMAKE_BUILD_TYPE=Release",
                 # CMake's size_t probe misreads emscripten's wasm32 (it reports 9 bytes)
                 "-DSIZE_T=4", "-DHAVE_SIZE_T=TRUE"]
MOZJPEG_EXPORTS = ["_malloc", "_free", "_encode", "_encode_free", "_encode_result",
                   "_encode_result_length", "_encode_message", "_decode_resized",
                   "_decoded_free", "_decoded_pixels", "_decoded_channels", "_decoded_message",
                   "_score_reference", "_score"]
MOZJPEG_LINK = ["-O3", "-sMODULARIZE=1", "-sEXPORT_NAME=localpixMozjpeg",
                "-sALLOW_MEMORY_GROWTH=1", "-sFILESYSTEM=0", "-sDYNAMIC_EXECUTION=0",
                "-sENVIRONMENT=web,worker,node",
                f"-sEXPORTED_FUNCTIONS={','.join(MOZJPEG_EXPORTS)}",
                "-sEXPORTED_RUNTIME_METHODS=UTF8ToString"]


@cache  # emcc is a Python program (~0.2 s a call); setup, build and build-info all ask
def compiler() -> str:
    """emcc's version line: what compiled the codecs built here."""
    if shutil.which("emcc") is None:
        raise BuildRefused("emcc is missing: scripts/setup installs Debian's emscripten")
    out = subprocess.run(["emcc", "--version"], capture_output=True, text=True, check=True,
                         env=_env())
    return out.stdout.splitlines()[0]


def _env() -> dict[str, str]:
    return {**os.environ, "NODE_PATH": NODE_PATH}


def _run(cmd: list[str], cwd: Path) -> None:
    proc = subprocess.run(cmd, cwd=cwd, env=_env(), capture_output=True, text=True)
    if proc.returncode:
        raise BuildRefused(f"{' '.join(cmd[:3])} failed in {cwd}:\n{proc.stdout[-3000:]}"
                           f"{proc.stderr[-3000:]}")


def output_dir(name: str, sdist: Path) -> Path:
    """Where the build of `name` from `sdist` is cached: keyed by the sdist, the recipe, this
    script and the compiler, so a change to any of them rebuilds."""
    digest = hashlib.sha256(sdist.read_bytes())
    for path in sorted((RECIPES / name).iterdir()):
        digest.update(path.name.encode() + path.read_bytes())
    digest.update(Path(__file__).read_bytes() + compiler().encode())
    return CACHE_DIR / "wasm-build" / f"{name}-{digest.hexdigest()[:16]}"


def sdist_file(sdist: Path, path: str) -> bytes:
    """The file at `path` inside the sdist's top directory (a licence to ship)."""
    with tarfile.open(sdist) as tar:
        top = tar.getmembers()[0].name.split("/")[0]
        f = tar.extractfile(f"{top}/{path}")
        if f is None:
            raise BuildRefused(f"{sdist.name} has no {path}")
        return f.read()


# A SIMD build lets clang vectorise libjpeg's loops (wasm has no assembly): 6 % faster encodes.
SIMD_FLAGS = ["-msimd128"]


def build(name: str, sdist: Path, script: str, simd_script: str | None = None) -> Path:
    """Compile codec `name` (its recipe in scripts/wasm/NAME/) from `sdist`; returns the
    directory holding `script` (the glue) and its .wasm, and `simd_script`'s SIMD build."""
    out = output_dir(name, sdist)
    wanted = [(script, [])] + ([(simd_script, SIMD_FLAGS)] if simd_script else [])
    if all((out / glue).is_file() for glue, _ in wanted):
        return out
    if name != "mozjpeg-wasm":
        raise BuildRefused(f"no recipe builds {name}")
    with tempfile.TemporaryDirectory(prefix=f"{name}-") as tmp:
        work = Path(tmp)
        with tarfile.open(sdist) as tar:
            tar.extractall(work, filter="data")
        (top,) = work.iterdir()
        source = top / "mozjpeg"
        if not (source / "jpeglib.h").is_file():
            raise BuildRefused(f"{sdist.name} has no mozjpeg source tree")
        recipe = RECIPES / name
        staged = work / "out"
        staged.mkdir()
        for glue, flags in wanted:
            lib = work / f"lib-{glue}"
            lib.mkdir()
            _run(["emcmake", "cmake", str(source), *MOZJPEG_CMAKE,
                  f"-DCMAKE_C_FLAGS={' '.join(flags)}"], lib)
            _run(["emmake", "make", f"-j{os.cpu_count() or 1}", "jpeg-static"], lib)
            _run(["emcc", *MOZJPEG_LINK, *flags, f"-I{source}", f"-I{lib}",
                  *map(str, sorted(recipe.glob("*.c"))), str(lib / "libjpeg.a"),
                  "--post-js", str(recipe / "post.js"),
                  "--extern-post-js", str(recipe / "register.js"), "-o", str(staged / glue)],
                 work)
        for stale in out.parent.glob(f"{name}-*"):  # builds from an older recipe or source
            shutil.rmtree(stale)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(staged, out)
    return out

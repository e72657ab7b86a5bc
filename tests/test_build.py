"""The build ships exactly the official runtime, and refuses a wheel that isn't."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RUNTIME = ROOT / "build" / "runtime"
PILLOW = "pillow-10.2.0-cp312-cp312-pyodide_2024_0_wasm32.whl"


def run_build(runtime: Path, dist: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LOCALPIX_RUNTIME_DIR": str(runtime), "LOCALPIX_DIST": str(dist)}
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "build")], env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def runtime_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (RUNTIME / "pyodide" / "pyodide-lock.json").is_file():
        pytest.fail("the runtime is not fetched: run scripts/setup")
    copy = tmp_path_factory.mktemp("runtime")
    shutil.copytree(RUNTIME, copy, dirs_exist_ok=True)
    return copy


def test_build_ships_the_official_wheels_and_a_trimmed_lock(runtime_copy: Path,
                                                             tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    result = run_build(runtime_copy, dist)
    assert result.returncode == 0, result.stderr
    official = json.loads((runtime_copy / "pyodide" / "pyodide-lock.json").read_text())
    shipped_lock = json.loads((dist / "pyodide" / "pyodide-lock.json").read_text())
    assert set(shipped_lock["packages"]) == {"pillow", "micropip", "packaging", "numpy"}
    for name, entry in shipped_lock["packages"].items():
        assert entry == official["packages"][name]
        wheel = dist / "pyodide" / entry["file_name"]
        assert hashlib.sha256(wheel.read_bytes()).hexdigest() == entry["sha256"]
    assert official["packages"]["pillow"]["file_name"] == PILLOW
    # Every file the page loads is in dist/, referenced relatively (works from any sub-path).
    info = json.loads((dist / "build-info.json").read_text())
    # The worker unpacks micropip (which installs the engine wheel) and packaging before "ready",
    # Pillow and numpy after; each checked against the official lock's sha256.
    def wheels(*names: str) -> dict[str, str]:
        return {f"pyodide/{shipped_lock['packages'][n]['file_name']}":
                shipped_lock["packages"][n]["sha256"] for n in names}

    assert info["load"] == wheels("micropip", "packaging")
    assert info["lazy"] == wheels("pillow", "numpy")
    # The trimmed standard library.
    with zipfile.ZipFile(dist / "pyodide" / "python_stdlib.zip") as stdlib:
        modules = set(stdlib.namelist())
    assert "json/__init__.py" in modules and "email/message.py" in modules
    assert "unittest/__init__.py" not in modules and "encodings/cp1250.py" not in modules
    # The build id keys the worker's Python snapshot: it follows what the page runs.
    assert len(info["build"]) == 16 and int(info["build"], 16) >= 0
    with zipfile.ZipFile(dist / info["engine_wheel"]) as engine:
        names = engine.namelist()
    assert "localpix/adapters/bridge.py" in names and "localpix/registry.py" in names
    for page_file in ("index.html", "app.js", "worker.js", "style.css"):
        text = (dist / page_file).read_text()
        assert "http://" not in text and "https://" not in text, page_file
        assert 'src="/' not in text and 'href="/' not in text, page_file


def test_a_tampered_pillow_wheel_fails_the_build(runtime_copy: Path, tmp_path: Path) -> None:
    wheel = runtime_copy / "wheels" / PILLOW
    original = wheel.read_bytes()
    try:
        wheel.write_bytes(original[:-1] + bytes([original[-1] ^ 0xFF]))
        dist = tmp_path / "dist"
        result = run_build(runtime_copy, dist)
    finally:
        wheel.write_bytes(original)
    assert result.returncode != 0
    assert "BUILD REFUSED" in result.stderr and PILLOW in result.stderr
    assert not dist.exists(), "a refused build must not leave a dist/ behind"

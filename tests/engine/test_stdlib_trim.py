"""The page's trimmed standard library (scripts/stdlib.py) holds everything the engine's page
paths import: they run here with every removed module refused. The browser suite then runs the
real trimmed zip in Pyodide."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from tests.conftest import CORPUS, ROOT

# Run in a fresh interpreter: the refusal must be in place before anything is imported.
SCRIPT = textwrap.dedent("""
    import importlib, importlib.abc, json, pkgutil, sys
    sys.path.insert(0, {scripts!r})
    import stdlib

    PAGE_CODE = ("/localpix/", "/PIL/", "/numpy/", "/encodings/")
    refused = []

    class Refuse(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if not stdlib.is_removed(name):
                return None
            frame = sys._getframe(1)
            while frame and "importlib" in frame.f_code.co_filename:
                frame = frame.f_back
            importer = frame.f_code.co_filename if frame else ""
            # The native-only codec bindings may import what they like; the page lacks them.
            stdlib_code = "/lib/python3" in importer and "site-packages" not in importer
            if frame is None or stdlib_code or any(part in importer for part in PAGE_CODE):
                refused.append((name, importer))
                raise ImportError(f"{{name}} is not in the page's standard library")
            return None

    sys.meta_path.insert(0, Refuse())
    import localpix
    from localpix.adapters import bridge
    import numpy, PIL.Image
    PIL.Image.init()
    native_only = ("localpix.adapters.cli", "localpix.cluster", "localpix.__main__")
    for module in pkgutil.walk_packages(localpix.__path__, "localpix."):
        if not module.name.startswith(native_only):
            importlib.import_module(module.name)
    results = []
    for path, request in json.loads(sys.argv[1]):
        data = open(path, "rb").read()
        output, response = bridge.process(data, json.dumps(request))
        answer = json.loads(response)
        results.append([path, request["mode"], answer.get("ok"), answer.get("kind"), len(output)])
    print(json.dumps({{"refused": refused, "results": results}}))
""")


def test_engine_page_paths_run_without_the_removed_modules() -> None:
    files = [CORPUS / "formats" / name for name in
             ("meta.jpg", "meta.png", "meta.gif", "meta.webp", "meta.tif", "trailer.jpg")]
    files += [CORPUS / "modern" / name for name in ("meta.heic", "meta.avif", "meta.jxl")]
    files += [CORPUS / "photos" / "Canon_40D.jpg"]
    jobs = []
    for path in files:
        for request in ({"mode": "inspect"}, {"mode": "clean"}, {"mode": "compress"},
                        {"mode": "compress", "options": {"format": "smallest"}},
                        {"mode": "compress", "options": {"format": "png", "png_colors": 64}}):
            jobs.append([str(path), {**request, "name": path.name, "thumbnail": 96}])
    run = subprocess.run([sys.executable, "-c", SCRIPT.format(scripts=str(ROOT / "scripts")),
                          json.dumps(jobs)], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(run.stdout.splitlines()[-1])
    assert report["refused"] == []
    failed = [r for r in report["results"] if not r[2] and r[3] in ("EngineCrashed", "ImportError",
                                                                     "ModuleNotFoundError")]
    assert failed == []
    assert sum(1 for r in report["results"] if r[2]) >= len(jobs) * 0.8

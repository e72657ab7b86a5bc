"""The package's public names: all there, each the object its module defines, and imported only
on first use — the page's engine is "ready" once the package imports, before Pillow does."""

from __future__ import annotations

import importlib
import subprocess
import sys

import localpix


def test_every_public_name_is_the_one_its_module_defines() -> None:
    assert sorted(localpix.__all__) == sorted(localpix._HOMES)
    for name in localpix.__all__:
        home = importlib.import_module(localpix._HOMES[name], "localpix")
        assert getattr(localpix, name) is getattr(home, name), name
    assert set(localpix.__all__) <= set(dir(localpix))


def test_an_unknown_name_is_an_attribute_error() -> None:
    try:
        localpix.no_such_thing  # noqa: B018
    except AttributeError as error:
        assert "no_such_thing" in str(error)
    else:
        raise AssertionError("no AttributeError")


def test_importing_the_package_imports_neither_pillow_nor_the_pipeline() -> None:
    probe = ("import sys, localpix; "
             "print(sorted(m for m in sys.modules if m.split('.')[0] in ('PIL', 'numpy') "
             "or m.startswith('localpix.')))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "[]"
    # ... and a public name brings in what it needs.
    probe = "import sys, localpix; localpix.compress; print('PIL.Image' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "True"


def test_every_module_imports_first() -> None:
    """No import cycle that only some import orders hide: each module, alone in a fresh
    interpreter (a missing optional dependency is not this test's business)."""
    import pkgutil

    names = [m.name for m in pkgutil.walk_packages(localpix.__path__, "localpix.")
             if not m.name.endswith(".__main__")]  # that one runs the CLI
    probe = ("import importlib, sys\n"
             "try:\n    importlib.import_module(sys.argv[1])\n"
             "except ModuleNotFoundError as e:\n"
             "    if (e.name or '').startswith('localpix'):\n        raise\n")
    runs = {name: subprocess.Popen([sys.executable, "-c", probe, name], text=True,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            for name in names}
    failed = {name: run.communicate()[0].strip().splitlines()[-1]
              for name, run in runs.items() if run.wait() != 0}
    assert len(names) > 40 and not failed, failed

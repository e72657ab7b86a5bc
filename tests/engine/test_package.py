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

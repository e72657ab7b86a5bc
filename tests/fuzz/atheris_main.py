"""One fuzz target under atheris:  python -m tests.fuzz.atheris_main TARGET [libFuzzer args...]

Run by scripts/fuzz (long runs) and tests/fuzz/test_fuzz.py (a brief one per target in CI).
localpix is imported under atheris's instrumentation, so its Python code guides the mutations."""

from __future__ import annotations

import importlib
import pkgutil
import sys

import atheris

with atheris.instrument_imports(include=["localpix"]):
    import localpix

    for module in pkgutil.walk_packages(localpix.__path__, "localpix."):
        # the CLI and the cluster driver read no untrusted bytes of their own (and __main__ runs)
        skip = ("localpix.cluster", "localpix.adapters", "localpix.__main__")
        if not module.name.startswith(skip):
            importlib.import_module(module.name)

from tests.fuzz.targets import ENGINE


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in ENGINE:
        sys.exit(f"usage: {sys.argv[0]} TARGET [libFuzzer args]; targets: {', '.join(ENGINE)}")
    target = ENGINE[sys.argv[1]]
    atheris.Setup([sys.argv[0], *sys.argv[2:]], target.run)
    atheris.Fuzz()


if __name__ == "__main__":
    main()

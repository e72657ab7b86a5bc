#!/usr/bin/env python3
"""Benchmark `localpix --cluster` against the local CLI on the same files and cores.

    .venv/bin/python scripts/bench_cluster.py [FILE_OR_FOLDER ...] [--quick] [--scheduler ADDR]

Rows: files/s of the local CLI at -j 1 and -j 2, and of the cluster mode on LocalClusters of 1
and 2 worker processes (one thread each), every run into a fresh output folder and manifest;
the ratio cluster/local at equal cores (the target is >= 0.8); the LocalCluster start-up apart
(paid once per run, not per file). Then the per-file overhead of the cluster machinery (task,
manifest row, hashes, progress) on tiny images in strip-only mode, where the engine's own work
is almost nothing: (cluster time - local -j 1 time) / files, at batch size 1 and at the default.
--scheduler ADDR measures an existing cluster instead of LocalClusters (its workers need
localpix[cluster] installed and the files on a path they can read).
Default files: photos/, gps/, orientation/, formats/ and large/ of ../shared/corpus/.
JSON goes to bench-results/. Performance is reported, never asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "py"))
from localpix.cli import Progress, main  # noqa: E402
from localpix.cluster.driver import execute, plan  # noqa: E402
from localpix.cluster.work import Job  # noqa: E402
from localpix.options import CompressOptions, Keep  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"
DEFAULT = ["photos", "gps", "orientation", "formats", "large"]
QUICK = ["photos", "gps", "formats"]


def log(*parts: object) -> None:
    print("bench_cluster:", *parts, file=sys.stderr, flush=True)


def timed(run: Callable[[Path], None]) -> float:
    """One run into a fresh folder, in seconds."""
    with tempfile.TemporaryDirectory(prefix="lpx-bench-") as tmp:
        start = time.perf_counter()
        run(Path(tmp))
        return time.perf_counter() - start


def best_of(repeat: int, runs: dict[str, Callable[[Path], None]]) -> dict[str, float]:
    """The fastest of `repeat` runs of each, taken in turns: on a shared machine the load
    changes by the minute, and alternating spreads it over every row alike."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeat):
        for name, run in runs.items():
            times[name].append(timed(run))
    return {name: min(values) for name, values in times.items()}


def quietly(call: Callable[[], Any]) -> Any:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return call()


def local_cli(inputs: list[str], jobs: int, extra: list[str]) -> Callable[[Path], None]:
    return lambda tmp: quietly(lambda: main([*inputs, "-o", str(tmp / "out"), "-j", str(jobs),
                                             *extra]))  # fmt: skip


def on_cluster(address: str, inputs: list[str], options: CompressOptions | None,
               batch_size: int | None = None) -> Callable[[Path], None]:  # fmt: skip
    def run(tmp: Path) -> None:
        out = tmp / "out"
        found = plan(inputs, str(out), None)
        job = Job(outdir=str(out), options=options, keep=Keep(), overwrite=False)
        progress = Progress(len(found), io.StringIO())
        quietly(lambda: execute(address, job, found, tmp / "manifest.sqlite",
                                batch_size=batch_size, progress=progress))  # fmt: skip

    return run


@contextlib.contextmanager
def clusters(counts: tuple[int, ...], scheduler: str | None) -> Any:
    """{threads: address} of warm clusters (their workers have imported the engine), and
    {threads: start-up seconds}: LocalClusters of each worker count, or the one at `scheduler`."""
    from distributed import Client, LocalCluster

    addresses, startup = {}, {}
    with contextlib.ExitStack() as stack:
        for workers in counts:
            start = time.perf_counter()
            if scheduler is None:
                local = stack.enter_context(LocalCluster(
                    n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                    scheduler_port=0, dashboard_address=None))  # fmt: skip
            address = scheduler or local.scheduler_address
            client = stack.enter_context(Client(address))
            client.run(lambda: __import__("localpix.cluster.work"))
            threads = sum(client.nthreads().values())
            addresses[threads], startup[threads] = address, time.perf_counter() - start
        yield addresses, startup


def tiny_images(folder: Path, count: int) -> list[str]:
    """`count` 16x16 PNGs with a text chunk: files whose processing costs next to nothing."""
    from PIL import Image, PngImagePlugin

    folder.mkdir(parents=True, exist_ok=True)
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Jane Doe")
    for i in range(count):
        Image.new("RGB", (16, 16), (i % 256, 80, 160)).save(folder / f"t{i:05d}.png", pnginfo=info)
    return [str(folder)]


def main_bench() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("inputs", nargs="*", help="files or folders (default: corpus folders)")
    parser.add_argument("--quick", action="store_true", help="fewer files, one repeat")
    parser.add_argument("--repeat", type=int, help="timed runs per row, best kept (default 3)")
    parser.add_argument("--scheduler", metavar="ADDRESS", help="an existing Dask cluster")
    parser.add_argument("--tiny", type=int, help="tiny files for the overhead rows (400)")
    parser.add_argument("--json", type=Path, help="where to write the results")
    args = parser.parse_args()
    inputs = args.inputs or [str(CORPUS / f) for f in (QUICK if args.quick else DEFAULT)]
    repeat = args.repeat or (1 if args.quick else 3)
    tiny = args.tiny or (150 if args.quick else 400)
    files = len(plan(inputs, tempfile.gettempdir() + "/lpx-bench-none", None))
    options = CompressOptions(quality=80, keep=Keep())  # the CLI's defaults
    results: dict[str, Any] = {"files": files, "inputs": inputs, "repeat": repeat,
                               "cpus": os.cpu_count(), "python": platform.python_version(),
                               "rows": {}}  # fmt: skip
    rows = results["rows"]
    with clusters((1,) if args.scheduler else (1, 2), args.scheduler) as (addresses, startup):
        runs: dict[str, Callable[[Path], None]] = {}
        for threads, address in addresses.items():
            runs[f"local -j {threads}"] = local_cli(inputs, threads, [])
            runs[f"dask {threads} workers"] = on_cluster(address, inputs, options)
        log(f"{files} files, {repeat} turns of: {', '.join(runs)}")
        for name, took in best_of(repeat, runs).items():
            rows[name] = files / took
        for threads, seconds in startup.items():
            rows[f"dask {threads} workers / local -j {threads}"] = (
                rows[f"dask {threads} workers"] / rows[f"local -j {threads}"])
            results[f"dask {threads} workers start-up s"] = seconds
        address = addresses[min(addresses)]
        with tempfile.TemporaryDirectory(prefix="lpx-tiny-") as tmp:
            small = tiny_images(Path(tmp) / "in", tiny)
            log(f"overhead on {tiny} tiny files, {min(addresses)} worker thread(s)")
            took = best_of(repeat, {
                "local": local_cli(small, min(addresses), ["--strip-only"]),
                "batch size 1": on_cluster(address, small, None, 1),
                "default batch size": on_cluster(address, small, None)})  # fmt: skip
            results["local ms/file, tiny"] = 1000 * took["local"] / tiny
            for label in ("batch size 1", "default batch size"):
                results[f"overhead ms/file, {label}"] = 1000 * (took[label] - took["local"]) / tiny
    print(f"{files} files ({', '.join(Path(i).name for i in inputs)}), best of {repeat}:")
    for name, value in rows.items():
        print(f"  {name:<36} {value:8.2f}" + ("" if "/" in name else " files/s"))
    for name, value in results.items():
        if name.endswith(" s") or "ms/file" in name:
            print(f"  {name:<36} {value:8.2f}")
    target = args.json or ROOT / "bench-results" / f"cluster-{time.strftime('%Y%m%d-%H%M%S')}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(results, indent=2) + "\n")
    log(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main_bench())

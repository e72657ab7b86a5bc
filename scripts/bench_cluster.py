#!/usr/bin/env python3
"""Benchmark `localpix --cluster` against the local CLI on the same files and cores.

    .venv/bin/python scripts/bench_cluster.py [FILE_OR_FOLDER ...] [--quick] [--scheduler ADDR]

Rows: files/s of the local CLI at -j 1 and -j 2, and of the cluster mode on LocalClusters of 1
and 2 worker processes (one thread each), every run into a fresh output folder and manifest,
the best of a few turns of every row; the ratio cluster/local at equal cores (the target is
>= 0.8), by wall time and by CPU time (the driver's and the workers'), which a shared machine's
load hardly moves; the LocalCluster start-up apart (paid once per run, not per file). Then
the per-file overhead of the cluster machinery (task, manifest row, hashes, progress) on tiny
images in strip-only mode, where the engine's own work is almost nothing: (cluster time on one
worker - local -j 1 time) / files, at batch size 1 and at the default.
--scheduler ADDR measures an existing cluster instead of the LocalClusters (its workers need
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
import resource
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "py"))
from localpix.adapters.cli import Progress, main, process_file  # noqa: E402
from localpix.cluster.driver import execute, local_cluster, plan  # noqa: E402
from localpix.cluster.work import Job  # noqa: E402
from localpix.options import DEFAULT_QUALITY_TARGET, CompressOptions, Keep  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"
DEFAULT = ["photos", "gps", "orientation", "formats", "large"]
QUICK = ["photos", "gps", "formats"]


def log(*parts: object) -> None:
    print("bench_cluster:", *parts, file=sys.stderr, flush=True)


def own_cpu() -> float:
    """CPU seconds of this process and of its children that have ended (the CLI's pool)."""
    mine, children = resource.getrusage(resource.RUSAGE_SELF), \
        resource.getrusage(resource.RUSAGE_CHILDREN)  # fmt: skip
    return mine.ru_utime + mine.ru_stime + children.ru_utime + children.ru_stime


def timed(run: Callable[[Path], None], cpu: Callable[[], float] = own_cpu) -> tuple[float, float]:
    """One run into a fresh folder: (wall seconds, CPU seconds as `cpu` counts them). On a
    shared machine the wall time follows the others' load; the CPU time hardly does."""
    with tempfile.TemporaryDirectory(prefix="lpx-bench-") as tmp:
        used, start = cpu(), time.perf_counter()
        run(Path(tmp))
        return time.perf_counter() - start, cpu() - used


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
def cluster(workers: int, scheduler: str | None) -> Any:
    """(address, worker threads, start-up seconds, CPU counter: this process's and the
    workers') of a warm cluster: a LocalCluster of `workers` processes, or the one at
    `scheduler`."""
    from distributed import Client

    start = time.perf_counter()
    local: Any = contextlib.nullcontext()
    if scheduler is None:
        local = local_cluster(workers)  # the one `localpix --cluster local:N` starts
    with local:
        address = scheduler or local.scheduler_address
        with Client(address) as client:

            def cpu() -> float:
                return own_cpu() + sum(client.run(time.process_time).values())

            # One small photo through the engine on every worker, so that the timed runs find
            # every module imported and every table built, as the local CLI's processes do.
            client.run(process_file, str(CORPUS / "formats" / "meta.jpg"), "compress",
                       CompressOptions())
            threads = sum(client.nthreads().values())
            yield address, threads, time.perf_counter() - start, cpu


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
    # The CLI's defaults (automatic quality, as the local rows run it): the same work on both.
    options = CompressOptions(quality_target=DEFAULT_QUALITY_TARGET, keep=Keep())
    results: dict[str, Any] = {"files": files, "inputs": inputs, "repeat": repeat,
                               "cpus": os.cpu_count(), "python": platform.python_version(),
                               "rows": {}}  # fmt: skip
    rows = results["rows"]
    times: dict[str, list[tuple[float, float]]] = defaultdict(list)
    # Turns, each of every row: on a shared machine the load changes by the minute, and taking
    # the rows in turns spreads it over all of them alike. The local CLI runs with no cluster
    # alive (a LocalCluster's scheduler lives in this process and would slow it).
    with tempfile.TemporaryDirectory(prefix="lpx-tiny-") as tmp:
        small = tiny_images(Path(tmp) / "in", tiny)
        for turn in range(repeat):
            log(f"turn {turn + 1} of {repeat}: {files} files, then {tiny} tiny ones")
            for jobs in (1, 2):
                times[f"local -j {jobs}"].append(timed(local_cli(inputs, jobs, [])))
            times["tiny local -j 1"].append(timed(local_cli(small, 1, ["--strip-only"])))
            for workers in (0,) if args.scheduler else (1, 2):
                with cluster(workers, args.scheduler) as (address, threads, startup, cpu):
                    name = f"dask {threads} workers"
                    times[f"{name} start-up"].append((startup, 0.0))
                    times[name].append(timed(on_cluster(address, inputs, options), cpu))
                    if workers < 2:  # the overhead, against local -j 1 on one worker
                        for batch in (1, None):
                            times[f"tiny batch size {batch or 'default'}"].append(
                                timed(on_cluster(address, small, None, batch), cpu))
    best = {name: min(wall for wall, _ in values) for name, values in times.items()}
    cpu_ms = {name: 1000 * min(c for _, c in values) / files for name, values in times.items()}
    for name, took in best.items():
        if name.startswith(("local", "dask")) and not name.endswith("start-up"):
            rows[name] = files / took
            rows[f"{name} CPU ms/file"] = cpu_ms[name]
    for name in [n for n in rows if n.startswith("dask") and n.endswith("workers")]:
        threads = int(name.split()[1])
        if f"local -j {threads}" in rows:
            local = f"local -j {threads}"
            rows[f"{name} / {local}"] = rows[name] / rows[local]
            rows[f"{name} / {local}, by CPU time"] = cpu_ms[local] / cpu_ms[name]
        results[f"{name} start-up s"] = best[f"{name} start-up"]
    results["local ms/file, tiny"] = 1000 * best["tiny local -j 1"] / tiny
    for batch in ("1", "default"):
        results[f"overhead ms/file, batch size {batch}"] = (
            1000 * (best[f"tiny batch size {batch}"] - best["tiny local -j 1"]) / tiny)
    print(f"{files} files ({', '.join(Path(i).name for i in inputs)}), best of {repeat}:")
    for name, value in rows.items():
        unit = "" if "/" in name or "CPU" in name else " files/s"
        print(f"  {name:<44} {value:8.2f}{unit}")
    for name, value in results.items():
        if name.endswith(" s") or "ms/file" in name:
            print(f"  {name:<44} {value:8.2f}")
    target = args.json or ROOT / "bench-results" / f"cluster-{time.strftime('%Y%m%d-%H%M%S')}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(results, indent=2) + "\n")
    log(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main_bench())

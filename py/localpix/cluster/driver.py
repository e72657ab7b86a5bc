"""The driver of `localpix --cluster`: on the user's machine, it lists the inputs, skips what the
manifest says is done, cuts the rest into batches, keeps a bounded number of them in flight on
the Dask cluster, records each finished batch in the manifest, and prints progress and the same
summary as the local CLI (plus the privacy sentences of the page) over the whole run.

Dask does the scheduling and the retries: a batch whose worker is lost is run again on another
one (storage.commit makes that harmless); a batch that fails on every try is reported and left
out of the manifest, so the next run does it again.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import re
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import Any

from ..adapters.cli import Outcome, Progress, Task, UsageError, check_safe, finish
from ..options import CompressOptions
from . import storage
from .manifest import Manifest
from .summary import sentences
from .work import Item, Job, run_batch

MANIFEST_NAME = "localpix-manifest.sqlite"
MAX_BATCH = 100  # files per task: ~1-10 s of work, so Dask's ~1 ms per task is lost in it
STATUS_EVERY = 10.0  # seconds
TASKS_PER_THREAD = 4  # enough batches to balance uneven files and to lose little with a worker
_SUFFIXES = re.compile(r"(-\d+)+$")


def run_cluster(args: argparse.Namespace, options: CompressOptions | None) -> int:
    """`localpix --cluster ...`: the local CLI's parsed arguments; its exit status."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        print("localpix: --cluster needs Dask: pip install 'localpix[cluster]' (here and on "
              "every worker).", file=sys.stderr)  # fmt: skip
        return 2
    job = Job(outdir=args.output_dir if storage.is_url(args.output_dir) else
              str(Path(args.output_dir)), options=options, keep=args.keep,
              overwrite=args.overwrite)  # fmt: skip
    try:
        found = plan(args.inputs, job.outdir, args.report)
        manifest = manifest_path(job.outdir, args.manifest)
    except UsageError as exc:
        print(f"localpix: {exc}", file=sys.stderr)
        return 2
    return execute(args.cluster, job, found, manifest, batch_size=args.batch_size,
                   report=args.report)  # fmt: skip


def plan(inputs: list[str], outdir: str, report: Path | None) -> list[storage.Found]:
    """The inputs, checked as the local CLI checks them: no layout where an output could replace
    an input."""
    found = storage.find_inputs(inputs, outdir)
    if storage.is_local(outdir):
        check_safe([storage.local_path(given) for given in inputs if storage.is_local(given)],
                   [Task(storage.local_path(f.source), Path(f.relative)) for f in found
                    if storage.is_local(f.source)],
                   storage.local_path(outdir), report)  # fmt: skip
    else:
        prefix = outdir.rstrip("/") + "/"
        for f in found:
            if f.source.startswith(prefix):
                raise UsageError(f"The output folder {outdir} contains the input {f.source}: "
                                 "choose another output folder, so that no original can be "
                                 "overwritten.")  # fmt: skip
    return found


def manifest_path(outdir: str, given: str | None) -> Path:
    if given is not None:
        return Path(given)
    if not storage.is_local(outdir):
        raise UsageError(f"The output folder {outdir} is not on this machine: give --manifest "
                         "FILE, a local file where the run is recorded.")  # fmt: skip
    return storage.local_path(outdir) / MANIFEST_NAME


def _is_done(item: Item, row: dict[str, Any] | None, settings: str) -> bool:
    """Done by an earlier run with the same settings, and the input has not changed since."""
    return row is not None and row["settings"] == settings and row["size"] == item.size and (
        row["mtime"] is None or item.mtime is None or row["mtime"] == item.mtime)


def partition(
    items: list[Item], done: dict[str, dict[str, Any]], outdir: str, size: int,
    budget: float = math.inf,
) -> list[list[Item]]:
    """Batches of about `size` pending items, or fewer whose input adds up to `budget` bytes
    (so that a folder of large photos is spread over several workers). Inputs whose output
    names could collide (same folder, same stem once "-2"-like suffixes are dropped) form a
    naming group that is never split, so each batch gives the local CLI's names; an earlier
    run's finished member of a group comes along only to claim its name."""
    groups: dict[tuple[str, str], list[Item]] = {}
    for item in items:
        relative = PurePosixPath(item.relative)
        key = (str(relative.parent), _SUFFIXES.sub("", relative.stem))
        groups.setdefault(key, []).append(item)
    batches: list[list[Item]] = []
    current: list[Item] = []
    weight = 0
    for members in groups.values():
        if all(m.source in done for m in members):
            continue
        for member in members:
            row = done.get(member.source)
            if row is None:
                current.append(member)
                weight += member.size
            elif row["output"] is not None:
                current.append(replace(member,
                                       claimed=storage.relative_to(outdir, row["output"])))
        if len(current) >= size or weight >= budget:
            batches.append(current)
            current, weight = [], 0
    if current:
        batches.append(current)
    return batches


# Dask's nanny starts workers with MALLOC_TRIM_THRESHOLD_=65536; setting it switches off glibc's
# dynamic mmap threshold, so every large array (a photo's pixels, the quality search's planes)
# is a fresh mmap and page faults: +45 % CPU per photo, measured here. Unset for the workers.
WORKER_CONFIG = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}


def local_cluster(workers: int, **options: Any) -> Any:
    """A LocalCluster of `workers` one-thread processes on loopback, on ports the system picks
    (the scheduler's HTTP server would otherwise try 8787 first)."""
    import dask
    from distributed import LocalCluster

    with dask.config.set(WORKER_CONFIG):
        return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                            host="127.0.0.1", scheduler_port=0, dashboard_address="127.0.0.1:0",
                            **options)  # fmt: skip


@contextmanager
def connect(address: str) -> Iterator[Any]:
    """A Dask client: of the scheduler at `address`, or of a LocalCluster for "local:N"."""
    from distributed import Client

    if address.startswith("local:"):
        try:
            workers = int(address.removeprefix("local:"))
        except ValueError:
            workers = 0
        if workers < 1:
            raise UsageError(f"--cluster {address}: write local:N with N worker processes.")
        # One thread per process: the engine is CPU-bound Python.
        cluster = local_cluster(workers, silence_logs=logging.ERROR)
        with cluster, Client(cluster) as client:
            yield client
        return
    try:
        client = Client(address, timeout=30)
    except (OSError, TimeoutError) as exc:
        raise UsageError(f"Cannot reach the Dask scheduler at {address} ({exc}).") from exc
    with client:
        yield client


def execute(
    address: str, job: Job, found: list[storage.Found], manifest_file: Path, *,
    batch_size: int | None = None, report: Path | None = None, progress: Progress | None = None,
) -> int:
    """Run `found` on the cluster at `address`, recorded in `manifest_file`; the exit status
    (0 all done, 1 some failed, 2 cannot start, 130 interrupted: run again to finish)."""
    if not found:
        print("localpix: no image files found in the given folders.", file=sys.stderr)
        return 1
    manifest = Manifest(manifest_file)
    try:
        return _Run(job, found, manifest, progress).go(address, batch_size, report)
    finally:
        manifest.close()


class _Run:
    def __init__(
        self, job: Job, found: list[storage.Found], manifest: Manifest, progress: Progress | None
    ) -> None:
        self.job, self.manifest = job, manifest
        self.items = [Item(i, f.source, f.relative, f.size, f.mtime) for i, f in enumerate(found)]
        settings = job.settings()
        rows = {row["path"]: row for row in manifest.rows([i.source for i in self.items])}
        self.done = {i.source: rows[i.source] for i in self.items
                     if _is_done(i, rows.get(i.source), settings)}  # fmt: skip
        self.pending = [item for item in self.items if item.source not in self.done]
        self.progress = progress or Progress(len(self.pending), sys.stderr)
        self.lost: dict[str, Outcome] = {}  # inputs of batches that failed on every try
        self.folders: set[str] = {job.outdir}
        self.tally = {"done": 0, "failed": 0, "in": 0, "out": 0}
        self.started = self.last_status = time.monotonic()

    def go(self, address: str, batch_size: int | None, report: Path | None) -> int:
        run = self.manifest.start_run(self.job.settings())
        start = time.monotonic()
        try:
            if self.pending:
                self._on_cluster(address, run, batch_size)
        except UsageError as exc:
            self.manifest.end_run(run, "failed")
            print(f"localpix: {exc}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            self.progress.finish()
            self.manifest.end_run(run, "interrupted")
            print("localpix: interrupted; what finished is in the manifest: run the same "
                  "command again to do the rest.", file=sys.stderr)  # fmt: skip
            return 130
        self.progress.finish()
        elapsed = time.monotonic() - start
        storage.sweep_temporaries(self.folders)
        self.manifest.end_run(run, "done")
        return self._summary(report, elapsed)

    def _on_cluster(self, address: str, run: int, batch_size: int | None) -> None:
        with connect(address) as client:
            threads = sum(client.nthreads().values()) or 1
            tasks = threads * TASKS_PER_THREAD
            if batch_size is None:
                size = max(1, min(MAX_BATCH, math.ceil(len(self.pending) / tasks)))
                budget = sum(item.size for item in self.pending) / tasks
            else:
                size, budget = batch_size, math.inf
            batches = partition(self.items, self.done, self.job.outdir, size, budget)
            # The heaviest first: the last batches to finish are then the light ones.
            batches.sort(key=lambda batch: -sum(item.size for item in batch))
            print(f"localpix: {len(self.items)} files; {len(self.done)} already done (per "
                  f"the manifest), {len(self.pending)} to process in {len(batches)} batches "
                  f"on {len(client.nthreads())} workers ({threads} threads)",
                  file=sys.stderr)  # fmt: skip
            self._submit_all(client, run, batches, window=2 * threads)

    def _submit_all(self, client: Any, run: int, batches: list[list[Item]], window: int) -> None:
        """At most `window` batches in flight: the scheduler and this process hold a bounded
        amount, however many millions of files there are."""
        from distributed import as_completed

        self.started = self.last_status = time.monotonic()
        token = uuid.uuid4().hex[:12]  # keys of two drivers sharing a cluster never meet
        queue = iter(enumerate(batches))
        in_flight = as_completed()
        of: dict[str, list[Item]] = {}

        def submit() -> None:
            for number, batch in queue:
                future = client.submit(run_batch, self.job, batch, pure=False, retries=1,
                                       key=f"localpix-{token}-{number}")  # fmt: skip
                of[future.key] = batch
                in_flight.add(future)
                return

        for _ in range(window):
            submit()
        try:
            for future in in_flight:
                batch = of.pop(future.key)
                try:
                    records = future.result()
                except Exception as exc:  # failed on every try, or its workers kept dying
                    self._lost(batch, exc)
                else:
                    self.manifest.record(run, records)
                    for record in records:
                        if record["output"] is not None:
                            name = PurePosixPath(storage.relative_to(self.job.outdir,
                                                                     record["output"]))
                            self.folders.add(storage.join(self.job.outdir, str(name.parent)))
                        self._step(Outcome(**record["result"]))
                submit()
        finally:
            client.cancel(list(in_flight.futures))

    def _lost(self, batch: list[Item], exc: Exception) -> None:
        for item in batch:
            if item.claimed is None:
                outcome = Outcome(input=item.source, kind="ClusterError", error=(
                    f"not processed: its batch failed on the cluster ({type(exc).__name__}: "
                    f"{exc}); run the same command again to retry it"))  # fmt: skip
                self.lost[item.source] = outcome
                self._step(outcome)

    def _step(self, outcome: Outcome) -> None:
        """The CLI's per-file progress, and every STATUS_EVERY seconds a line of totals: on a
        run of hours, per-file lines alone do not say how far along it is."""
        self.progress.step(outcome)
        tally = self.tally
        tally["failed" if outcome.error else "done"] += 1
        if not outcome.error:
            tally["in"] += outcome.input_bytes or 0
            tally["out"] += outcome.output_bytes or 0
        now = time.monotonic()
        if now - self.last_status >= STATUS_EVERY:
            self.last_status = now
            finished = tally["done"] + tally["failed"]
            saved = 100 * (tally["in"] - tally["out"]) / tally["in"] if tally["in"] else 0.0
            self.progress.finish()
            print(f"localpix: {tally['done']} done, {tally['failed']} failed, "
                  f"{len(self.pending) - finished} remaining; saved {saved:.0f}%; "
                  f"{finished / (now - self.started):.1f} files/s", file=sys.stderr)  # fmt: skip

    def _summary(self, report: Path | None, elapsed: float) -> int:
        rows = {row["path"]: row for row in self.manifest.rows([i.source for i in self.items])}
        outcomes = [self.lost.get(i.source) or Outcome(**json.loads(rows[i.source]["result"]))
                    for i in self.items]  # fmt: skip
        status = finish(outcomes, report)
        privacy = [json.loads(row["privacy"]) for row in rows.values() if not row["error"]]
        for line in sentences(p for p in privacy if p):
            print(line)
        rate = len(self.pending) / elapsed if elapsed else 0.0
        print(f"{len(self.pending)} processed in {elapsed:.1f} s ({rate:.1f} files/s), "
              f"{len(self.done)} already done before this run.")  # fmt: skip
        return status

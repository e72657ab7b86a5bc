"""What runs on the workers: one batch of files through the engine, each output committed
(storage.commit) and described by one manifest record. Nothing here talks to the driver but the
returned records, so a batch can be run again anywhere (a lost worker) without harm."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..adapters.cli import Outcome, Task, output_path, process_file
from ..options import CompressOptions, Keep
from . import storage
from .summary import privacy

# Output names are settled under a root that does not exist, so that resolve() (output_path's
# test of "already claimed") never follows a real symlink of the worker's disk.
_NAMES = Path("/localpix-output-names")


@dataclass(frozen=True)
class Job:
    """What every batch of one run shares."""

    outdir: str
    options: CompressOptions | None  # None: strip only
    keep: Keep
    overwrite: bool

    @property
    def mode(self) -> str:
        return "strip-only" if self.options is None else "compress"

    def settings(self) -> str:
        """The mode and options as stable JSON: a manifest record is "done" only for these."""
        options = asdict(self.options) if self.options is not None else {"keep": asdict(self.keep)}
        return json.dumps({"mode": self.mode, "options": options, "outdir": self.outdir},
                          sort_keys=True)  # fmt: skip


@dataclass(frozen=True)
class Item:
    """One input of a batch."""

    index: int  # position in the run's input order
    source: str  # path or URL
    relative: str  # POSIX path under OUTDIR, before the extension is settled
    size: int
    mtime: float | None
    # An input an earlier run finished, in the naming group of pending ones: not processed, but
    # its output's name (relative) is taken, so that no other input of the group lands on it.
    claimed: str | None = None


def engine(source: str, read: Any, options: CompressOptions | None, keep: Keep) -> dict[str, Any]:
    """The one call into the engine per file (pipeline.run, through the CLI's process_file):
    {"outcome": the CLI's report entry, "data": the output bytes or None, "before"/"after": the
    engine's Reports}."""
    if options is None:
        return process_file(source, "clean", CompressOptions(keep=keep), read=read)
    return process_file(source, "compress", options, read=read)


def _worker() -> str | None:
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):  # run outside a Dask worker (the tests' direct calls)
        return None


def run_batch(job: Job, items: list[Item]) -> list[dict[str, Any]]:
    """Process `items` in order; one manifest record per processed item. Items of one naming
    group always share a batch, so the claimed-name set here is the local CLI's."""
    worker = _worker()
    # Names on disk from earlier runs are taken whatever their input's place in the order.
    claimed = {(_NAMES / item.claimed).resolve() for item in items if item.claimed is not None}
    return [_process(job, item, claimed, worker) for item in items if item.claimed is None]


def _process(job: Job, item: Item, claimed: set[Path], worker: str | None) -> dict[str, Any]:
    hashes: dict[str, str] = {}

    def read() -> bytes:
        data = storage.read_bytes(item.source)
        hashes["in"] = hashlib.sha256(data).hexdigest()
        return data

    result = engine(item.source, read, job.options, job.keep)
    outcome = Outcome(**result["outcome"])
    data = result["data"]
    if data is not None and outcome.format is not None:
        task = Task(Path(item.source), Path(item.relative))  # output_path reads .relative only
        name = output_path(_NAMES, task, outcome.format, claimed).relative_to(_NAMES)
        location = storage.join(job.outdir, name.as_posix())
        try:
            storage.commit(location, data, job.overwrite)
            outcome.output, outcome.output_bytes = location, len(data)
            hashes["out"] = hashlib.sha256(data).hexdigest()
        except FileExistsError as exc:
            outcome.error, outcome.kind = str(exc), "FileExistsError"
        except OSError as exc:
            outcome.error = f"cannot write {location} ({exc.strerror or exc})"
            outcome.kind = type(exc).__name__
    return {
        "index": item.index, "path": item.source, "size": item.size, "mtime": item.mtime,
        "sha256_in": hashes.get("in"), "sha256_out": hashes.get("out"), "output": outcome.output,
        "mode": job.mode, "settings": job.settings(), "result": asdict(outcome),
        "privacy": None if outcome.error else privacy(result["before"], result["after"]),
        "worker": worker, "finished": time.time(),
    }  # fmt: skip

"""Command line: compress or clean many files into an output folder.

    localpix [options] FILE_OR_FOLDER... -o OUTDIR

The only module of the package that touches the filesystem. Inputs are never overwritten: the
output folder may not contain any of them, and existing outputs are kept unless --overwrite.
Nothing is ever half-written: each output appears at its name all at once (a temporary name in
the same folder, then a link), so a run killed at any moment leaves only complete files and
temporaries the next run deletes. Running the same command again is how an interrupted batch is
resumed: an input whose output already stands at its name (a file of the output's format) is
done and skipped, unless --overwrite. A full disk or an output folder that cannot be written
stops the batch at once with what to do.
Exit status: 0 all done, 1 some files failed (or the output cannot be written), 2 bad usage
(nothing written).
"""

from __future__ import annotations

import argparse
import errno
import json
import multiprocessing
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

from .. import registry
from ..cluster.arguments import add_cluster_arguments
from ..errors import LocalpixError
from ..options import DEFAULT_QUALITY_TARGET, QUALITY_TARGETS, CompressOptions, Keep
from ..pipeline.run import Mode, output_name

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|kib|mib|k|m)?\s*$", re.IGNORECASE)
_UNITS = {"b": 1, "kb": 1000, "k": 1000, "mb": 1_000_000, "m": 1_000_000, "kib": 1024,
          "mib": 1024 * 1024}  # fmt: skip


def parse_size(text: str) -> int:
    """"200KB" -> 200000, "1.5MiB" -> 1572864, "5000" -> 5000 (bytes)."""
    match = _SIZE.match(text)
    if not match:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a size; write e.g. 200KB, 1.5MB, 300KiB or 50000 (bytes)."
        )
    size = int(float(match[1]) * _UNITS[(match[2] or "b").lower()])
    if size < 1:
        raise argparse.ArgumentTypeError("The target size must be at least 1 byte.")
    return size


def parse_keep_arg(text: str) -> Keep:
    if text.strip().lower() == "none":
        return Keep(orientation=False, color_profile=False, copyright=False, date_taken=False)
    try:
        return Keep.from_names(text)
    except LocalpixError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number.")
    return value


def default_jobs() -> int:
    """All usable CPUs: a batch is CPU-bound and every file is independent, so processes scale
    almost linearly; each worker's memory is bounded by the pixel limit, and -j 1 is there for
    machines short of RAM."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="localpix",
        description="Compress images and strip private metadata (GPS, camera serials, owner "
        "names, dates, ...). Inputs are never modified.",
    )
    # Strings, not Paths: with --cluster they may be URLs, which Path would mangle.
    parser.add_argument("inputs", nargs="+", metavar="FILE",
                        help="image files, or folders to search for images")
    parser.add_argument("-o", "--output-dir", required=True, metavar="OUTDIR",
                        help="folder for the results (created if missing; may not contain "
                        "any input)")
    parser.add_argument("--strip-only", action="store_true",
                        help="only remove metadata, losslessly: the pixels are untouched")
    converted = ", ".join(f"{f.label} becomes {registry.record(f.compress_to).label}"
                          for f in registry.FORMATS if f.compress_to != f.name)
    smallest = "/".join(registry.record(n).label for n in registry.SMALLEST_OF)
    parser.add_argument("--format", choices=(*registry.OUTPUT_FORMATS, registry.SMALLEST),
                        help=f"output format (default: same as input; {converted}); "
                        f"{registry.SMALLEST}: per image, the smallest {smallest} at the "
                        "quality target")
    parser.add_argument("--quality", type=int, metavar="N",
                        help="a fixed JPEG/WebP/AVIF quality 1-100 instead of automatic quality")
    targets = ", ".join(f"{score} {label.lower()}" for score, (label, _) in QUALITY_TARGETS.items())
    parser.add_argument("--quality-target", type=float, metavar="SCORE",
                        help="automatic quality (the default): per image, the smallest JPEG/WebP "
                        "whose SSIMULACRA2 score stays at or above SCORE (30-99; "
                        f"{targets}; default {DEFAULT_QUALITY_TARGET})")
    parser.add_argument("--target-size", type=parse_size, metavar="SIZE",
                        help="aim for at most this size, e.g. 200KB, 1.5MB, 300KiB")
    parser.add_argument("--max-size", type=positive_int, metavar="PIXELS",
                        help="downscale so width and height are at most this (never upscales)")
    parser.add_argument("--png-colors", type=int, metavar="N",
                        help="lossy PNG: reduce to N colours (2-256)")
    parser.add_argument("--webp-lossless", action="store_true", help="lossless WebP")
    parser.add_argument("--keep", type=parse_keep_arg, default=Keep(), metavar="LIST",
                        help="metadata to keep: comma-separated from orientation, "
                        "color_profile, copyright, date_taken; or none "
                        "(default: orientation,color_profile)")
    parser.add_argument("--report", type=Path, metavar="FILE.json",
                        help="write a JSON report of every file")
    parser.add_argument("-j", "--jobs", type=positive_int, default=None, metavar="N",
                        help="parallel worker processes (default: number of CPUs)")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace existing files in OUTDIR (inputs are never replaced)")
    add_cluster_arguments(parser)
    return parser


@dataclass
class Task:
    source: Path
    relative: Path  # where under OUTDIR, before the extension is settled


@dataclass
class Outcome:
    input: str
    output: str | None = None
    input_bytes: int | None = None
    output_bytes: int | None = None
    format: str | None = None
    removed: list[str] = field(default_factory=list)
    reencoded: bool | None = None
    codec: str = ""  # what encoded the output ("" = the input's own data, cleaned)
    tried: dict[str, int] = field(default_factory=dict)  # --format smallest: bytes per format
    note: str = ""
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    kind: str | None = None
    skipped: bool = False  # done by an earlier run: its output was already in place


class UsageError(Exception):
    """Refuse to start (exit 2): nothing has been written."""


class CannotWriteError(Exception):
    """The output folder takes no more files (full, read-only, not ours): stop the batch."""


# Write errors that no other file will escape: a full disk or quota, a file size limit, a
# read-only filesystem, a folder without write permission.
_FATAL_WRITE = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EACCES, errno.EPERM}
# Enough of a file to tell its format (each container's signature check reads its start).
_HEAD = 1 << 16


def collect(inputs: Iterable[Path], outdir: Path) -> list[Task]:
    """Files to process. Folders are searched recursively for image extensions (skipping OUTDIR,
    in case it lies inside one); their structure is mirrored under OUTDIR."""
    tasks: list[Task] = []
    seen: set[Path] = set()
    out_resolved = outdir.resolve()
    for given in inputs:
        if given.is_dir():
            root = given.resolve()
            found = sorted(
                p for p in root.rglob("*")
                if p.suffix.lower() in registry.EXTENSIONS and p.is_file()
                and not p.resolve().is_relative_to(out_resolved)
            )  # fmt: skip
            for path in found:
                if path.resolve() not in seen:
                    seen.add(path.resolve())
                    tasks.append(Task(path, path.relative_to(root)))
        else:
            resolved = given.resolve()
            if resolved not in seen:
                seen.add(resolved)
                tasks.append(Task(given, Path(given.name)))
    return tasks


def check_safe(
    inputs: list[Path], tasks: list[Task], outdir: Path, report: Path | None
) -> None:
    """Refuse any layout in which writing could replace an input."""
    out = outdir.resolve()
    for given in inputs:
        if given.resolve().is_relative_to(out):
            raise UsageError(
                f"The output folder {outdir} contains the input {given}: choose another "
                "output folder, so that no original can be overwritten."
            )
    for task in tasks:
        source = task.source.resolve()
        if source.is_relative_to(out):
            raise UsageError(
                f"The output folder {outdir} contains the input {task.source}: choose another "
                "output folder, so that no original can be overwritten."
            )
        if report is not None and report.resolve() == source:
            raise UsageError(f"The report file {report} is one of the inputs.")
    if out.exists() and not out.is_dir():
        raise UsageError(f"The output path {outdir} exists and is not a folder.")


def process_file(
    source: str, mode: Mode, options: CompressOptions, read: Callable[[], bytes] | None = None,
) -> dict[str, Any]:
    """Run in a worker: read (the file `source`, or through `read`), run the engine, and hand
    back the bytes, the reports before and after, and what happened. Errors come back as
    messages: one bad file must not stop the batch."""
    from ..pipeline.run import run  # imported here: this runs in worker processes

    outcome = Outcome(input=source)
    try:
        data = (read or Path(source).read_bytes)()
        outcome.input_bytes = len(data)
        result = run(data, mode, options)
        outcome.format, outcome.reencoded = result.format, result.reencoded
        outcome.note, outcome.warnings = result.note, list(result.warnings)
        outcome.codec, outcome.tried = result.codec, dict(result.tried)
        outcome.removed = [f.label for f in result.removed]
        return {"outcome": asdict(outcome), "data": result.data, "before": result.before,
                "after": result.after}
    except OSError as exc:
        outcome.error, outcome.kind = f"cannot read the file ({exc.strerror or exc})", "OSError"
    except LocalpixError as exc:
        outcome.error, outcome.kind = str(exc), type(exc).__name__
    except MemoryError:
        outcome.error, outcome.kind = "not enough memory for this image", "MemoryError"
    except Exception as exc:  # a bug: report it for this file and carry on with the others
        outcome.error = f"internal error, please report this bug: {type(exc).__name__}: {exc}"
        outcome.kind = "InternalError"
    return {"outcome": asdict(outcome), "data": None}


def _run_all(
    tasks: list[Task], mode: Mode, options: CompressOptions, jobs: int
) -> Iterator[dict[str, Any]]:
    """Results in input order (so output names are deterministic), in parallel when jobs > 1."""
    sources = [str(t.source) for t in tasks]
    if jobs <= 1 or len(tasks) <= 1:
        for source in sources:
            yield process_file(source, mode, options)
        return
    # Not fork: a process that has already encoded a PNG holds oxipng's thread pool (rayon), and
    # a forked child inherits its state without its threads - its first PNG then spins forever.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=min(jobs, len(tasks)), mp_context=context) as pool:
        yield from pool.map(process_file, sources, [mode] * len(tasks), [options] * len(tasks))


def output_path(outdir: Path, task: Task, out_format: str, claimed: set[Path]) -> Path:
    """Named as in the browser (pipeline.run.output_name); a "-2", "-3", ... suffix when two
    inputs would land on the same name in this run."""
    relative = task.relative
    name = output_name(relative.name, out_format)
    candidate = outdir / relative.parent / name
    counter = 2
    while candidate.resolve() in claimed:
        candidate = outdir / relative.parent / f"{Path(name).stem}-{counter}{Path(name).suffix}"
        counter += 1
    claimed.add(candidate.resolve())
    return candidate


def _format_of(path: Path) -> str | None:
    try:
        with path.open("rb") as file:
            return registry.detect(file.read(_HEAD)).name
    except (OSError, LocalpixError):
        return None


def finished_output(outdir: Path, task: Task, mode: Mode, options: CompressOptions,
                    claimed: set[Path]) -> Path | None:
    """Where an earlier run already put this input's output, if it did: a file of a format
    the run could have produced, at the name it would have taken. Outputs appear all at once,
    so such a file is complete."""
    source = _format_of(task.source)
    if source is None:
        return None
    formats = [source] if mode == "clean" else [
        options.format or registry.record(source).compress_to, source]  # the cleaned original
    for fmt in dict.fromkeys(formats):
        path = outdir / task.relative.parent / output_name(task.relative.name, fmt)
        if path.resolve() not in claimed and path.is_file() and _format_of(path) == fmt:
            claimed.add(path.resolve())
            return path
    return None


def sweep_temporaries(outdir: Path) -> int:
    """Delete the temporaries of runs that were killed mid-write (their process is gone);
    how many. A running process's temporaries are left alone."""
    removed = 0
    for temp in outdir.rglob(".localpix-*.tmp"):
        owner = temp.name.split("-")[1]
        if owner.isdigit() and _alive(int(owner)):
            continue
        try:
            temp.unlink()
            removed += 1
        except FileNotFoundError:
            pass
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def check_writable(outdir: Path) -> None:
    """Refuse to start a batch whose outputs cannot be written (CannotWriteError)."""
    try:
        outdir.mkdir(parents=True, exist_ok=True)
        handle, probe = tempfile.mkstemp(dir=outdir, prefix=f".localpix-{os.getpid()}-",
                                         suffix=".tmp")
        os.close(handle)
        os.unlink(probe)
    except OSError as exc:
        raise CannotWriteError(_cannot_write(outdir, exc)) from exc


def _cannot_write(where: Path, exc: OSError) -> str:
    why = {errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is used up",
           errno.EFBIG: "the file is larger than this process may write",
           errno.EROFS: "it is on a read-only filesystem"}.get(exc.errno or 0)  # fmt: skip
    if why is None and exc.errno in (errno.EACCES, errno.EPERM):
        why = "you have no permission to write there"
    reason = why or exc.strerror or str(exc)
    return (f"cannot write to the output folder {where} ({reason}). Free some space or choose "
            "another folder with -o, then run the same command again: files already finished "
            "are kept and not redone.")


def write_output(path: Path, data: bytes, overwrite: bool) -> None:
    """Write without ever leaving a half-written file; refuse an existing file unless told.
    The temporary's name carries this process's id, so a later run can tell it was orphaned."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not overwrite and path.exists():
        raise FileExistsError(f"{path} already exists (use --overwrite to replace it)")
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".localpix-{os.getpid()}-",
                                    suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        if overwrite:
            os.replace(temp, path)
        else:
            os.link(temp, path)  # atomic and fails if the name appeared meanwhile
            os.unlink(temp)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise


class Progress:
    """A bar on a terminal; one plain line per file otherwise (logs, CI)."""

    def __init__(self, total: int, stream: TextIO) -> None:
        self.total, self.done, self.stream = total, 0, stream
        self.tty = stream.isatty()

    def step(self, outcome: Outcome) -> None:
        self.done += 1
        if outcome.error:
            self._clear()
            print(f"localpix: {outcome.input}: {outcome.error}", file=self.stream)
        elif outcome.skipped and not self.tty:
            print(f"[{self.done}/{self.total}] {outcome.input}: done by an earlier run "
                  f"({outcome.output}, kept; --overwrite redoes it)", file=self.stream)
        elif not self.tty:
            print(f"[{self.done}/{self.total}] {outcome.input} -> {outcome.output} "
                  f"({_human(outcome.input_bytes or 0)} -> {_human(outcome.output_bytes or 0)})",
                  file=self.stream)  # fmt: skip
        if self.tty:
            width = 30
            filled = width * self.done // max(self.total, 1)
            name = Path(outcome.input).name[:40]
            self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] "
                              f"{self.done}/{self.total} {name}\x1b[K")  # fmt: skip
            self.stream.flush()

    def finish(self) -> None:
        self._clear()

    def _clear(self) -> None:
        if self.tty:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


def _human(size: int) -> str:
    for unit, factor in (("MB", 1_000_000), ("KB", 1000)):
        if size >= factor:
            return f"{size / factor:.1f} {unit}"
    return f"{size} B"


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    compress_only = (args.format, args.quality, args.quality_target, args.target_size,
                     args.max_size, args.png_colors, args.webp_lossless or None)  # fmt: skip
    if args.strip_only and any(v is not None for v in compress_only):
        parser.error("--strip-only removes metadata only; it cannot be combined with "
                     "--format, --quality, --quality-target, --target-size, --max-size, "
                     "--png-colors or --webp-lossless.")
    if args.quality is not None and args.quality_target is not None:
        parser.error("Choose either --quality (a fixed setting) or --quality-target (a score "
                     "each image must reach), not both.")
    mode: Mode = "clean" if args.strip_only else "compress"
    # Automatic quality unless a fixed quality or a size is asked for, as in the app.
    quality_target = args.quality_target
    if quality_target is None and args.quality is None and args.target_size is None:
        quality_target = DEFAULT_QUALITY_TARGET
    try:
        options = CompressOptions(
            format=args.format,
            quality=80 if args.quality is None else args.quality,
            quality_target=quality_target,
            target_size=args.target_size,
            max_width=args.max_size,
            max_height=args.max_size,
            png_colors=args.png_colors,
            webp_lossless=args.webp_lossless,
            keep=args.keep,
        )
    except LocalpixError as exc:
        parser.error(str(exc))
    if args.cluster is not None:
        from ..cluster.driver import run_cluster  # needs the optional localpix[cluster] extra

        return run_cluster(args, None if mode == "clean" else options)
    inputs, outdir = [Path(p) for p in args.inputs], Path(args.output_dir)
    tasks = collect(inputs, outdir)
    try:
        check_safe(inputs, tasks, outdir, args.report)
    except UsageError as exc:
        print(f"localpix: {exc}", file=sys.stderr)
        return 2
    if not tasks:
        print("localpix: no image files found in the given folders.", file=sys.stderr)
        return 1
    try:
        check_writable(outdir)
    except CannotWriteError as exc:
        print(f"localpix: {exc}", file=sys.stderr)
        return 1
    sweep_temporaries(outdir)

    progress = Progress(len(tasks), sys.stderr)
    outcomes: list[Outcome] = []
    claimed: set[Path] = set()
    pending: list[Task] = []
    for task in tasks:
        done = None if args.overwrite else finished_output(outdir, task, mode, options, claimed)
        if done is None:
            pending.append(task)
            continue
        outcome = Outcome(input=str(task.source), output=str(done), skipped=True,
                          input_bytes=task.source.stat().st_size,
                          output_bytes=done.stat().st_size)  # fmt: skip
        outcomes.append(outcome)
        progress.step(outcome)
    jobs = args.jobs or default_jobs()
    try:
        for task, result in zip(pending, _run_all(pending, mode, options, jobs), strict=True):
            outcome = Outcome(**result["outcome"])
            outcome.input = str(task.source)
            if result["data"] is not None and outcome.format is not None:
                path = output_path(outdir, task, outcome.format, claimed)
                try:
                    write_output(path, result["data"], args.overwrite)
                    outcome.output, outcome.output_bytes = str(path), len(result["data"])
                except FileExistsError as exc:
                    outcome.error, outcome.kind = str(exc), "FileExistsError"
                except OSError as exc:
                    if exc.errno in _FATAL_WRITE:
                        raise CannotWriteError(_cannot_write(path.parent, exc)) from exc
                    outcome.error = f"cannot write {path} ({exc.strerror or exc})"
                    outcome.kind = type(exc).__name__
            outcomes.append(outcome)
            progress.step(outcome)
    except KeyboardInterrupt:
        progress.finish()
        print("localpix: interrupted; run the same command again to finish the rest.",
              file=sys.stderr)
        return 130
    except CannotWriteError as exc:
        progress.finish()
        print(f"localpix: {exc}", file=sys.stderr)
        finish(outcomes, None)
        return 1
    progress.finish()
    return finish(outcomes, args.report)


def finish(outcomes: list[Outcome], report_path: Path | None) -> int:
    """Print the summary line, write the JSON report if asked; the exit status."""
    failed = [o for o in outcomes if o.error]
    done = [o for o in outcomes if not o.error]
    skipped = sum(o.skipped for o in outcomes)
    before = sum(o.input_bytes or 0 for o in done)
    after = sum(o.output_bytes or 0 for o in done)
    saved = 100 * (before - after) / before if before else 0.0
    earlier = f" ({skipped} done by an earlier run, kept)" if skipped else ""
    print(f"{len(outcomes)} files{earlier}, {len(failed)} failed, {_human(before)} -> "
          f"{_human(after)}, saved {saved:.0f}%")  # fmt: skip
    if report_path is not None:
        report = {
            "files": [asdict(o) for o in outcomes],
            "summary": {"files": len(outcomes), "failed": len(failed), "input_bytes": before,
                        "output_bytes": after},
        }  # fmt: skip
        try:
            report_path.parent.mkdir(parents=True, exist_ok=True)
            report_path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        except OSError as exc:
            print(f"localpix: cannot write the report {report_path}: {exc}", file=sys.stderr)
            return 1
    return 1 if failed else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

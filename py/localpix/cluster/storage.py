"""Where inputs come from and outputs go: local paths, or fsspec URLs (s3://, gs://, abfs://, ...
wherever the user has the fsspec backend installed). `file://` URLs are local paths.

Committing an output is the one place where a lost worker could do harm, so it follows one rule:
an output appears at its final name all at once (temporary name, then link/rename), and a name
that already holds exactly the bytes about to be written counts as committed: a retried batch,
or a worker lost after its commit but before its report reached the driver, writes nothing twice.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from ..adapters.cli import collect, write_output
from ..registry import EXTENSIONS


def is_url(location: str) -> bool:
    return "://" in location


def _remote(location: str) -> tuple[Any, str] | None:
    """(fsspec filesystem, its path) for a URL that is not on the local disk; None otherwise."""
    if not is_url(location):
        return None
    from fsspec.core import url_to_fs
    from fsspec.implementations.local import LocalFileSystem

    fs, path = url_to_fs(location)
    return None if isinstance(fs, LocalFileSystem) else (fs, path)


def is_local(location: str) -> bool:
    """A path or file:// URL: on this machine's disk (and, for a cluster, every worker's)."""
    return _remote(location) is None


def local_path(location: str) -> Path:
    """A local path or file:// URL as a Path."""
    if is_url(location):
        from fsspec.core import url_to_fs

        return Path(url_to_fs(location)[1])
    return Path(location)


def join(root: str, relative: str) -> str:
    """`relative` (a POSIX path) under the folder `root`, in `root`'s own spelling."""
    if _remote(root) is None and not is_url(root):
        return str(Path(root) / relative)
    return f"{root.rstrip('/')}/{relative}"


def relative_to(root: str, location: str) -> str:
    """The inverse of join: `location`'s POSIX path under `root`."""
    if _remote(root) is None and not is_url(root):
        return Path(location).relative_to(Path(root)).as_posix()
    return location[len(root.rstrip("/")) + 1 :]


def read_bytes(location: str) -> bytes:
    remote = _remote(location)
    if remote is None:
        return local_path(location).read_bytes()
    fs, path = remote
    return fs.cat_file(path)


@dataclass(frozen=True)
class Found:
    source: str  # as the user spelled it (path) or a full URL
    relative: str  # POSIX path under OUTDIR, before the extension is settled
    size: int
    mtime: float | None  # None where the store has no modification time


def _modified(info: dict[str, Any]) -> float | None:
    value = info.get("mtime", info.get("LastModified", info.get("last_modified")))
    if value is None:
        return None
    return value.timestamp() if hasattr(value, "timestamp") else float(value)


def find_inputs(inputs: list[str], outdir: str) -> list[Found]:
    """The images to process, in the local CLI's order and with its relative names: folders are
    searched recursively for image extensions, sorted, their structure mirrored under OUTDIR."""
    found: list[Found] = []
    seen: set[str] = set()
    for given in inputs:
        remote = _remote(given)
        if remote is None:
            for task in collect([local_path(given)], local_path(outdir)):
                key = str(task.source.resolve())
                if key not in seen:
                    seen.add(key)
                    stat = task.source.stat() if task.source.exists() else None
                    found.append(Found(str(task.source) if not is_url(given) else
                                       task.source.as_uri(), task.relative.as_posix(),
                                       stat.st_size if stat else 0,
                                       stat.st_mtime if stat else None))  # fmt: skip
            continue
        fs, root = remote
        if fs.isdir(root):
            out = _remote(outdir)
            skip = out[1].rstrip("/") + "/" if out and type(out[0]) is type(fs) else None
            listing = fs.find(root, detail=True)
            entries = sorted(
                (PurePosixPath(path), info) for path, info in listing.items()
                if PurePosixPath(path).suffix.lower() in EXTENSIONS
                and not (skip and path.startswith(skip))
            )  # fmt: skip
            base = PurePosixPath(root.rstrip("/"))
            pairs = [(path, path.relative_to(base), info) for path, info in entries]
        else:
            info = fs.info(root)
            pairs = [(PurePosixPath(root), PurePosixPath(PurePosixPath(root).name), info)]
        for path, relative, info in pairs:
            url = fs.unstrip_protocol(str(path))
            if url not in seen:
                seen.add(url)
                found.append(Found(url, relative.as_posix(), int(info.get("size") or 0),
                                   _modified(info)))  # fmt: skip
    return found


def _holds(fs: Any, path: str, data: bytes) -> bool:
    """Whether `path` exists with exactly `data` (size first: most differing files stop there)."""
    if fs is None:
        target = Path(path)
        return target.is_file() and target.stat().st_size == len(data) and \
            target.read_bytes() == data  # fmt: skip
    return bool(fs.exists(path)) and fs.size(path) == len(data) and fs.cat_file(path) == data


def commit(location: str, data: bytes, overwrite: bool) -> None:
    """Put `data` at `location` all at once, per the rule in this module's docstring. Raises
    FileExistsError for another file already there (unless `overwrite`), OSError otherwise."""
    remote = _remote(location)
    if remote is None:
        path = local_path(location)
        if _holds(None, str(path), data):
            return
        try:
            write_output(path, data, overwrite)  # the local CLI's: temporary name, then link
        except FileExistsError:
            if not _holds(None, str(path), data):  # another attempt of this batch won the race
                raise
        return
    fs, path = remote
    if _holds(fs, path, data):
        return
    if not overwrite and fs.exists(path):
        raise FileExistsError(f"{location} already exists (use --overwrite to replace it)")
    parent = path.rsplit("/", 1)[0] if "/" in path else ""
    temp = f"{parent}/.localpix-{uuid.uuid4().hex}.tmp" if parent else \
        f".localpix-{uuid.uuid4().hex}.tmp"  # fmt: skip
    fs.pipe_file(temp, data)
    try:
        fs.mv(temp, path)
    finally:
        if fs.exists(temp):
            fs.rm(temp)


def sweep_temporaries(folders: set[str]) -> int:
    """Delete the temporary files that workers killed mid-write left in these output folders
    (`.localpix-*.tmp`, from write_output or commit); how many."""
    removed = 0
    for folder in folders:
        remote = _remote(folder)
        if remote is None:
            temps: list[Any] = list(local_path(folder).glob(".localpix-*.tmp"))
            delete: Any = os.unlink
        else:
            fs, path = remote
            temps, delete = fs.glob(f"{path.rstrip('/')}/.localpix-*.tmp"), fs.rm
        for temp in temps:
            try:
                delete(temp)
                removed += 1
            except FileNotFoundError:
                pass
    return removed

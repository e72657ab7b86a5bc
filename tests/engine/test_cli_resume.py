"""The CLI never half-writes and never loses work: killed mid-batch (SIGKILL) it leaves only
complete outputs, the same command finishes the rest without redoing what was done, and a full
disk or a read-only output folder stops it with a clear error, a non-zero exit and the inputs
untouched. Each run is a real process (python -m localpix)."""

from __future__ import annotations

import hashlib
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image
from tests.conftest import CORPUS, ROOT

SMALL = ["photos/Canon_40D.jpg", "photos/Nikon_D70.jpg", "photos/Pentax_K10D.jpg"]
LARGE = ["large/jolla.jpg", "large/iphone_hdr_NO.jpg"]
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "py")}


def inputs_in(folder: Path, names: list[str]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in names:
        shutil.copyfile(CORPUS / name, folder / Path(name).name)
        paths.append(folder / Path(name).name)
    return paths


def fingerprint(paths: list[Path]) -> dict[str, tuple[str, int]]:
    return {p.name: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
            for p in paths}  # fmt: skip


def localpix(*args: object, **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "localpix", *map(str, args)], env=ENV,
                          capture_output=True, text=True, timeout=300, **kwargs)  # fmt: skip


def visible(outdir: Path) -> list[Path]:
    return sorted(p for p in outdir.iterdir() if not p.name.startswith("."))


def complete(path: Path) -> bool:
    with Image.open(path) as image:
        image.load()  # raises on a truncated file
    return True


def test_sigkill_mid_batch_leaves_complete_files_and_the_rerun_finishes(tmp_path: Path) -> None:
    inputs = inputs_in(tmp_path / "in", [*SMALL, *LARGE, "formats/meta.png"])
    before = fingerprint(inputs)
    outdir = tmp_path / "out"
    args = [*inputs, "-o", outdir, "-j", "1", "--quality", "80"]
    process = subprocess.Popen([sys.executable, "-m", "localpix", *map(str, args)], env=ENV,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if outdir.is_dir() and len(visible(outdir)) >= len(SMALL):
            break
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL, "the batch ended before it could be killed"
    written = visible(outdir)
    assert len(SMALL) <= len(written) < len(inputs)
    assert all(complete(p) for p in written)
    # what a kill during a write leaves: the dead process's temporary, never a final name
    orphan = outdir / f".localpix-{process.pid}-abc123.tmp"
    orphan.write_bytes(b"\xff\xd8 half a JPEG")
    first = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in written}

    rerun = localpix(*args, "--report", tmp_path / "report.json")
    assert rerun.returncode == 0, rerun.stderr
    assert sorted(p.name for p in visible(outdir)) == sorted(p.name for p in inputs)
    assert all(complete(p) for p in visible(outdir))
    assert not [p for p in outdir.iterdir() if p.name.startswith(".")]  # orphan swept
    for name, identity in first.items():  # finished files were not redone
        stat = (outdir / name).stat()
        assert (stat.st_ino, stat.st_mtime_ns) == identity, name
    report = json.loads((tmp_path / "report.json").read_text())["files"]
    assert sorted(Path(f["input"]).name for f in report if f["skipped"]) == sorted(first)
    assert f"({len(first)} done by an earlier run, kept)" in rerun.stdout

    again = localpix(*args)
    assert again.returncode == 0
    assert f"({len(inputs)} done by an earlier run, kept)" in again.stdout
    redo = localpix(*args, "--overwrite")
    assert redo.returncode == 0 and "earlier run" not in redo.stdout
    assert all((outdir / n).stat().st_mtime_ns != m for n, (_, m) in first.items())
    assert fingerprint(inputs) == before


def test_a_foreign_file_at_an_output_name_is_not_taken_for_done(tmp_path: Path) -> None:
    (inp,) = inputs_in(tmp_path / "in", SMALL[:1])
    outdir = tmp_path / "out"
    outdir.mkdir()
    (outdir / inp.name).write_bytes(b"not a JPEG at all")
    done = localpix(inp, "-o", outdir, "--quality", "80")
    assert done.returncode == 1 and "already exists" in done.stderr
    assert (outdir / inp.name).read_bytes() == b"not a JPEG at all"


def _limit_file_size() -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))


def _check_stopped_cleanly(done: subprocess.CompletedProcess[str], outdir: Path,
                           inputs: list[Path], before: dict, reason: str) -> None:
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if "cannot write to the output" in line]
    assert len(lines) == 1, done.stderr  # one message: the batch stopped, it did not go on
    assert reason in lines[0] and "run the same command again" in lines[0]
    assert all(complete(p) for p in visible(outdir)) if outdir.is_dir() else True
    if outdir.is_dir():
        assert not [p for p in outdir.rglob(".localpix-*")]
    assert fingerprint(inputs) == before


def test_file_size_limit_stops_the_batch_with_a_clear_error(tmp_path: Path) -> None:
    """A disk that fills up mid-batch, simulated portably: RLIMIT_FSIZE makes a write past
    20 KB fail (EFBIG) as ENOSPC would."""
    inputs = inputs_in(tmp_path / "in", ["photos/Canon_40D.jpg", *LARGE, *SMALL[1:]])
    before = fingerprint(inputs)
    outdir = tmp_path / "out"
    done = localpix(*inputs, "-o", outdir, "-j", "1", "--quality", "80",
                    preexec_fn=_limit_file_size)
    _check_stopped_cleanly(done, outdir, inputs, before, "larger than this process may write")
    assert [p.name for p in visible(outdir)] == ["Canon_40D.jpg"]  # the one before the limit


@pytest.fixture
def tmpfs(tmp_path: Path):
    """Mount a tiny tmpfs (root only; skipped where mounting is not allowed)."""
    mounts: list[Path] = []

    def mount(options: str) -> Path:
        where = tmp_path / f"mnt{len(mounts)}"
        where.mkdir()
        if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs",
                                                str(where)], capture_output=True).returncode:
            pytest.skip("cannot mount a tmpfs here")
        mounts.append(where)
        return where

    yield mount
    for where in mounts:
        subprocess.run(["umount", str(where)], check=False)


def test_full_disk_stops_the_batch_with_a_clear_error(tmp_path: Path, tmpfs) -> None:
    inputs = inputs_in(tmp_path / "in", ["photos/Canon_40D.jpg", *LARGE, *SMALL[1:]])
    before = fingerprint(inputs)
    outdir = tmpfs("size=64k")
    done = localpix(*inputs, "-o", outdir, "-j", "1", "--quality", "80")
    _check_stopped_cleanly(done, outdir, inputs, before, "the disk is full")


def test_read_only_output_folder_is_refused_before_any_work(tmp_path: Path, tmpfs) -> None:
    inputs = inputs_in(tmp_path / "in", SMALL)
    before = fingerprint(inputs)
    outdir = tmpfs("ro,size=64k")
    started = time.monotonic()
    done = localpix(*inputs, "-o", outdir / "cleaned")
    _check_stopped_cleanly(done, outdir / "cleaned", inputs, before, "read-only filesystem")
    assert time.monotonic() - started < 60  # refused up front, not after processing


def test_output_folder_without_write_permission(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root may write anywhere: the read-only mount above is root's case")
    inputs = inputs_in(tmp_path / "in", SMALL[:1])
    before = fingerprint(inputs)
    outdir = tmp_path / "locked"
    outdir.mkdir()
    outdir.chmod(0o555)
    try:
        done = localpix(*inputs, "-o", outdir)
    finally:
        outdir.chmod(0o755)
    _check_stopped_cleanly(done, outdir, inputs, before, "no permission to write there")

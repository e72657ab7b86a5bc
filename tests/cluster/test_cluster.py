"""`localpix --cluster`: a LocalCluster of 2 worker processes gives the local CLI's bytes and
reports, survives a killed worker and an interrupted driver, and leaves no private tag."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import CORPUS, ROOT
from tests.engine.metadata_helpers import exiftool_many, leftover

from localpix.adapters.cli import Outcome, Progress, UsageError, main
from localpix.cluster import driver, storage
from localpix.cluster.driver import MANIFEST_NAME, execute, manifest_path, partition, plan
from localpix.cluster.work import Item, Job, run_batch
from localpix.options import DEFAULT_QUALITY_TARGET, CompressOptions, Keep

distributed = pytest.importorskip("distributed")

# Name collisions (meta.gif/png/tif all become PNGs), every container, GPS photos, and files
# that must fail: what the cluster can get wrong, at a few seconds per run.
FOLDERS = ["formats", "gps", "broken"]
INPUTS = [str(CORPUS / folder) for folder in FOLDERS]
OPTIONS = CompressOptions(quality_target=DEFAULT_QUALITY_TARGET, keep=Keep())  # the CLI's defaults
SCHEDULER_PORT = 8150  # this worktree's ports: 8150-8159, loopback only


@pytest.fixture(scope="module")
def cluster() -> Any:
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
        scheduler_port=SCHEDULER_PORT, dashboard_address="127.0.0.1:8159",
        worker_port="8151:8154", port="8155:8158",  # port: the nannies
    ) as local:  # fmt: skip
        yield local


@pytest.fixture(scope="module")
def client(cluster: Any) -> Any:
    with distributed.Client(cluster.scheduler_address) as c:
        yield c


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """The local CLI's outputs and report over INPUTS."""
    out = tmp_path_factory.mktemp("local") / "out"
    report = out.parent / "report.json"
    main([*INPUTS, "-o", str(out), "--report", str(report), "-j", "1"])
    return out, json.loads(report.read_text())


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != MANIFEST_NAME and not p.name.startswith(MANIFEST_NAME)}


def same_report(ours: dict[str, Any], out: Path, reference: tuple[Path, dict[str, Any]]) -> None:
    text = json.dumps(ours).replace(str(out), "OUT")
    assert json.loads(text) == json.loads(json.dumps(reference[1]).replace(str(reference[0]),
                                                                           "OUT"))


def manifest_rows(path: Path) -> list[dict[str, Any]]:
    with sqlite3.connect(path) as db:
        db.row_factory = sqlite3.Row
        return [dict(row) for row in db.execute("select * from files")]


def wait_for_workers(client: Any, count: int = 2) -> None:
    client.wait_for_workers(count, timeout=60)


def job_for(out: Path) -> Job:
    return Job(outdir=str(out), options=OPTIONS, keep=Keep(), overwrite=False)


def test_same_bytes_and_report_as_the_local_cli(
    cluster: Any, client: Any, reference: tuple[Path, dict[str, Any]], tmp_path: Path, capsys,
    monkeypatch,
) -> None:
    monkeypatch.setattr(driver, "STATUS_EVERY", 0.0)  # a line of totals after every file
    out, report = tmp_path / "out", tmp_path / "report.json"
    code = main(["--cluster", cluster.scheduler_address, *INPUTS, "-o", str(out),
                 "--report", str(report), "--batch-size", "3"])  # fmt: skip
    stdout, stderr = capsys.readouterr()
    assert "localpix: 12 done, 5 failed, 0 remaining; saved " in stderr
    assert code == 1  # the broken/ files
    assert tree(out) == tree(reference[0])
    assert {"meta.png", "meta-2.png", "meta-3.png"} <= set(tree(out))
    same_report(json.loads(report.read_text()), out, reference)
    assert "17 files, 5 failed" in stdout
    assert "12 of 12 photos carried a GPS location; all removed." in stdout

    rows = {Path(r["path"]).name: r for r in manifest_rows(out / MANIFEST_NAME)}
    assert len(rows) == 17
    entries = {Path(e["input"]).name: e for e in reference[1]["files"]}
    for name, row in rows.items():
        data = Path(row["path"]).read_bytes()
        assert row["sha256_in"] == hashlib.sha256(data).hexdigest() and row["size"] == len(data)
        assert row["mode"] == "compress" and json.loads(row["settings"])["options"]["quality"] == 80
        result = json.loads(row["result"])
        assert result["error"] == entries[name]["error"]
        if row["output"] is None:
            assert row["error"] == 1 and row["sha256_out"] is None
        else:
            assert row["sha256_out"] == hashlib.sha256(Path(row["output"]).read_bytes()).hexdigest()
    assert len({r["worker"] for r in rows.values()}) == 2  # both workers took batches
    assert json.loads(rows["DSCN0010.jpg"]["privacy"])["gps"] == "removed"
    assert "48.8" not in rows["meta.jpg"]["privacy"]  # categories only, never the values


def test_no_private_tag_in_any_output(
    cluster: Any, tmp_path: Path, capsys
) -> None:
    out = tmp_path / "out"
    main(["--cluster", cluster.scheduler_address, *INPUTS, "-o", str(out), "--keep", "none"])
    capsys.readouterr()
    outputs = tree(out)
    assert len(outputs) == 12
    for name, tags in exiftool_many(outputs).items():
        assert not leftover(tags), name


class KillAWorker(Progress):
    """At the first finished file, SIGKILL a worker that is processing a batch."""

    def __init__(self, total: int, client: Any, stream: Any) -> None:
        super().__init__(total, stream)
        self.client, self.killed = client, None

    def step(self, outcome: Outcome) -> None:
        super().step(outcome)
        if self.killed is None:
            busy = [addr for addr, keys in self.client.processing().items() if keys]
            assert busy, "no batch was in flight to lose"
            pids = self.client.run(os.getpid, workers=busy[:1])
            os.kill(pids[busy[0]], signal.SIGKILL)
            self.killed = busy[0]


def test_a_killed_worker_loses_no_file_and_writes_none_twice(
    cluster: Any, client: Any, reference: tuple[Path, dict[str, Any]], tmp_path: Path, capsys
) -> None:
    wait_for_workers(client)
    out, report = tmp_path / "out", tmp_path / "report.json"
    found = plan(INPUTS, str(out), None)
    progress = KillAWorker(len(found), client, open(os.devnull, "w"))  # noqa: SIM115
    code = execute(cluster.scheduler_address, job_for(out), found, out / MANIFEST_NAME,
                   batch_size=1, report=report, progress=progress)  # fmt: skip
    capsys.readouterr()
    assert progress.killed is not None
    assert code == 1
    assert tree(out) == tree(reference[0])  # no file missing, none extra, no temporary left
    same_report(json.loads(report.read_text()), out, reference)
    rows = manifest_rows(out / MANIFEST_NAME)
    assert sorted(r["path"] for r in rows) == sorted(f.source for f in found)  # once each
    wait_for_workers(client)  # the nanny restarts the killed one for the next tests


class Interrupt(Progress):
    """Ctrl-C after `after` files."""

    def __init__(self, total: int, after: int) -> None:
        super().__init__(total, open(os.devnull, "w"))  # noqa: SIM115
        self.after = after

    def step(self, outcome: Outcome) -> None:
        super().step(outcome)
        if self.done == self.after:
            raise KeyboardInterrupt


def test_a_rerun_after_an_interruption_finishes_without_redoing(
    cluster: Any, client: Any, reference: tuple[Path, dict[str, Any]], tmp_path: Path, capsys
) -> None:
    wait_for_workers(client)
    out, report, manifest = tmp_path / "out", tmp_path / "report.json", tmp_path / "m.sqlite"
    found = plan(INPUTS, str(out), None)
    code = execute(cluster.scheduler_address, job_for(out), found, manifest, batch_size=2,
                   progress=Interrupt(len(found), after=4))  # fmt: skip
    assert code == 130
    first = {r["path"]: r for r in manifest_rows(manifest)}
    assert 4 <= len(first) < len(found)
    written = {r["output"]: os.stat(r["output"]) for r in first.values() if r["output"]}
    time.sleep(0.01)  # a rewrite would show in st_mtime_ns

    code = execute(cluster.scheduler_address, job_for(out), found, manifest, report=report)
    stdout = capsys.readouterr().out
    assert code == 1
    rows = {r["path"]: r for r in manifest_rows(manifest)}
    assert sorted(rows) == sorted(f.source for f in found)
    for path, row in first.items():
        assert rows[path] == row  # not redone: same run, same finish time
    assert {r["run"] for p, r in rows.items() if p not in first} == {2}
    for output, stat in written.items():
        now = os.stat(output)
        assert (now.st_ino, now.st_mtime_ns) == (stat.st_ino, stat.st_mtime_ns)
    assert tree(out) == tree(reference[0])
    same_report(json.loads(report.read_text()), out, reference)
    assert f"{len(found) - len(first)} processed" in stdout
    assert f"{len(first)} already done before this run" in stdout

    # Everything done: nothing is sent to the cluster at all.
    assert execute("tcp://127.0.0.1:1", job_for(out), found, manifest) == 1
    assert "0 processed" in capsys.readouterr().out


def test_file_urls_in_and_out(
    cluster: Any, reference: tuple[Path, dict[str, Any]], tmp_path: Path, capsys
) -> None:
    out = tmp_path / "out"
    code = main(["--cluster", cluster.scheduler_address,
                 *[Path(i).as_uri() for i in INPUTS], "-o", out.as_uri()])  # fmt: skip
    capsys.readouterr()
    assert code == 1
    assert tree(out) == tree(reference[0])


def test_naming_groups_stay_in_one_batch() -> None:
    items = [Item(i, f"in/{name}", name, 1, None) for i, name in enumerate(
        ["a.jpg", "b/a.jpg", "meta.gif", "meta.png", "meta-2.png", "x.jpg", "y.jpg"])]
    batches = partition(items, {}, "out", 1)
    assert [[i.relative for i in b] for b in batches] == [
        ["a.jpg"], ["b/a.jpg"], ["meta.gif", "meta.png", "meta-2.png"], ["x.jpg"], ["y.jpg"]]
    # An earlier run's output in a group is claimed, never recomputed.
    done = {"in/meta.png": {"output": "out/meta.png"}, "in/x.jpg": {"output": "out/x.jpg"}}
    batches = partition(items, done, "out", 10)
    (batch,) = batches
    assert [(i.relative, i.claimed) for i in batch] == [
        ("a.jpg", None), ("b/a.jpg", None), ("meta.gif", None), ("meta.png", "meta.png"),
        ("meta-2.png", None), ("y.jpg", None)]


def test_a_name_taken_by_an_earlier_run_is_not_reused(tmp_path: Path) -> None:
    """A file added to a naming group after a run gets a free name, not the taken one."""
    job = job_for(tmp_path / "out")
    png = Item(1, str(CORPUS / "formats/meta.png"), "meta.png", 0, None)
    (first,) = run_batch(job, [png])
    assert first["output"] == str(tmp_path / "out/meta.png")
    gif = Item(0, str(CORPUS / "formats/meta.gif"), "meta.gif", 0, None)
    (second,) = run_batch(job, [gif, replace(png, claimed="meta.png")])
    assert second["result"]["error"] is None
    assert second["output"] == str(tmp_path / "out/meta-2.png")


def test_commit_is_atomic_and_idempotent(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "photo.jpg"
    storage.commit(str(target), b"first", overwrite=False)
    before = os.stat(target)
    time.sleep(0.01)
    storage.commit(str(target), b"first", overwrite=False)  # a retried batch: nothing written
    storage.commit(str(target), b"first", overwrite=True)
    after = os.stat(target)
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    with pytest.raises(FileExistsError, match="--overwrite"):
        storage.commit(str(target), b"other", overwrite=False)
    storage.commit(str(target), b"other", overwrite=True)
    assert target.read_bytes() == b"other"
    assert sorted(p.name for p in target.parent.iterdir()) == ["photo.jpg"]
    # A temporary left by a worker killed mid-write is swept at the end of a run.
    (target.parent / ".localpix-dead.tmp").write_bytes(b"half")
    assert storage.sweep_temporaries({str(target.parent)}) == 1


def test_an_object_store_through_fsspec() -> None:
    """memory:// stands in for s3:// and the like: listing, reading, committing, sweeping."""
    fsspec = pytest.importorskip("fsspec")
    fs = fsspec.filesystem("memory")
    for name in ("meta.jpg", "meta.png", "trailer.jpg"):
        fs.pipe_file(f"/lpx/in/sub/{name}", (CORPUS / "formats" / name).read_bytes())
    found = plan(["memory://lpx/in"], "memory://lpx/out", None)
    assert [(f.relative, f.size) for f in found] == [
        (f"sub/{n}", (CORPUS / "formats" / n).stat().st_size)
        for n in ("meta.jpg", "meta.png", "trailer.jpg")]
    job = Job(outdir="memory://lpx/out", options=OPTIONS, keep=Keep(), overwrite=False)
    items = [Item(i, f.source, f.relative, f.size, f.mtime) for i, f in enumerate(found)]
    records = run_batch(job, items)
    assert [r["output"] for r in records] == [
        "memory://lpx/out/sub/meta.jpg", "memory://lpx/out/sub/meta.png",
        "memory://lpx/out/sub/trailer.jpg"]
    for record in records:
        data = storage.read_bytes(record["output"])
        assert hashlib.sha256(data).hexdigest() == record["sha256_out"]
        assert set(leftover(exiftool_many({"x": data})["x"])) <= {"IFD0:Orientation"}

    def unstamped(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{k: v for k, v in r.items() if k != "finished"} for r in records]

    assert unstamped(run_batch(job, items)) == unstamped(records)  # a retry changes nothing
    assert not fs.glob("/lpx/out/sub/.localpix-*")
    with pytest.raises(UsageError, match="not on this machine"):
        manifest_path("memory://lpx/out", None)
    fs.rm("/lpx", recursive=True)


def test_the_benchmark_runs(
    cluster: Any, client: Any, tmp_path: Path, monkeypatch, capsys
) -> None:
    """scripts/bench_cluster.py on two files against the running cluster, so it cannot rot."""
    wait_for_workers(client)
    sys.path.insert(0, str(ROOT / "scripts"))
    import bench_cluster

    result = tmp_path / "bench.json"
    monkeypatch.setattr(sys, "argv", [
        "bench_cluster", "--scheduler", cluster.scheduler_address, "--repeat", "1", "--tiny", "5",
        "--json", str(result), str(CORPUS / "formats/meta.jpg"), str(CORPUS / "gps")])
    assert bench_cluster.main_bench() == 0
    rows = json.loads(result.read_text())["rows"]
    assert json.loads(result.read_text())["files"] == 6
    assert set(rows) == {
        "local -j 1", "local -j 2", "dask 2 workers", "dask 2 workers / local -j 2",
        "local -j 1 CPU ms/file", "local -j 2 CPU ms/file", "dask 2 workers CPU ms/file",
        "dask 2 workers / local -j 2, by CPU time"}
    assert all(value > 0 for value in rows.values())
    assert "overhead ms/file, batch size 1" in capsys.readouterr().out


def test_local_n_starts_and_stops_its_own_cluster(tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    assert main(["--cluster", "local:1", str(CORPUS / "gps/DSCN0010.jpg"), "-o", str(out)]) == 0
    assert tree(out) == {"DSCN0010.jpg": (tmp_path / "out/DSCN0010.jpg").read_bytes()}
    assert "The photo carried a GPS location; removed." in capsys.readouterr().out
    assert main(["--cluster", "local:0", str(CORPUS / "gps"), "-o", str(tmp_path / "b")]) == 2
    assert "write local:N" in capsys.readouterr().err


def test_local_workers_keep_glibcs_dynamic_mmap_threshold(monkeypatch) -> None:
    """Dask's default MALLOC_TRIM_THRESHOLD_ costs the engine ~45 % CPU (driver.WORKER_CONFIG)."""
    import os

    from localpix.cluster.driver import connect

    # The module's own LocalCluster (Dask's defaults) set it in this process's environment,
    # which new workers would inherit; `localpix --cluster local:N` starts only its own.
    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)

    with connect("local:1") as client:
        found = client.run(lambda: os.environ.get("MALLOC_TRIM_THRESHOLD_"))
    assert list(found.values()) == [None]

"""The fuzz harness in CI: every target runs briefly under atheris (so the harness cannot rot and
shallow crashes show at once), and every input kept under regressions/TARGET/ (each crash the
long runs found, and hand-made hostile inputs: bombs, entity expansion) is replayed: each must
pass, i.e. return or raise a LocalpixError, within 10 s."""

from __future__ import annotations

import hashlib
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from tests.fuzz.targets import ENGINE, ROOT, regression_files

# A few hundred executions or 1 s per target (plus ~1 s to instrument): under a minute in all.
RUNS, SECONDS = 300, 1


@pytest.mark.parametrize("name", list(ENGINE))
def test_target_runs_under_atheris(name: str, tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    count = 0
    for data in ENGINE[name].seeds():
        (seeds / hashlib.sha1(data).hexdigest()).write_bytes(data)
        count += 1
    assert count, f"{name} has no seeds: is ../shared/corpus/ there?"
    done = subprocess.run(
        [sys.executable, "-m", "tests.fuzz.atheris_main", name, f"-runs={RUNS}",
         f"-max_total_time={SECONDS}", "-timeout=10", "-rss_limit_mb=2048",
         "-print_final_stats=1", f"-artifact_prefix={tmp_path}/", str(seeds)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    log = done.stderr[-3000:]
    assert done.returncode == 0, log
    runs = re.search(r"stat::number_of_executed_units: (\d+)", done.stderr)
    assert runs and int(runs[1]) >= count, log  # at least every seed ran


REGRESSIONS = regression_files()


@pytest.mark.parametrize(("name", "path"), REGRESSIONS,
                         ids=[f"{n}/{p.name}" for n, p in REGRESSIONS])
def test_regression(name: str, path: Path) -> None:
    def hang(signum, frame):
        raise AssertionError(f"{name} ran over 10 s on {path.name}")

    previous = signal.signal(signal.SIGALRM, hang)
    signal.alarm(10)
    try:
        ENGINE[name].run(path.read_bytes())
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_every_regression_names_a_target() -> None:
    assert {name for name, _ in REGRESSIONS} <= set(ENGINE)

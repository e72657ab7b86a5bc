"""The command line: writes the good files, reports the bad ones, never touches an input."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image
from tests.conftest import CORPUS, ROOT

from localpix import Keep, clean
from localpix.adapters.cli import main, parse_size

GOOD = ["photos/Canon_40D.jpg", "formats/meta.jpg", "gps/DSCN0010.jpg"]
BROKEN = ["broken/empty.jpg", "broken/not-an-image.jpg", "broken/truncated.jpg",
          "broken/bad-crc.png", "broken/bomb-40000x40000.png"]  # fmt: skip


def copy_inputs(folder: Path, names: list[str]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in names:
        target = folder / Path(name).name
        shutil.copyfile(CORPUS / name, target)
        paths.append(target)
    return paths


def digest(paths: list[Path]) -> dict[Path, str]:
    return {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


def run(args: list[str], capsys) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_mix_of_good_and_broken(tmp_path: Path, capsys) -> None:
    inputs = copy_inputs(tmp_path / "in", GOOD + BROKEN)
    before = digest(inputs)
    outdir = tmp_path / "out"
    report = tmp_path / "report.json"
    code, out, err = run([*inputs, "-o", outdir, "--report", report, "-j", "1"], capsys)
    assert code == 1
    assert "Traceback" not in out + err
    for name in GOOD:
        written = outdir / Path(name).name
        assert written.is_file() and Image.open(written).format == "JPEG"
    assert sorted(p.name for p in outdir.iterdir()) == sorted(Path(n).name for n in GOOD)
    failure_lines = [line for line in err.splitlines() if line.startswith("localpix: ")]
    assert len(failure_lines) == len(BROKEN)
    for name in BROKEN:
        assert sum(Path(name).name in line for line in failure_lines) == 1
    assert "8 files, 5 failed" in out and "saved" in out
    assert digest(inputs) == before  # inputs untouched

    entries = {Path(e["input"]).name: e for e in json.loads(report.read_text())["files"]}
    assert set(entries) == {Path(n).name for n in GOOD + BROKEN}
    for name in GOOD:
        entry = entries[Path(name).name]
        assert entry["error"] is None and entry["format"] == "jpeg"
        assert entry["output"] == str(outdir / Path(name).name)
        assert entry["input_bytes"] == (CORPUS / name).stat().st_size
        assert entry["output_bytes"] == Path(entry["output"]).stat().st_size
        assert entry["output_bytes"] <= entry["input_bytes"]
    assert "GPS position" in entries["DSCN0010.jpg"]["removed"]
    assert entries["empty.jpg"]["kind"] == "CorruptImageError"
    assert entries["not-an-image.jpg"]["kind"] == "UnsupportedFormatError"
    assert entries["bomb-40000x40000.png"]["kind"] == "ImageTooLargeError"
    assert entries["bad-crc.png"]["kind"] == "CorruptImageError"
    for name in BROKEN:
        entry = entries[Path(name).name]
        assert entry["output"] is None and entry["error"]


def test_module_entry_point_has_no_traceback(tmp_path: Path) -> None:
    inputs = copy_inputs(tmp_path / "in", ["photos/Canon_40D.jpg", "broken/truncated.jpg"])
    proc = subprocess.run(
        [sys.executable, "-m", "localpix", *map(str, inputs), "-o", str(tmp_path / "out"),
         "-j", "2"],
        capture_output=True, text=True, timeout=120, cwd=ROOT, check=False,
    )  # fmt: skip
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "truncated.jpg" in proc.stderr
    assert (tmp_path / "out" / "Canon_40D.jpg").is_file()


def test_all_good_exits_zero(tmp_path: Path, capsys) -> None:
    inputs = copy_inputs(tmp_path / "in", GOOD)
    code, out, _ = run([*inputs, "-o", tmp_path / "out"], capsys)
    assert code == 0
    assert "3 files, 0 failed" in out


@pytest.mark.parametrize("where", ["same", "parent", "outdir_is_input_folder"])
def test_refuses_output_folder_containing_an_input(tmp_path: Path, capsys, where: str) -> None:
    folder = tmp_path / "photos"
    inputs = copy_inputs(folder, GOOD[:1])
    before = digest(inputs)
    if where == "same":
        args = [*inputs, "-o", folder]
    elif where == "parent":
        args = [*inputs, "-o", tmp_path]
    else:
        args = [folder, "-o", tmp_path]
    code, _, err = run(args, capsys)
    assert code == 2
    assert "contains the input" in err and "Traceback" not in err
    assert digest(inputs) == before
    assert sorted(folder.iterdir()) == inputs


def test_never_overwrites_existing_outputs_unless_asked(tmp_path: Path, capsys) -> None:
    inputs = copy_inputs(tmp_path / "in", GOOD[:1])
    outdir = tmp_path / "out"
    outdir.mkdir()
    existing = outdir / inputs[0].name
    existing.write_bytes(b"precious")
    code, _, err = run([*inputs, "-o", outdir], capsys)
    assert code == 1
    assert "already exists" in err and "--overwrite" in err
    assert existing.read_bytes() == b"precious"
    code, _, _ = run([*inputs, "-o", outdir, "--overwrite"], capsys)
    assert code == 0
    assert Image.open(existing).format == "JPEG"
    assert not [p for p in outdir.iterdir() if p.name.startswith(".localpix-")]  # no temp left


def test_strip_only_is_the_lossless_clean(tmp_path: Path, capsys) -> None:
    inputs = copy_inputs(tmp_path / "in", ["formats/meta.jpg"])
    code, _, _ = run([*inputs, "-o", tmp_path / "out", "--strip-only", "--keep", "none"],
                     capsys)
    assert code == 0
    expected = clean(inputs[0].read_bytes(), keep=Keep(False, False, False, False))
    assert (tmp_path / "out" / "meta.jpg").read_bytes() == expected


def test_format_change_renames_and_options_apply(tmp_path: Path, capsys) -> None:
    inputs = copy_inputs(tmp_path / "in", ["gps/DSCN0010.jpg"])
    code, _, _ = run([*inputs, "-o", tmp_path / "out", "--format", "webp", "--quality", "50",
                      "--max-size", "300", "--keep", "copyright,date_taken"], capsys)
    assert code == 0
    out = Image.open(tmp_path / "out" / "DSCN0010.webp")
    assert out.format == "WEBP" and max(out.size) == 300


def test_target_size(tmp_path: Path, capsys) -> None:
    inputs = copy_inputs(tmp_path / "in", ["gps/DSCN0010.jpg"])
    report = tmp_path / "r.json"
    code, _, _ = run([*inputs, "-o", tmp_path / "out", "--target-size", "40KB",
                      "--report", report], capsys)
    assert code == 0
    assert (tmp_path / "out" / "DSCN0010.jpg").stat().st_size <= 40_000
    (entry,) = json.loads(report.read_text())["files"]
    assert "40.0 KB" in entry["note"]


def test_quality_target_picks_the_quality_per_score(tmp_path: Path, capsys) -> None:
    # --max-size makes it re-encode: at 90 the camera's own file may be the smaller one.
    inputs = copy_inputs(tmp_path / "in", ["gps/DSCN0010.jpg"])
    sizes = {}
    for score in (60, 90):
        report = tmp_path / f"r{score}.json"
        code, _, _ = run([*inputs, "-o", tmp_path / f"out{score}", "--quality-target", score,
                          "--max-size", 400, "--report", report], capsys)
        assert code == 0
        (entry,) = json.loads(report.read_text())["files"]
        assert f"target {score}" in entry["note"]
        sizes[score] = (tmp_path / f"out{score}" / "DSCN0010.jpg").stat().st_size
    assert sizes[60] < sizes[90]


def test_folders_are_searched_and_mirrored(tmp_path: Path, capsys) -> None:
    root = tmp_path / "album"
    copy_inputs(root / "a", ["photos/Canon_40D.jpg"])
    copy_inputs(root / "b", ["photos/Canon_40D.jpg", "photos/Nikon_D70.jpg"])
    (root / "notes.txt").write_text("not an image")
    outdir = tmp_path / "out"
    code, out, _ = run([root, "-o", outdir, "-j", "2"], capsys)
    assert code == 0
    assert "3 files, 0 failed" in out
    written = sorted(str(p.relative_to(outdir)) for p in outdir.rglob("*") if p.is_file())
    assert written == ["a/Canon_40D.jpg", "b/Canon_40D.jpg", "b/Nikon_D70.jpg"]


def test_same_name_from_two_folders_gets_a_suffix(tmp_path: Path, capsys) -> None:
    first = copy_inputs(tmp_path / "x", ["photos/Canon_40D.jpg"])
    second = copy_inputs(tmp_path / "y", ["photos/Canon_40D.jpg"])
    outdir = tmp_path / "out"
    code, _, _ = run([*first, *second, "-o", outdir], capsys)
    assert code == 0
    assert sorted(p.name for p in outdir.iterdir()) == ["Canon_40D-2.jpg", "Canon_40D.jpg"]


def test_parallel_matches_serial(tmp_path: Path, capsys) -> None:
    inputs = copy_inputs(tmp_path / "in", GOOD)
    run([*inputs, "-o", tmp_path / "serial", "-j", "1"], capsys)
    run([*inputs, "-o", tmp_path / "parallel", "-j", "3"], capsys)
    for path in inputs:
        assert (tmp_path / "serial" / path.name).read_bytes() == (
            tmp_path / "parallel" / path.name
        ).read_bytes()


def test_parallel_after_this_process_encoded_a_png(tmp_path: Path) -> None:
    """A process that has encoded a PNG (oxipng's thread pool alive) then runs -j 2: the pool's
    children must not inherit that pool half-alive (they used to spin forever on a PNG)."""
    inputs = copy_inputs(tmp_path / "in", ["formats/meta.png", "formats/meta.jpg"])
    script = (
        "import sys; from localpix import compress; from localpix.adapters.cli import main\n"
        "if __name__ == '__main__':\n"
        f"    compress(open({str(inputs[0])!r}, 'rb').read())\n"
        f"    sys.exit(main([{str(inputs[0])!r}, {str(inputs[1])!r}, '-o', "
        f"{str(tmp_path / 'out')!r}, '-j', '2']))\n"
    )
    (tmp_path / "run.py").write_text(script)
    done = subprocess.run([sys.executable, str(tmp_path / "run.py")], capture_output=True,
                          text=True, timeout=120, cwd=ROOT)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["meta.jpg", "meta.png"]


@pytest.mark.parametrize(
    "args",
    [
        ["--keep", "gps"],
        ["--target-size", "lots"],
        ["--quality", "0"],
        ["--format", "gif"],
        ["--strip-only", "--quality", "50"],
        ["--strip-only", "--quality-target", "80"],
        ["--quality", "70", "--quality-target", "80"],
        ["--quality-target", "20"],
        ["-j", "0"],
        ["--max-size", "-3"],
    ],
)
def test_bad_usage_exits_2(tmp_path: Path, args: list[str]) -> None:
    inputs = copy_inputs(tmp_path / "in", GOOD[:1])
    with pytest.raises(SystemExit) as info:
        main([*map(str, inputs), "-o", str(tmp_path / "out"), *args])
    assert info.value.code == 2
    assert not (tmp_path / "out").exists()


def test_missing_input_is_a_failure_not_a_crash(tmp_path: Path, capsys) -> None:
    inputs = copy_inputs(tmp_path / "in", GOOD[:1])
    code, _, err = run([*inputs, tmp_path / "nope.jpg", "-o", tmp_path / "out"], capsys)
    assert code == 1
    assert "nope.jpg" in err and "cannot read" in err
    assert (tmp_path / "out" / inputs[0].name).is_file()


def test_progress_is_plain_lines_when_not_a_terminal(tmp_path: Path, capsys) -> None:
    inputs = copy_inputs(tmp_path / "in", GOOD[:2])
    _, _, err = run([*inputs, "-o", tmp_path / "out"], capsys)
    assert "[1/2]" in err and "[2/2]" in err and "\r" not in err


@pytest.mark.parametrize(
    ("text", "size"),
    [("200KB", 200_000), ("200kb", 200_000), ("1.5MB", 1_500_000), ("300KiB", 307_200),
     ("2MiB", 2 * 1024 * 1024), ("5000", 5000), ("5000B", 5000), ("64 k", 64_000)],
)  # fmt: skip
def test_parse_size(text: str, size: int) -> None:
    assert parse_size(text) == size


def test_written_file_is_not_empty(tmp_path: Path, capsys) -> None:
    inputs = copy_inputs(tmp_path / "in", GOOD[:1])
    run([*inputs, "-o", tmp_path / "out"], capsys)
    data = (tmp_path / "out" / inputs[0].name).read_bytes()
    Image.open(io.BytesIO(data)).load()


def test_progress_bar_on_a_terminal() -> None:
    from localpix.adapters.cli import Outcome, Progress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Terminal()
    progress = Progress(2, stream)
    progress.step(Outcome(input="a.jpg", output="out/a.jpg", input_bytes=10, output_bytes=5))
    progress.step(Outcome(input="b.jpg", error="The file is damaged."))
    progress.finish()
    text = stream.getvalue()
    assert "\r[" in text and "1/2" in text and "2/2" in text
    assert "localpix: b.jpg: The file is damaged.\n" in text
    assert "[1/2] a.jpg ->" not in text  # no per-file lines on a terminal, the bar is enough


def test_default_is_the_apps_automatic_quality_and_quality_n_is_fixed(tmp_path: Path,
                                                                       capsys) -> None:
    inputs = copy_inputs(tmp_path / "in", ["gps/DSCN0010.jpg"])
    notes = {}
    for name, extra in (("default", []), ("fixed", ["--quality", "70"])):
        report = tmp_path / f"{name}.json"
        code, _, _ = run([*inputs, "-o", tmp_path / name, "--report", report, *extra], capsys)
        assert code == 0
        (entry,) = json.loads(report.read_text())["files"]
        notes[name] = entry["note"]
    assert "Automatic quality" in notes["default"] and "target 80" in notes["default"]
    assert "Automatic quality" not in notes["fixed"]

"""Shared test helpers: where the corpus is, and ExifTool as the independent judge."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from localpix import (
    CorruptImageError,
    ImageTooLargeError,
    TruncatedImageError,
    UnsupportedFormatError,
)

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
# The files in CORPUS/broken/ and the errors the engine may answer each with.
BROKEN = {
    "empty.jpg": (CorruptImageError,),
    "not-an-image.jpg": (UnsupportedFormatError,),
    "truncated.jpg": (TruncatedImageError, CorruptImageError),
    "bad-crc.png": (CorruptImageError,),
    "bomb-40000x40000.png": (ImageTooLargeError,),
}


def corpus_files(*folders: str, suffixes: tuple[str, ...] = ()) -> list[Path]:
    """Image files in corpus folders, sorted, so test ids are stable."""
    files: list[Path] = []
    for folder in folders:
        for path in sorted((CORPUS / folder).iterdir()):
            if path.name in ("LICENSE", "README.md"):
                continue
            if suffixes and path.suffix.lower() not in suffixes:
                continue
            files.append(path)
    return files


def exiftool(data: bytes) -> dict[str, object]:
    """Every tag ExifTool finds in `data`, as {"Group:Tag": value}, read from stdin."""
    if shutil.which("exiftool") is None:
        pytest.fail("exiftool is missing: run scripts/setup (Debian libimage-exiftool-perl)")
    proc = subprocess.run(
        ["exiftool", "-j", "-a", "-G1", "-b", "-"],
        input=data,
        capture_output=True,
        check=False,
        timeout=60,
    )
    if not proc.stdout.strip():
        raise AssertionError(f"exiftool gave no output: {proc.stderr.decode(errors='replace')}")
    (tags,) = json.loads(proc.stdout)
    return tags


# Groups/tags ExifTool reports about the file itself or the decoded image, not metadata.
STRUCTURAL_GROUPS = {"ExifTool", "System", "File", "Composite"}


def metadata_tags(tags: dict[str, object]) -> dict[str, object]:
    """ExifTool's tags minus the ones that describe the container/pixels rather than metadata."""
    return {
        key: value
        for key, value in tags.items()
        if ":" in key and key.split(":", 1)[0] not in STRUCTURAL_GROUPS and key != "SourceFile"
    }


@pytest.fixture(scope="session")
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.fail(f"test corpus not found at {CORPUS} (it lives beside the project root)")
    return CORPUS

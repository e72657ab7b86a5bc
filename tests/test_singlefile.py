"""dist/localpix.html, read as a browser would parse it: self-contained, and under a strict CSP
that lets exactly its own inline scripts and styles run (tests/browser/test_offline.py runs it)."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import lzma
import re
import subprocess
import sys
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import singlefile  # noqa: E402

EXECUTED_TYPES = {"", "text/javascript", "application/javascript", "module"}


class Parsed(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.scripts: list[tuple[dict[str, str], str]] = []
        self.styles: list[str] = []
        self.csp = ""
        self._open: tuple[str, dict[str, str]] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        self.tags.append((tag, values))
        if tag == "meta" and values.get("http-equiv", "").lower() == "content-security-policy":
            assert not self.csp, "two CSP meta tags"
            self.csp = values["content"]
        if tag in ("script", "style"):
            self._open, self._text = (tag, values), []

    def handle_data(self, data: str) -> None:
        if self._open:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._open and tag == self._open[0]:
            text = "".join(self._text)
            if tag == "script":
                self.scripts.append((self._open[1], text))
            else:
                self.styles.append(text)
            self._open = None


def source_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


@pytest.fixture(scope="module")
def dist() -> Path:
    subprocess.run([sys.executable, str(ROOT / "scripts" / "build"), "--if-stale"], check=True)
    return ROOT / "dist"


@pytest.fixture(scope="module")
def page(dist: Path) -> tuple[str, Parsed]:
    # Latin-1: one character per byte, so the data blocks' characters are their bytes (the page
    # says windows-1252, which differs from Latin-1 only in characters the markup never uses).
    text = (dist / "localpix.html").read_bytes().decode("latin-1")
    parsed = Parsed()
    parsed.feed(text)
    parsed.close()
    return text, parsed


def policy(parsed: Parsed) -> dict[str, list[str]]:
    directives = {}
    for part in parsed.csp.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def test_nothing_is_loaded_from_outside_the_file(page: tuple[str, Parsed]) -> None:
    text, parsed = page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", text, re.I)
    for tag, attrs in parsed.tags:
        for name in ("src", "href"):
            value = attrs.get(name)
            if value is None or (tag == "a" and name == "href"):
                continue  # a link the user may click is not a load
            assert value.startswith(("data:", "blob:", "#")), f"<{tag} {name}={value[:60]!r}>"
        if tag == "link":
            assert attrs.get("rel") not in ("stylesheet", "manifest", "preload", "modulepreload")


def test_strict_policy_with_a_hash_for_every_inline_script_and_style(
    page: tuple[str, Parsed],
) -> None:
    _, parsed = page
    directives = policy(parsed)
    assert set(directives) == {"default-src", "script-src", "worker-src", "connect-src", "img-src",
                               "style-src", "form-action", "base-uri", "object-src",
                               "require-trusted-types-for", "trusted-types"}
    assert directives["require-trusted-types-for"] == ["'script'"]
    assert sorted(directives["trusted-types"]) == ["localpix", "localpix-singlefile"]
    assert directives["default-src"] == ["'none'"]
    assert directives["worker-src"] == ["blob:"]
    assert directives["connect-src"] == ["blob:"]
    assert sorted(directives["img-src"]) == ["blob:", "data:"]
    for name in ("form-action", "base-uri", "object-src"):
        assert directives[name] == ["'none'"]
    assert "unsafe-inline" not in parsed.csp and "'unsafe-eval'" not in parsed.csp
    assert "http" not in parsed.csp and "'self'" not in parsed.csp and "*" not in parsed.csp

    executed = [text for attrs, text in parsed.scripts
                if attrs.get("type", "").lower() in EXECUTED_TYPES]
    assert executed and not [a for a, _ in parsed.scripts if "src" in a]
    script_src = set(directives["script-src"])
    assert script_src - {source_hash(t) for t in executed} == {"blob:", "'wasm-unsafe-eval'"}
    for text in executed:
        assert source_hash(text) in script_src, text[:200]
    assert parsed.styles
    assert set(directives["style-src"]) == {source_hash(s) for s in parsed.styles}


def test_every_page_script_is_inlined_in_order(dist: Path, page: tuple[str, Parsed]) -> None:
    _, parsed = page
    index = (dist / "index.html").read_text()
    wanted = re.findall(r'<script\b[^>]*\bsrc="([^"]+)"', index)
    assert wanted, "index.html loads no scripts?"
    executed = [text for attrs, text in parsed.scripts
                if attrs.get("type", "").lower() in EXECUTED_TYPES]
    # page-boot first, then the app's scripts exactly as dist/ has them.
    assert "localpix-singlefile-assets" in executed[0]
    # ...in ASCII (the page is windows-1252): non-ASCII characters as \\u escapes.
    assert executed[1:] == [singlefile.js_ascii((dist / src).read_text()) for src in wanted]


def test_ascii_escaped_scripts_are_the_same_program(tmp_path: Path) -> None:
    source = """// a comment with an arrow →
const values = ["née — “quoted” ✓", `template × ${1 + 1} 📷`, /[–—]+/u.test("a–—b"),
  /📷/u.test("📷"), "📷".length, [..."📷é"].length, { "clé": "ü" }.clé];
console.log(JSON.stringify(values));
"""
    outputs = []
    for text in (source, singlefile.js_ascii(source)):
        assert text == source or text.isascii()
        script = tmp_path / "script.js"
        script.write_text(text, encoding="utf-8")
        outputs.append(subprocess.run(["node", str(script)], check=True, capture_output=True,
                                      text=True).stdout)
    assert outputs[0] == outputs[1] and "\\u" not in outputs[0]


def test_everything_but_the_data_blocks_is_ascii_and_read_as_windows_1252(
    page: tuple[str, Parsed],
) -> None:
    text, parsed = page
    blocks = [t for a, t in parsed.scripts if a.get("type") == "application/x-localpix-asset"]
    assert blocks
    rest = text
    for block in blocks:
        # No byte the HTML parser would change (NUL, CR) or that could end the block ('<').
        assert not set(block) & {"\0", "\r", "<"}
        rest = rest.replace(block, "", 1)
    assert rest.isascii(), sorted({c for c in rest if not c.isascii()})[:10]
    assert '<meta charset="windows-1252">' in text[:1024]
    assert "charset=\"utf-8\"" not in text


def members(archive: bytes) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(archive)) as z:
        return [(m.filename, z.read(m)) for m in z.infolist()]


def test_the_worker_gets_the_exact_runtime(dist: Path, page: tuple[str, Parsed]) -> None:
    _, parsed = page
    embedded = {attrs["data-path"]: lzma.decompress(singlefile.unblock_text(text.encode("latin-1")))
                for attrs, text in parsed.scripts
                if attrs.get("type") == "application/x-localpix-asset"}
    info = json.loads((dist / "build-info.json").read_text())
    lock = json.loads((dist / "pyodide" / "pyodide-lock.json").read_text())
    wheels = [f"pyodide/{p['file_name']}" for p in lock["packages"].values()]
    needed = {"worker.js", "build-info.json", info["engine_wheel"], "pyodide/pyodide-lock.json",
              "pyodide/pyodide.js", "pyodide/pyodide.asm.js", "pyodide/pyodide.asm.wasm",
              "pyodide/python_stdlib.zip", *wheels}
    assert needed <= set(embedded)
    assert "app.js" not in embedded, "the page's own scripts are inlined, not embedded twice"
    for name, data in embedded.items():
        original = (dist / name).read_bytes()
        if name.endswith((".whl", ".zip")):
            # Re-stored, member for member, so xz sees the contents.
            assert members(data) == members(original), name
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                assert {m.compress_type for m in z.infolist()} == {zipfile.ZIP_STORED}, name
        elif name != "build-info.json":
            assert data == original, name
    # The embedded build-info.json vouches for the archives the worker gets, as it checks them.
    embedded_info = json.loads(embedded["build-info.json"])
    for table in ("load", "lazy", "download"):
        assert set(embedded_info[table]) == set(info[table])
    for name, sha in {**embedded_info["load"], **embedded_info["lazy"]}.items():
        assert sha == hashlib.sha256(embedded[name]).hexdigest(), name
    for name, size in embedded_info["download"].items():
        assert size == len(embedded[name]), name
    unchanged = {k: v for k, v in info.items() if k not in ("load", "lazy", "download")}
    assert {k: embedded_info[k] for k in unchanged} == unchanged
    for attrs, text in parsed.scripts:
        if attrs.get("id") == "localpix-worker-boot":
            assert attrs.get("type") == "text/plain" and "LOCALPIX_BASE" in text
            break
    else:
        pytest.fail("no worker boot block")

"""dist/localpix.html: the whole app in one HTML file that works opened straight from disk
(file://, no server, network off) — the copy people keep on a USB stick.

Everything is derived from the assembled dist/index.html, so the file keeps up as the UI grows:
- every `<script src>` is inlined, in document order, as a classic inline script at the end of
  <body> (where the DOM exists, as it does for the `defer` originals);
- every stylesheet `<link>` becomes a `<style>`; icons become data: URLs; links a file:// page
  cannot use (manifest, preload) are dropped;
- the files the engine worker loads (worker.js, Pyodide, the wheels, build-info.json, the engine
  wheel, the codecs) are embedded xz-compressed in non-executed
  `<script type="application/x-localpix-asset">` data blocks; web/singlefile/page-boot.js starts
  the worker from web/singlefile/worker-boot.js (with its xz decoder) as a Blob and hands it
  those blocks, which it decodes when it first needs each;
- the blocks hold the compressed bytes themselves, not base64: the page is declared
  windows-1252, where every byte is one character that JS maps back (TextDecoder gives the
  table), so only the four bytes the HTML parser would alter or that end a block are escaped
  (see ESCAPES). Everything else in the page is made ASCII (character references, JS and CSS
  escapes), so it reads the same in any encoding and its CSP hashes stay those of its text.
  Against gzip+base64 this took the file from 16.2 to about 8.8 MB;
- zip archives (wheels, the standard library) are re-stored uncompressed before xz (their
  deflated members are noise to it); the embedded build-info.json lists those archives' sha256
  and sizes, which the worker checks as it does over http;
- the CSP is rebuilt: sha256 of each executed inline script and style, blob: workers, and
  'wasm-unsafe-eval' — never 'unsafe-inline', never a network origin.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import json
import lzma
import mimetypes
import re
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import runtime

ROOT = Path(__file__).resolve().parent.parent
BOOT_DIR = ROOT / "web" / "singlefile"
OUTPUT_NAME = "localpix.html"
ASSET_TYPE = "application/x-localpix-asset"
BOOT_ID = "localpix-worker-boot"

# dist/ files the engine worker never needs: the page itself (inlined instead), this output,
# and what only the served app uses (service worker, manifest, icons).
NOT_FOR_WORKER_SUFFIXES = (".html", ".css", ".webmanifest", ".svg", ".png", ".ico")
NOT_FOR_WORKER_NAMES = {"sw.js", "precache.js"}
NOT_FOR_WORKER_DIRS = {"icons", "singlefile"}
# The host's precompressed copies (scripts/build): never the app's own files.
PRECOMPRESSED = (".br", ".gz")
# How the data blocks hold bytes, for this build and the boot scripts alike (they get it as
# LOCALPIX_BLOCK_FORMAT): the page's charset, one character per byte; the escape byte, followed
# by the escaped byte + shift (mod 256).
BLOCK_FORMAT = {"charset": "windows-1252", "escape": 0x3D, "shift": 64}
BLOCK_FORMAT_TOKEN = "LOCALPIX_BLOCK_FORMAT"
PAGE_CHARSET = BLOCK_FORMAT["charset"]
ESCAPE = bytes([BLOCK_FORMAT["escape"]])
# Inside a <script> data block the HTML parser turns NUL into U+FFFD and CR into LF, and '<' may
# start "</script>". The escape first: the escapes added later are not escaped again.
ESCAPES = (ESCAPE, b"\0", b"\r", b"<")
CHARSET_RE = re.compile(r"""<meta\s+charset\s*=\s*["']?utf-8["']?\s*/?>""", re.I)
ARCHIVE_SUFFIXES = (".whl", ".zip")
ASSETS_MARK = "<!--localpix-assets-->"  # where the asset blocks go (the page's comments are gone)

SCRIPT_RE = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.S | re.I)
LINK_RE = re.compile(r"<link\b([^>]*?)/?>", re.I)
IMG_RE = re.compile(r"<img\b([^>]*?)/?>", re.I)
CSP_RE = re.compile(
    r'(<meta\s+http-equiv="Content-Security-Policy"\s+content=")([^"]*)(")', re.I)
ATTR_RE = re.compile(r"""([^\s=/>]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s>]+))?""")
CSS_URL_RE = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)""")
JS_TYPES = {"", "text/javascript", "application/javascript", "module"}


class SingleFileRefused(SystemExit):
    def __init__(self, message: str) -> None:
        super().__init__(f"\nSINGLE-FILE BUILD REFUSED: {message}\n")


def attributes(text: str) -> dict[str, str]:
    found = {}
    for name, value in ATTR_RE.findall(text):
        found[name.lower()] = html.unescape(value[1:-1] if value[:1] in "\"'" else value)
    return found


def is_local(ref: str) -> bool:
    return not re.match(r"^[a-z][a-z0-9+.-]*:|^//|^#", ref, re.I)


def sha256_source(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def data_url(path: Path) -> str:
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if not mime.startswith("image/"):
        raise SingleFileRefused(f"{path.name} is not an image; only images may become data: URLs")
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode()}"


def local_file(dist: Path, ref: str, where: str, relative_to: Path | None = None) -> Path:
    path = ((relative_to or dist) / ref.split("#")[0].split("?")[0]).resolve()
    if not path.is_file() or not path.is_relative_to(dist.resolve()):
        raise SingleFileRefused(f"{where} refers to {ref!r}, which is not a file in dist/")
    return path


def js_ascii(text: str) -> str:
    """JS (or JSON) source with every non-ASCII character as a \\u escape: the same program, in
    strings, templates, regular expressions and comments alike (only a regular expression's
    `.source` text shows the escape)."""
    def escape(match: re.Match[str]) -> str:
        units = match.group(0).encode("utf-16-be")
        return "".join(f"\\u{units[i]:02x}{units[i + 1]:02x}" for i in range(0, len(units), 2))

    return re.sub(r"[^\x00-\x7f]", escape, text)


def css_ascii(text: str) -> str:
    return re.sub(r"[^\x00-\x7f]", lambda m: f"\\{ord(m.group(0)):06x}", text)


def markup_ascii(text: str) -> str:
    return re.sub(r"[^\x00-\x7f]", lambda m: f"&#x{ord(m.group(0)):x};", text)


def inline_text(text: str, element: str) -> str:
    """Text as the HTML parser hands it to the CSP hash check (newlines normalised), in ASCII."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if re.search(rf"</{element}|<!--", text, re.I):
        raise SingleFileRefused(f"an inlined <{element}> contains '</{element}' or '<!--'")
    return css_ascii(text) if element == "style" else js_ascii(text)


def inline_css(dist: Path, css_path: Path) -> str:
    def replace(match: re.Match[str]) -> str:
        ref = match.group(2)
        if not is_local(ref) or ref.startswith("data:"):
            if not ref.startswith("data:"):
                raise SingleFileRefused(f"{css_path.name} refers to {ref!r} outside the app")
            return match.group(0)
        target = local_file(dist, ref, css_path.name, relative_to=css_path.parent)
        return f'url("{data_url(target)}")'

    return inline_text(CSS_URL_RE.sub(replace, css_path.read_text()), "style")


def block_text(data: bytes) -> bytes:
    """`data` as the characters of a data block (the page is windows-1252: one byte each)."""
    for byte in ESCAPES:
        data = data.replace(byte, ESCAPE + bytes([(byte[0] + BLOCK_FORMAT["shift"]) % 256]))
    return data


def unblock_text(text: bytes) -> bytes:
    """block_text's inverse (the tests read the page with it; worker-boot.js does the same)."""
    out, i = bytearray(), 0
    while (j := text.find(ESCAPE, i)) >= 0:
        out += text[i:j]
        out.append((text[j + 1] - BLOCK_FORMAT["shift"]) % 256)
        i = j + 2
    return bytes(out + text[i:])


def stored(archive: bytes) -> bytes:
    """The same zip with every member stored, in the same order, so xz sees the contents."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(archive)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as copy:
        for member in source.infolist():
            copy.writestr(member, source.read(member), compress_type=zipfile.ZIP_STORED)
    return out.getvalue()


def xz(data: bytes) -> bytes:
    # CRC32: what any xz-embedded build checks. A dictionary no larger than the file: the
    # decoder allocates what the header asks for.
    dictionary = max(1 << 16, 1 << (len(data) - 1).bit_length())
    return lzma.compress(data, format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC32, filters=[
        {"id": lzma.FILTER_LZMA2, "preset": 9, "dict_size": min(dictionary, 1 << 26)}])


def worker_assets(dist: Path) -> list[Path]:
    assets = []
    for path in sorted(dist.rglob("*")):
        rel = path.relative_to(dist)
        if (not path.is_file() or path.suffix in NOT_FOR_WORKER_SUFFIXES
                or path.suffix in PRECOMPRESSED
                or rel.as_posix() in NOT_FOR_WORKER_NAMES or rel.parts[0] in NOT_FOR_WORKER_DIRS):
            continue
        assets.append(path)
    if not (dist / "worker.js").is_file():
        raise SingleFileRefused("dist/worker.js is missing")
    return assets


def embedded_files(dist: Path, page_scripts: set[Path]) -> dict[str, bytes]:
    """What the worker gets, by dist/ path: the assets but the page's own scripts (inlined),
    archives stored, and a build-info.json whose sha256 and sizes are the stored archives'."""
    files = {}
    for path in worker_assets(dist):
        if path.resolve() in page_scripts:
            continue
        data = path.read_bytes()
        files[path.relative_to(dist).as_posix()] = (
            stored(data) if path.suffix in ARCHIVE_SUFFIXES else data)
    info = json.loads(files["build-info.json"])
    for table in ("load", "lazy"):
        for name in info.get(table, {}):
            info[table][name] = hashlib.sha256(files[name]).hexdigest()
    for name in info.get("download", {}):
        info["download"][name] = len(files[name])
    files["build-info.json"] = json.dumps(info, indent=1).encode()
    return files


def asset_blocks(files: dict[str, bytes]) -> list[bytes]:
    with ThreadPoolExecutor() as pool:  # lzma releases the GIL: one file per core
        packed = list(pool.map(xz, files.values()))
    return [(f'<script type="{ASSET_TYPE}" data-path="{html.escape(name)}" '
             f'data-bytes="{len(data)}">').encode() + block_text(xz_data) + b"</script>\n"
            for (name, data), xz_data in zip(files.items(), packed, strict=True)]


def boot_script(name: str) -> str:
    """web/singlefile/`name` with BLOCK_FORMAT written in where it names it."""
    text = (BOOT_DIR / name).read_text()
    if text.count(BLOCK_FORMAT_TOKEN) != 1:
        raise SingleFileRefused(f"{name} must read {BLOCK_FORMAT_TOKEN} exactly once")
    return text.replace(BLOCK_FORMAT_TOKEN, json.dumps(BLOCK_FORMAT))


def worker_boot_text() -> str:
    """worker-boot.js after its xz decoder (a UMD script: it sets self["xz-decompress"])."""
    decoder = runtime.fetch_singlefile_parts(runtime.load_pins()) / "xz-decompress.min.js"
    return inline_text(decoder.read_text() + "\n" + boot_script("worker-boot.js"), "script")


def build(dist: Path) -> Path:
    """Write dist/localpix.html from the assembled dist/ and return its path."""
    page = (dist / "index.html").read_text()
    csp = CSP_RE.search(page)
    if not csp:
        raise SingleFileRefused("dist/index.html has no Content-Security-Policy meta tag")

    scripts: list[tuple[dict[str, str], str]] = []  # attributes, text; in document order
    script_files: set[Path] = set()

    def take_script(match: re.Match[str]) -> str:
        attrs = attributes(match.group(1))
        kind = attrs.get("type", "").lower()
        if kind not in JS_TYPES:
            return match.group(0)  # a data block stays where it is
        if "src" in attrs:
            if not is_local(attrs["src"]):
                raise SingleFileRefused(f"script {attrs['src']!r} is not part of the app")
            path = local_file(dist, attrs["src"], "a <script>")
            script_files.add(path)
            text = path.read_text()
        else:
            text = match.group(2)
        scripts.append((attrs, inline_text(text, "script")))
        return ""

    styles: list[str] = []

    def take_link(match: re.Match[str]) -> str:
        attrs = attributes(match.group(1))
        rels = set(attrs.get("rel", "").lower().split())
        href = attrs.get("href", "")
        if not href or not is_local(href):
            if href and not href.startswith("data:"):
                raise SingleFileRefused(f"<link href={href!r}> is not part of the app")
            return match.group(0)
        if "stylesheet" in rels:
            css = inline_css(dist, local_file(dist, href, "a stylesheet <link>"))
            styles.append(css)
            return f"<style>{css}</style>"
        if rels & {"manifest", "preload", "modulepreload", "prefetch", "serviceworker"}:
            return ""  # meaningless from file://
        if rels & {"icon", "apple-touch-icon", "mask-icon"}:
            target = local_file(dist, href, "an icon <link>")
            return match.group(0).replace(match.group(1), re.sub(
                r"""href\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)""",
                lambda _: f'href="{data_url(target)}"', match.group(1)))
        raise SingleFileRefused(f"<link rel={attrs.get('rel')!r} href={href!r}>: no inline form")

    def take_img(match: re.Match[str]) -> str:
        attrs = attributes(match.group(1))
        src = attrs.get("src", "")
        if not src or src.startswith("data:"):
            return match.group(0)
        if not is_local(src):
            raise SingleFileRefused(f"<img src={src!r}> is not part of the app")
        target = local_file(dist, src, "an <img>")
        return match.group(0).replace(match.group(1), re.sub(
            r"""src\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)""",
            lambda _: f'src="{data_url(target)}"', match.group(1)))

    page = SCRIPT_RE.sub(take_script, page)
    page = re.sub(r"<!--.*?-->\s*", "", page, flags=re.S)  # e.g. "keep in sync with serve"
    page = LINK_RE.sub(take_link, page)
    page = IMG_RE.sub(take_img, page)
    if re.search(r"""\ssrc\s*=\s*["']?(?!data:|blob:)""", page, re.I):
        raise SingleFileRefused("an element with a src attribute has no single-file form")

    for attrs, text in SCRIPT_RE.findall(page):  # data blocks left in place
        if not text.isascii():
            raise SingleFileRefused(f"a <script{attrs}> block left in the page is not ASCII")
    page = markup_ascii(page)
    charset = CHARSET_RE.search(page)
    if not charset or charset.end() > 1024:
        raise SingleFileRefused('dist/index.html must declare <meta charset="utf-8"> in its '
                                "first 1024 bytes (the single file re-declares it)")
    page = page[:charset.start()] + f'<meta charset="{PAGE_CHARSET}">' + page[charset.end():]

    page_boot = inline_text(boot_script("page-boot.js"), "script")
    tail = [f'<script type="text/plain" id="{BOOT_ID}">{worker_boot_text()}</script>\n']
    executed = [page_boot]
    tail.append(f"<script>{page_boot}</script>\n")
    for attrs, text in scripts:
        module = ' type="module"' if attrs.get("type", "").lower() == "module" else ""
        executed.append(text)
        tail.append(f"<script{module}>{text}</script>\n")
    if page.count("</body>") != 1:
        raise SingleFileRefused("dist/index.html must have exactly one </body>")
    # The assets before every script: the app may start a worker while the page still parses.
    page = page.replace("</body>", ASSETS_MARK + "".join(tail) + "</body>")

    policy = "; ".join([
        "default-src 'none'",
        "script-src " + " ".join(dict.fromkeys(sha256_source(t) for t in executed))
        + " blob: 'wasm-unsafe-eval'",
        "worker-src blob:",
        "connect-src blob:",
        "img-src blob: data:",
        "style-src " + (" ".join(dict.fromkeys(sha256_source(s) for s in styles)) or "'none'"),
        "form-action 'none'",
        "base-uri 'none'",
        "object-src 'none'",
        # localpix: web/boot.js and worker.js; localpix-singlefile: the boot scripts' Blobs
        "require-trusted-types-for 'script'",
        "trusted-types localpix localpix-singlefile",
    ])
    page = CSP_RE.sub(lambda m: m.group(1) + policy + m.group(3), page, count=1)
    before, after = page.encode("ascii").split(ASSETS_MARK.encode())
    out = dist / OUTPUT_NAME
    out.write_bytes(before + b"".join(asset_blocks(embedded_files(dist, script_files))) + after)
    return out


if __name__ == "__main__":
    import sys

    built = build(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "dist")
    print(f"wrote {built} ({built.stat().st_size / 1e6:.1f} MB)")

"""dist/localpix.html: the whole app in one HTML file that works opened straight from disk
(file://, no server, network off) — the copy people keep on a USB stick.

Everything is derived from the assembled dist/index.html, so the file keeps up as the UI grows:
- every `<script src>` is inlined, in document order, as a classic inline script at the end of
  <body> (where the DOM exists, as it does for the `defer` originals);
- every stylesheet `<link>` becomes a `<style>`; icons become data: URLs; links a file:// page
  cannot use (manifest, preload) are dropped;
- the files the engine worker loads (worker.js, Pyodide, the wheels, build-info.json, the engine
  wheel) are embedded gzip+base64 in non-executed `<script type="application/x-localpix-asset">`
  data blocks; web/singlefile/page-boot.js starts the worker from web/singlefile/worker-boot.js
  as a Blob and hands it those bytes;
- the CSP is rebuilt: sha256 of each executed inline script and style, blob: workers, and
  'wasm-unsafe-eval' — never 'unsafe-inline', never a network origin.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import html
import mimetypes
import re
from pathlib import Path

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


def inline_text(text: str, element: str) -> str:
    """Text as the HTML parser will hand it to the CSP hash check (newlines normalised)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if re.search(rf"</{element}|<!--", text, re.I):
        raise SingleFileRefused(f"an inlined <{element}> contains '</{element}' or '<!--'")
    return text


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


def worker_assets(dist: Path) -> list[Path]:
    assets = []
    for path in sorted(dist.rglob("*")):
        rel = path.relative_to(dist)
        if (not path.is_file() or path.suffix in NOT_FOR_WORKER_SUFFIXES
                or rel.as_posix() in NOT_FOR_WORKER_NAMES or rel.parts[0] in NOT_FOR_WORKER_DIRS):
            continue
        assets.append(path)
    if not (dist / "worker.js").is_file():
        raise SingleFileRefused("dist/worker.js is missing")
    return assets


def asset_block(dist: Path, path: Path) -> str:
    packed = gzip.compress(path.read_bytes(), compresslevel=9, mtime=0)
    rel = path.relative_to(dist).as_posix()
    return (f'<script type="{ASSET_TYPE}" data-path="{html.escape(rel)}" '
            f'data-bytes="{path.stat().st_size}">{base64.b64encode(packed).decode()}</script>\n')


def build(dist: Path) -> Path:
    """Write dist/localpix.html from the assembled dist/ and return its path."""
    page = (dist / "index.html").read_text()
    csp = CSP_RE.search(page)
    if not csp:
        raise SingleFileRefused("dist/index.html has no Content-Security-Policy meta tag")

    scripts: list[tuple[dict[str, str], str]] = []  # attributes, text; in document order

    def take_script(match: re.Match[str]) -> str:
        attrs = attributes(match.group(1))
        kind = attrs.get("type", "").lower()
        if kind not in JS_TYPES:
            return match.group(0)  # a data block stays where it is
        if "src" in attrs:
            if not is_local(attrs["src"]):
                raise SingleFileRefused(f"script {attrs['src']!r} is not part of the app")
            text = local_file(dist, attrs["src"], "a <script>").read_text()
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

    page_boot = inline_text((BOOT_DIR / "page-boot.js").read_text(), "script")
    worker_boot = inline_text((BOOT_DIR / "worker-boot.js").read_text(), "script")
    tail = [asset_block(dist, path) for path in worker_assets(dist)]
    tail.append(f'<script type="text/plain" id="{BOOT_ID}">{worker_boot}</script>\n')
    executed = [page_boot]
    tail.append(f"<script>{page_boot}</script>\n")
    for attrs, text in scripts:
        module = ' type="module"' if attrs.get("type", "").lower() == "module" else ""
        executed.append(text)
        tail.append(f"<script{module}>{text}</script>\n")
    if page.count("</body>") != 1:
        raise SingleFileRefused("dist/index.html must have exactly one </body>")
    page = page.replace("</body>", "".join(tail) + "</body>")

    policy = "; ".join([
        "default-src 'none'",
        "script-src " + " ".join(dict.fromkeys(sha256_source(t) for t in executed))
        + " blob: 'wasm-unsafe-eval'",
        "worker-src blob:",
        "connect-src blob: data:",
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
    out = dist / OUTPUT_NAME
    out.write_text(page)
    return out


if __name__ == "__main__":
    import sys

    built = build(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "dist")
    print(f"wrote {built} ({built.stat().st_size / 1e6:.1f} MB)")

#!/usr/bin/env python3
"""First and repeat visit over a shaped link, as a new user meets the app (issue 12).

    scripts/bench_firstvisit.py [--dist LABEL=PATH ...] [--link 20:40 --link 5:80] [--runs N]

Each dist/ (default: this checkout's, built if stale; pass several to compare builds side by side
in one run) is served by scripts/serve's handler (precompressed copies, ETag/304, caching
headers) behind one shared link of RATE Mbit/s with LATENCY ms added to every request. A fresh
Chromium profile loads the page: time from navigation to "Engine ready", to the first progress
shown, the bytes the server sent before ready (page, workers, service worker) and after it until
the offline copy is complete, files sent more than once; then the same profile reloads (the
repeat visit: its worker's start-up phases, the time until a phone photo given at "ready" is
done, and how long after "ready" the engine had imported what every job uses), reloads once
more, and opens the page in a browser restarted on the same profile. Then each build's single file
(dist/localpix.html), copied alone into an empty folder, is opened from file:// in a fresh profile:
its size and the time to "Engine ready". JSON to bench-results/. Reported, never asserted.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import importlib.machinery
import importlib.util
import json
import os
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
if VENV_PYTHON.exists() and Path(sys.prefix).resolve() != VENV_PYTHON.parent.parent.resolve():
    os.execv(VENV_PYTHON, [str(VENV_PYTHON), __file__, *sys.argv[1:]])

CHROMIUM = "/usr/bin/chromium"
TIMEOUT_MS = 180_000


def load_serve():  # type: ignore[no-untyped-def]
    """scripts/serve (no .py suffix) as a module: the bench serves exactly what it serves."""
    loader = importlib.machinery.SourceFileLoader("serve", str(ROOT / "scripts" / "serve"))
    spec = importlib.util.spec_from_loader("serve", loader)
    assert spec
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


serve = load_serve()


class Link:
    """One shared link: a byte budget refilled at `rate` bytes/s, shared by every connection."""

    def __init__(self, mbit: float, latency_ms: float) -> None:
        self.rate = mbit * 1e6 / 8
        self.latency = latency_ms / 1000
        self.lock = threading.Lock()
        self.free_at = time.monotonic()
        self.log: list[tuple[float, str, int]] = []  # (time, path, body bytes sent)

    def send(self, nbytes: int) -> None:
        """Block until `nbytes` have passed the link (first come, first served)."""
        with self.lock:
            start = max(self.free_at, time.monotonic())
            self.free_at = start + nbytes / self.rate
            wait = self.free_at - time.monotonic()
        if wait > 0:
            time.sleep(wait)


class ShapedHandler(serve.Handler):  # type: ignore[name-defined,misc]
    link: Link
    CHUNK = 16384

    def send_head(self):  # type: ignore[no-untyped-def]
        time.sleep(self.link.latency)  # the request's round trip
        return super().send_head()

    def copyfile(self, source, outputfile) -> None:  # type: ignore[no-untyped-def]
        sent = 0
        while chunk := source.read(self.CHUNK):
            self.link.send(len(chunk))
            outputfile.write(chunk)
            sent += len(chunk)
        path = urlsplit(self.path).path
        with self.link.lock:
            self.link.log.append((time.monotonic(), "/index.html" if path == "/" else path, sent))

    def log_message(self, format: str, *args: object) -> None:
        pass


# Times in the page, from its navigation start: the first progress shown, "ready", and the
# first file's download link (when the bench gives it one).
WATCH = """
(() => {
  const seen = {};
  window.__bench = seen;
  const timer = setInterval(() => {
    const body = document.body;
    if (!body) return;
    const shown = Number(body.dataset.engineDownload || 0) > 0;
    if (seen.progress === undefined && shown) seen.progress = performance.now();
    if (seen.ready === undefined && body.dataset.engine === "ready") seen.ready = performance.now();
    const link = document.querySelector("a#download[href^='blob:']");
    if (link && seen.done === undefined) {
      seen.done = performance.now();
      clearInterval(timer);
    }
  }, 5);
})();
"""


def visit(page, url: str | None, link: Link) -> dict:  # type: ignore[no-untyped-def]
    mark = len(link.log)
    if url:
        page.goto(url)
    else:
        page.reload()
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    # Polled from here: the page's CSP refuses the string evaluation wait_for_function needs.
    while not page.evaluate("() => Boolean(window.__bench && window.__bench.ready)"):
        assert time.monotonic() < deadline, "the engine did not become ready"
        time.sleep(0.05)
    at_ready = time.monotonic()
    seen = page.evaluate("() => window.__bench")
    phases = json.loads(page.locator("body").get_attribute("data-engine-phases") or "{}")
    return {"ready_s": seen["ready"] / 1000,
            "progress_s": seen["progress"] / 1000 if "progress" in seen else None,
            "before": [e for e in link.log[mark:] if e[0] <= at_ready], "mark": mark,
            "at_ready": at_ready, "phases": phases}


FIRST_FILE = ROOT.parent / "shared" / "corpus" / "large" / "jolla.jpg"  # a phone photo


def first_file(page) -> float | None:  # type: ignore[no-untyped-def]
    """Seconds from navigation until a photo given right at "ready" (default options) is done."""
    if not FIRST_FILE.is_file():
        return None
    page.locator("#file").set_input_files(FIRST_FILE)
    page.locator("a#download[href^='blob:']").wait_for(timeout=TIMEOUT_MS)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        done = page.evaluate("() => window.__bench.done")
        if done is not None:
            return done / 1000
        time.sleep(0.02)
    return None


def prepared_after_ready(page) -> int | None:  # type: ignore[no-untyped-def]
    """ms from "ready" until the engine had imported what every job uses (phases.prepared,
    posted after ready: what "ready" no longer waits for); None for builds without it."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        phases = json.loads(page.locator("body").get_attribute("data-engine-phases") or "{}")
        if "prepared" in phases:
            return phases["prepared"] - phases["engine"]
        time.sleep(0.05)
    return None


def fresh_browser(pw, profile: str):  # type: ignore[no-untyped-def]
    """Chromium on the empty profile folder `profile`, watching for "ready"; (context, page)."""
    context = pw.chromium.launch_persistent_context(
        profile, executable_path=CHROMIUM, headless=True,
        args=["--no-sandbox", "--disable-background-networking",
              "--disable-component-update", "--disable-sync"])
    context.add_init_script(WATCH)
    return context, context.pages[0] if context.pages else context.new_page()


def run_one(dist: Path, mbit: float, latency_ms: float) -> dict:
    from playwright.sync_api import sync_playwright

    link = Link(mbit, latency_ms)
    handler = type("Handler", (ShapedHandler,), {"link": link})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(
        handler, directory=str(dist)))
    server.quiet = True  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        with tempfile.TemporaryDirectory() as profile, sync_playwright() as pw:
            context, page = fresh_browser(pw, profile)
            first = visit(page, url, link)
            page.locator("body[data-offline='ready']").wait_for(timeout=TIMEOUT_MS)
            time.sleep(0.5)
            visit_log = link.log[first["mark"]:]
            after = [e for e in visit_log if e[0] > first["at_ready"]]
            counts = Counter(path for _, path, sent in visit_log if sent)
            time.sleep(2)  # the snapshot is written after ready
            repeat = visit(page, None, link)
            repeat["first_file_s"] = first_file(page)
            repeat["prepared_ms"] = prepared_after_ready(page)
            time.sleep(1)
            again = visit(page, None, link)
            context.close()
            # The next day: the browser started anew on the same profile.
            context, page = fresh_browser(pw, profile)
            restart = visit(page, url, link)
            context.close()
    finally:
        server.shutdown()
        server.server_close()
    return {
        "first_ready_s": first["ready_s"], "first_progress_s": first["progress_s"],
        "bytes_before_ready": sum(e[2] for e in first["before"]),
        "bytes_after_ready": sum(e[2] for e in after),
        "twice": sorted(p for p, n in counts.items() if n > 1),
        "first_phases": first["phases"],
        "repeat_ready_s": repeat["ready_s"],
        "repeat_bytes": sum(e[2] for e in repeat["before"]),
        "repeat_phases": repeat["phases"],
        "repeat_prepared_ms": repeat["prepared_ms"],
        "repeat_first_file_s": repeat["first_file_s"],
        "repeat_again_s": again["ready_s"],
        "restart_ready_s": restart["ready_s"],
        "restart_phases": restart["phases"],
    }


def run_singlefile(dist: Path) -> dict:
    import shutil

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder, tempfile.TemporaryDirectory() as profile, \
            sync_playwright() as pw:
        copy = Path(folder) / "localpix.html"
        shutil.copy2(dist / "localpix.html", copy)
        context, page = fresh_browser(pw, profile)
        ready = visit(page, copy.as_uri(), Link(0, 0))
        context.close()
    return {"size_mb": (dist / "localpix.html").stat().st_size / 1e6, "ready_s": ready["ready_s"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dist", action="append", default=[], metavar="LABEL=PATH")
    parser.add_argument("--link", action="append", default=[], metavar="MBIT:LATENCY_MS")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--single-file-only", action="store_true",
                        help="skip the served visits: only open each build's single file")
    args = parser.parse_args()
    if not args.dist:
        import subprocess

        subprocess.run([str(ROOT / "scripts" / "build"), "--if-stale"], check=True)
        args.dist = [f"this={ROOT / 'dist'}"]
    links = [tuple(float(x) for x in spec.split(":")) for spec in args.link or ["20:40", "5:80"]]
    results = []
    for mbit, latency in [] if args.single_file_only else links:
        for _ in range(args.runs):
            for spec in args.dist:  # builds interleaved: each pair sees the same machine load
                label, _, path = spec.partition("=")
                row = run_one(Path(path), mbit, latency)
                row.update(build=label, link=f"{mbit:g} Mbit/{latency:g} ms")
                results.append(row)
                print(json.dumps(row), file=sys.stderr, flush=True)
    if results:
        print(f"{'link':<16}{'build':<10}{'ready s':>8}{'progress s':>11}{'MB<ready':>9}"
              f"{'MB>ready':>9}{'twice':>6}{'repeat s':>9}{'again s':>8}{'restart s':>10}"
              f"{'prepared ms':>12}{'1st file s':>11}{'repeat MB':>10}")
    for r in results:
        progress = f"{r['first_progress_s']:.2f}" if r["first_progress_s"] is not None else "-"
        prepared = "-" if r["repeat_prepared_ms"] is None else str(r["repeat_prepared_ms"])
        first = "-" if r["repeat_first_file_s"] is None else f"{r['repeat_first_file_s']:.2f}"
        print(f"{r['link']:<16}{r['build']:<10}{r['first_ready_s']:>8.2f}{progress:>11}"
              f"{r['bytes_before_ready'] / 1e6:>9.2f}{r['bytes_after_ready'] / 1e6:>9.2f}"
              f"{len(r['twice']):>6}{r['repeat_ready_s']:>9.2f}{r['repeat_again_s']:>8.2f}"
              f"{r['restart_ready_s']:>10.2f}{prepared:>12}{first:>11}"
              f"{r['repeat_bytes'] / 1e6:>10.2f}")
    for r in results:
        print(f"{r['link']} {r['build']}: first {r['first_phases']}; repeat {r['repeat_phases']}; "
              f"restart {r['restart_phases']}")
    single = []
    for _ in range(args.runs):
        for spec in args.dist:
            label, _, path = spec.partition("=")
            row = run_singlefile(Path(path))
            row.update(build=label)
            single.append(row)
            print(json.dumps(row), file=sys.stderr, flush=True)
    print(f"\n{'single file':<16}{'build':<10}{'MB':>8}{'ready s':>9}")
    for r in single:
        print(f"{'file://':<16}{r['build']:<10}{r['size_mb']:>8.2f}{r['ready_s']:>9.2f}")
    path = args.json or ROOT / "bench-results" / f"firstvisit-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps({"visits": results, "single_file": single}, indent=1))
    print(f"\n(JSON: {path})")


if __name__ == "__main__":
    main()

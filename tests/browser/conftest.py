"""Browser-test fixtures: dist/ served on loopback, Debian Chromium with every request routed
through a logging proxy, and a recorder of what Playwright sees the page and its workers ask."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, Request, expect

from .proxy import LoggingProxy

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
ENGINE_START_TIMEOUT_MS = 180_000  # cold wasm compile on a busy 2-core machine


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if Path(str(item.fspath)).is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def dist() -> Path:
    subprocess.run([sys.executable, str(ROOT / "scripts" / "build"), "--if-stale"], check=True)
    return ROOT / "dist"


@pytest.fixture(scope="session")
def axe_core() -> Path:
    """axe-core's script, for accessibility checks injected by tests only (dev-only npm package,
    pinned in tests/browser/axe/package-lock.json; never part of dist/)."""
    folder = Path(__file__).parent / "axe"
    script = folder / "node_modules" / "axe-core" / "axe.min.js"
    if not script.exists():
        subprocess.run(["npm", "ci", "--prefix", str(folder), "--no-audit", "--no-fund"],
                       check=True, capture_output=True, timeout=300)
    return script


@pytest.fixture(scope="session")
def proxy() -> Iterator[LoggingProxy]:
    with LoggingProxy() as running:
        yield running


@pytest.fixture(scope="session")
def server(dist: Path) -> Iterator[str]:
    """scripts/serve itself, on a free loopback port: the tests exercise the real command."""
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "serve"), "--no-build", "--quiet", "--port", "0"],
        stdout=subprocess.PIPE, text=True,
    )
    line = proc.stdout.readline()  # "localpix is served at http://127.0.0.1:PORT/ ..."
    if "http://" not in line:
        proc.kill()
        pytest.fail(f"scripts/serve did not start: {line!r}")
    url = line.split("at ", 1)[1].split()[0]
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict, proxy: LoggingProxy) -> dict:
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian chromium is missing: run scripts/setup")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            f"--proxy-server={proxy.url}",
            # "<-loopback>" removes Chromium's implicit loopback bypass: our server goes through
            # the proxy too, so the log sees every byte the page asks for.
            "--proxy-bypass-list=<-loopback>",
        ],
    }


@dataclass(frozen=True)
class SeenRequest:
    time: float
    method: str
    url: str
    has_body: bool


class PageTraffic:
    """Requests Playwright attributes to the page, its workers and service workers."""

    def __init__(self, context: BrowserContext) -> None:
        self.requests: list[SeenRequest] = []
        context.on("request", self._record)

    def _record(self, request: Request) -> None:
        self.requests.append(SeenRequest(time.monotonic(), request.method, request.url,
                                         request.post_data_buffer is not None))


@pytest.fixture
def traffic(context: BrowserContext) -> PageTraffic:
    return PageTraffic(context)


# What the engine worker keeps in Cache Storage: its Python snapshot (web/worker.js).
STORED_SNAPSHOTS = """async () => {
    const cache = await caches.open("localpix-snapshot");
    const found = [];
    for (const request of await cache.keys()) {
        const response = await cache.match(request);
        found.push({url: request.url, build: response.headers.get("x-localpix-build"),
                    bytes: (await response.arrayBuffer()).byteLength});
    }
    return found;
}"""


def wait_for_stored_snapshot(page: Page, build: str | None = None,
                             timeout_s: float = 120) -> list[dict]:
    """The snapshot entries once there is one (of `build`, if given): it is written just after
    the engine is ready."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = page.evaluate(STORED_SNAPSHOTS)
        if any(build in (None, entry["build"]) for entry in found):
            return found
        assert time.monotonic() < deadline, f"the engine stored no Python snapshot: {found}"
        time.sleep(0.2)


def process_and_download(page: Page, source: Path, target: Path,
                         timeout_ms: float = 120_000) -> bytes:
    """Give the page one file, wait for its download link, save what it offers to `target`."""
    page.locator("#file").set_input_files(source)
    link = page.locator("a#download[href^='blob:']")
    expect(link).to_be_visible(timeout=timeout_ms)
    with page.expect_download() as download_info:
        link.click()
    download_info.value.save_as(target)
    return target.read_bytes()

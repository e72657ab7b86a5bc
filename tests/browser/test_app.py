"""The full app in real Chromium: a batch through the worker pool, the ZIP, the privacy report,
broken files, settings, the before/after view, the network meter, and the layout at phone and
desktop widths."""

from __future__ import annotations

import os
import re
import time
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Locator, Page, expect

from conftest import CORPUS, exiftool

from .conftest import ENGINE_START_TIMEOUT_MS, PageTraffic
from .proxy import LoggingProxy
from .test_zero_upload import PRIVATE_TAG_NAMES, wait_for_engine

BATCH = [p for folder in ("photos", "gps", "orientation", "xmp")
         for p in sorted((CORPUS / folder).glob("*.jpg"))]
BATCH += [CORPUS / "formats" / "meta.png", CORPUS / "formats" / "meta.webp"]
BATCH_TIMEOUT_MS = 600_000  # 37 photos on one busy core
FINISHED = ".file:is([data-status='done'], [data-status='error'])"
# Where screenshots and timings go: outside the repo.
ARTIFACTS = Path(os.environ.get("LOCALPIX_ARTIFACTS", "/tmp/localpix-artifacts"))


def leaks(data: bytes) -> list[str]:
    tags = exiftool(data)
    return sorted(key for key in tags
                  if key.startswith(("GPS:", "XMP")) or key.split(":")[-1] in PRIVATE_TAG_NAMES)


def wait_finished(page: Page, count: int, timeout: float = BATCH_TIMEOUT_MS) -> None:
    expect(page.locator(FINISHED)).to_have_count(count, timeout=timeout)
    expect(page.locator("body")).to_have_attribute("data-busy", "false")


def download(page: Page, link: Locator, into: Path) -> Path:
    with page.expect_download() as info:
        link.click()
    target = into / info.value.suggested_filename
    info.value.save_as(target)
    return target


def row(page: Page, name: str) -> Locator:
    return page.locator(".file").filter(has=page.locator(".file-name", has_text=name))


@pytest.mark.parametrize("workers", ["1", "2", "default"])
def test_a_batch_comes_back_clean_in_one_zip_and_nothing_is_sent(
    page: Page, server: str, proxy: LoggingProxy, traffic: PageTraffic, tmp_path: Path, workers: str
) -> None:
    assert len(BATCH) == 37 and all(p.is_file() for p in BATCH)
    page.goto(server + ("" if workers == "default" else f"?workers={workers}"))
    ready_at = wait_for_engine(page)
    size = int(page.locator("body").get_attribute("data-workers"))
    assert size == int(workers) if workers != "default" else size >= 1

    started = time.monotonic()
    page.locator("#file").set_input_files(BATCH)
    wait_finished(page, len(BATCH))
    seconds = time.monotonic() - started
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with (ARTIFACTS / "batch-timings.txt").open("a") as log:
        log.write(f"{len(BATCH)} files, workers={workers} (pool size {size}): {seconds:.1f} s\n")
    print(f"\nbatch of {len(BATCH)} with workers={workers} (pool size {size}): {seconds:.1f} s")

    assert page.locator(".file[data-status='error']").count() == 0, \
        page.locator(".file-error").all_text_contents()
    expect(page.locator("#batch-status")).to_contain_text(f"{len(BATCH)} of {len(BATCH)} files")

    # One ZIP, every result in it, with the original names (formats kept).
    archive = download(page, page.locator("#download-all"), tmp_path)
    assert archive.suffix == ".zip"
    with zipfile.ZipFile(archive) as zf:
        assert zf.testzip() is None, "a CRC in the ZIP is wrong"
        names = zf.namelist()
        assert sorted(names) == sorted(p.name for p in BATCH)
        outputs = {name: zf.read(name) for name in names}
        assert all(info.compress_type == zipfile.ZIP_STORED for info in zf.infolist())

    # ExifTool finds nothing private in any result...
    leaked = {name: found for name, data in outputs.items() if (found := leaks(data))}
    assert not leaked, f"private metadata survived: {leaked}"
    # ...and the report named exactly the photos ExifTool sees a GPS position in.
    had_gps = {p.name for p in BATCH if "GPS:GPSLatitude" in exiftool(p.read_bytes())}
    reported = {page.locator(".file-name").nth(i).text_content()
                for i in range(len(BATCH))
                if page.locator(".file").nth(i).get_attribute("data-gps") == "removed"}
    assert reported == had_gps
    assert page.locator(".file[data-gps='kept']").count() == 0
    expect(page.locator("#privacy-summary li[data-category='location']")).to_have_text(
        f"{len(had_gps)} of {len(BATCH)} photos carried a GPS location; all removed.")
    # The per-file report says it in plain words.
    gps_row = row(page, "DSCN0010.jpg")
    gps_row.locator("summary").click()
    expect(gps_row.locator(".finding.removed[data-category='location']")).to_contain_text(
        "Location (GPS position): 43.4674° N, 11.8851° E — removed")
    expect(page.locator("#totals")).to_contain_text("saved")

    # Nothing left the page (the proxy log attributed as in test_zero_upload: what Playwright saw
    # the page and its workers ask for, or anything addressed to our server, is the page's).
    # With lazily started workers (default pool) another engine worker loads the same engine
    # files from our server while the batch runs; nothing else, and nothing once all are up.
    expect(page.locator("body")).to_have_attribute("data-workers-starting", "0",
                                                   timeout=ENGINE_START_TIMEOUT_MS)
    warm_at = time.monotonic()
    time.sleep(1.0)
    entries = proxy.entries()
    server_host = urlsplit(server).netloc
    page_urls = {r.url for r in traffic.requests if r.url.startswith("http")}
    page_entries = [e for e in entries if e.url in page_urls or e.host == server_host]
    # Chromium's own service-worker update check (offline support) is not the page's doing; the
    # wasm codecs (dist/codecs/) are the app's own files, loaded by a worker on first use.
    update_check = {server + "sw.js", server + "precache.js"}
    # So are the image decoders that the service worker's offline copy fetches once the engine
    # has handed its files over (after ready): bodiless GETs, shown apart on the meter.
    codec_files = [e for e in page_entries
                   if e.url.startswith((server + "codecs/", server + "decoders/"))]
    assert all(e.method == "GET" and not e.body_bytes for e in codec_files), codec_files
    during = [e for e in page_entries if e.time >= ready_at and e not in codec_files
              and not (e.method == "GET" and not e.body_bytes and e.url in update_check)]
    startup_urls = {e.url for e in page_entries if e.time < ready_at}
    if size == 1:
        assert not during, f"requests after the engine was ready: {during}"
    else:
        assert all(e.method == "GET" and not e.body_bytes and e.url in startup_urls
                   for e in during), during
        assert all(e.time <= warm_at for e in during), "a request after every worker was ready"
    assert not [e for e in page_entries if e.body_bytes], "the page sent a request body"
    assert not [r for r in traffic.requests if r.has_body], "the page sent a request body"
    assert {e.host for e in page_entries} == {server_host}
    # The meter agrees: 0 requests, 0 bytes, from the page and from every worker.
    meter = page.locator("#net-meter")
    expect(meter).to_have_attribute("data-requests", "0")
    expect(meter).to_have_attribute("data-bytes", "0")
    expect(meter).to_contain_text("0 requests")
    # ... and shows the codec files apart: every worker loaded mozjpeg for the batch's JPEGs.
    expect(meter).to_contain_text("codecs loaded from this site on first use")
    assert int(meter.get_attribute("data-codec-requests")) >= 1
    # Engines the pool started for the batch loaded the engine's own files from our server: the
    # meter shows them apart, as files and bytes, rather than leaving them out.
    if during:
        expect(meter).to_contain_text("of the compressor started for the batch, from this app's")
        expect(meter).to_contain_text("Nothing was sent.")
        assert int(meter.get_attribute("data-engine-load-requests")) >= len(during)


@pytest.mark.skipif(not os.environ.get("LOCALPIX_BENCH"), reason="a measurement: LOCALPIX_BENCH=1")
@pytest.mark.parametrize("workers", ["1", "2", "default"])
def test_measure_large_photos(page: Page, server: str, tmp_path: Path, workers: str) -> None:
    """Not a check: how long 12 large photos (3 copies of corpus/large) take, 1 vs N workers:
    cold (workers start as the batch needs them) and again once the pool is up (warm)."""
    files = []
    for copy in range(3):
        for path in sorted((CORPUS / "large").glob("*.jpg")):
            target = tmp_path / f"{copy}-{path.name}"
            target.write_bytes(path.read_bytes())
            files.append(target)
    page.goto(server + ("" if workers == "default" else f"?workers={workers}"))
    wait_for_engine(page)
    size = page.locator("body").get_attribute("data-workers")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for run in ("cold", "warm"):
        started = time.monotonic()
        page.locator("#file").set_input_files(files)
        wait_finished(page, len(files))
        seconds = time.monotonic() - started
        used = page.locator("body").get_attribute("data-workers-ready")
        line = (f"{len(files)} large photos, workers={workers} (pool size {size}, "
                f"{used} running after), {run}: {seconds:.1f} s")
        with (ARTIFACTS / "batch-timings.txt").open("a") as log:
            log.write(line + "\n")
        print("\n" + line)
        expect(page.locator("body")).to_have_attribute("data-workers-starting", "0",
                                                       timeout=ENGINE_START_TIMEOUT_MS)
        page.locator("#clear").click()


def test_broken_files_get_their_own_error_and_the_rest_finish(
    page: Page, server: str, tmp_path: Path
) -> None:
    broken = sorted((CORPUS / "broken").iterdir())
    good = [CORPUS / "gps" / "DSCN0010.jpg", CORPUS / "xmp" / "BlueSquare.jpg"]
    # Another photo of the same name, from another folder: the ZIP must de-duplicate the name.
    # (The same name, size and content twice is one file: test_ux covers that.)
    twin = tmp_path / "twin"
    twin.mkdir()
    (twin / "DSCN0010.jpg").write_bytes((CORPUS / "gps" / "DSCN0012.jpg").read_bytes())
    files = [good[0], *broken, good[1], twin / "DSCN0010.jpg"]
    page.goto(server)
    wait_for_engine(page)
    page.locator("#file").set_input_files(files)
    wait_finished(page, len(files), timeout=300_000)

    for path in broken:
        r = row(page, path.name)
        expect(r).to_have_attribute("data-status", "error")
        message = r.locator(".file-error").text_content() or ""
        assert len(message) > 20 and "bug" not in message.lower(), f"{path.name}: {message!r}"
    assert page.locator(".file[data-status='done']").count() == 3
    expect(page.locator("#batch-status")).to_contain_text(f"{len(broken)} errors")

    archive = download(page, page.locator("#download-all"), tmp_path)
    with zipfile.ZipFile(archive) as zf:
        assert zf.testzip() is None
        assert sorted(zf.namelist()) == ["BlueSquare.jpg", "DSCN0010 (2).jpg", "DSCN0010.jpg"]
    # Each row downloads its own file.
    single = download(page, row(page, "BlueSquare.jpg").locator("a.row-download"), tmp_path)
    assert single.name == "BlueSquare.jpg" and not leaks(single.read_bytes())


def test_a_folder_keeps_its_paths_in_the_zip(page: Page, server: str, tmp_path: Path) -> None:
    root = tmp_path / "holiday"
    (root / "day1").mkdir(parents=True)
    (root / "day1" / "a.jpg").write_bytes((CORPUS / "gps" / "DSCN0012.jpg").read_bytes())
    (root / "b.png").write_bytes((CORPUS / "formats" / "meta.png").read_bytes())
    (root / "notes.txt").write_text("not an image")
    page.goto(server)
    wait_for_engine(page)
    page.locator("#folder").set_input_files(root)
    wait_finished(page, 2, timeout=300_000)
    expect(page.locator(".file-name")).to_have_text(["holiday/b.png", "holiday/day1/a.jpg"])
    archive = download(page, page.locator("#download-all"), tmp_path)
    with zipfile.ZipFile(archive) as zf:
        assert sorted(zf.namelist()) == ["holiday/b.png", "holiday/day1/a.jpg"]


DROP_AND_PASTE = """async ({jpeg, png}) => {
    const lp = window.localpix;
    const file = (bytes, name, type) => new File([new Uint8Array(bytes)], name, {type});
    // A dropped folder, as Chromium's FileSystem entries describe it; readEntries hands out one
    // entry per call, as real ones do in batches, until it returns none.
    const fileEntry = (path, f) => ({isFile: true, isDirectory: false, name: path.split("/").pop(),
                                     fullPath: "/" + path, file: (ok) => ok(f)});
    const dirEntry = (path, children) => ({isFile: false, isDirectory: true,
      name: path.split("/").pop(), fullPath: "/" + path,
      createReader() {
        let i = 0;
        return {readEntries(ok) { ok(children.slice(i, i + 1)); i += 1; }};
      }});
    const tree = dirEntry("trip", [
      fileEntry("trip/a.jpg", file(jpeg, "a.jpg", "image/jpeg")),
      dirEntry("trip/sub", [fileEntry("trip/sub/b.png", file(png, "b.png", "image/png")),
                            fileEntry("trip/sub/.DS_Store", file([0], ".DS_Store", ""))]),
      fileEntry("trip/readme.txt", file([104, 105], "readme.txt", "text/plain")),
    ]);
    const found = await lp.input.fromDataTransfer(
      {items: [{kind: "file", webkitGetAsEntry: () => tree}], files: []});
    lp.addFiles(found.files, found.stats);
    // A loose file dropped on the page (a real drop event, real DataTransfer).
    const drop = new DataTransfer();
    drop.items.add(file(jpeg, "dropped.jpg", "image/jpeg"));
    window.dispatchEvent(
      new DragEvent("drop", {dataTransfer: drop, bubbles: true, cancelable: true}));
    // A pasted screenshot: clipboard images are all called image.png.
    const clip = new DataTransfer();
    clip.items.add(file(png, "image.png", "image/png"));
    document.dispatchEvent(new ClipboardEvent("paste", {clipboardData: clip, bubbles: true}));
    return found.stats;
}"""


def test_dropped_folders_loose_files_and_pastes_are_taken(
    page: Page, server: str, tmp_path: Path
) -> None:
    page.goto(server)
    wait_for_engine(page)
    stats = page.evaluate(DROP_AND_PASTE, {
        "jpeg": list((CORPUS / "gps" / "DSCN0021.jpg").read_bytes()),
        "png": list((CORPUS / "formats" / "meta.png").read_bytes()),
    })
    assert stats["skipped"] == 2  # .DS_Store and the text file inside the folder
    wait_finished(page, 4, timeout=300_000)
    assert sorted(page.locator(".file-name").all_text_contents()) == [
        "dropped.jpg", "pasted-image-1.png", "trip/a.jpg", "trip/sub/b.png"]
    assert page.locator(".file[data-status='done']").count() == 4
    archive = download(page, page.locator("#download-all"), tmp_path)
    with zipfile.ZipFile(archive) as zf:
        assert sorted(zf.namelist()) == ["dropped.jpg", "pasted-image-1.png",
                                         "trip/a.jpg", "trip/sub/b.png"]
        assert not leaks(zf.read("trip/a.jpg"))


def test_cancel_drops_the_waiting_files(page: Page, server: str) -> None:
    page.goto(server + "?workers=1")
    wait_for_engine(page)
    files = [p for p in BATCH if p.parent.name == "photos"]
    page.locator("#file").set_input_files(files)
    page.locator("#cancel").click()
    expect(page.locator("body")).to_have_attribute("data-busy", "false", timeout=60_000)
    cancelled = page.locator(".file[data-status='cancelled']").count()
    finished = page.locator(FINISHED).count()
    assert cancelled > 0 and cancelled + finished == len(files)
    expect(page.locator("#batch-status")).to_contain_text(f"{cancelled} cancelled")
    expect(page.locator("#batch-title")).to_be_focused()
    # The engine is still there: process the cancelled ones.
    page.locator("#process-rest").click()
    wait_finished(page, len(files), timeout=300_000)
    assert page.locator(".file[data-status='done']").count() == len(files)


def test_settings_survive_a_reload_apply_and_reset(page: Page, server: str) -> None:
    page.goto(server)
    wait_for_engine(page)
    # Defaults: compress, keep format, automatic quality aiming at "very high" (80);
    # orientation and colour profile kept.
    expect(page.locator("#mode-compress")).to_be_checked()
    expect(page.locator("#size-auto")).to_be_checked()
    expect(page.locator("#quality-target")).to_have_value("80")
    expect(page.locator("#quality")).to_be_disabled()
    expect(page.locator("#keep-orientation")).to_be_checked()
    expect(page.locator("#keep-date-taken")).not_to_be_checked()

    page.locator("#format").select_option("webp")
    page.locator("#quality-target").select_option("70")
    page.locator("#max-width").fill("320")
    page.locator("#keep-date-taken").check()
    page.locator("#keep-orientation").uncheck()
    page.reload()
    wait_for_engine(page)
    expect(page.locator("#format")).to_have_value("webp")
    expect(page.locator("#quality-target")).to_have_value("70")
    expect(page.locator("#max-width")).to_have_value("320")
    expect(page.locator("#keep-date-taken")).to_be_checked()
    expect(page.locator("#keep-orientation")).not_to_be_checked()

    # They reach the engine: a JPEG comes back as a 320 px wide WebP.
    page.locator("#file").set_input_files(CORPUS / "gps" / "DSCN0010.jpg")
    link = page.locator("a#download[href^='blob:']")
    expect(link).to_be_visible(timeout=120_000)
    expect(link).to_have_attribute("download", "DSCN0010.webp")
    expect(page.locator(".file-sizes")).to_contain_text("now WebP")  # the registry's label
    expect(page.locator(".file-sizes")).to_contain_text("320 × 240 px")
    # The quality the automatic mode chose is shown (the score it reached is in the report).
    expect(page.locator(".file-sizes")).to_contain_text(re.compile(r"quality \d+$"))

    # A fixed quality instead: the slider comes alive, the choice survives a reload.
    page.locator("#size-quality").check()
    page.locator("#quality").fill("55")
    expect(page.locator("#quality-target")).to_be_disabled()
    page.reload()
    wait_for_engine(page)
    expect(page.locator("#size-quality")).to_be_checked()
    expect(page.locator("#quality")).to_have_value("55")
    expect(page.locator("#quality-value")).to_have_text("55")

    # "Strip only" disables the compression settings.
    page.locator("#mode-clean").check()
    expect(page.locator("#format")).to_be_disabled()
    page.locator("#reset-settings").click()
    expect(page.locator("#mode-compress")).to_be_checked()
    expect(page.locator("#format")).to_have_value("keep")
    expect(page.locator("#quality")).to_have_value("80")
    expect(page.locator("#size-auto")).to_be_checked()
    expect(page.locator("#quality-target")).to_have_value("80")
    expect(page.locator("#max-width")).to_have_value("")
    expect(page.locator("#keep-orientation")).to_be_checked()
    expect(page.locator("#keep-date-taken")).not_to_be_checked()
    page.reload()
    wait_for_engine(page)
    expect(page.locator("#format")).to_have_value("keep")
    expect(page.locator("#keep-orientation")).to_be_checked()


def natural_width(img: Locator) -> int:
    return img.evaluate("img => img.complete ? img.naturalWidth : 0")


def test_the_comparison_shows_both_images_and_says_when_it_cannot(page: Page, server: str) -> None:
    page.goto(server)
    wait_for_engine(page)
    page.locator("#file").set_input_files([CORPUS / "gps" / "DSCN0010.jpg",
                                           CORPUS / "formats" / "meta.tif"])
    wait_finished(page, 2, timeout=300_000)

    jpeg = row(page, "DSCN0010.jpg")
    jpeg.locator("button.row-compare").click()
    dialog = page.locator("dialog#compare")
    expect(dialog).to_be_visible()
    before, after = page.locator("#compare-before"), page.locator("#compare-after")
    blob = re.compile("^blob:")
    for img in (before, after):
        expect(img).to_have_attribute("src", blob)
        deadline = time.monotonic() + 10
        while natural_width(img) == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert natural_width(img) == 640
    size = (CORPUS / "gps" / "DSCN0010.jpg").stat().st_size
    expect(page.locator("#compare-before-size")).to_contain_text(  # KB = 1000 bytes
        f"Original: {size / 1000:.1f} KB")
    expect(page.locator("#compare-after-size")).to_contain_text("smaller")
    page.locator("#compare-divider").focus()
    for _ in range(6):
        page.keyboard.press("ArrowLeft")
    expect(page.locator("#compare-divider")).to_have_attribute("aria-valuenow", "20")
    stage_width = page.locator("#compare-stage").bounding_box()["width"]
    clip = page.locator("#compare-pane-after").evaluate("el => el.style.clipPath")
    cut = float(re.fullmatch(r"inset\(0px 0px 0px ([\d.]+)px\)", clip).group(1))
    assert abs(cut - 0.2 * stage_width) < 1, (clip, stage_width)
    page.locator("#compare-zoom").select_option("1")
    expect(page.locator("#compare-stage")).to_have_attribute("data-scale", "1")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(before).not_to_have_attribute("src", blob)
    expect(jpeg.locator("button.row-compare")).to_be_focused()

    # TIFF: browsers can't show it; the view shows the engine's lossless PNG of the original
    # (the note says so while it is made) beside the (PNG) result.
    row(page, "meta.tif").locator("button.row-compare").click()
    expect(after).to_be_visible()
    expect(before).to_be_visible(timeout=60_000)
    expect(before).to_have_attribute("src", re.compile(r"^blob:"))
    expect(page.locator("#compare-note")).not_to_contain_text("can't display")
    page.locator("#compare-close").click()
    expect(dialog).to_be_hidden()


@pytest.mark.parametrize(("label", "width", "height"),
                         [("desktop", 1280, 800), ("phone", 375, 812)])
def test_layout_fits_phone_and_desktop(
    page: Page, server: str, label: str, width: int, height: int
) -> None:
    shots = ARTIFACTS / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": width, "height": height})
    page.goto(server)
    wait_for_engine(page)

    def fits() -> None:
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{label}: the page scrolls sideways by {overflow}px"

    fits()
    expect(page.locator("#net-meter")).to_be_in_viewport()
    page.screenshot(path=str(shots / f"{label}-before.png"), full_page=False)
    files = [CORPUS / "gps" / "DSCN0010.jpg", CORPUS / "photos" / "Canon_40D.jpg",
             CORPUS / "broken" / "truncated.jpg", CORPUS / "formats" / "meta.png"]
    page.locator("#file").set_input_files(files)
    wait_finished(page, len(files), timeout=300_000)
    fits()
    row(page, "DSCN0010.jpg").locator("summary").click()
    page.screenshot(path=str(shots / f"{label}-after.png"), full_page=True)
    page.evaluate("() => window.scrollTo(0, document.body.scrollHeight)")
    expect(page.locator("#net-meter")).to_be_in_viewport()
    row(page, "DSCN0010.jpg").locator("button.row-compare").click()
    expect(page.locator("dialog#compare")).to_be_visible()
    page.wait_for_timeout(300)
    page.screenshot(path=str(shots / f"{label}-compare.png"))
    fits()


def test_everything_is_reachable_by_keyboard_and_labelled(page: Page, server: str) -> None:
    page.goto(server)
    wait_for_engine(page)
    # Every form control has an accessible name.
    for control in page.locator("input, select, button").all():
        if control.get_attribute("type") == "hidden":
            continue
        name = control.evaluate("""el => (el.labels && el.labels.length
                                          ? el.labels[0].textContent : '')
                                         || el.getAttribute('aria-label')
                                         || el.textContent || ''""")
        assert name.strip(), control.evaluate("el => el.outerHTML")
    # Tab reaches the pickers (visually hidden inputs, focus shown on their labels).
    reached = set()
    for _ in range(40):
        page.keyboard.press("Tab")
        reached.add(page.evaluate("() => document.activeElement && document.activeElement.id"))
    assert {"file", "folder", "format", "quality-target", "reset-settings"} <= reached, reached
    assert page.locator("[aria-live='polite']").count() >= 2

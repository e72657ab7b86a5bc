"""Looking and trying (issue 15) in real Chromium: the compare view's zoom, pan and split reach
the pixels asked for; a setting changed with a photo open re-encodes it at once; guard rails
mark results that passed badly; batch management (remove, retry, re-run, filter, sort,
duplicates, process the rest, open anyway); the phone flow; focus is never under the sticky
header; result links are real blob: URLs; the file-name suffix."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from conftest import CORPUS, exiftool

from .test_app import download, row, wait_finished
from .test_zero_upload import wait_for_engine

LANDSCAPE = CORPUS / "orientation" / "Landscape_1.jpg"  # 1800 x 1200, no rotation
GPS_PHOTO = CORPUS / "gps" / "DSCN0010.jpg"  # 640 x 480


def stage_state(page: Page) -> dict[str, float]:
    stage = page.locator("#compare-stage")
    return {
        key: float(stage.get_attribute(f"data-{key}")) for key in ("scale", "cx", "cy", "split")
    }


def pane_width(page: Page) -> float:
    box = page.locator("#compare-stage").bounding_box()
    side = page.locator("#compare-stage").get_attribute("data-mode") == "side"
    return box["width"] / 2 if side else box["width"]


def visible(page: Page, x: float, y: float) -> bool:
    """Is image pixel (x, y) inside the view?"""
    s = stage_state(page)
    box = page.locator("#compare-stage").bounding_box()
    return (
        abs(x - s["cx"]) <= pane_width(page) / 2 / s["scale"]
        and abs(y - s["cy"]) <= box["height"] / 2 / s["scale"]
    )


def open_compare(page: Page, name: str) -> None:
    row(page, name).locator("button.row-compare").click()
    expect(page.locator("dialog#compare")).to_be_visible()
    for img in ("#compare-before", "#compare-after"):
        page.wait_for_function(f"() => document.querySelector('{img}').naturalWidth > 0")


def test_compare_zooms_pans_and_splits_to_the_pixels_asked_for(page: Page, server: str) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(server + "?workers=1")
    wait_for_engine(page)
    page.locator("#file").set_input_files([LANDSCAPE, GPS_PHOTO])
    wait_finished(page, 2, timeout=300_000)
    open_compare(page, LANDSCAPE.name)
    stage = page.locator("#compare-stage")
    expect(stage).to_be_focused()

    # Fit: the whole 1800 x 1200 photo is in view, shrunk.
    fit = stage_state(page)
    assert fit["scale"] < 1 and (fit["cx"], fit["cy"]) == (900, 600)
    expect(page.locator("#compare-zoom")).to_have_value("fit")
    assert visible(page, 0, 0) and visible(page, 1799, 1199)
    expect(page.locator("#compare-label-before")).to_contain_text(
        re.compile(r"Original · [\d.]+ KB · JPEG · 1800 × 1200")
    )
    expect(page.locator("#compare-label-after")).to_contain_text(
        re.compile(r"Result · [\d.]+ KB · JPEG · 1800 × 1200 · quality \d+ · score \d")
    )

    # 100 % about the centre; the divider stays where it was on screen.
    page.keyboard.press("1")
    assert stage_state(page) == {"scale": 1, "cx": 900, "cy": 600, "split": 50}
    assert not visible(page, 1790, 10)
    # Arrow keys pan a tenth of the view each, until the top-right corner is in view.
    before = stage_state(page)["cx"]
    page.keyboard.press("ArrowRight")
    assert stage_state(page)["cx"] == pytest.approx(before + pane_width(page) * 0.1, abs=1)
    for _ in range(40):
        if visible(page, 1790, 10):
            break
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowUp")
    assert visible(page, 1790, 10), stage_state(page)

    # 400 % keeps the centre pixel; the select says 400 %.
    centre = stage_state(page)
    page.keyboard.press("4")
    s = stage_state(page)
    assert s["scale"] == 4 and abs(s["cx"] - centre["cx"]) <= 1 and abs(s["cy"] - centre["cy"]) <= 1
    expect(page.locator("#compare-zoom")).to_have_value("4")
    expect(stage).to_have_class(re.compile("pixelated"))  # enlarged pixels are not smoothed

    # The wheel zooms about the pointer: the pixel under it stays under it.
    page.keyboard.press("0")
    page.keyboard.press("2")
    box = stage.bounding_box()
    px, py = 150, 120
    s = stage_state(page)
    under = (
        s["cx"] + (px - box["width"] / 2) / s["scale"],
        s["cy"] + (py - box["height"] / 2) / s["scale"],
    )
    page.mouse.move(box["x"] + px, box["y"] + py)
    page.mouse.wheel(0, -200)
    s2 = stage_state(page)
    assert s2["scale"] > s["scale"]
    after = (
        s2["cx"] + (px - box["width"] / 2) / s2["scale"],
        s2["cy"] + (py - box["height"] / 2) / s2["scale"],
    )
    assert after == pytest.approx(under, abs=1.5)

    # Dragging pans: 120 screen px left = 120 / scale image px right.
    s = stage_state(page)
    page.mouse.move(box["x"] + 300, box["y"] + 300)
    page.mouse.down()
    page.mouse.move(box["x"] + 180, box["y"] + 300, steps=4)
    page.mouse.up()
    assert stage_state(page)["cx"] == pytest.approx(s["cx"] + 120 / s["scale"], abs=1)

    # The divider drags on the image, and moves by keys.
    handle = page.locator("#compare-divider").bounding_box()
    page.mouse.move(handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.25, handle["y"] + handle["height"] / 2, steps=5)
    page.mouse.up()
    assert stage_state(page)["split"] == pytest.approx(25, abs=1)
    expect(page.locator("#compare-divider")).to_be_focused()
    page.keyboard.press("ArrowLeft")
    assert stage_state(page)["split"] == pytest.approx(20, abs=1)
    expect(page.locator("#compare-divider")).to_have_attribute(
        "aria-valuenow", re.compile("^(19|20|21)$")
    )
    clip = page.locator("#compare-pane-after").evaluate("el => el.style.clipPath")
    assert clip.startswith("inset(0px 0px 0px") or clip.startswith("inset(0 0 0")

    # + / − and the level list.
    page.locator("#compare-zoom").select_option("0.5")
    assert stage_state(page)["scale"] == 0.5
    page.locator("#compare-zoom-in").click()  # the next stop up is "fit" (just over 50 % here)
    expect(page.locator("#compare-zoom")).to_have_value("fit")
    page.locator("#compare-zoom-in").click()
    assert stage_state(page)["scale"] == 1

    # Side by side: both panes, each half of the stage, the same pixel at the centre of each.
    page.locator("#compare-mode-side").click()
    expect(stage).to_have_attribute("data-mode", "side")
    expect(page.locator("#compare-divider")).to_be_hidden()
    left = page.locator("#compare-pane-before").bounding_box()
    right = page.locator("#compare-pane-after").bounding_box()
    assert right["x"] >= left["x"] + left["width"] - 1
    assert (
        page.locator("#compare-pane-after").evaluate("el => getComputedStyle(el).clipPath")
        == "none"
    )
    a = page.locator("#compare-before").bounding_box()
    b = page.locator("#compare-after").bounding_box()
    assert a["x"] - left["x"] == pytest.approx(b["x"] - right["x"], abs=1)

    # j: the next photo, in the same view; its download link is a real blob: URL.
    page.keyboard.press("j")
    expect(page.locator("#compare-title")).to_contain_text(GPS_PHOTO.name)
    expect(page.locator("#compare-download")).to_have_attribute("href", re.compile("^blob:"))
    page.keyboard.press("Escape")
    expect(page.locator("dialog#compare")).to_be_hidden()


def test_pinch_and_one_finger_drag_on_a_phone(browser, server: str) -> None:
    context = browser.new_context(
        viewport={"width": 375, "height": 812},
        has_touch=True,
        is_mobile=True,
        device_scale_factor=2,
    )
    page = context.new_page()
    try:
        page.goto(server + "?workers=1")
        wait_for_engine(page)
        # Touch wording: nothing about dropping, Ctrl+V or folders.
        expect(page.locator(".hint-touch")).to_be_visible()
        expect(page.locator(".hint-mouse").first).to_be_hidden()
        expect(page.locator("label[for='folder']")).to_be_hidden()
        page.locator("#file").set_input_files([LANDSCAPE])
        # The list comes into view by itself, and the first row is announced.
        expect(page.locator("#batch-title")).to_be_in_viewport()
        expect(page.locator("#announce")).to_contain_text(f"first {LANDSCAPE.name}")
        wait_finished(page, 1, timeout=300_000)
        row(page, LANDSCAPE.name).locator("button.row-compare").tap()
        expect(page.locator("dialog#compare")).to_be_visible()
        page.wait_for_function("() => document.querySelector('#compare-after').naturalWidth > 0")
        box = page.locator("#compare-stage").bounding_box()
        cdp = context.new_cdp_session(page)
        cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2

        def touch(kind: str, points: list[tuple[float, float]]) -> None:
            cdp.send(
                "Input.dispatchTouchEvent",
                {
                    "type": kind,
                    "touchPoints": [{"x": x, "y": y, "id": i} for i, (x, y) in enumerate(points)],
                },
            )

        fit = stage_state(page)["scale"]
        # Fingers clear of the divider (a 44 px wide handle in the middle).
        touch("touchStart", [(cx - 30, cy), (cx + 30, cy)])
        for spread in range(40, 160, 10):
            touch("touchMove", [(cx - spread, cy), (cx + spread, cy)])
        touch("touchEnd", [])
        pinched = stage_state(page)
        # 60 -> 300 px apart: five times the scale
        assert pinched["scale"] == pytest.approx(fit * 300 / 60, rel=0.1), (fit, pinched)
        assert (pinched["cx"], pinched["cy"]) == (900, 600)  # about the point between the fingers
        # One finger pans.
        page.wait_for_timeout(600)  # not a double tap
        touch("touchStart", [(cx + 80, cy)])
        touch("touchMove", [(cx + 50, cy)])
        touch("touchMove", [(cx + 20, cy)])
        touch("touchEnd", [])
        panned = stage_state(page)
        assert panned["scale"] == pinched["scale"] and panned["split"] == 50, panned
        assert stage_state(page)["cx"] == pytest.approx(
            pinched["cx"] + 60 / pinched["scale"], abs=2
        )
    finally:
        context.close()


def test_a_setting_changed_in_the_compare_view_previews_at_once(page: Page, server: str) -> None:
    page.goto(server + "?workers=1")
    wait_for_engine(page)
    page.locator("#file").set_input_files([GPS_PHOTO, CORPUS / "photos" / "Canon_40D.jpg"])
    wait_finished(page, 2, timeout=300_000)
    first_size = row(page, GPS_PHOTO.name).locator(".file-sizes").text_content()
    open_compare(page, GPS_PHOTO.name)
    # The settings are beside the image while it is open.
    expect(page.locator("#compare-settings #settings")).to_be_visible()
    expect(page.locator("#preview-note")).to_be_visible()
    old_src = page.locator("#compare-after").get_attribute("src")
    page.locator("#size-quality").check()
    page.locator("#quality").fill("20")
    after = page.locator("#compare-after-size")
    expect(after).to_contain_text(
        re.compile(r"Before this change: [\d.]+ KB, score [\d.]+ → now [\d.]+ KB, score"),
        timeout=60_000,
    )
    expect(page.locator("#compare-label-after")).to_contain_text("quality 20")
    assert page.locator("#compare-after").get_attribute("src") != old_src
    # Only this photo was re-encoded; the row shows its previous size beside the new one.
    gps_row = row(page, GPS_PHOTO.name)
    expect(gps_row.locator(".file-sizes")).to_contain_text("quality 20")
    expect(gps_row.locator(".file-previous")).to_contain_text("before:")
    assert gps_row.locator(".file-sizes").text_content() != first_size
    canon = row(page, "Canon_40D.jpg")
    expect(canon.locator(".file-previous")).to_have_count(0)
    page.keyboard.press("Escape")
    # The form went back to its panel; "apply to all" offers the one photo left behind.
    expect(page.locator("#settings-panel #settings")).to_have_count(1)
    apply_all = page.locator("#apply-all")
    expect(apply_all).to_have_text("Apply current settings to all (1)")
    canon_before = canon.locator(".file-sizes").text_content()
    apply_all.click()
    # The old result stays visible until the new one replaces it.
    expect(canon).to_have_attribute("data-status", re.compile("queued|running|done"))
    expect(canon.locator(".file-sizes")).to_be_visible()
    expect(canon.locator("a.row-download")).to_have_attribute("href", re.compile("^blob:"))
    expect(canon.locator(".file-sizes")).to_contain_text("quality 20", timeout=60_000)
    expect(canon.locator(".file-previous")).to_contain_text(
        canon_before.split(" → ")[1].split(",")[0]
    )
    expect(apply_all).to_be_hidden()


def test_guard_rails(page: Page, server: str, tmp_path: Path) -> None:
    page.goto(server + "?workers=1")
    wait_for_engine(page)
    # Invalid numbers get an inline error and are never silently dropped.
    page.locator("#size-target").check()
    page.locator("#target-kb").fill("0")
    expect(page.locator("#target-kb")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#target-kb-error")).to_have_text(
        "The target size must be a whole number of KB, 1 or more. 500 KB is used until then."
    )
    page.locator("#max-width").fill("-5")
    expect(page.locator("#max-width-error")).to_contain_text("No max width is used until then.")
    expect(page.locator("#settings-summary")).to_contain_text("at most 500 KB")
    page.locator("#max-width").fill("")
    expect(page.locator("#max-width-error")).to_be_hidden()
    expect(page.locator("#max-width")).not_to_have_attribute("aria-invalid", "true")

    # A target size that forces a low score is marked, with fixes to try.
    page.locator("#target-kb").fill("6")
    expect(page.locator("#target-kb-error")).to_be_hidden()
    page.locator("#file").set_input_files([GPS_PHOTO])
    wait_finished(page, 1, timeout=120_000)
    r = row(page, GPS_PHOTO.name)
    expect(r).to_have_attribute("data-warn", "low-quality")
    expect(r.locator(".file-status")).to_have_text("Done — check")
    expect(r.locator(".file-warning")).to_contain_text(
        re.compile(r"Low quality: to reach the size, quality fell to \d+")
    )
    r.locator("button.fix-low-quality", has_text="Try WebP").click()
    expect(page.locator("#format")).to_have_value("webp")
    expect(r.locator(".file-sizes")).to_contain_text("now WebP", timeout=60_000)
    page.locator("#reset-settings").click()
    page.locator("#clear").click()

    # A conversion that came out larger says so, and offers the cleaned original.
    page.locator("#format").select_option("webp")
    rotated = CORPUS / "orientation" / "Landscape_6.jpg"
    page.locator("#file").set_input_files([LANDSCAPE, rotated, CORPUS / "formats" / "meta.jpg"])
    wait_finished(page, 3, timeout=300_000)
    big = row(page, LANDSCAPE.name)
    expect(big).to_have_attribute("data-warn", "larger")
    expect(big.locator(".file-warning")).to_contain_text(
        re.compile(r"As WebP this photo is \d+% larger than the original JPEG")
    )
    big.locator("button.fix-larger").click()
    expect(big.locator(".file-sizes")).to_contain_text("pixels untouched", timeout=60_000)
    expect(big).not_to_have_attribute("data-warn", "larger")
    expect(big.locator("a.row-download")).to_have_attribute("download", LANDSCAPE.name)

    # Orientation (kept by default) that was turned into the pixels says so.
    turned = row(page, rotated.name)
    turned.locator("summary").click()
    expect(turned.locator(".finding[data-category='orientation']")).to_contain_text(
        "Orientation: Rotate 90° clockwise (6) — applied to the pixels"
    )

    # Keep copyright keeps the notice, not the artist's name (judged by ExifTool).
    page.locator("#format").select_option("keep")
    page.locator("#keep-copyright").check()
    meta = row(page, "meta.jpg")
    meta.locator("button.row-rerun").click()
    expect(meta.locator(".file-previous")).to_be_visible(timeout=60_000)
    meta.locator("summary").click()
    expect(meta.locator(".finding.kept[data-category='copyright']")).to_contain_text(
        "Copyright notice"
    )
    expect(meta.locator(".finding.removed", has_text="Author / artist name").first).to_be_visible()
    expect(meta.locator(".finding.kept", has_text="Author / artist name")).to_have_count(0)
    tags = exiftool(download(page, meta.locator("a.row-download"), tmp_path).read_bytes())
    assert tags.get("IFD0:Copyright") == "CC-BY_Jane_Doe" and "IFD0:Artist" not in tags


def bomb_like(tmp_path: Path) -> Path:
    """A 105 MP one-bit PNG: over the 100 MP limit, small in memory once opened anyway."""
    path = tmp_path / "huge-scan.png"
    buffer = io.BytesIO()
    Image.new("1", (10500, 10000), 1).save(buffer, "PNG")
    path.write_bytes(buffer.getvalue())
    return path


# The CSP's connect-src leaves out blob:, so the test loads the result as an image instead.
LOAD = (
    "url => new Promise((ok) => { const i = new Image(); i.onload = () => ok('loaded');"
    " i.onerror = () => ok('revoked'); i.src = url; })"
)


def test_batch_management(page: Page, server: str, tmp_path: Path) -> None:
    page.goto(server + "?workers=1")
    wait_for_engine(page)
    canon = CORPUS / "photos" / "Canon_40D.jpg"
    broken = [
        CORPUS / "broken" / n for n in ("truncated.jpg", "bomb-40000x40000.png", "not-an-image.jpg")
    ]
    twin = tmp_path / "copy"
    twin.mkdir()
    (twin / GPS_PHOTO.name).write_bytes(GPS_PHOTO.read_bytes())
    huge = bomb_like(tmp_path)
    page.locator("#file").set_input_files([GPS_PHOTO, canon, *broken, huge, twin / GPS_PHOTO.name])
    # The same name, size and content twice: one row, and a note saying so.
    expect(page.locator("#batch-note")).to_contain_text("1 duplicate not added")
    wait_finished(page, 6, timeout=300_000)
    expect(page.locator(".file")).to_have_count(6)
    page.locator("#file").set_input_files([GPS_PHOTO])
    expect(page.locator("#announce")).to_contain_text("Nothing added")
    expect(page.locator(".file")).to_have_count(6)

    # Thumbnails: small previews of the results, from the worker.
    thumb = row(page, GPS_PHOTO.name).locator(".thumb img")
    expect(thumb).to_have_attribute("src", re.compile("^data:image/jpeg;base64,"))
    assert thumb.evaluate("img => img.complete && img.naturalWidth") == 96

    # The error count is a button that shows only the errors and jumps to the first.
    errors = page.locator("#error-count")
    expect(errors).to_have_text(re.compile("4 errors"))
    errors.click()
    expect(page.locator("#filter")).to_have_value("error")
    expect(page.locator(".file:visible")).to_have_count(4)
    first_error = page.locator(".file:visible").first
    expect(first_error).to_be_focused()
    expect(page.locator("#filter-note")).to_have_text("Showing 4 of 6 files.")

    # A real bomb: what it would need, and no control that cannot work.
    bomb = row(page, "bomb-40000x40000.png")
    expect(bomb.locator(".file-error-box")).to_contain_text("can't use 19.2 GB of memory")
    expect(bomb.locator("button.row-open-anyway")).to_have_count(0)
    # Big but possible: "open anyway" with the memory it takes, and it opens.
    scan = row(page, huge.name)
    anyway = scan.locator("button.row-open-anyway")
    expect(anyway).to_have_text("Open anyway (needs about 1.3 GB of memory)")
    anyway.click()
    expect(scan).to_have_attribute("data-status", "done", timeout=300_000)

    # Retry an error: it runs again (and fails again, with its own message).
    page.locator("#filter").select_option("all")
    truncated = row(page, "truncated.jpg")
    truncated.locator("button.row-retry").click()
    expect(truncated).to_have_attribute("data-runs", "2", timeout=60_000)
    expect(truncated).to_have_attribute("data-status", "error")

    # Sort by name, by original size; the DOM order (and so Tab) follows.
    page.locator("#sort").select_option("name")
    names = page.locator(".file-name").all_text_contents()
    assert names == sorted(names, key=str.lower)
    page.locator("#sort").select_option("size")
    sizes = {p.name: p.stat().st_size for p in [GPS_PHOTO, canon, *broken, huge]}
    assert page.locator(".file-name").all_text_contents() == sorted(sizes, key=lambda n: -sizes[n])
    page.locator("#sort").select_option("status")
    assert page.locator(".file").first.get_attribute("data-status") == "error"

    # Re-run one file: its previous size is shown beside the new one.
    gps_row = row(page, GPS_PHOTO.name)
    gps_row.locator("button.row-rerun").click()
    expect(gps_row.locator(".file-previous")).to_be_visible(timeout=60_000)

    # Remove: the row goes, its blob: URL is revoked, focus goes to the next row.
    canon_row = row(page, canon.name)
    url = canon_row.locator("a.row-download").get_attribute("href")
    assert url.startswith("blob:")
    assert page.evaluate(LOAD, url) == "loaded"
    canon_row.locator("button.row-remove").click()
    expect(page.locator(".file")).to_have_count(5)
    assert page.evaluate(LOAD, url) == "revoked"
    expect(page.locator(".file:focus")).to_have_count(1)


def test_process_the_rest_after_cancel_runs_only_unfinished_files(page: Page, server: str) -> None:
    page.goto(server + "?workers=1")
    wait_for_engine(page)
    files = sorted((CORPUS / "photos").glob("*.jpg"))
    page.locator("#file").set_input_files(files)
    expect(page.locator(".file[data-status='done']").first).to_be_visible(timeout=120_000)
    page.locator("#cancel").click()
    expect(page.locator("body")).to_have_attribute("data-busy", "false", timeout=60_000)
    cancelled = page.locator(".file[data-status='cancelled']").count()
    done_urls = page.locator(".file[data-status='done'] a.row-download").evaluate_all(
        "links => links.map(a => a.href)"
    )
    assert cancelled > 0 and done_urls
    rest = page.locator("#process-rest")
    expect(rest).to_have_text(f"Process the rest ({cancelled})")
    rest.click()
    wait_finished(page, len(files), timeout=300_000)
    # The finished ones were not run again: same results, same links, no "before" sizes.
    for url in done_urls:
        expect(page.locator(f"a.row-download[href='{url}']")).to_have_count(1)
    expect(page.locator(".file-previous")).to_have_count(0)
    expect(rest).to_be_hidden()


def test_links_are_real_and_names_get_the_suffix(page: Page, server: str, tmp_path: Path) -> None:
    page.goto(server)
    wait_for_engine(page)
    page.locator("#suffix").fill("-clean")
    page.reload()
    wait_for_engine(page)
    expect(page.locator("#suffix")).to_have_value("-clean")  # remembered
    page.locator("#file").set_input_files([GPS_PHOTO, CORPUS / "formats" / "meta.png"])
    wait_finished(page, 2, timeout=300_000)
    link = row(page, GPS_PHOTO.name).locator("a.row-download")
    # A real href before any click: save-as, middle-click and drag-out work.
    expect(link).to_have_attribute("href", re.compile("^blob:"))
    expect(link).to_have_attribute("download", "DSCN0010-clean.jpg")
    saved = download(page, link, tmp_path)
    assert saved.name == "DSCN0010-clean.jpg" and saved.read_bytes()[:2] == b"\xff\xd8"
    archive = download(page, page.locator("#download-all"), tmp_path)
    with zipfile.ZipFile(archive) as zf:
        assert sorted(zf.namelist()) == ["DSCN0010-clean.jpg", "meta-clean.png"]
    page.locator("#suffix").fill("a/b")
    expect(page.locator("#suffix-error")).to_be_visible()


OBSCURED = """el => {
    const shown = el.labels && el.labels.length && el.getBoundingClientRect().height <= 1
        ? el.labels[0] : el;
    const r = shown.getBoundingClientRect();
    for (const y of [r.top + 2, r.top + r.height / 2]) {
        const hit = document.elementFromPoint(r.left + Math.min(r.width / 2, 12), y);
        if (!hit || !(shown.contains(hit) || el.contains(hit))) {
            return hit ? hit.outerHTML.slice(0, 80) : 'off screen';
        }
    }
    return null;
}"""


@pytest.mark.parametrize(("width", "height"), [(1280, 800), (375, 812)])
def test_focus_is_never_under_the_sticky_header(
    page: Page, server: str, width: int, height: int
) -> None:
    page.set_viewport_size({"width": width, "height": height})
    page.goto(server)
    wait_for_engine(page)
    files = [GPS_PHOTO, CORPUS / "photos" / "Canon_40D.jpg", CORPUS / "broken" / "truncated.jpg"]
    page.locator("#file").set_input_files(files)
    wait_finished(page, len(files), timeout=300_000)
    page.locator("#settings-panel > summary").evaluate("s => s.parentElement.open = true")
    page.evaluate("() => window.scrollTo(0, document.body.scrollHeight)")
    page.locator("body").focus()
    seen = 0
    first_row_control = None
    for i in range(120):
        page.keyboard.press("Shift+Tab")
        focused = page.locator(":focus")
        if not focused.count() or focused.evaluate("el => !!el.closest('#top')"):
            continue
        # What is drawn at the focused control's top edge and centre must be the control (or,
        # for a visually hidden file input, its label): nothing sticky on top of it.
        hidden_by = focused.evaluate(OBSCURED)
        assert hidden_by is None, (
            i,
            focused.evaluate("el => el.outerHTML.slice(0, 120)"),
            hidden_by,
        )
        seen += 1
        if focused.evaluate("el => !!el.closest('.file')"):
            first_row_control = i
    assert seen > 20 and first_row_control is not None
    # Results come before the settings in the tab order.
    order = page.evaluate("""() => {
        const all = [...document.querySelectorAll('button, a[href], input, select, summary')];
        const at = (sel) => all.findIndex((el) => el.matches(sel));
        return [at('.file button'), at('#format')];
    }""")
    assert 0 <= order[0] < order[1]


def test_shortcuts_and_their_help(page: Page, server: str) -> None:
    page.goto(server + "?workers=1")
    wait_for_engine(page)
    page.locator("#file").set_input_files([GPS_PHOTO, LANDSCAPE])
    wait_finished(page, 2, timeout=300_000)
    page.locator("#batch-title").focus()
    page.keyboard.press("?")
    help_dialog = page.locator("dialog#help")
    expect(help_dialog).to_be_visible()
    for key in ("j", "c", "d", "+", "0", "s", "Esc"):
        expect(help_dialog.locator("kbd", has_text=key).first).to_be_visible()
    page.keyboard.press("Escape")
    expect(help_dialog).to_be_hidden()
    page.keyboard.press("j")
    expect(row(page, GPS_PHOTO.name)).to_be_focused()
    page.keyboard.press("j")
    expect(row(page, LANDSCAPE.name)).to_be_focused()
    page.keyboard.press("k")
    expect(row(page, GPS_PHOTO.name)).to_be_focused()
    with page.expect_download() as info:
        page.keyboard.press("d")
    assert info.value.suggested_filename == GPS_PHOTO.name
    page.keyboard.press("c")
    expect(page.locator("dialog#compare")).to_be_visible()
    expect(page.locator("#compare-title")).to_contain_text(GPS_PHOTO.name)
    page.keyboard.press("2")
    assert stage_state(page)["scale"] == 2
    page.keyboard.press("s")
    expect(page.locator("#compare-stage")).to_have_attribute("data-mode", "side")


def axe_violations(page: Page, axe: Path, context: str) -> list[str]:
    if not page.evaluate("() => !!window.axe"):
        page.add_script_tag(path=str(axe))
    return page.evaluate(
        "async (ctx) => (await axe.run(ctx ? document.querySelector(ctx) : document, "
        "{resultTypes: ['violations']})).violations"
        ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
        ".map(v => v.id + ' (' + v.impact + '): '"
        " + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '))",
        context,
    )


def shoot(page: Page, shots: Path, name: str) -> None:
    page.screenshot(path=str(shots / f"{name}.png"))


@pytest.mark.parametrize(
    ("label", "width", "height"), [("desktop", 1280, 800), ("phone", 375, 812)]
)
def test_axe_finds_nothing_serious_in_any_view_and_theme(
    browser, server: str, axe_core: Path, label: str, width: int, height: int
) -> None:
    from .test_app import ARTIFACTS

    shots = ARTIFACTS / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    # bypass_csp only so the test can inject axe-core; the app itself never loads it.
    context = browser.new_context(
        viewport={"width": width, "height": height},
        bypass_csp=True,
        has_touch=label == "phone",
        is_mobile=label == "phone",
    )
    page = context.new_page()
    found: dict[str, list[str]] = {}
    themes = ("light", "dark")
    try:
        page.goto(server + "?workers=1")
        wait_for_engine(page)
        for theme in themes:
            page.emulate_media(color_scheme=theme)
            found[f"start/{theme}"] = axe_violations(page, axe_core, "")
            shoot(page, shots, f"ux-{label}-{theme}-start")
        page.locator("#file").set_input_files(
            [GPS_PHOTO, LANDSCAPE, CORPUS / "broken" / "truncated.jpg"]
        )
        wait_finished(page, 3, timeout=300_000)
        page.locator("#settings-panel").evaluate("d => { d.open = true; }")
        page.locator("#size-target").check()  # the list then offers "apply to all"
        row(page, GPS_PHOTO.name).locator("summary").click()
        for theme in themes:
            page.emulate_media(color_scheme=theme)
            found[f"results/{theme}"] = axe_violations(page, axe_core, "")
            page.locator("#batch-title").scroll_into_view_if_needed()
            shoot(page, shots, f"ux-{label}-{theme}-results")
        page.locator("#settings-panel").evaluate("d => { d.open = true; d.scrollIntoView(); }")
        for theme in themes:
            page.emulate_media(color_scheme=theme)
            found[f"settings/{theme}"] = axe_violations(page, axe_core, "")
            shoot(page, shots, f"ux-{label}-{theme}-settings")
        open_compare(page, LANDSCAPE.name)
        for theme in themes:
            page.emulate_media(color_scheme=theme)
            found[f"compare/{theme}"] = axe_violations(page, axe_core, "")
            page.keyboard.press("1")
            page.wait_for_timeout(150)
            shoot(page, shots, f"ux-{label}-{theme}-compare-100")
            page.keyboard.press("4")
            page.wait_for_timeout(150)
            shoot(page, shots, f"ux-{label}-{theme}-compare-400")
            page.keyboard.press("0")
    finally:
        context.close()
    bad = {view: v for view, v in found.items() if v}
    assert not bad, bad

// The before/after view: original and result stacked, a split slider, fit or 100% zoom.
// Both images are blob: URLs made when the view opens and revoked when it closes.
"use strict";
window.localpix = window.localpix || {};

(function (lp) {
  // What <img> can show in current browsers (TIFF: only Safari, so we don't count on it).
  const VIEWABLE = new Set(["jpeg", "png", "webp", "gif", "bmp", "avif"]);
  const $ = (id) => document.getElementById(id);
  let urls = [];
  let opener = null;
  let zoomed = false;

  function revoke() {
    for (const url of urls) URL.revokeObjectURL(url);
    urls = [];
  }

  function setSplit(value) {
    const v = Math.max(0, Math.min(100, Number(value)));
    // Result on the right of the divider, original on the left.
    $("compare-after").style.clipPath = `inset(0 0 0 ${v}%)`;
    $("compare-divider").style.left = `${v}%`;
  }

  function applyZoom() {
    const frame = $("compare-frame");
    const before = $("compare-before");
    const after = $("compare-after");
    const natural = before.naturalWidth || after.naturalWidth;
    frame.classList.toggle("actual", zoomed);
    frame.style.width = zoomed && natural ? `${natural}px` : "";
    $("compare-zoom").setAttribute("aria-pressed", String(zoomed));
    $("compare-zoom").textContent = zoomed ? "Fit to window" : "Zoom to 100%";
  }

  function show(img, blob, format, alt) {
    img.removeAttribute("src");
    img.hidden = !VIEWABLE.has(format);
    if (img.hidden) return false;
    const url = URL.createObjectURL(blob);
    urls.push(url);
    img.alt = alt;
    img.src = url;
    return true;
  }

  /** Open the view for a finished job: {file, output, response, path}. */
  function open(job, openerButton) {
    const dialog = $("compare");
    revoke();
    opener = openerButton || null;
    zoomed = false;
    const r = job.response;
    const inFormat = r.before ? r.before.format : "";
    const saved = r.input_size - r.output_size;
    const pct = r.input_size ? Math.round((100 * saved) / r.input_size) : 0;
    $("compare-title").textContent = `Before and after: ${job.path}`;
    $("compare-before-size").textContent =
      `Original: ${lp.formatBytes(r.input_size)}${r.before ? `, ${r.before.width} × ${r.before.height}` : ""}`;
    $("compare-after-size").textContent =
      `Result: ${lp.formatBytes(r.output_size)}${r.after ? `, ${r.after.width} × ${r.after.height}` : ""}` +
      (saved > 0 ? ` (${pct}% smaller)` : saved < 0 ? ` (${-pct}% larger)` : " (same size)");
    const hasBefore = show($("compare-before"), job.file, inFormat, `Original: ${job.path}`);
    const hasAfter = show($("compare-after"), job.output, r.format, `Result: ${r.name}`);
    const notes = [];
    if (!hasBefore) notes.push(`Browsers can't display ${lp.settings.formatLabel(inFormat)} images, so the original can't be shown here.`);
    if (!hasAfter) notes.push(`Browsers can't display ${lp.settings.formatLabel(r.format)} images, so the result can't be shown here.`);
    $("compare-note").textContent = notes.join(" ");
    $("compare-note").hidden = !notes.length;
    const both = hasBefore && hasAfter;
    $("compare-frame").classList.toggle("single", !both);
    $("compare-frame").hidden = !hasBefore && !hasAfter;
    $("compare-split-row").hidden = !both;
    $("compare-zoom").hidden = !hasBefore && !hasAfter;
    $("compare-split").value = "50";
    setSplit(both ? 50 : hasAfter ? 0 : 100);
    applyZoom();
    dialog.showModal();
    $("compare-split-row").hidden ? $("compare-close").focus() : $("compare-split").focus();
  }

  function init() {
    const dialog = $("compare");
    $("compare-split").addEventListener("input", (event) => setSplit(event.target.value));
    $("compare-zoom").addEventListener("click", () => {
      zoomed = !zoomed;
      applyZoom();
    });
    $("compare-before").addEventListener("load", applyZoom);
    $("compare-close").addEventListener("click", () => dialog.close());
    dialog.addEventListener("close", () => {
      $("compare-before").removeAttribute("src");
      $("compare-after").removeAttribute("src");
      revoke();
      if (opener && opener.isConnected) opener.focus();
      opener = null;
    });
    // A click on the backdrop (outside the dialog box) closes it too.
    dialog.addEventListener("click", (event) => {
      if (event.target === dialog) dialog.close();
    });
  }

  lp.compare = { init, open, VIEWABLE };
})(window.localpix);

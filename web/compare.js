// The before/after view: original and result split by a draggable divider, or side by side;
// zoom (fit, 50-400 % and anything between by wheel or pinch) about the pointer or the centre,
// pan by drag or arrow keys. Both sides always show the same image pixel at the same place.
// Images are blob: URLs made when a photo is shown and revoked when it is replaced or closed.
// While open, the settings form sits beside the image: changes preview on this photo (app.js).
"use strict";
window.localpix = window.localpix || {};

(function (lp) {
  // What <img> can show in current browsers (TIFF: only Safari, so we don't count on it).
  const VIEWABLE = new Set(["jpeg", "png", "webp", "gif", "bmp", "avif"]);
  const LEVELS = [0.25, 0.5, 1, 2, 4, 8]; // what + and − step through (fit joins them)
  const MIN_SCALE = 0.05;
  const MAX_SCALE = 16;
  const $ = (id) => document.getElementById(id);

  const view = {
    job: null,
    natural: { w: 0, h: 0 }, // the result's pixel size: both sides are drawn in its pixels
    scale: 1,
    fit: true,
    cx: 0, // the image pixel at the centre of each pane
    cy: 0,
    split: 0.5, // the divider, as a fraction of the stage's width (so zooming never loses it)
    mode: "split",
    result: null, // the job's result on show (a preview replaces it)
    decoding: false, // the original is being decoded for display (decodeOriginal)
    shows: { before: false, after: false },
  };
  let urls = { before: null, after: null };
  let opener = null;
  let onClose = () => {};
  let onOpen = () => {};
  let step = () => {};
  // (job) => Promise<Blob | null>: the original decoded by the engine into a PNG, for formats
  // <img> cannot show (HEIC, JPEG XL, TIFF, ...).
  let decodeOriginal = null;

  function revoke(which) {
    for (const key of which) {
      if (urls[key]) URL.revokeObjectURL(urls[key]);
      urls[key] = null;
    }
  }

  function panes() {
    const list = [];
    if (view.shows.before) list.push($("compare-pane-before"));
    if (view.shows.after) list.push($("compare-pane-after"));
    return list;
  }

  /** The size of one pane: the stage, or half of it side by side. */
  function paneSize() {
    const stage = $("compare-stage");
    const side = view.mode === "side" && view.shows.before && view.shows.after;
    return { w: side ? stage.clientWidth / 2 : stage.clientWidth, h: stage.clientHeight };
  }

  function fitScale() {
    const { w, h } = paneSize();
    if (!view.natural.w || !w || !h) return 1;
    return Math.min(1, w / view.natural.w, h / view.natural.h);
  }

  /** Keep the centre where the image still covers the pane (or centred when it is smaller). */
  function clampCentre() {
    const { w, h } = paneSize();
    const clamp = (c, size, pane) => {
      const half = pane / 2 / view.scale;
      return size <= 2 * half ? size / 2 : Math.max(half, Math.min(size - half, c));
    };
    view.cx = clamp(view.cx, view.natural.w, w);
    view.cy = clamp(view.cy, view.natural.h, h);
  }

  function layout() {
    if (view.fit) {
      view.scale = fitScale();
      view.cx = view.natural.w / 2;
      view.cy = view.natural.h / 2;
    }
    clampCentre();
    const { w, h } = paneSize();
    const s = view.scale;
    const stage = $("compare-stage");
    for (const pane of panes()) {
      const img = pane.querySelector("img");
      img.style.width = `${view.natural.w * s}px`;
      img.style.height = `${view.natural.h * s}px`;
      img.style.left = `${w / 2 - view.cx * s}px`;
      img.style.top = `${h / 2 - view.cy * s}px`;
    }
    const split = view.mode === "split" && view.shows.before && view.shows.after;
    const cut = view.split * stage.clientWidth;
    $("compare-pane-after").style.clipPath = split ? `inset(0 0 0 ${cut}px)` : "";
    $("compare-divider").hidden = !split;
    $("compare-divider").style.left = `${cut}px`;
    const pct = Math.round(view.split * 100);
    $("compare-divider").setAttribute("aria-valuenow", String(pct));
    $("compare-divider").setAttribute("aria-valuetext", `${pct} % original, ${100 - pct} % result`);
    // Pixels stay pixels when enlarged: compression damage must not be smoothed away.
    stage.classList.toggle("pixelated", s >= 2);
    // For tests and curious users: where the view is, in the image's own pixels.
    stage.dataset.scale = String(Math.round(s * 1000) / 1000);
    stage.dataset.cx = String(Math.round(view.cx));
    stage.dataset.cy = String(Math.round(view.cy));
    stage.dataset.split = String(pct);
    stage.dataset.mode = view.mode;
    const select = $("compare-zoom");
    const level = view.fit ? "fit" : String(s);
    const known = Array.from(select.options).some((o) => o.value === level && !o.disabled);
    const custom = select.querySelector("option[value='custom']");
    custom.hidden = known;
    custom.textContent = `${Math.round(s * 100)} %`;
    select.value = known ? level : "custom";
    $("compare-zoom-in").disabled = s >= MAX_SCALE;
    $("compare-zoom-out").disabled = view.fit || s <= Math.min(fitScale(), MIN_SCALE * 2);
  }

  /** Zoom to `scale` keeping the image point under (px, py) of a pane where it is. */
  function zoomTo(scale, px, py) {
    const { w, h } = paneSize();
    const x = px === undefined ? w / 2 : px;
    const y = py === undefined ? h / 2 : py;
    const old = view.scale;
    const next = Math.max(MIN_SCALE, Math.min(MAX_SCALE, scale));
    const ix = view.cx + (x - w / 2) / old;
    const iy = view.cy + (y - h / 2) / old;
    view.fit = false;
    view.scale = next;
    view.cx = ix - (x - w / 2) / next;
    view.cy = iy - (y - h / 2) / next;
    layout();
  }

  function setFit() {
    view.fit = true;
    layout();
  }

  function stepZoom(direction, px, py) {
    const s = view.scale;
    const stops = [...new Set([...LEVELS, fitScale()])].sort((a, b) => a - b);
    const next = direction > 0 ? stops.find((v) => v > s * 1.001) : [...stops].reverse().find((v) => v < s / 1.001);
    if (next === undefined) return;
    if (Math.abs(next - fitScale()) < 1e-9 || (direction < 0 && next < fitScale())) setFit();
    else zoomTo(next, px, py);
  }

  function pan(dx, dy) {
    view.fit = false;
    view.cx += dx / view.scale;
    view.cy += dy / view.scale;
    layout();
  }

  function setSplit(fraction) {
    view.split = Math.max(0, Math.min(1, fraction));
    layout();
  }

  function setMode(mode) {
    view.mode = mode;
    $("compare-mode-split").setAttribute("aria-pressed", String(mode === "split"));
    $("compare-mode-side").setAttribute("aria-pressed", String(mode === "side"));
    layout();
  }

  /** Pointer position relative to the pane it is over. */
  function inPane(event) {
    const stage = $("compare-stage").getBoundingClientRect();
    let x = event.clientX - stage.left;
    const y = event.clientY - stage.top;
    const { w } = paneSize();
    if (view.mode === "side" && view.shows.before && view.shows.after && x > w) x -= w;
    return { x, y };
  }

  function bindPointers() {
    const stage = $("compare-stage");
    const divider = $("compare-divider");
    const pointers = new Map();
    let drag = null; // {kind: "pan" | "split" | "pinch", ...}

    stage.addEventListener("wheel", (event) => {
      event.preventDefault();
      const { x, y } = inPane(event);
      const lines = event.deltaMode === 1 ? 16 : event.deltaMode === 2 ? 400 : 1;
      zoomTo(view.scale * Math.exp(-event.deltaY * lines * 0.0015), x, y);
    }, { passive: false });

    stage.addEventListener("pointerdown", (event) => {
      if (event.button !== 0) return;
      stage.setPointerCapture(event.pointerId);
      pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
      if (pointers.size === 2) {
        // The image point between the fingers stays between them, whatever they do.
        const [a, b] = [...pointers.values()];
        const at = inPane({ clientX: (a.x + b.x) / 2, clientY: (a.y + b.y) / 2 });
        const { w, h } = paneSize();
        drag = { kind: "pinch", dist: Math.hypot(a.x - b.x, a.y - b.y) || 1, scale: view.scale,
                 ix: view.cx + (at.x - w / 2) / view.scale, iy: view.cy + (at.y - h / 2) / view.scale };
      } else if (event.target === divider) {
        drag = { kind: "split" };
        divider.focus({ preventScroll: true });
      } else {
        drag = { kind: "pan", x: event.clientX, y: event.clientY };
      }
      event.preventDefault();
    });
    stage.addEventListener("pointermove", (event) => {
      if (!pointers.has(event.pointerId) || !drag) return;
      pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
      if (drag.kind === "split") {
        const rect = stage.getBoundingClientRect();
        setSplit((event.clientX - rect.left) / rect.width);
      } else if (drag.kind === "pan") {
        pan(drag.x - event.clientX, drag.y - event.clientY);
        drag.x = event.clientX;
        drag.y = event.clientY;
      } else if (drag.kind === "pinch" && pointers.size >= 2) {
        const [a, b] = [...pointers.values()];
        const at = inPane({ clientX: (a.x + b.x) / 2, clientY: (a.y + b.y) / 2 });
        const { w, h } = paneSize();
        const scale = Math.max(MIN_SCALE, Math.min(MAX_SCALE, drag.scale * (Math.hypot(a.x - b.x, a.y - b.y) / drag.dist)));
        view.fit = false;
        view.scale = scale;
        view.cx = drag.ix - (at.x - w / 2) / scale;
        view.cy = drag.iy - (at.y - h / 2) / scale;
        layout();
      }
    });
    const end = (event) => {
      pointers.delete(event.pointerId);
      if (!pointers.size) drag = null;
      else if (drag && drag.kind === "pinch") {
        const [p] = [...pointers.values()];
        drag = { kind: "pan", x: p.x, y: p.y };
      }
    };
    stage.addEventListener("pointerup", end);
    stage.addEventListener("pointercancel", end);
    stage.addEventListener("dblclick", (event) => {
      const { x, y } = inPane(event);
      if (view.fit) zoomTo(1, x, y);
      else setFit();
    });
  }

  /** Keys inside the view; returns true when the key was used. */
  function onKey(event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return false;
    const target = event.target;
    if (target.closest && target.closest(".compare-aside")) return false; // typing in settings
    const onDivider = target === $("compare-divider");
    const { w, h } = paneSize();
    const panStep = event.shiftKey ? 0.5 : 0.1;
    switch (event.key) {
      case "+": case "=": stepZoom(1); return true;
      case "-": case "_": stepZoom(-1); return true;
      case "0": setFit(); return true;
      case "1": zoomTo(1); return true;
      case "2": zoomTo(2); return true;
      case "4": zoomTo(4); return true;
      case "s": setMode(view.mode === "split" ? "side" : "split"); return true;
      case "[": setSplit(view.split - 0.05); return true;
      case "]": setSplit(view.split + 0.05); return true;
      case "j": step(1); return true;
      case "k": step(-1); return true;
      default: break;
    }
    if (!onDivider && target !== $("compare-stage")) return false;
    if (onDivider) {
      const moves = { ArrowLeft: -0.05, ArrowDown: -0.05, ArrowRight: 0.05, ArrowUp: 0.05 };
      if (event.key in moves) setSplit(view.split + moves[event.key] * (event.shiftKey ? 4 : 1));
      else if (event.key === "Home") setSplit(0);
      else if (event.key === "End") setSplit(1);
      else return false;
      return true;
    }
    const pans = { ArrowLeft: [-w, 0], ArrowRight: [w, 0], ArrowUp: [0, -h], ArrowDown: [0, h] };
    if (!(event.key in pans)) return false;
    pan(pans[event.key][0] * panStep, pans[event.key][1] * panStep);
    return true;
  }

  /** [bytes, format, size, ...extra]: one side's facts, for its label and the line below. */
  function sideFacts(format, bytes, size, extra) {
    const parts = [lp.formatBytes(bytes), lp.settings.formatLabel(format)];
    if (size) parts.push(`${size.width} × ${size.height}`);
    return parts.concat(extra || []);
  }

  function qualityBits(r) {
    const bits = [];
    if (!r.reencoded) bits.push("pixels untouched");
    else if (r.quality != null) bits.push(`quality ${r.quality}`);
    if (r.score != null) bits.push(`score ${r.score.toFixed(1)}`);
    return bits;
  }

  function setImage(key, blob, format) {
    const img = $(`compare-${key}`);
    const shows = Boolean(blob) && VIEWABLE.has(format);
    revoke([key]);
    if (!shows) {
      img.removeAttribute("src");
    } else {
      urls[key] = URL.createObjectURL(blob);
      img.src = urls[key];
    }
    view.shows[key] = shows;
    $(`compare-pane-${key}`).hidden = !shows;
    return shows;
  }

  /** Show (or refresh, after a preview came back) the job's result. */
  function render(job, { fresh } = {}) {
    const result = job.result;
    const r = result ? result.response : null;
    const inFormat = r && r.before ? r.before.format : (job.error && job.error.format) || "";
    $("compare-title").textContent = `Before and after: ${job.path}`;
    if (fresh) {
      setImage("before", job.file, inFormat || (job.file.type || "").replace("image/", ""));
      view.decoding = !view.shows.before && Boolean(r) && Boolean(decodeOriginal);
      if (view.decoding) showDecodedOriginal(job);
    }
    if (fresh || view.result !== result) {
      if (r) setImage("after", result.output, r.format);
      else setImage("after", null, "");
      view.result = result;
    }
    const hasAfter = view.shows.after;
    const hasBefore = view.shows.before;
    const natural = r && r.after ? { w: r.after.width, h: r.after.height }
      : r && r.before ? { w: r.before.width, h: r.before.height } : view.natural;
    const changed = natural.w !== view.natural.w || natural.h !== view.natural.h;
    view.natural = natural;
    if (fresh || changed) view.fit = true;

    const notes = [];
    if (!hasBefore && view.decoding) notes.push(`Decoding the ${lp.settings.formatLabel(inFormat)} original for display…`);
    else if (!hasBefore) notes.push(`Browsers can't display ${inFormat ? lp.settings.formatLabel(inFormat) : "these"} images, so the original can't be shown here.`);
    if (r && !hasAfter) notes.push(`Browsers can't display ${lp.settings.formatLabel(r.format)} images, so the result can't be shown here.`);
    if (hasBefore && hasAfter && r.before && (r.before.width !== r.after.width || r.before.height !== r.after.height)) {
      notes.push(`The original (${r.before.width} × ${r.before.height}) is drawn at the result's size so both line up.`);
    }
    $("compare-note").textContent = notes.join(" ");
    $("compare-note").hidden = !notes.length;
    $("compare-stage").hidden = !hasBefore && !hasAfter;

    const updating = Boolean(job.task);
    const before = r ? sideFacts(inFormat, r.input_size, r.before) : [];
    $("compare-label-before").textContent = ["Original", ...before].join(" · ");
    $("compare-before-size").textContent = r ? `Original: ${before.join(", ")}.` : "";
    if (r) {
      const saved = r.input_size - r.output_size;
      const pct = r.input_size ? Math.round((100 * Math.abs(saved)) / r.input_size) : 0;
      const after = sideFacts(r.format, r.output_size, r.after, qualityBits(r));
      const label = ["Result", ...after].join(" · ");
      $("compare-label-after").textContent = updating ? `${label} · updating…` : label;
      let text = `Result: ${after.join(", ")} (${saved > 0 ? `${pct}% smaller` : saved < 0 ? `${pct}% larger` : "same size"})`;
      const prev = job.previous;
      if (prev) {
        text += `. Before this change: ${lp.formatBytes(prev.size)}` +
          (prev.score != null ? `, score ${prev.score.toFixed(1)}` : "") +
          ` → now ${lp.formatBytes(r.output_size)}` + (r.score != null ? `, score ${r.score.toFixed(1)}` : "");
      }
      $("compare-after-size").textContent = updating ? `${text}. Updating the preview…` : `${text}.`;
      const link = $("compare-download");
      link.href = result.url;
      link.download = lp.settings.withSuffix(r.name);
      link.hidden = false;
    } else {
      $("compare-label-after").textContent = updating ? "Result · working…" : "Result";
      $("compare-after-size").textContent = job.error ? `No result: ${job.error.text}` : "Working on it…";
      $("compare-download").hidden = true;
    }
    $("compare-stage").setAttribute("aria-busy", String(updating));
    layout();
  }

  async function showDecodedOriginal(job) {
    const blob = await decodeOriginal(job);
    if (view.job !== job || !$("compare").open) return;
    view.decoding = false;
    if (blob) setImage("before", blob, "png");
    render(job);
  }

  /** Open the view for a job with a result; openerButton gets focus back on close. */
  function open(job, openerButton) {
    const dialog = $("compare");
    opener = openerButton || null;
    view.job = job;
    view.split = 0.5;
    view.natural = { w: 0, h: 0 };
    render(job, { fresh: true });
    if (!dialog.open) {
      $("compare-settings").append($("settings")); // the same form, beside the image
      dialog.showModal();
      $("compare-stage").focus({ preventScroll: true });
    }
    layout();
    onOpen(job);
  }

  /** Called by app.js whenever a job changed: refresh if it is the one shown. */
  function update(job) {
    if ($("compare").open && view.job === job) render(job);
  }

  function init(options) {
    onClose = options.onClose || onClose;
    onOpen = options.onOpen || onOpen;
    step = options.step || step;
    decodeOriginal = options.decodeOriginal || null;
    const dialog = $("compare");
    bindPointers();
    for (const key of ["before", "after"]) {
      $(`compare-${key}`).addEventListener("load", layout);
    }
    $("compare-zoom").addEventListener("change", (event) => {
      const value = event.target.value;
      if (value === "fit") setFit();
      else if (value !== "custom") zoomTo(Number(value));
    });
    $("compare-zoom-in").addEventListener("click", () => stepZoom(1));
    $("compare-zoom-out").addEventListener("click", () => stepZoom(-1));
    $("compare-mode-split").addEventListener("click", () => setMode("split"));
    $("compare-mode-side").addEventListener("click", () => setMode("side"));
    $("compare-prev").addEventListener("click", () => step(-1));
    $("compare-next").addEventListener("click", () => step(1));
    $("compare-close").addEventListener("click", () => dialog.close());
    dialog.addEventListener("keydown", (event) => {
      if (onKey(event)) event.preventDefault();
    });
    if (typeof ResizeObserver !== "undefined") new ResizeObserver(() => layout()).observe($("compare-stage"));
    dialog.addEventListener("close", () => {
      $("settings-panel").append($("settings"));
      $("compare-before").removeAttribute("src");
      $("compare-after").removeAttribute("src");
      revoke(["before", "after"]);
      const job = view.job;
      view.job = null;
      onClose(job);
      if (opener && opener.isConnected) opener.focus();
      opener = null;
    });
    // A click on the backdrop (outside the dialog box) closes it too.
    dialog.addEventListener("click", (event) => {
      if (event.target === dialog) dialog.close();
    });
  }

  lp.compare = {
    init, open, update, VIEWABLE,
    get job() { return $("compare").open ? view.job : null; },
  };
})(window.localpix);

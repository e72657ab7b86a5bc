// The page: a list of files, the engine pool, results, downloads. No image work happens here:
// files go to the engine workers as bytes and come back as Blobs.
//
// A job is one file in the list. Each time it is (re)processed a new task goes to the pool
// ({job, file, name, request}); only the job's current task may change it, so a stale preview or
// a re-run that was superseded is simply ignored when it comes back. A job keeps its last result
// (and its blob: URL) until a newer one replaces it, so re-running never blanks the list.
"use strict";
window.localpix = window.localpix || {};

(function (lp) {
  const $ = (id) => document.getElementById(id);
  const jobs = [];
  const THUMB_PX = 96; // twice the row's 48 px box, for sharp previews on dense screens
  // What one tab can give an engine: above this, "open anyway" would only crash the worker.
  const TAB_MEMORY = 2 * 1024 ** 3;
  const PREVIEW_DELAY_MS = 350; // settle a dragged slider before re-encoding
  let nextId = 1;
  let nextTask = 1;
  let pool = null;
  let size = 1;
  let announcedIdle = true;
  let updateScheduled = false;
  let zipUrl = null;
  let previewTimer = null;

  // ---- announcements (one polite live region for the whole page) ----
  let announceTimer = null;
  lp.announce = function announce(text) {
    const region = $("announce");
    clearTimeout(announceTimer);
    region.textContent = "";
    // A short gap makes screen readers announce a message even if it repeats.
    announceTimer = setTimeout(() => { region.textContent = text; }, 60);
  };

  function plural(n, word, many) {
    return `${n} ${n === 1 ? word : many || `${word}s`}`;
  }

  function dirOf(path) {
    const i = path.lastIndexOf("/");
    return i >= 0 ? path.slice(0, i + 1) : "";
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function button(className, text, label, onClick) {
    const b = el("button", `small secondary ${className}`, text);
    b.type = "button";
    b.dataset.action = className;
    if (label) b.setAttribute("aria-label", label);
    b.addEventListener("click", onClick);
    return b;
  }

  // ---- engine state ----
  function setEngine(state, info) {
    const body = document.body;
    const status = $("engine-status");
    if (state === "ready") {
      const first = body.dataset.engine !== "ready" && !lp.meter.started;
      body.dataset.engine = "ready";
      if (first) {
        lp.meter.started = true;
        lp.meter.start();
        body.dataset.engineMs = String(pool.firstReadyMs);
        // How its Python started ("loaded": from this browser's snapshot; "made": booted and
        // snapshotted for next time; absent: booted, no snapshot storage here), and when each
        // start-up step ended (ms): read by tests and scripts/bench.
        if (pool.firstPhases.snapshot) body.dataset.engineSnapshot = pool.firstPhases.snapshot;
        body.dataset.enginePhases = JSON.stringify(pool.firstPhases);
      }
      const more = size > 1 ? ` ${info} of up to ${size} running side by side.` : "";
      status.textContent = `Ready to compress (started in ${(pool.firstReadyMs / 1000).toFixed(1)} s).${more}`;
      $("engine-download").hidden = true;
    } else if (state === "loading") {
      body.dataset.engine = "loading";
      showDownload(status, info);
    } else {
      body.dataset.engine = "error";
      status.textContent = `The image engine could not start: ${info}`;
      // Nothing queued can ever run now: say so on every waiting row.
      for (const task of pool.dropQueued()) {
        finish(task, { ok: false, kind: "EngineUnavailable", error: `The image engine is not available: ${info}` });
      }
    }
    scheduleUpdate();
  }

  /** The first visit's download of the compressor, as it arrives; then what it is doing. */
  function showDownload(status, text) {
    const p = !pool.everReady && pool.progress;
    const downloading = Boolean(p && p.total && p.received < p.total);
    $("engine-download").hidden = !downloading;
    if (!downloading) {
      status.textContent = text;
      return;
    }
    const total = lp.formatBytes(p.total);
    const sentence = `Preparing the compressor: a one-time download of this app's own files (${total}). ` +
      "Your photos stay on this device.";
    if (status.textContent !== sentence) status.textContent = sentence; // announced once
    $("engine-progress").value = p.received / p.total;
    $("engine-bytes").textContent = `${lp.formatBytes(p.received)} of ${total}`;
    document.body.dataset.engineDownload = String(p.received);
  }

  function onWorkers() {
    const c = pool.counts();
    document.body.dataset.workers = String(size);
    document.body.dataset.workersReady = String(c.idle + c.busy);
    document.body.dataset.workersStarting = String(c.starting);
  }

  // ---- what a job is doing ----
  /** queued | running | done | error | cancelled: what the row says and filters go by. */
  function statusOf(job) {
    if (job.task) return job.task.started ? "running" : "queued";
    if (job.error) return "error";
    if (job.result) return "done";
    return "cancelled";
  }

  /** Guard rails: what is wrong with a result that "worked", and the fixes to offer. */
  function concerns(job) {
    const r = job.result && job.result.response;
    if (!r) return [];
    const found = [];
    const inFormat = r.before ? r.before.format : "";
    const width = r.after ? r.after.width : 0;
    const smaller = [3840, 2560, 2048, 1600, 1280, 1024, 800, 640, 480, 320].find((w) => w <= width * 0.75);
    const fixes = [];
    if (smaller) fixes.push({ label: `Try max width ${smaller} px`, settings: { maxWidth: smaller } });
    if (r.format !== "webp" && r.format !== "png") fixes.push({ label: "Try WebP", settings: { format: "webp" } });
    if (r.low_quality) {
      found.push({
        kind: "low-quality",
        text: `Low quality: to reach the size, quality fell to ${r.quality} (score ${r.score.toFixed(1)}: ` +
          "flaws are plain to see). Smaller dimensions or another format look better at this size.",
        fixes,
      });
    } else if (r.target_met === false) {
      found.push({ kind: "over-target", text: `Over the target size: ${r.note}`, fixes });
    }
    if (r.format !== inFormat && r.output_size > r.input_size) {
      const pct = Math.round((100 * (r.output_size - r.input_size)) / r.input_size);
      found.push({
        kind: "larger",
        text: `As ${lp.settings.formatLabel(r.format)} this photo is ${pct}% larger than the original ${lp.settings.formatLabel(inFormat)}.`,
        fixes: [{ label: `Use the cleaned original ${lp.settings.formatLabel(inFormat)} instead`, clean: true }],
      });
    }
    return found;
  }

  // ---- rows ----
  function makeRow(job) {
    const li = el("li", "file");
    li.dataset.id = String(job.id);
    li.tabIndex = -1; // the j/k shortcuts and "jump to errors" focus rows
    const thumb = el("span", "thumb");
    thumb.setAttribute("aria-hidden", "true");
    const main = el("div", "file-main");
    const head = el("div", "file-head");
    head.append(el("span", "file-name", job.path), el("span", "file-status", "Waiting"));
    main.append(head, el("div", "file-body"));
    li.append(thumb, main);
    job.row = li;
    return li;
  }

  function sizeLine(job) {
    const r = job.result.response;
    const saved = r.input_size - r.output_size;
    const pct = r.input_size ? Math.round((100 * Math.abs(saved)) / r.input_size) : 0;
    let text = `${lp.formatBytes(r.input_size)} → ${lp.formatBytes(r.output_size)}`;
    if (saved > 0) text += `, ${pct}% smaller`;
    else if (saved < 0) text += `, ${pct}% larger`;
    if (r.before && r.format !== r.before.format) text += ` (now ${lp.settings.formatLabel(r.format)})`;
    if (r.after && r.before && (r.after.width !== r.before.width || r.after.height !== r.before.height)) {
      text += `, ${r.after.width} × ${r.after.height} px`;
    }
    if (r.reencoded && r.quality != null) text += `, quality ${r.quality}`;
    else if (!r.reencoded) text += ", pixels untouched";
    return text;
  }

  function statusText(job, status) {
    if (status === "running") return job.result ? "Updating…" : job.task.engine;
    if (status === "queued") return job.result ? "Update waiting" : "Waiting";
    if (status === "error") return "Error";
    if (status === "cancelled") return "Cancelled";
    return concerns(job).length ? "Done — check" : "Done";
  }

  /** Redraw one row from its job (focus inside it stays on the same control). */
  function renderRow(job) {
    const li = job.row;
    const status = statusOf(job);
    const focused = li.contains(document.activeElement) && document.activeElement.dataset.action;
    li.dataset.status = status;
    li.querySelector(".file-status").textContent = statusText(job, status);
    const body = li.querySelector(".file-body");
    body.replaceChildren();
    const thumb = li.querySelector(".thumb");
    const r = job.result && job.result.response;
    const picture = r && r.thumbnail;
    if (picture && thumb.dataset.src !== picture) {
      const img = el("img");
      img.alt = "";
      img.loading = "lazy";
      img.decoding = "async";
      img.src = picture;
      thumb.replaceChildren(img);
      thumb.dataset.src = picture;
    } else if (!picture && !thumb.dataset.src) {
      thumb.textContent = (job.name.split(".").pop() || "").slice(0, 4).toUpperCase();
    }

    const found = concerns(job);
    if (found.length) li.dataset.warn = found.map((f) => f.kind).join(" ");
    else delete li.dataset.warn;
    if (r) {
      li.dataset.location = lp.report.categories(r).location || "none";
      li.dataset.gps = lp.report.gps(r);
      li.dataset.output = job.result.outPath;
      const sizes = el("p", "file-sizes", sizeLine(job));
      if (job.previous) {
        const prev = el("span", "file-previous",
          ` (before: ${lp.formatBytes(job.previous.size)}${job.previous.score != null ? `, score ${job.previous.score.toFixed(1)}` : ""})`);
        sizes.append(prev);
      }
      body.append(sizes);
    } else {
      for (const key of ["location", "gps", "output"]) delete li.dataset[key];
    }
    for (const concern of found) {
      const box = el("div", "file-warning");
      box.dataset.kind = concern.kind;
      box.append(el("p", "", concern.text));
      const fixes = el("div", "file-fixes");
      for (const fix of concern.fixes) {
        fixes.append(button(`fix-${concern.kind}`, fix.label, `${fix.label}: ${job.path}`, () => applyFix(job, fix)));
      }
      if (concern.fixes.length) box.append(fixes);
      body.append(box);
    }
    if (job.error && status === "error") body.append(errorBox(job));

    const actions = el("div", "file-actions");
    if (r) {
      actions.append(button("row-compare", "Compare", `Compare before and after: ${job.path}`,
        (event) => lp.compare.open(job, event.currentTarget)));
      const link = el("a", "row-download small button", "Download");
      link.href = job.result.url;
      link.download = lp.settings.withSuffix(r.name);
      link.dataset.action = "row-download";
      link.setAttribute("aria-label", `Download ${link.download}`);
      actions.append(link);
    }
    if (status === "error") actions.append(button("row-retry", "Try again", `Try again: ${job.path}`, () => run([job])));
    else if (status === "done") {
      actions.append(button("row-rerun", "Process again", `Process again with the current settings: ${job.path}`,
        () => { job.override = null; run([job], { first: true }); }));
    } else if (status === "cancelled") actions.append(button("row-retry", "Process", `Process: ${job.path}`, () => run([job])));
    actions.append(button("row-remove", "Remove", `Remove from the list: ${job.path}`, () => remove(job)));
    body.append(actions);

    if (r) {
      const details = el("details", "file-report");
      const summary = el("summary", "", `Privacy report: ${lp.report.rowSummary(r)}`);
      details.append(summary);
      details.open = Boolean(job.reportOpen);
      if (details.open) details.append(lp.report.details(r));
      details.addEventListener("toggle", () => {
        job.reportOpen = details.open;
        if (details.open && details.childElementCount === 1) details.append(lp.report.details(r));
      });
      body.append(details);
    }
    if (focused) {
      const again = li.querySelector(`[data-action="${focused}"]`) || li;
      again.focus({ preventScroll: true });
    }
    lp.compare.update(job);
  }

  function memoryText(bytes) {
    return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(1)} GB` : `${Math.round(bytes / 1e6)} MB`;
  }

  function errorBox(job) {
    const box = el("div", "file-error-box");
    const e = job.error;
    box.append(el("p", "file-error", e.text));
    if (e.kind === "ImageTooLargeError" && e.memory) {
      if (e.memory <= TAB_MEMORY) {
        box.append(button("row-open-anyway", `Open anyway (needs about ${memoryText(e.memory)} of memory)`,
          `Open anyway, needs about ${memoryText(e.memory)} of memory: ${job.path}`,
          () => { job.override = { ...(job.override || {}), maxPixels: e.pixels }; run([job], { first: true }); }));
      } else {
        box.append(el("p", "note", `A browser tab can't use ${memoryText(e.memory)} of memory, so this file can't be opened here.`));
      }
    }
    return box;
  }

  // ---- running jobs ----
  function requestFor(job) {
    const request = lp.settings.toRequest(lp.settings.current);
    const override = job.override || {};
    const options = override.clean ? { keep: request.options.keep } : { ...request.options };
    if (override.maxPixels) options.max_pixels = override.maxPixels;
    return { mode: override.clean ? "clean" : request.mode, options, thumbnail: THUMB_PX };
  }

  /** (Re)process jobs; their current results stay until the new ones replace them. */
  function run(batch, { first = false } = {}) {
    const mine = new Set(batch.map((job) => job.task).filter(Boolean));
    if (mine.size) pool.unqueue((task) => mine.has(task));
    const tasks = batch.map((job) => {
      const request = requestFor(job);
      const key = JSON.stringify(request); // what the result depends on (the score is extra)
      // One photo the user is looking at (a preview, a fix, a re-run): its score is worth the
      // extra second; for a whole batch only target sizes are scored (their guard rail).
      if (first && request.mode === "compress") request.options.score = true;
      const task = { id: nextTask++, job, file: job.file, name: job.name, request, key };
      job.task = task;
      return task;
    });
    announcedIdle = false;
    document.body.dataset.busy = "true";
    pool.enqueue(tasks, first);
    for (const job of batch) renderRow(job);
    scheduleUpdate();
  }

  function onStart(task, no) {
    if (task.job.task !== task) return;
    task.started = true;
    task.engine = size > 1 ? `Processing (engine ${no})…` : "Processing…";
    renderRow(task.job);
    scheduleUpdate();
  }

  function finish(task, response, message) {
    const job = task.job;
    if (job.task !== task) return; // superseded (a newer preview or re-run) or removed
    job.task = null;
    job.row.dataset.runs = String(Number(job.row.dataset.runs || 0) + 1); // results received
    if (response.ok) {
      const old = job.result;
      if (old) {
        job.previous = { size: old.response.output_size, score: old.response.score };
        URL.revokeObjectURL(old.url);
      }
      const output = new Blob([message.bytes], { type: response.mime });
      job.result = { response, output, crc32: message.crc32, key: task.key,
                     outPath: dirOf(job.path) + response.name, url: URL.createObjectURL(output) };
      job.error = null;
    } else {
      dropResult(job);
      job.error = { text: response.error || "This file could not be processed.", kind: response.kind,
                    pixels: response.pixels, memory: response.memory };
      job.errorKey = task.key;
    }
    renderRow(job);
    scheduleUpdate();
  }

  /** The original as a lossless, upright PNG made by the engine, for the compare view when the
   *  browser cannot display its format; null if it cannot be made. Kept while the view is open. */
  function decodedOriginal(job) {
    if (!job.decodedOriginal) {
      const options = { format: "png", keep: [] };
      const { max_pixels: maxPixels } = requestFor(job).options;
      if (maxPixels) options.max_pixels = maxPixels;
      job.decodedOriginal = new Promise((resolve) => {
        pool.enqueue([{ id: nextTask++, job, file: job.file, name: job.name,
                        request: { mode: "compress", options }, resolve }], true);
      }).then((message) => (message.response.ok
        ? new Blob([message.bytes], { type: "image/png" }) : null));
    }
    return job.decodedOriginal;
  }

  function dropResult(job) {
    if (job.result) URL.revokeObjectURL(job.result.url);
    job.result = null;
    job.previous = null;
  }

  function applyFix(job, fix) {
    if (fix.clean) {
      job.override = { ...(job.override || {}), clean: true };
      run([job], { first: true });
      lp.announce(`Cleaning the original of ${job.path} instead.`);
      return;
    }
    lp.settings.set(fix.settings);
    job.override = null;
    run([job], { first: true });
    lp.announce(`${fix.label.replace(/^Try /, "Set ")}; processing ${job.path} again. ` +
      "“Apply current settings to all” does the same for the rest.");
  }

  // ---- adding files ----
  async function sha256(file) {
    const digest = await crypto.subtle.digest("SHA-256", await file.arrayBuffer());
    return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
  }

  /** Drop files already in the list (same name, size and content). Only files whose name and
   *  size match another are read here, so a big batch is not read twice. */
  async function withoutDuplicates(files) {
    const key = (file) => `${file.name}\u0000${file.size}`;
    const seen = new Map(); // name+size -> [job or {file}] already kept
    for (const job of jobs) {
      if (!seen.has(key(job.file))) seen.set(key(job.file), []);
      seen.get(key(job.file)).push(job);
    }
    const kept = [];
    const duplicates = [];
    for (const entry of files) {
      const same = seen.get(key(entry.file));
      if (same) {
        const hash = await sha256(entry.file).catch(() => null);
        let twin = null;
        for (const other of same) {
          if (!other.hash) other.hash = await sha256(other.file).catch(() => "");
          if (hash && other.hash === hash) twin = other;
        }
        if (twin) {
          duplicates.push({ path: entry.path, twin: twin.path });
          continue;
        }
        entry.hash = hash;
        same.push(entry);
      } else {
        seen.set(key(entry.file), [entry]);
      }
      kept.push(entry);
    }
    return { kept, duplicates };
  }

  lp.addFiles = async function addFiles(files, stats) {
    const skipped = (stats && stats.skipped) || 0;
    if (!files.length) {
      lp.announce(skipped ? `No images found (${plural(skipped, "other file")} skipped).` : "No files found.");
      return;
    }
    const { kept, duplicates } = await withoutDuplicates(files);
    const note = $("batch-note");
    if (duplicates.length) {
      const first = duplicates[0];
      note.textContent = `${plural(duplicates.length, "duplicate")} not added (same name, size and content as a file ` +
        `already in the list): ${first.path}${first.path !== first.twin ? ` = ${first.twin}` : ""}` +
        (duplicates.length > 1 ? ` and ${duplicates.length - 1} more.` : ".");
      note.hidden = false;
    }
    if (!kept.length) {
      lp.announce(`Nothing added: ${plural(duplicates.length, "file is", "files are")} already in the list.`);
      return;
    }
    const batchEl = $("batch");
    const wasHidden = batchEl.hidden;
    batchEl.hidden = false;
    $("skip-photos").hidden = false;
    const fragment = document.createDocumentFragment();
    const batch = [];
    for (const { file, path, hash } of kept) {
      const job = { id: nextId++, file, path, name: file.name, hash, task: null, result: null, error: null };
      fragment.append(makeRow(job));
      jobs.push(job);
      batch.push(job);
    }
    $("files").append(fragment);
    run(batch);
    applyView();
    // On a phone the list starts below the fold: bring it up, or nothing seems to happen.
    const top = batchEl.getBoundingClientRect().top;
    if (wasHidden || top > window.innerHeight * 0.6 || top < 0) {
      batchEl.scrollIntoView({ block: "start", behavior: matchMedia("(prefers-reduced-motion: reduce)").matches ? "auto" : "smooth" });
    }
    const extra = skipped ? ` (${plural(skipped, "non-image file")} skipped)` : "";
    const dup = duplicates.length ? ` ${plural(duplicates.length, "duplicate")} not added.` : "";
    lp.announce(`Added ${plural(kept.length, "file")}${extra}, first ${kept[0].path}. Processing on your device…${dup}`);
  };

  // ---- batch actions ----
  function cancel() {
    const dropped = pool.dropQueued().filter((task) => task.job.task === task);
    if (dropped.length) {
      for (const task of dropped) {
        task.job.task = null;
        renderRow(task.job);
      }
      const running = pool.running().length;
      lp.announce(`Cancelled ${plural(dropped.length, "waiting file")}.` +
        (running ? ` ${plural(running, "file")} in progress will finish; press Stop now to stop ${running === 1 ? "it" : "them"}.` : ""));
    } else {
      const stopped = pool.stopRunning().filter((task) => task.job.task === task);
      for (const task of stopped) {
        task.job.task = null;
        renderRow(task.job);
      }
      lp.announce(`Stopped ${plural(stopped.length, "file")}.`);
    }
    scheduleUpdate();
  }

  function processRest() {
    const rest = jobs.filter((job) => statusOf(job) === "cancelled");
    if (!rest.length) return;
    run(rest);
    lp.announce(`Processing the ${plural(rest.length, "remaining file")}.`);
  }

  /** Jobs whose result (or error) was made with other settings than the current ones. */
  function stale() {
    return jobs.filter((job) => {
      const made = job.task ? job.task.key : job.result ? job.result.key : job.error ? job.errorKey : null;
      return made !== null && made !== JSON.stringify(requestFor(job));
    });
  }

  function applyAll() {
    const again = stale();
    if (!again.length) return;
    for (const job of again) if (!job.error) job.override = null;
    run(again);
    lp.announce(`Processing ${plural(again.length, "file")} again with the current settings; ` +
      "each keeps its current result until the new one is ready.");
  }

  function remove(job) {
    const index = jobs.indexOf(job);
    if (index < 0) return;
    if (job.task) {
      const task = job.task;
      job.task = null;
      pool.unqueue((t) => t === task); // a running one finishes and is ignored
    }
    dropResult(job);
    jobs.splice(index, 1);
    const rows = visibleRows();
    const at = rows.indexOf(job.row);
    const next = rows[at + 1] || rows[at - 1];
    job.row.remove();
    if (lp.compare.job === job) $("compare").close();
    if (!jobs.length) clearAll();
    else (next || $("batch-title")).focus();
    lp.announce(`Removed ${job.path}.`);
    scheduleUpdate();
  }

  function clearAll() {
    for (const task of pool.dropQueued()) task.job.task = null;
    for (const task of pool.stopRunning()) task.job.task = null;
    for (const job of jobs) dropResult(job);
    if (zipUrl) URL.revokeObjectURL(zipUrl);
    zipUrl = null;
    jobs.length = 0;
    $("files").replaceChildren();
    $("batch").hidden = true;
    $("skip-photos").hidden = true;
    $("batch-note").hidden = true;
    announcedIdle = true;
    $("add-title").focus(); // the button that had focus is gone
    lp.announce("List cleared.");
    scheduleUpdate();
  }

  function downloadAll() {
    const done = jobs.filter((j) => j.result);
    if (!done.length) return;
    const names = lp.zip.uniqueNames(done.map((j) => lp.settings.withSuffix(j.result.outPath)));
    let blob;
    try {
      blob = lp.zip.build(done.map((job, i) => ({
        name: names[i], data: job.result.output, size: job.result.output.size, crc32: job.result.crc32,
      })));
    } catch (error) {
      lp.announce(String(error.message || error));
      $("zip-error").textContent = String(error.message || error);
      $("zip-error").hidden = false;
      return;
    }
    $("zip-error").hidden = true;
    if (zipUrl) URL.revokeObjectURL(zipUrl);
    zipUrl = URL.createObjectURL(blob);
    const a = document.createElement("a");
    a.href = zipUrl;
    a.download = done.length === 1 ? "localpix-1-photo.zip" : `localpix-${done.length}-photos.zip`;
    document.body.append(a);
    a.click();
    a.remove();
  }

  // ---- filter and sort ----
  function matches(job, filter) {
    const status = statusOf(job);
    if (filter === "error") return status === "error";
    if (filter === "attention") return status === "error" || Boolean(job.row.dataset.warn);
    if (filter === "done") return status === "done";
    return true;
  }

  const ORDERS = {
    added: (a, b) => a.id - b.id,
    name: (a, b) => a.path.localeCompare(b.path, undefined, { numeric: true, sensitivity: "base" }),
    size: (a, b) => b.file.size - a.file.size,
    saving: (a, b) => saving(b) - saving(a),
    status: (a, b) => rank(a) - rank(b),
  };
  function saving(job) {
    const r = job.result && job.result.response;
    return r ? r.input_size - r.output_size : -Infinity;
  }
  function rank(job) {
    return ["error", "running", "queued", "cancelled", "done"].indexOf(statusOf(job)) + (job.row.dataset.warn ? -0.5 : 0);
  }

  /** Put the rows in the chosen order (DOM order: what you see is what Tab follows) and filter. */
  function applyView() {
    const filter = $("filter").value;
    const sorted = [...jobs].sort((a, b) => ORDERS[$("sort").value](a, b) || a.id - b.id);
    const list = $("files");
    const inOrder = sorted.every((job, i) => list.children[i] === job.row);
    if (!inOrder) list.append(...sorted.map((job) => job.row));
    let shown = 0;
    for (const job of jobs) {
      job.row.hidden = !matches(job, filter);
      if (!job.row.hidden) shown += 1;
    }
    const note = $("filter-note");
    note.hidden = filter === "all";
    note.textContent = filter === "all" ? "" : `Showing ${shown} of ${plural(jobs.length, "file")}.`;
  }

  function visibleRows() {
    return Array.from($("files").children).filter((li) => !li.hidden);
  }

  function jumpToErrors() {
    $("filter").value = "error";
    applyView();
    const first = visibleRows()[0];
    if (first) {
      first.focus();
      lp.announce(`Showing only the ${plural(visibleRows().length, "file")} with errors. First: ${first.querySelector(".file-name").textContent}.`);
    }
  }

  // ---- keyboard ----
  function jobOf(row) {
    return row && jobs.find((job) => job.row === row);
  }

  function currentRow() {
    const active = document.activeElement;
    return active && active.closest ? active.closest(".file") : null;
  }

  /** Focus the next (+1) or previous (−1) visible row; in the comparison, show that photo. */
  function step(direction) {
    const shown = lp.compare.job;
    const rows = visibleRows().filter((row) => !shown || (jobOf(row) && jobOf(row).result));
    if (!rows.length) return;
    const from = shown ? shown.row : currentRow();
    const at = rows.indexOf(from);
    const next = rows[at < 0 ? (direction > 0 ? 0 : rows.length - 1) : Math.max(0, Math.min(rows.length - 1, at + direction))];
    if (shown) {
      if (next !== shown.row) lp.compare.open(jobOf(next));
    } else {
      next.focus();
    }
  }

  function onKey(event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    if (target.closest && target.closest("input, select, textarea, [contenteditable='true']")) return;
    if ($("compare").open || $("help").open) return; // the dialogs have their own keys
    const job = jobOf(currentRow()) || null;
    switch (event.key) {
      case "j": step(1); break;
      case "k": step(-1); break;
      case "c": {
        const pick = job && job.result ? job : jobs.find((j) => j.result && !j.row.hidden);
        if (pick) lp.compare.open(pick, pick.row.querySelector("[data-action='row-compare']"));
        break;
      }
      case "d": {
        const link = job && job.row.querySelector("a.row-download");
        if (link) link.click();
        else return;
        break;
      }
      case "e":
        if (!jobs.length) return;
        $("filter").value = "attention";
        applyView();
        if (visibleRows()[0]) visibleRows()[0].focus();
        break;
      case "?": openHelp(); break;
      default: return;
    }
    event.preventDefault();
  }

  function openHelp() {
    const help = $("help");
    if (!help.open) help.showModal();
  }

  // ---- header height: focus and skip-link targets never end up under the sticky header ----
  function trackHeader() {
    const set = () => {
      document.documentElement.style.setProperty("--header-h", `${Math.ceil($("top").getBoundingClientRect().height)}px`);
    };
    set();
    if (typeof ResizeObserver !== "undefined") new ResizeObserver(set).observe($("top"));
    // scroll-padding covers keyboard scrolling into view; a focus moved by a click or a script
    // onto something half hidden under the header is brought out here.
    document.addEventListener("focusin", (event) => {
      const target = event.target;
      if (!target.getBoundingClientRect || target.closest("dialog") || target === document.body) return;
      const header = $("top").getBoundingClientRect().bottom;
      const rect = target.getBoundingClientRect();
      if (rect.top < header) window.scrollBy({ top: rect.top - header - 8, behavior: "auto" });
    });
  }

  // ---- preview ----
  function onSettings() {
    scheduleUpdate();
    const job = lp.compare.job;
    if (!job || Object.keys(lp.settings.errors).length) return;
    clearTimeout(previewTimer);
    previewTimer = setTimeout(() => {
      if (lp.compare.job !== job) return;
      if (job.task && job.task.key === JSON.stringify(requestFor({ ...job, override: null }))) return;
      job.override = null;
      run([job], { first: true });
    }, PREVIEW_DELAY_MS);
  }

  // ---- the summary, counts and buttons ----
  /** Show or hide a control; focus on a control that disappears moves to the list's heading. */
  function setHidden(element, hidden) {
    if (hidden && !element.hidden && element.contains(document.activeElement)) $("batch-title").focus();
    element.hidden = hidden;
  }

  function scheduleUpdate() {
    if (updateScheduled) return;
    updateScheduled = true;
    requestAnimationFrame(() => {
      updateScheduled = false;
      update();
    });
  }

  function update() {
    const c = { queued: 0, running: 0, done: 0, error: 0, cancelled: 0 };
    let input = 0;
    let output = 0;
    let done = 0;
    for (const job of jobs) {
      c[statusOf(job)] += 1;
      if (job.result) {
        done += 1;
        input += job.result.response.input_size;
        output += job.result.response.output_size;
      }
    }
    const active = jobs.length - c.cancelled;
    const busy = c.queued + c.running > 0;
    const finished = jobs.filter((job) => !job.task && (job.result || job.error)).length;
    document.body.dataset.busy = String(busy);
    const progress = $("batch-progress");
    progress.max = Math.max(1, active);
    progress.value = Math.min(finished, active);
    const parts = [`${finished} of ${plural(active, "file")} done`];
    if (c.running) parts.push(`${c.running} in progress`);
    if (c.queued) parts.push(`${c.queued} waiting`);
    if (c.cancelled) parts.push(`${c.cancelled} cancelled`);
    $("batch-counts").textContent = parts.join(" · ");
    const errorCount = $("error-count");
    errorCount.hidden = !c.error;
    errorCount.textContent = `· ${plural(c.error, "error")}`;
    errorCount.setAttribute("aria-label", `${plural(c.error, "error")}: show them`);

    const saved = input - output;
    $("totals").textContent = done
      ? `${plural(done, "photo")}: ${lp.formatBytes(input)} → ${lp.formatBytes(output)}` +
        (saved > 0 ? ` — saved ${lp.formatBytes(saved)} (${Math.round((100 * saved) / input)}%).` : ".")
      : "";
    const responses = jobs.filter((j) => j.result).map((j) => j.result.response);
    const summary = lp.report.batchSummary(responses);
    $("privacy-summary").replaceChildren(...summary.map(({ category, text }) => {
      const li = el("li", "", text);
      li.dataset.category = category;
      return li;
    }));
    $("summary").hidden = !done;

    // For exactly one result, #download is its link; the ZIP is for two or more.
    const single = done === 1 ? jobs.find((j) => j.result) : null;
    const link = $("download");
    if (single) {
      const name = lp.settings.withSuffix(single.result.response.name);
      link.href = single.result.url;
      link.download = name;
      link.textContent = `Download ${name}`;
      link.hidden = false;
    } else {
      setHidden(link, true);
      link.removeAttribute("href");
    }
    setHidden($("download-all"), done < 2);
    $("download-all").textContent = `Download all (${done}) as ZIP`;
    const cancelButton = $("cancel");
    setHidden(cancelButton, !busy);
    cancelButton.textContent = c.queued ? "Cancel" : "Stop now";
    setHidden($("process-rest"), !c.cancelled);
    $("process-rest").textContent = `Process the rest (${c.cancelled})`;
    const outdated = stale().length;
    const invalid = Object.keys(lp.settings.errors).length > 0;
    setHidden($("apply-all"), !outdated);
    $("apply-all").textContent = `Apply current settings to all (${outdated})`;
    $("apply-all").disabled = invalid;
    const previewing = Boolean(lp.compare.job);
    $("preview-note").hidden = !previewing;
    $("settings-note").hidden = !outdated;
    $("settings-note-text").textContent = invalid ? "Fix the setting marked below first." :
      `${plural(outdated, "photo was", "photos were")} made with other settings.`;
    $("settings-apply").disabled = invalid;
    $("clear").hidden = !jobs.length;
    applyView();

    if (!busy && !announcedIdle && jobs.length) {
      announcedIdle = true;
      const location = summary.find((s) => s.category === "location");
      lp.announce(`Finished: ${plural(done, "file")} done${c.error ? `, ${plural(c.error, "error")}` : ""}.` +
        (saved > 0 ? ` Saved ${lp.formatBytes(saved)}.` : "") + (location ? ` ${location.text}` : ""));
    }
    lp.meter.update();
  }

  function start() {
    size = lp.poolSize(window.location.search);
    lp.meter.init($("net-meter"), $("net-text"), () => (pool ? pool.net() : { requests: 0, bytes: 0 }));
    pool = new lp.Pool(size, {
      onState: setEngine,
      onStart,
      onResult: (task, message) => (task.resolve ? task.resolve(message)
        : finish(task, message.response, message)),
      onNet: () => lp.meter.update(),
      onPrepared: () => { document.body.dataset.enginePhases = JSON.stringify(pool.firstPhases); },
      onWorkers,
    }, { eager: lp.forcedPoolSize(window.location.search) !== null });
    // On a narrow screen the settings start folded (their one-line summary stays visible).
    if (window.matchMedia && window.matchMedia("(max-width: 60rem)").matches) $("settings-panel").open = false;
    lp.settings.bind(onSettings);
    lp.compare.init({
      step,
      onOpen: scheduleUpdate,
      decodeOriginal: decodedOriginal,
      onClose: (job) => {
        clearTimeout(previewTimer);
        if (job) job.decodedOriginal = null; // a full-size PNG: not worth keeping
        if (job && job.row.isConnected) renderRow(job);
        scheduleUpdate();
      },
    });
    lp.input.init($("drop"));
    trackHeader();
    $("cancel").addEventListener("click", cancel);
    $("clear").addEventListener("click", clearAll);
    $("process-rest").addEventListener("click", processRest);
    $("apply-all").addEventListener("click", applyAll);
    $("settings-apply").addEventListener("click", applyAll);
    $("download-all").addEventListener("click", downloadAll);
    $("error-count").addEventListener("click", jumpToErrors);
    $("filter").addEventListener("change", applyView);
    $("sort").addEventListener("change", applyView);
    $("help-open").addEventListener("click", openHelp);
    $("help-close").addEventListener("click", () => $("help").close());
    document.addEventListener("keydown", onKey);
    pool.start(); // the first worker now, so the page can say "ready"; more when a batch needs them
    onWorkers();
  }

  lp.jobs = jobs; // for debugging from the console
  // Also for the console, and for tests/browser/test_hostile.py, which kills a busy worker the
  // way a crash does. Only the page's own scripts can reach it (CSP, Trusted Types).
  lp.enginePool = () => pool;
  // DOMContentLoaded fires after every deferred script ran (offline.js may replace createWorker).
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})(window.localpix);

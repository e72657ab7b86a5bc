// The page: a list of files, the engine pool, results, downloads. No image work happens here:
// files go to the engine workers as bytes and come back as Blobs.
"use strict";
window.localpix = window.localpix || {};

(function (lp) {
  const $ = (id) => document.getElementById(id);
  const jobs = [];
  const urls = new Set(); // every blob: URL this page made for downloads, revoked on clear
  let nextId = 1;
  let pool = null;
  let size = 1;
  let announcedIdle = true;
  let updateScheduled = false;
  let zipUrl = null;

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
      const more = size > 1 ? ` ${info} of up to ${size} engine workers running.` : "";
      status.textContent = `Engine ready (started in ${(pool.firstReadyMs / 1000).toFixed(1)} s).${more}`;
    } else if (state === "loading") {
      body.dataset.engine = "loading";
      status.textContent = info;
    } else {
      body.dataset.engine = "error";
      status.textContent = `The image engine could not start: ${info}`;
      // Nothing queued can ever run now: say so on every waiting row.
      for (const job of pool.dropQueued()) {
        finish(job, { ok: false, kind: "EngineUnavailable", error: `The image engine is not available: ${info}` });
      }
    }
    scheduleUpdate();
  }

  function onWorkers() {
    const c = pool.counts();
    document.body.dataset.workers = String(size);
    document.body.dataset.workersReady = String(c.idle + c.busy);
    document.body.dataset.workersStarting = String(c.starting);
  }

  // ---- rows ----
  function makeRow(job) {
    const li = document.createElement("li");
    li.className = "file";
    li.dataset.id = String(job.id);
    li.dataset.status = "queued";
    const head = document.createElement("div");
    head.className = "file-head";
    const name = document.createElement("span");
    name.className = "file-name";
    name.textContent = job.path;
    const status = document.createElement("span");
    status.className = "file-status";
    status.textContent = "Waiting";
    head.append(name, status);
    li.append(head);
    job.row = li;
    job.statusEl = status;
    return li;
  }

  function setStatus(job, status, text) {
    job.status = status;
    job.row.dataset.status = status;
    job.statusEl.textContent = text;
  }

  function sizeLine(r) {
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

  function downloadUrl(job) {
    if (!job.url) {
      job.url = URL.createObjectURL(job.output);
      urls.add(job.url);
    }
    return job.url;
  }

  function renderDone(job) {
    const r = job.response;
    const li = job.row;
    li.dataset.location = lp.report.categories(r).location || "none";
    li.dataset.gps = lp.report.gps(r);
    li.dataset.output = job.outPath;
    const sizes = document.createElement("p");
    sizes.className = "file-sizes";
    sizes.textContent = sizeLine(r);

    const actions = document.createElement("div");
    actions.className = "file-actions";
    const compare = document.createElement("button");
    compare.type = "button";
    compare.className = "row-compare small secondary";
    compare.textContent = "Compare";
    compare.setAttribute("aria-label", `Compare before and after: ${job.path}`);
    compare.addEventListener("click", () => lp.compare.open(job, compare));
    const link = document.createElement("a");
    link.className = "row-download small button";
    link.href = "#";
    link.download = r.name;
    link.textContent = "Download";
    link.setAttribute("aria-label", `Download ${r.name}`);
    // The blob: URL is made on first use, so hundreds of rows don't hold hundreds of URLs.
    link.addEventListener("click", () => { link.href = downloadUrl(job); });
    actions.append(compare, link);

    const details = document.createElement("details");
    details.className = "file-report";
    const summary = document.createElement("summary");
    summary.textContent = `Privacy report: ${lp.report.rowSummary(r)}`;
    details.append(summary);
    details.addEventListener("toggle", () => {
      if (details.open && details.childElementCount === 1) details.append(lp.report.details(r));
    });
    li.append(sizes, actions, details);
  }

  function renderError(job) {
    const p = document.createElement("p");
    p.className = "file-error";
    p.textContent = job.error;
    job.row.append(p);
  }

  function clearRowResult(job) {
    while (job.row.childElementCount > 1) job.row.lastElementChild.remove();
    delete job.row.dataset.location;
    delete job.row.dataset.gps;
    delete job.row.dataset.output;
    if (job.url) {
      URL.revokeObjectURL(job.url);
      urls.delete(job.url);
    }
    job.url = null;
    job.output = null;
    job.response = null;
    job.error = null;
  }

  // ---- the batch ----
  function finish(job, response, message) {
    if (job.status === "cancelled" || job.status === "done" || job.status === "error") return;
    job.response = response;
    if (response.ok) {
      job.output = new Blob([message.bytes], { type: response.mime });
      job.crc32 = message.crc32;
      job.outPath = dirOf(job.path) + response.name;
      setStatus(job, "done", "Done");
      renderDone(job);
    } else {
      job.error = response.error || "This file could not be processed.";
      setStatus(job, "error", "Error");
      renderError(job);
    }
    scheduleUpdate();
  }

  function enqueue(batch) {
    for (const job of batch) {
      job.request = lp.settings.toRequest(lp.settings.current);
      job.status = "queued";
    }
    announcedIdle = false;
    document.body.dataset.busy = "true";
    pool.enqueue(batch);
    scheduleUpdate();
  }

  lp.addFiles = function addFiles(files, stats) {
    const skipped = (stats && stats.skipped) || 0;
    if (!files.length) {
      lp.announce(skipped ? `No images found (${plural(skipped, "other file")} skipped).` : "No files found.");
      return;
    }
    $("batch").hidden = false;
    const fragment = document.createDocumentFragment();
    const batch = [];
    for (const { file, path } of files) {
      const job = { id: nextId++, file, path, name: file.name, status: "queued" };
      fragment.append(makeRow(job));
      jobs.push(job);
      batch.push(job);
    }
    $("files").append(fragment);
    enqueue(batch);
    const extra = skipped ? ` (${plural(skipped, "non-image file")} skipped)` : "";
    lp.announce(`Added ${plural(files.length, "file")}${extra}. Processing on your device…`);
  };

  function cancel() {
    const dropped = pool.dropQueued();
    if (dropped.length) {
      for (const job of dropped) setStatus(job, "cancelled", "Cancelled");
      const running = pool.running().length;
      lp.announce(`Cancelled ${plural(dropped.length, "waiting file")}.` +
        (running ? ` ${plural(running, "file")} in progress will finish; press Stop now to stop ${running === 1 ? "it" : "them"}.` : ""));
    } else {
      const stopped = pool.stopRunning();
      for (const job of stopped) setStatus(job, "cancelled", "Stopped");
      lp.announce(`Stopped ${plural(stopped.length, "file")}.`);
    }
    scheduleUpdate();
  }

  function clearAll() {
    for (const job of pool.dropQueued()) job.status = "cancelled";
    for (const job of pool.stopRunning()) job.status = "cancelled";
    for (const url of urls) URL.revokeObjectURL(url);
    urls.clear();
    if (zipUrl) URL.revokeObjectURL(zipUrl);
    zipUrl = null;
    jobs.length = 0;
    $("files").replaceChildren();
    $("batch").hidden = true;
    announcedIdle = true;
    $("add-title").focus(); // the button that had focus is gone
    lp.announce("List cleared.");
    scheduleUpdate();
  }

  function rerun() {
    const again = jobs.filter((j) => j.status !== "queued" && j.status !== "running");
    for (const job of again) {
      clearRowResult(job);
      setStatus(job, "queued", "Waiting");
    }
    if (again.length) {
      enqueue(again);
      lp.announce(`Processing ${plural(again.length, "file")} again with the current settings.`);
    }
  }

  function downloadAll() {
    const done = jobs.filter((j) => j.status === "done");
    if (!done.length) return;
    const names = lp.zip.uniqueNames(done.map((j) => j.outPath));
    let blob;
    try {
      blob = lp.zip.build(done.map((job, i) => ({
        name: names[i], data: job.output, size: job.output.size, crc32: job.crc32,
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

  /** Show or hide a control; focus on a control that disappears moves to the list's heading. */
  function setHidden(element, hidden) {
    if (hidden && !element.hidden && document.activeElement === element) $("batch-title").focus();
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
    for (const job of jobs) {
      c[job.status] += 1;
      if (job.status === "done") {
        input += job.response.input_size;
        output += job.response.output_size;
      }
    }
    const active = jobs.length - c.cancelled;
    const finished = c.done + c.error;
    const busy = c.queued + c.running > 0;
    document.body.dataset.busy = String(busy);
    const progress = $("batch-progress");
    progress.max = Math.max(1, active);
    progress.value = finished;
    const parts = [`${finished} of ${plural(active, "file")} done`];
    if (c.error) parts.push(plural(c.error, "error"));
    if (c.running) parts.push(`${c.running} in progress`);
    if (c.queued) parts.push(`${c.queued} waiting`);
    if (c.cancelled) parts.push(`${c.cancelled} cancelled`);
    $("batch-status").textContent = parts.join(" · ");

    const saved = input - output;
    $("totals").textContent = c.done
      ? `${plural(c.done, "photo")}: ${lp.formatBytes(input)} → ${lp.formatBytes(output)}` +
        (saved > 0 ? ` — saved ${lp.formatBytes(saved)} (${Math.round((100 * saved) / input)}%).` : ".")
      : "";
    const list = $("privacy-summary");
    list.replaceChildren(...lp.report.batchSummary(jobs.filter((j) => j.status === "done").map((j) => j.response))
      .map(({ category, text }) => {
        const li = document.createElement("li");
        li.dataset.category = category;
        li.textContent = text;
        return li;
      }));
    $("summary").hidden = !c.done;

    // For exactly one result, #download is its link; the ZIP is for two or more.
    const single = c.done === 1 ? jobs.find((j) => j.status === "done") : null;
    const link = $("download");
    if (single) {
      link.href = downloadUrl(single);
      link.download = single.response.name;
      link.textContent = `Download ${single.response.name}`;
      link.hidden = false;
    } else {
      setHidden(link, true);
      link.removeAttribute("href");
    }
    setHidden($("download-all"), c.done < 2);
    $("download-all").textContent = `Download all (${c.done}) as ZIP`;
    const cancelButton = $("cancel");
    setHidden(cancelButton, !busy);
    cancelButton.textContent = c.queued ? "Cancel" : "Stop now";
    setHidden($("rerun"), busy || !(c.done + c.error + c.cancelled));
    $("clear").hidden = !jobs.length;

    if (!busy && !announcedIdle && jobs.length) {
      announcedIdle = true;
      const summary = lp.report.batchSummary(jobs.filter((j) => j.status === "done").map((j) => j.response));
      const location = summary.find((s) => s.category === "location");
      lp.announce(`Finished: ${plural(c.done, "file")} done${c.error ? `, ${plural(c.error, "error")}` : ""}.` +
        (saved > 0 ? ` Saved ${lp.formatBytes(saved)}.` : "") + (location ? ` ${location.text}` : ""));
    }
    lp.meter.update();
  }

  function start() {
    size = lp.poolSize(window.location.search);
    lp.meter.init($("net-meter"), $("net-text"), () => (pool ? pool.net() : { requests: 0, bytes: 0 }));
    pool = new lp.Pool(size, {
      onState: setEngine,
      onStart: (job, no) => setStatus(job, "running", size > 1 ? `Processing (engine ${no})…` : "Processing…"),
      onResult: (job, message) => finish(job, message.response, message),
      onNet: () => lp.meter.update(),
      onWorkers,
    }, { eager: lp.forcedPoolSize(window.location.search) !== null });
    // On a narrow screen the settings start folded (their one-line summary stays visible).
    if (window.matchMedia && window.matchMedia("(max-width: 60rem)").matches) $("settings-panel").open = false;
    lp.settings.bind(() => {
      $("settings-note").hidden = !jobs.length;
    });
    lp.compare.init();
    lp.input.init($("drop"));
    $("cancel").addEventListener("click", cancel);
    $("clear").addEventListener("click", clearAll);
    $("rerun").addEventListener("click", rerun);
    $("download-all").addEventListener("click", downloadAll);
    pool.start(); // the first worker now, so the page can say "ready"; more when a batch needs them
    onWorkers();
  }

  lp.jobs = jobs; // for debugging from the console
  // DOMContentLoaded fires after every deferred script ran (offline.js may replace createWorker).
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})(window.localpix);

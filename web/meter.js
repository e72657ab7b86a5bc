// The live network meter: what the page and its engine workers have requested since the engine
// became ready, read from the browser's own Resource Timing; engines started later for a batch
// load the engine's files from this site, shown apart as such. The page's entries come from
// performance + a PerformanceObserver; each worker reports its own timeline (worker.js, `net`).
// blob: and data: URLs are not counted: they never leave the device.
"use strict";
window.localpix = window.localpix || {};

(function (lp) {
  let readyAt = Infinity; // page's performance.now() when the engine became ready
  let page = { requests: 0, bytes: 0 };
  let workers = () => ({ requests: 0, bytes: 0 });
  let element = null;
  let text = null;
  let extra = null; // the engines started later, on a line of their own
  let engineStarts = 0; // engine workers started after ready (for a batch, or to replace one)
  // What engines that became ready after the first loaded to start: the same engine files, from
  // this site. Shown apart, never hidden: they are requests, but nothing about your photos.
  let laterEngines = { engines: 0, requests: 0, bytes: 0 };
  let workerScripts = { requests: 0, bytes: 0 };
  // What the service worker downloaded for the offline copy after ready (sw.js, offline.js).
  let offline = { requests: 0, bytes: 0 };

  if (performance.setResourceTimingBufferSize) performance.setResourceTimingBufferSize(10000);

  function isNetwork(entry) {
    return /^https?:/i.test(entry.name);
  }

  // Starting one more engine worker loads its script from this site: that shows up in the page's
  // timeline (the rest of its start-up is in the worker's own timeline, reported with its ready).
  // Exactly one such entry per worker the pool started counts as engine start-up; anything else
  // counts as a request.
  function isWorkerScript(entry) {
    return entry.initiatorType === "other" && /\/worker\.js$/.test(new URL(entry.name).pathname);
  }

  function recount() {
    let requests = 0;
    let bytes = 0;
    let starts = engineStarts;
    const scripts = { requests: 0, bytes: 0 };
    for (const entry of performance.getEntriesByType("resource")) {
      if (entry.startTime >= readyAt && isNetwork(entry)) {
        const size = entry.transferSize || entry.encodedBodySize || 0;
        if (starts > 0 && isWorkerScript(entry)) {
          starts -= 1;
          scripts.requests += 1;
          scripts.bytes += size;
          continue;
        }
        requests += 1;
        bytes += size;
      }
    }
    page = { requests, bytes };
    workerScripts = scripts;
  }

  function formatBytes(n) {
    const { KB, MB } = lp.facts.units;
    if (n < KB) return `${n} B`;
    if (n < MB) return `${(n / KB).toFixed(1)} KB`;
    return `${(n / MB).toFixed(2)} MB`;
  }

  function render() {
    if (!element) return;
    const w = workers();
    const decoders = w.decoders || { requests: 0, bytes: 0 }; // shown apart (worker.js `net`)
    const codecs = w.codecs || { requests: 0, bytes: 0 };
    const requests = page.requests + w.requests;
    const bytes = page.bytes + w.bytes;
    element.dataset.requests = String(requests);
    element.dataset.bytes = String(bytes);
    element.dataset.pageRequests = String(page.requests);
    element.dataset.workerRequests = String(w.requests);
    element.dataset.engineStarts = String(engineStarts);
    element.dataset.decoderRequests = String(decoders.requests);
    element.dataset.codecRequests = String(codecs.requests);
    element.dataset.offlineRequests = String(offline.requests);
    const loads = {
      requests: laterEngines.requests + workerScripts.requests,
      bytes: laterEngines.bytes + workerScripts.bytes,
    };
    element.dataset.engineLoadRequests = String(loads.requests);
    element.dataset.engineLoadBytes = String(loads.bytes);
    element.dataset.state = readyAt === Infinity ? "waiting" : requests ? "traffic" : "quiet";
    if (readyAt === Infinity) {
      text.textContent = "Network: compressor loading…";
    } else {
      text.textContent = `Network since ready: ${requests} request${requests === 1 ? "" : "s"}, ${formatBytes(bytes)}`;
      const n = laterEngines.engines;
      const files = (count) => `${count} file${count === 1 ? "" : "s"}`;
      const lines = [];
      // Worded so it cannot read as an upload: these are the app's own files, coming in.
      if (n) {
        lines.push(`+ ${n === 1 ? "1 more copy" : `${n} more copies`} of the compressor ` +
                   `started for the batch, from this app's own files (${files(loads.requests)}, ` +
                   `${formatBytes(loads.bytes)} loaded from this site or its offline copy).`);
      }
      if (decoders.requests) {
        lines.push(`+ image decoders for this file type, from this app's own files ` +
                   `(${files(decoders.requests)}, ${formatBytes(decoders.bytes)} loaded from ` +
                   "this site or its offline copy).");
      }
      if (codecs.requests) {
        lines.push(`+ codecs loaded from this site on first use, from this app's own files ` +
                   `(${files(codecs.requests)}, ${formatBytes(codecs.bytes)}).`);
      }
      if (offline.requests) {
        lines.push(`+ the offline copy of this app's own files, saved in your browser ` +
                   `(${files(offline.requests)}, ${formatBytes(offline.bytes)} loaded from this site).`);
      }
      if (lines.length) lines.push("Nothing was sent.");
      extra.hidden = !lines.length;
      extra.textContent = lines.join(" ");
    }
  }

  function init(el, textEl, workerTotals) {
    element = el;
    text = textEl;
    extra = el.querySelector(".meter-extra");
    workers = workerTotals;
    if (typeof PerformanceObserver !== "undefined") {
      const observer = new PerformanceObserver(() => {
        if (readyAt !== Infinity) {
          recount();
          render();
        }
      });
      try {
        observer.observe({ type: "resource", buffered: true });
      } catch {
        observer.observe({ entryTypes: ["resource"] });
      }
    }
    render();
  }

  /** Start counting from now (the engine just became ready). Later calls change nothing. */
  function start() {
    if (readyAt !== Infinity) return;
    readyAt = performance.now();
    recount();
    render();
  }

  /** The pool started another engine worker (after ready): its script load is start-up. */
  function engineStarted() {
    if (readyAt !== Infinity) engineStarts += 1;
  }

  /** An engine became ready after the first; startup = what it loaded before (worker.js). */
  function engineReady(startup) {
    if (readyAt === Infinity || !startup) return;
    laterEngines = {
      engines: laterEngines.engines + 1,
      requests: laterEngines.requests + startup.requests,
      bytes: laterEngines.bytes + startup.bytes,
    };
    render();
  }

  /** The service worker downloaded `totals` for the offline copy after ready. */
  function offlineCopy(totals) {
    if (readyAt === Infinity) return;
    offline = { requests: offline.requests + totals.requests, bytes: offline.bytes + totals.bytes };
    render();
  }

  function update() {
    if (readyAt !== Infinity) recount();
    render();
  }

  lp.meter = { init, start, update, engineStarted, engineReady, offlineCopy, formatBytes };
  lp.formatBytes = formatBytes;
})(window.localpix);

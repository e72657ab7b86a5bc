// The live network meter: what the page and its engine workers have requested since the engine
// became ready, read from the browser's own Resource Timing. The page's entries come from
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
  let engineStarts = 0; // engine workers started after ready (for a batch, or to replace one)

  if (performance.setResourceTimingBufferSize) performance.setResourceTimingBufferSize(10000);

  function isNetwork(entry) {
    return /^https?:/i.test(entry.name);
  }

  // Starting one more engine worker loads its script from this site: that shows up in the page's
  // timeline (the worker's own start-up is in its timeline, before its ready, so it is not
  // counted there either). Exactly one such entry per worker the pool started is not counted,
  // like the first engine's start-up; anything else is.
  function isWorkerScript(entry) {
    return entry.initiatorType === "other" && /\/worker\.js$/.test(new URL(entry.name).pathname);
  }

  function recount() {
    let requests = 0;
    let bytes = 0;
    let starts = engineStarts;
    for (const entry of performance.getEntriesByType("resource")) {
      if (entry.startTime >= readyAt && isNetwork(entry)) {
        if (starts > 0 && isWorkerScript(entry)) {
          starts -= 1;
          continue;
        }
        requests += 1;
        bytes += entry.transferSize || entry.encodedBodySize || 0;
      }
    }
    page = { requests, bytes };
  }

  function formatBytes(n) {
    if (n < 1024) return `${n} B`;
    if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
    return `${(n / 1024 / 1024).toFixed(2)} MB`;
  }

  function render() {
    if (!element) return;
    const w = workers();
    const requests = page.requests + w.requests;
    const bytes = page.bytes + w.bytes;
    element.dataset.requests = String(requests);
    element.dataset.bytes = String(bytes);
    element.dataset.pageRequests = String(page.requests);
    element.dataset.workerRequests = String(w.requests);
    element.dataset.engineStarts = String(engineStarts);
    element.dataset.state = readyAt === Infinity ? "waiting" : requests ? "traffic" : "quiet";
    if (readyAt === Infinity) {
      text.textContent = "Network: engine loading…";
    } else {
      text.textContent = `Network since ready: ${requests} request${requests === 1 ? "" : "s"}, ${formatBytes(bytes)}`;
    }
  }

  function init(el, textEl, workerTotals) {
    element = el;
    text = textEl;
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

  function update() {
    if (readyAt !== Infinity) recount();
    render();
  }

  lp.meter = { init, start, update, engineStarted, formatBytes };
  lp.formatBytes = formatBytes;
})(window.localpix);

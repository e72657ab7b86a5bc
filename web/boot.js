// Runs in <head>, before the page is parsed and its deferred scripts run: starts the first engine
// worker at once, since Pyodide's start-up is what the page waits for. web/pool.js adopts it
// (localpix.takeEarlyWorker) and replays what it said meanwhile. The single-file build defines
// its own localpix.createWorker before this runs and starts its workers the usual way.
"use strict";
window.localpix = window.localpix || {};

(function (lp) {
  if (lp.createWorker || typeof Worker === "undefined") return;
  let early;
  try {
    // Named: the first engine is the one that hands its downloads to the offline copy (worker.js).
    early = { worker: new Worker("worker.js", { name: "localpix-first" }), events: [] };
  } catch {
    return; // the pool will try again and report the failure
  }
  // A dedicated worker's messages are dispatched as they arrive: keep them until the pool listens.
  early.worker.onmessage = (event) => early.events.push(["message", event]);
  early.worker.onerror = (event) => {
    event.preventDefault();
    early.events.push(["error", event]);
  };
  /** The early worker and what it said so far, once; then null. */
  lp.takeEarlyWorker = function takeEarlyWorker() {
    const taken = early;
    early = null;
    return taken || null;
  };
})(window.localpix);

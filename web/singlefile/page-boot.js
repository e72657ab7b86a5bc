// Single-file build only (dist/localpix.html, opened from disk): runs before the app's scripts.
// A file:// page cannot load worker.js, so localpix.createWorker() (web/pool.js keeps a definition
// that is already there) starts the engine worker from the assets embedded in this page instead,
// as a classic worker from a Blob (see worker-boot.js).
"use strict";

(() => {
  // Never resolved: the worker answers every request under it from memory.
  const BASE = "https://localpix.invalid/";
  let embedded = null;

  function assets() {
    if (!embedded) {
      const files = {};
      for (const block of document.querySelectorAll('script[type="application/x-localpix-asset"]')) {
        files[block.dataset.path] = block.textContent;
      }
      const boot = document.getElementById("localpix-worker-boot").textContent;
      const bootUrl = URL.createObjectURL(new Blob([boot], { type: "text/javascript" }));
      embedded = { files, bootUrl };
    }
    return embedded;
  }

  function createWorker(options = {}) {
    const { files, bootUrl } = assets();
    const worker = new Worker(bootUrl, { name: options.name || "localpix-engine" });
    // Posted before anything the app sends, so it is the first message the worker sees.
    worker.postMessage({ type: "localpix-singlefile-assets", base: BASE, files });
    return worker;
  }

  const ns = (window.localpix = window.localpix || {});
  ns.createWorker = createWorker;
  ns.singleFile = true;
})();

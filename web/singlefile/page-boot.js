// Single-file build only (dist/localpix.html, opened from disk): runs before the app's scripts.
// A file:// page cannot load worker.js, so localpix.createWorker() (web/pool.js keeps a definition
// that is already there) starts the engine worker from the assets embedded in this page instead,
// as a classic worker from a Blob (see worker-boot.js).
"use strict";

(() => {
  // Never resolved: the worker answers every request under it from memory.
  const BASE = "https://localpix.invalid/";
  const FORMAT = LOCALPIX_BLOCK_FORMAT; // written in by scripts/singlefile.py
  let embedded = null;

  // Trusted Types: the one script this page makes itself (the worker's boot, as a Blob).
  let bootUrl = null;
  const policy = self.trustedTypes ? self.trustedTypes.createPolicy("localpix-singlefile", {
    createScriptURL(url) {
      if (url === bootUrl) return url;
      throw new TypeError(`localpix single file: refused to run ${url} as a script`);
    },
  }) : { createScriptURL: (url) => url };

  function assets() {
    if (!embedded) {
      // The asset blocks are bytes read as windows-1252 characters (scripts/singlefile.py): read
      // any other way (a browser override, a re-saved copy) they are not the bytes built. The
      // worker is started anyway and reports this, so the page says it the usual way.
      const problem = document.characterSet.toLowerCase() === FORMAT.charset ? null
        : `this copy of localpix.html reads as ${document.characterSet}, not ${FORMAT.charset}, so `
          + "its embedded engine is damaged: download the single file again";
      const files = {};
      for (const block of document.querySelectorAll('script[type="application/x-localpix-asset"]')) {
        files[block.dataset.path] = block.textContent;
      }
      const boot = document.getElementById("localpix-worker-boot").textContent;
      bootUrl = URL.createObjectURL(new Blob([boot], { type: "text/javascript" }));
      embedded = { files, boot, problem, bootUrl: policy.createScriptURL(bootUrl) };
    }
    return embedded;
  }

  function createWorker(options = {}) {
    const { files, boot, problem, bootUrl } = assets();
    const worker = new Worker(bootUrl, { name: options.name || "localpix-engine" });
    // Posted before anything the app sends, so it is the first message the worker sees; `boot`
    // is for its decoder thread (the same script in its other role).
    worker.postMessage({ type: "localpix-singlefile-assets", base: BASE, files, boot, problem });
    return worker;
  }

  const ns = (window.localpix = window.localpix || {});
  ns.createWorker = createWorker;
  ns.singleFile = true;
})();

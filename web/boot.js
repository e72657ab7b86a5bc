// Runs in <head>, before the page is parsed and its deferred scripts run: starts the first engine
// worker at once, since Pyodide's start-up is what the page waits for. web/pool.js adopts it
// (localpix.takeEarlyWorker) and replays what it said meanwhile. The single-file build defines
// its own localpix.createWorker before this runs and starts its workers the usual way.
"use strict";
window.localpix = window.localpix || {};

(function (lp) {
  // Trusted Types (the CSP's require-trusted-types-for 'script'): no string can become a script,
  // so injected markup runs nothing. Script URLs come only from this policy, which allows only
  // the app's own .js files beside this page; every other script sink stays closed.
  const appRoot = new URL("./", document.baseURI);
  const policy = self.trustedTypes ? self.trustedTypes.createPolicy("localpix", {
    createScriptURL(url) {
      const target = new URL(url, appRoot);
      if (target.origin !== "null" && target.href.startsWith(appRoot.href) && target.pathname.endsWith(".js")) {
        return target.href;
      }
      throw new TypeError(`localpix: refused to run ${url} as a script: not one of the app's own files`);
    },
  }) : null;
  /** A script URL the browser will accept (a TrustedScriptURL where Trusted Types exist). */
  lp.scriptURL = (url) => (policy ? policy.createScriptURL(url) : url);

  if (lp.createWorker || typeof Worker === "undefined") return;
  let early;
  try {
    // Named: the first engine is the one that hands its downloads to the offline copy (worker.js).
    early = { worker: new Worker(lp.scriptURL("worker.js"), { name: "localpix-first" }), events: [] };
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

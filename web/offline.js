// Offline, page side: registers the service worker (web/sw.js) when the app is served over
// http(s) — never from file://, where the single-file build is offline by construction — and
// reports how far it got:
//   body[data-offline] = "file"        the single file, or opened from disk: nothing to install
//                      | "unsupported" no service workers here (old browser, private mode, …)
//                      | "installing"  first visit: copying the app into the browser's cache
//                      | "ready"       every file is cached and this page is served from it:
//                                      the app now works with the network off
//                      | "error"       the service worker could not install (see the console)
//   body[data-offline-version] = the cached build's version, once ready.
// If the page has an element #offline-status, a short sentence about it goes there.
"use strict";
window.localpix = window.localpix || {};

(function (lp) {
  const TEXT = {
    installing: "Saving the app in your browser for offline use…",
    ready: "Works offline: this app is saved in your browser.",
    error: "Could not save the app for offline use.",
  };

  function show(state) {
    document.body.dataset.offline = state;
    const status = document.getElementById("offline-status");
    if (status) status.textContent = TEXT[state] || "";
  }

  function ask(worker, message) {
    return new Promise((resolve) => {
      const channel = new MessageChannel();
      channel.port1.onmessage = (event) => resolve(event.data);
      worker.postMessage(message, [channel.port2]);
    });
  }

  function controllerChange() {
    return new Promise((resolve) => {
      navigator.serviceWorker.addEventListener("controllerchange", resolve, { once: true });
    });
  }

  // The engine worker downloads the engine's files itself and hands them to the service worker,
  // which waits for them instead of downloading them alongside (web/sw.js): tell it when they
  // are there, whichever comes first, that or its install.
  let engineStored = false;
  let tellEngineStored = () => {};

  function engineFilesStored() {
    engineStored = true;
    tellEngineStored();
  }

  async function register() {
    const sw = navigator.serviceWorker;
    sw.addEventListener("message", (event) => {
      const message = event.data || {};
      if (message.type === "offline-copy-downloaded" && lp.meter) lp.meter.offlineCopy(message);
    });
    // updateViaCache "none": sw.js and precache.js are always checked with the server, so a new
    // build is noticed on the next visit.
    const registration = await sw.register(lp.scriptURL("sw.js"), { updateViaCache: "none" });
    let told = null;
    tellEngineStored = () => {
      const worker = registration.installing || registration.waiting || registration.active;
      if (!engineStored || !worker || worker === told) return;
      told = worker;
      worker.postMessage({ type: "engine-files-stored" });
    };
    registration.addEventListener("updatefound", tellEngineStored);
    tellEngineStored();

    if (registration.waiting && sw.controller) {
      // A newer build was installed during an earlier visit. Switch now, before any work starts
      // here — but only if no other tab still runs the old build (the worker checks).
      const changed = controllerChange();
      const answer = await ask(registration.waiting, { type: "take-over-if-alone" });
      if (answer && answer.takingOver) {
        await changed;
        location.reload();
        return;
      }
    }

    if (!registration.active || !sw.controller) show("installing");
    await sw.ready;
    if (!sw.controller) {
      // First visit (the worker claims us once it is active) or a hard reload (we ask it to).
      const claimed = controllerChange();
      const { active } = await sw.ready;
      active.postMessage({ type: "claim" });
      await claimed;
    }
    const status = await ask(sw.controller, { type: "status" });
    if (!status || !status.complete) throw new Error(`offline cache incomplete: ${JSON.stringify(status)}`);
    document.body.dataset.offlineVersion = status.version;
    show("ready");
  }

  if (lp.singleFile || !/^https?:$/.test(location.protocol)) {
    show("file");
  } else if (!("serviceWorker" in navigator)) {
    show("unsupported");
  } else {
    register().catch((error) => {
      console.error("localpix offline:", error);
      show("error");
    });
  }

  lp.offline = { state: () => document.body.dataset.offline, engineFilesStored };
})(window.localpix);

// Single-file build only (dist/localpix.html, opened from disk). Not shipped as a file: the build
// embeds this text in the page, which starts it as a classic worker from a Blob URL (file:// pages
// can start no other kind) and posts the embedded assets as the first message:
//   {type: "localpix-singlefile-assets", base, files: {"pyodide/pyodide.asm.wasm": base64 gzip, ...}}
// It inflates them, answers fetch() and importScripts() for every URL under `base` from memory (so
// the engine worker and Pyodide load exactly as they do over http), preloads Pyodide, then runs
// the unchanged worker.js. Nothing here can reach the network: a URL that is not embedded, not
// blob: and not data: is refused before any request is made (and the page's CSP refuses it too).
"use strict";

(() => {
  const ASSETS_MESSAGE = "localpix-singlefile-assets";
  const TYPES = {
    wasm: "application/wasm", js: "text/javascript", json: "application/json",
    zip: "application/zip", whl: "application/zip",
  };
  const nativeFetch = self.fetch.bind(self);
  const nativeImportScripts = self.importScripts.bind(self);
  const early = []; // messages that arrive before worker.js has its handler
  let base = null;
  const files = new Map(); // absolute URL without query/fragment -> Uint8Array
  const blobUrls = new Map();
  // Trusted Types (this worker inherits the page's CSP): only the Blobs made here from embedded
  // scripts may be imported.
  const made = new Set();
  const policy = self.trustedTypes ? self.trustedTypes.createPolicy("localpix-singlefile", {
    createScriptURL(url) {
      if (made.has(url)) return url;
      throw new TypeError(`localpix single file: refused to import ${url}`);
    },
  }) : { createScriptURL: (url) => url };

  function fail(error) {
    // The engine worker's own protocol (see worker.js): the page shows the error.
    self.postMessage({ type: "failed", error: `single-file start: ${error && error.message || error}` });
  }

  function embeddedUrl(input) {
    const raw = input instanceof Request ? input.url : String(input);
    let url;
    try {
      url = new URL(raw, base);
    } catch {
      return null;
    }
    if (url.protocol === "blob:" || url.protocol === "data:") return { passThrough: true };
    url.search = "";
    url.hash = "";
    return { url: url.href };
  }

  function contentType(url) {
    return TYPES[url.split(".").pop()] || "application/octet-stream";
  }

  async function embeddedFetch(input, init) {
    const target = embeddedUrl(input);
    if (target && target.passThrough) return nativeFetch(input, init);
    if (!target || !target.url.startsWith(base)) {
      throw new TypeError(`localpix single file: no network, refused ${String(input && input.url || input)}`);
    }
    const bytes = files.get(target.url);
    if (!bytes) return new Response(`not embedded: ${target.url}`, { status: 404, statusText: "Not Found" });
    return new Response(bytes, { status: 200, headers: { "Content-Type": contentType(target.url) } });
  }

  function blobUrlFor(url) {
    if (!blobUrls.has(url)) {
      const bytes = files.get(url);
      if (!bytes) throw new TypeError(`localpix single file: script not embedded: ${url}`);
      const blobUrl = URL.createObjectURL(new Blob([bytes], { type: "text/javascript" }));
      made.add(blobUrl);
      blobUrls.set(url, policy.createScriptURL(blobUrl));
    }
    return blobUrls.get(url);
  }

  function embeddedImportScripts(...urls) {
    nativeImportScripts(...urls.map((raw) => {
      const target = embeddedUrl(raw);
      if (target && target.passThrough) return raw;
      if (!target || !target.url.startsWith(base)) {
        throw new TypeError(`localpix single file: no network, refused script ${raw}`);
      }
      return blobUrlFor(target.url);
    }));
  }

  async function inflate(base64) {
    const packed = await nativeFetch(`data:application/gzip;base64,${base64}`);
    const plain = packed.body.pipeThrough(new DecompressionStream("gzip"));
    return new Uint8Array(await new Response(plain).arrayBuffer());
  }

  function checkWasmAllowed() {
    // Without 'wasm-unsafe-eval' in the CSP, Pyodide swallows the compile error and never
    // finishes starting; an 8-byte empty module tells us at once.
    try {
      new WebAssembly.Module(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]));
    } catch (error) {
      throw new Error(`WebAssembly is blocked here (${error.message}); the page's Content-Security-Policy must allow 'wasm-unsafe-eval'`);
    }
  }

  async function boot(message) {
    base = new URL(message.base).href;
    checkWasmAllowed();
    const names = Object.keys(message.files);
    const inflated = await Promise.all(names.map((name) => inflate(message.files[name])));
    names.forEach((name, i) => files.set(new URL(name, base).href, inflated[i]));
    self.fetch = embeddedFetch;
    self.importScripts = embeddedImportScripts;
    self.LOCALPIX_BASE = base;
    // pyodide.asm.js first: then loadPyodide finds _createPyodideModule and loads no script itself.
    self.importScripts(new URL("pyodide/pyodide.asm.js", base).href);
    self.importScripts(new URL("pyodide/pyodide.js", base).href);
    self.onmessage = null;
    self.importScripts(new URL("worker.js", base).href);
    // Hand over what arrived meanwhile, after worker.js's top level has installed its handlers.
    setTimeout(() => {
      for (const event of early) {
        self.dispatchEvent(new MessageEvent("message", { data: event.data, ports: [...event.ports] }));
      }
      early.length = 0;
    }, 0);
  }

  self.onmessage = (event) => {
    if (base === null && event.data && event.data.type === ASSETS_MESSAGE) {
      boot(event.data).catch(fail);
    } else {
      early.push(event);
    }
  };
})();

// Single-file build only (dist/localpix.html, opened from disk). Not shipped as a file: the build
// embeds this text in the page, which starts it as a classic worker from a Blob URL (file:// pages
// can start no other kind) and posts the embedded assets as the first message:
//   {type: "localpix-singlefile-assets", base, files: {"pyodide/pyodide.asm.wasm": text, ...}, boot}
// where each text is the file's xz bytes as windows-1252 characters, with "=" escapes (see
// scripts/singlefile.py), and boot is this script's own text. It answers fetch() and
// importScripts() for every URL under `base` from those (so the engine worker and Pyodide load
// exactly as they do over http), preloads Pyodide, then runs the unchanged worker.js. Files are
// decoded on a second thread (this same script, started under another name): the scripts at
// once (importScripts cannot wait), what the engine loads before "ready" and numpy in the order
// it needs them, anything else (codecs, decoders) when first fetched. The build puts its xz
// decoder (npm xz-decompress) before this text. Nothing here can reach the network: a URL that
// is not embedded and not blob: is refused before any request is made (and the
// page's CSP refuses it too).
"use strict";

(() => {
  const ASSETS_MESSAGE = "localpix-singlefile-assets";
  const DECODER_NAME = "localpix-singlefile-unxz";
  const DECODER_IDLE_MS = 3000;

  // How the blocks hold bytes: {charset, escape, shift}, written in by scripts/singlefile.py.
  const FORMAT = LOCALPIX_BLOCK_FORMAT;
  // Character -> byte as the page was read, from the browser's own decoder.
  const BYTE_OF = new Uint8Array(65536);
  new TextDecoder(FORMAT.charset).decode(Uint8Array.from({ length: 256 }, (_, i) => i))
    .split("").forEach((char, byte) => { BYTE_OF[char.charCodeAt(0)] = byte; });

  function bytesOf(text) {
    const out = new Uint8Array(text.length);
    let n = 0;
    for (let i = 0; i < text.length; i++) {
      const byte = BYTE_OF[text.charCodeAt(i)];
      out[n++] = byte === FORMAT.escape ? (BYTE_OF[text.charCodeAt(++i)] - FORMAT.shift) & 255 : byte;
    }
    return out.subarray(0, n);
  }

  async function unxz(text) {
    const { XzReadableStream } = self["xz-decompress"];
    const packed = new Blob([bytesOf(text)]).stream();
    try {
      return new Uint8Array(await new Response(new XzReadableStream(packed)).arrayBuffer());
    } catch {
      throw new Error("its xz data fails its check"); // the stream's own error says only "Failed to fetch"
    }
  }

  if (self.name === DECODER_NAME) { // the decoder thread: text in, bytes out
    self.onmessage = ({ data }) => unxz(data.text).then(
      (bytes) => self.postMessage({ id: data.id, bytes }, [bytes.buffer]),
      (error) => self.postMessage({ id: data.id, error: String(error && error.message || error) }));
    return;
  }

  const TYPES = {
    wasm: "application/wasm", js: "text/javascript", json: "application/json",
    zip: "application/zip", whl: "application/zip",
  };
  const nativeFetch = self.fetch.bind(self);
  const nativeImportScripts = self.importScripts.bind(self);
  const early = []; // messages that arrive before worker.js has its handler
  let base = null;
  const texts = new Map(); // absolute URL without query/fragment -> embedded text
  const files = new Map(); // the same URLs -> Promise of the decoded bytes
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
    if (url.protocol === "blob:") return { passThrough: true };
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
    if (!texts.has(target.url)) {
      return new Response(`not embedded: ${target.url}`, { status: 404, statusText: "Not Found" });
    }
    const bytes = await decoded(target.url);
    return new Response(bytes, { status: 200, headers: { "Content-Type": contentType(target.url) } });
  }

  function blobUrlFor(url) {
    if (!blobUrls.has(url)) {
      const bytes = scripts.get(url);
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

  const scripts = new Map(); // the embedded .js files, decoded at boot for importScripts
  let bootText = null; // this script's own text: its second role, the decoder thread

  // The decoder thread: xz in wasm is CPU work, and this worker's thread is busy booting Python
  // while the wheels and numpy are decoded for it. It goes once idle; made again when needed.
  let decoder = null;
  const waiting = new Map(); // id -> {text, resolve, reject}
  let nextId = 0;
  let idleTimer = 0;

  function startDecoder() {
    const url = URL.createObjectURL(new Blob([bootText], { type: "text/javascript" }));
    made.add(url);
    const thread = new Worker(policy.createScriptURL(url), { name: DECODER_NAME });
    thread.onmessage = ({ data }) => {
      const job = waiting.get(data.id);
      waiting.delete(data.id);
      if (data.error) job.reject(new Error(data.error));
      else job.resolve(data.bytes);
      if (!waiting.size) idleTimer = setTimeout(stopDecoder, DECODER_IDLE_MS);
    };
    thread.onerror = (event) => { // it could not start: decode here instead
      event.preventDefault();
      stopDecoder();
      for (const [id, job] of waiting) {
        waiting.delete(id);
        unxz(job.text).then(job.resolve, job.reject);
      }
    };
    return thread;
  }

  function stopDecoder() {
    if (decoder) decoder.terminate();
    decoder = null;
  }

  function unxzElsewhere(text) {
    if (typeof Worker === "undefined" || !bootText) return unxz(text);
    clearTimeout(idleTimer);
    decoder = decoder || startDecoder();
    return new Promise((resolve, reject) => {
      const id = nextId++;
      waiting.set(id, { text, resolve, reject });
      decoder.postMessage({ id, text });
    });
  }

  /** The bytes of the embedded file at `url`. If they are damaged, the fetch that wanted them
   *  fails; if the engine cannot start without them (`vital`), the page is told at once. */
  function decoded(url, vital = false) {
    if (!files.has(url)) {
      files.set(url, unxzElsewhere(texts.get(url)).catch((error) => {
        throw new Error(`${url.slice(base.length)} is damaged in this copy of localpix.html `
          + `(${error.message}); download the single file again`);
      }));
    }
    const bytes = files.get(url);
    if (vital) bytes.catch(fail);
    return bytes;
  }

  /** Start decoding what the engine fetches first, in the order it needs it. */
  async function decodeAhead() {
    const info = JSON.parse(new TextDecoder().decode(
      await decoded(new URL("build-info.json", base).href, true)));
    const order = ["pyodide/pyodide.asm.wasm", "pyodide/python_stdlib.zip",
      ...Object.keys(info.download || {}), ...Object.keys(info.lazy || {})];
    for (const name of order) {
      const url = new URL(name, base).href;
      if (texts.has(url)) decoded(url, true);
    }
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
    if (message.problem) throw new Error(message.problem);
    base = new URL(message.base).href;
    bootText = message.boot;
    checkWasmAllowed();
    for (const [name, text] of Object.entries(message.files)) texts.set(new URL(name, base).href, text);
    const js = [...texts.keys()].filter((url) => url.endsWith(".js"));
    const ahead = decodeAhead();
    const bytes = await Promise.all(js.map((url) => decoded(url)));
    js.forEach((url, i) => scripts.set(url, bytes[i]));
    self.fetch = embeddedFetch;
    self.importScripts = embeddedImportScripts;
    self.LOCALPIX_BASE = base;
    // pyodide.asm.js first: then loadPyodide finds _createPyodideModule and loads no script itself.
    self.importScripts(new URL("pyodide/pyodide.asm.js", base).href);
    self.importScripts(new URL("pyodide/pyodide.js", base).href);
    self.onmessage = null;
    self.importScripts(new URL("worker.js", base).href);
    ahead.catch(fail);
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

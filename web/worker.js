// Hosts Pyodide and the localpix engine, off the UI thread. The page runs a pool of these
// (web/pool.js), each loading the engine once and processing one file at a time.
//
// The one message protocol between the page and the engine:
//   page -> worker  {type: "process", id, name, bytes: ArrayBuffer, request: {mode, options}}
//                   (request as in py/localpix/adapters/bridge.py; the worker adds `name`)
//   worker -> page  {type: "status", text}                       (start-up progress)
//                   {type: "ready", ms, phases, versions, net, startup}  (phases: ms since
//                    start at each step, and how Python started: snapshot "loaded" | "made" | ...)
//                   {type: "prepared", ms}                       (after ready: the engine has
//                    imported what every job uses; ms since start, as phases)
//                   {type: "progress", received, total}          (first visit: bytes of the engine's
//                    files downloaded so far, of total, decoded sizes)
//                   {type: "stored"}                             (after ready: what this worker
//                    downloaded is in the staging cache for the service worker, or there is none)
//                   {type: "failed", error}                      (the engine could not start)
//                   {type: "result", id, response, bytes: ArrayBuffer | null, crc32, ms, net, heap,
//                    fatal?: true}
//                   {type: "net", net}                            (this worker fetched something)
//   response is the bridge's JSON response, parsed ({ok: false, error, kind} on failure).
//   bytes is transferred, not copied; crc32 is its CRC-32 (unsigned) for the ZIP writer, computed
//   here so the page never reads result bytes. fatal: the engine itself broke or its heap ran out
//   (Pyodide failed, or response.out_of_memory), so the page must terminate this worker and
//   start a fresh one.
//   heap: the bytes of Pyodide's wasm memory after the job (also in "ready"). A wasm memory only
//   grows, so this is the worker's peak so far; the page keeps the largest (pool.peakHeap).
//   net = {requests, bytes, decoders: {requests, bytes}, codecs: {requests, bytes}}: this
//   worker's own Resource Timing entries (http/https) since it became ready — the live network
//   meter on the page adds them up. It must stay 0, apart from `decoders` and `codecs`: this
//   site's decoder files (decoders.js) and wasm codecs (dist/codecs/), each fetched the first
//   time a job needs it, which the meter shows apart.
//   startup = {requests, bytes}: what this worker loaded before it was ready (the engine's own
//   files from this site); the meter shows it apart for engines started after the page's first.
// Before a job, the engine says which wasm codecs it could use (bridge.codecs_for); the worker
// loads each once (same-origin GETs), initialises it, and tells the job which are ready in
// request.codecs; Python then calls self.localpixCodecs[name].encode synchronously.
"use strict";

const BASE = self.LOCALPIX_BASE ? new URL(self.LOCALPIX_BASE) : new URL("./", self.location.href);
const START_TIMEOUT_MS = 120_000; // a CSP without 'wasm-unsafe-eval' makes Pyodide hang silently

// ---- first visit: each of the engine's files downloaded once ----
// Every fetch() this worker makes (Pyodide's own included) is copied, as it arrives, into a
// staging cache that the service worker takes its offline copy from (web/sw.js checks each
// against the build's sha256 list), so it need not download the same files again. Counting
// those bytes is the page's progress bar. Not when a service worker already serves this worker
// (a repeat visit: nothing comes from the network), not in the single file (its files are in
// memory), and only in the page's first engine (web/boot.js names it): one copy is enough.
const STAGING = `localpix-fetched ${BASE.pathname}`; // the same name in web/sw.js
const staging = (() => {
  if (self.name !== "localpix-first" || self.LOCALPIX_BASE || typeof caches === "undefined") return null;
  const container = self.navigator && self.navigator.serviceWorker;
  if (container && container.controller) return null;
  return caches.open(STAGING).catch(() => null);
})();
const stagedPuts = [];
const download = { received: 0, total: 0, postedAt: 0 };

function countReceived(n) {
  download.received += n;
  const now = performance.now();
  if (download.total && now - download.postedAt > 100) {
    download.postedAt = now;
    post({ type: "progress", received: Math.min(download.received, download.total), total: download.total });
  }
}

async function stage(response) {
  if (!response.ok || response.type !== "basic") return;
  const copy = response.clone(); // before the caller reads its body
  const url = new URL(response.url);
  url.search = "";
  url.hash = "";
  const chunks = [];
  const reader = copy.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    countReceived(value.length);
  }
  const cache = await staging;
  if (!cache) return;
  const type = copy.headers.get("Content-Type");
  // The body is decoded: keep only its type (not the encoding or length it travelled with).
  await cache.put(url.href, new Response(new Blob(chunks), { headers: type ? { "Content-Type": type } : {} }));
}

if (staging) {
  const networkFetch = self.fetch.bind(self);
  self.fetch = function fetchAndStage(input, init) {
    const response = networkFetch(input, init);
    const method = (init && init.method) || (input instanceof Request ? input.method : "GET");
    if (method.toUpperCase() === "GET") {
      stagedPuts.push(response.then(stage).catch((error) => console.warn("localpix: not staged:", error)));
    }
    return response;
  };
}

/** After ready: the staged copies are all written (or there are none); the page tells sw.js. */
async function stored() {
  await Promise.all(stagedPuts);
  post({ type: "stored" });
}

// Trusted Types (the CSP sent with worker.js): importScripts takes only URLs from this policy,
// which allows the app's own .js files under BASE and nothing else.
const SCRIPTS = self.trustedTypes ? self.trustedTypes.createPolicy("localpix", {
  createScriptURL(url) {
    const target = new URL(url, BASE);
    if (target.href.startsWith(BASE.href) && target.pathname.endsWith(".js")) return target.href;
    throw new TypeError(`localpix: refused to import ${url}: not one of the app's own files`);
  },
}) : { createScriptURL: (url) => url };

if (typeof loadPyodide === "undefined") {
  // pyodide.asm.js first, through the policy: then loadPyodide finds _createPyodideModule and
  // imports no script itself (its own importScripts of a plain string would be refused).
  importScripts(SCRIPTS.createScriptURL("pyodide/pyodide.asm.js"));
  importScripts(SCRIPTS.createScriptURL("pyodide/pyodide.js"));
}
importScripts(SCRIPTS.createScriptURL("decoders.js")); // self.localpixDecoders (formats Pillow lacks here)

if (performance.setResourceTimingBufferSize) performance.setResourceTimingBufferSize(10000);

// Pyodide's wasm memory in bytes, once it exists (the Emscripten module's heap view).
let engineModule = null;
function heapBytes() {
  return engineModule && engineModule.HEAP8 ? engineModule.HEAP8.length : null;
}

function post(message, transfer = []) {
  self.postMessage(message, transfer);
}

// ---- network meter: this worker's own Resource Timing since it became ready ----
let readyAt = Infinity;

function isNetwork(entry) {
  return /^https?:/i.test(entry.name); // blob: and data: never leave the device
}

const CODECS_URL = new URL("codecs/", BASE).href;

// decoders, codecs: this site's decoder (decoders.js) and wasm codec files, loaded on first use
// and shown apart.
function netTotals(before) {
  const totals = { requests: 0, bytes: 0, decoders: { requests: 0, bytes: 0 },
                   codecs: { requests: 0, bytes: 0 } };
  for (const entry of performance.getEntriesByType("resource")) {
    if ((entry.startTime >= readyAt) !== before && isNetwork(entry)) {
      const counted = self.localpixDecoders.isDecoderFile(entry.name) ? totals.decoders
        : entry.name.startsWith(CODECS_URL) ? totals.codecs : totals;
      counted.requests += 1;
      counted.bytes += entry.transferSize || entry.encodedBodySize || 0;
    }
  }
  return totals;
}

function watchNetwork() {
  if (typeof PerformanceObserver === "undefined") return;
  const observer = new PerformanceObserver((list) => {
    if (list.getEntries().some((e) => e.startTime >= readyAt && isNetwork(e))) {
      post({ type: "net", net: netTotals(false) });
    }
  });
  try {
    observer.observe({ type: "resource", buffered: false });
  } catch {
    observer.observe({ entryTypes: ["resource"] });
  }
}

// ---- CRC-32 (IEEE), for the page's ZIP writer ----
const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(bytes) {
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = CRC_TABLE[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

// ---- the engine ----
// Start-up, in the order that keeps the CPU busy with only what "ready" needs:
// - build-info.json; Pyodide's core; then, while Python boots, the engine wheel and the wheels
//   of micropip and packaging (sha256-checked, then unpacked: no loadPackage round trip);
// - Python itself starts from a memory snapshot of an already initialised interpreter, micropip
//   imported, when this browser has one for this very build (made on the first visit, kept in
//   Cache Storage);
// - micropip installs the engine wheel from the bytes already fetched (emfs:, deps=False: it
//   must never ask an index); "ready" once the engine's package imports;
// - the lazy wheels, Pillow and numpy (4 MB), are fetched after those, so they never share the
//   link with what "ready" waits for; their fetch still starts before "ready" (no request is
//   left for after it: the network meter must stay 0). prepare() unpacks them and imports the
//   bridge with Pillow when the engine is first idle; the first job waits for it. numpy is
//   imported only by the jobs that need it (PNG filters, automatic quality).
const SNAPSHOT_CACHE = "localpix-snapshot";
const afterReady = []; // work that must not delay "ready"
// Imported before the snapshot is taken: the standard library that loading Pillow and importing
// the engine use (Pyodide's standard library is source: each import compiles it, every start).
const SNAPSHOT_IMPORTS = [
  "json", "dataclasses", "xml.etree.ElementTree", "decimal", "fractions", "base64", "numbers",
  "tarfile", "csv", "datetime", "calendar", "email.message", "email.utils", "email.header",
  "importlib.metadata", "encodings.cp437",
  // ... and what micropip, Pillow and numpy import of it beyond those.
  "__future__", "pickle", "hashlib", "html.parser", "platform", "sysconfig", "ctypes",
];

// The worker's Python side, defined once in __main__ — on a first visit before the snapshot is
// taken, so that a restored engine compiles none of it:
// - reseed(): the snapshot froze the random state (and the hash seed); returns 42.
// - refresh_imports(): makes files unpacked since Python started importable. Python 3.12's
//   importlib.invalidate_caches() re-reads the standard library zip's whole directory once for
//   each of its importers (about 20 after start-up: 80 ms on a warm interpreter, several times
//   that right after a restore); that zip never changes, so its importers are dropped from the
//   cache instead, and made again on the next import from it out of zipimport's own cache.
// - unpack_wheels(paths): each wheel's files into the working directory, then the wheel deleted
//   (see unpackInstaller).
// - process, codecs_for: the bridge's entry points (bytes from JS, a JSON string for the codecs),
//   importing it on first use.
const WORKER_PYTHON = `
import importlib, os, random, sys, zipfile, zipimport

def reseed():
    random.seed()
    return 42

def refresh_imports():
    for path, finder in list(sys.path_importer_cache.items()):
        if isinstance(finder, zipimport.zipimporter):
            del sys.path_importer_cache[path]
    importlib.invalidate_caches()

def unpack_wheels(paths):
    for path in paths:
        with zipfile.ZipFile(path) as wheel:
            wheel.extractall()
        os.remove(path)

def process(data, request):
    from localpix.adapters.bridge import process
    return process(data.to_bytes(), request)

def codecs_for(data, request):
    import json
    from localpix.adapters.bridge import codecs_for
    return json.dumps(codecs_for(data.to_bytes(), request))
`;

function fetchOk(url) {
  return fetch(url).then((response) => {
    if (!response.ok) throw new Error(`${url.pathname}: HTTP ${response.status}`);
    return response;
  });
}

async function sha256Hex(bytes) {
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A wheel's bytes, refused unless they are the ones Pyodide's lock file lists (build-info.json
 *  carries its sha256): they are unpacked as they are, with no installer checking them. */
async function fetchWheel(path, sha256) {
  const bytes = await (await fetchOk(new URL(path, BASE))).arrayBuffer();
  if (await sha256Hex(bytes) !== sha256) throw new Error(`${path} is not the file this build shipped`);
  return new Uint8Array(bytes);
}

/** Resolves once Pyodide's own large downloads (its wasm and standard library) have arrived, or
 *  once `fallback` settles (Python is up), whichever comes first. */
function coreDownloaded(fallback) {
  const wanted = ["pyodide/pyodide.asm.wasm", "pyodide/python_stdlib.zip"].map((path) => new URL(path, BASE).href);
  const arrived = new Promise((resolve) => {
    if (typeof PerformanceObserver === "undefined") return;
    const seen = new Set();
    const observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) if (wanted.includes(entry.name.split("?")[0])) seen.add(entry.name);
      if (seen.size >= wanted.length) {
        observer.disconnect();
        resolve();
      }
    });
    observer.observe({ type: "resource", buffered: true });
  });
  return Promise.race([arrived, fallback]);
}

/** Cache Storage for the snapshot, or null where there is none (file:// single file, private
 *  modes that refuse it): then Python simply starts the normal way. */
async function snapshotStore(info) {
  if (!info.build || typeof caches === "undefined") return null;
  try {
    const cache = await caches.open(SNAPSHOT_CACHE);
    // One entry per place the app is served from; its build is part of the key and is checked
    // again on use, so a snapshot from another build is never loaded.
    const key = new URL(`pyodide-snapshot?build=${info.build}`, BASE).href;
    return { cache, key };
  } catch {
    return null;
  }
}

/** The stored snapshot, or null if there is none: {bytes, checked}, where `checked` settles
 *  once its sha256 has been compared (in the background, while Python loads from it: the restore
 *  is kept only if that passes); throws at once if it is not whole or not of this build. */
async function readSnapshot(store, info) {
  const response = await store.cache.match(store.key);
  if (!response) return null;
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (response.headers.get("x-localpix-build") !== info.build
      || Number(response.headers.get("x-localpix-length")) !== bytes.length) {
    throw new Error("the stored snapshot is not whole or of another build");
  }
  const checked = sha256Hex(bytes).then((sha) => {
    if (sha !== response.headers.get("x-localpix-sha256")) throw new Error("the stored snapshot is damaged");
  });
  checked.catch(() => {}); // awaited by startPython
  return { bytes, checked };
}

async function writeSnapshot(store, info, bytes) {
  const headers = {
    "Content-Type": "application/octet-stream",
    "x-localpix-build": info.build,
    "x-localpix-length": String(bytes.length),
    "x-localpix-sha256": await sha256Hex(bytes),
  };
  // This copy's snapshots of other builds go (each is ~20 MB); other copies' stay.
  const place = (url) => url.split("?")[0];
  for (const request of await store.cache.keys()) {
    if (place(request.url) === place(store.key) && request.url !== store.key) await store.cache.delete(request);
  }
  await store.cache.put(store.key, new Response(bytes, { headers }));
}

/** Names each JS object Python holds beyond Pyodide's own (micropip's share of Pyodide's API) by
 *  where it sits on the `pyodide` object and by its slot in Pyodide's table of JS references,
 *  so that a restored interpreter gets the same objects of its own instance (adoptNamedObjects);
 *  throws for anything else, and then no snapshot is made. */
function snapshotSerializer(pyodide) {
  const table = pyodide._module;
  return (object) => {
    let slot = 0;
    for (;; slot++) {
      let held;
      try {
        held = table.__hiwire_get(slot);
      } catch {
        throw new Error("a JS object outside Pyodide's table");
      }
      if (held === object) break;
    }
    for (const root of [[], ["_api"]]) {
      const base = root.reduce((parent, key) => parent[key], pyodide);
      if (base === object) return { slot, path: root };
      for (const key of Object.getOwnPropertyNames(base)) {
        let value;
        try {
          value = base[key];
        } catch {
          continue;
        }
        if (value === object) return { slot, path: [...root, key] };
      }
    }
    throw new Error(`a JS object the snapshot cannot name: ${String(object).slice(0, 60)}`);
  };
}

/** The installer's wheels (micropip, packaging) unpacked by Python's zipfile, where
 *  pyodide.unpackArchive would put them: unpackArchive leaves JS state behind that a snapshot
 *  cannot hold. */
function unpackInstaller(pyodide, wheels) {
  const paths = wheels.map((bytes, i) => {
    const path = `/tmp/installer-${i}.whl`;
    pyodide.FS.writeFile(path, bytes);
    return path;
  });
  const unpack = pyodide.globals.get("unpack_wheels");
  try {
    unpack(paths);
  } finally {
    unpack.destroy();
  }
}

function adoptNamedObjects(pyodide, named) {
  for (const { slot, path } of named) {
    const object = path.reduce((parent, key) => parent[key], pyodide);
    if (object === undefined || pyodide._module.__hiwire_set(slot, object) < 0) {
      throw new Error(`the snapshot names ${path.join(".")}, which this Pyodide lacks`);
    }
  }
}

/** Python, from this build's snapshot when there is a good one; else booted normally, with
 *  micropip (the engine's installer) imported, and a snapshot made of that for next time.
 *  phases.snapshot says which: "loaded" | "made" | "replaced" (a stored one was unusable:
 *  ignored, deleted, made anew) | "none" (could not make one); absent where there is no storage
 *  for it (the single file from file://). `installer()`: the bytes of the wheels micropip needs
 *  (info.load), unpacked here unless Python was restored; `booted()` is called as soon as Python
 *  runs, before they are awaited. */
async function startPython(info, phases, installer, booted) {
  const options = { indexURL: new URL("pyodide/", BASE).href };
  const store = await snapshotStore(info);
  if (!store) {
    const pyodide = await loadPyodide(options);
    booted();
    pyodide.runPython(WORKER_PYTHON);
    unpackInstaller(pyodide, await installer());
    return pyodide;
  }
  let unusable = false;
  try {
    const stored = await readSnapshot(store, info);
    if (stored) {
      const named = [];
      const pyodide = await loadPyodide({ ...options, _loadSnapshot: stored.bytes,
                                          _snapshotDeserializer: (entry) => named.push(entry) && null });
      await stored.checked;
      booted();
      adoptNamedObjects(pyodide, named);
      if (pyodide.globals.get("reseed")() !== 42) {
        throw new Error("the restored interpreter does not compute");
      }
      phases.snapshot = "loaded";
      return pyodide;
    }
  } catch (error) {
    console.warn("localpix: not using the stored Python snapshot:", error);
    unusable = true;
    await store.cache.delete(store.key).catch(() => {});
  }
  const pyodide = await loadPyodide({ ...options, _makeSnapshot: true });
  booted();
  pyodide.runPython(SNAPSHOT_IMPORTS.map((name) => `import ${name}`).join("\n"));
  pyodide.runPython(WORKER_PYTHON);
  // micropip too: importing it is a third of a restored engine's start.
  unpackInstaller(pyodide, await installer());
  pyodide.pyimport("micropip").destroy();
  let snapshot = null;
  try {
    snapshot = pyodide.makeMemorySnapshot({ serializer: snapshotSerializer(pyodide) });
  } catch (error) {
    console.warn("localpix: could not make a Python snapshot:", error);
  }
  phases.snapshot = !snapshot ? "none" : unusable ? "replaced" : "made";
  // Stored once the engine is ready: hashing and writing ~20 MB must not delay the first start.
  if (snapshot) {
    afterReady.push(() => writeSnapshot(store, info, snapshot)
      .catch((error) => console.warn("localpix: snapshot not stored:", error)));
  }
  return pyodide;
}

async function startEngine() {
  const started = performance.now();
  const phases = {};
  const mark = (name) => { phases[name] = Math.round(performance.now() - started); };
  post({ type: "status", text: "Preparing the compressor…" });
  const info = await (await fetchOk(new URL("build-info.json", BASE))).json();
  const lazyShas = info.lazy || {};
  const lazy = Object.entries(lazyShas);
  if (staging) {
    // What "ready" waits for: the lazy wheels come after it.
    download.total = Object.entries(info.download || {})
      .filter(([path]) => !(path in lazyShas)).reduce((a, [, size]) => a + size, 0);
    download.postedAt = performance.now();
    post({ type: "progress", received: Math.min(download.received, download.total), total: download.total });
  }
  // One thing at a time on the link, in the order of need: Pyodide's core (its wasm and
  // standard library, fetched by loadPyodide) first — Python boots as soon as they are in —,
  // then, while it boots, the engine wheel and the wheels "ready" needs, then the lazy wheels
  // (Pillow and numpy), which the first job waits for and "ready" does not.
  let booted;
  const running = new Promise((resolve) => { booted = resolve; });
  const python = startPython(info, phases, () => loadWheels, () => booted());
  python.catch(() => booted());
  const coreIn = coreDownloaded(running);
  const fetchAll = (entries) => Promise.all(entries.map(([path, sha256]) => fetchWheel(path, sha256)));
  const engineWheel = coreIn.then(() => fetchOk(new URL(info.engine_wheel, BASE)))
    .then((response) => response.arrayBuffer());
  const loadWheels = coreIn.then(() => fetchAll(Object.entries(info.load)));
  const lazyWheels = loadWheels.then(() => fetchAll(lazy), () => fetchAll(lazy));
  [engineWheel, loadWheels, lazyWheels].forEach((promise) => promise.catch(() => {})); // awaited below
  const pyodide = await python;
  engineModule = pyodide._module;
  mark("python");
  if (phases.snapshot === "loaded") {
    // The restored micropip is imported whole and reads none of its files to install the engine:
    // they go in after "ready", so that the files match a fresh start's.
    afterReady.push(() => loadWheels.then((wheels) => unpackInstaller(pyodide, wheels))
      .catch((error) => console.warn("localpix:", error)));
  }
  post({ type: "status", text: "Starting the compressor… almost ready" });
  const wheelPath = `/tmp/${info.engine_wheel.split("/").pop()}`;
  pyodide.FS.writeFile(wheelPath, new Uint8Array(await engineWheel));
  const refreshImports = pyodide.globals.get("refresh_imports");
  const micropip = pyodide.pyimport("micropip");
  refreshImports(); // micropip ends its install with importlib.invalidate_caches()
  try {
    await micropip.install.callKwargs(`emfs:${wheelPath}`, { deps: false });
  } catch (error) {
    if (phases.snapshot === "loaded") {
      // Whatever the restored micropip lacks, the next start boots afresh and makes a new one.
      const store = await snapshotStore(info);
      if (store) await store.cache.delete(store.key).catch(() => {});
    }
    throw error;
  }
  micropip.destroy();
  pyodide.FS.unlink(wheelPath);
  // The package only (its public names load on first use): the bridge, and Pillow with it, is
  // imported by prepare() below, after "ready".
  pyodide.pyimport("localpix").destroy();
  const [bridge, codecsFor] = [pyodide.globals.get("process"), pyodide.globals.get("codecs_for")];
  mark("engine");
  // When the engine is first idle after "ready", or before the first job, which waits for it:
  // the lazy wheels' files go in (once they have arrived), then the bridge is imported with
  // what every job uses (Pillow, the pipeline). numpy is imported by the jobs that need it.
  let prepared = null;
  const prepare = () => {
    prepared = prepared || lazyWheels.then((wheels) => {
      for (const bytes of wheels) pyodide.unpackArchive(bytes, "wheel");
      refreshImports();
    }).catch((error) => {
      // The jobs that need them say so (an import error on their row); the others still run.
      console.warn("localpix: the lazily loaded packages are missing:", error);
    }).then(() => {
      pyodide.pyimport("localpix.adapters.bridge").destroy();
      post({ type: "prepared", ms: Math.round(performance.now() - started) });
    });
    return prepared;
  };
  afterReady.push(() => prepare().catch((error) => console.warn("localpix: the engine could not be imported:", error)));
  readyAt = performance.now();
  watchNetwork();
  post({
    type: "ready",
    ms: Math.round(readyAt - started),
    phases,
    versions: { pyodide: info.pyodide, ...info.packages, engine: info.engine_wheel },
    net: netTotals(false),
    startup: netTotals(true),
    heap: heapBytes(),
  });
  for (const task of afterReady.splice(0)) setTimeout(task, 0);
  stored();
  return { process: bridge, prepare, info,
           codecsFor: (bytes, request) => JSON.parse(codecsFor(bytes, request)) };
}

// ---- wasm codecs (codecs.providers' browser providers, scripts/wasm_codecs.py) ----
// name -> {encode(pixels, width, height, options) -> Uint8Array, and what else the module offers:
// decode(data) (AVIF), decodeResized(jpeg, options), scoreReference and score (mozjpeg)}
// (Emscripten codecs) or the wasm-bindgen functions ({optimise(png, level, interlace,
// optimiseAlpha) -> Uint8Array}).
self.localpixCodecs = {};
const codecLoads = {}; // name -> Promise of "ready" | why not

// A tiny module using a SIMD instruction (i8x16.splat), as wasm-feature-detect checks: the
// codecs with a SIMD build (libwebp) use it where the browser validates this.
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0,
  10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]);

/** `use` on the pixels Python handed over: a view of the Python bytes object's own buffer (its
 *  PyProxy lives for the call), so they are copied once, into the codec's memory, not twice. */
function withBytes(pixels, use) {
  if (typeof pixels.getBuffer !== "function") return use(pixels);
  const buffer = pixels.getBuffer("u8");
  try {
    return use(buffer.data);
  } finally {
    buffer.release();
  }
}

/** Run the Emscripten factory registered as `name` on its compiled module: it fetches nothing. */
function emscripten(name, wasm) {
  return self.localpixWasmFactories[name]({
    noInitialRun: true,
    // Else the factory resolves its .wasm against this worker's URL, which is no base when the
    // worker was started from a blob: (new URL throws); the module is given compiled anyway.
    locateFile: (path) => path,
    instantiateWasm: (imports, receive) => {
      const instance = new WebAssembly.Instance(wasm, imports);
      receive(instance);
      return instance.exports;
    },
  });
}

/** The wasm file at `path` (relative to BASE), fetched and compiled. */
function compileWasm(path) {
  return fetchOk(new URL(path, BASE)).then((response) => response.arrayBuffer())
    .then((bytes) => WebAssembly.compile(bytes));
}

async function loadCodec(info, name) {
  const entry = (info.codecs || {})[name];
  if (!entry) return "not in this build";
  try {
    const files = entry.simd && WebAssembly.validate(SIMD_PROBE) ? entry.simd : entry;
    const compiled = compileWasm(files.wasm);
    importScripts(SCRIPTS.createScriptURL(files.script)); // registers self.localpixWasmFactories[name]
    const wasm = await compiled;
    if (entry.kind === "wasm-bindgen") {
      // Rust bindings (oxipng): the functions themselves, bound to the compiled module.
      const bindings = self.localpixWasmFactories[name];
      bindings.initSync(wasm);
      self.localpixCodecs[name] = bindings;
      return "ready";
    }
    const module = await emscripten(name, wasm);
    const codec = {
      encode: (pixels, width, height, options) => withBytes(pixels, (view) => module.encode(view, width, height, options)),
    };
    if (module.decodeResized) { // mozjpeg: a JPEG decoded and resized in one pass
      codec.decodeResized = (jpeg, options) => withBytes(jpeg, (view) => module.decodeResized(view, options));
    }
    if (module.scoreReference) { // mozjpeg: SSIMULACRA2 for the automatic search
      codec.scoreReference = (rgb, width, height, weights) => withBytes(rgb, (view) => module.scoreReference(view, width, height, weights));
      codec.score = (rgb) => withBytes(rgb, (view) => module.score(view));
    }
    if (entry.decoder) { // the engine decodes its own samples (AVIF): ImageData, or null
      const decoderWasm = compileWasm(entry.decoder.wasm);
      importScripts(SCRIPTS.createScriptURL(entry.decoder.script));
      const decoder = await emscripten(`${name}-decoder`, await decoderWasm);
      codec.decode = (data) => decoder.decode(data, 8);
    }
    self.localpixCodecs[name] = codec;
    return "ready";
  } catch (error) {
    console.warn(`localpix: the ${name} codec did not load:`, error);
    return `it did not load: ${errorText(error)}`;
  }
}

/** {name: "ready" | why not} for the codecs this job could use, each loaded once. */
async function codecsForJob(engine, bytes, request) {
  const status = {};
  let wanted = [];
  try {
    wanted = engine.codecsFor(bytes.subarray(0, 4096), JSON.stringify(request));
  } catch (error) {
    console.warn("localpix: could not ask which codecs a job needs:", error);
  }
  for (const name of wanted) {
    codecLoads[name] = codecLoads[name] || loadCodec(engine.info, name);
    status[name] = await codecLoads[name];
  }
  return status;
}

function withTimeout(promise, ms, what) {
  return Promise.race([
    promise,
    new Promise((_, reject) => setTimeout(() => reject(new Error(`${what} did not finish in ${ms / 1000} s`)), ms)),
  ]);
}

function errorText(error) {
  return String((error && error.message) || error);
}

const engine = withTimeout(startEngine(), START_TIMEOUT_MS, "Starting the engine");
engine.catch((error) => post({ type: "failed", error: errorText(error) }));

self.onmessage = async (event) => {
  const message = event.data;
  if (message.type !== "process") return;
  const started = performance.now();
  const fail = (kind, error, fatal) => post({
    type: "result", id: message.id, bytes: null, crc32: null, net: netTotals(false),
    ms: Math.round(performance.now() - started), heap: heapBytes(), fatal,
    response: { ok: false, kind, error },
  });
  let process;
  let ready;
  try {
    ready = await engine;
    process = ready.process;
    await ready.prepare();
  } catch (error) {
    fail("EngineUnavailable", `The image engine is not available: ${errorText(error)}`, true);
    return;
  }
  let output;
  let response; // the engine's JSON answer, parsed once; its bytes are taken below
  try {
    const bytes = new Uint8Array(message.bytes);
    const request = { ...message.request, name: message.name };
    request.codecs = await codecsForJob(ready, bytes, request);
    output = process(bytes, JSON.stringify(request));
    response = JSON.parse(output.get(1));
    const decode = response.ok ? null : response.decode;
    if (decode) {
      // Nothing in Pyodide decodes this format: decode it here, send the pixels after the file.
      output.destroy();
      output = null;
      const decoded = await self.localpixDecoders.decode(decode, bytes);
      if (decoded.error) {
        fail("UnsupportedFormatError", `This ${response.label} image cannot be compressed in this ` +
             `browser: ${decoded.error}. 'Strip only' still removes its metadata without ` +
             "decoding it.");
        return;
      }
      const input = new Uint8Array(bytes.length + decoded.rgba.length);
      input.set(bytes);
      input.set(decoded.rgba, bytes.length);
      request.decoded = { format: decoded.format, width: decoded.width, height: decoded.height,
                          file_size: bytes.length };
      output = process(input, JSON.stringify(request));
      response = JSON.parse(output.get(1));
    }
  } catch (error) {
    // The bridge never raises; landing here means Pyodide itself failed (out of memory, abort).
    fail("EngineCrashed", "The image engine ran out of memory or stopped on this file. " +
         "It has been restarted; try a smaller image or the command-line tool.", true);
    return;
  }
  try {
    // depth 2: the tuple and the bytes inside it both become JS values (bytes -> Uint8Array).
    const [data] = output.toJs({ depth: 2 });
    const bytes = response.ok ? data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) : null;
    const crc = bytes ? crc32(new Uint8Array(bytes)) : null;
    // Python's heap ran out (a MemoryError, answered in words by the bridge): this engine's
    // memory stays at its peak and its C state is suspect, so the page replaces it.
    const fatal = response.out_of_memory === true || undefined;
    post({ type: "result", id: message.id, response, bytes, crc32: crc, net: netTotals(false),
           ms: Math.round(performance.now() - started), heap: heapBytes(), fatal },
         bytes ? [bytes] : []);
  } finally {
    output.destroy();
  }
};

// The browser half of scripts/bench. Exposes window.bench for Playwright; outputs are POSTed back
// to the bench server (/out/<key>) rather than returned through the DevTools protocol.
import encodeMozjpeg, { init as initMozjpeg } from "./node_modules/@jsquash/jpeg/encode.js";
import encodeWebp, { init as initWebp } from "./node_modules/@jsquash/webp/encode.js";
// This page is not cross-origin isolated (no SharedArrayBuffer), so @jsquash/avif takes its
// single-threaded build: the one dist/ ships for the worker.
import encodeAvif, { init as initAvif } from "./node_modules/@jsquash/avif/encode.js";
import optimiseOxipng from "./node_modules/@jsquash/oxipng/optimise.js";

const DIST = new URL("../dist/", location.href).href;
const pixels = new Map(); // name -> ImageData
const workers = []; // {worker, readyMs, pending: Map}
let nextId = 1;

async function put(key, bytes) {
  const r = await fetch(`/out/${encodeURIComponent(key)}`, { method: "POST", body: bytes });
  if (!r.ok) throw new Error(`upload ${key}: ${r.status}`);
}

async function loadPixels(name, url, width, height) {
  const buf = await (await fetch(url)).arrayBuffer();
  pixels.set(name, new ImageData(new Uint8ClampedArray(buf), width, height));
  return buf.byteLength;
}

function dropPixels(name) {
  pixels.delete(name);
}

async function canvasEncode(img, type, quality) {
  const canvas = new OffscreenCanvas(img.width, img.height);
  canvas.getContext("2d").putImageData(img, 0, 0);
  const blob = await canvas.convertToBlob({ type, quality });
  return blob.arrayBuffer();
}

// codec in: mozjpeg, canvas-jpeg, jsquash-webp, jsquash-avif, oxipng (setting = level; source = a PNG url)
async function encode(codec, name, setting, key, sourceUrl) {
  let out;
  let ms;
  if (codec === "oxipng") {
    const png = await (await fetch(sourceUrl)).arrayBuffer();
    const t0 = performance.now();
    out = await optimiseOxipng(png, { level: setting, interlace: false });
    ms = performance.now() - t0;
  } else {
    const img = pixels.get(name);
    const t0 = performance.now();
    if (codec === "mozjpeg") out = await encodeMozjpeg(img, { quality: setting });
    else if (codec === "canvas-jpeg") out = await canvasEncode(img, "image/jpeg", setting / 100);
    else if (codec === "jsquash-webp") out = await encodeWebp(img, { quality: setting });
    else if (codec === "jsquash-avif") out = await encodeAvif(img, { quality: setting });
    else throw new Error(`unknown codec ${codec}`);
    ms = performance.now() - t0;
  }
  await put(key, out);
  return { size: out.byteLength, ms };
}

// ---- the real localpix worker (dist/worker.js), started from a small wrapper so the bench can
// ask its wasm heap size and load extra Pyodide packages without touching web/ ----
function wrapperSource(extraPackages) {
  return `
self.LOCALPIX_BASE = ${JSON.stringify(DIST)};
importScripts(${JSON.stringify(DIST + "pyodide/pyodide.js")});
const realLoad = self.loadPyodide;
const extra = ${JSON.stringify(extraPackages)};
let py = null;
self.loadPyodide = async (options) => {
  py = await realLoad(options);
  if (extra.length) {
    const load = py.loadPackage.bind(py);
    py.loadPackage = (names, opts) => load([].concat(names, extra), opts);
  }
  return py;
};
self.addEventListener("message", (e) => {
  if (e.data && e.data.type === "bench-heap") {
    self.postMessage({ type: "bench-heap", bytes: py ? py._module.HEAP8.length : 0 });
  }
});
importScripts(${JSON.stringify(DIST + "worker.js")});
`;
}

function startWorker(extraPackages = []) {
  const url = URL.createObjectURL(new Blob([wrapperSource(extraPackages)], { type: "text/javascript" }));
  const worker = new Worker(url);
  const entry = { worker, pending: new Map(), created: performance.now() };
  entry.ready = new Promise((resolve, reject) => {
    worker.addEventListener("message", (e) => {
      const m = e.data;
      if (m.type === "ready") resolve({ at: performance.now(), ms: m.ms, phases: m.phases, versions: m.versions });
      else if (m.type === "failed") reject(new Error(m.error));
      else if (m.type === "result" || m.type === "bench-heap") {
        const key = m.type === "result" ? m.id : "heap";
        const done = entry.pending.get(key);
        if (done) {
          entry.pending.delete(key);
          done(m);
        }
      }
    });
    worker.addEventListener("error", (e) => reject(new Error(e.message || "worker error")));
  });
  workers.push(entry);
  return workers.length - 1;
}

async function startWorkers(n, extraPackages = []) {
  const ids = [];
  for (let i = 0; i < n; i++) ids.push(startWorker(extraPackages));
  const readies = await Promise.all(ids.map((i) => workers[i].ready));
  return ids.map((id, i) => ({ id, readyAt: readies[i].at, createdAt: workers[id].created,
                               engineMs: readies[i].ms, phases: readies[i].phases,
                               versions: readies[i].versions }));
}

function stopWorkers() {
  for (const w of workers) w.worker.terminate();
  workers.length = 0;
}

const fileCache = new Map();
async function fileBytes(url) {
  if (!fileCache.has(url)) fileCache.set(url, await (await fetch(url)).arrayBuffer());
  return fileCache.get(url).slice(0);
}

function clearFiles() {
  fileCache.clear();
}

async function localpix(workerId, url, request, key) {
  const entry = workers[workerId];
  const bytes = await fileBytes(url);
  const id = nextId++;
  const t0 = performance.now();
  const result = await new Promise((resolve) => {
    entry.pending.set(id, resolve);
    entry.worker.postMessage({ type: "process", id, name: url.split("/").pop(), bytes, request }, [bytes]);
  });
  const wall = performance.now() - t0;
  const r = result.response;
  if (key && r.ok) await put(key, result.bytes);
  return { ok: r.ok, error: r.error || null, kind: r.kind || null, size: r.ok ? result.bytes.byteLength : 0,
           ms: result.ms, wall, quality: r.quality ?? null, note: r.note || "", fatal: !!result.fatal,
           format: r.format || null, codec: r.codec || null };
}

async function heap(workerId) {
  const entry = workers[workerId];
  const m = await new Promise((resolve) => {
    entry.pending.set("heap", resolve);
    entry.worker.postMessage({ type: "bench-heap" });
  });
  return m.bytes;
}

// Batch throughput: `jobs` copies of one request spread over the first n workers.
async function batch(n, url, request, jobs) {
  await fileBytes(url);
  const queue = Array.from({ length: jobs }, (_, i) => i);
  const t0 = performance.now();
  const failures = [];
  await Promise.all(Array.from({ length: n }, async (_, w) => {
    while (queue.length) {
      queue.pop();
      const r = await localpix(w, url, request, null);
      if (!r.ok) failures.push(r.error);
    }
  }));
  return { ms: performance.now() - t0, failures };
}

async function warmCodecs() {
  await Promise.all([initMozjpeg(), initWebp(), initAvif()]);
}

window.bench = { loadPixels, dropPixels, encode, startWorkers, stopWorkers, localpix, heap, batch,
                 warmCodecs, clearFiles, userAgent: navigator.userAgent,
                 cores: navigator.hardwareConcurrency };
window.benchReady = true;

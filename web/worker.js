// Hosts Pyodide and the localpix engine, off the UI thread. The page runs a pool of these
// (web/pool.js), each loading the engine once and processing one file at a time.
//
// The one message protocol between the page and the engine:
//   page -> worker  {type: "process", id, name, bytes: ArrayBuffer, request: {mode, options}}
//                   (request as in py/localpix/bridge.py; the worker adds `name`)
//   worker -> page  {type: "status", text}                       (start-up progress)
//                   {type: "ready", ms, versions, net, startup}
//                   {type: "failed", error}                      (the engine could not start)
//                   {type: "result", id, response, bytes: ArrayBuffer | null, crc32, ms, net,
//                    fatal?: true}
//                   {type: "net", net}                            (this worker fetched something)
//   response is the bridge's JSON response, parsed ({ok: false, error, kind} on failure).
//   bytes is transferred, not copied; crc32 is its CRC-32 (unsigned) for the ZIP writer, computed
//   here so the page never reads result bytes. fatal: the engine itself broke (e.g. out of wasm
//   memory), so the page must terminate this worker and start a fresh one.
//   net = {requests, bytes}: this worker's own Resource Timing entries (http/https) since it
//   became ready — the live network meter on the page adds them up. It must stay 0.
//   startup = {requests, bytes}: what this worker loaded before it was ready (the engine's own
//   files from this site); the meter shows it apart for engines started after the page's first.
"use strict";

const BASE = self.LOCALPIX_BASE ? new URL(self.LOCALPIX_BASE) : new URL("./", self.location.href);
const START_TIMEOUT_MS = 120_000; // a CSP without 'wasm-unsafe-eval' makes Pyodide hang silently

if (typeof loadPyodide === "undefined") importScripts(new URL("pyodide/pyodide.js", BASE).href);

if (performance.setResourceTimingBufferSize) performance.setResourceTimingBufferSize(10000);

function post(message, transfer = []) {
  self.postMessage(message, transfer);
}

// ---- network meter: this worker's own Resource Timing since it became ready ----
let readyAt = Infinity;

function isNetwork(entry) {
  return /^https?:/i.test(entry.name); // blob: and data: never leave the device
}

function netTotals(before) {
  let requests = 0;
  let bytes = 0;
  for (const entry of performance.getEntriesByType("resource")) {
    if ((entry.startTime >= readyAt) !== before && isNetwork(entry)) {
      requests += 1;
      bytes += entry.transferSize || entry.encodedBodySize || 0;
    }
  }
  return { requests, bytes };
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
async function startEngine() {
  const started = performance.now();
  post({ type: "status", text: "Loading Python…" });
  const info = await (await fetch(new URL("build-info.json", BASE))).json();
  const pyodide = await loadPyodide({ indexURL: new URL("pyodide/", BASE).href });
  post({ type: "status", text: "Loading Pillow…" });
  // Every package the build shipped (Pillow, micropip and whatever the engine needs), all from
  // dist/pyodide/ next to the verified lock file.
  await pyodide.loadPackage(Object.keys(info.packages || { micropip: 1, pillow: 1 }), { messageCallback: () => {} });
  post({ type: "status", text: "Loading the localpix engine…" });
  const micropip = pyodide.pyimport("micropip");
  // deps=False: Pillow is already loaded from dist/, and micropip must never ask an index.
  await micropip.install.callKwargs(new URL(info.engine_wheel, BASE).href, { deps: false });
  micropip.destroy();
  const process = pyodide.runPython(
    "from localpix.bridge import process\n" +
    "lambda data, request: process(data.to_bytes(), request)"
  );
  readyAt = performance.now();
  watchNetwork();
  post({
    type: "ready",
    ms: Math.round(readyAt - started),
    versions: { pyodide: info.pyodide, ...info.packages, engine: info.engine_wheel },
    net: netTotals(false),
    startup: netTotals(true),
  });
  return process;
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
    ms: Math.round(performance.now() - started), fatal,
    response: { ok: false, kind, error },
  });
  let process;
  try {
    process = await engine;
  } catch (error) {
    fail("EngineUnavailable", `The image engine is not available: ${errorText(error)}`, true);
    return;
  }
  let output;
  try {
    output = process(new Uint8Array(message.bytes), JSON.stringify({ ...message.request, name: message.name }));
  } catch (error) {
    // The bridge never raises; landing here means Pyodide itself failed (out of memory, abort).
    fail("EngineCrashed", "The image engine ran out of memory or stopped on this file. " +
         "It has been restarted; try a smaller image or the command-line tool.", true);
    return;
  }
  try {
    // depth 2: the tuple and the bytes inside it both become JS values (bytes -> Uint8Array).
    const [data, responseJson] = output.toJs({ depth: 2 });
    const response = JSON.parse(responseJson);
    const bytes = response.ok ? data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) : null;
    const crc = bytes ? crc32(new Uint8Array(bytes)) : null;
    post({ type: "result", id: message.id, response, bytes, crc32: crc, net: netTotals(false),
           ms: Math.round(performance.now() - started) }, bytes ? [bytes] : []);
  } finally {
    output.destroy();
  }
};

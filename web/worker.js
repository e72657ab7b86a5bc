// Hosts Pyodide and the localpix engine, off the UI thread.
// The one message protocol between the page and the engine:
//   page -> worker  {type: "process", id, name, bytes: ArrayBuffer, request: {mode, options}}
//   worker -> page  {type: "status", text}
//                   {type: "ready", ms, versions}
//                   {type: "failed", error}                      (the engine could not start)
//                   {type: "result", id, response, bytes: ArrayBuffer | null}
"use strict";

const BASE = self.LOCALPIX_BASE ? new URL(self.LOCALPIX_BASE) : new URL("./", self.location.href);
const START_TIMEOUT_MS = 120_000; // a CSP without 'wasm-unsafe-eval' makes Pyodide hang silently

if (typeof loadPyodide === "undefined") importScripts(new URL("pyodide/pyodide.js", BASE).href);

function post(message, transfer = []) {
  self.postMessage(message, transfer);
}

async function startEngine() {
  const started = performance.now();
  post({ type: "status", text: "Loading Python…" });
  const info = await (await fetch(new URL("build-info.json", BASE))).json();
  const pyodide = await loadPyodide({ indexURL: new URL("pyodide/", BASE).href });
  post({ type: "status", text: "Loading Pillow…" });
  await pyodide.loadPackage(["micropip", "pillow"], { messageCallback: () => {} });
  post({ type: "status", text: "Loading the localpix engine…" });
  const micropip = pyodide.pyimport("micropip");
  // deps=False: Pillow is already loaded from dist/, and micropip must never ask an index.
  await micropip.install.callKwargs(new URL(info.engine_wheel, BASE).href, { deps: false });
  micropip.destroy();
  const process = pyodide.runPython(
    "from localpix.bridge import process\n" +
    "lambda data, request: process(data.to_bytes(), request)"
  );
  post({
    type: "ready",
    ms: Math.round(performance.now() - started),
    versions: { pyodide: info.pyodide, ...info.packages, engine: info.engine_wheel },
  });
  return process;
}

function withTimeout(promise, ms, what) {
  return Promise.race([
    promise,
    new Promise((_, reject) => setTimeout(() => reject(new Error(`${what} did not finish in ${ms / 1000} s`)), ms)),
  ]);
}

const engine = withTimeout(startEngine(), START_TIMEOUT_MS, "Starting the engine");
engine.catch((error) => post({ type: "failed", error: String(error && error.message || error) }));

self.onmessage = async (event) => {
  const message = event.data;
  if (message.type !== "process") return;
  let process;
  try {
    process = await engine;
  } catch (error) {
    post({ type: "result", id: message.id, bytes: null,
           response: { ok: false, kind: "EngineUnavailable", error: String(error && error.message || error) } });
    return;
  }
  const output = process(new Uint8Array(message.bytes), JSON.stringify({ ...message.request, name: message.name }));
  try {
    const [data, responseJson] = output.toJs({ depth: 1 });
    const response = JSON.parse(responseJson);
    const bytes = response.ok ? data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) : null;
    post({ type: "result", id: message.id, response, bytes }, bytes ? [bytes] : []);
  } finally {
    output.destroy();
  }
};

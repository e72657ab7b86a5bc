// Appended after the Emscripten factory (--extern-post-js): web/worker.js's importScripts finds
// codecs on localpixWasmFactories (globalThis: also under Node, for the tests and the bench).
globalThis.localpixWasmFactories = globalThis.localpixWasmFactories || {};
globalThis.localpixWasmFactories["mozjpeg-wasm"] = localpixMozjpeg;

// Loads the page's classic scripts (web/*.js) into a fresh context, with the build's generated
// facts (dist/facts.js, made by scripts/build), as the page does: they share window.localpix.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import vm from "node:vm";

export const ROOT = new URL("../../", import.meta.url);

export function load(names, globals = {}) {
  const window = { ...globals };
  const context = vm.createContext({ window, Blob, TextEncoder, TextDecoder, console, ...globals });
  for (const path of ["dist/facts.js", ...names.map((n) => `web/${n}`)]) {
    const url = new URL(path, ROOT);
    vm.runInContext(readFileSync(url, "utf8"), context, { filename: url.pathname });
  }
  return window.localpix;
}

/** Runs Python in the project's venv (the engine, or an independent judge) and returns stdout. */
export function python(code, input) {
  return execFileSync(new URL(".venv/bin/python", ROOT).pathname, ["-c", code],
    { input, cwd: ROOT.pathname, maxBuffer: 64 << 20 });
}

// Compiles the page's pure-Python packages to bytecode with the page's own interpreter (Pyodide's
// CPython 3.12, run here under Node), for scripts/build:
//   node scripts/bytecode.js PYODIDE_DIR OUT.zip WHEEL...
// OUT.zip holds site-packages/**/__pycache__/*.pyc as unchecked-hash pycs (valid whatever the
// files' times; the build ships them with the very sources they were compiled from). A repeat
// visit unpacks it beside the wheels and imports without compiling Pillow, micropip and the engine.
"use strict";
const fs = require("fs");
const path = require("path");

async function main() {
  const [pyodideDir, out, ...wheels] = process.argv.slice(2);
  const { loadPyodide } = require(path.resolve(pyodideDir, "pyodide.js"));
  const pyodide = await loadPyodide({ indexURL: path.resolve(pyodideDir) + "/", stdout: () => {} });
  const sitePackages = pyodide.runPython("import site; site.getsitepackages()[0]");
  for (const wheel of wheels) {
    pyodide.unpackArchive(new Uint8Array(fs.readFileSync(wheel)), "wheel", { extractDir: sitePackages });
  }
  pyodide.runPython(`
import compileall, os, py_compile, zipfile
site_packages = ${JSON.stringify(sitePackages)}
if not compileall.compile_dir(site_packages, quiet=1, workers=1,
                              invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH):
    raise SystemExit("a module did not compile")
with zipfile.ZipFile("/tmp/bytecode.zip", "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out:
    for root, _, files in sorted(os.walk(site_packages)):
        for name in sorted(files):
            if name.endswith(".pyc"):
                file = os.path.join(root, name)
                info = zipfile.ZipInfo(os.path.relpath(file, site_packages), (1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                with open(file, "rb") as f:
                    out.writestr(info, f.read())
`);
  fs.writeFileSync(out, pyodide.FS.readFile("/tmp/bytecode.zip"));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

#!/usr/bin/env python3
"""The native codec rows (issue 10): which encoder a desktop user would pick, at matched
SSIMULACRA2, side by side in one run on this machine.

    .venv/bin/python scripts/bench_codecs.py [IMAGE ...] [--quick] [--json PATH]

JPEG, on a centre crop of each photo, each encoder's quality swept, bytes at SSIMULACRA2 70 and
80 (bench_core's interpolation), as ratios to mozjpeg:
  - Pillow: Pillow's libjpeg-turbo with its standard tables (optimize, progressive);
  - localpix/Pillow: localpix's tables in Pillow (what the engine does without providers);
  - localpix/mozjpeg-lossless: the same, rewritten by mozjpeg-lossless-optimization (the native
    provider; same pixels);
  - jpegli: pyjpegli (Google's jpegli) at its default settings;
  - mozjpeg: @jsquash/jpeg (mozjpeg 4 with trellis, Squoosh's build, scripts/bench's peer) run
    under Node: no PyPI/Debian package ships mozjpeg's cjpeg (Debian's libjpeg-turbo-progs is
    not mozjpeg);
  - localpix automatic quality at targets 70/80 (the engine, native providers on): its bytes
    against mozjpeg's bytes at the score it reached.
AVIF: Pillow's libavif (aom, speed 6) swept the same way, against mozjpeg.
PNG (lossless): the engine without oxipng, the engine with it (the provider), and oxipng alone
(level 2) on each PNG; bytes and ms.
Encode times are ms per megapixel of the crop at the sweep's middle quality.
The image list is an argument: nothing is tuned to the default images.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
if VENV_PYTHON.exists() and Path(sys.prefix).resolve() != VENV_PYTHON.parent.parent.resolve():
    os.execv(VENV_PYTHON, [str(VENV_PYTHON), __file__, *sys.argv[1:]])
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT / "py"))

from PIL import Image  # noqa: E402

import bench_core as core  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"
RESULTS = ROOT / "bench-results"
SCORES = (70, 80)
FULL = {"q": [30, 40, 50, 60, 70, 80, 88, 94], "avif_q": [30, 45, 60, 75, 88], "crop": 1024}
QUICK = {"q": [35, 50, 65, 80, 92], "avif_q": [35, 55, 75, 90], "crop": 512}

NODE_MOZJPEG = r"""
import { readFileSync, writeFileSync } from "node:fs";
const [dir, raw, width, height, out, ...qualities] = process.argv.slice(2);
const factory = (await import(dir + "/codec/enc/mozjpeg_enc.js")).default;
const { defaultOptions } = await import(dir + "/meta.js");
const wasm = await WebAssembly.compile(readFileSync(dir + "/codec/enc/mozjpeg_enc.wasm"));
const module = await factory({ noInitialRun: true, instantiateWasm: (imports, receive) => {
  const instance = new WebAssembly.Instance(wasm, imports);
  receive(instance);
  return instance.exports;
} });
const rgba = new Uint8ClampedArray(readFileSync(raw));
for (const q of qualities) {
  const start = performance.now();
  const bytes = module.encode(rgba, +width, +height, { ...defaultOptions, quality: +q });
  const ms = performance.now() - start;
  writeFileSync(`${out}-${q}.jpg`, bytes);
  console.log(JSON.stringify({ q: +q, ms }));
}
"""


def log(*parts: object) -> None:
    print(*parts, file=sys.stderr, flush=True)


def mozjpeg_sweep(im: Image.Image, qualities: list[int], scorer: core.Scorer
                  ) -> tuple[list[core.Point], str]:
    pkg, version = core.npm_peers()["jpeg"]
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "rgba.bin"
        raw.write_bytes(im.convert("RGBA").tobytes())
        script = Path(tmp) / "enc.mjs"
        script.write_text(NODE_MOZJPEG)
        proc = subprocess.run(["node", str(script), str(pkg), str(raw), str(im.width),
                               str(im.height), str(Path(tmp) / "out"), *map(str, qualities)],
                              capture_output=True, text=True, check=True, timeout=600)
        points = []
        for line in proc.stdout.splitlines():
            row = json.loads(line)
            data = (Path(tmp) / f"out-{row['q']}.jpg").read_bytes()
            points.append(core.Point(row["q"], len(data), scorer.score(core.decode_rgb(data)),
                                     row["ms"]))
    return points, f"@jsquash/jpeg@{version}"


def sweep(encode, im: Image.Image, qualities: list[int], scorer: core.Scorer
          ) -> list[core.Point]:
    points = []
    for q in qualities:
        data, ms = core.timed(encode, im, q)
        points.append(core.Point(q, len(data), scorer.score(core.decode_rgb(data)), ms))
    return points


def jpeg_encoders() -> dict[str, object]:
    import mozjpeg_lossless_optimization as moz
    import pyjpegli

    from localpix.codecs import jpeg_tables, pillow_save

    def ours(im: Image.Image, q: int) -> bytes:
        return pillow_save(im, "JPEG", qtables=jpeg_tables.scaled("psnr-hvs", q), optimize=True,
                           progressive=True, subsampling="4:2:0")

    return {
        "Pillow": core.pillow_jpeg,
        "localpix/Pillow": ours,
        "localpix/mozjpeg-lossless": lambda im, q: moz.optimize(ours(im, q),
                                                                moz.COPY_MARKERS.ALL),
        "jpegli": lambda im, q: pyjpegli.encode(im.tobytes(), im.width, im.height, q),
    }


def avif_encode(im: Image.Image, q: int) -> bytes:
    buf = io.BytesIO()
    im.save(buf, "AVIF", quality=q, speed=6)
    return buf.getvalue()


def at_scores(points: list[core.Point]) -> dict[str, float | None]:
    return {str(s): core.bytes_at_score(points, s) for s in SCORES}


def ms_per_mp(points: list[core.Point], im: Image.Image) -> float | None:
    timed = [p.ms for p in points if p.ms is not None]
    if not timed:
        return None
    return sorted(timed)[len(timed) // 2] / (im.width * im.height / 1e6)


def bench_photo(path: Path, cfg: dict) -> dict:
    from localpix import CompressOptions, compress

    im = core.centre_crop(core.load_upright_rgb(path.read_bytes()), cfg["crop"])
    scorer = core.Scorer(im)
    row: dict = {"image": path.name, "crop": list(im.size), "curves": {}, "ms_per_mp": {}}
    curves = {name: sweep(enc, im, cfg["q"], scorer) for name, enc in jpeg_encoders().items()}
    curves["mozjpeg"], row["mozjpeg_package"] = mozjpeg_sweep(im, cfg["q"], scorer)
    curves["AVIF (libavif)"] = sweep(avif_encode, im, cfg["avif_q"], scorer)
    for name, points in curves.items():
        row["curves"][name] = at_scores(points)
        row["ms_per_mp"][name] = ms_per_mp(points, im)
    auto = {}
    bmp = core.bmp_bytes(im)
    for target in SCORES:
        for fmt in ("jpeg", "avif"):
            (out, ms) = core.timed(compress, bmp, CompressOptions(format=fmt,
                                                                  quality_target=target))
            score = scorer.score(core.decode_rgb(out.data))
            ref = core.bytes_at_score(curves["mozjpeg"], score)
            auto[f"{fmt}@{target}"] = {"bytes": out.output_size, "score": round(score, 2),
                                       "codec": out.codec, "ms": round(ms),
                                       "vs_mozjpeg": out.output_size / ref if ref else None}
    row["auto"] = auto
    return row


def bench_png(path: Path) -> dict:
    import oxipng

    from localpix import CompressOptions, compress
    from localpix.codecs import providers

    data = path.read_bytes()
    out, ms = core.timed(compress, data, CompressOptions(format="png"))
    real = providers._native_module

    def no_oxipng(name: str) -> object:
        if name == "oxipng":
            raise ImportError(name)
        return real(name)

    providers._native_module = no_oxipng  # type: ignore[assignment]
    try:
        plain, plain_ms = core.timed(compress, data, CompressOptions(format="png"))
    finally:
        providers._native_module = real
    alone, alone_ms = core.timed(oxipng.optimize_from_memory, data, level=2)
    return {"image": path.name, "engine": plain.output_size, "engine_ms": round(plain_ms),
            "engine+oxipng": out.output_size, "engine+oxipng_ms": round(ms),
            "oxipng": len(alone), "oxipng_ms": round(alone_ms),
            "ratio_vs_oxipng": out.output_size / len(alone)}


def screenshots(tmp: Path) -> list[Path]:
    shots = []
    for name in ("graphics", "ui"):
        target = tmp / f"screenshot-{name}.png"
        subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu",
                        "--hide-scrollbars", f"--screenshot={target}", "--window-size=1920,1080",
                        (ROOT / "bench" / f"{name}.html").as_uri()],
                       capture_output=True, timeout=120, check=False)
        if target.is_file():
            shots.append(target)
    return shots


def versions() -> dict[str, str | None]:
    from importlib.metadata import version

    import PIL
    from PIL import features

    from localpix.codecs import providers

    return {"Pillow": PIL.__version__, "libjpeg-turbo": features.version("jpg"),
            "libavif": features.version("avif"), "pyjpegli": version("pyjpegli"),
            **providers.installed(), "node": subprocess.run(["node", "--version"],
                                                             capture_output=True,
                                                             text=True).stdout.strip(),
            "python": platform.python_version()}


def table(results: dict) -> str:
    lines = ["JPEG/AVIF bytes at SSIMULACRA2 70 / 80, geometric mean over photos, x mozjpeg:"]
    names = list(results["photos"][0]["curves"]) if results["photos"] else []
    for name in names:
        cells = []
        for s in map(str, SCORES):
            ours = {r["image"]: r["curves"][name][s] for r in results["photos"]}
            ref = {r["image"]: r["curves"]["mozjpeg"][s] for r in results["photos"]}
            ratio = core.ratio_geomean(ours, ref)
            cells.append(f"{ratio:.3f}" if ratio else "  -  ")
        speed = core.geomean([r["ms_per_mp"][name] for r in results["photos"]
                              if r["ms_per_mp"][name]])
        lines.append(f"  {name:28s} {' / '.join(cells)}   {speed or 0:7.1f} ms/MP")
    for key in (f"{f}@{t}" for t in SCORES for f in ("jpeg", "avif")):
        ratio = core.geomean([r["auto"][key]["vs_mozjpeg"] for r in results["photos"]
                              if r["auto"][key]["vs_mozjpeg"]])
        lines.append(f"  localpix auto {key:14s} {ratio or 0:.3f} x mozjpeg at the score reached")
    if results["pngs"]:
        lines.append("PNG lossless bytes (ms): engine | engine+oxipng | oxipng alone | ratio")
        for r in results["pngs"]:
            lines.append(f"  {r['image']:26s} {r['engine']:>9} ({r['engine_ms']}) | "
                         f"{r['engine+oxipng']:>9} ({r['engine+oxipng_ms']}) | "
                         f"{r['oxipng']:>9} ({r['oxipng_ms']}) | {r['ratio_vs_oxipng']:.3f}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("images", nargs="*", type=Path)
    parser.add_argument("--quick", action="store_true", help="one photo, a coarse sweep")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    cfg = QUICK if args.quick else FULL
    with tempfile.TemporaryDirectory() as tmp:
        images = args.images or sorted((CORPUS / "large").glob("*.jpg"))[: 1 if args.quick
                                                                           else None]
        pngs = [p for p in images if p.suffix.lower() == ".png"]
        photos = [p for p in images if p not in pngs]
        if not args.images:
            pngs = screenshots(Path(tmp))
        results: dict = {"versions": versions(), "settings": cfg, "photos": [], "pngs": []}
        for path in photos:
            log(f"photo {path.name}")
            results["photos"].append(bench_photo(path, cfg))
        for path in pngs:
            log(f"png {path.name}")
            results["pngs"].append(bench_png(path))
    text = table(results)
    print(text)
    results["table"] = text
    target = args.json or RESULTS / f"codecs-{time.strftime('%Y%m%d-%H%M%S')}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(results, indent=1))
    log(f"wrote {target}")


if __name__ == "__main__":
    main()

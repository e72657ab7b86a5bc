"""The mozjpeg the page ships (dist/codecs/mozjpeg-wasm, compiled by scripts/wasm_build.py), run
under Node exactly as built: it writes the tables it is given, its trellis quantisation takes
fewer bytes than Pillow's libjpeg with the same tables, grey stays grey, and what it refuses is an
error the engine can report (never an abort of the module)."""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageOps
from tests.conftest import CORPUS

from localpix.codecs import jpeg, jpeg_tables
from localpix.quality import auto, perceptual

ROOT = Path(__file__).resolve().parent.parent
CODEC = ROOT / "dist" / "codecs" / "mozjpeg-wasm"

# Runs each job of a JSON list with the built module: {pixels: file, width, height, options}
# encodes, writing file + ".jpg"; {jpeg: file, options} decodes and resizes, writing file + ".raw"
# (and ".channels"); {reference: file, width, height, weights, candidates: [file]} scores,
# writing file + ".json" (whether the reference fit, the scores). Or file + ".error" with the
# message of what it threw.
DRIVER = r"""
const { readFileSync, writeFileSync } = require("node:fs");
const [dir, build, jobsFile] = process.argv.slice(2);
require(`${dir}/${build}.js`);
globalThis.localpixWasmFactories["mozjpeg-wasm"]({
  wasmBinary: readFileSync(`${dir}/${build}.wasm`),
}).then((codec) => {
  for (const job of JSON.parse(readFileSync(jobsFile, "utf8"))) {
    const file = job.pixels || job.jpeg || job.reference;
    try {
      if (job.reference) {
        const fits = codec.scoreReference(new Uint8Array(readFileSync(job.reference)), job.width,
                                          job.height, job.weights);
        const scores = job.candidates.map((c) => codec.score(new Uint8Array(readFileSync(c))));
        writeFileSync(file + ".json", JSON.stringify({ fits, scores }));
      } else if (job.jpeg) {
        const out = codec.decodeResized(new Uint8Array(readFileSync(job.jpeg)), job.options);
        writeFileSync(file + ".raw", out.pixels);
        writeFileSync(file + ".channels", String(out.channels));
      } else {
        writeFileSync(file + ".jpg", codec.encode(new Uint8Array(readFileSync(job.pixels)),
                                                  job.width, job.height, job.options));
      }
    } catch (error) {
      writeFileSync(file + ".error", String(error.message));
    }
  }
});
"""

pytestmark = pytest.mark.skipif(not (CODEC / "mozjpeg.wasm").is_file(),
                                reason="dist/ has no mozjpeg-wasm (scripts/build)")

BUILDS = ("mozjpeg", "mozjpeg_simd")  # both ship; the worker picks the SIMD one where it validates


@pytest.fixture(params=BUILDS)
def build(request: pytest.FixtureRequest) -> str:
    return request.param


def drive(tmp_path: Path, jobs: list[dict], build: str) -> None:
    """DRIVER runs `jobs` with the build `build`; each leaves its output files."""
    (tmp_path / "jobs.json").write_text(json.dumps(jobs))
    (tmp_path / "driver.cjs").write_text(DRIVER)
    subprocess.run(["node", str(tmp_path / "driver.cjs"), str(CODEC), build,
                    str(tmp_path / "jobs.json")], check=True, timeout=300)


def run(tmp_path: Path, jobs: list[tuple[Image.Image | bytes, int, int, dict]],
        build: str = "mozjpeg") -> list[bytes | str]:
    """Each (pixels, width, height, options) encoded by the wasm build `build`: JPEG bytes or
    the error."""
    tmp_path.mkdir(exist_ok=True)
    listed = []
    for n, (pixels, width, height, options) in enumerate(jobs):
        path = tmp_path / f"job{n}"
        path.write_bytes(pixels.tobytes() if isinstance(pixels, Image.Image) else pixels)
        listed.append({"pixels": str(path), "width": width, "height": height,
                       "options": options})
    drive(tmp_path, listed, build)
    out: list[bytes | str] = []
    for job in listed:
        jpg, error = Path(job["pixels"] + ".jpg"), Path(job["pixels"] + ".error")
        out.append(jpg.read_bytes() if jpg.exists() else error.read_text())
    return out


def settings(image: Image.Image, tables: str, quality: int, **extra: object) -> dict:
    return {"tables": jpeg.wasm_tables(tables, quality, grey=image.mode == "L"),
            "subsampling": 4, "trellis": True, "scan_search": False, **extra}


@pytest.fixture(scope="module")
def photo() -> Image.Image:
    with Image.open(CORPUS / "large" / "jolla.jpg") as im:
        upright = ImageOps.exif_transpose(im).convert("RGB")
    return upright.crop((0, 0, 768, 512))


def pillow(image: Image.Image, tables: str, quality: int) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "JPEG", qtables=jpeg_tables.scaled(tables, quality), optimize=True,
               progressive=True, subsampling="4:2:0")
    return buf.getvalue()


def test_it_writes_localpixs_tables_and_trellis_saves_bytes(photo, tmp_path, build) -> None:
    jobs = [(photo, *photo.size, settings(photo, name, 75)) for name in jpeg.AUTO_TABLES]
    jobs.append((photo, *photo.size, settings(photo, "psnr-hvs", 75, trellis=False)))
    jobs.append((photo, *photo.size, settings(photo, "psnr-hvs", 75, scan_search=True)))
    hvs, steep, no_trellis, searched = run(tmp_path, jobs, build)
    for data, name in ((hvs, "psnr-hvs"), (steep, "psnr-hvs-steep")):
        assert isinstance(data, bytes)
        with Image.open(io.BytesIO(data)) as im:
            im.load()
            assert (im.format, im.mode, im.size) == ("JPEG", "RGB", photo.size)
            assert im.layers == 3 and im.layer[0][1:3] == (2, 2)  # 4:2:0
            assert [list(im.quantization[i]) for i in (0, 1)] == jpeg_tables.scaled(name, 75)
    assert isinstance(no_trellis, bytes) and isinstance(searched, bytes)
    # Same tables as Pillow: what trellis quantisation saves is mozjpeg's own.
    assert len(hvs) < 0.95 * len(pillow(photo, "psnr-hvs", 75))
    assert len(hvs) < 0.95 * len(no_trellis)
    assert len(searched) <= len(hvs)  # the scan search only ever picks a smaller layout


def test_grey_stays_grey_and_subsampling_is_honoured(photo, tmp_path, build) -> None:
    grey = photo.convert("L")
    full = settings(photo, "psnr-hvs", 80, subsampling=1)
    half = settings(photo, "psnr-hvs", 80, subsampling=2)
    grey_out, full_out, half_out = run(tmp_path, [
        (grey, *grey.size, settings(grey, "psnr-hvs", 80)),
        (photo, *photo.size, full),
        (photo, *photo.size, half),
    ], build)
    with Image.open(io.BytesIO(grey_out)) as im:
        assert im.mode == "L" and list(im.quantization[0]) == jpeg_tables.scaled("psnr-hvs", 80,
                                                                                  grey=True)[0]
    with Image.open(io.BytesIO(full_out)) as im:
        assert im.layer[0][1:3] == (1, 1)
    with Image.open(io.BytesIO(half_out)) as im:
        assert im.layer[0][1:3] == (2, 1)


def test_what_it_refuses_is_an_error_not_an_abort(photo, tmp_path, build) -> None:
    ok = settings(photo, "psnr-hvs", 80)
    wrong_size, wrong_tables, too_wide, after = run(tmp_path, [
        (photo, photo.width, photo.height - 1, ok),
        (photo, *photo.size, {**ok, "tables": ok["tables"][:64]}),
        (bytes(3 * 70_000), 70_000, 1, ok),  # refused inside libjpeg: its error_exit
        (photo, *photo.size, ok),  # the module still works after those
    ], build)
    assert wrong_size == f"mozjpeg: {photo.width * photo.height * 3} bytes is not " \
                         f"{photo.width} x {photo.height - 1} pixels"
    assert wrong_tables == "mozjpeg: 64 table entries for 3 channels"
    assert too_wide == "mozjpeg: Maximum supported image dimension is 65500 pixels"
    assert isinstance(after, bytes) and after.startswith(b"\xff\xd8")


def test_the_simd_build_writes_the_same_bytes(photo, tmp_path) -> None:
    # clang vectorises only what keeps the results exact (no fast-math): same file, sooner.
    jobs = [(photo, *photo.size, settings(photo, "psnr-hvs-steep", q)) for q in (50, 90)]
    jobs.append((photo.convert("L"), *photo.size, settings(photo.convert("L"), "klein", 70)))
    plain = run(tmp_path / "plain", jobs)
    assert all(isinstance(out, bytes) for out in plain)
    assert run(tmp_path / "simd", jobs, "mozjpeg_simd") == plain


def decode_resized(tmp_path: Path, jobs: list[tuple[bytes, dict]], build: str
                   ) -> list[Image.Image | str]:
    """Each (jpeg, options) through the build's decodeResized: the image, or the error."""
    tmp_path.mkdir(exist_ok=True)
    listed = []
    for n, (data, options) in enumerate(jobs):
        path = tmp_path / f"jpeg{n}"
        path.write_bytes(data)
        listed.append({"jpeg": str(path), "options": options})
    drive(tmp_path, listed, build)
    out: list[Image.Image | str] = []
    for job in listed:
        raw, error = Path(job["jpeg"] + ".raw"), Path(job["jpeg"] + ".error")
        if not raw.exists():
            out.append(error.read_text())
            continue
        size = (job["options"]["width"], job["options"]["height"])
        if Path(job["jpeg"] + ".channels").read_text() == "4":
            out.append(Image.frombytes("RGB", size, raw.read_bytes(), "raw", "RGBX"))
        else:
            out.append(Image.frombytes("L", size, raw.read_bytes()))
    return out


def as_pillow_resizes(data: bytes, size: tuple[int, int]) -> tuple[dict, Image.Image]:
    """What the engine asks decodeResized for `size` (draft()'s scale, the size it decodes to),
    and what native Pillow gives for it: its libjpeg-turbo, then LANCZOS."""
    with Image.open(io.BytesIO(data)) as im:
        full = im.size
        im.draft(im.mode, (2 * size[0], 2 * size[1]))
        options = {"scale": full[0] // im.size[0], "in_width": im.width, "in_height": im.height,
                   "width": size[0], "height": size[1]}
        return options, im.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def jpeg_of(image: Image.Image, **save: object) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "JPEG", **save)
    return buf.getvalue()


def test_it_decodes_and_resizes_as_native_pillow_does(tmp_path, build) -> None:
    with Image.open(CORPUS / "large" / "jolla.jpg") as im:
        camera = (CORPUS / "large" / "jolla.jpg").read_bytes()
        grey = jpeg_of(im.convert("L").crop((0, 0, 1500, 1000)), quality=85)
        progressive = jpeg_of(im.crop((0, 0, 1600, 1200)), quality=90, progressive=True,
                              subsampling="4:4:4")
    cases = [(camera, (2048, 1536)),  # the typical job: no DCT scaling
             (camera, (600, 450)),  # decoded at 1/2 first
             (grey, (512, 341)), (progressive, (1600, 300)), (progressive, (1600, 1200))]
    asked = [as_pillow_resizes(data, size) for data, size in cases]
    got = decode_resized(tmp_path, [(data, options) for (data, _), (options, _) in
                                    zip(cases, asked, strict=True)], build)
    assert asked[1][0]["scale"] == 2
    for image, (_, expected) in zip(got, asked, strict=True):
        assert isinstance(image, Image.Image), image
        assert image.mode == expected.mode and image.tobytes() == expected.tobytes()


def test_what_it_does_not_decode_is_an_error_not_an_abort(tmp_path, build) -> None:
    with Image.open(CORPUS / "large" / "jolla.jpg") as im:
        photo = jpeg_of(im.crop((0, 0, 800, 600)), quality=80)
        cmyk = jpeg_of(im.crop((0, 0, 400, 300)).convert("CMYK"))
    options, expected = as_pillow_resizes(photo, (400, 300))
    truncated, four, wrong, after = decode_resized(tmp_path, [
        (photo[: len(photo) // 2], options),  # libjpeg only warns: corrupt data all the same
        (cmyk, {**options, "in_width": 400, "in_height": 300, "width": 200, "height": 150}),
        (photo, {**options, "in_width": 801}),
        (photo, options),  # the module still works after those
    ], build)
    assert truncated == "mozjpeg: Premature end of JPEG file"
    assert four == "mozjpeg: 4 components (colour space 4) are not decoded here"
    assert wrong == "mozjpeg: decodes to 800 x 600, not 801 x 600"
    assert isinstance(after, Image.Image) and after.tobytes() == expected.tobytes()


def scores(tmp_path: Path, reference: Image.Image, candidates: list[Image.Image], build: str
           ) -> dict | str:
    """The build's SSIMULACRA2 of each candidate against `reference` (score.c)."""
    tmp_path.mkdir(exist_ok=True)
    (tmp_path / "reference").write_bytes(reference.tobytes())
    for n, candidate in enumerate(candidates):
        (tmp_path / f"candidate{n}").write_bytes(candidate.tobytes())
    job = {"reference": str(tmp_path / "reference"), "width": reference.width,
           "height": reference.height, "weights": [float(w) for w in perceptual._WEIGHTS],
           "candidates": [str(tmp_path / f"candidate{n}") for n in range(len(candidates))]}
    drive(tmp_path, [job], build)
    done = tmp_path / "reference.json"
    return json.loads(done.read_text()) if done.exists() else \
        (tmp_path / "reference.error").read_text()


def jpeg_round_trip(image: Image.Image, quality: int) -> Image.Image:
    with Image.open(io.BytesIO(jpeg_of(image, quality=quality))) as im:
        return im.convert("RGB")


@pytest.mark.parametrize("size", [(384, 384), (101, 77), (12, 35), (9, 8), (5, 7)])
def test_its_ssimulacra2_is_the_engines(tmp_path, build, size) -> None:
    # The search's mosaic of a camera photo, and images too small for all six scales.
    with Image.open(CORPUS / "large" / "HMD_Nokia_8.3_5G.jpg") as im:
        sample = auto.mosaic(im.convert("RGB")).crop((0, 0, *size))
    candidates = [jpeg_round_trip(sample, q) for q in (15, 40, 70, 90)] + [sample]
    got = scores(tmp_path, sample, candidates, build)
    assert isinstance(got, dict) and got["fits"], got
    reference = perceptual.Reference(sample)
    expected = [reference.score(c) for c in candidates]
    assert got["scores"][-1] == 100.0  # the reference itself
    # float32 throughout, as numpy; native numpy's BLAS mixes the colours with fused
    # multiply-adds, which round otherwise: on small crops of flat sky that moves a score by
    # up to ~0.1, on a whole mosaic by < 0.01.
    tolerance = 0.01 if size == (384, 384) else 0.2
    assert max(abs(a - b) for a, b in zip(got["scores"], expected, strict=True)) < tolerance


def test_a_candidate_of_another_size_is_an_error(tmp_path, build) -> None:
    sample = Image.new("RGB", (64, 48), (120, 30, 200))
    got = scores(tmp_path, sample, [sample.crop((0, 0, 64, 47))], build)
    assert got == "mozjpeg: 9024 bytes is not the reference's 64 x 48 RGB pixels"

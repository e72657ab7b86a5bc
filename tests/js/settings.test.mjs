import assert from "node:assert/strict";
import { test } from "node:test";
import { load } from "./load.mjs";

function storage() {
  const items = new Map();
  return {
    getItem: (k) => (items.has(k) ? items.get(k) : null),
    setItem: (k, v) => items.set(k, String(v)),
    removeItem: (k) => items.delete(k),
  };
}

const lp = load(["settings.js"], { localStorage: storage() });
const { settings, facts } = lp;
// Values made in the scripts' own context have its prototypes: compare them as plain data.
const plain = (value) => JSON.parse(JSON.stringify(value));

test("the defaults are the engine's: automatic quality at its default target, its keep choices", () => {
  assert.equal(settings.DEFAULTS.sizeMode, "auto");
  assert.equal(settings.DEFAULTS.qualityTarget, facts.default_quality_target);
  assert.equal(settings.DEFAULTS.quality, facts.options.quality.default);
  assert.deepEqual(plain(Object.keys(settings.DEFAULTS.keep)), plain(facts.keep.map((k) => k.name)));
  for (const k of facts.keep) assert.equal(settings.DEFAULTS.keep[k.name], k.default);
  assert.deepEqual(plain(settings.toRequest(settings.DEFAULTS)),
    { mode: "compress", options: { keep: plain(settings.DEFAULTS.keep), quality_target: facts.default_quality_target } });
});

test("saved settings survive a round trip through storage", () => {
  const chosen = settings.normalize({
    mode: "compress", format: "webp", sizeMode: "target", targetKB: 200, maxWidth: 2048,
    keep: { orientation: false, color_profile: true, copyright: true, date_taken: false },
  });
  settings.save(chosen);
  const back = settings.load();
  assert.deepEqual(plain(back), plain(chosen));
  assert.deepEqual(plain(settings.toRequest(back)), {
    mode: "compress",
    options: { keep: plain(chosen.keep), format: "webp", target_size: 200 * facts.units.KB, max_width: 2048 },
  });
  assert.match(settings.describe(back), /WebP, at most 200 KB, fit in 2048 × any px/);
});

test("unknown or out-of-range values fall back to the defaults", () => {
  const s = settings.normalize({ format: "heic", quality: 101, sizeMode: "fast", qualityTarget: 75,
                                 targetKB: -5, maxWidth: "wide", keep: { gps: true, orientation: "yes" } });
  assert.equal(s.format, "keep");
  assert.equal(s.quality, settings.DEFAULTS.quality);
  assert.equal(s.sizeMode, "auto");
  assert.equal(s.qualityTarget, settings.DEFAULTS.qualityTarget);
  assert.equal(s.targetKB, settings.DEFAULTS.targetKB);
  assert.equal(s.maxWidth, "");
  assert.deepEqual(plain(s.keep), plain(settings.DEFAULTS.keep));
  for (const format of facts.output_formats) assert.equal(settings.normalize({ format }).format, format);
});

test("strip only asks for a lossless clean with the keep choices and nothing else", () => {
  const s = settings.normalize({ mode: "clean", format: "png", quality: 10 });
  assert.deepEqual(plain(settings.toRequest(s)), { mode: "clean", options: { keep: plain(settings.DEFAULTS.keep) } });
});

// The report's wording, on real engine responses (the native bridge over corpus files).
import assert from "node:assert/strict";
import { test } from "node:test";
import { load, python } from "./load.mjs";

const lp = load(["report.js"]);

const responses = JSON.parse(python(`
import json
from localpix.adapters.bridge import process
out = {}
for name, path, mode, keep in (
    ("gps", "../shared/corpus/gps/DSCN0010.jpg", "clean", None),
    ("meta", "../shared/corpus/formats/meta.jpg", "clean", None),
    ("meta_keep_date", "../shared/corpus/formats/meta.jpg", "clean", ["date_taken", "orientation"]),
    ("plain", "../shared/corpus/orientation/Landscape_0.jpg", "clean", None),
):
    request = {"mode": mode, "options": {} if keep is None else {"keep": keep}}
    _, response = process(open(path, "rb").read(), json.dumps(request))
    out[name] = json.loads(response)
print(json.dumps(out))
`).toString());

test("a GPS position is recognised by its key, whatever the label says", () => {
  assert.equal(lp.report.gps(responses.gps), "removed");
  assert.equal(lp.report.gps(responses.plain), "none");
  const position = responses.gps.before.findings.find((f) => lp.report.isGpsPosition(f));
  assert.equal(position.key, lp.facts.finding_keys.gps_position);
  assert.ok(!lp.report.isGpsPosition({ ...position, key: "" }), "the label alone must not decide");
});

test("the finding line names the location and what happened to it", () => {
  const position = responses.gps.before.findings.find((f) => lp.report.isGpsPosition(f));
  assert.match(lp.report.line(position, true), /^Location \(GPS position\): \d+\.\d{4}° [NS], \d+\.\d{4}° [EW] — removed$/);
});

test("the batch summary counts photos with a GPS position and says they were cleaned", () => {
  const lines = lp.report.batchSummary([responses.gps, responses.meta, responses.plain]);
  assert.equal(lines[0].text, "2 of 3 photos carried a GPS location; all removed.");
  const single = lp.report.batchSummary([responses.plain]);
  assert.equal(single[0].text, "The photo carried no GPS location.");
});

test("what the keep settings kept is said to be kept", () => {
  const lines = lp.report.batchSummary([responses.meta_keep_date]).map((l) => l.text);
  assert.ok(lines.includes("The photo carried dates and times; kept, as your settings ask."),
            lines.join("\n"));
  assert.match(lp.report.rowSummary(responses.meta_keep_date), /kept by your settings/);
  assert.doesNotMatch(lp.report.rowSummary(responses.meta), /kept by your settings/);
});

test("every category the engine reports has words on the page", () => {
  const phrases = lp.report.batchSummary(lp.facts.categories.map((category) => ({
    ok: true, before: { findings: [{ category, label: "x", value: "", why: "", private: true, key: "" }] },
    removed: [],
  })));
  for (const line of phrases) assert.doesNotMatch(line.text, /carried (location|device|time|thumbnail|xmp|iptc|comment|text|trailer|other|copyright|color_profile|orientation);/);
});

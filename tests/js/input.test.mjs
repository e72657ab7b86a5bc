import assert from "node:assert/strict";
import { test } from "node:test";
import { load } from "./load.mjs";

const lp = load(["input.js"]);

test("inside folders, exactly the registry's extensions are taken; loose files always", () => {
  for (const ext of lp.facts.extensions) {
    assert.ok(lp.input.wanted(`photo${ext}`, true), ext);
    assert.ok(lp.input.wanted(`photo${ext.toUpperCase()}`, true), ext.toUpperCase());
  }
  for (const name of ["notes.txt", "movie.mov", "jpg", "archive.jpg.zip"]) {
    assert.ok(!lp.input.wanted(name, true), name);
    assert.ok(lp.input.wanted(name, false), `${name} picked by hand goes to the engine`);
  }
  assert.ok(!lp.input.wanted(".hidden.jpg", false) && !lp.input.wanted("Thumbs.db", false));
});

test("pasted images get distinct names with the registry's extension for their type", () => {
  const first = lp.input.pastedName({ name: "image.png", type: "image/png" });
  const second = lp.input.pastedName({ name: "image.png", type: "image/jpeg" });
  assert.match(first, /^pasted-image-\d+\.png$/);
  assert.match(second, /^pasted-image-\d+\.jpg$/);
  assert.notEqual(first, second);
  assert.equal(lp.input.pastedName({ name: "holiday.webp", type: "image/webp" }), "holiday.webp");
});

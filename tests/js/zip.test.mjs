import assert from "node:assert/strict";
import { test } from "node:test";
import { load, python } from "./load.mjs";

const lp = load(["zip.js"]);

function crc32(bytes) {
  let crc = ~0;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return ~crc >>> 0;
}

test("the archive opens in Python's zipfile with every name, byte and CRC right", async () => {
  const files = [
    ["photos/a.jpg", new Uint8Array([1, 2, 3, 255])],
    ["photos/A.JPG", new Uint8Array(1000).map((_, i) => i * 7)],
    ["ünïcode 名前.png", new TextEncoder().encode("not really a png")],
    ["empty.bin", new Uint8Array(0)],
  ];
  const names = lp.zip.uniqueNames(files.map(([name]) => name));
  const entries = files.map(([, data], i) => ({ name: names[i], data, crc32: crc32(data), size: data.length }));
  const blob = lp.zip.build(entries, new Date(2024, 4, 17, 13, 45, 10));
  const bytes = Buffer.from(await blob.arrayBuffer());
  const listing = JSON.parse(python(`
import io, json, sys, zipfile
z = zipfile.ZipFile(io.BytesIO(sys.stdin.buffer.read()))
assert z.testzip() is None  # every CRC-32 checks out
print(json.dumps([[i.filename, list(z.read(i)), i.date_time, i.flag_bits & 0x800] for i in z.infolist()]))
`, bytes).toString());
  assert.deepEqual(listing.map(([name]) => name), names);
  listing.forEach(([, data, when, utf8], i) => {
    assert.deepEqual(data, Array.from(files[i][1]));
    assert.deepEqual(when, [2024, 5, 17, 13, 45, 10]);
    assert.equal(utf8, 0x800);
  });
});

test("names are made unique case-insensitively, keeping the extension", () => {
  assert.deepEqual(lp.zip.uniqueNames(["a.jpg", "A.jpg", "a.jpg", "b/a.jpg", "noext", "noext"]),
    ["a.jpg", "A (2).jpg", "a (3).jpg", "b/a.jpg", "noext", "noext (2)"]);
});

test("paths cannot climb out of the archive or carry control characters", () => {
  assert.equal(lp.zip.safePath("../../etc/passwd"), "etc/passwd");
  assert.equal(lp.zip.safePath("C:\\Users\\me\\x.jpg"), "C:/Users/me/x.jpg");
  assert.equal(lp.zip.safePath("a/\u0000b\u001f.jpg"), "a/b.jpg");
  assert.equal(lp.zip.safePath("/./"), "image");
});

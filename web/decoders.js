// Decoding, in the worker, what Pyodide's Pillow cannot or must not, with the browser's own
// decoder (nothing is fetched): AVIF, which it lacks, and WebP, whose libwebp 1.2.2 has a heap
// overflow on crafted files (CVE-2023-4863), so Pillow keeps libwebp for encoding only (the
// engine refuses to decode WebP itself: pixels/decode.py). Animated WebP is left to the engine,
// which then says to use "strip only". HEIC (libheif-js) and JPEG XL (@jsquash/jxl) are not
// shipped yet, and for those the engine says to use "strip only" too. The pixels go to the engine after the file's bytes (see `decoded` in
// py/localpix/bridge.py): JS objects read from Python break in an interpreter that has just made
// its memory snapshot, call arguments do not.
"use strict";

self.localpixDecoders = (() => {
  const AVIF_BRANDS = new Set(["avif", "avis", "avio", "MA1A", "MA1B"]);

  function isAvif(bytes) {
    if (bytes.length < 16) return false;
    const text = (start, end) => String.fromCharCode(...bytes.subarray(start, end));
    if (text(4, 8) !== "ftyp") return false;
    const size = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0);
    const brands = [text(8, 12)];
    for (let pos = 16; pos + 4 <= Math.min(size, 64, bytes.length); pos += 4) brands.push(text(pos, pos + 4));
    return brands.some((brand) => AVIF_BRANDS.has(brand));
  }

  /** "WEBP" for a still WebP (an animation's frames are not what createImageBitmap gives). */
  function isStillWebp(bytes) {
    if (bytes.length < 21) return false;
    const text = (start, end) => String.fromCharCode(...bytes.subarray(start, end));
    if (text(0, 4) !== "RIFF" || text(8, 12) !== "WEBP") return false;
    return !(text(12, 16) === "VP8X" && (bytes[20] & 0x02)); // the VP8X animation flag
  }

  function sniff(bytes) {
    if (isAvif(bytes)) return { format: "AVIF", mime: "image/avif" };
    if (isStillWebp(bytes)) return { format: "WEBP", mime: "image/webp" };
    return null;
  }

  /** {format, width, height, rgba} for a file to compress that the engine cannot decode, or null
   *  (the engine then decodes it itself, or says why it cannot). containerIsFine(): whether the
   *  engine read the file's container without error, pixel limit included. */
  async function prepare(bytes, request, containerIsFine) {
    const kind = sniff(bytes);
    if ((request.mode || "compress") !== "compress" || !kind) return null;
    if (typeof createImageBitmap === "undefined" || typeof OffscreenCanvas === "undefined") return null;
    if (!containerIsFine()) return null; // damaged or too large: the engine says so in words
    let bitmap;
    try {
      // The browser applies an AVIF's rotation and mirroring (irot/imir; Chromium ignores a
      // WebP's EXIF orientation: the engine applies it) and converts to sRGB.
      bitmap = await createImageBitmap(new Blob([bytes], { type: kind.mime }),
                                       { premultiplyAlpha: "none" });
    } catch {
      return null;
    }
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const context = canvas.getContext("2d");
    context.drawImage(bitmap, 0, 0);
    bitmap.close();
    const rgba = new Uint8Array(context.getImageData(0, 0, canvas.width, canvas.height).data.buffer);
    return { format: kind.format, width: canvas.width, height: canvas.height, rgba };
  }

  return { prepare };
})();

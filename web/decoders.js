// Decoding, in the worker, what Pyodide's Pillow cannot, so that "compress" works for it in the
// page. The engine decides which files need it: its answer to a compress request says
// `decode: "HEIF" | "AVIF" | "JXL" | "WEBP"` when nothing in Python decodes the format (or must
// not: Pyodide's libwebp 1.2.2 has CVE-2023-4863, pixels/decode.py), and the worker then sends
// the same request again with the pixels decoded here after the file's bytes (see `decoded` in
// py/localpix/adapters/bridge.py). AVIF and still WebP: the browser's own decoder (nothing is
// fetched; Chromium ignores a WebP's EXIF orientation, which the engine then applies). HEIC: libheif (npm libheif-js) and JPEG XL: libjxl (npm @jsquash/jxl), from
// dist/decoders/ on this site, fetched the first time such a file is compressed and kept for the
// worker's life. Both return sRGB RGBA; libheif and the browser apply irot/imir, libjxl leaves
// the EXIF orientation to the engine, as natively.
"use strict";

self.localpixDecoders = (() => {
  const FOLDER = new URL("decoders/", BASE);
  const loading = new Map(); // format -> Promise<(bytes) => Promise<{width, height, rgba}>>

  const bytesOf = (pixels) => new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength);

  async function wasmBinary(name) {
    const response = await fetch(new URL(name, FOLDER));
    if (!response.ok) throw new Error(`${name}: HTTP ${response.status}`);
    return new Uint8Array(await response.arrayBuffer());
  }

  async function browserDecoder(mime) {
    if (typeof createImageBitmap === "undefined" || typeof OffscreenCanvas === "undefined") {
      throw new Error("this browser has no image decoder in workers");
    }
    return async (bytes) => {
      // The browser applies the file's rotation and mirroring (irot/imir) and converts to sRGB.
      const bitmap = await createImageBitmap(new Blob([bytes], { type: mime }),
                                             { premultiplyAlpha: "none" });
      const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
      const context = canvas.getContext("2d");
      context.drawImage(bitmap, 0, 0);
      bitmap.close();
      const data = context.getImageData(0, 0, canvas.width, canvas.height).data;
      return { width: canvas.width, height: canvas.height, rgba: bytesOf(data) };
    };
  }

  async function heifDecoder() {
    importScripts(SCRIPTS.createScriptURL("decoders/libheif.js")); // self.libheif (Emscripten)
    const lib = await self.libheif({ wasmBinary: await wasmBinary("libheif.wasm") });
    return async (bytes) => {
      const decoder = new lib.HeifDecoder();
      const images = decoder.decode(bytes);
      try {
        const image = images.find((i) => i.is_primary()) || images[0];
        if (!image) throw new Error("libheif found no image in it");
        const width = image.get_width();
        const height = image.get_height();
        const target = { data: new Uint8ClampedArray(width * height * 4), width, height };
        const shown = await new Promise((resolve) => image.display(target, resolve));
        if (!shown) throw new Error("libheif could not decode its pixels");
        return { width, height, rgba: bytesOf(shown.data) };
      } finally {
        for (const image of images) image.free();
        if (decoder.decoder) lib.heif_context_free(decoder.decoder);
      }
    };
  }

  async function jxlDecoder() {
    importScripts(SCRIPTS.createScriptURL("decoders/jxl_dec.js")); // self.localpixJxlDecoder
    const module = await self.localpixJxlDecoder({
      noInitialRun: true, wasmBinary: await wasmBinary("jxl_dec.wasm"),
    });
    return async (bytes) => {
      const image = module.decode(bytes);
      if (!image) throw new Error("libjxl could not decode it");
      return { width: image.width, height: image.height, rgba: bytesOf(image.data) };
    };
  }

  const DECODERS = {
    AVIF: () => browserDecoder("image/avif"),
    WEBP: () => browserDecoder("image/webp"),
    HEIF: heifDecoder,
    JXL: jxlDecoder,
  };

  /** {format, width, height, rgba} of `bytes`, a file the engine asked pixels for, or
   *  {error} in words when it cannot be decoded here. */
  async function decode(format, bytes) {
    if (!(format in DECODERS)) return { error: "this page has no decoder for it" };
    if (!loading.has(format)) loading.set(format, DECODERS[format]());
    let decodeFile;
    try {
      decodeFile = await loading.get(format);
    } catch (error) {
      loading.delete(format); // a failed load may work next time (e.g. back online)
      return { error: `its decoder could not be loaded (${error && error.message || error})` };
    }
    try {
      return { format, ...(await decodeFile(bytes)) };
    } catch (error) {
      return { error: `it could not be decoded (${error && error.message || error})` };
    }
  }

  /** Whether `url` is one of these decoders' files (the network meter shows them apart). */
  function isDecoderFile(url) {
    return url.startsWith(FOLDER.href);
  }

  return { decode, isDecoderFile };
})();

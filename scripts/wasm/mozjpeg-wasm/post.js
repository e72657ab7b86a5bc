// Appended inside the Emscripten module (--post-js): the interface web/worker.js gives every
// codec, encode(pixels, width, height, options) -> Uint8Array, over encode.c's C functions.
// pixels: grey or RGB rows; options: {tables (128 numbers: luma, chroma; 64 for grey),
// subsampling (1 | 2 | 4), trellis, scan_search}. Throws on what mozjpeg refuses.
Module["encode"] = (pixels, width, height, options) => {
  const channels = pixels.length / (width * height);
  if (channels !== 1 && channels !== 3) throw new Error(`mozjpeg: ${pixels.length} bytes is not ${width} x ${height} pixels`);
  if (options.tables.length !== 64 * Math.min(channels, 2)) throw new Error(`mozjpeg: ${options.tables.length} table entries for ${channels} channels`);
  const input = Module["_malloc"](pixels.length);
  const tables = Module["_malloc"](options.tables.length * 4);
  try {
    Module["HEAPU8"].set(pixels, input);
    Module["HEAPU32"].set(options.tables, tables >> 2);
    const flags = (options.trellis ? 1 : 0) | (options.scan_search ? 2 : 0);
    if (!Module["_encode"](input, width, height, channels, tables, options.subsampling, flags)) {
      throw new Error(`mozjpeg: ${Module["UTF8ToString"](Module["_encode_message"]())}`);
    }
    const start = Module["_encode_result"]();
    return Module["HEAPU8"].slice(start, start + Module["_encode_result_length"]());
  } finally {
    Module["_free"](input);
    Module["_free"](tables);
    Module["_encode_free"]();
  }
};

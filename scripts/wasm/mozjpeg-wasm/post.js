// Appended inside the Emscripten module (--post-js): the JS interface over the C functions.
// encode(pixels, width, height, options) -> Uint8Array, which web/worker.js gives every codec
// (encode.c): pixels: grey or RGB rows; options: {tables (128 numbers: luma, chroma; 64 for
// grey), subsampling (1 | 2 | 4), trellis, scan_search}. Throws on what mozjpeg refuses.
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
// decodeResized(jpeg, {scale, in_width, in_height, width, height}) -> {pixels, channels}: the
// JPEG decoded at 1/scale (in_width x in_height) and resampled to width x height as Pillow's
// LANCZOS does (resize.c): grey (1 channel) or RGBX (4) rows. Throws on what it does not decode,
// including corrupt data libjpeg only warns about.
Module["decodeResized"] = (jpeg, options) => {
  const input = Module["_malloc"](jpeg.length);
  try {
    Module["HEAPU8"].set(jpeg, input);
    if (!Module["_decode_resized"](input, jpeg.length, options.scale, options.in_width,
                                   options.in_height, options.width, options.height)) {
      throw new Error(`mozjpeg: ${Module["UTF8ToString"](Module["_decoded_message"]())}`);
    }
    const channels = Module["_decoded_channels"]();
    const start = Module["_decoded_pixels"]();
    const length = options.width * options.height * channels;
    return { pixels: Module["HEAPU8"].slice(start, start + length), channels };
  } finally {
    Module["_free"](input);
    Module["_decoded_free"]();
  }
};
// scoreReference(rgb, width, height, weights) -> whether it fit in memory; then score(rgb) ->
// SSIMULACRA2 of same-sized RGB rows against it (score.c; weights: perceptual.py's table).
let scoring = null; // the reference's [width, height], once scoreReference has made one
Module["scoreReference"] = (rgb, width, height, weights) => {
  if (rgb.length !== width * height * 3) throw new Error(`mozjpeg: ${rgb.length} bytes is not ${width} x ${height} RGB pixels`);
  const pixels = Module["_malloc"](rgb.length);
  const table = Module["_malloc"](weights.length * 8);
  try {
    Module["HEAPU8"].set(rgb, pixels);
    Module["HEAPF64"].set(weights, table >> 3);
    const fits = Module["_score_reference"](pixels, width, height, table) === 1;
    scoring = fits ? [width, height] : null;
    return fits;
  } finally {
    Module["_free"](pixels);
    Module["_free"](table);
  }
};
Module["score"] = (rgb) => {
  if (!scoring) throw new Error("mozjpeg: no reference to score against");
  // (no destructuring: Emscripten 3.1.6's JS optimiser drops it)
  const width = scoring[0];
  const height = scoring[1];
  if (rgb.length !== width * height * 3) throw new Error(`mozjpeg: ${rgb.length} bytes is not the reference's ${width} x ${height} RGB pixels`);
  const pixels = Module["_malloc"](rgb.length);
  try {
    Module["HEAPU8"].set(rgb, pixels);
    const score = Module["_score"](pixels);
    if (score <= -1000) throw new Error("mozjpeg: out of memory while scoring");
    return score;
  } finally {
    Module["_free"](pixels);
  }
};

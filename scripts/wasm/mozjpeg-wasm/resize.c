/* A JPEG decoded and downscaled in one pass, for the page's typical job (a photo resized to fit).
 *
 * Pyodide's Pillow decodes with IJG libjpeg 9c and resamples without SIMD; copying its 12 MP
 * image out to a codec costs as much as the resize itself. Here mozjpeg's decoder (libjpeg-turbo's,
 * the one native Pillow uses) hands each row to the horizontal pass as it is decoded, so the
 * full-size image is never stored; the vertical pass follows. The resampling is Pillow's LANCZOS
 * (Resample.c, Pillow 10.2, HPND licence) computed the same way: the same coefficients in the
 * same fixed point, horizontal pass first, so the pixels are Pillow's bit for bit; the SIMD build
 * only does several of its sums at once.
 *
 * Errors never abort the module, and a libjpeg warning (corrupt data) counts as one: the engine
 * then decodes with Pillow, which reports such files its own way. */
#include <math.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "jpeglib.h"
#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#endif

struct failure {
  struct jpeg_error_mgr pub;
  jmp_buf jump;
};

static uint8_t *pixels;
static int channels;
static char message[JMSG_LENGTH_MAX];

static void fail(j_common_ptr cinfo) {
  (*cinfo->err->format_message)(cinfo, message);
  longjmp(((struct failure *)cinfo->err)->jump, 1);
}

/* libjpeg's own emit_message, less the printing: warnings are counted, the first one kept. */
static void warned(j_common_ptr cinfo, int level) {
  if (level >= 0) return;
  if (!cinfo->err->num_warnings) (*cinfo->err->format_message)(cinfo, message);
  cinfo->err->num_warnings++;
}

void decoded_free(void) {
  free(pixels);
  pixels = NULL;
}

uint8_t *decoded_pixels(void) { return pixels; }
int decoded_channels(void) { return channels; }
const char *decoded_message(void) { return message; }

/* ---- Pillow's resampling coefficients (precompute_coeffs, normalize_coeffs_8bpc) ---------- */

#define PRECISION_BITS (32 - 8 - 2)

static double sinc(double x) {
  if (x == 0.0) return 1.0;
  x = x * M_PI;
  return sin(x) / x;
}

static double lanczos(double x) {
  if (-3.0 <= x && x < 3.0) return sinc(x) * sinc(x / 3);
  return 0.0;
}

struct kernel {
  int ksize;
  int *bounds;  /* per output pixel: first input pixel, number of taps */
  int32_t *k;   /* ksize coefficients per output pixel, in fixed point */
};

static void kernel_free(struct kernel *kn) {
  free(kn->bounds);
  free(kn->k);
  kn->bounds = NULL;
  kn->k = NULL;
}

/* The box's ends are floats, as in Pillow's C API. Returns 0 when out of memory. */
static int kernel_make(struct kernel *kn, int in_size, float in0, float in1, int out_size) {
  double scale, filterscale, support, center, ww, ss;
  int xx, x, xmin, xmax;
  double *w;
  filterscale = scale = (double)(in1 - in0) / out_size;
  if (filterscale < 1.0) filterscale = 1.0;
  support = 3.0 * filterscale;
  kn->ksize = (int)ceil(support) * 2 + 1;
  kn->bounds = malloc((size_t)out_size * 2 * sizeof(int));
  kn->k = malloc((size_t)out_size * kn->ksize * sizeof(int32_t));
  w = malloc((size_t)kn->ksize * sizeof(double));
  if (!kn->bounds || !kn->k || !w) {
    free(w);
    kernel_free(kn);
    return 0;
  }
  for (xx = 0; xx < out_size; xx++) {
    int32_t *k = &kn->k[(size_t)xx * kn->ksize];
    center = in0 + (xx + 0.5) * scale;
    ww = 0.0;
    ss = 1.0 / filterscale;
    xmin = (int)(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    xmax = (int)(center + support + 0.5);
    if (xmax > in_size) xmax = in_size;
    xmax -= xmin;
    for (x = 0; x < xmax; x++) {
      w[x] = lanczos((x + xmin - center + 0.5) * ss);
      ww += w[x];
    }
    for (x = 0; x < xmax; x++) {
      if (ww != 0.0) w[x] /= ww;
    }
    for (x = 0; x < kn->ksize; x++) {
      double v = x < xmax ? w[x] : 0.0;
      k[x] = v < 0 ? (int32_t)(-0.5 + v * (1 << PRECISION_BITS))
                   : (int32_t)(0.5 + v * (1 << PRECISION_BITS));
    }
    kn->bounds[xx * 2] = xmin;
    kn->bounds[xx * 2 + 1] = xmax;
  }
  free(w);
  return 1;
}

static inline uint8_t clip8(int32_t v) {
  v >>= PRECISION_BITS;
  return v < 0 ? 0 : v > 255 ? 255 : (uint8_t)v;
}

/* ---- the two passes ------------------------------------------------------------------------ */

/* One row: `in` has the input width of `nch`-byte pixels, `out` gets kn's output width. */
static void horizontal(const uint8_t *in, uint8_t *out, int out_w, int nch,
                       const struct kernel *kn) {
  int xx, x, c;
  for (xx = 0; xx < out_w; xx++) {
    const int32_t *k = &kn->k[(size_t)xx * kn->ksize];
    const uint8_t *p = in + (size_t)kn->bounds[xx * 2] * nch;
    int taps = kn->bounds[xx * 2 + 1];
#ifdef __wasm_simd128__
    if (nch == 4) {  /* one pixel's four bytes per vector */
      v128_t acc = wasm_i32x4_splat(1 << (PRECISION_BITS - 1));
      for (x = 0; x + 1 < taps; x += 2) {
        v128_t two = wasm_u16x8_load8x8(p + x * 4);
        acc = wasm_i32x4_add(acc, wasm_i32x4_mul(wasm_u32x4_extend_low_u16x8(two),
                                                 wasm_i32x4_splat(k[x])));
        acc = wasm_i32x4_add(acc, wasm_i32x4_mul(wasm_u32x4_extend_high_u16x8(two),
                                                 wasm_i32x4_splat(k[x + 1])));
      }
      if (x < taps) {
        v128_t one = wasm_u32x4_extend_low_u16x8(
            wasm_u16x8_extend_low_u8x16(wasm_v128_load32_zero(p + x * 4)));
        acc = wasm_i32x4_add(acc, wasm_i32x4_mul(one, wasm_i32x4_splat(k[x])));
      }
      acc = wasm_i32x4_shr(acc, PRECISION_BITS);
      acc = wasm_u8x16_narrow_i16x8(wasm_i16x8_narrow_i32x4(acc, acc), acc);
      wasm_v128_store32_lane(out + (size_t)xx * 4, acc, 0);
      continue;
    }
#endif
    if (nch == 4) {  /* RGBX: the three colours in one loop, as Pillow's */
      int32_t s0 = 1 << (PRECISION_BITS - 1), s1 = s0, s2 = s0;
      for (x = 0; x < taps; x++) {
        s0 += p[x * 4] * k[x];
        s1 += p[x * 4 + 1] * k[x];
        s2 += p[x * 4 + 2] * k[x];
      }
      out[(size_t)xx * 4] = clip8(s0);
      out[(size_t)xx * 4 + 1] = clip8(s1);
      out[(size_t)xx * 4 + 2] = clip8(s2);
      out[(size_t)xx * 4 + 3] = 0;
      continue;
    }
    for (c = 0; c < nch; c++) {
      int32_t ss = 1 << (PRECISION_BITS - 1);
      for (x = 0; x < taps; x++) ss += p[x * nch + c] * k[x];
      out[(size_t)xx * nch + c] = clip8(ss);
    }
  }
}

/* All output rows from `in` (rows of `row_bytes`, the first one kn's bounds count from). */
static void vertical(const uint8_t *in, uint8_t *out, int out_h, size_t row_bytes, int nch,
                     const struct kernel *kn) {
  int yy, y;
  size_t i;
  for (yy = 0; yy < out_h; yy++) {
    const int32_t *k = &kn->k[(size_t)yy * kn->ksize];
    const uint8_t *first = in + (size_t)kn->bounds[yy * 2] * row_bytes;
    int taps = kn->bounds[yy * 2 + 1];
    uint8_t *row = out + (size_t)yy * row_bytes;
    i = 0;
#ifdef __wasm_simd128__
    for (; i + 16 <= row_bytes; i += 16) {  /* 16 bytes of the row at a time */
      v128_t a0, a1, a2, a3;
      a0 = a1 = a2 = a3 = wasm_i32x4_splat(1 << (PRECISION_BITS - 1));
      for (y = 0; y < taps; y++) {
        v128_t v = wasm_v128_load(first + (size_t)y * row_bytes + i);
        v128_t lo = wasm_u16x8_extend_low_u8x16(v), hi = wasm_u16x8_extend_high_u8x16(v);
        v128_t kv = wasm_i32x4_splat(k[y]);
        a0 = wasm_i32x4_add(a0, wasm_i32x4_mul(wasm_u32x4_extend_low_u16x8(lo), kv));
        a1 = wasm_i32x4_add(a1, wasm_i32x4_mul(wasm_u32x4_extend_high_u16x8(lo), kv));
        a2 = wasm_i32x4_add(a2, wasm_i32x4_mul(wasm_u32x4_extend_low_u16x8(hi), kv));
        a3 = wasm_i32x4_add(a3, wasm_i32x4_mul(wasm_u32x4_extend_high_u16x8(hi), kv));
      }
      a0 = wasm_i32x4_shr(a0, PRECISION_BITS);
      a1 = wasm_i32x4_shr(a1, PRECISION_BITS);
      a2 = wasm_i32x4_shr(a2, PRECISION_BITS);
      a3 = wasm_i32x4_shr(a3, PRECISION_BITS);
      wasm_v128_store(row + i, wasm_u8x16_narrow_i16x8(wasm_i16x8_narrow_i32x4(a0, a1),
                                                       wasm_i16x8_narrow_i32x4(a2, a3)));
    }
#endif
    if (nch == 4) {  /* RGBX: the three colours in one loop, as Pillow's */
      for (; i < row_bytes; i += 4) {
        int32_t s0 = 1 << (PRECISION_BITS - 1), s1 = s0, s2 = s0;
        for (y = 0; y < taps; y++) {
          const uint8_t *p = first + (size_t)y * row_bytes + i;
          s0 += p[0] * k[y];
          s1 += p[1] * k[y];
          s2 += p[2] * k[y];
        }
        row[i] = clip8(s0);
        row[i + 1] = clip8(s1);
        row[i + 2] = clip8(s2);
        row[i + 3] = 0;
      }
    }
    for (; i < row_bytes; i++) {
      int32_t ss = 1 << (PRECISION_BITS - 1);
      for (y = 0; y < taps; y++) ss += first[(size_t)y * row_bytes + i] * k[y];
      row[i] = clip8(ss);
    }
  }
}

/* ---- decode, resize -------------------------------------------------------------------------- */

/* The JPEG `data` decoded at 1/scale (libjpeg's DCT scaling, as Pillow's draft() asks; that must
 * give in_width x in_height) and resampled to out_width x out_height over all of it, as
 * Pillow's resize(size, LANCZOS) does. Grey stays grey (1 byte a pixel); colour comes as RGBX.
 * Returns 1 and decoded_pixels(), or 0 with decoded_message(). */
int decode_resized(const uint8_t *data, unsigned long size, int scale, int in_width,
                   int in_height, int out_width, int out_height) {
  struct jpeg_decompress_struct d;
  struct failure err;
  struct kernel across = {0}, down = {0};
  uint8_t *row = NULL, *band = NULL;
  int need_h, need_v, first, last, y;
  size_t in_bytes, out_bytes;
  decoded_free();
  message[0] = 0;
  d.err = jpeg_std_error(&err.pub);
  err.pub.error_exit = fail;
  err.pub.emit_message = warned;
  jpeg_create_decompress(&d);
  if (setjmp(err.jump)) {
    jpeg_destroy_decompress(&d);
    kernel_free(&across);
    kernel_free(&down);
    free(row);
    free(band);
    decoded_free();
    return 0;
  }
  jpeg_mem_src(&d, data, size);
  jpeg_read_header(&d, TRUE);
  if (d.num_components == 1) {
    d.out_color_space = JCS_GRAYSCALE;
  } else if (d.num_components == 3 && (d.jpeg_color_space == JCS_YCbCr ||
                                       d.jpeg_color_space == JCS_RGB)) {
    d.out_color_space = JCS_EXT_RGBX;
  } else {
    snprintf(message, sizeof message, "%d components (colour space %d) are not decoded here",
             d.num_components, d.jpeg_color_space);
    longjmp(err.jump, 1);
  }
  d.scale_num = 1;
  d.scale_denom = scale;
  jpeg_calc_output_dimensions(&d);
  if ((int)d.output_width != in_width || (int)d.output_height != in_height) {
    snprintf(message, sizeof message, "decodes to %u x %u, not %d x %d", d.output_width,
             d.output_height, in_width, in_height);
    longjmp(err.jump, 1);
  }
  channels = d.output_components;
  need_h = out_width != in_width;
  need_v = out_height != in_height;
  if (!kernel_make(&across, in_width, 0, (float)in_width, out_width) ||
      !kernel_make(&down, in_height, 0, (float)in_height, out_height)) {
    snprintf(message, sizeof message, "out of memory");
    longjmp(err.jump, 1);
  }
  /* Only the rows the vertical pass reads go through the horizontal one (as in Pillow). */
  first = down.bounds[0];
  last = down.bounds[out_height * 2 - 2] + down.bounds[out_height * 2 - 1];
  for (y = 0; y < out_height; y++) down.bounds[y * 2] -= first;
  in_bytes = (size_t)in_width * channels;
  out_bytes = (size_t)out_width * channels;
  row = malloc(in_bytes);
  band = malloc(out_bytes * (last - first));
  if (need_v) pixels = malloc(out_bytes * out_height);  /* else the band is the result */
  if (!row || !band || (need_v && !pixels)) {
    snprintf(message, sizeof message, "out of memory");
    longjmp(err.jump, 1);
  }
  jpeg_start_decompress(&d);
  while (d.output_scanline < d.output_height) {
    y = d.output_scanline;
    jpeg_read_scanlines(&d, &row, 1);
    if (y < first || y >= last) continue;
    if (need_h) {
      horizontal(row, band + (y - first) * out_bytes, out_width, channels, &across);
    } else {
      memcpy(band + (y - first) * out_bytes, row, out_bytes);
    }
  }
  jpeg_finish_decompress(&d);
  if (err.pub.num_warnings) longjmp(err.jump, 1);
  jpeg_destroy_decompress(&d);
  if (need_v) {
    vertical(band, pixels, out_height, out_bytes, channels, &down);
    free(band);
  } else {
    pixels = band;  /* all rows, horizontally resampled */
  }
  kernel_free(&across);
  kernel_free(&down);
  free(row);
  return 1;
}

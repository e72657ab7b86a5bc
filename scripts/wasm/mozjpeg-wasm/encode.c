/* mozjpeg's encoder for the page (scripts/wasm_build.py compiles it with mozjpeg's libjpeg).
 *
 * Squoosh's build (@jsquash/jpeg) takes only mozjpeg's own table presets; the engine needs its
 * own tables (codecs/jpeg_tables.py) under mozjpeg's trellis quantisation, and a say over the
 * progressive scan search. Otherwise mozjpeg's defaults, as in Squoosh's build, but for trellis
 * on DC coefficients (off: see encode()). One call encodes one image; the result stays until the
 * next call or encode_free(). Errors never abort the module: libjpeg's error_exit jumps back here. */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include "jpeglib.h"

struct failure {
  struct jpeg_error_mgr pub;
  jmp_buf jump;
};

static unsigned char *result;
static unsigned long result_length;
static char message[JMSG_LENGTH_MAX];

static void fail(j_common_ptr cinfo) {
  (*cinfo->err->format_message)(cinfo, message);
  longjmp(((struct failure *)cinfo->err)->jump, 1);
}

static void quiet(j_common_ptr cinfo, int level) {
  (void)cinfo;
  (void)level;
}

void encode_free(void) {
  free(result);
  result = NULL;
  result_length = 0;
}

unsigned char *encode_result(void) { return result; }
unsigned long encode_result_length(void) { return result_length; }
const char *encode_message(void) { return message; }

enum { TRELLIS = 1, SCAN_SEARCH = 2 };

/* pixels: rows of `channels` bytes per pixel: 1 (grey) or 3 (RGB). tables: luma then chroma
 * (64 values each, natural order, 1..255; luma only for grey), used as they are. subsampling:
 * the luma sampling factors' product, 1 (4:4:4), 2 (4:2:2) or 4 (4:2:0).
 * Returns 1, or 0 with encode_message(). */
int encode(const unsigned char *pixels, int width, int height, int channels,
           const unsigned int *tables, int subsampling, int flags) {
  struct jpeg_compress_struct c;
  struct failure err;
  JSAMPROW row;
  encode_free();
  message[0] = 0;
  c.err = jpeg_std_error(&err.pub);
  err.pub.error_exit = fail;
  err.pub.emit_message = quiet;
  jpeg_create_compress(&c);
  if (setjmp(err.jump)) {
    jpeg_destroy_compress(&c);
    encode_free();
    return 0;
  }
  jpeg_mem_dest(&c, &result, &result_length);
  c.image_width = width;
  c.image_height = height;
  c.input_components = channels;
  c.in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(&c);
  jpeg_c_set_bool_param(&c, JBOOLEAN_TRELLIS_QUANT, (flags & TRELLIS) != 0);
  /* Trellis on the DC coefficients too took 10 % of the encode (2048 x 1536: 247 -> 222 ms)
   * for +-0.02 SSIMULACRA2 and 0.01-0.1 % of the bytes either way. */
  jpeg_c_set_bool_param(&c, JBOOLEAN_TRELLIS_QUANT_DC, FALSE);
  jpeg_c_set_bool_param(&c, JBOOLEAN_OPTIMIZE_SCANS, (flags & SCAN_SEARCH) != 0);
  jpeg_add_quant_table(&c, 0, tables, 100, TRUE);
  if (channels != 1) {
    jpeg_add_quant_table(&c, 1, tables + 64, 100, TRUE);
    c.comp_info[0].h_samp_factor = subsampling == 1 ? 1 : 2;
    c.comp_info[0].v_samp_factor = subsampling == 4 ? 2 : 1;
  }
  c.optimize_coding = TRUE;
  jpeg_simple_progression(&c);
  jpeg_start_compress(&c, TRUE);
  while (c.next_scanline < c.image_height) {
    row = (JSAMPROW)(pixels + (size_t)c.next_scanline * width * channels);
    jpeg_write_scanlines(&c, &row, 1);
  }
  jpeg_finish_compress(&c);
  jpeg_destroy_compress(&c);
  return 1;
}

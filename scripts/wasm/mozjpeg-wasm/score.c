/* SSIMULACRA2 for the page's automatic quality search: py/localpix/quality/perceptual.py in C.
 *
 * The search scores 6-12 candidates of one 384 x 384 mosaic per photo; numpy in Pyodide takes
 * ~41 ms a score, this ~10 (SIMD build; ~17 plain). The computation is the Python module's, step
 * for step and in float32 like it: sRGB -> linear -> XYB, six scales of SSIM and edge maps under
 * an 11-tap Gaussian (zeros beyond the top and bottom, mirrored left and right), libjxl's
 * weights (given by the engine, the table's one copy) and its final mapping; terms whose weight
 * is negligible are skipped as there. Scores agree with the Python's to < 0.01 on mosaics. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SCALES 6
#define RADIUS 5
#define NEGLIGIBLE 0.01

static const float OPSIN[3][3] = {{0.30f, 0.622f, 0.078f},
                                  {0.23f, 0.692f, 0.078f},
                                  {0.24342268924547819f, 0.20476744424496821f,
                                   0.5518098665095571f}};
static const float BIAS = 0.0037930732552754493f;
static const float C2 = 0.0009f;

static float linear_lut[256];
static float kernel[2 * RADIUS + 1];

/* The reference, per scale: its XYB planes, their blur and the blur of their squares. */
struct scale {
  int w, h, need[3], ssim[3], edge[3];
  float *x[3], *mu[3], *sq[3];
};
static struct scale ref[SCALES];
static int scales, prepared, ref_w, ref_h;  /* under 8 x 8 no scales: it scores 100, as there */
static double weights[3 * SCALES * 2 * 3];

static void init_tables(void) {
  double k[2 * RADIUS + 1], sum = 0;
  for (int i = 0; i < 256; i++) {
    double v = i / 255.0;
    linear_lut[i] = (float)(v <= 0.04045 ? v / 12.92 : pow((v + 0.055) / 1.055, 2.4));
  }
  for (int i = -RADIUS; i <= RADIUS; i++) sum += k[i + RADIUS] = exp(-0.5 * (i / 1.5) * (i / 1.5));
  for (int i = 0; i < 2 * RADIUS + 1; i++) kernel[i] = (float)(k[i] / sum);
}

/* numpy's "symmetric" padding: mirrored, the edge pixel repeated, as often as it takes. */
static int mirror(int i, int n) {
  int period = 2 * n;
  i %= period;
  if (i < 0) i += period;
  return i < n ? i : period - 1 - i;
}

/* Gaussian of one plane into `out` (which may be `in`); `tmp` holds w * h floats. Returns 0 when
 * out of memory. */
static int blur(const float *in, float *out, float *tmp, int w, int h) {
  float *padded = malloc((size_t)(w + 2 * RADIUS) * sizeof(float));
  if (!padded) return 0;
  for (int y = 0; y < h; y++) {
    float *row = tmp + (size_t)y * w;
    const float *mid = in + (size_t)y * w;
    for (int x = 0; x < w; x++) row[x] = mid[x] * kernel[RADIUS];
    for (int i = 0; i < RADIUS; i++) {  /* pairs of symmetric taps; rows beyond the edge: 0 */
      int above = y - RADIUS + i, below = y + RADIUS - i;
      const float *a = in + (size_t)above * w, *b = in + (size_t)below * w;
      float k = kernel[i];
      if (above >= 0 && below < h) {
        for (int x = 0; x < w; x++) row[x] += (a[x] + b[x]) * k;
      } else if (above >= 0) {
        for (int x = 0; x < w; x++) row[x] += a[x] * k;
      } else if (below < h) {
        for (int x = 0; x < w; x++) row[x] += b[x] * k;
      }
    }
  }
  for (int y = 0; y < h; y++) {
    const float *row = tmp + (size_t)y * w;
    float *o = out + (size_t)y * w;
    for (int j = 0; j < w + 2 * RADIUS; j++) padded[j] = row[mirror(j - RADIUS, w)];
    for (int x = 0; x < w; x++) o[x] = padded[x + RADIUS] * kernel[RADIUS];
    for (int i = 0; i < RADIUS; i++) {
      float k = kernel[i];
      for (int x = 0; x < w; x++) o[x] += (padded[x + i] + padded[x + 2 * RADIUS - i]) * k;
    }
  }
  free(padded);
  return 1;
}

/* Linear RGB planes (3 x n) -> the XYB planes listed in need[] (others left alone). */
static void xyb(float *const lin[3], float *x[3], const int need[3], size_t n) {
  const float cbrt_bias = (float)cbrt(0.0037930732552754493);
  for (size_t i = 0; i < n; i++) {
    float m[3];
    for (int r = 0; r < 3; r++) {
      float v = OPSIN[r][0] * lin[0][i] + OPSIN[r][1] * lin[1][i] + OPSIN[r][2] * lin[2][i];
      v += BIAS;
      m[r] = cbrtf(v > 0 ? v : 0) - cbrt_bias;
    }
    float y = 0.5f * (m[0] + m[1]);
    if (need[0]) x[0][i] = 0.5f * (m[0] - m[1]) * 14.0f + 0.42f;
    if (need[1]) x[1][i] = y + 0.01f;
    if (need[2]) x[2][i] = (m[2] - y) + 0.55f;
  }
}

/* 2 x 2 box average in place (a partial block at an odd edge averages what it has). */
static void downsample(float *const lin[3], int *w, int *h) {
  int ow = (*w + 1) / 2, oh = (*h + 1) / 2;
  for (int c = 0; c < 3; c++) {
    float *p = lin[c];
    for (int y = 0; y < oh; y++) {
      for (int x = 0; x < ow; x++) {
        /* in the Python's order: (0, 0) + (1, 0), then (0, 1), then (1, 1); 0 off the edge */
        static const int dy[4] = {0, 1, 0, 1}, dx[4] = {0, 0, 1, 1};
        float sum = 0;
        int count = 0;
        for (int k = 0; k < 4; k++) {
          int sy = 2 * y + dy[k], sx = 2 * x + dx[k];
          int inside = sy < *h && sx < *w;
          sum += inside ? p[(size_t)sy * *w + sx] : 0.0f;
          count += inside;
        }
        p[(size_t)y * ow + x] = count == 4 ? sum * 0.25f : sum / count;
      }
    }
  }
  *w = ow;
  *h = oh;
}

static double weight(int c, int s, int norm, int kind) {
  return weights[((c * scales + s) * 2 + norm) * 3 + kind];
}

static void to_linear(const uint8_t *rgb, float *const lin[3], size_t n) {
  for (size_t i = 0; i < n; i++) {
    for (int c = 0; c < 3; c++) lin[c][i] = linear_lut[rgb[i * 3 + c]];
  }
}

static void free_reference(void) {
  for (int s = 0; s < SCALES; s++) {
    for (int c = 0; c < 3; c++) {
      free(ref[s].x[c]);
      free(ref[s].mu[c]);
      free(ref[s].sq[c]);
    }
  }
  memset(ref, 0, sizeof ref);
  scales = prepared = 0;
}

/* Prepare the reference (rows of RGB); `table` is the engine's weight table (108 values).
 * Returns 1, or 0 when out of memory. */
int score_reference(const uint8_t *rgb, int w, int h, const double *table) {
  size_t n = (size_t)w * h;
  float *lin[3], *tmp;
  int ok = 1;
  if (!kernel[RADIUS]) init_tables();
  free_reference();
  for (int ww = w, hh = h; scales < SCALES && ww >= 8 && hh >= 8; scales++) {
    ww = (ww + 1) / 2;
    hh = (hh + 1) / 2;
  }
  memcpy(weights, table, sizeof(double) * scales * 18);
  ref_w = w;
  ref_h = h;
  lin[0] = malloc(n * sizeof(float));
  lin[1] = malloc(n * sizeof(float));
  lin[2] = malloc(n * sizeof(float));
  tmp = malloc(n * sizeof(float));
  if (!lin[0] || !lin[1] || !lin[2] || !tmp) ok = 0;
  if (ok) to_linear(rgb, lin, n);
  for (int s = 0; ok && s < scales; s++) {
    struct scale *sc = &ref[s];
    sc->w = w;
    sc->h = h;
    for (int c = 0; c < 3; c++) {
      sc->ssim[c] = weight(c, s, 0, 0) >= NEGLIGIBLE || weight(c, s, 1, 0) >= NEGLIGIBLE;
      sc->edge[c] = weight(c, s, 0, 1) >= NEGLIGIBLE || weight(c, s, 1, 1) >= NEGLIGIBLE ||
                    weight(c, s, 0, 2) >= NEGLIGIBLE || weight(c, s, 1, 2) >= NEGLIGIBLE;
      sc->need[c] = sc->ssim[c] || sc->edge[c];
      if (sc->need[c]) {
        sc->x[c] = malloc((size_t)w * h * sizeof(float));
        sc->mu[c] = malloc((size_t)w * h * sizeof(float));
        if (!sc->x[c] || !sc->mu[c]) ok = 0;
      }
      if (sc->ssim[c] && !(sc->sq[c] = malloc((size_t)w * h * sizeof(float)))) ok = 0;
    }
    if (!ok) break;
    xyb(lin, sc->x, sc->need, (size_t)w * h);
    for (int c = 0; c < 3; c++) {
      if (!sc->need[c]) continue;
      ok = ok && blur(sc->x[c], sc->mu[c], tmp, w, h);
      if (sc->ssim[c]) {
        float *sq = sc->sq[c];
        for (size_t i = 0; i < (size_t)w * h; i++) sq[i] = sc->x[c][i] * sc->x[c][i];
        ok = ok && blur(sq, sq, tmp, w, h);
      }
    }
    if (s < scales - 1) downsample(lin, &w, &h);
  }
  free(lin[0]);
  free(lin[1]);
  free(lin[2]);
  free(tmp);
  if (!ok) free_reference();
  prepared = ok;
  return ok;
}

/* Mean and 4-norm of a non-negative map, summed in double as numpy's mean(dtype=float64). */
static void norms(const float *d, size_t n, double out[2]) {
  double sum = 0, sum4 = 0;
  for (size_t i = 0; i < n; i++) {
    float sq = d[i] * d[i];
    sum += d[i];
    sum4 += sq * sq;
  }
  out[0] = sum / n;
  out[1] = pow(sum4 / n, 0.25);
}

/* SSIMULACRA2 of a candidate (rows of RGB, the reference's size) against the reference;
 * -1000 when out of memory or there is no reference. */
double score(const uint8_t *rgb) {
  enum { PLANES = 10 };
  float *buf[PLANES] = {0};
  float *lin[3], *x[3], *mu, *s22, *s12, *tmp;
  double total = 0;
  int ok = 1;
  if (!prepared) return -1000;
  for (int i = 0; i < PLANES; i++) {
    buf[i] = malloc(((size_t)ref_w * ref_h + 1) * sizeof(float));
    ok = ok && buf[i];
  }
  lin[0] = buf[0], lin[1] = buf[1], lin[2] = buf[2], x[0] = buf[3], x[1] = buf[4];
  x[2] = buf[5], mu = buf[6], s22 = buf[7], s12 = buf[8], tmp = buf[9];
  if (ok) to_linear(rgb, lin, (size_t)ref_w * ref_h);
  for (int s = 0; ok && s < scales; s++) {
    const struct scale *sc = &ref[s];
    size_t m = (size_t)sc->w * sc->h;
    xyb(lin, x, sc->need, m);
    for (int c = 0; c < 3; c++) {
      const float *x1 = sc->x[c], *mu1 = sc->mu[c], *x2 = x[c];
      if (!sc->need[c]) continue;
      ok = ok && blur(x2, mu, tmp, sc->w, sc->h);
      if (sc->ssim[c]) {
        double d[2];
        for (size_t i = 0; i < m; i++) s22[i] = x2[i] * x2[i];
        ok = ok && blur(s22, s22, tmp, sc->w, sc->h);
        for (size_t i = 0; i < m; i++) s12[i] = x1[i] * x2[i];
        ok = ok && blur(s12, s12, tmp, sc->w, sc->h);
        for (size_t i = 0; i < m; i++) {
          float num_m = 1.0f - (mu1[i] - mu[i]) * (mu1[i] - mu[i]);
          float num_s = 2.0f * (s12[i] - mu1[i] * mu[i]) + C2;
          float denom_s = (sc->sq[c][i] - mu1[i] * mu1[i]) + (s22[i] - mu[i] * mu[i]) + C2;
          float v = 1.0f - num_m * num_s / denom_s;
          s22[i] = v > 0 ? v : 0;
        }
        norms(s22, m, d);
        total += weight(c, s, 0, 0) * d[0] + weight(c, s, 1, 0) * d[1];
      }
      if (sc->edge[c]) {
        double ringing[2], blurring[2];
        for (size_t i = 0; i < m; i++) {
          float ratio = (1.0f + fabsf(x2[i] - mu[i])) / (1.0f + fabsf(x1[i] - mu1[i])) - 1.0f;
          s12[i] = ratio > 0 ? ratio : 0;
          tmp[i] = ratio < 0 ? -ratio : 0;
        }
        norms(s12, m, ringing);
        norms(tmp, m, blurring);
        for (int k = 0; k < 2; k++) {
          total += weight(c, s, k, 1) * ringing[k] + weight(c, s, k, 2) * blurring[k];
        }
      }
    }
    if (s < scales - 1) {
      int w = sc->w, h = sc->h;
      downsample(lin, &w, &h);
    }
  }
  for (int i = 0; i < PLANES; i++) free(buf[i]);
  if (!ok) return -1000;
  total *= 0.9562382616834844;
  total = 2.326765642916932 * total - 0.020884521182843837 * total * total +
          6.248496625763138e-05 * total * total * total;
  return total > 0 ? 100.0 - 10.0 * pow(total, 0.6276336467831387) : 100.0;
}

/*
 * image.c -- grayscale images for the imaging problems (DESIGN §3): PGM (P2/P5, 8 or 16 bit)
 * and PNG (libpng) files read to doubles in [0, 1], PGM written back, crops, area-averaging
 * resizes, seeded synthetic images and Gaussian noise.
 *
 * Readers open regular files only (hg_open_regular), check the header before allocating
 * (dimensions positive, at most hg_limits' pixels per image, and for PGM no more pixels than
 * the file's bytes can hold) and name the file and the fault on a bad magic number, a
 * malformed header or truncated pixel data.
 */
#include "hg_io.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int hg_image_create(int w, int h, hg_image *img, hg_error *err)
{
  img->w = img->h = 0;
  img->px = NULL;
  if (w <= 0 || h <= 0 || (double)w * h > HG_IMAGE_MAX_PIXELS)
    return hg_fail(err, HG_ERR_ARG, "image size %d x %d: each side must be >= 1 and the image "
                   "at most %d pixels", w, h, HG_IMAGE_MAX_PIXELS);
  img->px = calloc((size_t)w * (size_t)h, sizeof *img->px);
  if (!img->px)
    return hg_fail(err, HG_ERR_NOMEM, "out of memory for a %d x %d image", w, h);
  img->w = w;
  img->h = h;
  return HG_OK;
}

void hg_image_free(hg_image *img)
{
  if (!img)
    return;
  free(img->px);
  img->px = NULL;
  img->w = img->h = 0;
}

/* ------------------------------------------------------------------------------------------ */
/* PGM                                                                                         */
/* ------------------------------------------------------------------------------------------ */

/* A PGM file being read: at most `left` more bytes are taken from it (its size at open and
 * HG_TEXT_GROWTH), so a file that grows while it is read ends as a truncated one. */
typedef struct pgm_in {
  FILE *f;
  long long left;
} pgm_in;

/* The next byte, or EOF at the end of the file or of the allowance. */
static int pgm_getc(pgm_in *in)
{
  if (in->left <= 0)
    return EOF;
  in->left--;
  return getc(in->f);
}

/* The next header integer of a PGM file, skipping white space and '#' comments; -1 when
 * missing or not a non-negative integer below 2^31. */
static long pgm_int(pgm_in *f)
{
  int c;
  for (;;) {
    c = pgm_getc(f);
    if (c == '#') {
      while ((c = pgm_getc(f)) != EOF && c != '\n')
        ;
    } else if (!isspace(c)) {
      break;
    }
  }
  if (!isdigit(c))
    return -1;
  long v = 0;
  while (isdigit(c)) {
    v = 10 * v + (c - '0');
    if (v > 0x7fffffff)
      return -1;
    c = pgm_getc(f);
  }
  if (c != EOF && !isspace(c))
    return -1;
  return v; /* the single white-space byte after maxval is consumed here, as the format says */
}

/* PGM from f (size bytes at open), under the limits L. */
static int read_pgm(const char *path, FILE *file, long long size, const hg_limits *L,
                    hg_image *img, hg_error *err)
{
  char magic[2];
  pgm_in in = {file, size + HG_TEXT_GROWTH}, *f = &in;
  if (fread(magic, 1, 2, file) != 2 || magic[0] != 'P' || (magic[1] != '2' && magic[1] != '5'))
    return hg_fail(err, HG_ERR_PARSE, "'%s': not a PGM file (magic P2 or P5 expected)", path);
  in.left -= 2;
  long w = pgm_int(f), h = pgm_int(f), maxval = pgm_int(f);
  if (w < 1 || h < 1 || maxval < 1 || maxval > 65535)
    return hg_fail(err, HG_ERR_PARSE, "'%s': malformed PGM header (width %ld, height %ld, "
                   "maxval %ld; maxval must be 1..65535)", path, w, h, maxval);
  if ((double)w * (double)h > (double)L->max_image_pixels)
    return hg_fail(err, HG_ERR_PARSE, "'%s': %ld x %ld pixels exceed the limit of %lld", path,
                   w, h, L->max_image_pixels);
  /* each pixel takes a byte or two (P5), or a digit and a separator (P2, the last without) */
  long long body = size + HG_TEXT_GROWTH - in.left, room = size - body;
  long long fits = magic[1] == '5' ? room / (maxval < 256 ? 1 : 2) : (room + 1) / 2;
  if ((double)w * (double)h > (double)fits)
    return hg_fail(err, HG_ERR_PARSE, "'%s': truncated PGM: the header announces %ld x %ld "
                   "pixels, but the %lld bytes after it hold at most %lld", path, w, h,
                   room < 0 ? 0 : room, fits < 0 ? 0 : fits);
  int rc = hg_image_create((int)w, (int)h, img, err);
  if (rc)
    return rc;
  size_t n = (size_t)w * (size_t)h;
  for (size_t i = 0; i < n; i++) {
    long v;
    if (magic[1] == '2') {
      v = pgm_int(f);
    } else if (maxval < 256) {
      int c = pgm_getc(f);
      v = c == EOF ? -1 : c;
    } else { /* 16 bit, most significant byte first */
      int hi = pgm_getc(f), lo = pgm_getc(f);
      v = hi == EOF || lo == EOF ? -1 : hi << 8 | lo;
    }
    if (v < 0 || v > maxval) {
      hg_image_free(img);
      return hg_fail(err, HG_ERR_PARSE, v < 0 ? "'%s': truncated or malformed pixel data at "
                     "pixel %zu of %zu" : "'%s': pixel %zu of %zu exceeds maxval", path, i + 1,
                     n);
    }
    img->px[i] = (double)v / (double)maxval;
  }
  return HG_OK;
}

int hg_image_write_pgm(const char *path, const hg_image *img, hg_error *err)
{
  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  FILE *f = fopen(tmp, "wb");
  if (!f)
    return hg_fail(err, HG_ERR_IO, "cannot write '%s': %s", tmp, strerror(errno));
  fprintf(f, "P5\n%d %d\n65535\n", img->w, img->h);
  for (size_t i = 0; i < (size_t)img->w * (size_t)img->h; i++) {
    double x = img->px[i];
    long v = isnan(x) ? 0 : lround(65535 * fmin(1, fmax(0, x)));
    fputc((int)(v >> 8), f);
    fputc((int)(v & 255), f);
  }
  if (fclose(f) != 0 || rename(tmp, path) != 0) {
    remove(tmp);
    return hg_fail(err, HG_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
  }
  return HG_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* PNG (libpng's simplified API: any PNG to 8-bit gray; colour through its luminance)           */
/* ------------------------------------------------------------------------------------------ */

/* PNG from the open file f (at its start), under the limits L. */
static int read_png(const char *path, FILE *f, const hg_limits *L, hg_image *img,
                    hg_error *err)
{
  png_image pi;
  memset(&pi, 0, sizeof pi);
  pi.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_stdio(&pi, f))
    return hg_fail(err, HG_ERR_PARSE, "'%s': not a readable PNG file (%s)", path, pi.message);
  pi.format = PNG_FORMAT_GRAY;
  if ((double)pi.width * (double)pi.height > (double)L->max_image_pixels) {
    png_image_free(&pi);
    return hg_fail(err, HG_ERR_PARSE, "'%s': %u x %u pixels exceed the limit of %lld", path,
                   pi.width, pi.height, L->max_image_pixels);
  }
  int rc = hg_image_create((int)pi.width, (int)pi.height, img, err);
  if (rc) {
    png_image_free(&pi);
    return rc;
  }
  size_t n = (size_t)pi.width * pi.height;
  unsigned char *buf = malloc(n);
  if (!buf) {
    png_image_free(&pi);
    hg_image_free(img);
    return hg_fail(err, HG_ERR_NOMEM, "'%s': out of memory for %zu pixels", path, n);
  }
  if (!png_image_finish_read(&pi, NULL, buf, 0, NULL)) {
    free(buf);
    hg_image_free(img);
    return hg_fail(err, HG_ERR_PARSE, "'%s': truncated or corrupt PNG (%s)", path, pi.message);
  }
  for (size_t i = 0; i < n; i++)
    img->px[i] = buf[i] / 255.0;
  free(buf);
  return HG_OK;
}

int hg_image_read(const char *path, hg_image *img, hg_error *err)
{
  return hg_image_read_lim(path, NULL, img, err);
}

int hg_image_read_lim(const char *path, const hg_limits *lim, hg_image *img, hg_error *err)
{
  static const unsigned char png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  unsigned char head[8] = {0};
  hg_limits own;
  const hg_limits *L = hg_limits_or_default(lim, &own);
  long long size;
  FILE *f;

  img->w = img->h = 0;
  img->px = NULL;
  int rc = hg_open_regular(path, "image", L->max_file_bytes, &f, &size, err);
  if (rc)
    return rc;
  size_t got = fread(head, 1, sizeof head, f);
  rewind(f);
  if (got == sizeof head && !memcmp(head, png_sig, sizeof png_sig))
    rc = read_png(path, f, L, img, err);
  else
    rc = read_pgm(path, f, size, L, img, err);
  fclose(f);
  return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* Crops, resizes, synthetic images, noise                                                     */
/* ------------------------------------------------------------------------------------------ */

int hg_image_crop(const hg_image *in, int x0, int y0, int w, int h, hg_image *out,
                  hg_error *err)
{
  if (x0 < 0 || y0 < 0 || w < 1 || h < 1 || x0 > in->w - w || y0 > in->h - h)
    return hg_fail(err, HG_ERR_ARG, "crop %dx%d at (%d, %d) does not fit in a %d x %d image",
                   w, h, x0, y0, in->w, in->h);
  int rc = hg_image_create(w, h, out, err);
  if (rc)
    return rc;
  for (int y = 0; y < h; y++)
    memcpy(out->px + (size_t)y * w, in->px + (size_t)(y0 + y) * in->w + x0,
           (size_t)w * sizeof *out->px);
  return HG_OK;
}

/* Overlap of [a, a + 1) with [lo, hi). */
static double overlap(double a, double lo, double hi)
{
  return fmax(0, fmin(a + 1, hi) - fmax(a, lo));
}

/*
 * Area averaging: output pixel (X, Y) covers [X sx, (X+1) sx) x [Y sy, (Y+1) sy) of the input
 * (sx = in.w / w, sy = in.h / h) and takes the mean of the input over that rectangle, each input
 * pixel weighted by its overlap.  Exact block means for integer factors (28 -> 14).
 */
int hg_image_resize(const hg_image *in, int w, int h, hg_image *out, hg_error *err)
{
  int rc = hg_image_create(w, h, out, err);
  if (rc)
    return rc;
  double sx = (double)in->w / w, sy = (double)in->h / h;
  for (int Y = 0; Y < h; Y++)
    for (int X = 0; X < w; X++) {
      double x_lo = X * sx, x_hi = (X + 1) * sx, y_lo = Y * sy, y_hi = (Y + 1) * sy, s = 0;
      for (int y = (int)floor(y_lo); y < (int)ceil(y_hi) && y < in->h; y++) {
        double wy = overlap(y, y_lo, y_hi);
        for (int x = (int)floor(x_lo); x < (int)ceil(x_hi) && x < in->w; x++)
          s += wy * overlap(x, x_lo, x_hi) * in->px[(size_t)y * in->w + x];
      }
      out->px[(size_t)Y * w + X] = s / (sx * sy);
    }
  return HG_OK;
}

/*
 * A seeded synthetic test image in [0, 1] (DESIGN §3): a smooth background gradient, a few
 * piecewise-constant shapes (discs and axis-aligned rectangles of random grey levels) and, in
 * one rectangle, a sinusoidal texture.  Deterministic for a given seed on every platform.
 */
int hg_image_synthetic(int w, int h, uint64_t seed, hg_image *out, hg_error *err)
{
  hg_rng rng;
  int rc = hg_image_create(w, h, out, err);
  if (rc)
    return rc;
  hg_rng_seed(&rng, seed);
  double gx = hg_rng_uniform(&rng) - 0.5, gy = hg_rng_uniform(&rng) - 0.5;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      out->px[(size_t)y * w + x] = 0.5 + 0.3 * (gx * x / w + gy * y / h);
  for (int s = 0; s < 6; s++) {
    int kind = s % 3; /* disc, rectangle, textured rectangle */
    double cx = hg_rng_uniform(&rng) * w, cy = hg_rng_uniform(&rng) * h;
    double r = (0.1 + 0.2 * hg_rng_uniform(&rng)) * (w < h ? w : h);
    double level = hg_rng_uniform(&rng), freq = 0.5 + hg_rng_uniform(&rng);
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++) {
        double dx = x + 0.5 - cx, dy = y + 0.5 - cy;
        int inside = kind == 0 ? dx * dx + dy * dy <= r * r : fabs(dx) <= r && fabs(dy) <= 0.6 * r;
        if (!inside)
          continue;
        double v = level;
        if (kind == 2)
          v = level + 0.2 * sin(freq * x) * sin(freq * y);
        out->px[(size_t)y * w + x] = fmin(1, fmax(0, v));
      }
  }
  return HG_OK;
}

void hg_image_add_noise(hg_image *img, double sigma, hg_rng *rng)
{
  for (size_t i = 0; i < (size_t)img->w * (size_t)img->h; i++)
    img->px[i] += sigma * hg_rng_normal(rng);
}

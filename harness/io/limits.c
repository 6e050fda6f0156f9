/*
 * limits.c -- the one place of the readers' size limits (hg_limits, hg_io.h): the defaults,
 * their tightening for a memory budget, the image-size check the imaging problems make before
 * allocating, and the check that an output path fits its buffer.
 */
#include "hg_io.h"

#include <string.h>

void hg_limits_default(hg_limits *lim)
{
  lim->max_file_bytes = 1LL << 31;
  lim->max_rows = 1L << 22;
  lim->max_cols = 1L << 22;
  lim->max_nnz = 1LL << 28;
  lim->max_dense = 1LL << 28;
  lim->max_image_pixels = 1LL << 24;
  lim->max_total_pixels = 1LL << 25;
  lim->max_idx_bytes = 1LL << 31;
}

/* *v = min(*v, cap), cap at least 1. */
static void cap_ll(long long *v, long long cap)
{
  if (cap < 1)
    cap = 1;
  if (*v > cap)
    *v = cap;
}

void hg_limits_budget(hg_limits *lim, size_t bytes)
{
  long long b = bytes > (size_t)(1LL << 62) ? 1LL << 62 : (long long)bytes;
  long long cols = lim->max_cols, rows = lim->max_rows;

  if (bytes == 0)
    return;
  cap_ll(&lim->max_nnz, b / 16);            /* an entry: value and index, and the CSR copy */
  cap_ll(&lim->max_dense, b / 8);           /* a double */
  cap_ll(&lim->max_image_pixels, b / 8);    /* a double per pixel */
  cap_ll(&lim->max_total_pixels, b / 16);   /* clean and noisy */
  cap_ll(&lim->max_idx_bytes, b);           /* a byte each */
  cap_ll(&cols, b / 64);                    /* the d-vectors a problem keeps */
  cap_ll(&rows, b / 32);                    /* labels and the n-vectors */
  lim->max_cols = (long)cols;
  lim->max_rows = (long)rows;
}

const hg_limits *hg_limits_or_default(const hg_limits *lim, hg_limits *own)
{
  if (lim)
    return lim;
  hg_limits_default(own);
  return own;
}

int hg_limits_images(const hg_limits *lim, const char *what, long n, long w, long h,
                     hg_error *err)
{
  hg_limits own;
  const hg_limits *L = hg_limits_or_default(lim, &own);
  double px = (double)w * (double)h;

  if (w < 1 || h < 1 || px > (double)L->max_image_pixels)
    return hg_fail(err, HG_ERR_ARG, "%s: a %ld x %ld image is beyond the limit of %lld pixels "
                   "per image", what, w, h, L->max_image_pixels);
  if ((double)n * px > (double)L->max_total_pixels)
    return hg_fail(err, HG_ERR_ARG, "%s: %ld images of %ld x %ld are %.3g pixels, beyond the "
                   "limit of %lld in all", what, n, w, h, (double)n * px, L->max_total_pixels);
  return HG_OK;
}

int hg_path_fits(const char *what, const char *path, size_t cap, size_t suffix_room,
                 hg_error *err)
{
  size_t len = strlen(path);

  if (len + suffix_room >= cap)
    return hg_fail(err, HG_ERR_ARG, "%s '%.60s...' is %zu bytes long: at most %zu fit",
                   what, path, len, cap > suffix_room + 1 ? cap - suffix_room - 1 : 0);
  return HG_OK;
}

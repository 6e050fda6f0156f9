/*
 * imaging.c -- training pairs and the difference operator the imaging problems share
 * (contracts in imaging.h).
 */
#include "imaging.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void hg_pairs_free(hg_pairs *pairs)
{
  free(pairs->clean);
  free(pairs->noisy);
  memset(pairs, 0, sizeof *pairs);
}

/* The number of comma-separated items of list. */
static int count_items(const char *list)
{
  int n = 1;
  for (const char *c = list; *c; c++)
    n += *c == ',';
  return n;
}

/* Item i of a comma-separated list into buf. */
static void item(const char *list, int i, char *buf, size_t len)
{
  const char *start = list;
  for (; i > 0; i--)
    start = strchr(start, ',') + 1;
  size_t n = strcspn(start, ",");
  snprintf(buf, len, "%.*s", (int)(n < len ? n : len - 1), start);
}

/* Image i of a file list, centre-cropped to size x size (0: as stored). */
static int load_file(const char *key, const char *list, int i, int size, hg_image *out,
                     hg_error *err)
{
  char path[1024];
  hg_image whole;
  item(list, i, path, sizeof path);
  if (!path[0])
    return hg_fail(err, HG_ERR_ARG, "%s=: item %d of the list is empty", key, i + 1);
  int rc = hg_image_read(path, &whole, err);
  if (rc)
    return rc;
  if (size == 0 || (whole.w == size && whole.h == size)) {
    *out = whole;
    return HG_OK;
  }
  if (whole.w < size || whole.h < size) {
    rc = hg_fail(err, HG_ERR_ARG, "%s=: '%s' is %d x %d, smaller than size=%d", key, path,
                 whole.w, whole.h, size);
  } else {
    rc = hg_image_crop(&whole, (whole.w - size) / 2, (whole.h - size) / 2, size, size, out,
                       err);
  }
  hg_image_free(&whole);
  return rc;
}

/* Copy image im into slot i of the pairs' array a (all images the same size). */
static int put(hg_pairs *pairs, double *a, int i, const hg_image *im, const char *key,
               hg_error *err)
{
  if (im->w != pairs->w || im->h != pairs->h)
    return hg_fail(err, HG_ERR_ARG, "%s=: image %d is %d x %d, the first is %d x %d; all "
                   "images must have one size (use size=)", key, i + 1, im->w, im->h, pairs->w,
                   pairs->h);
  memcpy(a + (size_t)i * pairs->P, im->px, (size_t)pairs->P * sizeof *a);
  return HG_OK;
}

static int alloc_pairs(hg_pairs *pairs, int N, int w, int h, hg_error *err)
{
  pairs->N = N;
  pairs->w = w;
  pairs->h = h;
  pairs->P = w * h;
  pairs->clean = malloc((size_t)N * (size_t)pairs->P * sizeof *pairs->clean);
  pairs->noisy = malloc((size_t)N * (size_t)pairs->P * sizeof *pairs->noisy);
  if (!pairs->clean || !pairs->noisy)
    return hg_fail(err, HG_ERR_NOMEM, "out of memory for %d images of %d x %d", N, w, h);
  return HG_OK;
}

/*
 * images=fashion-mnist: n_images clean images from Fashion-MNIST's test split (chosen by seed=
 * among all ten classes).  size <= 28: each image resized to size x size by area averaging;
 * size > 28: k = ceil(size/28) squared images tiled k x k and the centre size x size cropped.
 */
static int fashion_pairs(const hg_params *p, hg_pairs *pairs, hg_error *err)
{
  int N = (int)hg_params_int(p, "n_images"), size = (int)hg_params_int(p, "size"), rc;
  int k = size > 28 ? (size + 27) / 28 : 1, side = size > 0 ? size : 28;
  hg_dataset_opts o = {NULL, "test", (long)N * k * k, 0, NULL, 0, "unit",
                       (uint64_t)hg_params_int(p, "seed")};
  hg_dataset ds;
  hg_image tile = {0, 0, NULL}, out = {0, 0, NULL};

  if ((rc = hg_fashion_mnist(&o, &ds, err)))
    return rc;
  snprintf(pairs->source, sizeof pairs->source, "Fashion-MNIST test images%s",
           k > 1 ? ", tiled" : "");
  if ((rc = alloc_pairs(pairs, N, side, side, err)) ||
      (rc = hg_image_create(28 * k, 28 * k, &tile, err)))
    goto done;
  for (int i = 0; i < N && !rc; i++) {
    for (int t = 0; t < k * k; t++) { /* image i k^2 + t into tile (t / k, t % k) */
      const double *src = ds.X->val + (size_t)(i * k * k + t) * 784;
      for (int y = 0; y < 28; y++)
        memcpy(tile.px + (size_t)((t / k) * 28 + y) * tile.w + (t % k) * 28, src + y * 28,
               28 * sizeof *src);
    }
    rc = side <= 28 ? (side == 28 ? hg_image_crop(&tile, 0, 0, 28, 28, &out, err)
                                  : hg_image_resize(&tile, side, side, &out, err))
                    : hg_image_crop(&tile, (tile.w - side) / 2, (tile.h - side) / 2, side, side,
                                    &out, err);
    if (!rc)
      rc = put(pairs, pairs->clean, i, &out, "images", err);
    hg_image_free(&out);
  }

done:
  hg_image_free(&tile);
  hg_dataset_free(&ds);
  return rc;
}

int hg_pairs_load(const hg_params *p, hg_pairs *pairs, hg_error *err)
{
  const char *clean = hg_params_str(p, "clean"), *noisy = hg_params_str(p, "noisy");
  const char *images = hg_params_str(p, "images");
  int size = (int)hg_params_int(p, "size"), rc = HG_OK;
  double sigma = hg_params_real(p, "noise");
  hg_rng rng;
  hg_image im = {0, 0, NULL};

  memset(pairs, 0, sizeof *pairs);
  hg_rng_seed(&rng, (uint64_t)hg_params_int(p, "seed"));
  if (clean || noisy) { /* pairs as stored */
    if (!clean || !noisy)
      return hg_fail(err, HG_ERR_ARG, "clean= and noisy= go together (%s= is missing)",
                     clean ? "noisy" : "clean");
    int N = count_items(clean);
    if (count_items(noisy) != N)
      return hg_fail(err, HG_ERR_ARG, "clean= lists %d images and noisy= %d: they must pair up",
                     N, count_items(noisy));
    snprintf(pairs->source, sizeof pairs->source, "pairs from files");
    for (int i = 0; i < N && !rc; i++) {
      rc = load_file("clean", clean, i, size, &im, err);
      if (!rc && i == 0)
        rc = alloc_pairs(pairs, N, im.w, im.h, err);
      if (!rc)
        rc = put(pairs, pairs->clean, i, &im, "clean", err);
      hg_image_free(&im);
      if (!rc)
        rc = load_file("noisy", noisy, i, size, &im, err);
      if (!rc)
        rc = put(pairs, pairs->noisy, i, &im, "noisy", err);
      hg_image_free(&im);
    }
  } else if (!strcmp(images, "fashion-mnist")) {
    rc = fashion_pairs(p, pairs, err);
  } else if (!strcmp(images, "synthetic")) {
    int N = (int)hg_params_int(p, "n_images");
    if (size < 2)
      return hg_fail(err, HG_ERR_ARG, "size=%d: synthetic images need a side of at least 2",
                     size);
    snprintf(pairs->source, sizeof pairs->source, "synthetic");
    rc = alloc_pairs(pairs, N, size, size, err);
    for (int i = 0; i < N && !rc; i++) {
      rc = hg_image_synthetic(size, size, hg_rng_next(&rng), &im, err);
      if (!rc)
        rc = put(pairs, pairs->clean, i, &im, "images", err);
      hg_image_free(&im);
    }
  } else { /* a file list, noise added */
    int N = count_items(images);
    snprintf(pairs->source, sizeof pairs->source, "files");
    for (int i = 0; i < N && !rc; i++) {
      rc = load_file("images", images, i, size, &im, err);
      if (!rc && i == 0)
        rc = alloc_pairs(pairs, N, im.w, im.h, err);
      if (!rc)
        rc = put(pairs, pairs->clean, i, &im, "images", err);
      hg_image_free(&im);
    }
  }
  if (!rc && !(clean || noisy)) { /* f = clean + noise, from the same generator */
    for (size_t j = 0; j < (size_t)pairs->N * pairs->P; j++)
      pairs->noisy[j] = pairs->clean[j] + sigma * hg_rng_normal(&rng);
  }
  if (rc)
    hg_pairs_free(pairs);
  return rc;
}

int hg_diff_operator(int w, int h, hg_matrix **D, hg_error *err)
{
  int P = w * h, row = 0;
  long nnz = 0;
  int rc = hg_matrix_create(2 * P, P, 1, 2L * (P - h) + 2L * (P - w), D, err);
  if (rc)
    return rc;
  hg_matrix *M = *D;
  for (int dir = 0; dir < 2; dir++)
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++, row++) {
        M->rowptr[row] = (int)nnz;
        int next = dir == 0 ? (x < w - 1 ? y * w + x + 1 : -1) : (y < h - 1 ? (y + 1) * w + x : -1);
        if (next < 0)
          continue; /* Neumann boundary: the last difference is 0 */
        M->colind[nnz] = y * w + x;
        M->val[nnz++] = -1;
        M->colind[nnz] = next;
        M->val[nnz++] = 1;
      }
  M->rowptr[row] = (int)nnz;
  return HG_OK;
}

/* Half-sample symmetric reflection of index i into [0, n). */
static int reflect(int i, int n)
{
  int period = 2 * n;
  i %= period;
  if (i < 0)
    i += period;
  return i < n ? i : period - 1 - i;
}

int hg_blur_operator(int w, int h, int size, double sigma, hg_matrix **A, hg_error *err)
{
  int P = w * h, r = size / 2, rc;
  double *k = malloc((size_t)size * size * sizeof *k), total = 0;
  double *row = calloc((size_t)P, sizeof *row);
  int *cols = malloc((size_t)size * size * sizeof *cols);

  *A = NULL;
  if (!k || !row || !cols) {
    rc = hg_fail(err, HG_ERR_NOMEM, "out of memory for a blur of %d x %d taps", size, size);
    goto done;
  }
  for (int b = -r; b <= r; b++)
    for (int a = -r; a <= r; a++)
      total += k[(b + r) * size + a + r] = exp(-(a * a + b * b) / (2 * sigma * sigma));
  for (int i = 0; i < size * size; i++)
    k[i] /= total;
  if ((rc = hg_matrix_create(P, P, 1, (long)P * size * size, A, err)))
    goto done;
  hg_matrix *M = *A;
  long nnz = 0;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      int nc = 0;
      M->rowptr[y * w + x] = (int)nnz;
      for (int b = -r; b <= r; b++)
        for (int a = -r; a <= r; a++) {
          int col = reflect(y + b, h) * w + reflect(x + a, w);
          if (row[col] == 0)
            cols[nc++] = col;
          row[col] += k[(b + r) * size + a + r];
        }
      /* increasing columns, merged taps; row[] cleared for the next pixel */
      for (int i = 1; i < nc; i++)
        for (int j = i; j > 0 && cols[j - 1] > cols[j]; j--) {
          int t = cols[j];
          cols[j] = cols[j - 1];
          cols[j - 1] = t;
        }
      for (int i = 0; i < nc; i++) {
        M->colind[nnz] = cols[i];
        M->val[nnz++] = row[cols[i]];
        row[cols[i]] = 0;
      }
    }
  M->rowptr[P] = (int)nnz;
  M->nnz = nnz;

done:
  free(k);
  free(row);
  free(cols);
  return rc;
}

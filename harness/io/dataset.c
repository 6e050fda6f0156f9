/*
 * dataset.c -- real data out of the box (DESIGN §3 "Real data"): IDX files (the MNIST format:
 * a big-endian header, then unsigned bytes), read through zlib so gzip-compressed and plain
 * files both work, and the Fashion-MNIST data set of Debian's dataset-fashion-mnist package
 * with deterministic subsampling, class selection, area downsampling and normalization.
 */
#include "hg_io.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define IDX_GZIP_RATIO 1032 /* deflate expands a byte to at most about 1032 */

void hg_idx_free(hg_idx *x)
{
  if (!x)
    return;
  free(x->data);
  memset(x, 0, sizeof *x);
}

/* Read exactly len bytes; 0 at a short read or an error. */
static int read_exact(gzFile f, void *buf, unsigned len)
{
  return len == 0 || gzread(f, buf, len) == (int)len;
}

int hg_idx_read(const char *path, hg_idx *x, hg_error *err)
{
  return hg_idx_read_lim(path, NULL, x, err);
}

/* The gzip stream of the regular file path (hg_open_regular), *size its bytes on disk and
 * *gz whether it is compressed (else zlib reads it as it is). */
static int idx_open(const char *path, const hg_limits *L, gzFile *out, long long *size,
                    int *gz, hg_error *err)
{
  unsigned char magic[2] = {0, 0};
  FILE *f;
  int rc = hg_open_regular(path, "IDX file", L->max_file_bytes, &f, size, err);

  *out = NULL;
  if (rc)
    return rc;
  *gz = fread(magic, 1, 2, f) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
  rewind(f);
  int fd = dup(fileno(f)); /* gzclose closes fd, fclose the original */
  fclose(f);
  if (fd >= 0 && !(*out = gzdopen(fd, "rb")))
    close(fd);
  if (!*out)
    return hg_fail(err, HG_ERR_IO, "cannot open IDX file '%s': %s", path,
                   fd < 0 ? strerror(errno) : "out of memory");
  return HG_OK;
}

int hg_idx_read_lim(const char *path, const hg_limits *lim, hg_idx *x, hg_error *err)
{
  unsigned char head[4], d[4];
  int rc = HG_OK, gz = 0;
  long long size = 0;
  hg_limits own;
  const hg_limits *L = hg_limits_or_default(lim, &own);
  gzFile f;

  memset(x, 0, sizeof *x);
  if ((rc = idx_open(path, L, &f, &size, &gz, err)))
    return rc;
  /* what the file can hold: its bytes after the header, or deflate's largest expansion */
  double room = gz ? (double)size * IDX_GZIP_RATIO : (double)size;
  /* magic: two zero bytes, the element type (0x08: unsigned byte), the number of dimensions */
  if (!read_exact(f, head, 4) || head[0] != 0 || head[1] != 0) {
    rc = hg_fail(err, HG_ERR_PARSE, "'%s': not an IDX file (bad magic number)", path);
    goto done;
  }
  if (head[2] != 0x08) {
    rc = hg_fail(err, HG_ERR_PARSE, "'%s': IDX element type 0x%02x is not supported (only "
                 "0x08, unsigned bytes)", path, head[2]);
    goto done;
  }
  if (head[3] < 1 || head[3] > HG_IDX_MAX_DIMS) {
    rc = hg_fail(err, HG_ERR_PARSE, "'%s': %d IDX dimensions (1 to %d supported)", path,
                 head[3], HG_IDX_MAX_DIMS);
    goto done;
  }
  x->ndim = head[3];
  long total = 1;
  for (int i = 0; i < x->ndim; i++) {
    if (!read_exact(f, d, 4)) {
      rc = hg_fail(err, HG_ERR_PARSE, "'%s': truncated IDX header", path);
      goto done;
    }
    unsigned long v = (unsigned long)d[0] << 24 | (unsigned long)d[1] << 16 |
                      (unsigned long)d[2] << 8 | d[3];
    if (v == 0 || (double)total * v > (double)L->max_idx_bytes) {
      rc = hg_fail(err, HG_ERR_PARSE, "'%s': IDX dimension %d is %lu (the data would exceed "
                   "the limit of %lld bytes)", path, i + 1, v, L->max_idx_bytes);
      goto done;
    }
    if ((double)total * v > room) {
      rc = hg_fail(err, HG_ERR_PARSE, "'%s': truncated IDX file: dimension %d is %lu, more "
                   "data than its %lld bytes%s can hold", path, i + 1, v, size,
                   gz ? " (gzip)" : "");
      goto done;
    }
    x->dims[i] = (int)v;
    total *= (long)v;
  }
  x->data = malloc((size_t)total);
  if (!x->data) {
    rc = hg_fail(err, HG_ERR_NOMEM, "'%s': out of memory for %ld bytes", path, total);
    goto done;
  }
  for (long off = 0; off < total;) { /* gzread takes an unsigned count: read in chunks */
    unsigned chunk = (unsigned)(total - off < (1L << 30) ? total - off : (1L << 30));
    if (!read_exact(f, x->data + off, chunk)) {
      rc = hg_fail(err, HG_ERR_PARSE, "'%s': truncated IDX data (the header announces %ld "
                   "bytes)", path, total);
      goto done;
    }
    off += chunk;
  }

done:
  gzclose(f);
  if (rc)
    hg_idx_free(x);
  return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* Fashion-MNIST                                                                               */
/* ------------------------------------------------------------------------------------------ */

/* Parse "0,6" into a 10-entry mask; NULL or "" selects every class. */
static int parse_classes(const char *s, int mask[10], int *count, hg_error *err)
{
  *count = 0;
  for (int c = 0; c < 10; c++)
    mask[c] = !s || !*s;
  if (!s || !*s) {
    *count = 10;
    return HG_OK;
  }
  for (const char *p = s; *p;) {
    char *end;
    long c = strtol(p, &end, 10);
    if (end == p || c < 0 || c > 9 || (*end && *end != ','))
      return hg_fail(err, HG_ERR_ARG, "classes=%s: expected class numbers 0..9 separated by "
                     "commas", s);
    if (!mask[c])
      (*count)++;
    mask[c] = 1;
    p = *end ? end + 1 : end;
  }
  if (*count < 2)
    return hg_fail(err, HG_ERR_ARG, "classes=%s: a task needs at least 2 classes", s);
  return HG_OK;
}

/* The examples of the classes in mask among the labels lab (read from lab_path), of which a
 * seeded partial Fisher-Yates shuffle picks o->n + o->n_val: *pick (malloc'ed) gets the n
 * training examples then the n_val validation ones, each part back in file order. */
static int pick_examples(const hg_dataset_opts *o, const hg_idx *lab, const char *lab_path,
                         const int mask[10], int test, int **pick_out, hg_error *err)
{
  int N = lab->dims[0], rc = HG_OK, avail = 0;
  int *pick = malloc((size_t)N * sizeof *pick);

  *pick_out = NULL;
  if (!pick)
    return hg_fail(err, HG_ERR_NOMEM, "out of memory for %d examples", N);
  for (int i = 0; i < N; i++) {
    if (lab->data[i] > 9) {
      rc = hg_fail(err, HG_ERR_PARSE, "'%s': label %d of example %d is not a class 0..9",
                   lab_path, lab->data[i], i + 1);
      goto done;
    }
    if (mask[lab->data[i]])
      pick[avail++] = i;
  }
  long want = o->n + o->n_val;
  if (o->n < 1 || o->n_val < 0 || want > avail) {
    rc = hg_fail(err, HG_ERR_ARG, "n=%ld and n_val=%ld: the %s split has %d examples of the "
                 "chosen classes", o->n, o->n_val, test ? "test" : "train", avail);
    goto done;
  }
  hg_rng rng;
  hg_rng_seed(&rng, o->seed);
  for (long i = 0; i < want; i++) {
    long j = i + (long)(hg_rng_uniform(&rng) * (double)(avail - i));
    int t = pick[i];
    pick[i] = pick[j];
    pick[j] = t;
  }
  for (int part = 0; part < 2; part++) { /* insertion sort: the parts are small */
    int *a = pick + (part ? o->n : 0);
    long len = part ? o->n_val : o->n;
    for (long i = 1; i < len; i++)
      for (long j = i; j > 0 && a[j - 1] > a[j]; j--) {
        int t = a[j];
        a[j] = a[j - 1];
        a[j - 1] = t;
      }
  }

done:
  if (rc)
    free(pick);
  else
    *pick_out = pick;
  return rc;
}

/* One part of a data set: the len examples idx of img (side x side) and lab, downsampled to
 * out_side x out_side by area averaging, pixels in [0, 1], as the dense rows of *X and the
 * labels *y (both allocated here; the caller frees them on failure too). */
static int load_part(const hg_idx *img, const hg_idx *lab, const int *idx, long len, int side,
                     int out_side, hg_matrix **X, double **y, hg_error *err)
{
  int d = out_side * out_side, rc;
  hg_image full = {0, 0, NULL}, small = {0, 0, NULL};

  if ((rc = hg_matrix_create((int)len, d, 0, len * d, X, err)))
    return rc;
  *y = malloc((size_t)len * sizeof **y);
  if (!*y)
    return hg_fail(err, HG_ERR_NOMEM, "out of memory for %ld labels", len);
  if ((rc = hg_image_create(side, side, &full, err)))
    return rc;
  for (long r = 0; r < len && !rc; r++) {
    const unsigned char *src = img->data + (size_t)idx[r] * side * side;
    for (int p = 0; p < side * side; p++)
      full.px[p] = src[p] / 255.0;
    double *row = (*X)->val + (size_t)r * d;
    if (out_side == side) {
      memcpy(row, full.px, (size_t)d * sizeof *row);
    } else {
      if ((rc = hg_image_resize(&full, out_side, out_side, &small, err)))
        break;
      memcpy(row, small.px, (size_t)d * sizeof *row);
      hg_image_free(&small);
    }
    (*y)[r] = lab->data[idx[r]];
  }
  hg_image_free(&full);
  return rc;
}

/* normalize=standardize: per pixel, the training part's (n rows of d) mean and deviation,
 * applied to both parts (a pixel constant over the training part is only centred). */
static void standardize(hg_dataset *ds, long n, int d)
{
  for (int p = 0; p < d; p++) {
    double mean = 0, var = 0;
    for (long r = 0; r < n; r++)
      mean += ds->X->val[(size_t)r * d + p];
    mean /= (double)n;
    for (long r = 0; r < n; r++) {
      double v = ds->X->val[(size_t)r * d + p] - mean;
      var += v * v;
    }
    double sd = sqrt(var / (double)n);
    for (int part = 0; part < 2; part++) {
      hg_matrix *M = part ? ds->X_val : ds->X;
      for (long r = 0; M && r < M->rows; r++) {
        double *v = &M->val[(size_t)r * d + p];
        *v = sd > 0 ? (*v - mean) / sd : *v - mean;
      }
    }
  }
}

/* ds->source: split, sizes, the classes of mask, image side, normalization, seed. */
static void describe_source(const hg_dataset_opts *o, const int mask[10], int nclasses,
                            int test, int out_side, hg_dataset *ds)
{
  char list[32] = "", *lp = list; /* the classes chosen, "0,6" (at most 10 digits and commas) */

  for (int c = 0; c < 10; c++)
    if (mask[c])
      lp += sprintf(lp, "%s%d", lp == list ? "" : ",", c);
  snprintf(ds->source, sizeof ds->source, "Fashion-MNIST %s, %ld + %ld examples of %d "
           "classes (%s), %dx%d%s, seed %llu", test ? "test" : "train", o->n, o->n_val,
           nclasses, list, out_side, out_side,
           o->normalize && !strcmp(o->normalize, "standardize") ? " standardized" : "",
           (unsigned long long)o->seed);
}

int hg_fashion_mnist(const hg_dataset_opts *o, hg_dataset *ds, hg_error *err)
{
  static const char *const split_files[2][2] = {
    {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"},
    {"t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"}};
  const char *dir = o->path && *o->path ? o->path : HG_FASHION_MNIST_DIR;
  int test = o->split && !strcmp(o->split, "test"), rc, mask[10], nclasses;
  char path[2][1100];
  hg_idx img = {0}, lab = {0};
  int *pick = NULL;

  memset(ds, 0, sizeof *ds);
  if (o->split && strcmp(o->split, "train") && strcmp(o->split, "test"))
    return hg_fail(err, HG_ERR_ARG, "split=%s: train or test", o->split);
  if ((rc = parse_classes(o->classes, mask, &nclasses, err)))
    return rc;
  for (int k = 0; k < 2; k++)
    snprintf(path[k], sizeof path[k], "%s/%s", dir, split_files[test][k]);
  rc = hg_idx_read(path[0], &img, err);
  if (rc == HG_ERR_IO && !(o->path && *o->path))
    return hg_fail(err, HG_ERR_IO, "Fashion-MNIST not found at %s: install the Debian package "
                   "dataset-fashion-mnist (apt-get install dataset-fashion-mnist) or give "
                   "path=DIR", dir);
  if (rc || (rc = hg_idx_read(path[1], &lab, err)))
    goto done;
  if (img.ndim != 3 || lab.ndim != 1 || img.dims[0] != lab.dims[0] || img.dims[1] != img.dims[2]) {
    rc = hg_fail(err, HG_ERR_PARSE, "'%s' and '%s': expected N square images and N labels "
                 "(got %d dimensions, %d labels)", path[0], path[1], img.ndim, lab.dims[0]);
    goto done;
  }
  int side = img.dims[1], out_side = o->downsample > 0 ? o->downsample : side;
  if (out_side > side) {
    rc = hg_fail(err, HG_ERR_ARG, "downsample=%d: at most the images' side, %d", out_side, side);
    goto done;
  }
  if ((rc = pick_examples(o, &lab, path[1], mask, test, &pick, err)))
    goto done;

  /* the images, downsampled by area averaging and normalized */
  int d = out_side * out_side;
  if ((rc = load_part(&img, &lab, pick, o->n, side, out_side, &ds->X, &ds->y, err)))
    goto done;
  if (o->n_val > 0 && (rc = load_part(&img, &lab, pick + o->n, o->n_val, side, out_side,
                                      &ds->X_val, &ds->y_val, err)))
    goto done;
  if (o->normalize && !strcmp(o->normalize, "standardize"))
    standardize(ds, o->n, d);
  else if (o->normalize && strcmp(o->normalize, "unit"))
    rc = hg_fail(err, HG_ERR_ARG, "normalize=%s: unit (pixels in [0, 1]) or standardize",
                 o->normalize);
  ds->side = out_side;
  ds->classes = nclasses;
  describe_source(o, mask, nclasses, test, out_side, ds);

done:
  free(pick);
  hg_idx_free(&img);
  hg_idx_free(&lab);
  if (rc)
    hg_dataset_free(ds);
  return rc;
}

void hg_dataset_free(hg_dataset *ds)
{
  hg_matrix_destroy(&ds->X);
  hg_matrix_destroy(&ds->X_val);
  free(ds->y);
  free(ds->y_val);
  memset(ds, 0, sizeof *ds);
}

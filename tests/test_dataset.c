/*
 * test_dataset.c -- harness/io/dataset.c: the IDX reader and the Fashion-MNIST loader.
 *
 *   - a small IDX file written here byte by byte, plain and gzip-compressed (zlib), reads back
 *     with its dimensions and every byte;
 *   - a bad magic number, an unsupported element type, a header announcing more than the
 *     limit and truncated data are errors naming the file;
 *   - Fashion-MNIST (Debian's dataset-fashion-mnist; its absence FAILS, naming the package):
 *     classes=0,6 n=100 n_val=50 downsample=14 gives 100 x 196 and 50 x 196 rows in [0, 1],
 *     labels in {0, 6}, the same rows for the same seed and others for another, every row the
 *     2 x 2 block means of its image as read directly from the IDX file, the training and
 *     validation parts disjoint; standardize gives training columns of mean 0.
 *
 * usage: test_dataset SCRATCH_DIR
 */
#include "hg_cli.h"
#include "testing.h"

#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

static const unsigned char idx_bytes[] = {
  0, 0, 0x08, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3, /* 2 x 2 x 3 */
  1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 255};

static void write_plain(const char *path, const unsigned char *b, size_t n)
{
  FILE *f = fopen(path, "wb");
  if (f) {
    fwrite(b, 1, n, f);
    fclose(f);
  }
}

static void write_gz(const char *path, const unsigned char *b, size_t n)
{
  gzFile f = gzopen(path, "wb");
  if (f) {
    gzwrite(f, b, (unsigned)n);
    gzclose(f);
  }
}

static void expect_error(const char *path, const char *what)
{
  hg_idx x;
  hg_error err;
  hg_error_clear(&err);
  int rc = hg_idx_read(path, &x, &err);
  check(rc != HG_OK && strstr(err.msg, path) && x.data == NULL, "%s is an error naming the "
        "file (%s)", what, err.msg);
}

static void test_idx(const char *dir)
{
  char plain[1024], gz[1024], bad[1024];
  hg_idx a, b;
  hg_error err;

  snprintf(plain, sizeof plain, "%s/t.idx", dir);
  snprintf(gz, sizeof gz, "%s/t.idx.gz", dir);
  write_plain(plain, idx_bytes, sizeof idx_bytes);
  write_gz(gz, idx_bytes, sizeof idx_bytes);
  hg_error_clear(&err);
  int ra = hg_idx_read(plain, &a, &err), rb = hg_idx_read(gz, &b, &err);
  check(ra == HG_OK && rb == HG_OK && a.ndim == 3 && a.dims[0] == 2 && a.dims[1] == 2 &&
        a.dims[2] == 3 && b.ndim == 3 && !memcmp(a.data, idx_bytes + 16, 12) &&
        !memcmp(b.data, idx_bytes + 16, 12), "IDX 2x2x3, plain and gzip: dimensions and bytes");
  hg_idx_free(&a);
  hg_idx_free(&b);

  unsigned char v[sizeof idx_bytes];
  memcpy(v, idx_bytes, sizeof v);
  v[1] = 1;
  snprintf(bad, sizeof bad, "%s/magic.idx", dir);
  write_plain(bad, v, sizeof v);
  expect_error(bad, "a bad magic number");
  memcpy(v, idx_bytes, sizeof v);
  v[2] = 0x0D;
  snprintf(bad, sizeof bad, "%s/float.idx", dir);
  write_plain(bad, v, sizeof v);
  expect_error(bad, "element type 0x0D (float)");
  memcpy(v, idx_bytes, sizeof v);
  v[4] = v[5] = v[6] = v[7] = 0xff;
  snprintf(bad, sizeof bad, "%s/huge.idx", dir);
  write_gz(bad, v, sizeof v);
  expect_error(bad, "a header announcing 2^32 x 6 bytes");
  snprintf(bad, sizeof bad, "%s/short.idx.gz", dir);
  write_gz(bad, idx_bytes, sizeof idx_bytes - 3);
  expect_error(bad, "truncated data");
  snprintf(bad, sizeof bad, "%s/missing.idx", dir);
  expect_error(bad, "a missing file");
}

static void test_fashion(void)
{
  hg_dataset_opts o = {NULL, "train", 100, 50, "0,6", 14, "unit", 1};
  hg_dataset a, b, c;
  hg_error err;
  struct stat st;

  if (stat(HG_FASHION_MNIST_DIR, &st) != 0) {
    check(0, "Fashion-MNIST is installed at %s (apt-get install dataset-fashion-mnist)",
          HG_FASHION_MNIST_DIR);
    return;
  }
  hg_error_clear(&err);
  int rc = hg_fashion_mnist(&o, &a, &err);
  check(rc == HG_OK && a.X->rows == 100 && a.X->cols == 196 && a.X_val->rows == 50 &&
        a.side == 14 && a.classes == 2, "classes=0,6 n=100 n_val=50 downsample=14: 100 x 196 "
        "and 50 x 196 (%s)", err.msg);
  if (rc)
    return;
  int labels_ok = 1, range_ok = 1;
  for (int i = 0; i < 100; i++)
    labels_ok = labels_ok && (a.y[i] == 0 || a.y[i] == 6);
  for (long i = 0; i < 100L * 196; i++)
    range_ok = range_ok && a.X->val[i] >= 0 && a.X->val[i] <= 1;
  check(labels_ok && range_ok, "labels in {0, 6}, pixels in [0, 1]");

  rc = hg_fashion_mnist(&o, &b, &err);
  o.seed = 2;
  int rc2 = hg_fashion_mnist(&o, &c, &err);
  check(!rc && !rc2 && !memcmp(a.X->val, b.X->val, 100 * 196 * sizeof(double)) &&
        memcmp(a.X->val, c.X->val, 100 * 196 * sizeof(double)),
        "the same rows for the same seed, others for another");
  if (!rc)
    hg_dataset_free(&b);
  if (!rc2)
    hg_dataset_free(&c);

  /* every row: the 2 x 2 block means of one image of the IDX file; training and validation
   * rows are different images */
  hg_idx img;
  rc = hg_idx_read(HG_FASHION_MNIST_DIR "/train-images-idx3-ubyte.gz", &img, &err);
  int found_all = rc == HG_OK, disjoint = 1;
  int *which = calloc(150, sizeof *which);
  for (int r = 0; found_all && r < 150; r++) {
    const double *row = r < 100 ? a.X->val + (size_t)r * 196 : a.X_val->val + (size_t)(r - 100) * 196;
    int hit = -1;
    for (int i = 0; i < img.dims[0] && hit < 0; i++) {
      const unsigned char *p = img.data + (size_t)i * 784;
      int same = 1;
      for (int y = 0; y < 14 && same; y++)
        for (int x = 0; x < 14 && same; x++) {
          double m = (p[(2 * y) * 28 + 2 * x] + p[(2 * y) * 28 + 2 * x + 1] +
                      p[(2 * y + 1) * 28 + 2 * x] + p[(2 * y + 1) * 28 + 2 * x + 1]) / (4 * 255.0);
          same = fabs(m - row[y * 14 + x]) < 1e-12;
        }
      if (same)
        hit = i;
    }
    found_all = hit >= 0;
    which[r] = hit;
    for (int q = 0; q < r && r >= 100; q++)
      disjoint = disjoint && (q >= 100 || which[q] != hit);
  }
  check(found_all && disjoint, "every row is the 2 x 2 block means of an image of the file; "
        "training and validation images disjoint");
  free(which);
  hg_idx_free(&img);

  o.seed = 1;
  o.normalize = "standardize";
  rc = hg_fashion_mnist(&o, &b, &err);
  double worst = 0;
  for (int p = 0; !rc && p < 196; p++) {
    double mean = 0;
    for (int r = 0; r < 100; r++)
      mean += b.X->val[(size_t)r * 196 + p];
    worst = fmax(worst, fabs(mean / 100));
  }
  check(!rc && worst < 1e-12, "standardize: training columns of mean 0 (largest |mean| %.2g)",
        worst);
  if (!rc)
    hg_dataset_free(&b);
  o.classes = "3";
  check(hg_fashion_mnist(&o, &b, &err) == HG_ERR_ARG && strstr(err.msg, "classes=3"),
        "classes=3 (one class) refused: %s", err.msg);
  o.classes = "0,6";
  o.n = 20000;
  check(hg_fashion_mnist(&o, &b, &err) == HG_ERR_ARG && strstr(err.msg, "n=20000"),
        "n=20000 beyond the 12000 examples of classes 0 and 6 refused: %s", err.msg);
  hg_dataset_free(&a);
}

int main(int argc, char **argv)
{
  const char *dir = argc > 1 ? argv[1] : ".";
  mkdir(dir, 0755);
  test_idx(dir);
  test_fashion();
  printf("%d checks, %d failures\n", checks, failures);
  return failures ? 1 : 0;
}

/*
 * test_limits.c -- the readers' bounds (issue 17): hg_text cuts off a file that grows while it
 * is read and refuses a NUL byte; hg_open_regular refuses what is not a regular file;
 * hg_limits_budget tightens the limits and the *_lim readers obey a caller's limits;
 * hg_path_fits refuses a path that does not fit.
 *
 *   test_limits SCRATCH_DIR
 */
#include "testing.h"

#include <string.h>
#include <sys/stat.h>

/* Write text to path; 0 on failure. */
static int write_file(const char *path, const char *mode, const char *text, size_t len)
{
  FILE *f = fopen(path, mode);
  int ok = f && fwrite(text, 1, len, f) == len;
  return f && fclose(f) == 0 && ok;
}

int main(int argc, char **argv)
{
  char path[1024], big[4096];
  hg_error err;
  hg_text t;
  int got, rc;

  if (argc < 2) {
    fprintf(stderr, "usage: %s SCRATCH_DIR\n", argv[0]);
    return 2;
  }
  mkdir(argv[1], 0777);

  /* a file that grows by more than HG_TEXT_GROWTH after it was opened is cut off */
  snprintf(path, sizeof path, "%s/grow.txt", argv[1]);
  check(write_file(path, "w", "1 1:1\n", 6), "write %s", path);
  hg_error_clear(&err);
  rc = hg_text_open(&t, path, "", 0, &err);
  check(rc == HG_OK && t.size == 6, "hg_text_open: size %lld at open", t.size);
  memset(big, 'x', sizeof big);
  for (long n = 0; n < HG_TEXT_GROWTH + 8192; n += (long)sizeof big)
    write_file(path, "a", big, sizeof big);
  while (!(rc = hg_text_next(&t, &got, &err)) && got)
    ;
  check(rc == HG_ERR_IO && strstr(err.msg, "grew while it was read"),
        "a growing file is cut off: %s", err.msg);
  check(t.nread <= t.max_read + 1, "read %lld bytes, at most %lld", t.nread, t.max_read);
  hg_text_close(&t);

  /* a NUL byte names its line */
  snprintf(path, sizeof path, "%s/nul.txt", argv[1]);
  check(write_file(path, "w", "1\n2\0x\n", 6), "write %s", path);
  hg_error_clear(&err);
  rc = hg_text_open(&t, path, "", 0, &err);
  while (!rc && !(rc = hg_text_next(&t, &got, &err)) && got)
    ;
  check(rc == HG_ERR_PARSE && strstr(err.msg, "nul.txt:2: a NUL byte"), "NUL: %s", err.msg);
  hg_text_close(&t);

  /* a long line is one line */
  snprintf(path, sizeof path, "%s/long.txt", argv[1]);
  {
    static char line[300001];
    memset(line, '7', sizeof line - 1);
    line[sizeof line - 2] = '\n';
    check(write_file(path, "w", line, sizeof line - 1), "write %s", path);
  }
  hg_error_clear(&err);
  rc = hg_text_open(&t, path, "", 0, &err);
  if (!rc)
    rc = hg_text_next(&t, &got, &err);
  check(rc == HG_OK && got && t.len == 299999 && t.lineno == 1, "a 300 kB line read whole "
        "(%zu bytes)", t.len);
  hg_text_close(&t);

  /* only regular files, and the size limit at open */
  hg_error_clear(&err);
  FILE *f = NULL;
  rc = hg_open_regular(argv[1], "data file", 0, &f, NULL, &err);
  check(rc && !f && strstr(err.msg, "is a directory"), "a directory: %s", err.msg);
  rc = hg_open_regular("/dev/null", "data file", 0, &f, NULL, &err);
  check(rc && !f && strstr(err.msg, "is a device"), "a device: %s", err.msg);
  rc = hg_open_regular(path, "data file", 1000, &f, NULL, &err);
  check(rc && !f && strstr(err.msg, "more than the limit of 1000"), "too large: %s", err.msg);

  /* a caller's limits, and a memory budget tightening them */
  hg_limits lim;
  hg_matrix *X = NULL;
  double *y = NULL;
  hg_limits_default(&lim);
  hg_limits_budget(&lim, 64 * 100); /* 100 columns' worth */
  check(lim.max_cols == 100 && lim.max_nnz == 400 && lim.max_image_pixels == 800,
        "hg_limits_budget: %ld columns, %lld entries, %lld pixels", lim.max_cols, lim.max_nnz,
        lim.max_image_pixels);
  snprintf(path, sizeof path, "%s/wide.svm", argv[1]);
  check(write_file(path, "w", "1 1:1 101:2\n-1 2:1\n", 19), "write %s", path);
  hg_error_clear(&err);
  rc = hg_data_read_lim(path, NULL, &lim, &X, &y, &err);
  check(rc && !X && !y && strstr(err.msg, "wide.svm:1: feature index 101 is beyond the limit "
        "of 100 features"), "hg_data_read_lim: %s", err.msg);
  rc = hg_data_read(path, NULL, &X, &y, &err);
  check(rc == HG_OK && X && X->cols == 101, "hg_data_read: the defaults admit it");
  hg_matrix_destroy(&X);
  free(y);
  rc = hg_limits_images(&lim, "size=30", 1, 30, 30, &err);
  check(rc && strstr(err.msg, "size=30: a 30 x 30 image is beyond the limit of 800 pixels"),
        "hg_limits_images: %s", err.msg);

  /* an output path that does not fit */
  memset(big, 'p', 2000);
  big[2000] = '\0';
  rc = hg_path_fits("--out", big, 1024, 128, &err);
  check(rc == HG_ERR_ARG && strstr(err.msg, "2000 bytes long: at most 895 fit"), "%s", err.msg);
  check(hg_path_fits("--out", "out/x", 1024, 128, &err) == HG_OK, "a short path fits");

  printf("%d checks, %d failures\n", checks, failures);
  return failures ? 1 : 0;
}

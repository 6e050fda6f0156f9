/*
 * test_data.c -- data matrices, data file readers (harness/io/data.c) and extreme eigenvalues
 * (harness/core/eig.c).
 *
 * Usage: test_data FIXTURE_DIR   (the tests/data directory)
 * Prints one line per check ("ok" or "FAIL") and exits non-zero if any check failed.
 * Error cases beyond the fixtures are written to a fresh temporary directory, removed at the
 * end.
 */
#include "hg_cli.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int n_checks, n_failed;

/* Record one check: "ok   <what>" or "FAIL <what>". */
static void check(int pass, const char *fmt, ...)
{
  va_list ap;
  n_checks++;
  n_failed += !pass;
  printf("%s ", pass ? "ok  " : "FAIL");
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  putchar('\n');
}

static const char *fixture_dir;
static char tmp_dir[] = "/tmp/hgbench_test_data_XXXXXX";

/* dir/name in a rotating static buffer (a few may be alive at once). */
static const char *join(const char *dir, const char *name)
{
  static char buf[4][1024];
  static int next;
  char *b = buf[next++ % 4];
  snprintf(b, sizeof buf[0], "%s/%s", dir, name);
  return b;
}

/* Write text to tmp_dir/name and return the path; records the name for removal. */
static const char *tmp_names[64];
static int n_tmp;
static const char *write_tmp(const char *name, const char *text)
{
  const char *path = join(tmp_dir, name);
  FILE *f = fopen(path, "w");
  if (f) {
    fputs(text, f);
    fclose(f);
  }
  if (n_tmp < 64)
    tmp_names[n_tmp++] = name;
  return path;
}

/* The largest |A - B| over a dense copy of both, or INFINITY if their shapes differ. */
static double matrix_diff(const hg_matrix *A, const hg_matrix *B)
{
  hg_matrix *a = NULL, *b = NULL;
  double d = INFINITY;
  if (A->rows == B->rows && A->cols == B->cols && hg_matrix_convert(A, 0, &a, NULL) == HG_OK &&
      hg_matrix_convert(B, 0, &b, NULL) == HG_OK) {
    d = 0.0;
    for (long k = 0; k < (long)A->rows * A->cols; k++)
      d = fmax(d, fabs(a->val[k] - b->val[k]));
  }
  hg_matrix_destroy(&a);
  hg_matrix_destroy(&b);
  return d;
}

static double vec_diff(int n, const double *x, const double *y)
{
  double d = 0.0;
  for (int i = 0; i < n; i++)
    d = fmax(d, fabs(x[i] - y[i]));
  return d;
}

/* ------------------------------------------------------------------------------------------ */
/* Readers                                                                                     */
/* ------------------------------------------------------------------------------------------ */

/* The 5 x 3 data set stored in small.svm, small.csv, small.mtx and small_array.mtx. */
static const double small_X[5][3] = {
  {0.5, 0, -1.25}, {0, 2, 0}, {0, 0, 0}, {0.001, 4, 3}, {7, 0, 0.125}};
static const double small_y[5] = {1, -1, 2.5, 0, -3};

/* Read path and compare with the small set; sparse is the storage the format must give. */
static void check_small(const char *path, const char *format, const char *label, int sparse)
{
  hg_read_opts o = {format, label};
  hg_matrix *X = NULL, *R = NULL;
  double *y = NULL;
  hg_error err = {0};
  int st = hg_data_read(path, &o, &X, &y, &err);
  const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;

  check(st == HG_OK, "read %s (format %s, label %s)%s%s", name, format, label ? label : "NULL",
        st ? ": " : "", st ? err.msg : "");
  if (st)
    return;
  check(X->rows == 5 && X->cols == 3 && X->sparse == sparse, "%s: 5 x 3 %s (got %d x %d %s)",
        name, sparse ? "CSR" : "dense", X->rows, X->cols, X->sparse ? "CSR" : "dense");
  if (hg_matrix_create(5, 3, 0, 0, &R, NULL) == HG_OK) {
    memcpy(R->val, small_X, sizeof small_X);
    check(matrix_diff(X, R) == 0.0 && vec_diff(5, y, small_y) == 0.0,
          "%s: X and y equal the small set exactly", name);
  }
  if (X->sparse)
    check(X->nnz == 8 && X->rowptr[5] == 8, "%s: 8 stored entries (got %ld)", name, X->nnz);
  hg_matrix_destroy(&X);
  hg_matrix_destroy(&R);
  free(y);
}

/* Read path expecting failure with status and a message containing want. */
static void check_fails(const char *path, const char *format, const char *label, int status,
                        const char *want)
{
  hg_read_opts o = {format, label};
  hg_matrix *X = (hg_matrix *)&o; /* must come back NULL */
  double *y = (double *)&o;
  hg_error err = {0};
  int st = hg_data_read(path, &o, &X, &y, &err);
  const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;

  check(st == status && err.status == status && strstr(err.msg, want) && !X && !y,
        "%s (format %s) fails with %s and '%s': got %s, \"%s\"", name, format,
        hg_status_text(status), want, hg_status_text(st), err.msg);
  hg_matrix_destroy(&X);
  free(y);
}

static void test_readers(void)
{
  check_small(join(fixture_dir, "small.svm"), "auto", NULL, 1);
  check_small(join(fixture_dir, "small.svm"), "libsvm", "1", 1);
  check_small(join(fixture_dir, "small.csv"), "auto", "y", 0);
  check_small(join(fixture_dir, "small.csv"), "csv", "3", 0);
  check_small(join(fixture_dir, "small.mtx"), "auto", NULL, 1);
  check_small(join(fixture_dir, "small.mtx"), "mm", "1", 1);
  check_small(join(fixture_dir, "small_array.mtx"), "auto", NULL, 0);

  /* The fixtures' error cases. */
  check_fails(join(fixture_dir, "bad_token.svm"), "auto", NULL, HG_ERR_PARSE,
              "bad_token.svm:3: malformed feature 'abc'");
  check_fails(join(fixture_dir, "bad_row.csv"), "auto", NULL, HG_ERR_PARSE,
              "bad_row.csv:3: 2 fields, expected 3");
  check_fails(join(fixture_dir, "nan.svm"), "auto", NULL, HG_ERR_PARSE,
              "nan.svm:2: non-finite value 'nan'");
  check_fails(join(fixture_dir, "bad_header.mtx"), "auto", NULL, HG_ERR_PARSE,
              "bad_header.mtx:1:");
  check_fails(join(fixture_dir, "empty.svm"), "auto", NULL, HG_ERR_PARSE, "no examples");
  check_fails(join(fixture_dir, "no_such_file.svm"), "auto", NULL, HG_ERR_IO,
              "cannot open '");
  check_fails(join(fixture_dir, "small.svm"), "xml", NULL, HG_ERR_ARG, "'xml'");
  check_fails(join(fixture_dir, "small.svm"), "libsvm", "2", HG_ERR_ARG, "label '2'");
  check_fails(join(fixture_dir, "small.csv"), "csv", "z", HG_ERR_ARG, "label 'z'");
  check_fails(join(fixture_dir, "small.csv"), "csv", "5", HG_ERR_ARG, "out of range");
  check_fails(join(fixture_dir, "small.mtx"), "mm", "y", HG_ERR_ARG, "label 'y'");
  check_fails(join(fixture_dir, "small.mtx"), "libsvm", NULL, HG_ERR_PARSE, "small.mtx:1:");

  if (!mkdtemp(tmp_dir)) {
    check(0, "create a temporary directory %s", tmp_dir);
    return;
  }

  /* Format "auto" by content: a Matrix Market banner in a file without a known extension. */
  {
    FILE *f = fopen(join(fixture_dir, "small.mtx"), "r");
    char text[4096] = "";
    size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;
    text[n] = '\0';
    if (f)
      fclose(f);
    check_small(write_tmp("sniffed.dat", text), "auto", NULL, 1);
  }
  /* CRLF line ends, tabs, trailing blanks, comments: the same set. */
  check_small(write_tmp("crlf.svm", "1 1:0.5 3:-1.25\r\n-1\t2:2  \r\n2.5\r\n\r\n"
                        "0 1:0.001 2:4 3:3 # comment\r\n-3 1:7 3:0.125\r\n"), "auto", NULL, 1);
  check_small(write_tmp("noheader.csv", "1,0.5,0,-1.25\n-1,0,2,0\n\n2.5,0,0,0\n0,0.001,4,3\n"
                        "-3,7,0,0.125\n"), "auto", NULL, 0);
  check_small(write_tmp("bom.csv", "\xEF\xBB\xBF" "1,0.5,0,-1.25\n-1,0,2,0\n2.5,0,0,0\n"
                        "0,0.001,4,3\n-3,7,0,0.125\n"), "auto", NULL, 0);
  check_small(write_tmp("quoted.csv", "\"y\",\"a\",\"b\",\"c\"\r\n1,0.5,0,-1.25\r\n-1,0,2,0\r\n"
                        "2.5,0,0,0\r\n0,0.001,4,3\r\n-3,7,0,0.125\r\n"), "csv", "y", 0);
  /* The label as the last column, entries in no particular order. */
  check_small(write_tmp("labellast.mtx", "%%MatrixMarket matrix coordinate real general\n"
                        "5 4 12\n4 3 3\n1 4 1\n2 2 2\n5 1 7\n1 1 0.5\n3 4 2.5\n"
                        "1 3 -1.25\n2 4 -1\n5 3 0.125\n4 1 1e-3\n5 4 -3\n4 2 4\n"),
              "mm", "4", 1);
  {
    /* integer array: column-major values 1 2 | 3 4 -> y = (1, 2), X = (3; 4). */
    hg_read_opts o = {"mm", NULL};
    hg_matrix *X = NULL;
    double *y = NULL;
    hg_error err = {0};
    int st = hg_data_read(write_tmp("int.mtx", "%%MatrixMarket matrix array integer general\n"
                                    "2 2\n1\n2\n3\n4\n"), &o, &X, &y, &err);
    check(st == HG_OK && X->rows == 2 && X->cols == 1 && !X->sparse && X->val[0] == 3 &&
          X->val[1] == 4 && y[0] == 1 && y[1] == 2, "int.mtx: integer array read %s",
          st ? err.msg : "");
    hg_matrix_destroy(&X);
    free(y);
  }
  {
    /* pattern: every listed entry is 1; the label column 1 holds a 1 on rows 1 and 3. */
    hg_read_opts o = {"auto", NULL};
    hg_matrix *X = NULL;
    double *y = NULL;
    hg_error err = {0};
    int st = hg_data_read(write_tmp("pattern.mtx", "%%MatrixMarket matrix coordinate pattern "
                                    "general\n3 3 4\n1 1\n3 1\n2 3\n1 2\n"), &o, &X, &y, &err);
    check(st == HG_OK && X->rows == 3 && X->cols == 2 && X->nnz == 2 && y[0] == 1 &&
          y[1] == 0 && y[2] == 1 && X->rowptr[1] == 1 && X->colind[0] == 0 &&
          X->colind[1] == 1 && X->val[0] == 1 && X->val[1] == 1,
          "pattern.mtx: values 1, label column taken out %s", st ? err.msg : "");
    hg_matrix_destroy(&X);
    free(y);
  }
  {
    /* LIBSVM: cols is the largest index seen; explicit zeros are not stored. */
    hg_read_opts o = {"libsvm", NULL};
    hg_matrix *X = NULL;
    double *y = NULL;
    hg_error err = {0};
    int st = hg_data_read(write_tmp("wide.txt", "+1 7:0 10:2.5\n-1\n"), &o, &X, &y, &err);
    check(st == HG_OK && X->rows == 2 && X->cols == 10 && X->nnz == 1 && X->colind[0] == 9 &&
          y[0] == 1 && y[1] == -1, "wide.txt: cols = 10, explicit zero dropped %s",
          st ? err.msg : "");
    hg_matrix_destroy(&X);
    free(y);
  }

  /* Malformed files: each message names the file and line. */
  static const struct {
    const char *name, *format, *label, *text;
    int status;
    const char *want;
  } bad[] = {
    {"zero.svm", "auto", NULL, "1 1:1\n2 0:1\n", HG_ERR_PARSE, "zero.svm:2: feature index 0"},
    {"order.svm", "auto", NULL, "1 1:1\n2 3:1 2:1\n", HG_ERR_PARSE,
     "order.svm:2: feature index 2 follows index 3"},
    {"repeat.svm", "auto", NULL, "1 2:1 2:3\n", HG_ERR_PARSE, "repeat.svm:1: feature index 2"},
    {"label.svm", "auto", NULL, "1 1:1\nabc 1:1\n", HG_ERR_PARSE,
     "label.svm:2: malformed label 'abc'"},
    {"inflabel.svm", "auto", NULL, "inf 1:1\n", HG_ERR_PARSE, "inflabel.svm:1: non-finite"},
    {"huge.svm", "auto", NULL, "1 99999999999:1\n", HG_ERR_PARSE, "huge.svm:1: feature index"},
    {"colon.svm", "auto", NULL, "1 1:2:3\n", HG_ERR_PARSE,
     "colon.svm:1: malformed feature '1:2:3'"},
    {"hdronly.csv", "auto", NULL, "a,b\n", HG_ERR_PARSE, "hdronly.csv: no examples"},
    {"text.csv", "auto", NULL, "a,b\n1,2\n3,x\n", HG_ERR_PARSE,
     "text.csv:3: field 2 'x' is not a number"},
    {"empty_field.csv", "auto", NULL, "1,2,3\n4,,6\n", HG_ERR_PARSE,
     "empty_field.csv:2: field 2 '' is not a number"},
    {"semicolon.csv", "auto", NULL, "a;b\n1;2\n", HG_ERR_PARSE,
     "semicolon.csv:1: 1 field(s)"},
    {"nan.csv", "auto", NULL, "1,2\nnan,3\n", HG_ERR_PARSE, "nan.csv:2: field 1 is non-finite"},
    {"nohdr.csv", "auto", "y", "1,2\n3,4\n", HG_ERR_ARG, "has no header"},
    {"long.csv", "auto", NULL, "1,2\n3,4,5\n", HG_ERR_PARSE, "long.csv:2: 3 fields, expected 2"},
    {"count.mtx", "auto", NULL, "%%MatrixMarket matrix coordinate real general\n3 2 3\n"
     "1 1 1\n2 2 1\n", HG_ERR_PARSE, "count.mtx: 3 entries declared on line 2, 2 found"},
    {"extra.mtx", "auto", NULL, "%%MatrixMarket matrix coordinate real general\n3 2 1\n"
     "1 1 1\n2 2 1\n", HG_ERR_PARSE, "extra.mtx:4: more entries than the 1 declared"},
    {"outside.mtx", "auto", NULL, "%%MatrixMarket matrix coordinate real general\n3 2 2\n"
     "1 1 1\n4 2 1\n", HG_ERR_PARSE, "outside.mtx:4: entry (4, 2) is outside"},
    {"dup.mtx", "auto", NULL, "%%MatrixMarket matrix coordinate real general\n% c\n3 2 3\n"
     "2 2 1\n1 1 1\n2 2 5\n", HG_ERR_PARSE, "dup.mtx:6: second entry for row 2, column 2 (the "
     "first is on line 4)"},
    {"inf.mtx", "auto", NULL, "%%MatrixMarket matrix coordinate real general\n3 2 1\n"
     "1 1 -inf\n", HG_ERR_PARSE, "inf.mtx:3: non-finite value '-inf'"},
    {"sym.mtx", "auto", NULL, "%%MatrixMarket matrix coordinate real symmetric\n2 2 1\n"
     "1 1 1\n", HG_ERR_PARSE, "sym.mtx:1: unsupported Matrix Market symmetry 'symmetric'"},
    {"size.mtx", "auto", NULL, "%%MatrixMarket matrix array real general\n2\n1\n2\n",
     HG_ERR_PARSE, "size.mtx:2: malformed size line"},
    {"onecol.mtx", "auto", NULL, "%%MatrixMarket matrix array real general\n2 1\n1\n2\n",
     HG_ERR_PARSE, "onecol.mtx:2: size 2 x 1"},
    {"short.mtx", "auto", NULL, "%%MatrixMarket matrix array real general\n2 2\n1\n2\n3\n",
     HG_ERR_PARSE, "short.mtx: 4 values declared on line 2, 3 found"},
    {"long.mtx", "auto", NULL, "%%MatrixMarket matrix array real general\n1 2\n1 2\n3\n",
     HG_ERR_PARSE, "long.mtx:4: more values than the 1 x 2 declared"},
    {"apattern.mtx", "auto", NULL, "%%MatrixMarket matrix array pattern general\n1 2\n",
     HG_ERR_PARSE, "apattern.mtx:1: unsupported Matrix Market field 'pattern'"},
    {"nosize.mtx", "auto", NULL, "%%MatrixMarket matrix array real general\n% only this\n",
     HG_ERR_PARSE, "nosize.mtx: no size line"},
  };
  for (size_t k = 0; k < sizeof bad / sizeof *bad; k++)
    check_fails(write_tmp(bad[k].name, bad[k].text), bad[k].format, bad[k].label,
                bad[k].status, bad[k].want);

  for (int k = 0; k < n_tmp; k++)
    unlink(join(tmp_dir, tmp_names[k]));
  rmdir(tmp_dir);
}

/* ------------------------------------------------------------------------------------------ */
/* Matrix operations                                                                           */
/* ------------------------------------------------------------------------------------------ */

/* A seeded rows x cols dense matrix with about half its entries exactly zero. */
static hg_matrix *random_dense(int rows, int cols, uint64_t seed)
{
  hg_matrix *X = NULL;
  hg_rng r;
  hg_rng_seed(&r, seed);
  if (hg_matrix_create(rows, cols, 0, 0, &X, NULL) != HG_OK)
    return NULL;
  for (long k = 0; k < (long)rows * cols; k++)
    X->val[k] = hg_rng_uniform(&r) < 0.5 ? 0.0 : hg_rng_normal(&r);
  return X;
}

/* y = alpha op(X) x + beta y by the definition, on a dense X. */
static void naive_gemv(const hg_matrix *X, int trans, double alpha, const double *x,
                       double beta, double *y)
{
  int ny = trans ? X->cols : X->rows, nx = trans ? X->rows : X->cols;
  for (int i = 0; i < ny; i++) {
    double s = 0.0;
    for (int j = 0; j < nx; j++)
      s += (trans ? X->val[(size_t)j * X->cols + i] : X->val[(size_t)i * X->cols + j]) * x[j];
    y[i] = alpha * s + (beta == 0.0 ? 0.0 : beta * y[i]);
  }
}

static void test_matrices(void)
{
  enum { R = 7, C = 5 };
  hg_matrix *D = random_dense(R, C, 42), *S = NULL, *D2 = NULL, *S2 = NULL, *Z = NULL;
  hg_error err = {0};
  double x[R], y0[R], y1[R], y2[R];
  double G0[C * C], G1[C * C], G2[C * C];
  long nonzero = 0;
  hg_rng r;

  check(hg_matrix_convert(D, 1, &S, &err) == HG_OK, "convert dense -> CSR %s", err.msg);
  for (int k = 0; k < R * C; k++)
    nonzero += D->val[k] != 0.0;
  check(S->sparse && S->nnz == nonzero && S->rowptr[R] == nonzero,
        "CSR keeps exactly the %ld nonzeros (nnz %ld)", nonzero, S->nnz);
  check(hg_matrix_convert(S, 0, &D2, &err) == HG_OK && matrix_diff(D, D2) == 0.0,
        "convert CSR -> dense round trip is exact");
  check(hg_matrix_convert(S, 1, &S2, &err) == HG_OK && S2->nnz == S->nnz &&
        matrix_diff(S, S2) == 0.0, "convert CSR -> CSR copies");
  hg_matrix_destroy(&S2);
  check(hg_matrix_convert(D, 0, &S2, &err) == HG_OK && !S2->sparse && matrix_diff(D, S2) == 0.0,
        "convert dense -> dense copies");
  hg_matrix_destroy(&S2);

  /* gemv: dense (BLAS) and CSR against the definition, both orientations, beta 0 and not.
   * Sums of a handful of products: 1e-14 absolute leaves room for a different order. */
  hg_rng_seed(&r, 7);
  for (int i = 0; i < R; i++)
    x[i] = hg_rng_normal(&r);
  for (int trans = 0; trans <= 1; trans++)
    for (int b = 0; b <= 1; b++) {
      double beta = b ? -0.7 : 0.0;
      int ny = trans ? C : R;
      for (int i = 0; i < ny; i++)
        y0[i] = y1[i] = y2[i] = b ? (double)i - 2.0 : NAN; /* NaN must not leak when beta=0 */
      naive_gemv(D, trans, 1.3, x, beta, y0);
      hg_matrix_gemv(D, trans, 1.3, x, beta, y1);
      hg_matrix_gemv(S, trans, 1.3, x, beta, y2);
      check(vec_diff(ny, y0, y1) <= 1e-14 && vec_diff(ny, y0, y2) <= 1e-14,
            "gemv trans=%d beta=%g: dense %.1e, CSR %.1e from the definition", trans, beta,
            vec_diff(ny, y0, y1), vec_diff(ny, y0, y2));
    }

  /* gram: scale X^T X, both triangles. */
  for (int i = 0; i < C; i++)
    for (int j = 0; j < C; j++) {
      double s = 0.0;
      for (int k = 0; k < R; k++)
        s += D->val[k * C + i] * D->val[k * C + j];
      G0[i * C + j] = 0.25 * s;
    }
  hg_matrix_gram(D, 0.25, G1);
  hg_matrix_gram(S, 0.25, G2);
  check(vec_diff(C * C, G0, G1) <= 1e-14 && vec_diff(C * C, G0, G2) <= 1e-14,
        "gram: dense %.1e, CSR %.1e from the definition", vec_diff(C * C, G0, G1),
        vec_diff(C * C, G0, G2));

  /* set_cols and append_ones, dense and CSR. */
  check(hg_matrix_set_cols(D2, C + 2, &err) == HG_OK && hg_matrix_set_cols(S, C + 2, &err) ==
        HG_OK && D2->cols == C + 2 && S->cols == C + 2 && D2->nnz == (long)R * (C + 2),
        "set_cols grows to %d columns", C + 2);
  int kept = 1;
  for (int i = 0; i < R; i++)
    for (int j = 0; j < C + 2; j++)
      kept &= D2->val[i * (C + 2) + j] == (j < C ? D->val[i * C + j] : 0.0);
  check(kept && matrix_diff(D2, S) == 0.0, "set_cols keeps the values and adds zero columns");
  hg_error_clear(&err);
  check(hg_matrix_set_cols(S, C, &err) == HG_ERR_ARG && strstr(err.msg, "shrink") &&
        S->cols == C + 2, "set_cols refuses to shrink: %s", err.msg);

  check(hg_matrix_append_ones(D2, &err) == HG_OK && hg_matrix_append_ones(S, &err) == HG_OK &&
        D2->cols == C + 3 && S->cols == C + 3 && S->nnz == nonzero + R &&
        S->rowptr[R] == S->nnz, "append_ones adds a column (CSR nnz %ld)", S->nnz);
  int ones = 1;
  for (int i = 0; i < R; i++) {
    ones &= D2->val[i * (C + 3) + C + 2] == 1.0;
    for (int k = S->rowptr[i]; k + 1 < S->rowptr[i + 1]; k++)
      ones &= S->colind[k] < S->colind[k + 1];
    ones &= S->colind[S->rowptr[i + 1] - 1] == C + 2;
  }
  check(ones && matrix_diff(D2, S) == 0.0, "append_ones: last column all ones, CSR columns "
        "increasing, dense and CSR agree");

  /* Empty and degenerate shapes. */
  check(hg_matrix_create(0, 3, 1, 0, &Z, &err) == HG_OK && Z->rowptr[0] == 0,
        "create a 0 x 3 CSR matrix");
  check(hg_matrix_append_ones(Z, &err) == HG_OK && Z->cols == 4 && Z->nnz == 0,
        "append_ones on 0 rows");
  hg_matrix_destroy(&Z);
  check(Z == NULL, "destroy sets the pointer to NULL");
  hg_matrix_destroy(&Z);
  hg_matrix_destroy(NULL);
  check(hg_matrix_create(-1, 3, 0, 0, &Z, &err) == HG_ERR_ARG && Z == NULL,
        "create refuses a negative size: %s", err.msg);
  check(hg_matrix_create(3, 3, 1, (long)1 << 40, &Z, &err) == HG_ERR_ARG && Z == NULL,
        "create refuses nnz beyond int: %s", err.msg);

  hg_matrix_destroy(&D);
  hg_matrix_destroy(&S);
  hg_matrix_destroy(&D2);
}

/* ------------------------------------------------------------------------------------------ */
/* Eigenvalues                                                                                 */
/* ------------------------------------------------------------------------------------------ */

typedef struct dense_op {
  int n;
  const double *A;
} dense_op;

/* out = A v for a dense row-major A. */
static void dense_apply(void *ctx, const double *v, double *out)
{
  const dense_op *op = ctx;
  for (int i = 0; i < op->n; i++) {
    double s = 0.0;
    for (int j = 0; j < op->n; j++)
      s += op->A[(size_t)i * op->n + j] * v[j];
    out[i] = s;
  }
}

typedef struct diag_op {
  int n;
  const double *d;
  int calls; /* products taken */
} diag_op;

/* out = diag(d) v. */
static void diag_apply(void *ctx, const double *v, double *out)
{
  diag_op *op = ctx;
  op->calls++;
  for (int i = 0; i < op->n; i++)
    out[i] = op->d[i] * v[i];
}

/* out = NaN: an operator gone wrong. */
static void nan_apply(void *ctx, const double *v, double *out)
{
  const int *n = ctx;
  for (int i = 0; i < *n; i++)
    out[i] = NAN;
}

static double rel(double got, double want)
{
  return fabs(got - want) / fabs(want);
}

/* The tolerance: tol = 1e-10 asks for residuals <= 1e-10 max|lambda|; the Ritz values of these
 * well separated extremes are then accurate to about residual^2/gap plus rounding (~1e-14),
 * so 1e-10 relative on each value is a safe but meaningful bound. */
static void test_eigen(void)
{
  enum { N = 50, M = 300 };
  static double A[N * N], Q[N * N], v[N], d[M];
  double lo = 0, hi = 0, vv = 0.0;
  hg_error err = {0};
  hg_rng r;

  /* A = Q diag(1..50) Q^T with the Householder reflector Q = I - 2 v v^T / v^T v. */
  hg_rng_seed(&r, 3);
  for (int i = 0; i < N; i++) {
    v[i] = hg_rng_normal(&r);
    vv += v[i] * v[i];
  }
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++)
      Q[i * N + j] = (i == j) - 2.0 * v[i] * v[j] / vv;
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) {
      double s = 0.0;
      for (int k = 0; k < N; k++)
        s += Q[i * N + k] * (k + 1.0) * Q[j * N + k];
      A[i * N + j] = s;
    }

  int st = hg_sym_extremes(N, A, &lo, &hi, &err);
  check(st == HG_OK && rel(lo, 1.0) <= 1e-10 && rel(hi, 50.0) <= 1e-10,
        "sym_extremes of Q diag(1..50) Q^T: %.15g, %.15g %s", lo, hi, err.msg);

  dense_op dop = {N, A};
  st = hg_lanczos_extremes(N, dense_apply, &dop, 1e-10, 0, 1, &lo, &hi, NULL, &err);
  check(st == HG_OK && rel(lo, 1.0) <= 1e-10 && rel(hi, 50.0) <= 1e-10,
        "lanczos on Q diag(1..50) Q^T: %.15g, %.15g %s", lo, hi, err.msg);

  /* n = 300, eigenvalues spread evenly over [1, 1000]. */
  for (int i = 0; i < M; i++)
    d[i] = 1.0 + 999.0 * (double)((i * 7) % M) / (M - 1); /* a permutation of the grid */
  diag_op gop = {M, d, 0};
  st = hg_lanczos_extremes(M, diag_apply, &gop, 1e-10, 0, 2, &lo, &hi, NULL, &err);
  check(st == HG_OK && rel(lo, 1.0) <= 1e-10 && rel(hi, 1000.0) <= 1e-10,
        "lanczos on diag(1..1000), n = 300: %.15g, %.15g %s", lo, hi, err.msg);
  check(gop.calls < M, "lanczos stopped on its residual test after %d < %d steps", gop.calls,
        M);
  double lo2 = 0, hi2 = 0;
  hg_lanczos_extremes(M, diag_apply, &gop, 1e-10, 0, 2, &lo2, &hi2, NULL, &err);
  check(lo2 == lo && hi2 == hi, "lanczos is deterministic for a given seed");

  /* An indefinite spectrum, on a geometric grid. */
  for (int i = 0; i < M; i++)
    d[i] = i % 2 ? -pow(10.0, 3.0 * i / M) : pow(10.0, 2.0 * i / M);
  st = hg_lanczos_extremes(M, diag_apply, &gop, 1e-10, 0, 5, &lo, &hi, NULL, &err);
  double want_lo = -pow(10.0, 3.0 * (M - 1) / M), want_hi = pow(10.0, 2.0 * (M - 2) / M);
  check(st == HG_OK && rel(lo, want_lo) <= 1e-10 && rel(hi, want_hi) <= 1e-10,
        "lanczos on an indefinite spectrum: %.15g (want %.15g), %.15g (want %.15g)", lo,
        want_lo, hi, want_hi);

  /* Only 3 distinct eigenvalues: the Krylov space is exhausted after 3 steps (beta ~ 0). */
  for (int i = 0; i < 100; i++)
    d[i] = i % 3 == 0 ? 2.0 : i % 3 == 1 ? 5.0 : 9.0;
  diag_op top = {100, d, 0};
  st = hg_lanczos_extremes(100, diag_apply, &top, 0.0, 0, 9, &lo, &hi, NULL, &err);
  check(st == HG_OK && rel(lo, 2.0) <= 1e-13 && rel(hi, 9.0) <= 1e-13 && top.calls == 3,
        "lanczos with 3 distinct eigenvalues stops at the invariant subspace even with tol = 0 "
        "(%d steps): %.17g, %.17g", top.calls, lo, hi);

  /* n = 1, and tol = 0 (run until the space is exhausted). */
  double one = -4.0;
  diag_op oop = {1, &one, 0};
  st = hg_lanczos_extremes(1, diag_apply, &oop, 1e-10, 0, 1, &lo, &hi, NULL, &err);
  check(st == HG_OK && lo == -4.0 && hi == -4.0, "lanczos with n = 1: %g, %g", lo, hi);
  st = hg_sym_extremes(1, &one, &lo, &hi, &err);
  check(st == HG_OK && lo == -4.0 && hi == -4.0, "sym_extremes with n = 1: %g, %g", lo, hi);
  st = hg_lanczos_extremes(N, dense_apply, &dop, 0.0, 0, 1, &lo, &hi, NULL, &err);
  check(st == HG_OK && rel(lo, 1.0) <= 1e-12 && rel(hi, 50.0) <= 1e-12,
        "lanczos with tol = 0 (n steps): %.15g, %.15g", lo, hi);

  /* Failures. */
  A[3 * N + 7] = NAN;
  hg_error_clear(&err);
  st = hg_sym_extremes(N, A, &lo, &hi, &err);
  check(st == HG_ERR_NAN && strstr(err.msg, "(4, 8)"), "sym_extremes names a NaN entry: %s",
        err.msg);
  int n = 10;
  hg_error_clear(&err);
  st = hg_lanczos_extremes(n, nan_apply, &n, 1e-10, 0, 1, &lo, &hi, NULL, &err);
  check(st == HG_ERR_NAN, "lanczos reports a NaN operator: %s", err.msg);
  hg_error_clear(&err);
  st = hg_lanczos_extremes(n, diag_apply, &gop, -1.0, 0, 1, &lo, &hi, NULL, &err);
  check(st == HG_ERR_ARG, "lanczos refuses tol < 0: %s", err.msg);
}

int main(int argc, char **argv)
{
  if (argc != 2) {
    fprintf(stderr, "usage: %s FIXTURE_DIR (tests/data)\n", argv[0]);
    return 2;
  }
  fixture_dir = argv[1];
  test_readers();
  test_matrices();
  test_eigen();
  printf("%d of %d checks passed\n", n_checks - n_failed, n_checks);
  return n_failed != 0;
}

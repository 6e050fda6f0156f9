/*
 * matrix.c -- data matrices (dense row-major or CSR) and their kernels: create, destroy,
 * convert, set_cols, append_ones, gemv, gram.  The file readers that fill them are in
 * harness/io/data.c.
 */
#include "hg_core.h"

#include <cblas.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* calloc that never asks for 0 bytes (so NULL always means "out of memory"). */
void *hg_zalloc(size_t count, size_t elem)
{
  return calloc(count ? count : 1, elem);
}

/* 1 if a dense rows x cols array of doubles can be addressed (its entry count fits a long,
 * which hg_matrix.nnz holds, and its byte size fits a size_t). */
int hg_matrix_dense_ok(long rows, long cols)
{
  if (rows < 0 || cols < 0)
    return 0;
  if (cols == 0)
    return 1;
  return rows <= LONG_MAX / cols && (size_t)rows <= SIZE_MAX / sizeof(double) / (size_t)cols;
}

/* A zeroed rows x cols matrix.  Dense: val holds rows*cols zeros and nnz = rows*cols.  CSR:
 * val and colind have room for nnz entries (nnz <= INT_MAX since the indices are int),
 * rowptr is all 0 and X->nnz = nnz: the caller fills the entries and rowptr, and lowers
 * X->nnz if it stores fewer. */
int hg_matrix_create(int rows, int cols, int sparse, long nnz, hg_matrix **out, hg_error *err)
{
  int status = HG_OK;
  hg_matrix *X = NULL;

  if (!out) {
    status = hg_fail(err, HG_ERR_ARG, "hg_matrix_create: out is NULL");
    goto done;
  }
  *out = NULL;
  if (rows < 0 || cols < 0) {
    status = hg_fail(err, HG_ERR_ARG, "hg_matrix_create: negative size %d x %d", rows, cols);
    goto done;
  }
  if (sparse && (nnz < 0 || nnz > INT_MAX)) {
    status = hg_fail(err, HG_ERR_ARG,
                     "hg_matrix_create: a CSR matrix holds 0 to %d entries (int indices), "
                     "not %ld", INT_MAX, nnz);
    goto done;
  }
  if (!sparse) {
    if (!hg_matrix_dense_ok(rows, cols)) {
      status = hg_fail(err, HG_ERR_ARG, "hg_matrix_create: dense %d x %d matrix is too large",
                       rows, cols);
      goto done;
    }
    nnz = (long)rows * cols;
  }

  X = calloc(1, sizeof *X);
  if (X) {
    X->rows = rows;
    X->cols = cols;
    X->sparse = sparse ? 1 : 0;
    X->nnz = nnz;
    X->val = hg_zalloc((size_t)nnz, sizeof *X->val);
    if (sparse) {
      X->rowptr = hg_zalloc((size_t)rows + 1, sizeof *X->rowptr);
      X->colind = hg_zalloc((size_t)nnz, sizeof *X->colind);
    }
  }
  if (!X || !X->val || (sparse && (!X->rowptr || !X->colind))) {
    status = hg_fail(err, HG_ERR_NOMEM, "hg_matrix_create: out of memory for a %d x %d %s "
                     "matrix", rows, cols, sparse ? "CSR" : "dense");
    goto done;
  }
  *out = X;
  X = NULL;
done:
  hg_matrix_destroy(&X);
  return status;
}

/* Free X and its arrays; accepts NULL and *X == NULL; sets *X = NULL. */
void hg_matrix_destroy(hg_matrix **X)
{
  if (!X || !*X)
    return;
  free((*X)->val);
  free((*X)->rowptr);
  free((*X)->colind);
  free(*X);
  *X = NULL;
}

/* A new copy of X, dense (sparse = 0) or CSR (sparse = 1).  The CSR copy keeps only the
 * entries that are not exactly zero (NaN is kept); the dense copy has zeros where X stores
 * nothing. */
int hg_matrix_convert(const hg_matrix *X, int sparse, hg_matrix **out, hg_error *err)
{
  int status = HG_OK;
  hg_matrix *Y = NULL;
  int i, j, k;

  if (!out || !X) {
    status = hg_fail(err, HG_ERR_ARG, "hg_matrix_convert: NULL matrix or output");
    goto done;
  }
  *out = NULL;

  if (!sparse) {
    status = hg_matrix_create(X->rows, X->cols, 0, 0, &Y, err);
    if (status)
      goto done;
    if (!X->sparse) {
      if (Y->nnz > 0)
        memcpy(Y->val, X->val, (size_t)Y->nnz * sizeof *Y->val);
    } else {
      for (i = 0; i < X->rows; i++)
        for (k = X->rowptr[i]; k < X->rowptr[i + 1]; k++)
          Y->val[(size_t)i * X->cols + X->colind[k]] = X->val[k];
    }
  } else {
    /* Two passes: count the nonzeros (CSR needs its size first), then copy them. */
    long nnz = 0;
    if (X->sparse) {
      for (k = 0; k < X->rowptr[X->rows]; k++)
        nnz += X->val[k] != 0.0;
    } else {
      for (size_t q = 0; q < (size_t)X->nnz; q++)
        nnz += X->val[q] != 0.0;
    }
    if (nnz > INT_MAX) {
      status = hg_fail(err, HG_ERR_UNSUPPORTED,
                       "hg_matrix_convert: %ld nonzeros do not fit a CSR matrix (at most %d)",
                       nnz, INT_MAX);
      goto done;
    }
    status = hg_matrix_create(X->rows, X->cols, 1, nnz, &Y, err);
    if (status)
      goto done;
    int p = 0; /* next free slot of Y */
    for (i = 0; i < X->rows; i++) {
      if (X->sparse) {
        for (k = X->rowptr[i]; k < X->rowptr[i + 1]; k++)
          if (X->val[k] != 0.0) {
            Y->val[p] = X->val[k];
            Y->colind[p++] = X->colind[k];
          }
      } else {
        const double *row = X->val + (size_t)i * X->cols;
        for (j = 0; j < X->cols; j++)
          if (row[j] != 0.0) {
            Y->val[p] = row[j];
            Y->colind[p++] = j;
          }
      }
      Y->rowptr[i + 1] = p;
    }
    Y->nnz = p;
  }
  *out = Y;
  Y = NULL;
done:
  hg_matrix_destroy(&Y);
  return status;
}

/* Grow X to cols columns; the new columns (on the right) are zero.  CSR only changes
 * X->cols; dense moves every row to its wider place, last row first so no row is overwritten
 * before it has moved.  On failure X is unchanged. */
int hg_matrix_set_cols(hg_matrix *X, int cols, hg_error *err)
{
  int status = HG_OK;
  int old = X->cols, i;

  if (cols < old) {
    status = hg_fail(err, HG_ERR_ARG, "hg_matrix_set_cols: cannot shrink a %d-column matrix "
                     "to %d columns", old, cols);
    goto done;
  }
  if (cols == old || X->sparse) {
    X->cols = cols;
    goto done;
  }
  if (!hg_matrix_dense_ok(X->rows, cols)) {
    status = hg_fail(err, HG_ERR_ARG, "hg_matrix_set_cols: dense %d x %d matrix is too large",
                     X->rows, cols);
    goto done;
  }
  size_t total = (size_t)X->rows * (size_t)cols;
  double *val = realloc(X->val, (total ? total : 1) * sizeof *val);
  if (!val) {
    status = hg_fail(err, HG_ERR_NOMEM, "hg_matrix_set_cols: out of memory for %d x %d",
                     X->rows, cols);
    goto done;
  }
  for (i = X->rows - 1; i >= 0; i--) {
    double *dst = val + (size_t)i * cols;
    memmove(dst, val + (size_t)i * old, (size_t)old * sizeof *val);
    memset(dst + old, 0, (size_t)(cols - old) * sizeof *val);
  }
  X->val = val;
  X->cols = cols;
  X->nnz = (long)total;
done:
  return status;
}

/* Append a column of ones (the intercept) as column X->cols (0-based) of the grown X.  CSR:
 * row i gains one entry at its end (its columns stay increasing), so every row moves right by
 * i places; rows are moved last first.  On failure X still holds the same matrix. */
int hg_matrix_append_ones(hg_matrix *X, hg_error *err)
{
  int status = HG_OK;
  int i, old = X->cols;

  if (old == INT_MAX) {
    status = hg_fail(err, HG_ERR_ARG, "hg_matrix_append_ones: the matrix already has %d "
                     "columns", old);
    goto done;
  }
  if (!X->sparse) {
    status = hg_matrix_set_cols(X, old + 1, err);
    if (status)
      goto done;
    for (i = 0; i < X->rows; i++)
      X->val[(size_t)i * X->cols + old] = 1.0;
    goto done;
  }

  long nnz = X->rowptr[X->rows];
  if (nnz + X->rows > INT_MAX) {
    status = hg_fail(err, HG_ERR_UNSUPPORTED, "hg_matrix_append_ones: %ld + %d entries do not "
                     "fit a CSR matrix", nnz, X->rows);
    goto done;
  }
  size_t total = (size_t)(nnz + X->rows);
  double *val = realloc(X->val, (total ? total : 1) * sizeof *val);
  if (val)
    X->val = val; /* larger, same contents: X stays valid if the next realloc fails */
  int *colind = val ? realloc(X->colind, (total ? total : 1) * sizeof *colind) : NULL;
  if (!colind) {
    status = hg_fail(err, HG_ERR_NOMEM, "hg_matrix_append_ones: out of memory for %zu "
                     "entries", total);
    goto done;
  }
  X->colind = colind;

  for (i = X->rows - 1; i >= 0; i--) {
    int start = X->rowptr[i], len = X->rowptr[i + 1] - start;
    memmove(val + start + i, val + start, (size_t)len * sizeof *val);
    memmove(colind + start + i, colind + start, (size_t)len * sizeof *colind);
    val[start + i + len] = 1.0;
    colind[start + i + len] = old;
  }
  for (i = 0; i <= X->rows; i++)
    X->rowptr[i] += i;
  X->cols = old + 1;
  X->nnz = (long)total;
done:
  return status;
}

/* y = alpha op(X) x + beta y with op(X) = X (trans = 0: x has cols entries, y rows) or X^T
 * (trans = 1: x has rows entries, y cols).  beta = 0 writes y without reading it.
 * Dense: cblas_dgemv on the row-major array (y is zeroed first when beta = 0, so a BLAS that
 * scales y by 0 cannot turn a NaN in y into the result).  CSR: a dot product per row, or for
 * X^T a scatter of alpha x_i times row i into y. */
void hg_matrix_gemv(const hg_matrix *X, int trans, double alpha, const double *x, double beta,
                    double *y)
{
  int i, k, ny = trans ? X->cols : X->rows;

  if (!X->sparse && X->rows > 0 && X->cols > 0) {
    if (beta == 0.0)
      memset(y, 0, (size_t)ny * sizeof *y);
    cblas_dgemv(CblasRowMajor, trans ? CblasTrans : CblasNoTrans, X->rows, X->cols, alpha,
                X->val, X->cols, x, 1, beta, y, 1);
  } else if (X->sparse && !trans) {
    for (i = 0; i < X->rows; i++) {
      double s = 0.0;
      for (k = X->rowptr[i]; k < X->rowptr[i + 1]; k++)
        s += X->val[k] * x[X->colind[k]];
      y[i] = beta == 0.0 ? alpha * s : alpha * s + beta * y[i];
    }
  } else { /* CSR transposed, or a dense matrix with no rows or no columns */
    for (i = 0; i < ny; i++)
      y[i] = beta == 0.0 ? 0.0 : beta * y[i];
    if (X->sparse)
      for (i = 0; i < X->rows; i++) {
        double a = alpha * x[i];
        for (k = X->rowptr[i]; k < X->rowptr[i + 1]; k++)
          y[X->colind[k]] += a * X->val[k];
      }
  }
}

/* G = scale X^T X (cols x cols, both triangles, row-major).  Dense: cblas_dsyrk fills the
 * upper triangle.  CSR: every row r adds scale r r^T, only its pairs (j <= l) of stored
 * columns, to the upper triangle (cost sum_i nnz_i^2 / 2; G itself is dense, which is fine
 * for the moderate cols of the problems).  The lower triangle is then mirrored. */
void hg_matrix_gram(const hg_matrix *X, double scale, double *G)
{
  int n = X->cols, i, j, k, l;

  memset(G, 0, (size_t)n * (size_t)n * sizeof *G);
  if (n == 0 || X->rows == 0)
    return;
  if (!X->sparse) {
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, n, X->rows, scale, X->val, n, 0.0, G,
                n);
  } else {
    for (i = 0; i < X->rows; i++)
      for (k = X->rowptr[i]; k < X->rowptr[i + 1]; k++) {
        double a = scale * X->val[k];
        double *Grow = G + (size_t)X->colind[k] * n;
        for (l = k; l < X->rowptr[i + 1]; l++)
          Grow[X->colind[l]] += a * X->val[l]; /* colind[l] >= colind[k]: upper triangle */
      }
  }
  for (i = 0; i < n; i++)
    for (j = i + 1; j < n; j++)
      G[(size_t)j * n + i] = G[(size_t)i * n + j];
}

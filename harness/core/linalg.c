/*
 * linalg.c -- the vector kernels every part of hgbench shares (thin CBLAS wrappers).  The
 * Krylov solvers built on them (CG, GMRES) are in krylov.c.
 */
#include "hg_core.h"

#include <cblas.h>

/* x^T y. */
double hg_dot(int n, const double *x, const double *y)
{
  return n > 0 ? cblas_ddot(n, x, 1, y, 1) : 0.0;
}

/* ||x||_2, computed without overflow or underflow of the squares (BLAS dnrm2 scaling). */
double hg_nrm2(int n, const double *x)
{
  return n > 0 ? cblas_dnrm2(n, x, 1) : 0.0;
}

/* y <- y + a x. */
void hg_axpy(int n, double a, const double *x, double *y)
{
  if (n > 0)
    cblas_daxpy(n, a, x, 1, y, 1);
}

/* y <- x. */
void hg_copy(int n, const double *x, double *y)
{
  if (n > 0 && x != y)
    cblas_dcopy(n, x, 1, y, 1);
}

/* x <- 0 (explicitly, so NaN in x is overwritten rather than scaled). */
void hg_zero(int n, double *x)
{
  for (int i = 0; i < n; i++)
    x[i] = 0.0;
}

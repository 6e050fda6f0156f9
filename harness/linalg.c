/*
 * linalg.c -- the vector kernels every part of hgbench shares (thin CBLAS wrappers) and the
 * one conjugate gradient of the project (hg_cg, used by aid-cg and by anyone who needs to
 * solve a symmetric positive definite system given as an operator).
 */
#include "hgbench.h"

#include <cblas.h>
#include <float.h>
#include <math.h>

/* Forward declaration: hg_cg with a residual trace; declared for methods in
 * methods/hypergrad/common.h. */
int hg_cg_trace(int n, hg_linop op, void *ctx, const double *b, double *x, int kmax, double tol,
                double *work, hg_ctx *trace, int *k_used, double *res, hg_error *err);

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

/* 1 if every entry of x is exactly zero. */
static int all_zero(int n, const double *x)
{
  for (int i = 0; i < n; i++)
    if (x[i] != 0.0)
      return 0;
  return 1;
}

/*
 * Conjugate gradient for S x = b, S symmetric positive definite (Hestenes-Stiefel; DESIGN §4
 * aid-cg, §7 rate 2 sqrt(kappa) ((sqrt(kappa)-1)/(sqrt(kappa)+1))^k):
 *
 *     r_0 = b - S x_0,  p_0 = r_0;  for j = 0, 1, ...:
 *       alpha_j = r_j^T r_j / p_j^T S p_j,   x_{j+1} = x_j + alpha_j p_j,
 *       r_{j+1} = r_j - alpha_j S p_j,
 *       beta_j  = r_{j+1}^T r_{j+1} / r_j^T r_j,  p_{j+1} = r_{j+1} + beta_j p_j.
 *
 * Stops after kmax iterations, when ||r_j|| <= tol (tol > 0), or when r_j^T r_j is zero in
 * double precision (below DBL_MIN: the residual is exactly zero, or so small that its square
 * underflows and alpha, beta would be 0/0); that stop is clean, x is left as it is.  When
 * x_0 = 0 the product S x_0 is not computed (it is zero).  work = [r | p | S p], 3 n doubles.
 * p_j^T S p_j <= 0 proves S is not positive definite: HG_ERR_BREAKDOWN.  When trace is not
 * NULL, ||r_{j+1}|| is recorded with hg_trace_linear after every iteration.
 */
int hg_cg_trace(int n, hg_linop op, void *ctx, const double *b, double *x, int kmax, double tol,
                double *work, hg_ctx *trace, int *k_used, double *res, hg_error *err)
{
  int rc = HG_OK, j = 0;
  double rr = NAN;
  double *r = work, *p = work + (n > 0 ? n : 0), *Sp = work + 2 * (n > 0 ? n : 0);

  if (n <= 0 || !op || !b || !x || !work || kmax < 0) {
    rc = hg_fail(err, HG_ERR_ARG, "conjugate gradient: invalid arguments (n = %d, kmax = %d, "
                 "op, b, x and work must be given)", n, kmax);
    goto done;
  }

  /* r_0 = b - S x_0 */
  if (all_zero(n, x)) {
    hg_copy(n, b, r);
  } else {
    op(ctx, x, Sp);
    for (int i = 0; i < n; i++)
      r[i] = b[i] - Sp[i];
  }
  rr = hg_dot(n, r, r);
  if (!isfinite(rr)) {
    rc = hg_fail(err, HG_ERR_NAN, "conjugate gradient: the initial residual b - S x0 is not "
                 "finite (||r|| = %g)", sqrt(rr));
    goto done;
  }
  hg_copy(n, r, p);

  for (j = 0; j < kmax; j++) {
    if (rr < DBL_MIN || (tol > 0 && sqrt(rr) <= tol))
      break;
    op(ctx, p, Sp);
    double pSp = hg_dot(n, p, Sp);
    if (isnan(pSp)) {
      rc = hg_fail(err, HG_ERR_NAN, "conjugate gradient: p^T S p is not a number at iteration "
                   "%d", j);
      goto done;
    }
    if (pSp <= 0) {
      rc = hg_fail(err, HG_ERR_BREAKDOWN, "conjugate gradient: p^T S p = %g <= 0 at iteration "
                   "%d (the operator is not positive definite)", pSp, j);
      goto done;
    }
    double alpha = rr / pSp;
    hg_axpy(n, alpha, p, x);
    hg_axpy(n, -alpha, Sp, r);
    double rr_next = hg_dot(n, r, r);
    if (trace)
      hg_trace_linear(trace, sqrt(rr_next));
    double beta = rr_next / rr;
    for (int i = 0; i < n; i++)
      p[i] = r[i] + beta * p[i];
    rr = rr_next;
  }

done:
  if (k_used)
    *k_used = j;
  if (res)
    *res = sqrt(rr);
  return rc;
}

/* hg_cg: the contract is in hgbench.h; the algorithm is hg_cg_trace's, without a trace. */
int hg_cg(int n, hg_linop op, void *ctx, const double *b, double *x, int kmax, double tol,
          double *work, int *k_used, double *res, hg_error *err)
{
  return hg_cg_trace(n, op, ctx, b, x, kmax, tol, work, NULL, k_used, res, err);
}

/*
 * eig.c -- extreme eigenvalues of symmetric matrices (LAPACK) and of symmetric operators given
 * only by products (Lanczos).  Used for the constants mu and L of DESIGN §7.
 */
#include "hg_core.h"

#include <cblas.h>
#include <float.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* lambda_min and lambda_max of the dense symmetric n x n matrix A (row-major; only its upper
 * triangle is read).  dsyevr overwrites its matrix, so it works on a copy.  All eigenvalues
 * are computed (jobz = 'N', range = 'A', i.e. the tridiagonal reduction once and then the
 * O(n^2) root-free QR of dsterf): asking for the two extremes through il/iu would take two
 * calls and pay the O(n^3) reduction twice.  A non-finite entry is HG_ERR_NAN. */
int hg_sym_extremes(int n, const double *A, double *lambda_min, double *lambda_max,
                    hg_error *err)
{
  int status = HG_OK;
  double *a = NULL, *w = NULL, z_unused = 0.0;
  lapack_int found = 0, info;
  size_t i, nn;

  if (n < 1 || !A || !lambda_min || !lambda_max) {
    status = hg_fail(err, HG_ERR_ARG, "hg_sym_extremes: need n >= 1 (got %d) and non-NULL "
                     "arguments", n);
    goto done;
  }
  if ((size_t)n > SIZE_MAX / sizeof(double) / (size_t)n) {
    status = hg_fail(err, HG_ERR_ARG, "hg_sym_extremes: %d x %d matrix is too large", n, n);
    goto done;
  }
  nn = (size_t)n * (size_t)n;
  for (i = 0; i < nn; i++)
    if (!isfinite(A[i])) {
      status = hg_fail(err, HG_ERR_NAN, "hg_sym_extremes: entry (%zu, %zu) of the matrix is "
                       "%g", i / (size_t)n + 1, i % (size_t)n + 1, A[i]);
      goto done;
    }
  a = malloc(nn * sizeof *a);
  w = malloc((size_t)n * sizeof *w);
  if (!a || !w) {
    status = hg_fail(err, HG_ERR_NOMEM, "hg_sym_extremes: out of memory for a %d x %d matrix",
                     n, n);
    goto done;
  }
  memcpy(a, A, nn * sizeof *a);
  /* z is not referenced for jobz = 'N', but LAPACKE checks ldz >= n in row-major. */
  info = LAPACKE_dsyevr(LAPACK_ROW_MAJOR, 'N', 'A', 'U', n, a, n, 0.0, 0.0, 0, 0, 0.0, &found,
                        w, &z_unused, n, NULL);
  if (info != 0 || found != n) {
    status = hg_fail(err, info < 0 ? HG_ERR_ARG : HG_ERR_NUMERIC, "hg_sym_extremes: LAPACK "
                     "dsyevr failed on a %d x %d matrix (info = %d)", n, n, (int)info);
    goto done;
  }
  *lambda_min = w[0]; /* ascending order */
  *lambda_max = w[n - 1];
done:
  free(a);
  free(w);
  return status;
}

/* The il-th smallest eigenvalue theta (1-based il) of the m x m symmetric tridiagonal T_m with
 * diagonal alpha[0..m-1] and off-diagonal beta[0..m-2], and s, the last component of its unit
 * eigenvector.  d, e, wv (m doubles each) and z (m doubles) are scratch: dstevr overwrites its
 * inputs. */
static int ritz_pair(int m, const double *alpha, const double *beta, int il, double *d,
                     double *e, double *wv, double *z, double *theta, double *s, hg_error *err)
{
  lapack_int found = 0, isuppz[2], info;

  memcpy(d, alpha, (size_t)m * sizeof *d);
  if (m > 1)
    memcpy(e, beta, (size_t)(m - 1) * sizeof *e);
  e[m - 1] = 0.0;
  info = LAPACKE_dstevr(LAPACK_COL_MAJOR, 'V', 'I', m, d, e, 0.0, 0.0, il, il, 0.0, &found, wv,
                        z, m, isuppz);
  if (info != 0 || found != 1)
    return hg_fail(err, info < 0 ? HG_ERR_ARG : HG_ERR_NUMERIC, "hg_lanczos_extremes: LAPACK "
                   "dstevr failed on the %d x %d Lanczos matrix (info = %d)", m, m, (int)info);
  *theta = wv[0];
  *s = z[m - 1];
  return HG_OK;
}

/* lambda_min and lambda_max of the symmetric n x n operator op by Lanczos with full
 * reorthogonalization (Golub & Van Loan, Matrix Computations, §10.1):
 *
 *   q_1 = r / ||r||, r standard normal from hg_rng seeded by seed;
 *   for j = 1, 2, ...:  w = A q_j,  alpha_j = q_j^T w,
 *                       w -= alpha_j q_j + beta_{j-1} q_{j-1},
 *                       w -= Q_j (Q_j^T w) twice (classical Gram-Schmidt, repeated once),
 *                       beta_j = ||w||,  q_{j+1} = w / beta_j.
 *
 * The extreme eigenvalues theta of T_j = tridiag(beta, alpha, beta) approximate those of A,
 * and the Ritz pair (theta, Q_j s) has residual ||A Q_j s - theta Q_j s|| = |beta_j s_j| (s_j
 * the last entry of the unit eigenvector s), so an eigenvalue of A lies within that distance
 * of theta (and within residual^2 / gap, far closer, once theta is separated from the rest of
 * the spectrum).  Stop when both extremes have |beta_j s_j| <= tol * max(|theta_min|,
 * |theta_max|), or when the Krylov space is exhausted: j = n, or beta_j <= eps max|theta|
 * (an invariant subspace: the start vector has no component elsewhere, so with a random start
 * A has no other distinct eigenvalues and the values are exact to rounding).  tol = 0 runs to
 * exhaustion.  Memory: the j Lanczos vectors (j n doubles, at most n^2).  A non-finite product
 * is HG_ERR_NAN. */
int hg_lanczos_extremes(int n, hg_linop op, void *ctx, double tol, int maxit, uint64_t seed,
                        double *lambda_min, double *lambda_max, int *converged, hg_error *err)
{
  int status = HG_OK;
  double *Q = NULL;              /* q_1..q_j as the rows of a row-major j x n array */
  long cap = 0;                  /* rows Q has room for */
  double *alpha = NULL, *beta = NULL; /* T_j: diagonal and off-diagonal, n each */
  double *w = NULL, *h = NULL;   /* the new direction and its coefficients Q_j^T w */
  double *d = NULL, *e = NULL, *wv = NULL, *z = NULL; /* dstevr scratch */
  double theta_min = 0.0, theta_max = 0.0, s_min, s_max, nrm;
  hg_rng rng;
  int i, j, m, conv = 0;

  if (n < 1 || !op || !lambda_min || !lambda_max || !(tol >= 0.0) || !isfinite(tol)) {
    status = hg_fail(err, HG_ERR_ARG, "hg_lanczos_extremes: need n >= 1 (got %d), tol >= 0 "
                     "(got %g) and non-NULL op and outputs", n, tol);
    goto done;
  }
  if (maxit <= 0 || maxit > n)
    maxit = n;
  cap = maxit < 32 ? maxit : 32;
  if ((size_t)n > SIZE_MAX / sizeof(double) / (size_t)cap) {
    status = hg_fail(err, HG_ERR_ARG, "hg_lanczos_extremes: n = %d is too large", n);
    goto done;
  }
  Q = malloc((size_t)cap * (size_t)n * sizeof *Q);
  alpha = malloc((size_t)n * sizeof *alpha);
  beta = malloc((size_t)n * sizeof *beta);
  w = malloc((size_t)n * sizeof *w);
  h = malloc((size_t)n * sizeof *h);
  d = malloc((size_t)n * sizeof *d);
  e = malloc((size_t)n * sizeof *e);
  wv = malloc((size_t)n * sizeof *wv);
  z = malloc((size_t)n * sizeof *z);
  if (!Q || !alpha || !beta || !w || !h || !d || !e || !wv || !z) {
    status = hg_fail(err, HG_ERR_NOMEM, "hg_lanczos_extremes: out of memory for n = %d", n);
    goto done;
  }

  /* q_1: a seeded standard normal vector, normalized. */
  hg_rng_seed(&rng, seed);
  for (i = 0; i < n; i++)
    Q[i] = hg_rng_normal(&rng);
  nrm = cblas_dnrm2(n, Q, 1);
  cblas_dscal(n, 1.0 / nrm, Q, 1);

  for (j = 0;; j++) { /* j is 0-based here: q_{j+1} = Q + j n */
    const double *q = Q + (size_t)j * n;
    op(ctx, q, w);
    alpha[j] = cblas_ddot(n, q, 1, w, 1);
    cblas_daxpy(n, -alpha[j], q, 1, w, 1);
    if (j > 0)
      cblas_daxpy(n, -beta[j - 1], q - n, 1, w, 1);
    for (int pass = 0; pass < 2; pass++) {
      cblas_dgemv(CblasRowMajor, CblasNoTrans, j + 1, n, 1.0, Q, n, w, 1, 0.0, h, 1);
      cblas_dgemv(CblasRowMajor, CblasTrans, j + 1, n, -1.0, Q, n, h, 1, 1.0, w, 1);
    }
    beta[j] = cblas_dnrm2(n, w, 1);
    if (!isfinite(alpha[j]) || !isfinite(beta[j])) {
      status = hg_fail(err, HG_ERR_NAN, "hg_lanczos_extremes: the operator gave a non-finite "
                       "value at Lanczos step %d of n = %d", j + 1, n);
      goto done;
    }

    m = j + 1;
    status = ritz_pair(m, alpha, beta, 1, d, e, wv, z, &theta_min, &s_min, err);
    if (status)
      goto done;
    status = ritz_pair(m, alpha, beta, m, d, e, wv, z, &theta_max, &s_max, err);
    if (status)
      goto done;
    double scale = fmax(fabs(theta_min), fabs(theta_max));
    if (m == n || beta[j] <= DBL_EPSILON * scale) {
      conv = 3; /* Krylov space exhausted: the Ritz values are eigenvalues */
      break;
    }
    conv = (fabs(beta[j] * s_min) <= tol * scale) | (fabs(beta[j] * s_max) <= tol * scale) << 1;
    if (conv == 3 || m == maxit)
      break;

    if (m == cap) { /* room for q_{m+1}: double the rows, at most maxit */
      long ncap = 2 * cap < maxit ? 2 * cap : maxit;
      double *grown = realloc(Q, (size_t)ncap * (size_t)n * sizeof *Q);
      if (!grown) {
        status = hg_fail(err, HG_ERR_NOMEM, "hg_lanczos_extremes: out of memory for %ld "
                         "Lanczos vectors of length %d", ncap, n);
        goto done;
      }
      Q = grown;
      cap = ncap;
    }
    cblas_dcopy(n, w, 1, Q + (size_t)m * n, 1);
    cblas_dscal(n, 1.0 / beta[j], Q + (size_t)m * n, 1);
  }
  *lambda_min = theta_min;
  *lambda_max = theta_max;
  if (converged)
    *converged = conv;
  else if (conv != 3)
    status = hg_fail(err, HG_ERR_BUDGET, "hg_lanczos_extremes: the extreme eigenvalues of an "
                     "operator of size %d did not reach relative accuracy %g in %d steps", n,
                     tol, maxit);
done:
  free(Q);
  free(alpha);
  free(beta);
  free(w);
  free(h);
  free(d);
  free(e);
  free(wv);
  free(z);
  return status;
}

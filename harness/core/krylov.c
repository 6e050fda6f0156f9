/*
 * krylov.c -- the one conjugate gradient of the project (hg_cg, used by aid-cg and aid-cg-normal
 * and by anyone who needs to solve a symmetric positive definite system given as an operator)
 * and the one restarted GMRES (hg_gmres, aid-gmres: any nonsingular operator), on the vector
 * kernels of linalg.c; the traced variants record residuals in a run's hg_ctx (run.c).
 */
#include "hg_core.h"

#include <cblas.h>
#include <float.h>
#include <math.h>

/* Forward declaration: hg_cg with a residual trace; declared for methods in
 * methods/hypergrad/common.h. */
int hg_cg_trace(int n, hg_linop op, void *ctx, const double *b, double *x, int kmax, double tol,
                double *work, hg_ctx *trace, int *k_used, double *res, hg_error *err);
/* The same for hg_gmres. */
int hg_gmres_trace(int n, hg_linop op, void *ctx, const double *b, double *x, int kmax,
                   int restart, double tol, double *work, hg_ctx *trace, int *k_used,
                   double *res, hg_error *err);

/* 1 if every entry of x is exactly zero. */
/* HG_ERR_TIMEOUT, naming the solver and its iteration, when the run's --max-seconds deadline
 * (trace->deadline, set by the harness) has passed; HG_OK otherwise or without a context. */
static int past_deadline(const hg_ctx *trace, const char *solver, int j, hg_error *err)
{
  if (trace && trace->deadline > 0 && hg_now() > trace->deadline)
    return hg_fail(err, HG_ERR_TIMEOUT, "%s: stopped at iteration %d, past the --max-seconds "
                   "deadline", solver, j);
  return HG_OK;
}

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
    if ((rc = past_deadline(trace, "conjugate gradient", j, err)))
      goto done;
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

size_t hg_gmres_work(int n, int restart)
{
  size_t m = restart > 0 ? (size_t)restart : 1, nn = n > 0 ? (size_t)n : 0;
  return (m + 1) * nn + (m + 1) * m + 2 * m + 2 * (m + 1);
}

/* r = b - A x into r (one product), or b when x = 0 (none); returns ||r||. */
static double gmres_residual(int n, hg_linop op, void *ctx, const double *b, const double *x,
                             double *r)
{
  if (all_zero(n, x)) {
    hg_copy(n, b, r);
  } else {
    op(ctx, x, r);
    for (int i = 0; i < n; i++)
      r[i] = b[i] - r[i];
  }
  return hg_nrm2(n, r);
}

/*
 * Restarted GMRES(m) for A x = b (Saad and Schultz 1986; Saad, Iterative Methods for Sparse
 * Linear Systems, 2nd ed., Alg. 6.9 and 6.11), the adjoint solver of aid-gmres (DESIGN §4):
 *
 *   cycle: r = b - A x, beta = ||r||, v_0 = r / beta, g = beta e_0;
 *     for j = 0 .. m-1 (Arnoldi):  u = A v_j;
 *       h_ij = v_i^T u, u -= h_ij v_i for i <= j   (classical Gram-Schmidt, twice);
 *       h_{j+1,j} = ||u||;  v_{j+1} = u / h_{j+1,j};
 *       rotate column j by G_0 .. G_{j-1}, then choose G_j (c, s) to zero h_{j+1,j}:
 *       g_{j+1} = -s g_j,  g_j = c g_j;  |g_{j+1}| = min over x + K_{j+1} of ||b - A z||;
 *     x += V y with R y = g (the rotated Hessenberg matrix R, upper triangular).
 *
 * The Krylov space is exhausted (the least-squares solution is exact) when h_{j+1,j} = 0 or
 * when j + 1 = n in one cycle (then h_{j+1,j} is rounding noise and is set to its exact value
 * 0): the solve stops cleanly.  work = [V (m+1) n | H (m+1) m, column j at H + j (m+1) |
 * c, s (m each) | g (m+1) | a Gram-Schmidt pass (m+1)], with m = restart.
 */
int hg_gmres_trace(int n, hg_linop op, void *ctx, const double *b, double *x, int kmax,
                   int restart, double tol, double *work, hg_ctx *trace, int *k_used,
                   double *res, hg_error *err)
{
  int rc = HG_OK, k = 0;
  double beta = NAN, est = NAN;

  if (n <= 0 || !op || !b || !x || !work || kmax < 0 || restart < 1) {
    rc = hg_fail(err, HG_ERR_ARG, "GMRES: invalid arguments (n = %d, kmax = %d, restart = %d; "
                 "op, b, x and work must be given)", n, kmax, restart);
    goto done;
  }
  const int m = restart;
  double *V = work, *H = V + (size_t)(m + 1) * (size_t)n, *cs = H + (size_t)(m + 1) * m,
         *sn = cs + m, *g = sn + m, *pass = g + m + 1;

  beta = gmres_residual(n, op, ctx, b, x, V);
  est = beta;
  for (;;) { /* one cycle, from the true residual r = b - A x in V (norm beta) */
    if (!isfinite(beta)) {
      rc = hg_fail(err, HG_ERR_NAN, "GMRES: the residual b - A x is not finite (||r|| = %g) "
                   "after %d iterations", beta, k);
      goto done;
    }
    if (beta < DBL_MIN || (tol > 0 && beta <= tol) || k >= kmax)
      break; /* an exactly zero (or underflowing) residual, the tolerance, the budget */
    for (int i = 0; i < n; i++)
      V[i] /= beta;
    g[0] = beta;
    int j = 0, exhausted = 0;
    while (j < m && k < kmax) {
      double *u = V + (size_t)(j + 1) * n, *h = H + (size_t)j * (m + 1);
      if ((rc = past_deadline(trace, "GMRES", k, err)))
        goto done;
      op(ctx, V + (size_t)j * n, u);
      /* h[0..j] = V^T u, u -= V h, twice ("twice is enough": orthogonal to working precision) */
      cblas_dgemv(CblasRowMajor, CblasNoTrans, j + 1, n, 1.0, V, n, u, 1, 0.0, h, 1);
      cblas_dgemv(CblasRowMajor, CblasTrans, j + 1, n, -1.0, V, n, h, 1, 1.0, u, 1);
      cblas_dgemv(CblasRowMajor, CblasNoTrans, j + 1, n, 1.0, V, n, u, 1, 0.0, pass, 1);
      cblas_dgemv(CblasRowMajor, CblasTrans, j + 1, n, -1.0, V, n, pass, 1, 1.0, u, 1);
      hg_axpy(j + 1, 1.0, pass, h);
      double h_next = hg_nrm2(n, u);
      k++;
      exhausted = h_next == 0 || j + 1 == n;
      h[j + 1] = j + 1 == n ? 0.0 : h_next;
      for (int i = 0; i < j; i++) { /* the earlier rotations */
        double a = cs[i] * h[i] + sn[i] * h[i + 1];
        h[i + 1] = -sn[i] * h[i] + cs[i] * h[i + 1];
        h[i] = a;
      }
      double r = hypot(h[j], h[j + 1]); /* G_j zeroes h_{j+1,j} */
      cs[j] = h[j + 1] == 0 ? 1.0 : h[j] / r;
      sn[j] = h[j + 1] == 0 ? 0.0 : h[j + 1] / r;
      h[j] = h[j + 1] == 0 ? h[j] : r;
      h[j + 1] = 0;
      g[j + 1] = -sn[j] * g[j];
      g[j] = cs[j] * g[j];
      est = fabs(g[j + 1]);
      if (trace)
        hg_trace_linear(trace, est);
      if (!isfinite(est)) {
        rc = hg_fail(err, HG_ERR_NAN, "GMRES: the residual estimate is not finite at iteration "
                     "%d", k);
        goto done;
      }
      j++;
      if (exhausted || (tol > 0 && est <= tol))
        break;
      for (int i = 0; i < n; i++)
        u[i] /= h_next;
    }
    /* y = R^{-1} g by back substitution (in g), x += V y */
    for (int i = j - 1; i >= 0; i--) {
      double rii = H[(size_t)i * (m + 1) + i];
      for (int l = i + 1; l < j; l++)
        g[i] -= H[(size_t)l * (m + 1) + i] * g[l];
      if (rii == 0) {
        rc = hg_fail(err, HG_ERR_BREAKDOWN, "GMRES: the least-squares matrix is singular at "
                     "iteration %d (the operator is singular)", k);
        goto done;
      }
      g[i] /= rii;
    }
    cblas_dgemv(CblasRowMajor, CblasTrans, j, n, 1.0, V, n, g, 1, 1.0, x, 1);
    if ((exhausted && !(tol > 0)) || (k >= kmax && !(tol > 0 && est <= tol)))
      break; /* exact, or out of budget: no residual product */
    beta = gmres_residual(n, op, ctx, b, x, V);
    est = beta;
  }

done:
  if (k_used)
    *k_used = k;
  if (res)
    *res = est;
  return rc;
}

/* hg_gmres: the contract is in hgbench.h; the algorithm is hg_gmres_trace's, without a trace. */
int hg_gmres(int n, hg_linop op, void *ctx, const double *b, double *x, int kmax, int restart,
             double tol, double *work, int *k_used, double *res, hg_error *err)
{
  return hg_gmres_trace(n, op, ctx, b, x, kmax, restart, tol, work, NULL, k_used, res, err);
}

/*
 * newton.c -- the damped Newton method and the dense Cholesky solve of the exact references
 * (DESIGN §3).  See newton.h.
 */
#include "newton.h"

#include <float.h>
#include <lapacke.h>
#include <math.h>

#define HG_ARMIJO_C 1e-4
#define HG_ARMIJO_MAX_HALVINGS 60

int hg_newton(const char *name, int n, const hg_newton_ops *ops, void *ctx, double *x,
              double *work, hg_error *err)
{
  int status = HG_OK, converged = 0;
  double *grad = work, *dx = work + n, *trial = work + 2 * (size_t)n;
  double dx_prev = INFINITY, grad0 = NAN;

  for (int it = 0; it < HG_NEWTON_MAX_IT && !converged; it++) {
    const double g = ops->f(ctx, x, grad);
    if (ops->gtol > 0) {
      const double grad_norm = hg_nrm2(n, grad);
      if (it == 0)
        grad0 = grad_norm;
      if (grad_norm <= ops->gtol * grad0) {
        converged = 1;
        break;
      }
    }
    status = ops->direction(ctx, x, grad, dx, err);
    if (status != HG_OK)
      goto done;

    /* Armijo backtracking on g along dx: g(x + t dx) <= g(x) - c t (-grad . dx). */
    const double decrease = -hg_dot(n, grad, dx);
    double t = 1.0;
    int accepted = 0;
    for (int h = 0; h <= HG_ARMIJO_MAX_HALVINGS && !accepted; h++) {
      t = h == 0 ? 1.0 : 0.5 * t; /* halved before the trial, so t stays the step taken */
      for (int j = 0; j < n; j++)
        trial[j] = x[j] + t * dx[j];
      if (decrease <= 4 * DBL_EPSILON * (1.0 + fabs(g)))
        accepted = 1;
      else
        accepted = ops->f(ctx, trial, NULL) <= g - HG_ARMIJO_C * t * decrease;
    }
    if (!accepted) {
      status = hg_fail(err, HG_ERR_NUMERIC, "%s: Newton's line search found no decrease of g "
                       "at iteration %d", name, it);
      goto done;
    }
    hg_copy(n, trial, x);

    const double dx_norm = hg_nrm2(n, dx), scale = 1.0 + hg_nrm2(n, x);
    converged = dx_norm <= HG_NEWTON_TOL * scale ||
                (t == 1.0 && dx_norm <= 1e-8 * scale && dx_norm > 0.5 * dx_prev);
    dx_prev = dx_norm;
  }
  if (!converged)
    status = hg_fail(err, HG_ERR_NUMERIC, "%s: Newton did not reach ||dx|| <= 1e-14 (1 + ||x||) "
                     "in %d iterations", name, HG_NEWTON_MAX_IT);

done:
  return status;
}

int hg_dense_chol_factor(const char *name, const char *what, int n, double *H, hg_error *err)
{
  const lapack_int info = LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'U', n, H, n);

  if (info != 0)
    return hg_fail(err, HG_ERR_NUMERIC, "%s: Cholesky of the %d x %d %s failed (LAPACK info "
                   "%d: not positive definite)", name, n, n, what, (int)info);
  return HG_OK;
}

int hg_dense_chol_solve(const char *name, const char *what, int n, const double *F, double *b,
                        hg_error *err)
{
  const lapack_int info = LAPACKE_dpotrs(LAPACK_ROW_MAJOR, 'U', n, 1, F, n, b, 1);

  if (info != 0)
    return hg_fail(err, HG_ERR_NUMERIC, "%s: Cholesky solve with the %s failed (LAPACK info %d)",
                   name, what, (int)info);
  return HG_OK;
}

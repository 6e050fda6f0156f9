/*
 * fd.c -- central finite differences of the hyperobjective (DESIGN §4 "fd"), for verification:
 *
 *     f(theta) = E(w*(theta), theta)  with w* from the problem's exact solve,
 *     h_j = h max(1, |theta_j|),
 *     ghat_j = (f(theta + h_j e_j) - f(theta - h_j e_j)) / (2 h_j),
 *
 * with 2 h_j replaced by the distance between the two representable perturbed points, so the
 * step is exact.  Error O(h^2 f''') + O(eps |f| / h): h = cbrt(eps) balances them (~1e-11
 * relative for smooth f).  out->w = w*(theta).
 */
#include "common.h"

#include <float.h>
#include <math.h>

/* Bytes: the perturbed theta and the exact gradient there (m each), w* there (n). */
static size_t fd_space(int n, int m, const hg_budget *b)
{
  return (2 * (size_t)m + (size_t)n) * sizeof(double);
}

/* The central differences above, 2 m + 1 exact solves. */
static int fd_compute(hg_problem *P, const hg_params *mp, const double *theta,
                      const double *w0, const hg_budget *b, hg_ctx *ctx, hg_out *out,
                      hg_error *err)
{
  int rc = HG_OK, n = P->n_w, m = P->n_theta;
  double *theta_h = NULL, *w_h = NULL, *grad_h = NULL; /* theta +- h_j e_j, w* and grad f there */
  double h = mp ? hg_params_real(mp, "h") : cbrt(DBL_EPSILON);

  out->t_used = out->k_used = 0;
  if (!(h > 0)) {
    rc = hg_fail(err, HG_ERR_ARG, "method 'fd': the relative step h=%g must be positive", h);
    goto done;
  }
  if ((rc = hg_work(ctx, "fd", (size_t)m, &theta_h, err)) ||
      (rc = hg_work(ctx, "fd", (size_t)n, &w_h, err)) ||
      (rc = hg_work(ctx, "fd", (size_t)m, &grad_h, err)))
    goto done;

  if ((rc = hg_exact(P, theta, out->w, grad_h, err)))
    goto done;
  hg_copy(m, theta, theta_h);
  for (int j = 0; j < m; j++) {
    double h_j = h * fmax(1.0, fabs(theta[j]));
    double f_plus, f_minus, step;

    theta_h[j] = theta[j] + h_j;
    step = theta_h[j];
    if ((rc = hg_exact(P, theta_h, w_h, grad_h, err)))
      goto done;
    f_plus = hg_upper(P, w_h, theta_h, NULL, NULL);

    theta_h[j] = theta[j] - h_j;
    step -= theta_h[j];
    if ((rc = hg_exact(P, theta_h, w_h, grad_h, err)))
      goto done;
    f_minus = hg_upper(P, w_h, theta_h, NULL, NULL);

    theta_h[j] = theta[j];
    out->grad[j] = (f_plus - f_minus) / step;
  }

done:
  hg_free(ctx, grad_h);
  hg_free(ctx, w_h);
  hg_free(ctx, theta_h);
  return rc;
}

static const hg_param_spec fd_params[] = {
  {"h", HG_PARAM_REAL, "6.0554544523933395e-06", 1e-12, 0.1, NULL,
   "relative step: h_j = h max(1, |theta_j|) (default cbrt(DBL_EPSILON))"},
  {.key = NULL},
};

/* Central differences of exact solves agree with the exact hypergradient to O(h^2). */
static const hg_identity fd_identities[] = {
  {.other = "exact", .tol = 1e-6, .why = "central differences: O(h^2) error, h = 1e-5"},
  {.other = NULL},
};

const hg_method_ops hg_method_fd = {
  .version = HG_OPS_VERSION,     /* ops layout this table follows */
  .name = "fd",                         /* registry name (file fd.c) */
  .summary = "central finite differences of E(w*(theta), theta), exact solves (verification)",
  .params = fd_params,                  /* h: relative step */
  .needs = HG_NEEDS_EXACT,              /* the exact lower solve */
  .space = fd_space,                    /* workspace bytes: O(n + m) */
  .compute = fd_compute,                /* the method */
  .revision = 1,                        /* bump when this method's numbers change */
  .display = "finite differences",      /* legend name */
  .budgets = 0, /* what it reads of hg_budget */
  .identities = fd_identities, /* DESIGN §7 */
  .columnwise = 1,                      /* work grows column by column of theta */
  .cost = "2m + 1 exact solves",
};

/*
 * exact.c -- the problem's exact hypergradient (DESIGN §4 "exact"): w* and grad f(theta) by
 * the problem's direct solve.  The reference for every error; no iterations, no workspace.
 */
#include "common.h"

/* exact allocates nothing. */
static size_t exact_space(int n, int m, const hg_budget *b)
{
  return 0;
}

/* out->w = w*(theta), out->grad = grad f(theta) = grad_theta E + d_theta Phi^T v* with
 * (I - d_w Phi^T) v* = grad_w E at w* (DESIGN §1), as the problem's exact op computes it. */
static int exact_compute(hg_problem *P, const hg_params *mp, const double *theta,
                         const double *w0, const hg_budget *b, hg_ctx *ctx, hg_out *out,
                         hg_error *err)
{
  out->t_used = 0;
  out->k_used = 0;
  return hg_exact(P, theta, out->w, out->grad, err);
}

static const hg_param_spec exact_params[] = {{.key = NULL}};

const hg_method_ops hg_method_exact = {
  .version = HG_OPS_VERSION,            /* ops layout this table follows */
  .name = "exact",                             /* registry name (file exact.c) */
  .summary = "the problem's direct solve: w* and the exact hypergradient", /* one line */
  .params = exact_params,                      /* an empty schema */
  .needs = HG_NEEDS_EXACT,                     /* the problem's exact op */
  .space = exact_space,                        /* no workspace */
  .compute = exact_compute,                    /* hg_exact */
  .revision = 1,                        /* bump when this method's numbers change */
  .display = "exact",                   /* legend name */
  .budgets = 0, /* what it reads of hg_budget */
  .cost = "one direct solve: the problem's exact op",
};

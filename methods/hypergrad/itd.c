/*
 * itd.c -- reverse-mode iterative differentiation (DESIGN §4 "itd"): the exact gradient of
 * f_t(theta) = E(w_t(theta), theta), w_t the t-th lower iterate from w0:
 *
 *     w_{i+1} = Phi(w_i, theta) for i < t   (storing w_0 .. w_t),
 *     p = grad_w E(w_t), g = grad_theta E(w_t);
 *     for i = t-1 .. 0:  g += d_theta Phi(w_i)^T p;  p = d_w Phi(w_i)^T p.
 *
 * With tol_lower > 0, t is the number of lower steps actually done.  Memory O(t n) for the
 * tape; itd-forward computes the same value with O(n m) and no tape.
 */
#include "common.h"

#include <math.h>

/* Bytes: the tape w_0 .. w_t ((t + 1) n) and the sweep (2 n + m). */
static size_t itd_space(int n, int m, const hg_budget *b)
{
  return hg_itd_space(n, m, b->t, b->t);
}

/* itd is the reverse sweep over all t steps (K = t). */
static int itd_compute(hg_problem *P, const hg_params *mp, const double *theta,
                       const double *w0, const hg_budget *b, hg_ctx *ctx, hg_out *out,
                       hg_error *err)
{
  return hg_itd_run(P, "itd", theta, w0, b, b->t, ctx, out, err);
}

static const hg_param_spec itd_params[] = {{.key = NULL}};

/* DESIGN §7: forward and reverse mode give the same gradient of E(w_t(theta), theta); for Phi
 * affine in w with d_theta Phi independent of w, the reverse sweep is aid-fp's series. */
static const hg_identity itd_identities[] = {
  {.other = "itd-forward", .t = 6, .other_t = 6, .tol = 1e-10,
   .why = "forward and reverse accumulation of the same derivative"},
  {.other = "aid-fp", .t = 6, .other_t = 6, .other_k = 6, .tol = 1e-10, .needs_affine = 1,
   .why = "Phi affine in w: the reverse sweep sums aid-fp's t-term series"},
  {.other = NULL},
};

const hg_method_ops hg_method_itd = {
  .version = HG_OPS_VERSION,     /* ops layout this table follows */
  .name = "itd",                        /* registry name (file itd.c) */
  .summary = "reverse-mode iterative differentiation: exact gradient of E(w_t(theta), theta)",
  .params = itd_params,                 /* an empty schema */
  .needs = HG_NEEDS_CONTRACTION,        /* iterates Phi */
  .space = itd_space,                   /* workspace bytes: O(t n) tape */
  .compute = itd_compute,               /* the method */
  .rate = hg_rate_q_in_t,                /* error bound ~ t q^t (DESIGN §7) */
  .bound = hg_bound_itd,                 /* (c1 + c2 t/q + c3) q^t */
  .revision = 1,                        /* bump when this method's numbers change */
  .display = "ITD (reverse)",           /* legend name */
  .budgets = HG_BUDGET_T | HG_BUDGET_TOL_LOWER, /* what it reads of hg_budget */
  .identities = itd_identities, /* DESIGN §7 */
  .cost = "t Phi, t vjp_w, t vjp_theta; a tape of t + 1 iterates",
};

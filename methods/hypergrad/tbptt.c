/*
 * tbptt.c -- truncated back-propagation through the lower iterations (DESIGN §4 "tbptt"):
 * itd with the reverse sweep stopped after the last K = min(K, t) steps,
 *
 *     w_{i+1} = Phi(w_i, theta) for i < t   (storing only w_{t-K} .. w_t),
 *     p = grad_w E(w_t), g = grad_theta E(w_t);
 *     for i = t-1 .. t-K:  g += d_theta Phi(w_i)^T p;  p = d_w Phi(w_i)^T p.
 *
 * Bias c_3 q^K on top of itd's error (DESIGN §7); K = t is itd exactly.
 */
#include "common.h"

#include <math.h>

/* Bytes: the last min(K, t) + 1 iterates and the sweep (2 n + m). */
static size_t tbptt_space(int n, int m, const hg_budget *b)
{
  return hg_itd_space(n, m, b->t, b->K);
}

/* The itd driver with the sweep truncated to b->K steps. */
static int tbptt_compute(hg_problem *P, const hg_params *mp, const double *theta,
                         const double *w0, const hg_budget *b, hg_ctx *ctx, hg_out *out,
                         hg_error *err)
{
  return hg_itd_run(P, "tbptt", theta, w0, b, b->K, ctx, out, err);
}

static const hg_param_spec tbptt_params[] = {{.key = NULL}};

/* DESIGN §7: the itd bound plus the truncation's c3 q^K (K <= t steps kept). */
static double tbptt_bound(const hg_theory *th, int t, int k, int K)
{
  return hg_bound_itd(th, t, k, K) + th->c3 * pow(th->c.q, K < t ? K : t);
}

/* DESIGN §7: truncation after K = t steps truncates nothing. */
static const hg_identity tbptt_identities[] = {
  {.other = "itd", .t = 6, .K = 6, .other_t = 6, .tol = 1e-10,
   .why = "K = t keeps every backward step"},
  {.other = NULL},
};

const hg_method_ops hg_method_tbptt = {
  .version = HG_OPS_VERSION,     /* ops layout this table follows */
  .name = "tbptt",                      /* registry name (file tbptt.c) */
  .summary = "itd truncated to the last K lower steps (budget K)", /* one line */
  .params = tbptt_params,               /* an empty schema: K comes with the budget */
  .needs = HG_NEEDS_CONTRACTION,        /* iterates Phi */
  .space = tbptt_space,                 /* workspace bytes: O(K n) */
  .compute = tbptt_compute,             /* the method */
  .rate = hg_rate_q_in_t,                /* rate q in t (K fixed: up to its bias floor) */
  .bound = tbptt_bound,                   /* itd bound + c3 q^K */
  .biased = 1,                            /* K < t keeps a floor c3 q^K as t grows */
  .revision = 1,                        /* bump when this method's numbers change */
  .display = "TBPTT",                   /* legend name */
  .budgets = HG_BUDGET_T | HG_BUDGET_KBACK | HG_BUDGET_TOL_LOWER, /* of hg_budget */
  .identities = tbptt_identities, /* DESIGN §7 */
  .cost = "t Phi, K vjp_w, K vjp_theta; a tape of K + 1 iterates",
};

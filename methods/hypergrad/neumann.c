/*
 * neumann.c -- implicit differentiation with a truncated Neumann series (DESIGN §4
 * "neumann"): after t lower steps, with J = d_w Phi(w_t) and b = grad_w E(w_t),
 *
 *     v = sum_{j=0}^{k} (J^T)^j b,
 *       computed as  term = b, v = b;  for j = 1..k: term = J^T term; v += term,
 *     ghat = grad_theta E(w_t) + d_theta Phi(w_t)^T v.
 *
 * Equals aid-fp with k + 1 (the same partial sums).  With tol_linear > 0 it stops after the
 * first term with ||term|| <= tol_linear; ||term|| is traced.
 */
#include "common.h"

#include <math.h>

/* The adjoint solve of neumann (DESIGN §4), with J = d_w Phi(w_t) and b = grad_w E(w_t):
 *     term = b, v = b;  for j = 1..k: term = J^T term; v += term,
 * stopping after the first term with ||term|| <= tol_linear.  *k_used counts the terms after
 * the first (products with J^T).  b is not needed once v = b: its vector (gw) carries the
 * terms, with work[1]; v is work[0]. */
static int neumann_solve(hg_problem *P, const hg_aid_solver *S, const double *theta,
                         const double *w, double *gw, double *const *work, const hg_budget *b,
                         hg_ctx *ctx, const double **v_out, int *k_used, hg_error *err)
{
  int rc = HG_OK, n = P->n_w;
  double *v = work[0];                     /* the partial sum */
  double *term = gw, *term_next = work[1]; /* (J^T)^j b and (J^T)^{j+1} b */
  double res0;

  int s = 0, k_end = b->k;
  const double *res_c = NULL, *state = NULL;
  hg_lower_cache *cache = ctx->lower_cache;

  if (cache) /* resume from a recorded (partial sum, term) at this w_t */
    s = hg_lower_cache_linear_start(cache, S->method, w, gw, b->k, b->tol_linear, 2, &k_end,
                                    &res_c, &state);
  hg_copy(n, gw, v);
  res0 = hg_nrm2(n, term);
  if (s) {
    double *x[2] = {v, term};
    hg_linear_resume(P, ctx, s, res_c, 2, state, x, k_used);
  }
  for (int j = s + 1; j <= k_end; j++) {
    hg_vjp_w(P, w, theta, term, term_next);
    double *swap = term;
    term = term_next;
    term_next = swap;
    hg_axpy(n, 1.0, term, v);
    double res = hg_nrm2(n, term);
    hg_trace_linear(ctx, res);
    *k_used = j;
    if ((rc = hg_watch(P, S->method, "Neumann term", j, res, res0, err)))
      return rc;
    if (cache)
      hg_lower_cache_linear_step(cache, j - 1, res);
    if (b->tol_linear > 0 && res <= b->tol_linear)
      break;
  }
  if (cache) {
    const double *x[2] = {v, term};
    hg_lower_cache_linear_end(cache, *k_used, x);
  }
  *v_out = v;
  return HG_OK;
}

/* neumann for the driver (common.h). */
static const hg_aid_solver neumann_solver = {
  .method = "neumann",                  /* registry name, for messages */
  .work = {1, 1},                       /* blocks: v, a second term (b is the first) */
  .solve = neumann_solve,               /* the partial sum above */
};

/* aid_params, aid_space, aid_space_params, aid_compute: the shared slots (common.h). */
HG_AID_METHOD(neumann_solver)

/* DESIGN §7: as aid-fp with k + 1. */
static double neumann_bound(const hg_theory *th, int t, int k, int K)
{
  return hg_bound_aid_lower(th, t) + th->c3 * pow(th->c.q, k + 1);
}

/* DESIGN §7: k + 1 terms of the Neumann series are k + 1 fixed-point steps. */
static const hg_identity neumann_identities[] = {
  {.other = "aid-fp", .t = 6, .k = 3, .other_t = 6, .other_k = 4, .tol = 1e-10,
   .why = "the same partial sums"},
  {.other = NULL},
};

const hg_method_ops hg_method_neumann = {
  .version = HG_OPS_VERSION,     /* ops layout this table follows */
  .name = "neumann",                    /* registry name (file neumann.c) */
  .summary = "implicit differentiation, adjoint by a Neumann series of k + 1 terms", /* line */
  HG_AID_OPS,                           /* lower=, workspace, hg_aid_run (common.h) */
  .budgets = HG_AID_BUDGETS, /* what it reads of hg_budget */
  .needs = HG_NEEDS_CONTRACTION,        /* the series converges for q < 1 */
  .rate = hg_rate_q,                     /* q in t and in k (as aid-fp) */
  .bound = neumann_bound,                 /* aid-fp bound with k + 1 */
  .revision = 1,                        /* bump when this method's numbers change */
  .display = "Neumann",                 /* legend name */
  .identities = neumann_identities, /* DESIGN §7 */
  .cost = "t Phi, k vjp_w, 1 vjp_theta",
};

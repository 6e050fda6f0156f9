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

/* Bytes: lower scratch, b (reused as a term), v, one more term (n each), the tail (m). */
static size_t neumann_space(int n, int m, const hg_budget *b)
{
  return hg_aid_space(n, m, &neumann_solver);
}

/* The same with the method's parameters (lower=fista adds FISTA's two iterates). */
static size_t neumann_space_params(int n, int m, const hg_budget *b, const hg_params *mp)
{
  hg_aid_solver S = hg_aid_with(&neumann_solver, mp);
  return hg_aid_space(n, m, &S);
}

/* The driver: lower loop, grad E, neumann_solve, the tail. */
static int neumann_compute(hg_problem *P, const hg_params *mp, const double *theta,
                           const double *w0, const hg_budget *b, hg_ctx *ctx, hg_out *out,
                           hg_error *err)
{
  hg_aid_solver S = hg_aid_with(&neumann_solver, mp);
  return hg_aid_run(P, &S, theta, w0, b, ctx, out, err);
}

static const hg_param_spec neumann_params[] = {
  HG_AID_PARAMS,
  {NULL, 0, NULL, 0, 0, NULL, NULL},
};

/* DESIGN §7: as aid-fp with k + 1. */
static double neumann_bound(const hg_theory *th, int t, int k, int K)
{
  return hg_bound_aid_lower(th, t) + th->c3 * pow(th->c.q, k + 1);
}

const hg_method_ops hg_method_neumann = {
  .version = HG_METHOD_OPS_VERSION,     /* ops layout this table follows */
  .name = "neumann",                    /* registry name (file neumann.c) */
  .summary = "implicit differentiation, adjoint by a Neumann series of k + 1 terms", /* line */
  .params = neumann_params,             /* no parameters */
  .needs = HG_NEEDS_CONTRACTION,        /* the series converges for q < 1 */
  .space = neumann_space,               /* workspace bytes: O(n) */
  .space_params = neumann_space_params, /* with lower=fista */
  .compute = neumann_compute,           /* the method */
  .rate = hg_rate_q,                     /* q in t and in k (as aid-fp) */
  .bound = neumann_bound,                 /* aid-fp bound with k + 1 */
};

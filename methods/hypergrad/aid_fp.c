/*
 * aid_fp.c -- approximate implicit differentiation by fixed-point iteration (DESIGN §4
 * "aid-fp"): after t lower steps, the adjoint system (I - d_w Phi(w_t)^T) v = grad_w E(w_t)
 * solved by its own contraction,
 *
 *     v_0 = 0,  v_{j+1} = d_w Phi(w_t)^T v_j + grad_w E(w_t)  for j < k,
 *     ghat = grad_theta E(w_t) + d_theta Phi(w_t)^T v_k.
 *
 * With tol_linear > 0 it stops at the first j with ||v_{j+1} - v_j|| <= tol_linear; that
 * residual is traced.  Error (c_1 + c_2/(1-q)) q^t + c_3 q^k (DESIGN §7).
 */
#include "common.h"

#include <math.h>

/* The adjoint solve of aid-fp (DESIGN §4):
 *     v_0 = 0,  v_{j+1} = d_w Phi(w_t)^T v_j + grad_w E(w_t)  for j < k,
 * stopping after the first j with ||v_{j+1} - v_j|| <= tol_linear.  Every product is made (k
 * vjp_w), so the counts are DESIGN's; v_0 = 0 is the zeroed work[0], v_{j+1} goes to work[1]. */
static int aid_fp_solve(hg_problem *P, const hg_aid_solver *S, const double *theta,
                        const double *w, double *gw, double *const *work, const hg_budget *b,
                        hg_ctx *ctx, const double **v_out, int *k_used, hg_error *err)
{
  int rc = HG_OK, n = P->n_w;
  double *v = work[0], *v_next = work[1]; /* v_j, v_{j+1} */
  double res0 = 0;
  int s = 0, k_end = b->k;
  const double *res_c = NULL, *v_s = NULL;
  hg_lower_cache *cache = ctx->lower_cache;

  if (cache) /* resume from a recorded v_s at this w_t */
    s = hg_lower_cache_linear_start(cache, S->method, w, gw, b->k, b->tol_linear, 1, &k_end,
                                    &res_c, &v_s);
  if (s)
    res0 = hg_linear_resume(P, ctx, s, res_c, 1, v_s, &v, k_used);
  for (int j = s; j < k_end; j++) {
    hg_vjp_w(P, w, theta, v, v_next);
    hg_axpy(n, 1.0, gw, v_next);
    double res = hg_dist(n, v_next, v);
    hg_trace_linear(ctx, res);
    *k_used = j + 1;
    if ((rc = hg_watch(P, S->method, "linear iterate v", j + 1, res, res0, err)))
      return rc;
    if (cache)
      hg_lower_cache_linear_step(cache, j, res);
    if (j == 0)
      res0 = res;
    double *swap = v;
    v = v_next;
    v_next = swap;
    if (b->tol_linear > 0 && res <= b->tol_linear)
      break;
  }
  if (cache)
    hg_lower_cache_linear_end(cache, *k_used, (const double *const *)&v);
  *v_out = v;
  return HG_OK;
}

/* aid-fp for the driver (common.h). */
static const hg_aid_solver aid_fp_solver = {
  .method = "aid-fp",                   /* registry name, for messages */
  .work = {1, 1},                       /* blocks: v_j, v_{j+1} */
  .solve = aid_fp_solve,                /* the fixed-point iteration above */
};

/* aid_params, aid_space, aid_space_params, aid_compute: the shared slots (common.h). */
HG_AID_METHOD(aid_fp_solver)

/* DESIGN §7: (c1 + c2/(1-q)) q^t + c3 q^k. */
static double aid_fp_bound(const hg_theory *th, int t, int k, int K)
{
  return hg_bound_aid_lower(th, t) + th->c3 * pow(th->c.q, k);
}

/* DESIGN §7: one fixed-point step from v_0 = 0 is v_1 = grad_w E, jfb's adjoint; for Phi
 * affine in w (d_theta Phi independent of w), k = t steps are itd's reverse sweep. */
static const hg_identity aid_fp_identities[] = {
  {.other = "jfb", .t = 6, .k = 1, .other_t = 6, .tol = 1e-10,
   .why = "v_1 = grad_w E is jfb's adjoint"},
  {.other = "itd", .t = 6, .k = 6, .other_t = 6, .tol = 1e-10, .needs_affine = 1,
   .why = "Phi affine in w: k = t terms of the series are itd's reverse sweep"},
  {.other = NULL},
};

const hg_method_ops hg_method_aid_fp = {
  .version = HG_OPS_VERSION,     /* ops layout this table follows */
  .name = "aid-fp",                     /* registry name (file aid_fp.c) */
  .summary = "implicit differentiation, adjoint system by k fixed-point steps", /* one line */
  HG_AID_OPS,                           /* lower=, workspace, hg_aid_run (common.h) */
  .budgets = HG_AID_BUDGETS, /* what it reads of hg_budget */
  .needs = HG_NEEDS_CONTRACTION,        /* iterates Phi and its adjoint */
  .rate = hg_rate_q,                     /* q in t and in k (DESIGN §7) */
  .bound = aid_fp_bound,                  /* (c1 + c2/(1-q)) q^t + c3 q^k */
  .revision = 1,                        /* bump when this method's numbers change */
  .display = "AID-FP",                  /* legend name */
  .identities = aid_fp_identities, /* DESIGN §7 */
  .cost = "t Phi, k vjp_w, 1 vjp_theta",
};

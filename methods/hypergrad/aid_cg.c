/*
 * aid_cg.c -- approximate implicit differentiation by conjugate gradient (DESIGN §4
 * "aid-cg"): after t lower steps, with J = d_w Phi(w_t) symmetric,
 *
 *     (I - J^T) v = grad_w E(w_t)   by k CG steps from v_0 = 0 (hg_cg),
 *     ghat = grad_theta E(w_t) + d_theta Phi(w_t)^T v_k.
 *
 * I - J^T is symmetric positive definite when J is symmetric and Phi a contraction; the error
 * term is c_3 2 sqrt(kappa) ((sqrt(kappa)-1)/(sqrt(kappa)+1))^k (DESIGN §7).  A problem whose
 * d_w Phi is not symmetric is refused.  CG stops cleanly at an exactly zero residual (returns
 * the iterate it last updated, never NaN) and at ||r|| <= tol_linear; ||r|| is traced.
 */
#include "common.h"

#include <math.h>

/* The adjoint solve of aid-cg (DESIGN §4): (I - J^T) v = grad_w E(w_t) by at most k CG steps
 * (hg_cg) from v_0 = 0, stopping at ||r|| <= tol_linear or an exactly zero residual; ||r|| is
 * traced.  v is work[0] (zeroed: CG starts without a product), CG's r, p, S p are work[1]. */
static int aid_cg_solve(hg_problem *P, const hg_aid_solver *S, const double *theta,
                        const double *w, double *gw, double *const *work, const hg_budget *b,
                        hg_ctx *ctx, const double **v_out, int *k_used, hg_error *err)
{
  hg_adjoint_op op = {.P = P, .w = w, .theta = theta};
  double *v = work[0];
  int rc;

  rc = hg_cg_trace(P->n_w, hg_adjoint_apply, &op, gw, v, b->k, b->tol_linear, work[1], ctx,
                   k_used, NULL, err);
  if (rc)
    return hg_method_fail(P, S->method, rc, err);
  *v_out = v;
  return HG_OK;
}

/* aid-cg for the driver (common.h). */
static const hg_aid_solver aid_cg_solver = {
  .method = "aid-cg",                   /* registry name, for messages */
  .work = {1, 3},                       /* blocks: v, CG's r, p, S p */
  .solve = aid_cg_solve,                /* CG above */
};

/* aid_params, aid_space, aid_space_params, aid_compute: the shared slots (common.h). */
HG_AID_METHOD(aid_cg_solver)

/* Along k, CG on I - d_w Phi^T = eta H converges as ((sqrt(kappa) - 1)/(sqrt(kappa) + 1))^k with
 * kappa = L/mu of H (DESIGN §7); along t, the lower loop's q. */
static double aid_cg_rate(const hg_constants *c, char axis)
{
  double s = sqrt(c->kappa);
  return axis == 't' ? c->q : axis == 'k' ? (s - 1) / (s + 1) : NAN;
}

/* DESIGN §7: (c1 + c2/(1-q)) q^t + c3 2 sqrt(kappa) ((sqrt(kappa)-1)/(sqrt(kappa)+1))^k with
 * kappa = cond(I - d_w Phi) (th->kappa_lin). */
static double aid_cg_bound(const hg_theory *th, int t, int k, int K)
{
  double s = sqrt(th->kappa_lin);
  return hg_bound_aid_lower(th, t) + th->c3 * 2 * s * pow((s - 1) / (s + 1), k);
}

const hg_method_ops hg_method_aid_cg = {
  .version = HG_OPS_VERSION,     /* ops layout this table follows */
  .name = "aid-cg",                     /* registry name (file aid_cg.c) */
  .summary = "implicit differentiation, adjoint system by k conjugate-gradient steps",
  HG_AID_OPS,                           /* lower=, workspace, hg_aid_run (common.h) */
  .budgets = HG_AID_BUDGETS, /* what it reads of hg_budget */
  .needs = HG_NEEDS_SYMMETRIC | HG_NEEDS_CONTRACTION, /* CG needs I - d_w Phi^T SPD */
  .rate = aid_cg_rate,                   /* q in t, the CG rate in k */
  .bound = aid_cg_bound,                  /* CG convergence in the c3 term */
  .revision = 1,                        /* bump when this method's numbers change */
  .display = "AID-CG",                  /* legend name */
  .cost = "t Phi, k vjp_w, 1 vjp_theta",
};

/*
 * aid_cg_normal.c -- approximate implicit differentiation by conjugate gradient on the normal
 * equations (DESIGN §4 "aid-cg-normal"), for any contraction Phi, symmetric d_w Phi or not.
 * After t lower steps, with J = d_w Phi(w_t) and A = I - J^T (the adjoint operator):
 *
 *     A A^T y = grad_w E(w_t),  i.e.  (I - J^T)(I - J) y = grad_w E(w_t),
 *       by k CG steps (hg_cg) from y_0 = 0;   v_k = A^T y_k = (I - J) y_k,
 *     ghat = grad_theta E(w_t) + d_theta Phi(w_t)^T v_k.
 *
 * The variant: CG on the normal equations of the second kind (CGNE, Craig's method), not
 * CGNR's A^T A v = A^T grad_w E.  Both square the condition number and converge at the same
 * rate; CGNE is chosen because
 *   - CG's residual gw - A A^T y_k is the adjoint system's own residual gw - (I - J^T) v_k, so
 *     tol_linear stops, and the trace records, the residual every other aid method uses;
 *   - CG minimizes the A A^T-energy norm of y - y*, which is ||A^T (y - y*)|| = ||v - v*||: the
 *     error the bound needs, with no conversion factor.
 * Cost: one vjp_w and one jvp_w per iteration (A A^T p = (I - J^T)((I - J) p)), plus one jvp_w
 * for v_k = (I - J) y_k when k_used > 0 (k_used = 0 leaves v = y = 0 without a product).
 *
 * Rate (DESIGN §7).  CG on the SPD matrix S = A A^T, cond(S) = kappa_lin^2 with kappa_lin =
 * cond(A) = sigma_max(A)/sigma_min(A) <= (1+q)/(1-q) (||J|| <= q: sigma_max(I - J^T) <= 1 + q,
 * sigma_min >= 1 - q), from y_0 = 0:
 *     ||y_k - y*||_S <= 2 ((sqrt(cond S) - 1)/(sqrt(cond S) + 1))^k ||y*||_S
 *                    = 2 rho^k ||y*||_S,   rho = (kappa_lin - 1)/(kappa_lin + 1),
 * and ||y - y*||_S^2 = (y - y*)^T A A^T (y - y*) = ||v - v*||^2, so
 *     ||v_k - v*|| <= 2 rho^k ||v*|| <= 2 rho^k ||grad_w E(w_t)||/(1 - q) <= 2 rho^k L_E/(1 - q),
 * and ||d_theta Phi(w_t)^T (v_k - v*)|| <= L_Phi ||v_k - v*|| <= c3 2 rho^k: the linear term of
 * the bound, with kappa_lin = min(kappa, (1+q)/(1-q)) (for a gradient step A = eta H, whose
 * condition number is at most kappa).  With kappa_lin = (1+q)/(1-q), rho = q exactly: the rate
 * of aid-fp, at twice the products per iteration.
 */
#include "common.h"

#include <math.h>

/* The operator S y = A A^T y = (I - J^T)((I - J) y) at the fixed w_t; u holds (I - J) y. */
typedef struct normal_op {
  hg_adjoint_op A; /* J = d_w Phi(w_t, theta) */
  double *u;       /* n scratch */
} normal_op;

/* out = (I - J^T)(I - J) y: one jvp_w, one vjp_w (both counted). */
static void normal_apply(void *ctx, const double *y, double *out)
{
  normal_op *S = ctx;
  hg_adjoint_apply_t(&S->A, y, S->u);
  hg_adjoint_apply(&S->A, S->u, out);
}

/* The adjoint solve of aid-cg-normal (DESIGN §4): (I - J^T)(I - J) y = grad_w E(w_t) by at most
 * k CG steps (hg_cg) from y_0 = 0, stopping at ||gw - (I - J^T) v|| <= tol_linear or an exactly
 * zero residual (both traced by hg_cg), then v = (I - J) y.  work[0] = [y | u], y zeroed (CG
 * starts without a product), u the operator's scratch and then v; CG's r, p, S p are
 * work[1]. */
static int cg_normal_solve(hg_problem *P, const hg_aid_solver *S, const double *theta,
                           const double *w, double *gw, double *const *work, const hg_budget *b,
                           hg_ctx *ctx, const double **v_out, int *k_used, hg_error *err)
{
  const int n = P->n_w;
  double *y = work[0], *u = work[0] + n;
  normal_op op = {.A = {.P = P, .w = w, .theta = theta}, .u = u};
  int rc;

  rc = hg_cg_trace(n, normal_apply, &op, gw, y, b->k, b->tol_linear, work[1], ctx, k_used, NULL,
                   err);
  if (rc)
    return hg_method_fail(P, S->method, rc, err);
  if (*k_used == 0) { /* y = 0, so v = (I - J) y = 0: no product */
    *v_out = y;
    return HG_OK;
  }
  hg_adjoint_apply_t(&op.A, y, u); /* v = (I - J) y */
  *v_out = u;
  return HG_OK;
}

/* aid-cg-normal for the driver (common.h). */
static const hg_aid_solver cg_normal_solver = {
  .method = "aid-cg-normal",            /* registry name, for messages */
  .work = {2, 3},                       /* blocks: y and u (then v), CG's r, p, S p */
  .solve = cg_normal_solve,             /* CG on A A^T above */
};

/* aid_params, aid_space, aid_space_params, aid_compute: the shared slots (common.h). */
HG_AID_METHOD(cg_normal_solver)

/* Along t the lower loop's q; along k, CG on A A^T: (kappa_lin - 1)/(kappa_lin + 1) with
 * kappa_lin = min(kappa, (1+q)/(1-q)) >= cond(I - d_w Phi^T) (derivation above). */
static double cg_normal_rate(const hg_constants *c, char axis)
{
  double kl = hg_kappa_lin(c);
  return axis == 't' ? c->q : axis == 'k' ? (kl - 1) / (kl + 1) : NAN;
}

/* DESIGN §7: (c1 + c2/(1-q)) q^t + c3 2 rho^k, rho = (kappa_lin - 1)/(kappa_lin + 1). */
static double cg_normal_bound(const hg_theory *th, int t, int k, int K)
{
  double kl = th->kappa_lin;
  return hg_bound_aid_lower(th, t) + th->c3 * 2 * pow((kl - 1) / (kl + 1), k);
}

const hg_method_ops hg_method_aid_cg_normal = {
  .version = HG_OPS_VERSION,     /* ops layout this table follows */
  .name = "aid-cg-normal",              /* registry name (file aid_cg_normal.c) */
  .summary = "implicit differentiation, adjoint system by k CG steps on the normal equations "
             "(any contraction)",       /* one line */
  HG_AID_OPS,                           /* lower=, workspace, hg_aid_run (common.h) */
  .budgets = HG_AID_BUDGETS, /* what it reads of hg_budget */
  .needs = HG_NEEDS_CONTRACTION,        /* kappa_lin <= (1+q)/(1-q) needs q < 1 */
  .rate = cg_normal_rate,               /* q in t, (kappa_lin-1)/(kappa_lin+1) in k */
  .bound = cg_normal_bound,             /* CGNE convergence in the c3 term */
  .revision = 1,                        /* bump when this method's numbers change */
  .display = "AID-CG (normal eq.)",     /* legend name */
  .cost = "t Phi, k + 1 jvp_w, k vjp_w, 1 vjp_theta",
};

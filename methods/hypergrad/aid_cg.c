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

/* The operator S v = v - J^T v at the fixed w_t. */
typedef struct adjoint_op {
  hg_problem *P;
  const double *w;     /* w_t */
  const double *theta;
} adjoint_op;

/* out = (I - d_w Phi(w_t)^T) v: one counted vjp_w. */
static void adjoint_apply(void *ctx, const double *v, double *out)
{
  adjoint_op *S = ctx;
  int n = S->P->n_w;

  hg_vjp_w(S->P, S->w, S->theta, v, out);
  for (int i = 0; i < n; i++)
    out[i] = v[i] - out[i];
}

/* Bytes: lower scratch, grad_w E, v (n each), CG's r, p, S p (3 n), the tail (m). */
static size_t aid_cg_space(int n, int m, const hg_budget *b)
{
  return hg_lower_space(n, 0) + 5 * (size_t)n * sizeof(double) + hg_aid_tail_space(m);
}

/* The recursion above. */
static int aid_cg_compute(hg_problem *P, const hg_params *mp, const double *theta,
                          const double *w0, const hg_budget *b, hg_ctx *ctx, hg_out *out,
                          hg_error *err)
{
  int rc = HG_OK, n = P->n_w, k_used = 0;
  hg_lower L = {0};
  double *gw = NULL, *v = NULL, *work = NULL; /* grad_w E(w_t), v_j, CG's r, p, S p */
  adjoint_op S = {.P = P, .w = out->w, .theta = theta};

  out->t_used = out->k_used = 0;
  if (!P->ops->symmetric) {
    rc = hg_fail(err, HG_ERR_UNSUPPORTED, "method 'aid-cg' needs a symmetric d_w Phi, and "
                 "problem '%s' is not symmetric (use aid-fp)", P->ops->name);
    goto done;
  }
  if ((rc = hg_lower_open(&L, "aid-cg", n, 0, out->w, ctx, err)) ||
      (rc = hg_work(ctx, "aid-cg", (size_t)n, &gw, err)) ||
      (rc = hg_work(ctx, "aid-cg", (size_t)n, &v, err)) ||
      (rc = hg_work(ctx, "aid-cg", 3 * (size_t)n, &work, err)))
    goto done;

  rc = hg_lower_run(&L, P, theta, w0, b->t, b->tol_lower, NULL, NULL, ctx, err);
  out->t_used = L.t;
  if (rc)
    goto done;

  hg_upper(P, out->w, theta, gw, out->grad);
  /* v = 0 on entry (hg_alloc zeroes): CG starts from v_0 = 0 without a product */
  rc = hg_cg_trace(n, adjoint_apply, &S, gw, v, b->k, b->tol_linear, work, ctx, &k_used, NULL,
                   err);
  out->k_used = k_used;
  if (rc) {
    char why[sizeof err->msg];
    snprintf(why, sizeof why, "%s", err ? err->msg : "");
    rc = hg_fail(err, rc, "method 'aid-cg' on problem '%s': %s", P->ops->name, why);
    goto done;
  }
  rc = hg_aid_tail(P, "aid-cg", theta, out->w, v, out->grad, ctx, err);

done:
  hg_free(ctx, work);
  hg_free(ctx, v);
  hg_free(ctx, gw);
  hg_lower_close(&L, ctx);
  return rc;
}

static const hg_param_spec aid_cg_params[] = {{.key = NULL}};

const hg_method_ops hg_method_aid_cg = {
  .version = HG_METHOD_OPS_VERSION,     /* ops layout this table follows */
  .name = "aid-cg",                     /* registry name (file aid_cg.c) */
  .summary = "implicit differentiation, adjoint system by k conjugate-gradient steps",
  .params = aid_cg_params,              /* no parameters */
  .needs = HG_NEEDS_SYMMETRIC | HG_NEEDS_CONTRACTION, /* CG needs I - d_w Phi^T SPD */
  .space = aid_cg_space,                /* workspace bytes: O(n) */
  .compute = aid_cg_compute,            /* the method */
};

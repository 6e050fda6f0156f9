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

/* Bytes: lower scratch, grad_w E, v_j, v_{j+1} (n each), the tail (m). */
static size_t aid_fp_space(int n, int m, const hg_budget *b)
{
  return hg_lower_space(n, 0) + 3 * (size_t)n * sizeof(double) + hg_aid_tail_space(m);
}

/* The recursion above, every product made (k vjp_w, one vjp_theta), so the counts are
 * DESIGN's; v_0 = 0 comes zeroed from hg_alloc. */
static int aid_fp_compute(hg_problem *P, const hg_params *mp, const double *theta,
                          const double *w0, const hg_budget *b, hg_ctx *ctx, hg_out *out,
                          hg_error *err)
{
  int rc = HG_OK, n = P->n_w;
  hg_lower L = {0};
  double *gw = NULL, *v = NULL, *v_next = NULL; /* grad_w E(w_t), v_j, v_{j+1} */
  double res0 = 0;

  if ((rc = hg_lower_open(&L, "aid-fp", n, 0, out->w, ctx, err)) ||
      (rc = hg_work(ctx, "aid-fp", (size_t)n, &gw, err)) ||
      (rc = hg_work(ctx, "aid-fp", (size_t)n, &v, err)) ||
      (rc = hg_work(ctx, "aid-fp", (size_t)n, &v_next, err)))
    goto done;

  rc = hg_lower_run(&L, P, theta, w0, b->t, b->tol_lower, NULL, NULL, ctx, err);
  out->t_used = L.t;
  out->k_used = 0;
  if (rc)
    goto done;

  hg_upper(P, out->w, theta, gw, out->grad);
  for (int j = 0; j < b->k; j++) {
    hg_vjp_w(P, out->w, theta, v, v_next);
    hg_axpy(n, 1.0, gw, v_next);
    double res = hg_dist(n, v_next, v);
    hg_trace_linear(ctx, res);
    out->k_used = j + 1;
    if ((rc = hg_watch(P, "aid-fp", "linear iterate v", j + 1, res, res0, err)))
      goto done;
    if (j == 0)
      res0 = res;
    double *swap = v;
    v = v_next;
    v_next = swap;
    if (b->tol_linear > 0 && res <= b->tol_linear)
      break;
  }
  rc = hg_aid_tail(P, "aid-fp", theta, out->w, v, out->grad, ctx, err);

done:
  hg_free(ctx, v_next);
  hg_free(ctx, v);
  hg_free(ctx, gw);
  hg_lower_close(&L, ctx);
  return rc;
}

static const hg_param_spec aid_fp_params[] = {{.key = NULL}};

const hg_method_ops hg_method_aid_fp = {
  .version = HG_METHOD_OPS_VERSION,     /* ops layout this table follows */
  .name = "aid-fp",                     /* registry name (file aid_fp.c) */
  .summary = "implicit differentiation, adjoint system by k fixed-point steps", /* one line */
  .params = aid_fp_params,              /* no parameters */
  .needs = HG_NEEDS_CONTRACTION,        /* iterates Phi and its adjoint */
  .space = aid_fp_space,                /* workspace bytes: O(n) */
  .compute = aid_fp_compute,            /* the method */
};

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

/* Bytes: lower scratch, b (reused as a term), v, one more term (n each), the tail (m). */
static size_t neumann_space(int n, int m, const hg_budget *b)
{
  return hg_lower_space(n, 0) + 3 * (size_t)n * sizeof(double) + hg_aid_tail_space(m);
}

/* The partial sum above; k_used counts the terms after the first (products with J^T). */
static int neumann_compute(hg_problem *P, const hg_params *mp, const double *theta,
                           const double *w0, const hg_budget *b, hg_ctx *ctx, hg_out *out,
                           hg_error *err)
{
  int rc = HG_OK, n = P->n_w;
  hg_lower L = {0};
  double *gw = NULL, *v = NULL, *spare = NULL; /* grad_w E(w_t), the sum, a second term */
  double *term, *term_next;                    /* (J^T)^j b and (J^T)^{j+1} b: gw and spare */
  double res0;

  if ((rc = hg_lower_open(&L, "neumann", n, 0, out->w, ctx, err)) ||
      (rc = hg_work(ctx, "neumann", (size_t)n, &gw, err)) ||
      (rc = hg_work(ctx, "neumann", (size_t)n, &v, err)) ||
      (rc = hg_work(ctx, "neumann", (size_t)n, &spare, err)))
    goto done;

  rc = hg_lower_run(&L, P, theta, w0, b->t, b->tol_lower, NULL, NULL, ctx, err);
  out->t_used = L.t;
  out->k_used = 0;
  if (rc)
    goto done;

  hg_upper(P, out->w, theta, gw, out->grad);
  hg_copy(n, gw, v);
  term = gw; /* b is not needed once v = b: its vector carries the terms */
  term_next = spare;
  res0 = hg_nrm2(n, term);
  for (int j = 1; j <= b->k; j++) {
    hg_vjp_w(P, out->w, theta, term, term_next);
    double *swap = term;
    term = term_next;
    term_next = swap;
    hg_axpy(n, 1.0, term, v);
    double res = hg_nrm2(n, term);
    hg_trace_linear(ctx, res);
    out->k_used = j;
    if ((rc = hg_watch(P, "neumann", "Neumann term", j, res, res0, err)))
      goto done;
    if (b->tol_linear > 0 && res <= b->tol_linear)
      break;
  }
  rc = hg_aid_tail(P, "neumann", theta, out->w, v, out->grad, ctx, err);

done:
  hg_free(ctx, spare);
  hg_free(ctx, v);
  hg_free(ctx, gw);
  hg_lower_close(&L, ctx);
  return rc;
}

static const hg_param_spec neumann_params[] = {{.key = NULL}};

const hg_method_ops hg_method_neumann = {
  .version = HG_METHOD_OPS_VERSION,     /* ops layout this table follows */
  .name = "neumann",                    /* registry name (file neumann.c) */
  .summary = "implicit differentiation, adjoint by a Neumann series of k + 1 terms", /* line */
  .params = neumann_params,             /* no parameters */
  .needs = HG_NEEDS_CONTRACTION,        /* the series converges for q < 1 */
  .space = neumann_space,               /* workspace bytes: O(n) */
  .compute = neumann_compute,           /* the method */
};

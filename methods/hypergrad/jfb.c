/*
 * jfb.c -- Jacobian-free backpropagation (DESIGN §4), and the TEMPLATE for a new
 * hypergradient method: it is the smallest complete method, every line commented.
 *
 *     w_{i+1} = Phi(w_i, theta) for i < t,
 *     ghat = grad_theta E(w_t) + d_theta Phi(w_t)^T grad_w E(w_t),
 *
 * i.e. the implicit formula of DESIGN §1 with (I - d_w Phi^T)^{-1} replaced by I: aid-fp with
 * k = 1.  Its error has a floor c_3 q (DESIGN §7) that no t removes.
 *
 * To add a method:
 *   1. Copy this file to methods/hypergrad/<name>.c, with <name> the registry name with '-'
 *      written '_' (aid-cg -> aid_cg.c).
 *   2. Rename the ops table to hg_method_<name>, set .name, .summary, .params, .needs.
 *   3. Write compute(): reach the problem only through hg_phi / hg_jvp_w / hg_vjp_w /
 *      hg_vjp_theta / hg_jvp_theta / hg_upper (they count), get every workspace vector from
 *      hg_work (it goes through hg_alloc, so memory is measured), reuse the loops of common.h.
 *   4. Make space() return exactly the bytes compute() requests through hg_alloc.
 *   5. Add one line to harness/registry.c:  extern const hg_method_ops hg_method_<name>;  and
 *      {"<name>", &hg_method_<name>} in hg_methods[].
 *   6. The conformance tests run it against exact on every problem; add its exact identities
 *      (DESIGN §7) to tests/test_methods.c.
 */
#include "common.h"

/* Bytes compute() requests: the lower loop's scratch (n), grad_w E (n), the tail (m). */
static size_t jfb_space(int n, int m, const hg_budget *b)
{
  return hg_lower_space(n, 0) + (size_t)n * sizeof(double) + hg_aid_tail_space(m);
}

/* ghat = grad_theta E(w_t) + d_theta Phi(w_t)^T grad_w E(w_t) after t lower steps from w0. */
static int jfb_compute(hg_problem *P, const hg_params *mp, const double *theta,
                       const double *w0, const hg_budget *b, hg_ctx *ctx, hg_out *out,
                       hg_error *err)
{
  int rc = HG_OK;
  hg_lower L = {0};       /* the lower loop: no tape (keep = 0), w_t lands in out->w */
  double *gw = NULL;      /* grad_w E(w_t) */

  /* Workspace first, all through hg_alloc (hg_work names the method on failure). */
  if ((rc = hg_lower_open(&L, "jfb", P->n_w, 0, out->w, ctx, err)) ||
      (rc = hg_work(ctx, "jfb", (size_t)P->n_w, &gw, err)))
    goto done;

  /* w_t = Phi^t(w0), stopping early when b->tol_lower > 0. */
  rc = hg_lower_run(&L, P, theta, w0, b->t, b->tol_lower, NULL, NULL, ctx, err);
  out->t_used = L.t;
  out->k_used = 0;
  if (rc)
    goto done;

  /* gw = grad_w E(w_t), out->grad = grad_theta E(w_t) (one counted call). */
  hg_upper(P, out->w, theta, gw, out->grad);
  /* out->grad += d_theta Phi(w_t)^T gw. */
  rc = hg_aid_tail(P, "jfb", theta, out->w, gw, out->grad, ctx, err);

done:
  /* One cleanup path: every hg_free accepts NULL. */
  hg_free(ctx, gw);
  hg_lower_close(&L, ctx);
  return rc;
}

/* jfb takes no parameters: an empty schema. */
static const hg_param_spec jfb_params[] = {{.key = NULL}};

const hg_method_ops hg_method_jfb = {
  .version = HG_METHOD_OPS_VERSION,                  /* ops layout this table follows */
  .name = "jfb",                                     /* registry name (file jfb.c) */
  .summary = "Jacobian-free: grad_theta E + d_theta Phi^T grad_w E at w_t (biased)", /* list */
  .params = jfb_params,                              /* no parameters */
  .needs = HG_NEEDS_CONTRACTION,                     /* iterates Phi */
  .space = jfb_space,                                /* workspace bytes */
  .compute = jfb_compute,                            /* the method */
  .biased = 1,                                       /* bias floor c3 q: never -> exact */
};

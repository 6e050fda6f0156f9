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
 *   3. An implicit method (ghat = grad_theta E + d_theta Phi^T v with v approximating
 *      (I - d_w Phi^T)^{-1} grad_w E, like this one) writes only its adjoint solve, as
 *      jfb_solve below, and hands it to the driver hg_aid_run (common.h) in an hg_aid_solver
 *      naming the method and the workspace blocks the solve needs (and, for a solver with
 *      parameters, .data, which the solve reads through its S argument: aid_gmres.c); the
 *      driver runs the lower loop, grad E, the solve and the tail.  Any other method writes compute() itself, reusing
 *      the loops of common.h (hg_lower_run, hg_itd_run).  Either way, reach the problem only
 *      through hg_phi / hg_jvp_w / hg_vjp_w / hg_vjp_theta / hg_jvp_theta / hg_upper (they
 *      count) and get every workspace vector from the driver or hg_work (through hg_alloc, so
 *      memory is measured).
 *   4. Make space() return exactly the bytes compute() requests through hg_alloc: with the
 *      driver, hg_aid_space(n, m, &solver), which counts the solver's blocks.  When they depend
 *      on the method's parameters, give space_params too (space() then answers for the
 *      defaults).
 *   5. Add one line to harness/core/registry.c:  extern const hg_method_ops hg_method_<name>;  and
 *      {"<name>", &hg_method_<name>} in hg_methods[].
 *   6. The conformance tests run it against exact on every problem; add its exact identities
 *      (DESIGN §7) to tests/test_methods.c.
 */
#include "common.h"

/* The adjoint solve of jfb (DESIGN §4): (I - d_w Phi(w_t)^T)^{-1} replaced by I, so
 *     v = grad_w E(w_t),
 * no product and no linear iteration.  The driver hands the solve w = w_t, gw = grad_w E(w_t)
 * and the workspace blocks the hg_aid_solver below asks for (none here). */
static int jfb_solve(hg_problem *P, const hg_aid_solver *S, const double *theta,
                     const double *w, double *gw, double *const *work, const hg_budget *b,
                     hg_ctx *ctx, const double **v_out, int *k_used, hg_error *err)
{
  *v_out = gw; /* v = gw: the driver then adds d_theta Phi(w_t)^T gw to grad_theta E */
  *k_used = 0; /* no linear iterations (an iterative solve sets this as it goes) */
  return HG_OK;
}

/* What the driver needs: the name for messages, the blocks, the solve. */
static const hg_aid_solver jfb_solver = {
  .method = "jfb",                                   /* registry name, for messages */
  .work = {0, 0},                                    /* n-vectors per zeroed block: none */
  .solve = jfb_solve,                                /* v from grad_w E */
};

/* Bytes compute() requests: the lower loop's scratch (n), grad_w E (n), the tail (m). */
static size_t jfb_space(int n, int m, const hg_budget *b)
{
  return hg_aid_space(n, m, &jfb_solver);
}

/* The same with the method's parameters (lower=fista adds FISTA's two iterates). */
static size_t jfb_space_params(int n, int m, const hg_budget *b, const hg_params *mp)
{
  hg_aid_solver S = hg_aid_with(&jfb_solver, mp);
  return hg_aid_space(n, m, &S);
}

/* ghat = grad_theta E(w_t) + d_theta Phi(w_t)^T grad_w E(w_t) after t lower steps from w0:
 * the driver with jfb_solve (it fills out->w = w_t, out->t_used, out->k_used, out->grad). */
static int jfb_compute(hg_problem *P, const hg_params *mp, const double *theta,
                       const double *w0, const hg_budget *b, hg_ctx *ctx, hg_out *out,
                       hg_error *err)
{
  hg_aid_solver S = hg_aid_with(&jfb_solver, mp);
  return hg_aid_run(P, &S, theta, w0, b, ctx, out, err);
}

/* jfb takes no parameters: an empty schema. */
static const hg_param_spec jfb_params[] = {
  HG_AID_PARAMS,
  {NULL, 0, NULL, 0, 0, NULL, NULL},
};

/* DESIGN §7: (c1 + c2/(1-q)) q^t + c3 q, a floor no t removes. */
static double jfb_bound(const hg_theory *th, int t, int k, int K)
{
  return hg_bound_aid_lower(th, t) + th->c3 * th->c.q;
}

const hg_method_ops hg_method_jfb = {
  .version = HG_METHOD_OPS_VERSION,                  /* ops layout this table follows */
  .name = "jfb",                                     /* registry name (file jfb.c) */
  .summary = "Jacobian-free: grad_theta E + d_theta Phi^T grad_w E at w_t (biased)", /* list */
  .params = jfb_params,                              /* no parameters */
  .needs = HG_NEEDS_CONTRACTION,                     /* iterates Phi */
  .space = jfb_space,                                /* workspace bytes */
  .space_params = jfb_space_params, /* with lower=fista */
  .compute = jfb_compute,                            /* the method */
  .biased = 1,                                       /* bias floor c3 q: never -> exact */
  .bound = jfb_bound,                                 /* bias floor c3 q */
};

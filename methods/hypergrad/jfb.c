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
 *   5. Fill the facts the harness reads from the table, never from the name: .revision (bump
 *      it whenever the method's numbers change), .display (the legend name), .budgets (the
 *      hg_budget fields it reads), .biased / .stochastic, .rate and .bound (DESIGN §7), its
 *      exact .identities with other methods (verify checks each), .columnwise and .cost.
 *   6. Add one line to harness/plugins/builtin.c:  extern const hg_method_ops
 *      hg_method_<name>;  and {"<name>", &hg_method_<name>} in its list.
 *   7. Build: CTest then has a selftest.<name>.P test for every problem P it applies to
 *      (verify's rows, bad parameters, bookkeeping), without a line of CMake; run
 *      `hgbench selftest --method <name>` to see the table.
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

/* aid_params (lower=gd|fista, as every implicit method), aid_space, aid_space_params and
 * aid_compute: the slots every method on hg_aid_run shares (common.h). */
HG_AID_METHOD(jfb_solver)

/* DESIGN §7: (c1 + c2/(1-q)) q^t + c3 q, a floor no t removes. */
static double jfb_bound(const hg_theory *th, int t, int k, int K)
{
  return hg_bound_aid_lower(th, t) + th->c3 * th->c.q;
}

/* DESIGN §7: jfb's adjoint grad_w E is one fixed-point step from v_0 = 0, and the first term of
 * the Neumann series. */
static const hg_identity jfb_identities[] = {
  {.other = "aid-fp", .t = 6, .other_t = 6, .other_k = 1, .tol = 1e-10,
   .why = "v = grad_w E is aid-fp's v_1"},
  {.other = "neumann", .t = 6, .other_t = 6, .other_k = 0, .tol = 1e-10,
   .why = "v = grad_w E is the series' first term"},
  {.other = NULL},
};

const hg_method_ops hg_method_jfb = {
  .version = HG_OPS_VERSION,                  /* ops layout this table follows */
  .name = "jfb",                                     /* registry name (file jfb.c) */
  .summary = "Jacobian-free: grad_theta E + d_theta Phi^T grad_w E at w_t (biased)", /* list */
  HG_AID_OPS,                           /* lower=, workspace, hg_aid_run (common.h) */
  .budgets = HG_BUDGET_T | HG_BUDGET_TOL_LOWER, /* what it reads of hg_budget */
  .needs = HG_NEEDS_CONTRACTION,                     /* iterates Phi */
  .biased = 1,                                       /* bias floor c3 q: never -> exact */
  .bound = jfb_bound,                                 /* bias floor c3 q */
  .revision = 1,                        /* bump when this method's numbers change */
  .display = "JFB",                     /* legend name */
  .identities = jfb_identities, /* DESIGN §7 */
  .cost = "t Phi, 1 vjp_theta",
};

/*
 * aid_bicgstab.c -- an out-of-tree hgbench plugin: implicit differentiation (AID) with the
 * adjoint system solved by BiCGStab, a method hgbench does not ship.  Written against the
 * public header hgbench.h alone and linked with libhgbench.so:
 *
 *     w_{i+1} = Phi(w_i, theta), i < t                  (the lower loop, from w0 or 0)
 *     (I - d_w Phi(w_t)^T) v = grad_w E(w_t)             (k BiCGStab iterations from v = 0)
 *     ghat = grad_theta E(w_t) + d_theta Phi(w_t)^T v
 *
 * BiCGStab (van der Vorst 1992) needs no symmetry of d_w Phi, two products with
 * d_w Phi^T per iteration and seven n-vectors.  Build it with examples/plugin/CMakeLists.txt
 * (find_package) or examples/plugin/Makefile (pkg-config), then
 *     hgbench --plugin ./aid_bicgstab.so selftest
 * Compiled with -DBROKEN it subtracts d_theta Phi^T v instead of adding it: a wrong
 * hypergradient that selftest must catch.
 */
#include <hgbench.h>

#include <math.h>

#define NAME "aid-bicgstab"
#define NVEC 7 /* BiCGStab: x, r, rhat, p, A p, s, A s */

/* No parameters (every word is refused by the harness, naming it). */
static const hg_param_spec bicgstab_params[] = {
  {NULL, 0, NULL, 0, 0, NULL, NULL},
};

/* Workspace in doubles: the lower loop's second iterate, grad_w E, the solver's vectors (n
 * each) and d_theta Phi^T v (m), one block held for the whole call. */
static size_t bicgstab_doubles(int n, int m)
{
  return (size_t)(2 + NVEC) * (size_t)n + (size_t)m;
}

static size_t bicgstab_space(int n, int m, const hg_budget *b)
{
  return bicgstab_doubles(n, m) * sizeof(double);
}

/* out = A v = v - d_w Phi(w)^T v (one counted product). */
static void apply(hg_problem *P, const double *w, const double *theta, const double *v,
                  double *out)
{
  int n = P->n_w;
  hg_vjp_w(P, w, theta, v, out);
  for (int i = 0; i < n; i++)
    out[i] = v[i] - out[i];
}

/* k iterations of BiCGStab on A x = gw from x = 0; returns the iterations done. */
static int bicgstab(hg_problem *P, const double *w, const double *theta, const double *gw,
                    int k, double *const vec[NVEC], hg_ctx *ctx)
{
  int n = P->n_w, j;
  double *x = vec[0], *r = vec[1], *rhat = vec[2], *p = vec[3], *Ap = vec[4], *s = vec[5],
         *As = vec[6];
  double rho = 1, alpha = 1, omega = 1;

  hg_copy(n, gw, r);
  hg_copy(n, gw, rhat);
  for (j = 0; j < k; j++) {
    double rho_new = hg_dot(n, rhat, r);
    if (rho_new == 0 || omega == 0)
      break; /* converged (r = 0) or broken down: keep x */
    double beta = rho_new / rho * (alpha / omega);
    for (int i = 0; i < n; i++)
      p[i] = r[i] + beta * (p[i] - omega * Ap[i]);
    apply(P, w, theta, p, Ap);
    double den = hg_dot(n, rhat, Ap);
    if (den == 0)
      break;
    alpha = rho_new / den;
    for (int i = 0; i < n; i++)
      s[i] = r[i] - alpha * Ap[i];
    apply(P, w, theta, s, As);
    double tt = hg_dot(n, As, As);
    omega = tt > 0 ? hg_dot(n, As, s) / tt : 0;
    for (int i = 0; i < n; i++) {
      x[i] += alpha * p[i] + omega * s[i];
      r[i] = s[i] - omega * As[i];
    }
    rho = rho_new;
    hg_trace_linear(ctx, hg_nrm2(n, r));
  }
  return j;
}

static int bicgstab_compute(hg_problem *P, const hg_params *mp, const double *theta,
                            const double *w0, const hg_budget *b, hg_ctx *ctx, hg_out *out,
                            hg_error *err)
{
  int n = P->n_w, m = P->n_theta;
  double *block = hg_alloc(ctx, bicgstab_doubles(n, m) * sizeof(double));
  if (!block)
    return hg_fail(err, ctx->mem_cap ? HG_ERR_MEMCAP : HG_ERR_NOMEM,
                   "method '" NAME "': no room for %zu bytes of workspace",
                   bicgstab_space(n, m, b));
  double *next = block, *gw = block + n, *vec[NVEC], *u = block + (size_t)(2 + NVEC) * n;
  for (int i = 0; i < NVEC; i++)
    vec[i] = block + (size_t)(2 + i) * n;

  /* the lower loop: w_t in out->w */
  double *w = out->w;
  if (w0)
    hg_copy(n, w0, w);
  else
    hg_zero(n, w);
  for (int i = 0; i < b->t; i++) {
    hg_phi(P, w, theta, next);
    hg_axpy(n, -1.0, next, w);
    hg_trace_lower(ctx, hg_nrm2(n, w));
    hg_copy(n, next, w);
  }
  out->t_used = b->t;

  /* grad E at w_t, the adjoint, the tail */
  hg_upper(P, w, theta, gw, out->grad);
  out->k_used = bicgstab(P, w, theta, gw, b->k, vec, ctx);
  hg_vjp_theta(P, w, theta, vec[0], u);
#ifdef BROKEN
  hg_axpy(m, -1.0, u, out->grad); /* the deliberate sign error */
#else
  hg_axpy(m, 1.0, u, out->grad);
#endif
  if (out->v) { /* the adjoint, for the harness's inexact bound omega */
    hg_copy(n, vec[0], out->v);
    out->v_set = 1;
  }
  hg_free(ctx, block);
  return HG_OK;
}

static const hg_method_ops hg_method_aid_bicgstab = {
  .version = HG_OPS_VERSION,
  .name = NAME,
  .summary = "implicit differentiation, adjoint system by k BiCGStab iterations (example plugin)",
  .params = bicgstab_params,
  .needs = HG_NEEDS_CONTRACTION, /* iterates Phi */
  .space = bicgstab_space,
  .compute = bicgstab_compute,
  /* no .rate and no .bound: BiCGStab's residual is not monotone and no bound of DESIGN §7
   * covers it; verify reports its errors ungraded along k and grades convergence to exact */
  .revision = 1,
  .display = "AID-BiCGStab",
  .budgets = HG_BUDGET_T | HG_BUDGET_K,
  .cost = "t Phi, 2k vjp_w, 1 vjp_theta",
};

/* The entry point: register the method (the harness checks its .version and its name). */
static int plugin_init(const hg_plugin_registrar *reg, hg_error *err)
{
  return reg->method(NAME, &hg_method_aid_bicgstab, err);
}

HG_PLUGIN_DEFINE("aid-bicgstab example", plugin_init);

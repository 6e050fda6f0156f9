/*
 * common.c -- the lower loop, the reverse sweep and the aid driver shared by the hypergradient
 * methods (contracts in common.h).
 */
#include "common.h"

#include <math.h>
#include <string.h>

int hg_work(hg_ctx *ctx, const char *method, size_t count, double **x, hg_error *err)
{
  size_t bytes = count * sizeof **x;

  *x = hg_alloc(ctx, bytes);
  if (*x)
    return HG_OK;
  if (ctx->mem_cap && ctx->mem_now + bytes > ctx->mem_cap)
    return hg_fail(err, HG_ERR_MEMCAP, "method '%s': %zu more bytes of workspace exceed the "
                   "memory cap of %zu bytes (%zu in use)", method, bytes, ctx->mem_cap,
                   ctx->mem_now);
  return hg_fail(err, HG_ERR_NOMEM, "method '%s': out of memory for %zu bytes of workspace",
                 method, bytes);
}

/* ||x - y||_2 = s sqrt(sum_i ((x_i - y_i)/s)^2) with s = max_i |x_i - y_i| (no overflow of
 * the squares). */
double hg_dist(int n, const double *x, const double *y)
{
  double s = 0, sum = 0;

  for (int i = 0; i < n; i++) {
    double a = fabs(x[i] - y[i]);
    if (!(a <= s)) {
      if (isnan(a))
        return NAN;
      s = a;
    }
  }
  if (s == 0 || isinf(s))
    return s;
  for (int i = 0; i < n; i++) {
    double d = (x[i] - y[i]) / s;
    sum += d * d;
  }
  return s * sqrt(sum);
}

int hg_method_fail(const hg_problem *P, const char *method, int rc, hg_error *err)
{
  char why[sizeof err->msg];

  snprintf(why, sizeof why, "%s", err ? err->msg : "");
  return hg_fail(err, rc, "method '%s' on problem '%s': %s", method, P->ops->name, why);
}

int hg_watch(const hg_problem *P, const char *method, const char *what, int i, double res,
             double res0, hg_error *err)
{
  if (!isfinite(res))
    return hg_fail(err, HG_ERR_NAN, "method '%s' on problem '%s': %s_%d is not finite "
                   "(residual %g)", method, P->ops->name, what, i, res);
  if (res0 > 0 && res > HG_DIVERGENCE_FACTOR * res0)
    return hg_fail(err, HG_ERR_DIVERGED, "method '%s' on problem '%s': %s_%d diverged "
                   "(residual %.3g, more than %.0e times the first, %.3g)", method,
                   P->ops->name, what, i, res, HG_DIVERGENCE_FACTOR, res0);
  if (P->deadline > 0 && hg_now() > P->deadline)
    return hg_fail(err, HG_ERR_TIMEOUT, "method '%s' on problem '%s': stopped at %s_%d, past "
                   "the --max-seconds deadline", method, P->ops->name, what, i);
  return HG_OK;
}

size_t hg_lower_space(int n, int keep)
{
  return (size_t)(keep >= 2 ? keep : 1) * (size_t)n * sizeof(double);
}

int hg_lower_open(hg_lower *L, const char *method, int n, int keep, double *w, hg_ctx *ctx,
                  hg_error *err)
{
  L->method = method;
  L->n = n;
  L->keep = keep >= 2 ? keep : 0;
  L->w = w;
  L->t = 0;
  L->from = 0;
  return hg_work(ctx, method, hg_lower_space(n, keep) / sizeof(double), &L->tape, err);
}

void hg_lower_close(hg_lower *L, hg_ctx *ctx)
{
  hg_free(ctx, L->tape);
  L->tape = NULL;
}

/* Storage of w_i during the loop: its tape slot, or (without a tape) L->w for even i and the
 * scratch vector for odd i. */
static double *slot(const hg_lower *L, int i)
{
  if (L->keep >= 2)
    return L->tape + (size_t)(i % L->keep) * (size_t)L->n;
  return i % 2 == 0 ? L->w : L->tape;
}

const double *hg_lower_at(const hg_lower *L, int i)
{
  return i == L->t ? L->w : slot(L, i);
}

/*
 * The lower loop (DESIGN §4): w_0 = w0, w_{i+1} = Phi(w_i, theta) for i < t; with
 * tol_lower > 0 it stops at the first i with ||w_{i+1} - w_i|| = ||Phi(w_i) - w_i|| <= tol_lower
 * (DESIGN §4, tolerance-driven variants), so t_used = i + 1.
 */
int hg_lower_run(hg_lower *L, hg_problem *P, const double *theta, const double *w0, int t,
                 double tol_lower, hg_lower_hook hook, void *hctx, hg_ctx *ctx, hg_error *err)
{
  int rc = HG_OK, n = L->n, s = 0, t_end = t;
  double res0 = 0;
  const double *res_c = NULL, *w_s = NULL;
  /* resume from the trajectory recorded by earlier runs (not with a hook, which needs every
   * step): the same iterates, residuals and counts as from w0 */
  hg_lower_cache *cache = hook ? NULL : ctx->lower_cache;

  L->t = 0;
  for (int j = 0; j < n; j++)
    if (!isfinite(w0[j])) {
      rc = hg_fail(err, HG_ERR_ARG, "method '%s' on problem '%s': the start w0[%d] = %g is "
                   "not finite", L->method, P->ops->name, j, w0[j]);
      goto done;
    }
  if (cache) {
    s = hg_lower_cache_start(cache, P, theta, w0, t, L->keep, tol_lower, &t_end, &res_c, &w_s);
  } else if (L->from > 0 && L->from <= t) {
    s = L->from;
    res_c = L->res_from;
    w_s = L->w_from;
  }
  hg_copy(n, s ? w_s : w0, slot(L, s));
  for (int i = 0; i < s; i++)
    hg_trace_lower(ctx, res_c[i]);
  if (s) {
    res0 = res_c[0];
    P->counts.phi += s; /* the Phi calls the recorded steps stand for */
    L->t = s;
  }

  for (int i = s; i < t_end; i++) {
    const double *w = slot(L, i);
    double *w_next = slot(L, i + 1);
    hg_phi(P, w, theta, w_next);
    L->t = i + 1;
    double res = hg_dist(n, w_next, w);
    hg_trace_lower(ctx, res);
    if ((rc = hg_watch(P, L->method, "lower iterate w", i + 1, res, res0, err)))
      goto done;
    if (cache)
      hg_lower_cache_step(cache, i, res);
    if (i == 0)
      res0 = res;
    if (hook)
      hook(hctx, i, w);
    if (tol_lower > 0 && res <= tol_lower)
      break;
  }

  if (cache)
    hg_lower_cache_end(cache, L->t, slot(L, L->t));

done:
  /* w_t (the last iterate, also after a failure) to the caller's vector; hg_copy does nothing
   * when the loop already ended in it */
  hg_copy(n, slot(L, L->t), L->w);
  return rc;
}

double hg_linear_resume(hg_problem *P, hg_ctx *ctx, int s, const double *res, int nvec,
                        const double *state, double *const *x, int *k_used)
{
  for (int j = 0; j < s; j++)
    hg_trace_linear(ctx, res[j]);
  P->counts.vjp_w += s; /* the products the recorded iterations stand for */
  for (int v = 0; v < nvec; v++)
    hg_copy(P->n_w, state + (size_t)v * P->n_w, x[v]);
  *k_used = s;
  return res[0];
}

size_t hg_lower_fista_space(int n)
{
  return 2 * (size_t)n * sizeof(double);
}

int hg_lower_fista(hg_lower *L, hg_problem *P, const double *theta, const double *w0, int t,
                   double tol_lower, hg_ctx *ctx, hg_error *err)
{
  int rc, n = L->n;
  double *x = L->w, *y = L->tape, *x_prev = NULL, *phi = NULL, res0 = 0;
  hg_constants c;

  L->t = 0;
  if ((rc = hg_problem_constants(P, theta, &c, err)))
    return rc;
  if (!(c.mu > 0) || !(c.L >= c.mu) || !(c.step > 0))
    return hg_fail(err, HG_ERR_UNSUPPORTED, "method '%s' with lower=fista needs the strong "
                   "convexity mu, smoothness L and step of g, which problem '%s' does not give "
                   "(use lower=gd)", L->method, P->ops->name);
  if ((rc = hg_work(ctx, L->method, (size_t)n, &x_prev, err)) ||
      (rc = hg_work(ctx, L->method, (size_t)n, &phi, err)))
    goto done;
  for (int j = 0; j < n; j++)
    if (!isfinite(w0[j])) {
      rc = hg_fail(err, HG_ERR_ARG, "method '%s' on problem '%s': the start w0[%d] = %g is "
                   "not finite", L->method, P->ops->name, j, w0[j]);
      goto done;
    }
  double sk = sqrt(c.L / c.mu), beta = (sk - 1) / (sk + 1), a = 1 / (c.L * c.step);
  hg_copy(n, w0, x);
  hg_copy(n, w0, y);
  for (int i = 0; i < t; i++) {
    hg_phi(P, y, theta, phi);
    L->t = i + 1;
    double res = hg_dist(n, y, phi);
    hg_trace_lower(ctx, res);
    if ((rc = hg_watch(P, L->method, "lower iterate y", i, res, res0, err)))
      goto done;
    if (i == 0)
      res0 = res;
    if (tol_lower > 0 && res <= tol_lower) { /* certified: return y_i (i + 1 Phi made) */
      hg_copy(n, y, x);
      break;
    }
    /* x_{i+1} = y - a (y - Phi(y)); y_{i+1} = x_{i+1} + beta (x_{i+1} - x_i) */
    hg_copy(n, x, x_prev);
    for (int j = 0; j < n; j++) {
      x[j] = y[j] - a * (y[j] - phi[j]);
      y[j] = x[j] + beta * (x[j] - x_prev[j]);
    }
  }

done:
  hg_free(ctx, x_prev);
  hg_free(ctx, phi);
  return rc;
}

size_t hg_sweep_space(int n, int m)
{
  return (2 * (size_t)n + (size_t)m) * sizeof(double);
}

/*
 * Reverse sweep of itd / tbptt (DESIGN §4):
 *     p = grad_w E(w_t), g = grad_theta E(w_t);
 *     for i = t-1 down to t-K:  g += d_theta Phi(w_i)^T p;  p = d_w Phi(w_i)^T p.
 * g is d/dtheta of E(w_t(theta), theta) when K = t, its truncation otherwise.
 */
int hg_reverse_sweep(hg_problem *P, const double *theta, const hg_lower *L, int K, double *g,
                     hg_ctx *ctx, hg_error *err)
{
  int rc = HG_OK, n = P->n_w, m = P->n_theta, t = L->t;
  double *p = NULL, *p_next = NULL, *u = NULL;

  if (K < 0 || K > t || (K > 0 && K > L->keep - 1)) {
    rc = hg_fail(err, HG_ERR_ARG, "method '%s': a reverse sweep of %d steps needs %d stored "
                 "iterates after %d lower steps, the tape holds %d", L->method, K, K + 1, t,
                 L->keep);
    goto done;
  }
  if ((rc = hg_work(ctx, L->method, (size_t)n, &p, err)) ||
      (rc = hg_work(ctx, L->method, (size_t)n, &p_next, err)) ||
      (rc = hg_work(ctx, L->method, (size_t)m, &u, err)))
    goto done;

  hg_upper(P, L->w, theta, p, g);
  for (int i = t - 1; i >= t - K; i--) {
    const double *w_i = hg_lower_at(L, i);
    hg_vjp_theta(P, w_i, theta, p, u);
    hg_axpy(m, 1.0, u, g);
    hg_vjp_w(P, w_i, theta, p, p_next);
    double *swap = p;
    p = p_next;
    p_next = swap;
  }

done:
  hg_free(ctx, p);
  hg_free(ctx, p_next);
  hg_free(ctx, u);
  return rc;
}

/* Iterates itd keeps to differentiate the last K of at most t steps: w_{t-K} .. w_t. */
static int itd_keep(int t, int K)
{
  return (K < t ? K : t) + 1;
}

size_t hg_itd_space(int n, int m, int t, int K)
{
  return hg_lower_space(n, itd_keep(t, K)) + hg_sweep_space(n, m);
}

/* itd / tbptt (DESIGN §4): w_{i+1} = Phi(w_i, theta) for i < t, then the reverse sweep over
 * the last min(K, t) steps; K >= t is the exact gradient of E(w_t(theta), theta). */
int hg_itd_run(hg_problem *P, const char *method, const double *theta, const double *w0,
               const hg_budget *b, int K, hg_ctx *ctx, hg_out *out, hg_error *err)
{
  int rc = HG_OK;
  hg_lower L = {0};

  if ((rc = hg_lower_open(&L, method, P->n_w, itd_keep(b->t, K), out->w, ctx, err)))
    goto done;
  rc = hg_lower_run(&L, P, theta, w0, b->t, b->tol_lower, NULL, NULL, ctx, err);
  out->t_used = L.t;
  out->k_used = 0;
  if (rc)
    goto done;
  rc = hg_reverse_sweep(P, theta, &L, K < L.t ? K : L.t, out->grad, ctx, err);

done:
  hg_lower_close(&L, ctx);
  return rc;
}

/* Doubles in block i of S's workspace. */
static size_t aid_block(int n, const hg_aid_solver *S, int i)
{
  return (size_t)S->work[i] * (size_t)n + S->extra[i];
}

size_t hg_aid_space(int n, int m, const hg_aid_solver *S)
{
  size_t doubles = (size_t)n; /* grad_w E, then the solver's blocks */

  for (int i = 0; i < HG_AID_BLOCKS; i++)
    doubles += aid_block(n, S, i);
  /* then either FISTA's iterates (freed after the loop) or the tail (m), never both */
  size_t fista = S->fista ? hg_lower_fista_space(n) : 0, tail = (size_t)m * sizeof(double);
  return hg_lower_space(n, 0) + doubles * sizeof(double) + (fista > tail ? fista : tail);
}

hg_aid_solver hg_aid_with(const hg_aid_solver *base, const hg_params *mp)
{
  hg_aid_solver S = *base;
  S.fista = mp && !strcmp(hg_params_str(mp, "lower"), "fista");
  return S;
}

/* out = (I - J^T) v = v - d_w Phi(w_t)^T v. */
void hg_adjoint_apply(void *op, const double *v, double *out)
{
  hg_adjoint_op *S = op;
  int n = S->P->n_w;

  hg_vjp_w(S->P, S->w, S->theta, v, out);
  for (int i = 0; i < n; i++)
    out[i] = v[i] - out[i];
}

/* out = (I - J) v = v - d_w Phi(w_t) v. */
void hg_adjoint_apply_t(void *op, const double *v, double *out)
{
  hg_adjoint_op *S = op;
  int n = S->P->n_w;

  hg_jvp_w(S->P, S->w, S->theta, v, out);
  for (int i = 0; i < n; i++)
    out[i] = v[i] - out[i];
}

/*
 * The implicit methods (DESIGN §1, §4): w_{i+1} = Phi(w_i, theta) for i < t, then with
 * J = d_w Phi(w_t, theta)
 *     v ~ (I - J^T)^{-1} grad_w E(w_t)   by the method's adjoint solver,
 *     ghat = grad_theta E(w_t) + d_theta Phi(w_t)^T v.
 * One hg_upper and one vjp_theta besides the loop's t Phi and the solver's products.  u is
 * allocated only after the solve: a memory cap it alone exceeds fails with t_used, k_used and
 * the counts of the loop and the solve.
 */
int hg_aid_run(hg_problem *P, const hg_aid_solver *S, const double *theta, const double *w0,
               const hg_budget *b, hg_ctx *ctx, hg_out *out, hg_error *err)
{
  int rc = HG_OK, n = P->n_w, m = P->n_theta;
  hg_lower L = {0};
  double *gw = NULL, *work[HG_AID_BLOCKS] = {NULL}; /* grad_w E(w_t), the solver's blocks */
  double *u = NULL;                                 /* d_theta Phi(w_t)^T v */
  const double *v = NULL;

  out->t_used = out->k_used = 0;
  if ((rc = hg_lower_open(&L, S->method, n, 0, out->w, ctx, err)) ||
      (rc = hg_work(ctx, S->method, (size_t)n, &gw, err)))
    goto done;
  for (int i = 0; i < HG_AID_BLOCKS; i++)
    if (aid_block(n, S, i) > 0 &&
        (rc = hg_work(ctx, S->method, aid_block(n, S, i), &work[i], err)))
      goto done;

  rc = S->fista ? hg_lower_fista(&L, P, theta, w0, b->t, b->tol_lower, ctx, err)
                : hg_lower_run(&L, P, theta, w0, b->t, b->tol_lower, NULL, NULL, ctx, err);
  out->t_used = L.t;
  out->not_phi = S->fista;
  if (rc)
    goto done;

  hg_upper(P, out->w, theta, gw, out->grad);
  if ((rc = S->solve(P, S, theta, out->w, gw, work, b, ctx, &v, &out->k_used, err)) ||
      (rc = hg_work(ctx, S->method, (size_t)m, &u, err)))
    goto done;
  hg_vjp_theta(P, out->w, theta, v, u);
  hg_axpy(m, 1.0, u, out->grad);
  if (out->v) { /* for the harness's inexact bound omega */
    hg_copy(n, v, out->v);
    out->v_set = 1;
  }

done:
  hg_free(ctx, u);
  for (int i = 0; i < HG_AID_BLOCKS; i++)
    hg_free(ctx, work[i]);
  hg_free(ctx, gw);
  hg_lower_close(&L, ctx);
  return rc;
}

double hg_rate_q_in_t(const hg_constants *c, char axis)
{
  return axis == 't' ? c->q : NAN;
}

double hg_rate_q(const hg_constants *c, char axis)
{
  return axis == 't' || axis == 'k' ? c->q : NAN;
}

double hg_kappa_lin(const hg_constants *c)
{
  double kq = (1 + c->q) / (1 - c->q);
  return isfinite(c->kappa) ? fmin(c->kappa, kq) : kq;
}

double hg_bound_itd(const hg_theory *th, int t, int k, int K)
{
  double q = th->c.q;
  return th->c1 * pow(q, t) + th->c2 * t * pow(q, t - 1) + th->c3 * pow(q, t);
}

double hg_bound_aid_lower(const hg_theory *th, int t)
{
  double q = th->c.q;
  return (th->c1 + th->c2 / (1 - q)) * pow(q, t);
}

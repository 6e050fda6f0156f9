/*
 * run.c -- one hypergradient run, measured (DESIGN §2.2): the method runs through the counting
 * wrapper, its workspace through a counting allocator, its time on a monotonic clock; the
 * result is compared with the problem's exact reference.
 */
#include "hg_core.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Every block carries its size in front so hg_free can keep the account; the header is not
 * counted, so the account equals what the method asked for (its declared space()). */
typedef union block_header {
  size_t bytes;
  max_align_t align;
} block_header;

void *hg_alloc(hg_ctx *ctx, size_t bytes)
{
  if (ctx->mem_cap && ctx->mem_now + bytes > ctx->mem_cap)
    return NULL;
  block_header *h = calloc(1, sizeof *h + bytes);
  if (!h)
    return NULL;
  h->bytes = bytes;
  ctx->mem_now += bytes;
  if (ctx->mem_now > ctx->mem_peak)
    ctx->mem_peak = ctx->mem_now;
  return h + 1;
}

void hg_free(hg_ctx *ctx, void *p)
{
  if (!p)
    return;
  block_header *h = (block_header *)p - 1;
  ctx->mem_now -= h->bytes;
  free(h);
}

/* Append x to a growable trace array (silently stops growing if memory runs out: a trace is a
 * diagnostic, never a reason to fail a run). */
static void trace_push(double **a, int *n, int *cap, double x)
{
  if (*n == *cap) {
    int ncap = *cap ? 2 * *cap : 64;
    double *na = realloc(*a, (size_t)ncap * sizeof *na);
    if (!na)
      return;
    *a = na;
    *cap = ncap;
  }
  (*a)[(*n)++] = x;
}

void hg_trace_lower(hg_ctx *ctx, double residual)
{
  ctx->last_lower = residual;
  if (ctx->trace_on)
    trace_push(&ctx->lower_res, &ctx->n_lower, &ctx->cap_lower, residual);
}

void hg_trace_linear(hg_ctx *ctx, double residual)
{
  ctx->last_linear = residual;
  if (ctx->trace_on)
    trace_push(&ctx->linear_res, &ctx->n_linear, &ctx->cap_linear, residual);
}

size_t hg_method_space(const hg_method_ops *M, int n, int m, const hg_budget *b,
                       const hg_params *mp)
{
  return M->space_params && mp ? M->space_params(n, m, b, mp) : M->space(n, m, b);
}

size_t hg_method_space_on(const hg_method_ops *M, const hg_problem *P, const hg_budget *b,
                          const hg_params *mp)
{
  return M->space_problem ? M->space_problem(P, b, mp)
                          : hg_method_space(M, P->n_w, P->n_theta, b, mp);
}

void hg_budget_default(hg_budget *b)
{
  b->t = 100;
  b->k = 100;
  b->K = 10;
  b->tol_lower = 0;
  b->tol_linear = 0;
}

double hg_now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Refuse a method the problem cannot serve, with a sentence naming both. */
static int check_needs(const hg_method_ops *M, const hg_problem *P, hg_error *err)
{
  return hg_method_applies(P->ops, M, err);
}

/* A map that cannot be shown contractive is reported before any iteration runs: a gradient
 * step names the step to use instead; a map without a step (an equilibrium model) names q. */
static int check_contraction(const hg_problem *P, const hg_constants *c, hg_error *err)
{
  if (isnan(c->q) || c->q < 1)
    return HG_OK;
  if (!isfinite(c->step) || !isfinite(c->mu) || !isfinite(c->L))
    return hg_fail(err, HG_ERR_NONCONTRACT, "problem '%s': Phi is not certifiably contractive "
                   "at this theta (its contraction bound q = %.6g >= 1)", P->ops->name, c->q);
  return hg_fail(err, HG_ERR_NONCONTRACT,
                 "problem '%s': step %.6g makes Phi %s at this theta (q = %.6g >= 1 with "
                 "mu = %.6g, L = %.6g); set step= below %.6g",
                 P->ops->name, c->step, c->exact_mu_L ? "non-contractive" :
                 "not certifiably contractive", c->q, c->mu, c->L, 2.0 / (c->mu + c->L));
}

/* The theory at (theta, w0) for w*, reused while theta and w0 stay the same. */
static int theory_cached(hg_problem *P, const double *theta, const double *w0,
                         const double *wstar, hg_error *err)
{
  size_t m = (size_t)P->n_theta, n = (size_t)P->n_w;
  if (P->theory_key && !memcmp(P->theory_key, theta, m * sizeof *theta) &&
      !memcmp(P->theory_key + m, w0, n * sizeof *w0))
    return HG_OK;
  free(P->theory_key);
  P->theory_key = NULL;
  int rc = hg_theory_at(P, theta, wstar, w0, &P->theory, err);
  if (rc)
    return rc;
  P->theory_key = malloc((m + n) * sizeof *P->theory_key);
  if (!P->theory_key)
    return hg_fail(err, HG_ERR_NOMEM, "out of memory for the theory cache");
  memcpy(P->theory_key, theta, m * sizeof *theta);
  memcpy(P->theory_key + m, w0, n * sizeof *w0);
  return HG_OK;
}

double hg_rel_diff(int n, const double *a, const double *b)
{
  double d = 0, s = 0;
  for (int i = 0; i < n; i++) {
    d += (a[i] - b[i]) * (a[i] - b[i]);
    s += b[i] * b[i];
  }
  return s > 0 ? sqrt(d / s) : sqrt(d);
}

void hg_run_release(hg_run *r)
{
  if (!r)
    return;
  free(r->grad);
  free(r->w);
  free(r->exact);
  free(r->lower_res);
  free(r->linear_res);
  memset(r, 0, sizeof *r);
}

int hg_hypergrad(hg_problem *P, const char *method, int nwords, const char *const *words,
                 const double *theta, const hg_budget *b, const hg_run_opts *o, hg_run *r,
                 hg_error *err)
{
  const hg_method_ops *M = hg_find_method(method, err);
  if (!M) {
    memset(r, 0, sizeof *r);
    r->status = HG_ERR_UNKNOWN;
    return HG_ERR_UNKNOWN;
  }
  return hg_hypergrad_ops(P, M, nwords, words, theta, b, o, r, err);
}

/* A hypergradient with a non-finite entry is a failure naming it. */
static int check_finite(const hg_problem *P, const hg_method_ops *M, const hg_run *r,
                        hg_error *err)
{
  for (int i = 0; i < r->n_theta; i++)
    if (!isfinite(r->grad[i]))
      return hg_fail(err, HG_ERR_NAN, "method '%s' on problem '%s': hypergradient entry %d is "
                     "%g", M->name, P->ops->name, i, r->grad[i]);
  return HG_OK;
}

/* A non-finite upper value E(w) is a failure naming it (as check_finite for the estimate). */
static int check_value(const hg_problem *P, const hg_method_ops *M, double value,
                       hg_error *err)
{
  if (isfinite(value))
    return HG_OK;
  return hg_fail(err, HG_ERR_NAN, "method '%s' on problem '%s': the upper value E at the "
                 "returned w is %g", M->name, P->ops->name, value);
}

/* A tolerance-driven run (tol_lower or tol_linear > 0, read by M) that used its whole t or k
 * without its last residual reaching the tolerance: HG_ERR_BUDGET with a note saying which,
 * else HG_OK.  The run's numbers stand; only its status tells. */
static int check_budget(const hg_method_ops *M, const hg_budget *b, const hg_ctx *ctx,
                        hg_run *r)
{
  const struct {
    const char *tol_name, *cap_name, *what;
    double tol, last;
    unsigned flag;
    int used, cap;
  } loop[2] = {
    {"tol_lower", "t", "lower", b->tol_lower, ctx->last_lower, HG_BUDGET_TOL_LOWER, r->t, b->t},
    {"tol_linear", "k", "linear", b->tol_linear, ctx->last_linear, HG_BUDGET_TOL_LINEAR, r->k,
     b->k},
  };
  for (int i = 0; i < 2; i++)
    if (loop[i].tol > 0 && (M->budgets & loop[i].flag) && loop[i].used >= loop[i].cap &&
        !(loop[i].last <= loop[i].tol)) {
      snprintf(r->note, sizeof r->note, "method '%s': %s = %g not reached within %s = %d %s "
               "iterations (last residual %.3g)", M->name, loop[i].tol_name, loop[i].tol,
               loop[i].cap_name, loop[i].cap, loop[i].what, loop[i].last);
      return HG_ERR_BUDGET;
    }
  return HG_OK;
}

/* The workspace M declares for this budget (space()), with the run's own vectors, against
 * the memory cap: refused before anything is allocated, so a tape of tens of GB fails in
 * microseconds instead of being discovered by the kernel. */
static int check_space(const hg_problem *P, const hg_method_ops *M, const hg_budget *b,
                       const hg_params *mp, size_t cap, hg_error *err)
{
  char owner[96], what[160];
  if (!cap)
    return HG_OK;
  double need = (double)hg_method_space_on(M, P, b, mp) +
                (3.0 * P->n_w + 2.0 * P->n_theta) * sizeof(double);
  snprintf(owner, sizeof owner, "method '%s'", M->name);
  snprintf(what, sizeof what, "of workspace for t = %d, k = %d on problem '%s' (n_w = %d, "
           "n_theta = %d)", b->t, b->k, P->ops->name, P->n_w, P->n_theta);
  return hg_over_cap(cap, need, owner, what, err);
}

/* eps, delta and omega of the adjoint v at the run's w, into r. */
static int inexact_into(hg_problem *P, const double *theta, const double *v, hg_run *r,
                        hg_error *err)
{
  hg_inexact x;
  int rc = hg_inexact_at(P, &r->theory, theta, r->w, v, &x, err);
  if (rc)
    return rc;
  r->eps = x.eps;
  r->delta = x.delta;
  r->omega = x.omega;
  return HG_OK;
}

/* The bound of DESIGN §7 at w* = ws (from w0), omega(eps, delta) for an implicit estimate
 * (v_set), and whether the error exceeds either by more than the round-off of the reference
 * (hg_roundoff_floor times ||exact||). */
static int bound_of_run(hg_problem *P, const hg_method_ops *M, const double *theta,
                        const hg_budget *b, const hg_run_opts *o, const double *w0,
                        const double *ws, const double *v, int v_set, int not_phi, hg_run *r,
                        hg_error *err)
{
  int rc;
  if (o->local_constants) { /* along this run's own t iterates */
    if ((rc = hg_theory_local(P, theta, ws, w0, r->t, &r->theory, err)))
      return rc;
  } else {
    if ((rc = theory_cached(P, theta, w0, ws, err)))
      return rc;
    r->theory = P->theory;
  }
  r->bound = not_phi ? NAN : M->bound(&r->theory, r->t, r->k, b->K);
  if (v_set && (rc = inexact_into(P, theta, v, r, err)))
    return rc;
  double roundoff = hg_roundoff_floor(r->consts.kappa) * hg_nrm2(r->n_theta, r->exact);
  r->bound_violated = (isfinite(r->bound) && r->abs_error > r->bound + roundoff) ||
                      (isfinite(r->omega) && r->abs_error > r->omega + roundoff);
  return HG_OK;
}

/* The exact reference (o->reference, or solved) into r->exact, the errors against it, and
 * with a bound and a w* the bound check (bound_of_run). */
static int compare_with_reference(hg_problem *P, const hg_method_ops *M, const double *theta,
                                  const hg_budget *b, const hg_run_opts *o, const double *w0,
                                  const double *v, int v_set, int not_phi, hg_run *r,
                                  hg_error *err)
{
  int rc = HG_OK, m = r->n_theta;
  double *wstar = malloc((size_t)r->n_w * sizeof *wstar);
  const double *ws = wstar;
  r->exact = malloc((size_t)m * sizeof *r->exact);
  if (!r->exact || !wstar) {
    rc = hg_fail(err, HG_ERR_NOMEM, "out of memory for the exact reference");
    goto done;
  }
  if (o->reference) {
    memcpy(r->exact, o->reference, (size_t)m * sizeof *r->exact);
    ws = o->wstar;
  } else if ((rc = hg_exact(P, theta, wstar, r->exact, err))) {
    goto done;
  }
  double ref = hg_nrm2(m, r->exact);
  r->rel_error = hg_rel_diff(m, r->grad, r->exact);
  r->abs_error = ref > 0 ? r->rel_error * ref : r->rel_error;
  if (M->bound && ws)
    rc = bound_of_run(P, M, theta, b, o, w0, ws, v, v_set, not_phi, r, err);
  else if (M->posterior && isfinite(r->bound)) /* the method's own bound (hg_posterior) */
    r->bound_violated = r->abs_error > r->bound + hg_roundoff_floor(r->consts.kappa) * ref;
  if (M->posterior && ws && P->ops->constants && !rc) /* the constants, for verify's notes */
    if (!(rc = theory_cached(P, theta, w0, ws, err)))
      r->theory = P->theory;
done:
  free(wstar);
  return rc;
}

/* Without a reference (outer loops): eps, delta (and omega when inexact = 2) a posteriori at
 * the run's w, with the theory at w itself (inexact = 2) or the problem's constants only (q
 * for eps, no L_Phi so omega is NAN). */
static int inexact_at_w(hg_problem *P, const double *theta, int inexact, const double *v,
                        hg_run *r, hg_error *err)
{
  if (inexact == 2) {
    int rc = hg_theory_at(P, theta, r->w, r->w, &r->theory, err);
    if (rc)
      return rc;
  } else {
    memset(&r->theory, 0, sizeof r->theory);
    r->theory.c = r->consts;
    r->theory.D = r->theory.c1 = r->theory.c2 = r->theory.c3 = NAN;
  }
  return inexact_into(P, theta, v, r, err);
}

int hg_hypergrad_ops(hg_problem *P, const hg_method_ops *M, int nwords,
                     const char *const *words, const double *theta, const hg_budget *b,
                     const hg_run_opts *o, hg_run *r, hg_error *err)
{
  int rc = HG_OK, n = P->n_w, m = P->n_theta;
  char owner[96];
  hg_params *mp = NULL;
  double *w0 = NULL, *v = NULL;
  hg_ctx ctx;
  hg_out out;
  hg_posterior post;

  memset(r, 0, sizeof *r);
  memset(&ctx, 0, sizeof ctx);
  r->n_w = n;
  r->n_theta = m;
  r->rel_error = r->abs_error = r->bound = NAN;
  r->eps = r->delta = r->omega = r->post_rate = NAN;
  hg_constants_unknown(&r->consts);
  snprintf(owner, sizeof owner, "method '%s'", M->name);
  if ((rc = hg_params_parse(M->params, owner, nwords, words, &mp, err)) ||
      (rc = check_needs(M, P, err)) || (rc = hg_theta_check(m, theta, err)))
    goto done;
  if (b->t < 0 || b->k < 0 || b->K < 0 || !(b->tol_lower >= 0) || !(b->tol_linear >= 0)) {
    rc = hg_fail(err, HG_ERR_ARG, "budget: t, k, K and tolerances must be >= 0");
    goto done;
  }
  if (P->ops->constants) {
    if ((rc = hg_problem_constants(P, theta, &r->consts, err)))
      goto done;
    if ((M->needs & HG_NEEDS_CONTRACTION) && (rc = check_contraction(P, &r->consts, err)))
      goto done;
  }

  /* the cap: the run's own, else the one the problem was created under (--max-memory) */
  size_t cap = o->mem_cap ? o->mem_cap : hg_params_mem_cap(P->params);
  if ((rc = check_space(P, M, b, mp, cap, err)))
    goto done;

  r->grad = calloc((size_t)m, sizeof *r->grad);
  r->w = calloc((size_t)n, sizeof *r->w);
  w0 = calloc((size_t)n, sizeof *w0);
  v = calloc((size_t)n, sizeof *v);
  if (!r->grad || !r->w || !w0 || !v) {
    rc = hg_fail(err, HG_ERR_NOMEM, "out of memory for a run of n_w = %d", n);
    goto done;
  }
  if (o->w0)
    memcpy(w0, o->w0, (size_t)n * sizeof *w0);

  hg_rng_seed(&ctx.rng, o->seed);
  ctx.mem_cap = cap;
  ctx.last_lower = ctx.last_linear = NAN;
  ctx.trace_on = o->trace;
  ctx.lower_cache = o->lower_cache;
  out.grad = r->grad;
  out.w = r->w;
  out.v = v;
  out.v_set = out.not_phi = 0;
  memset(&post, 0, sizeof post);
  out.post = M->posterior ? &post : NULL;
  out.t_used = out.k_used = 0;
  memset(&P->counts, 0, sizeof P->counts);

  double t0 = hg_now();
  if (o->deadline > 0 && t0 > o->deadline) {
    rc = hg_fail(err, HG_ERR_TIMEOUT, "method '%s' on problem '%s': not started, past the "
                 "--max-seconds deadline", M->name, P->ops->name);
    goto done;
  }
  P->deadline = o->deadline; /* hg_watch stops the iterations past it */
  ctx.deadline = o->deadline; /* and the Krylov solvers (krylov.c) */
  rc = M->compute(P, mp, theta, w0, b, &ctx, &out, err);
  P->deadline = 0;
  r->wall_s = hg_now() - t0;
  r->counts = P->counts;
  r->peak_bytes = ctx.mem_peak;
  r->t = out.t_used;
  r->k = out.k_used;
  if (rc || (rc = check_finite(P, M, r, err)))
    goto done;
  r->value = P->ops->upper(P->self, r->w, theta, NULL, NULL);
  if ((rc = check_value(P, M, r->value, err)))
    goto done;
  if (M->posterior && post.set) { /* the method's own a-posteriori bound (DESIGN §2.4) */
    M->posterior(P, theta, &post);
    r->eps = post.eps;
    r->delta = post.delta;
    r->omega = r->bound = post.bound;
    r->post_rate = post.rate;
    r->theory.c = r->consts; /* mu1 for an outer loop's value error */
  }

  if ((o->reference || (o->with_reference && P->ops->exact)) &&
      (rc = compare_with_reference(P, M, theta, b, o, w0, v, out.v_set, out.not_phi, r, err)))
    goto done;
  if (o->v_out && out.v_set)
    memcpy(o->v_out, v, (size_t)n * sizeof *v);
  r->v_set = out.v_set;
  if (o->inexact && out.v_set && isnan(r->eps)) /* no reference: the theory at w itself */
    rc = inexact_at_w(P, theta, o->inexact, v, r, err);

done:
  if (ctx.trace_on) {
    r->lower_res = ctx.lower_res; /* ownership moves to the run record */
    r->n_lower_res = ctx.n_lower;
    r->linear_res = ctx.linear_res;
    r->n_linear_res = ctx.n_linear;
  }
  r->status = rc ? rc : check_budget(M, b, &ctx, r);
  hg_params_destroy(&mp);
  free(w0);
  free(v);
  return rc;
}

/*
 * sid.c -- stochastic implicit differentiation (DESIGN §4 "sid"; Grazzi, Pontil, Salzo,
 * "Convergence properties of stochastic hypergradients", AISTATS 2021: their SID with
 * stochastic fixed-point iterations as both solvers).  Phi^ is Phi on a mini-batch
 * of the lower mean (hg_problem_sample, HG_SAMPLE_LOWER, `batch` items drawn afresh for every
 * product from the run's rng), an unbiased estimate of Phi and of its Jacobians:
 *
 *     w_0 = w0,  w_{s+1} = (1 - eta_s) w_s + eta_s Phi^(w_s, theta)                  s < t,
 *     v_0 = 0,   v_{j+1} = (1 - eta_j) v_j + eta_j (d_w Phi^(w_t)^T v_j + grad_w E(w_t)) j < k,
 *     ghat = grad_theta E(w_t) + (1/J) sum_{i<J} d_theta Phi^_i(w_t)^T v_k,
 *
 * eta_s = beta/(gamma + s) with beta = gamma = 2/(1 - q^2) (q from the problem's constants at
 * theta; `beta=` overrides both), J fresh batches for the last product (`J=`, 0: J = t).  E
 * is the full upper mean (the paper's deterministic E).  Then E||ghat - grad f||^2 =
 * O(1/t + 1/k + 1/J) (DESIGN §7): with k = J = t the mean square error falls as 1/t.  With
 * batch >= the item count every Phi^ is Phi: the iterations are deterministic and converge
 * to exact (slowly: the error falls like t^(-2/(1+q)) under these steps).  The full mean is
 * selected again before returning, also on failure.  Fixed t and k: a stochastic residual is
 * no stopping test, so tol_lower and tol_linear are refused.
 */
#include "common.h"

/* The parameters as read. */
typedef struct sid_opts {
  int batch;    /* items per mini-batch */
  int J;        /* batches averaged in the last product (0 in the schema: t) */
  double beta;  /* step numerator and offset: beta/(beta + s) */
} sid_opts;

static const hg_param_spec sid_params[] = {
  {"batch", HG_PARAM_INT, "10", 1, 2147483647.0, NULL,
   "items per mini-batch of Phi (>= the item count: the full, deterministic map)"},
  {"J", HG_PARAM_INT, "0", 0, 2147483647.0, NULL,
   "mini-batches averaged for d_theta Phi^T v (0: J = t)"},
  {"beta", HG_PARAM_REAL, "0", 0, 1e12, NULL,
   "steps beta/(beta + s) (0: beta = 2/(1 - q^2), the theory's)"},
  {NULL, 0, NULL, 0, 0, NULL, NULL},
};

/* Workspace: Phi^(w_s) (then d_w Phi^T v_j), v_j, grad_w E (n each), d_theta Phi^T v_k (m),
 * and the batch's item indices (min(batch, items) ints). */
static size_t sid_bytes(int n, int m, long idx)
{
  return (3 * (size_t)n + (size_t)m) * sizeof(double) + (size_t)idx * sizeof(int);
}

/* For the default batch=10 on a problem of at least 10 items. */
static size_t sid_space(int n, int m, const hg_budget *b)
{
  return sid_bytes(n, m, 10);
}

static size_t sid_space_problem(const hg_problem *P, const hg_budget *b, const hg_params *mp)
{
  long batch = mp ? hg_params_int(mp, "batch") : 10;
  long items = hg_problem_n_items(P, HG_SAMPLE_LOWER);
  return sid_bytes(P->n_w, P->n_theta, batch < items ? batch : items);
}

/* The two stochastic fixed-point loops and the averaged tail (header comment).  x, v, gw: n
 * doubles each, gt: m, idx: min(batch, items) ints.  The caller restores the full mean. */
static int sid_run(hg_problem *P, const sid_opts *o, const double *theta, const double *w0,
                   const hg_budget *b, hg_ctx *ctx, hg_out *out, int *idx, double *x, double *v,
                   double *gw, double *gt, hg_error *err)
{
  const int n = P->n_w, m = P->n_theta;
  double *w = out->w, res0 = 0, res;
  int rc;

  if (w0)
    hg_copy(n, w0, w);
  else
    hg_zero(n, w);
  for (int s = 0; s < b->t; s++) { /* w_{s+1} = (1 - eta_s) w_s + eta_s Phi^(w_s) */
    const double eta = o->beta / (o->beta + s);
    if ((rc = hg_problem_sample(P, HG_SAMPLE_LOWER, o->batch, &ctx->rng, idx, err)))
      return rc;
    hg_phi(P, w, theta, x);
    res = eta * hg_dist(n, x, w); /* ||w_{s+1} - w_s|| */
    for (int i = 0; i < n; i++)
      w[i] += eta * (x[i] - w[i]);
    hg_trace_lower(ctx, res);
    out->t_used = s + 1;
    if ((rc = hg_watch(P, "sid", "lower iterate w", s + 1, res, res0, err)))
      return rc;
    if (s == 0)
      res0 = res;
  }

  if ((rc = hg_problem_select(P, HG_SAMPLE_LOWER, 0, NULL, err)))
    return rc;
  hg_upper(P, w, theta, gw, out->grad); /* the full E at w_t */

  res0 = 0;
  for (int j = 0; j < b->k; j++) { /* v_{j+1} = (1 - eta_j) v_j + eta_j (J^T v_j + gw) */
    const double eta = o->beta / (o->beta + j);
    if ((rc = hg_problem_sample(P, HG_SAMPLE_LOWER, o->batch, &ctx->rng, idx, err)))
      return rc;
    hg_vjp_w(P, w, theta, v, x);
    hg_axpy(n, 1.0, gw, x);
    res = eta * hg_dist(n, x, v);
    for (int i = 0; i < n; i++)
      v[i] += eta * (x[i] - v[i]);
    hg_trace_linear(ctx, res);
    out->k_used = j + 1;
    if ((rc = hg_watch(P, "sid", "linear iterate v", j + 1, res, res0, err)))
      return rc;
    if (j == 0)
      res0 = res;
  }

  /* J batches of d_theta Phi^T v_k (one when the batch is the full mean: all equal) */
  const int items = hg_problem_n_items(P, HG_SAMPLE_LOWER);
  const int J = o->batch >= items ? 1 : o->J > 0 ? o->J : (b->t > 0 ? b->t : 1);
  for (int i = 0; i < J; i++) {
    if ((rc = hg_problem_sample(P, HG_SAMPLE_LOWER, o->batch, &ctx->rng, idx, err)))
      return rc;
    hg_vjp_theta(P, w, theta, v, gt);
    hg_axpy(m, 1.0 / J, gt, out->grad);
  }
  return HG_OK; /* the harness refuses a non-finite estimate */
}

/* sid (header): refuses tolerances and a q it cannot use (the harness refuses a problem
 * without sample ops: HG_NEEDS_SAMPLE);
 * allocates everything first, runs, and selects the full mean again whatever happened. */
static int sid_compute(hg_problem *P, const hg_params *mp, const double *theta,
                       const double *w0, const hg_budget *b, hg_ctx *ctx, hg_out *out,
                       hg_error *err)
{
  const int n = P->n_w, m = P->n_theta;
  sid_opts o = {(int)hg_params_int(mp, "batch"), (int)hg_params_int(mp, "J"),
                hg_params_real(mp, "beta")};
  double *x = NULL, *v = NULL, *gw = NULL, *gt = NULL;
  int *idx = NULL, rc;
  hg_error ignored;

  if (b->tol_lower > 0 || b->tol_linear > 0)
    return hg_fail(err, HG_ERR_ARG, "method 'sid' runs fixed t and k: tol_lower and "
                   "tol_linear are not supported (a stochastic residual is no stopping test)");
  if (!(o.beta > 0)) {
    hg_constants c;
    if ((rc = hg_problem_constants(P, theta, &c, err)))
      return rc;
    if (!(c.q >= 0 && c.q < 1))
      return hg_fail(err, HG_ERR_UNSUPPORTED, "method 'sid' on problem '%s': the steps "
                     "2/(1 - q^2) need a known q < 1 (q = %g); give beta=", P->ops->name, c.q);
    o.beta = 2.0 / (1.0 - c.q * c.q);
  }
  const long items = hg_problem_n_items(P, HG_SAMPLE_LOWER);
  const size_t nidx = (size_t)(o.batch < items ? o.batch : items);
  if ((rc = hg_work(ctx, "sid", (size_t)n, &x, err)) ||
      (rc = hg_work(ctx, "sid", (size_t)n, &v, err)) ||
      (rc = hg_work(ctx, "sid", (size_t)n, &gw, err)) ||
      (rc = hg_work(ctx, "sid", (size_t)m, &gt, err)))
    goto done;
  idx = hg_alloc(ctx, nidx * sizeof *idx);
  if (!idx) {
    rc = hg_fail(err, ctx->mem_cap ? HG_ERR_MEMCAP : HG_ERR_NOMEM,
                 "method 'sid': no memory for %zu batch indices", nidx);
    goto done;
  }
  rc = sid_run(P, &o, theta, w0, b, ctx, out, idx, x, v, gw, gt, err);

done:
  hg_problem_select(P, HG_SAMPLE_LOWER, 0, NULL, &ignored); /* the full mean, always */
  hg_free(ctx, idx);
  hg_free(ctx, gt);
  hg_free(ctx, gw);
  hg_free(ctx, v);
  hg_free(ctx, x);
  return rc;
}

const hg_method_ops hg_method_sid = {
  .version = HG_OPS_VERSION,      /* ops layout this table follows */
  .name = "sid",                         /* registry name (file sid.c) */
  .summary = "stochastic implicit differentiation: mini-batch fixed-point steps for w and v "
             "(steps beta/(beta+s))",
  .params = sid_params,                  /* batch=, J=, beta= */
  .needs = HG_NEEDS_CONTRACTION | HG_NEEDS_SAMPLE, /* iterates Phi and its adjoint on batches */
  .space = sid_space,                    /* workspace bytes for the default batch */
  .space_problem = sid_space_problem,    /* min(batch, items) indices */
  .compute = sid_compute,                /* the method */
  .stochastic = 1,                       /* a random estimate: verify reports, not grades */
  .revision = 1,                        /* bump when this method's numbers change */
  .display = "SID",                     /* legend name */
  .budgets = HG_BUDGET_T | HG_BUDGET_K, /* what it reads of hg_budget */
  .cost = "t mini-batch Phi, k mini-batch vjp_w, J mini-batch vjp_theta",
};

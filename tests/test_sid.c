/*
 * test_sid.c -- the problems' sample ops (hgbench.h hg_problem_ops.n_items / .select) and the
 * stochastic hypergradient method sid (methods/hypergrad/sid.c, DESIGN §4, §7).
 *
 * Sample ops, on every problem that has them:
 *   - unbiasedness made exact: the average over the N single-item selections of Phi and of
 *     every Jacobian product (LOWER), and of E and its gradients (UPPER), equals the full one,
 *     and so does the average over the batches of a random partition into equal batches.
 *     Both are identities (a mean of means over equal parts), so they hold to round-off: the
 *     sums reorder O(N) additions of O(1) terms, 1e-12 relative;
 *   - select(count = 0) gives the full problem back bit for bit (memcmp);
 *   - exact and constants describe the full problem while a batch is selected (bit for bit);
 *   - an index out of range (N, and -1) is an error whose message names the index;
 *   - an imaging problem leaves the images outside an upper batch unchanged by Phi;
 *   - hg_problem_sample draws distinct items in range with uniform counts (6 sd), and the
 *     whole mean, in order, for a batch of at least the item count.
 * sid:
 *   - refuses a problem without sample ops (quadratic) naming it;
 *   - reproducible per seed (bit for bit), different across seeds, and the full mean is
 *     selected again when it returns; its declared workspace is the measured peak;
 *   - with batch = every item the iterations are deterministic and converge to exact: the
 *     steps beta/(beta + s), beta = 2/(1 - q^2), contract the error by prod (1 - eta_s (1 - q))
 *     ~ t^(-2/(1+q)), so from t = 2000 to 20000 it must fall at least tenfold and end below
 *     1e-5 relative (measured 5e-7 at t = 10^4 on ridge);
 *   - the mean square error over 20 seeds at t = k = J from 100 to 3200 on ridge falls as a
 *     power of t whose fitted exponent (hg_fit_slope, 95 % interval) lies near -1 (DESIGN §7:
 *     E||ghat - grad f||^2 = O(1/t + 1/k + 1/J); the bias part falls faster, t^(-4/(1+q))).
 *     Tolerance: the slope within [-1.3, -0.7] and its interval reaching -1; 20 seeds give a
 *     relative standard error of the MSE of about sqrt(2/20) ~ 0.3 per point, ~0.1 on the
 *     slope over a 32-fold range of t.
 */
#include "testing.h"

#include <string.h>

/* A problem with sample ops and the words that make it. */
typedef struct spec {
  const char *name;
  const char *words[6];
} spec;

static const spec specs[] = {
  {"ridge", {NULL}},
  {"ridge", {"gram=no", "density=0.3", "seed=2", NULL}},
  {"ridge", {"reg=scalar", "n=48", NULL}},
  {"logreg", {NULL}},
  {"logreg", {"density=0.3", "seed=5", NULL}},
  {"logreg-multi", {NULL}},
  {"logreg-multi", {"reg=per-class", "density=0.3", "seed=5", NULL}},
  {"logreg-multi", {"solve=cg", "density=0.3", "classes=5", "seed=2", NULL}},
  {"equilibrium", {NULL}},
  {"equilibrium", {"loss=mse", "n=12", "seed=3", NULL}},
  {"denoise-tv", {"n_images=4", "size=8", NULL}},
  {"deblur-tv", {"n_images=3", "size=8", NULL}},
  {"denoise-foe", {"n_images=4", "size=8", NULL}},
};

static int nwords(const spec *s)
{
  int n = 0;
  while (s->words[n])
    n++;
  return n;
}

/* Seeded vectors. */
static void fill(hg_rng *rng, int n, double scale, double *x)
{
  hg_rng_normals(rng, (size_t)n, scale, x);
}

/* Everything the sample ops restrict, at (w, theta) with directions v (n_w) and u (m):
 * Phi, jvp_w, vjp_w, vjp_theta, jvp_theta (when present), then E, grad_w E, grad_theta E. */
typedef struct outputs {
  double *lower; /* 4 n + m (jvp_theta's n zero when absent) */
  double *upper; /* 1 + n + m */
} outputs;

static int eval(hg_problem *P, const double *w, const double *theta, const double *v,
                const double *u, outputs *o)
{
  const int n = P->n_w, m = P->n_theta;
  double *L = o->lower, *U = o->upper;

  P->ops->phi(P->self, w, theta, L);
  P->ops->jvp_w(P->self, w, theta, v, L + n);
  P->ops->vjp_w(P->self, w, theta, v, L + 2 * n);
  P->ops->vjp_theta(P->self, w, theta, v, L + 3 * n);
  if (P->ops->jvp_theta)
    P->ops->jvp_theta(P->self, w, theta, u, L + 3 * n + m);
  else
    hg_zero(n, L + 3 * n + m);
  U[0] = P->ops->upper(P->self, w, theta, U + 1, U + 1 + n);
  return 0;
}

static void sample_ops_checks(const spec *s)
{
  hg_problem *P = NULL;
  hg_error err;
  char label[128];
  int len = snprintf(label, sizeof label, "%s", s->name);
  for (int i = 0; s->words[i]; i++)
    len += snprintf(label + len, sizeof label - (size_t)len, " %s", s->words[i]);

  if (hg_problem_create(s->name, nwords(s), s->words, &P, &err)) {
    check(0, "%s: create (%s)", label, err.msg);
    return;
  }
  const int n = P->n_w, m = P->n_theta, nl = 4 * n + m, nu = 1 + n + m;
  double *theta = malloc((size_t)m * sizeof *theta), *w = malloc((size_t)n * sizeof *w);
  double *v = malloc((size_t)n * sizeof *v), *u = malloc((size_t)m * sizeof *u);
  outputs full = {malloc((size_t)nl * sizeof(double)), malloc((size_t)nu * sizeof(double))};
  outputs part = {malloc((size_t)nl * sizeof(double)), malloc((size_t)nu * sizeof(double))};
  outputs again = {malloc((size_t)nl * sizeof(double)), malloc((size_t)nu * sizeof(double))};
  double *acc_l = calloc((size_t)nl, sizeof(double)), *acc_u = calloc((size_t)nu, sizeof(double));
  hg_rng rng;

  hg_rng_seed(&rng, 11);
  P->ops->theta0(P->self, theta);
  fill(&rng, n, 0.3, w);
  fill(&rng, n, 1.0, v);
  fill(&rng, m, 1.0, u);
  eval(P, w, theta, v, u, &full);

  for (int which = HG_SAMPLE_LOWER; which <= HG_SAMPLE_UPPER; which++) {
    const char *wname = which == HG_SAMPLE_LOWER ? "lower" : "upper";
    const int N = hg_problem_n_items(P, which);
    int *idx = malloc((size_t)(N > 0 ? N : 1) * sizeof *idx);
    check(N > 0, "%s: %s items %d > 0", label, wname, N);
    if (N <= 0) {
      free(idx);
      continue;
    }
    /* batch sizes: 1 (every single item) and the smallest divisor b >= 2 of N, if any, over
     * a random partition */
    int sizes[2] = {1, 0};
    for (int b = 2; b < N && !sizes[1]; b++)
      if (N % b == 0)
        sizes[1] = b;
    for (int si = 0; si < 2 && sizes[si]; si++) {
      const int b = sizes[si], batches = N / b;
      for (int i = 0; i < N; i++)
        idx[i] = i;
      for (int i = N - 1; i > 0; i--) { /* a random partition: a shuffled order in runs of b */
        int j = (int)(hg_rng_uniform(&rng) * (i + 1)), t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
      }
      hg_zero(nl, acc_l);
      hg_zero(nu, acc_u);
      int rc = HG_OK;
      for (int k = 0; k < batches && !rc; k++) {
        rc = hg_problem_select(P, which, b, idx + (size_t)k * b, &err);
        if (!rc) {
          eval(P, w, theta, v, u, &part);
          hg_axpy(nl, 1.0 / batches, part.lower, acc_l);
          hg_axpy(nu, 1.0 / batches, part.upper, acc_u);
        }
      }
      int rc0 = hg_problem_select(P, which, 0, NULL, &err);
      check(!rc && !rc0, "%s: %s select of %d batches of %d%s%s", label, wname, batches, b,
            rc || rc0 ? ": " : "", rc || rc0 ? err.msg : "");
      if (which == HG_SAMPLE_LOWER) {
        const char *names[] = {"Phi", "jvp_w", "vjp_w", "vjp_theta", "jvp_theta"};
        const int off[] = {0, n, 2 * n, 3 * n, 3 * n + m}, cnt[] = {n, n, n, m, n};
        for (int q = 0; q < 5; q++) {
          if (q == 4 && !P->ops->jvp_theta)
            continue;
          double e = rel_diff(cnt[q], acc_l + off[q], full.lower + off[q]);
          check(e <= 1e-12, "%s: mean of %s over %d lower batches of %d = full %s (rel %.2e)",
                label, names[q], batches, b, names[q], e);
        }
      } else {
        double e0 = fabs(acc_u[0] - full.upper[0]) / fmax(fabs(full.upper[0]), 1e-300);
        double e1 = rel_diff(n, acc_u + 1, full.upper + 1);
        double e2 = m ? dist(m, acc_u + 1 + n, full.upper + 1 + n) /
                            fmax(hg_nrm2(m, full.upper + 1 + n), 1e-300)
                      : 0.0;
        if (hg_nrm2(m, full.upper + 1 + n) == 0)
          e2 = hg_nrm2(m, acc_u + 1 + n); /* grad_theta E = 0: the batches' must be 0 too */
        check(e0 <= 1e-12 && e1 <= 1e-12 && e2 <= 1e-12,
              "%s: mean of E, grad_w E, grad_theta E over %d upper batches of %d = full "
              "(rel %.2e, %.2e, %.2e)", label, batches, b, e0, e1, e2);
      }
    }

    /* an imaging problem leaves the images outside an upper batch unchanged by Phi (E ignores
     * them) and steps the chosen ones fully */
    if (which == HG_SAMPLE_UPPER && P->ops->images) {
      hg_image_set set;
      P->ops->images(P->self, &set);
      const size_t px = (size_t)set.w * set.h;
      idx[0] = N - 1;
      hg_problem_select(P, which, 1, idx, &err);
      eval(P, w, theta, v, u, &part);
      hg_problem_select(P, which, 0, NULL, &err);
      check(!memcmp(part.lower, w, (N - 1) * px * sizeof(double)) &&
                !memcmp(part.lower + (N - 1) * px, full.lower + (N - 1) * px,
                        px * sizeof(double)),
            "%s: under an upper batch {%d}, Phi leaves the other images and steps image %d as "
            "the full Phi", label, N - 1, N - 1);
    }

    /* select(0) restores the full problem bit for bit; exact and constants ignore a batch */
    idx[0] = N - 1;
    hg_problem_select(P, which, 1, idx, &err);
    double *ws = malloc((size_t)n * sizeof *ws), *g = malloc((size_t)m * sizeof *g);
    double *ws2 = malloc((size_t)n * sizeof *ws2), *g2 = malloc((size_t)m * sizeof *g2);
    hg_constants c1, c2;
    memset(&c1, 0, sizeof c1); /* padding too: the structs are compared bytewise */
    memset(&c2, 0, sizeof c2);
    int have_exact = P->ops->exact != NULL, have_c = P->ops->constants != NULL;
    int rc1 = have_exact ? hg_exact(P, theta, ws, g, &err) : 0;
    int rc2 = have_c ? hg_problem_constants(P, theta, &c1, &err) : 0;
    hg_problem_select(P, which, 0, NULL, &err);
    eval(P, w, theta, v, u, &again);
    check(!memcmp(again.lower, full.lower, (size_t)nl * sizeof(double)) &&
              !memcmp(again.upper, full.upper, (size_t)nu * sizeof(double)),
          "%s: %s select(0) restores Phi, its products and E bit for bit", label, wname);
    int rc3 = have_exact ? hg_exact(P, theta, ws2, g2, &err) : 0;
    int rc4 = have_c ? hg_problem_constants(P, theta, &c2, &err) : 0;
    check(!rc1 && !rc2 && !rc3 && !rc4 &&
              (!have_exact || (!memcmp(ws, ws2, (size_t)n * sizeof *ws) &&
                               !memcmp(g, g2, (size_t)m * sizeof *g))) &&
              (!have_c || !memcmp(&c1, &c2, sizeof c1)),
          "%s: exact and constants under a %s batch are the full problem's", label, wname);
    free(ws);
    free(g);
    free(ws2);
    free(g2);

    /* out-of-range indices name themselves */
    for (int bad = 0; bad < 2; bad++) {
      int b2[2] = {0, bad ? -1 : N};
      char want[32];
      snprintf(want, sizeof want, "%d", b2[1]);
      hg_error_clear(&err);
      int rc = hg_problem_select(P, which, 2, b2, &err);
      check(rc == HG_ERR_ARG && strstr(err.msg, want) && strstr(err.msg, s->name),
            "%s: %s index %d out of range is an error naming it (%s)", label, wname, b2[1],
            err.msg);
    }
    hg_problem_select(P, which, 0, NULL, &err);
    eval(P, w, theta, v, u, &again);
    check(!memcmp(again.lower, full.lower, (size_t)nl * sizeof(double)) &&
              !memcmp(again.upper, full.upper, (size_t)nu * sizeof(double)),
          "%s: %s after a refused select, the full problem is intact", label, wname);
    free(idx);
  }

  free(theta);
  free(w);
  free(v);
  free(u);
  free(full.lower);
  free(full.upper);
  free(part.lower);
  free(part.upper);
  free(again.lower);
  free(again.upper);
  free(acc_l);
  free(acc_u);
  hg_problem_destroy(&P);
}

/* One run of method M (sid, or a wrong variant of it) of budget t = k on P at theta0, seed;
 * returns the status, r filled. */
static int sid_run_ops(hg_problem *P, const hg_method_ops *M, const char *params, int t,
                       uint64_t seed, hg_run *r, hg_error *err)
{
  hg_budget b;
  hg_run_opts o = {0};
  double *theta = malloc((size_t)P->n_theta * sizeof *theta);
  const char *words[1] = {params};

  hg_budget_default(&b);
  b.t = b.k = t;
  o.seed = seed;
  o.with_reference = 1;
  P->ops->theta0(P->self, theta);
  int rc = hg_hypergrad_ops(P, M, params ? 1 : 0, words, theta, &b, &o, r, err);
  free(theta);
  return rc;
}

/* The same with the registered sid. */
static int sid_run(hg_problem *P, const char *params, int t, uint64_t seed, hg_run *r,
                   hg_error *err)
{
  return sid_run_ops(P, hg_find_method("sid", err), params, t, seed, r, err);
}

/* sid's own criterion (verify leaves a stochastic method ungraded): with batch = every item
 * the iterations are deterministic and must converge to exact, at least tenfold down from
 * t = 2000 to 20000 and below 1e-5 relative.  1 when M meets it; the errors in e1, e2. */
static int full_batches_converge(hg_problem *P, const hg_method_ops *M, double *e1, double *e2)
{
  char full[32];
  hg_run r1, r2;
  hg_error err;
  snprintf(full, sizeof full, "batch=%d", hg_problem_n_items(P, HG_SAMPLE_LOWER));
  int ra = sid_run_ops(P, M, full, 2000, 1, &r1, &err);
  int rb = sid_run_ops(P, M, full, 20000, 2, &r2, &err);
  *e1 = r1.rel_error;
  *e2 = r2.rel_error;
  hg_run_release(&r1);
  hg_run_release(&r2);
  return !ra && !rb && *e2 <= 1e-5 && *e2 <= 0.1 * *e1;
}

/* A wrong sid: the real one on a view of the problem whose d_theta Phi^T products are zero, as
 * a sid that never adds d_theta Phi^T v computes (the bug of a dropped term). */
static int dropped_m;
static void zero_vjp_theta(void *self, const double *w, const double *theta, const double *v,
                           double *out)
{
  for (int i = 0; i < dropped_m; i++)
    out[i] = 0;
}

static int dropped_sid_compute(hg_problem *P, const hg_params *mp, const double *theta,
                               const double *w0, const hg_budget *b, hg_ctx *ctx, hg_out *out,
                               hg_error *err)
{
  const hg_problem_ops *real = P->ops;
  hg_problem_ops ops = *real;
  ops.vjp_theta = zero_vjp_theta;
  dropped_m = P->n_theta;
  P->ops = &ops;
  int rc = hg_find_method("sid", err)->compute(P, mp, theta, w0, b, ctx, out, err);
  P->ops = real;
  return rc;
}

static void sid_checks(void)
{
  hg_problem *P = NULL, *Q = NULL;
  hg_error err;
  hg_run r1, r2, r3;

  /* refuses a problem without sample ops, naming it */
  if (hg_problem_create("quadratic", 0, NULL, &Q, &err) == HG_OK) {
    int rc = sid_run(Q, NULL, 10, 0, &r1, &err);
    check(rc == HG_ERR_UNSUPPORTED && strstr(err.msg, "'quadratic'") &&
              strstr(err.msg, "sample"),
          "sid refuses quadratic (no sample ops): %s", err.msg);
    hg_run_release(&r1);
    hg_problem_destroy(&Q);
  }

  if (hg_problem_create("ridge", 0, NULL, &P, &err)) {
    check(0, "ridge: %s", err.msg);
    return;
  }
  const int n = P->n_w, m = P->n_theta;

  /* reproducible per seed, different across seeds, the full mean back afterwards */
  double *w = calloc((size_t)n, sizeof *w), *theta = malloc((size_t)m * sizeof *theta);
  double *before = malloc((size_t)n * sizeof *before), *after = malloc((size_t)n * sizeof *after);
  P->ops->theta0(P->self, theta);
  for (int i = 0; i < n; i++)
    w[i] = 0.1 * i;
  P->ops->phi(P->self, w, theta, before);
  int a = sid_run(P, NULL, 200, 7, &r1, &err), b = sid_run(P, NULL, 200, 7, &r2, &err),
      c = sid_run(P, NULL, 200, 8, &r3, &err);
  P->ops->phi(P->self, w, theta, after);
  check(!a && !b && !c && !memcmp(r1.grad, r2.grad, (size_t)m * sizeof(double)) &&
            memcmp(r1.grad, r3.grad, (size_t)m * sizeof(double)),
        "sid: the same seed gives the same estimate bit for bit, another seed another");
  check(!memcmp(before, after, (size_t)n * sizeof *before),
        "sid: the full mean is selected again after the runs");
  check(r1.counts.phi == 200 && r1.counts.vjp_w == 200 && r1.counts.vjp_theta == 200,
        "sid: t Phi, k vjp_w and J = t vjp_theta products (%ld, %ld, %ld)", r1.counts.phi,
        r1.counts.vjp_w, r1.counts.vjp_theta);
  hg_run_release(&r1);
  hg_run_release(&r2);
  hg_run_release(&r3);

  /* space_problem is the measured peak (hg_alloc), for a batch below and above the items */
  {
    const char *params[] = {"batch=10", "batch=1000"};
    for (int i = 0; i < 2; i++) {
      hg_params *mp = NULL;
      hg_budget bb;
      hg_budget_default(&bb);
      const hg_method_ops *M = hg_find_method("sid", &err);
      int rc = sid_run(P, params[i], 50, 3, &r1, &err);
      hg_params_parse(M->params, "sid", 1, &params[i], &mp, &err);
      size_t space = hg_method_space_on(M, P, &bb, mp);
      check(!rc && r1.peak_bytes == space, "sid %s: space %zu = measured peak %zu", params[i],
            space, r1.peak_bytes);
      hg_params_destroy(&mp);
      hg_run_release(&r1);
    }
  }

  /* batch = every item: deterministic, converges to exact; the criterion catches a sid that
   * drops the d_theta Phi^T v term */
  {
    double e1, e2;
    int ok = full_batches_converge(P, hg_find_method("sid", &err), &e1, &e2);
    check(ok, "sid (full batches): error %.2e at t = 2000, %.2e at t = 20000 (<= 1e-5 and "
          "tenfold down)", e1, e2);
    hg_method_ops wrong = *hg_find_method("sid", &err);
    wrong.compute = dropped_sid_compute;
    ok = full_batches_converge(P, &wrong, &e1, &e2);
    check(!ok, "a sid without d_theta Phi^T v fails that criterion: error %.2e at t = 2000, "
          "%.2e at t = 20000", e1, e2);
  }

  /* MSE over seeds against t: slope near -1 on log-log */
  {
    enum { SEEDS = 20, NT = 6 };
    const int ts[NT] = {100, 200, 400, 800, 1600, 3200};
    double x[NT], mse[NT], slope, lo, hi;
    int ok = 1;
    for (int i = 0; i < NT; i++) {
      double sum = 0;
      for (int s = 0; s < SEEDS; s++) {
        ok &= sid_run(P, NULL, ts[i], 1000 + (uint64_t)s, &r1, &err) == HG_OK;
        sum += r1.abs_error * r1.abs_error;
        hg_run_release(&r1);
      }
      x[i] = ts[i];
      mse[i] = sum / SEEDS;
      printf("     t = k = J = %5d: MSE %.4e over %d seeds\n", ts[i], mse[i], SEEDS);
    }
    int used = hg_fit_slope(NT, x, mse, 0.0, &slope, &lo, &hi);
    check(ok && used == NT && slope >= -1.3 && slope <= -0.7 && lo <= -1.0 && hi >= -1.0,
          "sid on ridge (batch=10): MSE ~ t^%.3f, 95 %% interval [%.3f, %.3f] (theory -1)",
          slope, lo, hi);
  }

  free(w);
  free(theta);
  free(before);
  free(after);
  hg_problem_destroy(&P);
}

/* hg_problem_sample draws distinct items in range, uniformly: over R draws of b of the n
 * upper items of ridge, item i is drawn R b/n times on average with variance
 * R (b/n)(1 - b/n); every count must lie within 6 standard deviations (a false failure has
 * probability below 1e-7 per item), and the full batch gives 0 .. n-1 in order. */
static void sample_draws(void)
{
  hg_problem *P = NULL;
  hg_error err;
  if (hg_problem_create("ridge", 0, NULL, &P, &err)) {
    check(0, "create ridge: %s", err.msg);
    return;
  }
  int n = hg_problem_n_items(P, HG_SAMPLE_UPPER), b = 7, R = 20000;
  int *idx = malloc((size_t)n * sizeof *idx), *count = calloc((size_t)n, sizeof *count);
  int bad = 0;
  hg_rng rng;
  hg_rng_seed(&rng, 3);
  for (int r = 0; r < R && idx && count; r++) {
    if (hg_problem_sample(P, HG_SAMPLE_UPPER, b, &rng, idx, &err)) {
      bad++;
      break;
    }
    for (int i = 0; i < b; i++) {
      bad += idx[i] < 0 || idx[i] >= n;
      for (int k = 0; k < i; k++)
        bad += idx[k] == idx[i];
      if (idx[i] >= 0 && idx[i] < n)
        count[idx[i]]++;
    }
  }
  double p = (double)b / n, mean = R * p, sd = sqrt(R * p * (1 - p)), worst = 0;
  for (int i = 0; i < n && count; i++)
    worst = fmax(worst, fabs(count[i] - mean) / sd);
  check(bad == 0 && worst < 6, "hg_problem_sample: %d draws of %d of %d items distinct and in "
        "range (%d bad), counts within %.2f sd of %g", R, b, n, bad, worst, mean);
  int inorder = hg_problem_sample(P, HG_SAMPLE_UPPER, n + 5, &rng, idx, &err) == HG_OK;
  for (int i = 0; inorder && i < n; i++)
    inorder = idx[i] == i;
  check(inorder, "hg_problem_sample with batch >= n: every item in order");
  hg_problem_select(P, HG_SAMPLE_UPPER, 0, NULL, &err);
  free(idx);
  free(count);
  hg_problem_destroy(&P);
}

int main(void)
{
  testing_register_builtin();
  for (size_t i = 0; i < sizeof specs / sizeof *specs; i++)
    sample_ops_checks(&specs[i]);
  sample_draws();
  sid_checks();
  printf("%d checks, %d failures\n", checks, failures);
  return failures ? 1 : 0;
}

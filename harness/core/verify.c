/*
 * verify.c -- `hgbench verify`: every method against the exact reference on one problem, the
 * exact identities between methods, and the theory of DESIGN §7 (bounds at every budget,
 * fitted rates against theoretical rates).
 *
 * Tolerances: at the large budget q^t <= 1e-14, every consistent method's error bound
 * (DESIGN §7 table) is a small multiple of 1e-14 times constants of order one on the built-in
 * instances, so 1e-8 leaves six orders of margin and still fails a wrong recursion, whose error
 * is O(1).  Methods built on direct solves (exact, fd) are held to 1e-6, the accuracy of
 * central differences.  The identities are exact in real arithmetic; in floating point they
 * differ by the round-off of a few dozen vector operations, so 1e-10.  The bounds hold in
 * exact arithmetic: a run is held to bound + the reference's round-off (run.c).  The fitted
 * rate must reach 95 % of the exponent of the theory's rate over the same budgets (the bound
 * fitted like the error): log q_fit >= 0.95 log q_bound (or q_bound inside the fit's 95 %
 * interval); a method slower than its theory fails, a faster one passes (the constants are
 * upper bounds).  Where the bound is NaN because the problem cannot give a constant (a
 * Lipschitz constant of a d_w Phi that jumps), no theorem holds the error over a finite window:
 * such rows report the fit without grading it and name the unknown constant, and an implicit
 * method's omega row says omega is unknown.  A stochastic method (hg_method_ops.stochastic:
 * sid) is run once at the large budget and reported without a grade: its mean square error
 * falls like 1/t (docs/theory.md), so no fixed tolerance is its criterion; its own tests fit
 * that rate over seeds.
 *
 * Everything verify knows about a method or a problem comes from its ops table: the identities
 * a method declares (hg_method_ops.identities), whether it is biased or stochastic, whether its
 * work grows column by column of theta, which constants a problem cannot give and why
 * (hg_problem_ops.unknown), which methods do not apply.  A bound that is NaN, or a rate the
 * theory promises but the fit cannot find, fails unless the problem declares the constant
 * behind it unknown; n/a and informational rows say why and are counted in the report.
 *
 * Every run shares one hg_lower_cache: the lower iterates (and aid-fp's and neumann's adjoint
 * iterates at one w_t) recorded by earlier runs at this theta are resumed from, not recomputed;
 * the results, traces and counts are bitwise those of runs from scratch (tests/test_methods.c),
 * only the wall times of the rows fall.
 */
#include "hg_core.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CONVERGED_TOL 1e-8
#define DIRECT_TOL 1e-6
#define RATE_EXPONENT_SLACK 0.95
#define GRID 12          /* t = t_big j / GRID, j = 1..GRID, and t = 1, 2, 3 */
#define TBPTT_K 10

/* n/a (with the note) when verify skips M for m hyperparameters: a method whose work grows
 * column by column of theta (hg_method_ops.columnwise) beyond HG_COLUMNWISE_MAX_THETA. */
static int too_costly(const hg_method_ops *M, int m, char *note, size_t len)
{
  if (!M->columnwise || m <= HG_COLUMNWISE_MAX_THETA)
    return 0;
  if (note)
    snprintf(note, len, "skipped: with m = %d hyperparameters %s costs %s (verify runs it up to "
             "m = %d)", m, M->name, M->cost ? M->cost : "m products per step",
             HG_COLUMNWISE_MAX_THETA);
  return 1;
}

/* The method called name: from the list verify was handed (a test's variants), else the
 * registry; NULL when neither has it. */
static const hg_method_ops *lookup(const hg_entry *methods, const char *name)
{
  for (const hg_entry *e = methods; e->name; e++)
    if (!strcmp(e->name, name))
      return e->ops;
  return hg_find_method(name, NULL);
}

static hg_verify_row *new_row(hg_verify_report *rep, const char *method, const char *what)
{
  if (rep->nrows == rep->cap) {
    int cap = rep->cap ? 2 * rep->cap : 32;
    hg_verify_row *rows = realloc(rep->rows, (size_t)cap * sizeof *rows);
    if (!rows)
      return NULL;
    rep->rows = rows;
    rep->cap = cap;
  }
  hg_verify_row *row = &rep->rows[rep->nrows++];
  memset(row, 0, sizeof *row);
  snprintf(row->method, sizeof row->method, "%s", method);
  snprintf(row->what, sizeof row->what, "%s", what);
  row->error = row->tol = row->max_ratio = NAN;
  row->rate = row->rate_lo = row->rate_hi = row->rate_theory = row->rate_bound = NAN;
  row->verdict = -1;
  return row;
}

/* Grade a row: pass when error <= tol, a failed run fails unless it is "not applicable". */
static void grade(hg_verify_report *rep, hg_verify_row *row)
{
  if (row->status == HG_ERR_UNSUPPORTED) {
    row->verdict = -1;
    rep->not_applicable++;
    return;
  }
  row->verdict = row->status == HG_OK && isfinite(row->tol) ? row->error <= row->tol
                 : row->status == HG_OK ? -1 : 0;
  if (row->verdict == 0)
    rep->failures++;
  else if (row->verdict < 0)
    rep->informational++;
}

/* Run M with budget (t, k, K); the row gets the time, calls and any failure. */
static int run(hg_problem *P, const hg_method_ops *M, const double *theta, const double *ref,
               const double *wstar, hg_lower_cache *cache, int local, int t, int k, int K,
               hg_run *r, hg_verify_row *row)
{
  hg_budget b;
  hg_run_opts o = {0};
  hg_error e;

  hg_budget_default(&b);
  b.t = t;
  b.k = k;
  b.K = K;
  o.reference = ref;
  o.wstar = wstar;
  o.local_constants = local;
  o.lower_cache = cache;
  hg_error_clear(&e);
  int rc = hg_hypergrad_ops(P, M, 0, NULL, theta, &b, &o, r, &e);
  row->t = r->t;
  row->k = r->k;
  row->wall_s = r->wall_s;
  row->calls = hg_counts_oracle(&r->counts);
  row->status = rc;
  if (rc)
    snprintf(row->note, sizeof row->note, "%s", e.msg);
  return rc;
}

/* The constants of th that are unknown (NAN): their names ("nu1, nu2", empty when all are
 * known) in names, and the problem's reasons ("nu1: why; nu2: why") in why.  Returns 1 when the
 * problem declares every one of them unknown (hg_problem_ops.unknown), 0 when one is NaN
 * without a declared reason (a defect: verify fails the row). */
static int unknown_constants(const hg_problem_ops *P, const hg_theory *th, char *names,
                             size_t len, char *why, size_t wlen)
{
  const struct {
    const char *name;
    double value;
  } k[] = {{"q", th->c.q},     {"L_E", th->c.L_E}, {"L_Phi", th->c.L_Phi}, {"nu1", th->c.nu1},
           {"nu2", th->c.nu2}, {"mu1", th->c.mu1}, {"mu2", th->c.mu2}};
  size_t used = 0, wused = 0;
  int declared = 1;
  names[0] = why[0] = '\0';
  for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
    if (!isnan(k[i].value))
      continue;
    const char *reason = hg_unknown_why(P, k[i].name);
    int w = used < len ? snprintf(names + used, len - used, "%s%s", used ? ", " : "",
                                  k[i].name) : 0;
    used += w > 0 ? (size_t)w : 0;
    w = wused < wlen ? snprintf(why + wused, wlen - wused, "%s%s: %s", wused ? "; " : "",
                                k[i].name, reason ? reason : "NaN, and the problem does not "
                                "declare it unknown (hg_problem_ops.unknown)") : 0;
    wused += w > 0 ? (size_t)w : 0;
    declared &= reason != NULL;
  }
  return declared;
}

/* Bounds over a grid of the budget `axis` and the fitted rate along it (a theory row of M):
 * along t with k = t; along k with t = t_big, up to where M's theoretical rate in k reaches
 * 1e-14. */
static int theory_row(hg_problem *P, const hg_method_ops *M, char axis, const double *theta,
                      const double *ref, const double *wstar, hg_lower_cache *cache,
                      hg_verify_report *rep, hg_verify_row *row, const hg_constants *c)
{
  double x[GRID + 3], err[GRID + 3], bnd[GRID + 3];
  int n = 0, top = rep->t_big, declared = 1;
  char unknown[64] = "", why[256] = "";

  row->rate_theory = M->rate ? M->rate(c, axis) : NAN;
  if (axis == 'k' && row->rate_theory > 0 && row->rate_theory < 1)
    top = (int)fmin(50000, ceil(log(1e-14) / log(row->rate_theory)));
  for (int j = -2; j <= GRID; j++) {
    int b = j <= 0 ? j + 3 : (int)ceil((double)top * j / GRID);
    int t = axis == 't' ? b : rep->t_big;
    if (n > 0 && b <= x[n - 1])
      continue;
    hg_run r;
    hg_verify_row tmp = *row;
    if (run(P, M, theta, ref, wstar, cache, rep->local, t, b, TBPTT_K, &r, &tmp)) {
      row->status = tmp.status;
      snprintf(row->note, sizeof row->note, "%c = %d: %.480s", axis, b, tmp.note);
      hg_run_release(&r);
      return row->status;
    }
    row->t = t;
    row->k = b;
    if (axis == 't' && isnan(row->rate_theory)) /* a posterior bound's iteration rate */
      row->rate_theory = r.post_rate;
    if (isfinite(r.bound) && r.bound > 0)
      row->max_ratio = isnan(row->max_ratio) ? r.abs_error / r.bound
                                             : fmax(row->max_ratio, r.abs_error / r.bound);
    row->violations += r.bound_violated;
    if (n == 0)
      declared = unknown_constants(P->ops, &r.theory, unknown, sizeof unknown, why, sizeof why);
    x[n] = b;
    err[n] = r.rel_error;
    bnd[n] = r.bound;
    n++;
    hg_run_release(&r);
  }
  row->points = n;
  /* the linear region: past the peak (itd may rise first), above round-off */
  double floor = hg_roundoff_floor(c->kappa), xs[GRID + 3], es[GRID + 3], bs[GRID + 3], lo, hi;
  int idx[GRID + 3], m = hg_rate_window(n, err, floor, idx);
  for (int i = 0; i < m; i++) {
    xs[i] = x[idx[i]];
    es[i] = err[idx[i]];
    bs[i] = bnd[idx[i]];
  }
  int used = hg_fit_rate(m, xs, es, floor, &row->rate, &row->rate_lo, &row->rate_hi);

  /* The theory's rate over the same budgets: the bound fitted like the error (on the points
   * the error fit used).  It is q for q^t-shaped bounds, and a little above q for itd's
   * (c1 + c2 t/q + c3) q^t, whose t factor the asymptotic rate q leaves out. */
  if (hg_fit_rate(m, xs, bs, 0, &row->rate_bound, &lo, &hi) < 2 || !isfinite(row->rate_bound))
    row->rate_bound = row->rate_theory;
  /* A bound that is a sum of terms (aid-cg's lower part q^t and CG part) can fall faster over
   * the window than the term the error follows: the fit is held to the slower of the two. */
  if (isfinite(row->rate_theory))
    row->rate_bound = fmax(row->rate_bound, row->rate_theory);

  int rate_ok = 1, rate_missing = 0;
  /* A window of the first three budgets only (the error at round-off from the regular grid on:
   * a Krylov method that terminates on a small problem) shows the transient, not the
   * asymptotic rate the theory gives: nothing to grade the rate on. */
  if (used >= 3 && m > 0 && xs[m - 1] <= 3 && err[n - 1] <= floor)
    used = 0;
  if (!M->biased && row->rate_bound >= 1 && used >= 3 && isfinite(row->rate)) {
    /* the bound does not decay over the window the error is above round-off in (itd's
     * t q^(t-1) still rising, q close to 1): the error must at least not grow */
    rate_ok = row->rate <= 1 || row->rate_lo <= 1;
  } else if (!M->biased && isfinite(row->rate_bound) && used >= 3 && isfinite(row->rate)) {
    row->error = log(row->rate) / log(row->rate_bound); /* exponent ratio */
    row->tol = RATE_EXPONENT_SLACK;
    rate_ok = row->error >= RATE_EXPONENT_SLACK ||
              (row->rate_lo <= row->rate_bound && row->rate_bound <= row->rate_hi);
  } else if (!M->biased && isfinite(row->rate_theory) && row->rate_theory < 1) {
    /* the theory promises a linear rate, and none could be fitted: fine when the error fell
     * to round-off within the first budgets (faster than the theory: no window to fit on),
     * a failure when it never got there */
    rate_missing = !(n > 0 && err[n - 1] <= floor);
    if (!rate_missing)
      snprintf(row->note, sizeof row->note, "at round-off after %d budget(s) above it: faster "
               "than its theory's %.4g, no window to fit", m, row->rate_theory);
  }
  if (isnan(row->max_ratio) && unknown[0] && declared) {
    /* No bound: the theorem's hypotheses are not established (a Lipschitz constant is
     * unknown: d_w Phi of a piecewise-smooth Phi jumps), so nothing holds the rate over a
     * finite window either; the fit is reported, not graded, with the problem's reason. */
    snprintf(row->note, sizeof row->note, "no bound (%s unknown): rate reported, not graded%s; "
             "%s", unknown, rate_ok ? "" : " (slower than the asymptotic rate over this window)",
             why);
    row->verdict = -1;
    rep->informational++;
    return HG_OK;
  }
  if (isnan(row->max_ratio))
    snprintf(row->note, sizeof row->note, "no finite bound: %s", unknown[0] ? why
             : "the method's bound is NaN with every constant known");
  else if (row->violations)
    snprintf(row->note, sizeof row->note, "%d of %d runs above their bound", row->violations,
             n);
  else if (rate_missing)
    snprintf(row->note, sizeof row->note, "no rate fitted (%d budgets above round-off), where "
             "the theory gives %.4g", used, row->rate_theory);
  else if (!rate_ok)
    snprintf(row->note, sizeof row->note, "converges slower than its theory");
  row->verdict = !isnan(row->max_ratio) && !row->violations && rate_ok && !rate_missing;
  if (!row->verdict)
    rep->failures++;
  return HG_OK;
}

/* The inexact bound omega(eps, delta) (DESIGN §7) of an implicit method over tolerance-driven
 * runs, tol_lower = tol_linear = 1e-2, 1e-4, .., 1e-12 (budgets t_big, k_big at most): every
 * error must stay under omega.  Adds no row for a method that returns no adjoint (omega NAN on
 * the first run). */
static int omega_row(hg_problem *P, const hg_method_ops *M, const char *name,
                     const double *theta, const double *ref, const double *wstar,
                     hg_lower_cache *cache, hg_verify_report *rep, hg_error *err)
{
  hg_verify_row *row = NULL;
  hg_budget b;
  hg_run_opts o = {0};

  hg_budget_default(&b);
  b.t = rep->t_big;
  b.k = rep->k_big;
  b.K = rep->t_big;
  o.reference = ref;
  o.wstar = wstar;
  o.lower_cache = cache;
  for (int e = 2; e <= 12; e += 2) {
    hg_run r;
    hg_error e_run;
    b.tol_lower = b.tol_linear = pow(10, -e);
    hg_error_clear(&e_run);
    int rc = hg_hypergrad_ops(P, M, 0, NULL, theta, &b, &o, &r, &e_run);
    if (!row && !rc && isnan(r.omega) && isnan(r.delta)) {
      hg_run_release(&r);
      return HG_OK; /* not an implicit estimate */
    }
    if (!row && !rc && isnan(r.omega)) { /* implicit, but a constant omega needs is unknown */
      char unknown[64], why[256];
      int declared = unknown_constants(P->ops, &r.theory, unknown, sizeof unknown, why,
                                       sizeof why);
      hg_run_release(&r);
      if (!(row = new_row(rep, name, "inexact bound omega(eps, delta)")))
        return hg_fail(err, HG_ERR_NOMEM, "verify: out of memory");
      snprintf(row->note, sizeof row->note, "no omega: %s unknown (NaN); %s",
               unknown[0] ? unknown : "no constant", why);
      row->verdict = declared && unknown[0] ? -1 : 0;
      if (row->verdict)
        rep->informational++;
      else
        rep->failures++;
      return HG_OK;
    }
    if (!row) {
      if (!(row = new_row(rep, name, "inexact bound omega(eps, delta)"))) {
        hg_run_release(&r);
        return hg_fail(err, HG_ERR_NOMEM, "verify: out of memory");
      }
      row->max_ratio = 0;
    }
    row->t = r.t;
    row->k = r.k;
    row->wall_s = r.wall_s;
    row->calls = hg_counts_oracle(&r.counts);
    row->points++;
    if (rc) {
      row->status = rc;
      snprintf(row->note, sizeof row->note, "tol = 1e-%d: %.480s", e, e_run.msg);
      hg_run_release(&r);
      break;
    }
    if (isfinite(r.omega) && r.omega > 0)
      row->max_ratio = fmax(row->max_ratio, r.abs_error / r.omega);
    row->violations += r.bound_violated;
    hg_run_release(&r);
  }
  if (row->status == HG_OK) {
    row->verdict = row->violations == 0;
    if (row->violations)
      snprintf(row->note, sizeof row->note, "%d of %d runs above omega or their bound",
               row->violations, row->points);
    if (!row->verdict)
      rep->failures++;
  } else {
    grade(rep, row);
  }
  return HG_OK;
}

/* What the rows of one verification share: the problem at theta, the exact reference, the
 * constants, the methods (a test's variants first, then the registry) and the lower cache. */
typedef struct vctx {
  hg_problem *P;
  const double *theta;
  const hg_entry *methods;
  double *ref, *wstar;
  double ref_norm;
  hg_lower_cache *cache;
  hg_constants c;
  hg_verify_report *rep;
  /* The large-budget gradient of the last method that reads no budget (fd: its identity with
   * exact is the same run, not made twice), and that method's name. */
  double *same_grad;
  const char *same_name;
} vctx;

/* The exact reference, the constants and the large budget (q^t <= 1e-14) at theta. */
static int vctx_open(vctx *v, hg_problem *P, const double *theta, const hg_entry *methods,
                     int local_constants, hg_verify_report *rep, hg_error *err)
{
  int rc, m = P->n_theta;

  memset(v, 0, sizeof *v);
  memset(rep, 0, sizeof *rep);
  v->P = P;
  v->theta = theta;
  v->methods = methods;
  v->rep = rep;
  rep->q = NAN;
  rep->local = local_constants;
  hg_constants_unknown(&v->c);
  if ((rc = hg_theta_check(m, theta, err)))
    return rc;
  v->ref = malloc((size_t)m * sizeof *v->ref);
  v->wstar = malloc((size_t)P->n_w * sizeof *v->wstar);
  v->cache = hg_lower_cache_create();
  if (!v->ref || !v->wstar || !v->cache)
    return hg_fail(err, HG_ERR_NOMEM, "verify: out of memory");
  if ((rc = hg_exact(P, theta, v->wstar, v->ref, err)))
    return rc;
  if (P->ops->constants && (rc = hg_problem_constants(P, theta, &v->c, err)))
    return rc;
  v->ref_norm = sqrt(hg_dot(m, v->ref, v->ref));
  rep->q = v->c.q;
  rep->t_big = isfinite(rep->q) && rep->q > 0 && rep->q < 1
                   ? (int)fmin(50000, ceil(log(1e-14) / log(rep->q)))
                   : 2000;
  rep->k_big = rep->t_big;
  return HG_OK;
}

static void vctx_close(vctx *v)
{
  hg_lower_cache_destroy(&v->cache);
  free(v->same_grad);
  v->same_grad = NULL;
  free(v->ref);
  free(v->wstar);
  v->ref = v->wstar = NULL;
}

/* A new row, or HG_ERR_NOMEM. */
static int add_row(vctx *v, const char *method, const char *what, hg_verify_row **row,
                   hg_error *err)
{
  if (!(*row = new_row(v->rep, method, what)))
    return hg_fail(err, HG_ERR_NOMEM, "verify: out of memory");
  return HG_OK;
}

/* The large-budget row: a consistent method converges to exact (1e-8; a direct one, 1e-6); a
 * biased one stays within its bound there; a stochastic one is reported. */
static int convergence_row(vctx *v, const char *name, const hg_method_ops *M, hg_error *err)
{
  hg_verify_report *rep = v->rep;
  hg_verify_row *row;
  hg_run r;
  int rc = add_row(v, name, M->biased       ? "within its bias bound"
                            : M->stochastic ? "stochastic: error at large budget"
                                            : "converges to exact", &row, err);
  if (rc)
    return rc;
  memset(&r, 0, sizeof r);
  if (too_costly(M, v->P->n_theta, row->note, sizeof row->note)) {
    row->status = HG_ERR_UNSUPPORTED;
  } else if (run(v->P, M, v->theta, v->ref, v->wstar, v->cache, 0, rep->t_big, rep->k_big,
                 rep->t_big, &r, row) == HG_OK) {
    row->error = r.rel_error;
    if (!M->budgets && !M->stochastic) { /* kept for its identity with exact */
      free(v->same_grad);
      v->same_name = name;
      v->same_grad = malloc((size_t)v->P->n_theta * sizeof *v->same_grad);
      if (v->same_grad)
        hg_copy(v->P->n_theta, r.grad, v->same_grad);
    }
    if (M->stochastic) {
      row->tol = NAN;
      snprintf(row->note, sizeof row->note, "random (default mini-batches, seed 0): its mean "
               "square error falls like 1/t, not graded here (its own tests fit that rate)");
    } else if (M->biased) {
      /* the bound at the large budget, relative like the error; held with the reference's
       * round-off (hg_run.bound_violated) */
      row->tol = v->ref_norm > 0 ? r.bound / v->ref_norm : r.bound;
      if (isfinite(r.bound)) {
        row->verdict = !r.bound_violated;
        if (row->verdict)
          snprintf(row->note, sizeof row->note, "error %.3g of its bound", r.abs_error / r.bound);
        else
          rep->failures++;
        hg_run_release(&r);
        return HG_OK;
      }
      char unknown[64], why[256];
      int declared = unknown_constants(v->P->ops, &r.theory, unknown, sizeof unknown, why,
                                       sizeof why);
      snprintf(row->note, sizeof row->note, "no finite bias bound; %s",
               unknown[0] ? why : "its bound is NaN with every constant known");
      row->verdict = declared && unknown[0] ? -1 : 0;
      if (row->verdict)
        rep->informational++;
      else
        rep->failures++;
      hg_run_release(&r);
      return HG_OK;
    } else {
      row->tol = (M->needs & HG_NEEDS_EXACT) ? DIRECT_TOL : CONVERGED_TOL;
    }
  }
  grade(rep, row);
  hg_run_release(&r);
  return HG_OK;
}

/* A budget of an identity: HG_AT_BIG is the large budget. */
static int at(const vctx *v, int b)
{
  return b == HG_AT_BIG ? v->rep->t_big : b;
}

/* One row per identity M declares (DESIGN §7): M at its budget against the other method (or
 * the exact reference) at its own. */
static int identity_rows(vctx *v, const char *name, const hg_method_ops *M, hg_error *err)
{
  int m = v->P->n_theta;

  for (const hg_identity *id = M->identities; id && id->other; id++) {
    const int is_exact = !strcmp(id->other, "exact");
    const hg_method_ops *B = is_exact ? NULL : lookup(v->methods, id->other);
    char what[64];
    hg_verify_row *row;
    hg_run ra, rb;
    hg_error e;
    int rc;

    snprintf(what, sizeof what, "= %s", id->other);
    if ((rc = add_row(v, name, what, &row, err)))
      return rc;
    memset(&ra, 0, sizeof ra);
    memset(&rb, 0, sizeof rb);
    hg_error_clear(&e);
    if (!is_exact && !B) {
      row->status = HG_ERR_UNSUPPORTED;
      snprintf(row->note, sizeof row->note, "method '%s' is not registered", id->other);
    } else if (id->needs_affine && !(v->P->ops->affine && v->P->ops->affine(v->P->self))) {
      row->status = HG_ERR_UNSUPPORTED;
      snprintf(row->note, sizeof row->note, "holds when Phi is affine in w with d_theta Phi "
               "constant, which problem '%s' is not", v->P->ops->name);
    } else if (!is_exact && hg_method_applies(v->P->ops, B, &e)) {
      row->status = HG_ERR_UNSUPPORTED;
      snprintf(row->note, sizeof row->note, "%s", e.msg);
    } else if (too_costly(M, m, row->note, sizeof row->note) ||
               (B && too_costly(B, m, row->note, sizeof row->note))) {
      row->status = HG_ERR_UNSUPPORTED;
    } else if (is_exact && !M->budgets && v->same_grad && v->same_name == name) {
      /* M reads no budget: its run at the large budget above is this one, bit for bit */
      row->error = hg_rel_diff(m, v->same_grad, v->ref);
      row->tol = id->tol;
      snprintf(row->note, sizeof row->note, "the run above (%s reads no budget)", name);
    } else if (run(v->P, M, v->theta, v->ref, v->wstar, v->cache, 0, at(v, id->t), at(v, id->k),
                   at(v, id->K), &ra, row) == HG_OK) {
      hg_verify_row other = *row;
      if (is_exact) {
        row->error = hg_rel_diff(m, ra.grad, v->ref);
        row->tol = id->tol;
      } else if (run(v->P, B, v->theta, v->ref, v->wstar, v->cache, 0, at(v, id->other_t),
                     at(v, id->other_k), at(v, id->other_K), &rb, &other) == HG_OK) {
        row->error = hg_rel_diff(m, ra.grad, rb.grad);
        row->tol = id->tol;
      } else {
        row->status = other.status;
        snprintf(row->note, sizeof row->note, "%s", other.note);
      }
    }
    grade(v->rep, row);
    hg_run_release(&ra);
    hg_run_release(&rb);
  }
  return HG_OK;
}

/* Every row of method M (called name): at the large budget, its identities, its bounds and
 * rates along t and, where its theory has a rate in k, along k, and omega for an implicit
 * estimate.  A method that does not apply to the problem gets one n/a row saying why. */
static int method_rows(vctx *v, const char *name, const hg_method_ops *M, hg_error *err)
{
  hg_error why;
  hg_verify_row *row;
  int rc;

  hg_error_clear(&why);
  if (hg_method_applies(v->P->ops, M, &why)) {
    if ((rc = add_row(v, name, "applies", &row, err)))
      return rc;
    row->status = HG_ERR_UNSUPPORTED;
    snprintf(row->note, sizeof row->note, "%s", why.msg);
    grade(v->rep, row);
    return HG_OK;
  }
  if ((rc = convergence_row(v, name, M, err)) || (rc = identity_rows(v, name, M, err)))
    return rc;
  for (const char *axis = "tk"; *axis; axis++) {
    if (!(M->bound || M->posterior) ||
        (*axis == 'k' && !(M->rate && isfinite(M->rate(&v->c, 'k')))))
      continue; /* along k only the methods whose theory has a rate in k; a posterior bound
                   (hg_method_ops.posterior) is graded like an a-priori one */
    if ((rc = add_row(v, name, *axis == 't' ? "bound and rate in t" : "bound and rate in k",
                      &row, err)))
      return rc;
    if (too_costly(M, v->P->n_theta, row->note, sizeof row->note)) {
      row->status = HG_ERR_UNSUPPORTED;
      grade(v->rep, row);
    } else if (theory_row(v->P, M, *axis, v->theta, v->ref, v->wstar, v->cache, v->rep, row,
                          &v->c)) {
      grade(v->rep, row);
    }
  }
  if (M->bound && !too_costly(M, v->P->n_theta, NULL, 0))
    return omega_row(v->P, M, name, v->theta, v->ref, v->wstar, v->cache, v->rep, err);
  return HG_OK;
}

int hg_verify_with(hg_problem *P, const double *theta, const hg_entry *methods,
                   int local_constants, hg_verify_report *rep, hg_error *err)
{
  vctx v;
  const double start = hg_now();
  int rc = vctx_open(&v, P, theta, methods, local_constants, rep, err);

  for (const hg_entry *e = methods; !rc && e->name; e++)
    rc = method_rows(&v, e->name, e->ops, err);
  vctx_close(&v);
  rep->wall_s = hg_now() - start;
  return rc;
}

int hg_verify_method(hg_problem *P, const double *theta, const char *name,
                     const hg_method_ops *M, int local_constants, hg_verify_report *rep,
                     hg_error *err)
{
  vctx v;
  const hg_entry only[] = {{name, M}, {NULL, NULL}};
  const double start = hg_now();
  int rc = vctx_open(&v, P, theta, only, local_constants, rep, err);

  if (!rc)
    rc = method_rows(&v, name, M, err);
  vctx_close(&v);
  rep->wall_s = hg_now() - start;
  return rc;
}

int hg_verify(hg_problem *P, const double *theta, int local_constants, hg_verify_report *rep,
              hg_error *err)
{
  return hg_verify_with(P, theta, hg_method_list(), local_constants, rep, err);
}

void hg_verify_release(hg_verify_report *rep)
{
  if (!rep)
    return;
  free(rep->rows);
  memset(rep, 0, sizeof *rep);
}

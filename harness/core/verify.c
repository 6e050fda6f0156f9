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
 * Every run shares one hg_lower_cache: the lower iterates (and aid-fp's and neumann's adjoint
 * iterates at one w_t) recorded by earlier runs at this theta are resumed from, not recomputed;
 * the results, traces and counts are bitwise those of runs from scratch (tests/test_methods.c),
 * only the wall times of the rows fall.
 */
#include "hgbench.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CONVERGED_TOL 1e-8
#define DIRECT_TOL 1e-6
#define IDENTITY_TOL 1e-10
#define RATE_EXPONENT_SLACK 0.95
#define T_SMALL 6 /* identities are checked before convergence hides a difference */
#define K_SMALL 3
#define GRID 12          /* t = t_big j / GRID, j = 1..GRID, and t = 1, 2, 3 */
#define TBPTT_K 10
#define COLUMN_MAX_THETA 300 /* fd and itd-forward work column by column of theta: hours
                                 beyond this many hyperparameters on real data */

/* An identity of DESIGN §7: method a with budget (t, k, K) equals method b with its budget. */
typedef struct identity {
  const char *a;
  int ta, ka, Ka;
  const char *b;
  int tb, kb, Kb;
  double tol;
} identity;

static const identity identities[] = {
  {"itd", T_SMALL, 0, 0, "itd-forward", T_SMALL, 0, 0, IDENTITY_TOL},
  {"neumann", T_SMALL, K_SMALL, 0, "aid-fp", T_SMALL, K_SMALL + 1, 0, IDENTITY_TOL},
  {"aid-fp", T_SMALL, 1, 0, "jfb", T_SMALL, 0, 0, IDENTITY_TOL},
  {"tbptt", T_SMALL, 0, T_SMALL, "itd", T_SMALL, 0, 0, IDENTITY_TOL},
  {"fd", 0, 0, 0, "exact", 0, 0, 0, DIRECT_TOL},
};

/* 1 (with the note) when verify skips method `name` for m hyperparameters: fd (2m + 1 exact
 * solves) and itd-forward (m Jacobian products per step, n_w m doubles) beyond
 * COLUMN_MAX_THETA. */
static int too_costly(const char *name, int m, char *note, size_t len)
{
  if (m <= COLUMN_MAX_THETA || (strcmp(name, "fd") && strcmp(name, "itd-forward")))
    return 0;
  snprintf(note, len, "skipped: with m = %d hyperparameters %s (verify runs it up to m = %d)", m,
           strcmp(name, "fd") ? "itd-forward costs m Jacobian products per step"
                              : "fd costs 2m + 1 exact solves", COLUMN_MAX_THETA);
  return 1;
}

static const hg_method_ops *lookup(const hg_entry *methods, const char *name)
{
  for (const hg_entry *e = methods; e->name; e++)
    if (!strcmp(e->name, name))
      return e->ops;
  return NULL;
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
    return;
  }
  row->verdict = row->status == HG_OK && isfinite(row->tol) ? row->error <= row->tol
                 : row->status == HG_OK ? -1 : 0;
  if (row->verdict == 0)
    rep->failures++;
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

/* The constants of th that are unknown (NAN), "nu1, nu2" (empty when all are known): why a
 * bound is NAN. */
static void unknown_constants(const hg_theory *th, char *buf, size_t len)
{
  const struct {
    const char *name;
    double value;
  } k[] = {{"q", th->c.q},     {"L_E", th->c.L_E}, {"L_Phi", th->c.L_Phi}, {"nu1", th->c.nu1},
           {"nu2", th->c.nu2}, {"mu1", th->c.mu1}, {"mu2", th->c.mu2}};
  size_t used = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < sizeof k / sizeof k[0]; i++)
    if (isnan(k[i].value) && used < len) {
      int w = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", k[i].name);
      used += w > 0 ? (size_t)w : 0;
    }
}

/* Bounds over a grid of the budget `axis` and the fitted rate along it (a theory row of M):
 * along t with k = t; along k with t = t_big, up to where M's theoretical rate in k reaches
 * 1e-14. */
static int theory_row(hg_problem *P, const hg_method_ops *M, char axis, const double *theta,
                      const double *ref, const double *wstar, hg_lower_cache *cache,
                      hg_verify_report *rep, hg_verify_row *row, const hg_constants *c)
{
  double x[GRID + 3], err[GRID + 3], bnd[GRID + 3];
  int n = 0, top = rep->t_big;
  char unknown[64] = "";

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
    if (isfinite(r.bound) && r.bound > 0)
      row->max_ratio = isnan(row->max_ratio) ? r.abs_error / r.bound
                                             : fmax(row->max_ratio, r.abs_error / r.bound);
    row->violations += r.bound_violated;
    if (n == 0)
      unknown_constants(&r.theory, unknown, sizeof unknown);
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

  int rate_ok = 1;
  if (!M->biased && row->rate_bound >= 1 && used >= 3 && isfinite(row->rate)) {
    /* the bound does not decay over the window the error is above round-off in (itd's
     * t q^(t-1) still rising, q close to 1): the error must at least not grow */
    rate_ok = row->rate <= 1 || row->rate_lo <= 1;
  } else if (!M->biased && isfinite(row->rate_bound) && used >= 3 && isfinite(row->rate)) {
    row->error = log(row->rate) / log(row->rate_bound); /* exponent ratio */
    row->tol = RATE_EXPONENT_SLACK;
    rate_ok = row->error >= RATE_EXPONENT_SLACK ||
              (row->rate_lo <= row->rate_bound && row->rate_bound <= row->rate_hi);
  }
  if (isnan(row->max_ratio) && unknown[0]) {
    /* No bound: the theorem's hypotheses are not established (a Lipschitz constant is
     * unknown: d_w Phi of a piecewise-smooth Phi jumps), so nothing holds the rate over a
     * finite window either; the fit is reported, not graded. */
    snprintf(row->note, sizeof row->note, "no bound (%s unknown): rate reported, not graded%s",
             unknown, rate_ok ? "" : " (slower than the asymptotic rate over this window)");
    row->verdict = -1;
    return HG_OK;
  }
  if (row->violations)
    snprintf(row->note, sizeof row->note, "%d of %d runs above their bound", row->violations,
             n);
  else if (!rate_ok)
    snprintf(row->note, sizeof row->note, "converges slower than its theory");
  row->verdict = !row->violations && rate_ok;
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
      char unknown[64];
      unknown_constants(&r.theory, unknown, sizeof unknown);
      hg_run_release(&r);
      if (!(row = new_row(rep, name, "inexact bound omega(eps, delta)")))
        return hg_fail(err, HG_ERR_NOMEM, "verify: out of memory");
      snprintf(row->note, sizeof row->note, "no omega: %s unknown (NaN)", unknown);
      return HG_OK; /* informational */
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

int hg_verify_with(hg_problem *P, const double *theta, const hg_entry *methods,
                   int local_constants, hg_verify_report *rep, hg_error *err)
{
  int rc = HG_OK, m = P->n_theta;
  double *ref = NULL, *wstar = NULL;
  hg_lower_cache *cache = NULL;
  hg_constants c;

  memset(rep, 0, sizeof *rep);
  rep->q = NAN;
  rep->local = local_constants;
  hg_constants_unknown(&c);
  if ((rc = hg_theta_check(m, theta, err)))
    return rc;
  ref = malloc((size_t)m * sizeof *ref);
  wstar = malloc((size_t)P->n_w * sizeof *wstar);
  cache = hg_lower_cache_create();
  if (!ref || !wstar || !cache) {
    rc = hg_fail(err, HG_ERR_NOMEM, "verify: out of memory");
    goto done;
  }
  if ((rc = hg_exact(P, theta, wstar, ref, err)))
    goto done;
  if (P->ops->constants && (rc = hg_problem_constants(P, theta, &c, err)))
    goto done;
  rep->q = c.q;
  /* q^t <= 1e-14, within a budget that keeps verification quick */
  rep->t_big = isfinite(rep->q) && rep->q > 0 && rep->q < 1
                   ? (int)fmin(50000, ceil(log(1e-14) / log(rep->q)))
                   : 2000;
  rep->k_big = rep->t_big;

  for (const hg_entry *e = methods; e->name; e++) {
    const hg_method_ops *M = e->ops;
    hg_run r;
    int direct = (M->needs & HG_NEEDS_EXACT) != 0;
    hg_verify_row *row = new_row(rep, e->name, M->biased       ? "bias at large budget"
                                                : M->stochastic ? "stochastic: error at large budget"
                                                                : "converges to exact");
    if (!row) {
      rc = hg_fail(err, HG_ERR_NOMEM, "verify: out of memory");
      goto done;
    }
    memset(&r, 0, sizeof r);
    if (too_costly(e->name, m, row->note, sizeof row->note)) {
      row->status = HG_ERR_UNSUPPORTED;
    } else if (run(P, M, theta, ref, wstar, cache, 0, rep->t_big, rep->k_big, rep->t_big, &r,
                   row) == HG_OK) {
      row->error = r.rel_error;
      row->tol = M->biased || M->stochastic ? NAN : direct ? DIRECT_TOL : CONVERGED_TOL;
      if (M->stochastic)
        snprintf(row->note, sizeof row->note, "random (default mini-batches, seed 0): its mean "
                 "square error falls like 1/t, not graded here (tests/test_sid.c fits it)");
    }
    grade(rep, row);
    hg_run_release(&r);
  }

  for (size_t i = 0; i < sizeof identities / sizeof identities[0]; i++) {
    const identity *id = &identities[i];
    const hg_method_ops *A = lookup(methods, id->a), *B = lookup(methods, id->b);
    char what[64];
    hg_run ra, rb;
    if (!A || !B)
      continue;
    snprintf(what, sizeof what, "= %s", id->b);
    hg_verify_row *row = new_row(rep, id->a, what);
    if (!row) {
      rc = hg_fail(err, HG_ERR_NOMEM, "verify: out of memory");
      goto done;
    }
    memset(&ra, 0, sizeof ra);
    memset(&rb, 0, sizeof rb);
    if (too_costly(id->a, m, row->note, sizeof row->note) ||
        too_costly(id->b, m, row->note, sizeof row->note)) {
      row->status = HG_ERR_UNSUPPORTED;
    } else if (run(P, A, theta, ref, wstar, cache, 0, id->ta, id->ka, id->Ka, &ra, row) ==
               HG_OK) {
      hg_verify_row other = *row;
      if (run(P, B, theta, ref, wstar, cache, 0, id->tb, id->kb, id->Kb, &rb, &other) ==
          HG_OK) {
        row->error = hg_rel_diff(m, ra.grad, rb.grad);
        row->tol = id->tol;
      } else {
        row->status = other.status;
        snprintf(row->note, sizeof row->note, "%s", other.note);
      }
    }
    grade(rep, row);
    hg_run_release(&ra);
    hg_run_release(&rb);
  }

  for (const char *axis = "tk"; *axis; axis++)
    for (const hg_entry *e = methods; e->name; e++) {
      const hg_method_ops *M = e->ops;
      if (!M->bound || (*axis == 'k' && !(M->rate && isfinite(M->rate(&c, 'k')))))
        continue; /* along k only the methods whose theory has a rate in k */
      hg_verify_row *row = new_row(rep, e->name, *axis == 't' ? "bound and rate in t"
                                                              : "bound and rate in k");
      if (!row) {
        rc = hg_fail(err, HG_ERR_NOMEM, "verify: out of memory");
        goto done;
      }
      if (too_costly(e->name, m, row->note, sizeof row->note)) {
        row->status = HG_ERR_UNSUPPORTED;
        grade(rep, row);
      } else if (theory_row(P, M, *axis, theta, ref, wstar, cache, rep, row, &c)) {
        grade(rep, row);
      }
    }

  for (const hg_entry *e = methods; e->name; e++)
    if (((const hg_method_ops *)e->ops)->bound && !too_costly(e->name, m, NULL, 0) &&
        (rc = omega_row(P, e->ops, e->name, theta, ref, wstar, cache, rep, err)))
      goto done;

done:
  hg_lower_cache_destroy(&cache);
  free(ref);
  free(wstar);
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

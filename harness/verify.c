/*
 * verify.c -- `hgbench verify`: every registered method against the exact reference on one
 * problem, and the exact identities between methods (DESIGN §7).
 *
 * Tolerances: at the large budget q^t <= 1e-14, every consistent method's error bound
 * (DESIGN §7 table) is a small multiple of 1e-14 times constants of order one on the built-in
 * instances, so 1e-8 leaves six orders of margin and still fails a wrong recursion, whose error
 * is O(1).  Methods built on direct solves (exact, fd) are held to 1e-6, the accuracy of
 * central differences.  The identities are exact in real arithmetic; in floating point they
 * differ by the round-off of a few dozen vector operations, so 1e-10.
 */
#include "hgbench.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CONVERGED_TOL 1e-8
#define DIRECT_TOL 1e-6
#define IDENTITY_TOL 1e-10
#define T_SMALL 20
#define K_SMALL 5

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
  row->error = row->tol = NAN;
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

static long oracle_calls(const hg_counts *c)
{
  return c->phi + c->jvp_w + c->vjp_w + c->vjp_theta + c->jvp_theta;
}

/* Run `method` with budget (t, k, K); the row gets the time, calls and any failure. */
static int run(hg_problem *P, const char *method, const double *theta, const double *ref,
               int t, int k, int K, hg_run *r, hg_verify_row *row)
{
  hg_budget b;
  hg_run_opts o = {0};
  hg_error e;

  hg_budget_default(&b);
  b.t = t;
  b.k = k;
  b.K = K;
  o.reference = ref;
  hg_error_clear(&e);
  int rc = hg_hypergrad(P, method, 0, NULL, theta, &b, &o, r, &e);
  row->t = r->t;
  row->k = r->k;
  row->wall_s = r->wall_s;
  row->calls = oracle_calls(&r->counts);
  row->status = rc;
  if (rc)
    snprintf(row->note, sizeof row->note, "%s", e.msg);
  return rc;
}

/* ||a - b|| / ||b|| (or ||a - b|| when b = 0). */
static double rel_diff(int m, const double *a, const double *b)
{
  double d = 0, s = 0;
  for (int i = 0; i < m; i++) {
    d += (a[i] - b[i]) * (a[i] - b[i]);
    s += b[i] * b[i];
  }
  return s > 0 ? sqrt(d / s) : sqrt(d);
}

int hg_verify(hg_problem *P, const double *theta, hg_verify_report *rep, hg_error *err)
{
  int rc = HG_OK, m = P->n_theta;
  double *ref = NULL, *wstar = NULL;
  hg_constants c;

  memset(rep, 0, sizeof *rep);
  rep->q = NAN;
  if ((rc = hg_theta_check(m, theta, err)))
    return rc;
  ref = malloc((size_t)m * sizeof *ref);
  wstar = malloc((size_t)P->n_w * sizeof *wstar);
  if (!ref || !wstar) {
    rc = hg_fail(err, HG_ERR_NOMEM, "verify: out of memory");
    goto done;
  }
  if ((rc = hg_exact(P, theta, wstar, ref, err)))
    goto done;
  if (P->ops->constants && (rc = hg_problem_constants(P, theta, &c, err)))
    goto done;
  rep->q = P->ops->constants ? c.q : NAN;
  /* q^t <= 1e-14, within a budget that keeps verification quick */
  rep->t_big = isfinite(rep->q) && rep->q > 0 && rep->q < 1
                   ? (int)fmin(50000, ceil(log(1e-14) / log(rep->q)))
                   : 2000;
  rep->k_big = rep->t_big;

  for (const hg_entry *e = hg_methods; e->name; e++) {
    const hg_method_ops *M = e->ops;
    hg_run r;
    int direct = (M->needs & HG_NEEDS_EXACT) != 0;
    hg_verify_row *row = new_row(rep, M->name, M->biased ? "bias at large budget"
                                                          : "converges to exact");
    if (!row) {
      rc = hg_fail(err, HG_ERR_NOMEM, "verify: out of memory");
      goto done;
    }
    if (run(P, M->name, theta, ref, rep->t_big, rep->k_big, rep->t_big, &r, row) == HG_OK) {
      row->error = r.rel_error;
      row->tol = M->biased ? NAN : direct ? DIRECT_TOL : CONVERGED_TOL;
    }
    grade(rep, row);
    hg_run_release(&r);
  }

  for (size_t i = 0; i < sizeof identities / sizeof identities[0]; i++) {
    const identity *id = &identities[i];
    char what[64];
    hg_run ra, rb;
    snprintf(what, sizeof what, "= %s", id->b);
    hg_verify_row *row = new_row(rep, id->a, what);
    if (!row) {
      rc = hg_fail(err, HG_ERR_NOMEM, "verify: out of memory");
      goto done;
    }
    memset(&rb, 0, sizeof rb);
    if (run(P, id->a, theta, ref, id->ta, id->ka, id->Ka, &ra, row) == HG_OK) {
      hg_verify_row other = *row;
      if (run(P, id->b, theta, ref, id->tb, id->kb, id->Kb, &rb, &other) == HG_OK) {
        row->error = rel_diff(m, ra.grad, rb.grad);
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

done:
  free(ref);
  free(wstar);
  return rc;
}

void hg_verify_release(hg_verify_report *rep)
{
  if (!rep)
    return;
  free(rep->rows);
  memset(rep, 0, sizeof *rep);
}

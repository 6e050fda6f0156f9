/*
 * selftest.c -- the battery every plugin gets from the registry alone (SUNDIALS' single
 * conformance suite for every linear solver is the model): nothing here names a plugin, so a
 * method or problem added as one file and one registry line is tested exactly like the ones
 * already there.
 *
 * For a method M on a problem P (its default instance), when M applies to P:
 *   - verify's rows for M (hg_verify_method): convergence to exact at the large budget, or
 *     staying within its bias bound, its own identities, its bounds and rates along t and k,
 *     omega for an implicit estimate;
 *   - bad parameters: an unknown key, and for every key of M's schema a value outside its
 *     range or of the wrong type, are refused naming the key, before any oracle call;
 *     a negative budget and a non-finite theta are refused;
 *   - bookkeeping: t and k used within the budget (0 for a budget M does not read), the
 *     measured workspace peak equal to M's declared space, a second run bitwise identical,
 *     an estimate and iterate that are finite, and t = k = 0 handled.
 * For a problem P: every callback against finite differences (hg_check), and bad input: an
 * unknown key and, for every key of its schema, a value outside its range or of the wrong type,
 * refused naming the key; a second instance with the same parameters identical.
 */
#include "hg_core.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BOOK_T 20 /* the bookkeeping budget: small, every method's loop taken a few times */
#define BOOK_K 10
#define BOOK_K_BACK 5

/* Append a check; returns its verdict (HG_ERR_NOMEM leaves the report as it was). */
static int add(hg_selftest_report *rep, int verdict, const char *name, const char *fmt, ...)
{
  if (rep->n == rep->cap) {
    int cap = rep->cap ? 2 * rep->cap : 32;
    hg_selftest_check *c = realloc(rep->checks, (size_t)cap * sizeof *c);
    if (!c) {
      rep->failures++; /* a check that cannot be recorded is not a pass */
      return 0;
    }
    rep->checks = c;
    rep->cap = cap;
  }
  hg_selftest_check *c = &rep->checks[rep->n++];
  va_list ap;
  snprintf(c->name, sizeof c->name, "%s", name);
  va_start(ap, fmt);
  vsnprintf(c->note, sizeof c->note, fmt, ap);
  va_end(ap);
  c->verdict = verdict;
  if (verdict == 0)
    rep->failures++;
  else if (verdict < 0)
    rep->skipped++;
  return verdict;
}

void hg_selftest_release(hg_selftest_report *rep)
{
  if (!rep)
    return;
  free(rep->checks);
  memset(rep, 0, sizeof *rep);
}

/* Values that a key of the schema must refuse: outside [lo, hi] for a bounded number, text
 * for a number, a word not among the choices.  Fills up to 2 words; returns the count. */
static int bad_values(const hg_param_spec *s, char words[2][64])
{
  int n = 0;
  if (s->type == HG_PARAM_INT || s->type == HG_PARAM_REAL) {
    snprintf(words[n++], sizeof words[0], "%s=not-a-number", s->key);
    if (s->lo < s->hi && isfinite(s->lo) && s->lo > -1e300)
      snprintf(words[n++], sizeof words[0], "%s=%.17g", s->key,
               s->lo - (s->type == HG_PARAM_INT ? 1 : fmax(1, fabs(s->lo))));
    else if (s->lo < s->hi && isfinite(s->hi) && s->hi < 1e300)
      snprintf(words[n++], sizeof words[0], "%s=%.17g", s->key,
               s->hi + (s->type == HG_PARAM_INT ? 1 : fmax(1, fabs(s->hi))));
  } else if (s->type == HG_PARAM_CHOICE) {
    snprintf(words[n++], sizeof words[0], "%s=no-such-choice", s->key);
  }
  return n;
}

/* The bad-parameter checks of a schema through `attempt` (which must refuse the word): an
 * unknown key, then every key's bad values; each refusal must name the key. */
typedef int (*attempt_fn)(void *ctx, const char *word, hg_error *err);

static void bad_parameters(hg_selftest_report *rep, const char *owner, const hg_param_spec *schema,
                           attempt_fn attempt, void *ctx)
{
  const char *unknown = "no_such_key=1";
  hg_error e;
  int rc;

  hg_error_clear(&e);
  rc = attempt(ctx, unknown, &e);
  add(rep, rc != HG_OK && strstr(e.msg, "no_such_key") != NULL, "bad parameter: unknown key",
      "%s %s: %s", owner, unknown, rc ? e.msg : "accepted");
  for (const hg_param_spec *s = schema; s && s->key; s++) {
    char words[2][64], name[96];
    int n = bad_values(s, words);
    for (int i = 0; i < n; i++) {
      hg_error_clear(&e);
      rc = attempt(ctx, words[i], &e);
      snprintf(name, sizeof name, "bad parameter: %.64s", words[i]);
      add(rep, rc != HG_OK && strstr(e.msg, s->key) != NULL, name, "%s",
          rc ? e.msg : "accepted");
    }
  }
}

/* The battery's instance of registered problem `name`: its selftest_params words, or the
 * defaults. */
static int create_instance(const char *name, hg_problem **P, hg_error *err)
{
  const hg_problem_ops *ops = hg_find_problem(name, err);
  char buf[256];
  const char *words[16];
  int n = 0;

  if (!ops)
    return err->status;
  snprintf(buf, sizeof buf, "%s", ops->selftest_params ? ops->selftest_params : "");
  char *save = NULL;
  for (char *tok = strtok_r(buf, " ", &save); tok && n < 16; tok = strtok_r(NULL, " ", &save))
    words[n++] = tok;
  return hg_problem_create(name, n, words, P, err);
}

/* ---- methods -------------------------------------------------------------------------- */

typedef struct method_ctx {
  hg_problem *P;
  const hg_method_ops *M;
  const double *theta;
} method_ctx;

/* Run M with the one word (must be refused) at a small budget; also checks no call was made. */
static int method_attempt(void *vc, const char *word, hg_error *err)
{
  method_ctx *c = vc;
  hg_budget b;
  hg_run_opts o = {0};
  hg_run r;

  hg_budget_default(&b);
  b.t = b.k = 2;
  int rc = hg_hypergrad_ops(c->P, c->M, 1, &word, c->theta, &b, &o, &r, err);
  if (rc && hg_counts_oracle(&r.counts) > 0)
    snprintf(err->msg, sizeof err->msg, "refused only after %ld oracle calls",
             hg_counts_oracle(&r.counts));
  hg_run_release(&r);
  return rc;
}

/* verify's rows for M, one check each. */
static int verify_checks(hg_problem *P, const char *name, const hg_method_ops *M,
                         const double *theta, hg_selftest_report *rep, hg_error *err)
{
  hg_verify_report v;
  int rc = hg_verify_method(P, theta, name, M, 0, &v, err);
  if (rc)
    return rc;
  for (int i = 0; i < v.nrows; i++) {
    const hg_verify_row *r = &v.rows[i];
    char check[96];
    snprintf(check, sizeof check, "verify: %s", r->what);
    add(rep, r->verdict, check, "error %.3g, tolerance %.3g, max err/bound %.3g%s%s", r->error,
        r->tol, r->max_ratio, *r->note ? ": " : "", r->note);
  }
  hg_verify_release(&v);
  return HG_OK;
}

/* The bookkeeping checks of M at (BOOK_T, BOOK_K, BOOK_K_BACK). */
static void bookkeeping(hg_problem *P, const hg_method_ops *M, const double *theta,
                        hg_selftest_report *rep)
{
  hg_budget b;
  hg_run_opts o = {.seed = 7};
  hg_run r1, r2, r0;
  hg_error e1, e2, e0;

  hg_budget_default(&b);
  b.t = BOOK_T;
  b.k = BOOK_K;
  b.K = BOOK_K_BACK;
  int rc1 = hg_hypergrad_ops(P, M, 0, NULL, theta, &b, &o, &r1, &e1);
  int rc2 = hg_hypergrad_ops(P, M, 0, NULL, theta, &b, &o, &r2, &e2);
  if (!add(rep, rc1 == HG_OK && rc2 == HG_OK, "bookkeeping: runs", "%s",
           rc1 ? e1.msg : rc2 ? e2.msg : "t = 20, k = 10, K = 5"))
    goto done;
  int t_ok = (M->budgets & HG_BUDGET_T) ? r1.t >= 0 && r1.t <= b.t : r1.t == 0;
  int k_ok = (M->budgets & HG_BUDGET_K) ? r1.k >= 0 && r1.k <= b.k : r1.k == 0;
  add(rep, t_ok && k_ok, "bookkeeping: iterations within the budget",
      "t used %d of %d, k used %d of %d (budgets read: %s%s)", r1.t, b.t, r1.k, b.k,
      (M->budgets & HG_BUDGET_T) ? "t " : "", (M->budgets & HG_BUDGET_K) ? "k" : "");
  size_t space = hg_method_space_on(M, P, &b, NULL);
  add(rep, r1.peak_bytes == space, "bookkeeping: workspace as declared",
      "measured peak %zu bytes, space() %zu", r1.peak_bytes, space);
  int finite = isfinite(r1.value);
  for (int i = 0; i < r1.n_theta; i++)
    finite &= isfinite(r1.grad[i]) != 0;
  for (int i = 0; i < r1.n_w; i++)
    finite &= isfinite(r1.w[i]) != 0;
  add(rep, finite, "bookkeeping: finite estimate", "value %.6g", r1.value);
  int same = r1.t == r2.t && r1.k == r2.k &&
             !memcmp(&r1.counts, &r2.counts, sizeof r1.counts) &&
             !memcmp(r1.grad, r2.grad, (size_t)r1.n_theta * sizeof *r1.grad) &&
             !memcmp(r1.w, r2.w, (size_t)r1.n_w * sizeof *r1.w);
  add(rep, same, "bookkeeping: repeatable", "a second run with seed 7 %s",
      same ? "is bitwise identical" : "differs");
  int uses = (M->budgets & (HG_BUDGET_T | HG_BUDGET_K)) != 0;
  add(rep, !uses || hg_counts_oracle(&r1.counts) > 0, "bookkeeping: calls counted",
      "%ld oracle calls (phi %ld, jvp_w %ld, vjp_w %ld, vjp_theta %ld, jvp_theta %ld)",
      hg_counts_oracle(&r1.counts), r1.counts.phi, r1.counts.jvp_w, r1.counts.vjp_w,
      r1.counts.vjp_theta, r1.counts.jvp_theta);
  hg_run_release(&r1);
  hg_run_release(&r2);

  /* t = k = 0: the estimate at w0 (or a clear refusal), never a crash or a NaN called ok */
  b.t = b.k = b.K = 0;
  int rc0 = hg_hypergrad_ops(P, M, 0, NULL, theta, &b, &o, &r0, &e0);
  int fin0 = rc0 != HG_OK || isfinite(r0.value);
  for (int i = 0; !rc0 && i < r0.n_theta; i++)
    fin0 &= isfinite(r0.grad[i]) != 0;
  add(rep, fin0 && (rc0 == HG_OK || *e0.msg), "bookkeeping: zero budget",
      "t = k = 0: %s", rc0 ? e0.msg : "a finite estimate");
  hg_run_release(&r0);
  return;
done:
  hg_run_release(&r1);
  hg_run_release(&r2);
}

int hg_selftest_method(const char *name, const hg_method_ops *M, const char *problem,
                       hg_selftest_report *rep, hg_error *err)
{
  const hg_problem_ops *PO = hg_find_problem(problem, err);
  hg_problem *P = NULL;
  double *theta = NULL;
  hg_error why;
  int rc;

  if (!PO)
    return err->status;
  hg_error_clear(&why);
  if (hg_method_applies(PO, M, &why)) {
    add(rep, -1, "applies", "%s", why.msg);
    return HG_OK;
  }
  if ((rc = create_instance(problem, &P, err)))
    return rc;
  if (!(theta = malloc((size_t)P->n_theta * sizeof *theta))) {
    rc = hg_fail(err, HG_ERR_NOMEM, "selftest: out of memory");
    goto done;
  }
  P->ops->theta0(P->self, theta);
  if ((rc = verify_checks(P, name, M, theta, rep, err)))
    goto done;

  method_ctx c = {P, M, theta};
  char owner[96];
  snprintf(owner, sizeof owner, "method '%s'", name);
  bad_parameters(rep, owner, M->params, method_attempt, &c);
  {
    hg_budget b;
    hg_run_opts o = {0};
    hg_run r;
    hg_error e;
    hg_budget_default(&b);
    b.t = -1;
    int brc = hg_hypergrad_ops(P, M, 0, NULL, theta, &b, &o, &r, &e);
    add(rep, brc != HG_OK, "bad budget: t = -1", "%s", brc ? e.msg : "accepted");
    hg_run_release(&r);
    double keep = theta[0];
    theta[0] = NAN;
    hg_budget_default(&b);
    brc = hg_hypergrad_ops(P, M, 0, NULL, theta, &b, &o, &r, &e);
    theta[0] = keep;
    add(rep, brc != HG_OK, "bad theta: NaN", "%s", brc ? e.msg : "accepted");
    hg_run_release(&r);
  }
  bookkeeping(P, M, theta, rep);
done:
  free(theta);
  hg_problem_destroy(&P);
  return rc;
}

/* ---- problems ------------------------------------------------------------------------- */

/* Create the problem with the one word (must be refused). */
static int problem_attempt(void *vc, const char *word, hg_error *err)
{
  hg_problem *P = NULL;
  int rc = hg_problem_create(vc, 1, &word, &P, err);
  hg_problem_destroy(&P);
  return rc;
}

int hg_selftest_problem(const char *name, hg_selftest_report *rep, hg_error *err)
{
  hg_problem *P = NULL, *Q = NULL;
  double *theta = NULL, *theta2 = NULL;
  hg_check_report ck;
  int rc;

  if ((rc = create_instance(name, &P, err)))
    return rc;
  if ((rc = create_instance(name, &Q, err)))
    goto done;
  theta = malloc((size_t)P->n_theta * sizeof *theta);
  theta2 = malloc((size_t)P->n_theta * sizeof *theta2);
  if (!theta || !theta2) {
    rc = hg_fail(err, HG_ERR_NOMEM, "selftest: out of memory");
    goto done;
  }
  P->ops->theta0(P->self, theta);
  Q->ops->theta0(Q->self, theta2);
  add(rep, P->n_w == Q->n_w && P->n_theta == Q->n_theta &&
               !memcmp(theta, theta2, (size_t)P->n_theta * sizeof *theta),
      "deterministic instance", "two instances from the same parameters: n_w %d, n_theta %d",
      P->n_w, P->n_theta);
  if ((rc = hg_check(P, theta, 1, &ck, err)))
    goto done;
  for (int i = 0; i < ck.nrows; i++) {
    char check[96];
    snprintf(check, sizeof check, "check: %s", ck.rows[i].what);
    add(rep, ck.rows[i].pass, check, "relative error %.3g, tolerance %.3g", ck.rows[i].error,
        ck.rows[i].tol);
  }
  {
    char owner[96];
    snprintf(owner, sizeof owner, "problem '%s'", name);
    bad_parameters(rep, owner, P->ops->params, problem_attempt, (void *)name);
  }
  {
    hg_error e;
    double keep = theta[0];
    theta[0] = INFINITY;
    int trc = hg_theta_check(P->n_theta, theta, &e);
    theta[0] = keep;
    add(rep, trc != HG_OK, "bad theta: infinite entry", "%s", trc ? e.msg : "accepted");
  }
done:
  free(theta);
  free(theta2);
  hg_problem_destroy(&P);
  hg_problem_destroy(&Q);
  return rc;
}

int hg_selftest_list(FILE *f, const char *method, const char *problem)
{
  for (const hg_entry *m = hg_method_list(); m->name; m++) {
    if (method && strcmp(m->name, method))
      continue;
    for (const hg_entry *p = hg_problem_list(); p->name; p++) {
      hg_error why;
      if (problem && strcmp(p->name, problem))
        continue;
      if (hg_method_applies(p->ops, m->ops, &why))
        fprintf(f, "# n/a %s %s: %s\n", m->name, p->name, why.msg);
      else
        fprintf(f, "method %s %s\n", m->name, p->name);
    }
  }
  for (const hg_entry *p = hg_problem_list(); p->name && !method; p++)
    if (!problem || !strcmp(p->name, problem))
      fprintf(f, "problem %s\n", p->name);
  return HG_OK;
}

/*
 * test_mutation.c -- the verification must catch a method that silently goes wrong.
 *
 * Four deliberately wrong variants, each written the way such bugs are written, replace the
 * real method of the same name in the list handed to hg_verify_with (the test-only hook); the
 * verification must fail a row naming that method on every problem, while the real methods
 * pass.  The variants:
 *   aid-cg   CG whose direction update uses the wrong sign, p = r - beta p;
 *   aid-fp   an AID that drops the d_theta Phi^T v term: ghat = grad_theta E only;
 *   itd      an ITD whose backward loop skips one step (the last, i = t - 1);
 *   neumann  a Neumann series off by one: k terms instead of k + 1.
 *
 * usage: test_mutation
 */
#include "builtin.h" /* testing_register_builtin; hg_cli.h */
#include "common.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

extern const hg_method_ops hg_method_aid_cg, hg_method_aid_fp, hg_method_itd,
    hg_method_neumann;

/* --- aid-cg with a wrong direction update -------------------------------------------------- */

/* CG for (I - J^T) v = gw from v = 0, but p_{j+1} = r_{j+1} - beta p_j (the sign bug). */
static int wrong_cg_solve(hg_problem *P, const hg_aid_solver *S, const double *theta,
                          const double *w, double *gw, double *const *work, const hg_budget *b,
                          hg_ctx *ctx, const double **v_out, int *k_used, hg_error *err)
{
  int n = P->n_w;
  double *v = work[0], *r = work[1], *p = r + n, *Sp = p + n;
  hg_adjoint_op op = {P, w, theta};

  hg_copy(n, gw, r);
  hg_copy(n, gw, p);
  double rr = hg_dot(n, r, r);
  for (int j = 0; j < b->k && rr > 0; j++) {
    hg_adjoint_apply(&op, p, Sp);
    double alpha = rr / hg_dot(n, p, Sp);
    hg_axpy(n, alpha, p, v);
    hg_axpy(n, -alpha, Sp, r);
    double rr_new = hg_dot(n, r, r), beta = rr_new / rr;
    for (int i = 0; i < n; i++)
      p[i] = r[i] - beta * p[i]; /* the bug: + beta p */
    rr = rr_new;
    *k_used = j + 1;
  }
  *v_out = v;
  return HG_OK;
}

static const hg_aid_solver wrong_cg = {.method = "aid-cg", .work = {1, 3},
                                       .solve = wrong_cg_solve};

static int wrong_cg_compute(hg_problem *P, const hg_params *mp, const double *theta,
                            const double *w0, const hg_budget *b, hg_ctx *ctx, hg_out *out,
                            hg_error *err)
{
  return hg_aid_run(P, &wrong_cg, theta, w0, b, ctx, out, err);
}

/* --- aid without the d_theta Phi^T v term ------------------------------------------------- */

static int zero_solve(hg_problem *P, const hg_aid_solver *S, const double *theta,
                      const double *w, double *gw, double *const *work, const hg_budget *b,
                      hg_ctx *ctx, const double **v_out, int *k_used, hg_error *err)
{
  *v_out = work[0]; /* zeroed: the tail adds d_theta Phi^T 0 */
  return HG_OK;
}

static const hg_aid_solver dropped = {.method = "aid-fp", .work = {1, 0}, .solve = zero_solve};

static int dropped_compute(hg_problem *P, const hg_params *mp, const double *theta,
                           const double *w0, const hg_budget *b, hg_ctx *ctx, hg_out *out,
                           hg_error *err)
{
  return hg_aid_run(P, &dropped, theta, w0, b, ctx, out, err);
}

/* --- itd skipping one backward step ------------------------------------------------------- */

/* p = grad_w E(w_t), g = grad_theta E(w_t); for i = t-2 down to 0 (the bug: i = t-1 skipped):
 * g += d_theta Phi(w_i)^T p; p = d_w Phi(w_i)^T p. */
static int short_itd_compute(hg_problem *P, const hg_params *mp, const double *theta,
                             const double *w0, const hg_budget *b, hg_ctx *ctx, hg_out *out,
                             hg_error *err)
{
  int n = P->n_w, m = P->n_theta, rc;
  hg_lower L = {0};
  double *p = NULL, *p_next = NULL, *u = NULL;

  if ((rc = hg_lower_open(&L, "itd", n, b->t + 1, out->w, ctx, err)) ||
      (rc = hg_work(ctx, "itd", (size_t)n, &p, err)) ||
      (rc = hg_work(ctx, "itd", (size_t)n, &p_next, err)) ||
      (rc = hg_work(ctx, "itd", (size_t)m, &u, err)))
    goto done;
  if ((rc = hg_lower_run(&L, P, theta, w0, b->t, 0, NULL, NULL, ctx, err)))
    goto done;
  out->t_used = L.t;
  hg_upper(P, out->w, theta, p, out->grad);
  for (int i = L.t - 2; i >= 0; i--) {
    hg_vjp_theta(P, hg_lower_at(&L, i), theta, p, u);
    hg_axpy(m, 1.0, u, out->grad);
    hg_vjp_w(P, hg_lower_at(&L, i), theta, p, p_next);
    double *swap = p;
    p = p_next;
    p_next = swap;
  }
done:
  hg_free(ctx, u);
  hg_free(ctx, p_next);
  hg_free(ctx, p);
  hg_lower_close(&L, ctx);
  return rc;
}

/* --- neumann with one term too few -------------------------------------------------------- */

static int short_neumann_compute(hg_problem *P, const hg_params *mp, const double *theta,
                                 const double *w0, const hg_budget *b, hg_ctx *ctx, hg_out *out,
                                 hg_error *err)
{
  hg_budget one_less = *b;
  one_less.k = b->k > 0 ? b->k - 1 : 0;
  return hg_method_neumann.compute(P, mp, theta, w0, &one_less, ctx, out, err);
}

typedef struct mutant {
  const char *name;
  const hg_method_ops *real;
  int (*compute)(hg_problem *, const hg_params *, const double *, const double *,
                 const hg_budget *, hg_ctx *, hg_out *, hg_error *);
} mutant;

static const mutant mutants[] = {
  {"aid-cg", &hg_method_aid_cg, wrong_cg_compute},
  {"aid-fp", &hg_method_aid_fp, dropped_compute},
  {"itd", &hg_method_itd, short_itd_compute},
  {"neumann", &hg_method_neumann, short_neumann_compute},
};

/* Verify P with the registry's methods, one of them (name) replaced by ops; the number of
 * failed rows about `name` in *fails_named, all failures in the return value (-1: error). */
static int verify_list(hg_problem *P, const char *name, const hg_method_ops *ops,
                       int *fails_named)
{
  hg_entry list[32];
  int n = 0;
  hg_verify_report rep;
  hg_error err;
  double theta[4096];

  for (const hg_entry *e = hg_method_list(); e->name && n < 31; e++)
    list[n++] = (hg_entry){e->name, name && !strcmp(e->name, name) ? (const void *)ops : e->ops};
  list[n] = (hg_entry){NULL, NULL};
  P->ops->theta0(P->self, theta);
  hg_error_clear(&err);
  if (hg_verify_with(P, theta, list, 0, &rep, &err)) {
    printf("  verify failed to run: %s\n", err.msg);
    return -1;
  }
  *fails_named = 0;
  for (int i = 0; i < rep.nrows; i++)
    if (rep.rows[i].verdict == 0 && name && !strcmp(rep.rows[i].method, name))
      (*fails_named)++;
  int failures = rep.failures;
  hg_verify_release(&rep);
  return failures;
}

int main(void)
{
  testing_register_builtin();
  static const char *const problems[][3] = {
    {"quadratic", "kappa=30", NULL},
    {"ridge", NULL, NULL},
    {"logreg", "density=0.5", NULL},
  };
  int passed = 0, failed = 0;

  for (size_t p = 0; p < sizeof problems / sizeof problems[0]; p++) {
    hg_problem *P = NULL;
    hg_error err;
    int nw = problems[p][1] ? 1 : 0, named;
    hg_error_clear(&err);
    if (hg_problem_create(problems[p][0], nw, &problems[p][1], &P, &err)) {
      printf("FAIL %s: %s\n", problems[p][0], err.msg);
      failed++;
      continue;
    }
    int base = verify_list(P, NULL, NULL, &named);
    int ok = base == 0;
    printf("%s %-10s the real methods verify cleanly (%d failures)\n", ok ? "PASS" : "FAIL",
           problems[p][0], base);
    ok ? passed++ : failed++;
    for (size_t i = 0; i < sizeof mutants / sizeof mutants[0]; i++) {
      hg_method_ops wrong = *mutants[i].real;
      wrong.compute = mutants[i].compute;
      int all = verify_list(P, mutants[i].name, &wrong, &named);
      ok = all > 0 && named > 0;
      printf("%s %-10s wrong %-8s caught: %d failed rows name it (%d failures in all)\n",
             ok ? "PASS" : "FAIL", problems[p][0], mutants[i].name, named, all);
      ok ? passed++ : failed++;
    }
    hg_problem_destroy(&P);
  }
  printf("%d passed, %d failed\n", passed, failed);
  return failed != 0;
}

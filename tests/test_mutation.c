/*
 * test_mutation.c -- the verification must catch a method that silently goes wrong.
 *
 * For every registered method but the stochastic one, a deliberately wrong variant written the
 * way such bugs are written is run through verify's rows for that method
 * (hg_verify_method: its convergence or bias row, its own identities, its bounds and rates),
 * on the problems listed with it; a row naming the method must fail there, while the real
 * method's rows all pass.  The variants:
 *   exact          the first entry of the hypergradient with the wrong sign;
 *   itd            a backward loop that skips one step (the last, i = t - 1);
 *   itd-forward    one lower step too few (t - 1) while reporting t;
 *   tbptt          one backward step too few (K - 1);
 *   aid-fp         the d_theta Phi^T v term dropped: ghat = grad_theta E only;
 *   aid-cg         CG whose direction update uses the wrong sign, p = r - beta p;
 *   aid-cg-normal  the last product dropped: v = y instead of (I - d_w Phi) y;
 *   aid-gmres      GMRES on the untransposed system (I - d_w Phi) v = grad_w E (a transpose
 *                  forgotten: invisible on a symmetric problem, so run on equilibrium);
 *   neumann        a series off by one: k terms instead of k + 1;
 *   jfb            the adjoint with the wrong sign, v = -grad_w E;
 *   piggyback      the d_theta prox terms of the adjoint forgotten;
 *   fd             the central difference divided by h instead of 2h.
 * The stochastic method (sid), which verify reports without a grade, has its variant caught
 * by its own test (tests/test_sid.c: full batches must converge to exact).
 *
 * usage: test_mutation
 */
#include "builtin.h" /* testing_register_builtin; hg_cli.h */
#include "common.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const hg_method_ops hg_method_aid_cg, hg_method_aid_fp, hg_method_itd,
    hg_method_neumann, hg_method_exact, hg_method_itd_forward, hg_method_tbptt,
    hg_method_aid_cg_normal, hg_method_aid_gmres, hg_method_jfb, hg_method_piggyback,
    hg_method_fd;

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

/* --- exact with a sign error in the first entry ------------------------------------------- */

static int signed_exact_compute(hg_problem *P, const hg_params *mp, const double *theta,
                                const double *w0, const hg_budget *b, hg_ctx *ctx, hg_out *out,
                                hg_error *err)
{
  int rc = hg_method_exact.compute(P, mp, theta, w0, b, ctx, out, err);
  out->grad[0] = -out->grad[0];
  return rc;
}

/* --- itd-forward one lower step short ----------------------------------------------------- */

static int short_forward_compute(hg_problem *P, const hg_params *mp, const double *theta,
                                 const double *w0, const hg_budget *b, hg_ctx *ctx, hg_out *out,
                                 hg_error *err)
{
  hg_budget one_less = *b;
  one_less.t = b->t > 0 ? b->t - 1 : 0;
  int rc = hg_method_itd_forward.compute(P, mp, theta, w0, &one_less, ctx, out, err);
  out->t_used = b->t;
  return rc;
}

/* --- tbptt one backward step short -------------------------------------------------------- */

static int short_tbptt_compute(hg_problem *P, const hg_params *mp, const double *theta,
                               const double *w0, const hg_budget *b, hg_ctx *ctx, hg_out *out,
                               hg_error *err)
{
  hg_budget one_less = *b;
  one_less.K = b->K > 1 ? b->K - 1 : 0;
  return hg_method_tbptt.compute(P, mp, theta, w0, &one_less, ctx, out, err);
}

/* --- aid-cg-normal without the last product ------------------------------------------------ */

/* S y = (I - J^T)(I - J) y; u scratch. */
typedef struct normal_op {
  hg_adjoint_op A;
  double *u;
} normal_op;

static void normal_apply(void *ctx, const double *y, double *out)
{
  normal_op *S = ctx;
  hg_adjoint_apply_t(&S->A, y, S->u);
  hg_adjoint_apply(&S->A, S->u, out);
}

/* CG on the normal equations, then v = y (the bug: v = (I - J) y). */
static int no_tail_solve(hg_problem *P, const hg_aid_solver *S, const double *theta,
                         const double *w, double *gw, double *const *work, const hg_budget *b,
                         hg_ctx *ctx, const double **v_out, int *k_used, hg_error *err)
{
  const int n = P->n_w;
  normal_op op = {.A = {.P = P, .w = w, .theta = theta}, .u = work[0] + n};
  int rc = hg_cg(n, normal_apply, &op, gw, work[0], b->k, b->tol_linear, work[1], k_used, NULL,
                 err);
  *v_out = work[0];
  return rc;
}

static const hg_aid_solver no_tail = {.method = "aid-cg-normal", .work = {2, 3},
                                      .solve = no_tail_solve};

static int no_tail_compute(hg_problem *P, const hg_params *mp, const double *theta,
                           const double *w0, const hg_budget *b, hg_ctx *ctx, hg_out *out,
                           hg_error *err)
{
  return hg_aid_run(P, &no_tail, theta, w0, b, ctx, out, err);
}

/* --- aid-gmres on the untransposed system ------------------------------------------------- */

/* GMRES for (I - J) v = gw: the transpose forgotten (hg_adjoint_apply_t instead of
 * hg_adjoint_apply). */
static int untransposed_solve(hg_problem *P, const hg_aid_solver *S, const double *theta,
                              const double *w, double *gw, double *const *work,
                              const hg_budget *b, hg_ctx *ctx, const double **v_out,
                              int *k_used, hg_error *err)
{
  const int n = P->n_w;
  hg_adjoint_op op = {.P = P, .w = w, .theta = theta};
  int rc = hg_gmres(n, hg_adjoint_apply_t, &op, gw, work[0], b->k, 20, b->tol_linear, work[1],
                    k_used, NULL, err);
  *v_out = work[0];
  return rc;
}

static hg_aid_solver untransposed = {.method = "aid-gmres", .work = {1, 0},
                                     .solve = untransposed_solve};

static int untransposed_compute(hg_problem *P, const hg_params *mp, const double *theta,
                                const double *w0, const hg_budget *b, hg_ctx *ctx, hg_out *out,
                                hg_error *err)
{
  hg_aid_solver S = untransposed;
  S.extra[1] = hg_gmres_work(P->n_w, 20);
  return hg_aid_run(P, &S, theta, w0, b, ctx, out, err);
}

/* --- jfb with the adjoint's sign flipped -------------------------------------------------- */

static int negated_solve(hg_problem *P, const hg_aid_solver *S, const double *theta,
                         const double *w, double *gw, double *const *work, const hg_budget *b,
                         hg_ctx *ctx, const double **v_out, int *k_used, hg_error *err)
{
  for (int i = 0; i < P->n_w; i++)
    gw[i] = -gw[i];
  *v_out = gw;
  *k_used = 0;
  return HG_OK;
}

static const hg_aid_solver negated = {.method = "jfb", .work = {0, 0}, .solve = negated_solve};

static int negated_compute(hg_problem *P, const hg_params *mp, const double *theta,
                           const double *w0, const hg_budget *b, hg_ctx *ctx, hg_out *out,
                           hg_error *err)
{
  return hg_aid_run(P, &negated, theta, w0, b, ctx, out, err);
}

/* --- piggyback forgetting the d_theta prox terms ------------------------------------------ */

/* The real piggyback on a view of the problem whose d_theta prox products are absent: what a
 * piggyback that never adds d_theta prox(.)^T s computes. */
static int no_prox_theta_compute(hg_problem *P, const hg_params *mp, const double *theta,
                                 const double *w0, const hg_budget *b, hg_ctx *ctx,
                                 hg_out *out, hg_error *err)
{
  const hg_problem_ops *real = P->ops;
  hg_problem_ops ops = *real;
  hg_saddle_ops saddle = *real->saddle;
  saddle.prox_G_vjp_theta = NULL;
  saddle.prox_F_vjp_theta = NULL;
  ops.saddle = &saddle;
  P->ops = &ops;
  int rc = hg_method_piggyback.compute(P, mp, theta, w0, b, ctx, out, err);
  P->ops = real;
  return rc;
}

/* --- fd divided by h instead of 2h -------------------------------------------------------- */

static int half_step_fd_compute(hg_problem *P, const hg_params *mp, const double *theta,
                                const double *w0, const hg_budget *b, hg_ctx *ctx, hg_out *out,
                                hg_error *err)
{
  int rc = hg_method_fd.compute(P, mp, theta, w0, b, ctx, out, err);
  for (int i = 0; i < P->n_theta; i++)
    out->grad[i] *= 2;
  return rc;
}

typedef struct mutant {
  const char *name;
  const hg_method_ops *real;
  int (*compute)(hg_problem *, const hg_params *, const double *, const double *,
                 const hg_budget *, hg_ctx *, hg_out *, hg_error *);
  const char *problems[3][3]; /* problem name and up to two words, each */
} mutant;

#define QUAD {"quadratic", "kappa=30", NULL}
#define RIDGE {"ridge", NULL, NULL}
#define LOGREG {"logreg", "density=0.5", NULL}
#define EQUIL {"equilibrium", NULL, NULL}
#define PD {"denoise-tv-pd", "size=8", "n_images=1"}

static const mutant mutants[] = {
  {"exact", &hg_method_exact, signed_exact_compute, {QUAD, RIDGE}},
  {"itd", &hg_method_itd, short_itd_compute, {QUAD, RIDGE, LOGREG}},
  {"itd-forward", &hg_method_itd_forward, short_forward_compute, {QUAD, RIDGE, LOGREG}},
  /* not on ridge, logreg or kernel-ridge: there d_theta Phi(w_0 = 0) = 0, so the backward
   * step the variant drops (i = 0) contributes nothing at K = t */
  {"tbptt", &hg_method_tbptt, short_tbptt_compute, {QUAD, {"biased-reg", NULL, NULL}}},
  {"aid-fp", &hg_method_aid_fp, dropped_compute, {QUAD, RIDGE, LOGREG}},
  {"aid-cg", &hg_method_aid_cg, wrong_cg_compute, {QUAD, RIDGE, LOGREG}},
  {"aid-cg-normal", &hg_method_aid_cg_normal, no_tail_compute, {QUAD, RIDGE, EQUIL}},
  {"aid-gmres", &hg_method_aid_gmres, untransposed_compute, {EQUIL}},
  {"neumann", &hg_method_neumann, short_neumann_compute, {QUAD, RIDGE, LOGREG}},
  {"jfb", &hg_method_jfb, negated_compute, {QUAD, RIDGE, LOGREG}},
  {"piggyback", &hg_method_piggyback, no_prox_theta_compute, {PD}},
  {"fd", &hg_method_fd, half_step_fd_compute, {QUAD, RIDGE}},
};

/* verify's rows for method `name` with ops M on P at theta0: the number of failed rows. */
static int failed_rows(hg_problem *P, const char *name, const hg_method_ops *M, int *rows)
{
  hg_verify_report rep;
  hg_error err;
  double *theta = malloc((size_t)P->n_theta * sizeof *theta);
  int failures = -1;

  P->ops->theta0(P->self, theta);
  hg_error_clear(&err);
  if (hg_verify_method(P, theta, name, M, 0, &rep, &err) == HG_OK) {
    failures = rep.failures;
    *rows = rep.nrows;
  } else {
    printf("  verify failed to run: %s\n", err.msg);
  }
  hg_verify_release(&rep);
  free(theta);
  return failures;
}

int main(void)
{
  int passed = 0, failed = 0;
  size_t covered = 0, methods = 0;

  testing_register_builtin();
  for (size_t i = 0; i < sizeof mutants / sizeof mutants[0]; i++) {
    for (int p = 0; p < 3 && mutants[i].problems[p][0]; p++) {
      const char *const *words = &mutants[i].problems[p][1];
      int nw = words[0] ? (words[1] ? 2 : 1) : 0, rows = 0, rows_real = 0;
      hg_problem *P = NULL;
      hg_error err;
      hg_error_clear(&err);
      if (hg_problem_create(mutants[i].problems[p][0], nw, words, &P, &err)) {
        printf("FAIL %s: %s\n", mutants[i].problems[p][0], err.msg);
        failed++;
        continue;
      }
      hg_method_ops wrong = *mutants[i].real;
      wrong.compute = mutants[i].compute;
      int real = failed_rows(P, mutants[i].name, mutants[i].real, &rows_real);
      int bad = failed_rows(P, mutants[i].name, &wrong, &rows);
      int ok = real == 0 && bad > 0;
      printf("%s %-14s on %-13s the real one passes its %d rows (%d fail); the wrong one fails "
             "%d of %d\n", ok ? "PASS" : "FAIL", mutants[i].name, mutants[i].problems[p][0],
             rows_real, real, bad, rows);
      ok ? passed++ : failed++;
      hg_problem_destroy(&P);
    }
  }
  /* every registered method has a variant here, but the stochastic ones (their own tests) */
  for (const hg_entry *e = hg_method_list(); e->name; e++) {
    const hg_method_ops *M = e->ops;
    if (M->stochastic)
      continue;
    methods++;
    for (size_t i = 0; i < sizeof mutants / sizeof mutants[0]; i++)
      covered += !strcmp(mutants[i].name, e->name);
  }
  int all = covered == methods;
  printf("%s every deterministic method has a wrong variant here (%zu of %zu)\n",
         all ? "PASS" : "FAIL", covered, methods);
  all ? passed++ : failed++;
  printf("%d passed, %d failed\n", passed, failed);
  return failed != 0;
}

/*
 * test_biased_reg_poison.c -- the problem plugins biased-reg and poison against references
 * built from their ops alone (DESIGN §3, §7):
 *
 *   - the identity of DESIGN §7 for Phi affine in w with d_theta Phi independent of w
 *     (biased-reg, loss=squared): itd(t) = aid-fp(t, k = t) for t = 1, 5, 30, 100, to 1e-12
 *     relative (the same sum sum_{j<t} (d_w Phi^T)^j grad_w E, accumulated in another order:
 *     round-off only); with loss=logistic (Phi not affine) the two differ by more than 1e-6, so
 *     the check can fail;
 *   - exact against a dense reference: the Hessian H = (I - d_w Phi(w*)) / eta rebuilt column
 *     by column from jvp_w, grad f = d_theta Phi^T (eta H)^{-1} grad_w E (+ grad_theta E) by
 *     LAPACK's dposv; both are direct solves accurate to ~kappa 1e-16, so 1e-9 relative;
 *   - constants: mu <= lambda_min(H(w)) and L >= lambda_max(H(w)) at w*, 0 and a far random w
 *     (equal to 1e-10 where the plugin says they are exact: biased-reg squared); poison's L at a
 *     large theta bounds the Hessian there, which L(theta0) does not (it is computed with the
 *     perturbed points);
 *   - the Lipschitz constants nu1, nu2, mu1 (and mu2 = 0) hold on 20 seeded pairs (w, w'):
 *     anywhere (16 near, 4 far apart) for the global ones, and for poison's nu2 inside the ball
 *     ||w - w*|| <= ||w*|| it is stated for (zero constants demand equal products);
 *   - poison's project op: each block of theta onto the ball ||theta_i|| <= radius, idempotent;
 *     labels of files mapped to classes (2, 5, 7 -> 3 classes);
 *   - the Newton driver they share (newton.h) on g(x) = 1/2 x^T A x - b^T x, A diagonal: with
 *     directions carrying an alternating error of 1e-10 (a rounding floor that ||dx|| cannot go
 *     below) it stops by the floor rule after a full step instead of failing at 100
 *     iterations, x within 1e-9 of A^{-1} b; with half Newton steps (an inexact direction,
 *     ||dx|| halving) and gtol = 1e-6 it stops once ||grad|| <= 1e-6 ||grad(0)|| and not later
 *     than ||grad|| <= 1e-9 ||grad(0)|| (the check fails if gtol were ignored).
 *
 * One line per check; exit status non-zero when any check fails.
 * usage: test_biased_reg_poison DIR   (DIR holds poison.train.csv and poison.val.csv)
 */
#include "hg_cli.h"
#include "newton.h"
#include "testing.h"

#include <lapacke.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A problem from a NULL-terminated word list, with a label "name w1 w2 .." (NULL and a FAIL
 * line on error). */
static hg_problem *make(const char *name, const char *const *words, char *label, size_t len)
{
  int n = 0;
  size_t used = (size_t)snprintf(label, len, "%s", name);
  hg_problem *P = NULL;
  hg_error err;

  while (words[n]) {
    used += (size_t)snprintf(label + used, used < len ? len - used : 0, " %s", words[n]);
    n++;
  }
  hg_error_clear(&err);
  if (hg_problem_create(name, n, words, &P, &err) != HG_OK)
    check(0, "%s: create failed: %s", label, err.msg);
  return P;
}

/* x = scale * (a seeded standard normal vector, normalized when unit). */
static void draw(hg_rng *rng, int n, double scale, int unit, double *x)
{
  for (int i = 0; i < n; i++)
    x[i] = hg_rng_normal(rng);
  const double s = unit ? scale / hg_nrm2(n, x) : scale;
  for (int i = 0; i < n; i++)
    x[i] *= s;
}

/* ------------------------------------------------------------------------------------------ */
/* The identity of DESIGN §7                                                                   */
/* ------------------------------------------------------------------------------------------ */

/* ||itd(t) - aid-fp(t, k = t)|| / ||aid-fp(t, k = t)|| at theta0 (NAN on a failed run). */
static double itd_vs_aid(hg_problem *P, int t)
{
  double *theta = calloc((size_t)P->n_theta, sizeof(double)), diff = NAN;
  hg_run a = {0}, b = {0};
  hg_run_opts o = {0};
  hg_budget bu;
  hg_error err;

  hg_budget_default(&bu);
  bu.t = bu.k = t;
  hg_error_clear(&err);
  if (theta) {
    P->ops->theta0(P->self, theta);
    if (hg_hypergrad(P, "itd", 0, NULL, theta, &bu, &o, &a, &err) == HG_OK &&
        hg_hypergrad(P, "aid-fp", 0, NULL, theta, &bu, &o, &b, &err) == HG_OK)
      diff = rel_diff(P->n_theta, a.grad, b.grad);
    else
      printf("     (run failed: %s)\n", err.msg);
  }
  hg_run_release(&a);
  hg_run_release(&b);
  free(theta);
  return diff;
}

static void test_identity(void)
{
  static const char *const squared[] = {NULL};
  static const char *const wide[] = {"tasks=3", "d=20", "n=10", "beta=0.5", "seed=4", NULL};
  static const char *const logistic[] = {"loss=logistic", NULL};
  static const int ts[] = {1, 5, 30, 100};
  const char *const *cases[] = {squared, wide};
  char label[256];

  for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
    hg_problem *P = make("biased-reg", cases[c], label, sizeof label);
    if (!P)
      continue;
    for (size_t i = 0; i < sizeof ts / sizeof *ts; i++) {
      const double e = itd_vs_aid(P, ts[i]);
      check(e <= 1e-12, "%s: itd(t = %d) = aid-fp(t = %d, k = %d), Phi affine in w (rel diff "
            "%.2e <= 1e-12)", label, ts[i], ts[i], ts[i], e);
    }
    hg_problem_destroy(&P);
  }
  hg_problem *P = make("biased-reg", logistic, label, sizeof label);
  if (P) {
    const double e = itd_vs_aid(P, 5);
    check(e > 1e-6, "%s: itd(t = 5) differs from aid-fp(t = 5, k = 5), Phi not affine (rel diff "
          "%.2e > 1e-6)", label, e);
  }
  hg_problem_destroy(&P);
}

/* ------------------------------------------------------------------------------------------ */
/* The Newton driver (newton.h)                                                                */
/* ------------------------------------------------------------------------------------------ */

#define NT_N 4

/* g(x) = 1/2 x^T diag(a) x - b^T x, with a direction that is Newton's times `scale` plus
 * (-1)^k noise (k: the direction's call count). */
typedef struct newton_test {
  double a[NT_N], b[NT_N];
  double scale, noise;
  int calls;
} newton_test;

static double nt_f(void *ctx, const double *x, double *grad)
{
  const newton_test *T = ctx;
  double g = 0;

  for (int i = 0; i < NT_N; i++) {
    g += 0.5 * T->a[i] * x[i] * x[i] - T->b[i] * x[i];
    if (grad)
      grad[i] = T->a[i] * x[i] - T->b[i];
  }
  return g;
}

static int nt_direction(void *ctx, const double *x, const double *grad, double *dx,
                        hg_error *err)
{
  newton_test *T = ctx;
  const double sign = T->calls++ % 2 ? -1.0 : 1.0;

  for (int i = 0; i < NT_N; i++)
    dx[i] = -T->scale * grad[i] / T->a[i] + sign * T->noise;
  return HG_OK;
}

static void test_newton(void)
{
  newton_test T = {{1.0, 3.0, 10.0, 100.0}, {1.0, -2.0, 0.5, 4.0}, 1.0, 1e-10, 0};
  double x[NT_N] = {0}, grad[NT_N], work[HG_NEWTON_WORK(NT_N)], xstar[NT_N];
  hg_error err;
  int status;

  for (int i = 0; i < NT_N; i++)
    xstar[i] = T.b[i] / T.a[i];
  const hg_newton_ops floor_ops = {.f = nt_f, .direction = nt_direction};
  hg_error_clear(&err);
  status = hg_newton("newton test", NT_N, &floor_ops, &T, x, work, &err);
  check(status == HG_OK && dist(NT_N, x, xstar) <= 1e-9, "newton: the rounding floor (dx off by "
        "+-1e-10) stops after a full step, %d directions, |x - x*| = %.2e <= 1e-9 (%s)", T.calls,
        dist(NT_N, x, xstar), status == HG_OK ? "ok" : err.msg);

  const hg_newton_ops gtol_ops = {.f = nt_f, .direction = nt_direction, .gtol = 1e-6};
  newton_test H = {{1.0, 3.0, 10.0, 100.0}, {1.0, -2.0, 0.5, 4.0}, 0.5, 0.0, 0};
  double grad0[NT_N];
  for (int i = 0; i < NT_N; i++)
    x[i] = 0.0;
  nt_f(&H, x, grad0);
  hg_error_clear(&err);
  status = hg_newton("newton test", NT_N, &gtol_ops, &H, x, work, &err);
  nt_f(&H, x, grad);
  const double ratio = hg_nrm2(NT_N, grad) / hg_nrm2(NT_N, grad0);
  check(status == HG_OK && ratio <= 1e-6 && ratio > 1e-9, "newton: half steps with gtol = 1e-6 "
        "stop at ||grad|| / ||grad(0)|| = %.2e in (1e-9, 1e-6] after %d directions (%s)", ratio,
        H.calls, status == HG_OK ? "ok" : err.msg);
}

/* ------------------------------------------------------------------------------------------ */
/* Dense references from the ops                                                               */
/* ------------------------------------------------------------------------------------------ */

/* Work space for one problem: vectors of n_w and n_theta. */
typedef struct probe {
  hg_problem *P;
  double *w, *w2, *v, *a, *b, *theta, *u, *ta, *tb, *wstar, *grad, *ref;
} probe;

static int probe_open(probe *Q, hg_problem *P)
{
  const size_t n = (size_t)P->n_w, m = (size_t)P->n_theta;

  memset(Q, 0, sizeof *Q);
  Q->P = P;
  double **vn[] = {&Q->w, &Q->w2, &Q->v, &Q->a, &Q->b, &Q->wstar};
  double **vm[] = {&Q->theta, &Q->u, &Q->ta, &Q->tb, &Q->grad, &Q->ref};
  int ok = 1;
  for (size_t k = 0; k < sizeof vn / sizeof *vn; k++)
    ok &= (*vn[k] = calloc(n, sizeof(double))) != NULL;
  for (size_t k = 0; k < sizeof vm / sizeof *vm; k++)
    ok &= (*vm[k] = calloc(m, sizeof(double))) != NULL;
  if (!ok)
    check(0, "%s: out of memory", P->ops->name);
  return ok;
}

static void probe_close(probe *Q)
{
  double *all[] = {Q->w, Q->w2, Q->v, Q->a, Q->b, Q->theta, Q->u, Q->ta, Q->tb, Q->wstar,
                   Q->grad, Q->ref};
  for (size_t k = 0; k < sizeof all / sizeof *all; k++)
    free(all[k]);
  memset(Q, 0, sizeof *Q);
}

/* Q->ref = grad_theta E(w*) + d_theta Phi(w*)^T (eta H(w*))^{-1} grad_w E(w*), H from jvp_w
 * and LAPACK's dposv (DESIGN §1). */
static int reference(probe *Q, double eta)
{
  hg_problem *P = Q->P;
  const int n = P->n_w;

  double *H = hessian_from_jvp(P, Q->wstar, Q->theta, eta);

  hg_upper(P, Q->wstar, Q->theta, Q->v, Q->ref);
  const int ok = H && LAPACKE_dposv(LAPACK_ROW_MAJOR, 'U', n, 1, H, n, Q->v, 1) == 0;
  free(H);
  if (!ok)
    return 0;
  hg_vjp_theta(P, Q->wstar, Q->theta, Q->v, Q->ta);
  hg_axpy(P->n_theta, 1.0 / eta, Q->ta, Q->ref);
  return 1;
}

/* Largest ratio, over 20 seeded pairs (w, w'), of the change of a w-dependent quantity to its
 * constant times ||w - w'|| (what: 0 d_w Phi v for unit v random and along w - w', 1 d_theta
 * Phi u, 2 grad_w E, 3 grad_theta E); pairs anywhere (16 at scale 1, 4 far apart at scale 30)
 * or, ball, in ||w - w*|| <= ||w*||.  *exceed counts pairs over bound (1 + 1e-12); a zero
 * bound gives an infinite ratio unless the products are equal. */
static double lipschitz(probe *Q, int what, double bound, int ball, uint64_t seed, int *exceed)
{
  hg_problem *P = Q->P;
  const int n = P->n_w, m = P->n_theta;
  const double R = hg_nrm2(n, Q->wstar);
  double worst = 0;
  hg_rng rng;

  *exceed = 0;
  hg_rng_seed(&rng, seed);
  for (int pair = 0; pair < 20; pair++) {
    const int far = !ball && pair >= 16;
    for (int s = 0; s < 2; s++) {
      double *x = s ? Q->w2 : Q->w;
      if (ball) {
        draw(&rng, n, R * hg_rng_uniform(&rng), 1, x);
        hg_axpy(n, 1.0, Q->wstar, x);
      } else {
        draw(&rng, n, far ? 30.0 : 1.0, 0, x);
      }
    }
    const double dw = dist(n, Q->w, Q->w2);
    double r = 0;
    if (what == 0) {
      for (int dir = 0; dir < 2; dir++) {
        if (dir == 0) {
          draw(&rng, n, 1.0, 1, Q->v);
        } else {
          for (int i = 0; i < n; i++)
            Q->v[i] = (Q->w[i] - Q->w2[i]) / dw;
        }
        hg_jvp_w(P, Q->w, Q->theta, Q->v, Q->a);
        hg_jvp_w(P, Q->w2, Q->theta, Q->v, Q->b);
        r = fmax(r, dist(n, Q->a, Q->b));
      }
    } else if (what == 1) {
      draw(&rng, m, 1.0, 1, Q->u);
      hg_jvp_theta(P, Q->w, Q->theta, Q->u, Q->a);
      hg_jvp_theta(P, Q->w2, Q->theta, Q->u, Q->b);
      r = dist(n, Q->a, Q->b);
    } else {
      hg_upper(P, Q->w, Q->theta, Q->a, Q->ta);
      hg_upper(P, Q->w2, Q->theta, Q->b, Q->tb);
      r = what == 2 ? dist(n, Q->a, Q->b) : dist(m, Q->ta, Q->tb);
    }
    *exceed += !(r <= bound * dw * (1 + 1e-12));
    worst = fmax(worst, bound > 0 ? r / (bound * dw) : r > 0 ? INFINITY : 0);
  }
  return worst;
}

/* exact vs the dense reference, mu and L against the Hessian, the Lipschitz constants. */
static void test_problem(const char *name, const char *const *words, uint64_t seed)
{
  char label[512];
  hg_problem *P = make(name, words, label, sizeof label);
  probe Q;
  hg_constants k;
  hg_error err;

  if (!P || !probe_open(&Q, P))
    goto done;
  const int n = P->n_w;
  P->ops->theta0(P->self, Q.theta);
  hg_error_clear(&err);
  if (hg_exact(P, Q.theta, Q.wstar, Q.grad, &err) != HG_OK ||
      hg_problem_constants(P, Q.theta, &k, &err) != HG_OK) {
    check(0, "%s: exact or constants failed: %s", label, err.msg);
    goto done;
  }

  if (reference(&Q, k.step)) {
    const double e = rel_diff(P->n_theta, Q.grad, Q.ref);
    check(e <= 1e-9, "%s: exact = dense reference d_theta Phi^T (eta H)^{-1} grad_w E (rel diff "
          "%.2e <= 1e-9)", label, e);
  } else {
    check(0, "%s: the Hessian from jvp_w is not positive definite", label);
  }

  /* mu, L against the Hessian at w*, 0 and a far point */
  double lo_all = INFINITY, hi_all = 0, lo = 0, hi = 0;
  int eig_ok = 1;
  hg_rng rng;
  hg_rng_seed(&rng, seed);
  for (int pt = 0; pt < 3; pt++) {
    if (pt == 0)
      hg_copy(n, Q.wstar, Q.w);
    else
      draw(&rng, n, pt == 1 ? 0.0 : 10.0, 0, Q.w);
    double *H = hessian_from_jvp(P, Q.w, Q.theta, k.step);
    eig_ok &= H && hg_sym_extremes(n, H, &lo, &hi, &err) == HG_OK;
    free(H);
    lo_all = fmin(lo_all, lo);
    hi_all = fmax(hi_all, hi);
  }
  if (k.exact_mu_L)
    check(eig_ok && fabs(k.mu - lo_all) <= 1e-10 * k.L && fabs(k.L - hi_all) <= 1e-10 * k.L,
          "%s: mu = %.12g, L = %.12g are the Hessian's extremes %.12g, %.12g (1e-10)", label,
          k.mu, k.L, lo_all, hi_all);
  else
    check(eig_ok && k.mu <= lo_all * (1 + 1e-12) && k.L >= hi_all * (1 - 1e-12),
          "%s: bounds mu = %.10g <= %.10g, L = %.10g >= %.10g (Hessian at w*, 0, far)", label,
          k.mu, lo_all, k.L, hi_all);
  check(k.q < 1 && fabs(k.q - fmax(fabs(1 - k.step * k.mu), fabs(1 - k.step * k.L))) <= 1e-15,
        "%s: q = %.6f = max(|1 - eta mu|, |1 - eta L|) < 1", label, k.q);

  /* Lipschitz constants in w: global (anywhere), poison's nu2 on the ball around w* */
  static const char *const what[4] = {"nu1 (d_w Phi)", "nu2 (d_theta Phi)", "mu1 (grad_w E)",
                                      "mu2 (grad_theta E)"};
  const double bound[4] = {k.nu1, k.nu2, k.mu1, k.mu2};
  const int ball_nu2 = strcmp(name, "poison") == 0;
  for (int q = 0; q < 4; q++) {
    int exceed = 0;
    const int ball = q == 1 && ball_nu2;
    const double worst = lipschitz(&Q, q, bound[q], ball, seed + (uint64_t)q, &exceed);
    check(isfinite(bound[q]) && exceed == 0, "%s: %s = %.6g holds on 20 pairs%s (largest ratio "
          "%.4g)", label, what[q], bound[q], ball ? " in ||w - w*|| <= ||w*||" : "", worst);
  }

done:
  if (P)
    probe_close(&Q);
  hg_problem_destroy(&P);
}

/* ------------------------------------------------------------------------------------------ */
/* poison: L at a large theta, the projection, the classes of files                            */
/* ------------------------------------------------------------------------------------------ */

static void test_poison(const char *dir)
{
  static const char *const none[] = {NULL};
  char label[512], train[1024], val[1024];
  hg_problem *P = make("poison", none, label, sizeof label);
  probe Q;
  hg_constants k0, k;
  hg_error err;

  if (!P || !probe_open(&Q, P))
    goto files;
  const int n = P->n_w, m = P->n_theta, d = 5;
  double lo = 0, hi = 0;

  /* every poisoned point moved by 8 e_1: the Hessian at W = 0 grows past L(theta0) */
  P->ops->theta0(P->self, Q.theta);
  hg_error_clear(&err);
  int rc = hg_problem_constants(P, Q.theta, &k0, &err);
  for (int j = 0; j < m; j++)
    Q.theta[j] = j % d == 0 ? 8.0 : 0.0;
  if (rc == HG_OK)
    rc = hg_problem_constants(P, Q.theta, &k, &err);
  if (rc == HG_OK) {
    hg_zero(n, Q.w);
    double *H = hessian_from_jvp(P, Q.w, Q.theta, k.step);
    rc = H ? hg_sym_extremes(n, H, &lo, &hi, &err) : HG_ERR_NOMEM;
    free(H);
  }
  check(rc == HG_OK && k.L >= hi && hi > k0.L, "%s: at theta_i = 8 e_1, L(theta) = %.6g >= "
        "lambda_max(H(theta, 0)) = %.6g > L(theta0) = %.6g (computed at the perturbed points)",
        label, k.L, hi, k0.L);

  /* the projection onto ||theta_i|| <= radius = 1 */
  hg_rng rng;
  hg_rng_seed(&rng, 5);
  draw(&rng, m, 1.0, 0, Q.theta);
  for (int j = 0; j < d; j++) {
    Q.theta[j] *= 3.0 / hg_nrm2(d, Q.theta); /* block 0: norm 3 */
  }
  double nrm1 = hg_nrm2(d, Q.theta + d);
  for (int j = 0; j < d; j++)
    Q.theta[d + j] *= 0.5 / nrm1; /* block 1: norm 0.5 */
  hg_copy(m, Q.theta, Q.u);
  double worst_norm = 0, worst_dir = 0, again = NAN;
  const int has = P->ops->project != NULL;
  if (has) {
    P->ops->project(P->self, Q.theta);
    hg_copy(m, Q.theta, Q.ta);
    P->ops->project(P->self, Q.ta);
    again = rel_diff(m, Q.ta, Q.theta);
    for (int i = 0; i < m / d; i++) {
      const double *before = Q.u + (size_t)i * d, *after = Q.theta + (size_t)i * d;
      const double nb = hg_nrm2(d, before), na = hg_nrm2(d, after);
      worst_norm = fmax(worst_norm, fabs(na - fmin(nb, 1.0)));
      worst_dir = fmax(worst_dir, fabs(hg_dot(d, before, after) / (nb * na) - 1));
    }
  }
  check(has && worst_norm <= 1e-15 && worst_dir <= 1e-15 && again <= 1e-15 &&
            rel_diff(d, Q.theta + d, Q.u + d) == 0,
        "%s: project: each theta_i onto ||theta_i|| <= 1 (norm 3 -> 1, 0.5 kept exactly; norms "
        "off by %.1e, directions by %.1e <= 1e-15), idempotent (%.1e <= 1e-15)", label,
        worst_norm, worst_dir, again);

files:
  if (P)
    probe_close(&Q);
  hg_problem_destroy(&P);
  snprintf(train, sizeof train, "train=%s/poison.train.csv", dir);
  snprintf(val, sizeof val, "val=%s/poison.val.csv", dir);
  const char *files[] = {train, val, "fraction=0.2", NULL};
  P = make("poison", files, label, sizeof label);
  if (P)
    check(P->n_w == 3 * 4 && P->n_theta == 6 * 4, "poison on poison.{train,val}.csv: labels "
          "2, 5, 7 are C = 3 classes, d = 4: n_w = %d (12), n_theta = %d (round(0.2 30) 4 = 24)",
          P->n_w, P->n_theta);
  hg_problem_destroy(&P);
  test_problem("poison", files, 31);
}

int main(int argc, char **argv)
{
  testing_register_builtin();
  static const char *const none[] = {NULL};
  static const char *const logistic[] = {"loss=logistic", NULL};
  static const char *const wide[] = {"tasks=3", "d=20", "n=10", "beta=0.5", "seed=4", NULL};
  static const char *const poison2[] = {"fraction=0.25", "lambda=0.3", "intercept=1", "seed=3",
                                        NULL};

  if (argc < 2) {
    fprintf(stderr, "usage: %s DIR (holding poison.train.csv, poison.val.csv)\n", argv[0]);
    return 2;
  }
  test_identity();
  test_newton();
  test_problem("biased-reg", none, 1);
  test_problem("biased-reg", logistic, 2);
  test_problem("biased-reg", wide, 3);
  test_problem("poison", none, 4);
  test_problem("poison", poison2, 5);
  test_poison(argv[1]);
  printf("%d checks, %d failed\n", checks, failures);
  return failures != 0;
}

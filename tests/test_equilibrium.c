/*
 * test_equilibrium.c -- the equilibrium problem (DESIGN §3) against what its definition
 * implies, independently of the plugin's own formulas:
 *
 *   - sizes: n_w = N h, n_theta = h^2 + h p + h + C h + C, for the synthetic default and for
 *     files (classes 0..C-1 from CSV, -1/+1 from LIBSVM mapped to 2 classes, real labels as
 *     C = 1 targets with loss=mse); d_w Phi is not symmetric (and really is not: <u, J v> !=
 *     <J u, v>); the same seed gives the same theta0, another seed another;
 *   - q = ||A||_2 (against dsyevr on A^T A formed here), theta0 has ||A||_2 = radius/2 (or
 *     a_norm=), and q bounds the map: ||Phi(w) - Phi(w')|| <= q ||w - w'||, ||J v|| <= q ||v||;
 *   - the Lipschitz constants of constants() hold on sampled pairs (DESIGN §7): nu1 and mu1
 *     for any pair (global; half the pairs far outside the cube [-1, 1]^n), nu2 and mu2 for
 *     pairs in the cube (where every iterate lives), at theta0 and at a theta with ||A|| = 0.8,
 *     for ce and mse; mu1 of mse is attained (lambda_max of E's Hessian by Lanczos through the
 *     ops equals ||U||^2/N to 1e-9);
 *   - project: an infeasible A (||A||_2 = 1.5) lands on ||A||_2 = radius with
 *     ||A - P(A)||_2 = 1.5 - radius (singular values clipped, nothing else moved), the rest of
 *     theta is untouched, a feasible theta is unchanged bit for bit; before projection a run is
 *     refused as not contractive and exact refuses too, after it both work;
 * (Bad parameters are checked with the other problems' in tests/test_problems.c.)
 *
 * usage: test_equilibrium DIR   (DIR holds eq_classes.csv, eq_pm1.svm and conformance/)
 */
#include "hg_cli.h"
#include "testing.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static hg_problem *make(const char *const *words)
{
  hg_problem *P = NULL;
  hg_error err;
  int n = 0;

  while (words && words[n])
    n++;
  hg_error_clear(&err);
  if (hg_problem_create("equilibrium", n, words, &P, &err)) {
    check(0, "create equilibrium: %s", err.msg);
    return NULL;
  }
  return P;
}

/* ||A||_2 of the h x h matrix at theta[0..h^2) by dsyevr on A^T A formed here. */
static double spectral_norm(int h, const double *A)
{
  double *G = calloc((size_t)h * h, sizeof *G), lo = 0, hi = 0;
  hg_error err;
  for (int i = 0; i < h; i++)
    for (int j = 0; j < h; j++)
      for (int r = 0; r < h; r++)
        G[i * h + j] += A[r * h + i] * A[r * h + j];
  int rc = hg_sym_extremes(h, G, &lo, &hi, &err);
  free(G);
  return rc ? NAN : sqrt(hi);
}

/* Sizes of an instance from its words: n_w = N h, n_theta = h^2 + h p + h + C h + C. */
static void test_sizes(const char *dir)
{
  char csv[1024], svm[1024], tiny[1024];
  snprintf(csv, sizeof csv, "train=%s/eq_classes.csv", dir);
  snprintf(svm, sizeof svm, "train=%s/eq_pm1.svm", dir);
  snprintf(tiny, sizeof tiny, "train=%s/conformance/tiny.train.svm", dir);
  struct {
    const char *words[4];
    int N, p, h, C;
  } cases[] = {
    {{NULL}, 40, 6, 5, 3},
    {{"n=7", "d=2", "classes=4", NULL}, 7, 2, 5, 4},
    {{csv, "hidden=3", NULL}, 10, 3, 3, 3},
    {{svm, NULL}, 6, 3, 5, 2},
    {{tiny, "loss=mse", NULL}, 40, 6, 5, 1},
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    hg_problem *P = make(cases[c].words);
    if (!P)
      continue;
    const int N = cases[c].N, p = cases[c].p, h = cases[c].h, C = cases[c].C;
    const int want = h * h + h * p + h + C * h + C;
    check(P->n_w == N * h && P->n_theta == want && !P->ops->symmetric && P->ops->project,
          "sizes %s: n_w = %d (N h = %d), n_theta = %d (h^2 + h p + h + C h + C = %d), "
          "not symmetric, has project", cases[c].words[0] ? cases[c].words[0] : "(defaults)",
          P->n_w, N * h, P->n_theta, want);
    hg_problem_destroy(&P);
  }

  /* seeds: the same seed the same theta0, another seed another */
  static const char *const s0[] = {"seed=5", NULL}, *const s1[] = {"seed=6", NULL};
  hg_problem *A = make(s0), *B = make(s0), *Cp = make(s1);
  if (A && B && Cp) {
    double ta[78], tb[78], tc[78];
    A->ops->theta0(A->self, ta);
    B->ops->theta0(B->self, tb);
    Cp->ops->theta0(Cp->self, tc);
    check(!memcmp(ta, tb, sizeof ta) && memcmp(ta, tc, sizeof ta),
          "theta0 is determined by seed= (same seed: identical; another: different)");
  }
  hg_problem_destroy(&A);
  hg_problem_destroy(&B);
  hg_problem_destroy(&Cp);
}

/* What a Lipschitz ratio is taken of: Phi, d_w Phi dir, d_theta Phi dir, grad_w E, grad_theta E. */
enum { OF_PHI, OF_JVP_W, OF_JVP_THETA, OF_GRAD_W, OF_GRAD_THETA };

/* ||F(w) - F(w')|| / ||w - w'|| for the quantity `of` (dir: the direction of a product);
 * a, b: scratch of max(n_w, n_theta). */
static double ratio(hg_problem *P, int of, const double *theta, const double *w,
                    const double *w2, const double *dir, double *a, double *b)
{
  const double *x[2] = {w, w2};
  double *out[2] = {a, b};
  for (int s = 0; s < 2; s++)
    switch (of) {
    case OF_PHI: hg_phi(P, x[s], theta, out[s]); break;
    case OF_JVP_W: hg_jvp_w(P, x[s], theta, dir, out[s]); break;
    case OF_JVP_THETA: hg_jvp_theta(P, x[s], theta, dir, out[s]); break;
    case OF_GRAD_W: hg_upper(P, x[s], theta, out[s], NULL); break;
    default: hg_upper(P, x[s], theta, NULL, out[s]); break;
    }
  return dist(of == OF_GRAD_THETA ? P->n_theta : P->n_w, a, b) / dist(P->n_w, w, w2);
}

/*
 * q, the contraction and the Lipschitz constants on sampled pairs (see the header), at theta
 * (n_theta entries) for P.  16 pairs per check: for the global constants the last 8 are far
 * apart (scale 5, opposite signs); for nu2 and mu2 all pairs are uniform in the cube.
 */
static void test_constants_at(hg_problem *P, const double *theta, const char *label)
{
  const int n = P->n_w, m = P->n_theta;
  const double slack = 1 + 1e-12;
  hg_constants k;
  hg_error err;
  hg_rng rng;
  const int big = n > m ? n : m;
  double *w = malloc(n * sizeof *w), *w2 = malloc(n * sizeof *w2), *v = malloc(n * sizeof *v);
  double *a = malloc(big * sizeof *a), *b = malloc(big * sizeof *b), *u = malloc(m * sizeof *u);

  hg_error_clear(&err);
  if (hg_problem_constants(P, theta, &k, &err)) {
    check(0, "%s: constants: %s", label, err.msg);
    goto done;
  }
  check(isnan(k.step) && isnan(k.mu) && isnan(k.L) && isnan(k.kappa) && !k.exact_mu_L &&
            k.nu1 > 0 && k.nu2 > 0 && k.mu1 > 0 && k.mu2 > 0,
        "%s: step, mu, L, kappa NAN (not a gradient step); nu1 %.4g, nu2 %.4g, mu1 %.4g, "
        "mu2 %.4g positive", label, k.nu1, k.nu2, k.mu1, k.mu2);

  double worst[6] = {0};
  int exceed[6] = {0};
  const double bound[6] = {k.q, k.q, k.nu1, k.nu2, k.mu1, k.mu2};
  hg_rng_seed(&rng, 4242);
  for (int pair = 0; pair < 16; pair++) {
    const int far = pair >= 8;
    for (int i = 0; i < n; i++) { /* uniform in the cube, or far apart */
      w[i] = 2 * hg_rng_uniform(&rng) - 1;
      w2[i] = 2 * hg_rng_uniform(&rng) - 1;
    }
    double r[6], dw = dist(n, w, w2);
    for (int i = 0; i < n; i++)
      v[i] = (w[i] - w2[i]) / dw;
    for (int j = 0; j < m; j++)
      u[j] = hg_rng_normal(&rng);
    double un = hg_nrm2(m, u);
    for (int j = 0; j < m; j++)
      u[j] /= un;
    /* q: the map and its Jacobian (any pair); nu2, mu2: pairs in the cube */
    r[0] = ratio(P, OF_PHI, theta, w, w2, NULL, a, b);
    hg_jvp_w(P, w, theta, v, a);
    r[1] = hg_nrm2(n, a);
    r[3] = ratio(P, OF_JVP_THETA, theta, w, w2, u, a, b);
    r[5] = ratio(P, OF_GRAD_THETA, theta, w, w2, NULL, a, b);
    /* nu1, mu1: global, far pairs too */
    if (far)
      for (int i = 0; i < n; i++) {
        w[i] *= 5;
        w2[i] = -5 * fabs(w2[i]) * (w[i] >= 0 ? 1 : -1);
      }
    r[2] = ratio(P, OF_JVP_W, theta, w, w2, v, a, b);
    r[4] = ratio(P, OF_GRAD_W, theta, w, w2, NULL, a, b);
    for (int q = 0; q < 6; q++) {
      exceed[q] += !(r[q] <= bound[q] * slack);
      worst[q] = fmax(worst[q], r[q] / bound[q]);
    }
  }
  static const char *const what[6] = {
    "||Phi(w) - Phi(w')|| <= q ||w - w'||", "||d_w Phi v|| <= q ||v||",
    "nu1 (d_w Phi, any pair)", "nu2 (d_theta Phi, pairs in the cube)",
    "mu1 (grad_w E, any pair)", "mu2 (grad_theta E, pairs in the cube)"};
  for (int q = 0; q < 6; q++)
    check(exceed[q] == 0 && worst[q] > 0, "%s: %s on 16 sampled pairs (largest ratio to the "
          "bound %.4g)", label, what[q], worst[q]);

done:
  free(w);
  free(w2);
  free(v);
  free(a);
  free(b);
  free(u);
}

/* For mse, grad_w E(w) = blockdiag(U^T U) w / N + const: its Lipschitz constant ||U||^2/N is
 * attained; lambda_max of v -> grad_w E(v) - grad_w E(0) by Lanczos must equal mu1. */
typedef struct hess_op {
  hg_problem *P;
  const double *theta;
  double *zero, *g0;
} hess_op;

static void hess_apply(void *ctx, const double *v, double *out)
{
  hess_op *o = ctx;
  hg_upper(o->P, v, o->theta, out, NULL);
  hg_axpy(o->P->n_w, -1.0, o->g0, out);
}

static void test_constants(void)
{
  static const char *const mse[] = {"loss=mse", "hidden=4", "seed=2", NULL};
  static const char *const ce[] = {NULL};
  const char *const *sets[] = {ce, mse};

  for (int s = 0; s < 2; s++) {
    hg_problem *P = make(sets[s]);
    if (!P)
      continue;
    const int m = P->n_theta, n = P->n_w, h = s ? 4 : 5;
    double *theta = malloc(m * sizeof *theta);
    hg_constants k;
    hg_error err;
    char label[64];

    P->ops->theta0(P->self, theta);
    hg_error_clear(&err);
    if (hg_problem_constants(P, theta, &k, &err) == HG_OK) {
      double ref = spectral_norm(h, theta);
      check(fabs(k.q - ref) <= 1e-12 && fabs(k.q - 0.45) <= 1e-12,
            "%s: q = %.15g = ||A||_2 (dsyevr: %.15g) = radius/2 at theta0",
            s ? "mse" : "ce", k.q, ref);
    }
    snprintf(label, sizeof label, "%s at theta0", s ? "mse" : "ce");
    test_constants_at(P, theta, label);

    /* another theta: A scaled to ||A||_2 = 0.8, the rest perturbed */
    double nA = spectral_norm(h, theta);
    for (int j = 0; j < h * h; j++)
      theta[j] *= 0.8 / nA;
    for (int j = h * h; j < m; j++)
      theta[j] += 0.3 * sin(j + 1.0);
    snprintf(label, sizeof label, "%s at ||A||_2 = 0.8", s ? "mse" : "ce");
    test_constants_at(P, theta, label);

    if (s) { /* mse: mu1 is attained */
      hess_op o = {P, theta, calloc(n, sizeof(double)), malloc(n * sizeof(double))};
      double lo, hi;
      int conv = 0;
      hg_upper(P, o.zero, theta, o.g0, NULL);
      if (hg_problem_constants(P, theta, &k, &err) == HG_OK &&
          hg_lanczos_extremes(n, hess_apply, &o, 1e-12, n, 3, &lo, &hi, &conv, &err) == HG_OK)
        check((conv & 2) && fabs(hi - k.mu1) <= 1e-9 * k.mu1, "mse: mu1 = ||U||^2/N = %.12g "
              "is lambda_max of E's Hessian, %.12g (rel err %.1e <= 1e-9)", k.mu1, hi,
              fabs(hi - k.mu1) / k.mu1);
      free(o.zero);
      free(o.g0);
    }
    free(theta);
    hg_problem_destroy(&P);
  }
}

/* The projection onto ||A||_2 <= radius, and the harness's refusal of a non-contraction. */
static void test_project(void)
{
  static const char *const words[] = {"radius=0.7", NULL};
  hg_problem *P = make(words);
  if (!P)
    return;
  const int m = P->n_theta, n = P->n_w, h = 5;
  double *theta = malloc(m * sizeof *theta), *orig = malloc(m * sizeof *orig);
  double *wstar = malloc(n * sizeof *wstar), *grad = malloc(m * sizeof *grad);
  double D[25];
  hg_error err;
  hg_budget b = {.t = 50, .k = 50, .K = 10};
  hg_run_opts o = {0};
  hg_run r;

  P->ops->theta0(P->self, theta);
  check(fabs(spectral_norm(h, theta) - 0.35) <= 1e-12, "theta0: ||A||_2 = radius/2 = 0.35 "
        "(measured %.15g)", spectral_norm(h, theta));
  memcpy(orig, theta, m * sizeof *theta);
  P->ops->project(P->self, theta);
  check(!memcmp(orig, theta, m * sizeof *theta), "project leaves a feasible theta unchanged "
        "bit for bit");

  const double scale = 1.5 / spectral_norm(h, theta);
  for (int j = 0; j < h * h; j++)
    theta[j] *= scale;
  memcpy(orig, theta, m * sizeof *theta);
  hg_error_clear(&err);
  int rc = hg_hypergrad(P, "aid-gmres", 0, NULL, theta, &b, &o, &r, &err);
  check(rc == HG_ERR_NONCONTRACT && strstr(err.msg, "q = 1.5"), "||A||_2 = 1.5: the run is "
        "refused as not contractive (\"%s\")", err.msg);
  hg_run_release(&r);
  hg_error_clear(&err);
  rc = hg_exact(P, theta, wstar, grad, &err);
  check(rc == HG_ERR_NONCONTRACT && strstr(err.msg, "||A||_2"), "||A||_2 = 1.5: exact refuses "
        "(\"%s\")", err.msg);

  P->ops->project(P->self, theta);
  for (int j = 0; j < h * h; j++)
    D[j] = orig[j] - theta[j];
  const double pa = spectral_norm(h, theta), pd = spectral_norm(h, D);
  check(fabs(pa - 0.7) <= 1e-12 && fabs(pd - 0.8) <= 1e-12 &&
            !memcmp(orig + h * h, theta + h * h, (m - h * h) * sizeof *theta),
        "project: ||P(A)||_2 = %.15g (radius 0.7), ||A - P(A)||_2 = %.15g (1.5 - 0.7), B, c, "
        "U, u0 untouched", pa, pd);
  o.with_reference = 1;
  hg_error_clear(&err);
  rc = hg_hypergrad(P, "aid-gmres", 0, NULL, theta, &b, &o, &r, &err);
  check(rc == HG_OK && r.rel_error < 1e-10, "after project: aid-gmres runs and matches exact "
        "(rc %d %s, relative error %.3g)", rc, err.msg, r.rel_error);
  hg_run_release(&r);
  free(theta);
  free(orig);
  free(wstar);
  free(grad);
  hg_problem_destroy(&P);
}

/* <u, J v> against <J u, v>: the Jacobian is not symmetric (DESIGN §3). */
static void test_not_symmetric(void)
{
  hg_problem *P = make(NULL);
  if (!P)
    return;
  const int n = P->n_w, m = P->n_theta;
  double *theta = malloc(m * sizeof *theta), *w = malloc(n * sizeof *w);
  double *u = malloc(n * sizeof *u), *v = malloc(n * sizeof *v), *a = malloc(n * sizeof *a);
  hg_rng rng;

  P->ops->theta0(P->self, theta);
  hg_rng_seed(&rng, 9);
  for (int i = 0; i < n; i++) {
    w[i] = 0.5 * hg_rng_normal(&rng);
    u[i] = hg_rng_normal(&rng);
    v[i] = hg_rng_normal(&rng);
  }
  hg_jvp_w(P, w, theta, v, a);
  double uJv = hg_dot(n, u, a);
  hg_jvp_w(P, w, theta, u, a);
  double vJu = hg_dot(n, v, a);
  check(fabs(uJv - vJu) > 1e-3 * fabs(uJv), "d_w Phi is not symmetric: <u, J v> = %.6g, "
        "<J u, v> = %.6g", uJv, vJu);
  free(theta);
  free(w);
  free(u);
  free(v);
  free(a);
  hg_problem_destroy(&P);
}

int main(int argc, char **argv)
{
  testing_register_builtin();
  if (argc < 2) {
    fprintf(stderr, "usage: %s DIR (tests/data)\n", argv[0]);
    return 2;
  }
  test_sizes(argv[1]);
  test_constants();
  test_project();
  test_not_symmetric();
  printf("%d checks, %d failed\n", checks, failures);
  return failures != 0;
}

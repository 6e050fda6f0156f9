/*
 * test_foe.c -- the denoise-foe problem (DESIGN §3) through its ops alone:
 *
 *   - every component of theta on its own (hgbench check probes one random direction):
 *     d_theta Phi e_k (jvp_theta) against the central difference of Phi along e_k (1e-6, the
 *     accuracy of a central difference with h = 1e-5), and (d_theta Phi^T v)_k = <v, d_theta
 *     Phi e_k> (1e-12);
 *   - the zero-mean parametrization: adding a constant to the coefficients c_j changes no
 *     filter, so Phi is unchanged (1e-15) and every block c_j of d_theta Phi^T v sums to 0;
 *   - the Hessian rebuilt from jvp_w at seeded points: its smallest eigenvalue is mu = 1 (to
 *     1e-10; every K_j maps constant images to 0) and its largest is below constants()' L;
 *   - nu1 and nu2 hold on sampled pairs of the box they are stated for (DESIGN §3: it holds
 *     w0 = 0, every iterate and w*, and is convex): iterates of Phi from 0, w*, and convex
 *     combinations of them, at theta0 and at a perturbed theta: ||(d_w Phi(w) - d_w Phi(w')) v||
 *     <= nu1 ||w - w'|| for unit v (random and along w - w'), and the Frobenius norm of
 *     d_theta Phi(w) - d_theta Phi(w') (column by column, an upper bound of the operator norm
 *     the constant is about) <= nu2 ||w - w'||;
 *   - bad parameters fail with a message naming the key.
 *
 * usage: test_foe
 */
#include "hg_cli.h"
#include "testing.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FD_H 1e-5

/* A problem from a NULL-terminated word list; NULL (and a FAIL line) on error. */
static hg_problem *make(const char *const *words)
{
  int n = 0;
  hg_problem *P = NULL;
  hg_error err;

  hg_error_clear(&err);
  while (words[n])
    n++;
  if (hg_problem_create("denoise-foe", n, words, &P, &err) != HG_OK)
    check(0, "denoise-foe: create failed: %s", err.msg);
  return P;
}

/* Components one by one, and the zero-mean parametrization (filters J, taps T). */
static void test_components(const char *const *words, int J, int T, const char *label)
{
  hg_problem *P = make(words);
  if (!P)
    return;
  const int n = P->n_w, m = P->n_theta;
  double *theta = malloc((size_t)m * sizeof(double)), *tt = malloc((size_t)m * sizeof(double));
  double *g = malloc((size_t)m * sizeof(double)), *e = calloc((size_t)m, sizeof(double));
  double *w = malloc((size_t)n * sizeof(double)), *v = malloc((size_t)n * sizeof(double));
  double *a = malloc((size_t)n * sizeof(double)), *fp = malloc((size_t)n * sizeof(double));
  double *fm = malloc((size_t)n * sizeof(double));
  hg_rng rng;
  double worst_fd = 0, worst_adj = 0, shift = 0, blocksum = 0;

  hg_rng_seed(&rng, 11);
  P->ops->theta0(P->self, theta);
  for (int i = 0; i < n; i++) {
    w[i] = 0.5 + 0.3 * hg_rng_normal(&rng);
    v[i] = hg_rng_normal(&rng);
  }
  hg_vjp_theta(P, w, theta, v, g);
  for (int k = 0; k < m; k++) {
    e[k] = 1;
    hg_jvp_theta(P, w, theta, e, a);
    e[k] = 0;
    memcpy(tt, theta, (size_t)m * sizeof(double));
    tt[k] += FD_H;
    hg_phi(P, w, tt, fp);
    tt[k] -= 2 * FD_H;
    hg_phi(P, w, tt, fm);
    for (int i = 0; i < n; i++)
      fm[i] = (fp[i] - fm[i]) / (2 * FD_H);
    /* a central difference carries round-off ~1e-14 ||Phi|| / h next to the derivative */
    double scale = fmax(hg_nrm2(n, a), 1e-14 * hg_nrm2(n, fp) / FD_H / 1e-6);
    worst_fd = fmax(worst_fd, dist(n, a, fm) / scale);
    double dot = hg_dot(n, v, a);
    worst_adj = fmax(worst_adj, fabs(g[k] - dot) / fmax(fabs(dot), 1e-300));
  }
  check(worst_fd <= 1e-6, "%s: d_theta Phi e_k against central differences, all %d "
        "components (worst %.2e <= 1e-6)", label, m, worst_fd);
  check(worst_adj <= 1e-12, "%s: (d_theta Phi^T v)_k = <v, d_theta Phi e_k> for every k "
        "(worst %.2e <= 1e-12)", label, worst_adj);

  /* c_j + 0.37 (all taps): the same filters */
  memcpy(tt, theta, (size_t)m * sizeof(double));
  for (int q = 1 + 2 * J; q < m; q++)
    tt[q] += 0.37;
  hg_phi(P, w, theta, fp);
  hg_phi(P, w, tt, fm);
  shift = rel_diff(n, fm, fp);
  for (int j = 0; j < J; j++) {
    double s = 0, size = 0;
    for (int t = 0; t < T; t++) {
      s += g[1 + 2 * J + j * T + t];
      size += fabs(g[1 + 2 * J + j * T + t]);
    }
    blocksum = fmax(blocksum, fabs(s) / size);
  }
  check(shift <= 1e-15 && blocksum <= 1e-13, "%s: zero-mean filters: Phi unchanged when every "
        "c_j moves by a constant (%.1e), each block c_j of d_theta Phi^T v sums to 0 (%.1e)",
        label, shift, blocksum);

  free(theta);
  free(tt);
  free(g);
  free(e);
  free(w);
  free(v);
  free(a);
  free(fp);
  free(fm);
  hg_problem_destroy(&P);
}

/* mu = 1 and L from the Hessian rebuilt from jvp_w (a small instance: n_w = 64). */
static void test_spectrum(void)
{
  static const char *const words[] = {"size=8", "n_images=1", "filters=3", "filter_size=5",
                                      NULL};
  hg_problem *P = make(words);
  if (!P)
    return;
  const int n = P->n_w, m = P->n_theta;
  double *theta = malloc((size_t)m * sizeof(double)), *w = malloc((size_t)n * sizeof(double));
  hg_constants k;
  hg_error err;
  hg_rng rng;
  double worst_mu = 0, worst_L = 0;

  hg_error_clear(&err);
  hg_rng_seed(&rng, 5);
  P->ops->theta0(P->self, theta);
  for (int trial = 0; trial < 4; trial++) {
    if (trial == 2) /* another theta: weights, smoothings and filters perturbed */
      for (int j = 0; j < m; j++)
        theta[j] += 0.3 * hg_rng_normal(&rng);
    for (int i = 0; i < n; i++)
      w[i] = (trial % 2 ? 0.05 : 1.0) * hg_rng_normal(&rng);
    hg_problem_constants(P, theta, &k, &err);
    double *H = hessian_from_jvp(P, w, theta, k.step), lo = NAN, hi = NAN;
    if (H)
      hg_sym_extremes(n, H, &lo, &hi, &err);
    free(H);
    worst_mu = fmax(worst_mu, fabs(lo - 1));
    worst_L = fmax(worst_L, hi / k.L);
  }
  check(worst_mu <= 1e-10, "denoise-foe: lambda_min of the Hessian = mu = 1 at 4 points "
        "(worst |lambda_min - 1| %.1e <= 1e-10)", worst_mu);
  check(worst_L <= 1, "denoise-foe: lambda_max of the Hessian <= L at 4 points (largest "
        "ratio %.3f)", worst_L);
  free(theta);
  free(w);
  hg_problem_destroy(&P);
}

/* ||d_theta Phi(w) - d_theta Phi(w')||_F, column by column (e, a, b scratch). */
static double dtheta_diff_frob(hg_problem *P, const double *w, const double *w2,
                               const double *theta, double *e, double *a, double *b)
{
  double s = 0;
  for (int k = 0; k < P->n_theta; k++) {
    e[k] = 1;
    hg_jvp_theta(P, w, theta, e, a);
    hg_jvp_theta(P, w2, theta, e, b);
    e[k] = 0;
    double d = dist(P->n_w, a, b);
    s += d * d;
  }
  return sqrt(s);
}

/* nu1 and nu2 on pairs of the box: iterates from 0, w*, their convex combinations. */
static void test_lipschitz(const char *const *words, const char *label)
{
  enum { ITERS = 12 };
  hg_problem *P = make(words);
  if (!P)
    return;
  const int n = P->n_w, m = P->n_theta;
  double *theta = malloc((size_t)m * sizeof(double)), *g = malloc((size_t)m * sizeof(double));
  double *e = calloc((size_t)m, sizeof(double));
  double *pts = malloc((size_t)(ITERS + 1) * n * sizeof(double));
  double *w = malloc((size_t)n * sizeof(double)), *w2 = malloc((size_t)n * sizeof(double));
  double *v = malloc((size_t)n * sizeof(double)), *a = malloc((size_t)n * sizeof(double));
  double *b = malloc((size_t)n * sizeof(double));
  hg_constants k;
  hg_error err;
  hg_rng rng;

  hg_error_clear(&err);
  hg_rng_seed(&rng, 17);
  P->ops->theta0(P->self, theta);
  for (int round = 0; round < 2; round++) {
    double r1 = 0, r2 = 0;
    int ok = 1;
    if (round == 1)
      for (int j = 0; j < m; j++)
        theta[j] += 0.2 * hg_rng_normal(&rng);
    ok &= hg_problem_constants(P, theta, &k, &err) == HG_OK;
    ok &= hg_exact(P, theta, pts + (size_t)ITERS * n, g, &err) == HG_OK; /* w* last */
    memset(pts, 0, (size_t)n * sizeof(double));
    for (int s = 1; s < ITERS; s++) { /* w_{3s}: three steps of Phi apart */
      hg_phi(P, pts + (size_t)(s - 1) * n, theta, a);
      hg_phi(P, a, theta, b);
      hg_phi(P, b, theta, pts + (size_t)s * n);
    }
    for (int pair = 0; ok && pair < 24; pair++) {
      int i = (int)(hg_rng_uniform(&rng) * (ITERS + 1)), j = (int)(hg_rng_uniform(&rng) * ITERS);
      /* w = point i, w' = point j (j != i), or every third pair the convex combination
       * t point j + (1 - t)/2 (point i + w*) */
      double t = pair % 3 == 2 ? hg_rng_uniform(&rng) : 1;
      j += j >= i;
      for (int q = 0; q < n; q++) {
        w[q] = pts[(size_t)i * n + q];
        w2[q] = t * pts[(size_t)j * n + q] +
                0.5 * (1 - t) * (w[q] + pts[(size_t)ITERS * n + q]);
      }
      double dw = dist(n, w, w2);
      if (dw == 0)
        continue;
      for (int dir = 0; dir < 2; dir++) {
        for (int q = 0; q < n; q++)
          v[q] = dir ? (w[q] - w2[q]) / dw : hg_rng_normal(&rng);
        double vn = hg_nrm2(n, v);
        hg_jvp_w(P, w, theta, v, a);
        hg_jvp_w(P, w2, theta, v, b);
        r1 = fmax(r1, dist(n, a, b) / (vn * dw));
      }
      r2 = fmax(r2, dtheta_diff_frob(P, w, w2, theta, e, a, b) / dw);
    }
    check(ok && r1 <= k.nu1 && r2 <= k.nu2, "%s%s: nu1 = %.4g and nu2 = %.4g hold on 24 pairs "
          "of the box (largest ratios %.3g, %.3g)%s%s", label,
          round ? " (perturbed theta)" : "", k.nu1, k.nu2, r1 / k.nu1, r2 / k.nu2,
          ok ? "" : ": ", ok ? "" : err.msg);
  }
  free(theta);
  free(g);
  free(e);
  free(pts);
  free(w);
  free(w2);
  free(v);
  free(a);
  free(b);
  hg_problem_destroy(&P);
}

/* filter_size even and out of range, filters = 0: errors naming the key. */
static void test_bad_input(void)
{
  static const struct {
    const char *word, *expect;
  } cases[] = {
    {"filter_size=4", "filter_size=4 must be odd"},
    {"filter_size=1", "filter_size=1 is outside"},
    {"filters=0", "filters=0 is outside"},
    {"filters=x", "filters=x"},
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    const char *words[] = {cases[c].word};
    hg_problem *P = NULL;
    hg_error err;
    hg_error_clear(&err);
    int rc = hg_problem_create("denoise-foe", 1, words, &P, &err);
    check(rc != HG_OK && !P && strstr(err.msg, cases[c].expect), "denoise-foe %s: refused "
          "(%s)", cases[c].word, err.msg);
  }
}

int main(void)
{
  testing_register_builtin();
  static const char *const none[] = {NULL};
  static const char *const big[] = {"filters=3", "filter_size=5", "size=10", "seed=2", NULL};

  test_components(none, 2, 9, "denoise-foe (defaults)");
  test_components(big, 3, 25, "denoise-foe filters=3 filter_size=5 size=10");
  test_spectrum();
  test_lipschitz(none, "denoise-foe (defaults)");
  test_lipschitz(big, "denoise-foe filters=3 filter_size=5 size=10");
  test_bad_input();
  printf("%d checks, %d failures\n", checks, failures);
  return failures ? 1 : 0;
}

/*
 * test_fashion_problems.c -- data=fashion-mnist in the data-driven problems (DESIGN §3 "Real
 * data"): every problem gets exactly the loader's examples (hg_fashion_mnist with the same
 * keys) and maps their class numbers as DESIGN §3 says.
 *
 *   - ridge (white box, glm.h): X, y, X', y' equal the loader's for split=test n=60 n_val=30
 *     classes=0,6 downsample=7 normalize=standardize seed=3 (y the class numbers), and
 *     describe() shows the loader's source;
 *   - logreg: labels +1 exactly for class 6 with classes=0,6, and with classes=3,6 too (the
 *     smallest class taken is -1);
 *   - logreg-multi and poison: n_w = 2 d, and E at a W whose only nonzero row/column is the
 *     second class's weights u equals the validation cross-entropy computed here with class 0
 *     -> 0 and 6 -> 1 (a swapped mapping changes it);
 *   - kernel-ridge: E(alpha = 0) = (1/2n') sum y'^2 with y' the class numbers;
 *   - equilibrium (the training part only): n_w = N h, n_theta = h^2 + h p + h + C h + C with
 *     C = 2, and E(w = 0) at theta = (0, .., 0, u0 = (0, 1)) = log(1 + e) - (share of class 6);
 *   - biased-reg (class-pair tasks): with seed=3 task 1 is the first pair of the 45 shuffled
 *     as DESIGN §3 says (shuffled here independently), its examples the loader's for that pair
 *     and seed 3; E at w = (u, 0) equals (1/2)[(1/2n')||X'u - y'||^2 + 1/2] with y' = -1 for the
 *     pair's smaller class and +1 for the other (task 2 contributes (1/2n')||y'_2||^2 = 1/2).
 *
 * Fashion-MNIST is Debian's dataset-fashion-mnist: without it every check FAILS, the message
 * naming the package.
 */
#include "glm.h" /* white box: the data ridge and logreg hold */
#include "hg_cli.h"
#include "testing.h"

#include <math.h>
#include <string.h>

#define N_TRAIN 60
#define N_VAL 30
#define SIDE 7
#define D (SIDE * SIDE)

/* Problem `name` with data=fashion-mnist split=test n=60 downsample=7 seed=3, classes=
 * `classes` and up to two more words. */
static hg_problem *create(const char *name, const char *classes, const char *extra,
                          const char *extra2)
{
  char cl[32];
  const char *words[] = {"data=fashion-mnist", "split=test", "n=60", "downsample=7", "seed=3",
                         cl, extra, extra2, NULL};
  int n = 0;
  hg_problem *P = NULL;
  hg_error err;

  snprintf(cl, sizeof cl, "classes=%s", classes);
  while (words[n])
    n++;
  hg_error_clear(&err);
  int rc = hg_problem_create(name, n, words, &P, &err);
  check(rc == HG_OK, "%s data=fashion-mnist split=test n=60 classes=%s %s %s: created (%s)",
        name, classes, extra ? extra : "", extra2 ? extra2 : "", rc ? err.msg : "ok");
  return rc ? NULL : P;
}

/* The loader's examples for the same keys. */
static int load(long n_val, const char *classes, const char *normalize, hg_dataset *ds)
{
  hg_dataset_opts o = {NULL, "test", N_TRAIN, n_val, classes, SIDE, normalize, 3};
  hg_error err;

  hg_error_clear(&err);
  int rc = hg_fashion_mnist(&o, ds, &err);
  check(rc == HG_OK, "the loader: classes=%s n_val=%ld (%s)", classes, n_val,
        rc ? err.msg : "ok");
  return rc;
}

static int same(const double *a, const double *b, size_t n)
{
  return !memcmp(a, b, n * sizeof(double));
}

static void test_ridge_logreg(void)
{
  hg_dataset ds;
  char desc[512] = "";

  if (load(N_VAL, "0,6", "standardize", &ds))
    return;
  hg_problem *P = create("ridge", "0,6", "n_val=30", "normalize=standardize");
  if (P) {
    const hg_glm *G = P->self;
    P->ops->describe(P->self, desc, sizeof desc);
    check(G->n == N_TRAIN && G->n_val == N_VAL && G->d == D && !G->X->sparse &&
          same(G->X->val, ds.X->val, (size_t)N_TRAIN * D) &&
          same(G->X_val->val, ds.X_val->val, (size_t)N_VAL * D) &&
          same(G->y, ds.y, N_TRAIN) && same(G->y_val, ds.y_val, N_VAL),
          "ridge: X, y, X', y' are the loader's (standardized, y the class numbers)");
    check(strstr(desc, ds.source) != NULL, "ridge: describe shows the source (\"%s\")", desc);
  }
  hg_problem_destroy(&P);
  hg_dataset_free(&ds);

  const char *sets[] = {"0,6", "3,6"};
  for (int s = 0; s < 2; s++) {
    if (load(N_VAL, sets[s], "unit", &ds))
      return;
    hg_problem *L = create("logreg", sets[s], "n_val=30", NULL);
    int ok = 0, pos = 0;
    if (L) {
      const hg_glm *G = L->self;
      ok = G->n == N_TRAIN && G->n_val == N_VAL;
      for (int i = 0; ok && i < N_TRAIN + N_VAL; i++) {
        double c = i < N_TRAIN ? ds.y[i] : ds.y_val[i - N_TRAIN];
        double y = i < N_TRAIN ? G->y[i] : G->y_val[i - N_TRAIN];
        ok = y == (c == 6 ? 1.0 : -1.0);
        pos += y > 0;
      }
    }
    check(ok && pos > 0 && pos < N_TRAIN + N_VAL, "logreg classes=%s: +1 exactly for class 6 "
          "(%d of %d)", sets[s], pos, N_TRAIN + N_VAL);
    hg_problem_destroy(&L);
    hg_dataset_free(&ds);
  }
}

/*
 * The validation cross-entropy (1/n') sum_i [log(1 + e^{s_i}) - [class_i = 6] s_i],
 * s_i = u . x'_i: the value of E for a two-class W whose class-0 weights are 0 and class-1
 * weights u, when class 0 -> 0 and 6 -> 1.
 */
static double two_class_ce(const hg_dataset *ds, const double *u)
{
  double ce = 0;

  for (int i = 0; i < N_VAL; i++) {
    double s = hg_dot(D, u, ds->X_val->val + (size_t)i * D);
    ce += log1p(exp(s)) - (ds->y_val[i] == 6 ? s : 0.0);
  }
  return ce / N_VAL;
}

static void test_multiclass(void)
{
  hg_dataset ds;
  double u[D], W[2 * D], theta0[D];
  hg_rng rng;

  if (load(N_VAL, "0,6", "unit", &ds))
    return;
  hg_rng_seed(&rng, 7);
  hg_rng_normals(&rng, D, 0.3, u);
  const double want = two_class_ce(&ds, u);

  /* logreg-multi: W in R^{d x C} row-major, w_{jC+c}; E = +CE */
  hg_problem *M = create("logreg-multi", "0,6", "n_val=30", NULL);
  if (M && M->n_w == 2 * D) {
    for (int j = 0; j < D; j++) {
      W[2 * j] = 0;
      W[2 * j + 1] = u[j];
    }
    M->ops->theta0(M->self, theta0);
    double E = hg_upper(M, W, theta0, NULL, NULL);
    check(fabs(E - want) <= 1e-12 * fabs(want), "logreg-multi: n_w = 2 d, E = %.15g = the "
          "cross-entropy with 0 -> 0, 6 -> 1 (%.15g)", E, want);
  } else {
    check(0, "logreg-multi: n_w = %d, expected 2 d = %d", M ? M->n_w : -1, 2 * D);
  }
  hg_problem_destroy(&M);

  /* poison: W in R^{C x d'} row-major (class c at c d'); E = -CE */
  hg_problem *Q = create("poison", "0,6", "n_val=30", NULL);
  if (Q && Q->n_w == 2 * D) {
    double *theta = calloc((size_t)Q->n_theta, sizeof *theta);
    memset(W, 0, sizeof W);
    memcpy(W + D, u, sizeof u);
    double E = theta ? hg_upper(Q, W, theta, NULL, NULL) : NAN;
    check(fabs(E + want) <= 1e-12 * fabs(want), "poison: n_w = 2 d, E = %.15g = minus the "
          "cross-entropy with 0 -> 0, 6 -> 1 (%.15g)", E, -want);
    free(theta);
  } else {
    check(0, "poison: n_w = %d, expected 2 d = %d", Q ? Q->n_w : -1, 2 * D);
  }
  hg_problem_destroy(&Q);

  /* kernel-ridge: E(0) = (1/2n') ||y'||^2, y' the class numbers */
  hg_problem *K = create("kernel-ridge", "0,6", "n_val=30", NULL);
  if (K) {
    double *alpha = calloc((size_t)K->n_w, sizeof *alpha), th[2], yy = 0;
    K->ops->theta0(K->self, th);
    for (int i = 0; i < N_VAL; i++)
      yy += ds.y_val[i] * ds.y_val[i];
    double E = alpha ? hg_upper(K, alpha, th, NULL, NULL) : NAN;
    check(K->n_w == N_TRAIN && fabs(E - yy / (2 * N_VAL)) <= 1e-14 * yy,
          "kernel-ridge: n_w = n, E(0) = %.15g = (1/2n') sum of squared class numbers (%.15g)",
          E, yy / (2 * N_VAL));
    free(alpha);
  }
  hg_problem_destroy(&K);
  hg_dataset_free(&ds);
}

static void test_equilibrium(void)
{
  hg_dataset ds;
  const int h = 5, C = 2;

  if (load(0, "0,6", "unit", &ds))
    return;
  hg_problem *P = create("equilibrium", "0,6", NULL, NULL);
  if (P) {
    const int m = h * h + h * D + h + C * h + C;
    double *w = calloc((size_t)P->n_w, sizeof *w), *theta = calloc((size_t)m, sizeof *theta);
    double share = 0;
    for (int i = 0; i < N_TRAIN; i++)
      share += (ds.y[i] == 6) / (double)N_TRAIN;
    int dims = P->n_w == N_TRAIN * h && P->n_theta == m;
    double E = NAN;
    if (dims && w && theta) {
      theta[m - 1] = 1; /* u0 = (0, 1): o_i = (0, 1) at w = 0 */
      E = hg_upper(P, w, theta, NULL, NULL);
    }
    check(dims && fabs(E - (log1p(exp(1.0)) - share)) <= 1e-14,
          "equilibrium: n_w = N h = %d, n_theta = %d (C = 2), E = %.15g = log(1 + e) - share "
          "of class 6 (%.15g)", P->n_w, P->n_theta, E, log1p(exp(1.0)) - share);
    free(w);
    free(theta);
  }
  hg_problem_destroy(&P);
  hg_dataset_free(&ds);
}

static void test_biased_reg(void)
{
  int pairs[45][2], np = 0;
  hg_rng rng;
  hg_dataset ds;
  char classes[8];

  for (int a = 0; a < 10; a++) /* (0,1), (0,2), .., (8,9), then the seeded Fisher-Yates */
    for (int b = a + 1; b < 10; b++) {
      pairs[np][0] = a;
      pairs[np][1] = b;
      np++;
    }
  hg_rng_seed(&rng, 3);
  for (int i = 0; i < 44; i++) {
    int j = i + (int)(hg_rng_uniform(&rng) * (45 - i));
    int a = pairs[i][0], b = pairs[i][1];
    memcpy(pairs[i], pairs[j], sizeof pairs[i]);
    pairs[j][0] = a;
    pairs[j][1] = b;
  }
  snprintf(classes, sizeof classes, "%d,%d", pairs[0][0], pairs[0][1]);
  if (load(N_VAL, classes, "unit", &ds))
    return;
  const char *words[] = {"data=fashion-mnist", "split=test", "n=60", "n_val=30", "downsample=7",
                         "seed=3", "tasks=2"};
  hg_problem *P = NULL;
  hg_error err;
  hg_error_clear(&err);
  int rc = hg_problem_create("biased-reg", 7, words, &P, &err);
  check(rc == HG_OK, "biased-reg data=fashion-mnist tasks=2: created (%s)", rc ? err.msg : "ok");
  if (P) {
    double *w = calloc((size_t)P->n_w, sizeof *w), theta[D] = {0}, want = 0;
    for (int j = 0; w && j < D; j++)
      w[j] = 0.01 * (j % 7) - 0.02;
    for (int i = 0; w && i < N_VAL; i++) {
      double r = -(ds.y_val[i] == pairs[0][0] ? -1.0 : 1.0);
      for (int j = 0; j < D; j++)
        r += ds.X_val->val[(size_t)i * D + j] * w[j];
      want += r * r / (2.0 * N_VAL);
    }
    want = 0.5 * (want + 0.5);
    double E = w && P->n_w == 2 * D ? hg_upper(P, w, theta, NULL, NULL) : NAN;
    /* the same 30 x 49 products summed in another order: rounding far below 1e-12 */
    check(fabs(E - want) <= 1e-12 * want, "biased-reg: task 1 on classes %s (-1, +1), E(u, 0) = "
          "%.15g, expected %.15g", classes, E, want);
    free(w);
  }
  hg_problem_destroy(&P);
  hg_dataset_free(&ds);
}

int main(void)
{
  testing_register_builtin();
  test_ridge_logreg();
  test_multiclass();
  test_equilibrium();
  test_biased_reg();
  printf("%d checks, %d failures\n", checks, failures);
  return failures ? 1 : 0;
}

/*
 * test_perf.c -- the fast paths of issue 19 give what the plain definitions give:
 *
 *   - hg_glm_pass (one pass over X, dense or CSR, blocked) against G = alpha X^T f(X A)
 *     computed here entry by entry, for k_in = 1, 2, with and without f, on a dense matrix
 *     whose d makes the blocks shorter than HG_ROWS_BLOCK and on its CSR copy (1e-13: the
 *     same sums in another order);
 *   - hg_glm_gram_weighted (blocked dsyrk on dense X, row outer products on CSR) against
 *     sum_i c_i x_i x_i^T computed here (1e-13);
 *   - logreg's formed Hessian: hessian=yes and hessian=no give the same d_w Phi v (1e-12), and
 *     hessian=auto switches to it after the cost model's count and still agrees; aid-cg with
 *     each agrees with exact alike;
 *   - storage=auto: CSR data with half its entries or more nonzero is stored densely, sparser
 *     data stays CSR, and the two storages give the same Phi (1e-13);
 *   - itd:checkpoints=C returns the full tape's hypergradient and w_t bit for bit (memcmp),
 *     for C from 1 (everything recomputed) to t, with t vjp_w and t vjp_theta and at least t
 *     Phi, on quadratic, ridge (Gram and not) and logreg (dense and CSR).
 *
 * One line per check; exit status non-zero when any check fails.
 * usage: test_perf DIR (unused: the data are drawn here)
 */
#include "glm.h" /* white box: hg_glm_pass, hg_glm_gram_weighted */
#include "hg_cli.h"
#include "testing.h"

#include <string.h>

/* A seeded rows x cols dense matrix with about `density` of its entries nonzero. */
static hg_matrix *random_matrix(int rows, int cols, double density, uint64_t seed)
{
  hg_matrix *X = NULL;
  hg_error err;
  hg_rng rng;

  hg_error_clear(&err);
  hg_rng_seed(&rng, seed);
  if (hg_matrix_create(rows, cols, 0, 0, &X, &err) != HG_OK)
    return NULL;
  for (long q = 0; q < X->nnz; q++)
    X->val[q] = hg_rng_uniform(&rng) < density ? hg_rng_normal(&rng) : 0.0;
  return X;
}

/* dense entry (i, j) of the dense matrix X */
static double at(const hg_matrix *X, int i, int j)
{
  return X->val[(size_t)i * X->cols + j];
}

/* The f of the checks: z0 <- tanh(z0) * z1 (k_in = 2) or z0 <- z0 - 1 (k_in = 1). */
static void rows_f(void *ctx, int i0, int rows, int ldz, double *Z)
{
  (void)ctx;
  (void)i0;
  for (int i = 0; i < rows; i++) {
    double *z = Z + (size_t)i * ldz;
    z[0] = ldz == 2 ? tanh(z[0]) * z[1] : z[0] - 1.0;
  }
}

static void test_pass(void)
{
  const int n = 77, d = 700; /* d > 512: blocks of 23 rows; 77 leaves a short last block */
  hg_matrix *D = random_matrix(n, d, 0.6, 1), *S = NULL;
  hg_error err;
  double *a0 = malloc(d * sizeof(double)), *a1 = malloc(d * sizeof(double));
  double *ref = malloc(d * sizeof(double)), *g = malloc(d * sizeof(double));
  double Z[2 * HG_ROWS_BLOCK];
  hg_rng rng;

  hg_error_clear(&err);
  if (!D || hg_matrix_convert(D, 1, &S, &err) != HG_OK || !a0 || !a1 || !ref || !g) {
    check(0, "hg_glm_pass: setup failed %s", err.msg);
    goto done;
  }
  hg_rng_seed(&rng, 2);
  for (int j = 0; j < d; j++) {
    a0[j] = hg_rng_normal(&rng);
    a1[j] = hg_rng_normal(&rng);
  }
  for (int k_in = 1; k_in <= 2; k_in++)
    for (int with_f = 0; with_f < 2; with_f++) {
      const double alpha = 0.37;
      for (int j = 0; j < d; j++)
        ref[j] = 0.0;
      for (int i = 0; i < n; i++) {
        double z0 = 0, z1 = 0;
        for (int j = 0; j < d; j++) {
          z0 += at(D, i, j) * a0[j];
          z1 += at(D, i, j) * a1[j];
        }
        double r = z0;
        if (with_f)
          r = k_in == 2 ? tanh(z0) * z1 : z0 - 1.0;
        for (int j = 0; j < d; j++)
          ref[j] += alpha * r * at(D, i, j);
      }
      const double *cols[2] = {a0, a1};
      double *gcol[1] = {g};
      for (int sp = 0; sp < 2; sp++) {
        hg_glm_pass(sp ? S : D, k_in, cols, 1, with_f ? rows_f : NULL, NULL, 1, alpha, gcol, 1,
                    Z);
        const double e = rel_diff(d, g, ref);
        check(e <= 1e-13, "hg_glm_pass %s, k_in = %d, %s: %.2e <= 1e-13 from the definition",
              sp ? "CSR" : "dense", k_in, with_f ? "with f" : "f = identity", e);
      }
    }

  /* hg_glm_gram_weighted: sum_i c_i x_i x_i^T. */
  const int dg = 40, ng = 300; /* ng > HG_GRAM_ROWS: two dsyrk blocks */
  hg_matrix *Dg = random_matrix(ng, dg, 0.5, 3), *Sg = NULL;
  double *c = malloc(ng * sizeof(double)), *H = malloc(dg * dg * sizeof(double));
  double *Hr = malloc(dg * dg * sizeof(double));
  double *work = malloc((size_t)HG_GRAM_ROWS * dg * sizeof(double));
  if (Dg && hg_matrix_convert(Dg, 1, &Sg, &err) == HG_OK && c && H && Hr && work) {
    for (int i = 0; i < ng; i++)
      c[i] = hg_rng_uniform(&rng);
    for (int j = 0; j < dg; j++)
      for (int l = 0; l < dg; l++) {
        double s = 0;
        for (int i = 0; i < ng; i++)
          s += c[i] * at(Dg, i, j) * at(Dg, i, l);
        Hr[j * dg + l] = s;
      }
    for (int sp = 0; sp < 2; sp++) {
      hg_glm_gram_weighted(sp ? Sg : Dg, c, H, work);
      const double e = rel_diff(dg * dg, H, Hr);
      check(e <= 1e-13, "hg_glm_gram_weighted %s: %.2e <= 1e-13 from the definition",
            sp ? "CSR" : "dense", e);
    }
  } else {
    check(0, "hg_glm_gram_weighted: setup failed");
  }
  free(c);
  free(H);
  free(Hr);
  free(work);
  hg_matrix_destroy(&Dg);
  hg_matrix_destroy(&Sg);
done:
  free(a0);
  free(a1);
  free(ref);
  free(g);
  hg_matrix_destroy(&D);
  hg_matrix_destroy(&S);
}

static hg_problem *make(const char *name, const char *const *words)
{
  int n = 0;
  hg_problem *P = NULL;
  hg_error err;

  hg_error_clear(&err);
  while (words[n])
    n++;
  if (hg_problem_create(name, n, words, &P, &err) != HG_OK)
    check(0, "%s: create failed: %s", name, err.msg);
  return P;
}

/* logreg's hessian=: the products and an aid run agree across yes, no and auto. */
static void test_formed_hessian(void)
{
  static const char *const yes[] = {"n=300", "d=40", "hessian=yes", NULL};
  static const char *const no[] = {"n=300", "d=40", "hessian=no", NULL};
  static const char *const aut[] = {"n=300", "d=40", NULL};
  static const char *const sp_yes[] = {"n=300", "d=40", "density=0.2", "hessian=yes", NULL};
  static const char *const sp_no[] = {"n=300", "d=40", "density=0.2", "hessian=no", NULL};
  const char *const *pairs[3][2] = {{yes, no}, {aut, no}, {sp_yes, sp_no}};
  const char *names[3] = {"dense yes/no", "dense auto/no", "CSR yes/no"};

  for (int c = 0; c < 3; c++) {
    hg_problem *A = make("logreg", pairs[c][0]), *B = make("logreg", pairs[c][1]);
    if (!A || !B) {
      hg_problem_destroy(&A);
      hg_problem_destroy(&B);
      continue;
    }
    const int n = A->n_w;
    double *theta = calloc((size_t)A->n_theta, sizeof(double));
    double *w = calloc((size_t)n, sizeof(double)), *v = calloc((size_t)n, sizeof(double));
    double *a = calloc((size_t)n, sizeof(double)), *b = calloc((size_t)n, sizeof(double));
    hg_rng rng;
    hg_rng_seed(&rng, 5);
    for (int i = 0; i < n; i++) {
      w[i] = hg_rng_normal(&rng);
      v[i] = hg_rng_normal(&rng);
    }
    for (int j = 0; j < A->n_theta; j++)
      theta[j] = -1 + 0.05 * j;
    /* 60 products at one w: auto forms H after its count (d / 24 here), yes at once */
    double worst = 0;
    for (int r = 0; r < 60; r++) {
      hg_jvp_w(A, w, theta, v, a);
      hg_jvp_w(B, w, theta, v, b);
      const double e = rel_diff(n, a, b);
      worst = e > worst ? e : worst;
      v[r % n] += 0.5;
    }
    check(worst <= 1e-12, "logreg %s: 60 products d_w Phi v at one w agree: %.2e <= 1e-12",
          names[c], worst);

    /* aid-cg with each against exact at theta0 = -1 (where the default step is 1/L): the
     * same hypergradient to 1e-10 */
    for (int j = 0; j < A->n_theta; j++)
      theta[j] = -1;
    hg_budget bud = {.t = 300, .k = 60};
    hg_run_opts o = {.with_reference = 1};
    hg_run ra = {0}, rb = {0};
    hg_error err;
    hg_error_clear(&err);
    if (hg_hypergrad(A, "aid-cg", 0, NULL, theta, &bud, &o, &ra, &err) == HG_OK &&
        hg_hypergrad(B, "aid-cg", 0, NULL, theta, &bud, &o, &rb, &err) == HG_OK) {
      const double e = rel_diff(A->n_theta, ra.grad, rb.grad);
      check(e <= 1e-10 && ra.rel_error <= 1e-8,
            "logreg %s: aid-cg hypergradients agree (%.2e <= 1e-10), error to exact %.2e",
            names[c], e, ra.rel_error);
    } else {
      check(0, "logreg %s: aid-cg failed: %s", names[c], err.msg);
    }
    hg_run_release(&ra);
    hg_run_release(&rb);
    free(theta);
    free(w);
    free(v);
    free(a);
    free(b);
    hg_problem_destroy(&A);
    hg_problem_destroy(&B);
  }
}

/* storage=auto: dense enough CSR is stored densely, and gives the same Phi as CSR. */
static void test_auto_storage(void)
{
  static const char *const dense_auto[] = {"n=120", "d=30", "density=0.7", NULL};
  static const char *const dense_csr[] = {"n=120", "d=30", "density=0.7", "storage=sparse",
                                          NULL};
  static const char *const sparse_auto[] = {"n=120", "d=30", "density=0.3", NULL};
  hg_problem *A = make("ridge", dense_auto), *B = make("ridge", dense_csr);
  hg_problem *C = make("ridge", sparse_auto);
  char da[512] = "", db[512] = "", dc[512] = "";

  if (A && B && C) {
    A->ops->describe(A->self, da, sizeof da);
    B->ops->describe(B->self, db, sizeof db);
    C->ops->describe(C->self, dc, sizeof dc);
    check(strstr(da, "dense") && !strstr(da, "CSR"), "storage=auto, density 0.7: dense (%s)",
          da);
    check(strstr(db, "CSR") != NULL, "storage=sparse, density 0.7: CSR (%s)", db);
    check(strstr(dc, "CSR") != NULL, "storage=auto, density 0.3: CSR (%s)", dc);
    const int n = A->n_w;
    double *theta = calloc((size_t)A->n_theta, sizeof(double));
    double *w = calloc((size_t)n, sizeof(double)), *a = calloc((size_t)n, sizeof(double));
    double *b = calloc((size_t)n, sizeof(double));
    for (int i = 0; i < n; i++)
      w[i] = sin(i + 1.0);
    hg_phi(A, w, theta, a);
    hg_phi(B, w, theta, b);
    const double e = rel_diff(n, a, b);
    check(e <= 1e-13, "storage=auto (dense) and storage=sparse give the same Phi: %.2e", e);
    free(theta);
    free(w);
    free(a);
    free(b);
  }
  hg_problem_destroy(&A);
  hg_problem_destroy(&B);
  hg_problem_destroy(&C);
}

/* itd:checkpoints=C against itd, bit for bit. */
static void test_checkpoints(void)
{
  static const char *const quad[] = {NULL};
  static const char *const ridge_g[] = {"n=60", "d=12", NULL};
  static const char *const ridge_ng[] = {"n=60", "d=12", "gram=no", NULL};
  static const char *const lr[] = {"n=80", "d=9", NULL};
  static const char *const lr_sp[] = {"n=80", "d=9", "density=0.3", NULL};
  static const struct {
    const char *name;
    const char *const *words;
  } probs[] = {{"quadratic", quad}, {"ridge", ridge_g}, {"ridge", ridge_ng}, {"logreg", lr},
               {"logreg", lr_sp}};
  static const int ts[] = {1, 2, 37, 100};
  static const char *const cks[] = {"checkpoints=1", "checkpoints=2", "checkpoints=3",
                                    "checkpoints=7", "checkpoints=37"};

  for (size_t p = 0; p < sizeof probs / sizeof probs[0]; p++) {
    hg_problem *P = make(probs[p].name, probs[p].words);
    if (!P)
      continue;
    double *theta = calloc((size_t)P->n_theta, sizeof(double));
    P->ops->theta0(P->self, theta);
    int bad = 0, runs = 0;
    char what[768] = "";
    for (size_t it = 0; it < sizeof ts / sizeof ts[0]; it++) {
      hg_budget bud = {.t = ts[it], .k = 1};
      hg_run_opts o = {0};
      hg_run full = {0};
      hg_error err;
      hg_error_clear(&err);
      if (hg_hypergrad(P, "itd", 0, NULL, theta, &bud, &o, &full, &err) != HG_OK) {
        check(0, "itd on %s: %s", probs[p].name, err.msg);
        hg_run_release(&full);
        continue;
      }
      for (size_t c = 0; c < sizeof cks / sizeof cks[0]; c++) {
        hg_run r = {0};
        const char *words[1] = {cks[c]};
        runs++;
        if (hg_hypergrad(P, "itd", 1, words, theta, &bud, &o, &r, &err) != HG_OK ||
            memcmp(r.grad, full.grad, (size_t)P->n_theta * sizeof(double)) != 0 ||
            memcmp(r.w, full.w, (size_t)P->n_w * sizeof(double)) != 0 ||
            r.counts.vjp_w != full.counts.vjp_w || r.counts.vjp_theta != full.counts.vjp_theta ||
            r.counts.phi < full.counts.phi) {
          if (!bad++)
            snprintf(what, sizeof what, "t = %d, %s: %s (|dg| %.3g, phi %ld vs %ld)", ts[it],
                     cks[c], err.msg, hg_rel_diff(P->n_theta, r.grad, full.grad),
                     r.counts.phi, full.counts.phi);
        }
        hg_run_release(&r);
      }
      hg_run_release(&full);
    }
    check(bad == 0, "itd:checkpoints=C on %s %s: %d runs bit-identical to the full tape "
          "(grad and w_t, memcmp), %d differ %s", probs[p].name,
          probs[p].words[0] ? probs[p].words[probs[p].words[1] && probs[p].words[2] ? 2 : 0]
                            : "", runs - bad, bad, what);
    free(theta);
    hg_problem_destroy(&P);
  }
}

int main(int argc, char **argv)
{
  (void)argc;
  (void)argv;
  testing_register_builtin();
  test_pass();
  test_formed_hessian();
  test_auto_storage();
  test_checkpoints();
  printf("%d checks, %d failed\n", checks, failures);
  return failures != 0;
}

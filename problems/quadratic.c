/*
 * quadratic.c -- the synthetic quadratic bilevel problem (DESIGN §3), and the template to copy
 * when adding a problem.
 *
 *     g(w, theta) = 1/2 w^T A w - w^T (B theta + b)
 *     E(w, theta) = 1/2 ||C w - d||^2 + (rho/2) ||theta||^2
 *     Phi(w, theta) = w - eta grad_w g(w, theta) = w - eta (A w - B theta - b)
 *
 * A = Q diag(lambda) Q^T has the geometric spectrum lambda_i = mu kappa^{i/(n-1)}, so mu, L =
 * mu kappa and q = max(|1 - eta mu|, |1 - eta L|) are known exactly: the cleanest test of
 * every rate of DESIGN §7.  Everything is drawn from the instance's own seeded generator.
 *
 * variant=benchopt is the quadratic dataset of benchopt's bilevel benchmark (full batch, the
 * expectation of its per-sample matrices), w the inner variable (dim_inner), theta the outer
 * one (dim_outer):
 *
 *     g(w, theta) = 1/2 w^T A w + theta^T C_in w + c_in^T w     (B = -C_in^T, b = -c_in)
 *     E(w, theta) = 1/2 w^T H_ww w + 1/2 theta^T H_tt theta + theta^T C_tw w + c_w^T w
 *                   + c_t^T theta
 *
 * with spectra and singular values geometric from mu_inner: A to L_inner_inner, H_ww to
 * L_inner_outer, H_tt {0} and m - 1 values to L_outer_outer, C_in to L_cross_inner, C_tw to
 * L_cross_outer (DESIGN §3 gives the mapping).
 *
 * To add a problem (steps, in order):
 *   1. Copy this file to problems/NAME.c (a registry name "my-problem" lives in
 *      problems/my_problem.c and its ops table is hg_problem_my_problem).
 *   2. Write its definition in DESIGN §3 first: the numbers are checked against that text.
 *   3. Rename the state struct and the static functions; list the parameters in the schema
 *      (key, type, default, range, help).  Every parameter needs a default that gives a small
 *      seeded instance, so `hgbench check NAME` works with no parameters at all.
 *   4. create() validates what the schema cannot, allocates every buffer the callbacks need
 *      (callbacks never allocate), and fills n_w and n_theta; destroy() frees it all.
 *   5. Implement phi, jvp_w, vjp_w, vjp_theta, upper (required) and whatever optional slots
 *      the problem can offer (jvp_theta, exact, constants, describe), each with a comment
 *      giving its math.  Leave absent optional slots NULL.
 *   6. Fill the facts the harness reads from the table, never from the name: .revision (bump
 *      it whenever the problem's numbers change), .display, .unknown for every constant that
 *      comes out NaN and why, .not_applicable for a method that cannot apply beyond what its
 *      needs show, .affine when Phi is affine in w with d_theta Phi constant, and
 *      .selftest_params when the defaults are slow to verify.
 *   7. Add one line to harness/plugins/builtin.c (an extern declaration and a {name, ops}
 *      entry).
 *   8. Run `hgbench check NAME` (finite differences of every callback), `hgbench verify NAME`
 *      and `hgbench selftest --problem NAME`; after the build CTest has a selftest.M.NAME test
 *      for every method M that applies and selftest.problem.NAME, without a line of CMake.
 */
#include "hgbench.h"

#include <cblas.h>
#include <float.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The instance: dimensions, the fixed step and the seeded data (all owned). */
typedef struct quadratic {
  int n, m;        /* n_w = n, n_theta = m */
  int benchopt;    /* variant=benchopt: E has H_ww, H_tt, C_tw, c_w, c_t instead of C, d, rho */
  double mu, kappa, rho;
  double eta;      /* Phi's step: step= or 1/L */
  long seed;
  double *lambda;  /* n eigenvalues of A, increasing */
  double *A;       /* n x n row-major, A = Q diag(lambda) Q^T */
  double *A_chol;  /* n x n: upper Cholesky factor of A (LAPACK row-major 'U') */
  double *B;       /* n x m */
  double *b;       /* n */
  double *C;       /* n x n */
  double *d;       /* n */
  double *theta0;  /* m, drawn last */
  double norm_B;   /* ||B||_2 */
  double norm_C2;  /* ||C||_2^2 = lambda_max(C^T C), the Lipschitz constant mu1 of grad_w E */
  double *r, *s;   /* n scratch each (callbacks never allocate) */
  /* variant=benchopt's E (NULL otherwise) */
  double *H_ww;    /* n x n */
  double *H_tt;    /* m x m */
  double *C_tw;    /* m x n */
  double *c_w;     /* n */
  double *c_t;     /* m */
  double *t;       /* 2 m scratch */
  double max_ww;   /* lambda_max(H_ww): mu1 */
  double max_tw;   /* ||C_tw||_2: mu2 */
  double L_in[5];  /* benchopt's L_inner_inner, L_inner_outer, L_outer_outer, L_cross_inner,
                      L_cross_outer, for describe */
} quadratic;

static const hg_param_spec quadratic_params[] = {
  {"n", HG_PARAM_INT, "20", 1, 10000, NULL, "lower-level dimension (n_w)"},
  {"m", HG_PARAM_INT, "5", 1, 100000, NULL, "number of hyperparameters (n_theta)"},
  {"kappa", HG_PARAM_REAL, "10", 1, 1e16, NULL, "condition number L/mu of A"},
  {"mu", HG_PARAM_REAL, "1", DBL_MIN, DBL_MAX, NULL, "smallest eigenvalue of A"},
  {"rho", HG_PARAM_REAL, "0.1", 0, DBL_MAX, NULL, "weight of (rho/2)||theta||^2 in E"},
  {"step", HG_PARAM_REAL, NULL, DBL_MIN, DBL_MAX, NULL, "step eta of Phi (default 1/L)"},
  {"seed", HG_PARAM_INT, "0", 0, 9007199254740992.0, NULL, "seed of the generator"},
  {"variant", HG_PARAM_CHOICE, "default", 0, 0, "default|benchopt",
   "default, or benchopt's bilevel-benchmark quadratic (the keys below)"},
  {"dim_inner", HG_PARAM_INT, "100", 1, 10000, NULL, "benchopt: n_w (inner variable)"},
  {"dim_outer", HG_PARAM_INT, "100", 1, 10000, NULL, "benchopt: n_theta (outer variable)"},
  {"mu_inner", HG_PARAM_REAL, "0.1", DBL_MIN, DBL_MAX, NULL,
   "benchopt: lower end of every spectrum and singular-value range"},
  {"L_inner_inner", HG_PARAM_REAL, "1", DBL_MIN, DBL_MAX, NULL,
   "benchopt: upper end of the spectrum of g's Hessian in w (A)"},
  {"L_inner_outer", HG_PARAM_REAL, "1", DBL_MIN, DBL_MAX, NULL,
   "benchopt: upper end of the spectrum of E's Hessian in w"},
  {"L_outer_outer", HG_PARAM_REAL, "1", DBL_MIN, DBL_MAX, NULL,
   "benchopt: upper end of the spectrum of E's Hessian in theta"},
  {"L_cross_inner", HG_PARAM_REAL, "0.1", DBL_MIN, DBL_MAX, NULL,
   "benchopt: upper end of g's cross-matrix singular values"},
  {"L_cross_outer", HG_PARAM_REAL, "0.1", DBL_MIN, DBL_MAX, NULL,
   "benchopt: upper end of E's cross-matrix singular values"},
  {NULL, 0, NULL, 0, 0, NULL, NULL},
};

static void quadratic_destroy(void *self)
{
  quadratic *qp = self;

  if (!qp)
    return;
  free(qp->lambda);
  free(qp->A);
  free(qp->A_chol);
  free(qp->B);
  free(qp->b);
  free(qp->C);
  free(qp->d);
  free(qp->theta0);
  free(qp->r);
  free(qp->s);
  free(qp->H_ww);
  free(qp->H_tt);
  free(qp->C_tw);
  free(qp->c_w);
  free(qp->c_t);
  free(qp->t);
  free(qp);
}

/* Q <- the orthogonal factor of the Householder QR of the k x k matrix in Q (dgeqrf +
 * dorgqr, in place); tau: k doubles. */
static int orthogonalize(int k, double *Q, double *tau, long seed, hg_error *err)
{
  lapack_int info = LAPACKE_dgeqrf(LAPACK_ROW_MAJOR, k, k, Q, k, tau);
  if (info == 0)
    info = LAPACKE_dorgqr(LAPACK_ROW_MAJOR, k, k, k, Q, k, tau);
  if (info != 0)
    return hg_fail(err, HG_ERR_NUMERIC, "problem 'quadratic': QR of the random matrix failed "
                   "(LAPACK info %d, seed=%ld)", (int)info, seed);
  return HG_OK;
}

/* s_i = lo ratio^{i/(k-1)}, i = 0..k-1 (s_0 = lo; k = 1: lo alone): a geometric spectrum. */
static void geometric(double lo, double ratio, int k, double *s)
{
  for (int i = 0; i < k; i++)
    s[i] = k == 1 ? lo : lo * pow(ratio, (double)i / (double)(k - 1));
}

/* S = (Q diag(lambda)) Q^T (k x k, Q orthogonal), symmetrized; tmp: k x k. */
static void from_spectrum(int k, const double *Q, const double *lambda, double *S, double *tmp)
{
  for (int i = 0; i < k; i++)
    for (int j = 0; j < k; j++)
      tmp[(size_t)i * k + j] = Q[(size_t)i * k + j] * lambda[j];
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, k, k, k, 1.0, tmp, k, Q, k, 0.0, S, k);
  for (int i = 0; i < k; i++)
    for (int j = i + 1; j < k; j++) {
      double a = 0.5 * (S[(size_t)i * k + j] + S[(size_t)j * k + i]);
      S[(size_t)i * k + j] = S[(size_t)j * k + i] = a;
    }
}

/* R = U[:, :k] diag(sigma) V[:, :k]^T (m x n, k = min(m, n); U m x m, V n x n orthogonal):
 * singular values sigma; tmp: m x k. */
static void from_singular(int m, int n, const double *U, const double *sigma, const double *V,
                          double *R, double *tmp)
{
  const int k = m < n ? m : n;

  for (int i = 0; i < m; i++)
    for (int j = 0; j < k; j++)
      tmp[(size_t)i * k + j] = U[(size_t)i * m + j] * sigma[j];
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0, tmp, k, V, n, 0.0, R, n);
}

/* The keys of the other variant are errors naming the key. */
static int quadratic_check_keys(const hg_params *p, int benchopt, hg_error *err)
{
  static const char *const keys[2][8] = {
    {"n", "m", "kappa", "mu", "rho", NULL},
    {"dim_inner", "dim_outer", "mu_inner", "L_inner_inner", "L_inner_outer", "L_outer_outer",
     "L_cross_inner", "L_cross_outer"},
  };
  const int other = !benchopt;

  for (int k = 0; k < 8 && keys[other][k]; k++)
    if (hg_params_given(p, keys[other][k]))
      return hg_fail(err, HG_ERR_ARG, "problem 'quadratic': %s= belongs to variant=%s, not "
                     "variant=%s", keys[other][k], other ? "benchopt" : "default",
                     benchopt ? "benchopt" : "default");
  if (benchopt && hg_params_real(p, "L_inner_inner") < hg_params_real(p, "mu_inner"))
    return hg_fail(err, HG_ERR_ARG, "problem 'quadratic': L_inner_inner=%g is below "
                   "mu_inner=%g (the spectrum of A is [mu_inner, L_inner_inner])",
                   hg_params_real(p, "L_inner_inner"), hg_params_real(p, "mu_inner"));
  return HG_OK;
}

/*
 * variant=benchopt's draws (DESIGN §3), after A's Q (already in Q): U, V of C_in (m x m, n x n),
 * c_in, then H_ww's, H_tt's orthogonal factors, U, V of C_tw, c_w, c_t.  Each orthogonal
 * factor is the Q of the QR of a standard normal matrix.  Sets B = -C_in^T, b = -c_in and
 * E's matrices; U, V, tmp: max(m, n)^2 each; sig: max(m, n).
 */
static int quadratic_benchopt(quadratic *qp, const hg_params *p, hg_rng *rng, double *U,
                              double *V, double *tmp, double *sig, double *tau, hg_error *err)
{
  const int n = qp->n, m = qp->m, k = m < n ? m : n;
  const double mu = qp->mu;
  int status = HG_OK;

  for (int i = 0; i < 5; i++) {
    static const char *const names[] = {"L_inner_inner", "L_inner_outer", "L_outer_outer",
                                        "L_cross_inner", "L_cross_outer"};
    qp->L_in[i] = hg_params_real(p, names[i]);
  }
  /* C_in (m x n) with singular values geometric from mu to L_cross_inner; B = -C_in^T */
  hg_rng_normals(rng, (size_t)m * m, 1.0, U);
  hg_rng_normals(rng, (size_t)n * n, 1.0, V);
  if ((status = orthogonalize(m, U, tau, qp->seed, err)) ||
      (status = orthogonalize(n, V, tau, qp->seed, err)))
    goto done;
  geometric(mu, qp->L_in[3] / mu, k, sig);
  from_singular(m, n, U, sig, V, qp->C_tw, tmp); /* C_in, parked in C_tw's storage */
  for (int i = 0; i < n; i++)
    for (int j = 0; j < m; j++)
      qp->B[(size_t)i * m + j] = -qp->C_tw[(size_t)j * n + i];
  hg_rng_normals(rng, (size_t)n, -1.0, qp->b); /* b = -c_in, c_in ~ N(0, I) */

  /* H_ww (n x n): spectrum geometric from mu to L_inner_outer */
  hg_rng_normals(rng, (size_t)n * n, 1.0, U);
  if ((status = orthogonalize(n, U, tau, qp->seed, err)))
    goto done;
  geometric(mu, qp->L_in[1] / mu, n, sig);
  qp->max_ww = fmax(sig[0], sig[n - 1]);
  from_spectrum(n, U, sig, qp->H_ww, tmp);

  /* H_tt (m x m): spectrum {0} and m - 1 values geometric from mu to L_outer_outer */
  hg_rng_normals(rng, (size_t)m * m, 1.0, U);
  if ((status = orthogonalize(m, U, tau, qp->seed, err)))
    goto done;
  sig[0] = 0.0;
  geometric(mu, qp->L_in[2] / mu, m - 1, sig + 1);
  from_spectrum(m, U, sig, qp->H_tt, tmp);

  /* C_tw (m x n): singular values geometric from mu to L_cross_outer */
  hg_rng_normals(rng, (size_t)m * m, 1.0, U);
  hg_rng_normals(rng, (size_t)n * n, 1.0, V);
  if ((status = orthogonalize(m, U, tau, qp->seed, err)) ||
      (status = orthogonalize(n, V, tau, qp->seed, err)))
    goto done;
  geometric(mu, qp->L_in[4] / mu, k, sig);
  qp->max_tw = fmax(sig[0], sig[k - 1]);
  from_singular(m, n, U, sig, V, qp->C_tw, tmp);
  hg_rng_normals(rng, (size_t)n, 1.0, qp->c_w);
  hg_rng_normals(rng, (size_t)m, 1.0, qp->c_t);

done:
  return status;
}

/* The sizes and spectrum parameters of either variant from p, and the seed. */
static void quadratic_sizes(quadratic *qp, const hg_params *p)
{
  if (qp->benchopt) {
    qp->n = (int)hg_params_int(p, "dim_inner");
    qp->m = (int)hg_params_int(p, "dim_outer");
    qp->mu = hg_params_real(p, "mu_inner");
    qp->kappa = hg_params_real(p, "L_inner_inner") / qp->mu;
    qp->rho = 0.0;
  } else {
    qp->n = (int)hg_params_int(p, "n");
    qp->m = (int)hg_params_int(p, "m");
    qp->kappa = hg_params_real(p, "kappa");
    qp->mu = hg_params_real(p, "mu");
    qp->rho = hg_params_real(p, "rho");
  }
  qp->seed = hg_params_int(p, "seed");
}

/* Allocate the arrays of qp for its n, m and variant; 1 when all were allocated (the ones
 * that were are freed by quadratic_destroy either way). */
static int quadratic_alloc(quadratic *qp)
{
  const int n = qp->n, m = qp->m;
  const size_t nn = (size_t)n * (size_t)n, nm = (size_t)n * (size_t)m;

  qp->lambda = malloc((size_t)n * sizeof(double));
  qp->A = malloc(nn * sizeof(double));
  qp->A_chol = malloc(nn * sizeof(double));
  qp->B = malloc(nm * sizeof(double));
  qp->b = malloc((size_t)n * sizeof(double));
  qp->theta0 = malloc((size_t)m * sizeof(double));
  qp->r = malloc((size_t)n * sizeof(double));
  qp->s = malloc((size_t)n * sizeof(double));
  int ok = qp->lambda && qp->A && qp->A_chol && qp->B && qp->b && qp->theta0 && qp->r && qp->s;
  if (qp->benchopt) {
    qp->H_ww = malloc(nn * sizeof(double));
    qp->H_tt = malloc((size_t)m * m * sizeof(double));
    qp->C_tw = malloc(nm * sizeof(double));
    qp->c_w = malloc((size_t)n * sizeof(double));
    qp->c_t = malloc((size_t)m * sizeof(double));
    qp->t = malloc(2 * (size_t)m * sizeof(double));
    return ok && qp->H_ww && qp->H_tt && qp->C_tw && qp->c_w && qp->c_t && qp->t;
  }
  qp->C = malloc(nn * sizeof(double));
  qp->d = malloc((size_t)n * sizeof(double));
  return ok && qp->C && qp->d;
}

/* The norms the constants need: ||B||_2 from the smaller Gram matrix of B (BtB: k x k
 * scratch, k = min(m, n)) and, default variant, ||C||_2^2 (Q: n x n scratch). */
static int quadratic_norms(quadratic *qp, double *BtB, double *Q, hg_error *err)
{
  const int n = qp->n, m = qp->m, k = m <= n ? m : n;

  /* ||B||_2 = sqrt(lambda_max(B^T B)) (or of B B^T when n < m: the smaller Gram matrix), for
   * L_Phi = eta ||B||_2. */
  double bt_min = 0, bt_max = 0;
  cblas_dgemm(CblasRowMajor, m <= n ? CblasTrans : CblasNoTrans,
              m <= n ? CblasNoTrans : CblasTrans, k, k, m <= n ? n : m, 1.0, qp->B, m, qp->B, m,
              0.0, BtB, k);
  int status = hg_sym_extremes(k, BtB, &bt_min, &bt_max, err);
  if (status != HG_OK)
    return status;
  qp->norm_B = sqrt(fmax(bt_max, 0.0));

  /* ||C||_2^2 = lambda_max(C^T C) (C^T C formed in Q's storage, no longer needed), for mu1. */
  if (!qp->benchopt) {
    double ct_min = 0, ct_max = 0;
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, n, n, 1.0, qp->C, n, 0.0, Q, n);
    for (int i = 0; i < n; i++)
      for (int j = i + 1; j < n; j++)
        Q[(size_t)j * n + i] = Q[(size_t)i * n + j];
    status = hg_sym_extremes(n, Q, &ct_min, &ct_max, err);
    if (status != HG_OK)
      return status;
    qp->norm_C2 = fmax(ct_max, 0.0);
  }
  return HG_OK;
}

/*
 * The instance of DESIGN §3 from seed, drawn in this order: an n x n standard normal matrix
 * whose Householder QR (dgeqrf + dorgqr) gives the orthogonal Q; then (default) B (n x m) /
 * sqrt(n); b (n); C (n x n) / sqrt(n); d (n), or (variant=benchopt) quadratic_benchopt's draws;
 * theta0 (m) last.  A = Q diag(lambda) Q^T with lambda_i = mu kappa^{i/(n-1)}, i = 0..n-1
 * (exactly mu and mu kappa at the ends; benchopt: mu = mu_inner, kappa =
 * L_inner_inner/mu_inner), stored symmetrized; its Cholesky factor serves every exact solve.
 * eta = step= or 1/L, L = mu kappa.
 */
static int quadratic_create(const hg_params *p, void **self, int *n_w, int *n_theta,
                            hg_error *err)
{
  int status = HG_OK;
  quadratic *qp = NULL;
  double *Q = NULL, *tau = NULL, *BtB = NULL; /* normal matrix, then Q; QR's tau; B's Gram */
  double *U = NULL, *V = NULL, *T = NULL, *sig = NULL; /* benchopt's factors, scratch, spectra */
  hg_rng rng;

  qp = calloc(1, sizeof *qp);
  if (!qp) {
    status = hg_fail(err, HG_ERR_NOMEM, "problem 'quadratic': out of memory for its state");
    goto done;
  }
  qp->benchopt = strcmp(hg_params_str(p, "variant"), "benchopt") == 0;
  status = quadratic_check_keys(p, qp->benchopt, err);
  if (status != HG_OK)
    goto done;
  quadratic_sizes(qp, p);
  const int n = qp->n, m = qp->m, k = m <= n ? m : n; /* k: order of the smaller Gram of B */
  const int big = m > n ? m : n;
  const size_t nn = (size_t)n * (size_t)n, nm = (size_t)n * (size_t)m;

  /* A, its factor and Q (n x n), B (n x m), the Gram of B; benchopt's SVD work (3 big^2) */
  double bytes = (3.0 * nn + nm + (double)k * k + 6.0 * big) * sizeof(double);
  if (qp->benchopt)
    bytes += (2.0 * nn + (double)m * m + nm + 3.0 * big * big) * sizeof(double);
  if ((status = hg_params_reserve(p, "problem 'quadratic'", bytes, "for its matrices", err)))
    goto done;
  Q = malloc(nn * sizeof(double));
  tau = malloc((size_t)big * sizeof(double));
  BtB = malloc((size_t)k * (size_t)k * sizeof(double));
  int ok = quadratic_alloc(qp) && Q && tau && BtB;
  if (qp->benchopt) {
    U = malloc((size_t)big * big * sizeof(double));
    V = malloc((size_t)big * big * sizeof(double));
    T = malloc((size_t)big * big * sizeof(double));
    sig = malloc((size_t)big * sizeof(double));
    ok = ok && U && V && T && sig;
  }
  if (!ok) {
    status = hg_fail(err, HG_ERR_NOMEM, "problem 'quadratic': out of memory for n=%d, m=%d",
                     n, m);
    goto done;
  }

  hg_rng_seed(&rng, (uint64_t)qp->seed);
  hg_rng_normals(&rng, nn, 1.0, Q);
  if (qp->benchopt) {
    if ((status = orthogonalize(n, Q, tau, qp->seed, err)) ||
        (status = quadratic_benchopt(qp, p, &rng, U, V, T, sig, tau, err)))
      goto done;
  } else {
    hg_rng_normals(&rng, nm, 1.0 / sqrt((double)n), qp->B);
    hg_rng_normals(&rng, (size_t)n, 1.0, qp->b);
    hg_rng_normals(&rng, nn, 1.0 / sqrt((double)n), qp->C);
    hg_rng_normals(&rng, (size_t)n, 1.0, qp->d);
  }
  hg_rng_normals(&rng, (size_t)m, 1.0, qp->theta0);
  if (!qp->benchopt && (status = orthogonalize(n, Q, tau, qp->seed, err)))
    goto done;

  /* lambda_i = mu kappa^{i/(n-1)}; A = (Q diag(lambda)) Q^T (Q diag(lambda) formed in
   * A_chol's storage), then symmetrized. */
  geometric(qp->mu, qp->kappa, n, qp->lambda);
  qp->lambda[n - 1] = n == 1 ? qp->mu : qp->mu * qp->kappa;
  from_spectrum(n, Q, qp->lambda, qp->A, qp->A_chol);

  memcpy(qp->A_chol, qp->A, nn * sizeof(double));
  lapack_int info = LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'U', n, qp->A_chol, n);
  if (info != 0) {
    status = hg_fail(err, HG_ERR_NUMERIC,
                     "problem 'quadratic': Cholesky of A failed (LAPACK info %d): mu=%g with "
                     "kappa=%g is too ill-conditioned", (int)info, qp->mu, qp->kappa);
    goto done;
  }

  status = quadratic_norms(qp, BtB, Q, err);
  if (status != HG_OK)
    goto done;

  qp->eta = hg_params_given(p, "step") ? hg_params_real(p, "step") : 1.0 / qp->lambda[n - 1];
  *n_w = n;
  *n_theta = m;
  *self = qp;
  qp = NULL;

done:
  quadratic_destroy(qp);
  free(Q);
  free(tau);
  free(BtB);
  free(U);
  free(V);
  free(T);
  free(sig);
  return status;
}

static void quadratic_theta0(const void *self, double *theta)
{
  const quadratic *qp = self;
  memcpy(theta, qp->theta0, (size_t)qp->m * sizeof(double));
}

/* out = Phi(w, theta) = w - eta (A w - B theta - b)   (DESIGN §3). */
static void quadratic_phi(void *self, const double *w, const double *theta, double *out)
{
  quadratic *qp = self;
  const int n = qp->n;

  cblas_dsymv(CblasRowMajor, CblasUpper, n, 1.0, qp->A, n, w, 1, 0.0, qp->r, 1);
  cblas_dgemv(CblasRowMajor, CblasNoTrans, n, qp->m, -1.0, qp->B, qp->m, theta, 1, 1.0, qp->r, 1);
  for (int i = 0; i < n; i++)
    out[i] = w[i] - qp->eta * (qp->r[i] - qp->b[i]);
}

/* out = d_w Phi v = v - eta A v; A is symmetric, so this is also vjp_w   (DESIGN §3). */
static void quadratic_jvp_w(void *self, const double *w, const double *theta, const double *v,
                            double *out)
{
  quadratic *qp = self;
  const int n = qp->n;

  cblas_dsymv(CblasRowMajor, CblasUpper, n, 1.0, qp->A, n, v, 1, 0.0, qp->r, 1);
  for (int i = 0; i < n; i++)
    out[i] = v[i] - qp->eta * qp->r[i];
}

/* out (m) = d_theta Phi^T v = eta B^T v   (DESIGN §3). */
static void quadratic_vjp_theta(void *self, const double *w, const double *theta,
                                const double *v, double *out)
{
  quadratic *qp = self;
  cblas_dgemv(CblasRowMajor, CblasTrans, qp->n, qp->m, qp->eta, qp->B, qp->m, v, 1, 0.0, out, 1);
}

/* out (n) = d_theta Phi u = eta B u   (DESIGN §3). */
static void quadratic_jvp_theta(void *self, const double *w, const double *theta,
                                const double *u, double *out)
{
  quadratic *qp = self;
  cblas_dgemv(CblasRowMajor, CblasNoTrans, qp->n, qp->m, qp->eta, qp->B, qp->m, u, 1, 0.0, out, 1);
}

/*
 * variant=benchopt (DESIGN §3): E = 1/2 w^T H_ww w + c_w^T w + theta^T C_tw w
 * + 1/2 theta^T H_tt theta + c_t^T theta; grad_w E = H_ww w + C_tw^T theta + c_w, grad_theta E =
 * H_tt theta + C_tw w + c_t.
 */
static double quadratic_upper_benchopt(quadratic *qp, const double *w, const double *theta,
                                       double *gw, double *gtheta)
{
  const int n = qp->n, m = qp->m;
  double *t1 = qp->t, *t2 = qp->t + m; /* C_tw w, H_tt theta */

  cblas_dsymv(CblasRowMajor, CblasUpper, n, 1.0, qp->H_ww, n, w, 1, 0.0, qp->r, 1);
  cblas_dgemv(CblasRowMajor, CblasNoTrans, m, n, 1.0, qp->C_tw, n, w, 1, 0.0, t1, 1);
  cblas_dsymv(CblasRowMajor, CblasUpper, m, 1.0, qp->H_tt, m, theta, 1, 0.0, t2, 1);
  const double E = 0.5 * hg_dot(n, w, qp->r) + hg_dot(n, qp->c_w, w) + hg_dot(m, theta, t1) +
                   0.5 * hg_dot(m, theta, t2) + hg_dot(m, qp->c_t, theta);
  if (gw) {
    for (int i = 0; i < n; i++)
      gw[i] = qp->r[i] + qp->c_w[i];
    cblas_dgemv(CblasRowMajor, CblasTrans, m, n, 1.0, qp->C_tw, n, theta, 1, 1.0, gw, 1);
  }
  if (gtheta)
    for (int j = 0; j < m; j++)
      gtheta[j] = t2[j] + t1[j] + qp->c_t[j];
  return E;
}

/* E = 1/2 ||C w - d||^2 + (rho/2) ||theta||^2; grad_w E = C^T (C w - d), grad_theta E =
 * rho theta   (DESIGN §3); variant=benchopt: quadratic_upper_benchopt. */
static double quadratic_upper(void *self, const double *w, const double *theta, double *gw,
                              double *gtheta)
{
  quadratic *qp = self;
  const int n = qp->n, m = qp->m;

  if (qp->benchopt)
    return quadratic_upper_benchopt(qp, w, theta, gw, gtheta);
  memcpy(qp->r, qp->d, (size_t)n * sizeof(double));
  cblas_dgemv(CblasRowMajor, CblasNoTrans, n, n, 1.0, qp->C, n, w, 1, -1.0, qp->r, 1);
  double E = 0.5 * cblas_ddot(n, qp->r, 1, qp->r, 1) + 0.5 * qp->rho * cblas_ddot(m, theta, 1,
                                                                                 theta, 1);
  if (gw)
    cblas_dgemv(CblasRowMajor, CblasTrans, n, n, 1.0, qp->C, n, qp->r, 1, 0.0, gw, 1);
  if (gtheta)
    for (int j = 0; j < m; j++)
      gtheta[j] = qp->rho * theta[j];
  return E;
}

/*
 * Exact reference (DESIGN §1, §3) with the Cholesky factor of A:
 *   w* = A^{-1} (B theta + b),   v = A^{-1} grad_w E(w*, theta),
 *   grad f = grad_theta E(w*, theta) + B^T v   (default: grad_w E = C^T (C w* - d),
 *   grad_theta E = rho theta).
 * (grad f = grad_theta E - (d_w d_theta g)^T A^{-1} grad_w E with d_w d_theta g = -B.)
 */
static int quadratic_exact(void *self, const double *theta, double *wstar, double *grad,
                           hg_error *err)
{
  quadratic *qp = self;
  const int n = qp->n, m = qp->m;
  int status = HG_OK;

  memcpy(wstar, qp->b, (size_t)n * sizeof(double));
  cblas_dgemv(CblasRowMajor, CblasNoTrans, n, m, 1.0, qp->B, m, theta, 1, 1.0, wstar, 1);
  lapack_int info = LAPACKE_dpotrs(LAPACK_ROW_MAJOR, 'U', n, 1, qp->A_chol, n, wstar, 1);
  if (info != 0) {
    status = hg_fail(err, HG_ERR_NUMERIC, "problem 'quadratic': solve with A failed (LAPACK "
                     "info %d)", (int)info);
    goto done;
  }
  quadratic_upper(qp, wstar, theta, qp->s, grad);
  info = LAPACKE_dpotrs(LAPACK_ROW_MAJOR, 'U', n, 1, qp->A_chol, n, qp->s, 1);
  if (info != 0) {
    status = hg_fail(err, HG_ERR_NUMERIC, "problem 'quadratic': adjoint solve with A failed "
                     "(LAPACK info %d)", (int)info);
    goto done;
  }
  cblas_dgemv(CblasRowMajor, CblasTrans, n, m, 1.0, qp->B, m, qp->s, 1, 1.0, grad, 1);

done:
  return status;
}

/*
 * Constants (DESIGN §7), exact and independent of theta: mu = lambda_0, L = lambda_{n-1}
 * (mu kappa), q = max(|1 - eta mu|, |1 - eta L|), kappa = L/mu, L_Phi = ||eta B||_2; the
 * global Lipschitz constants in w (Grazzi et al. 2020, §2), all attained:
 *   d_w Phi = I - eta A does not depend on w:                      nu1 = 0;
 *   d_theta Phi = eta B does not depend on w:                      nu2 = 0;
 *   grad_w E(w) - grad_w E(w') = C^T C (w - w'):                  mu1 = lambda_max(C^T C);
 *   grad_theta E = rho theta does not depend on w:                 mu2 = 0.
 * variant=benchopt: grad_w E(w) - grad_w E(w') = H_ww (w - w'):     mu1 = lambda_max(H_ww);
 *   grad_theta E(w) - grad_theta E(w') = C_tw (w - w'):             mu2 = ||C_tw||_2.
 */
static int quadratic_constants(void *self, const double *theta, hg_constants *c, hg_error *err)
{
  quadratic *qp = self;

  hg_constants_unknown(c);
  c->step = qp->eta;
  c->mu = qp->lambda[0];
  c->L = qp->lambda[qp->n - 1];
  c->q = fmax(fabs(1.0 - qp->eta * c->mu), fabs(1.0 - qp->eta * c->L));
  c->kappa = c->L / c->mu;
  c->L_Phi = qp->eta * qp->norm_B;
  c->nu1 = 0.0;
  c->nu2 = 0.0;
  c->mu1 = qp->benchopt ? qp->max_ww : qp->norm_C2;
  c->mu2 = qp->benchopt ? qp->max_tw : 0.0;
  c->exact_mu_L = 1;
  return HG_OK;
}

static void quadratic_describe(const void *self, char *buf, size_t len)
{
  const quadratic *qp = self;

  if (qp->benchopt) {
    snprintf(buf, len, "benchopt's bilevel quadratic (seed %ld): dim_inner %d, dim_outer %d; "
             "mu_inner %.6g; L_inner_inner %.6g, L_inner_outer %.6g, L_outer_outer %.6g, "
             "L_cross_inner %.6g, L_cross_outer %.6g; step %.6g", qp->seed, qp->n, qp->m,
             qp->mu, qp->L_in[0], qp->L_in[1], qp->L_in[2], qp->L_in[3], qp->L_in[4], qp->eta);
    return;
  }
  snprintf(buf, len, "synthetic (seed %ld): A %d x %d with spectrum [%.6g, %.6g] (kappa %.6g), "
           "B %d x %d; rho %.6g; step %.6g", qp->seed, qp->n, qp->n, qp->lambda[0],
           qp->lambda[qp->n - 1], qp->lambda[qp->n - 1] / qp->lambda[0], qp->n, qp->m, qp->rho,
           qp->eta);
}

/* Phi(w, theta) = w - eta (A w - B theta - b): affine in w, d_theta Phi = eta B constant. */
static int quadratic_affine(const void *self)
{
  return 1;
}

const hg_problem_ops hg_problem_quadratic = {
  .version = HG_OPS_VERSION,   /* ops layout this table was written for */
  .name = "quadratic",                 /* registry name */
  .summary = "synthetic quadratic bilevel problem with a chosen spectrum (DESIGN §3)",
  .params = quadratic_params,          /* n, m, kappa, mu, rho, step, seed; variant=benchopt */
  .create = quadratic_create,          /* draws A, B, b, C, d, theta0 from seed */
  .destroy = quadratic_destroy,        /* frees the state */
  .theta0 = quadratic_theta0,          /* the seeded normal theta0 */
  .phi = quadratic_phi,                /* w - eta (A w - B theta - b) */
  .jvp_w = quadratic_jvp_w,            /* v - eta A v */
  .vjp_w = quadratic_jvp_w,            /* the same: A is symmetric */
  .vjp_theta = quadratic_vjp_theta,    /* eta B^T v */
  .upper = quadratic_upper,            /* 1/2 ||C w - d||^2 + rho/2 ||theta||^2 (or benchopt's) */
  .jvp_theta = quadratic_jvp_theta,    /* eta B u */
  .exact = quadratic_exact,            /* Cholesky of A */
  .constants = quadratic_constants,    /* exact mu, L, q, kappa; L_Phi; nu, mu */
  .describe = quadratic_describe,      /* sizes, spectrum, step */
  .symmetric = 1,                      /* d_w Phi = I - eta A */
  .revision = 1,                       /* bump when this problem's numbers change */
  .display = "quadratic (synthetic)", /* legends and tables */
  .affine = quadratic_affine,      /* Phi affine in w, d_theta Phi constant */
};

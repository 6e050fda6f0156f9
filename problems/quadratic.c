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
 *   6. Add one line to harness/registry.c (an extern declaration and a {name, ops} entry).
 *   7. Run `hgbench check NAME` (finite differences of every callback) and `hgbench verify
 *      NAME`; the conformance suite in tests/ then runs every method on it.
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
} quadratic;

static const hg_param_spec quadratic_params[] = {
  {"n", HG_PARAM_INT, "20", 1, 10000, NULL, "lower-level dimension (n_w)"},
  {"m", HG_PARAM_INT, "5", 1, 100000, NULL, "number of hyperparameters (n_theta)"},
  {"kappa", HG_PARAM_REAL, "10", 1, 1e16, NULL, "condition number L/mu of A"},
  {"mu", HG_PARAM_REAL, "1", DBL_MIN, DBL_MAX, NULL, "smallest eigenvalue of A"},
  {"rho", HG_PARAM_REAL, "0.1", 0, DBL_MAX, NULL, "weight of (rho/2)||theta||^2 in E"},
  {"step", HG_PARAM_REAL, NULL, DBL_MIN, DBL_MAX, NULL, "step eta of Phi (default 1/L)"},
  {"seed", HG_PARAM_INT, "0", 0, 9007199254740992.0, NULL, "seed of the generator"},
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
  free(qp);
}

/*
 * The instance of DESIGN §3 from seed, drawn in this order: an n x n standard normal matrix
 * whose Householder QR (dgeqrf + dorgqr) gives the orthogonal Q; B (n x m) / sqrt(n); b (n);
 * C (n x n) / sqrt(n); d (n); theta0 (m).  A = Q diag(lambda) Q^T with
 * lambda_i = mu kappa^{i/(n-1)}, i = 0..n-1 (exactly mu and mu kappa at the ends), stored
 * symmetrized; its Cholesky factor serves every exact solve.  eta = step= or 1/L, L = mu kappa.
 */
static int quadratic_create(const hg_params *p, void **self, int *n_w, int *n_theta,
                            hg_error *err)
{
  int status = HG_OK;
  quadratic *qp = NULL;
  double *Q = NULL, *tau = NULL, *BtB = NULL; /* normal matrix, then Q; QR's tau; B's Gram */
  hg_rng rng;

  qp = calloc(1, sizeof *qp);
  if (!qp) {
    status = hg_fail(err, HG_ERR_NOMEM, "problem 'quadratic': out of memory for its state");
    goto done;
  }
  qp->n = (int)hg_params_int(p, "n");
  qp->m = (int)hg_params_int(p, "m");
  qp->kappa = hg_params_real(p, "kappa");
  qp->mu = hg_params_real(p, "mu");
  qp->rho = hg_params_real(p, "rho");
  qp->seed = hg_params_int(p, "seed");
  const int n = qp->n, m = qp->m, k = m <= n ? m : n; /* k: order of the smaller Gram of B */
  const size_t nn = (size_t)n * (size_t)n, nm = (size_t)n * (size_t)m;

  qp->lambda = malloc((size_t)n * sizeof(double));
  qp->A = malloc(nn * sizeof(double));
  qp->A_chol = malloc(nn * sizeof(double));
  qp->B = malloc(nm * sizeof(double));
  qp->b = malloc((size_t)n * sizeof(double));
  qp->C = malloc(nn * sizeof(double));
  qp->d = malloc((size_t)n * sizeof(double));
  qp->theta0 = malloc((size_t)m * sizeof(double));
  qp->r = malloc((size_t)n * sizeof(double));
  qp->s = malloc((size_t)n * sizeof(double));
  Q = malloc(nn * sizeof(double));
  tau = malloc((size_t)n * sizeof(double));
  BtB = malloc((size_t)k * (size_t)k * sizeof(double));
  if (!qp->lambda || !qp->A || !qp->A_chol || !qp->B || !qp->b || !qp->C || !qp->d || !qp->theta0 ||
      !qp->r || !qp->s || !Q || !tau || !BtB) {
    status = hg_fail(err, HG_ERR_NOMEM, "problem 'quadratic': out of memory for n=%d, m=%d",
                     n, m);
    goto done;
  }

  hg_rng_seed(&rng, (uint64_t)qp->seed);
  hg_rng_normals(&rng, nn, 1.0, Q);
  hg_rng_normals(&rng, nm, 1.0 / sqrt((double)n), qp->B);
  hg_rng_normals(&rng, (size_t)n, 1.0, qp->b);
  hg_rng_normals(&rng, nn, 1.0 / sqrt((double)n), qp->C);
  hg_rng_normals(&rng, (size_t)n, 1.0, qp->d);
  hg_rng_normals(&rng, (size_t)m, 1.0, qp->theta0);

  /* Q from the Householder QR of the normal matrix (in place). */
  lapack_int info = LAPACKE_dgeqrf(LAPACK_ROW_MAJOR, n, n, Q, n, tau);
  if (info == 0)
    info = LAPACKE_dorgqr(LAPACK_ROW_MAJOR, n, n, n, Q, n, tau);
  if (info != 0) {
    status = hg_fail(err, HG_ERR_NUMERIC,
                     "problem 'quadratic': QR of the random matrix failed (LAPACK info %d, "
                     "seed=%ld)", (int)info, qp->seed);
    goto done;
  }

  /* lambda_i = mu kappa^{i/(n-1)}; A = (Q diag(lambda)) Q^T (Q diag(lambda) formed in
   * A_chol's storage), then symmetrized. */
  for (int i = 0; i < n; i++)
    qp->lambda[i] = n == 1 ? qp->mu : qp->mu * pow(qp->kappa, (double)i / (double)(n - 1));
  qp->lambda[n - 1] = n == 1 ? qp->mu : qp->mu * qp->kappa;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++)
      qp->A_chol[(size_t)i * n + j] = Q[(size_t)i * n + j] * qp->lambda[j];
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, n, n, 1.0, qp->A_chol, n, Q, n, 0.0,
              qp->A, n);
  for (int i = 0; i < n; i++)
    for (int j = i + 1; j < n; j++) {
      double a = 0.5 * (qp->A[(size_t)i * n + j] + qp->A[(size_t)j * n + i]);
      qp->A[(size_t)i * n + j] = qp->A[(size_t)j * n + i] = a;
    }

  memcpy(qp->A_chol, qp->A, nn * sizeof(double));
  info = LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'U', n, qp->A_chol, n);
  if (info != 0) {
    status = hg_fail(err, HG_ERR_NUMERIC,
                     "problem 'quadratic': Cholesky of A failed (LAPACK info %d): mu=%g with "
                     "kappa=%g is too ill-conditioned", (int)info, qp->mu, qp->kappa);
    goto done;
  }

  /* ||B||_2 = sqrt(lambda_max(B^T B)) (or of B B^T when n < m: the smaller Gram matrix), for
   * L_Phi = eta ||B||_2. */
  double bt_min = 0, bt_max = 0;
  cblas_dgemm(CblasRowMajor, m <= n ? CblasTrans : CblasNoTrans,
              m <= n ? CblasNoTrans : CblasTrans, k, k, m <= n ? n : m, 1.0, qp->B, m, qp->B, m,
              0.0, BtB, k);
  status = hg_sym_extremes(k, BtB, &bt_min, &bt_max, err);
  if (status != HG_OK)
    goto done;
  qp->norm_B = sqrt(fmax(bt_max, 0.0));

  /* ||C||_2^2 = lambda_max(C^T C) (C^T C formed in Q's storage, no longer needed), for mu1. */
  double ct_min = 0, ct_max = 0;
  cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, n, n, 1.0, qp->C, n, 0.0, Q, n);
  for (int i = 0; i < n; i++)
    for (int j = i + 1; j < n; j++)
      Q[(size_t)j * n + i] = Q[(size_t)i * n + j];
  status = hg_sym_extremes(n, Q, &ct_min, &ct_max, err);
  if (status != HG_OK)
    goto done;
  qp->norm_C2 = fmax(ct_max, 0.0);

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

/* E = 1/2 ||C w - d||^2 + (rho/2) ||theta||^2; grad_w E = C^T (C w - d), grad_theta E =
 * rho theta   (DESIGN §3). */
static double quadratic_upper(void *self, const double *w, const double *theta, double *gw,
                              double *gtheta)
{
  quadratic *qp = self;
  const int n = qp->n, m = qp->m;

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
 *   w* = A^{-1} (B theta + b),   v = A^{-1} C^T (C w* - d),   grad f = rho theta + B^T v.
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
  memcpy(qp->r, qp->d, (size_t)n * sizeof(double));
  cblas_dgemv(CblasRowMajor, CblasNoTrans, n, n, 1.0, qp->C, n, wstar, 1, -1.0, qp->r, 1);
  cblas_dgemv(CblasRowMajor, CblasTrans, n, n, 1.0, qp->C, n, qp->r, 1, 0.0, qp->s, 1);
  info = LAPACKE_dpotrs(LAPACK_ROW_MAJOR, 'U', n, 1, qp->A_chol, n, qp->s, 1);
  if (info != 0) {
    status = hg_fail(err, HG_ERR_NUMERIC, "problem 'quadratic': adjoint solve with A failed "
                     "(LAPACK info %d)", (int)info);
    goto done;
  }
  for (int j = 0; j < m; j++)
    grad[j] = qp->rho * theta[j];
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
  c->mu1 = qp->norm_C2;
  c->mu2 = 0.0;
  c->exact_mu_L = 1;
  return HG_OK;
}

static void quadratic_describe(const void *self, char *buf, size_t len)
{
  const quadratic *qp = self;

  snprintf(buf, len, "synthetic (seed %ld): A %d x %d with spectrum [%.6g, %.6g] (kappa %.6g), "
           "B %d x %d; rho %.6g; step %.6g", qp->seed, qp->n, qp->n, qp->lambda[0],
           qp->lambda[qp->n - 1], qp->lambda[qp->n - 1] / qp->lambda[0], qp->n, qp->m, qp->rho,
           qp->eta);
}

const hg_problem_ops hg_problem_quadratic = {
  .version = HG_PROBLEM_OPS_VERSION,   /* ops layout this table was written for */
  .name = "quadratic",                 /* registry name */
  .summary = "synthetic quadratic bilevel problem with a chosen spectrum (DESIGN §3)",
  .params = quadratic_params,          /* n, m, kappa, mu, rho, step, seed */
  .create = quadratic_create,          /* draws A, B, b, C, d, theta0 from seed */
  .destroy = quadratic_destroy,        /* frees the state */
  .theta0 = quadratic_theta0,          /* the seeded normal theta0 */
  .phi = quadratic_phi,                /* w - eta (A w - B theta - b) */
  .jvp_w = quadratic_jvp_w,            /* v - eta A v */
  .vjp_w = quadratic_jvp_w,            /* the same: A is symmetric */
  .vjp_theta = quadratic_vjp_theta,    /* eta B^T v */
  .upper = quadratic_upper,            /* 1/2 ||C w - d||^2 + rho/2 ||theta||^2 */
  .jvp_theta = quadratic_jvp_theta,    /* eta B u */
  .exact = quadratic_exact,            /* Cholesky of A */
  .constants = quadratic_constants,    /* exact mu, L, q, kappa; L_Phi; nu, mu */
  .describe = quadratic_describe,      /* sizes, spectrum, step */
  .symmetric = 1,                      /* d_w Phi = I - eta A */
};

/*
 * kernel_ridge.c -- Gaussian kernel ridge regression in the dual (alpha) form (DESIGN §3):
 *
 *     k(x, x') = exp(-sum_j (x_j - x'_j)^2 / (2 sigma_j^2)),   K = k(X, X) (n x n),
 *     K^val = k(X', X) (n' x n),
 *     g(alpha, theta) = 1/2 alpha^T (K + gamma I) alpha - alpha^T y,
 *     Phi(alpha, theta) = alpha - eta ((K + gamma I) alpha - y),
 *     E(alpha, theta) = (1/2n') ||K^val alpha - y'||^2,
 *
 * theta = (log gamma, log sigma) with one bandwidth for every feature (sigma_j = sigma), or
 * with ard=1 theta = (log gamma, log sigma_1, .., log sigma_d).  w = alpha, n_w = n.
 *
 * The bandwidths enter through the kernel only: for bandwidth component c (theta_c, c >= 1)
 *     dK_c = dK/dtheta_c = K .* S_c,   S_c[i][k] = sum_{j in c} (x_ij - x_kj)^2 / sigma_j^2
 * (j in c: every feature in the isotropic case, feature c in the ARD case), and likewise
 * dK^val_c from K^val.  K, K^val and every dK_c, dK^val_c are dense and cached for the last
 * bandwidths seen (recomputed, O((n + n') n d), when theta[1..m) changes; callbacks compare
 * it with memcmp), so every callback is a few matrix-vector products and never allocates.
 * Memory: (1 + s)(n + n') n doubles for s = 1 (isotropic) or d (ARD) bandwidth components.
 */
#include "glm.h"

#include <cblas.h>
#include <float.h>
#include <lapacke.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The instance (all pointers owned). */
typedef struct kernel_ridge {
  int n, n_val, d;       /* training points (n_w), validation points, features */
  int ard;               /* 1: one bandwidth per feature */
  int s;                 /* bandwidth components: d (ARD) or 1 */
  int m;                 /* n_theta = 1 + s */
  double gamma0, sigma0; /* theta0 = (log gamma0, log sigma0, ..) */
  double eta;            /* Phi's fixed step: step= or 1/lambda_max(K + gamma I) at theta0 */
  char source[160];      /* "synthetic (seed 0)", "train / val" files or data='s description */
  hg_matrix *X, *X_val;  /* dense n x d and n' x d */
  double *y, *y_val;     /* n, n' */

  /* Kernels for the bandwidths k_theta = theta[1..m) (k_valid). */
  double *k_theta;
  int k_valid;
  double *inv_s2;        /* d: 1 / sigma_j^2 */
  double *K;             /* n x n */
  double *Kv;            /* n' x n */
  double *dK;            /* s blocks of n x n: dK_c, c = 1..s */
  double *dKv;           /* s blocks of n' x n: dK^val_c */

  /* The Cholesky factor of K + gamma I and alpha* for the full theta f_theta (f_valid). */
  double *f_theta;
  int f_valid;
  double *chol;          /* n x n, upper (LAPACK row-major 'U') */
  double *astar;         /* n */

  /* Constants for the bandwidths c_theta: the spectrum of K (c_spec), the Lipschitz parts
   * that do not depend on gamma (c_lip). */
  double *c_theta;
  int c_spec, c_lip;
  double lamK_min, lamK_max; /* extremes of K (dsyevr) */
  double kv_norm2;           /* ||K^val||_2^2 */
  double dk2_max;            /* lambda_max(sum_c dK_c^2) */
  double *h_norm;            /* s: ||H_c||_2, H_c = (K^val^T dK^val_c + dK^val_c^T K^val)/n' */

  double *r_n, *s_n, *t_n; /* n scratch each (callbacks never allocate) */
  double *r_val, *s_val;   /* n' scratch each */
} kernel_ridge;

static const hg_param_spec kernel_ridge_params[] = {
  HG_GLM_FILE_PARAMS,
  HG_GLM_DATASET_PARAMS,
  HG_GLM_CLASSES_PARAM(NULL, "an error (no classes without data=)"),
  {"ard", HG_PARAM_INT, "0", 0, 1, NULL,
   "1: one bandwidth per feature, theta = (log gamma, log sigma_1..d); 0: one bandwidth"},
  {"gamma", HG_PARAM_REAL, "0.1", DBL_MIN, DBL_MAX, NULL, "regularization gamma at theta0"},
  {"bandwidth", HG_PARAM_REAL, "1", DBL_MIN, DBL_MAX, NULL,
   "kernel bandwidth sigma at theta0 (every sigma_j with ard=1)"},
  {"step", HG_PARAM_REAL, NULL, DBL_MIN, DBL_MAX, NULL,
   "step eta of Phi (default 1/lambda_max(K + gamma I) at theta0)"},
  {"n", HG_PARAM_INT, "60", 1, INT_MAX, NULL,
   "synthetic or data=: training points"},
  {"n_val", HG_PARAM_INT, "40", 1, INT_MAX, NULL,
   "synthetic or data=: validation points"},
  {"d", HG_PARAM_INT, "3", 1, INT_MAX - 1, NULL, "synthetic: features"},
  {"noise", HG_PARAM_REAL, "0.1", 0, DBL_MAX, NULL, "synthetic: label noise level"},
  {"seed", HG_PARAM_INT, "0", 0, 9007199254740992.0, NULL,
   "synthetic: generator seed; data=: which examples"},
  {NULL, 0, NULL, 0, 0, NULL, NULL},
};

static void kernel_ridge_destroy(void *self)
{
  kernel_ridge *kr = self;

  if (!kr)
    return;
  hg_matrix_destroy(&kr->X);
  hg_matrix_destroy(&kr->X_val);
  free(kr->y);
  free(kr->y_val);
  free(kr->k_theta);
  free(kr->inv_s2);
  free(kr->K);
  free(kr->Kv);
  free(kr->dK);
  free(kr->dKv);
  free(kr->f_theta);
  free(kr->chol);
  free(kr->astar);
  free(kr->c_theta);
  free(kr->h_norm);
  free(kr->r_n);
  free(kr->s_n);
  free(kr->t_n);
  free(kr->r_val);
  free(kr->s_val);
  free(kr);
}

/* ------------------------------------------------------------------------------------------ */
/* Data                                                                                        */
/* ------------------------------------------------------------------------------------------ */

/* One synthetic set of `rows` points (DESIGN §3), row by row: x_ij ~ N(0, 1) for j = 1..d,
 * then y_i = sum_j sin(x_ij)/j + noise N(0, 1). */
static int kr_synthetic_set(hg_rng *rng, int rows, int d, double noise, hg_matrix **X,
                            double **y, hg_error *err)
{
  int status = hg_matrix_create(rows, d, 0, 0, X, err);

  if (status != HG_OK)
    goto done;
  *y = malloc((size_t)rows * sizeof(double));
  if (!*y) {
    status = hg_fail(err, HG_ERR_NOMEM, "problem 'kernel-ridge': out of memory for %d "
                     "synthetic labels", rows);
    goto done;
  }
  for (int i = 0; i < rows; i++) {
    double *x = (*X)->val + (size_t)i * (size_t)d, f = 0;
    for (int j = 0; j < d; j++) {
      x[j] = hg_rng_normal(rng);
      f += sin(x[j]) / (j + 1);
    }
    (*y)[i] = f + noise * hg_rng_normal(rng);
  }

done:
  return status;
}

/* The data: files or data= through the shared reader (problems/glm_*.c; with data= the targets are the
 * class numbers), stored densely, or the seeded synthetic instance (training set first, then
 * validation). */
static int kr_data(kernel_ridge *kr, const hg_params *p, hg_error *err)
{
  static const char *const synth_keys[] = {"n", "n_val", "d", "noise", NULL};
  int status = hg_glm_classes_need_data("kernel-ridge", p, err);
  hg_matrix *dense = NULL;

  if (status == HG_OK)
    status = hg_glm_read_files("kernel-ridge", p, synth_keys, &kr->X, &kr->y, &kr->X_val,
                               &kr->y_val, kr->source, sizeof kr->source, err);
  if (status != HG_OK)
    goto done;
  if (kr->X) {
    hg_matrix **sets[] = {&kr->X, &kr->X_val};
    for (int k = 0; k < 2; k++) {
      if (!(*sets[k])->sparse)
        continue;
      status = hg_matrix_convert(*sets[k], 0, &dense, err);
      if (status != HG_OK)
        goto done;
      hg_matrix_destroy(sets[k]);
      *sets[k] = dense;
      dense = NULL;
    }
    goto done;
  }
  const long seed = hg_params_int(p, "seed");
  const int d = (int)hg_params_int(p, "d");
  const double noise = hg_params_real(p, "noise");
  hg_rng rng;
  hg_rng_seed(&rng, (uint64_t)seed);
  status = kr_synthetic_set(&rng, (int)hg_params_int(p, "n"), d, noise, &kr->X, &kr->y, err);
  if (status == HG_OK)
    status = kr_synthetic_set(&rng, (int)hg_params_int(p, "n_val"), d, noise, &kr->X_val,
                              &kr->y_val, err);
  snprintf(kr->source, sizeof kr->source, "synthetic (seed %ld)", seed);

done:
  return status;
}

/* ------------------------------------------------------------------------------------------ */
/* Kernels, cached for the current bandwidths                                                  */
/* ------------------------------------------------------------------------------------------ */

/*
 * Kernel rows of A (rows x d) against the training points X (n x d), DESIGN §3:
 *   Kout[i][k] = exp(-1/2 sum_j (a_ij - x_kj)^2 / sigma_j^2),
 *   dKout_c[i][k] = Kout[i][k] sum_{j in c} (a_ij - x_kj)^2 / sigma_j^2   (block c of dKout).
 */
static void kr_fill(const kernel_ridge *kr, const double *A, int rows, double *Kout,
                    double *dKout)
{
  const int n = kr->n, d = kr->d;
  const size_t block = (size_t)rows * (size_t)n;

  for (int i = 0; i < rows; i++)
    for (int k = 0; k < n; k++) {
      const double *a = A + (size_t)i * d, *x = kr->X->val + (size_t)k * d;
      const size_t ik = (size_t)i * n + k;
      double sq = 0;
      for (int j = 0; j < d; j++) {
        const double diff = a[j] - x[j], t = diff * diff * kr->inv_s2[j];
        if (kr->ard)
          dKout[(size_t)j * block + ik] = t;
        sq += t;
      }
      const double kik = exp(-0.5 * sq);
      Kout[ik] = kik;
      if (kr->ard)
        for (int j = 0; j < d; j++)
          dKout[(size_t)j * block + ik] *= kik;
      else
        dKout[ik] = kik * sq;
    }
}

/* Make K, K^val, dK_c, dK^val_c those of the bandwidths theta[1..m) (recomputed only when
 * they differ from the cached ones). */
static void kr_kernels(kernel_ridge *kr, const double *theta)
{
  const size_t sb = (size_t)kr->s * sizeof(double);

  if (kr->k_valid && memcmp(kr->k_theta, theta + 1, sb) == 0)
    return;
  for (int j = 0; j < kr->d; j++)
    kr->inv_s2[j] = exp(-2.0 * theta[1 + (kr->ard ? j : 0)]);
  kr_fill(kr, kr->X->val, kr->n, kr->K, kr->dK);
  kr_fill(kr, kr->X_val->val, kr->n_val, kr->Kv, kr->dKv);
  memcpy(kr->k_theta, theta + 1, sb);
  kr->k_valid = 1;
}

/* dK_c and dK^val_c, c = 1..s (block c - 1). */
static const double *kr_dK(const kernel_ridge *kr, int c)
{
  return kr->dK + (size_t)(c - 1) * (size_t)kr->n * (size_t)kr->n;
}

static const double *kr_dKv(const kernel_ridge *kr, int c)
{
  return kr->dKv + (size_t)(c - 1) * (size_t)kr->n_val * (size_t)kr->n;
}

/* ------------------------------------------------------------------------------------------ */
/* Callbacks                                                                                   */
/* ------------------------------------------------------------------------------------------ */

/* out = Phi(alpha, theta) = alpha - eta ((K + gamma I) alpha - y)   (DESIGN §3). */
static void kernel_ridge_phi(void *self, const double *w, const double *theta, double *out)
{
  kernel_ridge *kr = self;
  const double gamma = exp(theta[0]);

  kr_kernels(kr, theta);
  cblas_dsymv(CblasRowMajor, CblasUpper, kr->n, 1.0, kr->K, kr->n, w, 1, 0.0, kr->r_n, 1);
  for (int i = 0; i < kr->n; i++)
    out[i] = w[i] - kr->eta * (kr->r_n[i] + gamma * w[i] - kr->y[i]);
}

/* out = d_alpha Phi v = v - eta (K + gamma I) v; symmetric, so also vjp_w   (DESIGN §3). */
static void kernel_ridge_jvp_w(void *self, const double *w, const double *theta,
                               const double *v, double *out)
{
  kernel_ridge *kr = self;
  const double gamma = exp(theta[0]);

  kr_kernels(kr, theta);
  cblas_dsymv(CblasRowMajor, CblasUpper, kr->n, 1.0, kr->K, kr->n, v, 1, 0.0, kr->r_n, 1);
  for (int i = 0; i < kr->n; i++)
    out[i] = v[i] - kr->eta * (kr->r_n[i] + gamma * v[i]);
}

/* out (m) = d_theta Phi^T v:  out_0 = -eta gamma v^T alpha,  out_c = -eta v^T dK_c alpha
 * (DESIGN §3). */
static void kernel_ridge_vjp_theta(void *self, const double *w, const double *theta,
                                   const double *v, double *out)
{
  kernel_ridge *kr = self;
  const int n = kr->n;

  kr_kernels(kr, theta);
  out[0] = -kr->eta * exp(theta[0]) * hg_dot(n, v, w);
  for (int c = 1; c <= kr->s; c++) {
    cblas_dsymv(CblasRowMajor, CblasUpper, n, 1.0, kr_dK(kr, c), n, w, 1, 0.0, kr->r_n, 1);
    out[c] = -kr->eta * hg_dot(n, v, kr->r_n);
  }
}

/* out (n) = d_theta Phi u = -eta (u_0 gamma alpha + sum_c u_c dK_c alpha)   (DESIGN §3). */
static void kernel_ridge_jvp_theta(void *self, const double *w, const double *theta,
                                   const double *u, double *out)
{
  kernel_ridge *kr = self;
  const int n = kr->n;

  kr_kernels(kr, theta);
  for (int i = 0; i < n; i++)
    kr->r_n[i] = u[0] * exp(theta[0]) * w[i];
  for (int c = 1; c <= kr->s; c++)
    cblas_dsymv(CblasRowMajor, CblasUpper, n, u[c], kr_dK(kr, c), n, w, 1, 1.0, kr->r_n, 1);
  for (int i = 0; i < n; i++)
    out[i] = -kr->eta * kr->r_n[i];
}

/* E = (1/2n') ||r||^2 with r = K^val alpha - y';  grad_alpha E = K^val^T r / n';
 * grad_theta E: 0 for log gamma, r^T dK^val_c alpha / n' for bandwidth c   (DESIGN §3). */
static double kernel_ridge_upper(void *self, const double *w, const double *theta, double *gw,
                                 double *gtheta)
{
  kernel_ridge *kr = self;
  const int n = kr->n, nv = kr->n_val;

  kr_kernels(kr, theta);
  hg_copy(nv, kr->y_val, kr->r_val);
  cblas_dgemv(CblasRowMajor, CblasNoTrans, nv, n, 1.0, kr->Kv, n, w, 1, -1.0, kr->r_val, 1);
  const double E = hg_dot(nv, kr->r_val, kr->r_val) / (2.0 * nv);
  if (gw)
    cblas_dgemv(CblasRowMajor, CblasTrans, nv, n, 1.0 / nv, kr->Kv, n, kr->r_val, 1, 0.0, gw,
                1);
  if (gtheta) {
    gtheta[0] = 0.0;
    for (int c = 1; c <= kr->s; c++) {
      cblas_dgemv(CblasRowMajor, CblasNoTrans, nv, n, 1.0, kr_dKv(kr, c), n, w, 1, 0.0,
                  kr->s_val, 1);
      gtheta[c] = hg_dot(nv, kr->r_val, kr->s_val) / nv;
    }
  }
  return E;
}

/* theta0 = (log gamma0, log sigma0, ..): gamma= and bandwidth=. */
static void kernel_ridge_theta0(const void *self, double *theta)
{
  const kernel_ridge *kr = self;

  theta[0] = log(kr->gamma0);
  for (int c = 1; c < kr->m; c++)
    theta[c] = log(kr->sigma0);
}

/* ------------------------------------------------------------------------------------------ */
/* Exact solve                                                                                 */
/* ------------------------------------------------------------------------------------------ */

/* The Cholesky factor of K + gamma I and alpha* = (K + gamma I)^{-1} y at theta (cached for
 * the last theta). */
static int kr_solve(kernel_ridge *kr, const double *theta, hg_error *err)
{
  const int n = kr->n;
  const size_t mb = (size_t)kr->m * sizeof(double);
  int status = HG_OK;

  if (kr->f_valid && memcmp(kr->f_theta, theta, mb) == 0)
    goto done;
  kr->f_valid = 0;
  kr_kernels(kr, theta);
  const double gamma = exp(theta[0]);
  memcpy(kr->chol, kr->K, (size_t)n * (size_t)n * sizeof(double));
  for (int i = 0; i < n; i++)
    kr->chol[(size_t)i * n + i] += gamma;
  lapack_int info = LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'U', n, kr->chol, n);
  if (info != 0) {
    status = hg_fail(err, HG_ERR_NUMERIC, "problem 'kernel-ridge': Cholesky of K + gamma I "
                     "failed (LAPACK info %d) at gamma = %g: not positive definite",
                     (int)info, gamma);
    goto done;
  }
  hg_copy(n, kr->y, kr->astar);
  info = LAPACKE_dpotrs(LAPACK_ROW_MAJOR, 'U', n, 1, kr->chol, n, kr->astar, 1);
  if (info != 0) {
    status = hg_fail(err, HG_ERR_NUMERIC, "problem 'kernel-ridge': solve with K + gamma I "
                     "failed (LAPACK info %d)", (int)info);
    goto done;
  }
  memcpy(kr->f_theta, theta, mb);
  kr->f_valid = 1;

done:
  return status;
}

/*
 * Exact reference (DESIGN §1, §3) with the Cholesky factor of K + gamma I:
 *   alpha* = (K + gamma I)^{-1} y,  r = K^val alpha* - y',  z = (K + gamma I)^{-1} K^val^T r / n',
 *   grad_0 = -gamma z^T alpha*,  grad_c = r^T dK^val_c alpha* / n' - z^T dK_c alpha*.
 * (grad f = grad_theta E - (d_alpha d_theta g)^T (K + gamma I)^{-1} grad_alpha E, with
 * d_theta_0 grad_alpha g = gamma alpha and d_theta_c grad_alpha g = dK_c alpha.)
 */
static int kernel_ridge_exact(void *self, const double *theta, double *wstar, double *grad,
                              hg_error *err)
{
  kernel_ridge *kr = self;
  const int n = kr->n;
  int status = kr_solve(kr, theta, err);

  if (status != HG_OK)
    goto done;
  hg_copy(n, kr->astar, wstar);
  kernel_ridge_upper(kr, wstar, theta, kr->t_n, grad); /* grad_theta E; r in r_val */
  lapack_int info = LAPACKE_dpotrs(LAPACK_ROW_MAJOR, 'U', n, 1, kr->chol, n, kr->t_n, 1);
  if (info != 0) {
    status = hg_fail(err, HG_ERR_NUMERIC, "problem 'kernel-ridge': adjoint solve with K + "
                     "gamma I failed (LAPACK info %d)", (int)info);
    goto done;
  }
  grad[0] = -exp(theta[0]) * hg_dot(n, kr->t_n, wstar);
  for (int c = 1; c <= kr->s; c++) {
    cblas_dsymv(CblasRowMajor, CblasUpper, n, 1.0, kr_dK(kr, c), n, wstar, 1, 0.0, kr->r_n, 1);
    grad[c] -= hg_dot(n, kr->t_n, kr->r_n);
  }

done:
  return status;
}

/* ------------------------------------------------------------------------------------------ */
/* Constants                                                                                   */
/* ------------------------------------------------------------------------------------------ */

/* Mirror the upper triangle of the n x n row-major M into its lower triangle. */
static void kr_mirror(int n, double *M)
{
  for (int i = 0; i < n; i++)
    for (int j = i + 1; j < n; j++)
      M[(size_t)j * n + i] = M[(size_t)i * n + j];
}

/* ||M||_2 = max(|lambda_min|, |lambda_max|) of the symmetric n x n M (dsyevr). */
static int kr_sym_norm(int n, const double *M, double *norm, hg_error *err)
{
  double lo = NAN, hi = NAN;
  int status = hg_sym_extremes(n, M, &lo, &hi, err);

  *norm = fmax(fabs(lo), fabs(hi));
  return status;
}

/* Drop the constants cache when the bandwidths differ from those it holds. */
static void kr_constants_key(kernel_ridge *kr, const double *theta)
{
  const size_t sb = (size_t)kr->s * sizeof(double);

  if (memcmp(kr->c_theta, theta + 1, sb) != 0) {
    kr->c_spec = kr->c_lip = 0;
    memcpy(kr->c_theta, theta + 1, sb);
  }
}

/* lambda_min(K), lambda_max(K) at the bandwidths of theta (dsyevr, cached). */
static int kr_spectrum(kernel_ridge *kr, const double *theta, hg_error *err)
{
  int status = HG_OK;

  kr_constants_key(kr, theta);
  if (kr->c_spec)
    goto done;
  kr_kernels(kr, theta);
  status = hg_sym_extremes(kr->n, kr->K, &kr->lamK_min, &kr->lamK_max, err);
  kr->c_spec = status == HG_OK;

done:
  return status;
}

/*
 * The parts of the Lipschitz constants that depend on the bandwidths only (cached), each an
 * exact operator norm (dsyevr) of a matrix formed in the scratch M (n x n):
 *   kv_norm2 = ||K^val||_2^2 = lambda_max of the smaller of K^val K^val^T, K^val^T K^val;
 *   dk2_max  = lambda_max(sum_c dK_c^2)  (dK_c symmetric: dK_c^2 = dK_c dK_c^T);
 *   h_norm_c = ||H_c||_2,  H_c = (K^val^T dK^val_c + dK^val_c^T K^val) / n'.
 */
static int kr_lipschitz(kernel_ridge *kr, const double *theta, hg_error *err)
{
  const int n = kr->n, nv = kr->n_val;
  int status = HG_OK;
  double *M = NULL, lo = NAN, hi = NAN;

  kr_constants_key(kr, theta);
  if (kr->c_lip)
    goto done;
  kr_kernels(kr, theta);
  M = malloc((size_t)n * (size_t)n * sizeof(double));
  if (!M) {
    status = hg_fail(err, HG_ERR_NOMEM, "problem 'kernel-ridge': out of memory for a %d x %d "
                     "matrix (constants)", n, n);
    goto done;
  }

  const int g = nv < n ? nv : n; /* order of the smaller Gram matrix of K^val */
  cblas_dsyrk(CblasRowMajor, CblasUpper, nv < n ? CblasNoTrans : CblasTrans, g, nv < n ? n : nv,
              1.0, kr->Kv, n, 0.0, M, g);
  kr_mirror(g, M);
  if ((status = hg_sym_extremes(g, M, &lo, &hi, err)) != HG_OK)
    goto done;
  kr->kv_norm2 = fmax(hi, 0.0);

  for (int c = 1; c <= kr->s; c++)
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, n, n, 1.0, kr_dK(kr, c), n,
                c == 1 ? 0.0 : 1.0, M, n);
  kr_mirror(n, M);
  if ((status = hg_sym_extremes(n, M, &lo, &hi, err)) != HG_OK)
    goto done;
  kr->dk2_max = fmax(hi, 0.0);

  for (int c = 1; c <= kr->s; c++) {
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, n, n, nv, 1.0 / nv, kr->Kv, n,
                kr_dKv(kr, c), n, 0.0, M, n);
    for (int i = 0; i < n; i++)
      for (int j = i; j < n; j++) {
        const double h = M[(size_t)i * n + j] + M[(size_t)j * n + i];
        M[(size_t)i * n + j] = M[(size_t)j * n + i] = h;
      }
    if ((status = kr_sym_norm(n, M, &kr->h_norm[c - 1], err)) != HG_OK)
      goto done;
  }
  kr->c_lip = 1;

done:
  free(M);
  return status;
}

/*
 * Constants (DESIGN §7) at theta.  mu = lambda_min(K) + gamma, L = lambda_max(K) + gamma
 * (dsyevr, exact), q = max(|1 - eta mu|, |1 - eta L|), kappa = L/mu.  Lipschitz constants in
 * alpha (Grazzi et al. 2020, §2):
 *   nu1 = 0: d_alpha Phi = I - eta (K + gamma I) does not depend on alpha.
 *   nu2 = eta sqrt(gamma^2 + lambda_max(sum_c dK_c^2)), global: d_theta Phi(alpha) =
 *     -eta [gamma alpha, dK_1 alpha, .., dK_s alpha] is linear in alpha, and its operator norm
 *     is at most its Frobenius norm, eta sqrt(alpha^T (gamma^2 I + sum_c dK_c^2) alpha)
 *     (attained when s = 1: then sup_u ||u_0 gamma I + u_1 dK_1||_2 = sqrt(gamma^2 +
 *     ||dK_1||_2^2)).
 *   mu1 = ||K^val||_2^2 / n', global and attained: grad_alpha E = K^val^T (K^val alpha - y')/n'.
 *   mu2, on the ball ||alpha - alpha*|| <= R = ||alpha*|| that every iterate of the
 *     contraction from alpha_0 = 0 stays in (DESIGN §7's D; not valid for a warm start
 *     farther from alpha*): grad_theta E = (0, e_1, .., e_s) with e_c(alpha) =
 *     r^T dK^val_c alpha / n' quadratic, grad e_c(alpha) = (dK^val_c^T r + K^val^T dK^val_c
 *     alpha) / n' = grad e_c(alpha*) + H_c (alpha - alpha*).  The Jacobian's operator norm is
 *     at most its Frobenius norm, so on the (convex) ball
 *         mu2 = sqrt(sum_c (||grad e_c(alpha*)|| + ||H_c||_2 R)^2).
 * L_Phi and L_E stay NAN: the harness measures them at alpha*.
 */
static int kernel_ridge_constants(void *self, const double *theta, hg_constants *c,
                                  hg_error *err)
{
  kernel_ridge *kr = self;
  const int n = kr->n, nv = kr->n_val;
  const double gamma = exp(theta[0]);
  int status;

  hg_constants_unknown(c);
  if ((status = kr_spectrum(kr, theta, err)) != HG_OK ||
      (status = kr_lipschitz(kr, theta, err)) != HG_OK ||
      (status = kr_solve(kr, theta, err)) != HG_OK)
    goto done;
  c->step = kr->eta;
  c->mu = kr->lamK_min + gamma;
  c->L = kr->lamK_max + gamma;
  c->q = fmax(fabs(1.0 - kr->eta * c->mu), fabs(1.0 - kr->eta * c->L));
  c->kappa = c->L / c->mu;
  c->exact_mu_L = 1;
  c->nu1 = 0.0;
  c->nu2 = kr->eta * sqrt(gamma * gamma + kr->dk2_max);
  c->mu1 = kr->kv_norm2 / nv;

  /* r* = K^val alpha* - y' (r_val); per c, grad e_c(alpha*) = (dK^val_c^T r* + K^val^T
   * dK^val_c alpha*) / n' in r_n */
  const double R = hg_nrm2(n, kr->astar);
  double sum = 0;
  kernel_ridge_upper(kr, kr->astar, theta, NULL, NULL);
  for (int k = 1; k <= kr->s; k++) {
    cblas_dgemv(CblasRowMajor, CblasNoTrans, nv, n, 1.0, kr_dKv(kr, k), n, kr->astar, 1, 0.0,
                kr->s_val, 1);
    cblas_dgemv(CblasRowMajor, CblasTrans, nv, n, 1.0 / nv, kr->Kv, n, kr->s_val, 1, 0.0,
                kr->r_n, 1);
    cblas_dgemv(CblasRowMajor, CblasTrans, nv, n, 1.0 / nv, kr_dKv(kr, k), n, kr->r_val, 1,
                1.0, kr->r_n, 1);
    const double term = hg_nrm2(n, kr->r_n) + kr->h_norm[k - 1] * R;
    sum += term * term;
  }
  c->mu2 = sqrt(sum);

done:
  return status;
}

/* ------------------------------------------------------------------------------------------ */
/* Create, describe, ops                                                                       */
/* ------------------------------------------------------------------------------------------ */

/* Load or draw the data, allocate every cache and scratch buffer, and fix the step:
 * eta = step= or 1/(lambda_max(K) + gamma0) at theta0. */
static int kernel_ridge_create(const hg_params *p, void **self, int *n_w, int *n_theta,
                               hg_error *err)
{
  int status = HG_OK;
  kernel_ridge *kr = calloc(1, sizeof *kr);
  double *theta0 = NULL;

  if (!kr) {
    status = hg_fail(err, HG_ERR_NOMEM, "problem 'kernel-ridge': out of memory for its state");
    goto done;
  }
  if ((status = kr_data(kr, p, err)) != HG_OK)
    goto done;
  kr->n = kr->X->rows;
  kr->n_val = kr->X_val->rows;
  kr->d = kr->X->cols;
  kr->ard = (int)hg_params_int(p, "ard");
  kr->s = kr->ard ? kr->d : 1;
  kr->m = 1 + kr->s;
  kr->gamma0 = hg_params_real(p, "gamma");
  kr->sigma0 = hg_params_real(p, "bandwidth");

  const size_t n = (size_t)kr->n, nv = (size_t)kr->n_val, s = (size_t)kr->s;
  const size_t m = (size_t)kr->m;
  /* K, chol, dK (s n x n) and Kv, dKv ((1 + s) n_val x n) */
  if ((status = hg_params_reserve(p, "problem 'kernel-ridge'",
                                  ((2.0 + s) * n * n + (1.0 + s) * nv * n) * sizeof(double),
                                  "for the kernel matrices and their derivatives", err)))
    goto done;
  kr->k_theta = malloc(s * sizeof(double));
  kr->inv_s2 = malloc((size_t)kr->d * sizeof(double));
  kr->K = malloc(n * n * sizeof(double));
  kr->Kv = malloc(nv * n * sizeof(double));
  kr->dK = malloc(s * n * n * sizeof(double));
  kr->dKv = malloc(s * nv * n * sizeof(double));
  kr->f_theta = malloc(m * sizeof(double));
  kr->chol = malloc(n * n * sizeof(double));
  kr->astar = malloc(n * sizeof(double));
  kr->c_theta = calloc(s, sizeof(double));
  kr->h_norm = malloc(s * sizeof(double));
  kr->r_n = malloc(n * sizeof(double));
  kr->s_n = malloc(n * sizeof(double));
  kr->t_n = malloc(n * sizeof(double));
  kr->r_val = malloc(nv * sizeof(double));
  kr->s_val = malloc(nv * sizeof(double));
  theta0 = malloc(m * sizeof(double));
  if (!kr->k_theta || !kr->inv_s2 || !kr->K || !kr->Kv || !kr->dK || !kr->dKv ||
      !kr->f_theta || !kr->chol || !kr->astar || !kr->c_theta || !kr->h_norm || !kr->r_n ||
      !kr->s_n || !kr->t_n || !kr->r_val || !kr->s_val || !theta0) {
    status = hg_fail(err, HG_ERR_NOMEM, "problem 'kernel-ridge': out of memory for the dense "
                     "kernels ((1 + %zu) x (%zu + %zu) x %zu doubles%s)", s, n, nv, n,
                     kr->ard ? "; try ard=0" : "");
    goto done;
  }

  kernel_ridge_theta0(kr, theta0);
  if (hg_params_given(p, "step")) {
    kr->eta = hg_params_real(p, "step");
  } else {
    if ((status = kr_spectrum(kr, theta0, err)) != HG_OK)
      goto done;
    const double L = kr->lamK_max + kr->gamma0;
    if (!(L > 0) || !isfinite(L)) {
      status = hg_fail(err, HG_ERR_NUMERIC, "problem 'kernel-ridge': lambda_max(K + gamma I) "
                       "= %g at theta0 gives no step; set step=", L);
      goto done;
    }
    kr->eta = 1.0 / L;
  }
  *n_w = kr->n;
  *n_theta = kr->m;
  *self = kr;
  kr = NULL;

done:
  kernel_ridge_destroy(kr);
  free(theta0);
  return status;
}

static void kernel_ridge_describe(const void *self, char *buf, size_t len)
{
  const kernel_ridge *kr = self;

  snprintf(buf, len, "%s: train %d x %d, val %d x %d; %s bandwidth (m = %d), theta0 = (log "
           "%.6g, log %.6g%s); dense kernels K %d x %d, K_val %d x %d and %d derivative "
           "block%s of each; step %.6g", kr->source, kr->n, kr->d, kr->n_val, kr->d,
           kr->ard ? "per-feature (ARD)" : "one", kr->m, kr->gamma0, kr->sigma0,
           kr->ard ? " ..." : "", kr->n, kr->n, kr->n_val, kr->n, kr->s, kr->s > 1 ? "s" : "",
           kr->eta);
}

const hg_problem_ops hg_problem_kernel_ridge = {
  .version = HG_OPS_VERSION,   /* ops layout this table was written for */
  .name = "kernel-ridge",              /* registry name */
  .summary = "Gaussian kernel ridge regression in alpha, theta = log gamma and log "
             "bandwidth(s) (DESIGN §3)",
  .params = kernel_ridge_params,       /* data files (glm.h), ard, gamma, bandwidth, step, ... */
  .create = kernel_ridge_create,       /* reads or draws the data, fixes the step */
  .destroy = kernel_ridge_destroy,     /* frees the state */
  .theta0 = kernel_ridge_theta0,       /* (log gamma=, log bandwidth= ..) */
  .phi = kernel_ridge_phi,             /* alpha - eta ((K + gamma I) alpha - y) */
  .jvp_w = kernel_ridge_jvp_w,         /* v - eta (K + gamma I) v */
  .vjp_w = kernel_ridge_jvp_w,         /* the same: K is symmetric */
  .vjp_theta = kernel_ridge_vjp_theta, /* -eta (gamma v^T alpha, v^T dK_c alpha) */
  .upper = kernel_ridge_upper,         /* (1/2n') ||K^val alpha - y'||^2 */
  .jvp_theta = kernel_ridge_jvp_theta, /* -eta (u_0 gamma alpha + sum_c u_c dK_c alpha) */
  .exact = kernel_ridge_exact,         /* Cholesky of K + gamma I, adjoint solve */
  .constants = kernel_ridge_constants, /* exact mu, L; q, kappa; nu1, nu2, mu1, mu2 */
  .describe = kernel_ridge_describe,   /* data sizes, bandwidths, step */
  .symmetric = 1,                      /* d_alpha Phi = I - eta (K + gamma I) */
  .revision = 1,                       /* bump when this problem's numbers change */
  .display = "kernel ridge regression", /* legends and tables */
};

/*
 * poison.c -- data poisoning of a multinomial logistic regression (DESIGN §3).  Training
 * points x_i in R^d with labels y_i in {0, .., C-1} (i < n), validation points (x'_j, y'_j)
 * (j < n'); the first n_p = round(fraction n) training points carry additive perturbations
 * theta_i in R^d (theta in R^{n_p d}, block i = theta_{i d .. i d + d - 1}):
 *
 *     x~_i(theta) = (x_i + theta_i [i < n_p], 1 if intercept=1)          (d' = d + intercept)
 *     g(W, theta) = (1/n) sum_i CE(W x~_i, y_i) + (lambda/2) ||W||_F^2,   W in R^{C x d'}
 *     E(W)        = -(1/n') sum_j CE(W x~'_j, y'_j)   (the attacker maximizes the validation loss)
 *     Phi(W, theta) = W - eta grad_W g(W, theta),
 *
 * CE(z, y) = lse(z) - z_y, lse(z) = log sum_c e^{z_c}, p = softmax(z), S(z) = diag(p) - p p^T
 * its Hessian (0 <= S <= I/2), r = p - e_y its gradient.  W is stored row-major (class c, feature
 * j at c d' + j), n_w = C d'.  With z_i = W x~_i:
 *
 *     grad_W g      = (1/n) sum_i r_i x~_i^T + lambda W
 *     d_W Phi V     = V - eta ((1/n) sum_i S_i (V x~_i) x~_i^T + lambda V)      (symmetric)
 *     d_theta Phi u = -(eta/n) sum_{i < n_p} [ (S_i W u~_i) x~_i^T + r_i u~_i^T ]
 *     (d_theta Phi^T V)_i = -(eta/n) [ W^T S_i V x~_i + V^T r_i ]_{1..d}
 *
 * (u~_i: u_i padded with 0 in the intercept slot).  The feasible set of theta is the product of
 * the L2 balls ||theta_i|| <= radius (the `project` op); hypergradient methods ignore it.
 */
#include "glm.h"
#include "losses.h"
#include "newton.h"

#include <cblas.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const poison_name = "problem 'poison'";
/* classes= as a count: 2 to this many. */
#define POISON_MAX_CLASSES 100000

/* The instance (all pointers owned). */
typedef struct poison {
  char source[160];   /* "synthetic (seed 0)", "train.csv / val.csv" or data='s description */
  int n, n_val, d, dp; /* dp = d' = d + intercept */
  int C, n_p, intercept;
  size_t mem_cap;     /* --max-memory (hg_params_mem_cap), for exact's Hessian */
  double lambda, radius, eta;
  hg_matrix *X, *X_val; /* dense n x d' and n' x d' (intercept column appended) */
  int *y, *y_val;       /* class indices 0 .. C-1 */
  double R_star;        /* sqrt(log C / lambda) >= ||W*(theta)||_F for every theta */
  double val_norm2;     /* lambda_max(X~'^T X~') */
  /* x~(theta): the n x d' perturbed training points for the last theta seen */
  double *Xt, *Xt_theta;
  int Xt_valid;
  /* Scratch for the callbacks (they never allocate). */
  double *Z;            /* n x C: probabilities p_i */
  double *R;            /* n x C: residuals r_i = p_i - e_{y_i} */
  double *A;            /* n x C: products S_i (.) */
  double *Zv;           /* n' x C: validation residuals */
  double *U;            /* n_p x d': padded u (jvp_theta) */
  double *gram;         /* d' x d' */
  /* the blocked one-pass products (glm.h hg_rows_pass) */
  const double **cols;  /* 2C rows of the products: W's, then V's */
  double **gcols;       /* C rows of the result */
  double *ZB;           /* HG_ROWS_BLOCK x 2C scratch */
  double pass_ce;       /* the cross-entropy summed over the rows passed so far */
  /* the constants at the theta in c_theta (a dsyrk and an eigensolve each: cached) */
  hg_constants c_cache;
  double *c_theta;
  int c_valid;
} poison;

static const hg_param_spec poison_params[] = {
  HG_GLM_FILE_PARAMS,
  HG_GLM_DATASET_PARAMS,
  {"intercept", HG_PARAM_INT, "0", 0, 1, NULL, "1: append a constant feature 1 (penalized)"},
  {"fraction", HG_PARAM_REAL, "0.1", DBL_MIN, 1, NULL,
   "poisoned share of the training points: the first round(fraction n) get theta_i"},
  {"radius", HG_PARAM_REAL, "1", DBL_MIN, DBL_MAX, NULL,
   "feasible set: ||theta_i|| <= radius (the project op)"},
  {"lambda", HG_PARAM_REAL, "0.1", DBL_MIN, DBL_MAX, NULL,
   "weight of (lambda/2)||W||_F^2 (strong convexity)"},
  {"step", HG_PARAM_REAL, NULL, DBL_MIN, DBL_MAX, NULL, "step eta of Phi (default 1/L at theta0)"},
  {"n", HG_PARAM_INT, "60", 1, INT_MAX, NULL,
   "synthetic or data=: training points"},
  {"n_val", HG_PARAM_INT, "40", 1, INT_MAX, NULL,
   "synthetic or data=: validation points"},
  {"d", HG_PARAM_INT, "5", 1, 100000, NULL, "synthetic: features"},
  HG_GLM_CLASSES_PARAM("3", "synthetic: the number of classes C, 2 to 100000"),
  {"separation", HG_PARAM_REAL, "1.5", 0, DBL_MAX, NULL,
   "synthetic: class centers ~ separation N(0, I), points = center + N(0, I)"},
  {"seed", HG_PARAM_INT, "0", 0, 9007199254740992.0, NULL,
   "synthetic: generator seed; data=: which examples"},
  {NULL, 0, NULL, 0, 0, NULL, NULL},
};

static void poison_destroy(void *self)
{
  poison *P = self;

  if (!P)
    return;
  hg_matrix_destroy(&P->X);
  hg_matrix_destroy(&P->X_val);
  free(P->y);
  free(P->y_val);
  free(P->Xt);
  free(P->Xt_theta);
  free(P->Z);
  free(P->R);
  free(P->A);
  free(P->Zv);
  free(P->U);
  free(P->gram);
  free(P->cols);
  free(P->gcols);
  free(P->ZB);
  free(P->c_theta);
  free(P);
}

/* ------------------------------------------------------------------------------------------ */
/* Data                                                                                        */
/* ------------------------------------------------------------------------------------------ */

/* One synthetic set: per row a class c uniform in 0..C-1, then x = center_c + N(0, I_d). */
static int poison_synthetic_set(poison *P, hg_rng *rng, int rows, const double *centers,
                                hg_matrix **X, int **y, hg_error *err)
{
  int status = hg_matrix_create(rows, P->d, 0, 0, X, err);

  if (status != HG_OK)
    return status;
  *y = malloc((size_t)rows * sizeof(int));
  if (!*y)
    return hg_fail(err, HG_ERR_NOMEM, "%s: out of memory for %d labels", poison_name, rows);
  for (int i = 0; i < rows; i++) {
    int c = (int)(hg_rng_uniform(rng) * P->C);
    c = c < P->C ? c : P->C - 1;
    (*y)[i] = c;
    for (int j = 0; j < P->d; j++)
      (*X)->val[(size_t)i * P->d + j] = centers[(size_t)c * P->d + j] + hg_rng_normal(rng);
  }
  return HG_OK;
}

/* Synthetic data (DESIGN §3) from seed: the C class centers separation N(0, I_d) first, then
 * the n training points, then the n' validation points (poison_synthetic_set). */
static int poison_synthetic(poison *P, const hg_params *p, hg_error *err)
{
  int status = hg_glm_class_count("poison", p, 2, POISON_MAX_CLASSES, &P->C, err);
  double *centers = NULL;
  hg_rng rng;

  if (status != HG_OK)
    goto done;
  const long seed = hg_params_int(p, "seed");
  const double separation = hg_params_real(p, "separation");
  P->d = (int)hg_params_int(p, "d");
  centers = malloc((size_t)P->C * (size_t)P->d * sizeof(double));
  if (!centers) {
    status = hg_fail(err, HG_ERR_NOMEM, "%s: out of memory for %d class centers", poison_name,
                     P->C);
    goto done;
  }
  hg_rng_seed(&rng, (uint64_t)seed);
  for (size_t k = 0; k < (size_t)P->C * (size_t)P->d; k++)
    centers[k] = separation * hg_rng_normal(&rng);
  for (int j = 0; j < P->d; j++) { /* centered: the mean of the centers is 0 */
    double mean = 0;
    for (int c = 0; c < P->C; c++)
      mean += centers[(size_t)c * P->d + j] / P->C;
    for (int c = 0; c < P->C; c++)
      centers[(size_t)c * P->d + j] -= mean;
  }
  status = poison_synthetic_set(P, &rng, (int)hg_params_int(p, "n"), centers, &P->X, &P->y, err);
  if (status == HG_OK)
    status = poison_synthetic_set(P, &rng, (int)hg_params_int(p, "n_val"), centers, &P->X_val,
                                  &P->y_val, err);
  snprintf(P->source, sizeof P->source, "synthetic (seed %ld, separation %g)", seed,
           separation);

done:
  free(centers);
  return status;
}

/* The data (DESIGN §3): train= and val=, or data=, through hg_glm_read_files, stored densely,
 * labels to classes (hg_glm_classes); without either, poison_synthetic. */
static int poison_data(poison *P, const hg_params *p, hg_error *err)
{
  static const char *const synth_keys[] = {"n", "n_val", "d", "classes", "separation", NULL};
  int status;
  double *y = NULL, *y_val = NULL;
  hg_matrix *dense = NULL;

  status = hg_glm_read_files("poison", p, synth_keys, &P->X, &y, &P->X_val, &y_val, P->source,
                             sizeof P->source, err);
  if (status == HG_OK && !P->X) {
    status = poison_synthetic(P, p, err);
    goto done;
  }
  for (int k = 0; k < 2 && status == HG_OK; k++) {
    hg_matrix **M = k ? &P->X_val : &P->X;
    if (!(*M)->sparse)
      continue;
    status = hg_matrix_convert(*M, 0, &dense, err);
    if (status == HG_OK) {
      hg_matrix_destroy(M);
      *M = dense;
      dense = NULL;
    }
  }
  if (status == HG_OK)
    status = hg_glm_classes("poison", p, y, P->X->rows, y_val, P->X_val->rows, &P->y,
                            &P->y_val, &P->C, err);
  if (status == HG_OK)
    P->d = P->X->cols;

done:
  free(y);
  free(y_val);
  return status;
}

/* ------------------------------------------------------------------------------------------ */
/* The model                                                                                   */
/* ------------------------------------------------------------------------------------------ */

/* The perturbed training points x~(theta) (n x d'): rows i < n_p are x_i + theta_i (the
 * intercept slot untouched), recomputed only when theta differs from the last one seen. */
static const double *poison_points(poison *P, const double *theta)
{
  const size_t m = (size_t)P->n_p * (size_t)P->d;

  if (P->Xt_valid && memcmp(P->Xt_theta, theta, m * sizeof(double)) == 0)
    return P->Xt;
  memcpy(P->Xt, P->X->val, (size_t)P->n * (size_t)P->dp * sizeof(double));
  for (int i = 0; i < P->n_p; i++)
    hg_axpy(P->d, 1.0, theta + (size_t)i * P->d, P->Xt + (size_t)i * P->dp);
  memcpy(P->Xt_theta, theta, m * sizeof(double));
  P->Xt_valid = 1;
  return P->Xt;
}

/* Z (rows x C) = the probabilities p_i = softmax(W x_i) of the first `rows` rows of X
 * (rows x d'), and R (when not NULL; it may be Z) the residuals r_i = p_i - e_{y_i}; returns
 * sum_i CE(W x_i, y_i). */
static double poison_softmax(const poison *P, const double *X, const int *y, int rows,
                             const double *W, double *Z, double *R)
{
  const int C = P->C;
  double ce = 0;

  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, C, P->dp, 1.0, X, P->dp, W, P->dp,
              0.0, Z, C);
  for (int i = 0; i < rows; i++) {
    double *z = Z + (size_t)i * C;
    const double zy = z[y[i]];
    ce += hg_softmax(C, z, z) - zy;
    if (!R)
      continue;
    double *r = R + (size_t)i * C;
    hg_copy(C, z, r);
    r[y[i]] -= 1.0;
  }
  return ce;
}

/* A_i <- S_i A_i = p_i .* A_i - p_i (p_i . A_i) for the first `rows` rows (p_i: rows of Z). */
static void poison_hessian_rows(const poison *P, int rows, const double *Z, double *A)
{
  for (int i = 0; i < rows; i++)
    hg_softmax_hvp(P->C, Z + (size_t)i * P->C, A + (size_t)i * P->C, A + (size_t)i * P->C);
}

/* g(W, theta) at the points Xt = x~(theta) (DESIGN §3): returns (1/n) sum_i CE(W x~_i, y_i)
 * + (lambda/2) ||W||^2; grad (C x d', when not NULL) = (1/n) sum_i r_i x~_i^T + lambda W.
 * Leaves p_i in P->Z and r_i in P->R. */
static double poison_g(poison *P, const double *Xt, const double *W, double *grad)
{
  const double ce = poison_softmax(P, Xt, P->y, P->n, W, P->Z, P->R) / P->n;
  const int nw = P->C * P->dp;

  if (grad) {
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, P->C, P->dp, P->n, 1.0 / P->n, P->R,
                P->C, Xt, P->dp, 0.0, grad, P->dp);
    hg_axpy(nw, P->lambda, W, grad);
  }
  return ce + 0.5 * P->lambda * hg_dot(nw, W, W);
}

/* hg_rows_fn of Phi: Z's first C columns W x~_i to p_i (in P->Z, the cross-entropy added to
 * pass_ce in row order) and to r_i = p_i - e_{y_i} (also in P->R), as poison_softmax. */
static void poison_rows_phi(void *ctx, int i0, int rows, int ldz, double *Z)
{
  poison *P = ctx;
  const int C = P->C;

  for (int i = 0; i < rows; i++) {
    double *z = Z + (size_t)i * ldz, *p = P->Z + (size_t)(i0 + i) * C;
    double *r = P->R + (size_t)(i0 + i) * C;
    const int y = P->y[i0 + i];
    const double zy = z[y];
    P->pass_ce += hg_softmax(C, z, p) - zy;
    hg_copy(C, p, r);
    r[y] -= 1.0;
    hg_copy(C, r, z);
  }
}

/* hg_rows_fn of the Hessian product: Z's row holds W x~_i then V x~_i; S_i (V x~_i) to the
 * first C entries (p_i to P->Z). */
static void poison_rows_hess(void *ctx, int i0, int rows, int ldz, double *Z)
{
  poison *P = ctx;
  const int C = P->C;

  for (int i = 0; i < rows; i++) {
    double *z = Z + (size_t)i * ldz, *p = P->Z + (size_t)(i0 + i) * C;
    hg_softmax(C, z, p);
    hg_softmax_hvp(C, p, z + C, z);
  }
}

/* out (C x d') = (1/n) sum_i f(i) x~_i^T over the rows of x~(theta), f from Z = [W x~_i, V x~_i]
 * (V may be NULL) in one blocked pass (hg_rows_pass); returns the summed cross-entropy of a
 * pass of poison_rows_phi. */
static double poison_pass(poison *P, const double *Xt, const double *W, const double *V,
                          hg_rows_fn f, double *out)
{
  const int C = P->C, dp = P->dp;
  int k = 0;

  for (int c = 0; c < C; c++)
    P->cols[k++] = W + (size_t)c * dp;
  for (int c = 0; V && c < C; c++)
    P->cols[k++] = V + (size_t)c * dp;
  for (int c = 0; c < C; c++)
    P->gcols[c] = out + (size_t)c * dp;
  P->pass_ce = 0.0;
  hg_rows_pass(Xt, P->n, dp, k, P->cols, 1, f, P, C, 1.0 / P->n, P->gcols, 1, P->ZB);
  return P->pass_ce;
}

/* out = Phi(W, theta) = W - eta grad_W g(W, theta) = W - eta ((1/n) sum_i r_i x~_i^T + lambda W)
 * (DESIGN §3), in one pass over the points. */
static void poison_phi(void *self, const double *w, const double *theta, double *out)
{
  poison *P = self;
  const int nw = P->C * P->dp;

  poison_pass(P, poison_points(P, theta), w, NULL, poison_rows_phi, out);
  for (int k = 0; k < nw; k++)
    out[k] = w[k] - P->eta * (out[k] + P->lambda * w[k]);
}

/* out = d_W Phi V = V - eta ((1/n) sum_i S_i (V x~_i) x~_i^T + lambda V); symmetric, so also
 * vjp_w (DESIGN §3). */
static void poison_jvp_w(void *self, const double *w, const double *theta, const double *v,
                         double *out)
{
  poison *P = self;
  const int nw = P->C * P->dp;

  poison_pass(P, poison_points(P, theta), w, v, poison_rows_hess, out);
  for (int k = 0; k < nw; k++)
    out[k] = v[k] - P->eta * (out[k] + P->lambda * v[k]);
}

/* hg_rows_fn of poison_theta_adjoint: Z's row holds W x~_i then V x~_i; p_i to P->Z,
 * r_i = p_i - e_{y_i} to P->R, S_i V x~_i to P->A. */
static void poison_rows_adjoint(void *ctx, int i0, int rows, int ldz, double *Z)
{
  poison *P = ctx;
  const int C = P->C;

  for (int i = 0; i < rows; i++) {
    const size_t o = (size_t)(i0 + i) * C;
    double *z = Z + (size_t)i * ldz;
    hg_softmax(C, z, P->Z + o);
    hg_copy(C, P->Z + o, P->R + o);
    P->R[o + P->y[i0 + i]] -= 1.0;
    hg_softmax_hvp(C, P->Z + o, z + C, P->A + o);
  }
}

/* out (n_p d), block i = scale [W^T S_i V x~_i + V^T r_i]_{1..d} for i < n_p: with
 * scale = -eta/n it is d_theta Phi^T V, with -1/n it is -(d_theta grad_W g)^T V (DESIGN §3).
 * The products of the n_p rows in one blocked pass (hg_rows_pass, no X^T part), then per row
 * the combination of the 2C rows of W and V (C-term sums: a loop, not a dgemm of inner size C). */
static void poison_theta_adjoint(poison *P, const double *W, const double *theta,
                                 const double *V, double scale, double *out)
{
  const int C = P->C, dp = P->dp, np = P->n_p, d = P->d;
  const double *Xt = poison_points(P, theta);
  int k = 0;

  for (int c = 0; c < C; c++)
    P->cols[k++] = W + (size_t)c * dp;
  for (int c = 0; c < C; c++)
    P->cols[k++] = V + (size_t)c * dp;
  hg_rows_pass(Xt, np, dp, k, P->cols, 1, poison_rows_adjoint, P, 0, 0.0, NULL, 1, P->ZB);
  for (int i = 0; i < np; i++) {
    double *o = out + (size_t)i * d;
    const double *a = P->A + (size_t)i * C, *r = P->R + (size_t)i * C;
    hg_zero(d, o);
    for (int c = 0; c < C; c++) {
      const double *wc = W + (size_t)c * dp, *vc = V + (size_t)c * dp;
      for (int j = 0; j < d; j++)
        o[j] += a[c] * wc[j] + r[c] * vc[j];
    }
    for (int j = 0; j < d; j++)
      o[j] *= scale;
  }
}

/* out (n_p d) = d_theta Phi^T V (DESIGN §3). */
static void poison_vjp_theta(void *self, const double *w, const double *theta, const double *v,
                             double *out)
{
  poison *P = self;
  poison_theta_adjoint(P, w, theta, v, -P->eta / P->n, out);
}

/* out (C x d') = d_theta Phi u = -(eta/n) sum_{i < n_p} [(S_i W u~_i) x~_i^T + r_i u~_i^T]
 * (DESIGN §3). */
static void poison_jvp_theta(void *self, const double *w, const double *theta, const double *u,
                             double *out)
{
  poison *P = self;
  const int C = P->C, dp = P->dp, np = P->n_p;
  const double *Xt = poison_points(P, theta);

  for (int i = 0; i < np; i++) {
    memcpy(P->U + (size_t)i * dp, u + (size_t)i * P->d, (size_t)P->d * sizeof(double));
    if (P->intercept)
      P->U[(size_t)i * dp + P->d] = 0.0;
  }
  poison_softmax(P, Xt, P->y, np, w, P->Z, P->R);
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, np, C, dp, 1.0, P->U, dp, w, dp, 0.0, P->A,
              C);
  poison_hessian_rows(P, np, P->Z, P->A);
  cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, C, dp, np, -P->eta / P->n, P->A, C, Xt, dp,
              0.0, out, dp);
  cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, C, dp, np, -P->eta / P->n, P->R, C, P->U,
              dp, 1.0, out, dp);
}

/* E = -(1/n') sum_j CE(W x~'_j, y'_j); grad_W E = -(1/n') sum_j r'_j x~'_j^T; grad_theta E = 0
 * (DESIGN §3). */
static double poison_upper(void *self, const double *w, const double *theta, double *gw,
                           double *gtheta)
{
  poison *P = self;
  const double ce = poison_softmax(P, P->X_val->val, P->y_val, P->n_val, w, P->Zv, P->Zv);

  if (gw)
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, P->C, P->dp, P->n_val, -1.0 / P->n_val,
                P->Zv, P->C, P->X_val->val, P->dp, 0.0, gw, P->dp);
  if (gtheta)
    hg_zero(P->n_p * P->d, gtheta);
  return -ce / P->n_val;
}

/* theta0 = 0: no poisoning yet. */
static void poison_theta0(const void *self, double *theta)
{
  const poison *P = self;
  hg_zero(P->n_p * P->d, theta);
}

/* theta_i <- theta_i min(1, radius / ||theta_i||): the projection onto the product of balls
 * ||theta_i|| <= radius (DESIGN §3). */
static void poison_project(const void *self, double *theta)
{
  const poison *P = self;

  for (int i = 0; i < P->n_p; i++) {
    double *t = theta + (size_t)i * P->d;
    const double norm = hg_nrm2(P->d, t);
    if (norm > P->radius)
      for (int j = 0; j < P->d; j++)
        t[j] *= P->radius / norm;
  }
}

/* ------------------------------------------------------------------------------------------ */
/* Exact reference                                                                             */
/* ------------------------------------------------------------------------------------------ */

/* What Newton needs for g(., theta) (newton.h): the plugin, the points, the Hessian's room
 * ((C d')^2) and an n x d' scratch. */
typedef struct poison_newton {
  poison *P;
  const double *Xt;
  double *H, *Ys;
} poison_newton;

static double poison_newton_f(void *ctx, const double *w, double *grad)
{
  poison_newton *N = ctx;
  return poison_g(N->P, N->Xt, w, grad);
}

/* N->H (upper triangle) = the Hessian of g at W: block (c, c') = (1/n) X~^T diag(S_i[c, c'])
 * X~ + lambda [c = c'] I, S_i[c, c'] = p_ic [c = c'] - p_ic p_ic', from the probabilities p_i
 * that poison_g left in P->Z. */
static void poison_newton_hessian(poison_newton *N)
{
  poison *P = N->P;
  const int C = P->C, dp = P->dp, nw = C * dp;

  for (int c = 0; c < C; c++)
    for (int c2 = c; c2 < C; c2++) {
      for (int i = 0; i < P->n; i++) {
        const double *pi = P->Z + (size_t)i * C;
        const double s = (c == c2 ? pi[c] : 0.0) - pi[c] * pi[c2];
        for (int j = 0; j < dp; j++)
          N->Ys[(size_t)i * dp + j] = s * N->Xt[(size_t)i * dp + j];
      }
      cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, dp, dp, P->n, 1.0 / P->n, N->Xt, dp,
                  N->Ys, dp, 0.0, N->H + (size_t)c * dp * nw + (size_t)c2 * dp, nw);
    }
  for (int k = 0; k < nw; k++)
    N->H[(size_t)k * nw + k] += P->lambda;
}

/* dW = -H(W)^{-1} grad (dense Cholesky; p_i at W is in P->Z from poison_newton_f). */
static int poison_newton_direction(void *ctx, const double *w, const double *grad, double *dw,
                                   hg_error *err)
{
  poison_newton *N = ctx;
  const int nw = N->P->C * N->P->dp;
  int status;

  poison_newton_hessian(N);
  for (int k = 0; k < nw; k++)
    dw[k] = -grad[k];
  status = hg_dense_chol_factor(poison_name, "Hessian", nw, N->H, err);
  if (status == HG_OK)
    status = hg_dense_chol_solve(poison_name, "Hessian", nw, N->H, dw, err);
  return status;
}

/*
 * Exact reference (DESIGN §3): W* by Newton from W = 0 (newton.h) with the dense (C d')^2
 * Hessian H = (1/n) sum_i S_i (x) x~_i x~_i^T + lambda I factored by Cholesky; then
 * u = H(W*)^{-1} grad_W E(W*) and grad f = -(d_theta grad_W g)^T u, block i =
 * -(1/n) [W*^T S_i u x~_i + u^T r_i]_{1..d}.
 */
static int poison_exact(void *self, const double *theta, double *wstar, double *grad,
                        hg_error *err)
{
  static const hg_newton_ops newton = {.f = poison_newton_f,
                                       .direction = poison_newton_direction};
  poison *P = self;
  const int nw = P->C * P->dp;
  int status = HG_OK;
  poison_newton N = {P, poison_points(P, theta), NULL, NULL};
  if ((status = hg_over_cap(P->mem_cap, ((double)nw * nw + (double)P->n * P->dp +
                                          HG_NEWTON_WORK(nw) + nw) * sizeof(double),
                            poison_name, "for the Hessian of its exact reference", err)))
    return status;
  double *work = malloc((HG_NEWTON_WORK(nw) + (size_t)nw) * sizeof(double));

  N.H = malloc((size_t)nw * (size_t)nw * sizeof(double));
  N.Ys = malloc((size_t)P->n * (size_t)P->dp * sizeof(double));
  if (!work || !N.H || !N.Ys) {
    status = hg_fail(err, HG_ERR_NOMEM, "%s: out of memory for the %d x %d Hessian",
                     poison_name, nw, nw);
    goto done;
  }
  hg_zero(nw, wstar);
  status = hg_newton(poison_name, nw, &newton, &N, wstar, work, err);
  if (status != HG_OK)
    goto done;

  /* the Hessian at W* and the adjoint */
  double *u = work + HG_NEWTON_WORK(nw);
  poison_g(P, N.Xt, wstar, NULL);
  poison_newton_hessian(&N);
  status = hg_dense_chol_factor(poison_name, "Hessian", nw, N.H, err);
  if (status != HG_OK)
    goto done;
  poison_upper(P, wstar, theta, u, NULL);
  status = hg_dense_chol_solve(poison_name, "Hessian", nw, N.H, u, err);
  if (status == HG_OK)
    poison_theta_adjoint(P, wstar, theta, u, -1.0 / P->n, grad);

done:
  free(work);
  free(N.H);
  free(N.Ys);
  return status;
}

/* ------------------------------------------------------------------------------------------ */
/* Constants                                                                                   */
/* ------------------------------------------------------------------------------------------ */

/* lambda_max(X^T X) of the first `rows` rows of a dense rows x d' X (dsyrk + dsyevr). */
static int poison_norm2_sq(poison *P, const double *X, int rows, double *out, hg_error *err)
{
  const int dp = P->dp;
  double lo = 0, hi = 0;

  cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, dp, rows, 1.0, X, dp, 0.0, P->gram, dp);
  for (int i = 0; i < dp; i++) /* the lower triangle too: hg_sym_extremes checks every entry */
    for (int j = i + 1; j < dp; j++)
      P->gram[(size_t)j * dp + i] = P->gram[(size_t)i * dp + j];
  int status = hg_sym_extremes(dp, P->gram, &lo, &hi, err);
  *out = fmax(hi, 0.0);
  return status;
}

/* L(theta) = lambda + (1/2) lambda_max(X~(theta)^T X~(theta)) / n (S_i <= I/2), in *L; the
 * squared norm itself in *norm2. */
static int poison_smoothness(poison *P, const double *theta, double *L, double *norm2,
                             hg_error *err)
{
  int status = poison_norm2_sq(P, poison_points(P, theta), P->n, norm2, err);
  *L = P->lambda + 0.5 * *norm2 / P->n;
  return status;
}

/*
 * Constants at theta (DESIGN §7), all computed with the perturbed points x~_i(theta):
 *   mu = lambda (CE is convex; a bound), L = lambda + (1/2) ||X~||_2^2 / n (S_i <= I/2; a bound),
 *   q = max(|1 - eta mu|, |1 - eta L|), kappa = L/mu.  Lipschitz constants in W (Grazzi et al.
 *   2020, §2), with c_S = HG_SOFTMAX_CURV (||S(z) - S(z')|| <= c_S ||z - z'||, losses.h):
 *   nu1: (d_W Phi(W) - d_W Phi(W')) V = -(eta/n) sum_i (S_i - S'_i) V x~_i x~_i^T is
 *     self-adjoint with |<V, .>| <= (eta/n) sum_i c_S ||x~_i|| ||W - W'|| ||V x~_i||^2
 *     <= eta c_S (||X~||_2^2/n) max_i ||x~_i|| ||W - W'|| ||V||^2 (global);
 *   nu2: the term i of (d_theta Phi(W) - d_theta Phi(W')) u moves by at most
 *     (eta/n) ||u_i|| ||x~_i|| (1 + 2 c_S R ||x~_i||) ||W - W'||, from
 *     S W - S' W' = (S - S') W + S'(W - W'), ||S'|| <= 1/2, ||r - r'|| <= ||z - z'|| / 2 and
 *     ||W|| <= R; by Cauchy-Schwarz over i,
 *       nu2 = (eta/n) sqrt(sum_{i < n_p} ||x~_i||^2 (1 + 2 c_S R ||x~_i||)^2),  R = 2 R*:
 *     valid on the ball ||W - W*|| <= ||W*|| that every iterate from W0 = 0 stays in (there
 *     ||W|| <= 2 ||W*||), since ||W*||_F^2 <= log C / lambda = R*^2: by strong convexity
 *     g(0) >= g(W*) + (lambda/2) ||W*||^2, g(W*) >= (lambda/2) ||W*||^2 (CE >= 0) and
 *     g(0) = log C;
 *   mu1 = (1/2) ||X~'||_2^2 / n' (E's Hessian is -(1/n') sum_j S'_j (x) x~'_j x~'_j^T, global);
 *   mu2 = 0 (grad_theta E = 0).
 * L_Phi and L_E are left to the harness (measured at W*).
 */
static int poison_constants(void *self, const double *theta, hg_constants *c, hg_error *err)
{
  poison *P = self;
  const size_t m = (size_t)P->n_p * (size_t)P->d;
  double norm2 = 0, L = 0;

  if (P->c_valid && memcmp(P->c_theta, theta, m * sizeof(double)) == 0) {
    *c = P->c_cache; /* every run asks for them (hgbench verify: hundreds at one theta) */
    return HG_OK;
  }
  int status = poison_smoothness(P, theta, &L, &norm2, err);
  hg_constants_unknown(c);
  if (status != HG_OK)
    return status;
  const double *Xt = poison_points(P, theta);
  double max_row = 0, sum = 0;
  for (int i = 0; i < P->n; i++) {
    const double r = hg_nrm2(P->dp, Xt + (size_t)i * P->dp);
    max_row = fmax(max_row, r);
    if (i < P->n_p) {
      const double b = r * (1.0 + 2.0 * HG_SOFTMAX_CURV * 2.0 * P->R_star * r);
      sum += b * b;
    }
  }
  c->step = P->eta;
  c->mu = P->lambda;
  c->L = L;
  c->q = fmax(fabs(1.0 - P->eta * c->mu), fabs(1.0 - P->eta * c->L));
  c->kappa = c->L / c->mu;
  c->nu1 = P->eta * HG_SOFTMAX_CURV * (norm2 / P->n) * max_row;
  c->nu2 = P->eta / P->n * sqrt(sum);
  c->mu1 = 0.5 * P->val_norm2 / P->n_val;
  c->mu2 = 0.0;
  c->exact_mu_L = 0;
  P->c_cache = *c;
  memcpy(P->c_theta, theta, m * sizeof(double));
  P->c_valid = 1;
  return HG_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Instance                                                                                    */
/* ------------------------------------------------------------------------------------------ */

/* Read or draw the data, append the intercept, allocate the scratch; n_p = round(fraction n)
 * (at least 1); eta = step= or 1/L(theta0 = 0). */
static int poison_create(const hg_params *p, void **self, int *n_w, int *n_theta,
                         hg_error *err)
{
  int status = HG_OK;
  double *theta0 = NULL;
  poison *P = calloc(1, sizeof *P);

  if (!P) {
    status = hg_fail(err, HG_ERR_NOMEM, "%s: out of memory for its state", poison_name);
    goto done;
  }
  P->lambda = hg_params_real(p, "lambda");
  P->radius = hg_params_real(p, "radius");
  P->intercept = (int)hg_params_int(p, "intercept");
  status = poison_data(P, p, err);
  if (status != HG_OK)
    goto done;
  if (P->intercept) {
    status = hg_matrix_append_ones(P->X, err);
    if (status == HG_OK)
      status = hg_matrix_append_ones(P->X_val, err);
    if (status != HG_OK)
      goto done;
  }
  P->n = P->X->rows;
  P->n_val = P->X_val->rows;
  P->dp = P->X->cols;
  const double fraction = hg_params_real(p, "fraction");
  P->n_p = (int)fmin(round(fraction * P->n), P->n);
  if (P->n_p < 1) {
    status = hg_fail(err, HG_ERR_ARG, "%s: fraction=%g of n = %d training points poisons none "
                     "(round(fraction n) = 0)", poison_name, fraction, P->n);
    goto done;
  }
  if ((long long)P->C * P->dp > INT_MAX || (long long)P->n_p * P->d > INT_MAX) {
    status = hg_fail(err, HG_ERR_ARG, "%s: C = %d classes times d' = %d features, or n_p = %d "
                     "poisoned points times d = %d, exceeds %d variables", poison_name, P->C,
                     P->dp, P->n_p, P->d, INT_MAX);
    goto done;
  }
  const size_t n = (size_t)P->n, dp = (size_t)P->dp, C = (size_t)P->C;
  const size_t m = (size_t)P->n_p * (size_t)P->d;
  P->mem_cap = hg_params_mem_cap(p);
  if ((status = hg_params_reserve(p, poison_name, ((double)n * dp * 2 + 4.0 * m + 3.0 * n * C +
                                                   (double)P->n_val * C + (double)dp * dp +
                                                   HG_ROWS_BLOCK * 2.0 * C) * sizeof(double),
                                  "for its work arrays", err)))
    goto done;
  P->Xt = malloc(n * dp * sizeof(double));
  P->Xt_theta = malloc(m * sizeof(double));
  P->Z = malloc(n * C * sizeof(double));
  P->R = malloc(n * C * sizeof(double));
  P->A = malloc(n * C * sizeof(double));
  P->Zv = malloc((size_t)P->n_val * C * sizeof(double));
  P->U = malloc((size_t)P->n_p * dp * sizeof(double));
  P->gram = malloc(dp * dp * sizeof(double));
  P->cols = malloc(2 * C * sizeof *P->cols);
  P->gcols = malloc(C * sizeof *P->gcols);
  P->ZB = malloc(HG_ROWS_BLOCK * 2 * C * sizeof(double));
  P->c_theta = malloc(m * sizeof(double));
  if (!P->Xt || !P->Xt_theta || !P->Z || !P->R || !P->A || !P->Zv || !P->U || !P->gram ||
      !P->cols || !P->gcols || !P->ZB || !P->c_theta) {
    status = hg_fail(err, HG_ERR_NOMEM, "%s: out of memory for n=%d, d=%d, C=%d", poison_name,
                     P->n, P->d, P->C);
    goto done;
  }
  P->R_star = sqrt(log((double)P->C) / P->lambda);
  status = poison_norm2_sq(P, P->X_val->val, P->n_val, &P->val_norm2, err);
  if (status != HG_OK)
    goto done;

  if (hg_params_given(p, "step")) {
    P->eta = hg_params_real(p, "step");
  } else {
    double L = 0, norm2 = 0;
    theta0 = calloc(m, sizeof(double)); /* theta0 = 0 */
    status = theta0 ? poison_smoothness(P, theta0, &L, &norm2, err)
                    : hg_fail(err, HG_ERR_NOMEM, "%s: out of memory for theta0", poison_name);
    if (status != HG_OK)
      goto done;
    P->eta = 1.0 / L;
  }
  *n_w = P->C * P->dp;
  *n_theta = (int)m;
  *self = P;
  P = NULL;

done:
  poison_destroy(P);
  free(theta0);
  return status;
}

static void poison_describe(const void *self, char *buf, size_t len)
{
  const poison *P = self;

  snprintf(buf, len, "%s: train %d x %d, val %d x %d%s, C = %d classes; first n_p = %d points "
           "poisoned (theta in R^{%d x %d}, ||theta_i|| <= %.6g); lambda %.6g; step %.6g",
           P->source, P->n, P->d, P->n_val, P->d, P->intercept ? " (+ intercept)" : "", P->C,
           P->n_p, P->n_p, P->d, P->radius, P->lambda, P->eta);
}

const hg_problem_ops hg_problem_poison = {
  .version = HG_OPS_VERSION,   /* ops layout this table was written for */
  .name = "poison",                    /* registry name */
  .summary = "data poisoning of a multinomial logistic regression (DESIGN §3)",
  .params = poison_params,             /* files or synthetic data, fraction, radius, lambda */
  .create = poison_create,             /* reads or draws the data; step 1/L(theta0) */
  .destroy = poison_destroy,           /* frees the state */
  .theta0 = poison_theta0,             /* 0: clean data */
  .phi = poison_phi,                   /* W - eta grad_W g */
  .jvp_w = poison_jvp_w,               /* V - eta (H V) */
  .vjp_w = poison_jvp_w,               /* the same: the Hessian is symmetric */
  .vjp_theta = poison_vjp_theta,       /* -(eta/n) [W^T S_i V x~_i + V^T r_i] per point */
  .upper = poison_upper,               /* minus the validation cross-entropy */
  .jvp_theta = poison_jvp_theta,       /* -(eta/n) sum_i [(S_i W u_i) x~_i^T + r_i u_i^T] */
  .exact = poison_exact,               /* Newton with the dense Hessian, then the adjoint */
  .constants = poison_constants,       /* mu = lambda, L bound, nu1, nu2 (ball), mu1 */
  .describe = poison_describe,         /* data, classes, poisoned points, radius, step */
  .symmetric = 1,                      /* d_W Phi = I - eta H(W) */
  .project = poison_project,           /* theta_i onto ||theta_i|| <= radius */
  .revision = 1,                       /* bump when this problem's numbers change */
  .display = "data poisoning", /* legends and tables */
};

/*
 * biased_reg.c -- meta-learning with biased regularization (DESIGN §3): T tasks, each with
 * training data (X_tau, y_tau) (n x d) and validation data (X'_tau, y'_tau) (n' x d), one
 * weight vector w_tau in R^d per task (w = (w_1, .., w_T), n_w = T d) and the shared bias
 * theta in R^d:
 *
 *     g(w, theta) = sum_tau [ L_tau(w_tau) + (beta/2) ||w_tau - theta||^2 ]
 *     E(w)        = (1/T) sum_tau L'_tau(w_tau)
 *     Phi(w, theta)_tau = w_tau - eta (grad L_tau(w_tau) + beta (w_tau - theta)),
 *
 * with L_tau(w) = (1/2n) ||X_tau w - y_tau||^2 (loss=squared) or
 * (1/n) sum_i log(1 + exp(-y_i x_i^T w)) (loss=logistic, labels +-1), and L'_tau the same on
 * the validation rows.  d_w Phi is block diagonal (symmetric), d_theta Phi = eta beta [I; ..; I]
 * does not depend on w, and for the squared loss Phi is affine in w: the case of DESIGN §7 where
 * itd(t) = aid-fp(t, k = t) exactly.
 *
 * The data is a seeded synthetic instance: a common center c ~ N(0, I_d), per task
 * w_tau = c + spread N(0, I_d), rows x ~ N(0, I_d), labels x^T w_tau + noise N(0, 1) (squared)
 * or its sign (logistic), so a bias theta near c helps every task.  Or, with
 * data=fashion-mnist, T binary tasks of Fashion-MNIST class pairs (biased_reg_fashion).
 */
#include "glm.h"
#include "hgbench.h"
#include "losses.h"
#include "newton.h"

#include <cblas.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The instance (all pointers owned). */
typedef struct biased_reg {
  int T, d, n, n_val;
  int logistic;        /* loss=logistic */
  double beta, eta, spread, noise;
  long seed;
  char source[320];    /* data=: the data set, its (up to 45) class pairs and seed (describe) */
  double *X, *y;       /* T blocks of n x d rows (row-major) and n labels */
  double *X_val, *y_val; /* T blocks of n' x d and n' */
  double *chol;        /* squared: T upper Cholesky factors of X^T X / n + beta I (d x d) */
  double *Xty;         /* squared: T vectors X^T y / n (d) */
  /* Constants of DESIGN §7, independent of theta (create). */
  double mu, L;        /* squared: extremes of the Hessian; logistic: beta and a bound */
  double nu1_eta;      /* logistic: nu1 / eta = c3 max_tau (||X_tau||^2/n) max_i ||x_i|| */
  double mu1;          /* Lipschitz constant of grad_w E */
  /* Scratch for the callbacks (they never allocate). */
  double *r_n, *r_val, *r_d;
} biased_reg;

static const hg_param_spec biased_reg_params[] = {
  {"tasks", HG_PARAM_INT, "5", 1, 100000, NULL,
   "number of tasks T (data=: at most 45, one class pair each)"},
  {"d", HG_PARAM_INT, "8", 1, 100000, NULL, "synthetic: features per task (n_theta = d, n_w = T d; data=: downsample^2)"},
  {"n", HG_PARAM_INT, "20", 1, INT_MAX, NULL, "training rows per task"},
  {"n_val", HG_PARAM_INT, "20", 1, INT_MAX, NULL, "validation rows per task"},
  {"beta", HG_PARAM_REAL, "1", DBL_MIN, DBL_MAX, NULL,
   "weight of (beta/2)||w_tau - theta||^2 (strong convexity)"},
  {"loss", HG_PARAM_CHOICE, "squared", 0, 0, "squared|logistic",
   "task loss: (1/2n)||Xw - y||^2 or the logistic loss on labels +-1"},
  {"spread", HG_PARAM_REAL, "0.3", 0, DBL_MAX, NULL,
   "synthetic: task weights = center + spread N(0, I)"},
  {"noise", HG_PARAM_REAL, "0.1", 0, DBL_MAX, NULL, "synthetic: label noise level"},
  {"step", HG_PARAM_REAL, NULL, DBL_MIN, DBL_MAX, NULL, "step eta of Phi (default 1/L)"},
  {"seed", HG_PARAM_INT, "0", 0, 9007199254740992.0, NULL,
   "synthetic: generator seed; data=: which class pairs and examples"},
  HG_GLM_DATASET_PARAMS,
  {NULL, 0, NULL, 0, 0, NULL, NULL},
};

/* The keys that shape synthetic data (errors with data=). */
static const char *const biased_reg_synth_keys[] = {"d", "spread", "noise", NULL};

/*
 * data=fashion-mnist (DESIGN §3 biased-reg): task tau is a binary task on a pair of classes
 * a < b, label -1 for a and +1 for b.  The 45 pairs (0,1), (0,2), .., (8,9) in this order are
 * shuffled by hg_rng seeded with seed= (Fisher-Yates: for i = 0 .. 43, j = i + floor(U (45 - i)),
 * swap i and j) and task tau takes pair tau (so tasks <= 45, all pairs distinct); its n training
 * and n' validation examples are hg_fashion_mnist's for classes=a,b and seed = seed= + tau
 * (split=, downsample=, normalize=, path= as for every data= problem).  Fills B->X .. y_val
 * (allocated by the caller for d = side^2) and B->source.
 */
static int biased_reg_fashion(biased_reg *B, const hg_params *p, hg_error *err)
{
  int pairs[45][2], np = 0, status = HG_OK;
  size_t used;
  hg_rng rng;

  for (int a = 0; a < 10; a++)
    for (int b = a + 1; b < 10; b++)
      pairs[np][0] = a, pairs[np++][1] = b;
  hg_rng_seed(&rng, (uint64_t)B->seed);
  for (int i = 0; i < np - 1; i++) {
    int j = i + (int)(hg_rng_uniform(&rng) * (double)(np - i)), t0 = pairs[i][0],
        t1 = pairs[i][1];
    pairs[i][0] = pairs[j][0], pairs[i][1] = pairs[j][1];
    pairs[j][0] = t0, pairs[j][1] = t1;
  }
  for (int tau = 0; tau < B->T && status == HG_OK; tau++) {
    char classes[8];
    hg_dataset ds;
    hg_error e;
    snprintf(classes, sizeof classes, "%d,%d", pairs[tau][0], pairs[tau][1]);
    const hg_dataset_opts o = {
      .path = hg_params_str(p, "path"), .split = hg_params_str(p, "split"), .n = B->n,
      .n_val = B->n_val, .classes = classes, .downsample = (int)hg_params_int(p, "downsample"),
      .normalize = hg_params_str(p, "normalize"), .seed = (uint64_t)B->seed + (uint64_t)tau};
    hg_error_clear(&e);
    if ((status = hg_fashion_mnist(&o, &ds, &e)) != HG_OK) {
      hg_fail(err, status, "problem 'biased-reg', task %d (classes %s): %s", tau + 1, classes,
              e.msg);
      break;
    }
    const size_t d = (size_t)B->d;
    memcpy(B->X + (size_t)tau * B->n * d, ds.X->val, (size_t)B->n * d * sizeof *B->X);
    memcpy(B->X_val + (size_t)tau * B->n_val * d, ds.X_val->val,
           (size_t)B->n_val * d * sizeof *B->X_val);
    for (int i = 0; i < B->n; i++)
      B->y[(size_t)tau * B->n + i] = ds.y[i] == pairs[tau][0] ? -1.0 : 1.0;
    for (int i = 0; i < B->n_val; i++)
      B->y_val[(size_t)tau * B->n_val + i] = ds.y_val[i] == pairs[tau][0] ? -1.0 : 1.0;
    if (tau == 0) {
      snprintf(B->source, sizeof B->source, "Fashion-MNIST %s, %d tasks of a class pair each "
               "(%d + %d examples, %dx%d%s, seed %ld + task):", hg_params_str(p, "split"), B->T,
               B->n, B->n_val, ds.side, ds.side,
               strcmp(hg_params_str(p, "normalize"), "unit") ? " standardized" : "", B->seed);
    }
    used = strlen(B->source);
    snprintf(B->source + used, sizeof B->source - used, " %s", classes);
    hg_dataset_free(&ds);
  }
  return status;
}

static void biased_reg_destroy(void *self)
{
  biased_reg *B = self;

  if (!B)
    return;
  free(B->X);
  free(B->y);
  free(B->X_val);
  free(B->y_val);
  free(B->chol);
  free(B->Xty);
  free(B->r_n);
  free(B->r_val);
  free(B->r_d);
  free(B);
}

/* One task's rows: x ~ N(0, I_d), label x^T w_tau + noise N(0, 1), or its sign (+1 at 0). */
static void biased_reg_rows(const biased_reg *B, hg_rng *rng, int rows, const double *w_tau,
                            double *X, double *y)
{
  for (int i = 0; i < rows; i++) {
    double *x = X + (size_t)i * (size_t)B->d;
    for (int j = 0; j < B->d; j++)
      x[j] = hg_rng_normal(rng);
    const double z = hg_dot(B->d, x, w_tau) + B->noise * hg_rng_normal(rng);
    y[i] = B->logistic ? (z >= 0 ? 1.0 : -1.0) : z;
  }
}

/* ||A||_2^2 = lambda_max(A^T A) and lambda_min(A^T A) of a rows x d row-major block, dense
 * (dsyrk, then dsyevr on the d x d Gram matrix left in gram). */
static int biased_reg_gram_extremes(const biased_reg *B, const double *A, int rows,
                                    double *gram, double *lo, double *hi, hg_error *err)
{
  const int d = B->d;

  cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, d, rows, 1.0, A, d, 0.0, gram, d);
  for (int i = 0; i < d; i++) /* the lower triangle too: hg_sym_extremes checks every entry */
    for (int j = i + 1; j < d; j++)
      gram[(size_t)j * d + i] = gram[(size_t)i * d + j];
  int status = hg_sym_extremes(d, gram, lo, hi, err);
  *lo = fmax(*lo, 0.0);
  *hi = fmax(*hi, 0.0);
  return status;
}

/*
 * The constants of DESIGN §7 (independent of theta), from the data:
 *   squared:  mu = min_tau lambda_min(X_tau^T X_tau / n) + beta, L = max_tau lambda_max(..) +
 *             beta (the Hessian is block diagonal: exact), mu1 = max_tau ||X'_tau||^2 / (T n');
 *   logistic: mu = beta, L = max_tau ||X_tau||^2 / (4n) + beta (sigma' <= 1/4: bounds),
 *             nu1/eta = c3 max_tau (||X_tau||^2 / n) max_i ||x_i||, mu1 = max_tau
 *             ||X'_tau||^2 / (4 T n');
 * and for the squared loss the Cholesky factors of X_tau^T X_tau / n + beta I and X^T y / n.
 */
static int biased_reg_prepare(biased_reg *B, double *gram, hg_error *err)
{
  const int d = B->d, T = B->T;
  const size_t dd = (size_t)d * (size_t)d;
  int status = HG_OK;
  double lo, hi;

  B->mu = INFINITY;
  B->L = 0;
  B->nu1_eta = 0;
  B->mu1 = 0;
  for (int tau = 0; tau < T; tau++) {
    const double *X = B->X + (size_t)tau * B->n * d, *Xv = B->X_val + (size_t)tau * B->n_val * d;
    status = biased_reg_gram_extremes(B, Xv, B->n_val, gram, &lo, &hi, err);
    if (status != HG_OK)
      goto done;
    B->mu1 = fmax(B->mu1, hi / ((B->logistic ? 4.0 : 1.0) * T * B->n_val));
    status = biased_reg_gram_extremes(B, X, B->n, gram, &lo, &hi, err);
    if (status != HG_OK)
      goto done;
    if (B->logistic) {
      double max_row = 0;
      for (int i = 0; i < B->n; i++)
        max_row = fmax(max_row, hg_nrm2(d, X + (size_t)i * d));
      B->mu = B->beta;
      B->L = fmax(B->L, hi / (4.0 * B->n) + B->beta);
      B->nu1_eta = fmax(B->nu1_eta, HG_SIGMOID_CURV * (hi / B->n) * max_row);
      continue;
    }
    B->mu = fmin(B->mu, lo / B->n + B->beta);
    B->L = fmax(B->L, hi / B->n + B->beta);
    double *F = B->chol + (size_t)tau * dd;
    for (size_t k = 0; k < dd; k++)
      F[k] = gram[k] / B->n;
    for (int j = 0; j < d; j++)
      F[(size_t)j * d + j] += B->beta;
    cblas_dgemv(CblasRowMajor, CblasTrans, B->n, d, 1.0 / B->n, X, d, B->y + (size_t)tau * B->n,
                1, 0.0, B->Xty + (size_t)tau * d, 1);
    status = hg_dense_chol_factor("problem 'biased-reg'", "task Hessian", d, F, err);
    if (status != HG_OK)
      goto done;
  }

done:
  return status;
}

/* Draw the instance (order: the center c, then per task w_tau, its n training rows and its n'
 * validation rows), then the constants; eta = step= or 1/L. */
static int biased_reg_create(const hg_params *p, void **self, int *n_w, int *n_theta,
                             hg_error *err)
{
  int status = HG_OK;
  double *center = NULL, *w_tau = NULL, *gram = NULL;
  biased_reg *B = calloc(1, sizeof *B);
  hg_rng rng;

  if (!B) {
    status = hg_fail(err, HG_ERR_NOMEM, "problem 'biased-reg': out of memory for its state");
    goto done;
  }
  B->T = (int)hg_params_int(p, "tasks");
  B->d = (int)hg_params_int(p, "d");
  B->n = (int)hg_params_int(p, "n");
  B->n_val = (int)hg_params_int(p, "n_val");
  B->beta = hg_params_real(p, "beta");
  B->logistic = strcmp(hg_params_str(p, "loss"), "logistic") == 0;
  B->spread = hg_params_real(p, "spread");
  B->noise = hg_params_real(p, "noise");
  B->seed = hg_params_int(p, "seed");
  const char *data = hg_params_str(p, "data");
  if (data) { /* class-pair tasks: d = side^2; the synthetic keys are errors */
    int side = hg_params_given(p, "downsample") ? (int)hg_params_int(p, "downsample") : 28;
    for (const char *const *k = biased_reg_synth_keys; *k; k++)
      if (hg_params_given(p, *k)) {
        status = hg_fail(err, HG_ERR_ARG, "problem 'biased-reg': %s= shapes synthetic data and "
                         "cannot be combined with data=%s", *k, data);
        goto done;
      }
    if (B->T > 45) {
      status = hg_fail(err, HG_ERR_ARG, "problem 'biased-reg': tasks=%d with data=%s: at most "
                       "45, the class pairs of 10 classes", B->T, data);
      goto done;
    }
    B->d = side > 0 && side <= 28 ? side * side : 1; /* a bad side: hg_fashion_mnist says so */
  } else if ((status = hg_glm_no_dataset_keys("biased-reg", p, err)) != HG_OK) {
    goto done;
  }
  const int T = B->T, d = B->d;
  const size_t td = (size_t)T * (size_t)d, dd = (size_t)d * (size_t)d;
  if ((long long)T * d > INT_MAX) {
    status = hg_fail(err, HG_ERR_ARG, "problem 'biased-reg': tasks=%d times d=%d exceeds %d "
                     "variables", T, d, INT_MAX);
    goto done;
  }

  if ((status = hg_params_reserve(p, "problem 'biased-reg'",
                                  ((double)td * (B->n + B->n_val) + (double)T * dd) *
                                  sizeof(double), "for the tasks' data and factors", err)))
    goto done;
  B->X = malloc(td * (size_t)B->n * sizeof(double));
  B->y = malloc((size_t)T * (size_t)B->n * sizeof(double));
  B->X_val = malloc(td * (size_t)B->n_val * sizeof(double));
  B->y_val = malloc((size_t)T * (size_t)B->n_val * sizeof(double));
  B->chol = B->logistic ? NULL : malloc((size_t)T * dd * sizeof(double));
  B->Xty = B->logistic ? NULL : malloc(td * sizeof(double));
  B->r_n = malloc((size_t)B->n * sizeof(double));
  B->r_val = malloc((size_t)B->n_val * sizeof(double));
  B->r_d = malloc((size_t)d * sizeof(double));
  center = malloc((size_t)d * sizeof(double));
  w_tau = malloc((size_t)d * sizeof(double));
  gram = malloc(dd * sizeof(double));
  if (!B->X || !B->y || !B->X_val || !B->y_val || (!B->logistic && (!B->chol || !B->Xty)) ||
      !B->r_n || !B->r_val || !B->r_d || !center || !w_tau || !gram) {
    status = hg_fail(err, HG_ERR_NOMEM, "problem 'biased-reg': out of memory for tasks=%d, "
                     "d=%d, n=%d, n_val=%d", T, d, B->n, B->n_val);
    goto done;
  }

  hg_rng_seed(&rng, (uint64_t)B->seed);
  for (int j = 0; j < d; j++)
    center[j] = hg_rng_normal(&rng);
  if (data && (status = biased_reg_fashion(B, p, err)) != HG_OK)
    goto done;
  for (int tau = 0; tau < T && !data; tau++) {
    for (int j = 0; j < d; j++)
      w_tau[j] = center[j] + B->spread * hg_rng_normal(&rng);
    biased_reg_rows(B, &rng, B->n, w_tau, B->X + (size_t)tau * B->n * d,
                    B->y + (size_t)tau * B->n);
    biased_reg_rows(B, &rng, B->n_val, w_tau, B->X_val + (size_t)tau * B->n_val * d,
                    B->y_val + (size_t)tau * B->n_val);
  }
  status = biased_reg_prepare(B, gram, err);
  if (status != HG_OK)
    goto done;
  B->eta = hg_params_given(p, "step") ? hg_params_real(p, "step") : 1.0 / B->L;
  *n_w = T * d;
  *n_theta = d;
  *self = B;
  B = NULL;

done:
  biased_reg_destroy(B);
  free(center);
  free(w_tau);
  free(gram);
  return status;
}

/* theta0 = 0: no bias. */
static void biased_reg_theta0(const void *self, double *theta)
{
  const biased_reg *B = self;
  hg_zero(B->d, theta);
}

/*
 * The mean loss of one task on `rows` rows (X, y) at w, leaving z = X w in z:
 *   squared   (1/2 rows) ||X w - y||^2,                 grad = scale X^T (X w - y) / rows;
 *   logistic  (1/rows) sum_i log(1 + exp(-y_i z_i)),    grad = -scale X^T (y .* sigma(-y .* z))
 *                                                               / rows;
 * grad (d, when not NULL) is scaled by `scale`.  z holds rows doubles.
 */
static double biased_reg_loss(const biased_reg *B, const double *X, const double *y, int rows,
                              const double *w, double scale, double *grad, double *z)
{
  double loss = 0;

  cblas_dgemv(CblasRowMajor, CblasNoTrans, rows, B->d, 1.0, X, B->d, w, 1, 0.0, z, 1);
  for (int i = 0; i < rows; i++) {
    if (B->logistic) {
      const double yz = y[i] * z[i];
      loss += hg_softplus(-yz);
      z[i] = -y[i] * hg_sigmoid(-yz); /* dloss/dz_i; z is recomputed by the Hessian products */
    } else {
      z[i] -= y[i];
      loss += 0.5 * z[i] * z[i];
    }
  }
  if (grad)
    cblas_dgemv(CblasRowMajor, CblasTrans, rows, B->d, scale / rows, X, B->d, z, 1, 0.0, grad, 1);
  return loss / rows;
}

/* out = H_tau(w_tau) v, the Hessian of L_tau: X^T X v / n (squared) or X^T (sigma'(X w) .* X v)
 * / n (logistic; sigma' is even, so the labels drop out). */
static void biased_reg_hvp(biased_reg *B, int tau, const double *w, const double *v, double *out)
{
  const int d = B->d, n = B->n;
  const double *X = B->X + (size_t)tau * n * d;

  cblas_dgemv(CblasRowMajor, CblasNoTrans, n, d, 1.0, X, d, v, 1, 0.0, B->r_n, 1);
  if (B->logistic)
    for (int i = 0; i < n; i++)
      B->r_n[i] *= hg_sigmoid_slope(cblas_ddot(d, X + (size_t)i * d, 1, w, 1));
  cblas_dgemv(CblasRowMajor, CblasTrans, n, d, 1.0 / n, X, d, B->r_n, 1, 0.0, out, 1);
}

/* out_tau = Phi(w, theta)_tau = w_tau - eta (grad L_tau(w_tau) + beta (w_tau - theta))
 * (DESIGN §3). */
static void biased_reg_phi(void *self, const double *w, const double *theta, double *out)
{
  biased_reg *B = self;
  const int d = B->d;

  for (int tau = 0; tau < B->T; tau++) {
    const double *w_tau = w + (size_t)tau * d;
    double *o = out + (size_t)tau * d;
    biased_reg_loss(B, B->X + (size_t)tau * B->n * d, B->y + (size_t)tau * B->n, B->n, w_tau,
                    1.0, B->r_d, B->r_n);
    for (int j = 0; j < d; j++)
      o[j] = w_tau[j] - B->eta * (B->r_d[j] + B->beta * (w_tau[j] - theta[j]));
  }
}

/* out_tau = (d_w Phi v)_tau = v_tau - eta (H_tau(w_tau) v_tau + beta v_tau); block diagonal and
 * symmetric, so also vjp_w (DESIGN §3). */
static void biased_reg_jvp_w(void *self, const double *w, const double *theta, const double *v,
                             double *out)
{
  biased_reg *B = self;
  const int d = B->d;

  for (int tau = 0; tau < B->T; tau++) {
    const double *v_tau = v + (size_t)tau * d;
    double *o = out + (size_t)tau * d;
    biased_reg_hvp(B, tau, w + (size_t)tau * d, v_tau, B->r_d);
    for (int j = 0; j < d; j++)
      o[j] = v_tau[j] - B->eta * (B->r_d[j] + B->beta * v_tau[j]);
  }
}

/* out (d) = d_theta Phi^T v = eta beta sum_tau v_tau (DESIGN §3). */
static void biased_reg_vjp_theta(void *self, const double *w, const double *theta,
                                 const double *v, double *out)
{
  biased_reg *B = self;

  hg_zero(B->d, out);
  for (int tau = 0; tau < B->T; tau++)
    hg_axpy(B->d, B->eta * B->beta, v + (size_t)tau * B->d, out);
}

/* out_tau = (d_theta Phi u)_tau = eta beta u for every task (DESIGN §3). */
static void biased_reg_jvp_theta(void *self, const double *w, const double *theta,
                                 const double *u, double *out)
{
  biased_reg *B = self;

  for (int tau = 0; tau < B->T; tau++)
    for (int j = 0; j < B->d; j++)
      out[(size_t)tau * B->d + j] = B->eta * B->beta * u[j];
}

/* E = (1/T) sum_tau L'_tau(w_tau) on the validation rows; (grad_w E)_tau = grad L'_tau(w_tau)
 * / T; grad_theta E = 0 (DESIGN §3). */
static double biased_reg_upper(void *self, const double *w, const double *theta, double *gw,
                               double *gtheta)
{
  biased_reg *B = self;
  const int d = B->d;
  double E = 0;

  for (int tau = 0; tau < B->T; tau++)
    E += biased_reg_loss(B, B->X_val + (size_t)tau * B->n_val * d,
                         B->y_val + (size_t)tau * B->n_val, B->n_val, w + (size_t)tau * d,
                         1.0 / B->T, gw ? gw + (size_t)tau * d : NULL, B->r_val);
  if (gtheta)
    hg_zero(d, gtheta);
  return E / B->T;
}

/* What Newton needs for one task's g_tau(w) = L_tau(w) + (beta/2)||w - theta||^2 (newton.h):
 * the task, theta, and room for its Hessian (d x d) and the row-scaled X (n x d). */
typedef struct biased_reg_newton {
  biased_reg *B;
  int tau;
  const double *theta;
  double *H, *Xs;
} biased_reg_newton;

static double biased_reg_newton_f(void *ctx, const double *w, double *grad)
{
  biased_reg_newton *N = ctx;
  biased_reg *B = N->B;
  double reg = 0;
  const double loss = biased_reg_loss(B, B->X + (size_t)N->tau * B->n * B->d,
                                      B->y + (size_t)N->tau * B->n, B->n, w, 1.0, grad, B->r_n);
  for (int j = 0; j < B->d; j++) {
    const double dj = w[j] - N->theta[j];
    reg += dj * dj;
    if (grad)
      grad[j] += B->beta * dj;
  }
  return loss + 0.5 * B->beta * reg;
}

/* N->H = the Hessian of g_tau at w, X^T diag(sigma'(X w)) X / n + beta I (logistic), formed as
 * Xs^T Xs with Xs = diag(sqrt(sigma'(x_i^T w)/n)) X (dsyrk). */
static void biased_reg_newton_hessian(biased_reg_newton *N, const double *w)
{
  biased_reg *B = N->B;
  const int d = B->d, n = B->n;
  const double *X = B->X + (size_t)N->tau * n * d;

  for (int i = 0; i < n; i++) {
    const double *x = X + (size_t)i * d;
    const double s = sqrt(hg_sigmoid_slope(cblas_ddot(d, x, 1, w, 1)) / n);
    for (int j = 0; j < d; j++)
      N->Xs[(size_t)i * d + j] = s * x[j];
  }
  cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, d, n, 1.0, N->Xs, d, 0.0, N->H, d);
  for (int j = 0; j < d; j++)
    N->H[(size_t)j * d + j] += B->beta;
}

/* dw = -H^{-1} grad by a Cholesky factorization of the Hessian at w (left in N->H). */
static int biased_reg_newton_direction(void *ctx, const double *w, const double *grad,
                                       double *dw, hg_error *err)
{
  biased_reg_newton *N = ctx;
  const int d = N->B->d;
  int status;

  biased_reg_newton_hessian(N, w);
  for (int j = 0; j < d; j++)
    dw[j] = -grad[j];
  status = hg_dense_chol_factor("problem 'biased-reg'", "task Hessian", d, N->H, err);
  if (status == HG_OK)
    status = hg_dense_chol_solve("problem 'biased-reg'", "task Hessian", d, N->H, dw, err);
  return status;
}

/*
 * Exact reference (DESIGN §3), task by task (the Hessian is block diagonal):
 *   squared:  w*_tau = (X^T X / n + beta I)^{-1} (X^T y / n + beta theta) with the factors of
 *             create;  logistic: w*_tau by Newton from 0 (newton.h), H_tau(w*_tau) factored;
 *   then u_tau = H_tau^{-1} (grad_w E(w*))_tau and grad f = beta sum_tau u_tau
 *   (grad f = -(d_w d_theta g)^T H^{-1} grad_w E with d_w d_theta g = -beta [I; ..; I]).
 */
static int biased_reg_exact(void *self, const double *theta, double *wstar, double *grad,
                            hg_error *err)
{
  static const hg_newton_ops newton = {.f = biased_reg_newton_f,
                                       .direction = biased_reg_newton_direction};
  static const char *const name = "problem 'biased-reg'";
  biased_reg *B = self;
  const int d = B->d, T = B->T;
  const size_t dd = (size_t)d * (size_t)d;
  int status = HG_OK;
  double *gw = NULL, *factors = NULL, *work = NULL;
  biased_reg_newton N = {B, 0, theta, NULL, NULL};

  gw = malloc((size_t)T * d * sizeof(double));
  if (B->logistic) {
    factors = malloc((size_t)T * dd * sizeof(double));
    N.Xs = malloc((size_t)B->n * d * sizeof(double));
    work = malloc(HG_NEWTON_WORK(d) * sizeof(double));
  }
  if (!gw || (B->logistic && (!factors || !N.Xs || !work))) {
    status = hg_fail(err, HG_ERR_NOMEM, "%s: out of memory for the exact solve (tasks=%d, "
                     "d=%d)", name, T, d);
    goto done;
  }

  /* w*, and the factor of each task's Hessian at w* */
  for (int tau = 0; tau < T && status == HG_OK; tau++) {
    double *w_tau = wstar + (size_t)tau * d;
    if (!B->logistic) {
      for (int j = 0; j < d; j++)
        w_tau[j] = B->Xty[(size_t)tau * d + j] + B->beta * theta[j];
      status = hg_dense_chol_solve(name, "task Hessian", d, B->chol + (size_t)tau * dd, w_tau,
                                   err);
      continue;
    }
    N.tau = tau;
    N.H = factors + (size_t)tau * dd;
    hg_zero(d, w_tau);
    status = hg_newton(name, d, &newton, &N, w_tau, work, err);
    if (status == HG_OK) {
      biased_reg_newton_hessian(&N, w_tau);
      status = hg_dense_chol_factor(name, "task Hessian", d, N.H, err);
    }
  }
  if (status != HG_OK)
    goto done;

  /* the adjoint: u_tau = H_tau^{-1} (grad_w E)_tau, grad f = beta sum_tau u_tau */
  biased_reg_upper(B, wstar, theta, gw, NULL);
  hg_zero(d, grad);
  for (int tau = 0; tau < T; tau++) {
    double *u = gw + (size_t)tau * d;
    status = hg_dense_chol_solve(name, "task Hessian", d,
                                 (B->logistic ? factors : B->chol) + (size_t)tau * dd, u, err);
    if (status != HG_OK)
      goto done;
    hg_axpy(d, B->beta, u, grad);
  }

done:
  free(gw);
  free(factors);
  free(N.Xs);
  free(work);
  return status;
}

/*
 * Constants (DESIGN §7), fixed at create (biased_reg_prepare): mu, L as there,
 * q = max(|1 - eta mu|, |1 - eta L|), kappa = L/mu; the global Lipschitz constants in w
 * (Grazzi et al. 2020, §2):
 *   d_w Phi = I - eta blockdiag(H_tau(w_tau) + beta I):
 *     squared: H_tau = X^T X / n does not depend on w:                         nu1 = 0;
 *     logistic: H_tau(w) = X^T D(w) X / n, D_ii = sigma'(x_i^T w) (sigma' is even), and
 *       |D_ii(w) - D_ii(w')| <= c3 |x_i^T (w - w')|, c3 = 1/(6 sqrt 3), so each block moves by
 *       at most eta c3 (||X_tau||^2/n) max_i ||x_i|| ||w_tau - w'_tau||, and a block-diagonal
 *       matrix has the norm of its largest block:  nu1 = eta c3 max_tau (||X_tau||^2/n) max_i
 *       ||x_i||;
 *   d_theta Phi = eta beta [I; ..; I] does not depend on w:                      nu2 = 0;
 *   grad_w E is block diagonal with blocks grad L'_tau / T, Hessians X'^T X' / n' (squared) or
 *     X'^T D' X' / n' with D' <= 1/4 (logistic):   mu1 = max_tau ||X'_tau||^2 / (T n') (/4);
 *   grad_theta E = 0:                                                            mu2 = 0.
 * L_Phi and L_E are left to the harness (measured at w*).
 */
static int biased_reg_constants(void *self, const double *theta, hg_constants *c,
                                hg_error *err)
{
  biased_reg *B = self;

  hg_constants_unknown(c);
  c->step = B->eta;
  c->mu = B->mu;
  c->L = B->L;
  c->q = fmax(fabs(1.0 - B->eta * c->mu), fabs(1.0 - B->eta * c->L));
  c->kappa = c->L / c->mu;
  c->nu1 = B->logistic ? B->eta * B->nu1_eta : 0.0;
  c->nu2 = 0.0;
  c->mu1 = B->mu1;
  c->mu2 = 0.0;
  c->exact_mu_L = !B->logistic;
  return HG_OK;
}

static void biased_reg_describe(const void *self, char *buf, size_t len)
{
  const biased_reg *B = self;

  if (B->source[0])
    snprintf(buf, len, "%s; %d tasks, d = %d, %d train / %d validation rows each; loss %s; "
             "beta %.6g; step %.6g", B->source, B->T, B->d, B->n, B->n_val,
             B->logistic ? "logistic" : "squared", B->beta, B->eta);
  else
    snprintf(buf, len, "synthetic (seed %ld): %d tasks, d = %d, %d train / %d validation rows "
             "each; loss %s; beta %.6g, spread %.6g, noise %.6g; step %.6g", B->seed, B->T, B->d,
             B->n, B->n_val, B->logistic ? "logistic" : "squared", B->beta, B->spread, B->noise,
             B->eta);
}

/* For the squared loss Phi is affine in w and d_theta Phi does not depend on w (DESIGN §7). */
static int biased_reg_affine(const void *self)
{
  return !((const biased_reg *)self)->logistic;
}

const hg_problem_ops hg_problem_biased_reg = {
  .version = HG_OPS_VERSION,   /* ops layout this table was written for */
  .name = "biased-reg",                /* registry name */
  .summary = "meta-learning with biased regularization over T tasks (DESIGN §3)",
  .params = biased_reg_params,         /* tasks, d, n, n_val, beta, loss, spread, noise, ... */
  .create = biased_reg_create,         /* draws the tasks from seed; constants; step */
  .destroy = biased_reg_destroy,       /* frees the state */
  .theta0 = biased_reg_theta0,         /* 0: no bias */
  .phi = biased_reg_phi,               /* w_tau - eta (grad L_tau + beta (w_tau - theta)) */
  .jvp_w = biased_reg_jvp_w,           /* v_tau - eta (H_tau v_tau + beta v_tau) */
  .vjp_w = biased_reg_jvp_w,           /* the same: block diagonal and symmetric */
  .vjp_theta = biased_reg_vjp_theta,   /* eta beta sum_tau v_tau */
  .upper = biased_reg_upper,           /* mean validation loss over the tasks */
  .jvp_theta = biased_reg_jvp_theta,   /* eta beta u in every block */
  .exact = biased_reg_exact,           /* per task: Cholesky (squared) or Newton + Cholesky */
  .constants = biased_reg_constants,   /* mu, L, q, kappa; nu1, nu2 = 0, mu1, mu2 = 0 */
  .describe = biased_reg_describe,     /* tasks, sizes, loss, beta, step */
  .symmetric = 1,                      /* d_w Phi = I - eta blockdiag(H_tau + beta I) */
  .revision = 1,                       /* bump when this problem's numbers change */
  .display = "biased regularization (meta-learning)", /* legends and tables */
  .affine = biased_reg_affine,      /* Phi affine in w, d_theta Phi constant */
};

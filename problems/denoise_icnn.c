/*
 * denoise_icnn.c -- denoising with a learned input-convex neural network regularizer (DESIGN §3
 * "denoise-icnn"; issue 21, after Bogensperger, Ehrhardt, Pock, Salehi & Wong 2024).  Per
 * training pair (u-dagger_i, f_i) of P pixels, the lower level is
 *
 *     h(u, theta) = 1/2 ||u - f||^2 + R(u),   R(u) = sum_{k,p} sp(s2)_{kp},
 *     s1 = C1 u + b1                 (J1 channels: 3 x 3 correlations C1_j, biases b1_j),
 *     s2 = A sp(s1) + C2 u + b2      (J2 channels: A_kj = e^{theta} >= 0 mixes the hidden
 *                                     channels pixel by pixel, C2_k a 3 x 3 skip correlation),
 *
 * sp(x) = log(1 + e^x) (softplus: convex, non-decreasing, smooth).  R is convex in u (sp of an
 * affine map is convex; a non-negative combination of convex functions plus an affine map is
 * convex, and sp non-decreasing keeps it so), so h is 1-strongly convex: the data term gives the
 * strong convexity.  Correlations use the half-sample symmetric boundary of the imaging problems
 * (imaging.h hg_conv_operator).  theta = (C1 taps, b1, log A, C2 taps, b2), J1 s^2 + J1 + J2 J1
 * + J2 s^2 + J2 entries in that order.  Phi(u)_i = u_i - eta grad h(u_i), E = (1/N) sum_i
 * 1/2 ||u_i - u-dagger_i||^2.
 *
 * Derivatives, per image (d = sp', dd = sp'' = d (1 - d)):
 *     grad R = C2^T g2 + C1^T (d(s1) .* A^T g2),              g2 = d(s2);
 *     H v    = C2^T r + C1^T (dd(s1) .* C1 v .* A^T g2 + d(s1) .* A^T r),
 *              r = dd(s2) .* (A (d(s1) .* C1 v) + C2 v);
 *     H      = I + M^T diag(dd(s2)) M + C1^T diag(dd(s1) .* A^T g2) C1,
 *              M = A diag(d(s1)) C1 + C2 (per channel k a 3 x 3-patterned matrix with row weights):
 * so the exact solve is the imaging problems' Newton with CHOLMOD on J1 + J2 terms
 * (hg_image_exact).  d_theta Phi^T v = -eta grad_theta F, F = <grad R(u), v> =
 * <g2, ds2> with ds1 = C1 v, ds2 = A (d(s1) .* ds1) + C2 v, by reverse mode (icnn_vjp_theta).
 * Constants: mu = 1; L = 1 + (||A|| ||C1|| + ||C2||)^2/4 + max_j (sum_k A_kj) ||C1||^2/4 (a
 * bound: dd <= 1/4, d <= 1, A^T g2 <= sum_k A_kj); nu1, nu2 not derived (NAN).
 */
#include "imaging.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct icnn {
  hg_pairs pairs;
  int N, P, J1, J2, s, T, m; /* T = s^2 taps */
  hg_matrix **K1, **K2, **M; /* J1 and J2 correlations, J2 Hessian blocks M_k */
  int *tap, *col;            /* shared pattern: tap p T + t's position in val, its pixel */
  double *key;               /* the theta the correlations were built for (m) */
  int key_set;
  double eta, *theta0;
  double *s1, *h1, *s2, *g2, *atg, *ds1, *ds2, *r, *q1, *w1, *w2; /* scratch */
  hg_hess_term *terms;
  hg_image_chol chol;
  double *a, *work; /* exact: N P and 3 P */
} icnn;

#define IC1(F, j) ((j) * (F)->T)
#define IB1(F, j) ((F)->J1 * (F)->T + (j))
#define IA(F, k, j) ((F)->J1 * (F)->T + (F)->J1 + (k) * (F)->J1 + (j))
#define IC2(F, k) ((F)->J1 * (F)->T + (F)->J1 + (F)->J2 * (F)->J1 + (k) * (F)->T)
#define IB2(F, k) ((F)->J1 * (F)->T + (F)->J1 + (F)->J2 * (F)->J1 + (F)->J2 * (F)->T + (k))

static const hg_param_spec icnn_params[] = {
  HG_PAIRS_PARAMS,
  {"hidden", HG_PARAM_INT, "4", 1, 16, NULL, "J1: channels of the first (convolutional) layer"},
  {"outputs", HG_PARAM_INT, "1", 1, 16, NULL, "J2: channels of the second layer"},
  {"filter_size", HG_PARAM_INT, "3", 3, 7, NULL, "side s of the correlations, odd"},
  {"step", HG_PARAM_REAL, NULL, DBL_MIN, DBL_MAX, NULL, "step eta of Phi (default 1/L at theta0)"},
  {NULL, 0, NULL, 0, 0, NULL, NULL},
};

static double sp(double x)
{
  return fmax(x, 0) + log1p(exp(-fabs(x)));
}

static double dsp(double x)
{
  return x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x));
}

static double ddsp(double x)
{
  double d = dsp(x);
  return d * (1 - d);
}

static void icnn_destroy(void *self)
{
  icnn *F = self;
  if (!F)
    return;
  hg_pairs_free(&F->pairs);
  for (int j = 0; F->K1 && j < F->J1; j++)
    hg_matrix_destroy(&F->K1[j]);
  for (int k = 0; F->K2 && k < F->J2; k++)
    hg_matrix_destroy(&F->K2[k]);
  for (int k = 0; F->M && k < F->J2; k++)
    hg_matrix_destroy(&F->M[k]);
  free(F->K1);
  free(F->K2);
  free(F->M);
  free(F->tap);
  free(F->col);
  free(F->key);
  free(F->theta0);
  double *scratch[] = {F->s1, F->h1, F->s2, F->g2, F->atg, F->ds1, F->ds2, F->r, F->q1, F->w1,
                       F->w2, F->a, F->work};
  for (size_t i = 0; i < sizeof scratch / sizeof *scratch; i++)
    free(scratch[i]);
  free(F->terms);
  hg_image_chol_finish(&F->chol);
  free(F);
}

/* The correlations' values for theta's taps, unless built for them already. */
static void update(icnn *F, const double *theta)
{
  if (F->key_set && !memcmp(F->key, theta, (size_t)F->m * sizeof *theta))
    return;
  memcpy(F->key, theta, (size_t)F->m * sizeof *theta);
  F->key_set = 1;
  for (int j = 0; j < F->J1; j++)
    hg_conv_set(F->K1[j], F->T, F->tap, theta + IC1(F, j));
  for (int k = 0; k < F->J2; k++)
    hg_conv_set(F->K2[k], F->T, F->tap, theta + IC2(F, k));
}

/* The forward pass of one image: s1, h1 = sp(s1), s2, g2 = sp'(s2), atg = A^T g2. */
static void forward(icnn *F, const double *theta, const double *u)
{
  int P = F->P;
  update(F, theta);
  for (int j = 0; j < F->J1; j++) {
    double *s = F->s1 + (size_t)j * P;
    hg_matrix_gemv(F->K1[j], 0, 1, u, 0, s);
    for (int p = 0; p < P; p++) {
      s[p] += theta[IB1(F, j)];
      F->h1[(size_t)j * P + p] = sp(s[p]);
    }
  }
  for (int k = 0; k < F->J2; k++) {
    double *s = F->s2 + (size_t)k * P;
    hg_matrix_gemv(F->K2[k], 0, 1, u, 0, s);
    for (int p = 0; p < P; p++)
      s[p] += theta[IB2(F, k)];
    for (int j = 0; j < F->J1; j++)
      hg_axpy(P, exp(theta[IA(F, k, j)]), F->h1 + (size_t)j * P, s);
    for (int p = 0; p < P; p++)
      F->g2[(size_t)k * P + p] = dsp(s[p]);
  }
  for (int j = 0; j < F->J1; j++) {
    double *a = F->atg + (size_t)j * P;
    hg_zero(P, a);
    for (int k = 0; k < F->J2; k++)
      hg_axpy(P, exp(theta[IA(F, k, j)]), F->g2 + (size_t)k * P, a);
  }
}

/* ||A||_2 <= ||A||_F, max_j sum_k A_kj, and ||C||^2 <= sum ||C_j||_1 ||C_j||_inf for C1, C2. */
static double bound_L(icnn *F, const double *theta)
{
  double a2 = 0, colmax = 0, c1 = 0, c2 = 0, n1, ninf;
  update(F, theta);
  for (int j = 0; j < F->J1; j++) {
    double col = 0;
    for (int k = 0; k < F->J2; k++) {
      double a = exp(theta[IA(F, k, j)]);
      a2 += a * a;
      col += a;
    }
    colmax = fmax(colmax, col);
    hg_csr_norm1_inf(F->K1[j], F->w1, &n1, &ninf);
    c1 += n1 * ninf;
  }
  for (int k = 0; k < F->J2; k++) {
    hg_csr_norm1_inf(F->K2[k], F->w1, &n1, &ninf);
    c2 += n1 * ninf;
  }
  double mb = sqrt(a2 * c1) + sqrt(c2);
  return 1 + 0.25 * mb * mb + 0.25 * colmax * c1;
}

/* theta0: C1 the +- horizontal and vertical differences scaled by 10 (J1 = 4: a smoothed
 * anisotropic TV of weight about 10 A/2 = 0.1 for large differences; more channels repeat them),
 * b1 = -2, A = 0.02, C2 = 0, b2 = 0. */
static void make_theta0(icnn *F)
{
  static const int dx[4] = {1, 0, 1, 0}, dy[4] = {0, 1, 0, 1};
  int r = F->s / 2;
  memset(F->theta0, 0, (size_t)F->m * sizeof *F->theta0);
  for (int j = 0; j < F->J1; j++) {
    double sg = (j / 2) % 2 ? -10 : 10, *c = F->theta0 + IC1(F, j);
    c[r * F->s + r] = -sg;
    c[(r + dy[j % 4]) * F->s + r + dx[j % 4]] = sg;
    F->theta0[IB1(F, j)] = -2;
    for (int k = 0; k < F->J2; k++)
      F->theta0[IA(F, k, j)] = log(0.02);
  }
}

static int icnn_create(const hg_params *p, void **self, int *n_w, int *n_theta, hg_error *err)
{
  icnn *F = calloc(1, sizeof *F);
  int rc = HG_OK;

  *self = NULL;
  if (!F)
    return hg_fail(err, HG_ERR_NOMEM, "problem 'denoise-icnn': out of memory");
  F->J1 = (int)hg_params_int(p, "hidden");
  F->J2 = (int)hg_params_int(p, "outputs");
  F->s = (int)hg_params_int(p, "filter_size");
  if (F->s % 2 == 0) {
    rc = hg_fail(err, HG_ERR_ARG, "problem 'denoise-icnn': filter_size=%d must be odd", F->s);
    goto fail;
  }
  F->T = F->s * F->s;
  F->m = F->J1 * F->T + F->J1 + F->J2 * F->J1 + F->J2 * F->T + F->J2;
  if ((rc = hg_pairs_load(p, &F->pairs, err)))
    goto fail;
  F->N = F->pairs.N;
  F->P = F->pairs.P;
  size_t P = (size_t)F->P, PT = P * F->T, J1P = P * F->J1, J2P = P * F->J2;
  F->K1 = calloc((size_t)F->J1, sizeof *F->K1);
  F->K2 = calloc((size_t)F->J2, sizeof *F->K2);
  F->M = calloc((size_t)F->J2, sizeof *F->M);
  F->tap = malloc(PT * sizeof *F->tap);
  F->col = malloc(PT * sizeof *F->col);
  F->key = malloc((size_t)F->m * sizeof *F->key);
  F->theta0 = malloc((size_t)F->m * sizeof *F->theta0);
  F->s1 = malloc(J1P * sizeof(double));
  F->h1 = malloc(J1P * sizeof(double));
  F->atg = malloc(J1P * sizeof(double));
  F->ds1 = malloc(J1P * sizeof(double));
  F->q1 = malloc(J1P * sizeof(double));
  F->w1 = malloc((J1P > P ? J1P : P) * sizeof(double));
  F->s2 = malloc(J2P * sizeof(double));
  F->g2 = malloc(J2P * sizeof(double));
  F->ds2 = malloc(J2P * sizeof(double));
  F->r = malloc(J2P * sizeof(double));
  F->w2 = malloc((J2P > P ? J2P : P) * sizeof(double));
  F->terms = malloc((size_t)(F->J1 + F->J2) * sizeof *F->terms);
  F->a = malloc(P * F->N * sizeof(double));
  F->work = malloc(3 * P * sizeof(double));
  if (!F->K1 || !F->K2 || !F->M || !F->tap || !F->col || !F->key || !F->theta0 || !F->s1 ||
      !F->h1 || !F->atg || !F->ds1 || !F->q1 || !F->w1 || !F->s2 || !F->g2 || !F->ds2 ||
      !F->r || !F->w2 || !F->terms || !F->a || !F->work) {
    rc = hg_fail(err, HG_ERR_NOMEM, "problem 'denoise-icnn': out of memory for %d + %d channels "
                 "on %d pixels", F->J1, F->J2, F->P);
    goto fail;
  }
  for (int j = 0; j < F->J1 && !rc; j++) /* one pattern: the same taps each time */
    rc = hg_conv_operator(F->pairs.w, F->pairs.h, F->s, &F->K1[j], F->tap, err);
  for (int k = 0; k < F->J2 && !rc; k++) {
    rc = hg_conv_operator(F->pairs.w, F->pairs.h, F->s, &F->K2[k], F->tap, err);
    if (!rc)
      rc = hg_conv_operator(F->pairs.w, F->pairs.h, F->s, &F->M[k], F->tap, err);
  }
  if (rc)
    goto fail;
  for (size_t q = 0; q < PT; q++)
    F->col[q] = F->K1[0]->colind[F->tap[q]];
  if ((rc = hg_image_chol_start(&F->chol, F->P, "problem 'denoise-icnn'", err)))
    goto fail;
  F->chol.mem_cap = hg_params_mem_cap(p);
  make_theta0(F);
  F->eta = hg_params_given(p, "step") ? hg_params_real(p, "step") : 1 / bound_L(F, F->theta0);
  *self = F;
  *n_w = F->N * F->P;
  *n_theta = F->m;
  return HG_OK;

fail:
  icnn_destroy(F);
  return rc;
}

static void icnn_theta0(const void *self, double *theta)
{
  const icnn *F = self;
  memcpy(theta, F->theta0, (size_t)F->m * sizeof *theta);
}

/* out = grad h(u_i) = u - f_i + C2^T g2 + C1^T (d(s1) .* A^T g2). */
static void grad_h(void *self, int i, const double *u, const double *theta, double *out)
{
  icnn *F = self;
  int P = F->P;
  const double *f = F->pairs.noisy + (size_t)i * P;
  forward(F, theta, u);
  for (int j = 0; j < F->J1; j++)
    for (int p = 0; p < P; p++) {
      size_t q = (size_t)j * P + p;
      F->w1[q] = dsp(F->s1[q]) * F->atg[q];
    }
  for (int p = 0; p < P; p++)
    out[p] = u[p] - f[p];
  for (int k = 0; k < F->J2; k++)
    hg_matrix_gemv(F->K2[k], 1, 1, F->g2 + (size_t)k * P, 1, out);
  for (int j = 0; j < F->J1; j++)
    hg_matrix_gemv(F->K1[j], 1, 1, F->w1 + (size_t)j * P, 1, out);
}

/* h(u_i) = 1/2 ||u - f_i||^2 + sum sp(s2). */
static double value_h(void *self, int i, const double *u, const double *theta)
{
  icnn *F = self;
  double data = 0, reg = 0;
  const double *f = F->pairs.noisy + (size_t)i * F->P;
  forward(F, theta, u);
  for (int p = 0; p < F->P; p++)
    data += (u[p] - f[p]) * (u[p] - f[p]);
  for (size_t q = 0; q < (size_t)F->J2 * F->P; q++)
    reg += sp(F->s2[q]);
  return 0.5 * data + reg;
}

/* Factor H = I + sum_k M_k^T diag(dd(s2_k)) M_k + sum_j C1_j^T diag(dd(s1_j) .* (A^T g2)_j)
 * C1_j, M_k[p, col(p, t)] += sum_j A_kj d(s1_jp) c1_j[t] + c2_k[t] (taps landing on one entry
 * add, as hg_conv_set). */
static int factor_h(void *self, int i, const double *u, const double *theta, hg_error *err)
{
  icnn *F = self;
  int P = F->P, T = F->T;
  forward(F, theta, u);
  for (int k = 0; k < F->J2; k++) {
    hg_matrix *Mk = F->M[k];
    memset(Mk->val, 0, (size_t)Mk->nnz * sizeof *Mk->val);
    const double *c2 = theta + IC2(F, k);
    for (int p = 0; p < P; p++)
      for (int t = 0; t < T; t++) {
        double v = c2[t];
        for (int j = 0; j < F->J1; j++)
          v += exp(theta[IA(F, k, j)]) * dsp(F->s1[(size_t)j * P + p]) * theta[IC1(F, j) + t];
        Mk->val[F->tap[(size_t)p * T + t]] += v;
      }
    for (int p = 0; p < P; p++)
      F->w2[(size_t)k * P + p] = ddsp(F->s2[(size_t)k * P + p]);
    F->terms[k] = (hg_hess_term){Mk, F->w2 + (size_t)k * P};
  }
  for (int j = 0; j < F->J1; j++) {
    for (int p = 0; p < P; p++) {
      size_t q = (size_t)j * P + p;
      F->w1[q] = ddsp(F->s1[q]) * F->atg[q];
    }
    F->terms[F->J2 + j] = (hg_hess_term){F->K1[j], F->w1 + (size_t)j * P};
  }
  return hg_image_chol_factor(&F->chol, 1, F->J1 + F->J2, F->terms, err);
}

static void icnn_phi(void *self, const double *w, const double *theta, double *out)
{
  icnn *F = self;
  for (int i = 0; i < F->N; i++) {
    size_t o = (size_t)i * F->P;
    grad_h(F, i, w + o, theta, out + o);
    for (int p = 0; p < F->P; p++)
      out[o + p] = w[o + p] - F->eta * out[o + p];
  }
}

/* ds1 = C1 v, ds2 = A (d(s1) .* ds1) + C2 v for one image (after forward). */
static void directional(icnn *F, const double *theta, const double *v)
{
  int P = F->P;
  for (int j = 0; j < F->J1; j++) {
    hg_matrix_gemv(F->K1[j], 0, 1, v, 0, F->ds1 + (size_t)j * P);
    for (int p = 0; p < P; p++) {
      size_t q = (size_t)j * P + p;
      F->w1[q] = dsp(F->s1[q]) * F->ds1[q];
    }
  }
  for (int k = 0; k < F->J2; k++) {
    double *d = F->ds2 + (size_t)k * P;
    hg_matrix_gemv(F->K2[k], 0, 1, v, 0, d);
    for (int j = 0; j < F->J1; j++)
      hg_axpy(P, exp(theta[IA(F, k, j)]), F->w1 + (size_t)j * P, d);
  }
}

/* d_w Phi v = v - eta (v + H v) per image; symmetric. */
static void icnn_jvp_w(void *self, const double *w, const double *theta, const double *v,
                       double *out)
{
  icnn *F = self;
  int P = F->P;
  for (int i = 0; i < F->N; i++) {
    size_t o = (size_t)i * P;
    const double *vi = v + o;
    double *oi = out + o;
    forward(F, theta, w + o);
    directional(F, theta, vi);
    for (size_t q = 0; q < (size_t)F->J2 * P; q++)
      F->r[q] = ddsp(F->s2[q]) * F->ds2[q];
    for (int j = 0; j < F->J1; j++) { /* dd(s1) ds1 A^T g2 + d(s1) A^T r */
      double *t = F->w1 + (size_t)j * P;
      hg_zero(P, t);
      for (int k = 0; k < F->J2; k++)
        hg_axpy(P, exp(theta[IA(F, k, j)]), F->r + (size_t)k * P, t);
      for (int p = 0; p < P; p++) {
        size_t q = (size_t)j * P + p;
        t[p] = ddsp(F->s1[q]) * F->ds1[q] * F->atg[q] + dsp(F->s1[q]) * t[p];
      }
    }
    hg_zero(P, oi);
    for (int k = 0; k < F->J2; k++)
      hg_matrix_gemv(F->K2[k], 1, 1, F->r + (size_t)k * P, 1, oi);
    for (int j = 0; j < F->J1; j++)
      hg_matrix_gemv(F->K1[j], 1, 1, F->w1 + (size_t)j * P, 1, oi);
    for (int p = 0; p < P; p++)
      oi[p] = vi[p] - F->eta * (vi[p] + oi[p]);
  }
}

/* g[t] += scale sum_p y[p] x[col(p, t)]: the gradient in the taps of scale <C x, y>. */
static void tap_grad(const icnn *F, const double *x, const double *y, double scale, double *g)
{
  for (int p = 0; p < F->P; p++) {
    const int *col = F->col + (size_t)p * F->T;
    double a = scale * y[p];
    for (int t = 0; t < F->T; t++)
      g[t] += a * x[col[t]];
  }
}

/*
 * d_theta Phi^T v = -eta sum_i grad_theta F_i, F = <g2, ds2> (header), in reverse mode with
 * r = dd(s2) .* ds2 the adjoint of s2:
 *   A_kj: A_kj sum_p (g2_k .* d(s1_j) .* ds1_j + r_k .* h1_j)  (through ds2 and s2);
 *   C2_k: taps of <C2 v, g2_k> and <C2 u, r_k>;  b2_k: sum_p r_k;
 *   C1_j: taps of <C1 v, d(s1_j) .* (A^T g2)_j> and <C1 u, q1_j>;  b1_j: sum_p q1_j,
 *   q1 = dd(s1) .* ds1 .* A^T g2 + d(s1) .* A^T r  (the adjoint of s1).
 */
static void icnn_vjp_theta(void *self, const double *w, const double *theta, const double *v,
                           double *out)
{
  icnn *F = self;
  int P = F->P;
  double sc = -F->eta;
  hg_zero(F->m, out);
  for (int i = 0; i < F->N; i++) {
    size_t o = (size_t)i * P;
    const double *u = w + o, *vi = v + o;
    forward(F, theta, u);
    directional(F, theta, vi);
    for (size_t q = 0; q < (size_t)F->J2 * P; q++)
      F->r[q] = ddsp(F->s2[q]) * F->ds2[q];
    for (int k = 0; k < F->J2; k++) {
      const double *g2 = F->g2 + (size_t)k * P, *rk = F->r + (size_t)k * P;
      double sb = 0;
      for (int p = 0; p < P; p++)
        sb += rk[p];
      out[IB2(F, k)] += sc * sb;
      tap_grad(F, vi, g2, sc, out + IC2(F, k));
      tap_grad(F, u, rk, sc, out + IC2(F, k));
      for (int j = 0; j < F->J1; j++) {
        double s = 0;
        for (int p = 0; p < P; p++) {
          size_t q = (size_t)j * P + p;
          s += g2[p] * dsp(F->s1[q]) * F->ds1[q] + rk[p] * F->h1[q];
        }
        out[IA(F, k, j)] += sc * exp(theta[IA(F, k, j)]) * s;
      }
    }
    for (int j = 0; j < F->J1; j++) {
      double *q1 = F->q1 + (size_t)j * P, *d1 = F->w1 + (size_t)j * P, sb = 0;
      hg_zero(P, q1);
      for (int k = 0; k < F->J2; k++)
        hg_axpy(P, exp(theta[IA(F, k, j)]), F->r + (size_t)k * P, q1);
      for (int p = 0; p < P; p++) {
        size_t q = (size_t)j * P + p;
        double d = dsp(F->s1[q]);
        q1[p] = ddsp(F->s1[q]) * F->ds1[q] * F->atg[q] + d * q1[p];
        d1[p] = d * F->atg[q];
        sb += q1[p];
      }
      out[IB1(F, j)] += sc * sb;
      tap_grad(F, vi, d1, sc, out + IC1(F, j));
      tap_grad(F, u, q1, sc, out + IC1(F, j));
    }
  }
}

static double icnn_upper(void *self, const double *w, const double *theta, double *gw,
                         double *gtheta)
{
  icnn *F = self;
  if (gtheta)
    hg_zero(F->m, gtheta);
  return hg_pairs_error(&F->pairs, w, gw);
}

/* Exact: Newton with CHOLMOD per image (hg_image_exact), then grad f = d_theta Phi(w*)^T a. */
static int icnn_exact(void *self, const double *theta, double *wstar, double *grad,
                      hg_error *err)
{
  static const hg_image_lower ops = {value_h, grad_h, factor_h};
  icnn *F = self;
  int rc = hg_image_exact(&F->chol, &F->pairs, F->eta, &ops, F, theta, wstar, F->a, F->work,
                          err);
  if (!rc)
    icnn_vjp_theta(F, wstar, theta, F->a, grad);
  return rc;
}

/* mu = 1 (the data term; R convex), L = bound_L, q; nu1, nu2 not derived; mu1 = 1/N, mu2 = 0. */
static int icnn_constants(void *self, const double *theta, hg_constants *c, hg_error *err)
{
  icnn *F = self;
  double L = bound_L(F, theta);
  hg_constants_unknown(c);
  c->step = F->eta;
  c->mu = 1;
  c->L = L;
  c->kappa = L;
  c->q = fmax(fabs(1 - F->eta), fabs(1 - F->eta * L));
  c->mu1 = 1.0 / F->N;
  c->mu2 = 0;
  c->exact_mu_L = 0;
  return HG_OK;
}

static void icnn_describe(const void *self, char *buf, size_t len)
{
  const icnn *F = self;
  snprintf(buf, len, "%d training pairs of %d x %d images (%s); ICNN: %d softplus channels of "
           "%d x %d correlations, %d output channels (non-negative mixing e^theta, %d x %d skip "
           "correlations); n_theta = %d; step %.6g", F->N, F->pairs.w, F->pairs.h,
           F->pairs.source, F->J1, F->s, F->s, F->J2, F->s, F->s, F->m, F->eta);
}

static void icnn_images(const void *self, hg_image_set *set)
{
  const icnn *F = self;
  hg_pairs_images(&F->pairs, set);
}

static const hg_unknown_constant icnn_unknown[] = {
  {"nu1", "not derived for the two-layer network (it exists: sp''' is bounded by 1/(6 sqrt 3))"},
  {"nu2", "d_theta Phi holds products of u with the network's derivatives (a filter tap times "
          "the pixels it reads): it grows with u, no global constant"},
  {"L_Phi", "||d_theta Phi|| + nu2 D needs nu2"},
  {NULL, NULL},
};

const hg_problem_ops hg_problem_denoise_icnn = {
  .version = HG_OPS_VERSION,
  .name = "denoise-icnn",
  .summary = "denoising with a learned input-convex network regularizer (two softplus conv "
             "layers, non-negative hidden mixing)",
  .params = icnn_params,
  .create = icnn_create,
  .destroy = icnn_destroy,
  .theta0 = icnn_theta0,          /* +- differences x 10, A = 0.02 */
  .phi = icnn_phi,                /* u_i - eta grad h(u_i) */
  .jvp_w = icnn_jvp_w,            /* v - eta (v + H v) */
  .vjp_w = icnn_jvp_w,            /* d_w Phi is symmetric (a Hessian) */
  .vjp_theta = icnn_vjp_theta,    /* reverse mode through the two layers */
  .upper = icnn_upper,            /* mean squared error to the clean images */
  .exact = icnn_exact,            /* Newton + CHOLMOD, then the adjoint */
  .constants = icnn_constants,    /* mu = 1, L (a bound), q, mu1, mu2 */
  .describe = icnn_describe,
  .symmetric = 1,
  .images = icnn_images,          /* the training pairs */
  .revision = 1,                  /* bump when this problem's numbers change */
  .display = "ICNN denoising",    /* legends and tables */
  .unknown = icnn_unknown,        /* constants that come out NaN, and why */
  .selftest_params = "size=8 n_images=2",
};

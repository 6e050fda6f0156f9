/*
 * denoise_foe.c -- learned Fields-of-Experts denoising (DESIGN §3 "denoise-foe"): N training
 * pairs (u-dagger_i, f_i) of w x h images (P pixels), one lower-level image each, J learned
 * zero-mean s x s filters (J = filters=, s = filter_size=, odd):
 *
 *     h(u, theta) = 1/2 ||u - f||^2 + sum_j alpha_j sum_p psi_j((K_j u)_p),
 *     psi_j(z) = sqrt(z^2 + eps_j^2),  alpha_j = e^{theta_0 + theta_j},  eps_j = e^{theta_{J+j}},
 *     Phi(u, theta)_i = u_i - eta grad h(u_i),
 *     grad h(u) = u - f + sum_j alpha_j K_j^T psi_j'(K_j u),
 *     E(u) = (1/N) sum_i 1/2 ||u_i - u-dagger_i||^2,
 *
 * theta = (theta_0, theta_1 .. theta_J (weights), theta_{J+1} .. theta_{2J} (log smoothings),
 * c_1 .. c_J (s^2 coefficients each, row-major)), m = 1 + 2J + J s^2.  Filter j is
 * k_j = c_j - mean(c_j) (zero mean by construction, so d k_j / d c_j = I - 11^T/s^2 exactly)
 * and K_j the s x s correlation with half-sample symmetric boundary (imaging.h:
 * (K u)(x, y) = sum_t k_t u(reflect(x + a_t), reflect(y + b_t))), a CSR matrix whose values are
 * rebuilt when theta's filter part changes (cached, keyed by those coefficients).
 *
 * The Hessian is H(u) = I + sum_j alpha_j K_j^T diag(psi_j''(K_j u)) K_j, psi'' = eps^2/s^3 in
 * (0, 1/eps]; every K_j maps constant images to 0 (its rows sum to sum_t k_t = 0), so mu = 1
 * exactly, and L <= 1 + sum_j alpha_j n_j/eps_j with n_j = ||K_j||_1 ||K_j||_inf >= ||K_j||_2^2.
 * (||K_j||_2 <= ||k_j||_1 holds for symmetric kernels only: the reflection reads boundary
 * pixels twice, so a skew kernel can reach 2 ||k_j||_1; n_j is computed from K_j itself.)
 * Although f is nonconvex in theta, h is 1-strongly convex in u for every theta, which is all
 * the hypergradient machinery needs.  Exact: Newton with CHOLMOD per image (imaging.c).
 */
#include "glm.h" /* hg_glm_max_row_norm */
#include "imaging.h"
#include "items.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* max over x of 3x / (1 + x^2)^{5/2} (at x = 1/2): |psi'''(z)| <= PSI3 / eps^2. */
#define PSI3 0.8586501892

/* Generator of theta0's filter noise: seed= XOR this ("FOE"). */
#define FOE_SEED_SALT 0x464f45u

typedef struct foe {
  hg_pairs pairs;
  int N, P;             /* training pairs, pixels per image */
  int J, s, taps;       /* filters, filter side, taps s^2 */
  int m;                /* n_theta = 1 + 2J + J taps */
  hg_matrix **K;        /* J convolutions K_j(theta), values for the coefficients in key */
  hg_matrix *B;         /* scratch convolution: a kernel direction (jvp_theta) */
  int *tap;             /* P taps: position in val of tap t of pixel p (one pattern for all) */
  int *col;             /* P taps: the pixel tap t of pixel p reads */
  double *key;          /* J taps: the coefficients c the values of K were built from */
  int key_set;
  long version;         /* incremented whenever K's values change */
  double *resp;         /* N J P: the responses K_j u_i at wkey (image i, filter j at
                           (i J + j) P), for the Jacobian products at one w */
  double *wkey;         /* N P: the w of resp */
  long resp_version;    /* the version of K resp was computed with; -1: none */
  double *norm1;        /* J: ||K_j||_1, the largest column sum of |K_j| */
  double *norm2;        /* J: n_j = ||K_j||_1 ||K_j||_inf >= ||K_j||_2^2 */
  double *rownorm;      /* J: the largest Euclidean norm of a row of K_j */
  double normB2;        /* the largest ||B_t||_1 ||B_t||_inf, B_t: the kernel e_t - 1/s^2 */
  double f_inf;         /* max_i ||f_i||_inf */
  double eta;           /* Phi's step */
  double *theta0;       /* m */
  double *z, *c, *r, *y; /* scratch: P each */
  double *wts;          /* scratch: J P (the Hessian's weights) */
  double *gk, *kj;      /* scratch: taps each */
  hg_hess_term *terms;  /* J: the Hessian's terms K_j^T diag(wts_j) K_j */
  double *a, *work;     /* the exact solve's adjoint (N P) and Newton's scratch (3 P) */
  hg_image_chol chol;
  hg_items batch;       /* the sample ops' batches of images (items.h), as tv.c's */
} foe;

static const hg_param_spec denoise_foe_params[] = {
  HG_PAIRS_PARAMS,
  {"filters", HG_PARAM_INT, "2", 1, 64, NULL, "number J of learned zero-mean filters"},
  {"filter_size", HG_PARAM_INT, "3", 3, 15, NULL, "side s of each filter (odd)"},
  {"step", HG_PARAM_REAL, NULL, DBL_MIN, DBL_MAX, NULL, "step eta of Phi (default 1/L at theta0)"},
  {NULL, 0, NULL, 0, 0, NULL, NULL},
};

/* Offsets into theta. */
#define W_(F, j) (1 + (j))                          /* weight theta_{1+j}, j = 0 .. J-1 */
#define E_(F, j) (1 + (F)->J + (j))                 /* log smoothing theta_{J+1+j} */
#define C_(F, j) (1 + 2 * (F)->J + (j) * (F)->taps) /* the taps coefficients c_{j+1} */

static double alpha(const foe *F, const double *theta, int j)
{
  return exp(theta[0] + theta[W_(F, j)]);
}

static void foe_destroy(void *self)
{
  foe *F = self;
  if (!F)
    return;
  hg_pairs_free(&F->pairs);
  for (int j = 0; F->K && j < F->J; j++)
    hg_matrix_destroy(&F->K[j]);
  free(F->K);
  hg_matrix_destroy(&F->B);
  free(F->tap);
  free(F->col);
  free(F->key);
  free(F->resp);
  free(F->wkey);
  free(F->norm1);
  free(F->norm2);
  free(F->rownorm);
  free(F->theta0);
  free(F->z);
  free(F->c);
  free(F->r);
  free(F->y);
  free(F->wts);
  free(F->gk);
  free(F->kj);
  free(F->terms);
  free(F->a);
  free(F->work);
  hg_image_chol_finish(&F->chol);
  hg_items_free(&F->batch);
  free(F);
}

/* k = c - mean(c) over taps entries. */
static void zero_mean(int taps, const double *c, double *k)
{
  double mean = 0;
  for (int t = 0; t < taps; t++)
    mean += c[t];
  mean /= taps;
  for (int t = 0; t < taps; t++)
    k[t] = c[t] - mean;
}

/* K_j's values for theta's coefficients, and their norms, unless built for them already. */
static void update_filters(foe *F, const double *theta)
{
  const double *c = theta + C_(F, 0);
  size_t bytes = (size_t)F->J * F->taps * sizeof *c;
  if (F->key_set && !memcmp(F->key, c, bytes))
    return;
  for (int j = 0; j < F->J; j++) {
    zero_mean(F->taps, c + (size_t)j * F->taps, F->kj);
    hg_conv_set(F->K[j], F->taps, F->tap, F->kj);
    double ninf;
    hg_csr_norm1_inf(F->K[j], F->r, &F->norm1[j], &ninf);
    F->norm2[j] = F->norm1[j] * ninf;
    F->rownorm[j] = hg_glm_max_row_norm(F->K[j]);
  }
  memcpy(F->key, c, bytes);
  F->key_set = 1;
  F->version++;
}

/* L <= 1 + sum_j alpha_j n_j / eps_j at theta (K built for theta). */
static double bound_L(const foe *F, const double *theta)
{
  double L = 1;
  for (int j = 0; j < F->J; j++)
    L += alpha(F, theta, j) * F->norm2[j] / exp(theta[E_(F, j)]);
  return L;
}

/*
 * theta0, seeded: theta_0 = log 0.07, weights theta_j = 0 (alpha_j = 0.07), smoothings
 * eps_j = 0.1 (on the default pairs E(u*) = 0.55 against E(f) = 1.28, and df/dtheta_0 ~ 0:
 * about the best common weight for these filters); c_j a difference padded to s x s, -1 at
 * the centre and +1 at its right (j = 0 mod 4), lower (1), lower right (2) or lower left (3)
 * neighbour, plus (0.15/s) N(0, 1) on every coefficient (0.05 for s = 3) from a generator
 * seeded with seed= XOR 0x464f45, drawn filter by filter, row-major.
 */
static void make_theta0(foe *F, uint64_t seed)
{
  static const int dx[4] = {1, 0, 1, -1}, dy[4] = {0, 1, 1, 1};
  int r = F->s / 2;
  hg_rng rng;
  double *theta = F->theta0;

  hg_rng_seed(&rng, seed ^ FOE_SEED_SALT);
  theta[0] = log(0.07);
  for (int j = 0; j < F->J; j++) {
    double *c = theta + C_(F, j);
    theta[W_(F, j)] = 0;
    theta[E_(F, j)] = log(0.1);
    hg_rng_normals(&rng, (size_t)F->taps, 0.15 / F->s, c);
    c[r * F->s + r] -= 1;
    c[(r + dy[j % 4]) * F->s + r + dx[j % 4]] += 1;
  }
}

static void foe_theta0(const void *self, double *theta)
{
  const foe *F = self;
  memcpy(theta, F->theta0, (size_t)F->m * sizeof *theta);
}

/* max_t ||B_t||_1 ||B_t||_inf over the direction operators B_t (kernel e_t - 1/s^2), and
 * max_i ||f_i||_inf; F->B and F->r, F->kj as scratch. */
static void data_norms(foe *F)
{
  F->normB2 = F->f_inf = 0;
  for (int t = 0; t < F->taps; t++) {
    double n1, ninf;
    for (int u = 0; u < F->taps; u++)
      F->kj[u] = (u == t) - 1.0 / F->taps;
    hg_conv_set(F->B, F->taps, F->tap, F->kj);
    hg_csr_norm1_inf(F->B, F->r, &n1, &ninf);
    F->normB2 = fmax(F->normB2, n1 * ninf);
  }
  for (size_t q = 0; q < (size_t)F->N * F->P; q++)
    F->f_inf = fmax(F->f_inf, fabs(F->pairs.noisy[q]));
}

static int foe_create(const hg_params *p, void **self, int *n_w, int *n_theta, hg_error *err)
{
  int rc = HG_OK;
  foe *F = calloc(1, sizeof *F);

  if (!F)
    return hg_fail(err, HG_ERR_NOMEM, "problem 'denoise-foe': out of memory");
  F->J = (int)hg_params_int(p, "filters");
  F->s = (int)hg_params_int(p, "filter_size");
  if (F->s % 2 == 0) {
    rc = hg_fail(err, HG_ERR_ARG, "problem 'denoise-foe': filter_size=%d must be odd", F->s);
    goto fail;
  }
  F->taps = F->s * F->s;
  F->m = 1 + 2 * F->J + F->J * F->taps;
  if ((rc = hg_pairs_load(p, &F->pairs, err)))
    goto fail;
  F->N = F->pairs.N;
  F->P = F->pairs.P;
  size_t P = (size_t)F->P, PT = P * F->taps;
  F->K = calloc((size_t)F->J, sizeof *F->K);
  F->tap = malloc(PT * sizeof *F->tap);
  F->col = malloc(PT * sizeof *F->col);
  F->key = malloc((size_t)F->J * F->taps * sizeof *F->key);
  F->resp = malloc(P * F->N * F->J * sizeof *F->resp);
  F->wkey = malloc(P * F->N * sizeof *F->wkey);
  F->resp_version = -1;
  F->norm1 = malloc((size_t)F->J * sizeof *F->norm1);
  F->norm2 = malloc((size_t)F->J * sizeof *F->norm2);
  F->rownorm = malloc((size_t)F->J * sizeof *F->rownorm);
  F->theta0 = malloc((size_t)F->m * sizeof *F->theta0);
  F->z = malloc(P * sizeof *F->z);
  F->c = malloc(P * sizeof *F->c);
  F->r = malloc(P * sizeof *F->r);
  F->y = malloc(P * sizeof *F->y);
  F->wts = malloc(P * F->J * sizeof *F->wts);
  F->gk = malloc((size_t)F->taps * sizeof *F->gk);
  F->kj = malloc((size_t)F->taps * sizeof *F->kj);
  F->terms = malloc((size_t)F->J * sizeof *F->terms);
  F->a = malloc(P * F->N * sizeof *F->a);
  F->work = malloc(3 * P * sizeof *F->work);
  if (!F->K || !F->tap || !F->col || !F->key || !F->resp || !F->wkey || !F->norm1 ||
      !F->norm2 || !F->rownorm || !F->theta0 || !F->z || !F->c || !F->r || !F->y || !F->wts ||
      !F->gk || !F->kj || !F->terms || !F->a || !F->work) {
    rc = hg_fail(err, HG_ERR_NOMEM, "problem 'denoise-foe': out of memory for %d filters of "
                 "%d x %d on %d pixels", F->J, F->s, F->s, F->P);
    goto fail;
  }
  /* one pattern for every filter and for B: built J + 1 times (the same taps each time) */
  for (int j = 0; j <= F->J && !rc; j++)
    rc = hg_conv_operator(F->pairs.w, F->pairs.h, F->s, j < F->J ? &F->K[j] : &F->B, F->tap,
                          err);
  if (rc)
    goto fail;
  for (size_t q = 0; q < PT; q++)
    F->col[q] = F->B->colind[F->tap[q]];
  data_norms(F);
  if ((rc = hg_image_chol_start(&F->chol, F->P, "problem 'denoise-foe'", err)) ||
      (rc = hg_items_init(&F->batch, F->N, "denoise-foe", err)))
    goto fail;
  F->chol.mem_cap = hg_params_mem_cap(p);
  make_theta0(F, (uint64_t)hg_params_int(p, "seed"));
  update_filters(F, F->theta0);
  F->eta = hg_params_given(p, "step") ? hg_params_real(p, "step") : 1 / bound_L(F, F->theta0);
  *self = F;
  *n_w = F->N * F->P;
  *n_theta = F->m;
  return HG_OK;

fail:
  foe_destroy(F);
  return rc;
}

/* out = grad h(u_i) = u - f + sum_j alpha_j K_j^T psi_j'(K_j u), psi' = z/s. */
static void grad_h(void *self, int i, const double *u, const double *theta, double *out)
{
  foe *F = self;
  const double *f = F->pairs.noisy + (size_t)i * F->P;
  update_filters(F, theta);
  for (int j = 0; j < F->J; j++) {
    double eps = exp(theta[E_(F, j)]);
    hg_matrix_gemv(F->K[j], 0, 1, u, 0, F->z);
    for (int p = 0; p < F->P; p++)
      F->c[p] = F->z[p] / sqrt(F->z[p] * F->z[p] + eps * eps);
    hg_matrix_gemv(F->K[j], 1, alpha(F, theta, j), F->c, j ? 1 : 0, out);
  }
  for (int p = 0; p < F->P; p++)
    out[p] += u[p] - f[p];
}

/* h(u_i) = 1/2 ||u - f||^2 + sum_j alpha_j sum_p sqrt((K_j u)_p^2 + eps_j^2). */
static double h_value(void *self, int i, const double *u, const double *theta)
{
  foe *F = self;
  const double *f = F->pairs.noisy + (size_t)i * F->P;
  double v = 0;
  update_filters(F, theta);
  for (int p = 0; p < F->P; p++)
    v += 0.5 * (u[p] - f[p]) * (u[p] - f[p]);
  for (int j = 0; j < F->J; j++) {
    double eps = exp(theta[E_(F, j)]), rj = 0;
    hg_matrix_gemv(F->K[j], 0, 1, u, 0, F->z);
    for (int p = 0; p < F->P; p++)
      rj += sqrt(F->z[p] * F->z[p] + eps * eps);
    v += alpha(F, theta, j) * rj;
  }
  return v;
}

/* The responses K_j u_i of every image to every filter at w (image i, filter j at
 * (i J + j) P), computed once per w and filters: the Jacobian products at one w (a linear
 * solve, forward-mode ITD's columns) share them. */
static const double *responses(foe *F, const double *w, const double *theta)
{
  size_t nw = (size_t)F->N * F->P;
  update_filters(F, theta);
  if (F->resp_version == F->version && !memcmp(F->wkey, w, nw * sizeof *w))
    return F->resp;
  for (int i = 0; i < F->N; i++)
    for (int j = 0; j < F->J; j++)
      hg_matrix_gemv(F->K[j], 0, 1, w + (size_t)i * F->P, 0,
                     F->resp + ((size_t)i * F->J + j) * F->P);
  memcpy(F->wkey, w, nw * sizeof *w);
  F->resp_version = F->version;
  return F->resp;
}

/* Phi(u)_i = u_i - eta b_i grad h(u_i), b_i = 1 (full) or image i's batch weight (items.h;
 * b_i = 0: u_i unchanged, nothing computed). */
static void foe_phi(void *self, const double *w, const double *theta, double *out)
{
  foe *F = self;
  for (int i = 0; i < F->N; i++) {
    size_t o = (size_t)i * F->P;
    const double b = hg_items_lower(&F->batch, i);
    if (b == 0) {
      memcpy(out + o, w + o, (size_t)F->P * sizeof *out);
      continue;
    }
    grad_h(F, i, w + o, theta, out + o);
    for (int p = 0; p < F->P; p++)
      out[o + p] = w[o + p] - F->eta * b * out[o + p];
  }
}

/* d_w Phi v = v - eta H v per image, H v = v + sum_j alpha_j K_j^T (psi_j''(K_j u) .* K_j v),
 * psi'' = eps^2/s^3; symmetric, so also the vjp. */
static void foe_jvp_w(void *self, const double *w, const double *theta, const double *v,
                      double *out)
{
  foe *F = self;
  const double *Z = responses(F, w, theta);
  for (int i = 0; i < F->N; i++) {
    size_t o = (size_t)i * F->P;
    const double b = hg_items_lower(&F->batch, i); /* as Phi's */
    if (b == 0) {
      memcpy(out + o, v + o, (size_t)F->P * sizeof *out);
      continue;
    }
    hg_zero(F->P, out + o);
    for (int j = 0; j < F->J; j++) {
      double eps = exp(theta[E_(F, j)]);
      const double *z = Z + ((size_t)i * F->J + j) * F->P;
      hg_matrix_gemv(F->K[j], 0, 1, v + o, 0, F->c);
      for (int p = 0; p < F->P; p++) {
        double s2 = z[p] * z[p] + eps * eps;
        F->c[p] *= eps * eps / (s2 * sqrt(s2));
      }
      hg_matrix_gemv(F->K[j], 1, alpha(F, theta, j), F->c, 1, out + o);
    }
    for (int p = 0; p < F->P; p++)
      out[o + p] = v[o + p] - F->eta * b * (v[o + p] + out[o + p]);
  }
}

/*
 * d_theta Phi^T v = -eta sum_i (d_theta grad h(u_i))^T v_i.  With z = K_j u, s = sqrt(z^2 +
 * eps_j^2), x = K_j v_i and S_t the 0/1 matrix of tap t ((S_t u)_p = u(col(p, t)), so
 * d K_j / d k_t = S_t):
 *     d_theta_0 grad h     = sum_j alpha_j K_j^T (z/s)             -> sum_j alpha_j <z/s, x>,
 *     d_theta_j grad h     = alpha_j K_j^T (z/s)                   -> alpha_j <z/s, x>,
 *     d_theta_{J+j} grad h = -alpha_j K_j^T (z eps^2/s^3)          -> -alpha_j <z eps^2/s^3, x>,
 *     d_{k_t} grad h       = alpha_j [S_t^T (z/s) + K_j^T (eps^2/s^3 .* S_t u)]
 *                          -> alpha_j [<z/s, S_t v_i> + <eps^2/s^3 .* x, S_t u>] =: alpha_j g_t,
 * and d k / d c = I - 11^T/s^2 gives the coefficients' entries alpha_j (g_t - mean(g)).
 */
static void foe_vjp_theta(void *self, const double *w, const double *theta, const double *v,
                          double *out)
{
  foe *F = self;
  int T = F->taps;
  const double *Z = responses(F, w, theta);
  memset(out, 0, (size_t)F->m * sizeof *out);
  for (int j = 0; j < F->J; j++) {
    double eps = exp(theta[E_(F, j)]), aj = alpha(F, theta, j), e2 = eps * eps;
    double dw = 0, de = 0, *oc = out + C_(F, j);
    memset(F->gk, 0, (size_t)T * sizeof *F->gk);
    for (int i = 0; i < F->N; i++) {
      const double *u = w + (size_t)i * F->P, *vi = v + (size_t)i * F->P;
      const double *zi = Z + ((size_t)i * F->J + j) * F->P;
      const double b = hg_items_lower(&F->batch, i); /* image i's weight (1: no bit changes) */
      if (b == 0)
        continue;
      hg_matrix_gemv(F->K[j], 0, 1, vi, 0, F->y);
      for (int p = 0; p < F->P; p++) {
        double z = zi[p], s2 = z * z + e2, s = sqrt(s2), d1 = z / s, x = F->y[p];
        double d2x = e2 / (s2 * s) * x;
        const int *cp = F->col + (size_t)p * T;
        dw += b * (d1 * x);
        de -= b * (z * d2x);
        for (int t = 0; t < T; t++)
          F->gk[t] += b * (d1 * vi[cp[t]] + d2x * u[cp[t]]);
      }
    }
    zero_mean(T, F->gk, oc);
    for (int t = 0; t < T; t++)
      oc[t] *= -F->eta * aj;
    out[0] += -F->eta * aj * dw;
    out[W_(F, j)] = -F->eta * aj * dw;
    out[E_(F, j)] = -F->eta * aj * de;
  }
}

/*
 * d_theta Phi a = -eta sum_j alpha_j [K_j^T ((a_0 + a_j) z/s - a_{J+j} z eps^2/s^3
 *                                         + eps^2/s^3 .* B_j u) + B_j^T (z/s)]   per image,
 * B_j the convolution with the kernel b = a_{c_j} - mean(a_{c_j}) (= sum_t b_t S_t, the
 * direction of k_j).
 */
static void foe_jvp_theta(void *self, const double *w, const double *theta, const double *a,
                          double *out)
{
  foe *F = self;
  const double *Z = responses(F, w, theta);
  memset(out, 0, (size_t)F->N * F->P * sizeof *out);
  for (int j = 0; j < F->J; j++) {
    double eps = exp(theta[E_(F, j)]), aj = alpha(F, theta, j), e2 = eps * eps;
    double a1 = a[0] + a[W_(F, j)], a2 = a[E_(F, j)];
    zero_mean(F->taps, a + C_(F, j), F->kj);
    int dk = hg_nrm2(F->taps, F->kj) > 0; /* filter j moves (else B = 0: skipped) */
    if (!dk && a1 == 0 && a2 == 0)
      continue; /* a unit direction (forward-mode ITD) touches one filter only */
    if (dk)
      hg_conv_set(F->B, F->taps, F->tap, F->kj);
    for (int i = 0; i < F->N; i++) {
      const double *u = w + (size_t)i * F->P;
      double *oi = out + (size_t)i * F->P;
      const double *zi = Z + ((size_t)i * F->J + j) * F->P;
      if (hg_items_lower(&F->batch, i) == 0)
        continue; /* an unchanged block: d_theta Phi's rows are 0 */
      if (dk)
        hg_matrix_gemv(F->B, 0, 1, u, 0, F->y);
      for (int p = 0; p < F->P; p++) {
        double z = zi[p], s2 = z * z + e2, s = sqrt(s2), d2 = e2 / (s2 * s);
        F->r[p] = z / s;
        F->c[p] = a1 * z / s - a2 * z * d2 + (dk ? d2 * F->y[p] : 0);
      }
      hg_matrix_gemv(F->K[j], 1, aj, F->c, 1, oi);
      if (dk)
        hg_matrix_gemv(F->B, 1, aj, F->r, 1, oi);
    }
  }
  for (int i = 0; i < F->N; i++) {
    const double b = hg_items_lower(&F->batch, i);
    for (size_t q = (size_t)i * F->P; q < (size_t)(i + 1) * F->P; q++)
      out[q] *= -F->eta * b;
  }
}

/* E = (1/N) sum_i 1/2 ||u_i - u-dagger_i||^2; grad_w E = (u - u-dagger)/N; grad_theta E = 0. */
static double foe_upper(void *self, const double *w, const double *theta, double *gw,
                        double *gtheta)
{
  foe *F = self;
  if (gtheta)
    memset(gtheta, 0, (size_t)F->m * sizeof *gtheta);
  return hg_pairs_error_weighted(&F->pairs, F->batch.count[1] ? F->batch.w[1] : NULL, w, gw);
}

/* Factor H(u) = I + sum_j K_j^T diag(alpha_j eps_j^2/s^3) K_j. */
static int factor_hessian(void *self, int i, const double *u, const double *theta,
                          hg_error *err)
{
  foe *F = self;
  update_filters(F, theta);
  for (int j = 0; j < F->J; j++) {
    double eps = exp(theta[E_(F, j)]), aj = alpha(F, theta, j);
    double *wj = F->wts + (size_t)j * F->P;
    hg_matrix_gemv(F->K[j], 0, 1, u, 0, F->z);
    for (int p = 0; p < F->P; p++) {
      double s2 = F->z[p] * F->z[p] + eps * eps;
      wj[p] = aj * eps * eps / (s2 * sqrt(s2));
    }
    F->terms[j].op = F->K[j];
    F->terms[j].weight = wj;
  }
  return hg_image_chol_factor(&F->chol, 1, F->J, F->terms, err);
}

/*
 * Exact (DESIGN §3): per image damped Newton with CHOLMOD from u = f to ||grad h|| <= 1e-12,
 * then a_i = H(u*_i)^{-1} (u*_i - u-dagger_i)/(N eta) and grad f = d_theta Phi(w*)^T a
 * (hg_image_exact).
 */
static int foe_exact(void *self, const double *theta, double *wstar, double *grad,
                     hg_error *err)
{
  static const hg_image_lower ops = {h_value, grad_h, factor_hessian};
  foe *F = self;
  int held[2];
  hg_items_hold(&F->batch, held); /* the full problem, whatever batch is selected */
  int rc = hg_image_exact(&F->chol, &F->pairs, F->eta, &ops, F, theta, wstar, F->a, F->work,
                          err);
  if (!rc)
    foe_vjp_theta(F, wstar, theta, F->a, grad);
  hg_items_restore(&F->batch, held);
  return rc;
}

/*
 * Constants at theta (DESIGN §7), alpha_j = e^{theta_0 + theta_j}, eps_j = e^{theta_{J+j}},
 * n_j = ||K_j||_1 ||K_j||_inf >= ||K_j||_2^2, rho_j = the largest row norm of K_j, n_B the
 * largest ||B_t||_1 ||B_t||_inf over the direction operators B_t (kernel e_t - 1/s^2):
 *   mu = 1 (exact: K_j 1 = 0), L = 1 + Lam, Lam = sum_j alpha_j n_j/eps_j (a bound);
 *   nu1 = eta sum_j alpha_j n_j PSI3 rho_j/eps_j^2 (global): ||H(u) - H(u')|| <= sum_j alpha_j
 *         ||K_j||^2 max_p |psi''(z_p) - psi''(z'_p)| and |(K_j (u - u'))_p| <= rho_j ||u - u'||;
 *   nu2 = eta sqrt(sum_theta l_theta^2) (Frobenius over the columns of d_theta Phi, each the
 *         stack over images of u -> d_theta grad h(u) with Lipschitz constant l_theta):
 *         l_0 = Lam and l_{theta_j} = l_{theta_{J+j}} = alpha_j n_j/eps_j (|psi''| and
 *         |d/dz z eps^2/s^3| are <= 1/eps), all global; for each coefficient of filter j,
 *         u -> alpha_j [B_t^T psi'(K_j u) + K_j^T (psi''(K_j u) .* B_t u)] has
 *         l_c = alpha_j (2 sqrt(n_B n_j)/eps_j + n_j PSI3 b M/eps_j^2) on the box
 *         ||w||_inf <= M, where |(B_t u)_p| <= b M with b = 2 (1 - 1/s^2) >= ||B_t||_inf.
 *         The box holds w0 = 0, every iterate and w*: |psi'| < 1 gives
 *         ||Phi(u)||_inf <= |1 - eta| ||u||_inf + eta M', M' = max_i ||f_i||_inf +
 *         sum_j alpha_j ||K_j||_1 (||K^T y||_inf <= ||K||_1 ||y||_inf), so with
 *         M = eta M'/(1 - |1 - eta|) (= M' for eta <= 1; eta < 2 for a contraction) Phi maps
 *         the box into itself, and the box is convex (segments between iterates stay in it);
 *   mu1 = 1/N, mu2 = 0.
 */
static int foe_constants(void *self, const double *theta, hg_constants *c, hg_error *err)
{
  foe *F = self;
  double eta = F->eta, lam = 0, nu1 = 0, sum2 = 0, Mp = F->f_inf;
  double b = 2 * (1 - 1.0 / F->taps);
  update_filters(F, theta);
  for (int j = 0; j < F->J; j++)
    Mp += alpha(F, theta, j) * F->norm1[j];
  double M = eta < 2 ? eta * Mp / (1 - fabs(1 - eta)) : INFINITY;
  for (int j = 0; j < F->J; j++) {
    double aj = alpha(F, theta, j), eps = exp(theta[E_(F, j)]), nj = F->norm2[j];
    double lw = aj * nj / eps;
    double lc = aj * (2 * sqrt(F->normB2 * nj) / eps + nj * PSI3 * b * M / (eps * eps));
    lam += lw;
    nu1 += aj * nj * PSI3 * F->rownorm[j] / (eps * eps);
    sum2 += 2 * lw * lw + F->taps * lc * lc;
  }
  hg_constants_unknown(c);
  c->step = eta;
  c->mu = 1;
  c->L = 1 + lam;
  c->kappa = c->L;
  c->q = fmax(fabs(1 - eta), fabs(1 - eta * c->L));
  c->nu1 = eta * nu1;
  c->nu2 = eta * sqrt(lam * lam + sum2);
  c->mu1 = 1.0 / F->N;
  c->mu2 = 0;
  c->exact_mu_L = 0;
  return HG_OK;
}

static void foe_describe(const void *self, char *buf, size_t len)
{
  const foe *F = self;
  snprintf(buf, len, "%d training pairs of %d x %d images (%s); %d zero-mean filters of "
           "%d x %d, each a %d x %d CSR convolution (nnz %ld); step %.6g",
           F->N, F->pairs.w, F->pairs.h, F->pairs.source, F->J, F->s, F->s, F->P, F->P,
           F->B->nnz, F->eta);
}

/* The sample ops: the N images are the items of both means (items.h). */
static int foe_n_items(const void *self, int which)
{
  const foe *F = self;
  return F->N;
}

static int foe_select(void *self, int which, int count, const int *idx, hg_error *err)
{
  foe *F = self;
  return hg_items_select(&F->batch, "denoise-foe", "image", which, count, idx, err);
}

const hg_problem_ops hg_problem_denoise_foe = {
  .version = HG_OPS_VERSION,
  .name = "denoise-foe",
  .summary = "learned Fields-of-Experts denoising of N image pairs, theta = (log weights, log "
             "smoothings, zero-mean filters)",
  .params = denoise_foe_params,
  .create = foe_create,
  .destroy = foe_destroy,           /* frees everything create made */
  .theta0 = foe_theta0,             /* seeded difference filters, alpha_j = 0.07 */
  .phi = foe_phi,                   /* u_i - eta grad h(u_i) */
  .jvp_w = foe_jvp_w,               /* v - eta H v per image */
  .vjp_w = foe_jvp_w,               /* d_w Phi is symmetric */
  .vjp_theta = foe_vjp_theta,       /* closed form, every theta component */
  .upper = foe_upper,               /* mean squared error to the clean images */
  .jvp_theta = foe_jvp_theta,       /* closed form, forward */
  .exact = foe_exact,               /* Newton + CHOLMOD, then the adjoint */
  .constants = foe_constants,       /* mu = 1, L, q, nu1, nu2, mu1, mu2 */
  .describe = foe_describe,
  .symmetric = 1,
  .n_items = foe_n_items,           /* the N images, for Phi and for E */
  .select = foe_select,             /* per-image weights (items.h) */
  .revision = 1,                       /* bump when this problem's numbers change */
  .display = "FoE denoising", /* legends and tables */
};

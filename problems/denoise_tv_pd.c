/*
 * denoise_tv_pd.c -- learned Huber-TV denoising in saddle-point form (DESIGN §3
 * "denoise-tv-pd"), for primal-dual methods (piggyback).  Per training pair (u-dagger_i, f_i),
 * with lam = e^{theta_0} and nu = huber=:
 *
 *     min_u max_y  <K u, y> + 1/2 ||u - f||^2 - F*(y),
 *     F*(y) = sum_j [ indicator{|y_j| <= lam} + nu/(2 lam) y_j^2 ],
 *
 * one scalar y_j per row of K (anisotropic, as denoise-tv smooths each difference on its own).
 * K is operator=:
 *   - tv (default): K = D, the stacked forward differences (imaging.h), theta = (log lam);
 *   - filters: a learned filter bank K = [K_1; ..; K_J] (J = filters=), K_j the s x s
 *     correlation (s = filter_size=, odd) with the coefficients c_j of theta and half-sample
 *     symmetric boundary (imaging.h hg_conv_operator), theta = (log lam, c_1 .. c_J), s^2
 *     coefficients each, row-major; K is linear in c.  theta0 has c_1 the horizontal and c_2
 *     the vertical forward difference padded to s x s (then the diagonal and the anti-diagonal
 *     one, repeating), so that filters=2 starts at K = D exactly: the symmetric boundary
 *     repeats the last pixel, the last difference is 0, as D's Neumann rule.
 * Its primal is the smoothed (Huber) problem
 *
 *     h(u, theta) = 1/2 ||u - f||^2 + sum_j H((K u)_j),   H = (F*)*:
 *     H(z) = lam z^2/(2 nu) for |z| <= nu,  lam |z| - lam nu/2 otherwise,
 *     grad h(u) = u - f + lam K^T psi(K u),   psi(z) = clip(z/nu, -1, 1),
 *     Phi(u, theta)_i = u_i - eta grad h(u_i),   E = (1/N) sum_i 1/2 ||u_i - u-dagger_i||^2,
 *
 * and y* = lam psi(K u*).  h is C^1 with a Lipschitz gradient and piecewise quadratic; its
 * generalized Hessian (taken with the strict inequality at a kink) is
 *     H(u) = I + (lam/nu) K^T diag(1{|K u| < nu}) K,
 * so mu = 1, L = 1 + lam ||K||^2/nu.  d_w Phi jumps across a kink, so it is not Lipschitz in w:
 * nu1 is unknown (NAN) and the bounds of DESIGN §7 that need it stay NAN.  With a learned K,
 * the derivative in c of d_theta Phi(u)^T v = -eta lam [grad_c <K psi-part>] (below) holds
 * psi'(K u), which jumps too: nu2 is then unknown as well.
 *
 * f=charbonnier replaces F by sqrt(z^2 + s^2) - s + gamma/2 z^2 on K = lam K0 (K0 = D or the
 * filter bank; theta acts through K only), smooth: its constants (charb_* below, docs/theory.md
 * "The saddle bound") make piggyback's a-posteriori bound and every bound of DESIGN §7 finite.
 *
 * The state (pairs, D, step, CHOLMOD) is problems/tv.c's hg_tv; the exact solve is the imaging
 * problems' one (imaging.c hg_image_exact) with the generalized Hessian as the Hessian:
 * semismooth Newton, which ends in finitely many steps once the active set {|K u| < nu} is the
 * one of u*.
 */
#include "tv.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define LAMBDA0 0.1 /* theta0 = log LAMBDA0 */

typedef struct denoise_pd {
  hg_tv *T;       /* owned: pairs, D, eta, the exact solve's a (N P) and work (3 P), CHOLMOD */
  double nu;      /* Huber parameter huber= */
  int nK;         /* blocks of K: 1 (tv) or J (filters) */
  int rk, R;      /* rows of a block (2P for tv, P for a filter) and of K, R = nK rk */
  hg_matrix **K;  /* the blocks (tv: T->D, borrowed; filters: owned, values from theta) */
  int learned;    /* operator=filters */
  int s, taps;    /* filters: side and s^2 taps */
  int *tap;       /* filters: P taps, the position in a block's val of tap t of pixel p */
  int *col;       /* filters: P taps, the pixel tap t of pixel p reads */
  hg_matrix *B;   /* filters: scratch block, a direction of the coefficients (jvp_theta) */
  double *key;    /* filters: J taps, the coefficients K's values were built from */
  int key_set;
  double norm_K2; /* ||K||^2 (tv: the eigenvalue) or the bound sum_j ||K_j||_1 ||K_j||_inf */
  double *z, *c, *zb; /* scratch: R each */
  double *wts;    /* scratch: R, the Hessian's weights */
  hg_hess_term *terms; /* nK: K_j^T diag(wts_j) K_j */
  int m;          /* n_theta: 1, or 1 + J taps with a learned K */
  double *theta0; /* m */
  int charb;      /* f=charbonnier: F(z) = sqrt(z^2 + s^2) - s + gamma z^2/2, K = lam K(c) */
  double cs, gamma; /* f=charbonnier: s and gamma */
  double L_hess_F;  /* f=charbonnier: Lipschitz constant of (F*)'' (charb_hess_lip) */
  double tap_norm2; /* operator=filters: sum over taps t of ||B_t||^2 (a bound), B_t the
                       tap's shift: d/dc_jt K(c) = B_t on block j */
} denoise_pd;

static const hg_param_spec denoise_pd_params[] = {
  HG_PAIRS_PARAMS,
  {"huber", HG_PARAM_REAL, "0.05", DBL_MIN, DBL_MAX, NULL,
   "Huber parameter nu of the smoothed TV (fixed; F* has the term nu/(2 lam) y^2)"},
  {"operator", HG_PARAM_CHOICE, "tv", 0, 0, "tv|filters",
   "K: the differences D (theta = log lam), or a learned filter bank (theta adds its taps)"},
  {"filters", HG_PARAM_INT, NULL, 1, 16, NULL,
   "operator=filters: number J of learned filters (default 2)"},
  {"filter_size", HG_PARAM_INT, NULL, 3, 9, NULL,
   "operator=filters: side s of each filter, odd (default 3)"},
  {"step", HG_PARAM_REAL, NULL, DBL_MIN, DBL_MAX, NULL, "step eta of Phi (default 1/L at theta0)"},
  {"f", HG_PARAM_CHOICE, "huber", 0, 0, "huber|charbonnier",
   "F: Huber with lam in F* (the default), or Charbonnier + gamma/2 z^2 with K = lam K0 (smooth: "
   "piggyback's saddle bound applies)"},
  {"charbonnier", HG_PARAM_REAL, NULL, 1e-6, 1e6, NULL,
   "f=charbonnier: smoothing s of sqrt(z^2 + s^2) - s (default 0.05)"},
  {"gamma", HG_PARAM_REAL, NULL, 1e-6, 1e6, NULL,
   "f=charbonnier: weight gamma of the quadratic gamma/2 z^2 in F (default 1)"},
  {NULL, 0, NULL, 0, 0, NULL, NULL},
};

static void denoise_pd_destroy(void *self)
{
  denoise_pd *S = self;
  if (!S)
    return;
  for (int j = 0; S->learned && S->K && j < S->nK; j++)
    hg_matrix_destroy(&S->K[j]);
  free(S->K);
  hg_matrix_destroy(&S->B);
  free(S->tap);
  free(S->col);
  free(S->key);
  free(S->z);
  free(S->c);
  free(S->zb);
  free(S->wts);
  free(S->terms);
  free(S->theta0);
  hg_tv_destroy(S->T);
  free(S);
}

/*
 * ||D||^2: D^T D = L_w (+) L_h, the Kronecker sum of the path-graph Laplacians of a row and a
 * column (Neumann boundary), whose eigenvalues are 4 sin^2(pi k/(2w)), k < w; so
 * ||D||^2 = 4 sin^2(pi (w-1)/(2w)) + 4 sin^2(pi (h-1)/(2h)) < 8.
 */
static double diff_norm2(int w, int h)
{
  const double pi = 3.14159265358979323846;
  double sw = sin(pi * (w - 1) / (2.0 * w)), sh = sin(pi * (h - 1) / (2.0 * h));
  return 4 * sw * sw + 4 * sh * sh;
}

/* A learned K's values for theta's coefficients, and the bound on ||K||^2, unless built for
 * them already (every callback taking theta calls this first). */
static void update_K(denoise_pd *S, const double *theta)
{
  if (!S->learned)
    return;
  const double *c = theta + 1;
  size_t bytes = (size_t)S->nK * S->taps * sizeof *c;
  if (S->key_set && !memcmp(S->key, c, bytes))
    return;
  memcpy(S->key, c, bytes);
  S->key_set = 1;
  S->norm_K2 = 0;
  for (int j = 0; j < S->nK; j++) {
    double n1, ninf;
    hg_conv_set(S->K[j], S->taps, S->tap, c + (size_t)j * S->taps);
    hg_csr_norm1_inf(S->K[j], S->z, &n1, &ninf); /* ||K_j||_2^2 <= ||K_j||_1 ||K_j||_inf */
    S->norm_K2 += n1 * ninf;
  }
}

/* The scale of K: lam with f=charbonnier (K = lam K0(c)), 1 with Huber (lam is in F*). */
static double k_scale(const denoise_pd *S, const double *theta)
{
  return S->charb ? exp(theta[0]) : 1;
}

/* Charbonnier's F'' is at most 1/s + gamma (at z = 0). */
static double charb_F2max(const denoise_pd *S)
{
  return 1 / S->cs + S->gamma;
}

/* L at theta: Huber 1 + lam ||K||^2/nu, the largest generalized Hessian (every row active);
 * Charbonnier 1 + lam^2 ||K0||^2 (1/s + gamma). */
static double bound_L(denoise_pd *S, const double *theta)
{
  update_K(S, theta);
  if (S->charb) {
    double lam = exp(theta[0]);
    return 1 + lam * lam * S->norm_K2 * charb_F2max(S);
  }
  return 1 + exp(theta[0]) * S->norm_K2 / S->nu;
}

/* z (R) = K u for one image. */
static void apply_K(const denoise_pd *S, const double *u, double *z)
{
  for (int j = 0; j < S->nK; j++)
    hg_matrix_gemv(S->K[j], 0, 1, u, 0, z + (size_t)j * S->rk);
}

/* out (P) = K^T y for one image. */
static void apply_Kt(const denoise_pd *S, const double *y, double *out)
{
  for (int j = 0; j < S->nK; j++)
    hg_matrix_gemv(S->K[j], 1, 1, y + (size_t)j * S->rk, j ? 1 : 0, out);
}

/* out[1 + j taps + t] += scale sum_p y_{j P + p} x[col(p, t)]: the gradient in the filter
 * coefficients of scale <K(c) x, y> for one image (K is linear in c). */
static void coef_grad(const denoise_pd *S, const double *x, const double *y, double scale,
                      double *out)
{
  int P = S->T->P, taps = S->taps;
  for (int j = 0; j < S->nK; j++) {
    double *g = out + 1 + (size_t)j * taps;
    const double *yj = y + (size_t)j * P;
    for (int p = 0; p < P; p++) {
      const int *col = S->col + (size_t)p * taps;
      double a = scale * yj[p];
      for (int t = 0; t < taps; t++)
        g[t] += a * x[col[t]];
    }
  }
}

/* theta0: log 0.1, and for a learned K the differences of the header comment. */
static void make_theta0(denoise_pd *S)
{
  static const int dx[4] = {1, 0, 1, -1}, dy[4] = {0, 1, 1, 1};
  int r = S->s / 2;
  S->theta0[0] = log(LAMBDA0);
  for (int j = 0; S->learned && j < S->nK; j++) {
    double *c = S->theta0 + 1 + (size_t)j * S->taps;
    c[r * S->s + r] = -1;
    c[(r + dy[j % 4]) * S->s + r + dx[j % 4]] = 1;
  }
}

static void denoise_pd_theta0(const void *self, double *theta)
{
  const denoise_pd *S = self;
  memcpy(theta, S->theta0, (size_t)S->m * sizeof *theta);
}

/* The filter bank's blocks, pattern maps and scratch block (operator=filters). */
static int make_filters(denoise_pd *S, const hg_params *p, hg_error *err)
{
  int w = S->T->pairs.w, h = S->T->pairs.h, P = S->T->P, rc = HG_OK;
  long J = hg_params_given(p, "filters") ? hg_params_int(p, "filters") : 2;
  S->s = hg_params_given(p, "filter_size") ? (int)hg_params_int(p, "filter_size") : 3;
  if (S->s % 2 == 0)
    return hg_fail(err, HG_ERR_ARG, "problem 'denoise-tv-pd': filter_size=%d must be odd", S->s);
  S->nK = (int)J;
  S->taps = S->s * S->s;
  S->rk = P;
  size_t PT = (size_t)P * S->taps;
  S->K = calloc((size_t)S->nK, sizeof *S->K);
  S->tap = malloc(PT * sizeof *S->tap);
  S->col = malloc(PT * sizeof *S->col);
  S->key = malloc((size_t)S->nK * S->taps * sizeof *S->key);
  if (!S->K || !S->tap || !S->col || !S->key)
    return hg_fail(err, HG_ERR_NOMEM, "problem 'denoise-tv-pd': out of memory for %ld filters",
                   J);
  for (int j = 0; j <= S->nK && !rc; j++) /* one pattern: the same taps each time */
    rc = hg_conv_operator(w, h, S->s, j < S->nK ? &S->K[j] : &S->B, S->tap, err);
  for (size_t q = 0; q < PT && !rc; q++)
    S->col[q] = S->B->colind[S->tap[q]];
  return rc;
}

static double charb_hess_lip(double s, double gamma);

static int denoise_pd_create(const hg_params *p, void **self, int *n_w, int *n_theta,
                             hg_error *err)
{
  denoise_pd *S = calloc(1, sizeof *S);
  int rc;

  *self = NULL;
  if (!S)
    return hg_fail(err, HG_ERR_NOMEM, "denoise-tv-pd: out of memory");
  S->learned = !strcmp(hg_params_str(p, "operator"), "filters");
  if (!S->learned && (hg_params_given(p, "filters") || hg_params_given(p, "filter_size"))) {
    free(S);
    return hg_fail(err, HG_ERR_ARG, "problem 'denoise-tv-pd': %s= needs operator=filters",
                   hg_params_given(p, "filters") ? "filters" : "filter_size");
  }
  if ((rc = hg_tv_create(p, "denoise-tv-pd", 0, 0, 0, &S->T, n_w, n_theta, err))) {
    free(S);
    return rc;
  }
  S->nu = hg_params_real(p, "huber");
  S->charb = !strcmp(hg_params_str(p, "f"), "charbonnier");
  if (S->charb && hg_params_given(p, "huber")) {
    rc = hg_fail(err, HG_ERR_ARG, "problem 'denoise-tv-pd': huber= needs f=huber");
    goto fail;
  }
  if (!S->charb && (hg_params_given(p, "charbonnier") || hg_params_given(p, "gamma"))) {
    rc = hg_fail(err, HG_ERR_ARG, "problem 'denoise-tv-pd': %s= needs f=charbonnier",
                 hg_params_given(p, "gamma") ? "gamma" : "charbonnier");
    goto fail;
  }
  S->cs = hg_params_given(p, "charbonnier") ? hg_params_real(p, "charbonnier") : 0.05;
  S->gamma = hg_params_given(p, "gamma") ? hg_params_real(p, "gamma") : 1;
  if (S->charb)
    S->L_hess_F = charb_hess_lip(S->cs, S->gamma);
  if (S->learned) {
    if ((rc = make_filters(S, p, err)))
      goto fail;
  } else {
    S->nK = 1;
    S->rk = 2 * S->T->P;
    S->K = malloc(sizeof *S->K);
    if (!S->K) {
      rc = hg_fail(err, HG_ERR_NOMEM, "denoise-tv-pd: out of memory");
      goto fail;
    }
    S->K[0] = S->T->D;
    S->norm_K2 = diff_norm2(S->T->pairs.w, S->T->pairs.h);
  }
  S->R = S->nK * S->rk;
  *n_theta = S->m = 1 + (S->learned ? S->nK * S->taps : 0);
  S->z = malloc((size_t)S->R * sizeof *S->z);
  S->c = malloc((size_t)S->R * sizeof *S->c);
  S->zb = malloc((size_t)S->R * sizeof *S->zb);
  S->wts = malloc((size_t)S->R * sizeof *S->wts);
  S->terms = malloc((size_t)S->nK * sizeof *S->terms);
  S->theta0 = calloc((size_t)*n_theta, sizeof *S->theta0);
  if (!S->z || !S->c || !S->zb || !S->wts || !S->terms || !S->theta0) {
    rc = hg_fail(err, HG_ERR_NOMEM, "denoise-tv-pd: out of memory for %d rows of K", S->R);
    goto fail;
  }
  make_theta0(S);
  if (S->learned) { /* sum_t ||B_t||^2 <= sum_t ||B_t||_1 ||B_t||_inf, B_t the unit tap t */
    double *unit = calloc((size_t)S->taps, sizeof *unit), n1, ninf;
    if (!unit) {
      rc = hg_fail(err, HG_ERR_NOMEM, "denoise-tv-pd: out of memory");
      goto fail;
    }
    for (int t = 0; t < S->taps; t++) {
      unit[t] = 1;
      hg_conv_set(S->B, S->taps, S->tap, unit);
      hg_csr_norm1_inf(S->B, S->z, &n1, &ninf);
      S->tap_norm2 += n1 * ninf;
      unit[t] = 0;
    }
    free(unit);
  }
  if (!hg_params_given(p, "step")) /* hg_tv_create's default is smoothed TV's 1/L */
    S->T->eta = 1 / bound_L(S, S->theta0);
  *self = S;
  return HG_OK;

fail:
  denoise_pd_destroy(S);
  return rc;
}

/* psi(z) = clip(z/nu, -1, 1) = H'(z)/lam. */
static double psi(double z, double nu)
{
  return fmax(-1, fmin(1, z / nu));
}

/* ---- f=charbonnier: F(z) = sqrt(z^2 + s^2) - s + gamma z^2/2, K = lam K0(c) ---------- */

static double charb_F(const denoise_pd *S, double z)
{
  double s = S->cs;
  return hypot(z, s) - s + 0.5 * S->gamma * z * z;
}

static double charb_F1(const denoise_pd *S, double z)
{
  return z / hypot(z, S->cs) + S->gamma * z;
}

static double charb_F2(const denoise_pd *S, double z)
{
  double r = hypot(z, S->cs);
  return S->cs * S->cs / (r * r * r) + S->gamma;
}

/* psi(z) = F'(z) + z F''(z) = d/dlog lam [F'(lam z0)] / lam at z = lam z0. */
static double charb_psi(const denoise_pd *S, double z)
{
  return charb_F1(S, z) + z * charb_F2(S, z);
}

/* sup |F'''| = 48/(25 sqrt 5)/s^2 (at |z| = s/2), the Lipschitz constant of F''. */
static double charb_F2_lip(const denoise_pd *S)
{
  return 48 / (25 * sqrt(5.0)) / (S->cs * S->cs);
}

/* rho(g)/s... the Lipschitz constant of (F*)''(y) = 1/F''(p), p = (F')^-1(y): its derivative
 * is -F'''(p)/F''(p)^3, and with t = z/s, g = gamma s,
 *     |F'''|/F''^3 = s 3t (1+t^2)^(-5/2) / ((1+t^2)^(-3/2) + g)^3,
 * so L = s sup_t of the ratio: a smooth function of one variable, 0 at t = 0 and -> 0 as
 * t -> inf, maximized by a scan of log t over [-12, 12 + log(1 + g^(-1/3))] in steps of 1e-3
 * refined by golden section around the best point; 1e-6 relative margin added. */
static double charb_ratio(double t, double g)
{
  double a = 1 + t * t, d = pow(a, -1.5) + g;
  return 3 * t * pow(a, -2.5) / (d * d * d);
}

static double charb_hess_lip(double s, double gamma)
{
  double g = gamma * s, lo = -12, hi = 12 + log(1 + pow(g, -1.0 / 3)), h = 1e-3;
  double best = 0, ub = lo;
  for (double u = lo; u <= hi; u += h) {
    double r = charb_ratio(exp(u), g);
    if (r > best) {
      best = r;
      ub = u;
    }
  }
  double a = ub - h, b = ub + h, phi = (sqrt(5.0) - 1) / 2;
  for (int i = 0; i < 100; i++) {
    double c = b - phi * (b - a), d = a + phi * (b - a);
    if (charb_ratio(exp(c), g) > charb_ratio(exp(d), g))
      b = d;
    else
      a = c;
  }
  best = fmax(best, charb_ratio(exp(0.5 * (a + b)), g));
  return s * best * (1 + 1e-6);
}

/* z = prox_{F/sigma}(v/sigma): the root of z/sqrt(z^2 + s^2) + (gamma + sigma) z = v, by
 * Newton from |z0| = |v|/(gamma + sigma + 1/s) (below the root); the left side is concave
 * and increasing in |z|, so Newton's iterates increase monotonically to the root. */
static double charb_prox_inner(const denoise_pd *S, double sigma, double v)
{
  double c = S->gamma + sigma, s = S->cs, a = fabs(v), z = a / (c + 1 / s);
  for (int i = 0; i < 100 && a > 0; i++) {
    double r = hypot(z, s), g = z / r + c * z - a;
    if (g >= 0) /* at the root up to rounding */
      break;
    double dz = g / (s * s / (r * r * r) + c);
    z -= dz;
    if (-dz <= 4e-16 * z)
      break;
  }
  return copysign(z, v);
}

/* z (R) = lam K0 u for one image. */
static void charb_K(denoise_pd *S, double lam, const double *u, double *z)
{
  apply_K(S, u, z);
  for (int j = 0; j < S->R; j++)
    z[j] *= lam;
}

/* h(u_i) = 1/2 ||u - f_i||^2 + sum_j F((lam K0 u)_j). */
static double charb_value(void *ctx, int i, const double *u, const double *theta)
{
  denoise_pd *S = ctx;
  hg_tv *T = S->T;
  double data = 0, reg = 0;
  const double *f = T->pairs.noisy + (size_t)i * T->P;
  for (int j = 0; j < T->P; j++)
    data += (u[j] - f[j]) * (u[j] - f[j]);
  update_K(S, theta);
  charb_K(S, exp(theta[0]), u, S->z);
  for (int j = 0; j < S->R; j++)
    reg += charb_F(S, S->z[j]);
  return 0.5 * data + reg;
}

/* Factor the Hessian I + sum_j K0_j^T diag(lam^2 F''(lam K0 u)) K0_j. */
static int charb_factor(void *ctx, int i, const double *u, const double *theta, hg_error *err)
{
  denoise_pd *S = ctx;
  double lam = exp(theta[0]);
  update_K(S, theta);
  charb_K(S, lam, u, S->z);
  for (int j = 0; j < S->R; j++)
    S->wts[j] = lam * lam * charb_F2(S, S->z[j]);
  for (int j = 0; j < S->nK; j++)
    S->terms[j] = (hg_hess_term){S->K[j], S->wts + (size_t)j * S->rk};
  return hg_image_chol_factor(&S->T->chol, 1, S->nK, S->terms, err);
}

/* out = grad h(u_i) for image i (S->z scratch): Huber u - f_i + lam K^T psi(K u),
 * Charbonnier u - f_i + lam K0^T F'(lam K0 u). */
static void lower_grad(void *ctx, int i, const double *u, const double *theta, double *out)
{
  denoise_pd *S = ctx;
  hg_tv *T = S->T;
  double lam = exp(theta[0]);
  const double *f = T->pairs.noisy + (size_t)i * T->P;
  update_K(S, theta);
  charb_K(S, k_scale(S, theta), u, S->z);
  for (int j = 0; j < S->R; j++)
    S->z[j] = S->charb ? charb_F1(S, S->z[j]) : psi(S->z[j], S->nu);
  apply_Kt(S, S->z, out);
  for (int j = 0; j < T->P; j++)
    out[j] = u[j] - f[j] + lam * out[j];
}

/* h(u_i) = 1/2 ||u - f_i||^2 + sum_j H((K u)_j) (S->z scratch). */
static double huber_value(void *ctx, int i, const double *u, const double *theta)
{
  denoise_pd *S = ctx;
  hg_tv *T = S->T;
  double lam = exp(theta[0]), nu = S->nu, data = 0, reg = 0;
  const double *f = T->pairs.noisy + (size_t)i * T->P;
  for (int j = 0; j < T->P; j++)
    data += (u[j] - f[j]) * (u[j] - f[j]);
  update_K(S, theta);
  apply_K(S, u, S->z);
  for (int j = 0; j < S->R; j++) {
    double z = fabs(S->z[j]);
    reg += z <= nu ? z * z / (2 * nu) : z - nu / 2;
  }
  return 0.5 * data + lam * reg;
}

/* Factor the generalized Hessian H(u) = I + sum_j K_j^T diag(c_j) K_j,
 * c = (lam/nu) 1{|K u| < nu} (hg_image_chol_factor; S->z, S->wts scratch). */
static int huber_factor(void *ctx, int i, const double *u, const double *theta, hg_error *err)
{
  denoise_pd *S = ctx;
  double w = exp(theta[0]) / S->nu;
  update_K(S, theta);
  apply_K(S, u, S->z);
  for (int j = 0; j < S->R; j++)
    S->wts[j] = fabs(S->z[j]) < S->nu ? w : 0;
  for (int j = 0; j < S->nK; j++)
    S->terms[j] = (hg_hess_term){S->K[j], S->wts + (size_t)j * S->rk};
  return hg_image_chol_factor(&S->T->chol, 1, S->nK, S->terms, err);
}

/* Phi(u)_i = u_i - eta grad h(u_i). */
static void denoise_pd_phi(void *self, const double *w, const double *theta, double *out)
{
  denoise_pd *S = self;
  hg_tv *T = S->T;
  for (int i = 0; i < T->N; i++) {
    size_t o = (size_t)i * T->P;
    lower_grad(S, i, w + o, theta, out + o);
    for (int j = 0; j < T->P; j++)
      out[o + j] = w[o + j] - T->eta * out[o + j];
  }
}

/* d_w Phi v = v - eta (v + (lam/nu) K^T (1{|K u| < nu} .* K v)) per image; symmetric. */
static void denoise_pd_jvp_w(void *self, const double *w, const double *theta, const double *v,
                             double *out)
{
  denoise_pd *S = self;
  hg_tv *T = S->T;
  double lam = exp(theta[0]), c = S->charb ? lam * lam : lam / S->nu;
  update_K(S, theta);
  for (int i = 0; i < T->N; i++) {
    size_t o = (size_t)i * T->P;
    apply_K(S, w + o, S->z);
    apply_K(S, v + o, S->c);
    for (int j = 0; j < S->R; j++) /* Charbonnier: lam^2 F''(lam K0 u) .* K0 v */
      S->c[j] = S->charb ? c * charb_F2(S, lam * S->z[j]) * S->c[j]
                         : fabs(S->z[j]) < S->nu ? c * S->c[j] : 0;
    apply_Kt(S, S->c, out + o);
    for (int j = 0; j < T->P; j++)
      out[o + j] = v[o + j] - T->eta * (v[o + j] + out[o + j]);
  }
}

/*
 * d_theta Phi^T v = -eta sum_i d_theta <grad h(u_i), v_i>, with <grad h, v> containing
 * lam <psi(K u), K v>:
 *   in theta_0 (log lam): lam <psi(K u_i), K v_i>;
 *   in the coefficients c (a learned K): lam grad_c [<K(c) v, psi(K u)> + <K(c) u, psi'(K u) .* K v>],
 *   psi' = 1{|z| < nu}/nu (coef_grad twice).
 */
static void charb_vjp_theta(denoise_pd *S, const double *w, const double *theta,
                            const double *v, double *out);

static void denoise_pd_vjp_theta(void *self, const double *w, const double *theta,
                                 const double *v, double *out)
{
  denoise_pd *S = self;
  hg_tv *T = S->T;
  double lam = exp(theta[0]), s = 0, scale = -T->eta * lam;
  if (S->charb) {
    charb_vjp_theta(S, w, theta, v, out);
    return;
  }
  update_K(S, theta);
  hg_zero(S->m, out);
  for (int i = 0; i < T->N; i++) {
    size_t o = (size_t)i * T->P;
    apply_K(S, w + o, S->z);
    apply_K(S, v + o, S->c);
    for (int j = 0; j < S->R; j++) {
      double z = S->z[j];
      S->z[j] = psi(z, S->nu);
      s += S->z[j] * S->c[j];
      S->c[j] = fabs(z) < S->nu ? S->c[j] / S->nu : 0;
    }
    if (S->learned) {
      coef_grad(S, v + o, S->z, scale, out);
      coef_grad(S, w + o, S->c, scale, out);
    }
  }
  out[0] = scale * s;
}

/*
 * Charbonnier, K = lam K0(c), z = K u: d_theta Phi^T v = -eta sum_i d_theta <F'(K u_i), K v_i>:
 *   in theta_0 (log lam): <psi(z), K v>, psi(z) = F'(z) + z F''(z);
 *   in the coefficients:  lam [<B_t v, F'(z)_j> + <B_t u, (F''(z) .* K v)_j>] (coef_grad twice).
 */
static void charb_vjp_theta(denoise_pd *S, const double *w, const double *theta,
                            const double *v, double *out)
{
  hg_tv *T = S->T;
  double lam = exp(theta[0]), s = 0, eta = T->eta;
  update_K(S, theta);
  hg_zero(S->m, out);
  for (int i = 0; i < T->N; i++) {
    size_t o = (size_t)i * T->P;
    charb_K(S, lam, w + o, S->z);
    charb_K(S, lam, v + o, S->c);
    for (int j = 0; j < S->R; j++) {
      double z = S->z[j];
      s += charb_psi(S, z) * S->c[j];
      S->z[j] = charb_F1(S, z);
      S->c[j] *= charb_F2(S, z);
    }
    if (S->learned) {
      coef_grad(S, v + o, S->z, -eta * lam, out);
      coef_grad(S, w + o, S->c, -eta * lam, out);
    }
  }
  out[0] = -eta * s;
}

/* Charbonnier: d_theta Phi a = -eta [a_0 lam K0^T psi(z) + lam B^T F'(z) + lam^2 K0^T (F''(z)
 * .* B u)] per image, z = lam K0 u, B the filter bank of a's coefficients (S->B, S->zb). */
static void charb_jvp_theta(denoise_pd *S, const double *w, const double *theta,
                            const double *a, double *out)
{
  hg_tv *T = S->T;
  double lam = exp(theta[0]), s = -T->eta * lam;
  update_K(S, theta);
  for (int i = 0; i < T->N; i++) {
    size_t o = (size_t)i * T->P;
    double *oi = out + o;
    charb_K(S, lam, w + o, S->z);
    for (int j = 0; j < S->R; j++)
      S->c[j] = charb_psi(S, S->z[j]);
    apply_Kt(S, S->c, oi);
    for (int j = 0; j < T->P; j++)
      oi[j] *= s * a[0];
    if (!S->learned)
      continue;
    for (int j = 0; j < S->R; j++)
      S->c[j] = charb_F1(S, S->z[j]);
    for (int j = 0; j < S->nK; j++) { /* oi += s B_j^T F'_j, zb_j = B_j u */
      hg_conv_set(S->B, S->taps, S->tap, a + 1 + (size_t)j * S->taps);
      hg_matrix_gemv(S->B, 1, s, S->c + (size_t)j * S->rk, 1, oi);
      hg_matrix_gemv(S->B, 0, 1, w + o, 0, S->zb + (size_t)j * S->rk);
    }
    for (int j = 0; j < S->R; j++)
      S->zb[j] *= lam * charb_F2(S, S->z[j]);
    apply_Kt(S, S->zb, S->c);
    hg_axpy(T->P, s, S->c, oi);
  }
}

/* d_theta Phi a = -eta lam [a_0 K^T psi(K u) + B^T psi(K u) + K^T (psi'(K u) .* B u)] per
 * image, B = sum_j a_{c_j} dK/dc_j the filter bank of a's coefficients (built block by block in
 * S->B: S->zb holds B u). */
static void denoise_pd_jvp_theta(void *self, const double *w, const double *theta,
                                 const double *a, double *out)
{
  denoise_pd *S = self;
  hg_tv *T = S->T;
  double s = -T->eta * exp(theta[0]);
  if (S->charb) {
    charb_jvp_theta(S, w, theta, a, out);
    return;
  }
  update_K(S, theta);
  for (int i = 0; i < T->N; i++) {
    size_t o = (size_t)i * T->P;
    double *oi = out + o;
    apply_K(S, w + o, S->z);
    for (int j = 0; j < S->R; j++)
      S->z[j] = psi(S->z[j], S->nu); /* keeps K u's activity in S->c below */
    apply_Kt(S, S->z, oi);
    for (int j = 0; j < T->P; j++)
      oi[j] *= s * a[0];
    if (!S->learned)
      continue;
    for (int j = 0; j < S->nK; j++) { /* oi += s B_j^T psi_j, zb_j = B_j u */
      hg_conv_set(S->B, S->taps, S->tap, a + 1 + (size_t)j * S->taps);
      hg_matrix_gemv(S->B, 1, s, S->z + (size_t)j * S->rk, 1, oi);
      hg_matrix_gemv(S->B, 0, 1, w + o, 0, S->zb + (size_t)j * S->rk);
    }
    for (int j = 0; j < S->R; j++) /* psi' .* B u: active where |psi| < 1 */
      S->zb[j] = fabs(S->z[j]) < 1 ? S->zb[j] / S->nu : 0;
    apply_Kt(S, S->zb, S->c);
    hg_axpy(T->P, s, S->c, oi);
  }
}

/* E = (1/N) sum_i 1/2 ||u_i - u-dagger_i||^2 (imaging.c); grad_theta E = 0. */
static double denoise_pd_upper(void *self, const double *w, const double *theta, double *gw,
                               double *gtheta)
{
  denoise_pd *S = self;
  if (gtheta)
    hg_zero(S->m, gtheta);
  return hg_pairs_error(&S->T->pairs, w, gw);
}

/*
 * Exact (DESIGN §3): u* by semismooth Newton with the generalized Hessian and
 * a_i = H(u*_i)^{-1} (u*_i - u-dagger_i)/(N eta) (hg_image_exact, shared with the other imaging
 * problems), then grad f = d_theta Phi(w*)^T a (denoise_pd_vjp_theta).
 */
static int denoise_pd_exact(void *self, const double *theta, double *wstar, double *grad,
                            hg_error *err)
{
  static const hg_image_lower huber = {huber_value, lower_grad, huber_factor};
  static const hg_image_lower charb = {charb_value, lower_grad, charb_factor};
  denoise_pd *S = self;
  int rc = hg_image_exact(&S->T->chol, &S->T->pairs, S->T->eta, S->charb ? &charb : &huber, S,
                          theta, wstar, S->T->a, S->T->work, err);
  if (!rc)
    denoise_pd_vjp_theta(S, wstar, theta, S->T->a, grad);
  return rc;
}

/*
 * Constants at theta (DESIGN §7), lam = e^theta_0:
 *   mu = 1 (a constant image is in the null space of D; for a learned K, mu >= 1 and L below
 *        are bounds), L = 1 + lam ||K||^2/nu (a bound);
 *   nu1 = NAN: d_w Phi = I - eta H(u) jumps by eta (lam/nu) K^T e_j e_j^T K when (K u)_j
 *         crosses +-nu, however close u and u' are, so no Lipschitz constant exists;
 *   nu2 = eta lam ||K||^2/nu for K = D: psi is 1/nu-Lipschitz, so
 *         ||d_theta Phi(u) - d_theta Phi(u')|| = eta lam ||K^T (psi(K u) - psi(K u'))||
 *         <= eta lam ||K||^2/nu ||u - u'|| (global); NAN for a learned K (psi' jumps);
 *   mu1 = 1/N, mu2 = 0.
 * f=charbonnier (K = lam K0, z = K u, ||K||^2 = lam^2 ||K0||^2 a bound for filters):
 *   L = 1 + ||K||^2 (1/s + gamma), F'' <= 1/s + gamma at z = 0;
 *   nu1 = eta ||K||^3 48/(25 sqrt 5 s^2): d_w Phi = (1 - eta) I - eta K^T diag(F''(K u)) K and
 *         |F'''| <= 48/(25 sqrt 5)/s^2, so ||d_w Phi(u) - d_w Phi(u')|| <= eta ||K||^2
 *         sup|F'''| ||K (u - u')||_inf;
 *   nu2 = eta ||K||^2 (2/s + 2 gamma) for K = lam D: d_theta Phi(u) = -eta K^T psi(K u),
 *         psi = F' + z F'', |psi'| = |2 F'' + z F'''| <= 2 F''(0) (z F''' <= 0, and the
 *         negative part is above -0.04/s); NAN for a learned K (d_c Phi holds F''(K u) B u, which
 *         grows with u: no global constant).
 */
static int denoise_pd_constants(void *self, const double *theta, hg_constants *c,
                                hg_error *err)
{
  denoise_pd *S = self;
  double eta = S->T->eta, L = bound_L(S, theta);
  hg_constants_unknown(c);
  c->step = eta;
  c->mu = 1;
  c->L = L;
  c->kappa = L;
  c->q = fmax(fabs(1 - eta), fabs(1 - eta * L));
  if (S->charb) { /* ||K||^2 = lam^2 ||K0||^2 */
    double K2 = exp(2 * theta[0]) * S->norm_K2;
    c->nu1 = eta * K2 * sqrt(K2) * charb_F2_lip(S);
    if (!S->learned) /* |psi'| = |2 F'' + z F'''| <= 2/s + 2 gamma */
      c->nu2 = eta * K2 * 2 * charb_F2max(S);
  } else if (!S->learned) {
    c->nu2 = eta * exp(theta[0]) * S->norm_K2 / S->nu;
  }
  c->mu1 = 1.0 / S->T->N;
  c->mu2 = 0;
  c->exact_mu_L = 0;
  return HG_OK;
}

static void denoise_pd_describe(const void *self, char *buf, size_t len)
{
  const denoise_pd *S = self;
  char base[256], op[96];
  hg_tv_describe(S->T, base, sizeof base);
  if (S->learned)
    snprintf(op, sizeof op, "K: %d learned %d x %d filters, ||K||^2 <= %.6g at theta0", S->nK,
             S->s, S->s, S->norm_K2);
  else
    snprintf(op, sizeof op, "K = D, ||D||^2 = %.6g", S->norm_K2);
  char fdesc[96];
  if (S->charb)
    snprintf(fdesc, sizeof fdesc, "Charbonnier s = %g + gamma/2 z^2, gamma = %g, K = lam K0",
             S->cs, S->gamma);
  else
    snprintf(fdesc, sizeof fdesc, "Huber nu = %g", S->nu);
  snprintf(buf, len, "%s; %s, %s; saddle: n_y = %d dual variables", base, fdesc, op,
           S->T->N * S->R);
}

/* The training pairs (hgbench.h images op: P:images() and the image plots). */
static void denoise_pd_images(const void *self, hg_image_set *set)
{
  const denoise_pd *S = self;
  hg_tv_images(S->T, set);
}

/* ---- the saddle structure (hgbench.h hg_saddle_ops), on the stacked u (N P) and y (N R) */

/* n_y = N R: one dual variable per row of K. */
static int pd_n_dual(const void *self)
{
  const denoise_pd *S = self;
  return S->T->N * S->R;
}

/* mu_G = 1 (G = 1/2 ||u - f||^2, L_hess_G = 0), ||K|| (exact for D, else the bound);
 * Huber: mu_F = nu/lam, and the saddle bound's L_hess_F and norm_dK unknown (F* has a kink,
 * and depends on theta); Charbonnier: mu_F = 1/L_{F'} = s/(1 + gamma s),
 * L_hess_F = charb_hess_lip, and K = lam K0(c) carries all of theta:
 * grad_theta <K a, b> = (<K a, b>, lam <B_t a, b_j>), so
 * norm_dK^2 = ||K||^2 + lam^2 sum_t ||B_t||^2 (docs/theory.md). */
static void pd_constants(void *self, const double *theta, hg_saddle_constants *c)
{
  denoise_pd *S = self;
  double lam = exp(theta[0]);
  update_K(S, theta);
  c->mu_G = 1;
  c->L_hess_G = 0;
  if (!S->charb) {
    c->mu_F = S->nu / lam;
    c->norm_K = sqrt(S->norm_K2);
    return;
  }
  c->mu_F = S->cs / (1 + S->gamma * S->cs);
  c->norm_K = lam * sqrt(S->norm_K2);
  c->L_hess_F = S->L_hess_F;
  c->norm_dK = sqrt(lam * lam * (S->norm_K2 + S->tap_norm2));
}

/* out_i = K u_i. */
static void pd_K(void *self, const double *theta, const double *w, double *out)
{
  denoise_pd *S = self;
  update_K(S, theta);
  for (int i = 0; i < S->T->N; i++)
    charb_K(S, k_scale(S, theta), w + (size_t)i * S->T->P, out + (size_t)i * S->R);
}

/* out_i = K^T y_i. */
static void pd_Kt(void *self, const double *theta, const double *y, double *out)
{
  denoise_pd *S = self;
  double k = k_scale(S, theta);
  update_K(S, theta);
  for (int i = 0; i < S->T->N; i++)
    apply_Kt(S, y + (size_t)i * S->R, out + (size_t)i * S->T->P);
  if (k != 1)
    for (size_t j = 0, n = (size_t)S->T->N * S->T->P; j < n; j++)
      out[j] *= k;
}

/* grad_theta <K(theta) x, y> = sum_i grad_c <K x_i, y_i> (operator=filters; with K = D, 0:
 * nothing to add); Charbonnier, K = lam K0(c): also <K x, y> in log lam, and lam grad_c. */
static int pd_K_vjp_theta(void *self, const double *theta, const double *x, const double *y,
                          double *out)
{
  denoise_pd *S = self;
  double lam = k_scale(S, theta), s = 0;
  if (!S->learned && !S->charb)
    return 0;
  update_K(S, theta);
  hg_zero(S->m, out);
  for (int i = 0; i < S->T->N; i++) {
    const double *xi = x + (size_t)i * S->T->P, *yi = y + (size_t)i * S->R;
    if (S->learned)
      coef_grad(S, xi, yi, lam, out);
    if (S->charb) {
      apply_K(S, xi, S->z);
      s += lam * hg_dot(S->R, S->z, yi);
    }
  }
  if (S->charb)
    out[0] = s;
  return 1;
}

/* prox_{tau G}(v) = (v + tau f)/(1 + tau). */
static void pd_prox_G(void *self, const double *theta, double tau, const double *v, double *out)
{
  denoise_pd *S = self;
  const double *f = S->T->pairs.noisy;
  for (size_t j = 0, n = (size_t)S->T->N * S->T->P; j < n; j++)
    out[j] = (v[j] + tau * f[j]) / (1 + tau);
}

/* prox_{sigma F*}(v)_j = clip(r v_j, -lam, lam), r = lam/(lam + sigma nu) = 1/(1 + sigma mu_F). */
static void pd_prox_F(void *self, const double *theta, double sigma, const double *v,
                      double *out)
{
  denoise_pd *S = self;
  if (S->charb) { /* Moreau: prox_{sigma F*}(v) = v - sigma prox_{F/sigma}(v/sigma) */
    for (int j = 0, d = pd_n_dual(S); j < d; j++)
      out[j] = v[j] - sigma * charb_prox_inner(S, sigma, v[j]);
    return;
  }
  double lam = exp(theta[0]), r = lam / (lam + sigma * S->nu);
  for (int j = 0, d = pd_n_dual(S); j < d; j++)
    out[j] = fmax(-lam, fmin(lam, r * v[j]));
}

/* d prox_{tau G} d = d/(1 + tau). */
static void pd_prox_G_jvp(void *self, const double *theta, double tau, const double *v,
                          const double *d, double *out)
{
  denoise_pd *S = self;
  for (size_t j = 0, n = (size_t)S->T->N * S->T->P; j < n; j++)
    out[j] = d[j] / (1 + tau);
}

/* d prox_{sigma F*} d = r d_j where |r v_j| < lam, 0 where clipped (at |r v_j| = lam: 0). */
static void pd_prox_F_jvp(void *self, const double *theta, double sigma, const double *v,
                          const double *d, double *out)
{
  denoise_pd *S = self;
  double lam = exp(theta[0]), r = lam / (lam + sigma * S->nu);
  if (S->charb) { /* 1 - sigma dz/dv = F''(z)/(F''(z) + sigma), z = prox_{F/sigma}(v/sigma) */
    for (int j = 0, n_y = pd_n_dual(S); j < n_y; j++) {
      double f2 = charb_F2(S, charb_prox_inner(S, sigma, v[j]));
      out[j] = f2 / (f2 + sigma) * d[j];
    }
    return;
  }
  for (int j = 0, n_y = pd_n_dual(S); j < n_y; j++)
    out[j] = fabs(r * v[j]) < lam ? r * d[j] : 0;
}

/* d_theta_1 prox_{sigma F*}(v)_j = lam d/dlam: v_j sigma nu lam/(lam + sigma nu)^2 where not
 * clipped, lam sign(v_j) where clipped (the same branch choice as pd_prox_F_jvp);
 * out = sum_j d_j (that). */
static void pd_prox_F_vjp_theta(void *self, const double *theta, double sigma, const double *v,
                                const double *d, double *out)
{
  denoise_pd *S = self;
  double lam = exp(theta[0]), sn = sigma * S->nu, r = lam / (lam + sn);
  double inside = sn * lam / ((lam + sn) * (lam + sn)), s = 0;
  if (S->charb) { /* Charbonnier's F* does not depend on theta */
    hg_zero(S->m, out);
    return;
  }
  for (int j = 0, n_y = pd_n_dual(S); j < n_y; j++)
    s += d[j] * (fabs(r * v[j]) < lam ? inside * v[j] : copysign(lam, v[j]));
  hg_zero(S->m, out); /* F* does not depend on K */
  out[0] = s;
}

static const hg_saddle_ops denoise_pd_saddle = {
  .n_dual = pd_n_dual,                     /* N R */
  .constants = pd_constants,               /* mu_G = 1, mu_F = nu/lam, ||K|| */
  .K = pd_K,                               /* K per image */
  .Kt = pd_Kt,                             /* K^T per image */
  .prox_G = pd_prox_G,                     /* (v + tau f)/(1 + tau) */
  .prox_F = pd_prox_F,                     /* clip(v/(1 + sigma nu/lam), +-lam) */
  .prox_G_jvp = pd_prox_G_jvp,             /* 1/(1 + tau) */
  .prox_F_jvp = pd_prox_F_jvp,             /* r or 0 */
  .prox_G_vjp_theta = NULL,                /* G does not depend on theta */
  .prox_F_vjp_theta = pd_prox_F_vjp_theta, /* through lam */
  .K_vjp_theta = pd_K_vjp_theta,           /* a learned filter bank */
};

/* The constants this problem cannot give (DESIGN §7: they come out NaN). */
static const hg_unknown_constant pd_unknown[] = {
  {"nu1", "f=huber: d_w Phi contains the Huber gradient's derivative, which jumps at the kinks "
          "|Du| = huber: no Lipschitz constant in w (and F* has a kink: no Lipschitz Hessian "
          "for piggyback's saddle bound)"},
  {"nu2", "operator=filters: d_theta Phi holds psi'(Ku) (f=huber: it jumps with u; "
          "f=charbonnier: F''(Ku) B u grows with u)"},
  {"L_Phi", "operator=filters: ||d_theta Phi|| + nu2 D needs nu2"},
  {NULL, NULL},
};

const hg_problem_ops hg_problem_denoise_tv_pd = {
  .version = HG_OPS_VERSION,
  .name = "denoise-tv-pd",
  .summary = "Huber- or Charbonnier-TV denoising in saddle-point form (K = D or a learned filter "
             "bank; PDHG, piggyback)",
  .params = denoise_pd_params,
  .create = denoise_pd_create,
  .destroy = denoise_pd_destroy,
  .theta0 = denoise_pd_theta0,
  .phi = denoise_pd_phi,             /* GD on the smoothed primal */
  .jvp_w = denoise_pd_jvp_w,         /* generalized Hessian */
  .vjp_w = denoise_pd_jvp_w,         /* d_w Phi is symmetric */
  .vjp_theta = denoise_pd_vjp_theta, /* in log lam and the filter coefficients */
  .upper = denoise_pd_upper,
  .jvp_theta = denoise_pd_jvp_theta,
  .exact = denoise_pd_exact,         /* semismooth Newton with CHOLMOD */
  .constants = denoise_pd_constants, /* nu1 unknown (NAN) */
  .describe = denoise_pd_describe,
  .symmetric = 1,
  .project = NULL,
  .images = denoise_pd_images,       /* the training pairs */
  .saddle = &denoise_pd_saddle,      /* for piggyback */
  .revision = 1,                       /* bump when this problem's numbers change */
  .display = "Huber-TV denoising (primal-dual)", /* legends and tables */
  .unknown = pd_unknown,                 /* constants that come out NaN, and why */
};

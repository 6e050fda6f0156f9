/*
 * denoise_tv_pd.c -- learned Huber-TV denoising in saddle-point form (DESIGN §3
 * "denoise-tv-pd"), for primal-dual methods (piggyback).  Per training pair (u-dagger_i, f_i),
 * with K = D the stacked forward differences (imaging.h), lam = e^{theta_1} and nu = huber=:
 *
 *     min_u max_y  <K u, y> + 1/2 ||u - f||^2 - F*(y),
 *     F*(y) = sum_j [ indicator{|y_j| <= lam} + nu/(2 lam) y_j^2 ],
 *
 * one scalar y_j per difference (anisotropic, as denoise-tv smooths each difference on its
 * own).  Its primal is the smoothed (Huber) problem
 *
 *     h(u, theta) = 1/2 ||u - f||^2 + sum_j H((D u)_j),   H = (F*)*:
 *     H(z) = lam z^2/(2 nu) for |z| <= nu,  lam |z| - lam nu/2 otherwise,
 *     grad h(u) = u - f + lam D^T psi(D u),   psi(z) = clip(z/nu, -1, 1),
 *     Phi(u, theta)_i = u_i - eta grad h(u_i),   E = (1/N) sum_i 1/2 ||u_i - u-dagger_i||^2,
 *
 * and y* = lam psi(D u*).  h is C^1 with a Lipschitz gradient and piecewise quadratic; its
 * generalized Hessian (taken with the strict inequality at a kink) is
 *     H(u) = I + (lam/nu) D^T diag(1{|D u| < nu}) D,
 * so mu = 1, L = 1 + lam ||D||^2/nu.  d_w Phi jumps across a kink, so it is not Lipschitz in w:
 * nu1 is unknown (NAN) and the bounds of DESIGN §7 that need it stay NAN.
 *
 * The state (pairs, D, step, scratch, CHOLMOD) is problems/tv.c's hg_tv; the exact solve is the
 * imaging problems' one (imaging.c hg_image_exact) with the generalized Hessian as the Hessian:
 * semismooth Newton, which ends in finitely many steps once the active set {|D u| < nu} is the
 * one of u*.
 */
#include "tv.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>

#define LAMBDA0 0.1 /* theta0 = log LAMBDA0 */

typedef struct denoise_pd {
  hg_tv *T;       /* owned: pairs, D, eta, scratch z, c (2P), g, r (P), the exact solve's a
                     (N P) and work (3 P), CHOLMOD */
  double nu;      /* Huber parameter huber= */
  double norm_D2; /* ||D||_2^2, an eigenvalue (below) */
} denoise_pd;

static const hg_param_spec denoise_pd_params[] = {
  HG_PAIRS_PARAMS,
  {"huber", HG_PARAM_REAL, "0.05", DBL_MIN, DBL_MAX, NULL,
   "Huber parameter nu of the smoothed TV (fixed; F* has the term nu/(2 lam) y^2)"},
  {"step", HG_PARAM_REAL, NULL, DBL_MIN, DBL_MAX, NULL, "step eta of Phi (default 1/L at theta0)"},
  {NULL, 0, NULL, 0, 0, NULL, NULL},
};

/* L = 1 + lam ||D||^2/nu at theta: the largest generalized Hessian (every difference active). */
static double bound_L(const denoise_pd *S, const double *theta)
{
  return 1 + exp(theta[0]) * S->norm_D2 / S->nu;
}

static void denoise_pd_destroy(void *self)
{
  denoise_pd *S = self;
  if (!S)
    return;
  hg_tv_destroy(S->T);
  free(S);
}

/* theta0 = log 0.1. */
static void denoise_pd_theta0(const void *self, double *theta)
{
  theta[0] = log(LAMBDA0);
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

static int denoise_pd_create(const hg_params *p, void **self, int *n_w, int *n_theta,
                             hg_error *err)
{
  denoise_pd *S = calloc(1, sizeof *S);
  double theta0[1];
  int rc;

  *self = NULL;
  if (!S)
    return hg_fail(err, HG_ERR_NOMEM, "denoise-tv-pd: out of memory");
  if ((rc = hg_tv_create(p, "denoise-tv-pd", 0, 0, 0, &S->T, n_w, n_theta, err))) {
    free(S);
    return rc;
  }
  S->nu = hg_params_real(p, "huber");
  S->norm_D2 = diff_norm2(S->T->pairs.w, S->T->pairs.h);
  *n_theta = 1; /* theta = (log lam) */
  denoise_pd_theta0(S, theta0);
  if (!hg_params_given(p, "step")) /* hg_tv_create's default is smoothed TV's 1/L */
    S->T->eta = 1 / bound_L(S, theta0);
  *self = S;
  return HG_OK;
}

/* psi(z) = clip(z/nu, -1, 1) = H'(z)/lam. */
static double psi(double z, double nu)
{
  return fmax(-1, fmin(1, z / nu));
}

/* out = grad h(u_i) = u - f_i + lam D^T psi(D u) for image i (T->z scratch). */
static void huber_grad(void *ctx, int i, const double *u, const double *theta, double *out)
{
  denoise_pd *S = ctx;
  hg_tv *T = S->T;
  double lam = exp(theta[0]);
  const double *f = T->pairs.noisy + (size_t)i * T->P;
  hg_matrix_gemv(T->D, 0, 1, u, 0, T->z);
  for (int j = 0; j < 2 * T->P; j++)
    T->z[j] = psi(T->z[j], S->nu);
  hg_matrix_gemv(T->D, 1, 1, T->z, 0, out);
  for (int j = 0; j < T->P; j++)
    out[j] = u[j] - f[j] + lam * out[j];
}

/* h(u_i) = 1/2 ||u - f_i||^2 + sum_j H((D u)_j) (T->z scratch). */
static double huber_value(void *ctx, int i, const double *u, const double *theta)
{
  denoise_pd *S = ctx;
  hg_tv *T = S->T;
  double lam = exp(theta[0]), nu = S->nu, data = 0, reg = 0;
  const double *f = T->pairs.noisy + (size_t)i * T->P;
  for (int j = 0; j < T->P; j++)
    data += (u[j] - f[j]) * (u[j] - f[j]);
  hg_matrix_gemv(T->D, 0, 1, u, 0, T->z);
  for (int j = 0; j < 2 * T->P; j++) {
    double z = fabs(T->z[j]);
    reg += z <= nu ? z * z / (2 * nu) : z - nu / 2;
  }
  return 0.5 * data + lam * reg;
}

/* Factor the generalized Hessian H(u) = I + D^T diag(c) D, c = (lam/nu) 1{|D u| < nu} (one
 * weight vector of hg_image_chol_factor; T->z, T->c scratch). */
static int huber_factor(void *ctx, int i, const double *u, const double *theta, hg_error *err)
{
  denoise_pd *S = ctx;
  hg_tv *T = S->T;
  double w = exp(theta[0]) / S->nu;
  hg_matrix_gemv(T->D, 0, 1, u, 0, T->z);
  for (int j = 0; j < 2 * T->P; j++)
    T->c[j] = fabs(T->z[j]) < S->nu ? w : 0;
  hg_hess_term term = {T->D, T->c};
  return hg_image_chol_factor(&T->chol, 1, 1, &term, err);
}

/* Phi(u)_i = u_i - eta grad h(u_i). */
static void denoise_pd_phi(void *self, const double *w, const double *theta, double *out)
{
  denoise_pd *S = self;
  hg_tv *T = S->T;
  for (int i = 0; i < T->N; i++) {
    size_t o = (size_t)i * T->P;
    huber_grad(S, i, w + o, theta, out + o);
    for (int j = 0; j < T->P; j++)
      out[o + j] = w[o + j] - T->eta * out[o + j];
  }
}

/* d_w Phi v = v - eta (v + (lam/nu) D^T (1{|D u| < nu} .* D v)) per image; symmetric. */
static void denoise_pd_jvp_w(void *self, const double *w, const double *theta, const double *v,
                             double *out)
{
  denoise_pd *S = self;
  hg_tv *T = S->T;
  double c = exp(theta[0]) / S->nu;
  for (int i = 0; i < T->N; i++) {
    size_t o = (size_t)i * T->P;
    hg_matrix_gemv(T->D, 0, 1, w + o, 0, T->z);
    hg_matrix_gemv(T->D, 0, 1, v + o, 0, T->c);
    for (int j = 0; j < 2 * T->P; j++)
      T->c[j] = fabs(T->z[j]) < S->nu ? c * T->c[j] : 0;
    hg_matrix_gemv(T->D, 1, 1, T->c, 0, out + o);
    for (int j = 0; j < T->P; j++)
      out[o + j] = v[o + j] - T->eta * (v[o + j] + out[o + j]);
  }
}

/* sum_i <d_theta_1 grad h(u_i), v_i> = lam sum_i <psi(D u_i), D v_i>. */
static double theta_dot(denoise_pd *S, const double *w, const double *theta, const double *v)
{
  hg_tv *T = S->T;
  double s = 0;
  for (int i = 0; i < T->N; i++) {
    size_t o = (size_t)i * T->P;
    hg_matrix_gemv(T->D, 0, 1, w + o, 0, T->z);
    hg_matrix_gemv(T->D, 0, 1, v + o, 0, T->c);
    for (int j = 0; j < 2 * T->P; j++)
      s += psi(T->z[j], S->nu) * T->c[j];
  }
  return exp(theta[0]) * s;
}

/* d_theta Phi^T v = -eta lam sum_i <psi(D u_i), D v_i>. */
static void denoise_pd_vjp_theta(void *self, const double *w, const double *theta,
                                 const double *v, double *out)
{
  denoise_pd *S = self;
  out[0] = -S->T->eta * theta_dot(S, w, theta, v);
}

/* d_theta Phi a = -eta a_1 lam D^T psi(D u_i) per image. */
static void denoise_pd_jvp_theta(void *self, const double *w, const double *theta,
                                 const double *a, double *out)
{
  denoise_pd *S = self;
  hg_tv *T = S->T;
  double s = -T->eta * a[0] * exp(theta[0]);
  for (int i = 0; i < T->N; i++) {
    size_t o = (size_t)i * T->P;
    hg_matrix_gemv(T->D, 0, 1, w + o, 0, T->z);
    for (int j = 0; j < 2 * T->P; j++)
      T->z[j] = s * psi(T->z[j], S->nu);
    hg_matrix_gemv(T->D, 1, 1, T->z, 0, out + o);
  }
}

/* E = (1/N) sum_i 1/2 ||u_i - u-dagger_i||^2 (imaging.c); grad_theta E = 0. */
static double denoise_pd_upper(void *self, const double *w, const double *theta, double *gw,
                               double *gtheta)
{
  denoise_pd *S = self;
  if (gtheta)
    gtheta[0] = 0;
  return hg_pairs_error(&S->T->pairs, w, gw);
}

/*
 * Exact (DESIGN §3): u* by semismooth Newton with the generalized Hessian and
 * a_i = H(u*_i)^{-1} (u*_i - u-dagger_i)/(N eta) (hg_image_exact, shared with the other imaging
 * problems), then
 *     grad f = - sum_i (d_theta grad h(u*_i))^T (eta a_i) = d_theta Phi(w*)^T a
 *            = - eta lam sum_i <psi(D u*_i), D a_i>.
 */
static int denoise_pd_exact(void *self, const double *theta, double *wstar, double *grad,
                            hg_error *err)
{
  static const hg_image_lower ops = {huber_value, huber_grad, huber_factor};
  denoise_pd *S = self;
  int rc = hg_image_exact(&S->T->chol, &S->T->pairs, S->T->eta, &ops, S, theta, wstar, S->T->a,
                          S->T->work, err);
  if (!rc)
    denoise_pd_vjp_theta(S, wstar, theta, S->T->a, grad);
  return rc;
}

/*
 * Constants at theta (DESIGN §7), lam = e^theta_1:
 *   mu = 1 (a constant image is in the null space of D), L = 1 + lam ||D||^2/nu (a bound);
 *   nu1 = NAN: d_w Phi = I - eta H(u) jumps by eta (lam/nu) D^T e_j e_j^T D when (D u)_j
 *         crosses +-nu, however close u and u' are, so no Lipschitz constant exists;
 *   nu2 = eta lam ||D||^2/nu: psi is 1/nu-Lipschitz, so ||d_theta Phi(u) - d_theta Phi(u')||
 *         = eta lam ||D^T (psi(D u) - psi(D u'))|| <= eta lam ||D||^2/nu ||u - u'|| (global);
 *   mu1 = 1/N, mu2 = 0.
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
  c->nu2 = eta * exp(theta[0]) * S->norm_D2 / S->nu;
  c->mu1 = 1.0 / S->T->N;
  c->mu2 = 0;
  c->exact_mu_L = 0;
  return HG_OK;
}

static void denoise_pd_describe(const void *self, char *buf, size_t len)
{
  const denoise_pd *S = self;
  char base[256];
  hg_tv_describe(S->T, base, sizeof base);
  snprintf(buf, len, "%s; Huber nu = %g, ||D||^2 = %.6g; saddle: n_y = %d dual variables",
           base, S->nu, S->norm_D2, 2 * S->T->N * S->T->P);
}

/* The training pairs (hgbench.h images op: P:images() and the image plots). */
static void denoise_pd_images(const void *self, hg_image_set *set)
{
  const denoise_pd *S = self;
  hg_tv_images(S->T, set);
}

/* ---- the saddle structure (hgbench.h hg_saddle_ops), on the stacked u (N P) and y (2 N P) */

/* n_y = 2 N P: one dual variable per difference. */
static int pd_n_dual(const void *self)
{
  const denoise_pd *S = self;
  return 2 * S->T->N * S->T->P;
}

/* mu_G = 1 (G = 1/2 ||u - f||^2), mu_F = nu/lam, ||K|| = ||D|| (exact). */
static void pd_constants(void *self, const double *theta, hg_saddle_constants *c)
{
  denoise_pd *S = self;
  c->mu_G = 1;
  c->mu_F = S->nu / exp(theta[0]);
  c->norm_K = sqrt(S->norm_D2);
}

/* out_i = D u_i. */
static void pd_K(void *self, const double *theta, const double *w, double *out)
{
  denoise_pd *S = self;
  hg_tv *T = S->T;
  for (int i = 0; i < T->N; i++)
    hg_matrix_gemv(T->D, 0, 1, w + (size_t)i * T->P, 0, out + (size_t)2 * i * T->P);
}

/* out_i = D^T y_i. */
static void pd_Kt(void *self, const double *theta, const double *y, double *out)
{
  denoise_pd *S = self;
  hg_tv *T = S->T;
  for (int i = 0; i < T->N; i++)
    hg_matrix_gemv(T->D, 1, 1, y + (size_t)2 * i * T->P, 0, out + (size_t)i * T->P);
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
  for (int j = 0, n_y = pd_n_dual(S); j < n_y; j++)
    s += d[j] * (fabs(r * v[j]) < lam ? inside * v[j] : copysign(lam, v[j]));
  out[0] = s;
}

static const hg_saddle_ops denoise_pd_saddle = {
  .n_dual = pd_n_dual,                     /* 2 N P */
  .constants = pd_constants,               /* mu_G = 1, mu_F = nu/lam, ||D|| */
  .K = pd_K,                               /* D per image */
  .Kt = pd_Kt,                             /* D^T per image */
  .prox_G = pd_prox_G,                     /* (v + tau f)/(1 + tau) */
  .prox_F = pd_prox_F,                     /* clip(v/(1 + sigma nu/lam), +-lam) */
  .prox_G_jvp = pd_prox_G_jvp,             /* 1/(1 + tau) */
  .prox_F_jvp = pd_prox_F_jvp,             /* r or 0 */
  .prox_G_vjp_theta = NULL,                /* G does not depend on theta */
  .prox_F_vjp_theta = pd_prox_F_vjp_theta, /* through lam */
};

const hg_problem_ops hg_problem_denoise_tv_pd = {
  .version = HG_PROBLEM_OPS_VERSION,
  .name = "denoise-tv-pd",
  .summary = "Huber-TV denoising in saddle-point form (K = D, PDHG/piggyback), theta = log weight",
  .params = denoise_pd_params,
  .create = denoise_pd_create,
  .destroy = denoise_pd_destroy,
  .theta0 = denoise_pd_theta0,
  .phi = denoise_pd_phi,             /* GD on the smoothed primal */
  .jvp_w = denoise_pd_jvp_w,         /* generalized Hessian */
  .vjp_w = denoise_pd_jvp_w,         /* d_w Phi is symmetric */
  .vjp_theta = denoise_pd_vjp_theta,
  .upper = denoise_pd_upper,
  .jvp_theta = denoise_pd_jvp_theta,
  .exact = denoise_pd_exact,         /* semismooth Newton with CHOLMOD */
  .constants = denoise_pd_constants, /* nu1 unknown (NAN) */
  .describe = denoise_pd_describe,
  .symmetric = 1,
  .project = NULL,
  .images = denoise_pd_images,       /* the training pairs */
  .saddle = &denoise_pd_saddle,      /* for piggyback */
};

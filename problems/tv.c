/*
 * tv.c -- learned smoothed total-variation regularization of images (DESIGN §3 "denoise-tv",
 * "deblur-tv"), shared by problems/denoise_tv.c and problems/deblur_tv.c (contracts in tv.h).
 * N training pairs (u-dagger_i, f_i) of w x h images (P pixels), one lower-level image each,
 *
 *     h(u_i, theta) = 1/2 ||A u_i - f_i||^2 + gamma/2 ||u_i||^2 + 1/2 lam sum_j psi((D u_i)_j),
 *     psi(z) = sqrt(z^2 + eps^2),   lam = e^{theta_1},  eps = e^{theta_2},
 *     Phi(u, theta)_i = u_i - eta grad h(u_i),
 *     grad h(u) = A^T (A u - f) + gamma u + 1/2 lam D^T (z/s),
 *     E(u) = (1/N) sum_i 1/2 ||u_i - u-dagger_i||^2,
 *
 * with z = D u, s = sqrt(z^2 + eps^2) entrywise, D the forward differences with Neumann
 * boundary (imaging.h); denoising is A = I, gamma = 0.  The Hessian is
 * H(u) = A^T A + gamma I + 1/2 lam D^T diag(eps^2/s^3) D, so mu = lambda_min(A^T A) + gamma and
 * L <= ||A||^2 + gamma + 4 lam/eps (||D||^2 <= 8, psi'' <= 1/eps).  The step eta is fixed per
 * instance: step= or 1/L at theta0.  Exact: Newton with CHOLMOD on the sparse Hessian to
 * ||grad h|| <= 1e-12 per image, then the adjoint solve with the same factorization.
 */
#include "tv.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* max over x of 3x / (1 + x^2)^{5/2} (at x = 1/2): |psi'''(z)| <= PSI3 / eps^2. */
#define PSI3 0.8586501892

/* theta0 = (log 0.2, log 0.1): TV weight lam/2 = 0.1, smoothing eps = 0.1. */
void hg_tv_theta0(const void *self, double *theta)
{
  theta[0] = log(0.2);
  theta[1] = log(0.1);
}

void hg_tv_project(const void *self, double *theta)
{
  hg_box_project(&((const hg_tv *)self)->box, 2, theta);
}

/* L <= ||A||^2 + gamma + 4 lam/eps at theta. */
static double bound_L(const hg_tv *T, const double *theta)
{
  return T->norm_A2 + T->gamma + 4 * exp(theta[0]) / exp(theta[1]);
}

void hg_tv_destroy(void *self)
{
  hg_tv *T = self;
  if (!T)
    return;
  hg_pairs_free(&T->pairs);
  hg_matrix_destroy(&T->D);
  hg_matrix_destroy(&T->A);
  free(T->z);
  free(T->c);
  free(T->g);
  free(T->r);
  free(T->a);
  free(T->work);
  hg_image_chol_finish(&T->chol);
  hg_items_free(&T->batch);
  free(T);
}

/* x = A^T A v + gamma v (x and v of P entries; T->r is scratch). */
static void data_hess(hg_tv *T, const double *v, double *x)
{
  if (!T->A) {
    memcpy(x, v, (size_t)T->P * sizeof *x);
    return;
  }
  hg_matrix_gemv(T->A, 0, 1, v, 0, T->r);
  hg_matrix_gemv(T->A, 1, 1, T->r, 0, x);
  for (int j = 0; j < T->P; j++)
    x[j] += T->gamma * v[j];
}

/* mu_A = lambda_min(A^T A), norm_A2 = lambda_max(A^T A): eigenvalues of the dense A^T A up to
 * 2000 pixels; beyond, the certified bounds 0 and ||A||_1 ||A||_inf. */
static int operator_extremes(hg_tv *T, hg_error *err)
{
  int P = T->P, rc = HG_OK;
  if (!T->A) {
    T->mu_A = T->norm_A2 = 1;
    T->mu_A_exact = 1;
    return HG_OK;
  }
  if (P <= 2000) {
    double *G = malloc((size_t)P * P * sizeof *G);
    if (!G)
      return hg_fail(err, HG_ERR_NOMEM, "%s: out of memory for A^T A", T->name);
    hg_matrix_gram(T->A, 1, G);
    rc = hg_sym_extremes(P, G, &T->mu_A, &T->norm_A2, err);
    free(G);
    T->mu_A = fmax(0, T->mu_A);
    T->mu_A_exact = 1;
    return rc;
  }
  double *col = malloc((size_t)P * sizeof *col), n1, ninf;
  if (!col)
    return hg_fail(err, HG_ERR_NOMEM, "%s: out of memory", T->name);
  hg_csr_norm1_inf(T->A, col, &n1, &ninf);
  free(col);
  T->norm_A2 = n1 * ninf;
  T->mu_A = 0;
  T->mu_A_exact = 0;
  return HG_OK;
}

int hg_tv_create(const hg_params *p, const char *name, int blur_size, double blur_sigma,
                 double gamma, hg_tv **out, int *n_w, int *n_theta, hg_error *err)
{
  hg_tv *T = calloc(1, sizeof *T);
  int rc;
  double theta0[2];

  *out = NULL;
  if (!T)
    return hg_fail(err, HG_ERR_NOMEM, "%s: out of memory", name);
  T->gamma = gamma;
  T->name = name;
  if ((rc = hg_box_init(&T->box, p, name, err)) || (rc = hg_pairs_load(p, &T->pairs, err)) ||
      (rc = hg_diff_operator(T->pairs.w, T->pairs.h, &T->D, err)))
    goto fail;
  T->N = T->pairs.N;
  T->P = T->pairs.P;
  if (blur_size > 0 &&
      (rc = hg_blur_operator(T->pairs.w, T->pairs.h, blur_size, blur_sigma, &T->A, err)))
    goto fail;
  T->z = malloc(2 * (size_t)T->P * sizeof *T->z);
  T->c = malloc(2 * (size_t)T->P * sizeof *T->c);
  T->g = malloc((size_t)T->P * sizeof *T->g);
  T->r = malloc((size_t)T->P * sizeof *T->r);
  T->a = malloc((size_t)T->N * T->P * sizeof *T->a);
  T->work = malloc(3 * (size_t)T->P * sizeof *T->work);
  if (!T->z || !T->c || !T->g || !T->r || !T->a || !T->work) {
    rc = hg_fail(err, HG_ERR_NOMEM, "%s: out of memory for %d pixels", name, T->P);
    goto fail;
  }
  if (T->A && !hg_params_str(p, "clean")) { /* f_i = A u-dagger_i + (the noise drawn) */
    for (int i = 0; i < T->N; i++) {
      double *f = T->pairs.noisy + (size_t)i * T->P;
      const double *u = T->pairs.clean + (size_t)i * T->P;
      for (int j = 0; j < T->P; j++)
        f[j] -= u[j];
      hg_matrix_gemv(T->A, 0, 1, u, 1, f);
    }
  }
  if ((rc = operator_extremes(T, err)) || (rc = hg_items_init(&T->batch, T->N, name, err)))
    goto fail;
  if ((rc = hg_image_chol_start(&T->chol, T->P, name, err)))
    goto fail;
  T->chol.mem_cap = hg_params_mem_cap(p);
  hg_tv_theta0(T, theta0);
  T->eta = hg_params_given(p, "step") ? hg_params_real(p, "step") : 1 / bound_L(T, theta0);
  *out = T;
  *n_w = T->N * T->P;
  *n_theta = 2;
  return HG_OK;

fail:
  hg_tv_destroy(T);
  return rc;
}

/* z = D u and the entrywise s = sqrt(z^2 + eps^2) quantities of one image: c = z/s. */
static void ratio(hg_tv *T, const double *u, double eps)
{
  hg_matrix_gemv(T->D, 0, 1, u, 0, T->z);
  for (int j = 0; j < 2 * T->P; j++)
    T->c[j] = T->z[j] / sqrt(T->z[j] * T->z[j] + eps * eps);
}

/* out = grad h(u_i) = A^T (A u - f) + gamma u + 1/2 lam D^T (z/s) for image i. */
static void grad_h(void *self, int i, const double *u, const double *theta, double *out)
{
  hg_tv *T = self;
  double lam = exp(theta[0]), eps = exp(theta[1]);
  const double *f = T->pairs.noisy + (size_t)i * T->P;
  ratio(T, u, eps);
  hg_matrix_gemv(T->D, 1, 1, T->c, 0, out);
  if (!T->A) {
    for (int j = 0; j < T->P; j++)
      out[j] = u[j] - f[j] + 0.5 * lam * out[j];
    return;
  }
  hg_matrix_gemv(T->A, 0, 1, u, 0, T->r);
  for (int j = 0; j < T->P; j++)
    T->r[j] -= f[j];
  for (int j = 0; j < T->P; j++)
    out[j] = 0.5 * lam * out[j] + T->gamma * u[j];
  hg_matrix_gemv(T->A, 1, 1, T->r, 1, out);
}

/* out = H(u) v = A^T A v + gamma v + 1/2 lam D^T (eps^2/s^3 .* D v) for one image. */
static void hess_vec(hg_tv *T, const double *u, const double *theta, const double *v,
                     double *out)
{
  double lam = exp(theta[0]), eps = exp(theta[1]);
  hg_matrix_gemv(T->D, 0, 1, u, 0, T->z);
  hg_matrix_gemv(T->D, 0, 1, v, 0, T->c);
  for (int j = 0; j < 2 * T->P; j++) {
    double s2 = T->z[j] * T->z[j] + eps * eps;
    T->c[j] *= eps * eps / (s2 * sqrt(s2));
  }
  hg_matrix_gemv(T->D, 1, 1, T->c, 0, out);
  for (int j = 0; j < T->P; j++)
    out[j] *= 0.5 * lam;
  data_hess(T, v, T->g);
  for (int j = 0; j < T->P; j++)
    out[j] += T->g[j];
}

/* Phi(u)_i = u_i - eta b_i grad h(u_i), b_i = 1 (full) or image i's batch weight (items.h;
 * b_i = 0: u_i unchanged, nothing computed). */
void hg_tv_phi(void *self, const double *w, const double *theta, double *out)
{
  hg_tv *T = self;
  for (int i = 0; i < T->N; i++) {
    size_t o = (size_t)i * T->P;
    const double b = hg_items_lower(&T->batch, i);
    if (b == 0) {
      memcpy(out + o, w + o, (size_t)T->P * sizeof *out);
      continue;
    }
    grad_h(T, i, w + o, theta, out + o);
    for (int j = 0; j < T->P; j++)
      out[o + j] = w[o + j] - T->eta * b * out[o + j];
  }
}

/* d_w Phi v = v - eta b_i H v per image (b_i as Phi's); symmetric, so also the vjp. */
void hg_tv_jvp_w(void *self, const double *w, const double *theta, const double *v,
                 double *out)
{
  hg_tv *T = self;
  for (int i = 0; i < T->N; i++) {
    size_t o = (size_t)i * T->P;
    const double b = hg_items_lower(&T->batch, i);
    if (b == 0) {
      memcpy(out + o, v + o, (size_t)T->P * sizeof *out);
      continue;
    }
    hess_vec(T, w + o, theta, v + o, out + o);
    for (int j = 0; j < T->P; j++)
      out[o + j] = v[o + j] - T->eta * b * out[o + j];
  }
}

/*
 * d_theta Phi = -eta [d_theta_1 grad h, d_theta_2 grad h] with
 *     d_theta_1 grad h = 1/2 lam D^T (z/s),   d_theta_2 grad h = -1/2 lam D^T (z eps^2/s^3),
 * so (d_theta Phi^T v)_k = -eta sum_i <d_theta_k grad h(u_i), v_i>, computed as inner products
 * with D v_i.
 */
void hg_tv_vjp_theta(void *self, const double *w, const double *theta, const double *v,
                     double *out)
{
  hg_tv *T = self;
  double lam = exp(theta[0]), eps = exp(theta[1]);
  out[0] = out[1] = 0;
  for (int i = 0; i < T->N; i++) {
    size_t o = (size_t)i * T->P;
    const double b = hg_items_lower(&T->batch, i); /* image i's weight (1: no bit changes) */
    if (b == 0)
      continue;
    hg_matrix_gemv(T->D, 0, 1, w + o, 0, T->z);
    hg_matrix_gemv(T->D, 0, 1, v + o, 0, T->c);
    for (int j = 0; j < 2 * T->P; j++) {
      double z = T->z[j], s2 = z * z + eps * eps, s = sqrt(s2);
      out[0] += b * (z / s * T->c[j]);
      out[1] -= b * (z * eps * eps / (s2 * s) * T->c[j]);
    }
  }
  out[0] *= -T->eta * 0.5 * lam;
  out[1] *= -T->eta * 0.5 * lam;
}

/* d_theta Phi a = -eta 1/2 lam D^T (a_1 z/s - a_2 z eps^2/s^3) per image. */
void hg_tv_jvp_theta(void *self, const double *w, const double *theta, const double *a,
                     double *out)
{
  hg_tv *T = self;
  double lam = exp(theta[0]), eps = exp(theta[1]);
  for (int i = 0; i < T->N; i++) {
    size_t o = (size_t)i * T->P;
    const double b = hg_items_lower(&T->batch, i);
    if (b == 0) {
      hg_zero(T->P, out + o);
      continue;
    }
    hg_matrix_gemv(T->D, 0, 1, w + o, 0, T->z);
    for (int j = 0; j < 2 * T->P; j++) {
      double z = T->z[j], s2 = z * z + eps * eps, s = sqrt(s2);
      T->c[j] = a[0] * z / s - a[1] * z * eps * eps / (s2 * s);
    }
    hg_matrix_gemv(T->D, 1, 1, T->c, 0, out + o);
    for (int j = 0; j < T->P; j++)
      out[o + j] *= -T->eta * 0.5 * lam * b;
  }
}

/* E = (1/N) sum_i 1/2 ||u_i - u-dagger_i||^2; grad_w E = (u - u-dagger)/N; grad_theta E = 0. */
double hg_tv_upper(void *self, const double *w, const double *theta, double *gw,
                   double *gtheta)
{
  hg_tv *T = self;
  if (gtheta)
    gtheta[0] = gtheta[1] = 0;
  return hg_pairs_error_weighted(&T->pairs, T->batch.count[1] ? T->batch.w[1] : NULL, w, gw);
}

/* h(u_i) for the Newton line search. */
static double h_value(void *self, int i, const double *u, const double *theta)
{
  hg_tv *T = self;
  double lam = exp(theta[0]), eps = exp(theta[1]), v = 0, tv = 0;
  const double *f = T->pairs.noisy + (size_t)i * T->P, *Au = u;
  if (T->A) {
    hg_matrix_gemv(T->A, 0, 1, u, 0, T->r);
    Au = T->r;
    v = T->gamma * hg_dot(T->P, u, u);
  }
  for (int j = 0; j < T->P; j++)
    v += (Au[j] - f[j]) * (Au[j] - f[j]);
  hg_matrix_gemv(T->D, 0, 1, u, 0, T->z);
  for (int j = 0; j < 2 * T->P; j++)
    tv += sqrt(T->z[j] * T->z[j] + eps * eps);
  return 0.5 * v + 0.5 * lam * tv;
}

/* Factor H(u) = A^T A + gamma I + D^T diag(c) D, c = 1/2 lam eps^2/s^3 (A^T A + gamma I = I
 * for denoising). */
static int factor_hessian(void *self, int i, const double *u, const double *theta,
                          hg_error *err)
{
  hg_tv *T = self;
  double lam = exp(theta[0]), eps = exp(theta[1]);
  hg_matrix_gemv(T->D, 0, 1, u, 0, T->z);
  for (int j = 0; j < 2 * T->P; j++) {
    double s2 = T->z[j] * T->z[j] + eps * eps;
    T->c[j] = 0.5 * lam * eps * eps / (s2 * sqrt(s2));
  }
  hg_hess_term terms[2] = {{T->A, NULL}, {T->D, T->c}};
  if (!T->A)
    return hg_image_chol_factor(&T->chol, 1, 1, terms + 1, err);
  return hg_image_chol_factor(&T->chol, T->gamma, 2, terms, err);
}

/*
 * Exact (DESIGN §3): per image, damped Newton from u = f to ||grad h|| <= 1e-12 (h is
 * 1-strongly convex and smooth, so Newton with Armijo backtracking converges quadratically);
 * then with H = H(u*) and the adjoint a_i = H^{-1} grad_{u_i} E,
 *     grad f = - sum_i (d_theta grad h(u*_i))^T a_i = d_theta Phi^T (a / eta)
 * (hg_image_exact, shared with the other imaging problems).
 */
int hg_tv_exact(void *self, const double *theta, double *wstar, double *grad, hg_error *err)
{
  static const hg_image_lower ops = {h_value, grad_h, factor_hessian};
  hg_tv *T = self;
  int held[2];
  hg_items_hold(&T->batch, held); /* the full problem, whatever batch is selected */
  int rc = hg_image_exact(&T->chol, &T->pairs, T->eta, &ops, T, theta, wstar, T->a, T->work,
                          err);
  if (!rc)
    hg_tv_vjp_theta(T, wstar, theta, T->a, grad);
  hg_items_restore(&T->batch, held);
  return rc;
}

/*
 * Constants at theta (DESIGN §7), lam = e^theta_1, eps = e^theta_2:
 *   mu = lambda_min(A^T A) + gamma (1 for denoising: a constant image is in the null space of
 *   D), L = ||A||^2 + gamma + 4 lam/eps (a bound);
 *   nu1: the data term is quadratic, so ||H(u) - H(u')|| <= 1/2 lam 8 max_j |psi''(z_j) -
 *        psi''(z'_j)| <= 4 lam (PSI3/eps^2) ||D(u - u')||_inf <= 4 lam PSI3 sqrt(8)/eps^2
 *        ||u - u'||, times eta;
 *   nu2: each column of d_theta Phi changes by at most eta 1/2 lam sqrt(8) (1/eps) ||D(u-u')||
 *        (|d/dz z/s| and |d/dz z eps^2/s^3| are <= 1/eps), i.e. 4 eta lam/eps ||u - u'||; two
 *        columns: sqrt(2) times that (Frobenius);
 *   mu1 = 1/N, mu2 = 0.
 */
int hg_tv_constants(void *self, const double *theta, hg_constants *c, hg_error *err)
{
  hg_tv *T = self;
  double lam = exp(theta[0]), eps = exp(theta[1]), L = bound_L(T, theta), eta = T->eta;
  hg_constants_unknown(c);
  c->step = eta;
  c->mu = T->mu_A + T->gamma;
  c->L = L;
  c->kappa = L / c->mu;
  c->q = fmax(fabs(1 - eta * c->mu), fabs(1 - eta * L));
  c->nu1 = eta * 4 * lam * PSI3 * sqrt(8.0) / (eps * eps);
  c->nu2 = sqrt(2.0) * 4 * eta * lam / eps;
  c->mu1 = 1.0 / T->N;
  c->mu2 = 0;
  c->exact_mu_L = 0;
  return HG_OK;
}

void hg_tv_describe(const void *self, char *buf, size_t len)
{
  const hg_tv *T = self;
  snprintf(buf, len, "%d training pairs of %d x %d images (%s), D: %d differences%s",
           T->N, T->pairs.w, T->pairs.h, T->pairs.source, 2 * T->P,
           T->A ? "; A: sparse blur" : "");
}

void hg_tv_images(const void *self, hg_image_set *set)
{
  const hg_tv *T = self;
  hg_pairs_images(&T->pairs, set);
  set->N = T->N;
}

int hg_tv_n_items(const void *self, int which)
{
  const hg_tv *T = self;
  return T->N;
}

int hg_tv_select(void *self, int which, int count, const int *idx, hg_error *err)
{
  hg_tv *T = self;
  return hg_items_select(&T->batch, T->name, "image", which, count, idx, err);
}

/*
 * glm_map.c -- the GLM map Phi and its products (DESIGN §3; glm.h): e^theta, the step,
 * theta0, the d_theta Phi products, and the blocked row pass of the softmax models.
 */
#include "glm.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

/* ------------------------------------------------------------------------------------------ */
/* Regularization and d_theta Phi                                                              */
/* ------------------------------------------------------------------------------------------ */

/* The regularization weights of DESIGN §3: lam_j = e^{theta_j} (per feature) or e^{theta_0}
 * (scalar), recomputed only when theta differs from the last one seen. */
const double *hg_glm_lam(hg_glm *G, const double *theta)
{
  const size_t m = (size_t)G->m;

  if (G->lam_valid && memcmp(G->lam_theta, theta, m * sizeof(double)) == 0)
    return G->lam;
  for (int j = 0; j < G->d; j++)
    G->lam[j] = exp(theta[G->scalar ? 0 : j]);
  memcpy(G->lam_theta, theta, m * sizeof(double));
  G->lam_valid = 1;
  return G->lam;
}

/* Phi (DESIGN §3): out = w - eta (grad_w loss(w) + e^theta .* w), grad holding grad_w loss. */
void hg_glm_step(const hg_glm *G, const double *w, const double *lam, const double *grad,
                 double *out)
{
  for (int j = 0; j < G->d; j++)
    out[j] = w[j] - G->eta * (grad[j] + lam[j] * w[j]);
}

/* theta0 = -1 broadcast. */
void hg_glm_theta0(const void *self, double *theta)
{
  const hg_glm *G = self;
  for (int j = 0; j < G->m; j++)
    theta[j] = -1.0;
}

/*
 * d_theta Phi^T v (DESIGN §3, Phi = w - eta (... + e^theta .* w)):
 *   per feature  out_j = -eta e^{theta_j} w_j v_j;   scalar  out_0 = -eta e^theta (w . v).
 */
void hg_glm_vjp_theta(void *self, const double *w, const double *theta, const double *v,
                      double *out)
{
  hg_glm *G = self;
  const double *lam = hg_glm_lam(G, theta);

  if (G->scalar) {
    out[0] = -G->eta * lam[0] * hg_dot(G->d, w, v);
    return;
  }
  for (int j = 0; j < G->d; j++)
    out[j] = -G->eta * lam[j] * w[j] * v[j];
}

/*
 * d_theta Phi u (DESIGN §3):
 *   per feature  out_j = -eta e^{theta_j} w_j u_j;   scalar  out = -eta e^theta u_0 w.
 */
void hg_glm_jvp_theta(void *self, const double *w, const double *theta, const double *u,
                      double *out)
{
  hg_glm *G = self;
  const double *lam = hg_glm_lam(G, theta);

  for (int j = 0; j < G->d; j++)
    out[j] = -G->eta * lam[j] * w[j] * (G->scalar ? u[0] : u[j]);
}

/* ------------------------------------------------------------------------------------------ */
/* One pass over the rows of dense data (the softmax models)                                   */
/* ------------------------------------------------------------------------------------------ */

/* hg_rows_pass (glm.h): G = alpha X^T f(X A), block of rows by block of rows. */
void hg_rows_pass(const double *X, int n, int d, int k_in, const double *const *a, int a_inc,
                  hg_rows_fn f, void *ctx, int k_out, double alpha, double *const *g, int g_inc,
                  double *Z)
{
  for (int c = 0; c < k_out; c++)
    for (int j = 0; j < d; j++)
      g[c][(size_t)j * g_inc] = 0.0;
  for (int i0 = 0; i0 < n; i0 += HG_ROWS_BLOCK) {
    const int rows = n - i0 < HG_ROWS_BLOCK ? n - i0 : HG_ROWS_BLOCK;
    const double *XB = X + (size_t)i0 * d;
    for (int c = 0; c < k_in; c++)
      cblas_dgemv(CblasRowMajor, CblasNoTrans, rows, d, 1.0, XB, d, a[c], a_inc, 0.0, Z + c,
                  k_in);
    f(ctx, i0, rows, k_in, Z);
    for (int c = 0; c < k_out; c++)
      cblas_dgemv(CblasRowMajor, CblasTrans, rows, d, alpha, XB, d, Z + c, k_in, 1.0, g[c],
                  g_inc);
  }
}

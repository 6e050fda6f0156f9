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

/* Rows of one block of dense data: about 128 KiB of X (it stays in L2 between the block's
 * two products), between 4 and HG_ROWS_BLOCK rows.  Measured at 20000 x 1000 (bench --limits):
 * 32 rows of 8 KB each fall out of a 512 KiB L2 shared with the BLAS's own buffers. */
static int rows_block(int d)
{
  const int rows = d > 0 ? (int)(16384 / d) : HG_ROWS_BLOCK;
  return rows < 4 ? 4 : rows > HG_ROWS_BLOCK ? HG_ROWS_BLOCK : rows;
}

/* hg_rows_pass (glm.h): G = alpha X^T f(X A), block of rows by block of rows. */
void hg_rows_pass(const double *X, int n, int d, int k_in, const double *const *a, int a_inc,
                  hg_rows_fn f, void *ctx, int k_out, double alpha, double *const *g, int g_inc,
                  double *Z)
{
  const int block = rows_block(d);

  for (int c = 0; c < k_out; c++)
    for (int j = 0; j < d; j++)
      g[c][(size_t)j * g_inc] = 0.0;
  for (int i0 = 0; i0 < n; i0 += block) {
    const int rows = n - i0 < block ? n - i0 : block;
    const double *XB = X + (size_t)i0 * d;
    for (int c = 0; c < k_in; c++)
      cblas_dgemv(CblasRowMajor, CblasNoTrans, rows, d, 1.0, XB, d, a[c], a_inc, 0.0, Z + c,
                  k_in);
    if (f)
      f(ctx, i0, rows, k_in, Z);
    for (int c = 0; c < k_out; c++)
      cblas_dgemv(CblasRowMajor, CblasTrans, rows, d, alpha, XB, d, Z + c, k_in, 1.0, g[c],
                  g_inc);
  }
}

/* hg_glm_pass (glm.h): hg_rows_pass on dense X; on CSR the same blocks, each row's entries
 * read once for the k_in dot products and once (from cache) for the scatter into G. */
void hg_glm_pass(const hg_matrix *X, int k_in, const double *const *a, int a_inc, hg_rows_fn f,
                 void *ctx, int k_out, double alpha, double *const *g, int g_inc, double *Z)
{
  if (!X->sparse) {
    hg_rows_pass(X->val, X->rows, X->cols, k_in, a, a_inc, f, ctx, k_out, alpha, g, g_inc, Z);
    return;
  }
  const int n = X->rows, d = X->cols;
  const int *rp = X->rowptr, *ci = X->colind;
  const double *val = X->val;

  for (int c = 0; c < k_out; c++)
    for (int j = 0; j < d; j++)
      g[c][(size_t)j * g_inc] = 0.0;
  for (int i0 = 0; i0 < n; i0 += HG_ROWS_BLOCK) {
    const int rows = n - i0 < HG_ROWS_BLOCK ? n - i0 : HG_ROWS_BLOCK;
    for (int i = 0; i < rows; i++)
      for (int c = 0; c < k_in; c++) {
        const double *ac = a[c];
        double s = 0.0;
        for (int k = rp[i0 + i]; k < rp[i0 + i + 1]; k++)
          s += val[k] * ac[(size_t)ci[k] * a_inc];
        Z[(size_t)i * k_in + c] = s;
      }
    if (f)
      f(ctx, i0, rows, k_in, Z);
    for (int c = 0; c < k_out; c++) {
      double *gc = g[c];
      for (int i = 0; i < rows; i++) {
        const double z = alpha * Z[(size_t)i * k_in + c];
        for (int k = rp[i0 + i]; k < rp[i0 + i + 1]; k++)
          gc[(size_t)ci[k] * g_inc] += z * val[k];
      }
    }
  }
}

/* hg_glm_gram_weighted (glm.h): H = sum_i c_i x_i x_i^T, c_i >= 0. */
void hg_glm_gram_weighted(const hg_matrix *X, const double *c, double *H, double *work)
{
  const int n = X->rows, d = X->cols;

  memset(H, 0, (size_t)d * (size_t)d * sizeof *H);
  if (n == 0 || d == 0)
    return;
  if (!X->sparse) {
    /* Blocks of HG_GRAM_ROWS rows scaled by sqrt(c_i), each added by one dsyrk. */
    for (int i0 = 0; i0 < n; i0 += HG_GRAM_ROWS) {
      const int rows = n - i0 < HG_GRAM_ROWS ? n - i0 : HG_GRAM_ROWS;
      for (int i = 0; i < rows; i++) {
        const double r = sqrt(c[i0 + i]);
        const double *x = X->val + (size_t)(i0 + i) * d;
        double *wi = work + (size_t)i * d;
        for (int j = 0; j < d; j++)
          wi[j] = r * x[j];
      }
      cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, d, rows, 1.0, work, d, 1.0, H, d);
    }
  } else {
    for (int i = 0; i < n; i++)
      for (int k = X->rowptr[i]; k < X->rowptr[i + 1]; k++) {
        const double a = c[i] * X->val[k];
        double *Hrow = H + (size_t)X->colind[k] * d;
        for (int l = k; l < X->rowptr[i + 1]; l++)
          Hrow[X->colind[l]] += a * X->val[l]; /* colind[l] >= colind[k]: upper triangle */
      }
  }
  for (int i = 0; i < d; i++)
    for (int j = i + 1; j < d; j++)
      H[(size_t)j * d + i] = H[(size_t)i * d + j];
}

/* hg_glm_form_cost (glm.h): forming X^T D X in Hessian-vector products through X. */
double hg_glm_form_cost(const hg_matrix *X)
{
  const double n = X->rows, d = X->cols;

  if (!X->sparse)
    return (n * d * d / HG_GEMM_RATE) / (8.0 * n * d / HG_READ_RATE);
  double pairs = 0.0, nnz = (double)X->rowptr[X->rows];
  for (int i = 0; i < X->rows; i++) {
    const double r = X->rowptr[i + 1] - X->rowptr[i];
    pairs += r * (r + 1) / 2;
  }
  return nnz > 0 ? (pairs / HG_SCATTER_RATE) / (12.0 * nnz / HG_READ_RATE) : 0.0;
}

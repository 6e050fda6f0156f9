/*
 * glm_constants.c -- the constants of the GLM problems (DESIGN §7; glm.h): extreme eigenvalues
 * of the Hessian, ||X||_2^2 bounds, row norms, hg_glm_constants and the default step.
 */
#include "glm.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------------------------ */
/* Constants                                                                                   */
/* ------------------------------------------------------------------------------------------ */

/* The operator v -> s X^T X v + lam .* v (gram v + lam .* v when gram is given): ridge's
 * Hessian (s = 1/n) or logreg's Hessian bound (s = 1/(4n)), DESIGN §3 and §7. */
typedef struct glm_hessian {
  hg_glm *G;
  double s;
  const double *gram, *lam;
} glm_hessian;

static void glm_hessian_apply(void *ctx, const double *v, double *out)
{
  glm_hessian *h = ctx;
  hg_glm *G = h->G;

  if (h->gram) {
    cblas_dsymv(CblasRowMajor, CblasUpper, G->d, 1.0, h->gram, G->d, v, 1, 0.0, out, 1);
  } else {
    hg_matrix_gemv(G->X, 0, 1.0, v, 0.0, G->s_n);
    hg_matrix_gemv(G->X, 1, h->s, G->s_n, 0.0, out);
  }
  for (int j = 0; j < G->d; j++)
    out[j] += h->lam[j] * v[j];
}

/* Extreme eigenvalues of s X^T X + diag(e^theta) (DESIGN §7): dense dsyevr for
 * d <= HG_GLM_DENSE_EIG_MAX, else Lanczos on the operator to relative accuracy 1e-10. */
int hg_glm_extremes(hg_glm *G, const double *theta, double s, const double *gram,
                    double *lambda_min, double *lambda_max, int *exact, hg_error *err)
{
  int status = HG_OK, converged = 0;
  const int d = G->d;
  double *H = NULL;
  glm_hessian op = {G, s, gram, hg_glm_lam(G, theta)};

  *exact = 1;
  if (d > HG_GLM_DENSE_EIG_MAX) {
    status = hg_lanczos_extremes(d, glm_hessian_apply, &op, 1e-10, HG_GLM_LANCZOS_MAXIT, 1,
                                 lambda_min, lambda_max, &converged, err);
    if (status || converged == 3)
      goto done;
    double lam_min = op.lam[0], lam_max = op.lam[0], frob2 = 0;
    for (int j = 1; j < d; j++) {
      lam_min = fmin(lam_min, op.lam[j]);
      lam_max = fmax(lam_max, op.lam[j]);
    }
    for (long k = 0; k < G->X->nnz; k++)
      frob2 += G->X->val[k] * G->X->val[k];
    if (!(converged & 1))
      *lambda_min = lam_min;
    if (!(converged & 2))
      *lambda_max = s * frob2 + lam_max;
    *exact = 0;
    goto done;
  }
  H = malloc((size_t)d * (size_t)d * sizeof(double));
  if (!H) {
    status = hg_fail(err, HG_ERR_NOMEM, "problem '%s': out of memory for a %d x %d Hessian",
                     G->name, d, d);
    goto done;
  }
  if (gram)
    memcpy(H, gram, (size_t)d * (size_t)d * sizeof(double));
  else
    hg_matrix_gram(G->X, s, H);
  for (int j = 0; j < d; j++)
    H[(size_t)j * d + j] += op.lam[j];
  status = hg_sym_extremes(d, H, lambda_min, lambda_max, err);

done:
  free(H);
  return status;
}

/* The Gram operator of X on its smaller side: v -> X^T (X v) (order cols) or, rows_side,
 * u -> X (X^T u) (order rows); tmp holds the intermediate (rows or cols doubles). */
typedef struct glm_gram_op {
  const hg_matrix *X;
  int rows_side;
  double *tmp;
} glm_gram_op;

static void glm_gram_apply(void *ctx, const double *v, double *out)
{
  glm_gram_op *g = ctx;

  hg_matrix_gemv(g->X, g->rows_side, 1.0, v, 0.0, g->tmp);
  hg_matrix_gemv(g->X, !g->rows_side, 1.0, g->tmp, 0.0, out);
}

/* M = X X^T (rows x rows, full symmetric storage, row-major): dsyrk when X is dense; for CSR,
 * row i scattered into row (cols doubles, zero on entry and on exit) and dotted with every
 * row j >= i. */
static void glm_row_gram(const hg_matrix *X, double *M, double *row)
{
  const int r = X->rows;

  if (!X->sparse) {
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, r, X->cols, 1.0, X->val, X->cols, 0.0,
                M, r);
  } else {
    for (int i = 0; i < r; i++) {
      for (int k = X->rowptr[i]; k < X->rowptr[i + 1]; k++)
        row[X->colind[k]] = X->val[k];
      for (int j = i; j < r; j++) {
        double dot = 0;
        for (int k = X->rowptr[j]; k < X->rowptr[j + 1]; k++)
          dot += X->val[k] * row[X->colind[k]];
        M[(size_t)i * r + j] = dot;
      }
      for (int k = X->rowptr[i]; k < X->rowptr[i + 1]; k++)
        row[X->colind[k]] = 0.0;
    }
  }
  for (int i = 0; i < r; i++)
    for (int j = i + 1; j < r; j++)
      M[(size_t)j * r + i] = M[(size_t)i * r + j];
}

/*
 * ||X||_2^2 = lambda_max(X^T X) = lambda_max(X X^T), bounded above (DESIGN §7):
 *   gram given          lambda_max(s X^T X) / s                       (dsyevr; exact to rounding)
 *   k = min(r, c) <= HG_GLM_DENSE_EIG_MAX
 *                       lambda_max of the k x k Gram X^T X or X X^T   (dsyevr; exact to rounding)
 *   else, Lanczos       theta_max + tol max|theta|: the Ritz pair's residual |beta_j s_j| is at
 *                       most tol max|theta|, so an eigenvalue (the top one, barring a start
 *                       vector orthogonal to its eigenvector) lies within it of theta_max
 *   Lanczos stopped     ||X||_F^2 = trace(X^T X) >= lambda_max(X^T X).
 */
int hg_glm_norm2_sq(hg_glm *G, const hg_matrix *X, const double *gram, double s, double *out,
                    hg_error *err)
{
  int status = HG_OK, converged = 0;
  const int r = X->rows, c = X->cols, rows_side = r < c, k = rows_side ? r : c;
  const double tol = 1e-10;
  double *M = NULL, *tmp = NULL, lo = NAN, hi = NAN;

  *out = 0.0;
  if (r == 0 || c == 0)
    goto done;
  if (gram) {
    status = hg_sym_extremes(c, gram, &lo, &hi, err);
    if (status == HG_OK)
      *out = fmax(hi, 0.0) / s;
    goto done;
  }
  if (k <= HG_GLM_DENSE_EIG_MAX) {
    M = malloc((size_t)k * (size_t)k * sizeof(double));
    tmp = rows_side && X->sparse ? calloc((size_t)c, sizeof(double)) : NULL;
    if (!M || (rows_side && X->sparse && !tmp)) {
      status = hg_fail(err, HG_ERR_NOMEM, "problem '%s': out of memory for a %d x %d Gram "
                       "matrix", G->name, k, k);
      goto done;
    }
    if (rows_side)
      glm_row_gram(X, M, tmp);
    else
      hg_matrix_gram(X, 1.0, M);
    status = hg_sym_extremes(k, M, &lo, &hi, err);
    if (status == HG_OK)
      *out = fmax(hi, 0.0);
    goto done;
  }
  tmp = malloc((size_t)(rows_side ? c : r) * sizeof(double));
  if (!tmp) {
    status = hg_fail(err, HG_ERR_NOMEM, "problem '%s': out of memory for Lanczos on a %d x %d "
                     "matrix", G->name, r, c);
    goto done;
  }
  glm_gram_op op = {X, rows_side, tmp};
  status = hg_lanczos_extremes(k, glm_gram_apply, &op, tol, HG_GLM_LANCZOS_MAXIT, 1, &lo, &hi,
                               &converged, err);
  if (status != HG_OK)
    goto done;
  if (converged & 2) {
    *out = fmax(hi + tol * fmax(fabs(lo), fabs(hi)), 0.0);
  } else {
    double frob2 = 0;
    for (long e = 0; e < X->nnz; e++)
      frob2 += X->val[e] * X->val[e];
    *out = frob2;
  }

done:
  free(M);
  free(tmp);
  return status;
}

/* max_i ||x_i||_2 over the rows of X (dense or CSR). */
double hg_glm_max_row_norm(const hg_matrix *X)
{
  double best = 0;

  for (int i = 0; i < X->rows; i++) {
    double sq = 0;
    if (X->sparse) {
      for (int k = X->rowptr[i]; k < X->rowptr[i + 1]; k++)
        sq += X->val[k] * X->val[k];
    } else {
      const double *x = X->val + (size_t)i * (size_t)X->cols;
      for (int j = 0; j < X->cols; j++)
        sq += x[j] * x[j];
    }
    best = fmax(best, sqrt(sq));
  }
  return best;
}

/*
 * Constants at theta (DESIGN §7): L = lambda_max(s X^T X + diag(e^theta)); mu = its
 * lambda_min when exact, else min_j e^theta_j; q = max(|1 - eta mu|, |1 - eta L|);
 * kappa = L/mu.  The extremes are cached for the last theta.  Global Lipschitz constants in w
 * that ridge and logreg share (Grazzi et al. 2020, §2):
 *   d_theta Phi(w) - d_theta Phi(w') = -eta diag(e^theta .* (w - w')) (scalar: the column
 *     -eta e^theta (w - w')), of norm max_j eta e^theta_j |w_j - w'_j| (scalar: eta e^theta
 *     ||w - w'||) <= eta max_j e^theta_j ||w - w'||:
 *     nu2 = eta max_j e^theta_j (attained with w - w' along the argmax coordinate);
 *   grad_theta E = 0:  mu2 = 0.
 */
int hg_glm_constants(hg_glm *G, const double *theta, double s, const double *gram, int exact,
                     hg_constants *c, hg_error *err)
{
  int status = HG_OK;
  const size_t m = (size_t)G->m;

  hg_constants_unknown(c);
  if (!G->c_valid || memcmp(G->c_theta, theta, m * sizeof(double)) != 0) {
    double lo = NAN, hi = NAN;
    G->c_valid = 0;
    status = hg_glm_extremes(G, theta, s, gram, &lo, &hi, &G->c_exact, err);
    if (status != HG_OK)
      goto done;
    if (!exact) {
      const double *lam = hg_glm_lam(G, theta);
      lo = lam[0];
      for (int j = 1; j < G->d; j++)
        lo = fmin(lo, lam[j]);
    }
    G->c_mu = lo;
    G->c_L = hi;
    memcpy(G->c_theta, theta, m * sizeof(double));
    G->c_valid = 1;
  }
  c->step = G->eta;
  c->mu = G->c_mu;
  c->L = G->c_L;
  c->q = fmax(fabs(1.0 - G->eta * c->mu), fabs(1.0 - G->eta * c->L));
  c->kappa = c->L / c->mu;
  c->exact_mu_L = exact && G->c_exact;
  const double *lam = hg_glm_lam(G, theta);
  double lam_max = lam[0];
  for (int j = 1; j < G->d; j++)
    lam_max = fmax(lam_max, lam[j]);
  c->nu2 = G->eta * lam_max;
  c->mu2 = 0.0;

done:
  return status;
}

/* eta = step= or 1/L(theta0), L = lambda_max(s X^T X + diag(e^theta0)). */
int hg_glm_init_step(hg_glm *G, const hg_params *p, double s, const double *gram,
                     hg_error *err)
{
  int status = HG_OK;
  double *theta0 = NULL, lo = NAN, L = NAN;
  int exact;

  if (hg_params_given(p, "step")) {
    G->eta = hg_params_real(p, "step");
    goto done;
  }
  theta0 = malloc((size_t)G->m * sizeof(double));
  if (!theta0) {
    status = hg_fail(err, HG_ERR_NOMEM, "problem '%s': out of memory for theta0", G->name);
    goto done;
  }
  hg_glm_theta0(G, theta0);
  status = hg_glm_extremes(G, theta0, s, gram, &lo, &L, &exact, err);
  if (status != HG_OK)
    goto done;
  if (!(L > 0) || !isfinite(L)) {
    status = hg_fail(err, HG_ERR_NUMERIC, "problem '%s': smoothness constant L = %g at theta0 "
                     "gives no step; set step=", G->name, L);
    goto done;
  }
  G->eta = 1.0 / L;

done:
  free(theta0);
  return status;
}

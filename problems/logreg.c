/*
 * logreg.c -- l2-regularized logistic regression with weights e^theta (DESIGN §3), labels
 * mapped to +-1 (positive -> +1, otherwise -1):
 *
 *     g(w, theta) = (1/n) sum_i log(1 + exp(-y_i x_i^T w)) + 1/2 sum_j e^{theta_j} w_j^2
 *     E(w)        = (1/n') sum_i log(1 + exp(-y'_i x'_i^T w))
 *     Phi(w, theta) = w - eta grad_w g(w, theta),
 *     grad_w g = -(1/n) X^T (y .* sigma(-y .* X w)) + e^theta .* w,
 *     Hessian  = (1/n) X^T D X + diag(e^theta),  D_i = sigma(z_i)(1 - sigma(z_i)), z = y .* X w.
 *
 * Data, e^theta, d_theta Phi, the step and the Cholesky scaffolding are shared with ridge in
 * the glm_*.c files.  log(1 + e^z) and sigma are evaluated in forms that never overflow.
 */
#include "glm.h"
#include "losses.h"
#include "newton.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The instance. */
typedef struct logreg {
  hg_glm glm;         /* first: the shared state (glm.h), so glm's ops take this self */
  int n_pos;          /* training labels mapped to +1 */
  double train_norm2; /* >= ||X||_2^2 = lambda_max(X^T X) (training data), for nu1 */
  double max_row;     /* max_i ||x_i|| over the training rows, for nu1 */
  double zb[2 * HG_ROWS_BLOCK]; /* scratch of the one-pass products (glm.h hg_glm_pass) */
  /* The formed Hessian (hessian=): H = X^T D(w_H) X / n, formed once for many products at
   * one w (the adjoint solves of the aid methods) when it pays (logreg_jvp_w). */
  int hess;           /* 0 no, 1 yes, 2 auto */
  double *H;          /* d x d (NULL: never formed, hessian=no or d > n under auto) */
  double *H_w;        /* d: the w of H, or of the products counted in H_same */
  double *H_rows;     /* HG_GRAM_ROWS x d scratch of the formation (dense X) */
  double *H_c;        /* n: the row weights D_i / n */
  int H_valid;        /* 1: H is X^T D(H_w) X / n */
  long H_same;        /* products made through X in a row at w = H_w */
  double H_cost;      /* forming H costs this many products (glm.h hg_glm_form_cost) */
} logreg;

static const hg_param_spec logreg_params[] = {
  HG_GLM_PARAMS,
  {"hessian", HG_PARAM_CHOICE, "auto", 0, 0, "auto|yes|no",
   "form X^T D X / n once for the products at one w (auto: when d <= n and the products made "
   "at that w have cost as much as forming it)"},
  {NULL, 0, NULL, 0, 0, NULL, NULL},
};

static void logreg_destroy(void *self)
{
  logreg *P = self;

  if (!P)
    return;
  hg_glm_release(&P->glm);
  free(P->H);
  free(P->H_w);
  free(P->H_rows);
  free(P->H_c);
  free(P);
}

/* Load the data (problems/glm_*.c, labels to +-1); eta = step= or 1/L(theta0) with
 * L = lambda_max(X^T X / (4n) + diag(e^theta0)); cache ||X||_2^2 and max_i ||x_i|| for nu1.
 * When d <= n and d <= HG_GLM_DENSE_EIG_MAX, X^T X / (4n) is formed once for both. */
static int logreg_create(const hg_params *p, void **self, int *n_w, int *n_theta,
                         hg_error *err)
{
  int status = HG_OK;
  double *gram = NULL;
  logreg *P = calloc(1, sizeof *P);

  if (!P) {
    status = hg_fail(err, HG_ERR_NOMEM, "problem 'logreg': out of memory for its state");
    goto done;
  }
  status = hg_glm_init(&P->glm, p, "logreg", 1, err);
  if (status != HG_OK)
    goto done;
  hg_glm *G = &P->glm;
  const double s = 0.25 / G->n;
  for (int i = 0; i < G->n; i++)
    P->n_pos += G->y[i] > 0;
  if (G->d <= HG_GLM_DENSE_EIG_MAX && G->d <= G->n) {
    if ((status = hg_params_reserve(p, "problem 'logreg'", (double)G->d * G->d * sizeof(double),
                                    "for the d x d Gram matrix", err)))
      goto done;
    gram = malloc((size_t)G->d * (size_t)G->d * sizeof(double));
    if (!gram) {
      status = hg_fail(err, HG_ERR_NOMEM, "problem 'logreg': out of memory for the %d x %d "
                       "Gram matrix", G->d, G->d);
      goto done;
    }
    hg_matrix_gram(G->X, s, gram);
  }
  status = hg_glm_init_step(G, p, s, gram, err);
  if (status == HG_OK)
    status = hg_glm_norm2_sq(G, G->X, gram, s, &P->train_norm2, err);
  if (status != HG_OK)
    goto done;
  P->max_row = hg_glm_max_row_norm(G->X);
  const char *hess = hg_params_str(p, "hessian");
  P->hess = strcmp(hess, "yes") == 0 ? 1 : strcmp(hess, "no") == 0 ? 0 : 2;
  if (P->hess == 1 || (P->hess == 2 && G->d <= G->n)) {
    const double dd = (double)G->d * G->d;
    if ((status = hg_params_reserve(p, "problem 'logreg'", (dd + HG_GRAM_ROWS * (double)G->d +
                                    G->n + G->d) * sizeof(double), "for the formed d x d "
                                    "Hessian (hessian=no avoids it)", err)))
      goto done;
    P->H = malloc((size_t)dd * sizeof(double));
    P->H_w = malloc((size_t)G->d * sizeof(double));
    P->H_rows = malloc((size_t)HG_GRAM_ROWS * (size_t)G->d * sizeof(double));
    P->H_c = malloc((size_t)G->n * sizeof(double));
    if (!P->H || !P->H_w || !P->H_rows || !P->H_c) {
      status = hg_fail(err, HG_ERR_NOMEM, "problem 'logreg': out of memory for the formed %d x "
                       "%d Hessian (try hessian=no)", G->d, G->d);
      goto done;
    }
    P->H_cost = hg_glm_form_cost(G->X);
  }
  *n_w = G->d;
  *n_theta = G->m;
  *self = P;
  P = NULL;

done:
  free(gram);
  logreg_destroy(P);
  return status;
}

/*
 * The loss part of g at w (DESIGN §3), leaving z = X w in G->r_n:
 *   returns (1/n) sum_i log(1 + exp(-y_i z_i)),
 *   grad (when not NULL) = -(1/n) X^T (y .* sigma(-y .* z)).
 * Uses G->s_n as scratch.
 */
static double logreg_loss(hg_glm *G, const double *w, double *grad)
{
  double loss = 0;

  hg_matrix_gemv(G->X, 0, 1.0, w, 0.0, G->r_n);
  for (int i = 0; i < G->n; i++) {
    const double yz = G->y[i] * G->r_n[i];
    loss += hg_softplus(-yz);
    G->s_n[i] = -G->y[i] * hg_sigmoid(-yz);
  }
  if (grad)
    hg_matrix_gemv(G->X, 1, 1.0 / G->n, G->s_n, 0.0, grad);
  return loss / G->n;
}

/* out = Phi(w, theta) = w - eta (-(1/n) X^T (y .* sigma(-y .* X w)) + e^theta .* w)
 * (DESIGN §3). */
/* hg_rows_fn of Phi: z_i = x_i^T w to -y_i sigma(-y_i z_i), as logreg_loss. */
static void logreg_rows_phi(void *ctx, int i0, int rows, int ldz, double *Z)
{
  const hg_glm *G = ctx;

  for (int i = 0; i < rows; i++) {
    const double y = G->y[i0 + i], yz = y * Z[(size_t)i * ldz];
    Z[(size_t)i * ldz] = -y * hg_sigmoid(-yz);
  }
}

/* hg_rows_fn of the Hessian product: (x_i^T w, x_i^T v) to sigma'(x_i^T w) x_i^T v. */
static void logreg_rows_hess(void *ctx, int i0, int rows, int ldz, double *Z)
{
  for (int i = 0; i < rows; i++) {
    double *z = Z + (size_t)i * ldz;
    z[0] = z[1] * hg_sigmoid_slope(z[0]);
  }
}

/* out = (1/n) X^T f(X [w v]) in one pass over X (glm.h hg_glm_pass; v NULL: X w only). */
static void logreg_pass(logreg *P, const double *w, const double *v, hg_rows_fn f, double *out)
{
  hg_glm *G = &P->glm;
  const double *cols[2] = {w, v};
  double *gcol[1] = {out};

  hg_glm_pass(G->X, v ? 2 : 1, cols, 1, f, G, 1, 1.0 / G->n, gcol, 1, P->zb);
}

static void logreg_phi(void *self, const double *w, const double *theta, double *out)
{
  logreg *P = self;
  hg_glm *G = &P->glm;
  const double *lam = hg_glm_lam(G, theta);

  logreg_pass(P, w, NULL, logreg_rows_phi, G->r_d);
  hg_glm_step(G, w, lam, G->r_d, out);
}

/* Whether the product at w goes through the formed Hessian (DESIGN §3 "Formed Hessian"): a
 * ski-rental rule.  Products at one w in a row are counted (upper, called before every adjoint
 * solve and reverse sweep, ends a row, so a run's choices do not depend on the runs before it;
 * Phi does not, so itd:checkpoints= recomputing iterates makes the same choices); once
 * they have cost as much as forming H = X^T D(w) X / n (P->H_cost products, glm.h
 * hg_glm_form_cost), or at once under hessian=yes, H is formed (unless it already is, at this
 * w) and the rest are one dsymv each.  So k products at one w cost at most twice the better
 * of the two choices, and the reverse sweep of itd (a new w each step) never forms it.  Only
 * on the full training mean (a selected batch goes through X). */
static int logreg_use_hessian(logreg *P, const double *w)
{
  hg_glm *G = &P->glm;
  const size_t d = (size_t)G->d;

  if (!P->H || hg_glm_batched(G, 0))
    return 0;
  if (memcmp(w, P->H_w, d * sizeof *w) != 0) {
    memcpy(P->H_w, w, d * sizeof *w);
    P->H_valid = 0;
    P->H_same = 0;
  }
  if (P->hess != 1 && (double)P->H_same++ < P->H_cost)
    return 0;
  if (P->H_valid)
    return 1;
  hg_matrix_gemv(G->X, 0, 1.0, w, 0.0, G->r_n);
  for (int i = 0; i < G->n; i++)
    P->H_c[i] = hg_sigmoid_slope(G->r_n[i]) / G->n;
  hg_glm_gram_weighted(G->X, P->H_c, P->H, P->H_rows);
  P->H_valid = 1;
  return 1;
}

/* out = d_w Phi v = v - eta ((1/n) X^T (D .* X v) + e^theta .* v), D_i = sigma'(x_i^T w);
 * symmetric, so also vjp_w (DESIGN §3).  One pass over X, or one dsymv with the formed
 * Hessian. */
static void logreg_jvp_w(void *self, const double *w, const double *theta, const double *v,
                         double *out)
{
  logreg *P = self;
  hg_glm *G = &P->glm;
  const double *lam = hg_glm_lam(G, theta);

  if (logreg_use_hessian(P, w))
    cblas_dsymv(CblasRowMajor, CblasUpper, G->d, 1.0, P->H, G->d, v, 1, 0.0, G->r_d, 1);
  else
    logreg_pass(P, w, v, logreg_rows_hess, G->r_d);
  hg_glm_step(G, v, lam, G->r_d, out);
}

/* E = (1/n') sum_i log(1 + exp(-y'_i x'_i^T w)), grad_w E = -(1/n') X'^T (y' .* sigma(-y' .*
 * X' w)), grad_theta E = 0 (DESIGN §3). */
static double logreg_upper(void *self, const double *w, const double *theta, double *gw,
                           double *gtheta)
{
  logreg *P = self;
  hg_glm *G = &P->glm;
  double E = 0;

  P->H_same = 0; /* ends a row of products at one w (logreg_use_hessian) */
  hg_matrix_gemv(G->X_val, 0, 1.0, w, 0.0, G->r_val);
  for (int i = 0; i < G->n_val; i++) {
    const double yz = G->y_val[i] * G->r_val[i];
    E += hg_softplus(-yz);
    G->r_val[i] = -G->y_val[i] * hg_sigmoid(-yz);
  }
  if (gw)
    hg_matrix_gemv(G->X_val, 1, 1.0 / G->n_val, G->r_val, 0.0, gw);
  if (gtheta)
    hg_zero(G->m, gtheta);
  return E / G->n_val;
}

/* A zeroed matrix with X's storage and sparsity pattern (for row-scaled copies). */
static int logreg_copy_layout(const hg_glm *G, hg_matrix **Xs, hg_error *err)
{
  const hg_matrix *X = G->X;
  int status = hg_matrix_create(X->rows, X->cols, X->sparse, X->nnz, Xs, err);

  if (status != HG_OK || !X->sparse)
    goto done;
  memcpy((*Xs)->rowptr, X->rowptr, ((size_t)X->rows + 1) * sizeof(int));
  memcpy((*Xs)->colind, X->colind, (size_t)X->rowptr[X->rows] * sizeof(int));
  (*Xs)->nnz = X->nnz;

done:
  return status;
}

/*
 * Xs = diag(sqrt(D_i / n)) X with D_i = sigma'(z_i), z = X w in G->r_n, so that
 * Xs^T Xs = (1/n) X^T D X, the loss part of the Hessian (DESIGN §3).
 */
static void logreg_weighted_rows(hg_glm *G, hg_matrix *Xs)
{
  const hg_matrix *X = G->X;

  for (int i = 0; i < X->rows; i++) {
    const double r = sqrt(hg_sigmoid_slope(G->r_n[i]) / G->n);
    if (X->sparse) {
      for (int k = X->rowptr[i]; k < X->rowptr[i + 1]; k++)
        Xs->val[k] = r * X->val[k];
    } else {
      const size_t row = (size_t)i * (size_t)X->cols;
      for (int j = 0; j < X->cols; j++)
        Xs->val[row + j] = r * X->val[row + j];
    }
  }
}

/* g(w, theta) = loss(w) + 1/2 sum_j lam_j w_j^2 (DESIGN §3), lam = e^theta; grad (when not
 * NULL) = grad_w g = grad loss + lam .* w. */
static double logreg_g(hg_glm *G, const double *lam, const double *w, double *grad)
{
  double reg = 0;
  const double loss = logreg_loss(G, w, grad);

  for (int j = 0; j < G->d; j++) {
    reg += lam[j] * w[j] * w[j];
    if (grad)
      grad[j] += lam[j] * w[j];
  }
  return loss + 0.5 * reg;
}

/* What Newton needs for logreg's g at theta (newton.h): the plugin, e^theta, the row-scaled
 * copy of X and the factor of the last Hessian. */
typedef struct logreg_newton {
  logreg *P;
  const double *lam;
  hg_matrix *Xs;
  hg_glm_chol F;
} logreg_newton;

/* g and its gradient (newton.h), leaving z = X w in G->r_n for the direction. */
static double logreg_newton_f(void *ctx, const double *w, double *grad)
{
  logreg_newton *N = ctx;
  return logreg_g(&N->P->glm, N->lam, w, grad);
}

/* dw = -H(w)^{-1} grad with H(w) = (1/n) X^T D X + diag(e^theta) factored by Cholesky
 * (LAPACK dense, CHOLMOD on CSR via the row-scaled copy diag(sqrt(D/n)) X), z = X w left in
 * G->r_n by logreg_newton_f; the factor is kept in N->F. */
static int logreg_newton_direction(void *ctx, const double *w, const double *grad, double *dw,
                                   hg_error *err)
{
  logreg_newton *N = ctx;
  hg_glm *G = &N->P->glm;

  logreg_weighted_rows(G, N->Xs);
  hg_glm_chol_free(&N->F);
  int status = hg_glm_chol_factor(G, N->Xs, 1.0, NULL, N->lam, &N->F, err);
  if (status != HG_OK)
    return status;
  for (int j = 0; j < G->d; j++)
    dw[j] = -grad[j];
  return hg_glm_chol_solve(G, &N->F, dw, err);
}

/*
 * Exact reference (DESIGN §3).  w* by Newton from w = 0 (newton.h: Armijo backtracking,
 * ||dw|| <= 1e-14 (1 + ||w||)) with H(w) = (1/n) X^T D X + diag(e^theta) factored by Cholesky
 * (LAPACK dense, CHOLMOD on CSR).  Then v = H(w*)^{-1} grad_w E(w*) and
 * grad_j = -e^{theta_j} w*_j v_j (scalar: -e^theta w*.v).
 */
static int logreg_exact(void *self, const double *theta, double *wstar, double *grad,
                        hg_error *err)
{
  static const hg_newton_ops newton = {.f = logreg_newton_f,
                                       .direction = logreg_newton_direction};
  logreg *P = self;
  hg_glm *G = &P->glm;
  const int d = G->d;
  int status = HG_OK;
  logreg_newton N = {P, hg_glm_lam(G, theta), NULL, {0}};
  double *work = malloc((HG_NEWTON_WORK(d) + (size_t)d) * sizeof(double));

  hg_glm_swap_full(G); /* the full problem, whatever batch is selected */
  if (!work) {
    status = hg_fail(err, HG_ERR_NOMEM, "problem 'logreg': out of memory for Newton (d=%d)", d);
    goto done;
  }
  status = logreg_copy_layout(G, &N.Xs, err);
  if (status != HG_OK)
    goto done;
  hg_zero(d, wstar);
  status = hg_newton("problem 'logreg'", d, &newton, &N, wstar, work, err);
  if (status != HG_OK)
    goto done;

  /* The Hessian at w* and the adjoint solve. */
  double *gw = work + HG_NEWTON_WORK(d);
  logreg_loss(G, wstar, NULL);
  logreg_weighted_rows(G, N.Xs);
  hg_glm_chol_free(&N.F);
  status = hg_glm_chol_factor(G, N.Xs, 1.0, NULL, N.lam, &N.F, err);
  if (status != HG_OK)
    goto done;
  logreg_upper(P, wstar, theta, gw, NULL);
  status = hg_glm_hypergrad(G, &N.F, theta, wstar, gw, grad, err);

done:
  hg_glm_swap_full(G);
  hg_glm_chol_free(&N.F);
  hg_matrix_destroy(&N.Xs);
  free(work);
  return status;
}

/*
 * Constants (DESIGN §7), bounds: L = lambda_max(X^T X / (4n) + diag(e^theta)) (sigma' <= 1/4),
 * mu = min_j e^{theta_j}; the global Lipschitz constants in w (Grazzi et al. 2020, §2), with
 * H(w) = X^T D(w) X / n + diag(e^theta), D_ii = sigma'(z_i), z_i = y_i x_i^T w, c3 = 1/(6 sqrt 3):
 *   |D_ii(w) - D_ii(w')| <= c3 |z_i - z'_i| = c3 |x_i^T (w - w')| <= c3 max_i ||x_i|| ||w - w'||;
 *   ||d_w Phi(w) - d_w Phi(w')|| = eta ||X^T (D(w) - D(w')) X|| / n <= eta (||X||^2/n) max|dD_ii|:
 *     nu1 = eta c3 (||X||_2^2 / n) max_i ||x_i||;
 *   d_theta Phi = -eta diag(e^theta .* w) (problems/glm_*.c):                 nu2 = eta max_j e^theta_j;
 *   grad_w E = -(1/n') X'^T (y' .* sigma(-y' .* X' w)), Hessian X'^T D' X' / n', D' <= 1/4:
 *     mu1 = lambda_max(X'^T X') / (4 n');
 *   grad_theta E = 0 (problems/glm_*.c):                                      mu2 = 0.
 */
static int logreg_constants(void *self, const double *theta, hg_constants *c, hg_error *err)
{
  logreg *P = self;
  hg_glm *G = &P->glm;
  hg_glm_swap_full(G);
  int status = hg_glm_constants(G, theta, 0.25 / G->n, NULL, 0, c, err);

  if (status == HG_OK) {
    c->nu1 = G->eta * HG_SIGMOID_CURV * (P->train_norm2 / G->n) * P->max_row;
    c->mu1 = 0.25 * G->val_norm2 / G->n_val;
  }
  hg_glm_swap_full(G);
  return status;
}

static void logreg_describe(const void *self, char *buf, size_t len)
{
  const logreg *P = self;
  char extra[128];

  int k = snprintf(extra, sizeof extra, "labels: %d of %d positive", P->n_pos, P->glm.n);
  if (P->H && P->hess == 1)
    snprintf(extra + k, sizeof extra - (size_t)k, "; Hessian formed at each w");
  else if (P->H)
    snprintf(extra + k, sizeof extra - (size_t)k, "; Hessian formed after %.0f products at one w",
             ceil(P->H_cost));
  hg_glm_describe(&P->glm, extra, buf, len);
}

const hg_problem_ops hg_problem_logreg = {
  .version = HG_OPS_VERSION,   /* ops layout this table was written for */
  .name = "logreg",                    /* registry name */
  .summary = "logistic regression with regularization weights e^theta (DESIGN §3)",
  .params = logreg_params,             /* data and regularization (glm.h) */
  .create = logreg_create,             /* reads or draws the data, labels to +-1 */
  .destroy = logreg_destroy,           /* frees the state */
  .theta0 = hg_glm_theta0,             /* -1 broadcast */
  .phi = logreg_phi,                   /* w - eta grad_w g */
  .jvp_w = logreg_jvp_w,               /* v - eta ((1/n) X^T D X v + e^theta .* v) */
  .vjp_w = logreg_jvp_w,               /* the same: the Hessian is symmetric */
  .vjp_theta = hg_glm_vjp_theta,       /* -eta e^theta .* w .* v (scalar: summed) */
  .upper = logreg_upper,               /* validation logistic loss */
  .jvp_theta = hg_glm_jvp_theta,       /* -eta e^theta .* w .* u (scalar: u w) */
  .exact = logreg_exact,               /* Newton, then a Cholesky solve at w* */
  .constants = logreg_constants,       /* bounds: L from X^T X / (4n), mu = min e^theta; nu, mu */
  .describe = logreg_describe,         /* data sizes, storage, reg, step, labels */
  .symmetric = 1,                      /* d_w Phi = I - eta H(w) */
  .n_items = hg_glm_n_items,           /* training rows (Phi), validation rows (E) */
  .select = hg_glm_select,             /* gathers the batch rows (problems/glm_*.c) */
  .revision = 2,                       /* bump when this problem's numbers change */
  .display = "logistic regression", /* legends and tables */
};

/*
 * ridge.c -- ridge regression with per-feature (or one scalar) regularization weights e^theta
 * (DESIGN §3):
 *
 *     g(w, theta) = (1/2n) ||X w - y||^2 + 1/2 sum_j e^{theta_j} w_j^2
 *     E(w)        = (1/2n') ||X' w - y'||^2
 *     Phi(w, theta) = w - eta (X^T (X w - y)/n + e^theta .* w)
 *
 * Data, e^theta, d_theta Phi, the step and the Cholesky scaffolding are shared with logreg in
 * the glm_*.c files.  When it pays (dense data with d <= n, or CSR with d^2 <= 2 nnz and d <= 8192;
 * gram=yes|no forces it), G = X^T X / n and X^T y / n are cached at create, so Phi and its
 * Jacobian products cost one d x d product instead of two passes over X.
 */
#include "box.h"
#include "glm.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The instance. */
typedef struct ridge {
  hg_glm glm;      /* first: the shared state (glm.h), so glm's ops take this self */
  double *gram;    /* d x d row-major, X^T X / n when cached, else NULL */
  double *Xty;     /* d: X^T y / n */
  hg_box box;      /* the feasible set of theta (box.h) */
  double zb[HG_ROWS_BLOCK]; /* scratch of the one-pass products (glm.h hg_glm_pass) */
} ridge;

static const hg_param_spec ridge_params[] = {
  HG_GLM_PARAMS,
  HG_BOX_PARAMS,
  {"gram", HG_PARAM_CHOICE, "auto", 0, 0, "auto|yes|no",
   "cache X^T X / n (auto: dense with d <= n, or CSR with d^2 <= 2 nnz and d <= 8192)"},
  {NULL, 0, NULL, 0, 0, NULL, NULL},
};

static void ridge_destroy(void *self)
{
  ridge *R = self;

  if (!R)
    return;
  hg_glm_release(&R->glm);
  free(R->gram);
  free(R->Xty);
  free(R);
}

/* Whether caching G = X^T X / n pays for itself (see the header comment). */
static int ridge_gram_pays(const hg_matrix *X)
{
  const long long d = X->cols;

  if (!X->sparse)
    return d <= X->rows;
  return d * d <= 2LL * X->rowptr[X->rows] && d <= 8192;
}

/* Load the data (problems/glm_*.c), form X^T y / n and, when cached, G = X^T X / n; eta = step= or
 * 1/lambda_max(G + diag(e^theta0)). */
static int ridge_create(const hg_params *p, void **self, int *n_w, int *n_theta, hg_error *err)
{
  int status = HG_OK;
  ridge *R = calloc(1, sizeof *R);

  if (!R) {
    status = hg_fail(err, HG_ERR_NOMEM, "problem 'ridge': out of memory for its state");
    goto done;
  }
  status = hg_glm_init(&R->glm, p, "ridge", 0, err);
  if (status == HG_OK)
    status = hg_box_init(&R->box, p, "ridge", err);
  if (status != HG_OK)
    goto done;
  hg_glm *G = &R->glm;
  const size_t d = (size_t)G->d;

  R->Xty = malloc(d * sizeof(double));
  if (!R->Xty) {
    status = hg_fail(err, HG_ERR_NOMEM, "problem 'ridge': out of memory for d=%d", G->d);
    goto done;
  }
  hg_matrix_gemv(G->X, 1, 1.0 / G->n, G->y, 0.0, R->Xty);

  const char *gram = hg_params_str(p, "gram");
  if (strcmp(gram, "yes") == 0 || (strcmp(gram, "auto") == 0 && ridge_gram_pays(G->X))) {
    if ((status = hg_params_reserve(p, "problem 'ridge'", (double)d * (double)d * sizeof(double),
                                    "for the d x d Gram matrix (gram=no avoids it)", err)))
      goto done;
    R->gram = malloc(d * d * sizeof(double));
    if (!R->gram) {
      status = hg_fail(err, HG_ERR_NOMEM, "problem 'ridge': out of memory for the %d x %d "
                       "Gram matrix (try gram=no)", G->d, G->d);
      goto done;
    }
    hg_matrix_gram(G->X, 1.0 / G->n, R->gram);
  }

  status = hg_glm_init_step(G, p, 1.0 / G->n, R->gram, err);
  if (status != HG_OK)
    goto done;
  *n_w = G->d;
  *n_theta = G->m;
  *self = R;
  R = NULL;

done:
  ridge_destroy(R);
  return status;
}

/* hg_rows_fn of the gradient: x_i^T w to x_i^T w - y_i. */
static void ridge_rows_resid(void *ctx, int i0, int rows, int ldz, double *Z)
{
  const hg_glm *G = ctx;

  for (int i = 0; i < rows; i++)
    Z[(size_t)i * ldz] -= G->y[i0 + i];
}

/* out = X^T f(X v) / n in one pass over X (glm.h hg_glm_pass; f NULL: the identity). */
static void ridge_pass(ridge *R, const double *v, hg_rows_fn f, double *out)
{
  hg_glm *G = &R->glm;
  const double *cols[1] = {v};
  double *gcol[1] = {out};

  hg_glm_pass(G->X, 1, cols, 1, f, G, 1, 1.0 / G->n, gcol, 1, R->zb);
}

/* out = X^T (X w - y) / n, the gradient of the loss part of g (DESIGN §3); G w - X^T y / n
 * with the Gram matrix cached. */
static void ridge_loss_grad(ridge *R, const double *w, double *out)
{
  hg_glm *G = &R->glm;

  if (R->gram && !hg_glm_batched(G, 0)) { /* the cache holds the full mean only */
    cblas_dsymv(CblasRowMajor, CblasUpper, G->d, 1.0, R->gram, G->d, w, 1, 0.0, out, 1);
    hg_axpy(G->d, -1.0, R->Xty, out);
    return;
  }
  ridge_pass(R, w, ridge_rows_resid, out);
}

/* out = X^T X v / n, the Hessian of the loss part of g (DESIGN §3); G v with the Gram matrix
 * cached. */
static void ridge_loss_hess(ridge *R, const double *v, double *out)
{
  hg_glm *G = &R->glm;

  if (R->gram && !hg_glm_batched(G, 0)) {
    cblas_dsymv(CblasRowMajor, CblasUpper, G->d, 1.0, R->gram, G->d, v, 1, 0.0, out, 1);
    return;
  }
  ridge_pass(R, v, NULL, out);
}

/* out = Phi(w, theta) = w - eta (X^T (X w - y)/n + e^theta .* w)   (DESIGN §3). */
static void ridge_phi(void *self, const double *w, const double *theta, double *out)
{
  ridge *R = self;
  const double *lam = hg_glm_lam(&R->glm, theta);

  ridge_loss_grad(R, w, R->glm.r_d);
  hg_glm_step(&R->glm, w, lam, R->glm.r_d, out);
}

/* out = d_w Phi v = v - eta (X^T X v / n + e^theta .* v); symmetric, so also vjp_w
 * (DESIGN §3). */
static void ridge_jvp_w(void *self, const double *w, const double *theta, const double *v,
                        double *out)
{
  ridge *R = self;
  const double *lam = hg_glm_lam(&R->glm, theta);

  ridge_loss_hess(R, v, R->glm.r_d);
  hg_glm_step(&R->glm, v, lam, R->glm.r_d, out);
}

/* E = (1/2n') ||X' w - y'||^2, grad_w E = X'^T (X' w - y') / n', grad_theta E = 0
 * (DESIGN §3). */
static double ridge_upper(void *self, const double *w, const double *theta, double *gw,
                          double *gtheta)
{
  ridge *R = self;
  hg_glm *G = &R->glm;

  hg_matrix_gemv(G->X_val, 0, 1.0, w, 0.0, G->r_val);
  hg_axpy(G->n_val, -1.0, G->y_val, G->r_val);
  const double E = hg_dot(G->n_val, G->r_val, G->r_val) / (2.0 * G->n_val);
  if (gw)
    hg_matrix_gemv(G->X_val, 1, 1.0 / G->n_val, G->r_val, 0.0, gw);
  if (gtheta)
    hg_zero(G->m, gtheta);
  return E;
}

/*
 * Exact reference (DESIGN §3) with one Cholesky of H = X^T X / n + diag(e^theta) (LAPACK on
 * dense data, CHOLMOD on CSR):  w* = H^{-1} X^T y / n,  v = H^{-1} grad_w E(w*),
 * grad_j = -e^{theta_j} w*_j v_j  (scalar: -e^theta w* . v).
 */
static int ridge_exact(void *self, const double *theta, double *wstar, double *grad,
                       hg_error *err)
{
  ridge *R = self;
  hg_glm *G = &R->glm;
  hg_glm_chol F = {0};
  const double *lam = hg_glm_lam(G, theta);

  hg_glm_swap_full(G); /* the full problem, whatever batch is selected */
  int status = hg_glm_chol_factor(G, G->X, 1.0 / G->n, R->gram, lam, &F, err);
  if (status != HG_OK)
    goto done;
  hg_copy(G->d, R->Xty, wstar);
  status = hg_glm_chol_solve(G, &F, wstar, err);
  if (status != HG_OK)
    goto done;
  ridge_upper(R, wstar, theta, G->r_d, NULL);
  status = hg_glm_hypergrad(G, &F, theta, wstar, G->r_d, grad, err);

done:
  hg_glm_swap_full(G);
  hg_glm_chol_free(&F);
  return status;
}

/*
 * Constants (DESIGN §7): the exact extremes of H = X^T X / n + diag(e^theta) (problems/glm_*.c), and the
 * global Lipschitz constants in w (Grazzi et al. 2020, §2), all attained:
 *   d_w Phi = I - eta H does not depend on w:               nu1 = 0;
 *   d_theta Phi = -eta diag(e^theta .* w) (problems/glm_*.c):          nu2 = eta max_j e^theta_j;
 *   grad_w E(w) - grad_w E(w') = X'^T X' (w - w') / n':    mu1 = lambda_max(X'^T X') / n';
 *   grad_theta E = 0 (problems/glm_*.c):                               mu2 = 0.
 */
static int ridge_constants(void *self, const double *theta, hg_constants *c, hg_error *err)
{
  ridge *R = self;
  hg_glm *G = &R->glm;
  hg_glm_swap_full(G);
  int status = hg_glm_constants(G, theta, 1.0 / G->n, R->gram, 1, c, err);

  if (status == HG_OK) {
    c->nu1 = 0.0;
    c->mu1 = G->val_norm2 / G->n_val;
  }
  hg_glm_swap_full(G);
  return status;
}

static void ridge_describe(const void *self, char *buf, size_t len)
{
  const ridge *R = self;
  hg_glm_describe(&R->glm, R->gram ? "Gram cached" : NULL, buf, len);
}

static void ridge_project(const void *self, double *theta)
{
  const ridge *R = self;
  hg_box_project(&R->box, R->glm.m, theta);
}

const hg_problem_ops hg_problem_ridge = {
  .version = HG_OPS_VERSION,   /* ops layout this table was written for */
  .name = "ridge",                     /* registry name */
  .summary = "ridge regression with regularization weights e^theta (DESIGN §3)",
  .params = ridge_params,              /* data and regularization (glm.h), then gram */
  .create = ridge_create,              /* reads or draws the data, caches the Gram matrix */
  .destroy = ridge_destroy,            /* frees the state */
  .theta0 = hg_glm_theta0,             /* -1 broadcast */
  .phi = ridge_phi,                    /* w - eta (X^T (X w - y)/n + e^theta .* w) */
  .jvp_w = ridge_jvp_w,                /* v - eta (X^T X v / n + e^theta .* v) */
  .vjp_w = ridge_jvp_w,                /* the same: d_w Phi is symmetric */
  .vjp_theta = hg_glm_vjp_theta,       /* -eta e^theta .* w .* v (scalar: summed) */
  .upper = ridge_upper,                /* (1/2n') ||X' w - y'||^2 */
  .jvp_theta = hg_glm_jvp_theta,       /* -eta e^theta .* w .* u (scalar: u w) */
  .exact = ridge_exact,                /* one Cholesky (LAPACK or CHOLMOD) */
  .constants = ridge_constants,        /* exact mu, L of the Hessian; q, kappa; nu, mu */
  .describe = ridge_describe,          /* data sizes, storage, reg, step, Gram */
  .symmetric = 1,                      /* d_w Phi = I - eta H */
  .n_items = hg_glm_n_items,           /* training rows (Phi), validation rows (E) */
  .select = hg_glm_select,             /* gathers the batch rows (problems/glm_*.c) */
  .project = ridge_project,            /* theta into [box_lo, box_hi] */
  .revision = 2,                       /* bump when this problem's numbers change */
  .display = "ridge regression", /* legends and tables */
};

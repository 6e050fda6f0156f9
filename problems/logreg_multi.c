/*
 * logreg_multi.c -- multinomial logistic regression with L2 weights e^theta on sparse data
 * (DESIGN §3), the problem of the 20-Newsgroups hyperparameter study.  W in R^{d x C}, stored
 * row-major (w[j C + c]: feature j, class c), so the logits of a CSR row are sums of rows of W:
 *
 *     z_i = W^T x_i,  p_i = softmax(z_i),  CE(z, y) = log sum_c e^{z_c} - z_y
 *     g(W, theta) = (1/n) sum_i CE(z_i, y_i) + 1/2 sum_{j,c} lam_{jc} W_{jc}^2
 *     E(W)        = (1/n') sum_i CE(W^T x'_i, y'_i)
 *     Phi(W, theta) = W - eta grad_W g,  grad_W g = (1/n) X^T (P - Y) + lam .* W,
 *     Hessian  = (1/n) sum_i (x_i x_i^T) (x) S(z_i) + diag(lam),  S(z) = diag(p) - p p^T,
 *
 * lam_{jc} = e^{theta_j} (reg=per-feature, m = d), e^{theta_{jC+c}} (reg=per-class, m = d C)
 * or e^{theta_0} (reg=scalar, m = 1); P and Y are n x C (probabilities, one-hot labels).
 * The data stay as read (CSR for LIBSVM or density < 1), and every callback costs
 * O(nnz C + d C) with no allocation: no d x d or n x d object is ever formed.  Data loading,
 * class indices and ||X||_2^2 (Lanczos with a certified fallback) are the glm_*.c files', the softmax
 * pieces losses.h's, the Newton driver and the dense Cholesky newton.c's.
 */
#include "glm.h"
#include "losses.h"
#include "newton.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The dense-Cholesky exact solve is used (solve=auto) up to this n_w, and while forming the
 * Hessian, sum_i nnz_i^2 C^2 multiply-adds, costs at most HG_LM_DENSE_FLOPS. */
#define HG_LM_DENSE_MAX 2000
#define HG_LM_DENSE_FLOPS 1e9
/* solve=cholesky refuses n_w above this (an n_w^2 matrix of doubles: 512 MB). */
#define HG_LM_CHOL_MAX 8000
/* Newton stops at ||grad|| <= 1e-13 ||grad(0)|| (besides newton.c's rules on ||dW||); the
 * adjoint CG at relative residual 1e-13. */
#define HG_LM_GRAD_TOL 1e-13
#define HG_LM_ADJOINT_TOL 1e-13
/* CG iterations at most per solve: 10 n_w + 100, capped. */
#define HG_LM_CG_MAX_IT 20000
/* classes= as a count: 2 to this many. */
#define HG_LM_MAX_CLASSES 1000000

/* The problem in messages of the shared helpers (newton.h). */
static const char *const lm_name = "problem 'logreg-multi'";

typedef enum lm_reg { LM_PER_FEATURE, LM_PER_CLASS, LM_SCALAR } lm_reg;

/* The instance. */
typedef struct logreg_multi {
  hg_glm glm;           /* first: the data (glm.h): X, X', n, n', d, eta, m; labels as read */
  int C;                /* classes */
  int nw, m;            /* n_w = d C, n_theta */
  lm_reg reg;
  int cholesky;         /* exact: 1 dense Cholesky Newton, 0 Newton-CG */
  int n_seen;           /* distinct labels seen in train and val */
  hg_matrix *XT, *XT_val; /* X^T, X'^T as CSR when the data are CSR (NULL when dense) */
  int *cls, *cls_val;   /* class index 0..C-1 of each training / validation example */
  int *cls_b[2];        /* the classes of a selected training [0] / validation [1] batch */
  double train_norm2;   /* >= ||X||_2^2, for L and nu1 */
  double val_norm2;     /* >= ||X'||_2^2, for mu1 */
  double max_row;       /* max_i ||x_i|| (training rows), for nu1 */
  /* lam = e^theta per entry of W (n_w), cached for the last theta in lam_theta */
  double *lam, *lam_theta;
  int lam_valid;
  /* P = softmax(X W) (n x C) and the mean cross-entropy at the W held in P_w (cached) */
  double *P, *P_w, P_loss;
  int P_valid;
  double *Z;            /* n x C scratch */
  double *Zv;           /* n' x C scratch */
  double *gw;           /* n_w scratch */
  /* dense training data: the blocked one-pass products (glm.h hg_rows_pass); NULL for CSR */
  const double **cols;  /* 2C columns of the products: W's, then V's */
  double **gcols;       /* C columns of the result */
  double *ZB;           /* HG_ROWS_BLOCK x 2C scratch */
  double pass_loss;     /* the cross-entropy summed over the rows passed so far */
  /* exact's work (Newton, CG, Hessian), allocated at create so solves never fail for memory
   * midway: 3 n_w (Newton) + 4 n_w (CG and its right-hand side); H n_w^2 when cholesky */
  double *work, *H;
  /* the block products (jvp_w_block, dense data): LM_BLOCK tangents at a time as one d x
   * (LM_BLOCK C) matrix Vb, U = X Vb (n x LM_BLOCK C), R = X^T U; allocated at the first block
   * product (NULL before, and on CSR data, which loops over the tangents) */
  double *Vb, *Ub, *Rb;
} logreg_multi;

/* Tangents per block product (dgemm on LM_BLOCK C columns). */
#define LM_BLOCK 32

static const hg_param_spec logreg_multi_params[] = {
  HG_GLM_FILE_PARAMS,
  HG_GLM_DATASET_PARAMS,
  {"intercept", HG_PARAM_INT, "0", 0, 1, NULL, "1: append a column of ones (penalized)"},
  {"reg", HG_PARAM_CHOICE, "per-feature", 0, 0, "per-feature|per-class|scalar",
   "weights e^theta per feature (m = d), per feature and class (m = d C) or one (m = 1)"},
  {"step", HG_PARAM_REAL, NULL, DBL_MIN, DBL_MAX, NULL, "step eta of Phi (default 1/L at theta0)"},
  {"storage", HG_PARAM_CHOICE, "auto", 0, 0, "auto|dense|sparse",
   "keep the data as read (auto) or convert it to dense or CSR"},
  HG_GLM_CLASSES_PARAM("3", "the number of classes C, 2 to 1000000 (synthetic; with files, at "
                       "least the distinct labels seen, default those)"),
  {"solve", HG_PARAM_CHOICE, "auto", 0, 0, "auto|cholesky|cg",
   "exact solve: Newton with a dense Cholesky, Newton-CG, or auto by size (n_w <= 2000)"},
  {"n", HG_PARAM_INT, "80", 1, INT_MAX, NULL,
   "synthetic or data=: training examples"},
  {"n_val", HG_PARAM_INT, "40", 1, INT_MAX, NULL,
   "synthetic or data=: validation examples"},
  {"d", HG_PARAM_INT, "10", 1, INT_MAX - 1, NULL, "synthetic: features"},
  {"density", HG_PARAM_REAL, "1", DBL_MIN, 1, NULL,
   "synthetic: fraction of nonzero entries (< 1 gives CSR data)"},
  {"noise", HG_PARAM_REAL, "1", 0, DBL_MAX, NULL, "synthetic: noise added to the class scores"},
  {"seed", HG_PARAM_INT, "0", 0, 9007199254740992.0, NULL,
   "synthetic: generator seed; data=: which examples"},
  {NULL, 0, NULL, 0, 0, NULL, NULL},
};

static void logreg_multi_destroy(void *self)
{
  logreg_multi *M = self;

  if (!M)
    return;
  hg_glm_release(&M->glm);
  hg_matrix_destroy(&M->XT);
  hg_matrix_destroy(&M->XT_val);
  free(M->cls);
  free(M->cls_val);
  free(M->cls_b[0]);
  free(M->cls_b[1]);
  free(M->lam);
  free(M->lam_theta);
  free(M->P);
  free(M->P_w);
  free(M->Z);
  free(M->Zv);
  free(M->gw);
  free(M->cols);
  free(M->gcols);
  free(M->ZB);
  free(M->work);
  free(M->Vb);
  free(M->Ub);
  free(M->Rb);
  free(M->H);
  free(M);
}

/* ------------------------------------------------------------------------------------------ */
/* Kernels: O(nnz C) products with X and X^T, the softmax                                      */
/* ------------------------------------------------------------------------------------------ */

/* X^T as CSR (cols x rows) of a CSR X, by a counting sort of its column indices: the order in
 * which the products below stream W and G. */
static int lm_transpose(const char *name, const hg_matrix *X, hg_matrix **XT, hg_error *err)
{
  const long nnz = X->rowptr[X->rows];
  int status = hg_matrix_create(X->cols, X->rows, 1, nnz, XT, err);
  hg_matrix *T = *XT;

  if (status != HG_OK)
    return hg_fail(err, status, "problem '%s': out of memory for X^T (nnz %ld)", name, nnz);
  memset(T->rowptr, 0, ((size_t)X->cols + 1) * sizeof(int));
  for (long k = 0; k < nnz; k++)
    T->rowptr[X->colind[k] + 1]++;
  for (int j = 0; j < X->cols; j++)
    T->rowptr[j + 1] += T->rowptr[j];
  for (int i = 0; i < X->rows; i++) /* rows in order: the row indices of T increase */
    for (int k = X->rowptr[i]; k < X->rowptr[i + 1]; k++) {
      const int slot = T->rowptr[X->colind[k]]++;
      T->colind[slot] = i;
      T->val[slot] = X->val[k];
    }
  for (int j = X->cols; j > 0; j--) /* shift the advanced starts back */
    T->rowptr[j] = T->rowptr[j - 1];
  T->rowptr[0] = 0;
  T->nnz = nnz;
  return HG_OK;
}

/* X^T of mean `part` (0 training, 1 validation) as the callbacks see it: NULL for a selected
 * batch (gathered rows: the products go row by row) or dense data. */
static const hg_matrix *lm_xt(const logreg_multi *M, int part)
{
  if (hg_glm_batched(&M->glm, part))
    return NULL;
  return part ? M->XT_val : M->XT;
}

/* The class indices of mean `part` as the callbacks see them (a selected batch's, or all). */
static const int *lm_cls(const logreg_multi *M, int part)
{
  if (hg_glm_batched(&M->glm, part))
    return M->cls_b[part];
  return part ? M->cls_val : M->cls;
}

/* Z (rows x C) = X W, W d x C row-major.  Dense: dgemm.  CSR, through XT = X^T: for each
 * feature j, Z_{i,:} += x_ij W_{j,:} over the rows i using j, so W streams once and only the
 * small Z (rows x C) is accessed out of order (XT NULL: row by row).  O(nnz C + d C). */
static void lm_forward(const hg_matrix *X, const hg_matrix *XT, int C, const double *W,
                       double *Z)
{
  if (!X->sparse) {
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, X->rows, C, X->cols, 1.0, X->val,
                X->cols, W, C, 0.0, Z, C);
    return;
  }
  hg_zero(X->rows * C, Z);
  if (!XT) { /* row by row (the generator's one pass, before X^T exists) */
    for (int i = 0; i < X->rows; i++)
      for (int k = X->rowptr[i]; k < X->rowptr[i + 1]; k++)
        cblas_daxpy(C, X->val[k], W + (size_t)X->colind[k] * C, 1, Z + (size_t)i * C, 1);
    return;
  }
  for (int j = 0; j < XT->rows; j++) {
    const double *w = W + (size_t)j * C;
    for (int k = XT->rowptr[j]; k < XT->rowptr[j + 1]; k++) {
      const double x = XT->val[k];
      double *z = Z + (size_t)XT->colind[k] * C;
      for (int c = 0; c < C; c++)
        z[c] += x * w[c];
    }
  }
}

/* G (d x C) = alpha X^T R, R rows x C.  Dense: dgemm.  CSR: G_{j,:} = alpha sum_i x_ij R_{i,:}
 * over XT's row j, each row of G written once in order.  O(nnz C + d C). */
static void lm_backward(const hg_matrix *X, const hg_matrix *XT, int C, double alpha,
                        const double *R, double *G)
{
  if (!X->sparse) {
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, X->cols, C, X->rows, alpha, X->val,
                X->cols, R, C, 0.0, G, C);
    return;
  }
  if (!XT) { /* row by row (a gathered batch has no X^T) */
    hg_zero(X->cols * C, G);
    for (int i = 0; i < X->rows; i++)
      for (int k = X->rowptr[i]; k < X->rowptr[i + 1]; k++)
        cblas_daxpy(C, alpha * X->val[k], R + (size_t)i * C, 1, G + (size_t)X->colind[k] * C, 1);
    return;
  }
  for (int j = 0; j < XT->rows; j++) {
    double *g = G + (size_t)j * C;
    for (int c = 0; c < C; c++)
      g[c] = 0.0;
    for (int k = XT->rowptr[j]; k < XT->rowptr[j + 1]; k++) {
      const double x = alpha * XT->val[k];
      const double *r = R + (size_t)XT->colind[k] * C;
      for (int c = 0; c < C; c++)
        g[c] += x * r[c];
    }
  }
}

/* On the rows of Z = X W (in place): Z <- softmax rows (P), returning (1/rows) sum_i
 * CE(z_i, y_i) = (1/rows) sum_i (lse(z_i) - z_{i,y_i}). */
static double lm_probs(int rows, int C, const int *cls, double *Z)
{
  double loss = 0.0;

  for (int i = 0; i < rows; i++) {
    double *z = Z + (size_t)i * C;
    const double zy = z[cls[i]];
    loss += hg_softmax(C, z, z) - zy;
  }
  return loss / rows;
}

/* The training probabilities P = softmax(X W) and mean cross-entropy, recomputed only when W
 * differs from the last one seen (aid's k products at one w_t share them). */
/* 1 when P holds the probabilities at W. */
static int lm_p_at(const logreg_multi *M, const double *W)
{
  return M->P_valid && memcmp(M->P_w, W, (size_t)M->nw * sizeof(double)) == 0;
}

static void lm_pass(logreg_multi *M, const double *W, const double *V, hg_rows_fn f, int new,
                    double *out);
static void lm_rows_probs(void *ctx, int i0, int rows, int ldz, double *Z);

static void lm_train(logreg_multi *M, const double *W)
{
  hg_glm *G = &M->glm;

  if (lm_p_at(M, W))
    return;
  if (M->ZB) { /* dense: the products of the blocked passes, so P is the same whichever
                  callback computed it */
    lm_pass(M, W, NULL, lm_rows_probs, 1, NULL);
    return;
  }
  lm_forward(G->X, lm_xt(M, 0), M->C, W, M->P);
  M->P_loss = lm_probs(G->n, M->C, lm_cls(M, 0), M->P);
  memcpy(M->P_w, W, (size_t)M->nw * sizeof(double));
  M->P_valid = 1;
}

/* lam_{jc} = e^{theta_j} (per feature), e^{theta_{jC+c}} (per class) or e^{theta_0}, cached
 * for the last theta. */
static const double *lm_lam(logreg_multi *M, const double *theta)
{
  const int d = M->glm.d, C = M->C;

  if (M->lam_valid && memcmp(M->lam_theta, theta, (size_t)M->m * sizeof(double)) == 0)
    return M->lam;
  for (int j = 0; j < d; j++) {
    const double e = M->reg == LM_PER_CLASS ? 0.0 : exp(theta[M->reg == LM_SCALAR ? 0 : j]);
    for (int c = 0; c < C; c++)
      M->lam[(size_t)j * C + c] = M->reg == LM_PER_CLASS ? exp(theta[(size_t)j * C + c]) : e;
  }
  memcpy(M->lam_theta, theta, (size_t)M->m * sizeof(double));
  M->lam_valid = 1;
  return M->lam;
}

/* Training row i with z = W^T x_i: p_i = softmax(z) to P's row (returned), its cross-entropy
 * added to pass_loss (rows in order, as lm_probs). */
static double *lm_row_probs(logreg_multi *M, int i, const double *z)
{
  double *p = M->P + (size_t)i * M->C;
  M->pass_loss += hg_softmax(M->C, z, p) - z[lm_cls(M, 0)[i]];
  return p;
}

/* hg_rows_fn of lm_train: Z's first C columns z_i = W^T x_i to P's rows p_i = softmax(z_i). */
static void lm_rows_probs(void *ctx, int i0, int rows, int ldz, double *Z)
{
  for (int i = 0; i < rows; i++)
    lm_row_probs(ctx, i0 + i, Z + (size_t)i * ldz);
}

/* hg_rows_fn of Phi: Z's first C columns z_i = W^T x_i to P's rows p_i = softmax(z_i) and to
 * r_i = p_i - e_{y_i}. */
static void lm_rows_phi(void *ctx, int i0, int rows, int ldz, double *Z)
{
  logreg_multi *M = ctx;

  for (int i = 0; i < rows; i++) {
    double *z = Z + (size_t)i * ldz;
    hg_copy(M->C, lm_row_probs(M, i0 + i, z), z);
    z[lm_cls(M, 0)[i0 + i]] -= 1.0;
  }
}

/* hg_rows_fn of the Hessian product with P known: u_i = V^T x_i to S(p_i) u_i. */
static void lm_rows_hess(void *ctx, int i0, int rows, int ldz, double *Z)
{
  logreg_multi *M = ctx;
  const int C = M->C;

  for (int i = 0; i < rows; i++)
    hg_softmax_hvp(C, M->P + (size_t)(i0 + i) * C, Z + (size_t)i * ldz, Z + (size_t)i * ldz);
}

/* hg_rows_fn of the Hessian product at a new W: Z's row holds z_i = W^T x_i then u_i = V^T x_i;
 * p_i = softmax(z_i) to P (cross-entropy to pass_loss) and S(p_i) u_i to the first C entries. */
static void lm_rows_hess_new(void *ctx, int i0, int rows, int ldz, double *Z)
{
  logreg_multi *M = ctx;

  for (int i = 0; i < rows; i++) {
    double *z = Z + (size_t)i * ldz;
    hg_softmax_hvp(M->C, lm_row_probs(M, i0 + i, z), z + M->C, z);
  }
}

/* On dense training data: out = (1/n) X^T f(X [W V]) in one blocked pass (hg_rows_pass), with
 * k_in = C (W only) or 2C columns (out NULL: f only); a pass that computes the probabilities
 * (new = 1) leaves them in P with their mean cross-entropy, as lm_train. */
static void lm_pass(logreg_multi *M, const double *W, const double *V, hg_rows_fn f, int new,
                    double *out)
{
  hg_glm *G = &M->glm;
  const int C = M->C;
  int k = 0;

  for (int c = 0; W && c < C; c++)
    M->cols[k++] = W + c;
  for (int c = 0; V && c < C; c++)
    M->cols[k++] = V + c;
  for (int c = 0; out && c < C; c++)
    M->gcols[c] = out + c;
  M->pass_loss = 0.0;
  hg_rows_pass(G->X->val, G->X->rows, G->X->cols, k, M->cols, C, f, M, out ? C : 0, 1.0 / G->n,
               M->gcols, C, M->ZB);
  if (new) {
    M->P_loss = M->pass_loss / G->n;
    memcpy(M->P_w, W, (size_t)M->nw * sizeof(double));
    M->P_valid = 1;
  }
}

/* out = (1/n) X^T (S(z_i) (X V)_i)_i, the loss part of the Hessian at the W of lm_train times
 * V: S(z) u = p .* (u - p^T u) (hg_softmax_hvp). */
static void lm_hess_loss(logreg_multi *M, const double *V, double *out)
{
  hg_glm *G = &M->glm;
  const int C = M->C;

  if (M->ZB) {
    lm_pass(M, NULL, V, lm_rows_hess, 0, out);
    return;
  }
  lm_forward(G->X, lm_xt(M, 0), C, V, M->Z);
  for (int i = 0; i < G->n; i++)
    hg_softmax_hvp(C, M->P + (size_t)i * C, M->Z + (size_t)i * C, M->Z + (size_t)i * C);
  lm_backward(G->X, lm_xt(M, 0), C, 1.0 / G->n, M->Z, out);
}

/* out_t = s sum_{entries i of theta_t} lam_i W_i v_i: with s = -eta, d_theta Phi^T v; with
 * s = -1, -(d_W d_theta g)^T v (the exact hypergradient's tail). */
static void lm_theta_reduce(const logreg_multi *M, const double *lam, const double *W,
                            const double *v, double s, double *out)
{
  const int d = M->glm.d, C = M->C;

  if (M->reg == LM_PER_CLASS) {
    for (int i = 0; i < M->nw; i++)
      out[i] = s * lam[i] * W[i] * v[i];
    return;
  }
  if (M->reg == LM_SCALAR) {
    out[0] = s * lam[0] * hg_dot(M->nw, W, v);
    return;
  }
  for (int j = 0; j < d; j++) {
    const size_t o = (size_t)j * C;
    double sum = 0.0;
    for (int c = 0; c < C; c++)
      sum += W[o + c] * v[o + c];
    out[j] = s * lam[o] * sum;
  }
}

/* ------------------------------------------------------------------------------------------ */
/* Data: labels to classes, the synthetic generator                                            */
/* ------------------------------------------------------------------------------------------ */

/*
 * Synthetic data (DESIGN §3) from seed: W_true (d x C) ~ N(0, 1) first, then the n training
 * and n' validation rows of the glm_*.c files' generator (hg_glm_synthetic_rows, no regression target),
 * then per training row, then per validation row, y_i = argmax_c (x_i^T W_true)_c +
 * noise N(0,1) (C draws a row; the first maximum).  Labels 0..C-1.
 */
static int lm_synthetic(hg_glm *G, const hg_params *p, hg_error *err)
{
  int status = HG_OK;
  double *W = NULL, *Z = NULL;
  hg_rng rng;
  const int n = (int)hg_params_int(p, "n"), n_val = (int)hg_params_int(p, "n_val");
  const int d = (int)hg_params_int(p, "d");
  const double density = hg_params_real(p, "density"), noise = hg_params_real(p, "noise");
  const long seed = hg_params_int(p, "seed");
  const int rows = n > n_val ? n : n_val;
  int C = 0;

  status = hg_glm_class_count(G->name, p, 2, HG_LM_MAX_CLASSES, &C, err);
  if (status != HG_OK)
    goto done;
  if ((long long)d * C > INT_MAX) {
    status = hg_fail(err, HG_ERR_ARG, "problem '%s': d=%d times classes=%d exceeds %d "
                     "weights", G->name, d, C, INT_MAX);
    goto done;
  }
  W = malloc((size_t)d * C * sizeof(double));
  Z = malloc((size_t)rows * C * sizeof(double));
  if (!W || !Z) {
    status = hg_fail(err, HG_ERR_NOMEM, "problem '%s': out of memory for d=%d, classes=%d",
                     G->name, d, C);
    goto done;
  }
  hg_rng_seed(&rng, (uint64_t)seed);
  hg_rng_normals(&rng, (size_t)d * C, 1.0, W);
  status = hg_glm_synthetic_rows(G, &rng, n, d, density, 0.0, NULL, &G->X, &G->y, err);
  if (status == HG_OK)
    status = hg_glm_synthetic_rows(G, &rng, n_val, d, density, 0.0, NULL, &G->X_val,
                                   &G->y_val, err);
  if (status != HG_OK)
    goto done;
  for (int set = 0; set < 2; set++) {
    const hg_matrix *X = set ? G->X_val : G->X;
    double *y = set ? G->y_val : G->y;
    lm_forward(X, NULL, C, W, Z);
    for (int i = 0; i < X->rows; i++) {
      int best = 0;
      double best_s = -INFINITY;
      for (int c = 0; c < C; c++) {
        const double s = Z[(size_t)i * C + c] + noise * hg_rng_normal(&rng);
        if (s > best_s) {
          best_s = s;
          best = c;
        }
      }
      y[i] = best;
    }
  }
  if (density < 1.0)
    snprintf(G->source, sizeof G->source, "synthetic (seed %ld, density %g)", seed, density);
  else
    snprintf(G->source, sizeof G->source, "synthetic (seed %ld)", seed);

done:
  free(W);
  free(Z);
  return status;
}

/*
 * Class indices (DESIGN §3).  Synthetic labels are the classes 0..classes-1.  Labels of files
 * and of data= go through hg_glm_classes (problems/glm_*.c: integers; the distinct values seen in the
 * training and validation parts together, in increasing order, are classes 0, 1, ...; at least
 * two); with files classes=K (K >= their number) adds classes no example has.
 */
static int lm_classes(logreg_multi *M, const hg_params *p, hg_error *err)
{
  hg_glm *G = &M->glm;
  const char *train = hg_params_str(p, "train");
  const int n = G->n, n_val = G->n_val;
  int status = HG_OK;
  unsigned char *hit = NULL; /* synthetic: which classes have an example */

  if (train || hg_params_str(p, "data")) {
    status = hg_glm_classes(G->name, p, G->y, n, G->y_val, n_val, &M->cls, &M->cls_val,
                            &M->n_seen, err);
    if (status != HG_OK)
      goto done;
    M->C = M->n_seen;
    if (train && hg_params_given(p, "classes"))
      status = hg_glm_class_count(G->name, p, 2, HG_LM_MAX_CLASSES, &M->C, err);
    if (status == HG_OK && M->C < M->n_seen)
      status = hg_fail(err, HG_ERR_ARG, "problem '%s': classes=%d, but %d distinct labels are "
                       "seen in '%s' and '%s'", G->name, M->C, M->n_seen, train,
                       hg_params_str(p, "val"));
    goto done;
  }
  status = hg_glm_class_count(G->name, p, 2, HG_LM_MAX_CLASSES, &M->C, err);
  if (status != HG_OK)
    goto done;
  M->cls = malloc((size_t)n * sizeof(int));
  M->cls_val = malloc((size_t)n_val * sizeof(int));
  hit = calloc((size_t)M->C, 1);
  if (!M->cls || !M->cls_val || !hit) {
    status = hg_fail(err, HG_ERR_NOMEM, "problem '%s': out of memory for %d labels", G->name,
                     n + n_val);
    goto done;
  }
  M->n_seen = 0;
  for (int i = 0; i < n + n_val; i++) {
    const int c = (int)(i < n ? G->y[i] : G->y_val[i - n]);
    (i < n ? M->cls : M->cls_val)[i < n ? i : i - n] = c;
    M->n_seen += !hit[c];
    hit[c] = 1;
  }

done:
  free(hit);
  return status;
}

/* ------------------------------------------------------------------------------------------ */
/* create                                                                                      */
/* ------------------------------------------------------------------------------------------ */

/* sum_i nnz_i^2 C^2: the multiply-adds of forming the dense Hessian. */
static double lm_hessian_flops(const logreg_multi *M)
{
  const hg_matrix *X = M->glm.X;
  double flops = 0.0;

  for (int i = 0; i < X->rows; i++) {
    const double k = X->sparse ? X->rowptr[i + 1] - X->rowptr[i] : X->cols;
    flops += k * k;
  }
  return flops * M->C * M->C;
}

/*
 * Load the data (problems/glm_*.c: files through hg_data_read, or lm_synthetic), map labels to classes,
 * choose the exact solve, allocate every buffer, bound ||X||_2^2 and ||X'||_2^2 (problems/glm_*.c:
 * dsyevr, or Lanczos with its residual, or ||X||_F^2), and set
 * eta = step= or 1/L(theta0), L(theta) = ||X||_2^2 / (2n) + max e^theta.
 */
static int logreg_multi_create(const hg_params *p, void **self, int *n_w, int *n_theta,
                               hg_error *err)
{
  int status = HG_OK;
  logreg_multi *M = calloc(1, sizeof *M);

  if (!M) {
    status = hg_fail(err, HG_ERR_NOMEM, "problem 'logreg-multi': out of memory for its state");
    goto done;
  }
  status = hg_glm_load(&M->glm, p, "logreg-multi", lm_synthetic, err);
  if (status != HG_OK)
    goto done;
  hg_glm *G = &M->glm;
  status = lm_classes(M, p, err);
  if (status != HG_OK)
    goto done;
  if ((long long)G->d * M->C > INT_MAX) {
    status = hg_fail(err, HG_ERR_ARG, "problem 'logreg-multi': d=%d features times %d classes "
                     "exceeds %d weights", G->d, M->C, INT_MAX);
    goto done;
  }
  const char *reg = hg_params_str(p, "reg"), *solve = hg_params_str(p, "solve");
  M->reg = strcmp(reg, "per-class") == 0 ? LM_PER_CLASS
           : strcmp(reg, "scalar") == 0  ? LM_SCALAR
                                         : LM_PER_FEATURE;
  M->nw = G->d * M->C;
  M->m = M->reg == LM_PER_CLASS ? M->nw : M->reg == LM_SCALAR ? 1 : G->d;
  G->m = M->m; /* for hg_glm_theta0 */
  if (strcmp(solve, "cholesky") == 0) {
    if (M->nw > HG_LM_CHOL_MAX) {
      status = hg_fail(err, HG_ERR_ARG, "problem 'logreg-multi': solve=cholesky needs n_w = d C "
                       "<= %d (here %d x %d = %d); use solve=cg", HG_LM_CHOL_MAX, G->d, M->C,
                       M->nw);
      goto done;
    }
    M->cholesky = 1;
  } else {
    M->cholesky = strcmp(solve, "auto") == 0 && M->nw <= HG_LM_DENSE_MAX &&
                  lm_hessian_flops(M) <= HG_LM_DENSE_FLOPS;
  }

  const size_t nw = (size_t)M->nw, C = (size_t)M->C;
  if ((status = hg_params_reserve(p, "problem 'logreg-multi'",
                                  ((double)nw * (10.0 + (M->cholesky ? (double)nw : 0)) +
                                   (2.0 * G->n + G->n_val) * C + M->m) * sizeof(double),
                                  M->cholesky ? "for its work arrays and dense Hessian"
                                              : "for its work arrays", err)))
    goto done;
  M->lam = malloc(nw * sizeof(double));
  M->lam_theta = malloc((size_t)M->m * sizeof(double));
  M->P = malloc((size_t)G->n * C * sizeof(double));
  M->P_w = malloc(nw * sizeof(double));
  M->Z = malloc((size_t)G->n * C * sizeof(double));
  M->Zv = malloc((size_t)G->n_val * C * sizeof(double));
  M->gw = malloc(nw * sizeof(double));
  M->work = malloc(7 * nw * sizeof(double));
  M->H = M->cholesky ? malloc(nw * nw * sizeof(double)) : NULL;
  M->cls_b[0] = malloc((size_t)G->n * sizeof(int));
  M->cls_b[1] = malloc((size_t)G->n_val * sizeof(int));
  if (!M->lam || !M->lam_theta || !M->P || !M->P_w || !M->Z || !M->Zv || !M->gw || !M->work ||
      (M->cholesky && !M->H) || !M->cls_b[0] || !M->cls_b[1]) {
    status = hg_fail(err, HG_ERR_NOMEM, "problem 'logreg-multi': out of memory for n=%d, d=%d, "
                     "classes=%d", G->n, G->d, M->C);
    goto done;
  }
  if (!G->X->sparse) {
    M->cols = malloc(2 * C * sizeof *M->cols);
    M->gcols = malloc(C * sizeof *M->gcols);
    M->ZB = malloc(HG_ROWS_BLOCK * 2 * C * sizeof(double));
    if (!M->cols || !M->gcols || !M->ZB) {
      status = hg_fail(err, HG_ERR_NOMEM, "problem 'logreg-multi': out of memory for "
                       "classes=%d", M->C);
      goto done;
    }
  }
  if (G->X->sparse)
    status = lm_transpose(G->name, G->X, &M->XT, err);
  if (status == HG_OK && G->X_val->sparse)
    status = lm_transpose(G->name, G->X_val, &M->XT_val, err);
  if (status != HG_OK)
    goto done;
  status = hg_glm_norm2_sq(G, G->X, NULL, 0.0, &M->train_norm2, err);
  if (status == HG_OK)
    status = hg_glm_norm2_sq(G, G->X_val, NULL, 0.0, &M->val_norm2, err);
  if (status != HG_OK)
    goto done;
  M->max_row = hg_glm_max_row_norm(G->X);
  /* L(theta0) = ||X||^2/(2n) + e^{-1} (theta0 = -1, hg_glm_theta0) */
  G->eta = hg_params_given(p, "step") ? hg_params_real(p, "step")
                                      : 1.0 / (0.5 * M->train_norm2 / G->n + exp(-1.0));
  *n_w = M->nw;
  *n_theta = M->m;
  *self = M;
  M = NULL;

done:
  logreg_multi_destroy(M);
  return status;
}

/* ------------------------------------------------------------------------------------------ */
/* Phi, its Jacobian products, E                                                               */
/* ------------------------------------------------------------------------------------------ */

/* out = Phi(W, theta) = W - eta ((1/n) X^T (P - Y) + lam .* W)   (DESIGN §3). */
static void logreg_multi_phi(void *self, const double *W, const double *theta, double *out)
{
  logreg_multi *M = self;
  hg_glm *G = &M->glm;
  const int C = M->C;
  const double *lam = lm_lam(M, theta);

  if (M->ZB) { /* dense: P and the gradient in one pass, whatever P held (the same sums) */
    lm_pass(M, W, NULL, lm_rows_phi, 1, M->gw);
  } else {
    lm_train(M, W);
    memcpy(M->Z, M->P, (size_t)G->n * C * sizeof(double));
    for (int i = 0; i < G->n; i++)
      M->Z[(size_t)i * C + lm_cls(M, 0)[i]] -= 1.0;
    lm_backward(G->X, lm_xt(M, 0), C, 1.0 / G->n, M->Z, M->gw);
  }
  for (int k = 0; k < M->nw; k++)
    out[k] = W[k] - G->eta * (M->gw[k] + lam[k] * W[k]);
}

/* out = d_W Phi V = V - eta ((1/n) X^T (S(z_i) (X V)_i)_i + lam .* V); the Hessian is
 * symmetric, so this is also vjp_w   (DESIGN §3). */
static void logreg_multi_jvp_w(void *self, const double *W, const double *theta,
                               const double *V, double *out)
{
  logreg_multi *M = self;
  const double *lam = lm_lam(M, theta);

  if (M->ZB && !lm_p_at(M, W)) {
    lm_pass(M, W, V, lm_rows_hess_new, 1, M->gw); /* dense: P and the product in one pass */
  } else {
    lm_train(M, W);
    lm_hess_loss(M, V, M->gw);
  }
  for (int k = 0; k < M->nw; k++)
    out[k] = V[k] - M->glm.eta * (M->gw[k] + lam[k] * V[k]);
}

/*
 * out_j = d_W Phi V_j for `cols` tangents (V_j at V + j n_w, out_j likewise; out may be V):
 * the block-product slot (hgbench.h jvp_w_block) of forward-mode ITD.  Dense data, LM_BLOCK
 * tangents at a time: Vb = [V_1 .. V_b] as a d x (b C) matrix, U = X Vb by one dgemm, each
 * row's b C-blocks u to S(p_i) u, R = X^T U / n by one dgemm, then as jvp_w.  X is read twice
 * per block of tangents instead of once per tangent.  CSR data: jvp_w per tangent.  The block
 * scratch is allocated at the first call; without memory, jvp_w per tangent.
 */
static void logreg_multi_jvp_w_block(void *self, const double *W, const double *theta,
                                     int cols, const double *V, double *out)
{
  logreg_multi *M = self;
  hg_glm *G = &M->glm;
  const int C = M->C, d = G->d, n = G->n, nw = M->nw;
  const size_t wide = (size_t)LM_BLOCK * (size_t)C;

  if (M->ZB && !M->Vb) {
    M->Vb = malloc((size_t)d * wide * sizeof(double));
    M->Ub = malloc((size_t)G->n * wide * sizeof(double));
    M->Rb = malloc((size_t)d * wide * sizeof(double));
    if (!M->Vb || !M->Ub || !M->Rb) {
      free(M->Vb);
      free(M->Ub);
      free(M->Rb);
      M->Vb = M->Ub = M->Rb = NULL;
    }
  }
  if (!M->ZB || !M->Vb || hg_glm_batched(G, 0)) {
    for (int j = 0; j < cols; j++)
      logreg_multi_jvp_w(self, W, theta, V + (size_t)j * nw, out + (size_t)j * nw);
    return;
  }
  const double *lam = lm_lam(M, theta);
  lm_train(M, W);
  for (int j0 = 0; j0 < cols; j0 += LM_BLOCK) {
    const int b = cols - j0 < LM_BLOCK ? cols - j0 : LM_BLOCK, ld = b * C;
    for (int j = 0; j < b; j++) {
      const double *Vj = V + (size_t)(j0 + j) * nw;
      for (int f = 0; f < d; f++)
        memcpy(M->Vb + (size_t)f * ld + (size_t)j * C, Vj + (size_t)f * C, C * sizeof(double));
    }
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, ld, d, 1.0, G->X->val, d, M->Vb,
                ld, 0.0, M->Ub, ld);
    for (int i = 0; i < n; i++) {
      const double *p_i = M->P + (size_t)i * C;
      for (int j = 0; j < b; j++) {
        double *u = M->Ub + (size_t)i * ld + (size_t)j * C;
        hg_softmax_hvp(C, p_i, u, u);
      }
    }
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, d, ld, n, 1.0 / n, G->X->val, d, M->Ub,
                ld, 0.0, M->Rb, ld);
    for (int j = 0; j < b; j++) {
      const double *Vj = V + (size_t)(j0 + j) * nw;
      double *oj = out + (size_t)(j0 + j) * nw;
      for (int f = 0; f < d; f++)
        for (int c = 0; c < C; c++) {
          const size_t k = (size_t)f * C + c;
          oj[k] = Vj[k] - G->eta * (M->Rb[(size_t)f * ld + (size_t)j * C + c] + lam[k] * Vj[k]);
        }
    }
  }
}

/* out (m) = d_theta Phi^T v: per feature out_j = -eta e^{theta_j} sum_c W_jc v_jc; per class
 * out_{jc} = -eta e^{theta_jc} W_jc v_jc; scalar out_0 = -eta e^theta <W, v>   (DESIGN §3). */
static void logreg_multi_vjp_theta(void *self, const double *W, const double *theta,
                                   const double *v, double *out)
{
  logreg_multi *M = self;
  lm_theta_reduce(M, lm_lam(M, theta), W, v, -M->glm.eta, out);
}

/* out (n_w) = d_theta Phi u: out_{jc} = -eta lam_jc W_jc u_t, t = j, jC+c or 0 by reg. */
static void logreg_multi_jvp_theta(void *self, const double *W, const double *theta,
                                   const double *u, double *out)
{
  logreg_multi *M = self;
  const double *lam = lm_lam(M, theta);
  const int C = M->C;

  for (int k = 0; k < M->nw; k++) {
    const double ut = u[M->reg == LM_PER_CLASS ? k : M->reg == LM_SCALAR ? 0 : k / C];
    out[k] = -M->glm.eta * lam[k] * W[k] * ut;
  }
}

/* E = (1/n') sum_i CE(W^T x'_i, y'_i); grad_W E = (1/n') X'^T (P' - Y'); grad_theta E = 0
 * (DESIGN §3). */
static double logreg_multi_upper(void *self, const double *W, const double *theta, double *gw,
                                 double *gtheta)
{
  logreg_multi *M = self;
  hg_glm *G = &M->glm;
  const int C = M->C;

  lm_forward(G->X_val, lm_xt(M, 1), C, W, M->Zv);
  const double E = lm_probs(G->n_val, C, lm_cls(M, 1), M->Zv);
  if (gw) {
    for (int i = 0; i < G->n_val; i++)
      M->Zv[(size_t)i * C + lm_cls(M, 1)[i]] -= 1.0;
    lm_backward(G->X_val, lm_xt(M, 1), C, 1.0 / G->n_val, M->Zv, gw);
  }
  if (gtheta)
    hg_zero(M->m, gtheta);
  return E;
}

/* ------------------------------------------------------------------------------------------ */
/* exact: Newton (dense Cholesky or CG), then the adjoint solve                                */
/* ------------------------------------------------------------------------------------------ */

/* What Newton's callbacks and the Hessian operator need. */
typedef struct lm_newton {
  logreg_multi *M;
  const double *lam;
  const double *W;     /* where the Hessian operator is taken (lm_train holds P there) */
  double grad0;        /* ||grad g(W_0)||, for the CG forcing term */
} lm_newton;

/* g(W) = (1/n) sum_i CE + 1/2 sum lam W^2; grad = (1/n) X^T (P - Y) + lam .* W. */
static double lm_newton_value(void *ctx, const double *W, double *grad)
{
  lm_newton *N = ctx;
  logreg_multi *M = N->M;
  hg_glm *G = &M->glm;
  const int C = M->C;
  double reg = 0.0;

  lm_train(M, W);
  for (int k = 0; k < M->nw; k++)
    reg += N->lam[k] * W[k] * W[k];
  if (grad) {
    memcpy(M->Z, M->P, (size_t)G->n * C * sizeof(double));
    for (int i = 0; i < G->n; i++)
      M->Z[(size_t)i * C + lm_cls(M, 0)[i]] -= 1.0;
    lm_backward(G->X, lm_xt(M, 0), C, 1.0 / G->n, M->Z, grad);
    for (int k = 0; k < M->nw; k++)
      grad[k] += N->lam[k] * W[k];
  }
  return M->P_loss + 0.5 * reg;
}

/* out = H(W) v = (1/n) X^T (S(z_i) (X v)_i)_i + lam .* v at N->W (an hg_linop for hg_cg). */
static void lm_hessian_apply(void *ctx, const double *v, double *out)
{
  lm_newton *N = ctx;
  logreg_multi *M = N->M;

  lm_train(M, N->W);
  lm_hess_loss(M, v, out);
  for (int k = 0; k < M->nw; k++)
    out[k] += N->lam[k] * v[k];
}

/*
 * M->H = H(W) densely (n_w x n_w, row-major, entry (jC+a, kC+b)): diag(lam) plus, per training
 * row i and pair of its nonzeros (j, k), x_ij x_ik S(z_i)_{ab} / n, S = diag(p) - p p^T; then
 * its upper Cholesky factor (LAPACK).  sum_i nnz_i^2 C^2 multiply-adds.
 */
static int lm_factor(logreg_multi *M, const double *lam, const double *W, hg_error *err)
{
  hg_glm *G = &M->glm;
  const hg_matrix *X = G->X;
  const int C = M->C, nw = M->nw;
  double *H = M->H;

  lm_train(M, W);
  memset(H, 0, (size_t)nw * nw * sizeof(double));
  for (int k = 0; k < nw; k++)
    H[(size_t)k * nw + k] = lam[k];
  for (int i = 0; i < X->rows; i++) {
    const double *p = M->P + (size_t)i * C;
    const int lo = X->sparse ? X->rowptr[i] : 0, hi = X->sparse ? X->rowptr[i + 1] : X->cols;
    const double *xv = X->sparse ? X->val : X->val + (size_t)i * X->cols;
    for (int s = lo; s < hi; s++) {
      const int j = X->sparse ? X->colind[s] : s;
      for (int t = lo; t < hi; t++) {
        const int k = X->sparse ? X->colind[t] : t;
        const double x = xv[s] * xv[t] / G->n;
        if (x == 0.0)
          continue;
        for (int a = 0; a < C; a++) {
          double *row = H + ((size_t)j * C + a) * nw + (size_t)k * C;
          for (int b = 0; b < C; b++)
            row[b] += x * ((a == b ? p[a] : 0.0) - p[a] * p[b]);
        }
      }
    }
  }
  return hg_dense_chol_factor(lm_name, "Hessian", nw, H, err);
}

/* x = H(W)^{-1} b by CG from 0 (hg_cg) to ||H x - b|| <= rtol ||b||; in the adjoint (final)
 * solve, stopping short of rtol is an error.  work: 3 n_w. */
static int lm_cg_solve(lm_newton *N, const double *W, const double *b, double rtol, int final,
                       double *x, double *work, hg_error *err)
{
  logreg_multi *M = N->M;
  const int nw = M->nw;
  const long kmax_l = 10L * nw + 100;
  const int kmax = kmax_l < HG_LM_CG_MAX_IT ? (int)kmax_l : HG_LM_CG_MAX_IT;
  const double bnorm = hg_nrm2(nw, b);
  int k_used = 0;
  double res = NAN;

  N->W = W;
  hg_zero(nw, x);
  int status = hg_cg(nw, lm_hessian_apply, N, b, x, kmax, rtol * bnorm, work, &k_used, &res,
                     err);
  if (status == HG_OK && final && res > rtol * bnorm)
    status = hg_fail(err, HG_ERR_NUMERIC, "problem 'logreg-multi': the adjoint CG reached "
                     "relative residual %.3g > %g in %d iterations", res / bnorm, rtol, k_used);
  return status;
}

/* dW = -H(W)^{-1} grad: by the dense factor, or by CG to the forcing tolerance
 * min(1/2, sqrt(||grad|| / ||grad_0||)) ||grad|| (superlinear Newton-CG). */
static int lm_newton_direction(void *ctx, const double *W, const double *grad, double *dw,
                               hg_error *err)
{
  lm_newton *N = ctx;
  logreg_multi *M = N->M;
  const int nw = M->nw;
  int status = HG_OK;

  if (M->cholesky) {
    status = lm_factor(M, N->lam, W, err);
    for (int k = 0; k < nw && status == HG_OK; k++)
      dw[k] = -grad[k];
    if (status == HG_OK)
      status = hg_dense_chol_solve(lm_name, "Hessian", nw, M->H, dw, err);
    return status;
  }
  double *b = M->work + 3 * (size_t)nw; /* after Newton's 3 n_w; CG's 3 n_w follow b */
  const double gnorm = hg_nrm2(nw, grad);
  if (!(N->grad0 > 0))
    N->grad0 = gnorm;
  for (int k = 0; k < nw; k++)
    b[k] = -grad[k];
  const double forcing = fmin(0.5, sqrt(gnorm / N->grad0));
  return lm_cg_solve(N, W, b, forcing, 0, dw, b + nw, err);
}

/* Exchange a selected batch and the full data (problems/glm_*.c), forgetting the probabilities cached
 * for the rows in use: called in pairs around exact and constants. */
static void lm_swap_full(logreg_multi *M)
{
  hg_glm_swap_full(&M->glm);
  M->P_valid = 0;
}

/* The sample ops (hgbench.h): glm_sample.c gathers the rows, and the classes follow them. */
static int logreg_multi_select(void *self, int which, int count, const int *idx,
                               hg_error *err)
{
  logreg_multi *M = self;
  const int part = which == HG_SAMPLE_UPPER;
  const int *all = part ? M->cls_val : M->cls;
  int status = hg_glm_select(&M->glm, which, count, idx, err);

  if (status != HG_OK)
    return status;
  for (int i = 0; i < count; i++)
    M->cls_b[part][i] = all[idx[i]];
  M->P_valid = 0;
  return HG_OK;
}

/*
 * Exact reference (DESIGN §3).  W* by Newton from W = 0 (hg_newton, newton.c) until
 * ||dW|| <= 1e-14 (1 + ||W||) or ||grad g|| <= 1e-13 ||grad g(0)||: for n_w <= 2000 (solve=auto,
 * when forming H costs <= 1e9 multiply-adds) with the dense Hessian and LAPACK's Cholesky, the
 * adjoint v = H(W*)^{-1} grad_W E(W*) by the same factor at W*; above that (or solve=cg) by
 * Newton-CG (hg_cg on Hessian-vector products, forcing min(1/2, sqrt(||grad||/||grad_0||))),
 * and the adjoint by CG to relative residual 1e-13: the reference is then an iterative solve
 * to that accuracy.  Then grad f = -(d_W d_theta g)^T v: grad_t = -sum_{entries i of theta_t}
 * lam_i W*_i v_i (grad_theta E = 0).
 */
static int logreg_multi_exact(void *self, const double *theta, double *wstar, double *grad,
                              hg_error *err)
{
  static const hg_newton_ops newton = {.f = lm_newton_value, .direction = lm_newton_direction,
                                       .gtol = HG_LM_GRAD_TOL};
  logreg_multi *M = self;
  const int nw = M->nw;
  lm_newton N = {M, lm_lam(M, theta), NULL, 0.0};
  double *v = M->work + 3 * (size_t)nw; /* the adjoint right-hand side, then v */
  int status = HG_OK;

  lm_swap_full(M); /* the full problem, whatever batch is selected */
  hg_zero(nw, wstar);
  status = hg_newton(lm_name, nw, &newton, &N, wstar, M->work, err);
  if (status != HG_OK)
    goto done;

  logreg_multi_upper(M, wstar, theta, M->work, NULL);
  if (M->cholesky) {
    hg_copy(nw, M->work, v);
    status = lm_factor(M, N.lam, wstar, err);
    if (status == HG_OK)
      status = hg_dense_chol_solve(lm_name, "Hessian", nw, M->H, v, err);
  } else {
    status = lm_cg_solve(&N, wstar, M->work, HG_LM_ADJOINT_TOL, 1, v, v + nw, err);
  }
  if (status != HG_OK)
    goto done;
  lm_theta_reduce(M, N.lam, wstar, v, -1.0, grad);

done:
  lm_swap_full(M);
  return status;
}

/* ------------------------------------------------------------------------------------------ */
/* Constants, describe                                                                         */
/* ------------------------------------------------------------------------------------------ */

/*
 * Constants (DESIGN §7), bounds.  S(z) = diag(p) - p p^T <= 1/2 I (Böhning), so
 * H(W) <= (||X||_2^2 / (2n)) I + diag(lam):  L = ||X||_2^2 / (2n) + max lam, mu = min lam,
 * q = max(|1 - eta mu|, |1 - eta L|), kappa = L/mu.  Global Lipschitz constants in W (Grazzi et
 * al. 2020, §2):
 *   <V, (H(W) - H(W')) V> = (1/n) sum_i (V^T x_i)^T (S(z_i) - S(z'_i)) (V^T x_i), and
 *   ||S(z) - S(z')|| <= c3 ||z - z'||, ||z_i - z'_i|| <= ||W - W'||_F ||x_i|| (c3 = 1/sqrt 2,
 *   HG_SOFTMAX_CURV, losses.h):  nu1 = eta c3 (||X||_2^2 / n) max_i ||x_i||;
 *   d_theta Phi = -eta diag(lam .* W) summed by theta's entries:  nu2 = eta max lam;
 *   grad_W E has Hessian (1/n') sum x'x'^T (x) S' <= ||X'||_2^2 / (2n'):  mu1 = ||X'||^2/(2n');
 *   grad_theta E = 0:  mu2 = 0.
 */
static int logreg_multi_constants(void *self, const double *theta, hg_constants *c,
                                  hg_error *err)
{
  logreg_multi *M = self;
  hg_glm *G = &M->glm;
  const double *lam = lm_lam(M, theta);
  double lam_min = lam[0], lam_max = lam[0];
  const int n = hg_glm_n_items(M, HG_SAMPLE_LOWER), n_val = hg_glm_n_items(M, HG_SAMPLE_UPPER);

  (void)err;
  for (int k = 1; k < M->nw; k++) {
    lam_min = fmin(lam_min, lam[k]);
    lam_max = fmax(lam_max, lam[k]);
  }
  hg_constants_unknown(c);
  c->step = G->eta;
  c->mu = lam_min;
  c->L = 0.5 * M->train_norm2 / n + lam_max;
  c->q = fmax(fabs(1.0 - G->eta * c->mu), fabs(1.0 - G->eta * c->L));
  c->kappa = c->L / c->mu;
  c->nu1 = G->eta * HG_SOFTMAX_CURV * (M->train_norm2 / n) * M->max_row;
  c->nu2 = G->eta * lam_max;
  c->mu1 = 0.5 * M->val_norm2 / n_val; /* the full means' sizes */
  c->mu2 = 0.0;
  c->exact_mu_L = 0;
  return HG_OK;
}

static void logreg_multi_describe(const void *self, char *buf, size_t len)
{
  const logreg_multi *M = self;
  const hg_glm *G = &M->glm;
  static const char *const regs[] = {"per-feature", "per-class", "scalar"};
  char nnz[48] = "";

  if (G->X->sparse)
    snprintf(nnz, sizeof nnz, " (nnz %ld)", (long)G->X->rowptr[G->X->rows]);
  snprintf(buf, len, "%s%strain %d x %d %s%s, val %d x %d %s%s; %d classes (%d labels seen); "
           "reg %s (m = %d); n_w = %d; step %.6g; exact by %s", G->source,
           G->source[0] ? ": " : "", G->n, G->d, G->X->sparse ? "CSR" : "dense", nnz, G->n_val,
           G->d, G->X_val->sparse ? "CSR" : "dense",
           G->intercept ? " (last column: intercept)" : "", M->C, M->n_seen, regs[M->reg], M->m,
           M->nw, G->eta, M->cholesky ? "Newton + dense Cholesky" : "Newton-CG + CG");
}

const hg_problem_ops hg_problem_logreg_multi = {
  .version = HG_OPS_VERSION,     /* ops layout this table was written for */
  .name = "logreg-multi",                /* registry name */
  .summary = "multinomial logistic regression, weights e^theta, sparse data (DESIGN §3)",
  .params = logreg_multi_params,         /* data files, reg, step, classes, solve, synthetic */
  .create = logreg_multi_create,         /* reads or draws the data, labels to classes */
  .destroy = logreg_multi_destroy,       /* frees the state */
  .theta0 = hg_glm_theta0,               /* -1 broadcast */
  .phi = logreg_multi_phi,               /* W - eta grad_W g */
  .jvp_w = logreg_multi_jvp_w,           /* V - eta (H_loss V + lam .* V) */
  .vjp_w = logreg_multi_jvp_w,           /* the same: the Hessian is symmetric */
  .jvp_w_block = logreg_multi_jvp_w_block, /* a block of tangents: two dgemm per 32 */
  .vjp_theta = logreg_multi_vjp_theta,   /* -eta lam .* W .* v, summed by theta's entries */
  .upper = logreg_multi_upper,           /* validation cross-entropy */
  .jvp_theta = logreg_multi_jvp_theta,   /* -eta lam .* W .* u (broadcast) */
  .exact = logreg_multi_exact,           /* Newton (Cholesky or CG), then the adjoint solve */
  .constants = logreg_multi_constants,   /* bounds: L, mu from e^theta, ||X||^2/(2n); nu, mu */
  .describe = logreg_multi_describe,     /* data sizes, classes, reg, step, solver */
  .symmetric = 1,                        /* d_W Phi = I - eta H(W) */
  .n_items = hg_glm_n_items,             /* training rows (Phi), validation rows (E) */
  .select = logreg_multi_select,         /* the rows (problems/glm_*.c) and their classes */
  .revision = 1,                       /* bump when this problem's numbers change */
  .display = "multinomial logistic regression", /* legends and tables */
};

/*
 * glm.h -- private to problems/: what ridge.c and logreg.c share (DESIGN §3).
 *
 * Both are regularized linear models on data (X, y) (train, n x d) and (X', y') (validation,
 * n' x d) with weights e^theta (theta in R^m, m = d per feature or m = 1 scalar) and the map
 *
 *     Phi(w, theta) = w - eta (grad_w loss(w) + e^theta .* w),
 *
 * eta a fixed number per instance.  This header gives the pieces written once: the parameter
 * schema entries, data loading (files or seeded synthetic data), e^theta, the d_theta Phi
 * products, the step, the Cholesky scaffolding of the exact solves and the constants.  The
 * data-file part (HG_GLM_FILE_PARAMS, hg_glm_read_files) also serves kernel_ridge.c and
 * poison.c, the data loading (hg_glm_load) and the norm bounds also logreg_multi.c, and the
 * class indices of file labels (hg_glm_classes) poison.c and logreg_multi.c.
 *
 * A plugin's state begins with an hg_glm (first member), so the shared ops below take the
 * plugin's `void *self` directly.
 *
 * One header, five files by concern: glm_data.c (parameters, files, data=, synthetic data,
 * classes, init and release, describe), glm_sample.c (the sample ops' batches), glm_map.c
 * (e^theta, the step, the d_theta Phi products, hg_rows_pass), glm_solve.c (Cholesky and the
 * exact hypergradient) and glm_constants.c (eigenvalue extremes, norms, constants, the step).
 */
#ifndef HG_GLM_H
#define HG_GLM_H

#include "hgbench.h"

#include <cholmod.h>
#include <float.h>
#include <limits.h>

/* The schema entries of the data files (hg_glm_read_files), shared by every problem that
 * reads a train/validation pair (ridge, logreg, logreg-multi, kernel-ridge, poison). */
#define HG_GLM_FILE_PARAMS                                                                    \
  {"train", HG_PARAM_STRING, NULL, 0, 0, NULL,                                                \
   "training data file, LIBSVM/CSV/Matrix Market (absent: seeded synthetic data)"},           \
  {"val", HG_PARAM_STRING, NULL, 0, 0, NULL, "validation data file (required with train=)"}, \
  {"format", HG_PARAM_CHOICE, "auto", 0, 0, "auto|libsvm|csv|mm", "format of the files"},    \
  {"label", HG_PARAM_STRING, NULL, 0, 0, NULL,                                                \
   "label column of CSV / Matrix Market files, number or header name (default: first)"},    \
  {"features", HG_PARAM_INT, "0", 0, INT_MAX - 1, NULL,                                       \
   "feature count d (0: the largest index seen in train and val)"}

/* The schema entries of the real data set (DESIGN §3 "Real data", hg_glm_read_dataset), shared
 * by every data-driven problem (ridge, logreg, logreg-multi, kernel-ridge, poison,
 * equilibrium); n=, n_val=, seed= and classes= (HG_GLM_CLASSES_PARAM) are shared with the
 * synthetic data and sit in each plugin's own schema. */
#define HG_GLM_DATASET_PARAMS                                                                 \
  {"data", HG_PARAM_CHOICE, NULL, 0, 0, "fashion-mnist",                                      \
   "real data: Fashion-MNIST from Debian's dataset-fashion-mnist, n= + n_val= examples "      \
   "chosen by seed= (absent: train= files or synthetic data)"},                               \
  {"split", HG_PARAM_CHOICE, "train", 0, 0, "train|test",                                     \
   "data=: the split the training and validation examples come from"},                        \
  {"downsample", HG_PARAM_INT, NULL, 1, INT_MAX, NULL,                                        \
   "data=: image side after area averaging, e.g. 14 or 7 (default: 28, as stored)"},          \
  {"normalize", HG_PARAM_CHOICE, "unit", 0, 0, "unit|standardize",                            \
   "data=: pixels in [0, 1], or per pixel by the training part's mean and deviation"},        \
  {"path", HG_PARAM_STRING, NULL, 0, 0, NULL,                                                 \
   "data=: folder of the IDX files (default " HG_FASHION_MNIST_DIR ")"}

/* classes=, one entry with two meanings: with data=fashion-mnist the classes taken (a list,
 * "0,6"; default all ten), otherwise the number of classes C of the plugin's own data (def,
 * read by hg_glm_class_count; def NULL and synthetic_help saying so for a plugin without one,
 * whose classes= then needs data=: hg_glm_classes_need_data). */
#define HG_GLM_CLASSES_PARAM(def, synthetic_help)                                             \
  {"classes", HG_PARAM_STRING, def, 0, 0, NULL,                                               \
   "with data=: the classes taken, e.g. 0,6 (default all ten); otherwise " synthetic_help}

/* The parameter schema entries shared by ridge and logreg, in order (DESIGN §3); use them
 * inside a plugin's hg_param_spec array, then its own entries and the NULL terminator. */
#define HG_GLM_PARAMS                                                                         \
  HG_GLM_FILE_PARAMS,                                                                         \
  HG_GLM_DATASET_PARAMS,                                                                      \
  HG_GLM_CLASSES_PARAM(NULL, "an error (no classes without data=)"),                          \
  {"intercept", HG_PARAM_INT, "0", 0, 1, NULL, "1: append a column of ones (penalized)"},     \
  {"reg", HG_PARAM_CHOICE, "per-feature", 0, 0, "per-feature|scalar",                         \
   "weights e^theta per feature (m = d) or one weight on all (m = 1)"},                       \
  {"step", HG_PARAM_REAL, NULL, DBL_MIN, DBL_MAX, NULL,                                        \
   "step eta of Phi (default 1/L at theta0)"},                                                \
  {"storage", HG_PARAM_CHOICE, "auto", 0, 0, "auto|dense|sparse",                             \
   "auto: CSR unless half the entries or more are nonzero (then dense); or force dense or CSR"},                             \
  {"n", HG_PARAM_INT, "200", 1, INT_MAX, NULL,                                                \
   "synthetic or data=: training examples"},                                                  \
  {"n_val", HG_PARAM_INT, "100", 1, INT_MAX, NULL,                                            \
   "synthetic or data=: validation examples"},                                                \
  {"d", HG_PARAM_INT, "10", 1, INT_MAX - 1, NULL, "synthetic: features"},                     \
  {"density", HG_PARAM_REAL, "1", DBL_MIN, 1, NULL,                                           \
   "synthetic: fraction of nonzero entries (< 1 gives CSR data)"},                            \
  {"noise", HG_PARAM_REAL, "0.1", 0, DBL_MAX, NULL, "synthetic: label noise level"},          \
  {"seed", HG_PARAM_INT, "0", 0, 9007199254740992.0, NULL,                                    \
   "synthetic: generator seed; data=: which examples"}

/* Eigenvalue extremes of a d x d Hessian are computed densely (dsyevr) up to this d, by
 * Lanczos beyond it. */
#define HG_GLM_DENSE_EIG_MAX 2000
/* Lanczos steps at most (memory: this many vectors of d). */
#define HG_GLM_LANCZOS_MAXIT 400

/* One mean of a plugin (the training rows, or the validation rows) restricted to a batch by
 * the sample ops (hgbench.h hg_problem_ops.select): while a batch is selected, the plugin's
 * X, y, n are the gathered batch rows (so every callback evaluates the batch mean unchanged)
 * and the full data wait here. */
typedef struct hg_glm_batch {
  hg_matrix *X_all;      /* the full rows while a batch is selected (NULL: none selected) */
  double *y_all;
  int n_all;
  hg_matrix *Xb;         /* the gathered rows (owned; room for cap_rows rows, cap_nnz entries) */
  double *yb;
  int cap_rows;
  long cap_nnz;
  int *idx;              /* the selected rows, count of them (owned, room for cap_rows) */
  int count;
} hg_glm_batch;

/* The shared state (all pointers owned). */
typedef struct hg_glm {
  const char *name;      /* "ridge", "logreg", "logreg-multi" (static), for messages */
  char source[160];      /* "synthetic (seed 0)", "train / val" files, or data='s description */
  hg_matrix *X, *X_val;  /* train n x d, validation n' x d */
  double *y, *y_val;     /* labels (logreg: mapped to +-1) */
  int n, n_val, d, m;
  int scalar;            /* reg=scalar: m = 1, weight e^theta_0 on every coordinate */
  int intercept;         /* 1: the last column is the appended ones */
  double eta;            /* Phi's fixed step */
  /* e^theta per coordinate, cached for the last theta seen. */
  double *lam, *lam_theta;
  int lam_valid;
  /* Scratch for the callbacks (they never allocate). */
  double *r_n, *s_n;     /* n each */
  double *r_val;         /* n' */
  double *r_d;           /* d */
  /* Extremes of the Hessian bound used by constants(), cached for the last theta. */
  double *c_theta;
  int c_valid;
  double c_mu, c_L;
  int c_exact;           /* 1 when c_mu, c_L are eigenvalues (not Lanczos fallbacks) */
  /* >= ||X'||_2^2 = lambda_max(X'^T X') (hg_glm_norm2_sq at init): the Lipschitz constant of
   * grad_w E is this over n' (ridge) or 4 n' (logreg), DESIGN §7. */
  double val_norm2;
  /* CHOLMOD's workspace for this instance (started at create, finished at destroy). */
  cholmod_common cc;
  int cc_on;
  size_t mem_cap;        /* the memory cap it was created under (hg_params_mem_cap; 0: none),
                            for the factorizations exact() makes later */
  /* The sample ops' batches: [0] the training mean (Phi), [1] the validation mean (E). */
  hg_glm_batch batch[2];
  int swapped;           /* 1 between the two calls of hg_glm_swap_full */
} hg_glm;

/* The data files of DESIGN §3 for problem `name` (messages), schema HG_GLM_FILE_PARAMS and
 * HG_GLM_DATASET_PARAMS.  With data= given: hg_glm_read_dataset (labels the class numbers
 * 0..9).  With train= given: read train= and val= (format=, label=) with hg_data_read into
 * X, y (n x d) and X_val, y_val (n' x d), both padded to the common d (features=, which may
 * not be smaller, or the largest feature index seen); a key of synth_keys (the caller's
 * synthetic-only keys, NULL-terminated) given alongside train= is an error, and so are the
 * data-set keys.  With neither: val=, format=, label=, features= and the data-set keys given
 * are errors, and otherwise HG_OK with *X = NULL (the caller draws synthetic data).  source
 * (len bytes) gets the data set's description or "train / val" (untouched when synthetic).
 * On failure every output is NULL. */
int hg_glm_read_files(const char *name, const hg_params *p, const char *const *synth_keys,
                      hg_matrix **X, double **y, hg_matrix **X_val, double **y_val,
                      char *source, size_t len, hg_error *err);

/* data=fashion-mnist (DESIGN §3 "Real data") for problem `name`, into ds (hg_fashion_mnist):
 * split=, n=, n_val= (0 when the schema has no n_val: the training part only), classes= when
 * given (the list taken), downsample=, normalize=, path=, seed=.  train=, the file keys and
 * the keys of synth_keys (NULL-terminated) other than n, n_val, classes and seed are errors
 * naming the key; the loader's errors come back prefixed with the problem. */
int hg_glm_read_dataset(const char *name, const hg_params *p, const char *const *synth_keys,
                        hg_dataset *ds, hg_error *err);

/* Without train=, the file keys val=, format=, label=, features= are errors naming the key. */
int hg_glm_no_file_keys(const char *name, const hg_params *p, hg_error *err);
/* Without data=, the data-set keys split=, downsample=, normalize=, path= are errors naming
 * the key. */
int hg_glm_no_dataset_keys(const char *name, const hg_params *p, hg_error *err);

/* The number of classes C from classes= when it is a count (without data=): an integer in
 * [lo, hi] with the messages of an INT key ("problem 'poison': classes=1 is outside [2,
 * 100000]"); a list ("0,6") is an error saying it needs data=. */
int hg_glm_class_count(const char *name, const hg_params *p, long lo, long hi, int *C,
                       hg_error *err);
/* For a plugin whose own data has no classes (ridge, logreg, kernel-ridge): classes= given
 * without data= is an error naming the key. */
int hg_glm_classes_need_data(const char *name, const hg_params *p, hg_error *err);

/* Class indices of labels read from files or data= (DESIGN §3): every label of y (n, the
 * training part) and y_val (n', the validation part; n' may be 0) must be an integer; the
 * distinct labels of both together, in increasing order, are the classes 0..*seen-1, and *cls
 * (n), *cls_val (n', NULL when n' = 0) are allocated with each example's class.  Fewer than
 * 2 distinct labels is an error.  On failure *cls and *cls_val are NULL. */
int hg_glm_classes(const char *name, const hg_params *p, const double *y, int n,
                   const double *y_val, int n_val, int **cls, int **cls_val, int *seen,
                   hg_error *err);

/* storage=auto (DESIGN §3 "Storage"): CSR data with at least this fraction of nonzero entries is
 * stored densely.  Measured (hgbench bench, ridge gram=no and logreg, itd, one thread): dense
 * is faster from density 0.2-0.35 on (0.2 at 2000 x 200, in cache; 0.35 at 5000 x 500, from
 * memory) and 1.3-1.6x faster at 0.5; CSR reads 12 bytes a stored entry against dense's 8 and
 * gathers.  0.5 keeps the synthetic CSR data of the tests (density 0.3, 0.4) CSR. */
#define HG_DENSE_DENSITY 0.5
/* 1 when storage=auto stores X densely: X is CSR with nnz >= HG_DENSE_DENSITY rows cols, and
 * the dense copy fits (hg_matrix_dense_ok, and beside the CSR copy under mem_cap, 0: none). */
int hg_glm_auto_dense(const hg_matrix *X, size_t mem_cap);

/* Synthetic data for G from p (G->name set): fills G->X, G->y, G->X_val, G->y_val, G->source. */
typedef int (*hg_glm_synth)(hg_glm *G, const hg_params *p, hg_error *err);
/* The data part of hg_glm_init (DESIGN §3), for plugins with their own labels and state: zero
 * G, read the files or data= (hg_glm_read_files; d=, density=, noise= refused with either,
 * n= and n_val= with files) or call synth, append the intercept (intercept=), convert
 * storage= (dense|sparse, or auto: hg_glm_auto_dense), set n, n_val, d; labels stay as read.  p's schema has
 * HG_GLM_FILE_PARAMS, HG_GLM_DATASET_PARAMS, intercept= and storage=.  On failure G is
 * released. */
int hg_glm_load(hg_glm *G, const hg_params *p, const char *name, hg_glm_synth synth,
                hg_error *err);
/* hg_glm_load with the seeded synthetic generator of ridge and logreg (classes= only with
 * data=), then map labels to +-1 when logistic (above 0 -> +1; with data= above the smallest
 * class seen -> +1), set reg= (m), allocate the scratch and start CHOLMOD.  name is the problem's
 * (static) name for messages.  On failure G is released. */
int hg_glm_init(hg_glm *G, const hg_params *p, const char *name, int logistic, hg_error *err);
/* One seeded synthetic set of `rows` examples (DESIGN §3): per row, for each of d features,
 * x_ij ~ N(0,1) kept with probability density (a uniform draw decides, only when density < 1),
 * then y_i = x_i^T w_true + noise N(0,1) (w_true NULL: y_i = noise N(0,1), the same draws).
 * density < 1 gives CSR, density = 1 dense. */
int hg_glm_synthetic_rows(const hg_glm *G, hg_rng *rng, int rows, int d, double density,
                          double noise, const double *w_true, hg_matrix **X, double **y,
                          hg_error *err);

/* The sample ops (hgbench.h; self begins with an hg_glm): the items are the training rows
 * (HG_SAMPLE_LOWER: g's mean loss, so Phi's gradient is the batch mean) and the validation
 * rows (HG_SAMPLE_UPPER: E's mean).  select gathers the rows idx[0..count) into the batch and
 * points X, y, n (or X_val, y_val, n_val) at it; count = 0 puts the full data back.  An index
 * outside [0, n) is an error naming it (the selection is then unchanged). */
int hg_glm_n_items(const void *self, int which);
int hg_glm_select(void *self, int which, int count, const int *idx, hg_error *err);
/* 1 when the callbacks of mean `part` (0 training, 1 validation) see a selected batch (a
 * batch is selected and hg_glm_swap_full has not put the full rows in). */
int hg_glm_batched(const hg_glm *G, int part);
/* The rows selected for `which` (NULL when the full mean is in use) and their count. */
const int *hg_glm_selected(const hg_glm *G, int which, int *count);
/* Exchange the selected batches and the full data (a no-op without a selection): called in
 * pairs around code that must see the full problem (exact, constants, describe). */
void hg_glm_swap_full(hg_glm *G);

/* Put the full data back and free the batches of the sample ops (hg_glm_release calls it). */
void hg_glm_batches_free(hg_glm *G);

/* Free what hg_glm_init allocated (G itself is the caller's). */
void hg_glm_release(hg_glm *G);

/* Set G->eta: step= when given, else 1/L(theta0) with L from hg_glm_extremes(s, gram). */
int hg_glm_init_step(hg_glm *G, const hg_params *p, double s, const double *gram,
                     hg_error *err);

/* e^theta as d weights (theta_0 broadcast when scalar), recomputed only when theta changes. */
const double *hg_glm_lam(hg_glm *G, const double *theta);

/* out = w - eta (grad + lam .* w): the gradient step Phi given grad_w loss. */
void hg_glm_step(const hg_glm *G, const double *w, const double *lam, const double *grad,
                 double *out);

/* ops slots shared verbatim (self is a plugin state beginning with an hg_glm). */
void hg_glm_theta0(const void *self, double *theta);
void hg_glm_vjp_theta(void *self, const double *w, const double *theta, const double *v,
                      double *out);
void hg_glm_jvp_theta(void *self, const double *w, const double *theta, const double *u,
                      double *out);

/* A Cholesky factorization of H = s Xs^T Xs + diag(e^theta): LAPACK when Xs is dense,
 * CHOLMOD when it is CSR. */
typedef struct hg_glm_chol {
  int d;
  double *H;           /* dense: upper Cholesky factor, row-major d x d (owned) */
  cholmod_factor *L;   /* sparse: CHOLMOD's factor (owned) */
  cholmod_common *cc;  /* borrowed from the hg_glm */
} hg_glm_chol;

/* The CSR matrix X seen by CHOLMOD as the CSC of X^T (a view: no copy, nothing to free). */
void hg_csr_cholmod_view(const hg_matrix *X, cholmod_sparse *At);

/* Factor H = s Xs^T Xs + diag(lam) into F (zeroed by the caller).  gram, when not NULL and Xs
 * is dense, is s Xs^T Xs already formed (d x d). */
int hg_glm_chol_factor(hg_glm *G, const hg_matrix *Xs, double s, const double *gram,
                       const double *lam, hg_glm_chol *F, hg_error *err);
/* b <- H^{-1} b. */
int hg_glm_chol_solve(hg_glm *G, hg_glm_chol *F, double *b, hg_error *err);
void hg_glm_chol_free(hg_glm_chol *F);

/* The common tail of both exact solves (DESIGN §1): v = H^{-1} grad_w E(w*) with gw holding
 * grad_w E(w*) on entry (v on exit), then grad_j = -e^theta_j w*_j v_j per feature or
 * grad = -e^theta (w* . v) scalar (grad_theta E = 0). */
int hg_glm_hypergrad(hg_glm *G, hg_glm_chol *F, const double *theta, const double *wstar,
                     double *gw, double *grad, hg_error *err);

/* lambda_min, lambda_max of s X^T X + diag(e^theta) (gram = s X^T X when not NULL).  *exact
 * is 1 when both are eigenvalues to 1e-10, 0 when Lanczos stopped at HG_GLM_LANCZOS_MAXIT
 * steps and a bound stands in: lambda_min >= min e^theta, lambda_max <= s ||X||_F^2 +
 * max e^theta. */
int hg_glm_extremes(hg_glm *G, const double *theta, double s, const double *gram,
                    double *lambda_min, double *lambda_max, int *exact, hg_error *err);

/* An upper bound on ||X||_2^2 = lambda_max(X^T X), from the smaller of X^T X and X X^T
 * (same nonzero spectrum): its dsyevr maximum when that order is <= HG_GLM_DENSE_EIG_MAX (exact
 * to rounding), else the Lanczos Ritz value plus its residual bound (tol 1e-10), or
 * ||X||_F^2 when Lanczos stops at HG_GLM_LANCZOS_MAXIT steps first.  gram, when not NULL, is
 * s X^T X already formed (cols x cols, s > 0) and is used instead. */
int hg_glm_norm2_sq(hg_glm *G, const hg_matrix *X, const double *gram, double s, double *out,
                    hg_error *err);
/* max_i ||x_i||, the largest Euclidean norm of a row of X. */
double hg_glm_max_row_norm(const hg_matrix *X);

/* Constants at theta (DESIGN §7), cached by theta: L = lambda_max(s X^T X + diag(e^theta)),
 * mu = its lambda_min when exact (ridge) or min_j e^theta_j (a bound: logreg),
 * q = max(|1 - eta mu|, |1 - eta L|), kappa = L/mu; the Lipschitz constants both share,
 * nu2 = eta max_j e^theta_j (of d_theta Phi) and mu2 = 0 (grad_theta E = 0); nu1 and mu1 are
 * the plugin's to fill, L_Phi and L_E stay NAN (the harness measures them at w*). */
int hg_glm_constants(hg_glm *G, const double *theta, double s, const double *gram, int exact,
                     hg_constants *c, hg_error *err);

/* Rows of a block of the dense data kept in cache between the two products of one pass. */
#define HG_ROWS_BLOCK 32

/* Turns the first k_out columns of Z (rows x k_in, row-major, leading dimension ldz = k_in),
 * the products of rows i0 .. i0 + rows - 1 of X, into the coefficients R of those rows. */
typedef void (*hg_rows_fn)(void *ctx, int i0, int rows, int ldz, double *Z);

/*
 * One pass over a dense n x d X (row-major) for the softmax models' Phi and Hessian products:
 * G = alpha X^T R with R = f(X A) row by row.  Per block of HG_ROWS_BLOCK rows X_B (fewer
 * when d > 512: about 128 KiB, kept in cache between its two uses): Z_B = X_B A (k_in
 * columns, column c of A at a[c] with stride a_inc: one dgemv each), f(ctx, i0, rows, k_in,
 * Z_B), then column c < k_out of G (at g[c], stride g_inc, zeroed first) += alpha X_B^T
 * (column c of Z_B), one dgemv each (k_out = 0: f only).  Column c of Z_B depends only on X_B and A's column c, whatever k_in.  X is read once
 * from memory and never packed (dgemm on C = 2 columns copies all of X twice per call).
 * Z: HG_ROWS_BLOCK k_in doubles of scratch; f may be NULL (R = X A).
 */
void hg_rows_pass(const double *X, int n, int d, int k_in, const double *const *a, int a_inc,
                  hg_rows_fn f, void *ctx, int k_out, double alpha, double *const *g, int g_inc,
                  double *Z);

/* hg_rows_pass on an hg_matrix, dense or CSR (DESIGN §3): G = alpha X^T f(X A),
 * X read once from memory per call (a CSR block of rows is read twice, the second time from
 * cache); f may be NULL (R = X A).  Allocates nothing. */
void hg_glm_pass(const hg_matrix *X, int k_in, const double *const *a, int a_inc, hg_rows_fn f,
                 void *ctx, int k_out, double alpha, double *const *g, int g_inc, double *Z);

/* Rows of dense data scaled and added per dsyrk by hg_glm_gram_weighted. */
#define HG_GRAM_ROWS 256

/* H = sum_i c_i x_i x_i^T over the rows of X (all c_i >= 0): d x d, both triangles,
 * row-major.  Dense: blocks of HG_GRAM_ROWS rows scaled by sqrt(c_i) into work
 * (HG_GRAM_ROWS d doubles), one dsyrk each; CSR: each row's pairs of stored columns (work
 * unused, may be NULL).  Allocates nothing. */
void hg_glm_gram_weighted(const hg_matrix *X, const double *c, double *H, double *work);

/* The cost model of a formed Hessian (logreg's hessian=, ridge's gram=): forming X^T D X
 * costs about this many Hessian-vector products through X.  Dense: n d^2 flops of dsyrk at
 * HG_GEMM_RATE against 8 n d bytes read at HG_READ_RATE; CSR: sum_i nnz_i^2 scalar updates at
 * HG_SCATTER_RATE against 12 nnz bytes.  The rates are this machine class's (bench --limits
 * measures them); only their ratios matter. */
#define HG_READ_RATE 10e9    /* bytes/s, one core streaming */
#define HG_GEMM_RATE 30e9    /* flop/s, dsyrk on one core */
#define HG_SCATTER_RATE 1e9  /* updates/s, CSR outer products */
double hg_glm_form_cost(const hg_matrix *X);

/* "train 40 x 6 CSR (nnz 190), val 30 x 6 CSR; reg per-feature (m = 6); step 0.25" then
 * extra (may be NULL). */
void hg_glm_describe(const hg_glm *G, const char *extra, char *buf, size_t len);

#endif /* HG_GLM_H */

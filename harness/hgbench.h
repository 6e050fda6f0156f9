/*
 * hgbench.h -- the one public header of hgbench.
 *
 * hgbench measures hypergradient methods for bilevel problems
 *
 *     minimize f(theta) = E(w*(theta), theta),  w*(theta) = Phi(w*(theta), theta)
 *
 * against exact references and theoretical bounds (../shared/DESIGN.md, copied in docs/).
 *
 * Conventions used by every function here:
 *   - Functions that can fail return an int status (enum hg_status, HG_OK == 0) and fill the
 *     caller's hg_error with one human sentence naming the culprit.  They never exit or print.
 *   - Whoever creates, destroys: hg_x_create() pairs with hg_x_destroy(hg_x **), which accepts
 *     NULL and sets the pointer to NULL.
 *   - Vectors are raw double arrays; w has n_w entries, theta n_theta entries.
 */
#ifndef HGBENCH_H
#define HGBENCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define HG_VERSION "0.1.0"

/* ------------------------------------------------------------------------------------------ */
/* Status codes and errors                                                                     */
/* ------------------------------------------------------------------------------------------ */

/* X(code, word written in results.tsv's status column (DESIGN §6), description) */
#define HG_STATUS_LIST(X)                                                        \
  X(HG_OK,              "ok",              "success")                           \
  X(HG_ERR_NOMEM,       "memory",          "out of memory")                     \
  X(HG_ERR_MEMCAP,      "memory",          "memory cap exceeded")               \
  X(HG_ERR_ARG,         "error",           "invalid argument")                  \
  X(HG_ERR_UNKNOWN,     "error",           "unknown name")                      \
  X(HG_ERR_IO,          "error",           "cannot read or write a file")       \
  X(HG_ERR_PARSE,       "error",           "malformed input")                   \
  X(HG_ERR_UNSUPPORTED, "error",           "not supported by this problem")     \
  X(HG_ERR_NUMERIC,     "error",           "numerical failure")                 \
  X(HG_ERR_NAN,         "nan",             "not-a-number produced")             \
  X(HG_ERR_DIVERGED,    "diverged",        "iteration diverged")                \
  X(HG_ERR_NONCONTRACT, "not-contractive", "map is not a contraction")          \
  X(HG_ERR_BREAKDOWN,   "breakdown",       "solver breakdown")                  \
  X(HG_ERR_BUDGET,      "budget",          "budget exhausted")

enum hg_status {
#define HG_X_(code, word, text) code,
  HG_STATUS_LIST(HG_X_)
#undef HG_X_
  HG_STATUS_COUNT
};

typedef struct hg_error {
  int status;     /* last status set, HG_OK when none */
  char msg[512];  /* one sentence naming the culprit */
} hg_error;

/* Set err (which may be NULL) to status and a printf-style message; return status. */
int hg_fail(hg_error *err, int status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* Reset err to HG_OK with an empty message. */
void hg_error_clear(hg_error *err);
/* The results.tsv word of a status ("ok", "nan", ...) and its description. */
const char *hg_status_word(int status);
const char *hg_status_text(int status);

/* ------------------------------------------------------------------------------------------ */
/* Parameters: a schema per plugin, validated key=value words                                  */
/* ------------------------------------------------------------------------------------------ */

typedef enum hg_param_type {
  HG_PARAM_INT,    /* decimal integer within [lo, hi] */
  HG_PARAM_REAL,   /* finite real within [lo, hi] */
  HG_PARAM_CHOICE, /* one of the '|'-separated words in .choices */
  HG_PARAM_STRING, /* any text (a file path, a list) */
} hg_param_type;

typedef struct hg_param_spec {
  const char *key;     /* the word before '=' */
  hg_param_type type;
  const char *def;     /* default as text; NULL: optional with no default */
  double lo, hi;       /* inclusive range for INT and REAL (lo == hi == 0: unbounded) */
  const char *choices; /* CHOICE only: "per-feature|scalar" */
  const char *help;    /* one line for `hgbench list` and the docs */
} hg_param_spec;       /* schemas are arrays ending with an entry whose key is NULL */

typedef struct hg_params hg_params; /* validated values of one schema (opaque) */

/* Parse words "key=value" against schema.  Unknown keys, repeated keys, values of the wrong
 * type or out of range are errors naming owner (e.g. "problem 'ridge'") and the key. */
int hg_params_parse(const hg_param_spec *schema, const char *owner, int nwords,
                    const char *const *words, hg_params **out, hg_error *err);
void hg_params_destroy(hg_params **p);
/* Value of key (which must be in the schema; default if not given). */
long hg_params_int(const hg_params *p, const char *key);
double hg_params_real(const hg_params *p, const char *key);   /* NAN when absent, no default */
const char *hg_params_str(const hg_params *p, const char *key); /* NULL when absent */
/* The value of key read as an INT within [lo, hi], checked as hg_params_parse checks an INT
 * entry (the same messages, naming owner and the key): for a STRING entry that holds a number
 * in one use and text in another (classes=: a count, or a list of classes).  A key with no
 * value (absent, no default) is an error naming it. */
int hg_params_int_in(const hg_params *p, const char *owner, const char *key, double lo,
                     double hi, long *out, hg_error *err);
/* 1 if the key was given explicitly. */
int hg_params_given(const hg_params *p, const char *key);
/* "key=value key=value" of the explicitly given keys in schema order (owned by p). */
const char *hg_params_text(const hg_params *p);

/* ------------------------------------------------------------------------------------------ */
/* Random numbers: xoshiro256** seeded by SplitMix64 (same stream on every platform)          */
/* ------------------------------------------------------------------------------------------ */

typedef struct hg_rng {
  uint64_t s[4];
} hg_rng;

void hg_rng_seed(hg_rng *r, uint64_t seed);
uint64_t hg_rng_next(hg_rng *r);
double hg_rng_uniform(hg_rng *r);  /* in [0, 1), 53 random bits */
double hg_rng_normal(hg_rng *r);   /* standard normal (Marsaglia polar method) */
/* x[0..count) = scale times successive standard normals. */
void hg_rng_normals(hg_rng *r, size_t count, double scale, double *x);

/* ------------------------------------------------------------------------------------------ */
/* Data matrices: dense row-major or CSR; sparse data stays sparse end to end                  */
/* ------------------------------------------------------------------------------------------ */

typedef struct hg_matrix {
  int rows, cols;
  int sparse;     /* 0: dense row-major val[rows*cols]; 1: CSR */
  long nnz;       /* stored entries (rows*cols when dense) */
  double *val;    /* dense values, or the nnz CSR values */
  int *rowptr;    /* CSR: rows+1 offsets into colind/val (NULL when dense) */
  int *colind;    /* CSR: 0-based column of each value, increasing within a row */
} hg_matrix;

/* A zeroed rows x cols matrix; for sparse, room for nnz entries (rowptr all 0). */
int hg_matrix_create(int rows, int cols, int sparse, long nnz, hg_matrix **out, hg_error *err);
void hg_matrix_destroy(hg_matrix **X);
/* A new copy of X stored densely (sparse=0) or as CSR (sparse=1), dropping exact zeros. */
int hg_matrix_convert(const hg_matrix *X, int sparse, hg_matrix **out, hg_error *err);
/* Grow X to cols columns (new columns zero); cols < X->cols is an error. */
int hg_matrix_set_cols(hg_matrix *X, int cols, hg_error *err);
/* Append a column of ones (the intercept). */
int hg_matrix_append_ones(hg_matrix *X, hg_error *err);
/* y = alpha * op(X) x + beta * y, op(X) = X (trans = 0) or X^T (trans = 1).  beta = 0
 * overwrites y (NaN in y is not propagated). */
void hg_matrix_gemv(const hg_matrix *X, int trans, double alpha, const double *x, double beta,
                    double *y);
/* G = scale * X^T X, dense cols x cols, full symmetric storage, row-major. */
void hg_matrix_gram(const hg_matrix *X, double scale, double *G);

/* Options for reading a data file. */
typedef struct hg_read_opts {
  const char *format;  /* "auto" (by extension/header), "libsvm", "csv" or "mm" */
  const char *label;   /* CSV / Matrix Market: label column, 1-based number or header name;
                          NULL = first column */
} hg_read_opts;

/* Read a data file into X (rows = examples, cols = largest feature index seen) and labels y
 * (X->rows entries).  LIBSVM (1-based indices) and Matrix Market coordinate files give CSR,
 * CSV and Matrix Market array files give dense.  Errors name the file and the line. */
int hg_data_read(const char *path, const hg_read_opts *opts, hg_matrix **X, double **y,
                 hg_error *err);

/* ------------------------------------------------------------------------------------------ */
/* Linear algebra shared by methods and problems                                               */
/* ------------------------------------------------------------------------------------------ */

/* out = A v for a linear operator given by a callback (ctx is the caller's). */
typedef void (*hg_linop)(void *ctx, const double *v, double *out);

double hg_dot(int n, const double *x, const double *y);
double hg_nrm2(int n, const double *x);
void hg_axpy(int n, double a, const double *x, double *y);   /* y += a x */
void hg_copy(int n, const double *x, double *y);
void hg_zero(int n, double *x);

/* Conjugate gradient for S x = b, S symmetric positive definite given by op, from x = x0
 * (x holds x0 on entry).  Stops after kmax iterations, when ||r|| <= tol (tol > 0), or at an
 * exactly zero residual (a clean stop, never a division by zero).  x holds the last updated
 * iterate.  work: 3 n doubles.  *k_used: iterations done; *res: final ||r||.
 * Returns HG_ERR_BREAKDOWN if p^T S p <= 0 (S not positive definite). */
int hg_cg(int n, hg_linop op, void *ctx, const double *b, double *x, int kmax, double tol,
          double *work, int *k_used, double *res, hg_error *err);

/* Restarted GMRES(restart) for A x = b, A any nonsingular operator given by op, from x = x0
 * (x holds x0 on entry; x0 = 0 costs no product).  Arnoldi with classical Gram-Schmidt done
 * twice, Givens rotations on the Hessenberg matrix; each cycle of at most `restart` steps ends
 * with x += V y and the true residual b - A x (one product) that starts the next cycle.
 * Stops after kmax Arnoldi steps (k_used counts these; the residual products are extra), at
 * an exactly zero residual or an exhausted Krylov space (a zero subdiagonal, or n steps in one
 * cycle: x is then exact up to rounding) -- clean stops, never a division by zero -- or, when
 * tol > 0, once the true residual ||b - A x|| <= tol (checked when the cycle's estimate |g_j+1|
 * reaches tol).  work: hg_gmres_work(n, restart) doubles.  *res: the last residual known (the
 * true one when it was computed last, else the estimate).  HG_ERR_NAN for a non-finite
 * residual, HG_ERR_BREAKDOWN for a singular least-squares matrix (A singular). */
int hg_gmres(int n, hg_linop op, void *ctx, const double *b, double *x, int kmax, int restart,
             double tol, double *work, int *k_used, double *res, hg_error *err);
/* Doubles of hg_gmres's work for n and restart m: the basis (m + 1) n, the Hessenberg matrix
 * (m + 1) m, rotations 2 m, the right-hand side and a Gram-Schmidt pass 2 (m + 1). */
size_t hg_gmres_work(int n, int restart);

/* Extreme eigenvalues of a symmetric operator of size n by Lanczos with full
 * reorthogonalization, each to tol relative to the largest magnitude (e.g. 1e-10), within
 * maxit steps (0: n).  Deterministic start from seed.  *converged (may be NULL) gets bit 1 when
 * lambda_min met tol, bit 2 for lambda_max; the values are then the current Ritz values.  With
 * converged NULL, missing tol within maxit is HG_ERR_BUDGET.  Memory: maxit vectors of n. */
int hg_lanczos_extremes(int n, hg_linop op, void *ctx, double tol, int maxit, uint64_t seed,
                        double *lambda_min, double *lambda_max, int *converged, hg_error *err);

/* Extreme eigenvalues of a dense symmetric n x n matrix (row-major, LAPACK dsyevr). */
int hg_sym_extremes(int n, const double *A, double *lambda_min, double *lambda_max,
                    hg_error *err);

/* ------------------------------------------------------------------------------------------ */
/* Grayscale images (harness/io/image.c): PGM and PNG files, synthetic images, noise               */
/* ------------------------------------------------------------------------------------------ */

#define HG_IMAGE_MAX_PIXELS (1 << 26)

typedef struct hg_image {
  int w, h;   /* width (columns) and height (rows) */
  double *px; /* h x w row-major, values in [0, 1] as read (noise may leave the range) */
} hg_image;

/* A zeroed w x h image (free with hg_image_free). */
int hg_image_create(int w, int h, hg_image *img, hg_error *err);
void hg_image_free(hg_image *img);
/* Read a PGM (P2 or P5, maxval up to 65535, 16-bit big-endian) or PNG (any colour type, to
 * 8-bit gray by libpng) file, recognized by its magic bytes; pixels scaled to [0, 1]
 * (value / maxval).  Errors name the file: unreadable, bad magic, malformed header, too
 * large, truncated data. */
int hg_image_read(const char *path, hg_image *img, hg_error *err);
/* Write a 16-bit binary PGM (values clamped to [0, 1]) through a temporary file and a rename. */
int hg_image_write_pgm(const char *path, const hg_image *img, hg_error *err);
/* The w x h window at column x0, row y0. */
int hg_image_crop(const hg_image *in, int x0, int y0, int w, int h, hg_image *out,
                  hg_error *err);
/* Resize to w x h by area averaging (exact block means for integer factors). */
int hg_image_resize(const hg_image *in, int w, int h, hg_image *out, hg_error *err);
/* A seeded synthetic test image: a smooth gradient, discs and rectangles of random grey
 * levels, one with a sinusoidal texture. */
int hg_image_synthetic(int w, int h, uint64_t seed, hg_image *out, hg_error *err);
/* Add Gaussian noise of standard deviation sigma from rng (values are not clipped). */
void hg_image_add_noise(hg_image *img, double sigma, hg_rng *rng);

/* ------------------------------------------------------------------------------------------ */
/* Real data (harness/io/dataset.c): IDX files and Fashion-MNIST from Debian                      */
/* ------------------------------------------------------------------------------------------ */

#define HG_IDX_MAX_DIMS 4
#define HG_FASHION_MNIST_DIR "/usr/share/datasets/fashion-mnist" /* dataset-fashion-mnist */

/* An IDX file (the MNIST format) of unsigned bytes. */
typedef struct hg_idx {
  int ndim;
  int dims[HG_IDX_MAX_DIMS];
  unsigned char *data; /* dims[0] x ... x dims[ndim-1], row-major, owned */
} hg_idx;

/* Read an IDX file, gzip-compressed or plain (zlib): the big-endian header is checked (magic,
 * element type 0x08, 1..4 dimensions, at most 2^31 bytes announced) before allocating; a bad
 * magic number, another element type, or a truncated header or body is an error naming the
 * file. */
int hg_idx_read(const char *path, hg_idx *x, hg_error *err);
void hg_idx_free(hg_idx *x);

/* Which examples of a data set, and how they are prepared. */
typedef struct hg_dataset_opts {
  const char *path;      /* folder of the IDX files (NULL: HG_FASHION_MNIST_DIR) */
  const char *split;     /* "train" (default) or "test" */
  long n, n_val;         /* training and validation examples, disjoint, from the split */
  const char *classes;   /* "0,6": those classes only (NULL: all ten) */
  int downsample;        /* side after area averaging (0: the images' own, 28) */
  const char *normalize; /* "unit" (pixels in [0, 1], default) or "standardize" (per pixel,
                            with the training part's mean and deviation) */
  uint64_t seed;         /* which examples: a seeded shuffle of the chosen classes' examples */
} hg_dataset_opts;

/* A data set as the problems take it: dense rows, one example each, labels the class number. */
typedef struct hg_dataset {
  hg_matrix *X, *X_val;  /* n x side^2 and n_val x side^2 (X_val NULL when n_val = 0) */
  double *y, *y_val;     /* the classes 0..9 */
  int side, classes;     /* image side after downsampling; number of classes chosen */
  char source[160];      /* for describe(): split, sizes, seed */
} hg_dataset;

/* Fashion-MNIST (60 000 training and 10 000 test images of 28 x 28, 10 classes) from the
 * installed package (or o->path): the examples of the chosen classes are shuffled by o->seed,
 * the first n are the training part and the next n_val the validation part (each kept in file
 * order).  A missing package is an error naming it. */
int hg_fashion_mnist(const hg_dataset_opts *o, hg_dataset *ds, hg_error *err);
void hg_dataset_free(hg_dataset *ds);

/* ------------------------------------------------------------------------------------------ */
/* Problem plugins (DESIGN §2.1)                                                               */
/* ------------------------------------------------------------------------------------------ */

/* Constants the bounds need at theta (DESIGN §7); NAN where unknown. */
typedef struct hg_constants {
  double step;   /* eta used by Phi */
  double mu, L;  /* strong convexity and smoothness of g(., theta) (bounds where not exact) */
  double q;      /* contraction constant of Phi(., theta), max(|1 - eta mu|, |1 - eta L|) */
  double kappa;  /* L / mu */
  double L_Phi;  /* >= ||d_theta Phi|| (along the relevant w) */
  double L_E;    /* >= ||grad_w E|| */
  double nu1, nu2; /* Lipschitz constants in w of d_w Phi, d_theta Phi */
  double mu1, mu2; /* Lipschitz constants in w of grad_w E, grad_theta E */
  int exact_mu_L;  /* 1 if mu and L are eigenvalues, 0 if bounds */
} hg_constants;

/* Fill c with NAN everywhere (exact_mu_L = 0). */
void hg_constants_unknown(hg_constants *c);

/* The training images of an imaging problem (borrowed from the instance), for plots. */
typedef struct hg_image_set {
  int N, w, h;                 /* N pairs of w x h images */
  const double *clean, *noisy; /* N w h each, image i at offset i w h, row-major */
} hg_image_set;

#define HG_PROBLEM_OPS_VERSION 1

/* Constants of a saddle-point lower level at theta (hg_saddle_ops.constants). */
typedef struct hg_saddle_constants {
  double mu_G;   /* strong convexity of G(., theta) */
  double mu_F;   /* strong convexity of F*(., theta) */
  double norm_K; /* >= ||K(theta)||_2 */
} hg_saddle_constants;

/*
 * The saddle-point structure of a lower level (DESIGN §2.1 "saddle"), for primal-dual methods
 * (piggyback):
 *
 *     min_w max_y  G(w, theta) + <K(theta) w, y> - F*(y, theta),
 *
 * w in R^{n_w} the problem's own lower variable (w* is also the fixed point of its Phi), y in
 * R^{n_y} the dual variable, G mu_G- and F* mu_F-strongly convex, so the saddle point
 * (w*, y*) is unique.  Every callback acts on the whole stacked w and y (a problem made of
 * independent blocks, images say, has a block-diagonal K) and never allocates.  The Jacobian of
 * a proximal map is symmetric (it is the Hessian of a Moreau envelope), so one Jacobian-vector
 * product serves both directions; at a kink of a piecewise-smooth prox the callback returns
 * one element of its generalized Jacobian (the problem documents which).  Methods reach these
 * through the counting wrapper (hg_saddle_K, ...).
 */
typedef struct hg_saddle_ops {
  /* n_y, the dual dimension. */
  int (*n_dual)(const void *self);
  /* mu_G, mu_F and a bound on ||K|| at theta. */
  void (*constants)(void *self, const double *theta, hg_saddle_constants *c);
  /* out (n_y) = K(theta) w. */
  void (*K)(void *self, const double *theta, const double *w, double *out);
  /* out (n_w) = K(theta)^T y. */
  void (*Kt)(void *self, const double *theta, const double *y, double *out);
  /* out = prox_{tau G}(v) = argmin_w G(w, theta) + ||w - v||^2/(2 tau) (n_w entries). */
  void (*prox_G)(void *self, const double *theta, double tau, const double *v, double *out);
  /* out = prox_{sigma F*}(v) = argmin_y F*(y, theta) + ||y - v||^2/(2 sigma) (n_y entries). */
  void (*prox_F)(void *self, const double *theta, double sigma, const double *v, double *out);
  /* out = d_v prox_{tau G}(v) d (out may be d). */
  void (*prox_G_jvp)(void *self, const double *theta, double tau, const double *v,
                     const double *d, double *out);
  /* out = d_v prox_{sigma F*}(v) d (out may be d). */
  void (*prox_F_jvp)(void *self, const double *theta, double sigma, const double *v,
                     const double *d, double *out);
  /* out (n_theta) = d_theta prox_{tau G}(v)^T d; NULL when G does not depend on theta. */
  void (*prox_G_vjp_theta)(void *self, const double *theta, double tau, const double *v,
                           const double *d, double *out);
  /* out (n_theta) = d_theta prox_{sigma F*}(v)^T d; NULL when F* does not depend on theta. */
  void (*prox_F_vjp_theta)(void *self, const double *theta, double sigma, const double *v,
                           const double *d, double *out);
  /* out (n_theta) = grad_theta <K(theta) x, y> (x n_w, y n_y entries): the derivative of the
   * bilinear form in the parameters of a learned K (a filter bank); returns 1, or 0 with out
   * untouched when this instance's K does not depend on theta.  NULL: K never does. */
  int (*K_vjp_theta)(void *self, const double *theta, const double *x, const double *y,
                     double *out);
} hg_saddle_ops;

typedef struct hg_problem_ops {
  int version;                 /* HG_PROBLEM_OPS_VERSION */
  const char *name;            /* registry name, e.g. "ridge" */
  const char *summary;         /* one line */
  const hg_param_spec *params; /* parameter schema */

  /* Build an instance from validated parameters: *self (owned by the instance), dimensions. */
  int (*create)(const hg_params *p, void **self, int *n_w, int *n_theta, hg_error *err);
  /* Free what create made (self may be NULL). */
  void (*destroy)(void *self);
  /* Default evaluation point theta0. */
  void (*theta0)(const void *self, double *theta);

  /* out = Phi(w, theta). */
  void (*phi)(void *self, const double *w, const double *theta, double *out);
  /* out = d_w Phi(w, theta) v. */
  void (*jvp_w)(void *self, const double *w, const double *theta, const double *v, double *out);
  /* out = d_w Phi(w, theta)^T v. */
  void (*vjp_w)(void *self, const double *w, const double *theta, const double *v, double *out);
  /* out (n_theta) = d_theta Phi(w, theta)^T v (v has n_w entries). */
  void (*vjp_theta)(void *self, const double *w, const double *theta, const double *v,
                    double *out);
  /* Returns E(w, theta); fills grad_w E and grad_theta E when not NULL. */
  double (*upper)(void *self, const double *w, const double *theta, double *gw, double *gtheta);

  /* Optional (NULL when absent) -------------------------------------------------------- */
  /* out (n_w) = d_theta Phi(w, theta) u (u has n_theta entries); forward-mode ITD. */
  void (*jvp_theta)(void *self, const double *w, const double *theta, const double *u,
                    double *out);
  /* w* and the exact hypergradient at theta (closed form or direct solve). */
  int (*exact)(void *self, const double *theta, double *wstar, double *grad, hg_error *err);
  /* Constants at theta for the step in use. */
  int (*constants)(void *self, const double *theta, hg_constants *c, hg_error *err);
  /* Extra lines for `hgbench info` (data sizes, storage); writes at most len bytes. */
  void (*describe)(const void *self, char *buf, size_t len);
  /* 1 if d_w Phi is symmetric (CG applies). */
  int symmetric;
  /* Optional: project theta in place onto the problem's feasible set of hyperparameters (a
   * constrained upper level, e.g. poison's L2 balls); NULL: theta is unconstrained.  The outer
   * loops call it after each step; hypergradient methods never do. */
  void (*project)(const void *self, double *theta);
  /* Optional: the training images of an imaging problem (w is then N images of w x h). */
  void (*images)(const void *self, hg_image_set *set);
  /* Optional: the saddle-point structure of the lower level (primal-dual methods); NULL when
   * the problem has none. */
  const hg_saddle_ops *saddle;
  /* Optional (DESIGN §2.1 sample), both or neither: mini-batches for stochastic methods (sid)
   * and stochastic outer loops (isgd).  Phi is a mean over items (training examples, images,
   * tasks) and so is E (validation examples, images); `which` is HG_SAMPLE_LOWER (Phi and its
   * Jacobian products) or HG_SAMPLE_UPPER (E and its gradients).  n_items gives the count of
   * the mean `which`.  select restricts that mean to the items idx[0..count) (count = 0: all
   * of them again), so that for idx drawn uniformly the restricted Phi (resp. E) is an
   * unbiased estimate of the full one: E over a batch is the batch mean; Phi over a batch
   * replaces the full mean of the lower gradient by the batch mean (a separable problem with
   * one block per item scales the chosen blocks' steps by n/count and leaves the others).  A
   * separable problem may also leave the blocks of items outside an UPPER selection unchanged
   * by Phi (E ignores them, so the hypergradient of the batch objective is the same) to save
   * work.  exact, constants, images and the saddle ops always describe the full problem.  The
   * problem copies idx; indices out of range are an error naming the index.  Use
   * hg_problem_select / hg_problem_sample. */
  int (*n_items)(const void *self, int which);
  int (*select)(void *self, int which, int count, const int *idx, hg_error *err);
} hg_problem_ops;

/* The two means a problem's sample ops restrict (hg_problem_ops.select). */
enum { HG_SAMPLE_LOWER = 1, HG_SAMPLE_UPPER = 2 };

/* The constants of DESIGN §7 for one run (from w0 at theta) and the derived c1, c2, c3. */
typedef struct hg_theory {
  hg_constants c; /* at theta; L_E and L_Phi hold over the ball ||w - w*|| <= D that every
                     iterate of the contraction stays in: ||grad_w E(w*)|| + mu1 D and
                     ||d_theta Phi(w*)|| + nu2 D */
  double D;       /* ||w0 - w*|| */
  double c1, c2, c3; /* c1 = (mu2 + mu1 L_Phi/(1-q)) D, c2 = (nu2 + nu1 L_Phi/(1-q)) L_E D,
                        c3 = L_E L_Phi/(1-q) */
  double kappa_lin;  /* condition number of I - d_w Phi^T used by CG's bound:
                        min(kappa, (1+q)/(1-q)) */
  int local;         /* 1: trajectory-local constants (hg_theory_local), 0: global */
} hg_theory;

/* Per-callback call counters (DESIGN §2.2). */
typedef struct hg_counts {
  long phi, jvp_w, vjp_w, vjp_theta, jvp_theta, upper;
} hg_counts;

/* Oracle calls: Phi and every Jacobian product (E's gradients are not counted). */
long hg_counts_oracle(const hg_counts *c);
/* Jacobian products only (the oracle calls less Phi's). */
long hg_counts_jacobian(const hg_counts *c);

/* A problem instance: the plugin's state behind the counting wrapper. */
typedef struct hg_problem {
  const hg_problem_ops *ops; /* borrowed from the registry */
  void *self;                /* owned: the plugin's state */
  hg_params *params;         /* owned: the validated parameters */
  int n_w, n_theta;
  hg_counts counts;          /* every call through hg_phi() etc. increments these */
  hg_theory theory;          /* the last hg_theory_at result, reused for the same theta, w0 */
  double *theory_key;        /* owned: theta (n_theta) then w0 (n_w) it was computed for */
  void *theory_local;        /* owned: per-iterate values of the local constants (theory.c) */
} hg_problem;

/* Create problem `name` from "key=value" words. */
int hg_problem_create(const char *name, int nwords, const char *const *words, hg_problem **out,
                      hg_error *err);
void hg_problem_destroy(hg_problem **P);

/* The counting wrapper: methods reach the problem only through these. */
void hg_phi(hg_problem *P, const double *w, const double *theta, double *out);
void hg_jvp_w(hg_problem *P, const double *w, const double *theta, const double *v, double *out);
void hg_vjp_w(hg_problem *P, const double *w, const double *theta, const double *v, double *out);
void hg_vjp_theta(hg_problem *P, const double *w, const double *theta, const double *v,
                  double *out);
void hg_jvp_theta(hg_problem *P, const double *w, const double *theta, const double *u,
                  double *out);
double hg_upper(hg_problem *P, const double *w, const double *theta, double *gw, double *gtheta);
/* The counting wrapper of the saddle ops (P->ops->saddle must be set): each K product counts
 * as one jvp_w, each K^T product as one vjp_w, each d_theta prox or d_theta K product as one
 * vjp_theta (the saddle ops' analogues of d_w Phi, d_w Phi^T and d_theta Phi^T: on an imaging
 * problem one Phi or one Hessian product costs about one K and one K^T); the prox maps and their Jacobians are
 * elementwise, O(n), and not counted.  A NULL d_theta op contributes zeros, uncounted. */
int hg_saddle_n_dual(const hg_problem *P);
void hg_saddle_constants_at(hg_problem *P, const double *theta, hg_saddle_constants *c);
void hg_saddle_K(hg_problem *P, const double *theta, const double *w, double *out);
void hg_saddle_Kt(hg_problem *P, const double *theta, const double *y, double *out);
void hg_saddle_prox_G(hg_problem *P, const double *theta, double tau, const double *v,
                      double *out);
void hg_saddle_prox_F(hg_problem *P, const double *theta, double sigma, const double *v,
                      double *out);
void hg_saddle_prox_G_jvp(hg_problem *P, const double *theta, double tau, const double *v,
                          const double *d, double *out);
void hg_saddle_prox_F_jvp(hg_problem *P, const double *theta, double sigma, const double *v,
                          const double *d, double *out);
void hg_saddle_prox_G_vjp_theta(hg_problem *P, const double *theta, double tau, const double *v,
                                const double *d, double *out);
void hg_saddle_prox_F_vjp_theta(hg_problem *P, const double *theta, double sigma,
                                const double *v, const double *d, double *out);
/* grad_theta <K(theta) x, y> into out and 1, or 0 (out untouched, nothing counted) when K does
 * not depend on theta. */
int hg_saddle_K_vjp_theta(hg_problem *P, const double *theta, const double *x, const double *y,
                          double *out);
/* Items of the mean `which` (HG_SAMPLE_LOWER or HG_SAMPLE_UPPER); 0 when P has no sample
 * ops. */
int hg_problem_n_items(const hg_problem *P, int which);
/* Restrict the mean `which` to items idx[0..count) (count = 0: the full mean again);
 * HG_ERR_UNSUPPORTED naming the problem when it has no sample ops. */
int hg_problem_select(hg_problem *P, int which, int count, const int *idx, hg_error *err);
/* Draw `batch` distinct items uniformly from rng (a partial Fisher-Yates shuffle kept sparse,
 * O(batch) whatever the item count; idx gets them, batch entries, in the order drawn) and
 * select them; batch >= the item count n selects
 * the full mean (idx gets 0 .. n-1).  HG_ERR_UNSUPPORTED as hg_problem_select, HG_ERR_ARG for batch < 1. */
int hg_problem_sample(hg_problem *P, int which, int batch, hg_rng *rng, int *idx,
                      hg_error *err);
/* Exact w* and hypergradient (not counted); HG_ERR_UNSUPPORTED without an exact op. */
int hg_exact(hg_problem *P, const double *theta, double *wstar, double *grad, hg_error *err);
/* Constants at theta; HG_ERR_UNSUPPORTED without a constants op. */
int hg_problem_constants(hg_problem *P, const double *theta, hg_constants *c, hg_error *err);

/* The theory of P at theta from w0 (NULL: zeros) given w*: constants from the problem, then
 * L_E = ||grad_w E(w*)|| + mu1 D and L_Phi = ||d_theta Phi(w*)||_2 + nu2 D (the norm by Lanczos
 * on d_theta Phi^T d_theta Phi), and c1..c3.  Calls the problem's ops directly (not counted).
 * Constants the problem does not provide stay NAN, and so do the bounds built on them. */
int hg_theory_at(hg_problem *P, const double *theta, const double *wstar, const double *w0,
                 hg_theory *th, hg_error *err);
/* Trajectory-local constants (DESIGN §7) along w*, w_0 .. w_t of the lower iteration from w0
 * (replayed, not counted): q = max ||d_w Phi(w_s)||, L_E = max ||grad_w E(w_s)||, L_Phi =
 * max ||d_theta Phi(w_s)||, nu1, nu2, mu1, mu2 the largest ratios ||A(w_s) - A(w*)|| /
 * ||w_s - w*||; then c1..c3.  Costs a few Lanczos runs per iterate: for analysis, not sweeps. */
int hg_theory_local(hg_problem *P, const double *theta, const double *wstar, const double *w0,
                    int t, hg_theory *th, hg_error *err);
/* The inexact (eps, delta) bound of DESIGN §7 for an implicit estimate
 *     ghat = grad_theta E(w) + d_theta Phi(w)^T v,
 * with eps >= ||w - w*|| and delta >= ||(I - d_w Phi(w)^T) v - grad_w E(w)|| (the adjoint
 * system's residual) and gw_norm = ||grad_w E(w)||:
 *     omega = c eps + (L_Phi/(1-q)) delta,   c = mu2 + nu2 V + L_Phi (mu1 + nu1 V)/(1-q),
 *     V = (gw_norm + mu1 eps)/(1-q) >= ||v*||,
 * the form c(w)eps + (||J||/mu) delta + O(eps^2) of Ehrhardt & Roberts and MAID written for a
 * contraction Phi (mu -> 1 - q, J -> d_theta Phi); derivation in docs/theory.md.  NAN when a
 * constant is unknown or q >= 1. */
double hg_omega(const hg_theory *th, double eps, double delta, double gw_norm);

/* eps, delta and omega measured a posteriori at (w, v), as an adaptive method would (MAID):
 * eps = ||Phi(w) - w||/(1-q) >= ||w - w*||, delta the residual above (one Phi, one vjp_w and
 * one grad E, through the ops, not counted). */
typedef struct hg_inexact {
  double eps, delta, gw_norm, omega;
} hg_inexact;
int hg_inexact_at(hg_problem *P, const hg_theory *th, const double *theta, const double *w,
                  const double *v, hg_inexact *x, hg_error *err);

/* Free a problem's cache of local constants (hg_problem_destroy calls it). */
void hg_theory_cache_free(void *cache);

/* Read theta from a CLI/Lua spec: a number broadcast to all n entries, or "@FILE" with one
 * number per line.  NaN, infinities, wrong counts and malformed lines are errors. */
int hg_theta_parse(const char *spec, int n, double *theta, hg_error *err);
/* Reject theta with a non-finite entry, naming the index. */
int hg_theta_check(int n, const double *theta, hg_error *err);

/* ------------------------------------------------------------------------------------------ */
/* Method plugins (DESIGN §2.2)                                                                */
/* ------------------------------------------------------------------------------------------ */

/* The budget of one hypergradient computation. */
typedef struct hg_budget {
  int t;             /* lower-level iterations (maximum when tol_lower > 0) */
  int k;             /* linear-system iterations (maximum when tol_linear > 0) */
  int K;             /* tbptt: backward steps kept */
  double tol_lower;  /* > 0: stop the lower loop when ||w - Phi(w)|| <= tol_lower */
  double tol_linear; /* > 0: stop the linear solver when its residual <= tol_linear */
} hg_budget;

/* Defaults: t = 100, k = 100, K = 10, no tolerances. */
void hg_budget_default(hg_budget *b);

/* Per-run context handed to a method: randomness, a memory account, a trace. */
/*
 * A record of one lower trajectory w_{i+1} = Phi(w_i, theta) from w_0 = w0, shared by the runs
 * at one theta and w0 (hgbench verify runs every method at dozens of budgets on the same
 * trajectory): the residual ||w_{i+1} - w_i|| of every step done so far and w_i at the ends of
 * the runs, so hg_lower_run resumes from the latest recorded w_s its run can use and does only
 * the remaining steps; likewise the last fixed-point adjoint iteration (aid-fp, neumann) at
 * one w_t (verify's grid of k at t_big).  Phi and its products are deterministic, so iterates,
 * residuals, tolerance stops, traces and counts are those of the run from scratch (the skipped
 * steps are counted as the calls they stand for); only the wall time falls.  Created by the caller of the runs
 * (hg_run_opts.lower_cache), which destroys it; a different theta, w0 or problem resets it.
 * Running out of memory only stops the recording.
 */
typedef struct hg_lower_cache hg_lower_cache;
hg_lower_cache *hg_lower_cache_create(void);
void hg_lower_cache_destroy(hg_lower_cache **c);
/* For hg_lower_run (methods/hypergrad/common.c), before a loop of at most t steps of P at
 * theta from w0 keeping `keep` iterates on its tape (0: none), stopping at the first residual
 * <= tol_lower when tol_lower > 0: *t_end = the step the loop will end at (the recorded stop,
 * else t); returns s, the latest recorded step <= *t_end with w_s (in *w_s) and no step of the
 * tape before it (s <= *t_end - keep + 1), 0 when none; (*res)[i] = ||w_{i+1} - w_i|| for
 * i < s.  Resets c when P, theta or w0 differ from its key. */
int hg_lower_cache_start(hg_lower_cache *c, const hg_problem *P, const double *theta,
                         const double *w0, int t, int keep, double tol_lower, int *t_end,
                         const double **res, const double **w_s);
/* After step i of that loop (w_{i+1} computed, its residual res checked): record res. */
void hg_lower_cache_step(hg_lower_cache *c, int i, double res);
/* At the end of that loop (no failure): record w_i, the iterate it ended at. */
void hg_lower_cache_end(hg_lower_cache *c, int i, const double *w_i);
/* The same for an adjoint iteration of `method` (a string that outlives c) at w with
 * right-hand side gw (after a lower loop through c): its state after j iterations is nvec
 * n_w-vectors, one after the other in *state; iteration j (0-based) has residual (*res)[j] and
 * the loop stops after the first <= tol_linear (> 0).  Returns the latest recorded iteration
 * <= *k_end (0 when none); a different method, w or gw starts a new record. */
int hg_lower_cache_linear_start(hg_lower_cache *c, const char *method, const double *w,
                                const double *gw, int k, double tol_linear, int nvec,
                                int *k_end, const double **res, const double **state);
void hg_lower_cache_linear_step(hg_lower_cache *c, int j, double res);
void hg_lower_cache_linear_end(hg_lower_cache *c, int j, const double *const *state);

typedef struct hg_ctx {
  hg_rng rng;          /* seeded from the run's seed */
  size_t mem_now;      /* bytes currently allocated through hg_alloc */
  size_t mem_peak;     /* the most ever held at once */
  size_t mem_cap;      /* 0: no cap; else hg_alloc fails beyond it */
  int trace_on;        /* record residuals per iteration */
  int n_lower, n_linear, cap_lower, cap_linear;
  double *lower_res;   /* ||w_{i+1} - w_i|| per lower iteration (owned) */
  double *linear_res;  /* linear residual per iteration (owned) */
  hg_lower_cache *lower_cache; /* borrowed (hg_run_opts.lower_cache), or NULL */
} hg_ctx;

/* Allocate / free method workspace; counted in ctx's memory account.  hg_alloc zeroes the
 * block and returns NULL when out of memory or over the cap (check with ctx->mem_cap). */
void *hg_alloc(hg_ctx *ctx, size_t bytes);
void hg_free(hg_ctx *ctx, void *p);
/* Record a residual in the trace (no-op unless ctx->trace_on). */
void hg_trace_lower(hg_ctx *ctx, double residual);
void hg_trace_linear(hg_ctx *ctx, double residual);

/* What a method returns (arrays allocated by the harness). */
typedef struct hg_out {
  double *grad;   /* n_theta: the hypergradient estimate */
  double *w;      /* n_w: the lower iterate the estimate was computed at (w_t, or w*) */
  int t_used;     /* lower iterations actually done */
  int k_used;     /* linear iterations actually done */
  double *v;      /* n_w: an implicit method's adjoint v ~ (I - d_w Phi(w)^T)^{-1} grad_w E(w),
                     for the inexact bound omega (DESIGN §7); hg_aid_run fills it */
  int v_set;      /* 1 when v holds the adjoint of the returned estimate */
  int not_phi;    /* 1 when the lower level was not t steps of Phi (lower=fista): the budget
                     bounds of DESIGN §7 do not apply, omega does */
} hg_out;

/* What a method requires of a problem; the harness refuses mismatches with a clear error. */
enum {
  HG_NEEDS_EXACT = 1 << 0,      /* the problem's exact op */
  HG_NEEDS_SYMMETRIC = 1 << 1,  /* symmetric d_w Phi */
  HG_NEEDS_JVP_THETA = 1 << 2,  /* the jvp_theta op */
  HG_NEEDS_CONTRACTION = 1 << 3, /* iterates Phi: q < 1 is checked first when known */
  HG_NEEDS_SADDLE = 1 << 4       /* the saddle ops (a primal-dual method) */
};

#define HG_METHOD_OPS_VERSION 1

typedef struct hg_method_ops {
  int version;                 /* HG_METHOD_OPS_VERSION */
  const char *name;            /* registry name, e.g. "aid-cg" */
  const char *summary;         /* one line */
  const hg_param_spec *params; /* method parameters (may be an empty schema) */
  unsigned needs;              /* HG_NEEDS_* flags */
  /* Workspace bytes the method allocates through hg_alloc, for n_w = n, n_theta = m. */
  size_t (*space)(int n, int m, const hg_budget *b);
  /* Compute the hypergradient at theta from w0 under budget b. */
  int (*compute)(hg_problem *P, const hg_params *mp, const double *theta, const double *w0,
                 const hg_budget *b, hg_ctx *ctx, hg_out *out, hg_error *err);
  /* 1 if the estimate keeps a bias as t, k grow (jfb); verification then reports its error
   * instead of requiring convergence to the exact hypergradient. */
  int biased;
  /* Optional: the theoretical linear rate of the error bound as budget `axis` ('t' or 'k')
   * grows, from the constants at theta (DESIGN §7); NAN when the theory gives none. */
  double (*rate)(const hg_constants *c, char axis);
  /* Optional: the bound of DESIGN §7 on ||ghat - grad f|| for the iterations used (t, k, K),
   * NAN when a constant it needs is unknown. */
  double (*bound)(const hg_theory *th, int t, int k, int K);
  /* Optional: the workspace bytes when they depend on the method's parameters mp (validated
   * against .params, e.g. GMRES's restart=); space() then gives them for the defaults.  Use
   * hg_method_space, which picks the slot. */
  size_t (*space_params)(int n, int m, const hg_budget *b, const hg_params *mp);
  /* Optional: the workspace bytes when they depend on the problem beyond n_w and n_theta
   * (piggyback's dual vectors: n_y from the saddle ops); space() then answers for a stated
   * typical case.  Use hg_method_space_on, which picks the slot. */
  size_t (*space_problem)(const hg_problem *P, const hg_budget *b, const hg_params *mp);
  /* 1 if the estimate is random (mini-batches drawn from the run's rng: sid); verification
   * then reports its error at the large budget without grading it (a mean square error falls
   * like 1/t, never to the deterministic 1e-8: its own tests measure that rate over seeds). */
  int stochastic;
} hg_method_ops;

/* Workspace bytes of method M with parameters mp (NULL: the defaults) for n_w = n,
 * n_theta = m and budget b: space_params when the method has it, else space. */
size_t hg_method_space(const hg_method_ops *M, int n, int m, const hg_budget *b,
                       const hg_params *mp);
/* Workspace bytes of M on problem P: space_problem when M has it, else hg_method_space with
 * P's n_w and n_theta. */
size_t hg_method_space_on(const hg_method_ops *M, const hg_problem *P, const hg_budget *b,
                          const hg_params *mp);

/* ------------------------------------------------------------------------------------------ */
/* Outer loops (DESIGN §2.3): plugins in methods/outer/, driven by harness/core/optimize.c          */
/* ------------------------------------------------------------------------------------------ */

/* One recorded outer step.  Step 0 is the start theta0; a rejected attempt (a failed line
 * search) is a row with accepted = 0 at the unchanged theta.  Costs are cumulative from the
 * start and exclude the exact reference the harness computes for f and ||grad f||. */
typedef struct hg_outer_step {
  int step;             /* row index (0: the start; rejected attempts make rows outnumber the
                           outer iterations) */
  int accepted;         /* 1: theta moved to this row's theta (step 0: 1) */
  double value;         /* E(w, theta) at the w the evaluation returned */
  double f, grad_norm;  /* exact f(theta) = E(w*(theta), theta) and ||grad f(theta)|| (NAN
                           unless hg_optimize_opts.exact and the problem has exact) */
  double hg_norm;       /* ||ghat|| of the hypergradient computed at this theta (NAN if none) */
  double eps, delta;    /* accuracy of the hypergradient used for the step: a posteriori
                           (hg_inexact_at) for an implicit method, else the targets asked for
                           (NAN with a fixed t, k budget) */
  double omega;         /* the a-posteriori bound omega(eps, delta) (NAN when unknown or when
                           the loop does not need it: it costs a Lanczos run on n_theta) */
  double step_size;     /* the step taken to reach this theta (0 at step 0) */
  long lower, linear;   /* cumulative lower-level and linear-system iterations */
  hg_counts counts;     /* cumulative oracle calls (Phi and Jacobian products, E) */
  double wall_s;        /* cumulative wall time of the outer loop and its evaluations */
} hg_outer_step;

/* The trajectory of one outer run. */
typedef struct hg_outer_result {
  int n, cap, n_theta;
  hg_outer_step *steps; /* owned, n rows */
  double *theta;        /* owned, n x n_theta: row i's theta */
  int status;           /* HG_OK, or the failure that stopped the loop (rows up to it kept) */
  char message[512];    /* the failure's sentence */
} hg_outer_result;

void hg_outer_result_release(hg_outer_result *r);

/* One evaluation at theta by the driver (hg_outer_hypergrad, hg_outer_value).  The arrays
 * belong to the driver and stay valid until its next evaluation. */
typedef struct hg_outer_eval {
  double value;          /* E(w, theta) */
  const double *grad;    /* n_theta: ghat (hg_outer_hypergrad only) */
  double hg_norm;        /* ||ghat|| */
  double eps, delta, omega, gw_norm; /* a posteriori (hg_inexact_at at w; NAN when the method
                                        gives no adjoint v; omega only with
                                        HG_OUTER_NEEDS_OMEGA) */
  double value_err;      /* certified |E(w, theta) - f(theta)| <= gw_norm eps + mu1 eps^2/2
                            (NAN when eps or mu1 is unknown) */
  int t, k;              /* iterations used */
} hg_outer_eval;

typedef struct hg_outer hg_outer; /* the driver's state, handed to a plugin's run */

/* Services of the driver for outer-loop plugins. */
int hg_outer_n_theta(const hg_outer *O);
int hg_outer_max_steps(const hg_outer *O);   /* outer steps asked for */
const double *hg_outer_theta0(const hg_outer *O);
hg_problem *hg_outer_problem(hg_outer *O);   /* for hg_problem_sample (stochastic loops) */
uint64_t hg_outer_seed(const hg_outer *O);
int hg_outer_can_project(const hg_outer *O); /* the problem has a project op */
/* The w of the last evaluation (n_w entries; NULL before the first), and a w to start the
 * next evaluation from when warm starts are on (a stochastic loop keeping one w per sample
 * sets it before each evaluation); hg_outer_set_w copies w. */
const double *hg_outer_w(const hg_outer *O);
void hg_outer_set_w(hg_outer *O, const double *w);
/* Project theta in place with the problem's project op (no-op without one). */
void hg_outer_project(hg_outer *O, double *theta);
/* The hypergradient at theta by the run's method: with eps, delta NAN the run's budget
 * (fixed t, k or its tolerances); else to accuracy ||w - w*|| <= eps and adjoint residual
 * <= delta (tol_lower = eps (1 - q), tol_linear = delta, t and k capped by the budget's
 * maxima).  The lower level starts from the last evaluation's w with warm=1, else from 0.
 * Counted in the run's cumulative costs. */
int hg_outer_hypergrad(hg_outer *O, const double *theta, double eps, double delta,
                       hg_outer_eval *ev, hg_error *err);
/* The upper value at theta without the linear solve (the method with k = 0: the lower level
 * and E, for line searches), to accuracy eps as above (NAN: the run's budget).  ev->grad is
 * NULL. */
int hg_outer_value(hg_outer *O, const double *theta, double eps, hg_outer_eval *ev,
                   hg_error *err);
/* Append a row for theta from evaluation ev (NULL: no evaluation, value NAN) with the step
 * size and acceptance; the harness adds the exact f and ||grad f|| (when asked, outside the
 * counted time) and the cumulative costs.  eps, delta, omega and hg_norm come from used (the
 * hypergradient the step was taken with; NULL: from ev).  Returns HG_ERR_BUDGET once the
 * row's cumulative lower + linear iterations reach the run's max_work: the loop stops as on
 * any failing call (a loop must return that status unchanged), and the driver reports the run
 * as a success.  Work spent between two records (a line search, retries) is only seen at the
 * next record, so the last row may pass max_work by that much. */
int hg_outer_record(hg_outer *O, const double *theta, const hg_outer_eval *ev,
                    const hg_outer_eval *used, double step_size, int accepted, hg_error *err);

#define HG_OUTER_OPS_VERSION 1

/* What an outer loop needs of its evaluations (hg_outer_ops.needs). */
enum {
  HG_OUTER_NEEDS_OMEGA = 1 << 0 /* the a-posteriori bound omega of every hypergradient */
};

typedef struct hg_outer_ops {
  int version;                 /* HG_OUTER_OPS_VERSION */
  const char *name;            /* registry name, e.g. "maid" */
  const char *summary;         /* one line */
  const hg_param_spec *params; /* the loop's parameters */
  unsigned needs;              /* HG_OUTER_NEEDS_* */
  /* Run up to hg_outer_max_steps(O) outer steps from hg_outer_theta0(O), recording each with
   * hg_outer_record (step 0 first).  A failure stops the loop; the rows so far are kept. */
  int (*run)(hg_outer *O, const hg_params *op, hg_error *err);
} hg_outer_ops;

/* The most outer steps a run may take; also the front ends' default when only a work budget
 * (max_work) is given. */
#define HG_OUTER_MAX_STEPS 1000000

/* Options of one outer run. */
typedef struct hg_optimize_opts {
  const char *method;          /* hypergradient method (registry name) */
  int nmwords;                 /* its key=value words */
  const char *const *mwords;
  hg_budget budget;            /* per hypergradient: fixed t, k, or tolerances with t, k as
                                  maxima */
  int max_t, max_k;            /* caps when the outer loop asks for an accuracy (0: 100000) */
  int steps;                   /* outer steps (at most HG_OUTER_MAX_STEPS) */
  long max_work;               /* stop at the first recorded row whose cumulative lower +
                                  linear iterations reach this (0: no work budget) */
  const double *theta0;        /* n_theta (NULL: the problem's theta0) */
  int warm;                    /* 1: warm-start the lower level from the previous w */
  int exact;                   /* 1: record the exact f and ||grad f|| per step */
  uint64_t seed;
} hg_optimize_opts;

/* Run outer loop `outer` (with its key=value words) on P, for o->steps steps or until the
 * work budget o->max_work is spent (a success).  Unknown names and bad parameters
 * are errors naming them; a failure during the loop leaves the rows so far in res with
 * res->status and res->message set, and is returned.  Release res with
 * hg_outer_result_release. */
int hg_optimize(hg_problem *P, const char *outer, int nowords, const char *const *owords,
                const hg_optimize_opts *o, hg_outer_result *res, hg_error *err);
/* The same for an outer loop given by its ops table. */
int hg_optimize_ops(hg_problem *P, const hg_outer_ops *ops, int nowords,
                    const char *const *owords, const hg_optimize_opts *o,
                    hg_outer_result *res, hg_error *err);
/* The columns of an outer row (hg_outer_step), one line each, in optimize.tsv's order: every
 * writer of the rows (optimize.tsv, `optimize --json`, the printed table, Lua's row tables)
 * iterates hg_outer_columns, built from this list, so a new column is a field of
 * hg_outer_step and one line here.  X(name, kind, tsv_digits, heading, width, digits, value):
 *   name        the optimize.tsv header, JSON key and Lua field;
 *   kind        'i' an integer, 'b' a flag 0/1 (a Lua boolean, "yes"/"no" in the table),
 *               'd' a double (NaN: unknown);
 *   tsv_digits  significant digits of a double in optimize.tsv (%.*g);
 *   heading     the printed table's heading (NULL: not printed), width its column width,
 *               digits a double's digits after the point there (%*.*e);
 *   value       the value, an expression of `s` (const hg_outer_step *). */
#define HG_OUTER_COLUMNS(X)                                                                   \
  X(step, 'i', 0, "step", 5, 0, s->step)                                                      \
  X(accepted, 'b', 0, "acc", 3, 0, s->accepted)                                               \
  X(value, 'd', 10, "value", 13, 6, s->value)                                                 \
  X(f, 'd', 10, "f (exact)", 13, 6, s->f)                                                     \
  X(grad_norm, 'd', 6, "|grad f|", 10, 3, s->grad_norm)                                       \
  X(hg_norm, 'd', 6, NULL, 0, 0, s->hg_norm)                                                  \
  X(eps, 'd', 6, "eps", 10, 3, s->eps)                                                        \
  X(delta, 'd', 6, "delta", 10, 3, s->delta)                                                  \
  X(omega, 'd', 6, "omega", 10, 3, s->omega)                                                  \
  X(step_size, 'd', 6, "step", 10, 3, s->step_size)                                           \
  X(lower, 'i', 0, "lower", 8, 0, s->lower)                                                   \
  X(linear, 'i', 0, "linear", 8, 0, s->linear)                                                \
  X(calls, 'i', 0, "calls", 10, 0, hg_counts_oracle(&s->counts))                              \
  X(jacobian, 'i', 0, "jacobian", 10, 0, hg_counts_jacobian(&s->counts))                      \
  X(wall_s, 'd', 6, "wall [s]", 10, 3, s->wall_s)

/* One column of HG_OUTER_COLUMNS, its value read by get. */
typedef struct hg_outer_column {
  const char *name;
  char kind;
  int tsv_digits;
  const char *heading;
  int width, digits;
  double (*get)(const hg_outer_step *s); /* integers and flags exactly, as doubles */
} hg_outer_column;

#define HG_OUTER_COLUMN_COUNT_(name, ...) +1
/* The columns of HG_OUTER_COLUMNS in order (harness/core/optimize.c). */
enum { HG_OUTER_NCOLUMNS = 0 HG_OUTER_COLUMNS(HG_OUTER_COLUMN_COUNT_) };
extern const hg_outer_column hg_outer_columns[HG_OUTER_NCOLUMNS];

/* Write the rows of res as TSV lines (no header) to f, each starting with `label`, the
 * problem, outer loop and method names; the header line is HG_OPTIMIZE_TSV_HEADER. */
#define HG_OUTER_COLUMN_TSV_(name, ...) #name "\t"
#define HG_OPTIMIZE_TSV_HEADER                                                                \
  "label\tproblem\touter\tmethod\t" HG_OUTER_COLUMNS(HG_OUTER_COLUMN_TSV_) "theta\n"
void hg_optimize_tsv(FILE *f, const hg_outer_result *res, const char *label,
                     const char *problem, const char *outer, const char *method);

/* ------------------------------------------------------------------------------------------ */
/* Registry: the one list of plugins (harness/core/registry.c)                                      */
/* ------------------------------------------------------------------------------------------ */

typedef struct hg_entry {
  const char *name;
  const void *ops; /* const hg_problem_ops * or const hg_method_ops * */
} hg_entry;

/* The registered plugins of each kind in registration order, ending with {NULL, NULL}: every
 * caller iterates these, never a list of its own. */
const hg_entry *hg_problem_list(void);
const hg_entry *hg_method_list(void);
const hg_entry *hg_outer_list(void); /* outer loops (const hg_outer_ops *) */

/* Look up by name; NULL with an error listing the known names if absent. */
const hg_problem_ops *hg_find_problem(const char *name, hg_error *err);
const hg_method_ops *hg_find_method(const char *name, hg_error *err);
const hg_outer_ops *hg_find_outer(const char *name, hg_error *err);

/* ------------------------------------------------------------------------------------------ */
/* Runs: one hypergradient through the counting wrapper, measured (harness/core/run.c)              */
/* ------------------------------------------------------------------------------------------ */

typedef struct hg_run {
  int status;          /* HG_OK or the failure (its word goes to results.tsv) */
  int t, k;            /* iterations used */
  int n_w, n_theta;
  double value;        /* E at the returned w */
  double *grad;        /* n_theta, owned */
  double *w;           /* n_w, owned */
  double *exact;       /* n_theta, owned; NULL when the problem has no exact reference */
  double rel_error;    /* ||grad - exact|| / ||exact|| (NAN without a reference) */
  double abs_error;    /* ||grad - exact|| */
  double wall_s;       /* wall time of the method's compute */
  hg_counts counts;    /* oracle calls made by the method */
  size_t peak_bytes;   /* peak extra memory held by the method */
  hg_constants consts; /* constants at theta (NAN where unknown) */
  double bound;        /* the method's bound on abs_error (DESIGN §7), NAN if none */
  double eps, delta, omega; /* implicit methods: the inexact bound omega(eps, delta) of
                               DESIGN §7 (hg_inexact_at), NAN otherwise */
  int bound_violated;  /* abs_error > bound or > omega, beyond the round-off of the reference */
  hg_theory theory;    /* the constants the bound used */
  int n_lower_res, n_linear_res;
  double *lower_res, *linear_res; /* traces when requested, owned */
} hg_run;

typedef struct hg_run_opts {
  const double *w0;     /* warm start (NULL: zeros) */
  uint64_t seed;        /* for stochastic methods */
  int with_reference;   /* 1: compute the exact reference and the errors */
  const double *reference; /* a precomputed exact hypergradient (used instead of solving) */
  const double *wstar;  /* with reference: the w* it came with (for the bound; may be NULL) */
  int trace;            /* 1: record residual traces */
  int local_constants;  /* 1: the bound uses trajectory-local constants (hg_theory_local) */
  size_t mem_cap;       /* 0: none */
  int inexact;          /* without a reference too, a posteriori at the returned w (for outer
                           loops): 1 eps and delta (hg_inexact_at with the problem's constants,
                           omega NAN); 2 also omega, the theory taken at w itself (omega bounds
                           ||B(w)|| by ||d_theta Phi(w)||: a Lanczos run on n_theta) */
  hg_lower_cache *lower_cache; /* borrowed: the lower trajectory shared with other runs at this
                                  theta and w0, or NULL (every run from w0) */
} hg_run_opts;

/* Run method M (with its parameter words) on P at theta.  A failure of the method itself
 * (non-contractive map, breakdown, NaN) returns that status and leaves r->status set too;
 * r must be released with hg_run_release. */
int hg_hypergrad(hg_problem *P, const char *method, int nwords, const char *const *words,
                 const double *theta, const hg_budget *b, const hg_run_opts *o, hg_run *r,
                 hg_error *err);
/* The same for a method given by its ops table, registered or not (tests run deliberately
 * wrong variants through it). */
int hg_hypergrad_ops(hg_problem *P, const hg_method_ops *M, int nwords,
                     const char *const *words, const double *theta, const hg_budget *b,
                     const hg_run_opts *o, hg_run *r, hg_error *err);
void hg_run_release(hg_run *r);
/* The relative difference ||a - b|| / ||b|| of two n-vectors (||a - b|| when b = 0): a run's
 * rel_error against the exact reference, verification's identities, the tests. */
double hg_rel_diff(int n, const double *a, const double *b);
/* Seconds on a monotonic clock (for measuring intervals). */
double hg_now(void);

/* ------------------------------------------------------------------------------------------ */
/* Checks (harness/core/check.c): finite differences of every derivative callback                   */
/* ------------------------------------------------------------------------------------------ */

typedef struct hg_check_row {
  char what[48];     /* "jvp_w", "vjp_w (adjoint)", "exact vs fd", ... */
  double error;      /* relative error measured */
  double tol;        /* tolerance it is held to */
  int pass;
} hg_check_row;

#define HG_CHECK_MAX_ROWS 20

typedef struct hg_check_report {
  int nrows;
  hg_check_row rows[HG_CHECK_MAX_ROWS];
  int all_pass;
} hg_check_report;

/* Check every callback of P at theta against central finite differences along seeded random
 * directions, the adjoint identities, and exact (fixed point and derivative of E(w*(theta))). */
int hg_check(hg_problem *P, const double *theta, uint64_t seed, hg_check_report *rep,
             hg_error *err);

/* ------------------------------------------------------------------------------------------ */
/* Rates (harness/core/rates.c)                                                                     */
/* ------------------------------------------------------------------------------------------ */

/* The theoretical rate of method `name` along axis 't' or 'k' (NAN when unknown). */
double hg_method_rate(const char *name, const hg_constants *c, char axis);

/* The round-off floor of a relative error: 50 eps max(1, kappa) (eps = DBL_EPSILON; kappa
 * NAN or infinite counts as 1).  The exact reference is a direct solve, accurate to about
 * kappa eps relative, and so are the fixed points the methods iterate to: a relative error
 * below the floor measures round-off, not the method.  Times ||grad f|| for an absolute
 * error.  Rate fits leave such errors out (hg_rate_window), a run's error is held to its
 * bound plus this (hg_run.bound_violated), reports and plots read nothing below it. */
double hg_roundoff_floor(double kappa);

/* The window a rate is fitted on (DESIGN §7), of n errors err at increasing budgets: the
 * points from the largest error on (itd's error may rise before it falls) whose error is
 * finite and above floor (round-off: hg_roundoff_floor).  Writes their indices, increasing,
 * to idx (room for n) and returns their count. */
int hg_rate_window(int n, const double *err, double floor, int *idx);

/* Fit error ~ C rate^x by least squares of log(err) on x over the points with err above
 * `floor` (round-off, excluded) and finite; *rate = exp(slope), [*lo, *hi] its 95 % interval
 * from the residuals (NAN when fewer than 3 points remain).  Returns the number of points
 * used (< 2: *rate = NAN). */
int hg_fit_rate(int n, const double *x, const double *err, double floor, double *rate,
                double *lo, double *hi);
/* The same on log x: err ~ C x^slope (a power law: sid's log MSE against log t, DESIGN §7);
 * *slope with its 95 % interval; points need x > 0. */
int hg_fit_slope(int n, const double *x, const double *err, double floor, double *slope,
                 double *lo, double *hi);

/* ------------------------------------------------------------------------------------------ */
/* Scenarios: results rows, resume, expectations, report (harness/cli/scenario.c, report.c)        */
/* ------------------------------------------------------------------------------------------ */

/* One results.tsv row (DESIGN §6).  The key of a run is (problem, problem_params, method,
 * method_params, theta, seed, t_budget, k_budget, K, tol_lower, tol_linear). */
typedef struct hg_record {
  char problem[32];
  char problem_params[512]; /* the explicit key=value words, a derived seed= excluded */
  char method[32];
  char method_params[128];
  char theta[128];          /* "theta0", a number, or "@FILE" */
  uint64_t seed;            /* problem seed (when derived) and the method's RNG seed */
  int rep;                  /* repetition index within a sweep (0 based) */
  int t_budget, k_budget, K; /* as asked */
  double tol_lower, tol_linear;
  int t, k;                 /* as used */
  int status;               /* enum hg_status */
  double rel_error, abs_error, bound, value, wall_s;
  double eps, delta, omega; /* the inexact bound of an implicit method (NAN otherwise) */
  int bound_violated;       /* abs_error exceeded bound or omega (beyond round-off) */
  hg_counts counts;
  size_t peak_bytes;
  double q, kappa, mu, L;   /* constants at theta (NAN if unknown) */
  double nu1, nu2, mu1, mu2, L_E, L_Phi, D; /* the rest of what the bound used (DESIGN §7) */
  int local_constants;      /* the bound used trajectory-local constants (part of the key) */
  char message[256];        /* the failure, when status != HG_OK */
} hg_record;

/* Oracle calls of a record: Phi and Jacobian products. */
long hg_record_calls(const hg_record *r);
/* 1 if a and b have the same run key. */
int hg_record_same_key(const hg_record *a, const hg_record *b);

typedef struct hg_expectation {
  int pass;
  char what[256];  /* the message */
  char where[256]; /* "scenario.lua:12" */
} hg_expectation;

typedef struct hg_plot_ref {
  char file[128];  /* relative to the output folder: "err_vs_t.png" */
  char title[128];
} hg_plot_ref;

typedef struct hg_table_ref {
  char title[128];
  char *markdown;  /* owned: the table's markdown (header, separator, rows) */
} hg_table_ref;

/* The data one problem instance of a scenario's runs used: its describe() text, which states
 * the source first ("Fashion-MNIST train, 200 + 100 examples of 2 classes (0,6), 28x28,
 * seed 0: ..." or "synthetic (seed 0): ..."). */
typedef struct hg_data_ref {
  char problem[32];
  char params[512];  /* the explicit key=value words, as results.tsv's problem_params */
  char text[512];    /* the problem's describe() text ("" when it has none) */
} hg_data_ref;

/* A scenario run: its output folder, its rows (resumed ones included), expectations, plots,
 * tables. */
typedef struct hg_scenario {
  char name[128];        /* the script's base name without .lua */
  char script[1024];     /* the script path as given */
  char outdir[1024];
  int n, cap;
  hg_record *rows;       /* owned */
  int n_resumed;         /* rows read back from an earlier results.tsv */
  int n_skipped;         /* runs asked for again and answered from those rows */
  int n_exp, cap_exp;
  hg_expectation *exps;  /* owned */
  int n_plots, cap_plots;
  hg_plot_ref *plots;    /* owned */
  int n_tables, cap_tables;
  hg_table_ref *tables;  /* owned, each with its markdown */
  int n_data, cap_data;
  hg_data_ref *data;     /* owned: the distinct instances runs were made on (manifest "data") */
  double start_time;     /* seconds since the epoch */
  char start_iso[32];    /* UTC, ISO 8601 */
  double last_flush;     /* hg_now() when results.tsv was last written */
  int dirty;             /* rows added since then */
  char *optimize_text;   /* owned: optimize.tsv (header and the rows of every outer run) */
  size_t optimize_len;
  int n_outer, n_outer_rows; /* outer runs added (hg_scenario_add_optimize) and their rows */
} hg_scenario;

/* Open a scenario writing into outdir (created if missing).  An existing outdir/results.tsv
 * is read back so runs already recorded are skipped (resume); a malformed one is an error
 * naming the file and line. */
int hg_scenario_open(const char *script, const char *outdir, hg_scenario **S, hg_error *err);
void hg_scenario_destroy(hg_scenario **S);
/* The recorded row with the same key as r, or NULL. */
const hg_record *hg_scenario_find(const hg_scenario *S, const hg_record *r);
/* Append a row and rewrite results.tsv atomically (temporary file, then rename). */
int hg_scenario_add(hg_scenario *S, const hg_record *r, hg_error *err);
int hg_scenario_expect(hg_scenario *S, int pass, const char *what, const char *where,
                       hg_error *err);
int hg_scenario_add_plot(hg_scenario *S, const char *file, const char *title, hg_error *err);
/* Add a table (its markdown copied) to the report, under its title. */
int hg_scenario_add_table(hg_scenario *S, const char *title, const char *markdown,
                          hg_error *err);
/* Record that runs were made on problem P (params: its key=value words as results.tsv has
 * them): its describe() text joins S->data unless the same (problem, params, text) is there
 * already.  report.md lists them under "Data" and manifest.json in "data". */
int hg_scenario_add_data(hg_scenario *S, const hg_problem *P, const char *params,
                         hg_error *err);
/* Write report.md and manifest.json (atomically).  *failed gets the number of failed
 * expectations. */
int hg_scenario_finish(hg_scenario *S, int *failed, hg_error *err);

/* Append the rows of an outer run (hg_optimize_tsv, prefixed by label) to S's optimize.tsv
 * and rewrite it atomically. */
int hg_scenario_add_optimize(hg_scenario *S, const hg_outer_result *res, const char *label,
                             const char *problem, const char *outer, const char *method,
                             hg_error *err);
/* mkdir -p dir (an existing folder is fine; a file in the way is an error naming it). */
int hg_make_dirs(const char *dir, hg_error *err);

/* report.md of S (harness/io/report.c), written atomically into S->outdir. */
int hg_report_write(const hg_scenario *S, hg_error *err);

/* Write `text` to dir/name through dir/.name.tmp and a rename, so a reader never sees half a
 * file. */
int hg_write_atomic(const char *dir, const char *name, const char *text, size_t len,
                    hg_error *err);

/* ------------------------------------------------------------------------------------------ */
/* Plots through gnuplot (harness/io/plot.c, templates in plots/)                                 */
/* ------------------------------------------------------------------------------------------ */

typedef struct hg_plot_series {
  const char *name;     /* legend label, as papers name the method */
  int n;                /* points */
  const double *x, *y;  /* several y at one x are repetitions: median and 10-90 % band */
  const double *bound;  /* n values or NULL: the theoretical bound at x, drawn dashed in the
                           series' colour */
  double floor;         /* the round-off floor of y (hg_roundoff_floor, scaled as y is; 0:
                           none): a bound below it is drawn at it, as a run's error is held to
                           bound + floor, and cannot squash the y range */
} hg_plot_series;

typedef struct hg_plot_spec {
  const char *name;     /* file stem in the output folder: NAME.dat, NAME.gp, NAME.png ... */
  const char *title, *xlabel, *ylabel;
  int logx, logy;
  const char *format;   /* "png" (default), "pdf", "svg" or "cairolatex" */
  int nseries;
  const hg_plot_series *series;
  const char *bound_label; /* legend suffix of the dashed curves: NULL for "bound" */
} hg_plot_spec;

/* Write outdir/NAME.dat and NAME.gp and render them with gnuplot (the `gnuplot` on PATH, or
 * $HG_GNUPLOT).  A missing gnuplot is HG_ERR_UNSUPPORTED with a message saying so; the .dat
 * and .gp are written either way.  *rendered (may be NULL) gets the output file name. */
int hg_plot(const char *outdir, const hg_plot_spec *spec, char *rendered, size_t len,
            hg_error *err);

/* Images side by side (clean, noisy, reconstructed ...), grey levels 0 (black) to 1 (white). */
typedef struct hg_image_panel {
  const char *title;
  const double *pixels; /* h x w row-major */
} hg_image_panel;

typedef struct hg_image_plot_spec {
  const char *name;     /* file stem: NAME.dat, NAME.gp, NAME.png */
  const char *title;
  const char *format;   /* "png" (default), "pdf" or "svg" */
  int w, h;             /* every panel's size */
  int columns;          /* panels per row (0: all in one row) */
  int npanels;
  const hg_image_panel *panels;
} hg_image_plot_spec;

/* Write outdir/NAME.dat (one matrix block per panel) and NAME.gp (from plots/images.gp: a
 * multiplot of `with image` panels in grey) and render them with gnuplot, as hg_plot. */
int hg_plot_images(const char *outdir, const hg_image_plot_spec *spec, char *rendered,
                   size_t len, hg_error *err);

/* ------------------------------------------------------------------------------------------ */
/* Verification (harness/core/verify.c): convergence to exact and the identities of DESIGN §7       */
/* ------------------------------------------------------------------------------------------ */

typedef struct hg_verify_row {
  char what[64];      /* "converges to exact", "= itd-forward", "bound and rate in t" */
  char method[32];    /* the method the row is about */
  int t, k;           /* budget used (the largest, for a theory row) */
  double error;       /* relative error or relative difference measured */
  double tol;         /* what it is held to; NAN for an informational row */
  double wall_s;      /* time of the method's run */
  long calls;         /* Phi and Jacobian-product calls of the run */
  int status;         /* HG_OK, or the run's failure */
  int verdict;        /* 1 pass, 0 fail, -1 informational or not applicable */
  char note[512];     /* why not applicable, or the failure message */
  /* theory rows: over a grid of t from 1 to t_big (k = t, tbptt K = 10) */
  int points;         /* runs on the grid */
  double max_ratio;   /* max of abs_error / bound (NAN without a bound) */
  int violations;     /* runs whose error exceeded the bound beyond round-off */
  double rate, rate_lo, rate_hi; /* fitted along t past the error's peak, with 95 % interval */
  double rate_theory; /* DESIGN §7's asymptotic rate along the axis */
  double rate_bound;  /* the slower of rate_theory and the bound's own rate over the same
                         budgets: what the fit is held to */
} hg_verify_row;

typedef struct hg_verify_report {
  int nrows, cap;
  hg_verify_row *rows; /* owned */
  int failures;
  int t_big, k_big;    /* the large budget chosen from q */
  double q;            /* contraction constant at theta (NAN if unknown) */
  int local;           /* the theory rows used trajectory-local constants */
} hg_verify_report;

/* Run every registered method on P at theta:
 *  - at a large budget (chosen from q so q^t <= 1e-14) each consistent method must reach
 *    relative error 1e-8 (fd 1e-6); a stochastic one (sid) is reported there, not graded.
 *    fd (2m + 1 exact solves) and itd-forward (m Jacobian products per step) run only for
 *    m = n_theta <= 300: beyond, hours on real data, their rows (identities included) are
 *    n/a and say so;
 *  - at a small budget the exact identities itd = itd-forward, neumann(k) = aid-fp(k+1),
 *    aid-fp(k=1) = jfb, tbptt(K=t) = itd must hold to 1e-10;
 *  - over a grid of t (k = t), and of k (t large) for methods with a rate in k, every run
 *    must stay under its bound (DESIGN §7), and the fitted linear rate must reach at least
 *    95 % of the exponent of the bound's rate over the same budgets (log rate / log rate_bound
 *    >= 0.95) or hold that rate in its 95 % interval; where the bound is NaN (a constant the
 *    problem cannot give) the fit is reported, not graded, and the note names the constant.
 * Release rep with hg_verify_release. */
int hg_verify(hg_problem *P, const double *theta, int local_constants, hg_verify_report *rep,
              hg_error *err);
/* The same over the methods of `methods` (a {name, ops} list ending in {NULL}): the test hook
 * that shows deliberately wrong variants are caught.  local_constants: the bounds use
 * trajectory-local constants (hg_theory_local) instead of global ones. */
int hg_verify_with(hg_problem *P, const double *theta, const hg_entry *methods,
                   int local_constants, hg_verify_report *rep, hg_error *err);
void hg_verify_release(hg_verify_report *rep);

#endif /* HGBENCH_H */

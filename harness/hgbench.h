/*
 * hgbench.h -- the public plugin header of hgbench: what the author of a problem, a
 * hypergradient method or an outer loop needs, and nothing more.  The rest of the harness is
 * declared in the internal header of its layer, each including the one below:
 * harness/core/hg_core.h <- harness/io/hg_io.h <- harness/plugins/hg_plugins.h <-
 * harness/cli/hg_cli.h.
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
  X(HG_ERR_BUDGET,      "budget",          "budget exhausted")                  \
  X(HG_ERR_TIMEOUT,     "timeout",         "wall-clock budget exhausted")

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
/* For a problem's create: HG_OK if allocating `bytes` (a double, so that sizes computed from
 * parameters cannot overflow) for `what` stays within the memory cap the problem is created
 * under (--max-memory, a scenario's max_memory=); else HG_ERR_MEMCAP with "owner: needs 3.2 GB
 * for what, over --max-memory 2.0 GB".  Call it before each large allocation. */
int hg_params_reserve(const hg_params *p, const char *owner, double bytes, const char *what,
                      hg_error *err);
/* The memory cap the problem was created under (0: none), for a problem to keep and check
 * allocations made after create (a factorization in exact) with hg_over_cap. */
size_t hg_params_mem_cap(const hg_params *p);
/* The same test against a cap in bytes (0: none). */
int hg_over_cap(size_t cap, double bytes, const char *owner, const char *what, hg_error *err);

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
/* Data matrices (harness/core/matrix.c; readers in harness/io/data.c): dense or CSR         */
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
#define HG_DATASETS_DIR "/usr/share/datasets" /* installed data sets (Debian packages) */
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

/* The layout of every ops table (problem, method, outer loop): the same number in each, bumped
 * when slots are added; a plugin built against another layout is refused at registration. */
#define HG_OPS_VERSION 3

/* Constants of a saddle-point lower level at theta (hg_saddle_ops.constants). */
typedef struct hg_saddle_constants {
  double mu_G;   /* strong convexity of G(., theta) */
  double mu_F;   /* strong convexity of F*(., theta) */
  double norm_K; /* >= ||K(theta)||_2 */
  /* For the a-posteriori bound of piggyback (docs/theory.md "The saddle bound"); the harness
   * sets them NAN before calling constants, so a problem that does not know them leaves them: */
  double L_hess_G; /* Lipschitz constant of the Hessian of G (0 for a quadratic G) */
  double L_hess_F; /* Lipschitz constant of the Hessian of F* */
  double norm_dK;  /* B with ||grad_theta <K(theta) a, b>|| <= B ||a|| ||b|| for all a, b,
                      when G and F* do not depend on theta (theta acts through K only);
                      NAN otherwise: the saddle bound then does not apply */
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

/* A method that does not apply to a problem, with the reason (hg_problem_ops.not_applicable). */
typedef struct hg_not_applicable {
  const char *method; /* registry name */
  const char *why;    /* one line, shown wherever the pair is skipped */
} hg_not_applicable;

/* A constant a problem cannot give (hg_problem_ops.unknown). */
typedef struct hg_unknown_constant {
  const char *constant; /* a field of hg_constants: "nu1", "mu2", ... */
  const char *why;      /* one line: why no finite value exists or is known */
} hg_unknown_constant;

typedef struct hg_problem_ops {
  int version;                 /* HG_OPS_VERSION: the layout this table follows */
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

  /* Facts the harness, verify and the tests read (never a strcmp on the name) -------------- */
  int revision;          /* the plugin's own revision: its author bumps it whenever the
                            problem's numbers change (run keys, results rows, JSON, report) */
  const char *display;   /* name for legends and tables ("ridge regression") */
  /* Methods known not to apply beyond what hg_method_ops.needs shows, and why;
   * {NULL, NULL}-terminated, or NULL for none. */
  const hg_not_applicable *not_applicable;
  /* Constants of hg_constants this problem cannot give (they come out NAN), and why:
   * {NULL, NULL}-terminated, or NULL for none.  verify reports a bound or rate built on a
   * constant listed here as ungraded with that reason; any other NAN bound is a failure. */
  const hg_unknown_constant *unknown;
  /* Optional: 1 when Phi is affine in w with d_theta Phi independent of w for this instance
   * (DESIGN §7: then itd(t) = aid-fp(t, k = t)); NULL: never. */
  int (*affine)(const void *self);
  /* Optional: the key=value words (space-separated) of a small instance for the self-test
   * battery and its CTest tests, when the defaults are slow to verify; NULL: the defaults. */
  const char *selftest_params;
  /* Optional: out_j = d_w Phi(w, theta) V_j for a block of `cols` tangents at one w (V_j at
   * V + j n_w, out_j likewise; out may be V), what jvp_w gives column by column, made with
   * matrix-matrix products (forward-mode ITD's m tangents).  Use hg_jvp_w_block: it counts
   * `cols` jvp_w and one block. */
  void (*jvp_w_block)(void *self, const double *w, const double *theta, int cols,
                      const double *V, double *out);
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
  long blocks; /* jvp_w_block calls (their products are counted in jvp_w, one per tangent) */
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
  double deadline;           /* hg_now() time past which the iterations of the run in progress
                                stop with HG_ERR_TIMEOUT (set by the harness per run; 0: none) */
} hg_problem;

/* The counting wrapper: methods reach the problem only through these. */
void hg_phi(hg_problem *P, const double *w, const double *theta, double *out);
void hg_jvp_w(hg_problem *P, const double *w, const double *theta, const double *v, double *out);
/* out_j = d_w Phi(w, theta) V_j for cols tangents (V_j at V + j n_w; out may be V): the
 * problem's jvp_w_block (counted as cols jvp_w and one block), or jvp_w column by column
 * through scratch (n_w doubles, not aliasing V or out) when it has none. */
void hg_jvp_w_block(hg_problem *P, const double *w, const double *theta, int cols,
                    const double *V, double *out, double *scratch);
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

/* Per-run context handed to a method: randomness, a memory account, a trace. */
/* The lower-trajectory cache of a run (opaque: harness/core/lower_cache.c, hg_core.h). */
typedef struct hg_lower_cache hg_lower_cache;
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
  double last_lower, last_linear; /* the last residuals traced (also when trace_on is 0; NAN
                                     before the first): did a tolerance-driven run meet its
                                     tolerance or stop at its cap */
  double deadline;     /* hg_now() time past which the Krylov solvers that are handed this
                          context stop with HG_ERR_TIMEOUT (0: none; the harness sets it) */
} hg_ctx;

/* Allocate / free method workspace; counted in ctx's memory account.  hg_alloc zeroes the
 * block and returns NULL when out of memory or over the cap (check with ctx->mem_cap). */
void *hg_alloc(hg_ctx *ctx, size_t bytes);
void hg_free(hg_ctx *ctx, void *p);
/* Record a residual in the trace (kept in the list only when ctx->trace_on; the last one is
 * always remembered in ctx->last_lower / last_linear). */
void hg_trace_lower(hg_ctx *ctx, double residual);
void hg_trace_linear(hg_ctx *ctx, double residual);

/* The a-posteriori bound a method computes itself (hg_method_ops.posterior, DESIGN §2.4):
 * compute measures the inputs at its returned estimate when the harness hands it
 * hg_out.post, and the slot turns them into eps, delta and the bound.  The fields are those of
 * the saddle bound of docs/theory.md (piggyback); NAN where not measured. */
typedef struct hg_posterior {
  int set;                 /* 1 when compute measured the inputs below */
  double eps_w;            /* certified ||w - w*|| of the returned w */
  double eps_x, eps_y;     /* certified distances of the primal and dual points ghat uses */
  double delta_x, delta_y; /* certified distances of the adjoint states (residuals over mu) */
  double norm_x, norm_y, norm_X, norm_Y; /* norms of those points and adjoint states */
  double rate;             /* the a-priori linear rate per lower iteration of the method's
                              iteration (PDHG: sqrt(1/(1 + m))), verify's theory column */
  double eps, delta, bound; /* filled by the slot: eps = eps_w, delta = |(delta_x, delta_y)|,
                               bound >= ||ghat - grad f|| (NAN: a constant is unknown) */
} hg_posterior;

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
  hg_posterior *post; /* a method with a posterior slot: measure its inputs here (not counted:
                         the harness's check, as omega's); NULL for other methods */
} hg_out;

/* What a method requires of a problem; the harness refuses mismatches with a clear error. */
enum {
  HG_NEEDS_EXACT = 1 << 0,      /* the problem's exact op */
  HG_NEEDS_SYMMETRIC = 1 << 1,  /* symmetric d_w Phi */
  HG_NEEDS_JVP_THETA = 1 << 2,  /* the jvp_theta op */
  HG_NEEDS_CONTRACTION = 1 << 3, /* iterates Phi: q < 1 is checked first when known */
  HG_NEEDS_SADDLE = 1 << 4,      /* the saddle ops (a primal-dual method) */
  HG_NEEDS_SAMPLE = 1 << 5       /* the sample ops (mini-batches: a stochastic method) */
};

/* Budget fields a method reads (hg_method_ops.budgets). */
enum {
  HG_BUDGET_T = 1 << 0,          /* t lower iterations */
  HG_BUDGET_K = 1 << 1,          /* k linear-system (adjoint) iterations */
  HG_BUDGET_KBACK = 1 << 2,      /* K backward steps (tbptt) */
  HG_BUDGET_TOL_LOWER = 1 << 3,  /* tol_lower stops the lower iteration */
  HG_BUDGET_TOL_LINEAR = 1 << 4  /* tol_linear stops the adjoint iteration */
};

/* A budget in an identity: a number, or verify's large budget (chosen from q). */
#define HG_AT_BIG (-1)

/* An exact identity of DESIGN §7: this method with budget (t, k, K) returns the hypergradient
 * of method `other` with budget (other_t, other_k, other_K) (HG_AT_BIG: verify's large budget),
 * to a relative difference tol, on every problem (or, with needs_affine, on problems whose Phi
 * is affine in w: hg_problem_ops.affine).  other = "exact" compares with the problem's exact
 * hypergradient. */
typedef struct hg_identity {
  const char *other;
  int t, k, K;
  int other_t, other_k, other_K;
  double tol;        /* round-off of the operations involved */
  int needs_affine;
  const char *why;   /* one line: the reason the identity holds */
} hg_identity;

/* fd and itd-forward work column by column of theta: verify runs them up to this many. */
#define HG_COLUMNWISE_MAX_THETA 300

typedef struct hg_method_ops {
  int version;                 /* HG_OPS_VERSION: the layout this table follows */
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

  /* Facts the harness, verify and the tests read (never a strcmp on the name) -------------- */
  int revision;           /* the plugin's own revision: its author bumps it whenever the
                             method's numbers change */
  const char *display;    /* legend name as papers write it ("AID-CG") */
  unsigned budgets;       /* HG_BUDGET_*: the budget fields the method reads */
  /* Exact identities of DESIGN §7 this method satisfies ({NULL}-terminated, or NULL). */
  const hg_identity *identities;
  /* 1 when the work grows column by column of theta (m solves or m products per step): verify
   * runs it only up to HG_COLUMNWISE_MAX_THETA hyperparameters. */
  int columnwise;
  const char *cost;       /* one line: what one call costs ("t Phi, t vjp_w, t vjp_theta") */
  /* Optional: the method's own a-posteriori bound (DESIGN §2.4): from what compute measured
   * into out->post, fill pb->eps, pb->delta and pb->bound (>= ||ghat - grad f||, NAN when a
   * constant is unknown).  The harness reports it as the run's bound, eps, delta and omega
   * (results, plots, verify's bounds rows), and adaptive outer loops (maid) test it in place
   * of omega. */
  void (*posterior)(hg_problem *P, const double *theta, hg_posterior *pb);
} hg_method_ops;

/* ------------------------------------------------------------------------------------------ */
/* Outer loops (DESIGN §2.3): plugins in methods/outer/, driven by harness/core/optimize.c          */
/* ------------------------------------------------------------------------------------------ */

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
  const double *v;       /* n_w: the method's adjoint v at w (NULL when it gives none;
                            hg_outer_hypergrad only) */
  int uncertified;       /* set by a loop on the evaluation it records as `used` when its
                            omega test used an estimate, not a certified bound */
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
/* Whether the driver measures omega (the certified bound, a Lanczos run on n_theta) for the
 * loop's evaluations from now on: on by default for loops with HG_OUTER_NEEDS_OMEGA; a loop
 * that estimates its own (maid omega=estimated) turns it off. */
void hg_outer_want_omega(hg_outer *O, int on);
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

/* What an outer loop needs of its evaluations (hg_outer_ops.needs). */
enum {
  HG_OUTER_NEEDS_OMEGA = 1 << 0 /* the a-posteriori bound omega of every hypergradient */
};

typedef struct hg_outer_ops {
  int version;                 /* HG_OPS_VERSION: the layout this table follows */
  const char *name;            /* registry name, e.g. "maid" */
  const char *summary;         /* one line */
  const hg_param_spec *params; /* the loop's parameters */
  unsigned needs;              /* HG_OUTER_NEEDS_* */
  /* Run up to hg_outer_max_steps(O) outer steps from hg_outer_theta0(O), recording each with
   * hg_outer_record (step 0 first).  A failure stops the loop; the rows so far are kept. */
  int (*run)(hg_outer *O, const hg_params *op, hg_error *err);
  int revision;          /* the plugin's own revision: bumped whenever its numbers change */
  const char *display;   /* legend name ("MAID") */
} hg_outer_ops;

/* ------------------------------------------------------------------------------------------ */
/* Plugins in shared objects: `hgbench --plugin PATH.so` (or HGBENCH_PLUGIN_PATH)               */
/* ------------------------------------------------------------------------------------------ */

/* The layout of hg_plugin and hg_plugin_registrar below: bumped when they change.  The loader
 * reads a plugin's hg_plugin first and refuses one built against another version (or another
 * HG_OPS_VERSION) before calling anything in it. */
#define HG_PLUGIN_API_VERSION 1

/* How a plugin registers its entries (the same checks as the built-ins: ops .version, a name
 * taken, a NULL name or table are HG_ERR_ARG naming the entry).  Names and tables must stay
 * valid for the life of the process (static tables and string literals do). */
typedef struct hg_plugin_registrar {
  int (*problem)(const char *name, const hg_problem_ops *ops, hg_error *err);
  int (*method)(const char *name, const hg_method_ops *ops, hg_error *err);
  int (*outer)(const char *name, const hg_outer_ops *ops, hg_error *err);
} hg_plugin_registrar;

/* The one symbol a plugin exports, HG_PLUGIN_SYMBOL: its versions, its name, and init, which
 * registers its entries through reg and returns HG_OK (or a status with err filled). */
typedef struct hg_plugin {
  int api_version;  /* HG_PLUGIN_API_VERSION */
  int ops_version;  /* HG_OPS_VERSION */
  const char *name; /* for messages */
  int (*init)(const hg_plugin_registrar *reg, hg_error *err);
} hg_plugin;

#define HG_PLUGIN_SYMBOL "hgbench_plugin"

/* Define the entry point in one .c file of a plugin: HG_PLUGIN_DEFINE("bicgstab", my_init); */
#define HG_PLUGIN_DEFINE(plugin_name, init_fn)                                                 \
  __attribute__((visibility("default"))) const hg_plugin hgbench_plugin = {                    \
    HG_PLUGIN_API_VERSION, HG_OPS_VERSION, plugin_name, init_fn}

#endif /* HGBENCH_H */

/*
 * imaging.h -- what the imaging problems share (DESIGN §3 "denoise-tv" and its siblings): the
 * training pairs (clean u-dagger_i, observed f_i), the forward-difference operator D as one
 * sparse matrix, and a CHOLMOD workspace for the exact references.  Private to problems/.
 */
#ifndef HG_IMAGING_H
#define HG_IMAGING_H

#include "hgbench.h"

#include <cholmod.h>

/* N training pairs of w x h images, P = w h pixels each, row-major, image i at offset i P. */
typedef struct hg_pairs {
  int N, w, h, P;
  double *clean; /* N P: u-dagger_i */
  double *noisy; /* N P: f_i */
  char source[160]; /* "synthetic", "files (whole, W x H)", ...: for describe() */
} hg_pairs;

/* The parameter schema entries of the training pairs, for use inside a problem's schema
 * array (as HG_GLM_PARAMS). */
#define HG_PAIRS_PARAMS                                                                       \
  {"images", HG_PARAM_STRING, "synthetic", 0, 0, NULL,                                        \
   "clean images: synthetic, fashion-mnist (test images, tiled when size > 28) or "          \
   "comma-separated PGM/PNG files (noise added by seed)"},                                     \
  {"clean", HG_PARAM_STRING, NULL, 0, 0, NULL,                                                \
   "comma-separated clean PGM/PNG files, paired with noisy= (whole unless size=/resize=)"},       \
  {"noisy", HG_PARAM_STRING, NULL, 0, 0, NULL, "comma-separated observed images for clean="}, \
  {"n_images", HG_PARAM_INT, "2", 1, 100000, NULL, "synthetic: number of training pairs"},    \
  {"resize", HG_PARAM_INT, "0", 0, 8192, NULL,                                                \
   "files: area-resize to this width first (height by the aspect ratio; 0: as stored)"},      \
  {"size", HG_PARAM_INT, "16", 0, 8192, NULL,                                                 \
   "side of the square images: synthetic size; files: centre crop, only when given "          \
   "(files are used whole by default)"},     \
  {"noise", HG_PARAM_REAL, "0.1", 0, 10, NULL, "standard deviation of the Gaussian noise"},   \
  {"seed", HG_PARAM_INT, "0", 0, 9007199254740992.0, NULL, "seed of images and noise"}

/* Load the pairs from p: clean=/noisy= file lists used exactly as stored; otherwise images=
 * (synthetic; fashion-mnist: Fashion-MNIST test images chosen by seed, resized to size <= 28
 * or tiled k x k and cropped to size > 28; or a file list).  Files (clean=/noisy= too) are
 * used whole unless asked: resize= first, then a centre size x size crop only when size= is
 * given (size=0: whole); pairs->source says what was used, with Gaussian noise of standard deviation noise= from seed=.
 * Errors name the key or the file. */
int hg_pairs_load(const hg_params *p, hg_pairs *pairs, hg_error *err);
void hg_pairs_free(hg_pairs *pairs);
/* The pairs as the images op hands them out (hgbench.h hg_image_set; borrowed). */
void hg_pairs_images(const hg_pairs *pairs, hg_image_set *set);

/*
 * D: the stacked horizontal and vertical forward differences of a w x h image with Neumann
 * boundary (the last difference in each row / column is 0), 2P x P:
 *     (Du)_{y w + x}       = u(x+1, y) - u(x, y)  for x < w-1, else 0,
 *     (Du)_{P + y w + x}   = u(x, y+1) - u(x, y)  for y < h-1, else 0.
 * Built once as CSR (hg_matrix; products with hg_matrix_gemv); ||D||_2^2 <= 8.
 */
int hg_diff_operator(int w, int h, hg_matrix **D, hg_error *err);
/*
 * A: the normalized Gaussian blur of a w x h image, size x size taps (size odd) with weights
 * k(a, b) proportional to exp(-(a^2 + b^2)/(2 sigma^2)), summing to 1, and half-sample
 * symmetric boundary (index -1 reads 0, -2 reads 1, w reads w-1, ...):
 *     (A u)(x, y) = sum_{a,b} k(a, b) u(reflect(x + a), reflect(y + b)),
 * as a P x P CSR matrix (taps landing on one pixel merged).
 */
int hg_blur_operator(int w, int h, int size, double sigma, hg_matrix **A, hg_error *err);
/*
 * K: the size x size correlation of a w x h image with the same half-sample symmetric boundary
 * (size odd, r = size/2, tap t = (b + r) size + (a + r) for offsets a, b in -r .. r):
 *     (K u)(x, y) = sum_t k_t u(reflect(x + a), reflect(y + b)),
 * as a P x P CSR matrix whose pattern is every pixel some tap reads (taps landing on one pixel
 * merged; no entry is dropped for a zero tap), so one pattern holds every kernel of this size.
 * tap (P size^2 ints) gets, for pixel p and tap t, the position in K->val that tap t adds to
 * (K->colind[tap[p size^2 + t]] is the pixel it reads).  Values are zero until hg_conv_set.
 */
int hg_conv_operator(int w, int h, int size, hg_matrix **K, int *tap, hg_error *err);
/* K's values for the kernel k (taps entries, taps = size^2): val[q] = sum of the k_t whose
 * tap lands on entry q. */
void hg_conv_set(hg_matrix *K, int taps, const int *tap, const double *k);
/* ||A||_1 (the largest column sum of |a_ij|) and ||A||_inf (the largest row sum) of a CSR
 * matrix; their product bounds ||A||_2^2.  col: A->cols doubles of scratch. */
void hg_csr_norm1_inf(const hg_matrix *A, double *col, double *norm1, double *norm_inf);

/* E = (1/N) sum_i 1/2 ||u_i - u-dagger_i||^2 of the stacked w = (u_1 .. u_N) (DESIGN §3
 * imaging), with gw = grad_w E = (w - u-dagger)/N when not NULL. */
double hg_pairs_error(const hg_pairs *pairs, const double *w, double *gw);
/* The same with image i counted weight[i] times (an upper batch, items.h; NULL: once each):
 * E = (1/N) sum_i weight_i 1/2 ||u_i - u-dagger_i||^2, gw_i = weight_i (u_i - u-dagger_i)/N. */
double hg_pairs_error_weighted(const hg_pairs *pairs, const double *weight, const double *w,
                               double *gw);

/* ------------------------------------------------------------------------------------------ */
/* The exact solves of the imaging problems: per image a Hessian                               */
/*     H = shift I + sum_k op_k^T diag(weight_k) op_k                                          */
/* factored by CHOLMOD, and damped Newton to ||grad h|| <= 1e-12 then the adjoint.             */
/* ------------------------------------------------------------------------------------------ */

/* One term op^T diag(weight) op of a Hessian: op is rows x P CSR, weight its rows entries
 * (>= 0; NULL: all ones). */
typedef struct hg_hess_term {
  const hg_matrix *op;   /* borrowed */
  const double *weight;  /* borrowed */
} hg_hess_term;

/* CHOLMOD's state for one imaging problem and the factor of the last Hessian. */
typedef struct hg_image_chol {
  cholmod_common cc;
  int started;
  cholmod_factor *L;   /* NULL before the first factorization of an exact solve */
  int P;
  const char *name;    /* the problem's registry name, for messages (borrowed) */
  size_t mem_cap;      /* the memory cap of the problem's creation (0: none): the factor, as
                          the analysis estimates it, is held to it */
} hg_image_chol;

/* Start CHOLMOD for P x P Hessians (quiet); on failure nothing is left to finish. */
int hg_image_chol_start(hg_image_chol *C, int P, const char *name, hg_error *err);
/* Free the factor and finish CHOLMOD (accepts a never-started C). */
void hg_image_chol_finish(hg_image_chol *C);
/* Factor H = shift I + sum_k op_k^T diag(weight_k) op_k into C->L (analyzed on first use). */
int hg_image_chol_factor(hg_image_chol *C, double shift, int nterms, const hg_hess_term *terms,
                         hg_error *err);
/* b <- H^{-1} b with the last factor. */
int hg_image_chol_solve(hg_image_chol *C, double *b, hg_error *err);

/* The per-image lower objective h_i(., theta) of an imaging problem, for hg_image_exact
 * (self is the problem's state). */
typedef struct hg_image_lower {
  /* h_i(u, theta) */
  double (*value)(void *self, int i, const double *u, const double *theta);
  /* g = grad h_i(u, theta) */
  void (*grad)(void *self, int i, const double *u, const double *theta, double *g);
  /* factor the Hessian of h_i at u through hg_image_chol_factor */
  int (*factor)(void *self, int i, const double *u, const double *theta, hg_error *err);
} hg_image_lower;

/*
 * The exact lower solve and adjoint of DESIGN §3 (imaging): per image i, damped Newton from
 * u = f_i until ||grad h_i(u)|| <= 1e-12 (h_i smooth and strongly convex; Armijo backtracking,
 * and near u*, where h's decrease drowns in its round-off, a step that halves ||grad h|| is
 * taken instead; 100 steps at most), u*_i into wstar; then with H = H_i(u*_i)
 *     a_i = H^{-1} (u*_i - u-dagger_i) / (N eta),
 * so that the hypergradient is d_theta Phi(w*)^T a (the caller's vjp_theta).  wstar, a: N P
 * doubles; work: 3 P.  The factor is freed before returning.
 */
int hg_image_exact(hg_image_chol *C, const hg_pairs *pairs, double eta,
                   const hg_image_lower *ops, void *self, const double *theta, double *wstar,
                   double *a, double *work, hg_error *err);

#endif /* HG_IMAGING_H */

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
  char source[96]; /* "synthetic", "files" or "pairs": for describe() */
} hg_pairs;

/* The parameter schema entries of the training pairs, for use inside a problem's schema
 * array (as HG_GLM_PARAMS). */
#define HG_PAIRS_PARAMS                                                                       \
  {"images", HG_PARAM_STRING, "synthetic", 0, 0, NULL,                                        \
   "clean images: synthetic, fashion-mnist (test images, tiled when size > 28) or "          \
   "comma-separated PGM/PNG files (noise added by seed)"},                                     \
  {"clean", HG_PARAM_STRING, NULL, 0, 0, NULL,                                                \
   "comma-separated clean PGM/PNG files, paired with noisy= (used exactly as stored)"},       \
  {"noisy", HG_PARAM_STRING, NULL, 0, 0, NULL, "comma-separated observed images for clean="}, \
  {"n_images", HG_PARAM_INT, "2", 1, 100000, NULL, "synthetic: number of training pairs"},    \
  {"size", HG_PARAM_INT, "16", 0, 8192, NULL,                                                 \
   "side of the square images: synthetic size, or centre crop of files (0: whole file)"},     \
  {"noise", HG_PARAM_REAL, "0.1", 0, 10, NULL, "standard deviation of the Gaussian noise"},   \
  {"seed", HG_PARAM_INT, "0", 0, 9007199254740992.0, NULL, "seed of images and noise"}

/* Load the pairs from p: clean=/noisy= file lists used exactly as stored; otherwise images=
 * (synthetic; fashion-mnist: Fashion-MNIST test images chosen by seed, resized to size <= 28
 * or tiled k x k and cropped to size > 28; or a file list, cropped to size x size at the
 * centre, size=0: whole image), with Gaussian noise of standard deviation noise= from seed=.
 * Errors name the key or the file. */
int hg_pairs_load(const hg_params *p, hg_pairs *pairs, hg_error *err);
void hg_pairs_free(hg_pairs *pairs);

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

#endif /* HG_IMAGING_H */

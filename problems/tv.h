/*
 * tv.h -- the smoothed-TV image problems denoise-tv and deblur-tv share (problems/tv.c): one
 * state, one set of callbacks, the data term 1/2 ||A u - f||^2 + gamma/2 ||u||^2 with A = I
 * (denoising) or a sparse blur.  Private to problems/.
 */
#ifndef HG_TV_H
#define HG_TV_H

#include "box.h"
#include "imaging.h"
#include "items.h"

typedef struct hg_tv {
  hg_pairs pairs;
  hg_matrix *D;        /* 2P x P forward differences */
  hg_matrix *A;        /* P x P forward operator (CSR), NULL for the identity */
  double gamma;        /* weight of gamma/2 ||u||^2 */
  double norm_A2;      /* ||A||_2^2 (or an upper bound): 1 for the identity */
  double mu_A;         /* lambda_min(A^T A) (or a lower bound): 1 for the identity */
  int mu_A_exact;      /* mu_A and norm_A2 are eigenvalues */
  const char *name;    /* the problem's registry name, for messages */
  int N, P;
  double eta;          /* Phi's step */
  double *z, *c;       /* scratch: 2P each */
  double *g, *r;       /* scratch: P each */
  double *a, *work;    /* the exact solve's adjoint (N P) and Newton's scratch (3 P) */
  hg_image_chol chol;  /* CHOLMOD for the exact solve */
  hg_items batch;      /* the sample ops' batches of images (items.h): Phi steps image i by
                          hg_items_lower's weight times eta (0: unchanged), E weighs it too */
  hg_box box;          /* the feasible set of theta (box_lo=, box_hi=; box.h) */
} hg_tv;

/* Build *T from the pairs of p, with A the Gaussian blur of blur_size taps and deviation
 * blur_sigma (blur_size 0: A = I), gamma, and the step: step= or 1/L at theta0.  Generated
 * pairs (no clean=) are then observed through A: f_i = A u-dagger_i + noise, the same noise.
 * On failure nothing is left allocated. */
int hg_tv_create(const hg_params *p, const char *name, int blur_size, double blur_sigma,
                 double gamma, hg_tv **T, int *n_w, int *n_theta, hg_error *err);

/* The callbacks (self is an hg_tv). */
void hg_tv_destroy(void *self);
void hg_tv_theta0(const void *self, double *theta);
void hg_tv_project(const void *self, double *theta);
void hg_tv_phi(void *self, const double *w, const double *theta, double *out);
void hg_tv_jvp_w(void *self, const double *w, const double *theta, const double *v,
                 double *out);
void hg_tv_vjp_theta(void *self, const double *w, const double *theta, const double *v,
                     double *out);
void hg_tv_jvp_theta(void *self, const double *w, const double *theta, const double *a,
                     double *out);
double hg_tv_upper(void *self, const double *w, const double *theta, double *gw,
                   double *gtheta);
int hg_tv_exact(void *self, const double *theta, double *wstar, double *grad, hg_error *err);
int hg_tv_constants(void *self, const double *theta, hg_constants *c, hg_error *err);
void hg_tv_describe(const void *self, char *buf, size_t len);
void hg_tv_images(const void *self, hg_image_set *set);
/* The sample ops: the N images are the items of both means (items.h). */
int hg_tv_n_items(const void *self, int which);
int hg_tv_select(void *self, int which, int count, const int *idx, hg_error *err);

/* The ops-table slots every smoothed-TV problem shares (after .name, .summary, .params,
 * .create in its table). */
#define HG_TV_CALLBACKS                                                                       \
  .destroy = hg_tv_destroy, .theta0 = hg_tv_theta0, .phi = hg_tv_phi, .jvp_w = hg_tv_jvp_w,   \
  .vjp_w = hg_tv_jvp_w, /* d_w Phi is symmetric */                                           \
  .vjp_theta = hg_tv_vjp_theta, .upper = hg_tv_upper, .jvp_theta = hg_tv_jvp_theta,          \
  .exact = hg_tv_exact, .constants = hg_tv_constants, .describe = hg_tv_describe,             \
  .images = hg_tv_images, .symmetric = 1, .n_items = hg_tv_n_items, .select = hg_tv_select,  \
  .project = hg_tv_project /* theta into [box_lo, box_hi] */

#endif /* HG_TV_H */

/*
 * deblur_tv.c -- learned smoothed-TV deblurring (DESIGN §3 "deblur-tv"): per training pair
 *
 *     h(u, theta) = 1/2 ||A u - f||^2 + gamma/2 ||u||^2
 *                   + 1/2 e^{theta_1} sum_j sqrt((D u)_j^2 + e^{2 theta_2}),
 *     E = (1/N) sum_i 1/2 ||u_i - u-dagger_i||^2,
 *
 * A the normalized Gaussian blur of blur_size x blur_size taps and deviation blur_sigma with
 * half-sample symmetric boundary (imaging.h, a sparse matrix), and the observations
 * f_i = A u-dagger_i + noise (or given as files).  mu = lambda_min(A^T A) + gamma,
 * L <= ||A||^2 + gamma + 4 e^{theta_1}/e^{theta_2}.  The shared smoothed-TV code is
 * problems/tv.c.
 */
#include "tv.h"

#include <float.h>

static const hg_param_spec deblur_tv_params[] = {
  HG_PAIRS_PARAMS,
  HG_BOX_PARAMS,
  {"step", HG_PARAM_REAL, NULL, DBL_MIN, DBL_MAX, NULL, "step eta of Phi (default 1/L at theta0)"},
  {"gamma", HG_PARAM_REAL, "1e-3", DBL_MIN, DBL_MAX, NULL, "weight of gamma/2 ||u||^2 (> 0)"},
  {"blur_size", HG_PARAM_INT, "5", 1, 99, NULL, "side of the Gaussian blur kernel (odd)"},
  {"blur_sigma", HG_PARAM_REAL, "1", DBL_MIN, 1e3, NULL, "standard deviation of the blur"},
  {NULL, 0, NULL, 0, 0, NULL, NULL},
};

static int deblur_tv_create(const hg_params *p, void **self, int *n_w, int *n_theta,
                            hg_error *err)
{
  int size = (int)hg_params_int(p, "blur_size");
  if (size % 2 == 0)
    return hg_fail(err, HG_ERR_ARG, "problem 'deblur-tv': blur_size=%d must be odd", size);
  return hg_tv_create(p, "deblur-tv", size, hg_params_real(p, "blur_sigma"),
                      hg_params_real(p, "gamma"), (hg_tv **)self, n_w, n_theta, err);
}

const hg_problem_ops hg_problem_deblur_tv = {
  .version = HG_OPS_VERSION,
  .name = "deblur-tv",
  .summary = "learned smoothed-TV deblurring (Gaussian blur) of N image pairs, theta = (log "
             "weight, log smoothing)",
  .params = deblur_tv_params,
  .create = deblur_tv_create,
  HG_TV_CALLBACKS,
  .revision = 1,                       /* bump when this problem's numbers change */
  .display = "TV deblurring", /* legends and tables */
  .selftest_params = "gamma=0.05 size=8", /* kappa ~ 200: the default's 9000 takes minutes */
};

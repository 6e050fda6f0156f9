/*
 * denoise_tv.c -- learned smoothed-TV denoising (DESIGN §3 "denoise-tv"): per training pair
 *
 *     h(u, theta) = 1/2 ||u - f||^2 + 1/2 e^{theta_1} sum_j sqrt((D u)_j^2 + e^{2 theta_2}),
 *     E = (1/N) sum_i 1/2 ||u_i - u-dagger_i||^2,
 *
 * mu = 1, L <= 1 + 4 e^{theta_1}/e^{theta_2}.  The shared smoothed-TV code (state, callbacks,
 * exact Newton with CHOLMOD, constants) is problems/tv.c with A = I, gamma = 0.
 */
#include "tv.h"

#include <float.h>

static const hg_param_spec denoise_tv_params[] = {
  HG_PAIRS_PARAMS,
  HG_BOX_PARAMS,
  {"step", HG_PARAM_REAL, NULL, DBL_MIN, DBL_MAX, NULL, "step eta of Phi (default 1/L at theta0)"},
  {NULL, 0, NULL, 0, 0, NULL, NULL},
};

static int denoise_tv_create(const hg_params *p, void **self, int *n_w, int *n_theta,
                             hg_error *err)
{
  return hg_tv_create(p, "denoise-tv", 0, 0, 0, (hg_tv **)self, n_w, n_theta, err);
}

const hg_problem_ops hg_problem_denoise_tv = {
  .version = HG_OPS_VERSION,
  .name = "denoise-tv",
  .summary = "learned smoothed-TV denoising of N image pairs, theta = (log weight, log smoothing)",
  .params = denoise_tv_params,
  .create = denoise_tv_create,
  HG_TV_CALLBACKS,
  .revision = 1,                       /* bump when this problem's numbers change */
  .display = "TV denoising", /* legends and tables */
};

/*
 * box.h -- a box lo <= theta_j <= hi of the hyperparameters, exported as a problem's feasible
 * set (hg_problem_ops.project) from the parameters box_lo= and box_hi= (either may be absent:
 * that side unbounded).  Private to problems/; used by ridge and the TV problems.
 */
#ifndef HG_BOX_H
#define HG_BOX_H

#include "hgbench.h"

#include <math.h>

typedef struct hg_box {
  double lo, hi; /* -INFINITY, INFINITY when absent */
} hg_box;

#define HG_BOX_PARAMS                                                                         \
  {"box_lo", HG_PARAM_REAL, NULL, -1e300, 1e300, NULL,                                      \
   "feasible set: every theta_j >= box_lo (the outer loops project onto it; default none)"}, \
  {"box_hi", HG_PARAM_REAL, NULL, -1e300, 1e300, NULL,                                      \
   "feasible set: every theta_j <= box_hi (default none)"}

/* The box of p's box_lo=, box_hi=; box_lo > box_hi is an error naming the problem. */
static inline int hg_box_init(hg_box *b, const hg_params *p, const char *problem,
                              hg_error *err)
{
  b->lo = hg_params_real(p, "box_lo");
  b->hi = hg_params_real(p, "box_hi");
  if (isnan(b->lo))
    b->lo = -INFINITY;
  if (isnan(b->hi))
    b->hi = INFINITY;
  if (b->lo > b->hi)
    return hg_fail(err, HG_ERR_ARG, "problem '%s': box_lo=%g is above box_hi=%g", problem,
                   b->lo, b->hi);
  return HG_OK;
}

/* theta (m entries) clamped into the box. */
static inline void hg_box_project(const hg_box *b, int m, double *theta)
{
  for (int j = 0; j < m; j++)
    theta[j] = fmin(fmax(theta[j], b->lo), b->hi);
}

#endif /* HG_BOX_H */

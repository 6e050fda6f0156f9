/*
 * projected.c -- the projected inexact hypergradient method (DESIGN §2.3 "projected"; Grazzi,
 * Pontil, Salzo, JMLR 2023): on a problem whose upper level is constrained to a closed convex
 * set Theta (the problem's project op),
 *     theta_0 = P(theta0),  theta_{s+1} = P(theta_s - alpha ghat(theta_s)),
 * ghat at a fixed budget or accuracy, the lower level warm-started from the previous w or not
 * (the run's warm= option: the paper's comparison).  A problem without a projection is refused.
 */
#include "common.h"

static const hg_param_spec projected_params[] = {
  HG_OUTER_DESCENT_PARAMS,
  {NULL, 0, NULL, 0, 0, NULL, NULL},
};

static int projected_run(hg_outer *O, const hg_params *op, hg_error *err)
{
  double eps, delta;
  if (!hg_outer_can_project(O))
    return hg_fail(err, HG_ERR_UNSUPPORTED, "outer loop 'projected' needs a problem with a "
                   "feasible set (a project op: poison, equilibrium, ridge, denoise-tv, "
                   "deblur-tv), and problem '%s' has none (use hgd)",
                   hg_outer_problem(O)->ops->name);
  hg_outer_accuracy(op, &eps, &delta);
  return hg_outer_descent(O, hg_params_real(op, "step"), eps, delta, err);
}

const hg_outer_ops hg_outer_projected = {
  .version = HG_OPS_VERSION,      /* ops layout this table follows */
  .name = "projected",                  /* registry name (file projected.c) */
  .summary =                            /* one line */
      "projected inexact hypergradient method onto the problem's feasible set",
  .params = projected_params,           /* the loop's parameters */
  .run = projected_run,                 /* the loop (driver services of hgbench.h) */
  .revision = 1,                 /* bump when this loop's numbers change */
  .display = "projected HGD",   /* legends */
};

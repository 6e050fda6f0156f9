/*
 * hgd.c -- hypergradient descent with a constant step (DESIGN §2.3 "hgd"):
 *     theta_{s+1} = P(theta_s - alpha ghat(theta_s)),
 * ghat by the run's method at a fixed budget (t, k) or a fixed accuracy (eps, delta); P the
 * problem's projection when it has one (else the identity).
 */
#include "common.h"

static const hg_param_spec hgd_params[] = {
  HG_OUTER_DESCENT_PARAMS,
  {NULL, 0, NULL, 0, 0, NULL, NULL},
};

static int hgd_run(hg_outer *O, const hg_params *op, hg_error *err)
{
  double eps, delta;
  hg_outer_accuracy(op, &eps, &delta);
  return hg_outer_descent(O, hg_params_real(op, "step"), eps, delta, err);
}

const hg_outer_ops hg_outer_hgd = {
  .version = HG_OPS_VERSION,      /* ops layout this table follows */
  .name = "hgd",                        /* registry name (file hgd.c) */
  .summary =                            /* one line */
      "hypergradient descent, constant step, fixed t, k or fixed eps, delta",
  .params = hgd_params,                 /* the loop's parameters */
  .run = hgd_run,                       /* the loop (driver services of hgbench.h) */
  .revision = 1,                 /* bump when this loop's numbers change */
  .display = "HGD",             /* legends */
};

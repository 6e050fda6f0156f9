/*
 * common.h -- pieces the outer loops share (private to methods/outer/).
 */
#ifndef HG_OUTER_COMMON_H
#define HG_OUTER_COMMON_H

#include "hgbench.h"

/* out = P(theta - alpha g) with the problem's projection (when it has one); returns
 * ||out - theta||.  out must not alias theta. */
double hg_outer_move(hg_outer *O, const double *theta, double alpha, const double *g,
                     double *out);

/* Hypergradient descent with a constant step (hgd, projected): from theta0 (projected first
 * when the problem has a projection), record theta0 and its hypergradient, then for each of
 * the run's steps theta <- P(theta - alpha ghat) and record the new theta with the
 * hypergradient computed there.  eps, delta: the accuracy asked of every hypergradient (NAN:
 * the run's budget). */
int hg_outer_descent(hg_outer *O, double alpha, double eps, double delta, hg_error *err);

/* eps and delta of a loop's parameters: eps= and delta= when given (delta defaults to eps),
 * NAN when neither is. */
void hg_outer_accuracy(const hg_params *op, double *eps, double *delta);

/* The parameter entries of a constant-step loop (hgd, projected). */
#define HG_OUTER_DESCENT_PARAMS                                                               \
  {"step", HG_PARAM_REAL, "0.1", 1e-300, 1e300, NULL, "constant step alpha"},               \
  {"eps", HG_PARAM_REAL, NULL, 1e-300, 1e300, NULL,                                         \
   "fixed accuracy ||w - w*|| <= eps per hypergradient (default: the --t/--k budget)"},     \
  {"delta", HG_PARAM_REAL, NULL, 1e-300, 1e300, NULL,                                       \
   "fixed adjoint residual <= delta (default: eps)"}

#endif /* HG_OUTER_COMMON_H */

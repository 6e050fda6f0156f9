/*
 * common.c -- pieces the outer loops share (common.h).
 */
#include "common.h"

#include <math.h>
#include <stdlib.h>

double hg_outer_move(hg_outer *O, const double *theta, double alpha, const double *g,
                     double *out)
{
  int m = hg_outer_n_theta(O);
  for (int j = 0; j < m; j++)
    out[j] = theta[j] - alpha * g[j];
  hg_outer_project(O, out);
  double d2 = 0;
  for (int j = 0; j < m; j++)
    d2 += (out[j] - theta[j]) * (out[j] - theta[j]);
  return sqrt(d2);
}

void hg_outer_accuracy(const hg_params *op, double *eps, double *delta)
{
  *eps = hg_params_real(op, "eps");
  *delta = hg_params_real(op, "delta");
  if (isnan(*delta))
    *delta = *eps;
}

int hg_outer_descent(hg_outer *O, double alpha, double eps, double delta, hg_error *err)
{
  int rc, m = hg_outer_n_theta(O);
  double *theta = malloc(2 * (size_t)m * sizeof *theta), *next = theta + m;
  hg_outer_eval ev;

  if (!theta)
    return hg_fail(err, HG_ERR_NOMEM, "outer loop: out of memory (n_theta = %d)", m);
  for (int j = 0; j < m; j++)
    theta[j] = hg_outer_theta0(O)[j];
  hg_outer_project(O, theta);
  if ((rc = hg_outer_hypergrad(O, theta, eps, delta, &ev, err)) ||
      (rc = hg_outer_record(O, theta, &ev, NULL, 0, 1, err)))
    goto done;
  for (int s = 1; s <= hg_outer_max_steps(O); s++) {
    hg_outer_move(O, theta, alpha, ev.grad, next);
    for (int j = 0; j < m; j++)
      theta[j] = next[j];
    if ((rc = hg_outer_hypergrad(O, theta, eps, delta, &ev, err)) ||
        (rc = hg_outer_record(O, theta, &ev, NULL, alpha, 1, err)))
      goto done;
  }
done:
  free(theta);
  return rc;
}

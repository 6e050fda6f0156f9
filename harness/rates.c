/*
 * rates.c -- theoretical rates (from the method plugins) and fitted rates of error curves
 * (DESIGN §7: "every error curve gets a fitted rate set against the theoretical rate").
 */
#include "hgbench.h"

#include <math.h>

double hg_method_rate(const char *name, const hg_constants *c, char axis)
{
  const hg_method_ops *M = hg_find_method(name, NULL);
  return M && M->rate ? M->rate(c, axis) : NAN;
}

/* t_{0.975} quantile of Student's t with dof degrees of freedom (1.96 beyond 30). */
static double t975(int dof)
{
  static const double t[] = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262,
                             2.228,  2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101,
                             2.093,  2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052,
                             2.048,  2.045, 2.042};
  return dof >= 1 && dof <= 30 ? t[dof - 1] : 1.96;
}

/*
 * Least squares of log err_i = a + b x_i over the usable points (finite, err > floor):
 * b = S_xy / S_xx; residual variance s^2 = sum r_i^2 / (n - 2); se(b) = s / sqrt(S_xx);
 * rate = e^b with the interval e^{b -+ t_{0.975, n-2} se(b)}.
 */
int hg_fit_rate(int n, const double *x, const double *err, double floor, double *rate,
                double *lo, double *hi)
{
  int used = 0;
  double mx = 0, my = 0, sxx = 0, sxy = 0, ss = 0;

  *rate = *lo = *hi = NAN;
  for (int i = 0; i < n; i++)
    if (isfinite(x[i]) && isfinite(err[i]) && err[i] > floor) {
      used++;
      mx += x[i];
      my += log(err[i]);
    }
  if (used < 2)
    return used;
  mx /= used;
  my /= used;
  for (int i = 0; i < n; i++)
    if (isfinite(x[i]) && isfinite(err[i]) && err[i] > floor) {
      sxx += (x[i] - mx) * (x[i] - mx);
      sxy += (x[i] - mx) * (log(err[i]) - my);
    }
  if (!(sxx > 0))
    return used;
  double b = sxy / sxx, a = my - b * mx;
  *rate = exp(b);
  if (used < 3)
    return used;
  for (int i = 0; i < n; i++)
    if (isfinite(x[i]) && isfinite(err[i]) && err[i] > floor) {
      double r = log(err[i]) - a - b * x[i];
      ss += r * r;
    }
  double se = sqrt(ss / (used - 2) / sxx);
  *lo = exp(b - t975(used - 2) * se);
  *hi = exp(b + t975(used - 2) * se);
  return used;
}

/*
 * rates.c -- theoretical rates (from the method plugins) and fitted rates of error curves
 * (DESIGN §7: "every error curve gets a fitted rate set against the theoretical rate").
 */
#include "hg_core.h"

#include <float.h>
#include <math.h>

/* Round-off of a relative error, in units of DBL_EPSILON * max(1, kappa). */
#define FLOOR_EPS 50.0

double hg_method_rate(const char *name, const hg_constants *c, char axis)
{
  const hg_method_ops *M = hg_find_method(name, NULL);
  return M && M->rate ? M->rate(c, axis) : NAN;
}

double hg_roundoff_floor(double kappa)
{
  return FLOOR_EPS * DBL_EPSILON * (isfinite(kappa) && kappa > 1 ? kappa : 1);
}

int hg_rate_window(int n, const double *err, double floor, int *idx)
{
  int peak = 0, m = 0;
  for (int i = 1; i < n; i++)
    if (err[i] > err[peak])
      peak = i;
  for (int i = peak; i < n; i++)
    if (isfinite(err[i]) && err[i] > floor)
      idx[m++] = i;
  return m;
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

/* A straight line fitted by least squares. */
typedef struct line_fit {
  int used;     /* points used */
  double b, se; /* slope and its standard error (NAN with fewer than 3 points) */
} line_fit;

/* 1 when point i takes part: finite x (> 0 when logx), finite err above floor. */
static int usable(double x, double err, double floor, int logx)
{
  return isfinite(x) && (!logx || x > 0) && isfinite(err) && err > floor;
}

/*
 * Least squares of log err_i = a + b X_i, X_i = x_i (or log x_i when logx), over the usable
 * points: b = S_xy / S_xx; residual variance s^2 = sum r_i^2 / (n - 2); se(b) = s / sqrt(S_xx).
 */
static line_fit fit_line(int n, const double *x, const double *err, double floor, int logx)
{
  line_fit f = {0, NAN, NAN};
  double mx = 0, my = 0, sxx = 0, sxy = 0, ss = 0;

  for (int i = 0; i < n; i++)
    if (usable(x[i], err[i], floor, logx)) {
      f.used++;
      mx += logx ? log(x[i]) : x[i];
      my += log(err[i]);
    }
  if (f.used < 2)
    return f;
  mx /= f.used;
  my /= f.used;
  for (int i = 0; i < n; i++)
    if (usable(x[i], err[i], floor, logx)) {
      double X = logx ? log(x[i]) : x[i];
      sxx += (X - mx) * (X - mx);
      sxy += (X - mx) * (log(err[i]) - my);
    }
  if (!(sxx > 0))
    return f;
  f.b = sxy / sxx;
  if (f.used < 3)
    return f;
  double a = my - f.b * mx;
  for (int i = 0; i < n; i++)
    if (usable(x[i], err[i], floor, logx)) {
      double r = log(err[i]) - a - f.b * (logx ? log(x[i]) : x[i]);
      ss += r * r;
    }
  f.se = sqrt(ss / (f.used - 2) / sxx);
  return f;
}

/* rate = e^b with the interval e^{b -+ t_{0.975, n-2} se(b)}. */
int hg_fit_rate(int n, const double *x, const double *err, double floor, double *rate,
                double *lo, double *hi)
{
  line_fit f = fit_line(n, x, err, floor, 0);
  *rate = exp(f.b);
  *lo = exp(f.b - t975(f.used - 2) * f.se);
  *hi = exp(f.b + t975(f.used - 2) * f.se);
  return f.used;
}

/* slope = b with the interval b -+ t_{0.975, n-2} se(b). */
int hg_fit_slope(int n, const double *x, const double *err, double floor, double *slope,
                 double *lo, double *hi)
{
  line_fit f = fit_line(n, x, err, floor, 1);
  *slope = f.b;
  *lo = f.b - t975(f.used - 2) * f.se;
  *hi = f.b + t975(f.used - 2) * f.se;
  return f.used;
}

/*
 * hoag.c -- HOAG (DESIGN §2.3 "hoag"; Pedregosa, "Hyperparameter optimization with approximate
 * gradient", ICML 2016, Algorithm 1 and its reference code fabianp/hoag): at step s the
 * hypergradient is computed to accuracy eps_s (eps = delta = eps_s) on a summable schedule
 *     geometric  eps_s = eps0 rho^s,   quadratic  eps0/(s+1)^2,   cubic  eps0/(s+1)^3,
 * floored at 1e-12, and the step is 1/L with L adapted from the values seen:
 *     L_0 = m ||ghat_0|| when ||ghat_0|| > 1e-3, else 1 (the code's initialization);
 *     after the step theta_{s-1} -> theta_s (length d), comparing the values
 *       E_s - e_s <= E_{s-1} + e_{s-1} - (L/2) d^2   (sufficient decrease):  L <- 0.95 L,
 *       otherwise E_s <= E_{s-1}:                                              L unchanged,
 *       otherwise:                                                             L <- 2 L,
 * where e_s bounds |E_s - f(theta_s)|: the certified gw_norm eps + mu1 eps^2/2 when the method
 * measures eps a posteriori, else eps_s (as the paper).  Every step is taken (no rejection).
 */
#include "common.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const hg_param_spec hoag_params[] = {
  {"schedule", HG_PARAM_CHOICE, "geometric", 0, 0, "geometric|quadratic|cubic",
   "accuracy schedule eps0 rho^s, eps0/(s+1)^2 or eps0/(s+1)^3"},
  {"eps0", HG_PARAM_REAL, "0.1", 1e-300, 1e300, NULL, "initial accuracy (eps = delta)"},
  {"rho", HG_PARAM_REAL, "0.9", 1e-6, 0.999999, NULL, "geometric schedule's factor"},
  {NULL, 0, NULL, 0, 0, NULL, NULL},
};

/* eps_s of the schedule. */
static double hoag_eps(const char *schedule, double eps0, double rho, int s)
{
  double e = !strcmp(schedule, "quadratic") ? eps0 / ((s + 1.0) * (s + 1.0))
             : !strcmp(schedule, "cubic")   ? eps0 / ((s + 1.0) * (s + 1.0) * (s + 1.0))
                                            : eps0 * pow(rho, s);
  return fmax(e, 1e-12);
}

static int hoag_run(hg_outer *O, const hg_params *op, hg_error *err)
{
  int rc = HG_OK, m = hg_outer_n_theta(O);
  const char *schedule = hg_params_str(op, "schedule");
  double eps0 = hg_params_real(op, "eps0"), rho = hg_params_real(op, "rho");
  double *theta = malloc(2 * (size_t)m * sizeof *theta), *next = theta + m;
  double L = NAN, E_old = INFINITY, e_old = 0, d = 0, alpha = 0;
  hg_outer_eval ev;

  if (!theta)
    return hg_fail(err, HG_ERR_NOMEM, "outer loop 'hoag': out of memory (n_theta = %d)", m);
  memcpy(theta, hg_outer_theta0(O), (size_t)m * sizeof *theta);
  hg_outer_project(O, theta);
  for (int s = 0; s <= hg_outer_max_steps(O); s++) {
    double eps = hoag_eps(schedule, eps0, rho, s);
    if ((rc = hg_outer_hypergrad(O, theta, eps, eps, &ev, err)))
      break;
    double e = isfinite(ev.value_err) ? ev.value_err : eps;
    if (s > 0) {
      if (ev.value - e <= E_old + e_old - 0.5 * L * d * d)
        L *= 0.95;
      else if (!(ev.value <= E_old))
        L *= 2;
    }
    if ((rc = hg_outer_record(O, theta, &ev, NULL, alpha, 1, err)) ||
        s == hg_outer_max_steps(O))
      break;
    if (isnan(L))
      L = ev.hg_norm > 1e-3 ? ev.hg_norm * m : 1;
    alpha = 1 / L;
    d = hg_outer_move(O, theta, alpha, ev.grad, next);
    memcpy(theta, next, (size_t)m * sizeof *theta);
    E_old = ev.value;
    e_old = e;
  }
  free(theta);
  return rc;
}

const hg_outer_ops hg_outer_hoag = {
  .version = HG_OPS_VERSION,      /* ops layout this table follows */
  .name = "hoag",                       /* registry name (file hoag.c) */
  .summary =                            /* one line */
      "HOAG: summable accuracy schedule, adaptive step 1/L (Pedregosa 2016)",
  .params = hoag_params,                /* the loop's parameters */
  .run = hoag_run,                      /* the loop (driver services of hgbench.h) */
  .revision = 1,                 /* bump when this loop's numbers change */
  .display = "HOAG",            /* legends */
};

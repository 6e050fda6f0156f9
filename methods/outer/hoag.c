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
 *
 * The MAID authors' comparison code (MohammadSadeghSalehi/MAID, MultiClassRegression.py's
 * HOAG; docs/theory.md "MAID vs HOAG as published") differs in two choices, options here:
 *   init=norm-sqrt-m   L_0 = ||ghat_0|| / sqrt(m) (when ||ghat_0|| > 1e-3, else 1);
 *   init=fixed:VALUE   the first step is VALUE (L_0 = 1/VALUE);
 *   rule=authors       with incr = ||theta_s - theta_old|| (theta_old: the point E_old was
 *                      measured at, the last one stepped from) and C = 0.25,
 *       E_s <= E_old + C eps_s + eps_old (C + 1) incr - L incr^2:  L <- 0.95 L, step;
 *       else E_s >= 1.2 E_old:  reject: no step (theta stays), L <- 2 L, and every later
 *                               eps is halved (the schedule times 1/2 per rejection);
 *       otherwise:              step with L unchanged;
 *     after a step E_old = E_s.  A re-evaluation after a rejection is a row with accepted = 0.
 * Defaults init=pedregosa, rule=pedregosa are the rules above (revision 1's numbers).
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
  {"init", HG_PARAM_STRING, "pedregosa", 0, 0, NULL,
   "first step: pedregosa (L0 = m ||g0||), norm-sqrt-m (L0 = ||g0||/sqrt(m), the MAID "
   "authors' code) or fixed:VALUE (first step VALUE)"},
  {"rule", HG_PARAM_CHOICE, "pedregosa", 0, 0, "pedregosa|authors",
   "step rule: pedregosa (always step) or authors (the MAID authors' code: reject on a 1.2x "
   "rise, halving eps)"},
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

/* The first L of init= (pedregosa, norm-sqrt-m or fixed:VALUE) for ||ghat_0|| = g0. */
static int hoag_init(const char *init, double g0, int m, double *L, hg_error *err)
{
  if (!strcmp(init, "pedregosa")) {
    *L = g0 > 1e-3 ? g0 * m : 1;
    return HG_OK;
  }
  if (!strcmp(init, "norm-sqrt-m")) {
    *L = g0 > 1e-3 ? g0 / sqrt(m) : 1;
    return HG_OK;
  }
  char *end;
  double step = !strncmp(init, "fixed:", 6) ? strtod(init + 6, &end) : NAN;
  if (!(step > 0) || !isfinite(step) || end == init + 6 || *end)
    return hg_fail(err, HG_ERR_ARG, "outer loop 'hoag': init='%s': expected pedregosa, "
                   "norm-sqrt-m or fixed:VALUE with VALUE > 0", init);
  *L = 1 / step;
  return HG_OK;
}

static int hoag_run(hg_outer *O, const hg_params *op, hg_error *err)
{
  int rc = HG_OK, m = hg_outer_n_theta(O);
  const char *schedule = hg_params_str(op, "schedule"), *init = hg_params_str(op, "init");
  int authors = !strcmp(hg_params_str(op, "rule"), "authors");
  double eps0 = hg_params_real(op, "eps0"), rho = hg_params_real(op, "rho");
  double *theta = malloc(2 * (size_t)m * sizeof *theta), *next = theta + m;
  double L = NAN, E_old = INFINITY, e_old = 0, eps_old = 0, d = 0, alpha = 0, shrink = 1;
  int moved = 1; /* the row's theta was reached by a step (0: a re-evaluation) */
  hg_outer_eval ev;

  if (!theta)
    return hg_fail(err, HG_ERR_NOMEM, "outer loop 'hoag': out of memory (n_theta = %d)", m);
  memcpy(theta, hg_outer_theta0(O), (size_t)m * sizeof *theta);
  hg_outer_project(O, theta);
  if ((rc = hoag_init(init, 1, m, &L, err))) /* a bad init= fails before any evaluation */
    goto done;
  L = NAN;
  for (int s = 0; s <= hg_outer_max_steps(O); s++) {
    double eps = fmax(hoag_eps(schedule, eps0, rho, s) * shrink, 1e-12);
    if ((rc = hg_outer_hypergrad(O, theta, eps, eps, &ev, err)))
      break;
    double e = isfinite(ev.value_err) ? ev.value_err : eps;
    int step = 1;
    if (s > 0 && !authors) {
      if (ev.value - e <= E_old + e_old - 0.5 * L * d * d)
        L *= 0.95;
      else if (!(ev.value <= E_old))
        L *= 2;
    } else if (s > 0) { /* the authors' rule, C = 0.25 */
      if (ev.value <= E_old + 0.25 * eps + eps_old * 1.25 * d - L * d * d) {
        L *= 0.95;
      } else if (ev.value >= 1.2 * E_old) {
        L *= 2;
        shrink *= 0.5;
        step = 0;
      }
    }
    if ((rc = hg_outer_record(O, theta, &ev, NULL, moved ? alpha : 0, moved, err)) ||
        s == hg_outer_max_steps(O))
      break;
    if (isnan(L) && (rc = hoag_init(init, ev.hg_norm, m, &L, err)))
      break;
    moved = step;
    if (!step)
      continue; /* theta, E_old and theta_old stay; the next eps is halved */
    alpha = 1 / L;
    d = hg_outer_move(O, theta, alpha, ev.grad, next);
    memcpy(theta, next, (size_t)m * sizeof *theta);
    E_old = ev.value;
    e_old = e;
    eps_old = eps;
  }
done:
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

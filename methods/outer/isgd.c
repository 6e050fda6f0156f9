/*
 * isgd.c -- inexact stochastic hypergradient descent (DESIGN §2.3 "isgd"; Salehi, Mukherjee,
 * Roberts, Ehrhardt, "Bilevel learning with inexact stochastic gradients", 2024):
 *
 *     B_s   a mini-batch of `batch` items of the upper mean, drawn uniformly without
 *           replacement (hg_problem_sample, HG_SAMPLE_UPPER) afresh at every step,
 *     z_s   the hypergradient of the batch objective f_B(theta) = E_B(w*(theta), theta) at
 *           theta_s by the run's method, to accuracy eps_s = eps0 (s+1)^-p, delta_s = eps_s,
 *     theta_{s+1} = P(theta_s - alpha_s d_s),   alpha_s = alpha0 (s+1)^-decay,
 *
 * with d_s = z_s (plain) or Adam's bias-corrected m_s / (sqrt(v_s) + 1e-8) (adam=1, moments
 * 0.9 and 0.999).  z_s is unbiased for grad f up to the inexactness: the batch mean of E is
 * unbiased for E, and ||z_s - grad f_B(theta_s)|| <= omega(eps_s, delta_s) -> 0: biased SGD,
 * which needs the bias summable against the steps (sum alpha_s eps_s < infinity; the defaults
 * decay = 1/2, p = 1 give sum (s+1)^-3/2).  docs/theory.md has the argument.
 *
 * Warm starts per sample: with --warm the lower level starts from the last w.  The imaging
 * problems (denoise-tv, deblur-tv, denoise-foe; one lower block per image) leave the blocks of
 * images outside an upper batch unchanged and compute nothing for them, so each image's block
 * starts from where its last batch left it: a warm start per sample at no extra memory.
 *
 * Each row is the theta the step reached, with the batch's value and the hypergradient
 * computed there; the exact f (--exact) is the full objective.
 */
#include "common.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const hg_param_spec isgd_params[] = {
  {"batch", HG_PARAM_INT, "8", 1, 1000000000, NULL,
   "items of the upper mean per step (at least the count: full batch)"},
  {"step", HG_PARAM_REAL, "0.1", 1e-300, 1e300, NULL, "alpha0: alpha_s = alpha0 (s+1)^-decay"},
  {"decay", HG_PARAM_REAL, "0.5", 0, 10, NULL, "step size decay exponent"},
  {"eps0", HG_PARAM_REAL, "0.1", 1e-300, 1e300, NULL,
   "accuracy eps_s = delta_s = eps0 (s+1)^-p"},
  {"p", HG_PARAM_REAL, "1", 0, 10, NULL, "accuracy decay exponent"},
  {"adam", HG_PARAM_INT, "0", 0, 1, NULL, "1: Adam's direction (moments 0.9, 0.999)"},
  {NULL, 0, NULL, 0, 0, NULL, NULL},
};

/* Adam's direction from gradient g into d, updating the moments mo, ve (step s >= 0). */
static void adam_direction(int m, int s, const double *g, double *mo, double *ve, double *d)
{
  const double b1 = 0.9, b2 = 0.999;
  double c1 = 1 - pow(b1, s + 1), c2 = 1 - pow(b2, s + 1);
  for (int j = 0; j < m; j++) {
    mo[j] = b1 * mo[j] + (1 - b1) * g[j];
    ve[j] = b2 * ve[j] + (1 - b2) * g[j] * g[j];
    d[j] = (mo[j] / c1) / (sqrt(ve[j] / c2) + 1e-8);
  }
}

static int isgd_run(hg_outer *O, const hg_params *op, hg_error *err)
{
  hg_problem *P = hg_outer_problem(O);
  int rc = HG_OK, m = hg_outer_n_theta(O), items = hg_problem_n_items(P, HG_SAMPLE_UPPER);
  int batch = (int)hg_params_int(op, "batch"), adam = (int)hg_params_int(op, "adam");
  double alpha0 = hg_params_real(op, "step"), decay = hg_params_real(op, "decay");
  double eps0 = hg_params_real(op, "eps0"), p = hg_params_real(op, "p");
  double alpha = 0;
  hg_outer_eval ev;
  hg_rng rng;

  if (items <= 0)
    return hg_fail(err, HG_ERR_UNSUPPORTED, "outer loop 'isgd' needs a problem with "
                   "mini-batches of its upper mean (sample ops, e.g. ridge, logreg or "
                   "denoise-tv), and problem '%s' has none (use hgd)", P->ops->name);
  double *theta = malloc(5 * (size_t)m * sizeof *theta);
  int *idx = malloc((size_t)items * sizeof *idx);
  if (!theta || !idx) {
    free(theta);
    free(idx);
    return hg_fail(err, HG_ERR_NOMEM, "outer loop 'isgd': out of memory (%d items)", items);
  }
  double *next = theta + m, *dir = next + m, *mo = dir + m, *ve = mo + m;
  memset(mo, 0, 2 * (size_t)m * sizeof *mo);
  memcpy(theta, hg_outer_theta0(O), (size_t)m * sizeof *theta);
  hg_outer_project(O, theta);
  hg_rng_seed(&rng, hg_outer_seed(O));
  for (int s = 0; s <= hg_outer_max_steps(O); s++) {
    double eps = fmax(eps0 * pow(s + 1.0, -p), 1e-12);
    if ((rc = hg_problem_sample(P, HG_SAMPLE_UPPER, batch, &rng, idx, err)) ||
        (rc = hg_outer_hypergrad(O, theta, eps, eps, &ev, err)))
      break;
    /* the row's exact f is the full objective */
    if ((rc = hg_problem_select(P, HG_SAMPLE_UPPER, 0, NULL, err)) ||
        (rc = hg_outer_record(O, theta, &ev, NULL, alpha, 1, err)) ||
        s == hg_outer_max_steps(O))
      break;
    alpha = alpha0 * pow(s + 1.0, -decay);
    if (adam)
      adam_direction(m, s, ev.grad, mo, ve, dir);
    else
      memcpy(dir, ev.grad, (size_t)m * sizeof *dir);
    hg_outer_move(O, theta, alpha, dir, next);
    memcpy(theta, next, (size_t)m * sizeof *theta);
  }
  hg_error ignored;
  hg_problem_select(P, HG_SAMPLE_UPPER, 0, NULL, &ignored); /* leave P on its full mean */
  free(theta);
  free(idx);
  return rc;
}

const hg_outer_ops hg_outer_isgd = {
  .version = HG_OPS_VERSION,      /* ops layout this table follows */
  .name = "isgd",                       /* registry name (file isgd.c) */
  .summary =                            /* one line */
      "inexact stochastic hypergradient descent on upper mini-batches (Salehi et al. 2024)",
  .params = isgd_params,                /* the loop's parameters */
  .run = isgd_run,                      /* the loop (driver services of hgbench.h) */
  .revision = 1,                 /* bump when this loop's numbers change */
  .display = "ISGD",            /* legends */
};

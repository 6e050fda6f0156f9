/*
 * maid.c -- MAID, the adaptively inexact first-order method of Salehi, Mukherjee, Roberts and
 * Ehrhardt ("An adaptively inexact first-order method for bilevel optimization with
 * application to hyperparameter learning", 2023; SIMODS), as in the authors' MAID.py with the
 * certified quantities of hgbench (DESIGN §2.3 "maid", §7):
 *
 * At theta_k with accuracies (eps, delta):
 *  1. z = ghat to accuracy (eps, delta); while the a-posteriori bound omega (hg_inexact_at) >
 *     (1 - eta) ||z||, eps <- nu eps, delta <- nu delta and z again (then z is a descent
 *     direction: ||z - grad f|| < ||z||);
 *  2. backtracking from alpha = beta: theta' = P(theta - alpha z), the upper value at theta'
 *     to accuracy eps (lower level only), accepted when the certified bounds give
 *        ub(theta') - lb(theta_k) <= -eta ||theta' - theta_k||^2 / alpha
 *     (alpha ||z||^2 without a projection), ub = E + e, lb = E - e, e = ||grad_w E(w)|| eps +
 *     mu1 eps^2/2 >= |E(w) - f| with the loop's eps (or the one measured at w when larger:
 *     eps >= ||w - w*|| either way); so every accepted step is a true decrease of f;
 *     alpha <- rho alpha, at most max_backtracks (+ j on the j-th retry) times;
 *  3. success: theta_{k+1} = theta', beta <- grow alpha, eps <- nubar eps, delta <- nubar
 *     delta; failure: eps <- nu eps, delta <- nu delta and back to 1 (at most max_retries
 *     times per outer step; then the next outer step starts from the same theta).
 *     A trial theta' where Phi is not contractive counts as a failed trial (a shorter step).
 *
 * adaptive=0 is the paper's fixed-accuracy baseline (the authors' fixed_eps runs, which also
 * backtrack 5 (+j) times: max_backtracks=5): eps and delta stay at eps0, delta0 (no omega
 * test in 1, so omega is not measured: NAN in its rows; no change in 3, eps_min unused),
 * the line search and the step rule are as above; a failed search is retried from the same theta with more backtracks, and once the
 * certified test cannot be met at that eps the run stalls (each outer step a rejected row).
 *
 * omega_scale = s < 1 tests s omega <= (1 - eta) ||z|| instead: no longer certified (z may
 * not be a descent direction), a diagnostic of how much a tighter error estimate (the
 * authors' code estimates omega at the current point) would buy; the line search stays
 * certified.
 *
 * Defaults as the authors' code: eps0 = delta0 = 0.1, rho = 0.5, nu = 0.5, nubar = 1.05,
 * eta = 1e-4, beta0 = 0.1, grow = 10/9, 3 retries of 10 (+j) backtracks.  The code's
 * sufficient-decrease constant is eta^2 and its lower bound omits mu1 eps^2/2; here eta and
 * the certified bounds (the paper's form).  The omega measurement (one Phi, vjp_w, grad E, the
 * Lanczos norm of d_theta Phi(w)) is outside the counted costs.  Needs an implicit method
 * (aid-*: one that returns its adjoint v) and a problem whose constants give q, mu1 and the
 * Lipschitz constants of omega, or a method with its own a-posteriori bound
 * (hg_method_ops.posterior: piggyback, whose saddle bound then stands for omega and whose
 * certified eps, delta the same rule tightens and loosens; scenario outer_piggyback.lua).  Stops early when eps falls below eps_min.  omega is the
 * certified bound of hg_inexact_at, not the authors' estimate (power step and random
 * perturbations): an upper bound of the true error, so loose where the problem's global
 * constants are (smoothed TV: docs/theory.md, "Why MAID does not win on outer_tv").
 *
 * omega=estimated replaces it by the authors' estimate (MAID.py's bound(); docs/theory.md
 * "MAID vs HOAG as published"), in hgbench's terms (B(w) = d_theta Phi(w)^T, A(w) = I -
 * d_w Phi(w)^T, mu -> 1 - q, so every factor of Phi's step cancels as in the certified bound):
 *     ||J||  ~ the largest |entry| of d_theta Phi(w) ghat (the code's one power step, from the
 *              unnormalized hypergradient);
 *     L_J    ~ running max of ||B(xi) v - B(w) v|| / ||v||,
 *     L_Ainv ~ running max of ||A(xi)^{-1} grad_w E(w) - v|| / ||grad_w E(w)||
 *              (GMRES to the residual delta), xi ~ N(0, I) a fresh random point each time, v
 *              the method's adjoint (as the code: a random point, not w + a small step);
 *     omega = c eps + ||J|| delta/mu + L_J eps^2/mu (L_g = 1),
 *     c = ||J||/mu + L_Ainv ||grad_w E(w)|| ||J|| + L_J ||grad_w E(w)||/mu.
 * Not a bound: rows carry uncertified = 1 (and with omega_scale < 1).  Its products and GMRES
 * are outside the counted costs, as the certified omega's Lanczos run.
 */
#include "common.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const hg_param_spec maid_params[] = {
  {"eps0", HG_PARAM_REAL, "0.1", 1e-300, 1e300, NULL, "initial lower accuracy eps"},
  {"delta0", HG_PARAM_REAL, "0.1", 1e-300, 1e300, NULL, "initial adjoint residual delta"},
  {"beta0", HG_PARAM_REAL, "0.1", 1e-300, 1e300, NULL, "initial step"},
  {"rho", HG_PARAM_REAL, "0.5", 1e-6, 0.999999, NULL, "backtracking factor of the step"},
  {"nu", HG_PARAM_REAL, "0.5", 1e-6, 0.999999, NULL, "factor tightening eps, delta"},
  {"nubar", HG_PARAM_REAL, "1.05", 1, 1e3, NULL, "factor loosening eps, delta after success"},
  {"eta", HG_PARAM_REAL, "1e-4", 1e-12, 0.5, NULL, "sufficient decrease and omega margin"},
  {"grow", HG_PARAM_REAL, "1.1111111111111112", 1, 1e3, NULL, "step growth after success"},
  {"max_backtracks", HG_PARAM_INT, "10", 1, 1000, NULL, "backtracking steps (+j on retry j)"},
  {"max_retries", HG_PARAM_INT, "3", 1, 1000, NULL, "line searches per outer step"},
  {"eps_min", HG_PARAM_REAL, "1e-12", 0, 1, NULL, "stop when eps falls below this"},
  {"adaptive", HG_PARAM_INT, "1", 0, 1, NULL,
   "0: eps, delta fixed at eps0, delta0 (the paper's fixed-accuracy baseline)"},
  {"omega_scale", HG_PARAM_REAL, "1", 0, 1, NULL,
   "test omega_scale * omega (< 1: uncertified, a diagnostic)"},
  {"omega", HG_PARAM_CHOICE, "certified", 0, 0, "certified|estimated",
   "certified: hgbench's bound; estimated: the authors' estimate (power step, random "
   "perturbations; rows marked uncertified)"},
  {NULL, 0, NULL, 0, 0, NULL, NULL},
};

/* The state of omega=estimated: the running maxima and scratch. */
typedef struct maid_estimate {
  hg_rng rng;
  double LJ, LAinv;  /* running maxima of the perturbation quotients */
  double *buf;       /* 4 n + m + GMRES work */
  int restart;
} maid_estimate;

/* What the direction step reads of the parameters. */
typedef struct maid_test {
  int adaptive;   /* 0: eps, delta as they are (the fixed-accuracy baseline) */
  double nu;      /* tightening factor */
  double eta;     /* margin of the omega test */
  double scale;   /* omega_scale */
  double eps_min; /* stop below this eps */
  maid_estimate *est; /* omega=estimated, else NULL */
} maid_test;

/* A(xi) = I - d_w Phi(xi)^T as a linear operator (GMRES). */
typedef struct maid_op {
  hg_problem *P;
  const double *xi, *theta;
} maid_op;

static void maid_apply_A(void *ctx, const double *v, double *out)
{
  const maid_op *a = ctx;
  int n = a->P->n_w;
  hg_vjp_w(a->P, a->xi, a->theta, v, out);
  for (int i = 0; i < n; i++)
    out[i] = v[i] - out[i];
}

static int maid_estimate_init(hg_outer *O, maid_estimate *S, hg_error *err)
{
  hg_problem *P = hg_outer_problem(O);
  int n = P->n_w, m = hg_outer_n_theta(O);
  S->restart = n < 50 ? n : 50;
  S->LJ = S->LAinv = 0;
  hg_rng_seed(&S->rng, hg_outer_seed(O) ^ 0x4d414944u); /* "MAID" */
  S->buf = malloc((4 * (size_t)n + (size_t)m + hg_gmres_work(n, S->restart)) * sizeof *S->buf);
  if (!S->buf)
    return hg_fail(err, HG_ERR_NOMEM, "outer loop 'maid': out of memory for omega=estimated "
                   "(n_w = %d)", n);
  return HG_OK;
}

/* omega=estimated at the evaluation ev (at theta, the driver's w) for the loop's eps, delta:
 * the authors' estimate (see the header), updating the running maxima of S. */
static int maid_estimate_omega(hg_outer *O, maid_estimate *S, const double *theta,
                               const hg_outer_eval *ev, double eps, double delta,
                               double *omega, hg_error *err)
{
  hg_problem *P = hg_outer_problem(O);
  int n = P->n_w, m = hg_outer_n_theta(O), k;
  const double *w = hg_outer_w(O), *v = ev->v;
  double *y = S->buf, *xi = y + n, *gw = xi + n, *v2 = gw + n, *bt = v2 + n, *work = bt + m;
  hg_constants c;
  int rc;

  if (!v || !w)
    return hg_fail(err, HG_ERR_UNSUPPORTED, "outer loop 'maid' omega=estimated needs the "
                   "method's adjoint v (use an implicit method, aid-*)");
  if ((rc = hg_problem_constants(P, theta, &c, err)))
    return rc;
  double mu = 1 - c.q, J = 0, res;
  if (!(mu > 0))
    return hg_fail(err, HG_ERR_UNSUPPORTED, "outer loop 'maid' omega=estimated needs the "
                   "contraction constant q < 1 of problem '%s'", P->ops->name);
  hg_jvp_theta(P, w, theta, ev->grad, y); /* ||J||: one power step from ghat */
  for (int i = 0; i < n; i++)
    J = fmax(J, fabs(y[i]));
  hg_upper(P, w, theta, gw, NULL);
  double gE = hg_nrm2(n, gw), vn = hg_nrm2(n, v);
  hg_rng_normals(&S->rng, (size_t)n, 1, xi);
  hg_vjp_theta(P, xi, theta, v, bt); /* L_J: B(xi) v against B(w) v */
  hg_vjp_theta(P, w, theta, v, work);
  double dj = 0;
  for (int j = 0; j < m; j++)
    dj += (bt[j] - work[j]) * (bt[j] - work[j]);
  if (vn > 0)
    S->LJ = fmax(S->LJ, sqrt(dj) / vn);
  hg_rng_normals(&S->rng, (size_t)n, 1, xi); /* L_Ainv: a second random point */
  maid_op a = {P, xi, theta};
  hg_zero(n, v2);
  if ((rc = hg_gmres(n, maid_apply_A, &a, gw, v2, 2000, S->restart, delta, work, &k, &res,
                     err)))
    return rc;
  hg_axpy(n, -1, v, v2);
  if (gE > 0)
    S->LAinv = fmax(S->LAinv, hg_nrm2(n, v2) / gE);
  double cc = J / mu + S->LAinv * gE * J + S->LJ * gE / mu;
  *omega = cc * eps + J / mu * delta + S->LJ / mu * eps * eps;
  return HG_OK;
}

/* Step 1: z at theta, tightened until scale omega <= (1 - eta) ||z|| (not adaptive: at eps,
 * delta as they are).  *stop = 1 when eps fell below eps_min first. */
static int maid_direction(hg_outer *O, const double *theta, double *eps, double *delta,
                          const maid_test *c, hg_outer_eval *ev, int *stop, hg_error *err)
{
  for (;;) {
    int rc = hg_outer_hypergrad(O, theta, *eps, *delta, ev, err);
    if (rc)
      return rc;
    if (c->est && (rc = maid_estimate_omega(O, c->est, theta, ev, *eps, *delta, &ev->omega,
                                            err)))
      return rc;
    ev->uncertified = c->est || c->scale < 1;
    if ((c->adaptive && isnan(ev->omega)) || isnan(ev->value_err))
      return hg_fail(err, HG_ERR_UNSUPPORTED, "outer loop 'maid' needs the a-posteriori bound "
                     "omega and the value error, which method and problem '%s' do not give "
                     "(use an implicit method, aid-*, on a problem with constants, or a method "
                     "with its own bound: piggyback on denoise-tv-pd f=charbonnier)",
                     hg_outer_problem(O)->ops->name);
    if (!c->adaptive || c->scale * ev->omega <= (1 - c->eta) * ev->hg_norm)
      return HG_OK;
    *eps *= c->nu;
    *delta *= c->nu;
    if (*eps < c->eps_min) {
      *stop = 1;
      return HG_OK;
    }
  }
}

/* The value error of the line search at the loop's accuracy eps, as the paper's bounds:
 * ||grad_w E(w)|| eps + mu1 eps^2/2 when the measured eps of ev is smaller (still a bound of
 * |E(w) - f|, as eps >= the measured >= ||w - w*||), else ev's own.  With the measured eps the
 * test would depend on how close the warm start happened to be, not on eps: a failed trial
 * would be cured by the next, shorter step (a closer warm start) instead of by a smaller eps,
 * and the step would shrink at every such step (on ridge: f stalled at 0.63 f0). */
static double value_err_at(const hg_outer_eval *ev, double eps)
{
  if (!(ev->eps < eps) || !(ev->eps > 0))
    return ev->value_err;
  double r = eps / ev->eps; /* value_err - gw_norm ev->eps = mu1 ev->eps^2/2 */
  return ev->gw_norm * eps + (ev->value_err - ev->gw_norm * ev->eps) * r * r;
}

static int maid_run(hg_outer *O, const hg_params *op, hg_error *err)
{
  int rc = HG_OK, m = hg_outer_n_theta(O), stop = 0;
  double eps = hg_params_real(op, "eps0"), delta = hg_params_real(op, "delta0");
  double beta = hg_params_real(op, "beta0"), rho = hg_params_real(op, "rho");
  double nu = hg_params_real(op, "nu"), nubar = hg_params_real(op, "nubar");
  double eta = hg_params_real(op, "eta"), grow = hg_params_real(op, "grow");
  double eps_min = hg_params_real(op, "eps_min");
  int max_bt = (int)hg_params_int(op, "max_backtracks");
  int max_retries = (int)hg_params_int(op, "max_retries");
  maid_estimate est = {0};
  int estimated = !strcmp(hg_params_str(op, "omega"), "estimated");
  maid_test c = {(int)hg_params_int(op, "adaptive"), nu, eta,
                 hg_params_real(op, "omega_scale"), eps_min, estimated ? &est : NULL};
  double *theta = malloc(3 * (size_t)m * sizeof *theta), *trial = theta + m, *z = trial + m;
  hg_outer_eval ev, tv;

  if (!theta)
    return hg_fail(err, HG_ERR_NOMEM, "outer loop 'maid': out of memory (n_theta = %d)", m);
  if (estimated && (rc = maid_estimate_init(O, &est, err)))
    goto done;
  if (estimated || !c.adaptive)
    hg_outer_want_omega(O, 0); /* the certified omega (a Lanczos run) is not used */
  memcpy(theta, hg_outer_theta0(O), (size_t)m * sizeof *theta);
  hg_outer_project(O, theta);
  if ((rc = maid_direction(O, theta, &eps, &delta, &c, &ev, &stop, err)) ||
      (rc = hg_outer_record(O, theta, &ev, NULL, 0, 1, err)))
    goto done;
  for (int k = 1; k <= hg_outer_max_steps(O) && !stop; k++) {
    for (int j = 0; j < max_retries && !stop; j++) {
      if (j > 0 &&
          (rc = maid_direction(O, theta, &eps, &delta, &c, &ev, &stop, err)))
        goto done;
      if (stop)
        break;
      memcpy(z, ev.grad, (size_t)m * sizeof *z); /* the evaluations below reuse ev.grad */
      hg_outer_eval used = ev;
      used.grad = z;
      double lb = ev.value - value_err_at(&ev, eps), alpha = beta;
      int ok = 0;
      for (int i = 0; i < max_bt + j && !ok; i++, alpha *= rho) {
        double d = hg_outer_move(O, theta, alpha, z, trial);
        rc = hg_outer_value(O, trial, eps, &tv, err);
        if (rc == HG_ERR_NONCONTRACT) { /* Phi not contractive at the trial: a shorter step */
          hg_error_clear(err);
          rc = HG_OK;
          continue;
        }
        if (rc)
          goto done;
        ok = tv.value + value_err_at(&tv, eps) - lb <= -eta * d * d / alpha;
        if (ok)
          break;
      }
      if (ok) {
        memcpy(theta, trial, (size_t)m * sizeof *theta);
        if ((rc = hg_outer_record(O, theta, &tv, &used, alpha, 1, err)))
          goto done;
        beta = alpha * grow;
        if (c.adaptive) {
          eps *= nubar;
          delta *= nubar;
        }
        if (k < hg_outer_max_steps(O) &&
            (rc = maid_direction(O, theta, &eps, &delta, &c, &ev, &stop, err)))
          goto done;
        break;
      }
      if ((rc = hg_outer_record(O, theta, &ev, &used, alpha / rho, 0, err)))
        goto done;
      if (c.adaptive) {
        eps *= nu;
        delta *= nu;
        stop = eps < eps_min;
      }
    }
  }
done:
  free(est.buf);
  free(theta);
  return rc;
}

const hg_outer_ops hg_outer_maid = {
  .version = HG_OPS_VERSION,      /* ops layout this table follows */
  .name = "maid",                       /* registry name (file maid.c) */
  .summary =                            /* one line */
      "MAID: adaptive accuracy, certified backtracking line search (Salehi et al. 2023)",
  .params = maid_params,                /* the loop's parameters */
  .needs = HG_OUTER_NEEDS_OMEGA,        /* omega of every hypergradient */
  .run = maid_run,                      /* the loop (driver services of hgbench.h) */
  .revision = 1,                 /* bump when this loop's numbers change */
  .display = "MAID",            /* legends */
};

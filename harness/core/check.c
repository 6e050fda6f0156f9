/*
 * check.c -- finite-difference checks of every derivative callback of a problem (DESIGN §2.1:
 * "every derivative callback is checked by finite differences").
 *
 * Each check compares a callback with a central difference of the function it differentiates,
 * along seeded random unit directions, at a seeded random w (derivatives must hold everywhere,
 * not only at w*).  Central differences with h = 1e-5 have truncation error O(h^2) ~ 1e-10 and
 * round-off O(eps/h) ~ 1e-11 relative, so 1e-6 separates a correct callback from a wrong one
 * (an error in a derivative shows up at O(1)).  Adjoint identities <u, J v> = <J^T u, v> hold to
 * round-off: 1e-10.
 *
 * Where a derivative is tiny next to the function it differentiates (d_theta Phi at theta = -10
 * is e^-10 times Phi), the round-off of the difference, about NOISE_EPS * |f| / h, can exceed
 * 1e-6 of the derivative.  The error is then measured against scale + noise / tol, so a row
 * passes when |a - b| <= tol * max(|a|, |b|) + noise: still far below the size of any wrong
 * derivative.
 */
#include "hg_core.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define FD_H 1e-5
#define FD_TOL 1e-6
#define ADJ_TOL 1e-10
#define NOISE_EPS (100 * DBL_EPSILON) /* round-off of one evaluation, relative to its size */

/* f_size: the size of the function values a central difference subtracts (0 when neither side
 * is a difference). */
static void add_row(hg_check_report *rep, const char *what, double a_norm, double b_norm,
                    double diff, double tol, double f_size)
{
  if (rep->nrows >= HG_CHECK_MAX_ROWS)
    return;
  hg_check_row *row = &rep->rows[rep->nrows++];
  double scale = fmax(a_norm, b_norm) + NOISE_EPS * f_size / FD_H / tol;
  snprintf(row->what, sizeof row->what, "%s", what);
  row->error = scale > 0 ? diff / scale : diff;
  row->tol = tol;
  row->pass = isfinite(row->error) && row->error <= tol;
  if (!row->pass)
    rep->all_pass = 0;
}

/* A unit vector of n seeded normal entries. */
static void random_unit(hg_rng *rng, int n, double *x)
{
  for (int i = 0; i < n; i++)
    x[i] = hg_rng_normal(rng);
  double s = hg_nrm2(n, x);
  for (int i = 0; i < n; i++)
    x[i] /= s;
}

/* ||a - b|| for vectors of length n. */
static double dist(int n, const double *a, const double *b)
{
  double s = 0;
  for (int i = 0; i < n; i++)
    s += (a[i] - b[i]) * (a[i] - b[i]);
  return sqrt(s);
}

/* out = (f(x + h d) - f(x - h d)) / 2h where f is phi in w (which = 0) or in theta. */
static void fd_phi(hg_problem *P, int which, const double *w, const double *theta,
                   const double *d, double *tmp_w, double *tmp_t, double *fp, double *out)
{
  int n = P->n_w, m = P->n_theta;
  for (int sgn = 1; sgn >= -1; sgn -= 2) {
    memcpy(tmp_w, w, (size_t)n * sizeof *w);
    memcpy(tmp_t, theta, (size_t)m * sizeof *theta);
    if (which == 0)
      hg_axpy(n, sgn * FD_H, d, tmp_w);
    else
      hg_axpy(m, sgn * FD_H, d, tmp_t);
    P->ops->phi(P->self, tmp_w, tmp_t, sgn > 0 ? fp : out);
  }
  for (int i = 0; i < n; i++)
    out[i] = (fp[i] - out[i]) / (2 * FD_H);
}

/*
 * The saddle ops (hgbench.h hg_saddle_ops), with tau = sigma = 1/||K||: the adjoint identity
 * <K w, y> = <w, K^T y>, the theta-derivative of <K(theta) w, y> of a learned K, and each prox Jacobian against central differences of its prox along
 * a random direction, in v and (for a theta-dependent prox) in theta, at v = w (primal) and
 * v = y ~ 0.5 N(0, 1) (dual).  A piecewise-smooth prox is differentiable away from its kinks;
 * a difference of step FD_H crosses one with probability of order n FD_H, negligible here.
 */
static int check_saddle(hg_problem *P, const double *theta, const double *w, const double *dw,
                        const double *s, hg_rng *rng, hg_check_report *rep, hg_error *err)
{
  const hg_saddle_ops *so = P->ops->saddle;
  void *self = P->self;
  int n = P->n_w, m = P->n_theta, d = so->n_dual(self), rc = HG_OK;
  hg_saddle_constants c;
  double *buf = calloc(6 * (size_t)(n > d ? n : d) + 2 * (size_t)m, sizeof *buf);

  if (!buf)
    return hg_fail(err, HG_ERR_NOMEM, "check: out of memory (n_y = %d)", d);
  double *y = buf, *dy = y + (n > d ? n : d), *a = dy + (n > d ? n : d);
  double *b = a + (n > d ? n : d), *fp = b + (n > d ? n : d), *fm = fp + (n > d ? n : d);
  double *tt = fm + (n > d ? n : d), *g = tt + m;

  so->constants(self, theta, &c);
  if (!(c.norm_K > 0 && isfinite(c.norm_K) && c.mu_G > 0 && c.mu_F > 0)) {
    rc = hg_fail(err, HG_ERR_NUMERIC, "check: saddle constants mu_G = %g, mu_F = %g, ||K|| = %g "
                 "must be positive and finite", c.mu_G, c.mu_F, c.norm_K);
    goto done;
  }
  double step = 1 / c.norm_K;
  for (int i = 0; i < d; i++)
    y[i] = 0.5 * hg_rng_normal(rng);
  random_unit(rng, d, dy);

  so->K(self, theta, w, a);
  so->Kt(self, theta, y, b);
  double lhs = hg_dot(d, a, y), rhs = hg_dot(n, w, b);
  add_row(rep, "K^T adjoint of K", fabs(lhs), fabs(rhs), fabs(lhs - rhs), ADJ_TOL, 0);
  if (so->K_vjp_theta && so->K_vjp_theta(self, theta, w, y, g)) {
    /* a learned K: d/ds <K(theta + s h) w, y> against <K_vjp_theta, s> */
    for (int sgn = 1; sgn >= -1; sgn -= 2) {
      hg_copy(m, theta, tt);
      hg_axpy(m, sgn * FD_H, s, tt);
      so->K(self, tt, w, a);
      (sgn > 0 ? fp : fm)[0] = hg_dot(d, a, y);
    }
    lhs = (fp[0] - fm[0]) / (2 * FD_H);
    rhs = hg_dot(m, g, s);
    so->K(self, theta, w, a);
    add_row(rep, "K vjp_theta vs fd", fabs(lhs), fabs(rhs), fabs(lhs - rhs), FD_TOL,
            hg_nrm2(d, a) * hg_nrm2(d, y));
  }

  for (int dual = 0; dual < 2; dual++) {
    int len = dual ? d : n;
    const double *v = dual ? y : w, *dv = dual ? dy : dw;
    void (*prox)(void *, const double *, double, const double *, double *) =
        dual ? so->prox_F : so->prox_G;
    void (*jvp)(void *, const double *, double, const double *, const double *, double *) =
        dual ? so->prox_F_jvp : so->prox_G_jvp;
    void (*vjp_theta)(void *, const double *, double, const double *, const double *,
                      double *) = dual ? so->prox_F_vjp_theta : so->prox_G_vjp_theta;
    /* in v: d prox(v) dv against (prox(v + h dv) - prox(v - h dv))/2h */
    for (int sgn = 1; sgn >= -1; sgn -= 2) {
      hg_copy(len, v, a);
      hg_axpy(len, sgn * FD_H, dv, a);
      prox(self, theta, step, a, sgn > 0 ? fp : fm);
    }
    for (int i = 0; i < len; i++)
      b[i] = (fp[i] - fm[i]) / (2 * FD_H);
    jvp(self, theta, step, v, dv, a);
    prox(self, theta, step, v, fp);
    add_row(rep, dual ? "prox_F jvp vs fd" : "prox_G jvp vs fd", hg_nrm2(len, a),
            hg_nrm2(len, b), dist(len, a, b), FD_TOL, hg_nrm2(len, fp));
    if (!vjp_theta)
      continue;
    /* in theta: <dv, d_theta prox s> by differences against <d_theta prox^T dv, s> */
    for (int sgn = 1; sgn >= -1; sgn -= 2) {
      hg_copy(m, theta, tt);
      hg_axpy(m, sgn * FD_H, s, tt);
      prox(self, tt, step, v, sgn > 0 ? fp : fm);
    }
    lhs = 0;
    for (int i = 0; i < len; i++)
      lhs += dv[i] * (fp[i] - fm[i]) / (2 * FD_H);
    vjp_theta(self, theta, step, v, dv, g);
    rhs = hg_dot(m, g, s);
    prox(self, theta, step, v, fp);
    add_row(rep, dual ? "prox_F vjp_theta vs fd" : "prox_G vjp_theta vs fd",
            fabs(lhs), fabs(rhs), fabs(lhs - rhs), FD_TOL, hg_nrm2(len, fp));
  }

done:
  free(buf);
  return rc;
}

int hg_check(hg_problem *P, const double *theta, uint64_t seed, hg_check_report *rep,
             hg_error *err)
{
  int rc = HG_OK, n = P->n_w, m = P->n_theta;
  void *self = P->self;
  const hg_problem_ops *ops = P->ops;
  hg_rng rng;
  double *buf = NULL;

  memset(rep, 0, sizeof *rep);
  rep->all_pass = 1;
  if ((rc = hg_theta_check(m, theta, err)))
    return rc;
  /* vectors of n: w, v, u, a, b, c, tw, fp; of m: s, sa, sb, tt, gt */
  buf = calloc((size_t)8 * n + 5 * (size_t)m, sizeof *buf);
  if (!buf)
    return hg_fail(err, HG_ERR_NOMEM, "check: out of memory (n_w = %d)", n);
  double *w = buf, *v = w + n, *u = v + n, *a = u + n, *b = a + n, *c = b + n, *tw = c + n,
         *fp = tw + n, *s = fp + n, *sa = s + m, *sb = sa + m, *tt = sb + m, *gt = tt + m;

  hg_rng_seed(&rng, seed);
  for (int i = 0; i < n; i++)
    w[i] = 0.5 * hg_rng_normal(&rng);
  random_unit(&rng, n, v);
  random_unit(&rng, n, u);
  random_unit(&rng, m, s);

  /* the sizes of the values the differences subtract */
  ops->phi(self, w, theta, a);
  double phi_size = hg_nrm2(n, a), e0 = ops->upper(self, w, theta, NULL, NULL);

  /* d_w Phi v against the difference of Phi along v */
  ops->jvp_w(self, w, theta, v, a);
  fd_phi(P, 0, w, theta, v, tw, tt, fp, b);
  add_row(rep, "jvp_w vs fd", hg_nrm2(n, a), hg_nrm2(n, b), dist(n, a, b), FD_TOL, phi_size);

  /* <u, d_w Phi v> = <d_w Phi^T u, v> */
  ops->vjp_w(self, w, theta, u, c);
  double lhs = hg_dot(n, u, a), rhs = hg_dot(n, c, v);
  add_row(rep, "vjp_w adjoint of jvp_w", fabs(lhs), fabs(rhs), fabs(lhs - rhs), ADJ_TOL, 0);

  /* <u, d_theta Phi s> by differences against <d_theta Phi^T u, s> */
  fd_phi(P, 1, w, theta, s, tw, tt, fp, b);
  ops->vjp_theta(self, w, theta, u, sa);
  lhs = hg_dot(n, u, b);
  rhs = hg_dot(m, sa, s);
  add_row(rep, "vjp_theta vs fd", fabs(lhs), fabs(rhs), fabs(lhs - rhs), FD_TOL, phi_size);

  if (ops->jvp_theta) {
    ops->jvp_theta(self, w, theta, s, a);
    add_row(rep, "jvp_theta vs fd", hg_nrm2(n, a), hg_nrm2(n, b), dist(n, a, b), FD_TOL,
            phi_size);
  }

  /* gradients of E against differences of E */
  ops->upper(self, w, theta, c, gt);
  for (int i = 0; i < n; i++)
    tw[i] = w[i] + FD_H * v[i];
  double ep = ops->upper(self, tw, theta, NULL, NULL);
  for (int i = 0; i < n; i++)
    tw[i] = w[i] - FD_H * v[i];
  double em = ops->upper(self, tw, theta, NULL, NULL);
  lhs = (ep - em) / (2 * FD_H);
  rhs = hg_dot(n, c, v);
  add_row(rep, "grad_w E vs fd", fabs(lhs), fabs(rhs), fabs(lhs - rhs), FD_TOL, fabs(e0));

  for (int i = 0; i < m; i++)
    tt[i] = theta[i] + FD_H * s[i];
  ep = ops->upper(self, w, tt, NULL, NULL);
  for (int i = 0; i < m; i++)
    tt[i] = theta[i] - FD_H * s[i];
  em = ops->upper(self, w, tt, NULL, NULL);
  lhs = (ep - em) / (2 * FD_H);
  rhs = hg_dot(m, gt, s);
  add_row(rep, "grad_theta E vs fd", fabs(lhs), fabs(rhs), fabs(lhs - rhs), FD_TOL, fabs(e0));

  if (ops->saddle && (rc = check_saddle(P, theta, w, v, s, &rng, rep, err)))
    goto done;

  if (ops->exact) {
    /* w* is a fixed point of Phi, to the accuracy of a direct solve */
    if ((rc = ops->exact(self, theta, a, sa, err)))
      goto done;
    ops->phi(self, a, theta, b);
    add_row(rep, "exact: Phi(w*) = w*", 1.0, hg_nrm2(n, a), dist(n, a, b), 1e-10, 0);

    /* the exact hypergradient against differences of theta -> E(w*(theta), theta) */
    for (int i = 0; i < m; i++)
      tt[i] = theta[i] + FD_H * s[i];
    if ((rc = ops->exact(self, tt, a, sb, err)))
      goto done;
    ep = ops->upper(self, a, tt, NULL, NULL);
    for (int i = 0; i < m; i++)
      tt[i] = theta[i] - FD_H * s[i];
    if ((rc = ops->exact(self, tt, a, sb, err)))
      goto done;
    em = ops->upper(self, a, tt, NULL, NULL);
    lhs = (ep - em) / (2 * FD_H);
    rhs = hg_dot(m, sa, s);
    /* a direct solve carries relative error ~ kappa eps into E(w*(theta)) */
    hg_constants k;
    double kappa = 1;
    if (ops->constants && ops->constants(self, theta, &k, err) == HG_OK && isfinite(k.kappa))
      kappa = fmax(1, k.kappa);
    hg_error_clear(err);
    add_row(rep, "exact grad vs fd of f", fabs(lhs), fabs(rhs), fabs(lhs - rhs), FD_TOL,
            kappa * fabs(ep));
  }

done:
  free(buf);
  return rc;
}

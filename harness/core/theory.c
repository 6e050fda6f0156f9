/*
 * theory.c -- the constants behind the bounds of DESIGN §7 (Grazzi, Franceschi, Pontil, Salzo,
 * ICML 2020, §2) for one run, and c1, c2, c3.
 *
 * Global constants.  The problem gives q, kappa and the Lipschitz constants nu1, nu2, mu1, mu2
 * (global in w).  The norms the theorems need along the iterates are taken over the ball
 * ||w - w*|| <= D, D = ||w0 - w*||, which every iterate of a q-contraction started at w0 stays
 * in (||w_i - w*|| <= q^i D):
 *     L_E   = ||grad_w E(w*)||      + mu1 D  >= ||grad_w E(w)||,
 *     L_Phi = ||d_theta Phi(w*)||_2 + nu2 D  >= ||d_theta Phi(w)||_2.
 *
 * Trajectory-local constants (DESIGN §7: "maxima of the Lipschitz ratios and norms along the
 * iterates actually computed, and q as the largest ||d_w Phi(w_s)||"): the lower iteration is
 * replayed from w0 for the run's t steps (outside the counting wrapper), and over w*, w_0..w_t
 *     q     = max ||d_w Phi(w_s)||_2,          L_E = max ||grad_w E(w_s)||,
 *     L_Phi = max ||d_theta Phi(w_s)||_2,
 *     nu1   = max ||d_w Phi(w_s) - d_w Phi(w*)||_2 / ||w_s - w*||, nu2 likewise for d_theta Phi,
 *     mu1   = max ||grad_w E(w_s) - grad_w E(w*)|| / ||w_s - w*||, mu2 for grad_theta E.
 * Operator norms are the square roots of the largest eigenvalue of A^T A by Lanczos to 1e-10
 * (rounded up); when Lanczos stops short, the Frobenius norm (an upper bound) for the global
 * L_Phi and the current Ritz value for the local measurements.
 */
#include "hg_core.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A Jacobian of Phi at w1, or the difference of its values at w1 and w2 (w2 not NULL):
 * which 'w' for d_w Phi (n x n), 't' for d_theta Phi (n x m). */
typedef struct jac_op {
  hg_problem *P;
  const double *theta, *w1, *w2;
  char which;
  int n, in;           /* rows (n_w) and columns (n or m) */
  double *y, *y2, *x2; /* scratch: n, n, in */
} jac_op;

/* y = A x */
static void jac_apply(jac_op *J, const double *x, double *y)
{
  const hg_problem_ops *o = J->P->ops;
  void *self = J->P->self;
  if (J->which == 'w')
    o->jvp_w(self, J->w1, J->theta, x, y);
  else
    o->jvp_theta(self, J->w1, J->theta, x, y);
  if (!J->w2)
    return;
  if (J->which == 'w')
    o->jvp_w(self, J->w2, J->theta, x, J->y2);
  else
    o->jvp_theta(self, J->w2, J->theta, x, J->y2);
  for (int i = 0; i < J->n; i++)
    y[i] -= J->y2[i];
}

/* x = A^T y */
static void jac_apply_t(jac_op *J, const double *y, double *x)
{
  const hg_problem_ops *o = J->P->ops;
  void *self = J->P->self;
  if (J->which == 'w')
    o->vjp_w(self, J->w1, J->theta, y, x);
  else
    o->vjp_theta(self, J->w1, J->theta, y, x);
  if (!J->w2)
    return;
  if (J->which == 'w')
    o->vjp_w(self, J->w2, J->theta, y, J->x2);
  else
    o->vjp_theta(self, J->w2, J->theta, y, J->x2);
  for (int i = 0; i < J->in; i++)
    x[i] -= J->x2[i];
}

/* out = A^T A x, for Lanczos */
static void jac_gram(void *ctx, const double *x, double *out)
{
  jac_op *J = ctx;
  jac_apply(J, x, J->y);
  jac_apply_t(J, J->y, out);
}

/* ||A||_2 of the operator described by which, w1, w2 (see jac_op).  When Lanczos stops short
 * of its tolerance: certified, the Frobenius norm (an upper bound, `in` more products);
 * otherwise (a measurement, as the trajectory-local constants are) its current Ritz value. */
static int jac_norm(hg_problem *P, char which, const double *theta, const double *w1,
                    const double *w2, int certified, double *norm, hg_error *err)
{
  int rc = HG_OK, n = P->n_w, in = which == 'w' ? n : P->n_theta, conv = 0;
  double lo, hi;
  double *buf = malloc((size_t)(2 * n + 2 * in) * sizeof *buf);
  jac_op J = {P, theta, w1, w2, which, n, in, buf, buf + n, buf + 2 * n};

  *norm = NAN;
  if (!buf)
    return hg_fail(err, HG_ERR_NOMEM, "theory: out of memory (n_w = %d)", n);
  if (which == 't' && !P->ops->jvp_theta)
    goto done; /* unknown: the bounds that need it stay NAN */
  rc = hg_lanczos_extremes(in, jac_gram, &J, 1e-10, in < 300 ? in : 300, 7, &lo, &hi, &conv,
                           err);
  if (rc)
    goto done;
  if (conv & 2) {
    *norm = sqrt(fmax(hi, 0) * (1 + 1e-9)); /* the 1e-10 relative accuracy, rounded up */
  } else if (!certified) {
    *norm = sqrt(fmax(hi, 0));
  } else { /* the Frobenius norm from `in` products with unit vectors */
    double *e = buf + 2 * n + in, frob2 = 0;
    memset(e, 0, (size_t)in * sizeof *e);
    for (int j = 0; j < in; j++) {
      e[j] = 1;
      jac_apply(&J, e, J.y);
      frob2 += hg_dot(n, J.y, J.y);
      e[j] = 0;
    }
    *norm = sqrt(frob2);
  }
done:
  free(buf);
  return rc;
}

/* c1, c2, c3 and kappa_lin from th->c and th->D (DESIGN §7). */
static void derive(hg_theory *th)
{
  const hg_constants *c = &th->c;
  double q = c->q, D = th->D;
  th->c1 = (c->mu2 + c->mu1 * c->L_Phi / (1 - q)) * D;
  th->c2 = (c->nu2 + c->nu1 * c->L_Phi / (1 - q)) * c->L_E * D;
  th->c3 = c->L_E * c->L_Phi / (1 - q);
  double kq = (1 + q) / (1 - q);
  th->kappa_lin = isfinite(c->kappa) ? fmin(c->kappa, kq) : kq;
}

int hg_theory_at(hg_problem *P, const double *theta, const double *wstar, const double *w0,
                 hg_theory *th, hg_error *err)
{
  int rc = HG_OK, n = P->n_w;
  double *gw = NULL, phi_norm;
  hg_constants *c = &th->c;

  memset(th, 0, sizeof *th);
  hg_constants_unknown(c);
  th->D = th->c1 = th->c2 = th->c3 = th->kappa_lin = NAN;
  if (P->ops->constants && (rc = hg_problem_constants(P, theta, c, err)))
    return rc;
  gw = malloc((size_t)n * sizeof *gw);
  if (!gw)
    return hg_fail(err, HG_ERR_NOMEM, "theory: out of memory (n_w = %d)", n);

  double d2 = 0;
  for (int i = 0; i < n; i++) {
    double d = (w0 ? w0[i] : 0) - wstar[i];
    d2 += d * d;
  }
  th->D = sqrt(d2);
  P->ops->upper(P->self, wstar, theta, gw, NULL);
  if ((rc = jac_norm(P, 't', theta, wstar, NULL, 1, &phi_norm, err)))
    goto done;
  c->L_E = hg_nrm2(n, gw) + c->mu1 * th->D;
  c->L_Phi = phi_norm + c->nu2 * th->D;
  derive(th);

done:
  free(gw);
  return rc;
}

/* Per-iterate values behind the local constants, kept on the problem for one (theta, w0):
 * entry 0 is w*, entry s + 1 is w_s; the constants for t are maxima over entries 0 .. t + 1,
 * so a longer run extends the arrays instead of starting again. */
enum { LQ, LLE, LLPHI, LNU1, LNU2, LMU1, LMU2, LCOUNT };
typedef struct hg_local_cache {
  int n, m, len, cap;
  double *key;        /* theta (m), w0 (n) */
  double *w;          /* the last iterate computed (n) */
  double *v[LCOUNT];  /* cap values each */
} hg_local_cache;

void hg_theory_cache_free(void *p)
{
  hg_local_cache *C = p;
  if (!C)
    return;
  free(C->key);
  free(C->w);
  for (int i = 0; i < LCOUNT; i++)
    free(C->v[i]);
  free(C);
}

/* The values at one point ws (entry `entry`): norms, and the ratios against w*. */
static int local_values(hg_problem *P, const double *theta, const double *wstar,
                        const double *ws, const double *gw_star, const double *gt_star,
                        double *gw, double *gt, double out[LCOUNT], hg_error *err)
{
  int rc, n = P->n_w, m = P->n_theta;
  double d = 0, dg1 = 0, dg2 = 0;

  P->ops->upper(P->self, ws, theta, gw, gt);
  if ((rc = jac_norm(P, 'w', theta, ws, NULL, 0, &out[LQ], err)) ||
      (rc = jac_norm(P, 't', theta, ws, NULL, 0, &out[LLPHI], err)))
    return rc;
  out[LLE] = hg_nrm2(n, gw);
  out[LNU1] = out[LNU2] = out[LMU1] = out[LMU2] = 0;
  for (int i = 0; i < n; i++)
    d += (ws[i] - wstar[i]) * (ws[i] - wstar[i]);
  d = sqrt(d);
  if (d == 0)
    return HG_OK;
  if ((rc = jac_norm(P, 'w', theta, ws, wstar, 0, &out[LNU1], err)) ||
      (rc = jac_norm(P, 't', theta, ws, wstar, 0, &out[LNU2], err)))
    return rc;
  for (int i = 0; i < n; i++)
    dg1 += (gw[i] - gw_star[i]) * (gw[i] - gw_star[i]);
  for (int j = 0; j < m; j++)
    dg2 += (gt[j] - gt_star[j]) * (gt[j] - gt_star[j]);
  out[LNU1] /= d;
  out[LNU2] /= d;
  out[LMU1] = sqrt(dg1) / d;
  out[LMU2] = sqrt(dg2) / d;
  return HG_OK;
}

/* The cache of P for (theta, w0), computed through entry t + 1 (w_t). */
static int local_cache(hg_problem *P, const double *theta, const double *wstar,
                       const double *w0, int t, hg_local_cache **out, hg_error *err)
{
  int rc = HG_OK, n = P->n_w, m = P->n_theta;
  hg_local_cache *C = P->theory_local;
  double *buf = NULL;

  if (C && (memcmp(C->key, theta, (size_t)m * sizeof *theta) ||
            (w0 ? memcmp(C->key + m, w0, (size_t)n * sizeof *w0) : 0))) {
    hg_theory_cache_free(C);
    P->theory_local = C = NULL;
  }
  if (!C) {
    C = calloc(1, sizeof *C);
    if (!C || !(C->key = calloc((size_t)(m + n), sizeof *C->key)) ||
        !(C->w = calloc((size_t)n, sizeof *C->w))) {
      hg_theory_cache_free(C);
      return hg_fail(err, HG_ERR_NOMEM, "theory: out of memory (n_w = %d)", n);
    }
    C->n = n;
    C->m = m;
    memcpy(C->key, theta, (size_t)m * sizeof *theta);
    if (w0)
      memcpy(C->key + m, w0, (size_t)n * sizeof *w0);
    P->theory_local = C;
  }
  if (t + 2 > C->cap) {
    int cap = t + 2 > 2 * C->cap ? t + 2 : 2 * C->cap;
    for (int i = 0; i < LCOUNT; i++) {
      double *v = realloc(C->v[i], (size_t)cap * sizeof *v);
      if (!v)
        return hg_fail(err, HG_ERR_NOMEM, "theory: out of memory for %d iterates", cap);
      C->v[i] = v;
    }
    C->cap = cap;
  }
  buf = malloc((size_t)(3 * n + 2 * m) * sizeof *buf);
  if (!buf)
    return hg_fail(err, HG_ERR_NOMEM, "theory: out of memory (n_w = %d)", n);
  double *gw = buf, *gw_star = gw + n, *next = gw_star + n, *gt = next + n, *gt_star = gt + m;
  P->ops->upper(P->self, wstar, theta, gw_star, gt_star);
  for (int e = C->len; e < t + 2; e++) { /* entry 0: w*; entry s + 1: w_s */
    double vals[LCOUNT];
    if (e == 1) {
      memcpy(C->w, C->key + m, (size_t)n * sizeof *C->w); /* w_0 */
    } else if (e > 1) {
      P->ops->phi(P->self, C->w, theta, next);
      memcpy(C->w, next, (size_t)n * sizeof *C->w);
    }
    if ((rc = local_values(P, theta, wstar, e ? C->w : wstar, gw_star, gt_star, gw, gt, vals,
                           err)))
      break;
    for (int i = 0; i < LCOUNT; i++)
      C->v[i][e] = vals[i];
    C->len = e + 1;
  }
  free(buf);
  *out = C;
  return rc;
}

int hg_theory_local(hg_problem *P, const double *theta, const double *wstar, const double *w0,
                    int t, hg_theory *th, hg_error *err)
{
  int rc;
  hg_local_cache *C = NULL;
  hg_constants *c = &th->c;
  double mx[LCOUNT] = {0};

  if ((rc = hg_theory_at(P, theta, wstar, w0, th, err)) || /* D, kappa, step: the global */
      (rc = local_cache(P, theta, wstar, w0, t, &C, err)))
    return rc;
  for (int e = 0; e < t + 2; e++)
    for (int i = 0; i < LCOUNT; i++)
      mx[i] = fmax(mx[i], C->v[i][e]);
  c->q = mx[LQ];
  c->L_E = mx[LLE];
  c->L_Phi = mx[LLPHI];
  c->nu1 = mx[LNU1];
  c->nu2 = mx[LNU2];
  c->mu1 = mx[LMU1];
  c->mu2 = mx[LMU2];
  th->local = 1;
  derive(th);
  return HG_OK;
}

/*
 * The inexact bound (DESIGN §7; Ehrhardt & Roberts 2023, Salehi et al. 2023 "MAID"), for a
 * contraction.  With A(w) = I - d_w Phi(w)^T, B(w) = d_theta Phi(w)^T, v*(w) = A(w)^{-1}
 * grad_w E(w), grad f = grad_theta E(w*) + B(w*) v*(w*) and ghat = grad_theta E(w) + B(w) v:
 *     ghat - grad f = [grad_theta E(w) - grad_theta E(w*)]          <= mu2 eps
 *                   + B(w) (v - v*(w))                              <= L_Phi delta/(1-q)
 *                   + B(w) (v*(w) - v*(w*))                         <= L_Phi (mu1 + nu1 V) eps/(1-q)
 *                   + (B(w) - B(w*)) v*(w*)                         <= nu2 V eps
 * using ||A(w)^{-1}|| <= 1/(1-q), A(w) (v*(w) - v*(w*)) = grad_w E(w) - grad_w E(w*) +
 * (A(w*) - A(w)) v*(w*), and ||v*(w*)|| <= ||grad_w E(w*)||/(1-q) <= V.
 */
/* omega for a given bound V >= ||v*(w*)|| (q < 1). */
static double omega_of_V(const hg_constants *c, double eps, double delta, double V)
{
  double q = c->q;
  double coef = c->mu2 + c->nu2 * V + c->L_Phi * (c->mu1 + c->nu1 * V) / (1 - q);
  return coef * eps + c->L_Phi * delta / (1 - q); /* NAN when a constant is unknown */
}

double hg_omega(const hg_theory *th, double eps, double delta, double gw_norm)
{
  const hg_constants *c = &th->c;
  if (!(c->q < 1) || !(eps >= 0) || !(delta >= 0))
    return NAN;
  return omega_of_V(c, eps, delta, (gw_norm + c->mu1 * eps) / (1 - c->q));
}

/*
 * The same bound with V from the returned adjoint v instead of grad_w E (docs/theory.md, "V
 * from the adjoint"): ||v*(w) - v|| <= delta/(1-q) and ||v*(w*) - v*(w)|| <= (mu1 + nu1
 * ||v*(w*)||) eps/(1-q), so X = ||v*(w*)|| satisfies X (1 - nu1 eps/(1-q)) <= ||v|| + (delta +
 * mu1 eps)/(1-q) (when nu1 eps < 1 - q); omega is increasing in V, so the smaller of this
 * omega and hg_omega's is certified.
 */
static double omega_adjoint(const hg_theory *th, double eps, double delta, double gw_norm,
                            double v_norm)
{
  const hg_constants *c = &th->c;
  double q = c->q, omega = hg_omega(th, eps, delta, gw_norm);
  double shrink = 1 - c->nu1 * eps / (1 - q);
  if (isnan(omega) || !(shrink > 0) || !isfinite(v_norm))
    return omega;
  double V = (v_norm + (delta + c->mu1 * eps) / (1 - q)) / shrink;
  return fmin(omega, omega_of_V(c, eps, delta, V));
}

int hg_inexact_at(hg_problem *P, const hg_theory *th, const double *theta, const double *w,
                  const double *v, hg_inexact *x, hg_error *err)
{
  int n = P->n_w;
  double *buf = malloc((size_t)(3 * n) * sizeof *buf);

  x->eps = x->delta = x->gw_norm = x->omega = NAN;
  if (!buf)
    return hg_fail(err, HG_ERR_NOMEM, "theory: out of memory (n_w = %d)", n);
  double *phi = buf, *gw = buf + n, *jv = buf + 2 * n;
  double q = th->c.q;
  P->ops->phi(P->self, w, theta, phi);          /* ||w - w*|| <= ||Phi(w) - w||/(1-q) */
  P->ops->upper(P->self, w, theta, gw, NULL);
  P->ops->vjp_w(P->self, w, theta, v, jv);      /* residual v - d_w Phi^T v - grad_w E */
  double r2 = 0, d2 = 0;
  for (int i = 0; i < n; i++) {
    double r = v[i] - jv[i] - gw[i], d = phi[i] - w[i];
    r2 += r * r;
    d2 += d * d;
  }
  x->eps = q < 1 ? sqrt(d2) / (1 - q) : NAN;
  x->delta = sqrt(r2);
  x->gw_norm = hg_nrm2(n, gw);
  x->omega = omega_adjoint(th, x->eps, x->delta, x->gw_norm, hg_nrm2(n, v));
  free(buf);
  return HG_OK;
}

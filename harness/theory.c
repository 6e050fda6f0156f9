/*
 * theory.c -- the constants behind the bounds of DESIGN §7 (Grazzi, Franceschi, Pontil, Salzo,
 * ICML 2020, §2) for one run, and c1, c2, c3.
 *
 * The problem gives q, kappa and the Lipschitz constants nu1, nu2, mu1, mu2 (global in w).
 * The norms the theorems need along the iterates are taken over the ball ||w - w*|| <= D,
 * D = ||w0 - w*||, which every iterate of a q-contraction started at w0 stays in
 * (||w_i - w*|| <= q^i D):
 *     L_E   = ||grad_w E(w*)||      + mu1 D  >= ||grad_w E(w)||,
 *     L_Phi = ||d_theta Phi(w*)||_2 + nu2 D  >= ||d_theta Phi(w)||_2.
 */
#include "hgbench.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* out = d_theta Phi(w*)^T d_theta Phi(w*) u, an m x m symmetric operator. */
typedef struct gram_op {
  hg_problem *P;
  const double *w, *theta;
  double *tmp; /* n_w */
} gram_op;

static void gram_apply(void *ctx, const double *u, double *out)
{
  gram_op *g = ctx;
  g->P->ops->jvp_theta(g->P->self, g->w, g->theta, u, g->tmp);
  g->P->ops->vjp_theta(g->P->self, g->w, g->theta, g->tmp, out);
}

/* ||d_theta Phi(w)||_2: the square root of the largest eigenvalue of its Gram operator, to
 * 1e-10 by Lanczos; if Lanczos stops short, the Frobenius norm (an upper bound) from m
 * products with unit vectors. */
static int dtheta_phi_norm(hg_problem *P, const double *w, const double *theta, double *norm,
                           hg_error *err)
{
  int rc = HG_OK, m = P->n_theta, n = P->n_w, conv = 0;
  double lo, hi;
  double *tmp = malloc((size_t)(n + 2 * m) * sizeof *tmp);
  gram_op g = {P, w, theta, tmp};

  *norm = NAN;
  if (!tmp)
    return hg_fail(err, HG_ERR_NOMEM, "theory: out of memory (n_w = %d)", n);
  if (!P->ops->jvp_theta)
    goto done; /* unknown: the bounds that need L_Phi stay NAN */
  rc = hg_lanczos_extremes(m, gram_apply, &g, 1e-10, m < 300 ? m : 300, 7, &lo, &hi, &conv,
                           err);
  if (rc)
    goto done;
  if (conv & 2) {
    *norm = sqrt(fmax(hi, 0) * (1 + 1e-9)); /* the 1e-10 relative accuracy, rounded up */
  } else {
    double *e = tmp + n, frob2 = 0;
    memset(e, 0, (size_t)m * sizeof *e);
    for (int j = 0; j < m; j++) {
      e[j] = 1;
      P->ops->jvp_theta(P->self, w, theta, e, tmp);
      frob2 += hg_dot(n, tmp, tmp);
      e[j] = 0;
    }
    *norm = sqrt(frob2);
  }
done:
  free(tmp);
  return rc;
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
  if ((rc = dtheta_phi_norm(P, wstar, theta, &phi_norm, err)))
    goto done;
  c->L_E = hg_nrm2(n, gw) + c->mu1 * th->D;
  c->L_Phi = phi_norm + c->nu2 * th->D;

  double q = c->q, D = th->D;
  th->c1 = (c->mu2 + c->mu1 * c->L_Phi / (1 - q)) * D;
  th->c2 = (c->nu2 + c->nu1 * c->L_Phi / (1 - q)) * c->L_E * D;
  th->c3 = c->L_E * c->L_Phi / (1 - q);
  double kq = (1 + q) / (1 - q);
  th->kappa_lin = isfinite(c->kappa) ? fmin(c->kappa, kq) : kq;

done:
  free(gw);
  return rc;
}

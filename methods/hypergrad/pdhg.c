/*
 * pdhg.c -- Chambolle-Pock PDHG with certified distances on a saddle-point lower level, for the
 * primal-dual methods (contracts and the math in common.h).
 */
#include "common.h"

#include <math.h>

size_t hg_pdhg_space(int n, int d)
{
  return (3 * (size_t)n + 5 * (size_t)d) * sizeof(double);
}

int hg_pdhg_open(hg_pdhg *S, hg_problem *P, const char *method, const double *theta,
                 const double *w0, hg_ctx *ctx, hg_error *err)
{
  int n = P->n_w, d = hg_saddle_n_dual(P), rc;

  S->method = method;
  S->n = n;
  S->d = d;
  S->t = 0;
  S->eps_u = S->eps_y = INFINITY;
  S->res0 = 0;
  S->block = NULL;
  for (int j = 0; j < n; j++)
    if (!isfinite(w0[j]))
      return hg_fail(err, HG_ERR_ARG, "method '%s' on problem '%s': the start w0[%d] = %g is "
                     "not finite", method, P->ops->name, j, w0[j]);
  hg_saddle_constants_at(P, theta, &S->c);
  if (!(S->c.mu_G > 0 && S->c.mu_F > 0 && S->c.norm_K > 0 && isfinite(S->c.mu_G) &&
        isfinite(S->c.mu_F) && isfinite(S->c.norm_K)))
    return hg_fail(err, HG_ERR_ARG, "method '%s' on problem '%s': PDHG needs mu_G, mu_F > 0 "
                   "and 0 < ||K|| < inf (got %g, %g, %g)", method, P->ops->name, S->c.mu_G,
                   S->c.mu_F, S->c.norm_K);
  /* Chambolle & Pock (2011), Algorithm 3 with mu = 2 sqrt(gamma delta)/L: tau sigma L^2 = 1 */
  double m = 2 * sqrt(S->c.mu_G * S->c.mu_F) / S->c.norm_K;
  S->tau = m / (2 * S->c.mu_G);
  S->sigma = m / (2 * S->c.mu_F);
  S->extrap = 1 / (1 + m);
  S->omega = 1 / (1 + m);
  if ((rc = hg_work(ctx, method, hg_pdhg_space(n, d) / sizeof(double), &S->block, err)))
    return rc;
  S->u = S->block;
  S->u_prev = S->u + n;
  S->b = S->u_prev + n;
  S->y = S->b + n;
  S->y_next = S->y + d;
  S->Ku = S->y_next + d;
  S->Ku_prev = S->Ku + d;
  S->a = S->Ku_prev + d;
  hg_copy(n, w0, S->u);
  hg_copy(n, w0, S->u_prev);
  hg_saddle_K(P, theta, S->u, S->Ku);
  hg_copy(d, S->Ku, S->Ku_prev);
  return HG_OK;
}

/* a = y + sigma ((1 + extrap) K u - extrap K u_prev), y_next = prox_{sigma F*}(a),
 * b = u - tau K^T y_next. */
void hg_pdhg_linearize(hg_pdhg *S, hg_problem *P, const double *theta)
{
  double s1 = S->sigma * (1 + S->extrap), s0 = S->sigma * S->extrap;
  for (int j = 0; j < S->d; j++)
    S->a[j] = S->y[j] + s1 * S->Ku[j] - s0 * S->Ku_prev[j];
  hg_saddle_prox_F(P, theta, S->sigma, S->a, S->y_next);
  hg_saddle_Kt(P, theta, S->y_next, S->b);
  for (int j = 0; j < S->n; j++)
    S->b[j] = S->u[j] - S->tau * S->b[j];
}

/* Swap two vectors by pointer. */
static void swap(double **x, double **y)
{
  double *t = *x;
  *x = *y;
  *y = t;
}

/* u_{i+1} = prox_{tau G}(b) into u_prev's storage, then the shifts; K u_{i+1}; the certificate
 * of common.h from r_u = (u_i - u_{i+1})/tau and r_y = (a - y_{i+1})/sigma - K u_{i+1}. */
int hg_pdhg_commit(hg_pdhg *S, hg_problem *P, const double *theta, hg_ctx *ctx, hg_error *err)
{
  hg_saddle_prox_G(P, theta, S->tau, S->b, S->u_prev);
  swap(&S->u, &S->u_prev); /* u = u_{i+1}, u_prev = u_i */
  swap(&S->y, &S->y_next); /* y = y_{i+1} */
  hg_saddle_K(P, theta, S->u, S->Ku_prev);
  swap(&S->Ku, &S->Ku_prev); /* Ku = K u_{i+1}, Ku_prev = K u_i */
  S->t++;

  double ru2 = 0, ry2 = 0;
  for (int j = 0; j < S->n; j++)
    ru2 += (S->u_prev[j] - S->u[j]) * (S->u_prev[j] - S->u[j]);
  for (int j = 0; j < S->d; j++) {
    double r = (S->a[j] - S->y[j]) / S->sigma - S->Ku[j];
    ry2 += r * r;
  }
  double ru = sqrt(ru2) / S->tau, ry = sqrt(ry2), muG = S->c.mu_G, muF = S->c.mu_F;
  double R = sqrt(ru * ru / (4 * muG) + ry2 / (4 * muF));
  S->eps_u = ru / (2 * muG) + R / sqrt(muG);
  S->eps_y = ry / (2 * muF) + R / sqrt(muF);
  double res = hg_pdhg_dist(S);
  hg_trace_lower(ctx, res);
  int rc = hg_watch(P, S->method, "PDHG iterate (u, y)", S->t, res, S->res0, err);
  if (S->t == 1)
    S->res0 = res;
  return rc;
}

double hg_pdhg_dist(const hg_pdhg *S)
{
  return hypot(S->eps_u, S->eps_y);
}

void hg_pdhg_close(hg_pdhg *S, hg_ctx *ctx)
{
  hg_free(ctx, S->block);
  S->block = NULL;
}

/*
 * piggyback.c -- piggyback differentiation of PDHG (DESIGN §4 "piggyback"; Griewank & Faure
 * 2003, Bogensperger, Chambolle & Pock 2022): on a saddle-point lower level (hgbench.h
 * hg_saddle_ops), the adjoint states of the primal and dual iterates run alongside the
 * Chambolle-Pock iterates of pdhg.c, with the Jacobians of the prox maps.
 *
 * One PDHG step is the map T: z = (u, ubar, y) -> (u', (1 + extrap) u' - extrap u, y'), with the
 * prox inputs a = y + sigma K ubar, b = u - tau K^T y' (pdhg.c).  Its transposed linearization
 * at z, applied to an adjoint state zeta = (zeta_u, zeta_ubar, zeta_y), with
 * D_G = d prox_{tau G}(b) and D_F = d prox_{sigma F*}(a), is
 *
 *     s_b = D_G (zeta_u + (1 + extrap) zeta_ubar),    s_a = D_F (zeta_y - tau K s_b),
 *     J^T zeta = (s_b - extrap zeta_ubar,  sigma K^T s_a,  s_a),
 *
 * (one K and one K^T).  The adjoint recursion is zeta_{j+1} = J(z_i)^T zeta_j + (grad_u E(u_i),
 * 0, 0), zeta_0 = 0, and at its fixed point zeta* = (I - J^T)^{-1} (grad_u E, 0, 0) the
 * hypergradient is
 *
 *     ghat = grad_theta E(u) + d_theta T^T zeta
 *          = grad_theta E(u) + d_theta prox_{tau G}(b)^T s_u + d_theta prox_{sigma F*}(a)^T q_y
 *            + sigma grad_theta <K ubar, s_a> - tau grad_theta <K s_b, y'>,
 *     s_u = zeta_u + (1 + extrap) zeta_ubar,   q_y = zeta_y - tau K D_G s_u,   s_a = D_F q_y,
 *
 * s_u and q_y the adjoints of the outputs of the two prox maps, s_a and s_b of their inputs;
 * the last two terms are the hypergradient with respect to a learned K(theta) (the saddle op
 * K_vjp_theta; absent when K is fixed), through a = y + sigma K ubar and b = u - tau K^T y'.  The steps tau, sigma, extrap are fixed at
 * theta (their own dependence on theta drops out at the fixed point, where
 * prox_{sigma F*}(y* + sigma K u*) = y* for every sigma).  Schedule with budget (t, k):
 *   - PDHG steps i = 0 .. t-1 (fewer when tol_lower > 0 and the certified distance
 *     sqrt(e_u^2 + e_y^2) of pdhg.c falls to tol_lower);
 *   - the adjoint joins at step s = t - k when k < t and tol_lower = 0, else at step 0: from
 *     there each PDHG step i is accompanied by one adjoint step at z_i, while fewer than k
 *     were taken;
 *   - then, frozen at z_t, adjoint steps until k in all or, when tol_linear > 0, until
 *     ||zeta_{j+1} - zeta_j|| <= tol_linear;
 *   - ghat at z_t.
 * Counts (hgbench.h saddle wrapper): K products are jvp_w, K^T products vjp_w: t + 1 + k + 1
 * and t + 1 + k, and one vjp_theta per theta-dependent prox (two more for a learned K).
 * ||zeta_{j+1} - zeta_j|| is the linear trace, the certified distance the lower trace.
 * When the harness asks (hg_out.post), the inputs of the a-posteriori saddle bound are
 * certified at the returned estimate (measure_posterior: one more K and K^T, not counted) and
 * the posterior slot turns them into the bound (piggyback_posterior; docs/theory.md).
 */
#include "common.h"

#include <math.h>

/* Doubles piggyback allocates besides PDHG: two adjoint states (2 n + d each), grad_u E (n),
 * a theta-sized product (m), and one n-vector more for the a-posteriori bound's residual. */
static size_t adjoint_doubles(int n, int d, int m)
{
  return 2 * (2 * (size_t)n + (size_t)d) + 2 * (size_t)n + (size_t)m;
}

/* next = J(z)^T cur + (gE, 0, 0) at the linearization (a, b) held by S; ||next - cur|| (summed
 * in the loops that write next: no extra pass).  The state is [zeta_u | zeta_ubar | zeta_y];
 * next's zeta_ubar is scratch until the last loop. */
static double adjoint_step(hg_problem *P, const double *theta, const hg_pdhg *S,
                           const double *cur, double *next, const double *gE)
{
  int n = S->n, d = S->d;
  const double *cu = cur, *cub = cur + n, *cy = cur + 2 * n;
  double *nu = next, *nub = next + n, *ny = next + 2 * n, r2 = 0;

  for (int j = 0; j < n; j++)
    nub[j] = cu[j] + (1 + S->extrap) * cub[j];             /* s_u */
  hg_saddle_prox_G_jvp(P, theta, S->tau, S->b, nub, nu);  /* s_b = D_G s_u */
  hg_saddle_K(P, theta, nu, ny);
  for (int j = 0; j < d; j++)
    ny[j] = cy[j] - S->tau * ny[j];                        /* q_y */
  hg_saddle_prox_F_jvp(P, theta, S->sigma, S->a, ny, ny); /* s_a = D_F q_y */
  for (int j = 0; j < d; j++)
    r2 += (ny[j] - cy[j]) * (ny[j] - cy[j]);
  hg_saddle_Kt(P, theta, ny, nub);
  for (int j = 0; j < n; j++) {
    nub[j] *= S->sigma;                                    /* sigma K^T s_a */
    nu[j] += gE[j] - S->extrap * cub[j];                   /* s_b - extrap zeta_ubar + gE */
    r2 += (nu[j] - cu[j]) * (nu[j] - cu[j]) + (nub[j] - cub[j]) * (nub[j] - cub[j]);
  }
  return sqrt(r2);
}

/* g += d_theta T(z)^T zeta (the tail above); scratch holds 2 n + d doubles, u m doubles. */
static void theta_tail(hg_problem *P, const double *theta, const hg_pdhg *S,
                       const double *zeta, double *scratch, double *u, double *g)
{
  int n = S->n, d = S->d, m = P->n_theta;
  double *su = scratch, *sb = scratch + n, *qy = scratch + 2 * n;

  for (int j = 0; j < n; j++)
    su[j] = zeta[j] + (1 + S->extrap) * zeta[n + j];
  hg_saddle_prox_G_jvp(P, theta, S->tau, S->b, su, sb);
  hg_saddle_K(P, theta, sb, qy);
  for (int j = 0; j < d; j++)
    qy[j] = zeta[2 * n + j] - S->tau * qy[j];
  hg_saddle_prox_G_vjp_theta(P, theta, S->tau, S->b, su, u);
  hg_axpy(m, 1.0, u, g);
  hg_saddle_prox_F_vjp_theta(P, theta, S->sigma, S->a, qy, u);
  hg_axpy(m, 1.0, u, g);
  /* a learned K: b = u - tau K^T y_next gives -tau d_theta <K s_b, y_next>, and
   * a = y + sigma K ubar gives sigma d_theta <K ubar, s_a>, s_a = D_F q_y */
  if (!hg_saddle_K_vjp_theta(P, theta, sb, S->y_next, u))
    return;
  hg_axpy(m, -S->tau, u, g);
  hg_saddle_prox_F_jvp(P, theta, S->sigma, S->a, qy, qy);
  for (int j = 0; j < n; j++)
    su[j] = (1 + S->extrap) * S->u[j] - S->extrap * S->u_prev[j]; /* ubar */
  hg_saddle_K_vjp_theta(P, theta, su, qy, u);
  hg_axpy(m, S->sigma, u, g);
}

/*
 * The inputs of the saddle bound (docs/theory.md "The saddle bound") at the returned
 * estimate, into pb.  The tail's adjoint states are X = -tau s_b, Y = sigma s_a of the adjoint
 * step from zeta at the frozen z_t, which is a PDHG step on the linearized (adjoint) saddle
 * problem; its residuals r_X = s_b - s_u + sigma K^T s_a + grad E, r_Y = s_a - zeta_y are exact
 * at (X, Y), and the strongly monotone adjoint operator certifies delta_x, delta_y as PDHG's
 * distances are (pdhg.c).  The points ghat uses: u_t (grad E), ubar_t (the tail), y_{t+1}
 * (the tail and D_F) and u_{t+1} (D_G), each certified from the distances of PDHG's last two
 * steps through the prox maps' contraction.  The one K and one K^T are not counted (the
 * harness's check, as omega's products for implicit methods); scratch holds 3 n + d doubles.
 */
static void measure_posterior(hg_problem *P, const double *theta, const hg_pdhg *S,
                              const double *zeta, const double *gE, double eps_prev,
                              double *scratch, hg_posterior *pb)
{
  int n = S->n, d = S->d;
  double *su = scratch, *sb = su + n, *kt = sb + n, *sa = kt + n, e = S->extrap;
  double rX2 = 0, rY2 = 0, nb2 = 0, ny2 = 0, nsb2 = 0, nsa2 = 0;
  hg_counts saved = P->counts;

  for (int j = 0; j < n; j++)
    su[j] = zeta[j] + (1 + e) * zeta[n + j];
  hg_saddle_prox_G_jvp(P, theta, S->tau, S->b, su, sb);
  hg_saddle_K(P, theta, sb, sa);
  for (int j = 0; j < d; j++)
    sa[j] = zeta[2 * n + j] - S->tau * sa[j];
  hg_saddle_prox_F_jvp(P, theta, S->sigma, S->a, sa, sa);
  hg_saddle_Kt(P, theta, sa, kt);
  P->counts = saved;
  for (int j = 0; j < n; j++) {
    double r = sb[j] - su[j] + S->sigma * kt[j] + gE[j];
    double ub = (1 + e) * S->u[j] - e * S->u_prev[j];
    rX2 += r * r;
    nb2 += ub * ub;
    nsb2 += sb[j] * sb[j];
  }
  for (int j = 0; j < d; j++) {
    double r = sa[j] - zeta[2 * n + j];
    rY2 += r * r;
    ny2 += S->y_next[j] * S->y_next[j];
    nsa2 += sa[j] * sa[j];
  }
  double muG = S->c.mu_G, muF = S->c.mu_F, nK = S->c.norm_K;
  double R = sqrt(rX2 / (4 * muG) + rY2 / (4 * muF));
  pb->delta_x = sqrt(rX2) / (2 * muG) + R / sqrt(muG);
  pb->delta_y = sqrt(rY2) / (2 * muF) + R / sqrt(muF);
  pb->norm_X = S->tau * sqrt(nsb2);
  pb->norm_Y = S->sigma * sqrt(nsa2);
  pb->norm_x = sqrt(nb2);
  pb->norm_y = sqrt(ny2);
  /* ubar_t = (1 + e) u_t - e u_{t-1}; y_{t+1} = prox(a_t), a* = y* + sigma K u*, the prox
   * (1 + sigma mu_F)^-1-Lipschitz; u_{t+1} = prox(b_t), b* = u* - tau K^T y* */
  double eu = S->eps_u, eub = (1 + e) * eu + e * eps_prev;
  double ey1 = (S->eps_y + S->sigma * nK * eub) / (1 + S->sigma * muF);
  double eu1 = (eu + S->tau * nK * ey1) / (1 + S->tau * muG);
  pb->eps_w = eu;
  pb->eps_x = fmax(eu, eub);
  if (!(S->c.L_hess_G == 0)) /* D_G at b_t: G's Hessian at u_{t+1} */
    pb->eps_x = fmax(pb->eps_x, eu1);
  pb->eps_y = ey1;
  pb->rate = sqrt(S->omega); /* PDHG: omega per step in the squared distances */
  pb->set = 1;
}

/* One adjoint step from *cur into *next, then swap; traced and watched. */
static int adjoint_advance(hg_problem *P, const double *theta, const hg_pdhg *S, double **cur,
                           double **next, const double *gE, int j, double *res0, double *res,
                           hg_ctx *ctx, hg_error *err)
{
  *res = adjoint_step(P, theta, S, *cur, *next, gE);
  double *t = *cur;
  *cur = *next;
  *next = t;
  hg_trace_linear(ctx, *res);
  int rc = hg_watch(P, "piggyback", "adjoint iterate", j + 1, *res, *res0, err);
  if (j == 0)
    *res0 = *res;
  return rc;
}

static int piggyback_compute(hg_problem *P, const hg_params *mp, const double *theta,
                             const double *w0, const hg_budget *b, hg_ctx *ctx, hg_out *out,
                             hg_error *err)
{
  int rc = HG_OK, n = P->n_w, m = P->n_theta, j = 0;
  hg_pdhg S = {0};
  double *block = NULL, res0 = 0, res = 0;

  out->t_used = out->k_used = 0;
  if (!P->ops->saddle)
    return hg_fail(err, HG_ERR_UNSUPPORTED, "method 'piggyback' needs a saddle-point lower "
                   "level (the saddle op), and problem '%s' has none", P->ops->name);
  if ((rc = hg_pdhg_open(&S, P, "piggyback", theta, w0, ctx, err)) ||
      (rc = hg_work(ctx, "piggyback", adjoint_doubles(n, S.d, m), &block, err)))
    goto done;
  size_t z = 2 * (size_t)n + (size_t)S.d;
  double *cur = block, *next = block + z, *gE = next + z + n, *u = gE + n; /* next: 3 n + d */
  int join = b->tol_lower == 0 && b->k < b->t ? b->t - b->k : 0;
  double eps_prev = INFINITY; /* the certified distance of u_{t-1} */

  for (int i = 0; i < b->t; i++) {
    hg_pdhg_linearize(&S, P, theta); /* the Jacobian of step i, at z_i */
    if (i >= join && j < b->k) {
      hg_upper(P, S.u, theta, gE, NULL);
      if ((rc = adjoint_advance(P, theta, &S, &cur, &next, gE, j++, &res0, &res, ctx, err)))
        goto done;
    }
    eps_prev = S.eps_u;
    if ((rc = hg_pdhg_commit(&S, P, theta, ctx, err)))
      goto done;
    if (b->tol_lower > 0 && hg_pdhg_dist(&S) <= b->tol_lower)
      break;
  }

  /* frozen at z_t: its linearization, grad E(u_t), the remaining adjoint steps, ghat */
  hg_pdhg_linearize(&S, P, theta);
  hg_upper(P, S.u, theta, gE, out->grad);
  while (j < b->k) {
    if ((rc = adjoint_advance(P, theta, &S, &cur, &next, gE, j++, &res0, &res, ctx, err)))
      break;
    if (b->tol_linear > 0 && res <= b->tol_linear)
      break;
  }
  if (rc)
    goto done;
  theta_tail(P, theta, &S, cur, next, u, out->grad);
  if (out->post)
    measure_posterior(P, theta, &S, cur, gE, eps_prev, next, out->post);

done:
  out->t_used = S.t;
  out->k_used = j;
  if (S.block)
    hg_copy(n, S.u, out->w);
  hg_free(ctx, block);
  hg_pdhg_close(&S, ctx);
  return rc;
}

/* Bytes on P: PDHG's (3 n + 5 d) and the adjoint's (5 n + 2 d + m) doubles, d = n_y; 0 on a
 * problem without the saddle ops (refused before any allocation). */
static size_t piggyback_space_problem(const hg_problem *P, const hg_budget *b,
                                      const hg_params *mp)
{
  if (!P->ops->saddle)
    return 0;
  int n = P->n_w, d = hg_saddle_n_dual(P);
  return hg_pdhg_space(n, d) + adjoint_doubles(n, d, P->n_theta) * sizeof(double);
}

/* Bytes for n_y = 2 n (K = D, the stacked differences of an image): (22 n + m) doubles; the
 * exact count on a problem is piggyback_space_problem. */
static size_t piggyback_space(int n, int m, const hg_budget *b)
{
  return hg_pdhg_space(n, 2 * n) + adjoint_doubles(n, 2 * n, m) * sizeof(double);
}

/*
 * The saddle bound (docs/theory.md "The saddle bound", Bogensperger et al. 2024, Theorem 2 as
 * re-derived there) from what measure_posterior certified and the problem's constants:
 *     r1 = (L1 + L_hess_G (|X| + dX)) ex,   r2 = L_hess_F (|Y| + dY) ey,
 *     DX = r1/mu_G + |K| r2/(mu_G mu_F),     DY = |K| r1/(mu_G mu_F) + r2/mu_F,
 *     eX = dX + DX,  eY = dY + DY,
 *     bound = mu2 eps_w + B [(|x| + ex) eY + ex |Y| + (|y| + ey) eX + ey |X|],
 * L1 = mu1 and mu2 the Lipschitz constants of grad_w E and grad_theta E in w, B = norm_dK.
 * Infinite while a distance is (no PDHG step yet); NAN when a constant is unknown.
 */
static void piggyback_posterior(hg_problem *P, const double *theta, hg_posterior *pb)
{
  hg_saddle_constants c;
  hg_constants pc;
  hg_error e;

  hg_saddle_constants_at(P, theta, &c);
  if (hg_problem_constants(P, theta, &pc, &e))
    hg_constants_unknown(&pc);
  pb->eps = pb->eps_w;
  pb->delta = hypot(pb->delta_x, pb->delta_y);
  double ex = pb->eps_x, ey = pb->eps_y, dX = pb->delta_x, dY = pb->delta_y;
  double muG = c.mu_G, muF = c.mu_F, nK = c.norm_K, B = c.norm_dK;
  if (isnan(c.L_hess_G) || isnan(c.L_hess_F) || isnan(B) || isnan(pc.mu1) || isnan(pc.mu2)) {
    pb->bound = NAN;
    return;
  }
  if (!isfinite(ex) || !isfinite(ey) || !isfinite(dX) || !isfinite(dY)) {
    pb->bound = INFINITY;
    return;
  }
  double r1 = (pc.mu1 + c.L_hess_G * (pb->norm_X + dX)) * ex;
  double r2 = c.L_hess_F * (pb->norm_Y + dY) * ey;
  double eX = dX + r1 / muG + nK * r2 / (muG * muF);
  double eY = dY + nK * r1 / (muG * muF) + r2 / muF;
  pb->bound = pc.mu2 * pb->eps_w +
              B * ((pb->norm_x + ex) * eY + ex * pb->norm_Y + (pb->norm_y + ey) * eX +
                   ey * pb->norm_X);
}

static const hg_param_spec piggyback_params[] = {{.key = NULL}};

const hg_method_ops hg_method_piggyback = {
  .version = HG_OPS_VERSION,          /* ops layout this table follows */
  .name = "piggyback",                       /* registry name (file piggyback.c) */
  .summary = "adjoint iterates alongside Chambolle-Pock PDHG (saddle-point lower levels)",
  .params = piggyback_params,                /* an empty schema */
  .needs = HG_NEEDS_SADDLE,                  /* the saddle ops */
  .space = piggyback_space,                  /* for n_y = 2 n */
  .compute = piggyback_compute,              /* the method */
  .space_problem = piggyback_space_problem,  /* the exact bytes on a problem */
  .revision = 2,                        /* bump when this method's numbers change */
  .display = "Piggyback",               /* legend name */
  .budgets = HG_AID_BUDGETS, /* what it reads of hg_budget */
  .cost = "t + k + 2 K, t + k + 1 K^T products, one d_theta prox product per theta-dependent prox",
  .posterior = piggyback_posterior,     /* the saddle bound (docs/theory.md) */
};

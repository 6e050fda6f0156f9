/*
 * aid_gmres.c -- approximate implicit differentiation by restarted GMRES (DESIGN §4
 * "aid-gmres"), for any contraction Phi, symmetric d_w Phi or not.  After t lower steps, with
 * J = d_w Phi(w_t):
 *
 *     (I - J^T) v = grad_w E(w_t)   by GMRES(m) (hg_gmres) from v_0 = 0, k Arnoldi steps in all
 *                                   (restarted every m = restart= steps),
 *     ghat = grad_theta E(w_t) + d_theta Phi(w_t)^T v_k.
 *
 * One vjp_w per Arnoldi step, plus one per restart and one when the tolerance is met (the true
 * residual gw - (I - J^T) v that starts the next cycle, or confirms tol_linear); with
 * k <= restart and no tolerance exactly k.  tol_linear stops on that true residual; the trace
 * records GMRES's residual estimate per step.  At an exactly zero residual or an exhausted
 * Krylov space the solve stops cleanly (never NaN).  Basis memory: min(restart, n, k) + 1
 * vectors.
 *
 * Rate (DESIGN §7): GMRES's residual is at most Richardson's (aid-fp's), so the linear term of
 * the bound is aid-fp's c3 q^k.  Proof.  Let A = I - J^T, b = grad_w E(w_t), ||J|| <= q < 1.
 * Within one cycle started at x_c with residual r_c = b - A x_c, GMRES's j-th iterate minimizes
 * ||b - A z|| over z in x_c + K_j(A, r_c), K_j = span{r_c, A r_c, .., A^{j-1} r_c}.  Richardson
 * from x_c, z_j = x_c + sum_{i<j} (J^T)^i r_c, lies in that space (J^T = I - A, so (J^T)^i r_c
 * is a polynomial of degree i in A applied to r_c) and has residual b - A z_j = (J^T)^j r_c
 * (induction: r(z_{j+1}) = r(z_j) - A (J^T)^j r_c = (I - A)(J^T)^j r_c).  Hence
 * ||r_j|| <= ||(J^T)^j r_c|| <= q^j ||r_c||, and over the cycles (a restart starts from the
 * true residual of the last iterate) ||r_k|| <= q^k ||b||.  Then
 *     ||v_k - v*|| = ||A^{-1} r_k|| <= ||r_k||/(1 - q) <= q^k ||grad_w E(w_t)||/(1 - q)
 *                 <= q^k L_E/(1 - q),
 * and ||d_theta Phi(w_t)^T (v_k - v*)|| <= L_Phi ||v_k - v*|| <= c3 q^k.
 */
#include "common.h"

#include <math.h>

/* The default restart length (restart=), and as text for the schema. */
#define GMRES_RESTART 20
#define GMRES_TEXT_(x) #x
#define GMRES_TEXT(x) GMRES_TEXT_(x)

/* The Krylov basis size a run needs: the restart length, at most n (the space is exhausted at
 * n) and at most k (the budget), at least 1. */
static int basis_size(int n, int restart, const hg_budget *b)
{
  int m = restart < n ? restart : n;
  m = b->k < m ? b->k : m;
  return m > 1 ? m : 1;
}

/* The adjoint solve of aid-gmres (DESIGN §4): (I - J^T) v = grad_w E(w_t) by GMRES(m) from
 * v_0 = 0 (hg_gmres) with at most k Arnoldi steps, stopping at a true residual <= tol_linear
 * or an exactly zero residual / exhausted Krylov space; m = *S->data (basis_size).  v is
 * work[0] (zeroed), GMRES's workspace work[1]. */
static int gmres_solve(hg_problem *P, const hg_aid_solver *S, const double *theta,
                       const double *w, double *gw, double *const *work, const hg_budget *b,
                       hg_ctx *ctx, const double **v_out, int *k_used, hg_error *err)
{
  hg_adjoint_op op = {.P = P, .w = w, .theta = theta};
  const int m = *(const int *)S->data;
  double *v = work[0];
  int rc;

  rc = hg_gmres_trace(P->n_w, hg_adjoint_apply, &op, gw, v, b->k, m, b->tol_linear, work[1],
                      ctx, k_used, NULL, err);
  if (rc)
    return hg_method_fail(P, S->method, rc, err);
  *v_out = v;
  return HG_OK;
}

/* aid-gmres for the driver (common.h), with a basis of m vectors (m stays alive as long as the
 * solver: the caller's). */
static hg_aid_solver gmres_solver(int n, const int *m)
{
  hg_aid_solver S = {
    .method = "aid-gmres",              /* registry name, for messages */
    .work = {1, 0},                     /* blocks: v; GMRES's workspace (below) */
    .extra = {0, hg_gmres_work(n, *m)}, /* basis, Hessenberg matrix, rotations */
    .solve = gmres_solve,               /* GMRES above */
    .data = m,                          /* the basis size */
  };
  return S;
}

/* Bytes for restart= r: lower scratch, grad_w E, v (n each), GMRES's hg_gmres_work(n, m)
 * doubles with m = min(r, n, k) (at least 1), the tail (m). */
static size_t gmres_space_params(int n, int m, const hg_budget *b, const hg_params *mp)
{
  int basis = basis_size(n, (int)hg_params_int(mp, "restart"), b);
  hg_aid_solver base = gmres_solver(n, &basis), S = hg_aid_with(&base, mp);
  return hg_aid_space(n, m, &S);
}

/* The same for the default restart. */
static size_t gmres_space(int n, int m, const hg_budget *b)
{
  int basis = basis_size(n, GMRES_RESTART, b);
  hg_aid_solver S = gmres_solver(n, &basis);
  return hg_aid_space(n, m, &S);
}

/* The driver: lower loop, grad E, gmres_solve, the tail; any contraction. */
static int gmres_compute(hg_problem *P, const hg_params *mp, const double *theta,
                         const double *w0, const hg_budget *b, hg_ctx *ctx, hg_out *out,
                         hg_error *err)
{
  int basis = basis_size(P->n_w, (int)hg_params_int(mp, "restart"), b);
  hg_aid_solver base = gmres_solver(P->n_w, &basis), S = hg_aid_with(&base, mp);
  return hg_aid_run(P, &S, theta, w0, b, ctx, out, err);
}

static const hg_param_spec gmres_params[] = {
  {"restart", HG_PARAM_INT, GMRES_TEXT(GMRES_RESTART), 1, 1000000, NULL,
   "GMRES restart length m (Krylov basis vectors kept; memory (m + 1) n_w)"},
  HG_AID_PARAMS,
  {NULL, 0, NULL, 0, 0, NULL, NULL},
};

/* DESIGN §7: (c1 + c2/(1-q)) q^t + c3 q^k (GMRES's residual is at most Richardson's). */
static double gmres_bound(const hg_theory *th, int t, int k, int K)
{
  return hg_bound_aid_lower(th, t) + th->c3 * pow(th->c.q, k);
}

const hg_method_ops hg_method_aid_gmres = {
  .version = HG_OPS_VERSION,     /* ops layout this table follows */
  .name = "aid-gmres",                  /* registry name (file aid_gmres.c) */
  .summary = "implicit differentiation, adjoint system by k restarted GMRES(m) steps "
             "(any contraction)",       /* one line */
  .params = gmres_params,               /* restart= */
  .needs = HG_NEEDS_CONTRACTION,        /* the bound's q^k needs q < 1 */
  .space = gmres_space,                 /* workspace bytes for the default restart */
  .compute = gmres_compute,             /* the method */
  .rate = hg_rate_q,                    /* q in t and in k (at most Richardson's residual) */
  .bound = gmres_bound,                 /* (c1 + c2/(1-q)) q^t + c3 q^k */
  .space_params = gmres_space_params,   /* workspace bytes for restart= */
  .revision = 1,                        /* bump when this method's numbers change */
  .display = "AID-GMRES",               /* legend name */
  .budgets = HG_AID_BUDGETS, /* what it reads of hg_budget */
  .cost = "t Phi, k + restarts vjp_w, 1 vjp_theta",
};

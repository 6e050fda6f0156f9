/*
 * common.h -- pieces the hypergradient methods share, so no recursion is written twice
 * (private to methods/hypergrad/).
 *
 *   - the lower loop  w_{i+1} = Phi(w_i, theta)  with its tape of recent iterates,
 *   - the reverse sweep of itd and tbptt,
 *   - the driver of the implicit (aid) methods: the lower loop, grad E, the method's adjoint
 *     solver, then  ghat = grad_theta E + d_theta Phi^T v,
 *   - workspace through the counted allocator, residual watching.
 *
 * Everything reaches the problem through the counting wrapper (hg_phi, hg_vjp_w, ...) and
 * allocates through hg_alloc, so cost and memory are measured.
 */
#ifndef HG_HYPERGRAD_COMMON_H
#define HG_HYPERGRAD_COMMON_H

#include "hg_core.h" /* hgbench.h, and the lower-trajectory cache (hg_lower_cache_*) */

/* An iteration whose residual exceeds this many times its first residual has diverged. */
#define HG_DIVERGENCE_FACTOR 1e12

/* hg_cg (hgbench.h) recording ||r_{j+1}|| with hg_trace_linear(trace, .) after every
 * iteration when trace is not NULL.  Defined in harness/core/linalg.c next to hg_cg: the same code. */
int hg_cg_trace(int n, hg_linop op, void *ctx, const double *b, double *x, int kmax, double tol,
                double *work, hg_ctx *trace, int *k_used, double *res, hg_error *err);
/* hg_gmres (hgbench.h) recording the residual estimate |g_{j+1}| with hg_trace_linear after
 * every Arnoldi step when trace is not NULL; in harness/core/linalg.c next to hg_gmres. */
int hg_gmres_trace(int n, hg_linop op, void *ctx, const double *b, double *x, int kmax,
                   int restart, double tol, double *work, hg_ctx *trace, int *k_used,
                   double *res, hg_error *err);

/* ------------------------------------------------------------------------------------------ */
/* Workspace and residuals                                                                     */
/* ------------------------------------------------------------------------------------------ */

/* *x = count doubles (zeroed) from hg_alloc(ctx, .); HG_ERR_MEMCAP or HG_ERR_NOMEM naming
 * method otherwise.  Release with hg_free(ctx, *x). */
int hg_work(hg_ctx *ctx, const char *method, size_t count, double **x, hg_error *err);

/* ||x - y||_2 without forming x - y (scaled against overflow); NaN if an entry of x or y is
 * NaN, +inf if one is infinite. */
double hg_dist(int n, const double *x, const double *y);

/* A linear solver's failure rc (hg_cg, hg_gmres) reported by `method`: err's message gets the
 * prefix "method 'M' on problem 'P': "; returns rc. */
int hg_method_fail(const hg_problem *P, const char *method, int rc, hg_error *err);

/* Watch residual res of iteration i ("what" names the iterate, e.g. "linear iterate v"):
 * HG_ERR_NAN when it is not finite, HG_ERR_DIVERGED when res > HG_DIVERGENCE_FACTOR res0
 * (res0 > 0, the first residual of the same iteration); HG_OK otherwise. */
/* (also: HG_ERR_TIMEOUT once hg_now() passes P->deadline, the run's --max-seconds) */
int hg_watch(const hg_problem *P, const char *method, const char *what, int i, double res,
             double res0, hg_error *err);

/* ------------------------------------------------------------------------------------------ */
/* The lower loop (DESIGN §4): w_0 = w0, w_{i+1} = Phi(w_i, theta) for i < t                   */
/* ------------------------------------------------------------------------------------------ */

typedef struct hg_lower {
  const char *method; /* borrowed: the method's name, for messages */
  int n;              /* entries of one iterate (n_w) */
  int keep;           /* iterates kept on the tape (>= 2), or 0 (and 1): only w_t, in w */
  double *tape;       /* hg_alloc: keep*n doubles, w_i in slot i mod keep; without a tape, one
                         scratch vector of n doubles */
  double *w;          /* borrowed (the method's out->w): receives w_t */
  int t;              /* lower iterations done */
  /* Optional, set before hg_lower_run by a method with its own record (itd-forward's states
   * in the lower cache): start at step `from` > 0 from w_from, the steps before it standing
   * for res_from[0..from) (traced, and counted as Phi calls), as the lower cache resumes. */
  int from;
  const double *w_from, *res_from;
} hg_lower;

/* Bytes hg_lower_open allocates for n and keep: max(keep, 1) n doubles. */
size_t hg_lower_space(int n, int keep);

/* Prepare L for a loop on iterates of n entries keeping the last `keep` iterates (keep >= 2
 * for a tape; 0 for none), w_t to be left in w (borrowed). */
int hg_lower_open(hg_lower *L, const char *method, int n, int keep, double *w, hg_ctx *ctx,
                  hg_error *err);

/* Release what hg_lower_open allocated (safe on a zeroed or already closed L). */
void hg_lower_close(hg_lower *L, hg_ctx *ctx);

/* Called after w_{i+1} is computed, with w_i still in place (forward-mode accumulation). */
typedef void (*hg_lower_hook)(void *hctx, int i, const double *w_i);

/* Run w_{i+1} = Phi(w_i, theta) from w_0 = w0 for i < t, stopping after w_{i+1} when
 * tol_lower > 0 and ||w_{i+1} - w_i|| <= tol_lower.  Records ||w_{i+1} - w_i|| with
 * hg_trace_lower, calls hook (may be NULL) after each step, leaves w_t in L->w and the number
 * of steps done in L->t (also on failure).  HG_ERR_NAN names a non-finite iterate,
 * HG_ERR_DIVERGED an iteration whose residual exceeded HG_DIVERGENCE_FACTOR times the first. */
int hg_lower_run(hg_lower *L, hg_problem *P, const double *theta, const double *w0, int t,
                 double tol_lower, hg_lower_hook hook, void *hctx, hg_ctx *ctx, hg_error *err);

/* w_i from the tape after hg_lower_run: valid for max(0, L->t - keep + 1) <= i <= L->t
 * (only i = L->t without a tape). */
const double *hg_lower_at(const hg_lower *L, int i);

/* Bytes hg_lower_fista allocates besides hg_lower_open's: two iterates of n. */
size_t hg_lower_fista_space(int n);

/*
 * The lower level by FISTA with constant momentum (for a mu-strongly convex, L-smooth g with
 * Phi = w - eta grad g, so grad g(w) = (w - Phi(w))/eta; mu and L from the problem's
 * constants at theta):
 *     x_0 = y_0 = w0,  x_{i+1} = y_i - (1/(L eta)) (y_i - Phi(y_i)),
 *     y_{i+1} = x_{i+1} + beta (x_{i+1} - x_i),  beta = (sqrt(L/mu) - 1)/(sqrt(L/mu) + 1),
 * one Phi per step, for i < t; with tol_lower > 0 it stops at the first y_i with
 * ||y_i - Phi(y_i)|| <= tol_lower and returns that y_i (the certified stop of DESIGN §4:
 * ||y_i - w*|| <= ||y_i - Phi(y_i)||/(1 - q)); otherwise returns x_t.  Records
 * ||y_i - Phi(y_i)|| with hg_trace_lower.  L must come from hg_lower_open with keep = 0.
 * HG_ERR_UNSUPPORTED when the problem gives no mu or L. */
int hg_lower_fista(hg_lower *L, hg_problem *P, const double *theta, const double *w0, int t,
                   double tol_lower, hg_ctx *ctx, hg_error *err);

/* An adjoint iteration resumed from iteration s recorded in ctx->lower_cache
 * (hg_lower_cache_linear_start gave s, res and state): replays res[0..s) into the trace,
 * counts the s vjp_w they stand for, copies the nvec n_w-vectors of state to x[0..nvec) and
 * sets *k_used = s; returns res[0], the first residual (for hg_watch). */
double hg_linear_resume(hg_problem *P, hg_ctx *ctx, int s, const double *res, int nvec,
                        const double *state, double *const *x, int *k_used);

/* ------------------------------------------------------------------------------------------ */
/* The reverse sweep of itd and tbptt (DESIGN §4)                                              */
/* ------------------------------------------------------------------------------------------ */

/* Bytes hg_reverse_sweep allocates: p, its successor (n each) and d_theta Phi^T p (m). */
size_t hg_sweep_space(int n, int m);

/* g = ghat of itd truncated to the last K steps of the loop in L (K <= L->t, and the tape
 * holds w_{t-K} .. w_t):
 *     p = grad_w E(w_t),  g = grad_theta E(w_t);
 *     for i = t-1 down to t-K:  g += d_theta Phi(w_i)^T p;  p = d_w Phi(w_i)^T p.
 * Every product of the recursion is made (K of each kind), so the counts are DESIGN's. */
int hg_reverse_sweep(hg_problem *P, const double *theta, const hg_lower *L, int K, double *g,
                     hg_ctx *ctx, hg_error *err);

/* Bytes hg_itd_run allocates for budget t and K: a tape of min(K, t) + 1 iterates and the
 * sweep. */
size_t hg_itd_space(int n, int m, int t, int K);

/* itd truncated to the last K steps (DESIGN §4 itd for K >= t, tbptt otherwise): the lower
 * loop of budget b from w0 keeping the last min(K, b->t) + 1 iterates, then the reverse sweep
 * over the last min(K, t_used) steps.  Fills out (grad, w = w_t, t_used; k_used = 0). */
int hg_itd_run(hg_problem *P, const char *method, const double *theta, const double *w0,
               const hg_budget *b, int K, hg_ctx *ctx, hg_out *out, hg_error *err);

/* ------------------------------------------------------------------------------------------ */
/* The implicit (aid) methods (DESIGN §1, §4): one driver around each method's adjoint solver  */
/* ------------------------------------------------------------------------------------------ */

/* Workspace blocks an adjoint solver may ask the driver for (raise it when one needs more). */
#define HG_AID_BLOCKS 2

typedef struct hg_aid_solver hg_aid_solver;

/* An adjoint solver: v ~ (I - J^T)^{-1} gw with J = d_w Phi(w, theta), w = w_t, within
 * budget b (at most b->k iterations; with b->tol_linear > 0 it stops once its residual is
 * <= tol_linear).  S is the solver's own description (S->method for messages, S->data for its
 * parameters).  gw = grad_w E(w, theta) and may be overwritten.  work[i] is the solver's
 * zeroed block i of S->work[i] n-vectors plus S->extra[i] doubles (NULL when both are 0).
 * Sets *v_out to v (in gw or a block) on success and *k_used to the iterations done, also on
 * failure (it is 0 on entry).  Residuals go to hg_trace_linear(ctx, .) and hg_watch; errors
 * name the method. */
typedef int (*hg_adjoint_solve)(hg_problem *P, const hg_aid_solver *S, const double *theta,
                                const double *w, double *gw, double *const *work,
                                const hg_budget *b, hg_ctx *ctx, const double **v_out,
                                int *k_used, hg_error *err);

/* What the driver needs of an implicit method. */
struct hg_aid_solver {
  const char *method;          /* registry name, for messages */
  int work[HG_AID_BLOCKS];     /* n-vectors in each zeroed block solve() gets, allocated in
                                  this order before the lower loop (0: no block) */
  size_t extra[HG_AID_BLOCKS]; /* doubles added to each block after its n-vectors, for parts
                                  whose size is not a multiple of n (GMRES's Hessenberg
                                  matrix); 0 by default */
  hg_adjoint_solve solve;      /* the adjoint solve */
  const void *data;            /* borrowed: the solver's parameters (GMRES's restart), or
                                  NULL */
  int fista;                   /* 1: the lower level by FISTA (lower=fista), 0: by Phi */
};

/* The parameter every implicit method takes (in its schema, before the NULL terminator):
 * lower=gd (the Phi iteration of DESIGN §4) or lower=fista (hg_lower_fista). */
#define HG_AID_PARAMS                                                                         \
  {"lower", HG_PARAM_CHOICE, "gd", 0, 0, "gd|fista",                                          \
   "lower-level solver: gd (Phi's steps) or fista (constant momentum, needs mu and L)"}

/* The budget fields an implicit method reads: t and k, or tolerances with t and k as caps. */
#define HG_AID_BUDGETS                                                                        \
  (HG_BUDGET_T | HG_BUDGET_K | HG_BUDGET_TOL_LOWER | HG_BUDGET_TOL_LINEAR)

/*
 * The ops slots every implicit method built on hg_aid_run shares, for the hg_aid_solver
 * `solver` of its file: the parameter schema aid_params (lower=), aid_space and
 * aid_space_params (hg_aid_space of the solver, with FISTA's iterates under lower=fista) and
 * aid_compute (hg_aid_run).  One method per file, so the names are the same in every file;
 * HG_AID_OPS puts them in the ops table.
 */
#define HG_AID_METHOD(solver)                                                                 \
  static const hg_param_spec aid_params[] = {HG_AID_PARAMS,                                   \
                                             {NULL, 0, NULL, 0, 0, NULL, NULL}};              \
  static size_t aid_space(int n, int m, const hg_budget *b)                                   \
  {                                                                                           \
    return hg_aid_space(n, m, &(solver));                                                     \
  }                                                                                           \
  static size_t aid_space_params(int n, int m, const hg_budget *b, const hg_params *mp)       \
  {                                                                                           \
    hg_aid_solver S = hg_aid_with(&(solver), mp);                                             \
    return hg_aid_space(n, m, &S);                                                            \
  }                                                                                           \
  static int aid_compute(hg_problem *P, const hg_params *mp, const double *theta,             \
                         const double *w0, const hg_budget *b, hg_ctx *ctx, hg_out *out,      \
                         hg_error *err)                                                       \
  {                                                                                           \
    hg_aid_solver S = hg_aid_with(&(solver), mp);                                             \
    return hg_aid_run(P, &S, theta, w0, b, ctx, out, err);                                    \
  }

#define HG_AID_OPS                                                                            \
  .params = aid_params, .space = aid_space, .space_params = aid_space_params,                 \
  .compute = aid_compute

/* *base with the lower-level solver mp asks for (lower=). */
hg_aid_solver hg_aid_with(const hg_aid_solver *base, const hg_params *mp);

/* Bytes hg_aid_run holds at most with S: the lower loop's scratch and grad_w E (n each), S's
 * blocks (work[i] n + extra[i] doubles each), and the larger of d_theta Phi^T v (m, after the
 * loop) and, with S->fista, FISTA's two iterates (n each, during the loop). */
size_t hg_aid_space(int n, int m, const hg_aid_solver *S);

/* The adjoint operator of the implicit methods at the fixed w = w_t, for hg_cg and hg_gmres:
 * hg_adjoint_apply gives out = (I - J^T) v (one counted vjp_w), hg_adjoint_apply_t gives
 * out = (I - J) v (one counted jvp_w), J = d_w Phi(w, theta). */
typedef struct hg_adjoint_op {
  hg_problem *P;
  const double *w;     /* w_t */
  const double *theta;
} hg_adjoint_op;
void hg_adjoint_apply(void *op, const double *v, double *out);
void hg_adjoint_apply_t(void *op, const double *v, double *out);

/* An implicit method (DESIGN §1, §4): the lower loop of budget b from w0 (no tape) to w_t in
 * out->w; gw = grad_w E(w_t) and out->grad = grad_theta E(w_t) by one hg_upper; v from
 * S->solve; out->grad += d_theta Phi(w_t)^T v.  The loop's scratch, gw and S's blocks are
 * allocated before the first call, d_theta Phi^T v for the last step.  Sets out->t_used and
 * out->k_used (0 until reached), also on failure, and copies v to out->v (when the harness
 * gave one) for the inexact bound. */
int hg_aid_run(hg_problem *P, const hg_aid_solver *S, const double *theta, const double *w0,
               const hg_budget *b, hg_ctx *ctx, hg_out *out, hg_error *err);

/* ------------------------------------------------------------------------------------------ */
/* Chambolle-Pock PDHG on a saddle-point lower level (pdhg.c; DESIGN §4 "piggyback")            */
/* ------------------------------------------------------------------------------------------ */

/*
 * min_u max_y G(u) + <K u, y> - F*(y) (hgbench.h hg_saddle_ops) with G mu_G- and F* mu_F-strongly
 * convex, by the constant-step accelerated variant of Chambolle & Pock (2011, §5.2, Algorithm 3
 * with Theorem 3), from u_0 = w0, y_0 = 0, u_{-1} = u_0:
 *
 *     m = 2 sqrt(mu_G mu_F)/||K||,  tau = m/(2 mu_G),  sigma = m/(2 mu_F),  extrap = 1/(1 + m),
 *     ubar_i  = u_i + extrap (u_i - u_{i-1}),
 *     a_i     = y_i + sigma K ubar_i,             y_{i+1} = prox_{sigma F*}(a_i),
 *     b_i     = u_i - tau K^T y_{i+1},            u_{i+1} = prox_{tau G}(b_i),
 *
 * (tau sigma ||K||^2 = 1), linear with omega = 1/(1 + m) per step in the squared distances.
 * After every step the distances to the saddle point are certified a posteriori: the two
 * steps say r_u = (u_i - u_{i+1})/tau in dG(u_{i+1}) + K^T y_{i+1} and
 * r_y = (a_i - y_{i+1})/sigma - K u_{i+1} in dF*(y_{i+1}) - K u_{i+1}, and the saddle operator is
 * strongly monotone, so with e_u = ||u_{i+1} - u*||, e_y = ||y_{i+1} - y*||,
 *     mu_G e_u^2 + mu_F e_y^2 <= ||r_u|| e_u + ||r_y|| e_y,
 * hence (completing squares, R^2 = ||r_u||^2/(4 mu_G) + ||r_y||^2/(4 mu_F))
 *     e_u <= ||r_u||/(2 mu_G) + R/sqrt(mu_G),   e_y <= ||r_y||/(2 mu_F) + R/sqrt(mu_F).
 * Unlike the duality gap (a difference of O(1) values, so no better than sqrt(machine eps)),
 * these residuals are differences of iterates: they certify down to round-off.
 *
 * A step is hg_pdhg_linearize (a_i, y_{i+1}, b_i at z_i = (u_i, y_i, u_{i-1}): the prox inputs
 * that fix the Jacobian of the step, one K^T) and hg_pdhg_commit (u_{i+1}, the shifts, the
 * certificate: one K), so a method can differentiate the step in between.  K u_i is kept, so
 * K ubar_i = (1 + extrap) K u_i - extrap K u_{i-1} costs nothing.
 */
typedef struct hg_pdhg {
  const char *method;     /* borrowed: the method's name, for messages */
  int n, d;               /* n_w and n_y */
  hg_saddle_constants c;  /* at theta */
  double tau, sigma, extrap, omega; /* steps, extrapolation, a priori rate of squared distances */
  double *u, *u_prev;     /* u_i, u_{i-1} (n each) */
  double *y, *y_next;     /* y_i, and y_{i+1} = prox(a_i) after linearize (d each) */
  double *Ku, *Ku_prev;   /* K u_i, K u_{i-1} (d each) */
  double *a, *b;          /* the prox inputs of the last linearize: a_i (d), b_i (n) */
  double *block;          /* hg_alloc: all of the above */
  double eps_u, eps_y;    /* certified ||u_i - u*||, ||y_i - y*|| (INFINITY before a step) */
  double res0;            /* the first certified distance (divergence watch) */
  int t;                  /* steps done */
} hg_pdhg;

/* Bytes hg_pdhg_open allocates: (3 n + 5 d) doubles. */
size_t hg_pdhg_space(int n, int d);

/* Start PDHG on P's saddle ops at theta from u_0 = w0 (finite, else HG_ERR_ARG), y_0 = 0: the
 * parameters above and K u_0 (one K). */
int hg_pdhg_open(hg_pdhg *S, hg_problem *P, const char *method, const double *theta,
                 const double *w0, hg_ctx *ctx, hg_error *err);
/* a_i = y_i + sigma K ubar_i, y_{i+1} = prox_{sigma F*}(a_i), b_i = u_i - tau K^T y_{i+1}. */
void hg_pdhg_linearize(hg_pdhg *S, hg_problem *P, const double *theta);
/* After hg_pdhg_linearize: u_{i+1} = prox_{tau G}(b_i), y_{i+1}, the shifts, K u_{i+1}, the
 * certified distances (traced as sqrt(e_u^2 + e_y^2) with hg_trace_lower and watched: HG_ERR_NAN,
 * HG_ERR_DIVERGED name the iterate). */
int hg_pdhg_commit(hg_pdhg *S, hg_problem *P, const double *theta, hg_ctx *ctx, hg_error *err);
/* sqrt(eps_u^2 + eps_y^2): the certified distance of (u_i, y_i) to the saddle point. */
double hg_pdhg_dist(const hg_pdhg *S);
void hg_pdhg_close(hg_pdhg *S, hg_ctx *ctx);

/* ------------------------------------------------------------------------------------------ */
/* Theoretical rates (DESIGN §7), for the ops tables' rate slot                                */
/* ------------------------------------------------------------------------------------------ */

/* q along t, none along k (itd, itd-forward, tbptt). */
double hg_rate_q_in_t(const hg_constants *c, char axis);
/* q along t and along k (aid-fp, neumann). */
double hg_rate_q(const hg_constants *c, char axis);
/* The condition number of I - d_w Phi^T the Krylov bounds use (DESIGN §7):
 * min(kappa, (1+q)/(1-q)), (1+q)/(1-q) when kappa is unknown (as hg_theory's kappa_lin). */
double hg_kappa_lin(const hg_constants *c);

/* ------------------------------------------------------------------------------------------ */
/* Bounds on ||ghat - grad f|| (DESIGN §7), for the ops tables' bound slot                     */
/* ------------------------------------------------------------------------------------------ */

/* itd, itd-forward: (c1 + c2 t/q + c3) q^t, written c1 q^t + c2 t q^(t-1) + c3 q^t. */
double hg_bound_itd(const hg_theory *th, int t, int k, int K);
/* The lower-level part of every implicit method: (c1 + c2/(1-q)) q^t. */
double hg_bound_aid_lower(const hg_theory *th, int t);

#endif /* HG_HYPERGRAD_COMMON_H */

/*
 * common.h -- pieces the hypergradient methods share, so no recursion is written twice
 * (private to methods/hypergrad/).
 *
 *   - the lower loop  w_{i+1} = Phi(w_i, theta)  with its tape of recent iterates,
 *   - the reverse sweep of itd and tbptt,
 *   - the tail of the implicit (aid) methods  ghat = grad_theta E + d_theta Phi^T v,
 *   - workspace through the counted allocator, residual watching.
 *
 * Everything reaches the problem through the counting wrapper (hg_phi, hg_vjp_w, ...) and
 * allocates through hg_alloc, so cost and memory are measured.
 */
#ifndef HG_HYPERGRAD_COMMON_H
#define HG_HYPERGRAD_COMMON_H

#include "hgbench.h"

/* An iteration whose residual exceeds this many times its first residual has diverged. */
#define HG_DIVERGENCE_FACTOR 1e12

/* hg_cg (hgbench.h) recording ||r_{j+1}|| with hg_trace_linear(trace, .) after every
 * iteration when trace is not NULL.  Defined in harness/linalg.c next to hg_cg: the same code. */
int hg_cg_trace(int n, hg_linop op, void *ctx, const double *b, double *x, int kmax, double tol,
                double *work, hg_ctx *trace, int *k_used, double *res, hg_error *err);

/* ------------------------------------------------------------------------------------------ */
/* Workspace and residuals                                                                     */
/* ------------------------------------------------------------------------------------------ */

/* *x = count doubles (zeroed) from hg_alloc(ctx, .); HG_ERR_MEMCAP or HG_ERR_NOMEM naming
 * method otherwise.  Release with hg_free(ctx, *x). */
int hg_work(hg_ctx *ctx, const char *method, size_t count, double **x, hg_error *err);

/* ||x - y||_2 without forming x - y (scaled against overflow); NaN if an entry of x or y is
 * NaN, +inf if one is infinite. */
double hg_dist(int n, const double *x, const double *y);

/* Watch residual res of iteration i ("what" names the iterate, e.g. "linear iterate v"):
 * HG_ERR_NAN when it is not finite, HG_ERR_DIVERGED when res > HG_DIVERGENCE_FACTOR res0
 * (res0 > 0, the first residual of the same iteration); HG_OK otherwise. */
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
/* The implicit (aid) tail (DESIGN §1, §4)                                                     */
/* ------------------------------------------------------------------------------------------ */

/* Bytes hg_aid_tail allocates: d_theta Phi^T v (m doubles). */
size_t hg_aid_tail_space(int m);

/* g += d_theta Phi(w, theta)^T v, where g holds grad_theta E(w, theta) on entry (as left by
 * hg_upper), so that g = grad_theta E + d_theta Phi^T v: the hypergradient formula with v
 * approximating (I - d_w Phi^T)^{-1} grad_w E. */
int hg_aid_tail(hg_problem *P, const char *method, const double *theta, const double *w,
                const double *v, double *g, hg_ctx *ctx, hg_error *err);

#endif /* HG_HYPERGRAD_COMMON_H */

/*
 * itd_forward.c -- forward-mode iterative differentiation (DESIGN §4 "itd-forward"): the same
 * value as itd, d/dtheta E(w_t(theta), theta), carried forward as the n x m Jacobian
 * Z_i = d w_i / d theta:
 *
 *     Z_0 = 0,  Z_{i+1} = d_w Phi(w_i) Z_i + d_theta Phi(w_i)     (alongside w_{i+1} = Phi(w_i)),
 *     column j:  z_j <- jvp_w(w_i, z_j) + jvp_theta(w_i, e_j),
 *     ghat = grad_theta E(w_t) + Z_t^T grad_w E(w_t).
 *
 * Memory O(n m), no tape; cost m Jacobian-vector products of each kind per step.  The m
 * products d_w Phi(w_i) z_j of a step are one block (hg_jvp_w_block: matrix-matrix products
 * where the problem has them, counted as m jvp_w and one block).  With the run's lower cache
 * (verify), the state (w_i, Z_i) at the end of each run and every t/32 steps on the way is
 * recorded, and a later run at the same theta and w0 with a fixed t resumes from the latest
 * one at or before its t: the same bits and counts as from scratch, and verify's large budget
 * and grid of t together cost about one sweep.
 */
#include "common.h"

#include <math.h>
#include <stdlib.h>

/* The forward state: Z stored column by column (column j at Z + j n). */
typedef struct fwd_state {
  hg_problem *P;
  const double *theta;
  double *Z;  /* n x m, d w_i / d theta */
  double *zw; /* scratch of hg_jvp_w_block without a block op */
  double *zt; /* d_theta Phi(w_i) e_j */
  double *e;  /* e_j, the j-th unit vector of R^m */
  hg_lower_cache *cache; /* recording the residuals (NULL: not recording) */
  double *w_prev;        /* w_{i-1}, for the residual of step i - 1 recorded at step i */
  int from;              /* the step the run started at */
  int stride;            /* states (w_i, Z_i) recorded every stride steps on the way */
  const double **state;  /* m + 1 pointers: w_i, then Z's columns (NULL: none recorded) */
} fwd_state;

/* States recorded on the way per run: every t / HG_FWD_STATES steps, so a later run at a
 * smaller t (verify's grid after its large budget) redoes at most t / HG_FWD_STATES steps. */
#define HG_FWD_STATES 32

/* Bytes: lower scratch (n), Z (n m), zw, zt, grad_w E, w_prev (n each), e (m). */
static size_t itd_forward_space(int n, int m, const hg_budget *b)
{
  size_t doubles = (size_t)n * (size_t)m + 4 * (size_t)n + (size_t)m;
  return hg_lower_space(n, 0) + doubles * sizeof(double);
}

/* Z_{i+1} = d_w Phi(w_i) Z_i + d_theta Phi(w_i): the m products d_w Phi(w_i) z_j as one block
 * in place, then column j += d_theta Phi(w_i) e_j; every product is made (m of each kind per
 * step, also at i = 0 where Z_0 = 0), so the counts are DESIGN's.  While recording, the
 * residual ||w_i - w_{i-1}|| of step i - 1 (as hg_lower_run computes it) goes to the cache. */
static void fwd_step(void *hctx, int i, const double *w_i)
{
  fwd_state *s = hctx;
  int n = s->P->n_w, m = s->P->n_theta;

  if (s->cache) {
    if (i > s->from)
      hg_lower_cache_forward_step(s->cache, i - 1, hg_dist(n, w_i, s->w_prev));
    hg_copy(n, w_i, s->w_prev);
    if (s->state && i > s->from && i % s->stride == 0) { /* (w_i, Z_i) on the way */
      s->state[0] = w_i;
      hg_lower_cache_forward_end(s->cache, i, s->state);
    }
  }
  hg_jvp_w_block(s->P, w_i, s->theta, m, s->Z, s->Z, s->zw);
  for (int j = 0; j < m; j++) {
    double *z_j = s->Z + (size_t)j * (size_t)n;
    s->e[j] = 1.0;
    hg_jvp_theta(s->P, w_i, s->theta, s->e, s->zt);
    s->e[j] = 0.0;
    for (int r = 0; r < n; r++)
      z_j[r] += s->zt[r];
  }
}

/* ghat = grad_theta E(w_t) + Z_t^T grad_w E(w_t), Z_t accumulated during the lower loop. */
static int itd_forward_compute(hg_problem *P, const hg_params *mp, const double *theta,
                               const double *w0, const hg_budget *b, hg_ctx *ctx, hg_out *out,
                               hg_error *err)
{
  int rc = HG_OK, n = P->n_w, m = P->n_theta;
  hg_lower L = {0};
  fwd_state s = {.P = P, .theta = theta};
  double *gw = NULL; /* grad_w E(w_t) */

  if ((rc = hg_lower_open(&L, "itd-forward", n, 0, out->w, ctx, err)) ||
      (rc = hg_work(ctx, "itd-forward", (size_t)n * (size_t)m, &s.Z, err)) ||
      (rc = hg_work(ctx, "itd-forward", (size_t)n, &s.zw, err)) ||
      (rc = hg_work(ctx, "itd-forward", (size_t)n, &s.zt, err)) ||
      (rc = hg_work(ctx, "itd-forward", (size_t)m, &s.e, err)) ||
      (rc = hg_work(ctx, "itd-forward", (size_t)n, &s.w_prev, err)) ||
      (rc = hg_work(ctx, "itd-forward", (size_t)n, &gw, err)))
    goto done;

  /* Resume from a recorded state (w_s, Z_s) when the run has a fixed t; Z_0 = 0 otherwise
   * (hg_alloc zeroes).  The skipped steps count as the products they stand for. */
  if (ctx->lower_cache && b->tol_lower <= 0) {
    const double *res = NULL, *state = NULL;
    int from = hg_lower_cache_forward_start(ctx->lower_cache, P, theta, w0, b->t, 1 + m, &res,
                                            &state);
    if (from > 0) {
      for (int j = 0; j < m; j++)
        hg_copy(n, state + (size_t)(j + 1) * (size_t)n, s.Z + (size_t)j * (size_t)n);
      L.from = from;
      L.w_from = state;
      L.res_from = res;
      P->counts.jvp_w += (long)from * m;
      P->counts.jvp_theta += (long)from * m;
      P->counts.blocks += P->ops->jvp_w_block ? from : 0;
    }
    s.cache = ctx->lower_cache;
    s.from = from;
    s.stride = b->t / HG_FWD_STATES > 1 ? b->t / HG_FWD_STATES : 1;
    s.state = malloc((size_t)(m + 1) * sizeof *s.state); /* NULL: only the end recorded */
    for (int j = 0; s.state && j < m; j++)
      s.state[1 + j] = s.Z + (size_t)j * (size_t)n;
  }
  rc = hg_lower_run(&L, P, theta, w0, b->t, b->tol_lower, fwd_step, &s, ctx, err);
  out->t_used = L.t;
  out->k_used = 0;
  if (rc)
    goto done;
  if (s.cache && L.t > s.from) {
    hg_lower_cache_forward_step(s.cache, L.t - 1, hg_dist(n, out->w, s.w_prev));
    /* the state (w_t, Z_t): nvec = 1 + m vectors, w_t then Z's columns (not recorded when
     * the list of them cannot be had) */
    if (s.state) {
      s.state[0] = out->w;
      hg_lower_cache_forward_end(s.cache, L.t, s.state);
    }
  }

  hg_upper(P, out->w, theta, gw, out->grad);
  for (int j = 0; j < m; j++)
    out->grad[j] += hg_dot(n, s.Z + (size_t)j * (size_t)n, gw);

done:
  free((void *)s.state);
  hg_free(ctx, gw);
  hg_free(ctx, s.w_prev);
  hg_free(ctx, s.e);
  hg_free(ctx, s.zt);
  hg_free(ctx, s.zw);
  hg_free(ctx, s.Z);
  hg_lower_close(&L, ctx);
  return rc;
}

static const hg_param_spec itd_forward_params[] = {{.key = NULL}};

/* DESIGN §7: the same value as itd. */
static const hg_identity itd_forward_identities[] = {
  {.other = "itd", .t = 6, .other_t = 6, .tol = 1e-10,
   .why = "forward and reverse accumulation of the same derivative"},
  {.other = NULL},
};

const hg_method_ops hg_method_itd_forward = {
  .version = HG_OPS_VERSION,     /* ops layout this table follows */
  .name = "itd-forward",                /* registry name (file itd_forward.c) */
  .summary = "forward-mode iterative differentiation: itd's value with O(n m) memory, no tape",
  .params = itd_forward_params,         /* an empty schema */
  .needs = HG_NEEDS_JVP_THETA | HG_NEEDS_CONTRACTION, /* jvp_theta for d_theta Phi e_j */
  .space = itd_forward_space,           /* workspace bytes: O(n m) */
  .compute = itd_forward_compute,       /* the method */
  .rate = hg_rate_q_in_t,                /* the same value as itd: rate q in t */
  .bound = hg_bound_itd,                 /* the same value as itd, the same bound */
  .revision = 1,                        /* bump when this method's numbers change */
  .display = "ITD (forward)",           /* legend name */
  .budgets = HG_BUDGET_T | HG_BUDGET_TOL_LOWER, /* what it reads of hg_budget */
  .identities = itd_forward_identities, /* DESIGN §7 */
  .columnwise = 1,                      /* work grows column by column of theta */
  .cost = "t Phi, t m jvp_w (t blocks of m), t m jvp_theta; an n x m tangent matrix",
};

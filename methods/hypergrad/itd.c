/*
 * itd.c -- reverse-mode iterative differentiation (DESIGN §4 "itd"): the exact gradient of
 * f_t(theta) = E(w_t(theta), theta), w_t the t-th lower iterate from w0:
 *
 *     w_{i+1} = Phi(w_i, theta) for i < t   (storing w_0 .. w_t),
 *     p = grad_w E(w_t), g = grad_theta E(w_t);
 *     for i = t-1 .. 0:  g += d_theta Phi(w_i)^T p;  p = d_w Phi(w_i)^T p.
 *
 * With tol_lower > 0, t is the number of lower steps actually done.  Memory O(t n) for the
 * tape; itd-forward computes the same value with O(n m) and no tape.
 *
 * checkpoints=C > 0 (binomial checkpointing, Griewank & Walther's revolve): only C iterates
 * are stored and the others recomputed from the nearest stored one, with at most eta
 * recomputations of any step, eta the least with binomial(C - 1 + eta, C - 1) >= t.  The
 * same Phi on the same bits gives the same bits, so the hypergradient is the full tape's bit
 * for bit; the counts show the extra Phi calls.  Needs a fixed t (no tol_lower).
 */
#include "common.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>

/* Bytes: the tape w_0 .. w_t ((t + 1) n) and the sweep (2 n + m). */
static size_t itd_space(int n, int m, const hg_budget *b)
{
  return hg_itd_space(n, m, b->t, b->t);
}

/* Bytes with checkpoints=C: the C stored iterates and three to advance from them, the lower
 * loop's scratch and the sweep (or the full tape when C = 0 or C > t). */
static size_t itd_space_params(int n, int m, const hg_budget *b, const hg_params *mp)
{
  const long C = hg_params_int(mp, "checkpoints");

  if (C == 0 || C > b->t)
    return itd_space(n, m, b);
  return hg_lower_space(n, 0) + ((size_t)C + 3) * (size_t)n * sizeof(double) +
         hg_sweep_space(n, m);
}

/* binomial(s + eta, s), the steps s checkpoints reverse with eta recomputations (capped). */
static double beta(int s, int eta)
{
  double b = 1.0;

  for (int i = 1; i <= s && b < DBL_MAX / (eta + s); i++)
    b = b * (eta + i) / i;
  return b;
}

/* Where to put the next checkpoint in a segment of r > 1 steps with s >= 1 free slots: the
 * first part (r1 steps, reversed later with the s slots) gets beta(s, eta - 1), the second
 * (r - r1 steps, with s - 1 slots) at most beta(s - 1, eta), eta the least that covers r. */
static int split(int r, int s)
{
  int eta = 1;

  while (beta(s, eta) < r)
    eta++;
  const double r1 = beta(s, eta - 1);
  return r1 >= r ? r - 1 : r1 < 1 ? 1 : (int)r1;
}

/* The state of a checkpointed reverse sweep. */
typedef struct itd_ck {
  hg_problem *P;
  const double *theta;
  int n, m, C;
  double *slots;  /* C iterates; slot j at slots + j n */
  double *adv[3]; /* two vectors an advance alternates between, one more for C = 1 */
  double *p, *p_next, *u;
  double *g;
  int *chain;     /* steps whose iterates the forward loop stores: chain[j] into slot j */
  int nchain;
} itd_ck;

static double *ck_slot(itd_ck *K, int j)
{
  return K->slots + (size_t)j * (size_t)K->n;
}

/* The forward loop's hook: w_i into its slot when i is on the chain. */
static void ck_store(void *hctx, int i, const double *w_i)
{
  itd_ck *K = hctx;

  for (int j = 0; j < K->nchain; j++)
    if (K->chain[j] == i)
      hg_copy(K->n, w_i, ck_slot(K, j));
}

/* dst = Phi^steps(src) (steps >= 1; dst differs from src and from K->adv). */
static void ck_advance(itd_ck *K, const double *src, int steps, double *dst)
{
  const double *x = src;

  for (int k = 0; k < steps; k++) {
    double *out = k == steps - 1 ? dst : K->adv[k % 2];
    hg_phi(K->P, x, K->theta, out);
    x = out;
  }
}

/* One step of the reverse sweep at w_i: g += d_theta Phi(w_i)^T p, p = d_w Phi(w_i)^T p. */
static void ck_step(itd_ck *K, const double *w_i)
{
  hg_vjp_theta(K->P, w_i, K->theta, K->p, K->u);
  hg_axpy(K->m, 1.0, K->u, K->g);
  hg_vjp_w(K->P, w_i, K->theta, K->p, K->p_next);
  double *swap = K->p;
  K->p = K->p_next;
  K->p_next = swap;
}

/* Reverse steps b-1 .. a, w_a in slot sa, slots sa+1 .. C-1 free; `stored`: the forward loop
 * already put this segment's checkpoint in slot sa + 1 (the chain). */
static void ck_reverse(itd_ck *K, int a, int b, int sa, int stored)
{
  const double *wa = ck_slot(K, sa);
  const int s = K->C - 1 - sa; /* free slots */

  if (b - a == 1) {
    ck_step(K, wa);
    return;
  }
  if (s == 0) { /* no slot left: every iterate from w_a (C = 1) */
    for (int i = b - 1; i > a; i--) {
      ck_advance(K, wa, i - a, K->adv[2]);
      ck_step(K, K->adv[2]);
    }
    ck_step(K, wa);
    return;
  }
  const int mid = a + split(b - a, s);
  if (!stored)
    ck_advance(K, wa, mid - a, ck_slot(K, sa + 1));
  ck_reverse(K, mid, b, sa + 1, stored);
  ck_reverse(K, a, mid, sa, 0);
}

/* itd with checkpoints=C (1 <= C <= t): the forward loop storing the chain, then the
 * checkpointed sweep. */
static int itd_checkpointed(hg_problem *P, const double *theta, const double *w0,
                            const hg_budget *b, int C, hg_ctx *ctx, hg_out *out, hg_error *err)
{
  int rc = HG_OK, n = P->n_w, m = P->n_theta;
  hg_lower L = {0};
  itd_ck K = {.P = P, .theta = theta, .n = n, .m = m, .C = C, .g = out->grad};
  int *chain = malloc((size_t)C * sizeof *chain);

  if (b->tol_lower > 0) {
    rc = hg_fail(err, HG_ERR_UNSUPPORTED, "method 'itd': checkpoints= needs a fixed t (the "
                 "schedule is made for it), not tol_lower");
    goto done;
  }
  if (!chain) {
    rc = hg_fail(err, HG_ERR_NOMEM, "method 'itd': out of memory for %d checkpoints", C);
    goto done;
  }
  if ((rc = hg_lower_open(&L, "itd", n, 0, out->w, ctx, err)) ||
      (rc = hg_work(ctx, "itd", (size_t)C * (size_t)n, &K.slots, err)) ||
      (rc = hg_work(ctx, "itd", (size_t)n, &K.adv[0], err)) ||
      (rc = hg_work(ctx, "itd", (size_t)n, &K.adv[1], err)) ||
      (rc = hg_work(ctx, "itd", (size_t)n, &K.adv[2], err)) ||
      (rc = hg_work(ctx, "itd", (size_t)n, &K.p, err)) ||
      (rc = hg_work(ctx, "itd", (size_t)n, &K.p_next, err)) ||
      (rc = hg_work(ctx, "itd", (size_t)m, &K.u, err)))
    goto done;
  /* the chain: w_0 in slot 0, then each segment's checkpoint along the right spine */
  K.chain = chain;
  K.nchain = 1;
  chain[0] = 0;
  for (int a = 0, s = C - 1; s > 0 && b->t - a > 1; s--) {
    a += split(b->t - a, s);
    chain[K.nchain++] = a;
  }
  rc = hg_lower_run(&L, P, theta, w0, b->t, 0.0, ck_store, &K, ctx, err);
  out->t_used = L.t;
  out->k_used = 0;
  if (rc)
    goto done;
  hg_upper(P, out->w, theta, K.p, K.g);
  if (L.t > 0)
    ck_reverse(&K, 0, L.t, 0, 1);

done:
  hg_free(ctx, K.u);
  hg_free(ctx, K.p_next);
  hg_free(ctx, K.p);
  hg_free(ctx, K.adv[2]);
  hg_free(ctx, K.adv[1]);
  hg_free(ctx, K.adv[0]);
  hg_free(ctx, K.slots);
  hg_lower_close(&L, ctx);
  free(chain);
  return rc;
}

/* itd is the reverse sweep over all t steps (K = t), from the full tape or checkpoints. */
static int itd_compute(hg_problem *P, const hg_params *mp, const double *theta,
                       const double *w0, const hg_budget *b, hg_ctx *ctx, hg_out *out,
                       hg_error *err)
{
  const long C = mp ? hg_params_int(mp, "checkpoints") : 0;

  if (C > 0 && C <= b->t)
    return itd_checkpointed(P, theta, w0, b, (int)C, ctx, out, err);
  return hg_itd_run(P, "itd", theta, w0, b, b->t, ctx, out, err);
}

static const hg_param_spec itd_params[] = {
  {"checkpoints", HG_PARAM_INT, "0", 0, 1000000, NULL,
   "iterates stored (binomial checkpointing, the rest recomputed; same bits); 0: all t + 1"},
  {NULL, 0, NULL, 0, 0, NULL, NULL},
};

/* DESIGN §7: forward and reverse mode give the same gradient of E(w_t(theta), theta); for Phi
 * affine in w with d_theta Phi independent of w, the reverse sweep is aid-fp's series. */
static const hg_identity itd_identities[] = {
  {.other = "itd-forward", .t = 6, .other_t = 6, .tol = 1e-10,
   .why = "forward and reverse accumulation of the same derivative"},
  {.other = "aid-fp", .t = 6, .other_t = 6, .other_k = 6, .tol = 1e-10, .needs_affine = 1,
   .why = "Phi affine in w: the reverse sweep sums aid-fp's t-term series"},
  {.other = NULL},
};

const hg_method_ops hg_method_itd = {
  .version = HG_OPS_VERSION,     /* ops layout this table follows */
  .name = "itd",                        /* registry name (file itd.c) */
  .summary = "reverse-mode iterative differentiation: exact gradient of E(w_t(theta), theta)",
  .params = itd_params,                 /* checkpoints= */
  .needs = HG_NEEDS_CONTRACTION,        /* iterates Phi */
  .space = itd_space,                   /* workspace bytes: O(t n) tape */
  .space_params = itd_space_params,     /* O(C n) with checkpoints=C */
  .compute = itd_compute,               /* the method */
  .rate = hg_rate_q_in_t,                /* error bound ~ t q^t (DESIGN §7) */
  .bound = hg_bound_itd,                 /* (c1 + c2 t/q + c3) q^t */
  .revision = 1,                        /* bump when this method's numbers change */
  .display = "ITD (reverse)",           /* legend name */
  .budgets = HG_BUDGET_T | HG_BUDGET_TOL_LOWER, /* what it reads of hg_budget */
  .identities = itd_identities, /* DESIGN §7 */
  .cost = "t Phi, t vjp_w, t vjp_theta; a tape of t + 1 iterates (checkpoints=C: C iterates, "
          "at most eta t more Phi, binomial(C - 1 + eta, C - 1) >= t)",
};

/*
 * items.h -- the sample ops of a problem whose means are sums over items with one lower block
 * per item (equilibrium's examples, the imaging problems' images): per-item weights that
 * restrict a mean to a batch (hgbench.h hg_problem_ops.select).  Private to problems/.
 *
 * A batch idx[0..count) of the N items gives item i the weight (N/count) times the number of
 * times it was drawn (0 if never), so the batch mean (1/count) sum_{k} term(idx[k]) is
 * (1/N) sum_i weight_i term_i; with count = 0 (the full mean) every weight is 1.  A lower
 * block of item i then moves by weight_i times its full step (the others stay), and an upper
 * term counts weight_i times.
 */
#ifndef HG_ITEMS_H
#define HG_ITEMS_H

#include "hgbench.h"

typedef struct hg_items {
  int N;            /* items of both means */
  double *w[2];     /* per item: [0] the lower mean's weights, [1] the upper mean's (owned) */
  int count[2];     /* items selected (0: the full mean, every weight 1) */
} hg_items;

/* N items, full means; NOMEM names the problem.  Free with hg_items_free. */
int hg_items_init(hg_items *B, int N, const char *name, hg_error *err);
void hg_items_free(hg_items *B);
/* hg_problem_ops.select on B: an index outside [0, N) is an error naming it, the problem and
 * the kind of item ("example", "image"), and leaves B unchanged. */
int hg_items_select(hg_items *B, const char *name, const char *item, int which, int count,
                    const int *idx, hg_error *err);
/* The weight of item i in mean part (0 lower, 1 upper): 1 for the full mean. */
static inline double hg_items_weight(const hg_items *B, int part, int i)
{
  return B->count[part] ? B->w[part][i] : 1.0;
}

/* The step weight of lower block i for a problem that also leaves the blocks outside an
 * upper batch unchanged (hgbench.h allows it: E ignores them): 0 when an upper batch is
 * selected without item i, else its lower weight. */
static inline double hg_items_lower(const hg_items *B, int i)
{
  return B->count[1] && B->w[1][i] == 0 ? 0.0 : hg_items_weight(B, 0, i);
}

/* Set both means to full for the duration of a computation of the full problem (exact),
 * keeping the selections in saved; hg_items_restore puts them back. */
static inline void hg_items_hold(hg_items *B, int saved[2])
{
  saved[0] = B->count[0];
  saved[1] = B->count[1];
  B->count[0] = B->count[1] = 0;
}
static inline void hg_items_restore(hg_items *B, const int saved[2])
{
  B->count[0] = saved[0];
  B->count[1] = saved[1];
}

#endif /* HG_ITEMS_H */

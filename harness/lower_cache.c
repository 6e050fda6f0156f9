/*
 * lower_cache.c -- the record of one lower trajectory shared by runs at the same theta and w0
 * (hgbench.h hg_lower_cache): the residual of every step done so far, and the iterates the
 * runs ended at.  hg_lower_run resumes from them; verify gives one to all of its runs.
 */
#include "hgbench.h"

#include <stdlib.h>
#include <string.h>

typedef struct lower_point {
  int i;     /* the step */
  double *w; /* w_i (n_w doubles, owned) */
} lower_point;

struct hg_lower_cache {
  const hg_problem *P; /* the key: problem, theta (n_theta) then w0 (n_w) */
  double *key;
  int n, m;
  double *res; /* res[i] = ||w_{i+1} - w_i||, i < len */
  int len, cap;
  lower_point *pts; /* the recorded iterates, any order */
  int npts, cap_pts;
};

hg_lower_cache *hg_lower_cache_create(void)
{
  return calloc(1, sizeof(hg_lower_cache));
}

/* Forget the trajectory (the key too). */
static void lower_cache_clear(hg_lower_cache *c)
{
  for (int j = 0; j < c->npts; j++)
    free(c->pts[j].w);
  free(c->pts);
  free(c->res);
  free(c->key);
  memset(c, 0, sizeof *c);
}

void hg_lower_cache_destroy(hg_lower_cache **c)
{
  if (!c || !*c)
    return;
  lower_cache_clear(*c);
  free(*c);
  *c = NULL;
}

int hg_lower_cache_start(hg_lower_cache *c, const hg_problem *P, const double *theta,
                         const double *w0, int t, int keep, double tol_lower, int *t_end,
                         const double **res, const double **w_s)
{
  const int n = P->n_w, m = P->n_theta;
  int s = 0;

  *t_end = t;
  *res = NULL;
  *w_s = NULL;
  if (c->P != P || c->n != n || c->m != m || !c->key ||
      memcmp(c->key, theta, (size_t)m * sizeof *theta) ||
      memcmp(c->key + m, w0, (size_t)n * sizeof *w0)) {
    lower_cache_clear(c);
    c->key = malloc((size_t)(m + n) * sizeof *c->key);
    if (!c->key)
      return 0; /* nothing recorded: the run goes from w0 */
    memcpy(c->key, theta, (size_t)m * sizeof *theta);
    memcpy(c->key + m, w0, (size_t)n * sizeof *w0);
    c->P = P;
    c->n = n;
    c->m = m;
    return 0;
  }
  if (tol_lower > 0) /* the first recorded residual <= tol_lower ends the loop there */
    for (int i = 0; i < c->len && i < t; i++)
      if (c->res[i] <= tol_lower) {
        *t_end = i + 1;
        break;
      }
  const int limit = keep >= 2 ? *t_end - keep + 1 : *t_end;
  for (int j = 0; j < c->npts; j++)
    if (c->pts[j].i <= limit && c->pts[j].i > s) {
      s = c->pts[j].i;
      *w_s = c->pts[j].w;
    }
  *res = c->res;
  return s;
}

/* Room for one more element of `size` bytes in the array *a of *len used of *cap: 1, or 0
 * when out of memory (the array unchanged). */
static int room(void **a, int len, int *cap, size_t size)
{
  if (len < *cap)
    return 1;
  int ncap = *cap ? 2 * *cap : 64;
  void *na = realloc(*a, (size_t)ncap * size);
  if (!na)
    return 0;
  *a = na;
  *cap = ncap;
  return 1;
}

void hg_lower_cache_step(hg_lower_cache *c, int i, double res)
{
  if (!c->key || i != c->len || !room((void **)&c->res, c->len, &c->cap, sizeof *c->res))
    return; /* no key (out of memory), already recorded, or no room */
  c->res[c->len++] = res;
}

void hg_lower_cache_end(hg_lower_cache *c, int i, const double *w_i)
{
  if (!c->key || i <= 0 || i > c->len)
    return; /* w_0 is the key; a step whose residual is not recorded cannot be resumed from */
  for (int j = 0; j < c->npts; j++)
    if (c->pts[j].i == i)
      return;
  double *w = room((void **)&c->pts, c->npts, &c->cap_pts, sizeof *c->pts)
                  ? malloc((size_t)c->n * sizeof *w)
                  : NULL;
  if (!w)
    return;
  memcpy(w, w_i, (size_t)c->n * sizeof *w);
  c->pts[c->npts].i = i;
  c->pts[c->npts++].w = w;
}

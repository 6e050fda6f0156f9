/*
 * lower_cache.c -- the record of one lower trajectory shared by runs at the same theta and w0
 * (hg_core.h hg_lower_cache): the residual of every step done so far, and the iterates the
 * runs ended at; and likewise of the last adjoint iteration run at one w_t.  hg_lower_run and
 * the fixed-point adjoint solvers resume from them; verify gives one to all of its runs.
 */
#include "hg_core.h"

#include <stdlib.h>
#include <string.h>

/* One recorded iteration: residuals of every step done, states at the ends of runs. */
typedef struct track {
  int nvec;    /* n-vectors of one state */
  double *res; /* res[i]: the residual of step i (0-based), i < len */
  int len, cap;
  int *at;     /* the steps recorded states are at (npts, any order) */
  double **x;  /* their states (nvec n doubles each, owned) */
  int npts, cap_at, cap_x;
} track;

struct hg_lower_cache {
  const hg_problem *P; /* the key: problem, theta (n_theta) then w0 (n_w) */
  double *key;
  int n, m;
  track lower; /* w_i */
  /* the adjoint iteration: its method, w and right-hand side (2 n), and its states */
  const char *method;
  double *lin_key;
  track linear;
  /* forward-mode ITD's states (w_i and the tangents), residuals of the same steps */
  track fwd;
  size_t fwd_bytes; /* held by fwd's states (at most HG_FWD_CACHE_BYTES) */
};

/* Forward states are recorded while they hold at most this many bytes in all. */
#define HG_FWD_CACHE_BYTES ((size_t)512 << 20)

hg_lower_cache *hg_lower_cache_create(void)
{
  return calloc(1, sizeof(hg_lower_cache));
}

static void track_clear(track *T)
{
  for (int j = 0; j < T->npts; j++)
    free(T->x[j]);
  free(T->x);
  free(T->at);
  free(T->res);
  memset(T, 0, sizeof *T);
}

/* Forget the trajectory (the key too). */
static void lower_cache_clear(hg_lower_cache *c)
{
  track_clear(&c->lower);
  track_clear(&c->linear);
  track_clear(&c->fwd);
  free(c->lin_key);
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

/* Room for one more element of `size` bytes in the array *a of len used of *cap: 1, or 0
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

/* The end *end of a loop of at most `steps` steps stopping at the first residual <= tol
 * (tol > 0) as recorded, else steps; returns the latest recorded step s <= *end - keep + 1
 * (keep >= 2) or <= *end, 0 when none, with its state in *x. */
static int track_find(const track *T, int steps, int keep, double tol, int *end,
                      const double **x)
{
  int s = 0;

  *end = steps;
  *x = NULL;
  if (tol > 0)
    for (int i = 0; i < T->len && i < steps; i++)
      if (T->res[i] <= tol) {
        *end = i + 1;
        break;
      }
  const int limit = keep >= 2 ? *end - keep + 1 : *end;
  for (int j = 0; j < T->npts; j++)
    if (T->at[j] <= limit && T->at[j] > s) {
      s = T->at[j];
      *x = T->x[j];
    }
  return s;
}

static void track_step(track *T, int i, double res)
{
  if (i == T->len && room((void **)&T->res, T->len, &T->cap, sizeof *T->res))
    T->res[T->len++] = res;
}

/* Record the state x (nvec vectors of n) at step i, once; not before a recorded residual. */
static void track_end(track *T, int n, int i, const double *const *x)
{
  if (i <= 0 || i > T->len)
    return; /* step 0 is the key; a step whose residual is not recorded cannot be resumed */
  for (int j = 0; j < T->npts; j++)
    if (T->at[j] == i)
      return;
  if (!room((void **)&T->at, T->npts, &T->cap_at, sizeof *T->at) ||
      !room((void **)&T->x, T->npts, &T->cap_x, sizeof *T->x))
    return;
  double *s = malloc((size_t)T->nvec * (size_t)n * sizeof *s);
  if (!s)
    return;
  for (int v = 0; v < T->nvec; v++)
    memcpy(s + (size_t)v * n, x[v], (size_t)n * sizeof *s);
  T->at[T->npts] = i;
  T->x[T->npts++] = s;
}

/* 1 when c records runs of P at theta from w0; else c is reset to that key (0; the key stays
 * unset when out of memory). */
static int key_matches(hg_lower_cache *c, const hg_problem *P, const double *theta,
                       const double *w0)
{
  const int n = P->n_w, m = P->n_theta;

  if (c->P == P && c->n == n && c->m == m && c->key &&
      !memcmp(c->key, theta, (size_t)m * sizeof *theta) &&
      !memcmp(c->key + m, w0, (size_t)n * sizeof *w0))
    return 1;
  lower_cache_clear(c);
  c->key = malloc((size_t)(m + n) * sizeof *c->key);
  if (!c->key)
    return 0;
  memcpy(c->key, theta, (size_t)m * sizeof *theta);
  memcpy(c->key + m, w0, (size_t)n * sizeof *w0);
  c->P = P;
  c->n = n;
  c->m = m;
  c->lower.nvec = 1;
  return 0;
}

int hg_lower_cache_start(hg_lower_cache *c, const hg_problem *P, const double *theta,
                         const double *w0, int t, int keep, double tol_lower, int *t_end,
                         const double **res, const double **w_s)
{
  *t_end = t;
  *res = NULL;
  *w_s = NULL;
  if (!key_matches(c, P, theta, w0))
    return 0; /* nothing recorded: the run goes from w0 */
  *res = c->lower.res;
  return track_find(&c->lower, t, keep, tol_lower, t_end, w_s);
}

void hg_lower_cache_step(hg_lower_cache *c, int i, double res)
{
  if (c->key) /* else out of memory: nothing is recorded */
    track_step(&c->lower, i, res);
}

void hg_lower_cache_end(hg_lower_cache *c, int i, const double *w_i)
{
  if (c->key)
    track_end(&c->lower, c->n, i, &w_i);
}

int hg_lower_cache_linear_start(hg_lower_cache *c, const char *method, const double *w,
                                const double *gw, int k, double tol_linear, int nvec,
                                int *k_end, const double **res, const double **state)
{
  const size_t n = (size_t)c->n;

  *k_end = k;
  *res = NULL;
  *state = NULL;
  if (!c->key)
    return 0; /* no lower record (out of memory, or not through hg_lower_run) */
  if (!c->lin_key || !c->method || strcmp(c->method, method) || c->linear.nvec != nvec ||
      memcmp(c->lin_key, w, n * sizeof *w) || memcmp(c->lin_key + n, gw, n * sizeof *gw)) {
    track_clear(&c->linear);
    free(c->lin_key);
    c->method = NULL;
    c->lin_key = malloc(2 * n * sizeof *c->lin_key);
    if (!c->lin_key)
      return 0;
    memcpy(c->lin_key, w, n * sizeof *w);
    memcpy(c->lin_key + n, gw, n * sizeof *gw);
    c->method = method;
    c->linear.nvec = nvec;
    return 0;
  }
  *res = c->linear.res;
  return track_find(&c->linear, k, 0, tol_linear, k_end, state);
}

void hg_lower_cache_linear_step(hg_lower_cache *c, int j, double res)
{
  if (c->lin_key)
    track_step(&c->linear, j, res);
}

void hg_lower_cache_linear_end(hg_lower_cache *c, int j, const double *const *state)
{
  if (c->lin_key)
    track_end(&c->linear, c->n, j, state);
}

int hg_lower_cache_forward_start(hg_lower_cache *c, const hg_problem *P, const double *theta,
                                 const double *w0, int t, int nvec, const double **res,
                                 const double **state)
{
  int end;

  *res = NULL;
  *state = NULL;
  if (!key_matches(c, P, theta, w0) && !c->key)
    return 0;
  if (c->fwd.nvec != nvec) {
    track_clear(&c->fwd);
    c->fwd_bytes = 0;
    c->fwd.nvec = nvec;
  }
  *res = c->fwd.res;
  return track_find(&c->fwd, t, 0, 0.0, &end, state);
}

void hg_lower_cache_forward_step(hg_lower_cache *c, int i, double res)
{
  if (c->key && c->fwd.nvec > 0)
    track_step(&c->fwd, i, res);
}

void hg_lower_cache_forward_end(hg_lower_cache *c, int i, const double *const *state)
{
  const size_t bytes = (size_t)c->fwd.nvec * (size_t)c->n * sizeof(double);

  if (!c->key || c->fwd.nvec <= 0 || c->fwd_bytes + bytes > HG_FWD_CACHE_BYTES)
    return;
  const int before = c->fwd.npts;
  track_end(&c->fwd, c->n, i, state);
  if (c->fwd.npts > before)
    c->fwd_bytes += bytes;
}

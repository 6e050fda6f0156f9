/*
 * sweep_store.c -- the run list of a sweep (sweep.h): units, their estimates, shards by
 * estimated cost, and the per-run store of what results.tsv does not hold (the vectors of a
 * hypergradient run, the rows of an outer run), so that a resumed run answers as a fresh one.
 */
#include "sweep.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The slot of key in plan->seen: where it is, or the empty one where it would go. */
static uint64_t *seen_slot(const hg_plan *plan, uint64_t key)
{
  size_t mask = (size_t)plan->n_seen - 1;
  for (size_t i = (size_t)((key * 0x9e3779b97f4a7c15ULL) >> 32) & mask;; i = (i + 1) & mask)
    if (plan->seen[i] == key || plan->seen[i] == 0)
      return &plan->seen[i];
}

int hg_plan_add(hg_plan *plan, const hg_unit *u, int *added, hg_error *err)
{
  uint64_t key = u->key ? u->key : 1; /* 0 marks an empty slot */
  if (added)
    *added = 0;
  if (2 * (plan->n + 1) > plan->n_seen) {
    int ns = plan->n_seen ? 2 * plan->n_seen : 256;
    uint64_t *old = plan->seen, *a = calloc((size_t)ns, sizeof *a);
    if (!a)
      return hg_fail(err, HG_ERR_NOMEM, "out of memory for a plan of %d runs", plan->n + 1);
    int n_old = plan->n_seen;
    plan->seen = a;
    plan->n_seen = ns;
    for (int i = 0; i < n_old; i++)
      if (old[i])
        *seen_slot(plan, old[i]) = old[i];
    free(old);
  }
  uint64_t *slot = seen_slot(plan, key);
  if (*slot)
    return HG_OK;
  if (plan->n == plan->cap) {
    int cap = plan->cap ? 2 * plan->cap : 64;
    hg_unit *a = realloc(plan->units, (size_t)cap * sizeof *a);
    if (!a)
      return hg_fail(err, HG_ERR_NOMEM, "out of memory for a plan of %d runs", plan->n + 1);
    plan->units = a;
    plan->cap = cap;
  }
  *slot = key;
  plan->units[plan->n++] = *u;
  if (added)
    *added = 1;
  return HG_OK;
}

void hg_plan_release(hg_plan *plan)
{
  free(plan->units);
  free(plan->seen);
  plan->units = NULL;
  plan->seen = NULL;
  plan->n = plan->cap = plan->n_seen = 0;
}

/* Estimated cost and memory.  A run touches vectors of n_w entries about t + k times (the
 * lower-level iterations, then the linear solve or the reverse pass) and n_theta ones a few
 * times; the busiest method (ITD's tape) keeps t iterates of w.  Only the ratios between runs
 * matter for the balance; memory adds the process's own ~64 MB. */
void hg_estimate_run(int n_w, int n_theta, const hg_budget *b, double *cost, double *mem)
{
  double iters = (double)b->t + (double)b->k + 1;
  *cost = ((double)n_w + (double)n_theta) * iters * (b->K > 1 ? log2((double)b->K) + 1 : 1);
  *mem = 64e6 + 8.0 * ((double)n_w * ((double)b->t + 16) + 16.0 * n_theta);
}

/* A unit's cost and index: sorted by cost, longest first, ties in list order. */
typedef struct cost_index {
  double cost;
  int j;
} cost_index;

static int by_cost(const void *a, const void *b)
{
  const cost_index *x = a, *y = b;
  return x->cost > y->cost ? -1 : x->cost < y->cost ? 1 : (x->j > y->j) - (x->j < y->j);
}

void hg_plan_order(const hg_plan *plan, int *order)
{
  cost_index *a = malloc((size_t)(plan->n ? plan->n : 1) * sizeof *a);
  for (int j = 0; j < plan->n; j++)
    order[j] = j;
  if (!a) /* out of memory: list order */
    return;
  for (int j = 0; j < plan->n; j++)
    a[j] = (cost_index){plan->units[j].cost, j};
  qsort(a, (size_t)plan->n, sizeof *a, by_cost);
  for (int j = 0; j < plan->n; j++)
    order[j] = a[j].j;
  free(a);
}

void hg_plan_shards(const hg_plan *plan, int n, int *shard)
{
  int *order = malloc((size_t)(plan->n ? plan->n : 1) * sizeof *order);
  double *load = calloc((size_t)n, sizeof *load);
  if (!order || !load) { /* out of memory: round robin, still deterministic */
    for (int j = 0; j < plan->n; j++)
      shard[j] = j % n;
  } else {
    hg_plan_order(plan, order);
    for (int i = 0; i < plan->n; i++) {
      int best = 0;
      for (int s = 1; s < n; s++)
        if (load[s] < load[best])
          best = s;
      shard[order[i]] = best;
      load[best] += plan->units[order[i]].cost;
    }
  }
  free(order);
  free(load);
}

/* ------------------------------------------------------------------------------------------ */
/* vectors.tsv: KEY<TAB>n<TAB>g_1,...,g_n<TAB>e_1,...,e_n or -, numbers as C99 hex floats      */
/* ------------------------------------------------------------------------------------------ */

#define VECTORS "vectors.tsv"

static void put_vector(FILE *f, int n, const double *x)
{
  for (int i = 0; i < n; i++)
    fprintf(f, "%s%a", i ? "," : "", x[i]);
}

void hg_vectors_put(FILE *f, uint64_t key, int n, const double *grad, const double *exact)
{
  fprintf(f, "%016llx\t%d\t", (unsigned long long)key, n);
  put_vector(f, n, grad);
  fputc('\t', f);
  if (exact)
    put_vector(f, n, exact);
  else
    fputc('-', f);
  fputc('\n', f);
}

int hg_vectors_append(const char *dir, uint64_t key, int n, const double *grad,
                      const double *exact, hg_error *err)
{
  char path[2048], *text = NULL;
  size_t len = 0;
  if (!dir || !*dir || !grad)
    return HG_OK;
  FILE *m = open_memstream(&text, &len);
  if (!m)
    return hg_fail(err, HG_ERR_NOMEM, "out of memory for a vectors.tsv line");
  hg_vectors_put(m, key, n, grad, exact);
  if (fclose(m) != 0) {
    free(text);
    return hg_fail(err, HG_ERR_NOMEM, "out of memory for a vectors.tsv line");
  }
  snprintf(path, sizeof path, "%s/" VECTORS, dir);
  int rc = HG_OK, fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
  if (fd < 0)
    rc = hg_fail(err, HG_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
  for (const char *p = text; !rc && len > 0;) { /* one write: whole lines, flushed */
    ssize_t w = write(fd, p, len);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      rc = hg_fail(err, HG_ERR_IO, "cannot append to '%s': %s", path, strerror(errno));
    else
      p += w, len -= (size_t)w;
  }
  if (fd >= 0 && !rc && fdatasync(fd) != 0 && errno != EINVAL)
    rc = hg_fail(err, HG_ERR_IO, "cannot sync '%s': %s", path, strerror(errno));
  if (fd >= 0)
    close(fd);
  free(text);
  return rc;
}

/* Parse n comma-separated numbers of s into x; 1 when exactly n were there. */
static int parse_vector(char *s, int n, double *x)
{
  char *end;
  for (int i = 0; i < n; i++) {
    x[i] = strtod(s, &end);
    if (end == s || (*end != (i + 1 < n ? ',' : '\0')))
      return 0;
    s = end + (i + 1 < n);
  }
  return 1;
}

int hg_vectors_read(const char *dir,
                    void (*row)(void *ctx, uint64_t key, int n, const double *grad,
                                const double *exact),
                    void *ctx)
{
  char path[2048], *line = NULL;
  size_t cap = 0;
  int count = 0;
  snprintf(path, sizeof path, "%s/" VECTORS, dir);
  FILE *f = fopen(path, "r");
  if (!f)
    return 0;
  while (getline(&line, &cap, f) > 0) {
    char *nl = strchr(line, '\n'), *field[4], *p = line, *end;
    if (!nl) /* a line cut short by a kill */
      break;
    *nl = '\0';
    int nf = 0;
    for (; nf < 4 && p; nf++) {
      field[nf] = p;
      if ((p = strchr(p, '\t')))
        *p++ = '\0';
    }
    if (nf != 4 || p)
      continue;
    unsigned long long key = strtoull(field[0], &end, 16);
    long n = strtol(field[1], NULL, 10);
    if (*end || n <= 0 || n > (1L << 24))
      continue;
    double *x = malloc(2 * (size_t)n * sizeof *x);
    if (x && parse_vector(field[2], (int)n, x)) {
      int has_exact = strcmp(field[3], "-") && parse_vector(field[3], (int)n, x + n);
      row(ctx, (uint64_t)key, (int)n, x, has_exact ? x + n : NULL);
      count++;
    }
    free(x);
  }
  free(line);
  fclose(f);
  return count;
}

/* ------------------------------------------------------------------------------------------ */
/* outer/KEY.run: one outer run, its rows as this build's bytes (exact; another build's layout */
/* is detected by the sizes and the run is made again)                                         */
/* ------------------------------------------------------------------------------------------ */

#define OUTER_MAGIC "hgbench-outer 1"

static void put_hex(FILE *f, const void *p, size_t len)
{
  const unsigned char *b = p;
  for (size_t i = 0; i < len; i++)
    fprintf(f, "%02x", b[i]);
  fputc('\n', f);
}

static int get_hex(const char *s, void *p, size_t len)
{
  unsigned char *b = p;
  for (size_t i = 0; i < len; i++) {
    unsigned v;
    if (sscanf(s + 2 * i, "%2x", &v) != 1)
      return 0;
    b[i] = (unsigned char)v;
  }
  return s[2 * len] == '\n' || s[2 * len] == '\0';
}

int hg_outer_store(const char *dir, uint64_t key, const hg_outer_result *R, hg_error *err)
{
  char sub[2048], name[32], *text = NULL;
  size_t len = 0;
  snprintf(sub, sizeof sub, "%s/outer", dir);
  int rc = hg_make_dirs(sub, err);
  if (rc)
    return rc;
  FILE *f = open_memstream(&text, &len);
  if (!f)
    return hg_fail(err, HG_ERR_NOMEM, "out of memory for an outer run's record");
  fprintf(f, OUTER_MAGIC " %zu %d %d %d %d %d %d\n", sizeof *R->steps, R->n, R->n_theta,
          R->status, R->problem_rev, R->outer_rev, R->method_rev);
  hg_tsv_put(f, R->message);
  fputc('\n', f);
  put_hex(f, R->steps, (size_t)R->n * sizeof *R->steps);
  put_hex(f, R->theta, (size_t)R->n * (size_t)R->n_theta * sizeof *R->theta);
  if (fclose(f) != 0) {
    free(text);
    return hg_fail(err, HG_ERR_NOMEM, "out of memory for an outer run's record");
  }
  snprintf(name, sizeof name, "%016llx.run", (unsigned long long)key);
  rc = hg_write_atomic(sub, name, text, len, err);
  free(text);
  return rc;
}

int hg_outer_load(const char *dir, uint64_t key, hg_outer_result *R)
{
  char path[2048], *line = NULL;
  size_t cap = 0, size;
  int ok = 0, n, n_theta;
  snprintf(path, sizeof path, "%s/outer/%016llx.run", dir, (unsigned long long)key);
  FILE *f = fopen(path, "r");
  if (!f)
    return 0;
  memset(R, 0, sizeof *R);
  if (getline(&line, &cap, f) > 0 &&
      sscanf(line, OUTER_MAGIC " %zu %d %d %d %d %d %d", &size, &n, &n_theta, &R->status,
             &R->problem_rev, &R->outer_rev, &R->method_rev) == 7 &&
      size == sizeof *R->steps && n >= 0 && n_theta > 0 && getline(&line, &cap, f) > 0) {
    line[strcspn(line, "\n")] = '\0';
    snprintf(R->message, sizeof R->message, "%s", hg_tsv_unescape(line));
    R->steps = malloc((size_t)(n ? n : 1) * sizeof *R->steps);
    R->theta = malloc((size_t)(n ? n : 1) * (size_t)n_theta * sizeof *R->theta);
    ok = R->steps && R->theta && getline(&line, &cap, f) > 0 &&
         get_hex(line, R->steps, (size_t)n * sizeof *R->steps) && getline(&line, &cap, f) > 0 &&
         get_hex(line, R->theta, (size_t)n * (size_t)n_theta * sizeof *R->theta);
    R->n = R->cap = n;
    R->n_theta = n_theta;
  }
  free(line);
  fclose(f);
  if (!ok)
    hg_outer_result_release(R);
  return ok;
}

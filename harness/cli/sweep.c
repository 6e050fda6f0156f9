/*
 * sweep.c -- scale-out commands (DESIGN §6, "A scenario as a list of runs"): `hgbench plan`,
 * `run --shard i/N`, `merge`, `status` and `slurm`.  Linked into the executable with main.c (they drive hg_lua_run, which
 * libhgbench.so does not hold); the run list, estimates and stores are sweep_store.c's, the MPI
 * driver is mpi.c's.
 *
 * Folders.  `run --shard i/N --out DIR` writes DIR/shard-i-of-N/ (results.tsv, vectors.tsv,
 * outer/, report.md, manifest.json); `run --mpi --out DIR` writes DIR/rank-R/ and then DIR
 * itself.  DIR/sweep.txt names the scenario, so merge and status need only the folder.
 * `merge SRC... --out DIR` reads SRC's own results and those of its shard-* and rank-*
 * folders.
 */
#define _XOPEN_SOURCE 700 /* realpath */
#include "hglua.h"
#include "sweep.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define EXIT_FAILED 1
#define EXIT_BADINPUT 2
#define MAX_SOURCES 4096 /* result folders one merge or status reads */

static int fail_line(const char *cmd, const char *msg)
{
  char esc[4 * sizeof ((hg_error *)0)->msg + 8];
  fprintf(stderr, "hgbench: %s: %s\n", cmd, hg_escape(msg, esc, sizeof esc));
  return EXIT_BADINPUT;
}

/* ------------------------------------------------------------------------------------------ */
/* The planning pass                                                                          */
/* ------------------------------------------------------------------------------------------ */

/* Run the planning pass of script (nothing written): plan gets the units. */
static int plan_script(const char *script, const hg_lua_opts *base, hg_plan *plan,
                       hg_error *err)
{
  hg_lua_opts lo = base ? *base : (hg_lua_opts){0};
  memset(plan, 0, sizeof *plan);
  plan->mode = HG_PLAN_RECORD;
  lo.plan = plan;
  return hg_lua_run(script, NULL, &lo, NULL, NULL, 0, err);
}

/* DIR/sweep.txt: the scenario's absolute path, for merge and status. */
int hg_sweep_note(const char *dir, const char *script, hg_error *err)
{
  char abs[PATH_MAX], text[PATH_MAX + 32];
  int rc = hg_make_dirs(dir, err);
  if (rc)
    return rc;
  if (!realpath(script, abs))
    return hg_fail(err, HG_ERR_IO, "scenario '%s': %s", script, strerror(errno));
  int len = snprintf(text, sizeof text, "scenario\t%s\n", abs);
  /* shards start together (a job array): each through its own temporary name */
  char tmp[1200], path[1200];
  snprintf(tmp, sizeof tmp, "%s/.sweep.txt.%ld.tmp", dir, (long)getpid());
  snprintf(path, sizeof path, "%s/sweep.txt", dir);
  FILE *f = fopen(tmp, "w");
  if (!f || fwrite(text, 1, (size_t)len, f) != (size_t)len) {
    if (f)
      fclose(f);
    remove(tmp);
    return hg_fail(err, HG_ERR_IO, "cannot write '%s': %s", tmp, strerror(errno));
  }
  if (fclose(f) != 0 || rename(tmp, path) != 0) {
    remove(tmp);
    return hg_fail(err, HG_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
  }
  return HG_OK;
}

/* The scenario of folder dir: its sweep.txt, else its manifest.json's "scenario" (a plain run);
 * 0 and path filled, or an error. */
static int find_scenario(const char *dir, char *path, size_t len, hg_error *err)
{
  char file[PATH_MAX + 32], line[PATH_MAX + 64];
  snprintf(file, sizeof file, "%s/sweep.txt", dir);
  FILE *f = fopen(file, "r");
  if (f) {
    int ok = fgets(line, sizeof line, f) && !strncmp(line, "scenario\t", 9);
    fclose(f);
    if (ok) {
      line[strcspn(line, "\n")] = '\0';
      if (strlen(line + 9) >= len)
        return hg_fail(err, HG_ERR_ARG, "%s: the scenario's path is too long", file);
      memcpy(path, line + 9, strlen(line + 9) + 1);
      return HG_OK;
    }
  }
  snprintf(file, sizeof file, "%s/manifest.json", dir);
  if ((f = fopen(file, "r"))) {
    int ok = 0;
    while (!ok && fgets(line, sizeof line, f)) {
      char *p = strstr(line, "\"scenario\": \""), *q;
      if (p && (q = strchr(p + 13, '"')) && !memchr(p + 13, '\\', (size_t)(q - p - 13))) {
        snprintf(path, len, "%.*s", (int)(q - p - 13), p + 13);
        ok = 1;
      }
    }
    fclose(f);
    if (ok)
      return HG_OK;
  }
  return hg_fail(err, HG_ERR_ARG, "'%s' names no scenario (no sweep.txt or manifest.json): "
                 "give --scenario FILE", dir);
}

/* ------------------------------------------------------------------------------------------ */
/* `hgbench run --shard i/N`                                                                   */
/* ------------------------------------------------------------------------------------------ */

typedef struct shard_ctx {
  int i, n;
  int mine;      /* units of this shard */
  double cost, total;
} shard_ctx;

static int shard_drive(hg_plan *plan, void *ctx, hg_error *err)
{
  shard_ctx *c = ctx;
  int *shard = malloc((size_t)(plan->n ? plan->n : 1) * sizeof *shard);
  int *order = malloc((size_t)(plan->n ? plan->n : 1) * sizeof *order);
  int rc = HG_OK;
  if (!shard || !order)
    rc = hg_fail(err, HG_ERR_NOMEM, "out of memory for a plan of %d runs", plan->n);
  if (!rc) {
    hg_plan_shards(plan, c->n, shard);
    hg_plan_order(plan, order);
  }
  for (int k = 0; !rc && k < plan->n; k++) { /* longest first */
    int j = order[k];
    c->total += plan->units[j].cost;
    if (shard[j] != c->i)
      continue;
    c->mine++;
    c->cost += plan->units[j].cost;
    rc = plan->exec(plan, j, err);
  }
  free(shard);
  free(order);
  return rc;
}

/* i/N: 0 <= i < N. */
static int parse_shard(const char *s, int *i, int *n, hg_error *err)
{
  char *end;
  long a = strtol(s, &end, 10), b = -1;
  if (end != s && *end == '/')
    b = strtol(end + 1, &end, 10);
  if (*end || a < 0 || b < 1 || a >= b || b > 100000)
    return hg_fail(err, HG_ERR_ARG, "--shard %s: expected i/N with 0 <= i < N (i counts from "
                   "0, as SLURM_ARRAY_TASK_ID)", s);
  *i = (int)a;
  *n = (int)b;
  return HG_OK;
}

int hg_cli_run_shard(const char *script, const char *outdir, const hg_lua_opts *lo,
                     const char *spec, int traceback)
{
  hg_error err;
  hg_plan plan;
  shard_ctx c = {0};
  char dir[1200], trace[4096] = "";
  int failed = 0;

  hg_error_clear(&err);
  if (parse_shard(spec, &c.i, &c.n, &err))
    return fail_line("run", err.msg);
  snprintf(dir, sizeof dir, "%s/shard-%d-of-%d", outdir, c.i, c.n);
  if (hg_sweep_note(outdir, script, &err))
    return fail_line("run", err.msg);
  hg_lua_opts o = *lo;
  memset(&plan, 0, sizeof plan);
  plan.mode = HG_PLAN_RECORD;
  plan.drive = shard_drive;
  plan.ctx = &c;
  o.plan = &plan;
  int rc = hg_lua_run(script, dir, &o, &failed, trace, sizeof trace, &err);
  if (rc) {
    if (traceback && *trace)
      fprintf(stderr, "%s\n", trace);
    hg_plan_release(&plan);
    return fail_line("run", err.msg);
  }
  printf("hgbench: %s: shard %d/%d: %d of %d runs (%.0f%% of the estimated work), %d run now, "
         "%d already in %s\n", script, c.i, c.n, c.mine, plan.n,
         c.total > 0 ? 100 * c.cost / c.total : 0.0, plan.n_ran, c.mine - plan.n_ran, dir);
  hg_plan_release(&plan);
  return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Result folders: DIR and its shard-* and rank-* folders                                     */
/* ------------------------------------------------------------------------------------------ */

typedef struct sources {
  int n;
  char dir[MAX_SOURCES][1100];
  double mtime[MAX_SOURCES]; /* of results.tsv (0: none) */
  char derived[MAX_SOURCES]; /* a folder with shard-* or rank-* folders: its results.tsv is
                                their earlier merge (no duplicates reported against it) */
} sources;

static double results_mtime(const char *dir)
{
  char path[1200];
  struct stat st;
  snprintf(path, sizeof path, "%s/results.tsv", dir);
  if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
    return 0;
  return (double)st.st_mtim.tv_sec + 1e-9 * (double)st.st_mtim.tv_nsec;
}

static void add_source(sources *s, const char *dir)
{
  struct stat st;
  if (s->n >= MAX_SOURCES || stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
    return;
  for (int i = 0; i < s->n; i++)
    if (!strcmp(s->dir[i], dir))
      return;
  snprintf(s->dir[s->n], sizeof s->dir[s->n], "%s", dir);
  s->mtime[s->n] = results_mtime(dir);
  s->n++;
}

/* dir itself and its shard-* and rank-* folders (name order). */
static void add_tree(sources *s, const char *dir, int with_self)
{
  struct dirent **names = NULL;
  int self = s->n, subs = 0;
  if (with_self)
    add_source(s, dir);
  int n = scandir(dir, &names, NULL, alphasort);
  for (int i = 0; i < n; i++) {
    char sub[1100];
    if ((!strncmp(names[i]->d_name, "shard-", 6) || !strncmp(names[i]->d_name, "rank-", 5)) &&
        (size_t)snprintf(sub, sizeof sub, "%s/%s", dir, names[i]->d_name) < sizeof sub) {
      add_source(s, sub);
      subs++;
    }
    free(names[i]);
  }
  free(names);
  if (with_self && subs && self < s->n && !strcmp(s->dir[self], dir))
    s->derived[self] = 1;
}

/* The rows of every source, one per base key: a later results.tsv (mtime) wins over an
 * earlier one, as a later line wins within one; the rows of the output folder and of folders
 * with shard-* or rank-* folders (src -1: an earlier merge's copies) only fill in keys no source
 * folder has.  dups counts base keys found in two source folders, the first few printed when
 * say. */
typedef struct merged {
  hg_record *rows;
  int *src;  /* the source folder of each row (-1: the output folder) */
  int n, cap;
  int *slot; /* open addressing: base key hash -> row, -1 empty */
  int n_slot;
  int dups;
} merged;

static int merged_put(merged *m, const hg_record *r, int src, const char *from, int say)
{
  if (2 * (m->n + 1) > m->n_slot) {
    int ns = m->n_slot ? 2 * m->n_slot : 1024;
    int *a = malloc((size_t)ns * sizeof *a);
    if (!a)
      return HG_ERR_NOMEM;
    for (int i = 0; i < ns; i++)
      a[i] = -1;
    for (int i = 0; i < m->n; i++) {
      size_t h = (size_t)(hg_run_key(&m->rows[i], 0, NULL, 0) * 0x9e3779b97f4a7c15ULL >> 32);
      while (a[h & (size_t)(ns - 1)] >= 0)
        h++;
      a[h & (size_t)(ns - 1)] = i;
    }
    free(m->slot);
    m->slot = a;
    m->n_slot = ns;
  }
  size_t h = (size_t)(hg_run_key(r, 0, NULL, 0) * 0x9e3779b97f4a7c15ULL >> 32);
  for (;; h++) {
    int *e = &m->slot[h & (size_t)(m->n_slot - 1)];
    if (*e < 0) {
      if (m->n == m->cap) {
        int cap = m->cap ? 2 * m->cap : 256;
        hg_record *a = realloc(m->rows, (size_t)cap * sizeof *a);
        int *b = a ? realloc(m->src, (size_t)cap * sizeof *b) : NULL;
        if (a)
          m->rows = a;
        if (!b)
          return HG_ERR_NOMEM;
        m->src = b;
        m->cap = cap;
      }
      m->rows[m->n] = *r;
      m->src[m->n] = src;
      *e = m->n++;
      return HG_OK;
    }
    if (hg_record_same_key(&m->rows[*e], r)) {
      if (src < 0 && m->src[*e] >= 0) /* a copy made by an earlier merge: the source's row */
        return HG_OK;
      if (src >= 0 && m->src[*e] >= 0 && m->src[*e] != src) {
        if (say && m->dups < 5)
          fprintf(stderr, "hgbench: merge: duplicate key %016llx (%s %s rep %d) again in %s: "
                  "the newer row kept\n", (unsigned long long)hg_run_key(r, 0, NULL, 0),
                  r->problem, r->method, r->rep, from);
        m->dups++;
      }
      m->rows[*e] = *r;
      m->src[*e] = src;
      return HG_OK;
    }
  }
}

/* Sources by results.tsv mtime, oldest first (stable), so the newest row is put last. */
static void sort_sources(sources *s)
{
  for (int i = 1; i < s->n; i++)
    for (int j = i; j > 0 && s->mtime[j - 1] > s->mtime[j]; j--) {
      char tmp[1100];
      double t = s->mtime[j];
      char d = s->derived[j];
      s->derived[j] = s->derived[j - 1];
      s->derived[j - 1] = d;
      memcpy(tmp, s->dir[j], sizeof tmp);
      memcpy(s->dir[j], s->dir[j - 1], sizeof tmp);
      memcpy(s->dir[j - 1], tmp, sizeof tmp);
      s->mtime[j] = s->mtime[j - 1];
      s->mtime[j - 1] = t;
    }
}

/* Read every source's results.tsv into m (quiet: dups only counted unless say). */
static int read_sources(sources *s, merged *m, int say, const char *self, hg_error *err)
{
  sort_sources(s);
  for (int i = 0; i < s->n; i++) {
    char path[1200];
    hg_record *rows = NULL;
    int n = 0;
    if (s->mtime[i] == 0)
      continue;
    snprintf(path, sizeof path, "%s/results.tsv", s->dir[i]);
    int rc = hg_results_read(path, &rows, &n, err);
    if (rc)
      return rc;
    /* the output folder's own rows are the oldest: no duplicate reported against them */
    int quiet = s->derived[i] || (self && !strcmp(s->dir[i], self));
    for (int k = 0; k < n && !rc; k++)
      if (merged_put(m, &rows[k], quiet ? -1 : i, s->dir[i], say))
        rc = hg_fail(err, HG_ERR_NOMEM, "out of memory merging results");
    free(rows);
    if (rc)
      return rc;
  }
  return HG_OK;
}

static void merged_free(merged *m)
{
  free(m->rows);
  free(m->src);
  free(m->slot);
  memset(m, 0, sizeof *m);
}

/* The row of m with full key `key`, or NULL. */
static const hg_record *merged_find(const merged *m, const hg_unit *u)
{
  if (!m->n_slot)
    return NULL;
  for (size_t h = (size_t)(u->base * 0x9e3779b97f4a7c15ULL >> 32);; h++) {
    int e = m->slot[h & (size_t)(m->n_slot - 1)];
    if (e < 0)
      return NULL;
    if (hg_run_key(&m->rows[e], 0, NULL, 0) == u->base &&
        hg_run_key(&m->rows[e], 1, NULL, 0) == u->key)
      return &m->rows[e];
  }
}

/* Unit j's state over the sources: 0 missing, 1 done (ok or budget), 2 failed. */
static int unit_state(const sources *s, const merged *m, const hg_unit *u)
{
  if (u->kind == 'h') {
    const hg_record *r = merged_find(m, u);
    return !r ? 0 : r->status == HG_OK || !strcmp(hg_status_word(r->status), "budget") ? 1 : 2;
  }
  for (int i = 0; i < s->n; i++) {
    hg_outer_result R;
    if (hg_outer_load(s->dir[i], u->key, &R)) {
      int st = R.status == HG_OK ? 1 : 2;
      hg_outer_result_release(&R);
      return st;
    }
  }
  return 0;
}

int hg_sweep_states(const char *dir, const hg_plan *plan, int *state, hg_error *err)
{
  sources *s = calloc(1, sizeof *s);
  merged m = {0};
  if (!s)
    return hg_fail(err, HG_ERR_NOMEM, "out of memory");
  add_tree(s, dir, 1);
  int rc = read_sources(s, &m, 0, NULL, err);
  for (int j = 0; !rc && j < plan->n; j++)
    state[j] = unit_state(s, &m, &plan->units[j]);
  merged_free(&m);
  free(s);
  return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* Merge                                                                                       */
/* ------------------------------------------------------------------------------------------ */

/* vectors.tsv lines gathered by merge into one file, each key once (the later source's). */
typedef struct vector_sink {
  FILE *out;         /* the merged file's text (a memory stream) */
  uint64_t *keys;    /* open addressing, 0 empty (a key of 0 is kept every time) */
  size_t cap, n;
  int rc;
  hg_error *err;
} vector_sink;

static void keep_vector(void *ctx, uint64_t key, int n, const double *grad, const double *exact)
{
  vector_sink *v = ctx;
  if (v->rc)
    return;
  if (2 * (v->n + 1) > v->cap) {
    size_t cap = v->cap ? 2 * v->cap : 1024;
    uint64_t *a = calloc(cap, sizeof *a);
    if (!a) {
      v->rc = hg_fail(v->err, HG_ERR_NOMEM, "out of memory merging vectors.tsv");
      return;
    }
    for (size_t i = 0; i < v->cap; i++)
      if (v->keys[i]) {
        size_t h = (size_t)(v->keys[i] * 0x9e3779b97f4a7c15ULL >> 32);
        while (a[h & (cap - 1)])
          h++;
        a[h & (cap - 1)] = v->keys[i];
      }
    free(v->keys);
    v->keys = a;
    v->cap = cap;
  }
  size_t h = (size_t)(key * 0x9e3779b97f4a7c15ULL >> 32);
  for (; v->keys[h & (v->cap - 1)]; h++)
    if (v->keys[h & (v->cap - 1)] == key)
      return; /* the same run: the same vectors */
  if (key) {
    v->keys[h & (v->cap - 1)] = key;
    v->n++;
  }
  hg_vectors_put(v->out, key, n, grad, exact);
}

/* dir/vectors.tsv: the lines of every source's (dir's own included), each key once, written
 * atomically. */
static int merge_vectors(const sources *s, const char *dir, hg_error *err)
{
  char *text = NULL;
  size_t len = 0;
  vector_sink v = {.err = err};
  if (!(v.out = open_memstream(&text, &len)))
    return hg_fail(err, HG_ERR_NOMEM, "out of memory merging vectors.tsv");
  for (int i = s->n - 1; i >= 0 && !v.rc; i--) /* newest first: its line wins */
    hg_vectors_read(s->dir[i], keep_vector, &v);
  free(v.keys);
  if (fclose(v.out) != 0 && !v.rc)
    v.rc = hg_fail(err, HG_ERR_NOMEM, "out of memory merging vectors.tsv");
  if (!v.rc && v.n)
    v.rc = hg_write_atomic(dir, "vectors.tsv", text, len, err);
  free(text);
  return v.rc;
}

/* Copy src/outer/ *.run into dir/outer/ (a newer file replaces an older one). */
static int copy_outer(const char *src, const char *dir, hg_error *err)
{
  char from[1200], to[1200];
  snprintf(from, sizeof from, "%s/outer", src);
  snprintf(to, sizeof to, "%s/outer", dir);
  DIR *d = opendir(from);
  if (!d)
    return HG_OK;
  int rc = hg_make_dirs(to, err);
  struct dirent *e;
  while (!rc && (e = readdir(d))) {
    size_t len = strlen(e->d_name);
    if (len != 20 || strcmp(e->d_name + 16, ".run"))
      continue;
    char path[1300], *text = NULL;
    struct stat a, b;
    snprintf(path, sizeof path, "%s/%.20s", to, e->d_name);
    int exists = stat(path, &b) == 0;
    snprintf(path, sizeof path, "%s/%.20s", from, e->d_name);
    if (stat(path, &a) != 0 || (exists && (a.st_mtim.tv_sec < b.st_mtim.tv_sec ||
                                           !strcmp(src, dir))))
      continue;
    FILE *f = fopen(path, "rb");
    size_t n = 0;
    if (f && (text = malloc((size_t)a.st_size + 1)))
      n = fread(text, 1, (size_t)a.st_size, f);
    if (f)
      fclose(f);
    if (text && n == (size_t)a.st_size)
      rc = hg_write_atomic(to, e->d_name, text, n, err);
    free(text);
  }
  closedir(d);
  return rc;
}

/* The scenario's base name without .lua: results.tsv's first column. */
static void scenario_name(const char *script, char *name, size_t len)
{
  const char *base = strrchr(script, '/') ? strrchr(script, '/') + 1 : script;
  size_t n = strlen(base);
  if (n > 4 && !strcmp(base + n - 4, ".lua"))
    n -= 4;
  snprintf(name, len, "%.*s", (int)n, base);
}

int hg_sweep_merge(const char *const *srcs, int nsrc, const char *dir, const char *script,
                   const hg_lua_opts *lo, int run_missing, int *missing, int *failed,
                   hg_error *err)
{
  sources *s = calloc(1, sizeof *s);
  merged m = {0};
  hg_plan plan;
  char name[256];
  int rc;

  memset(&plan, 0, sizeof plan);
  *missing = *failed = 0;
  if (!s)
    return hg_fail(err, HG_ERR_NOMEM, "out of memory");
  if ((rc = hg_make_dirs(dir, err)))
    goto done;
  add_source(s, dir);
  for (int i = 0; i < nsrc; i++)
    add_tree(s, srcs[i], 1);
  if ((rc = read_sources(s, &m, 1, dir, err)))
    goto done;
  if (m.dups)
    fprintf(stderr, "hgbench: merge: %d run key(s) found in more than one folder: the newest "
            "row of each kept\n", m.dups);
  scenario_name(script, name, sizeof name);
  if ((rc = hg_results_write(dir, name, m.rows, m.n, err)))
    goto done;
  /* vectors and outer runs */
  rc = merge_vectors(s, dir, err);
  for (int i = 0; i < s->n && !rc; i++)
    if (strcmp(s->dir[i], dir))
      rc = copy_outer(s->dir[i], dir, err);
  if (rc || (rc = hg_sweep_note(dir, script, err)))
    goto done;

  /* the reporting pass: the script over the collected results */
  hg_lua_opts o = lo ? *lo : (hg_lua_opts){0};
  plan.mode = run_missing ? HG_PLAN_OFF : HG_PLAN_REPORT;
  o.plan = &plan;
  char trace[16];
  rc = hg_lua_run(script, dir, &o, failed, trace, sizeof trace, err);
  *missing = plan.n_missing;

done:
  hg_plan_release(&plan);
  merged_free(&m);
  free(s);
  return rc;
}

int hg_cli_merge(int argc, char **argv)
{
  const char *out = NULL, *scenario = NULL, **srcs = calloc((size_t)argc + 1, sizeof *srcs);
  char script[PATH_MAX];
  int nsrc = 0, run_missing = 0, missing, failed;
  hg_error err;

  hg_error_clear(&err);
  if (!srcs)
    return fail_line("merge", "out of memory");
  for (int i = 2; i < argc; i++) {
    if (!strcmp(argv[i], "--out") && i + 1 < argc)
      out = argv[++i];
    else if (!strcmp(argv[i], "--scenario") && i + 1 < argc)
      scenario = argv[++i];
    else if (!strcmp(argv[i], "--run-missing"))
      run_missing = 1;
    else if (!strncmp(argv[i], "--", 2)) {
      char msg[256];
      snprintf(msg, sizeof msg, "unknown option or missing value '%s' (hgbench merge "
               "SHARD_DIR... --out DIR [--scenario FILE] [--run-missing])", argv[i]);
      free(srcs);
      return fail_line("merge", msg);
    } else
      srcs[nsrc++] = argv[i];
  }
  int rc = HG_OK;
  if (!out || !nsrc)
    rc = hg_fail(&err, HG_ERR_ARG, "expected SHARD_DIR... --out DIR");
  for (int i = 0; !rc && i < nsrc; i++) {
    struct stat st;
    if (stat(srcs[i], &st) != 0 || !S_ISDIR(st.st_mode))
      rc = hg_fail(&err, HG_ERR_ARG, "'%s' is not a folder", srcs[i]);
  }
  if (!rc && scenario)
    snprintf(script, sizeof script, "%s", scenario);
  else if (!rc && find_scenario(srcs[0], script, sizeof script, &err) &&
           find_scenario(out, script, sizeof script, &err))
    rc = err.status;
  if (rc) {
    free(srcs);
    return fail_line("merge", err.msg);
  }
  rc = hg_sweep_merge(srcs, nsrc, out, script, NULL, run_missing, &missing, &failed, &err);
  free(srcs);
  if (rc)
    return fail_line("merge", err.msg);
  if (missing)
    fprintf(stderr, "hgbench: merge: %d run(s) missing from the folders given (see `hgbench "
            "status %s`; rerun their shards, or merge --run-missing)\n", missing, out);
  if (failed)
    fprintf(stderr, "hgbench: merge: %d expectation(s) failed (see %s/report.md)\n", failed,
            out);
  if (!missing && !failed)
    printf("hgbench: merged into %s: results.tsv, report.md, manifest.json\n", out);
  return missing || failed ? EXIT_FAILED : 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Plan and status                                                                             */
/* ------------------------------------------------------------------------------------------ */

static void human_bytes(double b, char *buf, size_t len)
{
  snprintf(buf, len, "%.0fM", ceil(b / 1048576.0));
}

int hg_cli_plan(int argc, char **argv)
{
  const char *script = NULL;
  long shards = 0;
  hg_error err;
  hg_plan plan;

  hg_error_clear(&err);
  for (int i = 2; i < argc; i++) {
    char *end;
    if (!strcmp(argv[i], "--shards") && i + 1 < argc) {
      shards = strtol(argv[++i], &end, 10);
      if (*end || shards < 1 || shards > 100000)
        return fail_line("plan", "--shards N: expected an integer from 1 to 100000");
    } else if (!strncmp(argv[i], "--", 2) || script) {
      char msg[256];
      snprintf(msg, sizeof msg, "unexpected argument '%s' (hgbench plan SCENARIO.lua "
               "[--shards N])", argv[i]);
      return fail_line("plan", msg);
    } else
      script = argv[i];
  }
  if (!script)
    return fail_line("plan", "expected SCENARIO.lua");
  if (plan_script(script, NULL, &plan, &err)) {
    hg_plan_release(&plan);
    return fail_line("plan", err.msg);
  }
  int *shard = shards ? malloc((size_t)(plan.n ? plan.n : 1) * sizeof *shard) : NULL;
  double *load = shards ? calloc((size_t)shards, sizeof *load) : NULL;
  if (shards && (!shard || !load)) {
    free(shard);
    free(load);
    hg_plan_release(&plan);
    return fail_line("plan", "out of memory");
  }
  if (shards)
    hg_plan_shards(&plan, (int)shards, shard);
  double total = 0, mem = 0;
  for (int j = 0; j < plan.n; j++) {
    total += plan.units[j].cost;
    mem = fmax(mem, plan.units[j].mem);
    if (shards)
      load[shard[j]] += plan.units[j].cost;
  }
  char mb[32];
  human_bytes(mem, mb, sizeof mb);
  printf("# %s: %d runs, estimated cost %.4g (vector entries x iterations), largest run "
         "~%s\n", script, plan.n, total, mb);
  printf("#%4s  %-16s  %-5s  %10s  %7s%s  %s\n", "run", "key", "kind", "cost", "memory",
         shards ? "  shard" : "", "what");
  for (int j = 0; j < plan.n; j++) {
    const hg_unit *u = &plan.units[j];
    human_bytes(u->mem, mb, sizeof mb);
    printf("%5d  %016llx  %-5s  %10.4g  %7s", j + 1, (unsigned long long)u->key,
           u->kind == 'h' ? "run" : "outer", u->cost, mb);
    if (shards)
      printf("  %5d", shard[j]);
    printf("  %s\n", u->what);
  }
  if (shards) {
    double busiest = 0;
    for (long s = 0; s < shards; s++)
      busiest = fmax(busiest, load[s]);
    printf("# %ld shards: busiest %.4g, mean %.4g (balance %.3f)\n", shards, busiest,
           total / (double)shards, total > 0 ? busiest / (total / (double)shards) : 1.0);
  }
  free(shard);
  free(load);
  hg_plan_release(&plan);
  return 0;
}

int hg_cli_status(int argc, char **argv)
{
  const char *dir = NULL, *scenario = NULL;
  char script[PATH_MAX];
  hg_error err;
  hg_plan plan;

  hg_error_clear(&err);
  for (int i = 2; i < argc; i++) {
    if (!strcmp(argv[i], "--scenario") && i + 1 < argc)
      scenario = argv[++i];
    else if (!strncmp(argv[i], "--", 2) || dir) {
      char msg[256];
      snprintf(msg, sizeof msg, "unexpected argument '%s' (hgbench status DIR [--scenario "
               "FILE])", argv[i]);
      return fail_line("status", msg);
    } else
      dir = argv[i];
  }
  struct stat st;
  if (!dir || stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
    return fail_line("status", "expected an output folder DIR");
  if (scenario)
    snprintf(script, sizeof script, "%s", scenario);
  else if (find_scenario(dir, script, sizeof script, &err))
    return fail_line("status", err.msg);
  if (plan_script(script, NULL, &plan, &err)) {
    hg_plan_release(&plan);
    return fail_line("status", err.msg);
  }
  int *state = malloc((size_t)(plan.n ? plan.n : 1) * sizeof *state);
  int count[3] = {0, 0, 0};
  if (!state || hg_sweep_states(dir, &plan, state, &err)) {
    free(state);
    hg_plan_release(&plan);
    return fail_line("status", state ? err.msg : "out of memory");
  }
  for (int j = 0; j < plan.n; j++)
    count[state[j]]++;
  printf("%s: %d runs: %d done, %d failed, %d missing\n", dir, plan.n, count[1], count[2],
         count[0]);
  for (int j = 0, shown = 0; j < plan.n; j++)
    if (state[j] == 0 && shown++ < 20)
      printf("  missing: run %d  %016llx  %s\n", j + 1, (unsigned long long)plan.units[j].key,
             plan.units[j].what);
  if (count[0] > 20)
    printf("  ... and %d more missing\n", count[0] - 20);
  free(state);
  hg_plan_release(&plan);
  return count[0] ? EXIT_FAILED : 0;
}

/* ------------------------------------------------------------------------------------------ */
/* SLURM                                                                                       */
/* ------------------------------------------------------------------------------------------ */

/* s single-quoted for sh. */
static void put_quoted(FILE *f, const char *s)
{
  fputc('\'', f);
  for (; *s; s++)
    if (*s == '\'')
      fputs("'\\''", f);
    else
      fputc(*s, f);
  fputc('\'', f);
}

/* An absolute form of dir (which may not exist yet): realpath of its parent, or cwd/dir. */
static void absolute(const char *dir, char *out, size_t len)
{
  char cwd[PATH_MAX];
  if (dir[0] == '/')
    snprintf(out, len, "%s", dir);
  else if (getcwd(cwd, sizeof cwd) && strlen(cwd) + strlen(dir) + 2 <= len)
    memcpy(out, cwd, strlen(cwd)), out[strlen(cwd)] = '/',
      memcpy(out + strlen(cwd) + 1, dir, strlen(dir) + 1);
  else
    snprintf(out, len, "%s", dir);
}

int hg_cli_slurm(int argc, char **argv)
{
  const char *script = NULL, *time = NULL, *partition = NULL, *mem = NULL, *out = NULL;
  long tasks = 0;
  hg_error err;
  hg_plan plan;
  char *end;

  hg_error_clear(&err);
  for (int i = 2; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strncmp(a, "--", 2) && !v) {
      char msg[128];
      snprintf(msg, sizeof msg, "%s needs a value", a);
      return fail_line("slurm", msg);
    }
    if (!strcmp(a, "--tasks")) {
      tasks = strtol(v, &end, 10);
      if (*end || tasks < 1 || tasks > 100000)
        return fail_line("slurm", "--tasks N: expected an integer from 1 to 100000");
    } else if (!strcmp(a, "--time"))
      time = v;
    else if (!strcmp(a, "--partition"))
      partition = v;
    else if (!strcmp(a, "--mem"))
      mem = v;
    else if (!strcmp(a, "--out"))
      out = v;
    else if (!strncmp(a, "--", 2) || script) {
      char msg[256];
      snprintf(msg, sizeof msg, "unexpected argument '%s' (hgbench slurm SCENARIO.lua --tasks "
               "N [--time T] [--partition P] [--mem M] [--out DIR])", a);
      return fail_line("slurm", msg);
    } else {
      script = a;
      continue;
    }
    i++;
  }
  if (!script || !tasks)
    return fail_line("slurm", "expected SCENARIO.lua --tasks N");
  for (const char *const *p = (const char *const[]){time, partition, mem, NULL}; *p; p++)
    if (strpbrk(*p, " \t\n'\"\\$`;&|<>"))
      return fail_line("slurm", "--time, --partition and --mem take plain words");
  if (plan_script(script, NULL, &plan, &err)) {
    hg_plan_release(&plan);
    return fail_line("slurm", err.msg);
  }
  double big = 0;
  for (int j = 0; j < plan.n; j++)
    big = fmax(big, plan.units[j].mem);
  char memw[32], abs_script[PATH_MAX], exe[PATH_MAX], dir[PATH_MAX], name[128];
  if (mem)
    snprintf(memw, sizeof memw, "%s", mem);
  else
    human_bytes(big * 1.25, memw, sizeof memw); /* the largest run's estimate, 25 % margin */
  if (!realpath(script, abs_script))
    snprintf(abs_script, sizeof abs_script, "%s", script);
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  snprintf(exe + (n > 0 ? n : 0), sizeof exe - (size_t)(n > 0 ? n : 0), "%s",
           n > 0 ? "" : "hgbench");
  scenario_name(script, name, sizeof name);
  if (out)
    absolute(out, dir, sizeof dir);
  else
    absolute("out", dir, sizeof dir), snprintf(dir + strlen(dir), sizeof dir - strlen(dir),
                                               "/%s", name);

  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  if (!f) {
    hg_plan_release(&plan);
    return fail_line("slurm", "out of memory");
  }
  fprintf(f, "#!/bin/sh\n# hgbench slurm: %s as %ld array tasks (%d runs, balanced by estimated "
          "cost)\n# and a merge job that starts when every task succeeded.  Submit: sh THIS.\n"
          "# A task killed or timed out: submit again; finished runs are kept (resume).\n"
          "set -eu\nmkdir -p ", name, tasks, plan.n);
  put_quoted(f, dir);
  fputs("\narray=$(sbatch --parsable <<'HGBENCH_ARRAY'\n#!/bin/sh\n", f);
  fprintf(f, "#SBATCH --job-name=hgbench-%s\n#SBATCH --array=0-%ld\n#SBATCH --ntasks=1\n"
          "#SBATCH --cpus-per-task=1\n#SBATCH --mem=%s\n", name, tasks - 1, memw);
  if (time)
    fprintf(f, "#SBATCH --time=%s\n", time);
  if (partition)
    fprintf(f, "#SBATCH --partition=%s\n", partition);
  fputs("#SBATCH --output=", f);
  fprintf(f, "%s/slurm-%%A_%%a.log\nexport OPENBLAS_NUM_THREADS=1\nexec ", dir);
  put_quoted(f, exe);
  fputs(" run ", f);
  put_quoted(f, abs_script);
  fprintf(f, " --shard \"$SLURM_ARRAY_TASK_ID/%ld\" --out ", tasks);
  put_quoted(f, dir);
  fputs("\nHGBENCH_ARRAY\n)\narray=${array%%;*}\n", f);
  fputs("merge=$(sbatch --parsable --dependency=afterok:$array --kill-on-invalid-dep=yes "
        "<<'HGBENCH_MERGE'\n#!/bin/sh\n", f);
  fprintf(f, "#SBATCH --job-name=hgbench-%s-merge\n#SBATCH --ntasks=1\n#SBATCH "
          "--cpus-per-task=1\n#SBATCH --mem=%s\n", name, memw);
  if (time)
    fprintf(f, "#SBATCH --time=%s\n", time);
  if (partition)
    fprintf(f, "#SBATCH --partition=%s\n", partition);
  fprintf(f, "#SBATCH --output=%s/slurm-merge-%%j.log\nexport OPENBLAS_NUM_THREADS=1\nexec ",
          dir);
  put_quoted(f, exe);
  fputs(" merge ", f);
  put_quoted(f, dir);
  fputs(" --out ", f);
  put_quoted(f, dir);
  fputs("\nHGBENCH_MERGE\n)\necho \"hgbench: submitted array job $array and merge job "
        "${merge%%;*}\"\n", f);
  fclose(f);
  hg_plan_release(&plan);
  int rc = HG_OK;
  if (out) {
    if (!(rc = hg_make_dirs(dir, &err)) &&
        !(rc = hg_write_atomic(dir, "slurm.sh", text, len, &err)))
      printf("hgbench: wrote %s/slurm.sh (%ld tasks, --mem=%s); submit it with: sh %s/slurm.sh"
             "\n", dir, tasks, memw, dir);
  } else {
    fwrite(text, 1, len, stdout);
  }
  free(text);
  return rc ? fail_line("slurm", err.msg) : 0;
}

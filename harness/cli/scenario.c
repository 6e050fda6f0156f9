/*
 * scenario.c -- a scenario's output folder (DESIGN §6): results.tsv (one row appended and
 * fsync'ed per run, read back once into a hash index to resume), expectations, the plots made,
 * manifest.json.  Every other file is written to a temporary name and renamed when complete.
 */
#include "hg_cli.h"
#include "json.h"

#include <cblas.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#define RESULTS "results.tsv"

/* results.tsv columns, in order (DESIGN §6). */
static const char *const columns[] = {
  "scenario", "problem", "problem_params", "method", "method_params", "theta", "seed", "rep",
  "t_budget", "k_budget", "K", "tol_lower", "tol_linear", "t", "k", "status", "rel_error",
  "abs_error", "bound", "bound_violated", "value", "wall_s", "phi", "jvp_w", "vjp_w",
  "vjp_theta", "jvp_theta", "peak_bytes", "q", "kappa", "mu", "L", "nu1", "nu2", "mu1", "mu2",
  "L_E", "L_Phi", "D", "eps", "delta", "omega", "constants", "message", "problem_rev",
  "method_rev", "inputs", "key", "base_key",
};
#define NCOLUMNS ((int)(sizeof columns / sizeof columns[0]))
#define NCOLUMNS_V1 44 /* an older hgbench's results.tsv: up to message, no revisions or key */
/* What an older file's rows lack: the revisions unknown (-1: stale against any plugin), no
 * inputs, the keys recomputed. */
static char *const v1_tail[NCOLUMNS - NCOLUMNS_V1] = {"-1", "-1", "0", "", ""};

/* ------------------------------------------------------------------------------------------ */
/* Files                                                                                       */
/* ------------------------------------------------------------------------------------------ */

/* mkdir -p */
static int make_dirs(const char *dir, hg_error *err)
{
  char path[1024];
  size_t len = strlen(dir);

  if (len == 0 || len >= sizeof path)
    return hg_fail(err, HG_ERR_ARG, "output folder '%s': empty or too long", dir);
  memcpy(path, dir, len + 1);
  for (char *p = path + 1; ; p++) {
    if (*p == '/' || *p == '\0') {
      char c = *p;
      *p = '\0';
      if (mkdir(path, 0777) != 0 && errno != EEXIST)
        return hg_fail(err, HG_ERR_IO, "cannot create folder '%s': %s", path, strerror(errno));
      *p = c;
      if (!c)
        break;
    }
  }
  struct stat st;
  if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
    return hg_fail(err, HG_ERR_IO, "output folder '%s' is not a folder", dir);
  return HG_OK;
}

#define put_field hg_tsv_put /* a string as TSV field text, escaped (key.c) */

static void put_real(FILE *f, double x)
{
  if (isnan(x))
    fputs("nan", f);
  else
    fprintf(f, "%.17g", x);
}

/* One row: the columns above, tab separated. */
static void put_row(FILE *f, const char *scenario, const hg_record *r)
{
  put_field(f, scenario);
  fputc('\t', f);
  put_field(f, r->problem);
  fputc('\t', f);
  put_field(f, r->problem_params);
  fputc('\t', f);
  put_field(f, r->method);
  fputc('\t', f);
  put_field(f, r->method_params);
  fputc('\t', f);
  put_field(f, r->theta);
  fprintf(f, "\t%llu\t%d\t%d\t%d\t%d\t", (unsigned long long)r->seed, r->rep, r->t_budget,
          r->k_budget, r->K);
  put_real(f, r->tol_lower);
  fputc('\t', f);
  put_real(f, r->tol_linear);
  fprintf(f, "\t%d\t%d\t%s", r->t, r->k, hg_status_word(r->status));
  const double reals[] = {r->rel_error, r->abs_error, r->bound, NAN, r->value, r->wall_s};
  for (size_t i = 0; i < sizeof reals / sizeof reals[0]; i++) {
    fputc('\t', f);
    if (i == 3) /* bound_violated */
      fprintf(f, "%d", r->bound_violated);
    else
      put_real(f, reals[i]);
  }
  fprintf(f, "\t%ld\t%ld\t%ld\t%ld\t%ld\t%zu", r->counts.phi, r->counts.jvp_w, r->counts.vjp_w,
          r->counts.vjp_theta, r->counts.jvp_theta, r->peak_bytes);
  const double tail[] = {r->q,   r->kappa, r->mu,  r->L,     r->nu1, r->nu2,   r->mu1,
                           r->mu2, r->L_E,   r->L_Phi, r->D, r->eps,
                           r->delta, r->omega};
  for (size_t i = 0; i < sizeof tail / sizeof tail[0]; i++) {
    fputc('\t', f);
    put_real(f, tail[i]);
  }
  fprintf(f, "\t%s\t", r->local_constants ? "local" : "global");
  put_field(f, r->message);
  fprintf(f, "\t%d\t%d\t%016llx\t%016llx\t%016llx\n", r->problem_rev, r->method_rev,
          (unsigned long long)r->inputs, (unsigned long long)hg_run_key(r, 1, NULL, 0),
          (unsigned long long)hg_run_key(r, 0, NULL, 0));
}

/* The header line of results.tsv into f. */
static void put_header(FILE *f)
{
  for (int c = 0; c < NCOLUMNS; c++)
    fprintf(f, "%s%s", c ? "\t" : "", columns[c]);
  fputc('\n', f);
}

/* Rewrite results.tsv with the rows in memory (atomically): the compaction after stale rows
 * were superseded. */
static int write_results(hg_scenario *S, hg_error *err)
{
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  if (!f)
    return hg_fail(err, HG_ERR_NOMEM, "out of memory for results.tsv");
  put_header(f);
  for (int i = 0; i < S->n; i++)
    put_row(f, S->name, &S->rows[i]);
  fclose(f);
  int rc = hg_write_atomic(S->outdir, RESULTS, text, len, err);
  free(text);
  if (!rc)
    S->n_superseded = 0;
  return rc;
}

/* Append text (whole lines) to results.tsv and flush it to the disk. */
static int append_results(hg_scenario *S, const char *text, size_t len, hg_error *err)
{
  while (len > 0) {
    ssize_t w = write(S->fd, text, len);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return hg_fail(err, HG_ERR_IO, "cannot append to '%s/%s': %s", S->outdir, RESULTS,
                     strerror(errno));
    text += w;
    len -= (size_t)w;
  }
  if (fdatasync(S->fd) != 0 && errno != EINVAL)
    return hg_fail(err, HG_ERR_IO, "cannot sync '%s/%s': %s", S->outdir, RESULTS,
                   strerror(errno));
  return HG_OK;
}

/* Split line (modified in place) at tabs into at most max fields; returns the count. */
static int split_tabs(char *line, char **field, int max)
{
  int n = 0;
  line[strcspn(line, "\r\n")] = '\0';
  for (char *p = line; n < max; p++) {
    field[n++] = p;
    p = strchr(p, '\t');
    if (!p)
      break;
    *p = '\0';
  }
  return n;
}

static int status_code(const char *word)
{
  for (int s = 0; s < HG_STATUS_COUNT; s++)
    if (!strcmp(hg_status_word(s), word))
      return s;
  return -1;
}

/* Parse one data row; 0 when a field is malformed (its column in *bad). */
static int parse_row(char **v, hg_record *r, int *bad)
{
  memset(r, 0, sizeof *r);
  snprintf(r->problem, sizeof r->problem, "%s", hg_tsv_unescape(v[1]));
  snprintf(r->problem_params, sizeof r->problem_params, "%s", hg_tsv_unescape(v[2]));
  snprintf(r->method, sizeof r->method, "%s", hg_tsv_unescape(v[3]));
  snprintf(r->method_params, sizeof r->method_params, "%s", hg_tsv_unescape(v[4]));
  snprintf(r->theta, sizeof r->theta, "%s", hg_tsv_unescape(v[5]));
  snprintf(r->message, sizeof r->message, "%s", hg_tsv_unescape(v[43]));
  if (strcmp(v[42], "global") && strcmp(v[42], "local"))
    return *bad = 42, 0;
  r->local_constants = !strcmp(v[42], "local");
  if ((r->status = status_code(v[15])) < 0)
    return *bad = 15, 0;

  /* the numeric columns: 'i' int, 'l' long, 'u' 64-bit unsigned, 'x' the same in hex,
   * 'd' double */
  unsigned long long seed = 0, peak = 0, inputs = 0;
  const struct { int col; char type; void *p; } num[] = {
    {6, 'u', &seed},           {7, 'i', &r->rep},         {8, 'i', &r->t_budget},
    {9, 'i', &r->k_budget},    {10, 'i', &r->K},          {11, 'd', &r->tol_lower},
    {12, 'd', &r->tol_linear}, {13, 'i', &r->t},          {14, 'i', &r->k},
    {16, 'd', &r->rel_error},  {17, 'd', &r->abs_error},  {18, 'd', &r->bound},
    {19, 'i', &r->bound_violated}, {20, 'd', &r->value},  {21, 'd', &r->wall_s},
    {22, 'l', &r->counts.phi}, {23, 'l', &r->counts.jvp_w}, {24, 'l', &r->counts.vjp_w},
    {25, 'l', &r->counts.vjp_theta}, {26, 'l', &r->counts.jvp_theta}, {27, 'u', &peak},
    {28, 'd', &r->q},          {29, 'd', &r->kappa},      {30, 'd', &r->mu},
    {31, 'd', &r->L},          {32, 'd', &r->nu1},        {33, 'd', &r->nu2},
    {34, 'd', &r->mu1},        {35, 'd', &r->mu2},        {36, 'd', &r->L_E},
    {37, 'd', &r->L_Phi},      {38, 'd', &r->D},          {39, 'd', &r->eps},
    {40, 'd', &r->delta},      {41, 'd', &r->omega},      {44, 'i', &r->problem_rev},
    {45, 'i', &r->method_rev}, {46, 'x', &inputs},
  };
  for (size_t i = 0; i < sizeof num / sizeof num[0]; i++) {
    const char *s = v[num[i].col];
    char *end;
    errno = 0;
    switch (num[i].type) {
    case 'i': *(int *)num[i].p = (int)strtol(s, &end, 10); break;
    case 'l': *(long *)num[i].p = strtol(s, &end, 10); break;
    case 'u': *(unsigned long long *)num[i].p = strtoull(s, &end, 10); break;
    case 'x': *(unsigned long long *)num[i].p = strtoull(s, &end, 16); break;
    default: *(double *)num[i].p = strtod(s, &end); break;
    }
    if ((errno == ERANGE && num[i].type != 'd') || end == s || *end) /* denormals read fine */
      return *bad = num[i].col, 0;
  }
  r->seed = seed;
  r->peak_bytes = (size_t)peak;
  r->inputs = inputs;
  return 1;
}

/* The array a of n elements of `size` bytes and capacity *cap with room for one more (doubled
 * when full, from `first`): a itself or its reallocation, NULL when out of memory (a is then
 * unchanged). */
static void *grow(void *a, int n, int *cap, size_t size, int first)
{
  if (n < *cap)
    return a;
  int c = *cap ? 2 * *cap : first;
  void *p = realloc(a, (size_t)c * size);
  if (p)
    *cap = c;
  return p;
}

/* ------------------------------------------------------------------------------------------ */
/* The index: base key hash -> row, open addressing with linear probing                       */
/* ------------------------------------------------------------------------------------------ */

struct hg_key_slot {
  uint64_t h; /* hg_run_key(row, 0) */
  int row;    /* index into S->rows; -1: empty */
};

/* The slot of r's base key (hash h): the one holding a row with that key, or the empty one
 * where it would go. */
static struct hg_key_slot *slot_of(const hg_scenario *S, const hg_record *r, uint64_t h)
{
  size_t mask = (size_t)S->n_slots - 1;
  /* the home slot from all 64 bits (Fibonacci hashing): FNV-1a's low bits alone cluster */
  for (size_t i = (size_t)((h * 0x9e3779b97f4a7c15ULL) >> 32) & mask; ; i = (i + 1) & mask) {
    struct hg_key_slot *e = &S->slots[i];
    if (e->row < 0 || (e->h == h && hg_record_same_key(&S->rows[e->row], r)))
      return e;
  }
}

/* Room in the index for one more row (kept at most half full). */
static int index_reserve(hg_scenario *S, hg_error *err)
{
  if (2 * (S->n + 1) <= S->n_slots)
    return HG_OK;
  int n_slots = S->n_slots ? 2 * S->n_slots : 256;
  struct hg_key_slot *old = S->slots, *a = malloc((size_t)n_slots * sizeof *a);
  if (!a)
    return hg_fail(err, HG_ERR_NOMEM, "out of memory for the index of %d results rows", S->n);
  for (int i = 0; i < n_slots; i++)
    a[i].row = -1;
  int n_old = S->n_slots;
  S->slots = a;
  S->n_slots = n_slots;
  for (int i = 0; i < n_old; i++)
    if (old[i].row >= 0)
      *slot_of(S, &S->rows[old[i].row], old[i].h) = old[i];
  free(old);
  return HG_OK;
}

/* Keep r in memory: a new row, or in place of the row with its base key (which it
 * supersedes: a run redone, or a later line of results.tsv). */
static int keep_row(hg_scenario *S, const hg_record *r, hg_error *err)
{
  int rc = index_reserve(S, err);
  if (rc)
    return rc;
  uint64_t h = hg_run_key(r, 0, NULL, 0);
  struct hg_key_slot *e = slot_of(S, r, h);
  if (e->row >= 0) {
    S->rows[e->row] = *r;
    S->n_superseded++;
    return HG_OK;
  }
  void *a = grow(S->rows, S->n, &S->cap, sizeof *S->rows, 64);
  if (!a)
    return hg_fail(err, HG_ERR_NOMEM, "out of memory for %d results rows", S->n + 1);
  S->rows = a;
  S->rows[S->n] = *r;
  e->h = h;
  e->row = S->n++;
  return HG_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Reading results.tsv back (resume)                                                           */
/* ------------------------------------------------------------------------------------------ */

/* Read an existing results.tsv back, once, into S's rows and index.  A last line cut short
 * (no line end, a wrong field count or a malformed field: a kill while it was written) is
 * dropped with a warning and *keep gets the length of what precedes it (the file is cut
 * there); the same fault on an earlier line is an error naming it.  *keep is -1 when the file
 * does not exist, holds not even a whole header, or has an older hgbench's columns (its rows
 * are read with unknown revisions, so stale, and the file is to be written anew). */
static int read_results(hg_scenario *S, const char *path, long *keep, hg_error *err)
{
  char *line = NULL, *field[NCOLUMNS + 1];
  size_t cap = 0;
  long lineno = 0, good = 0;
  ssize_t got;
  hg_error bad;
  int rc = HG_OK, pending = 0, ncol = NCOLUMNS;

  *keep = -1;
  hg_error_clear(&bad);
  FILE *f = fopen(path, "r");
  if (!f)
    return errno == ENOENT ? HG_OK
                           : hg_fail(err, HG_ERR_IO, "cannot read '%s': %s", path,
                                     strerror(errno));
  while ((got = getline(&line, &cap, f)) > 0) {
    lineno++;
    if (pending) { /* a faulty line with more after it: not a torn end */
      rc = hg_fail(err, bad.status, "%s", bad.msg);
      break;
    }
    int whole = line[got - 1] == '\n';
    int n = split_tabs(line, field, NCOLUMNS + 1);
    if (lineno == 1) {
      if (!whole)
        break; /* a header cut short: the file starts afresh */
      ncol = n == NCOLUMNS_V1 ? NCOLUMNS_V1 : NCOLUMNS;
      for (int c = 0; c < ncol && !rc; c++)
        if (n != ncol || strcmp(field[c], columns[c]))
          rc = hg_fail(err, HG_ERR_PARSE, "%s:1: its columns are not this hgbench's (move the "
                       "file away to start afresh)", path);
      if (rc)
        break;
      good = (long)got;
      continue;
    }
    hg_record r;
    int col = 0;
    if (ncol == NCOLUMNS_V1 && n == ncol) /* an older file's row: the columns it lacks */
      memcpy(field + ncol, v1_tail, sizeof v1_tail);
    if (!whole)
      pending = hg_fail(&bad, HG_ERR_PARSE, "%s:%ld: no line end", path, lineno);
    else if (n != ncol)
      pending = hg_fail(&bad, HG_ERR_PARSE, "%s:%ld: %d fields, expected %d", path, lineno, n,
                        ncol);
    else if (!parse_row(field, &r, &col))
      pending = hg_fail(&bad, HG_ERR_PARSE, "%s:%ld: malformed %s '%s'", path, lineno,
                        columns[col], field[col]);
    else if ((rc = keep_row(S, &r, err)))
      break;
    else
      good += (long)got;
  }
  free(line);
  fclose(f);
  if (!rc && pending)
    fprintf(stderr, "hgbench: warning: %s (the last line, cut short by a kill while it was "
            "written?): dropped from the file, its run is done again\n", bad.msg);
  if (!rc && ncol == NCOLUMNS_V1) /* *keep stays -1: rewritten whole, in this format */
    fprintf(stderr, "hgbench: warning: %s was written by an older hgbench, without plugin "
            "revisions or input hashes: its %d rows are kept, but as stale, so their runs are "
            "done again\n", path, S->n);
  else if (!rc && lineno > 0 && good > 0)
    *keep = good;
  S->n_resumed = rc ? 0 : S->n;
  return rc;
}

int hg_results_read(const char *path, hg_record **rows, int *n, hg_error *err)
{
  hg_scenario S;
  long keep;
  struct stat st;

  memset(&S, 0, sizeof S);
  S.fd = -1;
  *rows = NULL;
  *n = 0;
  if (stat(path, &st) != 0)
    return hg_fail(err, HG_ERR_IO, "cannot read '%s': %s", path, strerror(errno));
  int rc = read_results(&S, path, &keep, err);
  free(S.slots);
  if (rc) {
    free(S.rows);
    return rc;
  }
  *rows = S.rows;
  *n = S.n;
  return HG_OK;
}

int hg_scenario_order(hg_scenario *S, const uint64_t *base, int n, hg_error *err)
{
  hg_record *rows = malloc(((size_t)S->n + 1) * sizeof *rows);
  unsigned char *used = calloc((size_t)S->n + 1, 1);
  int k = 0;
  if (!rows || !used) {
    free(rows);
    free(used);
    return hg_fail(err, HG_ERR_NOMEM, "out of memory ordering %d results rows", S->n);
  }
  size_t mask = (size_t)S->n_slots - 1;
  for (int j = 0; j < n && S->n_slots; j++)
    for (size_t i = (size_t)((base[j] * 0x9e3779b97f4a7c15ULL) >> 32) & mask;
         S->slots[i].row >= 0; i = (i + 1) & mask)
      if (S->slots[i].h == base[j]) {
        if (!used[S->slots[i].row]) {
          used[S->slots[i].row] = 1;
          rows[k++] = S->rows[S->slots[i].row];
        }
        break;
      }
  for (int i = 0; i < S->n; i++)
    if (!used[i])
      rows[k++] = S->rows[i];
  memcpy(S->rows, rows, (size_t)S->n * sizeof *rows);
  free(rows);
  free(used);
  for (int i = 0; i < S->n_slots; i++) /* the index anew, on the rows' new places */
    S->slots[i].row = -1;
  for (int i = 0; i < S->n; i++) {
    uint64_t h = hg_run_key(&S->rows[i], 0, NULL, 0);
    struct hg_key_slot *e = slot_of(S, &S->rows[i], h);
    e->h = h;
    e->row = i;
  }
  S->n_superseded++; /* results.tsv rewritten in this order at the end */
  return HG_OK;
}

int hg_results_write(const char *dir, const char *scenario, const hg_record *rows, int n,
                     hg_error *err)
{
  hg_scenario S;
  memset(&S, 0, sizeof S);
  snprintf(S.outdir, sizeof S.outdir, "%s", dir);
  snprintf(S.name, sizeof S.name, "%s", scenario);
  S.rows = (hg_record *)rows;
  S.n = n;
  return write_results(&S, err);
}

/* Open results.tsv for appending: read back what it holds (read_results), cut a torn last line
 * away; a missing or empty file is first written with the header alone. */
static int open_results(hg_scenario *S, hg_error *err)
{
  char path[2048];
  long keep = -1;
  int rc;

  snprintf(path, sizeof path, "%s/%s", S->outdir, RESULTS);
  if ((rc = read_results(S, path, &keep, err)) || (keep < 0 && (rc = write_results(S, err))))
    return rc;
  S->fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
  if (S->fd < 0)
    return hg_fail(err, HG_ERR_IO, "cannot open '%s' for appending: %s", path,
                   strerror(errno));
  if (keep >= 0 && ftruncate(S->fd, (off_t)keep) != 0)
    return hg_fail(err, HG_ERR_IO, "cannot cut '%s' to its whole lines: %s", path,
                   strerror(errno));
  return HG_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* The scenario                                                                                */
/* ------------------------------------------------------------------------------------------ */

static void iso_time(double t, char *buf, size_t len)
{
  time_t s = (time_t)t;
  struct tm tm;
  gmtime_r(&s, &tm);
  strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static double epoch_now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int hg_scenario_open(const char *script, const char *outdir, hg_scenario **out, hg_error *err)
{
  int rc = HG_OK;
  hg_scenario *S = calloc(1, sizeof *S);

  *out = NULL;
  if (!S)
    return hg_fail(err, HG_ERR_NOMEM, "out of memory for a scenario");
  snprintf(S->script, sizeof S->script, "%s", script);
  snprintf(S->outdir, sizeof S->outdir, "%s", outdir ? outdir : ""); /* "": a plan's */
  const char *base = strrchr(script, '/') ? strrchr(script, '/') + 1 : script;
  snprintf(S->name, sizeof S->name, "%s", base);
  size_t len = strlen(S->name);
  if (len > 4 && !strcmp(S->name + len - 4, ".lua"))
    S->name[len - 4] = '\0';
  S->start_time = epoch_now();
  S->fd = -1;
  iso_time(S->start_time, S->start_iso, sizeof S->start_iso);
  if (outdir && ((rc = make_dirs(outdir, err)) || (rc = open_results(S, err))))
    goto done;

done:
  if (rc)
    hg_scenario_destroy(&S);
  *out = S;
  return rc;
}

void hg_scenario_destroy(hg_scenario **pS)
{
  hg_scenario *S = pS ? *pS : NULL;
  if (!S)
    return;
  if (S->fd >= 0)
    close(S->fd);
  free(S->rows);
  free(S->slots);
  hg_file_hashes_destroy(&S->files);
  free(S->outer_plugins);
  free(S->exps);
  free(S->plots);
  for (int i = 0; i < S->n_tables; i++)
    free(S->tables[i].markdown);
  free(S->tables);
  free(S->data);
  free(S->optimize_text);
  free(S);
  *pS = NULL;
}

const hg_record *hg_scenario_find(hg_scenario *S, hg_record *r, int *stale)
{
  r->inputs = hg_inputs_hash(&S->files, r);
  if (stale)
    *stale = 0;
  if (!S->n_slots)
    return NULL;
  const struct hg_key_slot *e = slot_of(S, r, hg_run_key(r, 0, NULL, 0));
  if (e->row < 0)
    return NULL;
  if (hg_record_fresh(&S->rows[e->row], r))
    return &S->rows[e->row];
  if (stale)
    *stale = 1;
  return NULL;
}

int hg_scenario_add(hg_scenario *S, const hg_record *r, hg_error *err)
{
  char *text = NULL;
  size_t len = 0;
  int before = S->n_superseded, rc;
  FILE *f = open_memstream(&text, &len);

  if (!f)
    return hg_fail(err, HG_ERR_NOMEM, "out of memory for a results row");
  put_row(f, S->name, r);
  if (fclose(f) != 0) {
    free(text);
    return hg_fail(err, HG_ERR_NOMEM, "out of memory for a results row");
  }
  rc = append_results(S, text, len, err);
  free(text);
  if (!rc && !(rc = keep_row(S, r, err)))
    S->n_redone += S->n_superseded > before;
  return rc;
}

int hg_scenario_expect(hg_scenario *S, int pass, const char *what, const char *where,
                       hg_error *err)
{
  void *a = grow(S->exps, S->n_exp, &S->cap_exp, sizeof *S->exps, 16);
  if (!a)
    return hg_fail(err, HG_ERR_NOMEM, "out of memory for expectations");
  S->exps = a;
  hg_expectation *e = &S->exps[S->n_exp++];
  e->pass = pass != 0;
  snprintf(e->what, sizeof e->what, "%s", what ? what : "");
  snprintf(e->where, sizeof e->where, "%s", where ? where : "");
  return HG_OK;
}

int hg_scenario_add_plot(hg_scenario *S, const char *file, const char *title, hg_error *err)
{
  for (int i = 0; i < S->n_plots; i++)
    if (!strcmp(S->plots[i].file, file)) {
      snprintf(S->plots[i].title, sizeof S->plots[i].title, "%s", title ? title : file);
      return HG_OK;
    }
  void *a = grow(S->plots, S->n_plots, &S->cap_plots, sizeof *S->plots, 8);
  if (!a)
    return hg_fail(err, HG_ERR_NOMEM, "out of memory for plots");
  S->plots = a;
  hg_plot_ref *p = &S->plots[S->n_plots++];
  snprintf(p->file, sizeof p->file, "%s", file);
  snprintf(p->title, sizeof p->title, "%s", title ? title : file);
  return HG_OK;
}

int hg_scenario_add_table(hg_scenario *S, const char *title, const char *markdown,
                          hg_error *err)
{
  void *a = grow(S->tables, S->n_tables, &S->cap_tables, sizeof *S->tables, 4);
  if (!a)
    return hg_fail(err, HG_ERR_NOMEM, "out of memory for tables");
  S->tables = a;
  hg_table_ref *t = &S->tables[S->n_tables];
  t->markdown = strdup(markdown);
  if (!t->markdown)
    return hg_fail(err, HG_ERR_NOMEM, "out of memory for a table");
  snprintf(t->title, sizeof t->title, "%s", title);
  S->n_tables++;
  return HG_OK;
}

int hg_scenario_add_data(hg_scenario *S, const hg_problem *P, const char *params,
                         hg_error *err)
{
  hg_data_ref d;
  memset(&d, 0, sizeof d);
  snprintf(d.problem, sizeof d.problem, "%s", P->ops->name);
  snprintf(d.params, sizeof d.params, "%s", params ? params : "");
  if (P->ops->describe)
    P->ops->describe(P->self, d.text, sizeof d.text);
  for (int i = 0; i < S->n_data; i++)
    if (!strcmp(S->data[i].problem, d.problem) && !strcmp(S->data[i].params, d.params) &&
        !strcmp(S->data[i].text, d.text))
      return HG_OK;
  void *a = grow(S->data, S->n_data, &S->cap_data, sizeof *S->data, 4);
  if (!a)
    return hg_fail(err, HG_ERR_NOMEM, "out of memory for the scenario's data list");
  S->data = a;
  S->data[S->n_data++] = d;
  return HG_OK;
}

/* The CPU's model name from /proc/cpuinfo ("unknown" elsewhere). */
static void cpu_model(char *buf, size_t len)
{
  char line[512];
  snprintf(buf, len, "unknown");
  FILE *f = fopen("/proc/cpuinfo", "r");
  if (!f)
    return;
  while (fgets(line, sizeof line, f))
    if (!strncmp(line, "model name", 10) && strchr(line, ':')) {
      char *v = strchr(line, ':') + 1;
      v += strspn(v, " \t");
      v[strcspn(v, "\n")] = '\0';
      snprintf(buf, len, "%s", v);
      break;
    }
  fclose(f);
}

#ifndef HG_GIT_COMMIT
#define HG_GIT_COMMIT "unknown"
#endif
#ifndef HG_COMPILER
#define HG_COMPILER "unknown"
#endif

/* The distinct seeds of S's rows in the order they first appear, comma separated: a set of
 * seen seeds by open addressing, so a sweep of many seeds costs the same per row. */
static void put_seeds(FILE *f, const hg_scenario *S)
{
  size_t cap = 16;
  while (cap < 2 * (size_t)S->n)
    cap *= 2;
  uint64_t *set = calloc(cap, sizeof *set);
  unsigned char *used = calloc(cap, 1);
  int first = 1;
  for (int i = 0; i < S->n; i++) {
    uint64_t seed = S->rows[i].seed;
    int seen = 0;
    if (set && used) {
      size_t j = (size_t)(seed * 0x9e3779b97f4a7c15ULL >> 32) & (cap - 1);
      for (; used[j] && !(seen = set[j] == seed); j = (j + 1) & (cap - 1))
        ;
      used[j] = 1;
      set[j] = seed;
    } else { /* out of memory: the quadratic search */
      for (int k = 0; k < i && !seen; k++)
        seen = S->rows[k].seed == seed;
    }
    if (!seen) {
      fprintf(f, "%s%llu", first ? "" : ", ", (unsigned long long)seed);
      first = 0;
    }
  }
  free(set);
  free(used);
}

/* manifest.json (DESIGN §6): version, commit, compiler, BLAS and its threads, machine, seeds,
 * time, and the data of every problem instance run on. */
static int write_manifest(const hg_scenario *S, int failed, hg_error *err)
{
  char *text = NULL, cpu[256], end_iso[32];
  size_t len = 0;
  struct utsname u;
  double end = epoch_now();
  FILE *f = open_memstream(&text, &len);

  if (!f)
    return hg_fail(err, HG_ERR_NOMEM, "out of memory for manifest.json");
  cpu_model(cpu, sizeof cpu);
  iso_time(end, end_iso, sizeof end_iso);
  if (uname(&u) != 0)
    memset(&u, 0, sizeof u);
  fputs("{\n  \"hgbench\": ", f);
  hg_json_string(f, HG_VERSION);
  fputs(",\n  \"commit\": ", f);
  hg_json_string(f, HG_GIT_COMMIT);
  fputs(",\n  \"compiler\": ", f);
  hg_json_string(f, HG_COMPILER);
  fputs(",\n  \"blas\": ", f);
  hg_json_string(f, openblas_get_config());
  fprintf(f, ",\n  \"blas_threads\": %d,\n  \"cpu\": ", openblas_get_num_threads());
  hg_json_string(f, cpu);
  fprintf(f, ",\n  \"cores\": %ld,\n  \"machine\": ", sysconf(_SC_NPROCESSORS_ONLN));
  char machine[512];
  snprintf(machine, sizeof machine, "%s %s %s", u.sysname, u.release, u.machine);
  hg_json_string(f, machine);
  fputs(",\n  \"scenario\": ", f);
  hg_json_string(f, S->script);
  fputs(",\n  \"start\": ", f);
  hg_json_string(f, S->start_iso);
  fputs(",\n  \"end\": ", f);
  hg_json_string(f, end_iso);
  fprintf(f, ",\n  \"wall_s\": %.3f,\n  \"runs\": %d,\n  \"resumed\": %d,\n  \"skipped\": %d,\n",
          end - S->start_time, S->n, S->n_resumed, S->n_skipped);
  fprintf(f, "  \"redone\": %d,\n", S->n_redone);
  fprintf(f, "  \"expectations\": {\"passed\": %d, \"failed\": %d},\n  \"seeds\": [",
          S->n_exp - failed, failed);
  put_seeds(f, S);
  fputs("],\n  \"data\": [", f);
  for (int i = 0; i < S->n_data; i++) {
    fputs(i ? ",\n    {\"problem\": " : "\n    {\"problem\": ", f);
    hg_json_string(f, S->data[i].problem);
    fputs(", \"params\": ", f);
    hg_json_string(f, S->data[i].params);
    fputs(", \"data\": ", f);
    hg_json_string(f, S->data[i].text);
    fputc('}', f);
  }
  fputs(S->n_data ? "\n  ],\n  \"plugins\": [" : "],\n  \"plugins\": [", f);
  hg_plugin_ref used[64];
  int n_used = hg_scenario_plugins(S, used, 64);
  for (int i = 0; i < n_used; i++) {
    fprintf(f, "%s\n    {\"kind\": \"%s\", \"name\": ", i ? "," : "", used[i].kind);
    hg_json_string(f, used[i].name);
    fprintf(f, ", \"revision\": %d}", used[i].revision);
  }
  fputs(n_used ? "\n  ]\n}\n" : "]\n}\n", f);
  fclose(f);
  int rc = hg_write_atomic(S->outdir, "manifest.json", text, len, err);
  free(text);
  return rc;
}

int hg_scenario_finish(hg_scenario *S, int *failed, hg_error *err)
{
  int rc;
  *failed = 0;
  for (int i = 0; i < S->n_exp; i++)
    *failed += !S->exps[i].pass;
  if ((S->n_superseded && (rc = write_results(S, err))) || (rc = hg_report_write(S, err)) ||
      (rc = write_manifest(S, *failed, err)))
    return rc;
  return HG_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* optimize.tsv: the rows of the outer runs (DESIGN §2.3)                                      */
/* ------------------------------------------------------------------------------------------ */

int hg_make_dirs(const char *dir, hg_error *err)
{
  return make_dirs(dir, err);
}

/* Note the plugins of an outer run with their revisions (manifest.json, report.md). */
static int note_outer_plugins(hg_scenario *S, const char *problem, const char *outer,
                              const char *method, hg_error *err)
{
  const hg_problem_ops *P = hg_find_problem(problem, NULL);
  const hg_outer_ops *O = hg_find_outer(outer, NULL);
  const hg_method_ops *M = hg_find_method(method, NULL);
  const hg_plugin_ref refs[] = {
    {"problem", "", P ? P->revision : 0},
    {"outer", "", O ? O->revision : 0},
    {"method", "", M ? M->revision : 0},
  };
  const char *names[] = {problem, outer, method};
  for (int i = 0; i < 3; i++) {
    void *a = grow(S->outer_plugins, S->n_outer_plugins, &S->cap_outer_plugins,
                   sizeof *S->outer_plugins, 4);
    if (!a)
      return hg_fail(err, HG_ERR_NOMEM, "out of memory for the scenario's plugin list");
    S->outer_plugins = a;
    S->outer_plugins[S->n_outer_plugins] = refs[i];
    snprintf(S->outer_plugins[S->n_outer_plugins].name, sizeof refs[i].name, "%s", names[i]);
    S->n_outer_plugins++;
  }
  return HG_OK;
}

int hg_scenario_add_optimize(hg_scenario *S, const hg_outer_result *res, const char *label,
                             const char *problem, const char *outer, const char *method,
                             hg_error *err)
{
  int rc = note_outer_plugins(S, problem, outer, method, err);
  if (rc)
    return rc;
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  if (!f)
    return hg_fail(err, HG_ERR_NOMEM, "out of memory for optimize.tsv");
  if (S->optimize_text)
    fwrite(S->optimize_text, 1, S->optimize_len, f);
  else
    fputs(HG_OPTIMIZE_TSV_HEADER, f);
  hg_optimize_tsv(f, res, label, problem, outer, method);
  if (fclose(f) != 0) {
    free(text);
    return hg_fail(err, HG_ERR_NOMEM, "out of memory for optimize.tsv");
  }
  free(S->optimize_text);
  S->optimize_text = text;
  S->optimize_len = len;
  S->n_outer++;
  S->n_outer_rows += res->n;
  return hg_write_atomic(S->outdir, "optimize.tsv", text, len, err);
}

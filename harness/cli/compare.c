/*
 * compare.c -- `hgbench compare BASE NEW`: regression-check one results.tsv against another
 * (a baseline committed in a user's repository, say), run by run.
 *
 * Runs are matched by their base key (hg_run_key without the input files' hashes and the
 * plugins' revisions: those are what change between two runs of a CI), and a changed revision
 * or changed data is reported as such.  Per matched run: the error, the oracle calls and the
 * time (as a ratio); per series of runs that differ only in the budget that varies (t, or k
 * when t is fixed), the fitted linear rate of the error on both sides (the window and fit of
 * DESIGN §7: hg_rate_window, hg_fit_rate).  A regression, which makes the exit status 1:
 *   - a run that was ok and is not;
 *   - an error that grew by more than --rtol (relative, default 0.05) and is above the
 *     round-off floor (hg_roundoff_floor: below it, errors measure round-off);
 *   - more oracle calls at the same budget (the counts are deterministic);
 *   - a fitted rate slower by more than --rtol in its exponent (log r_new / log r_base below
 *     1 - rtol);
 *   - runs slower: the median time ratio above --time-ratio (default 1.5) and beyond the noise
 *     the ratios themselves show (3 robust standard deviations of their logarithms, from the
 *     median absolute deviation, over the square root of their count).  Single runs are
 *     marked "slower" past that threshold and 3 deviations, but only the median decides.
 * Runs in only one file are counted, not failed.
 */
#include "hg_cli.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The options of one comparison. */
typedef struct compare_opts {
  double rtol, time_ratio;
} compare_opts;

/* A run matched in both files. */
typedef struct pair {
  const hg_record *a, *b;
  uint64_t series; /* the key with the varying budget left out */
} pair;

/* results.tsv of a folder, or the file itself. */
static int read_side(const char *arg, hg_record **rows, int *n, hg_error *err)
{
  char path[4096];
  struct stat st;

  if (stat(arg, &st) == 0 && S_ISDIR(st.st_mode)) {
    if (snprintf(path, sizeof path, "%s/results.tsv", arg) >= (int)sizeof path)
      return hg_fail(err, HG_ERR_ARG, "'%s': path too long", arg);
  } else {
    snprintf(path, sizeof path, "%s", arg);
  }
  return hg_results_read(path, rows, n, err);
}

/* The series a run belongs to: its base key with both budgets left out. */
static uint64_t series_key(const hg_record *r)
{
  hg_record s = *r;
  s.t_budget = s.k_budget = 0;
  return hg_run_key(&s, 0, NULL, 0);
}

static int cmp_double(const void *x, const void *y)
{
  double a = *(const double *)x, b = *(const double *)y;
  return (a > b) - (a < b);
}

/* Median of v (n > 0; v is sorted in place). */
static double median(double *v, int n)
{
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* The fitted rate of the errors of one side over the pairs of one series (x the budget that
 * varies); NAN when fewer than 3 points lie in the window. */
static double series_rate(const pair *p, int n, int side)
{
  double *x = malloc((size_t)n * sizeof *x), *e = malloc((size_t)n * sizeof *e);
  double *xs = malloc((size_t)n * sizeof *xs), *es = malloc((size_t)n * sizeof *es);
  int *idx = malloc((size_t)n * sizeof *idx), vary_t = 0;
  double rate = NAN, lo, hi;

  if (!x || !e || !xs || !es || !idx)
    goto done;
  for (int i = 1; i < n; i++)
    vary_t |= p[i].a->t_budget != p[0].a->t_budget;
  for (int i = 0; i < n; i++) {
    const hg_record *r = side ? p[i].b : p[i].a;
    x[i] = vary_t ? r->t_budget : r->k_budget;
    e[i] = r->status == HG_OK ? r->rel_error : NAN;
  }
  /* the pairs come in file order: sort by budget (insertion; series are short) */
  for (int i = 1; i < n; i++)
    for (int j = i; j > 0 && x[j] < x[j - 1]; j--) {
      double tx = x[j], te = e[j];
      x[j] = x[j - 1], e[j] = e[j - 1];
      x[j - 1] = tx, e[j - 1] = te;
    }
  double floor = hg_roundoff_floor((side ? p[0].b : p[0].a)->kappa);
  int m = hg_rate_window(n, e, floor, idx);
  for (int i = 0; i < m; i++) {
    xs[i] = x[idx[i]];
    es[i] = e[idx[i]];
  }
  if (hg_fit_rate(m, xs, es, floor, &rate, &lo, &hi) < 3)
    rate = NAN;
done:
  free(x);
  free(e);
  free(xs);
  free(es);
  free(idx);
  return rate;
}

/* A row of the new side by its base-key hash, for matching in n log n. */
typedef struct keyed {
  uint64_t h;
  int row;
} keyed;

static int cmp_keyed(const void *x, const void *y)
{
  const keyed *a = x, *b = y;
  return (a->h > b->h) - (a->h < b->h);
}

static int cmp_series(const void *x, const void *y)
{
  const pair *a = x, *b = y;
  return (a->series > b->series) - (a->series < b->series);
}

/* Print and count the rate changes, series by series (p sorted by series). */
static int compare_rates(pair *p, int n, const compare_opts *o)
{
  int regressions = 0, shown = 0;

  qsort(p, (size_t)n, sizeof *p, cmp_series);
  for (int i = 0, j; i < n; i = j) {
    for (j = i + 1; j < n && p[j].series == p[i].series; j++)
      ;
    if (j - i < 3)
      continue;
    double ra = series_rate(p + i, j - i, 0), rb = series_rate(p + i, j - i, 1);
    if (!isfinite(ra) || !isfinite(rb) || ra <= 0 || rb <= 0 || ra >= 1)
      continue;
    int slower = rb >= 1 || log(rb) / log(ra) < 1 - o->rtol;
    if (!shown++)
      printf("\nfitted rates (error ~ C r^budget), series of %s:\n%-14s %-22s %-14s %5s %9s "
             "%9s\n", "runs differing only in the budget", "problem", "method", "params", "rep",
             "base", "new");
    printf("%-14s %-22s %-14.14s %5d %9.4f %9.4f%s\n", p[i].a->problem, p[i].a->method,
           p[i].a->problem_params, p[i].a->rep, ra, rb, slower ? "  REGRESSION: slower rate"
                                                                : "");
    regressions += slower;
  }
  return regressions;
}

/* One line per matched run; returns the regressions among them (time excepted). */
static int compare_runs(const pair *p, int n, const compare_opts *o, double slow)
{
  int regressions = 0;

  printf("%-14s %-16s %6s %6s %5s  %-21s %-17s %8s  %s\n", "problem", "method", "t", "k", "rep",
         "rel. error base>new", "calls base>new", "time x", "notes");
  for (int i = 0; i < n; i++) {
    const hg_record *a = p[i].a, *b = p[i].b;
    char notes[256] = "";
    size_t used = 0;
#define NOTE(...)                                                                             \
  do {                                                                                        \
    int w_ = snprintf(notes + used, sizeof notes - used, __VA_ARGS__);                        \
    used += w_ > 0 && (size_t)w_ < sizeof notes - used ? (size_t)w_ : 0;                      \
  } while (0)
    double floor = hg_roundoff_floor(b->kappa), ratio = a->wall_s > 0 ? b->wall_s / a->wall_s
                                                                      : NAN;
    int bad = 0;
    if (a->problem_rev != b->problem_rev)
      NOTE("problem revision %d -> %d; ", a->problem_rev, b->problem_rev);
    if (a->method_rev != b->method_rev)
      NOTE("method revision %d -> %d; ", a->method_rev, b->method_rev);
    if (a->inputs != b->inputs)
      NOTE("data changed; ");
    if (a->status == HG_OK && b->status != HG_OK) {
      NOTE("REGRESSION: status ok -> %s; ", hg_status_word(b->status));
      bad = 1;
    } else if (a->status == HG_OK && b->rel_error > floor &&
               !(b->rel_error <= a->rel_error * (1 + o->rtol))) {
      NOTE("REGRESSION: error up; ");
      bad = 1;
    }
    if (hg_record_calls(b) > hg_record_calls(a)) {
      NOTE("REGRESSION: more calls; ");
      bad = 1;
    }
    if (isfinite(ratio) && ratio > slow && a->wall_s >= 1e-3)
      NOTE("slower; ");
    char err[32], calls[32];
    snprintf(err, sizeof err, "%.2e>%.2e", a->rel_error, b->rel_error);
    snprintf(calls, sizeof calls, "%ld>%ld", hg_record_calls(a), hg_record_calls(b));
    printf("%-14s %-16s %6d %6d %5d  %-21s %-17s %8.3f  %s\n", a->problem, a->method,
           a->t_budget, a->k_budget, a->rep, err, calls, ratio, notes);
#undef NOTE
    regressions += bad;
  }
  return regressions;
}

int hg_cli_compare(int argc, char **argv)
{
  compare_opts o = {0.05, 1.5};
  const char *side[2] = {NULL, NULL};
  hg_record *rows[2] = {NULL, NULL};
  int nrows[2] = {0, 0}, status = 2, np = 0, only_base = 0;
  pair *p = NULL;
  keyed *keys = NULL;
  double *logs = NULL;
  hg_error err;

  hg_error_clear(&err);
  for (int i = 2; i < argc; i++) {
    char *end = NULL;
    if ((!strcmp(argv[i], "--rtol") || !strcmp(argv[i], "--time-ratio")) && i + 1 < argc) {
      double v = strtod(argv[i + 1], &end);
      if (!*argv[i + 1] || *end || !(v > 0) || !isfinite(v)) {
        fprintf(stderr, "hgbench: %s %s: expected a positive number\n", argv[i], argv[i + 1]);
        return 2;
      }
      *(!strcmp(argv[i], "--rtol") ? &o.rtol : &o.time_ratio) = v;
      i++;
    } else if (argv[i][0] != '-' && !side[0]) {
      side[0] = argv[i];
    } else if (argv[i][0] != '-' && !side[1]) {
      side[1] = argv[i];
    } else {
      fprintf(stderr, "hgbench: compare takes BASE NEW [--rtol R] [--time-ratio X] (got '%s')\n",
              argv[i]);
      return 2;
    }
  }
  if (!side[1]) {
    fprintf(stderr, "hgbench: compare needs BASE and NEW (results folders or files)\n");
    return 2;
  }
  for (int s = 0; s < 2; s++)
    if (read_side(side[s], &rows[s], &nrows[s], &err)) {
      fprintf(stderr, "hgbench: %s\n", err.msg);
      goto done;
    }

  /* match by base key: the new side sorted by its hash, each base row looked up */
  p = malloc((size_t)(nrows[0] + 1) * sizeof *p);
  logs = malloc((size_t)(nrows[0] + 1) * sizeof *logs);
  keys = malloc((size_t)(nrows[1] + 1) * sizeof *keys);
  if (!p || !logs || !keys) {
    fprintf(stderr, "hgbench: out of memory comparing %d runs\n", nrows[0]);
    goto done;
  }
  for (int j = 0; j < nrows[1]; j++)
    keys[j] = (keyed){hg_run_key(&rows[1][j], 0, NULL, 0), j};
  qsort(keys, (size_t)nrows[1], sizeof *keys, cmp_keyed);
  for (int i = 0; i < nrows[0]; i++) {
    const hg_record *b = NULL;
    keyed want = {hg_run_key(&rows[0][i], 0, NULL, 0), 0};
    const keyed *k = bsearch(&want, keys, (size_t)nrows[1], sizeof *keys, cmp_keyed);
    while (k && k > keys && k[-1].h == want.h) /* the first of equal hashes */
      k--;
    for (; k && k < keys + nrows[1] && k->h == want.h && !b; k++)
      if (hg_record_same_key(&rows[0][i], &rows[1][k->row]))
        b = &rows[1][k->row];
    if (!b) {
      only_base++;
      continue;
    }
    p[np++] = (pair){&rows[0][i], b, series_key(&rows[0][i])};
  }

  /* time: the median ratio, and the noise of the ratios */
  int nl = 0;
  for (int i = 0; i < np; i++)
    if (fmax(p[i].a->wall_s, p[i].b->wall_s) >= 1e-4 && p[i].a->wall_s > 0 &&
        p[i].b->wall_s > 0)
      logs[nl++] = log(p[i].b->wall_s / p[i].a->wall_s);
  double med = nl ? median(logs, nl) : 0, mad = 0;
  for (int i = 0; i < nl; i++)
    logs[i] = fabs(logs[i] - med);
  mad = nl ? 1.4826 * median(logs, nl) : 0;
  double noise = nl ? 3 * mad / sqrt((double)nl) : 0;
  double slow = fmax(o.time_ratio, exp(3 * mad));

  printf("compare: %s (%d runs) against %s (%d runs): %d matched by run key, %d only in the "
         "base, %d only in the new\n\n", side[1], nrows[1], side[0], nrows[0], np, only_base,
         nrows[1] - np);
  int regressions = compare_runs(p, np, &o, slow);
  regressions += compare_rates(p, np, &o);
  int slower = nl && exp(med) > o.time_ratio && med > noise;
  printf("\ntime: median ratio new/base %.3f over %d runs of at least 0.1 ms on one side "
         "(noise: robust deviation of the log ratio %.3f)%s\n", exp(med), nl, mad,
         slower ? "  REGRESSION: slower" : "");
  regressions += slower;
  printf("compare: %d regression(s)\n", regressions);
  status = regressions ? 1 : 0;
done:
  free(p);
  free(keys);
  free(logs);
  free(rows[0]);
  free(rows[1]);
  return status;
}

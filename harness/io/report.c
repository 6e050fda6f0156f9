/*
 * report.c -- report.md of a scenario (DESIGN §6): what ran, on which data; per problem
 * instance a table of every method at its largest budget, with its fitted rate set against the
 * theoretical rate (DESIGN §7); the expectations, passed or failed; the plots.
 */
#include "hg_io.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DASH "—" /* for a number that is not there */
#define ROUNDOFF_MARK "†" /* after the dash of a max err/bound left out at round-off */

/* ------------------------------------------------------------------------------------------ */
/* Markdown                                                                                    */
/* ------------------------------------------------------------------------------------------ */

/* Free text, with what markdown would read as markup escaped (| too, for tables) and line
 * breaks as spaces. */
static void md_text(FILE *f, const char *s)
{
  for (; *s; s++) {
    if ((unsigned char)*s < 0x20) {
      fputc(' ', f);
      continue;
    }
    if (strchr("\\`*_[]<>|#", *s))
      fputc('\\', f);
    fputc(*s, f);
  }
}

/* A code span (parameter words, paths).  In a table cell '|' must still be escaped: GFM
 * splits cells before it reads code spans, and drops the backslash. */
static void md_code(FILE *f, const char *s, int in_table)
{
  const char *fence = strchr(s, '`') ? "`` " : "`";
  fputs(fence, f);
  for (; *s; s++) {
    if (in_table && *s == '|')
      fputc('\\', f);
    fputc((unsigned char)*s < 0x20 ? ' ' : *s, f);
  }
  fputs(strchr(fence, ' ') ? " ``" : "`", f);
}

/* A link destination: <...> when it holds a space or parentheses. */
static void md_dest(FILE *f, const char *s)
{
  int wrap = strpbrk(s, " ()<>") != NULL;
  fputs(wrap ? "<" : "", f);
  for (; *s; s++)
    if (*s != '<' && *s != '>' && (unsigned char)*s >= 0x20)
      fputc(*s, f);
  fputs(wrap ? ">" : "", f);
}

/* Numbers: a dash when not finite. */
static void put_err(FILE *f, double v)
{
  if (isfinite(v))
    fprintf(f, "%.2e", v);
  else
    fputs(DASH, f);
}

static void put_g3(FILE *f, double v)
{
  if (isfinite(v))
    fprintf(f, "%.3g", v);
  else
    fputs(DASH, f);
}

static void put_rate(FILE *f, double v)
{
  if (isfinite(v))
    fprintf(f, "%#.4g", v);
  else
    fputs(DASH, f);
}

/* ------------------------------------------------------------------------------------------ */
/* Statistics                                                                                  */
/* ------------------------------------------------------------------------------------------ */

static int cmp_double(const void *pa, const void *pb)
{
  double a = *(const double *)pa, b = *(const double *)pb;
  return (a > b) - (a < b);
}

/* The median of v[0..n-1] (sorted in place); NAN when n = 0. */
static double median(double *v, int n)
{
  if (n == 0)
    return NAN;
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* A run whose error measures the method: it finished (or used up a tolerance-driven budget)
 * and was compared with a reference. */
static int usable(const hg_record *r)
{
  return (r->status == HG_OK || r->status == HG_ERR_BUDGET) && isfinite(r->rel_error);
}

/* A record's status as an index into the status list (an unknown one counts as an error). */
static int status_index(int status)
{
  return status >= 0 && status < HG_STATUS_COUNT ? status : HG_ERR_ARG;
}

/* "12 ok, 1 breakdown": counts by results.tsv word (statuses sharing a word add up). */
static void put_tally(FILE *f, const int count[HG_STATUS_COUNT])
{
  const char *sep = "";
  for (int s = 0; s < HG_STATUS_COUNT; s++) {
    int total = 0, earlier = 0;
    for (int e = 0; e < s && !earlier; e++)
      earlier = !strcmp(hg_status_word(e), hg_status_word(s));
    for (int t = s; t < HG_STATUS_COUNT && !earlier; t++)
      if (!strcmp(hg_status_word(t), hg_status_word(s)))
        total += count[t];
    if (earlier || total == 0)
      continue;
    fprintf(f, "%s%d %s", sep, total, hg_status_word(s));
    sep = ", ";
  }
}

/* ------------------------------------------------------------------------------------------ */
/* Grouping: instances (problem, its parameters, theta), and in each the methods              */
/* ------------------------------------------------------------------------------------------ */

static int same_instance(const hg_record *a, const hg_record *b)
{
  return !strcmp(a->problem, b->problem) && !strcmp(a->problem_params, b->problem_params) &&
         !strcmp(a->theta, b->theta);
}

/* The same method configuration: all of the run key but the seed and the budgets t, k. */
static int same_method(const hg_record *a, const hg_record *b)
{
  return same_instance(a, b) && !strcmp(a->method, b->method) &&
         !strcmp(a->method_params, b->method_params) && a->K == b->K &&
         a->tol_lower == b->tol_lower && a->tol_linear == b->tol_linear;
}

/* Number each row's class under `same`, classes numbered by first appearance; *first gets
 * each class's first row.  Returns the number of classes, or -1 when out of memory. */
static int classify(const hg_scenario *S, int (*same)(const hg_record *, const hg_record *),
                    int *cls, int **first)
{
  int nc = 0;
  *first = malloc((size_t)(S->n > 0 ? S->n : 1) * sizeof **first);
  if (!*first)
    return -1;
  for (int i = 0; i < S->n; i++) {
    int c = 0;
    while (c < nc && !same(&S->rows[(*first)[c]], &S->rows[i]))
      c++;
    if (c == nc)
      (*first)[nc++] = i;
    cls[i] = c;
  }
  return nc;
}

/* ------------------------------------------------------------------------------------------ */
/* One method's line                                                                           */
/* ------------------------------------------------------------------------------------------ */

/* Scratch shared by the lines of a report (each array S->n long). */
typedef struct scratch {
  const hg_record **rows; /* the method's rows */
  double *a, *b, *x, *y;
  int *idx;
} scratch;

/* The budget asked along axis 't' or 'k'. */
static int budget_of(const hg_record *r, char axis)
{
  return axis == 't' ? r->t_budget : r->k_budget;
}

/* Collect (budget, median error) along `along` from the rows that pass the filter: k tied to
 * t (mode 1) or the other budget at its largest value (mode 0); sorted by budget.  Returns
 * the number of points. */
static int collect(const hg_record *const *rows, int m, char along, int mode, scratch *w)
{
  char other = along == 't' ? 'k' : 't';
  int held = budget_of(rows[0], other), np = 0;
  for (int i = 1; i < m; i++)
    if (budget_of(rows[i], other) > held)
      held = budget_of(rows[i], other);
#define KEEP(r) (mode ? (r)->k_budget == (r)->t_budget : budget_of(r, other) == held)
  for (int i = 0; i < m; i++) {
    int v = budget_of(rows[i], along), seen = 0, ne = 0;
    if (!KEEP(rows[i]))
      continue;
    for (int j = 0; j < i && !seen; j++) /* each budget value once, at its first row */
      seen = KEEP(rows[j]) && budget_of(rows[j], along) == v;
    if (seen)
      continue;
    for (int j = i; j < m; j++)
      if (KEEP(rows[j]) && budget_of(rows[j], along) == v && usable(rows[j]))
        w->a[ne++] = rows[j]->rel_error;
    if (ne == 0)
      continue;
    w->x[np] = v;
    w->y[np++] = median(w->a, ne);
  }
#undef KEEP
  for (int i = 1; i < np; i++) /* insertion sort by budget */
    for (int j = i; j > 0 && w->x[j - 1] > w->x[j]; j--) {
      double tx = w->x[j], ty = w->y[j];
      w->x[j] = w->x[j - 1];
      w->y[j] = w->y[j - 1];
      w->x[j - 1] = tx;
      w->y[j - 1] = ty;
    }
  return np;
}

/* The fitted rate of the method's error along the budget that varies: of the three ways to
 * read the rows -- along t with k = t, along t with k at its largest, along k with t at its
 * largest -- the one with the most budgets; hg_fit_rate on the median error at each budget,
 * over hg_rate_window (from the error's peak on, above round-off).  *axis gets 't', 'k', or 0
 * when no budget varies. */
static void fit(const hg_record *const *rows, int m, double kappa, scratch *w, char *axis,
                double *rate, double *lo, double *hi)
{
  static const struct { char along; int mode; } ways[] = {{'t', 1}, {'t', 0}, {'k', 0}};
  int best = -1, best_np = 1;
  *rate = *lo = *hi = NAN;
  *axis = 0;
  for (int i = 0; i < 3; i++) {
    int np = collect(rows, m, ways[i].along, ways[i].mode, w);
    if (np > best_np) {
      best = i;
      best_np = np;
    }
  }
  if (best < 0)
    return;
  int np = collect(rows, m, ways[best].along, ways[best].mode, w);
  double floor = hg_roundoff_floor(kappa);
  int nw = hg_rate_window(np, w->y, floor, w->idx);
  for (int i = 0; i < nw; i++) { /* the window, compacted in place (idx increases) */
    w->x[i] = w->x[w->idx[i]];
    w->y[i] = w->y[w->idx[i]];
  }
  hg_fit_rate(nw, w->x, w->y, floor, rate, lo, hi);
  *axis = ways[best].along;
}

/* The budget asked ("100"); "37 of 100" when the runs used less (the median); a dash when
 * the method does not use this budget (every run used none of it). */
static void put_budget(FILE *f, const hg_record *const *at, int m, char axis, scratch *w)
{
  int asked = axis == 't' ? at[0]->t_budget : at[0]->k_budget, all = 1, none = 1;
  for (int i = 0; i < m; i++) {
    w->b[i] = axis == 't' ? at[i]->t : at[i]->k;
    all = all && w->b[i] == asked;
    none = none && w->b[i] == 0;
  }
  double used = median(w->b, m);
  if (all || used == asked)
    fprintf(f, "%d", asked);
  else if (none)
    fputs(DASH, f);
  else
    fprintf(f, "%.0f of %d", used, asked);
}

/* The largest abs_error / bound over the usable rows with a bound whose relative error is
 * above round-off (hg_roundoff_floor of the row's kappa): below the floor the error measures
 * the round-off of the reference, not the method, and its ratio to a bound falling like q^t
 * grows without meaning.  NAN when no row counts; *at_roundoff gets 1 when rows carry a bound
 * but every one of their errors is at round-off. */
static double max_ratio(const hg_record *const *rows, int m, int *at_roundoff)
{
  double worst = NAN;
  int bounded = 0;
  for (int i = 0; i < m; i++) {
    const hg_record *r = rows[i];
    if (!usable(r) || !isfinite(r->bound) || !(r->bound > 0))
      continue;
    bounded++;
    if (r->rel_error > hg_roundoff_floor(r->kappa))
      worst = isnan(worst) ? r->abs_error / r->bound : fmax(worst, r->abs_error / r->bound);
  }
  *at_roundoff = bounded > 0 && isnan(worst);
  return worst;
}

/* The rows at the largest budget (largest t, then k) into at; returns how many. */
static int largest_budget(const hg_record *const *rows, int m, const hg_record **at)
{
  int tmax = INT_MIN, kmax = INT_MIN, nat = 0;
  for (int i = 0; i < m; i++)
    if (rows[i]->t_budget > tmax)
      tmax = rows[i]->t_budget;
  for (int i = 0; i < m; i++)
    if (rows[i]->t_budget == tmax && rows[i]->k_budget > kmax)
      kmax = rows[i]->k_budget;
  for (int i = 0; i < m; i++)
    if (rows[i]->t_budget == tmax && rows[i]->k_budget == kmax)
      at[nat++] = rows[i];
  return nat;
}

/* The method cell: name, parameters, K when show_K, tolerances when set. */
static void put_method_cell(FILE *f, const hg_record *r0, int show_K)
{
  fputs("| ", f);
  md_text(f, r0->method);
  if (r0->method_params[0]) {
    fputc(' ', f);
    md_code(f, r0->method_params, 1);
  }
  if (show_K)
    fprintf(f, " K=%d", r0->K);
  if (r0->tol_lower > 0)
    fprintf(f, " tol\\_lower=%g", r0->tol_lower);
  if (r0->tol_linear > 0)
    fprintf(f, " tol\\_linear=%g", r0->tol_linear);
}

/* " | error | calls | wall | peak bytes | ": medians over the rows at the largest budget. */
static void put_medians(FILE *f, const hg_record *const *at, int nat, scratch *w)
{
  int ne = 0;
  for (int i = 0; i < nat; i++)
    if (usable(at[i]))
      w->a[ne++] = at[i]->rel_error;
  fputs(" | ", f);
  put_err(f, median(w->a, ne));
  for (int i = 0; i < nat; i++)
    w->a[i] = (double)hg_record_calls(at[i]);
  fprintf(f, " | %.0f | ", median(w->a, nat));
  for (int i = 0; i < nat; i++)
    w->a[i] = at[i]->wall_s;
  put_g3(f, median(w->a, nat));
  for (int i = 0; i < nat; i++)
    w->a[i] = (double)at[i]->peak_bytes;
  fprintf(f, " | %.0f | ", median(w->a, nat));
}

/* "fitted rate [lo, hi] (axis) | theoretical rate", the theory from at0's constants. */
static void put_rates(FILE *f, const hg_record *const *rows, int m, const hg_record *at0,
                      scratch *w)
{
  char axis;
  double rate, lo, hi;
  fit(rows, m, at0->kappa, w, &axis, &rate, &lo, &hi);
  put_rate(f, rate);
  if (isfinite(rate) && isfinite(lo) && isfinite(hi)) {
    fputs(" [", f);
    put_rate(f, lo);
    fputs(", ", f);
    put_rate(f, hi);
    fputc(']', f);
  }
  if (isfinite(rate))
    fprintf(f, " (%c)", axis);
  fputs(" | ", f);
  hg_constants c;
  hg_constants_unknown(&c);
  c.q = at0->q;
  c.kappa = at0->kappa;
  c.mu = at0->mu;
  c.L = at0->L;
  put_rate(f, axis ? hg_method_rate(rows[0]->method, &c, axis) : NAN);
}

/* The notes under the table: the first message of each kind of failure among rows. */
static void put_failures(FILE *notes, const hg_record *const *rows, int m,
                         const int count[HG_STATUS_COUNT])
{
  for (int s = 1; s < HG_STATUS_COUNT; s++) {
    if (!count[s])
      continue;
    const hg_record *r = NULL;
    for (int i = 0; i < m && !r; i++)
      if (status_index(rows[i]->status) == s)
        r = rows[i];
    fputs("- ", notes);
    md_text(notes, r->method);
    if (r->method_params[0]) {
      fputc(' ', notes);
      md_code(notes, r->method_params, 0);
    }
    fprintf(notes, ": %d %s (%s), e.g. at t = %d, k = %d", count[s], hg_status_word(s),
            hg_status_text(s), r->t_budget, r->k_budget);
    if (r->message[0]) {
      fputs(": ", notes);
      md_text(notes, r->message);
    }
    fputc('\n', notes);
  }
}

/* The table line of one method configuration (rows[0..m-1], in recording order), and its
 * failures for the notes under the table.  Returns 1 when its max err/bound is a dash because
 * every error with a bound is at round-off (the table's footnote ROUNDOFF_MARK explains). */
static int method_line(FILE *f, FILE *notes, const hg_record *const *rows, int m, int show_K,
                       scratch *w)
{
  const hg_record **at = w->rows + m; /* the rows at the largest budget, after rows */
  int nat = largest_budget(rows, m, at);

  put_method_cell(f, rows[0], show_K);
  fputs(" | ", f);
  put_budget(f, at, nat, 't', w);
  fputs(" | ", f);
  put_budget(f, at, nat, 'k', w);
  put_medians(f, at, nat, w);
  put_rates(f, rows, m, at[0], w);

  /* max err/bound over the budgets above round-off (DESIGN §7), and the runs above their
   * bound */
  int violated = 0, at_roundoff;
  double worst = max_ratio(rows, m, &at_roundoff);
  for (int i = 0; i < m; i++)
    violated += rows[i]->bound_violated;
  fputs(" | ", f);
  put_g3(f, worst);
  if (at_roundoff)
    fputs(ROUNDOFF_MARK, f);
  if (violated)
    fprintf(f, " (**%d above**)", violated);

  /* status: the tally over every budget */
  int count[HG_STATUS_COUNT] = {0};
  for (int i = 0; i < m; i++)
    count[status_index(rows[i]->status)]++;
  fputs(" | ", f);
  if (count[HG_OK] == m)
    fputs("ok", f);
  else
    put_tally(f, count);
  fputs(" |\n", f);
  put_failures(notes, rows, m, count);
  return at_roundoff;
}

/* ------------------------------------------------------------------------------------------ */
/* report.md                                                                                   */
/* ------------------------------------------------------------------------------------------ */

/* The heading of an instance: problem, its parameters, theta. */
static void instance_heading(FILE *f, const hg_record *r)
{
  fputs("## ", f);
  md_text(f, r->problem);
  if (r->problem_params[0]) {
    fputc(' ', f);
    md_code(f, r->problem_params, 0);
  } else
    fputs(" (default parameters)", f);
  fputs(", θ = ", f);
  md_code(f, r->theta[0] ? r->theta : "theta0", 0);
  fputs("\n\n", f);
}

/* The tables: one per instance, one line per method configuration. */
static int put_tables(FILE *f, const hg_scenario *S, hg_error *err)
{
  int status = HG_OK, ni = 0, ng = 0;
  int *inst = NULL, *grp = NULL, *inst_first = NULL, *grp_first = NULL;
  char *note_text = NULL;
  size_t note_len = 0;
  FILE *notes = NULL;
  scratch w = {0};
  size_t n = (size_t)(S->n > 0 ? S->n : 1);

  inst = malloc(n * sizeof *inst);
  grp = malloc(n * sizeof *grp);
  w.rows = malloc(2 * n * sizeof *w.rows);
  w.a = malloc(n * sizeof *w.a);
  w.b = malloc(n * sizeof *w.b);
  w.x = malloc(n * sizeof *w.x);
  w.y = malloc(n * sizeof *w.y);
  w.idx = malloc(n * sizeof *w.idx);
  if (!inst || !grp || !w.rows || !w.a || !w.b || !w.x || !w.y || !w.idx ||
      (ni = classify(S, same_instance, inst, &inst_first)) < 0 ||
      (ng = classify(S, same_method, grp, &grp_first)) < 0) {
    status = hg_fail(err, HG_ERR_NOMEM, "out of memory writing report.md (%d rows)", S->n);
    goto done;
  }

  for (int k = 0; k < ni; k++) {
    instance_heading(f, &S->rows[inst_first[k]]);
    fputs("| method | t | k | rel. error | oracle calls | wall [s] | peak bytes | fitted rate "
          "| theory | max err/bound | status |\n"
          "|:--|--:|--:|--:|--:|--:|--:|:--|--:|--:|:--|\n", f);
    if (!(notes = open_memstream(&note_text, &note_len))) {
      status = hg_fail(err, HG_ERR_NOMEM, "out of memory writing report.md");
      goto done;
    }
    int roundoff_dash = 0;
    for (int g = 0; g < ng; g++) {
      const hg_record *r0 = &S->rows[grp_first[g]];
      if (inst[grp_first[g]] != k)
        continue;
      int m = 0, show_K = 0;
      for (int i = 0; i < S->n; i++)
        if (grp[i] == g)
          w.rows[m++] = &S->rows[i];
      /* K is shown when this instance runs the same method with other K */
      for (int h = 0; h < ng && !show_K; h++) {
        const hg_record *r = &S->rows[grp_first[h]];
        show_K = inst[grp_first[h]] == k && r->K != r0->K && !strcmp(r->method, r0->method) &&
                 !strcmp(r->method_params, r0->method_params);
      }
      roundoff_dash |= method_line(f, notes, w.rows, m, show_K, &w);
    }
    if (roundoff_dash)
      fputs("\n" ROUNDOFF_MARK " Every error of this method that has a bound is at round-off "
            "(below 50 ε max(1, κ)): its ratio to the bound would measure the round-off of the "
            "reference, not the bound.\n", f);
    int bad = ferror(notes);
    bad = fclose(notes) != 0 || bad;
    notes = NULL;
    if (bad) {
      status = hg_fail(err, HG_ERR_NOMEM, "out of memory writing report.md");
      goto done;
    }
    if (note_len)
      fprintf(f, "\nFailures:\n\n%s", note_text);
    fputc('\n', f);
    free(note_text);
    note_text = NULL;
  }

done:
  if (notes)
    fclose(notes);
  free(note_text);
  free(inst);
  free(grp);
  free(inst_first);
  free(grp_first);
  free(w.rows);
  free(w.a);
  free(w.b);
  free(w.x);
  free(w.y);
  free(w.idx);
  return status;
}

/* What ran: the script, when, how many runs and outer runs, their statuses, the data. */
static void put_what_ran(FILE *f, const hg_scenario *S)
{
  fputs("# Scenario ", f);
  md_text(f, S->name);
  fputs("\n\n- Script: ", f);
  if (S->script[0])
    md_code(f, S->script, 0);
  else
    fputs("unknown", f);
  fputs("\n- Started: ", f);
  fputs(S->start_iso[0] ? S->start_iso : "unknown", f);
  fprintf(f, "\n- Runs: %d recorded", S->n);
  if (S->n_resumed)
    fprintf(f, ", %d of them read back from an earlier results.tsv (%d runs asked again were "
            "answered from those)", S->n_resumed, S->n_skipped);
  int count[HG_STATUS_COUNT] = {0};
  for (int i = 0; i < S->n; i++)
    count[status_index(S->rows[i].status)]++;
  if (S->n_outer)
    fprintf(f, "\n- Outer runs: %d (%d rows in `optimize.tsv`)", S->n_outer, S->n_outer_rows);
  if (S->n) {
    fputs("\n- Status: ", f);
    put_tally(f, count);
  } else if (!S->n_outer) {
    fputs("\n- Status: no runs", f);
  }
  hg_plugin_ref used[64];
  int n_used = hg_scenario_plugins(S, used, 64);
  if (n_used)
    fputs("\n- Plugins used and their revisions:", f);
  for (int i = 0; i < n_used; i++) {
    fprintf(f, "%s %s ", i ? "," : "", used[i].kind);
    md_code(f, used[i].name, 0);
    fprintf(f, " r%d", used[i].revision);
  }
  if (S->n_redone)
    fprintf(f, "\n- Redone: %d runs whose rows in results.tsv came from other input files or "
            "plugin revisions", S->n_redone);
  if (S->n_data)
    fputs("\n- Data (each problem instance run on, as `hgbench info` describes it):", f);
  for (int i = 0; i < S->n_data; i++) {
    const hg_data_ref *d = &S->data[i];
    char head[600];
    snprintf(head, sizeof head, "%s%s%s", d->problem, d->params[0] ? " " : "", d->params);
    fputs("\n  - ", f);
    md_code(f, head, 0);
    fputs(": ", f);
    md_text(f, d->text[0] ? d->text : "(no description)");
  }
  fputs("\n\n", f);
}

/* The expectations, passed or failed, each where the script made it. */
static void put_expectations(FILE *f, const hg_scenario *S)
{
  int failed = 0;
  for (int i = 0; i < S->n_exp; i++)
    failed += !S->exps[i].pass;
  fputs("## Expectations\n\n", f);
  if (S->n_exp == 0)
    fputs("None.\n", f);
  else
    fprintf(f, "%d of %d passed.\n\n", S->n_exp - failed, S->n_exp);
  for (int i = 0; i < S->n_exp; i++) {
    const hg_expectation *e = &S->exps[i];
    fputs(e->pass ? "- PASS " : "- **FAIL** ", f);
    md_text(f, e->what);
    if (e->where[0]) {
      fputs(" (", f);
      md_code(f, e->where, 0);
      fputc(')', f);
    }
    fputc('\n', f);
  }
}

/* The tables the scenario made (hg.table), then its plots: a PNG shown, other formats
 * linked. */
static void put_tables_and_plots(FILE *f, const hg_scenario *S)
{
  if (S->n_tables > 0)
    fputs("\n## Tables\n", f);
  for (int i = 0; i < S->n_tables; i++) {
    fputs("\n### ", f);
    md_text(f, S->tables[i].title);
    fprintf(f, "\n\n%s\n", S->tables[i].markdown);
  }

  fputs("\n## Plots\n\n", f);
  if (S->n_plots == 0)
    fputs("None.\n", f);
  for (int i = 0; i < S->n_plots; i++) {
    const hg_plot_ref *p = &S->plots[i];
    const char *dot = strrchr(p->file, '.');
    int png = dot && !strcmp(dot, ".png");
    fputs(png ? "![" : "- [", f);
    md_text(f, p->title[0] ? p->title : p->file);
    fputs("](", f);
    md_dest(f, p->file);
    fputs(png ? ")\n\n" : ")\n", f);
  }
}

int hg_report_write(const hg_scenario *S, hg_error *err)
{
  int status = HG_OK;
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);

  if (!f) {
    status = hg_fail(err, HG_ERR_NOMEM, "out of memory writing report.md");
    goto done;
  }

  put_what_ran(f, S);

  /* the tables */
  if (S->n) {
    fputs("Each method at its largest budget (largest t, then k), medians over repetitions: "
          "relative error ‖ĝ − ∇f‖ / ‖∇f‖, oracle calls (Φ and Jacobian products), wall time, "
          "peak extra memory.  Fitted rate: r in error ≈ C r^b along the budget b that varies "
          "(in parentheses), by least squares on the median errors above round-off "
          "(50 ε max(1, κ)), with its 95 % interval; theory: DESIGN §7, from the constants "
          "at θ; max err/bound: the largest ratio of the absolute error to its DESIGN §7 bound "
          "over the budgets whose error is above round-off (above 1: the bound is violated, "
          "flagged in results.tsv).\n\n", f);
    if ((status = put_tables(f, S, err)) != HG_OK)
      goto done;
  }

  put_expectations(f, S);
  put_tables_and_plots(f, S);

  int bad = ferror(f);
  bad = fclose(f) != 0 || bad;
  f = NULL;
  if (bad) {
    status = hg_fail(err, HG_ERR_NOMEM, "out of memory writing report.md");
    goto done;
  }
  status = hg_write_atomic(S->outdir, "report.md", text, len, err);

done:
  if (f)
    fclose(f);
  free(text);
  return status;
}

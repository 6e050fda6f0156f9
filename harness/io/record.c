/*
 * record.c -- results.tsv rows (hg_record, DESIGN §6): what is computed from a row, shared by
 * the report (harness/io/report.c) and the scenario folder (harness/cli/scenario.c).
 */
#include "hg_io.h"

#include <string.h>

/* Oracle calls of a record: Phi and Jacobian products. */
long hg_record_calls(const hg_record *r)
{
  return hg_counts_oracle(&r->counts);
}

/* Add (kind, name, rev) to out[0..*n) unless there already (a scenario uses a few plugins). */
static void note_plugin(hg_plugin_ref *out, int max, int *n, const char *kind, const char *name,
                        int rev)
{
  for (int i = 0; i < *n; i++)
    if (out[i].revision == rev && !strcmp(out[i].kind, kind) && !strcmp(out[i].name, name))
      return;
  if (*n >= max)
    return;
  out[*n].kind = kind;
  snprintf(out[*n].name, sizeof out[*n].name, "%s", name);
  out[*n].revision = rev;
  (*n)++;
}

int hg_scenario_plugins(const hg_scenario *S, hg_plugin_ref *out, int max)
{
  int n = 0;
  for (int i = 0; i < S->n; i++) {
    note_plugin(out, max, &n, "problem", S->rows[i].problem, S->rows[i].problem_rev);
    note_plugin(out, max, &n, "method", S->rows[i].method, S->rows[i].method_rev);
  }
  for (int i = 0; i < S->n_outer_plugins; i++)
    note_plugin(out, max, &n, S->outer_plugins[i].kind, S->outer_plugins[i].name,
                S->outer_plugins[i].revision);
  return n;
}

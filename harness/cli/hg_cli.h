/*
 * hg_cli.h -- the internal header of the cli layer (harness/cli, lua/, library hg_cli, the
 * top): a scenario's output folder, driven by the commands and the Lua binding.
 */
#ifndef HG_CLI_H
#define HG_CLI_H

#include "hg_plugins.h"

/* ------------------------------------------------------------------------------------------ */
/* Scenarios: the output folder of a scenario run (harness/cli/scenario.c)                    */
/* ------------------------------------------------------------------------------------------ */

/* Open a scenario writing into outdir (created if missing; NULL: none, for a plan, which
 * records nothing).  An existing outdir/results.tsv
 * is read back once into a hash index so runs already recorded are skipped (resume); a last
 * line cut short by a kill is dropped with a warning on stderr and cut from the file; any
 * other malformed line is an error naming the file and line. */
int hg_scenario_open(const char *script, const char *outdir, hg_scenario **S, hg_error *err);
void hg_scenario_destroy(hg_scenario **S);
/* Complete r's key (r->inputs: its input files' content hash; r's revisions are the
 * caller's) and return the recorded row with that key (hg_run_key), or NULL.  *stale (may be
 * NULL) is 1 when a row with r's base key is recorded from other input files or revisions:
 * the run is to be redone, and hg_scenario_add's row then replaces it. */
const hg_record *hg_scenario_find(hg_scenario *S, hg_record *r, int *stale);
/* Append r's row to results.tsv and flush it to the disk (fdatasync). */
int hg_scenario_add(hg_scenario *S, const hg_record *r, hg_error *err);
int hg_scenario_expect(hg_scenario *S, int pass, const char *what, const char *where,
                       hg_error *err);
int hg_scenario_add_plot(hg_scenario *S, const char *file, const char *title, hg_error *err);
/* Add a table (its markdown copied) to the report, under its title. */
int hg_scenario_add_table(hg_scenario *S, const char *title, const char *markdown,
                          hg_error *err);
/* Record that runs were made on problem P (params: its key=value words as results.tsv has
 * them): its describe() text joins S->data unless the same (problem, params, text) is there
 * already.  report.md lists them under "Data" and manifest.json in "data". */
int hg_scenario_add_data(hg_scenario *S, const hg_problem *P, const char *params,
                         hg_error *err);
/* Write report.md and manifest.json (atomically), and rewrite results.tsv (atomically) when
 * rows were superseded by runs redone.  *failed gets the number of failed expectations. */
int hg_scenario_finish(hg_scenario *S, int *failed, hg_error *err);

/* Append the rows of an outer run (hg_optimize_tsv, prefixed by label) to S's optimize.tsv
 * and rewrite it atomically. */
int hg_scenario_add_optimize(hg_scenario *S, const hg_outer_result *res, const char *label,
                             const char *problem, const char *outer, const char *method,
                             hg_error *err);
/* Read the rows of a results.tsv (read-only: nothing is cut or rewritten) into *rows (n of
 * them, malloc'ed), a later row with the same base key replacing an earlier one, as on
 * resume; a malformed line is an error naming the file and line, a torn last line is dropped
 * with a warning on stderr. */
int hg_results_read(const char *path, hg_record **rows, int *n, hg_error *err);
/* Put S's rows in the order of the base keys (hg_run_key hashes) base[0..n), rows not named
 * after them in their order: report.md and the results.tsv that hg_scenario_finish rewrites
 * then follow it (a sweep's reporting pass: a serial run's order). */
int hg_scenario_order(hg_scenario *S, const uint64_t *base, int n, hg_error *err);
/* Write dir/results.tsv (atomically) with the header and rows, scenario their first column. */
int hg_results_write(const char *dir, const char *scenario, const hg_record *rows, int n,
                     hg_error *err);
/* hgbench compare BASE NEW [--rtol R] [--time-ratio X] (harness/cli/compare.c): argv from the
 * command on; returns the exit status (0 no regression, 1 a regression, 2 bad input). */
int hg_cli_compare(int argc, char **argv);

/* The measuring modes of hgbench bench (harness/cli/bench.c):
 *   "limits", --limits [n=N d=D]: the machine's read bandwidth and GEMV/GEMM rates, then each
 *     kernel's time, bytes, flops and fraction of them (a PROBLEM is an error: the instances
 *     are its own);
 *   "vs-torch", PROBLEM train= val= ... --vs-torch: itd, aid-fp, aid-cg of hgbench and of
 *     bench/torch_baseline.py (embedded; run by HGBENCH_PYTHON or /usr/bin/python3) on the
 *     same files at the budget, median of `repeat` runs, errors against exact;
 *   "scale", PROBLEM ... --scale n|d|t: the methods (default itd, itd:checkpoints=10, aid-fp,
 *     aid-cg) on the geometric grid base x 1, 2, 4, 8, 16 of n=, d= (base: the word given, else
 *     1000 and 100) or --t; time and peak memory fitted to size^b with 95 % intervals
 *     (hg_fit_slope), printed, and plotted into `out` (default ".") as scale-AXIS-time and
 *     scale-AXIS-memory when gnuplot is there.
 * Prints to stdout; returns the exit status (0, 2 bad input or an error in err, 77 when the
 * torch baseline cannot run: no python3 with torch). */
typedef struct hg_bench_args {
  const char *mode, *axis, *problem, *methods, *out;
  int nwords;
  const char *const *words;
  hg_budget budget;
  long repeat;
} hg_bench_args;
int hg_cli_bench_mode(const hg_bench_args *a, hg_error *err);

/* mkdir -p dir (an existing folder is fine; a file in the way is an error naming it). */
int hg_make_dirs(const char *dir, hg_error *err);

#endif /* HG_CLI_H */

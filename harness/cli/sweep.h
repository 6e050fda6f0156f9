/*
 * sweep.h -- a scenario as a list of runs (DESIGN §6): the planning pass records every run call
 * of a script (its key and estimated cost) without executing it, and a driver then
 * executes the runs it is given (a shard, MPI's dynamic hand-out) through the same Lua state.
 * The reporting pass reruns the script over the collected results.  harness/cli/sweep.c holds
 * plan, shards, merge, status and slurm; harness/cli/mpi.c the MPI driver; lua/hglua.c the
 * hooks in hg.hypergrad and hg.optimize.
 */
#ifndef HG_SWEEP_H
#define HG_SWEEP_H

#include "hg_cli.h"

/* How hg.hypergrad and hg.optimize behave. */
enum {
  HG_PLAN_OFF = 0, /* a plain `hgbench run`: run what is not recorded, answer the rest */
  HG_PLAN_RECORD,  /* planning pass: record each run (a unit), execute nothing, return a
                      placeholder (status "planned"); expectations, plots, tables skipped */
  HG_PLAN_EXEC,    /* a driver executes units recorded by the planning pass */
  HG_PLAN_REPORT,  /* reporting pass: recorded runs answered, missing ones not run (status
                      "missing" in the run table, counted in n_missing) */
};

/* One run of the list. */
typedef struct hg_unit {
  uint64_t key;    /* hypergradient: the full run key (hg_run_key); outer: the outer key */
  uint64_t base;   /* hypergradient: the base key; outer: the outer key */
  double cost;     /* estimated work: vector entries touched, n * iterations */
  double mem;      /* estimated peak bytes of the run */
  char kind;       /* 'h' a hypergradient (results.tsv row), 'o' an outer run (outer/KEY.run) */
  char what[160];  /* problem, method and budget, for `hgbench plan` */
} hg_unit;

typedef struct hg_plan {
  int mode;         /* HG_PLAN_* */
  int n, cap;
  hg_unit *units;   /* owned: in the order the script asked for them, each key once */
  uint64_t *seen;   /* owned: the keys of units, open addressing (0: empty slot) */
  int n_seen;       /* slots of seen, a power of two at least twice n */
  int n_missing;    /* HG_PLAN_REPORT: runs asked for and not recorded */
  int n_ran;        /* HG_PLAN_EXEC: units executed (not answered from the folder) */
  /* Set by hg_lua_run for the driver: execute unit j (recorded in the folder, or answered
   * from it when it is there already). */
  int (*exec)(struct hg_plan *plan, int j, hg_error *err);
  void *lua;        /* the Lua state exec runs in */
  /* The driver, called after the planning pass (NULL: plan only). */
  int (*drive)(struct hg_plan *plan, void *ctx, hg_error *err);
  void *ctx;
} hg_plan;

/* Record a unit (copied) unless one with its key is recorded already (a run the script asks
 * for twice is one unit); *added (may be NULL) says which.  HG_ERR_NOMEM when out of memory. */
int hg_plan_add(hg_plan *plan, const hg_unit *u, int *added, hg_error *err);
void hg_plan_release(hg_plan *plan);

/* The units of shard i of n: longest estimated first, each to the shard with the least
 * estimated work so far (ties: the lower shard), deterministic for a given list.  shard[j]
 * gets unit j's shard. */
void hg_plan_shards(const hg_plan *plan, int n, int *shard);
/* The unit indices by estimated cost, longest first (ties in list order), into order. */
void hg_plan_order(const hg_plan *plan, int *order);

/* Estimates (sweep.c): a hypergradient run on n_w, n_theta with budget b, and an outer run of
 * `steps` such runs. */
void hg_estimate_run(int n_w, int n_theta, const hg_budget *b, double *cost, double *mem);

/* The per-run store of what results.tsv does not hold: DIR/vectors.tsv (hypergradient and
 * exact reference of each run, exact to the bit, appended and flushed per run) and
 * DIR/outer/KEY.run (an outer run's rows).  Both are read back on resume and merged. */
int hg_vectors_append(const char *dir, uint64_t key, int n, const double *grad,
                      const double *exact, hg_error *err);
/* One vectors.tsv line into f (hg_vectors_append's format). */
void hg_vectors_put(FILE *f, uint64_t key, int n, const double *grad, const double *exact);
/* Call row for each line of DIR/vectors.tsv (exact NULL when the run had none); a missing
 * file has no lines.  Returns the number of lines read. */
int hg_vectors_read(const char *dir,
                    void (*row)(void *ctx, uint64_t key, int n, const double *grad,
                                const double *exact),
                    void *ctx);
int hg_outer_store(const char *dir, uint64_t key, const hg_outer_result *R, hg_error *err);
/* 1 and R filled (owned by the caller: hg_outer_result_release) when DIR/outer/KEY.run holds
 * a run written by this build; 0 otherwise. */
int hg_outer_load(const char *dir, uint64_t key, hg_outer_result *R);

/* ------------------------------------------------------------------------------------------ */
/* The executable's side (sweep.c, mpi.c: they drive hg_lua_run)                              */
/* ------------------------------------------------------------------------------------------ */

struct hg_lua_opts;

/* `run SCENARIO --shard i/N --out DIR`: the planning pass, then shard i's units into
 * DIR/shard-i-of-N.  Returns the exit status (messages printed). */
int hg_cli_run_shard(const char *script, const char *outdir, const struct hg_lua_opts *lo,
                     const char *spec, int traceback);
/* `run SCENARIO --mpi --out DIR` under mpirun (mpi.c; without HGBENCH_MPI an error). */
int hg_cli_run_mpi(const char *script, const char *outdir, const struct hg_lua_opts *lo,
                   int traceback);
/* Merge the result folders srcs (each with its shard-* and rank-* folders) and dir's own
 * results into dir (results.tsv in the plan's order, vectors.tsv, outer/), then the reporting
 * pass of script over them (report.md, plots, manifest.json, optimize.tsv): run_missing 0 leaves
 * runs not found unrun (*missing counts them), 1 runs them.  *failed: failed expectations. */
int hg_sweep_merge(const char *const *srcs, int nsrc, const char *dir, const char *script,
                   const struct hg_lua_opts *lo, int run_missing, int *missing, int *failed,
                   hg_error *err);
/* Write dir/sweep.txt (dir created): the scenario's absolute path, for merge and status. */
int hg_sweep_note(const char *dir, const char *script, hg_error *err);
/* state[j] of each unit of plan over dir and its shard-* and rank-* folders: 0 missing,
 * 1 done (status ok or budget), 2 failed (another status). */
int hg_sweep_states(const char *dir, const hg_plan *plan, int *state, hg_error *err);

/* The commands (sweep.c): argv from the command on; each returns the exit status. */
int hg_cli_plan(int argc, char **argv);
int hg_cli_merge(int argc, char **argv);
int hg_cli_status(int argc, char **argv);
int hg_cli_slurm(int argc, char **argv);

#endif /* HG_SWEEP_H */

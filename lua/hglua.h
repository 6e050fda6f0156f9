/*
 * hglua.h -- private header of the `hgbench` Lua module (lua/hglua.c, lua/hgbench.lua).
 */
#ifndef HGLUA_H
#define HGLUA_H

#include <stddef.h>

#include "hg_cli.h"

/* Run the scenario script at `script`, writing into outdir (results.tsv, plots, report.md,
 * manifest.json through hg_scenario_*).  Returns HG_OK when the script ran to the end (then
 * *failed = failed expectations); a Lua error returns HG_ERR_ARG (HG_ERR_NOMEM when Lua ran out
 * of memory) with err->msg = "file:line: message" and the traceback ("stack traceback:\n...",
 * truncated to tracelen) in trace, which may be NULL, for the CLI to print on request; what was
 * recorded so far is still written (results.tsv, report.md, manifest.json).  A script that
 * cannot be opened is HG_ERR_IO, before anything is created; a failure of hg_scenario_open or
 * hg_scenario_finish returns its status. */
/* What a scenario may do (hgbench run's options). */
typedef struct hg_lua_opts {
  int sandbox;                   /* --sandbox: no processes, native code or debug library;
                                    files written under outdir only, read from the script's
                                    folder, the installed data sets, outdir and allow_read */
  const char *const *allow_read; /* --allow-read DIR folders (may be NULL) */
  int n_allow_read;
  double max_seconds;            /* --max-seconds: wall-clock budget of the script (0: none) */
  size_t max_memory;             /* --max-memory: cap on one run's workspace (0: none) */
  struct hg_plan *plan;          /* a sweep's pass (sweep.h; NULL: a plain run).  Planning
                                    (HG_PLAN_RECORD): outdir may be NULL (nothing written);
                                    an error after the first unit ends the pass, not the run;
                                    plan->drive then executes units in the same state */
} hg_lua_opts;

/* opts may be NULL (no limits).  A binary (precompiled) script is refused, as is any binary
 * chunk the script tries to load. */
int hg_lua_run(const char *script, const char *outdir, const hg_lua_opts *opts, int *failed,
               char *trace, size_t tracelen, hg_error *err);

/* For a caller that runs many chunks in one state (the Lua fuzz target; hg_lua_run does this
 * for one script): set up L as hg_lua_run sets up its state -- the standard libraries, the
 * loaders, the sandbox when pol->sandbox, the module as global hg -- recording runs into S under
 * pol (both borrowed, and read again on every call, so the caller may move pol->deadline).
 * Returns HG_ERR_NOMEM when Lua ran out of memory. */
typedef struct lua_State lua_State;
int hg_lua_prepare(lua_State *L, hg_scenario *S, const hg_policy *pol, hg_error *err);
/* (Re)arm the check of pol->deadline (every few thousand instructions; once it has fired, the
 * hook checks at every instruction until re-armed). */
void hg_lua_arm_deadline(lua_State *L);

#endif /* HGLUA_H */

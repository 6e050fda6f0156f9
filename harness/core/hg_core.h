/*
 * hg_core.h -- the internal header of the core layer (harness/core, library hg_core): what the
 * harness needs beyond the public plugin header hgbench.h -- parameter parsing, problem
 * instances, theory, runs, the lower-trajectory cache, the outer-loop driver, checks, rates,
 * verification and the registry.  Layers above (io, plugins, cli) may include it; nothing in
 * harness/core includes a header of a higher layer.
 */
#ifndef HG_CORE_H
#define HG_CORE_H

#include "hgbench.h"

typedef struct hg_policy hg_policy; /* what a run may touch: below, "What a run may touch" */

/* ------------------------------------------------------------------------------------------ */
/* Parameters: parsing, and the text of what was given (harness/core/params.c)                */
/* ------------------------------------------------------------------------------------------ */

/* Parse words "key=value" against schema.  Unknown keys, repeated keys, values of the wrong
 * type or out of range are errors naming owner (e.g. "problem 'ridge'") and the key. */
int hg_params_parse(const hg_param_spec *schema, const char *owner, int nwords,
                    const char *const *words, hg_params **out, hg_error *err);
void hg_params_destroy(hg_params **p);
/* "key=value key=value" of the explicitly given keys in schema order (owned by p). */
const char *hg_params_text(const hg_params *p);
/* Attach the policy problem creation runs under (borrowed; NULL: none): hg_params_reserve
 * reads its memory cap. */
void hg_params_set_policy(hg_params *p, const hg_policy *pol);

/* ------------------------------------------------------------------------------------------ */
/* Matrices: helpers shared with the readers of harness/io (harness/core/matrix.c)            */
/* ------------------------------------------------------------------------------------------ */

/* calloc that never asks for 0 bytes (so NULL always means "out of memory"). */
void *hg_zalloc(size_t count, size_t elem);
/* 1 if a dense rows x cols array of doubles can be addressed (its entry count fits a long,
 * which hg_matrix.nnz holds, and its byte size fits a size_t). */
int hg_matrix_dense_ok(long rows, long cols);

/* ------------------------------------------------------------------------------------------ */
/* What a run may touch (harness/core/policy.c): files, memory, time                          */
/* ------------------------------------------------------------------------------------------ */

/* The limits the user set for a command or a scenario, passed explicitly to whatever opens
 * files or runs methods on its behalf (hg_problem_create_under, hg_run_opts.policy). */
struct hg_policy {
  int sandbox;                   /* 1: paths are checked against the roots below */
  const char *const *read_roots; /* resolved folders files may be read from (borrowed) */
  int n_read;
  const char *write_root;        /* resolved folder files may be written (and read) under */
  size_t mem_cap;                /* bytes one run may allocate (0: no cap) */
  double deadline;               /* hg_now() time after which runs stop (0: none) */
};

/* Under pol->sandbox, HG_ERR_IO naming who and path unless path, resolved by realpath (".."
 * and symlinks followed), lies under the write root, or for reading (write = 0) under a read
 * root.  A path that does not exist yet is resolved through its folder.  HG_OK when pol is
 * NULL or not a sandbox. */
int hg_policy_check(const hg_policy *pol, const char *path, int write, const char *who,
                    hg_error *err);
/* hg_policy_check for reading on every file named by a problem's data parameters among words
 * (train=, val=, images=, clean=, noisy=, path=; comma-separated lists; the keywords
 * synthetic and fashion-mnist are not files). */
int hg_policy_check_words(const hg_policy *pol, const char *owner, int nwords,
                          const char *const *words, hg_error *err);
/* HG_OK if path is a regular file; else HG_ERR_IO naming `what` and path ("is not a regular
 * file", or why it cannot be opened).  Opens without blocking (a FIFO, a terminal) and
 * closes again. */
int hg_regular_file(const char *path, const char *what, hg_error *err);
/* Parse a size in bytes: a number with an optional suffix K, M, G or T (powers of 1024,
 * "k" also accepted) and an optional B: "512M", "2G", "1048576".  HG_ERR_ARG (and *out
 * untouched) otherwise. */
int hg_parse_size(const char *s, size_t *out);
/* s with control bytes escaped (\n, \t, \xNN) for an error message, in buf (truncated to
 * len with "..."); returns buf. */
const char *hg_escape(const char *s, char *buf, size_t len);

/* ------------------------------------------------------------------------------------------ */
/* Problem instances, theory and theta (harness/core/instance.c, problem.c, theory.c)         */
/* ------------------------------------------------------------------------------------------ */

/* Create problem `name` from "key=value" words. */
int hg_problem_create(const char *name, int nwords, const char *const *words, hg_problem **out,
                      hg_error *err);
void hg_problem_destroy(hg_problem **P);
/* The same within pol's limits (NULL: none): under a sandbox the data files its parameters
 * name are checked first (hg_policy_check_words); the problem reads the memory cap through
 * its parameters (hg_params_reserve).  pol is borrowed for the problem's creation only. */
int hg_problem_create_under(const char *name, int nwords, const char *const *words,
                            const hg_policy *pol, hg_problem **out, hg_error *err);

/* The theory of P at theta from w0 (NULL: zeros) given w*: constants from the problem, then
 * L_E = ||grad_w E(w*)|| + mu1 D and L_Phi = ||d_theta Phi(w*)||_2 + nu2 D (the norm by Lanczos
 * on d_theta Phi^T d_theta Phi), and c1..c3.  Calls the problem's ops directly (not counted).
 * Constants the problem does not provide stay NAN, and so do the bounds built on them. */
int hg_theory_at(hg_problem *P, const double *theta, const double *wstar, const double *w0,
                 hg_theory *th, hg_error *err);
/* Trajectory-local constants (DESIGN §7) along w*, w_0 .. w_t of the lower iteration from w0
 * (replayed, not counted): q = max ||d_w Phi(w_s)||, L_E = max ||grad_w E(w_s)||, L_Phi =
 * max ||d_theta Phi(w_s)||, nu1, nu2, mu1, mu2 the largest ratios ||A(w_s) - A(w*)|| /
 * ||w_s - w*||; then c1..c3.  Costs a few Lanczos runs per iterate: for analysis, not sweeps. */
int hg_theory_local(hg_problem *P, const double *theta, const double *wstar, const double *w0,
                    int t, hg_theory *th, hg_error *err);
/* The inexact (eps, delta) bound of DESIGN §7 for an implicit estimate
 *     ghat = grad_theta E(w) + d_theta Phi(w)^T v,
 * with eps >= ||w - w*|| and delta >= ||(I - d_w Phi(w)^T) v - grad_w E(w)|| (the adjoint
 * system's residual) and gw_norm = ||grad_w E(w)||:
 *     omega = c eps + (L_Phi/(1-q)) delta,   c = mu2 + nu2 V + L_Phi (mu1 + nu1 V)/(1-q),
 *     V = (gw_norm + mu1 eps)/(1-q) >= ||v*||,
 * the form c(w)eps + (||J||/mu) delta + O(eps^2) of Ehrhardt & Roberts and MAID written for a
 * contraction Phi (mu -> 1 - q, J -> d_theta Phi); derivation in docs/theory.md.  NAN when a
 * constant is unknown or q >= 1. */
double hg_omega(const hg_theory *th, double eps, double delta, double gw_norm);

/* eps, delta and omega measured a posteriori at (w, v), as an adaptive method would (MAID):
 * eps = ||Phi(w) - w||/(1-q) >= ||w - w*||, delta the residual above (one Phi, one vjp_w and
 * one grad E, through the ops, not counted). */
typedef struct hg_inexact {
  double eps, delta, gw_norm, omega;
} hg_inexact;
int hg_inexact_at(hg_problem *P, const hg_theory *th, const double *theta, const double *w,
                  const double *v, hg_inexact *x, hg_error *err);

/* Free a problem's cache of local constants (hg_problem_destroy calls it). */
void hg_theory_cache_free(void *cache);

/* Read theta from a CLI/Lua spec: a number broadcast to all n entries, or "@FILE" with one
 * number per line.  NaN, infinities, wrong counts and malformed lines are errors. */
int hg_theta_parse(const char *spec, int n, double *theta, hg_error *err);
/* Reject theta with a non-finite entry, naming the index. */
int hg_theta_check(int n, const double *theta, hg_error *err);
/* Bytes of a theta/w0 file at most (n values of at most a few hundred bytes each). */
#define HG_THETA_MAX_BYTES (64LL << 20)

/* ------------------------------------------------------------------------------------------ */
/* Files users name, opened and read within bounds (harness/core/textfile.c)                  */
/* ------------------------------------------------------------------------------------------ */

/* Open path for reading as a stream, if it is a regular file of at most max_bytes (0: any
 * size): opened with O_NONBLOCK (a FIFO never blocks) and checked with fstat, so a FIFO, a
 * directory or a device (/dev/zero) is refused before a byte is read.  *size (may be NULL)
 * gets the size seen at open.  Messages name what ("theta file", "image"; "" for none) and
 * the path. */
int hg_open_regular(const char *path, const char *what, long long max_bytes, FILE **f,
                    long long *size, hg_error *err);

/* Bytes a file may grow by, past its size at open, before a reader cuts it off. */
#define HG_TEXT_GROWTH (64LL << 10)

/* A text file read line by line, whole lines of any length; lineno names the current line. */
typedef struct hg_text {
  FILE *f;
  const char *path;      /* borrowed from the caller */
  char *line;            /* the current line without "\n" or "\r\n" (owned) */
  size_t len, cap;       /* its length and the buffer's size */
  long lineno;           /* 1-based number of the current line */
  long long size;        /* bytes at open */
  long long nread;       /* bytes read so far */
  long long max_read;    /* size + HG_TEXT_GROWTH: reading past it is an error */
} hg_text;

/* hg_open_regular into t (zeroed first, so hg_text_close is safe after a failure). */
int hg_text_open(hg_text *t, const char *path, const char *what, long long max_bytes,
                 hg_error *err);
/* The next line into t->line: *got = 1 with a line, 0 at the end of the file.  A NUL byte
 * in the text, or more bytes than t->max_read (the file grew), is an error naming the line. */
int hg_text_next(hg_text *t, int *got, hg_error *err);
void hg_text_close(hg_text *t);

/* ------------------------------------------------------------------------------------------ */
/* Budgets, the lower-trajectory cache, workspace sizes (harness/core/run.c, lower_cache.c)   */
/* ------------------------------------------------------------------------------------------ */

/* Defaults: t = 100, k = 100, K = 10, no tolerances. */
void hg_budget_default(hg_budget *b);

/*
 * A record of one lower trajectory w_{i+1} = Phi(w_i, theta) from w_0 = w0, shared by the runs
 * at one theta and w0 (hgbench verify runs every method at dozens of budgets on the same
 * trajectory): the residual ||w_{i+1} - w_i|| of every step done so far and w_i at the ends of
 * the runs, so hg_lower_run resumes from the latest recorded w_s its run can use and does only
 * the remaining steps; likewise the last fixed-point adjoint iteration (aid-fp, neumann) at
 * one w_t (verify's grid of k at t_big).  Phi and its products are deterministic, so iterates,
 * residuals, tolerance stops, traces and counts are those of the run from scratch (the skipped
 * steps are counted as the calls they stand for); only the wall time falls.  Created by the caller of the runs
 * (hg_run_opts.lower_cache), which destroys it; a different theta, w0 or problem resets it.
 * Running out of memory only stops the recording.
 */
hg_lower_cache *hg_lower_cache_create(void);
void hg_lower_cache_destroy(hg_lower_cache **c);
/* For hg_lower_run (methods/hypergrad/common.c), before a loop of at most t steps of P at
 * theta from w0 keeping `keep` iterates on its tape (0: none), stopping at the first residual
 * <= tol_lower when tol_lower > 0: *t_end = the step the loop will end at (the recorded stop,
 * else t); returns s, the latest recorded step <= *t_end with w_s (in *w_s) and no step of the
 * tape before it (s <= *t_end - keep + 1), 0 when none; (*res)[i] = ||w_{i+1} - w_i|| for
 * i < s.  Resets c when P, theta or w0 differ from its key. */
int hg_lower_cache_start(hg_lower_cache *c, const hg_problem *P, const double *theta,
                         const double *w0, int t, int keep, double tol_lower, int *t_end,
                         const double **res, const double **w_s);
/* After step i of that loop (w_{i+1} computed, its residual res checked): record res. */
void hg_lower_cache_step(hg_lower_cache *c, int i, double res);
/* At the end of that loop (no failure): record w_i, the iterate it ended at. */
void hg_lower_cache_end(hg_lower_cache *c, int i, const double *w_i);
/* The same for an adjoint iteration of `method` (a string that outlives c) at w with
 * right-hand side gw (after a lower loop through c): its state after j iterations is nvec
 * n_w-vectors, one after the other in *state; iteration j (0-based) has residual (*res)[j] and
 * the loop stops after the first <= tol_linear (> 0).  Returns the latest recorded iteration
 * <= *k_end (0 when none); a different method, w or gw starts a new record. */
int hg_lower_cache_linear_start(hg_lower_cache *c, const char *method, const double *w,
                                const double *gw, int k, double tol_linear, int nvec,
                                int *k_end, const double **res, const double **state);
void hg_lower_cache_linear_step(hg_lower_cache *c, int j, double res);
void hg_lower_cache_linear_end(hg_lower_cache *c, int j, const double *const *state);
/* The same for forward-mode ITD (itd-forward) at the key of hg_lower_cache_start (a different
 * P, theta or w0 resets c): its state after i lower steps is nvec n_w-vectors (w_i, then the
 * tangents), step i has lower residual (*res)[i].  Returns the latest recorded step <= t (0
 * when none) with its state in *state; verify's grid of t then costs one sweep to its largest
 * t.  States are recorded while they hold at most 512 MB in all. */
int hg_lower_cache_forward_start(hg_lower_cache *c, const hg_problem *P, const double *theta,
                                 const double *w0, int t, int nvec, const double **res,
                                 const double **state);
void hg_lower_cache_forward_step(hg_lower_cache *c, int i, double res);
void hg_lower_cache_forward_end(hg_lower_cache *c, int i, const double *const *state);

/* HG_OK when method M applies to problem P; else HG_ERR_UNSUPPORTED with a sentence naming
 * both and the reason: a need of M.needs that P lacks, or P's not_applicable entry for M. */
int hg_method_applies(const hg_problem_ops *P, const hg_method_ops *M, hg_error *err);
/* Why problem P cannot give `constant` (a field name of hg_constants), from P's unknown list;
 * NULL when P does not declare it unknown. */
const char *hg_unknown_why(const hg_problem_ops *P, const char *constant);

/* Workspace bytes of method M with parameters mp (NULL: the defaults) for n_w = n,
 * n_theta = m and budget b: space_params when the method has it, else space. */
size_t hg_method_space(const hg_method_ops *M, int n, int m, const hg_budget *b,
                       const hg_params *mp);
/* Workspace bytes of M on problem P: space_problem when M has it, else hg_method_space with
 * P's n_w and n_theta. */
size_t hg_method_space_on(const hg_method_ops *M, const hg_problem *P, const hg_budget *b,
                          const hg_params *mp);

/* ------------------------------------------------------------------------------------------ */
/* Outer runs: the driver of the outer-loop plugins (harness/core/optimize.c)                 */
/* ------------------------------------------------------------------------------------------ */

/* One recorded outer step.  Step 0 is the start theta0; a rejected attempt (a failed line
 * search) is a row with accepted = 0 at the unchanged theta.  Costs are cumulative from the
 * start and exclude the exact reference the harness computes for f and ||grad f||. */
typedef struct hg_outer_step {
  int step;             /* row index (0: the start; rejected attempts make rows outnumber the
                           outer iterations) */
  int accepted;         /* 1: theta moved to this row's theta (step 0: 1) */
  double value;         /* E(w, theta) at the w the evaluation returned */
  double f, grad_norm;  /* exact f(theta) = E(w*(theta), theta) and ||grad f(theta)|| (NAN
                           unless hg_optimize_opts.exact and the problem has exact) */
  double hg_norm;       /* ||ghat|| of the hypergradient computed at this theta (NAN if none) */
  double eps, delta;    /* accuracy of the hypergradient used for the step: a posteriori
                           (hg_inexact_at) for an implicit method, else the targets asked for
                           (NAN with a fixed t, k budget) */
  double omega;         /* the a-posteriori bound omega(eps, delta) (NAN when unknown or when
                           the loop does not need it: it costs a Lanczos run on n_theta) */
  double step_size;     /* the step taken to reach this theta (0 at step 0) */
  long lower, linear;   /* cumulative lower-level and linear-system iterations */
  hg_counts counts;     /* cumulative oracle calls (Phi and Jacobian products, E) */
  double wall_s;        /* cumulative wall time of the outer loop and its evaluations */
  double work;          /* cumulative work in the run's unit (hg_optimize_opts.work) */
  int uncertified;      /* 1: the loop's omega was an estimate, not a certified bound
                           (maid omega=estimated) */
  double heldout;       /* the exact upper objective of hg_optimize_opts.heldout at theta (NAN
                           on rows not evaluated), outside the costs */
} hg_outer_step;

/* The trajectory of one outer run. */
typedef struct hg_outer_result {
  int n, cap, n_theta;
  hg_outer_step *steps; /* owned, n rows */
  double *theta;        /* owned, n x n_theta: row i's theta */
  int status;           /* HG_OK, or the failure that stopped the loop (rows up to it kept) */
  char message[512];    /* the failure's sentence */
  int problem_rev, outer_rev, method_rev; /* the plugins' revisions (hg_*_ops.revision) */
} hg_outer_result;

void hg_outer_result_release(hg_outer_result *r);

/* The most outer steps a run may take; also the front ends' default when only a work budget
 * (max_work) is given. */
#define HG_OUTER_MAX_STEPS 1000000

/* What an outer run's work counts (hg_optimize_opts.work, --work, hg.optimize's work=). */
enum {
  HG_WORK_EXIT_INDEX = 0, /* "exit-index": lower + linear iterations used (the default) */
  HG_WORK_ORACLE_CALLS,   /* "oracle-calls": Phi, Jacobian-product and E calls */
  HG_WORK_TIME            /* "time": the evaluations' compute time, in milliseconds */
};
/* HG_WORK_* of "exit-index", "oracle-calls" or "time" into *kind; an error naming `what` and
 * the word otherwise. */
int hg_work_kind(const char *word, const char *what, int *kind, hg_error *err);
/* The work word of kind. */
const char *hg_work_word(int kind);

/* Options of one outer run. */
typedef struct hg_optimize_opts {
  const char *method;          /* hypergradient method (registry name) */
  int nmwords;                 /* its key=value words */
  const char *const *mwords;
  hg_budget budget;            /* per hypergradient: fixed t, k, or tolerances with t, k as
                                  maxima */
  int max_t, max_k;            /* caps when the outer loop asks for an accuracy (0: 100000) */
  int steps;                   /* outer steps (at most HG_OUTER_MAX_STEPS) */
  long max_work;               /* stop at the first recorded row whose cumulative work (in
                                  the unit `work`) reaches this (0: no work budget) */
  int work;                    /* HG_WORK_*: what work counts (the rows' x-axis too) */
  hg_problem *heldout;         /* NULL, or a problem of the same n_theta on held-out data (e.g.
                                  test images): its exact f(theta) is recorded as `heldout` on
                                  every heldout_every-th row and on the last (outside costs) */
  int heldout_every;           /* >= 1 (0: 1) */
  const double *theta0;        /* n_theta (NULL: the problem's theta0) */
  int warm;                    /* 1: warm-start the lower level from the previous w */
  int exact;                   /* 1: record the exact f and ||grad f|| per step */
  uint64_t seed;
  double deadline;             /* hg_now() time past which the loop stops with HG_ERR_TIMEOUT,
                                  the rows so far kept (0: none) */
} hg_optimize_opts;

/* Run outer loop `outer` (with its key=value words) on P, for o->steps steps or until the
 * work budget o->max_work is spent (a success).  Unknown names and bad parameters
 * are errors naming them; a failure during the loop leaves the rows so far in res with
 * res->status and res->message set, and is returned.  Release res with
 * hg_outer_result_release. */
int hg_optimize(hg_problem *P, const char *outer, int nowords, const char *const *owords,
                const hg_optimize_opts *o, hg_outer_result *res, hg_error *err);
/* The same for an outer loop given by its ops table. */
int hg_optimize_ops(hg_problem *P, const hg_outer_ops *ops, int nowords,
                    const char *const *owords, const hg_optimize_opts *o,
                    hg_outer_result *res, hg_error *err);
/* The columns of an outer row (hg_outer_step), one line each, in optimize.tsv's order: every
 * writer of the rows (optimize.tsv, `optimize --json`, the printed table, Lua's row tables)
 * iterates hg_outer_columns, built from this list, so a new column is a field of
 * hg_outer_step and one line here.  X(name, kind, tsv_digits, heading, width, digits, value):
 *   name        the optimize.tsv header, JSON key and Lua field;
 *   kind        'i' an integer, 'b' a flag 0/1 (a Lua boolean, "yes"/"no" in the table),
 *               'd' a double (NaN: unknown);
 *   tsv_digits  significant digits of a double in optimize.tsv (%.*g);
 *   heading     the printed table's heading (NULL: not printed), width its column width,
 *               digits a double's digits after the point there (%*.*e);
 *   value       the value, an expression of `s` (const hg_outer_step *). */
#define HG_OUTER_COLUMNS(X)                                                                   \
  X(step, 'i', 0, "step", 5, 0, s->step)                                                      \
  X(accepted, 'b', 0, "acc", 3, 0, s->accepted)                                               \
  X(value, 'd', 10, "value", 13, 6, s->value)                                                 \
  X(f, 'd', 10, "f (exact)", 13, 6, s->f)                                                     \
  X(grad_norm, 'd', 6, "|grad f|", 10, 3, s->grad_norm)                                       \
  X(hg_norm, 'd', 6, NULL, 0, 0, s->hg_norm)                                                  \
  X(eps, 'd', 6, "eps", 10, 3, s->eps)                                                        \
  X(delta, 'd', 6, "delta", 10, 3, s->delta)                                                  \
  X(omega, 'd', 6, "omega", 10, 3, s->omega)                                                  \
  X(step_size, 'd', 6, "step", 10, 3, s->step_size)                                           \
  X(lower, 'i', 0, "lower", 8, 0, s->lower)                                                   \
  X(linear, 'i', 0, "linear", 8, 0, s->linear)                                                \
  X(calls, 'i', 0, "calls", 10, 0, hg_counts_oracle(&s->counts))                              \
  X(jacobian, 'i', 0, "jacobian", 10, 0, hg_counts_jacobian(&s->counts))                      \
  X(wall_s, 'd', 6, "wall [s]", 10, 3, s->wall_s)                                            \
  X(work, 'd', 10, NULL, 0, 0, s->work)                                                          \
  X(uncertified, 'b', 0, NULL, 0, 0, s->uncertified)                                          \
  X(heldout, 'd', 10, NULL, 0, 0, s->heldout)

/* One column of HG_OUTER_COLUMNS, its value read by get. */
typedef struct hg_outer_column {
  const char *name;
  char kind;
  int tsv_digits;
  const char *heading;
  int width, digits;
  double (*get)(const hg_outer_step *s); /* integers and flags exactly, as doubles */
} hg_outer_column;

#define HG_OUTER_COLUMN_COUNT_(name, ...) +1
/* The columns of HG_OUTER_COLUMNS in order (harness/core/optimize.c). */
enum { HG_OUTER_NCOLUMNS = 0 HG_OUTER_COLUMNS(HG_OUTER_COLUMN_COUNT_) };
extern const hg_outer_column hg_outer_columns[HG_OUTER_NCOLUMNS];

/* Write the rows of res as TSV lines (no header) to f, each starting with `label`, the
 * problem, outer loop and method names; the header line is HG_OPTIMIZE_TSV_HEADER. */
#define HG_OUTER_COLUMN_TSV_(name, ...) #name "\t"
#define HG_OPTIMIZE_TSV_HEADER                                                                \
  "label\tproblem\touter\tmethod\t" HG_OUTER_COLUMNS(HG_OUTER_COLUMN_TSV_)                    \
  "theta\tproblem_rev\touter_rev\tmethod_rev\n"
void hg_optimize_tsv(FILE *f, const hg_outer_result *res, const char *label,
                     const char *problem, const char *outer, const char *method);

/* ------------------------------------------------------------------------------------------ */
/* Registry: the plugins of each kind, registered at start-up (harness/core/registry.c)          */
/* ------------------------------------------------------------------------------------------ */

/* The registry is the one process-wide table of hgbench: core holds the mechanism only and names
 * no plugin.  The built-in plugins are listed in harness/plugins/builtin.c and registered by
 * hg_register_builtin (hg_plugins.h); a front end then calls hg_registry_freeze, after which
 * the registry is read-only. */
typedef struct hg_entry {
  const char *name;
  const void *ops; /* const hg_problem_ops * or const hg_method_ops * */
} hg_entry;

/* The registered plugins of each kind in registration order, ending with {NULL, NULL}: every
 * caller iterates these, never a list of its own. */
const hg_entry *hg_problem_list(void);
const hg_entry *hg_method_list(void);
const hg_entry *hg_outer_list(void); /* outer loops (const hg_outer_ops *) */

/* Look up by name; NULL with an error listing the known names if absent. */
const hg_problem_ops *hg_find_problem(const char *name, hg_error *err);
const hg_method_ops *hg_find_method(const char *name, hg_error *err);
const hg_outer_ops *hg_find_outer(const char *name, hg_error *err);

/* Register a plugin under name (both borrowed: they must outlive the process, as static ops
 * tables and string literals do), after the ones of its kind registered before.  A duplicate
 * name, a NULL name or ops, an ops table of another layout (.version != HG_OPS_VERSION) or a
 * registration after hg_registry_freeze is HG_ERR_ARG naming the plugin; HG_ERR_NOMEM when the table cannot grow. */
int hg_register_problem(const char *name, const hg_problem_ops *ops, hg_error *err);
int hg_register_method(const char *name, const hg_method_ops *ops, hg_error *err);
int hg_register_outer(const char *name, const hg_outer_ops *ops, hg_error *err);
/* Make the registry read-only: every later hg_register_* call fails. */
void hg_registry_freeze(void);

/* ------------------------------------------------------------------------------------------ */
/* Runs: one hypergradient through the counting wrapper, measured (harness/core/run.c)              */
/* ------------------------------------------------------------------------------------------ */

typedef struct hg_run {
  int status;          /* HG_OK or the failure (its word goes to results.tsv); also
                          HG_ERR_BUDGET for a tolerance-driven run that stopped at its t or k
                          cap before its tolerance, whose numbers stand (hg_hypergrad then
                          returns HG_OK, and note says which tolerance) */
  char note[256];      /* with status HG_ERR_BUDGET after HG_OK: the tolerance not reached */
  int t, k;            /* iterations used */
  int n_w, n_theta;
  double value;        /* E at the returned w */
  double *grad;        /* n_theta, owned */
  double *w;           /* n_w, owned */
  double *exact;       /* n_theta, owned; NULL when the problem has no exact reference */
  double rel_error;    /* ||grad - exact|| / ||exact|| (NAN without a reference) */
  double abs_error;    /* ||grad - exact|| */
  double wall_s;       /* wall time of the method's compute */
  hg_counts counts;    /* oracle calls made by the method */
  size_t peak_bytes;   /* peak extra memory held by the method */
  hg_constants consts; /* constants at theta (NAN where unknown) */
  double bound;        /* the method's bound on abs_error (DESIGN §7), NAN if none */
  double eps, delta, omega; /* implicit methods: the inexact bound omega(eps, delta) of
                               DESIGN §7 (hg_inexact_at), NAN otherwise */
  int bound_violated;  /* abs_error > bound or > omega, beyond the round-off of the reference */
  double post_rate;    /* a posterior bound's a-priori rate per t (hg_posterior.rate), NAN */
  int v_set;           /* the method returned its adjoint v (copied to hg_run_opts.v_out) */
  hg_theory theory;    /* the constants the bound used */
  int n_lower_res, n_linear_res;
  double *lower_res, *linear_res; /* traces when requested, owned */
} hg_run;

typedef struct hg_run_opts {
  const double *w0;     /* warm start (NULL: zeros) */
  uint64_t seed;        /* for stochastic methods */
  int with_reference;   /* 1: compute the exact reference and the errors */
  const double *reference; /* a precomputed exact hypergradient (used instead of solving) */
  const double *wstar;  /* with reference: the w* it came with (for the bound; may be NULL) */
  int trace;            /* 1: record residual traces */
  int local_constants;  /* 1: the bound uses trajectory-local constants (hg_theory_local) */
  size_t mem_cap;       /* 0: none; the method's declared space() over it is refused before
                           anything is allocated (HG_ERR_MEMCAP), and hg_alloc keeps to it */
  double deadline;      /* hg_now() time past which the run stops with HG_ERR_TIMEOUT (0:
                           none) */
  int inexact;          /* without a reference too, a posteriori at the returned w (for outer
                           loops): 1 eps and delta (hg_inexact_at with the problem's constants,
                           omega NAN); 2 also omega, the theory taken at w itself (omega bounds
                           ||B(w)|| by ||d_theta Phi(w)||: a Lanczos run on n_theta) */
  hg_lower_cache *lower_cache; /* borrowed: the lower trajectory shared with other runs at this
                                  theta and w0, or NULL (every run from w0) */
  double *v_out;        /* NULL or n_w doubles: gets the method's adjoint v when it returns
                           one (then hg_run.v_set = 1) */
} hg_run_opts;

/* Run method M (with its parameter words) on P at theta.  A failure of the method itself
 * (non-contractive map, breakdown, NaN) returns that status and leaves r->status set too;
 * r must be released with hg_run_release. */
int hg_hypergrad(hg_problem *P, const char *method, int nwords, const char *const *words,
                 const double *theta, const hg_budget *b, const hg_run_opts *o, hg_run *r,
                 hg_error *err);
/* The same for a method given by its ops table, registered or not (tests run deliberately
 * wrong variants through it). */
int hg_hypergrad_ops(hg_problem *P, const hg_method_ops *M, int nwords,
                     const char *const *words, const double *theta, const hg_budget *b,
                     const hg_run_opts *o, hg_run *r, hg_error *err);
void hg_run_release(hg_run *r);
/* The relative difference ||a - b|| / ||b|| of two n-vectors (||a - b|| when b = 0): a run's
 * rel_error against the exact reference, verification's identities, the tests. */
double hg_rel_diff(int n, const double *a, const double *b);
/* Seconds on a monotonic clock (for measuring intervals). */
double hg_now(void);

/* ------------------------------------------------------------------------------------------ */
/* Checks (harness/core/check.c): finite differences of every derivative callback                   */
/* ------------------------------------------------------------------------------------------ */

typedef struct hg_check_row {
  char what[48];     /* "jvp_w", "vjp_w (adjoint)", "exact vs fd", ... */
  double error;      /* relative error measured */
  double tol;        /* tolerance it is held to */
  int pass;
} hg_check_row;

#define HG_CHECK_MAX_ROWS 20

typedef struct hg_check_report {
  int nrows;
  hg_check_row rows[HG_CHECK_MAX_ROWS];
  int all_pass;
} hg_check_report;

/* Check every callback of P at theta against central finite differences along seeded random
 * directions, the adjoint identities, and exact (fixed point and derivative of E(w*(theta))). */
int hg_check(hg_problem *P, const double *theta, uint64_t seed, hg_check_report *rep,
             hg_error *err);

/* ------------------------------------------------------------------------------------------ */
/* Rates (harness/core/rates.c)                                                                     */
/* ------------------------------------------------------------------------------------------ */

/* The theoretical rate of method `name` along axis 't' or 'k' (NAN when unknown). */
double hg_method_rate(const char *name, const hg_constants *c, char axis);

/* Fit error ~ C rate^x by least squares of log(err) on x over the points with err above
 * `floor` (round-off, excluded) and finite; *rate = exp(slope), [*lo, *hi] its 95 % interval
 * from the residuals (NAN when fewer than 3 points remain).  Returns the number of points
 * used (< 2: *rate = NAN). */
int hg_fit_rate(int n, const double *x, const double *err, double floor, double *rate,
                double *lo, double *hi);

/* The round-off floor of a relative error: 50 eps max(1, kappa) (eps = DBL_EPSILON; kappa
 * NAN or infinite counts as 1).  The exact reference is a direct solve, accurate to about
 * kappa eps relative, and so are the fixed points the methods iterate to: a relative error
 * below the floor measures round-off, not the method.  Times ||grad f|| for an absolute
 * error.  Rate fits leave such errors out (hg_rate_window), a run's error is held to its
 * bound plus this (hg_run.bound_violated), reports and plots read nothing below it. */
double hg_roundoff_floor(double kappa);

/* The window a rate is fitted on (DESIGN §7), of n errors err at increasing budgets: the
 * points from the largest error on (itd's error may rise before it falls) whose error is
 * finite and above floor (round-off: hg_roundoff_floor).  Writes their indices, increasing,
 * to idx (room for n) and returns their count. */
int hg_rate_window(int n, const double *err, double floor, int *idx);
/* The same on log x: err ~ C x^slope (a power law: sid's log MSE against log t, DESIGN §7);
 * *slope with its 95 % interval; points need x > 0. */
int hg_fit_slope(int n, const double *x, const double *err, double floor, double *slope,
                 double *lo, double *hi);

/* ------------------------------------------------------------------------------------------ */
/* Verification (harness/core/verify.c): convergence to exact and the identities of DESIGN §7       */
/* ------------------------------------------------------------------------------------------ */

typedef struct hg_verify_row {
  char what[64];      /* "converges to exact", "= itd-forward", "bound and rate in t" */
  char method[32];    /* the method the row is about */
  int t, k;           /* budget used (the largest, for a theory row) */
  double error;       /* relative error or relative difference measured */
  double tol;         /* what it is held to; NAN for an informational row */
  double wall_s;      /* time of the method's run */
  long calls;         /* Phi and Jacobian-product calls of the run */
  int status;         /* HG_OK, or the run's failure */
  int verdict;        /* 1 pass, 0 fail, -1 informational or not applicable */
  char note[512];     /* why not applicable, or the failure message */
  /* theory rows: over a grid of t from 1 to t_big (k = t, tbptt K = 10) */
  int points;         /* runs on the grid */
  double max_ratio;   /* max of abs_error / bound (NAN without a bound) */
  int violations;     /* runs whose error exceeded the bound beyond round-off */
  double rate, rate_lo, rate_hi; /* fitted along t past the error's peak, with 95 % interval */
  double rate_theory; /* DESIGN §7's asymptotic rate along the axis */
  double rate_bound;  /* the slower of rate_theory and the bound's own rate over the same
                         budgets: what the fit is held to */
} hg_verify_row;

typedef struct hg_verify_report {
  int nrows, cap;
  hg_verify_row *rows; /* owned */
  int failures;
  int not_applicable;  /* rows that do not apply (the note says why) */
  int informational;   /* rows reported without a grade (the note says why) */
  int t_big, k_big;    /* the large budget chosen from q */
  double q;            /* contraction constant at theta (NAN if unknown) */
  int local;           /* the theory rows used trajectory-local constants */
  double wall_s;       /* wall time of the whole verification (exact reference included) */
} hg_verify_report;

/* Run every registered method on P at theta:
 *  - at a large budget (chosen from q so q^t <= 1e-14) each consistent method must reach
 *    relative error 1e-8 (fd 1e-6); a stochastic one (sid) is reported there, not graded.
 *    fd (2m + 1 exact solves) and itd-forward (m Jacobian products per step) run only for
 *    m = n_theta <= 300: beyond, hours on real data, their rows (identities included) are
 *    n/a and say so;
 *  - at a small budget the exact identities itd = itd-forward, neumann(k) = aid-fp(k+1),
 *    aid-fp(k=1) = jfb, tbptt(K=t) = itd must hold to 1e-10;
 *  - over a grid of t (k = t), and of k (t large) for methods with a rate in k, every run
 *    must stay under its bound (DESIGN §7), and the fitted linear rate must reach at least
 *    95 % of the exponent of the bound's rate over the same budgets (log rate / log rate_bound
 *    >= 0.95) or hold that rate in its 95 % interval; where the bound is NaN (a constant the
 *    problem cannot give) the fit is reported, not graded, and the note names the constant.
 * Release rep with hg_verify_release. */
int hg_verify(hg_problem *P, const double *theta, int local_constants, hg_verify_report *rep,
              hg_error *err);
/* The same over the methods of `methods` (a {name, ops} list ending in {NULL}): the test hook
 * that shows deliberately wrong variants are caught.  local_constants: the bounds use
 * trajectory-local constants (hg_theory_local) instead of global ones. */
int hg_verify_with(hg_problem *P, const double *theta, const hg_entry *methods,
                   int local_constants, hg_verify_report *rep, hg_error *err);
/* The rows of one method only (the self-test battery): M, registered or not, under `name`;
 * identities name other methods, looked up in the registry. */
int hg_verify_method(hg_problem *P, const double *theta, const char *name,
                     const hg_method_ops *M, int local_constants, hg_verify_report *rep,
                     hg_error *err);
void hg_verify_release(hg_verify_report *rep);

/* ------------------------------------------------------------------------------------------ */
/* The self-test battery (harness/core/selftest.c): what every plugin gets from the registry   */
/* ------------------------------------------------------------------------------------------ */

typedef struct hg_selftest_check {
  char name[96];   /* "verify: converges to exact", "bad parameter: lower=no-such-choice" */
  int verdict;     /* 1 pass, 0 fail, -1 not applicable or reported without a grade */
  char note[640];  /* what was measured, or why it does not apply */
} hg_selftest_check;

typedef struct hg_selftest_report {
  int n, cap;
  hg_selftest_check *checks; /* owned */
  int failures, skipped;
} hg_selftest_report;

/* The battery of method M (run under `name`, registered or not) on the default instance of
 * registered problem `problem`, appended to rep: verify's rows for M, bad parameters and
 * budgets, bookkeeping; one skipped check when M does not apply to the problem.  Returns a
 * status only when the battery itself could not run (rep->failures counts failed checks). */
int hg_selftest_method(const char *name, const hg_method_ops *M, const char *problem,
                       hg_selftest_report *rep, hg_error *err);
/* The battery of registered problem `name`: finite-difference checks of every callback,
 * bad parameters, a deterministic instance. */
int hg_selftest_problem(const char *name, hg_selftest_report *rep, hg_error *err);
/* Zero rep's counts and free its checks (rep stays usable). */
void hg_selftest_release(hg_selftest_report *rep);
/* The batteries the registry gives, one line each, to f: "method M P" for every registered
 * method M and problem P it applies to ("# n/a M P: why" for the others), then "problem P"
 * for every problem; method or problem (not NULL) restricts the list.  CTest's discovery
 * turns each line into one test. */
int hg_selftest_list(FILE *f, const char *method, const char *problem);

#endif /* HG_CORE_H */

/*
 * main.c -- the hgbench command line (DESIGN §5).  Parses words, builds problems through the
 * registry, prints; all the work is in the library.
 *
 * Exit status: 0 success, 1 a check or verification failed, 2 bad input or a failed run.
 */
#include "hg_cli.h"
#include "json.h"
#include "hglua.h"
#include "plugin_load.h"
#include "sweep.h"

#include <cblas.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EXIT_FAILED 1
#define EXIT_BADINPUT 2
#define SANDBOX_MAX_SECONDS 600 /* run --sandbox without --max-seconds */

static const char usage[] =
  "usage: hgbench COMMAND [ARGS]\n"
  "\n"
  "  list [problems|methods|outer]               plugins, their parameters and defaults\n"
  "  info PROBLEM [key=value ...] [--theta V|@FILE] [--t N] [--local]\n"
  "                                              dimensions, step, mu, L, kappa, q, the global\n"
  "                                              constants of DESIGN §7; with --t N or --local\n"
  "                                              also the trajectory-local ones along the first\n"
  "                                              N iterates from 0 (default 100; slow on large\n"
  "                                              data)\n"
  "  check PROBLEM [key=value ...] [--theta V|@FILE] [--seed N]\n"
  "                                              finite-difference checks of every callback\n"
  "  verify [PROBLEM [key=value ...]] [--theta V|@FILE] [--local]\n"
  "                                              every method against exact, the identities\n"
  "                                              between methods, the bounds of DESIGN §7 on\n"
  "                                              a grid of t and k, fitted against theoretical\n"
  "                                              rates (all problems with their defaults when\n"
  "                                              PROBLEM is omitted; --local: bounds with\n"
  "                                              trajectory-local constants)\n"
  "  hypergrad PROBLEM [key=value ...] --method NAME[:key=value,...] [--t N] [--k N] [--K N]\n"
  "            [--theta V|@FILE] [--w0 @FILE] [--seed N] [--json] [--local]\n"
  "                                              one hypergradient, measured, with its bound\n"
  "  bench PROBLEM [key=value ...] [--methods a,b:key=value,...] [--t N] [--k N] [--K N]\n"
  "            [--theta V|@FILE] [--repeat N]   time per hypergradient of each method\n"
  "  bench --limits [n=N d=D]   read bandwidth, GEMV/GEMM rates and each kernel's time,\n"
  "            bytes, flops and fraction of them (ridge, logreg dense and CSR at N x D,\n"
  "            default 20000 x 1000; denoise-tv, deblur-tv, denoise-foe, equilibrium)\n"
  "  bench ridge|logreg train=F val=F --vs-torch [--t N] [--k N] [--repeat N]   itd, aid-fp,\n"
  "            aid-cg against bench/torch_baseline.py (Debian's python3-torch, float64, one\n"
  "            thread) on the same files: times, speed-up, both errors against exact\n"
  "  bench PROBLEM [key=value ...] --scale n|d|t [--methods ...] [--out DIR]   time and peak\n"
  "            memory on a grid x1..x16 of n=, d= or --t, fitted to size^b (95 % interval),\n"
  "            plotted to DIR/scale-AXIS-{time,memory}.png\n"
  "  optimize PROBLEM [key=value ...] --outer NAME[:key=value,...]\n"
  "            --method NAME[:key=value,...] [--steps N] [--max-work N]\n"
  "            [--work exit-index|oracle-calls|time]\n"
  "            [--t N --k N | tol words]\n"
  "            [--theta V|@FILE] [--warm 0|1] [--exact 0|1] [--seed N] [--json|--out DIR]\n"
  "                                              an outer loop (DESIGN §2.3) from theta: per\n"
  "                                              step the upper value, exact f and ||grad f||\n"
  "                                              (--exact 1, default), eps, delta, step size,\n"
  "                                              cumulative lower/linear iterations, calls,\n"
  "                                              time; --max-work N ends the run at the first\n"
  "                                              step whose work reaches N or after --steps,\n"
  "                                              whichever comes first; --work: what work\n"
  "                                              counts (default exit-index: lower + linear\n"
  "                                              iterations; oracle-calls; time in ms);\n"
  "                                              --out writes DIR/optimize.tsv\n"
  "  selftest [--method NAME] [--problem NAME] [--list] [--plugin PATH.so]\n"
  "                                              the battery every registered plugin gets:\n"
  "                                              each method on each problem it applies to\n"
  "                                              (verify's rows, bad parameters, bookkeeping),\n"
  "                                              each problem's finite-difference checks and\n"
  "                                              bad input; a pass/fail table.  --method M: M\n"
  "                                              on every problem (with --problem P: on P);\n"
  "                                              --problem P alone: P's own battery; --list:\n"
  "                                              the batteries (one CTest test each);\n"
  "                                              --plugin: only the plugin's entries\n"
  "  compare BASE NEW [--rtol R] [--time-ratio X]\n"
  "                                              two results folders (or results.tsv files)\n"
  "                                              run by run, matched by run key (revisions\n"
  "                                              and data changes reported): error, calls,\n"
  "                                              fitted rates, time; exit 1 on a regression\n"
  "                                              (error or exponent of a rate worse by more\n"
  "                                              than R, default 0.05; more calls; a failed\n"
  "                                              run; median time ratio above X, default 1.5,\n"
  "                                              and beyond the ratios' noise)\n"
  "  run SCENARIO.lua [--out DIR] [--traceback]  run a Lua scenario: results.tsv, plots,\n"
  "            [--sandbox [--allow-read DIR]...] report.md, manifest.json in DIR (default\n"
  "                                              out/SCENARIO); runs already in DIR's\n"
  "                                              results.tsv are skipped (resume); --sandbox\n"
  "                                              for a scenario from someone else: no\n"
  "                                              os.execute, io.popen, package.loadlib, C\n"
  "                                              modules or debug library; files written\n"
  "                                              under DIR only, read from the scenario's\n"
  "                                              folder, " HG_DATASETS_DIR ", DIR and\n"
  "                                              each --allow-read DIR\n"
  "            [--shard i/N | --mpi]             scale-out (README \"Scale-out\"): --shard\n"
  "                                              runs shard i of N (0 <= i < N, balanced by\n"
  "                                              estimated cost) into DIR/shard-i-of-N;\n"
  "                                              --mpi under mpirun: ranks take runs from\n"
  "                                              rank 0, longest first, into DIR/rank-R,\n"
  "                                              then rank 0 merges and reports into DIR\n"
  "  plan SCENARIO.lua [--shards N]              the scenario's runs (nothing executed):\n"
  "                                              key, estimated cost and memory; with\n"
  "                                              --shards N each run's shard and the balance\n"
  "  merge SHARD_DIR... --out DIR [--scenario FILE] [--run-missing]\n"
  "                                              one results.tsv (duplicate keys reported,\n"
  "                                              the newest kept), report, plots from shard\n"
  "                                              or rank folders; exit 1 if runs are missing\n"
  "  status DIR [--scenario FILE]                runs done, failed and missing in DIR and its\n"
  "                                              shard/rank folders (exit 1 if any missing)\n"
  "  slurm SCENARIO.lua --tasks N [--time T] [--partition P] [--mem M] [--out DIR]\n"
  "                                              an sbatch job array (task i runs --shard\n"
  "                                              i/N) and a merge job after it; --mem\n"
  "                                              defaults to the largest run's estimate;\n"
  "                                              printed, or written to DIR/slurm.sh\n"
  "\n"
  "--plugin PATH.so (repeatable, before or after COMMAND) loads a shared object's methods,\n"
  "problems and outer loops (HG_PLUGIN_DEFINE in hgbench.h); HGBENCH_PLUGIN_PATH lists more\n"
  "(.so files or folders of them, colon-separated).\n"
  "key=value words set problem parameters (see `hgbench list problems`), except the budget\n"
  "words tol_lower=EPS (stop the lower loop when ||w - Phi(w)|| <= EPS, --t iterations at most)\n"
  "and tol_linear=DELTA (stop the linear solver at residual <= DELTA, --k at most).\n"
  "--theta V broadcasts V to every entry; @FILE reads one number per line; the default is the\n"
  "problem's theta0.  Defaults: --t 100 --k 100 --K 10 --seed 0; optimize: --steps 20\n"
  "(1000000 with --max-work), --max-work 0 (none), --warm 1 (the lower level starts from\n"
  "the previous step's w), --exact 1.\n"
  "--max-memory SIZE (512M, 2G, bytes; default half the physical memory) caps what a run may\n"
  "allocate: a method's declared workspace (itd's tape, itd-forward's n x m, ...) and a\n"
  "problem's data, kernel matrices, Gram caches and factorizations, each refused before it is\n"
  "allocated (exit 2; inside a scenario the run's status is memory and the sweep goes on).\n"
  "--max-seconds S (run, hypergrad, bench, optimize; none by default, 600 for run --sandbox)\n"
  "bounds the wall-clock time: a script's loops, a run's iterations and an outer loop stop at\n"
  "the deadline with a clear error (a run inside a scenario: status timeout), the results so\n"
  "far kept.  File arguments (--theta @FILE, --w0 @FILE, SCENARIO.lua) must be regular files.\n"
  "BLAS runs one thread unless OPENBLAS_NUM_THREADS is set (e.g. 2 for large dense data).\n"
  "Exit status: 0 success, 1 a check, verification or expectation failed, 2 bad input or an\n"
  "error (one line on stderr naming the culprit).\n";

/* Everything a command may take from its arguments. */
typedef struct cli {
  const char *problem;
  int nwords;
  const char **words;     /* problem key=value words (points into argv) */
  const char *theta_spec; /* --theta */
  const char *w0_spec;    /* --w0 */
  const char *method;     /* --method NAME[:params] */
  const char *methods;    /* --methods a,b */
  const char *out;        /* --out DIR */
  const char *outer;      /* --outer NAME[:params] */
  long steps, warm, exact; /* --steps, --warm, --exact (optimize) */
  int steps_given;
  long max_work;           /* --max-work (optimize; 0: none) */
  const char *work;        /* --work (optimize): exit-index, oracle-calls or time */
  int traceback;          /* --traceback */
  int local;              /* --local: trajectory-local constants for the bounds */
  int t_given;            /* --t was on the command line */
  hg_budget budget;
  long seed, repeat;
  int json;
  const char *bench_mode; /* bench --limits, --vs-torch, --scale (harness/cli/bench.c) */
  const char *scale_axis; /* bench --scale n|d|t */
  int not_applicable, informational; /* verify: rows counted over every problem */
  int sandbox;            /* --sandbox (run) */
  int nallow;
  const char **allow_read; /* --allow-read DIR, repeatable (points into argv) */
  double max_seconds;     /* --max-seconds (run; 0: none) */
  int max_seconds_given;
  size_t max_memory;      /* --max-memory (default: half the physical memory) */
  double deadline;        /* hg_now() + --max-seconds (0: none) */
  const char *shard;      /* --shard i/N (run) */
  int mpi;                /* --mpi (run) */
} cli;

/* Print an error line: "hgbench: " and msg with control bytes escaped (user input echoed in
 * a message cannot break the line or drive the terminal). */
static void print_error(const char *msg)
{
  char esc[4 * sizeof ((hg_error *)0)->msg + 8];
  fprintf(stderr, "hgbench: %s\n", hg_escape(msg, esc, sizeof esc));
}

static int bad_input(const char *msg)
{
  print_error(msg);
  return EXIT_BADINPUT;
}

static int parse_count(const char *opt, const char *s, long lo, long *out, hg_error *err)
{
  char *end;
  errno = 0;
  long v = s ? strtol(s, &end, 10) : 0;
  if (!s || errno || end == s || *end || v < lo || v > INT_MAX)
    return hg_fail(err, HG_ERR_ARG, "%s %s: expected an integer >= %ld", opt, s ? s : "(missing)",
                   lo);
  *out = v;
  return HG_OK;
}

static int parse_tol(const char *word, const char *value, double *out, hg_error *err)
{
  char *end;
  errno = 0;
  double v = strtod(value, &end);
  if (errno || end == value || *end || !isfinite(v) || v < 0)
    return hg_fail(err, HG_ERR_ARG, "%s: expected a finite number >= 0", word);
  *out = v;
  return HG_OK;
}

/* A size (hg_parse_size) of at least 1 MB. */
static int parse_size(const char *opt, const char *s, size_t *out, hg_error *err)
{
  char esc[128];
  if (!s || hg_parse_size(s, out) || *out < 1048576)
    return hg_fail(err, HG_ERR_ARG, "%s %s: expected a size of at least 1M (bytes, or with a "
                   "suffix K, M, G, T: 512M, 2G)", opt, s ? hg_escape(s, esc, sizeof esc)
                                                             : "(missing)");
  return HG_OK;
}

/* A duration in seconds > 0. */
static int parse_seconds(const char *opt, const char *s, double *out, hg_error *err)
{
  char *end, esc[128];
  errno = 0;
  double v = s ? strtod(s, &end) : 0;
  if (!s || errno || end == s || *end || !isfinite(v) || v <= 0)
    return hg_fail(err, HG_ERR_ARG, "%s %s: expected a number of seconds > 0", opt,
                   s ? hg_escape(s, esc, sizeof esc) : "(missing)");
  *out = v;
  return HG_OK;
}

/* Half the physical memory: the default --max-memory (0 when unknown: no cap). */
static size_t default_max_memory(void)
{
  long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  return pages > 0 && page > 0 ? (size_t)pages / 2 * (size_t)page : 0;
}

/* Parse argv[first..]: optional PROBLEM (when want_problem), key=value words and options. */
static int parse_cli(int argc, char **argv, int first, int want_problem, cli *c, hg_error *err)
{
  long v;
  int rc = HG_OK;

  memset(c, 0, sizeof *c);
  hg_budget_default(&c->budget);
  c->repeat = 3;
  c->steps = 20;
  c->warm = 1;
  c->exact = 1;
  c->max_memory = default_max_memory();
  c->words = calloc((size_t)argc + 1, sizeof *c->words);
  c->allow_read = calloc((size_t)argc + 1, sizeof *c->allow_read);
  if (!c->words || !c->allow_read)
    return hg_fail(err, HG_ERR_NOMEM, "out of memory");
  for (int i = first; i < argc && !rc; i++) {
    const char *a = argv[i], *next = i + 1 < argc ? argv[i + 1] : NULL;
    if (strncmp(a, "--", 2) == 0) {
      int takes = strcmp(a, "--json") && strcmp(a, "--traceback") && strcmp(a, "--local") &&
                  strcmp(a, "--sandbox") && strcmp(a, "--mpi") && strcmp(a, "--limits") &&
                  strcmp(a, "--vs-torch");
      if (takes && !next)
        return hg_fail(err, HG_ERR_ARG, "%s needs a value", a);
      if (!strcmp(a, "--json"))
        c->json = 1;
      else if (!strcmp(a, "--limits") || !strcmp(a, "--vs-torch"))
        c->bench_mode = a + 2;
      else if (!strcmp(a, "--scale"))
        c->bench_mode = "scale", c->scale_axis = next;
      else if (!strcmp(a, "--traceback"))
        c->traceback = 1;
      else if (!strcmp(a, "--local"))
        c->local = 1;
      else if (!strcmp(a, "--sandbox"))
        c->sandbox = 1;
      else if (!strcmp(a, "--mpi"))
        c->mpi = 1;
      else if (!strcmp(a, "--shard"))
        c->shard = next;
      else if (!strcmp(a, "--allow-read"))
        c->allow_read[c->nallow++] = next;
      else if (!strcmp(a, "--max-memory"))
        rc = parse_size(a, next, &c->max_memory, err);
      else if (!strcmp(a, "--max-seconds"))
        rc = parse_seconds(a, next, &c->max_seconds, err), c->max_seconds_given = 1;
      else if (!strcmp(a, "--out"))
        c->out = next;
      else if (!strcmp(a, "--theta"))
        c->theta_spec = next;
      else if (!strcmp(a, "--w0"))
        c->w0_spec = next;
      else if (!strcmp(a, "--method"))
        c->method = next;
      else if (!strcmp(a, "--methods"))
        c->methods = next;
      else if (!strcmp(a, "--outer"))
        c->outer = next;
      else if (!strcmp(a, "--work"))
        c->work = next;
      else if (!strcmp(a, "--steps") && !(rc = parse_count(a, next, 0, &v, err)))
        c->steps = v, c->steps_given = 1;
      else if (!strcmp(a, "--max-work") && !(rc = parse_count(a, next, 0, &v, err)))
        c->max_work = v;
      else if ((!strcmp(a, "--warm") || !strcmp(a, "--exact")) &&
               !(rc = parse_count(a, next, 0, &v, err))) {
        if (v > 1)
          return hg_fail(err, HG_ERR_ARG, "%s %s: expected 0 or 1", a, next);
        *(a[2] == 'w' ? &c->warm : &c->exact) = v;
      }
      else if (!strcmp(a, "--t") && !(rc = parse_count(a, next, 0, &v, err)))
        c->budget.t = (int)v, c->t_given = 1;
      else if (!strcmp(a, "--k") && !(rc = parse_count(a, next, 0, &v, err)))
        c->budget.k = (int)v;
      else if (!strcmp(a, "--K") && !(rc = parse_count(a, next, 0, &v, err)))
        c->budget.K = (int)v;
      else if (!strcmp(a, "--seed") && !(rc = parse_count(a, next, 0, &v, err)))
        c->seed = v;
      else if (!strcmp(a, "--repeat") && !(rc = parse_count(a, next, 1, &v, err)))
        c->repeat = v;
      else if (!rc && strcmp(a, "--t") && strcmp(a, "--k") && strcmp(a, "--K") &&
               strcmp(a, "--seed") && strcmp(a, "--repeat") && strcmp(a, "--steps") &&
               strcmp(a, "--max-work") &&
               strcmp(a, "--warm") && strcmp(a, "--exact"))
        return hg_fail(err, HG_ERR_ARG, "unknown option '%s' (see hgbench --help)", a);
      i += takes;
    } else if (!strncmp(a, "tol_lower=", 10)) {
      rc = parse_tol(a, a + 10, &c->budget.tol_lower, err);
    } else if (!strncmp(a, "tol_linear=", 11)) {
      rc = parse_tol(a, a + 11, &c->budget.tol_linear, err);
    } else if (strchr(a, '=')) {
      c->words[c->nwords++] = a;
    } else if (want_problem && !c->problem) {
      c->problem = a;
    } else {
      return hg_fail(err, HG_ERR_ARG, "unexpected argument '%s' (see hgbench --help)", a);
    }
  }
  if (!rc && c->max_seconds > 0)
    c->deadline = hg_now() + c->max_seconds;
  if (!rc && want_problem == 2 && !c->problem)
    rc = hg_fail(err, HG_ERR_ARG, "missing %s (see hgbench --help)",
                 strcmp(argv[1], "run") ? "PROBLEM" : "SCENARIO.lua");
  return rc;
}

/* Create the problem and read theta (from --theta, or the problem's theta0). */
static int setup(const cli *c, hg_problem **P, double **theta, hg_error *err)
{
  hg_policy pol = {.mem_cap = c->max_memory}; /* its runs keep to the cap too */
  int rc = hg_problem_create_under(c->problem, c->nwords, c->words, &pol, P, err);
  if (rc)
    return rc;
  *theta = calloc((size_t)(*P)->n_theta, sizeof **theta);
  if (!*theta)
    return hg_fail(err, HG_ERR_NOMEM, "out of memory for theta");
  if (c->theta_spec && c->theta_spec[0] == '@' &&
      (rc = hg_regular_file(c->theta_spec + 1, "--theta file", err)))
    return rc;
  if (c->theta_spec)
    return hg_theta_parse(c->theta_spec, (*P)->n_theta, *theta, err);
  (*P)->ops->theta0((*P)->self, *theta);
  return HG_OK;
}

static void print_schema(const hg_param_spec *s)
{
  for (; s && s->key; s++) {
    char head[64];
    snprintf(head, sizeof head, "%s=%s", s->key,
             s->def ? s->def : s->type == HG_PARAM_CHOICE ? s->choices : "");
    printf("      %-26s %s\n", head, s->help ? s->help : "");
  }
}

static int cmd_list(int argc, char **argv)
{
  const char *what = argc > 2 ? argv[2] : "all";
  int problems = !strcmp(what, "all") || !strcmp(what, "problems");
  int methods = !strcmp(what, "all") || !strcmp(what, "methods");
  int outers = !strcmp(what, "all") || !strcmp(what, "outer");
  if (!problems && !methods && !outers)
    return bad_input("list takes problems, methods or outer");
  if (problems) {
    printf("problems:\n");
    for (const hg_entry *e = hg_problem_list(); e->name; e++) {
      const hg_problem_ops *ops = e->ops;
      printf("  %-14s %s\n", e->name, ops->summary);
      print_schema(ops->params);
    }
  }
  if (methods) {
    printf("methods:\n");
    for (const hg_entry *e = hg_method_list(); e->name; e++) {
      const hg_method_ops *ops = e->ops;
      printf("  %-14s %s\n", e->name, ops->summary);
      print_schema(ops->params);
    }
  }
  if (outers) {
    printf("outer loops (hgbench optimize --outer NAME[:key=value,...]):\n");
    for (const hg_entry *e = hg_outer_list(); e->name; e++) {
      const hg_outer_ops *ops = e->ops;
      printf("  %-14s %s\n", e->name, ops->summary);
      print_schema(ops->params);
    }
    printf("  every loop: --work exit-index|oracle-calls|time (default exit-index: lower + "
           "linear iterations; the x-axis and what --max-work counts)\n");
  }
  return 0;
}

static int cmd_info(cli *c, hg_error *err)
{
  hg_problem *P = NULL;
  double *theta = NULL, *wstar = NULL, *grad = NULL;
  hg_constants k;
  hg_theory th, tl; /* the DESIGN §7 constants at w*, and along the first t iterates */
  char desc[512] = "";
  int rc = setup(c, &P, &theta, err);
  /* everything that can fail is computed before the first line is printed */
  int theory = !rc && P->ops->exact && P->ops->constants, local = c->t_given || c->local;

  if (!rc)
    rc = hg_theta_check(P->n_theta, theta, err);
  if (!rc && P->ops->constants)
    rc = hg_problem_constants(P, theta, &k, err);
  if (!rc && theory) { /* from w0 = 0 */
    wstar = malloc((size_t)P->n_w * sizeof *wstar);
    grad = malloc((size_t)P->n_theta * sizeof *grad);
    if (!wstar || !grad)
      rc = hg_fail(err, HG_ERR_NOMEM, "out of memory");
    if (!rc && !(rc = hg_exact(P, theta, wstar, grad, err)) &&
        !(rc = hg_theory_at(P, theta, wstar, NULL, &th, err)) && local)
      rc = hg_theory_local(P, theta, wstar, NULL, c->budget.t, &tl, err);
  }
  if (rc)
    goto done;
  if (P->ops->describe)
    P->ops->describe(P->self, desc, sizeof desc);
  printf("problem    %s: %s\n", P->ops->name, P->ops->summary);
  printf("params     %s\n", *hg_params_text(P->params) ? hg_params_text(P->params) : "(defaults)");
  if (*desc)
    printf("data       %s\n", desc);
  printf("n_w        %d\nn_theta    %d\n", P->n_w, P->n_theta);
  printf("theta      %s\n", c->theta_spec ? c->theta_spec : "theta0 (the problem's default)");
  printf("symmetric  %s\n", P->ops->symmetric ? "yes (CG applies)" : "no");
  if (P->ops->select)
    printf("batches    %d items of Phi's mean, %d of E's (sample ops: sid)\n",
           hg_problem_n_items(P, HG_SAMPLE_LOWER), hg_problem_n_items(P, HG_SAMPLE_UPPER));
  else
    printf("batches    none (no sample ops)\n");
  if (P->ops->constants) {
    int step = isfinite(k.step) || isfinite(k.mu) || isfinite(k.L);
    if (step) {
      printf("step       %.10g\n", k.step);
      printf("mu         %.10g%s\n", k.mu, k.exact_mu_L ? "" : "  (lower bound)");
      printf("L          %.10g%s\n", k.L, k.exact_mu_L ? "" : "  (upper bound)");
      printf("kappa      %.10g\n", k.kappa);
    } else {
      printf("step, mu, L, kappa  n/a (Phi is not a gradient step)\n");
    }
    printf("q          %.10g%s\n", k.q, k.q < 1 ? "" : step ? "  (NOT a contraction: lower step=)"
                                                         : "  (NOT a contraction)");
    printf("nu1, nu2   %.6g, %.6g   (Lipschitz in w of d_w Phi, d_theta Phi)\n", k.nu1, k.nu2);
    printf("mu1, mu2   %.6g, %.6g   (Lipschitz in w of grad_w E, grad_theta E)\n", k.mu1,
           k.mu2);
  }
  if (theory) {
    printf("D          %.6g   (||w0 - w*|| from w0 = 0)\n", th.D);
    printf("L_E        %.6g   (||grad_w E(w*)|| + mu1 D)\n", th.c.L_E);
    printf("L_Phi      %.6g   (||d_theta Phi(w*)|| + nu2 D)\n", th.c.L_Phi);
    printf("c1, c2, c3 %.6g, %.6g, %.6g   (DESIGN §7)\n", th.c1, th.c2, th.c3);
    if (!local) {
      printf("trajectory-local constants: not computed (--t N or --local: along the first N "
             "iterates, %d by default; a few Lanczos runs per iterate)\n", c->budget.t);
    } else {
      printf("trajectory-local, along w_0 .. w_%d from w0 = 0 (--t):\n", c->budget.t);
      printf("  q        %.6g   (max ||d_w Phi(w_s)||)\n", tl.c.q);
      printf("  nu1, nu2 %.6g, %.6g\n  mu1, mu2 %.6g, %.6g\n", tl.c.nu1, tl.c.nu2,
             tl.c.mu1, tl.c.mu2);
      printf("  L_E      %.6g\n  L_Phi    %.6g\n", tl.c.L_E, tl.c.L_Phi);
      printf("  c1, c2, c3 %.6g, %.6g, %.6g\n", tl.c1, tl.c2, tl.c3);
    }
  }
done:
  free(wstar);
  free(grad);
  free(theta);
  hg_problem_destroy(&P);
  return rc ? EXIT_BADINPUT : 0;
}

static int cmd_check(cli *c, hg_error *err)
{
  hg_problem *P = NULL;
  double *theta = NULL;
  hg_check_report rep;
  int rc = setup(c, &P, &theta, err);

  if (!rc)
    rc = hg_check(P, theta, (uint64_t)c->seed, &rep, err);
  if (!rc) {
    printf("%-26s %12s %10s  %s\n", "check", "rel. error", "tolerance", "result");
    for (int i = 0; i < rep.nrows; i++)
      printf("%-26s %12.3e %10.0e  %s\n", rep.rows[i].what, rep.rows[i].error, rep.rows[i].tol,
             rep.rows[i].pass ? "PASS" : "FAIL");
    printf("%s: %s\n", P->ops->name, rep.all_pass ? "all checks passed" : "CHECKS FAILED");
  }
  free(theta);
  hg_problem_destroy(&P);
  return rc ? EXIT_BADINPUT : rep.all_pass ? 0 : EXIT_FAILED;
}

/* Verify one problem; returns the number of failures, or -1 when it could not run. */
static int verify_one(cli *c, hg_error *err)
{
  hg_problem *P = NULL;
  double *theta = NULL;
  hg_verify_report rep = {0};
  int rc = setup(c, &P, &theta, err);

  if (!rc)
    rc = hg_verify(P, theta, c->local, &rep, err);
  if (!rc) {
    printf("\n== %s %s  (n_w = %d, n_theta = %d, q = %.4g, large budget t = k = %d; "
           "verified in %.3g s)\n", P->ops->name, hg_params_text(P->params), P->n_w,
           P->n_theta, rep.q, rep.t_big, rep.wall_s);
    printf("%-13s %-22s %6s %6s %11s %9s %10s %8s  %s\n", "method", "check", "t", "k",
           "rel. error", "tolerance", "wall [s]", "calls", "result");
    for (int i = 0; i < rep.nrows; i++) {
      const hg_verify_row *r = &rep.rows[i];
      if (!strncmp(r->what, "bound and rate", 14) || !strncmp(r->what, "inexact", 7))
        continue; /* theory rows: the tables below */
      const char *verdict = r->verdict == 1 ? "PASS" : r->verdict == 0 ? "FAIL"
                            : r->status == HG_ERR_UNSUPPORTED ? "n/a" : "info";
      printf("%-13s %-22s %6d %6d %11.3e %9.0e %10.2e %8ld  %s%s%s\n", r->method, r->what, r->t,
             r->k, r->error, r->tol, r->wall_s, r->calls, verdict, *r->note ? ": " : "",
             r->note);
    }
    printf("\nbounds (DESIGN §7, %s constants) on a grid of t (k = t) or of k (t = %d); linear "
           "rate fitted past the error's peak, above round-off:\n",
           rep.local ? "trajectory-local" : "global", rep.t_big);
    printf("(theory: the asymptotic rate of DESIGN §7; bound: the slower of it and the bound's "
           "own rate over the same budgets,\n which the fit is held to: exponent ratio "
           "log fitted / log bound >= 0.95)\n");
    printf("%-13s %4s %5s %13s %8s %28s %8s %8s %9s  %s\n", "method", "axis", "runs",
           "max err/bound", "violated", "fitted rate [95 % interval]", "theory", "bound",
           "exp.ratio", "result");
    for (int i = 0; i < rep.nrows; i++) {
      const hg_verify_row *r = &rep.rows[i];
      char fit[64];
      if (strncmp(r->what, "bound and rate", 14))
        continue;
      snprintf(fit, sizeof fit, "%.4f [%.4f, %.4f]", r->rate, r->rate_lo, r->rate_hi);
      printf("%-13s %4c %5d %13.3e %8d %28s %8.4f %8.4f %9.3f  %s%s%s\n", r->method,
             r->what[strlen(r->what) - 1], r->points, r->max_ratio, r->violations, fit,
             r->rate_theory, r->rate_bound, r->error,
             r->verdict == 1 ? "PASS" : r->verdict == 0 ? "FAIL" : "info",
             *r->note ? ": " : "", r->note);
    }
    printf("\ninexact bound omega(eps, delta) of DESIGN §7 (eps, delta measured a posteriori) "
           "over tol_lower = tol_linear = 1e-2 .. 1e-12:\n");
    printf("%-13s %5s %13s %8s  %s\n", "method", "runs", "max err/omega", "violated", "result");
    for (int i = 0; i < rep.nrows; i++) {
      const hg_verify_row *r = &rep.rows[i];
      if (strncmp(r->what, "inexact", 7))
        continue;
      printf("%-13s %5d %13.3e %8d  %s%s%s\n", r->method, r->points, r->max_ratio,
             r->violations, r->verdict == 1 ? "PASS" : r->verdict == 0 ? "FAIL" : "info",
             *r->note ? ": " : "", r->note);
    }
  }
  int failures = rc ? -1 : rep.failures;
  c->not_applicable += rep.not_applicable;
  c->informational += rep.informational;
  hg_verify_release(&rep);
  free(theta);
  hg_problem_destroy(&P);
  return failures;
}

static int cmd_verify(cli *c, hg_error *err)
{
  int failures = 0, problems = 0;
  if (c->problem) {
    failures = verify_one(c, err);
    problems = 1;
  } else {
    if (c->nwords || c->theta_spec)
      return bad_input("verify without PROBLEM runs every problem with its defaults: "
                       "key=value words and --theta need a PROBLEM");
    for (const hg_entry *e = hg_problem_list(); e->name && failures >= 0; e++, problems++) {
      c->problem = e->name;
      int f = verify_one(c, err);
      failures = f < 0 ? f : failures + f;
    }
  }
  if (failures < 0)
    return EXIT_BADINPUT;
  printf("\nverify: %d problem(s), %d failure(s), %d n/a, %d ungraded (each row says why)\n",
         problems, failures, c->not_applicable, c->informational);
  return failures ? EXIT_FAILED : 0;
}

/* Print the checks of one battery as table lines; returns the failures. */
static int print_checks(const char *subject, const hg_selftest_report *rep)
{
  for (int i = 0; i < rep->n; i++) {
    const hg_selftest_check *k = &rep->checks[i];
    printf("%-4s  %-28s  %-44s  %s\n", k->verdict == 1 ? "PASS" : k->verdict == 0 ? "FAIL" : "n/a",
           subject, k->name, k->note);
  }
  return rep->failures;
}

/* With --plugin PATH.so on the command line, selftest runs only what involves the plugins'
 * entries: their methods on every problem, their problems with every method (method NULL:
 * the problem's own battery). */
static int from_plugin(const char *method, const char *problem)
{
  return !hg_plugins_from_args() || hg_plugin_gave_problem(problem) ||
         (method && hg_plugin_gave_method(method));
}

/* hgbench selftest [--method NAME] [--problem NAME] [--list]: the registry-driven battery. */
static int cmd_selftest(int argc, char **argv)
{
  const char *method = NULL, *problem = NULL;
  int list = 0, failures = 0, checks = 0, skipped = 0;
  hg_error err;

  for (int i = 2; i < argc; i++) {
    if (!strcmp(argv[i], "--list"))
      list = 1;
    else if (!strcmp(argv[i], "--method") && i + 1 < argc)
      method = argv[++i];
    else if (!strcmp(argv[i], "--problem") && i + 1 < argc)
      problem = argv[++i];
    else
      return bad_input("selftest takes [--method NAME] [--problem NAME] [--list]");
  }
  hg_error_clear(&err);
  if ((method && !hg_find_method(method, &err)) || (problem && !hg_find_problem(problem, &err)))
    return bad_input(err.msg);
  if (list)
    return hg_selftest_list(stdout, method, problem) ? EXIT_BADINPUT : 0;
  for (const hg_entry *m = hg_method_list();
       m->name && (method || !problem || hg_plugins_from_args()); m++) {
    if (method && strcmp(m->name, method))
      continue;
    for (const hg_entry *p = hg_problem_list(); p->name; p++) {
      if ((problem && strcmp(p->name, problem)) || !from_plugin(m->name, p->name))
        continue;
      hg_selftest_report rep = {0};
      char subject[96];
      snprintf(subject, sizeof subject, "%s on %s", m->name, p->name);
      int rc = hg_selftest_method(m->name, m->ops, p->name, &rep, &err);
      failures += rc ? 1 : print_checks(subject, &rep);
      checks += rep.n;
      skipped += rep.skipped;
      if (rc)
        printf("FAIL  %-28s  %-44s  %s\n", subject, "battery", err.msg);
      hg_selftest_release(&rep);
    }
  }
  for (const hg_entry *p = hg_problem_list(); p->name && !method; p++) {
    if ((problem && strcmp(p->name, problem)) || !from_plugin(NULL, p->name))
      continue;
    hg_selftest_report rep = {0};
    int rc = hg_selftest_problem(p->name, &rep, &err);
    failures += rc ? 1 : print_checks(p->name, &rep);
    checks += rep.n;
    skipped += rep.skipped;
    if (rc)
      printf("FAIL  %-28s  %-44s  %s\n", p->name, "battery", err.msg);
    hg_selftest_release(&rep);
  }
  printf("\nselftest: %d check(s), %d failed, %d not applicable or ungraded\n", checks, failures,
         skipped);
  return failures ? EXIT_FAILED : 0;
}

/* Split "name:key=value,key=value" into the name and parameter words (in buf). */
static int split_method(const char *spec, char *buf, size_t len, const char **name,
                        const char **words, int *nwords, hg_error *err)
{
  if (strlen(spec) >= len)
    return hg_fail(err, HG_ERR_ARG, "--method %s: too long", spec);
  strcpy(buf, spec);
  *nwords = 0;
  *name = buf;
  char *colon = strchr(buf, ':');
  if (!colon)
    return HG_OK;
  *colon = '\0';
  for (char *tok = strtok(colon + 1, ","); tok && *nwords < 16; tok = strtok(NULL, ","))
    words[(*nwords)++] = tok;
  return HG_OK;
}

/* Check a plugin spec NAME[:key=value,...] of a method (kind 'm') or an outer loop ('o'):
 * the name in the registry and the words against its schema, before any output. */
static int check_spec(char kind, const char *spec, hg_error *err)
{
  char buf[256], owner[96];
  const char *name, *words[16];
  const hg_param_spec *schema = NULL;
  hg_params *p = NULL;
  int nw = 0, rc = split_method(spec, buf, sizeof buf, &name, words, &nw, err);

  if (rc)
    return rc;
  if (kind == 'm') {
    const hg_method_ops *M = hg_find_method(name, err);
    if (!M)
      return err->status;
    schema = M->params;
    snprintf(owner, sizeof owner, "method '%s'", M->name);
  } else {
    const hg_outer_ops *O = hg_find_outer(name, err);
    if (!O)
      return err->status;
    schema = O->params;
    snprintf(owner, sizeof owner, "outer loop '%s'", O->name);
  }
  rc = hg_params_parse(schema, owner, nw, words, &p, err);
  hg_params_destroy(&p);
  return rc;
}

static void print_json(const hg_problem *P, const char *method, const hg_run *r)
{
  FILE *f = stdout;
  int m = r->n_theta;
  fputs("{\"problem\": ", f);
  hg_json_string(f, P->ops->name);
  fputs(", \"method\": ", f);
  hg_json_string(f, method);
  fprintf(f, ", \"t\": %d, \"k\": %d, \"n_w\": %d, \"n_theta\": %d, \"value\": ", r->t, r->k,
          r->n_w, r->n_theta);
  hg_json_number(f, r->value);
  fputs(", \"hypergrad\": ", f);
  hg_json_array(f, m, r->grad);
  fputs(", \"exact\": ", f);
  hg_json_array(f, m, r->exact);
  fputs(", \"rel_error\": ", f);
  hg_json_number(f, r->exact ? r->rel_error : NAN);
  fputs(", \"wall_s\": ", f);
  hg_json_number(f, r->wall_s);
  fprintf(f, ", \"counts\": {\"phi\": %ld, \"jvp_w\": %ld, \"vjp_w\": %ld, \"vjp_theta\": %ld, "
          "\"jvp_theta\": %ld}, \"peak_bytes\": %zu", r->counts.phi, r->counts.jvp_w,
          r->counts.vjp_w, r->counts.vjp_theta, r->counts.jvp_theta, r->peak_bytes);
  const hg_method_ops *M = hg_find_method(method, NULL);
  fprintf(f, ", \"problem_rev\": %d, \"method_rev\": %d}\n", P->ops->revision,
          M ? M->revision : 0);
}

static int cmd_hypergrad(cli *c, hg_error *err)
{
  hg_problem *P = NULL;
  double *theta = NULL, *w0 = NULL;
  hg_run r = {0};
  hg_run_opts o = {0};
  char buf[256];
  const char *name, *mwords[16];
  int nm = 0, rc;

  if (!c->method)
    return bad_input("hypergrad needs --method NAME (see hgbench list methods)");
  if ((rc = check_spec('m', c->method, err)) ||
      (rc = split_method(c->method, buf, sizeof buf, &name, mwords, &nm, err)) ||
      (rc = setup(c, &P, &theta, err)))
    goto done;
  if (c->w0_spec) {
    if (c->w0_spec[0] != '@') {
      rc = hg_fail(err, HG_ERR_ARG, "--w0 takes @FILE (one number per line)");
      goto done;
    }
    w0 = calloc((size_t)P->n_w, sizeof *w0);
    if (!w0 || (rc = hg_regular_file(c->w0_spec + 1, "--w0 file", err)) ||
        (rc = hg_theta_parse(c->w0_spec, P->n_w, w0, err)))
      goto done;
  }
  o.w0 = w0;
  o.seed = (uint64_t)c->seed;
  o.mem_cap = c->max_memory;
  o.deadline = c->deadline;
  o.with_reference = 1;
  o.local_constants = c->local;
  if ((rc = hg_hypergrad(P, name, nm, mwords, theta, &c->budget, &o, &r, err)))
    goto done;
  if (c->json) {
    print_json(P, name, &r);
  } else {
    printf("problem %s, method %s: t = %d, k = %d, value = %.10g\n", P->ops->name, name, r.t,
           r.k, r.value);
    printf("%6s %22s %22s\n", "j", "hypergradient", "exact");
    for (int j = 0; j < P->n_theta && j < 20; j++)
      printf("%6d %22.15g %22.15g\n", j, r.grad[j], r.exact ? r.exact[j] : NAN);
    if (P->n_theta > 20)
      printf("   ... (%d entries; --json prints all)\n", P->n_theta);
    printf("rel. error %.3e, wall %.3e s, calls phi %ld jvp_w %ld vjp_w %ld vjp_theta %ld "
           "jvp_theta %ld, peak %zu bytes\n", r.rel_error, r.wall_s, r.counts.phi,
           r.counts.jvp_w, r.counts.vjp_w, r.counts.vjp_theta, r.counts.jvp_theta, r.peak_bytes);
    printf("abs. error %.3e, bound (DESIGN §7) %.3e%s\n", r.abs_error, r.bound,
           r.bound_violated ? "  BOUND VIOLATED" : "");
    const hg_method_ops *Mo = hg_find_method(name, NULL);
    int post = Mo && Mo->posterior; /* its own bound: delta a certified adjoint distance */
    if (!isnan(r.omega))
      printf("%s %.3e from eps = %.3e >= ||w - w*||, delta = %.3e (%s)\n",
             post ? "a-posteriori bound" : "inexact bound omega", r.omega, r.eps, r.delta,
             post ? "certified adjoint distance" : "adjoint residual");
  }
  if (r.status) /* budget: the numbers stand, the tolerance was not met */
    fprintf(stderr, "hgbench: status %s: %s\n", hg_status_word(r.status), r.note);
done:
  hg_run_release(&r);
  free(w0);
  free(theta);
  hg_problem_destroy(&P);
  return rc ? EXIT_BADINPUT : 0;
}

static int compare_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static int cmd_bench(cli *c, hg_error *err)
{
  hg_problem *P = NULL;
  double *theta = NULL, *ref = NULL, *wstar = NULL, times[64], t_exact = 0;
  char list[512];
  if (c->bench_mode) { /* harness/cli/bench.c */
    hg_bench_args a = {c->bench_mode, c->scale_axis, c->problem, c->methods, c->out,
                       c->nwords, c->words, c->budget, c->repeat};
    return hg_cli_bench_mode(&a, err);
  }
  if (!c->problem)
    return hg_fail(err, HG_ERR_ARG, "missing PROBLEM (see hgbench --help)"), EXIT_BADINPUT;
  int rc = setup(c, &P, &theta, err);

  if (rc)
    goto done;
  snprintf(list, sizeof list, "%s", c->methods ? c->methods
           : "exact,itd,itd-forward,tbptt,aid-fp,aid-cg,neumann,jfb");
  /* entries "name[:key=value]" separated by commas; a token with '=' and no ':' is one more
   * parameter of the entry before it (aid-gmres:restart=5,lower=fista,aid-cg) */
  char *entries[64];
  int nentries = 0;
  for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
    if (strchr(tok, '=') && !strchr(tok, ':') && nentries > 0)
      tok[-1] = ','; /* rejoin with the entry before: it ends right before this token */
    else if (nentries < 64)
      entries[nentries++] = tok;
  }
  for (int e = 0; e < nentries; e++) /* every name and word before the first line */
    if ((rc = check_spec('m', entries[e], err)))
      goto done;
  if (P->ops->exact) {
    ref = malloc((size_t)P->n_theta * sizeof *ref);
    wstar = malloc((size_t)P->n_w * sizeof *wstar);
    if (!ref || !wstar) {
      rc = hg_fail(err, HG_ERR_NOMEM, "out of memory");
      goto done;
    }
    t_exact = hg_now();
    if ((rc = hg_exact(P, theta, wstar, ref, err)))
      goto done;
    t_exact = hg_now() - t_exact;
  }
  printf("bench %s %s: n_w = %d, n_theta = %d, t = %d, k = %d, K = %d, %ld repeats "
         "(median wall time)\n", P->ops->name, hg_params_text(P->params), P->n_w, P->n_theta,
         c->budget.t, c->budget.k, c->budget.K, c->repeat);
  printf("%-24s %6s %6s %11s %12s %12s %10s %12s\n", "method", "t", "k", "rel. error",
         "median [s]", "min [s]", "calls", "peak bytes");
  for (int e = 0; e < nentries; e++) {
    hg_run r = {0};
    hg_run_opts o = {0};
    long reps = c->repeat < 64 ? c->repeat : 64;
    char buf[256];
    const char *name, *mwords[16];
    int nm = 0;
    o.reference = ref;
    o.mem_cap = c->max_memory;
    o.deadline = c->deadline;
    if ((rc = split_method(entries[e], buf, sizeof buf, &name, mwords, &nm, err)))
      goto done;
    for (long i = 0; i < reps && !rc; i++) {
      hg_run_release(&r);
      rc = hg_hypergrad(P, name, nm, mwords, theta, &c->budget, &o, &r, err);
      times[i] = r.wall_s;
    }
    if (rc == HG_ERR_UNSUPPORTED || rc == HG_ERR_NONCONTRACT) {
      printf("%-24s n/a: %s\n", entries[e], err->msg);
      rc = HG_OK;
    } else if (!rc) {
      qsort(times, (size_t)reps, sizeof *times, compare_double);
      long calls = hg_counts_oracle(&r.counts);
      printf("%-24s %6d %6d %11.3e %12.4e %12.4e %10ld %12zu", entries[e], r.t, r.k,
             r.rel_error, times[reps / 2], times[0], calls, r.peak_bytes);
      if (r.counts.blocks) /* jvp_w_block calls: their products are counted in calls */
        printf("  (%ld jvp_w in %ld blocks)", r.counts.jvp_w, r.counts.blocks);
      printf("\n");
    }
    hg_run_release(&r);
    if (rc)
      goto done;
  }
  if (P->ops->exact)
    printf("(the exact reference took %.4e s once)\n", t_exact);
done:
  free(ref);
  free(wstar);
  free(theta);
  hg_problem_destroy(&P);
  return rc ? EXIT_BADINPUT : 0;
}

/* The rows of an outer run as JSON (one object, rows as arrays of objects). */
static void print_optimize_json(const hg_problem *P, const char *outer, const char *method,
                                const hg_outer_result *R)
{
  FILE *f = stdout;
  fputs("{\"problem\": ", f);
  hg_json_string(f, P->ops->name);
  fputs(", \"outer\": ", f);
  hg_json_string(f, outer);
  fputs(", \"method\": ", f);
  hg_json_string(f, method);
  fputs(", \"steps\": [", f);
  for (int i = 0; i < R->n; i++) {
    fprintf(f, "%s\n  {", i ? "," : "");
    for (int c = 0; c < HG_OUTER_NCOLUMNS; c++) {
      const hg_outer_column *col = &hg_outer_columns[c];
      double v = col->get(&R->steps[i]);
      fprintf(f, "\"%s\": ", col->name);
      if (col->kind == 'd')
        hg_json_number(f, v);
      else
        fprintf(f, "%ld", (long)v);
      fputs(", ", f);
    }
    fputs("\"theta\": ", f);
    hg_json_array(f, R->n_theta, R->theta + (size_t)i * (size_t)R->n_theta);
    fputc('}', f);
  }
  fprintf(f, "], \"status\": \"%s\", \"problem_rev\": %d, \"outer_rev\": %d, "
          "\"method_rev\": %d}\n", hg_status_word(R->status), R->problem_rev, R->outer_rev,
          R->method_rev);
}

static void print_optimize_table(const hg_problem *P, const char *outer, const char *method,
                                 const hg_outer_result *R)
{
  printf("optimize %s %s: outer %s, method %s, n_theta = %d\n", P->ops->name,
         hg_params_text(P->params), outer, method, P->n_theta);
  const char *sep = "";
  for (int c = 0; c < HG_OUTER_NCOLUMNS; c++)
    if (hg_outer_columns[c].heading) {
      printf("%s%*s", sep, hg_outer_columns[c].width, hg_outer_columns[c].heading);
      sep = " ";
    }
  putchar('\n');
  for (int i = 0; i < R->n; i++) {
    sep = "";
    for (int c = 0; c < HG_OUTER_NCOLUMNS; c++) {
      const hg_outer_column *col = &hg_outer_columns[c];
      double v = col->get(&R->steps[i]);
      if (!col->heading)
        continue;
      if (col->kind == 'd')
        printf("%s%*.*e", sep, col->width, col->digits, v);
      else if (col->kind == 'b')
        printf("%s%*s", sep, col->width, v ? "yes" : "no");
      else
        printf("%s%*ld", sep, col->width, (long)v);
      sep = " ";
    }
    putchar('\n');
  }
}

static int cmd_optimize(cli *c, hg_error *err)
{
  hg_problem *P = NULL;
  double *theta = NULL;
  hg_outer_result R = {0};
  char mbuf[256], obuf[256];
  const char *mname, *oname, *mwords[16], *owords[16];
  int nm = 0, no = 0, rc;

  if (!c->outer)
    return bad_input("optimize needs --outer NAME (see hgbench list outer)");
  if (!c->method)
    return bad_input("optimize needs --method NAME (see hgbench list methods)");
  if (c->json && c->out)
    return bad_input("optimize takes --json or --out DIR, not both");
  if ((rc = split_method(c->outer, obuf, sizeof obuf, &oname, owords, &no, err)) ||
      (rc = split_method(c->method, mbuf, sizeof mbuf, &mname, mwords, &nm, err)))
    goto done;
  if ((rc = check_spec('o', c->outer, err)) || (rc = check_spec('m', c->method, err)))
    goto done;
  if ((rc = setup(c, &P, &theta, err)))
    goto done;
  if (c->max_work > 0 && !c->steps_given) /* a work budget: the steps only cap it */
    c->steps = HG_OUTER_MAX_STEPS;
  int work = HG_WORK_EXIT_INDEX;
  if (c->work && (rc = hg_work_kind(c->work, "--work", &work, err)))
    goto done;
  hg_optimize_opts o = {.method = mname, .nmwords = nm, .mwords = mwords, .work = work,
                        .budget = c->budget, .steps = (int)c->steps,
                        .max_work = c->max_work, .theta0 = theta,
                        .warm = (int)c->warm, .exact = (int)c->exact,
                        .seed = (uint64_t)c->seed, .deadline = c->deadline};
  rc = hg_optimize(P, oname, no, owords, &o, &R, err);
  if (R.n == 0 && rc)
    goto done;
  if (c->json) {
    print_optimize_json(P, oname, mname, &R);
  } else if (c->out) {
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) {
      rc = hg_fail(err, HG_ERR_NOMEM, "out of memory for optimize.tsv");
      goto done;
    }
    fputs(HG_OPTIMIZE_TSV_HEADER, f);
    hg_optimize_tsv(f, &R, oname, P->ops->name, oname, mname);
    fclose(f);
    int wrc = hg_make_dirs(c->out, err) ? err->status
                                     : hg_write_atomic(c->out, "optimize.tsv", text, len, err);
    free(text);
    if (wrc) {
      rc = wrc;
      goto done;
    }
    printf("hgbench: %d rows in %s/optimize.tsv\n", R.n, c->out);
  } else {
    print_optimize_table(P, oname, mname, &R);
  }
  if (rc)
    fprintf(stderr, "hgbench: stopped after %d rows\n", R.n);
done:
  hg_outer_result_release(&R);
  free(theta);
  hg_problem_destroy(&P);
  return rc ? EXIT_BADINPUT : 0;
}

static int cmd_run(cli *c, hg_error *err)
{
  char outdir[1024], trace[4096] = "";
  int failed = 0;
  const char *script = c->problem;

  if (c->nwords)
    return bad_input("run takes SCENARIO.lua and options, not key=value words");
  if (c->out) {
    /* room for the scenario's file names (hg_plot_ref.file) under the folder */
    int rc = hg_path_fits("--out", c->out, sizeof outdir, 128, err);
    if (rc)
      return rc;
    snprintf(outdir, sizeof outdir, "%s", c->out);
  } else { /* out/<script base name without .lua> */
    const char *base = strrchr(script, '/') ? strrchr(script, '/') + 1 : script;
    size_t len = strlen(base);
    if (len > 4 && !strcmp(base + len - 4, ".lua"))
      len -= 4;
    snprintf(outdir, sizeof outdir, "out/%.*s", (int)len, base);
  }
  hg_lua_opts lo = {.sandbox = c->sandbox, .allow_read = c->allow_read,
                    .n_allow_read = c->nallow, .max_seconds = c->max_seconds,
                    .max_memory = c->max_memory};
  if (c->sandbox && !c->max_seconds_given)
    lo.max_seconds = SANDBOX_MAX_SECONDS;
  if (c->nallow && !c->sandbox)
    return bad_input("--allow-read applies only with --sandbox");
  if (c->shard && c->mpi)
    return bad_input("run takes --shard or --mpi, not both");
  if (c->shard) /* sweep.c */
    return hg_cli_run_shard(script, outdir, &lo, c->shard, c->traceback);
  if (c->mpi) /* mpi.c */
    return hg_cli_run_mpi(script, outdir, &lo, c->traceback);
  int rc = hg_lua_run(script, outdir, &lo, &failed, trace, sizeof trace, err);
  if (rc) {
    if (c->traceback && *trace)
      fprintf(stderr, "%s\n", trace);
    return EXIT_BADINPUT;
  }
  if (failed)
    fprintf(stderr, "hgbench: %s: %d expectation(s) failed (see %s/report.md)\n", script,
            failed, outdir);
  else
    printf("hgbench: %s: done; report in %s/report.md\n", script, outdir);
  return failed ? EXIT_FAILED : 0;
}

int main(int argc, char **argv)
{
  hg_error err;
  cli c;
  int status;
  const char *cmd;

  hg_error_clear(&err);
  /* The registry first: the built-in plugins, then read-only for the rest of the process. */
  if (hg_register_builtin(&err)) {
    fprintf(stderr, "hgbench: %s\n", err.msg);
    return EXIT_FAILED;
  }
  /* Plugins from HGBENCH_PLUGIN_PATH and --plugin PATH.so (taken out of argv) join it. */
  if (hg_plugins_load(&argc, argv, &err))
    return bad_input(err.msg);
  hg_registry_freeze();
  cmd = argc > 1 ? argv[1] : NULL;
  /* One BLAS thread unless the user asks for more: on the small and medium problems hgbench
   * mostly runs, OpenBLAS's threads cost more than they gain (the quickstart: 6.4 s with two
   * threads, 3.8 s with one, on 2 cores).  manifest.json records the count used. */
  if (!getenv("OPENBLAS_NUM_THREADS") && !getenv("OMP_NUM_THREADS"))
    openblas_set_num_threads(1);
  if (!cmd || !strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
    fputs(usage, cmd ? stdout : stderr);
    return cmd ? 0 : EXIT_BADINPUT;
  }
  if (!strcmp(cmd, "--version")) {
    printf("hgbench %s\n", HG_VERSION);
    return 0;
  }
  if (!strcmp(cmd, "list"))
    return cmd_list(argc, argv);
  if (!strcmp(cmd, "selftest"))
    return cmd_selftest(argc, argv);
  if (!strcmp(cmd, "compare"))
    return hg_cli_compare(argc, argv);
  if (!strcmp(cmd, "plan")) /* scale-out (sweep.c) */
    return hg_cli_plan(argc, argv);
  if (!strcmp(cmd, "merge"))
    return hg_cli_merge(argc, argv);
  if (!strcmp(cmd, "status"))
    return hg_cli_status(argc, argv);
  if (!strcmp(cmd, "slurm"))
    return hg_cli_slurm(argc, argv);

  static const struct {
    const char *name;
    int want_problem; /* 2 required, 1 optional */
    int (*run)(cli *, hg_error *);
  } commands[] = {
    {"info", 2, cmd_info},           {"check", 2, cmd_check},
    {"verify", 1, cmd_verify},       {"hypergrad", 2, cmd_hypergrad},
    {"bench", 1, cmd_bench},         {"run", 2, cmd_run},
    {"optimize", 2, cmd_optimize},
  };
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
    if (strcmp(cmd, commands[i].name))
      continue;
    if (parse_cli(argc, argv, 2, commands[i].want_problem, &c, &err)) {
      free(c.words);
      free(c.allow_read);
      return bad_input(err.msg);
    }
    status = commands[i].run(&c, &err);
    free(c.words);
    free(c.allow_read);
    if (err.status)
      print_error(err.msg);
    return status;
  }
  fprintf(stderr, "hgbench: unknown command '%s' (see hgbench --help)\n", cmd);
  return EXIT_BADINPUT;
}

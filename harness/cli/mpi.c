/*
 * mpi.c -- `mpirun -np N hgbench run SCENARIO.lua --mpi --out DIR` (built with HGBENCH_MPI).
 *
 * Every rank runs the planning pass (the same list on every rank) and then executes the runs
 * rank 0 hands out, longest estimated first, one at a time (a rank asks for its next run before
 * executing the current one, hiding the answer's latency): dynamic assignment, so one slow run
 * does not stall a rank's share.  Rank 0 computes too: a second thread of rank 0 answers
 * the other ranks' requests (MPI_THREAD_SERIALIZED: only that thread calls MPI meanwhile), and
 * polls with short sleeps rather than spinning, so it leaves rank 0's core to the runs.  Each
 * rank writes its own folder DIR/rank-R, one fsync'ed results.tsv row per finished run, so
 * when a rank dies (Debian's OpenMPI then aborts the job) every finished run is on disk and a
 * rerun finishes the rest: rank 0 hands out only the runs no folder under DIR holds.  At the
 * end rank 0 merges the rank folders into DIR and runs the reporting pass (sweep.c).
 */
#define _XOPEN_SOURCE 700
#include "hglua.h"
#include "sweep.h"

#include <cblas.h>
#include <mpi.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { TAG_ASK = 1, TAG_GIVE = 2 };

typedef struct mpi_ctx {
  int rank, size;
  int serialized;        /* MPI_THREAD_SERIALIZED granted: rank 0 computes too */
  const char *outdir;
  /* rank 0: the runs to hand out, longest first, and the next one (under lock) */
  int *todo, n_todo, next;
  pthread_mutex_t lock;
  hg_error thread_err;
  /* this rank's share */
  int ran;
  double busy_s, cost;
  double t0, planned, finished; /* MPI_Wtime at the start, at the end of planning, of its runs */
} mpi_ctx;

static void nap(void)
{
  struct timespec ts = {0, 200000}; /* 0.2 ms */
  nanosleep(&ts, NULL);
}

/* Wait for req without spinning a core. */
static void wait_for(MPI_Request *req, MPI_Status *st)
{
  int done = 0;
  for (;;) {
    MPI_Test(req, &done, st);
    if (done)
      return;
    nap();
  }
}

/* The next run to execute (rank 0's list), -1 when none is left. */
static int take(mpi_ctx *c)
{
  pthread_mutex_lock(&c->lock);
  int j = c->next < c->n_todo ? c->todo[c->next++] : -1;
  pthread_mutex_unlock(&c->lock);
  return j;
}

/* Rank 0's dispatcher: answers each other rank's requests until every one got its -1. */
static void *dispatch(void *arg)
{
  mpi_ctx *c = arg;
  int finished = 0, ask;
  while (finished < c->size - 1) {
    MPI_Request req;
    MPI_Status st;
    MPI_Irecv(&ask, 1, MPI_INT, MPI_ANY_SOURCE, TAG_ASK, MPI_COMM_WORLD, &req);
    wait_for(&req, &st);
    int j = take(c);
    MPI_Send(&j, 1, MPI_INT, st.MPI_SOURCE, TAG_GIVE, MPI_COMM_WORLD);
    finished += j < 0;
  }
  return NULL;
}

/* Execute unit j, timing it. */
static int run_one(hg_plan *plan, mpi_ctx *c, int j, hg_error *err)
{
  double t0 = MPI_Wtime();
  int rc = plan->exec(plan, j, err);
  c->busy_s += MPI_Wtime() - t0;
  c->cost += plan->units[j].cost;
  c->ran++;
  return rc;
}

static int mpi_share(hg_plan *plan, mpi_ctx *c, hg_error *err);

static int mpi_drive(hg_plan *plan, void *ctx, hg_error *err)
{
  mpi_ctx *c = ctx;
  c->planned = MPI_Wtime() - c->t0;
  int rc = mpi_share(plan, c, err);
  c->finished = MPI_Wtime() - c->t0;
  return rc;
}

/* mpi_drive's work: rank 0 hands out and computes, the others ask and compute. */
static int mpi_share(hg_plan *plan, mpi_ctx *c, hg_error *err)
{
  int rc = HG_OK;

  if (c->rank == 0) {
    int *state = malloc((size_t)(plan->n ? plan->n : 1) * sizeof *state);
    int *order = malloc((size_t)(plan->n ? plan->n : 1) * sizeof *order);
    c->todo = malloc((size_t)(plan->n ? plan->n : 1) * sizeof *c->todo);
    if (!state || !order || !c->todo)
      rc = hg_fail(err, HG_ERR_NOMEM, "out of memory for a plan of %d runs", plan->n);
    if (!rc) /* resume: hand out only what no folder under DIR holds */
      rc = hg_sweep_states(c->outdir, plan, state, err);
    if (!rc) {
      hg_plan_order(plan, order);
      for (int k = 0; k < plan->n; k++)
        if (state[order[k]] == 0)
          c->todo[c->n_todo++] = order[k];
    }
    free(state);
    free(order);
    if (rc)
      return rc;
    pthread_t th;
    int threaded = c->size > 1 && c->serialized && pthread_create(&th, NULL, dispatch, c) == 0;
    if (c->size > 1 && !threaded) {
      dispatch(c); /* no threads with MPI here: rank 0 only hands out */
    } else {
      for (int j; !rc && (j = take(c)) >= 0;)
        rc = run_one(plan, c, j, err);
      if (rc) /* the other ranks would wait for rank 0 forever */
        return rc;
    }
    if (threaded)
      pthread_join(th, NULL);
    return HG_OK;
  }
  /* Ask for the next run before executing the current one, so that rank 0's answer (its
   * dispatcher shares a core with its runs) arrives while this rank computes. */
  int ask = 0, j, next;
  MPI_Request req;
  MPI_Send(&ask, 1, MPI_INT, 0, TAG_ASK, MPI_COMM_WORLD);
  MPI_Irecv(&j, 1, MPI_INT, 0, TAG_GIVE, MPI_COMM_WORLD, &req);
  wait_for(&req, MPI_STATUS_IGNORE);
  while (j >= 0) {
    MPI_Send(&ask, 1, MPI_INT, 0, TAG_ASK, MPI_COMM_WORLD);
    MPI_Irecv(&next, 1, MPI_INT, 0, TAG_GIVE, MPI_COMM_WORLD, &req);
    if ((rc = run_one(plan, c, j, err)))
      return rc; /* the caller aborts the job */
    wait_for(&req, MPI_STATUS_IGNORE);
    j = next;
  }
  return HG_OK;
}

int hg_cli_run_mpi(const char *script, const char *outdir, const hg_lua_opts *lo, int traceback)
{
  int provided = 0, failed = 0;
  mpi_ctx c;
  hg_error err;
  hg_plan plan;
  char dir[1200], trace[4096] = "";

  memset(&c, 0, sizeof c);
  memset(&plan, 0, sizeof plan);
  hg_error_clear(&err);
  MPI_Init_thread(NULL, NULL, MPI_THREAD_SERIALIZED, &provided);
  MPI_Comm_rank(MPI_COMM_WORLD, &c.rank);
  MPI_Comm_size(MPI_COMM_WORLD, &c.size);
  c.serialized = provided >= MPI_THREAD_SERIALIZED;
  c.outdir = outdir;
  pthread_mutex_init(&c.lock, NULL);
  openblas_set_num_threads(1); /* one BLAS thread per rank, whatever the environment says */
  double t0 = MPI_Wtime();
  c.t0 = t0;

  int rc = c.rank == 0 ? hg_sweep_note(outdir, script, &err) : HG_OK;
  snprintf(dir, sizeof dir, "%s/rank-%d", outdir, c.rank);
  hg_lua_opts o = *lo;
  plan.mode = HG_PLAN_RECORD;
  plan.drive = mpi_drive;
  plan.ctx = &c;
  o.plan = &plan;
  if (!rc)
    rc = hg_lua_run(script, dir, &o, &failed, trace, sizeof trace, &err);
  if (rc) {
    char esc[4 * sizeof err.msg + 8];
    if (traceback && *trace)
      fprintf(stderr, "%s\n", trace);
    fprintf(stderr, "hgbench: run --mpi: rank %d: %s\n", c.rank, hg_escape(err.msg, esc,
                                                                       sizeof esc));
    fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, 2); /* finished runs are on disk: a rerun resumes */
  }

  /* every rank done (a non-blocking barrier, polled: no core spun while others work) */
  MPI_Request bar;
  MPI_Ibarrier(MPI_COMM_WORLD, &bar);
  wait_for(&bar, MPI_STATUS_IGNORE);
  enum { NSTAT = 5 };
  double mine[NSTAT] = {c.busy_s, c.cost, (double)c.ran, c.planned, c.finished};
  double *all = c.rank == 0 ? calloc(NSTAT * (size_t)c.size, sizeof *all) : NULL;
  MPI_Gather(mine, NSTAT, MPI_DOUBLE, all, NSTAT, MPI_DOUBLE, 0, MPI_COMM_WORLD);
  int status = 0;
  if (c.rank == 0) {
    double t_runs = MPI_Wtime() - t0, busiest = 0, sum = 0, last = 0, sum_end = 0;
    int missing = 0, merged_failed = 0;
    for (int r = 0; all && r < c.size; r++) {
      busiest = busiest > all[NSTAT * r] ? busiest : all[NSTAT * r];
      sum += all[NSTAT * r];
      last = last > all[NSTAT * r + 4] ? last : all[NSTAT * r + 4];
      sum_end += all[NSTAT * r + 4];
    }
    const char *srcs[] = {outdir};
    rc = hg_sweep_merge(srcs, 1, outdir, script, lo, 1, &missing, &merged_failed, &err);
    double t_all = MPI_Wtime() - t0;
    if (rc) {
      char esc[4 * sizeof err.msg + 8];
      fprintf(stderr, "hgbench: run --mpi: merge: %s\n", hg_escape(err.msg, esc, sizeof esc));
      status = 2;
    } else {
      printf("hgbench: %s: %d ranks, %d runs (%d handed out now); runs done in %.2f s, with "
             "merge and report %.2f s\n", script, c.size, plan.n, c.n_todo, t_runs, t_all);
      for (int r = 0; all && r < c.size; r++)
        printf("hgbench:   rank %d: planned by %.2f s, %d runs (estimated cost %.4g), busy "
               "%.2f s, done at %.2f s\n", r, all[NSTAT * r + 3], (int)all[NSTAT * r + 2],
               all[NSTAT * r + 1], all[NSTAT * r], all[NSTAT * r + 4]);
      if (sum > 0)
        printf("hgbench:   balance: busiest rank's busy time / mean %.3f; last rank done / "
               "mean %.3f\n", busiest / (sum / c.size), last / (sum_end / c.size));
      if (merged_failed)
        fprintf(stderr, "hgbench: %s: %d expectation(s) failed (see %s/report.md)\n", script,
                merged_failed, outdir);
      else
        printf("hgbench: %s: done; report in %s/report.md\n", script, outdir);
      status = merged_failed ? 1 : 0;
    }
  }
  free(all);
  free(c.todo);
  hg_plan_release(&plan);
  pthread_mutex_destroy(&c.lock);
  MPI_Request bc;
  MPI_Ibcast(&status, 1, MPI_INT, 0, MPI_COMM_WORLD, &bc);
  wait_for(&bc, MPI_STATUS_IGNORE);
  MPI_Finalize();
  return status;
}

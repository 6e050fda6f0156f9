/*
 * bench.c -- the measuring modes of `hgbench bench` (issue 19): the machine's limits and the
 * kernels' fraction of them (--limits).  The table of methods at one instance stays in main.c.
 *
 * --limits measures, in the same process and run:
 *   - streaming read bandwidth: a sum over an array of HG_BENCH_STREAM_MB (far above any
 *     last-level cache) with eight accumulators, on 1 thread and on every core (one pthread per
 *     core, each on its slice), the best of 5 sweeps;
 *   - the dense GEMV rate on n x d (bytes of X read per second) and the GEMM rate (dgemm
 *     1000 x 1000 x 1000, flop/s), one BLAS thread;
 *   - for each kernel (Phi, jvp_w, vjp_w, vjp_theta of ridge and logreg on dense and CSR data
 *     at n x d, and of the imaging, FoE and equilibrium problems at their defaults): time per
 *     call (best of 5 batches), bytes and flops per call where the data's size gives them
 *     (the GLMs: X once per product, plus the vectors), the achieved rate and its fraction of
 *     the 1-thread read bandwidth; for the others the time and the call rate only;
 *   - the dense Hessian-vector product of ridge (one fused pass, glm.h hg_glm_pass) against
 *     the same product as two separate GEMV passes over X.
 */
#include "hg_cli.h"
#include "hg_io.h" /* hg_plot */
#include "hg_torch_baseline.h" /* hg_torch_baseline_py[]: bench/torch_baseline.py */

#include <cblas.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* The streamed array: 512 MiB of doubles. */
#define HG_BENCH_STREAM_MB 512

static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* One thread's slice of the streaming sum. */
typedef struct stream_part {
  const double *x;
  size_t len;
  double sum;
} stream_part;

static void *stream_sum(void *arg)
{
  stream_part *s = arg;
  double a[8] = {0};
  size_t i = 0;

  for (; i + 8 <= s->len; i += 8) /* eight independent sums: not bound by the add latency */
    for (int k = 0; k < 8; k++)
      a[k] += s->x[i + k];
  for (; i < s->len; i++)
    a[0] += s->x[i];
  s->sum = a[0] + a[1] + a[2] + a[3] + a[4] + a[5] + a[6] + a[7];
  return NULL;
}

/* Bytes per second reading x (len doubles) with `threads` threads, best of 5 sweeps. */
static double stream_rate(const double *x, size_t len, int threads)
{
  stream_part part[64];
  pthread_t tid[64];
  double best = 0, sink = 0;

  if (threads > 64)
    threads = 64;
  for (int rep = 0; rep < 5; rep++) {
    const double t0 = hg_now();
    for (int k = 0; k < threads; k++) {
      part[k].x = x + len / threads * k;
      part[k].len = k == threads - 1 ? len - len / threads * k : len / threads;
      if (threads == 1 || pthread_create(&tid[k], NULL, stream_sum, &part[k]))
        stream_sum(&part[k]), tid[k] = 0;
    }
    for (int k = 0; k < threads; k++) {
      if (threads > 1 && tid[k])
        pthread_join(tid[k], NULL);
      sink += part[k].sum;
    }
    const double dt = hg_now() - t0;
    best = fmax(best, (double)len * sizeof *x / dt);
  }
  if (sink == 12345.678) /* keep the sums alive */
    printf(" ");
  return best;
}

/* Seconds per call of f(ctx): the best of 5 batches of enough calls for ~0.05 s each (the
 * limits are best-of too: on a shared machine the best is the least disturbed). */
static double time_call(void (*f)(void *), void *ctx)
{
  double t[5];
  f(ctx); /* warm-up */
  double t0 = hg_now();
  f(ctx);
  const double one = fmax(hg_now() - t0, 1e-7);
  const int reps = (int)fmin(1000, fmax(1, 0.05 / one));
  for (int b = 0; b < 5; b++) {
    t0 = hg_now();
    for (int r = 0; r < reps; r++)
      f(ctx);
    t[b] = (hg_now() - t0) / reps;
  }
  qsort(t, 5, sizeof *t, cmp_double);
  return t[0];
}

/* A kernel of a problem: which op, at a w and theta with a direction. */
typedef struct kernel_ctx {
  hg_problem *P;
  int op; /* 0 Phi, 1 jvp_w, 2 vjp_w, 3 vjp_theta */
  double *w, *theta, *v, *out, *out_m;
} kernel_ctx;

static void kernel_call(void *arg)
{
  kernel_ctx *k = arg;
  switch (k->op) {
  case 0:
    hg_phi(k->P, k->w, k->theta, k->out);
    break;
  case 1:
    hg_jvp_w(k->P, k->w, k->theta, k->v, k->out);
    break;
  case 2:
    hg_vjp_w(k->P, k->w, k->theta, k->v, k->out);
    break;
  default:
    hg_vjp_theta(k->P, k->w, k->theta, k->v, k->out_m);
  }
}

/* Two separate GEMV passes over a dense X: z = X v, g = X^T z. */
typedef struct gemv2_ctx {
  const double *X, *v;
  double *z, *g;
  int n, d;
} gemv2_ctx;

static void gemv2_call(void *arg)
{
  gemv2_ctx *c = arg;
  cblas_dgemv(CblasRowMajor, CblasNoTrans, c->n, c->d, 1.0, c->X, c->d, c->v, 1, 0.0, c->z, 1);
  cblas_dgemv(CblasRowMajor, CblasTrans, c->n, c->d, 1.0, c->X, c->d, c->z, 1, 0.0, c->g, 1);
}

/* One GEMV pass (the dense GEMV rate). */
static void gemv1_call(void *arg)
{
  gemv2_ctx *c = arg;
  cblas_dgemv(CblasRowMajor, CblasNoTrans, c->n, c->d, 1.0, c->X, c->d, c->v, 1, 0.0, c->z, 1);
}

/* The stored entries of a GLM instance, from its describe() text ("nnz N"), or -1. */
static double described_nnz(const hg_problem *P)
{
  char buf[1024] = "";
  P->ops->describe(P->self, buf, sizeof buf);
  const char *s = strstr(buf, "nnz ");
  return s ? atof(s + 4) : -1;
}

/* The rows of the kernel table for one problem instance. */
static int kernel_rows(const char *label, const char *name, int nwords, const char *const *words,
                       int n, int d, int csr, double bw, double *hvp_time, hg_error *err)
{
  hg_problem *P = NULL;
  kernel_ctx k = {0};
  int rc = hg_problem_create(name, nwords, words, &P, err);

  if (rc)
    return rc;
  const int nw = P->n_w, m = P->n_theta;
  k.P = P;
  k.w = malloc((size_t)nw * sizeof *k.w);
  k.v = malloc((size_t)nw * sizeof *k.v);
  k.out = malloc((size_t)nw * sizeof *k.out);
  k.theta = malloc((size_t)m * sizeof *k.theta);
  k.out_m = malloc((size_t)m * sizeof *k.out_m);
  if (!k.w || !k.v || !k.out || !k.theta || !k.out_m) {
    rc = hg_fail(err, HG_ERR_NOMEM, "bench --limits: out of memory");
    goto done;
  }
  P->ops->theta0(P->self, k.theta);
  for (int i = 0; i < nw; i++) {
    k.w[i] = 0.01 * sin(i + 1.0);
    k.v[i] = cos(i + 1.0);
  }
  /* bytes and flops of one pass over X (GLMs: n, d given) */
  double xbytes = NAN, xflops = NAN;
  if (n > 0) {
    const double nnz = csr ? described_nnz(P) : (double)n * d;
    xbytes = csr ? 12.0 * nnz + 4.0 * (n + 1) : 8.0 * nnz;
    xflops = 4.0 * nnz;
  }
  static const char *const ops[] = {"Phi", "jvp_w", "vjp_w", "vjp_theta"};
  for (k.op = 0; k.op < 4; k.op++) {
    const double t = time_call(kernel_call, &k);
    double bytes = NAN, flops = NAN;
    if (n > 0) {
      bytes = k.op < 3 ? xbytes + 8.0 * (n + 3.0 * d) : 8.0 * 3.0 * d;
      flops = k.op < 3 ? xflops : 3.0 * d;
    }
    if (k.op == 1 && hvp_time)
      *hvp_time = t;
    if (isfinite(bytes))
      printf("%-26s %-10s %11.3e %11.3e %10.3e %9.2f %8.2f %7.1f %%\n", label, ops[k.op], t,
             bytes, flops, bytes / t / 1e9, flops / t / 1e9, 100.0 * bytes / t / bw);
    else
      printf("%-26s %-10s %11.3e %11s %10s %9s %8s %9s  (%.0f calls/s)\n", label, ops[k.op], t,
             "n/a", "n/a", "n/a", "n/a", "n/a", 1.0 / t);
  }
done:
  free(k.w);
  free(k.v);
  free(k.out);
  free(k.theta);
  free(k.out_m);
  hg_problem_destroy(&P);
  return rc;
}

static int hg_cli_bench_limits(int n, int d, hg_error *err)
{
  const size_t len = (size_t)HG_BENCH_STREAM_MB << 17; /* doubles */
  const long cores = sysconf(_SC_NPROCESSORS_ONLN);
  double *x = malloc(len * sizeof *x), *X = NULL, *v = NULL, *z = NULL, *g = NULL;
  double *A = NULL;
  int rc = HG_OK;

  if (!x) {
    rc = hg_fail(err, HG_ERR_NOMEM, "bench --limits: out of memory for the %d MiB stream",
                 HG_BENCH_STREAM_MB);
    goto done;
  }
  for (size_t i = 0; i < len; i++)
    x[i] = (double)(i & 7);
  const double bw1 = stream_rate(x, len, 1);
  const double bwn = stream_rate(x, len, cores > 0 ? (int)cores : 1);
  free(x);
  x = NULL;

  X = malloc((size_t)n * d * sizeof *X);
  v = malloc((size_t)d * sizeof *v);
  z = malloc((size_t)n * sizeof *z);
  g = malloc((size_t)d * sizeof *g);
  A = malloc((size_t)3 * 1000 * 1000 * sizeof *A);
  if (!X || !v || !z || !g || !A) {
    rc = hg_fail(err, HG_ERR_NOMEM, "bench --limits: out of memory for %d x %d", n, d);
    goto done;
  }
  for (size_t i = 0; i < (size_t)n * d; i++)
    X[i] = sin((double)i);
  for (int j = 0; j < d; j++)
    v[j] = 1.0 / (j + 1);
  for (size_t i = 0; i < (size_t)3 * 1000 * 1000; i++)
    A[i] = cos((double)i);
  gemv2_ctx gc = {X, v, z, g, n, d};
  const double t_gemv = time_call(gemv1_call, &gc);
  const double t_gemv2 = time_call(gemv2_call, &gc);
  double t0 = hg_now();
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 1000, 1000, 1000, 1.0, A, 1000,
              A + 1000000, 1000, 0.0, A + 2000000, 1000);
  t0 = hg_now();
  for (int r = 0; r < 3; r++)
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 1000, 1000, 1000, 1.0, A, 1000,
                A + 1000000, 1000, 0.0, A + 2000000, 1000);
  const double gemm = 3 * 2e9 / (hg_now() - t0);
  free(X);
  X = NULL;

  printf("limits (measured now; one BLAS thread):\n");
  printf("  streaming read, %d MiB, 1 thread      %8.2f GB/s\n", HG_BENCH_STREAM_MB, bw1 / 1e9);
  printf("  streaming read, %d MiB, %ld threads     %8.2f GB/s\n", HG_BENCH_STREAM_MB, cores,
         bwn / 1e9);
  printf("  dense GEMV %d x %d (X read once)  %8.2f GB/s  %6.2f Gflop/s  (%.1f %% of read)\n", n,
         d, 8.0 * n * d / t_gemv / 1e9, 2.0 * n * d / t_gemv / 1e9,
         100.0 * 8.0 * n * d / t_gemv / bw1);
  printf("  dense GEMM 1000^3                       %8.2f Gflop/s\n\n", gemm / 1e9);

  printf("%-26s %-10s %11s %11s %10s %9s %8s %9s\n", "kernel", "op", "s/call", "bytes",
         "flops", "GB/s", "Gflop/s", "of read");
  char nb[32], db[32];
  snprintf(nb, sizeof nb, "n=%d", n);
  snprintf(db, sizeof db, "d=%d", d);
  const char *ridge_dense[] = {nb, db, "n_val=10", "gram=no", "storage=dense"};
  const char *ridge_csr[] = {nb, db, "n_val=10", "gram=no", "density=0.1", "storage=sparse"};
  const char *lr_dense[] = {nb, db, "n_val=10", "hessian=no", "storage=dense"};
  const char *lr_csr[] = {nb, db, "n_val=10", "hessian=no", "density=0.1", "storage=sparse"};
  double t_hvp = NAN;
  char label[64];
  snprintf(label, sizeof label, "ridge %dx%d dense", n, d);
  if ((rc = kernel_rows(label, "ridge", 5, ridge_dense, n, d, 0, bw1, &t_hvp, err)))
    goto done;
  snprintf(label, sizeof label, "ridge %dx%d CSR 0.1", n, d);
  if ((rc = kernel_rows(label, "ridge", 6, ridge_csr, n, d, 1, bw1, NULL, err)))
    goto done;
  snprintf(label, sizeof label, "logreg %dx%d dense", n, d);
  if ((rc = kernel_rows(label, "logreg", 5, lr_dense, n, d, 0, bw1, NULL, err)))
    goto done;
  snprintf(label, sizeof label, "logreg %dx%d CSR 0.1", n, d);
  if ((rc = kernel_rows(label, "logreg", 6, lr_csr, n, d, 1, bw1, NULL, err)))
    goto done;
  static const char *const others[] = {"denoise-tv", "deblur-tv", "denoise-foe", "equilibrium"};
  for (size_t i = 0; i < sizeof others / sizeof *others; i++)
    if ((rc = kernel_rows(others[i], others[i], 0, NULL, 0, 0, 0, bw1, NULL, err)))
      goto done;

  const double bytes = 8.0 * n * d;
  printf("\nHessian-vector product X^T (X v)/n at %d x %d, dense: fused one pass %.3e s "
         "(%.1f %% of read bandwidth), two GEMV passes %.3e s (%.1f %%): %.2fx faster\n", n, d,
         t_hvp, 100.0 * bytes / t_hvp / bw1, t_gemv2, 100.0 * 2 * bytes / t_gemv2 / bw1,
         t_gemv2 / t_hvp);
done:
  free(x);
  free(X);
  free(v);
  free(z);
  free(g);
  free(A);
  return rc;
}

/* --limits [n=N d=D]. */
static int bench_limits(const char *problem, int nwords, const char *const *words,
                        hg_error *err)
{
  long n = 20000, d = 1000;

  if (problem)
    return hg_fail(err, HG_ERR_ARG, "bench --limits takes no PROBLEM ('%s'): it measures its "
                   "own instances (n=, d= set their size)", problem);
  for (int i = 0; i < nwords; i++) {
    long *dst = !strncmp(words[i], "n=", 2) ? &n : !strncmp(words[i], "d=", 2) ? &d : NULL;
    char *end = NULL;
    if (!dst)
      return hg_fail(err, HG_ERR_ARG, "bench --limits: unknown word '%s' (n= and d= only)",
                     words[i]);
    *dst = strtol(words[i] + 2, &end, 10);
    if (*end || *dst < 1 || *dst > 1000000)
      return hg_fail(err, HG_ERR_ARG, "bench --limits: %s is not a count in [1, 1000000]",
                     words[i]);
  }
  if ((double)n * (double)d > 1e9)
    return hg_fail(err, HG_ERR_ARG, "bench --limits: n x d = %ld x %ld is over 1e9 entries", n,
                   d);
  return hg_cli_bench_limits((int)n, (int)d, err);
}

/* The value of key= among words (NULL when absent). */
static const char *word_value(int nwords, const char *const *words, const char *key)
{
  const size_t len = strlen(key);
  for (int i = 0; i < nwords; i++)
    if (!strncmp(words[i], key, len) && words[i][len] == '=')
      return words[i] + len + 1;
  return NULL;
}

#define VS_METHODS 3

/* --vs-torch: see hg_cli.h. */
static int bench_vs_torch(const char *problem, int nwords, const char *const *words,
                          const hg_budget *b, long repeat, hg_error *err)
{
  static const char *const methods[VS_METHODS] = {"itd", "aid-fp", "aid-cg"};
  const char *train = word_value(nwords, words, "train"), *val = word_value(nwords, words, "val");
  const char *py = getenv("HGBENCH_PYTHON") ? getenv("HGBENCH_PYTHON") : "/usr/bin/python3";
  hg_problem *P = NULL;
  double *theta = NULL, *ref = NULL, *wstar = NULL, *tg = NULL;
  double hg_time[VS_METHODS], hg_err[VS_METHODS], th_time[VS_METHODS], th_err[VS_METHODS];
  char script[] = "/tmp/hgbench-torch-XXXXXX";
  int fd = -1, rc = HG_OK, status = 0;
  FILE *pipe = NULL;

  if (!problem || (strcmp(problem, "ridge") && strcmp(problem, "logreg")) || !train || !val)
    return hg_fail(err, HG_ERR_ARG, "bench --vs-torch compares ridge or logreg read from "
                   "train= and val= files (bench/make_data.py writes synthetic ones)"), 2;
  for (int i = 0; i < VS_METHODS; i++)
    hg_time[i] = hg_err[i] = th_time[i] = th_err[i] = NAN;
  if ((rc = hg_problem_create(problem, nwords, words, &P, err)))
    goto done;
  const int m = P->n_theta, n = P->n_w;
  theta = malloc((size_t)m * sizeof *theta);
  ref = malloc((size_t)m * sizeof *ref);
  wstar = malloc((size_t)n * sizeof *wstar);
  tg = malloc((size_t)m * sizeof *tg);
  if (!theta || !ref || !wstar || !tg) {
    rc = hg_fail(err, HG_ERR_NOMEM, "bench --vs-torch: out of memory");
    goto done;
  }
  P->ops->theta0(P->self, theta);
  hg_constants c;
  if ((rc = hg_problem_constants(P, theta, &c, err)) || (rc = hg_exact(P, theta, wstar, ref, err)))
    goto done;

  /* hgbench's runs, median of repeat */
  for (int i = 0; i < VS_METHODS; i++) {
    double t[64];
    const long reps = repeat < 64 ? repeat : 64;
    for (long r = 0; r < reps && !rc; r++) {
      hg_run run = {0};
      hg_run_opts o = {.reference = ref};
      rc = hg_hypergrad(P, methods[i], 0, NULL, theta, b, &o, &run, err);
      t[r] = run.wall_s;
      hg_err[i] = run.rel_error;
      hg_run_release(&run);
    }
    if (rc)
      goto done;
    qsort(t, (size_t)reps, sizeof *t, cmp_double);
    hg_time[i] = t[reps / 2];
  }

  /* the torch baseline, from the embedded script */
  fd = mkstemp(script);
  if (fd < 0 || write(fd, hg_torch_baseline_py, strlen(hg_torch_baseline_py)) !=
                    (ssize_t)strlen(hg_torch_baseline_py)) {
    rc = hg_fail(err, HG_ERR_IO, "bench --vs-torch: cannot write the baseline script %s",
                 script);
    goto done;
  }
  close(fd);
  fd = -2; /* written: unlink at the end */
  char cmd[4096];
  snprintf(cmd, sizeof cmd, "'%s' '%s' %s '%s' '%s' %.17g %d %d %ld itd,aid-fp,aid-cg", py,
           script, problem, train, val, c.step, b->t, b->k, repeat);
  if (strchr(train, '\'') || strchr(val, '\'') || strchr(py, '\'')) {
    rc = hg_fail(err, HG_ERR_ARG, "bench --vs-torch: file names with a quote are not passed "
                 "to the shell");
    goto done;
  }
  fflush(stdout);
  pipe = popen(cmd, "r");
  if (!pipe) {
    rc = hg_fail(err, HG_ERR_IO, "bench --vs-torch: cannot run %s", py);
    goto done;
  }
  char line[1 << 16];
  while (fgets(line, sizeof line, pipe)) {
    /* {"method": "itd", "seconds": 0.06, "grad": [..]} */
    int i = 0;
    while (i < VS_METHODS && !strstr(line, methods[i]))
      i++;
    const char *sec = strstr(line, "\"seconds\": "), *gr = strstr(line, "\"grad\": [");
    if (i == VS_METHODS || !sec || !gr)
      continue;
    th_time[i] = atof(sec + 11);
    char *q = (char *)gr + 9;
    int j = 0;
    for (; j < m && *q; j++) {
      char *end;
      tg[j] = strtod(q, &end);
      if (end == q)
        break;
      q = end + (*end == ',' ? 1 : 0);
      while (*q == ' ')
        q++;
    }
    th_err[i] = j == m ? hg_rel_diff(m, tg, ref) : NAN;
  }
  status = pclose(pipe);
  pipe = NULL;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 77) {
    fprintf(stderr, "hgbench: bench --vs-torch: %s cannot import torch (install Debian's "
            "python3-torch, or set HGBENCH_PYTHON): skipped\n", py);
    rc = 77;
    goto done;
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    rc = hg_fail(err, HG_ERR_IO, "bench --vs-torch: %s failed (status %d)", cmd, status);
    goto done;
  }

  printf("bench --vs-torch %s %s: n_w = %d, t = %d, k = %d, step %.10g, one thread, float64, "
         "median of %ld\n", problem, hg_params_text(P->params), n, b->t, b->k, c.step, repeat);
  printf("%-8s %12s %12s %9s %12s %12s  %s\n", "method", "hgbench [s]", "torch [s]", "speed-up",
         "hgbench err", "torch err", "errors equal (x2 or both < 1e-12)");
  for (int i = 0; i < VS_METHODS; i++) {
    const int equal = (hg_err[i] < 1e-12 && th_err[i] < 1e-12) ||
                      (hg_err[i] <= 2 * th_err[i] && th_err[i] <= 2 * hg_err[i]);
    printf("%-8s %12.4e %12.4e %9.2f %12.3e %12.3e  %s\n", methods[i], hg_time[i], th_time[i],
           th_time[i] / hg_time[i], hg_err[i], th_err[i], equal ? "yes" : "no");
  }
done:
  if (pipe)
    pclose(pipe);
  if (fd >= 0)
    close(fd);
  if (fd != -1)
    unlink(script);
  free(theta);
  free(ref);
  free(wstar);
  free(tg);
  hg_problem_destroy(&P);
  return rc == 77 ? 77 : rc ? 2 : 0;
}

#define SCALE_POINTS 5
#define SCALE_METHODS 8

/* --scale n|d|t: see hg_cli.h. */
static int bench_scale(const hg_bench_args *a, hg_error *err)
{
  const char *axis = a->axis;
  char list[512], *names[SCALE_METHODS];
  int nm = 0, rc = HG_OK;
  double size[SCALE_POINTS], secs[SCALE_METHODS][SCALE_POINTS], mem[SCALE_METHODS][SCALE_POINTS];

  if (!a->problem)
    return hg_fail(err, HG_ERR_ARG, "bench --scale needs a PROBLEM");
  if (!axis || (strcmp(axis, "n") && strcmp(axis, "d") && strcmp(axis, "t")))
    return hg_fail(err, HG_ERR_ARG, "bench --scale %s: the axis is n, d or t",
                   axis ? axis : "(none)");
  snprintf(list, sizeof list, "%s", a->methods ? a->methods
           : "itd,itd:checkpoints=10,aid-fp,aid-cg");
  for (char *tok = strtok(list, ","); tok && nm < SCALE_METHODS; tok = strtok(NULL, ","))
    names[nm++] = tok;
  const char *given = axis[0] == 't' ? NULL : word_value(a->nwords, a->words, axis);
  const double base = axis[0] == 't' ? a->budget.t : given ? atof(given)
                      : axis[0] == 'n' ? 1000 : 100;
  if (!(base >= 1))
    return hg_fail(err, HG_ERR_ARG, "bench --scale %s: the base size %g is not a count", axis,
                   base);
  const char **words = calloc((size_t)a->nwords + 1, sizeof *words);
  if (!words)
    return hg_fail(err, HG_ERR_NOMEM, "out of memory");
  char sizeword[64];
  for (int p = 0; p < SCALE_POINTS && !rc; p++) {
    size[p] = base * (1 << p);
    int nw = 0;
    for (int i = 0; i < a->nwords; i++)
      if (axis[0] == 't' || strncmp(a->words[i], axis, 1) || a->words[i][1] != '=')
        words[nw++] = a->words[i];
    if (axis[0] != 't') {
      snprintf(sizeword, sizeof sizeword, "%s=%.0f", axis, size[p]);
      words[nw++] = sizeword;
    }
    hg_problem *P = NULL;
    double *theta = NULL;
    if ((rc = hg_problem_create(a->problem, nw, words, &P, err)))
      break;
    theta = malloc((size_t)P->n_theta * sizeof *theta);
    if (!theta) {
      rc = hg_fail(err, HG_ERR_NOMEM, "out of memory");
      hg_problem_destroy(&P);
      break;
    }
    P->ops->theta0(P->self, theta);
    hg_budget b = a->budget;
    if (axis[0] == 't')
      b.t = (int)size[p];
    for (int m = 0; m < nm && !rc; m++) {
      char buf[256];
      const char *mw[16];
      int nmw = 0;
      snprintf(buf, sizeof buf, "%s", names[m]);
      char *colon = strchr(buf, ':');
      if (colon) {
        *colon = '\0';
        for (char *tok = strtok(colon + 1, ";"); tok && nmw < 16; tok = strtok(NULL, ";"))
          mw[nmw++] = tok;
      }
      double t[64];
      const long reps = a->repeat < 64 ? a->repeat : 64;
      for (long r = 0; r < reps && !rc; r++) {
        hg_run run = {0};
        hg_run_opts o = {0};
        rc = hg_hypergrad(P, buf, nmw, mw, theta, &b, &o, &run, err);
        t[r] = run.wall_s;
        mem[m][p] = (double)run.peak_bytes;
        hg_run_release(&run);
      }
      if (!rc) {
        qsort(t, (size_t)reps, sizeof *t, cmp_double);
        secs[m][p] = t[reps / 2];
      }
    }
    free(theta);
    hg_problem_destroy(&P);
  }
  free(words);
  if (rc)
    return rc;

  printf("bench --scale %s %s (%s = %g x 1, 2, 4, 8, 16; t = %d, k = %d; median of %ld)\n",
         axis, a->problem, axis, base, a->budget.t, a->budget.k, a->repeat);
  printf("%-24s", "method");
  for (int p = 0; p < SCALE_POINTS; p++)
    printf(" %10.0f", size[p]);
  printf("   %-26s %-26s\n", "time ~ size^b [95 %]", "peak memory ~ size^b [95 %]");
  hg_plot_series ts[SCALE_METHODS], ms[SCALE_METHODS];
  for (int m = 0; m < nm; m++) {
    double bt, lt, ht, bm, lm, hm;
    hg_fit_slope(SCALE_POINTS, size, secs[m], 0.0, &bt, &lt, &ht);
    hg_fit_slope(SCALE_POINTS, size, mem[m], 0.0, &bm, &lm, &hm);
    printf("%-24s", names[m]);
    for (int p = 0; p < SCALE_POINTS; p++)
      printf(" %10.3e", secs[m][p]);
    printf("   %5.2f [%5.2f, %5.2f]     %5.2f [%5.2f, %5.2f]\n", bt, lt, ht, bm, lm, hm);
    printf("%-24s", "  peak bytes");
    for (int p = 0; p < SCALE_POINTS; p++)
      printf(" %10.3e", mem[m][p]);
    printf("\n");
    ts[m] = (hg_plot_series){.name = names[m], .n = SCALE_POINTS, .x = size, .y = secs[m]};
    ms[m] = (hg_plot_series){.name = names[m], .n = SCALE_POINTS, .x = size, .y = mem[m]};
  }
  char name[64], title[128], xlabel[16], rendered[512];
  snprintf(xlabel, sizeof xlabel, "%s", axis);
  const char *outdir = a->out ? a->out : ".";
  for (int k = 0; k < 2; k++) {
    snprintf(name, sizeof name, "scale-%s-%s", axis, k ? "memory" : "time");
    snprintf(title, sizeof title, "%s: %s against %s", a->problem, k ? "peak memory" : "time",
             axis);
    hg_plot_spec spec = {.name = name, .title = title, .xlabel = xlabel,
                         .ylabel = k ? "peak bytes" : "seconds", .logx = 1, .logy = 1,
                         .nseries = nm, .series = k ? ms : ts};
    hg_error perr;
    hg_error_clear(&perr);
    if ((rc = hg_make_dirs(outdir, err)))
      return rc;
    if (hg_plot(outdir, &spec, rendered, sizeof rendered, &perr) == HG_OK)
      printf("plot: %s/%s\n", outdir, rendered);
    else
      printf("plot: %s/%s.dat and .gp written (%s)\n", outdir, name, perr.msg);
  }
  return HG_OK;
}

int hg_cli_bench_mode(const hg_bench_args *a, hg_error *err)
{
  if (!strcmp(a->mode, "limits"))
    return bench_limits(a->problem, a->nwords, a->words, err) ? 2 : 0;
  if (!strcmp(a->mode, "scale"))
    return bench_scale(a, err) ? 2 : 0;
  return bench_vs_torch(a->problem, a->nwords, a->words, &a->budget, a->repeat, err);
}

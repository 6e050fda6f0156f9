/*
 * test_methods.c -- the hypergradient methods and hg_cg on a small quadratic bilevel problem
 * defined here (so the test stands on its own):
 *
 *     g(w, theta) = 1/2 w^T A w - w^T (B theta + b),   Phi(w, theta) = w - eta grad_w g,
 *     E(w, theta) = 1/2 ||C w - d||^2 + rho/2 ||theta||^2,
 *
 * n = 8, m = 3, A symmetric diagonally dominant (Gershgorin interval [mu, L] computed below),
 * eta = 2/(mu + L).  Exact: w* = A^{-1}(B theta + b),
 *     grad f = rho theta + B^T A^{-1} C^T (C w* - d)
 * by a Cholesky factorization written here.
 *
 * Checks the exact identities of DESIGN §7, convergence of every method to exact, fd against
 * exact, CG's and GMRES's clean stops and breakdowns (GMRES also on a non-symmetric operator),
 * the tolerance-driven budgets, failure reports, where the implicit methods fail under a memory
 * cap, and that each method's space() is the peak memory it allocates.  The non-symmetric
 * solvers aid-gmres and aid-cg-normal are also run against exact on the registered equilibrium
 * (non-symmetric d_w Phi) and ridge problems; piggyback's space() is checked on the registered
 * saddle-point problem denoise-tv-pd, and its refusal of a problem without saddle ops here.
 * One line per check; the exit status is the number of failed checks (capped at 1).
 */
#include "builtin.h" /* testing_register_builtin; hg_cli.h */

#include <lapacke.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define N 8 /* n_w */
#define M 3 /* n_theta */
#define R 5 /* rows of C */

/* ------------------------------------------------------------------------------------------ */
/* The test problem                                                                            */
/* ------------------------------------------------------------------------------------------ */

typedef struct tq {
  double A[N][N], B[N][M], b[N], C[R][N], d[R];
  double Lchol[N][N]; /* A = Lchol Lchol^T */
  double mu, L;       /* Gershgorin bounds on the spectrum of A */
  double eta, rho;
} tq;

static const double theta_ref[M] = {0.3, -0.7, 1.1};

/* A: diagonal 4, 4.5, ..., 7.5, off-diagonal entries in [-0.3, 0.3]; B, b, C, d: fixed
 * rationals.  Every entry is exact in binary, so the instance is the same everywhere. */
static void tq_build(tq *s)
{
  memset(s, 0, sizeof *s);
  for (int i = 0; i < N; i++) {
    s->A[i][i] = 4.0 + 0.5 * i;
    for (int j = i + 1; j < N; j++)
      s->A[i][j] = s->A[j][i] = 0.05 * (double)((i * 7 + j * 13) % 13 - 6);
    for (int j = 0; j < M; j++)
      s->B[i][j] = (double)((i * 5 + j * 3) % 7 - 3) / 4.0;
    s->b[i] = (double)((i * 3) % 5 - 2) / 2.0;
  }
  for (int r = 0; r < R; r++) {
    for (int i = 0; i < N; i++)
      s->C[r][i] = (double)((r * 3 + i * 5) % 9 - 4) / 4.0;
    s->d[r] = (double)((r * 2) % 3 - 1) / 2.0;
  }
  s->mu = INFINITY;
  s->L = -INFINITY;
  for (int i = 0; i < N; i++) {
    double off = 0;
    for (int j = 0; j < N; j++)
      off += j == i ? 0 : fabs(s->A[i][j]);
    s->mu = fmin(s->mu, s->A[i][i] - off);
    s->L = fmax(s->L, s->A[i][i] + off);
  }
  s->eta = 2.0 / (s->mu + s->L);
  s->rho = 0.1;
  /* Cholesky A = Lchol Lchol^T */
  for (int j = 0; j < N; j++) {
    double djj = s->A[j][j];
    for (int k = 0; k < j; k++)
      djj -= s->Lchol[j][k] * s->Lchol[j][k];
    s->Lchol[j][j] = sqrt(djj);
    for (int i = j + 1; i < N; i++) {
      double x = s->A[i][j];
      for (int k = 0; k < j; k++)
        x -= s->Lchol[i][k] * s->Lchol[j][k];
      s->Lchol[i][j] = x / s->Lchol[j][j];
    }
  }
}

/* x = A^{-1} y by the two triangular solves. */
static void tq_solve(const tq *s, const double *y, double *x)
{
  double z[N];
  for (int i = 0; i < N; i++) {
    z[i] = y[i];
    for (int k = 0; k < i; k++)
      z[i] -= s->Lchol[i][k] * z[k];
    z[i] /= s->Lchol[i][i];
  }
  for (int i = N - 1; i >= 0; i--) {
    x[i] = z[i];
    for (int k = i + 1; k < N; k++)
      x[i] -= s->Lchol[k][i] * x[k];
    x[i] /= s->Lchol[i][i];
  }
}

/* out = A v */
static void tq_Av(const tq *s, const double *v, double *out)
{
  for (int i = 0; i < N; i++) {
    out[i] = 0;
    for (int j = 0; j < N; j++)
      out[i] += s->A[i][j] * v[j];
  }
}

/* r = C w - d (the same code wherever it is needed, so C w0 - d can be made exactly 0) */
static void tq_residual(const tq *s, const double *w, double *r)
{
  for (int q = 0; q < R; q++) {
    r[q] = -s->d[q];
    for (int i = 0; i < N; i++)
      r[q] += s->C[q][i] * w[i];
  }
}

static int tq_create(const hg_params *p, void **self, int *n_w, int *n_theta, hg_error *err)
{
  tq *s = malloc(sizeof *s);
  if (!s)
    return hg_fail(err, HG_ERR_NOMEM, "problem 'test-quadratic': out of memory");
  tq_build(s);
  *self = s;
  *n_w = N;
  *n_theta = M;
  return HG_OK;
}

static void tq_destroy(void *self)
{
  free(self);
}

static void tq_theta0(const void *self, double *theta)
{
  memcpy(theta, theta_ref, sizeof theta_ref);
}

/* Phi(w, theta) = w - eta (A w - B theta - b) */
static void tq_phi(void *self, const double *w, const double *theta, double *out)
{
  tq *s = self;
  double Aw[N];
  tq_Av(s, w, Aw);
  for (int i = 0; i < N; i++) {
    double c = s->b[i];
    for (int j = 0; j < M; j++)
      c += s->B[i][j] * theta[j];
    out[i] = w[i] - s->eta * (Aw[i] - c);
  }
}

/* d_w Phi v = d_w Phi^T v = v - eta A v */
static void tq_jvp_w(void *self, const double *w, const double *theta, const double *v,
                     double *out)
{
  tq *s = self;
  double Av[N];
  tq_Av(s, v, Av);
  for (int i = 0; i < N; i++)
    out[i] = v[i] - s->eta * Av[i];
}

/* d_theta Phi^T v = eta B^T v */
static void tq_vjp_theta(void *self, const double *w, const double *theta, const double *v,
                         double *out)
{
  tq *s = self;
  for (int j = 0; j < M; j++) {
    out[j] = 0;
    for (int i = 0; i < N; i++)
      out[j] += s->eta * s->B[i][j] * v[i];
  }
}

/* d_theta Phi u = eta B u */
static void tq_jvp_theta(void *self, const double *w, const double *theta, const double *u,
                         double *out)
{
  tq *s = self;
  for (int i = 0; i < N; i++) {
    out[i] = 0;
    for (int j = 0; j < M; j++)
      out[i] += s->eta * s->B[i][j] * u[j];
  }
}

/* E = 1/2 ||C w - d||^2 + rho/2 ||theta||^2, grad_w E = C^T (C w - d), grad_theta E = rho theta */
static double tq_upper(void *self, const double *w, const double *theta, double *gw,
                       double *gtheta)
{
  tq *s = self;
  double r[R], E = 0;
  tq_residual(s, w, r);
  for (int q = 0; q < R; q++)
    E += 0.5 * r[q] * r[q];
  for (int j = 0; j < M; j++)
    E += 0.5 * s->rho * theta[j] * theta[j];
  if (gw)
    for (int i = 0; i < N; i++) {
      gw[i] = 0;
      for (int q = 0; q < R; q++)
        gw[i] += s->C[q][i] * r[q];
    }
  if (gtheta)
    for (int j = 0; j < M; j++)
      gtheta[j] = s->rho * theta[j];
  return E;
}

/* w* = A^{-1}(B theta + b); grad f = rho theta + B^T A^{-1} C^T (C w* - d) */
static int tq_exact(void *self, const double *theta, double *wstar, double *grad, hg_error *err)
{
  tq *s = self;
  double c[N], gw[N], v[N];
  for (int i = 0; i < N; i++) {
    c[i] = s->b[i];
    for (int j = 0; j < M; j++)
      c[i] += s->B[i][j] * theta[j];
  }
  tq_solve(s, c, wstar);
  tq_upper(s, wstar, theta, gw, grad);
  tq_solve(s, gw, v);
  for (int j = 0; j < M; j++)
    for (int i = 0; i < N; i++)
      grad[j] += s->B[i][j] * v[i];
  return HG_OK;
}

static int tq_constants(void *self, const double *theta, hg_constants *c, hg_error *err)
{
  tq *s = self;
  hg_constants_unknown(c);
  c->step = s->eta;
  c->mu = s->mu;
  c->L = s->L;
  c->q = fmax(fabs(1 - s->eta * s->mu), fabs(1 - s->eta * s->L));
  c->kappa = s->L / s->mu;
  return HG_OK;
}

static void tq_describe(const void *self, char *buf, size_t len)
{
  snprintf(buf, len, "test quadratic, n_w = %d, n_theta = %d\n", N, M);
}

static const hg_param_spec tq_params[] = {{.key = NULL}};

static const hg_problem_ops tq_ops = {
  .version = HG_OPS_VERSION,
  .name = "test-quadratic",
  .summary = "the quadratic of tests/test_methods.c",
  .params = tq_params,
  .create = tq_create,
  .destroy = tq_destroy,
  .theta0 = tq_theta0,
  .phi = tq_phi,
  .jvp_w = tq_jvp_w,
  .vjp_w = tq_jvp_w, /* d_w Phi = I - eta A is symmetric */
  .vjp_theta = tq_vjp_theta,
  .upper = tq_upper,
  .jvp_theta = tq_jvp_theta,
  .exact = tq_exact,
  .constants = tq_constants,
  .describe = tq_describe,
  .symmetric = 1,
};

/* ------------------------------------------------------------------------------------------ */
/* Running methods and reporting checks                                                        */
/* ------------------------------------------------------------------------------------------ */

extern const hg_method_ops hg_method_exact, hg_method_itd, hg_method_itd_forward,
    hg_method_tbptt, hg_method_aid_fp, hg_method_aid_cg, hg_method_aid_cg_normal,
    hg_method_aid_gmres, hg_method_neumann, hg_method_jfb, hg_method_fd, hg_method_piggyback;

static int failures = 0;

/* Print one check line; count a failure. */
static void check(int pass, const char *what, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static void check(int pass, const char *what, const char *fmt, ...)
{
  va_list ap;
  printf("%s %s: ", pass ? "ok  " : "FAIL", what);
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  printf("\n");
  if (!pass)
    failures++;
}

typedef struct result {
  int rc;
  double grad[M], w[N], v[N]; /* v: the adjoint of an implicit method (v_set) */
  int v_set;
  int t_used, k_used;
  size_t peak, now, space;
  hg_counts counts;
  int n_lower, n_linear; /* trace lengths */
  double last_linear;    /* last traced linear residual */
  hg_error err;
} result;

static hg_budget budget(int t, int k, int K, double tol_lower, double tol_linear)
{
  hg_budget b = {.t = t, .k = k, .K = K, .tol_lower = tol_lower, .tol_linear = tol_linear};
  return b;
}

/* Run method Mth with its parameter word `word` (NULL: the defaults) on P at theta from w0
 * (zeros when NULL) with a fresh, zeroed context whose memory cap is cap (0: none). */
static result run_with(hg_problem *P, const hg_method_ops *Mth, const char *word, hg_budget b,
                       const double *theta, const double *w0, size_t cap)
{
  static const double zeros[N];
  result r;
  hg_params *mp = NULL;
  hg_ctx ctx;
  hg_out out;

  memset(&r, 0, sizeof r);
  memset(&ctx, 0, sizeof ctx);
  ctx.trace_on = 1;
  ctx.mem_cap = cap;
  out.grad = r.grad;
  out.w = r.w;
  out.v = r.v;
  out.v_set = out.not_phi = 0;
  out.post = NULL; /* no a-posteriori measurement asked */
  out.t_used = out.k_used = -1;
  r.rc = hg_params_parse(Mth->params, Mth->name, word ? 1 : 0, &word, &mp, &r.err);
  if (r.rc)
    return r;
  memset(&P->counts, 0, sizeof P->counts);
  r.rc = Mth->compute(P, mp, theta, w0 ? w0 : zeros, &b, &ctx, &out, &r.err);
  r.v_set = out.v_set;
  r.t_used = out.t_used;
  r.k_used = out.k_used;
  r.peak = ctx.mem_peak;
  r.now = ctx.mem_now;
  r.space = hg_method_space_on(Mth, P, &b, mp);
  r.counts = P->counts;
  r.n_lower = ctx.n_lower;
  r.n_linear = ctx.n_linear;
  r.last_linear = ctx.n_linear ? ctx.linear_res[ctx.n_linear - 1] : NAN;
  free(ctx.lower_res);
  free(ctx.linear_res);
  hg_params_destroy(&mp);
  return r;
}

/* run_with the default parameters. */
static result run_capped(hg_problem *P, const hg_method_ops *Mth, hg_budget b,
                         const double *theta, const double *w0, size_t cap)
{
  return run_with(P, Mth, NULL, b, theta, w0, cap);
}

/* run_capped without a memory cap. */
static result run(hg_problem *P, const hg_method_ops *Mth, hg_budget b, const double *theta,
                  const double *w0)
{
  return run_capped(P, Mth, b, theta, w0, 0);
}

static double norm(int n, const double *x)
{
  double s = 0;
  for (int i = 0; i < n; i++)
    s += x[i] * x[i];
  return sqrt(s);
}

/* Run and insist on success (a failed run is a failed check with its message). */
static int run_ok(hg_problem *P, const hg_method_ops *Mth, hg_budget b, const double *theta,
                  const double *w0, result *r)
{
  *r = run(P, Mth, b, theta, w0);
  if (r->rc)
    check(0, Mth->name, "failed: %s (%s)", hg_status_text(r->rc), r->err.msg);
  return r->rc == HG_OK;
}

/* Compare two methods' hypergradients. */
static void same(hg_problem *P, const char *what, const hg_method_ops *M1, hg_budget b1,
                 const hg_method_ops *M2, hg_budget b2, double tol)
{
  result r1, r2;
  if (!run_ok(P, M1, b1, theta_ref, NULL, &r1) || !run_ok(P, M2, b2, theta_ref, NULL, &r2))
    return;
  double e = hg_rel_diff(M, r1.grad, r2.grad);
  check(e <= tol, what, "relative difference %.3g (tolerance %.0e)", e, tol);
}

/* ------------------------------------------------------------------------------------------ */
/* hg_cg on small operators                                                                    */
/* ------------------------------------------------------------------------------------------ */

/* out = diag(dvec) v */
static void diag_op(void *ctx, const double *v, double *out)
{
  const double *dvec = ctx;
  for (int i = 0; i < N; i++)
    out[i] = dvec[i] * v[i];
}

/* out = (I - d_w Phi^T) v = eta A v for the test problem. */
static void adjoint_op(void *ctx, const double *v, double *out)
{
  const tq *s = ctx;
  tq_Av(s, v, out);
  for (int i = 0; i < N; i++)
    out[i] = v[i] - (v[i] - s->eta * out[i]);
}

static void test_cg(const tq *s)
{
  double work[3 * N], x[N], b[N], xstar[N], res;
  int k, rc;
  hg_error err;

  for (int i = 0; i < N; i++)
    b[i] = 1.0 + 0.25 * i;

  /* 3 distinct eigenvalues: exact after 3 iterations (DESIGN §7) */
  double d3[N] = {1, 1, 2, 2, 2, 5, 5, 5};
  memset(x, 0, sizeof x);
  rc = hg_cg(N, diag_op, d3, b, x, 3, 0, work, &k, &res, &err);
  for (int i = 0; i < N; i++)
    xstar[i] = b[i] / d3[i];
  double e = hg_rel_diff(N, x, xstar);
  check(rc == HG_OK && k == 3 && e < 1e-13, "cg: 3 distinct eigenvalues, exact after 3 steps",
        "rc %d, k_used %d, relative error %.3g (tolerance 1e-13: rounding)", rc, k, e);

  /* S = I: alpha = 1 makes r_1 exactly zero; CG must stop cleanly, no 0/0 */
  double d1[N] = {1, 1, 1, 1, 1, 1, 1, 1};
  memset(x, 0, sizeof x);
  rc = hg_cg(N, diag_op, d1, b, x, 10, 0, work, &k, &res, &err);
  int finite = 1;
  for (int i = 0; i < N; i++)
    finite &= isfinite(x[i]) && x[i] == b[i];
  check(rc == HG_OK && k == 1 && res == 0 && finite, "cg: exactly zero residual stops cleanly",
        "rc %d, k_used %d (expect 1), ||r|| %g, x == b: %s", rc, k, res, finite ? "yes" : "no");

  /* b = 0 from x0 = 0: no iteration, x stays 0 */
  double zero[N] = {0};
  memset(x, 0, sizeof x);
  rc = hg_cg(N, diag_op, d3, zero, x, 10, 0, work, &k, &res, &err);
  check(rc == HG_OK && k == 0 && res == 0 && norm(N, x) == 0, "cg: zero right-hand side",
        "rc %d, k_used %d, ||r|| %g, ||x|| %g", rc, k, res, norm(N, x));

  /* S = -I is not positive definite: breakdown at the first iteration */
  double dneg[N] = {-1, -1, -1, -1, -1, -1, -1, -1};
  memset(x, 0, sizeof x);
  hg_error_clear(&err);
  rc = hg_cg(N, diag_op, dneg, b, x, 10, 0, work, &k, &res, &err);
  check(rc == HG_ERR_BREAKDOWN && k == 0 && err.msg[0], "cg: indefinite operator is a breakdown",
        "rc %d (%s), k_used %d, message \"%s\"", rc, hg_status_word(rc), k, err.msg);

  /* the test problem's adjoint operator eta A, 8 distinct eigenvalues: exact after 8 steps
   * from a nonzero start (exercises r_0 = b - S x_0) */
  for (int i = 0; i < N; i++)
    x[i] = 0.5;
  rc = hg_cg(N, adjoint_op, (void *)s, b, x, N, 0, work, &k, &res, &err);
  tq_solve(s, b, xstar);
  for (int i = 0; i < N; i++)
    xstar[i] /= s->eta;
  e = hg_rel_diff(N, x, xstar);
  check(rc == HG_OK && k == N && e < 1e-12, "cg: exact after n = 8 steps from x0 != 0",
        "rc %d, k_used %d, relative error %.3g (tolerance 1e-12: rounding, kappa < 6)", rc, k, e);

  /* tolerance: stops at the first ||r|| <= tol, before kmax */
  memset(x, 0, sizeof x);
  rc = hg_cg(N, adjoint_op, (void *)s, b, x, 100, 1e-3, work, &k, &res, &err);
  check(rc == HG_OK && k > 0 && k < N && res <= 1e-3, "cg: tol stops early",
        "rc %d, k_used %d, ||r|| %.3g <= 1e-3", rc, k, res);
}

/* ------------------------------------------------------------------------------------------ */
/* hg_gmres on small operators                                                                 */
/* ------------------------------------------------------------------------------------------ */

/* A dense N x N operator (row-major) that counts its products; nan_at >= 0 puts a NaN in the
 * output of that product. */
typedef struct dense_op {
  double A[N][N];
  int products, nan_at;
} dense_op;

static void dense_apply(void *ctx, const double *v, double *out)
{
  dense_op *o = ctx;
  for (int i = 0; i < N; i++) {
    out[i] = 0;
    for (int j = 0; j < N; j++)
      out[i] += o->A[i][j] * v[j];
  }
  if (o->products++ == o->nan_at)
    out[0] = NAN;
}

/* ||b - A x|| for the dense operator (not counted). */
static double dense_residual(const dense_op *o, const double *b, const double *x)
{
  double r[N];
  for (int i = 0; i < N; i++) {
    r[i] = b[i];
    for (int j = 0; j < N; j++)
      r[i] -= o->A[i][j] * x[j];
  }
  return norm(N, r);
}

static void test_gmres(void)
{
  dense_op ns, dg;
  double b[N], x[N], xstar[N], res, lu[N * N];
  lapack_int ipiv[N];
  int k, rc;
  hg_error err;
  double *work = malloc(hg_gmres_work(N, 20) * sizeof(double));

  if (!work) {
    check(0, "gmres", "out of memory");
    return;
  }
  /* a non-symmetric, diagonally dominant operator; x* by LAPACK's LU */
  memset(&ns, 0, sizeof ns);
  ns.nan_at = -1;
  for (int i = 0; i < N; i++) {
    b[i] = 1.0 - 0.25 * i;
    for (int j = 0; j < N; j++)
      ns.A[i][j] = i == j ? 3.0 + 0.25 * i : (double)((i * 5 + j * 3) % 7 - 3) / 8.0;
  }
  memcpy(lu, ns.A, sizeof lu);
  memcpy(xstar, b, sizeof xstar);
  LAPACKE_dgesv(LAPACK_ROW_MAJOR, N, 1, lu, N, ipiv, xstar, 1);

  /* restart >= n: the Krylov space is exhausted after n steps, x exact; no restart product */
  memset(x, 0, sizeof x);
  rc = hg_gmres(N, dense_apply, &ns, b, x, 100, 20, 0, work, &k, &res, &err);
  double e = hg_rel_diff(N, x, xstar);
  check(rc == HG_OK && k <= N && e < 1e-12 && ns.products == k,
        "gmres(20): non-symmetric n = 8, terminates exactly in <= n steps",
        "rc %d, k_used %d (of at most 100), relative error %.3g (tolerance 1e-12), products %d",
        rc, k, e, ns.products);

  /* restart 3 < n: 20 cycles of 3 steps, a true-residual product after each but the last */
  memset(x, 0, sizeof x);
  ns.products = 0;
  rc = hg_gmres(N, dense_apply, &ns, b, x, 60, 3, 0, work, &k, &res, &err);
  e = hg_rel_diff(N, x, xstar);
  check(rc == HG_OK && k == 60 && e < 1e-12 && ns.products == 60 + 19,
        "gmres(3): restarted, converges; k + restarts products",
        "rc %d, k_used %d, relative error %.3g (tolerance 1e-12), products %d (expect 79)", rc,
        k, e, ns.products);

  /* tolerance: stops once the true residual is <= tol, well before kmax */
  memset(x, 0, sizeof x);
  rc = hg_gmres(N, dense_apply, &ns, b, x, 60, 3, 1e-6, work, &k, &res, &err);
  double true_res = dense_residual(&ns, b, x);
  check(rc == HG_OK && k > 0 && k < 60 && res <= 1e-6 && true_res <= 1e-6,
        "gmres(3): tol stops on the true residual", "rc %d, k_used %d, ||r|| %.3g (true %.3g) "
        "<= 1e-6", rc, k, res, true_res);

  /* 3 distinct eigenvalues: the minimal polynomial has degree 3, exact after 3 steps */
  memset(&dg, 0, sizeof dg);
  dg.nan_at = -1;
  static const double d3[N] = {1, 1, 2, 2, 2, 5, 5, 5};
  for (int i = 0; i < N; i++)
    dg.A[i][i] = d3[i];
  for (int i = 0; i < N; i++)
    xstar[i] = b[i] / d3[i];
  memset(x, 0, sizeof x);
  rc = hg_gmres(N, dense_apply, &dg, b, x, 3, 20, 0, work, &k, &res, &err);
  e = hg_rel_diff(N, x, xstar);
  check(rc == HG_OK && k == 3 && e < 1e-13, "gmres: 3 distinct eigenvalues, exact after 3 steps",
        "rc %d, k_used %d, relative error %.3g (tolerance 1e-13: rounding)", rc, k, e);

  /* b along e_0: A v_0 = v_0 exactly, the subdiagonal is exactly 0: a clean stop, no 0/0 */
  double b0[N] = {2};
  memset(x, 0, sizeof x);
  dg.products = 0;
  rc = hg_gmres(N, dense_apply, &dg, b0, x, 10, 20, 0, work, &k, &res, &err);
  int finite = 1;
  for (int i = 0; i < N; i++)
    finite &= isfinite(x[i]) && x[i] == (i == 0 ? 2.0 : 0.0);
  check(rc == HG_OK && k == 1 && res == 0 && finite && dg.products == 1,
        "gmres: exactly zero residual stops cleanly",
        "rc %d, k_used %d (expect 1), residual %g, x == A^{-1} b exactly: %s, products %d", rc, k,
        res, finite ? "yes" : "no", dg.products);

  /* b = 0 from x0 = 0: no iteration, no product */
  double zero[N] = {0};
  memset(x, 0, sizeof x);
  dg.products = 0;
  rc = hg_gmres(N, dense_apply, &dg, zero, x, 10, 20, 0, work, &k, &res, &err);
  check(rc == HG_OK && k == 0 && res == 0 && norm(N, x) == 0 && dg.products == 0,
        "gmres: zero right-hand side", "rc %d, k_used %d, residual %g, ||x|| %g, products %d",
        rc, k, res, norm(N, x), dg.products);

  /* a singular operator (A e_0 = 0) with b = e_0: the least-squares matrix is singular */
  dense_op sg = dg;
  sg.A[0][0] = 0;
  memset(x, 0, sizeof x);
  hg_error_clear(&err);
  rc = hg_gmres(N, dense_apply, &sg, b0, x, 10, 20, 0, work, &k, &res, &err);
  check(rc == HG_ERR_BREAKDOWN && err.msg[0], "gmres: singular operator is a breakdown",
        "rc %d (%s), k_used %d, message \"%s\"", rc, hg_status_word(rc), k, err.msg);

  /* a NaN from the operator is reported, not returned */
  ns.products = 0;
  ns.nan_at = 2;
  memset(x, 0, sizeof x);
  hg_error_clear(&err);
  rc = hg_gmres(N, dense_apply, &ns, b, x, 10, 20, 0, work, &k, &res, &err);
  check(rc == HG_ERR_NAN && k == 3 && strstr(err.msg, "not finite"),
        "gmres: a NaN product is reported", "rc %d (%s) at k_used %d: \"%s\"", rc,
        hg_status_word(rc), k, err.msg);
  free(work);
}

/* aid-gmres and aid-cg-normal against exact on a registered problem at t = k = 300 (q <= 0.9
 * on the problems below: q^300 < 1e-13), and aid-cg's refusal where d_w Phi is not symmetric. */
static void test_registered(const char *name, int nwords, const char *const *words)
{
  hg_problem *P = NULL;
  hg_error err;
  double *theta = NULL;
  static const struct {
    const char *method, *word;
  } runs[] = {{"aid-gmres", NULL}, {"aid-gmres", "restart=5"}, {"aid-cg-normal", NULL}};

  hg_error_clear(&err);
  if (hg_problem_create(name, nwords, words, &P, &err) ||
      !(theta = malloc((size_t)P->n_theta * sizeof *theta))) {
    check(0, name, "cannot create: %s", err.msg);
    hg_problem_destroy(&P);
    return;
  }
  P->ops->theta0(P->self, theta);
  for (size_t i = 0; i < sizeof runs / sizeof *runs; i++) {
    hg_budget b = budget(300, 300, 0, 0, 0);
    hg_run_opts o = {0};
    hg_run r;
    const char *word = runs[i].word;
    char what[128];
    o.with_reference = 1;
    hg_error_clear(&err);
    int rc = hg_hypergrad(P, runs[i].method, word ? 1 : 0, &word, theta, &b, &o, &r, &err);
    snprintf(what, sizeof what, "%s%s%s -> exact on %s%s (t = k = 300)", runs[i].method,
             word ? " " : "", word ? word : "", name, nwords ? " (other setting)" : "");
    check(rc == HG_OK && r.rel_error < 1e-10 && !r.bound_violated, what,
          "rc %d %s, relative error %.3g (tolerance 1e-10), error/bound %.3g, k_used %d", rc,
          err.msg, r.rel_error, r.abs_error / r.bound, r.k);
    hg_run_release(&r);
  }
  if (!P->ops->symmetric) {
    hg_budget b = budget(10, 10, 0, 0, 0);
    hg_run_opts o = {0};
    hg_run r;
    hg_error_clear(&err);
    int rc = hg_hypergrad(P, "aid-cg", 0, NULL, theta, &b, &o, &r, &err);
    char what[96];
    snprintf(what, sizeof what, "aid-cg refuses %s (not symmetric)", name);
    check(rc == HG_ERR_UNSUPPORTED && strstr(err.msg, "symmetric"), what, "rc %s: \"%s\"",
          hg_status_word(rc), err.msg);
    hg_run_release(&r);
  }
  free(theta);
  hg_problem_destroy(&P);
}

/* The lower-trajectory cache (hg_lower_cache, as verify uses it): a run that resumes from the
 * recorded trajectory (or adjoint iteration) does the same floating-point operations in the
 * same order as one from scratch, so its hypergradient, iterate, t, k, counts and residual
 * traces must be bitwise those of the uncached run.  The sequence exercises an exact hit, resumes from an earlier end, a tape
 * (tbptt, itd: no resume before their tape), a hook (itd-forward: resumes from its own recorded
 * states (w_i, Z_i), at 60 then 90 then 45 and with a tolerance: from scratch), tolerance stops
 * found in the recorded residuals and beyond them, and a new theta (the cache resets); a method
 * the problem refuses must be refused the same way. */
static void test_lower_cache(const char *name)
{
  static const struct {
    const char *method;
    int t, k, K;
    double tol; /* tol_lower, or (negative) -tol_linear */
    int shift;  /* 1: theta + 1e-3 */
  } runs[] = {
    {"aid-fp", 50, 20, 0, 0, 0},     {"aid-fp", 120, 20, 0, 0, 0},  {"tbptt", 120, 0, 10, 0, 0},
    {"itd", 80, 0, 0, 0, 0},         {"jfb", 120, 0, 0, 0, 0},      {"itd-forward", 60, 0, 0, 0, 0},
    {"aid-cg", 400, 30, 0, 1e-7, 0}, {"aid-fp", 400, 30, 0, 1e-7, 0}, {"neumann", 400, 10, 0, 1e-3, 0},
    {"tbptt", 400, 0, 5, 1e-5, 0},   {"aid-fp", 90, 20, 0, 0, 1},   {"aid-fp", 120, 20, 0, 0, 0},
    /* the adjoint iterations at one w_t (k grows, then tolerance stops, then another method) */
    {"aid-fp", 120, 50, 0, 0, 0},    {"aid-fp", 120, 80, 0, 0, 0},  {"aid-fp", 120, 500, 0, -1e-9, 0},
    {"aid-fp", 120, 60, 0, 0, 0},    {"neumann", 120, 40, 0, 0, 0}, {"neumann", 120, 90, 0, 0, 0},
    {"neumann", 120, 500, 0, -1e-9, 0}, {"aid-fp", 120, 70, 0, 0, 0},
    /* forward mode's own states (after a run at t = 60 above): 90 resumes at 60, 45 starts
     * anew (nothing recorded before it), 50 resumes at 45, a tolerance runs from scratch */
    {"itd-forward", 90, 0, 0, 0, 0}, {"itd-forward", 45, 0, 0, 0, 0},
    {"itd-forward", 50, 0, 0, 0, 0}, {"itd-forward", 200, 0, 0, 1e-6, 0},
  };
  hg_problem *P = NULL;
  hg_lower_cache *cache = hg_lower_cache_create();
  hg_error err;
  double *theta = NULL, *theta2 = NULL;

  hg_error_clear(&err);
  if (!cache || hg_problem_create(name, 0, NULL, &P, &err) ||
      !(theta = malloc((size_t)P->n_theta * sizeof *theta)) ||
      !(theta2 = malloc((size_t)P->n_theta * sizeof *theta2))) {
    check(0, name, "cannot create: %s", err.msg);
    goto done;
  }
  P->ops->theta0(P->self, theta);
  for (int i = 0; i < P->n_theta; i++)
    theta2[i] = theta[i] + 1e-3;
  for (size_t i = 0; i < sizeof runs / sizeof *runs; i++) {
    hg_budget b = budget(runs[i].t, runs[i].k, runs[i].K, fmax(runs[i].tol, 0),
                         fmax(-runs[i].tol, 0));
    hg_run_opts o = {0}, oc = {0};
    hg_run r, rc_;
    const double *th = runs[i].shift ? theta2 : theta;
    char what[128];
    o.trace = oc.trace = 1;
    oc.lower_cache = cache;
    hg_error_clear(&err);
    int a = hg_hypergrad(P, runs[i].method, 0, NULL, th, &b, &o, &r, &err);
    int c = hg_hypergrad(P, runs[i].method, 0, NULL, th, &b, &oc, &rc_, &err);
    snprintf(what, sizeof what, "%s on %s (t = %d, k = %d, K = %d, tol_lower = %g, tol_linear = "
             "%g%s): cached run == run from scratch", runs[i].method, name, runs[i].t, runs[i].k,
             runs[i].K, b.tol_lower, b.tol_linear, runs[i].shift ? ", theta + 1e-3" : "");
    int same_bits = a == c && (a != HG_OK || (r.t == rc_.t && r.k == rc_.k &&
                    !memcmp(r.grad, rc_.grad, (size_t)P->n_theta * sizeof *r.grad) &&
                    !memcmp(r.w, rc_.w, (size_t)P->n_w * sizeof *r.w) &&
                    !memcmp(&r.counts, &rc_.counts, sizeof r.counts) &&
                    r.n_lower_res == rc_.n_lower_res &&
                    (!r.n_lower_res || !memcmp(r.lower_res, rc_.lower_res,
                                               (size_t)r.n_lower_res * sizeof(double))) &&
                    r.n_linear_res == rc_.n_linear_res &&
                    (!r.n_linear_res || !memcmp(r.linear_res, rc_.linear_res,
                                                (size_t)r.n_linear_res * sizeof(double)))));
    double gdiff = 0; /* max |grad difference|, for the message */
    for (int j = 0; a == HG_OK && c == HG_OK && j < P->n_theta; j++)
      gdiff = fmax(gdiff, fabs(r.grad[j] - rc_.grad[j]));
    check(same_bits, what, "rc %d/%d, t %d/%d, k %d/%d, phi calls %ld/%ld, vjp_w %ld/%ld, "
          "traced %d/%d and %d/%d, max |grad diff| %.3g", a, c, r.t, rc_.t, r.k, rc_.k,
          r.counts.phi, rc_.counts.phi, r.counts.vjp_w, rc_.counts.vjp_w, r.n_lower_res,
          rc_.n_lower_res, r.n_linear_res, rc_.n_linear_res, gdiff);
    hg_run_release(&r);
    hg_run_release(&rc_);
  }

done:
  free(theta);
  free(theta2);
  hg_lower_cache_destroy(&cache);
  hg_problem_destroy(&P);
}

/* piggyback needs a saddle-point problem: on denoise-tv-pd (two 2 x 2 images, so n_w = 8 fits
 * the result arrays of run()) its space() on the
 * problem (space_problem: n_y from the saddle ops) is exactly the measured peak over fixed and
 * tolerance budgets, and space() (for n_y = 2 n, the differences of an image) agrees there;
 * on the test problem (no saddle ops) it is refused before allocating anything. */
static void test_piggyback(hg_problem *Q)
{
  const char *words[] = {"size=2", "n_images=2"};
  hg_problem *P = NULL;
  hg_error err;
  double theta[1];
  result r;

  hg_error_clear(&err);
  if (hg_problem_create("denoise-tv-pd", 2, words, &P, &err) || P->n_w > N || P->n_theta > M) {
    check(0, "piggyback", "cannot create denoise-tv-pd with n_w <= %d: %s", N, err.msg);
    hg_problem_destroy(&P);
    return;
  }
  P->ops->theta0(P->self, theta);
  const hg_budget budgets[] = {budget(0, 0, 0, 0, 0), budget(1, 1, 1, 0, 0),
                               budget(7, 3, 2, 0, 0), budget(3, 7, 0, 0, 0),
                               budget(40, 20, 0, 0, 0), budget(1000, 1000, 0, 1e-8, 1e-8)};
  int ok = 1;
  char detail[256] = "";
  for (size_t j = 0; j < sizeof budgets / sizeof *budgets; j++) {
    r = run(P, &hg_method_piggyback, budgets[j], theta, NULL);
    size_t typical = hg_method_space(&hg_method_piggyback, P->n_w, P->n_theta, &budgets[j], NULL);
    int good = r.rc == HG_OK && r.peak == r.space && r.now == 0 && typical == r.space;
    if (!good && ok)
      snprintf(detail, sizeof detail, " first mismatch at t = %d: rc %d (%.80s), space %zu, "
               "space() %zu, peak %zu, left %zu", budgets[j].t, r.rc, r.err.msg, r.space,
               typical, r.peak, r.now);
    ok &= good;
  }
  check(ok, "piggyback: space() == measured peak", "on denoise-tv-pd over t = 0, 1, 7, 3, 40 "
        "and tolerances (peak of the last: %zu bytes)%s", r.peak, detail);
  hg_problem_destroy(&P);

  r = run(Q, &hg_method_piggyback, budget(10, 10, 0, 0, 0), theta_ref, NULL);
  check(r.rc == HG_ERR_UNSUPPORTED && strstr(r.err.msg, "saddle") && r.peak == 0 &&
            hg_counts_oracle(&r.counts) == 0 && r.space == 0,
        "piggyback refuses a problem without saddle ops", "rc %s, peak %zu: \"%s\"",
        hg_status_word(r.rc), r.peak, r.err.msg);
}

/* ------------------------------------------------------------------------------------------ */
/* lower=fista (common.h hg_lower_fista): the certified stop, fewer Phi than gd, omega instead
 * of the budget bound, refused without mu and L                                              */
/* ------------------------------------------------------------------------------------------ */

static void test_fista(const char *problem, int nwords, const char *const *words,
                       double min_speedup)
{
  hg_problem *P = NULL;
  hg_error err;
  double *theta = NULL, *wstar = NULL, *g = NULL;
  const char *fista = "lower=fista";
  hg_run rf, rg;

  hg_error_clear(&err);
  if (hg_problem_create(problem, nwords, words, &P, &err) ||
      !(theta = malloc((size_t)P->n_theta * sizeof *theta)) ||
      !(wstar = malloc((size_t)P->n_w * sizeof *wstar)) ||
      !(g = malloc((size_t)P->n_theta * sizeof *g))) {
    check(0, problem, "cannot create: %s", err.msg);
    goto done;
  }
  P->ops->theta0(P->self, theta);
  hg_exact(P, theta, wstar, g, &err);
  hg_budget b = budget(100000, 100000, 0, 1e-10, 1e-12);
  hg_run_opts o = {0};
  o.with_reference = 1;
  int rcf = hg_hypergrad(P, "aid-cg", 1, &fista, theta, &b, &o, &rf, &err);
  int rcg = hg_hypergrad(P, "aid-cg", 0, NULL, theta, &b, &o, &rg, &err);
  char what[128];
  snprintf(what, sizeof what, "aid-cg lower=fista on %s: certified stop, exact, omega", problem);
  double dist = 0;
  for (int i = 0; rcf == HG_OK && i < P->n_w; i++)
    dist += (rf.w[i] - wstar[i]) * (rf.w[i] - wstar[i]);
  dist = sqrt(dist);
  check(rcf == HG_OK && dist <= 1e-10 / (1 - rf.consts.q) && rf.rel_error < 1e-8 &&
            isnan(rf.bound) && rf.abs_error <= rf.omega && !rf.bound_violated, what,
        "rc %d %s; ||w - w*|| %.3g <= %.3g; relative error %.3g; bound %g; error %.3g <= "
        "omega %.3g", rcf, err.msg, dist, 1e-10 / (1 - rf.consts.q), rf.rel_error, rf.bound,
        rf.abs_error, rf.omega);
  if (min_speedup > 1)
    snprintf(what, sizeof what, "lower=fista on %s: %.0fx fewer Phi than gd", problem,
             min_speedup);
  else
    snprintf(what, sizeof what, "lower=fista on %s: no more Phi than gd", problem);
  check(rcf == HG_OK && rcg == HG_OK && rg.counts.phi >= min_speedup * rf.counts.phi, what,
        "Phi: fista %ld, gd %ld", rf.counts.phi, rg.counts.phi);
  hg_run_release(&rf);
  hg_run_release(&rg);

done:
  free(theta);
  free(wstar);
  free(g);
  hg_problem_destroy(&P);
}

/* ------------------------------------------------------------------------------------------ */

int main(void)
{
  testing_register_builtin();
  hg_error err;
  void *self = NULL;
  int n_w = 0, n_theta = 0;
  hg_problem P;
  result r, rx;
  double exact[M], wstar[N];

  if (tq_ops.create(NULL, &self, &n_w, &n_theta, &err)) {
    printf("FAIL create: %s\n", err.msg);
    return 1;
  }
  memset(&P, 0, sizeof P);
  P.ops = &tq_ops;
  P.self = self;
  P.n_w = n_w;
  P.n_theta = n_theta;
  tq *s = self;
  printf("test problem: n = %d, m = %d, spectrum of A in [%.3f, %.3f], eta = %.4f, q <= %.4f\n",
         N, M, s->mu, s->L, s->eta, (s->L - s->mu) / (s->L + s->mu));

  test_cg(s);
  test_gmres();
  {
    static const char *const mse[] = {"loss=mse", "a_norm=0.9", "radius=0.95"};
    test_registered("equilibrium", 0, NULL);
    test_registered("equilibrium", 3, mse);
    test_registered("ridge", 0, NULL);
    test_registered("quadratic", 0, NULL);
  }
  {
    /* kappa = 100: gd needs ~ (kappa/2) log(1/tol) Phi, fista ~ sqrt(kappa) log(1/tol) */
    static const char *const k100[] = {"kappa=100", "seed=1"};
    test_fista("quadratic", 2, k100, 3);
    test_fista("denoise-tv", 0, NULL, 2);
    test_fista("logreg", 0, NULL, 1);
    hg_problem *Q = NULL;
    hg_run rq;
    hg_budget b = budget(10, 10, 0, 0, 0);
    hg_run_opts o = {0};
    const char *fista = "lower=fista";
    double th[200];
    hg_error_clear(&err);
    if (hg_problem_create("equilibrium", 0, NULL, &Q, &err) == HG_OK && Q->n_theta <= 200) {
      Q->ops->theta0(Q->self, th);
      int rc = hg_hypergrad(Q, "aid-fp", 1, &fista, th, &b, &o, &rq, &err);
      check(rc == HG_ERR_UNSUPPORTED && strstr(err.msg, "lower=gd"),
            "lower=fista refused without mu and L (equilibrium)", "rc %s: \"%s\"",
            hg_status_word(rc), err.msg);
      hg_run_release(&rq);
    }
    hg_problem_destroy(&Q);
    /* memory: space_params counts FISTA's two iterates */
    result rf = run_with(&P, &hg_method_aid_fp, "lower=fista", budget(50, 20, 0, 0, 0),
                         theta_ref, NULL, 0);
    check(rf.rc == HG_OK && rf.space == rf.peak, "aid-fp lower=fista: space = measured peak",
          "space %zu, peak %zu", rf.space, rf.peak);
  }
  test_piggyback(&P);
  test_lower_cache("logreg-multi");
  test_lower_cache("equilibrium");
  test_lower_cache("poison");

  /* exact */
  if (run_ok(&P, &hg_method_exact, budget(0, 0, 0, 0, 0), theta_ref, NULL, &rx)) {
    memcpy(exact, rx.grad, sizeof exact);
    memcpy(wstar, rx.w, sizeof wstar);
    check(rx.t_used == 0 && rx.k_used == 0, "exact: no iterations", "t_used %d, k_used %d",
          rx.t_used, rx.k_used);
  } else {
    return 1;
  }

  /* DESIGN §7 identities.  Same operations in the same order: rounding only (1e-15); different
   * orders of the same sums: 1e-12; forward vs reverse accumulation over 30 steps: 1e-10. */
  same(&P, "itd == itd-forward (t = 30)", &hg_method_itd, budget(30, 0, 0, 0, 0),
       &hg_method_itd_forward, budget(30, 0, 0, 0, 0), 1e-10);
  same(&P, "neumann(k = 7) == aid-fp(k = 8)", &hg_method_neumann, budget(30, 7, 0, 0, 0),
       &hg_method_aid_fp, budget(30, 8, 0, 0, 0), 1e-12);
  same(&P, "neumann(k = 0) == jfb", &hg_method_neumann, budget(30, 0, 0, 0, 0), &hg_method_jfb,
       budget(30, 0, 0, 0, 0), 1e-15);
  same(&P, "aid-fp(k = 1) == jfb", &hg_method_aid_fp, budget(30, 1, 0, 0, 0), &hg_method_jfb,
       budget(30, 0, 0, 0, 0), 1e-15);
  same(&P, "tbptt(K = t = 30) == itd", &hg_method_tbptt, budget(30, 0, 30, 0, 0), &hg_method_itd,
       budget(30, 0, 0, 0, 0), 1e-15);
  same(&P, "tbptt(K = 100 > t = 30) == itd", &hg_method_tbptt, budget(30, 0, 100, 0, 0),
       &hg_method_itd, budget(30, 0, 0, 0, 0), 1e-15);
  same(&P, "itd(t = 30) == aid-fp(t = 30, k = 30) (Phi affine in w)", &hg_method_itd,
       budget(30, 0, 0, 0, 0), &hg_method_aid_fp, budget(30, 30, 0, 0, 0), 1e-12);
  same(&P, "itd(t = 5) == aid-fp(t = 5, k = 5) (Phi affine in w)", &hg_method_itd,
       budget(5, 0, 0, 0, 0), &hg_method_aid_fp, budget(5, 5, 0, 0, 0), 1e-12);

  /* tbptt with K < t truncates: it differs from itd (guards the identities above) */
  {
    result a, c;
    if (run_ok(&P, &hg_method_tbptt, budget(5, 0, 2, 0, 0), theta_ref, NULL, &a) &&
        run_ok(&P, &hg_method_itd, budget(5, 0, 0, 0, 0), theta_ref, NULL, &c)) {
      double e = hg_rel_diff(M, a.grad, c.grad);
      check(e > 1e-6, "tbptt(K = 2 < t = 5) differs from itd", "relative difference %.3g", e);
    }
  }

  /* Convergence to exact as t, k grow (q <= 0.7: q^300 ~ 1e-47); with t = k = 2 every method
   * is still far off, so the check can fail.  The biased ones are excluded: jfb's floor, and
   * tbptt, which at K = t is itd (the identity above). */
  {
    /* every registered consistent iterative method (from the registry: not biased, not
     * stochastic, reading t, needing nothing but Phi and its products) */
    for (const hg_entry *e = hg_method_list(); e->name; e++) {
      const hg_method_ops *Mth = e->ops;
      hg_error why;
      if (Mth->biased || Mth->stochastic || !(Mth->budgets & HG_BUDGET_T) ||
          (Mth->needs & (HG_NEEDS_EXACT | HG_NEEDS_SADDLE | HG_NEEDS_SAMPLE)) ||
          hg_method_applies(P.ops, Mth, &why))
        continue;
      result lo, hi;
      if (!run_ok(&P, Mth, budget(2, 2, 2, 0, 0), theta_ref, NULL, &lo) ||
          !run_ok(&P, Mth, budget(300, 300, 300, 0, 0), theta_ref, NULL, &hi))
        continue;
      double elo = hg_rel_diff(M, lo.grad, exact), ehi = hg_rel_diff(M, hi.grad, exact);
      double ew = hg_rel_diff(N, hi.w, wstar);
      char what[96];
      snprintf(what, sizeof what, "%s -> exact (t = k = K = 300)", e->name);
      check(ehi < 1e-8 && elo > 1e-4 && ew < 1e-12 && hi.t_used == 300, what,
            "relative error %.3g (tolerance 1e-8), at t = k = 2: %.3g (must be > 1e-4), "
            "||w_t - w*||/||w*|| %.3g, t_used %d", ehi, elo, ew, hi.t_used);
    }
  }

  /* fd against exact: central differences with h = cbrt(eps) are accurate to ~1e-10 here */
  if (run_ok(&P, &hg_method_fd, budget(0, 0, 0, 0, 0), theta_ref, NULL, &r)) {
    double e = hg_rel_diff(M, r.grad, exact);
    check(e < 1e-6 && hg_rel_diff(N, r.w, wstar) == 0, "fd vs exact",
          "relative error %.3g (tolerance 1e-6), w = w*", e);
  }

  /* CG is exact after n = 8 steps; 7 steps are not enough */
  {
    result r8, r7;
    if (run_ok(&P, &hg_method_aid_cg, budget(300, 8, 0, 0, 0), theta_ref, NULL, &r8) &&
        run_ok(&P, &hg_method_aid_cg, budget(300, 7, 0, 0, 0), theta_ref, NULL, &r7)) {
      double e8 = hg_rel_diff(M, r8.grad, exact), e7 = hg_rel_diff(M, r7.grad, exact);
      check(e8 < 1e-10 && e7 > 1e-10 && r8.k_used == 8, "aid-cg exact after n = 8 CG steps",
            "relative error %.3g at k = 8 (tolerance 1e-10), %.3g at k = 7, k_used %d", e8, e7,
            r8.k_used);
    }
  }

  /* GMRES (restart 20 >= n) and CG on the normal equations are exact after n = 8 steps too;
   * 7 steps are not enough.  GMRES stops by itself there (the Krylov space is exhausted). */
  {
    const hg_method_ops *krylov[] = {&hg_method_aid_gmres, &hg_method_aid_cg_normal};
    for (size_t i = 0; i < sizeof krylov / sizeof *krylov; i++) {
      result r8, r7;
      int gmres = krylov[i] == &hg_method_aid_gmres;
      if (!run_ok(&P, krylov[i], budget(300, gmres ? 100 : 8, 0, 0, 0), theta_ref, NULL, &r8) ||
          !run_ok(&P, krylov[i], budget(300, 7, 0, 0, 0), theta_ref, NULL, &r7))
        continue;
      double e8 = hg_rel_diff(M, r8.grad, exact), e7 = hg_rel_diff(M, r7.grad, exact);
      char what[96];
      snprintf(what, sizeof what, "%s exact after n = 8 steps%s", krylov[i]->name,
               gmres ? " (k = 100: stops there)" : "");
      check(e8 < 1e-10 && e7 > 1e-10 && r8.k_used == 8, what, "relative error %.3g at k = %d "
            "(tolerance 1e-10), %.3g at k = 7, k_used %d", e8, gmres ? 100 : 8, e7, r8.k_used);
    }
  }

  /* aid-gmres with restart=3: each restart costs one more vjp_w (the true residual): k = 7 in
   * cycles of 3, 3, 1 makes 7 + 2; at a large k it still converges. */
  {
    result r7;
    r7 = run_with(&P, &hg_method_aid_gmres, "restart=3", budget(300, 7, 0, 0, 0), theta_ref, NULL,
                  0);
    r = run_with(&P, &hg_method_aid_gmres, "restart=3", budget(300, 300, 0, 0, 0), theta_ref,
                 NULL, 0);
    double e = hg_rel_diff(M, r.grad, exact);
    check(r7.rc == HG_OK && r7.k_used == 7 && r7.counts.vjp_w == 9 && r.rc == HG_OK && e < 1e-10,
          "aid-gmres restart=3: restart products counted, converges",
          "k = 7: rc %d, k_used %d, vjp_w %ld (expect 9); k = 300: relative error %.3g "
          "(tolerance 1e-10)", r7.rc, r7.k_used, r7.counts.vjp_w, e);
  }

  /* The Krylov solvers with an exactly zero right-hand side: with d = C w0 for w0 = 0 (d = 0)
   * and t = 0, grad_w E(w_0) = C^T (C w0 - d) = 0 bit for bit; they must stop at once
   * (k_used = 0, v = 0), ghat = rho theta exactly, no NaN (DESIGN §4 aid-cg). */
  {
    const hg_method_ops *krylov[] = {&hg_method_aid_cg, &hg_method_aid_gmres,
                                     &hg_method_aid_cg_normal};
    tq saved = *s;
    double rz[R];
    static const double w0[N];
    memset(s->d, 0, sizeof s->d);
    tq_residual(s, w0, rz);
    for (size_t i = 0; i < sizeof krylov / sizeof *krylov; i++) {
      r = run(&P, krylov[i], budget(0, 10, 0, 0, 0), theta_ref, w0);
      int exact_rho = 1;
      for (int j = 0; j < M; j++)
        exact_rho &= isfinite(r.grad[j]) && r.grad[j] == s->rho * theta_ref[j];
      char what[96];
      snprintf(what, sizeof what, "%s with grad_w E = 0 exactly stops cleanly", krylov[i]->name);
      check(norm(R, rz) == 0 && r.rc == HG_OK && r.k_used == 0 && exact_rho &&
                r.counts.jvp_w + r.counts.vjp_w == 0, what,
            "||C w0 - d|| %g, rc %d %s, k_used %d, products %ld, ghat == rho theta: %s",
            norm(R, rz), r.rc, r.err.msg, r.k_used, r.counts.jvp_w + r.counts.vjp_w,
            exact_rho ? "yes" : "no");
    }
    *s = saved;
  }

  /* Budgets: fixed t = 17, k = 5, K = 4 are used exactly, traced, and cost what DESIGN §4's
   * recursions make: t Phi, one upper, and per method (m = 3 columns for itd-forward) */
  {
    static const struct {
      const hg_method_ops *mth;
      int k_used;
      long jvp_w, vjp_w, vjp_theta, jvp_theta;
    } want[] = {
      {&hg_method_itd, 0, 0, 17, 17, 0},
      {&hg_method_itd_forward, 0, 17 * M, 0, 0, 17 * M},
      {&hg_method_tbptt, 0, 0, 4, 4, 0},
      {&hg_method_aid_fp, 5, 0, 5, 1, 0},
      {&hg_method_aid_cg, 5, 0, 5, 1, 0},
      {&hg_method_aid_cg_normal, 5, 6, 5, 1, 0}, /* and v = (I - J) y */
      {&hg_method_aid_gmres, 5, 0, 5, 1, 0},     /* k <= restart: no restart product */
      {&hg_method_neumann, 5, 0, 5, 1, 0},
      {&hg_method_jfb, 0, 0, 0, 1, 0},
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
      if (!run_ok(&P, want[i].mth, budget(17, 5, 4, 0, 0), theta_ref, NULL, &r))
        continue;
      hg_counts c = r.counts;
      char what[96];
      snprintf(what, sizeof what, "%s uses t = 17, k = %d and its counted products",
               want[i].mth->name, want[i].k_used);
      check(r.t_used == 17 && r.k_used == want[i].k_used && r.n_lower == 17 &&
                r.n_linear == want[i].k_used && c.phi == 17 && c.upper == 1 &&
                c.jvp_w == want[i].jvp_w && c.vjp_w == want[i].vjp_w &&
                c.vjp_theta == want[i].vjp_theta && c.jvp_theta == want[i].jvp_theta,
            what, "t_used %d, k_used %d, traced %d + %d; phi %ld, upper %ld, jvp_w %ld, "
            "vjp_w %ld, vjp_theta %ld, jvp_theta %ld", r.t_used, r.k_used, r.n_lower,
            r.n_linear, c.phi, c.upper, c.jvp_w, c.vjp_w, c.vjp_theta, c.jvp_theta);
    }
  }

  /* tol_lower: the loop stops at the first i with ||w_{i+1} - w_i|| <= 1e-9; the count is
   * replayed here with the problem's own Phi. */
  {
    double w[N] = {0}, wn[N], d[N];
    int t_want = 0;
    for (int i = 0; i < 100000; i++) {
      tq_phi(s, w, theta_ref, wn);
      t_want = i + 1;
      for (int j = 0; j < N; j++)
        d[j] = wn[j] - w[j];
      memcpy(w, wn, sizeof w);
      if (norm(N, d) <= 1e-9)
        break;
    }
    const hg_method_ops *all[] = {&hg_method_itd,       &hg_method_itd_forward,
                                  &hg_method_tbptt,     &hg_method_aid_fp,
                                  &hg_method_aid_cg,    &hg_method_aid_cg_normal,
                                  &hg_method_aid_gmres, &hg_method_neumann,
                                  &hg_method_jfb};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) {
      if (!run_ok(&P, all[i], budget(100000, 20, 10, 1e-9, 0), theta_ref, NULL, &r))
        continue;
      char what[96];
      snprintf(what, sizeof what, "%s: tol_lower = 1e-9 stops the lower loop", all[i]->name);
      check(r.t_used == t_want && r.n_lower == t_want && hg_rel_diff(N, r.w, w) == 0, what,
            "t_used %d (replayed: %d, of at most 100000), traced %d", r.t_used, t_want,
            r.n_lower);
    }
  }

  /* tol_linear: replay aid-fp's ||v_{j+1} - v_j|| and neumann's ||term|| with the problem's own
   * d_w Phi^T; the Krylov methods stop with a residual <= tol before n steps (1e-4; 1e-2 for
   * CG on the normal equations, whose squared condition number makes it reach 1e-4 only at
   * the last step here), and the v they return meets it. */
  {
    result rw;
    if (run_ok(&P, &hg_method_jfb, budget(300, 0, 0, 0, 0), theta_ref, NULL, &rw)) {
      double gw[N], v[N] = {0}, vn[N], d[N], term[N], tn[N];
      int k_fp = 0, k_nm = 0;
      tq_upper(s, rw.w, theta_ref, gw, NULL);
      for (int j = 0; j < 100000; j++) {
        tq_jvp_w(s, rw.w, theta_ref, v, vn);
        for (int i = 0; i < N; i++) {
          vn[i] += gw[i];
          d[i] = vn[i] - v[i];
        }
        memcpy(v, vn, sizeof v);
        k_fp = j + 1;
        if (norm(N, d) <= 1e-9)
          break;
      }
      memcpy(term, gw, sizeof term);
      for (int j = 1; j < 100000; j++) {
        tq_jvp_w(s, rw.w, theta_ref, term, tn);
        memcpy(term, tn, sizeof term);
        k_nm = j;
        if (norm(N, term) <= 1e-9)
          break;
      }
      if (run_ok(&P, &hg_method_aid_fp, budget(300, 100000, 0, 0, 1e-9), theta_ref, NULL, &r))
        check(r.k_used == k_fp && r.n_linear == k_fp && r.last_linear <= 1e-9,
              "aid-fp: tol_linear = 1e-9 stops the fixed-point iteration",
              "k_used %d (replayed: %d), traced %d, last residual %.3g", r.k_used, k_fp,
              r.n_linear, r.last_linear);
      if (run_ok(&P, &hg_method_neumann, budget(300, 100000, 0, 0, 1e-9), theta_ref, NULL, &r))
        check(r.k_used == k_nm && r.n_linear == k_nm && r.last_linear <= 1e-9,
              "neumann: tol_linear = 1e-9 stops the series",
              "k_used %d (replayed: %d), traced %d, last ||term|| %.3g", r.k_used, k_nm,
              r.n_linear, r.last_linear);
      const hg_method_ops *krylov[] = {&hg_method_aid_cg, &hg_method_aid_cg_normal,
                                       &hg_method_aid_gmres};
      for (size_t i = 0; i < sizeof krylov / sizeof *krylov; i++) {
        const double tol = krylov[i] == &hg_method_aid_cg_normal ? 1e-2 : 1e-4;
        if (!run_ok(&P, krylov[i], budget(300, 100, 0, 0, tol), theta_ref, NULL, &r))
          continue;
        double jv[N], res_v[N]; /* the adjoint residual (I - J^T) v - grad_w E at w_t */
        tq_upper(s, r.w, theta_ref, gw, NULL);
        tq_jvp_w(s, r.w, theta_ref, r.v, jv);
        for (int j = 0; j < N; j++)
          res_v[j] = r.v[j] - jv[j] - gw[j];
        char what[96];
        snprintf(what, sizeof what, "%s: tol_linear = %g stops before n steps", krylov[i]->name,
                 tol);
        check(r.v_set && r.k_used > 0 && r.k_used < N && r.n_linear == r.k_used &&
                  r.last_linear <= tol && norm(N, res_v) <= tol * (1 + 1e-9), what,
              "k_used %d, traced %d, last residual %.3g, adjoint residual of v %.3g", r.k_used,
              r.n_linear, r.last_linear, norm(N, res_v));
      }
    }
  }

  /* space() is exactly the peak of hg_alloc, and everything is given back */
  {
    const hg_method_ops *all[] = {&hg_method_exact,         &hg_method_itd,
                                  &hg_method_itd_forward,   &hg_method_tbptt,
                                  &hg_method_aid_fp,        &hg_method_aid_cg,
                                  &hg_method_aid_cg_normal, &hg_method_aid_gmres,
                                  &hg_method_aid_gmres,     &hg_method_neumann,
                                  &hg_method_jfb,           &hg_method_fd};
    const char *words[] = {NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, "restart=3", NULL,
                           NULL, NULL};
    const hg_budget budgets[] = {budget(0, 0, 0, 0, 0), budget(1, 1, 1, 0, 0),
                                 budget(7, 3, 2, 0, 0), budget(40, 20, 60, 0, 0)};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) {
      int ok = 1;
      char detail[256] = "";
      for (size_t j = 0; j < sizeof budgets / sizeof *budgets; j++) {
        r = run_with(&P, all[i], words[i], budgets[j], theta_ref, NULL, 0);
        int good = r.rc == HG_OK && r.peak == r.space && r.now == 0;
        if (!good && ok)
          snprintf(detail, sizeof detail, " first mismatch at t = %d: rc %d, space %zu, peak %zu,"
                   " left %zu", budgets[j].t, r.rc, r.space, r.peak, r.now);
        ok &= good;
      }
      char what[96];
      snprintf(what, sizeof what, "%s%s%s: space() == measured peak", all[i]->name,
               words[i] ? " " : "", words[i] ? words[i] : "");
      check(ok, what, "over t = 0, 1, 7, 40 (peak of the last: %zu bytes)%s", r.peak, detail);
    }
  }

  /* The implicit methods allocate all but the tail's m doubles before the first oracle call:
   * under a 1-byte cap they fail with no call made and t_used = k_used = 0; one byte short of
   * space() they fail at the tail, after the loop and the solve, reporting both. */
  {
    const hg_method_ops *aid[] = {&hg_method_aid_fp,        &hg_method_aid_cg,
                                  &hg_method_aid_cg_normal, &hg_method_aid_gmres,
                                  &hg_method_neumann,       &hg_method_jfb};
    const hg_budget b = budget(7, 3, 0, 0, 0);
    for (size_t i = 0; i < sizeof aid / sizeof *aid; i++) {
      size_t space = aid[i]->space(N, M, &b);
      result r1 = run_capped(&P, aid[i], b, theta_ref, NULL, 1);
      result rs = run_capped(&P, aid[i], b, theta_ref, NULL, space - 1);
      hg_counts c1 = r1.counts, cs = rs.counts;
      int k = aid[i] == &hg_method_jfb ? 0 : 3;
      char what[96];
      snprintf(what, sizeof what, "%s: memory cap fails before any call, or at the tail",
               aid[i]->name);
      check(r1.rc == HG_ERR_MEMCAP && strstr(r1.err.msg, aid[i]->name) && r1.t_used == 0 &&
                r1.k_used == 0 && c1.phi + c1.upper + c1.vjp_w + c1.vjp_theta == 0 &&
                r1.now == 0 && rs.rc == HG_ERR_MEMCAP && rs.t_used == 7 && rs.k_used == k &&
                cs.phi == 7 && cs.upper == 1 && cs.vjp_w == k && cs.vjp_theta == 0 &&
                rs.peak == space - (size_t)M * sizeof(double) && rs.now == 0,
            what, "cap 1: rc %d, t_used %d, k_used %d, calls %ld; cap %zu: rc %d, t_used %d, "
            "k_used %d, vjp_w %ld, vjp_theta %ld, peak %zu (\"%s\")", r1.rc, r1.t_used, r1.k_used,
            c1.phi + c1.upper + c1.vjp_w + c1.vjp_theta, space - 1, rs.rc, rs.t_used, rs.k_used,
            cs.vjp_w, cs.vjp_theta, rs.peak, rs.err.msg);
    }
  }

  /* Failures are reported, not hidden: a non-contractive step diverges, a NaN theta gives a
   * non-finite iterate, a non-symmetric problem is refused by aid-cg. */
  {
    double eta = s->eta;
    s->eta = 0.5; /* |1 - 0.5 L| > 1: Phi expands */
    r = run(&P, &hg_method_itd, budget(1000, 0, 0, 0, 0), theta_ref, NULL);
    check(r.rc == HG_ERR_DIVERGED && r.t_used < 1000 && strstr(r.err.msg, "diverged"),
          "itd: divergence detected", "rc %s after %d steps: \"%s\"", hg_status_word(r.rc),
          r.t_used, r.err.msg);
    s->eta = eta;

    double theta_nan[M] = {0.3, NAN, 1.1};
    r = run(&P, &hg_method_aid_fp, budget(10, 10, 0, 0, 0), theta_nan, NULL);
    check(r.rc == HG_ERR_NAN && r.t_used == 1 && strstr(r.err.msg, "w_1"),
          "aid-fp: non-finite iterate named", "rc %s after %d steps: \"%s\"",
          hg_status_word(r.rc), r.t_used, r.err.msg);

    /* the harness refuses the pair before any call (hg_method_applies, from the needs in
     * the ops tables): aid-cg on a non-symmetric problem, before any workspace is taken */
    hg_problem_ops nonsym = tq_ops;
    nonsym.symmetric = 0;
    hg_error e;
    int rc = hg_method_applies(&nonsym, &hg_method_aid_cg, &e);
    check(rc == HG_ERR_UNSUPPORTED && strstr(e.msg, "symmetric") &&
              hg_method_applies(&tq_ops, &hg_method_aid_cg, &e) == HG_OK,
          "aid-cg refuses a non-symmetric problem", "rc %s: \"%s\"", hg_status_word(rc),
          e.msg);
  }

  tq_ops.destroy(self);
  printf("%s: %d check(s) failed\n", failures ? "FAIL" : "PASS", failures);
  return failures ? 1 : 0;
}

/*
 * test_status.c -- every failure status a run can record is reachable, each on a purpose-built
 * case, and a sweep goes on past each (issue 17 items 2 and 7).  The problem "faulty" defined
 * here (registered in this program only) has a diagonal map
 *
 *     Phi(w, theta) = J w + theta_0 1,   E(w, theta) = 1/2 ||w||^2,
 *
 * J = j I with j = 1/2 (mode=ok) or 1e7 (mode=diverge), J = diag(2, 1/2, ..) (mode=indefinite:
 * I - J is indefinite, CG breaks down), a NaN map (mode=nan), a NaN upper value with finite
 * gradients (mode=nanvalue), and constants with q = 3/2 (mode=noncontract; the other modes
 * give q = NaN, unknown, so that the iteration itself meets its fate).
 *
 * Checks, for a single run through hg_hypergrad: diverged, nan (the iterate, and the value),
 * not-contractive, breakdown, budget (tol_lower not reached within t: HG_OK with status budget
 * and the numbers kept), memory (itd's tape over mem_cap, refused before allocating, in well
 * under a millisecond).  Then tests/lua/status_sweep.lua (argv[1]) runs through hg_lua_run:
 * one sweep with a run of each kind, every row present with its status.
 */
#include "testing.h"

#include "hglua.h"

#include <string.h>

typedef struct faulty {
  int mode, n;
} faulty;

enum { F_OK, F_DIVERGE, F_NAN, F_NANVALUE, F_INDEFINITE, F_NONCONTRACT };

static const hg_param_spec faulty_params[] = {
  {"mode", HG_PARAM_CHOICE, "ok", 0, 0, "ok|diverge|nan|nanvalue|indefinite|noncontract",
   "how the run fails"},
  {"n", HG_PARAM_INT, "2", 2, 1e8, NULL, "n_w"},
  {NULL, 0, NULL, 0, 0, NULL, NULL},
};

static int faulty_create(const hg_params *p, void **self, int *n_w, int *n_theta, hg_error *err)
{
  static const char *const modes[] = {"ok", "diverge", "nan", "nanvalue", "indefinite",
                                      "noncontract", NULL};
  faulty *s = malloc(sizeof *s);
  if (!s)
    return hg_fail(err, HG_ERR_NOMEM, "problem 'faulty': out of memory");
  s->mode = 0;
  for (int i = 0; modes[i]; i++)
    if (!strcmp(modes[i], hg_params_str(p, "mode")))
      s->mode = i;
  s->n = (int)hg_params_int(p, "n");
  *self = s;
  *n_w = s->n;
  *n_theta = 1;
  return HG_OK;
}

static void faulty_destroy(void *self)
{
  free(self);
}

static void faulty_theta0(const void *self, double *theta)
{
  theta[0] = 1;
}

/* the diagonal entry i of J */
static double jii(const faulty *s, int i)
{
  return s->mode == F_DIVERGE ? 1e7 : s->mode == F_INDEFINITE && i == 0 ? 2 : 0.5;
}

static void faulty_jvp_w(void *self, const double *w, const double *theta, const double *v,
                         double *out)
{
  faulty *s = self;
  for (int i = 0; i < s->n; i++)
    out[i] = s->mode == F_NAN ? NAN : jii(s, i) * v[i];
}

static void faulty_phi(void *self, const double *w, const double *theta, double *out)
{
  faulty *s = self;
  faulty_jvp_w(self, NULL, theta, w, out);
  for (int i = 0; i < s->n; i++)
    out[i] += theta[0];
}

static void faulty_vjp_theta(void *self, const double *w, const double *theta, const double *v,
                             double *out)
{
  faulty *s = self;
  out[0] = 0;
  for (int i = 0; i < s->n; i++)
    out[0] += v[i];
}

static double faulty_upper(void *self, const double *w, const double *theta, double *gw,
                           double *gtheta)
{
  faulty *s = self;
  double E = 0;
  for (int i = 0; i < s->n; i++) {
    E += 0.5 * w[i] * w[i];
    if (gw)
      gw[i] = w[i];
  }
  if (gtheta)
    gtheta[0] = 0;
  return s->mode == F_NANVALUE ? NAN : E;
}

static int faulty_constants(void *self, const double *theta, hg_constants *c, hg_error *err)
{
  const faulty *s = self;
  hg_constants_unknown(c);
  if (s->mode == F_NONCONTRACT)
    c->q = 1.5;
  return HG_OK;
}

static const hg_problem_ops faulty_ops = {
  .version = HG_OPS_VERSION,
  .name = "faulty",
  .summary = "a diagonal map that fails on purpose (test_status.c)",
  .params = faulty_params,
  .create = faulty_create,
  .destroy = faulty_destroy,
  .theta0 = faulty_theta0,
  .phi = faulty_phi,
  .jvp_w = faulty_jvp_w,
  .vjp_w = faulty_jvp_w, /* J is symmetric */
  .vjp_theta = faulty_vjp_theta,
  .upper = faulty_upper,
  .constants = faulty_constants,
  .symmetric = 1,
};

/* One run of method on faulty with `mode`; checks its status word, returns the run's status. */
static int expect_status(const char *mode, const char *method, hg_budget b, size_t cap,
                         const char *word, const char *pattern)
{
  char word_mode[32], word_n[32];
  const char *words[2] = {word_mode, word_n};
  hg_problem *P = NULL;
  hg_run r;
  hg_run_opts o = {0};
  hg_error err;
  double theta = 1;

  snprintf(word_mode, sizeof word_mode, "mode=%s", mode);
  snprintf(word_n, sizeof word_n, "n=%d", cap ? 1000 : 2);
  hg_error_clear(&err);
  if (hg_problem_create("faulty", 2, words, &P, &err)) {
    check(0, "faulty %s: %s", mode, err.msg);
    return -1;
  }
  o.mem_cap = cap;
  double t0 = hg_now();
  int rc = hg_hypergrad(P, method, 0, NULL, &theta, &b, &o, &r, &err);
  double dt = hg_now() - t0;
  const char *msg = rc ? err.msg : r.note;
  check(!strcmp(hg_status_word(r.status), word) && strstr(msg, pattern) != NULL,
        "%s on faulty mode=%s: status %s (want %s) in %.1e s: %s", method, mode,
        hg_status_word(r.status), word, dt, msg);
  if (cap)
    check(dt < 1e-3, "the refusal over the cap took %.1e s (< 1 ms: nothing allocated)", dt);
  int status = r.status;
  hg_run_release(&r);
  hg_problem_destroy(&P);
  return status;
}

int main(int argc, char **argv)
{
  hg_error err;
  hg_budget b;

  if (hg_register_builtin(&err) || hg_register_problem("faulty", &faulty_ops, &err)) {
    fprintf(stderr, "FAIL registering: %s\n", err.msg);
    return 1;
  }
  hg_registry_freeze();

  hg_budget_default(&b);
  b.t = b.k = 5;
  expect_status("ok", "aid-cg", b, 0, "ok", "");
  expect_status("diverge", "itd", b, 0, "diverged", "diverged");
  expect_status("nan", "itd", b, 0, "nan", "not finite");
  expect_status("nanvalue", "itd", b, 0, "nan", "upper value E");
  expect_status("indefinite", "aid-cg", b, 0, "breakdown", "p^T S p");
  expect_status("noncontract", "aid-fp", b, 0, "not-contractive", "q = 1.5");
  /* itd's tape: (t + 1) n doubles = 8 GB for t = 1e6, n = 1000, over a 64 MB cap */
  hg_budget big = b;
  big.t = 1000000;
  expect_status("ok", "itd", big, (size_t)64 << 20, "memory", "needs 7.5 GB of workspace");
  hg_budget tol = b;
  tol.tol_lower = 1e-14; /* 1/2^5 of the first residual after t = 5: far from 1e-14 */
  int st = expect_status("ok", "itd", tol, 0, "budget", "tol_lower = 1e-14 not reached");
  check(st == HG_ERR_BUDGET, "a budget run returns HG_OK with its numbers and status budget");
  tol.t = 100; /* 2^-100: reached */
  expect_status("ok", "itd", tol, 0, "ok", "");
  hg_budget lin = b;
  lin.t = 60;
  lin.tol_linear = 1e-300; /* one fixed-point step of the adjoint leaves a residual */
  lin.k = 1;
  expect_status("ok", "aid-fp", lin, 0, "budget", "tol_linear = 1e-300 not reached");

  if (argc > 2) { /* the sweep: every kind in one scenario, rows all present */
    int failed = 0;
    char trace[2048];
    int rc = hg_lua_run(argv[1], argv[2], NULL, &failed, trace, sizeof trace, &err);
    check(rc == HG_OK && failed == 0, "scenario %s: rc %d, %d failed expectation(s)%s%s",
          argv[1], rc, failed, rc ? ": " : "", rc ? err.msg : "");
  }
  printf("%d checks, %d failed\n", checks, failures);
  return failures ? 1 : 0;
}

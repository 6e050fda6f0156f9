/*
 * test_outer.c -- the outer loops (DESIGN §2.3) against exact references:
 *   - the driver's bookkeeping: the first hgd step equals theta0 - alpha ghat of a separate
 *     hg_hypergrad run, the costs add up the runs' iterations, the row's exact f is
 *     E(w*(theta), theta) by the problem's exact op;
 *   - every loop decreases the exact f on ridge and on a small denoise-tv from the same start
 *     (projected with their default, unbounded box);
 *   - every step maid accepts is a true decrease of the exact f;
 *   - maid's steps do not collapse on ridge (its line search's value errors at the loop's eps);
 *   - every registered loop, with its defaults, runs on poison, decreases f, stays feasible
 *     (isgd, which needs mini-batches poison does not have, refuses it naming it);
 *   - isgd: with the whole upper mean as its batch, no decay and a fixed accuracy it takes
 *     hgd's steps exactly; Adam's first step is alpha sign(ghat); seeded runs repeat; it
 *     decreases the exact f on ridge and denoise-tv from mini-batches;
 *   - an unregistered loop (hg_optimize_ops) warm-started at w* by hg_outer_set_w gets f;
 *   - projected keeps theta feasible (project(theta) = theta) on poison, equilibrium and on
 *     ridge and denoise-tv in a box (box_lo=, box_hi=) that is active, with
 *     and without warm start, and decreases f;
 *   - bad input: unknown loop or method, bad parameters, projected without a feasible set,
 *     maid with an explicit method;
 * and the options of issue 20 (the MAID authors' choices), each as documented:
 *   - hoag init=pedregosa|norm-sqrt-m|fixed:VALUE: the first step is 1/(m ||ghat_0||),
 *     sqrt(m)/||ghat_0|| or VALUE exactly (||ghat_0|| from row 0); a bad VALUE is refused;
 *   - hoag rule=authors: after a step that raises E by 1.2x (a huge fixed first step), the
 *     on the quadratic, the next row is a re-evaluation at the same theta (accepted = 0),
 *     where rule=pedregosa keeps stepping (every row accepted);
 *   - maid omega=estimated: every row carries uncertified = 1 with a finite omega (certified,
 *     the default: 0), and the estimate at theta0 is not the certified bound;
 *   - --work: the rows' work is lower + linear (exit-index), the oracle calls, or 1000 wall_s,
 *     and max_work counts that unit;
 *   - heldout=: the row's heldout is the exact f of the held-out problem at the row's theta,
 *     on every heldout_every-th row and the last, NAN elsewhere.
 */
#include "testing.h"

#include <string.h>

/* Create problem name with words (NULL-terminated list). */
static hg_problem *make(const char *name, const char *const *words)
{
  int n = 0;
  hg_error err;
  hg_problem *P = NULL;
  while (words && words[n])
    n++;
  if (hg_problem_create(name, n, words, &P, &err)) {
    printf("FAIL create %s: %s\n", name, err.msg);
    exit(1);
  }
  return P;
}

/* Run outer loop spec ("name" and words) on P with method (aid-cg unless given). */
static int optimize(hg_problem *P, const char *outer, const char *const *ow, const char *method,
                    int steps, int warm, hg_budget *b, hg_outer_result *R, hg_error *err)
{
  int no = 0;
  while (ow && ow[no])
    no++;
  hg_optimize_opts o = {.method = method, .budget = *b, .steps = steps, .warm = warm,
                        .exact = 1};
  return hg_optimize(P, outer, no, ow, &o, R, err);
}

/* The exact f at theta: E(w*(theta), theta). */
static double exact_f(hg_problem *P, const double *theta)
{
  hg_error err;
  double *w = malloc((size_t)P->n_w * sizeof *w), *g = malloc((size_t)P->n_theta * sizeof *g);
  double f = NAN;
  if (w && g && !hg_exact(P, theta, w, g, &err))
    f = P->ops->upper(P->self, w, theta, NULL, NULL);
  free(w);
  free(g);
  return f;
}

static void test_bookkeeping(void)
{
  hg_problem *P = make("ridge", NULL);
  hg_budget b;
  hg_error err;
  hg_outer_result R;
  hg_run run;
  hg_run_opts ro = {0};
  static const char *const ow[] = {"step=0.7", NULL};
  int m = P->n_theta;

  hg_budget_default(&b);
  b.t = 30;
  b.k = 5; /* ridge's d = 10: CG does not finish in 5 steps, so every run uses k = 5 */
  int rc = optimize(P, "hgd", ow, "aid-cg", 3, 0, &b, &R, &err);
  check(rc == HG_OK && R.n == 4, "hgd on ridge: 4 rows (rc %d: %s)", rc, rc ? err.msg : "");
  if (rc || R.n != 4)
    goto done;
  double *theta0 = R.theta, *theta1 = R.theta + m;
  rc = hg_hypergrad(P, "aid-cg", 0, NULL, theta0, &b, &ro, &run, &err);
  double d = 0;
  for (int j = 0; j < m; j++) {
    double want = theta0[j] - 0.7 * run.grad[j];
    d = fmax(d, fabs(theta1[j] - want));
  }
  /* the same arithmetic on the same numbers: equal to the last bit */
  check(rc == HG_OK && d == 0, "hgd step 1 = theta0 - alpha ghat (max diff %.3g)", d);
  check(R.steps[3].lower == 4L * run.t && R.steps[3].linear == 4L * run.k,
        "cumulative iterations: %ld lower, %ld linear after 4 runs of t = %d, k = %d",
        R.steps[3].lower, R.steps[3].linear, run.t, run.k);
  check(R.steps[3].counts.phi == 4 * run.counts.phi && R.steps[3].counts.vjp_w ==
        4 * run.counts.vjp_w, "cumulative calls are 4 runs' calls (%ld Phi)",
        R.steps[3].counts.phi);
  check(hg_counts_jacobian(&R.steps[3].counts) == 4 * hg_counts_jacobian(&run.counts) &&
        hg_counts_jacobian(&run.counts) == run.counts.vjp_w + run.counts.vjp_theta &&
        hg_counts_jacobian(&run.counts) > 0,
        "Jacobian products: 4 runs' vjp_w + vjp_theta (%ld)",
        hg_counts_jacobian(&R.steps[3].counts));
  double f1 = exact_f(P, theta1);
  /* the same direct solve, so the same number */
  check(R.steps[1].f == f1, "row 1's f = E(w*(theta1)) by exact (%.12g vs %.12g)",
        R.steps[1].f, f1);
  check(fabs(R.steps[0].value - R.steps[0].f) < 1e-8 * fabs(R.steps[0].f),
        "with t = 30 (q^30 small on ridge) the value at w_t is f to 1e-8 (%.3g)",
        fabs(R.steps[0].value - R.steps[0].f));
  hg_run_release(&run);
done:
  hg_outer_result_release(&R);
  hg_problem_destroy(&P);
}

/* Every loop decreases f on P from the same start; maid's accepted steps decrease f. */
static void test_decrease(const char *name, const char *const *words, const char *hgd_step,
                          int steps)
{
  static const char *const none[] = {NULL};
  const char *hgd_w[] = {hgd_step, NULL};
  static const char *const quad[] = {"schedule=quadratic", NULL};
  static const char *const cubic[] = {"schedule=cubic", NULL};
  const struct {
    const char *outer;
    const char *const *w;
  } loops[] = {{"hgd", hgd_w},      {"projected", hgd_w}, {"hoag", none},
               {"hoag", quad},     {"hoag", cubic},      {"maid", none}};
  hg_problem *P = make(name, words);
  double f0 = NAN;

  for (size_t i = 0; i < sizeof loops / sizeof loops[0]; i++) {
    hg_budget b;
    hg_error err;
    hg_outer_result R;
    hg_budget_default(&b);
    int rc = optimize(P, loops[i].outer, loops[i].w, "aid-cg", steps, 1, &b, &R, &err);
    const char *what = loops[i].w[0] ? loops[i].w[0] : "";
    check(rc == HG_OK && R.n > 1, "%s %s on %s: ran %d rows (%s)", loops[i].outer, what, name,
          R.n, rc ? err.msg : "ok");
    if (R.n < 2) {
      hg_outer_result_release(&R);
      continue;
    }
    if (isnan(f0))
      f0 = R.steps[0].f;
    double fl = R.steps[R.n - 1].f;
    /* from the same theta0 the first row's exact f is the same direct solve */
    check(R.steps[0].f == f0, "%s %s on %s: same start f0 = %.10g", loops[i].outer, what,
          name, R.steps[0].f);
    /* a decrease well beyond the round-off of the direct solves (1e-12 relative) */
    check(fl < f0 * (1 - 1e-3), "%s %s on %s decreases the exact f: %.8g -> %.8g",
          loops[i].outer, what, name, f0, fl);
    if (!strcmp(loops[i].outer, "hoag")) {
      /* the driver asks tol_lower = eps_s (1 - q), so the measured ||w - w*|| bound is at most
       * q eps_s <= eps_s: exact inequalities, checked without slack beyond 1e-12 */
      int over = 0;
      for (int s = 0; s < R.n; s++) {
        double e = !strcmp(what, "schedule=quadratic") ? 0.1 / ((s + 1.0) * (s + 1.0))
                   : !strcmp(what, "schedule=cubic") ? 0.1 / ((s + 1.0) * (s + 1.0) * (s + 1.0))
                                                     : 0.1 * pow(0.9, s);
        over += !(R.steps[s].eps <= e * (1 + 1e-12));
      }
      check(over == 0, "hoag %s on %s: eps_s measured within the schedule at every step "
            "(%d over)", what, name, over);
    }
    if (!strcmp(loops[i].outer, "maid")) {
      int loose = 0;
      for (int s = 0; s < R.n; s++) /* the hypergradient each step used was accepted */
        loose += !(R.steps[s].omega <= (1 - 1e-4) * R.steps[s].hg_norm);
      check(loose == 0, "maid on %s: omega <= (1 - eta) ||ghat|| for every direction used "
            "(%d not)", name, loose);
      int accepted = 0, bad = 0, rejected = 0;
      for (int s = 1; s < R.n; s++) {
        if (!R.steps[s].accepted) {
          rejected++;
          continue;
        }
        accepted++;
        bad += !(R.steps[s].f < R.steps[s - 1].f);
      }
      check(accepted > 0 && bad == 0, "maid on %s: all %d accepted steps decrease the exact f "
            "(%d rejected line searches)", name, accepted, rejected);
    }
    hg_outer_result_release(&R);
  }
  hg_problem_destroy(&P);
}

/* projected stays feasible and decreases f, warm or cold; with block > 0 (poison: theta is
 * rows of `block` entries in balls of radius r) or block = -1 (a box_lo=, box_hi= box) the
 * constraint must be active at some row. */
static void test_projected(const char *name, const char *const *words, const char *method,
                           const char *step, const char *eps, int block, double r)
{
  hg_problem *P = make(name, words);
  const char *ow[] = {step, eps, NULL};
  int m = P->n_theta;
  double *p = malloc((size_t)m * sizeof *p);

  for (int warm = 0; warm <= 1; warm++) {
    hg_budget b;
    hg_error err;
    hg_outer_result R;
    hg_budget_default(&b);
    b.t = 50;
    b.k = 50;
    int rc = optimize(P, "projected", ow, method, 15, warm, &b, &R, &err);
    check(rc == HG_OK && R.n == 16, "projected on %s (warm=%d): 16 rows (%s)", name, warm,
          rc ? err.msg : "ok");
    double moved = 0, dmax = 0, on_boundary = INFINITY;
    for (int s = 0; s < R.n; s++) {
      const double *th = R.theta + (size_t)s * (size_t)m;
      for (int i = 0; block > 0 && i + block <= m; i += block)
        on_boundary = fmin(on_boundary, fabs(hg_nrm2(block, th + i) - r));
      for (int j = 0; block < 0 && j < m; j++) /* clamping: exactly on a face */
        if (th[j] == hg_params_real(P->params, "box_lo") ||
            th[j] == hg_params_real(P->params, "box_hi"))
          on_boundary = 0;
      memcpy(p, th, (size_t)m * sizeof *p);
      P->ops->project(P->self, p);
      dmax = fmax(dmax, dist(m, p, th));
      if (s)
        moved = fmax(moved, dist(m, th, th - m));
    }
    /* a feasible point is its own projection (to the round-off of one SVD or scaling) */
    check(moved > 0 && dmax <= 1e-12, "projected on %s (warm=%d): theta moves (%.3g) and "
          "stays feasible (||P(theta) - theta|| <= %.3g)", name, warm, moved, dmax);
    if (block != 0) /* onto the sphere by a scaling: to round-off; onto a box: exactly */
      check(on_boundary < 1e-12, "projected on %s (warm=%d): the constraint is active "
            "(distance of the nearest row to the boundary %.3g)", name, warm, on_boundary);
    if (R.n > 1)
      check(R.steps[R.n - 1].f < R.steps[0].f, "projected on %s (warm=%d): f %.8g -> %.8g",
            name, warm, R.steps[0].f, R.steps[R.n - 1].f);
    hg_outer_result_release(&R);
  }
  free(p);
  hg_problem_destroy(&P);
}

/* Every registered loop, with its defaults, on poison (which has a feasible set, so every
 * loop applies): it runs, decreases the exact f and keeps every row feasible. */
static void test_registry(void)
{
  static const char *const words[] = {"radius=0.05", NULL};
  hg_problem *P = make("poison", words);
  int m = P->n_theta;
  double *p = malloc((size_t)m * sizeof *p);

  for (const hg_entry *e = hg_outer_list(); e->name; e++) {
    hg_budget b;
    hg_error err;
    hg_outer_result R;
    hg_budget_default(&b);
    int rc = optimize(P, e->name, NULL, "aid-cg", 10, 1, &b, &R, &err);
    if (!strcmp(e->name, "isgd")) {
      check(rc == HG_ERR_UNSUPPORTED && strstr(err.msg, "'poison' has none"),
            "isgd refuses poison (no mini-batches): %s", rc ? err.msg : "ran");
      hg_outer_result_release(&R);
      continue;
    }
    check(rc == HG_OK && R.n > 1, "registered loop %s on poison ran %d rows (%s)", e->name, R.n,
          rc ? err.msg : "ok");
    double dmax = 0;
    for (int s = 0; s < R.n; s++) {
      memcpy(p, R.theta + (size_t)s * (size_t)m, (size_t)m * sizeof *p);
      P->ops->project(P->self, p);
      dmax = fmax(dmax, dist(m, p, R.theta + (size_t)s * (size_t)m));
    }
    /* poison's exact f is a Newton solve to round-off: 1e-4 relative is a real decrease */
    if (R.n > 1)
      check(R.steps[R.n - 1].f < R.steps[0].f - 1e-4 * fabs(R.steps[0].f) && dmax <= 1e-12,
            "%s on poison: f %.8g -> %.8g, every theta feasible (%.3g)", e->name,
            R.steps[0].f, R.steps[R.n - 1].f, dmax);
    hg_outer_result_release(&R);
  }
  free(p);
  hg_problem_destroy(&P);
}

/* An unregistered loop through hg_optimize_ops: start the lower level at w* (hg_outer_set_w)
 * and evaluate with t = 0, so the returned w is w* and the value is f itself. */
static int warm_probe_run(hg_outer *O, const hg_params *op, hg_error *err)
{
  hg_problem *P = hg_outer_problem(O);
  double *w = malloc((size_t)P->n_w * sizeof *w), *g = malloc((size_t)P->n_theta * sizeof *g);
  hg_outer_eval ev;
  int rc = !w || !g ? hg_fail(err, HG_ERR_NOMEM, "out of memory")
                    : hg_exact(P, hg_outer_theta0(O), w, g, err);
  if (!rc) {
    check(hg_outer_w(O) == NULL, "no w before the first evaluation");
    hg_outer_set_w(O, w);
    rc = hg_outer_hypergrad(O, hg_outer_theta0(O), NAN, NAN, &ev, err);
  }
  if (!rc) {
    check(dist(P->n_w, hg_outer_w(O), w) == 0, "t = 0 from hg_outer_set_w(w*) returns w*");
    rc = hg_outer_record(O, hg_outer_theta0(O), &ev, NULL, 0, 1, err);
  }
  free(w);
  free(g);
  return rc;
}

static const hg_param_spec no_params[] = {{NULL, 0, NULL, 0, 0, NULL, NULL}};
static const hg_outer_ops warm_probe = {
  .version = HG_OPS_VERSION, .name = "warm-probe", .summary = "test",
  .params = no_params, .run = warm_probe_run,
};

static void test_set_w(void)
{
  hg_problem *P = make("ridge", NULL);
  hg_outer_result R;
  hg_error err;
  hg_optimize_opts o = {.method = "aid-cg", .steps = 0, .warm = 1, .exact = 1};
  hg_budget_default(&o.budget);
  o.budget.t = 0;
  int rc = hg_optimize_ops(P, &warm_probe, 0, NULL, &o, &R, &err);
  /* the same w*, the same E: bit-identical */
  check(rc == HG_OK && R.n == 1 && R.steps[0].value == R.steps[0].f && R.steps[0].lower == 0,
        "warm start at w*: value %.12g = f %.12g (rc %d)", R.n ? R.steps[0].value : NAN,
        R.n ? R.steps[0].f : NAN, rc);
  hg_outer_result_release(&R);
  hg_problem_destroy(&P);
}

static void test_bad(void)
{
  hg_problem *P = make("ridge", NULL);
  hg_budget b;
  hg_error err;
  hg_outer_result R;
  static const char *const neg[] = {"step=-1", NULL};
  static const char *const sched[] = {"schedule=linear", NULL};
  static const char *const key[] = {"foo=1", NULL};

  hg_budget_default(&b);
  int rc = optimize(P, "nosuch", NULL, "aid-cg", 3, 1, &b, &R, &err);
  check(rc == HG_ERR_UNKNOWN && strstr(err.msg, "unknown outer loop 'nosuch'"), "%s", err.msg);
  rc = optimize(P, "hgd", NULL, "nosuch", 3, 1, &b, &R, &err);
  check(rc == HG_ERR_UNKNOWN && strstr(err.msg, "unknown method 'nosuch'"), "%s", err.msg);
  rc = optimize(P, "hgd", neg, "aid-cg", 3, 1, &b, &R, &err);
  check(rc == HG_ERR_ARG && strstr(err.msg, "step"), "%s", err.msg);
  rc = optimize(P, "hoag", sched, "aid-cg", 3, 1, &b, &R, &err);
  check(rc == HG_ERR_ARG && strstr(err.msg, "schedule"), "%s", err.msg);
  rc = optimize(P, "maid", key, "aid-cg", 3, 1, &b, &R, &err);
  check(rc == HG_ERR_ARG && strstr(err.msg, "foo"), "%s", err.msg);
  hg_problem *Q = make("logreg", NULL);
  rc = optimize(Q, "projected", NULL, "aid-cg", 3, 1, &b, &R, &err);
  check(rc == HG_ERR_UNSUPPORTED && strstr(err.msg, "'logreg' has none"), "%s", err.msg);
  hg_problem_destroy(&Q);
  static const char *const bad_box[] = {"box_lo=1", "box_hi=0", NULL};
  hg_problem *B = NULL;
  rc = hg_problem_create("ridge", 2, bad_box, &B, &err);
  check(rc == HG_ERR_ARG && strstr(err.msg, "box_lo=1 is above box_hi=0"), "%s", err.msg);
  hg_problem_destroy(&B);
  rc = optimize(P, "maid", NULL, "itd", 3, 1, &b, &R, &err);
  check(rc == HG_ERR_UNSUPPORTED && strstr(err.msg, "implicit"), "%s", err.msg);
  hg_outer_result_release(&R);
  hg_problem_destroy(&P);
}

/* isgd against hgd and against its own definition on P (sample ops; n_theta = m). */
static void test_isgd(const char *name, const char *const *words, const char *alpha,
                      int steps, const char *batch)
{
  hg_problem *P = make(name, words);
  int m = P->n_theta, items = hg_problem_n_items(P, HG_SAMPLE_UPPER);
  char all[32];
  hg_budget b;
  hg_error err;
  hg_outer_result A, B, C;

  snprintf(all, sizeof all, "batch=%d", items);
  hg_budget_default(&b);
  /* full batch, decay 0, p 0: eps_s = eps0 for every s, the same evaluations as hgd's */
  const char *iw[] = {all, alpha, "decay=0", "p=0", "eps0=1e-4", NULL};
  const char *hw[] = {alpha, "eps=1e-4", NULL};
  int rc1 = optimize(P, "isgd", iw, "aid-cg", 3, 1, &b, &A, &err);
  int rc2 = optimize(P, "hgd", hw, "aid-cg", 3, 1, &b, &B, &err);
  double d = 0;
  if (!rc1 && !rc2 && A.n == B.n)
    d = dist((size_t)A.n * (size_t)m, A.theta, B.theta);
  /* the same arithmetic on the same numbers: equal to the last bit */
  check(!rc1 && !rc2 && A.n == 4 && B.n == 4 && d == 0,
        "isgd with the full batch, no decay, fixed eps = hgd on %s (max diff %.3g)", name, d);
  hg_outer_result_release(&A);
  hg_outer_result_release(&B);

  /* Adam's first step: m1/(1 - b1) = g, v1/(1 - b2) = g^2, so theta1 = theta0 - alpha
   * g/(|g| + 1e-8) = theta0 - alpha sign(g) up to 1e-8 relative */
  const char *aw[] = {all, alpha, "adam=1", NULL};
  rc1 = optimize(P, "isgd", aw, "aid-cg", 1, 1, &b, &A, &err);
  double g_rel = 0, a0 = strtod(alpha + 5, NULL);
  if (!rc1 && A.n == 2)
    for (int j = 0; j < m; j++) {
      double step = A.theta[j] - A.theta[m + j];
      g_rel = fmax(g_rel, fabs(fabs(step) - a0) / a0);
    }
  /* each coordinate moved by alpha |g_j|/(|g_j| + 1e-8): a deviation of 1e-2 would need a
   * hypergradient entry below 1e-6 */
  check(!rc1 && A.n == 2 && g_rel < 1e-2, "isgd adam=1 on %s: first step alpha sign(ghat) in "
        "every coordinate (largest relative deviation %.3g)", name, g_rel);
  hg_outer_result_release(&A);

  /* mini-batches: seeded, so a second run repeats; the exact f decreases */
  const char *sw[] = {batch, alpha, NULL};
  rc1 = optimize(P, "isgd", sw, "aid-cg", steps, 1, &b, &A, &err);
  rc2 = optimize(P, "isgd", sw, "aid-cg", steps, 1, &b, &C, &err);
  d = (!rc1 && !rc2 && A.n == C.n) ? dist((size_t)A.n * (size_t)m, A.theta, C.theta) : 1;
  check(!rc1 && !rc2 && d == 0, "isgd %s on %s: the same seed repeats the run (%.3g)", batch,
        name, d);
  int off = 0;
  for (int r = 1; r < A.n; r++) /* row r's theta came by step alpha0 r^-1/2 (default decay) */
    off += A.steps[r].step_size != a0 * pow(r, -0.5);
  for (int r = 0; r < A.n; r++) /* measured ||w - w*|| bound within eps_r = 0.1/(r+1) */
    off += !(A.steps[r].eps <= 0.1 / (r + 1.0) * (1 + 1e-12));
  check(!rc1 && off == 0, "isgd %s on %s: steps alpha0 (s+1)^-1/2 and eps within 0.1/(s+1) at "
        "every row (%d off)", batch, name, off);
  if (!rc1 && A.n == steps + 1)
    /* a decrease well beyond the round-off of the direct solves (1e-12 relative) */
    check(A.steps[A.n - 1].f < A.steps[0].f * (1 - 1e-3),
          "isgd %s on %s (%d items) decreases the exact f: %.8g -> %.8g", batch, name, items,
          A.steps[0].f, A.steps[A.n - 1].f);
  else
    check(0, "isgd %s on %s ran %d rows of %d (%s)", batch, name, A.n, steps + 1,
          rc1 ? err.msg : "ok");
  hg_outer_result_release(&A);
  hg_outer_result_release(&C);
  hg_problem_destroy(&P);
}

/* MAID's line search takes its value errors at the loop's eps (the paper's bounds), so a
 * failed search is cured by a smaller eps, not by ever shorter steps.  With the errors at the
 * eps measured at each trial (which depends on how close the warm start was) the step shrank
 * at every other step on ridge and f stalled at 0.63 f(theta0) after 40 steps (0.38 from
 * 0.60); with the loop's eps it reaches 0.07 f(theta0) with steps growing past 1.  The bars
 * sit between those two runs (seeded, deterministic): f40 <= 0.2 f0 and the last accepted
 * step >= beta0 = 0.1. */
static void test_maid_steps(void)
{
  hg_problem *P = make("ridge", NULL);
  hg_budget b;
  hg_error err;
  hg_outer_result R;

  hg_budget_default(&b);
  int rc = optimize(P, "maid", NULL, "aid-cg", 40, 1, &b, &R, &err);
  check(rc == HG_OK && R.n > 1, "maid on ridge, 40 steps (rc %d: %s)", rc, rc ? err.msg : "");
  if (rc == HG_OK && R.n > 1) {
    double f0 = R.steps[0].f, fl = R.steps[R.n - 1].f, last_step = 0;
    for (int i = 1; i < R.n; i++)
      if (R.steps[i].accepted)
        last_step = R.steps[i].step_size;
    check(fl <= 0.2 * f0 && last_step >= 0.1,
          "maid on ridge: f %.4g -> %.4g (<= 0.2 f0), last accepted step %.3g (>= 0.1)", f0, fl,
          last_step);
  }
  hg_outer_result_release(&R);
  hg_problem_destroy(&P);
}

/* --max-work: the run ends, successfully, at the first row whose cumulative lower + linear
 * iterations reach the budget (every earlier row below it); without it the same run goes on
 * with the same rows (deterministic).  A negative budget is refused. */
static void test_max_work(void)
{
  hg_problem *P = make("ridge", NULL);
  hg_budget b;
  hg_error err;
  hg_outer_result R, F;
  static const char *const ow[] = {"step=1", "eps=1e-6", NULL};

  hg_budget_default(&b);
  int rc = optimize(P, "hgd", ow, "aid-cg", 30, 1, &b, &F, &err);
  check(rc == HG_OK && F.n == 31, "hgd on ridge, 30 steps (rc %d)", rc);
  long W = F.n == 31 ? (F.steps[10].lower + F.steps[10].linear + F.steps[11].lower +
                        F.steps[11].linear) / 2 + 1 : 100;
  hg_optimize_opts o = {.method = "aid-cg", .budget = b, .steps = 30, .warm = 1, .exact = 1,
                        .max_work = W};
  rc = hg_optimize(P, "hgd", 2, ow, &o, &R, &err);
  int n = R.n;
  check(rc == HG_OK && R.status == HG_OK && n >= 2 && n < 31,
        "max_work = %ld: success before the 30 steps (rc %d, %d rows)", W, rc, n);
  if (rc == HG_OK && n >= 2 && n < 31) {
    long last = R.steps[n - 1].lower + R.steps[n - 1].linear;
    long before = R.steps[n - 2].lower + R.steps[n - 2].linear;
    check(last >= W && before < W, "the last row reaches the budget %ld (%ld), the one before "
          "does not (%ld)", W, last, before);
    check(R.steps[n - 1].f == F.steps[n - 1].f && last == F.steps[n - 1].lower +
          F.steps[n - 1].linear, "the rows are those of the run without a budget");
  }
  hg_outer_result_release(&R);
  /* a budget equal to a row's work ends the run at that row */
  long W11 = F.n == 31 ? F.steps[11].lower + F.steps[11].linear : 100;
  o.max_work = W11;
  rc = hg_optimize(P, "hgd", 2, ow, &o, &R, &err);
  check(rc == HG_OK && R.n == 12, "max_work = row 11's work %ld: 12 rows (%d)", W11, R.n);
  hg_outer_result_release(&R);
  o.max_work = -1;
  rc = hg_optimize(P, "hgd", 2, ow, &o, &R, &err);
  check(rc == HG_ERR_ARG && strstr(err.msg, "max_work"), "max_work = -1 refused: %s",
        err.msg);
  hg_outer_result_release(&R);
  hg_outer_result_release(&F);
  hg_problem_destroy(&P);
}

/* maid adaptive=0 (the paper's fixed-accuracy baseline): the accuracy is never tightened, so
 * every direction's measured eps stays at or below eps0 (and delta below delta0) and its
 * certified line search still accepts only true decreases of f; at a loose eps0 = 1e-2 the
 * certified test cannot be met on ridge (2 ||grad_w E|| eps exceeds any decrease) and the run
 * stalls at theta0, where adaptive MAID moves on. */
static void test_maid_fixed(void)
{
  hg_problem *P = make("ridge", NULL);
  hg_budget b;
  hg_error err;
  hg_outer_result R;
  static const char *const tight[] = {"adaptive=0", "eps0=1e-6", "delta0=1e-6", NULL};
  static const char *const loose[] = {"adaptive=0", "eps0=1e-2", "delta0=1e-2", NULL};

  hg_budget_default(&b);
  int rc = optimize(P, "maid", tight, "aid-cg", 20, 1, &b, &R, &err);
  check(rc == HG_OK && R.n == 21, "maid adaptive=0 eps0 = 1e-6 on ridge (rc %d: %s)", rc,
        rc ? err.msg : "");
  int above = 0, bad = 0, acc = 0;
  for (int i = 0; i < R.n; i++) {
    above += !(R.steps[i].eps <= 1e-6) || !(R.steps[i].delta <= 1e-6);
    if (i > 0 && R.steps[i].accepted) {
      acc++;
      bad += !(R.steps[i].f < R.steps[i - 1].f);
    }
  }
  check(above == 0, "maid adaptive=0: eps <= eps0, delta <= delta0 in every row (%d above)",
        above);
  check(acc >= 10 && bad == 0 && R.n > 1 && R.steps[R.n - 1].f < 0.5 * R.steps[0].f,
        "maid adaptive=0 eps0 = 1e-6: %d accepted steps, %d not a decrease, f %.4g -> %.4g",
        acc, bad, R.n ? R.steps[0].f : NAN, R.n ? R.steps[R.n - 1].f : NAN);
  hg_outer_result_release(&R);
  rc = optimize(P, "maid", loose, "aid-cg", 10, 1, &b, &R, &err);
  acc = 0;
  for (int i = 1; i < R.n; i++)
    acc += R.steps[i].accepted;
  check(rc == HG_OK && R.n > 1 && acc == 0 && R.steps[R.n - 1].f == R.steps[0].f,
        "maid adaptive=0 eps0 = 1e-2 on ridge stalls at theta0 (%d accepted)", acc);
  hg_outer_result_release(&R);
  rc = optimize(P, "maid", NULL, "aid-cg", 10, 1, &b, &R, &err);
  acc = 0;
  for (int i = 1; i < R.n; i++)
    acc += R.steps[i].accepted;
  check(rc == HG_OK && acc > 0, "adaptive maid from the same theta0 accepts %d steps", acc);
  hg_outer_result_release(&R);
  hg_problem_destroy(&P);

  /* omega_scale < 1: on denoise-tv the certified omega is ~1e3 eps, so eps0 = 0.1 is
   * tightened several times for the first direction, and not for 1e-6 omega; the line search
   * stays certified */
  static const char *const tv[] = {"images=synthetic", "n_images=2", "size=16", "step=0.02",
                                   NULL};
  static const char *const scaled[] = {"omega_scale=1e-6", NULL};
  P = make("denoise-tv", tv);
  rc = optimize(P, "maid", NULL, "aid-cg", 5, 1, &b, &R, &err);
  double eps_certified = rc == HG_OK && R.n ? R.steps[0].eps : NAN;
  hg_outer_result_release(&R);
  /* adaptive=0 does not tighten the first direction either: eps stays near eps0 = 0.1 where
   * the certified omega asks ~1e-3 */
  static const char *const fixed[] = {"adaptive=0", NULL};
  rc = optimize(P, "maid", fixed, "aid-cg", 5, 1, &b, &R, &err);
  check(rc == HG_OK && R.n > 1 && R.steps[0].eps > 10 * eps_certified,
        "maid adaptive=0 on denoise-tv: first eps %.3g > 10 x %.3g (certified omega)",
        R.n ? R.steps[0].eps : NAN, eps_certified);
  hg_outer_result_release(&R);
  rc = optimize(P, "maid", scaled, "aid-cg", 5, 1, &b, &R, &err);
  int bad_s = 0;
  for (int i = 1; i < R.n; i++)
    bad_s += R.steps[i].accepted && !(R.steps[i].f < R.steps[i - 1].f);
  check(rc == HG_OK && R.n > 1 && R.steps[0].eps > 10 * eps_certified && bad_s == 0,
        "maid omega_scale=1e-6 on denoise-tv: first eps %.3g > 10 x %.3g (certified omega), "
        "%d accepted steps not a decrease", R.n ? R.steps[0].eps : NAN, eps_certified, bad_s);
  hg_outer_result_release(&R);
  hg_problem_destroy(&P);
}

/* Run outer loop outer (words ow) for steps steps with the options o (aid-cg, warm, the
 * default budget unless set). */
static int run(hg_problem *P, const char *outer, const char *const *ow, int steps,
               hg_optimize_opts *o, hg_outer_result *R, hg_error *err)
{
  int no = 0;
  while (ow && ow[no])
    no++;
  o->method = o->method ? o->method : "aid-cg";
  o->steps = steps;
  o->warm = 1;
  if (!o->budget.t && !o->budget.k)
    hg_budget_default(&o->budget);
  return hg_optimize(P, outer, no, ow, o, R, err);
}

static void test_hoag_init(void)
{
  hg_problem *P = make("ridge", NULL);
  int m = P->n_theta;
  hg_error err;
  static const char *const ped[] = {"init=pedregosa", NULL};
  static const char *const nsm[] = {"init=norm-sqrt-m", NULL};
  static const char *const fix[] = {"init=fixed:0.25", NULL};
  static const char *const bad[] = {"init=fixed:-1", NULL};
  const char *const *inits[] = {ped, nsm, fix};
  for (int i = 0; i < 3; i++) {
    hg_outer_result R;
    hg_optimize_opts o = {0};
    int rc = run(P, "hoag", inits[i], 2, &o, &R, &err);
    double g0 = R.n > 0 ? R.steps[0].hg_norm : NAN;
    double want = i == 0 ? (g0 > 1e-3 ? 1 / (m * g0) : 1)
                  : i == 1 ? (g0 > 1e-3 ? sqrt(m) / g0 : 1)
                           : 0.25;
    check(rc == HG_OK && R.n == 3 && fabs(R.steps[1].step_size - want) <= 1e-14 * want,
          "hoag %s: first step %.15g, documented %.15g (||g0|| = %g, m = %d)", inits[i][0],
          R.n > 1 ? R.steps[1].step_size : NAN, want, g0, m);
    hg_outer_result_release(&R);
  }
  hg_outer_result R;
  hg_optimize_opts o = {0};
  int rc = run(P, "hoag", bad, 2, &o, &R, &err);
  check(rc == HG_ERR_ARG && strstr(err.msg, "init='fixed:-1'") && R.n == 0,
        "hoag init=fixed:-1 refused before any evaluation: %s", err.msg);
  hg_outer_result_release(&R);
  hg_problem_destroy(&P);
}

static void test_hoag_rule(void)
{
  hg_problem *P = make("quadratic", NULL);
  hg_error err;
  /* a first step of 1e3 overshoots the quadratic's optimum far: E rises by far more than 1.2x */
  static const char *const authors[] = {"init=fixed:1e3", "rule=authors", "schedule=geometric",
                                        NULL};
  static const char *const ped[] = {"init=fixed:1e3", "rule=pedregosa", NULL};
  hg_outer_result A, B;
  hg_optimize_opts o = {0}, q = {0};
  int rc = run(P, "hoag", authors, 3, &o, &A, &err);
  check(rc == HG_OK && A.n == 4, "hoag rule=authors: 4 rows (rc %d, %d)", rc, A.n);
  if (A.n == 4) {
    int m = A.n_theta;
    check(A.steps[1].value >= 1.2 * A.steps[0].value, "the step of 1e3 raises E 1.2x: %g -> %g",
          A.steps[0].value, A.steps[1].value);
    check(A.steps[1].accepted && !A.steps[2].accepted && A.steps[2].step_size == 0 &&
              !memcmp(A.theta + m, A.theta + 2 * (size_t)m, (size_t)m * sizeof *A.theta),
          "rule=authors: the row after the rise re-evaluates the same theta (accepted %d)",
          A.steps[2].accepted);
  }
  rc = run(P, "hoag", ped, 3, &q, &B, &err);
  int all = rc == HG_OK && B.n == 4;
  for (int i = 0; all && i < B.n; i++)
    all = B.steps[i].accepted && (i == 0 || B.steps[i].step_size > 0);
  check(all, "hoag rule=pedregosa: every row a step (rc %d, %d rows)", rc, B.n);
  hg_outer_result_release(&A);
  hg_outer_result_release(&B);
  hg_problem_destroy(&P);
}

static void test_maid_estimated(void)
{
  hg_problem *P = make("ridge", NULL);
  hg_error err;
  static const char *const est[] = {"omega=estimated", NULL};
  hg_outer_result E, C;
  hg_optimize_opts o = {0}, q = {0};
  int rc = run(P, "maid", est, 3, &o, &E, &err);
  check(rc == HG_OK && E.n >= 2, "maid omega=estimated on ridge (rc %d: %s)", rc,
        rc ? err.msg : "");
  int unc = E.n > 0;
  for (int i = 0; i < E.n; i++)
    unc = unc && E.steps[i].uncertified && isfinite(E.steps[i].omega);
  check(unc, "omega=estimated: every row uncertified with a finite omega");
  rc = run(P, "maid", NULL, 3, &q, &C, &err);
  int cert = rc == HG_OK && C.n > 0;
  for (int i = 0; cert && i < C.n; i++)
    cert = !C.steps[i].uncertified;
  check(cert, "omega=certified (default): no row uncertified");
  check(E.n > 0 && C.n > 0 && E.steps[0].omega != C.steps[0].omega,
        "the estimate differs from the certified bound at theta0: %g against %g",
        E.n ? E.steps[0].omega : NAN, C.n ? C.steps[0].omega : NAN);
  hg_outer_result_release(&E);
  hg_outer_result_release(&C);
  hg_problem_destroy(&P);
}

static void test_work_kinds(void)
{
  hg_problem *P = make("ridge", NULL);
  hg_error err;
  static const char *const ow[] = {"step=1", "eps=1e-6", NULL};
  for (int kind = HG_WORK_EXIT_INDEX; kind <= HG_WORK_TIME; kind++) {
    hg_outer_result R;
    hg_optimize_opts o = {.work = kind};
    int rc = run(P, "hgd", ow, 5, &o, &R, &err);
    int ok = rc == HG_OK && R.n == 6;
    for (int i = 0; ok && i < R.n; i++) {
      const hg_outer_step *s = &R.steps[i];
      double want = kind == HG_WORK_EXIT_INDEX      ? (double)(s->lower + s->linear)
                    : kind == HG_WORK_ORACLE_CALLS ? (double)hg_counts_oracle(&s->counts)
                                                   : 1e3 * s->wall_s;
      ok = s->work == want;
    }
    check(ok, "--work %s: each row's work is its documented count", hg_work_word(kind));
    /* max_work counts the same unit: a budget of row 3's work ends the run at row 3 */
    if (ok && kind != HG_WORK_TIME) {
      hg_outer_result S;
      hg_optimize_opts b = {.work = kind, .max_work = (long)R.steps[3].work};
      rc = run(P, "hgd", ow, 5, &b, &S, &err);
      check(rc == HG_OK && S.n == 4, "--work %s --max-work %ld: 4 rows (%d)", hg_work_word(kind),
            (long)R.steps[3].work, S.n);
      hg_outer_result_release(&S);
    }
    hg_outer_result_release(&R);
  }
  int k;
  check(hg_work_kind("seconds", "--work", &k, &err) == HG_ERR_ARG && strstr(err.msg, "'seconds'"),
        "--work seconds refused: %s", err.msg);
  hg_problem_destroy(&P);
}

static void test_heldout(void)
{
  static const char *const train[] = {"images=synthetic", "n_images=1", "size=8", "seed=1",
                                      NULL};
  static const char *const test[] = {"images=synthetic", "n_images=2", "size=8", "seed=7",
                                     NULL};
  hg_problem *P = make("denoise-foe", train), *Q = make("denoise-foe", test);
  hg_error err;
  static const char *const ow[] = {"step=0.5", "eps=1e-6", NULL};
  hg_outer_result R;
  hg_optimize_opts o = {.heldout = Q, .heldout_every = 2, .exact = 1};
  int rc = run(P, "hgd", ow, 3, &o, &R, &err);
  check(rc == HG_OK && R.n == 4, "hgd with heldout= (rc %d: %s)", rc, rc ? err.msg : "");
  for (int i = 0; i < R.n; i++) {
    const double *th = R.theta + (size_t)i * (size_t)R.n_theta;
    if (i % 2 == 0) {
      double f = exact_f(Q, th);
      check(R.steps[i].heldout == f && R.steps[i].heldout != R.steps[i].f,
            "row %d: heldout %.12g is the held-out problem's exact f %.12g", i,
            R.steps[i].heldout, f);
    } else {
      check(isnan(R.steps[i].heldout), "row %d (not a multiple of 2): heldout nan", i);
    }
  }
  hg_outer_result_release(&R);
  hg_problem_destroy(&Q);
  hg_problem_destroy(&P);
}

int main(void)
{
  testing_register_builtin();
  static const char *const tv[] = {"images=synthetic", "n_images=2", "size=16", "step=0.02",
                                   NULL};
  test_bookkeeping();
  test_set_w();
  test_registry();
  test_decrease("ridge", NULL, "step=1", 10);
  test_decrease("denoise-tv", tv, "step=2", 10);
  /* boxes the runs above leave (ridge's theta grows from -1, denoise-tv's weight from
   * log 0.2): projected holds them on a face */
  static const char *const ridge_box[] = {"box_lo=-1.5", "box_hi=-0.8", NULL};
  static const char *const tv_box[] = {"images=synthetic", "n_images=2", "size=16",
                                       "step=0.02", "box_lo=-2.5", "box_hi=-1.2", NULL};
  test_projected("ridge", ridge_box, "aid-cg", "step=1", NULL, -1, 0);
  /* t = 50 cold steps of 0.02 leave w far from w*: ask for the accuracy instead */
  test_projected("denoise-tv", tv_box, "aid-cg", "step=2", "eps=1e-6", -1, 0);
  static const char *const poison[] = {"radius=0.05", NULL};
  static const char *const eq[] = {"a_norm=0.9", NULL};
  test_projected("poison", poison, "aid-cg", "step=0.5", NULL, 5, 0.05);
  test_projected("equilibrium", eq, "aid-gmres", "step=0.5", NULL, 0, 0);
  static const char *const tv8[] = {"images=synthetic", "n_images=8", "size=16", "step=0.02",
                                    NULL};
  test_isgd("ridge", NULL, "step=1", 20, "batch=5");
  test_isgd("denoise-tv", tv8, "step=2", 20, "batch=2");
  test_bad();
  test_maid_steps();
  test_max_work();
  test_maid_fixed();
  test_hoag_init();
  test_hoag_rule();
  test_maid_estimated();
  test_work_kinds();
  test_heldout();
  printf("%d checks, %d failures\n", checks, failures);
  return failures ? 1 : 0;
}

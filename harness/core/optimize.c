/*
 * optimize.c -- the driver of the outer loops (DESIGN §2.3).
 *
 * An outer-loop plugin (methods/outer/) moves theta; the driver evaluates for it: the
 * hypergradient by the run's method through hg_hypergrad (so every Phi and Jacobian product
 * is counted and timed as in a single run), optionally warm-started from the previous w, at
 * a fixed budget or at an accuracy the loop asks for (eps >= ||w - w*||, delta >= the adjoint
 * residual), with eps, delta and omega measured a posteriori (hg_inexact_at) for an implicit
 * method; then it records one row per step with cumulative costs and, when asked, the exact
 * f(theta) and ||grad f(theta)|| computed outside the counters and the clock.
 *
 * Cost accounting: lower and linear are the iterations the method reports (t_used, k_used),
 * counts its oracle calls, wall_s the sum of its compute times.  The a-posteriori measurement
 * (one Phi, one vjp_w, one grad E and the norm of d_theta Phi(w) by Lanczos on n_theta) and
 * the exact reference are outside all three.
 */
#include "hg_core.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct hg_outer {
  hg_problem *P;
  const hg_optimize_opts *o;
  const char *name;      /* the outer loop's name, for messages */
  int omega;             /* the loop needs omega (HG_OUTER_NEEDS_OMEGA) */
  int n, m;
  double *theta0;        /* m */
  double *w;             /* n: the last evaluation's w (warm start) */
  int have_w;
  int spent;             /* the work budget o->max_work was reached (hg_outer_record) */
  double *grad;          /* m: the last hypergradient */
  double *gw;            /* n: scratch for grad_w E */
  double *wstar, *gexact; /* n, m: the exact reference of a row */
  double *v;             /* n: the last evaluation's adjoint (when the method returned one) */
  double *hw, *hg;       /* the held-out problem's w* and gradient (n_w of it, m) */
  hg_outer_result *res;
  long lower, linear;
  hg_counts counts;
  double wall;
};

int hg_outer_n_theta(const hg_outer *O) { return O->m; }
int hg_outer_max_steps(const hg_outer *O) { return O->o->steps; }
const double *hg_outer_theta0(const hg_outer *O) { return O->theta0; }
hg_problem *hg_outer_problem(hg_outer *O) { return O->P; }
uint64_t hg_outer_seed(const hg_outer *O) { return O->o->seed; }
int hg_outer_can_project(const hg_outer *O) { return O->P->ops->project != NULL; }

const double *hg_outer_w(const hg_outer *O)
{
  return O->have_w ? O->w : NULL;
}

void hg_outer_set_w(hg_outer *O, const double *w)
{
  memcpy(O->w, w, (size_t)O->n * sizeof *O->w);
  O->have_w = 1;
}

void hg_outer_want_omega(hg_outer *O, int on) { O->omega = on != 0; }

void hg_outer_project(hg_outer *O, double *theta)
{
  if (O->P->ops->project)
    O->P->ops->project(O->P->self, theta);
}

void hg_outer_result_release(hg_outer_result *r)
{
  if (!r)
    return;
  free(r->steps);
  free(r->theta);
  memset(r, 0, sizeof *r);
}

static void counts_add(hg_counts *a, const hg_counts *b)
{
  a->phi += b->phi;
  a->jvp_w += b->jvp_w;
  a->vjp_w += b->vjp_w;
  a->vjp_theta += b->vjp_theta;
  a->jvp_theta += b->jvp_theta;
  a->upper += b->upper;
}

/* The budget for accuracy eps, delta at theta (NAN: the run's own budget). */
static int budget_for(hg_outer *O, const double *theta, double eps, double delta, int linear,
                      hg_budget *b, hg_error *err)
{
  *b = O->o->budget;
  if (!isnan(eps)) {
    double q = NAN;
    if (O->P->ops->constants) {
      hg_constants c;
      int rc = hg_problem_constants(O->P, theta, &c, err);
      if (rc)
        return rc;
      q = c.q;
    }
    /* the lower loop stops at ||w_{i+1} - w_i|| <= tol; then ||w_{i+1} - w*|| <=
     * q tol/(1 - q) <= eps for tol = eps (1 - q); a method with its own a-posteriori bound
     * (hg_method_ops.posterior: piggyback) stops on its certified distance itself */
    const hg_method_ops *M = hg_find_method(O->o->method, NULL);
    b->tol_lower = q < 1 && !(M && M->posterior) ? eps * (1 - q) : eps;
    b->t = O->o->max_t > 0 ? O->o->max_t : 100000;
  }
  if (!isnan(delta)) {
    b->tol_linear = delta;
    b->k = O->o->max_k > 0 ? O->o->max_k : 100000;
  }
  if (!linear) {
    b->k = 0;
    b->tol_linear = 0;
  }
  return HG_OK;
}

/* One evaluation at theta (with the linear solve or without). */
static int evaluate(hg_outer *O, const double *theta, double eps, double delta, int linear,
                    hg_outer_eval *ev, hg_error *err)
{
  const hg_optimize_opts *o = O->o;
  hg_budget b;
  hg_run run;
  hg_run_opts ro;
  int rc;

  memset(ev, 0, sizeof *ev);
  ev->value = ev->hg_norm = ev->eps = ev->delta = ev->omega = NAN;
  ev->gw_norm = ev->value_err = NAN;
  if ((rc = budget_for(O, theta, eps, delta, linear, &b, err)))
    return rc;
  memset(&ro, 0, sizeof ro);
  ro.w0 = o->warm && O->have_w ? O->w : NULL;
  ro.seed = o->seed;
  ro.deadline = o->deadline;
  ro.inexact = O->omega ? 2 : 1;
  ro.v_out = O->v;
  rc = hg_hypergrad(O->P, o->method, o->nmwords, o->mwords, theta, &b, &ro, &run, err);
  O->lower += run.t;
  O->linear += run.k;
  counts_add(&O->counts, &run.counts);
  O->wall += run.wall_s;
  if (rc) {
    hg_run_release(&run);
    return rc;
  }
  memcpy(O->w, run.w, (size_t)O->n * sizeof *O->w);
  O->have_w = 1;
  ev->value = run.value;
  ev->t = run.t;
  ev->k = run.k;
  ev->eps = run.eps;
  ev->delta = run.delta;
  ev->omega = run.omega;
  ev->v = linear && run.v_set ? O->v : NULL;
  if (linear) {
    memcpy(O->grad, run.grad, (size_t)O->m * sizeof *O->grad);
    ev->grad = O->grad;
    ev->hg_norm = hg_nrm2(O->m, O->grad);
  } else {
    ev->delta = ev->omega = NAN; /* no adjoint was solved */
  }
  if (isfinite(run.eps)) { /* |E(w) - E(w*)| <= ||grad_w E(w)|| eps + mu1 eps^2/2 */
    O->P->ops->upper(O->P->self, O->w, theta, O->gw, NULL);
    ev->gw_norm = hg_nrm2(O->n, O->gw);
    double mu1 = run.theory.c.mu1;
    ev->value_err = ev->gw_norm * run.eps + 0.5 * mu1 * run.eps * run.eps;
  }
  if (!isnan(eps) && isnan(ev->eps))
    ev->eps = eps; /* not measurable (no adjoint): the target */
  if (linear && !isnan(delta) && isnan(ev->delta))
    ev->delta = delta;
  hg_run_release(&run);
  return HG_OK;
}

int hg_outer_hypergrad(hg_outer *O, const double *theta, double eps, double delta,
                       hg_outer_eval *ev, hg_error *err)
{
  return evaluate(O, theta, eps, delta, 1, ev, err);
}

int hg_outer_value(hg_outer *O, const double *theta, double eps, hg_outer_eval *ev,
                   hg_error *err)
{
  return evaluate(O, theta, eps, NAN, 0, ev, err);
}

static const char *const work_words[] = {"exit-index", "oracle-calls", "time"};

int hg_work_kind(const char *word, const char *what, int *kind, hg_error *err)
{
  for (int i = 0; i < 3; i++)
    if (word && !strcmp(word, work_words[i])) {
      *kind = i;
      return HG_OK;
    }
  return hg_fail(err, HG_ERR_ARG, "%s '%s': expected exit-index, oracle-calls or time", what,
                 word ? word : "");
}

const char *hg_work_word(int kind)
{
  return kind >= 0 && kind < 3 ? work_words[kind] : "?";
}

/* The cumulative work so far in the run's unit (HG_WORK_*). */
static double work_of(const hg_outer *O)
{
  switch (O->o->work) {
  case HG_WORK_ORACLE_CALLS:
    return (double)hg_counts_oracle(&O->counts);
  case HG_WORK_TIME:
    return 1e3 * O->wall;
  default:
    return (double)(O->lower + O->linear);
  }
}

int hg_outer_record(hg_outer *O, const double *theta, const hg_outer_eval *ev,
                    const hg_outer_eval *used, double step_size, int accepted, hg_error *err)
{
  hg_outer_result *R = O->res;
  int m = O->m;

  if (R->n == R->cap) {
    int cap = R->cap ? 2 * R->cap : 32;
    hg_outer_step *s = realloc(R->steps, (size_t)cap * sizeof *s);
    if (!s)
      return hg_fail(err, HG_ERR_NOMEM, "out of memory for %d outer steps", cap);
    R->steps = s;
    double *t = realloc(R->theta, (size_t)cap * (size_t)m * sizeof *t);
    if (!t)
      return hg_fail(err, HG_ERR_NOMEM, "out of memory for %d outer steps", cap);
    R->theta = t;
    R->cap = cap;
  }
  hg_outer_step *s = &R->steps[R->n];
  const hg_outer_eval *u = used ? used : ev;
  memset(s, 0, sizeof *s);
  s->step = R->n;
  s->accepted = accepted;
  s->value = ev ? ev->value : NAN;
  s->hg_norm = u ? u->hg_norm : NAN;
  s->eps = u ? u->eps : NAN;
  s->delta = u ? u->delta : NAN;
  s->omega = u ? u->omega : NAN;
  s->step_size = step_size;
  s->lower = O->lower;
  s->linear = O->linear;
  s->counts = O->counts;
  s->wall_s = O->wall;
  s->work = work_of(O);
  s->uncertified = u ? u->uncertified : 0;
  s->f = s->grad_norm = NAN;
  if (O->o->exact && O->P->ops->exact) { /* outside the counters: the ops directly */
    int rc = O->P->ops->exact(O->P->self, theta, O->wstar, O->gexact, err);
    if (rc)
      return rc;
    s->f = O->P->ops->upper(O->P->self, O->wstar, theta, NULL, NULL);
    s->grad_norm = hg_nrm2(m, O->gexact);
  }
  s->heldout = NAN;
  int last = O->o->max_work > 0 && s->work >= (double)O->o->max_work;
  if (O->o->heldout && (last || s->step % (O->o->heldout_every > 0 ? O->o->heldout_every : 1) ==
                                    0)) {
    int rc = hg_exact(O->o->heldout, theta, O->hw, O->hg, err);
    if (rc)
      return rc;
    s->heldout = hg_upper(O->o->heldout, O->hw, theta, NULL, NULL);
  }
  memcpy(R->theta + (size_t)R->n * (size_t)m, theta, (size_t)m * sizeof *theta);
  R->n++;
  if (O->o->deadline > 0 && hg_now() > O->o->deadline)
    return hg_fail(err, HG_ERR_TIMEOUT, "outer loop '%s': stopped after %d rows, past the "
                   "--max-seconds deadline", O->name, R->n);
  if (O->o->max_work > 0 && s->work >= (double)O->o->max_work) {
    /* the loops stop at a failing record; hg_optimize_ops turns this one into success */
    O->spent = 1;
    return hg_fail(err, HG_ERR_BUDGET, "outer loop '%s': work budget %ld spent", O->name,
                   O->o->max_work);
  }
  return HG_OK;
}

int hg_optimize(hg_problem *P, const char *outer, int nowords, const char *const *owords,
                const hg_optimize_opts *o, hg_outer_result *res, hg_error *err)
{
  memset(res, 0, sizeof *res);
  const hg_outer_ops *ops = hg_find_outer(outer, err);
  if (!ops)
    return res->status = HG_ERR_UNKNOWN;
  return hg_optimize_ops(P, ops, nowords, owords, o, res, err);
}

int hg_optimize_ops(hg_problem *P, const hg_outer_ops *ops, int nowords,
                    const char *const *owords, const hg_optimize_opts *o,
                    hg_outer_result *res, hg_error *err)
{
  int rc, n = P->n_w, m = P->n_theta;
  char owner[96];
  hg_params *op = NULL;
  hg_outer O;

  memset(res, 0, sizeof *res);
  memset(&O, 0, sizeof O);
  res->n_theta = m;
  res->problem_rev = P->ops->revision;
  res->outer_rev = ops->revision;
  snprintf(owner, sizeof owner, "outer loop '%s'", ops->name);
  if ((rc = hg_params_parse(ops->params, owner, nowords, owords, &op, err)))
    goto done;
  const hg_method_ops *M = hg_find_method(o->method, err);
  if (!M) {
    rc = HG_ERR_UNKNOWN;
    goto done;
  }
  res->method_rev = M->revision;
  if (o->work < 0 || o->work > HG_WORK_TIME) {
    rc = hg_fail(err, HG_ERR_ARG, "outer loop '%s': unknown work kind %d", ops->name, o->work);
    goto done;
  }
  if (o->steps < 0 || o->steps > HG_OUTER_MAX_STEPS || o->max_work < 0) {
    rc = hg_fail(err, HG_ERR_ARG, "outer loop '%s': steps must be in [0, %d] and max_work >= 0 "
                 "(got %d, %ld)", ops->name, HG_OUTER_MAX_STEPS, o->steps, o->max_work);
    goto done;
  }
  O.P = P;
  O.o = o;
  O.name = ops->name;
  O.omega = (ops->needs & HG_OUTER_NEEDS_OMEGA) != 0;
  O.n = n;
  O.m = m;
  O.res = res;
  O.theta0 = malloc((size_t)m * sizeof *O.theta0);
  O.grad = malloc((size_t)m * sizeof *O.grad);
  O.gexact = malloc((size_t)m * sizeof *O.gexact);
  O.w = calloc((size_t)n, sizeof *O.w);
  O.gw = malloc((size_t)n * sizeof *O.gw);
  O.wstar = malloc((size_t)n * sizeof *O.wstar);
  O.v = malloc((size_t)n * sizeof *O.v);
  if (o->heldout) {
    if (o->heldout->n_theta != m || !o->heldout->ops->exact) {
      rc = hg_fail(err, HG_ERR_ARG, "outer loop '%s': the held-out problem '%s' needs n_theta "
                   "= %d (got %d) and an exact reference", ops->name, o->heldout->ops->name, m,
                   o->heldout->n_theta);
      goto done;
    }
    O.hw = malloc((size_t)o->heldout->n_w * sizeof *O.hw);
    O.hg = malloc((size_t)m * sizeof *O.hg);
    if (!O.hw || !O.hg) {
      rc = hg_fail(err, HG_ERR_NOMEM, "out of memory for the held-out problem");
      goto done;
    }
  }
  if (!O.theta0 || !O.grad || !O.gexact || !O.w || !O.gw || !O.wstar || !O.v) {
    rc = hg_fail(err, HG_ERR_NOMEM, "out of memory for an outer loop on n_w = %d", n);
    goto done;
  }
  if (o->theta0)
    memcpy(O.theta0, o->theta0, (size_t)m * sizeof *O.theta0);
  else
    P->ops->theta0(P->self, O.theta0);
  if ((rc = hg_theta_check(m, O.theta0, err)))
    goto done;
  rc = ops->run(&O, op, err);
  if (rc == HG_ERR_BUDGET && O.spent) { /* the work budget: the run's normal end */
    rc = HG_OK;
    hg_error_clear(err);
  }

done:
  res->status = rc;
  if (rc && err)
    snprintf(res->message, sizeof res->message, "%s", err->msg);
  hg_params_destroy(&op);
  free(O.theta0);
  free(O.grad);
  free(O.gexact);
  free(O.w);
  free(O.gw);
  free(O.wstar);
  free(O.v);
  free(O.hw);
  free(O.hg);
  return rc;
}

/* The value of each column of HG_OUTER_COLUMNS, then the table of them. */
#define GETTER(name, kind, tsv_digits, heading, width, digits, value)                          \
  static double get_##name(const hg_outer_step *s) { return (double)(value); }
HG_OUTER_COLUMNS(GETTER)
#undef GETTER
#define COLUMN(name, kind, tsv_digits, heading, width, digits, value)                          \
  {#name, kind, tsv_digits, heading, width, digits, get_##name},
const hg_outer_column hg_outer_columns[HG_OUTER_NCOLUMNS] = {HG_OUTER_COLUMNS(COLUMN)};
#undef COLUMN

void hg_optimize_tsv(FILE *f, const hg_outer_result *res, const char *label,
                     const char *problem, const char *outer, const char *method)
{
  for (int i = 0; i < res->n; i++) {
    fprintf(f, "%s\t%s\t%s\t%s\t", label, problem, outer, method);
    for (int c = 0; c < HG_OUTER_NCOLUMNS; c++) {
      const hg_outer_column *col = &hg_outer_columns[c];
      double v = col->get(&res->steps[i]);
      if (col->kind == 'd')
        fprintf(f, "%.*g\t", col->tsv_digits, v);
      else
        fprintf(f, "%ld\t", (long)v);
    }
    for (int j = 0; j < res->n_theta; j++)
      fprintf(f, "%s%.10g", j ? "," : "",
              res->theta[(size_t)i * (size_t)res->n_theta + (size_t)j]);
    fprintf(f, "\t%d\t%d\t%d\n", res->problem_rev, res->outer_rev, res->method_rev);
  }
}

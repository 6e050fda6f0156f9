/*
 * test_conformance.c -- hgbench against vectors computed independently in float64 from DESIGN
 * §3-4 (tests/data/conformance, see its README): exact, itd (t = 30), aid-fp (t = 30, k = 10)
 * and aid-cg (t = 30, k = 4) on ridge and logreg, per-feature and scalar, theta = -1, step 0.25.
 *
 * Tolerance 1e-9 relative (the contract for the recursions; the vectors' own README
 * expects agreement to about 1e-12): a wrong step, sign or recursion shows up at 1e-3 or more.
 *
 * Also the warm start: aid-fp with t = 0 from w0 = w* (so no lower iteration is needed) and
 * k = 400 (q^k < 1e-30 here) must give the exact hypergradient to 1e-12, and the run must report
 * t = 0; from w0 = 0 the same budget is far off, so the warm start is really used.
 *
 * usage: test_conformance DIR   (DIR holds tiny.train.svm and tiny.val.svm)
 */
#include "builtin.h" /* testing_register_builtin; hg_cli.h */
#include "conformance_vectors.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define TOL 1e-9

int main(int argc, char **argv)
{
  testing_register_builtin();
  int failures = 0;
  char train[1024], val[1024], reg[64];
  hg_error err;

  if (argc < 2) {
    fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  snprintf(train, sizeof train, "train=%s/tiny.train.svm", argv[1]);
  snprintf(val, sizeof val, "val=%s/tiny.val.svm", argv[1]);
  for (size_t i = 0; i < sizeof conformance_cases / sizeof conformance_cases[0]; i++) {
    const conformance_case *c = &conformance_cases[i];
    for (int storage = 0; storage < 2; storage++) {
      const char *words[] = {train, val, reg, "step=0.25",
                             storage ? "storage=dense" : "storage=sparse"};
      hg_problem *P = NULL;
      hg_run r = {0};
      hg_run_opts o = {0};
      hg_budget b;
      double theta[6];

      snprintf(reg, sizeof reg, "reg=%s", c->reg);
      hg_error_clear(&err);
      hg_budget_default(&b);
      b.t = c->t;
      b.k = c->k;
      int rc = hg_problem_create(c->problem, 5, words, &P, &err);
      if (!rc && P->n_theta != c->m)
        rc = hg_fail(&err, HG_ERR_ARG, "n_theta = %d, expected %d", P->n_theta, c->m);
      if (!rc) {
        for (int j = 0; j < c->m; j++)
          theta[j] = -1;
        rc = hg_hypergrad(P, c->method, 0, NULL, theta, &b, &o, &r, &err);
      }
      double eg = rc ? NAN : hg_rel_diff(c->m, r.grad, c->hypergrad);
      double ev = rc ? NAN : fabs(r.value - c->value) / fabs(c->value);
      int ok = !rc && eg <= TOL && ev <= TOL;
      printf("%s %-6s %-11s %-6s %-6s t=%-3d k=%-3d grad rel err %.2e, value rel err %.2e%s%s\n",
             ok ? "PASS" : "FAIL", c->problem, c->reg, c->method, storage ? "dense" : "sparse",
             c->t, c->k, eg, ev, rc ? ": " : "", rc ? err.msg : "");
      failures += !ok;
      hg_run_release(&r);
      hg_problem_destroy(&P);
    }
  }
  int total = (int)(2 * sizeof conformance_cases / sizeof conformance_cases[0]);

  for (int p = 0; p < 2; p++) {
    const char *problem = p ? "logreg" : "ridge";
    const char *words[] = {train, val, "step=0.25"};
    hg_problem *P = NULL;
    hg_run warm = {0}, cold = {0};
    hg_run_opts o = {0};
    hg_budget b;
    double theta[6] = {-1, -1, -1, -1, -1, -1}, wstar[6], g[6];

    hg_error_clear(&err);
    hg_budget_default(&b);
    b.t = 0;
    b.k = 400;
    o.with_reference = 1;
    int rc = hg_problem_create(problem, 3, words, &P, &err);
    if (!rc)
      rc = hg_exact(P, theta, wstar, g, &err);
    if (!rc)
      rc = hg_hypergrad(P, "aid-fp", 0, NULL, theta, &b, &o, &cold, &err);
    o.w0 = wstar;
    if (!rc)
      rc = hg_hypergrad(P, "aid-fp", 0, NULL, theta, &b, &o, &warm, &err);
    int ok = !rc && warm.t == 0 && warm.rel_error <= 1e-12 && cold.rel_error > 1e-3;
    printf("%s %-6s warm start at w*: t = %d, rel err %.2e (from 0: %.2e)%s%s\n",
           ok ? "PASS" : "FAIL", problem, warm.t, warm.rel_error, cold.rel_error,
           rc ? ": " : "", rc ? err.msg : "");
    failures += !ok;
    total++;
    hg_run_release(&warm);
    hg_run_release(&cold);
    hg_problem_destroy(&P);
  }
  printf("%d passed, %d failed\n", total - failures, failures);
  return failures != 0;
}

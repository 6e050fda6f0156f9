/*
 * testing.h -- the reporting every problem test program shares (private to tests/): one
 * PASS/FAIL line per check, counted, and the (relative) differences the checks measure.
 * Include it once per test program.
 */
#ifndef HG_TESTING_H
#define HG_TESTING_H

#include "builtin.h" /* testing_register_builtin; hg_cli.h */

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static int failures, checks;

/* Print one PASS/FAIL line and count it. */
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void check(int ok, const char *fmt, ...)
{
  va_list ap;

  printf("%s ", ok ? "PASS" : "FAIL");
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  printf("\n");
  checks++;
  failures += !ok;
}

/* ||a - b|| / ||b|| (||a - b|| when b = 0): the harness's hg_rel_diff, under the name the
 * checks use. */
static inline double rel_diff(int n, const double *a, const double *b)
{
  return hg_rel_diff(n, a, b);
}

/* ||a - b||. */
static inline double dist(int n, const double *a, const double *b)
{
  double s = 0;

  for (int i = 0; i < n; i++)
    s += (a[i] - b[i]) * (a[i] - b[i]);
  return sqrt(s);
}

/* The Hessian H of g at w (n_w x n_w, malloc'ed; NULL when out of memory), column by column
 * from jvp_w: H e_j = (e_j - d_w Phi e_j) / eta, symmetrized. */
static inline double *hessian_from_jvp(hg_problem *P, const double *w, const double *theta, double eta)
{
  const int n = P->n_w;
  double *H = malloc((size_t)n * (size_t)n * sizeof(double));
  double *e = calloc((size_t)n, sizeof(double)), *col = malloc((size_t)n * sizeof(double));

  if (!H || !e || !col) {
    free(H);
    H = NULL;
    goto done;
  }
  for (int j = 0; j < n; j++) {
    e[j] = 1.0;
    hg_jvp_w(P, w, theta, e, col);
    e[j] = 0.0;
    for (int i = 0; i < n; i++)
      H[(size_t)i * n + j] = ((i == j) - col[i]) / eta;
  }
  for (int i = 0; i < n; i++) /* symmetrize the rounding */
    for (int j = i + 1; j < n; j++)
      H[(size_t)i * n + j] = H[(size_t)j * n + i] =
          0.5 * (H[(size_t)i * n + j] + H[(size_t)j * n + i]);

done:
  free(e);
  free(col);
  return H;
}

#endif /* HG_TESTING_H */

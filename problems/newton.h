/*
 * newton.h -- private to problems/: the one damped Newton method of the exact solves
 * (DESIGN §3: logreg, logreg-multi, biased-reg with loss=logistic, poison), and a dense
 * Cholesky solve.
 *
 * A plugin gives g and its gradient, and the Newton direction (it factors its own Hessian:
 * dense LAPACK, CHOLMOD, block by block, or solves with it inexactly by CG: Newton-CG, as
 * logreg-multi does on large instances); the loop, the line search and the stopping rule are
 * written once here.
 */
#ifndef HG_NEWTON_H
#define HG_NEWTON_H

#include "hgbench.h"

/* Newton's stopping rule (DESIGN §3): ||dx|| <= HG_NEWTON_TOL (1 + ||x||). */
#define HG_NEWTON_TOL 1e-14
#define HG_NEWTON_MAX_IT 100

/* What the Newton loop needs of a smooth strongly convex g on R^n. */
typedef struct hg_newton_ops {
  /* g(x); grad (n) = grad g(x) when not NULL. */
  double (*f)(void *ctx, const double *x, double *grad);
  /* dx = -H(x)^{-1} grad with H(x) the Hessian of g at x.  Called right after f(ctx, x, grad)
   * at the same x, so it may use what f left in the plugin's scratch. */
  int (*direction)(void *ctx, const double *x, const double *grad, double *dx, hg_error *err);
  /* 0, or (inexact directions, e.g. Newton-CG, whose ||dx|| need not reach the rule below)
   * also stop at the top of an iteration once ||grad g(x)|| <= gtol ||grad g(x_0)||. */
  double gtol;
} hg_newton_ops;

/* Doubles of workspace hg_newton needs for n unknowns. */
#define HG_NEWTON_WORK(n) (3 * (size_t)(n))

/*
 * Minimize g from x (the start on entry, the minimizer on exit): Newton directions with a
 * backtracking step t (Armijo, c = 1e-4, at most 60 halvings; the full step once the
 * predicted decrease -grad . dx is below g's rounding), until ||dx|| <= 1e-14 (1 + ||x||), or
 * until ||dx|| <= 1e-8 (1 + ||x||) no longer halves after a full step t = 1 (the rounding
 * floor of an ill-conditioned Hessian), or (ops->gtol > 0) until ||grad|| <= gtol
 * ||grad(x_0)||.  More than HG_NEWTON_MAX_IT iterations, or a line search without decrease, is
 * HG_ERR_NUMERIC naming `name` (the problem, e.g. "problem 'poison'").
 * work: HG_NEWTON_WORK(n) doubles.
 */
int hg_newton(const char *name, int n, const hg_newton_ops *ops, void *ctx, double *x,
              double *work, hg_error *err);

/* Factor a dense symmetric positive definite n x n H in place (row-major; its upper triangle
 * becomes the Cholesky factor U, H = U^T U; LAPACK dpotrf).  A matrix that is not positive
 * definite is HG_ERR_NUMERIC naming `name` and `what` (e.g. "task Hessian"). */
int hg_dense_chol_factor(const char *name, const char *what, int n, double *H, hg_error *err);
/* b <- H^{-1} b with the factor of hg_dense_chol_factor in F (LAPACK dpotrs). */
int hg_dense_chol_solve(const char *name, const char *what, int n, const double *F, double *b,
                        hg_error *err);

#endif /* HG_NEWTON_H */

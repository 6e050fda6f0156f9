/*
 * glm_solve.c -- the exact solves of the GLM problems (DESIGN §1; glm.h): Cholesky of
 * H = s Xs^T Xs + diag(lam) by LAPACK (dense) or CHOLMOD (CSR), and the hypergradient tail.
 */
#include "glm.h"

#include <lapacke.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------------------------ */
/* Cholesky of H = s Xs^T Xs + diag(lam)                                                       */
/* ------------------------------------------------------------------------------------------ */

/* Fail with the status matching CHOLMOD's, naming the problem and the step. */
static int glm_cholmod_fail(const hg_glm *G, const char *what, hg_error *err)
{
  const int status = G->cc.status == CHOLMOD_OUT_OF_MEMORY ? HG_ERR_NOMEM : HG_ERR_NUMERIC;
  return hg_fail(err, status, "problem '%s': CHOLMOD %s failed (status %d)", G->name, what,
                 G->cc.status);
}

/* The CSR of X (rows x cols) seen, without a copy, as the CSC of X^T (cols x rows). */
void hg_csr_cholmod_view(const hg_matrix *X, cholmod_sparse *At)
{
  memset(At, 0, sizeof *At);
  At->nrow = (size_t)X->cols;
  At->ncol = (size_t)X->rows;
  At->nzmax = (size_t)X->rowptr[X->rows];
  At->p = X->rowptr;
  At->i = X->colind;
  At->x = X->val;
  At->stype = 0;
  At->itype = CHOLMOD_INT;
  At->xtype = CHOLMOD_REAL;
  At->dtype = CHOLMOD_DOUBLE;
  At->sorted = 1;
  At->packed = 1;
}

/*
 * H = s Xs^T Xs + diag(lam), factored (DESIGN §3).  Dense Xs: H formed densely (from gram
 * when given) and LAPACKE_dpotrf.  CSR Xs: the CSR of Xs is the CSC of Xs^T, cholmod_aat gives
 * Xs^T Xs, cholmod_add forms s Xs^T Xs + diag(lam), whose upper triangle is analyzed and
 * factorized.
 */
int hg_glm_chol_factor(hg_glm *G, const hg_matrix *Xs, double s, const double *gram,
                       const double *lam, hg_glm_chol *F, hg_error *err)
{
  int status = HG_OK;
  const int d = Xs->cols;
  cholmod_sparse At, *XtX = NULL, *D = NULL, *Hfull = NULL, *H = NULL;

  memset(F, 0, sizeof *F);
  F->d = d;
  F->cc = &G->cc;
  char owner[64];
  snprintf(owner, sizeof owner, "problem '%s'", G->name);
  if (!Xs->sparse) {
    if ((status = hg_over_cap(G->mem_cap, (double)d * d * sizeof(double), owner,
                              "for the dense d x d Hessian factor", err)))
      goto done;
    F->H = malloc((size_t)d * (size_t)d * sizeof(double));
    if (!F->H) {
      status = hg_fail(err, HG_ERR_NOMEM, "problem '%s': out of memory for a %d x %d Hessian",
                       G->name, d, d);
      goto done;
    }
    if (gram)
      memcpy(F->H, gram, (size_t)d * (size_t)d * sizeof(double));
    else
      hg_matrix_gram(Xs, s, F->H);
    for (int j = 0; j < d; j++)
      F->H[(size_t)j * d + j] += lam[j];
    lapack_int info = LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'U', d, F->H, d);
    if (info != 0) {
      status = hg_fail(err, HG_ERR_NUMERIC, "problem '%s': Cholesky of the %d x %d Hessian "
                       "failed (LAPACK info %d: not positive definite)", G->name, d, d,
                       (int)info);
      goto done;
    }
    goto done;
  }

  hg_csr_cholmod_view(Xs, &At);
  XtX = cholmod_aat(&At, NULL, 0, 1, &G->cc);
  D = cholmod_speye((size_t)d, (size_t)d, CHOLMOD_REAL, &G->cc);
  if (!XtX || !D) {
    status = glm_cholmod_fail(G, "X^T X", err);
    goto done;
  }
  for (int j = 0; j < d; j++)
    ((double *)D->x)[j] = lam[j];
  double alpha[2] = {s, 0}, beta[2] = {1, 0};
  Hfull = cholmod_add(XtX, D, alpha, beta, 1, 1, &G->cc);
  H = Hfull ? cholmod_copy(Hfull, 1, 1, &G->cc) : NULL;
  if (!H) {
    status = glm_cholmod_fail(G, "Hessian assembly", err);
    goto done;
  }
  F->L = cholmod_analyze(H, &G->cc);
  if (!F->L) {
    status = glm_cholmod_fail(G, "analysis", err);
    goto done;
  }
  /* the factor's size as the analysis predicts it: lnz values and row indices */
  if ((status = hg_over_cap(G->mem_cap, G->cc.lnz * (sizeof(double) + sizeof(int)), owner,
                            "for the CHOLMOD factor of the Hessian (estimated by its analysis)",
                            err)))
    goto done;
  if (!cholmod_factorize(H, F->L, &G->cc) || G->cc.status < CHOLMOD_OK) {
    status = glm_cholmod_fail(G, "factorization", err);
    goto done;
  }
  if (G->cc.status == CHOLMOD_NOT_POSDEF || F->L->minor < F->L->n) {
    status = hg_fail(err, HG_ERR_NUMERIC, "problem '%s': the %d x %d Hessian is not positive "
                     "definite (CHOLMOD stopped at column %d)", G->name, d, d, (int)F->L->minor);
    goto done;
  }

done:
  cholmod_free_sparse(&XtX, &G->cc);
  cholmod_free_sparse(&D, &G->cc);
  cholmod_free_sparse(&Hfull, &G->cc);
  cholmod_free_sparse(&H, &G->cc);
  if (status != HG_OK)
    hg_glm_chol_free(F);
  return status;
}

/* b <- H^{-1} b with the factor of hg_glm_chol_factor (dpotrs, or cholmod_solve with
 * CHOLMOD_A), for the solves of DESIGN §3. */
int hg_glm_chol_solve(hg_glm *G, hg_glm_chol *F, double *b, hg_error *err)
{
  int status = HG_OK;
  cholmod_dense bd, *x = NULL;

  if (F->H) {
    lapack_int info = LAPACKE_dpotrs(LAPACK_ROW_MAJOR, 'U', F->d, 1, F->H, F->d, b, 1);
    if (info != 0)
      status = hg_fail(err, HG_ERR_NUMERIC, "problem '%s': Cholesky solve failed (LAPACK "
                       "info %d)", G->name, (int)info);
    goto done;
  }
  memset(&bd, 0, sizeof bd);
  bd.nrow = bd.nzmax = bd.d = (size_t)F->d;
  bd.ncol = 1;
  bd.x = b;
  bd.xtype = CHOLMOD_REAL;
  bd.dtype = CHOLMOD_DOUBLE;
  x = cholmod_solve(CHOLMOD_A, F->L, &bd, &G->cc);
  if (!x) {
    status = glm_cholmod_fail(G, "solve", err);
    goto done;
  }
  memcpy(b, x->x, (size_t)F->d * sizeof(double));

done:
  cholmod_free_dense(&x, &G->cc);
  return status;
}

void hg_glm_chol_free(hg_glm_chol *F)
{
  if (!F)
    return;
  free(F->H);
  F->H = NULL;
  if (F->L)
    cholmod_free_factor(&F->L, F->cc);
}

/*
 * The exact hypergradient's tail (DESIGN §1, §3), grad_theta E = 0 and
 * d_w d_theta g = diag(e^theta .* w*) (per feature; the column e^theta w* when scalar):
 *   v = H^{-1} grad_w E(w*),   grad_j = -e^{theta_j} w*_j v_j   or   grad = -e^theta (w* . v).
 */
int hg_glm_hypergrad(hg_glm *G, hg_glm_chol *F, const double *theta, const double *wstar,
                     double *gw, double *grad, hg_error *err)
{
  int status = hg_glm_chol_solve(G, F, gw, err);
  if (status != HG_OK)
    goto done;
  const double *lam = hg_glm_lam(G, theta);
  if (G->scalar)
    grad[0] = -lam[0] * hg_dot(G->d, wstar, gw);
  else
    for (int j = 0; j < G->d; j++)
      grad[j] = -lam[j] * wstar[j] * gw[j];

done:
  return status;
}

/*
 * glm_sample.c -- the sample ops of the GLM problems (glm.h): batches of training or validation
 * rows gathered while selected, the full data swapped back around exact solves and constants.
 */
#include "glm.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------------------------ */
/* Sample ops: batches of training or validation rows (glm.h)                                  */
/* ------------------------------------------------------------------------------------------ */

/* The plugin's X, y, n of mean `part` (0 training, 1 validation). */
static void glm_rows(hg_glm *G, int part, hg_matrix ***X, double ***y, int **n)
{
  *X = part ? &G->X_val : &G->X;
  *y = part ? &G->y_val : &G->y;
  *n = part ? &G->n_val : &G->n;
}

/* Put the full rows of `part` back (a no-op when none are selected). */
static void glm_unselect(hg_glm *G, int part)
{
  hg_glm_batch *B = &G->batch[part];
  hg_matrix **X;
  double **y;
  int *n;

  if (!B->X_all)
    return;
  glm_rows(G, part, &X, &y, &n);
  *X = B->X_all;
  *y = B->y_all;
  *n = B->n_all;
  B->X_all = NULL;
  B->y_all = NULL;
  B->count = 0;
}

/* Room in B for rows rows and nnz entries of X's layout (grown, never shrunk). */
static int glm_batch_room(hg_glm *G, hg_glm_batch *B, const hg_matrix *X, int rows, long nnz,
                          hg_error *err)
{
  if (B->Xb && rows <= B->cap_rows && (!X->sparse || nnz <= B->cap_nnz))
    return HG_OK;
  const int cap = rows > B->cap_rows ? rows : B->cap_rows;
  const long cap_nnz = nnz > B->cap_nnz ? nnz : B->cap_nnz;
  hg_matrix_destroy(&B->Xb);
  free(B->yb);
  free(B->idx);
  B->yb = malloc((size_t)cap * sizeof(double));
  B->idx = malloc((size_t)cap * sizeof(int));
  B->cap_rows = B->cap_nnz = 0;
  int status = hg_matrix_create(cap, X->cols, X->sparse, X->sparse ? cap_nnz : 0, &B->Xb, err);
  if (status != HG_OK || !B->yb || !B->idx)
    return hg_fail(err, HG_ERR_NOMEM, "problem '%s': out of memory for a batch of %d rows",
                   G->name, rows);
  B->cap_rows = cap;
  B->cap_nnz = cap_nnz;
  return HG_OK;
}

int hg_glm_n_items(const void *self, int which)
{
  const hg_glm *G = self;
  const hg_glm_batch *B = &G->batch[which == HG_SAMPLE_UPPER];

  if (B->X_all)
    return B->n_all;
  return which == HG_SAMPLE_UPPER ? G->n_val : G->n;
}

int hg_glm_select(void *self, int which, int count, const int *idx, hg_error *err)
{
  hg_glm *G = self;
  const int part = which == HG_SAMPLE_UPPER;
  const char *what = part ? "validation" : "training";
  hg_glm_batch *B = &G->batch[part];
  const int n_all = hg_glm_n_items(G, which);
  hg_matrix **X;
  double **y;
  int *n;
  long nnz = 0;

  if (count == 0) {
    glm_unselect(G, part);
    return HG_OK;
  }
  glm_rows(G, part, &X, &y, &n);
  const hg_matrix *F = B->X_all ? B->X_all : *X; /* the full rows */
  const double *yf = B->X_all ? B->y_all : *y;
  for (int i = 0; i < count; i++) {
    if (idx[i] < 0 || idx[i] >= n_all)
      return hg_fail(err, HG_ERR_ARG, "problem '%s': %s item index %d (batch position %d) is "
                     "outside [0, %d)", G->name, what, idx[i], i, n_all);
    if (F->sparse)
      nnz += F->rowptr[idx[i] + 1] - F->rowptr[idx[i]];
  }
  int status = glm_batch_room(G, B, F, count, nnz, err);
  if (status != HG_OK)
    return status;
  hg_matrix *Xb = B->Xb;
  Xb->rows = count;
  if (F->sparse) {
    long k = 0;
    Xb->rowptr[0] = 0;
    for (int i = 0; i < count; i++) {
      const int r0 = F->rowptr[idx[i]], len = F->rowptr[idx[i] + 1] - r0;
      memcpy(Xb->colind + k, F->colind + r0, (size_t)len * sizeof(int));
      memcpy(Xb->val + k, F->val + r0, (size_t)len * sizeof(double));
      k += len;
      Xb->rowptr[i + 1] = (int)k;
    }
    Xb->nnz = k;
  } else {
    const size_t d = (size_t)F->cols;
    for (int i = 0; i < count; i++)
      memcpy(Xb->val + (size_t)i * d, F->val + (size_t)idx[i] * d, d * sizeof(double));
    Xb->nnz = (long)count * F->cols;
  }
  for (int i = 0; i < count; i++)
    B->yb[i] = yf[idx[i]];
  memcpy(B->idx, idx, (size_t)count * sizeof(int));
  B->count = count;
  if (!B->X_all) {
    B->X_all = *X;
    B->y_all = *y;
    B->n_all = *n;
  }
  *X = Xb;
  *y = B->yb;
  *n = count;
  return HG_OK;
}

int hg_glm_batched(const hg_glm *G, int part)
{
  return G->batch[part].X_all && !G->swapped;
}

const int *hg_glm_selected(const hg_glm *G, int which, int *count)
{
  const hg_glm_batch *B = &G->batch[which == HG_SAMPLE_UPPER];

  *count = B->X_all ? B->count : 0;
  return B->X_all ? B->idx : NULL;
}

void hg_glm_swap_full(hg_glm *G)
{
  for (int part = 0; part < 2; part++) {
    hg_glm_batch *B = &G->batch[part];
    hg_matrix **X, *tX;
    double **y, *ty;
    int *n, tn;

    if (!B->X_all)
      continue;
    glm_rows(G, part, &X, &y, &n);
    tX = *X, ty = *y, tn = *n;
    *X = B->X_all, *y = B->y_all, *n = B->n_all;
    B->X_all = tX, B->y_all = ty, B->n_all = tn;
  }
  G->swapped = !G->swapped;
}

/* Put the full data back and free the batches (hg_glm_release calls it). */
void hg_glm_batches_free(hg_glm *G)
{
  if (G->swapped)
    hg_glm_swap_full(G);
  for (int part = 0; part < 2; part++) {
    glm_unselect(G, part);
    hg_matrix_destroy(&G->batch[part].Xb);
    free(G->batch[part].yb);
    free(G->batch[part].idx);
  }
}

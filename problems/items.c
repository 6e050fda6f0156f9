/*
 * items.c -- per-item weights of the sample ops (items.h).
 */
#include "items.h"

#include <stdlib.h>
#include <string.h>

int hg_items_init(hg_items *B, int N, const char *name, hg_error *err)
{
  memset(B, 0, sizeof *B);
  B->N = N;
  B->w[0] = calloc((size_t)N, sizeof(double));
  B->w[1] = calloc((size_t)N, sizeof(double));
  if (B->w[0] && B->w[1])
    return HG_OK;
  hg_items_free(B);
  return hg_fail(err, HG_ERR_NOMEM, "problem '%s': out of memory for the batch weights of %d "
                 "items", name, N);
}

void hg_items_free(hg_items *B)
{
  free(B->w[0]);
  free(B->w[1]);
  memset(B, 0, sizeof *B);
}

int hg_items_select(hg_items *B, const char *name, const char *item, int which, int count,
                    const int *idx, hg_error *err)
{
  const int part = which == HG_SAMPLE_UPPER;

  for (int k = 0; k < count; k++)
    if (idx[k] < 0 || idx[k] >= B->N)
      return hg_fail(err, HG_ERR_ARG, "problem '%s': %s index %d (batch position %d) is "
                     "outside [0, %d)", name, item, idx[k], k, B->N);
  hg_zero(B->N, B->w[part]);
  for (int k = 0; k < count; k++)
    B->w[part][idx[k]] += (double)B->N / count;
  B->count[part] = count;
  return HG_OK;
}

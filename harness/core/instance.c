/*
 * instance.c -- creating and destroying a problem instance: the plugin found in the registry,
 * its parameters validated, its state created; destroy also frees the theory caches
 * (theory.c).  Kept apart from the counting wrapper (problem.c), which theory.c calls.
 */
#include "hg_core.h"

#include <stdlib.h>

/* Create problem `name` from "key=value" words (see hg_core.h). */
int hg_problem_create(const char *name, int nwords, const char *const *words, hg_problem **out,
                      hg_error *err)
{
  return hg_problem_create_under(name, nwords, words, NULL, out, err);
}

/* The same within a policy's limits (see hg_core.h). */
int hg_problem_create_under(const char *name, int nwords, const char *const *words,
                            const hg_policy *pol, hg_problem **out, hg_error *err)
{
  int rc = HG_OK;
  char owner[96];
  hg_problem *P = NULL;
  const hg_problem_ops *ops = hg_find_problem(name, err);

  *out = NULL;
  if (!ops)
    return HG_ERR_UNKNOWN;
  P = calloc(1, sizeof *P);
  if (!P)
    return hg_fail(err, HG_ERR_NOMEM, "problem '%s': out of memory", name);
  P->ops = ops;
  snprintf(owner, sizeof owner, "problem '%s'", ops->name);
  rc = hg_params_parse(ops->params, owner, nwords, words, &P->params, err);
  if (!rc)
    rc = hg_policy_check_words(pol, owner, nwords, words, err);
  if (rc)
    goto done;
  hg_params_set_policy(P->params, pol);
  rc = ops->create(P->params, &P->self, &P->n_w, &P->n_theta, err);
  hg_params_set_policy(P->params, NULL); /* borrowed for the creation only */
  if (rc)
    goto done;
  if (P->n_w <= 0 || P->n_theta <= 0)
    rc = hg_fail(err, HG_ERR_ARG, "problem '%s' has no variables (n_w = %d, n_theta = %d)",
                 ops->name, P->n_w, P->n_theta);

done:
  if (rc)
    hg_problem_destroy(&P);
  *out = P;
  return rc;
}

/* Free P with its plugin state, parameters and theory caches; sets *pp = NULL. */
void hg_problem_destroy(hg_problem **pp)
{
  hg_problem *P = pp ? *pp : NULL;
  if (!P)
    return;
  if (P->self)
    P->ops->destroy(P->self);
  hg_params_destroy(&P->params);
  free(P->theory_key);
  hg_theory_cache_free(P->theory_local);
  free(P);
  *pp = NULL;
}

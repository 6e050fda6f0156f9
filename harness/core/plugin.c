/*
 * plugin.c -- facts derived from the plugins' ops tables, in one place for every caller (runs,
 * verify, the self-test battery, the CLI): whether a method applies to a problem and why not,
 * why a problem's constant is unknown.
 */
#include "hg_core.h"

#include <string.h>

int hg_method_applies(const hg_problem_ops *P, const hg_method_ops *M, hg_error *err)
{
  const char *p = P->name, *m = M->name;

  if ((M->needs & HG_NEEDS_EXACT) && !P->exact)
    return hg_fail(err, HG_ERR_UNSUPPORTED, "method '%s' needs an exact solver, and problem "
                   "'%s' has none", m, p);
  if ((M->needs & HG_NEEDS_SYMMETRIC) && !P->symmetric)
    return hg_fail(err, HG_ERR_UNSUPPORTED, "method '%s' needs a symmetric d_w Phi, and problem "
                   "'%s' is not symmetric (use a non-symmetric solver)", m, p);
  if ((M->needs & HG_NEEDS_SADDLE) && !P->saddle)
    return hg_fail(err, HG_ERR_UNSUPPORTED, "method '%s' needs a saddle-point lower level (the "
                   "saddle op), and problem '%s' has none", m, p);
  if ((M->needs & HG_NEEDS_JVP_THETA) && !P->jvp_theta)
    return hg_fail(err, HG_ERR_UNSUPPORTED, "method '%s' needs jvp_theta, which problem '%s' "
                   "does not provide", m, p);
  if ((M->needs & HG_NEEDS_SAMPLE) && !P->n_items)
    return hg_fail(err, HG_ERR_UNSUPPORTED, "method '%s' needs mini-batches, and problem '%s' "
                   "has no sample ops", m, p);
  for (const hg_not_applicable *na = P->not_applicable; na && na->method; na++)
    if (!strcmp(na->method, m))
      return hg_fail(err, HG_ERR_UNSUPPORTED, "method '%s' does not apply to problem '%s': %s",
                     m, p, na->why);
  return HG_OK;
}

const char *hg_unknown_why(const hg_problem_ops *P, const char *constant)
{
  for (const hg_unknown_constant *u = P->unknown; u && u->constant; u++)
    if (!strcmp(u->constant, constant))
      return u->why;
  return NULL;
}

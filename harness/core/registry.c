/*
 * registry.c -- the one list of plugins (the only read-only global of hgbench).
 *
 * To add a problem or a method: write one .c file ending in a const ops table (copy
 * problems/quadratic.c, methods/hypergrad/jfb.c or methods/outer/hgd.c), then add one line
 * below.
 * Nothing else in the harness names a plugin.
 */
#include "hgbench.h"

#include <string.h>

extern const hg_problem_ops hg_problem_quadratic;
extern const hg_problem_ops hg_problem_ridge;
extern const hg_problem_ops hg_problem_logreg;
extern const hg_problem_ops hg_problem_logreg_multi;
extern const hg_problem_ops hg_problem_kernel_ridge;
extern const hg_problem_ops hg_problem_equilibrium;
extern const hg_problem_ops hg_problem_biased_reg;
extern const hg_problem_ops hg_problem_poison;
extern const hg_problem_ops hg_problem_denoise_tv;
extern const hg_problem_ops hg_problem_deblur_tv;
extern const hg_problem_ops hg_problem_denoise_foe;
extern const hg_problem_ops hg_problem_denoise_tv_pd;

static const hg_entry hg_problems[] = {
  {"quadratic", &hg_problem_quadratic},
  {"ridge", &hg_problem_ridge},
  {"logreg", &hg_problem_logreg},
  {"logreg-multi", &hg_problem_logreg_multi},
  {"kernel-ridge", &hg_problem_kernel_ridge},
  {"equilibrium", &hg_problem_equilibrium},
  {"biased-reg", &hg_problem_biased_reg},
  {"poison", &hg_problem_poison},
  {"denoise-tv", &hg_problem_denoise_tv},
  {"deblur-tv", &hg_problem_deblur_tv},
  {"denoise-foe", &hg_problem_denoise_foe},
  {"denoise-tv-pd", &hg_problem_denoise_tv_pd},
  {NULL, NULL},
};

extern const hg_method_ops hg_method_exact;
extern const hg_method_ops hg_method_itd;
extern const hg_method_ops hg_method_itd_forward;
extern const hg_method_ops hg_method_tbptt;
extern const hg_method_ops hg_method_aid_fp;
extern const hg_method_ops hg_method_aid_cg;
extern const hg_method_ops hg_method_aid_cg_normal;
extern const hg_method_ops hg_method_aid_gmres;
extern const hg_method_ops hg_method_neumann;
extern const hg_method_ops hg_method_jfb;
extern const hg_method_ops hg_method_piggyback;
extern const hg_method_ops hg_method_sid;
extern const hg_method_ops hg_method_fd;

static const hg_entry hg_methods[] = {
  {"exact", &hg_method_exact},
  {"itd", &hg_method_itd},
  {"itd-forward", &hg_method_itd_forward},
  {"tbptt", &hg_method_tbptt},
  {"aid-fp", &hg_method_aid_fp},
  {"aid-cg", &hg_method_aid_cg},
  {"aid-cg-normal", &hg_method_aid_cg_normal},
  {"aid-gmres", &hg_method_aid_gmres},
  {"neumann", &hg_method_neumann},
  {"jfb", &hg_method_jfb},
  {"piggyback", &hg_method_piggyback},
  {"sid", &hg_method_sid},
  {"fd", &hg_method_fd},
  {NULL, NULL},
};

extern const hg_outer_ops hg_outer_hgd;
extern const hg_outer_ops hg_outer_projected;
extern const hg_outer_ops hg_outer_hoag;
extern const hg_outer_ops hg_outer_maid;
extern const hg_outer_ops hg_outer_isgd;

static const hg_entry hg_outers[] = {
  {"hgd", &hg_outer_hgd},
  {"projected", &hg_outer_projected},
  {"hoag", &hg_outer_hoag},
  {"maid", &hg_outer_maid},
  {"isgd", &hg_outer_isgd},
  {NULL, NULL},
};

/* Find name in list; on failure the message lists every known name. */
static const void *find(const hg_entry *list, const char *kind, const char *name, hg_error *err)
{
  char known[256] = "";
  size_t used = 0;

  for (const hg_entry *e = list; e->name; e++) {
    if (name && strcmp(e->name, name) == 0)
      return e->ops;
    int w = snprintf(known + used, sizeof known - used, "%s%s", used ? ", " : "", e->name);
    if (w > 0 && (size_t)w < sizeof known - used)
      used += (size_t)w;
  }
  hg_fail(err, HG_ERR_UNKNOWN, "unknown %s '%s' (known: %s)", kind, name ? name : "(none)",
          known);
  return NULL;
}

const hg_problem_ops *hg_find_problem(const char *name, hg_error *err)
{
  return find(hg_problems, "problem", name, err);
}

const hg_method_ops *hg_find_method(const char *name, hg_error *err)
{
  return find(hg_methods, "method", name, err);
}

const hg_outer_ops *hg_find_outer(const char *name, hg_error *err)
{
  return find(hg_outers, "outer loop", name, err);
}

const hg_entry *hg_problem_list(void)
{
  return hg_problems;
}

const hg_entry *hg_method_list(void)
{
  return hg_methods;
}

const hg_entry *hg_outer_list(void)
{
  return hg_outers;
}

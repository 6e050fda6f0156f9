/*
 * builtin.c -- the one list of built-in plugins (Lua's linit.c): each problem, hypergradient
 * method and outer loop of problems/ and methods/ is named here once, {registry name, ops}.
 *
 * To add a plugin: write one .c file ending in a const ops table (copy problems/quadratic.c,
 * methods/hypergrad/jfb.c or methods/outer/hgd.c), then add one line to its list below.  The
 * harness below this layer (harness/core, harness/io) names no plugin; it finds them through
 * the registry (harness/core/registry.c), filled from these lists by hg_register_builtin.
 */
#include "hg_plugins.h"

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
extern const hg_problem_ops hg_problem_denoise_icnn;

/* The built-in problems, in the order `hgbench list` shows them. */
static const struct {
  const char *name;
  const hg_problem_ops *ops;
} builtin_problems[] = {
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
  {"denoise-icnn", &hg_problem_denoise_icnn},
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

/* The built-in methods, in the order `hgbench list` shows them. */
static const struct {
  const char *name;
  const hg_method_ops *ops;
} builtin_methods[] = {
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
};

extern const hg_outer_ops hg_outer_hgd;
extern const hg_outer_ops hg_outer_projected;
extern const hg_outer_ops hg_outer_hoag;
extern const hg_outer_ops hg_outer_maid;
extern const hg_outer_ops hg_outer_isgd;

/* The built-in outer loops, in the order `hgbench list` shows them. */
static const struct {
  const char *name;
  const hg_outer_ops *ops;
} builtin_outers[] = {
  {"hgd", &hg_outer_hgd},
  {"projected", &hg_outer_projected},
  {"hoag", &hg_outer_hoag},
  {"maid", &hg_outer_maid},
  {"isgd", &hg_outer_isgd},
};

/* Register one list (count entries) with reg, stopping at the first error. */
#define REGISTER_ALL(list, reg)                                                                \
  do {                                                                                         \
    for (size_t i_ = 0; i_ < sizeof list / sizeof list[0]; i_++) {                             \
      int rc_ = reg(list[i_].name, list[i_].ops, err);                                         \
      if (rc_)                                                                                 \
        return rc_;                                                                            \
    }                                                                                          \
  } while (0)

/* Register the three lists in order (see hg_plugins.h); a second call does nothing. */
int hg_register_builtin(hg_error *err)
{
  static int done;

  if (done)
    return HG_OK;
  REGISTER_ALL(builtin_problems, hg_register_problem);
  REGISTER_ALL(builtin_methods, hg_register_method);
  REGISTER_ALL(builtin_outers, hg_register_outer);
  done = 1;
  return HG_OK;
}

/*
 * plugin_bad.c -- broken plugins the loader must refuse with one clear line (tests
 * plugin_error_*), one per macro:
 *   BAD_VERSION  an hg_plugin built for another plugin API version
 *   NO_ENTRY     no hgbench_plugin symbol at all
 *   UNDEFINED    a call to a function no library defines (dlopen RTLD_NOW fails)
 *   DUPLICATE    registers a method under a built-in's name (aid-cg)
 *   BAD_OPS      registers an ops table of another layout (.version)
 */
#include "hgbench.h"

static int compute(hg_problem *P, const hg_params *mp, const double *theta, const double *w0,
                   const hg_budget *b, hg_ctx *ctx, hg_out *out, hg_error *err)
{
  return HG_OK;
}

static const hg_param_spec params[] = {{NULL, 0, NULL, 0, 0, NULL, NULL}};

#ifdef UNDEFINED
void hg_no_such_function(void);
#endif

static const hg_method_ops method = {
#ifdef BAD_OPS
  .version = HG_OPS_VERSION + 100,
#else
  .version = HG_OPS_VERSION,
#endif
  .name = "bad", .summary = "a broken plugin", .params = params, .compute = compute,
};

static int init(const hg_plugin_registrar *reg, hg_error *err)
{
#ifdef UNDEFINED
  hg_no_such_function();
#endif
#ifdef DUPLICATE
  return reg->method("aid-cg", &method, err);
#else
  return reg->method("bad", &method, err);
#endif
}

#if defined(BAD_VERSION)
__attribute__((visibility("default"))) const hg_plugin hgbench_plugin = {
  HG_PLUGIN_API_VERSION + 100, HG_OPS_VERSION, "bad version", init};
#elif !defined(NO_ENTRY)
HG_PLUGIN_DEFINE("bad", init);
#else
int (*keep_init)(const hg_plugin_registrar *, hg_error *) = init;
#endif

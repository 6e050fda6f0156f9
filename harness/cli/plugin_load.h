/*
 * plugin_load.h -- loading plugins from shared objects (harness/cli/plugin_load.c): the
 * `--plugin PATH.so` option and HGBENCH_PLUGIN_PATH of every front end.
 */
#ifndef HG_PLUGIN_LOAD_H
#define HG_PLUGIN_LOAD_H

#include "hg_cli.h"

/* Load the shared object at path and register its entries: dlopen (RTLD_NOW | RTLD_LOCAL),
 * the exported hg_plugin HG_PLUGIN_SYMBOL, its versions checked against this hgbench's before
 * its init is called.  A file that cannot be opened (or has an unresolved symbol), a missing
 * entry point, a version mismatch, a failed init or a duplicate name is HG_ERR_ARG with one
 * sentence naming the file.  The object is never closed (its tables stay registered). */
int hg_plugin_load(const char *path, hg_error *err);

/* Load every plugin of HGBENCH_PLUGIN_PATH (a colon-separated list of .so files or folders
 * of *.so, loaded in name order), then those of the `--plugin PATH` words of argv (anywhere
 * after argv[0]), which are removed from argv (*argc updated).  Call after the built-ins are
 * registered and before hg_registry_freeze. */
int hg_plugins_load(int *argc, char **argv, hg_error *err);

/* Whether a problem, method or outer loop of the given name came from a plugin named by
 * --plugin (not the environment): `selftest --plugin` runs the batteries of those only.
 * hg_plugins_from_args() is the number of such plugins loaded. */
int hg_plugins_from_args(void);
int hg_plugin_gave_method(const char *name);
int hg_plugin_gave_problem(const char *name);

#endif /* HG_PLUGIN_LOAD_H */

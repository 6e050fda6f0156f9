/*
 * hg_plugins.h -- the header of the plugins layer (problems/, methods/, library hg_plugins,
 * above hg_io): how a front end registers the built-in plugins.
 */
#ifndef HG_PLUGINS_H
#define HG_PLUGINS_H

#include "hg_io.h"

/* Register every built-in problem, method and outer loop (harness/plugins/builtin.c) in the
 * order of its list; a front end calls it first thing, then hg_registry_freeze.  A second
 * call does nothing and returns HG_OK; a failure (a duplicate name) names the plugin. */
int hg_register_builtin(hg_error *err);

#endif /* HG_PLUGINS_H */

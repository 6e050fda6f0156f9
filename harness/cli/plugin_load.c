/*
 * plugin_load.c -- plugins from shared objects (DESIGN §2.4): `hgbench --plugin PATH.so` and
 * HGBENCH_PLUGIN_PATH.  A plugin exports one symbol, the hg_plugin HG_PLUGIN_SYMBOL
 * (hgbench.h); its versions are checked before its init registers its entries through the
 * same registry functions as the built-ins.  After loading, the front end freezes the registry.
 */
#include "plugin_load.h"

#include <dirent.h>
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

/* What the plugins named by --plugin added: index ranges [from, to) in the registry lists. */
#define MAX_ARG_PLUGINS 32
static struct {
  int method_from, method_to, problem_from, problem_to;
} given[MAX_ARG_PLUGINS];
static int ngiven;

static int count(const hg_entry *e)
{
  int n = 0;
  while (e[n].name)
    n++;
  return n;
}

int hg_plugin_load(const char *path, hg_error *err)
{
  static const hg_plugin_registrar reg = {hg_register_problem, hg_register_method,
                                          hg_register_outer};
  void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!handle)
    return hg_fail(err, HG_ERR_ARG, "plugin %s: cannot load: %s", path, dlerror());
  const hg_plugin *plugin = dlsym(handle, HG_PLUGIN_SYMBOL);
  if (!plugin) {
    dlclose(handle);
    return hg_fail(err, HG_ERR_ARG, "plugin %s: no entry point '%s' (define it with "
                   "HG_PLUGIN_DEFINE from hgbench.h)", path, HG_PLUGIN_SYMBOL);
  }
  if (plugin->api_version != HG_PLUGIN_API_VERSION || plugin->ops_version != HG_OPS_VERSION) {
    int api = plugin->api_version, ops = plugin->ops_version;
    dlclose(handle);
    return hg_fail(err, HG_ERR_ARG, "plugin %s: built for plugin API %d, ops layout %d; this "
                   "hgbench has plugin API %d, ops layout %d (rebuild it against this "
                   "hgbench.h)", path, api, ops, HG_PLUGIN_API_VERSION, HG_OPS_VERSION);
  }
  if (!plugin->init)
    return hg_fail(err, HG_ERR_ARG, "plugin %s: its hg_plugin has no init", path);
  hg_error ierr;
  hg_error_clear(&ierr);
  /* not closed after a failed init: it may have registered some entries already */
  if (plugin->init(&reg, &ierr))
    return hg_fail(err, HG_ERR_ARG, "plugin %s (%s): %s", path,
                   plugin->name ? plugin->name : "unnamed", ierr.msg);
  return HG_OK;
}

/* Load a command-line plugin, recording the entries it added. */
static int load_given(const char *path, hg_error *err)
{
  int m0 = count(hg_method_list()), p0 = count(hg_problem_list());
  if (ngiven == MAX_ARG_PLUGINS)
    return hg_fail(err, HG_ERR_ARG, "plugin %s: more than %d --plugin options", path,
                   MAX_ARG_PLUGINS);
  int rc = hg_plugin_load(path, err);
  if (!rc) {
    given[ngiven].method_from = m0;
    given[ngiven].method_to = count(hg_method_list());
    given[ngiven].problem_from = p0;
    given[ngiven].problem_to = count(hg_problem_list());
    ngiven++;
  }
  return rc;
}

static int by_name(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One element of HGBENCH_PLUGIN_PATH: a .so file, or a folder whose *.so files load in name
 * order. */
static int load_path_element(const char *elem, hg_error *err)
{
  DIR *d = opendir(elem);
  if (!d)
    return hg_plugin_load(elem, err);
  char **names = NULL;
  size_t n = 0, cap = 0;
  int rc = HG_OK;
  for (struct dirent *e; (e = readdir(d));) {
    size_t len = strlen(e->d_name);
    if (len < 4 || strcmp(e->d_name + len - 3, ".so"))
      continue;
    if (n == cap) {
      char **grown = realloc(names, (cap = cap ? 2 * cap : 8) * sizeof *names);
      if (!grown) {
        rc = hg_fail(err, HG_ERR_NOMEM, "HGBENCH_PLUGIN_PATH: out of memory");
        goto done;
      }
      names = grown;
    }
    size_t plen = strlen(elem) + len + 2;
    if (!(names[n] = malloc(plen))) {
      rc = hg_fail(err, HG_ERR_NOMEM, "HGBENCH_PLUGIN_PATH: out of memory");
      goto done;
    }
    snprintf(names[n++], plen, "%s/%s", elem, e->d_name);
  }
  if (n)
    qsort(names, n, sizeof *names, by_name);
  for (size_t i = 0; i < n && !rc; i++)
    rc = hg_plugin_load(names[i], err);
done:
  for (size_t i = 0; i < n; i++)
    free(names[i]);
  free(names);
  closedir(d);
  return rc;
}

int hg_plugins_load(int *argc, char **argv, hg_error *err)
{
  const char *env = getenv("HGBENCH_PLUGIN_PATH");
  int rc = HG_OK;

  if (env && *env) {
    char *copy = strdup(env), *save = NULL;
    if (!copy)
      return hg_fail(err, HG_ERR_NOMEM, "HGBENCH_PLUGIN_PATH: out of memory");
    for (char *tok = strtok_r(copy, ":", &save); tok && !rc; tok = strtok_r(NULL, ":", &save))
      rc = load_path_element(tok, err);
    free(copy);
  }
  int out = 1;
  for (int i = 1; i < *argc && !rc; i++) {
    if (strcmp(argv[i], "--plugin") && strncmp(argv[i], "--plugin=", 9)) {
      argv[out++] = argv[i];
      continue;
    }
    const char *path = argv[i][8] == '=' ? argv[i] + 9 : i + 1 < *argc ? argv[++i] : NULL;
    if (!path || !*path)
      return hg_fail(err, HG_ERR_ARG, "--plugin needs a PATH.so");
    rc = load_given(path, err);
  }
  if (!rc) {
    *argc = out;
    argv[out] = NULL;
  }
  return rc;
}

int hg_plugins_from_args(void)
{
  return ngiven;
}

/* Whether name is at an index of list inside one of the recorded ranges (offsets of the
 * field pair chosen by from/to). */
static int gave(const hg_entry *list, const char *name, int problems)
{
  for (int i = 0; list[i].name; i++) {
    if (strcmp(list[i].name, name))
      continue;
    for (int g = 0; g < ngiven; g++) {
      int from = problems ? given[g].problem_from : given[g].method_from;
      int to = problems ? given[g].problem_to : given[g].method_to;
      if (i >= from && i < to)
        return 1;
    }
    return 0;
  }
  return 0;
}

int hg_plugin_gave_method(const char *name)
{
  return gave(hg_method_list(), name, 0);
}

int hg_plugin_gave_problem(const char *name)
{
  return gave(hg_problem_list(), name, 1);
}

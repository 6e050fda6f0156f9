/*
 * registry.c -- the registry of plugins (the only global of hgbench): the mechanism only.
 *
 * Core names no plugin.  The built-in plugins are listed once, in the plugins layer
 * (harness/plugins/builtin.c), and registered by hg_register_builtin at start-up; a front end
 * (hgbench's main, each test program) then calls hg_registry_freeze, after which the registry
 * is read-only.  Lookups and the lists go through the functions below; names are unique per
 * kind and the lists keep registration order.
 */
#include "hg_core.h"

#include <stdlib.h>
#include <string.h>

/* One kind of plugin: a NULL-terminated array of entries, grown by realloc. */
typedef struct registry_kind {
  const char *what; /* "problem", "method", "outer loop": for messages */
  hg_entry *list;   /* n entries then {NULL, NULL}; NULL until the first registration */
  int n, cap;
} registry_kind;

static registry_kind problems = {"problem", NULL, 0, 0};
static registry_kind methods = {"method", NULL, 0, 0};
static registry_kind outers = {"outer loop", NULL, 0, 0};
static int frozen;
static const hg_entry empty_list[] = {{NULL, NULL}};

/* Append {name, ops} to kind K; a duplicate name, a NULL name or ops, or a registration after
 * hg_registry_freeze is an error naming the plugin. */
static int add(registry_kind *K, const char *name, const void *ops, int version, hg_error *err)
{
  if (name && ops && version != HG_OPS_VERSION)
    return hg_fail(err, HG_ERR_ARG, "cannot register %s '%s': its ops table follows layout "
                   "version %d, this hgbench version %d (rebuild it against this hgbench.h)",
                   K->what, name, version, HG_OPS_VERSION);
  if (!name || !ops)
    return hg_fail(err, HG_ERR_ARG, "cannot register %s '%s': no %s", K->what,
                   name ? name : "(none)", name ? "ops table" : "name");
  if (frozen)
    return hg_fail(err, HG_ERR_ARG, "cannot register %s '%s': the registry is frozen",
                   K->what, name);
  for (int i = 0; i < K->n; i++)
    if (strcmp(K->list[i].name, name) == 0)
      return hg_fail(err, HG_ERR_ARG, "cannot register %s '%s': the name is taken", K->what,
                     name);
  if (K->n + 1 >= K->cap) {
    int cap = K->cap ? 2 * K->cap : 16;
    hg_entry *grown = realloc(K->list, (size_t)cap * sizeof *grown);
    if (!grown)
      return hg_fail(err, HG_ERR_NOMEM, "cannot register %s '%s': out of memory", K->what,
                     name);
    K->list = grown;
    K->cap = cap;
  }
  K->list[K->n].name = name;
  K->list[K->n].ops = ops;
  K->n++;
  K->list[K->n].name = NULL;
  K->list[K->n].ops = NULL;
  return HG_OK;
}

/* Register a problem (see hg_core.h). */
int hg_register_problem(const char *name, const hg_problem_ops *ops, hg_error *err)
{
  return add(&problems, name, ops, ops ? ops->version : 0, err);
}

/* Register a hypergradient method. */
int hg_register_method(const char *name, const hg_method_ops *ops, hg_error *err)
{
  return add(&methods, name, ops, ops ? ops->version : 0, err);
}

/* Register an outer loop. */
int hg_register_outer(const char *name, const hg_outer_ops *ops, hg_error *err)
{
  return add(&outers, name, ops, ops ? ops->version : 0, err);
}

/* From now on the registry is read-only. */
void hg_registry_freeze(void)
{
  frozen = 1;
}

/* The entries of kind K, NULL-terminated (an empty list before any registration). */
static const hg_entry *entries(const registry_kind *K)
{
  return K->list ? K->list : empty_list;
}

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

/* The problem registered under name, or NULL with an error listing the known ones. */
const hg_problem_ops *hg_find_problem(const char *name, hg_error *err)
{
  return find(entries(&problems), "problem", name, err);
}

/* The method registered under name, or NULL with an error listing the known ones. */
const hg_method_ops *hg_find_method(const char *name, hg_error *err)
{
  return find(entries(&methods), "method", name, err);
}

/* The outer loop registered under name, or NULL with an error listing the known ones. */
const hg_outer_ops *hg_find_outer(const char *name, hg_error *err)
{
  return find(entries(&outers), "outer loop", name, err);
}

/* The registered problems in registration order, ending with {NULL, NULL}. */
const hg_entry *hg_problem_list(void)
{
  return entries(&problems);
}

/* The registered methods, likewise. */
const hg_entry *hg_method_list(void)
{
  return entries(&methods);
}

/* The registered outer loops, likewise. */
const hg_entry *hg_outer_list(void)
{
  return entries(&outers);
}

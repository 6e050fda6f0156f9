/*
 * hglua.c -- the C core of the `hgbench` Lua module (DESIGN §5-6), and hg_lua_run, which runs
 * one scenario script against one hg_scenario.
 *
 * The module has two halves.  This file holds what needs C: problem userdata, hypergradient
 * runs and their results rows, expectations, the plot call, a clock and the seed hash.
 * lua/hgbench.lua (compiled in as hg_prelude_lua) holds what is naturally Lua: sweeps, ranges,
 * plot grouping, expect_below.  The Lua half is loaded as the chunk "=[hgbench]", receives the
 * table of C functions built here as its argument and returns the module (global `hg`, and
 * `require "hgbench"`).
 *
 * Errors.  Scenarios run under lua_pcall with a message handler that appends a traceback
 * (lua.c's msghandler/docall).  An error raised inside the module's Lua half, or by a C
 * function it called, carries the position "[hgbench]:N:"; the handler replaces it with the
 * scenario line that called into the module, so every message reads "file:line: message".
 *
 * Ownership.  Every C resource handed to Lua is a userdata with a named metatable, __gc and
 * __close, created empty before the resource is acquired (liolib.c's newprefile):
 * "hgbench.problem" owns an hg_problem, "hgbench.run" an hg_run in flight.  Scratch arrays
 * are Lua userdata too, so no Lua error is ever raised while malloc'ed memory is held.  The
 * hg_scenario belongs to hg_lua_run; Lua sees it as a light pointer in the registry.
 */
#define _XOPEN_SOURCE 700 /* realpath */
#include "hglua.h"
#include "plugin_load.h"
#include "sweep.h"

#include "hg_prelude.h" /* generated from lua/hgbench.lua: static const char hg_prelude_lua[] */

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PRELUDE_CHUNK "=[hgbench]"      /* chunk name of the Lua half */
#define PRELUDE_POS "[hgbench]:"        /* how its positions start in messages */
#define PROBLEM_MT "hgbench.problem"
#define RUN_MT "hgbench.run"
#define SWEEP_MT "hgbench.sweep"
#define SCENARIO_KEY "hgbench.scenario" /* registry: light pointer to the hg_scenario */
#define WARNED_KEY "hgbench.plot_warned" /* registry: the missing-gnuplot warning was printed */
#define PLAN_KEY "hgbench.plan"     /* registry: light pointer to the hg_plan (sweep.h), or nil */
#define UNITS_KEY "hgbench.units"   /* registry: unit j+1 = {function, problem, options} */
#define VECTORS_KEY "hgbench.vectors" /* registry: key hex -> {hypergrad, exact} read back */

/* A problem handed to Lua.  uservalue 1: the exact-reference cache (see push_reference). */
typedef struct lproblem {
  hg_problem *P;       /* owned; NULL before creation and after close */
  char params[512];    /* the user's key=value words in schema order (no derived seed=): the
                          results.tsv problem_params */
  uint64_t seed;       /* the repetition's seed: the method RNG's, and the problem's seed= when
                          derived; 0 outside sweeps */
  int rep;             /* repetition index (0 outside sweeps) */
  char seed_word[32];  /* "seed=N" when derived and added to the problem's words */
  int data_noted;      /* its data is in the scenario's list (note_data) */
} lproblem;

/* A run in flight: its arrays are malloc'ed by hg_hypergrad. */
typedef struct lrun {
  hg_run run;
} lrun;

/* ------------------------------------------------------------------------------------------ */
/* Small helpers                                                                               */
/* ------------------------------------------------------------------------------------------ */

/* The open scenario, or NULL outside hg_lua_run. */
static hg_scenario *scenario_or_null(lua_State *L)
{
  lua_getfield(L, LUA_REGISTRYINDEX, SCENARIO_KEY);
  hg_scenario *S = lua_touserdata(L, -1);
  lua_pop(L, 1);
  return S;
}

static hg_scenario *scenario(lua_State *L)
{
  hg_scenario *S = scenario_or_null(L);
  if (!S)
    luaL_error(L, "hgbench: no scenario is open (scenarios run through `hgbench run`)");
  return S;
}

#define POLICY_KEY "hgbench.policy" /* registry: light pointer to the run's hg_policy */
#define BINARY_REFUSED "a precompiled (binary) chunk: only Lua source text is loaded"

/* The run's policy (paths, memory, time), or NULL outside hg_lua_run. */
static const hg_policy *policy_or_null(lua_State *L)
{
  lua_getfield(L, LUA_REGISTRYINDEX, POLICY_KEY);
  const hg_policy *pol = lua_touserdata(L, -1);
  lua_pop(L, 1);
  return pol;
}

/* The sweep plan (sweep.h), or NULL for a plain run. */
static hg_plan *plan_or_null(lua_State *L)
{
  lua_getfield(L, LUA_REGISTRYINDEX, PLAN_KEY);
  hg_plan *plan = lua_touserdata(L, -1);
  lua_pop(L, 1);
  return plan;
}

/* 1 in the planning pass: results-dependent calls (expectations, plots, tables) do nothing. */
static int planning(lua_State *L)
{
  const hg_plan *plan = plan_or_null(L);
  return plan && plan->mode == HG_PLAN_RECORD;
}

/* Raise a Lua error unless the policy lets `who` read (write = 0) or write path. */
static void check_path(lua_State *L, const char *path, int write, const char *who)
{
  hg_error err;
  hg_error_clear(&err);
  if (hg_policy_check(policy_or_null(L), path, write, who, &err))
    luaL_error(L, "%s", err.msg);
}

static const hg_param_spec *find_spec(const hg_param_spec *schema, const char *key)
{
  for (; schema && schema->key; schema++)
    if (!strcmp(schema->key, key))
      return schema;
  return NULL;
}

/*
 * The seed of repetition r of problem `name` with parameters `params` (canonical text): from
 * the problem's part of the run key, without file hashes or revisions (hg_run_seed, DESIGN
 * §6: 53 bits, exact as a Lua number and a double, and inside the seed= range [0, 2^53] of
 * the synthetic problems), reduced into the schema's seed= range when that is narrower.
 */
static uint64_t rep_seed(const hg_problem_ops *ops, const char *params, long long r)
{
  uint64_t s = hg_run_seed(ops->name, params, r);
  const hg_param_spec *sp = find_spec(ops->params, "seed");
  if (sp && sp->type == HG_PARAM_INT && !(sp->lo == 0 && sp->hi == 0)) {
    double lo = sp->lo > 0 ? ceil(sp->lo) : 0, hi = floor(sp->hi);
    if (hi >= lo && hi - lo < 9007199254740991.0)
      s = (uint64_t)lo + s % ((uint64_t)(hi - lo) + 1);
  }
  return s;
}

/* x as text that reads back to x: integral values as integers ("1000", not "1e+03"), others
 * with the fewest of 15, 16, 17 significant digits that round-trip (%.17g always does). */
static void fmt_real(double x, char *buf, size_t len)
{
  if (x == floor(x) && fabs(x) < 9007199254740992.0) {
    snprintf(buf, len, "%.0f", x == 0 ? 0.0 : x); /* no "-0" */
    return;
  }
  for (int prec = 15; prec <= 17; prec++) {
    snprintf(buf, len, "%.*g", prec, x);
    if (strtod(buf, NULL) == x)
      return;
  }
}

/* The number at idx as text (integers stay integers); 0 if it is not finite. */
static int fmt_number(lua_State *L, int idx, char *buf, size_t len)
{
  if (lua_isinteger(L, idx)) {
    snprintf(buf, len, LUA_INTEGER_FMT, (LUAI_UACINT)lua_tointeger(L, idx));
    return 1;
  }
  double x = lua_tonumber(L, idx);
  if (!isfinite(x))
    return 0;
  fmt_real(x, buf, len);
  return 1;
}

static int in_list(const char *const *list, const char *s)
{
  for (; list && *list; list++)
    if (!strcmp(*list, s))
      return 1;
  return 0;
}

static int compare_words(const void *a, const void *b)
{
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * The key = value pairs of the table at index t (0: none) as sorted "key=value" words, keys in
 * skip left out.  Values: strings as is, numbers as fmt_number, booleans as 1/0.  Pushes two
 * values, a table holding the word strings (keeping them alive) and a userdata holding the
 * pointer array, which is returned with room for `extra` more words; *n gets the count.  A bad
 * key or value is an argument error on argument arg.
 */
/* The string at idx, refused with an argument error on arg when it holds a NUL byte: C reads
 * only up to it, so "ridge\0x" would silently become "ridge" (and a path its prefix). */
static const char *nul_free(lua_State *L, int idx, int arg, const char *what)
{
  size_t len;
  const char *s = lua_tolstring(L, idx, &len);
  if (s && strlen(s) != len)
    luaL_argerror(L, arg, lua_pushfstring(L, "%s contains a NUL byte", what));
  return s;
}

/* luaL_checkstring(L, arg), refused when it holds a NUL byte. */
static const char *check_text(lua_State *L, int arg, const char *what)
{
  luaL_checkstring(L, arg);
  return nul_free(L, arg, arg, what);
}

static const char **push_words(lua_State *L, int t, int arg, const char *const *skip, int extra,
                               int *n)
{
  int count = 0;
  char num[64];

  lua_newtable(L);
  int wt = lua_gettop(L);
  if (t) {
    lua_pushnil(L);
    while (lua_next(L, t)) {
      if (lua_type(L, -2) != LUA_TSTRING) {
        luaL_argerror(L, arg, lua_pushfstring(L, "parameter keys must be strings, got %s",
                                              luaL_typename(L, -2)));
        return NULL;
      }
      const char *key = nul_free(L, -2, arg, "a parameter key");
      if (!in_list(skip, key)) {
        switch (lua_type(L, -1)) {
        case LUA_TSTRING:
          if (strlen(lua_tostring(L, -1)) != lua_rawlen(L, -1)) {
            luaL_argerror(L, arg, lua_pushfstring(L, "parameter '%s' contains a NUL byte", key));
            return NULL;
          }
          lua_pushfstring(L, "%s=%s", key, lua_tostring(L, -1));
          break;
        case LUA_TBOOLEAN:
          lua_pushfstring(L, "%s=%s", key, lua_toboolean(L, -1) ? "1" : "0");
          break;
        case LUA_TNUMBER:
          if (!fmt_number(L, -1, num, sizeof num)) {
            luaL_argerror(L, arg, lua_pushfstring(L, "parameter '%s' is not a finite number",
                                                  key));
            return NULL;
          }
          lua_pushfstring(L, "%s=%s", key, num);
          break;
        default:
          luaL_argerror(L, arg, lua_pushfstring(L, "parameter '%s' must be a number, a string "
                                                "or a boolean, got %s", key,
                                                luaL_typename(L, -1)));
          return NULL;
        }
        lua_rawseti(L, wt, ++count);
      }
      lua_pop(L, 1);
    }
  }
  const char **w = lua_newuserdatauv(L, (size_t)(count + extra + 1) * sizeof *w, 0);
  for (int i = 0; i < count; i++) {
    lua_rawgeti(L, wt, i + 1);
    w[i] = lua_tostring(L, -1); /* kept alive by the table at wt */
    lua_pop(L, 1);
  }
  qsort(w, (size_t)count, sizeof *w, compare_words);
  *n = count;
  return w;
}

/* Validate words against schema and write their canonical text (given keys in schema order,
 * as hg_params_text) into out; too long for results.tsv is an error. */
static int params_text(const hg_param_spec *schema, const char *owner, int n,
                       const char *const *words, char *out, size_t len, hg_error *err)
{
  hg_params *p = NULL;
  int rc = hg_params_parse(schema, owner, n, words, &p, err);
  if (!rc && (size_t)snprintf(out, len, "%s", hg_params_text(p)) >= len)
    rc = hg_fail(err, HG_ERR_ARG, "%s: parameters '%s' are too long for results.tsv (at most "
                 "%zu characters)", owner, hg_params_text(p), len - 1);
  hg_params_destroy(&p);
  return rc;
}

/* The plugin `name` (kind 'p' problem, 'm' method) with the parameter words of the table at
 * t (0: none; keys in skip left out; room for `extra` more words, e.g. a derived seed=):
 * pushes push_words' two values, fills *words, *n and the canonical text, returns the ops
 * table; unknown names and bad parameters are Lua errors. */
static const void *plugin_words(lua_State *L, char kind, const char *name, int t, int arg,
                                const char *const *skip, int extra, const char ***words, int *n,
                                char *text, size_t len)
{
  hg_error err;
  char owner[96];

  hg_error_clear(&err);
  const hg_problem_ops *P = kind == 'p' ? hg_find_problem(name, &err) : NULL;
  const hg_method_ops *M = kind == 'm' ? hg_find_method(name, &err) : NULL;
  if (!P && !M) {
    luaL_error(L, "%s", err.msg);
    return NULL;
  }
  *words = push_words(L, t, arg, skip, extra, n);
  snprintf(owner, sizeof owner, "%s '%s'", P ? "problem" : "method", P ? P->name : M->name);
  if (params_text(P ? P->params : M->params, owner, *n, *words, text, len, &err))
    luaL_error(L, "%s", err.msg);
  return P ? (const void *)P : (const void *)M;
}

/* opts keys that are not method parameters. */
static const char *const run_keys[] = {
  "method", "t", "k", "K", "theta", "seed", "rep", "tol_lower", "tol_linear", "constants",
  NULL,
};

/* core.check(kind, name [, params]): raise the error hg.problem ("problem") or hg.hypergrad
 * ("method") would raise for this name and these parameters, without creating or running
 * anything (hg.sweep checks its whole list first). */
static int l_check(lua_State *L)
{
  static const char *const kinds[] = {"problem", "method", NULL};
  int kind = luaL_checkoption(L, 1, NULL, kinds), n = 0;
  const char *name = check_text(L, 2, "the name");
  const char **words;
  hg_record rec; /* for the sizes of its parameter texts */

  if (!lua_isnoneornil(L, 3))
    luaL_checktype(L, 3, LUA_TTABLE);
  lua_settop(L, 3);
  int t = lua_istable(L, 3) ? 3 : 0;
  if (kind == 0)
    plugin_words(L, 'p', name, t, 3, NULL, 1, &words, &n, rec.problem_params,
                 sizeof rec.problem_params);
  else
    plugin_words(L, 'm', name, t, 3, run_keys, 0, &words, &n, rec.method_params,
                 sizeof rec.method_params);
  return 0;
}

/* Integer field `key` of the table at t into *out (absent: unchanged), within [lo, hi]. */
static void opt_int_field(lua_State *L, int t, int arg, const char *key, long long lo,
                          long long hi, long long *out)
{
  int isint = 0;
  if (lua_getfield(L, t, key) != LUA_TNIL) {
    lua_Integer v = lua_tointegerx(L, -1, &isint);
    if (!isint || v < lo || v > hi)
      luaL_argerror(L, arg, lua_pushfstring(L, "field '%s' must be an integer >= %I, got %s",
                                            key, (lua_Integer)lo, lua_type(L, -1) == LUA_TNUMBER
                                            ? lua_tostring(L, -1) : luaL_typename(L, -1)));
    *out = v;
  }
  lua_pop(L, 1);
}

static void opt_budget_int(lua_State *L, int t, int arg, const char *key, int *out)
{
  long long v = *out;
  opt_int_field(L, t, arg, key, 0, 0x7fffffff, &v);
  *out = (int)v;
}

/* A tolerance field: a finite number >= 0 (absent: unchanged). */
static void opt_tol_field(lua_State *L, int t, int arg, const char *key, double *out)
{
  if (lua_getfield(L, t, key) != LUA_TNIL) {
    double v = lua_tonumber(L, -1);
    if (lua_type(L, -1) != LUA_TNUMBER || !isfinite(v) || v < 0)
      luaL_argerror(L, arg, lua_pushfstring(L, "field '%s' must be a finite number >= 0, "
                                            "got %s", key, luaL_typename(L, -1)));
    *out = v;
  }
  lua_pop(L, 1);
}

static void set_num(lua_State *L, const char *key, double x)
{
  lua_pushnumber(L, x);
  lua_setfield(L, -2, key);
}

static void set_int(lua_State *L, const char *key, long long x)
{
  lua_pushinteger(L, (lua_Integer)x);
  lua_setfield(L, -2, key);
}

static void set_str(lua_State *L, const char *key, const char *s)
{
  lua_pushstring(L, s);
  lua_setfield(L, -2, key);
}

static void set_bool(lua_State *L, const char *key, int b)
{
  lua_pushboolean(L, b);
  lua_setfield(L, -2, key);
}

static void set_array(lua_State *L, const char *key, int n, const double *x)
{
  lua_createtable(L, n, 0);
  for (int i = 0; i < n; i++) {
    lua_pushnumber(L, x[i]);
    lua_rawseti(L, -2, i + 1);
  }
  lua_setfield(L, -2, key);
}

/* The innermost stack level running the scenario's own Lua code (not C, not the module's Lua
 * half), in ar with "Sl" filled; 0 if there is none. */
static int user_level(lua_State *L, lua_Debug *ar)
{
  for (int level = 1; lua_getstack(L, level, ar); level++) {
    lua_getinfo(L, "Sl", ar);
    if (ar->currentline > 0 && strcmp(ar->source, PRELUDE_CHUNK) != 0)
      return 1;
  }
  return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* hgbench.problem                                                                             */
/* ------------------------------------------------------------------------------------------ */

/* An empty problem userdata, pushed (the resource is acquired after). */
static lproblem *new_problem(lua_State *L)
{
  lproblem *up = lua_newuserdatauv(L, sizeof *up, 1);
  memset(up, 0, sizeof *up);
  luaL_setmetatable(L, PROBLEM_MT);
  lua_newtable(L);
  lua_setiuservalue(L, -2, 1);
  return up;
}

/* Argument arg as an open problem: "problem expected, got nil" otherwise. */
static lproblem *check_problem(lua_State *L, int arg)
{
  lproblem *up = luaL_testudata(L, arg, PROBLEM_MT);
  if (!up) {
    luaL_typeerror(L, arg, "problem");
    return NULL;
  }
  if (!up->P)
    luaL_argerror(L, arg, "problem is closed");
  return up;
}

static int problem_gc(lua_State *L)
{
  lproblem *up = luaL_checkudata(L, 1, PROBLEM_MT);
  hg_problem_destroy(&up->P);
  return 0;
}

/* P:close(): free the problem now (also `local P <close> = hg.problem(...)`). */
static int problem_close(lua_State *L)
{
  if (planning(L)) /* its units may still run (sweep.h): freed with the state */
    return 0;
  problem_gc(L);
  lua_newtable(L); /* drop the reference cache */
  lua_setiuservalue(L, 1, 1);
  return 0;
}

static int problem_tostring(lua_State *L)
{
  lproblem *up = luaL_checkudata(L, 1, PROBLEM_MT);
  if (!up->P)
    lua_pushliteral(L, "problem (closed)");
  else
    lua_pushfstring(L, "problem %s%s%s (n_w = %d, n_theta = %d)", up->P->ops->name,
                    *up->params ? " " : "", up->params, up->P->n_w, up->P->n_theta);
  return 1;
}

/* P.name, P.n_w, P.n_theta, P.params, P.seed, P.rep; otherwise the methods (upvalue 1). */
static int problem_index(lua_State *L)
{
  lproblem *up = luaL_checkudata(L, 1, PROBLEM_MT);
  const char *key = lua_tostring(L, 2);
  if (key && up->P) {
    if (!strcmp(key, "name"))
      return lua_pushstring(L, up->P->ops->name), 1;
    if (!strcmp(key, "n_w"))
      return lua_pushinteger(L, up->P->n_w), 1;
    if (!strcmp(key, "n_theta"))
      return lua_pushinteger(L, up->P->n_theta), 1;
    if (!strcmp(key, "params"))
      return lua_pushstring(L, up->params), 1;
    if (!strcmp(key, "seed"))
      return lua_pushinteger(L, (lua_Integer)up->seed), 1;
    if (!strcmp(key, "rep"))
      return lua_pushinteger(L, up->rep), 1;
  }
  lua_pushvalue(L, 2);
  lua_gettable(L, lua_upvalueindex(1));
  return 1;
}

/*
 * hg.problem(name [, params [, rep]]): a problem from the registry.  params: a table of
 * key = value (numbers, strings, booleans).  rep (used by hg.sweep): the repetition index;
 * the problem then gets the repetition's seed (rep_seed), which becomes its seed= when the
 * schema has one and params does not set it, and the default seed of its runs' method RNG.
 */
static int l_problem(lua_State *L)
{
  const char *name = check_text(L, 1, "the problem name");
  int has_params = !lua_isnoneornil(L, 2), n = 0;
  lua_Integer rep = -1;
  const char **words;
  hg_error err;

  if (has_params)
    luaL_checktype(L, 2, LUA_TTABLE);
  if (!lua_isnoneornil(L, 3)) {
    rep = luaL_checkinteger(L, 3);
    luaL_argcheck(L, rep >= 0 && rep <= 0x7fffffff, 3, "repetition must be >= 0");
  }
  lua_settop(L, 3);
  hg_error_clear(&err);
  lproblem *up = new_problem(L);
  int ui = lua_gettop(L);
  const hg_problem_ops *ops = plugin_words(L, 'p', name, has_params ? 2 : 0, 2, NULL, 1,
                                            &words, &n, up->params, sizeof up->params);
  if (rep >= 0) {
    const hg_param_spec *sp = find_spec(ops->params, "seed");
    up->rep = (int)rep;
    up->seed = rep_seed(ops, up->params, rep);
    if (sp && sp->type == HG_PARAM_INT && (!has_params || lua_getfield(L, 2, "seed") == LUA_TNIL)) {
      snprintf(up->seed_word, sizeof up->seed_word, "seed=%llu", (unsigned long long)up->seed);
      words[n++] = up->seed_word;
    }
  }
  if (hg_problem_create_under(ops->name, n, words, policy_or_null(L), &up->P, &err))
    return luaL_error(L, "%s", err.msg);
  lua_pushvalue(L, ui);
  return 1;
}

/* core.rep_seed(P, r): the seed of repetition r of an existing problem (for hg.sweep over
 * problem userdata). */
static int l_rep_seed(lua_State *L)
{
  lproblem *up = check_problem(L, 1);
  lua_Integer r = luaL_checkinteger(L, 2);
  lua_pushinteger(L, (lua_Integer)rep_seed(up->P->ops, up->params, (long long)r));
  return 1;
}

/*
 * theta from the value at idx: nil (the problem's theta0), a number (broadcast), an array of
 * n_theta numbers, or "@FILE" (one number per line).  Pushes a userdata of n_theta doubles and
 * returns it; rec gets what results.tsv records ("theta0", the number, "@FILE", or
 * "table:<FNV-1a of the values>").  Mistakes are argument errors on arg naming `what`.
 */
static double *push_theta(lua_State *L, const lproblem *up, int idx, int arg, const char *what,
                          char *rec, size_t reclen)
{
  hg_problem *P = up->P;
  int m = P->n_theta;
  hg_error err;
  int type = lua_type(L, idx); /* before the push below, which may land at idx */
  double *theta = lua_newuserdatauv(L, (size_t)m * sizeof *theta, 0);

  hg_error_clear(&err);
  switch (type) {
  case LUA_TNONE:
  case LUA_TNIL:
    P->ops->theta0(P->self, theta);
    snprintf(rec, reclen, "theta0");
    break;
  case LUA_TNUMBER:
    if (!fmt_number(L, idx, rec, reclen))
      luaL_argerror(L, arg, lua_pushfstring(L, "%s must be a finite number", what));
    for (int i = 0; i < m; i++)
      theta[i] = lua_tonumber(L, idx);
    break;
  case LUA_TSTRING: {
    const char *s = nul_free(L, idx, arg, what);
    if (s[0] != '@')
      luaL_argerror(L, arg, lua_pushfstring(L, "%s must be a number, an array of numbers or "
                                            "'@FILE', got '%s'", what, s));
    if (strlen(s) >= reclen)
      luaL_argerror(L, arg, lua_pushfstring(L, "%s: file name '%s' too long", what, s));
    check_path(L, s + 1, 0, what);
    if (hg_regular_file(s + 1, what, &err) || hg_theta_parse(s, m, theta, &err))
      luaL_error(L, "%s", err.msg);
    snprintf(rec, reclen, "%s", s);
    break;
  }
  case LUA_TTABLE: {
    lua_Integer len = luaL_len(L, idx);
    if (len != m)
      luaL_argerror(L, arg, lua_pushfstring(L, "%s has %I entries, but problem '%s' has "
                                            "n_theta = %d", what, len, P->ops->name, m));
    for (int i = 0; i < m; i++) {
      int isnum = 0;
      lua_geti(L, idx, i + 1);
      theta[i] = lua_tonumberx(L, -1, &isnum);
      if (!isnum || !isfinite(theta[i]))
        luaL_argerror(L, arg, lua_pushfstring(L, "%s[%d] must be a finite number, got %s", what,
                                              i + 1, luaL_typename(L, -1)));
      lua_pop(L, 1);
    }
    snprintf(rec, reclen, "table:%016llx",
             (unsigned long long)hg_fnv1a(HG_FNV_OFFSET, theta, (size_t)m * sizeof *theta));
    break;
  }
  default:
    luaL_argerror(L, arg, lua_pushfstring(L, "%s must be nil, a number, an array of numbers or "
                                          "'@FILE', got %s", what, lua_typename(L, type)));
  }
  return theta;
}

/* P:info([theta]): dimensions and constants at theta (NaN where unknown). */
static int problem_info(lua_State *L)
{
  lproblem *up = check_problem(L, 1);
  hg_problem *P = up->P;
  hg_constants c;
  hg_error err;
  char rec[128], desc[512] = "";
  lua_settop(L, 2);
  const double *theta = push_theta(L, up, 2, 2, "theta", rec, sizeof rec);

  hg_error_clear(&err);
  hg_constants_unknown(&c);
  if (P->ops->constants && hg_problem_constants(P, theta, &c, &err))
    return luaL_error(L, "%s", err.msg);
  if (P->ops->describe)
    P->ops->describe(P->self, desc, sizeof desc);
  lua_createtable(L, 0, 16);
  set_str(L, "name", P->ops->name);
  set_str(L, "summary", P->ops->summary);
  set_str(L, "params", up->params);
  set_str(L, "theta", rec);
  set_int(L, "n_w", P->n_w);
  set_int(L, "n_theta", P->n_theta);
  set_num(L, "step", c.step);
  set_num(L, "mu", c.mu);
  set_num(L, "L", c.L);
  set_num(L, "kappa", c.kappa);
  set_num(L, "q", c.q);
  set_bool(L, "exact_mu_L", c.exact_mu_L);
  set_bool(L, "symmetric", P->ops->symmetric);
  set_bool(L, "has_exact", P->ops->exact != NULL);
  set_str(L, "description", desc);
  return 1;
}

/* P:check([theta [, seed]]): finite-difference checks of every callback. */
static int problem_check(lua_State *L)
{
  lproblem *up = check_problem(L, 1);
  lua_Integer seed = luaL_optinteger(L, 3, 0);
  hg_check_report rep;
  hg_error err;
  char rec[128];
  lua_settop(L, 3);
  const double *theta = push_theta(L, up, 2, 2, "theta", rec, sizeof rec);

  hg_error_clear(&err);
  if (hg_check(up->P, theta, (uint64_t)seed, &rep, &err))
    return luaL_error(L, "%s", err.msg);
  lua_createtable(L, 0, 2);
  set_bool(L, "all_pass", rep.all_pass);
  lua_createtable(L, rep.nrows, 0);
  for (int i = 0; i < rep.nrows; i++) {
    lua_createtable(L, 0, 4);
    set_str(L, "what", rep.rows[i].what);
    set_num(L, "error", rep.rows[i].error);
    set_num(L, "tol", rep.rows[i].tol);
    set_bool(L, "pass", rep.rows[i].pass);
    lua_rawseti(L, -2, i + 1);
  }
  lua_setfield(L, -2, "rows");
  return 1;
}

/* P:images(): {N=, w=, h=, clean = {image_1, ...}, noisy = {...}} with each image an array of
 * w h grey levels (row-major), for an imaging problem; an error for any other. */
static int problem_images(lua_State *L)
{
  lproblem *up = check_problem(L, 1);
  hg_image_set set;
  if (!up->P->ops->images)
    return luaL_error(L, "P:images(): problem '%s' has no images", up->P->ops->name);
  up->P->ops->images(up->P->self, &set);
  int P = set.w * set.h;
  lua_createtable(L, 0, 5);
  lua_pushinteger(L, set.N);
  lua_setfield(L, -2, "N");
  lua_pushinteger(L, set.w);
  lua_setfield(L, -2, "w");
  lua_pushinteger(L, set.h);
  lua_setfield(L, -2, "h");
  for (int k = 0; k < 2; k++) {
    const double *a = k ? set.noisy : set.clean;
    lua_createtable(L, set.N, 0);
    for (int i = 0; i < set.N; i++) {
      lua_createtable(L, P, 0);
      for (int j = 0; j < P; j++) {
        lua_pushnumber(L, a[(size_t)i * P + j]);
        lua_rawseti(L, -2, j + 1);
      }
      lua_rawseti(L, -2, i + 1);
    }
    lua_setfield(L, -2, k ? "noisy" : "clean");
  }
  return 1;
}

/* P:solve([theta]): {w = w*(theta), hypergrad = grad f(theta)} from the problem's exact op. */
static int problem_solve(lua_State *L)
{
  lproblem *up = check_problem(L, 1);
  hg_error err;
  char rec[128];
  lua_settop(L, 2);
  const double *theta = push_theta(L, up, 2, 2, "theta", rec, sizeof rec);
  int n = up->P->n_w, m = up->P->n_theta;
  double *buf = lua_newuserdatauv(L, (size_t)(n + m) * sizeof *buf, 0);
  hg_error_clear(&err);
  if (hg_exact(up->P, theta, buf, buf + n, &err))
    return luaL_error(L, "%s", err.msg);
  lua_createtable(L, 0, 2);
  set_array(L, "w", n, buf);
  set_array(L, "hypergrad", m, buf + n);
  return 1;
}

/* ------------------------------------------------------------------------------------------ */
/* Runs                                                                                        */
/* ------------------------------------------------------------------------------------------ */

static int run_gc(lua_State *L)
{
  lrun *box = luaL_checkudata(L, 1, RUN_MT);
  hg_run_release(&box->run);
  return 0;
}

/* An empty run box, pushed: hg_hypergrad fills it, __gc releases it even after an error. */
static lrun *new_run(lua_State *L)
{
  lrun *box = lua_newuserdatauv(L, sizeof *box, 0);
  memset(box, 0, sizeof *box);
  luaL_setmetatable(L, RUN_MT);
  return box;
}

/*
 * The exact hypergradient of up's problem at theta, solved once per theta: the problem's
 * uservalue maps theta's bytes to a userdata of n_theta + n_w doubles (the hypergradient, then
 * w*), or to {status, message} when the exact solve failed.  Pushes the cached value (nil when
 * the problem has no exact op) and sets *ref and *wstar (NULL without one); returns the solve's
 * status with err filled.
 */
static int push_reference(lua_State *L, int ui, const lproblem *up, const double *theta,
                          const double **ref, const double **wstar, hg_error *err)
{
  hg_problem *P = up->P;
  size_t m = (size_t)P->n_theta;
  int rc = HG_OK;

  *ref = *wstar = NULL;
  if (!P->ops->exact) {
    lua_pushnil(L);
    return HG_OK;
  }
  lua_getiuservalue(L, ui, 1);
  int cache = lua_gettop(L);
  lua_pushlstring(L, (const char *)theta, m * sizeof *theta);
  int key = lua_gettop(L);
  lua_pushvalue(L, key);
  if (lua_rawget(L, cache) == LUA_TNIL) {
    lua_pop(L, 1);
    double *g = lua_newuserdatauv(L, (m + (size_t)P->n_w) * sizeof *g, 0);
    rc = hg_exact(P, theta, g + m, g, err);
    if (rc) {
      lua_pop(L, 1);
      lua_createtable(L, 2, 0);
      lua_pushinteger(L, rc);
      lua_rawseti(L, -2, 1);
      lua_pushstring(L, err->msg);
      lua_rawseti(L, -2, 2);
    }
    lua_pushvalue(L, key);
    lua_pushvalue(L, -2);
    lua_rawset(L, cache);
  }
  if (lua_type(L, -1) == LUA_TUSERDATA) {
    *ref = lua_touserdata(L, -1);
    *wstar = *ref + m;
  } else {
    lua_rawgeti(L, -1, 1);
    lua_rawgeti(L, -2, 2);
    rc = hg_fail(err, (int)lua_tointeger(L, -2), "%s", lua_tostring(L, -1));
    lua_pop(L, 2);
  }
  lua_replace(L, cache); /* keep only the value */
  lua_settop(L, cache);
  return rc;
}

/* A run is made on up: its data joins the scenario's list (manifest.json "data", report.md),
 * once per problem. */
static void note_data(lua_State *L, hg_scenario *S, lproblem *up)
{
  hg_error err;
  hg_error_clear(&err);
  if (up->data_noted)
    return;
  if (hg_scenario_add_data(S, up->P, up->params, &err))
    luaL_error(L, "%s", err.msg);
  up->data_noted = 1;
}

/* Push the run table of DESIGN §5 for a results row (grad and exact: arrays or NULL). */
static void push_run_table(lua_State *L, const lproblem *up, const hg_record *r,
                           const double *grad, const double *exact)
{
  lua_createtable(L, 0, 40);
  set_str(L, "problem", r->problem);
  set_str(L, "problem_params", r->problem_params);
  set_str(L, "method", r->method);
  set_str(L, "method_params", r->method_params);
  set_str(L, "theta", r->theta);
  set_int(L, "t", r->t);
  set_int(L, "k", r->k);
  set_int(L, "n_w", up->P->n_w);
  set_int(L, "n_theta", up->P->n_theta);
  set_num(L, "value", r->value);
  if (grad)
    set_array(L, "hypergrad", up->P->n_theta, grad);
  if (exact)
    set_array(L, "exact", up->P->n_theta, exact);
  set_num(L, "rel_error", r->rel_error);
  set_num(L, "abs_error", r->abs_error);
  set_num(L, "bound", r->bound);
  set_num(L, "eps", r->eps);
  set_num(L, "delta", r->delta);
  set_num(L, "omega", r->omega);
  set_bool(L, "bound_violated", r->bound_violated);
  set_str(L, "constants", r->local_constants ? "local" : "global");
  set_num(L, "wall_s", r->wall_s);
  lua_createtable(L, 0, 6);
  set_int(L, "phi", r->counts.phi);
  set_int(L, "jvp_w", r->counts.jvp_w);
  set_int(L, "vjp_w", r->counts.vjp_w);
  set_int(L, "vjp_theta", r->counts.vjp_theta);
  set_int(L, "jvp_theta", r->counts.jvp_theta);
  lua_setfield(L, -2, "counts");
  set_int(L, "calls", hg_record_calls(r));
  set_int(L, "peak_bytes", (long long)r->peak_bytes);
  set_str(L, "status", hg_status_word(r->status));
  if (r->message[0])
    set_str(L, "message", r->message);
  set_int(L, "seed", (long long)r->seed);
  set_int(L, "rep", r->rep);
  set_int(L, "t_budget", r->t_budget);
  set_int(L, "k_budget", r->k_budget);
  set_int(L, "K", r->K);
  set_num(L, "tol_lower", r->tol_lower);
  set_num(L, "tol_linear", r->tol_linear);
  set_num(L, "q", r->q);
  set_num(L, "kappa", r->kappa);
  set_num(L, "mu", r->mu);
  set_num(L, "L", r->L);
  set_int(L, "problem_rev", r->problem_rev);
  set_int(L, "method_rev", r->method_rev);
}

/* ------------------------------------------------------------------------------------------ */
/* Sweeps: units of the planning pass, placeholders, the vectors of resumed runs (sweep.h)     */
/* ------------------------------------------------------------------------------------------ */

/* A deep copy of the table at idx (tables copied, other values shared; depth-limited), pushed:
 * a unit keeps its options as they were when the script asked for the run. */
static void copy_table(lua_State *L, int idx, int depth)
{
  idx = lua_absindex(L, idx);
  luaL_checkstack(L, 4, "copying run options");
  lua_newtable(L);
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pushvalue(L, -2);
    if (lua_type(L, -2) == LUA_TTABLE && depth > 0)
      copy_table(L, -2, depth - 1);
    else
      lua_pushvalue(L, -2);
    lua_rawset(L, -5);
    lua_pop(L, 1);
  }
}

/* Record the call (the C function fn on the problem at 1 and the options at 2) as unit u of
 * the plan, to be executed later by exec_unit. */
static void plan_unit(lua_State *L, hg_plan *plan, lua_CFunction fn, const hg_unit *u)
{
  hg_error err;
  int added;
  hg_error_clear(&err);
  if (hg_plan_add(plan, u, &added, &err))
    luaL_error(L, "%s", err.msg);
  if (!added) /* asked for before: that unit runs it */
    return;
  lua_getfield(L, LUA_REGISTRYINDEX, UNITS_KEY);
  lua_createtable(L, 3, 0);
  lua_pushcfunction(L, fn);
  lua_rawseti(L, -2, 1);
  lua_pushvalue(L, 1);
  lua_rawseti(L, -2, 2);
  copy_table(L, 2, 8);
  lua_rawseti(L, -2, 3);
  lua_rawseti(L, -2, plan->n);
  lua_pop(L, 1);
}

static int msghandler(lua_State *L);

/* Execute unit j of the plan (hg_plan.exec): the recorded call, with the scenario answering
 * it when its results are in the folder already. */
static int exec_unit(hg_plan *plan, int j, hg_error *err)
{
  lua_State *L = plan->lua;
  int top = lua_gettop(L);
  lua_pushcfunction(L, msghandler);
  lua_getfield(L, LUA_REGISTRYINDEX, UNITS_KEY);
  lua_rawgeti(L, -1, j + 1);
  lua_remove(L, -2);
  for (int i = 1; i <= 3; i++)
    lua_rawgeti(L, top + 2, i);
  lua_remove(L, top + 2);
  int status = lua_pcall(L, 2, 0, top + 1);
  int rc = HG_OK;
  if (status != LUA_OK) {
    const char *msg = lua_tostring(L, -1);
    const char *tb = msg ? strstr(msg, "\nstack traceback:\n") : NULL;
    rc = hg_fail(err, status == LUA_ERRMEM ? HG_ERR_NOMEM : HG_ERR_ARG, "run %d (%s): %.*s",
                 j + 1, plan->units[j].what, msg ? (tb ? (int)(tb - msg) : (int)strlen(msg)) : 0,
                 msg ? msg : "(no message)");
  }
  lua_settop(L, top);
  return rc;
}

/* The run table of a run not made: r's key fields, NaN numbers, status `word` ("planned" in
 * the planning pass, "missing" in a reporting pass over a folder that lacks it). */
static void push_placeholder(lua_State *L, const lproblem *up, const hg_record *key,
                             const char *word)
{
  hg_record r = *key;
  r.rel_error = r.abs_error = r.bound = r.value = r.wall_s = NAN;
  r.eps = r.delta = r.omega = r.q = r.kappa = r.mu = r.L = NAN;
  push_run_table(L, up, &r, NULL, NULL);
  set_str(L, "status", word);
}

static void vector_row(void *ctx, uint64_t key, int n, const double *grad, const double *exact)
{
  lua_State *L = ctx;
  char hex[17];
  snprintf(hex, sizeof hex, "%016llx", (unsigned long long)key);
  lua_createtable(L, 0, 2);
  set_array(L, "hypergrad", n, grad);
  if (exact)
    set_array(L, "exact", n, exact);
  lua_setfield(L, -2, hex);
}

/* Set the fields hypergrad and exact of the run table on top from the folder's vectors.tsv
 * (read once), when it holds those of the run with full key `key`: hg.mse's bias of resumed
 * runs then equals a fresh run's. */
static void resumed_vectors(lua_State *L, hg_scenario *S, uint64_t key)
{
  char hex[17];
  if (!S->outdir[0])
    return;
  if (lua_getfield(L, LUA_REGISTRYINDEX, VECTORS_KEY) == LUA_TNIL) {
    lua_pop(L, 1);
    lua_newtable(L);
    hg_vectors_read(S->outdir, vector_row, L);
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, VECTORS_KEY);
  }
  snprintf(hex, sizeof hex, "%016llx", (unsigned long long)key);
  if (lua_getfield(L, -1, hex) == LUA_TTABLE)
    for (int i = 0; i < 2; i++) {
      const char *field = i ? "exact" : "hypergrad";
      if (lua_getfield(L, -1, field) == LUA_TTABLE) {
        copy_table(L, -1, 0);
        lua_setfield(L, -5, field);
      }
      lua_pop(L, 1);
    }
  lua_pop(L, 2);
}

/*
 * hg.hypergrad(P, opts): one hypergradient, recorded in results.tsv, or the recorded row when
 * the scenario already has one with the same key (resume: not run again, skipped = true).  A
 * recorded row of the same base key from other input files or plugin revisions is stale: the
 * run is made again (redone = true) and its row replaces that one (DESIGN §6).  A
 * failed run (non-contractive, breakdown, NaN, a method the problem cannot serve...) is
 * recorded with its status and returned; bad arguments are Lua errors.
 */
static int l_hypergrad(lua_State *L)
{
  lproblem *up = check_problem(L, 1);
  hg_problem *P = up->P;
  hg_scenario *S;
  hg_record rec;
  hg_budget b;
  hg_error err;
  long long seed = (long long)up->seed, rep = up->rep;
  int nw = 0, rc;
  const double *ref = NULL, *wstar = NULL;

  luaL_checktype(L, 2, LUA_TTABLE);
  lua_settop(L, 2);
  S = scenario(L);
  hg_error_clear(&err);
  memset(&rec, 0, sizeof rec);
  hg_budget_default(&b);
  note_data(L, S, up);

  /* the method and its parameter words */
  if (lua_getfield(L, 2, "method") != LUA_TSTRING)
    return luaL_argerror(L, 2, lua_pushfstring(L, "field 'method' must be a method name, got %s",
                                               luaL_typename(L, -1)));
  const char **words;
  const hg_method_ops *M = plugin_words(L, 'm', nul_free(L, -1, 2, "field 'method'"), 2, 2,
                                        run_keys, 0,
                                        &words, &nw, rec.method_params,
                                        sizeof rec.method_params);

  /* budget, seed, repetition, theta */
  opt_budget_int(L, 2, 2, "t", &b.t);
  opt_budget_int(L, 2, 2, "k", &b.k);
  opt_budget_int(L, 2, 2, "K", &b.K);
  opt_tol_field(L, 2, 2, "tol_lower", &b.tol_lower);
  opt_tol_field(L, 2, 2, "tol_linear", &b.tol_linear);
  opt_int_field(L, 2, 2, "seed", 0, LUA_MAXINTEGER, &seed);
  opt_int_field(L, 2, 2, "rep", 0, 0x7fffffff, &rep);
  /* constants = "global" (default) or "local": what the bound is built from */
  int ctype = lua_getfield(L, 2, "constants");
  const char *cname = ctype == LUA_TNIL ? "global" : lua_tostring(L, -1);
  if (ctype != LUA_TNIL && (ctype != LUA_TSTRING || (strcmp(cname, "global") &&
                                                     strcmp(cname, "local"))))
    return luaL_argerror(L, 2, "field 'constants' must be \"global\" or \"local\"");
  rec.local_constants = !strcmp(cname, "local");
  lua_pop(L, 1);
  lua_getfield(L, 2, "theta");
  const double *theta = push_theta(L, up, lua_gettop(L), 2, "field 'theta'", rec.theta,
                                   sizeof rec.theta);

  snprintf(rec.problem, sizeof rec.problem, "%s", P->ops->name);
  snprintf(rec.problem_params, sizeof rec.problem_params, "%s", up->params);
  snprintf(rec.method, sizeof rec.method, "%s", M->name);
  rec.seed = (uint64_t)seed;
  rec.rep = (int)rep;
  rec.t_budget = b.t;
  rec.k_budget = b.k;
  rec.K = b.K;
  rec.tol_lower = b.tol_lower;
  rec.tol_linear = b.tol_linear;
  rec.problem_rev = P->ops->revision;
  rec.method_rev = M->revision;

  int stale = 0;
  const hg_record *old = hg_scenario_find(S, &rec, &stale);
  hg_plan *plan = plan_or_null(L);
  if (plan && plan->mode != HG_PLAN_EXEC) { /* a unit of the list (reporting: its order) */
    hg_unit u;
    memset(&u, 0, sizeof u);
    u.kind = 'h';
    u.key = hg_run_key(&rec, 1, NULL, 0);
    u.base = hg_run_key(&rec, 0, NULL, 0);
    hg_estimate_run(P->n_w, P->n_theta, &b, &u.cost, &u.mem);
    snprintf(u.what, sizeof u.what, "%s %s t=%d k=%d rep=%d", rec.problem, rec.method, b.t, b.k,
             rec.rep);
    if (plan->mode != HG_PLAN_RECORD) {
      hg_error_clear(&err);
      if (hg_plan_add(plan, &u, NULL, &err))
        return luaL_error(L, "%s", err.msg);
    } else { /* the planning pass: a unit, not a run */
      plan_unit(L, plan, l_hypergrad, &u);
      push_placeholder(L, up, &rec, "planned");
      return 1;
    }
  }
  if (old) {
    S->n_skipped++;
    push_run_table(L, up, old, NULL, NULL);
    set_bool(L, "skipped", 1);
    resumed_vectors(L, S, hg_run_key(old, 1, NULL, 0));
    return 1;
  }
  if (plan && plan->mode == HG_PLAN_REPORT) { /* not in the collected results: not run here */
    plan->n_missing++;
    push_placeholder(L, up, &rec, "missing");
    return 1;
  }
  if (plan && plan->mode == HG_PLAN_EXEC)
    plan->n_ran++;

  rc = push_reference(L, 1, up, theta, &ref, &wstar, &err);
  lrun *box = new_run(L);
  hg_run *run = &box->run;
  if (!rc) {
    hg_run_opts o;
    memset(&o, 0, sizeof o);
    o.seed = (uint64_t)seed;
    o.reference = ref;
    o.wstar = wstar;
    o.local_constants = rec.local_constants;
    o.with_reference = ref != NULL;
    const hg_policy *pol = policy_or_null(L);
    o.mem_cap = pol ? pol->mem_cap : 0;
    o.deadline = pol ? pol->deadline : 0;
    rc = hg_hypergrad(P, M->name, nw, words, theta, &b, &o, run, &err);
    rec.t = run->t;
    rec.k = run->k;
    rec.rel_error = run->rel_error;
    rec.abs_error = run->abs_error;
    rec.value = rc ? NAN : run->value;
    rec.wall_s = run->wall_s;
    rec.counts = run->counts;
    rec.peak_bytes = run->peak_bytes;
    rec.q = run->consts.q;
    rec.kappa = run->consts.kappa;
    rec.mu = run->consts.mu;
    rec.L = run->consts.L;
    const hg_theory *th = &run->theory; /* zeroed when no bound was computed */
    int have = isfinite(run->bound) || th->local;
    rec.nu1 = have ? th->c.nu1 : NAN;
    rec.nu2 = have ? th->c.nu2 : NAN;
    rec.mu1 = have ? th->c.mu1 : NAN;
    rec.mu2 = have ? th->c.mu2 : NAN;
    rec.L_E = have ? th->c.L_E : NAN;
    rec.L_Phi = have ? th->c.L_Phi : NAN;
    rec.D = have ? th->D : NAN;
    rec.eps = run->eps;
    rec.delta = run->delta;
    rec.omega = run->omega;
  } else { /* the exact reference failed: the run is recorded with that failure */
    rec.rel_error = rec.abs_error = rec.value = NAN;
    rec.q = rec.kappa = rec.mu = rec.L = NAN;
    rec.nu1 = rec.nu2 = rec.mu1 = rec.mu2 = rec.L_E = rec.L_Phi = rec.D = NAN;
    rec.eps = rec.delta = rec.omega = NAN;
  }
  rec.status = rc ? rc : run->status; /* budget: a tolerance not met, the numbers kept */
  rec.bound = rc ? NAN : run->bound;
  rec.bound_violated = !rc && run->bound_violated;
  if (rc || run->status)
    snprintf(rec.message, sizeof rec.message, "%.*s", (int)sizeof rec.message - 1,
             rc ? err.msg : run->note);
  if (hg_scenario_add(S, &rec, &err) ||
      (!rc && hg_vectors_append(S->outdir, hg_run_key(&rec, 1, NULL, 0), P->n_theta, run->grad,
                                ref, &err)))
    return luaL_error(L, "%s", err.msg);
  push_run_table(L, up, &rec, rc ? NULL : run->grad, ref);
  if (stale)
    set_bool(L, "redone", 1);
  hg_run_release(run); /* now rather than at the next collection */
  return 1;
}

/* ------------------------------------------------------------------------------------------ */
/* Expectations, plots, clock                                                                  */
/* ------------------------------------------------------------------------------------------ */

/* hg.expect(cond, message): record an expectation at the calling scenario line ("FILE:LINE",
 * FILE the script's base name); print FAIL lines to stderr; never raises.  Returns cond. */
static int l_expect(lua_State *L)
{
  int pass = lua_toboolean(L, 1);
  const char *what = "expectation";
  char where[256] = "?";
  lua_Debug ar;
  hg_error err;
  hg_scenario *S = scenario_or_null(L);

  if (lua_type(L, 2) == LUA_TSTRING || lua_type(L, 2) == LUA_TNUMBER)
    what = lua_tostring(L, 2);
  else if (!lua_isnoneornil(L, 2))
    what = lua_pushfstring(L, "(a %s as message)", luaL_typename(L, 2));
  if (user_level(L, &ar)) {
    const char *file = ar.source[0] == '@' ? ar.source + 1 : ar.short_src;
    const char *slash = strrchr(file, '/');
    snprintf(where, sizeof where, "%s:%d", slash ? slash + 1 : file, ar.currentline);
  }
  if (planning(L)) /* on placeholders: judged by the reporting pass */
    return lua_pushboolean(L, pass), 1;
  if (!pass)
    fprintf(stderr, "hgbench: FAIL %s: %s\n", where, what);
  hg_error_clear(&err);
  if (S && hg_scenario_expect(S, pass, what, where, &err))
    fprintf(stderr, "hgbench: cannot record the expectation at %s: %s\n", where, err.msg);
  lua_pushboolean(L, pass);
  return 1;
}

/* A string field of the table at t, or def. */
static const char *opt_str_field(lua_State *L, int t, const char *key, const char *def)
{
  const char *s = def;
  if (lua_getfield(L, t, key) == LUA_TSTRING)
    s = lua_tostring(L, -1); /* kept alive by the table */
  else if (!lua_isnil(L, -1))
    luaL_error(L, "hg.plot: %s= must be a string, got %s", key, luaL_typename(L, -1));
  lua_pop(L, 1);
  return s;
}

/* Field key of the table at t as an array of n numbers into x (NaN for nil entries when
 * nan_ok); returns the array length. */
static int read_numbers(lua_State *L, int t, const char *key, int series, int n, double *x,
                        int nan_ok)
{
  if (lua_getfield(L, t, key) != LUA_TTABLE)
    luaL_error(L, "hg.plot: series %d: %s= must be an array of numbers, got %s", series, key,
               luaL_typename(L, -1));
  int len = (int)luaL_len(L, -1);
  for (int i = 0; x && i < n && i < len; i++) {
    int isnum = 0;
    lua_geti(L, -1, i + 1);
    x[i] = lua_tonumberx(L, -1, &isnum);
    if (!isnum) {
      if (!nan_ok || !lua_isnil(L, -1))
        luaL_error(L, "hg.plot: series %d: %s[%d] is not a number", series, key, i + 1);
      x[i] = NAN;
    }
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  return len;
}

/* The fields every plot call has (argument 1, a table): name= (required), title= (default
 * the name), format= (default png); returns the scenario, err cleared. */
static hg_scenario *plot_fields(lua_State *L, const char *who, const char **name,
                                const char **title, const char **format, hg_error *err)
{
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  hg_scenario *S = scenario(L);
  hg_error_clear(err);
  *name = opt_str_field(L, 1, "name", NULL);
  if (!*name)
    luaL_error(L, "%s: name= is required", who);
  const hg_policy *pol = policy_or_null(L);
  if (pol && pol->sandbox && (strchr(*name, '/') || !strcmp(*name, "..")))
    luaL_error(L, "%s: refused name '%s' under --sandbox: plots are files of the output folder",
               who, *name);
  *title = opt_str_field(L, 1, "title", *name);
  *format = opt_str_field(L, 1, "format", "png");
  return S;
}

/* After hg_plot or hg_plot_images returned rc: without gnuplot one warning per scenario and
 * nil; another failure a Lua error; otherwise the plot recorded and its file name pushed. */
static int plot_done(lua_State *L, hg_scenario *S, int rc, char *rendered, size_t len,
                     const char *name, const char *format, const char *title, hg_error *err)
{
  if (rc == HG_ERR_UNSUPPORTED) {
    if (lua_getfield(L, LUA_REGISTRYINDEX, WARNED_KEY) == LUA_TNIL) {
      fprintf(stderr, "hgbench: warning: %s (plots are written as .dat and .gp, not rendered)\n",
              err->msg);
      lua_pushboolean(L, 1);
      lua_setfield(L, LUA_REGISTRYINDEX, WARNED_KEY);
    }
    lua_pushnil(L);
    return 1;
  }
  if (rc)
    return luaL_error(L, "%s", err->msg);
  if (!rendered[0])
    snprintf(rendered, len, "%s.%s", name, format);
  if (hg_scenario_add_plot(S, rendered, title, err))
    return luaL_error(L, "%s", err->msg);
  lua_pushstring(L, rendered);
  return 1;
}

/*
 * core.plot{name=, title=, xlabel=, ylabel=, logx=, logy=, format=, series={{name=, x={...},
 * y={...}, bound={...} or nil, floor= or nil}, ...}}: hg_plot into the output folder, then
 * hg_scenario_add_plot.  Returns the rendered file name, or nil when gnuplot is missing (one
 * warning line per scenario; the .dat and .gp are written).  Other failures are Lua errors.
 */
static int l_plot(lua_State *L)
{
  if (planning(L)) /* drawn by the reporting pass */
    return 0;
  hg_scenario *S;
  hg_plot_spec spec;
  hg_error err;
  char rendered[256] = "";

  memset(&spec, 0, sizeof spec);
  S = plot_fields(L, "hg.plot", &spec.name, &spec.title, &spec.format, &err);
  spec.xlabel = opt_str_field(L, 1, "xlabel", "");
  spec.ylabel = opt_str_field(L, 1, "ylabel", "");
  spec.bound_label = opt_str_field(L, 1, "bound_label", NULL);
  lua_getfield(L, 1, "logx");
  spec.logx = lua_toboolean(L, -1);
  lua_getfield(L, 1, "logy");
  spec.logy = lua_toboolean(L, -1);
  lua_pop(L, 2);

  if (lua_getfield(L, 1, "series") != LUA_TTABLE)
    return luaL_error(L, "hg.plot: series= must be a list of series");
  int st = lua_gettop(L), ns = (int)luaL_len(L, st);
  hg_plot_series *ser = lua_newuserdatauv(L, (size_t)(ns > 0 ? ns : 1) * sizeof *ser, 0);
  lua_newtable(L); /* anchors the per-series arrays */
  int anchor = lua_gettop(L);
  for (int i = 0; i < ns; i++) {
    if (lua_geti(L, st, i + 1) != LUA_TTABLE)
      return luaL_error(L, "hg.plot: series %d is not a table", i + 1);
    int si = lua_gettop(L);
    memset(&ser[i], 0, sizeof ser[i]);
    ser[i].name = opt_str_field(L, si, "name", "?");
    int n = read_numbers(L, si, "x", i + 1, 0, NULL, 0);
    if (read_numbers(L, si, "y", i + 1, 0, NULL, 0) != n)
      return luaL_error(L, "hg.plot: series %d: x and y differ in length", i + 1);
    lua_getfield(L, si, "bound");
    int has_bound = !lua_isnil(L, -1);
    lua_pop(L, 1);
    double *buf = lua_newuserdatauv(L, (size_t)(3 * n + 1) * sizeof *buf, 0);
    lua_rawseti(L, anchor, i + 1);
    read_numbers(L, si, "x", i + 1, n, buf, 0);
    read_numbers(L, si, "y", i + 1, n, buf + n, 0);
    if (has_bound)
      read_numbers(L, si, "bound", i + 1, n, buf + 2 * n, 1);
    ser[i].n = n;
    ser[i].x = buf;
    ser[i].y = buf + n;
    ser[i].bound = has_bound ? buf + 2 * n : NULL;
    lua_getfield(L, si, "floor");
    ser[i].floor = lua_isnumber(L, -1) ? lua_tonumber(L, -1) : 0;
    lua_pop(L, 2);
  }
  spec.nseries = ns;
  spec.series = ser;

  int rc = hg_plot(S->outdir, &spec, rendered, sizeof rendered, &err);
  return plot_done(L, S, rc, rendered, sizeof rendered, spec.name, spec.format, spec.title,
                   &err);
}

/* core.images{name=, title=, format=, w=, h=, columns=, panels = {{title=, pixels={...}},
 * ...}}: hg_plot_images into the output folder, recorded as a plot; returns the file or nil
 * without gnuplot (a warning), as core.plot. */
static int l_images(lua_State *L)
{
  if (planning(L)) /* drawn by the reporting pass */
    return 0;
  hg_scenario *S;
  hg_image_plot_spec spec;
  hg_error err;
  char rendered[256] = "";

  memset(&spec, 0, sizeof spec);
  S = plot_fields(L, "hg.images", &spec.name, &spec.title, &spec.format, &err);
  lua_getfield(L, 1, "w");
  lua_getfield(L, 1, "h");
  lua_getfield(L, 1, "columns");
  spec.w = (int)luaL_checkinteger(L, 2);
  spec.h = (int)luaL_checkinteger(L, 3);
  spec.columns = (int)luaL_optinteger(L, 4, 0);
  lua_settop(L, 1);
  if (spec.w < 1 || spec.h < 1 || (double)spec.w * spec.h > HG_IMAGE_MAX_PIXELS)
    return luaL_error(L, "hg.images: w= and h= must be positive (got %d x %d)", spec.w, spec.h);
  if (lua_getfield(L, 1, "panels") != LUA_TTABLE)
    return luaL_error(L, "hg.images: panels= must be a list of {title=, pixels=}");
  int pt = lua_gettop(L), np = (int)luaL_len(L, pt), P = spec.w * spec.h;
  hg_image_panel *panels = lua_newuserdatauv(L, (size_t)(np > 0 ? np : 1) * sizeof *panels, 0);
  double *px = lua_newuserdatauv(L, (size_t)(np > 0 ? np : 1) * P * sizeof *px, 0);
  for (int i = 0; i < np; i++) {
    if (lua_geti(L, pt, i + 1) != LUA_TTABLE)
      return luaL_error(L, "hg.images: panel %d is not a table", i + 1);
    int ti = lua_gettop(L);
    panels[i].title = opt_str_field(L, ti, "title", "");
    if (lua_getfield(L, ti, "pixels") != LUA_TTABLE || luaL_len(L, -1) != P)
      return luaL_error(L, "hg.images: panel %d: pixels= must be an array of w h = %d numbers",
                        i + 1, P);
    for (int j = 0; j < P; j++) {
      lua_geti(L, -1, j + 1);
      px[(size_t)i * P + j] = lua_tonumber(L, -1);
      lua_pop(L, 1);
    }
    panels[i].pixels = px + (size_t)i * P;
    lua_pop(L, 1); /* the pixels; the panel table stays on the stack: it anchors the title */
  }
  spec.npanels = np;
  spec.panels = panels;
  int rc = hg_plot_images(S->outdir, &spec, rendered, sizeof rendered, &err);
  return plot_done(L, S, rc, rendered, sizeof rendered, spec.name, spec.format, spec.title,
                   &err);
}

/* core.table(title, markdown): a table for report.md. */
static int l_table(lua_State *L)
{
  if (planning(L))
    return 0;
  hg_error err;
  const char *title = luaL_checkstring(L, 1), *markdown = luaL_checkstring(L, 2);
  hg_scenario *S = scenario(L);
  hg_error_clear(&err);
  if (hg_scenario_add_table(S, title, markdown, &err))
    return luaL_error(L, "%s", err.msg);
  return 0;
}

/* core.clock(): seconds on a monotonic clock. */
static int l_clock(lua_State *L)
{
  lua_pushnumber(L, hg_now());
  return 1;
}

/* core.planning(): true in a sweep's planning pass (sweep.h): run tables are placeholders. */
static int l_planning(lua_State *L)
{
  const hg_plan *plan = plan_or_null(L);
  lua_pushboolean(L, planning(L));
  lua_pushboolean(L, plan && plan->mode != HG_PLAN_EXEC); /* a pass of a sweep: no progress */
  return 2;
}

/* core.stderr_is_tty(): 1 when progress can update one line in place. */
static int l_stderr_is_tty(lua_State *L)
{
  lua_pushboolean(L, isatty(fileno(stderr)));
  return 1;
}

/* ------------------------------------------------------------------------------------------ */
/* The module and the scenario run                                                             */
/* ------------------------------------------------------------------------------------------ */

/* ------------------------------------------------------------------------------------------ */
/* Outer loops (DESIGN §2.3)                                                                   */
/* ------------------------------------------------------------------------------------------ */

/* hg.optimize's option fields. */
static const char *const optimize_keys[] = {
  "outer", "outer_params", "method", "method_params", "steps", "max_work", "t", "k", "K",
  "tol_lower", "tol_linear", "max_t", "max_k", "theta", "warm", "exact", "seed", "label", "work",
  "heldout", "heldout_every", NULL,
};

/* The rows of an outer run, released by __gc even after a Lua error. */
static int outer_result_gc(lua_State *L)
{
  hg_outer_result_release(luaL_checkudata(L, 1, "hgbench.outer_result"));
  return 0;
}

/* The list an outer run returns, with room for n rows: its fields label, problem,
 * problem_params, outer, method and status (word). */
static void push_outer_head(lua_State *L, int n, const char *label, const char *problem,
                            const char *params, const char *outer, const char *method,
                            const char *word)
{
  lua_createtable(L, n, 8);
  set_str(L, "label", label);
  set_str(L, "problem", problem);
  set_str(L, "problem_params", params);
  set_str(L, "outer", outer);
  set_str(L, "method", method);
  set_str(L, "status", word);
}

/* Field `key` of the table at t: nil or a table of parameters, as push_words' words (two
 * values pushed). */
static const char **optimize_words(lua_State *L, int t, const char *key, int *n)
{
  int type = lua_getfield(L, t, key);
  if (type != LUA_TNIL && type != LUA_TTABLE)
    luaL_argerror(L, 2, lua_pushfstring(L, "field '%s' must be a table of parameters, got %s",
                                        key, luaL_typename(L, -1)));
  int pt = type == LUA_TTABLE ? lua_gettop(L) : 0;
  const char **words = push_words(L, pt, 2, NULL, 0, n);
  lua_remove(L, -3); /* the field itself; the two anchors stay */
  return words;
}

/*
 * hg.optimize(P, {outer=, outer_params={...}, method=, method_params={...}, steps=, max_work=,
 * t=, k=, tol_lower=, tol_linear=, max_t=, max_k=, theta=, warm=, exact=, seed=, label=}): an
 * outer loop run by hg_optimize (steps steps or until lower + linear iterations reach
 * max_work, whichever comes first; steps 20 by default, HG_OUTER_MAX_STEPS with max_work);
 * its rows go to the scenario's optimize.tsv and come back as a list of row tables, a field
 * per column of HG_OUTER_COLUMNS (step, accepted, value, f, grad_norm, hg_norm, eps, delta,
 * omega, step_size, lower, linear, calls, jacobian, wall_s, work, uncertified) and
 * theta = {...}; work= "exit-index" (default: work = lower + linear), "oracle-calls" or "time"
 * (milliseconds) chooses what work and max_work count; heldout= a second problem (held-out
 * data, same n_theta): its exact f at every heldout_every-th row (default 1) and the last, in
 * the rows' field heldout (nan elsewhere); the list has fields label, work_kind,
 * problem, outer, method, status (and message on a failure during the loop).  Unknown names
 * and bad parameters are Lua errors.
 */
static int l_optimize(lua_State *L)
{
  lproblem *up = check_problem(L, 1);
  hg_problem *P = up->P;
  hg_budget b;
  hg_error err;
  long long steps = 20, seed = 0, max_t = 0, max_k = 0, max_work = 0;
  int no = 0, nm = 0;
  char rec[128];

  luaL_checktype(L, 2, LUA_TTABLE);
  lua_settop(L, 2);
  hg_scenario *S = scenario(L);
  hg_error_clear(&err);
  lua_pushnil(L);
  while (lua_next(L, 2)) {
    if (lua_type(L, -2) != LUA_TSTRING || !in_list(optimize_keys, lua_tostring(L, -2)))
      return luaL_argerror(L, 2, lua_pushfstring(L, "unknown field '%s' (known: outer, "
                                                 "outer_params, method, method_params, steps, "
                                                 "max_work, t, k, K, tol_lower, tol_linear, "
                                                 "max_t, max_k, theta, warm, exact, seed, "
                                                 "label, work, heldout, heldout_every)",
                                                 luaL_tolstring(L, -2, NULL)));
    lua_pop(L, 1);
  }
  if (lua_getfield(L, 2, "outer") != LUA_TSTRING)
    return luaL_argerror(L, 2, "field 'outer' must be an outer loop name (hgbench list outer)");
  const char *outer = nul_free(L, -1, 2, "field 'outer'");
  if (lua_getfield(L, 2, "method") != LUA_TSTRING)
    return luaL_argerror(L, 2, "field 'method' must be a method name");
  const char *method = nul_free(L, -1, 2, "field 'method'");
  const char **ow = optimize_words(L, 2, "outer_params", &no);
  const char **mw = optimize_words(L, 2, "method_params", &nm);
  hg_budget_default(&b);
  opt_budget_int(L, 2, 2, "t", &b.t);
  opt_budget_int(L, 2, 2, "k", &b.k);
  opt_budget_int(L, 2, 2, "K", &b.K);
  opt_tol_field(L, 2, 2, "tol_lower", &b.tol_lower);
  opt_tol_field(L, 2, 2, "tol_linear", &b.tol_linear);
  opt_int_field(L, 2, 2, "max_work", 0, 0x7fffffff, &max_work);
  if (max_work > 0) /* a work budget: the steps only cap it */
    steps = HG_OUTER_MAX_STEPS;
  opt_int_field(L, 2, 2, "steps", 0, HG_OUTER_MAX_STEPS, &steps);
  opt_int_field(L, 2, 2, "seed", 0, LUA_MAXINTEGER, &seed);
  opt_int_field(L, 2, 2, "max_t", 0, 0x7fffffff, &max_t);
  opt_int_field(L, 2, 2, "max_k", 0, 0x7fffffff, &max_k);
  lua_getfield(L, 2, "warm");
  int warm = lua_isnil(L, -1) || lua_toboolean(L, -1);
  lua_getfield(L, 2, "exact");
  int exact = lua_isnil(L, -1) || lua_toboolean(L, -1);
  lua_pop(L, 2);
  const char *label = opt_str_field(L, 2, "label", outer);
  long long heldout_every = 1;
  opt_int_field(L, 2, 2, "heldout_every", 1, 0x7fffffff, &heldout_every);
  hg_problem *heldout = NULL;
  const char *heldout_params = "";
  if (lua_getfield(L, 2, "heldout") != LUA_TNIL) {
    heldout = check_problem(L, lua_gettop(L))->P;
    heldout_params = check_problem(L, lua_gettop(L))->params;
  }
  lua_pop(L, 1);
  int work = HG_WORK_EXIT_INDEX;
  if (hg_work_kind(opt_str_field(L, 2, "work", "exit-index"), "field 'work'", &work, &err))
    return luaL_argerror(L, 2, err.msg);
  lua_getfield(L, 2, "theta");
  const double *theta = push_theta(L, up, lua_gettop(L), 2, "field 'theta'", rec, sizeof rec);

  hg_outer_result *R = lua_newuserdatauv(L, sizeof *R, 0);
  memset(R, 0, sizeof *R);
  if (luaL_newmetatable(L, "hgbench.outer_result")) {
    lua_pushcfunction(L, outer_result_gc);
    lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, outer_result_gc);
    lua_setfield(L, -2, "__close");
  }
  lua_setmetatable(L, -2);
  hg_optimize_opts o = {.method = method, .nmwords = nm, .mwords = mw, .budget = b,
                        .max_t = (int)max_t, .max_k = (int)max_k, .steps = (int)steps,
                        .max_work = (long)max_work, .work = work, .heldout = heldout,
                        .heldout_every = (int)heldout_every,
                        .theta0 = theta, .warm = warm, .exact = exact, .seed = (uint64_t)seed};
  const hg_policy *pol = policy_or_null(L);
  o.deadline = pol ? pol->deadline : 0;
  /* the outer run's key: everything that makes its rows (not label), input files, revisions */
  hg_record kr;
  memset(&kr, 0, sizeof kr);
  snprintf(kr.problem_params, sizeof kr.problem_params, "%s", up->params);
  snprintf(kr.theta, sizeof kr.theta, "%s", rec);
  for (int i = 0; i < nm; i++) /* input files named by the method's words */
    snprintf(kr.method_params + strlen(kr.method_params),
             sizeof kr.method_params - strlen(kr.method_params), "%s%s", i ? " " : "", mw[i]);
  const hg_outer_ops *OO = hg_find_outer(outer, NULL);
  const hg_method_ops *MO = hg_find_method(method, NULL);
  uint64_t key = hg_fnv1a(HG_FNV_OFFSET, "outer", 6);
  const char *kparts[] = {P->ops->name, up->params, outer, method, rec};
  for (size_t i = 0; i < sizeof kparts / sizeof kparts[0]; i++)
    key = hg_fnv1a(key, kparts[i], strlen(kparts[i]) + 1);
  for (int i = 0; i < no + nm; i++)
    key = hg_fnv1a(key, i < no ? ow[i] : mw[i - no], strlen(i < no ? ow[i] : mw[i - no]) + 1);
  const double kreal[] = {b.tol_lower, b.tol_linear};
  const long long kint[] = {b.t, b.k, b.K, steps, max_work, max_t, max_k, warm, exact, seed,
                            no, nm, P->ops->revision, OO ? OO->revision : -1,
                            MO ? MO->revision : -1, work, heldout ? heldout_every : 0};
  if (heldout) { /* the held-out problem's rows come into the run's rows */
    key = hg_fnv1a(key, heldout->ops->name, strlen(heldout->ops->name) + 1);
    key = hg_fnv1a(key, heldout_params, strlen(heldout_params) + 1);
  }
  key = hg_fnv1a(key, kreal, sizeof kreal);
  key = hg_fnv1a(key, kint, sizeof kint);
  uint64_t inputs = hg_inputs_hash(&S->files, &kr);
  key = hg_fnv1a(key, &inputs, sizeof inputs);
  hg_plan *plan = plan_or_null(L);
  if (plan && plan->mode == HG_PLAN_RECORD) { /* the planning pass: a unit, not a run */
    hg_unit u;
    memset(&u, 0, sizeof u);
    u.kind = 'o';
    u.key = u.base = key;
    hg_estimate_run(P->n_w, P->n_theta, &b, &u.cost, &u.mem);
    u.cost *= max_work > 0 ? fmin((double)steps, (double)max_work / fmax(1, b.t + b.k) + 1)
                           : (double)steps + 1;
    snprintf(u.what, sizeof u.what, "%s %s/%s steps=%lld t=%d k=%d", P->ops->name, outer,
             method, steps, b.t, b.k);
    plan_unit(L, plan, l_optimize, &u);
    push_outer_head(L, 0, label, P->ops->name, up->params, outer, method, "planned");
    return 1;
  }
  int rc = HG_OK, resumed = S->outdir[0] && hg_outer_load(S->outdir, key, R);
  if (!resumed && plan && plan->mode == HG_PLAN_REPORT) {
    plan->n_missing++;
    push_outer_head(L, 0, label, P->ops->name, up->params, outer, method, "missing");
    return 1;
  }
  if (!resumed) {
    if (plan && plan->mode == HG_PLAN_EXEC)
      plan->n_ran++;
    rc = hg_optimize(P, outer, no, ow, &o, R, &err);
    if (rc && R->n == 0)
      return luaL_error(L, "%s", err.msg);
    hg_error serr;
    hg_error_clear(&serr);
    if (S->outdir[0] && hg_outer_store(S->outdir, key, R, &serr))
      return luaL_error(L, "%s", serr.msg);
  }
  if (hg_scenario_add_optimize(S, R, label, P->ops->name, outer, method, &err))
    return luaL_error(L, "%s", err.msg);
  note_data(L, S, up);

  push_outer_head(L, R->n, label, P->ops->name, up->params, outer, method,
                  hg_status_word(R->status));
  set_str(L, "work_kind", hg_work_word(work));
  if (R->status)
    set_str(L, "message", R->message);
  for (int i = 0; i < R->n; i++) {
    const hg_outer_step *st = &R->steps[i];
    lua_createtable(L, 0, HG_OUTER_NCOLUMNS + 2);
    for (int c = 0; c < HG_OUTER_NCOLUMNS; c++) {
      const hg_outer_column *col = &hg_outer_columns[c];
      double v = col->get(st);
      if (col->kind == 'd')
        set_num(L, col->name, v);
      else if (col->kind == 'b')
        set_bool(L, col->name, v != 0);
      else
        set_int(L, col->name, (long long)v);
    }
    set_array(L, "theta", R->n_theta, R->theta + (size_t)i * (size_t)R->n_theta);
    lua_rawseti(L, -2, i + 1);
  }
  return 1;
}

static const luaL_Reg problem_methods[] = {
  {"info", problem_info},
  {"check", problem_check},
  {"images", problem_images},
  {"solve", problem_solve},
  {"hypergrad", l_hypergrad},
  {"optimize", l_optimize},
  {"close", problem_close},
  {NULL, NULL},
};

/* A fit of hg_fit_rate's signature (hg_fit_rate, hg_fit_slope). */
typedef int (*fit_fn)(int n, const double *x, const double *err, double floor, double *rate,
                      double *lo, double *hi);

/* fit(xs, ys, floor) -> value, lo, hi, used on two Lua arrays. */
static int fit_with(lua_State *L, fit_fn fit)
{
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_checktype(L, 2, LUA_TTABLE);
  double floor = luaL_checknumber(L, 3), rate, lo, hi;
  int n = (int)luaL_len(L, 1);
  luaL_argcheck(L, n == luaL_len(L, 2), 2, "as many values as xs");
  double *buf = lua_newuserdatauv(L, 2 * (size_t)(n > 0 ? n : 1) * sizeof *buf, 0);
  for (int i = 0; i < n; i++) {
    lua_geti(L, 1, i + 1);
    lua_geti(L, 2, i + 1);
    buf[i] = lua_tonumber(L, -2);
    buf[n + i] = lua_tonumber(L, -1);
    lua_pop(L, 2);
  }
  int used = fit(n, buf, buf + n, floor, &rate, &lo, &hi);
  lua_pushnumber(L, rate);
  lua_pushnumber(L, lo);
  lua_pushnumber(L, hi);
  lua_pushinteger(L, used);
  return 4;
}

/* core.fit_rate(xs, ys, floor) -> rate, lo, hi, used: hg_fit_rate on two Lua arrays. */
static int l_fit_rate(lua_State *L)
{
  return fit_with(L, hg_fit_rate);
}

/* core.fit_slope(xs, ys, floor) -> slope, lo, hi, used: hg_fit_slope (ys ~ C xs^slope). */
static int l_fit_slope(lua_State *L)
{
  return fit_with(L, hg_fit_slope);
}

/* core.roundoff_floor(kappa) -> hg_roundoff_floor(kappa) (kappa nil or NaN: 1). */
static int l_roundoff_floor(lua_State *L)
{
  lua_pushnumber(L, hg_roundoff_floor(luaL_optnumber(L, 1, NAN)));
  return 1;
}

/* core.rate_window(errs, floor) -> {i, ...}: hg_rate_window on a Lua array, its indices from 1. */
static int l_rate_window(lua_State *L)
{
  luaL_checktype(L, 1, LUA_TTABLE);
  double floor = luaL_checknumber(L, 2);
  int n = (int)luaL_len(L, 1);
  size_t cap = (size_t)(n > 0 ? n : 1);
  double *err = lua_newuserdatauv(L, cap * (sizeof *err + sizeof(int)), 0);
  int *idx = (int *)(err + cap);
  for (int i = 0; i < n; i++) {
    lua_geti(L, 1, i + 1);
    err[i] = lua_isnumber(L, -1) ? lua_tonumber(L, -1) : NAN;
    lua_pop(L, 1);
  }
  int m = hg_rate_window(n, err, floor, idx);
  lua_createtable(L, m, 0);
  for (int i = 0; i < m; i++) {
    lua_pushinteger(L, idx[i] + 1);
    lua_rawseti(L, -2, i + 1);
  }
  return 1;
}

/* core.method_rate(method, q, kappa, mu, L, axis) -> the theoretical rate (NaN if none). */
static int l_method_rate(lua_State *L)
{
  hg_constants c;
  hg_constants_unknown(&c);
  const char *method = luaL_checkstring(L, 1);
  c.q = luaL_optnumber(L, 2, NAN);
  c.kappa = luaL_optnumber(L, 3, NAN);
  c.mu = luaL_optnumber(L, 4, NAN);
  c.L = luaL_optnumber(L, 5, NAN);
  const char *axis = luaL_checkstring(L, 6);
  lua_pushnumber(L, hg_method_rate(method, &c, axis[0]));
  return 1;
}

/* Set t[key] = flag (a boolean) on the table at the top. */
static void set_flag(lua_State *L, const char *key, int flag)
{
  lua_pushboolean(L, flag);
  lua_setfield(L, -2, key);
}

/* Set t[key] = s (nil when s is NULL) on the table at the top. */
static void set_string(lua_State *L, const char *key, const char *s)
{
  if (!s)
    return;
  lua_pushstring(L, s);
  lua_setfield(L, -2, key);
}

/* core.plugins(kind): the registered plugins of kind "methods", "problems" or "outer", in
 * registration order, each a table of the facts its ops table gives: name, display, summary,
 * revision; methods also biased, stochastic, columnwise, cost, budgets = {t=, k=, K=,
 * tol_lower=, tol_linear=} and needs = {exact=, symmetric=, jvp_theta=, saddle=, sample=}.
 * Scenarios ask the registry through it (hg.methods), never a list of their own. */
static int l_plugins(lua_State *L)
{
  static const char *const kinds[] = {"methods", "problems", "outer", NULL};
  int kind = luaL_checkoption(L, 1, NULL, kinds), i = 0;
  const hg_entry *list = kind == 0 ? hg_method_list() : kind == 1 ? hg_problem_list()
                                                                 : hg_outer_list();
  lua_newtable(L);
  for (const hg_entry *e = list; e->name; e++) {
    lua_newtable(L);
    set_string(L, "name", e->name);
    if (kind == 0) {
      const hg_method_ops *M = e->ops;
      set_string(L, "display", M->display ? M->display : e->name);
      set_string(L, "summary", M->summary);
      set_string(L, "cost", M->cost);
      lua_pushinteger(L, M->revision);
      lua_setfield(L, -2, "revision");
      set_flag(L, "biased", M->biased);
      set_flag(L, "stochastic", M->stochastic);
      set_flag(L, "columnwise", M->columnwise);
      lua_newtable(L);
      set_flag(L, "t", (M->budgets & HG_BUDGET_T) != 0);
      set_flag(L, "k", (M->budgets & HG_BUDGET_K) != 0);
      set_flag(L, "K", (M->budgets & HG_BUDGET_KBACK) != 0);
      set_flag(L, "tol_lower", (M->budgets & HG_BUDGET_TOL_LOWER) != 0);
      set_flag(L, "tol_linear", (M->budgets & HG_BUDGET_TOL_LINEAR) != 0);
      lua_setfield(L, -2, "budgets");
      lua_newtable(L);
      set_flag(L, "exact", (M->needs & HG_NEEDS_EXACT) != 0);
      set_flag(L, "symmetric", (M->needs & HG_NEEDS_SYMMETRIC) != 0);
      set_flag(L, "jvp_theta", (M->needs & HG_NEEDS_JVP_THETA) != 0);
      set_flag(L, "saddle", (M->needs & HG_NEEDS_SADDLE) != 0);
      set_flag(L, "sample", (M->needs & HG_NEEDS_SAMPLE) != 0);
      lua_setfield(L, -2, "needs");
    } else if (kind == 1) {
      const hg_problem_ops *P = e->ops;
      set_string(L, "display", P->display ? P->display : e->name);
      set_string(L, "summary", P->summary);
      lua_pushinteger(L, P->revision);
      lua_setfield(L, -2, "revision");
    } else {
      const hg_outer_ops *O = e->ops;
      set_string(L, "display", O->display ? O->display : e->name);
      set_string(L, "summary", O->summary);
      lua_pushinteger(L, O->revision);
      lua_setfield(L, -2, "revision");
    }
    lua_rawseti(L, -2, ++i);
  }
  return 1;
}

/* hg.max_memory([SIZE]): set the cap on the memory of each later run (bytes, or a string
 * "512M", "2G"; 0 for none; the default is --max-memory) and return the cap in bytes. */
static int l_max_memory(lua_State *L)
{
  hg_policy *pol = (hg_policy *)policy_or_null(L);
  size_t cap = 0;
  if (!pol)
    return luaL_error(L, "hgbench: no scenario is open (scenarios run through `hgbench run`)");
  if (lua_type(L, 1) == LUA_TNUMBER) {
    lua_Number x = lua_tonumber(L, 1);
    luaL_argcheck(L, x >= 0 && x <= 9.0e18, 1, "a size in bytes >= 0 expected");
    cap = (size_t)x;
  } else if (!lua_isnoneornil(L, 1)) {
    const char *s = check_text(L, 1, "the size");
    if (hg_parse_size(s, &cap))
      luaL_argerror(L, 1, lua_pushfstring(L, "'%s' is not a size (bytes, or 512M, 2G)", s));
  }
  if (!lua_isnoneornil(L, 1)) {
    if (pol->sandbox && pol->mem_cap && (!cap || cap > pol->mem_cap))
      luaL_argerror(L, 1, "a sandboxed scenario cannot raise the cap above --max-memory");
    pol->mem_cap = cap;
  }
  lua_pushinteger(L, (lua_Integer)pol->mem_cap);
  return 1;
}

static const luaL_Reg core_functions[] = {
  {"plugins", l_plugins},
  {"max_memory", l_max_memory},
  {"fit_rate", l_fit_rate},
  {"fit_slope", l_fit_slope},
  {"method_rate", l_method_rate},
  {"roundoff_floor", l_roundoff_floor},
  {"rate_window", l_rate_window},
  {"problem", l_problem},
  {"hypergrad", l_hypergrad},
  {"optimize", l_optimize},
  {"expect", l_expect},
  {"plot", l_plot},
  {"table", l_table},
  {"images", l_images},
  {"rep_seed", l_rep_seed},
  {"check", l_check},
  {"clock", l_clock},
  {"stderr_is_tty", l_stderr_is_tty},
  {"planning", l_planning},
  {NULL, NULL},
};

/* The `hgbench` module: metatables, the C core, then the Lua half run over it. */
static int open_module(lua_State *L)
{
  hg_scenario *S = scenario_or_null(L);

  luaL_newmetatable(L, PROBLEM_MT);
  luaL_newlib(L, problem_methods);
  lua_pushcclosure(L, problem_index, 1);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, problem_gc);
  lua_setfield(L, -2, "__gc");
  lua_pushcfunction(L, problem_gc);
  lua_setfield(L, -2, "__close");
  lua_pushcfunction(L, problem_tostring);
  lua_setfield(L, -2, "__tostring");
  lua_pop(L, 1);

  luaL_newmetatable(L, RUN_MT);
  lua_pushcfunction(L, run_gc);
  lua_setfield(L, -2, "__gc");
  lua_pushcfunction(L, run_gc);
  lua_setfield(L, -2, "__close");
  lua_pop(L, 1);

  if (luaL_loadbuffer(L, hg_prelude_lua, sizeof hg_prelude_lua - 1, PRELUDE_CHUNK) != LUA_OK)
    return lua_error(L);
  luaL_newlib(L, core_functions);
  luaL_getmetatable(L, PROBLEM_MT);
  lua_setfield(L, -2, "problem_mt");
  luaL_newmetatable(L, SWEEP_MT);
  lua_setfield(L, -2, "sweep_mt");
  if (S)
    set_str(L, "out", S->outdir);
  set_str(L, "version", HG_VERSION);
  lua_call(L, 1, 1);
  return 1;
}

/* ------------------------------------------------------------------------------------------ */
/* Loading code (text only) and the sandbox (hgbench run --sandbox)                            */
/* ------------------------------------------------------------------------------------------ */

/* Load file fname (NULL: standard input) as text only: a binary chunk is refused with a
 * message naming who and the file.  Pushes the chunk, or nil and the message (returns 1 / 2). */
static int load_text_file(lua_State *L, const char *fname, const char *who)
{
  const hg_policy *pol = policy_or_null(L);
  if (!fname && pol && pol->sandbox)
    return luaL_error(L, "%s: reading standard input is refused under --sandbox", who);
  if (fname)
    check_path(L, fname, 0, who);
  if (luaL_loadfilex(L, fname, "t") == LUA_OK)
    return 1;
  if (strstr(lua_tostring(L, -1), "binary chunk"))
    lua_pushfstring(L, "%s: refused '%s': " BINARY_REFUSED, who, fname ? fname : "stdin");
  else
    lua_pushvalue(L, -1);
  lua_pushnil(L);
  lua_replace(L, -3);
  return 2;
}

/* load(chunk [, chunkname [, mode [, env]]]) with mode forced to "t" (upvalue 1: base load). */
static int l_load(lua_State *L)
{
  int n = lua_gettop(L);
  size_t len;
  if (lua_type(L, 1) == LUA_TSTRING && lua_tolstring(L, 1, &len) && len &&
      lua_tostring(L, 1)[0] == LUA_SIGNATURE[0]) {
    lua_pushnil(L);
    lua_pushliteral(L, "load: refused " BINARY_REFUSED);
    return 2;
  }
  int nargs = n >= 4 ? 4 : 3; /* an explicit env, even nil, is passed on */
  lua_settop(L, nargs);
  lua_pushliteral(L, "t");
  lua_replace(L, 3);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, nargs, LUA_MULTRET);
  if (lua_gettop(L) == 2 && lua_isnil(L, 1) && lua_type(L, 2) == LUA_TSTRING &&
      strstr(lua_tostring(L, 2), "binary chunk")) { /* a reader function's binary chunk */
    lua_pushliteral(L, "load: refused " BINARY_REFUSED);
    lua_replace(L, 2);
  }
  return lua_gettop(L);
}

/* loadfile([filename [, mode [, env]]]): text only, and under --sandbox from allowed folders. */
static int l_loadfile(lua_State *L)
{
  const char *fname = luaL_optstring(L, 1, NULL);
  int env = !lua_isnone(L, 3) ? 3 : 0;
  if (load_text_file(L, fname, "loadfile") == 2)
    return 2;
  if (env) {
    lua_pushvalue(L, env);
    if (!lua_setupvalue(L, -2, 1))
      lua_pop(L, 1);
  }
  return 1;
}

/* dofile([filename]): as loadfile, then call the chunk; errors propagate. */
static int l_dofile(lua_State *L)
{
  const char *fname = luaL_optstring(L, 1, NULL);
  lua_settop(L, 1);
  if (load_text_file(L, fname, "dofile") == 2)
    return lua_error(L);
  lua_call(L, 0, LUA_MULTRET);
  return lua_gettop(L) - 1;
}

/* package.searchers[2] for Lua files, text only (upvalue 1: the package table). */
static int l_search_lua(lua_State *L)
{
  const char *name = luaL_checkstring(L, 1);
  lua_getfield(L, lua_upvalueindex(1), "searchpath");
  lua_pushvalue(L, 1);
  lua_getfield(L, lua_upvalueindex(1), "path");
  lua_call(L, 2, 2);
  if (lua_isnil(L, -2))
    return 1; /* the "no file ..." message */
  const char *fname = lua_tostring(L, -2);
  if (load_text_file(L, fname, "require") == 2)
    return luaL_error(L, "error loading module '%s' from file '%s':\n\t%s", name, fname,
                      lua_tostring(L, -1));
  lua_pushstring(L, fname);
  return 2;
}

/* package.searchers[3] under --sandbox: C modules are never searched, and the "module not
 * found" message says so. */
static int l_search_c_refused(lua_State *L)
{
  lua_pushfstring(L, "\n\tC modules ('%s') are refused under --sandbox", luaL_checkstring(L, 1));
  return 1;
}

/* A function the sandbox removed: calling it is an error naming it (upvalue 1). */
static int l_refused(lua_State *L)
{
  return luaL_error(L, "%s is disabled under --sandbox", lua_tostring(L, lua_upvalueindex(1)));
}

/* Call upvalue 1 (the original function) with this call's arguments. */
static int call_original(lua_State *L)
{
  int n = lua_gettop(L);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, n, LUA_MULTRET);
  return lua_gettop(L);
}

/* io.open(path [, mode]): reading from allowed folders, writing under the output folder. */
static int l_io_open(lua_State *L)
{
  const char *path = check_text(L, 1, "the path");
  const char *mode = luaL_optstring(L, 2, "r");
  check_path(L, path, strpbrk(mode, "wa+") != NULL, "io.open");
  return call_original(L);
}

/* io.lines([path, ...]) and io.input([path]): a path is read. */
static int l_io_read_path(lua_State *L)
{
  if (lua_type(L, 1) == LUA_TSTRING)
    check_path(L, nul_free(L, 1, 1, "the path"), 0, lua_tostring(L, lua_upvalueindex(2)));
  return call_original(L);
}

/* io.output([path]): a path is written. */
static int l_io_output(lua_State *L)
{
  if (lua_type(L, 1) == LUA_TSTRING)
    check_path(L, nul_free(L, 1, 1, "the path"), 1, "io.output");
  return call_original(L);
}

/* os.remove(path), os.rename(from, to): only under the output folder. */
static int l_os_remove(lua_State *L)
{
  check_path(L, check_text(L, 1, "the path"), 1, "os.remove");
  return call_original(L);
}

static int l_os_rename(lua_State *L)
{
  check_path(L, check_text(L, 1, "the path"), 1, "os.rename");
  check_path(L, check_text(L, 2, "the path"), 1, "os.rename");
  return call_original(L);
}

/* Replace field `name` of the table on top with fn closed over the old value (and label). */
static void wrap_field(lua_State *L, const char *name, lua_CFunction fn, const char *label)
{
  lua_getfield(L, -1, name);
  int n = 1;
  if (label) {
    lua_pushstring(L, label);
    n = 2;
  }
  lua_pushcclosure(L, fn, n);
  lua_setfield(L, -2, name);
}

/* Replace field `name` of the table on top with a function refusing to run, naming lib.name. */
static void refuse_field(lua_State *L, const char *lib, const char *name)
{
  lua_pushfstring(L, "%s%s%s", lib, *lib ? "." : "", name);
  lua_pushcclosure(L, l_refused, 1);
  lua_setfield(L, -2, name);
}

/* Every way of loading code reads text only: load, loadfile, dofile and require's Lua
 * searcher; under --sandbox also the sandbox's limits (loaded_sandbox). */
static void install_loaders(lua_State *L)
{
  lua_pushglobaltable(L);
  wrap_field(L, "load", l_load, NULL);
  lua_pushcfunction(L, l_loadfile);
  lua_setfield(L, -2, "loadfile");
  lua_pushcfunction(L, l_dofile);
  lua_setfield(L, -2, "dofile");
  lua_pop(L, 1);
  lua_getglobal(L, "package");
  lua_getfield(L, -1, "searchers");
  lua_pushvalue(L, -2);
  lua_pushcclosure(L, l_search_lua, 1);
  lua_rawseti(L, -2, 2);
  lua_pop(L, 2);
}

/* The sandbox (hgbench run --sandbox): no processes, no native code, no debug library; files
 * read from the allowed folders and written under the output folder only (hg_policy_check). */
static void install_sandbox(lua_State *L)
{
  lua_getglobal(L, "os");
  refuse_field(L, "os", "execute");
  refuse_field(L, "os", "exit");
  refuse_field(L, "os", "tmpname");
  wrap_field(L, "remove", l_os_remove, NULL);
  wrap_field(L, "rename", l_os_rename, NULL);
  lua_pop(L, 1);
  lua_getglobal(L, "io");
  refuse_field(L, "io", "popen");
  wrap_field(L, "open", l_io_open, NULL);
  wrap_field(L, "lines", l_io_read_path, "io.lines");
  wrap_field(L, "input", l_io_read_path, "io.input");
  wrap_field(L, "output", l_io_output, NULL);
  lua_pop(L, 1);
  lua_getglobal(L, "package");
  refuse_field(L, "package", "loadlib");
  lua_getfield(L, -1, "searchers"); /* preload and Lua files only: no C modules */
  for (lua_Integer i = luaL_len(L, -1); i > 3; i--) {
    lua_pushnil(L);
    lua_rawseti(L, -2, i);
  }
  lua_pushcfunction(L, l_search_c_refused);
  lua_rawseti(L, -2, 3);
  lua_pop(L, 1);
  lua_getfield(L, -1, "loaded");
  lua_pushnil(L);
  lua_setfield(L, -2, "debug");
  lua_pop(L, 2);
  lua_pushnil(L);
  lua_setglobal(L, "debug");
}

/*
 * Message handler (lua.c's msghandler): the message as a string, its position moved from the
 * module's Lua half to the scenario line that called into it, and a traceback appended.
 */
static int msghandler(lua_State *L)
{
  const char *msg = lua_tostring(L, 1);
  lua_Debug ar;

  if (!msg) {
    if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
      msg = lua_tostring(L, -1);
    else
      msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
  }
  if (!strncmp(msg, PRELUDE_POS, strlen(PRELUDE_POS))) {
    const char *rest = msg + strlen(PRELUDE_POS) + strspn(msg + strlen(PRELUDE_POS), "0123456789");
    if (rest[0] == ':' && rest[1] == ' ' && user_level(L, &ar))
      msg = lua_pushfstring(L, "%s:%d: %s", ar.short_src, ar.currentline, rest + 2);
  }
  luaL_traceback(L, L, msg, 1);
  return 1;
}

/* Protected part of hg_lua_run: libraries, the module as global `hg`, the script. */
/* Set up a fresh state the way every scenario runs: its scenario and policy in the registry,
 * the standard libraries, the loaders, the sandbox when asked, and the module as global hg.
 * Called protected: (S, pol[, plan]) as light userdata arguments. */
static int prepare_state(lua_State *L)
{
  hg_scenario *S = lua_touserdata(L, 1);
  const hg_policy *pol = lua_touserdata(L, 2);
  hg_plan *plan = lua_touserdata(L, 3); /* a sweep's pass (sweep.h), or none */

  lua_pushlightuserdata(L, plan);
  lua_setfield(L, LUA_REGISTRYINDEX, PLAN_KEY);
  lua_newtable(L);
  lua_setfield(L, LUA_REGISTRYINDEX, UNITS_KEY);

  lua_pushlightuserdata(L, S);
  lua_setfield(L, LUA_REGISTRYINDEX, SCENARIO_KEY);
  lua_pushlightuserdata(L, (void *)pol);
  lua_setfield(L, LUA_REGISTRYINDEX, POLICY_KEY);
  luaL_openlibs(L);
  install_loaders(L);
  if (pol->sandbox)
    install_sandbox(L);
  luaL_requiref(L, "hgbench", open_module, 0);
  lua_setglobal(L, "hg");
  return 0;
}

static int run_protected(lua_State *L)
{
  const char *script = lua_touserdata(L, 2);

  lua_pushcfunction(L, prepare_state);
  lua_pushvalue(L, 1);
  lua_pushvalue(L, 3);
  lua_pushvalue(L, 4);
  lua_call(L, 3, 0);
  if (luaL_loadfilex(L, script, "t") != LUA_OK) {
    if (strstr(lua_tostring(L, -1), "binary chunk"))
      return luaL_error(L, "scenario '%s' is " BINARY_REFUSED, script);
    return lua_error(L);
  }
  lua_call(L, 0, 0);
  return 0;
}

/* The wall-clock budget (--max-seconds): a count hook that raises an error once the deadline
 * has passed, then on every instruction so that a script catching it with pcall cannot go
 * on.  Long C calls (a run) check the same deadline themselves (hg_run_opts.deadline). */
static void deadline_hook(lua_State *L, lua_Debug *ar)
{
  const hg_policy *pol = policy_or_null(L);
  (void)ar;
  if (pol && pol->deadline > 0 && hg_now() > pol->deadline) {
    lua_sethook(L, deadline_hook, LUA_MASKCOUNT, 1);
    luaL_where(L, 0); /* level 0 in a hook: the function running, "file:line:" */
    lua_pushliteral(L, "scenario stopped: past its --max-seconds budget (results so far are "
                       "kept)");
    lua_concat(L, 2);
    lua_error(L);
  }
}

#define HOOK_COUNT 1000 /* instructions between two looks at the clock */

/* Resolve dir (realpath) into buf, or an error naming what it is. */
static int resolve_root(const char *dir, const char *what, char *buf, hg_error *err)
{
  char esc[256];
  if (!realpath(dir, buf))
    return hg_fail(err, HG_ERR_IO, "%s '%s': %s", what, hg_escape(dir, esc, sizeof esc),
                   strerror(errno));
  return HG_OK;
}

#define MAX_READ_ROOTS 32

/* The Lua state's own memory, held to --max-memory: a script building a huge string or table
 * gets Lua's "not enough memory" error instead of exhausting the machine. */
typedef struct lua_memory {
  size_t used, cap; /* cap 0: none */
} lua_memory;

static void *capped_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
  lua_memory *m = ud;
  size_t old = ptr ? osize : 0;
  if (nsize == 0) {
    free(ptr);
    m->used -= old;
    return NULL;
  }
  if (m->cap && nsize > old && m->used - old + nsize > m->cap)
    return NULL;
  void *p = realloc(ptr, nsize);
  if (p)
    m->used = m->used - old + nsize;
  return p;
}

int hg_lua_run(const char *script, const char *outdir, const hg_lua_opts *opts, int *failed,
               char *trace, size_t tracelen, hg_error *err)
{
  lua_memory lua_mem = {0};
  static const hg_lua_opts none = {0};
  hg_scenario *S = NULL;
  lua_State *L = NULL;
  hg_error ferr;
  int rc = HG_OK, nfailed = 0;
  hg_policy pol = {0};
  char roots[MAX_READ_ROOTS + 1][PATH_MAX], script_dir[PATH_MAX];
  const char *read_roots[MAX_READ_ROOTS + 2];

  hg_error_clear(err);
  if (!opts)
    opts = &none;
  if (failed)
    *failed = 0;
  if (trace && tracelen)
    trace[0] = '\0';
  if ((rc = hg_regular_file(script, "scenario", err)))
    return rc;
  if (opts->n_allow_read > MAX_READ_ROOTS)
    return hg_fail(err, HG_ERR_ARG, "--allow-read: at most %d folders", MAX_READ_ROOTS);
  for (int i = 0; i < opts->n_allow_read; i++)
    if ((rc = resolve_root(opts->allow_read[i], "--allow-read", roots[i], err)))
      return rc;
  if ((rc = resolve_root(script, "scenario", script_dir, err)))
    return rc;
  *strrchr(script_dir, '/') = '\0'; /* its folder ("" for "/": the whole tree) */
  if ((rc = hg_scenario_open(script, outdir, &S, err)))
    return rc;
  if (outdir && (rc = resolve_root(outdir, "output folder", roots[MAX_READ_ROOTS], err)))
    goto done;
  pol.sandbox = opts->sandbox;
  pol.write_root = outdir ? roots[MAX_READ_ROOTS] : NULL; /* a plan writes nothing */
  pol.read_roots = read_roots;
  read_roots[pol.n_read++] = *script_dir ? script_dir : "/";
  read_roots[pol.n_read++] = HG_DATASETS_DIR;
  for (int i = 0; i < opts->n_allow_read; i++)
    read_roots[pol.n_read++] = roots[i];
  pol.mem_cap = opts->max_memory;
  pol.deadline = opts->max_seconds > 0 ? hg_now() + opts->max_seconds : 0;
  lua_mem.cap = opts->max_memory;
  if (!(L = lua_newstate(capped_alloc, &lua_mem))) {
    rc = hg_fail(err, HG_ERR_NOMEM, "out of memory for a Lua state");
    goto done;
  }
  if (pol.deadline > 0)
    hg_lua_arm_deadline(L);
  lua_pushcfunction(L, msghandler);
  lua_pushcfunction(L, run_protected);
  lua_pushlightuserdata(L, S);
  lua_pushlightuserdata(L, (void *)script);
  lua_pushlightuserdata(L, &pol);
  lua_pushlightuserdata(L, opts->plan);
  int status = lua_pcall(L, 4, 0, 1);
  if (status == LUA_ERRRUN && opts->plan && opts->plan->mode == HG_PLAN_RECORD &&
      opts->plan->n > 0) {
    /* code that reads results, run on placeholders: the runs before it are the plan, what
     * follows is left to the reporting pass */
    const char *msg = lua_tostring(L, -1);
    const char *tb = msg ? strstr(msg, "\nstack traceback:\n") : NULL;
    fprintf(stderr, "hgbench: note: the planning pass stopped at an error on placeholder "
            "results (%.*s); the %d runs before it are planned, any later ones are run by the "
            "reporting pass\n", msg ? (tb ? (int)(tb - msg) : (int)strlen(msg)) : 0,
            msg ? msg : "?", opts->plan->n);
    lua_pop(L, 1);
    status = LUA_OK;
  }
  if (status == LUA_OK && opts->plan && opts->plan->drive) { /* execute the units given */
    opts->plan->mode = HG_PLAN_EXEC;
    opts->plan->lua = L;
    opts->plan->exec = exec_unit;
    rc = opts->plan->drive(opts->plan, opts->plan->ctx, err);
    opts->plan->lua = NULL;
  }
  if (opts->plan && (opts->plan->mode == HG_PLAN_REPORT || opts->plan->mode == HG_PLAN_OFF)) {
    /* a reporting pass: rows in the order the script asked for them, as a serial run's */
    uint64_t *base = malloc(((size_t)opts->plan->n + 1) * sizeof *base);
    int nb = 0;
    for (int j = 0; base && j < opts->plan->n; j++)
      if (opts->plan->units[j].kind == 'h')
        base[nb++] = opts->plan->units[j].base;
    if (!base || hg_scenario_order(S, base, nb, err))
      rc = base ? err->status : hg_fail(err, HG_ERR_NOMEM, "out of memory ordering results");
    free(base);
  }
  lua_sethook(L, NULL, 0, 0); /* finalizers run at lua_close, past any deadline */
  if (status != LUA_OK) {
    const char *msg = lua_tostring(L, -1);
    const char *tb = msg ? strstr(msg, "\nstack traceback:\n") : NULL;
    int len = msg ? (tb ? (int)(tb - msg) : (int)strlen(msg)) : 0;
    if (status == LUA_ERRMEM && lua_mem.cap)
      rc = hg_fail(err, HG_ERR_MEMCAP, "scenario '%s': the script's own data went over "
                   "--max-memory (%zu bytes)", script, lua_mem.cap);
    else
      rc = hg_fail(err, status == LUA_ERRMEM ? HG_ERR_NOMEM : HG_ERR_ARG, "%.*s", len,
                   msg ? msg : "(no message)");
    if (trace && tracelen && tb)
      snprintf(trace, tracelen, "%s", tb + 1);
  }
  lua_close(L); /* collects every problem and run still open */

done:
  hg_error_clear(&ferr);
  int frc = outdir ? hg_scenario_finish(S, &nfailed, &ferr) : HG_OK; /* a plan: no folder */
  if (frc && !rc) {
    rc = frc;
    *err = ferr;
  } else if (frc) {
    fprintf(stderr, "hgbench: %s\n", ferr.msg);
  }
  if (failed)
    *failed = nfailed;
  hg_scenario_destroy(&S);
  return rc;
}

int hg_lua_prepare(lua_State *L, hg_scenario *S, const hg_policy *pol, hg_error *err)
{
  hg_error_clear(err);
  lua_pushcfunction(L, prepare_state);
  lua_pushlightuserdata(L, S);
  lua_pushlightuserdata(L, (void *)pol);
  if (lua_pcall(L, 2, 0, 0) != LUA_OK) {
    int rc = hg_fail(err, HG_ERR_NOMEM, "%s", lua_tostring(L, -1) ? lua_tostring(L, -1) : "?");
    lua_pop(L, 1);
    return rc;
  }
  hg_lua_arm_deadline(L);
  return HG_OK;
}

void hg_lua_arm_deadline(lua_State *L)
{
  lua_sethook(L, deadline_hook, LUA_MASKCOUNT, HOOK_COUNT);
}

/* ------------------------------------------------------------------------------------------ */
/* The module for a stock interpreter: `lua5.4 scenario.lua` with hgbench.so on LUA_CPATH      */
/* ------------------------------------------------------------------------------------------ */

#define MODULE_SCENARIO_KEY "hgbench.module_scenario" /* registry: the full userdata below */

/* The scenario the module opened; finished (report.md, manifest.json) by hg.finish() or, at
 * the latest, when the interpreter closes its state. */
typedef struct mscenario {
  hg_scenario *S; /* owned; NULL before opening and after finishing */
} mscenario;

/* Finish the module's scenario: returns the failed expectations (and prints a summary), or
 * raises an error naming the failure. */
static int module_finish(lua_State *L)
{
  lua_getfield(L, LUA_REGISTRYINDEX, MODULE_SCENARIO_KEY);
  mscenario *ms = lua_touserdata(L, -1);
  hg_error err;
  int failed = 0, rc = HG_OK;

  hg_error_clear(&err);
  if (ms && ms->S) {
    rc = hg_scenario_finish(ms->S, &failed, &err);
    if (!rc)
      fprintf(stderr, "hgbench: %d expectation(s) failed; report in %s/report.md\n", failed,
              ms->S->outdir);
    hg_scenario_destroy(&ms->S);
    lua_pushnil(L);
    lua_setfield(L, LUA_REGISTRYINDEX, SCENARIO_KEY);
  }
  if (rc)
    return luaL_error(L, "hgbench: %s", err.msg);
  lua_pushinteger(L, failed);
  return 1;
}

/* __gc of the module's scenario: finish it if the script did not. */
static int module_scenario_gc(lua_State *L)
{
  mscenario *ms = lua_touserdata(L, 1);
  hg_error err;
  int failed = 0;
  hg_error_clear(&err);
  if (ms->S && hg_scenario_finish(ms->S, &failed, &err))
    fprintf(stderr, "hgbench: %s\n", err.msg);
  hg_scenario_destroy(&ms->S);
  return 0;
}

/*
 * require "hgbench" from a stock lua5.4: register the built-in plugins (and those of
 * HGBENCH_PLUGIN_PATH) in libhgbench.so unless its front end did, open a scenario writing into
 * $HGBENCH_OUT (default out/<script name>, the script being arg[0]) and return the module with
 * finish() added (the failed expectations; also done when the state closes).  Inside
 * `hgbench run` the module is already loaded and this is not called.
 */
LUAMOD_API int luaopen_hgbench(lua_State *L)
{
  hg_error err;
  char outdir[1024];
  const char *script = "scenario.lua", *out = getenv("HGBENCH_OUT");

  hg_error_clear(&err);
  if (!hg_method_list()->name) {
    int argc = 1;
    char *argv[] = {"lua", NULL};
    if (hg_register_builtin(&err) || hg_plugins_load(&argc, argv, &err))
      return luaL_error(L, "hgbench: %s", err.msg);
    hg_registry_freeze();
  }
  if (lua_getglobal(L, "arg") == LUA_TTABLE && lua_geti(L, -1, 0) == LUA_TSTRING)
    script = lua_tostring(L, -1); /* stays on the stack while used */
  if (out && *out) {
    snprintf(outdir, sizeof outdir, "%s", out);
  } else {
    const char *base = strrchr(script, '/') ? strrchr(script, '/') + 1 : script;
    size_t len = strlen(base);
    if (len > 4 && !strcmp(base + len - 4, ".lua"))
      len -= 4;
    snprintf(outdir, sizeof outdir, "out/%.*s", (int)len, base);
  }
  mscenario *ms = lua_newuserdatauv(L, sizeof *ms, 0);
  ms->S = NULL;
  lua_newtable(L);
  lua_pushcfunction(L, module_scenario_gc);
  lua_setfield(L, -2, "__gc");
  lua_setmetatable(L, -2);
  lua_setfield(L, LUA_REGISTRYINDEX, MODULE_SCENARIO_KEY);
  if (hg_scenario_open(script, outdir, &ms->S, &err))
    return luaL_error(L, "hgbench: %s", err.msg);
  lua_pushlightuserdata(L, ms->S);
  lua_setfield(L, LUA_REGISTRYINDEX, SCENARIO_KEY);
  open_module(L);
  lua_pushcfunction(L, module_finish);
  lua_setfield(L, -2, "finish");
  return 1;
}

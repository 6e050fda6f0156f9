/*
 * fuzz_lua.c -- Lua-to-C argument marshalling: the bytes, read as a little grammar, become
 * Lua argument lists (nil, booleans, numbers from NaN and infinities to the integer extremes,
 * problem, method and key names, raw strings, nested tables with array and key=value parts)
 * for hg.problem, hg.hypergrad (on the problem made, when one was) and hg.optimize, each call
 * in a pcall; each input is a chunk run in one sandboxed state set up by hg_lua_prepare, the
 * set-up hg_lua_run gives every scenario.
 * Numbers stay small where they would be budgets, so a valid call finishes quickly.
 * HG_FUZZ_SHOW=1 in the environment prints each script to stderr.
 */
#define _XOPEN_SOURCE 700
#include "fuzz.h"
#include "hglua.h"

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <limits.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The bytes being read, a byte at a time (0 once exhausted). */
typedef struct reader {
  const uint8_t *p;
  size_t n;
} reader;

static unsigned next(reader *r)
{
  if (!r->n)
    return 0;
  r->n--;
  return *r->p++;
}

/* Append text to the script buffer (silently dropped past its end: the script stays short). */
typedef struct buf {
  char s[8192];
  size_t len;
} buf;

static void put(buf *b, const char *t)
{
  size_t n = strlen(t);
  if (b->len + n < sizeof b->s) {
    memcpy(b->s + b->len, t, n + 1);
    b->len += n;
  }
}

static const char *const numbers[] = {
  "0", "1", "2", "3", "5", "10", "-1", "0.5", "1e-300", "1e300", "-1e300", "0/0", "1/0",
  "-1/0", "2^31", "2^53", "math.mininteger", "math.maxinteger", "-0.0", "3.5"};
static const char *const names[] = {
  "\"quadratic\"", "\"ridge\"", "\"logreg\"", "\"denoise-tv\"", "\"itd\"", "\"aid-cg\"",
  "\"aid-fp\"", "\"neumann\"", "\"hgd\"", "\"nosuch\"", "\"\"", "\"n\"", "\"m\"", "\"t\"",
  "\"k\"", "\"K\"", "\"method\"", "\"seed\"", "\"kappa\"", "\"size\"", "\"n_images\"",
  "\"train\"", "\"tol_lower\"", "\"steps\"", "\"outer\"", "\"n=3\"", "\"t=2\""};
static const char *const keys[] = {
  "method", "t", "k", "K", "n", "m", "kappa", "seed", "tol_lower", "tol_linear", "steps",
  "outer", "theta", "w0", "size", "n_images", "params", "warm", "exact", "rep", "x"};

#define COUNT(a) (sizeof a / sizeof a[0])

/* One Lua expression from the bytes, tables nested at most depth deep. */
static void value(reader *r, buf *b, int depth)
{
  unsigned c = next(r);
  char tmp[64];

  switch (c % 8) {
  case 0:
    put(b, "nil");
    break;
  case 1:
    put(b, c & 8 ? "true" : "false");
    break;
  case 2:
  case 3:
    put(b, numbers[next(r) % COUNT(numbers)]);
    break;
  case 4:
  case 5:
    put(b, names[next(r) % COUNT(names)]);
    break;
  case 6: { /* a raw string of up to 15 bytes, each escaped */
    unsigned len = next(r) % 16;
    put(b, "\"");
    for (unsigned i = 0; i < len; i++) {
      snprintf(tmp, sizeof tmp, "\\%u", next(r));
      put(b, tmp);
    }
    put(b, "\"");
    break;
  }
  default: /* a table */
    if (depth >= 3) {
      put(b, "{}");
      break;
    }
    put(b, "{");
    for (unsigned i = 0, len = next(r) % 6; i < len; i++) {
      if (next(r) & 1) {
        put(b, keys[next(r) % COUNT(keys)]);
        put(b, " = ");
      }
      value(r, b, depth + 1);
      put(b, ", ");
    }
    put(b, "}");
  }
}

/* Up to 3 more arguments, each after ", ". */
static void args(reader *r, buf *b)
{
  for (unsigned i = 0, n = next(r) % 4; i < n; i++) {
    put(b, ", ");
    value(r, b, 0);
  }
}

/* One scenario and one sandboxed Lua state for the whole process, as a long script calling the
 * module many times would have: a fresh state per input (a whole hg_lua_run) managed about a
 * hundred inputs a second, too few to reach a million; what is fuzzed is the marshalling, which
 * is the same either way.  Each input is one chunk run with a fresh 5 s deadline and a 1 MB
 * cap on each problem's data and run's workspace (larger instances, the slowest inputs, are
 * refused by the cap, itself a path worth fuzzing); the state is collected after each input,
 * so the problems and runs it made are freed before the next. */
static char dir[96], script[128], root[4096];
static lua_State *L;
static hg_scenario *S;
static hg_policy pol;
static const char *read_roots[2];
static const char *const files[] = {"results.tsv", "manifest.json", "report.md", "optimize.tsv"};

/* Close the state and the scenario, and remove what they wrote. */
static void close_scenario(void)
{
  char path[160];
  hg_error err;
  int failed;
  if (L)
    lua_close(L);
  L = NULL;
  if (S)
    (void)hg_scenario_finish(S, &failed, &err);
  hg_scenario_destroy(&S);
  for (size_t i = 0; i < COUNT(files); i++) {
    snprintf(path, sizeof path, "%s/%s", dir, files[i]);
    remove(path);
  }
}

static void clean_all(void)
{
  close_scenario();
  remove(script);
  rmdir(dir);
}

/* A fresh scenario in the folder and a state set up for it (abort on failure: the harness
 * itself is broken, not the input). */
static void open_scenario(void)
{
  hg_error err;
  if (hg_scenario_open(script, dir, &S, &err) || !realpath(dir, root))
    abort();
  read_roots[0] = root;
  read_roots[1] = HG_DATASETS_DIR;
  pol = (hg_policy){.sandbox = 1, .read_roots = read_roots, .n_read = 2, .write_root = root,
                    .mem_cap = (size_t)1 << 20};
  if (!(L = luaL_newstate()) || hg_lua_prepare(L, S, &pol, &err))
    abort();
}

/* The registry, the folder's name and the script, once per process. */
static void setup(void)
{
  hg_error err;
  FILE *f;

  if (hg_register_builtin(&err))
    abort();
  hg_registry_freeze();
  snprintf(dir, sizeof dir, "%s/hgfuzz-%ld-lua", access("/dev/shm", W_OK) == 0 ? "/dev/shm"
           : "/tmp", (long)getpid());
  snprintf(script, sizeof script, "%s.lua", dir);
  atexit(clean_all);
  if (!(f = fopen(script, "w")) || fputs("-- fuzz_lua: chunks come from the fuzzer\n", f) < 0
      || fclose(f) != 0)
    abort();
}

/* Inputs between two fresh scenarios: a scenario keeps every run it recorded, so one kept for
 * a million inputs would grow past libFuzzer's memory limit. */
#define INPUTS_PER_SCENARIO 2000

FUZZ_TARGET(lua)
{
  reader r = {data, size};
  buf b = {{0}, 0};

  static long inputs;
  if (!inputs++)
    setup();
  if (L && inputs % INPUTS_PER_SCENARIO == 0)
    close_scenario();
  if (!L)
    open_scenario();
  put(&b, "local P\npcall(function() P = hg.problem(");
  value(&r, &b, 0);
  args(&r, &b);
  put(&b, ") end)\nif P then pcall(hg.hypergrad, P");
  args(&r, &b);
  put(&b, ") end\npcall(hg.hypergrad");
  args(&r, &b);
  put(&b, ")\npcall(hg.optimize");
  args(&r, &b);
  put(&b, ")\n");
  if (getenv("HG_FUZZ_SHOW")) /* the script an input makes, to reproduce a crash by hand */
    fputs(b.s, stderr);
  pol.deadline = hg_now() + 5; /* time cap of this input's runs and of the chunk itself */
  hg_lua_arm_deadline(L);
  if (luaL_loadbufferx(L, b.s, b.len, "=fuzz", "t") == LUA_OK)
    (void)lua_pcall(L, 0, 0, 0); /* an error past the pcalls (the deadline) is a clean stop */
  lua_settop(L, 0);
  lua_gc(L, LUA_GCCOLLECT, 0);
  return 0;
}

/*
 * fuzz_lua.c -- Lua-to-C argument marshalling: the bytes, read as a little grammar, become
 * Lua argument lists (nil, booleans, numbers from NaN and infinities to the integer extremes,
 * problem, method and key names, raw strings, nested tables with array and key=value parts)
 * for hg.problem, hg.hypergrad (on the problem made, when one was) and hg.optimize, each call
 * in a pcall; the scenario runs through hg_lua_run, the public entry point of the Lua module.
 * Numbers stay small where they would be budgets, so a valid call finishes quickly.
 * HG_FUZZ_SHOW=1 in the environment prints each script to stderr.
 */
#define _POSIX_C_SOURCE 200809L
#include "fuzz.h"
#include "hglua.h"

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

static char dir[96], script[128];
static const char *const files[] = {"results.tsv", "manifest.json", "report.md", "optimize.tsv"};

/* Remove what the last scenario wrote (and, with all = 1, the script and the folder). */
static void clean(int all)
{
  char path[160];
  for (size_t i = 0; i < COUNT(files); i++) {
    snprintf(path, sizeof path, "%s/%s", dir, files[i]);
    remove(path);
  }
  if (all) {
    remove(script);
    rmdir(dir);
  }
}

static void clean_all(void)
{
  clean(1);
}

FUZZ_TARGET(lua)
{
  static int ready;
  reader r = {data, size};
  buf b = {{0}, 0};
  hg_error err;
  int failed;

  if (!ready) { /* the registry, once per process (as main does) */
    if (hg_register_builtin(&err))
      abort();
    hg_registry_freeze();
    snprintf(dir, sizeof dir, "%s/hgfuzz-%ld-lua", access("/dev/shm", W_OK) == 0 ? "/dev/shm"
             : "/tmp", (long)getpid());
    snprintf(script, sizeof script, "%s.lua", dir);
    atexit(clean_all);
    ready = 1;
  }
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
  FILE *f = fopen(script, "w");
  if (!f || fputs(b.s, f) < 0 || fclose(f) != 0)
    abort();
  clean(0); /* a fresh folder each time: nothing resumed from the last input */
  hg_error_clear(&err);
  /* sandboxed (a fuzzed script stays in its folder), with time and memory caps */
  const hg_lua_opts o = {.sandbox = 1, .max_seconds = 5, .max_memory = (size_t)256 << 20};
  (void)hg_lua_run(script, dir, &o, &failed, NULL, 0, &err);
  return 0;
}

/*
 * key.c -- the run key (DESIGN §6): what makes two runs the same run, its 64-bit hash, the
 * content hash of a run's input files, the seeds derived from the key, and the escaping that
 * keeps a results.tsv field on its line.  results.tsv resume (harness/cli/scenario.c) and
 * anything that compares runs across folders use these and nothing else.
 */
#include "hg_io.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define FNV_OFFSET HG_FNV_OFFSET
#define FNV_PRIME 0x100000001b3ULL

/* ------------------------------------------------------------------------------------------ */
/* Hashes                                                                                      */
/* ------------------------------------------------------------------------------------------ */

uint64_t hg_fnv1a(uint64_t h, const void *p, size_t len)
{
  const unsigned char *b = p;
  for (size_t i = 0; i < len; i++) {
    h ^= b[i];
    h *= FNV_PRIME;
  }
  return h;
}

/* The SplitMix64 finalizer: a bijective mix of all 64 bits. */
static uint64_t mix64(uint64_t z)
{
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/* The seed of repetition rep: SplitMix64's finalizer over FNV-1a of "problem|params|rep", its
 * top 53 bits (exact as a Lua number and a double). */
uint64_t hg_run_seed(const char *problem, const char *params, long long rep)
{
  char rs[32];
  uint64_t h = FNV_OFFSET;

  snprintf(rs, sizeof rs, "%lld", rep);
  h = hg_fnv1a(h, problem, strlen(problem));
  h = hg_fnv1a(h, "|", 1);
  h = hg_fnv1a(h, params, strlen(params));
  h = hg_fnv1a(h, "|", 1);
  h = hg_fnv1a(h, rs, strlen(rs));
  return mix64(h) >> 11;
}

/* ------------------------------------------------------------------------------------------ */
/* Escaping                                                                                    */
/* ------------------------------------------------------------------------------------------ */

/* The escaped form of byte c into out (at most 4 bytes, not terminated); returns its length. */
static int escape_byte(unsigned char c, char out[4])
{
  static const char hex[] = "0123456789abcdef";
  const char *named = c == '\t' ? "\\t" : c == '\n' ? "\\n" : c == '\r' ? "\\r"
                    : c == '\\' ? "\\\\" : NULL;
  if (named) {
    memcpy(out, named, 2);
    return 2;
  }
  if (c < 0x20 || c == 0x7f) {
    out[0] = '\\';
    out[1] = 'x';
    out[2] = hex[c >> 4];
    out[3] = hex[c & 15];
    return 4;
  }
  out[0] = (char)c;
  return 1;
}

void hg_tsv_put(FILE *f, const char *s)
{
  char e[4];
  for (; *s; s++)
    fwrite(e, 1, (size_t)escape_byte((unsigned char)*s, e), f);
}

static int hex_digit(char c)
{
  return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
       : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

char *hg_tsv_unescape(char *s)
{
  char *out = s;
  for (const char *p = s; *p; p++) {
    if (*p != '\\' || !p[1]) {
      *out++ = *p;
      continue;
    }
    p++;
    switch (*p) {
    case 't': *out++ = '\t'; break;
    case 'n': *out++ = '\n'; break;
    case 'r': *out++ = '\r'; break;
    case '\\': *out++ = '\\'; break;
    default:
      if (*p == 'x' && hex_digit(p[1]) >= 0 && hex_digit(p[2]) >= 0) {
        *out++ = (char)(hex_digit(p[1]) * 16 + hex_digit(p[2]));
        p += 2;
      } else { /* not an escape: kept as written */
        *out++ = '\\';
        *out++ = *p;
      }
    }
  }
  *out = '\0';
  return s;
}

/* ------------------------------------------------------------------------------------------ */
/* The key                                                                                     */
/* ------------------------------------------------------------------------------------------ */

/* Key text under construction: bytes go to the hash always and to buf while there is room. */
typedef struct key_sink {
  char *buf;
  size_t len, pos;
  uint64_t h;
} key_sink;

static void sink_bytes(key_sink *k, const char *p, size_t n)
{
  k->h = hg_fnv1a(k->h, p, n);
  for (size_t i = 0; i < n; i++, k->pos++)
    if (k->buf && k->pos + 1 < k->len)
      k->buf[k->pos] = p[i];
}

/* One field: a tab before every field but the first, then s escaped (so no field holds a tab
 * and the text splits back into the same fields). */
static void sink_field(key_sink *k, const char *s)
{
  char e[4];
  if (k->pos)
    sink_bytes(k, "\t", 1);
  for (; *s; s++)
    sink_bytes(k, e, (size_t)escape_byte((unsigned char)*s, e));
}

/* One field printf-style (numbers: no escaping needed, but the same path). */
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void sink_fmt(key_sink *k, const char *fmt, ...)
{
  char text[64];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  sink_field(k, text);
}

uint64_t hg_run_key(const hg_record *r, int full, char *buf, size_t len)
{
  key_sink k = {buf, len, 0, FNV_OFFSET};

  sink_field(&k, r->problem);
  sink_field(&k, r->problem_params);
  sink_field(&k, r->method);
  sink_field(&k, r->method_params);
  sink_field(&k, r->theta);
  sink_fmt(&k, "%llu", (unsigned long long)r->seed);
  sink_fmt(&k, "t=%d", r->t_budget);
  sink_fmt(&k, "k=%d", r->k_budget);
  sink_fmt(&k, "K=%d", r->K);
  sink_fmt(&k, "tol_lower=%.17g", r->tol_lower);
  sink_fmt(&k, "tol_linear=%.17g", r->tol_linear);
  sink_field(&k, r->local_constants ? "local" : "global");
  if (full) {
    sink_fmt(&k, "inputs=%016llx", (unsigned long long)r->inputs);
    sink_fmt(&k, "problem_rev=%d", r->problem_rev);
    sink_fmt(&k, "method_rev=%d", r->method_rev);
  }
  if (buf && len)
    buf[k.pos < len ? k.pos : len - 1] = '\0';
  return k.h;
}

int hg_record_same_key(const hg_record *a, const hg_record *b)
{
  return !strcmp(a->problem, b->problem) && !strcmp(a->problem_params, b->problem_params) &&
         !strcmp(a->method, b->method) && !strcmp(a->method_params, b->method_params) &&
         !strcmp(a->theta, b->theta) && a->seed == b->seed && a->t_budget == b->t_budget &&
         a->k_budget == b->k_budget && a->K == b->K && a->tol_lower == b->tol_lower &&
         a->tol_linear == b->tol_linear && a->local_constants == b->local_constants;
}

int hg_record_fresh(const hg_record *old, const hg_record *now)
{
  return old->inputs == now->inputs && old->problem_rev == now->problem_rev &&
         old->method_rev == now->method_rev;
}

/* ------------------------------------------------------------------------------------------ */
/* Input files                                                                                 */
/* ------------------------------------------------------------------------------------------ */

/* One hashed file: its content hash, valid while path, device, inode, size and mtime agree. */
typedef struct file_entry {
  struct file_entry *next; /* owned */
  dev_t dev;
  ino_t ino;
  off_t size;
  struct timespec mtime;
  uint64_t h;
  char path[];
} file_entry;

struct hg_file_hashes {
  file_entry *first; /* owned; a handful of distinct files per scenario, searched in order */
};

void hg_file_hashes_destroy(hg_file_hashes **pc)
{
  hg_file_hashes *c = pc ? *pc : NULL;
  if (!c)
    return;
  while (c->first) {
    file_entry *e = c->first;
    c->first = e->next;
    free(e);
  }
  free(c);
  *pc = NULL;
}

/* FNV-1a of the bytes of path (0 when it cannot be read: the run then fails on it anyway). */
static uint64_t hash_content(const char *path)
{
  enum { CHUNK = 1 << 16 };
  uint64_t h = FNV_OFFSET;
  size_t got;
  char *chunk = malloc(CHUNK);
  FILE *f = chunk ? fopen(path, "rb") : NULL;
  int ok = f != NULL;
  if (f) {
    while ((got = fread(chunk, 1, CHUNK, f)) > 0)
      h = hg_fnv1a(h, chunk, got);
    ok = !ferror(f);
    fclose(f);
  }
  free(chunk);
  return ok ? h : 0;
}

/* The content hash of the regular file path with status st, from the cache c when path, size
 * and mtime agree, hashed (and cached) otherwise. */
static uint64_t cached_hash(hg_file_hashes *c, const char *path, const struct stat *st)
{
  file_entry *e = c->first;
  while (e && strcmp(e->path, path))
    e = e->next;
  if (e && e->dev == st->st_dev && e->ino == st->st_ino && e->size == st->st_size &&
      e->mtime.tv_sec == st->st_mtim.tv_sec && e->mtime.tv_nsec == st->st_mtim.tv_nsec)
    return e->h;
  uint64_t h = hash_content(path);
  if (!e && (e = malloc(sizeof *e + strlen(path) + 1)) != NULL) {
    strcpy(e->path, path);
    e->next = c->first;
    c->first = e;
  }
  if (!e) /* out of memory: not cached, still correct */
    return h;
  e->dev = st->st_dev;
  e->ino = st->st_ino;
  e->size = st->st_size;
  e->mtime = st->st_mtim;
  e->h = h;
  return h;
}

/* Fold the file at path (name and content hash) into *h; a folder folds in its regular files
 * in name order (a data set's folder: path= of data=fashion-mnist).  Returns 1 if path named
 * a file or folder. */
static int fold_path(hg_file_hashes *c, const char *path, uint64_t *h)
{
  struct stat st;
  if (stat(path, &st) != 0)
    return 0;
  if (S_ISREG(st.st_mode)) {
    uint64_t fh = cached_hash(c, path, &st);
    *h = hg_fnv1a(*h, path, strlen(path) + 1);
    *h = hg_fnv1a(*h, &fh, sizeof fh);
    return 1;
  }
  if (!S_ISDIR(st.st_mode))
    return 0;
  struct dirent **names = NULL;
  int n = scandir(path, &names, NULL, alphasort);
  for (int i = 0; i < n; i++) {
    char sub[4096];
    struct stat sst;
    if (names[i]->d_name[0] != '.' &&
        (size_t)snprintf(sub, sizeof sub, "%s/%s", path, names[i]->d_name) < sizeof sub &&
        stat(sub, &sst) == 0 && S_ISREG(sst.st_mode)) {
      uint64_t fh = cached_hash(c, sub, &sst);
      *h = hg_fnv1a(*h, sub, strlen(sub) + 1);
      *h = hg_fnv1a(*h, &fh, sizeof fh);
    }
    free(names[i]);
  }
  free(names);
  return 1;
}

/* 1 if s is a number as a whole (a numeric parameter is never taken for a file name). */
static int is_number(const char *s)
{
  char *end;
  if (!*s)
    return 1;
  strtod(s, &end);
  return *end == '\0';
}

/* The start of the next "key=" word of a parameter text after position p (a space, then a
 * name of letters, digits and '_', then '='), or NULL. */
static const char *next_word(const char *p)
{
  for (; (p = strchr(p, ' ')) != NULL; p++) {
    const char *q = p + 1;
    while (*q == '_' || (*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') ||
           (*q >= '0' && *q <= '9'))
      q++;
    if (q > p + 1 && *q == '=')
      return p + 1;
  }
  return NULL;
}

/* Fold the files named by the values of the parameter text params ("key=value ...", a value
 * may be a comma-separated list) into *h; returns how many named a file or folder. */
static int fold_params(hg_file_hashes *c, const char *params, uint64_t *h)
{
  int found = 0;
  for (const char *w = *params ? params : NULL; w; ) {
    const char *next = next_word(w), *eq = strchr(w, '=');
    const char *end = next ? next - 1 : w + strlen(w);
    if (eq && eq < end) {
      char value[1024];
      size_t vlen = (size_t)(end - eq - 1);
      if (vlen < sizeof value) {
        memcpy(value, eq + 1, vlen);
        value[vlen] = '\0';
        for (char *part = value, *comma; part; part = comma ? comma + 1 : NULL) {
          comma = strchr(part, ',');
          if (comma)
            *comma = '\0';
          if (!is_number(part))
            found += fold_path(c, part, h);
        }
      }
    }
    w = next;
  }
  return found;
}

uint64_t hg_inputs_hash(hg_file_hashes **pc, const hg_record *r)
{
  uint64_t h = FNV_OFFSET;
  int found = 0;
  if (!*pc && !(*pc = calloc(1, sizeof **pc)))
    return 0;
  found += fold_params(*pc, r->problem_params, &h);
  found += fold_params(*pc, r->method_params, &h);
  if (r->theta[0] == '@')
    found += fold_path(*pc, r->theta + 1, &h);
  return found ? (h ? h : 1) : 0;
}

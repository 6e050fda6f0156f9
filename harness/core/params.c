/*
 * params.c -- "key=value" words validated against a plugin's parameter schema.
 *
 * Every value is checked when parsed (type, range, choice), so plugins read them back with
 * hg_params_int() etc. and never see a malformed value.
 */
#include "hg_core.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct hg_params {
  const hg_param_spec *schema; /* borrowed: static plugin data */
  int count;                   /* entries in schema */
  char **value;                /* count values (given or default text, NULL if absent) */
  int *given;                  /* count flags */
  char *text;                  /* "key=value ..." of the given keys */
  const hg_policy *policy;     /* borrowed while the problem is created, else NULL */
  size_t mem_cap;              /* the policy's memory cap, kept after creation (0: none) */
};

static int spec_index(const hg_param_spec *schema, const char *key, size_t keylen)
{
  for (int i = 0; schema[i].key; i++)
    if (strlen(schema[i].key) == keylen && strncmp(schema[i].key, key, keylen) == 0)
      return i;
  return -1;
}

/* Parse a decimal integer filling the whole string. */
static int parse_long(const char *s, long *out)
{
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || end == s || *end)
    return 0;
  *out = v;
  return 1;
}

/* Parse a finite real filling the whole string. */
static int parse_real(const char *s, double *out)
{
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (errno || end == s || *end || !isfinite(v))
    return 0;
  *out = v;
  return 1;
}

static int choice_ok(const char *choices, const char *v)
{
  size_t len = strlen(v);
  for (const char *c = choices; c && *c;) {
    const char *bar = strchr(c, '|');
    size_t clen = bar ? (size_t)(bar - c) : strlen(c);
    if (clen == len && strncmp(c, v, len) == 0)
      return 1;
    c = bar ? bar + 1 : NULL;
  }
  return 0;
}

/* Check one value against its spec; the message names owner and key. */
static int validate(const hg_param_spec *s, const char *owner, const char *v, hg_error *err)
{
  int ranged = !(s->lo == 0 && s->hi == 0);
  double x = 0;
  long n = 0;
  char esc[128]; /* the value as the message shows it: control bytes escaped */

  hg_escape(v, esc, sizeof esc);
  switch (s->type) {
  case HG_PARAM_INT:
    if (!parse_long(v, &n))
      return hg_fail(err, HG_ERR_ARG, "%s: %s=%s is not an integer", owner, s->key, esc);
    x = (double)n;
    break;
  case HG_PARAM_REAL:
    if (!parse_real(v, &x))
      return hg_fail(err, HG_ERR_ARG, "%s: %s=%s is not a finite number", owner, s->key, esc);
    break;
  case HG_PARAM_CHOICE:
    if (!choice_ok(s->choices, v))
      return hg_fail(err, HG_ERR_ARG, "%s: %s=%s is not one of %s", owner, s->key, esc,
                     s->choices);
    return HG_OK;
  case HG_PARAM_STRING:
    if (!*v)
      return hg_fail(err, HG_ERR_ARG, "%s: %s= needs a value", owner, s->key);
    return HG_OK;
  }
  if (ranged && (x < s->lo || x > s->hi))
    return hg_fail(err, HG_ERR_ARG, "%s: %s=%s is outside [%g, %g]", owner, s->key, esc, s->lo,
                   s->hi);
  return HG_OK;
}

static char *dup_string(const char *s, size_t len)
{
  char *d = malloc(len + 1);
  if (d) {
    memcpy(d, s, len);
    d[len] = '\0';
  }
  return d;
}

int hg_params_parse(const hg_param_spec *schema, const char *owner, int nwords,
                    const char *const *words, hg_params **out, hg_error *err)
{
  int rc = HG_OK;
  hg_params *p = calloc(1, sizeof *p);
  size_t textlen = 1;

  *out = NULL;
  if (!p)
    return hg_fail(err, HG_ERR_NOMEM, "%s: out of memory for parameters", owner);
  p->schema = schema;
  while (schema[p->count].key)
    p->count++;
  p->value = calloc((size_t)p->count + 1, sizeof *p->value);
  p->given = calloc((size_t)p->count + 1, sizeof *p->given);
  if (!p->value || !p->given) {
    rc = hg_fail(err, HG_ERR_NOMEM, "%s: out of memory for parameters", owner);
    goto done;
  }

  for (int w = 0; w < nwords; w++) {
    const char *eq = strchr(words[w], '=');
    if (!eq || eq == words[w]) {
      char esc[128];
      rc = hg_fail(err, HG_ERR_ARG, "%s: '%s' is not of the form key=value", owner,
                   hg_escape(words[w], esc, sizeof esc));
      goto done;
    }
    int i = spec_index(schema, words[w], (size_t)(eq - words[w]));
    if (i < 0) {
      char known[256] = "";
      for (int j = 0; j < p->count && strlen(known) + strlen(schema[j].key) + 2 < sizeof known; j++)
        strcat(strcat(known, j ? " " : ""), schema[j].key);
      char key[128], esc[128];
      snprintf(key, sizeof key, "%.*s", (int)(eq - words[w]), words[w]);
      rc = hg_fail(err, HG_ERR_ARG, "%s: unknown key '%s' (known: %s)", owner,
                   hg_escape(key, esc, sizeof esc), p->count ? known : "none");
      goto done;
    }
    if (p->given[i]) {
      rc = hg_fail(err, HG_ERR_ARG, "%s: key '%s' given twice", owner, schema[i].key);
      goto done;
    }
    rc = validate(&schema[i], owner, eq + 1, err);
    if (rc)
      goto done;
    p->value[i] = dup_string(eq + 1, strlen(eq + 1));
    if (!p->value[i]) {
      rc = hg_fail(err, HG_ERR_NOMEM, "%s: out of memory for parameters", owner);
      goto done;
    }
    p->given[i] = 1;
    textlen += strlen(words[w]) + 1;
  }

  p->text = malloc(textlen);
  if (!p->text) {
    rc = hg_fail(err, HG_ERR_NOMEM, "%s: out of memory for parameters", owner);
    goto done;
  }
  p->text[0] = '\0';
  for (int i = 0; i < p->count; i++) {
    if (p->given[i]) {
      if (p->text[0])
        strcat(p->text, " ");
      strcat(p->text, schema[i].key);
      strcat(p->text, "=");
      strcat(p->text, p->value[i]);
    } else if (schema[i].def) {
      p->value[i] = dup_string(schema[i].def, strlen(schema[i].def));
      if (!p->value[i]) {
        rc = hg_fail(err, HG_ERR_NOMEM, "%s: out of memory for parameters", owner);
        goto done;
      }
    }
  }

done:
  if (rc)
    hg_params_destroy(&p);
  *out = p;
  return rc;
}

void hg_params_destroy(hg_params **pp)
{
  hg_params *p = pp ? *pp : NULL;
  if (!p)
    return;
  for (int i = 0; p->value && i < p->count; i++)
    free(p->value[i]);
  free(p->value);
  free(p->given);
  free(p->text);
  free(p);
  *pp = NULL;
}

/* The stored text of key; a key missing from the schema is a programming error of the plugin,
 * reported as an absent value. */
static const char *lookup(const hg_params *p, const char *key, int *given)
{
  int i = spec_index(p->schema, key, strlen(key));
  if (given)
    *given = i >= 0 ? p->given[i] : 0;
  return i >= 0 ? p->value[i] : NULL;
}

long hg_params_int(const hg_params *p, const char *key)
{
  const char *v = lookup(p, key, NULL);
  return v ? strtol(v, NULL, 10) : 0;
}

double hg_params_real(const hg_params *p, const char *key)
{
  const char *v = lookup(p, key, NULL);
  return v ? strtod(v, NULL) : NAN;
}

const char *hg_params_str(const hg_params *p, const char *key)
{
  return lookup(p, key, NULL);
}

int hg_params_int_in(const hg_params *p, const char *owner, const char *key, double lo,
                     double hi, long *out, hg_error *err)
{
  const hg_param_spec as_int = {key, HG_PARAM_INT, NULL, lo, hi, NULL, NULL};
  const char *v = lookup(p, key, NULL);
  int rc = v ? validate(&as_int, owner, v, err)
             : hg_fail(err, HG_ERR_ARG, "%s: %s= has no value", owner, key);

  *out = rc == HG_OK ? strtol(v, NULL, 10) : 0;
  return rc;
}

int hg_params_given(const hg_params *p, const char *key)
{
  int given = 0;
  lookup(p, key, &given);
  return given;
}

const char *hg_params_text(const hg_params *p)
{
  return p->text;
}

void hg_params_set_policy(hg_params *p, const hg_policy *pol)
{
  if (p) {
    p->policy = pol;
    if (pol)
      p->mem_cap = pol->mem_cap;
  }
}

size_t hg_params_mem_cap(const hg_params *p)
{
  return p ? p->mem_cap : 0;
}

/* Bytes in a human unit ("37.3 GB", "512 MB"). */
static void human_bytes(double bytes, char *buf, size_t len)
{
  static const char *const unit[] = {"bytes", "KB", "MB", "GB", "TB", "PB"};
  int u = 0;
  while (bytes >= 1024 && u < 5) {
    bytes /= 1024;
    u++;
  }
  snprintf(buf, len, u ? "%.1f %s" : "%.0f %s", bytes, unit[u]);
}

int hg_over_cap(size_t cap, double bytes, const char *owner, const char *what, hg_error *err)
{
  char need[32], have[32];
  if (!cap || !(bytes > (double)cap))
    return HG_OK;
  human_bytes(bytes, need, sizeof need);
  human_bytes((double)cap, have, sizeof have);
  return hg_fail(err, HG_ERR_MEMCAP, "%s: needs %s %s, over --max-memory %s", owner, need, what,
                 have);
}

int hg_params_reserve(const hg_params *p, const char *owner, double bytes, const char *what,
                      hg_error *err)
{
  return hg_over_cap(hg_params_mem_cap(p), bytes, owner, what, err);
}

/*
 * fuzz_params.c -- the key=value parser (hg_params_parse) on arbitrary words: the bytes split
 * at blanks and newlines into at most 32 words, parsed against a schema with every kind of
 * entry, then each key read back.
 */
#include "fuzz.h"
#include "hg_core.h"

#include <stdlib.h>
#include <string.h>

static const hg_param_spec schema[] = {
  {"n", HG_PARAM_INT, "20", 1, 100000, NULL, "an int in a range"},
  {"seed", HG_PARAM_INT, "0", 0, 0, NULL, "an unbounded int"},
  {"eta", HG_PARAM_REAL, "0.5", 1e-12, 10, NULL, "a real in a range"},
  {"noise", HG_PARAM_REAL, NULL, 0, 0, NULL, "an optional real"},
  {"reg", HG_PARAM_CHOICE, "per-feature", 0, 0, "per-feature|scalar", "a choice"},
  {"train", HG_PARAM_STRING, NULL, 0, 0, NULL, "a string"},
  {"classes", HG_PARAM_STRING, "2", 0, 0, NULL, "a string holding a number or a list"},
  {NULL, 0, NULL, 0, 0, NULL, NULL},
};

FUZZ_TARGET(params)
{
  char *text = malloc(size + 1), *words[32];
  int n = 0;
  hg_params *p = NULL;
  hg_error err;

  if (!text)
    return 0;
  memcpy(text, data, size);
  text[size] = '\0';
  for (char *s = strtok(text, " \n"); s && n < 32; s = strtok(NULL, " \n"))
    words[n++] = s;
  hg_error_clear(&err);
  if (hg_params_parse(schema, "fuzz", n, (const char *const *)words, &p, &err) == HG_OK) {
    long count = 0;
    (void)hg_params_int(p, "n");
    (void)hg_params_int(p, "seed");
    (void)hg_params_real(p, "eta");
    (void)hg_params_real(p, "noise");
    (void)hg_params_str(p, "reg");
    (void)hg_params_str(p, "train");
    if (hg_params_int_in(p, "fuzz", "classes", 2, 100, &count, &err) == HG_OK &&
        (count < 2 || count > 100))
      abort();
  } else if (p || !err.msg[0]) {
    abort();
  }
  hg_params_destroy(&p);
  free(text);
  return 0;
}

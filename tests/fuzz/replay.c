/*
 * replay.c -- fuzz_replay: every fuzz target (tests/fuzz/fuzz_*.c, compiled here with
 * HG_FUZZ_REPLAY) run on files, in the normal build, so the seed corpora and the inputs that
 * once crashed a target (tests/fuzz/regressions/TARGET/) stay clean errors in every test run.
 *
 *   fuzz_replay TARGET FILE...   each FILE through TARGET; exit 0 when none crashed
 *
 * A crash (ASan, UBSan, abort) ends the process with its report; the file is printed first.
 */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int hg_fuzz_libsvm(const uint8_t *data, size_t size);
int hg_fuzz_csv(const uint8_t *data, size_t size);
int hg_fuzz_mm(const uint8_t *data, size_t size);
int hg_fuzz_pgm(const uint8_t *data, size_t size);
int hg_fuzz_png(const uint8_t *data, size_t size);
int hg_fuzz_idx(const uint8_t *data, size_t size);
int hg_fuzz_theta(const uint8_t *data, size_t size);
int hg_fuzz_params(const uint8_t *data, size_t size);
int hg_fuzz_lua(const uint8_t *data, size_t size);

static const struct {
  const char *name;
  int (*run)(const uint8_t *data, size_t size);
} targets[] = {
  {"libsvm", hg_fuzz_libsvm}, {"csv", hg_fuzz_csv},       {"mm", hg_fuzz_mm},
  {"pgm", hg_fuzz_pgm},       {"png", hg_fuzz_png},       {"idx", hg_fuzz_idx},
  {"theta", hg_fuzz_theta},   {"params", hg_fuzz_params}, {"lua", hg_fuzz_lua},
  {NULL, NULL},
};

int main(int argc, char **argv)
{
  int t;

  if (argc < 3) {
    fprintf(stderr, "usage: fuzz_replay TARGET FILE...\n");
    return 2;
  }
  for (t = 0; targets[t].name && strcmp(targets[t].name, argv[1]); t++)
    ;
  if (!targets[t].name) {
    fprintf(stderr, "fuzz_replay: unknown target '%s'\n", argv[1]);
    return 2;
  }
  for (int i = 2; i < argc; i++) {
    FILE *f = fopen(argv[i], "rb");
    if (!f) {
      fprintf(stderr, "fuzz_replay: cannot open '%s'\n", argv[i]);
      return 2;
    }
    size_t cap = 1 << 16, n = 0, got;
    unsigned char *data = malloc(cap);
    while (data && (got = fread(data + n, 1, cap - n, f)) > 0) {
      n += got;
      if (n == cap) {
        unsigned char *grown = realloc(data, cap *= 2);
        if (!grown)
          free(data);
        data = grown;
      }
    }
    fclose(f);
    if (!data) {
      fprintf(stderr, "fuzz_replay: out of memory reading '%s'\n", argv[i]);
      return 2;
    }
    fprintf(stderr, "fuzz_replay %s %s\n", argv[1], argv[i]);
    targets[t].run(data, n);
    free(data);
  }
  printf("fuzz_replay %s: %d file(s), no crash\n", argv[1], argc - 2);
  return 0;
}

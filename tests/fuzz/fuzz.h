/*
 * fuzz.h -- what the libFuzzer targets of tests/fuzz share (issue 17 item 10).
 *
 * Each target is one file defining FUZZ_TARGET(name) { ... }: built with HGBENCH_FUZZ=ON it is
 * LLVMFuzzerTestOneInput of its own fuzzer (fuzz_NAME, clang -fsanitize=fuzzer,address,
 * undefined); in every build the same code is hg_fuzz_NAME of fuzz_replay (replay.c), which
 * feeds the seed corpora and the crash regressions to each target in the normal test suite.
 * A target returns 0 whatever the input: a refused input is a clean error, never a crash.
 */
#ifndef HG_FUZZ_H
#define HG_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#ifdef HG_FUZZ_REPLAY
#define FUZZ_TARGET(name) int hg_fuzz_##name(const uint8_t *data, size_t size)
#else
#define FUZZ_TARGET(name)                                                  \
  int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);            \
  int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
#endif

/* Write head (hlen bytes, may be 0) then data to this process's scratch file named by tag
 * (in /dev/shm when it exists, else /tmp; removed at exit) and return its path: the readers
 * take paths. */
const char *hg_fuzz_file(const char *tag, const void *head, size_t hlen, const uint8_t *data,
                         size_t size);

/* The bytes through hg_data_read with this format ("libsvm", "csv", "mm"): success gives a
 * matrix and its labels, failure nothing allocated and a message (else abort). */
void hg_fuzz_data_read(const char *format, const uint8_t *data, size_t size);

/* hg_image_read of path: success gives pixels, failure none and a message (else abort). */
void hg_fuzz_image_read(const char *path);

#endif /* HG_FUZZ_H */

/*
 * fuzz_idx.c -- the IDX reader (hg_idx_read, plain or gzip through zlib) on arbitrary bytes.
 */
#include "fuzz.h"
#include "hg_io.h"

#include <stdlib.h>

FUZZ_TARGET(idx)
{
  hg_idx x;
  hg_error err;

  hg_error_clear(&err);
  if (hg_idx_read(hg_fuzz_file("idx", NULL, 0, data, size), &x, &err) == HG_OK) {
    if (!x.data || x.ndim < 1)
      abort();
  } else if (x.data || !err.msg[0]) {
    abort();
  }
  hg_idx_free(&x);
  return 0;
}

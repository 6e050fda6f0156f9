/*
 * fuzz_mm.c -- the Matrix Market reader (hg_data_read, format "mm") on arbitrary bytes.
 */
#include "fuzz.h"

FUZZ_TARGET(mm)
{
  hg_fuzz_data_read("mm", data, size);
  return 0;
}

/*
 * fuzz_libsvm.c -- the LIBSVM reader (hg_data_read, format "libsvm") on arbitrary bytes.
 */
#include "fuzz.h"

FUZZ_TARGET(libsvm)
{
  hg_fuzz_data_read("libsvm", data, size);
  return 0;
}

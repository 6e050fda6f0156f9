/*
 * fuzz_csv.c -- the CSV reader (hg_data_read, format "csv") on arbitrary bytes.
 */
#include "fuzz.h"

FUZZ_TARGET(csv)
{
  hg_fuzz_data_read("csv", data, size);
  return 0;
}

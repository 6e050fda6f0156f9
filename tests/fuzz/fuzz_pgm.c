/*
 * fuzz_pgm.c -- the image reader on arbitrary bytes (hg_image_read; PGM unless the bytes start
 * with the PNG signature).
 */
#include "fuzz.h"

FUZZ_TARGET(pgm)
{
  hg_fuzz_image_read(hg_fuzz_file("pgm", NULL, 0, data, size));
  return 0;
}

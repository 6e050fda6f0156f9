/*
 * fuzz_pgm.c -- the image reader on arbitrary bytes (hg_image_read; PGM unless the bytes start
 * with the PNG signature).
 */
#include "fuzz.h"
#include "hg_io.h"

#include <stdlib.h>

FUZZ_TARGET(pgm)
{
  hg_image img;
  hg_error err;

  hg_error_clear(&err);
  if (hg_image_read(hg_fuzz_file("pgm", NULL, 0, data, size), &img, &err) == HG_OK) {
    if (!img.px || img.w < 1 || img.h < 1)
      abort();
  } else if (img.px || !err.msg[0]) {
    abort();
  }
  hg_image_free(&img);
  return 0;
}

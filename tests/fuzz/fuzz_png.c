/*
 * fuzz_png.c -- the PNG path of the image reader (libpng's simplified API through
 * hg_image_read): the PNG signature, then the fuzzed bytes (chunks).
 */
#include "fuzz.h"
#include "hg_io.h"

#include <stdlib.h>
#include <string.h>

FUZZ_TARGET(png)
{
  static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  hg_image img;
  hg_error err;
  int has_sig = size >= 8 && !memcmp(data, sig, 8);

  hg_error_clear(&err);
  const char *path = hg_fuzz_file("png", sig, has_sig ? 0 : 8, data, size);
  if (hg_image_read(path, &img, &err) == HG_OK) {
    if (!img.px || img.w < 1 || img.h < 1)
      abort();
  } else if (img.px || !err.msg[0]) {
    abort();
  }
  hg_image_free(&img);
  return 0;
}

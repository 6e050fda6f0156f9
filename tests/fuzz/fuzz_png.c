/*
 * fuzz_png.c -- the PNG path of the image reader (libpng's simplified API through
 * hg_image_read): the PNG signature, then the fuzzed bytes (chunks).
 */
#include "fuzz.h"

#include <string.h>

FUZZ_TARGET(png)
{
  static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  int has_sig = size >= 8 && !memcmp(data, sig, 8);

  hg_fuzz_image_read(hg_fuzz_file("png", sig, has_sig ? 0 : 8, data, size));
  return 0;
}

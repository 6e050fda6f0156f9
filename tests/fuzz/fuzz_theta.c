/*
 * fuzz_theta.c -- the theta/w0 file reader (hg_theta_parse "@FILE", n = 4) on arbitrary
 * bytes: four finite values or a clean error.
 */
#include "fuzz.h"
#include "hg_core.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

FUZZ_TARGET(theta)
{
  char spec[128];
  double theta[4];
  hg_error err;

  hg_error_clear(&err);
  snprintf(spec, sizeof spec, "@%s", hg_fuzz_file("theta", NULL, 0, data, size));
  if (hg_theta_parse(spec, 4, theta, &err) == HG_OK) {
    for (int i = 0; i < 4; i++)
      if (!isfinite(theta[i]))
        abort();
  } else if (!err.msg[0]) {
    abort();
  }
  return 0;
}

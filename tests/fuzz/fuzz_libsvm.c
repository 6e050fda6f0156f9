/*
 * fuzz_libsvm.c -- the LIBSVM reader (hg_data_read, format "libsvm") on arbitrary bytes.
 */
#include "fuzz.h"
#include "hg_io.h"

#include <stdlib.h>

FUZZ_TARGET(libsvm)
{
  hg_matrix *X = NULL;
  double *y = NULL;
  hg_error err;
  const hg_read_opts opts = {"libsvm", NULL};

  hg_error_clear(&err);
  if (hg_data_read(hg_fuzz_file("libsvm", NULL, 0, data, size), &opts, &X, &y, &err) == HG_OK) {
    if (!X || !y || X->rows < 1)
      abort(); /* success must give a matrix and its labels */
  } else if (X || y || !err.msg[0]) {
    abort(); /* failure leaves nothing allocated and says why */
  }
  hg_matrix_destroy(&X);
  free(y);
  return 0;
}

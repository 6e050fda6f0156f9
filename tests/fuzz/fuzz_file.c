/*
 * fuzz_file.c -- what the targets share (fuzz.h): the scratch file a target hands a reader,
 * and the data and image readers run with their contracts checked.
 */
#define _POSIX_C_SOURCE 200809L
#include "fuzz.h"
#include "hg_io.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_FILES 4

static char paths[MAX_FILES][96];
static int nfiles;

static void remove_files(void)
{
  for (int i = 0; i < nfiles; i++)
    remove(paths[i]);
}

const char *hg_fuzz_file(const char *tag, const void *head, size_t hlen, const uint8_t *data,
                         size_t size)
{
  int i;
  for (i = 0; i < nfiles && !strstr(paths[i], tag); i++)
    ;
  if (i == nfiles) {
    if (nfiles == MAX_FILES)
      abort(); /* a target bug: too many tags */
    if (nfiles == 0)
      atexit(remove_files);
    snprintf(paths[i], sizeof paths[i], "%s/hgfuzz-%ld-%s",
             access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp", (long)getpid(), tag);
    nfiles++;
  }
  FILE *f = fopen(paths[i], "wb");
  if (!f)
    abort();
  if ((hlen && fwrite(head, 1, hlen, f) != hlen) || (size && fwrite(data, 1, size, f) != size))
    abort();
  fclose(f);
  return paths[i];
}

void hg_fuzz_data_read(const char *format, const uint8_t *data, size_t size)
{
  hg_matrix *X = NULL;
  double *y = NULL;
  hg_error err;
  const hg_read_opts opts = {format, NULL};

  hg_error_clear(&err);
  if (hg_data_read(hg_fuzz_file(format, NULL, 0, data, size), &opts, &X, &y, &err) == HG_OK) {
    if (!X || !y || X->rows < 1)
      abort(); /* success must give a matrix and its labels */
  } else if (X || y || !err.msg[0]) {
    abort(); /* failure leaves nothing allocated and says why */
  }
  hg_matrix_destroy(&X);
  free(y);
}

void hg_fuzz_image_read(const char *path)
{
  hg_image img;
  hg_error err;

  hg_error_clear(&err);
  if (hg_image_read(path, &img, &err) == HG_OK) {
    if (!img.px || img.w < 1 || img.h < 1)
      abort();
  } else if (img.px || !err.msg[0]) {
    abort();
  }
  hg_image_free(&img);
}

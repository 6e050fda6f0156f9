/*
 * fuzz_file.c -- hg_fuzz_file (fuzz.h): the scratch file a target hands a reader.
 */
#define _POSIX_C_SOURCE 200809L
#include "fuzz.h"

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

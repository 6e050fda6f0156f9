/*
 * atomic.c -- files written whole or not at all: a temporary name, then a rename.  The report,
 * the plots, results.tsv and manifest.json all go through it.
 */
#include "hg_io.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Write `text` to dir/name through dir/.name.tmp and a rename (see hg_io.h). */
int hg_write_atomic(const char *dir, const char *name, const char *text, size_t len,
                    hg_error *err)
{
  char tmp[2048], path[2048];
  int rc = hg_path_fits("output folder", dir, sizeof tmp, strlen(name) + sizeof "/..tmp", err);

  if (rc)
    return rc;
  snprintf(tmp, sizeof tmp, "%s/.%s.tmp", dir, name);
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(tmp, "wb");
  if (!f)
    return hg_fail(err, HG_ERR_IO, "cannot write '%s': %s", tmp, strerror(errno));
  if (fwrite(text, 1, len, f) != len)
    rc = hg_fail(err, HG_ERR_IO, "cannot write '%s': %s", tmp, strerror(errno));
  if (fclose(f) != 0 && !rc)
    rc = hg_fail(err, HG_ERR_IO, "cannot write '%s': %s", tmp, strerror(errno));
  if (!rc && rename(tmp, path) != 0)
    rc = hg_fail(err, HG_ERR_IO, "cannot rename '%s' to '%s': %s", tmp, path, strerror(errno));
  if (rc)
    remove(tmp);
  return rc;
}

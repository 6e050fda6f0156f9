/*
 * policy.c -- what a run is allowed to touch (hg_policy, hg_core.h): the folders files may be
 * read from and written under, checked on paths resolved by realpath (so ".." and symlinks
 * cannot lead out), the data-file parameters of a problem checked before it is created, a
 * regular-file check that never blocks, and user text escaped for error messages.
 */
#define _XOPEN_SOURCE 700 /* realpath */
#include "hg_core.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *hg_escape(const char *s, char *buf, size_t len)
{
  static const char hex[] = "0123456789abcdef";
  size_t j = 0;
  if (!len)
    return buf;
  for (; s && *s && j + 5 < len; s++) {
    unsigned char c = (unsigned char)*s;
    if (c < 0x20 || c == 0x7f) {
      const char *named = c == '\n' ? "\\n" : c == '\t' ? "\\t" : c == '\r' ? "\\r" : NULL;
      if (named) {
        memcpy(buf + j, named, 2);
        j += 2;
      } else {
        buf[j++] = '\\';
        buf[j++] = 'x';
        buf[j++] = hex[c >> 4];
        buf[j++] = hex[c & 15];
      }
    } else {
      buf[j++] = (char)c;
    }
  }
  if (s && *s && j + 3 < len) { /* truncated: say so */
    memcpy(buf + j, "...", 3);
    j += 3;
  }
  buf[j] = '\0';
  return buf;
}

/* 1 if the resolved path p is root itself or inside it. */
static int under(const char *p, const char *root)
{
  size_t n = strlen(root);
  if (n == 1 && root[0] == '/')
    return 1;
  return !strncmp(p, root, n) && (p[n] == '\0' || p[n] == '/');
}

/* path resolved: realpath of the path itself when it exists, else of its folder followed by
 * its last component (a file about to be created; "." and ".." as last component refused). */
static int resolve(const char *path, char *out, hg_error *err)
{
  char esc[256];
  if (realpath(path, out))
    return HG_OK;
  if (errno != ENOENT)
    return hg_fail(err, HG_ERR_IO, "cannot resolve '%s': %s",
                   hg_escape(path, esc, sizeof esc), strerror(errno));
  const char *slash = strrchr(path, '/');
  const char *base = slash ? slash + 1 : path;
  char dir[PATH_MAX];
  if (!*base || !strcmp(base, ".") || !strcmp(base, ".."))
    return hg_fail(err, HG_ERR_IO, "cannot resolve '%s'", hg_escape(path, esc, sizeof esc));
  if (!slash)
    snprintf(dir, sizeof dir, ".");
  else if (slash == path)
    snprintf(dir, sizeof dir, "/");
  else
    snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
  if (!realpath(dir, out))
    return hg_fail(err, HG_ERR_IO, "cannot resolve the folder of '%s': %s",
                   hg_escape(path, esc, sizeof esc), strerror(errno));
  size_t n = strlen(out);
  if (n + 1 + strlen(base) >= PATH_MAX)
    return hg_fail(err, HG_ERR_IO, "path '%s' is too long", hg_escape(path, esc, sizeof esc));
  snprintf(out + n, PATH_MAX - n, "%s%s", n > 1 ? "/" : "", base);
  return HG_OK;
}

int hg_policy_check(const hg_policy *pol, const char *path, int write, const char *who,
                    hg_error *err)
{
  char real[PATH_MAX], esc[256];
  hg_error why;
  if (!pol || !pol->sandbox)
    return HG_OK;
  if (resolve(path, real, &why))
    return hg_fail(err, HG_ERR_IO, "%s: refused under --sandbox: %s", who, why.msg);
  if (pol->write_root && under(real, pol->write_root))
    return HG_OK;
  for (int i = 0; !write && i < pol->n_read; i++)
    if (under(real, pol->read_roots[i]))
      return HG_OK;
  return hg_fail(err, HG_ERR_IO, "%s: refused %s '%s' under --sandbox: %s", who,
                 write ? "writing" : "reading", hg_escape(path, esc, sizeof esc),
                 write ? "files are written only under the output folder"
                       : "files are read only from the scenario's folder, the installed data "
                         "sets, the output folder and --allow-read folders");
}

/* Parameters of problems that name data files or folders (comma-separated lists allowed), and
 * the words those parameters take that are not files. */
static const char *const path_keys[] = {"train", "val", "images", "clean", "noisy", "path", NULL};
static const char *const not_files[] = {"synthetic", "fashion-mnist", NULL};

static int in(const char *const *list, const char *s, size_t len)
{
  for (; *list; list++)
    if (strlen(*list) == len && !strncmp(*list, s, len))
      return 1;
  return 0;
}

int hg_policy_check_words(const hg_policy *pol, const char *owner, int nwords,
                          const char *const *words, hg_error *err)
{
  if (!pol || !pol->sandbox)
    return HG_OK;
  for (int i = 0; i < nwords; i++) {
    const char *eq = strchr(words[i], '=');
    if (!eq || !in(path_keys, words[i], (size_t)(eq - words[i])))
      continue;
    for (const char *s = eq + 1; *s;) {
      size_t len = strcspn(s, ",");
      char one[PATH_MAX], who[160];
      if (len && len < sizeof one && !in(not_files, s, len)) {
        memcpy(one, s, len);
        one[len] = '\0';
        snprintf(who, sizeof who, "%s: %.*s=", owner, (int)(eq - words[i]), words[i]);
        int rc = hg_policy_check(pol, one, 0, who, err);
        if (rc)
          return rc;
      }
      s += len + (s[len] == ',');
    }
  }
  return HG_OK;
}

int hg_regular_file(const char *path, const char *what, hg_error *err)
{
  FILE *f = NULL;
  int rc = hg_open_regular(path, what, 0, &f, NULL, err); /* the one check (textfile.c) */
  if (f)
    fclose(f);
  return rc;
}

int hg_parse_size(const char *s, size_t *out)
{
  char *end;
  errno = 0;
  double v = strtod(s, &end), scale = 1;
  if (errno || end == s)
    return HG_ERR_ARG;
  const char *units = "KMGT", *u = *end ? strchr(units, *end == 'k' ? 'K' : *end) : NULL;
  for (const char *x = units; u && x <= u; x++)
    scale *= 1024;
  end += u != NULL;
  end += *end == 'B';
  v *= scale;
  if (*end || !isfinite(v) || v < 0 || v > 9.0e18)
    return HG_ERR_ARG;
  *out = (size_t)v;
  return HG_OK;
}

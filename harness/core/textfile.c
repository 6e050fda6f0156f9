/*
 * textfile.c -- opening the files users name, and reading them line by line within bounds
 * (contracts in hg_core.h): only regular files are opened (a FIFO, a directory or a device
 * is refused before a byte is read), the size seen at open bounds what is read (a file that
 * grows meanwhile is cut off with an error), and a line is read whole, at any length, with
 * an embedded NUL byte refused.  The readers of harness/io and the theta/w0 files use it.
 */
#include "hg_core.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* What kind of file st is, for the message refusing it. */
static const char *file_kind(const struct stat *st)
{
  if (S_ISDIR(st->st_mode))
    return "a directory";
  if (S_ISFIFO(st->st_mode))
    return "a FIFO";
  if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode))
    return "a device";
  if (S_ISSOCK(st->st_mode))
    return "a socket";
  return "not a regular file";
}

int hg_open_regular(const char *path, const char *what, long long max_bytes, FILE **f,
                    long long *size, hg_error *err)
{
  struct stat st;
  int fd, flags;
  const char *sp = what && *what ? " " : "";
  char esc[512];

  *f = NULL;
  const char *shown = hg_escape(path, esc, sizeof esc); /* control bytes escaped, for messages */
  if (size)
    *size = 0;
  what = what ? what : "";
  /* O_NONBLOCK: opening a FIFO with no writer returns at once instead of waiting */
  fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    return hg_fail(err, HG_ERR_IO, "cannot open %s%s'%s': %s", what, sp, shown, strerror(errno));
  if (fstat(fd, &st) != 0) {
    int e = errno;
    close(fd);
    return hg_fail(err, HG_ERR_IO, "cannot open %s%s'%s': %s", what, sp, shown, strerror(e));
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    return hg_fail(err, HG_ERR_IO, "%s%s'%s' is %s, not a regular file: it is refused "
                   "unread", what, sp, shown, file_kind(&st));
  }
  if (max_bytes > 0 && (long long)st.st_size > max_bytes) {
    close(fd);
    return hg_fail(err, HG_ERR_UNSUPPORTED, "%s%s'%s' has %lld bytes, more than the limit of "
                   "%lld", what, sp, shown, (long long)st.st_size, max_bytes);
  }
  flags = fcntl(fd, F_GETFL);
  if (flags >= 0)
    (void)fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  *f = fdopen(fd, "rb");
  if (!*f) {
    int e = errno;
    close(fd);
    return hg_fail(err, HG_ERR_IO, "cannot open %s%s'%s': %s", what, sp, shown, strerror(e));
  }
  if (size)
    *size = (long long)st.st_size;
  return HG_OK;
}

int hg_text_open(hg_text *t, const char *path, const char *what, long long max_bytes,
                 hg_error *err)
{
  long long size;

  memset(t, 0, sizeof *t);
  t->path = path;
  int rc = hg_open_regular(path, what, max_bytes, &t->f, &size, err);
  if (rc)
    return rc;
  t->size = size;
  t->max_read = size + HG_TEXT_GROWTH;
  return HG_OK;
}

/* Append byte c to t's line, growing the buffer (doubling). */
static int put_byte(hg_text *t, int c, hg_error *err)
{
  if (t->len + 1 >= t->cap) {
    size_t ncap = t->cap ? 2 * t->cap : 256;
    char *p = realloc(t->line, ncap);
    if (!p)
      return hg_fail(err, HG_ERR_NOMEM, "%s:%ld: out of memory reading the line", t->path,
                     t->lineno + 1);
    t->line = p;
    t->cap = ncap;
  }
  t->line[t->len++] = (char)c;
  return HG_OK;
}

int hg_text_next(hg_text *t, int *got, hg_error *err)
{
  int c, rc = HG_OK;

  *got = 0;
  t->len = 0;
  for (;;) {
    c = getc_unlocked(t->f);
    if (c == EOF)
      break;
    if (++t->nread > t->max_read)
      return hg_fail(err, HG_ERR_IO, "%s:%ld: the file grew while it was read (%lld bytes at "
                     "open, now more than %lld): refused", t->path, t->lineno + 1, t->size,
                     t->max_read);
    if (c == '\0')
      return hg_fail(err, HG_ERR_PARSE, "%s:%ld: a NUL byte in the text (byte %lld of the "
                     "file)", t->path, t->lineno + 1, t->nread);
    if (c == '\n')
      break;
    if ((rc = put_byte(t, c, err)))
      return rc;
  }
  if (c == EOF && ferror(t->f))
    return hg_fail(err, HG_ERR_IO, "error reading '%s' after line %ld: %s", t->path, t->lineno,
                   strerror(errno));
  if (c == EOF && t->len == 0)
    return HG_OK; /* the end of the file */
  if ((rc = put_byte(t, '\0', err)))
    return rc;
  t->len--;
  if (t->len > 0 && t->line[t->len - 1] == '\r')
    t->line[--t->len] = '\0';
  t->lineno++;
  *got = 1;
  return HG_OK;
}

void hg_text_close(hg_text *t)
{
  if (t->f)
    fclose(t->f);
  free(t->line);
  t->f = NULL;
  t->line = NULL;
  t->len = t->cap = 0;
}

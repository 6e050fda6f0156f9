/*
 * error.c -- status codes (one X-macro list in hgbench.h) and the error record.
 */
#include "hg_core.h"

#include <stdarg.h>
#include <stdio.h>

static const char *const status_words[] = {
#define HG_X_(code, word, text) word,
  HG_STATUS_LIST(HG_X_)
#undef HG_X_
};

static const char *const status_texts[] = {
#define HG_X_(code, word, text) text,
  HG_STATUS_LIST(HG_X_)
#undef HG_X_
};

int hg_fail(hg_error *err, int status, const char *fmt, ...)
{
  if (err) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    err->status = status;
  }
  return status;
}

void hg_error_clear(hg_error *err)
{
  if (err) {
    err->status = HG_OK;
    err->msg[0] = '\0';
  }
}

const char *hg_status_word(int status)
{
  return status >= 0 && status < HG_STATUS_COUNT ? status_words[status] : "error";
}

const char *hg_status_text(int status)
{
  return status >= 0 && status < HG_STATUS_COUNT ? status_texts[status] : "unknown status";
}

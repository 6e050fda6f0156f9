/* json.c -- minimal JSON output helpers. */
#include "json.h"

#include <math.h>

void hg_json_number(FILE *f, double x)
{
  if (isfinite(x))
    fprintf(f, "%.17g", x);
  else
    fputs("null", f);
}

void hg_json_string(FILE *f, const char *s)
{
  fputc('"', f);
  for (; s && *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\')
      fprintf(f, "\\%c", c);
    else if (c < 0x20)
      fprintf(f, "\\u%04x", c);
    else
      fputc(c, f);
  }
  fputc('"', f);
}

void hg_json_array(FILE *f, int n, const double *x)
{
  if (!x) {
    fputs("null", f);
    return;
  }
  fputc('[', f);
  for (int i = 0; i < n; i++) {
    if (i)
      fputs(", ", f);
    hg_json_number(f, x[i]);
  }
  fputc(']', f);
}

/* json.h -- minimal JSON output helpers (private to the harness). */
#ifndef HG_JSON_H
#define HG_JSON_H

#include <stdio.h>

/* A number with round-trip precision; NaN and infinities as null. */
void hg_json_number(FILE *f, double x);
/* A string with JSON escapes. */
void hg_json_string(FILE *f, const char *s);
/* An array of n numbers (null when x is NULL). */
void hg_json_array(FILE *f, int n, const double *x);

#endif

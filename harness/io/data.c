/*
 * data.c -- the data file readers (DESIGN §3), filling hg_matrix (harness/core/matrix.c).
 *
 * Contents:
 *   1. Machinery shared by the readers: numbered lines, fields, numbers, growable arrays, and
 *      the two "finish" steps (entries -> CSR, table of numbers -> dense X and labels y).
 *   2. The readers (LIBSVM, CSV, Matrix Market) and hg_data_read, which picks one.
 *
 * Every reader error names the file and, where there is one, the line: "data.svm:17: ...".
 * Nothing is left allocated when a function fails.
 */
#include "hg_io.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

/* ========================================================================================== */
/* 1. Reading machinery shared by the three formats                                            */
/* ========================================================================================== */

/* A data file read line by line (hg_text: whole lines, bounded by the size at open), the
 * path named in messages and the limits the reader checks sizes against before allocating. */
typedef struct text_file {
  hg_text t;
  const char *path;       /* borrowed from the caller of hg_data_read */
  const hg_limits *lim;   /* borrowed */
} text_file;

/* Read the next line into tf->t.line, without its line end (and without a UTF-8 byte order
 * mark on line 1).  *got = 1 with a line, 0 at the end of the file. */
static int next_line(text_file *tf, int *got, hg_error *err)
{
  int status = hg_text_next(&tf->t, got, err);

  if (status || !*got)
    return status;
  if (tf->t.lineno == 1 && tf->t.len >= 3 && memcmp(tf->t.line, "\xEF\xBB\xBF", 3) == 0) {
    memmove(tf->t.line, tf->t.line + 3, tf->t.len - 2); /* a UTF-8 byte order mark (Excel) */
    tf->t.len -= 3;
  }
  return HG_OK;
}

/* 1 if s holds only blanks. */
static int is_blank(const char *s)
{
  while (isspace((unsigned char)*s))
    s++;
  return *s == '\0';
}

/* The fields of one line, pointers into the line (cut in place with '\0'). */
typedef struct fields {
  char **f;
  long n, cap;
} fields;

/* Return p grown by realloc to hold at least need elements of elem bytes, updating *cap
 * (capacity doubles, so n appends cost O(n)).  NULL when out of memory or when the size
 * overflows; p is then untouched and still owned by the caller. */
static void *grow(void *p, long *cap, long need, size_t elem)
{
  long ncap = *cap > 0 ? *cap : 16;

  if (p && need <= *cap)
    return p;
  while (ncap < need)
    ncap = ncap > LONG_MAX / 2 ? need : 2 * ncap;
  if ((unsigned long)ncap > SIZE_MAX / elem)
    return NULL;
  void *q = realloc(p, (size_t)ncap * elem);
  if (q)
    *cap = ncap;
  return q;
}

/* Cut line into fields, in place.  sep = 0: fields are runs of non-blank characters (LIBSVM,
 * Matrix Market; a blank line has none).  sep != 0: fields are what lies between separators,
 * trimmed of blanks, so "a, ,b" has three fields, the middle one empty (CSV; sep must not be
 * a blank itself). */
static int split_fields(char *line, char sep, fields *fv, const text_file *tf, hg_error *err)
{
  char *s = line;

  fv->n = 0;
  for (;;) {
    char *end, *last, stop;
    while (isspace((unsigned char)*s))
      s++;
    if (sep == 0) {
      if (*s == '\0')
        break;
      for (end = s; *end && !isspace((unsigned char)*end); end++)
        ;
    } else {
      end = strchr(s, sep);
      if (!end)
        end = s + strlen(s);
    }
    stop = *end; /* '\0', the separator or a blank */
    for (last = end; last > s && isspace((unsigned char)last[-1]); last--)
      ;
    *last = '\0'; /* cut the field and the blanks after it */

    char **f = grow(fv->f, &fv->cap, fv->n + 1, sizeof *fv->f);
    if (!f)
      return hg_fail(err, HG_ERR_NOMEM, "%s:%ld: out of memory splitting the line", tf->path,
                     tf->t.lineno);
    fv->f = f;
    fv->f[fv->n++] = s;
    if (stop == '\0')
      break;
    s = end + 1;
  }
  return HG_OK;
}

/* 1 if the whole of s is a real number (strtod syntax), stored in *v.  nan and inf parse:
 * the callers reject them with their own message. */
static int parse_real(const char *s, double *v)
{
  char *end;

  if (*s == '\0' || isspace((unsigned char)*s))
    return 0;
  *v = strtod(s, &end);
  return *end == '\0';
}

/* 1 if the whole of s is a decimal integer within the range of long, stored in *v. */
static int parse_long(const char *s, long *v)
{
  char *end;

  if (*s == '\0' || isspace((unsigned char)*s))
    return 0;
  errno = 0;
  *v = strtol(s, &end, 10);
  return *end == '\0' && errno != ERANGE;
}

/* Refuse one more example when the file already gave `rows`, the limit (or INT_MAX). */
static int check_rows(const text_file *tf, int rows, hg_error *err)
{
  if (rows == INT_MAX || rows >= tf->lim->max_rows)
    return hg_fail(err, HG_ERR_UNSUPPORTED, "%s:%ld: more than %ld examples, the limit",
                   tf->path, tf->t.lineno, rows == INT_MAX ? (long)INT_MAX : tf->lim->max_rows);
  return HG_OK;
}

/* One stored entry of a sparse file: 0-based place, value, and the line it came from. */
typedef struct entry {
  int row, col;
  double val;
  long line;
} entry;

typedef struct entry_list {
  entry *e;
  long n, cap;
} entry_list;

/* Append the entry (row, col, val) read on the current line of tf. */
static int push_entry(entry_list *L, int row, int col, double val, const text_file *tf,
                      hg_error *err)
{
  if (L->n >= INT_MAX)
    return hg_fail(err, HG_ERR_UNSUPPORTED, "%s:%ld: more than %d stored entries (CSR uses int "
                   "indices)", tf->path, tf->t.lineno, INT_MAX);
  if (L->n >= tf->lim->max_nnz)
    return hg_fail(err, HG_ERR_UNSUPPORTED, "%s:%ld: more than %lld stored entries, the limit",
                   tf->path, tf->t.lineno, tf->lim->max_nnz);
  entry *e = grow(L->e, &L->cap, L->n + 1, sizeof *e);
  if (!e)
    return hg_fail(err, HG_ERR_NOMEM, "%s:%ld: out of memory storing %ld entries", tf->path,
                   tf->t.lineno, L->n + 1);
  L->e = e;
  L->e[L->n++] = (entry){row, col, val, tf->t.lineno};
  return HG_OK;
}

/* Order of entries: by row, then column, then line. */
static int entry_cmp(const void *pa, const void *pb)
{
  const entry *a = pa, *b = pb;
  if (a->row != b->row)
    return a->row < b->row ? -1 : 1;
  if (a->col != b->col)
    return a->col < b->col ? -1 : 1;
  return (a->line > b->line) - (a->line < b->line);
}

/* Finish a sparse read: the entries of L, in any order, become the rows x cols CSR matrix
 * *out with increasing columns in each row and exact zeros dropped.  Two entries at the same
 * place are an error naming both lines.  L is sorted in place (LIBSVM files come sorted and
 * are only checked). */
static int entries_to_csr(entry_list *L, int rows, int cols, const char *path,
                          hg_matrix **out, hg_error *err)
{
  int status = HG_OK;
  hg_matrix *X = NULL;
  long k, nnz = 0;
  int sorted = 1, i;

  for (k = 1; k < L->n && sorted; k++)
    sorted = entry_cmp(&L->e[k - 1], &L->e[k]) < 0;
  if (!sorted)
    qsort(L->e, (size_t)L->n, sizeof *L->e, entry_cmp);

  for (k = 0; k < L->n; k++) {
    const entry *e = &L->e[k];
    if (k > 0 && e->row == e[-1].row && e->col == e[-1].col) {
      status = hg_fail(err, HG_ERR_PARSE, "%s:%ld: second entry for row %d, column %d (the "
                       "first is on line %ld)", path, e->line, e->row + 1, e->col + 1,
                       e[-1].line);
      goto done;
    }
    nnz += e->val != 0.0;
  }

  status = hg_matrix_create(rows, cols, 1, nnz, &X, err);
  if (status)
    goto done;
  nnz = 0;
  for (k = 0; k < L->n; k++)
    if (L->e[k].val != 0.0) {
      X->val[nnz] = L->e[k].val;
      X->colind[nnz++] = L->e[k].col;
      X->rowptr[L->e[k].row + 1]++;
    }
  for (i = 0; i < rows; i++) /* counts per row -> offsets */
    X->rowptr[i + 1] += X->rowptr[i];
  X->nnz = nnz;
  *out = X;
  X = NULL;
done:
  hg_matrix_destroy(&X);
  return status;
}

/* Remove column c from the CSR matrix X, in place: y[i] = X(i, c) (0 where not stored) and
 * the columns after c move left by one. */
static void csr_take_column(hg_matrix *X, int c, double *y)
{
  int i, k, p = 0;

  for (i = 0; i < X->rows; i++) {
    int start = X->rowptr[i], end = X->rowptr[i + 1];
    y[i] = 0.0;
    X->rowptr[i] = p;
    for (k = start; k < end; k++) {
      if (X->colind[k] == c) {
        y[i] = X->val[k];
        continue;
      }
      X->val[p] = X->val[k];
      X->colind[p++] = X->colind[k] > c ? X->colind[k] - 1 : X->colind[k];
    }
  }
  X->rowptr[X->rows] = p;
  X->nnz = p;
  X->cols--;
}

/* Finish a dense read: from a rows x ncols table of numbers, entry (i, j) at t[i*rs + j*cs]
 * (row-major: rs = ncols, cs = 1; column-major: rs = 1, cs = rows), make the labels
 * y[i] = t(i, label) and the dense rows x (ncols - 1) matrix *X of the other columns, in
 * their order. */
static int table_split(const double *t, int rows, int ncols, size_t rs, size_t cs, int label,
                       hg_matrix **X, double **y, hg_error *err)
{
  int status = HG_OK;
  hg_matrix *A = NULL;
  double *lab = NULL;
  int i, j;

  status = hg_matrix_create(rows, ncols - 1, 0, 0, &A, err);
  if (status)
    goto done;
  lab = hg_zalloc((size_t)rows, sizeof *lab);
  if (!lab) {
    status = hg_fail(err, HG_ERR_NOMEM, "out of memory for %d labels", rows);
    goto done;
  }
  for (i = 0; i < rows; i++) {
    double *out = A->val + (size_t)i * A->cols;
    for (j = 0; j < ncols; j++) {
      double v = t[(size_t)i * rs + (size_t)j * cs];
      if (j == label)
        lab[i] = v;
      else
        *out++ = v;
    }
  }
  *X = A;
  *y = lab;
  A = NULL;
  lab = NULL;
done:
  hg_matrix_destroy(&A);
  free(lab);
  return status;
}

/* The 0-based label column given the label option (NULL: column 1; a 1-based number; or,
 * when the table has a header (names != NULL), a column name) for a table of ncols columns. */
static int label_column(const char *label, int ncols, char *const *names, const char *path,
                        int *col, hg_error *err)
{
  long c;
  int j;

  if (!label) {
    *col = 0;
    return HG_OK;
  }
  if (parse_long(label, &c)) {
    if (c < 1 || c > ncols)
      return hg_fail(err, HG_ERR_ARG, "label column %ld is out of range: '%s' has %d columns",
                     c, path, ncols);
    *col = (int)c;
    (*col)--;
    return HG_OK;
  }
  if (!names)
    return hg_fail(err, HG_ERR_ARG, "label '%s' is not a column number, and '%s' has no "
                   "header naming its columns", label, path);
  for (j = 0; j < ncols; j++)
    if (strcmp(names[j], label) == 0) {
      *col = j;
      return HG_OK;
    }
  return hg_fail(err, HG_ERR_ARG, "label '%s' is not a column of '%s' (no such name in its "
                 "header)", label, path);
}

/* ========================================================================================== */
/* 2. Readers                                                                                  */
/* ========================================================================================== */

/* Reader: parse the open file tf into *X and *y (the label option as in hg_read_opts). */
typedef int reader_fn(text_file *tf, const char *label, hg_matrix **X, double **y,
                      hg_error *err);

/* LIBSVM: one example per line, "label idx:val idx:val ..." with 1-based, strictly
 * increasing indices; blank lines are skipped and '#' starts a comment to the end of the line.
 * X is CSR with cols = the largest index seen; y[i] is the label of line i. */
static int read_libsvm(text_file *tf, const char *label, hg_matrix **X, double **y,
                       hg_error *err)
{
  int status = HG_OK, got, rows = 0;
  long cols = 0, t;
  fields fv = {0};
  entry_list L = {0};
  double *lab = NULL;
  long lab_cap = 0;

  if (label && strcmp(label, "1") != 0) {
    status = hg_fail(err, HG_ERR_ARG, "label '%s' given for the LIBSVM file '%s', whose labels "
                     "are always the first field", label, tf->path);
    goto done;
  }
  for (;;) {
    status = next_line(tf, &got, err);
    if (status)
      goto done;
    if (!got)
      break;
    char *hash = strchr(tf->t.line, '#');
    if (hash)
      *hash = '\0';
    status = split_fields(tf->t.line, 0, &fv, tf, err);
    if (status)
      goto done;
    if (fv.n == 0)
      continue;

    status = check_rows(tf, rows, err);
    if (status)
      goto done;
    double v;
    if (!parse_real(fv.f[0], &v)) {
      status = hg_fail(err, HG_ERR_PARSE, "%s:%ld: malformed label '%.40s'", tf->path,
                       tf->t.lineno, fv.f[0]);
      goto done;
    }
    if (!isfinite(v)) {
      status = hg_fail(err, HG_ERR_PARSE, "%s:%ld: non-finite label '%.40s'", tf->path,
                       tf->t.lineno, fv.f[0]);
      goto done;
    }
    double *grown = grow(lab, &lab_cap, rows + 1L, sizeof *lab);
    if (!grown) {
      status = hg_fail(err, HG_ERR_NOMEM, "%s:%ld: out of memory for the labels", tf->path,
                       tf->t.lineno);
      goto done;
    }
    lab = grown;
    lab[rows] = v;

    long prev = 0; /* previous index on this line */
    for (t = 1; t < fv.n; t++) {
      char *tok = fv.f[t], *colon = strchr(tok, ':');
      long idx = 0;
      int ok = colon != NULL;
      if (ok) {
        *colon = '\0';
        ok = parse_long(tok, &idx) && parse_real(colon + 1, &v);
        *colon = ':';
      }
      if (!ok) {
        status = hg_fail(err, HG_ERR_PARSE, "%s:%ld: malformed feature '%.40s' (expected "
                         "index:value)", tf->path, tf->t.lineno, tok);
        goto done;
      }
      if (idx < 1 || idx > INT_MAX) {
        status = hg_fail(err, HG_ERR_PARSE, "%s:%ld: feature index %ld in '%.40s' is out of "
                         "range (indices start at 1 and are at most %d)", tf->path, tf->t.lineno,
                         idx, tok, INT_MAX);
        goto done;
      }
      if (idx > tf->lim->max_cols) {
        status = hg_fail(err, HG_ERR_UNSUPPORTED, "%s:%ld: feature index %ld is beyond the "
                         "limit of %ld features", tf->path, tf->t.lineno, idx,
                         tf->lim->max_cols);
        goto done;
      }
      if (idx <= prev) {
        status = hg_fail(err, HG_ERR_PARSE, "%s:%ld: feature index %ld follows index %ld "
                         "(indices must increase along a line)", tf->path, tf->t.lineno, idx,
                         prev);
        goto done;
      }
      if (!isfinite(v)) {
        status = hg_fail(err, HG_ERR_PARSE, "%s:%ld: non-finite value '%.40s' for feature %ld",
                         tf->path, tf->t.lineno, colon + 1, idx);
        goto done;
      }
      status = push_entry(&L, rows, (int)idx - 1, v, tf, err);
      if (status)
        goto done;
      prev = idx;
    }
    if (prev > cols)
      cols = prev;
    rows++;
  }

  if (rows == 0) {
    status = hg_fail(err, HG_ERR_PARSE, "%s: no examples in the file", tf->path);
    goto done;
  }
  status = entries_to_csr(&L, rows, (int)cols, tf->path, X, err);
  if (status)
    goto done;
  *y = lab;
  lab = NULL;
done:
  free(fv.f);
  free(L.e);
  free(lab);
  return status;
}

/* CSV: dense, one example per line, fields separated by ',' and trimmed of blanks; blank
 * lines are skipped.  The first line is a header (column names, quotes around a name are
 * dropped) when any of its fields is not a number.  Every line has the same number of fields;
 * the label column (option label, default 1) goes to y, the others to X in their order. */
static int read_csv(text_file *tf, const char *label, hg_matrix **X, double **y,
                    hg_error *err)
{
  int status = HG_OK, got, rows = 0, ncols = 0, lab = 0;
  long first = 0, j;
  fields fv = {0};
  double *tab = NULL; /* rows x ncols, row-major */
  long tab_cap = 0;

  for (;;) {
    status = next_line(tf, &got, err);
    if (status)
      goto done;
    if (!got)
      break;
    if (is_blank(tf->t.line))
      continue;
    status = split_fields(tf->t.line, ',', &fv, tf, err);
    if (status)
      goto done;

    if (first == 0) { /* the first line fixes the column count and may be a header */
      double v;
      int header = 0;
      first = tf->t.lineno;
      if (fv.n < 2 || fv.n > INT_MAX) {
        status = hg_fail(err, HG_ERR_PARSE, "%s:%ld: %ld field(s); a CSV data file needs a "
                         "label and at least one feature, separated by ','", tf->path,
                         tf->t.lineno, fv.n);
        goto done;
      }
      if (fv.n - 1 > tf->lim->max_cols) {
        status = hg_fail(err, HG_ERR_UNSUPPORTED, "%s:%ld: %ld fields are beyond the limit of "
                         "%ld features", tf->path, tf->t.lineno, fv.n, tf->lim->max_cols);
        goto done;
      }
      ncols = (int)fv.n;
      for (j = 0; j < fv.n; j++)
        header |= !parse_real(fv.f[j], &v);
      if (header)
        for (j = 0; j < fv.n; j++) { /* "name" -> name */
          size_t len = strlen(fv.f[j]);
          if (len >= 2 && fv.f[j][0] == '"' && fv.f[j][len - 1] == '"') {
            fv.f[j][len - 1] = '\0';
            fv.f[j]++;
          }
        }
      status = label_column(label, ncols, header ? fv.f : NULL, tf->path, &lab, err);
      if (status)
        goto done;
      if (header)
        continue;
    }

    if (fv.n != ncols) {
      status = hg_fail(err, HG_ERR_PARSE, "%s:%ld: %ld fields, expected %d (as on line %ld)",
                       tf->path, tf->t.lineno, fv.n, ncols, first);
      goto done;
    }
    status = check_rows(tf, rows, err);
    if (!status && (rows + 1.0) * ncols > (double)tf->lim->max_dense)
      status = hg_fail(err, HG_ERR_UNSUPPORTED, "%s:%ld: %d rows of %d values are beyond the "
                       "limit of %lld values", tf->path, tf->t.lineno, rows + 1, ncols,
                       tf->lim->max_dense);
    if (status)
      goto done;
    double *grown = grow(tab, &tab_cap, (rows + 1L) * ncols, sizeof *tab);
    if (!grown) {
      status = hg_fail(err, HG_ERR_NOMEM, "%s:%ld: out of memory for %d rows", tf->path,
                       tf->t.lineno, rows + 1);
      goto done;
    }
    tab = grown;
    for (j = 0; j < ncols; j++) {
      double *v = &tab[(long)rows * ncols + j];
      const char *s = fv.f[j];
      if (!parse_real(s, v)) {
        status = hg_fail(err, HG_ERR_PARSE, "%s:%ld: field %ld '%.40s' is not a number%s",
                         tf->path, tf->t.lineno, j + 1, s,
                         strpbrk(s, ";\t") ? " (fields are separated by ',')" : "");
        goto done;
      }
      if (!isfinite(*v)) {
        status = hg_fail(err, HG_ERR_PARSE, "%s:%ld: field %ld is non-finite ('%.40s')",
                         tf->path, tf->t.lineno, j + 1, s);
        goto done;
      }
    }
    rows++;
  }

  if (rows == 0) {
    status = hg_fail(err, HG_ERR_PARSE, "%s: no examples in the file", tf->path);
    goto done;
  }
  status = table_split(tab, rows, ncols, (size_t)ncols, 1, lab, X, y, err);
done:
  free(fv.f);
  free(tab);
  return status;
}

/* The state of one Matrix Market read (read_mm). */
typedef struct mm_read {
  int coord, pattern, lab; /* coordinate (else array), pattern field, label column (0-based) */
  long M, N, NZ;           /* size line: rows, columns, entries (array: M N values) */
  long count, size_line;   /* entries or values read so far; the size line's number (0: none) */
  entry_list L;            /* coordinate: the entries */
  double *tab;             /* array: the M x N values, column-major as in the file */
  long tab_cap;
} mm_read;

/* The banner, the first line of tf: the format (coordinate or array), field and symmetry. */
static int mm_banner(text_file *tf, fields *fv, mm_read *m, hg_error *err)
{
  int got, status = next_line(tf, &got, err);

  if (status)
    return status;
  if (got) {
    status = split_fields(tf->t.line, 0, fv, tf, err);
    if (status)
      return status;
  }
  if (!got || fv->n != 5 || strcmp(fv->f[0], "%%MatrixMarket") != 0 ||
      strcasecmp(fv->f[1], "matrix") != 0)
    return hg_fail(err, HG_ERR_PARSE, "%s:1: not a Matrix Market banner (expected "
                   "'%%%%MatrixMarket matrix coordinate|array real|integer|pattern general')",
                   tf->path);
  m->coord = strcasecmp(fv->f[2], "coordinate") == 0;
  m->pattern = strcasecmp(fv->f[3], "pattern") == 0;
  if (!m->coord && strcasecmp(fv->f[2], "array") != 0)
    return hg_fail(err, HG_ERR_PARSE, "%s:1: unknown Matrix Market format '%.40s' (expected "
                   "coordinate or array)", tf->path, fv->f[2]);
  if (!(strcasecmp(fv->f[3], "real") == 0 || strcasecmp(fv->f[3], "integer") == 0 ||
        (m->pattern && m->coord)))
    return hg_fail(err, HG_ERR_PARSE, "%s:1: unsupported Matrix Market field '%.40s' for "
                   "%s data (expected real, integer%s)", tf->path, fv->f[3], fv->f[2],
                   m->coord ? " or pattern" : "");
  if (strcasecmp(fv->f[4], "general") != 0)
    return hg_fail(err, HG_ERR_PARSE, "%s:1: unsupported Matrix Market symmetry '%.40s' "
                   "(data files must be 'general')", tf->path, fv->f[4]);
  return HG_OK;
}

/* The sizes the size line declares against the limits and, for coordinate entries, against
 * what the rest of the file could hold (an entry takes at least 4 bytes, "i j" and a line
 * end), before anything is allocated for them.  (An array's values are stored as they are
 * read, and counted at the end.) */
static int mm_size_limits(const text_file *tf, const mm_read *m, hg_error *err)
{
  const hg_limits *L = tf->lim;
  long long left = tf->t.size - tf->t.nread + 1; /* after the size line (+1: no last \n) */
  const char *what = NULL;
  long long value = 0, limit = 0;

  if (m->M > L->max_rows)
    what = "rows", value = m->M, limit = L->max_rows;
  else if (m->N - 1 > L->max_cols)
    what = "feature columns", value = m->N - 1, limit = L->max_cols;
  else if (m->coord && m->NZ > L->max_nnz)
    what = "entries", value = m->NZ, limit = L->max_nnz;
  else if (!m->coord && m->NZ > L->max_dense)
    what = "values", value = m->NZ, limit = L->max_dense;
  if (what)
    return hg_fail(err, HG_ERR_UNSUPPORTED, "%s:%ld: %lld %s declared, beyond the limit of %lld",
                   tf->path, tf->t.lineno, value, what, limit);
  if (m->coord && m->NZ > left / 4)
    return hg_fail(err, HG_ERR_PARSE, "%s:%ld: %ld entries declared, but the %lld bytes left in "
                   "the file hold at most %lld", tf->path, tf->t.lineno, m->NZ, left, left / 4);
  return HG_OK;
}

/* The size line (fields fv of tf's current line): M, N (and NZ), checked, and the label
 * column. */
static int mm_size_line(const text_file *tf, const fields *fv, const char *label, mm_read *m,
                        hg_error *err)
{
  m->size_line = tf->t.lineno;
  if (fv->n != (m->coord ? 3 : 2) || !parse_long(fv->f[0], &m->M) ||
      !parse_long(fv->f[1], &m->N) || (m->coord && !parse_long(fv->f[2], &m->NZ)))
    return hg_fail(err, HG_ERR_PARSE, "%s:%ld: malformed size line (expected '%s')", tf->path,
                   tf->t.lineno, m->coord ? "rows columns entries" : "rows columns");
  if (m->M < 1 || m->M > INT_MAX || m->N < 2 || m->N > INT_MAX)
    return hg_fail(err, HG_ERR_PARSE, "%s:%ld: size %ld x %ld: need 1 to %d rows "
                   "(examples) and 2 to %d columns (a label and features)", tf->path,
                   tf->t.lineno, m->M, m->N, INT_MAX, INT_MAX);
  if (m->coord && (m->NZ < 0 || m->NZ > INT_MAX || m->NZ > (long long)m->M * m->N))
    return hg_fail(err, HG_ERR_PARSE, "%s:%ld: %ld entries do not fit a %ld x %ld "
                   "matrix with int indices", tf->path, tf->t.lineno, m->NZ, m->M, m->N);
  if (!m->coord && !hg_matrix_dense_ok(m->M, m->N))
    return hg_fail(err, HG_ERR_UNSUPPORTED, "%s:%ld: dense %ld x %ld matrix is too "
                   "large", tf->path, tf->t.lineno, m->M, m->N);
  if (!m->coord)
    m->NZ = m->M * m->N;
  int status = mm_size_limits(tf, m, err);
  return status ? status : label_column(label, (int)m->N, NULL, tf->path, &m->lab, err);
}

/* One coordinate entry "i j value" (or "i j" for pattern) from the fields fv of tf's line. */
static int mm_entry(text_file *tf, const fields *fv, mm_read *m, hg_error *err)
{
  long i, j;
  double v = 1.0;

  if (m->count == m->NZ)
    return hg_fail(err, HG_ERR_PARSE, "%s:%ld: more entries than the %ld declared on "
                   "line %ld", tf->path, tf->t.lineno, m->NZ, m->size_line);
  if (fv->n != (m->pattern ? 2 : 3) || !parse_long(fv->f[0], &i) ||
      !parse_long(fv->f[1], &j) || (!m->pattern && !parse_real(fv->f[2], &v)))
    return hg_fail(err, HG_ERR_PARSE, "%s:%ld: malformed entry (expected '%s')", tf->path,
                   tf->t.lineno, m->pattern ? "row column" : "row column value");
  if (i < 1 || i > m->M || j < 1 || j > m->N)
    return hg_fail(err, HG_ERR_PARSE, "%s:%ld: entry (%ld, %ld) is outside the %ld x %ld "
                   "matrix", tf->path, tf->t.lineno, i, j, m->M, m->N);
  if (!isfinite(v))
    return hg_fail(err, HG_ERR_PARSE, "%s:%ld: non-finite value '%.40s'", tf->path,
                   tf->t.lineno, fv->f[2]);
  int status = push_entry(&m->L, (int)i - 1, (int)j - 1, v, tf, err);
  if (!status)
    m->count++;
  return status;
}

/* The values of an array file on tf's line (fields fv), in column-major order, appended to
 * m->tab. */
static int mm_values(const text_file *tf, const fields *fv, mm_read *m, hg_error *err)
{
  for (long t = 0; t < fv->n; t++, m->count++) {
    double v;
    if (m->count == m->NZ)
      return hg_fail(err, HG_ERR_PARSE, "%s:%ld: more values than the %ld x %ld declared "
                     "on line %ld", tf->path, tf->t.lineno, m->M, m->N, m->size_line);
    if (!parse_real(fv->f[t], &v) || !isfinite(v))
      return hg_fail(err, HG_ERR_PARSE, "%s:%ld: value '%.40s' is not a finite number",
                     tf->path, tf->t.lineno, fv->f[t]);
    double *grown = grow(m->tab, &m->tab_cap, m->count + 1, sizeof *m->tab);
    if (!grown)
      return hg_fail(err, HG_ERR_NOMEM, "%s:%ld: out of memory for %ld values", tf->path,
                     tf->t.lineno, m->count + 1);
    m->tab = grown;
    m->tab[m->count] = v;
  }
  return HG_OK;
}

/* The end of a Matrix Market read: every declared entry or value was there; X and y from
 * them (dense from an array, CSR from coordinates). */
static int mm_finish(const text_file *tf, mm_read *m, hg_matrix **X, double **y, hg_error *err)
{
  int status;
  double *yv;

  if (m->size_line == 0)
    return hg_fail(err, HG_ERR_PARSE, "%s: no size line after the banner", tf->path);
  if (m->count < m->NZ)
    return hg_fail(err, HG_ERR_PARSE, "%s: %ld %s declared on line %ld, %ld found", tf->path,
                   m->NZ, m->coord ? "entries" : "values", m->size_line, m->count);
  if (!m->coord)
    return table_split(m->tab, (int)m->M, (int)m->N, 1, (size_t)m->M, m->lab, X, y, err);
  yv = hg_zalloc((size_t)m->M, sizeof *yv);
  if (!yv)
    return hg_fail(err, HG_ERR_NOMEM, "%s: out of memory for %ld labels", tf->path, m->M);
  status = entries_to_csr(&m->L, (int)m->M, (int)m->N, tf->path, X, err);
  if (status) {
    free(yv);
    return status;
  }
  csr_take_column(*X, m->lab, yv);
  *y = yv;
  return HG_OK;
}

/* Matrix Market: "%%MatrixMarket matrix coordinate|array real|integer|pattern general", then
 * '%' comment lines, the size line ("M N NZ" for coordinate, "M N" for array) and the data:
 * "i j value" per entry (1-based; "i j" for pattern, value 1), or the M*N values of an array
 * in column-major order.  Rows are examples; the label column (option label, a 1-based number,
 * default 1) goes to y and the other N - 1 columns to X: CSR from coordinate, dense (converted
 * to row-major) from array. */
static int read_mm(text_file *tf, const char *label, hg_matrix **X, double **y,
                   hg_error *err)
{
  int status, got;
  fields fv = {0};
  mm_read m = {0};

  status = mm_banner(tf, &fv, &m, err);
  /* Everything after the banner: comments and blank lines, the size line, the data. */
  while (!status) {
    status = next_line(tf, &got, err);
    if (status || !got)
      break;
    if (tf->t.line[0] == '%' || is_blank(tf->t.line))
      continue;
    status = split_fields(tf->t.line, 0, &fv, tf, err);
    if (status)
      break;
    if (m.size_line == 0)
      status = mm_size_line(tf, &fv, label, &m, err);
    else if (m.coord)
      status = mm_entry(tf, &fv, &m, err);
    else
      status = mm_values(tf, &fv, &m, err);
  }
  if (!status)
    status = mm_finish(tf, &m, X, y, err);
  free(fv.f);
  free(m.L.e);
  free(m.tab);
  return status;
}

/* The readers by format name. */
static const struct {
  const char *name;
  reader_fn *read;
} readers[] = {
  {"libsvm", read_libsvm},
  {"csv", read_csv},
  {"mm", read_mm},
  {NULL, NULL},
};

/* Format "auto": by extension (.csv; .mtx or .mm), else by a "%%MatrixMarket" first line,
 * else LIBSVM.  Leaves f at its start. */
static const char *detect_format(const char *path, FILE *f)
{
  const char *slash = strrchr(path, '/'), *dot = strrchr(path, '.');
  char head[14];
  size_t n;

  if (dot && (!slash || dot > slash)) {
    if (strcasecmp(dot, ".csv") == 0)
      return "csv";
    if (strcasecmp(dot, ".mtx") == 0 || strcasecmp(dot, ".mm") == 0)
      return "mm";
  }
  n = fread(head, 1, sizeof head, f);
  rewind(f);
  if (n == sizeof head && memcmp(head, "%%MatrixMarket", sizeof head) == 0)
    return "mm";
  return "libsvm";
}

/* Read a data file (see hgbench.h).  On success *X and *y (malloc'ed, X->rows labels, free
 * with free()) belong to the caller; on failure both are NULL. */
int hg_data_read(const char *path, const hg_read_opts *opts, hg_matrix **X, double **y,
                 hg_error *err)
{
  return hg_data_read_lim(path, opts, NULL, X, y, err);
}

/* hg_data_read under the limits lim (hg_io.h). */
int hg_data_read_lim(const char *path, const hg_read_opts *opts, const hg_limits *lim,
                     hg_matrix **X, double **y, hg_error *err)
{
  int status = HG_OK, r;
  const char *format = opts && opts->format ? opts->format : "auto";
  text_file tf = {0};
  hg_limits own;

  if (!X || !y || !path) {
    status = hg_fail(err, HG_ERR_ARG, "hg_data_read: NULL path or output");
    goto done;
  }
  *X = NULL;
  *y = NULL;
  for (r = 0; readers[r].name; r++)
    if (strcmp(format, readers[r].name) == 0)
      break;
  if (!readers[r].name && strcmp(format, "auto") != 0) {
    status = hg_fail(err, HG_ERR_ARG, "unknown data format '%s' for '%s' (expected auto, "
                     "libsvm, csv or mm)", format, path);
    goto done;
  }
  tf.path = path;
  tf.lim = hg_limits_or_default(lim, &own);
  status = hg_text_open(&tf.t, path, "", tf.lim->max_file_bytes, err);
  if (status)
    goto done;
  if (!readers[r].name) {
    format = detect_format(path, tf.t.f);
    for (r = 0; strcmp(format, readers[r].name) != 0; r++)
      ;
  }
  status = readers[r].read(&tf, opts ? opts->label : NULL, X, y, err);
done:
  hg_text_close(&tf.t);
  return status;
}

/*
 * plot.c -- plots through gnuplot (DESIGN §6).
 *
 * For each series, the y values at one x (exact equality) are repetitions: NAME.dat gets their
 * median and 10 % / 90 % quantiles and the median of the bound there, one gnuplot index block
 * per series.  NAME.gp is the template plots/lines.gp with its @FIELD@s filled in; the template
 * is compiled into the binary (cmake/embed.cmake), so an installed hgbench needs no source
 * tree, and the .gp it writes stands alone: a user edits it and reruns `gnuplot NAME.gp`.
 * gnuplot then runs in a scratch folder inside the output folder and what it draws is renamed
 * into place, so a reader never sees half a picture.
 */
#include "hg_io.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hg_plot_images.h" /* hg_plot_images_gp[]: plots/images.gp, embedded at build time */
#include "hg_plot_lines.h"  /* hg_plot_lines_gp[]: plots/lines.gp, embedded at build time */

#define NAME_MAX_LEN 100   /* so NAME.ext fits hg_plot_ref.file */
#define STDERR_KEEP 8192   /* the tail of gnuplot's stderr kept for the error message */

/* Text built in memory (open_memstream), then written atomically. */
typedef struct memtext {
  FILE *f;
  char *s;
  size_t n;
} memtext;

static int text_open(memtext *t)
{
  t->s = NULL;
  t->n = 0;
  t->f = open_memstream(&t->s, &t->n);
  return t->f != NULL;
}

/* Close the stream, leaving t->s and t->n; 0 if writing failed (out of memory). */
static int text_close(memtext *t)
{
  if (!t->f)
    return 0;
  int ok = !ferror(t->f);
  ok = fclose(t->f) == 0 && ok;
  t->f = NULL;
  return ok && t->s;
}

static void text_free(memtext *t)
{
  if (t->f)
    fclose(t->f);
  free(t->s);
  t->f = NULL;
  t->s = NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Output formats                                                                              */
/* ------------------------------------------------------------------------------------------ */

typedef struct plot_format {
  const char *name;     /* as in hg_plot_spec.format */
  const char *terminal; /* the `set terminal` line */
  const char *ext;      /* gnuplot's output: NAME.ext (the file reported as rendered) */
  const char *ext2;     /* a second file gnuplot writes beside it (cairolatex's .pdf), or NULL */
  int latex;            /* text is typeset by LaTeX (cairolatex), not gnuplot's enhanced mode */
} plot_format;

static const plot_format formats[] = {
  {"png", "pngcairo size 900,600 enhanced font 'Sans,11'", "png", NULL, 0},
  {"pdf", "pdfcairo size 5in,3.5in enhanced font 'Sans,9' pointscale 0.6", "pdf", NULL, 0},
  {"svg", "svg size 900,600 dynamic enhanced font 'Sans,11' background rgb 'white'", "svg", NULL,
   0},
  {"cairolatex", "cairolatex pdf input color size 5in,3.5in pointscale 0.6", "tex", "pdf", 1},
};

static const plot_format *find_format(const char *name)
{
  if (!name || !*name)
    name = "png";
  for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
    if (strcmp(formats[i].name, name) == 0)
      return &formats[i];
  return NULL;
}

/* The file stem names files in the output folder and is quoted in gnuplot, the shell and
 * LaTeX: keep it to characters that need quoting in none of them. */
static int check_name(const char *name, hg_error *err)
{
  if (!name || !*name)
    return hg_fail(err, HG_ERR_ARG, "plot without a name (the file stem of NAME.dat, NAME.gp)");
  size_t len = strlen(name);
  int ok = name[0] != '.' && len <= NAME_MAX_LEN;
  for (size_t i = 0; ok && i < len; i++) {
    char c = name[i];
    ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '.' || c == '_' || c == '-' || c == '+';
  }
  if (!ok)
    return hg_fail(err, HG_ERR_ARG,
                   "plot name '%.120s': use at most %d letters, digits, '.', '_', '-' or '+', "
                   "not starting with '.' (it names files in the output folder)",
                   name, NAME_MAX_LEN);
  return HG_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Data: median and 10-90 % band over repetitions                                              */
/* ------------------------------------------------------------------------------------------ */

typedef struct point {
  double x, y, bound;
} point;

static int cmp_point(const void *pa, const void *pb)
{
  const point *a = pa, *b = pb;
  if (a->x != b->x)
    return a->x < b->x ? -1 : 1;
  return (a->y > b->y) - (a->y < b->y);
}

static int cmp_double(const void *pa, const void *pb)
{
  double a = *(const double *)pa, b = *(const double *)pb;
  return (a > b) - (a < b);
}

/* The p-quantile of v[0] <= ... <= v[m-1] (m >= 1) by linear interpolation between order
 * statistics (Hyndman & Fan type 7, R's default): with h = (m - 1) p and i = floor(h),
 * Q(p) = v[i] + (h - i) (v[i+1] - v[i]).  Q(1/2) is the usual median. */
static double quantile(const double *v, int m, double p)
{
  double h = (m - 1) * p;
  int i = (int)floor(h);
  if (i >= m - 1)
    return v[m - 1];
  return v[i] + (h - i) * (v[i + 1] - v[i]);
}

/* A number as gnuplot and strtod read it back exactly, in as few digits as that takes;
 * NaN for what is not finite (gnuplot skips it). */
static void put_num(FILE *b, double v)
{
  char s[32];
  if (!isfinite(v)) {
    fputs("NaN", b);
    return;
  }
  snprintf(s, sizeof s, "%.15g", v);
  if (strtod(s, NULL) != v)
    snprintf(s, sizeof s, "%.17g", v);
  fputs(s, b);
}

/* s on one line (a comment in the .dat), control characters as spaces. */
static void put_line_text(FILE *b, const char *s)
{
  for (; *s; s++)
    fputc((unsigned char)*s < 0x20 ? ' ' : *s, b);
}

enum { COL_X, COL_MED, COL_P10, COL_P90, COL_BOUND, NCOL }; /* the .dat columns */

typedef struct series_info {
  int nx;        /* x values drawn */
  int has_bound; /* some x has a finite (positive on a log y axis) bound */
  double *rows;  /* nx rows of NCOL columns, as in the .dat (owned) */
} series_info;

/* Append series s (number idx) to the .dat as one index block: per distinct x, in increasing
 * order, x, the median, 10 % and 90 % quantiles of its y, and the median of its bounds.
 * Dropped: non-finite x or y, and x <= 0 or y <= 0 on a log axis (counted in a comment). */
static int put_series(FILE *dat, const hg_plot_series *s, const char *label, int idx, int logx,
                      int logy, series_info *info, hg_error *err)
{
  int status = HG_OK;
  point *pts = NULL;
  double *work = NULL;
  int kept = 0, bad_x = 0, bad_y = 0, nonpos_y = 0;

  if (s->n > 0) {
    pts = malloc((size_t)s->n * sizeof *pts);
    work = malloc((size_t)s->n * sizeof *work);
    if (!pts || !work) {
      status = hg_fail(err, HG_ERR_NOMEM, "out of memory summarizing plot series '%.100s' "
                       "(%d points)", label, s->n);
      goto done;
    }
  }
  for (int i = 0; i < s->n; i++) {
    double x = s->x[i], y = s->y[i], bound = s->bound ? s->bound[i] : NAN;
    if (!isfinite(x) || (logx && x <= 0)) {
      bad_x++;
      continue;
    }
    if (!isfinite(y)) {
      bad_y++;
      continue;
    }
    if (logy && y <= 0) {
      nonpos_y++;
      continue;
    }
    if (isfinite(bound) && bound < s->floor)
      bound = s->floor; /* below round-off a bound is not what the error is held to */
    if (!isfinite(bound) || (logy && bound <= 0))
      bound = NAN;
    pts[kept++] = (point){x, y, bound};
  }
  if (kept > 0)
    qsort(pts, (size_t)kept, sizeof *pts, cmp_point);

  info->nx = 0;
  info->has_bound = 0;
  for (int i = 0; i < kept;) {
    int j = i;
    while (j < kept && pts[j].x == pts[i].x)
      j++;
    info->nx++;
    i = j;
  }
  if (info->nx > 0 && !(info->rows = malloc((size_t)info->nx * NCOL * sizeof *info->rows))) {
    status = hg_fail(err, HG_ERR_NOMEM, "out of memory summarizing plot series '%.100s' "
                     "(%d points)", label, s->n);
    goto done;
  }

  if (idx > 0)
    fputs("\n\n", dat); /* two blank lines end a gnuplot index block */
  fprintf(dat, "# series %d: ", idx);
  put_line_text(dat, label);
  fprintf(dat, "\n# %d of %d points kept, at %d x values", kept, s->n, info->nx);
  if (kept < s->n) {
    const char *sep = "; dropped";
    if (bad_x) {
      fprintf(dat, "%s %d with %s", sep, bad_x,
                logx ? "non-finite x or x <= 0 (log x axis)" : "non-finite x");
      sep = ",";
    }
    if (bad_y) {
      fprintf(dat, "%s %d with non-finite y", sep, bad_y);
      sep = ",";
    }
    if (nonpos_y)
      fprintf(dat, "%s %d with y <= 0 (log y axis)", sep, nonpos_y);
  }
  if (s->bound && s->floor > 0)
    fprintf(dat, "\n# bounds below the round-off floor %.3g are drawn at it", s->floor);
  fputs("\n# x median p10 p90 bound\n", dat);
  if (kept == 0)
    fputs("NaN NaN NaN NaN NaN\n", dat); /* keeps the block, so later indices still match */

  for (int i = 0, row = 0; i < kept; row++) {
    int j = i, nb = 0;
    while (j < kept && pts[j].x == pts[i].x)
      j++;
    int m = j - i;
    for (int r = 0; r < m; r++) {
      work[r] = pts[i + r].y; /* sorted by y within one x */
      if (!isnan(pts[i + r].bound))
        nb++;
    }
    double med = quantile(work, m, 0.5), p10 = quantile(work, m, 0.1),
           p90 = quantile(work, m, 0.9), bound = NAN;
    if (nb > 0) {
      nb = 0;
      for (int r = 0; r < m; r++)
        if (!isnan(pts[i + r].bound))
          work[nb++] = pts[i + r].bound;
      qsort(work, (size_t)nb, sizeof *work, cmp_double);
      bound = quantile(work, nb, 0.5);
      info->has_bound = 1;
    }
    double *r = info->rows + (size_t)row * NCOL;
    r[COL_X] = pts[i].x;
    r[COL_MED] = med;
    r[COL_P10] = p10;
    r[COL_P90] = p90;
    r[COL_BOUND] = bound;
    for (int c = 0; c < NCOL; c++) {
      put_num(dat, r[c]);
      fputc(c < NCOL - 1 ? ' ' : '\n', dat);
    }
    i = j;
  }

done:
  free(pts);
  free(work);
  return status;
}

/* ------------------------------------------------------------------------------------------ */
/* The gnuplot script                                                                          */
/* ------------------------------------------------------------------------------------------ */

/* Text shown as is: a gnuplot single-quoted string ('' for a quote, control characters as
 * spaces) of s and suffix; for cairolatex, where LaTeX typesets it, its special characters
 * escaped; elsewhere followed by noenhanced when gnuplot's enhanced mode would read markup in
 * it (a '_' in a file name must not become a subscript).  Edit the .gp for markup. */
static void put_literal(FILE *b, const char *s, const char *suffix, const plot_format *f)
{
  static const char latex_special[] = "#$%&_{}~^\\";
  static const char *const latex_escaped[] = {"\\#", "\\$", "\\%", "\\&", "\\_", "\\{", "\\}",
                                               "\\textasciitilde{}", "\\textasciicircum{}",
                                               "\\textbackslash{}"};
  int markup = 0;
  fputc('\'', b);
  for (int part = 0; part < 2; part++)
    for (const char *p = part ? suffix : s; p && *p; p++) {
      const char *special = f->latex ? strchr(latex_special, *p) : NULL;
      if (*p == '\'')
        fputs("''", b);
      else if ((unsigned char)*p < 0x20)
        fputc(' ', b);
      else if (special)
        fputs(latex_escaped[special - latex_special], b);
      else
        fputc(*p, b);
      markup = markup || strchr("^_@&~{}\\", *p);
    }
  fputc('\'', b);
  if (markup && !f->latex)
    fputs(" noenhanced", b);
}

/* The plot command's elements: all bands, then per series its median and its bound. */
static void put_plot(FILE *b, const hg_plot_spec *spec, const char *const *labels,
                     const series_info *info, const plot_format *f)
{
  const char *sep = "";
  for (int i = 0; i < spec->nseries; i++) {
    if (info[i].nx == 0)
      continue;
    fprintf(b, "%s  data index %d using 1:3:4 with filledcurves lt %d notitle", sep, i, i + 1);
    sep = ", \\\n";
  }
  for (int i = 0; i < spec->nseries; i++) {
    if (info[i].nx == 0)
      continue;
    fprintf(b, "%s  data index %d using 1:2 with linespoints lt %d", sep, i, i + 1);
    if (info[i].nx > 15) /* a mark every few points keeps a dense curve legible */
      fprintf(b, " pointinterval %d", (info[i].nx + 11) / 12);
    fputs(" title ", b);
    put_literal(b, labels[i], "", f);
    if (info[i].has_bound) {
      fprintf(b, ", \\\n  data index %d using 1:5 with lines lt %d dt 2 lw 1.5", i, i + 1);
      fputs(" title ", b);
      char suffix[64];
      snprintf(suffix, sizeof suffix, " %s", spec->bound_label ? spec->bound_label : "bound");
      put_literal(b, labels[i], suffix, f);
    }
  }
}

/* A data coordinate as drawn: log10 on a log axis. */
static double axis_coord(double v, int log_axis)
{
  return log_axis ? log10(v) : v;
}

/* Does the band p10..p90 (or the bound) of series info, as drawn, enter the box
 * [u0, u1] x [v0, v1] of the picture in data coordinates?  Each segment between consecutive
 * x is sampled at 9 points, the band as the vertical interval between its edges. */
static int enters_box(const hg_plot_spec *spec, const series_info *info, double u0, double u1,
                      double v0, double v1)
{
  for (int r = 0; r < info->nx; r++) {
    const double *a = info->rows + (size_t)r * NCOL;
    const double *b = r + 1 < info->nx ? a + NCOL : a;
    for (int k = 0; k <= 8; k++) {
      double s = k / 8.0;
      double u = (1 - s) * axis_coord(a[COL_X], spec->logx) +
                 s * axis_coord(b[COL_X], spec->logx);
      if (u < u0 || u > u1)
        continue;
      double lo = (1 - s) * axis_coord(a[COL_P10], spec->logy) +
                  s * axis_coord(b[COL_P10], spec->logy);
      double hi = (1 - s) * axis_coord(a[COL_P90], spec->logy) +
                  s * axis_coord(b[COL_P90], spec->logy);
      double bound = (1 - s) * axis_coord(a[COL_BOUND], spec->logy) +
                     s * axis_coord(b[COL_BOUND], spec->logy);
      if (hi >= v0 && lo <= v1)
        return 1;
      if (!isnan(bound) && bound >= v0 && bound <= v1)
        return 1; /* NaN where the bound has a gap, as gnuplot leaves one */
    }
  }
  return 0;
}

/* The extent of what is drawn in data coordinates (log10 on a log axis): x in [*ulo, *uhi],
 * medians, bands and bounds in [*vlo, *vhi]; infinite when nothing is drawn. */
static void data_extent(const hg_plot_spec *spec, const series_info *info, double *ulo,
                        double *uhi, double *vlo, double *vhi)
{
  *ulo = *vlo = INFINITY;
  *uhi = *vhi = -INFINITY;
  for (int i = 0; i < spec->nseries; i++)
    for (int r = 0; r < info[i].nx; r++) {
      const double *row = info[i].rows + (size_t)r * NCOL;
      double u = axis_coord(row[COL_X], spec->logx);
      *ulo = fmin(*ulo, u);
      *uhi = fmax(*uhi, u);
      for (int c = COL_MED; c < NCOL; c++) {
        if (isnan(row[c]))
          continue;
        double v = axis_coord(row[c], spec->logy);
        *vlo = fmin(*vlo, v);
        *vhi = fmax(*vhi, v);
      }
    }
}

/* Where the key goes: inside the first corner (top right, bottom left, top left, bottom
 * right) that no band, median or bound enters, else outside on the right.  Judged on the
 * extent of the data (gnuplot's axes, rounded out to tics, only leave more room), with the
 * key's size estimated from its entries and longest label on the 900 x 600 picture. */
static const char *key_place(const hg_plot_spec *spec, const char *const *labels,
                             const series_info *info)
{
  static const struct {
    const char *where;
    int right, top;
  } corners[] = {{"top right", 1, 1}, {"bottom left", 0, 0}, {"top left", 0, 1},
                 {"bottom right", 1, 0}};
  double ulo, uhi, vlo, vhi;
  size_t longest = 0;
  int entries = 0;

  data_extent(spec, info, &ulo, &uhi, &vlo, &vhi);
  for (int i = 0; i < spec->nseries; i++) {
    if (info[i].nx == 0)
      continue;
    size_t len = strlen(labels[i]) + (info[i].has_bound ? 6 : 0);
    longest = len > longest ? len : longest;
    entries += 1 + info[i].has_bound;
  }
  /* about 7 px a character and 70 px of sample and padding, of ~780 px; 20 px an entry and
   * 20 px of padding, of ~500 px */
  double w = (7.0 * (double)longest + 70) / 780, h = (20.0 * entries + 20) / 500;
  if (entries == 0 || w > 0.5 || h > 0.5)
    return "outside right top";
  double du = uhi > ulo ? uhi - ulo : 1, dv = vhi > vlo ? vhi - vlo : 1;
  for (size_t c = 0; c < sizeof corners / sizeof corners[0]; c++) {
    double u0 = corners[c].right ? uhi - w * du : -INFINITY;
    double u1 = corners[c].right ? INFINITY : ulo + w * du;
    double v0 = corners[c].top ? vhi - h * dv : -INFINITY;
    double v1 = corners[c].top ? INFINITY : vlo + h * dv;
    int free_corner = 1;
    for (int i = 0; i < spec->nseries && free_corner; i++)
      free_corner = !enters_box(spec, &info[i], u0, u1, v0, v1);
    if (free_corner)
      return corners[c].where;
  }
  return "outside right top";
}

enum { F_NAME, F_DATA, F_TERMINAL, F_OUTPUT, F_TITLE, F_XLABEL, F_YLABEL, F_AXES, F_KEY, F_PLOT,
       F_COUNT };
static const char *const field_names[F_COUNT] = {"NAME",   "DATA",   "TERMINAL", "OUTPUT",
                                                 "TITLE",  "XLABEL", "YLABEL",   "AXES",
                                                 "KEY",    "PLOT"};

/* Copy template tpl into out with every @FIELD@ (capitals and '_') replaced by its value;
 * an @ not starting a field is copied as is, an unknown field is an error. */
static int fill_template(const char *tpl, const char *tpl_name, char *const *values, FILE *out,
                         hg_error *err)
{
  for (const char *p = tpl; *p;) {
    if (*p == '@') {
      const char *e = p + 1;
      while ((*e >= 'A' && *e <= 'Z') || *e == '_')
        e++;
      if (*e == '@' && e > p + 1) {
        size_t len = (size_t)(e - p - 1);
        int f = 0;
        while (f < F_COUNT && !(strlen(field_names[f]) == len &&
                                memcmp(field_names[f], p + 1, len) == 0))
          f++;
        if (f == F_COUNT)
          return hg_fail(err, HG_ERR_PARSE, "%s: unknown field @%.*s@", tpl_name, (int)len,
                         p + 1);
        fputs(values[f], out);
        p = e + 1;
        continue;
      }
    }
    fputc(*p++, out);
  }
  return HG_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Running gnuplot                                                                             */
/* ------------------------------------------------------------------------------------------ */

/* path made absolute (gnuplot runs in another folder) if it names an executable file, else
 * NULL (*oom set if memory ran out). */
static char *executable(const char *path, int *oom)
{
  struct stat st;
  char cwd[PATH_MAX];
  if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || access(path, X_OK) != 0)
    return NULL;
  if (path[0] != '/' && !getcwd(cwd, sizeof cwd))
    return NULL;
  size_t len = (path[0] == '/' ? 0 : strlen(cwd) + 1) + strlen(path) + 1;
  char *abs = malloc(len);
  if (!abs)
    *oom = 1;
  else if (path[0] == '/')
    memcpy(abs, path, len);
  else
    snprintf(abs, len, "%s/%s", cwd, path);
  return abs;
}

/* The gnuplot to run: $HG_GNUPLOT (a path, or a name looked up in PATH) or `gnuplot` in PATH,
 * resolved here rather than by execvp in the child (which may allocate after fork).  NULL
 * when there is none; *oom set when memory ran out instead. */
static char *find_gnuplot(const char *prog, int *oom)
{
  *oom = 0;
  if (strchr(prog, '/'))
    return executable(prog, oom);
  const char *path = getenv("PATH");
  if (!path)
    path = "/usr/local/bin:/usr/bin:/bin";
  size_t cap = strlen(path) + strlen(prog) + 3;
  char *cand = malloc(cap);
  if (!cand) {
    *oom = 1;
    return NULL;
  }
  char *found = NULL;
  for (const char *dir = path; !found && !*oom;) {
    const char *end = strchr(dir, ':');
    size_t len = end ? (size_t)(end - dir) : strlen(dir);
    if (len == 0)
      snprintf(cand, cap, "./%s", prog); /* an empty PATH entry is the current folder */
    else
      snprintf(cand, cap, "%.*s/%s", (int)len, dir, prog);
    found = executable(cand, oom);
    if (!end)
      break;
    dir = end + 1;
  }
  free(cand);
  return found;
}

/* Remove the scratch folder dir and whatever is left in it. */
static void remove_dir(const char *dir)
{
  DIR *d = opendir(dir);
  if (d) {
    struct dirent *e;
    char path[PATH_MAX];
    while ((e = readdir(d)) != NULL) {
      if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
        continue;
      if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, e->d_name) < sizeof path)
        unlink(path);
    }
    closedir(d);
  }
  rmdir(dir);
}

/* gnuplot's stderr condensed for a one-line message: blank lines and the line of the caret
 * under the culprit dropped, white space runs as one space, the last part kept.  msg is
 * modified. */
static void condense(char *msg, char *out, size_t len)
{
  size_t n = 0;
  for (char *line = msg; *line;) {
    size_t end = strcspn(line, "\n");
    char *next = line + end + (line[end] != '\0'); /* read before the line is overwritten */
    if (strspn(line, " \t\r^") < end) {
      for (size_t i = 0; i < end; i++) {
        char c = (unsigned char)line[i] < 0x20 ? ' ' : line[i];
        if (c != ' ' || (n > 0 && msg[n - 1] != ' '))
          msg[n++] = c; /* n never passes line + i: writing behind the reading */
      }
      if (n > 0 && msg[n - 1] != ' ')
        msg[n++] = ' ';
    }
    line = next;
  }
  while (n > 0 && msg[n - 1] == ' ')
    n--;
  msg[n] = '\0';
  if (n == 0)
    snprintf(out, len, "no message");
  else if (n < len)
    snprintf(out, len, "%s", msg);
  else
    snprintf(out, len, "...%s", msg + n - (len - 4));
}

static void close_fd(int *fd)
{
  if (*fd >= 0)
    close(*fd);
  *fd = -1;
}

/* *prog gets the gnuplot to run (find_gnuplot on $HG_GNUPLOT or `gnuplot`), malloc'ed; when
 * there is none, HG_ERR_UNSUPPORTED saying the .dat and .gp are written. */
static int gnuplot_or_fail(const char *name, char **prog, hg_error *err)
{
  int oom = 0;
  const char *env = getenv("HG_GNUPLOT");
  int from_env = env && *env;
  if ((*prog = find_gnuplot(from_env ? env : "gnuplot", &oom)))
    return HG_OK;
  if (oom)
    return hg_fail(err, HG_ERR_NOMEM, "out of memory looking for gnuplot");
  if (from_env)
    return hg_fail(err, HG_ERR_UNSUPPORTED, "gnuplot not found (install gnuplot-nox; "
                   "$HG_GNUPLOT is '%.200s'): %s.dat and %s.gp written, plot not rendered",
                   env, name, name);
  return hg_fail(err, HG_ERR_UNSUPPORTED, "gnuplot not found (install gnuplot-nox): %s.dat "
                 "and %s.gp written, plot not rendered", name, name);
}

/* A fresh scratch folder outdir/.NAME.XXXXXX, its path in tmpdir (PATH_MAX bytes; "" on
 * failure). */
static int make_scratch(const char *outdir, const char *name, char *tmpdir, hg_error *err)
{
  if ((size_t)snprintf(tmpdir, PATH_MAX, "%s/.%s.XXXXXX", outdir, name) >= PATH_MAX) {
    tmpdir[0] = '\0';
    return hg_fail(err, HG_ERR_ARG, "output folder path '%.200s...' is too long", outdir);
  }
  if (!mkdtemp(tmpdir)) {
    int status = hg_fail(err, HG_ERR_IO, "cannot create a scratch folder in '%.300s' for "
                         "gnuplot: %s", outdir, strerror(errno));
    tmpdir[0] = '\0';
    return status;
  }
  return HG_OK;
}

/* In the forked child: enter tmpdir, stdin and stdout to /dev/null, stderr to errfd, exec
 * argv.  Only async-signal-safe calls until exec; on failure, tell the parent which step
 * failed and why through reportfd (closed by a successful exec). */
_Noreturn static void child_exec(const char *tmpdir, char *const *argv, int errfd, int reportfd)
{
  int report[2] = {0, 0};
  int nul = open("/dev/null", O_RDWR);
  if (chdir(tmpdir) != 0)
    report[0] = 1;
  else if (nul < 0 || dup2(nul, 0) < 0 || dup2(nul, 1) < 0 || dup2(errfd, 2) < 0)
    report[0] = 2;
  else {
    execv(argv[0], argv);
    report[0] = 3;
  }
  report[1] = errno;
  ssize_t w = write(reportfd, report, sizeof report);
  (void)w;
  _exit(127);
}

/* Read up to n bytes from fd into buf (retrying on EINTR); returns how many came. */
static ssize_t read_full(int fd, void *buf, size_t n)
{
  ssize_t got = 0;
  while (got < (ssize_t)n) {
    ssize_t r = read(fd, (char *)buf + got, n - (size_t)got);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      break;
    got += r;
  }
  return got;
}

/* The last STDERR_KEEP bytes read from fd up to its end, malloc'ed and terminated (NULL when
 * memory ran out; fd is drained either way). */
static char *read_tail(int fd)
{
  char *text = malloc(STDERR_KEEP + 1);
  size_t n = 0;
  for (;;) {
    char chunk[1024];
    ssize_t r = read(fd, chunk, sizeof chunk);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      break;
    if (!text)
      continue;
    if (n + (size_t)r > STDERR_KEEP) {
      size_t drop = n + (size_t)r - STDERR_KEEP;
      if (drop > n)
        drop = n;
      memmove(text, text + drop, n - drop);
      n -= drop;
    }
    size_t take = (size_t)r <= STDERR_KEEP - n ? (size_t)r : STDERR_KEEP - n;
    memcpy(text + n, chunk + (size_t)r - take, take);
    n += take;
  }
  if (text)
    text[n] = '\0';
  return text;
}

/* How gnuplot ended, as a status: report (got bytes of it) from a child that could not exec
 * prog, else its wait status wstatus with its stderr (may be NULL) condensed. */
static int gnuplot_status(const char *prog, const char *name, const int report[2], ssize_t got,
                          int wstatus, char *stderr_text, hg_error *err)
{
  if (got == (ssize_t)(2 * sizeof report[0])) {
    if (report[0] == 3 && (report[1] == ENOENT || report[1] == ENOTDIR))
      return hg_fail(err, HG_ERR_UNSUPPORTED, "gnuplot not found (install gnuplot-nox): "
                     "%s.dat and %s.gp written, plot not rendered", name, name);
    return hg_fail(err, HG_ERR_IO, "cannot run gnuplot '%.200s' (%s): %s", prog,
                   report[0] == 1 ? "entering its scratch folder"
                   : report[0] == 2 ? "redirecting its output" : "exec",
                   strerror(report[1]));
  }
  if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0)
    return HG_OK;
  char why[48], tail[360], none[1] = "";
  if (WIFEXITED(wstatus))
    snprintf(why, sizeof why, "exit status %d", WEXITSTATUS(wstatus));
  else
    snprintf(why, sizeof why, "killed by signal %d",
             WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : 0);
  condense(stderr_text ? stderr_text : none, tail, sizeof tail);
  return hg_fail(err, HG_ERR_IO, "gnuplot failed on %s.gp (%s): %s", name, why, tail);
}

/* Rename what gnuplot drew in tmpdir into outdir: the second file first, since cairolatex's
 * .tex includes the .pdf, so the .tex comes last. */
static int move_outputs(const char *tmpdir, const char *outdir, const char *name,
                        const plot_format *f, hg_error *err)
{
  char from[PATH_MAX], to[PATH_MAX];
  const char *exts[2] = {f->ext2, f->ext};
  for (int i = 0; i < 2; i++) {
    if (!exts[i])
      continue;
    if ((size_t)snprintf(from, sizeof from, "%s/%s.%s", tmpdir, name, exts[i]) >= sizeof from ||
        (size_t)snprintf(to, sizeof to, "%s/%s.%s", outdir, name, exts[i]) >= sizeof to)
      return hg_fail(err, HG_ERR_ARG, "output folder path '%.200s...' is too long", outdir);
    if (access(from, F_OK) != 0)
      return hg_fail(err, HG_ERR_IO, "gnuplot ran on %s.gp but wrote no %s.%s", name, name,
                     exts[i]);
    if (rename(from, to) != 0)
      return hg_fail(err, HG_ERR_IO, "cannot rename '%.200s' to '%.200s': %s", from, to,
                     strerror(errno));
  }
  return HG_OK;
}

/* Run `gnuplot -e "set loadpath '..'" ../NAME.gp` in a fresh scratch folder inside outdir (the
 * data file is found through the load path), then rename what it drew into outdir. */
static int render(const char *outdir, const char *name, const plot_format *f, hg_error *err)
{
  int status = HG_OK;
  int errpipe[2] = {-1, -1}, outpipe[2] = {-1, -1};
  char *prog = NULL, *stderr_text = NULL;
  char tmpdir[PATH_MAX] = "", script[NAME_MAX_LEN + 8];

  if ((status = gnuplot_or_fail(name, &prog, err)) ||
      (status = make_scratch(outdir, name, tmpdir, err)))
    goto done;
  snprintf(script, sizeof script, "../%s.gp", name);
  char *const argv[] = {prog, "-e", "set loadpath '..'", script, NULL};

  if (pipe(errpipe) != 0 || pipe(outpipe) != 0) {
    status = hg_fail(err, HG_ERR_IO, "cannot run gnuplot: pipe: %s", strerror(errno));
    goto done;
  }
  for (int i = 0; i < 2; i++) {
    fcntl(errpipe[i], F_SETFD, FD_CLOEXEC);
    fcntl(outpipe[i], F_SETFD, FD_CLOEXEC);
  }

  pid_t pid = fork();
  if (pid < 0) {
    status = hg_fail(err, HG_ERR_IO, "cannot run gnuplot: fork: %s", strerror(errno));
    goto done;
  }
  if (pid == 0)
    child_exec(tmpdir, argv, outpipe[1], errpipe[1]);
  close_fd(&errpipe[1]);
  close_fd(&outpipe[1]);

  int report[2] = {0, 0};
  ssize_t got = read_full(errpipe[0], report, sizeof report);
  stderr_text = read_tail(outpipe[0]); /* gnuplot's stderr, its last STDERR_KEEP bytes */
  int wstatus = 0;
  while (waitpid(pid, &wstatus, 0) < 0) {
    if (errno != EINTR) {
      status = hg_fail(err, HG_ERR_IO, "cannot wait for gnuplot: %s", strerror(errno));
      goto done;
    }
  }
  if (!(status = gnuplot_status(prog, name, report, got, wstatus, stderr_text, err)))
    status = move_outputs(tmpdir, outdir, name, f, err);

done:
  close_fd(&errpipe[0]);
  close_fd(&errpipe[1]);
  close_fd(&outpipe[0]);
  close_fd(&outpipe[1]);
  if (tmpdir[0])
    remove_dir(tmpdir);
  free(prog);
  free(stderr_text);
  return status;
}

/* ------------------------------------------------------------------------------------------ */
/* hg_plot                                                                                     */
/* ------------------------------------------------------------------------------------------ */

/* What every plot checks first: an output folder, a valid name, a known format (cairolatex
 * only when latex_ok); *f gets the format, rendered (len bytes) is emptied. */
static int plot_begin(const char *outdir, const char *name, const char *format, int latex_ok,
                      char *rendered, size_t len, const plot_format **f, hg_error *err)
{
  if (rendered && len)
    rendered[0] = '\0';
  if (!outdir || !*outdir)
    return hg_fail(err, HG_ERR_ARG, "a plot needs an output folder");
  int status = check_name(name, err);
  if (status)
    return status;
  *f = find_format(format);
  if (!*f || ((*f)->latex && !latex_ok))
    return hg_fail(err, HG_ERR_ARG, "plot '%s': unknown format '%.40s' (png, pdf, svg%s)", name,
                   format, latex_ok ? " or cairolatex" : "; cairolatex is for line plots");
  return HG_OK;
}

/* Close the data text and open the template's fields, NAME and DATA filled in. */
static int open_fields(memtext *dat, memtext *fields, const char *name, hg_error *err)
{
  int ok = text_close(dat);
  for (int i = 0; i < F_COUNT; i++)
    ok = ok && text_open(&fields[i]);
  if (!ok)
    return hg_fail(err, HG_ERR_NOMEM, "out of memory for plot '%s'", name);
  fputs(name, fields[F_NAME].f);
  fprintf(fields[F_DATA].f, "%s.dat", name);
  return HG_OK;
}

/* Close the template's fields and fill template tpl with them into *gp (opened and closed
 * here). */
static int fill_script(const char *tpl, const char *tpl_name, memtext *fields, memtext *gp,
                       const char *name, hg_error *err)
{
  char *values[F_COUNT];
  int ok = 1;
  for (int i = 0; i < F_COUNT; i++) {
    ok = text_close(&fields[i]) && ok;
    values[i] = fields[i].s;
  }
  if (!ok || !text_open(gp))
    return hg_fail(err, HG_ERR_NOMEM, "out of memory for plot '%s'", name);
  int status = fill_template(tpl, tpl_name, values, gp->f, err);
  if (status == HG_OK && !text_close(gp))
    status = hg_fail(err, HG_ERR_NOMEM, "out of memory for plot '%s'", name);
  return status;
}

/* outdir/NAME.dat and NAME.gp, each written atomically. */
static int write_pair(const char *outdir, const char *name, const memtext *dat,
                      const memtext *gp, hg_error *err)
{
  char file[NAME_MAX_LEN + 16];
  snprintf(file, sizeof file, "%s.dat", name);
  int status = hg_write_atomic(outdir, file, dat->s, dat->n, err);
  snprintf(file, sizeof file, "%s.gp", name);
  if (status == HG_OK)
    status = hg_write_atomic(outdir, file, gp->s, gp->n, err);
  return status;
}

/* Each series' legend label into labels ("series N" in owned[i] when it has none), after
 * checking its point count and arrays. */
static int series_labels(const hg_plot_spec *spec, const char **labels, char **owned,
                         hg_error *err)
{
  for (int i = 0; i < spec->nseries; i++) {
    const hg_plot_series *s = &spec->series[i];
    labels[i] = s->name;
    if (!labels[i] || !*labels[i]) {
      if (!(owned[i] = malloc(24)))
        return hg_fail(err, HG_ERR_NOMEM, "out of memory for plot '%s'", spec->name);
      snprintf(owned[i], 24, "series %d", i + 1);
      labels[i] = owned[i];
    }
    if (s->n < 0 || (s->n > 0 && (!s->x || !s->y)))
      return hg_fail(err, HG_ERR_ARG, "plot '%s', series '%.100s': %s", spec->name, labels[i],
                     s->n < 0 ? "negative point count" : "no x or y values");
  }
  return HG_OK;
}

/* NAME.dat into dat (opened here): a header, then put_series for each series (info[i] filled
 * in); *total gets the x values drawn over all series. */
static int write_dat(const hg_plot_spec *spec, const char *const *labels, series_info *info,
                     memtext *dat, int *total, hg_error *err)
{
  if (!text_open(dat))
    return hg_fail(err, HG_ERR_NOMEM, "out of memory for plot '%s'", spec->name);
  fprintf(dat->f, "# %s.dat -- data of %s.gp, written by hgbench.\n", spec->name, spec->name);
  fputs("# One block per series (gnuplot `index i`); at each x, over the repetitions: the "
        "median of y,\n# its 10 % and 90 % quantiles (linear interpolation between order "
        "statistics) and\n# the median of the finite bounds (NaN: none).\n\n", dat->f);
  *total = 0;
  for (int i = 0; i < spec->nseries; i++) {
    int status = put_series(dat->f, &spec->series[i], labels[i], i, spec->logx, spec->logy,
                            &info[i], err);
    if (status != HG_OK)
      return status;
    *total += info[i].nx;
  }
  return HG_OK;
}

/* The template's AXES field: log scales with 10^k tic labels, and how each axis ends: at the
 * data (and the offsets), unless it is a log axis holding fewer than two powers of ten: that
 * one extends to them, so that it has labelled tics. */
static void put_axes(FILE *axes, const hg_plot_spec *spec, const series_info *info,
                     const plot_format *f)
{
  const char *power = f->latex ? "$10^{%L}$" : "10^{%L}"; /* tic labels on a log axis */
  if (spec->logx)
    fprintf(axes, "set logscale x 10\nset format x '%s'\n", power);
  if (spec->logy)
    fprintf(axes, "set logscale y 10\nset format y '%s'\n", power);
  double ulo, uhi, vlo, vhi;
  data_extent(spec, info, &ulo, &uhi, &vlo, &vhi);
  int fix_x = !spec->logx || floor(uhi) - ceil(ulo) >= 1;
  int fix_y = !spec->logy || floor(vhi) - ceil(vlo) >= 1;
  fputs(fix_x && fix_y ? "set autoscale fix"
        : fix_x        ? "set autoscale xfix"
        : fix_y        ? "set autoscale yfix"
                       : "set autoscale",
        axes);
}

int hg_plot(const char *outdir, const hg_plot_spec *spec, char *rendered, size_t len,
            hg_error *err)
{
  int status = HG_OK;
  memtext dat = {0}, gp = {0}, fields[F_COUNT] = {{0}};
  series_info *info = NULL;
  const char **labels = NULL;
  char **owned = NULL;
  char file[NAME_MAX_LEN + 16];
  const plot_format *f = NULL;

  if ((status = plot_begin(outdir, spec ? spec->name : NULL, spec ? spec->format : NULL, 1,
                           rendered, len, &f, err)))
    goto done;
  const char *name = spec->name;
  if (spec->nseries < 1 || !spec->series) {
    status = hg_fail(err, HG_ERR_ARG, "plot '%s' has no series", name);
    goto done;
  }
  info = calloc((size_t)spec->nseries, sizeof *info);
  labels = calloc((size_t)spec->nseries, sizeof *labels);
  owned = calloc((size_t)spec->nseries, sizeof *owned);
  if (!info || !labels || !owned) {
    status = hg_fail(err, HG_ERR_NOMEM, "out of memory for plot '%s'", name);
    goto done;
  }
  if ((status = series_labels(spec, labels, owned, err)))
    goto done;

  /* NAME.dat */
  int total = 0;
  if ((status = write_dat(spec, labels, info, &dat, &total, err)))
    goto done;

  /* NAME.gp: the template's fields, then the template filled in */
  if ((status = open_fields(&dat, fields, name, err)))
    goto done;
  fputs(f->terminal, fields[F_TERMINAL].f);
  fprintf(fields[F_OUTPUT].f, "%s.%s", name, f->ext);
  put_literal(fields[F_TITLE].f, spec->title, "", f);
  put_literal(fields[F_XLABEL].f, spec->xlabel, "", f);
  put_literal(fields[F_YLABEL].f, spec->ylabel, "", f);
  put_axes(fields[F_AXES].f, spec, info, f);
  fputs(key_place(spec, labels, info), fields[F_KEY].f);
  put_plot(fields[F_PLOT].f, spec, labels, info, f);
  if ((status = fill_script(hg_plot_lines_gp, "plots/lines.gp", fields, &gp, name, err)) ||
      (status = write_pair(outdir, name, &dat, &gp, err)))
    goto done;
  if (total == 0) {
    status = hg_fail(err, HG_ERR_ARG, "plot '%s' has no point to draw (every y is non-finite%s): "
                     "%s.dat and %s.gp written, plot not rendered", name,
                     spec->logy ? " or <= 0 on the log axis" : "", name, name);
    goto done;
  }

  if ((status = render(outdir, name, f, err)) != HG_OK)
    goto done;
  if (rendered && len) {
    snprintf(file, sizeof file, "%s.%s", name, f->ext);
    if (strlen(file) >= len) {
      status = hg_fail(err, HG_ERR_ARG, "plot '%s' rendered, but its file name %s does not fit "
                       "the %zu bytes given", name, file, len);
      goto done;
    }
    memcpy(rendered, file, strlen(file) + 1);
  }

done:
  text_free(&dat);
  text_free(&gp);
  for (int i = 0; i < F_COUNT; i++)
    text_free(&fields[i]);
  if (owned)
    for (int i = 0; i < spec->nseries; i++)
      free(owned[i]);
  free(owned);
  free(labels);
  if (info)
    for (int i = 0; i < spec->nseries; i++)
      free(info[i].rows);
  free(info);
  return status;
}

/* ------------------------------------------------------------------------------------------ */
/* Image panels                                                                                */
/* ------------------------------------------------------------------------------------------ */

int hg_plot_images(const char *outdir, const hg_image_plot_spec *spec, char *rendered,
                   size_t len, hg_error *err)
{
  int status = HG_OK;
  memtext dat = {0}, gp = {0}, fields[F_COUNT] = {{0}};
  const plot_format *f = NULL;

  if ((status = plot_begin(outdir, spec ? spec->name : NULL, spec ? spec->format : NULL, 0,
                           rendered, len, &f, err)))
    goto done;
  const char *name = spec->name;
  if (spec->npanels < 1 || !spec->panels || spec->w < 1 || spec->h < 1) {
    status = hg_fail(err, HG_ERR_ARG, "image plot '%s' needs at least one panel of w x h >= 1",
                     name);
    goto done;
  }
  int cols = spec->columns > 0 ? spec->columns : spec->npanels;
  if (cols > spec->npanels)
    cols = spec->npanels;
  int rows = (spec->npanels + cols - 1) / cols;

  /* NAME.dat: one matrix block per panel */
  if (!text_open(&dat)) {
    status = hg_fail(err, HG_ERR_NOMEM, "out of memory for plot '%s'", name);
    goto done;
  }
  fprintf(dat.f, "# %s.dat -- data of %s.gp, written by hgbench: %d images of %d x %d, one "
          "block each.\n", name, name, spec->npanels, spec->w, spec->h);
  for (int i = 0; i < spec->npanels; i++) {
    const double *px = spec->panels[i].pixels;
    if (!px) {
      status = hg_fail(err, HG_ERR_ARG, "image plot '%s': panel %d has no pixels", name, i + 1);
      goto done;
    }
    fprintf(dat.f, "\n\n# panel %d\n", i + 1);
    for (int y = 0; y < spec->h; y++)
      for (int x = 0; x < spec->w; x++) {
        put_num(dat.f, px[(size_t)y * spec->w + x]);
        fputc(x + 1 < spec->w ? ' ' : '\n', dat.f);
      }
  }

  /* NAME.gp: panels of about 220 pixels (png/svg) or 1.6 in (pdf) each, a title line above */
  if ((status = open_fields(&dat, fields, name, err)))
    goto done;
  if (!strcmp(f->name, "pdf"))
    fprintf(fields[F_TERMINAL].f, "pdfcairo size %.2fin,%.2fin enhanced font 'Sans,8'",
            1.6 * cols, 1.7 * rows + 0.3);
  else
    fprintf(fields[F_TERMINAL].f, "%s size %d,%d enhanced font 'Sans,10'%s",
            !strcmp(f->name, "svg") ? "svg" : "pngcairo", 220 * cols, 235 * rows + 30,
            !strcmp(f->name, "svg") ? " background rgb 'white'" : "");
  fprintf(fields[F_OUTPUT].f, "%s.%s", name, f->ext);
  FILE *pl = fields[F_PLOT].f;
  fprintf(pl, "set multiplot layout %d,%d title ", rows, cols);
  put_literal(pl, spec->title ? spec->title : "", "", f);
  fprintf(pl, "\nset xrange [-0.5:%g]\nset yrange [%g:-0.5]\n", spec->w - 0.5, spec->h - 0.5);
  for (int i = 0; i < spec->npanels; i++) {
    fputs("set title ", pl);
    put_literal(pl, spec->panels[i].title ? spec->panels[i].title : "", "", f);
    fprintf(pl, "\nplot data index %d matrix with image notitle\n", i);
  }
  fputs("unset multiplot\n", pl);
  if ((status = fill_script(hg_plot_images_gp, "plots/images.gp", fields, &gp, name, err)) ||
      (status = write_pair(outdir, name, &dat, &gp, err)))
    goto done;
  if ((status = render(outdir, name, f, err)) != HG_OK)
    goto done;
  if (rendered && len)
    snprintf(rendered, len, "%s.%s", name, f->ext);

done:
  text_free(&dat);
  text_free(&gp);
  for (int i = 0; i < F_COUNT; i++)
    text_free(&fields[i]);
  return status;
}

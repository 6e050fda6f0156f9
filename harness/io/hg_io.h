/*
 * hg_io.h -- the internal header of the io layer (harness/io, library hg_io, above hg_core):
 * results rows and the scenario record the report reads, the report, atomic file writes and
 * plots.  The readers plugins call (data files, images, data sets) are in hgbench.h.
 */
#ifndef HG_IO_H
#define HG_IO_H

#include "hg_core.h"

/* ------------------------------------------------------------------------------------------ */
/* Size limits of the readers (harness/io/limits.c)                                           */
/* ------------------------------------------------------------------------------------------ */

/* What a reader accepts, checked against a declared or implied size before it allocates
 * (a header's dimensions, the largest feature index, an image's pixels): a refusal is one
 * line naming the file, the line and the limit.  The readers of hgbench.h use the defaults;
 * the *_lim variants below take a caller's limits (tightened by hg_limits_budget for a
 * memory cap).  No global state: the struct is passed. */
typedef struct hg_limits {
  long long max_file_bytes;   /* a data, image or IDX file (bytes on disk) */
  long max_rows;              /* examples of a data file */
  long max_cols;              /* features (columns, the largest LIBSVM index) */
  long long max_nnz;          /* stored entries of a sparse file */
  long long max_dense;        /* values of a dense table (rows x columns) */
  long long max_image_pixels; /* one image, read, resized or made */
  long long max_total_pixels; /* a problem's training images together (N w h) */
  long long max_idx_bytes;    /* the data an IDX header announces */
} hg_limits;

/* The defaults: files up to 2 GiB, 2^22 rows and columns, 2^28 stored entries or dense
 * values, 2^24 pixels per image (4096 x 4096) and 2^25 in all, IDX data up to 2^31 bytes. */
void hg_limits_default(hg_limits *lim);
/* Tighten lim so that what it admits fits in about `bytes` of memory (0: unchanged): each
 * count is capped by bytes over what one unit costs (an entry 16 bytes, a dense value or a
 * pixel 8, a column 64: the d-vectors a problem keeps). */
void hg_limits_budget(hg_limits *lim, size_t bytes);
/* lim, or the defaults in *own when lim is NULL. */
const hg_limits *hg_limits_or_default(const hg_limits *lim, hg_limits *own);

/* hg_data_read, hg_image_read and hg_idx_read (hgbench.h) under the limits lim (NULL: the
 * defaults). */
int hg_data_read_lim(const char *path, const hg_read_opts *opts, const hg_limits *lim,
                     hg_matrix **X, double **y, hg_error *err);
int hg_image_read_lim(const char *path, const hg_limits *lim, hg_image *img, hg_error *err);
int hg_idx_read_lim(const char *path, const hg_limits *lim, hg_idx *x, hg_error *err);

/* Refuse a w x h image (what: "resize=512 of 'a.png'", a parameter or a file) above
 * lim->max_image_pixels, and n of them above lim->max_total_pixels, before they are made. */
int hg_limits_images(const hg_limits *lim, const char *what, long n, long w, long h,
                     hg_error *err);

/* An output path (--out DIR, a file under it) that must fit a buffer of cap bytes with room
 * for `suffix_room` more (a file name under the folder): an error naming it when it does not,
 * never a silent truncation. */
int hg_path_fits(const char *what, const char *path, size_t cap, size_t suffix_room,
                 hg_error *err);

/* ------------------------------------------------------------------------------------------ */
/* Results rows and the scenario record (record.c; filled by cli/scenario.c, read by report.c) */
/* ------------------------------------------------------------------------------------------ */

/* One results.tsv row (DESIGN §6).  The base key of a run is (problem, problem_params,
 * method, method_params, theta, seed, t_budget, k_budget, K, tol_lower, tol_linear,
 * local_constants); its key adds inputs, problem_rev and method_rev (hg_run_key). */
typedef struct hg_record {
  char problem[32];
  char problem_params[512]; /* the explicit key=value words, a derived seed= excluded */
  char method[32];
  char method_params[128];
  char theta[128];          /* "theta0", a number, or "@FILE" */
  uint64_t seed;            /* problem seed (when derived) and the method's RNG seed */
  int rep;                  /* repetition index within a sweep (0 based) */
  int t_budget, k_budget, K; /* as asked */
  double tol_lower, tol_linear;
  int t, k;                 /* as used */
  int status;               /* enum hg_status */
  double rel_error, abs_error, bound, value, wall_s;
  double eps, delta, omega; /* the inexact bound of an implicit method (NAN otherwise) */
  int bound_violated;       /* abs_error exceeded bound or omega (beyond round-off) */
  hg_counts counts;
  size_t peak_bytes;
  double q, kappa, mu, L;   /* constants at theta (NAN if unknown) */
  double nu1, nu2, mu1, mu2, L_E, L_Phi, D; /* the rest of what the bound used (DESIGN §7) */
  int local_constants;      /* the bound used trajectory-local constants (part of the key) */
  char message[256];        /* the failure, when status != HG_OK */
  int problem_rev, method_rev; /* the plugins' revision (hg_problem_ops/hg_method_ops) */
  uint64_t inputs;          /* content hash of the input files (hg_inputs_hash; 0: none) */
} hg_record;

/* Oracle calls of a record: Phi and Jacobian products. */
long hg_record_calls(const hg_record *r);

/* ------------------------------------------------------------------------------------------ */
/* The run key (key.c, DESIGN §6)                                                             */
/* ------------------------------------------------------------------------------------------ */

#define HG_FNV_OFFSET 0xcbf29ce484222325ULL /* FNV-1a's offset basis: hg_fnv1a's first h */
#define HG_RUN_KEY_MAX 4096                 /* room for any key text */

/* FNV-1a, 64 bits, of len bytes at p continuing from h (HG_FNV_OFFSET to start). */
uint64_t hg_fnv1a(uint64_t h, const void *p, size_t len);
/* The key text of run r into buf (len bytes, truncated if shorter, may be NULL) and its
 * FNV-1a hash (of the whole text, truncated or not).  The text is the fields problem,
 * problem_params, method, method_params, theta, seed, t=, k=, K=, tol_lower=, tol_linear=,
 * constants, each escaped as hg_tsv_put does and tab separated; full adds inputs=HEX,
 * problem_rev=N, method_rev=N.  Without full it is the base key: the same run whatever its
 * input files' content and its plugins' revisions. */
uint64_t hg_run_key(const hg_record *r, int full, char *buf, size_t len);
/* 1 if a and b have the same base key (hg_run_key without full). */
int hg_record_same_key(const hg_record *a, const hg_record *b);
/* 1 if old, a row with now's base key, is also current: same input files and revisions. */
int hg_record_fresh(const hg_record *old, const hg_record *now);
/* The seed of repetition rep of a problem instance, from the problem's part of the base key
 * (problem, problem_params, rep) and nothing else, so that a revision or data change leaves
 * every seed as it was: SplitMix64's finalizer over FNV-1a of "problem|params|rep", its top
 * 53 bits. */
uint64_t hg_run_seed(const char *problem, const char *params, long long rep);

/* Content hashes of files, cached by path, device, inode, size and mtime (created on first
 * use by hg_inputs_hash; NULL is an empty cache). */
typedef struct hg_file_hashes hg_file_hashes;
void hg_file_hashes_destroy(hg_file_hashes **c);
/* The combined content hash of r's input files (0: none): every value of problem_params and
 * method_params (comma-separated lists too) that names an existing file -- a folder: its
 * regular files -- and theta's @FILE, each as its path and the FNV-1a of its bytes.  Numbers
 * are never taken for file names.  An unreadable file hashes as 0 (the run fails on it). */
uint64_t hg_inputs_hash(hg_file_hashes **c, const hg_record *r);

/* Write s to f as results.tsv field text: tab, newline, carriage return and backslash as \t,
 * \n, \r, \\, other control bytes as \xHH, so a field never splits or adds a row. */
void hg_tsv_put(FILE *f, const char *s);
/* Undo hg_tsv_put in place; returns s. */
char *hg_tsv_unescape(char *s);

typedef struct hg_expectation {
  int pass;
  char what[256];  /* the message */
  char where[256]; /* "scenario.lua:12" */
} hg_expectation;

typedef struct hg_plot_ref {
  char file[128];  /* relative to the output folder: "err_vs_t.png" */
  char title[128];
} hg_plot_ref;

typedef struct hg_table_ref {
  char title[128];
  char *markdown;  /* owned: the table's markdown (header, separator, rows) */
} hg_table_ref;

/* A plugin a scenario's runs used, and its revision (manifest.json "plugins", report.md). */
typedef struct hg_plugin_ref {
  const char *kind;    /* "problem", "method" or "outer" (static) */
  char name[32];
  int revision;
} hg_plugin_ref;

/* The data one problem instance of a scenario's runs used: its describe() text, which states
 * the source first ("Fashion-MNIST train, 200 + 100 examples of 2 classes (0,6), 28x28,
 * seed 0: ..." or "synthetic (seed 0): ..."). */
typedef struct hg_data_ref {
  char problem[32];
  char params[512];  /* the explicit key=value words, as results.tsv's problem_params */
  char text[512];    /* the problem's describe() text ("" when it has none) */
} hg_data_ref;

/* A scenario run: its output folder, its rows (resumed ones included), expectations, plots,
 * tables. */
typedef struct hg_scenario {
  char name[128];        /* the script's base name without .lua */
  char script[1024];     /* the script path as given */
  char outdir[1024];
  int n, cap;
  hg_record *rows;       /* owned */
  int n_resumed;         /* rows read back from an earlier results.tsv */
  int n_skipped;         /* runs asked for again and answered from those rows */
  int n_exp, cap_exp;
  hg_expectation *exps;  /* owned */
  int n_plots, cap_plots;
  hg_plot_ref *plots;    /* owned */
  int n_tables, cap_tables;
  hg_table_ref *tables;  /* owned, each with its markdown */
  int n_data, cap_data;
  hg_data_ref *data;     /* owned: the distinct instances runs were made on (manifest "data") */
  double start_time;     /* seconds since the epoch */
  char start_iso[32];    /* UTC, ISO 8601 */
  int fd;                /* results.tsv open for appending (-1: not open) */
  int n_slots;           /* the index: a power of two, at least twice n */
  struct hg_key_slot *slots; /* owned: open addressing on the base key hash -> row */
  int n_redone;          /* runs whose recorded row was stale (other inputs or revisions) */
  int n_superseded;      /* rows replaced in memory by a later row of the same base key:
                            results.tsv is compacted (rewritten atomically) at the end */
  hg_file_hashes *files; /* owned: content hashes of the input files seen */
  int n_outer_plugins, cap_outer_plugins;
  hg_plugin_ref *outer_plugins; /* owned: the plugins of the outer runs, with revisions */
  char *optimize_text;   /* owned: optimize.tsv (header and the rows of every outer run) */
  size_t optimize_len;
  int n_outer, n_outer_rows; /* outer runs added (hg_scenario_add_optimize) and their rows */
} hg_scenario;

/* The distinct (kind, name, revision) of S's rows and outer runs into out (at most max);
 * returns how many. */
int hg_scenario_plugins(const hg_scenario *S, hg_plugin_ref *out, int max);

/* report.md of S (harness/io/report.c), written atomically into S->outdir. */
int hg_report_write(const hg_scenario *S, hg_error *err);

/* Write `text` to dir/name through dir/.name.tmp and a rename, so a reader never sees half a
 * file. */
int hg_write_atomic(const char *dir, const char *name, const char *text, size_t len,
                    hg_error *err);

/* ------------------------------------------------------------------------------------------ */
/* Plots through gnuplot (harness/io/plot.c, templates in plots/)                                 */
/* ------------------------------------------------------------------------------------------ */

typedef struct hg_plot_series {
  const char *name;     /* legend label, as papers name the method */
  int n;                /* points */
  const double *x, *y;  /* several y at one x are repetitions: median and 10-90 % band */
  const double *bound;  /* n values or NULL: the theoretical bound at x, drawn dashed in the
                           series' colour */
  double floor;         /* the round-off floor of y (hg_roundoff_floor, scaled as y is; 0:
                           none): a bound below it is drawn at it, as a run's error is held to
                           bound + floor, and cannot squash the y range */
} hg_plot_series;

typedef struct hg_plot_spec {
  const char *name;     /* file stem in the output folder: NAME.dat, NAME.gp, NAME.png ... */
  const char *title, *xlabel, *ylabel;
  int logx, logy;
  const char *format;   /* "png" (default), "pdf", "svg" or "cairolatex" */
  int nseries;
  const hg_plot_series *series;
  const char *bound_label; /* legend suffix of the dashed curves: NULL for "bound" */
} hg_plot_spec;

/* Write outdir/NAME.dat and NAME.gp and render them with gnuplot (the `gnuplot` on PATH, or
 * $HG_GNUPLOT).  A missing gnuplot is HG_ERR_UNSUPPORTED with a message saying so; the .dat
 * and .gp are written either way.  *rendered (may be NULL) gets the output file name. */
int hg_plot(const char *outdir, const hg_plot_spec *spec, char *rendered, size_t len,
            hg_error *err);

/* Images side by side (clean, noisy, reconstructed ...), grey levels 0 (black) to 1 (white). */
typedef struct hg_image_panel {
  const char *title;
  const double *pixels; /* h x w row-major */
} hg_image_panel;

typedef struct hg_image_plot_spec {
  const char *name;     /* file stem: NAME.dat, NAME.gp, NAME.png */
  const char *title;
  const char *format;   /* "png" (default), "pdf" or "svg" */
  int w, h;             /* every panel's size */
  int columns;          /* panels per row (0: all in one row) */
  int npanels;
  const hg_image_panel *panels;
} hg_image_plot_spec;

/* Write outdir/NAME.dat (one matrix block per panel) and NAME.gp (from plots/images.gp: a
 * multiplot of `with image` panels in grey) and render them with gnuplot, as hg_plot. */
int hg_plot_images(const char *outdir, const hg_image_plot_spec *spec, char *rendered,
                   size_t len, hg_error *err);

#endif /* HG_IO_H */

/*
 * glm_data.c -- the data of the GLM problems (DESIGN §3; glm.h): the parameter checks of the
 * data files and data=, reading them, seeded synthetic data, class indices, loading and
 * hg_glm_init / hg_glm_release, and describe.
 */
#include "glm.h"
#include "hg_io.h" /* hg_limits */

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------------------------ */
/* Data                                                                                        */
/* ------------------------------------------------------------------------------------------ */

/* hg_glm_synthetic_rows (glm.h): the draws of one synthetic set, row by row. */
int hg_glm_synthetic_rows(const hg_glm *G, hg_rng *rng, int rows, int d, double density,
                          double noise, const double *w_true, hg_matrix **X_out, double **y_out,
                          hg_error *err)
{
  int status = HG_OK;
  hg_matrix *X = NULL;
  double *y = NULL, *val = NULL;
  int *rowptr = NULL, *colind = NULL;
  long nnz = 0, cap = 0;
  const int sparse = density < 1.0;

  y = malloc((size_t)rows * sizeof(double));
  if (!y) {
    status = hg_fail(err, HG_ERR_NOMEM, "problem '%s': out of memory for %d synthetic labels",
                     G->name, rows);
    goto done;
  }
  if (!sparse) {
    status = hg_matrix_create(rows, d, 0, 0, &X, err);
    if (status != HG_OK)
      goto done;
    for (int i = 0; i < rows; i++) {
      double *x = X->val + (size_t)i * (size_t)d;
      double dot = 0;
      for (int j = 0; j < d; j++) {
        x[j] = hg_rng_normal(rng);
        dot += w_true ? x[j] * w_true[j] : 0.0;
      }
      y[i] = dot + noise * hg_rng_normal(rng);
    }
    goto done;
  }

  rowptr = malloc(((size_t)rows + 1) * sizeof(int));
  if (!rowptr) {
    status = hg_fail(err, HG_ERR_NOMEM, "problem '%s': out of memory for %d synthetic rows",
                     G->name, rows);
    goto done;
  }
  rowptr[0] = 0;
  for (int i = 0; i < rows; i++) {
    double dot = 0;
    for (int j = 0; j < d; j++) {
      if (hg_rng_uniform(rng) >= density)
        continue;
      if (nnz == cap) {
        long grown = cap ? 2 * cap : 1024;
        if (grown > INT_MAX)
          grown = INT_MAX;
        if (nnz == grown) {
          status = hg_fail(err, HG_ERR_ARG, "problem '%s': density=%g gives more than %d "
                           "nonzeros", G->name, density, INT_MAX);
          goto done;
        }
        int *ci = realloc(colind, (size_t)grown * sizeof(int));
        if (ci)
          colind = ci;
        double *v = realloc(val, (size_t)grown * sizeof(double));
        if (v)
          val = v;
        if (!ci || !v) {
          status = hg_fail(err, HG_ERR_NOMEM, "problem '%s': out of memory for %ld synthetic "
                           "nonzeros", G->name, grown);
          goto done;
        }
        cap = grown;
      }
      double x = hg_rng_normal(rng);
      colind[nnz] = j;
      val[nnz] = x;
      nnz++;
      dot += w_true ? x * w_true[j] : 0.0;
    }
    rowptr[i + 1] = (int)nnz;
    y[i] = dot + noise * hg_rng_normal(rng);
  }
  status = hg_matrix_create(rows, d, 1, nnz, &X, err);
  if (status != HG_OK)
    goto done;
  memcpy(X->rowptr, rowptr, ((size_t)rows + 1) * sizeof(int));
  if (nnz > 0) {
    memcpy(X->colind, colind, (size_t)nnz * sizeof(int));
    memcpy(X->val, val, (size_t)nnz * sizeof(double));
  }
  X->nnz = nnz;

done:
  if (status != HG_OK) {
    hg_matrix_destroy(&X);
    free(y);
    y = NULL;
  }
  *X_out = X;
  *y_out = y;
  free(rowptr);
  free(colind);
  free(val);
  return status;
}

/* Synthetic data (DESIGN §3) from seed: w_true ~ N(0, I_d) first, then the n training rows,
 * then the n' validation rows (hg_glm_synthetic_rows). */
static int glm_synthetic(hg_glm *G, const hg_params *p, hg_error *err)
{
  int status = HG_OK;
  double *w_true = NULL;
  hg_rng rng;

  const int n = (int)hg_params_int(p, "n"), n_val = (int)hg_params_int(p, "n_val");
  const int d = (int)hg_params_int(p, "d");
  const double density = hg_params_real(p, "density"), noise = hg_params_real(p, "noise");
  const long seed = hg_params_int(p, "seed");
  hg_limits lim;
  char owner[64];

  /* the sizes asked for, against the readers' limits, before anything is drawn */
  hg_limits_default(&lim);
  if (d > lim.max_cols || (double)n + n_val > (double)lim.max_rows ||
      ((double)n + n_val) * d * (density < 1.0 ? density : 1.0) >
          (double)(density < 1.0 ? lim.max_nnz : lim.max_dense)) {
    status = hg_fail(err, HG_ERR_ARG, "problem '%s': synthetic n=%d, n_val=%d, d=%d is beyond "
                     "the limits of %ld rows, %ld features and %lld %s", G->name, n, n_val, d,
                     lim.max_rows, lim.max_cols,
                     density < 1.0 ? lim.max_nnz : lim.max_dense,
                     density < 1.0 ? "expected nonzeros" : "dense values");
    goto done;
  }

  /* the n + n_val rows: dense doubles, or CSR values and column indices for the expected
   * density fraction of entries */
  snprintf(owner, sizeof owner, "problem '%s'", G->name);
  if ((status = hg_params_reserve(p, owner, ((double)n + n_val) * d *
                                  (density < 1.0 ? density * (sizeof(double) + sizeof(int))
                                                 : sizeof(double)),
                                  "for the synthetic data", err)))
    goto done;
  w_true = malloc((size_t)d * sizeof(double));
  if (!w_true) {
    status = hg_fail(err, HG_ERR_NOMEM, "problem '%s': out of memory for d=%d", G->name, d);
    goto done;
  }
  hg_rng_seed(&rng, (uint64_t)seed);
  for (int j = 0; j < d; j++)
    w_true[j] = hg_rng_normal(&rng);
  status = hg_glm_synthetic_rows(G, &rng, n, d, density, noise, w_true, &G->X, &G->y, err);
  if (status == HG_OK)
    status = hg_glm_synthetic_rows(G, &rng, n_val, d, density, noise, w_true, &G->X_val,
                                   &G->y_val, err);
  if (density < 1.0)
    snprintf(G->source, sizeof G->source, "synthetic (seed %ld, density %g)", seed, density);
  else
    snprintf(G->source, sizeof G->source, "synthetic (seed %ld)", seed);

done:
  free(w_true);
  return status;
}

/* The keys that only apply to data files, and those that only apply to data=. */
static const char *const glm_file_keys[] = {"val", "format", "label", "features", NULL};
static const char *const glm_dataset_keys[] = {"split", "downsample", "normalize", "path", NULL};
/* The keys synthetic data and data= share (never refused with data=). */
static const char *const glm_shared_keys[] = {"n", "n_val", "classes", "seed", NULL};

static int glm_listed(const char *const *keys, const char *key)
{
  for (; *keys; keys++)
    if (!strcmp(*keys, key))
      return 1;
  return 0;
}

/* The first key of the NULL-terminated list given explicitly in p, or NULL. */
static const char *glm_first_given(const hg_params *p, const char *const *keys)
{
  for (; *keys; keys++)
    if (hg_params_given(p, *keys))
      return *keys;
  return NULL;
}

/*
 * data=fashion-mnist (DESIGN §3 "Real data"): the options of hg_fashion_mnist from p, after
 * refusing the keys of the other data sources.  classes= is the list taken only when given
 * (its default, where a plugin has one, is a synthetic class count); n_val is 0 for a plugin
 * without the key (equilibrium: the training part only).
 */
int hg_glm_read_dataset(const char *name, const hg_params *p, const char *const *synth_keys,
                        hg_dataset *ds, hg_error *err)
{
  int status = HG_OK;
  const char *data = hg_params_str(p, "data"), *train = hg_params_str(p, "train");
  hg_error e;

  memset(ds, 0, sizeof *ds);
  if (train) {
    status = hg_fail(err, HG_ERR_ARG, "problem '%s': data=%s cannot be combined with "
                     "train='%s' (one data source)", name, data, train);
    goto done;
  }
  const char *file_key = glm_first_given(p, glm_file_keys);
  if (file_key) {
    status = hg_fail(err, HG_ERR_ARG, "problem '%s': %s= applies to data files (train=), not to "
                     "data=%s", name, file_key, data);
    goto done;
  }
  for (const char *const *k = synth_keys; *k; k++)
    if (!glm_listed(glm_shared_keys, *k) && hg_params_given(p, *k)) {
      status = hg_fail(err, HG_ERR_ARG, "problem '%s': %s= shapes synthetic data and cannot be "
                       "combined with data=%s", name, *k, data);
      goto done;
    }
  const hg_dataset_opts o = {
    .path = hg_params_str(p, "path"),
    .split = hg_params_str(p, "split"),
    .n = hg_params_int(p, "n"),
    .n_val = hg_params_str(p, "n_val") ? hg_params_int(p, "n_val") : 0,
    .classes = hg_params_given(p, "classes") ? hg_params_str(p, "classes") : NULL,
    .downsample = (int)hg_params_int(p, "downsample"),
    .normalize = hg_params_str(p, "normalize"),
    .seed = (uint64_t)hg_params_int(p, "seed"),
  };
  /* the n + n_val rows as doubles, against --max-memory before the files are read */
  const int ds_step = o.downsample > 1 ? o.downsample : 1, side = (28 + ds_step - 1) / ds_step;
  char owner[96];
  snprintf(owner, sizeof owner, "problem '%s'", name);
  if ((status = hg_params_reserve(p, owner, ((double)o.n + o.n_val) * side * side *
                                  sizeof(double), "for the data set's rows", err)))
    goto done;
  hg_error_clear(&e);
  status = hg_fashion_mnist(&o, ds, &e);
  if (status != HG_OK)
    hg_fail(err, status, "problem '%s': %s", name, e.msg);

done:
  return status;
}

/*
 * The data of DESIGN §3: data= through hg_glm_read_dataset; or, with train= given, read train=
 * and val= with hg_data_read and pad both to the common d (the largest index seen in either,
 * or features=, which may not be smaller), the caller's synthetic-only keys refused alongside
 * train=.  With neither, the file and data-set keys are refused and nothing is read.
 */
int hg_glm_read_files(const char *name, const hg_params *p, const char *const *synth_keys,
                      hg_matrix **X, double **y, hg_matrix **X_val, double **y_val,
                      char *source, size_t len, hg_error *err)
{
  int status = HG_OK;
  const char *train = hg_params_str(p, "train"), *val = hg_params_str(p, "val");
  hg_read_opts opts = {hg_params_str(p, "format"), hg_params_str(p, "label")};

  *X = *X_val = NULL;
  *y = *y_val = NULL;
  if (hg_params_str(p, "data")) {
    hg_dataset ds;
    status = hg_glm_read_dataset(name, p, synth_keys, &ds, err);
    if (status != HG_OK)
      goto done;
    *X = ds.X;
    *y = ds.y;
    *X_val = ds.X_val;
    *y_val = ds.y_val;
    snprintf(source, len, "%s", ds.source);
    goto done;
  }
  status = hg_glm_no_dataset_keys(name, p, err);
  if (status != HG_OK)
    goto done;
  if (!train) {
    status = hg_glm_no_file_keys(name, p, err);
    goto done;
  }
  if (!val) {
    status = hg_fail(err, HG_ERR_ARG, "problem '%s': key 'val' (the validation file) is "
                     "required when train='%s' is given", name, train);
    goto done;
  }
  for (const char *const *k = synth_keys; *k; k++)
    if (hg_params_given(p, *k)) {
      status = hg_fail(err, HG_ERR_ARG, "problem '%s': %s= shapes synthetic data and cannot be "
                       "combined with train='%s'", name, *k, train);
      goto done;
    }
  /* the readers' limits, tightened to what --max-memory leaves for the data */
  hg_limits lim;
  hg_limits_default(&lim);
  if (hg_params_mem_cap(p))
    hg_limits_budget(&lim, hg_params_mem_cap(p));
  status = hg_data_read_lim(train, &opts, &lim, X, y, err);
  if (status != HG_OK)
    goto done;
  status = hg_data_read_lim(val, &opts, &lim, X_val, y_val, err);
  if (status != HG_OK)
    goto done;
  if ((*X)->rows == 0 || (*X_val)->rows == 0) {
    status = hg_fail(err, HG_ERR_PARSE, "problem '%s': data file '%s' has no examples", name,
                     (*X)->rows == 0 ? train : val);
    goto done;
  }

  const int seen = (*X)->cols > (*X_val)->cols ? (*X)->cols : (*X_val)->cols;
  const long features = hg_params_int(p, "features");
  if (features > lim.max_cols) {
    status = hg_fail(err, HG_ERR_ARG, "problem '%s': features=%ld is beyond the limit of %ld "
                     "features", name, features, lim.max_cols);
    goto done;
  }
  if (features > 0 && features < seen) {
    status = hg_fail(err, HG_ERR_ARG, "problem '%s': features=%ld is smaller than feature "
                     "index %d seen in '%s'", name, features, seen,
                     (*X)->cols == seen ? train : val);
    goto done;
  }
  const int d = features > 0 ? (int)features : seen;
  if (d == 0) {
    status = hg_fail(err, HG_ERR_PARSE, "problem '%s': no features in '%s' nor in '%s'", name,
                     train, val);
    goto done;
  }
  status = hg_matrix_set_cols(*X, d, err);
  if (status == HG_OK)
    status = hg_matrix_set_cols(*X_val, d, err);
  if (status == HG_OK)
    snprintf(source, len, "%.70s / %.70s", train, val);

done:
  if (status != HG_OK) {
    hg_matrix_destroy(X);
    hg_matrix_destroy(X_val);
    free(*y);
    free(*y_val);
    *y = *y_val = NULL;
  }
  return status;
}

/* The keys that only apply to data files: given without train=, they are an error. */
int hg_glm_no_file_keys(const char *name, const hg_params *p, hg_error *err)
{
  const char *k = glm_first_given(p, glm_file_keys);

  return k ? hg_fail(err, HG_ERR_ARG, "problem '%s': %s= applies to data files, but train= is "
                     "not given (the data is synthetic)", name, k)
           : HG_OK;
}

/* The keys that only apply to data=: given without it, they are an error. */
int hg_glm_no_dataset_keys(const char *name, const hg_params *p, hg_error *err)
{
  const char *k = glm_first_given(p, glm_dataset_keys);

  return k ? hg_fail(err, HG_ERR_ARG, "problem '%s': %s= applies to data=fashion-mnist, but "
                     "data= is not given", name, k)
           : HG_OK;
}

/* classes= as a count C in [lo, hi] (hg_params_int_in: the messages of an INT key), or a list
 * that needs data=. */
int hg_glm_class_count(const char *name, const hg_params *p, long lo, long hi, int *C,
                       hg_error *err)
{
  const char *v = hg_params_str(p, "classes");
  char owner[96];
  long count = 0;
  int status = HG_OK;

  *C = 0;
  if (v && strchr(v, ',')) {
    status = hg_fail(err, HG_ERR_ARG, "problem '%s': classes=%s lists classes, which needs "
                     "data=fashion-mnist (without it classes= is the number of classes)", name,
                     v);
    goto done;
  }
  snprintf(owner, sizeof owner, "problem '%s'", name);
  status = hg_params_int_in(p, owner, "classes", (double)lo, (double)hi, &count, err);
  if (status == HG_OK)
    *C = (int)count;

done:
  return status;
}

int hg_glm_classes_need_data(const char *name, const hg_params *p, hg_error *err)
{
  if (hg_params_given(p, "classes") && !hg_params_str(p, "data"))
    return hg_fail(err, HG_ERR_ARG, "problem '%s': classes=%s applies to data=fashion-mnist "
                   "(the classes taken), but data= is not given", name,
                   hg_params_str(p, "classes"));
  return HG_OK;
}

static int compare_doubles(const void *a, const void *b)
{
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Class indices of the labels read from train= and val= or data= (DESIGN §3): every label must be an
 * integer; the distinct labels of both together, in increasing order, are the classes
 * 0..*seen-1 (at least 2), found by a sort and a binary search per example. */
int hg_glm_classes(const char *name, const hg_params *p, const double *y, int n,
                   const double *y_val, int n_val, int **cls, int **cls_val, int *seen,
                   hg_error *err)
{
  int status = HG_OK, C = 0;
  double *all = malloc(((size_t)n + (size_t)n_val) * sizeof(double));

  *cls = malloc((size_t)n * sizeof(int));
  *cls_val = n_val > 0 ? malloc((size_t)n_val * sizeof(int)) : NULL;
  if (!all || !*cls || (n_val > 0 && !*cls_val)) {
    status = hg_fail(err, HG_ERR_NOMEM, "problem '%s': out of memory for %d labels", name,
                     n + n_val);
    goto done;
  }
  for (int i = 0; i < n + n_val; i++) {
    const double label = i < n ? y[i] : y_val[i - n];
    if (label != floor(label) || fabs(label) > 1e9) {
      status = hg_fail(err, HG_ERR_PARSE, "problem '%s': label %.17g of example %d in '%s' is "
                       "not an integer class", name, label, i < n ? i + 1 : i - n + 1,
                       hg_params_str(p, i < n ? "train" : "val"));
      goto done;
    }
    all[i] = label;
  }
  qsort(all, (size_t)n + (size_t)n_val, sizeof(double), compare_doubles);
  for (int i = 0; i < n + n_val; i++)
    if (i == 0 || all[i] != all[C - 1])
      all[C++] = all[i];
  if (C < 2 && !hg_params_str(p, "train")) {
    status = hg_fail(err, HG_ERR_ARG, "problem '%s': the %d examples drawn from data=%s are of "
                     "one class (%g); a classifier needs at least 2 (more examples, or other "
                     "classes=)", name, n + n_val, hg_params_str(p, "data"), all[0]);
    goto done;
  }
  if (C < 2) {
    status = hg_fail(err, HG_ERR_ARG, "problem '%s': the labels of '%s' and '%s' name one class "
                     "(%g); a classifier needs at least 2", name, hg_params_str(p, "train"),
                     hg_params_str(p, "val"), all[0]);
    goto done;
  }
  for (int i = 0; i < n + n_val; i++) {
    const double label = i < n ? y[i] : y_val[i - n];
    const double *at = bsearch(&label, all, (size_t)C, sizeof(double), compare_doubles);
    (i < n ? *cls : *cls_val)[i < n ? i : i - n] = (int)(at - all);
  }
  *seen = C;

done:
  if (status != HG_OK) {
    free(*cls);
    free(*cls_val);
    *cls = *cls_val = NULL;
  }
  free(all);
  return status;
}

/* hg_glm_auto_dense (glm.h): storage=auto stores CSR data densely when it is dense enough. */
int hg_glm_auto_dense(const hg_matrix *X, size_t mem_cap)
{
  if (!X->sparse || !hg_matrix_dense_ok(X->rows, X->cols))
    return 0;
  const double entries = (double)X->rows * (double)X->cols;
  const double dense_bytes = entries * sizeof(double);
  if (entries == 0 || (double)X->rowptr[X->rows] < HG_DENSE_DENSITY * entries)
    return 0;
  /* the dense copy is made beside the CSR one: both must fit under the cap */
  return !mem_cap || dense_bytes + 12.0 * (double)X->rowptr[X->rows] <= (double)mem_cap;
}

/* Replace *X by a copy stored densely (sparse = 0) or as CSR (sparse = 1) if it differs. */
static int glm_convert(hg_matrix **X, int sparse, hg_error *err)
{
  hg_matrix *Y = NULL;
  int status = HG_OK;

  if ((*X)->sparse == sparse)
    goto done;
  status = hg_matrix_convert(*X, sparse, &Y, err);
  if (status != HG_OK)
    goto done;
  hg_matrix_destroy(X);
  *X = Y;

done:
  return status;
}

int hg_glm_load(hg_glm *G, const hg_params *p, const char *name, hg_glm_synth synth,
                hg_error *err)
{
  int status = HG_OK;
  static const char *const synth_keys[] = {"n", "n_val", "d", "density", "noise", NULL};
  const char *storage = hg_params_str(p, "storage");

  memset(G, 0, sizeof *G);
  G->name = name;
  G->mem_cap = hg_params_mem_cap(p);
  status = hg_glm_read_files(name, p, synth_keys, &G->X, &G->y, &G->X_val, &G->y_val,
                             G->source, sizeof G->source, err);
  if (status == HG_OK && !G->X)
    status = synth(G, p, err);
  if (status != HG_OK)
    goto done;

  G->intercept = (int)hg_params_int(p, "intercept");
  if (G->intercept) {
    status = hg_matrix_append_ones(G->X, err);
    if (status == HG_OK)
      status = hg_matrix_append_ones(G->X_val, err);
    if (status != HG_OK)
      goto done;
  }
  if (storage && strcmp(storage, "auto") != 0) {
    const int sparse = strcmp(storage, "sparse") == 0;
    status = glm_convert(&G->X, sparse, err);
    if (status == HG_OK)
      status = glm_convert(&G->X_val, sparse, err);
    if (status != HG_OK)
      goto done;
  } else {
    for (int part = 0; part < 2 && status == HG_OK; part++) {
      hg_matrix **X = part ? &G->X_val : &G->X;
      if (hg_glm_auto_dense(*X, G->mem_cap))
        status = glm_convert(X, 0, err);
    }
    if (status != HG_OK)
      goto done;
  }

  G->n = G->X->rows;
  G->n_val = G->X_val->rows;
  G->d = G->X->cols;

done:
  if (status != HG_OK)
    hg_glm_release(G);
  return status;
}

/* ridge and logreg (DESIGN §3): the data, labels to +-1 when logistic (above `neg` -> +1: 0
 * for files and synthetic data, the smallest class seen with data=, so classes=0,6 and
 * classes=3,6 both give 6 -> +1), the weights e^theta, the scratch and CHOLMOD. */
int hg_glm_init(hg_glm *G, const hg_params *p, const char *name, int logistic, hg_error *err)
{
  int status = hg_glm_classes_need_data(name, p, err);

  if (status == HG_OK)
    status = hg_glm_load(G, p, name, glm_synthetic, err);
  if (status != HG_OK)
    goto done;
  if (logistic) {
    double neg = 0.0;
    if (hg_params_str(p, "data")) {
      neg = G->y[0];
      for (int i = 1; i < G->n; i++)
        neg = fmin(neg, G->y[i]);
      for (int i = 0; i < G->n_val; i++)
        neg = fmin(neg, G->y_val[i]);
    }
    int pos = 0;
    for (int i = 0; i < G->n; i++) {
      G->y[i] = G->y[i] > neg ? 1.0 : -1.0;
      pos += G->y[i] > 0;
    }
    for (int i = 0; i < G->n_val; i++)
      G->y_val[i] = G->y_val[i] > neg ? 1.0 : -1.0;
    if (pos == 0 || pos == G->n) {
      const char *train = hg_params_str(p, "train");
      status = hg_fail(err, HG_ERR_ARG, "problem '%s': all %d training labels%s%s%s are %s "
                       "(labels above %g give +1, the others -1): logistic regression needs "
                       "both classes", name, G->n, train ? " of '" : "", train ? train : "",
                       train ? "'" : "", pos ? "+1" : "-1", neg);
      goto done;
    }
  }
  G->scalar = strcmp(hg_params_str(p, "reg"), "scalar") == 0;
  G->m = G->scalar ? 1 : G->d;

  const size_t d = (size_t)G->d, m = (size_t)G->m;
  G->lam = malloc(d * sizeof(double));
  G->lam_theta = malloc(m * sizeof(double));
  G->c_theta = malloc(m * sizeof(double));
  G->r_n = malloc((size_t)G->n * sizeof(double));
  G->s_n = malloc((size_t)G->n * sizeof(double));
  G->r_val = malloc((size_t)G->n_val * sizeof(double));
  G->r_d = malloc(d * sizeof(double));
  if (!G->lam || !G->lam_theta || !G->c_theta || !G->r_n || !G->s_n || !G->r_val || !G->r_d) {
    status = hg_fail(err, HG_ERR_NOMEM, "problem '%s': out of memory for n=%d, d=%d", name,
                     G->n, G->d);
    goto done;
  }
  if (!cholmod_start(&G->cc)) {
    status = hg_fail(err, HG_ERR_NOMEM, "problem '%s': cannot start CHOLMOD", name);
    goto done;
  }
  G->cc_on = 1;
  G->cc.print = 0; /* library code never prints; failures come back as statuses */
  status = hg_glm_norm2_sq(G, G->X_val, NULL, 0.0, &G->val_norm2, err);

done:
  if (status != HG_OK)
    hg_glm_release(G);
  return status;
}

void hg_glm_release(hg_glm *G)
{
  if (!G)
    return;
  hg_glm_batches_free(G);
  hg_matrix_destroy(&G->X);
  hg_matrix_destroy(&G->X_val);
  free(G->y);
  free(G->y_val);
  free(G->lam);
  free(G->lam_theta);
  free(G->c_theta);
  free(G->r_n);
  free(G->s_n);
  free(G->r_val);
  free(G->r_d);
  if (G->cc_on)
    cholmod_finish(&G->cc);
  memset(G, 0, sizeof *G);
}

/* ------------------------------------------------------------------------------------------ */
/* describe                                                                                    */
/* ------------------------------------------------------------------------------------------ */

void hg_glm_describe(const hg_glm *G, const char *extra, char *buf, size_t len)
{
  char nnz[48] = "";

  if (G->X->sparse)
    snprintf(nnz, sizeof nnz, " (nnz %ld)", (long)G->X->rowptr[G->X->rows]);
  snprintf(buf, len, "%s%strain %d x %d %s%s, val %d x %d %s%s; reg %s (m = %d); step %.6g%s%s",
           G->source, G->source[0] ? ": " : "", G->n, G->d, G->X->sparse ? "CSR" : "dense", nnz,
           G->n_val, G->d, G->X_val->sparse ? "CSR" : "dense",
           G->intercept ? " (last column: intercept)" : "",
           G->scalar ? "scalar" : "per-feature", G->m, G->eta, extra ? "; " : "",
           extra ? extra : "");
}

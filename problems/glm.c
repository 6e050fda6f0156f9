/*
 * glm.c -- the pieces ridge.c and logreg.c share (DESIGN §3): parameters, data, e^theta,
 * d_theta Phi, the step, the exact-solve scaffolding and the constants.  See glm.h.
 */
#include "glm.h"

#include <cblas.h>
#include <lapacke.h>
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
  status = hg_data_read(train, &opts, X, y, err);
  if (status != HG_OK)
    goto done;
  status = hg_data_read(val, &opts, X_val, y_val, err);
  if (status != HG_OK)
    goto done;
  if ((*X)->rows == 0 || (*X_val)->rows == 0) {
    status = hg_fail(err, HG_ERR_PARSE, "problem '%s': data file '%s' has no examples", name,
                     (*X)->rows == 0 ? train : val);
    goto done;
  }

  const int seen = (*X)->cols > (*X_val)->cols ? (*X)->cols : (*X_val)->cols;
  const long features = hg_params_int(p, "features");
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
    for (int i = 0; i < G->n; i++)
      G->y[i] = G->y[i] > neg ? 1.0 : -1.0;
    for (int i = 0; i < G->n_val; i++)
      G->y_val[i] = G->y_val[i] > neg ? 1.0 : -1.0;
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

/* ------------------------------------------------------------------------------------------ */
/* Sample ops: batches of training or validation rows (glm.h)                                  */
/* ------------------------------------------------------------------------------------------ */

/* The plugin's X, y, n of mean `part` (0 training, 1 validation). */
static void glm_rows(hg_glm *G, int part, hg_matrix ***X, double ***y, int **n)
{
  *X = part ? &G->X_val : &G->X;
  *y = part ? &G->y_val : &G->y;
  *n = part ? &G->n_val : &G->n;
}

/* Put the full rows of `part` back (a no-op when none are selected). */
static void glm_unselect(hg_glm *G, int part)
{
  hg_glm_batch *B = &G->batch[part];
  hg_matrix **X;
  double **y;
  int *n;

  if (!B->X_all)
    return;
  glm_rows(G, part, &X, &y, &n);
  *X = B->X_all;
  *y = B->y_all;
  *n = B->n_all;
  B->X_all = NULL;
  B->y_all = NULL;
  B->count = 0;
}

/* Room in B for rows rows and nnz entries of X's layout (grown, never shrunk). */
static int glm_batch_room(hg_glm *G, hg_glm_batch *B, const hg_matrix *X, int rows, long nnz,
                          hg_error *err)
{
  if (B->Xb && rows <= B->cap_rows && (!X->sparse || nnz <= B->cap_nnz))
    return HG_OK;
  const int cap = rows > B->cap_rows ? rows : B->cap_rows;
  const long cap_nnz = nnz > B->cap_nnz ? nnz : B->cap_nnz;
  hg_matrix_destroy(&B->Xb);
  free(B->yb);
  free(B->idx);
  B->yb = malloc((size_t)cap * sizeof(double));
  B->idx = malloc((size_t)cap * sizeof(int));
  B->cap_rows = B->cap_nnz = 0;
  int status = hg_matrix_create(cap, X->cols, X->sparse, X->sparse ? cap_nnz : 0, &B->Xb, err);
  if (status != HG_OK || !B->yb || !B->idx)
    return hg_fail(err, HG_ERR_NOMEM, "problem '%s': out of memory for a batch of %d rows",
                   G->name, rows);
  B->cap_rows = cap;
  B->cap_nnz = cap_nnz;
  return HG_OK;
}

int hg_glm_n_items(const void *self, int which)
{
  const hg_glm *G = self;
  const hg_glm_batch *B = &G->batch[which == HG_SAMPLE_UPPER];

  if (B->X_all)
    return B->n_all;
  return which == HG_SAMPLE_UPPER ? G->n_val : G->n;
}

int hg_glm_select(void *self, int which, int count, const int *idx, hg_error *err)
{
  hg_glm *G = self;
  const int part = which == HG_SAMPLE_UPPER;
  const char *what = part ? "validation" : "training";
  hg_glm_batch *B = &G->batch[part];
  const int n_all = hg_glm_n_items(G, which);
  hg_matrix **X;
  double **y;
  int *n;
  long nnz = 0;

  if (count == 0) {
    glm_unselect(G, part);
    return HG_OK;
  }
  glm_rows(G, part, &X, &y, &n);
  const hg_matrix *F = B->X_all ? B->X_all : *X; /* the full rows */
  const double *yf = B->X_all ? B->y_all : *y;
  for (int i = 0; i < count; i++) {
    if (idx[i] < 0 || idx[i] >= n_all)
      return hg_fail(err, HG_ERR_ARG, "problem '%s': %s item index %d (batch position %d) is "
                     "outside [0, %d)", G->name, what, idx[i], i, n_all);
    if (F->sparse)
      nnz += F->rowptr[idx[i] + 1] - F->rowptr[idx[i]];
  }
  int status = glm_batch_room(G, B, F, count, nnz, err);
  if (status != HG_OK)
    return status;
  hg_matrix *Xb = B->Xb;
  Xb->rows = count;
  if (F->sparse) {
    long k = 0;
    Xb->rowptr[0] = 0;
    for (int i = 0; i < count; i++) {
      const int r0 = F->rowptr[idx[i]], len = F->rowptr[idx[i] + 1] - r0;
      memcpy(Xb->colind + k, F->colind + r0, (size_t)len * sizeof(int));
      memcpy(Xb->val + k, F->val + r0, (size_t)len * sizeof(double));
      k += len;
      Xb->rowptr[i + 1] = (int)k;
    }
    Xb->nnz = k;
  } else {
    const size_t d = (size_t)F->cols;
    for (int i = 0; i < count; i++)
      memcpy(Xb->val + (size_t)i * d, F->val + (size_t)idx[i] * d, d * sizeof(double));
    Xb->nnz = (long)count * F->cols;
  }
  for (int i = 0; i < count; i++)
    B->yb[i] = yf[idx[i]];
  memcpy(B->idx, idx, (size_t)count * sizeof(int));
  B->count = count;
  if (!B->X_all) {
    B->X_all = *X;
    B->y_all = *y;
    B->n_all = *n;
  }
  *X = Xb;
  *y = B->yb;
  *n = count;
  return HG_OK;
}

int hg_glm_batched(const hg_glm *G, int part)
{
  return G->batch[part].X_all && !G->swapped;
}

const int *hg_glm_selected(const hg_glm *G, int which, int *count)
{
  const hg_glm_batch *B = &G->batch[which == HG_SAMPLE_UPPER];

  *count = B->X_all ? B->count : 0;
  return B->X_all ? B->idx : NULL;
}

void hg_glm_swap_full(hg_glm *G)
{
  for (int part = 0; part < 2; part++) {
    hg_glm_batch *B = &G->batch[part];
    hg_matrix **X, *tX;
    double **y, *ty;
    int *n, tn;

    if (!B->X_all)
      continue;
    glm_rows(G, part, &X, &y, &n);
    tX = *X, ty = *y, tn = *n;
    *X = B->X_all, *y = B->y_all, *n = B->n_all;
    B->X_all = tX, B->y_all = ty, B->n_all = tn;
  }
  G->swapped = !G->swapped;
}

void hg_glm_release(hg_glm *G)
{
  if (!G)
    return;
  if (G->swapped)
    hg_glm_swap_full(G);
  for (int part = 0; part < 2; part++) {
    glm_unselect(G, part);
    hg_matrix_destroy(&G->batch[part].Xb);
    free(G->batch[part].yb);
    free(G->batch[part].idx);
  }
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
/* Regularization and d_theta Phi                                                              */
/* ------------------------------------------------------------------------------------------ */

/* The regularization weights of DESIGN §3: lam_j = e^{theta_j} (per feature) or e^{theta_0}
 * (scalar), recomputed only when theta differs from the last one seen. */
const double *hg_glm_lam(hg_glm *G, const double *theta)
{
  const size_t m = (size_t)G->m;

  if (G->lam_valid && memcmp(G->lam_theta, theta, m * sizeof(double)) == 0)
    return G->lam;
  for (int j = 0; j < G->d; j++)
    G->lam[j] = exp(theta[G->scalar ? 0 : j]);
  memcpy(G->lam_theta, theta, m * sizeof(double));
  G->lam_valid = 1;
  return G->lam;
}

/* Phi (DESIGN §3): out = w - eta (grad_w loss(w) + e^theta .* w), grad holding grad_w loss. */
void hg_glm_step(const hg_glm *G, const double *w, const double *lam, const double *grad,
                 double *out)
{
  for (int j = 0; j < G->d; j++)
    out[j] = w[j] - G->eta * (grad[j] + lam[j] * w[j]);
}

/* theta0 = -1 broadcast. */
void hg_glm_theta0(const void *self, double *theta)
{
  const hg_glm *G = self;
  for (int j = 0; j < G->m; j++)
    theta[j] = -1.0;
}

/*
 * d_theta Phi^T v (DESIGN §3, Phi = w - eta (... + e^theta .* w)):
 *   per feature  out_j = -eta e^{theta_j} w_j v_j;   scalar  out_0 = -eta e^theta (w . v).
 */
void hg_glm_vjp_theta(void *self, const double *w, const double *theta, const double *v,
                      double *out)
{
  hg_glm *G = self;
  const double *lam = hg_glm_lam(G, theta);

  if (G->scalar) {
    out[0] = -G->eta * lam[0] * hg_dot(G->d, w, v);
    return;
  }
  for (int j = 0; j < G->d; j++)
    out[j] = -G->eta * lam[j] * w[j] * v[j];
}

/*
 * d_theta Phi u (DESIGN §3):
 *   per feature  out_j = -eta e^{theta_j} w_j u_j;   scalar  out = -eta e^theta u_0 w.
 */
void hg_glm_jvp_theta(void *self, const double *w, const double *theta, const double *u,
                      double *out)
{
  hg_glm *G = self;
  const double *lam = hg_glm_lam(G, theta);

  for (int j = 0; j < G->d; j++)
    out[j] = -G->eta * lam[j] * w[j] * (G->scalar ? u[0] : u[j]);
}

/* ------------------------------------------------------------------------------------------ */
/* Cholesky of H = s Xs^T Xs + diag(lam)                                                       */
/* ------------------------------------------------------------------------------------------ */

/* Fail with the status matching CHOLMOD's, naming the problem and the step. */
static int glm_cholmod_fail(const hg_glm *G, const char *what, hg_error *err)
{
  const int status = G->cc.status == CHOLMOD_OUT_OF_MEMORY ? HG_ERR_NOMEM : HG_ERR_NUMERIC;
  return hg_fail(err, status, "problem '%s': CHOLMOD %s failed (status %d)", G->name, what,
                 G->cc.status);
}

/* The CSR of X (rows x cols) seen, without a copy, as the CSC of X^T (cols x rows). */
void hg_csr_cholmod_view(const hg_matrix *X, cholmod_sparse *At)
{
  memset(At, 0, sizeof *At);
  At->nrow = (size_t)X->cols;
  At->ncol = (size_t)X->rows;
  At->nzmax = (size_t)X->rowptr[X->rows];
  At->p = X->rowptr;
  At->i = X->colind;
  At->x = X->val;
  At->stype = 0;
  At->itype = CHOLMOD_INT;
  At->xtype = CHOLMOD_REAL;
  At->dtype = CHOLMOD_DOUBLE;
  At->sorted = 1;
  At->packed = 1;
}

/*
 * H = s Xs^T Xs + diag(lam), factored (DESIGN §3).  Dense Xs: H formed densely (from gram
 * when given) and LAPACKE_dpotrf.  CSR Xs: the CSR of Xs is the CSC of Xs^T, cholmod_aat gives
 * Xs^T Xs, cholmod_add forms s Xs^T Xs + diag(lam), whose upper triangle is analyzed and
 * factorized.
 */
int hg_glm_chol_factor(hg_glm *G, const hg_matrix *Xs, double s, const double *gram,
                       const double *lam, hg_glm_chol *F, hg_error *err)
{
  int status = HG_OK;
  const int d = Xs->cols;
  cholmod_sparse At, *XtX = NULL, *D = NULL, *Hfull = NULL, *H = NULL;

  memset(F, 0, sizeof *F);
  F->d = d;
  F->cc = &G->cc;
  if (!Xs->sparse) {
    F->H = malloc((size_t)d * (size_t)d * sizeof(double));
    if (!F->H) {
      status = hg_fail(err, HG_ERR_NOMEM, "problem '%s': out of memory for a %d x %d Hessian",
                       G->name, d, d);
      goto done;
    }
    if (gram)
      memcpy(F->H, gram, (size_t)d * (size_t)d * sizeof(double));
    else
      hg_matrix_gram(Xs, s, F->H);
    for (int j = 0; j < d; j++)
      F->H[(size_t)j * d + j] += lam[j];
    lapack_int info = LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'U', d, F->H, d);
    if (info != 0) {
      status = hg_fail(err, HG_ERR_NUMERIC, "problem '%s': Cholesky of the %d x %d Hessian "
                       "failed (LAPACK info %d: not positive definite)", G->name, d, d,
                       (int)info);
      goto done;
    }
    goto done;
  }

  hg_csr_cholmod_view(Xs, &At);
  XtX = cholmod_aat(&At, NULL, 0, 1, &G->cc);
  D = cholmod_speye((size_t)d, (size_t)d, CHOLMOD_REAL, &G->cc);
  if (!XtX || !D) {
    status = glm_cholmod_fail(G, "X^T X", err);
    goto done;
  }
  for (int j = 0; j < d; j++)
    ((double *)D->x)[j] = lam[j];
  double alpha[2] = {s, 0}, beta[2] = {1, 0};
  Hfull = cholmod_add(XtX, D, alpha, beta, 1, 1, &G->cc);
  H = Hfull ? cholmod_copy(Hfull, 1, 1, &G->cc) : NULL;
  if (!H) {
    status = glm_cholmod_fail(G, "Hessian assembly", err);
    goto done;
  }
  F->L = cholmod_analyze(H, &G->cc);
  if (!F->L) {
    status = glm_cholmod_fail(G, "analysis", err);
    goto done;
  }
  if (!cholmod_factorize(H, F->L, &G->cc) || G->cc.status < CHOLMOD_OK) {
    status = glm_cholmod_fail(G, "factorization", err);
    goto done;
  }
  if (G->cc.status == CHOLMOD_NOT_POSDEF || F->L->minor < F->L->n) {
    status = hg_fail(err, HG_ERR_NUMERIC, "problem '%s': the %d x %d Hessian is not positive "
                     "definite (CHOLMOD stopped at column %d)", G->name, d, d, (int)F->L->minor);
    goto done;
  }

done:
  cholmod_free_sparse(&XtX, &G->cc);
  cholmod_free_sparse(&D, &G->cc);
  cholmod_free_sparse(&Hfull, &G->cc);
  cholmod_free_sparse(&H, &G->cc);
  if (status != HG_OK)
    hg_glm_chol_free(F);
  return status;
}

/* b <- H^{-1} b with the factor of hg_glm_chol_factor (dpotrs, or cholmod_solve with
 * CHOLMOD_A), for the solves of DESIGN §3. */
int hg_glm_chol_solve(hg_glm *G, hg_glm_chol *F, double *b, hg_error *err)
{
  int status = HG_OK;
  cholmod_dense bd, *x = NULL;

  if (F->H) {
    lapack_int info = LAPACKE_dpotrs(LAPACK_ROW_MAJOR, 'U', F->d, 1, F->H, F->d, b, 1);
    if (info != 0)
      status = hg_fail(err, HG_ERR_NUMERIC, "problem '%s': Cholesky solve failed (LAPACK "
                       "info %d)", G->name, (int)info);
    goto done;
  }
  memset(&bd, 0, sizeof bd);
  bd.nrow = bd.nzmax = bd.d = (size_t)F->d;
  bd.ncol = 1;
  bd.x = b;
  bd.xtype = CHOLMOD_REAL;
  bd.dtype = CHOLMOD_DOUBLE;
  x = cholmod_solve(CHOLMOD_A, F->L, &bd, &G->cc);
  if (!x) {
    status = glm_cholmod_fail(G, "solve", err);
    goto done;
  }
  memcpy(b, x->x, (size_t)F->d * sizeof(double));

done:
  cholmod_free_dense(&x, &G->cc);
  return status;
}

void hg_glm_chol_free(hg_glm_chol *F)
{
  if (!F)
    return;
  free(F->H);
  F->H = NULL;
  if (F->L)
    cholmod_free_factor(&F->L, F->cc);
}

/*
 * The exact hypergradient's tail (DESIGN §1, §3), grad_theta E = 0 and
 * d_w d_theta g = diag(e^theta .* w*) (per feature; the column e^theta w* when scalar):
 *   v = H^{-1} grad_w E(w*),   grad_j = -e^{theta_j} w*_j v_j   or   grad = -e^theta (w* . v).
 */
int hg_glm_hypergrad(hg_glm *G, hg_glm_chol *F, const double *theta, const double *wstar,
                     double *gw, double *grad, hg_error *err)
{
  int status = hg_glm_chol_solve(G, F, gw, err);
  if (status != HG_OK)
    goto done;
  const double *lam = hg_glm_lam(G, theta);
  if (G->scalar)
    grad[0] = -lam[0] * hg_dot(G->d, wstar, gw);
  else
    for (int j = 0; j < G->d; j++)
      grad[j] = -lam[j] * wstar[j] * gw[j];

done:
  return status;
}

/* ------------------------------------------------------------------------------------------ */
/* Constants                                                                                   */
/* ------------------------------------------------------------------------------------------ */

/* The operator v -> s X^T X v + lam .* v (gram v + lam .* v when gram is given): ridge's
 * Hessian (s = 1/n) or logreg's Hessian bound (s = 1/(4n)), DESIGN §3 and §7. */
typedef struct glm_hessian {
  hg_glm *G;
  double s;
  const double *gram, *lam;
} glm_hessian;

static void glm_hessian_apply(void *ctx, const double *v, double *out)
{
  glm_hessian *h = ctx;
  hg_glm *G = h->G;

  if (h->gram) {
    cblas_dsymv(CblasRowMajor, CblasUpper, G->d, 1.0, h->gram, G->d, v, 1, 0.0, out, 1);
  } else {
    hg_matrix_gemv(G->X, 0, 1.0, v, 0.0, G->s_n);
    hg_matrix_gemv(G->X, 1, h->s, G->s_n, 0.0, out);
  }
  for (int j = 0; j < G->d; j++)
    out[j] += h->lam[j] * v[j];
}

/* Extreme eigenvalues of s X^T X + diag(e^theta) (DESIGN §7): dense dsyevr for
 * d <= HG_GLM_DENSE_EIG_MAX, else Lanczos on the operator to relative accuracy 1e-10. */
int hg_glm_extremes(hg_glm *G, const double *theta, double s, const double *gram,
                    double *lambda_min, double *lambda_max, int *exact, hg_error *err)
{
  int status = HG_OK, converged = 0;
  const int d = G->d;
  double *H = NULL;
  glm_hessian op = {G, s, gram, hg_glm_lam(G, theta)};

  *exact = 1;
  if (d > HG_GLM_DENSE_EIG_MAX) {
    status = hg_lanczos_extremes(d, glm_hessian_apply, &op, 1e-10, HG_GLM_LANCZOS_MAXIT, 1,
                                 lambda_min, lambda_max, &converged, err);
    if (status || converged == 3)
      goto done;
    double lam_min = op.lam[0], lam_max = op.lam[0], frob2 = 0;
    for (int j = 1; j < d; j++) {
      lam_min = fmin(lam_min, op.lam[j]);
      lam_max = fmax(lam_max, op.lam[j]);
    }
    for (long k = 0; k < G->X->nnz; k++)
      frob2 += G->X->val[k] * G->X->val[k];
    if (!(converged & 1))
      *lambda_min = lam_min;
    if (!(converged & 2))
      *lambda_max = s * frob2 + lam_max;
    *exact = 0;
    goto done;
  }
  H = malloc((size_t)d * (size_t)d * sizeof(double));
  if (!H) {
    status = hg_fail(err, HG_ERR_NOMEM, "problem '%s': out of memory for a %d x %d Hessian",
                     G->name, d, d);
    goto done;
  }
  if (gram)
    memcpy(H, gram, (size_t)d * (size_t)d * sizeof(double));
  else
    hg_matrix_gram(G->X, s, H);
  for (int j = 0; j < d; j++)
    H[(size_t)j * d + j] += op.lam[j];
  status = hg_sym_extremes(d, H, lambda_min, lambda_max, err);

done:
  free(H);
  return status;
}

/* The Gram operator of X on its smaller side: v -> X^T (X v) (order cols) or, rows_side,
 * u -> X (X^T u) (order rows); tmp holds the intermediate (rows or cols doubles). */
typedef struct glm_gram_op {
  const hg_matrix *X;
  int rows_side;
  double *tmp;
} glm_gram_op;

static void glm_gram_apply(void *ctx, const double *v, double *out)
{
  glm_gram_op *g = ctx;

  hg_matrix_gemv(g->X, g->rows_side, 1.0, v, 0.0, g->tmp);
  hg_matrix_gemv(g->X, !g->rows_side, 1.0, g->tmp, 0.0, out);
}

/* M = X X^T (rows x rows, full symmetric storage, row-major): dsyrk when X is dense; for CSR,
 * row i scattered into row (cols doubles, zero on entry and on exit) and dotted with every
 * row j >= i. */
static void glm_row_gram(const hg_matrix *X, double *M, double *row)
{
  const int r = X->rows;

  if (!X->sparse) {
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, r, X->cols, 1.0, X->val, X->cols, 0.0,
                M, r);
  } else {
    for (int i = 0; i < r; i++) {
      for (int k = X->rowptr[i]; k < X->rowptr[i + 1]; k++)
        row[X->colind[k]] = X->val[k];
      for (int j = i; j < r; j++) {
        double dot = 0;
        for (int k = X->rowptr[j]; k < X->rowptr[j + 1]; k++)
          dot += X->val[k] * row[X->colind[k]];
        M[(size_t)i * r + j] = dot;
      }
      for (int k = X->rowptr[i]; k < X->rowptr[i + 1]; k++)
        row[X->colind[k]] = 0.0;
    }
  }
  for (int i = 0; i < r; i++)
    for (int j = i + 1; j < r; j++)
      M[(size_t)j * r + i] = M[(size_t)i * r + j];
}

/*
 * ||X||_2^2 = lambda_max(X^T X) = lambda_max(X X^T), bounded above (DESIGN §7):
 *   gram given          lambda_max(s X^T X) / s                       (dsyevr; exact to rounding)
 *   k = min(r, c) <= HG_GLM_DENSE_EIG_MAX
 *                       lambda_max of the k x k Gram X^T X or X X^T   (dsyevr; exact to rounding)
 *   else, Lanczos       theta_max + tol max|theta|: the Ritz pair's residual |beta_j s_j| is at
 *                       most tol max|theta|, so an eigenvalue (the top one, barring a start
 *                       vector orthogonal to its eigenvector) lies within it of theta_max
 *   Lanczos stopped     ||X||_F^2 = trace(X^T X) >= lambda_max(X^T X).
 */
int hg_glm_norm2_sq(hg_glm *G, const hg_matrix *X, const double *gram, double s, double *out,
                    hg_error *err)
{
  int status = HG_OK, converged = 0;
  const int r = X->rows, c = X->cols, rows_side = r < c, k = rows_side ? r : c;
  const double tol = 1e-10;
  double *M = NULL, *tmp = NULL, lo = NAN, hi = NAN;

  *out = 0.0;
  if (r == 0 || c == 0)
    goto done;
  if (gram) {
    status = hg_sym_extremes(c, gram, &lo, &hi, err);
    if (status == HG_OK)
      *out = fmax(hi, 0.0) / s;
    goto done;
  }
  if (k <= HG_GLM_DENSE_EIG_MAX) {
    M = malloc((size_t)k * (size_t)k * sizeof(double));
    tmp = rows_side && X->sparse ? calloc((size_t)c, sizeof(double)) : NULL;
    if (!M || (rows_side && X->sparse && !tmp)) {
      status = hg_fail(err, HG_ERR_NOMEM, "problem '%s': out of memory for a %d x %d Gram "
                       "matrix", G->name, k, k);
      goto done;
    }
    if (rows_side)
      glm_row_gram(X, M, tmp);
    else
      hg_matrix_gram(X, 1.0, M);
    status = hg_sym_extremes(k, M, &lo, &hi, err);
    if (status == HG_OK)
      *out = fmax(hi, 0.0);
    goto done;
  }
  tmp = malloc((size_t)(rows_side ? c : r) * sizeof(double));
  if (!tmp) {
    status = hg_fail(err, HG_ERR_NOMEM, "problem '%s': out of memory for Lanczos on a %d x %d "
                     "matrix", G->name, r, c);
    goto done;
  }
  glm_gram_op op = {X, rows_side, tmp};
  status = hg_lanczos_extremes(k, glm_gram_apply, &op, tol, HG_GLM_LANCZOS_MAXIT, 1, &lo, &hi,
                               &converged, err);
  if (status != HG_OK)
    goto done;
  if (converged & 2) {
    *out = fmax(hi + tol * fmax(fabs(lo), fabs(hi)), 0.0);
  } else {
    double frob2 = 0;
    for (long e = 0; e < X->nnz; e++)
      frob2 += X->val[e] * X->val[e];
    *out = frob2;
  }

done:
  free(M);
  free(tmp);
  return status;
}

/* max_i ||x_i||_2 over the rows of X (dense or CSR). */
double hg_glm_max_row_norm(const hg_matrix *X)
{
  double best = 0;

  for (int i = 0; i < X->rows; i++) {
    double sq = 0;
    if (X->sparse) {
      for (int k = X->rowptr[i]; k < X->rowptr[i + 1]; k++)
        sq += X->val[k] * X->val[k];
    } else {
      const double *x = X->val + (size_t)i * (size_t)X->cols;
      for (int j = 0; j < X->cols; j++)
        sq += x[j] * x[j];
    }
    best = fmax(best, sqrt(sq));
  }
  return best;
}

/*
 * Constants at theta (DESIGN §7): L = lambda_max(s X^T X + diag(e^theta)); mu = its
 * lambda_min when exact, else min_j e^theta_j; q = max(|1 - eta mu|, |1 - eta L|);
 * kappa = L/mu.  The extremes are cached for the last theta.  Global Lipschitz constants in w
 * that ridge and logreg share (Grazzi et al. 2020, §2):
 *   d_theta Phi(w) - d_theta Phi(w') = -eta diag(e^theta .* (w - w')) (scalar: the column
 *     -eta e^theta (w - w')), of norm max_j eta e^theta_j |w_j - w'_j| (scalar: eta e^theta
 *     ||w - w'||) <= eta max_j e^theta_j ||w - w'||:
 *     nu2 = eta max_j e^theta_j (attained with w - w' along the argmax coordinate);
 *   grad_theta E = 0:  mu2 = 0.
 */
int hg_glm_constants(hg_glm *G, const double *theta, double s, const double *gram, int exact,
                     hg_constants *c, hg_error *err)
{
  int status = HG_OK;
  const size_t m = (size_t)G->m;

  hg_constants_unknown(c);
  if (!G->c_valid || memcmp(G->c_theta, theta, m * sizeof(double)) != 0) {
    double lo = NAN, hi = NAN;
    G->c_valid = 0;
    status = hg_glm_extremes(G, theta, s, gram, &lo, &hi, &G->c_exact, err);
    if (status != HG_OK)
      goto done;
    if (!exact) {
      const double *lam = hg_glm_lam(G, theta);
      lo = lam[0];
      for (int j = 1; j < G->d; j++)
        lo = fmin(lo, lam[j]);
    }
    G->c_mu = lo;
    G->c_L = hi;
    memcpy(G->c_theta, theta, m * sizeof(double));
    G->c_valid = 1;
  }
  c->step = G->eta;
  c->mu = G->c_mu;
  c->L = G->c_L;
  c->q = fmax(fabs(1.0 - G->eta * c->mu), fabs(1.0 - G->eta * c->L));
  c->kappa = c->L / c->mu;
  c->exact_mu_L = exact && G->c_exact;
  const double *lam = hg_glm_lam(G, theta);
  double lam_max = lam[0];
  for (int j = 1; j < G->d; j++)
    lam_max = fmax(lam_max, lam[j]);
  c->nu2 = G->eta * lam_max;
  c->mu2 = 0.0;

done:
  return status;
}

/* eta = step= or 1/L(theta0), L = lambda_max(s X^T X + diag(e^theta0)). */
int hg_glm_init_step(hg_glm *G, const hg_params *p, double s, const double *gram,
                     hg_error *err)
{
  int status = HG_OK;
  double *theta0 = NULL, lo = NAN, L = NAN;
  int exact;

  if (hg_params_given(p, "step")) {
    G->eta = hg_params_real(p, "step");
    goto done;
  }
  theta0 = malloc((size_t)G->m * sizeof(double));
  if (!theta0) {
    status = hg_fail(err, HG_ERR_NOMEM, "problem '%s': out of memory for theta0", G->name);
    goto done;
  }
  hg_glm_theta0(G, theta0);
  status = hg_glm_extremes(G, theta0, s, gram, &lo, &L, &exact, err);
  if (status != HG_OK)
    goto done;
  if (!(L > 0) || !isfinite(L)) {
    status = hg_fail(err, HG_ERR_NUMERIC, "problem '%s': smoothness constant L = %g at theta0 "
                     "gives no step; set step=", G->name, L);
    goto done;
  }
  G->eta = 1.0 / L;

done:
  free(theta0);
  return status;
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

void hg_rows_pass(const double *X, int n, int d, int k_in, const double *const *a, int a_inc,
                  hg_rows_fn f, void *ctx, int k_out, double alpha, double *const *g, int g_inc,
                  double *Z)
{
  for (int c = 0; c < k_out; c++)
    for (int j = 0; j < d; j++)
      g[c][(size_t)j * g_inc] = 0.0;
  for (int i0 = 0; i0 < n; i0 += HG_ROWS_BLOCK) {
    const int rows = n - i0 < HG_ROWS_BLOCK ? n - i0 : HG_ROWS_BLOCK;
    const double *XB = X + (size_t)i0 * d;
    for (int c = 0; c < k_in; c++)
      cblas_dgemv(CblasRowMajor, CblasNoTrans, rows, d, 1.0, XB, d, a[c], a_inc, 0.0, Z + c,
                  k_in);
    f(ctx, i0, rows, k_in, Z);
    for (int c = 0; c < k_out; c++)
      cblas_dgemv(CblasRowMajor, CblasTrans, rows, d, alpha, XB, d, Z + c, k_in, 1.0, g[c],
                  g_inc);
  }
}

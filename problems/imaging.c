/*
 * imaging.c -- what the imaging problems share (contracts in imaging.h): training pairs and E,
 * the difference, blur and convolution operators, and the exact solves (CHOLMOD Hessians,
 * damped Newton, the adjoint).
 */
#include "imaging.h"
#include "glm.h" /* hg_csr_cholmod_view */
#include "hg_io.h" /* hg_limits_images */

#include <math.h>
#include <stdlib.h>
#include <string.h>

void hg_pairs_free(hg_pairs *pairs)
{
  free(pairs->clean);
  free(pairs->noisy);
  memset(pairs, 0, sizeof *pairs);
}

void hg_pairs_images(const hg_pairs *pairs, hg_image_set *set)
{
  set->N = pairs->N;
  set->w = pairs->w;
  set->h = pairs->h;
  set->clean = pairs->clean;
  set->noisy = pairs->noisy;
}

/* The number of comma-separated items of list. */
static int count_items(const char *list)
{
  int n = 1;
  for (const char *c = list; *c; c++)
    n += *c == ',';
  return n;
}

/* Item i of a comma-separated list into buf. */
static void item(const char *list, int i, char *buf, size_t len)
{
  const char *start = list;
  for (; i > 0; i--)
    start = strchr(start, ',') + 1;
  size_t n = strcspn(start, ",");
  snprintf(buf, len, "%.*s", (int)(n < len ? n : len - 1), start);
}

/* Image i of a file list, area-resized to width `resize` (0: as stored; the height keeps the
 * aspect ratio), then centre-cropped to size x size (0: whole). */
static int load_file(const char *key, const char *list, int i, int resize, int size,
                     hg_image *out, hg_error *err)
{
  char path[1024];
  hg_image whole;
  item(list, i, path, sizeof path);
  if (!path[0])
    return hg_fail(err, HG_ERR_ARG, "%s=: item %d of the list is empty", key, i + 1);
  int rc = hg_image_read(path, &whole, err);
  if (rc)
    return rc;
  if (resize > 0 && resize != whole.w) {
    hg_image scaled;
    double h = fmax(1, round((double)resize * whole.h / whole.w));
    char what[1100];
    snprintf(what, sizeof what, "resize=%d of '%s' (%d x %d)", resize, path, whole.w, whole.h);
    rc = hg_limits_images(NULL, what, 1, resize, h > INT_MAX ? LONG_MAX : (long)h, err);
    if (!rc)
      rc = hg_image_resize(&whole, resize, (int)h, &scaled, err);
    hg_image_free(&whole);
    if (rc)
      return rc;
    whole = scaled;
  }
  if (size == 0 || (whole.w == size && whole.h == size)) {
    *out = whole;
    return HG_OK;
  }
  if (whole.w < size || whole.h < size) {
    rc = hg_fail(err, HG_ERR_ARG, "%s=: '%s' is %d x %d, smaller than size=%d", key, path,
                 whole.w, whole.h, size);
  } else {
    rc = hg_image_crop(&whole, (whole.w - size) / 2, (whole.h - size) / 2, size, size, out,
                       err);
  }
  hg_image_free(&whole);
  return rc;
}

/* What was used of the files, for describe(): "files (whole, 512 x 512)", "files (centre
 * 64 x 64 crops, size=64)", "files (resized to width 256, then ...)". */
static void files_source(hg_pairs *pairs, const char *what, int resize, int crop)
{
  char re[48] = "";
  if (resize > 0)
    snprintf(re, sizeof re, "resized to width %d, ", resize);
  if (crop > 0)
    snprintf(pairs->source, sizeof pairs->source, "%s (%scentre %d x %d crops, size=%d)", what,
             re, crop, crop, crop);
  else
    snprintf(pairs->source, sizeof pairs->source, "%s (%swhole, %d x %d)", what, re, pairs->w,
             pairs->h);
}

/* Copy image im into slot i of the pairs' array a (all images the same size). */
static int put(hg_pairs *pairs, double *a, int i, const hg_image *im, const char *key,
               hg_error *err)
{
  if (im->w != pairs->w || im->h != pairs->h)
    return hg_fail(err, HG_ERR_ARG, "%s=: image %d is %d x %d, the first is %d x %d; all "
                   "images must have one size (crop with size= or resize=)", key, i + 1, im->w, im->h, pairs->w,
                   pairs->h);
  memcpy(a + (size_t)i * pairs->P, im->px, (size_t)pairs->P * sizeof *a);
  return HG_OK;
}

/* The N pairs of w x h images, checked against the limits first (source names them). */
static int alloc_pairs(const hg_params *p, hg_pairs *pairs, int N, int w, int h,
                       const char *source, hg_error *err)
{
  char what[96];
  snprintf(what, sizeof what, "%s (%d image%s)", source, N, N == 1 ? "" : "s");
  int rc = hg_limits_images(NULL, what, N, w, h, err);
  if (!rc) /* and, clean and noisy, against --max-memory */
    rc = hg_params_reserve(p, source, 2.0 * N * w * h * sizeof(double), "for the image pairs",
                           err);
  if (rc)
    return rc;
  pairs->N = N;
  pairs->w = w;
  pairs->h = h;
  pairs->P = w * h;
  pairs->clean = malloc((size_t)N * (size_t)pairs->P * sizeof *pairs->clean);
  pairs->noisy = malloc((size_t)N * (size_t)pairs->P * sizeof *pairs->noisy);
  if (!pairs->clean || !pairs->noisy)
    return hg_fail(err, HG_ERR_NOMEM, "out of memory for %d images of %d x %d", N, w, h);
  return HG_OK;
}

/*
 * images=fashion-mnist: n_images clean images from Fashion-MNIST's test split (chosen by seed=
 * among all ten classes).  size <= 28: each image resized to size x size by area averaging;
 * size > 28: k = ceil(size/28) squared images tiled k x k and the centre size x size cropped.
 */
static int fashion_pairs(const hg_params *p, hg_pairs *pairs, hg_error *err)
{
  int N = (int)hg_params_int(p, "n_images"), size = (int)hg_params_int(p, "size"), rc;
  int k = size > 28 ? (size + 27) / 28 : 1, side = size > 0 ? size : 28;
  hg_dataset_opts o = {NULL, "test", (long)N * k * k, 0, NULL, 0, "unit",
                       (uint64_t)hg_params_int(p, "seed")};
  hg_dataset ds;
  hg_image tile = {0, 0, NULL}, out = {0, 0, NULL};

  if ((rc = hg_limits_images(NULL, "images=fashion-mnist tiles", 1, 28L * k, 28L * k, err)) ||
      (rc = hg_limits_images(NULL, "images=fashion-mnist", N, side, side, err)) ||
      (rc = hg_fashion_mnist(&o, &ds, err)))
    return rc;
  snprintf(pairs->source, sizeof pairs->source, "Fashion-MNIST test images%s",
           k > 1 ? ", tiled" : "");
  if ((rc = alloc_pairs(p, pairs, N, side, side, "images=fashion-mnist", err)) ||
      (rc = hg_image_create(28 * k, 28 * k, &tile, err)))
    goto done;
  for (int i = 0; i < N && !rc; i++) {
    for (int t = 0; t < k * k; t++) { /* image i k^2 + t into tile (t / k, t % k) */
      const double *src = ds.X->val + (size_t)(i * k * k + t) * 784;
      for (int y = 0; y < 28; y++)
        memcpy(tile.px + (size_t)((t / k) * 28 + y) * tile.w + (t % k) * 28, src + y * 28,
               28 * sizeof *src);
    }
    rc = side <= 28 ? (side == 28 ? hg_image_crop(&tile, 0, 0, 28, 28, &out, err)
                                  : hg_image_resize(&tile, side, side, &out, err))
                    : hg_image_crop(&tile, (tile.w - side) / 2, (tile.h - side) / 2, side, side,
                                    &out, err);
    if (!rc)
      rc = put(pairs, pairs->clean, i, &out, "images", err);
    hg_image_free(&out);
  }

done:
  hg_image_free(&tile);
  hg_dataset_free(&ds);
  return rc;
}

int hg_pairs_load(const hg_params *p, hg_pairs *pairs, hg_error *err)
{
  const char *clean = hg_params_str(p, "clean"), *noisy = hg_params_str(p, "noisy");
  const char *images = hg_params_str(p, "images");
  int size = (int)hg_params_int(p, "size"), resize = (int)hg_params_int(p, "resize"), rc = HG_OK;
  int crop = hg_params_given(p, "size") ? size : 0; /* files: used whole unless size= asked */
  double sigma = hg_params_real(p, "noise");
  hg_rng rng;
  hg_image im = {0, 0, NULL};

  memset(pairs, 0, sizeof *pairs);
  hg_rng_seed(&rng, (uint64_t)hg_params_int(p, "seed"));
  if (clean || noisy) { /* pairs as stored */
    if (!clean || !noisy)
      return hg_fail(err, HG_ERR_ARG, "clean= and noisy= go together (%s= is missing)",
                     clean ? "noisy" : "clean");
    int N = count_items(clean);
    if (count_items(noisy) != N)
      return hg_fail(err, HG_ERR_ARG, "clean= lists %d images and noisy= %d: they must pair up",
                     N, count_items(noisy));
    for (int i = 0; i < N && !rc; i++) {
      rc = load_file("clean", clean, i, resize, crop, &im, err);
      if (!rc && i == 0)
        rc = alloc_pairs(p, pairs, N, im.w, im.h, "clean=", err);
      if (!rc)
        rc = put(pairs, pairs->clean, i, &im, "clean", err);
      hg_image_free(&im);
      if (!rc)
        rc = load_file("noisy", noisy, i, resize, crop, &im, err);
      if (!rc)
        rc = put(pairs, pairs->noisy, i, &im, "noisy", err);
      hg_image_free(&im);
    }
  } else if (!strcmp(images, "fashion-mnist")) {
    rc = fashion_pairs(p, pairs, err);
  } else if (!strcmp(images, "synthetic")) {
    int N = (int)hg_params_int(p, "n_images");
    if (size < 2)
      return hg_fail(err, HG_ERR_ARG, "size=%d: synthetic images need a side of at least 2",
                     size);
    snprintf(pairs->source, sizeof pairs->source, "synthetic");
    rc = alloc_pairs(p, pairs, N, size, size, "images=synthetic", err);
    for (int i = 0; i < N && !rc; i++) {
      rc = hg_image_synthetic(size, size, hg_rng_next(&rng), &im, err);
      if (!rc)
        rc = put(pairs, pairs->clean, i, &im, "images", err);
      hg_image_free(&im);
    }
  } else { /* a file list, noise added */
    int N = count_items(images);
    for (int i = 0; i < N && !rc; i++) {
      rc = load_file("images", images, i, resize, crop, &im, err);
      if (!rc && i == 0)
        rc = alloc_pairs(p, pairs, N, im.w, im.h, "images=", err);
      if (!rc)
        rc = put(pairs, pairs->clean, i, &im, "images", err);
      hg_image_free(&im);
    }
  }
  if (!rc && (clean || (strcmp(images, "fashion-mnist") && strcmp(images, "synthetic"))))
    files_source(pairs, clean ? "pairs from files" : "files", resize, crop);
  if (!rc && !(clean || noisy)) { /* f = clean + noise, from the same generator */
    for (size_t j = 0; j < (size_t)pairs->N * pairs->P; j++)
      pairs->noisy[j] = pairs->clean[j] + sigma * hg_rng_normal(&rng);
    size_t used = strlen(pairs->source); /* describe() says which images and noise */
    snprintf(pairs->source + used, sizeof pairs->source - used, ", noise %g, seed %ld", sigma,
             hg_params_int(p, "seed"));
  }
  if (rc)
    hg_pairs_free(pairs);
  return rc;
}

int hg_diff_operator(int w, int h, hg_matrix **D, hg_error *err)
{
  int P = w * h, row = 0;
  long nnz = 0;
  int rc = hg_matrix_create(2 * P, P, 1, 2L * (P - h) + 2L * (P - w), D, err);
  if (rc)
    return rc;
  hg_matrix *M = *D;
  for (int dir = 0; dir < 2; dir++)
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++, row++) {
        M->rowptr[row] = (int)nnz;
        int next = dir == 0 ? (x < w - 1 ? y * w + x + 1 : -1) : (y < h - 1 ? (y + 1) * w + x : -1);
        if (next < 0)
          continue; /* Neumann boundary: the last difference is 0 */
        M->colind[nnz] = y * w + x;
        M->val[nnz++] = -1;
        M->colind[nnz] = next;
        M->val[nnz++] = 1;
      }
  M->rowptr[row] = (int)nnz;
  return HG_OK;
}

/* Half-sample symmetric reflection of index i into [0, n). */
static int reflect(int i, int n)
{
  int period = 2 * n;
  i %= period;
  if (i < 0)
    i += period;
  return i < n ? i : period - 1 - i;
}

int hg_conv_operator(int w, int h, int size, hg_matrix **K, int *tap, hg_error *err)
{
  int P = w * h, r = size / 2, taps = size * size, rc;
  int *mark = malloc((size_t)P * sizeof *mark), *cols = malloc((size_t)taps * sizeof *cols);

  *K = NULL;
  if (!mark || !cols) {
    rc = hg_fail(err, HG_ERR_NOMEM, "out of memory for a convolution of %d x %d taps", size,
                 size);
    goto done;
  }
  if ((rc = hg_matrix_create(P, P, 1, (long)P * taps, K, err)))
    goto done;
  for (int j = 0; j < P; j++)
    mark[j] = -1;
  hg_matrix *M = *K;
  long nnz = 0;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      int p = y * w + x, nc = 0, *tp = tap + (size_t)p * taps;
      M->rowptr[p] = (int)nnz;
      for (int t = 0; t < taps; t++) { /* the pixels this row reads, each once */
        int col = reflect(y + t / size - r, h) * w + reflect(x + t % size - r, w);
        tp[t] = col;
        if (mark[col] < 0)
          mark[col] = 0, cols[nc++] = col;
      }
      for (int i = 1; i < nc; i++) /* increasing columns */
        for (int j = i; j > 0 && cols[j - 1] > cols[j]; j--) {
          int c = cols[j];
          cols[j] = cols[j - 1];
          cols[j - 1] = c;
        }
      for (int i = 0; i < nc; i++) {
        mark[cols[i]] = (int)nnz;
        M->colind[nnz] = cols[i];
        M->val[nnz++] = 0;
      }
      for (int t = 0; t < taps; t++)
        tp[t] = mark[tp[t]];
      for (int i = 0; i < nc; i++) /* mark[] cleared for the next pixel */
        mark[cols[i]] = -1;
    }
  M->rowptr[P] = (int)nnz;
  M->nnz = nnz;

done:
  free(mark);
  free(cols);
  return rc;
}

void hg_conv_set(hg_matrix *K, int taps, const int *tap, const double *k)
{
  memset(K->val, 0, (size_t)K->nnz * sizeof *K->val);
  for (int p = 0; p < K->rows; p++, tap += taps)
    for (int t = 0; t < taps; t++)
      K->val[tap[t]] += k[t];
}

void hg_csr_norm1_inf(const hg_matrix *A, double *col, double *norm1, double *norm_inf)
{
  *norm1 = *norm_inf = 0;
  memset(col, 0, (size_t)A->cols * sizeof *col);
  for (int i = 0; i < A->rows; i++) {
    double s = 0;
    for (int q = A->rowptr[i]; q < A->rowptr[i + 1]; q++) {
      s += fabs(A->val[q]);
      col[A->colind[q]] += fabs(A->val[q]);
    }
    *norm_inf = fmax(*norm_inf, s);
  }
  for (int j = 0; j < A->cols; j++)
    *norm1 = fmax(*norm1, col[j]);
}

/* The normalized Gaussian kernel of hg_blur_operator on the convolution's pattern. */
int hg_blur_operator(int w, int h, int size, double sigma, hg_matrix **A, hg_error *err)
{
  int P = w * h, r = size / 2, taps = size * size, rc;
  double *k = malloc((size_t)taps * sizeof *k), total = 0;
  int *tap = malloc((size_t)P * taps * sizeof *tap);

  *A = NULL;
  if (!k || !tap) {
    rc = hg_fail(err, HG_ERR_NOMEM, "out of memory for a blur of %d x %d taps", size, size);
    goto done;
  }
  for (int b = -r; b <= r; b++)
    for (int a = -r; a <= r; a++)
      total += k[(b + r) * size + a + r] = exp(-(a * a + b * b) / (2 * sigma * sigma));
  for (int i = 0; i < taps; i++)
    k[i] /= total;
  if (!(rc = hg_conv_operator(w, h, size, A, tap, err)))
    hg_conv_set(*A, taps, tap, k);

done:
  free(k);
  free(tap);
  return rc;
}

double hg_pairs_error(const hg_pairs *pairs, const double *w, double *gw)
{
  return hg_pairs_error_weighted(pairs, NULL, w, gw);
}

/* A weight of 1 changes no bit: 1 * x = x exactly. */
double hg_pairs_error_weighted(const hg_pairs *pairs, const double *weight, const double *w,
                               double *gw)
{
  double e = 0;
  for (int i = 0; i < pairs->N; i++) {
    const double f = weight ? weight[i] : 1.0;
    for (size_t j = (size_t)i * pairs->P; j < (size_t)(i + 1) * pairs->P; j++) {
      double d = w[j] - pairs->clean[j];
      e += f * (d * d);
      if (gw)
        gw[j] = f * d / pairs->N;
    }
  }
  return 0.5 * e / pairs->N;
}

int hg_image_chol_start(hg_image_chol *C, int P, const char *name, hg_error *err)
{
  memset(C, 0, sizeof *C);
  C->P = P;
  C->name = name;
  if (!cholmod_start(&C->cc))
    return hg_fail(err, HG_ERR_NOMEM, "%s: CHOLMOD could not start", name);
  C->started = 1;
  C->cc.print = 0;
  return HG_OK;
}

void hg_image_chol_finish(hg_image_chol *C)
{
  if (!C->started)
    return;
  cholmod_free_factor(&C->L, &C->cc);
  cholmod_finish(&C->cc);
  C->started = 0;
}

/*
 * H = shift I + sum_k op_k^T diag(weight_k) op_k: the CSR of op_k is the CSC of op_k^T
 * (hg_csr_cholmod_view), scaled by columns with sqrt(weight_k) it is S_k, and
 * cholmod_aat(S_k) = S_k S_k^T = op_k^T diag(weight_k) op_k; the sum's upper triangle is
 * analyzed (first use) and factorized.
 */
int hg_image_chol_factor(hg_image_chol *C, double shift, int nterms, const hg_hess_term *terms,
                         hg_error *err)
{
  cholmod_common *cc = &C->cc;
  cholmod_sparse view, *H = NULL, *S = NULL, *SSt = NULL, *sum = NULL, *upper = NULL;
  cholmod_dense *sc = NULL;
  double one[2] = {1, 0}, diag[2] = {shift, 0};
  int rc = HG_OK;

  if (!(H = cholmod_speye((size_t)C->P, (size_t)C->P, CHOLMOD_REAL, cc)))
    goto cholmod_fail;
  for (int k = 0; k < nterms; k++) {
    const hg_matrix *op = terms[k].op;
    hg_csr_cholmod_view(op, &view); /* op^T as CSC: P x rows */
    if (!(S = cholmod_copy_sparse(&view, cc)))
      goto cholmod_fail;
    if (terms[k].weight) {
      if (!(sc = cholmod_zeros((size_t)op->rows, 1, CHOLMOD_REAL, cc)))
        goto cholmod_fail;
      for (int j = 0; j < op->rows; j++)
        ((double *)sc->x)[j] = sqrt(terms[k].weight[j]);
      if (!cholmod_scale(sc, CHOLMOD_COL, S, cc))
        goto cholmod_fail;
      cholmod_free_dense(&sc, cc);
    }
    SSt = cholmod_aat(S, NULL, 0, 1, cc);
    sum = SSt ? cholmod_add(H, SSt, k ? one : diag, one, 1, 1, cc) : NULL;
    cholmod_free_sparse(&S, cc);
    cholmod_free_sparse(&SSt, cc);
    cholmod_free_sparse(&H, cc);
    if (!(H = sum))
      goto cholmod_fail;
  }
  if (nterms == 0 && shift != 1) /* shift I alone */
    for (int j = 0; j < C->P; j++)
      ((double *)H->x)[j] = shift;
  if (!(upper = cholmod_copy(H, 1, 1, cc))) /* upper triangle, symmetric */
    goto cholmod_fail;
  if (!C->L && !(C->L = cholmod_analyze(upper, cc)))
    goto cholmod_fail;
  /* the factor's size as the analysis predicts it: lnz values and row indices */
  if ((rc = hg_over_cap(C->mem_cap, cc->lnz * (sizeof(double) + sizeof(int)), C->name,
                        "for the CHOLMOD factor of the Hessian (estimated by its analysis)",
                        err)))
    goto done;
  if (!cholmod_factorize(upper, C->L, cc) || cc->status < CHOLMOD_OK)
    goto cholmod_fail;
  goto done;

cholmod_fail:
  rc = hg_fail(err, HG_ERR_NUMERIC, "%s: CHOLMOD failed on the %d x %d Hessian (status %d)",
               C->name, C->P, C->P, cc->status);
done:
  cholmod_free_sparse(&H, cc);
  cholmod_free_sparse(&S, cc);
  cholmod_free_sparse(&SSt, cc);
  cholmod_free_sparse(&upper, cc);
  cholmod_free_dense(&sc, cc);
  return rc;
}

int hg_image_chol_solve(hg_image_chol *C, double *b, hg_error *err)
{
  cholmod_dense bd = {0};
  bd.nrow = bd.nzmax = bd.d = (size_t)C->P;
  bd.ncol = 1;
  bd.x = b;
  bd.xtype = CHOLMOD_REAL;
  bd.dtype = CHOLMOD_DOUBLE;
  cholmod_dense *x = cholmod_solve(CHOLMOD_A, C->L, &bd, &C->cc);
  if (!x)
    return hg_fail(err, HG_ERR_NUMERIC, "%s: CHOLMOD solve failed (status %d)", C->name,
                   C->cc.status);
  memcpy(b, x->x, (size_t)C->P * sizeof *b);
  cholmod_free_dense(&x, &C->cc);
  return HG_OK;
}

/* Damped Newton on h_i from u (the start on entry, u*_i on exit); g, d, trial: P each. */
static int newton_image(hg_image_chol *C, const hg_image_lower *ops, void *self,
                        const double *theta, int i, double *u, double *g, double *d,
                        double *trial, hg_error *err)
{
  int P = C->P, rc = HG_OK;
  for (int it = 0;; it++) {
    ops->grad(self, i, u, theta, g);
    double g0 = hg_nrm2(P, g);
    if (g0 <= 1e-12)
      return HG_OK;
    if (it == 100)
      return hg_fail(err, HG_ERR_BUDGET, "%s: Newton did not reach ||grad h|| <= 1e-12 on "
                     "image %d in 100 steps (%.3g)", C->name, i + 1, g0);
    if ((rc = ops->factor(self, i, u, theta, err)))
      return rc;
    for (int j = 0; j < P; j++)
      d[j] = -g[j];
    if ((rc = hg_image_chol_solve(C, d, err)))
      return rc;
    /* Armijo on h; near u*, where h's decrease drowns in its round-off, a step that halves
     * ||grad h|| is taken instead */
    double h0 = ops->value(self, i, u, theta), slope = hg_dot(P, g, d), step = 1;
    for (int ls = 0; ls < 60; ls++, step *= 0.5) {
      for (int j = 0; j < P; j++)
        trial[j] = u[j] + step * d[j];
      if (ops->value(self, i, trial, theta) <= h0 + 1e-4 * step * slope || step < 1e-12)
        break;
      ops->grad(self, i, trial, theta, g);
      if (hg_nrm2(P, g) <= 0.5 * g0)
        break;
    }
    memcpy(u, trial, (size_t)P * sizeof *u);
  }
}

int hg_image_exact(hg_image_chol *C, const hg_pairs *pairs, double eta,
                   const hg_image_lower *ops, void *self, const double *theta, double *wstar,
                   double *a, double *work, hg_error *err)
{
  int rc = HG_OK, P = pairs->P;
  for (int i = 0; i < pairs->N && !rc; i++) {
    double *u = wstar + (size_t)i * P, *ai = a + (size_t)i * P;
    memcpy(u, pairs->noisy + (size_t)i * P, (size_t)P * sizeof *u);
    if ((rc = newton_image(C, ops, self, theta, i, u, work, work + P, work + 2 * P, err)) ||
        (rc = ops->factor(self, i, u, theta, err)))
      break;
    /* the adjoint at u*: a_i = H^{-1} (u*_i - u-dagger_i)/(N eta) */
    for (int j = 0; j < P; j++)
      ai[j] = (u[j] - pairs->clean[(size_t)i * P + j]) / pairs->N / eta;
    rc = hg_image_chol_solve(C, ai, err);
  }
  cholmod_free_factor(&C->L, &C->cc);
  return rc;
}

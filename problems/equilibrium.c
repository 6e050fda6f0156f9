/*
 * equilibrium.c -- an equilibrium (implicit-depth) model (DESIGN §3 "equilibrium").
 *
 * For every training example x_i in R^p (i = 1..N) a state w_i in R^h with
 *
 *     w_i = tanh(A w_i + B x_i + c),   w = (w_1, .., w_N),  n_w = N h,
 *     Phi(w, theta)_i = tanh(A w_i + B x_i + c),
 *
 * theta = (A (h x h), B (h x p), c (h), U (C x h), u0 (C)), each row-major, in that order, and
 * the upper loss on the readout o_i = U w_i + u0:
 *
 *     loss=ce:  E = (1/N) sum_i [log sum_c exp(o_ic) - o_{i,y_i}]   (softmax cross-entropy),
 *     loss=mse: E = (1/(2N)) sum_i ||o_i - t_i||^2   (t_i one-hot of y_i, or the real label
 *               with C = 1 when the labels are not classes).
 *
 * tanh is 1-Lipschitz, so Phi(., theta) contracts with q = ||A||_2; d_w Phi is block diagonal
 * with blocks D_i A, D_i = diag(1 - tanh^2(A w_i + B x_i + c)): not symmetric.  The problem
 * exports `project` (A onto the spectral ball ||A||_2 <= radius) for the outer loops; theta0
 * has ||A||_2 = radius/2.
 *
 * Exact reference: per example, Newton on w_i - tanh(A w_i + b_i) = 0 (b_i = B x_i + c) with a
 * fixed-point step whenever Newton does not lower the residual, to round-off; then per example
 * the adjoint (I - D_i A)^T v_i = (grad_w E)_i by a dense LU (LAPACKE dgesv), and
 * grad f = grad_theta E + d_theta Phi^T v.
 *
 * Data: train= (LIBSVM, CSV, Matrix Market through hg_data_read; labels -1/+1 mapped to 0/1,
 * or classes 0..C-1, C inferred), else a seeded synthetic set: x_i ~ N(0, I_p) and the class
 * y_i = argmax_c (W x_i)_c of a random teacher W ~ N(0, 1)^{C x p}.
 */
#include "glm.h"
#include "items.h"
#include "hg_io.h" /* hg_limits */

#include <cblas.h>
#include <float.h>
#include <lapacke.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* max |tanh''| = 4/(3 sqrt 3), at tanh^2 = 1/3: the Lipschitz constant of tanh' = 1 - tanh^2. */
#define TANH2_MAX (4.0 / (3.0 * sqrt(3.0)))
/* Newton per example stops at this residual ||w_i - tanh(A w_i + b_i)||_inf (round-off of a
 * tanh of entries below 1 in size) or when neither a Newton nor a fixed-point step lowers it;
 * the exact solve fails above EXACT_TOL. */
#define NEWTON_TOL (2 * DBL_EPSILON)
#define NEWTON_MAXIT 200
#define EXACT_TOL 1e-12
/* At most this many classes inferred from labels 0..C-1, or set by classes=. */
#define MAX_CLASSES 10000

/* The keys that shape the synthetic data (refused with train= or data=; data= shares n and
 * classes). */
static const char *const eq_synth_keys[] = {"n", "d", "classes", NULL};

/* The instance: data, targets, theta0 and the callbacks' scratch (all owned). */
typedef struct equilibrium {
  int N, p, h, C;       /* examples, features, state size, outputs (classes, or 1) */
  int n_w, n_theta;
  int oB, oc, oU, ou0;  /* offsets of B, c, U, u0 in theta (A at 0) */
  int mse;              /* loss=mse (else cross-entropy) */
  int real_targets;     /* mse on real-valued labels (C = 1) */
  double radius;        /* the spectral ball of A (project) */
  double a0;            /* ||A||_2 at theta0 */
  char source[256];     /* where the data came from, for describe */
  double *X;            /* N x p, row-major */
  int *y;               /* N class labels 0..C-1 (NULL with real targets) */
  double *T;            /* N x C targets of mse (one-hot, or the real labels) */
  double *theta0;       /* n_theta */
  double max_x2;        /* max_i ||x_i||^2 (for nu2) */
  double max_t;         /* max_i ||t_i|| (for mse's mu2) */

  /* Caches keyed by content: bias = X B^T + 1 c^T for (B, c); S = tanh(Z), Dm = 1 - S^2 with
   * Z = W A^T + bias for (w, A). */
  double *bias_key, *bias;  /* h p + h; N x h */
  double *state_key;        /* n_w + h h */
  double *S, *Dm;           /* N x h each */
  int bias_valid, state_valid;

  /* Scratch (callbacks never allocate). */
  double *G;                /* N x h */
  double *O;                /* N x C: readouts, then dE/do */
  double *gw, *v, *tt;      /* exact: grad_w E, the adjoint (n_w each), d_theta Phi^T v */
  double *M;                /* h x h: I - D_i A for one example */
  lapack_int *ipiv;         /* h */
  double *hs, *hr, *hc, *hs2, *hr2; /* h each: Newton's tanh, residual, candidate and the
                                       candidate's tanh and residual */
  /* SVD workspace (dgesvd on column-major views; pointer members, so the const self of
   * project may write into them) */
  double *svd_a, *svd_s, *svd_u, *svd_vt, *svd_work;
  lapack_int svd_lwork;
  /* The sample ops' batches of examples (items.h): Phi on a lower batch moves block i by
   * its weight times the full step, w_i + weight_i (tanh(z_i) - w_i); E on an upper batch is
   * the batch mean. */
  hg_items batch;
} equilibrium;

static const hg_param_spec equilibrium_params[] = {
  {"train", HG_PARAM_STRING, NULL, 0, 0, NULL,
   "training data file, LIBSVM/CSV/Matrix Market (absent: seeded synthetic data)"},
  {"format", HG_PARAM_CHOICE, "auto", 0, 0, "auto|libsvm|csv|mm", "format of the file"},
  {"label", HG_PARAM_STRING, NULL, 0, 0, NULL,
   "label column of CSV / Matrix Market files, number or header name (default: first)"},
  HG_GLM_DATASET_PARAMS,
  {"n", HG_PARAM_INT, "40", 1, INT_MAX, NULL, "synthetic or data=: examples N"},
  {"d", HG_PARAM_INT, "6", 1, INT_MAX, NULL, "synthetic: features p"},
  HG_GLM_CLASSES_PARAM("3", "synthetic: the number of classes C of the teacher, 2 to 10000"),
  {"hidden", HG_PARAM_INT, "5", 1, 100000, NULL, "state size h of each w_i"},
  {"radius", HG_PARAM_REAL, "0.9", DBL_MIN, 1, NULL,
   "bound on ||A||_2 kept by project (below 1: the contraction constant q <= radius)"},
  {"a_norm", HG_PARAM_REAL, NULL, DBL_MIN, 1, NULL,
   "||A||_2 of theta0 (default radius/2; at most radius)"},
  {"loss", HG_PARAM_CHOICE, "ce", 0, 0, "ce|mse",
   "upper loss: softmax cross-entropy, or squared error to one-hot/real targets"},
  {"seed", HG_PARAM_INT, "0", 0, 9007199254740992.0, NULL,
   "generator seed (synthetic data or data='s examples, theta0)"},
  {NULL, 0, NULL, 0, 0, NULL, NULL},
};

static void equilibrium_destroy(void *self)
{
  equilibrium *e = self;

  if (!e)
    return;
  free(e->X);
  free(e->y);
  free(e->T);
  free(e->theta0);
  free(e->bias_key);
  free(e->bias);
  free(e->state_key);
  free(e->S);
  free(e->Dm);
  free(e->G);
  free(e->O);
  free(e->gw);
  free(e->v);
  free(e->tt);
  free(e->M);
  free(e->ipiv);
  free(e->hs);
  free(e->hr);
  free(e->hc);
  free(e->hs2);
  free(e->hr2);
  free(e->svd_a);
  free(e->svd_s);
  free(e->svd_u);
  free(e->svd_vt);
  free(e->svd_work);
  hg_items_free(&e->batch);
  free(e);
}

/* ------------------------------------------------------------------------------------------ */
/* Data                                                                                        */
/* ------------------------------------------------------------------------------------------ */

/* The synthetic set (DESIGN §3) from rng: the teacher W (C x p) ~ N(0, 1), then X (N x p) ~
 * N(0, 1) and y_i = argmax_c (W x_i)_c (the first maximum). */
static int eq_synthetic(equilibrium *e, const hg_params *p, hg_rng *rng, hg_error *err)
{
  static const char *const file_keys[] = {"format", "label"};

  for (size_t k = 0; k < sizeof file_keys / sizeof *file_keys; k++)
    if (hg_params_given(p, file_keys[k]))
      return hg_fail(err, HG_ERR_ARG, "problem 'equilibrium': %s= applies to a data file, but "
                     "train= is not given (the data is synthetic)", file_keys[k]);
  int status = hg_glm_class_count("equilibrium", p, 2, MAX_CLASSES, &e->C, err);
  if (status != HG_OK)
    return status;
  e->N = (int)hg_params_int(p, "n");
  e->p = (int)hg_params_int(p, "d");
  if ((double)e->N * e->p > (double)INT_MAX || (double)e->C * e->p > (double)INT_MAX)
    return hg_fail(err, HG_ERR_ARG, "problem 'equilibrium': n=%d with d=%d is too large", e->N,
                   e->p);
  if ((status = hg_params_reserve(p, "problem 'equilibrium'",
                                  ((double)e->N + e->C) * e->p * sizeof(double),
                                  "for the synthetic data", err)))
    return status;
  double *W = malloc((size_t)e->C * (size_t)e->p * sizeof(double));
  e->X = malloc((size_t)e->N * (size_t)e->p * sizeof(double));
  e->y = malloc((size_t)e->N * sizeof(int));
  if (!W || !e->X || !e->y) {
    free(W);
    return hg_fail(err, HG_ERR_NOMEM, "problem 'equilibrium': out of memory for n=%d, d=%d",
                   e->N, e->p);
  }
  hg_rng_normals(rng, (size_t)e->C * (size_t)e->p, 1.0, W);
  hg_rng_normals(rng, (size_t)e->N * (size_t)e->p, 1.0, e->X);
  for (int i = 0; i < e->N; i++) {
    int best = 0;
    double best_s = -INFINITY;
    for (int c = 0; c < e->C; c++) {
      double s = cblas_ddot(e->p, W + (size_t)c * e->p, 1, e->X + (size_t)i * e->p, 1);
      if (s > best_s) {
        best_s = s;
        best = c;
      }
    }
    e->y[i] = best;
  }
  free(W);
  snprintf(e->source, sizeof e->source, "synthetic (seed %ld): N = %d examples, p = %d "
           "features, C = %d classes of a random linear teacher", hg_params_int(p, "seed"),
           e->N, e->p, e->C);
  return HG_OK;
}

/*
 * Read train= (hg_data_read; CSR made dense) and map the labels: all -1/+1 -> classes 0/1
 * (C = 2); all integers 0..C-1 -> those classes (C = max + 1, at least 2); otherwise real
 * targets (C = 1) for loss=mse, and an error naming the example for loss=ce.
 */
static int eq_read(equilibrium *e, const hg_params *p, const char *train, hg_error *err)
{
  int status = HG_OK;
  hg_read_opts opts = {hg_params_str(p, "format"), hg_params_str(p, "label")};
  hg_matrix *X = NULL, *D = NULL;
  double *labels = NULL;

  for (const char *const *k = eq_synth_keys; *k; k++)
    if (hg_params_given(p, *k)) {
      status = hg_fail(err, HG_ERR_ARG, "problem 'equilibrium': %s= shapes synthetic data and "
                       "cannot be combined with train='%s'", *k, train);
      goto done;
    }
  hg_limits lim; /* the readers' limits, tightened to what --max-memory leaves */
  hg_limits_default(&lim);
  if (hg_params_mem_cap(p))
    hg_limits_budget(&lim, hg_params_mem_cap(p));
  if ((status = hg_data_read_lim(train, &opts, &lim, &X, &labels, err)))
    goto done;
  if (X->rows == 0 || X->cols == 0) {
    status = hg_fail(err, HG_ERR_PARSE, "problem 'equilibrium': data file '%s' has no %s",
                     train, X->rows == 0 ? "examples" : "features");
    goto done;
  }
  if (X->sparse && (status = hg_matrix_convert(X, 0, &D, err)))
    goto done;
  const hg_matrix *Xd = D ? D : X;
  e->N = Xd->rows;
  e->p = Xd->cols;
  e->X = malloc((size_t)e->N * (size_t)e->p * sizeof(double));
  if (!e->X) {
    status = hg_fail(err, HG_ERR_NOMEM, "problem 'equilibrium': out of memory for '%s'", train);
    goto done;
  }
  memcpy(e->X, Xd->val, (size_t)e->N * (size_t)e->p * sizeof(double));

  int pm1 = 1, classes = 1, bad = -1;
  double top = 0;
  for (int i = 0; i < e->N; i++) {
    double l = labels[i];
    pm1 &= l == 1 || l == -1;
    if (!(l >= 0 && l < MAX_CLASSES && l == floor(l))) {
      classes = 0;
      bad = bad < 0 ? i : bad;
    }
    top = fmax(top, l);
  }
  if (pm1 || classes) {
    e->C = pm1 ? 2 : (int)top + 1 < 2 ? 2 : (int)top + 1;
    e->y = malloc((size_t)e->N * sizeof(int));
    if (!e->y) {
      status = hg_fail(err, HG_ERR_NOMEM, "problem 'equilibrium': out of memory for labels");
      goto done;
    }
    for (int i = 0; i < e->N; i++)
      e->y[i] = pm1 ? labels[i] > 0 : (int)labels[i];
  } else if (e->mse) {
    e->C = 1;
    e->real_targets = 1;
    e->T = labels; /* N x 1 */
    labels = NULL;
  } else {
    status = hg_fail(err, HG_ERR_PARSE, "problem 'equilibrium': label %g of example %d in '%s' "
                     "is not a class (labels must be 0, 1, .., C-1 with C <= %d, or all -1/+1; "
                     "real-valued targets need loss=mse)", labels[bad], bad + 1, train,
                     MAX_CLASSES);
    goto done;
  }
  snprintf(e->source, sizeof e->source, "'%.150s': N = %d examples, p = %d features, %s", train,
           e->N, e->p, e->real_targets ? "real targets (C = 1)" : pm1 ? "labels -1/+1 as "
           "classes 0/1 (C = 2)" : "classes 0..C-1");
  if (!e->real_targets)
    snprintf(e->source + strlen(e->source), sizeof e->source - strlen(e->source), " (C = %d)",
             e->C);

done:
  hg_matrix_destroy(&X);
  hg_matrix_destroy(&D);
  free(labels);
  return status;
}

/* data=fashion-mnist (DESIGN §3 "Real data"): the training part of hg_glm_read_dataset (the
 * schema has no n_val), its classes mapped to 0..C-1 in increasing order (hg_glm_classes). */
static int eq_dataset(equilibrium *e, const hg_params *p, hg_error *err)
{
  hg_dataset ds;
  int *cls_val = NULL; /* stays NULL: no validation part */
  int status = hg_glm_read_dataset("equilibrium", p, eq_synth_keys, &ds, err);

  if (status != HG_OK)
    goto done;
  status = hg_glm_classes("equilibrium", p, ds.y, ds.X->rows, NULL, 0, &e->y, &cls_val, &e->C,
                          err);
  if (status != HG_OK)
    goto done;
  e->N = ds.X->rows;
  e->p = ds.X->cols;
  e->X = ds.X->val; /* the dense N x p rows, taken over from ds */
  ds.X->val = NULL;
  snprintf(e->source, sizeof e->source, "%.160s: N = %d examples, p = %d features, C = %d "
           "classes", ds.source, e->N, e->p, e->C);

done:
  hg_dataset_free(&ds);
  return status;
}

/* ------------------------------------------------------------------------------------------ */
/* Linear algebra helpers                                                                      */
/* ------------------------------------------------------------------------------------------ */

/* Singular values (largest first) of the rows x cols row-major matrix M into e->svd_s, by
 * dgesvd on a copy read column-major (M^T: the same singular values).  With U and VT (rows ==
 * cols only) also the singular vectors of that column-major view, M^T = U diag(s) VT.  Uses the
 * instance's SVD workspace only (no allocation).  Returns LAPACK's info. */
static lapack_int eq_svd(const equilibrium *e, int rows, int cols, const double *Mrow,
                         int vectors)
{
  memcpy(e->svd_a, Mrow, (size_t)rows * (size_t)cols * sizeof(double));
  return LAPACKE_dgesvd_work(LAPACK_COL_MAJOR, vectors ? 'S' : 'N', vectors ? 'S' : 'N', cols,
                             rows, e->svd_a, cols, e->svd_s, e->svd_u, cols, e->svd_vt,
                             cols < rows ? cols : rows, e->svd_work, e->svd_lwork);
}

/* ||M||_2 of a rows x cols row-major matrix (NAN if the SVD fails). */
static double eq_norm2(const equilibrium *e, int rows, int cols, const double *M)
{
  return eq_svd(e, rows, cols, M, 0) == 0 ? e->svd_s[0] : NAN;
}

/* Allocate the SVD workspace for the h x h matrix A (with vectors) and the C x h matrix U
 * (values only): the larger LAPACK workspace query. */
static int eq_svd_alloc(equilibrium *e, hg_error *err)
{
  const int h = e->h, big = e->C > h ? e->C : h;
  double q1 = 0, q2 = 0, dummy = 0;

  e->svd_a = malloc((size_t)big * (size_t)h * sizeof(double));
  e->svd_s = malloc((size_t)h * sizeof(double));
  e->svd_u = malloc((size_t)h * (size_t)h * sizeof(double));
  e->svd_vt = malloc((size_t)h * (size_t)h * sizeof(double));
  if (!e->svd_a || !e->svd_s || !e->svd_u || !e->svd_vt)
    return hg_fail(err, HG_ERR_NOMEM, "problem 'equilibrium': out of memory for hidden=%d", h);
  lapack_int i1 = LAPACKE_dgesvd_work(LAPACK_COL_MAJOR, 'S', 'S', h, h, &dummy, h, e->svd_s,
                                      e->svd_u, h, e->svd_vt, h, &q1, -1);
  lapack_int i2 = LAPACKE_dgesvd_work(LAPACK_COL_MAJOR, 'N', 'N', h, e->C, &dummy, h, e->svd_s,
                                      e->svd_u, h, e->svd_vt, h, &q2, -1);
  if (i1 != 0 || i2 != 0)
    return hg_fail(err, HG_ERR_NUMERIC, "problem 'equilibrium': SVD workspace query failed "
                   "(LAPACK info %d, %d)", (int)i1, (int)i2);
  e->svd_lwork = (lapack_int)fmax(q1, q2) + 1;
  e->svd_work = malloc((size_t)e->svd_lwork * sizeof(double));
  if (!e->svd_work)
    return hg_fail(err, HG_ERR_NOMEM, "problem 'equilibrium': out of memory for the SVD");
  return HG_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Creation                                                                                    */
/* ------------------------------------------------------------------------------------------ */

/*
 * The instance of DESIGN §3: data (eq_read or eq_synthetic, from seed), targets, then theta0
 * from the same generator: A0 ~ N(0, 1)^{h x h} scaled to ||A||_2 = a_norm (default
 * radius/2), B ~ N(0, 1/p),
 * c ~ N(0, 0.01), U ~ N(0, 1/h), u0 ~ N(0, 0.01).
 */
static int equilibrium_create(const hg_params *p, void **self, int *n_w, int *n_theta,
                              hg_error *err)
{
  int status = HG_OK;
  equilibrium *e = NULL;
  const char *train = hg_params_str(p, "train"), *data = hg_params_str(p, "data");
  hg_rng rng;

  e = calloc(1, sizeof *e);
  if (!e) {
    status = hg_fail(err, HG_ERR_NOMEM, "problem 'equilibrium': out of memory for its state");
    goto done;
  }
  e->h = (int)hg_params_int(p, "hidden");
  e->radius = hg_params_real(p, "radius");
  e->mse = strcmp(hg_params_str(p, "loss"), "mse") == 0;
  if (e->radius >= 1) {
    status = hg_fail(err, HG_ERR_ARG, "problem 'equilibrium': radius=%g must be below 1 (Phi "
                     "contracts with q = ||A||_2 <= radius)", e->radius);
    goto done;
  }
  e->a0 = hg_params_given(p, "a_norm") ? hg_params_real(p, "a_norm") : e->radius / 2;
  const double a0 = e->a0;
  if (a0 > e->radius) {
    status = hg_fail(err, HG_ERR_ARG, "problem 'equilibrium': a_norm=%g exceeds radius=%g (theta0 "
                     "must be feasible)", a0, e->radius);
    goto done;
  }
  hg_rng_seed(&rng, (uint64_t)hg_params_int(p, "seed"));
  if (!data && (status = hg_glm_no_dataset_keys("equilibrium", p, err)))
    goto done;
  if ((status = data    ? eq_dataset(e, p, err)
                : train ? eq_read(e, p, train, err)
                        : eq_synthetic(e, p, &rng, err)))
    goto done;

  const int N = e->N, h = e->h, C = e->C, pf = e->p;
  const double nt = (double)h * h + (double)h * pf + h + (double)C * h + C;
  if ((double)N * h > INT_MAX || nt > INT_MAX) {
    status = hg_fail(err, HG_ERR_ARG, "problem 'equilibrium': hidden=%d gives too many "
                     "variables for N = %d, p = %d, C = %d", h, N, pf, C);
    goto done;
  }
  e->n_w = N * h;
  e->oB = h * h;
  e->oc = e->oB + h * pf;
  e->oU = e->oc + h;
  e->ou0 = e->oU + C * h;
  e->n_theta = e->ou0 + C;
  const size_t Nh = (size_t)e->n_w, hh = (size_t)h * h;

  if (e->mse && !e->real_targets) { /* one-hot targets */
    e->T = calloc((size_t)N * (size_t)C, sizeof(double));
    if (e->T)
      for (int i = 0; i < N; i++)
        e->T[(size_t)i * C + e->y[i]] = 1;
  }
  e->theta0 = malloc((size_t)e->n_theta * sizeof(double));
  e->bias_key = malloc(((size_t)h * pf + h) * sizeof(double));
  e->bias = malloc(Nh * sizeof(double));
  e->state_key = malloc((Nh + hh) * sizeof(double));
  e->S = malloc(Nh * sizeof(double));
  e->Dm = malloc(Nh * sizeof(double));
  e->G = malloc(Nh * sizeof(double));
  e->O = malloc((size_t)N * (size_t)C * sizeof(double));
  e->gw = malloc(Nh * sizeof(double));
  e->v = malloc(Nh * sizeof(double));
  e->tt = malloc((size_t)e->n_theta * sizeof(double));
  e->M = malloc(hh * sizeof(double));
  e->ipiv = malloc((size_t)h * sizeof(lapack_int));
  e->hs = malloc((size_t)h * sizeof(double));
  e->hr = malloc((size_t)h * sizeof(double));
  e->hc = malloc((size_t)h * sizeof(double));
  e->hs2 = malloc((size_t)h * sizeof(double));
  e->hr2 = malloc((size_t)h * sizeof(double));
  if ((status = hg_items_init(&e->batch, N, "equilibrium", err)))
    goto done;
  if ((e->mse && !e->T) || !e->theta0 || !e->bias_key || !e->bias || !e->state_key || !e->S ||
      !e->Dm || !e->G || !e->O || !e->gw || !e->v || !e->tt || !e->M || !e->ipiv || !e->hs ||
      !e->hr || !e->hc || !e->hs2 || !e->hr2) {
    status = hg_fail(err, HG_ERR_NOMEM, "problem 'equilibrium': out of memory for N = %d, "
                     "hidden=%d", N, h);
    goto done;
  }
  if ((status = eq_svd_alloc(e, err)))
    goto done;

  for (int i = 0; i < N; i++) {
    double x2 = cblas_ddot(pf, e->X + (size_t)i * pf, 1, e->X + (size_t)i * pf, 1);
    e->max_x2 = fmax(e->max_x2, x2);
    if (e->mse)
      e->max_t = fmax(e->max_t, cblas_dnrm2(C, e->T + (size_t)i * C, 1));
  }

  double *t0 = e->theta0;
  hg_rng_normals(&rng, hh, 1.0, t0);
  double a_norm = eq_norm2(e, h, h, t0);
  if (!(a_norm > 0)) {
    status = hg_fail(err, HG_ERR_NUMERIC, "problem 'equilibrium': the SVD of theta0's A failed");
    goto done;
  }
  cblas_dscal((int)hh, a0 / a_norm, t0, 1);
  hg_rng_normals(&rng, (size_t)h * pf, 1.0 / sqrt((double)pf), t0 + e->oB);
  hg_rng_normals(&rng, (size_t)h, 0.1, t0 + e->oc);
  hg_rng_normals(&rng, (size_t)C * h, 1.0 / sqrt((double)h), t0 + e->oU);
  hg_rng_normals(&rng, (size_t)C, 0.1, t0 + e->ou0);

  *n_w = e->n_w;
  *n_theta = e->n_theta;
  *self = e;
  e = NULL;

done:
  equilibrium_destroy(e);
  return status;
}

static void equilibrium_theta0(const void *self, double *theta)
{
  const equilibrium *e = self;
  memcpy(theta, e->theta0, (size_t)e->n_theta * sizeof(double));
}

/* ------------------------------------------------------------------------------------------ */
/* Phi and its Jacobians                                                                       */
/* ------------------------------------------------------------------------------------------ */

/* bias = X B^T + 1 c^T (N x h) for theta's (B, c), recomputed only when they change. */
static void eq_bias(equilibrium *e, const double *theta)
{
  const size_t nb = ((size_t)e->h * e->p + e->h) * sizeof(double);

  if (e->bias_valid && !memcmp(e->bias_key, theta + e->oB, nb))
    return;
  memcpy(e->bias_key, theta + e->oB, nb);
  for (int i = 0; i < e->N; i++)
    memcpy(e->bias + (size_t)i * e->h, theta + e->oc, (size_t)e->h * sizeof(double));
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, e->N, e->h, e->p, 1.0, e->X, e->p,
              theta + e->oB, e->p, 1.0, e->bias, e->h);
  e->bias_valid = 1;
  e->state_valid = 0;
}

/* S = tanh(Z), Dm = 1 - S^2 with Z = W A^T + X B^T + 1 c^T (row i: z_i = A w_i + B x_i + c),
 * recomputed only when w, A, B or c change. */
static void eq_state(equilibrium *e, const double *w, const double *theta)
{
  const size_t nw = (size_t)e->n_w, hh = (size_t)e->h * e->h;

  eq_bias(e, theta);
  if (e->state_valid && !memcmp(e->state_key, w, nw * sizeof(double)) &&
      !memcmp(e->state_key + nw, theta, hh * sizeof(double)))
    return;
  memcpy(e->state_key, w, nw * sizeof(double));
  memcpy(e->state_key + nw, theta, hh * sizeof(double));
  memcpy(e->S, e->bias, nw * sizeof(double));
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, e->N, e->h, e->h, 1.0, w, e->h, theta,
              e->h, 1.0, e->S, e->h);
  for (size_t j = 0; j < nw; j++) {
    e->S[j] = tanh(e->S[j]);
    e->Dm[j] = 1.0 - e->S[j] * e->S[j];
  }
  e->state_valid = 1;
}

/* A lower batch (sample ops): out_i = x_i + weight_i (out_i - x_i) per block, from the full
 * map's out and its input x (w for Phi, v for the products); no-op on the full mean. */
static void eq_lower_batch(const equilibrium *e, const double *x, double *out)
{
  if (!e->batch.count[0])
    return;
  for (int i = 0; i < e->N; i++)
    for (int j = i * e->h; j < (i + 1) * e->h; j++)
      out[j] = x[j] + e->batch.w[0][i] * (out[j] - x[j]);
}

/* Rows i of the N x h matrix M times the lower weight of example i (a sum over examples
 * restricted to a batch); no-op on the full mean. */
static void eq_scale_rows(const equilibrium *e, double *M)
{
  if (!e->batch.count[0])
    return;
  for (int i = 0; i < e->N; i++)
    cblas_dscal(e->h, e->batch.w[0][i], M + (size_t)i * e->h, 1);
}

/* out_i = Phi(w, theta)_i = tanh(A w_i + B x_i + c)   (DESIGN §3). */
static void equilibrium_phi(void *self, const double *w, const double *theta, double *out)
{
  equilibrium *e = self;
  eq_state(e, w, theta);
  memcpy(out, e->S, (size_t)e->n_w * sizeof(double));
  eq_lower_batch(e, w, out);
}

/* out_i = (d_w Phi v)_i = D_i A v_i, D_i = diag(1 - tanh^2(z_i)): out = Dm .* (V A^T). */
static void equilibrium_jvp_w(void *self, const double *w, const double *theta, const double *v,
                              double *out)
{
  equilibrium *e = self;
  eq_state(e, w, theta);
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, e->N, e->h, e->h, 1.0, v, e->h, theta,
              e->h, 0.0, e->G, e->h);
  for (int j = 0; j < e->n_w; j++)
    out[j] = e->Dm[j] * e->G[j];
  eq_lower_batch(e, v, out);
}

/* out_i = (d_w Phi^T v)_i = A^T D_i v_i: out = (Dm .* V) A. */
static void equilibrium_vjp_w(void *self, const double *w, const double *theta, const double *v,
                              double *out)
{
  equilibrium *e = self;
  eq_state(e, w, theta);
  for (int j = 0; j < e->n_w; j++)
    e->G[j] = e->Dm[j] * v[j];
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, e->N, e->h, e->h, 1.0, e->G, e->h,
              theta, e->h, 0.0, out, e->h);
  eq_lower_batch(e, v, out);
}

/* d_theta Phi^T v with g_i = D_i v_i (G = Dm .* V):  A: sum_i g_i w_i^T = G^T W;
 * B: sum_i g_i x_i^T = G^T X;  c: sum_i g_i;  U, u0: 0 (Phi does not depend on them). */
static void equilibrium_vjp_theta(void *self, const double *w, const double *theta,
                                  const double *v, double *out)
{
  equilibrium *e = self;
  const int N = e->N, h = e->h;

  eq_state(e, w, theta);
  for (int j = 0; j < e->n_w; j++)
    e->G[j] = e->Dm[j] * v[j];
  eq_scale_rows(e, e->G);
  cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, h, h, N, 1.0, e->G, h, w, h, 0.0, out, h);
  cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, h, e->p, N, 1.0, e->G, h, e->X, e->p, 0.0,
              out + e->oB, e->p);
  hg_zero(e->n_theta - e->oc, out + e->oc);
  for (int i = 0; i < N; i++)
    hg_axpy(h, 1.0, e->G + (size_t)i * h, out + e->oc);
}

/* out_i = (d_theta Phi u)_i = D_i (dA w_i + dB x_i + dc) for u = (dA, dB, dc, dU, du0):
 * out = Dm .* (W dA^T + X dB^T + 1 dc^T). */
static void equilibrium_jvp_theta(void *self, const double *w, const double *theta,
                                  const double *u, double *out)
{
  equilibrium *e = self;
  const int N = e->N, h = e->h;

  eq_state(e, w, theta);
  for (int i = 0; i < N; i++)
    memcpy(e->G + (size_t)i * h, u + e->oc, (size_t)h * sizeof(double));
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, h, h, 1.0, w, h, u, h, 1.0, e->G, h);
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, h, e->p, 1.0, e->X, e->p, u + e->oB,
              e->p, 1.0, e->G, h);
  for (int j = 0; j < e->n_w; j++)
    out[j] = e->Dm[j] * e->G[j];
  eq_scale_rows(e, out);
}

/* ------------------------------------------------------------------------------------------ */
/* The upper loss                                                                              */
/* ------------------------------------------------------------------------------------------ */

/*
 * E on the readouts o_i = U w_i + u0 (O = W U^T + 1 u0^T), with g_i = dE/do_i:
 *   ce:  E = (1/N) sum_i [lse(o_i) - o_{i,y_i}],  g_i = (softmax(o_i) - e_{y_i})/N;
 *   mse: E = (1/(2N)) sum_i ||o_i - t_i||^2,       g_i = (o_i - t_i)/N;
 * grad_w E: (grad_w E)_i = U^T g_i (= G U);  grad_theta E: A, B, c: 0; U: sum_i g_i w_i^T
 * (= G^T W); u0: sum_i g_i.
 */
static double equilibrium_upper(void *self, const double *w, const double *theta, double *gw,
                                double *gtheta)
{
  equilibrium *e = self;
  const int N = e->N, h = e->h, C = e->C;
  const double *U = theta + e->oU, *u0 = theta + e->ou0;
  double E = 0;

  for (int i = 0; i < N; i++)
    memcpy(e->O + (size_t)i * C, u0, (size_t)C * sizeof(double));
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, C, h, 1.0, w, h, U, h, 1.0, e->O, C);
  for (int i = 0; i < N; i++) {
    double *o = e->O + (size_t)i * C;
    /* the example's weight: 1, or on an upper batch N/count per selection (exact: f = 1
     * changes no bit) */
    const double f = hg_items_weight(&e->batch, 1, i);
    if (e->mse) {
      const double *t = e->T + (size_t)i * C;
      for (int c = 0; c < C; c++) {
        o[c] -= t[c];
        E += f * (0.5 * o[c] * o[c]);
        o[c] = f * o[c] / N;
      }
      continue;
    }
    double top = o[0], sum = 0;
    for (int c = 1; c < C; c++)
      top = fmax(top, o[c]);
    for (int c = 0; c < C; c++)
      sum += exp(o[c] - top);
    const double lse = top + log(sum);
    E += f * (lse - o[e->y[i]]);
    for (int c = 0; c < C; c++)
      o[c] = f * exp(o[c] - lse) / N;
    o[e->y[i]] -= f / N;
  }
  E /= N;
  if (gw)
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, h, C, 1.0, e->O, C, U, h, 0.0, gw,
                h);
  if (gtheta) {
    hg_zero(e->oU, gtheta);
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, C, h, N, 1.0, e->O, C, w, h, 0.0,
                gtheta + e->oU, h);
    hg_zero(C, gtheta + e->ou0);
    for (int i = 0; i < N; i++)
      hg_axpy(C, 1.0, e->O + (size_t)i * C, gtheta + e->ou0);
  }
  return E;
}

/* ------------------------------------------------------------------------------------------ */
/* Exact reference, constants, projection                                                      */
/* ------------------------------------------------------------------------------------------ */

/* For one example with b_i = bias row i: s = tanh(A x + b_i), r = x - s; returns ||r||_inf. */
static double eq_residual(const equilibrium *e, const double *A, const double *b_i,
                          const double *x, double *s, double *r)
{
  const int h = e->h;
  double rmax = 0;

  memcpy(s, b_i, (size_t)h * sizeof(double));
  cblas_dgemv(CblasRowMajor, CblasNoTrans, h, h, 1.0, A, h, x, 1, 1.0, s, 1);
  for (int j = 0; j < h; j++) {
    s[j] = tanh(s[j]);
    r[j] = x[j] - s[j];
    rmax = fmax(rmax, fabs(r[j]));
  }
  return rmax;
}

/* M = I - diag(1 - s^2) A (h x h), row-major when transposed = 0; its transpose otherwise
 * (which is M read column-major). */
static void eq_jacobian(const equilibrium *e, const double *A, const double *s, int transposed)
{
  const int h = e->h;
  for (int r = 0; r < h; r++)
    for (int c = 0; c < h; c++) {
      double m = (r == c) - (1 - s[r] * s[r]) * A[(size_t)r * h + c];
      e->M[transposed ? (size_t)c * h + r : (size_t)r * h + c] = m;
    }
}

/*
 * w_i* for one example (w_i holds 0 on entry): the residual r = w_i - tanh(A w_i + b_i); a
 * Newton step w_i - M^{-1} r (M = I - D_i A, LU by dgesv) when it lowers ||r||_inf, else the
 * fixed-point step tanh(A w_i + b_i), which lowers it by the factor q; stops at NEWTON_TOL or
 * when neither step lowers it (round-off).  Returns the final ||r||_inf (NAN if dgesv fails).
 */
static double eq_newton(equilibrium *e, const double *A, const double *b_i, double *w_i)
{
  const int h = e->h;
  double res = eq_residual(e, A, b_i, w_i, e->hs, e->hr);

  for (int it = 0; it < NEWTON_MAXIT && res > NEWTON_TOL; it++) {
    eq_jacobian(e, A, e->hs, 1); /* M read column-major, as dgesv wants */
    memcpy(e->hc, e->hr, (size_t)h * sizeof(double));
    if (LAPACKE_dgesv(LAPACK_COL_MAJOR, h, 1, e->M, h, e->ipiv, e->hc, h) != 0)
      return NAN;
    for (int j = 0; j < h; j++)
      e->hc[j] = w_i[j] - e->hc[j];
    double res_c = eq_residual(e, A, b_i, e->hc, e->hs2, e->hr2);
    if (!(res_c < res)) { /* Newton did not help: the fixed-point step from w_i */
      memcpy(e->hc, e->hs, (size_t)h * sizeof(double));
      res_c = eq_residual(e, A, b_i, e->hc, e->hs2, e->hr2);
      if (!(res_c < res))
        break; /* round-off: nothing lowers the residual */
    }
    memcpy(w_i, e->hc, (size_t)h * sizeof(double));
    memcpy(e->hs, e->hs2, (size_t)h * sizeof(double));
    memcpy(e->hr, e->hr2, (size_t)h * sizeof(double));
    res = res_c;
  }
  return res;
}

/*
 * Exact reference (DESIGN §1, §3): w* per example by eq_newton; then with D_i at w*,
 *     (I - D_i A)^T v_i = (grad_w E(w*))_i   (dgesv, one LU per example),
 *     grad f = grad_theta E(w*) + d_theta Phi(w*)^T v.
 * Refuses ||A||_2 >= 1 (no contraction: w* need not exist or be unique).
 */
static int equilibrium_exact(void *self, const double *theta, double *wstar, double *grad,
                             hg_error *err)
{
  equilibrium *e = self;
  const int N = e->N, h = e->h;
  const double *A = theta;
  double q = eq_norm2(e, h, h, A);

  if (!(q < 1))
    return hg_fail(err, HG_ERR_NONCONTRACT, "problem 'equilibrium': ||A||_2 = %g at this theta "
                   "is not below 1, so Phi is not a contraction and w* may not exist (project A "
                   "onto ||A||_2 <= radius)", q);
  int status = HG_OK, held[2];
  hg_items_hold(&e->batch, held); /* the full problem, whatever batch is selected */
  eq_bias(e, theta);
  hg_zero(e->n_w, wstar);
  for (int i = 0; i < N; i++) {
    double *w_i = wstar + (size_t)i * h;
    double res = eq_newton(e, A, e->bias + (size_t)i * h, w_i);
    if (!(res <= EXACT_TOL)) {
      status = hg_fail(err, HG_ERR_NUMERIC, "problem 'equilibrium': the fixed point of example "
                       "%d did not converge (residual %g, ||A||_2 = %g)", i + 1, res, q);
      goto done;
    }
  }

  equilibrium_upper(e, wstar, theta, e->gw, grad);
  for (int i = 0; i < N; i++) {
    double *v_i = e->v + (size_t)i * h;
    eq_residual(e, A, e->bias + (size_t)i * h, wstar + (size_t)i * h, e->hs, e->hr);
    eq_jacobian(e, A, e->hs, 0); /* M row-major = M^T column-major */
    memcpy(v_i, e->gw + (size_t)i * h, (size_t)h * sizeof(double));
    lapack_int info = LAPACKE_dgesv(LAPACK_COL_MAJOR, h, 1, e->M, h, e->ipiv, v_i, h);
    if (info != 0) {
      status = hg_fail(err, HG_ERR_NUMERIC, "problem 'equilibrium': the adjoint LU of example "
                       "%d failed (LAPACK info %d)", i + 1, (int)info);
      goto done;
    }
  }
  equilibrium_vjp_theta(e, wstar, theta, e->v, e->tt);
  hg_axpy(e->n_theta, 1.0, e->tt, grad);

done:
  hg_items_restore(&e->batch, held);
  return status;
}

/* The sample ops (hgbench.h): the N examples are the items of both means. */
static int equilibrium_n_items(const void *self, int which)
{
  const equilibrium *e = self;
  return e->N;
}

/* Weights N/count per selection of an example (items.h); count = 0: the full means again. */
static int equilibrium_select(void *self, int which, int count, const int *idx, hg_error *err)
{
  equilibrium *e = self;
  return hg_items_select(&e->batch, "equilibrium", "example", which, count, idx, err);
}

/*
 * Constants at theta (DESIGN §3, §7).  Phi is not a gradient step: step, mu, L, kappa are NAN
 * and exact_mu_L = 0.  q = ||A||_2 (tanh is 1-Lipschitz: ||Phi(w) - Phi(w')|| <=
 * ||A (w - w')||, and ||d_w Phi|| = max_i ||D_i A|| <= ||A||_2 as 0 < D_i <= I).
 *
 * Lipschitz constants in w (Grazzi et al. 2020, §2), with gamma = max |tanh''| = 4/(3 sqrt 3)
 * (tanh'' = -2 tanh (1 - tanh^2), extreme at tanh^2 = 1/3), a = max_j ||a_j|| the largest row
 * norm of A, so |d_ij - d'_ij| <= gamma |a_j^T (w_i - w'_i)| <= gamma a ||w_i - w'_i||:
 *   nu1 = gamma a ||A||_2:  d_w Phi(w) - d_w Phi(w') = blockdiag((D_i - D'_i) A);
 *   nu2 = sqrt((gamma a sqrt(h) + 1)^2 + gamma^2 a^2 (max_i ||x_i||^2 + 1)):  for u = (dA, dB,
 *     dc, ..) with ||u|| = 1, row i of (d_theta Phi(w) - d_theta Phi(w')) u is
 *     (D_i - D'_i)(dA w'_i + dB x_i + dc) + D_i dA (w_i - w'_i), of norm at most
 *     ||w_i - w'_i|| [||dA|| (gamma a ||w'_i|| + 1) + ||dB|| gamma a ||x_i|| + ||dc|| gamma a]
 *     and ||w'_i|| <= sqrt(h) (Cauchy-Schwarz over the three terms);
 *   mu1 = l ||U||_2^2 / N:  (grad_w E)_i = U^T g_i(U w_i + u0) and dg_i/do_i has norm <= l/N,
 *     l = 1/2 for ce (softmax's Jacobian diag(p) - p p^T: Gershgorin 2 p_c (1 - p_c) <= 1/2),
 *     l = 1 for mse;
 *   mu2 = sqrt((l ||U|| sqrt(h) + G)^2 + l^2 ||U||^2) / sqrt(N):  the U part
 *     sum_i (g_i - g'_i) w'_i^T + g_i (w_i - w'_i)^T and the u0 part sum_i (g_i - g'_i), with
 *     ||g_i|| <= G/N (ce: ||softmax - e_y|| <= sqrt 2; mse: ||U|| sqrt(h) + ||u0|| +
 *     max ||t_i||) and sum_i ||w_i - w'_i|| <= sqrt(N) ||w - w'||.
 * nu1 and mu1 are global; nu2 and mu2 hold for pairs in the cube [-1, 1]^{n_w} (||w_i|| <=
 * sqrt(h); for ce and nu2 one point of the pair there suffices), which holds w*, w0 = 0 and
 * every value of Phi, so every iterate of the lower loop and every segment between them.
 * L_Phi and L_E are left to the harness (measured at w*).
 */
static int equilibrium_constants(void *self, const double *theta, hg_constants *c, hg_error *err)
{
  equilibrium *e = self;
  const int h = e->h;
  const double *A = theta, *U = theta + e->oU;
  double a = 0;

  hg_constants_unknown(c);
  c->exact_mu_L = 0;
  const double qA = eq_norm2(e, h, h, A), nU = eq_norm2(e, e->C, h, U);
  if (!isfinite(qA) || !isfinite(nU))
    return hg_fail(err, HG_ERR_NUMERIC, "problem 'equilibrium': the SVD of %s failed at this "
                   "theta", isfinite(qA) ? "U" : "A");
  for (int j = 0; j < h; j++)
    a = fmax(a, cblas_dnrm2(h, A + (size_t)j * h, 1));
  const double g = TANH2_MAX, l = e->mse ? 1.0 : 0.5, sh = sqrt((double)h);
  const double G = e->mse ? nU * sh + cblas_dnrm2(e->C, theta + e->ou0, 1) + e->max_t : sqrt(2.0);
  c->q = qA;
  c->nu1 = g * a * qA;
  c->nu2 = sqrt((g * a * sh + 1) * (g * a * sh + 1) + g * g * a * a * (e->max_x2 + 1));
  c->mu1 = l * nU * nU / e->N;
  c->mu2 = sqrt((l * nU * sh + G) * (l * nU * sh + G) + l * l * nU * nU) / sqrt((double)e->N);
  return HG_OK;
}

/*
 * Projection of theta onto the feasible set (outer loops): A onto the spectral ball
 * ||A||_2 <= radius by clipping its singular values, A = U diag(s) V^T -> U diag(min(s,
 * radius)) V^T (the nearest such matrix in Frobenius and spectral norm); B, c, U, u0 are free.
 * Should the SVD fail to converge (LAPACK info > 0), A is scaled to ||A||_F <= radius instead
 * (feasible, as ||A||_2 <= ||A||_F).
 */
static void equilibrium_project(const void *self, double *theta)
{
  const equilibrium *e = self;
  const int h = e->h;

  if (eq_svd(e, h, h, theta, 1) != 0) {
    double fro = cblas_dnrm2(h * h, theta, 1);
    if (fro > e->radius)
      cblas_dscal(h * h, e->radius / fro, theta, 1);
    return;
  }
  if (e->svd_s[0] <= e->radius)
    return;
  for (int j = 0; j < h; j++) /* U diag(min(s, radius)), U column-major */
    cblas_dscal(h, fmin(e->svd_s[j], e->radius), e->svd_u + (size_t)j * h, 1);
  cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, h, h, h, 1.0, e->svd_u, h, e->svd_vt, h,
              0.0, theta, h);
}

static void equilibrium_describe(const void *self, char *buf, size_t len)
{
  const equilibrium *e = self;

  snprintf(buf, len, "%s; hidden h = %d (n_w = N h = %d); theta = A, B, c, U, u0 (m = %d); "
           "loss %s; radius %g (||A||_2 = %g at theta0)", e->source, e->h, e->n_w, e->n_theta,
           e->mse ? "mse" : "ce", e->radius, e->a0);
}

const hg_problem_ops hg_problem_equilibrium = {
  .version = HG_OPS_VERSION,     /* ops layout this table was written for */
  .name = "equilibrium",                 /* registry name */
  .summary = "equilibrium model w_i = tanh(A w_i + B x_i + c) with a linear readout "
             "(DESIGN §3)",
  .params = equilibrium_params,          /* train, format, label, n, d, classes, hidden,
                                            radius, a_norm, loss, seed */
  .create = equilibrium_create,          /* data (file or teacher), theta0 with ||A|| = r/2 */
  .destroy = equilibrium_destroy,        /* frees the state */
  .theta0 = equilibrium_theta0,          /* the seeded theta0 */
  .phi = equilibrium_phi,                /* tanh(A w_i + B x_i + c) */
  .jvp_w = equilibrium_jvp_w,            /* D_i A v_i */
  .vjp_w = equilibrium_vjp_w,            /* A^T D_i v_i */
  .vjp_theta = equilibrium_vjp_theta,    /* sum_i g_i w_i^T, g_i x_i^T, g_i; 0 for U, u0 */
  .upper = equilibrium_upper,            /* cross-entropy or squared error of U w_i + u0 */
  .jvp_theta = equilibrium_jvp_theta,    /* D_i (dA w_i + dB x_i + dc) */
  .exact = equilibrium_exact,            /* Newton per example, LU of (I - D_i A)^T */
  .constants = equilibrium_constants,    /* q = ||A||_2; nu1, nu2, mu1, mu2 */
  .describe = equilibrium_describe,      /* data, sizes, loss, radius */
  .symmetric = 0,                        /* D_i A is not symmetric */
  .project = equilibrium_project,        /* A onto ||A||_2 <= radius */
  .n_items = equilibrium_n_items,        /* the N examples, for Phi and for E */
  .select = equilibrium_select,          /* per-example weights N/count */
  .revision = 1,                       /* bump when this problem's numbers change */
  .display = "equilibrium model", /* legends and tables */
};

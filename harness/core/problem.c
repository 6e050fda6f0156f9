/*
 * problem.c -- the counting wrapper around a problem instance (DESIGN §2.2); instances are
 * created and destroyed in instance.c.
 *
 * Methods never call a plugin's ops directly: every Phi / Jacobian product goes through the
 * hg_phi() family below, which counts it, so cost counters cannot be bypassed.
 */
#include "hg_core.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

long hg_counts_oracle(const hg_counts *c)
{
  return c->phi + hg_counts_jacobian(c);
}

long hg_counts_jacobian(const hg_counts *c)
{
  return c->jvp_w + c->vjp_w + c->vjp_theta + c->jvp_theta;
}

void hg_phi(hg_problem *P, const double *w, const double *theta, double *out)
{
  P->counts.phi++;
  P->ops->phi(P->self, w, theta, out);
}

void hg_jvp_w(hg_problem *P, const double *w, const double *theta, const double *v, double *out)
{
  P->counts.jvp_w++;
  P->ops->jvp_w(P->self, w, theta, v, out);
}

void hg_jvp_w_block(hg_problem *P, const double *w, const double *theta, int cols,
                    const double *V, double *out, double *scratch)
{
  const size_t n = (size_t)P->n_w;

  P->counts.jvp_w += cols;
  if (P->ops->jvp_w_block) {
    P->counts.blocks++;
    P->ops->jvp_w_block(P->self, w, theta, cols, V, out);
    return;
  }
  for (int j = 0; j < cols; j++) {
    P->ops->jvp_w(P->self, w, theta, V + (size_t)j * n, scratch);
    memcpy(out + (size_t)j * n, scratch, n * sizeof *out);
  }
}

void hg_vjp_w(hg_problem *P, const double *w, const double *theta, const double *v, double *out)
{
  P->counts.vjp_w++;
  P->ops->vjp_w(P->self, w, theta, v, out);
}

void hg_vjp_theta(hg_problem *P, const double *w, const double *theta, const double *v,
                  double *out)
{
  P->counts.vjp_theta++;
  P->ops->vjp_theta(P->self, w, theta, v, out);
}

void hg_jvp_theta(hg_problem *P, const double *w, const double *theta, const double *u,
                  double *out)
{
  P->counts.jvp_theta++;
  P->ops->jvp_theta(P->self, w, theta, u, out);
}

double hg_upper(hg_problem *P, const double *w, const double *theta, double *gw, double *gtheta)
{
  P->counts.upper++;
  return P->ops->upper(P->self, w, theta, gw, gtheta);
}

int hg_problem_n_items(const hg_problem *P, int which)
{
  return P->ops->n_items ? P->ops->n_items(P->self, which) : 0;
}

int hg_problem_select(hg_problem *P, int which, int count, const int *idx, hg_error *err)
{
  if (!P->ops->select || !P->ops->n_items)
    return hg_fail(err, HG_ERR_UNSUPPORTED, "problem '%s' has no mini-batches (sample ops)",
                   P->ops->name);
  if (which != HG_SAMPLE_LOWER && which != HG_SAMPLE_UPPER)
    return hg_fail(err, HG_ERR_ARG, "problem '%s': select of an unknown mean (%d)",
                   P->ops->name, which);
  if (count < 0)
    return hg_fail(err, HG_ERR_ARG, "problem '%s': negative batch size %d", P->ops->name,
                   count);
  return P->ops->select(P->self, which, count, idx, err);
}

/* The permutation of a partial Fisher-Yates shuffle of 0 .. n-1, stored sparsely: only the
 * positions a swap moved are kept (open addressing, keys -1 when free), so a draw of `batch`
 * items costs O(batch), not O(n).  perm(p) is the value at position p. */
typedef struct sparse_perm {
  int *key, *val;
  unsigned mask;
} sparse_perm;

static unsigned perm_slot(const sparse_perm *S, int p)
{
  unsigned h = ((unsigned)p * 2654435761u) & S->mask;
  while (S->key[h] != -1 && S->key[h] != p)
    h = (h + 1) & S->mask;
  return h;
}

static int perm_get(const sparse_perm *S, int p)
{
  unsigned h = perm_slot(S, p);
  return S->key[h] == p ? S->val[h] : p;
}

static void perm_set(sparse_perm *S, int p, int v)
{
  unsigned h = perm_slot(S, p);
  S->key[h] = p;
  S->val[h] = v;
}

int hg_problem_sample(hg_problem *P, int which, int batch, hg_rng *rng, int *idx,
                      hg_error *err)
{
  int n = hg_problem_n_items(P, which);
  sparse_perm S;

  if (!P->ops->select || n <= 0)
    return hg_problem_select(P, which, 0, NULL, err); /* the error naming the problem */
  if (batch < 1)
    return hg_fail(err, HG_ERR_ARG, "problem '%s': batch size %d < 1", P->ops->name, batch);
  if (batch >= n) { /* the whole mean: every item, in order */
    for (int i = 0; i < n; i++)
      idx[i] = i;
    return hg_problem_select(P, which, 0, NULL, err);
  }
  /* at most 2 batch positions move: a table of at least 4 batch slots stays half empty */
  unsigned size = 16;
  while (size < 4u * (unsigned)batch)
    size *= 2;
  S.mask = size - 1;
  S.key = malloc(2 * (size_t)size * sizeof *S.key);
  if (!S.key)
    return hg_fail(err, HG_ERR_NOMEM, "problem '%s': out of memory drawing a batch",
                   P->ops->name);
  S.val = S.key + size;
  for (unsigned h = 0; h < size; h++)
    S.key[h] = -1;
  for (int i = 0; i < batch; i++) { /* swap positions i and j >= i; position i is final */
    int j = i + (int)(hg_rng_uniform(rng) * (double)(n - i));
    int vi = perm_get(&S, i), vj = perm_get(&S, j);
    perm_set(&S, j, vi);
    idx[i] = vj;
  }
  free(S.key);
  return hg_problem_select(P, which, batch, idx, err);
}

int hg_saddle_n_dual(const hg_problem *P)
{
  return P->ops->saddle->n_dual(P->self);
}

void hg_saddle_constants_at(hg_problem *P, const double *theta, hg_saddle_constants *c)
{
  c->L_hess_G = c->L_hess_F = c->norm_dK = NAN; /* unknown unless the problem gives them */
  P->ops->saddle->constants(P->self, theta, c);
}

void hg_saddle_K(hg_problem *P, const double *theta, const double *w, double *out)
{
  P->counts.jvp_w++;
  P->ops->saddle->K(P->self, theta, w, out);
}

void hg_saddle_Kt(hg_problem *P, const double *theta, const double *y, double *out)
{
  P->counts.vjp_w++;
  P->ops->saddle->Kt(P->self, theta, y, out);
}

void hg_saddle_prox_G(hg_problem *P, const double *theta, double tau, const double *v,
                      double *out)
{
  P->ops->saddle->prox_G(P->self, theta, tau, v, out);
}

void hg_saddle_prox_F(hg_problem *P, const double *theta, double sigma, const double *v,
                      double *out)
{
  P->ops->saddle->prox_F(P->self, theta, sigma, v, out);
}

void hg_saddle_prox_G_jvp(hg_problem *P, const double *theta, double tau, const double *v,
                          const double *d, double *out)
{
  P->ops->saddle->prox_G_jvp(P->self, theta, tau, v, d, out);
}

void hg_saddle_prox_F_jvp(hg_problem *P, const double *theta, double sigma, const double *v,
                          const double *d, double *out)
{
  P->ops->saddle->prox_F_jvp(P->self, theta, sigma, v, d, out);
}

void hg_saddle_prox_G_vjp_theta(hg_problem *P, const double *theta, double tau, const double *v,
                                const double *d, double *out)
{
  if (!P->ops->saddle->prox_G_vjp_theta) {
    hg_zero(P->n_theta, out);
    return;
  }
  P->counts.vjp_theta++;
  P->ops->saddle->prox_G_vjp_theta(P->self, theta, tau, v, d, out);
}

void hg_saddle_prox_F_vjp_theta(hg_problem *P, const double *theta, double sigma,
                                const double *v, const double *d, double *out)
{
  if (!P->ops->saddle->prox_F_vjp_theta) {
    hg_zero(P->n_theta, out);
    return;
  }
  P->counts.vjp_theta++;
  P->ops->saddle->prox_F_vjp_theta(P->self, theta, sigma, v, d, out);
}

int hg_saddle_K_vjp_theta(hg_problem *P, const double *theta, const double *x, const double *y,
                          double *out)
{
  if (!P->ops->saddle->K_vjp_theta || !P->ops->saddle->K_vjp_theta(P->self, theta, x, y, out))
    return 0;
  P->counts.vjp_theta++;
  return 1;
}

int hg_exact(hg_problem *P, const double *theta, double *wstar, double *grad, hg_error *err)
{
  if (!P->ops->exact)
    return hg_fail(err, HG_ERR_UNSUPPORTED, "problem '%s' has no exact reference",
                   P->ops->name);
  return P->ops->exact(P->self, theta, wstar, grad, err);
}

void hg_constants_unknown(hg_constants *c)
{
  c->step = c->mu = c->L = c->q = c->kappa = NAN;
  c->L_Phi = c->L_E = c->nu1 = c->nu2 = c->mu1 = c->mu2 = NAN;
  c->exact_mu_L = 0;
}

int hg_problem_constants(hg_problem *P, const double *theta, hg_constants *c, hg_error *err)
{
  hg_constants_unknown(c);
  if (!P->ops->constants)
    return hg_fail(err, HG_ERR_UNSUPPORTED, "problem '%s' provides no constants",
                   P->ops->name);
  return P->ops->constants(P->self, theta, c, err);
}

int hg_theta_check(int n, const double *theta, hg_error *err)
{
  for (int i = 0; i < n; i++)
    if (!isfinite(theta[i]))
      return hg_fail(err, HG_ERR_ARG, "theta[%d] = %g is not a finite number", i, theta[i]);
  return HG_OK;
}

/* A finite number filling all of s (surrounding blanks allowed): strtod's syntax, nothing
 * after it but blanks ("1.0abc" is refused). */
static int parse_number(const char *s, double *x)
{
  char *end;
  errno = 0;
  *x = strtod(s, &end);
  if (end == s || errno == ERANGE)
    return 0;
  while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')
    end++;
  return *end == '\0' && isfinite(*x);
}

int hg_theta_parse(const char *spec, int n, double *theta, hg_error *err)
{
  int rc = HG_OK, count = 0, got;
  hg_text tf;
  double x;

  if (!spec || !*spec)
    return hg_fail(err, HG_ERR_ARG, "--theta needs a number or @FILE");
  if (spec[0] != '@') {
    if (!parse_number(spec, &x))
      return hg_fail(err, HG_ERR_ARG, "--theta %s: not a finite number", spec);
    for (int i = 0; i < n; i++)
      theta[i] = x;
    return HG_OK;
  }
  /* one value per line, lines of any length; a NUL byte or a growing file is refused */
  if ((rc = hg_text_open(&tf, spec + 1, "theta file", HG_THETA_MAX_BYTES, err)))
    goto done;
  while (!(rc = hg_text_next(&tf, &got, err)) && got) {
    if (strspn(tf.line, " \t\r") == tf.len)
      continue; /* blank line */
    if (!parse_number(tf.line, &x)) {
      rc = hg_fail(err, HG_ERR_PARSE, "%s:%ld: '%.60s%s' is not a finite number", spec + 1,
                   tf.lineno, tf.line, tf.len > 60 ? "..." : "");
      goto done;
    }
    if (count >= n) {
      rc = hg_fail(err, HG_ERR_ARG, "%s:%ld: more than %d values (the problem has n_theta = %d)",
                   spec + 1, tf.lineno, n, n);
      goto done;
    }
    theta[count++] = x;
  }
  if (!rc && count != n)
    rc = hg_fail(err, HG_ERR_ARG, "%s: %d values, but the problem has n_theta = %d", spec + 1,
                 count, n);
done:
  hg_text_close(&tf);
  return rc;
}

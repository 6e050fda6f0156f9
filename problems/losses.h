/*
 * losses.h -- private to problems/: the scalar pieces of the logistic and softmax
 * cross-entropy losses (DESIGN §3), in forms that never overflow, and the bounds on their
 * derivatives that the constants of DESIGN §7 are built from.  Used by logreg, biased-reg and
 * poison.
 */
#ifndef HG_LOSSES_H
#define HG_LOSSES_H

#include <math.h>

/* max |sigma''(z)| = 1/(6 sqrt 3): sigma'' = s(1 - s)(1 - 2s), s = sigma(z), is extreme where
 * s = (3 -+ sqrt 3)/6, giving s(1 - s) = 1/6 and |1 - 2s| = 1/sqrt 3. */
#define HG_SIGMOID_CURV (1.0 / (6.0 * 1.7320508075688772))

/*
 * A Lipschitz constant of the Hessian S(z) = diag(p) - p p^T of lse(z) = log sum_c e^{z_c}
 * (p = softmax(z)): ||S(z) - S(z')||_2 <= HG_SOFTMAX_CURV ||z - z'||.  Proof: along h,
 * u^T (D S(z)[h]) u = E_p[(u - E_p u)^2 (h - E_p h)] (the derivative of Var_p(u) in the natural
 * parameter is its covariance with h), and with ||u|| = ||h|| = 1
 *     Var_p(u) <= ((max u - min u)/2)^2 <= ||u||^2/2,
 *     |h_a - E_p h| = |sum_b p_b (h_a - h_b)| <= max h - min h <= sqrt 2 ||h||,
 * so |u^T D S[h] u| <= ||h|| / sqrt 2; D S[h] is symmetric, so that bounds its norm.  (The
 * supremum, attained with two classes, is sqrt 6 / 9 ~ 0.272; 1/sqrt 2 is the proved bound.)
 */
#define HG_SOFTMAX_CURV 0.70710678118654757

/* log(1 + e^z) = max(z, 0) + log1p(e^{-|z|}), finite for every finite z. */
static inline double hg_softplus(double z)
{
  return fmax(z, 0.0) + log1p(exp(-fabs(z)));
}

/* sigma(z) = 1 / (1 + e^{-z}), through e^{-|z|} <= 1 so nothing overflows. */
static inline double hg_sigmoid(double z)
{
  const double e = exp(-fabs(z));
  return z >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
}

/* sigma'(z) = sigma(z)(1 - sigma(z)) = e^{-|z|} / (1 + e^{-|z|})^2 (even in z, <= 1/4). */
static inline double hg_sigmoid_slope(double z)
{
  const double e = exp(-fabs(z));
  return e / ((1.0 + e) * (1.0 + e));
}

/* p = softmax(z) over C entries (p may alias z); returns lse(z) = log sum_c e^{z_c}, shifted
 * by max_c z_c so nothing overflows. */
static inline double hg_softmax(int C, const double *z, double *p)
{
  double zmax = z[0], sum = 0;

  for (int c = 1; c < C; c++)
    zmax = fmax(zmax, z[c]);
  const double shift = zmax;
  for (int c = 0; c < C; c++) {
    p[c] = exp(z[c] - shift);
    sum += p[c];
  }
  for (int c = 0; c < C; c++)
    p[c] /= sum;
  return shift + log(sum);
}

/* out = S(z) a = p .* a - p (p . a), the Hessian of lse at z applied to a (p = softmax(z));
 * out may alias a. */
static inline void hg_softmax_hvp(int C, const double *p, const double *a, double *out)
{
  double pa = 0;

  for (int c = 0; c < C; c++)
    pa += p[c] * a[c];
  for (int c = 0; c < C; c++)
    out[c] = p[c] * (a[c] - pa);
}

#endif /* HG_LOSSES_H */

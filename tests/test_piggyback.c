/*
 * test_piggyback.c -- the saddle-point problem denoise-tv-pd, PDHG (methods/hypergrad/pdhg.c)
 * and the piggyback method against references that do not come from them:
 *
 *   - the saddle point: (u*, y*) with u* from the problem's exact solve (semismooth Newton on
 *     the smoothed primal, CHOLMOD) and y* = lam psi(D u*) = grad F(K u*) is a fixed point of
 *     both prox steps of PDHG (1e-12): the saddle ops and the primal describe one problem;
 *   - PDHG's certified distances are upper bounds on the true ||u_i - u*||, ||y_i - y*|| at
 *     every step (up to round-off, 1e-12 absolute), and the true errors obey the a priori
 *     bound of Chambolle & Pock (2011, Theorem 3) for the constant steps used:
 *         mu_G ||u_N - u*||^2 + (1 - omega) mu_F ||y_N - y*||^2
 *             <= omega^N (mu_G ||u_0 - u*||^2 + mu_F ||y_0 - y*||^2),   omega = 1/(1 + m);
 *   - the prox Jacobians against central differences at points chosen on both sides of the
 *     clip (half the entries inside, half clipped, none within 1e-3 of a kink), 1e-7;
 *   - piggyback at t = k = 400 agrees with aid-cg on the smoothed primal at t = k = 2000 and
 *     with exact to 1e-6 relative (the "done when"), on three instances (default, a
 *     larger Huber parameter on 12 x 12 images, a small one at another theta) and on two with
 *     a learned K (operator=filters: 2 filters 3 x 3, 3 filters 5 x 5, at perturbed filters),
 *     where the hypergradient includes d/dK (piggyback.c's K_vjp_theta terms);
 *   - operator=filters filters=2 at theta0 is K = D (the same u* and d f/d log lam as tv);
 *   - tolerance-driven runs (tol_lower = tol_linear = 1e-10) stop early and still agree;
 *   - the counts of DESIGN §4: jvp_w = t + k + 2 (K), vjp_w = t + k + 1 (K^T), vjp_theta = 1,
 *     phi = 0, and t_used, k_used as asked;
 *   - the schedule: with k < t the adjoint joins for the last k PDHG steps only, so
 *     piggyback(150, 100) differs from piggyback(150, 150) while both converge (1e-8);
 *   - mu = 1 and L of constants() bound the generalized Hessian rebuilt from jvp_w;
 *   - the images op hands out the training pairs the problem was built from (n_w = N w h, and
 *     E(f) = (1/2N) ||f - u-dagger||^2 computed from them matches upper());
 *   - f=charbonnier: the saddle point, and piggyback's a-posteriori saddle bound at every
 *     budget (test_saddle_bound); NaN on Huber; the certified adjoint distances on their own
 *     against the exact adjoint at a frozen PDHG point (test_adjoint_certificate).
 *
 * One line per check; exit status non-zero when any check fails.
 */
#include "common.h"
#include "testing.h"

#include <string.h>

/* A problem from words (NULL-terminated); NULL (a FAIL line) on error. */
static hg_problem *make(const char *const *words)
{
  int n = 0;
  hg_problem *P = NULL;
  hg_error err;

  while (words[n])
    n++;
  hg_error_clear(&err);
  if (hg_problem_create("denoise-tv-pd", n, words, &P, &err) != HG_OK) {
    check(0, "denoise-tv-pd: %s", err.msg);
    return NULL;
  }
  return P;
}

/* One run of method at theta with budget (t, k, tolerances) and the exact reference. */
static int run(hg_problem *P, const char *method, const double *theta, int t, int k,
               double tol, hg_run *r)
{
  hg_budget b;
  hg_run_opts o = {0};
  hg_error err;

  hg_budget_default(&b);
  b.t = t;
  b.k = k;
  b.tol_lower = b.tol_linear = tol;
  o.with_reference = 1;
  o.trace = 1;
  hg_error_clear(&err);
  int rc = hg_hypergrad(P, method, 0, NULL, theta, &b, &o, r, &err);
  if (rc)
    check(0, "%s t = %d k = %d: %s", method, t, k, err.msg);
  return rc;
}

/* The saddle point, the certificates and the a priori rate of PDHG at theta0. */
static void test_pdhg(hg_problem *P)
{
  int n = P->n_w, d = hg_saddle_n_dual(P);
  double theta[1], grad[1], lam;
  double *ustar = malloc((size_t)n * sizeof *ustar), *ystar = malloc((size_t)d * sizeof *ystar);
  double *zeros = calloc((size_t)n, sizeof *zeros), *tmp = malloc((size_t)d * sizeof *tmp);
  hg_error err;
  hg_ctx ctx;
  hg_pdhg S = {0};

  memset(&ctx, 0, sizeof ctx);
  hg_error_clear(&err);
  P->ops->theta0(P->self, theta);
  lam = exp(theta[0]);
  if (!ustar || !ystar || !zeros || !tmp || hg_exact(P, theta, ustar, grad, &err) ||
      hg_pdhg_open(&S, P, "test", theta, zeros, &ctx, &err)) {
    check(0, "PDHG setup: %s", err.msg);
    goto done;
  }
  /* y* = lam clip((D u*)_j / nu, -1, 1) = grad F(K u*), with nu = mu_F lam from the saddle
   * constants (mu_F = nu/lam) */
  double nu = S.c.mu_F * lam;
  hg_saddle_K(P, theta, ustar, ystar);
  for (int j = 0; j < d; j++)
    ystar[j] = lam * fmax(-1, fmin(1, ystar[j] / nu));

  /* the saddle point is a fixed point of both prox steps */
  hg_saddle_K(P, theta, ustar, tmp);
  for (int j = 0; j < d; j++)
    tmp[j] = ystar[j] + S.sigma * tmp[j];
  hg_saddle_prox_F(P, theta, S.sigma, tmp, tmp);
  double ey = dist(d, tmp, ystar);
  double *ub = malloc((size_t)n * sizeof *ub);
  if (!ub)
    goto done;
  hg_saddle_Kt(P, theta, ystar, ub);
  for (int j = 0; j < n; j++)
    ub[j] = ustar[j] - S.tau * ub[j];
  hg_saddle_prox_G(P, theta, S.tau, ub, ub);
  double eu = dist(n, ub, ustar);
  free(ub);
  check(ey <= 1e-12 && eu <= 1e-12, "(u*, y* = lam psi(D u*)) is a fixed point of PDHG's prox "
        "steps: %.2e (dual), %.2e (primal)", ey, eu);

  /* certificates and the a priori bound along 400 steps */
  double e0u = dist(n, S.u, ustar), e0y = dist(d, S.y, ystar);
  double V0 = S.c.mu_G * e0u * e0u + S.c.mu_F * e0y * e0y, worst_cert = 0, worst_cp = 0;
  int cert_ok = 1, cp_ok = 1, last = 0;
  for (int i = 1; i <= 400; i++) {
    hg_pdhg_linearize(&S, P, theta);
    if (hg_pdhg_commit(&S, P, theta, &ctx, &err)) {
      check(0, "PDHG step %d: %s", i, err.msg);
      goto done;
    }
    double au = dist(n, S.u, ustar), ay = dist(d, S.y, ystar);
    cert_ok &= au <= S.eps_u + 1e-12 && ay <= S.eps_y + 1e-12;
    if (au > 1e-12)
      worst_cert = fmax(worst_cert, fmax(au / S.eps_u, ay / S.eps_y));
    double V = S.c.mu_G * au * au + (1 - S.omega) * S.c.mu_F * ay * ay;
    if (au > 1e-11 || ay > 1e-11) { /* above round-off */
      double ratio = V / (pow(S.omega, i) * V0);
      cp_ok &= ratio <= 1 + 1e-9;
      worst_cp = fmax(worst_cp, ratio);
      last = i;
    }
  }
  check(cert_ok, "PDHG: certified distances bound the true ones at each of 400 steps "
        "(largest true/certified %.3f)", worst_cert);
  check(cp_ok && last > 20, "PDHG: the Chambolle-Pock bound with omega = %.4f holds up to "
        "step %d (largest error/bound %.3f)", S.omega, last, worst_cp);
  check(hg_pdhg_dist(&S) < 1e-10, "PDHG: certified distance %.2e after 400 steps",
        hg_pdhg_dist(&S));

done:
  hg_pdhg_close(&S, &ctx);
  free(ustar);
  free(ystar);
  free(zeros);
  free(tmp);
}

/* The prox Jacobians against central differences at points away from the kinks. */
static void test_prox_fd(hg_problem *P)
{
  int d = hg_saddle_n_dual(P);
  double theta[1], s = 1, h = 1e-6;
  double *v = malloc((size_t)d * sizeof *v), *dv = malloc((size_t)d * sizeof *dv);
  double *a = malloc((size_t)d * sizeof *a), *fp = malloc((size_t)d * sizeof *fp);
  double *fm = malloc((size_t)d * sizeof *fm);
  hg_saddle_constants c;
  hg_rng rng;

  if (!v || !dv || !a || !fp || !fm)
    goto done;
  P->ops->theta0(P->self, theta);
  hg_saddle_constants_at(P, theta, &c);
  double lam = exp(theta[0]), sigma = 0.7, r = 1 / (1 + sigma * c.mu_F);
  hg_rng_seed(&rng, 11);
  /* r v_j alternately in [-0.9 lam, 0.9 lam] and beyond 1.1 lam: no kink within h |dv| */
  for (int j = 0; j < d; j++) {
    double x = 2 * hg_rng_uniform(&rng) - 1;
    v[j] = (j % 2 ? 0.9 * lam * x : (1.1 * lam + hg_rng_uniform(&rng)) * (x < 0 ? -1 : 1)) / r;
    dv[j] = hg_rng_normal(&rng);
  }
  for (int sgn = 1; sgn >= -1; sgn -= 2) {
    for (int j = 0; j < d; j++)
      a[j] = v[j] + sgn * h * dv[j];
    hg_saddle_prox_F(P, theta, sigma, a, sgn > 0 ? fp : fm);
  }
  for (int j = 0; j < d; j++)
    fp[j] = (fp[j] - fm[j]) / (2 * h);
  hg_saddle_prox_F_jvp(P, theta, sigma, v, dv, a);
  double e = rel_diff(d, a, fp);
  check(e <= 1e-7 && hg_nrm2(d, a) > 0, "prox_F jvp vs central differences, both branches: "
        "%.2e", e);

  double tp = theta[0] + h * s, tm = theta[0] - h * s, g;
  hg_saddle_prox_F(P, &tp, sigma, v, fp);
  hg_saddle_prox_F(P, &tm, sigma, v, fm);
  double fd = 0;
  for (int j = 0; j < d; j++)
    fd += dv[j] * (fp[j] - fm[j]) / (2 * h);
  hg_saddle_prox_F_vjp_theta(P, theta, sigma, v, dv, &g);
  check(fabs(fd - g) <= 1e-7 * fabs(g), "prox_F vjp_theta vs central differences in theta: "
        "%.6g vs %.6g", g, fd);

done:
  free(v);
  free(dv);
  free(a);
  free(fp);
  free(fm);
}

/* The images op: the pairs as the problem sees them (E at w = f from the set vs upper()). */
static void test_images(hg_problem *P)
{
  hg_image_set set = {0};
  double theta[1];

  if (!P->ops->images) {
    check(0, "denoise-tv-pd has an images op");
    return;
  }
  P->ops->images(P->self, &set);
  P->ops->theta0(P->self, theta);
  size_t n = (size_t)set.N * set.w * set.h;
  double e = 0;
  for (size_t j = 0; set.clean && set.noisy && j < n; j++)
    e += (set.noisy[j] - set.clean[j]) * (set.noisy[j] - set.clean[j]);
  e *= 0.5 / set.N;
  double E = n == (size_t)P->n_w && set.noisy ? hg_upper(P, set.noisy, theta, NULL, NULL) : NAN;
  check(n == (size_t)P->n_w && fabs(E - e) <= 1e-14 * e,
        "images op: %d pairs of %d x %d (n_w = %d), E(f) %.15g from the set vs %.15g from upper",
        set.N, set.w, set.h, P->n_w, e, E);
}

/* piggyback against aid-cg and exact, by budget and by tolerance. */
static void test_agreement(const char *label, const char *const *words, const char *theta_spec,
                           uint64_t perturb)
{
  hg_problem *P = make(words);
  hg_run pb = {0}, cg = {0}, tl = {0};
  double *theta = NULL;
  hg_error err;

  if (!P)
    return;
  int m = P->n_theta;
  if (!(theta = malloc((size_t)m * sizeof *theta))) {
    check(0, "%s: out of memory", label);
    goto done;
  }
  P->ops->theta0(P->self, theta);
  hg_error_clear(&err);
  if (theta_spec && hg_theta_parse(theta_spec, 1, theta, &err)) {
    check(0, "%s: %s", label, err.msg);
    goto done;
  }
  if (perturb) { /* a learned K away from theta0: 0.1 N(0, 1) on every filter coefficient */
    hg_rng rng;
    hg_rng_seed(&rng, perturb);
    for (int j = 1; j < m; j++)
      theta[j] += 0.1 * hg_rng_normal(&rng);
  }
  if (run(P, "piggyback", theta, 400, 400, 0, &pb) || run(P, "aid-cg", theta, 2000, 2000, 0, &cg))
    goto done;
  double e = rel_diff(m, pb.grad, cg.grad);
  check(e <= 1e-6 && pb.rel_error <= 1e-6 && cg.rel_error <= 1e-6,
        "%s: piggyback (t = k = 400) vs aid-cg (t = k = 2000) %.2e, vs exact %.2e (aid-cg vs "
        "exact %.2e), %d hyperparameters", label, e, pb.rel_error, cg.rel_error, m);
  if (run(P, "piggyback", theta, 100000, 100000, 1e-10, &tl))
    goto done;
  check(tl.t < 100000 && tl.k >= tl.t && tl.rel_error <= 1e-6 && tl.n_lower_res == tl.t &&
            tl.lower_res[tl.t - 1] <= 1e-10,
        "%s: piggyback to tol 1e-10 stops at t = %d, k = %d, certified distance %.2e, vs exact "
        "%.2e", label, tl.t, tl.k, tl.n_lower_res ? tl.lower_res[tl.n_lower_res - 1] : NAN,
        tl.rel_error);

done:
  free(theta);
  hg_run_release(&pb);
  hg_run_release(&cg);
  hg_run_release(&tl);
  hg_problem_destroy(&P);
}

/*
 * operator=filters with filters=2 starts at K = D exactly (the symmetric boundary repeats the
 * last pixel as D's Neumann rule does): at theta0 the same u*, the same E, and the same
 * derivative in log lam as operator=tv (1e-12, both from the exact solve); the filter
 * coefficients add 2 x 9 hyperparameters.
 */
static void test_filters_start_at_D(void)
{
  const char *tv[] = {"size=16", "n_images=2", NULL};
  const char *fb[] = {"size=16", "n_images=2", "operator=filters", NULL};
  hg_problem *A = make(tv), *B = make(fb);
  double *wa = NULL, *wb = NULL, *ga = NULL, *gb = NULL, *ta = NULL, *tb = NULL;
  hg_error err;

  if (!A || !B)
    goto done;
  wa = malloc((size_t)A->n_w * sizeof *wa);
  wb = malloc((size_t)B->n_w * sizeof *wb);
  ga = malloc((size_t)A->n_theta * sizeof *ga);
  gb = malloc((size_t)B->n_theta * sizeof *gb);
  ta = malloc((size_t)A->n_theta * sizeof *ta);
  tb = malloc((size_t)B->n_theta * sizeof *tb);
  hg_error_clear(&err);
  if (!wa || !wb || !ga || !gb || !ta || !tb) {
    check(0, "filters at theta0: out of memory");
    goto done;
  }
  A->ops->theta0(A->self, ta);
  B->ops->theta0(B->self, tb);
  if (hg_exact(A, ta, wa, ga, &err) || hg_exact(B, tb, wb, gb, &err)) {
    check(0, "filters at theta0: %s", err.msg);
    goto done;
  }
  double ew = rel_diff(A->n_w, wb, wa), eg = fabs(gb[0] - ga[0]) / fabs(ga[0]);
  check(B->n_theta == 19 && ew <= 1e-12 && eg <= 1e-12,
        "operator=filters filters=2 at theta0 is K = D: n_theta = %d, u* differs by %.2e, "
        "d f/d log lam by %.2e", B->n_theta, ew, eg);

done:
  free(wa);
  free(wb);
  free(ga);
  free(gb);
  free(ta);
  free(tb);
  hg_problem_destroy(&A);
  hg_problem_destroy(&B);
}

/* Counts and the schedule on a small instance. */
static void test_counts(void)
{
  const char *words[] = {"size=6", "n_images=1", NULL};
  hg_problem *P = make(words);
  hg_run r = {0}, full = {0}, late = {0};
  double theta[1];

  if (!P)
    return;
  P->ops->theta0(P->self, theta);
  const int budgets[][2] = {{0, 0}, {0, 4}, {7, 3}, {3, 7}, {20, 20}};
  int ok = 1;
  char detail[256] = "";
  for (size_t i = 0; i < sizeof budgets / sizeof *budgets; i++) {
    int t = budgets[i][0], k = budgets[i][1];
    if (run(P, "piggyback", theta, t, k, 0, &r))
      break;
    hg_counts c = r.counts;
    int good = r.t == t && r.k == k && c.jvp_w == t + k + 2 && c.vjp_w == t + k + 1 &&
               c.vjp_theta == 1 && c.phi == 0 && c.jvp_theta == 0 && r.n_linear_res == k;
    if (!good && ok)
      snprintf(detail, sizeof detail, " (t = %d, k = %d: used %d, %d; jvp_w %ld, vjp_w %ld, "
               "vjp_theta %ld, phi %ld)", t, k, r.t, r.k, c.jvp_w, c.vjp_w, c.vjp_theta, c.phi);
    ok &= good;
    hg_run_release(&r);
  }
  check(ok, "piggyback counts: jvp_w = t + k + 2, vjp_w = t + k + 1, vjp_theta = 1%s", detail);

  /* mu = 1 and L of constants() bound the generalized Hessian, rebuilt from jvp_w, at w* and
   * at a random w */
  hg_constants c;
  hg_error err;
  double *w = malloc((size_t)P->n_w * sizeof *w), grad[1];
  hg_error_clear(&err);
  if (w && !hg_problem_constants(P, theta, &c, &err) && !hg_exact(P, theta, w, grad, &err)) {
    for (int at = 0; at < 2; at++) {
      double *H = hessian_from_jvp(P, w, theta, c.step), lo = NAN, hi = NAN;
      if (H && !hg_sym_extremes(P->n_w, H, &lo, &hi, &err))
        check(lo >= c.mu * (1 - 1e-12) && hi <= c.L * (1 + 1e-12),
              "generalized Hessian at %s: spectrum [%.6g, %.6g] within [mu, L] = [%g, %.6g]",
              at ? "w = 0.5 N(0,1)" : "w*", lo, hi, c.mu, c.L);
      free(H);
      hg_rng rng;
      hg_rng_seed(&rng, 3);
      hg_rng_normals(&rng, (size_t)P->n_w, 0.5, w);
    }
  }
  free(w);

  if (!run(P, "piggyback", theta, 150, 150, 0, &full) &&
      !run(P, "piggyback", theta, 150, 100, 0, &late)) {
    double e = rel_diff(1, late.grad, full.grad);
    check(full.rel_error <= 1e-8 && late.rel_error <= 1e-8 && e > 0,
          "piggyback: the adjoint over the last 100 of 150 steps converges as well (%.2e, full "
          "%.2e) along other iterates (difference %.2e)", late.rel_error, full.rel_error, e);
  }
  hg_run_release(&full);
  hg_run_release(&late);
  hg_problem_destroy(&P);
}

/*
 * f=charbonnier (F(z) = sqrt(z^2 + s^2) - s + gamma z^2/2, K = lam K0): the saddle ops and the
 * primal describe one problem (y* = F'(K u*) is a fixed point of both prox steps, 1e-12), and
 * piggyback's a-posteriori saddle bound (docs/theory.md) holds at every budget t = k = 2 .. t_max
 * (error <= bound + 1e-15 |exact|), its eps_w certifies ||u_t - u*|| (to 1e-12, the reference's
 * round-off as in test_pdhg), it is informative (the
 * largest error/bound above 1e-8) and it falls to round-off; on Huber it is NaN (constants
 * unknown).
 */
static void test_saddle_bound(const char *label, const char *const *words, const char *theta_spec,
                              int t_max)
{
  hg_problem *P = make(words);
  if (!P)
    return;
  int n = P->n_w, d = hg_saddle_n_dual(P), m = P->n_theta, ok = 1, fixed_ok = 1;
  double *theta = malloc((size_t)m * sizeof *theta), *g = malloc((size_t)m * sizeof *g);
  double *ustar = malloc((size_t)n * sizeof *ustar), *ystar = malloc((size_t)d * sizeof *ystar);
  double *tmp = malloc((size_t)d * sizeof *tmp), *ub = malloc((size_t)n * sizeof *ub);
  double worst = 0, last_bound = NAN, cs = 0.05, gamma = 1;
  hg_error err;

  hg_error_clear(&err);
  P->ops->theta0(P->self, theta);
  if (theta_spec)
    theta[0] = atof(theta_spec);
  if (hg_exact(P, theta, ustar, g, &err)) {
    check(0, "%s: exact: %s", label, err.msg);
    goto done;
  }
  /* the fixed point of both prox steps, with PDHG's steps (any sigma, tau > 0 would do) */
  hg_saddle_constants c;
  hg_saddle_constants_at(P, theta, &c);
  double sigma = 1 / c.norm_K, tau = 1 / c.norm_K;
  hg_saddle_K(P, theta, ustar, ystar);
  for (int j = 0; j < d; j++)
    ystar[j] = ystar[j] / hypot(ystar[j], cs) + gamma * ystar[j];
  hg_saddle_K(P, theta, ustar, tmp);
  for (int j = 0; j < d; j++)
    tmp[j] = ystar[j] + sigma * tmp[j];
  hg_saddle_prox_F(P, theta, sigma, tmp, tmp);
  double ey = dist(d, tmp, ystar);
  hg_saddle_Kt(P, theta, ystar, ub);
  for (int j = 0; j < n; j++)
    ub[j] = ustar[j] - tau * ub[j];
  hg_saddle_prox_G(P, theta, tau, ub, ub);
  double eu = dist(n, ub, ustar);
  fixed_ok = ey <= 1e-12 && eu <= 1e-12;
  check(fixed_ok, "%s: (u*, y* = F'(K u*)) is a fixed point of both prox steps: %.2e (dual), "
        "%.2e (primal)", label, ey, eu);
  for (int t = 2; t <= t_max; t += (t_max - 2) / 16) {
    hg_run r;
    hg_budget b;
    hg_run_opts o = {0};
    hg_budget_default(&b);
    b.t = b.k = t;
    o.with_reference = 1;
    if (hg_hypergrad(P, "piggyback", 0, NULL, theta, &b, &o, &r, &err)) {
      check(0, "%s: piggyback t = %d: %s", label, t, err.msg);
      ok = 0;
      break;
    }
    double ew = dist(n, r.w, ustar), ref = hg_nrm2(m, r.exact);
    int good = r.abs_error <= r.bound + 1e-15 * ref && ew <= r.eps + 1e-12 && !isnan(r.bound);
    if (!good)
      printf("     t = %d: error %.3e, bound %.3e, ||u - u*|| %.3e, eps %.3e\n", t,
             r.abs_error, r.bound, ew, r.eps);
    ok &= good;
    if (isfinite(r.bound) && r.abs_error > 1e-13 * ref)
      worst = fmax(worst, r.abs_error / r.bound);
    last_bound = r.bound / ref;
    hg_run_release(&r);
  }
  check(ok && worst > 1e-8 && last_bound < 1e-8, "%s: piggyback's saddle bound holds at t = k "
        "= 2 .. %d (largest error/bound %.2e), eps certifies ||u - u*||, and falls to %.2e "
        "relative", label, t_max, worst, last_bound);
done:
  free(theta);
  free(g);
  free(ustar);
  free(ystar);
  free(tmp);
  free(ub);
  hg_problem_destroy(&P);
}

/* piggyback's compute at (t, k) from w0 = 0 with the a-posteriori inputs measured into *pb;
 * grad gets n_theta entries.  Returns the status. */
static int compute_post(hg_problem *P, const double *theta, int t, int k, double *grad,
                        hg_posterior *pb)
{
  extern const hg_method_ops hg_method_piggyback;
  hg_params *mp = NULL;
  hg_error err;
  hg_ctx ctx;
  hg_out out;
  hg_budget b;
  double *w0 = calloc((size_t)P->n_w, sizeof *w0), *w = calloc((size_t)P->n_w, sizeof *w);
  double *v = calloc((size_t)P->n_w, sizeof *v);
  int rc = !w0 || !w || !v ? HG_ERR_NOMEM : HG_OK;

  memset(&ctx, 0, sizeof ctx);
  memset(&out, 0, sizeof out);
  memset(pb, 0, sizeof *pb);
  hg_error_clear(&err);
  hg_budget_default(&b);
  b.t = t;
  b.k = k;
  out.grad = grad;
  out.w = w;
  out.v = v;
  out.post = pb;
  if (!rc)
    rc = hg_params_parse(hg_method_piggyback.params, "piggyback", 0, NULL, &mp, &err);
  if (!rc)
    rc = hg_method_piggyback.compute(P, mp, theta, w0, &b, &ctx, &out, &err);
  if (rc)
    check(0, "piggyback compute t = %d k = %d: %s", t, k, err.msg);
  hg_params_destroy(&mp);
  free(w0);
  free(w);
  free(v);
  return rc;
}

/*
 * The adjoint certificate on its own: at one frozen PDHG point (t fixed), piggyback's ĝ(k)
 * differs from ĝ(k = 3000), whose adjoint states are those of the linearized system's exact
 * solution (X̄, Ȳ) to round-off, by b(ū, Ỹ - Ȳ) + b(X̃ - X̄, ỹ) (docs/theory.md), so
 *     ||ĝ(k) - ĝ(3000)|| <= B (||ū|| delta_y + ||ỹ|| delta_x)
 * must hold for the certified delta_x, delta_y of every k (k = t .. t + 60, t = 30; the
 * adjoint joins at step 0 and runs k - t frozen steps), and be informative (ratio > 1e-6).
 */
static void test_adjoint_certificate(const char *const *words)
{
  hg_problem *P = make(words);
  if (!P)
    return;
  int m = P->n_theta, t = 30, ok = 1;
  double *theta = malloc((size_t)m * sizeof *theta), *g = malloc((size_t)m * sizeof *g);
  double *ginf = malloc((size_t)m * sizeof *ginf), worst = 0;
  hg_posterior pb;
  hg_saddle_constants c;

  P->ops->theta0(P->self, theta);
  hg_saddle_constants_at(P, theta, &c);
  if (!theta || !g || !ginf || compute_post(P, theta, t, 3000, ginf, &pb))
    goto done;
  for (int k = t; k <= t + 60; k += 5) {
    if (compute_post(P, theta, t, k, g, &pb)) {
      ok = 0;
      break;
    }
    double diff = hg_dist(m, g, ginf);
    double cert = c.norm_dK * (pb.norm_x * pb.delta_y + pb.norm_y * pb.delta_x);
    ok &= diff <= cert * (1 + 1e-9) + 1e-14 * hg_nrm2(m, ginf);
    if (diff > 1e-13 * hg_nrm2(m, ginf))
      worst = fmax(worst, diff / cert);
  }
  check(ok && worst > 1e-6, "piggyback's certified adjoint distances bound the adjoint part of "
        "the error at a frozen PDHG point (t = 30, k = 30 .. 90; largest |g(k) - g(3000)| / "
        "B(|ubar| delta_y + |y| delta_x) = %.2e)", worst);
done:
  free(theta);
  free(g);
  free(ginf);
  hg_problem_destroy(&P);
}

/* Huber: F* has a kink and depends on theta, so the saddle bound is NaN (constants unknown). */
static void test_saddle_bound_huber(void)
{
  const char *words[] = {NULL};
  hg_problem *P = make(words);
  hg_run r;
  if (!P)
    return;
  double theta[1];
  P->ops->theta0(P->self, theta);
  if (!run(P, "piggyback", theta, 50, 50, 0, &r))
    check(isnan(r.bound) && isfinite(r.eps) && isfinite(r.delta),
          "Huber: piggyback's saddle bound is NaN (constants unknown), eps %.2e and delta %.2e "
          "are still certified", r.eps, r.delta);
  hg_run_release(&r);
  hg_problem_destroy(&P);
}

int main(void)
{
  testing_register_builtin();
  const char *defaults[] = {NULL};
  const char *wide[] = {"huber=0.2", "n_images=3", "size=12", "seed=2", NULL};
  const char *sharp[] = {"huber=0.02", "noise=0.05", "seed=5", "size=20", "n_images=1", NULL};
  /* steps for the perturbed filters' larger ||K|| (theta0's 1/L would not contract there) */
  const char *filters[] = {"operator=filters", "size=16", "n_images=2", "step=0.02", NULL};
  const char *filters5[] = {"operator=filters", "filters=3", "filter_size=5", "size=12",
                            "n_images=1", "seed=3", "step=0.01", NULL};
  hg_problem *P = make(defaults);

  if (P) {
    test_pdhg(P);
    test_prox_fd(P);
    test_images(P);
  }
  hg_problem_destroy(&P);
  test_agreement("default", defaults, NULL, 0);
  test_agreement("huber=0.2 3 x 12 x 12", wide, NULL, 0);
  test_agreement("huber=0.02 theta = -3", sharp, "-3", 0);
  test_agreement("learned K, 2 filters 3 x 3", filters, NULL, 7);
  test_agreement("learned K, 3 filters 5 x 5", filters5, NULL, 11);
  test_filters_start_at_D();
  test_counts();
  const char *charb[] = {"f=charbonnier", "charbonnier=0.05", "gamma=1", NULL};
  const char *charb_f[] = {"f=charbonnier", "operator=filters", "filters=3", "size=12",
                           "n_images=2", "charbonnier=0.05", "gamma=1", NULL};
  test_saddle_bound("Charbonnier-TV", charb, NULL, 98);
  test_saddle_bound("Charbonnier-TV theta = 0 (lam = 1: slower PDHG)", charb, "0", 866);
  test_saddle_bound("Charbonnier, 3 learned filters", charb_f, NULL, 98);
  test_saddle_bound_huber();
  test_adjoint_certificate(charb);
  test_adjoint_certificate(charb_f);
  printf("%s: %d of %d check(s) failed\n", failures ? "FAIL" : "PASS", failures, checks);
  return failures != 0;
}

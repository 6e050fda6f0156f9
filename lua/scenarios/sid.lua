-- sid.lua: stochastic implicit differentiation (Grazzi, Pontil, Salzo, "Convergence properties
-- of stochastic hypergradients", AISTATS 2021), reproduction (3) of issue 7:
--
--  1. the mean square error E||g - grad f||^2 of SID over 20 seeds against t (k = J = t,
--     mini-batches of 10 of 400 training examples) on a logistic regression, on log-log, with
--     the fitted power of t: DESIGN §7 gives O(1/t + 1/k + 1/J), so a slope near -1; and the
--     bias ||E g - grad f||^2 (hg.mse's unbiased estimate over the seeds), which should be a
--     small part of the MSE: the error is mostly the mini-batches' noise;
--  2. SID against full-batch AID-FP (k = t) on a large logistic problem, Fashion-MNIST
--     T-shirt/top against shirt (classes 0 and 6, 10 000 training and 2 000 validation images
--     at 14 x 14): the relative error against the work, counted in passes over the training
--     data (oracle calls times batch/n: a mini-batch product of b rows costs b/n of a full
--     one), and against wall time.  SID is ahead at small work (up to ~300 passes here);
--     AID-FP, linear in t, wins once many passes are affordable (600 passes here).
local hg = require "hgbench"

-- 1. MSE against t --------------------------------------------------------------------------
local small = hg.problem("logreg", {n = 400, n_val = 200, d = 20, seed = 1})
local BATCH = 10
local runs = hg.sweep{problems = {small}, methods = {{"sid", {batch = BATCH}}},
                      t = hg.range(100, 6400, 7, "log"), k = "t", seeds = 20, theta = -2}
local mse = hg.mse(runs)
local _, fits = hg.expect_slope(mse, {within = {-1.3, -0.7},
                                      message = "SID's MSE falls like t^-1 (DESIGN §7)"})
local f = fits[1] or {}
hg.plot{runs = mse, x = "t", y = "mse", logx = true, logy = true, bound = false,
        name = "sid_mse_vs_t", ylabel = "mean square error E||g - grad f||^2 (20 seeds)",
        title = string.format("SID on logreg (n = 400, d = 20, batch 10): MSE against t "
                              .. "(k = J = t), fitted slope %.2f (theory -1)", f.slope or 0 / 0)}
hg.table{title = "SID mean square error against t (k = J = t): fitted power law",
         columns = {"problem", "batch", "seeds", "t range", "slope", "95 % interval", "theory"},
         rows = {{"logreg n=400 d=20", BATCH, 20, "100 - 6400", f.slope,
                  f.lo and string.format("[%.3f, %.3f]", f.lo, f.hi), -1}}}
-- bias against variance: bias2 estimates ||E g - grad f||^2 without the seeds' sampling noise
-- (which ||mean e||^2 carries: MSE/20 of it); its own noise is a few percent of the MSE here,
-- so 1/4 of the MSE leaves room for the noise and would still catch a bias that does not fall
-- with t (at large t it would be the whole MSE)
local brows, worst = {}, 0
for _, r in ipairs(mse) do
  brows[#brows + 1] = {r.t, r.mse, r.bias, r.bias2, r.bias2 / r.mse}
  worst = math.max(worst, r.bias2 / r.mse)
end
hg.table{title = "SID bias and variance over 20 seeds (k = J = t)",
         columns = {"t", "MSE E‖g − ∇f‖²", "‖mean error‖", "bias² (unbiased estimate)",
                    "bias² / MSE"}, rows = brows}
hg.expect(#brows > 0 and worst <= 0.25,
          string.format("SID's squared bias is at most 1/4 of its MSE at every t (largest "
                        .. "ratio %.3f): its error is mostly variance", worst))

-- 2. SID against full-batch AID-FP on Fashion-MNIST ------------------------------------------
local N, SB = 10000, 100
local big = hg.problem("logreg", {data = "fashion-mnist", classes = "0,6", n = N, n_val = 2000,
                                  downsample = 14, seed = 0})
local stoch = hg.sweep{problems = {big}, methods = {{"sid", {batch = SB}}},
                       t = hg.range(10, 20000, 12, "log"), k = "t", seeds = 5}
local full = hg.sweep{problems = {big}, methods = {"aid-fp"}, t = hg.range(1, 300, 12, "log"),
                      k = "t"}
-- work in passes over the training data, on each run (a plain field hg.plot can draw)
local both = {}
for _, list in ipairs({stoch, full}) do
  for _, r in ipairs(list) do
    r.passes = r.calls * (r.method == "sid" and SB / N or 1)
    both[#both + 1] = r
  end
end
hg.plot{runs = both, x = "passes", logx = true, bound = false, name = "sid_vs_aid_work",
        xlabel = "work: passes over the training data (oracle calls x batch / n)",
        title = "Fashion-MNIST 0 vs 6 (n = 10000, 14x14): SID (batch 100) vs full-batch AID-FP"}
hg.plot{runs = both, x = "wall_s", logx = true, bound = false, name = "sid_vs_aid_time",
        title = "Fashion-MNIST 0 vs 6 (n = 10000, 14x14): error against wall time"}

-- the paper's point: at equal small work SID is the more accurate; the median over seeds of
-- SID's error at its budgets of at most 30 passes against the best AID-FP run of no more work
local function median(v)
  table.sort(v)
  local m = (#v + 1) // 2
  return #v % 2 == 1 and v[m] or 0.5 * (v[m] + v[m + 1])
end
local by_t = {}
for _, r in ipairs(stoch) do
  if r.status == "ok" then
    by_t[r.t_budget] = by_t[r.t_budget] or {passes = r.passes, errs = {}}
    table.insert(by_t[r.t_budget].errs, r.rel_error)
  end
end
local rows, ahead, compared, last = {}, 0, 0, nil
for t, e in pairs(by_t) do
  local best
  for _, r in ipairs(full) do
    if r.status == "ok" and r.passes <= e.passes and (not best or r.rel_error < best) then
      best = r.rel_error
    end
  end
  local sid_err = median(e.errs)
  rows[#rows + 1] = {t, e.passes, sid_err, best}
  if e.passes <= 100 and best then
    compared = compared + 1
    ahead = ahead + (sid_err < best and 1 or 0)
  end
end
table.sort(rows, function(a, b) return a[1] < b[1] end)
last = rows[#rows]
hg.table{title = "SID (batch 100, median of 5 seeds) against the best full-batch AID-FP run of "
         .. "no more work", columns = {"SID t = k = J", "passes", "SID rel. error",
                                       "best AID-FP rel. error at <= passes"}, rows = rows}
hg.expect(compared >= 3 and ahead == compared,
          string.format("SID is more accurate than full-batch AID-FP at equal work up to 100 "
                        .. "passes (%d of %d budgets)", ahead, compared))
-- and the other side: AID-FP's error falls linearly in t, SID's like t^-1/2, so with enough
-- work the full-batch method wins
hg.expect(last and last[4] and last[4] < last[3],
          string.format("full-batch AID-FP is the more accurate at %.0f passes (%.3g against "
                        .. "SID's %.3g)", last and last[2] or 0 / 0, last and last[4] or 0 / 0,
                        last and last[3] or 0 / 0))

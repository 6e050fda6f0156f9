-- outer_tv.lua: outer loops on learned TV denoising (DESIGN §2.3; issue 7, reproduction 1).
-- Learn theta = (log TV weight, log smoothing) of denoise-tv on Fashion-MNIST test images
-- with the adaptively inexact MAID (Salehi, Mukherjee, Roberts, Ehrhardt 2023), the paper's
-- fixed-accuracy baselines (MAID's certified backtracking at a fixed eps = delta: the authors'
-- fixed_eps runs, maid adaptive=0), hypergradient descent with a hand-tuned fixed step (hgd),
-- and HOAG (Pedregosa 2016) with its three accuracy schedules, all from theta0 with AID-CG
-- (FISTA lower solver, warm starts) and the same work budget: every run stops at the first
-- step whose cumulative lower + CG iterations reach `budget`.  The loss is the exact upper
-- objective f(theta) (the harness's direct solve, outside the costs).  Phi's step 0.01 keeps
-- Phi contractive while the weight/smoothing ratio e^(theta_1 - theta_2) stays below ~50 (the
-- runs reach at most 26).  The fixed-accuracy baselines backtrack 5 (+j) times, as the
-- authors' fixed_eps runs.
--
-- What reproduces: MAID goes on where fixed accuracy stalls (eps = 1e-1 never passes the
-- certified test, 1e-3 stops near 1.208) and every step it accepts decreases f.  What does
-- not: MAID is NOT ahead of HOAG (any schedule), nor of fixed eps = 1e-5, nor of the hand-tuned
-- hgd, at equal work.  MAID's omega is hgbench's certified bound (docs/theory.md, "Why MAID
-- does not win on outer_tv"), which on smoothed TV carries the global Lipschitz constant
-- nu1 ~ lam/s^2 of d_w Phi (measured 5e3-2e5 times the true error at Phi's step 0.02), so
-- MAID tightens eps early: the table's "eps at 3000" column (HOAG's geometric and quadratic
-- schedules at 3-5e-5 there, MAID at 6e-7); its certified line search asks eps ~ alpha
-- ||z||^2 / (4 ||grad_w E||) on top.  The run with omega scaled by 1e-6 (maid omega_scale=,
-- uncertified: as if the error estimate were perfect) shows that omega is not the whole
-- story: its line search still asks eps ~1e-5 late in the run, its step starts at
-- beta0 = 0.1 and grows by 10/9 per step, and it stays behind HOAG.
local hg = require "hgbench"

local P = hg.problem("denoise-tv", {images = "fashion-mnist", n_images = 4, size = 28,
                                    step = 0.01, seed = 0})
local budget = 10000
local method, mparams = "aid-cg", {lower = "fista"}
local function fixed(eps) return {adaptive = 0, eps0 = eps, delta0 = eps, max_backtracks = 5} end
local loops = {
  {"maid", {}, "MAID"},
  {"maid", {omega_scale = 1e-6}, "MAID, omega x 1e-6 (uncertified)"},
  {"maid", fixed(1e-1), "fixed accuracy 1e-1 (line search)"},
  {"maid", fixed(1e-3), "fixed accuracy 1e-3 (line search)"},
  {"maid", fixed(1e-5), "fixed accuracy 1e-5 (line search)"},
  {"hgd", {step = 0.5, eps = 1e-3}, "fixed accuracy 1e-3, hand-tuned step 0.5"},
  {"hoag", {schedule = "geometric"}, "HOAG, eps0 0.9^k"},
  {"hoag", {schedule = "quadratic"}, "HOAG, eps0/(k+1)^2"},
  {"hoag", {schedule = "cubic"}, "HOAG, eps0/(k+1)^3"},
}

local results = {}
for _, l in ipairs(loops) do
  local res = hg.optimize(P, {outer = l[1], outer_params = l[2], method = method,
                              method_params = mparams, max_work = budget, label = l[3]})
  hg.expect(res.status == "ok" and res[#res].work >= budget,
            string.format("%s: ran to the work budget (%s, work %d)", l[3], res.status,
                          res[#res].work))
  results[#results + 1] = res
end
local maid, fixed1, fixed3 = results[1], results[3], results[4]

-- every step a certified line search accepts is a true decrease of f (MAID and the fixed
-- baselines share it)
local accepted = {}
for _, res in ipairs(results) do
  local bad, acc = 0, 0
  for s = 2, #res do
    if res[s].accepted then
      acc = acc + 1
      if not (res[s].f < res[s - 1].f) then bad = bad + 1 end
    end
  end
  accepted[res] = acc
  if res.outer == "maid" then -- (fixed accuracy 1e-1 accepts none: checked below)
    hg.expect(bad == 0 and (acc > 0 or res == fixed1),
              string.format("%s: all %d accepted steps decrease the exact f", res.label, acc))
  end
end
for _, res in ipairs(results) do
  if res ~= fixed1 then
    hg.expect(res[#res].f < res[1].f, string.format("%s decreases the exact f: %.6g -> %.6g",
                                                    res.label, res[1].f, res[#res].f))
  end
end
-- the paper's observation on fixed accuracy: too loose an eps stalls (no certified decrease)
-- and a moderate one stops early, where MAID's adaptive eps goes on
hg.expect(accepted[fixed1] == 0,
          string.format("fixed accuracy 1e-1 stalls at theta0 (%d steps accepted)",
                        accepted[fixed1]))
local fm = hg.loss_at_work(maid, budget)
hg.expect(fm < hg.loss_at_work(fixed3, budget) and fm < hg.loss_at_work(fixed1, budget),
          string.format("MAID below fixed accuracy 1e-1 and 1e-3 within the budget: %.6g "
                        .. "against %.6g and %.6g", fm, hg.loss_at_work(fixed1, budget),
                        hg.loss_at_work(fixed3, budget)))

-- the eps of the last row within `work`
local function eps_at(res, work)
  local e = 0 / 0
  for _, r in ipairs(res) do if r.work <= work then e = r.eps end end
  return e
end
local rows, fbest = {}, math.huge
for _, res in ipairs(results) do
  fbest = math.min(fbest, hg.loss_at_work(res, math.huge))
  local function f5(w) return string.format("%.5f", hg.loss_at_work(res, w)) end
  rows[#rows + 1] = {res.label, f5(budget / 10), f5(budget * 3 / 10), f5(budget), #res,
                     res[#res].wall_s, eps_at(res, budget * 3 / 10)}
end
hg.table{title = string.format("denoise-tv, Fashion-MNIST (4 images, 28 x 28): lowest f within "
                               .. "%d, %d and %d lower + CG iterations", budget // 10,
                               budget * 3 // 10, budget),
         columns = {"outer loop", "f at " .. budget // 10, "f at " .. budget * 3 // 10,
                    "f at " .. budget, "rows", "time [s]", "ε at " .. budget * 3 // 10},
         rows = rows}

-- the suboptimality against the lowest f any run reached, less 1e-6 so that the best run
-- stays on the log axis
local fref = fbest - 1e-6
for _, res in ipairs(results) do
  for _, r in ipairs(res) do r.gap = r.f - fref end
end
hg.plot_optimize(results, {name = "tv_loss_vs_work",
                           title = "denoise-tv (Fashion-MNIST): upper loss against work"})
hg.plot_optimize(results, {name = "tv_gap_vs_work", y = "gap",
                           ylabel = string.format("f - %.7f (lowest f seen - 1e-6)", fref),
                           title = "denoise-tv (Fashion-MNIST): suboptimality against work"})
hg.plot_optimize(results, {name = "tv_loss_vs_time", x = "time",
                           title = "denoise-tv (Fashion-MNIST): upper loss against time"})
hg.plot_optimize(results, {name = "tv_psnr_vs_work", y = "psnr", pixels = 28 * 28,
                           title = "denoise-tv (Fashion-MNIST): PSNR of the learned denoiser "
                                   .. "against work"})

-- outer_tv.lua: outer loops on learned TV denoising (DESIGN §2.3; issue 7, reproduction 1).
-- Learn theta = (log TV weight, log smoothing) of denoise-tv on Fashion-MNIST test images
-- with the adaptively inexact MAID (Salehi, Mukherjee, Roberts, Ehrhardt 2023), hypergradient
-- descent at a fixed accuracy (hgd), and HOAG (Pedregosa 2016) with its three accuracy
-- schedules, all from theta0 with AID-CG (FISTA lower solver, warm starts).  The loss is the
-- exact upper objective f(theta) (the harness's direct solve, outside the costs) against the
-- cumulative lower + CG iterations, and against time.  The step of Phi is fixed (0.02: Phi
-- stays contractive while the learned weight/smoothing ratio stays below 25).
--
-- What this shows, unlike the paper: MAID does NOT reach the lowest loss at equal work here
-- (HOAG's geometric schedule does).  MAID's omega is hgbench's certified bound (docs/theory.md,
-- "Outer loops"), which on smoothed TV carries the global Lipschitz constant nu1 ~ lam/s^2 of
-- d_w Phi (s the smoothing): omega/eps grows from ~8e2 at theta0 to ~3.5e4 after 40 steps while
-- the true error stays ~0.2 eps, so MAID asks eps ~1e-6 where 1e-3 does; the authors' code
-- estimates its omega (uncertified) instead.  The "final eps" column shows it.  Every loop
-- runs with its published defaults (MAID, HOAG) or a reasonable fixed step (hgd).
local hg = require "hgbench"

local P = hg.problem("denoise-tv", {images = "fashion-mnist", n_images = 4, size = 28,
                                    step = 0.02, seed = 0})
local steps = 40
local method, mparams = "aid-cg", {lower = "fista"}
local loops = {
  {"maid", {}, "MAID"},
  {"hgd", {step = 0.5, eps = 1e-3}, "fixed accuracy (eps = delta = 1e-3)"},
  {"hoag", {schedule = "geometric"}, "HOAG, eps0 0.9^k"},
  {"hoag", {schedule = "quadratic"}, "HOAG, eps0/(k+1)^2"},
  {"hoag", {schedule = "cubic"}, "HOAG, eps0/(k+1)^3"},
}

local results = {}
for _, l in ipairs(loops) do
  local res = hg.optimize(P, {outer = l[1], outer_params = l[2], method = method,
                              method_params = mparams, steps = steps, label = l[3]})
  hg.expect(res.status == "ok", l[3] .. ": ran all steps (" .. res.status .. ")")
  local f0, fl = res[1].f, res[#res].f
  hg.expect(fl < f0, string.format("%s decreases the exact f: %.6g -> %.6g", l[3], f0, fl))
  results[#results + 1] = res
end

-- every step MAID accepts is a true decrease of f (its line search is certified)
local maid = results[1]
local bad, acc = 0, 0
for i = 2, #maid do
  if maid[i].accepted then
    acc = acc + 1
    if not (maid[i].f < maid[i - 1].f) then bad = bad + 1 end
  end
end
hg.expect(acc > 0 and bad == 0, string.format("MAID: all %d accepted steps decrease the exact f",
                                              acc))

-- the loss each loop reached within the work of the cheapest run
local common = math.huge
for _, res in ipairs(results) do common = math.min(common, res[#res].work) end
local rows = {}
for _, res in ipairs(results) do
  local last = res[#res]
  rows[#rows + 1] = {res.label, hg.loss_at_work(res, common), last.f, last.work, last.wall_s,
                     last.grad_norm, last.eps}
end
hg.table{title = string.format("denoise-tv, Fashion-MNIST: loss at equal work (%d lower + CG "
                               .. "iterations) and after %d steps", common, steps),
         columns = {"outer loop", "f at equal work", "final f", "work", "time [s]",
                    "final ‖∇f‖", "final ε"},
         rows = rows}
hg.plot_optimize(results, {name = "tv_loss_vs_work",
                           title = "denoise-tv (Fashion-MNIST): upper loss against work"})
hg.plot_optimize(results, {name = "tv_loss_vs_time", x = "time",
                           title = "denoise-tv (Fashion-MNIST): upper loss against time"})

-- outer_equilibrium.lua: the projected inexact hypergradient method (Grazzi, Pontil, Salzo,
-- JMLR 2023) on the equilibrium model (DESIGN §2.3, §3; issue 7, reproduction 4), with and
-- without warm start of the lower level.  theta = (A, B, c, U, u0) of an implicit-depth
-- classifier on Fashion-MNIST (14 x 14); the feasible set keeps ||A||_2 <= 0.9 (the problem's
-- project op, so Phi stays a contraction).  The hypergradient is AID-FP at a fixed budget
-- t = k (2 steps, warm and cold; 10 steps cold) or at a fixed accuracy eps = delta = 1e-6.
-- The loss is the exact f(theta) against the cumulative lower + linear iterations.
local hg = require "hgbench"

local P = hg.problem("equilibrium", {data = "fashion-mnist", downsample = 14, seed = 0,
                                     a_norm = 0.8})
local steps = 60
local runs = {
  {label = "warm start, t = k = 2", warm = true, t = 2, k = 2},
  {label = "no warm start, t = k = 2", warm = false, t = 2, k = 2},
  {label = "no warm start, t = k = 10", warm = false, t = 10, k = 10},
  {label = "warm start, eps = 1e-6", warm = true, eps = 1e-6},
  {label = "no warm start, eps = 1e-6", warm = false, eps = 1e-6},
}

local results = {}
for _, r in ipairs(runs) do
  local res = hg.optimize(P, {outer = "projected", outer_params = {step = 0.2, eps = r.eps},
                              method = "aid-fp", t = r.t, k = r.k, warm = r.warm,
                              steps = steps, label = r.label})
  hg.expect(res.status == "ok", r.label .. ": ran all steps (" .. res.status .. ")")
  local f0, fl = res[1].f, res[#res].f
  hg.expect(fl < f0, string.format("%s decreases the exact f: %.6g -> %.6g", r.label, f0, fl))
  results[#results + 1] = res
end

local rows = {}
for _, res in ipairs(results) do
  local last = res[#res]
  rows[#rows + 1] = {res.label, res[1].f, last.f, last.lower, last.linear, last.wall_s}
end
hg.table{title = string.format("equilibrium, Fashion-MNIST 14 x 14: projected method, %d steps "
                               .. "of 0.2", steps),
         columns = {"run", "f(theta0)", "final f", "lower iterations", "linear iterations",
                    "time [s]"},
         rows = rows}
-- with a tolerance, warm starts save lower iterations for the same accuracy
hg.expect(results[4][#results[4]].lower < results[5][#results[5]].lower,
          string.format("warm start needs fewer lower iterations at eps = 1e-6 (%d vs %d)",
                        results[4][#results[4]].lower, results[5][#results[5]].lower))
hg.plot_optimize(results, {name = "eq_loss_vs_work",
                           title = "equilibrium (Fashion-MNIST): projected method, loss against work"})
hg.plot_optimize(results, {name = "eq_loss_vs_time", x = "time",
                           title = "equilibrium (Fashion-MNIST): projected method, loss against time"})

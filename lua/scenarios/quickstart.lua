-- quickstart.lua: the README's main job.  Every hypergradient method on the three built-in
-- problems (seeded synthetic data), error against the lower-level budget t (with k = t), the
-- linear-solver budget k, wall time and Jacobian-vector products, over 3 seeds (median and
-- 10-90 % band).  Writes results.tsv, the plots and report.md; a few seconds on 2 cores.
--
--   ./build/hgbench run lua/scenarios/quickstart.lua        (output in out/quickstart/)
local hg = require "hgbench"

local problems = {
  {"quadratic", {n = 40, m = 8, kappa = 10}},
  {"ridge", {n = 400, d = 40}},
  {"logreg", {n = 400, d = 40}},
}
local theta = {quadratic = nil, ridge = -3, logreg = -3}
local legend = {
  ["itd"] = "ITD (reverse)", ["itd-forward"] = "ITD (forward)", ["tbptt"] = "TBPTT (K = 10)",
  ["aid-fp"] = "AID-FP", ["aid-cg"] = "AID-CG", ["neumann"] = "Neumann", ["jfb"] = "JFB",
}
local T = 400 -- the large budget

for _, p in ipairs(problems) do
  local name = p[1]

  -- error against t, with k = t for the linear solves (equal budgets for ITD and AID)
  local vs_t = hg.sweep{
    problems = {p}, theta = theta[name], seeds = 3, K = 10, k = "t",
    methods = {"itd", "itd-forward", "tbptt", "aid-fp", "aid-cg", "neumann", "jfb"},
    t = hg.range(1, T, 12, "log"),
  }
  hg.plot{runs = vs_t, x = "t", name = name .. "_error_vs_t", legend = legend,
          title = name .. ": hypergradient error against lower-level iterations"}
  hg.plot{runs = vs_t, x = "wall_s", logx = true, name = name .. "_error_vs_time",
          legend = legend, title = name .. ": hypergradient error against wall time"}
  hg.plot{runs = vs_t, x = "calls", logx = true, name = name .. "_error_vs_calls",
          legend = legend, title = name .. ": hypergradient error against oracle calls"}

  -- error against k: the lower level is converged (t large), the linear solve is the budget
  local vs_k = hg.sweep{
    problems = {p}, theta = theta[name], seeds = 3, t = T,
    methods = {"aid-fp", "aid-cg", "neumann"}, k = hg.range(1, 200, 10, "log"),
  }
  hg.plot{runs = vs_k, x = "k", name = name .. "_error_vs_k", legend = legend,
          title = name .. ": hypergradient error against linear-solver iterations"}

  -- at the largest budgets every consistent method has converged
  local final = {}
  for _, r in ipairs(vs_t) do
    if r.t_budget == T and r.method ~= "jfb" and r.method ~= "tbptt" then final[#final + 1] = r end
  end
  hg.expect_below(final, "rel_error", 1e-8,
                  name .. ": itd, itd-forward, aid-fp, aid-cg, neumann reach 1e-8 at t = k = " .. T)
end

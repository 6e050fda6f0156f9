-- quickstart.lua: the README's main job.  Every hypergradient method of the registry that
-- iterates the lower level (the list comes from hg.methods(), so a new method joins) on the
-- three built-in problems (seeded synthetic data), error against the lower-level budget t
-- (with k = t), the linear-solver budget k, wall time and Jacobian-vector products, over 3
-- seeds (median and 10-90 % band).  Writes results.tsv, the plots and report.md; a few seconds on 2 cores.
--
--   ./build/hgbench run lua/scenarios/quickstart.lua        (output in out/quickstart/)
local hg = require "hgbench"

local problems = {
  {"quadratic", {n = 40, m = 8, kappa = 10}},
  {"ridge", {n = 400, d = 40}},
  {"logreg", {n = 400, d = 40}},
}
local theta = {quadratic = nil, ridge = -3, logreg = -3}
local T = 400 -- the large budget

-- The methods come from the registry: every deterministic method that iterates the lower level
-- (budget t) and needs nothing but Phi and its products; along k, those that also read k.  The
-- legend is each method's display name (TBPTT with its K); the consistent ones (not biased)
-- must reach 1e-8 at the large budget.
local along_t, along_k, consistent, legend = {}, {}, {}, {}
for _, m in ipairs(hg.methods()) do
  local plain = not (m.stochastic or m.needs.exact or m.needs.saddle or m.needs.sample)
  if plain and m.budgets.t then
    along_t[#along_t + 1] = m.name
    if m.budgets.k then along_k[#along_k + 1] = m.name end
    if not m.biased then consistent[m.name] = true end
    legend[m.name] = m.budgets.K and m.display .. " (K = 10)" or m.display
  end
end

for _, p in ipairs(problems) do
  local name = p[1]

  -- error against t, with k = t for the linear solves (equal budgets for ITD and AID)
  local vs_t = hg.sweep{
    problems = {p}, theta = theta[name], seeds = 3, K = 10, k = "t",
    methods = along_t, t = hg.range(1, T, 12, "log"),
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
    methods = along_k, k = hg.range(1, 200, 10, "log"),
  }
  hg.plot{runs = vs_k, x = "k", name = name .. "_error_vs_k", legend = legend,
          title = name .. ": hypergradient error against linear-solver iterations"}

  -- at the largest budgets every consistent method has converged
  local final, names = {}, {}
  for _, r in ipairs(vs_t) do
    if r.t_budget == T and consistent[r.method] then final[#final + 1] = r end
  end
  for _, m in ipairs(along_t) do
    if consistent[m] then names[#names + 1] = m end
  end
  hg.expect_below(final, "rel_error", 1e-8, name .. ": " .. table.concat(names, ", ") ..
                  " reach 1e-8 at t = k = " .. T)
end

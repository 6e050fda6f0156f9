-- quadratic.lua: the cleanest test of every rate (DESIGN §3 "quadratic").  Error against t
-- for ITD, AID-FP, AID-CG and Neumann at three condition numbers; over 3 seeds (each seed a
-- new random spectrum basis and data).
local hg = require "hgbench"

for _, kappa in ipairs({10, 100, 1000}) do
  local T = math.ceil(30 * kappa) -- q = 1 - 1/kappa for step 1/L: q^T = e^-30
  local runs = hg.sweep{
    problems = {{"quadratic", {n = 30, m = 5, kappa = kappa}}}, seeds = 3,
    methods = {"itd", "aid-fp", "aid-cg", "neumann"},
    t = hg.range(1, T, 14, "log"), k = T,
  }
  hg.plot{runs = runs, x = "t", name = "quadratic_kappa" .. kappa,
          title = "quadratic, kappa = " .. kappa .. ": error against lower iterations"}
  local last = {}
  for _, r in ipairs(runs) do
    if r.t_budget == T then last[#last + 1] = r end
  end
  hg.expect_below(last, "rel_error", 1e-8, "kappa = " .. kappa .. ": all methods reach 1e-8")
end

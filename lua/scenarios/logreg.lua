-- logreg.lua: logistic regression with per-feature L2 (DESIGN §3).  Tolerance-driven runs:
-- the lower loop stops at ||w - Phi(w)|| <= eps and the linear solver at residual <= eps;
-- error against the tolerance for AID-FP and AID-CG, and the iterations each needed.
local hg = require "hgbench"

local P = {"logreg", {n = 1000, d = 50, density = 0.2, seed = 3}}
local runs = hg.sweep{
  problems = {P}, theta = -4, methods = {"aid-fp", "aid-cg", "itd"},
  t = 100000, k = 100000,
  tol_lower = {1e-2, 1e-4, 1e-6, 1e-8, 1e-10}, tol_linear = {1e-2, 1e-4, 1e-6, 1e-8, 1e-10},
}
local diagonal = {}
for _, r in ipairs(runs) do
  if r.tol_lower == r.tol_linear then diagonal[#diagonal + 1] = r end
end
hg.plot{runs = diagonal, x = "tol_lower", logx = true, name = "logreg_error_vs_tol",
        xlabel = "tolerance eps (lower and linear)",
        title = "logreg 1000 x 50: error against the tolerance"}
hg.plot{runs = diagonal, x = "t", name = "logreg_error_vs_t_used",
        xlabel = "lower-level iterations used",
        title = "logreg 1000 x 50: error against the iterations the tolerance needed"}
local tight = {}
for _, r in ipairs(diagonal) do
  if r.tol_lower == 1e-10 then tight[#tight + 1] = r end
end
hg.expect_below(tight, "rel_error", 1e-7, "eps = 1e-10 gives a hypergradient within 1e-7")

-- poisoning.lua: data poisoning on Fashion-MNIST (DESIGN §3 "poison").  The attacker perturbs
-- the first 5 % of the training images of a multinomial logistic regression (T-shirt/top,
-- class 0, against shirt, class 6; 300 training and 150 clean validation images of 14 x 14
-- from the training split, seed 1) to raise the clean validation loss; the hyperparameters are
-- the 15 perturbations, m = 15 x 196 = 2940.  At a poisoned point (every pixel of every
-- perturbation +0.05, ||theta_i|| = 0.7 inside the radius-1 balls) the hypergradient methods
-- are compared by their error against cost: oracle calls (Phi and Jacobian products) and wall
-- time, k = t, each DESIGN §7 bound dashed; the table gives the cheapest run of each method
-- below 1e-6 relative error.  lambda = 0.5 keeps q = 0.973 there (833 lower steps to 1e-10).
local hg = require "hgbench"

local TARGET = 1e-6
local P = hg.problem("poison", {data = "fashion-mnist", classes = "0,6", downsample = 14,
                                n = 300, n_val = 150, fraction = 0.05, lambda = 0.5, seed = 1})
local theta = 0.05
local info = P:info(theta)
local T = math.ceil(math.log(1e-10) / math.log(info.q))

local methods = {"itd", "tbptt", "aid-fp", "aid-cg", {"aid-cg", {lower = "fista"}},
                 "aid-gmres", "neumann", "jfb"}
local runs = hg.sweep{problems = {P}, methods = methods, t = hg.range(2, T, 24, "log"), k = "t",
                      K = 10, theta = theta}
for _, x in ipairs({"calls", "wall_s"}) do
  hg.plot{runs = runs, x = x, logx = true, name = "poison_error_vs_" .. x,
          title = "poisoning Fashion-MNIST 0 vs 6 (14 x 14): hypergradient error against "
                  .. (x == "calls" and "oracle calls" or "wall time") .. " (k = t)"}
end
hg.check_bounds(runs, "every error within its DESIGN §7 bound (or omega for FISTA)")

-- at the largest budget every consistent method has converged (TBPTT and JFB keep a bias)
local final = {}
for _, r in ipairs(runs) do
  if r.t_budget == T and not hg.method(r.method).biased then final[#final + 1] = r end
end
hg.expect_below(final, "rel_error", 1e-8,
                "ITD and the implicit methods within 1e-8 of exact at t = k = " .. T)

-- the cheapest run of each method below the target: calls and wall time
local rows = {}
for _, m in ipairs(methods) do
  local name = type(m) == "table" and m[1] .. " lower=fista" or m
  local best
  for _, r in ipairs(runs) do
    local rname = r.method .. (r.method_params ~= "" and " " .. r.method_params or "")
    if rname == name and r.status == "ok" and r.rel_error <= TARGET and
       (not best or r.calls < best.calls) then
      best = r
    end
  end
  rows[#rows + 1] = {name, best and best.t_budget, best and best.calls,
                     best and string.format("%.3g", best.wall_s)}
end
hg.table{title = string.format("cheapest run with relative error <= %g (n_w = %d, m = %d, q = %.4g)",
                               TARGET, info.n_w, info.n_theta, info.q),
         columns = {"method", "t = k", "oracle calls", "wall time [s]"}, rows = rows}

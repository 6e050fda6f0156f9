-- published_outer.lua: the configurations of the MAID-vs-HOAG comparisons of issue 20
-- (lua/scenarios/outer_foe.lua, outer_logreg_multi.lua), loaded with dofile: a list of
-- {outer loop, its parameters, label}.  MAID in both omega modes with the publication's
-- beta0 = 0.01; HOAG with each first-step rule and the authors' step rule; the authors'
-- fixed-accuracy runs (MAID's certified line search at a fixed eps = delta, 5 (+j) backtracks)
-- at three tolerances.
local function fixed(eps)
  return {adaptive = 0, eps0 = eps, delta0 = eps, max_backtracks = 5, beta0 = 0.01}
end
return {
  {"maid", {beta0 = 0.01}, "MAID, certified omega"},
  {"maid", {beta0 = 0.01, omega = "estimated"}, "MAID, estimated omega (uncertified)"},
  {"hoag", {}, "HOAG, init pedregosa"},
  {"hoag", {init = "norm-sqrt-m"}, "HOAG, init norm-sqrt-m"},
  {"hoag", {init = "norm-sqrt-m", rule = "authors"}, "HOAG, init norm-sqrt-m, authors' rule"},
  {"hoag", {init = "fixed:0.1"}, "HOAG, first step 0.1"},
  {"maid", fixed(1e-1), "fixed accuracy 1e-1"},
  {"maid", fixed(1e-2), "fixed accuracy 1e-2"},
  {"maid", fixed(1e-3), "fixed accuracy 1e-3"},
}

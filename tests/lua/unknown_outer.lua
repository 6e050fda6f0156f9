-- hg.optimize with an outer loop that does not exist: a Lua error naming it (exit 2).
local P = hg.problem("ridge")
hg.optimize(P, {outer = "nosuch", method = "aid-cg", steps = 2})

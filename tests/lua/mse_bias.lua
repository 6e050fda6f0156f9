-- mse_bias.lua: hg.mse's mse, bias and bias2 against values computed by hand (no runs: run
-- tables as hg.hypergrad returns them, with hypergrad and exact vectors).
--   errors e_1 = (1, 0), e_2 = (3, 0), e_3 = (2, 3) at one budget:
--     mse = (1 + 9 + 13)/3 = 23/3, mean e = (2, 1), bias = sqrt 5,
--     bias2 = (3 * 5 - 23/3)/2 = 11/3;
--   a run without vectors (resumed) at another budget: bias and bias2 NaN, mse still 4.
local hg = require "hgbench"

local function run(t, e, vectors)
  local r = {problem = "p", problem_params = "", method = "m", method_params = "", t_budget = t,
             k_budget = t, status = "ok", calls = 10, wall_s = 1,
             abs_error = math.sqrt(e[1] ^ 2 + e[2] ^ 2)}
  if vectors then r.hypergrad, r.exact = {5 + e[1], -1 + e[2]}, {5, -1} end
  return r
end
local rows = hg.mse{run(10, {1, 0}, true), run(10, {3, 0}, true), run(10, {2, 3}, true),
                    run(20, {2, 0}, false)}
local a, b = rows[1], rows[2]
local function near(x, y) return math.abs(x - y) <= 1e-14 * math.max(1, math.abs(y)) end
hg.expect(#rows == 2 and a.count == 3 and near(a.mse, 23 / 3),
          string.format("mse over 3 seeds = 23/3 (%.17g)", a.mse))
hg.expect(near(a.bias, math.sqrt(5)), string.format("bias = ||mean e|| = sqrt 5 (%.17g)", a.bias))
hg.expect(near(a.bias2, 11 / 3), string.format("bias2 = (S ||mean e||^2 - mse)/(S - 1) = 11/3 "
                                               .. "(%.17g)", a.bias2))
hg.expect(b.count == 1 and near(b.mse, 4) and b.bias ~= b.bias and b.bias2 ~= b.bias2,
          "without vectors: mse 4, bias and bias2 NaN")

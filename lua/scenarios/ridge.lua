-- ridge.lua: ridge regression with per-feature L2 (DESIGN §3), the same data stored densely
-- and as CSR: error against wall time for each method, and the two storages must agree.
local hg = require "hgbench"

local legend = {["itd"] = "ITD", ["aid-fp"] = "AID-FP", ["aid-cg"] = "AID-CG",
                ["neumann"] = "Neumann", ["jfb"] = "JFB"}
local base = {n = 2000, d = 200, density = 0.05, seed = 7}
for _, storage in ipairs({"sparse", "dense"}) do
  local params = {storage = storage}
  for k, v in pairs(base) do params[k] = v end
  local runs = hg.sweep{
    problems = {{"ridge", params}}, theta = -4,
    methods = {"itd", "aid-fp", "aid-cg", "neumann", "jfb"},
    t = hg.range(1, 300, 10, "log"), k = 300,
  }
  hg.plot{runs = runs, x = "wall_s", logx = true, legend = legend,
          name = "ridge_" .. storage .. "_error_vs_time",
          title = "ridge 2000 x 200 (" .. storage .. "): error against wall time"}
  hg.plot{runs = runs, x = "t", legend = legend, name = "ridge_" .. storage .. "_error_vs_t",
          title = "ridge 2000 x 200 (" .. storage .. "): error against lower iterations"}
end

-- the same hypergradient from both storages (DESIGN: sparse data stays sparse end to end)
local g = {}
for _, storage in ipairs({"sparse", "dense"}) do
  local params = {storage = storage}
  for k, v in pairs(base) do params[k] = v end
  g[storage] = hg.hypergrad(hg.problem("ridge", params), {method = "aid-cg", t = 300, k = 300,
                                                          theta = -4})
end
if g.sparse.hypergrad and g.dense.hypergrad then -- absent when answered from results.tsv
  local d, s = 0, 0
  for i, x in ipairs(g.sparse.hypergrad) do
    d = d + (x - g.dense.hypergrad[i]) ^ 2
    s = s + x ^ 2
  end
  hg.expect(math.sqrt(d / s) <= 1e-12, "sparse and dense storage agree to 1e-12")
end

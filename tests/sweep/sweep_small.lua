-- sweep_small.lua: the scale-out tests' scenario (tests/sweep.sh): serial, --shard i/3 plus
-- merge, and mpirun -np 2 --mpi must give the same results.tsv (timing columns aside), report
-- and expectations.  30 hypergradient runs of uneven cost (t from 4 to 200) on two problems,
-- a stochastic method over seeds whose hg.mse bias2 must be a number for resumed runs too, a
-- table, a plot, and two outer runs (hg.optimize) that resume like the runs.
local hg = require "hgbench"

local runs = hg.sweep{
  problems = {{"quadratic", {n = 30, m = 4, kappa = 5}}, {"quadratic", {n = 60, m = 4, kappa = 8}}},
  methods = {"itd", "aid-cg"},
  t = {4, 20, 200},
  k = 40,
  seeds = 2,
}
hg.expect(#runs == 24, "2 problems x 2 methods x 3 budgets x 2 seeds = 24 runs (" .. #runs .. ")")
local ok = 0
for _, r in ipairs(runs) do
  if r.status == "ok" then ok = ok + 1 end
end
hg.expect(ok == #runs, ok .. " of " .. #runs .. " runs ok")

local P = hg.problem("logreg", {n = 200, n_val = 100, d = 8, seed = 1})
local sid = hg.sweep{problems = {P}, methods = {{"sid", {batch = 10}}}, t = {50, 200}, k = "t",
                     seeds = 3, theta = -2}
local mse = hg.mse(sid)
for _, r in ipairs(mse) do
  hg.expect(r.bias2 == r.bias2, string.format("sid t=%d: bias2 is a number (%.6g)", r.t, r.bias2))
end
hg.table{title = "sid: bias and mse", columns = {"t", "mse", "bias2"},
         rows = {{mse[1] and mse[1].t, mse[1] and mse[1].mse, mse[1] and mse[1].bias2}}}
hg.plot{runs = runs, x = "t", name = "err_vs_t", title = "quadratic: error against t"}

local Q = hg.problem("ridge", {})
for _, steps in ipairs({3, 6}) do
  local res = hg.optimize(Q, {outer = "isgd", outer_params = {batch = 10, step = 1},
                              method = "aid-cg", steps = steps, label = "isgd" .. steps})
  hg.expect(#res == steps + 1, string.format("isgd %d steps: %d rows (%d)", steps, steps + 1, #res))
end

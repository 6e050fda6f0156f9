-- compare_sweep.lua: a small sweep for `hgbench compare` (tests/compare.cmake): ridge and
-- quadratic, itd and aid-fp over a log grid of t (k = t), two seeds: series whose fitted rates
-- and times the comparison reads.
local hg = require "hgbench"
hg.sweep{
  problems = {{"ridge", {n = 200, d = 20}}, {"quadratic", {n = 30, m = 5, kappa = 10}}},
  methods = {"itd", "aid-fp"}, t = hg.range(2, 300, 10, "log"), k = "t", seeds = 2,
}

-- ok_small.lua: a tiny scenario that must pass.  One sweep (quadratic, 2 methods, 4 budgets,
-- 3 seeds = 24 runs), one plot with the median and 10-90 % band, passing expectations.
-- Run twice into one folder, the second run answers all 24 runs from results.tsv (resume).
local runs = hg.sweep{
  problems = {{"quadratic", {n = 10, m = 3, kappa = 4}}}, -- step 1/L: q = 1 - 1/kappa = 0.75
  methods = {"itd", "aid-cg"},
  t = hg.range(2, 60, 4), -- {2, 6, 19, 60}
  k = 60,
  seeds = 3,
}
hg.plot{runs = runs, x = "t", name = "err_vs_t", title = "quadratic, kappa = 4: error against t"}

hg.expect(#runs == 24, "the sweep made 2 methods x 4 budgets x 3 seeds = 24 runs")
local ok, final = 0, {}
for _, r in ipairs(runs) do
  if r.status == "ok" then ok = ok + 1 end
  if r.t_budget == 60 then final[#final + 1] = r end
end
hg.expect(ok == #runs, ok .. " of " .. #runs .. " runs succeeded")
-- q^60 = 3e-8; the ITD bound's factor (c1 + c2 t/q + c3) stays far below 1e3 here
hg.expect_below(final, "rel_error", 1e-4, "itd and aid-cg within 1e-4 of exact at t = k = 60")

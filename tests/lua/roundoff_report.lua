-- roundoff_report.lua: report.md's max err/bound leaves out errors at round-off.  On quadratic
-- with kappa = 4 (q = 0.75), itd at t = 200 and 300 has errors near 1e-16, below the floor
-- 50 eps max(1, kappa) = 4.4e-14, while its bound (q^t: ~1e-25) is far smaller: a ratio there
-- would read 1e+9 or more.  aid-cg at t = 2, 6 is above round-off and keeps its ratio.
local P = {{"quadratic", {n = 10, m = 3, kappa = 4}}}
local itd = hg.sweep{problems = P, methods = {"itd"}, t = {200, 300}, k = 200}
local cg = hg.sweep{problems = P, methods = {"aid-cg"}, t = {2, 6}, k = 60}
for _, r in ipairs(itd) do
  hg.expect(r.status == "ok" and r.rel_error < 50 * 2.220446049250313e-16 * 4,
            "itd at t = " .. r.t_budget .. " is at round-off")
end
hg.check_bounds(cg, "aid-cg within its bound above round-off")

-- failing_expectation.lua: a scenario that runs to the end with a failed expectation: the
-- FAIL line names "failing_expectation.lua:LINE", report.md lists it, the exit status is 1.
local P = hg.problem("quadratic", {n = 5, m = 2, kappa = 100})
local run = hg.hypergrad(P, {method = "itd", t = 3})
hg.expect_below(run, "rel_error", 1e-12, "3 ITD steps at kappa = 100 are not accurate")
hg.expect(run.status == "ok", "the run itself succeeded")

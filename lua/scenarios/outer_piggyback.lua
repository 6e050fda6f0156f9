-- outer_piggyback.lua: MAID's adaptive outer loop over piggyback (issue 21; DESIGN §2.3, §2.4).
-- Learn theta = log lam of denoise-tv-pd f=charbonnier (Charbonnier + gamma/2 z^2 on K = lam D,
-- two 16 x 16 synthetic pairs: the small default instance) with MAID, whose omega test and
-- tolerances use piggyback's own a-posteriori saddle bound (hg_method_ops.posterior,
-- docs/theory.md "The saddle bound") in place of the primal omega, against fixed-tolerance
-- piggyback: the same certified line search at a fixed eps = delta (maid adaptive=0, 5 (+j)
-- backtracks as the authors' fixed_eps runs), eps in {1e-2, 1e-4, 1e-6}.  Every run stops at
-- the first row whose cumulative PDHG + adjoint iterations reach `budget` (equal work); f is
-- the exact upper objective (Newton + CHOLMOD, outside the costs).
--
-- Claims, stated before the runs and printed with what the data show (PASS/FAIL):
--   1. every step MAID's certified line search accepts decreases the exact f (it holds when the
--      saddle bound and the value errors are true bounds: checked, a failure fails the run);
--   2. the saddle bound holds at MAID's last theta (piggyback t = k = 60 against the exact
--      hypergradient: error <= bound; a failure fails the run);
--   3. MAID adapts: its eps at the end is at least 10x below its first;
--   4. at equal work MAID's f is at or below every fixed-tolerance run's (the paper's claim for
--      the adaptive method): reported, not enforced.
--
-- What the data show (this instance, budget 3000): claims 1-4 hold.  MAID ends at f = 0.65156409,
-- fixed 1e-6 at 0.65156507, 1e-4 stalls at 0.65180580 (its certified test fails once the
-- decrease is below its value errors) and 1e-2 accepts no step (0.70910904, f at theta0).  MAID
-- is NOT ahead all along: at 1000 iterations fixed 1e-4 (0.65180580) and 1e-6 are below it
-- (0.65216785), and 1e-6 leads from ~1000 to ~2000.  MAID starts at eps = 9.5e-5, not 0.1: the
-- saddle bound overestimates the error by 10^3-10^4 (docs/theory.md), so the omega test tightens
-- eps ten times at theta0 before the first step.
local hg = require "hgbench"

local P = hg.problem("denoise-tv-pd", {f = "charbonnier"})
local budget = 3000
local function fixed(eps) return {adaptive = 0, eps0 = eps, delta0 = eps, max_backtracks = 5} end
local loops = {
  {"maid", {}, "MAID (saddle bound)"},
  {"maid", fixed(1e-2), "fixed tolerance 1e-2"},
  {"maid", fixed(1e-4), "fixed tolerance 1e-4"},
  {"maid", fixed(1e-6), "fixed tolerance 1e-6"},
}

local results = {}
for _, l in ipairs(loops) do
  local res = hg.optimize(P, {outer = l[1], outer_params = l[2], method = "piggyback",
                              max_work = budget, label = l[3]})
  hg.expect(res.status == "ok" and #res > 0,
            string.format("%s: ran (%s, %d rows, work %d)", l[3], res.status, #res,
                          #res > 0 and res[#res].work or 0))
  results[#results + 1] = res
end
local maid = results[1]

local claims = {}
local function claim(text, ok, data)
  claims[#claims + 1] = {text, data, ok and "PASS" or "FAIL"}
  return ok
end

-- 1: certified decrease
local bad, acc = 0, 0
for s = 2, #maid do
  if maid[s].accepted then
    acc = acc + 1
    if not (maid[s].f < maid[s - 1].f) then bad = bad + 1 end
  end
end
hg.expect(claim("1. every accepted MAID step decreases the exact f", bad == 0 and acc > 0,
                string.format("%d accepted, %d increases", acc, bad)),
          "MAID over piggyback: every accepted step decreases the exact f")

-- 2: the bound at MAID's last theta
local last = maid[#maid]
local r = hg.hypergrad(P, {method = "piggyback", t = 60, k = 60, theta = last.theta})
local held = r.status == "ok" and r.abs_error <= r.bound
hg.expect(claim("2. saddle bound holds at MAID's last theta (t = k = 60)", held,
                string.format("error %.3g <= bound %.3g (ratio %.2g)", r.abs_error, r.bound,
                              r.abs_error / r.bound)),
          "the saddle bound holds at MAID's last theta")

-- 3: adaptation
claim("3. MAID's eps falls at least 10x", last.eps <= maid[1].eps / 10,
      string.format("eps %.3g -> %.3g over %d rows", maid[1].eps, last.eps, #maid))

-- 4: equal work
local fm, worst = hg.loss_at_work(maid, budget), {}
local ok4 = true
for i = 2, #results do
  local f = hg.loss_at_work(results[i], budget)
  ok4 = ok4 and fm <= f
  worst[#worst + 1] = string.format("%s %.8f", results[i].label:gsub("fixed tolerance ", ""), f)
end
claim("4. MAID's f at equal work <= every fixed tolerance", ok4,
      string.format("MAID %.8f; %s", fm, table.concat(worst, ", ")))

hg.table{title = string.format("MAID over piggyback: claims (denoise-tv-pd f=charbonnier, work "
                               .. "budget %d PDHG + adjoint iterations)", budget),
         columns = {"claim", "data", "result"}, rows = claims}

-- the curves: f, the suboptimality and eps against work
local rows, fbest = {}, math.huge
for _, res in ipairs(results) do fbest = math.min(fbest, hg.loss_at_work(res, math.huge)) end
for _, res in ipairs(results) do
  rows[#rows + 1] = {res.label, string.format("%.8f", hg.loss_at_work(res, budget / 3)),
                     string.format("%.8f", hg.loss_at_work(res, budget)), #res,
                     res[#res].eps}
end
hg.table{title = "lowest f within 1/3 of the budget and within it",
         columns = {"run", "f at " .. budget // 3, "f at " .. budget, "rows", "last eps"},
         rows = rows}
local fref = fbest - 1e-9
for _, res in ipairs(results) do
  for _, row in ipairs(res) do row.gap = row.f - fref end
end
hg.plot_optimize(results, {name = "piggyback_gap_vs_work", y = "gap",
                           ylabel = string.format("f - %.9f (lowest f seen - 1e-9)", fref),
                           title = "denoise-tv-pd f=charbonnier: MAID over piggyback vs fixed "
                                   .. "tolerance"})
hg.plot_optimize(results, {name = "piggyback_eps_vs_work", y = "eps", ylabel = "eps",
                           title = "lower accuracy eps against work"})

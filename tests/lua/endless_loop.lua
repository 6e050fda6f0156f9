-- endless_loop.lua: run with --max-seconds 1.  One run is recorded, then a run with an absurd
-- budget (two billion lower iterations) stops at the deadline with status timeout, then an
-- endless loop that even catches errors with pcall ends at the deadline with a clear error;
-- results.tsv keeps both rows.
local P = hg.problem("quadratic", {n = 10, m = 2})
local ok = hg.hypergrad(P, {method = "aid-fp", t = 20, k = 20})
local absurd = hg.hypergrad(P, {method = "aid-fp", t = 2000000000, k = 20})
assert(ok.status == "ok" and absurd.status == "timeout", "statuses " .. ok.status .. ", " .. absurd.status)
while true do
  pcall(function() while true do end end)
end

-- status_sweep.lua: one sweep with a run of each failing kind on the problem "faulty" (which
-- only tests/test_status.c registers: run by unit_status, not by `hgbench run`).  Every run is
-- recorded with its status and the sweep goes on past each.  aid-cg, t = k = 5, tol_lower = 1e-14
-- (not reached within t = 5: budget for the healthy map) and a 1 MB memory cap (n = 200000
-- needs more).
hg.max_memory("1M")
local modes = {
  {"ok", "budget"}, {"diverge", "diverged"}, {"nan", "nan"}, {"nanvalue", "nan"},
  {"indefinite", "breakdown"}, {"noncontract", "not-contractive"},
}
local problems = {}
for i, m in ipairs(modes) do
  problems[i] = {"faulty", {mode = m[1]}}
end
problems[#problems + 1] = {"faulty", {mode = "ok", n = 200000}}
local runs = hg.sweep{problems = problems, methods = {"aid-cg"}, t = 5, k = 5, tol_lower = 1e-14}
hg.expect(#runs == #modes + 1, #runs .. " rows for " .. (#modes + 1) .. " runs")
for i, m in ipairs(modes) do
  local r = runs[i]
  hg.expect(r and r.status == m[2], "mode=" .. m[1] .. ": status " .. tostring(r and r.status)
            .. " (want " .. m[2] .. ")")
end
hg.expect(runs[#runs].status == "memory", "n = 200000 over max_memory 1M: status "
          .. tostring(runs[#runs].status))
hg.expect(runs[1].value ~= nil and runs[1].value == runs[1].value,
          "the budget row keeps its numbers (value " .. tostring(runs[1].value) .. ")")

-- plugin_scenario.lua: a scenario sees plugin entries like built-in ones (the test
-- plugin_scenario loads examples/plugin's aid-bicgstab through HGBENCH_PLUGIN_PATH).
local hg = require "hgbench"

local m = hg.method("aid-bicgstab")
assert(m, "aid-bicgstab is not in the registry")
assert(m.display == "AID-BiCGStab" and m.budgets.t and m.budgets.k, "its facts are not read")
local seen = false
for _, e in ipairs(hg.methods()) do seen = seen or e.name == "aid-bicgstab" end
assert(seen, "hg.methods() does not list aid-bicgstab")
local runs = hg.sweep{
  problems = {{"quadratic", {n = 20, m = 4, kappa = 10}}},
  methods = {"aid-bicgstab", "aid-cg"}, t = 200, k = {2, 40},
}
local last = {}
for _, r in ipairs(runs) do
  if r.k_budget == 40 then last[#last + 1] = r end
end
hg.expect_below(last, "rel_error", 1e-8, "aid-bicgstab and aid-cg reach 1e-8")

-- lua_module.lua: the hgbench module from a stock lua5.4 (the test lua_module_quickstart):
--   LUA_CPATH=build/lua/?.so HGBENCH_OUT=DIR lua5.4 tests/lua_module.lua lua/scenarios/quickstart.lua
-- requires the module, runs the scenario given as arg[1] in this interpreter (its own
-- require "hgbench" gets the same module), finishes the scenario and exits 1 when an
-- expectation failed.
local hg = require "hgbench"
assert(type(hg.sweep) == "function" and type(hg.finish) == "function", "not the hgbench module")
assert(#hg.methods() > 0 and hg.method("aid-cg"), "the registry is empty")
dofile(assert(arg[1], "usage: lua5.4 lua_module.lua SCENARIO.lua"))
local failed = hg.finish()
os.exit(failed == 0 and 0 or 1)

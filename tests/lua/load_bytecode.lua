-- load_bytecode.lua: precompiled Lua bytecode never loads (it can crash the interpreter), with
-- or without --sandbox: load, loadfile, dofile and require each refuse a binary chunk with a
-- message saying so, and the scenario goes on.  Also leaves chunk.luac in the output folder
-- for the test that runs it as a scenario (bad_scenario_bytecode).
local out = hg.out
local chunk = string.dump(function() return "escaped" end)
local f = assert(io.open(out .. "/chunk.luac", "wb"))
f:write(chunk)
f:close()
local function expect_refused(what, ok, msg)
  msg = tostring(msg)
  hg.expect(not ok and msg:find("precompiled %(binary%) chunk") ~= nil,
            what .. " refuses bytecode (" .. msg:gsub("\n.*", "") .. ")")
end
local fn, msg = load(chunk)
expect_refused("load", fn ~= nil, msg)
fn, msg = load(chunk, "=chunk", "b") -- asking for binary mode explicitly changes nothing
expect_refused("load mode b", fn ~= nil, msg)
local parts = {chunk:sub(1, 4), chunk:sub(5)}
fn, msg = load(function() return table.remove(parts, 1) end) -- a reader function
expect_refused("load by reader", fn ~= nil, msg)
fn, msg = loadfile(out .. "/chunk.luac")
expect_refused("loadfile", fn ~= nil, msg)
expect_refused("dofile", pcall(dofile, out .. "/chunk.luac"))
package.path = out .. "/?.luac;" .. package.path
expect_refused("require", pcall(require, "chunk"))
hg.expect(load("return 2")() == 2, "source text still loads")

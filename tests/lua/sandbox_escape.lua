-- sandbox_escape.lua: run with `hgbench run --sandbox`; every escape below must be refused with
-- a message naming the function or the path, and the scenario itself must go on (results
-- written).  Each attempt runs in pcall; an attempt that succeeds fails its expectation.
local out = hg.out
local function refused(what, pattern, f, ...)
  local ok, msg = pcall(f, ...)
  msg = tostring(msg)
  hg.expect(not ok and msg:find(pattern) ~= nil,
            what .. " refused (" .. msg:gsub("\n.*", "") .. ")")
end
local function second(f, ...) -- nil, message -> error(message)
  return function(...)
    local a, b = f(...)
    if a == nil then error(b, 0) end
    return a
  end
end

refused("os.execute", "os%.execute is disabled", os.execute, "true")
refused("io.popen", "io%.popen is disabled", io.popen, "echo escaped")
refused("os.exit", "os%.exit is disabled", os.exit, 0)
refused("package.loadlib", "package%.loadlib is disabled", package.loadlib, "libc.so.6", "*")
refused("require of a C module", "C modules %('lpeg'%) are refused under %-%-sandbox", require,
        "lpeg")
refused("debug library", "attempt to index a nil value", function() return debug.getinfo(1) end)
refused("os.remove outside", "os%.remove: refused writing '/etc/hostname'", os.remove,
        "/etc/hostname")
refused("os.rename outside", "os%.rename: refused writing '/tmp/hg_sandbox_escape'", os.rename,
        out .. "/results.tsv", "/tmp/hg_sandbox_escape")
refused("io.open write outside", "io%.open: refused writing '/tmp/hg_sandbox_escape'", io.open,
        "/tmp/hg_sandbox_escape", "w")
refused("io.open write via ..", "io%.open: refused writing '" .. out:gsub("%p", "%%%0") ..
        "/%.%./escape'", io.open, out .. "/../escape", "w")
refused("io.open read outside", "io%.open: refused reading '/etc/passwd'", io.open,
        "/etc/passwd", "r")
refused("io.lines outside", "io%.lines: refused reading '/etc/passwd'", io.lines, "/etc/passwd")
refused("io.input outside", "io%.input: refused reading '/etc/passwd'", io.input, "/etc/passwd")
refused("io.output outside", "io%.output: refused writing '/tmp/x'", io.output, "/tmp/x")
refused("dofile outside", "dofile: refused reading '/etc/passwd'", dofile, "/etc/passwd")
refused("loadfile outside", "loadfile: refused reading '/etc/passwd'", loadfile, "/etc/passwd")
refused("binary chunk by load", "load: refused a precompiled %(binary%) chunk",
        second(load), string.dump(function() return 1 end))
refused("data file outside (C reader)", "train=: refused reading '/etc/passwd'",
        hg.problem, "logreg", {train = "/etc/passwd", val = "/etc/passwd"})
refused("theta @FILE outside (C reader)", "refused reading '/etc/passwd'", function()
  local P = hg.problem("quadratic", {n = 4, m = 2})
  return hg.hypergrad(P, {method = "itd", t = 2, theta = "@/etc/passwd"})
end)
local runs = hg.sweep{problems = {{"quadratic", {n = 4, m = 2}}}, methods = {"itd"}, t = {2, 4}}
refused("plot name outside", "refused name '%.%./escape'", hg.plot,
        {name = "../escape", runs = runs, x = "t"})

-- what stays allowed: writing and reading back under the output folder, require "hgbench"
local f = assert(io.open(out .. "/note.txt", "w"))
f:write("inside\n")
f:close()
hg.expect(io.open(out .. "/note.txt"):read("l") == "inside", "write and read under the output folder")
hg.expect(os.remove(out .. "/note.txt") == true, "os.remove under the output folder")
hg.expect(require("hgbench") == hg, "require \"hgbench\" still works")
hg.expect(load("return 1 + 1")() == 2, "text chunks still load")

-- --allow-read DIR opens a folder to the Lua readers and the C readers alike (the test passes
-- a file of that folder in HG_ALLOWED_FILE)
local allowed = os.getenv("HG_ALLOWED_FILE")
hg.expect(allowed ~= nil, "HG_ALLOWED_FILE is set by the test")
if allowed then
  local g = io.open(allowed)
  hg.expect(g ~= nil and g:read("l") ~= nil, "io.open reads " .. allowed .. " under --allow-read")
  if g then g:close() end
  local ok, P = pcall(hg.problem, "ridge", {train = allowed, val = allowed})
  hg.expect(ok, "the C reader reads " .. allowed .. " under --allow-read (" .. tostring(P) .. ")")
end

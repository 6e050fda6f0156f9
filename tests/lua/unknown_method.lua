-- unknown_method.lua: an unknown method name is a Lua error pointing at the line of the call:
-- "unknown_method.lua:4: unknown method 'nosuch' (known: ...)".
local P = hg.problem("quadratic", {n = 5, m = 2})
hg.hypergrad(P, {method = "nosuch", t = 10})

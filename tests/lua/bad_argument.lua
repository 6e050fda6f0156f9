-- bad_argument.lua: a nil problem is an argument error at the line of the call:
-- "bad_argument.lua:4: bad argument #1 to 'hypergrad' (problem expected, got nil)".
local P = nil -- e.g. a misspelt variable
hg.hypergrad(P, {method = "itd", t = 10})

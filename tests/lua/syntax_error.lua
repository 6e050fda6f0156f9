-- syntax_error.lua: a scenario that does not parse.  `hgbench run` must fail with
-- "syntax_error.lua:5: ..." and run nothing.
local P = hg.problem("quadratic")

local x = = 1

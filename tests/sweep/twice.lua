-- twice.lua: a run asked for twice is one unit of the plan (tests/sweep.sh shard: 2 runs).
local P = hg.problem("quadratic", {n = 10})
for i = 1, 2 do P:hypergrad{method = "itd", t = 5} end
P:hypergrad{method = "itd", t = 6}

-- resume_key.lua: the run key against stale rows (tests/resume_key.sh runs it several times
-- into one folder).  Three ridge instances on data files in $HG_KEY_DIR -- a.csv, b.csv (the
-- test changes b.csv between runs) and one whose name holds a tab and a newline (created
-- here) -- times 2 methods x 2 budgets: 12 runs.  Every run, fresh or read back from
-- results.tsv, must carry its problem's parameters exactly (escaped in the file, unescaped
-- when read).
local dir = assert(os.getenv("HG_KEY_DIR"), "HG_KEY_DIR must name the folder of the data files")
local odd = dir .. "/odd\tname\nx.csv"
local f = io.open(odd, "r")
if f then
  f:close()
else
  local src = assert(io.open(dir .. "/a.csv", "r"))
  local text = src:read("a")
  src:close()
  local dst = assert(io.open(odd, "w"))
  dst:write(text)
  dst:close()
end

local problems = {}
for _, file in ipairs{dir .. "/a.csv", dir .. "/b.csv", odd} do
  problems[#problems + 1] = hg.problem("ridge", {train = file, val = file, label = "y"})
end
local runs = hg.sweep{problems = problems, methods = {"itd", "aid-cg"}, t = {5, 10}, k = 10}

hg.expect(#runs == 12, "3 instances x 2 methods x 2 budgets = 12 runs")
local exact, odd_seen = 0, 0
for i, r in ipairs(runs) do
  local P = problems[(i - 1) // 4 + 1]
  if r.problem_params == P.params then exact = exact + 1 end
  if r.problem_params:find("odd\tname\nx.csv", 1, true) then odd_seen = odd_seen + 1 end
end
hg.expect(exact == 12, exact .. " of 12 runs carry their problem's parameters exactly")
hg.expect(odd_seen == 4, odd_seen .. " of 4 runs on the odd file name carry its tab and newline")

-- hgbench.lua -- the Lua half of the `hgbench` module (DESIGN §5-6): sweeps, ranges, plot
-- grouping and expectations over runs, written over the C core in lua/hglua.c, which passes
-- its functions as this chunk's argument and compiles this file into the binary.  The module
-- is a scenario's global `hg`, and `require "hgbench"`.
--
-- Errors raised here (or by a core function called from here) are reported at the scenario
-- line that called into the module: hg_lua_run's message handler moves the position.

local core = ...

local hg = {
  problem = core.problem,     -- hg.problem(name [, params [, rep]]) -> problem
  hypergrad = core.hypergrad, -- hg.hypergrad(P, opts) -> run
  max_memory = core.max_memory, -- hg.max_memory([SIZE]) -> the cap on one run's memory
  expect = core.expect,       -- hg.expect(cond, message) -> cond
  out = core.out,             -- the output folder
  version = core.version,
}

local fmt = string.format

local function finite(x)
  return type(x) == "number" and x == x and x ~= math.huge and x ~= -math.huge
end

local function is_problem(v)
  return type(v) == "userdata" and getmetatable(v) == core.problem_mt
end

local function is_run(v)
  return type(v) == "table" and type(v.method) == "string" and type(v.problem) == "string"
end

-- A short name of a run for messages: problem, parameters, method, budget, repetition.
local function describe(r)
  local p = r.problem_params ~= "" and " " .. r.problem_params or ""
  local m = r.method_params ~= "" and " " .. r.method_params or ""
  return fmt("%s%s %s%s t=%d k=%d K=%d rep %d", r.problem, p, r.method, m, r.t_budget,
             r.k_budget, r.K, r.rep)
end

-- hg.range(a, b, n [, "log"|"lin"]): n values from a to b, geometric ("log", the default when
-- a, b > 0) or evenly spaced ("lin").  With integer a and b the values are rounded to integers
-- and duplicates dropped, so the list can be shorter than n.
function hg.range(a, b, n, mode)
  if type(a) ~= "number" or type(b) ~= "number" then
    error("hg.range: a and b must be numbers", 2)
  end
  if type(n) ~= "number" or n ~= math.floor(n) or n < 1 then
    error("hg.range: n must be an integer >= 1", 2)
  end
  n = math.tointeger(n)
  mode = mode or ((a > 0 and b > 0) and "log" or "lin")
  if mode ~= "log" and mode ~= "lin" then
    error(fmt("hg.range: mode must be \"log\" or \"lin\", got %s", tostring(mode)), 2)
  end
  if mode == "log" and not (a > 0 and b > 0) then
    error("hg.range: a log range needs a > 0 and b > 0", 2)
  end
  local ints = math.type(a) == "integer" and math.type(b) == "integer"
  local out, seen = {}, {}
  for i = 0, n - 1 do
    local s = n > 1 and i / (n - 1) or 0
    local v = (i == 0 and a) or (i == n - 1 and b)
              or (mode == "log" and a * (b / a) ^ s or a + (b - a) * s)
    if ints then
      v = math.tointeger(math.floor(v + 0.5))
    end
    if not seen[v] then
      seen[v] = true
      out[#out + 1] = v
    end
  end
  return out
end

-- ---------------------------------------------------------------------------------------------
-- Sweeps
-- ---------------------------------------------------------------------------------------------

-- Budget values: nil (the harness default, kept as false), a number, or a list of numbers.
local function budget_list(v, key)
  if v == nil then
    return {false}
  end
  if type(v) == "number" then
    return {v}
  end
  if type(v) == "table" and #v > 0 then
    for i, x in ipairs(v) do
      if type(x) ~= "number" then
        error(fmt("hg.sweep: %s[%d] must be a number, got %s", key, i, type(x)))
      end
    end
    return v
  end
  error(fmt("hg.sweep: %s= must be a number or a non-empty list of numbers, got %s", key, type(v)))
end

-- The budget axes of a sweep, outermost first; every combination of their values as
-- {t=, k=, K=, tol_lower=, tol_linear=} (false: the harness default).
local budget_axes = {"t", "k", "K", "tol_lower", "tol_linear"}

-- Ties: k = "t" gives the linear solver as many iterations as the lower loop, tol_linear =
-- "tol_lower" the same tolerance.
local budget_ties = {k = "t", tol_linear = "tol_lower"}

local function budget_product(spec)
  local out = {{}}
  for _, key in ipairs(budget_axes) do
    local tied = budget_ties[key] and spec[key] == budget_ties[key]
    local values, next_out = budget_list(not tied and spec[key] or nil, key), {}
    for _, partial in ipairs(out) do
      for _, v in ipairs(values) do
        local b = {}
        for k2, v2 in pairs(partial) do
          b[k2] = v2
        end
        b[key] = tied and partial[budget_ties[key]] or v
        next_out[#next_out + 1] = b
      end
    end
    out = next_out
  end
  return out
end

-- Problems: names, {name, params} pairs or problems -> {name=, params=} or {problem=}.
local function problem_entries(list)
  if type(list) == "string" or is_problem(list) then
    list = {list}
  end
  if type(list) ~= "table" or #list == 0 then
    error("hg.sweep: problems= must be a list of problem names, {name, params} pairs or problems")
  end
  local out = {}
  for i, e in ipairs(list) do
    if type(e) == "string" then
      out[i] = {name = e}
    elseif is_problem(e) then
      out[i] = {problem = e}
    elseif type(e) == "table" and type(e[1]) == "string" and (e[2] == nil or type(e[2]) == "table") then
      out[i] = {name = e[1], params = e[2]}
    else
      error(fmt("hg.sweep: problems[%d] must be a name, a {name, params} pair or a problem, got %s "
                .. "(one problem with parameters: problems = {{\"quadratic\", {kappa = 10}}})",
                i, type(e)))
    end
  end
  return out
end

-- Methods: names or {name, params} pairs -> {name=, params=}.
local function method_entries(list)
  if type(list) == "string" then
    list = {list}
  end
  if type(list) ~= "table" or #list == 0 then
    error("hg.sweep: methods= must be a list of method names or {name, params} pairs")
  end
  local out = {}
  for i, e in ipairs(list) do
    if type(e) == "string" then
      out[i] = {name = e}
    elseif type(e) == "table" and type(e[1]) == "string" and (e[2] == nil or type(e[2]) == "table") then
      out[i] = {name = e[1], params = e[2]}
    else
      error(fmt("hg.sweep: methods[%d] must be a name or a {name, params} pair, got %s", i, type(e)))
    end
  end
  return out
end

-- Progress on stderr: one line updated in place on a terminal, plain lines otherwise.  To be
-- closed (it ends an open terminal line, also when the sweep stops on an error).
local Progress = {}
Progress.__index = Progress
Progress.__close = function(self)
  if self.open then
    io.stderr:write("\n")
    self.open = false
  end
end

local function new_progress(total, show_K)
  local _, sweep_pass = core.planning() -- a sweep's planning or reporting pass: silent
  return setmetatable({total = total, done = 0, skipped = 0, redone = 0, show_K = show_K,
                       start = core.clock(), tty = core.stderr_is_tty(), open = false,
                       quiet = sweep_pass}, Progress)
end

function Progress:step(run)
  self.done = self.done + 1
  if self.quiet then
    return
  end
  if run.skipped then
    self.skipped = self.skipped + 1
  end
  if run.redone then
    self.redone = self.redone + 1
  end
  local outcome
  if run.skipped then
    outcome = "already recorded"
  elseif run.status ~= "ok" then
    outcome = fmt("%s (%s)", run.status, run.message or "")
  elseif finite(run.rel_error) then
    outcome = fmt("ok (rel. error %.1e)", run.rel_error)
  else
    outcome = "ok"
  end
  local line = fmt("run %d/%d %s %s t=%d k=%d%s: %s", self.done, self.total, run.problem,
                   run.method, run.t, run.k, self.show_K and fmt(" K=%d", run.K) or "", outcome)
  if not self.tty then
    io.stderr:write("hgbench: ", line, "\n")
    return
  end
  if run.status ~= "ok" and not run.skipped then -- failures keep a line of their own
    io.stderr:write("\r\27[K", "hgbench: ", line, "\n")
  end
  local elapsed = core.clock() - self.start
  local eta = elapsed / self.done * (self.total - self.done)
  io.stderr:write(fmt("\r\27[K[%" .. #tostring(self.total) .. "d/%d] %d%%  elapsed %.1f s  ETA %.1f s",
                      self.done, self.total, self.done * 100 // self.total, elapsed, eta))
  self.open = true
end

function Progress:finish()
  self:__close()
  if self.quiet then
    return
  end
  if self.skipped > 0 then
    io.stderr:write(fmt("hgbench: %d of %d runs already recorded in %s/results.tsv: skipped\n",
                        self.skipped, self.total, hg.out or "."))
  end
  if self.redone > 0 then
    io.stderr:write(fmt("hgbench: %d of %d runs redone: results.tsv had them from other input "
                        .. "files or plugin revisions\n", self.redone, self.total))
  end
end

local sweep_keys = {problems = true, methods = true, t = true, k = true, K = true, theta = true,
                    seeds = true, tol_lower = true, tol_linear = true, constants = true}

-- hg.sweep{problems=, methods=, t=, k=, K=, theta=, seeds=R, tol_lower=, tol_linear=}: every
-- run of problems x repetitions x methods x t x k x K x tol_lower x tol_linear, in that order
-- (each budget a number or a list; k = "t" ties k to t, tol_linear = "tol_lower" the linear
-- solver's tolerance to the lower loop's).  Each problem is created
-- once per repetition r (shared by its methods and budgets) with the repetition's seed (see
-- hg.problem); a problem given as userdata is used as is, its runs seeded per repetition.
-- Returns the runs as a sweep (metatable "hgbench.sweep").
function hg.sweep(spec)
  if type(spec) ~= "table" then
    error("hg.sweep: expected a table {problems = ..., methods = ...}, got " .. type(spec), 2)
  end
  for key in pairs(spec) do
    if not sweep_keys[key] then
      error(fmt("hg.sweep: unknown key '%s' (known: problems, methods, t, k, K, theta, seeds, "
                .. "tol_lower, tol_linear)", tostring(key)), 2)
    end
  end
  local problems, methods = problem_entries(spec.problems), method_entries(spec.methods)
  local budgets = budget_product(spec)
  local R = spec.seeds or 1
  if math.type(R) ~= "integer" or R < 1 then
    error("hg.sweep: seeds= must be an integer >= 1 (the number of repetitions)", 2)
  end
  for _, pe in ipairs(problems) do -- a misspelt name or key fails now, not after hours of runs
    if not pe.problem then
      core.check("problem", pe.name, pe.params)
    end
  end
  for _, me in ipairs(methods) do
    core.check("method", me.name, me.params)
  end
  local runs = setmetatable({}, core.sweep_mt)
  local progress <close> = new_progress(#problems * R * #methods * #budgets, spec.K ~= nil)
  for _, pe in ipairs(problems) do
    for r = 0, R - 1 do
      local P, seed = pe.problem, nil
      if P then
        seed = core.rep_seed(P, r)
      else
        P = core.problem(pe.name, pe.params, r)
      end
      for _, me in ipairs(methods) do
        for _, b in ipairs(budgets) do
          local opts = {}
          for key, v in pairs(me.params or {}) do
            opts[key] = v
          end
          opts.method, opts.theta, opts.seed, opts.rep = me.name, spec.theta, seed, r
          opts.t, opts.k, opts.K = b.t or nil, b.k or nil, b.K or nil
          opts.tol_lower, opts.tol_linear = b.tol_lower or nil, b.tol_linear or nil
          opts.constants = spec.constants
          local run = core.hypergrad(P, opts)
          runs[#runs + 1] = run
          progress:step(run)
        end
      end
      if not pe.problem then
        P:close()
      end
    end
  end
  progress:finish()
  return runs
end

-- ---------------------------------------------------------------------------------------------
-- Plots
-- ---------------------------------------------------------------------------------------------

-- The registry's facts about each plugin (core.plugins: name, display, biased, budgets, ...).
-- hg.methods() lists the methods in registration order; hg.method(name) gives one (nil when
-- unknown); likewise hg.problems()/hg.problem_info(name) and hg.outers().
local registry = {}
for _, kind in ipairs({"methods", "problems", "outer"}) do
  local list, by_name = core.plugins(kind), {}
  for _, p in ipairs(list) do by_name[p.name] = p end
  registry[kind] = {list = list, by_name = by_name}
end
local function copy_list(list)
  local out = {}
  for i, p in ipairs(list) do out[i] = p end
  return out
end
function hg.methods() return copy_list(registry.methods.list) end
function hg.method(name) return registry.methods.by_name[name] end
function hg.problems() return copy_list(registry.problems.list) end
function hg.problem_info(name) return registry.problems.by_name[name] end
function hg.outers() return copy_list(registry.outer.list) end

-- Methods as papers name them, from their ops tables (hg.plot's legend= overrides).
local method_legend = {}
for _, m in ipairs(registry.methods.list) do method_legend[m.name] = m.display end

-- Axis labels with units, and short names for default titles.
local axis_label = {
  t = "lower-level iterations t", k = "linear-system iterations k",
  K = "backward steps kept K", t_budget = "lower-level iterations t (budget)",
  k_budget = "linear-system iterations k (budget)", wall_s = "wall time [s]",
  calls = "Jacobian-vector products", peak_bytes = "peak extra memory [bytes]",
  rel_error = "relative error ||g - grad f|| / ||grad f||",
  abs_error = "absolute error ||g - grad f||", value = "upper-level value E(w, theta)",
  bound = "error bound", omega = "inexact bound omega", eps = "lower-level accuracy eps",
  delta = "adjoint residual delta", tol_lower = "lower-level tolerance",
  tol_linear = "linear-system tolerance", q = "contraction constant q", kappa = "condition number kappa",
}
local short_name = {
  rel_error = "relative error", abs_error = "absolute error", value = "upper-level value",
  wall_s = "wall time", calls = "Jacobian-vector products", peak_bytes = "peak memory",
}
local formats = {png = true, pdf = true, svg = true, cairolatex = true}

local function instance_label(r)
  return r.problem_params ~= "" and r.problem .. " " .. r.problem_params or r.problem
end

local function method_label(r, legend)
  local name = legend[r.method] or method_legend[r.method] or r.method
  return r.method_params ~= "" and fmt("%s (%s)", name, r.method_params) or name
end

-- hg.plot{runs=, x=, y=, series=, name=, title=, xlabel=, ylabel=, logx=, logy=, format=,
-- legend=, bound=, filter=}: one plot of y against x over the runs (a sweep or a list of runs),
-- one series per method (series="method", the default), problem instance (series="problem")
-- or value of another run field; series are also split by problem instance (or method) when
-- the runs hold several.  Every repetition is a point (the plot draws median and 10-90 % band);
-- failed runs and non-finite values are left out.  bound=true (default) draws each run's
-- finite bound ("omega": the inexact bound omega(eps, delta) instead; false: none), a bound
-- below the round-off floor (core.roundoff_floor, the largest of the series' runs) drawn at
-- the floor.  filter(run) -> boolean keeps a subset.  Returns the rendered file name, or
-- nil when gnuplot is missing (a warning is printed) or no run has a point.
-- Budget fields: a point's x is exactly its budget, shared by its repetitions.
local budget_field = {t = true, k = true, K = true, t_budget = true, k_budget = true,
                      tol_lower = true, tol_linear = true}

function hg.plot(spec)
  if type(spec) ~= "table" then
    error("hg.plot: expected a table {runs = ..., x = ..., y = ...}, got " .. type(spec), 2)
  end
  local runs = spec.runs
  if is_run(runs) then
    runs = {runs}
  end
  if type(runs) ~= "table" then
    error("hg.plot: runs= must be a sweep (from hg.sweep) or a list of runs", 2)
  end
  local x, y, by = spec.x or "t", spec.y or "rel_error", spec.series or "method"
  for _, v in ipairs({{"x", x}, {"y", y}, {"series", by}}) do
    if type(v[2]) ~= "string" then
      error(fmt("hg.plot: %s= must be a run field name, got %s", v[1], type(v[2])), 2)
    end
  end
  local format = spec.format or "png"
  if not formats[format] then
    error(fmt("hg.plot: format= must be png, pdf, svg or cairolatex, got %s", tostring(format)), 2)
  end
  local logy = spec.logy
  if logy == nil then
    logy = y == "rel_error" or y == "abs_error"
  end
  local logx = spec.logx and true or false
  local legend, filter = spec.legend or {}, spec.filter
  local want_bound = spec.bound ~= false
  local bound_field = type(spec.bound) == "string" and spec.bound or "bound"
  if bound_field ~= "bound" and bound_field ~= "omega" then
    error(fmt("hg.plot: bound= must be true, false, \"bound\" or \"omega\", got \"%s\"",
              bound_field), 2)
  end

  -- the runs with a point, and how many problem instances and methods they span
  local kept, instances, methods, n_inst, n_meth = {}, {}, {}, 0, 0
  for _, r in ipairs(runs) do
    local xv, yv = r[x], r[y]
    if (not filter or filter(r)) and finite(xv) and finite(yv) and (not logx or xv > 0)
       and (not logy or yv > 0) then
      kept[#kept + 1] = r
      local il, ml = instance_label(r), method_label(r, legend)
      if not instances[il] then
        instances[il], n_inst = true, n_inst + 1
      end
      if not methods[ml] then
        methods[ml], n_meth = true, n_meth + 1
      end
    end
  end
  local name = spec.name or fmt("%s_vs_%s", y, x)
  if #kept == 0 then
    if not core.planning() then -- placeholders have no numbers
      io.stderr:write(fmt("hgbench: warning: plot %s: no run has a finite %s and %s%s: not "
                          .. "drawn\n", name, x, y, logy and " > 0" or ""))
    end
    return nil
  end

  -- series in order of first appearance, points sorted by x
  local groups, order = {}, {}
  for i, r in ipairs(kept) do
    local label
    if by == "method" then
      label = method_label(r, legend)
      if n_inst > 1 then
        label = label .. ", " .. instance_label(r)
      end
    else
      if by == "problem" then
        label = instance_label(r)
      else
        label = fmt("%s = %s", by, tostring(r[by]))
      end
      label = legend[label] or label
      if n_meth > 1 then
        label = label .. ", " .. method_label(r, legend)
      end
      if by ~= "problem" and n_inst > 1 then
        label = label .. ", " .. instance_label(r)
      end
    end
    local g = groups[label]
    if not g then
      g = {name = label, points = {}}
      groups[label] = g
      order[#order + 1] = g
    end
    -- the bound is on the absolute error: scaled by 1/||grad f|| for the relative error; the
    -- round-off floor is on the relative error: scaled by ||grad f|| for the absolute error
    local bound, floor
    if y == "abs_error" then
      bound = r[bound_field]
      if finite(r.rel_error) and r.rel_error > 0 then
        floor = core.roundoff_floor(r.kappa) * r.abs_error / r.rel_error
      end
    elseif y == "rel_error" then
      floor = core.roundoff_floor(r.kappa)
      if finite(r.abs_error) and r.abs_error > 0 then
        bound = r[bound_field] * r.rel_error / r.abs_error
      end
    end
    if floor and finite(floor) and floor > (g.floor or 0) then
      g.floor = floor
    end
    g.points[#g.points + 1] = {x = r[x], y = r[y], bound = bound, i = i}
  end
  -- A measured x (wall time, calls) differs between repetitions of one budget: each point takes
  -- the median x of its budget's repetitions, so repetitions stack into one median and band.
  if not budget_field[x] then
    for _, g in ipairs(order) do
      local by_budget = {}
      for _, p in ipairs(g.points) do
        local r = kept[p.i]
        local key = fmt("%s|%s|%s|%s|%s", r.t_budget, r.k_budget, r.K, r.tol_lower, r.tol_linear)
        by_budget[key] = by_budget[key] or {}
        table.insert(by_budget[key], p)
      end
      for _, ps in pairs(by_budget) do
        local xs = {}
        for j, p in ipairs(ps) do
          xs[j] = p.x
        end
        table.sort(xs)
        local mid = (#xs + 1) // 2
        local median = #xs % 2 == 1 and xs[mid] or 0.5 * (xs[mid] + xs[mid + 1])
        for _, p in ipairs(ps) do
          p.x = median
        end
      end
    end
  end
  local series = {}
  for _, g in ipairs(order) do
    table.sort(g.points, function(a, b)
      return a.x < b.x or (a.x == b.x and a.i < b.i)
    end)
    local s = {name = g.name, x = {}, y = {}, floor = g.floor}
    local bound, any = {}, false
    for j, p in ipairs(g.points) do
      s.x[j], s.y[j] = p.x, p.y
      if want_bound and finite(p.bound) and (not logy or p.bound > 0) then
        bound[j], any = p.bound, true
      else
        bound[j] = 0 / 0
      end
    end
    s.bound = any and bound or nil
    series[#series + 1] = s
  end

  local title = spec.title
  if not title then
    title = fmt("%s vs %s", short_name[y] or y, x)
    if n_inst == 1 then
      title = instance_label(kept[1]) .. ": " .. title
    end
  end
  return core.plot{name = name, title = title, xlabel = spec.xlabel or axis_label[x] or x,
                   ylabel = spec.ylabel or axis_label[y] or y, logx = logx, logy = logy,
                   format = format, series = series,
                   bound_label = bound_field == "omega" and "omega(eps, delta)" or nil}
end

-- ---------------------------------------------------------------------------------------------
-- Expectations
-- ---------------------------------------------------------------------------------------------

local function number_text(v)
  if type(v) ~= "number" then
    return tostring(v)
  end
  return math.type(v) == "integer" and tostring(v) or fmt("%.3g", v)
end

-- hg.expect_below(run_or_sweep, field, value [, message]): run[field] <= value, for a sweep
-- (or a list of runs) for every run; the recorded message names the worst run.  A missing or
-- NaN field fails.  Never raises; returns whether it passed.
function hg.expect_below(runs, field, value, message)
  local head = message or fmt("%s <= %s", tostring(field), number_text(value))
  if type(value) ~= "number" then
    return core.expect(false, head .. fmt(" (the bound is a %s, not a number)", type(value)))
  end
  local single = is_run(runs)
  if single then
    runs = {runs}
  end
  if type(runs) ~= "table" or #runs == 0 then
    return core.expect(false, head .. " (no runs: expected a run or a sweep)")
  end
  local worst, worst_key, failures = nil, -math.huge, 0
  for _, r in ipairs(runs) do
    local v = type(r) == "table" and r[field] or nil
    local ok = type(v) == "number" and v <= value
    if not ok then
      failures = failures + 1
    end
    local key = (type(v) ~= "number" or v ~= v) and math.huge or v
    if not worst or key > worst_key then
      worst, worst_key = r, key
    end
  end
  local v = type(worst) == "table" and worst[field] or nil
  local vtext = v == nil and "missing" or number_text(v)
  if type(worst) == "table" and worst.status and worst.status ~= "ok" then
    vtext = vtext .. ", status " .. worst.status
  end
  local wtext = type(worst) == "table" and is_run(worst) and describe(worst) or "a non-run entry"
  local detail
  if single then
    detail = fmt(" (%s: %s = %s)", wtext, tostring(field), vtext)
  else
    local count = failures > 0 and fmt("%d of %d runs fail", failures, #runs) or fmt("%d runs", #runs)
    detail = fmt(" (%s; worst: %s: %s = %s)", count, wtext, tostring(field), vtext)
  end
  return core.expect(failures == 0, head .. detail)
end

-- hg.check_bounds(runs [, message]): no run's error exceeds its DESIGN §7 bound, nor (for an
-- implicit method) its inexact bound omega (beyond the round-off of the reference: the
-- bound_violated flag).  Runs without a bound are not counted; at least one run must have
-- one.  Records one expectation naming the worst ratio abs_error / bound (or / omega) over the
-- runs whose error is above round-off (core.roundoff_floor: below it the ratio measures the
-- reference's round-off, not the bound).  Never raises; returns whether it passed.
function hg.check_bounds(runs, message)
  local head = message or "every error within its DESIGN §7 bound"
  if is_run(runs) then
    runs = {runs}
  end
  if type(runs) ~= "table" or #runs == 0 then
    return core.expect(false, head .. " (no runs: expected a run or a sweep)")
  end
  local checked, violated, worst, worst_ratio = 0, 0, nil, -math.huge
  for _, r in ipairs(runs) do
    local has_bound = finite(r.bound) and r.bound > 0
    local has_omega = finite(r.omega) and r.omega > 0
    if is_run(r) and r.status == "ok" and (has_bound or has_omega) then
      checked = checked + 1
      if r.bound_violated then
        violated = violated + 1
      end
      local ratio = math.max(has_bound and r.abs_error / r.bound or 0,
                             has_omega and r.abs_error / r.omega or 0)
      if r.rel_error > core.roundoff_floor(r.kappa) and ratio > worst_ratio then
        worst, worst_ratio = r, ratio
      end
    end
  end
  if checked == 0 then
    return core.expect(false, head .. " (no run carries a bound)")
  end
  local largest = worst and fmt("largest error/bound %s at %s", number_text(worst_ratio),
                                 describe(worst)) or "every error at round-off"
  return core.expect(violated == 0, head .. fmt(" (%d of %d runs above; %s)", violated, checked,
                                                 largest))
end

-- hg.expect_rate(runs, method [, {axis = "t"|"k", at_most = "theory"|number, slack = 0.05}]):
-- the linear rate of `method`'s median relative error along the budget axis (default: the one
-- of t and k with more distinct values), fitted over core.rate_window (past the error's peak,
-- above the round-off floor core.roundoff_floor(kappa) = 50 eps max(1, kappa)), must be at
-- most the reference rate: log(fitted) / log(reference) >= 1 - slack, or the reference inside
-- the fit's 95 % interval.  The reference is the
-- method's theoretical rate from the runs' constants (at_most = "theory", the default) or a
-- number.  One expectation per problem instance.  Never raises; returns whether all passed,
-- and the fits: a list of {method=, instance=, axis=, fitted=, lo=, hi=, reference=}.
function hg.expect_rate(runs, method, opts)
  opts = opts or {}
  local slack = opts.slack or 0.05
  local head = opts.message or fmt("%s converges at least as fast as %s (slack %s)",
                                   tostring(method), opts.at_most == nil and "theory"
                                   or tostring(opts.at_most), number_text(slack))
  if type(runs) ~= "table" then
    return core.expect(false, head .. " (no runs: expected a sweep)")
  end
  -- the method's usable runs, by problem instance
  local by_instance, order = {}, {}
  for _, r in ipairs(runs) do
    if is_run(r) and r.method == method and r.status == "ok" and finite(r.rel_error) then
      local key = instance_label(r)
      if not by_instance[key] then
        by_instance[key] = {}
        order[#order + 1] = key
      end
      table.insert(by_instance[key], r)
    end
  end
  if #order == 0 then
    return core.expect(false, head .. " (no successful run of " .. tostring(method) .. ")")
  end
  local all_ok, fits = true, {}
  for _, key in ipairs(order) do
    local list = by_instance[key]
    local axis = opts.axis
    if not axis then
      local ts, ks, nt, nk = {}, {}, 0, 0
      for _, r in ipairs(list) do
        if not ts[r.t_budget] then ts[r.t_budget], nt = true, nt + 1 end
        if not ks[r.k_budget] then ks[r.k_budget], nk = true, nk + 1 end
      end
      axis = nk > nt and "k" or "t"
    end
    local field = axis .. "_budget"
    -- median error per budget value
    local values, xs = {}, {}
    for _, r in ipairs(list) do
      local x = r[field]
      if not values[x] then
        values[x] = {}
        xs[#xs + 1] = x
      end
      table.insert(values[x], r.rel_error)
    end
    table.sort(xs)
    local ys = {}
    for i, x in ipairs(xs) do
      local v = values[x]
      table.sort(v)
      local mid = (#v + 1) // 2
      ys[i] = #v % 2 == 1 and v[mid] or 0.5 * (v[mid] + v[mid + 1])
    end
    local r0 = list[1]
    local floor = core.roundoff_floor(r0.kappa)
    local px, py = {}, {}
    for j, i in ipairs(core.rate_window(ys, floor)) do
      px[j], py[j] = xs[i], ys[i]
    end
    local rate, lo, hi, used = core.fit_rate(px, py, floor)
    local ref = opts.at_most
    if ref == nil or ref == "theory" then
      ref = core.method_rate(method, r0.q, r0.kappa, r0.mu, r0.L, axis)
    end
    local ok, detail
    if type(ref) ~= "number" or not finite(ref) then
      ok, detail = false, "no theoretical rate for this method and axis"
    elseif used < 3 or not finite(rate) then
      ok, detail = false, fmt("only %d points above round-off to fit", used)
    else
      local ratio = math.log(rate) / math.log(ref)
      ok = ratio >= 1 - slack or (lo <= ref and ref <= hi)
      detail = fmt("fitted %.4f [%.4f, %.4f] along %s over %d points, reference %.4f, "
                   .. "exponent ratio %.3f", rate, lo, hi, axis, used, ref, ratio)
    end
    all_ok = core.expect(ok, fmt("%s: %s (%s)", key, head, detail)) and all_ok
    fits[#fits + 1] = {method = method, instance = key, axis = axis, fitted = rate, lo = lo,
                       hi = hi, reference = ref}
  end
  return all_ok, fits
end

-- hg.plot_rates(fits [, {name=, title=, legend=, format=}]): fitted against theoretical rates
-- (the fits hg.expect_rate returns), one series per method and axis, with the line
-- fitted = theory; points under the line converge faster than their theory.
function hg.plot_rates(fits, opts)
  opts = opts or {}
  if type(fits) ~= "table" or #fits == 0 then
    error("hg.plot_rates: expected the fits returned by hg.expect_rate", 2)
  end
  local legend, groups, order = opts.legend or {}, {}, {}
  local lo, hi = 1, 0
  for _, f in ipairs(fits) do
    if finite(f.fitted) and finite(f.reference) then
      local label = fmt("%s (%s)", legend[f.method] or f.method, f.axis)
      if not groups[label] then
        groups[label] = {name = label, x = {}, y = {}}
        order[#order + 1] = groups[label]
      end
      local g = groups[label]
      g.x[#g.x + 1], g.y[#g.y + 1] = f.reference, f.fitted
      lo, hi = math.min(lo, f.reference, f.fitted), math.max(hi, f.reference, f.fitted)
    end
  end
  if #order == 0 then
    error("hg.plot_rates: no fit has both a fitted and a theoretical rate", 2)
  end
  for _, g in ipairs(order) do -- points in order of x, as the plot joins them
    local idx = {}
    for i = 1, #g.x do idx[i] = i end
    table.sort(idx, function(a, b) return g.x[a] < g.x[b] end)
    local x, y = {}, {}
    for j, i in ipairs(idx) do x[j], y[j] = g.x[i], g.y[i] end
    g.x, g.y = x, y
  end
  order[#order + 1] = {name = "fitted = theory", x = {lo, hi}, y = {lo, hi}}
  local name = opts.name or "rates"
  return core.plot{name = name, title = opts.title or "fitted against theoretical rates",
                   xlabel = "theoretical rate (DESIGN §7)", ylabel = "fitted rate",
                   logx = false, logy = false, format = opts.format or "png", series = order}
end

-- hg.mse(runs [, field]): the mean square error (the mean of field^2, field = "abs_error" by
-- default) over the repetitions of each method, problem instance and budget of a sweep (a
-- stochastic method's seeds: hg.sweep's seeds=): a list of rows {problem=, problem_params=,
-- method=, method_params=, t=, k=, t_budget=, k_budget=, mse=, count=, calls=, wall_s=,
-- bias=, bias2=} (calls and wall_s the repetitions' means), in order of first appearance, that
-- hg.plot draws (y = "mse") and hg.expect_slope fits.  Failed runs and non-finite errors are
-- left out.  The bias of the estimator, from the runs' vectors (hypergrad and exact; a
-- resumed run's come from the folder's vectors.tsv; a run without them makes bias and bias2
-- NaN), with e_i = hypergrad_i - exact over
-- S repetitions at the same theta: bias = ||mean e_i|| (which carries sampling noise:
-- E||mean e||^2 = ||b||^2 + tr Cov/S for b = E e) and bias2 = (S ||mean e||^2 - mse)/(S - 1),
-- an unbiased estimate of ||b||^2 (mse = ||b||^2 + tr Cov), which may come out negative.
function hg.mse(runs, field)
  field = field or "abs_error"
  if type(runs) ~= "table" then
    error("hg.mse: expected a sweep (from hg.sweep) or a list of runs", 2)
  end
  local rows, by_key = {}, {}
  for _, r in ipairs(runs) do
    local e = r[field]
    if r.status == "ok" and finite(e) then
      local key = fmt("%s|%s|%s|%s|%s|%s", r.problem, r.problem_params, r.method,
                      r.method_params, r.t_budget, r.k_budget)
      local row = by_key[key]
      if not row then
        row = {problem = r.problem, problem_params = r.problem_params, method = r.method,
               method_params = r.method_params, t = r.t_budget, k = r.k_budget,
               t_budget = r.t_budget, k_budget = r.k_budget, mse = 0, count = 0, calls = 0,
               wall_s = 0, mean_err = {}, vectors = true}
        by_key[key] = row
        rows[#rows + 1] = row
      end
      row.count = row.count + 1
      row.mse = row.mse + (e * e - row.mse) / row.count
      row.calls = row.calls + (r.calls - row.calls) / row.count
      row.wall_s = row.wall_s + (r.wall_s - row.wall_s) / row.count
      local g, x = r.hypergrad, r.exact
      if row.vectors and type(g) == "table" and type(x) == "table" and #g == #x then
        local m = row.mean_err
        for j = 1, #g do
          m[j] = (m[j] or 0) + ((g[j] - x[j]) - (m[j] or 0)) / row.count
        end
      else
        row.vectors = false
      end
    end
  end
  for _, row in ipairs(rows) do
    local s2 = 0 / 0
    if row.vectors and #row.mean_err > 0 then
      s2 = 0
      for _, v in ipairs(row.mean_err) do s2 = s2 + v * v end
    end
    row.bias = math.sqrt(s2)
    row.bias2 = row.count > 1 and (row.count * s2 - row.mse) / (row.count - 1) or 0 / 0
    row.mean_err, row.vectors = nil, nil
  end
  return rows
end

-- hg.expect_slope(rows, {x=, y=, within=, message=}): per method and problem instance of rows
-- (from hg.mse, or runs), the power law y ~ C x^slope fitted by least squares on log-log
-- (hg_fit_slope, with its 95 % interval; x = "t", y = "mse" by default) must have its slope in
-- within = {lo, hi} (default {-1.3, -0.7}: DESIGN §7's 1/t for sid's mean square error) and
-- its interval must reach the middle of that range.  One expectation per series.  Never raises;
-- returns whether all passed, and the fits {method=, instance=, slope=, lo=, hi=, used=}.
function hg.expect_slope(rows, opts)
  opts = opts or {}
  local x, y = opts.x or "t", opts.y or "mse"
  local within = opts.within or {-1.3, -0.7}
  local mid = 0.5 * (within[1] + within[2])
  local head = opts.message or fmt("%s ~ %s^slope with slope in [%s, %s]", y, x,
                                   number_text(within[1]), number_text(within[2]))
  if type(rows) ~= "table" or #rows == 0 then
    return core.expect(false, head .. " (no rows: expected hg.mse's)"), {}
  end
  local series, order = {}, {}
  for _, r in ipairs(rows) do
    local key = method_label(r, {}) .. ", " .. instance_label(r)
    if not series[key] then
      series[key] = {method = r.method, instance = instance_label(r), xs = {}, ys = {}}
      order[#order + 1] = key
    end
    local sr = series[key]
    sr.xs[#sr.xs + 1], sr.ys[#sr.ys + 1] = r[x], r[y]
  end
  local all_ok, fits = true, {}
  for _, key in ipairs(order) do
    local sr = series[key]
    local slope, lo, hi, used = core.fit_slope(sr.xs, sr.ys, 0)
    local ok = used >= 3 and finite(slope) and slope >= within[1] and slope <= within[2]
               and lo <= mid and mid <= hi
    all_ok = core.expect(ok, fmt("%s: %s (fitted %.3f [%.3f, %.3f] over %d points)", key, head,
                                 slope, lo, hi, used)) and all_ok
    fits[#fits + 1] = {method = sr.method, instance = sr.instance, slope = slope, lo = lo,
                       hi = hi, used = used}
  end
  return all_ok, fits
end
-- hg.images{name=, title=, w=, h=, columns=, format=, panels = {{title=, pixels = {...}},
-- ...}}: grey-level images side by side (0 black, 1 white; e.g. from P:images() and
-- P:solve(theta).w).  Returns the rendered file name (nil without gnuplot).
function hg.images(spec)
  if type(spec) ~= "table" or type(spec.panels) ~= "table" then
    error("hg.images: expected {name = ..., w = ..., h = ..., panels = {...}}", 2)
  end
  return core.images(spec)
end

-- hg.table{title=, columns={...}, rows={{...}, ...}}: a table in report.md under its title;
-- numbers are written with 4 significant digits (integers as they are), nil as "-".
function hg.table(spec)
  if type(spec) ~= "table" or type(spec.columns) ~= "table" or type(spec.rows) ~= "table" then
    error("hg.table: expected {title = ..., columns = {...}, rows = {{...}, ...}}", 2)
  end
  local function cell(v)
    if v == nil then return "-" end
    if math.type(v) == "integer" then return tostring(v) end
    if type(v) == "number" then return fmt("%.4g", v) end
    return (tostring(v):gsub("|", "\\|"))
  end
  local lines = {"| " .. table.concat(spec.columns, " | ") .. " |",
                 "|" .. string.rep("---|", #spec.columns)}
  for i, row in ipairs(spec.rows) do
    if type(row) ~= "table" then
      error(fmt("hg.table: row %d is a %s, not a list", i, type(row)), 2)
    end
    local cells = {}
    for j = 1, #spec.columns do cells[j] = cell(row[j]) end
    lines[#lines + 1] = "| " .. table.concat(cells, " | ") .. " |"
  end
  core.table(spec.title or "table", table.concat(lines, "\n"))
end

-- ---------------------------------------------------------------------------------------------
-- Outer loops (DESIGN §2.3)
-- ---------------------------------------------------------------------------------------------

-- hg.optimize(P, {outer=, outer_params={...}, method=, method_params={...}, steps=, max_work=,
-- t=, k=, tol_lower=, tol_linear=, max_t=, max_k=, theta=, warm=, exact=, seed=, label=}): run
-- an outer loop for `steps` steps or until its cumulative lower + linear iterations reach
-- max_work (the row that reaches it is the last), whichever comes first (steps defaults to 20,
-- or to 1000000 when max_work is given; max_work 0: no budget); its rows are appended to the
-- scenario's optimize.tsv and returned as a list of rows {step, accepted, value, f,
-- grad_norm, hg_norm, eps, delta, omega, step_size, lower, linear, work, calls, jacobian,
-- wall_s, theta} carrying label, problem, outer, method, status (message).  warm and exact
-- default to true; label to the outer loop's name.  An outer run is resumed like a
-- hypergradient run: a second `hgbench run` answers it from the folder's outer/KEY.run.
function hg.optimize(P, opts)
  if not is_problem(P) then
    error(fmt("hg.optimize: argument 1 must be a problem, got %s", type(P)), 2)
  end
  if type(opts) ~= "table" then
    error("hg.optimize: argument 2 must be a table {outer = ..., method = ..., ...}", 2)
  end
  return core.optimize(P, opts)
end

-- The loss of a row: the exact f when recorded, else the upper value at the returned w.
local function row_loss(r)
  return finite(r.f) and r.f or r.value
end

-- hg.psnr(loss, pixels): the PSNR in dB (peak 1) of a denoising loss E = (1/N) sum_i
-- 1/2 ||u_i - u-dagger_i||^2 over images of `pixels` pixels: the mean square error over all
-- pixels is 2E/pixels, so PSNR = 10 log10(pixels / (2E)).
function hg.psnr(loss, pixels)
  if type(pixels) ~= "number" or pixels < 1 then
    error(fmt("hg.psnr: pixels must be a positive number, got %s", tostring(pixels)), 2)
  end
  return 10 * math.log(pixels / (2 * loss), 10)
end

-- hg.plot_optimize(results, {name=, title=, x = "work"|"time"|FIELD, xlabel=,
-- y = "f"|"value"|"psnr"|FIELD, ylabel=, pixels=, format=}): the upper loss of each outer run
-- (results: a list of hg.optimize results, each a series named by its label) against
-- cumulative work (lower + linear iterations, default), wall time, or any numeric field the
-- scenario set on the rows (with xlabel); y = "psnr" plots hg.psnr of the loss (imaging;
-- pixels= per image required), y = another field plots that field of the rows (with ylabel;
-- e.g. a suboptimality the scenario computed).  Log scale on each axis whose values are all
-- positive and span more than a decade.  Returns the rendered file (nil without gnuplot).
function hg.plot_optimize(results, opts)
  opts = opts or {}
  if type(results) ~= "table" or #results == 0 then
    error("hg.plot_optimize: expected a non-empty list of hg.optimize results", 2)
  end
  local xkey = opts.x or "work"
  if type(xkey) ~= "string" then
    error(fmt("hg.plot_optimize: x must be a row field name, got %s", tostring(xkey)), 2)
  end
  local field = xkey == "time" and "wall_s" or xkey
  local ykey = opts.y
  if ykey ~= nil and type(ykey) ~= "string" then
    error(fmt("hg.plot_optimize: y must be \"f\", \"value\", \"psnr\" or a row field name, "
              .. "got %s", tostring(ykey)), 2)
  end
  local yfield = ykey ~= nil and ykey ~= "f" and ykey ~= "value" and ykey ~= "psnr"
  if ykey == "psnr" and (type(opts.pixels) ~= "number" or opts.pixels < 1) then
    error("hg.plot_optimize: y = \"psnr\" needs pixels= (pixels per image)", 2)
  end
  local series, xpos, ypos = {}, true, true
  local xlo, xhi, ylo, yhi = math.huge, -math.huge, math.huge, -math.huge
  for i, res in ipairs(results) do
    if type(res) ~= "table" or type(res.outer) ~= "string" then
      error(fmt("hg.plot_optimize: result %d is not an hg.optimize result", i), 2)
    end
    local x, y = {}, {}
    for _, r in ipairs(res) do
      local xv, yv = r[field], nil
      if yfield then
        yv = r[ykey]
      else
        yv = ykey == "value" and r.value or (ykey == "f" and r.f or row_loss(r))
        if ykey == "psnr" then yv = hg.psnr(yv, opts.pixels) end
      end
      if xv == nil or yv == nil then
        error(fmt("hg.plot_optimize: result %d's rows have no field %s", i,
                  xv == nil and xkey or ykey), 2)
      end
      if finite(yv) and finite(xv) then
        x[#x + 1], y[#y + 1] = xv, yv
        xpos, ypos = xpos and xv > 0, ypos and yv > 0
        xlo, xhi = math.min(xlo, xv), math.max(xhi, xv)
        ylo, yhi = math.min(ylo, yv), math.max(yhi, yv)
      end
    end
    series[#series + 1] = {name = res.label, x = x, y = y}
  end
  local ylabel = opts.ylabel or (ykey == "value" and "upper value E(w, theta)")
                 or (ykey == "psnr" and "PSNR [dB]") or (yfield and ykey)
                 or "upper loss f(theta)"
  local xlabel = opts.xlabel or (xkey == "time" and "wall time [s]")
                 or (xkey == "work" and "cumulative lower + linear iterations") or xkey
  return core.plot{name = opts.name or ("optimize_" .. xkey), format = opts.format or "png",
                   title = opts.title or ("upper loss against " ..
                                          (xkey == "time" and "time" or xkey)),
                   xlabel = xlabel, ylabel = ylabel,
                   logx = xpos and xhi > 10 * xlo,
                   logy = ykey ~= "psnr" and ypos and yhi > 10 * ylo, series = series}
end

-- The lowest loss a run reached within `work` of row field key (default "work": cumulative
-- lower + linear iterations; math.huge if none).
function hg.loss_at_work(res, work, key)
  key = key or "work"
  local best = math.huge
  for _, r in ipairs(res) do
    local y = row_loss(r)
    if r[key] <= work and finite(y) and y < best then best = y end
  end
  return best
end

-- The value of row field `field` at the last row within `work` (row field "work") where it is
-- a number (not nan: e.g. heldout, recorded every heldout_every-th row); nan if none.
function hg.value_at_work(res, work, field)
  local v = 0 / 0
  for _, r in ipairs(res) do
    local x = r[field]
    if r.work <= work and x == x then v = x end
  end
  return v
end

return hg

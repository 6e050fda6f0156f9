-- meta_learning.lua: meta-learning with biased regularization (DESIGN §3 "biased-reg") on
-- Fashion-MNIST class pairs.  Each of 10 tasks is a binary task on one pair of classes (the 45
-- pairs shuffled by seed=1), 50 training and 50 validation images of 14 x 14 of the test split
-- (it loads in a tenth of the time of the training split, and holds 2000 images per pair); the
-- shared bias theta in R^196 pulls every task's weights towards it.  For the squared loss
-- (Phi affine in w: ITD equals AID-FP with k = t exactly) and the logistic loss, the
-- hypergradient error of ITD, AID-FP, AID-CG, Neumann and JFB against the lower-level
-- iterations t (k = t), each DESIGN §7 bound dashed, and against oracle calls; the table gives
-- the first t of the grid each method needs for relative error 1e-6.
local hg = require "hgbench"

local TARGET = 1e-6
local base = {data = "fashion-mnist", split = "test", tasks = 10, downsample = 14, n = 50,
              n_val = 50, seed = 1}
local studies = {
  {name = "squared loss", loss = "squared"},
  {name = "logistic loss", loss = "logistic"},
}
local methods = {"itd", "aid-fp", "aid-cg", "neumann", "jfb"}
local rows = {}
for _, st in ipairs(studies) do
  local params = {loss = st.loss}
  for k, v in pairs(base) do params[k] = v end
  local P = hg.problem("biased-reg", params)
  local info = P:info()
  local T = math.ceil(math.log(1e-12) / math.log(info.q))
  local runs = hg.sweep{problems = {P}, methods = methods, t = hg.range(1, T, 24, "log"),
                        k = "t"}
  local title = "meta-learning on Fashion-MNIST class pairs, " .. st.name
  hg.plot{runs = runs, x = "t", logx = true, name = "meta_" .. st.loss .. "_vs_t",
          title = title .. ": hypergradient error against t (k = t), bounds dashed"}
  hg.plot{runs = runs, x = "calls", logx = true,
          name = "meta_" .. st.loss .. "_vs_calls",
          title = title .. ": hypergradient error against oracle calls (k = t)"}
  hg.check_bounds(runs, st.name .. ": every error within its DESIGN §7 bound")

  local by = {}
  for _, r in ipairs(runs) do
    by[r.method] = by[r.method] or {}
    by[r.method][r.t_budget] = r
  end
  if st.loss == "squared" then -- DESIGN §7: Phi affine in w, d_theta Phi constant
    local worst = 0
    for t, r in pairs(by.itd) do
      worst = math.max(worst, math.abs(r.rel_error - by["aid-fp"][t].rel_error))
    end
    hg.expect(worst <= 1e-10, string.format("%s: ITD and AID-FP (k = t) have the same error at "
                                            .. "every t (largest difference %.2g)", st.name, worst))
  end
  local row = {st.name, info.n_w, info.n_theta, string.format("%.4g", info.q)}
  for _, m in ipairs(methods) do
    local first
    for _, r in ipairs(runs) do
      if r.method == m and r.status == "ok" and r.rel_error <= TARGET and
         (not first or r.t_budget < first) then
        first = r.t_budget
      end
    end
    row[#row + 1] = first
    if not hg.method(m).biased then
      hg.expect(first ~= nil, string.format("%s: %s reaches relative error %g within t = %d",
                                            st.name, m, TARGET, T))
    end
  end
  rows[#rows + 1] = row
end

hg.table{title = "first t of the grid (k = t) with relative error <= 1e-6 (JFB keeps a bias)",
         columns = {"task loss", "n_w", "n_theta", "q", "ITD", "AID-FP", "AID-CG", "Neumann",
                    "JFB"},
         rows = rows}

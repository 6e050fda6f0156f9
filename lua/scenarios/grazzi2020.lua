-- grazzi2020.lua: the shape of the hypergradient-error study of Grazzi, Franceschi, Pontil and
-- Salzo, "On the iteration complexity of hypergradient computation" (ICML 2020, §4): the
-- relative error of ITD, AID-FP and AID-CG (AID-CG on the normal equations for the
-- non-symmetric equilibrium model) against the number of lower-level iterations t, with k = t
-- linear-system iterations, on logistic regression with per-feature L2, kernel ridge regression,
-- biased regularization (meta-learning) and an equilibrium model; each method's DESIGN §7 bound
-- is drawn dashed.  The table gives the t each method needs for 1e-6 relative error.
--
-- Where the paper used real data, so does this: logistic regression learns one L2 weight per
-- pixel of 14 x 14 Fashion-MNIST images on the binary task T-shirt/top (class 0) against shirt
-- (class 6), 500 training and 250 validation images of the training split; the equilibrium
-- model reads 200 training images of 14 x 14 of all ten classes (Debian's
-- dataset-fashion-mnist; manifest.json and report.md name each instance's data and seed).
-- Kernel ridge and biased regularization stay on seeded synthetic data.  Sizes are chosen so
-- the whole study runs in under a minute on 2 cores.
local hg = require "hgbench"

local TARGET = 1e-6
local studies = {
  {name = "logistic regression (Fashion-MNIST 0 vs 6)",
   problem = {"logreg", {data = "fashion-mnist", classes = "0,6", downsample = 14, n = 500,
                         n_val = 250, seed = 1}},
   theta = -2, cg = "aid-cg"},
  {name = "kernel ridge", problem = {"kernel-ridge", {n = 120, n_val = 80, d = 4, seed = 2}},
   cg = "aid-cg"},
  {name = "biased regularization", problem = {"biased-reg", {tasks = 10, d = 20, seed = 3}},
   cg = "aid-cg"},
  {name = "equilibrium model (Fashion-MNIST 14 x 14)",
   problem = {"equilibrium", {data = "fashion-mnist", downsample = 14, n = 200, a_norm = 0.9,
                              seed = 4}},
   cg = "aid-cg-normal"},
}
-- A t in (lo, hi] with rel_error <= TARGET whose predecessor is above it, by bisection: the
-- error at lo is above the target, at hi below (each probe is a recorded run).  The bracket is
-- the sweep's last budget above the target before its first below, so this is the first
-- crossing up to the sweep's resolution.
local function needed(P, method, theta, lo, hi)
  while hi - lo > 1 do
    local mid = (lo + hi) // 2
    local r = hg.hypergrad(P, {method = method, t = mid, k = mid, theta = theta})
    if r.status == "ok" and r.rel_error <= TARGET then hi = mid else lo = mid end
  end
  return hi
end

local rows = {}
for _, st in ipairs(studies) do
  local P = hg.problem(st.problem[1], st.problem[2])
  local info = P:info(st.theta)
  -- up to q^T = 1e-12: far below the target for every method the theory covers
  local T = math.ceil(math.log(1e-12) / math.log(info.q))
  local methods = {"itd", "aid-fp", st.cg}
  local runs = hg.sweep{problems = {P}, methods = methods, t = hg.range(1, T, 24, "log"),
                        k = "t", theta = st.theta}
  hg.plot{runs = runs, x = "t", logx = true,
          name = "grazzi2020_" .. st.problem[1],
          title = st.name .. ": hypergradient error against t (k = t), bounds dashed"}
  hg.check_bounds(runs, st.name .. ": every error within its DESIGN §7 bound")

  local row = {st.name, info.n_w, info.n_theta, info.q}
  for _, m in ipairs(methods) do
    -- bracket from the sweep: the last budget above the target before the first below it
    local lo, hi = 0, nil
    for _, r in ipairs(runs) do
      if r.method == m and r.status == "ok" then
        if r.rel_error <= TARGET then
          hi = hi or r.t_budget
        elseif not hi then
          lo = r.t_budget
        end
      end
    end
    local t_needed = hi and needed(P, m, st.theta, lo, hi)
    hg.expect(t_needed ~= nil, string.format("%s: %s reaches relative error %g within t = %d%s",
                                             st.name, m, TARGET, T,
                                             t_needed and " (t = " .. t_needed .. ")" or ""))
    row[#row + 1] = t_needed
  end
  -- Grazzi et al.'s ordering: the implicit methods need no more lower iterations than ITD
  -- (ITD pays for differentiating the early, inaccurate iterates).  CG on the normal equations
  -- (the non-symmetric equilibrium model) squares the condition number and is not part of
  -- that claim: its t is reported, not held to it (on Fashion-MNIST it is within a step of
  -- ITD's).
  if st.cg == "aid-cg" then
    hg.expect(row[6] and row[5] and row[7] and row[6] <= row[5] and row[7] <= row[5],
              st.name .. ": AID-FP and AID-CG need no more t than ITD for " .. TARGET)
  else
    hg.expect(row[6] and row[5] and row[6] <= row[5],
              st.name .. ": AID-FP needs no more t than ITD for " .. TARGET)
  end
  rows[#rows + 1] = row
end

hg.table{title = "lower-level iterations t (k = t) each method needs for relative error 1e-6",
         columns = {"problem", "n_w", "n_theta", "q", "ITD", "AID-FP", "AID-CG"},
         rows = rows}

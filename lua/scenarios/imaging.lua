-- imaging.lua: learned variational regularizers for images (DESIGN §3, the imaging problems).
-- For denoising and deblurring with smoothed TV: the clean, observed and reconstructed images
-- side by side (the exact lower-level solution at theta), and the hypergradient error of every
-- applicable method against its cost in oracle calls (Phi and Jacobian products), with k = t,
-- the implicit methods also with the FISTA lower solver.  The real-image case denoises three
-- whole 28 x 28 Fashion-MNIST test images (images=fashion-mnist, Debian's
-- dataset-fashion-mnist, chosen by seed=3; report.md and manifest.json name them).  Huber-TV in
-- saddle-point form (denoise-tv-pd) compares piggyback (Chambolle-Pock PDHG with adjoint states;
-- its t counts PDHG steps) with AID-CG on the smoothed primal, and again with Charbonnier + gamma/2
-- z^2 (f=charbonnier), where piggyback's a-posteriori saddle bound holds every error; an input-
-- convex network regularizer (denoise-icnn) is solved by the Phi-based methods.
local hg = require "hgbench"

local cases = {
  {name = "denoise-tv", params = {n_images = 3, size = 32, noise = 0.1, seed = 1},
   title = "TV denoising, 32 x 32 synthetic"},
  -- deblurring wants a lighter TV weight than theta0's: theta = (log 0.01, log 0.05), and the
  -- step 1/L at that theta (L = 1 + gamma + 4 lam/eps)
  {name = "deblur-tv", params = {n_images = 2, size = 24, noise = 0.02, gamma = 0.01, seed = 2,
                                 step = 1 / (1.01 + 4 * 0.01 / 0.05)},
   theta = {math.log(0.01), math.log(0.05)},
   title = "TV deblurring (Gaussian blur, sigma 1), 24 x 24 synthetic"},
  {name = "denoise-tv", params = {images = "fashion-mnist", n_images = 3, size = 28, noise = 0.1,
                                 seed = 3},
   title = "TV denoising, three 28 x 28 Fashion-MNIST test images", tag = "denoise-tv_fashion"},
  -- nu1 does not exist for Huber-TV (d_w Phi jumps at the kinks), so there is no DESIGN §7
  -- bound to check: both methods must reach the exact hypergradient instead (so they agree)
  {name = "denoise-tv-pd", params = {n_images = 2, size = 32, noise = 0.1, seed = 1},
   methods = {"aid-cg", "piggyback"}, nobounds = true,
   title = "Huber-TV denoising (saddle-point form), 32 x 32 synthetic"},
  -- Charbonnier + gamma/2 z^2 on K = lam D: every constant known, so every error is held to
  -- its bound, piggyback's to its a-posteriori saddle bound (docs/theory.md)
  {name = "denoise-tv-pd", params = {f = "charbonnier", n_images = 2, size = 32, noise = 0.1,
                                     seed = 1},
   methods = {"aid-cg", "piggyback"}, tag = "denoise-tv-pd_charbonnier",
   title = "Charbonnier-TV denoising (saddle-point form), 32 x 32 synthetic"},
  -- a learned input-convex network (two softplus conv layers): nu1, nu2 not derived, so no
  -- bound to check; every method reaches the exact hypergradient (Newton + CHOLMOD)
  {name = "denoise-icnn", params = {n_images = 2, size = 16, noise = 0.1, seed = 1},
   -- the error is ~1e3 q^t here (q = 0.90 from the L bound, the rate itd fits): t 30 % past
   -- q^t = 1e-10 puts every method below 1e-8
   methods = {"itd", "aid-fp", "aid-cg", {"aid-cg", {lower = "fista"}}, "neumann"},
   nobounds = true, t_scale = 1.3, title = "ICNN-regularized denoising, 16 x 16 synthetic"},
}
local methods = {"itd", "aid-fp", "aid-cg", {"aid-cg", {lower = "fista"}}, "neumann", "jfb",
                 "piggyback"}
local rows = {}
for _, c in ipairs(cases) do
  local tag = c.tag or c.name
  local P = hg.problem(c.name, c.params)
  local info = P:info(c.theta)
  local set, sol = P:images(), P:solve(c.theta)
  local n = set.w * set.h

  -- clean | observed | reconstructed, for up to two training pairs
  local panels = {}
  for i = 1, math.min(2, set.N) do
    local u = {}
    for j = 1, n do u[j] = sol.w[(i - 1) * n + j] end
    local mse_f, mse_u = 0, 0
    for j = 1, n do
      mse_f = mse_f + (set.noisy[i][j] - set.clean[i][j]) ^ 2
      mse_u = mse_u + (u[j] - set.clean[i][j]) ^ 2
    end
    local psnr = function(m) return 10 * math.log(n / m, 10) end
    panels[#panels + 1] = {title = string.format("clean %d", i), pixels = set.clean[i]}
    panels[#panels + 1] = {title = string.format("observed (PSNR %.1f dB)", psnr(mse_f)),
                           pixels = set.noisy[i]}
    panels[#panels + 1] = {title = string.format("u*(theta) (PSNR %.1f dB)", psnr(mse_u)),
                           pixels = u}
    hg.expect(mse_u < mse_f, string.format("%s, image %d: the reconstruction is closer to the "
                                           .. "clean image than the observation", tag, i))
  end
  hg.images{name = tag .. "_images", title = c.title, w = set.w, h = set.h, columns = 3,
            panels = panels}

  -- error against cost, k = t
  local T = math.ceil((c.t_scale or 1) * math.log(1e-10) / math.log(info.q))
  local runs = hg.sweep{problems = {P}, methods = c.methods or methods,
                        t = hg.range(2, T, 10, "log"), k = "t", theta = c.theta}
  hg.plot{runs = runs, x = "calls", logx = true, name = tag .. "_error_vs_cost",
          title = c.title .. ": hypergradient error against oracle calls (k = t)"}
  if c.nobounds then
    local last = {}
    for _, r in ipairs(runs) do
      if r.t_budget == T then last[#last + 1] = r end
    end
    hg.expect_below(last, "rel_error", 1e-8,
                    tag .. ": every method within 1e-8 of exact at t = k = " .. T)
  else
    hg.check_bounds(runs, tag .. ": every error within its DESIGN §7 bound (or omega for FISTA)")
  end
  -- cost to 1e-6: the cheapest run of each method below it (a column per method of the list)
  local row = {tag, info.n_w, info.q}
  for col, m in ipairs(methods) do
    local name = type(m) == "table" and m[1] .. " lower=fista" or m
    local best
    for _, r in ipairs(runs) do
      local rname = r.method .. (r.method_params ~= "" and " " .. r.method_params or "")
      if rname == name and r.status == "ok" and r.rel_error <= 1e-6 and
         (not best or r.calls < best.calls) then
        best = r
      end
    end
    row[3 + col] = best and string.format("%d (%.3g s)", best.calls, best.wall_s) or nil
  end
  rows[#rows + 1] = row
end

hg.table{title = "oracle calls (and wall time) of the cheapest run with relative error <= 1e-6",
         columns = {"problem", "n_w", "q", "ITD", "AID-FP", "AID-CG", "AID-CG (FISTA)", "Neumann",
                    "JFB", "piggyback"},
         rows = rows}

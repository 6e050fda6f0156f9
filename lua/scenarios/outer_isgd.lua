-- outer_isgd.lua: the stochastic outer loop against the adaptive deterministic one on learned
-- TV denoising with many training images (DESIGN §2.3; issue 7, reproduction 2; Salehi,
-- Mukherjee, Roberts, Ehrhardt, "Bilevel learning with inexact stochastic gradients", 2024).
-- theta = (log TV weight, log smoothing) of denoise-tv on N Fashion-MNIST test images: MAID
-- computes every hypergradient on all N images; ISGD on a mini-batch of 4, with decreasing
-- steps alpha0/sqrt(s+1) and accuracy eps0/(s+1), plain and with Adam, warm-starting each
-- image where its last batch left it.  An iteration of the lower solver or of CG on a batch
-- of b images costs b image-iterations (denoise-tv skips the images outside the batch), so
-- the x axis is image-iterations (lower + CG iterations times the images per iteration),
-- and wall time; the loss is the exact upper objective on all N images (the harness's
-- direct solve, outside the costs), also as PSNR.
local hg = require "hgbench"

local N, side, batch = 64, 28, 4
local P = hg.problem("denoise-tv", {images = "fashion-mnist", n_images = N, size = side,
                                    step = 0.02, seed = 0})
local method, mparams = "aid-cg", {lower = "fista"}
local runs = {
  {"maid", {}, 30, N, "MAID (all images)"},
  {"isgd", {batch = batch, step = 1}, 60, batch, "ISGD, batch 4"},
  {"isgd", {batch = batch, step = 0.2, adam = 1}, 60, batch, "ISGD + Adam, batch 4"},
}

local results = {}
for _, r in ipairs(runs) do
  local res = hg.optimize(P, {outer = r[1], outer_params = r[2], method = method,
                              method_params = mparams, steps = r[3], label = r[5]})
  hg.expect(res.status == "ok", r[5] .. ": ran all steps (" .. res.status .. ")")
  for _, row in ipairs(res) do row.image_work = row.work * r[4] end
  local f0, fl = res[1].f, res[#res].f
  hg.expect(fl < f0, string.format("%s decreases the exact f: %.6g -> %.6g", r[5], f0, fl))
  results[#results + 1] = res
end

-- the stochastic method ahead early: at the image-work of ISGD's whole run, its loss is below
-- what MAID reached with the same work
local maid, isgd = results[1], results[2]
local w_isgd = isgd[#isgd].image_work
local l_maid = hg.loss_at_work(maid, w_isgd, "image_work")
local l_isgd = hg.loss_at_work(isgd, w_isgd, "image_work")
hg.expect(l_isgd < l_maid, string.format("ISGD ahead early: at %d image-iterations its loss "
                                         .. "%.6g is below MAID's %.6g", w_isgd, l_isgd,
                                         l_maid))

local pixels = side * side
local rows = {}
for _, res in ipairs(results) do
  local last = res[#res]
  local at = hg.loss_at_work(res, w_isgd, "image_work")
  rows[#rows + 1] = {res.label, at, hg.psnr(at, pixels), last.f, hg.psnr(last.f, pixels),
                     last.image_work, last.wall_s}
end
hg.table{title = string.format("denoise-tv, %d Fashion-MNIST images %dx%d: loss at %d "
                               .. "image-iterations (ISGD's run) and at the end", N, side,
                               side, w_isgd),
         columns = {"outer loop", "f at equal work", "PSNR [dB]", "final f", "final PSNR",
                    "image-iterations", "time [s]"},
         rows = rows}
hg.plot_optimize(results, {name = "isgd_loss_vs_work", x = "image_work",
                           xlabel = "image-iterations (lower + CG iterations x images)",
                           title = "denoise-tv (Fashion-MNIST): upper loss against work"})
hg.plot_optimize(results, {name = "isgd_psnr_vs_work", x = "image_work", y = "psnr",
                           pixels = pixels,
                           xlabel = "image-iterations (lower + CG iterations x images)",
                           title = "denoise-tv (Fashion-MNIST): PSNR against work"})
hg.plot_optimize(results, {name = "isgd_loss_vs_time", x = "time",
                           title = "denoise-tv (Fashion-MNIST): upper loss against time"})

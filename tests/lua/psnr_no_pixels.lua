-- psnr_no_pixels.lua: plot_optimize with y = "psnr" and no pixels= is an error naming it.
local hg = require "hgbench"
local P = hg.problem("ridge", {})
local res = hg.optimize(P, {outer = "hgd", method = "aid-cg", steps = 1})
hg.plot_optimize({res}, {y = "psnr"})

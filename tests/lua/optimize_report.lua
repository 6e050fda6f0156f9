-- optimize_report.lua: a scenario with only outer runs: report.md counts them (and their rows)
-- and lists the data they ran on; hg.psnr and plot_optimize on a row field the script sets.
local hg = require "hgbench"
local P = hg.problem("ridge", {})
local res = hg.optimize(P, {outer = "isgd", outer_params = {batch = 10, step = 1},
                            method = "aid-cg", steps = 5})
hg.expect(#res == 6, "isgd: 6 rows (" .. #res .. ")")
for _, r in ipairs(res) do r.doubled = 2 * r.work end
hg.plot_optimize({res}, {name = "by_field", x = "doubled", xlabel = "twice the work"})
-- PSNR of E = 1/2 ||u - u+||^2 per image of 100 pixels with every pixel off by 0.1:
-- E = 1/2 100 0.01 = 0.5, MSE = 0.01, PSNR = 20 dB
hg.expect(math.abs(hg.psnr(0.5, 100) - 20) < 1e-12, "hg.psnr(0.5, 100) = 20 dB")

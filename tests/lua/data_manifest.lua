-- data_manifest.lua: runs on three problem instances -- logistic regression on a Fashion-MNIST
-- class pair (twice over: two methods, two budgets) and synthetic ridge regression over two
-- seeds -- for manifest.cmake, which checks that manifest.json's "data" and report.md's Data
-- list each instance once, with its data set, split, sizes, classes, side and seed.
local fm = hg.sweep{
  problems = {{"logreg", {data = "fashion-mnist", split = "test", classes = "0,6", n = 40,
                          n_val = 20, downsample = 7, seed = 5}}},
  methods = {"itd", "aid-cg"}, t = {5, 10}, k = "t",
}
local syn = hg.sweep{problems = {{"ridge", {n = 30, d = 4}}}, methods = {"aid-cg"}, t = 5,
                     seeds = 2}
hg.expect(#fm == 4 and #syn == 2, "the sweeps made 4 + 2 runs")

-- sweep_slow.lua: 12 runs of ~0.1-0.5 s each, long enough for tests/sweep.sh to kill a shard
-- or an MPI job between two finished runs, and then finish it with a rerun.
hg.sweep{problems = {{"quadratic", {n = 800, m = 4, kappa = 5}}},
         methods = {"itd", "aid-cg"}, t = {1000, 3000}, k = 100, seeds = 3}

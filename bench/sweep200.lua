-- sweep200.lua: the scale-out measurement of issue 22 (README "Scale-out"): 200 runs of very
-- uneven cost (t from 10 to 2000: a 200x spread), serial against `mpirun -np 2 ... --mpi`.
--   hgbench plan bench/sweep200.lua --shards 2
--   time hgbench run bench/sweep200.lua --out out/s200-serial
--   time mpirun -np 2 hgbench run bench/sweep200.lua --mpi --out out/s200-mpi
-- 1 problem x 10 seeds x 4 methods x 5 budgets = 200 runs; the quadratic's seed changes with
-- the repetition, so each repetition builds its own instance (n = 600).
hg.sweep{
  problems = {{"quadratic", {n = 600, m = 10, kappa = 20}}},
  methods = {"itd", "aid-cg", "aid-fp", "neumann"},
  t = {10, 50, 200, 800, 2000},
  k = 50,
  seeds = 10,
}

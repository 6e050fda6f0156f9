#!/bin/sh
# resume_overhead.sh [HGBENCH] [N ...] -- the harness's bookkeeping per run (DESIGN §6), not a
# test: a scenario of N trivial runs (quadratic n=2 m=1, jfb, t=1; each run its own seed= so
# each is its own results row) run fresh into an empty folder, then again (a full resume: every
# run answered from results.tsv).  For each N it prints the wall time of the whole command,
# the seconds per run beyond a 1-run scenario's (process start, report, manifest), the
# computation the runs themselves timed (results.tsv's wall_s), and what is left: the
# harness's overhead per run; and the CPU seconds (user + system) per run the same way, which
# leave out the wait for the disk in fdatasync.  Flat in N means appending, fsync and the
# resume index cost the same per run at 100 and at 10,000 runs.  Needs GNU time (/usr/bin/time).
#   bench/resume_overhead.sh build/hgbench 100 1000 10000
set -eu
HG=${1:-build/hgbench}
[ $# -gt 0 ] && shift
NS=${*:-100 1000 10000}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/hg-resume-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

cat >"$WORK/trivial.lua" <<'LUA'
local N = math.tointeger(tonumber(os.getenv("HG_BENCH_N")))
local P = hg.problem("quadratic", {n = 2, m = 1})
for i = 1, N do
  hg.hypergrad(P, {method = "jfb", t = 1, seed = i})
end
LUA

# "WALL CPU" seconds of one `hgbench run` of N runs into folder $2 (CPU: the task clock,
# user + system, from perf stat)
timed() {
  HG_BENCH_N=$1 OPENBLAS_NUM_THREADS=1 perf stat -x, -e task-clock,duration_time \
    -o "$WORK/time" "$HG" run "$WORK/trivial.lua" --out "$2" >/dev/null 2>&1
  awk -F, '$3 == "task-clock" { c = $1 / 1e3 } $3 == "duration_time" { w = $1 / 1e9 }
           END { printf "%.6f %.6f", w, c }' "$WORK/time"
}

# the least of 5 timings of a pass that can be repeated (process start varies by milliseconds)
best() { # N folder
  for i in 1 2 3 4 5; do timed "$1" "$2"; echo; done |
    sort -n | head -n 1
}

one_fresh=$(for i in 1 2 3 4 5; do rm -rf "$WORK/one"; timed 1 "$WORK/one"; echo; done |
            sort -n | head -n 1)
one_resume=$(best 1 "$WORK/one")
printf '%-6s %-6s %8s %8s %11s %11s %11s %11s\n' N pass wall_s cpu_s wall/run cpu/run \
  compute/run overhead/run
# per run: beyond the 1-run scenario, over the N - 1 more runs
row() { # N pass "WALL CPU" "WALL1 CPU1" compute_seconds
  echo "$1 $2 $3 $4 $5" | awk '{ w = ($3 - $5) / ($1 - 1); c = ($4 - $6) / ($1 - 1);
    printf "%-6d %-6s %8.3f %8.3f %11.2e %11.2e %11.2e %11.2e\n", $1, $2, $3, $4, w, c, $7 / $1,
           w - $7 / $1 }'
}
for n in $NS; do
  rm -rf "$WORK/out"
  fresh=$(timed "$n" "$WORK/out")
  compute=$(awk -F'\t' 'NR > 1 { s += $22 } END { printf "%.9f", s }' "$WORK/out/results.tsv")
  resume=$(best "$n" "$WORK/out")
  rows=$(($(wc -l <"$WORK/out/results.tsv") - 1))
  [ "$rows" -eq "$n" ] || { echo "results.tsv has $rows rows, expected $n" >&2; exit 1; }
  row "$n" fresh "$fresh" "$one_fresh" "$compute"
  row "$n" resume "$resume" "$one_resume" 0
done

#!/bin/sh
# sweep.sh -- the scale-out tests (issue 22; README "Scale-out"):
#   sh sweep.sh HG MODE OUT SMALL SLOW [MPIRUN]
# MODE
#   shard   serial run, then --shard 0/3, 1/3, 2/3 and merge: the same results.tsv (wall_s
#           aside), optimize.tsv (wall_s aside) and expectations; plan's keys are the serial
#           run's keys; status counts 32 done, then 10 missing after a shard's file is lost.
#   mpi     serial run against mpirun -np 2 ... --mpi: the same results.tsv (wall_s aside).
#   kill    a shard killed (SIGKILL) between two finished runs, and an MPI rank killed
#           (SIGKILL; OpenMPI then aborts the job), are finished by a rerun that runs only what
#           is missing; the merged results equal a serial run's.
#   slurm   the sbatch script of `hgbench slurm`: array range, commands, merge dependency, --mem.
#   slurm-real  slurmctld and slurmd started in the test's folder (a one-node cluster,
#           auth/none, its own ports) run the job array and the merge: the serial results.
# Exit 77 (CTest: skipped) with a line saying why when MPI is not built or the slurm daemons
# cannot be started here.
set -u
HG=$1 MODE=$2 OUT=$3 SMALL=$4 SLOW=$5 MPIRUN=${6:-}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 # mpirun as root (containers)
export OMPI_MCA_btl_base_warn_component_unused=0
# under ASan (.ci/run): OpenMPI's own allocations kept past MPI_Finalize are not hgbench's leaks
export LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$(cd "$(dirname "$0")" && pwd)/sweep/lsan-mpi.supp"
rm -rf "$OUT"
mkdir -p "$OUT"
cd "$OUT" || exit 1
fail() { echo "FAIL: $*"; exit 1; }
# results.tsv without its wall_s column (22), which is timing
strip() { cut -f1-21,23- "$1/results.tsv"; }
same() { strip "$1" > "$1.cut"; strip "$2" > "$2.cut"
         cmp -s "$1.cut" "$2.cut" || { diff "$1.cut" "$2.cut" | head -5; fail "$1 and $2 differ"; }
         echo "ok: $1/results.tsv = $2/results.tsv ($(($(wc -l < "$1.cut") - 1)) rows, wall_s aside)"; }
rows() { echo $(($(wc -l < "$1") - 1)); }
# Under ASan, leak checking is off for the MPI ranks only: OpenMPI's plugins (dlopen'ed, then
# closed) leave allocations that LeakSanitizer reports from "<unknown module>", past any
# suppression by library name.  The same code paths run leak-checked in sweep_shard.
mpi_env() { ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" "$@"; }
mpirun_np2() { mpi_env "$MPIRUN" --oversubscribe -np 2 "$@"; }

case $MODE in
shard)
  "$HG" run "$SMALL" --out serial > /dev/null 2> serial.log || fail "serial run"
  # a plain rerun answers everything: outer runs too (optimize.tsv the same to the last digit
  # of wall_s: not run again), and hg.mse's bias2 from the stored vectors, not NaN
  cp serial/optimize.tsv opt.first; grep 'bias2 is a number' serial/report.md > bias.first
  "$HG" run "$SMALL" --out serial > /dev/null 2> rerun.log || fail "serial rerun"
  grep -q '24 of 24 runs already recorded' rerun.log && grep -q '6 of 6 runs already recorded' rerun.log ||
    fail "the rerun ran hypergradients again: $(cat rerun.log)"
  cmp -s opt.first serial/optimize.tsv || fail "the rerun ran the outer runs again"
  grep 'bias2 is a number' serial/report.md | cmp -s - bias.first ||
    fail "bias2 of the resumed runs differs: $(grep bias2 serial/report.md)"
  echo "ok: a rerun resumes the outer runs and gives the same bias2 ($(grep -c PASS bias.first) rows)"
  "$HG" plan "$SMALL" --shards 3 > plan.txt || fail "plan"
  grep -q '^# .*: 32 runs, estimated cost' plan.txt || fail "plan: no '32 runs' header"
  [ "$(grep -c '  run  ' plan.txt)" = 30 ] && [ "$(grep -c '  outer  ' plan.txt)" = 2 ] ||
    fail "plan: expected 30 hypergradient runs and 2 outer runs"
  grep -q '^# 3 shards: busiest .* (balance 1\.0[0-9]*)' plan.txt ||
    fail "plan: 3 shards not balanced within 10 %: $(tail -1 plan.txt)"
  # the plan's keys are the keys the serial run recorded (results.tsv's key column, 48)
  awk '$3 == "run" {print $2}' plan.txt | sort > plan.keys
  cut -f48 serial/results.tsv | tail -n +2 | sort > serial.keys
  cmp -s plan.keys serial.keys || fail "plan's keys are not the serial run's"
  echo "ok: plan lists the serial run's 30 keys, 2 outer runs and a balance within 1.1"
  "$HG" plan "$(dirname "$SMALL")/twice.lua" > twice.txt || fail "plan twice.lua"
  [ "$(grep -c '  run  ' twice.txt)" = 2 ] || fail "a run asked for twice is not one unit: $(cat twice.txt)"
  for i in 0 1 2; do
    "$HG" run "$SMALL" --shard $i/3 --out sh > shard$i.log 2>&1 || fail "shard $i/3"
  done
  n0=$(rows sh/shard-0-of-3/results.tsv) n1=$(rows sh/shard-1-of-3/results.tsv)
  n2=$(rows sh/shard-2-of-3/results.tsv)
  [ $((n0 + n1 + n2)) = 30 ] || fail "the shards hold $n0 + $n1 + $n2 rows, not 30"
  "$HG" merge sh --out sh > merge.log 2>&1 || { cat merge.log; fail "merge"; }
  same serial sh
  cut -f1-18,20- serial/optimize.tsv > o1; cut -f1-18,20- sh/optimize.tsv > o2
  cmp -s o1 o2 || fail "optimize.tsv differs between serial and merged"
  grep -q 'PASS sid t=200: bias2 is a number' sh/report.md || fail "bias2 of resumed runs"
  grep -c '^- PASS' serial/report.md > e1; grep -c '^- PASS' sh/report.md > e2
  cmp -s e1 e2 && ! grep -q '^- FAIL' sh/report.md || fail "expectations differ"
  echo "ok: optimize.tsv, bias2 and the $(cat e1) expectations equal the serial run's"
  # shard 0/3 again into another folder: merging both reports its keys as duplicates
  "$HG" run "$SMALL" --shard 0/3 --out sh2 > /dev/null 2>&1 || fail "shard 0/3 into sh2"
  "$HG" merge sh sh2 --out m2 > dup.log 2>&1 || { cat dup.log; fail "merge sh sh2"; }
  grep -q "^hgbench: merge: $n0 run key(s) found in more than one folder: the newest row of each kept" dup.log &&
    grep -q "duplicate key .* again in sh2/shard-0-of-3" dup.log ||
    fail "merge did not report shard 0's $n0 keys as duplicates: $(cat dup.log)"
  same serial m2
  echo "ok: the $n0 duplicate keys of a shard run twice are reported, the newest kept"
  "$HG" status sh > status.txt; rc=$?
  [ $rc = 0 ] && grep -q '^sh: 32 runs: 32 done, 0 failed, 0 missing$' status.txt ||
    fail "status after merge: $(cat status.txt) (exit $rc)"
  rm sh/results.tsv sh/shard-1-of-3/results.tsv sh/shard-1-of-3/vectors.tsv
  "$HG" status sh > status.txt; rc=$?
  [ $rc = 1 ] && grep -q "^sh: 32 runs: $((32 - n1)) done, 0 failed, $n1 missing\$" status.txt ||
    fail "status without shard 1's results: $(head -1 status.txt) (exit $rc)"
  echo "ok: status counts 32 done, then $n1 missing when shard 1/3's file is gone (exit 1)"
  "$HG" merge sh --out sh > merge2.log 2>&1; rc=$?
  [ $rc = 1 ] && grep -q "$n1 run(s) missing" merge2.log || fail "merge with runs missing"
  "$HG" run "$SMALL" --shard 1/3 --out sh > rerun.log 2>&1 || fail "shard 1/3 again"
  # its n1 hypergradient runs again; its outer run was kept (sh/shard-1-of-3/outer)
  grep -q "$n1 run now, 1 already" rerun.log || fail "rerun of shard 1: $(cat rerun.log)"
  "$HG" merge sh --out sh > merge3.log 2>&1 || fail "merge after the rerun"
  same serial sh
  ;;
mpi)
  if [ -z "$MPIRUN" ]; then
    echo "SKIPPED: this hgbench was built without MPI (HGBENCH_MPI off: install openmpi-bin and libopenmpi-dev)"
    exit 77
  fi
  "$HG" run "$SMALL" --out serial > /dev/null 2> serial.log || fail "serial run"
  mpirun_np2 "$HG" run "$SMALL" --mpi --out mp > mpi.log 2>&1 || { cat mpi.log; fail "mpirun"; }
  cat mpi.log
  grep -q '2 ranks, 32 runs (32 handed out now)' mpi.log || fail "mpi: not 32 runs handed out"
  same serial mp
  "$HG" status mp | grep -q '32 done, 0 failed, 0 missing' || fail "status after mpi"
  ;;
kill)
  "$HG" run "$SLOW" --out serial > /dev/null 2> serial.log || fail "serial run"
  # a shard killed between two finished runs
  "$HG" run "$SLOW" --shard 0/2 --out ks > ks.log 2>&1 &
  pid=$!
  f=ks/shard-0-of-2/results.tsv
  while kill -0 $pid 2> /dev/null && [ "$( (wc -l < $f) 2> /dev/null || echo 0)" -lt 3 ]; do
    sleep 0.02
  done
  kill -KILL $pid 2> /dev/null && killed=yes || killed=no
  wait $pid 2> /dev/null
  done0=$(rows $f)
  [ $killed = yes ] || echo "note: shard 0/2 finished before it could be killed"
  echo "shard 0/2 killed: $killed, with $done0 runs on disk"
  "$HG" run "$SLOW" --shard 0/2 --out ks > ks2.log 2>&1 || fail "shard 0/2 again"
  "$HG" run "$SLOW" --shard 1/2 --out ks > ks3.log 2>&1 || fail "shard 1/2"
  grep -q "run now, $done0 already" ks2.log || fail "the rerun redid finished runs: $(cat ks2.log)"
  "$HG" merge ks --out ks > ksm.log 2>&1 || fail "merge"
  same serial ks
  if [ -n "$MPIRUN" ]; then
    env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
      "$MPIRUN" --oversubscribe -np 2 "$HG" run "$SLOW" --mpi --out km > km.log 2>&1 & # env execs mpirun
    pid=$!
    while kill -0 $pid 2> /dev/null &&
          [ "$(cat km/rank-*/results.tsv 2> /dev/null | grep -vc "^scenario")" -lt 2 ]; do
      sleep 0.02
    done
    # one rank (a child of this mpirun) killed: OpenMPI then aborts the whole job
    rank=$(pgrep -P $pid | head -1)
    [ -n "$rank" ] && kill -KILL $rank 2> /dev/null && killed=yes || killed=no
    wait $pid 2> /dev/null
    done1=$(cat km/rank-*/results.tsv 2> /dev/null | grep -vc '^scenario')
    echo "MPI rank killed: $killed, with $done1 runs on disk"
    mpirun_np2 "$HG" run "$SLOW" --mpi --out km > km2.log 2>&1 || { cat km2.log; fail "mpirun again"; }
    grep -q "12 runs ($((12 - done1)) handed out now)" km2.log ||
      fail "the MPI rerun did not hand out exactly the $((12 - done1)) missing runs: $(cat km2.log)"
    same serial km
  else
    echo "note: MPI not built: the killed-rank case skipped"
  fi
  ;;
slurm)
  # the generated sbatch script: array range, the shard and merge commands, the dependency
  "$HG" slurm "$SMALL" --tasks 3 --time 00:10:00 --partition debug > slurm.sh || fail "slurm"
  big=$("$HG" plan "$SMALL" | awk '$3 == "run" || $3 == "outer" {sub("M", "", $5); if ($5 > m) m = $5} END {print m}')
  mem=$(( (big * 5 + 3) / 4 )) # the largest run's estimate and 25 %, as slurm.c rounds up
  sh -n slurm.sh || fail "slurm.sh is not a valid sh script"
  for want in '^#SBATCH --array=0-2$' '^#SBATCH --time=00:10:00$' '^#SBATCH --partition=debug$' \
              "^#SBATCH --mem=[0-9]*M\$" '^#SBATCH --cpus-per-task=1$' \
              "^exec '.*hgbench' run '.*/sweep_small.lua' --shard \"\$SLURM_ARRAY_TASK_ID/3\" --out '/.*/out/sweep_small'\$" \
              '^merge=\$(sbatch --parsable --dependency=afterok:\$array ' \
              "^exec '.*hgbench' merge '/.*/out/sweep_small' --out '/.*/out/sweep_small'\$"; do
    grep -q -- "$want" slurm.sh || fail "slurm.sh lacks a line matching $want"
  done
  [ "$(grep -c '^#SBATCH --array' slurm.sh)" = 1 ] || fail "one job array expected"
  got=$(sed -n 's/^#SBATCH --mem=\([0-9]*\)M$/\1/p' slurm.sh | head -1)
  [ "$got" -ge "$big" ] && [ "$got" -le "$((mem + 1))" ] ||
    fail "--mem=${got}M: expected the largest run's ${big}M and a 25 % margin"
  "$HG" slurm "$SMALL" --tasks 2 --mem 2G --out sl > /dev/null || fail "slurm --out"
  grep -q '^#SBATCH --mem=2G$' sl/slurm.sh && grep -q '^#SBATCH --array=0-1$' sl/slurm.sh &&
    ! grep -q -- '--partition' sl/slurm.sh || fail "slurm --tasks 2 --mem 2G --out sl"
  echo "ok: slurm.sh: array 0-2, --shard \$SLURM_ARRAY_TASK_ID/3, merge after afterok, --mem ${got}M from the largest run (${big}M)"
  ;;
slurm-real)
  # a one-node cluster of Debian's slurm daemons in this folder (auth/none, its own ports)
  command -v slurmctld > /dev/null && command -v slurmd > /dev/null && command -v sbatch > /dev/null ||
    { echo "SKIPPED: slurmctld, slurmd or sbatch not installed (Debian: slurm-wlm)"; exit 77; }
  D=$PWD host=$(hostname -s) port=$((20000 + $$ % 20000))
  memmb=$(awk '/MemTotal/ {print int($2 / 1024 * 0.5)}' /proc/meminfo)
  mkdir -p state spool
  cat > slurm.conf <<EOC
ClusterName=hgbench
SlurmctldHost=$host
SlurmUser=$(id -un)
SlurmdUser=$(id -un)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
AuthType=auth/none
CredType=cred/none
StateSaveLocation=$D/state
SlurmdSpoolDir=$D/spool
SlurmctldPidFile=$D/slurmctld.pid
SlurmdPidFile=$D/slurmd.pid
SlurmctldLogFile=$D/slurmctld.log
SlurmdLogFile=$D/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
NodeName=$host CPUs=$(nproc) RealMemory=$memmb State=UNKNOWN
PartitionName=hgbench Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOC
  export SLURM_CONF=$D/slurm.conf
  stop() { for p in slurmd slurmctld; do [ -s $p.pid ] && kill "$(cat $p.pid)" 2> /dev/null; done; }
  trap stop EXIT
  slurmctld -f slurm.conf > ctld.out 2>&1 && slurmd -f slurm.conf > d.out 2>&1 ||
    { echo "SKIPPED: the slurm daemons did not start here ($(cat ctld.out d.out | head -2))"; exit 77; }
  for i in $(seq 50); do sinfo -h -o %t 2> /dev/null | grep -q idle && break; sleep 0.2; done
  sinfo -h -o %t 2> /dev/null | grep -q idle ||
    { echo "SKIPPED: the one-node slurm cluster did not come up: $(tail -2 slurmctld.log)"; exit 77; }
  "$HG" run "$SMALL" --out serial > /dev/null 2> serial.log || fail "serial run"
  "$HG" slurm "$SMALL" --tasks 3 --out cl > /dev/null || fail "slurm --out cl"
  sh cl/slurm.sh || fail "submitting cl/slurm.sh"
  for i in $(seq 600); do [ -z "$(squeue -h 2> /dev/null)" ] && break; sleep 0.2; done
  [ -s cl/results.tsv ] || fail "no merged results.tsv: $(cat cl/slurm-*.log)"
  same serial cl
  echo "ok: the job array and its merge job ran on a one-node slurm cluster"
  ;;
*) fail "unknown mode $MODE" ;;
esac
echo "PASS"

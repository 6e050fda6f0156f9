#!/bin/sh
# The numbers of the README's "Performance" section (issue 19), with the machine they were
# measured on.  usage: bench/perf_record.sh [HGBENCH] [WORKDIR] [big]
#   HGBENCH  the binary (default build/hgbench), WORKDIR scratch for data files (default a
#   temporary folder), "big" adds the 20000 x 1000 rows (a 400 MB LIBSVM file; minutes).
# Every number is a median over repeats in one process; on a shared machine rerun it and
# compare medians (the ratios are steadier than the absolute times).
set -eu
HG=${1:-build/hgbench}
WORK=${2:-$(mktemp -d)}
BIG=${3:-}
HERE=$(cd "$(dirname "$0")" && pwd)
export OPENBLAS_NUM_THREADS=1
mkdir -p "$WORK"

echo "== machine"
echo "date:      $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "cpu:       $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //') ($(nproc) cores)"
echo "memory:    $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
echo "load:      $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min; other work on the machine slows every row)"
echo "openblas:  $(dpkg-query -W -f '${Version}' libopenblas0-pthread 2>/dev/null || echo '?') (one thread)"
echo "hgbench:   $("$HG" --version)"
echo "torch:     $(/usr/bin/python3 -c 'import torch; print(torch.__version__)' 2>/dev/null || echo 'absent (the --vs-torch rows are skipped)')"

echo
echo "== limits and kernels: $HG bench --limits"
"$HG" bench --limits

echo
echo "== dense data from a LIBSVM file against the same data in memory (2000 x 200)"
/usr/bin/python3 "$HERE/make_data.py" 2000 200 1000 1 "$WORK/d2k"
F="train=$WORK/d2k.train.svm val=$WORK/d2k.val.svm"
for p in "ridge gram=no" "logreg"; do
  echo "-- $p, file (storage=auto):"
  "$HG" bench $p $F --methods itd,aid-fp,aid-cg --t 200 --k 200 --repeat 5 | tail -4
  echo "-- $p, the file forced to CSR (storage=sparse, what auto did before):"
  "$HG" bench $p $F storage=sparse --methods itd,aid-fp,aid-cg --t 200 --k 200 --repeat 5 | tail -4
  echo "-- $p, synthetic in memory (n=2000 d=200 n_val=1000):"
  "$HG" bench $p n=2000 d=200 n_val=1000 --methods itd,aid-fp,aid-cg --t 200 --k 200 --repeat 5 | tail -4
done

echo
echo "== checkpointed itd at t = 1000 (logreg 2000 x 200): memory and time against the full tape"
"$HG" bench logreg n=2000 d=200 --methods itd,itd:checkpoints=20,itd:checkpoints=50 --t 1000 --repeat 5

echo
echo "== the torch baseline, 2000 x 200, Gram cache off, t = k = 200"
"$HG" bench ridge $F gram=no --vs-torch --t 200 --k 200 --repeat 5 || true
"$HG" bench logreg $F hessian=no --vs-torch --t 200 --k 200 --repeat 5 || true
"$HG" bench logreg $F --vs-torch --t 200 --k 200 --repeat 5 || true

echo
echo "== scaling in t (ridge 2000 x 200, gram=no), plots in $WORK"
"$HG" bench ridge n=2000 d=200 gram=no --scale t --t 50 --k 50 --repeat 3 --out "$WORK"

if [ "$BIG" = big ]; then
  echo
  echo "== 20000 x 1000 from LIBSVM files, Gram cache off, t = k = 200"
  /usr/bin/python3 "$HERE/make_data.py" 20000 1000 2000 2 "$WORK/d20k"
  G="train=$WORK/d20k.train.svm val=$WORK/d20k.val.svm"
  "$HG" bench ridge $G gram=no --vs-torch --t 200 --k 200 --repeat 3 || true
  "$HG" bench logreg $G hessian=no --vs-torch --t 200 --k 200 --repeat 3 || true
  "$HG" bench logreg $G --vs-torch --t 200 --k 200 --repeat 3 || true
  echo
  echo "== verify logreg-multi on Fashion-MNIST (n_w = 1960, m = 196)"
  /usr/bin/time -f 'wall %e s, cpu %U s user + %S s system, peak %M KB' \
    "$HG" verify logreg-multi data=fashion-mnist n=2000 downsample=14 | grep -E '^==|FAIL'
fi

#!/bin/sh
# bench --vs-torch at a small size (issue 19): hgbench and bench/torch_baseline.py on the same
# files must agree (each method's error against exact within a factor 2 of the other's, or
# both below 1e-12: the same iteration written twice), for ridge and logreg.  Exit 77 (CTest
# skips) when Debian's python3 has no torch.  No time is checked.
# usage: vs_torch.sh HGBENCH TRAIN VAL
for problem in ridge logreg; do
  out=$("$1" bench "$problem" "train=$2" "val=$3" --vs-torch --t 30 --k 30 --repeat 1)
  rc=$?
  if [ "$rc" -eq 77 ]; then
    echo "skipped: bench --vs-torch needs Debian's python3-torch (/usr/bin/python3 -c 'import torch' fails)"
    exit 77
  fi
  echo "$out"
  [ "$rc" -eq 0 ] || { echo "FAIL: hgbench bench $problem --vs-torch exited $rc"; exit 1; }
  n=$(echo "$out" | grep -cE '^(itd|aid-fp|aid-cg) .* yes$')
  [ "$n" -eq 3 ] || { echo "FAIL: $problem: $n of 3 methods with equal errors"; exit 1; }
done
echo "PASS: ridge and logreg agree with the torch baseline"

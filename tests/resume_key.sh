#!/bin/sh
# resume_key.sh HGBENCH SCENARIO DATA_CSV OUT -- resume against stale rows (DESIGN §6):
#   1. a fresh run writes 12 rows, one line each, a parameter with a tab and a newline escaped;
#   2. a rerun skips all 12;
#   3. one data file changed: exactly its 4 runs are redone, the file keeps 12 rows;
#   4. itd's method_rev edited in results.tsv: exactly itd's 6 rows are stale and redone;
#   5. the last line cut short (a kill while it was written): a warning naming the file, that
#      run redone, the file whole again;
#   6. a results.tsv of an older hgbench (44 columns, no revisions): read, all 12 runs redone,
#      the file in today's columns.
set -u
HG=$1 SCEN=$2 CSV=$3 OUT=$4
DIR=$OUT/data RES=$OUT/out/results.tsv LOG=$OUT/log
NCOL=49

fail() { echo "FAIL: $*"; echo "--- log"; cat "$LOG"; exit 1; }
run() { # run the scenario; its stderr and stdout in $LOG
  HG_KEY_DIR=$DIR "$HG" run "$SCEN" --out "$OUT/out" >"$LOG" 2>&1 || fail "hgbench run failed"
}
expect_log() { grep -q -- "$1" "$LOG" || fail "no line '$1'"; }
expect_rows() { # results.tsv: a header and 12 rows of NCOL fields, base keys distinct
  [ "$(wc -l <"$RES")" -eq 13 ] || fail "results.tsv has $(wc -l <"$RES") lines, expected 13"
  bad=$(awk -F'\t' -v n=$NCOL 'NF != n' "$RES" | wc -l)
  [ "$bad" -eq 0 ] || fail "$bad lines of results.tsv without $NCOL fields"
  [ "$(tail -c 1 "$RES" | od -An -c | tr -d ' ')" = '\n' ] || fail "results.tsv ends mid-line"
  dup=$(awk -F'\t' 'NR > 1 { print $NF }' "$RES" | sort | uniq -d | wc -l)
  [ "$dup" -eq 0 ] || fail "results.tsv holds $dup base keys twice"
}

rm -rf "$OUT" && mkdir -p "$DIR" || exit 1
cp "$CSV" "$DIR/a.csv" && cp "$CSV" "$DIR/b.csv" || exit 1

run
expect_rows
grep -q 'odd\\tname\\nx\.csv' "$RES" || fail "the odd file name is not escaped in results.tsv"
echo "1. fresh: 12 rows, the tab and newline escaped"

run
expect_log "12 of 12 runs already recorded"
grep -q "redone" "$LOG" && fail "a run was redone with nothing changed"
expect_rows
echo "2. rerun: all 12 skipped"

echo "9, 9, 9, 9" >>"$DIR/b.csv"
run
expect_log "8 of 12 runs already recorded"
expect_log "4 of 12 runs redone"
expect_rows
[ "$(grep -c '"redone": 4' "$OUT/out/manifest.json")" -eq 1 ] || fail "manifest.json: redone 4"
echo "3. b.csv changed: its 4 runs redone, 8 skipped"

awk -F'\t' -v OFS='\t' 'NR > 1 && $4 == "itd" { $46 = 0 } { print }' "$RES" >"$RES.new" &&
  mv "$RES.new" "$RES" || exit 1
run
expect_log "6 of 12 runs already recorded"
expect_log "6 of 12 runs redone"
expect_rows
[ "$(awk -F'\t' 'NR > 1 && $46 == 0' "$RES" | wc -l)" -eq 0 ] || fail "stale revisions remain"
echo "4. itd's method_rev edited: its 6 runs redone, 6 skipped"

size=$(wc -c <"$RES")
head -c $((size - 25)) "$RES" >"$RES.cut" && mv "$RES.cut" "$RES" || exit 1
run
expect_log "warning: .*results.tsv:13: no line end"
expect_log "11 of 12 runs already recorded"
expect_rows
echo "5. last line cut short: dropped with a warning, its run redone"

cut -f 1-44 "$RES" >"$RES.v1" && mv "$RES.v1" "$RES" || exit 1
run
expect_log "warning: .*results.tsv was written by an older hgbench"
expect_log "12 of 12 runs redone"
expect_rows
echo "6. an older results.tsv: its rows read as stale, all 12 redone, today's columns"

# optimize.tsv of a MAID run (--exact 1): every accepted step after the start is the certified
# decrease MAID promises (methods/outer/maid.c, step 2): from the last accepted theta to the new
# theta' with step alpha,
#     f(theta') - f(theta) <= -eta ||theta' - theta||^2 / alpha,
# read here on the exact f the harness records.  That f is E(w*) from a direct solve, exact to
# round-off (about kappa eps relative: below 1e-11 on f ~ 0.6 for kappa <= 1e4), so the test
# allows slack = 1e-10; the margins eta ||theta' - theta||^2 / alpha are printed and are far
# larger, and a step that raised f would fail.  At least one step must be accepted (a run that
# never moves cannot show the promise).  Usage: awk -v eta=1e-4 -f maid_decrease.awk FILE
BEGIN { FS = "\t"; slack = 1e-10; accepted = 0; bad = 0 }
NR == 1 {
  for (i = 1; i <= NF; i++)
    col[$i] = i
  if (!("f" in col) || !("accepted" in col) || !("step_size" in col) || !("theta" in col)) {
    print "FAIL: optimize.tsv lacks f, accepted, step_size or theta"
    exit 2
  }
  next
}
{
  f = $col["f"] + 0
  nt = split($col["theta"], theta, ",")
  if (f != f || $col["f"] == "nan") {
    print "FAIL: row " NR - 1 " has no exact f"
    bad = 1
    next
  }
  if ($col["step"] == 0) {
    f0 = f
    for (i = 1; i <= nt; i++) prev[i] = theta[i]
    fprev = f
    next
  }
  if ($col["accepted"] != 1)
    next
  d2 = 0
  for (i = 1; i <= nt; i++) d2 += (theta[i] - prev[i]) ^ 2
  alpha = $col["step_size"] + 0
  margin = eta * d2 / alpha
  ok = f - fprev <= -margin + slack
  printf "%s row %d: f %.10g -> %.10g (decrease %.3e, certified at least %.3e)\n",
         ok ? "PASS" : "FAIL", $col["step"], fprev, f, fprev - f, margin
  bad = bad || !ok
  accepted++
  for (i = 1; i <= nt; i++) prev[i] = theta[i]
  fprev = f
}
END {
  if (accepted == 0) {
    print "FAIL: no step accepted after the start"
    exit 1
  }
  printf "%d accepted steps; f %.10g -> %.10g\n", accepted, f0, fprev
  exit bad
}

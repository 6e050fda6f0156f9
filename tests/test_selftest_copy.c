/*
 * test_selftest_copy.c -- a method added under a new name receives exactly the tests of the
 * method it copies: the registry alone decides what is tested (issue 16).
 *
 * This test-only build registers the built-in plugins, then a copy of itd's ops table under
 * the name "itd-copy", and freezes the registry.  Then:
 *   - the CTest discovery list (hg_selftest_list, what cmake/selftest_discover.cmake turns into
 *     tests) gives itd-copy one battery on exactly the problems itd gets one on;
 *   - on every one of them, the battery of itd-copy has the same checks, in the same order,
 *     with the same verdicts as itd's (names compared; a check's note may name the method);
 *   - the discovery list of the other methods is unchanged by the copy (same test count per
 *     method), so adding a method adds its own batteries and nothing else.
 * A copy with a wrong ops-layout version is refused at registration.
 *
 * usage: test_selftest_copy
 */
#include "testing.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const hg_method_ops hg_method_itd;

/* The lines of hg_selftest_list(method) whose pairs apply ("method M P"), with M removed:
 * the problems, one per line, in a malloc'ed string. */
static char *problems_of(const char *method, int *count)
{
  char *buf = NULL, *out;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  if (!f)
    return NULL;
  hg_selftest_list(f, method, NULL);
  fclose(f);
  out = calloc(len + 1, 1);
  *count = 0;
  char *save = NULL, prefix[64];
  snprintf(prefix, sizeof prefix, "method %s ", method);
  for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
    if (!strncmp(line, prefix, strlen(prefix))) {
      strcat(out, line + strlen(prefix));
      strcat(out, "\n");
      ++*count;
    }
  free(buf);
  return out;
}

int main(void)
{
  static hg_method_ops copy, bad;
  hg_error err;
  int count_itd = 0, count_copy = 0, total_before = 0, total_after = 0;

  if (hg_register_builtin(&err)) {
    printf("FAIL registering the built-in plugins: %s\n", err.msg);
    return 1;
  }
  for (const hg_entry *e = hg_method_list(); e->name; e++) {
    int n = 0;
    free(problems_of(e->name, &n));
    total_before += n;
  }
  copy = hg_method_itd;
  copy.name = "itd-copy";
  bad = hg_method_itd;
  bad.name = "itd-old-layout";
  bad.version = HG_OPS_VERSION - 1;
  int rc_copy = hg_register_method("itd-copy", &copy, &err);
  check(rc_copy == HG_OK, "the copy registers: %s", rc_copy ? err.msg : "ok");
  int rc_bad = hg_register_method("itd-old-layout", &bad, &err);
  check(rc_bad != HG_OK && strstr(err.msg, "layout version"), "an ops table of another layout is refused: %s", rc_bad ? err.msg : "accepted");
  hg_registry_freeze();

  char *p_itd = problems_of("itd", &count_itd), *p_copy = problems_of("itd-copy", &count_copy);
  check(p_itd && p_copy && count_itd > 0 && !strcmp(p_itd, p_copy), "the copy is discovered on exactly itd's problems: itd %d batteries, itd-copy %d",
        count_itd, count_copy);
  for (const hg_entry *e = hg_method_list(); e->name; e++) {
    int n = 0;
    free(problems_of(e->name, &n));
    total_after += n;
  }
  check(total_after == total_before + count_itd, "the copy adds its own batteries and nothing else: %d batteries before, %d after "
        "(itd has %d)", total_before, total_after, count_itd);

  /* the batteries themselves, problem by problem */
  char *save = NULL;
  for (char *problem = p_itd ? strtok_r(p_itd, "\n", &save) : NULL; problem;
       problem = strtok_r(NULL, "\n", &save)) {
    hg_selftest_report a = {0}, b = {0};
    int ra = hg_selftest_method("itd", &hg_method_itd, problem, &a, &err);
    int rb = hg_selftest_method("itd-copy", &copy, problem, &b, &err);
    int same = ra == HG_OK && rb == HG_OK && a.n == b.n && a.n > 0;
    for (int i = 0; same && i < a.n; i++)
      same = !strcmp(a.checks[i].name, b.checks[i].name) &&
             a.checks[i].verdict == b.checks[i].verdict;
    check(same && a.failures == 0, "itd-copy gets itd's checks and verdicts: on %s: %d checks for itd, %d for itd-copy, %d failed", problem, a.n, b.n,
          a.failures + b.failures);
    hg_selftest_release(&a);
    hg_selftest_release(&b);
  }
  free(p_itd);
  free(p_copy);
  printf("%s: %d of %d checks failed\n", failures ? "FAIL" : "PASS", failures, checks);
  return failures ? 1 : 0;
}

/*
 * test_docs_examples.c -- the worked examples of docs/DESIGN.md §8 ("Adding a plugin")
 * compile, register and pass the battery every plugin gets.
 *
 * The build extracts the two C blocks of that section (cmake/extract_examples.cmake) into
 * example_method.c (aid-richardson) and example_problem.c (diagonal) and links them here.  This
 * program registers the built-in plugins and the two examples, freezes the registry, then runs
 *   - the battery of aid-richardson on every problem it applies to,
 *   - the battery of every built-in method on diagonal, and diagonal's own battery,
 * and fails on any failed check.  So the docs' examples cannot rot: a newcomer who copies them
 * gets a plugin that passes.
 *
 * usage: test_docs_examples
 */
#include "testing.h"

#include <string.h>

extern const hg_method_ops hg_method_aid_richardson;
extern const hg_problem_ops hg_problem_diagonal;

/* Run one battery (method on problem, or the problem's own when method is NULL). */
static void battery(const char *method, const char *problem)
{
  hg_selftest_report rep = {0};
  hg_error err;
  const hg_method_ops *M = method ? hg_find_method(method, &err) : NULL;
  int rc = M ? hg_selftest_method(method, M, problem, &rep, &err)
             : hg_selftest_problem(problem, &rep, &err);
  for (int i = 0; i < rep.n; i++)
    if (rep.checks[i].verdict == 0)
      printf("     failed: %s: %s\n", rep.checks[i].name, rep.checks[i].note);
  check(rc == HG_OK && rep.failures == 0 && rep.n > 0, "%s on %s: %d checks, %d failed, %d n/a%s%s",
        method ? method : "battery", problem, rep.n, rep.failures, rep.skipped,
        rc ? ": " : "", rc ? err.msg : "");
  hg_selftest_release(&rep);
}

int main(void)
{
  hg_error err;

  if (hg_register_builtin(&err) ||
      hg_register_method("aid-richardson", &hg_method_aid_richardson, &err) ||
      hg_register_problem("diagonal", &hg_problem_diagonal, &err)) {
    printf("FAIL registering the examples: %s\n", err.msg);
    return 1;
  }
  hg_registry_freeze();
  for (const hg_entry *p = hg_problem_list(); p->name; p++)
    battery("aid-richardson", p->name);
  for (const hg_entry *m = hg_method_list(); m->name; m++)
    if (strcmp(m->name, "aid-richardson"))
      battery(m->name, "diagonal");
  battery(NULL, "diagonal");
  printf("%s: %d of %d checks failed\n", failures ? "FAIL" : "PASS", failures, checks);
  return failures ? 1 : 0;
}

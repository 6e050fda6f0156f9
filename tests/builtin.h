/*
 * builtin.h -- the registry set up as hgbench's main does it, for every test program's main
 * (private to tests/; testing.h includes it).
 */
#ifndef HG_TESTS_BUILTIN_H
#define HG_TESTS_BUILTIN_H

#include "hg_cli.h"

#include <stdio.h>
#include <stdlib.h>

/* Register the built-in plugins and freeze the registry: first thing in a test program's main.
 * A failure (a duplicate name) ends the program. */
static inline void testing_register_builtin(void)
{
  hg_error err;

  if (hg_register_builtin(&err)) {
    fprintf(stderr, "FAIL registering the built-in plugins: %s\n", err.msg);
    exit(1);
  }
  hg_registry_freeze();
}

#endif /* HG_TESTS_BUILTIN_H */

/*
 * record.c -- results.tsv rows (hg_record, DESIGN §6): what is computed from a row, shared by
 * the report (harness/io/report.c) and the scenario folder (harness/cli/scenario.c).
 */
#include "hg_io.h"

#include <string.h>

/* Oracle calls of a record: Phi and Jacobian products. */
long hg_record_calls(const hg_record *r)
{
  return hg_counts_oracle(&r->counts);
}

/* 1 if a and b have the same run key (the fields listed at hg_record). */
int hg_record_same_key(const hg_record *a, const hg_record *b)
{
  return !strcmp(a->problem, b->problem) && !strcmp(a->problem_params, b->problem_params) &&
         !strcmp(a->method, b->method) && !strcmp(a->method_params, b->method_params) &&
         !strcmp(a->theta, b->theta) && a->seed == b->seed && a->t_budget == b->t_budget &&
         a->k_budget == b->k_budget && a->K == b->K && a->tol_lower == b->tol_lower &&
         a->tol_linear == b->tol_linear && a->local_constants == b->local_constants;
}

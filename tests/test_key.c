/*
 * test_key.c -- the run key and results.tsv field escaping (harness/io/key.c, DESIGN §6).
 *
 * argv[1]: a scratch folder, created if missing, for the input files whose content is hashed.
 * Checks: every byte survives hg_tsv_put/hg_tsv_unescape and none that could split a row is
 * written; the base key ignores input hashes and revisions and the full key does not; key
 * texts split back into their fields; the seeds are the values the scenarios have always had
 * (golden, from an independent evaluation of FNV-1a + SplitMix64); input hashes follow file
 * content, not names or times, and numbers are never taken for files.
 */
#include "testing.h"

#include <string.h>
#include <sys/stat.h>

static char scratch[64]; /* short: the theta field holds "@" and a path in it */

static void write_file(const char *path, const char *text)
{
  FILE *f = fopen(path, "w");
  if (!f) {
    fprintf(stderr, "cannot write %s\n", path);
    exit(2);
  }
  fputs(text, f);
  fclose(f);
}

/* Every byte 1..255 through hg_tsv_put and back; no tab, line end or control byte written. */
static void test_escape(void)
{
  char in[256], *out = NULL;
  size_t len = 0;
  for (int i = 1; i < 256; i++)
    in[i - 1] = (char)i;
  in[255] = '\0';
  FILE *f = open_memstream(&out, &len);
  hg_tsv_put(f, in);
  fclose(f);
  int clean = 1;
  for (size_t i = 0; i < len; i++)
    clean &= (unsigned char)out[i] >= 0x20 && (unsigned char)out[i] != 0x7f;
  check(clean, "escaped text holds no tab, line end or other control byte (%zu bytes)", len);
  check(!strcmp(hg_tsv_unescape(out), in), "every byte 1..255 reads back as written");
  free(out);

  char odd[] = "a\\qb\\x4";
  check(!strcmp(hg_tsv_unescape(odd), "a\\qb\\x4"), "a backslash that escapes nothing is kept");
  char tabbed[] = "x\\ty\\nz\\\\n";
  check(!strcmp(hg_tsv_unescape(tabbed), "x\ty\nz\\n"), "\\t, \\n and \\\\ read back");
}

static void base_record(hg_record *r)
{
  memset(r, 0, sizeof *r);
  snprintf(r->problem, sizeof r->problem, "ridge");
  snprintf(r->problem_params, sizeof r->problem_params, "train=a\tb.csv n=3");
  snprintf(r->method, sizeof r->method, "aid-cg");
  snprintf(r->theta, sizeof r->theta, "theta0");
  r->seed = 7;
  r->t_budget = 10;
  r->k_budget = 20;
  r->problem_rev = 1;
  r->method_rev = 1;
}

static int count_fields(const char *text)
{
  int n = 1;
  for (; *text; text++)
    n += *text == '\t';
  return n;
}

static void test_key(void)
{
  hg_record a, b;
  char text[HG_RUN_KEY_MAX];

  base_record(&a);
  uint64_t base = hg_run_key(&a, 0, text, sizeof text);
  check(count_fields(text) == 12, "the base key has 12 fields, a tab in a value escaped (%d)",
        count_fields(text));
  check(hg_fnv1a(HG_FNV_OFFSET, text, strlen(text)) == base, "the key hash is FNV-1a of its "
        "text");
  uint64_t full = hg_run_key(&a, 1, text, sizeof text);
  check(count_fields(text) == 15, "the full key has 15 fields (%d)", count_fields(text));
  check(strstr(text, "\tinputs=0000000000000000\tproblem_rev=1\tmethod_rev=1") != NULL,
        "the full key ends with inputs, problem_rev, method_rev: %s", text);
  char small[8];
  check(hg_run_key(&a, 1, small, sizeof small) == full && strlen(small) == 7,
        "a short buffer truncates the text, not the hash");

  b = a;
  b.method_rev = 2;
  check(hg_run_key(&b, 0, NULL, 0) == base && hg_run_key(&b, 1, NULL, 0) != full,
        "a method revision changes the key, not the base key");
  check(hg_record_same_key(&a, &b) && !hg_record_fresh(&a, &b), "... so the row is stale");
  b = a;
  b.problem_rev = 0;
  check(hg_run_key(&b, 0, NULL, 0) == base && hg_run_key(&b, 1, NULL, 0) != full,
        "a problem revision changes the key, not the base key");
  b = a;
  b.inputs = 0x1234;
  check(hg_run_key(&b, 0, NULL, 0) == base && hg_run_key(&b, 1, NULL, 0) != full &&
        !hg_record_fresh(&a, &b), "an input file's content changes the key, not the base key");
  b = a;
  b.seed = 8;
  check(hg_run_key(&b, 0, NULL, 0) != base && !hg_record_same_key(&a, &b),
        "the seed is part of the base key");
  b = a;
  b.rep = 3;
  b.wall_s = 1;
  check(hg_run_key(&b, 1, NULL, 0) == full && hg_record_same_key(&a, &b),
        "rep and the results are not part of the key");
  b = a;
  snprintf(b.problem_params, sizeof b.problem_params, "train=a");
  snprintf(b.method_params, sizeof b.method_params, "\tb.csv n=3");
  check(hg_run_key(&b, 0, NULL, 0) != base, "moving text from one field to the next changes "
        "the key (fields are separated, not concatenated)");
}

/* Seeds of hg.sweep's repetitions: the values of every earlier hgbench (quadratic n=10 m=3
 * kappa=4: tests/lua/ok_small.lua), computed independently. */
static void test_seed(void)
{
  const uint64_t want[3] = {5011179734215052ULL, 33790749974692ULL, 2928616118903982ULL};
  for (int r = 0; r < 3; r++)
    check(hg_run_seed("quadratic", "n=10 m=3 kappa=4", r) == want[r],
          "repetition %d's seed is %llu", r, (unsigned long long)want[r]);
}

static void test_inputs(void)
{
  char a[96], b[96], dir[96], c[128], theta[100];
  hg_file_hashes *cache = NULL;
  hg_record r;

  snprintf(a, sizeof a, "%s/a.csv", scratch);
  snprintf(b, sizeof b, "%s/b.csv", scratch);
  snprintf(dir, sizeof dir, "%s/sp ace", scratch);
  snprintf(c, sizeof c, "%s/c.csv", dir);
  snprintf(theta, sizeof theta, "@%s/theta.txt", scratch);
  mkdir(dir, 0777);
  write_file(a, "x,y\n1,2\n");
  write_file(b, "x,y\n3,4\n");
  write_file(c, "x,y\n5,6\n");
  write_file(theta + 1, "0.5\n");

  base_record(&r);
  snprintf(r.problem_params, sizeof r.problem_params, "n=3 kappa=4.5 seed=2");
  check(hg_inputs_hash(&cache, &r) == 0, "numbers name no input file: hash 0");
  snprintf(r.problem_params, sizeof r.problem_params, "train=%s val=%s label=y", a, b);
  uint64_t h1 = hg_inputs_hash(&cache, &r);
  check(h1 != 0 && hg_inputs_hash(&cache, &r) == h1, "train= and val= files hashed, "
        "the same twice");
  write_file(b, "x,y\n3,4\n7,8\n");
  uint64_t h2 = hg_inputs_hash(&cache, &r);
  check(h2 != h1, "a changed val= file changes the hash");
  write_file(b, "x,y\n3,4\n");
  check(hg_inputs_hash(&cache, &r) == h1, "its content restored, the hash is as before "
        "(content, not modification time)");
  snprintf(r.problem_params, sizeof r.problem_params, "train=%s val=%s", b, a);
  check(hg_inputs_hash(&cache, &r) != h1, "the files swapped: another hash");
  snprintf(r.problem_params, sizeof r.problem_params, "images=%s,%s", a, c);
  uint64_t h3 = hg_inputs_hash(&cache, &r);
  write_file(c, "x,y\n5,77\n"); /* sizes change: mtime may not, within a tick */
  check(h3 != 0 && hg_inputs_hash(&cache, &r) != h3, "comma-separated lists and paths with a "
        "space are followed");
  snprintf(r.problem_params, sizeof r.problem_params, "path=%s", dir);
  uint64_t h4 = hg_inputs_hash(&cache, &r);
  write_file(c, "x,y\n5,888\n");
  check(h4 != 0 && hg_inputs_hash(&cache, &r) != h4, "a folder: its files' content");
  snprintf(r.problem_params, sizeof r.problem_params, "n=3");
  snprintf(r.theta, sizeof r.theta, "%s", theta);
  uint64_t h5 = hg_inputs_hash(&cache, &r);
  write_file(theta + 1, "0.25\n");
  check(h5 != 0 && hg_inputs_hash(&cache, &r) != h5, "theta's @FILE is an input file");
  hg_file_hashes_destroy(&cache);
  check(cache == NULL, "the cache destroyed and set to NULL");
}

int main(int argc, char **argv)
{
  if (argc < 2 || strlen(argv[1]) >= sizeof scratch) {
    fprintf(stderr, "usage: test_key SCRATCH_DIR\n");
    return 2;
  }
  snprintf(scratch, sizeof scratch, "%s", argv[1]);
  mkdir(scratch, 0777);
  test_escape();
  test_key();
  test_seed();
  test_inputs();
  printf("%d checks, %d failures\n", checks, failures);
  return failures != 0;
}

/*
 * mpi_none.c -- `hgbench run --mpi` in a build without MPI (HGBENCH_MPI off): one line saying
 * how to get it.  mpi.c replaces this file when HGBENCH_MPI is on.
 */
#include "hglua.h"
#include "sweep.h"

#include <stdio.h>

int hg_cli_run_mpi(const char *script, const char *outdir, const hg_lua_opts *lo, int traceback)
{
  (void)script, (void)outdir, (void)lo, (void)traceback;
  fprintf(stderr, "hgbench: run --mpi: this hgbench was built without MPI (install "
          "openmpi-bin and libopenmpi-dev, configure with -DHGBENCH_MPI=ON); --shard i/N runs "
          "the same sweep in separate processes\n");
  return 2;
}

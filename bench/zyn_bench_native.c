/*  =========================================================================
    zyn_bench_native - placeholder until its dependencies land
    =========================================================================
*/

#include "zyn_prelude.h"
#include "zyn_bench.h"

void *
zyn_bench_native_setup (zyn_bench_run_t *run)
{
    (void) run;
    fprintf (stderr, "zynamo-bench: the driver is not built yet\n");
    return NULL;
}

void
zyn_bench_native_thread (zyn_bench_thread_t *thread)
{
    (void) thread;
}

void
zyn_bench_native_teardown (void **driver_p)
{
    assert (driver_p);
}

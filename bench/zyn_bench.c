/*  =========================================================================
    zyn_bench - what zynamo-bench's drivers share: the per-thread state and
    the steps every driver loop takes
    =========================================================================
*/

#include "zyn_prelude.h"
#include "zyn_bench.h"

//  Random field data per thread: values are slices of this buffer
#define VALUE_BUFFER 65536

//  --------------------------------------------------------------------------
//  Create a thread's state for run.

zyn_bench_thread_t *
zyn_bench_thread_new (zyn_bench_run_t *run, int index)
{
    assert (run);
    zyn_bench_thread_t *self
        = (zyn_bench_thread_t *) zmalloc (sizeof (zyn_bench_thread_t));
    self->run = run;
    self->index = index;
    //  Distinct seeds per thread and phase, fixed so runs repeat
    zyn_bench_chooser_init (&self->chooser, run->workload,
                            0x5EEDULL + (uint64_t) index * 7919
                                + (uint64_t) run->phase * 104729);
    for (int i = 0; i < ZYN_BENCH_OP_MAX; i++)
        self->hist [i] = zyn_bench_hist_new ();
    self->value_size = VALUE_BUFFER;
    self->value = (char *) zmalloc (self->value_size + 1);
    zyn_bench_chooser_fill (&self->chooser, self->value, self->value_size);
    return self;
}

//  --------------------------------------------------------------------------
//  Destroy the thread's state.

void
zyn_bench_thread_destroy (zyn_bench_thread_t **self_p)
{
    assert (self_p);
    zyn_bench_thread_t *self = *self_p;
    if (self) {
        for (int i = 0; i < ZYN_BENCH_OP_MAX; i++)
            zyn_bench_hist_destroy (&self->hist [i]);
        free (self->value);
        free (self);
        *self_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  The next operation of this phase, or false when there is none.

bool
zyn_bench_thread_next (zyn_bench_thread_t *self, zyn_bench_request_t *request)
{
    zyn_bench_run_t *run = self->run;
    if (__atomic_load_n (&run->stop, __ATOMIC_RELAXED))
        return false;
    if (run->phase == ZYN_BENCH_PHASE_LOAD) {
        int64_t keynum = zyn_bench_workload_next_load (run->workload);
        if (keynum < 0)
            return false;
        request->type = ZYN_BENCH_INSERT;
        request->keynum = (uint64_t) keynum;
        request->key_size
            = zyn_bench_key_name (request->keynum, request->key);
        request->field = 0;
        request->scan_length = 0;
        return true;
    }
    if (!zyn_bench_workload_claim (run->workload))
        return false;
    zyn_bench_chooser_next (&self->chooser, request);
    return true;
}

//  --------------------------------------------------------------------------
//  Report a finished operation.

void
zyn_bench_thread_done (zyn_bench_thread_t *self,
                       const zyn_bench_request_t *request, uint64_t start_ns,
                       const char *error)
{
    uint64_t elapsed = zyn_bench_now () - start_ns;
    zyn_bench_hist_record (self->hist [request->type], elapsed);
    if (error) {
        __atomic_fetch_add (&self->errors [request->type], 1,
                            __ATOMIC_RELAXED);
        if (self->last_error [0] == 0)
            snprintf (self->last_error, sizeof (self->last_error), "%s: %s",
                      zyn_bench_op_name (request->type), error);
    }
    if (request->type == ZYN_BENCH_INSERT
        && self->run->phase == ZYN_BENCH_PHASE_RUN)
        zyn_bench_workload_ack_insert (self->run->workload, request->keynum);
    __atomic_store_n (&self->done,
                      __atomic_load_n (&self->done, __ATOMIC_RELAXED) + 1,
                      __ATOMIC_RELAXED);
}

//  --------------------------------------------------------------------------
//  A borrowed pointer to length random printable characters.

const char *
zyn_bench_thread_value (zyn_bench_thread_t *self, size_t length)
{
    if (length >= self->value_size)
        return self->value;
    uint64_t offset = zyn_bench_rng_range (&self->chooser.rng, 0,
                                           self->value_size - length);
    return self->value + offset;
}

//  --------------------------------------------------------------------------
//  Mark the run as using PutItem for updates.

void
zyn_bench_run_set_fallback (zyn_bench_run_t *run, const char *reason)
{
    int expected = 0;
    if (__atomic_compare_exchange_n (&run->update_fallback, &expected, 1,
                                     false, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE))
        snprintf (run->fallback_reason, sizeof (run->fallback_reason), "%s",
                  reason);
}

//  --------------------------------------------------------------------------
//  Nanoseconds on the monotonic clock.

uint64_t
zyn_bench_now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000000000ULL + (uint64_t) ts.tv_nsec;
}

/*  =========================================================================
    zyn_bench_hist - a log-bucketed latency histogram (HDR style)

    Records values (nanoseconds) into buckets that are exact below 256 and
    above that split each power of two into 128 equal sub-buckets, so a
    reported percentile is within 1/256 (0.4%) of a recorded value: the
    stated relative error is under 1%. Recording is an index computation
    and an increment, with no allocation. One writer per histogram; a
    reader on another thread may take a rough snapshot while it records
    (zyn_bench_hist_merge reads with relaxed atomic loads). Values above
    about 18 minutes are counted in the last bucket.
    =========================================================================
*/

#ifndef ZYN_BENCH_HIST_H_INCLUDED
#define ZYN_BENCH_HIST_H_INCLUDED

#include "zynamo.h"

#define ZYN_BENCH_HIST_SUB_BITS 7
#define ZYN_BENCH_HIST_SUB_COUNT (1 << ZYN_BENCH_HIST_SUB_BITS)
#define ZYN_BENCH_HIST_MAX_SHIFT 33
#define ZYN_BENCH_HIST_BUCKETS                                              \
    ((ZYN_BENCH_HIST_MAX_SHIFT + 2) * ZYN_BENCH_HIST_SUB_COUNT)

typedef struct {
    uint64_t count;                 //  Values recorded
    uint64_t sum;                   //  Their sum
    uint64_t min;
    uint64_t max;
    uint64_t buckets [ZYN_BENCH_HIST_BUCKETS];
} zyn_bench_hist_t;

//  Create an empty histogram. Caller owns it and must destroy it.
zyn_bench_hist_t *
    zyn_bench_hist_new (void);

//  Destroy the histogram. Sets *self_p to NULL.
void
    zyn_bench_hist_destroy (zyn_bench_hist_t **self_p);

//  Empty the histogram.
void
    zyn_bench_hist_reset (zyn_bench_hist_t *self);

//  Record one value.
void
    zyn_bench_hist_record (zyn_bench_hist_t *self, uint64_t value);

//  Add every value of other into self. Other may be recording on another
//  thread; what it adds meanwhile may or may not be counted.
void
    zyn_bench_hist_merge (zyn_bench_hist_t *self,
                          const zyn_bench_hist_t *other);

//  Subtract an earlier snapshot of the same histogram from self (used for
//  the progress line's per-second figures). Min and max stay.
void
    zyn_bench_hist_subtract (zyn_bench_hist_t *self,
                             const zyn_bench_hist_t *earlier);

//  The value at quantile q (0..1): the middle of the bucket holding the
//  ceil(q * count)-th smallest value, clamped to [min, max]. 0 if empty.
uint64_t
    zyn_bench_hist_quantile (const zyn_bench_hist_t *self, double q);

//  The mean of the values, 0 if empty.
double
    zyn_bench_hist_mean (const zyn_bench_hist_t *self);

//  The bucket index of value, and the smallest and largest value a bucket
//  holds (for tests).
size_t
    zyn_bench_hist_index (uint64_t value);
uint64_t
    zyn_bench_hist_lowest (size_t index);
uint64_t
    zyn_bench_hist_highest (size_t index);

#endif

/*  =========================================================================
    zyn_bench_hist - a log-bucketed latency histogram (HDR style)

    Bucket layout: values below 2 * SUB_COUNT (256) each have their own
    bucket. A larger value whose highest set bit is b is shifted right by
    b - SUB_BITS, leaving a number in [128, 256); the bucket is that number
    plus 128 per shift, so each power of two above 256 has 128 buckets.
    =========================================================================
*/

#include "zyn_prelude.h"
#include "zyn_bench_hist.h"

//  --------------------------------------------------------------------------
//  Create an empty histogram.

zyn_bench_hist_t *
zyn_bench_hist_new (void)
{
    zyn_bench_hist_t *self
        = (zyn_bench_hist_t *) zmalloc (sizeof (zyn_bench_hist_t));
    self->min = UINT64_MAX;
    return self;
}

//  --------------------------------------------------------------------------
//  Destroy the histogram.

void
zyn_bench_hist_destroy (zyn_bench_hist_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        free (*self_p);
        *self_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  Empty the histogram.

void
zyn_bench_hist_reset (zyn_bench_hist_t *self)
{
    memset (self, 0, sizeof (*self));
    self->min = UINT64_MAX;
}

//  --------------------------------------------------------------------------
//  The bucket index of value.

size_t
zyn_bench_hist_index (uint64_t value)
{
    if (value < 2 * ZYN_BENCH_HIST_SUB_COUNT)
        return (size_t) value;
    int msb = 63 - __builtin_clzll (value);
    int shift = msb - ZYN_BENCH_HIST_SUB_BITS;
    if (shift > ZYN_BENCH_HIST_MAX_SHIFT)
        return ZYN_BENCH_HIST_BUCKETS - 1;
    return (size_t) shift * ZYN_BENCH_HIST_SUB_COUNT + (value >> shift);
}

//  --------------------------------------------------------------------------
//  The smallest value bucket index holds.

uint64_t
zyn_bench_hist_lowest (size_t index)
{
    if (index < 2 * ZYN_BENCH_HIST_SUB_COUNT)
        return index;
    size_t shift = index / ZYN_BENCH_HIST_SUB_COUNT - 1;
    uint64_t top = index - shift * ZYN_BENCH_HIST_SUB_COUNT;
    return top << shift;
}

//  --------------------------------------------------------------------------
//  The largest value bucket index holds.

uint64_t
zyn_bench_hist_highest (size_t index)
{
    if (index < 2 * ZYN_BENCH_HIST_SUB_COUNT)
        return index;
    size_t shift = index / ZYN_BENCH_HIST_SUB_COUNT - 1;
    return zyn_bench_hist_lowest (index) + ((uint64_t) 1 << shift) - 1;
}

//  --------------------------------------------------------------------------
//  Record one value. Single writer: relaxed loads and stores compile to
//  plain ones and let a reader snapshot without a data race.

void
zyn_bench_hist_record (zyn_bench_hist_t *self, uint64_t value)
{
    uint64_t *bucket = &self->buckets [zyn_bench_hist_index (value)];
    __atomic_store_n (bucket, __atomic_load_n (bucket, __ATOMIC_RELAXED) + 1,
                      __ATOMIC_RELAXED);
    __atomic_store_n (&self->count,
                      __atomic_load_n (&self->count, __ATOMIC_RELAXED) + 1,
                      __ATOMIC_RELAXED);
    __atomic_store_n (&self->sum,
                      __atomic_load_n (&self->sum, __ATOMIC_RELAXED) + value,
                      __ATOMIC_RELAXED);
    if (value < __atomic_load_n (&self->min, __ATOMIC_RELAXED))
        __atomic_store_n (&self->min, value, __ATOMIC_RELAXED);
    if (value > __atomic_load_n (&self->max, __ATOMIC_RELAXED))
        __atomic_store_n (&self->max, value, __ATOMIC_RELAXED);
}

//  --------------------------------------------------------------------------
//  Add every value of other into self.

void
zyn_bench_hist_merge (zyn_bench_hist_t *self, const zyn_bench_hist_t *other)
{
    uint64_t count = 0;
    for (size_t i = 0; i < ZYN_BENCH_HIST_BUCKETS; i++) {
        uint64_t bucket = __atomic_load_n (&other->buckets [i],
                                           __ATOMIC_RELAXED);
        self->buckets [i] += bucket;
        count += bucket;
    }
    //  Count what the buckets hold, so a snapshot stays consistent
    self->count += count;
    self->sum += __atomic_load_n (&other->sum, __ATOMIC_RELAXED);
    uint64_t min = __atomic_load_n (&other->min, __ATOMIC_RELAXED);
    uint64_t max = __atomic_load_n (&other->max, __ATOMIC_RELAXED);
    if (min < self->min)
        self->min = min;
    if (max > self->max)
        self->max = max;
}

//  --------------------------------------------------------------------------
//  Subtract an earlier snapshot of the same histogram from self.

void
zyn_bench_hist_subtract (zyn_bench_hist_t *self,
                         const zyn_bench_hist_t *earlier)
{
    uint64_t count = 0;
    for (size_t i = 0; i < ZYN_BENCH_HIST_BUCKETS; i++) {
        uint64_t bucket = self->buckets [i] >= earlier->buckets [i]
                        ? self->buckets [i] - earlier->buckets [i]
                        : 0;
        self->buckets [i] = bucket;
        count += bucket;
    }
    self->count = count;
    self->sum = self->sum >= earlier->sum ? self->sum - earlier->sum : 0;
}

//  --------------------------------------------------------------------------
//  The value at quantile q.

uint64_t
zyn_bench_hist_quantile (const zyn_bench_hist_t *self, double q)
{
    if (self->count == 0)
        return 0;
    if (q < 0)
        q = 0;
    if (q > 1)
        q = 1;
    uint64_t rank = (uint64_t) ceil (q * (double) self->count);
    if (rank == 0)
        rank = 1;
    if (rank >= self->count)
        return self->max;
    uint64_t seen = 0;
    for (size_t i = 0; i < ZYN_BENCH_HIST_BUCKETS; i++) {
        seen += self->buckets [i];
        if (seen >= rank) {
            uint64_t low = zyn_bench_hist_lowest (i);
            uint64_t value = low + (zyn_bench_hist_highest (i) - low) / 2;
            if (value < self->min)
                value = self->min;
            if (value > self->max)
                value = self->max;
            return value;
        }
    }
    return self->max;
}

//  --------------------------------------------------------------------------
//  The mean of the values.

double
zyn_bench_hist_mean (const zyn_bench_hist_t *self)
{
    return self->count ? (double) self->sum / (double) self->count : 0;
}

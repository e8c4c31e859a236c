/*  =========================================================================
    zyn_bench_gen - YCSB's core workloads: key and operation generators

    Written from YCSB's documented definitions (CoreWorkload and its
    generators); the numbers each generator yields match YCSB's in
    distribution, not draw for draw (YCSB uses java.util.Random).
    =========================================================================
*/

#include "zyn_prelude.h"
#include "zyn_bench_gen.h"

//  Inserts in flight beyond the last acknowledged one; YCSB keeps the
//  same window
#define ACK_WINDOW (1u << 20)

struct _zyn_bench_workload_t {
    zyn_bench_config_t config;
    uint64_t load_next;             //  Atomic: next load-phase record
    uint64_t ops_claimed;           //  Atomic: run-phase operations claimed
    uint64_t insert_next;           //  Atomic: next run-phase insert
    uint64_t insert_limit;          //  Atomic: last acknowledged insert
    uint8_t *ack_window;            //  Owned: acknowledged, not yet counted
    pthread_mutex_t ack_mutex;      //  Held while moving insert_limit
    double latest_zetan;            //  Zeta of the initial record count
};

//  --------------------------------------------------------------------------
//  Seed rng from seed (splitmix64 spreads it over the four words).

void
zyn_bench_rng_seed (zyn_bench_rng_t *rng, uint64_t seed)
{
    for (int i = 0; i < 4; i++) {
        seed += 0x9E3779B97F4A7C15ULL;
        uint64_t z = seed;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        rng->s [i] = z ^ (z >> 31);
    }
}

static inline uint64_t
s_rotl (uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

//  --------------------------------------------------------------------------
//  The next 64 random bits.

uint64_t
zyn_bench_rng_next (zyn_bench_rng_t *rng)
{
    uint64_t *s = rng->s;
    uint64_t result = s_rotl (s [1] * 5, 7) * 9;
    uint64_t t = s [1] << 17;
    s [2] ^= s [0];
    s [3] ^= s [1];
    s [1] ^= s [2];
    s [0] ^= s [3];
    s [2] ^= t;
    s [3] = s_rotl (s [3], 45);
    return result;
}

//  --------------------------------------------------------------------------
//  A uniform double in [0, 1).

double
zyn_bench_rng_double (zyn_bench_rng_t *rng)
{
    return (double) (zyn_bench_rng_next (rng) >> 11) * 0x1.0p-53;
}

//  --------------------------------------------------------------------------
//  A uniform integer in [min, max], both included.

uint64_t
zyn_bench_rng_range (zyn_bench_rng_t *rng, uint64_t min, uint64_t max)
{
    uint64_t span = max - min + 1;
    if (span == 0)
        return zyn_bench_rng_next (rng);
    //  Multiply-shift keeps the bias below 2^-64 per draw
    unsigned __int128 product
        = (unsigned __int128) zyn_bench_rng_next (rng) * span;
    return min + (uint64_t) (product >> 64);
}

//  --------------------------------------------------------------------------
//  YCSB's 64-bit FNV-1 hash of value's eight octets, as a non-negative
//  Java long.

uint64_t
zyn_bench_fnv64 (uint64_t value)
{
    uint64_t hash = 0xCBF29CE484222325ULL;
    for (int i = 0; i < 8; i++) {
        hash ^= value & 0xff;
        hash *= 1099511628211ULL;
        value >>= 8;
    }
    int64_t as_long = (int64_t) hash;
    //  Java's Math.abs leaves Long.MIN_VALUE as it is
    if (as_long < 0 && as_long != INT64_MIN)
        as_long = -as_long;
    return (uint64_t) as_long;
}

//  --------------------------------------------------------------------------
//  Write the key name of record keynum into key. Returns its length.

size_t
zyn_bench_key_name (uint64_t keynum, char *key)
{
    //  The hash is printed as a Java long, so the one negative value
    //  keeps its sign
    int64_t hashed = (int64_t) zyn_bench_fnv64 (keynum);
    int size = snprintf (key, ZYN_BENCH_KEY_MAX, "user%" PRId64, hashed);
    return (size_t) size;
}

//  --------------------------------------------------------------------------
//  Sum of 1 / i^theta for i in (from, to], added to initial.

double
zyn_bench_zeta (uint64_t from, uint64_t to, double theta, double initial)
{
    double sum = initial;
    for (uint64_t i = from; i < to; i++)
        sum += 1.0 / pow ((double) (i + 1), theta);
    return sum;
}

//  --------------------------------------------------------------------------
//  Set up a Zipfian generator over [min, max].

void
zyn_bench_zipf_init (zyn_bench_zipf_t *self, uint64_t min, uint64_t max,
                     double theta, double zetan)
{
    assert (self);
    self->items = max - min + 1;
    self->base = min;
    self->theta = theta;
    self->alpha = 1.0 / (1.0 - theta);
    self->zeta2theta = zyn_bench_zeta (0, 2, theta, 0);
    self->zetan
        = zetan > 0 ? zetan : zyn_bench_zeta (0, self->items, theta, 0);
    self->countforzeta = self->items;
    self->eta = (1 - pow (2.0 / (double) self->items, 1 - theta))
              / (1 - self->zeta2theta / self->zetan);
}

//  --------------------------------------------------------------------------
//  The next item, drawn from itemcount items.

uint64_t
zyn_bench_zipf_next (zyn_bench_zipf_t *self, zyn_bench_rng_t *rng,
                     uint64_t itemcount)
{
    if (itemcount > self->countforzeta) {
        //  More items than zeta was summed over: add the new terms. Eta
        //  keeps using the item count given at set-up, as YCSB's does
        self->zetan = zyn_bench_zeta (self->countforzeta, itemcount,
                                      self->theta, self->zetan);
        self->countforzeta = itemcount;
        self->eta = (1 - pow (2.0 / (double) self->items, 1 - self->theta))
                  / (1 - self->zeta2theta / self->zetan);
    }
    double u = zyn_bench_rng_double (rng);
    double uz = u * self->zetan;
    if (uz < 1.0)
        return self->base;
    if (uz < 1.0 + pow (0.5, self->theta))
        return self->base + 1;
    return self->base
         + (uint64_t) ((double) itemcount
                       * pow (self->eta * u - self->eta + 1, self->alpha));
}

//  --------------------------------------------------------------------------
//  The scrambled Zipfian over [min, max].

void
zyn_bench_scrambled_init (zyn_bench_scrambled_t *self, uint64_t min,
                          uint64_t max)
{
    assert (self);
    self->min = min;
    self->itemcount = max - min + 1;
    zyn_bench_zipf_init (&self->zipf, 0, ZYN_BENCH_SCRAMBLED_ITEMS,
                         ZYN_BENCH_ZIPFIAN_CONSTANT,
                         ZYN_BENCH_SCRAMBLED_ZETAN);
}

uint64_t
zyn_bench_scrambled_next (zyn_bench_scrambled_t *self, zyn_bench_rng_t *rng)
{
    uint64_t item = zyn_bench_zipf_next (&self->zipf, rng, self->zipf.items);
    return self->min + zyn_bench_fnv64 (item) % self->itemcount;
}

//  --------------------------------------------------------------------------
//  Fill config with the named YCSB workload's settings.

int
zyn_bench_config_preset (zyn_bench_config_t *config, const char *name)
{
    assert (config);
    double read = 0, update = 0, insert = 0, scan = 0, rmw = 0;
    zyn_bench_dist_t distribution = ZYN_BENCH_DIST_ZIPFIAN;
    if (streq (name, "a")) {
        read = 0.5;
        update = 0.5;
    }
    else
    if (streq (name, "b")) {
        read = 0.95;
        update = 0.05;
    }
    else
    if (streq (name, "c"))
        read = 1.0;
    else
    if (streq (name, "d")) {
        read = 0.95;
        insert = 0.05;
        distribution = ZYN_BENCH_DIST_LATEST;
    }
    else
    if (streq (name, "e")) {
        scan = 0.95;
        insert = 0.05;
    }
    else
    if (streq (name, "f")) {
        read = 0.5;
        rmw = 0.5;
    }
    else
    if (streq (name, "durable-put"))
        insert = 1.0;
    else
        return -1;
    snprintf (config->name, sizeof (config->name), "%s", name);
    config->proportion [ZYN_BENCH_READ] = read;
    config->proportion [ZYN_BENCH_UPDATE] = update;
    config->proportion [ZYN_BENCH_INSERT] = insert;
    config->proportion [ZYN_BENCH_SCAN] = scan;
    config->proportion [ZYN_BENCH_RMW] = rmw;
    config->distribution = distribution;
    config->field_count = 10;
    config->field_length = 100;
    config->min_scan_length = 1;
    config->max_scan_length = 100;
    return 0;
}

//  --------------------------------------------------------------------------
//  Create a workload from config.

zyn_bench_workload_t *
zyn_bench_workload_new (const zyn_bench_config_t *config)
{
    assert (config);
    zyn_bench_workload_t *self
        = (zyn_bench_workload_t *) zmalloc (sizeof (zyn_bench_workload_t));
    self->config = *config;
    if (self->config.record_count < 2)
        self->config.record_count = 2;
    self->ack_window = (uint8_t *) zmalloc (ACK_WINDOW);
    pthread_mutex_init (&self->ack_mutex, NULL);
    self->insert_next = self->config.record_count;
    if (self->config.insert_start > self->insert_next)
        self->insert_next = self->config.insert_start;
    self->insert_limit = self->config.record_count - 1;
    if (self->config.distribution == ZYN_BENCH_DIST_LATEST)
        //  Summed once here, so that each thread's copy starts ready
        self->latest_zetan
            = zyn_bench_zeta (0, self->insert_limit,
                              ZYN_BENCH_ZIPFIAN_CONSTANT, 0);
    return self;
}

//  --------------------------------------------------------------------------
//  Destroy the workload.

void
zyn_bench_workload_destroy (zyn_bench_workload_t **self_p)
{
    assert (self_p);
    zyn_bench_workload_t *self = *self_p;
    if (self) {
        pthread_mutex_destroy (&self->ack_mutex);
        free (self->ack_window);
        free (self);
        *self_p = NULL;
    }
}

const zyn_bench_config_t *
zyn_bench_workload_config (zyn_bench_workload_t *self)
{
    assert (self);
    return &self->config;
}

//  --------------------------------------------------------------------------
//  Claim the next load-phase record number, or -1 when all are claimed.

int64_t
zyn_bench_workload_next_load (zyn_bench_workload_t *self)
{
    uint64_t keynum
        = __atomic_fetch_add (&self->load_next, 1, __ATOMIC_RELAXED);
    return keynum < self->config.record_count ? (int64_t) keynum : -1;
}

//  --------------------------------------------------------------------------
//  Claim one run-phase operation.

bool
zyn_bench_workload_claim (zyn_bench_workload_t *self)
{
    uint64_t claimed
        = __atomic_fetch_add (&self->ops_claimed, 1, __ATOMIC_RELAXED);
    return claimed < self->config.operation_count;
}

//  --------------------------------------------------------------------------
//  The next record number for a run-phase insert.

uint64_t
zyn_bench_workload_next_insert (zyn_bench_workload_t *self)
{
    return __atomic_fetch_add (&self->insert_next, 1, __ATOMIC_RELAXED);
}

//  --------------------------------------------------------------------------
//  Acknowledge that the insert of keynum finished. Inserts finish out of
//  order; the limit moves only over a contiguous run of acknowledged
//  numbers (YCSB's AcknowledgedCounterGenerator).

void
zyn_bench_workload_ack_insert (zyn_bench_workload_t *self, uint64_t keynum)
{
    __atomic_store_n (&self->ack_window [keynum & (ACK_WINDOW - 1)], 1,
                      __ATOMIC_RELEASE);
    //  Whoever holds the lock moves the limit for everyone; a thread that
    //  finds it taken leaves its mark for the holder or the next caller
    if (pthread_mutex_trylock (&self->ack_mutex) == 0) {
        uint64_t limit = __atomic_load_n (&self->insert_limit,
                                          __ATOMIC_RELAXED);
        while (true) {
            uint8_t *slot = &self->ack_window [(limit + 1) & (ACK_WINDOW - 1)];
            if (!__atomic_load_n (slot, __ATOMIC_ACQUIRE))
                break;
            __atomic_store_n (slot, 0, __ATOMIC_RELAXED);
            limit++;
        }
        __atomic_store_n (&self->insert_limit, limit, __ATOMIC_RELEASE);
        pthread_mutex_unlock (&self->ack_mutex);
    }
}

//  --------------------------------------------------------------------------
//  The last acknowledged insert.

uint64_t
zyn_bench_workload_last_insert (zyn_bench_workload_t *self)
{
    return __atomic_load_n (&self->insert_limit, __ATOMIC_ACQUIRE);
}

//  --------------------------------------------------------------------------
//  Set up a chooser for workload.

void
zyn_bench_chooser_init (zyn_bench_chooser_t *self,
                        zyn_bench_workload_t *workload, uint64_t seed)
{
    assert (self);
    assert (workload);
    memset (self, 0, sizeof (*self));
    self->workload = workload;
    zyn_bench_rng_seed (&self->rng, seed);
    const zyn_bench_config_t *config = &workload->config;

    //  YCSB sizes the scrambled keyspace for the inserts it expects (twice
    //  the insert share of the operations) so that the popular keys stay
    //  where they are while records are added
    uint64_t expected_new = (uint64_t) ((double) config->operation_count
                                        * config->proportion [ZYN_BENCH_INSERT]
                                        * 2.0);
    zyn_bench_scrambled_init (&self->scrambled, 0,
                              config->record_count + expected_new);
    if (config->distribution == ZYN_BENCH_DIST_LATEST)
        zyn_bench_zipf_init (&self->latest, 0, workload->insert_limit - 1,
                             ZYN_BENCH_ZIPFIAN_CONSTANT,
                             workload->latest_zetan);
    double sum = 0;
    for (int i = 0; i < ZYN_BENCH_OP_MAX; i++)
        sum += config->proportion [i];
    double running = 0;
    for (int i = 0; i < ZYN_BENCH_OP_MAX; i++) {
        running += sum > 0 ? config->proportion [i] / sum : 0;
        self->cumulative [i] = running;
    }
}

//  --------------------------------------------------------------------------
//  The next operation type.

zyn_bench_op_t
zyn_bench_chooser_op (zyn_bench_chooser_t *self)
{
    double u = zyn_bench_rng_double (&self->rng);
    zyn_bench_op_t last = ZYN_BENCH_READ;
    for (int i = 0; i < ZYN_BENCH_OP_MAX; i++) {
        if (self->workload->config.proportion [i] <= 0)
            continue;
        last = (zyn_bench_op_t) i;
        if (u < self->cumulative [i])
            return last;
    }
    return last;
}

//  --------------------------------------------------------------------------
//  The next record number to read, update or scan from.

uint64_t
zyn_bench_chooser_keynum (zyn_bench_chooser_t *self)
{
    zyn_bench_workload_t *workload = self->workload;
    uint64_t limit = zyn_bench_workload_last_insert (workload);
    switch (workload->config.distribution) {
        case ZYN_BENCH_DIST_LATEST:
            //  SkewedLatest: item 0 of the Zipfian is the newest record
            return limit - zyn_bench_zipf_next (&self->latest, &self->rng,
                                                limit);
        case ZYN_BENCH_DIST_UNIFORM:
            return zyn_bench_rng_range (&self->rng, 0,
                                        workload->config.record_count - 1);
        case ZYN_BENCH_DIST_ZIPFIAN:
        default:
            while (true) {
                //  Keys not inserted yet are drawn again, as YCSB does
                uint64_t keynum
                    = zyn_bench_scrambled_next (&self->scrambled, &self->rng);
                if (keynum <= limit)
                    return keynum;
            }
    }
}

//  --------------------------------------------------------------------------
//  Draw a whole run-phase operation into request.

void
zyn_bench_chooser_next (zyn_bench_chooser_t *self,
                        zyn_bench_request_t *request)
{
    const zyn_bench_config_t *config = &self->workload->config;
    request->type = zyn_bench_chooser_op (self);
    request->keynum = request->type == ZYN_BENCH_INSERT
                    ? zyn_bench_workload_next_insert (self->workload)
                    : zyn_bench_chooser_keynum (self);
    request->key_size = zyn_bench_key_name (request->keynum, request->key);
    request->field = (int) zyn_bench_rng_range (
        &self->rng, 0, (uint64_t) (config->field_count - 1));
    request->scan_length = (int) zyn_bench_rng_range (
        &self->rng, (uint64_t) config->min_scan_length,
        (uint64_t) config->max_scan_length);
}

//  --------------------------------------------------------------------------
//  Fill value with length random printable characters.

void
zyn_bench_chooser_fill (zyn_bench_chooser_t *self, char *value,
                        size_t length)
{
    size_t index = 0;
    while (index < length) {
        uint64_t bits = zyn_bench_rng_next (&self->rng);
        //  Eight characters per draw, from the 95 printable ones less
        //  the two JSON needs escaped, so bodies need no escaping
        for (int i = 0; i < 8 && index < length; i++) {
            char c = (char) (' ' + (bits & 0xff) % 95);
            if (c == '"' || c == '\\')
                c = '_';
            value [index++] = c;
            bits >>= 8;
        }
    }
}

//  --------------------------------------------------------------------------
//  The name of an operation type.

const char *
zyn_bench_op_name (zyn_bench_op_t type)
{
    static const char *const names [ZYN_BENCH_OP_MAX]
        = { "READ", "UPDATE", "INSERT", "SCAN", "READ-MODIFY-WRITE" };
    return type < ZYN_BENCH_OP_MAX ? names [type] : "UNKNOWN";
}

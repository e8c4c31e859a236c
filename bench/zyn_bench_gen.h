/*  =========================================================================
    zyn_bench_gen - YCSB's core workloads: key and operation generators

    The request generators of YCSB's CoreWorkload, written after its
    documentation: a Zipfian generator (Gray et al., "Quickly generating
    billion-record synthetic databases", SIGMOD 1994; constant 0.99), the
    scrambled Zipfian that spreads the popular items over the keyspace
    with a 64-bit FNV hash, the skewed-latest generator that favours the
    most recently inserted records, a uniform generator, and the insert
    counter whose last acknowledged value bounds what readers may ask for.
    Keys are "user" followed by the FNV hash of the record number, as
    YCSB's hashed insert order names them.

    A workload (zyn_bench_workload_t) is shared by every client thread and
    holds only settings and atomic counters; each thread draws from its
    own chooser (zyn_bench_chooser_t), which holds its random state and its
    copies of the Zipfian state, so drawing takes no lock.
    =========================================================================
*/

#ifndef ZYN_BENCH_GEN_H_INCLUDED
#define ZYN_BENCH_GEN_H_INCLUDED

#include "zynamo.h"

//  YCSB's Zipfian constant and the precomputed zeta of its scrambled
//  generator's 10^16-item space
#define ZYN_BENCH_ZIPFIAN_CONSTANT 0.99
#define ZYN_BENCH_SCRAMBLED_ITEMS 10000000000000000ULL
#define ZYN_BENCH_SCRAMBLED_ZETAN 26.46902820178302

//  Longest key name: "user" and up to 20 digits
#define ZYN_BENCH_KEY_MAX 32

//  Operation types, in YCSB's order
typedef enum {
    ZYN_BENCH_READ = 0,
    ZYN_BENCH_UPDATE,
    ZYN_BENCH_INSERT,
    ZYN_BENCH_SCAN,
    ZYN_BENCH_RMW,
    ZYN_BENCH_OP_MAX
} zyn_bench_op_t;

//  Request distributions
typedef enum {
    ZYN_BENCH_DIST_ZIPFIAN = 0,
    ZYN_BENCH_DIST_UNIFORM,
    ZYN_BENCH_DIST_LATEST
} zyn_bench_dist_t;

//  A small, fast random generator (xoshiro256**), one per thread
typedef struct {
    uint64_t s [4];
} zyn_bench_rng_t;

//  Seed rng from seed (any value, 0 included).
void
    zyn_bench_rng_seed (zyn_bench_rng_t *rng, uint64_t seed);

//  The next 64 random bits.
uint64_t
    zyn_bench_rng_next (zyn_bench_rng_t *rng);

//  A uniform double in [0, 1).
double
    zyn_bench_rng_double (zyn_bench_rng_t *rng);

//  A uniform integer in [min, max], both included.
uint64_t
    zyn_bench_rng_range (zyn_bench_rng_t *rng, uint64_t min, uint64_t max);

//  YCSB's 64-bit FNV-1 hash of the eight octets of value, low octet first,
//  made non-negative as a Java long.
uint64_t
    zyn_bench_fnv64 (uint64_t value);

//  Write the key name of record keynum ("user" + hashed number) into key
//  (at least ZYN_BENCH_KEY_MAX bytes). Returns its length.
size_t
    zyn_bench_key_name (uint64_t keynum, char *key);

//  The Zipfian generator over [base, base + items - 1]
typedef struct {
    uint64_t items;                 //  Items the constants were set for
    uint64_t base;                  //  Smallest item
    double theta;                   //  Zipfian constant
    double alpha;
    double zeta2theta;
    double zetan;
    double eta;
    uint64_t countforzeta;          //  Item count zetan was summed to
} zyn_bench_zipf_t;

//  Sum of 1 / i^theta for i in (from, to], added to initial.
double
    zyn_bench_zeta (uint64_t from, uint64_t to, double theta, double initial);

//  Set up a Zipfian generator over [min, max]. zetan is the precomputed
//  zeta for max - min + 1 items, or 0 to compute it (O(items)).
void
    zyn_bench_zipf_init (zyn_bench_zipf_t *self, uint64_t min, uint64_t max,
                         double theta, double zetan);

//  The next item, drawn from itemcount items; zeta grows incrementally
//  when itemcount grows (it never shrinks, as in YCSB).
uint64_t
    zyn_bench_zipf_next (zyn_bench_zipf_t *self, zyn_bench_rng_t *rng,
                         uint64_t itemcount);

//  The scrambled Zipfian over [min, max]: a Zipfian over 10^16 items,
//  hashed onto the range
typedef struct {
    zyn_bench_zipf_t zipf;
    uint64_t min;
    uint64_t itemcount;
} zyn_bench_scrambled_t;

void
    zyn_bench_scrambled_init (zyn_bench_scrambled_t *self, uint64_t min,
                              uint64_t max);
uint64_t
    zyn_bench_scrambled_next (zyn_bench_scrambled_t *self,
                              zyn_bench_rng_t *rng);

//  A workload's settings. zyn_bench_workload_preset fills one for YCSB's
//  workloads "a" to "f", or "durable-put" (inserts only).
typedef struct {
    char name [16];
    double proportion [ZYN_BENCH_OP_MAX];   //  Of each operation type
    zyn_bench_dist_t distribution;
    uint64_t record_count;
    uint64_t operation_count;
    uint64_t insert_start;          //  First run-phase insert, if above
                                    //  record_count (fresh keys per round)
    int field_count;
    int field_length;
    int min_scan_length;
    int max_scan_length;
} zyn_bench_config_t;

//  Fill config with the named YCSB workload's settings ("a".."f" or
//  "durable-put"); record and operation counts are left alone. Returns
//  0, or -1 if the name is unknown.
int
    zyn_bench_config_preset (zyn_bench_config_t *config, const char *name);

//  The shared state of one run
typedef struct _zyn_bench_workload_t zyn_bench_workload_t;

//  Create a workload from config (copied). Caller owns the result and must
//  destroy it.
zyn_bench_workload_t *
    zyn_bench_workload_new (const zyn_bench_config_t *config);

//  Destroy the workload. Sets *self_p to NULL.
void
    zyn_bench_workload_destroy (zyn_bench_workload_t **self_p);

//  The workload's settings. Borrowed.
const zyn_bench_config_t *
    zyn_bench_workload_config (zyn_bench_workload_t *self);

//  Claim the next load-phase record number, or return -1 when all
//  record_count records have been claimed. Thread-safe.
int64_t
    zyn_bench_workload_next_load (zyn_bench_workload_t *self);

//  Claim one run-phase operation: returns true while fewer than
//  operation_count have been claimed. Thread-safe.
bool
    zyn_bench_workload_claim (zyn_bench_workload_t *self);

//  The next record number for an insert in the run phase (record_count,
//  record_count + 1, ...). Thread-safe.
uint64_t
    zyn_bench_workload_next_insert (zyn_bench_workload_t *self);

//  Acknowledge that the insert of keynum finished (successfully or not),
//  so readers may ask for it. Thread-safe.
void
    zyn_bench_workload_ack_insert (zyn_bench_workload_t *self,
                                   uint64_t keynum);

//  The highest record number below which every insert has been
//  acknowledged: the upper bound of what readers ask for.
uint64_t
    zyn_bench_workload_last_insert (zyn_bench_workload_t *self);

//  One operation drawn by a chooser
typedef struct {
    zyn_bench_op_t type;
    uint64_t keynum;                //  Record the operation is on
    char key [ZYN_BENCH_KEY_MAX];   //  Its key name
    size_t key_size;
    int field;                      //  Field an update writes
    int scan_length;                //  Records a scan reads
} zyn_bench_request_t;

//  A thread's generator state
typedef struct {
    zyn_bench_workload_t *workload; //  Borrowed
    zyn_bench_rng_t rng;
    zyn_bench_scrambled_t scrambled;
    zyn_bench_zipf_t latest;        //  SkewedLatest's Zipfian
    double cumulative [ZYN_BENCH_OP_MAX];
} zyn_bench_chooser_t;

//  Set up a chooser for workload with its own random seed.
void
    zyn_bench_chooser_init (zyn_bench_chooser_t *self,
                            zyn_bench_workload_t *workload, uint64_t seed);

//  The next operation type, drawn with the workload's proportions.
zyn_bench_op_t
    zyn_bench_chooser_op (zyn_bench_chooser_t *self);

//  The next record number to read, update or scan from, drawn from the
//  request distribution and never past the last acknowledged insert.
uint64_t
    zyn_bench_chooser_keynum (zyn_bench_chooser_t *self);

//  Draw a whole run-phase operation into request. An insert claims its
//  record number; the caller acknowledges it when done.
void
    zyn_bench_chooser_next (zyn_bench_chooser_t *self,
                            zyn_bench_request_t *request);

//  Fill value with length random printable characters (YCSB's random
//  field data).
void
    zyn_bench_chooser_fill (zyn_bench_chooser_t *self, char *value,
                            size_t length);

//  The name of an operation type as YCSB prints it ("READ",
//  "READ-MODIFY-WRITE"). Static.
const char *
    zyn_bench_op_name (zyn_bench_op_t type);

#endif

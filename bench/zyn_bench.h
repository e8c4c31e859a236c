/*  =========================================================================
    zyn_bench - what zynamo-bench's drivers share: options, the per-thread
    state and the steps every driver loop takes

    A driver runs one client thread of one phase: it asks for the next
    operation (zyn_bench_thread_next), performs it against its store, and
    reports the outcome with its start time (zyn_bench_thread_done). The
    three drivers are leveldb (zyn_bench_leveldb.c), native
    (zyn_bench_native.c) and http (zyn_bench_dynamo.c).
    =========================================================================
*/

#ifndef ZYN_BENCH_H_INCLUDED
#define ZYN_BENCH_H_INCLUDED

#include "zynamo.h"
#include "zyn_bench_gen.h"
#include "zyn_bench_hist.h"

#define ZYN_BENCH_TABLE "usertable"
#define ZYN_BENCH_KEY_ATTRIBUTE "ycsb_key"

typedef enum {
    ZYN_BENCH_PHASE_LOAD = 0,
    ZYN_BENCH_PHASE_RUN
} zyn_bench_phase_t;

//  Command-line settings every driver may read
typedef struct {
    const char *driver;             //  "leveldb", "native" or "http"
    const char *endpoint;           //  tcp://... or http://...
    const char *data_dir;           //  For the leveldb driver
    const char *table;              //  Table name
    const char *region;             //  SigV4 region
    const char *access_key;         //  SigV4 access key id
    const char *secret_key;         //  SigV4 secret key
    int threads;                    //  Client threads
    int inflight;                   //  Requests in flight per thread
    int batch;                      //  Puts per WriteBatch (leveldb, durable)
    bool sync;                      //  leveldb: sync every write
    bool verbose;
} zyn_bench_options_t;

//  Shared between the threads of a run; set before they start
typedef struct {
    zyn_bench_workload_t *workload; //  Borrowed
    const zyn_bench_options_t *options; //  Borrowed
    zyn_bench_phase_t phase;
    int stop;                       //  Atomic: set on SIGINT
    int update_fallback;            //  Atomic: UpdateItem refused, using
                                    //  PutItem of the whole record
    char fallback_reason [256];     //  Why, written once by the first
    void *driver;                   //  Driver's shared state, borrowed
} zyn_bench_run_t;

//  One client thread
typedef struct {
    zyn_bench_run_t *run;           //  Borrowed
    int index;
    zyn_bench_chooser_t chooser;
    zyn_bench_hist_t *hist [ZYN_BENCH_OP_MAX];  //  Owned
    uint64_t errors [ZYN_BENCH_OP_MAX];         //  Atomic
    uint64_t done;                  //  Atomic: operations finished
    char last_error [256];          //  First error seen, for the report
    char *value;                    //  Owned: random field data
    size_t value_size;
} zyn_bench_thread_t;

//  Create a thread's state for run. Caller owns it and must destroy it.
zyn_bench_thread_t *
    zyn_bench_thread_new (zyn_bench_run_t *run, int index);

//  Destroy the thread's state. Sets *self_p to NULL.
void
    zyn_bench_thread_destroy (zyn_bench_thread_t **self_p);

//  The next operation of this phase into request, or false when the
//  phase has no more (or the run was stopped). The load phase yields
//  inserts of records 0 .. record_count - 1.
bool
    zyn_bench_thread_next (zyn_bench_thread_t *self,
                           zyn_bench_request_t *request);

//  Report a finished operation of type started at start_ns (from
//  zyn_bench_now). An insert is acknowledged to the workload. error is
//  NULL on success, else a short text kept for the report.
void
    zyn_bench_thread_done (zyn_bench_thread_t *self,
                           const zyn_bench_request_t *request,
                           uint64_t start_ns, const char *error);

//  A borrowed pointer to length random printable characters for a field
//  value, fresh enough for a benchmark (a random offset into a buffer
//  filled once).
const char *
    zyn_bench_thread_value (zyn_bench_thread_t *self, size_t length);

//  Mark the run as using PutItem for updates, keeping the first reason.
void
    zyn_bench_run_set_fallback (zyn_bench_run_t *run, const char *reason);

//  Nanoseconds on the monotonic clock.
uint64_t
    zyn_bench_now (void);

//  The drivers. Each has setup (shared state, once per phase; returns
//  NULL and prints why on failure), a thread body and teardown.
void *
    zyn_bench_leveldb_setup (zyn_bench_run_t *run);
void
    zyn_bench_leveldb_thread (zyn_bench_thread_t *thread);
void
    zyn_bench_leveldb_teardown (void **driver_p);

void *
    zyn_bench_native_setup (zyn_bench_run_t *run);
void
    zyn_bench_native_thread (zyn_bench_thread_t *thread);
void
    zyn_bench_native_teardown (void **driver_p);

void *
    zyn_bench_dynamo_setup (zyn_bench_run_t *run);
void
    zyn_bench_dynamo_thread (zyn_bench_thread_t *thread);
void
    zyn_bench_dynamo_teardown (void **driver_p);

#endif

/*  =========================================================================
    zynamo-bench - YCSB's core workloads against zynamo, any DynamoDB
    endpoint, or raw LevelDB

    Runs a load phase (inserts of recordcount records) and a run phase
    (operationcount operations of the chosen workload) with --threads
    client threads, prints a progress line every second on stderr, and
    ends with count, throughput and latency percentiles per operation
    type, as text on stdout and as one JSON line (or into --json FILE).
    =========================================================================
*/

#include "zyn_prelude.h"
#include "zyn_bench.h"

static const char *const s_usage =
    "usage: zynamo-bench --driver DRIVER [options]\n"
    "\n"
    "Runs YCSB's core workloads: a load phase inserting --records records,\n"
    "then a run phase of --operations operations.\n"
    "\n"
    "Drivers:\n"
    "  --driver leveldb      operations on an in-process LevelDB in --data DIR\n"
    "  --driver native       libzynamo's pipelined interface to --endpoint\n"
    "                        tcp://HOST:PORT (a zynamo broker)\n"
    "  --driver http         DynamoDB's JSON API over keep-alive HTTP/1.1 to\n"
    "                        --endpoint http://HOST:PORT (zynamo's gateway,\n"
    "                        dynalite, DynamoDB Local), signed with SigV4\n"
    "\n"
    "Workload:\n"
    "  --workload NAME       a  50% read, 50% update, zipfian (default)\n"
    "                        b  95% read, 5% update, zipfian\n"
    "                        c  100% read, zipfian\n"
    "                        d  95% read, 5% insert, latest\n"
    "                        e  95% scan (1..100 records), 5% insert, zipfian\n"
    "                        f  50% read, 50% read-modify-write, zipfian\n"
    "                        durable-put  100% insert of new keys\n"
    "  --records N           records loaded (YCSB recordcount; default 10000)\n"
    "  --operations N        run-phase operations (operationcount; 10000)\n"
    "  --fieldcount N        fields per record (default 10)\n"
    "  --fieldlength N       bytes per field (default 100)\n"
    "  --distribution D      override the request distribution: zipfian,\n"
    "                        uniform or latest\n"
    "  --insert-start N      first record number run-phase inserts use\n"
    "                        (default: --records); fresh keys per round\n"
    "  --phase P             load, run or both (default both)\n"
    "  --duration S          end the run phase after S seconds even if\n"
    "                        operations remain (YCSB's maxexecutiontime)\n"
    "\n"
    "Clients:\n"
    "  --threads N           client threads (default 1)\n"
    "  --inflight N          requests in flight per thread (default 1):\n"
    "                        native pipelines them on one connection, http\n"
    "                        opens N keep-alive connections, one request\n"
    "                        at a time on each; leveldb ignores it\n"
    "  --endpoint URL        tcp://HOST:PORT or http://HOST:PORT\n"
    "  --table NAME          table (default usertable, partition key\n"
    "                        ycsb_key); created if missing by native and http\n"
    "  --region R            SigV4 region (default us-east-1)\n"
    "  --access-key K        SigV4 access key id (default $AWS_ACCESS_KEY_ID\n"
    "                        or \"zynamo\")\n"
    "  --secret-key K        SigV4 secret (default $AWS_SECRET_ACCESS_KEY\n"
    "                        or \"zynamo\")\n"
    "\n"
    "LevelDB:\n"
    "  --data DIR            the LevelDB directory (leveldb driver)\n"
    "  --sync                sync every write (leveldb driver)\n"
    "  --batch N             puts per synced WriteBatch in the durable-put\n"
    "                        workload (leveldb driver; default 64)\n"
    "\n"
    "Output:\n"
    "  --json FILE           write the JSON result to FILE, not stdout\n"
    "  --quiet               no progress lines\n"
    "  --verbose             say more on stderr\n"
    "  --help                this text\n"
    "\n"
    "Latencies are in microseconds, from a log-bucketed histogram with a\n"
    "relative error under 1%. Ctrl-C stops the run and prints what it has.\n";

typedef struct {
    zyn_bench_options_t options;
    zyn_bench_config_t config;
    const char *workload;
    const char *phase;
    const char *json_path;
    uint64_t duration;              //  Seconds, 0 for no limit
    bool quiet;
} s_args_t;

//  Parse an unsigned count; returns 0 or -1
static int
s_parse_count (const char *flag, const char *text, uint64_t *count)
{
    char *end = NULL;
    errno = 0;
    unsigned long long value = strtoull (text ? text : "", &end, 10);
    if (!text || !*text || *end || errno || text [0] == '-') {
        fprintf (stderr, "zynamo-bench: %s needs a number, not '%s'\n", flag,
                 text ? text : "");
        return -1;
    }
    *count = value;
    return 0;
}

static int
s_parse_args (s_args_t *args, int argc, char *argv [])
{
    const char *distribution = NULL;
    uint64_t records = 10000, operations = 10000, fieldcount = 10;
    uint64_t fieldlength = 100, threads = 1, inflight = 1, batch = 64;
    uint64_t insert_start = 0;
    for (int i = 1; i < argc; i++) {
        const char *flag = argv [i];
        const char *value = i + 1 < argc ? argv [i + 1] : NULL;
        int rc = 0;
        bool takes_value = true;
        if (streq (flag, "--help") || streq (flag, "-h")) {
            fputs (s_usage, stdout);
            exit (EXIT_SUCCESS);
        }
        else
        if (streq (flag, "--sync")) {
            args->options.sync = true;
            takes_value = false;
        }
        else
        if (streq (flag, "--quiet")) {
            args->quiet = true;
            takes_value = false;
        }
        else
        if (streq (flag, "--verbose")) {
            args->options.verbose = true;
            takes_value = false;
        }
        else
        if (!value) {
            fprintf (stderr, "zynamo-bench: %s needs a value (see --help)\n",
                     flag);
            return -1;
        }
        else
        if (streq (flag, "--driver"))
            args->options.driver = value;
        else
        if (streq (flag, "--workload"))
            args->workload = value;
        else
        if (streq (flag, "--records") || streq (flag, "--recordcount"))
            rc = s_parse_count (flag, value, &records);
        else
        if (streq (flag, "--operations") || streq (flag, "--operationcount"))
            rc = s_parse_count (flag, value, &operations);
        else
        if (streq (flag, "--fieldcount"))
            rc = s_parse_count (flag, value, &fieldcount);
        else
        if (streq (flag, "--fieldlength"))
            rc = s_parse_count (flag, value, &fieldlength);
        else
        if (streq (flag, "--distribution"))
            distribution = value;
        else
        if (streq (flag, "--insert-start"))
            rc = s_parse_count (flag, value, &insert_start);
        else
        if (streq (flag, "--phase"))
            args->phase = value;
        else
        if (streq (flag, "--duration"))
            rc = s_parse_count (flag, value, &args->duration);
        else
        if (streq (flag, "--threads"))
            rc = s_parse_count (flag, value, &threads);
        else
        if (streq (flag, "--inflight"))
            rc = s_parse_count (flag, value, &inflight);
        else
        if (streq (flag, "--endpoint"))
            args->options.endpoint = value;
        else
        if (streq (flag, "--table"))
            args->options.table = value;
        else
        if (streq (flag, "--region"))
            args->options.region = value;
        else
        if (streq (flag, "--access-key"))
            args->options.access_key = value;
        else
        if (streq (flag, "--secret-key"))
            args->options.secret_key = value;
        else
        if (streq (flag, "--data"))
            args->options.data_dir = value;
        else
        if (streq (flag, "--batch"))
            rc = s_parse_count (flag, value, &batch);
        else
        if (streq (flag, "--json"))
            args->json_path = value;
        else {
            fprintf (stderr, "zynamo-bench: unknown option '%s' (see --help)\n",
                     flag);
            return -1;
        }
        if (rc)
            return -1;
        if (takes_value)
            i++;
    }
    if (!args->options.driver) {
        fprintf (stderr, "zynamo-bench: --driver is required (see --help)\n");
        return -1;
    }
    if (!streq (args->options.driver, "leveldb")
        && !streq (args->options.driver, "native")
        && !streq (args->options.driver, "http")) {
        fprintf (stderr, "zynamo-bench: unknown driver '%s'\n",
                 args->options.driver);
        return -1;
    }
    if (zyn_bench_config_preset (&args->config, args->workload)) {
        fprintf (stderr, "zynamo-bench: unknown workload '%s'\n",
                 args->workload);
        return -1;
    }
    if (distribution) {
        if (streq (distribution, "zipfian"))
            args->config.distribution = ZYN_BENCH_DIST_ZIPFIAN;
        else
        if (streq (distribution, "uniform"))
            args->config.distribution = ZYN_BENCH_DIST_UNIFORM;
        else
        if (streq (distribution, "latest"))
            args->config.distribution = ZYN_BENCH_DIST_LATEST;
        else {
            fprintf (stderr, "zynamo-bench: unknown distribution '%s'\n",
                     distribution);
            return -1;
        }
    }
    if (!streq (args->phase, "load") && !streq (args->phase, "run")
        && !streq (args->phase, "both")) {
        fprintf (stderr, "zynamo-bench: --phase is load, run or both\n");
        return -1;
    }
    if (records < 2 || threads < 1 || threads > 1024 || inflight < 1
        || inflight > 4096 || fieldcount < 1 || fieldcount > 1000
        || fieldlength > 65536 || batch < 1 || batch > 100000) {
        fprintf (stderr, "zynamo-bench: a count is out of range: records "
                         ">= 2, threads 1..1024, inflight 1..4096, "
                         "fieldcount 1..1000, fieldlength <= 65536\n");
        return -1;
    }
    args->config.record_count = records;
    args->config.operation_count = operations;
    args->config.field_count = (int) fieldcount;
    args->config.field_length = (int) fieldlength;
    args->config.insert_start = insert_start;
    args->options.threads = (int) threads;
    args->options.inflight = (int) inflight;
    args->options.batch = (int) batch;
    if (!streq (args->options.driver, "leveldb") && !args->options.endpoint) {
        fprintf (stderr, "zynamo-bench: the %s driver needs --endpoint\n",
                 args->options.driver);
        return -1;
    }
    return 0;
}

//  What one phase measured
typedef struct {
    const char *name;
    double seconds;
    uint64_t operations;
    uint64_t errors;
    zyn_bench_hist_t *hist [ZYN_BENCH_OP_MAX];
    uint64_t op_errors [ZYN_BENCH_OP_MAX];
    char last_error [256];
    bool interrupted;
} s_result_t;

typedef struct {
    zyn_bench_thread_t *thread;
    int finished;                   //  Atomic
} s_slot_t;

static void *
s_thread_main (void *arg)
{
    s_slot_t *slot = (s_slot_t *) arg;
    zyn_bench_run_t *run = slot->thread->run;
    if (streq (run->options->driver, "leveldb"))
        zyn_bench_leveldb_thread (slot->thread);
    else
    if (streq (run->options->driver, "native"))
        zyn_bench_native_thread (slot->thread);
    else
        zyn_bench_dynamo_thread (slot->thread);
    __atomic_store_n (&slot->finished, 1, __ATOMIC_RELEASE);
    return NULL;
}

//  Merge every thread's histograms of every type into snapshot
static void
s_snapshot (zyn_bench_hist_t *snapshot, s_slot_t *slots, int threads)
{
    zyn_bench_hist_reset (snapshot);
    for (int t = 0; t < threads; t++)
        for (int i = 0; i < ZYN_BENCH_OP_MAX; i++)
            zyn_bench_hist_merge (snapshot, slots [t].thread->hist [i]);
}

//  Run one phase; returns 0, or -1 if the driver could not start
static int
s_run_phase (s_args_t *args, zyn_bench_workload_t *workload,
             zyn_bench_phase_t phase, s_result_t *result)
{
    zyn_bench_run_t run = { 0 };
    run.workload = workload;
    run.options = &args->options;
    run.phase = phase;
    const char *driver = args->options.driver;
    if (streq (driver, "leveldb"))
        run.driver = zyn_bench_leveldb_setup (&run);
    else
    if (streq (driver, "native"))
        run.driver = zyn_bench_native_setup (&run);
    else
        run.driver = zyn_bench_dynamo_setup (&run);
    if (!run.driver)
        return -1;

    int threads = args->options.threads;
    s_slot_t *slots = (s_slot_t *) zmalloc (sizeof (s_slot_t) * (size_t) threads);
    pthread_t *ids = (pthread_t *) zmalloc (sizeof (pthread_t) * (size_t) threads);
    for (int t = 0; t < threads; t++)
        slots [t].thread = zyn_bench_thread_new (&run, t);
    zyn_bench_hist_t *now = zyn_bench_hist_new ();
    zyn_bench_hist_t *before = zyn_bench_hist_new ();

    uint64_t start = zyn_bench_now ();
    for (int t = 0; t < threads; t++)
        pthread_create (&ids [t], NULL, s_thread_main, &slots [t]);

    uint64_t next_report = start + 1000000000ULL;
    while (true) {
        bool all_finished = true;
        for (int t = 0; t < threads; t++)
            if (!__atomic_load_n (&slots [t].finished, __ATOMIC_ACQUIRE))
                all_finished = false;
        if (all_finished)
            break;
        if (zsys_interrupted && !run.stop) {
            __atomic_store_n (&run.stop, 1, __ATOMIC_RELAXED);
            result->interrupted = true;
            fprintf (stderr, "zynamo-bench: interrupted, finishing\n");
        }
        uint64_t current = zyn_bench_now ();
        if (phase == ZYN_BENCH_PHASE_RUN && args->duration
            && current - start >= args->duration * 1000000000ULL)
            __atomic_store_n (&run.stop, 1, __ATOMIC_RELAXED);
        if (current >= next_report) {
            s_snapshot (now, slots, threads);
            zyn_bench_hist_t interval = *now;
            zyn_bench_hist_subtract (&interval, before);
            if (!args->quiet)
                fprintf (stderr,
                         "%s %4.0f s: %" PRIu64 " operations, %" PRIu64
                         " ops/s, p99 %.0f us\n",
                         phase == ZYN_BENCH_PHASE_LOAD ? "load" : "run ",
                         (double) (current - start) / 1e9, now->count,
                         interval.count,
                         (double) zyn_bench_hist_quantile (&interval, 0.99)
                             / 1000.0);
            *before = *now;
            next_report += 1000000000ULL;
        }
        usleep (20000);
    }
    for (int t = 0; t < threads; t++)
        pthread_join (ids [t], NULL);
    uint64_t end = zyn_bench_now ();

    result->name = phase == ZYN_BENCH_PHASE_LOAD ? "load" : "run";
    result->seconds = (double) (end - start) / 1e9;
    for (int i = 0; i < ZYN_BENCH_OP_MAX; i++)
        result->hist [i] = zyn_bench_hist_new ();
    for (int t = 0; t < threads; t++) {
        zyn_bench_thread_t *thread = slots [t].thread;
        for (int i = 0; i < ZYN_BENCH_OP_MAX; i++) {
            zyn_bench_hist_merge (result->hist [i], thread->hist [i]);
            result->op_errors [i] += thread->errors [i];
            result->errors += thread->errors [i];
        }
        if (thread->last_error [0] && !result->last_error [0])
            memcpy (result->last_error, thread->last_error,
                    sizeof (result->last_error));
        zyn_bench_thread_destroy (&slots [t].thread);
    }
    for (int i = 0; i < ZYN_BENCH_OP_MAX; i++)
        result->operations += result->hist [i]->count;
    if (run.update_fallback)
        fprintf (stderr,
                 "zynamo-bench: UpdateItem refused (%s); updates were "
                 "PutItem of the whole record\n",
                 run.fallback_reason);

    zyn_bench_hist_destroy (&now);
    zyn_bench_hist_destroy (&before);
    free (ids);
    free (slots);
    if (streq (driver, "leveldb"))
        zyn_bench_leveldb_teardown (&run.driver);
    else
    if (streq (driver, "native"))
        zyn_bench_native_teardown (&run.driver);
    else
        zyn_bench_dynamo_teardown (&run.driver);
    //  Remembered for the report
    if (run.update_fallback)
        snprintf (result->last_error + strlen (result->last_error),
                  sizeof (result->last_error) - strlen (result->last_error),
                  "%supdate fallback to PutItem",
                  result->last_error [0] ? "; " : "");
    return 0;
}

static void
s_print_text (const s_result_t *result)
{
    printf ("[%s] %" PRIu64 " operations in %.3f s: %.0f ops/s, %" PRIu64
            " errors%s\n",
            result->name, result->operations, result->seconds,
            result->seconds > 0 ? (double) result->operations / result->seconds
                                : 0,
            result->errors, result->interrupted ? " (interrupted)" : "");
    printf ("  %-18s %10s %8s %10s %9s %9s %9s %9s %9s %9s\n", "operation",
            "count", "errors", "ops/s", "mean_us", "p50_us", "p95_us",
            "p99_us", "p99.9_us", "max_us");
    for (int i = 0; i < ZYN_BENCH_OP_MAX; i++) {
        const zyn_bench_hist_t *hist = result->hist [i];
        if (hist->count == 0)
            continue;
        printf ("  %-18s %10" PRIu64 " %8" PRIu64
                " %10.0f %9.1f %9.1f %9.1f %9.1f %9.1f %9.1f\n",
                zyn_bench_op_name ((zyn_bench_op_t) i), hist->count,
                result->op_errors [i],
                (double) hist->count / result->seconds,
                zyn_bench_hist_mean (hist) / 1000.0,
                (double) zyn_bench_hist_quantile (hist, 0.50) / 1000.0,
                (double) zyn_bench_hist_quantile (hist, 0.95) / 1000.0,
                (double) zyn_bench_hist_quantile (hist, 0.99) / 1000.0,
                (double) zyn_bench_hist_quantile (hist, 0.999) / 1000.0,
                (double) hist->max / 1000.0);
    }
    if (result->last_error [0])
        printf ("  first error: %s\n", result->last_error);
}

//  Append the JSON of one phase to out
static void
s_print_json_phase (FILE *out, const s_result_t *result)
{
    zyn_bench_hist_t *all = zyn_bench_hist_new ();
    for (int i = 0; i < ZYN_BENCH_OP_MAX; i++)
        zyn_bench_hist_merge (all, result->hist [i]);
    fprintf (out,
             "\"%s\":{\"seconds\":%.6f,\"operations\":%" PRIu64
             ",\"errors\":%" PRIu64 ",\"throughput\":%.1f,\"p50_us\":%.1f,"
             "\"p99_us\":%.1f,\"interrupted\":%s,\"ops\":{",
             result->name, result->seconds, result->operations,
             result->errors,
             result->seconds > 0 ? (double) result->operations / result->seconds
                                 : 0,
             (double) zyn_bench_hist_quantile (all, 0.50) / 1000.0,
             (double) zyn_bench_hist_quantile (all, 0.99) / 1000.0,
             result->interrupted ? "true" : "false");
    zyn_bench_hist_destroy (&all);
    bool first = true;
    for (int i = 0; i < ZYN_BENCH_OP_MAX; i++) {
        const zyn_bench_hist_t *hist = result->hist [i];
        if (hist->count == 0)
            continue;
        fprintf (out,
                 "%s\"%s\":{\"count\":%" PRIu64 ",\"errors\":%" PRIu64
                 ",\"throughput\":%.1f,\"mean_us\":%.1f,\"p50_us\":%.1f,"
                 "\"p95_us\":%.1f,\"p99_us\":%.1f,\"p999_us\":%.1f,"
                 "\"max_us\":%.1f}",
                 first ? "" : ",", zyn_bench_op_name ((zyn_bench_op_t) i),
                 hist->count, result->op_errors [i],
                 (double) hist->count / result->seconds,
                 zyn_bench_hist_mean (hist) / 1000.0,
                 (double) zyn_bench_hist_quantile (hist, 0.50) / 1000.0,
                 (double) zyn_bench_hist_quantile (hist, 0.95) / 1000.0,
                 (double) zyn_bench_hist_quantile (hist, 0.99) / 1000.0,
                 (double) zyn_bench_hist_quantile (hist, 0.999) / 1000.0,
                 (double) hist->max / 1000.0);
        first = false;
    }
    fprintf (out, "}");
    if (result->last_error [0]) {
        //  Error texts are ours or a server's __type: keep them JSON-safe
        fprintf (out, ",\"first_error\":\"");
        for (const char *c = result->last_error; *c; c++)
            fputc (*c == '"' || *c == '\\' || (unsigned char) *c < 0x20 ? '\''
                                                                      : *c,
                   out);
        fprintf (out, "\"");
    }
    fprintf (out, "}");
}

static void
s_print_json (FILE *out, const s_args_t *args, const s_result_t *results,
              int result_count)
{
    fprintf (out,
             "{\"driver\":\"%s\",\"workload\":\"%s\",\"threads\":%d,"
             "\"inflight\":%d,\"records\":%" PRIu64 ",\"operations\":%" PRIu64
             ",\"sync\":%s,\"phases\":{",
             args->options.driver, args->config.name, args->options.threads,
             args->options.inflight, args->config.record_count,
             args->config.operation_count,
             args->options.sync ? "true" : "false");
    for (int i = 0; i < result_count; i++) {
        if (i)
            fputc (',', out);
        s_print_json_phase (out, &results [i]);
    }
    fprintf (out, "}}\n");
}

int
main (int argc, char *argv [])
{
    s_args_t args = { 0 };
    args.workload = "a";
    args.phase = "both";
    args.options.table = ZYN_BENCH_TABLE;
    args.options.region = "us-east-1";
    args.options.access_key = getenv ("AWS_ACCESS_KEY_ID");
    args.options.secret_key = getenv ("AWS_SECRET_ACCESS_KEY");
    if (!args.options.access_key)
        args.options.access_key = "zynamo";
    if (!args.options.secret_key)
        args.options.secret_key = "zynamo";
    if (s_parse_args (&args, argc, argv))
        return EXIT_FAILURE;
    zsys_init ();
    zsys_catch_interrupts ();
    zsys_set_logident ("zynamo-bench");

    zyn_bench_workload_t *workload = zyn_bench_workload_new (&args.config);
    s_result_t results [2];
    memset (results, 0, sizeof (results));
    int result_count = 0;
    int rc = EXIT_SUCCESS;
    if (!streq (args.phase, "run")) {
        if (s_run_phase (&args, workload, ZYN_BENCH_PHASE_LOAD,
                         &results [result_count]) == 0)
            s_print_text (&results [result_count++]);
        else
            rc = EXIT_FAILURE;
    }
    if (rc == EXIT_SUCCESS && !streq (args.phase, "load") && !zsys_interrupted) {
        if (s_run_phase (&args, workload, ZYN_BENCH_PHASE_RUN,
                         &results [result_count]) == 0)
            s_print_text (&results [result_count++]);
        else
            rc = EXIT_FAILURE;
    }
    if (result_count > 0) {
        FILE *out = stdout;
        if (args.json_path) {
            out = fopen (args.json_path, "w");
            if (!out) {
                fprintf (stderr, "zynamo-bench: cannot write %s: %s\n",
                         args.json_path, strerror (errno));
                out = stdout;
            }
        }
        s_print_json (out, &args, results, result_count);
        if (out != stdout)
            fclose (out);
    }
    for (int r = 0; r < result_count; r++)
        for (int i = 0; i < ZYN_BENCH_OP_MAX; i++)
            zyn_bench_hist_destroy (&results [r].hist [i]);
    zyn_bench_workload_destroy (&workload);
    return rc;
}

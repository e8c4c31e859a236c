/*  =========================================================================
    zynamo-worker - hosts partitions of zynamo tables

    Parses the command line, starts the worker actor (zyn_worker), waits
    for SIGINT or SIGTERM, and stops it cleanly: what is staged is
    committed and answered, every LevelDB closed.
    =========================================================================
*/

#include "zyn_prelude.h"
#include "zyn_worker.h"
#include "zyn_partition.h"
#include "zyn_compactions.h"

static void
s_usage (FILE *stream)
{
    fprintf (stream,
             "usage: zynamo-worker [options]\n"
             "\n"
             "Hosts partitions of zynamo tables, one LevelDB each, and\n"
             "serves the broker's requests for them.\n"
             "\n"
             "  --broker ENDPOINT   broker's worker back door "
             "(default tcp://127.0.0.1:7101)\n"
             "  --data DIR          data directory "
             "(default ./zynamo-data/worker-1)\n"
             "  --id ID             worker id, stable across restarts "
             "(default worker-1)\n"
             "  --front ENDPOINT    front door for clients' direct item\n"
             "                      requests (default tcp://127.0.0.1:*,\n"
             "                      a free port); 'none' to turn it off\n"
             "  --announce ENDPOINT where clients reach the front door\n"
             "                      (default: the endpoint bound)\n"
             "  --local ENDPOINT    where clients on this machine reach\n"
             "                      the worker over a plain Unix socket,\n"
             "                      unix://@NAME (abstract) or\n"
             "                      unix:///PATH (default\n"
             "                      unix://@zynamo-FRONTID); 'none' to\n"
             "                      turn it off\n"
             "  --stream-retention SECONDS\n"
             "                      how long change records are kept\n"
             "                      (default 86400, a day, as DynamoDB\n"
             "                      Streams keeps them)\n"
             "  --row-cache MB      cache of items read lately, shared by\n"
             "                      this worker's partitions (default 128;\n"
             "                      0 turns it off)\n"
             "  --write-buffer MB   each partition's LevelDB memtable; a\n"
             "                      partition being written holds up to\n"
             "                      twice this in memory (default 64)\n"
             "  --compaction-nice N LevelDB's flushes and compactions run\n"
             "                      at this nice value, below requests\n"
             "                      (default 10; 0 for the worker's own)\n"
             "  --verbose           log every request\n"
             "  --help              show this help and exit\n");
}

//  True if text is a whole decimal number from low to high, put in *number
static bool
s_number (const char *text, long long low, long long high, long long *number)
{
    char *end = NULL;
    errno = 0;
    *number = strtoll (text, &end, 10);
    return !errno && *text && !*end && *number >= low && *number <= high;
}

//  Send a command (a NULL-terminated list of strings) to the worker actor
//  and read its answer. Returns 0 on "OK", else prints the actor's
//  message (or fallback) and returns -1.
static int
s_command (zactor_t *worker, const char *fallback, const char *command, ...)
{
    zmsg_t *msg = zmsg_new ();
    va_list args;
    va_start (args, command);
    for (const char *part = command; part; part = va_arg (args, const char *))
        zmsg_addstr (msg, part);
    va_end (args);
    zmsg_send (&msg, worker);
    char *status = NULL, *message = NULL;
    zstr_recvx (worker, &status, &message, NULL);
    int rc = status && streq (status, "OK") ? 0 : -1;
    if (rc)
        fprintf (stderr, "zynamo-worker: %s\n", message ? message : fallback);
    zstr_free (&status);
    zstr_free (&message);
    return rc;
}

int
main (int argc, char *argv [])
{
    const char *broker = "tcp://127.0.0.1:7101";
    const char *data = "./zynamo-data/worker-1";
    const char *id = "worker-1";
    const char *front = "tcp://127.0.0.1:*";
    const char *announce = "";
    const char *local = "";
    const char *retention = NULL;
    const char *row_cache = NULL;
    const char *write_buffer = NULL;
    const char *compaction_nice = NULL;
    bool verbose = false;

    for (int index = 1; index < argc; index++) {
        const char *arg = argv [index];
        if (streq (arg, "--help") || streq (arg, "-h")) {
            s_usage (stdout);
            return 0;
        }
        else
        if (streq (arg, "--verbose") || streq (arg, "-v"))
            verbose = true;
        else
        if (streq (arg, "--broker") || streq (arg, "--data")
            || streq (arg, "--id") || streq (arg, "--front")
            || streq (arg, "--announce") || streq (arg, "--local")
            || streq (arg, "--stream-retention")
            || streq (arg, "--row-cache")
            || streq (arg, "--write-buffer")
            || streq (arg, "--compaction-nice")) {
            if (index + 1 >= argc || argv [index + 1][0] == '\0') {
                fprintf (stderr, "zynamo-worker: %s needs a value\n", arg);
                return 1;
            }
            const char *value = argv [++index];
            if (streq (arg, "--broker"))
                broker = value;
            else
            if (streq (arg, "--data"))
                data = value;
            else
            if (streq (arg, "--front"))
                front = value;
            else
            if (streq (arg, "--announce"))
                announce = value;
            else
            if (streq (arg, "--local"))
                local = value;
            else
            if (streq (arg, "--stream-retention"))
                retention = value;
            else
            if (streq (arg, "--row-cache"))
                row_cache = value;
            else
            if (streq (arg, "--write-buffer"))
                write_buffer = value;
            else
            if (streq (arg, "--compaction-nice"))
                compaction_nice = value;
            else
                id = value;
        }
        else {
            fprintf (stderr, "zynamo-worker: unknown option %s "
                             "(try --help)\n", arg);
            return 1;
        }
    }
    char retention_ms [32] = "";
    char trim_interval [32] = "";
    if (retention) {
        long long seconds;
        if (!s_number (retention, 1, 100LL * 365 * 86400, &seconds)) {
            fprintf (stderr, "zynamo-worker: --stream-retention must be a "
                             "number of seconds from 1 to 3153600000\n");
            return 1;
        }
        snprintf (retention_ms, sizeof (retention_ms), "%lld",
                  seconds * 1000);
        //  Trim once a minute, or twice per window if that is shorter
        long long interval = seconds * 500 < 60000 ? seconds * 500 : 60000;
        snprintf (trim_interval, sizeof (trim_interval), "%lld", interval);
    }
    char row_cache_bytes [32] = "";
    if (row_cache) {
        long long megabytes;
        if (!s_number (row_cache, 0, 1048576, &megabytes)) {
            fprintf (stderr, "zynamo-worker: --row-cache must be a number "
                             "of megabytes from 0 to 1048576\n");
            return 1;
        }
        snprintf (row_cache_bytes, sizeof (row_cache_bytes), "%lld",
                  megabytes * 1024 * 1024);
    }
    char write_buffer_bytes [32] = "";
    if (write_buffer) {
        long long megabytes;
        if (!s_number (write_buffer, 1, 1024, &megabytes)) {
            fprintf (stderr, "zynamo-worker: --write-buffer must be a "
                             "number of megabytes from 1 to 1024\n");
            return 1;
        }
        snprintf (write_buffer_bytes, sizeof (write_buffer_bytes), "%lld",
                  megabytes * 1024 * 1024);
    }
    long long nice = 10;
    if (compaction_nice) {
        if (!s_number (compaction_nice, 0, 19, &nice)) {
            fprintf (stderr, "zynamo-worker: --compaction-nice must be a "
                             "number from 0 to 19\n");
            return 1;
        }
    }
    zsys_init ();
    zsys_set_logident ("zynamo-worker");
    //  LevelDB's one compaction thread of this process starts below the
    //  requests' priority, before any partition opens
    zyn_error_t err = { 0 };
    if (nice && zyn_compactions_start (data, (int) nice, &err))
        zsys_warning ("zynamo-worker: compactions run at the worker's "
                      "priority: %s", err.message);
    zsys_catch_interrupts ();

    zactor_t *worker = zactor_new (zyn_worker_actor, NULL);
    assert (worker);
    if (verbose)
        zstr_send (worker, "VERBOSE");
    if (*retention_ms)
        zstr_sendx (worker, "RETENTION", retention_ms, trim_interval, NULL);
    if (*row_cache_bytes)
        zstr_sendx (worker, "ROWCACHE", row_cache_bytes, NULL);
    if (*write_buffer_bytes)
        zstr_sendx (worker, "WRITEBUFFER", write_buffer_bytes, NULL);
    if ((!streq (front, "none")
         && s_command (worker, "cannot bind the front door", "FRONT", front,
                       announce, NULL))
        || (!streq (front, "none") && !streq (local, "none")
            && s_command (worker, "cannot bind the local front door",
                          "LOCAL", local, NULL))
        || s_command (worker, "cannot start", "START", id, data, broker,
                      NULL)) {
        zactor_destroy (&worker);
        return 1;
    }
    zsys_info ("zynamo-worker: started id=%s data=%s broker=%s", id, data,
               broker);

    //  Wait for SIGINT or SIGTERM; the actor does all the work
    while (!zsys_interrupted)
        zclock_sleep (100);

    zsys_info ("zynamo-worker: stopping id=%s", id);
    zactor_destroy (&worker);
    return 0;
}

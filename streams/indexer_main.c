/*  =========================================================================
    zynamo-indexer - keeps global secondary indexes from change streams

    Parses the command line, runs the indexer (zyn_indexer) until SIGINT
    or SIGTERM, and stops it cleanly: its checkpoint store is closed.
    =========================================================================
*/

#include "zyn_prelude.h"
#include "zyn_indexer.h"

static void
s_usage (FILE *stream)
{
    fprintf (stream,
             "usage: zynamo-indexer [options]\n"
             "\n"
             "Maintains the global secondary indexes of a zynamo cluster\n"
             "from its tables' change streams, and backfills new ones.\n"
             "\n"
             "  --broker ENDPOINT   broker's front door "
             "(default tcp://127.0.0.1:7100)\n"
             "  --data DIR          checkpoint store "
             "(default ./zynamo-data/indexer)\n"
             "  --verbose           log every batch\n"
             "  --help              show this help and exit\n");
}

int
main (int argc, char *argv [])
{
    const char *broker = "tcp://127.0.0.1:7100";
    const char *data = "./zynamo-data/indexer";
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
        if (streq (arg, "--broker") || streq (arg, "--data")) {
            if (index + 1 >= argc || argv [index + 1][0] == '\0') {
                fprintf (stderr, "zynamo-indexer: %s needs a value\n", arg);
                return 1;
            }
            const char *value = argv [++index];
            if (streq (arg, "--broker"))
                broker = value;
            else
                data = value;
        }
        else {
            fprintf (stderr, "zynamo-indexer: unknown option %s "
                             "(try --help)\n", arg);
            return 1;
        }
    }
    zsys_init ();
    zsys_set_logident ("zynamo-indexer");
    zsys_catch_interrupts ();

    zyn_error_t err = { 0 };
    zyn_indexer_t *indexer = zyn_indexer_new (broker, data, &err);
    if (!indexer) {
        fprintf (stderr, "zynamo-indexer: %s\n", err.message);
        return 1;
    }
    zyn_indexer_set_verbose (indexer, verbose);
    zsys_info ("zynamo-indexer: started data=%s broker=%s", data, broker);
    while (!zsys_interrupted)
        zyn_indexer_step (indexer, 200);
    zsys_info ("zynamo-indexer: stopping");
    zyn_indexer_destroy (&indexer);
    return 0;
}

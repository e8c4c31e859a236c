/*  =========================================================================
    zynamo-broker - the broker process: parses flags, starts the broker
    actor, binds its sockets, writes the port file, waits for a signal

    See docs/operations.md for running it and docs/protocol.md for what it
    speaks.
    =========================================================================
*/

#include "zyn_prelude.h"
#include "zyn_broker.h"

static void
s_usage (FILE *out)
{
    fprintf (out,
             "usage: zynamo-broker [options]\n"
             "  --front ENDPOINT      client front door "
             "(default tcp://127.0.0.1:7100)\n"
             "  --back ENDPOINT       worker back door "
             "(default tcp://127.0.0.1:7101)\n"
             "  --hub-pub ENDPOINT    stream hub, subscriber side (XPUB, "
             "default tcp://127.0.0.1:7102)\n"
             "  --hub-sub ENDPOINT    stream hub, worker side (XSUB, "
             "default tcp://127.0.0.1:7103)\n"
             "  --data DIR            data directory (default "
             "./zynamo-data)\n"
             "  --partitions N        partitions of a new table "
             "(default 4)\n"
             "  --heartbeat MS        heartbeat interval (default 1000)\n"
             "  --request-timeout MS  longest wait for a worker's reply "
             "(default 30000)\n"
             "  --region NAME         region in ARNs (default us-east-1)\n"
             "  --port-file FILE      write the bound endpoints to FILE\n"
             "  --verbose             log every request\n"
             "  --help                show this help\n");
}

//  Parse a positive integer flag value; -1 if it is not one
static long
s_positive (const char *text, long max)
{
    char *end = NULL;
    errno = 0;
    long value = strtol (text, &end, 10);
    if (errno || !end || *end || value < 1 || value > max)
        return -1;
    return value;
}

//  Write the endpoints to path.tmp, then rename: readers never see a
//  half-written file
static int
s_write_port_file (const char *path, char **bound, const char **names)
{
    char *temp = zsys_sprintf ("%s.tmp", path);
    FILE *file = fopen (temp, "w");
    if (!file) {
        free (temp);
        return -1;
    }
    for (int i = 0; i < 4; i++)
        fprintf (file, "%s=%s\n", names [i], bound [i]);
    int rc = fclose (file);
    if (rc == 0)
        rc = rename (temp, path);
    free (temp);
    return rc;
}

int
main (int argc, char *argv [])
{
    zsys_set_logident ("zynamo-broker");
    const char *endpoints [4] = {
        "tcp://127.0.0.1:7100", "tcp://127.0.0.1:7101",
        "tcp://127.0.0.1:7102", "tcp://127.0.0.1:7103"
    };
    const char *kinds [4] = { "FRONT", "BACK", "HUB-PUB", "HUB-SUB" };
    const char *names [4] = { "front", "back", "hub-pub", "hub-sub" };
    zyn_broker_config_t config = { 0 };
    config.data_dir = "./zynamo-data";
    config.partitions = 4;
    config.heartbeat_msecs = 1000;
    config.heartbeat_liveness = 3;
    config.request_timeout_msecs = 30000;
    config.region = "us-east-1";
    const char *port_file = NULL;

    for (int i = 1; i < argc; i++) {
        const char *flag = argv [i];
        const char *value = i + 1 < argc ? argv [i + 1] : NULL;
        bool takes_value = true;
        if (streq (flag, "--help") || streq (flag, "-h")) {
            s_usage (stdout);
            return 0;
        }
        else
        if (streq (flag, "--verbose") || streq (flag, "-v")) {
            config.verbose = true;
            takes_value = false;
        }
        else
        if (!streq (flag, "--front") && !streq (flag, "--back")
            && !streq (flag, "--hub-pub") && !streq (flag, "--hub-sub")
            && !streq (flag, "--data") && !streq (flag, "--region")
            && !streq (flag, "--port-file") && !streq (flag, "--partitions")
            && !streq (flag, "--heartbeat")
            && !streq (flag, "--request-timeout")) {
            fprintf (stderr, "zynamo-broker: unknown option %s (try "
                             "--help)\n", flag);
            return 1;
        }
        else
        if (!value) {
            fprintf (stderr, "zynamo-broker: %s needs a value (try --help)\n",
                     flag);
            return 1;
        }
        else
        if (streq (flag, "--front"))
            endpoints [0] = value;
        else
        if (streq (flag, "--back"))
            endpoints [1] = value;
        else
        if (streq (flag, "--hub-pub"))
            endpoints [2] = value;
        else
        if (streq (flag, "--hub-sub"))
            endpoints [3] = value;
        else
        if (streq (flag, "--data"))
            config.data_dir = value;
        else
        if (streq (flag, "--region"))
            config.region = value;
        else
        if (streq (flag, "--port-file"))
            port_file = value;
        else
        if (streq (flag, "--partitions")) {
            long partitions = s_positive (value, 256);
            if (partitions < 0) {
                fprintf (stderr, "zynamo-broker: --partitions must be 1 to "
                                 "256, not '%s'\n", value);
                return 1;
            }
            config.partitions = (uint32_t) partitions;
        }
        else
        if (streq (flag, "--heartbeat")) {
            long msecs = s_positive (value, 3600000);
            if (msecs < 0) {
                fprintf (stderr, "zynamo-broker: --heartbeat must be a "
                                 "positive number of ms, not '%s'\n", value);
                return 1;
            }
            config.heartbeat_msecs = (int) msecs;
        }
        else {
            //  --request-timeout, the last of the known flags
            long msecs = s_positive (value, 3600000);
            if (msecs < 0) {
                fprintf (stderr, "zynamo-broker: --request-timeout must be "
                                 "a positive number of ms, not '%s'\n",
                         value);
                return 1;
            }
            config.request_timeout_msecs = (int) msecs;
        }
        if (takes_value)
            i++;
    }

    //  CZMQ's handler sets zsys_interrupted on SIGINT and SIGTERM
    zsys_init ();

    zyn_error_t err = { 0 };
    zactor_t *broker = zyn_broker_new (&config, &err);
    if (!broker) {
        fprintf (stderr, "zynamo-broker: %s\n", err.message);
        return 1;
    }
    if (config.verbose)
        zstr_send (broker, "VERBOSE");
    char *bound [4] = { NULL, NULL, NULL, NULL };
    int rc = 0;
    for (int i = 0; i < 4 && rc == 0; i++) {
        bound [i] = zyn_broker_bind (broker, kinds [i], endpoints [i]);
        if (!bound [i]) {
            fprintf (stderr, "zynamo-broker: cannot bind --%s %s: %s\n",
                     names [i], endpoints [i], zmq_strerror (zmq_errno ()));
            rc = 1;
        }
    }
    if (rc == 0 && port_file
        && s_write_port_file (port_file, bound, names)) {
        fprintf (stderr, "zynamo-broker: cannot write --port-file %s: %s\n",
                 port_file, strerror (errno));
        rc = 1;
    }
    if (rc == 0) {
        zsys_info ("zynamo-broker: ready front=%s back=%s hub-pub=%s "
                   "hub-sub=%s data=%s", bound [0], bound [1], bound [2],
                   bound [3], config.data_dir);
        //  Wait for a signal; the actor does the work
        while (!zsys_interrupted)
            zclock_sleep (100);
        zsys_info ("zynamo-broker: stopping");
    }
    for (int i = 0; i < 4; i++)
        free (bound [i]);
    zactor_destroy (&broker);
    return rc;
}

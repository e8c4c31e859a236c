/*  =========================================================================
    zynamo-gateway - the DynamoDB-compatible HTTP API of a zynamo cluster

    Parses flags, starts the gateway, writes the port file if asked, waits
    for SIGINT or SIGTERM and stops cleanly (exit 0).
    =========================================================================
*/

#include "zyn_prelude.h"
#include "zyn_gateway.h"

#include <pthread.h>

static void
s_usage (FILE *out)
{
    fprintf (out,
        "usage: zynamo-gateway [options]\n"
        "  --http HOST:PORT      listen address (default 127.0.0.1:8000;\n"
        "                        port 0 = any free port)\n"
        "  --broker ENDPOINT     broker front door (default "
        "tcp://127.0.0.1:7100)\n"
        "  --open                accept any credentials, as DynamoDB Local "
        "(default)\n"
        "  --auth                verify SigV4 signatures against "
        "--credentials\n"
        "  --credentials FILE    access keys, lines 'ACCESS_KEY_ID "
        "SECRET_KEY'\n"
        "  --region REGION       region for ARNs and records (default "
        "us-east-1)\n"
        "  --threads N           event loops, each one thread serving HTTP\n"
        "                        and its own broker connection (default 1)\n"
        "  --port-file FILE      write 'http=HOST:PORT' once listening\n"
        "  --verbose             log every request\n"
        "  --help                this text\n");
}

//  Write "http=HOST:PORT" to path atomically (a temp file renamed)
static int
s_write_port_file (const char *path, const char *host, int port)
{
    char temp [4096];
    snprintf (temp, sizeof (temp), "%s.tmp.%d", path, (int) getpid ());
    FILE *file = fopen (temp, "w");
    if (!file)
        return -1;
    fprintf (file, "http=%s:%d\n", host, port);
    if (fclose (file) != 0 || rename (temp, path) != 0) {
        unlink (temp);
        return -1;
    }
    return 0;
}

int
main (int argc, char *argv [])
{
    zyn_gateway_config_t config = { 0 };
    config.http = "127.0.0.1:8000";
    config.broker = "tcp://127.0.0.1:7100";
    config.region = "us-east-1";
    const char *port_file = NULL;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv [i];
        bool has_value = i + 1 < argc;
        if (streq (arg, "--help") || streq (arg, "-h")) {
            s_usage (stdout);
            return 0;
        }
        else
        if (streq (arg, "--open"))
            config.auth = false;
        else
        if (streq (arg, "--auth"))
            config.auth = true;
        else
        if (streq (arg, "--verbose") || streq (arg, "-v"))
            config.verbose = true;
        else
        if (streq (arg, "--http") && has_value)
            config.http = argv [++i];
        else
        if (streq (arg, "--broker") && has_value)
            config.broker = argv [++i];
        else
        if (streq (arg, "--credentials") && has_value)
            config.credentials = argv [++i];
        else
        if (streq (arg, "--region") && has_value)
            config.region = argv [++i];
        else
        if (streq (arg, "--port-file") && has_value)
            port_file = argv [++i];
        else
        if (streq (arg, "--threads") && has_value) {
            config.threads = atoi (argv [++i]);
            if (config.threads < 1 || config.threads > 256) {
                fprintf (stderr, "zynamo-gateway: bad --threads '%s'\n",
                         argv [i]);
                return 1;
            }
        }
        else {
            fprintf (stderr, "zynamo-gateway: unknown or incomplete option "
                             "'%s' (try --help)\n", arg);
            return 1;
        }
    }
    //  Every thread inherits this mask; only sigwait below takes the
    //  signals, so shutdown runs on the main thread, in order
    sigset_t signals;
    sigemptyset (&signals);
    sigaddset (&signals, SIGINT);
    sigaddset (&signals, SIGTERM);
    pthread_sigmask (SIG_BLOCK, &signals, NULL);
    signal (SIGPIPE, SIG_IGN);
    zsys_handler_set (NULL);
    zsys_init ();
    zsys_set_logident ("zynamo-gateway");

    zyn_error_t err = { 0 };
    zyn_gateway_t *gateway = zyn_gateway_new (&config, &err);
    if (!gateway) {
        fprintf (stderr, "zynamo-gateway: %s\n", err.message);
        zsys_shutdown ();
        return 1;
    }
    if (port_file) {
        char host [256];
        const char *colon = strrchr (config.http, ':');
        snprintf (host, sizeof (host), "%.*s",
                  (int) (colon ? colon - config.http : 0), config.http);
        if (s_write_port_file (port_file, host,
                               zyn_gateway_port (gateway))) {
            fprintf (stderr, "zynamo-gateway: cannot write %s: %s\n",
                     port_file, strerror (errno));
            zyn_gateway_destroy (&gateway);
            zsys_shutdown ();
            return 1;
        }
    }
    int received = 0;
    sigwait (&signals, &received);
    zsys_info ("zynamo-gateway: stopping signal=%d", received);
    zyn_gateway_destroy (&gateway);
    zsys_shutdown ();
    return 0;
}

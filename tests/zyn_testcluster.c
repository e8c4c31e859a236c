/*  =========================================================================
    zyn_testcluster - a real zynamo cluster for end-to-end tests

    Children are started with fork/exec from $ZYN_BUILDDIR, their stdout
    and stderr go to <dir>/<name>.log. Liveness of workers is read from the
    broker itself (ZynDescribeCluster), never guessed with a sleep.
    =========================================================================
*/

#include "zyn_prelude.h"
#include "zyn_json.h"
#include "zyn_testcluster.h"
#include "zyn_testutil.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>

#define MAX_WORKERS 8

typedef struct {
    char name [64];             //  Log name: broker, worker-1, ...
    pid_t pid;                  //  0 when not running
} s_child_t;

struct zyn_testcluster {
    char dir [1024];            //  Owned: removed in destroy
    char builddir [1024];
    char front [128];           //  Broker endpoints, from its port file
    char back [128];
    char hub_pub [128];
    char hub_sub [128];
    int workers;
    s_child_t broker;
    s_child_t worker [MAX_WORKERS];
    s_child_t indexer;
};

static void
s_print_log (zyn_testcluster_t *self, const char *name)
{
    char path [1200];
    snprintf (path, sizeof (path), "%s/%s.log", self->dir, name);
    FILE *file = fopen (path, "r");
    if (!file)
        return;
    fprintf (stderr, "----- %s\n", path);
    char line [1024];
    while (fgets (line, sizeof (line), file))
        fputs (line, stderr);
    fclose (file);
}

//  Start a child: argv [0] is the binary's name in the build dir
static void
s_spawn (zyn_testcluster_t *self, s_child_t *child, char **argv)
{
    char binary [1200];
    snprintf (binary, sizeof (binary), "%s/%s", self->builddir, argv [0]);
    char log [1200];
    snprintf (log, sizeof (log), "%s/%s.log", self->dir, child->name);
    fflush (stdout);
    fflush (stderr);
    pid_t pid = fork ();
    ck_assert_int_ge (pid, 0);
    if (pid == 0) {
        int fd = open (log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2 (fd, 1);
            dup2 (fd, 2);
            close (fd);
        }
        execv (binary, argv);
        fprintf (stderr, "exec %s: %s\n", binary, strerror (errno));
        _exit (127);
    }
    child->pid = pid;
}

//  Wait for a child to end, at most timeout_ms; returns its wait status or
//  -1 on timeout (the child is then killed)
static int
s_reap (s_child_t *child, int timeout_ms)
{
    int64_t deadline = zyn_mono_msecs () + timeout_ms;
    while (true) {
        int status;
        pid_t rc = waitpid (child->pid, &status, WNOHANG);
        if (rc == child->pid) {
            child->pid = 0;
            return status;
        }
        if (zyn_mono_msecs () > deadline) {
            kill (child->pid, SIGKILL);
            waitpid (child->pid, &status, 0);
            child->pid = 0;
            return -1;
        }
        zclock_sleep (10);
    }
}

static void
s_stop (zyn_testcluster_t *self, s_child_t *child, int signal)
{
    if (!child->pid)
        return;
    kill (child->pid, signal);
    int status = s_reap (child, 15000);
    if (signal == SIGTERM || signal == SIGINT) {
        if (!(status >= 0 && WIFEXITED (status) && WEXITSTATUS (status) == 0))
            s_print_log (self, child->name);
        ck_assert_msg (status >= 0, "%s did not stop within 15 s on SIGTERM",
                       child->name);
        ck_assert_msg (WIFEXITED (status) && WEXITSTATUS (status) == 0,
                       "%s did not exit 0 on SIGTERM (status %d)",
                       child->name, status);
    }
}

//  Read the broker's port file into the endpoint fields; 0 or -1
static int
s_read_ports (zyn_testcluster_t *self)
{
    char path [1200];
    snprintf (path, sizeof (path), "%s/broker.ports", self->dir);
    FILE *file = fopen (path, "r");
    if (!file)
        return -1;
    char line [256];
    while (fgets (line, sizeof (line), file)) {
        line [strcspn (line, "\r\n")] = 0;
        char *value = strchr (line, '=');
        if (!value)
            continue;
        *value++ = 0;
        if (streq (line, "front"))
            snprintf (self->front, sizeof (self->front), "%s", value);
        else
        if (streq (line, "back"))
            snprintf (self->back, sizeof (self->back), "%s", value);
        else
        if (streq (line, "hub-pub"))
            snprintf (self->hub_pub, sizeof (self->hub_pub), "%s", value);
        else
        if (streq (line, "hub-sub"))
            snprintf (self->hub_sub, sizeof (self->hub_sub), "%s", value);
    }
    fclose (file);
    return *self->front && *self->back ? 0 : -1;
}

//  Free TCP ports on 127.0.0.1 below the kernel's ephemeral range. Ports
//  from that range would let a peer reconnecting to a stopped broker
//  take the broker's port as its own source port (a TCP self-connect),
//  so the broker could not bind it again on restart.
static void
s_free_ports (int *ports, int count)
{
    //  Seeded per process: parallel suites must not share picks
    unsigned seed = (unsigned) getpid () * 2654435761u
                  ^ (unsigned) zyn_mono_msecs ();
    for (int index = 0; index < count; index++) {
        ports [index] = 0;
        for (int attempt = 0; attempt < 200 && !ports [index]; attempt++) {
            int port = 20000 + (int) (rand_r (&seed) % 12000);
            bool taken = false;
            for (int other = 0; other < index; other++)
                taken |= ports [other] == port;
            int fd = socket (AF_INET, SOCK_STREAM, 0);
            ck_assert_int_ge (fd, 0);
            struct sockaddr_in address = zyn_test_loopback (port);
            if (!taken
                && bind (fd, (struct sockaddr *) &address, sizeof (address))
                       == 0)
                ports [index] = port;
            close (fd);
        }
        ck_assert_msg (ports [index], "no free port");
    }
}

static void
s_start_broker (zyn_testcluster_t *self, bool same_ports)
{
    char data [1200], ports [1200];
    snprintf (data, sizeof (data), "%s/broker-data", self->dir);
    snprintf (ports, sizeof (ports), "%s/broker.ports", self->dir);
    int port [4];
    s_free_ports (port, 4);
    char front [128], back [128], pub [128], sub [128];
    snprintf (front, sizeof (front), "tcp://127.0.0.1:%d", port [0]);
    snprintf (back, sizeof (back), "tcp://127.0.0.1:%d", port [1]);
    snprintf (pub, sizeof (pub), "tcp://127.0.0.1:%d", port [2]);
    snprintf (sub, sizeof (sub), "tcp://127.0.0.1:%d", port [3]);
    if (same_ports) {
        snprintf (front, sizeof (front), "%s", self->front);
        snprintf (back, sizeof (back), "%s", self->back);
        snprintf (pub, sizeof (pub), "%s", self->hub_pub);
        snprintf (sub, sizeof (sub), "%s", self->hub_sub);
    }
    unlink (ports);
    char *argv [] = { "zynamo-broker", "--front", front, "--back", back,
                      "--hub-pub", pub, "--hub-sub", sub, "--data", data,
                      "--heartbeat", "200", "--port-file", ports, NULL };
    s_spawn (self, &self->broker, argv);
    int64_t deadline = zyn_mono_msecs () + 10000;
    while (s_read_ports (self) != 0) {
        int status;
        if (waitpid (self->broker.pid, &status, WNOHANG) == self->broker.pid) {
            self->broker.pid = 0;
            s_print_log (self, "broker");
            ck_abort_msg ("zynamo-broker exited at start");
        }
        if (zyn_mono_msecs () > deadline) {
            s_print_log (self, "broker");
            ck_abort_msg ("zynamo-broker wrote no port file within 10 s");
        }
        zclock_sleep (10);
    }
}

//  --------------------------------------------------------------------------
//  Wait until the broker reports workers live workers

int
zyn_testcluster_wait_workers (zyn_testcluster_t *self, int workers,
                              int timeout_ms)
{
    zyn_error_t err = { 0 };
    zyn_client_t *client = zyn_client_new (self->front, &err);
    ck_assert_ptr_nonnull (client);
    zyn_client_set_timeout (client, 1000);
    int64_t deadline = zyn_mono_msecs () + timeout_ms;
    int rc = -1;
    while (zyn_mono_msecs () < deadline) {
        zyn_value_t *request = zyn_value_new_m ();
        zyn_value_t *reply
            = zyn_client_call (client, "ZynDescribeCluster", request, &err);
        zyn_value_destroy (&request);
        int live = 0;
        zyn_value_t *list = reply ? zyn_value_map_get (reply, "Workers")
                                  : NULL;
        for (size_t i = 0; list && i < zyn_value_size (list); i++) {
            zyn_value_t *worker = zyn_value_list_get (list, i);
            zyn_value_t *flag = zyn_value_map_get (worker, "Live");
            if (flag && zyn_value_bool (flag))
                live++;
        }
        zyn_value_destroy (&reply);
        if (live == workers) {
            rc = 0;
            break;
        }
        zclock_sleep (20);
    }
    zyn_client_destroy (&client);
    return rc;
}

static void
s_start_worker (zyn_testcluster_t *self, int index)
{
    s_child_t *child = &self->worker [index];
    snprintf (child->name, sizeof (child->name), "worker-%d", index + 1);
    char data [1200];
    snprintf (data, sizeof (data), "%s/%s", self->dir, child->name);
    char *argv [] = { "zynamo-worker", "--broker", self->back, "--data", data,
                      "--id", child->name, NULL };
    s_spawn (self, child, argv);
}

static int
s_running_workers (zyn_testcluster_t *self)
{
    int running = 0;
    for (int index = 0; index < self->workers; index++)
        if (self->worker [index].pid)
            running++;
    return running;
}

static void
s_wait_running_workers (zyn_testcluster_t *self)
{
    if (zyn_testcluster_wait_workers (self, s_running_workers (self), 15000)) {
        s_print_log (self, "broker");
        for (int index = 0; index < self->workers; index++)
            s_print_log (self, self->worker [index].name);
        ck_abort_msg ("workers did not register within 15 s");
    }
}

//  --------------------------------------------------------------------------
//  Start a broker and workers, and wait until every worker has registered

zyn_testcluster_t *
zyn_testcluster_new (const char *name, int workers)
{
    assert (workers >= 0 && workers <= MAX_WORKERS);
    zyn_testcluster_t *self = (zyn_testcluster_t *) zmalloc (sizeof (*self));
    const char *builddir = getenv ("ZYN_BUILDDIR");
    snprintf (self->builddir, sizeof (self->builddir), "%s",
              builddir ? builddir : ".");
    zyn_test_dir (self->dir, sizeof (self->dir), name);
    snprintf (self->broker.name, sizeof (self->broker.name), "broker");
    self->workers = workers;
    s_start_broker (self, false);
    for (int index = 0; index < workers; index++)
        s_start_worker (self, index);
    s_wait_running_workers (self);
    return self;
}

//  --------------------------------------------------------------------------
//  Stop every child with SIGTERM, check each exits 0, remove the data

void
zyn_testcluster_destroy (zyn_testcluster_t **self_p)
{
    assert (self_p);
    zyn_testcluster_t *self = *self_p;
    if (!self)
        return;
    s_stop (self, &self->indexer, SIGTERM);
    for (int index = 0; index < self->workers; index++)
        s_stop (self, &self->worker [index], SIGTERM);
    s_stop (self, &self->broker, SIGTERM);
    if (getenv ("ZYN_E2E_LOGS")) {
        s_print_log (self, "broker");
        if (*self->indexer.name)
            s_print_log (self, "indexer");
        for (int index = 0; index < self->workers; index++)
            s_print_log (self, self->worker [index].name);
    }
    zyn_test_dir_remove (self->dir);
    free (self);
    *self_p = NULL;
}

//  --------------------------------------------------------------------------
//  Accessors

const char *
zyn_testcluster_endpoint (zyn_testcluster_t *self)
{
    return self->front;
}

const char *
zyn_testcluster_dir (zyn_testcluster_t *self)
{
    return self->dir;
}

//  --------------------------------------------------------------------------
//  Send signal to worker index and wait for it to end

void
zyn_testcluster_stop_worker (zyn_testcluster_t *self, int index, int signal)
{
    assert (index >= 0 && index < self->workers);
    s_stop (self, &self->worker [index], signal);
}

//  --------------------------------------------------------------------------
//  Start worker index again and wait until it has registered

void
zyn_testcluster_start_worker (zyn_testcluster_t *self, int index)
{
    assert (index >= 0 && index < self->workers);
    assert (self->worker [index].pid == 0);
    s_start_worker (self, index);
    s_wait_running_workers (self);
}

//  --------------------------------------------------------------------------
//  Restart the broker on the same ports and data

void
zyn_testcluster_restart_broker (zyn_testcluster_t *self)
{
    s_stop (self, &self->broker, SIGTERM);
    s_start_broker (self, true);
    s_wait_running_workers (self);
}

//  --------------------------------------------------------------------------
//  Start zynamo-indexer for the cluster

void
zyn_testcluster_start_indexer (zyn_testcluster_t *self)
{
    assert (self->indexer.pid == 0);
    snprintf (self->indexer.name, sizeof (self->indexer.name), "indexer");
    char data [1200];
    snprintf (data, sizeof (data), "%s/indexer", self->dir);
    char *argv [] = { "zynamo-indexer", "--broker", self->front, "--data",
                      data, NULL };
    s_spawn (self, &self->indexer, argv);
}

//  --------------------------------------------------------------------------
//  Send signal to the indexer and wait for it to end

void
zyn_testcluster_stop_indexer (zyn_testcluster_t *self, int signal)
{
    s_stop (self, &self->indexer, signal);
}

//  --------------------------------------------------------------------------
//  Clients and calls

zyn_client_t *
zyn_testcluster_client (zyn_testcluster_t *self)
{
    zyn_error_t err = { 0 };
    zyn_client_t *client
        = zyn_client_new (zyn_testcluster_endpoint (self), &err);
    ck_assert_msg (client, "cannot connect: %s", err.message);
    zyn_client_set_timeout (client, 10000);
    return client;
}

zyn_value_t *
zyn_testcluster_call (zyn_client_t *client, const char *operation,
                      const char *json, zyn_error_t *err)
{
    zyn_error_t parse_err = { 0 };
    zyn_value_t *request = zyn_json_to_request (json, strlen (json),
                                                &parse_err);
    ck_assert_msg (request, "bad test request %s: %s", json,
                   parse_err.message);
    zyn_error_clear (err);
    zyn_value_t *reply = zyn_client_call (client, operation, request, err);
    zyn_value_destroy (&request);
    return reply;
}

zyn_value_t *
zyn_testcluster_ok (zyn_client_t *client, const char *operation,
                    const char *json)
{
    zyn_error_t err = { 0 };
    zyn_value_t *reply = zyn_testcluster_call (client, operation, json, &err);
    ck_assert_msg (reply, "%s %s failed: %s: %s", operation, json,
                   zyn_error_name (err.type), err.message);
    return reply;
}

void
zyn_testcluster_fails (zyn_client_t *client, const char *operation,
                       const char *json, zyn_errtype_t type,
                       const char *message)
{
    zyn_error_t err = { 0 };
    zyn_value_t *reply = zyn_testcluster_call (client, operation, json, &err);
    ck_assert_msg (!reply, "%s %s should have failed", operation, json);
    ck_assert_str_eq (zyn_error_name (err.type), zyn_error_name (type));
    if (message)
        ck_assert_str_eq (err.message, message);
}

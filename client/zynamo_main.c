/*  =========================================================================
    zynamo - the launcher: `zynamo up` runs a whole local cluster

    Starts zynamo-broker, N zynamo-workers and (when installed beside
    this program) zynamo-indexer and zynamo-gateway as child processes,
    each logging to <data>/logs/<name>.log. A child that dies is
    restarted with back-off; SIGINT or SIGTERM stops them all (SIGTERM,
    then SIGKILL after 10 s) and the launcher exits 0. Once the broker
    answers and the workers have registered it prints the endpoints.
    =========================================================================
*/

#include "zyn_prelude.h"
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <sys/prctl.h>

//  Broker, 64 workers, indexer, gateway
#define CHILD_MAX 67
#define ARGS_MAX 24
#define BACKOFF_MIN 500
#define BACKOFF_MAX 30000
//  A child that ran this long before dying restarts without delay growth
#define STABLE_MSECS 30000
#define STOP_GRACE_MSECS 10000
#define READY_TIMEOUT 30000

typedef struct {
    char name [64];
    char *argv [ARGS_MAX];          //  Owned strings, NULL-terminated
    pid_t pid;                      //  0 when not running
    int64_t started_at;
    int64_t restart_at;             //  When to start again after a crash
    int backoff;
} s_child_t;

typedef struct {
    char data [1024];
    int workers;
    int partitions;                 //  0: the broker's default
    int port;
    int http_port;
    long stream_retention;          //  Seconds, 0: the worker's default
    long row_cache;                 //  MiB per worker, -1: its default
    long write_buffer;              //  MiB per partition, 0: its default
    long compaction_nice;           //  -1: the worker's default
    bool gateway;
    bool verbose;
    char bindir [1024];
} s_config_t;

static void
s_usage (FILE *file)
{
    fprintf (file,
             "usage: zynamo up [options]\n"
             "\n"
             "Starts a local zynamo cluster: a broker, N workers, the "
             "index builder and\nthe HTTP gateway, supervised (a crashed "
             "process is restarted); Ctrl-C\nstops them all.\n"
             "\n"
             "  --data DIR          data directory (default ./zynamo-data)\n"
             "  --workers N         worker processes (default 2)\n"
             "  --partitions N      partitions of a new table (broker "
             "default 4)\n"
             "  --port PORT         native endpoint port; PORT+1..+3 are the "
             "worker\n"
             "                      back door and the stream hub (default "
             "7100)\n"
             "  --http-port PORT    DynamoDB HTTP endpoint (default 8000)\n"
             "  --stream-retention SECONDS\n"
             "                      how long workers keep change records\n"
             "                      (default 86400, a day)\n"
             "  --row-cache MB      each worker's cache of items read "
             "lately\n"
             "                      (default 128; 0 turns it off)\n"
             "  --write-buffer MB   each partition's LevelDB memtable\n"
             "                      (default 64)\n"
             "  --compaction-nice N nice value of the workers' LevelDB\n"
             "                      compactions (default 10; 0: none)\n"
             "  --no-gateway        do not start the HTTP gateway\n"
             "  --verbose           verbose child processes\n"
             "  --help              show this help and exit\n");
}

//  --------------------------------------------------------------------------
//  Add an argument to a child's command line

static void
s_child_arg (s_child_t *child, const char *format, ...)
{
    int count = 0;
    while (child->argv [count])
        count++;
    assert (count + 1 < ARGS_MAX);
    va_list args;
    va_start (args, format);
    char *arg = NULL;
    if (vasprintf (&arg, format, args) < 0)
        arg = NULL;
    va_end (args);
    assert (arg);
    child->argv [count] = arg;
}

static void
s_child_free (s_child_t *child)
{
    for (int i = 0; child->argv [i]; i++) {
        free (child->argv [i]);
        child->argv [i] = NULL;
    }
}

//  --------------------------------------------------------------------------
//  Start a child with its output appended to its log. Returns 0 or -1.

static int
s_child_start (s_child_t *child, const s_config_t *config)
{
    char log [1200];
    snprintf (log, sizeof (log), "%s/logs/%s.log", config->data, child->name);
    int fd = open (log, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd < 0) {
        zsys_error ("zynamo: cannot open log path=%s error=%s", log,
                    strerror (errno));
        return -1;
    }
    pid_t launcher = getpid ();
    pid_t pid = fork ();
    if (pid < 0) {
        close (fd);
        zsys_error ("zynamo: cannot fork error=%s", strerror (errno));
        return -1;
    }
    if (pid == 0) {
        //  The child: its own process group, so a terminal's Ctrl-C
        //  reaches only the launcher, which stops children in order; and
        //  it ends with the launcher, even if the launcher is killed
        setpgid (0, 0);
        prctl (PR_SET_PDEATHSIG, SIGTERM);
        if (getppid () != launcher)
            _exit (0);
        dup2 (fd, STDOUT_FILENO);
        dup2 (fd, STDERR_FILENO);
        close (fd);
        int null_fd = open ("/dev/null", O_RDONLY);
        if (null_fd >= 0) {
            dup2 (null_fd, STDIN_FILENO);
            close (null_fd);
        }
        execv (child->argv [0], child->argv);
        fprintf (stderr, "zynamo: cannot run %s: %s\n", child->argv [0],
                 strerror (errno));
        _exit (127);
    }
    close (fd);
    child->pid = pid;
    child->started_at = zyn_mono_msecs ();
    zsys_info ("zynamo: started %s pid=%d log=%s", child->name, (int) pid,
               log);
    return 0;
}

//  --------------------------------------------------------------------------
//  The directory this program lives in (where its siblings are)

static void
s_find_bindir (const char *argv0, char *buf, size_t size)
{
    char path [1024];
    ssize_t length = readlink ("/proc/self/exe", path, sizeof (path) - 1);
    if (length > 0)
        path [length] = 0;
    else
        snprintf (path, sizeof (path), "%s", argv0);
    char *slash = strrchr (path, '/');
    if (slash)
        *slash = 0;
    else
        snprintf (path, sizeof (path), ".");
    snprintf (buf, size, "%s", path);
}

//  --------------------------------------------------------------------------
//  mkdir -p for one or two levels

static int
s_make_dir (const char *path)
{
    char copy [1200];
    snprintf (copy, sizeof (copy), "%s", path);
    for (char *slash = strchr (copy + 1, '/'); slash;
         slash = strchr (slash + 1, '/')) {
        *slash = 0;
        mkdir (copy, 0755);
        *slash = '/';
    }
    if (mkdir (copy, 0755) && errno != EEXIST)
        return -1;
    struct stat info;
    return stat (copy, &info) == 0 && S_ISDIR (info.st_mode) ? 0 : -1;
}

//  --------------------------------------------------------------------------
//  Wait until the broker answers and the workers have registered

static bool
s_wait_ready (const s_config_t *config)
{
    char endpoint [64];
    snprintf (endpoint, sizeof (endpoint), "tcp://127.0.0.1:%d",
              config->port);
    zyn_client_t *client = zyn_client_new (endpoint, NULL);
    if (!client)
        return false;
    zyn_client_set_timeout (client, 1000);
    int64_t deadline = zyn_mono_msecs () + READY_TIMEOUT;
    bool ready = false;
    while (!ready && !zsys_interrupted && zyn_mono_msecs () < deadline) {
        zyn_error_t err = { 0 };
        zyn_value_t *reply
            = zyn_client_call (client, "ZynDescribeCluster", NULL, &err);
        const zyn_value_t *list = reply ? zyn_value_map_get (reply, "Workers")
                                        : NULL;
        int live = 0;
        for (size_t i = 0; list && i < zyn_value_size (list); i++) {
            const zyn_value_t *flag
                = zyn_value_map_get (zyn_value_list_get (list, i), "Live");
            if (flag && zyn_value_bool (flag))
                live++;
        }
        ready = reply && live >= config->workers;
        zyn_value_destroy (&reply);
        if (!ready)
            zclock_sleep (100);
    }
    zyn_client_destroy (&client);
    return ready;
}

//  --------------------------------------------------------------------------
//  Reap children that exited; schedule restarts

//  The last line of a child's log (for the crash report), into buf

static void
s_last_log_line (const char *data, const char *name, char *buf, size_t size)
{
    buf [0] = 0;
    char *path = zsys_sprintf ("%s/logs/%s.log", data, name);
    FILE *file = fopen (path, "r");
    zstr_free (&path);
    if (!file)
        return;
    char tail [1024];
    if (fseek (file, -(long) (sizeof (tail) - 1), SEEK_END))
        rewind (file);
    size_t got = fread (tail, 1, sizeof (tail) - 1, file);
    fclose (file);
    while (got && (tail [got - 1] == '\n' || tail [got - 1] == '\r'))
        got--;
    tail [got] = 0;
    const char *line = strrchr (tail, '\n');
    line = line ? line + 1 : tail;
    size_t length = strlen (line);
    if (length >= size)
        length = size - 1;
    memcpy (buf, line, length);
    buf [length] = 0;
}

static void
s_reap (s_child_t *children, int count, const char *data)
{
    int status;
    pid_t pid;
    while ((pid = waitpid (-1, &status, WNOHANG)) > 0) {
        for (int i = 0; i < count; i++) {
            s_child_t *child = &children [i];
            if (child->pid != pid)
                continue;
            child->pid = 0;
            int64_t now = zyn_mono_msecs ();
            if (now - child->started_at >= STABLE_MSECS)
                child->backoff = BACKOFF_MIN;
            child->restart_at = now + child->backoff;
            char last [256];
            s_last_log_line (data, child->name, last, sizeof (last));
            if (WIFSIGNALED (status))
                zsys_warning ("zynamo: %s died signal=%d, restarting in "
                              "%d ms; last log line: %s",
                              child->name, WTERMSIG (status), child->backoff,
                              last);
            else
                zsys_warning ("zynamo: %s exited status=%d, restarting in "
                              "%d ms; last log line: %s",
                              child->name, WEXITSTATUS (status),
                              child->backoff, last);
            child->backoff = child->backoff * 2 > BACKOFF_MAX
                               ? BACKOFF_MAX : child->backoff * 2;
        }
    }
}

//  --------------------------------------------------------------------------
//  Stop every child: SIGTERM, then SIGKILL after the grace period

static void
s_stop_all (s_child_t *children, int count)
{
    //  Gateway and workers first, the broker last (index 0)
    for (int i = count - 1; i >= 0; i--)
        if (children [i].pid)
            kill (children [i].pid, SIGTERM);
    int64_t deadline = zyn_mono_msecs () + STOP_GRACE_MSECS;
    while (true) {
        int running = 0;
        for (int i = 0; i < count; i++) {
            if (!children [i].pid)
                continue;
            int status;
            if (waitpid (children [i].pid, &status, WNOHANG)
                == children [i].pid)
                children [i].pid = 0;
            else
                running++;
        }
        if (running == 0)
            break;
        if (zyn_mono_msecs () >= deadline) {
            for (int i = 0; i < count; i++)
                if (children [i].pid) {
                    zsys_warning ("zynamo: %s did not stop, killing it",
                                  children [i].name);
                    kill (children [i].pid, SIGKILL);
                    waitpid (children [i].pid, NULL, 0);
                    children [i].pid = 0;
                }
            break;
        }
        zclock_sleep (50);
    }
}

//  --------------------------------------------------------------------------
//  Parse `zynamo up` flags. Returns 0, 1 for --help, -1 on a bad flag.

static int
s_parse (int argc, char **argv, s_config_t *config)
{
    for (int index = 0; index < argc; index++) {
        const char *arg = argv [index];
        if (streq (arg, "--help") || streq (arg, "-h"))
            return 1;
        if (streq (arg, "--no-gateway")) {
            config->gateway = false;
            continue;
        }
        if (streq (arg, "--verbose") || streq (arg, "-v")) {
            config->verbose = true;
            continue;
        }
        bool is_valued = streq (arg, "--data") || streq (arg, "--workers")
                      || streq (arg, "--partitions") || streq (arg, "--port")
                      || streq (arg, "--http-port")
                      || streq (arg, "--stream-retention")
                      || streq (arg, "--row-cache")
                      || streq (arg, "--write-buffer")
                      || streq (arg, "--compaction-nice");
        if (!is_valued) {
            fprintf (stderr, "zynamo: unknown option '%s'\n", arg);
            return -1;
        }
        if (index + 1 >= argc) {
            fprintf (stderr, "zynamo: option %s needs a value\n", arg);
            return -1;
        }
        const char *value = argv [++index];
        if (streq (arg, "--data")) {
            snprintf (config->data, sizeof (config->data), "%s", value);
            continue;
        }
        char *end;
        long number = strtol (value, &end, 10);
        long low = streq (arg, "--row-cache")
                || streq (arg, "--compaction-nice") ? 0 : 1;
        long high = streq (arg, "--workers") ? CHILD_MAX - 3
                  : streq (arg, "--partitions") ? 1024
                  : streq (arg, "--stream-retention") ? 3153600000L
                  : streq (arg, "--row-cache") ? 1048576
                  : streq (arg, "--write-buffer") ? 1024
                  : streq (arg, "--compaction-nice") ? 19 : 65532;
        if (!*value || *end || number < low || number > high) {
            fprintf (stderr, "zynamo: %s wants a number from %ld to %ld, "
                             "not '%s'\n", arg, low, high, value);
            return -1;
        }
        if (streq (arg, "--workers"))
            config->workers = (int) number;
        else
        if (streq (arg, "--partitions"))
            config->partitions = (int) number;
        else
        if (streq (arg, "--port"))
            config->port = (int) number;
        else
        if (streq (arg, "--stream-retention"))
            config->stream_retention = number;
        else
        if (streq (arg, "--row-cache"))
            config->row_cache = number;
        else
        if (streq (arg, "--write-buffer"))
            config->write_buffer = number;
        else
        if (streq (arg, "--compaction-nice"))
            config->compaction_nice = number;
        else
            config->http_port = (int) number;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  zynamo up

static int
s_up (int argc, char **argv, const char *argv0)
{
    s_config_t config = { .workers = 2, .port = 7100, .http_port = 8000,
                          .row_cache = -1, .compaction_nice = -1,
                          .gateway = true };
    snprintf (config.data, sizeof (config.data), "./zynamo-data");
    int rc = s_parse (argc, argv, &config);
    if (rc) {
        s_usage (rc > 0 ? stdout : stderr);
        return rc > 0 ? 0 : 2;
    }
    s_find_bindir (argv0, config.bindir, sizeof (config.bindir));
    char logs [1200];
    snprintf (logs, sizeof (logs), "%s/logs", config.data);
    if (s_make_dir (config.data) || s_make_dir (logs)) {
        fprintf (stderr, "zynamo: cannot use data directory '%s': %s\n",
                 config.data, strerror (errno));
        return 1;
    }
    s_child_t children [CHILD_MAX];
    memset (children, 0, sizeof (children));
    int count = 0;

    s_child_t *broker = &children [count++];
    snprintf (broker->name, sizeof (broker->name), "broker");
    s_child_arg (broker, "%s/zynamo-broker", config.bindir);
    s_child_arg (broker, "--front");
    s_child_arg (broker, "tcp://127.0.0.1:%d", config.port);
    s_child_arg (broker, "--back");
    s_child_arg (broker, "tcp://127.0.0.1:%d", config.port + 1);
    s_child_arg (broker, "--hub-pub");
    s_child_arg (broker, "tcp://127.0.0.1:%d", config.port + 2);
    s_child_arg (broker, "--hub-sub");
    s_child_arg (broker, "tcp://127.0.0.1:%d", config.port + 3);
    s_child_arg (broker, "--data");
    s_child_arg (broker, "%s/broker", config.data);
    if (config.partitions) {
        s_child_arg (broker, "--partitions");
        s_child_arg (broker, "%d", config.partitions);
    }
    if (config.verbose)
        s_child_arg (broker, "--verbose");

    for (int index = 1; index <= config.workers; index++) {
        s_child_t *worker = &children [count++];
        snprintf (worker->name, sizeof (worker->name), "worker-%d", index);
        s_child_arg (worker, "%s/zynamo-worker", config.bindir);
        s_child_arg (worker, "--broker");
        s_child_arg (worker, "tcp://127.0.0.1:%d", config.port + 1);
        s_child_arg (worker, "--id");
        s_child_arg (worker, "worker-%d", index);
        s_child_arg (worker, "--data");
        s_child_arg (worker, "%s/worker-%d", config.data, index);
        if (config.stream_retention) {
            s_child_arg (worker, "--stream-retention");
            s_child_arg (worker, "%ld", config.stream_retention);
        }
        if (config.row_cache >= 0) {
            s_child_arg (worker, "--row-cache");
            s_child_arg (worker, "%ld", config.row_cache);
        }
        if (config.write_buffer) {
            s_child_arg (worker, "--write-buffer");
            s_child_arg (worker, "%ld", config.write_buffer);
        }
        if (config.compaction_nice >= 0) {
            s_child_arg (worker, "--compaction-nice");
            s_child_arg (worker, "%ld", config.compaction_nice);
        }
        if (config.verbose)
            s_child_arg (worker, "--verbose");
    }
    //  The indexer keeps global secondary indexes (when installed)
    char indexer_path [1200];
    snprintf (indexer_path, sizeof (indexer_path), "%s/zynamo-indexer",
              config.bindir);
    if (access (indexer_path, X_OK) == 0) {
        s_child_t *child = &children [count++];
        snprintf (child->name, sizeof (child->name), "indexer");
        s_child_arg (child, "%s", indexer_path);
        s_child_arg (child, "--broker");
        s_child_arg (child, "tcp://127.0.0.1:%d", config.port);
        s_child_arg (child, "--data");
        s_child_arg (child, "%s/indexer", config.data);
        if (config.verbose)
            s_child_arg (child, "--verbose");
    }
    char gateway_path [1200];
    snprintf (gateway_path, sizeof (gateway_path), "%s/zynamo-gateway",
              config.bindir);
    bool gateway = config.gateway && access (gateway_path, X_OK) == 0;
    if (gateway) {
        s_child_t *child = &children [count++];
        snprintf (child->name, sizeof (child->name), "gateway");
        s_child_arg (child, "%s", gateway_path);
        s_child_arg (child, "--http");
        s_child_arg (child, "127.0.0.1:%d", config.http_port);
        s_child_arg (child, "--broker");
        s_child_arg (child, "tcp://127.0.0.1:%d", config.port);
        s_child_arg (child, "--open");
        if (config.verbose)
            s_child_arg (child, "--verbose");
    }
    else
    if (config.gateway)
        zsys_notice ("zynamo: no zynamo-gateway beside %s, running without "
                     "the HTTP endpoint", config.bindir);

    int status = 0;
    for (int i = 0; i < count; i++) {
        children [i].backoff = BACKOFF_MIN;
        if (access (children [i].argv [0], X_OK)) {
            fprintf (stderr, "zynamo: cannot run %s: %s\n",
                     children [i].argv [0], strerror (errno));
            status = 1;
            break;
        }
        if (s_child_start (&children [i], &config)) {
            status = 1;
            break;
        }
    }
    if (status == 0) {
        if (s_wait_ready (&config)) {
            if (gateway)
                printf ("DynamoDB endpoint: http://localhost:%d\n",
                        config.http_port);
            printf ("native endpoint: tcp://127.0.0.1:%d\n", config.port);
            printf ("data: %s (logs in %s)\nCtrl-C stops the cluster.\n",
                    config.data, logs);
            fflush (stdout);
        }
        else
        if (!zsys_interrupted)
            zsys_warning ("zynamo: cluster not ready within %d ms; see %s",
                          READY_TIMEOUT, logs);
        while (!zsys_interrupted) {
            s_reap (children, count, config.data);
            int64_t now = zyn_mono_msecs ();
            for (int i = 0; i < count; i++)
                if (!children [i].pid && now >= children [i].restart_at)
                    s_child_start (&children [i], &config);
            zclock_sleep (100);
        }
        zsys_info ("zynamo: stopping");
    }
    s_stop_all (children, count);
    for (int i = 0; i < count; i++)
        s_child_free (&children [i]);
    return status;
}

int
main (int argc, char *argv [])
{
    zsys_init ();
    zsys_set_logident ("zynamo");
    zsys_set_logstream (stderr);
    if (argc < 2 || streq (argv [1], "--help") || streq (argv [1], "-h")
        || streq (argv [1], "help")) {
        s_usage (argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!streq (argv [1], "up")) {
        fprintf (stderr, "zynamo: unknown command '%s' (try zynamo up)\n",
                 argv [1]);
        return 2;
    }
    return s_up (argc - 2, argv + 2, argv [0]);
}

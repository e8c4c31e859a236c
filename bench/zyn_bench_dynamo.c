/*  =========================================================================
    zyn_bench_dynamo - the http driver: DynamoDB's JSON API over
    keep-alive HTTP/1.1, one connection per client (--inflight clients
    per thread, polled together)

    Works against any DynamoDB endpoint: zynamo's gateway, dynalite,
    DynamoDB Local. Set-up creates the table (partition key ycsb_key, S)
    if DescribeTable does not find it and waits for ACTIVE. Operations map
    as YCSB's DynamoDB binding maps them: read = GetItem, update =
    UpdateItem SET of one field, insert = PutItem of the whole record,
    scan = Scan with ExclusiveStartKey the start key and Limit the scan
    length, read-modify-write = GetItem then UpdateItem. If the endpoint
    refuses UpdateItem, updates fall back to PutItem of the whole record
    and the run says so.
    =========================================================================
*/

#include "zyn_prelude.h"
#include <sys/epoll.h>
#include "zyn_bench.h"
#include "zyn_bench_http.h"

typedef struct {
    const zyn_bench_options_t *options; //  Borrowed
} s_driver_t;

//  The exception name in an error body ("...#ResourceNotFoundException"),
//  copied into name
static void
s_error_name (const char *body, char *name, size_t size)
{
    const char *type = strstr (body, "__type");
    snprintf (name, size, "unknown error");
    if (!type)
        return;
    const char *start = strchr (type + 6, ':');
    start = start ? strchr (start, '"') : NULL;
    if (!start)
        return;
    start++;
    const char *end = strchr (start, '"');
    if (!end)
        return;
    const char *hash = (const char *) memchr (start, '#', (size_t) (end - start));
    if (hash)
        start = hash + 1;
    snprintf (name, size, "%.*s", (int) (end - start), start);
}

//  Post and wait; returns the status or -1, with the error's name
static int
s_call (zyn_bench_http_t *http, const char *operation, const char *body,
        const char **response, char *error_name, size_t error_size)
{
    zyn_error_t err = { 0 };
    size_t response_size = 0;
    int status = zyn_bench_http_post (http, operation, body, strlen (body),
                                      response, &response_size, &err);
    if (status < 0)
        snprintf (error_name, error_size, "%.200s", err.message);
    else
    if (status != 200)
        s_error_name (*response, error_name, error_size);
    return status;
}

//  --------------------------------------------------------------------------
//  Create the table if it is missing and wait until it is ACTIVE.

void *
zyn_bench_dynamo_setup (zyn_bench_run_t *run)
{
    const zyn_bench_options_t *options = run->options;
    zyn_error_t err = { 0 };
    zyn_bench_http_t *http
        = zyn_bench_http_new (options->endpoint, options->region,
                              options->access_key, options->secret_key, &err);
    if (!http) {
        fprintf (stderr, "zynamo-bench: %s\n", err.message);
        return NULL;
    }
    char body [1024];
    char error [256];
    const char *response = NULL;
    snprintf (body, sizeof (body), "{\"TableName\":\"%s\"}", options->table);
    int status = s_call (http, "DescribeTable", body, &response, error,
                         sizeof (error));
    if (status < 0) {
        fprintf (stderr, "zynamo-bench: %s\n", error);
        zyn_bench_http_destroy (&http);
        return NULL;
    }
    if (status != 200) {
        snprintf (body, sizeof (body),
                  "{\"TableName\":\"%s\",\"AttributeDefinitions\":["
                  "{\"AttributeName\":\"" ZYN_BENCH_KEY_ATTRIBUTE
                  "\",\"AttributeType\":\"S\"}],\"KeySchema\":["
                  "{\"AttributeName\":\"" ZYN_BENCH_KEY_ATTRIBUTE
                  "\",\"KeyType\":\"HASH\"}],"
                  "\"BillingMode\":\"PAY_PER_REQUEST\"}",
                  options->table);
        status = s_call (http, "CreateTable", body, &response, error,
                         sizeof (error));
        if (status != 200 && !streq (error, "ResourceInUseException")) {
            fprintf (stderr, "zynamo-bench: CreateTable %s failed: %s\n",
                     options->table, error);
            zyn_bench_http_destroy (&http);
            return NULL;
        }
    }
    //  Poll DescribeTable until ACTIVE, for at most a minute
    snprintf (body, sizeof (body), "{\"TableName\":\"%s\"}", options->table);
    int64_t deadline = zyn_mono_msecs () + 60000;
    while (true) {
        status = s_call (http, "DescribeTable", body, &response, error,
                         sizeof (error));
        if (status == 200 && strstr (response, "\"ACTIVE\""))
            break;
        if (zyn_mono_msecs () > deadline || zsys_interrupted) {
            fprintf (stderr, "zynamo-bench: table %s is not ACTIVE: %s\n",
                     options->table, status == 200 ? "timeout" : error);
            zyn_bench_http_destroy (&http);
            return NULL;
        }
        usleep (100000);
    }
    zyn_bench_http_destroy (&http);
    s_driver_t *self = (s_driver_t *) zmalloc (sizeof (s_driver_t));
    self->options = options;
    return self;
}

//  --------------------------------------------------------------------------
//  Free the driver's state.

void
zyn_bench_dynamo_teardown (void **driver_p)
{
    assert (driver_p);
    if (*driver_p) {
        free (*driver_p);
        *driver_p = NULL;
    }
}

//  How long the responses may take before the requests in flight on a
//  thread count as lost
#define REPLY_TIMEOUT_MS 10000

//  One client: a keep-alive connection and the request it has in flight
typedef struct {
    zyn_bench_http_t *http;         //  Owned
    uint64_t polled;                //  The connection in the thread's
                                    //  epoll (0: none)
    bool active;
    bool writing;                   //  Read-modify-write: the write half
    uint64_t start;
    zyn_bench_request_t request;
} s_client_t;

//  Append printf output to body at *length; false if it does not fit
static bool
s_append (char *body, size_t size, size_t *length, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    int written = vsnprintf (body + *length, size - *length, format, args);
    va_end (args);
    if (written < 0 || (size_t) written >= size - *length)
        return false;
    *length += (size_t) written;
    return true;
}

static void
s_build_key (char *body, size_t size, size_t *length, const char *table,
             const zyn_bench_request_t *request)
{
    s_append (body, size, length,
              "{\"TableName\":\"%s\",\"Key\":{\"" ZYN_BENCH_KEY_ATTRIBUTE
              "\":{\"S\":\"%s\"}}",
              table, request->key);
}

//  Build the body of client's next step into body; returns the
//  operation name
static const char *
s_build (zyn_bench_thread_t *thread, const s_client_t *client, char *body,
         size_t size)
{
    const zyn_bench_run_t *run = thread->run;
    const char *table = run->options->table;
    const zyn_bench_config_t *config
        = zyn_bench_workload_config (run->workload);
    const zyn_bench_request_t *request = &client->request;
    size_t length = 0;
    bool write = request->type == ZYN_BENCH_UPDATE
              || request->type == ZYN_BENCH_INSERT
              || (request->type == ZYN_BENCH_RMW && client->writing);
    if (!write && request->type != ZYN_BENCH_SCAN) {
        s_build_key (body, size, &length, table, request);
        s_append (body, size, &length, "}");
        return "GetItem";
    }
    if (request->type == ZYN_BENCH_SCAN) {
        s_append (body, size, &length,
                  "{\"TableName\":\"%s\",\"ExclusiveStartKey\":{\""
                  ZYN_BENCH_KEY_ATTRIBUTE "\":{\"S\":\"%s\"}},"
                  "\"Limit\":%d}",
                  table, request->key, request->scan_length);
        return "Scan";
    }
    if (request->type == ZYN_BENCH_INSERT
        || __atomic_load_n (&run->update_fallback, __ATOMIC_ACQUIRE)) {
        s_append (body, size, &length,
                  "{\"TableName\":\"%s\",\"Item\":{\"" ZYN_BENCH_KEY_ATTRIBUTE
                  "\":{\"S\":\"%s\"}",
                  table, request->key);
        for (int field = 0; field < config->field_count; field++)
            s_append (body, size, &length, ",\"field%d\":{\"S\":\"%.*s\"}",
                      field, config->field_length,
                      zyn_bench_thread_value (thread,
                                              (size_t) config->field_length));
        s_append (body, size, &length, "}}");
        return "PutItem";
    }
    s_build_key (body, size, &length, table, request);
    s_append (body, size, &length,
              ",\"UpdateExpression\":\"SET #f = :v\","
              "\"ExpressionAttributeNames\":{\"#f\":\"field%d\"},"
              "\"ExpressionAttributeValues\":{\":v\":{\"S\":\"%.*s\"}}}",
              request->field, config->field_length,
              zyn_bench_thread_value (thread, (size_t) config->field_length));
    return "UpdateItem";
}

//  Send client's next step; returns 0, or -1 with the request finished
//  as failed
static int
s_send (zyn_bench_thread_t *thread, s_client_t *client, char *body,
        size_t size)
{
    const char *operation = s_build (thread, client, body, size);
    zyn_error_t err = { 0 };
    if (zyn_bench_http_send (client->http, operation, body, strlen (body),
                             &err)) {
        zyn_bench_thread_done (thread, &client->request, client->start,
                               err.message);
        client->active = false;
        return -1;
    }
    return 0;
}

//  True if an UpdateItem failure (error name, HTTP status) means the
//  endpoint lacks UpdateItem
static bool
s_update_refused (const char *error, int status)
{
    return streq (error, "UnknownOperationException")
        || streq (error, "ValidationException")
        || streq (error, "SerializationException")
        || streq (error, "InternalServerError")
        || status == 404 || status == 501;
}

//  Take client's response (status, or -1 with err): finish its request
//  or send its next step. Returns true if the client is still busy.
static bool
s_answer (zyn_bench_thread_t *thread, s_client_t *client, int status,
          const char *response, zyn_error_t *err, char *body, size_t size)
{
    zyn_bench_run_t *run = thread->run;
    char error [256] = "";
    if (status < 0)
        snprintf (error, sizeof (error), "%.200s", err->message);
    else
    if (status != 200)
        s_error_name (response, error, sizeof (error));
    bool updating = client->request.type == ZYN_BENCH_UPDATE
                 || (client->request.type == ZYN_BENCH_RMW && client->writing);
    if (status > 0 && status != 200 && updating
        && !__atomic_load_n (&run->update_fallback, __ATOMIC_ACQUIRE)
        && s_update_refused (error, status)) {
        char reason [300];
        snprintf (reason, sizeof (reason), "%s (HTTP %d)", error, status);
        zyn_bench_run_set_fallback (run, reason);
        return s_send (thread, client, body, size) == 0;
    }
    if (status == 200 && client->request.type == ZYN_BENCH_RMW
        && !client->writing) {
        client->writing = true;
        return s_send (thread, client, body, size) == 0;
    }
    zyn_bench_thread_done (thread, &client->request, client->start,
                           status == 200 ? NULL : error);
    client->active = false;
    return false;
}

//  Keep client's socket in the thread's epoll set (it changes when the
//  connection is made again)
static void
s_watch (int poller, s_client_t *client, uint32_t index)
{
    uint64_t connection = 0;
    int fd = zyn_bench_http_fd (client->http, &connection);
    if (fd < 0 || connection == client->polled)
        return;
    //  A closed socket left the set by itself
    client->polled = connection;
    {
        struct epoll_event event = { .events = EPOLLIN, .data.u32 = index };
        epoll_ctl (poller, EPOLL_CTL_ADD, fd, &event);
    }
}

//  --------------------------------------------------------------------------
//  One client thread: --inflight keep-alive connections (one by default),
//  each with one request at a time; a thread with more than one waits on
//  all of them in one epoll.

void
zyn_bench_dynamo_thread (zyn_bench_thread_t *thread)
{
    const zyn_bench_options_t *options = thread->run->options;
    const zyn_bench_config_t *config
        = zyn_bench_workload_config (thread->run->workload);
    int count = options->inflight;
    s_client_t *clients
        = (s_client_t *) zmalloc (sizeof (s_client_t) * (size_t) count);
    for (int i = 0; i < count; i++) {
        zyn_error_t err = { 0 };
        clients [i].http = zyn_bench_http_new (options->endpoint,
                                               options->region,
                                               options->access_key,
                                               options->secret_key, &err);
        if (!clients [i].http)
            count = i;              //  The endpoint was checked at set-up
    }
    int poller = count > 1 ? epoll_create1 (EPOLL_CLOEXEC) : -1;
    struct epoll_event *events = (struct epoll_event *) zmalloc (
        sizeof (struct epoll_event) * (size_t) (count ? count : 1));
    size_t size = (size_t) config->field_count
                    * ((size_t) config->field_length + 64)
                + 1024;
    char *body = (char *) zmalloc (size);
    int active = 0;
    bool more = count > 0 && (count == 1 || poller >= 0);
    while (true) {
        //  Give every idle client its next request while there is work
        for (int i = 0; more && i < count; i++) {
            s_client_t *client = &clients [i];
            if (client->active)
                continue;
            if (!zyn_bench_thread_next (thread, &client->request)) {
                more = false;
                break;
            }
            client->active = true;
            client->writing = false;
            client->start = zyn_bench_now ();
            if (s_send (thread, client, body, size) == 0)
                active++;
        }
        if (active == 0)
            break;
        const char *response = NULL;
        size_t response_size = 0;
        if (count == 1) {
            zyn_error_t err = { 0 };
            int status = zyn_bench_http_receive (clients [0].http, true,
                                                 &response, &response_size,
                                                 &err);
            if (!s_answer (thread, &clients [0], status, response, &err, body,
                           size))
                active--;
            continue;
        }
        for (int i = 0; i < count; i++)
            if (clients [i].active)
                s_watch (poller, &clients [i], (uint32_t) i);
        int ready = epoll_wait (poller, events, count, REPLY_TIMEOUT_MS);
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready <= 0) {
            //  Nothing came back in time: everything in flight is lost,
            //  and its connections too (a late answer must not be taken
            //  for the next request's)
            for (int i = 0; i < count; i++)
                if (clients [i].active) {
                    zyn_bench_thread_done (thread, &clients [i].request,
                                           clients [i].start, "timeout");
                    clients [i].active = false;
                    zyn_bench_http_close (clients [i].http);
                }
            active = 0;
            if (__atomic_load_n (&thread->run->stop, __ATOMIC_RELAXED))
                break;
            continue;
        }
        for (int e = 0; e < ready; e++) {
            s_client_t *client = &clients [events [e].data.u32];
            if (!client->active)
                continue;
            zyn_error_t err = { 0 };
            int status = zyn_bench_http_receive (client->http, false,
                                                 &response, &response_size,
                                                 &err);
            if (status != 0
                && !s_answer (thread, client, status, response, &err, body,
                              size))
                active--;
        }
    }
    free (body);
    free (events);
    if (poller >= 0)
        close (poller);
    for (int i = 0; i < count; i++)
        zyn_bench_http_destroy (&clients [i].http);
    free (clients);
}

/*  =========================================================================
    zyn_bench_dynamo - the http driver: DynamoDB's JSON API over
    keep-alive HTTP/1.1, one connection per client thread

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

//  Post and wait; returns the status or -1, printing failures when told
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

static void
s_build_put (zyn_bench_thread_t *thread, char *body, size_t size,
             const zyn_bench_request_t *request)
{
    const zyn_bench_config_t *config
        = zyn_bench_workload_config (thread->run->workload);
    size_t length = 0;
    s_append (body, size, &length,
              "{\"TableName\":\"%s\",\"Item\":{\"" ZYN_BENCH_KEY_ATTRIBUTE
              "\":{\"S\":\"%s\"}",
              thread->run->options->table, request->key);
    for (int field = 0; field < config->field_count; field++)
        s_append (body, size, &length, ",\"field%d\":{\"S\":\"%.*s\"}",
                  field, config->field_length,
                  zyn_bench_thread_value (thread,
                                          (size_t) config->field_length));
    s_append (body, size, &length, "}}");
}

static void
s_build_update (zyn_bench_thread_t *thread, char *body, size_t size,
                const zyn_bench_request_t *request)
{
    const zyn_bench_config_t *config
        = zyn_bench_workload_config (thread->run->workload);
    size_t length = 0;
    s_build_key (body, size, &length, thread->run->options->table, request);
    s_append (body, size, &length,
              ",\"UpdateExpression\":\"SET #f = :v\","
              "\"ExpressionAttributeNames\":{\"#f\":\"field%d\"},"
              "\"ExpressionAttributeValues\":{\":v\":{\"S\":\"%.*s\"}}}",
              request->field, config->field_length,
              zyn_bench_thread_value (thread, (size_t) config->field_length));
}

//  An update, or a put of the whole record once UpdateItem was refused;
//  returns NULL or the error name
static const char *
s_update (zyn_bench_thread_t *thread, zyn_bench_http_t *http, char *body,
          size_t size, const zyn_bench_request_t *request, char *error,
          size_t error_size)
{
    const char *response = NULL;
    zyn_bench_run_t *run = thread->run;
    if (!__atomic_load_n (&run->update_fallback, __ATOMIC_ACQUIRE)) {
        s_build_update (thread, body, size, request);
        int status = s_call (http, "UpdateItem", body, &response, error,
                             error_size);
        if (status == 200)
            return NULL;
        if (status < 0 || (!streq (error, "UnknownOperationException")
                           && !streq (error, "ValidationException")
                           && !streq (error, "SerializationException")
                           && !streq (error, "InternalServerError")
                           && status != 404 && status != 501))
            return error;
        char reason [300];
        snprintf (reason, sizeof (reason), "%s (HTTP %d)", error, status);
        zyn_bench_run_set_fallback (run, reason);
    }
    s_build_put (thread, body, size, request);
    int status = s_call (http, "PutItem", body, &response, error, error_size);
    return status == 200 ? NULL : error;
}

//  --------------------------------------------------------------------------
//  One client thread: one keep-alive connection, one request at a time.

void
zyn_bench_dynamo_thread (zyn_bench_thread_t *thread)
{
    const zyn_bench_options_t *options = thread->run->options;
    const zyn_bench_config_t *config
        = zyn_bench_workload_config (thread->run->workload);
    zyn_error_t err = { 0 };
    zyn_bench_http_t *http
        = zyn_bench_http_new (options->endpoint, options->region,
                              options->access_key, options->secret_key, &err);
    if (!http)
        return;
    size_t size = (size_t) config->field_count
                    * ((size_t) config->field_length + 64)
                + 1024;
    char *body = (char *) zmalloc (size);
    char error [256];
    zyn_bench_request_t request;
    while (zyn_bench_thread_next (thread, &request)) {
        uint64_t start = zyn_bench_now ();
        const char *failure = NULL;
        const char *response = NULL;
        size_t length = 0;
        int status = 0;
        switch (request.type) {
            case ZYN_BENCH_READ:
            case ZYN_BENCH_RMW:
                s_build_key (body, size, &length, options->table, &request);
                s_append (body, size, &length, "}");
                status = s_call (http, "GetItem", body, &response, error,
                                 sizeof (error));
                if (status != 200)
                    failure = error;
                else
                if (request.type == ZYN_BENCH_RMW)
                    failure = s_update (thread, http, body, size, &request,
                                        error, sizeof (error));
                break;
            case ZYN_BENCH_UPDATE:
                failure = s_update (thread, http, body, size, &request, error,
                                    sizeof (error));
                break;
            case ZYN_BENCH_INSERT:
                s_build_put (thread, body, size, &request);
                status = s_call (http, "PutItem", body, &response, error,
                                 sizeof (error));
                if (status != 200)
                    failure = error;
                break;
            case ZYN_BENCH_SCAN:
                length = 0;
                s_append (body, size, &length,
                          "{\"TableName\":\"%s\",\"ExclusiveStartKey\":{\""
                          ZYN_BENCH_KEY_ATTRIBUTE "\":{\"S\":\"%s\"}},"
                          "\"Limit\":%d}",
                          options->table, request.key, request.scan_length);
                status = s_call (http, "Scan", body, &response, error,
                                 sizeof (error));
                if (status != 200)
                    failure = error;
                break;
            default:
                break;
        }
        zyn_bench_thread_done (thread, &request, start, failure);
    }
    free (body);
    zyn_bench_http_destroy (&http);
}

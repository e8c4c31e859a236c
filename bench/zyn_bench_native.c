/*  =========================================================================
    zyn_bench_native - the native driver: libzynamo's pipelined interface

    One client (one DEALER socket) per thread, up to --inflight requests in
    flight on it. Bodies are MessagePack maps written straight into a
    buffer the thread reuses (zyn_client_send_raw), and replies are taken
    undecoded (zyn_client_recv_raw), so the driver measures the server,
    not value trees. Operations map as in the http driver: GetItem,
    UpdateItem SET of one field (PutItem of the whole record if UpdateItem
    is refused), PutItem, Scan with ExclusiveStartKey and Limit, and
    GetItem then UpdateItem for read-modify-write. Set-up creates the
    table if it is missing and waits for ACTIVE.
    =========================================================================
*/

#include "zyn_prelude.h"
#include "zyn_bench.h"

//  How long a reply may take before the requests in flight count as lost
#define REPLY_TIMEOUT_MS 10000

typedef struct {
    const zyn_bench_options_t *options; //  Borrowed
} s_driver_t;

//  One request in flight
typedef struct {
    bool active;
    bool writing;                   //  Read-modify-write: the write half
    uint64_t request_id;
    uint64_t start;
    zyn_bench_request_t request;
} s_slot_t;

//  --------------------------------------------------------------------------
//  Create the table if it is missing and wait until it is ACTIVE.

void *
zyn_bench_native_setup (zyn_bench_run_t *run)
{
    const zyn_bench_options_t *options = run->options;
    zyn_error_t err = { 0 };
    zyn_client_t *client = zyn_client_new (options->endpoint, &err);
    if (!client) {
        fprintf (stderr, "zynamo-bench: %s\n", err.message);
        return NULL;
    }
    if (zyn_client_create_table (client, options->table,
                                 ZYN_BENCH_KEY_ATTRIBUTE, "S", NULL, NULL,
                                 &err)
        && err.type != ZYN_ERR_RESOURCE_IN_USE) {
        fprintf (stderr, "zynamo-bench: CreateTable %s failed: %s: %s\n",
                 options->table, zyn_error_name (err.type), err.message);
        zyn_client_destroy (&client);
        return NULL;
    }
    zyn_error_clear (&err);
    if (zyn_client_wait_active (client, options->table, 60000, &err)) {
        fprintf (stderr, "zynamo-bench: table %s is not ACTIVE: %s\n",
                 options->table, err.message);
        zyn_client_destroy (&client);
        return NULL;
    }
    zyn_client_destroy (&client);
    s_driver_t *self = (s_driver_t *) zmalloc (sizeof (s_driver_t));
    self->options = options;
    return self;
}

//  --------------------------------------------------------------------------
//  Free the driver's state.

void
zyn_bench_native_teardown (void **driver_p)
{
    assert (driver_p);
    if (*driver_p) {
        free (*driver_p);
        *driver_p = NULL;
    }
}

static void
s_pack_string (msgpack_packer *packer, const char *string, size_t size)
{
    msgpack_pack_str_with_body (packer, string, size);
}

#define PACK_LITERAL(packer, literal)                                       \
    s_pack_string ((packer), (literal), sizeof (literal) - 1)

//  "TableName": table, "Key": {"ycsb_key": key}
static void
s_pack_key (msgpack_packer *packer, const char *table,
            const zyn_bench_request_t *request, const char *key_param)
{
    PACK_LITERAL (packer, "TableName");
    s_pack_string (packer, table, strlen (table));
    s_pack_string (packer, key_param, strlen (key_param));
    msgpack_pack_map (packer, 1);
    PACK_LITERAL (packer, ZYN_BENCH_KEY_ATTRIBUTE);
    s_pack_string (packer, request->key, request->key_size);
}

//  Build the body of request's next step into buffer; returns the
//  operation name
static const char *
s_build (zyn_bench_thread_t *thread, const s_slot_t *slot,
         msgpack_sbuffer *buffer)
{
    const zyn_bench_run_t *run = thread->run;
    const char *table = run->options->table;
    const zyn_bench_config_t *config
        = zyn_bench_workload_config (run->workload);
    const zyn_bench_request_t *request = &slot->request;
    msgpack_sbuffer_clear (buffer);
    msgpack_packer packer;
    msgpack_packer_init (&packer, buffer, msgpack_sbuffer_write);
    size_t field_length = (size_t) config->field_length;

    bool write = request->type == ZYN_BENCH_UPDATE
              || request->type == ZYN_BENCH_INSERT
              || (request->type == ZYN_BENCH_RMW && slot->writing);
    if (!write && request->type != ZYN_BENCH_SCAN) {
        msgpack_pack_map (&packer, 2);
        s_pack_key (&packer, table, request, "Key");
        return "GetItem";
    }
    if (request->type == ZYN_BENCH_SCAN) {
        msgpack_pack_map (&packer, 3);
        s_pack_key (&packer, table, request, "ExclusiveStartKey");
        PACK_LITERAL (&packer, "Limit");
        //  N travels as ext 1 holding its decimal text
        char limit [16];
        int size = snprintf (limit, sizeof (limit), "%d",
                             request->scan_length);
        msgpack_pack_ext (&packer, (size_t) size, 1);
        msgpack_pack_ext_body (&packer, limit, (size_t) size);
        return "Scan";
    }
    bool put = request->type == ZYN_BENCH_INSERT
            || __atomic_load_n (&run->update_fallback, __ATOMIC_ACQUIRE);
    if (put) {
        msgpack_pack_map (&packer, 2);
        PACK_LITERAL (&packer, "TableName");
        s_pack_string (&packer, table, strlen (table));
        PACK_LITERAL (&packer, "Item");
        msgpack_pack_map (&packer, (size_t) config->field_count + 1);
        PACK_LITERAL (&packer, ZYN_BENCH_KEY_ATTRIBUTE);
        s_pack_string (&packer, request->key, request->key_size);
        for (int field = 0; field < config->field_count; field++) {
            char name [16];
            int size = snprintf (name, sizeof (name), "field%d", field);
            s_pack_string (&packer, name, (size_t) size);
            s_pack_string (&packer,
                           zyn_bench_thread_value (thread, field_length),
                           field_length);
        }
        return "PutItem";
    }
    msgpack_pack_map (&packer, 5);
    s_pack_key (&packer, table, request, "Key");
    PACK_LITERAL (&packer, "UpdateExpression");
    PACK_LITERAL (&packer, "SET #f = :v");
    PACK_LITERAL (&packer, "ExpressionAttributeNames");
    msgpack_pack_map (&packer, 1);
    PACK_LITERAL (&packer, "#f");
    char name [16];
    int size = snprintf (name, sizeof (name), "field%d", request->field);
    s_pack_string (&packer, name, (size_t) size);
    PACK_LITERAL (&packer, "ExpressionAttributeValues");
    msgpack_pack_map (&packer, 1);
    PACK_LITERAL (&packer, ":v");
    s_pack_string (&packer, zyn_bench_thread_value (thread, field_length),
                   field_length);
    return "UpdateItem";
}

//  Send slot's next step; returns 0 or -1 (the slot is then finished
//  with the error)
static int
s_send (zyn_bench_thread_t *thread, zyn_client_t *client, s_slot_t *slot,
        msgpack_sbuffer *buffer)
{
    const char *operation = s_build (thread, slot, buffer);
    zyn_error_t err = { 0 };
    slot->request_id = zyn_client_send_raw (client, operation, buffer->data,
                                            buffer->size, &err);
    if (slot->request_id == 0) {
        zyn_bench_thread_done (thread, &slot->request, slot->start,
                               zyn_error_name (err.type));
        slot->active = false;
        return -1;
    }
    return 0;
}

//  True if an UpdateItem failure means the server lacks UpdateItem
static bool
s_update_refused (zyn_errtype_t type)
{
    return type == ZYN_ERR_UNKNOWN_OPERATION || type == ZYN_ERR_VALIDATION
        || type == ZYN_ERR_SERIALIZATION || type == ZYN_ERR_INTERNAL;
}

//  --------------------------------------------------------------------------
//  One client thread: keep --inflight requests in flight.

void
zyn_bench_native_thread (zyn_bench_thread_t *thread)
{
    const zyn_bench_options_t *options = thread->run->options;
    zyn_error_t err = { 0 };
    zyn_client_t *client = zyn_client_new (options->endpoint, &err);
    if (!client)
        return;
    int inflight = options->inflight;
    s_slot_t *slots = (s_slot_t *) zmalloc (sizeof (s_slot_t) * (size_t) inflight);
    msgpack_sbuffer buffer;
    msgpack_sbuffer_init (&buffer);
    int active = 0;
    bool more = true;
    while (true) {
        //  Fill every free slot while there is work
        for (int i = 0; more && i < inflight; i++) {
            if (slots [i].active)
                continue;
            if (!zyn_bench_thread_next (thread, &slots [i].request)) {
                more = false;
                break;
            }
            slots [i].active = true;
            slots [i].writing = false;
            slots [i].start = zyn_bench_now ();
            if (s_send (thread, client, &slots [i], &buffer) == 0)
                active++;
        }
        if (active == 0)
            break;
        uint64_t request_id = 0;
        void *body = NULL;
        size_t size = 0;
        zyn_error_clear (&err);
        int rc = zyn_client_recv_raw (client, &request_id, REPLY_TIMEOUT_MS,
                                      &body, &size, &err);
        free (body);
        if (rc != 0 && request_id == 0) {
            //  Nothing came back in time: everything in flight is lost
            for (int i = 0; i < inflight; i++)
                if (slots [i].active) {
                    zyn_bench_thread_done (thread, &slots [i].request,
                                           slots [i].start, "timeout");
                    slots [i].active = false;
                }
            active = 0;
            if (__atomic_load_n (&thread->run->stop, __ATOMIC_RELAXED))
                break;
            continue;
        }
        s_slot_t *slot = NULL;
        for (int i = 0; i < inflight && !slot; i++)
            if (slots [i].active && slots [i].request_id == request_id)
                slot = &slots [i];
        if (!slot)
            continue;               //  A reply to a request given up on
        bool updating = slot->request.type == ZYN_BENCH_UPDATE
                     || (slot->request.type == ZYN_BENCH_RMW && slot->writing);
        if (rc != 0 && updating
            && !__atomic_load_n (&thread->run->update_fallback,
                                 __ATOMIC_ACQUIRE)
            && s_update_refused (err.type)) {
            char reason [300];
            snprintf (reason, sizeof (reason), "%s: %.200s",
                      zyn_error_name (err.type), err.message);
            zyn_bench_run_set_fallback (thread->run, reason);
            if (s_send (thread, client, slot, &buffer))
                active--;
            continue;
        }
        if (rc == 0 && slot->request.type == ZYN_BENCH_RMW && !slot->writing) {
            slot->writing = true;
            if (s_send (thread, client, slot, &buffer))
                active--;
            continue;
        }
        zyn_bench_thread_done (thread, &slot->request, slot->start,
                               rc == 0 ? NULL : zyn_error_name (err.type));
        slot->active = false;
        active--;
    }
    msgpack_sbuffer_destroy (&buffer);
    free (slots);
    zyn_client_destroy (&client);
}

/*  =========================================================================
    zyn_broker - the broker actor: client front door, worker back door,
    catalog, routing, scatter/gather and the stream hub

    One thread owns everything: the catalog, the worker table, the table
    of requests in flight at workers, and the gathers in progress (Scan
    walks, shard listings). Workers are named by their WorkerId, clients
    by their routing identity; nothing is shared with other threads.

    No request vanishes (DESIGN.md section 10, rule 6): every request a
    client sends gets exactly one reply. A request forwarded to a worker is
    remembered until the worker answers; when the worker is expired or
    comes back as a new process, or does not answer within the request
    timeout, the request is failed with ServiceUnavailable, which the
    client may retry. The operations themselves are in zyn_broker_ops.c.

    Limits: one replica per partition, so a partition is unavailable while
    its worker is down; partitions never move between workers.
    =========================================================================
*/

#include "zyn_prelude.h"
#include "zyn_error.h"
#include "zyn_proto.h"
#include "zyn_catalog.h"
#include "zyn_router.h"
#include "zyn_tables.h"
#include "zyn_scatter.h"
#include "zyn_broker.h"
#include "zyn_broker_self.h"

//  Most messages handled from one socket per poll
#define BROKER_DRAIN_MAX 64

//  What zyn_broker_new hands to the actor
typedef struct {
    zyn_catalog_t *catalog;         //  Handed over to the actor
    char *data_dir;
    char *region;
    uint32_t partitions;
    int heartbeat_msecs;
    int heartbeat_liveness;
    int request_timeout_msecs;
    bool verbose;
} s_args_t;

//  Endpoint kinds, in the order of self->endpoint
static const char *s_kinds [4] = { "FRONT", "BACK", "HUB-PUB", "HUB-SUB" };

static void
s_worker_destroy (worker_t **self_p)
{
    worker_t *self = *self_p;
    if (self) {
        zframe_destroy (&self->address);
        free (self->address_key);
        free (self->endpoint);
        free (self->front_id);
        free (self->local_endpoint);
        free (self->host_id);
        free (self->id);
        free (self);
        *self_p = NULL;
    }
}

static void
s_worker_destructor (void **item)
{
    s_worker_destroy ((worker_t **) item);
}

static void
s_gather_destroy (gather_t **self_p)
{
    gather_t *self = *self_p;
    if (self) {
        zframe_destroy (&self->client);
        zyn_scan_destroy (&self->scan);
        zyn_batch_destroy (&self->batch);
        zyn_value_destroy (&self->response);
        free (self->index_name);
        free (self);
        *self_p = NULL;
    }
}

static void
s_gather_destructor (void **item)
{
    s_gather_destroy ((gather_t **) item);
}

static void
s_pending_destroy (pending_t **self_p)
{
    pending_t *self = *self_p;
    if (self) {
        zframe_destroy (&self->client);
        free (self->worker_id);
        free (self->key);
        free (self);
        *self_p = NULL;
    }
}

static void
s_pending_destructor (void **item)
{
    s_pending_destroy ((pending_t **) item);
}

//  Room for the pending-table key of a client with a routing id of up to
//  255 octets (the longest ZeroMQ gives)
#define PENDING_KEY_MAX (2 * 255 + 1 + 16 + 1)

//  The pending-table key of a request: client address in hex, '/', the
//  request id in 16 hex digits. Written into buf (of PENDING_KEY_MAX
//  bytes) if it fits, else into a new string; the caller frees the
//  result if it is not buf. Allocates nothing on the request path.
static char *
s_pending_key (char *buf, zframe_t *client, uint64_t request_id)
{
    static const char upper [] = "0123456789ABCDEF";
    static const char lower [] = "0123456789abcdef";
    size_t size = zframe_size (client);
    const uint8_t *data = zframe_data (client);
    size_t key_size = size * 2 + 1 + 16;
    char *key = key_size < PENDING_KEY_MAX ? buf
                                           : (char *) zmalloc (key_size + 1);
    for (size_t i = 0; i < size; i++) {
        key [i * 2] = upper [data [i] >> 4];
        key [i * 2 + 1] = upper [data [i] & 15];
    }
    key [size * 2] = '/';
    for (int i = 0; i < 16; i++)
        key [size * 2 + 1 + i] = lower [(request_id >> (60 - 4 * i)) & 15];
    key [key_size] = '\0';
    return key;
}

//  --------------------------------------------------------------------------
//  Replies to clients

//  Send status and body (taken, may be NULL for an empty map) to a client
void
zyn_broker_reply_frames (self_t *self, zframe_t *client, uint64_t request_id,
                         const char *status, zframe_t **body_p)
{
    zmsg_t *msg = zmsg_new ();
    zmsg_append (msg, &(zframe_t *) { zframe_dup (client) });
    zmsg_addstr (msg, ZYN_PROTO_SIGNATURE);
    uint8_t id [8];
    zyn_proto_put_request_id (id, request_id);
    zmsg_addmem (msg, id, 8);
    zmsg_addstr (msg, status);
    if (body_p && *body_p)
        zmsg_append (msg, body_p);
    else
        zmsg_addmem (msg, "\x80", 1);
    zmsg_send (&msg, self->front);
}

void
zyn_broker_reply_error (self_t *self, zframe_t *client, uint64_t request_id,
                        const zyn_error_t *err)
{
    if (self->verbose)
        zsys_debug ("zyn_broker: error reply type=%s message=%s",
                    zyn_error_name (err->type), err->message);
    size_t size;
    void *data = zyn_proto_error_body (err, NULL, &size);
    zframe_t *body = zframe_new (data, size);
    free (data);
    zyn_broker_reply_frames (self, client, request_id,
                             zyn_error_name (err->type), &body);
}

//  Reply OK with value (taken) as the body
void
zyn_broker_reply_value (self_t *self, zframe_t *client, uint64_t request_id,
                        zyn_value_t **value_p)
{
    size_t size;
    void *data = zyn_value_encode (*value_p, &size);
    zyn_value_destroy (value_p);
    zframe_t *body = zframe_new (data, size);
    free (data);
    zyn_broker_reply_frames (self, client, request_id, ZYN_PROTO_OK, &body);
}

void
zyn_broker_reply_unavailable (self_t *self, zframe_t *client,
                              uint64_t request_id, zyn_table_t *table,
                              uint32_t partition_id)
{
    zyn_error_t err = { 0 };
    zyn_error_set (&err, ZYN_ERR_SERVICE_UNAVAILABLE,
                   "Partition %u of table %s is unavailable: its worker is "
                   "not connected", partition_id, table->name);
    zyn_broker_reply_error (self, client, request_id, &err);
}

//  --------------------------------------------------------------------------
//  Messages to workers

void
zyn_broker_send_worker (self_t *self, worker_t *worker, const char *command,
                        const zyn_value_t *body)
{
    zmsg_t *msg = zmsg_new ();
    zmsg_append (msg, &(zframe_t *) { zframe_dup (worker->address) });
    zmsg_addstr (msg, ZYN_PROTO_SIGNATURE);
    zmsg_addstr (msg, command);
    if (body) {
        size_t size;
        void *data = zyn_value_encode (body, &size);
        zmsg_addmem (msg, data, size);
        free (data);
    }
    zmsg_send (&msg, self->back);
}

void
zyn_broker_send_assign (self_t *self, worker_t *worker, zyn_table_t *table,
                        zyn_partition_info_t *partition)
{
    zyn_value_t *body = zyn_tables_assign_body (table, partition);
    zyn_broker_send_worker (self, worker, ZYN_PROTO_ASSIGN, body);
    zyn_value_destroy (&body);
    zsys_info ("zyn_broker: assign table=%s partition=%u worker=%s",
               table->name, partition->id, worker->id);
}

//  ASSIGN every partition of table whose worker is live (a worker that is
//  not gets it when it comes back)
void
zyn_broker_assign_table (self_t *self, zyn_table_t *table)
{
    for (uint32_t i = 0; i < table->partition_count; i++) {
        zyn_partition_info_t *partition = &table->partitions [i];
        worker_t *worker = zyn_broker_partition_worker (self, partition);
        if (worker)
            zyn_broker_send_assign (self, worker, table, partition);
    }
}

void
zyn_broker_send_drop (self_t *self, worker_t *worker, uint64_t table_id,
                      uint32_t partition_id)
{
    zyn_value_t *body = zyn_value_new_m ();
    zyn_value_map_put_int (body, "TableId", (int64_t) table_id);
    zyn_value_map_put_int (body, "PartitionId", partition_id);
    zyn_broker_send_worker (self, worker, ZYN_PROTO_DROP, body);
    zyn_value_destroy (&body);
    zsys_info ("zyn_broker: drop table-id=%" PRIu64 " partition=%u worker=%s",
               table_id, partition_id, worker->id);
}

//  The live worker a partition is assigned to, or NULL
worker_t *
zyn_broker_partition_worker (self_t *self, zyn_partition_info_t *partition)
{
    worker_t *worker
        = (worker_t *) zhashx_lookup (self->workers, partition->worker_id);
    return worker && worker->live ? worker : NULL;
}

//  Forward a request to the worker of partition and remember it. body is
//  the frame to send (taken). Returns 0, or -1 if the partition has no
//  live worker (nothing is sent; body is destroyed).
int
zyn_broker_forward (self_t *self, zframe_t *client, uint64_t request_id,
                    const char *operation, zyn_table_t *table,
                    zyn_partition_info_t *partition, zframe_t **body_p,
                    uint64_t gather_id, size_t slot)
{
    worker_t *worker = zyn_broker_partition_worker (self, partition);
    if (!worker || !partition->assigned) {
        zframe_destroy (body_p);
        return -1;
    }
    zmsg_t *msg = zmsg_new ();
    zmsg_append (msg, &(zframe_t *) { zframe_dup (worker->address) });
    zmsg_addstr (msg, ZYN_PROTO_SIGNATURE);
    zmsg_addstr (msg, ZYN_PROTO_REQUEST);
    zmsg_append (msg, &(zframe_t *) { zframe_dup (client) });
    uint8_t buf [12];
    zyn_proto_put_request_id (buf, request_id);
    zmsg_addmem (msg, buf, 8);
    zmsg_addstr (msg, operation);
    zyn_proto_put_partition (buf, table->id, partition->id);
    zmsg_addmem (msg, buf, 12);
    zmsg_append (msg, body_p);
    zmsg_send (&msg, self->back);

    pending_t *pending = (pending_t *) zmalloc (sizeof (pending_t));
    char key_buf [PENDING_KEY_MAX];
    char *key = s_pending_key (key_buf, client, request_id);
    pending->key = key == key_buf ? strdup (key_buf) : key;
    pending->worker_id = strdup (worker->id);
    pending->client = zframe_dup (client);
    pending->mutation = streq (operation, "PutItem")
                     || streq (operation, "UpdateItem")
                     || streq (operation, "DeleteItem");
    pending->request_id = request_id;
    pending->gather_id = gather_id;
    pending->slot = slot;
    pending->deadline = zyn_mono_msecs () + self->request_timeout_msecs;
    //  A client that reuses a request id still in flight replaces the old
    //  entry; its first reply is then relayed and the second dropped
    zhashx_update (self->pending, pending->key, pending);
    if (self->verbose)
        zsys_debug ("zyn_broker: forward operation=%s table=%s partition=%u "
                    "worker=%s", operation, table->name, partition->id,
                    worker->id);
    return 0;
}

//  A pending request will never be answered by its worker: fail it
static void
s_pending_fail (self_t *self, pending_t *pending, const char *why)
{
    if (pending->gather_id) {
        gather_t *gather = zyn_broker_gather_lookup (self, pending->gather_id);
        if (gather) {
            zyn_error_t err = { 0 };
            zyn_error_set (&err, ZYN_ERR_SERVICE_UNAVAILABLE,
                           "The worker holding a partition of this table %s; "
                           "retry the request", why);
            size_t size;
            void *data = zyn_proto_error_body (&err, NULL, &size);
            zframe_t *body = zframe_new (data, size);
            free (data);
            zyn_broker_gather_reply (self, gather, pending->slot,
                                     zyn_error_name (err.type), body);
            zframe_destroy (&body);
        }
    }
    else
    if (pending->mutation) {
        //  The worker may have committed the write before it died, so
        //  the outcome is unknown: that is InternalServerError in
        //  DynamoDB's terms, which clients do not blindly retry (a
        //  retried ADD would count twice), never ServiceUnavailable
        zyn_error_t err = { 0 };
        zyn_error_set (&err, ZYN_ERR_INTERNAL,
                       "The worker holding this partition %s; the write "
                       "may or may not have been applied", why);
        zyn_broker_reply_error (self, pending->client, pending->request_id,
                                &err);
    }
    else {
        zyn_error_t err = { 0 };
        zyn_error_set (&err, ZYN_ERR_SERVICE_UNAVAILABLE,
                       "The worker holding this partition %s; retry the "
                       "request", why);
        zyn_broker_reply_error (self, pending->client, pending->request_id,
                                &err);
    }
}

//  Fail every request held by worker_id, or (worker_id NULL) every
//  request whose deadline is past
static void
s_fail_pending_where (self_t *self, const char *worker_id, int64_t now)
{
    //  Collect first: failing a gather's part may send its next step
    zlist_t *keys = zlist_new ();
    zlist_autofree (keys);
    pending_t *pending = (pending_t *) zhashx_first (self->pending);
    while (pending) {
        if ((worker_id && streq (pending->worker_id, worker_id))
            || (!worker_id && pending->deadline <= now))
            zlist_append (keys, pending->key);
        pending = (pending_t *) zhashx_next (self->pending);
    }
    char *key = (char *) zlist_first (keys);
    while (key) {
        pending = (pending_t *) zhashx_lookup (self->pending, key);
        if (pending) {
            if (!worker_id)
                zsys_warning ("zyn_broker: request timed out worker=%s",
                              pending->worker_id);
            s_pending_fail (self, pending,
                            worker_id ? "went away before answering"
                                      : "did not answer in time");
            zhashx_delete (self->pending, key);
        }
        key = (char *) zlist_next (keys);
    }
    zlist_destroy (&keys);
}

//  --------------------------------------------------------------------------
//  Table lifecycle

//  If every partition of a CREATING table is assigned, make it ACTIVE
void
zyn_broker_table_check_active (self_t *self, zyn_table_t *table)
{
    if (table->status != ZYN_TABLE_CREATING)
        return;
    for (uint32_t i = 0; i < table->partition_count; i++)
        if (!table->partitions [i].assigned)
            return;
    zyn_error_t err = { 0 };
    if (zyn_catalog_set_status (self->catalog, table, ZYN_TABLE_ACTIVE, &err))
        zsys_error ("zyn_broker: cannot store table=%s error=%s", table->name,
                    err.message);
    else
        zsys_info ("zyn_broker: table active name=%s", table->name);
}

//  If every partition of a DELETING table is dropped, remove the table.
//  Returns true if the table was removed (the pointer is then dangling).
bool
zyn_broker_table_check_dropped (self_t *self, zyn_table_t *table)
{
    if (table->status != ZYN_TABLE_DELETING)
        return false;
    for (uint32_t i = 0; i < table->partition_count; i++)
        if (!table->partitions [i].dropped)
            return false;
    char *name = strdup (table->name);
    zyn_error_t err = { 0 };
    bool removed = zyn_catalog_remove (self->catalog, table, &err) == 0;
    if (removed)
        zsys_info ("zyn_broker: table deleted name=%s", name);
    else
        zsys_error ("zyn_broker: cannot remove table=%s error=%s", name,
                    err.message);
    free (name);
    return removed;
}

//  --------------------------------------------------------------------------
//  Front door: one client request

static void
s_self_handle_front (self_t *self)
{
    zmsg_t *msg = zmsg_recv (self->front);
    if (!msg)
        return;
    zframe_t *address = zmsg_pop (msg);
    if (zyn_proto_pop_signature (msg)) {
        zsys_warning ("zyn_broker: client message without signature dropped");
        zframe_destroy (&address);
        zmsg_destroy (&msg);
        return;
    }
    zframe_t *id_frame = zmsg_pop (msg);
    uint64_t request_id = zyn_proto_request_id (id_frame);
    zframe_destroy (&id_frame);
    if (request_id == 0) {
        zsys_warning ("zyn_broker: client message without request id "
                      "dropped");
        zframe_destroy (&address);
        zmsg_destroy (&msg);
        return;
    }
    zframe_t *op_frame = zmsg_pop (msg);
    zframe_t *body_frame = zmsg_pop (msg);
    zyn_error_t err = { 0 };
    char operation [ZYN_PROTO_OPERATION_MAX + 1] = "";
    if (!op_frame || !body_frame || zmsg_size (msg) != 0)
        zyn_error_set (&err, ZYN_ERR_VALIDATION,
                       "Malformed request: expected signature, request id, "
                       "operation and body frames");
    else
    if (zframe_size (op_frame) == 0
        || zframe_size (op_frame) > ZYN_PROTO_OPERATION_MAX)
        zyn_error_set (&err, ZYN_ERR_UNKNOWN_OPERATION,
                       "Unknown operation");
    else
    if (zframe_size (body_frame) > ZYN_PROTO_BODY_MAX)
        zyn_error_set (&err, ZYN_ERR_VALIDATION,
                       "Request size exceeds the maximum of %d bytes",
                       ZYN_PROTO_BODY_MAX);
    else
        memcpy (operation, zframe_data (op_frame), zframe_size (op_frame));

    if (!zyn_error_is_set (&err)) {
        if (!zyn_broker_is_operation (operation)) {
            //  Printable names only: the name goes into a log line
            bool printable = strlen (operation) == zframe_size (op_frame);
            for (size_t i = 0; operation [i]; i++)
                if (!isalnum ((unsigned char) operation [i]))
                    printable = false;
            zyn_error_set (&err, ZYN_ERR_UNKNOWN_OPERATION,
                           "Unknown operation: %s",
                           printable ? operation : "?");
        }
    }
    zyn_value_t *body = NULL;
    if (!zyn_error_is_set (&err)) {
        body = zyn_value_decode (zframe_data (body_frame),
                                 zframe_size (body_frame), &err);
        if (body && zyn_value_type (body) != ZYN_TYPE_M) {
            zyn_error_set (&err, ZYN_ERR_SERIALIZATION,
                           "Request body must be a MessagePack map");
            zyn_value_destroy (&body);
        }
        else
        if (!body && !zyn_error_is_set (&err))
            zyn_error_set (&err, ZYN_ERR_SERIALIZATION,
                           "Request body is not valid MessagePack");
    }
    if (zyn_error_is_set (&err))
        zyn_broker_reply_error (self, address, request_id, &err);
    else {
        if (self->verbose)
            zsys_debug ("zyn_broker: request operation=%s", operation);
        request_t request = { address, request_id, operation, body_frame,
                              body };
        body_frame = NULL;
        zyn_broker_dispatch (self, &request);
        //  A handler that relays the body takes the frame
        zframe_destroy (&request.body_frame);
    }
    zyn_value_destroy (&body);
    zframe_destroy (&op_frame);
    zframe_destroy (&body_frame);
    zframe_destroy (&address);
    zmsg_destroy (&msg);
}

//  --------------------------------------------------------------------------
//  Back door: workers

//  Every partition of worker becomes unavailable; its requests fail
static void
s_worker_expire (self_t *self, worker_t *worker, const char *why)
{
    if (!worker->live)
        return;
    zsys_warning ("zyn_broker: worker expired id=%s reason=%s", worker->id,
                  why);
    worker->live = false;
    zlist_t *names = zyn_catalog_names (self->catalog);
    zlist_t *dropped = zlist_new ();
    const char *name = (const char *) zlist_first (names);
    while (name) {
        zyn_table_t *table = zyn_catalog_lookup (self->catalog, name);
        for (uint32_t i = 0; i < table->partition_count; i++) {
            zyn_partition_info_t *partition = &table->partitions [i];
            if (streq (partition->worker_id, worker->id)) {
                partition->assigned = false;
                if (table->status == ZYN_TABLE_DELETING)
                    partition->dropped = true;
            }
        }
        if (table->status == ZYN_TABLE_DELETING)
            zlist_append (dropped, table);
        name = (const char *) zlist_next (names);
    }
    zlist_destroy (&names);
    zyn_table_t *table = (zyn_table_t *) zlist_first (dropped);
    while (table) {
        zyn_broker_table_check_dropped (self, table);
        table = (zyn_table_t *) zlist_next (dropped);
    }
    zlist_destroy (&dropped);
    s_fail_pending_where (self, worker->id, 0);
}

//  READY: a worker (new, or back after a restart or reconnect) registers
static void
s_worker_ready (self_t *self, zframe_t *address, zmsg_t *msg)
{
    zframe_t *id_frame = zmsg_pop (msg);
    zframe_t *body_frame = zmsg_pop (msg);
    zyn_value_t *body = body_frame
        ? zyn_value_decode (zframe_data (body_frame),
                            zframe_size (body_frame), NULL)
        : NULL;
    char *worker_id = id_frame ? zframe_strdup (id_frame) : NULL;
    if (!worker_id || !*worker_id || strlen (worker_id) > 255) {
        zsys_warning ("zyn_broker: READY without worker id dropped");
        goto done;
    }
    worker_t *worker = (worker_t *) zhashx_lookup (self->workers, worker_id);
    if (worker) {
        //  A new process or a new connection: whatever the old one held
        //  in flight is lost
        if (worker->live)
            s_worker_expire (self, worker, "re-registered");
        zhashx_delete (self->addresses, worker->address_key);
        zframe_destroy (&worker->address);
        free (worker->address_key);
    }
    else {
        worker = (worker_t *) zmalloc (sizeof (worker_t));
        worker->id = strdup (worker_id);
        zhashx_insert (self->workers, worker->id, worker);
    }
    //  Another worker id on this same address is stale
    char *address_key = zframe_strhex (address);
    worker_t *other = (worker_t *) zhashx_lookup (self->addresses,
                                                      address_key);
    if (other && other != worker) {
        s_worker_expire (self, other, "address reused");
        zhashx_delete (self->addresses, address_key);
    }
    worker->address = zframe_dup (address);
    worker->address_key = address_key;
    zstr_free (&worker->endpoint);
    zstr_free (&worker->front_id);
    const char *endpoint = body ? zyn_value_map_get_s (body, "Endpoint")
                                : NULL;
    const char *front_id = body ? zyn_value_map_get_s (body, "FrontId")
                                : NULL;
    if (endpoint && *endpoint && strlen (endpoint) < 256 && front_id
        && *front_id && strlen (front_id) < 256) {
        worker->endpoint = strdup (endpoint);
        worker->front_id = strdup (front_id);
    }
    zstr_free (&worker->local_endpoint);
    zstr_free (&worker->host_id);
    const char *local = body ? zyn_value_map_get_s (body, "LocalEndpoint")
                             : NULL;
    const char *host_id = body ? zyn_value_map_get_s (body, "HostId") : NULL;
    if (worker->endpoint && local && *local && strlen (local) < 256
        && host_id && *host_id && strlen (host_id) < 64) {
        worker->local_endpoint = strdup (local);
        worker->host_id = strdup (host_id);
    }
    zhashx_update (self->addresses, worker->address_key, worker);
    worker->live = true;
    worker->expiry = zyn_mono_msecs ()
                   + (int64_t) self->heartbeat_msecs
                         * self->heartbeat_liveness;
    zsys_info ("zyn_broker: worker joined id=%s", worker->id);

    zyn_value_t *welcome = zyn_value_new_m ();
    zyn_value_map_put_s (welcome, "StreamEndpoint",
                         self->endpoint [3] ? self->endpoint [3] : "");
    zyn_value_map_put_int (welcome, "HeartbeatInterval",
                           self->heartbeat_msecs);
    zyn_value_map_put_int (welcome, "HeartbeatLiveness",
                           self->heartbeat_liveness);
    zyn_broker_send_worker (self, worker, ZYN_PROTO_WELCOME, welcome);
    zyn_value_destroy (&welcome);

    //  Partitions it has on disk that the catalog does not give it are
    //  stale (a deleted table, say): drop them
    zyn_value_t *reported = body ? zyn_value_map_get (body, "Partitions")
                                 : NULL;
    for (size_t i = 0; reported && zyn_value_type (reported) == ZYN_TYPE_L
                       && i < zyn_value_size (reported); i++) {
        zyn_value_t *entry = zyn_value_list_get (reported, i);
        int64_t table_id = 0, partition_id = 0, last_seq = 0;
        if (zyn_value_map_get_int (entry, "TableId", &table_id)
            || zyn_value_map_get_int (entry, "PartitionId", &partition_id)
            || partition_id < 0 || partition_id > UINT32_MAX)
            continue;
        zyn_value_map_get_int (entry, "LastSequenceNumber", &last_seq);
        zyn_table_t *table
            = zyn_catalog_lookup_id (self->catalog, (uint64_t) table_id);
        zyn_partition_info_t *partition
            = table ? zyn_catalog_partition (table, (uint32_t) partition_id)
                    : NULL;
        if (!partition || table->status == ZYN_TABLE_DELETING
            || !streq (partition->worker_id, worker->id))
            zyn_broker_send_drop (self, worker, (uint64_t) table_id,
                                  (uint32_t) partition_id);
        else
        if (last_seq > 0)
            partition->last_seq = (uint64_t) last_seq;
    }
    //  Give it back every partition it owns, and any partition nobody owns
    zlist_t *names = zyn_catalog_names (self->catalog);
    const char *name = (const char *) zlist_first (names);
    while (name) {
        zyn_table_t *table = zyn_catalog_lookup (self->catalog, name);
        bool changed = false;
        for (uint32_t i = 0; i < table->partition_count; i++) {
            zyn_partition_info_t *partition = &table->partitions [i];
            if (table->status == ZYN_TABLE_DELETING)
                continue;
            if (*partition->worker_id == 0) {
                free (partition->worker_id);
                partition->worker_id = strdup (worker->id);
                changed = true;
            }
            if (streq (partition->worker_id, worker->id)) {
                partition->assigned = false;
                zyn_broker_send_assign (self, worker, table, partition);
            }
        }
        zyn_error_t err = { 0 };
        if (changed && zyn_catalog_save (self->catalog, table, &err))
            zsys_error ("zyn_broker: cannot store table=%s error=%s",
                        table->name, err.message);
        name = (const char *) zlist_next (names);
    }
    zlist_destroy (&names);
done:
    zyn_value_destroy (&body);
    free (worker_id);
    zframe_destroy (&id_frame);
    zframe_destroy (&body_frame);
}

//  HEARTBEAT from worker, with the item count and size of each partition
//  it holds (an older worker sends no body)
static void
s_worker_stats (self_t *self, worker_t *worker, zmsg_t *msg)
{
    zframe_t *body_frame = zmsg_pop (msg);
    if (!body_frame)
        return;
    zyn_value_t *body = zyn_value_decode (zframe_data (body_frame),
                                          zframe_size (body_frame), NULL);
    zframe_destroy (&body_frame);
    zyn_value_t *list = body ? zyn_value_map_get (body, "Partitions") : NULL;
    if (!list || zyn_value_type (list) != ZYN_TYPE_L) {
        zsys_warning ("zyn_broker: malformed HEARTBEAT from worker id=%s",
                      worker->id);
        zyn_value_destroy (&body);
        return;
    }
    for (size_t i = 0; i < zyn_value_size (list); i++) {
        zyn_value_t *entry = zyn_value_list_get (list, i);
        int64_t table_id, partition_id, items, bytes;
        if (zyn_value_type (entry) != ZYN_TYPE_M
            || zyn_value_map_get_int (entry, "TableId", &table_id)
            || zyn_value_map_get_int (entry, "PartitionId", &partition_id)
            || zyn_value_map_get_int (entry, "ItemCount", &items)
            || zyn_value_map_get_int (entry, "SizeBytes", &bytes)
            || partition_id < 0 || partition_id > UINT32_MAX)
            continue;
        zyn_table_t *table
            = zyn_catalog_lookup_id (self->catalog, (uint64_t) table_id);
        zyn_partition_info_t *partition
            = table ? zyn_catalog_partition (table, (uint32_t) partition_id)
                    : NULL;
        //  Only the partition's own worker counts its items
        if (partition && streq (partition->worker_id, worker->id)) {
            partition->item_count = items;
            partition->size_bytes = bytes;
        }
    }
    zyn_value_destroy (&body);
}

//  ASSIGNED or DROPPED from worker
static void
s_worker_partition_reply (self_t *self, worker_t *worker, bool assigned,
                          zmsg_t *msg)
{
    zframe_t *body_frame = zmsg_pop (msg);
    zyn_value_t *body = body_frame
        ? zyn_value_decode (zframe_data (body_frame),
                            zframe_size (body_frame), NULL)
        : NULL;
    zframe_destroy (&body_frame);
    int64_t table_id = 0, partition_id = -1, last_seq = 0;
    if (!body || zyn_value_map_get_int (body, "TableId", &table_id)
        || zyn_value_map_get_int (body, "PartitionId", &partition_id)
        || partition_id < 0 || partition_id > UINT32_MAX) {
        zsys_warning ("zyn_broker: malformed %s from worker id=%s",
                      assigned ? "ASSIGNED" : "DROPPED", worker->id);
        zyn_value_destroy (&body);
        return;
    }
    zyn_value_map_get_int (body, "LastSequenceNumber", &last_seq);
    zyn_value_destroy (&body);
    zyn_table_t *table
        = zyn_catalog_lookup_id (self->catalog, (uint64_t) table_id);
    zyn_partition_info_t *partition
        = table ? zyn_catalog_partition (table, (uint32_t) partition_id)
                : NULL;
    if (assigned) {
        if (!partition || table->status == ZYN_TABLE_DELETING
            || !streq (partition->worker_id, worker->id)) {
            zyn_broker_send_drop (self, worker, (uint64_t) table_id,
                                  (uint32_t) partition_id);
            return;
        }
        partition->assigned = true;
        if (last_seq > 0 && (uint64_t) last_seq > partition->last_seq)
            partition->last_seq = (uint64_t) last_seq;
        zyn_broker_table_check_active (self, table);
    }
    else
    if (partition && table->status == ZYN_TABLE_DELETING) {
        partition->dropped = true;
        zyn_broker_table_check_dropped (self, table);
    }
}

//  REPLY from worker: relay to the client, or feed the gather
static void
s_worker_reply (self_t *self, worker_t *worker, zmsg_t *msg)
{
    zframe_t *client = zmsg_pop (msg);
    zframe_t *id_frame = zmsg_pop (msg);
    zframe_t *status = zmsg_pop (msg);
    zframe_t *body = zmsg_pop (msg);
    uint64_t request_id = zyn_proto_request_id (id_frame);
    if (!client || !status || !body || request_id == 0
        || zframe_size (status) == 0 || zframe_size (status) > 64) {
        zsys_warning ("zyn_broker: malformed REPLY from worker id=%s",
                      worker->id);
        goto done;
    }
    char buf [PENDING_KEY_MAX];
    char *key = s_pending_key (buf, client, request_id);
    pending_t *pending = (pending_t *) zhashx_lookup (self->pending, key);
    if (key != buf)
        free (key);
    if (!pending || !streq (pending->worker_id, worker->id)) {
        //  Already failed (the worker was expired, then answered late)
        if (self->verbose)
            zsys_debug ("zyn_broker: late reply from worker id=%s dropped",
                        worker->id);
        goto done;
    }
    uint64_t gather_id = pending->gather_id;
    size_t slot = pending->slot;
    zhashx_delete (self->pending, pending->key);
    if (gather_id) {
        gather_t *gather = zyn_broker_gather_lookup (self, gather_id);
        if (gather) {
            char *text = zframe_strdup (status);
            zyn_broker_gather_reply (self, gather, slot, text, body);
            free (text);
        }
    }
    else {
        //  Relay as is: the worker's frames go to the client unchanged
        zmsg_t *reply = zmsg_new ();
        zmsg_append (reply, &client);
        zmsg_addstr (reply, ZYN_PROTO_SIGNATURE);
        zmsg_append (reply, &id_frame);
        zmsg_append (reply, &status);
        zmsg_append (reply, &body);
        zmsg_send (&reply, self->front);
    }
done:
    zframe_destroy (&client);
    zframe_destroy (&id_frame);
    zframe_destroy (&status);
    zframe_destroy (&body);
}

static void
s_self_handle_back (self_t *self)
{
    zmsg_t *msg = zmsg_recv (self->back);
    if (!msg)
        return;
    zframe_t *address = zmsg_pop (msg);
    zframe_t *command_frame = NULL;
    char *address_key = NULL;
    if (zyn_proto_pop_signature (msg)) {
        zsys_warning ("zyn_broker: worker message without signature dropped");
        goto done;
    }
    command_frame = zmsg_pop (msg);
    if (!command_frame || zframe_size (command_frame) > 16) {
        zsys_warning ("zyn_broker: worker message without command dropped");
        goto done;
    }
    if (zframe_streq (command_frame, ZYN_PROTO_READY)) {
        s_worker_ready (self, address, msg);
        goto done;
    }
    address_key = zframe_strhex (address);
    worker_t *worker = (worker_t *) zhashx_lookup (self->addresses,
                                                       address_key);
    if (!worker || !worker->live) {
        //  A worker we do not know (the broker restarted, or it was
        //  expired): tell it to register again (docs/protocol.md)
        if (!zframe_streq (command_frame, ZYN_PROTO_DISCONNECT)) {
            zmsg_t *reply = zmsg_new ();
            zmsg_append (reply, &(zframe_t *) { zframe_dup (address) });
            zmsg_addstr (reply, ZYN_PROTO_SIGNATURE);
            zmsg_addstr (reply, ZYN_PROTO_DISCONNECT);
            zmsg_send (&reply, self->back);
        }
        goto done;
    }
    worker->expiry = zyn_mono_msecs ()
                   + (int64_t) self->heartbeat_msecs
                         * self->heartbeat_liveness;
    if (zframe_streq (command_frame, ZYN_PROTO_HEARTBEAT))
        s_worker_stats (self, worker, msg);
    else
    if (zframe_streq (command_frame, ZYN_PROTO_REPLY))
        s_worker_reply (self, worker, msg);
    else
    if (zframe_streq (command_frame, ZYN_PROTO_ASSIGNED))
        s_worker_partition_reply (self, worker, true, msg);
    else
    if (zframe_streq (command_frame, ZYN_PROTO_DROPPED))
        s_worker_partition_reply (self, worker, false, msg);
    else
    if (zframe_streq (command_frame, ZYN_PROTO_DISCONNECT))
        s_worker_expire (self, worker, "disconnected");
    else
        zsys_warning ("zyn_broker: unknown command from worker id=%s",
                      worker->id);
done:
    free (address_key);
    zframe_destroy (&command_frame);
    zframe_destroy (&address);
    zmsg_destroy (&msg);
}

//  Send heartbeats and expire silent workers
static void
s_self_heartbeat (self_t *self)
{
    int64_t now = zyn_mono_msecs ();
    //  Messages still waiting on the back door may be the heartbeats we
    //  were too busy to read: read them before calling anyone dead.
    //  Called after every batch of messages: allocate nothing unless a
    //  worker expires
    bool backlog = (zsock_events (self->back) & ZMQ_POLLIN) != 0;
    zlist_t *expired = NULL;
    worker_t *worker = (worker_t *) zhashx_first (self->workers);
    while (worker) {
        if (worker->live && now >= worker->expiry && !backlog) {
            if (!expired)
                expired = zlist_new ();
            zlist_append (expired, worker);
        }
        worker = (worker_t *) zhashx_next (self->workers);
    }
    worker = expired ? (worker_t *) zlist_first (expired) : NULL;
    while (worker) {
        s_worker_expire (self, worker, "heartbeat");
        worker = (worker_t *) zlist_next (expired);
    }
    zlist_destroy (&expired);
    if (now >= self->next_heartbeat) {
        worker = (worker_t *) zhashx_first (self->workers);
        while (worker) {
            if (worker->live)
                zyn_broker_send_worker (self, worker, ZYN_PROTO_HEARTBEAT,
                                        NULL);
            worker = (worker_t *) zhashx_next (self->workers);
        }
        self->next_heartbeat = now + self->heartbeat_msecs;
        //  A live worker that never answers must not hold a request
        //  forever (docs/protocol.md, "Sequence numbers and recovery")
        s_fail_pending_where (self, NULL, now);
    }
}

//  --------------------------------------------------------------------------
//  Stream hub: XSUB <-> XPUB inside the loop

static void
s_self_handle_hub (self_t *self, zsock_t *from, zsock_t *to)
{
    (void) self;
    zmsg_t *msg = zmsg_recv (from);
    if (msg)
        zmsg_send (&msg, to);
}

//  --------------------------------------------------------------------------
//  Pipe

static int
s_kind_index (const char *kind)
{
    for (int i = 0; i < 4; i++)
        if (kind && streq (kind, s_kinds [i]))
            return i;
    return -1;
}

static zsock_t *
s_kind_socket (self_t *self, int index)
{
    zsock_t *sockets [4] = { self->front, self->back, self->hub_pub,
                             self->hub_sub };
    return sockets [index];
}

//  The endpoint a peer can connect to: a wildcard host becomes 127.0.0.1
static char *
s_connectable (const char *endpoint)
{
    const char *hosts [3] = { "://0.0.0.0:", "://*:", "://[::]:" };
    for (int i = 0; i < 3; i++) {
        const char *wildcard = strstr (endpoint, hosts [i]);
        if (wildcard)
            return zsys_sprintf ("%.*s://127.0.0.1:%s",
                                 (int) (wildcard - endpoint), endpoint,
                                 wildcard + strlen (hosts [i]));
    }
    return strdup (endpoint);
}

static void
s_self_handle_pipe (self_t *self)
{
    zmsg_t *request = zmsg_recv (self->pipe);
    if (!request)
        return;
    char *command = zmsg_popstr (request);
    assert (command);
    if (streq (command, "$TERM"))
        self->terminated = true;
    else
    if (streq (command, "VERBOSE"))
        self->verbose = true;
    else
    if (streq (command, "BIND")) {
        char *kind = zmsg_popstr (request);
        char *endpoint = zmsg_popstr (request);
        int index = s_kind_index (kind);
        assert (index >= 0 && endpoint);
        zsock_t *socket = s_kind_socket (self, index);
        char *bound = NULL;
        if (zsock_bind (socket, "%s", endpoint) >= 0) {
            bound = s_connectable (zsock_endpoint (socket));
            free (self->endpoint [index]);
            self->endpoint [index] = strdup (bound);
            zsys_info ("zyn_broker: bound %s endpoint=%s", kind, bound);
        }
        else
            zsys_error ("zyn_broker: cannot bind %s endpoint=%s error=%s",
                        kind, endpoint, zmq_strerror (zmq_errno ()));
        zstr_send (self->pipe, bound ? bound : "");
        free (bound);
        free (kind);
        free (endpoint);
    }
    else
    if (streq (command, "ENDPOINT")) {
        char *kind = zmsg_popstr (request);
        int index = s_kind_index (kind);
        assert (index >= 0);
        zstr_send (self->pipe,
                   self->endpoint [index] ? self->endpoint [index] : "");
        free (kind);
    }
    else {
        zsys_error ("zyn_broker: invalid command %s", command);
        assert (false);
    }
    free (command);
    zmsg_destroy (&request);
}

//  --------------------------------------------------------------------------
//  Actor

static self_t *
s_self_new (zsock_t *pipe, s_args_t *args)
{
    self_t *self = (self_t *) zmalloc (sizeof (self_t));
    self->pipe = pipe;
    self->catalog = args->catalog;
    args->catalog = NULL;
    self->region = strdup (args->region);
    self->partitions = args->partitions;
    self->heartbeat_msecs = args->heartbeat_msecs;
    self->heartbeat_liveness = args->heartbeat_liveness;
    self->request_timeout_msecs = args->request_timeout_msecs;
    self->verbose = args->verbose;
    self->front = zsock_new (ZMQ_ROUTER);
    self->back = zsock_new (ZMQ_ROUTER);
    self->hub_sub = zsock_new (ZMQ_XSUB);
    self->hub_pub = zsock_new (ZMQ_XPUB);
    assert (self->front && self->back && self->hub_sub && self->hub_pub);
    //  A client may keep thousands of requests in flight: no high-water
    //  mark on the request paths, so no reply is dropped for want of room
    zsock_set_sndhwm (self->front, 0);
    zsock_set_rcvhwm (self->front, 0);
    zsock_set_sndhwm (self->back, 0);
    zsock_set_rcvhwm (self->back, 0);
    zsock_set_linger (self->front, 0);
    zsock_set_linger (self->back, 0);
    zsock_set_linger (self->hub_sub, 0);
    zsock_set_linger (self->hub_pub, 0);
    self->poller = zpoller_new (self->pipe, self->front, self->back,
                                self->hub_sub, self->hub_pub, NULL);
    //  The actor ends on $TERM only; a signal is main's business
    zpoller_set_nonstop (self->poller, true);
    self->workers = zhashx_new ();
    zhashx_set_destructor (self->workers, s_worker_destructor);
    self->addresses = zhashx_new ();
    self->pending = zhashx_new ();
    zhashx_set_destructor (self->pending, s_pending_destructor);
    self->gathers = zhashx_new ();
    zhashx_set_destructor (self->gathers, s_gather_destructor);
    self->next_request_id = 1;
    self->next_gather_id = 1;
    self->next_heartbeat = zyn_mono_msecs () + self->heartbeat_msecs;

    //  A table left DELETING by a previous run: no worker is live yet, so
    //  every partition counts as dropped (workers drop leftovers on READY)
    zlist_t *names = zyn_catalog_names (self->catalog);
    zlist_t *deleting = zlist_new ();
    const char *name = (const char *) zlist_first (names);
    while (name) {
        zyn_table_t *table = zyn_catalog_lookup (self->catalog, name);
        if (table->status == ZYN_TABLE_DELETING) {
            for (uint32_t i = 0; i < table->partition_count; i++)
                table->partitions [i].dropped = true;
            zlist_append (deleting, table);
        }
        name = (const char *) zlist_next (names);
    }
    zlist_destroy (&names);
    zyn_table_t *table = (zyn_table_t *) zlist_first (deleting);
    while (table) {
        zyn_broker_table_check_dropped (self, table);
        table = (zyn_table_t *) zlist_next (deleting);
    }
    zlist_destroy (&deleting);
    return self;
}

static void
s_self_destroy (self_t **self_p)
{
    assert (self_p);
    self_t *self = *self_p;
    if (self) {
        zhashx_destroy (&self->pending);
        zhashx_destroy (&self->gathers);
        zhashx_destroy (&self->addresses);
        zhashx_destroy (&self->workers);
        zpoller_destroy (&self->poller);
        zsock_destroy (&self->hub_pub);
        zsock_destroy (&self->hub_sub);
        zsock_destroy (&self->back);
        zsock_destroy (&self->front);
        for (int i = 0; i < 4; i++)
            free (self->endpoint [i]);
        free (self->region);
        zyn_catalog_destroy (&self->catalog);
        free (self);
        *self_p = NULL;
    }
}

static void
s_args_destroy (s_args_t **args_p)
{
    s_args_t *args = *args_p;
    if (args) {
        zyn_catalog_destroy (&args->catalog);
        free (args->data_dir);
        free (args->region);
        free (args);
        *args_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  The actor function

//  True if another message is already waiting on sock and fewer than
//  BROKER_DRAIN_MAX were handled since the last poll: a busy socket costs
//  one poll per batch of messages rather than one per message

static bool
s_self_has_more (self_t *self, zsock_t *sock, int *drained)
{
    return !self->terminated && ++*drained < BROKER_DRAIN_MAX
        && (zsock_events (sock) & ZMQ_POLLIN);
}

void
zyn_broker_actor (zsock_t *pipe, void *args)
{
    s_args_t *broker_args = (s_args_t *) args;
    self_t *self = s_self_new (pipe, broker_args);
    s_args_destroy (&broker_args);
    zsock_signal (pipe, 0);
    int drained = 0;
    while (!self->terminated) {
        int64_t timeout = self->next_heartbeat - zyn_mono_msecs ();
        if (timeout < 0)
            timeout = 0;
        zsock_t *which
            = (zsock_t *) zpoller_wait (self->poller, (int) timeout);
        if (which == self->pipe)
            s_self_handle_pipe (self);
        else
        if (which == self->front)
            do
                s_self_handle_front (self);
            while (s_self_has_more (self, self->front, &drained));
        else
        if (which == self->back)
            do
                s_self_handle_back (self);
            while (s_self_has_more (self, self->back, &drained));
        else
        if (which == self->hub_sub)
            do
                s_self_handle_hub (self, self->hub_sub, self->hub_pub);
            while (s_self_has_more (self, self->hub_sub, &drained));
        else
        if (which == self->hub_pub)
            do
                s_self_handle_hub (self, self->hub_pub, self->hub_sub);
            while (s_self_has_more (self, self->hub_pub, &drained));
        drained = 0;
        s_self_heartbeat (self);
    }
    s_self_destroy (&self);
}

//  --------------------------------------------------------------------------
//  Open the catalog and start the broker actor

zactor_t *
zyn_broker_new (const zyn_broker_config_t *config, zyn_error_t *err)
{
    assert (config);
    const char *data_dir = config->data_dir ? config->data_dir
                                            : "./zynamo-data";
    char *path = zsys_sprintf ("%s/broker", data_dir);
    if (zsys_dir_create ("%s", data_dir)) {
        zyn_error_set (err, ZYN_ERR_INTERNAL,
                       "cannot create data directory %s: %s", data_dir,
                       strerror (errno));
        free (path);
        return NULL;
    }
    zyn_catalog_t *catalog = zyn_catalog_new (path, err);
    free (path);
    if (!catalog)
        return NULL;
    s_args_t *args = (s_args_t *) zmalloc (sizeof (s_args_t));
    args->catalog = catalog;
    args->data_dir = strdup (data_dir);
    args->region = strdup (config->region ? config->region : "us-east-1");
    args->partitions = config->partitions ? config->partitions : 4;
    if (args->partitions > ZYN_TABLES_PARTITIONS_MAX)
        args->partitions = ZYN_TABLES_PARTITIONS_MAX;
    args->heartbeat_msecs
        = config->heartbeat_msecs > 0 ? config->heartbeat_msecs : 1000;
    args->heartbeat_liveness
        = config->heartbeat_liveness > 0 ? config->heartbeat_liveness : 3;
    args->request_timeout_msecs = config->request_timeout_msecs > 0
                                ? config->request_timeout_msecs : 30000;
    args->verbose = config->verbose;
    return zactor_new (zyn_broker_actor, args);
}

//  --------------------------------------------------------------------------
//  Ask a running broker to bind kind to endpoint

char *
zyn_broker_bind (zactor_t *broker, const char *kind, const char *endpoint)
{
    assert (broker);
    zstr_sendx (broker, "BIND", kind, endpoint, NULL);
    char *bound = zstr_recv (broker);
    if (bound && !*bound)
        zstr_free (&bound);
    return bound;
}

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
    comes back as a new process, every request it still held is failed
    with ServiceUnavailable, which the client may retry.

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

//  What zyn_broker_new hands to the actor
typedef struct {
    zyn_catalog_t *catalog;         //  Handed over to the actor
    char *data_dir;
    char *region;
    uint32_t partitions;
    int heartbeat_msecs;
    int heartbeat_liveness;
    bool verbose;
} s_args_t;

//  A worker, known by its stable WorkerId
typedef struct {
    char *id;                       //  Owned
    zframe_t *address;              //  Owned, routing identity on back
    char *address_key;              //  Owned, hex of address
    bool live;
    int64_t expiry;                 //  Monotonic ms
} s_worker_t;

//  Kinds of gathers
typedef enum {
    GATHER_SCAN = 1,
    GATHER_SHARDS
} s_gather_kind_t;

//  A client request the broker answers from several worker replies
typedef struct {
    uint64_t id;
    s_gather_kind_t kind;
    zframe_t *client;               //  Owned, client address
    uint64_t request_id;            //  The client's request id
    uint64_t table_id;
    zyn_scan_t *scan;               //  Owned, GATHER_SCAN
    zyn_value_t *response;          //  Owned, GATHER_SHARDS being built
    size_t outstanding;             //  GATHER_SHARDS replies awaited
} s_gather_t;

//  A request forwarded to a worker and not yet answered
typedef struct {
    char *key;                      //  Owned, "<client hex>/<request id>"
    char *worker_id;                //  Owned
    zframe_t *client;               //  Owned, empty for broker-made
    uint64_t request_id;
    uint64_t gather_id;             //  0 if relayed to the client as is
    size_t slot;                    //  Which part of the gather
} s_pending_t;

typedef struct {
    zsock_t *pipe;                  //  Actor pipe
    zsock_t *front;                 //  Owned, ROUTER for clients
    zsock_t *back;                  //  Owned, ROUTER for workers
    zsock_t *hub_sub;               //  Owned, XSUB for workers' PUB
    zsock_t *hub_pub;               //  Owned, XPUB for subscribers
    zpoller_t *poller;              //  Owned
    zyn_catalog_t *catalog;         //  Owned
    char *region;                   //  Owned
    char *endpoint [4];             //  Owned, bound endpoints by kind
    uint32_t partitions;
    int heartbeat_msecs;
    int heartbeat_liveness;
    zhashx_t *workers;              //  Owned, id -> s_worker_t
    zhashx_t *addresses;            //  Owned, address hex -> s_worker_t
    zhashx_t *pending;              //  Owned, key -> s_pending_t
    zhashx_t *gathers;              //  Owned, id text -> s_gather_t
    uint64_t next_request_id;       //  For broker-made requests
    uint64_t next_gather_id;
    int64_t next_heartbeat;         //  Monotonic ms
    bool verbose;
    bool terminated;
} self_t;

//  Endpoint kinds, in the order of self->endpoint
static const char *s_kinds [4] = { "FRONT", "BACK", "HUB-PUB", "HUB-SUB" };

//  A client request being handled
typedef struct {
    zframe_t *address;              //  Borrowed, client address
    uint64_t request_id;
    const char *operation;          //  Borrowed
    zframe_t *body_frame;           //  Borrowed, the body as received
    zyn_value_t *body;              //  Borrowed, decoded body
} s_request_t;

static void
s_worker_destroy (s_worker_t **self_p)
{
    s_worker_t *self = *self_p;
    if (self) {
        zframe_destroy (&self->address);
        free (self->address_key);
        free (self->id);
        free (self);
        *self_p = NULL;
    }
}

static void
s_worker_destructor (void **item)
{
    s_worker_destroy ((s_worker_t **) item);
}

static void
s_gather_destroy (s_gather_t **self_p)
{
    s_gather_t *self = *self_p;
    if (self) {
        zframe_destroy (&self->client);
        zyn_scan_destroy (&self->scan);
        zyn_value_destroy (&self->response);
        free (self);
        *self_p = NULL;
    }
}

static void
s_gather_destructor (void **item)
{
    s_gather_destroy ((s_gather_t **) item);
}

static void
s_pending_destroy (s_pending_t **self_p)
{
    s_pending_t *self = *self_p;
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
    s_pending_destroy ((s_pending_t **) item);
}

//  The pending-table key of a request: client address in hex, request id
static char *
s_pending_key (zframe_t *client, uint64_t request_id)
{
    char *hex = zframe_strhex (client);
    char *key = zsys_sprintf ("%s/%016" PRIx64, hex, request_id);
    free (hex);
    return key;
}

//  --------------------------------------------------------------------------
//  Replies to clients

//  Send status and body (taken, may be NULL for an empty map) to a client
static void
s_reply_frames (self_t *self, zframe_t *client, uint64_t request_id,
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

static void
s_reply_error (self_t *self, zframe_t *client, uint64_t request_id,
               const zyn_error_t *err)
{
    if (self->verbose)
        zsys_debug ("zyn_broker: error reply type=%s message=%s",
                    zyn_error_name (err->type), err->message);
    size_t size;
    void *data = zyn_proto_error_body (err, NULL, &size);
    zframe_t *body = zframe_new (data, size);
    free (data);
    s_reply_frames (self, client, request_id, zyn_error_name (err->type),
                    &body);
}

//  Reply OK with value (taken) as the body
static void
s_reply_value (self_t *self, zframe_t *client, uint64_t request_id,
               zyn_value_t **value_p)
{
    size_t size;
    void *data = zyn_value_encode (*value_p, &size);
    zyn_value_destroy (value_p);
    zframe_t *body = zframe_new (data, size);
    free (data);
    s_reply_frames (self, client, request_id, ZYN_PROTO_OK, &body);
}

static void
s_reply_unavailable (self_t *self, zframe_t *client, uint64_t request_id,
                     zyn_table_t *table, uint32_t partition_id)
{
    zyn_error_t err = { 0 };
    zyn_error_set (&err, ZYN_ERR_SERVICE_UNAVAILABLE,
                   "Partition %u of table %s is unavailable: its worker is "
                   "not connected", partition_id, table->name);
    s_reply_error (self, client, request_id, &err);
}

//  --------------------------------------------------------------------------
//  Messages to workers

static void
s_send_worker (self_t *self, s_worker_t *worker, const char *command,
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

static void
s_send_assign (self_t *self, s_worker_t *worker, zyn_table_t *table,
               zyn_partition_info_t *partition)
{
    zyn_value_t *body = zyn_tables_assign_body (table, partition);
    s_send_worker (self, worker, ZYN_PROTO_ASSIGN, body);
    zyn_value_destroy (&body);
    zsys_info ("zyn_broker: assign table=%s partition=%u worker=%s",
               table->name, partition->id, worker->id);
}

static void
s_send_drop (self_t *self, s_worker_t *worker, uint64_t table_id,
             uint32_t partition_id)
{
    zyn_value_t *body = zyn_value_new_m ();
    zyn_value_map_put_int (body, "TableId", (int64_t) table_id);
    zyn_value_map_put_int (body, "PartitionId", partition_id);
    s_send_worker (self, worker, ZYN_PROTO_DROP, body);
    zyn_value_destroy (&body);
    zsys_info ("zyn_broker: drop table-id=%" PRIu64 " partition=%u worker=%s",
               table_id, partition_id, worker->id);
}

//  The live worker a partition is assigned to, or NULL
static s_worker_t *
s_partition_worker (self_t *self, zyn_partition_info_t *partition)
{
    s_worker_t *worker
        = (s_worker_t *) zhashx_lookup (self->workers, partition->worker_id);
    return worker && worker->live ? worker : NULL;
}

//  Forward a request to the worker of partition and remember it. body is
//  the frame to send (taken). Returns 0, or -1 if the partition has no
//  live worker (nothing is sent; body is destroyed).
static int
s_forward (self_t *self, zframe_t *client, uint64_t request_id,
           const char *operation, zyn_table_t *table,
           zyn_partition_info_t *partition, zframe_t **body_p,
           uint64_t gather_id, size_t slot)
{
    s_worker_t *worker = s_partition_worker (self, partition);
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

    s_pending_t *pending = (s_pending_t *) zmalloc (sizeof (s_pending_t));
    pending->key = s_pending_key (client, request_id);
    pending->worker_id = strdup (worker->id);
    pending->client = zframe_dup (client);
    pending->request_id = request_id;
    pending->gather_id = gather_id;
    pending->slot = slot;
    //  A client that reuses a request id still in flight replaces the old
    //  entry; its first reply is then relayed and the second dropped
    zhashx_update (self->pending, pending->key, pending);
    if (self->verbose)
        zsys_debug ("zyn_broker: forward operation=%s table=%s partition=%u "
                    "worker=%s", operation, table->name, partition->id,
                    worker->id);
    return 0;
}

//  --------------------------------------------------------------------------
//  Gathers

static s_gather_t *
s_gather_new (self_t *self, s_gather_kind_t kind, s_request_t *request,
              uint64_t table_id)
{
    s_gather_t *gather = (s_gather_t *) zmalloc (sizeof (s_gather_t));
    gather->id = self->next_gather_id++;
    gather->kind = kind;
    gather->client = zframe_dup (request->address);
    gather->request_id = request->request_id;
    gather->table_id = table_id;
    char key [24];
    snprintf (key, sizeof (key), "%" PRIu64, gather->id);
    zhashx_insert (self->gathers, key, gather);
    return gather;
}

static void
s_gather_remove (self_t *self, s_gather_t *gather)
{
    char key [24];
    snprintf (key, sizeof (key), "%" PRIu64, gather->id);
    zhashx_delete (self->gathers, key);
}

static s_gather_t *
s_gather_lookup (self_t *self, uint64_t gather_id)
{
    char key [24];
    snprintf (key, sizeof (key), "%" PRIu64, gather_id);
    return (s_gather_t *) zhashx_lookup (self->gathers, key);
}

//  Send a broker-made sub-request of gather. Returns 0, or -1 if the
//  partition has no live worker.
static int
s_gather_send (self_t *self, s_gather_t *gather, size_t slot,
               const char *operation, zyn_table_t *table,
               zyn_partition_info_t *partition, void *data, size_t size)
{
    zframe_t *body = zframe_new (data, size);
    zframe_t *no_client = zframe_new_empty ();
    uint64_t request_id = self->next_request_id++;
    int rc = s_forward (self, no_client, request_id, operation, table,
                        partition, &body, gather->id, slot);
    zframe_destroy (&no_client);
    return rc;
}

//  Send the next step of a Scan walk, or its answer when the walk is over
static void
s_scan_step (self_t *self, s_gather_t *gather)
{
    zyn_table_t *table = zyn_catalog_lookup_id (self->catalog,
                                                gather->table_id);
    if (!table || table->status != ZYN_TABLE_ACTIVE) {
        zyn_error_t err = { 0 };
        zyn_error_set (&err, ZYN_ERR_RESOURCE_NOT_FOUND,
                       "Requested resource not found");
        s_reply_error (self, gather->client, gather->request_id, &err);
        s_gather_remove (self, gather);
        return;
    }
    uint32_t index;
    void *data;
    size_t size;
    if (zyn_scan_next (gather->scan, table, &index, &data, &size) == 0) {
        zyn_partition_info_t *partition = &table->partitions [index];
        int rc = s_gather_send (self, gather, 0, "Scan", table, partition,
                                data, size);
        free (data);
        if (rc == 0)
            return;
        s_reply_unavailable (self, gather->client, gather->request_id, table,
                             partition->id);
    }
    else {
        data = zyn_scan_result (gather->scan, &size);
        zframe_t *body = zframe_new (data, size);
        free (data);
        s_reply_frames (self, gather->client, gather->request_id,
                        ZYN_PROTO_OK, &body);
    }
    s_gather_remove (self, gather);
}

//  Answer a ZynGetShards once every partition's last sequence is known
static void
s_shards_finish (self_t *self, s_gather_t *gather)
{
    zyn_table_t *table = zyn_catalog_lookup_id (self->catalog,
                                                gather->table_id);
    if (!table) {
        zyn_error_t err = { 0 };
        zyn_error_set (&err, ZYN_ERR_RESOURCE_NOT_FOUND,
                       "Requested resource not found");
        s_reply_error (self, gather->client, gather->request_id, &err);
        s_gather_remove (self, gather);
        return;
    }
    zyn_value_t *response = zyn_value_new_m ();
    zyn_value_map_put_int (response, "TableId", (int64_t) table->id);
    zyn_value_t *shards = zyn_value_new_l ();
    for (uint32_t i = 0; i < table->partition_count; i++) {
        zyn_partition_info_t *partition = &table->partitions [i];
        zyn_value_t *shard = zyn_value_new_m ();
        zyn_value_map_put_int (shard, "PartitionId", partition->id);
        uint8_t hash [8];
        zyn_put_u64 (hash, partition->hash_start);
        zyn_value_t *value = zyn_value_new_b (hash, 8);
        zyn_value_map_put (shard, "HashStart", &value);
        zyn_put_u64 (hash, partition->hash_end);
        value = zyn_value_new_b (hash, 8);
        zyn_value_map_put (shard, "HashEnd", &value);
        zyn_value_map_put_int (shard, "LastSequenceNumber",
                               (int64_t) partition->last_seq);
        zyn_value_list_append (shards, &shard);
    }
    zyn_value_map_put (response, "Shards", &shards);
    s_reply_value (self, gather->client, gather->request_id, &response);
    s_gather_remove (self, gather);
}

//  A worker's reply (or a failure standing in for one) to a gather's
//  sub-request. status is "OK" or an error name; body may be NULL.
static void
s_gather_reply (self_t *self, s_gather_t *gather, size_t slot,
                const char *status, zframe_t *body)
{
    if (gather->kind == GATHER_SCAN) {
        zyn_error_t err = { 0 };
        if (!streq (status, ZYN_PROTO_OK)) {
            //  The first failure ends the walk; the client sees the error
            //  as the worker gave it
            zframe_t *copy = body ? zframe_dup (body) : NULL;
            s_reply_frames (self, gather->client, gather->request_id, status,
                            &copy);
            s_gather_remove (self, gather);
        }
        else
        if (zyn_scan_absorb (gather->scan, zframe_data (body),
                             zframe_size (body), &err)) {
            s_reply_error (self, gather->client, gather->request_id, &err);
            s_gather_remove (self, gather);
        }
        else
            s_scan_step (self, gather);
    }
    else
    if (gather->kind == GATHER_SHARDS) {
        zyn_table_t *table = zyn_catalog_lookup_id (self->catalog,
                                                    gather->table_id);
        if (table && slot < table->partition_count && body
            && streq (status, ZYN_PROTO_OK)) {
            zyn_value_t *reply = zyn_value_decode (zframe_data (body),
                                                   zframe_size (body), NULL);
            int64_t last_seq = 0;
            if (reply
                && zyn_value_map_get_int (reply, "LastSequenceNumber",
                                          &last_seq) == 0
                && last_seq >= 0)
                table->partitions [slot].last_seq = (uint64_t) last_seq;
            zyn_value_destroy (&reply);
        }
        assert (gather->outstanding > 0);
        if (--gather->outstanding == 0)
            s_shards_finish (self, gather);
    }
}

//  A pending request will never be answered by its worker: fail it
static void
s_pending_fail (self_t *self, s_pending_t *pending)
{
    if (pending->gather_id) {
        s_gather_t *gather = s_gather_lookup (self, pending->gather_id);
        if (gather) {
            zyn_error_t err = { 0 };
            zyn_error_set (&err, ZYN_ERR_SERVICE_UNAVAILABLE,
                           "The worker holding a partition of this table "
                           "went away; retry the request");
            size_t size;
            void *data = zyn_proto_error_body (&err, NULL, &size);
            zframe_t *body = zframe_new (data, size);
            free (data);
            s_gather_reply (self, gather, pending->slot,
                            zyn_error_name (err.type), body);
            zframe_destroy (&body);
        }
    }
    else {
        zyn_error_t err = { 0 };
        zyn_error_set (&err, ZYN_ERR_SERVICE_UNAVAILABLE,
                       "The worker holding this partition went away before "
                       "answering; retry the request");
        s_reply_error (self, pending->client, pending->request_id, &err);
    }
}

//  Fail every request held by worker_id
static void
s_fail_pending_of (self_t *self, const char *worker_id)
{
    //  Collect first: failing a gather's part may send its next step
    zlist_t *keys = zlist_new ();
    zlist_autofree (keys);
    s_pending_t *pending = (s_pending_t *) zhashx_first (self->pending);
    while (pending) {
        if (streq (pending->worker_id, worker_id))
            zlist_append (keys, pending->key);
        pending = (s_pending_t *) zhashx_next (self->pending);
    }
    char *key = (char *) zlist_first (keys);
    while (key) {
        pending = (s_pending_t *) zhashx_lookup (self->pending, key);
        if (pending) {
            s_pending_fail (self, pending);
            zhashx_delete (self->pending, key);
        }
        key = (char *) zlist_next (keys);
    }
    zlist_destroy (&keys);
}

//  --------------------------------------------------------------------------
//  Table lifecycle

//  If every partition of a CREATING table is assigned, make it ACTIVE
static void
s_table_check_active (self_t *self, zyn_table_t *table)
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
static bool
s_table_check_dropped (self_t *self, zyn_table_t *table)
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

static int
s_compare_ids (const void *item1, const void *item2)
{
    return strcmp ((const char *) item1, (const char *) item2);
}

//  Ids of the live workers, sorted, in a NULL-terminated array the caller
//  frees (the strings are borrowed)
static const char **
s_live_workers (self_t *self)
{
    zlistx_t *ids = zlistx_new ();
    zlistx_set_comparator (ids, s_compare_ids);
    s_worker_t *worker = (s_worker_t *) zhashx_first (self->workers);
    while (worker) {
        if (worker->live)
            zlistx_add_end (ids, worker->id);
        worker = (s_worker_t *) zhashx_next (self->workers);
    }
    zlistx_sort (ids);
    const char **array
        = (const char **) zmalloc ((zlistx_size (ids) + 1) * sizeof (char *));
    size_t count = 0;
    const char *id = (const char *) zlistx_first (ids);
    while (id) {
        array [count++] = id;
        id = (const char *) zlistx_next (ids);
    }
    zlistx_destroy (&ids);
    return array;
}

static void
s_handle_create_table (self_t *self, s_request_t *request)
{
    zyn_error_t err = { 0 };
    if (zyn_tables_check_create (request->body, &err)) {
        s_reply_error (self, request->address, request->request_id, &err);
        return;
    }
    const char *name = zyn_value_map_get_s (request->body, "TableName");
    int64_t partitions = self->partitions;
    if (zyn_value_map_get (request->body, "ZynPartitions"))
        zyn_value_map_get_int (request->body, "ZynPartitions", &partitions);
    zyn_value_t *definition = zyn_tables_definition (request->body);
    const char **workers = s_live_workers (self);
    zyn_table_t *table
        = zyn_catalog_create (self->catalog, name, &definition,
                              (uint32_t) partitions, workers, &err);
    free (workers);
    if (!table) {
        s_reply_error (self, request->address, request->request_id, &err);
        return;
    }
    zsys_info ("zyn_broker: table created name=%s id=%" PRIu64
               " partitions=%u", table->name, table->id,
               table->partition_count);
    for (uint32_t i = 0; i < table->partition_count; i++) {
        zyn_partition_info_t *partition = &table->partitions [i];
        s_worker_t *worker = s_partition_worker (self, partition);
        if (worker)
            s_send_assign (self, worker, table, partition);
    }
    zyn_value_t *response = zyn_value_new_m ();
    zyn_value_t *description = zyn_tables_describe (table, self->region);
    zyn_value_map_put (response, "TableDescription", &description);
    s_reply_value (self, request->address, request->request_id, &response);
}

//  The table a DDL request names, or NULL after replying with the error
static zyn_table_t *
s_ddl_table (self_t *self, s_request_t *request)
{
    zyn_error_t err = { 0 };
    const char *name = zyn_tables_name (request->body, &err);
    zyn_table_t *table = name ? zyn_catalog_lookup (self->catalog, name)
                              : NULL;
    if (name && !table)
        zyn_error_set (&err, ZYN_ERR_RESOURCE_NOT_FOUND,
                       "Requested resource not found: Table: %s not found",
                       name);
    if (!table)
        s_reply_error (self, request->address, request->request_id, &err);
    return table;
}

static void
s_handle_describe_table (self_t *self, s_request_t *request)
{
    zyn_table_t *table = s_ddl_table (self, request);
    if (!table)
        return;
    zyn_value_t *response = zyn_value_new_m ();
    zyn_value_t *description = zyn_tables_describe (table, self->region);
    zyn_value_map_put (response, "Table", &description);
    s_reply_value (self, request->address, request->request_id, &response);
}

static void
s_handle_delete_table (self_t *self, s_request_t *request)
{
    zyn_table_t *table = s_ddl_table (self, request);
    if (!table)
        return;
    zyn_error_t err = { 0 };
    if (table->status == ZYN_TABLE_CREATING)
        zyn_error_set (&err, ZYN_ERR_RESOURCE_IN_USE,
                       "Attempt to change a resource which is still in use: "
                       "Table is being created: %s", table->name);
    else
    if (table->status == ZYN_TABLE_DELETING)
        zyn_error_set (&err, ZYN_ERR_RESOURCE_IN_USE,
                       "Attempt to change a resource which is still in use: "
                       "Table is being deleted: %s", table->name);
    else
        zyn_catalog_set_status (self->catalog, table, ZYN_TABLE_DELETING,
                                &err);
    if (zyn_error_is_set (&err)) {
        s_reply_error (self, request->address, request->request_id, &err);
        return;
    }
    zsys_info ("zyn_broker: table deleting name=%s", table->name);
    zyn_value_t *response = zyn_value_new_m ();
    zyn_value_t *description = zyn_tables_describe (table, self->region);
    zyn_value_map_put (response, "TableDescription", &description);
    s_reply_value (self, request->address, request->request_id, &response);

    //  Partitions whose worker is gone count as dropped now; that worker
    //  drops them when it comes back and reports them (see READY)
    for (uint32_t i = 0; i < table->partition_count; i++) {
        zyn_partition_info_t *partition = &table->partitions [i];
        s_worker_t *worker = s_partition_worker (self, partition);
        partition->assigned = false;
        if (worker)
            s_send_drop (self, worker, table->id, partition->id);
        else
            partition->dropped = true;
    }
    s_table_check_dropped (self, table);
}

static void
s_handle_list_tables (self_t *self, s_request_t *request)
{
    zyn_error_t err = { 0 };
    zyn_value_t *response
        = zyn_tables_list (self->catalog, request->body, &err);
    if (response)
        s_reply_value (self, request->address, request->request_id, &response);
    else
        s_reply_error (self, request->address, request->request_id, &err);
}

//  --------------------------------------------------------------------------
//  Item operations: routed by the partition key

//  The ACTIVE table an item request names, or NULL after replying
static zyn_table_t *
s_item_table (self_t *self, s_request_t *request)
{
    zyn_error_t err = { 0 };
    const char *name = zyn_tables_name (request->body, &err);
    zyn_table_t *table = name ? zyn_catalog_lookup (self->catalog, name)
                              : NULL;
    if (name && (!table || table->status != ZYN_TABLE_ACTIVE)) {
        zyn_error_set (&err, ZYN_ERR_RESOURCE_NOT_FOUND,
                       "Requested resource not found");
        table = NULL;
    }
    if (!table)
        s_reply_error (self, request->address, request->request_id, &err);
    return table;
}

//  Relay the client's request unchanged to the partition holding hash
static void
s_relay (self_t *self, s_request_t *request, zyn_table_t *table,
         zyn_partition_info_t *partition)
{
    zframe_t *body = zframe_dup (request->body_frame);
    if (s_forward (self, request->address, request->request_id,
                   request->operation, table, partition, &body, 0, 0))
        s_reply_unavailable (self, request->address, request->request_id,
                             table, partition->id);
}

static void
s_handle_item (self_t *self, s_request_t *request)
{
    zyn_table_t *table = s_item_table (self, request);
    if (!table)
        return;
    bool is_put = streq (request->operation, "PutItem");
    const char *parameter = is_put ? "Item" : "Key";
    zyn_value_t *key = zyn_value_map_get (request->body, parameter);
    zyn_error_t err = { 0 };
    uint64_t hash = 0;
    if (!key || zyn_value_type (key) == ZYN_TYPE_NULL)
        zyn_error_set (&err, ZYN_ERR_VALIDATION,
                       "1 validation error detected: Value null at '%s' "
                       "failed to satisfy constraint: Member must not be "
                       "null", is_put ? "item" : "key");
    else
        zyn_router_key_hash (table, key, is_put, &hash, &err);
    if (zyn_error_is_set (&err)) {
        s_reply_error (self, request->address, request->request_id, &err);
        return;
    }
    s_relay (self, request, table, zyn_router_lookup (table, hash));
}

//  The name an expression operand stands for: #placeholders resolve
//  through ExpressionAttributeNames. Returns a borrowed string, or NULL.
static const char *
s_resolve_name (const zyn_value_t *body, const char *token, size_t length,
                char *buf, size_t size)
{
    if (length == 0 || length >= size)
        return NULL;
    memcpy (buf, token, length);
    buf [length] = 0;
    if (buf [0] == '#') {
        zyn_value_t *names
            = zyn_value_map_get (body, "ExpressionAttributeNames");
        return names ? zyn_value_map_get_s (names, buf) : NULL;
    }
    return buf;
}

//  Find the partition key value of a Query: the operand compared with "="
//  to the partition key in KeyConditionExpression, or the EQ of legacy
//  KeyConditions. The worker parses and checks the whole condition; the
//  broker needs only the value to route by. Returns a borrowed value, or
//  NULL with err.
static const zyn_value_t *
s_query_partition_key (zyn_table_t *table, const zyn_value_t *body,
                       zyn_error_t *err)
{
    const char *expression
        = zyn_value_map_get_s (body, "KeyConditionExpression");
    zyn_value_t *conditions = zyn_value_map_get (body, "KeyConditions");
    if (expression && conditions
        && zyn_value_type (conditions) != ZYN_TYPE_NULL) {
        zyn_error_set (err, ZYN_ERR_VALIDATION,
                       "Can not use both expression and non-expression "
                       "parameters in the same request: Non-expression "
                       "parameters: {KeyConditions} Expression parameters: "
                       "{KeyConditionExpression}");
        return NULL;
    }
    if (conditions && zyn_value_type (conditions) == ZYN_TYPE_M) {
        zyn_value_t *condition
            = zyn_value_map_get (conditions, table->pk_name);
        const char *op = condition
            ? zyn_value_map_get_s (condition, "ComparisonOperator") : NULL;
        zyn_value_t *list = condition
            ? zyn_value_map_get (condition, "AttributeValueList") : NULL;
        if (op && streq (op, "EQ") && list
            && zyn_value_type (list) == ZYN_TYPE_L
            && zyn_value_size (list) == 1)
            return zyn_value_list_get (list, 0);
        zyn_error_set (err, ZYN_ERR_VALIDATION,
                       "Query condition missed key schema element: %s",
                       table->pk_name);
        return NULL;
    }
    if (!expression) {
        zyn_error_set (err, ZYN_ERR_VALIDATION,
                       "Either the KeyConditions or KeyConditionExpression "
                       "parameter must be specified in the request.");
        return NULL;
    }
    //  Tokens: names (letters, digits, _ # .), :values, operators
    zyn_value_t *values = zyn_value_map_get (body, "ExpressionAttributeValues");
    const char *tokens [64];
    size_t lengths [64];
    size_t count = 0;
    const char *cursor = expression;
    while (*cursor && count < 64) {
        if (isspace ((unsigned char) *cursor) || *cursor == '('
            || *cursor == ')' || *cursor == ',') {
            cursor++;
            continue;
        }
        const char *start = cursor;
        if (strchr ("=<>", *cursor)) {
            while (*cursor && strchr ("=<>", *cursor))
                cursor++;
        }
        else {
            while (*cursor && !isspace ((unsigned char) *cursor)
                   && !strchr ("=<>(),", *cursor))
                cursor++;
        }
        tokens [count] = start;
        lengths [count] = (size_t) (cursor - start);
        count++;
    }
    for (size_t i = 1; i + 1 < count; i++) {
        if (lengths [i] != 1 || tokens [i][0] != '=')
            continue;
        for (int side = 0; side < 2; side++) {
            size_t name_at = side ? i + 1 : i - 1;
            size_t value_at = side ? i - 1 : i + 1;
            char buf [300];
            const char *name = s_resolve_name (body, tokens [name_at],
                                               lengths [name_at], buf,
                                               sizeof (buf));
            if (!name || !streq (name, table->pk_name)
                || tokens [value_at][0] != ':' || lengths [value_at] >= 300)
                continue;
            char placeholder [300];
            memcpy (placeholder, tokens [value_at], lengths [value_at]);
            placeholder [lengths [value_at]] = 0;
            zyn_value_t *value
                = values ? zyn_value_map_get (values, placeholder) : NULL;
            if (!value) {
                zyn_error_set (err, ZYN_ERR_VALIDATION,
                               "Invalid KeyConditionExpression: An expression "
                               "attribute value used in expression is not "
                               "defined; attribute value: %s", placeholder);
                return NULL;
            }
            return value;
        }
    }
    zyn_error_set (err, ZYN_ERR_VALIDATION,
                   "Query condition missed key schema element: %s",
                   table->pk_name);
    return NULL;
}

static void
s_handle_query (self_t *self, s_request_t *request)
{
    zyn_table_t *table = s_item_table (self, request);
    if (!table)
        return;
    zyn_error_t err = { 0 };
    const char *index_name = zyn_value_map_get_s (request->body, "IndexName");
    if (index_name) {
        //  A local index shares the table's partition key; a global one
        //  is a table of its own, maintained by the indexer (not yet)
        bool local = false;
        zyn_value_t *lsis = zyn_value_map_get (table->definition,
                                               "LocalSecondaryIndexes");
        for (size_t i = 0; lsis && i < zyn_value_size (lsis); i++) {
            const char *name = zyn_value_map_get_s (
                zyn_value_list_get (lsis, i), "IndexName");
            if (name && streq (name, index_name))
                local = true;
        }
        if (!local) {
            zyn_error_set (&err, ZYN_ERR_VALIDATION,
                           "The table does not have the specified index: %s",
                           index_name);
            s_reply_error (self, request->address, request->request_id,
                           &err);
            return;
        }
    }
    const zyn_value_t *pk = s_query_partition_key (table, request->body, &err);
    uint64_t hash = 0;
    if (pk && zyn_value_type (pk) != table->pk_type)
        zyn_error_set (&err, ZYN_ERR_VALIDATION,
                       "One or more parameter values were invalid: Condition "
                       "parameter type does not match schema type");
    else
    if (pk)
        zyn_router_value_hash (pk, &hash, &err);
    if (zyn_error_is_set (&err)) {
        s_reply_error (self, request->address, request->request_id, &err);
        return;
    }
    s_relay (self, request, table, zyn_router_lookup (table, hash));
}

static void
s_handle_scan (self_t *self, s_request_t *request)
{
    zyn_table_t *table = s_item_table (self, request);
    if (!table)
        return;
    zyn_error_t err = { 0 };
    zyn_value_t *copy = zyn_value_dup (request->body);
    zyn_scan_t *scan = zyn_scan_new (table, &copy, &err);
    if (!scan) {
        s_reply_error (self, request->address, request->request_id, &err);
        return;
    }
    s_gather_t *gather = s_gather_new (self, GATHER_SCAN, request, table->id);
    gather->scan = scan;
    s_scan_step (self, gather);
}

//  --------------------------------------------------------------------------
//  Native operations

static void
s_handle_describe_endpoints (self_t *self, s_request_t *request)
{
    zyn_value_t *response = zyn_value_new_m ();
    zyn_value_map_put_s (response, "StreamEndpoint",
                         self->endpoint [2] ? self->endpoint [2] : "");
    s_reply_value (self, request->address, request->request_id, &response);
}

static void
s_handle_describe_cluster (self_t *self, s_request_t *request)
{
    zyn_value_t *response = zyn_value_new_m ();
    zyn_value_t *list = zyn_value_new_l ();
    s_worker_t *worker = (s_worker_t *) zhashx_first (self->workers);
    while (worker) {
        zyn_value_t *entry = zyn_value_new_m ();
        zyn_value_map_put_s (entry, "WorkerId", worker->id);
        zyn_value_map_put_bool (entry, "Live", worker->live);
        int64_t partitions = 0;
        zlist_t *names = zyn_catalog_names (self->catalog);
        const char *name = (const char *) zlist_first (names);
        while (name) {
            zyn_table_t *table = zyn_catalog_lookup (self->catalog, name);
            for (uint32_t i = 0; i < table->partition_count; i++)
                if (streq (table->partitions [i].worker_id, worker->id)
                    && table->partitions [i].assigned)
                    partitions++;
            name = (const char *) zlist_next (names);
        }
        zlist_destroy (&names);
        zyn_value_map_put_int (entry, "Partitions", partitions);
        zyn_value_list_append (list, &entry);
        worker = (s_worker_t *) zhashx_next (self->workers);
    }
    zyn_value_map_put (response, "Workers", &list);
    zyn_value_map_put_int (response, "Tables",
                           (int64_t) zyn_catalog_size (self->catalog));
    s_reply_value (self, request->address, request->request_id, &response);
}

static void
s_handle_get_shards (self_t *self, s_request_t *request)
{
    zyn_table_t *table = s_item_table (self, request);
    if (!table)
        return;
    //  Ask every reachable partition for its exact last sequence number:
    //  a subscriber that starts "at the end" must miss nothing committed
    //  after it subscribed, so a stale number is not good enough
    s_gather_t *gather
        = s_gather_new (self, GATHER_SHARDS, request, table->id);
    gather->outstanding = 1;        //  Held until every part is sent
    for (uint32_t i = 0; i < table->partition_count; i++) {
        zyn_partition_info_t *partition = &table->partitions [i];
        zyn_value_t *body = zyn_value_new_m ();
        zyn_value_map_put_s (body, "TableName", table->name);
        zyn_value_map_put_int (body, "PartitionId", partition->id);
        zyn_value_map_put_int (body, "StartSequenceNumber", INT64_MAX);
        zyn_value_map_put_int (body, "Limit", 1);
        size_t size;
        void *data = zyn_value_encode (body, &size);
        zyn_value_destroy (&body);
        gather->outstanding++;
        if (s_gather_send (self, gather, i, "ZynGetStreamRecords", table,
                           partition, data, size))
            gather->outstanding--;
        free (data);
    }
    if (--gather->outstanding == 0)
        s_shards_finish (self, gather);
}

static void
s_handle_get_stream_records (self_t *self, s_request_t *request)
{
    zyn_table_t *table = s_item_table (self, request);
    if (!table)
        return;
    int64_t partition_id = -1;
    zyn_value_map_get_int (request->body, "PartitionId", &partition_id);
    zyn_partition_info_t *partition
        = partition_id >= 0 && partition_id <= UINT32_MAX
        ? zyn_catalog_partition (table, (uint32_t) partition_id) : NULL;
    if (!partition) {
        zyn_error_t err = { 0 };
        zyn_error_set (&err, ZYN_ERR_RESOURCE_NOT_FOUND,
                       "Requested resource not found: Shard does not exist");
        s_reply_error (self, request->address, request->request_id, &err);
        return;
    }
    s_relay (self, request, table, partition);
}

//  The operations the broker answers, by name
typedef void (s_handler_fn) (self_t *self, s_request_t *request);
typedef struct {
    const char *name;
    s_handler_fn *handler;
} s_operation_t;

static const s_operation_t s_operations [] = {
    { "CreateTable", s_handle_create_table },
    { "DescribeTable", s_handle_describe_table },
    { "DeleteTable", s_handle_delete_table },
    { "ListTables", s_handle_list_tables },
    { "PutItem", s_handle_item },
    { "GetItem", s_handle_item },
    { "DeleteItem", s_handle_item },
    { "UpdateItem", s_handle_item },
    { "Query", s_handle_query },
    { "Scan", s_handle_scan },
    { "ZynDescribeEndpoints", s_handle_describe_endpoints },
    { "ZynDescribeCluster", s_handle_describe_cluster },
    { "ZynGetShards", s_handle_get_shards },
    { "ZynGetStreamRecords", s_handle_get_stream_records },
    { NULL, NULL }
};

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

    const s_operation_t *entry = NULL;
    if (!zyn_error_is_set (&err)) {
        for (entry = s_operations; entry->name; entry++)
            if (streq (entry->name, operation))
                break;
        if (!entry->name) {
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
        s_reply_error (self, address, request_id, &err);
    else {
        if (self->verbose)
            zsys_debug ("zyn_broker: request operation=%s", operation);
        s_request_t request = { address, request_id, operation, body_frame,
                                body };
        entry->handler (self, &request);
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
s_worker_expire (self_t *self, s_worker_t *worker, const char *why)
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
        s_table_check_dropped (self, table);
        table = (zyn_table_t *) zlist_next (dropped);
    }
    zlist_destroy (&dropped);
    s_fail_pending_of (self, worker->id);
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
    s_worker_t *worker = (s_worker_t *) zhashx_lookup (self->workers,
                                                       worker_id);
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
        worker = (s_worker_t *) zmalloc (sizeof (s_worker_t));
        worker->id = strdup (worker_id);
        zhashx_insert (self->workers, worker->id, worker);
    }
    //  Another worker id on this same address is stale
    char *address_key = zframe_strhex (address);
    s_worker_t *other = (s_worker_t *) zhashx_lookup (self->addresses,
                                                      address_key);
    if (other && other != worker) {
        s_worker_expire (self, other, "address reused");
        zhashx_delete (self->addresses, address_key);
    }
    worker->address = zframe_dup (address);
    worker->address_key = address_key;
    zhashx_update (self->addresses, worker->address_key, worker);
    worker->live = true;
    worker->expiry = zyn_mono_msecs ()
                   + (int64_t) self->heartbeat_msecs * self->heartbeat_liveness;
    zsys_info ("zyn_broker: worker joined id=%s", worker->id);

    zyn_value_t *welcome = zyn_value_new_m ();
    zyn_value_map_put_s (welcome, "StreamEndpoint",
                         self->endpoint [3] ? self->endpoint [3] : "");
    zyn_value_map_put_int (welcome, "HeartbeatInterval",
                           self->heartbeat_msecs);
    zyn_value_map_put_int (welcome, "HeartbeatLiveness",
                           self->heartbeat_liveness);
    s_send_worker (self, worker, ZYN_PROTO_WELCOME, welcome);
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
            s_send_drop (self, worker, (uint64_t) table_id,
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
                s_send_assign (self, worker, table, partition);
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

//  ASSIGNED or DROPPED from worker
static void
s_worker_partition_reply (self_t *self, s_worker_t *worker, bool assigned,
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
            s_send_drop (self, worker, (uint64_t) table_id,
                         (uint32_t) partition_id);
            return;
        }
        partition->assigned = true;
        if (last_seq > 0 && (uint64_t) last_seq > partition->last_seq)
            partition->last_seq = (uint64_t) last_seq;
        s_table_check_active (self, table);
    }
    else
    if (partition && table->status == ZYN_TABLE_DELETING) {
        partition->dropped = true;
        s_table_check_dropped (self, table);
    }
}

//  REPLY from worker: relay to the client, or feed the gather
static void
s_worker_reply (self_t *self, s_worker_t *worker, zmsg_t *msg)
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
    char *key = s_pending_key (client, request_id);
    s_pending_t *pending = (s_pending_t *) zhashx_lookup (self->pending, key);
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
        s_gather_t *gather = s_gather_lookup (self, gather_id);
        if (gather) {
            char *text = zframe_strdup (status);
            s_gather_reply (self, gather, slot, text, body);
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
    s_worker_t *worker = (s_worker_t *) zhashx_lookup (self->addresses,
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
                   + (int64_t) self->heartbeat_msecs * self->heartbeat_liveness;
    if (zframe_streq (command_frame, ZYN_PROTO_HEARTBEAT))
        ;
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
    zlist_t *expired = zlist_new ();
    s_worker_t *worker = (s_worker_t *) zhashx_first (self->workers);
    while (worker) {
        if (worker->live && now >= worker->expiry)
            zlist_append (expired, worker);
        worker = (s_worker_t *) zhashx_next (self->workers);
    }
    worker = (s_worker_t *) zlist_first (expired);
    while (worker) {
        s_worker_expire (self, worker, "heartbeat");
        worker = (s_worker_t *) zlist_next (expired);
    }
    zlist_destroy (&expired);
    if (now >= self->next_heartbeat) {
        worker = (s_worker_t *) zhashx_first (self->workers);
        while (worker) {
            if (worker->live)
                s_send_worker (self, worker, ZYN_PROTO_HEARTBEAT, NULL);
            worker = (s_worker_t *) zhashx_next (self->workers);
        }
        self->next_heartbeat = now + self->heartbeat_msecs;
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
    self->verbose = args->verbose;
    self->front = zsock_new (ZMQ_ROUTER);
    self->back = zsock_new (ZMQ_ROUTER);
    self->hub_sub = zsock_new (ZMQ_XSUB);
    self->hub_pub = zsock_new (ZMQ_XPUB);
    assert (self->front && self->back && self->hub_sub && self->hub_pub);
    //  Never block the loop on a slow peer: a full queue drops, and the
    //  peers' own timeouts and retries cover it
    zsock_set_sndtimeo (self->front, 0);
    zsock_set_sndtimeo (self->back, 0);
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
        s_table_check_dropped (self, table);
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

void
zyn_broker_actor (zsock_t *pipe, void *args)
{
    s_args_t *broker_args = (s_args_t *) args;
    self_t *self = s_self_new (pipe, broker_args);
    s_args_destroy (&broker_args);
    zsock_signal (pipe, 0);
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
            s_self_handle_front (self);
        else
        if (which == self->back)
            s_self_handle_back (self);
        else
        if (which == self->hub_sub)
            s_self_handle_hub (self, self->hub_sub, self->hub_pub);
        else
        if (which == self->hub_pub)
            s_self_handle_hub (self, self->hub_pub, self->hub_sub);
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

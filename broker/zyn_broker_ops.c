/*  =========================================================================
    zyn_broker_ops - the operations the broker answers: table operations,
    item routing, Scan walks and the native Zyn* operations

    Part of the broker actor (zyn_broker.c), run on its thread with its
    state (zyn_broker_self.h). Each handler answers its request exactly
    once, at once or, for gathers, when the last worker reply is in.
    =========================================================================
*/

#include "zyn_prelude.h"
#include "zyn_error.h"
#include "zyn_proto.h"
#include "zyn_expr.h"
#include "zyn_catalog.h"
#include "zyn_router.h"
#include "zyn_tables.h"
#include "zyn_scatter.h"
#include "zyn_gsi.h"
#include "zyn_broker.h"
#include "zyn_broker_self.h"

//  --------------------------------------------------------------------------
//  Gathers

gather_t *
zyn_broker_gather_new (self_t *self, gather_kind_t kind, request_t *request,
                       uint64_t table_id)
{
    gather_t *gather = (gather_t *) zmalloc (sizeof (gather_t));
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

void
zyn_broker_gather_remove (self_t *self, gather_t *gather)
{
    char key [24];
    snprintf (key, sizeof (key), "%" PRIu64, gather->id);
    zhashx_delete (self->gathers, key);
}

gather_t *
zyn_broker_gather_lookup (self_t *self, uint64_t gather_id)
{
    char key [24];
    snprintf (key, sizeof (key), "%" PRIu64, gather_id);
    return (gather_t *) zhashx_lookup (self->gathers, key);
}

//  Send a broker-made sub-request of gather. Returns 0, or -1 if the
//  partition has no live worker.
static int
s_gather_send (self_t *self, gather_t *gather, size_t slot,
               const char *operation, zyn_table_t *table,
               zyn_partition_info_t *partition, void *data, size_t size)
{
    zframe_t *body = zframe_new (data, size);
    zframe_t *no_client = zframe_new_empty ();
    uint64_t request_id = self->next_request_id++;
    int rc = zyn_broker_forward (self, no_client, request_id, operation, table,
                                 partition, &body, gather->id, slot);
    zframe_destroy (&no_client);
    return rc;
}

//  Send the next step of a Scan walk, or its answer when the walk is over
void
zyn_broker_scan_step (self_t *self, gather_t *gather)
{
    zyn_table_t *table = zyn_catalog_lookup_id (self->catalog,
                                                gather->table_id);
    if (!table || table->status != ZYN_TABLE_ACTIVE) {
        zyn_error_t err = { 0 };
        zyn_error_set (&err, ZYN_ERR_RESOURCE_NOT_FOUND,
                       "Requested resource not found");
        zyn_broker_reply_error (self, gather->client, gather->request_id,
                                &err);
        zyn_broker_gather_remove (self, gather);
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
        zyn_broker_reply_unavailable (self, gather->client, gather->request_id,
                                      table, partition->id);
    }
    else {
        data = zyn_scan_result (gather->scan, &size);
        zframe_t *body = zframe_new (data, size);
        free (data);
        if (gather->index_name)
            zyn_broker_gsi_reply (self, gather, ZYN_PROTO_OK, &body);
        else
            zyn_broker_reply_frames (self, gather->client,
                                     gather->request_id, ZYN_PROTO_OK,
                                     &body);
    }
    zyn_broker_gather_remove (self, gather);
}

//  Put a partition's PartitionId, HashStart and HashEnd (B, 8 octets
//  big-endian) into map
static void
s_put_range (zyn_value_t *map, const zyn_partition_info_t *partition)
{
    zyn_value_map_put_int (map, "PartitionId", partition->id);
    uint8_t hash [8];
    zyn_put_u64 (hash, partition->hash_start);
    zyn_value_t *value = zyn_value_new_b (hash, 8);
    zyn_value_map_put (map, "HashStart", &value);
    zyn_put_u64 (hash, partition->hash_end);
    value = zyn_value_new_b (hash, 8);
    zyn_value_map_put (map, "HashEnd", &value);
}

//  Answer a ZynGetShards once every partition's last sequence is known
static void
s_shards_finish (self_t *self, gather_t *gather)
{
    zyn_table_t *table = zyn_catalog_lookup_id (self->catalog,
                                                gather->table_id);
    if (!table) {
        zyn_error_t err = { 0 };
        zyn_error_set (&err, ZYN_ERR_RESOURCE_NOT_FOUND,
                       "Requested resource not found");
        zyn_broker_reply_error (self, gather->client, gather->request_id,
                                &err);
        zyn_broker_gather_remove (self, gather);
        return;
    }
    zyn_value_t *response = zyn_value_new_m ();
    zyn_value_map_put_int (response, "TableId", (int64_t) table->id);
    zyn_value_t *shards = zyn_value_new_l ();
    for (uint32_t i = 0; i < table->partition_count; i++) {
        zyn_partition_info_t *partition = &table->partitions [i];
        zyn_value_t *shard = zyn_value_new_m ();
        s_put_range (shard, partition);
        zyn_value_map_put_int (shard, "LastSequenceNumber",
                               (int64_t) partition->last_seq);
        if (partition->oldest_seq)
            zyn_value_map_put_int (shard, "OldestSequenceNumber",
                                   (int64_t) partition->oldest_seq);
        zyn_value_list_append (shards, &shard);
    }
    zyn_value_map_put (response, "Shards", &shards);
    zyn_broker_reply_value (self, gather->client, gather->request_id,
                            &response);
    zyn_broker_gather_remove (self, gather);
}

//  Answer a batch once every part is in
static void
s_batch_finish (self_t *self, gather_t *gather)
{
    zyn_error_t err = { 0 };
    size_t size;
    void *data = zyn_batch_result (gather->batch, &size, &err);
    if (data) {
        zframe_t *body = zframe_new (data, size);
        free (data);
        zyn_broker_reply_frames (self, gather->client, gather->request_id,
                                 ZYN_PROTO_OK, &body);
    }
    else
        zyn_broker_reply_error (self, gather->client, gather->request_id,
                                &err);
    zyn_broker_gather_remove (self, gather);
}

//  A worker's reply (or a failure standing in for one) to a gather's
//  sub-request. status is "OK" or an error name; body may be NULL.
void
zyn_broker_gather_reply (self_t *self, gather_t *gather, size_t slot,
                         const char *status, zframe_t *body)
{
    if (gather->kind == ZYN_GATHER_SCAN) {
        zyn_error_t err = { 0 };
        if (!streq (status, ZYN_PROTO_OK)) {
            //  The first failure ends the walk; the client sees the error
            //  as the worker gave it
            zframe_t *copy = body ? zframe_dup (body) : NULL;
            zyn_broker_reply_frames (self, gather->client, gather->request_id,
                                     status, &copy);
            zyn_broker_gather_remove (self, gather);
        }
        else
        if (zyn_scan_absorb (gather->scan, zframe_data (body),
                             zframe_size (body), &err)) {
            zyn_broker_reply_error (self, gather->client, gather->request_id,
                                    &err);
            zyn_broker_gather_remove (self, gather);
        }
        else
            zyn_broker_scan_step (self, gather);
    }
    else
    if (gather->kind == ZYN_GATHER_INDEX) {
        zframe_t *copy = body ? zframe_dup (body) : NULL;
        zyn_broker_gsi_reply (self, gather, status, &copy);
        zyn_broker_gather_remove (self, gather);
    }
    else
    if (gather->kind == ZYN_GATHER_BATCH) {
        zyn_batch_absorb (gather->batch, slot, status,
                          body ? zframe_data (body) : NULL,
                          body ? zframe_size (body) : 0);
        if (zyn_batch_is_done (gather->batch))
            s_batch_finish (self, gather);
    }
    else
    if (gather->kind == ZYN_GATHER_SHARDS) {
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
            int64_t oldest_seq = 0;
            if (reply
                && zyn_value_map_get_int (reply, "OldestSequenceNumber",
                                          &oldest_seq) == 0
                && oldest_seq > 0)
                table->partitions [slot].oldest_seq = (uint64_t) oldest_seq;
            zyn_value_destroy (&reply);
        }
        assert (gather->outstanding > 0);
        if (--gather->outstanding == 0)
            s_shards_finish (self, gather);
    }
}


static int
s_compare_ids (const void *item1, const void *item2)
{
    return strcmp ((const char *) item1, (const char *) item2);
}

//  Ids of the live workers, sorted, in a NULL-terminated array the caller
//  frees (the strings are borrowed)
const char **
zyn_broker_live_workers (self_t *self)
{
    zlistx_t *ids = zlistx_new ();
    zlistx_set_comparator (ids, s_compare_ids);
    worker_t *worker = (worker_t *) zhashx_first (self->workers);
    while (worker) {
        if (worker->live)
            zlistx_add_end (ids, worker->id);
        worker = (worker_t *) zhashx_next (self->workers);
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
s_handle_create_table (self_t *self, request_t *request)
{
    zyn_error_t err = { 0 };
    if (zyn_tables_check_create (request->body, &err)) {
        zyn_broker_reply_error (self, request->address, request->request_id,
                                &err);
        return;
    }
    const char *name = zyn_value_map_get_s (request->body, "TableName");
    int64_t partitions = self->partitions;
    if (zyn_value_map_get (request->body, "ZynPartitions"))
        zyn_value_map_get_int (request->body, "ZynPartitions", &partitions);
    zyn_value_t *definition = zyn_tables_definition (request->body);
    const char **workers = zyn_broker_live_workers (self);
    zyn_table_t *table
        = zyn_catalog_create (self->catalog, name, &definition,
                              (uint32_t) partitions, workers, &err);
    free (workers);
    if (!table) {
        zyn_broker_reply_error (self, request->address, request->request_id,
                                &err);
        return;
    }
    zsys_info ("zyn_broker: table created name=%s id=%" PRIu64
               " partitions=%u", table->name, table->id,
               table->partition_count);
    zyn_broker_assign_table (self, table);
    zyn_broker_gsi_table_created (self, table);
    zyn_broker_gsi_refresh (self, table);
    zyn_value_t *response = zyn_value_new_m ();
    zyn_value_t *description = zyn_tables_describe (table, self->region);
    zyn_value_map_put (response, "TableDescription", &description);
    zyn_broker_reply_value (self, request->address, request->request_id,
                            &response);
}

//  The table a DDL request names, or NULL after replying with the error
static zyn_table_t *
s_ddl_table (self_t *self, request_t *request)
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
        zyn_broker_reply_error (self, request->address, request->request_id,
                                &err);
    return table;
}

static void
s_handle_describe_table (self_t *self, request_t *request)
{
    zyn_table_t *table = s_ddl_table (self, request);
    if (!table)
        return;
    zyn_broker_gsi_refresh (self, table);
    zyn_value_t *response = zyn_value_new_m ();
    zyn_value_t *description = zyn_tables_describe (table, self->region);
    zyn_value_map_put (response, "Table", &description);
    zyn_broker_reply_value (self, request->address, request->request_id,
                            &response);
}

static void
s_handle_delete_table (self_t *self, request_t *request)
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
        zyn_broker_reply_error (self, request->address, request->request_id,
                                &err);
        return;
    }
    zsys_info ("zyn_broker: table deleting name=%s", table->name);
    zyn_broker_gsi_table_deleting (self, table);
    zyn_value_t *response = zyn_value_new_m ();
    zyn_value_t *description = zyn_tables_describe (table, self->region);
    zyn_value_map_put (response, "TableDescription", &description);
    zyn_broker_reply_value (self, request->address, request->request_id,
                            &response);

    //  Partitions whose worker is gone count as dropped now; that worker
    //  drops them when it comes back and reports them (see READY)
    for (uint32_t i = 0; i < table->partition_count; i++) {
        zyn_partition_info_t *partition = &table->partitions [i];
        worker_t *worker = zyn_broker_partition_worker (self, partition);
        partition->assigned = false;
        if (worker)
            zyn_broker_send_drop (self, worker, table->id, partition->id);
        else
            partition->dropped = true;
    }
    zyn_broker_table_check_dropped (self, table);
}

static void
s_handle_list_tables (self_t *self, request_t *request)
{
    zyn_error_t err = { 0 };
    zyn_value_t *response
        = zyn_tables_list (self->catalog, request->body, &err);
    if (response)
        zyn_broker_reply_value (self, request->address, request->request_id,
                                &response);
    else
        zyn_broker_reply_error (self, request->address, request->request_id,
                                &err);
}

//  --------------------------------------------------------------------------
//  Item operations: routed by the partition key

//  The ACTIVE table an item request names, or NULL after replying
static zyn_table_t *
s_item_table (self_t *self, request_t *request)
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
        zyn_broker_reply_error (self, request->address, request->request_id,
                                &err);
    return table;
}

//  Relay the client's request unchanged to the partition holding hash
static void
s_relay (self_t *self, request_t *request, zyn_table_t *table,
         zyn_partition_info_t *partition)
{
    zframe_t *body = request->body_frame;
    request->body_frame = NULL;
    if (zyn_broker_forward (self, request->address, request->request_id,
                            request->operation, table, partition, &body, 0, 0))
        zyn_broker_reply_unavailable (self, request->address,
                                      request->request_id, table,
                                      partition->id);
}

static void
s_handle_item (self_t *self, request_t *request)
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
        zyn_broker_reply_error (self, request->address, request->request_id,
                                &err);
        return;
    }
    s_relay (self, request, table, zyn_router_lookup (table, hash));
}

static void
s_handle_query (self_t *self, request_t *request)
{
    zyn_table_t *table = s_item_table (self, request);
    if (!table || zyn_broker_gsi_read (self, request, table))
        return;
    zyn_error_t err = { 0 };
    //  A local index shares the table's partition key and has its own sort
    //  key; a global one is a table of its own, kept by the indexer
    const char *index_name = zyn_value_map_get_s (request->body, "IndexName");
    const char *sk_name = table->sk_name;
    bool found = false;
    zyn_value_t *lsis = zyn_value_map_get (table->definition,
                                           "LocalSecondaryIndexes");
    for (size_t i = 0; index_name && lsis && i < zyn_value_size (lsis); i++) {
        zyn_value_t *lsi = zyn_value_list_get (lsis, i);
        const char *name = zyn_value_map_get_s (lsi, "IndexName");
        zyn_value_t *schema = zyn_value_map_get (lsi, "KeySchema");
        if (name && streq (name, index_name) && schema
            && zyn_value_size (schema) == 2) {
            sk_name = zyn_value_map_get_s (zyn_value_list_get (schema, 1),
                                           "AttributeName");
            found = true;
        }
    }
    if (index_name && !found) {
        zyn_error_set (&err, ZYN_ERR_VALIDATION,
                       "The table does not have the specified index: %s",
                       index_name);
        zyn_broker_reply_error (self, request->address, request->request_id,
                                &err);
        return;
    }
    //  The worker checks the whole request again; the broker needs the
    //  partition key value, and rejects what cannot be routed
    zyn_expr_t *expr = zyn_expr_new ("Query", request->body, &err);
    zyn_key_condition_t condition;
    uint64_t hash = 0;
    if (expr
        && zyn_expr_key_condition (expr, table->pk_name, sk_name, &condition,
                                   &err) == 0) {
        if (zyn_value_type (condition.pk) != table->pk_type)
            zyn_error_set (&err, ZYN_ERR_VALIDATION,
                           "One or more parameter values were invalid: "
                           "Condition parameter type does not match schema "
                           "type");
        else
            zyn_router_value_hash (condition.pk, &hash, &err);
    }
    zyn_expr_destroy (&expr);
    if (zyn_error_is_set (&err)) {
        zyn_broker_reply_error (self, request->address, request->request_id,
                                &err);
        return;
    }
    s_relay (self, request, table, zyn_router_lookup (table, hash));
}

static void
s_handle_scan (self_t *self, request_t *request)
{
    zyn_table_t *table = s_item_table (self, request);
    if (!table || zyn_broker_gsi_read (self, request, table))
        return;
    zyn_error_t err = { 0 };
    zyn_value_t *copy = zyn_value_dup (request->body);
    zyn_scan_t *scan = zyn_scan_new (table, &copy, &err);
    if (!scan) {
        zyn_broker_reply_error (self, request->address, request->request_id,
                                &err);
        return;
    }
    gather_t *gather = zyn_broker_gather_new (self, ZYN_GATHER_SCAN, request,
                                              table->id);
    gather->scan = scan;
    zyn_broker_scan_step (self, gather);
}

//  BatchGetItem and BatchWriteItem: one sub-request per key or item
static void
s_handle_batch (self_t *self, request_t *request)
{
    zyn_error_t err = { 0 };
    zyn_batch_t *batch = zyn_batch_new (self->catalog, request->operation,
                                        request->body, &err);
    if (!batch) {
        zyn_broker_reply_error (self, request->address, request->request_id,
                                &err);
        return;
    }
    gather_t *gather = zyn_broker_gather_new (self, ZYN_GATHER_BATCH,
                                              request, 0);
    gather->batch = batch;
    for (size_t i = 0; i < zyn_batch_size (batch); i++) {
        uint64_t hash;
        const char *operation;
        void *data;
        size_t size;
        const char *name = zyn_batch_part (batch, i, &hash, &operation,
                                           &data, &size);
        zyn_table_t *table = zyn_catalog_lookup (self->catalog, name);
        if (!table
            || s_gather_send (self, gather, i, operation, table,
                              zyn_router_lookup (table, hash), data, size))
            zyn_batch_absorb (batch, i, "ServiceUnavailable", NULL, 0);
        free (data);
    }
    if (zyn_batch_is_done (batch))
        s_batch_finish (self, gather);
}

//  --------------------------------------------------------------------------
//  Native operations

static void
s_handle_describe_endpoints (self_t *self, request_t *request)
{
    zyn_value_t *response = zyn_value_new_m ();
    zyn_value_map_put_s (response, "StreamEndpoint",
                         self->endpoint [2] ? self->endpoint [2] : "");
    zyn_broker_reply_value (self, request->address, request->request_id,
                            &response);
}

static void
s_handle_describe_cluster (self_t *self, request_t *request)
{
    zyn_value_t *response = zyn_value_new_m ();
    zyn_value_t *list = zyn_value_new_l ();
    worker_t *worker = (worker_t *) zhashx_first (self->workers);
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
        worker = (worker_t *) zhashx_next (self->workers);
    }
    zyn_value_map_put (response, "Workers", &list);
    zyn_value_map_put_int (response, "Tables",
                           (int64_t) zyn_catalog_size (self->catalog));
    zyn_broker_reply_value (self, request->address, request->request_id,
                            &response);
}

//  ZynGetRoutes: for every ACTIVE table, its partition key and, per
//  partition, the hash range and the front door of the live worker that
//  serves it, so clients can send item requests straight there (the
//  direct path, docs/protocol.md). A partition without a reachable
//  worker has no Endpoint: its requests go through the broker.
static void
s_handle_get_routes (self_t *self, request_t *request)
{
    zyn_value_t *tables = zyn_value_new_l ();
    zlist_t *names = zyn_catalog_names (self->catalog);
    for (const char *name = (const char *) zlist_first (names); name;
         name = (const char *) zlist_next (names)) {
        zyn_table_t *table = zyn_catalog_lookup (self->catalog, name);
        if (!table || table->status != ZYN_TABLE_ACTIVE || strchr (name, '/'))
            continue;
        zyn_value_t *entry = zyn_value_new_m ();
        zyn_value_map_put_s (entry, "TableName", table->name);
        zyn_value_map_put_int (entry, "TableId", (int64_t) table->id);
        zyn_value_map_put_s (entry, "PartitionKey", table->pk_name);
        zyn_value_map_put_s (entry, "PartitionKeyType",
                             zyn_type_name (table->pk_type));
        if (table->sk_name) {
            zyn_value_map_put_s (entry, "SortKey", table->sk_name);
            zyn_value_map_put_s (entry, "SortKeyType",
                                 zyn_type_name (table->sk_type));
        }
        zyn_value_t *partitions = zyn_value_new_l ();
        for (uint32_t i = 0; i < table->partition_count; i++) {
            zyn_partition_info_t *partition = &table->partitions [i];
            zyn_value_t *part = zyn_value_new_m ();
            s_put_range (part, partition);
            worker_t *worker = zyn_broker_partition_worker (self, partition);
            if (worker && partition->assigned && worker->endpoint) {
                zyn_value_map_put_s (part, "Endpoint", worker->endpoint);
                zyn_value_map_put_s (part, "FrontId", worker->front_id);
                if (worker->local_endpoint) {
                    zyn_value_map_put_s (part, "LocalEndpoint",
                                         worker->local_endpoint);
                    zyn_value_map_put_s (part, "HostId", worker->host_id);
                }
            }
            zyn_value_list_append (partitions, &part);
        }
        zyn_value_map_put (entry, "Partitions", &partitions);
        zyn_value_list_append (tables, &entry);
    }
    zlist_destroy (&names);
    zyn_value_t *response = zyn_value_new_m ();
    zyn_value_map_put (response, "Tables", &tables);
    zyn_broker_reply_value (self, request->address, request->request_id,
                            &response);
}

static void
s_handle_get_shards (self_t *self, request_t *request)
{
    zyn_table_t *table = s_item_table (self, request);
    if (!table)
        return;
    //  Ask every reachable partition for its exact last sequence number:
    //  a subscriber that starts "at the end" must miss nothing committed
    //  after it subscribed, so a stale number is not good enough
    gather_t *gather
        = zyn_broker_gather_new (self, ZYN_GATHER_SHARDS, request, table->id);
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
s_handle_get_stream_records (self_t *self, request_t *request)
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
        zyn_broker_reply_error (self, request->address, request->request_id,
                                &err);
        return;
    }
    s_relay (self, request, table, partition);
}

//  The operations the broker answers, by name
typedef void (s_handler_fn) (self_t *self, request_t *request);
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
    { "BatchGetItem", s_handle_batch },
    { "BatchWriteItem", s_handle_batch },
    { "ZynDescribeEndpoints", s_handle_describe_endpoints },
    { "ZynDescribeCluster", s_handle_describe_cluster },
    { "ZynGetShards", s_handle_get_shards },
    { "ZynGetRoutes", s_handle_get_routes },
    { "ZynGetStreamRecords", s_handle_get_stream_records },
    { NULL, NULL }
};

//  --------------------------------------------------------------------------
//  True if the broker answers operation

bool
zyn_broker_is_operation (const char *operation)
{
    for (const s_operation_t *entry = s_operations; entry->name; entry++)
        if (streq (entry->name, operation))
            return true;
    return zyn_broker_gsi_handler (operation) != NULL;
}

//  --------------------------------------------------------------------------
//  Answer a request of a known operation whose body is a map

void
zyn_broker_dispatch (self_t *self, request_t *request)
{
    for (const s_operation_t *entry = s_operations; entry->name; entry++)
        if (streq (entry->name, request->operation)) {
            entry->handler (self, request);
            return;
        }
    zyn_broker_handler_fn *handler
        = zyn_broker_gsi_handler (request->operation);
    assert (handler);
    handler (self, request);
}

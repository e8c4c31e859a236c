/*  =========================================================================
    zyn_broker_gsi - the broker's side of global secondary indexes: hidden
    index tables made and dropped with their base table or by UpdateTable,
    Query and Scan on an index, and the native operations of the indexer
    (ZynListIndexes, ZynIndexWrite, ZynIndexStatus)

    Part of the broker actor (zyn_broker.c), run on its thread with its
    state (zyn_broker_self.h). See docs/indexes.md.
    =========================================================================
*/

#include "zyn_prelude.h"
#include "zyn_error.h"
#include "zyn_proto.h"
#include "zyn_catalog.h"
#include "zyn_router.h"
#include "zyn_tables.h"
#include "zyn_scatter.h"
#include "zyn_gsi.h"
#include "zyn_broker.h"
#include "zyn_broker_self.h"

//  The hidden table of gsi of base, or NULL. Borrowed.
static zyn_table_t *
s_hidden_table (self_t *self, zyn_table_t *base, const zyn_value_t *gsi)
{
    char *name = zyn_gsi_table_name (base->name,
                                     zyn_value_map_get_s (gsi, "IndexName"));
    zyn_table_t *hidden = zyn_catalog_lookup (self->catalog, name);
    free (name);
    return hidden;
}

//  Create the hidden table of gsi of base and assign its partitions.
//  Returns 0, or -1 with err.
static int
s_create_hidden (self_t *self, zyn_table_t *base, const zyn_value_t *gsi,
                 zyn_error_t *err)
{
    char *name = zyn_gsi_table_name (base->name,
                                     zyn_value_map_get_s (gsi, "IndexName"));
    zyn_value_t *definition = zyn_gsi_definition (base, gsi);
    const char **workers = zyn_broker_live_workers (self);
    zyn_table_t *hidden
        = zyn_catalog_create (self->catalog, name, &definition,
                              base->partition_count, workers, err);
    free (workers);
    free (name);
    if (!hidden)
        return -1;
    zsys_info ("zyn_broker: index table created name=%s id=%" PRIu64,
               hidden->name, hidden->id);
    for (uint32_t i = 0; i < hidden->partition_count; i++) {
        zyn_partition_info_t *partition = &hidden->partitions [i];
        worker_t *worker = zyn_broker_partition_worker (self, partition);
        if (worker)
            zyn_broker_send_assign (self, worker, hidden, partition);
    }
    return 0;
}

//  Start deleting a hidden table: drop its partitions
static void
s_delete_hidden (self_t *self, zyn_table_t *hidden)
{
    if (hidden->status == ZYN_TABLE_DELETING)
        return;
    zyn_error_t err = { 0 };
    if (zyn_catalog_set_status (self->catalog, hidden, ZYN_TABLE_DELETING,
                                &err)) {
        zsys_error ("zyn_broker: cannot store table=%s error=%s",
                    hidden->name, err.message);
        return;
    }
    for (uint32_t i = 0; i < hidden->partition_count; i++) {
        zyn_partition_info_t *partition = &hidden->partitions [i];
        worker_t *worker = zyn_broker_partition_worker (self, partition);
        partition->assigned = false;
        if (worker)
            zyn_broker_send_drop (self, worker, hidden->id, partition->id);
        else
            partition->dropped = true;
    }
    zyn_broker_table_check_dropped (self, hidden);
}

//  --------------------------------------------------------------------------
//  A table was created: create the hidden tables of its indexes

void
zyn_broker_gsi_table_created (self_t *self, zyn_table_t *table)
{
    zyn_value_t *gsis = zyn_value_map_get (table->definition,
                                           "GlobalSecondaryIndexes");
    for (size_t i = 0; gsis && i < zyn_value_size (gsis); i++) {
        zyn_error_t err = { 0 };
        if (s_create_hidden (self, table, zyn_value_list_get (gsis, i), &err))
            zsys_error ("zyn_broker: cannot create index table=%s error=%s",
                        table->name, err.message);
    }
}

//  --------------------------------------------------------------------------
//  A table is being deleted: delete the hidden tables of its indexes

void
zyn_broker_gsi_table_deleting (self_t *self, zyn_table_t *table)
{
    zyn_value_t *gsis = zyn_value_map_get (table->definition,
                                           "GlobalSecondaryIndexes");
    for (size_t i = 0; gsis && i < zyn_value_size (gsis); i++) {
        zyn_table_t *hidden = s_hidden_table (self, table,
                                              zyn_value_list_get (gsis, i));
        if (hidden)
            s_delete_hidden (self, hidden);
    }
}

//  --------------------------------------------------------------------------
//  Bring the IndexStatus and ItemCount of table's indexes up to date for
//  DescribeTable: the count is the entries in the hidden table's
//  partitions, as their workers last reported them

void
zyn_broker_gsi_refresh (self_t *self, zyn_table_t *table)
{
    zyn_value_t *gsis = zyn_value_map_get (table->definition,
                                           "GlobalSecondaryIndexes");
    for (size_t i = 0; gsis && i < zyn_value_size (gsis); i++) {
        zyn_value_t *gsi = zyn_value_list_get (gsis, i);
        zyn_table_t *hidden = s_hidden_table (self, table, gsi);
        zyn_value_t *backfilling = zyn_value_map_get (gsi, "ZynBackfilling");
        const char *status = "ACTIVE";
        if (!hidden || hidden->status == ZYN_TABLE_DELETING)
            status = "DELETING";
        else
        if (hidden->status == ZYN_TABLE_CREATING
            || (backfilling && zyn_value_bool (backfilling)))
            status = "CREATING";
        zyn_value_map_put_s (gsi, "IndexStatus", status);
        int64_t items = 0;
        for (uint32_t p = 0; hidden && p < hidden->partition_count; p++)
            items += hidden->partitions [p].item_count;
        zyn_value_map_put_int (gsi, "ZynItemCount", items);
    }
}

//  --------------------------------------------------------------------------
//  Query or Scan on a global secondary index

//  The index and table a gather of kind ZYN_GATHER_INDEX reads
static zyn_value_t *
s_gather_gsi (self_t *self, gather_t *gather, zyn_table_t **base_p)
{
    *base_p = zyn_catalog_lookup_id (self->catalog, gather->base_id);
    return *base_p && gather->index_name
         ? zyn_gsi_find (*base_p, gather->index_name) : NULL;
}

bool
zyn_broker_gsi_read (self_t *self, request_t *request, zyn_table_t *table)
{
    const char *index_name = zyn_value_map_get_s (request->body, "IndexName");
    zyn_value_t *gsi = index_name ? zyn_gsi_find (table, index_name) : NULL;
    if (!gsi)
        return false;
    zyn_error_t err = { 0 };
    zyn_table_t *hidden = s_hidden_table (self, table, gsi);
    bool is_query = streq (request->operation, "Query");
    char *hidden_name = zyn_gsi_table_name (table->name, index_name);
    uint64_t hash = 0;
    zyn_value_t *rewritten
        = zyn_gsi_rewrite (table, gsi, request->operation, request->body,
                           hidden_name, &hash, &err);
    free (hidden_name);
    if (rewritten && (!hidden || hidden->status != ZYN_TABLE_ACTIVE)) {
        zyn_error_set (&err, ZYN_ERR_RESOURCE_NOT_FOUND,
                       "Requested resource not found");
        zyn_value_destroy (&rewritten);
    }
    if (!rewritten) {
        zyn_broker_reply_error (self, request->address, request->request_id,
                                &err);
        return true;
    }
    gather_t *gather = zyn_broker_gather_new (
        self, is_query ? ZYN_GATHER_INDEX : ZYN_GATHER_SCAN, request,
        hidden->id);
    gather->index_name = strdup (index_name);
    gather->base_id = table->id;
    if (is_query) {
        size_t size;
        void *data = zyn_value_encode (rewritten, &size);
        zyn_value_destroy (&rewritten);
        zframe_t *body = zframe_new (data, size);
        free (data);
        zframe_t *no_client = zframe_new_empty ();
        zyn_partition_info_t *partition = zyn_router_lookup (hidden, hash);
        if (zyn_broker_forward (self, no_client, self->next_request_id++,
                                "Query", hidden, partition, &body, gather->id,
                                0)) {
            zyn_broker_reply_unavailable (self, gather->client,
                                          gather->request_id, hidden,
                                          partition->id);
            zyn_broker_gather_remove (self, gather);
        }
        zframe_destroy (&no_client);
        return true;
    }
    gather->scan = zyn_scan_new (hidden, &rewritten, &err);
    if (!gather->scan) {
        zyn_broker_reply_error (self, request->address, request->request_id,
                                &err);
        zyn_broker_gather_remove (self, gather);
        return true;
    }
    zyn_broker_scan_step (self, gather);
    return true;
}

//  --------------------------------------------------------------------------
//  Send the client the reply of an index read (body: the hidden table's
//  answer). Takes ownership of *body_p.

void
zyn_broker_gsi_reply (self_t *self, gather_t *gather, const char *status,
                      zframe_t **body_p)
{
    zyn_table_t *base;
    zyn_value_t *gsi = s_gather_gsi (self, gather, &base);
    if (streq (status, ZYN_PROTO_OK) && *body_p && gsi) {
        size_t size;
        void *data = zyn_gsi_reply (base, gsi, zframe_data (*body_p),
                                    zframe_size (*body_p), &size);
        if (data) {
            zframe_destroy (body_p);
            *body_p = zframe_new (data, size);
            free (data);
        }
    }
    zyn_broker_reply_frames (self, gather->client, gather->request_id, status,
                             body_p);
}

//  --------------------------------------------------------------------------
//  UpdateTable: GlobalSecondaryIndexUpdates (Create, Delete)

//  Check a new index as CreateTable would, with the table's other indexes
//  and the merged AttributeDefinitions
static int
s_check_new_index (zyn_table_t *table, const zyn_value_t *request,
                   const zyn_value_t *create, zyn_value_t **attrs_p,
                   zyn_error_t *err)
{
    zyn_value_t *check = zyn_value_new_m ();
    zyn_value_map_put_s (check, "TableName", table->name);
    const char *copied [] = { "KeySchema", "BillingMode",
                              "ProvisionedThroughput",
                              "LocalSecondaryIndexes", NULL };
    for (int i = 0; copied [i]; i++) {
        zyn_value_t *value = zyn_value_map_get (table->definition,
                                                copied [i]);
        if (value) {
            value = zyn_value_dup (value);
            zyn_value_map_put (check, copied [i], &value);
        }
    }
    //  Every attribute definition the table has, plus the request's
    zyn_value_t *attrs = zyn_value_dup (
        zyn_value_map_get (table->definition, "AttributeDefinitions"));
    zyn_value_t *given = zyn_value_map_get (request, "AttributeDefinitions");
    for (size_t i = 0; given && i < zyn_value_size (given); i++) {
        zyn_value_t *attr = zyn_value_list_get (given, i);
        const char *name = zyn_value_map_get_s (attr, "AttributeName");
        bool known = false;
        for (size_t j = 0; name && j < zyn_value_size (attrs); j++) {
            const char *other = zyn_value_map_get_s (
                zyn_value_list_get (attrs, j), "AttributeName");
            if (other && streq (other, name))
                known = true;
        }
        if (!known) {
            zyn_value_t *copy = zyn_value_dup (attr);
            zyn_value_list_append (attrs, &copy);
        }
    }
    //  Keep only what some key uses, as CreateTable demands
    zyn_value_t *gsis = zyn_value_dup (
        zyn_value_map_get (table->definition, "GlobalSecondaryIndexes"));
    if (!gsis)
        gsis = zyn_value_new_l ();
    zyn_value_t *entry = zyn_value_dup (create);
    zyn_value_list_append (gsis, &entry);
    zyn_value_t *used = zyn_value_new_l ();
    for (size_t j = 0; j < zyn_value_size (attrs); j++) {
        zyn_value_t *attr = zyn_value_list_get (attrs, j);
        const char *name = zyn_value_map_get_s (attr, "AttributeName");
        bool is_used = false;
        zyn_value_t *schemas [64];
        size_t schema_count = 0;
        schemas [schema_count++] = zyn_value_map_get (table->definition,
                                                      "KeySchema");
        zyn_value_t *lsis = zyn_value_map_get (table->definition,
                                               "LocalSecondaryIndexes");
        for (size_t k = 0; lsis && k < zyn_value_size (lsis)
                           && schema_count < 64; k++)
            schemas [schema_count++] = zyn_value_map_get (
                zyn_value_list_get (lsis, k), "KeySchema");
        for (size_t k = 0; k < zyn_value_size (gsis) && schema_count < 64;
             k++)
            schemas [schema_count++] = zyn_value_map_get (
                zyn_value_list_get (gsis, k), "KeySchema");
        for (size_t k = 0; k < schema_count; k++)
            for (size_t m = 0; schemas [k] && m < zyn_value_size (schemas [k]);
                 m++) {
                const char *key = zyn_value_map_get_s (
                    zyn_value_list_get (schemas [k], m), "AttributeName");
                if (key && name && streq (key, name))
                    is_used = true;
            }
        if (is_used) {
            zyn_value_t *copy = zyn_value_dup (attr);
            zyn_value_list_append (used, &copy);
        }
    }
    zyn_value_destroy (&attrs);
    //  Our bookkeeping fields are not CreateTable's
    for (size_t k = 0; k < zyn_value_size (gsis); k++) {
        zyn_value_t *gsi = zyn_value_list_get (gsis, k);
        const char *ours [] = { "IndexStatus", "ZynBackfilling", NULL };
        for (int m = 0; ours [m]; m++) {
            zyn_value_t *dropped = zyn_value_map_take (gsi, ours [m]);
            zyn_value_destroy (&dropped);
        }
    }
    zyn_value_t *copy = zyn_value_dup (used);
    zyn_value_map_put (check, "AttributeDefinitions", &copy);
    zyn_value_map_put (check, "GlobalSecondaryIndexes", &gsis);
    int rc = zyn_tables_check_create (check, err);
    zyn_value_destroy (&check);
    if (rc == 0)
        *attrs_p = used;
    else
        zyn_value_destroy (&used);
    return rc;
}

static void
s_handle_update_table (self_t *self, request_t *request)
{
    zyn_error_t err = { 0 };
    const char *name = zyn_tables_name (request->body, &err);
    zyn_table_t *table = name ? zyn_catalog_lookup (self->catalog, name)
                              : NULL;
    if (name && (!table || zyn_gsi_is_hidden (name)))
        zyn_error_set (&err, ZYN_ERR_RESOURCE_NOT_FOUND,
                       "Requested resource not found: Table: %s not found",
                       name);
    zyn_value_t *updates = table ? zyn_value_map_get (
                               request->body, "GlobalSecondaryIndexUpdates")
                                 : NULL;
    const char *settings [] = { "StreamSpecification", "BillingMode",
                                "ProvisionedThroughput", NULL };
    bool has_settings = false;
    for (int i = 0; table && settings [i]; i++)
        if (zyn_value_map_get (request->body, settings [i]))
            has_settings = true;
    if (table && !has_settings
        && (!updates || zyn_value_type (updates) != ZYN_TYPE_L
            || zyn_value_size (updates) == 0))
        zyn_error_set (&err, ZYN_ERR_VALIDATION,
                       "At least one of ProvisionedThroughput, BillingMode, "
                       "UpdateStreamEnabled, GlobalSecondaryIndexUpdates or "
                       "SSESpecification or ReplicaUpdates is required");
    else
    if (table && updates && zyn_value_size (updates) > 1)
        zyn_error_set (&err, ZYN_ERR_LIMIT_EXCEEDED,
                       "Subscriber limit exceeded: Only 1 online index can "
                       "be created or deleted simultaneously per table");
    else
    if (table && table->status != ZYN_TABLE_ACTIVE)
        zyn_error_set (&err, ZYN_ERR_RESOURCE_IN_USE,
                       "Attempt to change a resource which is still in use: "
                       "Table is being %s: %s",
                       table->status == ZYN_TABLE_CREATING ? "created"
                                                           : "deleted",
                       table->name);
    if (zyn_error_is_set (&err)) {
        zyn_broker_reply_error (self, request->address, request->request_id,
                                &err);
        return;
    }
    //  Settings are taken as given: the definition holds them as
    //  CreateTable would have
    for (int i = 0; settings [i]; i++) {
        zyn_value_t *value = zyn_value_map_get (request->body, settings [i]);
        if (value) {
            value = zyn_value_dup (value);
            zyn_value_map_put (table->definition, settings [i], &value);
        }
    }
    if (!updates || zyn_value_size (updates) == 0) {
        if (zyn_catalog_save (self->catalog, table, &err)) {
            zyn_broker_reply_error (self, request->address,
                                    request->request_id, &err);
            return;
        }
        zyn_broker_gsi_refresh (self, table);
        zyn_value_t *response = zyn_value_new_m ();
        zyn_value_t *description = zyn_tables_describe (table, self->region);
        zyn_value_map_put (response, "TableDescription", &description);
        zyn_broker_reply_value (self, request->address, request->request_id,
                                &response);
        return;
    }
    zyn_value_t *update = zyn_value_list_get (updates, 0);
    zyn_value_t *create = zyn_value_map_get (update, "Create");
    zyn_value_t *delete = zyn_value_map_get (update, "Delete");
    const char *index_name = zyn_value_map_get_s (create ? create : delete,
                                                  "IndexName");
    zyn_value_t *attrs = NULL;
    if ((!create && !delete) || (create && delete) || !index_name)
        zyn_error_set (&err, ZYN_ERR_VALIDATION,
                       "One or more parameter values were invalid: One of "
                       "GlobalSecondaryIndexUpdate.Update, "
                       "GlobalSecondaryIndexUpdate.Create, "
                       "GlobalSecondaryIndexUpdate.Delete must not be null");
    else
    if (delete && !zyn_gsi_find (table, index_name))
        zyn_error_set (&err, ZYN_ERR_RESOURCE_NOT_FOUND,
                       "Requested resource not found: Requested index %s "
                       "not found", index_name);
    else
    if (create && zyn_gsi_find (table, index_name))
        zyn_error_set (&err, ZYN_ERR_VALIDATION,
                       "One or more parameter values were invalid: "
                       "Attempting to create an index which already "
                       "exists");
    else
    if (create)
        s_check_new_index (table, request->body, create, &attrs, &err);
    if (!zyn_error_is_set (&err)) {
        zyn_value_t *gsis = zyn_value_map_get (table->definition,
                                               "GlobalSecondaryIndexes");
        for (size_t i = 0; gsis && i < zyn_value_size (gsis); i++) {
            zyn_value_t *gsi = zyn_value_list_get (gsis, i);
            zyn_table_t *hidden = s_hidden_table (self, table, gsi);
            zyn_value_t *backfilling
                = zyn_value_map_get (gsi, "ZynBackfilling");
            if (create && ((backfilling && zyn_value_bool (backfilling))
                           || (hidden && hidden->status
                                             != ZYN_TABLE_ACTIVE)))
                zyn_error_set (&err, ZYN_ERR_LIMIT_EXCEEDED,
                               "Subscriber limit exceeded: Only 1 online "
                               "index can be created or deleted "
                               "simultaneously per table");
        }
        char *hidden_name = zyn_gsi_table_name (table->name, index_name);
        zyn_table_t *old = zyn_catalog_lookup (self->catalog, hidden_name);
        if (create && old)
            zyn_error_set (&err, ZYN_ERR_LIMIT_EXCEEDED,
                           "Subscriber limit exceeded: Only 1 online index "
                           "can be created or deleted simultaneously per "
                           "table");
        free (hidden_name);
    }
    if (zyn_error_is_set (&err)) {
        zyn_value_destroy (&attrs);
        zyn_broker_reply_error (self, request->address, request->request_id,
                                &err);
        return;
    }
    if (create) {
        zyn_value_t *gsis = zyn_value_map_get (table->definition,
                                               "GlobalSecondaryIndexes");
        if (!gsis) {
            zyn_value_t *list = zyn_value_new_l ();
            zyn_value_map_put (table->definition, "GlobalSecondaryIndexes",
                               &list);
            gsis = zyn_value_map_get (table->definition,
                                      "GlobalSecondaryIndexes");
        }
        zyn_value_t *entry = zyn_value_new_m ();
        const char *fields [] = { "IndexName", "KeySchema", "Projection",
                                  "ProvisionedThroughput", NULL };
        for (int i = 0; fields [i]; i++) {
            zyn_value_t *value = zyn_value_map_get (create, fields [i]);
            if (value) {
                value = zyn_value_dup (value);
                zyn_value_map_put (entry, fields [i], &value);
            }
        }
        zyn_value_map_put_bool (entry, "ZynBackfilling", true);
        zyn_value_list_append (gsis, &entry);
        zyn_value_map_put (table->definition, "AttributeDefinitions", &attrs);
        entry = zyn_value_list_get (gsis, zyn_value_size (gsis) - 1);
        if (s_create_hidden (self, table, entry, &err)) {
            zyn_value_t *dropped = zyn_value_list_take (
                gsis, zyn_value_size (gsis) - 1);
            zyn_value_destroy (&dropped);
        }
        zsys_info ("zyn_broker: index creating table=%s index=%s",
                   table->name, index_name);
    }
    else {
        zyn_value_t *gsis = zyn_value_map_get (table->definition,
                                               "GlobalSecondaryIndexes");
        for (size_t i = 0; i < zyn_value_size (gsis); i++) {
            zyn_value_t *gsi = zyn_value_list_get (gsis, i);
            const char *other = zyn_value_map_get_s (gsi, "IndexName");
            if (other && streq (other, index_name)) {
                zyn_table_t *hidden = s_hidden_table (self, table, gsi);
                if (hidden)
                    s_delete_hidden (self, hidden);
                zyn_value_t *dropped = zyn_value_list_take (gsis, i);
                zyn_value_destroy (&dropped);
                break;
            }
        }
        if (zyn_value_size (gsis) == 0) {
            zyn_value_t *dropped = zyn_value_map_take (
                table->definition, "GlobalSecondaryIndexes");
            zyn_value_destroy (&dropped);
        }
        zsys_info ("zyn_broker: index deleted table=%s index=%s",
                   table->name, index_name);
    }
    if (!zyn_error_is_set (&err))
        zyn_catalog_save (self->catalog, table, &err);
    if (zyn_error_is_set (&err)) {
        zyn_broker_reply_error (self, request->address, request->request_id,
                                &err);
        return;
    }
    //  The workers check writes against the global indexes: they get
    //  the new descriptor
    zyn_broker_assign_table (self, table);
    zyn_broker_gsi_refresh (self, table);
    zyn_value_t *response = zyn_value_new_m ();
    zyn_value_t *description = zyn_tables_describe (table, self->region);
    zyn_value_map_put (response, "TableDescription", &description);
    zyn_broker_reply_value (self, request->address, request->request_id,
                            &response);
}

//  --------------------------------------------------------------------------
//  ZynListIndexes: every global secondary index whose hidden table is
//  ACTIVE, for the indexer

static void
s_handle_list_indexes (self_t *self, request_t *request)
{
    zyn_value_t *list = zyn_value_new_l ();
    zlist_t *names = zyn_catalog_names (self->catalog);
    const char *name = (const char *) zlist_first (names);
    while (name) {
        zyn_table_t *table = zyn_catalog_lookup (self->catalog, name);
        zyn_value_t *gsis = table->status == ZYN_TABLE_ACTIVE
            ? zyn_value_map_get (table->definition, "GlobalSecondaryIndexes")
            : NULL;
        for (size_t i = 0; gsis && i < zyn_value_size (gsis); i++) {
            zyn_value_t *gsi = zyn_value_list_get (gsis, i);
            zyn_table_t *hidden = s_hidden_table (self, table, gsi);
            if (!hidden || hidden->status != ZYN_TABLE_ACTIVE)
                continue;
            zyn_value_t *entry = zyn_value_new_m ();
            zyn_value_map_put_s (entry, "TableName", table->name);
            zyn_value_map_put_int (entry, "TableId", (int64_t) table->id);
            zyn_value_map_put_s (entry, "IndexName",
                                 zyn_value_map_get_s (gsi, "IndexName"));
            zyn_value_map_put_int (entry, "IndexTableId",
                                   (int64_t) hidden->id);
            zyn_value_t *backfilling = zyn_value_map_get (gsi,
                                                          "ZynBackfilling");
            zyn_value_map_put_bool (entry, "Backfilling",
                                    backfilling
                                        && zyn_value_bool (backfilling));
            zyn_value_t *schema = zyn_value_dup (
                zyn_value_map_get (gsi, "KeySchema"));
            zyn_value_map_put (entry, "KeySchema", &schema);
            zyn_value_t *lag = zyn_value_map_get (gsi, "ZynLag");
            if (lag) {
                lag = zyn_value_dup (lag);
                zyn_value_map_put (entry, "Lag", &lag);
            }
            zyn_value_list_append (list, &entry);
        }
        name = (const char *) zlist_next (names);
    }
    zlist_destroy (&names);
    zyn_value_t *response = zyn_value_new_m ();
    zyn_value_map_put (response, "Indexes", &list);
    zyn_broker_reply_value (self, request->address, request->request_id,
                            &response);
}

//  The base table and index a native index request names, checking that
//  the index is still the incarnation (IndexTableId) the indexer knows;
//  NULL after replying with the error
static zyn_value_t *
s_index_request (self_t *self, request_t *request, zyn_table_t **base_p,
                 zyn_table_t **hidden_p)
{
    const char *name = zyn_value_map_get_s (request->body, "TableName");
    const char *index_name = zyn_value_map_get_s (request->body, "IndexName");
    int64_t hidden_id = -1;
    zyn_value_map_get_int (request->body, "IndexTableId", &hidden_id);
    zyn_table_t *base = name ? zyn_catalog_lookup (self->catalog, name)
                             : NULL;
    zyn_value_t *gsi = base ? zyn_gsi_find (base, index_name) : NULL;
    zyn_table_t *hidden = gsi ? s_hidden_table (self, base, gsi) : NULL;
    if (!hidden || (int64_t) hidden->id != hidden_id
        || hidden->status != ZYN_TABLE_ACTIVE
        || base->status != ZYN_TABLE_ACTIVE) {
        zyn_error_t err = { 0 };
        zyn_error_set (&err, ZYN_ERR_RESOURCE_NOT_FOUND,
                       "Requested resource not found: Index: %s not found",
                       index_name ? index_name : "");
        zyn_broker_reply_error (self, request->address, request->request_id,
                                &err);
        return NULL;
    }
    *base_p = base;
    *hidden_p = hidden;
    return gsi;
}

//  --------------------------------------------------------------------------
//  ZynIndexWrite: {"TableName", "IndexName", "IndexTableId", "Image": item,
//  "Delete": bool}. Puts (or deletes) the index entry of a base item; an
//  item that is not in the index is answered at once.

static void
s_handle_index_write (self_t *self, request_t *request)
{
    zyn_table_t *base, *hidden;
    zyn_value_t *gsi = s_index_request (self, request, &base, &hidden);
    if (!gsi)
        return;
    zyn_value_t *delete = zyn_value_map_get (request->body, "Delete");
    bool is_delete = delete && zyn_value_bool (delete);
    zyn_value_t *entry = zyn_gsi_entry (
        base, gsi, zyn_value_map_get (request->body, "Image"), is_delete);
    if (!entry) {
        zyn_value_t *response = zyn_value_new_m ();
        zyn_broker_reply_value (self, request->address, request->request_id,
                                &response);
        return;
    }
    uint64_t hash = 0;
    zyn_router_key_hash (hidden, entry, true, &hash, NULL);
    zyn_value_t *body = zyn_value_new_m ();
    zyn_value_map_put_s (body, "TableName", hidden->name);
    zyn_value_map_put (body, is_delete ? "Key" : "Item", &entry);
    size_t size;
    void *data = zyn_value_encode (body, &size);
    zyn_value_destroy (&body);
    zframe_t *frame = zframe_new (data, size);
    free (data);
    zyn_partition_info_t *partition = zyn_router_lookup (hidden, hash);
    if (zyn_broker_forward (self, request->address, request->request_id,
                            is_delete ? "DeleteItem" : "PutItem", hidden,
                            partition, &frame, 0, 0))
        zyn_broker_reply_unavailable (self, request->address,
                                      request->request_id, hidden,
                                      partition->id);
}

//  --------------------------------------------------------------------------
//  ZynIndexStatus: {"TableName", "IndexName", "IndexTableId", "Backfilled":
//  bool, "Lag": n}. The indexer reports progress: a backfilled index
//  becomes ACTIVE; Lag (records not yet applied) is kept for
//  ZynListIndexes.

static void
s_handle_index_status (self_t *self, request_t *request)
{
    zyn_table_t *base, *hidden;
    zyn_value_t *gsi = s_index_request (self, request, &base, &hidden);
    if (!gsi)
        return;
    int64_t lag = 0;
    if (zyn_value_map_get_int (request->body, "Lag", &lag) == 0)
        zyn_value_map_put_int (gsi, "ZynLag", lag);
    zyn_value_t *backfilled = zyn_value_map_get (request->body, "Backfilled");
    zyn_value_t *backfilling = zyn_value_map_get (gsi, "ZynBackfilling");
    zyn_error_t err = { 0 };
    if (backfilled && zyn_value_bool (backfilled) && backfilling
        && zyn_value_bool (backfilling)) {
        zyn_value_map_put_bool (gsi, "ZynBackfilling", false);
        if (zyn_catalog_save (self->catalog, base, &err) == 0)
            zsys_info ("zyn_broker: index active table=%s index=%s",
                       base->name, zyn_value_map_get_s (gsi, "IndexName"));
    }
    if (zyn_error_is_set (&err)) {
        zyn_broker_reply_error (self, request->address, request->request_id,
                                &err);
        return;
    }
    zyn_value_t *response = zyn_value_new_m ();
    zyn_broker_reply_value (self, request->address, request->request_id,
                            &response);
}

//  --------------------------------------------------------------------------
//  The operations of this module, by name; NULL if operation is not one

zyn_broker_handler_fn *
zyn_broker_gsi_handler (const char *operation)
{
    if (streq (operation, "UpdateTable"))
        return s_handle_update_table;
    if (streq (operation, "ZynListIndexes"))
        return s_handle_list_indexes;
    if (streq (operation, "ZynIndexWrite"))
        return s_handle_index_write;
    if (streq (operation, "ZynIndexStatus"))
        return s_handle_index_status;
    return NULL;
}

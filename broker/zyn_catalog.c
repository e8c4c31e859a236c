/*  =========================================================================
    zyn_catalog - the broker's catalog of tables and partitions, kept in
    the broker's own LevelDB

    Rows of the store:
        "n"            next table id, 8 octets big-endian
        "t" | name     one table, a MessagePack map: TableName, TableId,
                       TableStatus, CreationDateTime (ms), Definition (the
                       CreateTable request), Partitions [{PartitionId,
                       HashStart B(8), HashEnd B(8), WorkerId}]
    A new table and the advanced counter are one WriteBatch, written with
    sync, so an id is never given twice even across a crash.
    =========================================================================
*/

#include "zyn_prelude.h"
#include "zyn_error.h"
#include "zyn_catalog.h"
#include "zyn_router.h"

struct zyn_catalog {
    leveldb_t *db;                  //  Owned, closed in destroy
    leveldb_options_t *options;     //  Owned
    leveldb_readoptions_t *roptions;    //  Owned
    leveldb_writeoptions_t *woptions;   //  Owned, sync
    zhashx_t *tables;               //  Owned, name -> zyn_table_t
    uint64_t next_id;               //  Next table id to give
};

#define CATALOG_COUNTER_KEY "n"

static void
s_table_destroy (zyn_table_t **self_p)
{
    assert (self_p);
    zyn_table_t *self = *self_p;
    if (self) {
        for (uint32_t i = 0; i < self->partition_count; i++)
            free (self->partitions [i].worker_id);
        free (self->partitions);
        zyn_value_destroy (&self->definition);
        free (self->name);
        free (self);
        *self_p = NULL;
    }
}

static void
s_table_destructor (void **item)
{
    s_table_destroy ((zyn_table_t **) item);
}

//  Find the key names and types of the table from its definition. The
//  definition was validated when the table was created; a record that does
//  not hold them is malformed.
static int
s_table_resolve_keys (zyn_table_t *self)
{
    zyn_value_t *schema = zyn_value_map_get (self->definition, "KeySchema");
    zyn_value_t *attrs
        = zyn_value_map_get (self->definition, "AttributeDefinitions");
    if (!schema || zyn_value_type (schema) != ZYN_TYPE_L || !attrs
        || zyn_value_type (attrs) != ZYN_TYPE_L)
        return -1;
    self->pk_name = NULL;
    self->sk_name = NULL;
    for (size_t i = 0; i < zyn_value_size (schema); i++) {
        zyn_value_t *element = zyn_value_list_get (schema, i);
        const char *name = zyn_value_map_get_s (element, "AttributeName");
        const char *key_type = zyn_value_map_get_s (element, "KeyType");
        if (!name || !key_type)
            return -1;
        zyn_type_t type = 0;
        for (size_t j = 0; j < zyn_value_size (attrs); j++) {
            zyn_value_t *attr = zyn_value_list_get (attrs, j);
            const char *attr_name
                = zyn_value_map_get_s (attr, "AttributeName");
            const char *attr_type
                = zyn_value_map_get_s (attr, "AttributeType");
            if (attr_name && attr_type && streq (attr_name, name))
                type = zyn_type_from_name (attr_type);
        }
        if (type != ZYN_TYPE_S && type != ZYN_TYPE_N && type != ZYN_TYPE_B)
            return -1;
        if (streq (key_type, "HASH")) {
            self->pk_name = name;
            self->pk_type = type;
        }
        else {
            self->sk_name = name;
            self->sk_type = type;
        }
    }
    return self->pk_name ? 0 : -1;
}

static int
s_store_error (zyn_error_t *err, const char *what, char *errptr)
{
    zsys_error ("zyn_catalog: %s failed error=%s", what,
                errptr ? errptr : "?");
    zyn_error_set (err, ZYN_ERR_INTERNAL, "Internal server error: catalog %s",
                   what);
    leveldb_free (errptr);
    return -1;
}

//  Encode a table as its stored record. Caller frees.
static void *
s_table_encode (zyn_table_t *self, size_t *size)
{
    zyn_value_t *record = zyn_value_new_m ();
    zyn_value_map_put_s (record, "TableName", self->name);
    zyn_value_map_put_int (record, "TableId", (int64_t) self->id);
    zyn_value_map_put_s (record, "TableStatus",
                         zyn_table_status_name (self->status));
    zyn_value_map_put_int (record, "CreationDateTime", self->created_msecs);
    zyn_value_t *definition = zyn_value_dup (self->definition);
    zyn_value_map_put (record, "Definition", &definition);
    zyn_value_t *partitions = zyn_value_new_l ();
    for (uint32_t i = 0; i < self->partition_count; i++) {
        zyn_partition_info_t *partition = &self->partitions [i];
        zyn_value_t *entry = zyn_value_new_m ();
        uint8_t hash [8];
        zyn_value_map_put_int (entry, "PartitionId", partition->id);
        zyn_put_u64 (hash, partition->hash_start);
        zyn_value_t *value = zyn_value_new_b (hash, 8);
        zyn_value_map_put (entry, "HashStart", &value);
        zyn_put_u64 (hash, partition->hash_end);
        value = zyn_value_new_b (hash, 8);
        zyn_value_map_put (entry, "HashEnd", &value);
        zyn_value_map_put_s (entry, "WorkerId", partition->worker_id);
        zyn_value_list_append (partitions, &entry);
    }
    zyn_value_map_put (record, "Partitions", &partitions);
    void *data = zyn_value_encode (record, size);
    zyn_value_destroy (&record);
    return data;
}

static uint64_t
s_get_hash (const zyn_value_t *map, const char *name, bool *ok)
{
    zyn_value_t *value = zyn_value_map_get (map, name);
    if (!value || zyn_value_type (value) != ZYN_TYPE_B
        || zyn_value_size (value) != 8) {
        *ok = false;
        return 0;
    }
    return zyn_get_u64 ((const uint8_t *) zyn_value_data (value));
}

//  Decode a stored record. Returns NULL if it is malformed.
static zyn_table_t *
s_table_decode (const void *data, size_t size)
{
    zyn_value_t *record = zyn_value_decode (data, size, NULL);
    if (!record || zyn_value_type (record) != ZYN_TYPE_M) {
        zyn_value_destroy (&record);
        return NULL;
    }
    zyn_table_t *self = (zyn_table_t *) zmalloc (sizeof (zyn_table_t));
    bool ok = true;
    const char *name = zyn_value_map_get_s (record, "TableName");
    const char *status = zyn_value_map_get_s (record, "TableStatus");
    int64_t number = 0;
    self->name = strdup (name ? name : "");
    ok = ok && name && status;
    if (zyn_value_map_get_int (record, "TableId", &number) == 0 && number > 0)
        self->id = (uint64_t) number;
    else
        ok = false;
    if (zyn_value_map_get_int (record, "CreationDateTime", &number) == 0)
        self->created_msecs = number;
    else
        ok = false;
    if (status && streq (status, "CREATING"))
        self->status = ZYN_TABLE_CREATING;
    else
    if (status && streq (status, "ACTIVE"))
        self->status = ZYN_TABLE_ACTIVE;
    else
    if (status && streq (status, "DELETING"))
        self->status = ZYN_TABLE_DELETING;
    else
        ok = false;
    self->definition = zyn_value_map_take (record, "Definition");
    if (!self->definition || zyn_value_type (self->definition) != ZYN_TYPE_M
        || s_table_resolve_keys (self))
        ok = false;

    zyn_value_t *partitions = zyn_value_map_get (record, "Partitions");
    if (ok && partitions && zyn_value_type (partitions) == ZYN_TYPE_L
        && zyn_value_size (partitions) > 0) {
        self->partition_count = (uint32_t) zyn_value_size (partitions);
        self->partitions = (zyn_partition_info_t *) zmalloc (
            self->partition_count * sizeof (zyn_partition_info_t));
        for (uint32_t i = 0; i < self->partition_count; i++) {
            zyn_value_t *entry = zyn_value_list_get (partitions, i);
            zyn_partition_info_t *partition = &self->partitions [i];
            const char *worker_id = zyn_value_map_get_s (entry, "WorkerId");
            partition->worker_id = strdup (worker_id ? worker_id : "");
            if (zyn_value_map_get_int (entry, "PartitionId", &number) == 0
                && number >= 0 && number <= UINT32_MAX)
                partition->id = (uint32_t) number;
            else
                ok = false;
            partition->hash_start = s_get_hash (entry, "HashStart", &ok);
            partition->hash_end = s_get_hash (entry, "HashEnd", &ok);
            if (!worker_id)
                ok = false;
        }
        if (ok && !zyn_router_is_complete (self))
            ok = false;
    }
    else
        ok = false;
    zyn_value_destroy (&record);
    if (!ok)
        s_table_destroy (&self);
    return self;
}

//  --------------------------------------------------------------------------
//  Open or create the catalog stored under path

zyn_catalog_t *
zyn_catalog_new (const char *path, zyn_error_t *err)
{
    assert (path);
    if (zsys_dir_create ("%s", path)) {
        zyn_error_set (err, ZYN_ERR_INTERNAL,
                       "cannot create catalog directory %s: %s", path,
                       strerror (errno));
        return NULL;
    }
    zyn_catalog_t *self = (zyn_catalog_t *) zmalloc (sizeof (zyn_catalog_t));
    self->options = leveldb_options_create ();
    leveldb_options_set_create_if_missing (self->options, 1);
    self->roptions = leveldb_readoptions_create ();
    self->woptions = leveldb_writeoptions_create ();
    leveldb_writeoptions_set_sync (self->woptions, 1);
    self->tables = zhashx_new ();
    zhashx_set_destructor (self->tables, s_table_destructor);
    self->next_id = 1;

    char *errptr = NULL;
    self->db = leveldb_open (self->options, path, &errptr);
    if (!self->db) {
        zyn_error_set (err, ZYN_ERR_INTERNAL, "cannot open catalog %s: %s",
                       path, errptr ? errptr : "?");
        leveldb_free (errptr);
        zyn_catalog_destroy (&self);
        return NULL;
    }
    //  Load the counter and every table
    leveldb_iterator_t *it
        = leveldb_create_iterator (self->db, self->roptions);
    int rc = 0;
    for (leveldb_iter_seek_to_first (it); leveldb_iter_valid (it);
         leveldb_iter_next (it)) {
        size_t key_size, value_size;
        const char *key = leveldb_iter_key (it, &key_size);
        const char *value = leveldb_iter_value (it, &value_size);
        if (key_size == 1 && key [0] == 'n' && value_size == 8)
            self->next_id = zyn_get_u64 ((const uint8_t *) value);
        else
        if (key_size > 1 && key [0] == 't') {
            zyn_table_t *table = s_table_decode (value, value_size);
            if (!table) {
                zyn_error_set (err, ZYN_ERR_INTERNAL,
                               "malformed catalog record for table %.*s",
                               (int) (key_size - 1), key + 1);
                rc = -1;
                break;
            }
            zhashx_insert (self->tables, table->name, table);
        }
    }
    leveldb_iter_destroy (it);
    if (rc) {
        zyn_catalog_destroy (&self);
        return NULL;
    }
    //  Belt and braces: the counter is above every table id we hold
    zyn_table_t *table = (zyn_table_t *) zhashx_first (self->tables);
    while (table) {
        if (table->id >= self->next_id)
            self->next_id = table->id + 1;
        table = (zyn_table_t *) zhashx_next (self->tables);
    }
    return self;
}

//  --------------------------------------------------------------------------
//  Close the store and free all tables

void
zyn_catalog_destroy (zyn_catalog_t **self_p)
{
    assert (self_p);
    zyn_catalog_t *self = *self_p;
    if (self) {
        zhashx_destroy (&self->tables);
        if (self->db)
            leveldb_close (self->db);
        leveldb_writeoptions_destroy (self->woptions);
        leveldb_readoptions_destroy (self->roptions);
        leveldb_options_destroy (self->options);
        free (self);
        *self_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  Create a table with the next table id, CREATING

zyn_table_t *
zyn_catalog_create (zyn_catalog_t *self, const char *name,
                    zyn_value_t **definition_p, uint32_t partition_count,
                    const char **workers, zyn_error_t *err)
{
    assert (self);
    assert (name);
    assert (definition_p);
    assert (partition_count >= 1 && partition_count <= 65536);
    zyn_value_t *definition = *definition_p;
    *definition_p = NULL;
    if (zhashx_lookup (self->tables, name)) {
        zyn_value_destroy (&definition);
        zyn_error_set (err, ZYN_ERR_RESOURCE_IN_USE,
                       "Table already exists: %s", name);
        return NULL;
    }
    zyn_table_t *table = (zyn_table_t *) zmalloc (sizeof (zyn_table_t));
    table->name = strdup (name);
    table->id = self->next_id;
    table->status = ZYN_TABLE_CREATING;
    table->created_msecs = zyn_wall_msecs ();
    table->definition = definition;
    if (s_table_resolve_keys (table)) {
        s_table_destroy (&table);
        zyn_error_set (err, ZYN_ERR_INTERNAL,
                       "Internal server error: table definition unusable");
        return NULL;
    }
    size_t worker_count = 0;
    while (workers && workers [worker_count])
        worker_count++;
    table->partition_count = partition_count;
    table->partitions = (zyn_partition_info_t *) zmalloc (
        partition_count * sizeof (zyn_partition_info_t));
    for (uint32_t i = 0; i < partition_count; i++) {
        zyn_partition_info_t *partition = &table->partitions [i];
        partition->id = i;
        zyn_router_slice (partition_count, i, &partition->hash_start,
                          &partition->hash_end);
        partition->worker_id
            = strdup (worker_count ? workers [i % worker_count] : "");
    }

    size_t size;
    void *data = s_table_encode (table, &size);
    uint8_t counter [8];
    zyn_put_u64 (counter, table->id + 1);
    char key [300];
    int key_size = snprintf (key, sizeof (key), "t%s", name);
    leveldb_writebatch_t *batch = leveldb_writebatch_create ();
    leveldb_writebatch_put (batch, CATALOG_COUNTER_KEY, 1,
                            (const char *) counter, 8);
    leveldb_writebatch_put (batch, key, (size_t) key_size, data, size);
    char *errptr = NULL;
    leveldb_write (self->db, self->woptions, batch, &errptr);
    leveldb_writebatch_destroy (batch);
    free (data);
    if (errptr) {
        s_table_destroy (&table);
        s_store_error (err, "write", errptr);
        return NULL;
    }
    self->next_id++;
    zhashx_insert (self->tables, table->name, table);
    return table;
}

//  --------------------------------------------------------------------------
//  The table named name, or NULL

zyn_table_t *
zyn_catalog_lookup (zyn_catalog_t *self, const char *name)
{
    assert (self);
    return name ? (zyn_table_t *) zhashx_lookup (self->tables, name) : NULL;
}

//  --------------------------------------------------------------------------
//  The table with id table_id, or NULL

zyn_table_t *
zyn_catalog_lookup_id (zyn_catalog_t *self, uint64_t table_id)
{
    assert (self);
    //  The catalog holds tens of tables, not millions; a walk is fine
    zyn_table_t *table = (zyn_table_t *) zhashx_first (self->tables);
    while (table) {
        if (table->id == table_id)
            return table;
        table = (zyn_table_t *) zhashx_next (self->tables);
    }
    return NULL;
}

//  --------------------------------------------------------------------------
//  The partition partition_id of table, or NULL

zyn_partition_info_t *
zyn_catalog_partition (zyn_table_t *table, uint32_t partition_id)
{
    assert (table);
    for (uint32_t i = 0; i < table->partition_count; i++)
        if (table->partitions [i].id == partition_id)
            return &table->partitions [i];
    return NULL;
}

//  --------------------------------------------------------------------------
//  Store table's current status and partition assignments

int
zyn_catalog_save (zyn_catalog_t *self, zyn_table_t *table, zyn_error_t *err)
{
    assert (self);
    assert (table);
    size_t size;
    void *data = s_table_encode (table, &size);
    char key [300];
    int key_size = snprintf (key, sizeof (key), "t%s", table->name);
    char *errptr = NULL;
    leveldb_put (self->db, self->woptions, key, (size_t) key_size, data, size,
                 &errptr);
    free (data);
    if (errptr)
        return s_store_error (err, "write", errptr);
    return 0;
}

//  --------------------------------------------------------------------------
//  Set table's status and store it

int
zyn_catalog_set_status (zyn_catalog_t *self, zyn_table_t *table,
                        zyn_table_status_t status, zyn_error_t *err)
{
    assert (self);
    assert (table);
    zyn_table_status_t old_status = table->status;
    table->status = status;
    if (zyn_catalog_save (self, table, err)) {
        table->status = old_status;
        return -1;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Remove table from the catalog and the store, and free it

int
zyn_catalog_remove (zyn_catalog_t *self, zyn_table_t *table, zyn_error_t *err)
{
    assert (self);
    assert (table);
    char key [300];
    int key_size = snprintf (key, sizeof (key), "t%s", table->name);
    char *errptr = NULL;
    leveldb_delete (self->db, self->woptions, key, (size_t) key_size, &errptr);
    if (errptr)
        return s_store_error (err, "delete", errptr);
    zhashx_delete (self->tables, table->name);
    return 0;
}

//  --------------------------------------------------------------------------
//  The number of tables

size_t
zyn_catalog_size (zyn_catalog_t *self)
{
    assert (self);
    return zhashx_size (self->tables);
}

static int
s_compare_names (void *item1, void *item2)
{
    return strcmp ((const char *) item1, (const char *) item2);
}

//  --------------------------------------------------------------------------
//  The table names in ascending bytewise order

zlist_t *
zyn_catalog_names (zyn_catalog_t *self)
{
    assert (self);
    zlist_t *names = zlist_new ();
    zyn_table_t *table = (zyn_table_t *) zhashx_first (self->tables);
    while (table) {
        zlist_append (names, table->name);
        table = (zyn_table_t *) zhashx_next (self->tables);
    }
    zlist_sort (names, s_compare_names);
    return names;
}

//  --------------------------------------------------------------------------
//  The next table id that will be given

uint64_t
zyn_catalog_next_id (zyn_catalog_t *self)
{
    assert (self);
    return self->next_id;
}

//  --------------------------------------------------------------------------
//  DynamoDB's name of a status

const char *
zyn_table_status_name (zyn_table_status_t status)
{
    switch (status) {
        case ZYN_TABLE_CREATING: return "CREATING";
        case ZYN_TABLE_ACTIVE: return "ACTIVE";
        case ZYN_TABLE_DELETING: return "DELETING";
    }
    return "UNKNOWN";
}

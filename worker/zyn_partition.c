/*  =========================================================================
    zyn_partition - one hash range of one table, stored in LevelDB

    Owns the partition's leveldb_t and everything LevelDB hands out for it
    (options, cache, filter policy, the pending WriteBatch). Used by the
    worker's request execution (zyn_ops) and the worker actor. See the
    header for the row layout and the staging/commit model.

    Known limits: no transaction locks.
    =========================================================================
*/

#include "zyn_prelude.h"
#include "zyn_error.h"
#include "zyn_keycode.h"
#include "zyn_value.h"
#include "zyn_lsi.h"
#include "zyn_rowcache.h"
#include "zyn_itemstats.h"
#include "zyn_partition.h"

#define META_DESCRIPTOR "descriptor"
#define META_SEQ "seq"

//  A staged row: its bytes as they will be once the batch commits, NULL
//  for a staged delete
typedef struct {
    uint8_t *data;              //  Owned
    size_t size;
    uint8_t *row;               //  Owned, the row key
    size_t row_size;
} s_staged_t;

//  A committed change record waiting to be published
typedef struct {
    uint64_t seq;
    zchunk_t *record;           //  Owned, MessagePack
} s_record_t;

struct zyn_partition {
    char *path;                 //  Owned
    leveldb_t *db;              //  Owned, closed in destroy
    leveldb_options_t *options; //  Owned
    leveldb_cache_t *cache;     //  Owned
    leveldb_filterpolicy_t *filter;     //  Owned
    leveldb_readoptions_t *read_options;    //  Owned
    leveldb_writeoptions_t *sync_options;   //  Owned, sync = true
    leveldb_writeoptions_t *trim_options;   //  Owned, sync = false
    zyn_value_t *descriptor;    //  Owned, the ASSIGN body
    uint64_t table_id;
    uint32_t partition_id;
    const char *table_name;     //  Borrowed from descriptor
    uint64_t hash_start;
    uint64_t hash_end;
    char *pk_name;              //  Owned
    zyn_type_t pk_type;
    char *sk_name;              //  Owned, NULL without a sort key
    zyn_type_t sk_type;
    const char *key_names [3];  //  Borrowed from pk_name, sk_name
    zyn_lsi_t *lsi;             //  Owned, the local secondary indexes
    uint64_t last_seq;          //  Last durable sequence number
    uint64_t first_seq;         //  Oldest record in the log, or
                                //  last_seq + 1 when it is empty
    char event_salt [17];       //  Random hex, the first half of eventIDs
    uint64_t staged_seq;        //  Last staged sequence number
    leveldb_writebatch_t *batch;    //  Owned, pending writes
    zhashx_t *staged;           //  Owned, hex(row) -> s_staged_t
    zlistx_t *staged_records;   //  Owned, s_record_t, not yet durable
    //  The sealed generation: the writes being committed, on a
    //  committer's thread (which touches sealed_batch and db only)
    uint64_t sealed_seq;        //  Last sealed sequence number, last_seq
                                //  when no commit is under way
    leveldb_writebatch_t *sealed_batch; //  Owned
    zhashx_t *sealed;           //  Owned, hex(row) -> s_staged_t
    zlistx_t *sealed_records;   //  Owned, s_record_t
    zlistx_t *records;          //  Owned, s_record_t, durable, unpublished
    zyn_rowcache_t *rows;       //  Owned, committed item rows read lately
    zyn_itemstats_layers_t stats;   //  Item count and size, by layer
};

struct zyn_partition_iter {
    leveldb_iterator_t *iter;   //  Owned
};


//  --------------------------------------------------------------------------
//  Destructors for the containers

static void
s_staged_destroy (void **item_p)
{
    s_staged_t *staged = (s_staged_t *) *item_p;
    if (staged) {
        free (staged->data);
        free (staged->row);
        free (staged);
        *item_p = NULL;
    }
}

static void
s_record_destroy (void **item_p)
{
    s_record_t *record = (s_record_t *) *item_p;
    if (record) {
        zchunk_destroy (&record->record);
        free (record);
        *item_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  Render a row key as the hex text that keys the overlay

static char *
s_row_hex (const uint8_t *row, size_t size)
{
    static const char digits [] = "0123456789abcdef";
    char *hex = (char *) zmalloc (size * 2 + 1);
    for (size_t i = 0; i < size; i++) {
        hex [i * 2] = digits [row [i] >> 4];
        hex [i * 2 + 1] = digits [row [i] & 15];
    }
    return hex;
}

//  --------------------------------------------------------------------------
//  Read an 8-octet big-endian hash from a B value in the descriptor

static int
s_descriptor_hash (const zyn_value_t *descriptor, const char *name,
                   uint64_t *hash, zyn_error_t *err)
{
    const zyn_value_t *value = zyn_value_map_get (descriptor, name);
    if (!value || zyn_value_type (value) != ZYN_TYPE_B
        || zyn_value_size (value) != 8)
        return zyn_error_set (err, ZYN_ERR_VALIDATION,
                              "partition descriptor: %s must be 8 octets",
                              name);
    *hash = zyn_get_u64 ((const uint8_t *) zyn_value_data (value));
    return 0;
}

//  --------------------------------------------------------------------------
//  The AttributeType declared for name in AttributeDefinitions, or 0

static zyn_type_t
s_attribute_type (const zyn_value_t *definitions, const char *name)
{
    if (!definitions || zyn_value_type (definitions) != ZYN_TYPE_L)
        return 0;
    for (size_t i = 0; i < zyn_value_size (definitions); i++) {
        const zyn_value_t *definition = zyn_value_list_get (definitions, i);
        const char *attribute = zyn_value_map_get_s (definition,
                                                     "AttributeName");
        const char *type = zyn_value_map_get_s (definition, "AttributeType");
        if (attribute && type && streq (attribute, name)) {
            zyn_type_t key_type = zyn_type_from_name (type);
            if (key_type == ZYN_TYPE_S || key_type == ZYN_TYPE_N
                || key_type == ZYN_TYPE_B)
                return key_type;
            return 0;
        }
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Take the fields of descriptor into self. Returns 0 or -1 with err;
//  self is left unchanged on failure.

static int
s_apply_descriptor (zyn_partition_t *self, const zyn_value_t *descriptor,
                    zyn_error_t *err)
{
    if (!descriptor || zyn_value_type (descriptor) != ZYN_TYPE_M)
        return zyn_error_set (err, ZYN_ERR_VALIDATION,
                              "partition descriptor must be a map");
    int64_t table_id, partition_id;
    if (zyn_value_map_get_int (descriptor, "TableId", &table_id)
        || table_id < 0)
        return zyn_error_set (err, ZYN_ERR_VALIDATION,
                              "partition descriptor: bad TableId");
    if (zyn_value_map_get_int (descriptor, "PartitionId", &partition_id)
        || partition_id < 0 || partition_id > UINT32_MAX)
        return zyn_error_set (err, ZYN_ERR_VALIDATION,
                              "partition descriptor: bad PartitionId");
    if (!zyn_value_map_get_s (descriptor, "TableName"))
        return zyn_error_set (err, ZYN_ERR_VALIDATION,
                              "partition descriptor: missing TableName");
    uint64_t hash_start, hash_end;
    if (s_descriptor_hash (descriptor, "HashStart", &hash_start, err)
        || s_descriptor_hash (descriptor, "HashEnd", &hash_end, err))
        return -1;
    const zyn_value_t *schema = zyn_value_map_get (descriptor, "KeySchema");
    const zyn_value_t *definitions =
        zyn_value_map_get (descriptor, "AttributeDefinitions");
    const char *pk_name = NULL;
    const char *sk_name = NULL;
    if (schema && zyn_value_type (schema) == ZYN_TYPE_L) {
        for (size_t i = 0; i < zyn_value_size (schema); i++) {
            const zyn_value_t *element = zyn_value_list_get (schema, i);
            const char *name = zyn_value_map_get_s (element, "AttributeName");
            const char *key_type = zyn_value_map_get_s (element, "KeyType");
            if (name && key_type && streq (key_type, "HASH"))
                pk_name = name;
            else
            if (name && key_type && streq (key_type, "RANGE"))
                sk_name = name;
        }
    }
    zyn_type_t pk_type = pk_name ? s_attribute_type (definitions, pk_name)
                                 : 0;
    zyn_type_t sk_type = sk_name ? s_attribute_type (definitions, sk_name)
                                 : 0;
    if (!pk_type || (sk_name && !sk_type))
        return zyn_error_set (err, ZYN_ERR_VALIDATION,
                              "partition descriptor: bad KeySchema");
    zyn_lsi_t *lsi = zyn_lsi_new (descriptor, pk_name, sk_name, err);
    if (!lsi)
        return -1;
    zyn_lsi_destroy (&self->lsi);
    self->lsi = lsi;

    zyn_value_t *copy = zyn_value_dup (descriptor);
    zyn_value_destroy (&self->descriptor);
    self->descriptor = copy;
    self->table_id = (uint64_t) table_id;
    self->partition_id = (uint32_t) partition_id;
    self->table_name = zyn_value_map_get_s (copy, "TableName");
    self->hash_start = hash_start;
    self->hash_end = hash_end;
    zstr_free (&self->pk_name);
    zstr_free (&self->sk_name);
    self->pk_name = strdup (pk_name);
    self->pk_type = pk_type;
    self->sk_name = sk_name ? strdup (sk_name) : NULL;
    self->sk_type = sk_name ? sk_type : 0;
    self->key_names [0] = self->pk_name;
    self->key_names [1] = self->sk_name;
    self->key_names [2] = NULL;
    return 0;
}

//  --------------------------------------------------------------------------
//  Build the key of the meta row name into key (64 octets); returns its
//  length

static size_t
s_meta_key (const char *name, char *key)
{
    size_t length = strlen (name);
    assert (length < 64);
    key [0] = ZYN_ROW_META;
    memcpy (key + 1, name, length);
    return length + 1;
}

//  --------------------------------------------------------------------------
//  Write one meta row with sync

static int
s_put_meta (zyn_partition_t *self, const char *name, const void *data,
            size_t size, zyn_error_t *err)
{
    char key [64];
    size_t key_size = s_meta_key (name, key);
    char *errptr = NULL;
    leveldb_put (self->db, self->sync_options, key, key_size,
                 (const char *) data, size, &errptr);
    if (errptr) {
        zyn_error_set (err, ZYN_ERR_INTERNAL, "storage write failed: %s",
                       errptr);
        leveldb_free (errptr);
        return -1;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Read one meta row. Returns 0 and a buffer (leveldb_free it) or NULL if
//  missing; -1 with err on a storage error.

static int
s_get_meta (zyn_partition_t *self, const char *name, char **data,
            size_t *size, zyn_error_t *err)
{
    char key [64];
    size_t key_size = s_meta_key (name, key);
    char *errptr = NULL;
    *data = leveldb_get (self->db, self->read_options, key, key_size,
                         size, &errptr);
    if (errptr) {
        zyn_error_set (err, ZYN_ERR_INTERNAL, "storage read failed: %s",
                       errptr);
        leveldb_free (errptr);
        return -1;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Store the descriptor durably

static int
s_store_descriptor (zyn_partition_t *self, zyn_error_t *err)
{
    size_t size;
    void *data = zyn_value_encode (self->descriptor, &size);
    int rc = s_put_meta (self, META_DESCRIPTOR, data, size, err);
    free (data);
    return rc;
}

//  --------------------------------------------------------------------------
//  Recover the last sequence number: the larger of the meta row and the
//  last 's' row (the log may one day be trimmed, the meta row is written
//  in every batch)

static int
s_recover_seq (zyn_partition_t *self, zyn_error_t *err)
{
    char *data = NULL;
    size_t size = 0;
    if (s_get_meta (self, META_SEQ, &data, &size, err))
        return -1;
    uint64_t seq = 0;
    if (data && size == 8)
        seq = zyn_get_u64 ((const uint8_t *) data);
    leveldb_free (data);

    leveldb_iterator_t *iter = leveldb_create_iterator (self->db,
                                                        self->read_options);
    char end = ZYN_ROW_STREAM + 1;
    leveldb_iter_seek (iter, &end, 1);
    if (leveldb_iter_valid (iter))
        leveldb_iter_prev (iter);
    else
        leveldb_iter_seek_to_last (iter);
    if (leveldb_iter_valid (iter)) {
        size_t key_size;
        const char *key = leveldb_iter_key (iter, &key_size);
        if (key_size == 9 && key [0] == ZYN_ROW_STREAM) {
            uint64_t log_seq = zyn_get_u64 ((const uint8_t *) key + 1);
            if (log_seq > seq)
                seq = log_seq;
        }
    }
    //  The oldest record still kept (the log is trimmed from the front)
    self->first_seq = seq + 1;
    char start = ZYN_ROW_STREAM;
    leveldb_iter_seek (iter, &start, 1);
    if (leveldb_iter_valid (iter)) {
        size_t key_size;
        const char *key = leveldb_iter_key (iter, &key_size);
        if (key_size == 9 && key [0] == ZYN_ROW_STREAM)
            self->first_seq = zyn_get_u64 ((const uint8_t *) key + 1);
    }
    leveldb_iter_destroy (iter);
    self->last_seq = seq;
    self->sealed_seq = seq;
    self->staged_seq = seq;
    return 0;
}

//  --------------------------------------------------------------------------
//  Open the partition stored under path, creating it if missing

zyn_partition_t *
zyn_partition_new (const char *path, const zyn_value_t *descriptor,
                   zyn_error_t *err)
{
    return zyn_partition_open (path, descriptor, 0, err);
}

//  --------------------------------------------------------------------------
//  Open the partition with a memtable of write_buffer octets

zyn_partition_t *
zyn_partition_open (const char *path, const zyn_value_t *descriptor,
                    size_t write_buffer, zyn_error_t *err)
{
    assert (path);
    zyn_partition_t *self = (zyn_partition_t *) zmalloc (sizeof (*self));
    self->path = strdup (path);
    self->cache = leveldb_cache_create_lru (8 * 1024 * 1024);
    self->filter = leveldb_filterpolicy_create_bloom (10);
    self->options = leveldb_options_create ();
    leveldb_options_set_create_if_missing (self->options, 1);
    leveldb_options_set_cache (self->options, self->cache);
    leveldb_options_set_filter_policy (self->options, self->filter);
    //  Every mutation writes its item and its change record (both images):
    //  a 64 MB memtable and 16 KB blocks cut the compaction work, which
    //  is most of a durable write's cost. A large memtable fills LevelDB's
    //  first level with many small files, so each file pushed to the next
    //  level overlaps less of it (docs/performance.md)
    leveldb_options_set_write_buffer_size (self->options,
        write_buffer ? write_buffer : ZYN_PARTITION_WRITE_BUFFER);
    leveldb_options_set_block_size (self->options, ZYN_PARTITION_BLOCK_SIZE);
    leveldb_options_set_max_open_files (self->options, 128);
    leveldb_options_set_compression (self->options,
                                     leveldb_snappy_compression);
    self->read_options = leveldb_readoptions_create ();
    self->sync_options = leveldb_writeoptions_create ();
    leveldb_writeoptions_set_sync (self->sync_options, 1);
    self->trim_options = leveldb_writeoptions_create ();
    self->batch = leveldb_writebatch_create ();
    self->rows = zyn_rowcache_new (ZYN_PARTITION_ROW_CACHE);
    self->staged = zhashx_new ();
    zhashx_set_destructor (self->staged, s_staged_destroy);
    self->staged_records = zlistx_new ();
    zlistx_set_destructor (self->staged_records, s_record_destroy);
    self->sealed_batch = leveldb_writebatch_create ();
    self->sealed = zhashx_new ();
    zhashx_set_destructor (self->sealed, s_staged_destroy);
    self->sealed_records = zlistx_new ();
    zlistx_set_destructor (self->sealed_records, s_record_destroy);
    self->records = zlistx_new ();
    zlistx_set_destructor (self->records, s_record_destroy);
    //  eventIDs are this random salt and the sequence number: unique
    //  without asking the kernel for randomness on every write
    zuuid_t *uuid = zuuid_new ();
    memcpy (self->event_salt, zuuid_str (uuid), 16);
    self->event_salt [16] = 0;
    zuuid_destroy (&uuid);

    char *errptr = NULL;
    self->db = leveldb_open (self->options, path, &errptr);
    if (errptr) {
        zyn_error_set (err, ZYN_ERR_INTERNAL, "cannot open partition %s: %s",
                       path, errptr);
        leveldb_free (errptr);
        goto failed;
    }
    if (descriptor) {
        if (s_apply_descriptor (self, descriptor, err)
            || s_store_descriptor (self, err))
            goto failed;
    }
    else {
        char *data = NULL;
        size_t size = 0;
        if (s_get_meta (self, META_DESCRIPTOR, &data, &size, err))
            goto failed;
        if (!data) {
            zyn_error_set (err, ZYN_ERR_INTERNAL,
                           "partition %s has no descriptor", path);
            goto failed;
        }
        zyn_value_t *stored = zyn_value_decode (data, size, err);
        leveldb_free (data);
        int rc = stored ? s_apply_descriptor (self, stored, err) : -1;
        zyn_value_destroy (&stored);
        if (rc)
            goto failed;
    }
    if (s_recover_seq (self, err))
        goto failed;
    char *stats = NULL;
    size_t stats_size = 0;
    if (s_get_meta (self, ZYN_ITEMSTATS_META, &stats, &stats_size, err))
        goto failed;
    int stats_rc = zyn_itemstats_recover (&self->stats, self->db,
                                          self->read_options, stats,
                                          stats_size, err);
    leveldb_free (stats);
    if (stats_rc)
        goto failed;
    return self;

failed:
    zyn_partition_destroy (&self);
    return NULL;
}

//  --------------------------------------------------------------------------
//  Close the partition. Sets *self_p to NULL.

void
zyn_partition_destroy (zyn_partition_t **self_p)
{
    assert (self_p);
    zyn_partition_t *self = *self_p;
    if (!self)
        return;
    zlistx_destroy (&self->records);
    zlistx_destroy (&self->staged_records);
    zhashx_destroy (&self->staged);
    zlistx_destroy (&self->sealed_records);
    zhashx_destroy (&self->sealed);
    zyn_rowcache_destroy (&self->rows);
    leveldb_writebatch_destroy (self->batch);
    leveldb_writebatch_destroy (self->sealed_batch);
    if (self->db)
        leveldb_close (self->db);
    leveldb_writeoptions_destroy (self->sync_options);
    leveldb_writeoptions_destroy (self->trim_options);
    leveldb_readoptions_destroy (self->read_options);
    leveldb_options_destroy (self->options);
    leveldb_filterpolicy_destroy (self->filter);
    leveldb_cache_destroy (self->cache);
    zyn_value_destroy (&self->descriptor);
    zyn_lsi_destroy (&self->lsi);
    zstr_free (&self->pk_name);
    zstr_free (&self->sk_name);
    zstr_free (&self->path);
    free (self);
    *self_p = NULL;
}

//  --------------------------------------------------------------------------
//  Close the partition and remove its directory

int
zyn_partition_destroy_files (zyn_partition_t **self_p, zyn_error_t *err)
{
    assert (self_p);
    zyn_partition_t *self = *self_p;
    if (!self)
        return 0;
    char *path = strdup (self->path);
    zyn_partition_destroy (self_p);
    int rc = zyn_partition_remove (path, err);
    free (path);
    return rc;
}

//  --------------------------------------------------------------------------
//  Remove the partition stored under path, which must not be open

int
zyn_partition_remove (const char *path, zyn_error_t *err)
{
    assert (path);
    leveldb_options_t *options = leveldb_options_create ();
    char *errptr = NULL;
    leveldb_destroy_db (options, path, &errptr);
    leveldb_options_destroy (options);
    int rc = 0;
    if (errptr) {
        rc = zyn_error_set (err, ZYN_ERR_INTERNAL,
                            "cannot remove partition %s: %s", path, errptr);
        leveldb_free (errptr);
    }
    //  LevelDB leaves what it does not know of (and maybe the directory)
    if (zsys_file_exists (path)) {
        zdir_t *dir = zdir_new (path, NULL);
        if (dir) {
            zdir_remove (dir, true);
            zdir_destroy (&dir);
        }
        rmdir (path);
    }
    return rc;
}

//  --------------------------------------------------------------------------
//  Replace the descriptor

int
zyn_partition_set_descriptor (zyn_partition_t *self,
                              const zyn_value_t *descriptor, zyn_error_t *err)
{
    assert (self);
    if (s_apply_descriptor (self, descriptor, err))
        return -1;
    return s_store_descriptor (self, err);
}

//  --------------------------------------------------------------------------
//  Accessors

uint64_t
zyn_partition_table_id (zyn_partition_t *self)
{
    assert (self);
    return self->table_id;
}

uint32_t
zyn_partition_id (zyn_partition_t *self)
{
    assert (self);
    return self->partition_id;
}

const char *
zyn_partition_table_name (zyn_partition_t *self)
{
    assert (self);
    return self->table_name;
}

const char *
zyn_partition_path (zyn_partition_t *self)
{
    assert (self);
    return self->path;
}

uint64_t
zyn_partition_hash_start (zyn_partition_t *self)
{
    assert (self);
    return self->hash_start;
}

uint64_t
zyn_partition_hash_end (zyn_partition_t *self)
{
    assert (self);
    return self->hash_end;
}

const zyn_value_t *
zyn_partition_descriptor (zyn_partition_t *self)
{
    assert (self);
    return self->descriptor;
}

const char *
zyn_partition_pk_name (zyn_partition_t *self)
{
    assert (self);
    return self->pk_name;
}

zyn_type_t
zyn_partition_pk_type (zyn_partition_t *self)
{
    assert (self);
    return self->pk_type;
}

const char *
zyn_partition_sk_name (zyn_partition_t *self)
{
    assert (self);
    return self->sk_name;
}

zyn_type_t
zyn_partition_sk_type (zyn_partition_t *self)
{
    assert (self);
    return self->sk_type;
}

const char **
zyn_partition_key_names (zyn_partition_t *self)
{
    assert (self);
    return self->key_names;
}

zyn_lsi_t *
zyn_partition_lsi (zyn_partition_t *self)
{
    assert (self);
    return self->lsi;
}

uint64_t
zyn_partition_last_seq (zyn_partition_t *self)
{
    assert (self);
    return self->last_seq;
}

//  --------------------------------------------------------------------------
//  True if hash falls in the partition's hash range (inclusive)

bool
zyn_partition_owns (zyn_partition_t *self, uint64_t hash)
{
    assert (self);
    return hash >= self->hash_start && hash <= self->hash_end;
}

//  --------------------------------------------------------------------------
//  True if there are staged writes not yet committed

bool
zyn_partition_is_dirty (zyn_partition_t *self)
{
    assert (self);
    return self->staged_seq != self->last_seq;
}

//  --------------------------------------------------------------------------
//  The committed bytes of row, from the row cache or from LevelDB (then
//  cached): *data_p is NULL when the row is missing, else valid until
//  the next read or commit. When the bytes are not in the cache *owned_p
//  is LevelDB's copy, for the caller to leveldb_free. Returns -1 with err
//  on a storage error.

static int
s_read_committed (zyn_partition_t *self, const uint8_t *row, size_t row_size,
                  const uint8_t **data_p, size_t *size_p, char **owned_p,
                  zyn_error_t *err)
{
    *owned_p = NULL;
    //  Only item rows are cached: change records are trimmed, counters
    //  are read once per write
    bool cached = row_size && row [0] == ZYN_ROW_ITEM;
    *data_p = cached ? zyn_rowcache_get (self->rows, row, row_size, size_p)
                     : NULL;
    if (*data_p)
        return 0;
    char *errptr = NULL;
    size_t size = 0;
    char *data = leveldb_get (self->db, self->read_options,
                              (const char *) row, row_size, &size, &errptr);
    if (errptr) {
        zyn_error_set (err, ZYN_ERR_INTERNAL, "storage read failed: %s",
                       errptr);
        leveldb_free (errptr);
        return -1;
    }
    if (!data)
        return 0;
    if (cached)
        *data_p = zyn_rowcache_put (self->rows, row, row_size,
                                    (const uint8_t *) data, size);
    if (*data_p) {
        *size_p = size;
        leveldb_free (data);
    }
    else {
        //  Not cached: the caller frees LevelDB's copy
        *owned_p = data;
        *data_p = (const uint8_t *) data;
        *size_p = size;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Bound the row cache to limit bytes (0: none)

void
zyn_partition_set_row_cache (zyn_partition_t *self, size_t limit)
{
    assert (self);
    zyn_rowcache_set_limit (self->rows, limit);
}

//  --------------------------------------------------------------------------
//  The row cache's lookups that hit and missed, and its bytes

void
zyn_partition_row_cache_stats (zyn_partition_t *self, uint64_t *hits,
                               uint64_t *misses, size_t *bytes)
{
    assert (self);
    *hits = zyn_rowcache_hits (self->rows);
    *misses = zyn_rowcache_misses (self->rows);
    *bytes = zyn_rowcache_bytes (self->rows);
}

//  --------------------------------------------------------------------------
//  The overlay's entry for row: staged, else sealed (being committed), or
//  NULL if neither holds it

static s_staged_t *
s_overlay (zyn_partition_t *self, const uint8_t *row, size_t row_size)
{
    if (zhashx_size (self->staged) == 0 && zhashx_size (self->sealed) == 0)
        return NULL;
    char *hex = s_row_hex (row, row_size);
    s_staged_t *staged = (s_staged_t *) zhashx_lookup (self->staged, hex);
    if (!staged)
        staged = (s_staged_t *) zhashx_lookup (self->sealed, hex);
    free (hex);
    return staged;
}

//  --------------------------------------------------------------------------
//  Read the item stored under row, seeing staged writes

int
zyn_partition_read (zyn_partition_t *self, const uint8_t *row,
                    size_t row_size, zyn_value_t **item_p, zyn_error_t *err)
{
    assert (self);
    *item_p = NULL;
    s_staged_t *staged = s_overlay (self, row, row_size);
    if (staged) {
        if (!staged->data)
            return 0;
        zyn_error_t decode_err = { 0 };
        *item_p = zyn_value_decode (staged->data, staged->size, &decode_err);
        if (!*item_p)
            return zyn_error_set (err, ZYN_ERR_INTERNAL,
                                  "staged item is corrupt: %s",
                                  decode_err.message);
        return 0;
    }
    size_t size = 0;
    const uint8_t *data = NULL;
    char *owned = NULL;
    if (s_read_committed (self, row, row_size, &data, &size, &owned, err))
        return -1;
    if (!data)
        return 0;
    zyn_error_t decode_err = { 0 };
    *item_p = zyn_value_decode (data, size, &decode_err);
    if (owned)
        leveldb_free (owned);
    if (!*item_p)
        return zyn_error_set (err, ZYN_ERR_INTERNAL,
                              "stored item is corrupt: %s",
                              decode_err.message);
    return 0;
}

//  --------------------------------------------------------------------------
//  Read the stored bytes of the item under row, seeing staged writes

int
zyn_partition_read_raw (zyn_partition_t *self, const uint8_t *row,
                        size_t row_size, size_t headroom, uint8_t **data_p,
                        size_t *size_p, zyn_error_t *err)
{
    assert (self);
    *data_p = NULL;
    *size_p = 0;
    s_staged_t *staged = s_overlay (self, row, row_size);
    if (staged) {
        if (staged->data) {
            //  Not zeroed: the caller fills the headroom
            *data_p = (uint8_t *) malloc (headroom + staged->size);
            assert (*data_p);
            memcpy (*data_p + headroom, staged->data, staged->size);
            *size_p = staged->size;
        }
        return 0;
    }
    size_t size = 0;
    const uint8_t *data = NULL;
    char *owned = NULL;
    if (s_read_committed (self, row, row_size, &data, &size, &owned, err))
        return -1;
    if (!data)
        return 0;
    *data_p = (uint8_t *) malloc (headroom + size);
    assert (*data_p);
    memcpy (*data_p + headroom, data, size);
    *size_p = size;
    if (owned)
        leveldb_free (owned);
    return 0;
}

//  --------------------------------------------------------------------------
//  Append size bytes to a growable buffer (as zyn_value_encode_append
//  grows it)

static void
s_buf_append (uint8_t **data, size_t *size, size_t *capacity,
              const void *bytes, size_t count)
{
    if (*size + count > *capacity) {
        size_t wanted = *capacity ? *capacity * 2 : 256;
        while (wanted < *size + count)
            wanted *= 2;
        *data = (uint8_t *) realloc (*data, wanted);
        assert (*data);
        *capacity = wanted;
    }
    memcpy (*data + *size, bytes, count);
    *size += count;
}

//  Append one map entry: its name as a MessagePack str (under 32 octets),
//  then value's encoding

static void
s_buf_append_entry (uint8_t **data, size_t *size, size_t *capacity,
                    const char *name, const zyn_value_t *value)
{
    size_t length = strlen (name);
    assert (length < 32);
    uint8_t head = (uint8_t) (0xa0 | length);
    s_buf_append (data, size, capacity, &head, 1);
    s_buf_append (data, size, capacity, name, length);
    zyn_value_encode_append (value, data, size, capacity);
}

//  --------------------------------------------------------------------------
//  Encode the change record of one mutation (docs/protocol.md, "Stream
//  records") into a new buffer (caller frees it). The images are encoded
//  straight into the record, never copied as values; *image_at and
//  *image_size locate new_item's encoding in it (both 0 without one), so
//  the item row reuses those bytes.

static uint8_t *
s_record_encode (zyn_partition_t *self, uint64_t seq,
                 const zyn_value_t *keys, const zyn_value_t *old_item,
                 const zyn_value_t *new_item, size_t *size_p,
                 size_t *image_at, size_t *image_size)
{
    char event_id [33];
    snprintf (event_id, sizeof (event_id), "%s%016" PRIX64,
              self->event_salt, seq);
    zyn_value_t *head = zyn_value_new_m ();
    zyn_value_map_put_s (head, "eventID", event_id);
    zyn_value_map_put_s (head, "eventName",
                         !old_item ? "INSERT"
                         : new_item ? "MODIFY" : "REMOVE");
    zyn_value_map_put_s (head, "TableName", self->table_name);
    zyn_value_map_put_int (head, "PartitionId", self->partition_id);
    zyn_value_map_put_int (head, "SequenceNumber", (int64_t) seq);
    zyn_value_map_put_int (head, "ApproximateCreationDateTime",
                           zyn_wall_msecs ());
    size_t fields = zyn_value_size (head);
    uint8_t *data = NULL;
    size_t size = 0, capacity = 0;
    zyn_value_encode_append (head, &data, &size, &capacity);
    zyn_value_destroy (&head);

    //  The rest of the map, in the order the fields always had: Keys,
    //  OldImage, NewImage, SizeBytes
    s_buf_append_entry (&data, &size, &capacity, "Keys", keys);
    size_t size_bytes = zyn_item_size (keys);
    fields++;
    if (old_item) {
        s_buf_append_entry (&data, &size, &capacity, "OldImage", old_item);
        size_bytes += zyn_item_size (old_item);
        fields++;
    }
    *image_at = 0;
    *image_size = 0;
    if (new_item) {
        size_t start = size;
        s_buf_append_entry (&data, &size, &capacity, "NewImage", new_item);
        *image_at = start + 1 + strlen ("NewImage");
        *image_size = size - *image_at;
        size_bytes += zyn_item_size (new_item);
        fields++;
    }
    zyn_value_t *value = zyn_value_new_n_int ((int64_t) size_bytes);
    s_buf_append_entry (&data, &size, &capacity, "SizeBytes", value);
    zyn_value_destroy (&value);
    fields++;
    //  At most 10 fields: the head is a fixmap
    assert ((data [0] & 0xf0) == 0x80 && fields < 16);
    data [0] = (uint8_t) (0x80 | fields);
    *size_p = size;
    return data;
}

//  --------------------------------------------------------------------------
//  Remember the bytes a row will hold once the batch commits (NULL for a
//  delete), for the reads that see staged writes. Copies data.

static void
s_stage_overlay (zyn_partition_t *self, const uint8_t *row, size_t row_size,
                 const void *data, size_t size)
{
    s_staged_t *staged = (s_staged_t *) zmalloc (sizeof (s_staged_t));
    staged->row = (uint8_t *) malloc (row_size);
    assert (staged->row);
    memcpy (staged->row, row, row_size);
    staged->row_size = row_size;
    if (data) {
        staged->data = (uint8_t *) malloc (size);
        assert (staged->data);
        memcpy (staged->data, data, size);
        staged->size = size;
    }
    char *hex = s_row_hex (row, row_size);
    zhashx_update (self->staged, hex, staged);
    free (hex);
}

//  --------------------------------------------------------------------------
//  Stage a put (value not NULL) or delete of one row in the batch and in
//  the overlay that zyn_partition_read sees. Takes ownership of *value_p.

static void
s_stage_row (zyn_partition_t *self, const uint8_t *row, size_t row_size,
             zyn_value_t **value_p)
{
    zyn_value_t *value = *value_p;
    *value_p = NULL;
    if (value) {
        size_t size;
        void *data = zyn_value_encode (value, &size);
        leveldb_writebatch_put (self->batch, (const char *) row, row_size,
                                (const char *) data, size);
        s_stage_overlay (self, row, row_size, data, size);
        free (data);
        zyn_value_destroy (&value);
    }
    else {
        leveldb_writebatch_delete (self->batch, (const char *) row, row_size);
        s_stage_overlay (self, row, row_size, NULL, 0);
    }
}

//  --------------------------------------------------------------------------
//  The item collection size of pk, seeing staged writes

int
zyn_partition_collection_size (zyn_partition_t *self, const zyn_value_t *pk,
                               uint64_t *size, zyn_error_t *err)
{
    assert (self);
    *size = 0;
    uint8_t row [ZYN_LSI_ROW_MAX];
    size_t row_size = zyn_lsi_counter_row (pk, row, err);
    if (row_size == 0)
        return -1;
    zyn_value_t *counter = NULL;
    if (zyn_partition_read (self, row, row_size, &counter, err))
        return -1;
    if (counter && zyn_value_type (counter) == ZYN_TYPE_N)
        *size = strtoull (zyn_value_data (counter), NULL, 10);
    zyn_value_destroy (&counter);
    return 0;
}

//  --------------------------------------------------------------------------
//  Stage the index rows and the collection counter of one mutation:
//  the old image's entries go, the new image's come (docs/indexes.md)

static void
s_stage_indexes (zyn_partition_t *self, const zyn_value_t *keys,
                 const zyn_value_t *old_item, const zyn_value_t *new_item)
{
    uint8_t old_row [ZYN_LSI_ROW_MAX], new_row [ZYN_LSI_ROW_MAX];
    for (size_t i = 0; i < zyn_lsi_size (self->lsi); i++) {
        size_t old_size = zyn_lsi_row (self->lsi, (int) i, old_item, old_row);
        size_t new_size = zyn_lsi_row (self->lsi, (int) i, new_item, new_row);
        zyn_value_t *none = NULL;
        if (old_size
            && (old_size != new_size
                || memcmp (old_row, new_row, old_size) != 0))
            s_stage_row (self, old_row, old_size, &none);
        if (new_size) {
            zyn_value_t *entry = zyn_lsi_entry (self->lsi, (int) i, new_item);
            s_stage_row (self, new_row, new_size, &entry);
        }
    }
    const zyn_value_t *pk = zyn_value_map_get (keys, self->pk_name);
    uint64_t size = 0;
    zyn_error_t err = { 0 };
    uint8_t row [ZYN_LSI_ROW_MAX];
    size_t row_size = pk ? zyn_lsi_counter_row (pk, row, &err) : 0;
    if (row_size == 0
        || zyn_partition_collection_size (self, pk, &size, &err))
        return;
    uint64_t removed = zyn_lsi_collection_bytes (self->lsi, old_item);
    size = size > removed ? size - removed : 0;
    size += zyn_lsi_collection_bytes (self->lsi, new_item);
    zyn_value_t *counter = size ? zyn_value_new_n_int ((int64_t) size)
                                : NULL;
    s_stage_row (self, row, row_size, &counter);
}

//  --------------------------------------------------------------------------
//  Stage one mutation of the item under row, with its change record

uint64_t
zyn_partition_write (zyn_partition_t *self, const uint8_t *row,
                     size_t row_size, const zyn_value_t *keys,
                     const zyn_value_t *old_item, const zyn_value_t *new_item)
{
    assert (self);
    uint64_t seq = ++self->staged_seq;
    zyn_itemstats_stage (&self->stats, old_item, new_item);
    size_t record_size, image_at, image_size;
    uint8_t *record = s_record_encode (self, seq, keys, old_item, new_item,
                                       &record_size, &image_at, &image_size);

    //  One mutation, one batch: the item change and its change record
    //  are never apart (DESIGN.md section 10, rule 2). The item row holds
    //  the same bytes as the record's NewImage.
    if (new_item) {
        leveldb_writebatch_put (self->batch, (const char *) row, row_size,
                                (const char *) record + image_at, image_size);
        s_stage_overlay (self, row, row_size, record + image_at, image_size);
    }
    else {
        leveldb_writebatch_delete (self->batch, (const char *) row, row_size);
        s_stage_overlay (self, row, row_size, NULL, 0);
    }
    uint8_t log_key [9];
    log_key [0] = ZYN_ROW_STREAM;
    zyn_put_u64 (log_key + 1, seq);
    leveldb_writebatch_put (self->batch, (const char *) log_key, 9,
                            (const char *) record, record_size);

    //  Local secondary index rows go in the same batch, so a strongly
    //  consistent Query on an index sees the write at once
    if (zyn_lsi_size (self->lsi))
        s_stage_indexes (self, keys, old_item, new_item);

    s_record_t *staged_record = (s_record_t *) zmalloc (sizeof (s_record_t));
    staged_record->seq = seq;
    staged_record->record = zchunk_new (record, record_size);
    free (record);
    zlistx_add_end (self->staged_records, staged_record);
    return seq;
}

//  --------------------------------------------------------------------------
//  Forget every staged write (not the sealed ones)

void
zyn_partition_abort (zyn_partition_t *self)
{
    assert (self);
    leveldb_writebatch_clear (self->batch);
    zhashx_purge (self->staged);
    zlistx_purge (self->staged_records);
    self->staged_seq = self->sealed_seq;
    zyn_itemstats_abort (&self->stats);
}

//  --------------------------------------------------------------------------
//  Seal the staged writes for a commit

bool
zyn_partition_seal (zyn_partition_t *self)
{
    assert (self);
    assert (self->sealed_seq == self->last_seq);
    if (self->staged_seq == self->sealed_seq)
        return false;
    //  The meta row keeps the last sequence number even when the log is
    //  trimmed to nothing
    uint8_t seq [8];
    zyn_put_u64 (seq, self->staged_seq);
    char key [64];
    size_t key_size = s_meta_key (META_SEQ, key);
    leveldb_writebatch_put (self->batch, key, key_size,
                            (const char *) seq, 8);
    //  So do the item count and size, in the batch with the items
    uint8_t stats [ZYN_ITEMSTATS_SIZE];
    zyn_itemstats_seal (&self->stats, stats);
    key_size = s_meta_key (ZYN_ITEMSTATS_META, key);
    leveldb_writebatch_put (self->batch, key, key_size,
                            (const char *) stats, sizeof (stats));
    //  Swap the generations: the staged one becomes the sealed one, and
    //  the sealed one's empty containers take the next writes
    leveldb_writebatch_t *batch = self->sealed_batch;
    self->sealed_batch = self->batch;
    self->batch = batch;
    zhashx_t *staged = self->sealed;
    self->sealed = self->staged;
    self->staged = staged;
    zlistx_t *records = self->sealed_records;
    self->sealed_records = self->staged_records;
    self->staged_records = records;
    self->sealed_seq = self->staged_seq;
    return true;
}

//  --------------------------------------------------------------------------
//  Write the sealed batch with sync; on any thread

int
zyn_partition_write_sealed (zyn_partition_t *self, zyn_error_t *err)
{
    assert (self);
    //  Ack means durable: the batch is written with sync, one fsync for
    //  every mutation in it (DESIGN.md section 10, rule 1)
    char *errptr = NULL;
    leveldb_write (self->db, self->sync_options, self->sealed_batch,
                   &errptr);
    if (errptr) {
        zyn_error_set (err, ZYN_ERR_INTERNAL, "storage write failed: %s",
                       errptr);
        leveldb_free (errptr);
        return -1;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  End the commit of the sealed writes, which succeeded (rc 0) or failed

void
zyn_partition_finish (zyn_partition_t *self, int rc)
{
    assert (self);
    leveldb_writebatch_clear (self->sealed_batch);
    zyn_itemstats_finish (&self->stats, rc == 0);
    if (rc == 0) {
        //  The item rows read lately take their committed bytes
        s_staged_t *staged = (s_staged_t *) zhashx_first (self->sealed);
        while (staged) {
            zyn_rowcache_refresh (self->rows, staged->row, staged->row_size,
                                  staged->data, staged->size);
            staged = (s_staged_t *) zhashx_next (self->sealed);
        }
        s_record_t *record = (s_record_t *) zlistx_first (
            self->sealed_records);
        while (record) {
            zlistx_detach_cur (self->sealed_records);
            zlistx_add_end (self->records, record);
            record = (s_record_t *) zlistx_first (self->sealed_records);
        }
        self->last_seq = self->sealed_seq;
    }
    else {
        //  The staged writes were made on top of the failed ones (reads
        //  saw them, sequence numbers follow them): they go too
        zlistx_purge (self->sealed_records);
        self->sealed_seq = self->last_seq;
        zyn_partition_abort (self);
    }
    zhashx_purge (self->sealed);
}

//  --------------------------------------------------------------------------
//  Write the pending batch with sync, at once

int
zyn_partition_commit (zyn_partition_t *self, zyn_error_t *err)
{
    assert (self);
    if (!zyn_partition_seal (self))
        return 0;
    int rc = zyn_partition_write_sealed (self, err);
    zyn_partition_finish (self, rc);
    return rc;
}

//  --------------------------------------------------------------------------
//  True while a sealed batch is being committed

bool
zyn_partition_in_flight (zyn_partition_t *self)
{
    assert (self);
    return self->sealed_seq != self->last_seq;
}

//  --------------------------------------------------------------------------
//  The last staged sequence number (last_seq if nothing is staged)

uint64_t
zyn_partition_staged_seq (zyn_partition_t *self)
{
    assert (self);
    return self->staged_seq;
}

//  --------------------------------------------------------------------------
//  The committed item count and size

void
zyn_partition_item_stats (zyn_partition_t *self, int64_t *items,
                          int64_t *bytes)
{
    assert (self);
    *items = self->stats.committed.items;
    *bytes = self->stats.committed.bytes;
}

//  --------------------------------------------------------------------------
//  The next committed record not yet taken, oldest first

zchunk_t *
zyn_partition_next_record (zyn_partition_t *self, uint64_t *seq)
{
    assert (self);
    s_record_t *record = (s_record_t *) zlistx_first (self->records);
    if (!record)
        return NULL;
    zlistx_detach_cur (self->records);
    zchunk_t *chunk = record->record;
    *seq = record->seq;
    free (record);
    return chunk;
}

//  --------------------------------------------------------------------------
//  The creation time of the durable record seq: 0, or -1 if it is not
//  there or not readable

static int
s_record_time (zyn_partition_t *self, uint64_t seq, int64_t *time_ms,
               zyn_error_t *err)
{
    uint8_t key [9];
    key [0] = ZYN_ROW_STREAM;
    zyn_put_u64 (key + 1, seq);
    zyn_value_t *record = NULL;
    if (zyn_partition_read (self, key, 9, &record, err))
        return -1;
    int rc = record
          && zyn_value_map_get_int (record, "ApproximateCreationDateTime",
                                    time_ms) == 0 ? 0 : -1;
    if (rc)
        zyn_error_set (err, ZYN_ERR_INTERNAL, "change record %" PRIu64
                       " is missing or has no creation time", seq);
    zyn_value_destroy (&record);
    return rc;
}

//  --------------------------------------------------------------------------
//  Trim the change log: the records before before_ms go, oldest first.
//  Sequence numbers have no gaps and creation times grow with them, so a
//  binary search over them finds the last record to go, reading about
//  log2(n) records; the deletes then need no reads at all.

int64_t
zyn_partition_trim (zyn_partition_t *self, int64_t before_ms, size_t max,
                    zyn_error_t *err)
{
    assert (self);
    if (self->first_seq > self->last_seq || max == 0)
        return 0;
    int64_t time_ms;
    if (s_record_time (self, self->first_seq, &time_ms, err))
        return -1;
    if (time_ms >= before_ms)
        return 0;
    //  Invariant: lo is too old, hi (if it exists) is not
    uint64_t lo = self->first_seq;
    uint64_t hi = self->last_seq + 1;
    if (hi - lo > max)
        hi = lo + max;
    while (hi - lo > 1) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (s_record_time (self, mid, &time_ms, err))
            return -1;
        if (time_ms < before_ms)
            lo = mid;
        else
            hi = mid;
    }
    leveldb_writebatch_t *batch = leveldb_writebatch_create ();
    uint8_t key [9];
    key [0] = ZYN_ROW_STREAM;
    for (uint64_t seq = self->first_seq; seq <= lo; seq++) {
        zyn_put_u64 (key + 1, seq);
        leveldb_writebatch_delete (batch, (const char *) key, 9);
    }
    char *errptr = NULL;
    leveldb_write (self->db, self->trim_options, batch, &errptr);
    leveldb_writebatch_destroy (batch);
    if (errptr) {
        zyn_error_set (err, ZYN_ERR_INTERNAL, "storage write failed: %s",
                       errptr);
        leveldb_free (errptr);
        return -1;
    }
    int64_t trimmed = (int64_t) (lo - self->first_seq + 1);
    self->first_seq = lo + 1;
    return trimmed;
}

//  --------------------------------------------------------------------------
//  The oldest sequence number still in the change log

uint64_t
zyn_partition_first_seq (zyn_partition_t *self)
{
    assert (self);
    return self->first_seq;
}

//  --------------------------------------------------------------------------
//  Read up to limit change records starting at sequence number start

zyn_value_t *
zyn_partition_read_records (zyn_partition_t *self, uint64_t start,
                            size_t limit, size_t max_bytes, zyn_error_t *err)
{
    assert (self);
    zyn_value_t *records = zyn_value_new_l ();
    leveldb_iterator_t *iter = leveldb_create_iterator (self->db,
                                                        self->read_options);
    uint8_t key [9];
    key [0] = ZYN_ROW_STREAM;
    zyn_put_u64 (key + 1, start);
    leveldb_iter_seek (iter, (const char *) key, 9);
    size_t bytes = 0;
    while (leveldb_iter_valid (iter) && zyn_value_size (records) < limit
           && (max_bytes == 0 || bytes < max_bytes)) {
        size_t key_size, size;
        const char *row = leveldb_iter_key (iter, &key_size);
        if (key_size != 9 || row [0] != ZYN_ROW_STREAM)
            break;
        const char *data = leveldb_iter_value (iter, &size);
        bytes += size;
        zyn_error_t decode_err = { 0 };
        zyn_value_t *record = zyn_value_decode (data, size, &decode_err);
        if (!record) {
            zyn_error_set (err, ZYN_ERR_INTERNAL,
                           "stored change record is corrupt: %s",
                           decode_err.message);
            zyn_value_destroy (&records);
            break;
        }
        zyn_value_list_append (records, &record);
        leveldb_iter_next (iter);
    }
    leveldb_iter_destroy (iter);
    return records;
}

//  --------------------------------------------------------------------------
//  Iterate committed rows

zyn_partition_iter_t *
zyn_partition_iter_new (zyn_partition_t *self)
{
    assert (self);
    zyn_partition_iter_t *iter =
        (zyn_partition_iter_t *) zmalloc (sizeof (zyn_partition_iter_t));
    iter->iter = leveldb_create_iterator (self->db, self->read_options);
    return iter;
}

void
zyn_partition_iter_destroy (zyn_partition_iter_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        leveldb_iter_destroy ((*self_p)->iter);
        free (*self_p);
        *self_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  Position at the first row >= key, or at the last row < key

bool
zyn_partition_iter_seek (zyn_partition_iter_t *self, const uint8_t *key,
                         size_t size, bool before)
{
    assert (self);
    leveldb_iter_seek (self->iter, (const char *) key, size);
    if (before) {
        if (leveldb_iter_valid (self->iter))
            leveldb_iter_prev (self->iter);
        else
            leveldb_iter_seek_to_last (self->iter);
    }
    return leveldb_iter_valid (self->iter);
}

//  --------------------------------------------------------------------------
//  Step forward or backward

bool
zyn_partition_iter_step (zyn_partition_iter_t *self, bool forward)
{
    assert (self);
    if (!leveldb_iter_valid (self->iter))
        return false;
    if (forward)
        leveldb_iter_next (self->iter);
    else
        leveldb_iter_prev (self->iter);
    return leveldb_iter_valid (self->iter);
}

//  --------------------------------------------------------------------------
//  The current row's key and value

const uint8_t *
zyn_partition_iter_key (zyn_partition_iter_t *self, size_t *size)
{
    assert (self);
    return (const uint8_t *) leveldb_iter_key (self->iter, size);
}

const uint8_t *
zyn_partition_iter_value (zyn_partition_iter_t *self, size_t *size)
{
    assert (self);
    return (const uint8_t *) leveldb_iter_value (self->iter, size);
}

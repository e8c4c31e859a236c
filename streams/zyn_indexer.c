/*  =========================================================================
    zyn_indexer - keeps global secondary indexes from their base tables'
    change streams, and backfills new ones

    Rows of the indexer's LevelDB, per index incarnation (the hidden
    table's id, never reused):

        c/<id>/<partition>   checkpoint: last applied seq of that base
                             partition (decimal text)
        b/<id>/<partition>   a backfill's starting seq S of the partition
        k/<id>               where the backfill scan resumes: the last
                             acknowledged page's LastEvaluatedKey
                             (MessagePack)
        f/<id>               present once the index follows its stream

    See zyn_indexer.h and docs/indexes.md.
    =========================================================================
*/

#include "zyn_prelude.h"
#include "zyn_error.h"
#include "zyn_indexer.h"

//  How often the index list is refreshed and lag reported, ms
#define S_REFRESH_MSECS 1000
//  How often lag is logged, ms
#define S_LOG_MSECS 5000
//  Most change records applied in one batch
#define S_BATCH_MAX 2000
//  How long a batch's writes may take before it is retried, ms
#define S_WRITE_TIMEOUT 20000
//  Items per backfill Scan page
#define S_SCAN_PAGE 1000
//  Most index writes in flight
#define S_WINDOW 200
//  Wait before retrying an index that failed, ms
#define S_RETRY_MSECS 500

//  One index the indexer keeps
typedef struct {
    char *table;                //  Owned, base table name
    char *index;                //  Owned, index name
    uint64_t id;                //  Hidden table id: the incarnation
    char *pk;                   //  Owned, index partition key name
    char *sk;                   //  Owned, index sort key name or NULL
    bool backfilling;           //  The broker says Backfilling
    bool following;             //  Backfill done (or not needed)
    bool seen;                  //  In the last ZynListIndexes answer
    zyn_stream_t *stream;       //  Owned, NULL until started
    uint32_t partitions;        //  Checkpoints kept, one per partition
    uint64_t *checkpoints;      //  Owned, durable checkpoints
    uint64_t *targets;          //  Owned, seqs to pass before ACTIVE
    zyn_value_t *scan_key;      //  Owned, where the backfill resumes
    bool scan_loaded;           //  scan_key read from the store
    int64_t lag;                //  Records not applied, last measured
    int64_t retry_at;           //  Monotonic ms
} s_index_t;

struct zyn_indexer {
    char *endpoint;             //  Owned
    zyn_client_t *client;       //  Owned
    leveldb_t *db;              //  Owned, closed in destroy
    leveldb_options_t *options; //  Owned
    leveldb_writeoptions_t *sync;       //  Owned
    leveldb_readoptions_t *read;        //  Owned
    zlistx_t *indexes;          //  Owned, s_index_t
    int64_t next_refresh;       //  Monotonic ms
    int64_t next_log;           //  Monotonic ms
    bool verbose;
};

static void
s_index_destroy (s_index_t **self_p)
{
    s_index_t *self = *self_p;
    if (self) {
        zyn_stream_destroy (&self->stream);
        free (self->table);
        free (self->index);
        free (self->pk);
        free (self->sk);
        free (self->checkpoints);
        free (self->targets);
        zyn_value_destroy (&self->scan_key);
        free (self);
        *self_p = NULL;
    }
}

static void
s_index_destructor (void **item)
{
    s_index_destroy ((s_index_t **) item);
}

//  --------------------------------------------------------------------------
//  Store

//  Put (value not NULL) or delete rows in one synced batch: keys and
//  values are NULL-terminated arrays of strings, values may be NULL for
//  deletes. Returns 0 or -1.
static int
s_store_write (zyn_indexer_t *self, leveldb_writebatch_t *batch)
{
    char *errptr = NULL;
    leveldb_write (self->db, self->sync, batch, &errptr);
    if (errptr) {
        zsys_error ("zyn_indexer: store write failed error=%s", errptr);
        leveldb_free (errptr);
        return -1;
    }
    return 0;
}

static void
s_batch_put (leveldb_writebatch_t *batch, const char *key, uint64_t value)
{
    char text [24];
    snprintf (text, sizeof (text), "%" PRIu64, value);
    leveldb_writebatch_put (batch, key, strlen (key), text, strlen (text));
}

//  Read every row under prefix: calls back with the part after the
//  prefix and the value as a number
typedef void (s_row_fn) (s_index_t *index, const char *suffix,
                         uint64_t value);

static size_t
s_store_scan (zyn_indexer_t *self, const char *prefix, s_index_t *index,
              s_row_fn *callback, leveldb_writebatch_t *delete_batch)
{
    size_t count = 0;
    size_t prefix_size = strlen (prefix);
    leveldb_iterator_t *iter = leveldb_create_iterator (self->db, self->read);
    for (leveldb_iter_seek (iter, prefix, prefix_size);
         leveldb_iter_valid (iter); leveldb_iter_next (iter)) {
        size_t key_size, value_size;
        const char *key = leveldb_iter_key (iter, &key_size);
        if (key_size < prefix_size || memcmp (key, prefix, prefix_size))
            break;
        const char *value = leveldb_iter_value (iter, &value_size);
        char suffix [64] = "";
        char number [32] = "";
        snprintf (suffix, sizeof (suffix), "%.*s",
                  (int) (key_size - prefix_size), key + prefix_size);
        snprintf (number, sizeof (number), "%.*s", (int) value_size, value);
        if (callback)
            callback (index, suffix, strtoull (number, NULL, 10));
        if (delete_batch)
            leveldb_writebatch_delete (delete_batch, key, key_size);
        count++;
    }
    leveldb_iter_destroy (iter);
    return count;
}

//  Make sure index has room for partition's checkpoint and target
static void
s_index_grow (s_index_t *index, uint32_t partitions)
{
    if (partitions <= index->partitions)
        return;
    index->checkpoints = (uint64_t *) realloc (
        index->checkpoints, partitions * sizeof (uint64_t));
    index->targets = (uint64_t *) realloc (index->targets,
                                           partitions * sizeof (uint64_t));
    assert (index->checkpoints && index->targets);
    for (uint32_t p = index->partitions; p < partitions; p++) {
        index->checkpoints [p] = 0;
        index->targets [p] = 0;
    }
    index->partitions = partitions;
}

static void
s_load_checkpoint (s_index_t *index, const char *suffix, uint64_t value)
{
    unsigned long partition = strtoul (suffix, NULL, 10);
    if (partition < 65536) {
        s_index_grow (index, (uint32_t) partition + 1);
        index->checkpoints [partition] = value;
    }
}

//  --------------------------------------------------------------------------
//  Create an indexer

zyn_indexer_t *
zyn_indexer_new (const char *endpoint, const char *data, zyn_error_t *err)
{
    assert (endpoint);
    assert (data);
    if (zsys_dir_create ("%s", data)) {
        zyn_error_set (err, ZYN_ERR_INTERNAL, "cannot create %s: %s", data,
                       strerror (errno));
        return NULL;
    }
    zyn_client_t *client = zyn_client_new (endpoint, err);
    if (!client)
        return NULL;
    zyn_indexer_t *self = (zyn_indexer_t *) zmalloc (sizeof (zyn_indexer_t));
    self->endpoint = strdup (endpoint);
    self->client = client;
    zyn_client_set_timeout (self->client, 10000);
    self->options = leveldb_options_create ();
    leveldb_options_set_create_if_missing (self->options, 1);
    self->sync = leveldb_writeoptions_create ();
    leveldb_writeoptions_set_sync (self->sync, 1);
    self->read = leveldb_readoptions_create ();
    char *errptr = NULL;
    self->db = leveldb_open (self->options, data, &errptr);
    if (!self->db) {
        zyn_error_set (err, ZYN_ERR_INTERNAL, "cannot open %s: %s", data,
                       errptr ? errptr : "?");
        leveldb_free (errptr);
        zyn_indexer_destroy (&self);
        return NULL;
    }
    self->indexes = zlistx_new ();
    zlistx_set_destructor (self->indexes, s_index_destructor);
    return self;
}

//  --------------------------------------------------------------------------
//  Destroy the indexer

void
zyn_indexer_destroy (zyn_indexer_t **self_p)
{
    assert (self_p);
    zyn_indexer_t *self = *self_p;
    if (!self)
        return;
    zlistx_destroy (&self->indexes);
    if (self->db)
        leveldb_close (self->db);
    leveldb_options_destroy (self->options);
    leveldb_writeoptions_destroy (self->sync);
    leveldb_readoptions_destroy (self->read);
    zyn_client_destroy (&self->client);
    free (self->endpoint);
    free (self);
    *self_p = NULL;
}

//  --------------------------------------------------------------------------
//  Log every batch

void
zyn_indexer_set_verbose (zyn_indexer_t *self, bool verbose)
{
    assert (self);
    self->verbose = verbose;
}

//  --------------------------------------------------------------------------
//  Writing index entries

//  Waits for replies to the pipelined requests whose ids are in ids until
//  at most max are left. Returns 0 if all answered succeeded, -1
//  otherwise.
static int
s_wait_writes_until (zyn_indexer_t *self, zhashx_t *ids, size_t max,
                     zyn_error_t *err)
{
    int rc = 0;
    int64_t deadline = zyn_mono_msecs () + S_WRITE_TIMEOUT;
    while (zhashx_size (ids) > max) {
        int64_t wait = deadline - zyn_mono_msecs ();
        if (zsys_interrupted) {
            zyn_error_set (err, ZYN_ERR_SERVICE_UNAVAILABLE,
                           "interrupted");
            return -1;
        }
        if (wait <= 0) {
            zyn_error_set (err, ZYN_ERR_SERVICE_UNAVAILABLE,
                           "index writes not acknowledged in time");
            return -1;
        }
        uint64_t request_id = 0;
        zyn_error_t reply_err = { 0 };
        zyn_value_t *reply = zyn_client_recv (self->client, &request_id,
                                              (int) wait, &reply_err);
        zyn_value_destroy (&reply);
        char key [24];
        snprintf (key, sizeof (key), "%" PRIu64, request_id);
        if (request_id == 0 || !zhashx_lookup (ids, key))
            continue;           //  A timeout, or a late reply of a batch
                                //  already given up
        zhashx_delete (ids, key);
        if (zyn_error_is_set (&reply_err) && rc == 0) {
            *err = reply_err;
            rc = -1;
        }
    }
    return rc;
}

//  Waits for every reply; 0 if all succeeded
static int
s_wait_writes (zyn_indexer_t *self, zhashx_t *ids, zyn_error_t *err)
{
    return s_wait_writes_until (self, ids, 0, err);
}

//  Send one ZynIndexWrite of image; remembers its id in ids. Keeps at
//  most S_WINDOW in flight, so that the broker and the workers keep up
//  (and keep their heartbeats) under a backfill.
static int
s_send_write (zyn_indexer_t *self, s_index_t *index, const zyn_value_t *image,
              bool is_delete, zhashx_t *ids, zyn_error_t *err)
{
    if (zhashx_size (ids) >= S_WINDOW
        && s_wait_writes_until (self, ids, S_WINDOW - 1, err))
        return -1;
    zyn_value_t *request = zyn_value_new_m ();
    zyn_value_map_put_s (request, "TableName", index->table);
    zyn_value_map_put_s (request, "IndexName", index->index);
    zyn_value_map_put_int (request, "IndexTableId", (int64_t) index->id);
    zyn_value_t *copy = zyn_value_dup (image);
    zyn_value_map_put (request, "Image", &copy);
    if (is_delete)
        zyn_value_map_put_bool (request, "Delete", true);
    uint64_t request_id = zyn_client_send (self->client, "ZynIndexWrite",
                                           request, err);
    zyn_value_destroy (&request);
    if (!request_id)
        return -1;
    char key [24];
    snprintf (key, sizeof (key), "%" PRIu64, request_id);
    zhashx_insert (ids, key, (void *) 1);
    return 0;
}

//  True if image has every key attribute of the index
static bool
s_has_keys (s_index_t *index, const zyn_value_t *image)
{
    return image && zyn_value_map_get (image, index->pk)
        && (!index->sk || zyn_value_map_get (image, index->sk));
}

//  True if both images hold the same index key
static bool
s_same_keys (s_index_t *index, const zyn_value_t *old_image,
             const zyn_value_t *new_image)
{
    const char *names [2] = { index->pk, index->sk };
    for (int i = 0; i < 2; i++)
        if (names [i]
            && !zyn_value_equal (zyn_value_map_get (old_image, names [i]),
                                 zyn_value_map_get (new_image, names [i])))
            return false;
    return true;
}

//  The writes of one change record: remove the old image's entry unless
//  the new one replaces it, and write the new one
static int
s_send_record (zyn_indexer_t *self, s_index_t *index,
               const zyn_value_t *record, zhashx_t *ids, zyn_error_t *err)
{
    const zyn_value_t *old_image = zyn_value_map_get (record, "OldImage");
    const zyn_value_t *new_image = zyn_value_map_get (record, "NewImage");
    bool old_in = s_has_keys (index, old_image);
    bool new_in = s_has_keys (index, new_image);
    if (old_in && !(new_in && s_same_keys (index, old_image, new_image))
        && s_send_write (self, index, old_image, true, ids, err))
        return -1;
    if (new_in && s_send_write (self, index, new_image, false, ids, err))
        return -1;
    return 0;
}

//  --------------------------------------------------------------------------
//  The broker's view of a table's partitions: fills seqs (one per
//  partition, allocated, caller frees) and returns their count, or 0 with
//  err

static uint32_t
s_get_shards (zyn_indexer_t *self, const char *table, uint64_t **seqs,
              zyn_error_t *err)
{
    zyn_value_t *request = zyn_value_new_m ();
    zyn_value_map_put_s (request, "TableName", table);
    zyn_value_t *reply = zyn_client_call (self->client, "ZynGetShards",
                                          request, err);
    zyn_value_destroy (&request);
    zyn_value_t *shards = reply ? zyn_value_map_get (reply, "Shards") : NULL;
    uint32_t count = shards ? (uint32_t) zyn_value_size (shards) : 0;
    *seqs = count ? (uint64_t *) zmalloc (count * sizeof (uint64_t)) : NULL;
    for (uint32_t i = 0; i < count; i++) {
        zyn_value_t *shard = zyn_value_list_get (shards, i);
        int64_t partition = -1, seq = 0;
        zyn_value_map_get_int (shard, "PartitionId", &partition);
        zyn_value_map_get_int (shard, "LastSequenceNumber", &seq);
        if (partition >= 0 && partition < count)
            (*seqs) [partition] = (uint64_t) seq;
    }
    if (reply && !count)
        zyn_error_set (err, ZYN_ERR_INTERNAL, "table %s has no shards",
                       table);
    zyn_value_destroy (&reply);
    return count;
}

//  --------------------------------------------------------------------------
//  Backfill: scan the base table and write every item's entry, then
//  follow the stream from the sequences recorded before the scan began.
//  Every record after S is replayed after the scan, and each record
//  removes the entry of its old image: so whatever version of an item the
//  scan saw, the replay ends with the entry of its last version only
//  (docs/indexes.md, "Backfill").

static void
s_load_start (s_index_t *index, const char *suffix, uint64_t value)
{
    s_load_checkpoint (index, suffix, value);
}

static int
s_backfill (zyn_indexer_t *self, s_index_t *index, zyn_error_t *err)
{
    char prefix [64];
    snprintf (prefix, sizeof (prefix), "b/%" PRIu64 "/", index->id);
    //  S, once: a restarted backfill must replay from the same S
    if (s_store_scan (self, prefix, index, s_load_start, NULL) == 0) {
        uint64_t *seqs = NULL;
        uint32_t count = s_get_shards (self, index->table, &seqs, err);
        if (!count)
            return -1;
        leveldb_writebatch_t *batch = leveldb_writebatch_create ();
        s_index_grow (index, count);
        for (uint32_t p = 0; p < count; p++) {
            char key [96];
            snprintf (key, sizeof (key), "%.60s%u", prefix, p);
            s_batch_put (batch, key, seqs [p]);
            index->checkpoints [p] = seqs [p];
        }
        free (seqs);
        int rc = s_store_write (self, batch);
        leveldb_writebatch_destroy (batch);
        if (rc)
            return zyn_error_set (err, ZYN_ERR_INTERNAL, "store failed");
    }
    char cursor_key [64];
    snprintf (cursor_key, sizeof (cursor_key), "k/%" PRIu64, index->id);
    if (!index->scan_loaded) {
        //  A backfill interrupted by a crash resumes its scan
        size_t size = 0;
        char *errptr = NULL;
        char *data = leveldb_get (self->db, self->read, cursor_key,
                                  strlen (cursor_key), &size, &errptr);
        leveldb_free (errptr);
        if (data)
            index->scan_key = zyn_value_decode (data, size, NULL);
        leveldb_free (data);
        index->scan_loaded = true;
    }
    zsys_info ("zyn_indexer: backfill %s table=%s index=%s",
               index->scan_key ? "resumed" : "started", index->table,
               index->index);
    int64_t items = 0;
    zhashx_t *ids = zhashx_new ();
    int rc = 0;
    do {
        zyn_value_t *request = zyn_value_new_m ();
        zyn_value_map_put_s (request, "TableName", index->table);
        zyn_value_map_put_int (request, "Limit", S_SCAN_PAGE);
        if (index->scan_key) {
            zyn_value_t *copy = zyn_value_dup (index->scan_key);
            zyn_value_map_put (request, "ExclusiveStartKey", &copy);
        }
        zyn_value_t *page = zyn_client_call (self->client, "Scan", request,
                                             err);
        zyn_value_destroy (&request);
        if (!page) {
            rc = -1;
            break;
        }
        zyn_value_t *list = zyn_value_map_get (page, "Items");
        for (size_t i = 0; list && i < zyn_value_size (list) && rc == 0;
             i++) {
            zyn_value_t *item = zyn_value_list_get (list, i);
            if (s_has_keys (index, item))
                rc = s_send_write (self, index, item, false, ids, err);
        }
        items += list ? (int64_t) zyn_value_size (list) : 0;
        if (rc == 0)
            rc = s_wait_writes (self, ids, err);
        if (rc == 0) {
            //  The page is in the index: the scan goes on after it
            zyn_value_destroy (&index->scan_key);
            index->scan_key = zyn_value_map_take (page, "LastEvaluatedKey");
            leveldb_writebatch_t *batch = leveldb_writebatch_create ();
            if (index->scan_key) {
                size_t size;
                void *data = zyn_value_encode (index->scan_key, &size);
                leveldb_writebatch_put (batch, cursor_key,
                                        strlen (cursor_key), data, size);
                free (data);
            }
            else
                leveldb_writebatch_delete (batch, cursor_key,
                                           strlen (cursor_key));
            rc = s_store_write (self, batch);
            leveldb_writebatch_destroy (batch);
            if (rc)
                zyn_error_set (err, ZYN_ERR_INTERNAL, "store failed");
        }
        zyn_value_destroy (&page);
        //  Stopping: the scan resumes from its stored position
        if (rc == 0 && zsys_interrupted)
            rc = zyn_error_set (err, ZYN_ERR_SERVICE_UNAVAILABLE,
                                "interrupted");
    } while (rc == 0 && index->scan_key);
    zhashx_destroy (&ids);
    if (rc)
        return -1;

    //  Caught up once past what the table held when the scan ended
    uint64_t *seqs = NULL;
    uint32_t count = s_get_shards (self, index->table, &seqs, err);
    if (!count)
        return -1;
    s_index_grow (index, count);
    for (uint32_t p = 0; p < count; p++)
        index->targets [p] = seqs [p];
    free (seqs);
    leveldb_writebatch_t *batch = leveldb_writebatch_create ();
    for (uint32_t p = 0; p < index->partitions; p++) {
        char key [64];
        snprintf (key, sizeof (key), "c/%" PRIu64 "/%u", index->id, p);
        s_batch_put (batch, key, index->checkpoints [p]);
    }
    char key [64];
    snprintf (key, sizeof (key), "f/%" PRIu64, index->id);
    s_batch_put (batch, key, 1);
    s_store_scan (self, prefix, NULL, NULL, batch);
    leveldb_writebatch_delete (batch, cursor_key, strlen (cursor_key));
    rc = s_store_write (self, batch);
    leveldb_writebatch_destroy (batch);
    if (rc)
        return zyn_error_set (err, ZYN_ERR_INTERNAL, "store failed");
    index->following = true;
    zsys_info ("zyn_indexer: backfill scanned table=%s index=%s items=%"
               PRId64, index->table, index->index, items);
    return 0;
}

//  Start following an index created with its table: from the start of
//  every partition's log
static int
s_start_following (zyn_indexer_t *self, s_index_t *index, zyn_error_t *err)
{
    uint64_t *seqs = NULL;
    uint32_t count = s_get_shards (self, index->table, &seqs, err);
    free (seqs);
    if (!count)
        return -1;
    s_index_grow (index, count);
    leveldb_writebatch_t *batch = leveldb_writebatch_create ();
    for (uint32_t p = 0; p < count; p++) {
        char key [64];
        snprintf (key, sizeof (key), "c/%" PRIu64 "/%u", index->id, p);
        s_batch_put (batch, key, 0);
        index->checkpoints [p] = 0;
    }
    char key [64];
    snprintf (key, sizeof (key), "f/%" PRIu64, index->id);
    s_batch_put (batch, key, 1);
    int rc = s_store_write (self, batch);
    leveldb_writebatch_destroy (batch);
    if (rc)
        return zyn_error_set (err, ZYN_ERR_INTERNAL, "store failed");
    index->following = true;
    return 0;
}

//  --------------------------------------------------------------------------
//  Apply one batch of change records to index. Returns the number
//  applied, or -1 with err (the stream is then dropped, to replay from
//  the stored checkpoints).

static int
s_apply_batch (zyn_indexer_t *self, s_index_t *index, int timeout_ms,
               zyn_error_t *err)
{
    if (!index->stream) {
        index->stream = zyn_stream_new (self->endpoint, index->table, err);
        if (!index->stream)
            return -1;
        for (uint32_t p = 0; p < index->partitions; p++)
            zyn_stream_set_checkpoint (index->stream, p,
                                       index->checkpoints [p]);
    }
    zhashx_t *ids = zhashx_new ();
    int count = 0;
    int rc = 0;
    while (count < S_BATCH_MAX && rc == 0) {
        zyn_value_t *record = zyn_stream_next (
            index->stream, count ? 0 : timeout_ms, err);
        if (!record) {
            if (zyn_error_is_set (err))
                rc = -1;
            break;
        }
        rc = s_send_record (self, index, record, ids, err);
        zyn_value_destroy (&record);
        count++;
    }
    if (rc == 0)
        rc = s_wait_writes (self, ids, err);
    zhashx_destroy (&ids);
    uint32_t partitions = rc == 0 && count
                        ? zyn_stream_partitions (index->stream) : 0;
    if (partitions) {
        s_index_grow (index, partitions);
        leveldb_writebatch_t *batch = leveldb_writebatch_create ();
        for (uint32_t p = 0; p < partitions; p++) {
            uint64_t seq = zyn_stream_checkpoint (index->stream, p);
            if (seq == index->checkpoints [p])
                continue;
            char key [64];
            snprintf (key, sizeof (key), "c/%" PRIu64 "/%u", index->id, p);
            s_batch_put (batch, key, seq);
        }
        rc = s_store_write (self, batch);
        leveldb_writebatch_destroy (batch);
        if (rc == 0)
            for (uint32_t p = 0; p < partitions; p++)
                index->checkpoints [p]
                    = zyn_stream_checkpoint (index->stream, p);
        else
            zyn_error_set (err, ZYN_ERR_INTERNAL, "store failed");
    }
    if (rc) {
        zyn_stream_destroy (&index->stream);
        return -1;
    }
    if (self->verbose && count)
        zsys_debug ("zyn_indexer: applied table=%s index=%s records=%d",
                    index->table, index->index, count);
    return count;
}

//  --------------------------------------------------------------------------
//  Measure lag and tell the broker; a backfilled index that caught up is
//  reported done

static void
s_report (zyn_indexer_t *self, s_index_t *index, bool log)
{
    zyn_error_t err = { 0 };
    uint64_t *seqs = NULL;
    uint32_t count = s_get_shards (self, index->table, &seqs, &err);
    if (!count)
        return;
    s_index_grow (index, count);
    int64_t lag = 0;
    bool caught_up = index->following;
    for (uint32_t p = 0; p < count; p++) {
        if (seqs [p] > index->checkpoints [p])
            lag += (int64_t) (seqs [p] - index->checkpoints [p]);
        if (index->checkpoints [p] < index->targets [p])
            caught_up = false;
    }
    free (seqs);
    index->lag = index->following ? lag : -1;
    zyn_value_t *request = zyn_value_new_m ();
    zyn_value_map_put_s (request, "TableName", index->table);
    zyn_value_map_put_s (request, "IndexName", index->index);
    zyn_value_map_put_int (request, "IndexTableId", (int64_t) index->id);
    zyn_value_map_put_int (request, "Lag", index->lag);
    if (index->backfilling && caught_up)
        zyn_value_map_put_bool (request, "Backfilled", true);
    zyn_value_t *reply = zyn_client_call (self->client, "ZynIndexStatus",
                                          request, &err);
    zyn_value_destroy (&request);
    if (reply && index->backfilling && caught_up) {
        zsys_info ("zyn_indexer: backfill done table=%s index=%s",
                   index->table, index->index);
        index->backfilling = false;
    }
    zyn_value_destroy (&reply);
    if (log)
        zsys_info ("zyn_indexer: lag table=%s index=%s records=%" PRId64
                   "%s", index->table, index->index, index->lag,
                   index->following ? "" : " backfilling=true");
}

//  --------------------------------------------------------------------------
//  Refresh the list of indexes from the broker

static s_index_t *
s_index_lookup (zyn_indexer_t *self, uint64_t id)
{
    s_index_t *index = (s_index_t *) zlistx_first (self->indexes);
    while (index && index->id != id)
        index = (s_index_t *) zlistx_next (self->indexes);
    return index;
}

//  Forget an index and its rows
static void
s_index_forget (zyn_indexer_t *self, s_index_t *index)
{
    leveldb_writebatch_t *batch = leveldb_writebatch_create ();
    const char *families [] = { "c/%" PRIu64 "/", "b/%" PRIu64 "/",
                                "f/%" PRIu64, "k/%" PRIu64 };
    for (int i = 0; i < 4; i++) {
        char prefix [64];
        snprintf (prefix, sizeof (prefix), families [i], index->id);
        s_store_scan (self, prefix, NULL, NULL, batch);
    }
    s_store_write (self, batch);
    leveldb_writebatch_destroy (batch);
    zsys_info ("zyn_indexer: index dropped table=%s index=%s",
               index->table, index->index);
}

static void
s_refresh (zyn_indexer_t *self)
{
    zyn_error_t err = { 0 };
    zyn_value_t *request = zyn_value_new_m ();
    zyn_value_t *reply = zyn_client_call (self->client, "ZynListIndexes",
                                          request, &err);
    zyn_value_destroy (&request);
    if (!reply) {
        zsys_warning ("zyn_indexer: cannot list indexes error=%s",
                      err.message);
        return;
    }
    s_index_t *index = (s_index_t *) zlistx_first (self->indexes);
    while (index) {
        index->seen = false;
        index = (s_index_t *) zlistx_next (self->indexes);
    }
    zyn_value_t *list = zyn_value_map_get (reply, "Indexes");
    for (size_t i = 0; list && i < zyn_value_size (list); i++) {
        zyn_value_t *entry = zyn_value_list_get (list, i);
        int64_t id = -1;
        zyn_value_map_get_int (entry, "IndexTableId", &id);
        const char *table = zyn_value_map_get_s (entry, "TableName");
        const char *name = zyn_value_map_get_s (entry, "IndexName");
        zyn_value_t *schema = zyn_value_map_get (entry, "KeySchema");
        if (id < 0 || !table || !name || !schema)
            continue;
        index = s_index_lookup (self, (uint64_t) id);
        if (!index) {
            index = (s_index_t *) zmalloc (sizeof (s_index_t));
            index->table = strdup (table);
            index->index = strdup (name);
            index->id = (uint64_t) id;
            for (size_t k = 0; k < zyn_value_size (schema); k++) {
                zyn_value_t *key = zyn_value_list_get (schema, k);
                const char *key_name = zyn_value_map_get_s (key,
                                                            "AttributeName");
                const char *type = zyn_value_map_get_s (key, "KeyType");
                if (key_name && type && streq (type, "HASH"))
                    index->pk = strdup (key_name);
                else
                if (key_name && type && streq (type, "RANGE"))
                    index->sk = strdup (key_name);
            }
            if (!index->pk) {
                s_index_destroy (&index);
                continue;
            }
            char key [64];
            snprintf (key, sizeof (key), "c/%" PRIu64 "/", index->id);
            s_store_scan (self, key, index, s_load_checkpoint, NULL);
            snprintf (key, sizeof (key), "f/%" PRIu64, index->id);
            index->following
                = s_store_scan (self, key, NULL, NULL, NULL) > 0;
            zlistx_add_end (self->indexes, index);
            zsys_info ("zyn_indexer: index found table=%s index=%s id=%"
                       PRIu64 "%s", table, name, index->id,
                       index->following ? " resumed=true" : "");
        }
        zyn_value_t *backfilling = zyn_value_map_get (entry, "Backfilling");
        bool was_backfilling = index->backfilling;
        index->backfilling = backfilling && zyn_value_bool (backfilling);
        //  Resumed after a restart mid-catch-up: the end is now
        if (index->backfilling && !was_backfilling && index->following) {
            uint64_t *seqs = NULL;
            uint32_t count = s_get_shards (self, table, &seqs, &err);
            s_index_grow (index, count);
            for (uint32_t p = 0; p < count; p++)
                index->targets [p] = seqs [p];
            free (seqs);
        }
        index->seen = true;
    }
    zyn_value_destroy (&reply);
    index = (s_index_t *) zlistx_first (self->indexes);
    while (index) {
        if (!index->seen) {
            s_index_forget (self, index);
            zlistx_delete (self->indexes, zlistx_cursor (self->indexes));
            index = (s_index_t *) zlistx_first (self->indexes);
        }
        else
            index = (s_index_t *) zlistx_next (self->indexes);
    }
}

//  --------------------------------------------------------------------------
//  Do one round of work

size_t
zyn_indexer_step (zyn_indexer_t *self, int timeout_ms)
{
    assert (self);
    int64_t now = zyn_mono_msecs ();
    bool report = false;
    bool log = false;
    if (now >= self->next_refresh) {
        s_refresh (self);
        self->next_refresh = now + S_REFRESH_MSECS;
        report = true;
    }
    if (now >= self->next_log) {
        self->next_log = now + S_LOG_MSECS;
        log = true;
    }
    size_t applied = 0;
    size_t count = zlistx_size (self->indexes);
    int wait = count ? timeout_ms / (int) count : timeout_ms;
    s_index_t *index = (s_index_t *) zlistx_first (self->indexes);
    while (index) {
        zyn_error_t err = { 0 };
        if (zyn_mono_msecs () < index->retry_at)
            ;
        else
        if (!index->following
            && (index->backfilling ? s_backfill (self, index, &err)
                                   : s_start_following (self, index, &err))) {
            zsys_warning ("zyn_indexer: cannot start table=%s index=%s "
                          "error=%s", index->table, index->index,
                          err.message);
            index->retry_at = zyn_mono_msecs () + S_RETRY_MSECS;
        }
        else {
            int rc = s_apply_batch (self, index, wait, &err);
            if (rc < 0) {
                zsys_warning ("zyn_indexer: batch failed, will replay "
                              "table=%s index=%s error=%s", index->table,
                              index->index, err.message);
                index->retry_at = zyn_mono_msecs () + S_RETRY_MSECS;
            }
            else
                applied += (size_t) rc;
        }
        if (report)
            s_report (self, index, log);
        index = (s_index_t *) zlistx_next (self->indexes);
    }
    if (!count && timeout_ms > 0)
        zclock_sleep (timeout_ms < 100 ? timeout_ms : 100);
    return applied;
}

//  --------------------------------------------------------------------------
//  The number of indexes kept

size_t
zyn_indexer_size (zyn_indexer_t *self)
{
    assert (self);
    return zlistx_size (self->indexes);
}

//  --------------------------------------------------------------------------
//  The lag of index of table

int64_t
zyn_indexer_lag (zyn_indexer_t *self, const char *table, const char *index)
{
    assert (self);
    s_index_t *entry = (s_index_t *) zlistx_first (self->indexes);
    while (entry) {
        if (streq (entry->table, table) && streq (entry->index, index))
            return entry->lag;
        entry = (s_index_t *) zlistx_next (self->indexes);
    }
    return -1;
}

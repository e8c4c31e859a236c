/*  =========================================================================
    zyn_bench_leveldb - the leveldb driver: YCSB's operations straight on
    an in-process LevelDB, the reference for what the hardware allows

    One LevelDB in --data DIR shared by every thread (LevelDB is
    thread-safe). A record is stored under its key name as the MessagePack
    map zynamo keeps on disk ({"ycsb_key": key, "field0": ..., ...}).
    Reads are leveldb_get, updates and inserts leveldb_put of the whole
    record (sync with --sync), scans an iterator from the start key.
    The durable-put workload writes WriteBatches of --batch puts with sync,
    the ceiling for group commit.
    =========================================================================
*/

#include "zyn_prelude.h"
#include "zyn_bench.h"

typedef struct {
    leveldb_t *db;                  //  Owned, closed in teardown
    leveldb_options_t *options;     //  Owned
    leveldb_cache_t *cache;         //  Owned
    leveldb_filterpolicy_t *filter; //  Owned
    leveldb_readoptions_t *read;    //  Owned
    leveldb_writeoptions_t *write;  //  Owned
    leveldb_writeoptions_t *write_sync; //  Owned
} s_driver_t;

//  --------------------------------------------------------------------------
//  Open (or create) the LevelDB in --data.

void *
zyn_bench_leveldb_setup (zyn_bench_run_t *run)
{
    const zyn_bench_options_t *options = run->options;
    if (!options->data_dir) {
        fprintf (stderr, "zynamo-bench: the leveldb driver needs --data DIR\n");
        return NULL;
    }
    s_driver_t *self = (s_driver_t *) zmalloc (sizeof (s_driver_t));
    //  The settings a tuned partition would use: a 64 MB block cache, a
    //  10-bit Bloom filter, a 64 MB write buffer (a partition's default)
    self->options = leveldb_options_create ();
    self->cache = leveldb_cache_create_lru (64 * 1024 * 1024);
    self->filter = leveldb_filterpolicy_create_bloom (10);
    leveldb_options_set_create_if_missing (self->options, 1);
    leveldb_options_set_cache (self->options, self->cache);
    leveldb_options_set_filter_policy (self->options, self->filter);
    leveldb_options_set_write_buffer_size (self->options, 64 * 1024 * 1024);
    char *error = NULL;
    self->db = leveldb_open (self->options, options->data_dir, &error);
    if (!self->db) {
        fprintf (stderr, "zynamo-bench: cannot open %s: %s\n",
                 options->data_dir, error ? error : "unknown error");
        leveldb_free (error);
        void *driver = self;
        zyn_bench_leveldb_teardown (&driver);
        return NULL;
    }
    self->read = leveldb_readoptions_create ();
    self->write = leveldb_writeoptions_create ();
    leveldb_writeoptions_set_sync (self->write, options->sync);
    self->write_sync = leveldb_writeoptions_create ();
    leveldb_writeoptions_set_sync (self->write_sync, 1);
    return self;
}

//  --------------------------------------------------------------------------
//  Close the LevelDB.

void
zyn_bench_leveldb_teardown (void **driver_p)
{
    assert (driver_p);
    s_driver_t *self = (s_driver_t *) *driver_p;
    if (self) {
        if (self->db)
            leveldb_close (self->db);
        if (self->read)
            leveldb_readoptions_destroy (self->read);
        if (self->write)
            leveldb_writeoptions_destroy (self->write);
        if (self->write_sync)
            leveldb_writeoptions_destroy (self->write_sync);
        leveldb_options_destroy (self->options);
        leveldb_filterpolicy_destroy (self->filter);
        leveldb_cache_destroy (self->cache);
        free (self);
        *driver_p = NULL;
    }
}

//  Encode the whole record of request into buffer (cleared first)
static void
s_encode_record (zyn_bench_thread_t *thread,
                 const zyn_bench_request_t *request, msgpack_sbuffer *buffer)
{
    const zyn_bench_config_t *config
        = zyn_bench_workload_config (thread->run->workload);
    msgpack_sbuffer_clear (buffer);
    msgpack_packer packer;
    msgpack_packer_init (&packer, buffer, msgpack_sbuffer_write);
    msgpack_pack_map (&packer, (size_t) config->field_count + 1);
    msgpack_pack_str_with_body (&packer, ZYN_BENCH_KEY_ATTRIBUTE,
                                strlen (ZYN_BENCH_KEY_ATTRIBUTE));
    msgpack_pack_str_with_body (&packer, request->key, request->key_size);
    for (int field = 0; field < config->field_count; field++) {
        char name [16];
        int name_size = snprintf (name, sizeof (name), "field%d", field);
        msgpack_pack_str_with_body (&packer, name, (size_t) name_size);
        size_t length = (size_t) config->field_length;
        msgpack_pack_str_with_body (
            &packer, zyn_bench_thread_value (thread, length), length);
    }
}

//  Perform one operation; returns NULL or a static error text
static const char *
s_perform (s_driver_t *self, zyn_bench_thread_t *thread,
           const zyn_bench_request_t *request, msgpack_sbuffer *buffer)
{
    char *error = NULL;
    const char *result = NULL;
    switch (request->type) {
        case ZYN_BENCH_READ: {
            size_t size = 0;
            char *value = leveldb_get (self->db, self->read, request->key,
                                       request->key_size, &size, &error);
            if (!value && !error)
                result = "not found";
            leveldb_free (value);
            break;
        }
        case ZYN_BENCH_RMW: {
            size_t size = 0;
            char *value = leveldb_get (self->db, self->read, request->key,
                                       request->key_size, &size, &error);
            leveldb_free (value);
            if (error)
                break;
            s_encode_record (thread, request, buffer);
            leveldb_put (self->db, self->write, request->key,
                         request->key_size, buffer->data, buffer->size,
                         &error);
            break;
        }
        case ZYN_BENCH_UPDATE:
        case ZYN_BENCH_INSERT:
            s_encode_record (thread, request, buffer);
            leveldb_put (self->db, self->write, request->key,
                         request->key_size, buffer->data, buffer->size,
                         &error);
            break;
        case ZYN_BENCH_SCAN: {
            leveldb_iterator_t *iterator
                = leveldb_create_iterator (self->db, self->read);
            leveldb_iter_seek (iterator, request->key, request->key_size);
            for (int i = 0;
                 i < request->scan_length && leveldb_iter_valid (iterator);
                 i++) {
                size_t size = 0;
                //  Touch the value as a reader would
                const char *value = leveldb_iter_value (iterator, &size);
                (void) value;
                leveldb_iter_next (iterator);
            }
            leveldb_iter_get_error (iterator, &error);
            leveldb_iter_destroy (iterator);
            break;
        }
        default:
            break;
    }
    if (error) {
        result = "leveldb error";
        leveldb_free (error);
    }
    return result;
}

//  --------------------------------------------------------------------------
//  One client thread.

void
zyn_bench_leveldb_thread (zyn_bench_thread_t *thread)
{
    s_driver_t *self = (s_driver_t *) thread->run->driver;
    const zyn_bench_config_t *config
        = zyn_bench_workload_config (thread->run->workload);
    msgpack_sbuffer buffer;
    msgpack_sbuffer_init (&buffer);
    bool batched = thread->run->phase == ZYN_BENCH_PHASE_RUN
                && thread->run->options->batch > 1
                && config->proportion [ZYN_BENCH_INSERT] >= 1.0;
    if (batched) {
        //  Durable write load: --batch puts, one synced write; each put is
        //  acknowledged when its batch is durable
        int batch_size = thread->run->options->batch;
        zyn_bench_request_t *requests = (zyn_bench_request_t *) zmalloc (
            sizeof (zyn_bench_request_t) * (size_t) batch_size);
        leveldb_writebatch_t *batch = leveldb_writebatch_create ();
        while (true) {
            uint64_t start = zyn_bench_now ();
            int count = 0;
            while (count < batch_size
                   && zyn_bench_thread_next (thread, &requests [count])) {
                s_encode_record (thread, &requests [count], &buffer);
                leveldb_writebatch_put (batch, requests [count].key,
                                        requests [count].key_size,
                                        buffer.data, buffer.size);
                count++;
            }
            if (count == 0)
                break;
            char *error = NULL;
            leveldb_write (self->db, self->write_sync, batch, &error);
            for (int i = 0; i < count; i++)
                zyn_bench_thread_done (thread, &requests [i], start,
                                       error ? "leveldb error" : NULL);
            leveldb_free (error);
            leveldb_writebatch_clear (batch);
        }
        leveldb_writebatch_destroy (batch);
        free (requests);
    }
    else {
        zyn_bench_request_t request;
        while (zyn_bench_thread_next (thread, &request)) {
            uint64_t start = zyn_bench_now ();
            const char *error = s_perform (self, thread, &request, &buffer);
            zyn_bench_thread_done (thread, &request, start, error);
        }
    }
    msgpack_sbuffer_destroy (&buffer);
}

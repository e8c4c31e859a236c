/*  =========================================================================
    check_zyn_partition - partitions on real LevelDB, and the operations
    the worker executes against them (zyn_partition, zyn_ops)
    =========================================================================
*/

#include "zyn_prelude.h"
#include "zyn_keycode.h"
#include "zyn_partition.h"
#include "zyn_ops.h"
#include "zyn_testutil.h"

//  --------------------------------------------------------------------------
//  Helpers

//  A descriptor for table 7 "Music" partition 3, hash range
//  [hash_start, hash_end], key pk (S) and, if sk_type is not NULL, sk
static zyn_value_t *
s_descriptor (uint64_t hash_start, uint64_t hash_end, const char *sk_type)
{
    zyn_value_t *descriptor = zyn_value_new_m ();
    zyn_value_map_put_int (descriptor, "TableId", 7);
    zyn_value_map_put_s (descriptor, "TableName", "Music");
    zyn_value_map_put_int (descriptor, "PartitionId", 3);
    uint8_t hash [8];
    zyn_put_u64 (hash, hash_start);
    zyn_value_t *value = zyn_value_new_b (hash, 8);
    zyn_value_map_put (descriptor, "HashStart", &value);
    zyn_put_u64 (hash, hash_end);
    value = zyn_value_new_b (hash, 8);
    zyn_value_map_put (descriptor, "HashEnd", &value);
    zyn_value_t *schema = zyn_value_new_l ();
    zyn_value_t *definitions = zyn_value_new_l ();
    for (int i = 0; i < (sk_type ? 2 : 1); i++) {
        zyn_value_t *element = zyn_value_new_m ();
        zyn_value_map_put_s (element, "AttributeName", i ? "sk" : "pk");
        zyn_value_map_put_s (element, "KeyType", i ? "RANGE" : "HASH");
        zyn_value_list_append (schema, &element);
        zyn_value_t *definition = zyn_value_new_m ();
        zyn_value_map_put_s (definition, "AttributeName", i ? "sk" : "pk");
        zyn_value_map_put_s (definition, "AttributeType", i ? sk_type : "S");
        zyn_value_list_append (definitions, &definition);
    }
    zyn_value_map_put (descriptor, "KeySchema", &schema);
    zyn_value_map_put (descriptor, "AttributeDefinitions", &definitions);
    zyn_value_map_put_s (descriptor, "StreamViewType", "NEW_AND_OLD_IMAGES");
    return descriptor;
}

static zyn_partition_t *
s_open (const char *dir, const char *sk_type)
{
    char path [1200];
    snprintf (path, sizeof (path), "%s/p-7-3", dir);
    zyn_value_t *descriptor = s_descriptor (0, UINT64_MAX, sk_type);
    zyn_error_t err = { 0 };
    zyn_partition_t *partition = zyn_partition_new (path, descriptor, &err);
    ck_assert_msg (partition, "open failed: %s", err.message);
    zyn_value_destroy (&descriptor);
    return partition;
}

//  Parse DynamoDB JSON of a map of attribute values
static zyn_value_t *
s_map (const char *json)
{
    zyn_error_t err = { 0 };
    zyn_value_t *map = zyn_value_from_json (json, true, &err);
    ck_assert_msg (map, "bad JSON %s: %s", json, err.message);
    return map;
}

//  A request with one map parameter given as DynamoDB JSON
static zyn_value_t *
s_request (const char *name, const char *json)
{
    zyn_value_t *request = zyn_value_new_m ();
    zyn_value_map_put_s (request, "TableName", "Music");
    if (name) {
        zyn_value_t *map = s_map (json);
        zyn_value_map_put (request, name, &map);
    }
    return request;
}

//  For a read-only operation: zyn_ops_execute_encoded gives the encoding
//  of zyn_ops_execute's response, or the same error
static void
s_assert_encoded_same (zyn_partition_t *partition, const char *operation,
                       const zyn_value_t *request)
{
    zyn_error_t err = { 0 };
    zyn_error_t encoded_err = { 0 };
    zyn_value_t *extra = NULL;
    zyn_value_t *encoded_extra = NULL;
    zyn_value_t *response = zyn_ops_execute (partition, operation, request,
                                             &extra, &err);
    size_t encoded_size = 0;
    void *encoded = zyn_ops_execute_encoded (partition, operation, request,
                                             &encoded_size, &encoded_extra,
                                             &encoded_err);
    if (response) {
        ck_assert_ptr_nonnull (encoded);
        size_t size;
        void *expected = zyn_value_encode (response, &size);
        ck_assert_uint_eq (encoded_size, size);
        ck_assert_mem_eq (encoded, expected, size);
        free (expected);
    }
    else {
        ck_assert_ptr_null (encoded);
        ck_assert_str_eq (zyn_error_name (encoded_err.type),
                          zyn_error_name (err.type));
        ck_assert_str_eq (encoded_err.message, err.message);
        ck_assert ((extra == NULL) == (encoded_extra == NULL));
    }
    free (encoded);
    zyn_value_destroy (&response);
    zyn_value_destroy (&extra);
    zyn_value_destroy (&encoded_extra);
}

//  Execute and expect success; returns the response
static zyn_value_t *
s_ok (zyn_partition_t *partition, const char *operation,
      zyn_value_t **request_p)
{
    if (streq (operation, "GetItem"))
        s_assert_encoded_same (partition, operation, *request_p);
    zyn_error_t err = { 0 };
    zyn_value_t *extra = NULL;
    zyn_value_t *response = zyn_ops_execute (partition, operation,
                                             *request_p, &extra, &err);
    ck_assert_msg (response, "%s failed: %s: %s", operation,
                   zyn_error_name (err.type), err.message);
    ck_assert_ptr_null (extra);
    zyn_value_destroy (request_p);
    return response;
}

//  Execute and expect the error type and message
static void
s_fails (zyn_partition_t *partition, const char *operation,
         zyn_value_t **request_p, zyn_errtype_t type, const char *message)
{
    if (streq (operation, "GetItem"))
        s_assert_encoded_same (partition, operation, *request_p);
    zyn_error_t err = { 0 };
    zyn_value_t *extra = NULL;
    zyn_value_t *response = zyn_ops_execute (partition, operation,
                                             *request_p, &extra, &err);
    ck_assert_msg (!response, "%s should fail", operation);
    ck_assert_str_eq (zyn_error_name (err.type), zyn_error_name (type));
    ck_assert_str_eq (err.message, message);
    zyn_value_destroy (&extra);
    zyn_value_destroy (request_p);
}

static void
s_put (zyn_partition_t *partition, const char *item_json)
{
    zyn_value_t *request = s_request ("Item", item_json);
    zyn_value_t *response = s_ok (partition, "PutItem", &request);
    zyn_value_destroy (&response);
}

static void
s_commit (zyn_partition_t *partition)
{
    zyn_error_t err = { 0 };
    ck_assert_int_eq (zyn_partition_commit (partition, &err), 0);
    //  Nothing here publishes; drop the records
    uint64_t seq;
    zchunk_t *record;
    while ((record = zyn_partition_next_record (partition, &seq)))
        zchunk_destroy (&record);
}

//  The item under key, or NULL
static zyn_value_t *
s_get (zyn_partition_t *partition, const char *key_json)
{
    zyn_value_t *request = s_request ("Key", key_json);
    zyn_value_t *response = s_ok (partition, "GetItem", &request);
    zyn_value_t *item = zyn_value_map_take (response, "Item");
    zyn_value_destroy (&response);
    return item;
}

static void
s_assert_json (const zyn_value_t *map, const char *expected_json)
{
    zyn_value_t *expected = s_map (expected_json);
    if (!zyn_value_equal (map, expected)) {
        char *got = map ? zyn_value_to_json (map, true) : strdup ("NULL");
        ck_abort_msg ("expected %s, got %s", expected_json, got);
        free (got);
    }
    zyn_value_destroy (&expected);
}

//  A query request with a key condition and attribute values
static zyn_value_t *
s_query_request (const char *condition, const char *values_json)
{
    zyn_value_t *request = s_request ("ExpressionAttributeValues",
                                      values_json);
    zyn_value_map_put_s (request, "KeyConditionExpression", condition);
    return request;
}

//  The sort keys (N) of a page's items, as "1,2,3"
static void
s_sort_keys (const zyn_value_t *response, char *buf, size_t size)
{
    buf [0] = '\0';
    const zyn_value_t *items = zyn_value_map_get (response, "Items");
    ck_assert_ptr_nonnull (items);
    for (size_t i = 0; i < zyn_value_size (items); i++) {
        const zyn_value_t *sk = zyn_value_map_get (
            zyn_value_list_get (items, i), "sk");
        ck_assert_ptr_nonnull (sk);
        size_t used = strlen (buf);
        snprintf (buf + used, size - used, "%s%s", i ? "," : "",
                  zyn_value_data (sk));
    }
}

static int64_t
s_int (const zyn_value_t *map, const char *name)
{
    int64_t number = -1;
    ck_assert_int_eq (zyn_value_map_get_int (map, name, &number), 0);
    return number;
}

//  --------------------------------------------------------------------------
//  Lifecycle: create, reopen from the stored descriptor, remove

START_TEST (test_lifecycle)
{
    char dir [1100];
    zyn_test_dir (dir, sizeof (dir), "partition");
    char path [1200];
    snprintf (path, sizeof (path), "%s/p-7-3", dir);

    //  No descriptor given and none stored: an error
    zyn_error_t err = { 0 };
    ck_assert_ptr_null (zyn_partition_new (path, NULL, &err));
    ck_assert_int_eq (err.type, ZYN_ERR_INTERNAL);

    zyn_partition_t *partition = s_open (dir, "N");
    ck_assert_uint_eq (zyn_partition_table_id (partition), 7);
    ck_assert_uint_eq (zyn_partition_id (partition), 3);
    ck_assert_str_eq (zyn_partition_table_name (partition), "Music");
    ck_assert_str_eq (zyn_partition_pk_name (partition), "pk");
    ck_assert_int_eq (zyn_partition_pk_type (partition), ZYN_TYPE_S);
    ck_assert_str_eq (zyn_partition_sk_name (partition), "sk");
    ck_assert_int_eq (zyn_partition_sk_type (partition), ZYN_TYPE_N);
    ck_assert_uint_eq (zyn_partition_hash_start (partition), 0);
    ck_assert_uint_eq (zyn_partition_hash_end (partition), UINT64_MAX);
    ck_assert_uint_eq (zyn_partition_last_seq (partition), 0);
    ck_assert (!zyn_partition_is_dirty (partition));
    zyn_partition_destroy (&partition);
    ck_assert_ptr_null (partition);
    zyn_partition_destroy (&partition);

    partition = zyn_partition_new (path, NULL, &err);
    ck_assert_ptr_nonnull (partition);
    ck_assert_str_eq (zyn_partition_table_name (partition), "Music");
    ck_assert_str_eq (zyn_partition_sk_name (partition), "sk");
    ck_assert_int_eq (zyn_partition_destroy_files (&partition, &err), 0);
    ck_assert_ptr_null (partition);
    ck_assert (!zsys_file_exists (path));

    //  A bad descriptor
    zyn_value_t *descriptor = s_descriptor (0, 1, NULL);
    zyn_value_t *value = zyn_value_new_b ("abc", 3);
    zyn_value_map_put (descriptor, "HashEnd", &value);
    ck_assert_ptr_null (zyn_partition_new (path, descriptor, &err));
    ck_assert_int_eq (err.type, ZYN_ERR_VALIDATION);
    ck_assert_str_eq (err.message,
                      "partition descriptor: HashEnd must be 8 octets");
    zyn_value_destroy (&descriptor);
    zyn_test_dir_remove (dir);
}
END_TEST

//  --------------------------------------------------------------------------
//  PutItem, GetItem, DeleteItem and their change records

START_TEST (test_put_get_delete)
{
    char dir [1100];
    zyn_test_dir (dir, sizeof (dir), "partition");
    zyn_partition_t *partition = s_open (dir, NULL);

    s_put (partition, "{\"pk\":{\"S\":\"a\"},\"n\":{\"N\":\"01.50\"}}");
    ck_assert (zyn_partition_is_dirty (partition));
    //  Staged writes are visible to later reads before the commit
    zyn_value_t *item = s_get (partition, "{\"pk\":{\"S\":\"a\"}}");
    s_assert_json (item, "{\"pk\":{\"S\":\"a\"},\"n\":{\"N\":\"1.5\"}}");
    zyn_value_destroy (&item);
    s_commit (partition);
    ck_assert_uint_eq (zyn_partition_last_seq (partition), 1);

    item = s_get (partition, "{\"pk\":{\"S\":\"a\"}}");
    s_assert_json (item, "{\"pk\":{\"S\":\"a\"},\"n\":{\"N\":\"1.5\"}}");
    zyn_value_destroy (&item);
    ck_assert_ptr_null (s_get (partition, "{\"pk\":{\"S\":\"b\"}}"));

    //  Overwrite with ALL_OLD, then delete with ALL_OLD
    zyn_value_t *request = s_request ("Item",
                                      "{\"pk\":{\"S\":\"a\"},"
                                      "\"n\":{\"N\":\"2\"}}");
    zyn_value_map_put_s (request, "ReturnValues", "ALL_OLD");
    zyn_value_t *response = s_ok (partition, "PutItem", &request);
    s_assert_json (zyn_value_map_get (response, "Attributes"),
                   "{\"pk\":{\"S\":\"a\"},\"n\":{\"N\":\"1.5\"}}");
    zyn_value_destroy (&response);
    request = s_request ("Key", "{\"pk\":{\"S\":\"a\"}}");
    zyn_value_map_put_s (request, "ReturnValues", "ALL_OLD");
    response = s_ok (partition, "DeleteItem", &request);
    s_assert_json (zyn_value_map_get (response, "Attributes"),
                   "{\"pk\":{\"S\":\"a\"},\"n\":{\"N\":\"2\"}}");
    zyn_value_destroy (&response);
    ck_assert_ptr_null (s_get (partition, "{\"pk\":{\"S\":\"a\"}}"));
    s_commit (partition);
    ck_assert_uint_eq (zyn_partition_last_seq (partition), 3);
    ck_assert_ptr_null (s_get (partition, "{\"pk\":{\"S\":\"a\"}}"));

    //  Deleting a missing item writes nothing and logs nothing
    request = s_request ("Key", "{\"pk\":{\"S\":\"a\"}}");
    response = s_ok (partition, "DeleteItem", &request);
    ck_assert_uint_eq (zyn_value_size (response), 0);
    zyn_value_destroy (&response);
    ck_assert (!zyn_partition_is_dirty (partition));

    //  The change log: INSERT, MODIFY, REMOVE with seqs 1, 2, 3
    zyn_error_t err = { 0 };
    zyn_value_t *records = zyn_partition_read_records (partition, 1, 100, 0,
                                                       &err);
    ck_assert_ptr_nonnull (records);
    ck_assert_uint_eq (zyn_value_size (records), 3);
    const char *names [] = { "INSERT", "MODIFY", "REMOVE" };
    for (size_t i = 0; i < 3; i++) {
        const zyn_value_t *record = zyn_value_list_get (records, i);
        ck_assert_str_eq (zyn_value_map_get_s (record, "eventName"),
                          names [i]);
        ck_assert_int_eq (s_int (record, "SequenceNumber"), (int64_t) i + 1);
        ck_assert_int_eq (s_int (record, "PartitionId"), 3);
        ck_assert_str_eq (zyn_value_map_get_s (record, "TableName"),
                          "Music");
        ck_assert_uint_eq (strlen (zyn_value_map_get_s (record, "eventID")),
                           32);
        ck_assert_int_gt (s_int (record, "ApproximateCreationDateTime"), 0);
        ck_assert_int_gt (s_int (record, "SizeBytes"), 0);
        s_assert_json (zyn_value_map_get (record, "Keys"),
                       "{\"pk\":{\"S\":\"a\"}}");
        ck_assert ((zyn_value_map_get (record, "OldImage") != NULL)
                   == (i > 0));
        ck_assert ((zyn_value_map_get (record, "NewImage") != NULL)
                   == (i < 2));
    }
    s_assert_json (zyn_value_map_get (zyn_value_list_get (records, 1),
                                      "OldImage"),
                   "{\"pk\":{\"S\":\"a\"},\"n\":{\"N\":\"1.5\"}}");
    s_assert_json (zyn_value_map_get (zyn_value_list_get (records, 1),
                                      "NewImage"),
                   "{\"pk\":{\"S\":\"a\"},\"n\":{\"N\":\"2\"}}");
    zyn_value_destroy (&records);

    //  From a later start, with a limit
    records = zyn_partition_read_records (partition, 2, 1, 0, &err);
    ck_assert_uint_eq (zyn_value_size (records), 1);
    ck_assert_int_eq (s_int (zyn_value_list_get (records, 0),
                             "SequenceNumber"),
                      2);
    zyn_value_destroy (&records);

    //  The same through ZynGetStreamRecords
    request = s_request (NULL, NULL);
    zyn_value_map_put_int (request, "StartSequenceNumber", 3);
    response = s_ok (partition, "ZynGetStreamRecords", &request);
    ck_assert_int_eq (s_int (response, "LastSequenceNumber"), 3);
    ck_assert_uint_eq (zyn_value_size (zyn_value_map_get (response,
                                                          "Records")),
                       1);
    zyn_value_destroy (&response);

    zyn_partition_destroy (&partition);
    zyn_test_dir_remove (dir);
}
END_TEST

//  --------------------------------------------------------------------------
//  Several writes to one key in one batch: each sees the one before

START_TEST (test_overlay)
{
    char dir [1100];
    zyn_test_dir (dir, sizeof (dir), "partition");
    zyn_partition_t *partition = s_open (dir, NULL);

    s_put (partition, "{\"pk\":{\"S\":\"k\"},\"v\":{\"N\":\"1\"}}");
    zyn_value_t *request = s_request ("Item",
                                      "{\"pk\":{\"S\":\"k\"},"
                                      "\"v\":{\"N\":\"2\"}}");
    zyn_value_map_put_s (request, "ReturnValues", "ALL_OLD");
    zyn_value_t *response = s_ok (partition, "PutItem", &request);
    s_assert_json (zyn_value_map_get (response, "Attributes"),
                   "{\"pk\":{\"S\":\"k\"},\"v\":{\"N\":\"1\"}}");
    zyn_value_destroy (&response);

    //  Records are staged but not readable from the log before the commit
    zyn_error_t err = { 0 };
    zyn_value_t *records = zyn_partition_read_records (partition, 1, 10, 0,
                                                       &err);
    ck_assert_uint_eq (zyn_value_size (records), 0);
    zyn_value_destroy (&records);
    ck_assert_int_eq (zyn_partition_commit (partition, &err), 0);

    //  The committed records come out in order for publishing
    uint64_t seq = 0;
    zchunk_t *chunk = zyn_partition_next_record (partition, &seq);
    ck_assert_ptr_nonnull (chunk);
    ck_assert_uint_eq (seq, 1);
    zyn_value_t *record = zyn_value_decode (zchunk_data (chunk),
                                            zchunk_size (chunk), &err);
    ck_assert_str_eq (zyn_value_map_get_s (record, "eventName"), "INSERT");
    zyn_value_destroy (&record);
    zchunk_destroy (&chunk);
    chunk = zyn_partition_next_record (partition, &seq);
    ck_assert_uint_eq (seq, 2);
    record = zyn_value_decode (zchunk_data (chunk), zchunk_size (chunk),
                               &err);
    ck_assert_str_eq (zyn_value_map_get_s (record, "eventName"), "MODIFY");
    s_assert_json (zyn_value_map_get (record, "OldImage"),
                   "{\"pk\":{\"S\":\"k\"},\"v\":{\"N\":\"1\"}}");
    zyn_value_destroy (&record);
    zchunk_destroy (&chunk);
    ck_assert_ptr_null (zyn_partition_next_record (partition, &seq));

    //  Aborted writes vanish and their seqs are reused: no gap
    s_put (partition, "{\"pk\":{\"S\":\"k\"},\"v\":{\"N\":\"3\"}}");
    s_put (partition, "{\"pk\":{\"S\":\"x\"}}");
    zyn_partition_abort (partition);
    ck_assert (!zyn_partition_is_dirty (partition));
    zyn_value_t *item = s_get (partition, "{\"pk\":{\"S\":\"k\"}}");
    s_assert_json (item, "{\"pk\":{\"S\":\"k\"},\"v\":{\"N\":\"2\"}}");
    zyn_value_destroy (&item);
    ck_assert_ptr_null (s_get (partition, "{\"pk\":{\"S\":\"x\"}}"));
    s_put (partition, "{\"pk\":{\"S\":\"x\"}}");
    s_commit (partition);
    ck_assert_uint_eq (zyn_partition_last_seq (partition), 3);

    //  A put of an identical item changes nothing and logs nothing
    s_put (partition, "{\"pk\":{\"S\":\"x\"}}");
    ck_assert (!zyn_partition_is_dirty (partition));

    zyn_partition_destroy (&partition);
    zyn_test_dir_remove (dir);
}
END_TEST

//  --------------------------------------------------------------------------
//  The row cache holds committed bytes only: reads fill it, commits
//  refresh it, aborted writes never reach it, and every read agrees with
//  LevelDB read without it

static void
s_assert_item (zyn_partition_t *partition, const char *key_json,
               const char *item_json)
{
    zyn_value_t *item = s_get (partition, key_json);
    if (item_json)
        s_assert_json (item, item_json);
    else
        ck_assert_msg (item == NULL, "%s should be missing", key_json);
    zyn_value_destroy (&item);
}

START_TEST (test_row_cache)
{
    char dir [1100];
    zyn_test_dir (dir, sizeof (dir), "partition");
    zyn_partition_t *partition = s_open (dir, NULL);
    const char *key = "{\"pk\":{\"S\":\"k\"}}";
    uint64_t hits, misses;
    size_t bytes;

    s_put (partition, "{\"pk\":{\"S\":\"k\"},\"v\":{\"N\":\"1\"}}");
    s_commit (partition);
    zyn_partition_row_cache_stats (partition, &hits, &misses, &bytes);
    ck_assert_uint_eq (bytes, 0);       //  A write caches nothing new
    s_assert_item (partition, key,
                   "{\"pk\":{\"S\":\"k\"},\"v\":{\"N\":\"1\"}}");
    zyn_partition_row_cache_stats (partition, &hits, &misses, &bytes);
    ck_assert_uint_gt (bytes, 0);       //  The read cached it
    ck_assert_uint_gt (hits, 0);        //  and the next reads hit it
    uint64_t hits_before = hits;
    s_assert_item (partition, key,
                   "{\"pk\":{\"S\":\"k\"},\"v\":{\"N\":\"1\"}}");
    zyn_partition_row_cache_stats (partition, &hits, &misses, &bytes);
    ck_assert_uint_gt (hits, hits_before);

    //  A staged write shows through the overlay; aborted, the cached
    //  committed item is what reads see
    s_put (partition, "{\"pk\":{\"S\":\"k\"},\"v\":{\"N\":\"2\"}}");
    s_assert_item (partition, key,
                   "{\"pk\":{\"S\":\"k\"},\"v\":{\"N\":\"2\"}}");
    zyn_partition_abort (partition);
    s_assert_item (partition, key,
                   "{\"pk\":{\"S\":\"k\"},\"v\":{\"N\":\"1\"}}");

    //  A committed update replaces the cached item; a committed delete
    //  removes it
    s_put (partition, "{\"pk\":{\"S\":\"k\"},\"v\":{\"N\":\"3\"}}");
    s_commit (partition);
    s_assert_item (partition, key,
                   "{\"pk\":{\"S\":\"k\"},\"v\":{\"N\":\"3\"}}");
    zyn_value_t *request = s_request ("Key", key);
    zyn_value_t *response = s_ok (partition, "DeleteItem", &request);
    zyn_value_destroy (&response);
    s_commit (partition);
    s_assert_item (partition, key, NULL);
    s_put (partition, "{\"pk\":{\"S\":\"k\"},\"v\":{\"N\":\"4\"}}");
    s_commit (partition);
    s_assert_item (partition, key,
                   "{\"pk\":{\"S\":\"k\"},\"v\":{\"N\":\"4\"}}");

    //  An update expression reads the old item through the cache and
    //  the result is cached in its place
    request = s_request ("Key", key);
    zyn_value_map_put_s (request, "UpdateExpression", "SET v = v + :one");
    zyn_value_t *values = s_map ("{\":one\":{\"N\":\"1\"}}");
    zyn_value_map_put (request, "ExpressionAttributeValues", &values);
    response = s_ok (partition, "UpdateItem", &request);
    zyn_value_destroy (&response);
    s_commit (partition);
    s_assert_item (partition, key,
                   "{\"pk\":{\"S\":\"k\"},\"v\":{\"N\":\"5\"}}");

    //  A limit so small that the item is not cached (an entry may take
    //  an eighth of it): reads still right
    zyn_partition_set_row_cache (partition, 0);
    zyn_partition_set_row_cache (partition, 256);
    zyn_partition_row_cache_stats (partition, &hits, &misses, &bytes);
    ck_assert_uint_eq (bytes, 0);
    s_assert_item (partition, key,
                   "{\"pk\":{\"S\":\"k\"},\"v\":{\"N\":\"5\"}}");
    s_assert_item (partition, key,
                   "{\"pk\":{\"S\":\"k\"},\"v\":{\"N\":\"5\"}}");
    zyn_partition_row_cache_stats (partition, &hits, &misses, &bytes);
    ck_assert_uint_eq (bytes, 0);

    //  Many items through a cache of a few: what every read sees equals
    //  what a partition without a cache sees
    zyn_partition_set_row_cache (partition, 16 * 1024);
    unsigned int seed = 7;
    int version [50] = { 0 };
    for (int step = 0; step < 2000; step++) {
        int index = (int) (rand_r (&seed) % 50);
        char item [128], item_key [64];
        snprintf (item_key, sizeof (item_key), "{\"pk\":{\"S\":\"r%d\"}}",
                  index);
        int action = (int) (rand_r (&seed) % 4);
        if (action == 0) {
            version [index] = step + 1;
            snprintf (item, sizeof (item),
                      "{\"pk\":{\"S\":\"r%d\"},\"v\":{\"N\":\"%d\"}}",
                      index, version [index]);
            s_put (partition, item);
            if (rand_r (&seed) % 2)
                s_commit (partition);
            else {
                zyn_partition_abort (partition);
                version [index] = -version [index];
            }
        }
        else {
            //  An aborted write leaves the version before it
            if (version [index] < 0) {
                version [index] = 0;
                //  What LevelDB holds is the truth; read it uncached
                zyn_partition_set_row_cache (partition, 0);
                zyn_value_t *truth = s_get (partition, item_key);
                zyn_partition_set_row_cache (partition, 16 * 1024);
                int64_t number = truth ? s_int (truth, "v") : 0;
                version [index] = (int) number;
                zyn_value_destroy (&truth);
            }
            zyn_value_t *got = s_get (partition, item_key);
            if (version [index] == 0)
                ck_assert_ptr_null (got);
            else {
                ck_assert_ptr_nonnull (got);
                ck_assert_int_eq (s_int (got, "v"), version [index]);
            }
            zyn_value_destroy (&got);
        }
    }
    zyn_partition_row_cache_stats (partition, &hits, &misses, &bytes);
    ck_assert_uint_le (bytes, 16 * 1024);
    ck_assert_uint_gt (bytes, 0);
    zyn_partition_destroy (&partition);
    zyn_test_dir_remove (dir);
}
END_TEST

//  --------------------------------------------------------------------------
//  Reopen: data and the last sequence number survive

START_TEST (test_reopen)
{
    char dir [1100];
    zyn_test_dir (dir, sizeof (dir), "partition");
    zyn_partition_t *partition = s_open (dir, NULL);
    char item [64];
    for (int i = 0; i < 5; i++) {
        snprintf (item, sizeof (item), "{\"pk\":{\"S\":\"k%d\"}}", i);
        s_put (partition, item);
    }
    s_commit (partition);
    //  Staged but never committed: lost, as it was never acknowledged
    s_put (partition, "{\"pk\":{\"S\":\"lost\"}}");
    char path [1200];
    snprintf (path, sizeof (path), "%s", zyn_partition_path (partition));
    zyn_partition_destroy (&partition);

    zyn_error_t err = { 0 };
    partition = zyn_partition_new (path, NULL, &err);
    ck_assert_ptr_nonnull (partition);
    ck_assert_uint_eq (zyn_partition_last_seq (partition), 5);
    zyn_value_t *found = s_get (partition, "{\"pk\":{\"S\":\"k4\"}}");
    ck_assert_ptr_nonnull (found);
    zyn_value_destroy (&found);
    ck_assert_ptr_null (s_get (partition, "{\"pk\":{\"S\":\"lost\"}}"));
    s_put (partition, "{\"pk\":{\"S\":\"k5\"}}");
    s_commit (partition);
    ck_assert_uint_eq (zyn_partition_last_seq (partition), 6);
    zyn_value_t *records = zyn_partition_read_records (partition, 1, 100, 0,
                                                       &err);
    ck_assert_uint_eq (zyn_value_size (records), 6);
    for (size_t i = 0; i < 6; i++)
        ck_assert_int_eq (s_int (zyn_value_list_get (records, i),
                                 "SequenceNumber"),
                          (int64_t) i + 1);
    zyn_value_destroy (&records);

    //  Reopening with a descriptor (a new ASSIGN) keeps the data
    zyn_partition_destroy (&partition);
    partition = s_open (dir, NULL);
    ck_assert_uint_eq (zyn_partition_last_seq (partition), 6);
    zyn_partition_destroy (&partition);
    zyn_test_dir_remove (dir);
}
END_TEST

//  --------------------------------------------------------------------------
//  Trimming the change log: oldest first, at most max a time, at the
//  time boundary exactly, never the staged ones; kept across a reopen

static void
s_put_numbered (zyn_partition_t *partition, int from, int to)
{
    char item [64];
    for (int i = from; i < to; i++) {
        snprintf (item, sizeof (item), "{\"pk\":{\"S\":\"t%d\"}}", i);
        s_put (partition, item);
    }
    s_commit (partition);
}

static void
s_expect_records (zyn_partition_t *partition, int64_t first, int64_t last)
{
    zyn_error_t err = { 0 };
    zyn_value_t *records = zyn_partition_read_records (partition, 1, 100, 0,
                                                       &err);
    ck_assert_ptr_nonnull (records);
    ck_assert_uint_eq (zyn_value_size (records), (size_t) (last - first + 1));
    for (size_t i = 0; i < zyn_value_size (records); i++)
        ck_assert_int_eq (s_int (zyn_value_list_get (records, i),
                                 "SequenceNumber"), first + (int64_t) i);
    zyn_value_destroy (&records);
}

START_TEST (test_trim)
{
    char dir [1100];
    zyn_test_dir (dir, sizeof (dir), "partition");
    zyn_partition_t *partition = s_open (dir, NULL);
    zyn_error_t err = { 0 };
    //  An empty log has nothing to trim
    ck_assert_int_eq (zyn_partition_trim (partition, INT64_MAX, 10, &err), 0);
    ck_assert_uint_eq (zyn_partition_first_seq (partition), 1);

    s_put_numbered (partition, 0, 10);
    int64_t now = zyn_wall_msecs ();
    ck_assert_int_eq (zyn_partition_trim (partition, now - 60000, 100, &err),
                      0);
    //  A cap of 4: 4, 4, then the last 2
    ck_assert_int_eq (zyn_partition_trim (partition, now + 1000, 4, &err), 4);
    ck_assert_uint_eq (zyn_partition_first_seq (partition), 5);
    s_expect_records (partition, 5, 10);
    ck_assert_int_eq (zyn_partition_trim (partition, now + 1000, 4, &err), 4);
    ck_assert_int_eq (zyn_partition_trim (partition, now + 1000, 4, &err), 2);
    ck_assert_int_eq (zyn_partition_trim (partition, now + 1000, 4, &err), 0);
    ck_assert_uint_eq (zyn_partition_first_seq (partition), 11);
    s_expect_records (partition, 1, 0);

    //  Three old records, then a boundary, then three new ones: exactly
    //  the old ones go, and a staged write is never trimmed
    s_put_numbered (partition, 10, 13);
    zclock_sleep (30);
    int64_t boundary = zyn_wall_msecs ();
    zclock_sleep (30);
    s_put_numbered (partition, 13, 16);
    s_put (partition, "{\"pk\":{\"S\":\"staged\"}}");
    ck_assert_int_eq (zyn_partition_trim (partition, boundary, 100, &err), 3);
    ck_assert_int_eq (zyn_partition_trim (partition, INT64_MAX, 100, &err),
                      3);
    ck_assert_uint_eq (zyn_partition_first_seq (partition), 17);
    s_commit (partition);
    s_expect_records (partition, 17, 17);
    //  The items stay
    zyn_value_t *found = s_get (partition, "{\"pk\":{\"S\":\"t0\"}}");
    ck_assert_ptr_nonnull (found);
    zyn_value_destroy (&found);

    //  A reopened partition finds its oldest record and goes on
    char path [1200];
    snprintf (path, sizeof (path), "%s", zyn_partition_path (partition));
    zyn_partition_destroy (&partition);
    partition = zyn_partition_new (path, NULL, &err);
    ck_assert_ptr_nonnull (partition);
    ck_assert_uint_eq (zyn_partition_first_seq (partition), 17);
    ck_assert_uint_eq (zyn_partition_last_seq (partition), 17);
    ck_assert_int_eq (zyn_partition_trim (partition, INT64_MAX, 100, &err),
                      1);
    zyn_partition_destroy (&partition);
    partition = zyn_partition_new (path, NULL, &err);
    ck_assert_ptr_nonnull (partition);
    ck_assert_uint_eq (zyn_partition_first_seq (partition), 18);
    ck_assert_uint_eq (zyn_partition_last_seq (partition), 17);
    s_put_numbered (partition, 16, 17);
    s_expect_records (partition, 18, 18);
    zyn_partition_destroy (&partition);
    zyn_test_dir_remove (dir);
}
END_TEST

//  --------------------------------------------------------------------------
//  The fence: keys outside the hash range are refused

START_TEST (test_ownership)
{
    char dir [1100];
    zyn_test_dir (dir, sizeof (dir), "partition");
    zyn_value_t *pk = zyn_value_new_s ("mine");
    uint8_t row [ZYN_KEYCODE_MAX];
    uint64_t hash;
    zyn_error_t err = { 0 };
    ck_assert_uint_gt (zyn_keycode_item_row (row, pk, NULL, &hash, &err), 0);
    zyn_value_destroy (&pk);

    char path [1200];
    snprintf (path, sizeof (path), "%s/p-7-3", dir);
    zyn_value_t *descriptor = s_descriptor (hash, hash, NULL);
    zyn_partition_t *partition = zyn_partition_new (path, descriptor, &err);
    zyn_value_destroy (&descriptor);
    ck_assert (zyn_partition_owns (partition, hash));
    ck_assert (!zyn_partition_owns (partition, hash + 1));

    s_put (partition, "{\"pk\":{\"S\":\"mine\"}}");
    const char *other = "{\"pk\":{\"S\":\"other\"}}";
    zyn_value_t *request = s_request ("Item", other);
    s_fails (partition, "PutItem", &request, ZYN_ERR_INTERNAL,
             "key does not belong to partition Music/3");
    request = s_request ("Key", other);
    s_fails (partition, "GetItem", &request, ZYN_ERR_INTERNAL,
             "key does not belong to partition Music/3");
    request = s_request ("Key", other);
    s_fails (partition, "DeleteItem", &request, ZYN_ERR_INTERNAL,
             "key does not belong to partition Music/3");
    request = s_query_request ("pk = :p", "{\":p\":{\"S\":\"other\"}}");
    s_fails (partition, "Query", &request, ZYN_ERR_INTERNAL,
             "key does not belong to partition Music/3");
    zyn_partition_destroy (&partition);
    zyn_test_dir_remove (dir);
}
END_TEST

//  --------------------------------------------------------------------------
//  Query: order, key conditions, pagination

static void
s_fill_numbers (zyn_partition_t *partition, int count)
{
    char item [128];
    for (int i = 1; i <= count; i++) {
        snprintf (item, sizeof (item),
                  "{\"pk\":{\"S\":\"p\"},\"sk\":{\"N\":\"%d\"},"
                  "\"odd\":{\"BOOL\":%s}}",
                  i, i % 2 ? "true" : "false");
        s_put (partition, item);
    }
    //  Neighbours in other collections must never show up
    s_put (partition, "{\"pk\":{\"S\":\"o\"},\"sk\":{\"N\":\"5\"}}");
    s_put (partition, "{\"pk\":{\"S\":\"q\"},\"sk\":{\"N\":\"5\"}}");
    s_commit (partition);
}

static void
s_expect_query (zyn_partition_t *partition, const char *condition,
                const char *values, bool forward, const char *expected)
{
    zyn_value_t *request = s_query_request (condition, values);
    if (!forward)
        zyn_value_map_put_bool (request, "ScanIndexForward", false);
    zyn_value_t *response = s_ok (partition, "Query", &request);
    char keys [512];
    s_sort_keys (response, keys, sizeof (keys));
    ck_assert_msg (streq (keys, expected), "%s%s: expected %s, got %s",
                   condition, forward ? "" : " backward", expected, keys);
    ck_assert_ptr_null (zyn_value_map_get (response, "LastEvaluatedKey"));
    zyn_value_destroy (&response);
}

START_TEST (test_query)
{
    char dir [1100];
    zyn_test_dir (dir, sizeof (dir), "partition");
    zyn_partition_t *partition = s_open (dir, "N");
    s_fill_numbers (partition, 12);

    const char *p = "{\":p\":{\"S\":\"p\"}}";
    s_expect_query (partition, "pk = :p", p, true,
                    "1,2,3,4,5,6,7,8,9,10,11,12");
    s_expect_query (partition, "pk = :p", p, false,
                    "12,11,10,9,8,7,6,5,4,3,2,1");
    const char *p5 = "{\":p\":{\"S\":\"p\"},\":s\":{\"N\":\"5\"}}";
    s_expect_query (partition, "pk = :p AND sk = :s", p5, true, "5");
    s_expect_query (partition, "pk = :p AND sk = :s", p5, false, "5");
    s_expect_query (partition, "pk = :p AND sk < :s", p5, true, "1,2,3,4");
    s_expect_query (partition, "pk = :p AND sk < :s", p5, false, "4,3,2,1");
    s_expect_query (partition, "pk = :p AND sk <= :s", p5, false,
                    "5,4,3,2,1");
    s_expect_query (partition, "pk = :p AND sk > :s", p5, true,
                    "6,7,8,9,10,11,12");
    s_expect_query (partition, "pk = :p AND sk >= :s", p5, false,
                    "12,11,10,9,8,7,6,5");
    const char *range = "{\":p\":{\"S\":\"p\"},\":a\":{\"N\":\"3\"},"
                        "\":b\":{\"N\":\"9.5\"}}";
    s_expect_query (partition, "pk = :p AND sk BETWEEN :a AND :b", range,
                    true, "3,4,5,6,7,8,9");
    s_expect_query (partition, "pk = :p AND sk BETWEEN :a AND :b", range,
                    false, "9,8,7,6,5,4,3");
    s_expect_query (partition, "pk = :p AND sk > :s",
                    "{\":p\":{\"S\":\"p\"},\":s\":{\"N\":\"100\"}}", true,
                    "");
    s_expect_query (partition, "pk = :p",
                    "{\":p\":{\"S\":\"none\"}}", true, "");

    //  Pagination with Limit and ExclusiveStartKey, both directions
    for (int direction = 0; direction < 2; direction++) {
        char all [512] = "";
        zyn_value_t *start = NULL;
        int pages = 0;
        while (true) {
            zyn_value_t *request = s_query_request ("pk = :p", p);
            zyn_value_map_put_int (request, "Limit", 5);
            if (direction)
                zyn_value_map_put_bool (request, "ScanIndexForward", false);
            if (start)
                zyn_value_map_put (request, "ExclusiveStartKey", &start);
            zyn_value_t *response = s_ok (partition, "Query", &request);
            pages++;
            char keys [256];
            s_sort_keys (response, keys, sizeof (keys));
            if (*keys)
                snprintf (all + strlen (all), sizeof (all) - strlen (all),
                          "%s%s", *all ? "," : "", keys);
            ck_assert_int_eq (s_int (response, "ScannedCount"),
                              s_int (response, "Count"));
            start = zyn_value_map_take (response, "LastEvaluatedKey");
            zyn_value_destroy (&response);
            if (!start)
                break;
            ck_assert_uint_eq (zyn_value_size (start), 2);
        }
        //  12 items in pages of 5: 5, 5, 2 and no LastEvaluatedKey
        ck_assert_int_eq (pages, 3);
        ck_assert_str_eq (all, direction ? "12,11,10,9,8,7,6,5,4,3,2,1"
                                         : "1,2,3,4,5,6,7,8,9,10,11,12");
    }

    //  A page that ends exactly on the last item still says where
    zyn_value_t *request = s_query_request ("pk = :p AND sk > :s", p5);
    zyn_value_map_put_int (request, "Limit", 7);
    zyn_value_t *response = s_ok (partition, "Query", &request);
    s_assert_json (zyn_value_map_get (response, "LastEvaluatedKey"),
                   "{\"pk\":{\"S\":\"p\"},\"sk\":{\"N\":\"12\"}}");
    zyn_value_destroy (&response);

    //  A key condition value of the wrong type
    request = s_query_request ("pk = :p AND sk > :s",
                               "{\":p\":{\"S\":\"p\"},\":s\":{\"S\":\"5\"}}");
    s_fails (partition, "Query", &request, ZYN_ERR_VALIDATION,
             "One or more parameter values were invalid: Condition "
             "parameter type does not match schema type");
    request = s_query_request ("pk = :p", p);
    zyn_value_map_put_int (request, "Limit", 0);
    s_fails (partition, "Query", &request, ZYN_ERR_VALIDATION,
             "1 validation error detected: Value '0' at 'limit' failed to "
             "satisfy constraint: Member must have value greater than or "
             "equal to 1");

    zyn_partition_destroy (&partition);
    zyn_test_dir_remove (dir);
}
END_TEST

//  --------------------------------------------------------------------------
//  Query on string sort keys with begins_with

START_TEST (test_query_begins_with)
{
    char dir [1100];
    zyn_test_dir (dir, sizeof (dir), "partition");
    zyn_partition_t *partition = s_open (dir, "S");
    const char *keys [] = { "a", "ab", "abc", "abd", "ac", "b", NULL };
    for (int i = 0; keys [i]; i++) {
        char item [128];
        snprintf (item, sizeof (item),
                  "{\"pk\":{\"S\":\"p\"},\"sk\":{\"S\":\"%s\"}}", keys [i]);
        s_put (partition, item);
    }
    s_commit (partition);
    const char *values = "{\":p\":{\"S\":\"p\"},\":s\":{\"S\":\"ab\"}}";
    for (int forward = 0; forward < 2; forward++) {
        zyn_value_t *request = s_query_request (
            "pk = :p AND begins_with (sk, :s)", values);
        zyn_value_map_put_bool (request, "ScanIndexForward", forward);
        zyn_value_t *response = s_ok (partition, "Query", &request);
        const zyn_value_t *items = zyn_value_map_get (response, "Items");
        ck_assert_uint_eq (zyn_value_size (items), 3);
        const zyn_value_t *first = zyn_value_map_get (
            zyn_value_list_get (items, 0), "sk");
        ck_assert_str_eq (zyn_value_data (first), forward ? "ab" : "abd");
        zyn_value_destroy (&response);
    }
    zyn_partition_destroy (&partition);
    zyn_test_dir_remove (dir);
}
END_TEST

//  --------------------------------------------------------------------------
//  The 1 MB page cap: the page ends after the item that crosses it

START_TEST (test_page_cap)
{
    char dir [1100];
    zyn_test_dir (dir, sizeof (dir), "partition");
    zyn_partition_t *partition = s_open (dir, "N");
    size_t big = 200 * 1000;
    char *text = (char *) malloc (big + 1);
    memset (text, 'x', big);
    text [big] = '\0';
    for (int i = 1; i <= 8; i++) {
        zyn_value_t *item = zyn_value_new_m ();
        zyn_value_map_put_s (item, "pk", "p");
        zyn_value_map_put_int (item, "sk", i);
        zyn_value_map_put_s (item, "blob", text);
        zyn_value_t *request = s_request (NULL, NULL);
        zyn_value_map_put (request, "Item", &item);
        zyn_value_t *response = s_ok (partition, "PutItem", &request);
        zyn_value_destroy (&response);
    }
    free (text);
    s_commit (partition);

    //  Items of ~200 KB: five make 1,000,000 bytes, the sixth crosses
    //  1 MB (1,048,576)
    zyn_value_t *request = s_query_request ("pk = :p",
                                            "{\":p\":{\"S\":\"p\"}}");
    zyn_value_t *response = s_ok (partition, "Query", &request);
    ck_assert_int_eq (s_int (response, "Count"), 6);
    ck_assert_int_eq (s_int (response, "ScannedCount"), 6);
    s_assert_json (zyn_value_map_get (response, "LastEvaluatedKey"),
                   "{\"pk\":{\"S\":\"p\"},\"sk\":{\"N\":\"6\"}}");
    zyn_value_destroy (&response);

    //  Scan likewise, and ZynPageBytes lowers the cap
    request = s_request (NULL, NULL);
    response = s_ok (partition, "Scan", &request);
    ck_assert_int_eq (s_int (response, "Count"), 6);
    ck_assert_ptr_nonnull (zyn_value_map_get (response, "LastEvaluatedKey"));
    zyn_value_destroy (&response);
    request = s_request (NULL, NULL);
    zyn_value_map_put_int (request, "ZynPageBytes", 300 * 1000);
    response = s_ok (partition, "Scan", &request);
    ck_assert_int_eq (s_int (response, "Count"), 2);
    zyn_value_destroy (&response);

    //  ZynGetStreamRecords caps its reply at about 1 MB of records too
    request = s_request (NULL, NULL);
    zyn_value_map_put_int (request, "StartSequenceNumber", 1);
    response = s_ok (partition, "ZynGetStreamRecords", &request);
    ck_assert_uint_eq (zyn_value_size (zyn_value_map_get (response,
                                                          "Records")),
                       6);
    ck_assert_int_eq (s_int (response, "LastSequenceNumber"), 8);
    zyn_value_destroy (&response);

    //  An oversize item is refused
    text = (char *) malloc (400 * 1024 + 1);
    memset (text, 'y', 400 * 1024);
    text [400 * 1024] = '\0';
    zyn_value_t *item = zyn_value_new_m ();
    zyn_value_map_put_s (item, "pk", "p");
    zyn_value_map_put_int (item, "sk", 99);
    zyn_value_map_put_s (item, "blob", text);
    free (text);
    request = s_request (NULL, NULL);
    zyn_value_map_put (request, "Item", &item);
    s_fails (partition, "PutItem", &request, ZYN_ERR_VALIDATION,
             "Item size has exceeded the maximum allowed size");
    ck_assert (!zyn_partition_is_dirty (partition));
    zyn_partition_destroy (&partition);
    zyn_test_dir_remove (dir);
}
END_TEST

//  --------------------------------------------------------------------------
//  Scan: paging through every item exactly once, hash sub-ranges

START_TEST (test_scan)
{
    char dir [1100];
    zyn_test_dir (dir, sizeof (dir), "partition");
    zyn_partition_t *partition = s_open (dir, NULL);
    for (int i = 0; i < 20; i++) {
        char item [64];
        snprintf (item, sizeof (item), "{\"pk\":{\"S\":\"k%02d\"}}", i);
        s_put (partition, item);
    }
    s_commit (partition);

    zhashx_t *seen = zhashx_new ();
    zyn_value_t *start = NULL;
    int pages = 0;
    do {
        zyn_value_t *request = s_request (NULL, NULL);
        zyn_value_map_put_int (request, "Limit", 6);
        if (start)
            zyn_value_map_put (request, "ExclusiveStartKey", &start);
        zyn_value_t *response = s_ok (partition, "Scan", &request);
        pages++;
        const zyn_value_t *items = zyn_value_map_get (response, "Items");
        for (size_t i = 0; i < zyn_value_size (items); i++) {
            const char *pk = zyn_value_map_get_s (zyn_value_list_get (items,
                                                                     i),
                                                  "pk");
            ck_assert_int_eq (zhashx_insert (seen, pk, (void *) pk), 0);
        }
        start = zyn_value_map_take (response, "LastEvaluatedKey");
        zyn_value_destroy (&response);
    } while (start);
    ck_assert_uint_eq (zhashx_size (seen), 20);
    ck_assert_int_eq (pages, 4);
    zhashx_destroy (&seen);

    //  Two halves of the hash range hold every item once between them
    int64_t total = 0;
    for (int half = 0; half < 2; half++) {
        zyn_value_t *request = s_request (NULL, NULL);
        uint8_t bound [8];
        zyn_put_u64 (bound, half ? (UINT64_MAX / 2) + 1 : 0);
        zyn_value_t *value = zyn_value_new_b (bound, 8);
        zyn_value_map_put (request, "ZynHashStart", &value);
        zyn_put_u64 (bound, half ? UINT64_MAX : UINT64_MAX / 2);
        value = zyn_value_new_b (bound, 8);
        zyn_value_map_put (request, "ZynHashEnd", &value);
        zyn_value_t *response = s_ok (partition, "Scan", &request);
        ck_assert_ptr_null (zyn_value_map_get (response, "LastEvaluatedKey"));
        total += s_int (response, "Count");
        zyn_value_destroy (&response);
    }
    ck_assert_int_eq (total, 20);
    zyn_partition_destroy (&partition);
    zyn_test_dir_remove (dir);
}
END_TEST

//  --------------------------------------------------------------------------
//  Filters apply after the read: Count, ScannedCount, LastEvaluatedKey

START_TEST (test_filter)
{
    char dir [1100];
    zyn_test_dir (dir, sizeof (dir), "partition");
    zyn_partition_t *partition = s_open (dir, "N");
    s_fill_numbers (partition, 10);

    zyn_value_t *request = s_query_request ("pk = :p",
                                            "{\":p\":{\"S\":\"p\"},"
                                            "\":t\":{\"BOOL\":true}}");
    zyn_value_map_put_s (request, "FilterExpression", "odd = :t");
    zyn_value_map_put_int (request, "Limit", 4);
    zyn_value_t *response = s_ok (partition, "Query", &request);
    char keys [128];
    s_sort_keys (response, keys, sizeof (keys));
    ck_assert_str_eq (keys, "1,3");
    ck_assert_int_eq (s_int (response, "Count"), 2);
    ck_assert_int_eq (s_int (response, "ScannedCount"), 4);
    s_assert_json (zyn_value_map_get (response, "LastEvaluatedKey"),
                   "{\"pk\":{\"S\":\"p\"},\"sk\":{\"N\":\"4\"}}");
    zyn_value_destroy (&response);

    //  Select COUNT: no Items
    request = s_query_request ("pk = :p", "{\":p\":{\"S\":\"p\"},"
                                          "\":t\":{\"BOOL\":true}}");
    zyn_value_map_put_s (request, "FilterExpression", "odd = :t");
    zyn_value_map_put_s (request, "Select", "COUNT");
    response = s_ok (partition, "Query", &request);
    ck_assert_ptr_null (zyn_value_map_get (response, "Items"));
    ck_assert_int_eq (s_int (response, "Count"), 5);
    ck_assert_int_eq (s_int (response, "ScannedCount"), 10);
    zyn_value_destroy (&response);

    //  Projection on Scan
    request = s_request ("ExpressionAttributeValues",
                         "{\":t\":{\"BOOL\":false}}");
    zyn_value_map_put_s (request, "FilterExpression", "odd = :t");
    zyn_value_map_put_s (request, "ProjectionExpression", "sk");
    response = s_ok (partition, "Scan", &request);
    ck_assert_int_eq (s_int (response, "Count"), 5);
    ck_assert_int_eq (s_int (response, "ScannedCount"), 12);
    s_assert_json (zyn_value_list_get (zyn_value_map_get (response, "Items"),
                                       0),
                   "{\"sk\":{\"N\":\"2\"}}");
    zyn_value_destroy (&response);

    request = s_request (NULL, NULL);
    zyn_value_map_put_s (request, "Select", "EVERYTHING");
    s_fails (partition, "Scan", &request, ZYN_ERR_VALIDATION,
             "1 validation error detected: Value 'EVERYTHING' at 'select' "
             "failed to satisfy constraint: Member must satisfy enum value "
             "set: [SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, "
             "ALL_PROJECTED_ATTRIBUTES]");
    request = s_request (NULL, NULL);
    zyn_value_map_put_s (request, "Select", "SPECIFIC_ATTRIBUTES");
    s_fails (partition, "Scan", &request, ZYN_ERR_VALIDATION,
             "Must specify the AttributesToGet or ProjectionExpression when "
             "choosing to get SPECIFIC_ATTRIBUTES");
    request = s_request (NULL, NULL);
    zyn_value_map_put_s (request, "Select", "ALL_ATTRIBUTES");
    zyn_value_map_put_s (request, "ProjectionExpression", "sk");
    s_fails (partition, "Scan", &request, ZYN_ERR_VALIDATION,
             "Cannot specify the ProjectionExpression when choosing to get "
             "ALL_ATTRIBUTES");
    zyn_partition_destroy (&partition);
    zyn_test_dir_remove (dir);
}
END_TEST

//  --------------------------------------------------------------------------
//  Validation with DynamoDB's messages; nothing is written

START_TEST (test_validation)
{
    char dir [1100];
    zyn_test_dir (dir, sizeof (dir), "partition");
    zyn_partition_t *partition = s_open (dir, "N");

    zyn_value_t *request = s_request ("Item", "{\"sk\":{\"N\":\"1\"}}");
    s_fails (partition, "PutItem", &request, ZYN_ERR_VALIDATION,
             "One or more parameter values were invalid: Missing the key pk "
             "in the item");
    request = s_request ("Item", "{\"pk\":{\"S\":\"a\"}}");
    s_fails (partition, "PutItem", &request, ZYN_ERR_VALIDATION,
             "One or more parameter values were invalid: Missing the key sk "
             "in the item");
    request = s_request ("Item", "{\"pk\":{\"N\":\"1\"},\"sk\":{\"N\":\"1\"}}");
    s_fails (partition, "PutItem", &request, ZYN_ERR_VALIDATION,
             "One or more parameter values were invalid: Type mismatch for "
             "key pk expected: S actual: N");
    request = s_request ("Item", "{\"pk\":{\"S\":\"a\"},\"sk\":{\"S\":\"1\"}}");
    s_fails (partition, "PutItem", &request, ZYN_ERR_VALIDATION,
             "One or more parameter values were invalid: Type mismatch for "
             "key sk expected: N actual: S");
    request = s_request ("Item", "{\"pk\":{\"S\":\"\"},\"sk\":{\"N\":\"1\"}}");
    s_fails (partition, "PutItem", &request, ZYN_ERR_VALIDATION,
             "One or more parameter values are not valid. The AttributeValue "
             "for a key attribute cannot contain an empty string value. "
             "Key: pk");
    request = s_request ("Key", "{\"pk\":{\"S\":\"a\"}}");
    s_fails (partition, "GetItem", &request, ZYN_ERR_VALIDATION,
             "The provided key element does not match the schema");
    request = s_request ("Key", "{\"pk\":{\"S\":\"a\"},\"sk\":{\"N\":\"1\"},"
                                "\"x\":{\"N\":\"1\"}}");
    s_fails (partition, "DeleteItem", &request, ZYN_ERR_VALIDATION,
             "The provided key element does not match the schema");
    request = s_request ("Key", "{\"pk\":{\"S\":\"a\"},\"sk\":{\"S\":\"1\"}}");
    s_fails (partition, "GetItem", &request, ZYN_ERR_VALIDATION,
             "The provided key element does not match the schema");
    request = s_request (NULL, NULL);
    s_fails (partition, "GetItem", &request, ZYN_ERR_VALIDATION,
             "1 validation error detected: Value null at 'key' failed to "
             "satisfy constraint: Member must not be null");

    char *long_key = (char *) malloc (2050);
    memset (long_key, 'k', 2049);
    long_key [2049] = '\0';
    zyn_value_t *item = zyn_value_new_m ();
    zyn_value_map_put_s (item, "pk", long_key);
    zyn_value_map_put_int (item, "sk", 1);
    free (long_key);
    request = s_request (NULL, NULL);
    zyn_value_map_put (request, "Item", &item);
    s_fails (partition, "PutItem", &request, ZYN_ERR_VALIDATION,
             "One or more parameter values were invalid: Size of hashkey has "
             "exceeded the maximum size limit of2048 bytes");

    request = s_request ("Item", "{\"pk\":{\"S\":\"a\"},\"sk\":{\"N\":\"1\"}}");
    zyn_value_map_put_s (request, "ReturnValues", "ALL_NEW");
    s_fails (partition, "PutItem", &request, ZYN_ERR_VALIDATION,
             "ReturnValues can only be ALL_OLD or NONE");
    request = s_request ("Key", "{\"pk\":{\"S\":\"a\"},\"sk\":{\"N\":\"1\"}}");
    zyn_value_map_put_s (request, "ReturnValues", "UPDATED_OLD");
    s_fails (partition, "DeleteItem", &request, ZYN_ERR_VALIDATION,
             "ReturnValues can only be ALL_OLD or NONE");
    request = s_request ("Key", "{\"pk\":{\"S\":\"a\"},\"sk\":{\"N\":\"1\"}}");
    zyn_value_map_put_s (request, "ReturnValues", "SOME");
    s_fails (partition, "UpdateItem", &request, ZYN_ERR_VALIDATION,
             "1 validation error detected: Value 'SOME' at 'returnValues' "
             "failed to satisfy constraint: Member must satisfy enum value "
             "set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]");
    request = s_request (NULL, NULL);
    s_fails (partition, "BatchGetItem", &request, ZYN_ERR_UNKNOWN_OPERATION,
             "Unknown operation BatchGetItem");
    ck_assert (!zyn_partition_is_dirty (partition));
    ck_assert_uint_eq (zyn_partition_last_seq (partition), 0);
    zyn_partition_destroy (&partition);
    zyn_test_dir_remove (dir);
}
END_TEST

//  --------------------------------------------------------------------------
//  Conditions, updates and ReturnValues (the item API of issue 3)

START_TEST (test_conditions)
{
    char dir [1100];
    zyn_test_dir (dir, sizeof (dir), "partition");
    zyn_partition_t *partition = s_open (dir, NULL);

    //  Put-if-absent: the second fails, with the item when asked
    for (int round = 0; round < 2; round++) {
        zyn_value_t *request = s_request ("Item",
                                          "{\"pk\":{\"S\":\"c\"},"
                                          "\"n\":{\"N\":\"1\"}}");
        zyn_value_map_put_s (request, "ConditionExpression",
                             "attribute_not_exists (pk)");
        zyn_value_map_put_s (request, "ReturnValuesOnConditionCheckFailure",
                             "ALL_OLD");
        if (round == 0) {
            zyn_value_t *response = s_ok (partition, "PutItem", &request);
            zyn_value_destroy (&response);
        }
        else {
            zyn_error_t err = { 0 };
            zyn_value_t *extra = NULL;
            ck_assert_ptr_null (zyn_ops_execute (partition, "PutItem",
                                                 request, &extra, &err));
            ck_assert_int_eq (err.type, ZYN_ERR_CONDITIONAL_CHECK_FAILED);
            ck_assert_str_eq (err.message, "The conditional request failed");
            ck_assert_ptr_nonnull (extra);
            s_assert_json (zyn_value_map_get (extra, "Item"),
                           "{\"pk\":{\"S\":\"c\"},\"n\":{\"N\":\"1\"}}");
            zyn_value_destroy (&extra);
            zyn_value_destroy (&request);
        }
    }
    s_commit (partition);
    ck_assert_uint_eq (zyn_partition_last_seq (partition), 1);

    //  Counter increments, each seeing the last, with ReturnValues
    const char *returns [] = { "UPDATED_NEW", "UPDATED_OLD", "ALL_NEW",
                               "ALL_OLD", "NONE" };
    const char *expected [] = {
        "{\"n\":{\"N\":\"2\"}}", "{\"n\":{\"N\":\"2\"}}",
        "{\"pk\":{\"S\":\"c\"},\"n\":{\"N\":\"4\"}}",
        "{\"pk\":{\"S\":\"c\"},\"n\":{\"N\":\"4\"}}", NULL
    };
    for (int i = 0; i < 5; i++) {
        zyn_value_t *request = s_request ("Key", "{\"pk\":{\"S\":\"c\"}}");
        zyn_value_t *values = s_map ("{\":one\":{\"N\":\"1\"},"
                                     "\":max\":{\"N\":\"100\"}}");
        zyn_value_map_put (request, "ExpressionAttributeValues", &values);
        zyn_value_map_put_s (request, "UpdateExpression", "SET n = n + :one");
        zyn_value_map_put_s (request, "ConditionExpression", "n < :max");
        zyn_value_map_put_s (request, "ReturnValues", returns [i]);
        zyn_value_t *response = s_ok (partition, "UpdateItem", &request);
        if (expected [i])
            s_assert_json (zyn_value_map_get (response, "Attributes"),
                           expected [i]);
        else
            ck_assert_ptr_null (zyn_value_map_get (response, "Attributes"));
        zyn_value_destroy (&response);
    }
    zyn_value_t *item = s_get (partition, "{\"pk\":{\"S\":\"c\"}}");
    s_assert_json (item, "{\"pk\":{\"S\":\"c\"},\"n\":{\"N\":\"6\"}}");
    zyn_value_destroy (&item);

    //  A failed condition writes nothing
    zyn_value_t *request = s_request ("Key", "{\"pk\":{\"S\":\"c\"}}");
    zyn_value_t *values = s_map ("{\":v\":{\"N\":\"7\"}}");
    zyn_value_map_put (request, "ExpressionAttributeValues", &values);
    zyn_value_map_put_s (request, "ConditionExpression", "n = :v");
    s_fails (partition, "DeleteItem", &request,
             ZYN_ERR_CONDITIONAL_CHECK_FAILED,
             "The conditional request failed");
    s_commit (partition);
    ck_assert_uint_eq (zyn_partition_last_seq (partition), 6);

    //  UpdateItem creates a missing item from its key
    request = s_request ("Key", "{\"pk\":{\"S\":\"new\"}}");
    values = s_map ("{\":v\":{\"S\":\"x\"}}");
    zyn_value_map_put (request, "ExpressionAttributeValues", &values);
    zyn_value_map_put_s (request, "UpdateExpression", "SET a = :v");
    zyn_value_map_put_s (request, "ReturnValues", "ALL_NEW");
    zyn_value_t *response = s_ok (partition, "UpdateItem", &request);
    s_assert_json (zyn_value_map_get (response, "Attributes"),
                   "{\"pk\":{\"S\":\"new\"},\"a\":{\"S\":\"x\"}}");
    zyn_value_destroy (&response);
    s_commit (partition);
    zyn_error_t err = { 0 };
    zyn_value_t *records = zyn_partition_read_records (partition, 7, 10, 0,
                                                       &err);
    ck_assert_uint_eq (zyn_value_size (records), 1);
    ck_assert_str_eq (zyn_value_map_get_s (zyn_value_list_get (records, 0),
                                           "eventName"),
                      "INSERT");
    zyn_value_destroy (&records);
    zyn_partition_destroy (&partition);
    zyn_test_dir_remove (dir);
}
END_TEST

//  --------------------------------------------------------------------------
//  The legacy parameters reach the same evaluator

START_TEST (test_legacy)
{
    char dir [1100];
    zyn_test_dir (dir, sizeof (dir), "partition");
    zyn_partition_t *partition = s_open (dir, "N");
    s_fill_numbers (partition, 6);

    //  Query with KeyConditions {pk: EQ p, sk: GT 3}
    zyn_value_t *request = s_request (NULL, NULL);
    zyn_value_t *key_conditions = zyn_value_new_m ();
    const char *names [] = { "pk", "sk" };
    const char *operators [] = { "EQ", "GT" };
    zyn_value_t *operands [] = { zyn_value_new_s ("p"),
                                 zyn_value_new_n ("3", NULL) };
    for (int i = 0; i < 2; i++) {
        zyn_value_t *condition = zyn_value_new_m ();
        zyn_value_t *list = zyn_value_new_l ();
        zyn_value_list_append (list, &operands [i]);
        zyn_value_map_put (condition, "AttributeValueList", &list);
        zyn_value_map_put_s (condition, "ComparisonOperator", operators [i]);
        zyn_value_map_put (key_conditions, names [i], &condition);
    }
    zyn_value_map_put (request, "KeyConditions", &key_conditions);
    zyn_value_map_put_bool (request, "ScanIndexForward", false);
    zyn_value_t *response = s_ok (partition, "Query", &request);
    char keys [128];
    s_sort_keys (response, keys, sizeof (keys));
    ck_assert_str_eq (keys, "6,5,4");
    zyn_value_destroy (&response);

    //  GetItem with AttributesToGet
    request = s_request ("Key", "{\"pk\":{\"S\":\"p\"},\"sk\":{\"N\":\"2\"}}");
    zyn_value_t *attributes = zyn_value_new_l ();
    zyn_value_t *name = zyn_value_new_s ("odd");
    zyn_value_list_append (attributes, &name);
    zyn_value_map_put (request, "AttributesToGet", &attributes);
    response = s_ok (partition, "GetItem", &request);
    s_assert_json (zyn_value_map_get (response, "Item"),
                   "{\"odd\":{\"BOOL\":false}}");
    zyn_value_destroy (&response);

    //  PutItem with Expected {pk: Exists false} fails on an existing item
    request = s_request ("Item", "{\"pk\":{\"S\":\"p\"},\"sk\":{\"N\":\"2\"}}");
    zyn_value_t *expected = zyn_value_new_m ();
    zyn_value_t *exists = zyn_value_new_m ();
    zyn_value_map_put_bool (exists, "Exists", false);
    zyn_value_map_put (expected, "pk", &exists);
    zyn_value_map_put (request, "Expected", &expected);
    s_fails (partition, "PutItem", &request,
             ZYN_ERR_CONDITIONAL_CHECK_FAILED,
             "The conditional request failed");
    ck_assert (!zyn_partition_is_dirty (partition));
    zyn_partition_destroy (&partition);
    zyn_test_dir_remove (dir);
}
END_TEST

Suite *
zyn_partition_suite (void)
{
    Suite *suite = suite_create ("zyn_partition");
    TCase *tcase = tcase_create ("lifecycle");
    tcase_add_test (tcase, test_lifecycle);
    tcase_add_test (tcase, test_reopen);
    tcase_add_test (tcase, test_trim);
    suite_add_tcase (suite, tcase);
    tcase = tcase_create ("put_get");
    tcase_add_test (tcase, test_put_get_delete);
    tcase_add_test (tcase, test_overlay);
    tcase_add_test (tcase, test_row_cache);
    tcase_add_test (tcase, test_ownership);
    suite_add_tcase (suite, tcase);
    tcase = tcase_create ("query_scan");
    tcase_set_timeout (tcase, 30);
    tcase_add_test (tcase, test_query);
    tcase_add_test (tcase, test_query_begins_with);
    tcase_add_test (tcase, test_page_cap);
    tcase_add_test (tcase, test_scan);
    tcase_add_test (tcase, test_filter);
    suite_add_tcase (suite, tcase);
    tcase = tcase_create ("errors");
    tcase_add_test (tcase, test_validation);
    tcase_add_test (tcase, test_conditions);
    tcase_add_test (tcase, test_legacy);
    suite_add_tcase (suite, tcase);
    return suite;
}

ZYN_TEST_MAIN (zyn_partition_suite)

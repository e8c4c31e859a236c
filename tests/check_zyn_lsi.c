/*  =========================================================================
    check_zyn_lsi - local secondary indexes on real LevelDB: index rows
    staged with the item, moved and removed, sparse, projected; Query and
    Scan on an index; the item collection limit and its metrics (zyn_lsi,
    with zyn_partition and zyn_ops)
    =========================================================================
*/

#include "zyn_prelude.h"
#include "zyn_keycode.h"
#include "zyn_lsi.h"
#include "zyn_partition.h"
#include "zyn_ops.h"
#include "zyn_testutil.h"

//  --------------------------------------------------------------------------
//  Helpers

static zyn_value_t *
s_key_element (const char *name, const char *key_type)
{
    zyn_value_t *element = zyn_value_new_m ();
    zyn_value_map_put_s (element, "AttributeName", name);
    zyn_value_map_put_s (element, "KeyType", key_type);
    return element;
}

//  An index on pk and sort_key with a projection; include is a NULL-
//  terminated list of NonKeyAttributes for INCLUDE
static zyn_value_t *
s_index (const char *name, const char *sort_key, const char *type,
         const char **include)
{
    zyn_value_t *index = zyn_value_new_m ();
    zyn_value_map_put_s (index, "IndexName", name);
    zyn_value_t *schema = zyn_value_new_l ();
    zyn_value_t *element = s_key_element ("pk", "HASH");
    zyn_value_list_append (schema, &element);
    element = s_key_element (sort_key, "RANGE");
    zyn_value_list_append (schema, &element);
    zyn_value_map_put (index, "KeySchema", &schema);
    zyn_value_t *projection = zyn_value_new_m ();
    zyn_value_map_put_s (projection, "ProjectionType", type);
    if (include) {
        zyn_value_t *names = zyn_value_new_l ();
        for (int i = 0; include [i]; i++) {
            zyn_value_t *attribute = zyn_value_new_s (include [i]);
            zyn_value_list_append (names, &attribute);
        }
        zyn_value_map_put (projection, "NonKeyAttributes", &names);
    }
    zyn_value_map_put (index, "Projection", &projection);
    return index;
}

//  Table "Music": pk (S), sk (S); indexes byNum (num N, KEYS_ONLY),
//  byTag (tag S, INCLUDE color) and byNumAll (num N, ALL); an item
//  collection limit if limit > 0
static zyn_value_t *
s_descriptor (int64_t limit)
{
    zyn_value_t *descriptor = zyn_value_new_m ();
    zyn_value_map_put_int (descriptor, "TableId", 9);
    zyn_value_map_put_s (descriptor, "TableName", "Music");
    zyn_value_map_put_int (descriptor, "PartitionId", 1);
    uint8_t hash [8];
    zyn_put_u64 (hash, 0);
    zyn_value_t *value = zyn_value_new_b (hash, 8);
    zyn_value_map_put (descriptor, "HashStart", &value);
    zyn_put_u64 (hash, UINT64_MAX);
    value = zyn_value_new_b (hash, 8);
    zyn_value_map_put (descriptor, "HashEnd", &value);
    zyn_value_t *schema = zyn_value_new_l ();
    zyn_value_t *element = s_key_element ("pk", "HASH");
    zyn_value_list_append (schema, &element);
    element = s_key_element ("sk", "RANGE");
    zyn_value_list_append (schema, &element);
    zyn_value_map_put (descriptor, "KeySchema", &schema);
    zyn_value_t *definitions = zyn_value_new_l ();
    const char *names [] = { "pk", "sk", "num", "tag" };
    const char *types [] = { "S", "S", "N", "S" };
    for (int i = 0; i < 4; i++) {
        zyn_value_t *definition = zyn_value_new_m ();
        zyn_value_map_put_s (definition, "AttributeName", names [i]);
        zyn_value_map_put_s (definition, "AttributeType", types [i]);
        zyn_value_list_append (definitions, &definition);
    }
    zyn_value_map_put (descriptor, "AttributeDefinitions", &definitions);
    zyn_value_t *indexes = zyn_value_new_l ();
    zyn_value_t *index = s_index ("byNum", "num", "KEYS_ONLY", NULL);
    zyn_value_list_append (indexes, &index);
    const char *include [] = { "color", NULL };
    index = s_index ("byTag", "tag", "INCLUDE", include);
    zyn_value_list_append (indexes, &index);
    index = s_index ("byNumAll", "num", "ALL", NULL);
    zyn_value_list_append (indexes, &index);
    zyn_value_map_put (descriptor, "LocalSecondaryIndexes", &indexes);
    if (limit > 0)
        zyn_value_map_put_int (descriptor, "ZynItemCollectionLimit", limit);
    zyn_value_map_put_s (descriptor, "StreamViewType", "NEW_AND_OLD_IMAGES");
    return descriptor;
}

static zyn_partition_t *
s_open (const char *dir, int64_t limit)
{
    char path [1200];
    snprintf (path, sizeof (path), "%s/p-9-1", dir);
    zyn_value_t *descriptor = s_descriptor (limit);
    zyn_error_t err = { 0 };
    zyn_partition_t *partition = zyn_partition_new (path, descriptor, &err);
    ck_assert_msg (partition, "open failed: %s", err.message);
    zyn_value_destroy (&descriptor);
    return partition;
}

static zyn_value_t *
s_map (const char *json)
{
    zyn_error_t err = { 0 };
    zyn_value_t *map = zyn_value_from_json (json, true, &err);
    ck_assert_msg (map, "bad JSON %s: %s", json, err.message);
    return map;
}

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

static zyn_value_t *
s_ok (zyn_partition_t *partition, const char *operation,
      zyn_value_t **request_p)
{
    zyn_error_t err = { 0 };
    zyn_value_t *extra = NULL;
    zyn_value_t *response = zyn_ops_execute (partition, operation,
                                             *request_p, &extra, &err);
    ck_assert_msg (response, "%s failed: %s: %s", operation,
                   zyn_error_name (err.type), err.message);
    zyn_value_destroy (&extra);
    zyn_value_destroy (request_p);
    return response;
}

static void
s_fails (zyn_partition_t *partition, const char *operation,
         zyn_value_t **request_p, zyn_errtype_t type, const char *message)
{
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
s_commit (zyn_partition_t *partition)
{
    zyn_error_t err = { 0 };
    ck_assert_int_eq (zyn_partition_commit (partition, &err), 0);
    uint64_t seq;
    zchunk_t *record;
    while ((record = zyn_partition_next_record (partition, &seq)))
        zchunk_destroy (&record);
}

static void
s_put (zyn_partition_t *partition, const char *item_json)
{
    zyn_value_t *request = s_request ("Item", item_json);
    zyn_value_t *response = s_ok (partition, "PutItem", &request);
    zyn_value_destroy (&response);
}

static void
s_assert_json (const zyn_value_t *map, const char *expected_json)
{
    zyn_value_t *expected = s_map (expected_json);
    if (!map || !zyn_value_equal (map, expected)) {
        char *got = map ? zyn_value_to_json (map, true) : strdup ("NULL");
        ck_abort_msg ("expected %s, got %s", expected_json, got);
        free (got);
    }
    zyn_value_destroy (&expected);
}

//  The committed index rows of index number index, as the JSON of their
//  entries joined by " | "
static void
s_index_rows (zyn_partition_t *partition, int index, char *buf, size_t size)
{
    buf [0] = '\0';
    zyn_partition_iter_t *iter = zyn_partition_iter_new (partition);
    uint8_t head [2] = { ZYN_ROW_LSI, (uint8_t) index };
    bool valid = zyn_partition_iter_seek (iter, head, 2, false);
    while (valid) {
        size_t row_size, data_size;
        const uint8_t *row = zyn_partition_iter_key (iter, &row_size);
        if (row_size < 2 || memcmp (row, head, 2) != 0)
            break;
        const uint8_t *data = zyn_partition_iter_value (iter, &data_size);
        zyn_value_t *entry = zyn_value_decode (data, data_size, NULL);
        ck_assert_ptr_nonnull (entry);
        char *json = zyn_value_to_json (entry, true);
        size_t used = strlen (buf);
        snprintf (buf + used, size - used, "%s%s", used ? " | " : "", json);
        free (json);
        zyn_value_destroy (&entry);
        valid = zyn_partition_iter_step (iter, true);
    }
    zyn_partition_iter_destroy (&iter);
}

//  A Query on index with a key condition and values
static zyn_value_t *
s_query_request (const char *index, const char *condition,
                 const char *values_json)
{
    zyn_value_t *request = s_request ("ExpressionAttributeValues",
                                      values_json);
    zyn_value_map_put_s (request, "KeyConditionExpression", condition);
    if (index)
        zyn_value_map_put_s (request, "IndexName", index);
    return request;
}

//  The values of attribute name in a page's items, as "a,b,c"
static void
s_column (const zyn_value_t *response, const char *name, char *buf,
          size_t size)
{
    buf [0] = '\0';
    const zyn_value_t *items = zyn_value_map_get (response, "Items");
    ck_assert_ptr_nonnull (items);
    for (size_t i = 0; i < zyn_value_size (items); i++) {
        const zyn_value_t *value = zyn_value_map_get (
            zyn_value_list_get (items, i), name);
        size_t used = strlen (buf);
        snprintf (buf + used, size - used, "%s%s", i ? "," : "",
                  value ? zyn_value_data (value) : "-");
    }
}

//  --------------------------------------------------------------------------
//  Index rows are written in the item's batch, with the right projection

START_TEST (test_rows)
{
    char dir [1024];
    zyn_test_dir (dir, sizeof (dir), "lsi-rows");
    zyn_partition_t *partition = s_open (dir, 0);
    ck_assert_int_eq (zyn_lsi_size (zyn_partition_lsi (partition)), 3);
    ck_assert_int_eq (zyn_lsi_find (zyn_partition_lsi (partition), "byTag"),
                      1);
    ck_assert_int_eq (zyn_lsi_find (zyn_partition_lsi (partition), "nope"),
                      -1);

    s_put (partition, "{\"pk\": {\"S\": \"a\"}, \"sk\": {\"S\": \"1\"}, "
                      "\"num\": {\"N\": \"7\"}, \"tag\": {\"S\": \"x\"}, "
                      "\"color\": {\"S\": \"red\"}, \"size\": {\"N\": "
                      "\"3\"}}");
    //  Staged, not yet in LevelDB: neither the item nor its entries
    char rows [4096];
    s_index_rows (partition, 0, rows, sizeof (rows));
    ck_assert_str_eq (rows, "");
    s_commit (partition);
    s_index_rows (partition, 0, rows, sizeof (rows));
    ck_assert_str_eq (rows, "{\"pk\":{\"S\":\"a\"},\"sk\":{\"S\":\"1\"},"
                            "\"num\":{\"N\":\"7\"}}");
    s_index_rows (partition, 1, rows, sizeof (rows));
    ck_assert_str_eq (rows, "{\"pk\":{\"S\":\"a\"},\"sk\":{\"S\":\"1\"},"
                            "\"tag\":{\"S\":\"x\"},"
                            "\"color\":{\"S\":\"red\"}}");
    s_index_rows (partition, 2, rows, sizeof (rows));
    ck_assert_ptr_nonnull (strstr (rows, "\"size\":{\"N\":\"3\"}"));

    //  Sparse: an item without num is only in byTag
    s_put (partition, "{\"pk\": {\"S\": \"a\"}, \"sk\": {\"S\": \"2\"}, "
                      "\"tag\": {\"S\": \"y\"}}");
    s_commit (partition);
    s_index_rows (partition, 0, rows, sizeof (rows));
    ck_assert_ptr_null (strstr (rows, "\"2\""));
    s_index_rows (partition, 1, rows, sizeof (rows));
    ck_assert_ptr_nonnull (strstr (rows, "\"tag\":{\"S\":\"y\"}"));

    //  An update that changes num moves the entry; one that removes tag
    //  takes it out of byTag
    zyn_value_t *request = s_request ("Key", "{\"pk\": {\"S\": \"a\"}, "
                                             "\"sk\": {\"S\": \"1\"}}");
    zyn_value_map_put_s (request, "UpdateExpression",
                         "SET num = :n REMOVE tag");
    zyn_value_t *values = s_map ("{\":n\": {\"N\": \"9\"}}");
    zyn_value_map_put (request, "ExpressionAttributeValues", &values);
    zyn_value_t *response = s_ok (partition, "UpdateItem", &request);
    zyn_value_destroy (&response);
    s_commit (partition);
    s_index_rows (partition, 0, rows, sizeof (rows));
    ck_assert_str_eq (rows, "{\"pk\":{\"S\":\"a\"},\"sk\":{\"S\":\"1\"},"
                            "\"num\":{\"N\":\"9\"}}");
    s_index_rows (partition, 1, rows, sizeof (rows));
    ck_assert_str_eq (rows, "{\"pk\":{\"S\":\"a\"},\"sk\":{\"S\":\"2\"},"
                            "\"tag\":{\"S\":\"y\"}}");

    //  Delete removes every entry of the item
    request = s_request ("Key", "{\"pk\": {\"S\": \"a\"}, "
                                "\"sk\": {\"S\": \"1\"}}");
    response = s_ok (partition, "DeleteItem", &request);
    zyn_value_destroy (&response);
    request = s_request ("Key", "{\"pk\": {\"S\": \"a\"}, "
                                "\"sk\": {\"S\": \"2\"}}");
    response = s_ok (partition, "DeleteItem", &request);
    zyn_value_destroy (&response);
    s_commit (partition);
    for (int i = 0; i < 3; i++) {
        s_index_rows (partition, i, rows, sizeof (rows));
        ck_assert_str_eq (rows, "");
    }
    uint64_t size = 99;
    zyn_value_t *pk = zyn_value_new_s ("a");
    ck_assert_int_eq (zyn_partition_collection_size (partition, pk, &size,
                                                     NULL),
                      0);
    ck_assert_int_eq (size, 0);
    zyn_value_destroy (&pk);
    zyn_partition_destroy (&partition);
    zyn_test_dir_remove (dir);
}
END_TEST

//  --------------------------------------------------------------------------
//  Index key types are checked on write

START_TEST (test_key_types)
{
    char dir [1024];
    zyn_test_dir (dir, sizeof (dir), "lsi-types");
    zyn_partition_t *partition = s_open (dir, 0);
    zyn_value_t *request = s_request ("Item", "{\"pk\": {\"S\": \"a\"}, "
                                              "\"sk\": {\"S\": \"1\"}, "
                                              "\"num\": {\"S\": \"7\"}}");
    s_fails (partition, "PutItem", &request, ZYN_ERR_VALIDATION,
             "One or more parameter values were invalid: Type mismatch for "
             "Index Key num Expected: N Actual: S IndexName: byNum");
    request = s_request ("Item", "{\"pk\": {\"S\": \"a\"}, "
                                 "\"sk\": {\"S\": \"1\"}, "
                                 "\"tag\": {\"S\": \"\"}}");
    s_fails (partition, "PutItem", &request, ZYN_ERR_VALIDATION,
             "One or more parameter values are not valid. A value specified "
             "for a secondary index key is not supported. The AttributeValue "
             "for a key attribute cannot contain an empty string value. "
             "IndexName: byTag, IndexKey: tag");
    request = s_request ("Key", "{\"pk\": {\"S\": \"a\"}, "
                                "\"sk\": {\"S\": \"1\"}}");
    zyn_value_map_put_s (request, "UpdateExpression", "SET tag = :t");
    zyn_value_t *values = s_map ("{\":t\": {\"N\": \"1\"}}");
    zyn_value_map_put (request, "ExpressionAttributeValues", &values);
    s_fails (partition, "UpdateItem", &request, ZYN_ERR_VALIDATION,
             "One or more parameter values were invalid: Type mismatch for "
             "Index Key tag Expected: S Actual: N IndexName: byTag");
    ck_assert (!zyn_partition_is_dirty (partition));
    zyn_partition_destroy (&partition);
    zyn_test_dir_remove (dir);
}
END_TEST

//  --------------------------------------------------------------------------
//  The key attributes of global indexes are checked on write too, as the
//  descriptor names them; an item without them is not refused

//  Music's descriptor without local indexes, with a global index byColor
//  (color S, num N) if with_global, or a malformed one if broken
static zyn_value_t *
s_global_descriptor (bool with_global, bool broken)
{
    zyn_value_t *descriptor = s_descriptor (0);
    zyn_value_t *lsis = zyn_value_map_take (descriptor,
                                            "LocalSecondaryIndexes");
    zyn_value_destroy (&lsis);
    zyn_value_t *definition = zyn_value_new_m ();
    zyn_value_map_put_s (definition, "AttributeName", "color");
    zyn_value_map_put_s (definition, "AttributeType", "S");
    zyn_value_list_append (zyn_value_map_get (descriptor,
                                              "AttributeDefinitions"),
                           &definition);
    if (with_global) {
        zyn_value_t *gsi = zyn_value_new_m ();
        zyn_value_map_put_s (gsi, "IndexName", broken ? "byShade"
                                                      : "byColor");
        zyn_value_t *schema = zyn_value_new_l ();
        zyn_value_t *element = s_key_element (broken ? "shade" : "color",
                                              "HASH");
        zyn_value_list_append (schema, &element);
        element = s_key_element ("num", "RANGE");
        zyn_value_list_append (schema, &element);
        zyn_value_map_put (gsi, "KeySchema", &schema);
        zyn_value_t *gsis = zyn_value_new_l ();
        zyn_value_list_append (gsis, &gsi);
        zyn_value_map_put (descriptor, "GlobalSecondaryIndexes", &gsis);
    }
    return descriptor;
}

START_TEST (test_global_key_types)
{
    char dir [1024];
    zyn_test_dir (dir, sizeof (dir), "lsi-global");
    char path [1200];
    snprintf (path, sizeof (path), "%s/p-9-1", dir);
    zyn_value_t *descriptor = s_global_descriptor (true, false);
    zyn_error_t err = { 0 };
    zyn_partition_t *partition = zyn_partition_new (path, descriptor, &err);
    ck_assert_msg (partition, "open failed: %s", err.message);
    zyn_value_destroy (&descriptor);

    zyn_value_t *request = s_request ("Item", "{\"pk\": {\"S\": \"a\"}, "
                                              "\"sk\": {\"S\": \"1\"}, "
                                              "\"color\": {\"N\": \"7\"}}");
    s_fails (partition, "PutItem", &request, ZYN_ERR_VALIDATION,
             "One or more parameter values were invalid: Type mismatch for "
             "Index Key color Expected: S Actual: N IndexName: byColor");
    request = s_request ("Item", "{\"pk\": {\"S\": \"a\"}, "
                                 "\"sk\": {\"S\": \"1\"}, "
                                 "\"num\": {\"S\": \"7\"}}");
    s_fails (partition, "PutItem", &request, ZYN_ERR_VALIDATION,
             "One or more parameter values were invalid: Type mismatch for "
             "Index Key num Expected: N Actual: S IndexName: byColor");
    request = s_request ("Item", "{\"pk\": {\"S\": \"a\"}, "
                                 "\"sk\": {\"S\": \"1\"}, "
                                 "\"color\": {\"S\": \"\"}}");
    s_fails (partition, "PutItem", &request, ZYN_ERR_VALIDATION,
             "One or more parameter values are not valid. A value specified "
             "for a secondary index key is not supported. The AttributeValue "
             "for a key attribute cannot contain an empty string value. "
             "IndexName: byColor, IndexKey: color");
    //  Sparse: no index key at all is fine, and so are the right types
    request = s_request ("Item", "{\"pk\": {\"S\": \"a\"}, "
                                 "\"sk\": {\"S\": \"1\"}}");
    zyn_value_t *response = s_ok (partition, "PutItem", &request);
    zyn_value_destroy (&response);
    request = s_request ("Key", "{\"pk\": {\"S\": \"a\"}, "
                                "\"sk\": {\"S\": \"1\"}}");
    zyn_value_map_put_s (request, "UpdateExpression", "SET color = :c");
    zyn_value_t *values = s_map ("{\":c\": {\"B\": \"AAE=\"}}");
    zyn_value_map_put (request, "ExpressionAttributeValues", &values);
    s_fails (partition, "UpdateItem", &request, ZYN_ERR_VALIDATION,
             "One or more parameter values were invalid: Type mismatch for "
             "Index Key color Expected: S Actual: B IndexName: byColor");
    request = s_request ("Item", "{\"pk\": {\"S\": \"a\"}, "
                                 "\"sk\": {\"S\": \"2\"}, "
                                 "\"color\": {\"S\": \"red\"}, "
                                 "\"num\": {\"N\": \"3\"}}");
    response = s_ok (partition, "PutItem", &request);
    zyn_value_destroy (&response);
    s_commit (partition);
    //  The refused writes left nothing: sk 1 has no color
    request = s_request ("Key", "{\"pk\": {\"S\": \"a\"}, "
                                "\"sk\": {\"S\": \"1\"}}");
    response = s_ok (partition, "GetItem", &request);
    char *json = zyn_value_to_json (zyn_value_map_get (response, "Item"),
                                    true);
    ck_assert_str_eq (json, "{\"pk\":{\"S\":\"a\"},\"sk\":{\"S\":\"1\"}}");
    free (json);
    zyn_value_destroy (&response);

    //  The index deleted (a new descriptor without it): no more check
    descriptor = s_global_descriptor (false, false);
    ck_assert_int_eq (zyn_partition_set_descriptor (partition, descriptor,
                                                    &err), 0);
    zyn_value_destroy (&descriptor);
    request = s_request ("Item", "{\"pk\": {\"S\": \"a\"}, "
                                 "\"sk\": {\"S\": \"3\"}, "
                                 "\"color\": {\"N\": \"7\"}}");
    response = s_ok (partition, "PutItem", &request);
    zyn_value_destroy (&response);
    s_commit (partition);
    //  A key attribute the definitions do not type is refused
    descriptor = s_global_descriptor (true, true);
    ck_assert_int_eq (zyn_partition_set_descriptor (partition, descriptor,
                                                    &err), -1);
    ck_assert_str_eq (err.message,
                      "partition descriptor: bad GlobalSecondaryIndexes");
    zyn_value_destroy (&descriptor);
    zyn_partition_destroy (&partition);
    zyn_test_dir_remove (dir);
}
END_TEST

//  --------------------------------------------------------------------------
//  Query on an index: order, conditions, direction, pagination, Select

START_TEST (test_query)
{
    char dir [1024];
    zyn_test_dir (dir, sizeof (dir), "lsi-query");
    zyn_partition_t *partition = s_open (dir, 0);
    //  sk 1..5 with num 50, 40, 30, 20, 10: index order is reversed
    for (int i = 1; i <= 5; i++) {
        char json [300];
        snprintf (json, sizeof (json),
                  "{\"pk\": {\"S\": \"a\"}, \"sk\": {\"S\": \"%d\"}, "
                  "\"num\": {\"N\": \"%d\"}, \"color\": {\"S\": \"c%d\"}}",
                  i, 60 - i * 10, i);
        s_put (partition, json);
    }
    s_put (partition, "{\"pk\": {\"S\": \"b\"}, \"sk\": {\"S\": \"1\"}, "
                      "\"num\": {\"N\": \"1\"}}");
    s_put (partition, "{\"pk\": {\"S\": \"a\"}, \"sk\": {\"S\": \"9\"}}");
    s_commit (partition);

    char column [256];
    zyn_value_t *request = s_query_request ("byNum", "pk = :p",
                                            "{\":p\": {\"S\": \"a\"}}");
    zyn_value_t *response = s_ok (partition, "Query", &request);
    s_column (response, "sk", column, sizeof (column));
    ck_assert_str_eq (column, "5,4,3,2,1");
    //  KEYS_ONLY, ALL_PROJECTED_ATTRIBUTES by default: no color
    s_column (response, "color", column, sizeof (column));
    ck_assert_str_eq (column, "-,-,-,-,-");
    zyn_value_destroy (&response);

    request = s_query_request ("byNum", "pk = :p AND num BETWEEN :l AND :h",
                               "{\":p\": {\"S\": \"a\"}, \":l\": {\"N\": "
                               "\"20\"}, \":h\": {\"N\": \"40\"}}");
    zyn_value_map_put_bool (request, "ScanIndexForward", false);
    response = s_ok (partition, "Query", &request);
    s_column (response, "num", column, sizeof (column));
    ck_assert_str_eq (column, "40,30,20");
    zyn_value_destroy (&response);

    request = s_query_request ("byNum", "pk = :p AND num < :h",
                               "{\":p\": {\"S\": \"a\"}, \":h\": {\"N\": "
                               "\"30\"}}");
    zyn_value_map_put_bool (request, "ScanIndexForward", false);
    response = s_ok (partition, "Query", &request);
    s_column (response, "num", column, sizeof (column));
    ck_assert_str_eq (column, "20,10");
    zyn_value_destroy (&response);

    //  Pagination: LastEvaluatedKey holds table and index keys
    request = s_query_request ("byNum", "pk = :p",
                               "{\":p\": {\"S\": \"a\"}}");
    zyn_value_map_put_int (request, "Limit", 2);
    response = s_ok (partition, "Query", &request);
    s_column (response, "sk", column, sizeof (column));
    ck_assert_str_eq (column, "5,4");
    zyn_value_t *last = zyn_value_map_take (response, "LastEvaluatedKey");
    s_assert_json (last, "{\"pk\": {\"S\": \"a\"}, \"sk\": {\"S\": \"4\"}, "
                         "\"num\": {\"N\": \"20\"}}");
    zyn_value_destroy (&response);
    request = s_query_request ("byNum", "pk = :p",
                               "{\":p\": {\"S\": \"a\"}}");
    zyn_value_map_put (request, "ExclusiveStartKey", &last);
    response = s_ok (partition, "Query", &request);
    s_column (response, "sk", column, sizeof (column));
    ck_assert_str_eq (column, "3,2,1");
    ck_assert_ptr_null (zyn_value_map_get (response, "LastEvaluatedKey"));
    zyn_value_destroy (&response);

    //  Backwards from a start key
    request = s_query_request ("byNum", "pk = :p",
                               "{\":p\": {\"S\": \"a\"}}");
    zyn_value_map_put_bool (request, "ScanIndexForward", false);
    last = s_map ("{\"pk\": {\"S\": \"a\"}, \"sk\": {\"S\": \"3\"}, "
                  "\"num\": {\"N\": \"30\"}}");
    zyn_value_map_put (request, "ExclusiveStartKey", &last);
    response = s_ok (partition, "Query", &request);
    s_column (response, "sk", column, sizeof (column));
    ck_assert_str_eq (column, "4,5");
    zyn_value_destroy (&response);

    //  ALL_ATTRIBUTES and a projection of a non-projected attribute read
    //  the base item
    request = s_query_request ("byNum", "pk = :p AND num = :n",
                               "{\":p\": {\"S\": \"a\"}, \":n\": {\"N\": "
                               "\"30\"}}");
    zyn_value_map_put_s (request, "Select", "ALL_ATTRIBUTES");
    response = s_ok (partition, "Query", &request);
    s_assert_json (zyn_value_list_get (zyn_value_map_get (response, "Items"),
                                       0),
                   "{\"pk\": {\"S\": \"a\"}, \"sk\": {\"S\": \"3\"}, "
                   "\"num\": {\"N\": \"30\"}, \"color\": {\"S\": \"c3\"}}");
    zyn_value_destroy (&response);
    request = s_query_request ("byNum", "pk = :p AND num >= :n",
                               "{\":p\": {\"S\": \"a\"}, \":n\": {\"N\": "
                               "\"40\"}}");
    zyn_value_map_put_s (request, "ProjectionExpression", "color");
    response = s_ok (partition, "Query", &request);
    s_column (response, "color", column, sizeof (column));
    ck_assert_str_eq (column, "c2,c1");
    zyn_value_destroy (&response);

    //  A filter on a non-projected attribute; COUNT
    request = s_query_request ("byNum", "pk = :p",
                               "{\":p\": {\"S\": \"a\"}, \":c\": {\"S\": "
                               "\"c2\"}}");
    zyn_value_map_put_s (request, "FilterExpression", "color = :c");
    response = s_ok (partition, "Query", &request);
    s_column (response, "sk", column, sizeof (column));
    ck_assert_str_eq (column, "2");
    ck_assert_ptr_null (zyn_value_map_get (
        zyn_value_list_get (zyn_value_map_get (response, "Items"), 0),
        "color"));
    zyn_value_destroy (&response);
    request = s_query_request ("byNumAll", "pk = :p",
                               "{\":p\": {\"S\": \"a\"}}");
    zyn_value_map_put_s (request, "Select", "COUNT");
    zyn_value_map_put_bool (request, "ConsistentRead", true);
    response = s_ok (partition, "Query", &request);
    int64_t count = 0;
    ck_assert_int_eq (zyn_value_map_get_int (response, "Count", &count), 0);
    ck_assert_int_eq (count, 5);
    ck_assert_ptr_null (zyn_value_map_get (response, "Items"));
    zyn_value_destroy (&response);

    //  Errors
    request = s_query_request ("nope", "pk = :p", "{\":p\": {\"S\": \"a\"}}");
    s_fails (partition, "Query", &request, ZYN_ERR_VALIDATION,
             "The table does not have the specified index: nope");
    request = s_query_request ("byNum", "pk = :p AND num = :n",
                               "{\":p\": {\"S\": \"a\"}, \":n\": {\"S\": "
                               "\"x\"}}");
    s_fails (partition, "Query", &request, ZYN_ERR_VALIDATION,
             "One or more parameter values were invalid: Condition "
             "parameter type does not match schema type");
    request = s_query_request ("byNum", "pk = :p",
                               "{\":p\": {\"S\": \"a\"}}");
    last = s_map ("{\"pk\": {\"S\": \"a\"}, \"sk\": {\"S\": \"3\"}}");
    zyn_value_map_put (request, "ExclusiveStartKey", &last);
    s_fails (partition, "Query", &request, ZYN_ERR_VALIDATION,
             "The provided starting key is invalid: The provided key "
             "element does not match the schema");
    request = s_query_request (NULL, "pk = :p", "{\":p\": {\"S\": \"a\"}}");
    zyn_value_map_put_s (request, "Select", "ALL_PROJECTED_ATTRIBUTES");
    s_fails (partition, "Query", &request, ZYN_ERR_VALIDATION,
             "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using "
             "an IndexName");
    zyn_partition_destroy (&partition);
    zyn_test_dir_remove (dir);
}
END_TEST

//  --------------------------------------------------------------------------
//  Scan on an index walks its entries in hash, then index key order

START_TEST (test_scan)
{
    char dir [1024];
    zyn_test_dir (dir, sizeof (dir), "lsi-scan");
    zyn_partition_t *partition = s_open (dir, 0);
    s_put (partition, "{\"pk\": {\"S\": \"a\"}, \"sk\": {\"S\": \"1\"}, "
                      "\"tag\": {\"S\": \"z\"}}");
    s_put (partition, "{\"pk\": {\"S\": \"a\"}, \"sk\": {\"S\": \"2\"}, "
                      "\"tag\": {\"S\": \"m\"}}");
    s_put (partition, "{\"pk\": {\"S\": \"a\"}, \"sk\": {\"S\": \"3\"}}");
    s_commit (partition);
    zyn_value_t *request = s_request (NULL, NULL);
    zyn_value_map_put_s (request, "IndexName", "byTag");
    zyn_value_map_put_int (request, "Limit", 1);
    zyn_value_t *response = s_ok (partition, "Scan", &request);
    char column [256];
    s_column (response, "tag", column, sizeof (column));
    ck_assert_str_eq (column, "m");
    zyn_value_t *last = zyn_value_map_take (response, "LastEvaluatedKey");
    s_assert_json (last, "{\"pk\": {\"S\": \"a\"}, \"sk\": {\"S\": \"2\"}, "
                         "\"tag\": {\"S\": \"m\"}}");
    zyn_value_destroy (&response);
    request = s_request (NULL, NULL);
    zyn_value_map_put_s (request, "IndexName", "byTag");
    zyn_value_map_put (request, "ExclusiveStartKey", &last);
    response = s_ok (partition, "Scan", &request);
    s_column (response, "tag", column, sizeof (column));
    ck_assert_str_eq (column, "z");
    zyn_value_destroy (&response);
    request = s_request (NULL, NULL);
    zyn_value_map_put_s (request, "IndexName", "other");
    s_fails (partition, "Scan", &request, ZYN_ERR_VALIDATION,
             "The table does not have the specified index: other");
    zyn_partition_destroy (&partition);
    zyn_test_dir_remove (dir);
}
END_TEST

//  --------------------------------------------------------------------------
//  The item collection limit and ReturnItemCollectionMetrics

START_TEST (test_collection_limit)
{
    char dir [1024];
    zyn_test_dir (dir, sizeof (dir), "lsi-limit");
    zyn_partition_t *partition = s_open (dir, 1500);
    ck_assert_int_eq (zyn_lsi_collection_limit (zyn_partition_lsi (partition)),
                      1500);
    char json [600];
    char filler [201];
    memset (filler, 'f', 200);
    filler [200] = '\0';
    int stored = 0;
    for (int i = 0; i < 10; i++) {
        snprintf (json, sizeof (json),
                  "{\"pk\": {\"S\": \"a\"}, \"sk\": {\"S\": \"%d\"}, "
                  "\"num\": {\"N\": \"%d\"}, \"data\": {\"S\": \"%s\"}}",
                  i, i, filler);
        zyn_value_t *request = s_request ("Item", json);
        zyn_value_map_put_s (request, "ReturnItemCollectionMetrics", "SIZE");
        zyn_error_t err = { 0 };
        zyn_value_t *response = zyn_ops_execute (partition, "PutItem",
                                                 request, NULL, &err);
        zyn_value_destroy (&request);
        if (!response) {
            ck_assert_str_eq (zyn_error_name (err.type),
                              "ItemCollectionSizeLimitExceededException");
            ck_assert_str_eq (err.message,
                              "Item collection size limit exceeded");
            break;
        }
        s_assert_json (zyn_value_map_get (response, "ItemCollectionMetrics"),
                       "{\"ItemCollectionKey\": {\"M\": {\"pk\": {\"S\": "
                       "\"a\"}}}, \"SizeEstimateRangeGB\": {\"L\": [{\"N\": "
                       "\"0\"}, {\"N\": \"1\"}]}}");
        zyn_value_destroy (&response);
        stored++;
    }
    //  Each item takes about 215 bytes, its two entries about 430 more
    ck_assert_int_eq (stored, 2);
    s_commit (partition);
    uint64_t size = 0;
    zyn_value_t *pk = zyn_value_new_s ("a");
    ck_assert_int_eq (zyn_partition_collection_size (partition, pk, &size,
                                                     NULL),
                      0);
    ck_assert_uint_gt (size, 1000);
    ck_assert_uint_le (size, 1500);
    zyn_value_destroy (&pk);

    //  Another partition key value has its own collection; replacing an
    //  item with a smaller one is always allowed
    s_put (partition, "{\"pk\": {\"S\": \"b\"}, \"sk\": {\"S\": \"1\"}}");
    s_put (partition, "{\"pk\": {\"S\": \"a\"}, \"sk\": {\"S\": \"0\"}}");
    snprintf (json, sizeof (json),
              "{\"pk\": {\"S\": \"a\"}, \"sk\": {\"S\": \"7\"}, "
              "\"data\": {\"S\": \"%s\"}}", filler);
    s_put (partition, json);
    //  Metrics only when asked for
    zyn_value_t *request = s_request ("Key", "{\"pk\": {\"S\": \"a\"}, "
                                             "\"sk\": {\"S\": \"7\"}}");
    zyn_value_t *response = s_ok (partition, "DeleteItem", &request);
    ck_assert_ptr_null (zyn_value_map_get (response,
                                           "ItemCollectionMetrics"));
    zyn_value_destroy (&response);
    request = s_request ("Key", "{\"pk\": {\"S\": \"b\"}, "
                                "\"sk\": {\"S\": \"1\"}}");
    zyn_value_map_put_s (request, "ReturnItemCollectionMetrics", "BAD");
    s_fails (partition, "DeleteItem", &request, ZYN_ERR_VALIDATION,
             "1 validation error detected: Value 'BAD' at "
             "'returnItemCollectionMetrics' failed to satisfy constraint: "
             "Member must satisfy enum value set: [SIZE, NONE]");
    zyn_partition_destroy (&partition);
    zyn_test_dir_remove (dir);
}
END_TEST

//  --------------------------------------------------------------------------
//  A reopened partition knows its indexes and limit from its descriptor

START_TEST (test_reopen)
{
    char dir [1024];
    zyn_test_dir (dir, sizeof (dir), "lsi-reopen");
    zyn_partition_t *partition = s_open (dir, 4321);
    s_put (partition, "{\"pk\": {\"S\": \"a\"}, \"sk\": {\"S\": \"1\"}, "
                      "\"num\": {\"N\": \"7\"}}");
    s_commit (partition);
    zyn_partition_destroy (&partition);

    char path [1200];
    snprintf (path, sizeof (path), "%s/p-9-1", dir);
    zyn_error_t err = { 0 };
    partition = zyn_partition_new (path, NULL, &err);
    ck_assert_msg (partition, "reopen failed: %s", err.message);
    zyn_lsi_t *lsi = zyn_partition_lsi (partition);
    ck_assert_int_eq (zyn_lsi_size (lsi), 3);
    ck_assert_int_eq (zyn_lsi_collection_limit (lsi), 4321);
    ck_assert_str_eq (zyn_lsi_sk_name (lsi, 1), "tag");
    ck_assert (zyn_lsi_projects (lsi, 1, "color"));
    ck_assert (!zyn_lsi_projects (lsi, 1, "size"));
    ck_assert (zyn_lsi_projects (lsi, 2, "size"));
    zyn_value_t *request = s_query_request ("byNum", "pk = :p AND num = :n",
                                            "{\":p\": {\"S\": \"a\"}, "
                                            "\":n\": {\"N\": \"7\"}}");
    zyn_value_t *response = s_ok (partition, "Query", &request);
    char column [64];
    s_column (response, "sk", column, sizeof (column));
    ck_assert_str_eq (column, "1");
    zyn_value_destroy (&response);
    uint64_t size = 0;
    zyn_value_t *pk = zyn_value_new_s ("a");
    ck_assert_int_eq (zyn_partition_collection_size (partition, pk, &size,
                                                     NULL),
                      0);
    ck_assert_uint_gt (size, 0);
    zyn_value_destroy (&pk);
    zyn_partition_destroy (&partition);
    zyn_test_dir_remove (dir);
}
END_TEST

//  --------------------------------------------------------------------------

static Suite *
zyn_lsi_suite (void)
{
    Suite *suite = suite_create ("zyn_lsi");
    TCase *tcase = tcase_create ("rows");
    tcase_add_test (tcase, test_rows);
    tcase_add_test (tcase, test_key_types);
    tcase_add_test (tcase, test_global_key_types);
    tcase_add_test (tcase, test_reopen);
    suite_add_tcase (suite, tcase);
    tcase = tcase_create ("query");
    tcase_add_test (tcase, test_query);
    tcase_add_test (tcase, test_scan);
    suite_add_tcase (suite, tcase);
    tcase = tcase_create ("collection_limit");
    tcase_add_test (tcase, test_collection_limit);
    suite_add_tcase (suite, tcase);
    return suite;
}

ZYN_TEST_MAIN (zyn_lsi_suite)

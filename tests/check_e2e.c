/*  =========================================================================
    check_e2e - end-to-end suite: real broker and worker processes

    Every test starts zynamo-broker and two zynamo-worker processes on
    ephemeral ports with fresh data (tests/zyn_testcluster.h) and drives
    them through libzynamo, as an application would.
    =========================================================================
*/

#include "zyn_prelude.h"
#include "zyn_json.h"
#include "zyn_proto.h"
#include "zyn_testcluster.h"
#include "zyn_testutil.h"

//  Parse DynamoDB JSON for an item or key; aborts on bad test input
static zyn_value_t *
s_item (const char *json)
{
    zyn_error_t err = { 0 };
    zyn_value_t *item = zyn_value_from_json (json, true, &err);
    ck_assert_msg (item, "bad test JSON %s: %s", json, err.message);
    return item;
}

static void
s_create_table (zyn_client_t *client, const char *table, bool sorted,
                int partitions)
{
    char json [1024];
    snprintf (json, sizeof (json),
              "{\"TableName\":\"%s\",\"ZynPartitions\":%d,"
              "\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"}%s],"
              "\"AttributeDefinitions\":[{\"AttributeName\":\"pk\","
              "\"AttributeType\":\"S\"}%s],"
              "\"BillingMode\":\"PAY_PER_REQUEST\"}",
              table, partitions,
              sorted ? ",{\"AttributeName\":\"sk\",\"KeyType\":\"RANGE\"}" : "",
              sorted ? ",{\"AttributeName\":\"sk\",\"AttributeType\":\"N\"}"
                     : "");
    zyn_value_t *created = zyn_testcluster_ok (client, "CreateTable", json);
    zyn_value_destroy (&created);
    zyn_error_t err = { 0 };
    ck_assert_msg (zyn_client_wait_active (client, table, 15000, &err) == 0,
                   "table %s not ACTIVE: %s", table, err.message);
}

static void
s_put (zyn_client_t *client, const char *table, const char *item_json)
{
    zyn_value_t *item = s_item (item_json);
    zyn_error_t err = { 0 };
    ck_assert_msg (zyn_client_put_item (client, table, item, &err) == 0,
                   "put %s: %s", item_json, err.message);
    zyn_value_destroy (&item);
}

//  --------------------------------------------------------------------------
//  Tables: create, describe, list with pagination, delete

START_TEST (test_tables)
{
    zyn_testcluster_t *cluster = zyn_testcluster_new ("e2e-tables", 2);
    zyn_client_t *client = zyn_testcluster_client (cluster);
    s_create_table (client, "beta", false, 4);
    s_create_table (client, "alpha", true, 2);

    zyn_error_t err = { 0 };
    zyn_value_t *reply
        = zyn_testcluster_call (client, "DescribeTable",
                                "{\"TableName\":\"alpha\"}", &err);
    ck_assert_ptr_nonnull (reply);
    zyn_value_t *table = zyn_value_map_get (reply, "Table");
    ck_assert_str_eq (zyn_value_map_get_s (table, "TableName"), "alpha");
    ck_assert_str_eq (zyn_value_map_get_s (table, "TableStatus"), "ACTIVE");
    zyn_value_t *schema = zyn_value_map_get (table, "KeySchema");
    ck_assert_int_eq (zyn_value_size (schema), 2);
    ck_assert_str_eq (
        zyn_value_map_get_s (zyn_value_list_get (schema, 1), "KeyType"),
        "RANGE");
    zyn_value_destroy (&reply);

    //  ListTables pages through sorted names
    reply = zyn_testcluster_call (client, "ListTables", "{\"Limit\":1}", &err);
    ck_assert_ptr_nonnull (reply);
    zyn_value_t *names = zyn_value_map_get (reply, "TableNames");
    ck_assert_int_eq (zyn_value_size (names), 1);
    ck_assert_str_eq (zyn_value_data (zyn_value_list_get (names, 0)),
                      "alpha");
    ck_assert_str_eq (zyn_value_map_get_s (reply, "LastEvaluatedTableName"),
                      "alpha");
    zyn_value_destroy (&reply);
    reply = zyn_testcluster_call (client, "ListTables",
                    "{\"Limit\":5,\"ExclusiveStartTableName\":\"alpha\"}",
                    &err);
    names = zyn_value_map_get (reply, "TableNames");
    ck_assert_int_eq (zyn_value_size (names), 1);
    ck_assert_str_eq (zyn_value_data (zyn_value_list_get (names, 0)), "beta");
    ck_assert_ptr_null (zyn_value_map_get (reply, "LastEvaluatedTableName"));
    zyn_value_destroy (&reply);

    zyn_testcluster_fails (client, "CreateTable",
             "{\"TableName\":\"beta\",\"KeySchema\":[{\"AttributeName\":"
             "\"pk\",\"KeyType\":\"HASH\"}],\"AttributeDefinitions\":[{"
             "\"AttributeName\":\"pk\",\"AttributeType\":\"S\"}],"
             "\"BillingMode\":\"PAY_PER_REQUEST\"}",
             ZYN_ERR_RESOURCE_IN_USE, NULL);
    zyn_testcluster_fails (client, "DescribeTable", "{\"TableName\":\"gamma\"}",
             ZYN_ERR_RESOURCE_NOT_FOUND,
             "Requested resource not found: Table: gamma not found");

    //  DeleteTable goes through DELETING and the table is then gone
    reply = zyn_testcluster_call (client, "DeleteTable",
                                  "{\"TableName\":\"beta\"}", &err);
    ck_assert_ptr_nonnull (reply);
    ck_assert_str_eq (zyn_value_map_get_s (zyn_value_map_get (
                                               reply, "TableDescription"),
                                           "TableStatus"),
                      "DELETING");
    zyn_value_destroy (&reply);
    int64_t deadline = zyn_mono_msecs () + 10000;
    while (true) {
        reply = zyn_testcluster_call (client, "DescribeTable",
                                      "{\"TableName\":\"beta\"}", &err);
        if (!reply)
            break;
        zyn_value_destroy (&reply);
        ck_assert_msg (zyn_mono_msecs () < deadline, "beta never deleted");
        zclock_sleep (20);
    }
    ck_assert_int_eq (err.type, ZYN_ERR_RESOURCE_NOT_FOUND);
    zyn_client_destroy (&client);
    zyn_testcluster_destroy (&cluster);
}
END_TEST

//  --------------------------------------------------------------------------
//  Items: put, get, overwrite, delete, normalised numbers, bad input

START_TEST (test_items)
{
    zyn_testcluster_t *cluster = zyn_testcluster_new ("e2e-items", 2);
    zyn_client_t *client = zyn_testcluster_client (cluster);
    s_create_table (client, "items", false, 4);

    s_put (client, "items",
           "{\"pk\":{\"S\":\"k1\"},\"n\":{\"N\":\"01.50\"},"
           "\"tags\":{\"SS\":[\"bad\",\"a\"]},\"m\":{\"M\":{\"x\":{\"L\":[{"
           "\"BOOL\":true},{\"NULL\":true}]}}}}");
    zyn_value_t *key = s_item ("{\"pk\":{\"S\":\"k1\"}}");
    zyn_error_t err = { 0 };
    zyn_value_t *item = zyn_client_get_item (client, "items", key, true, &err);
    ck_assert_ptr_nonnull (item);
    ck_assert_str_eq (zyn_value_data (zyn_value_map_get (item, "n")), "1.5");
    zyn_value_t *expect
        = s_item ("{\"pk\":{\"S\":\"k1\"},\"n\":{\"N\":\"1.5\"},"
                  "\"tags\":{\"SS\":[\"a\",\"bad\"]},\"m\":{\"M\":{\"x\":{"
                  "\"L\":[{\"BOOL\":true},{\"NULL\":true}]}}}}");
    ck_assert (zyn_value_equal (item, expect));
    zyn_value_destroy (&item);
    zyn_value_destroy (&expect);

    //  Overwrite replaces the whole item
    s_put (client, "items", "{\"pk\":{\"S\":\"k1\"},\"v\":{\"S\":\"two\"}}");
    item = zyn_client_get_item (client, "items", key, true, &err);
    ck_assert_ptr_nonnull (item);
    ck_assert_ptr_null (zyn_value_map_get (item, "n"));
    ck_assert_str_eq (zyn_value_map_get_s (item, "v"), "two");
    zyn_value_destroy (&item);

    //  Bad input: an error, and the stored item is unchanged
    zyn_testcluster_fails (client, "PutItem",
             "{\"TableName\":\"items\",\"Item\":{\"v\":{\"S\":\"x\"}}}",
             ZYN_ERR_VALIDATION,
             "One or more parameter values were invalid: Missing the key pk "
             "in the item");
    zyn_testcluster_fails (client, "PutItem",
             "{\"TableName\":\"items\",\"Item\":{\"pk\":{\"N\":\"1\"}}}",
             ZYN_ERR_VALIDATION,
             "One or more parameter values were invalid: Type mismatch for "
             "key pk expected: S actual: N");
    zyn_testcluster_fails (client, "PutItem",
             "{\"TableName\":\"nosuch\",\"Item\":{\"pk\":{\"S\":\"x\"}}}",
             ZYN_ERR_RESOURCE_NOT_FOUND, "Requested resource not found");
    zyn_testcluster_fails (client, "GetItem",
             "{\"TableName\":\"items\",\"Key\":{\"pk\":{\"S\":\"k1\"},"
             "\"v\":{\"S\":\"two\"}}}",
             ZYN_ERR_VALIDATION,
             "The provided key element does not match the schema");
    //  An item over 400 KB
    size_t big_size = 410 * 1024;
    char *big = (char *) zmalloc (big_size + 100);
    int offset = snprintf (big, 100, "{\"pk\":{\"S\":\"k1\"},\"v\":{\"S\":\"");
    memset (big + offset, 'x', big_size);
    strcpy (big + offset + big_size, "\"}}");
    zyn_value_t *big_item = s_item (big);
    free (big);
    ck_assert_int_eq (zyn_client_put_item (client, "items", big_item, &err),
                      -1);
    ck_assert_int_eq (err.type, ZYN_ERR_VALIDATION);
    ck_assert_str_eq (err.message,
                      "Item size has exceeded the maximum allowed size");
    zyn_value_destroy (&big_item);
    item = zyn_client_get_item (client, "items", key, true, &err);
    ck_assert_ptr_nonnull (item);
    ck_assert_str_eq (zyn_value_map_get_s (item, "v"), "two");
    zyn_value_destroy (&item);

    //  Delete, then the item is gone (no error, no item)
    ck_assert_int_eq (zyn_client_delete_item (client, "items", key, &err), 0);
    zyn_error_clear (&err);
    item = zyn_client_get_item (client, "items", key, true, &err);
    ck_assert_ptr_null (item);
    ck_assert_int_eq (err.type, ZYN_ERR_NONE);
    zyn_value_destroy (&key);
    zyn_client_destroy (&client);
    zyn_testcluster_destroy (&cluster);
}
END_TEST

//  --------------------------------------------------------------------------
//  Query: sort key conditions, order both ways, pagination

//  Run a query page by page with limit; returns the sort keys in order
static int
s_query_all (zyn_client_t *client, const char *condition_json, int limit,
             bool forward, int *sort_keys, int max_keys)
{
    int count = 0;
    char *start = NULL;
    while (true) {
        char json [2048];
        snprintf (json, sizeof (json),
                  "{\"TableName\":\"qry\",%s,\"Limit\":%d,"
                  "\"ScanIndexForward\":%s%s%s}",
                  condition_json, limit, forward ? "true" : "false",
                  start ? ",\"ExclusiveStartKey\":" : "", start ? start : "");
        free (start);
        start = NULL;
        zyn_error_t err = { 0 };
        zyn_value_t *reply = zyn_testcluster_call (client, "Query", json, &err);
        ck_assert_msg (reply, "query failed: %s", err.message);
        zyn_value_t *items = zyn_value_map_get (reply, "Items");
        int64_t page_count = -1;
        ck_assert_int_eq (zyn_value_map_get_int (reply, "Count", &page_count),
                          0);
        ck_assert_int_eq (page_count, (int64_t) zyn_value_size (items));
        ck_assert_int_le (page_count, limit);
        for (size_t i = 0; i < zyn_value_size (items); i++) {
            int64_t sk;
            ck_assert_int_eq (zyn_value_map_get_int (
                                  zyn_value_list_get (items, i), "sk", &sk),
                              0);
            ck_assert_int_lt (count, max_keys);
            sort_keys [count++] = (int) sk;
        }
        zyn_value_t *last = zyn_value_map_get (reply, "LastEvaluatedKey");
        if (last)
            start = zyn_value_to_json (last, true);
        zyn_value_destroy (&reply);
        if (!start)
            break;
    }
    return count;
}

START_TEST (test_query)
{
    zyn_testcluster_t *cluster = zyn_testcluster_new ("e2e-query", 2);
    zyn_client_t *client = zyn_testcluster_client (cluster);
    s_create_table (client, "qry", true, 4);
    //  Insert out of order so order comes from the keys
    for (int i = 0; i < 50; i++) {
        int sk = (i * 17) % 50;
        char json [256];
        snprintf (json, sizeof (json),
                  "{\"pk\":{\"S\":\"a\"},\"sk\":{\"N\":\"%d\"},"
                  "\"v\":{\"S\":\"a%d\"}}", sk, sk);
        s_put (client, "qry", json);
        snprintf (json, sizeof (json),
                  "{\"pk\":{\"S\":\"bad\"},\"sk\":{\"N\":\"%d\"}}", sk);
        s_put (client, "qry", json);
    }
    int keys [100];
    const char *all = "\"KeyConditionExpression\":\"pk = :p\","
                      "\"ExpressionAttributeValues\":{\":p\":{\"S\":\"a\"}}";
    int count = s_query_all (client, all, 7, true, keys, 100);
    ck_assert_int_eq (count, 50);
    for (int i = 0; i < 50; i++)
        ck_assert_int_eq (keys [i], i);
    count = s_query_all (client, all, 1000, false, keys, 100);
    ck_assert_int_eq (count, 50);
    for (int i = 0; i < 50; i++)
        ck_assert_int_eq (keys [i], 49 - i);

    const char *between
        = "\"KeyConditionExpression\":\"pk = :p AND sk BETWEEN :lo AND :hi\","
          "\"ExpressionAttributeValues\":{\":p\":{\"S\":\"a\"},"
          "\":lo\":{\"N\":\"10\"},\":hi\":{\"N\":\"19\"}}";
    count = s_query_all (client, between, 3, true, keys, 100);
    ck_assert_int_eq (count, 10);
    for (int i = 0; i < 10; i++)
        ck_assert_int_eq (keys [i], 10 + i);
    const char *less
        = "\"KeyConditionExpression\":\"#p = :p AND sk < :hi\","
          "\"ExpressionAttributeNames\":{\"#p\":\"pk\"},"
          "\"ExpressionAttributeValues\":{\":p\":{\"S\":\"bad\"},"
          "\":hi\":{\"N\":\"5\"}}";
    count = s_query_all (client, less, 100, false, keys, 100);
    ck_assert_int_eq (count, 5);
    ck_assert_int_eq (keys [0], 4);
    ck_assert_int_eq (keys [4], 0);

    zyn_testcluster_fails (client, "Query",
             "{\"TableName\":\"qry\",\"KeyConditionExpression\":\"sk = :s\","
             "\"ExpressionAttributeValues\":{\":s\":{\"N\":\"1\"}}}",
             ZYN_ERR_VALIDATION,
             "Query condition missed key schema element: pk");
    zyn_client_destroy (&client);
    zyn_testcluster_destroy (&cluster);
}
END_TEST

//  --------------------------------------------------------------------------
//  Scan covers every partition, page by page, each item exactly once

START_TEST (test_scan)
{
    zyn_testcluster_t *cluster = zyn_testcluster_new ("e2e-scan", 2);
    zyn_client_t *client = zyn_testcluster_client (cluster);
    s_create_table (client, "scn", false, 4);
    int total = 300;
    for (int i = 0; i < total; i++) {
        char json [128];
        snprintf (json, sizeof (json), "{\"pk\":{\"S\":\"key-%d\"}}", i);
        s_put (client, "scn", json);
    }
    char *seen = (char *) zmalloc (total);
    int count = 0, pages = 0;
    char *start = NULL;
    do {
        char json [1024];
        snprintf (json, sizeof (json), "{\"TableName\":\"scn\",\"Limit\":25%s%s}",
                  start ? ",\"ExclusiveStartKey\":" : "", start ? start : "");
        free (start);
        start = NULL;
        zyn_error_t err = { 0 };
        zyn_value_t *reply = zyn_testcluster_call (client, "Scan", json, &err);
        ck_assert_msg (reply, "scan failed: %s", err.message);
        zyn_value_t *items = zyn_value_map_get (reply, "Items");
        ck_assert_int_le (zyn_value_size (items), 25);
        for (size_t i = 0; i < zyn_value_size (items); i++) {
            const char *pk
                = zyn_value_map_get_s (zyn_value_list_get (items, i), "pk");
            int index = atoi (pk + 4);
            ck_assert_int_eq (seen [index], 0);
            seen [index] = 1;
            count++;
        }
        zyn_value_t *last = zyn_value_map_get (reply, "LastEvaluatedKey");
        if (last)
            start = zyn_value_to_json (last, true);
        zyn_value_destroy (&reply);
        pages++;
        ck_assert_int_lt (pages, 100);
    } while (start);
    ck_assert_int_eq (count, total);
    free (seen);
    zyn_client_destroy (&client);
    zyn_testcluster_destroy (&cluster);
}
END_TEST

//  --------------------------------------------------------------------------
//  The catalog and the data survive a broker restart

START_TEST (test_broker_restart)
{
    zyn_testcluster_t *cluster = zyn_testcluster_new ("e2e-restart", 2);
    zyn_client_t *client = zyn_testcluster_client (cluster);
    s_create_table (client, "kept", false, 4);
    s_put (client, "kept", "{\"pk\":{\"S\":\"x\"},\"v\":{\"N\":\"42\"}}");
    zyn_client_destroy (&client);

    zyn_testcluster_restart_broker (cluster);
    client = zyn_testcluster_client (cluster);
    zyn_error_t err = { 0 };
    ck_assert_int_eq (zyn_client_wait_active (client, "kept", 15000, &err), 0);
    zyn_value_t *key = s_item ("{\"pk\":{\"S\":\"x\"}}");
    zyn_value_t *item = zyn_client_get_item (client, "kept", key, true, &err);
    ck_assert_msg (item, "item lost across broker restart: %s", err.message);
    ck_assert_str_eq (zyn_value_data (zyn_value_map_get (item, "v")), "42");
    zyn_value_destroy (&item);
    zyn_value_destroy (&key);
    zyn_client_destroy (&client);
    zyn_testcluster_destroy (&cluster);
}
END_TEST

//  --------------------------------------------------------------------------
//  Change stream: a late subscriber sees every mutation exactly once, in
//  sequence order per partition; a live one sees new mutations

#define STREAM_KEYS 12

static int
s_event_index (const char *name)
{
    return streq (name, "INSERT") ? 0 : streq (name, "MODIFY") ? 1 : 2;
}

START_TEST (test_stream)
{
    zyn_testcluster_t *cluster = zyn_testcluster_new ("e2e-stream", 2);
    zyn_client_t *client = zyn_testcluster_client (cluster);
    s_create_table (client, "strm", false, 4);
    //  Per key: INSERT, MODIFY, and for even keys REMOVE
    int expected = 0;
    for (int i = 0; i < STREAM_KEYS; i++) {
        char json [128];
        snprintf (json, sizeof (json), "{\"pk\":{\"S\":\"k%d\"},\"v\":{\"N\":\"1\"}}", i);
        s_put (client, "strm", json);
        snprintf (json, sizeof (json), "{\"pk\":{\"S\":\"k%d\"},\"v\":{\"N\":\"2\"}}", i);
        s_put (client, "strm", json);
        expected += 2;
        if (i % 2 == 0) {
            snprintf (json, sizeof (json), "{\"pk\":{\"S\":\"k%d\"}}", i);
            zyn_value_t *key = s_item (json);
            zyn_error_t err = { 0 };
            ck_assert_int_eq (zyn_client_delete_item (client, "strm", key, &err),
                              0);
            zyn_value_destroy (&key);
            expected++;
        }
    }
    //  Subscribe late, from the start of every partition
    zyn_error_t err = { 0 };
    zyn_stream_t *stream
        = zyn_stream_new (zyn_testcluster_endpoint (cluster), "strm", &err);
    ck_assert_msg (stream, "subscribe: %s", err.message);
    zyn_stream_set_from_start (stream);
    ck_assert_int_eq (zyn_stream_partitions (stream), 4);
    int events [STREAM_KEYS][3] = { { 0 } };
    uint64_t last_seq [4] = { 0 };
    for (int received = 0; received < expected; received++) {
        zyn_value_t *record = zyn_stream_next (stream, 10000, &err);
        ck_assert_msg (record, "record %d of %d missing: %s", received,
                       expected, err.message);
        int64_t partition, seq;
        ck_assert_int_eq (zyn_value_map_get_int (record, "PartitionId",
                                                 &partition), 0);
        ck_assert_int_eq (zyn_value_map_get_int (record, "SequenceNumber",
                                                 &seq), 0);
        ck_assert_int_lt (partition, 4);
        //  Strictly increasing, no gap, per partition
        ck_assert_int_eq ((uint64_t) seq, last_seq [partition] + 1);
        last_seq [partition] = (uint64_t) seq;
        const char *pk = zyn_value_map_get_s (
            zyn_value_map_get (record, "Keys"), "pk");
        const char *event = zyn_value_map_get_s (record, "eventName");
        events [atoi (pk + 1)][s_event_index (event)]++;
        zyn_value_t *image = zyn_value_map_get (record, "NewImage");
        if (streq (event, "MODIFY")) {
            ck_assert_str_eq (zyn_value_data (zyn_value_map_get (
                                  zyn_value_map_get (record, "OldImage"), "v")),
                              "1");
            ck_assert_str_eq (zyn_value_data (zyn_value_map_get (image, "v")),
                              "2");
        }
        zyn_value_destroy (&record);
    }
    for (int i = 0; i < STREAM_KEYS; i++) {
        ck_assert_int_eq (events [i][0], 1);
        ck_assert_int_eq (events [i][1], 1);
        ck_assert_int_eq (events [i][2], i % 2 == 0 ? 1 : 0);
    }
    //  Nothing more, not even a duplicate
    zyn_error_clear (&err);
    zyn_value_t *extra = zyn_stream_next (stream, 300, &err);
    ck_assert_ptr_null (extra);
    ck_assert_int_eq (err.type, ZYN_ERR_NONE);

    //  A live write arrives too
    s_put (client, "strm", "{\"pk\":{\"S\":\"live\"}}");
    zyn_value_t *record = zyn_stream_next (stream, 10000, &err);
    ck_assert_ptr_nonnull (record);
    ck_assert_str_eq (zyn_value_map_get_s (record, "eventName"), "INSERT");
    ck_assert_str_eq (zyn_value_map_get_s (zyn_value_map_get (record, "Keys"),
                                           "pk"),
                      "live");
    zyn_value_destroy (&record);
    zyn_stream_destroy (&stream);
    zyn_client_destroy (&client);
    zyn_testcluster_destroy (&cluster);
}
END_TEST

//  --------------------------------------------------------------------------
//  Crash: kill -9 a worker during a stream of acknowledged writes; after
//  a restart every acknowledged write is there and the log has no gap

START_TEST (test_crash)
{
    zyn_testcluster_t *cluster = zyn_testcluster_new ("e2e-crash", 2);
    zyn_client_t *client = zyn_testcluster_client (cluster);
    s_create_table (client, "crash", false, 4);
    int total = 3000, in_flight = 64;
    char *acked = (char *) zmalloc (total);
    int sent = 0, replies = 0, acks = 0;
    uint64_t first_id = 0;
    bool killed = false;
    while (replies < total) {
        while (sent < total && sent - replies < in_flight) {
            char json [128];
            snprintf (json, sizeof (json),
                      "{\"TableName\":\"crash\",\"Item\":{\"pk\":{\"S\":\"c%d\"},"
                      "\"i\":{\"N\":\"%d\"}}}", sent, sent);
            zyn_value_t *request
                = zyn_json_to_request (json, strlen (json), NULL);
            zyn_error_t err = { 0 };
            uint64_t id = zyn_client_send (client, "PutItem", request, &err);
            ck_assert_uint_ne (id, 0);
            if (sent == 0)
                first_id = id;
            //  The client numbers its requests consecutively
            ck_assert_uint_eq (id, first_id + (uint64_t) sent);
            zyn_value_destroy (&request);
            sent++;
        }
        uint64_t id = 0;
        zyn_error_t err = { 0 };
        zyn_value_t *reply = zyn_client_recv (client, &id, 15000, &err);
        ck_assert_msg (id != 0, "no reply: %s", err.message);
        if (reply)
            acked [id - first_id] = 1, acks++;
        zyn_value_destroy (&reply);
        replies++;
        if (!killed && acks >= total / 3) {
            zyn_testcluster_stop_worker (cluster, 0, SIGKILL);
            killed = true;
        }
    }
    ck_assert (killed);
    ck_assert_int_gt (acks, total / 3);
    zyn_testcluster_start_worker (cluster, 0);

    //  Every acknowledged write is present
    for (int i = 0; i < total; i++) {
        if (!acked [i])
            continue;
        char json [64];
        snprintf (json, sizeof (json), "{\"pk\":{\"S\":\"c%d\"}}", i);
        zyn_value_t *key = s_item (json);
        zyn_error_t err = { 0 };
        zyn_value_t *item = zyn_client_get_item (client, "crash", key, true, &err);
        ck_assert_msg (item, "acknowledged write c%d lost (%s)", i,
                       err.message);
        zyn_value_destroy (&item);
        zyn_value_destroy (&key);
    }
    //  Every partition's change log runs 1..last without a gap
    for (int partition = 0; partition < 4; partition++) {
        uint64_t next = 1;
        while (true) {
            char json [256];
            snprintf (json, sizeof (json),
                      "{\"TableName\":\"crash\",\"PartitionId\":%d,"
                      "\"StartSequenceNumber\":%" PRIu64 ",\"Limit\":500}",
                      partition, next);
            zyn_error_t err = { 0 };
            zyn_value_t *reply
                = zyn_testcluster_call (client, "ZynGetStreamRecords", json,
                                        &err);
            ck_assert_msg (reply, "log read: %s", err.message);
            zyn_value_t *records = zyn_value_map_get (reply, "Records");
            for (size_t i = 0; i < zyn_value_size (records); i++) {
                int64_t seq;
                ck_assert_int_eq (zyn_value_map_get_int (
                                      zyn_value_list_get (records, i),
                                      "SequenceNumber", &seq), 0);
                ck_assert_int_eq ((uint64_t) seq, next);
                next++;
            }
            int64_t last;
            ck_assert_int_eq (zyn_value_map_get_int (
                                  reply, "LastSequenceNumber", &last), 0);
            size_t got = zyn_value_size (records);
            zyn_value_destroy (&reply);
            if (got == 0) {
                ck_assert_int_eq ((uint64_t) last, next - 1);
                break;
            }
        }
    }
    free (acked);
    zyn_client_destroy (&client);
    zyn_testcluster_destroy (&cluster);
}
END_TEST

//  --------------------------------------------------------------------------
//  Malformed messages get an error reply and the broker keeps serving

static zmsg_t *
s_raw_call (zsock_t *dealer, zmsg_t **request_p)
{
    zmsg_send (request_p, dealer);
    return zmsg_recv (dealer);
}

START_TEST (test_bad_input)
{
    zyn_testcluster_t *cluster = zyn_testcluster_new ("e2e-bad", 2);
    zyn_client_t *client = zyn_testcluster_client (cluster);
    s_create_table (client, "bad", false, 2);
    zsock_t *dealer = zsock_new_dealer (zyn_testcluster_endpoint (cluster));
    zsock_set_rcvtimeo (dealer, 5000);

    //  Unknown operation
    zmsg_t *request = zyn_proto_request_new (7, "FlyToTheMoon", "\x80", 1);
    zmsg_t *reply = s_raw_call (dealer, &request);
    ck_assert_ptr_nonnull (reply);
    ck_assert_int_eq (zmsg_size (reply), 4);
    zframe_t *frame = zmsg_first (reply);
    ck_assert (zframe_streq (frame, "ZYN1"));
    ck_assert_int_eq (zyn_proto_request_id (zmsg_next (reply)), 7);
    ck_assert (zframe_streq (zmsg_next (reply), "UnknownOperationException"));
    zmsg_destroy (&reply);

    //  A body that is not MessagePack
    request = zyn_proto_request_new (8, "PutItem", "\xc1\xff\x00", 3);
    reply = s_raw_call (dealer, &request);
    ck_assert_ptr_nonnull (reply);
    zmsg_first (reply);
    ck_assert_int_eq (zyn_proto_request_id (zmsg_next (reply)), 8);
    ck_assert (zframe_streq (zmsg_next (reply), "SerializationException"));
    zmsg_destroy (&reply);

    //  A body that is MessagePack but not a map
    request = zyn_proto_request_new (9, "GetItem", "\x93\x01\x02\x03", 4);
    reply = s_raw_call (dealer, &request);
    ck_assert_ptr_nonnull (reply);
    zmsg_first (reply);
    zmsg_next (reply);
    zframe_t *status = zmsg_next (reply);
    ck_assert_msg (zframe_streq (status, "SerializationException")
                       || zframe_streq (status, "ValidationException"),
                   "unexpected status %s", zframe_strdup (status));
    zmsg_destroy (&reply);

    //  Too few frames, and a wrong signature: no crash (no reply needed)
    zmsg_t *junk = zmsg_new ();
    zmsg_addstr (junk, "ZYN1");
    zmsg_send (&junk, dealer);
    junk = zmsg_new ();
    zmsg_addstr (junk, "HTTP/1.1");
    zmsg_addstr (junk, "GET /");
    zmsg_send (&junk, dealer);

    //  Still serving, nothing changed
    s_put (client, "bad", "{\"pk\":{\"S\":\"ok\"}}");
    zyn_value_t *key = s_item ("{\"pk\":{\"S\":\"ok\"}}");
    zyn_error_t err = { 0 };
    zyn_value_t *item = zyn_client_get_item (client, "bad", key, true, &err);
    ck_assert_ptr_nonnull (item);
    zyn_value_destroy (&item);
    zyn_value_destroy (&key);
    zsock_destroy (&dealer);
    zyn_client_destroy (&client);
    zyn_testcluster_destroy (&cluster);
}
END_TEST

Suite *
zyn_e2e_suite (void)
{
    Suite *suite = suite_create ("e2e");
    struct {
        const char *name;
        const TTest *test;
    } cases [] = {
        { "tables", test_tables },
        { "items", test_items },
        { "query", test_query },
        { "scan", test_scan },
        { "broker_restart", test_broker_restart },
        { "stream", test_stream },
        { "crash", test_crash },
        { "bad_input", test_bad_input },
    };
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases [0]); i++) {
        TCase *tc = tcase_create (cases [i].name);
        tcase_set_timeout (tc, 120);
        tcase_add_test (tc, cases [i].test);
        suite_add_tcase (suite, tc);
    }
    return suite;
}

ZYN_TEST_MAIN (zyn_e2e_suite)

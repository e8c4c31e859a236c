/*  =========================================================================
    check_e2e_lsi - end-to-end suite for local secondary indexes: real
    broker and worker processes

    Starts zynamo-broker and two zynamo-worker processes
    (tests/zyn_testcluster.h) and drives them through libzynamo: a table
    with local secondary indexes over several partitions, a strongly
    consistent Query on an index right after each write, a Scan of an
    index across partitions, DescribeTable's index fields and the item
    collection limit.
    =========================================================================
*/

#include "zyn_prelude.h"
#include "zyn_json.h"
#include "zyn_testcluster.h"
#include "zyn_testutil.h"

//  Table "events": pk (S), sk (N); index byTime (pk, ts N, KEYS_ONLY) and
//  byKind (pk, kind S, INCLUDE note); four partitions
static void
s_create_table (zyn_client_t *client, int64_t collection_limit)
{
    char json [2048];
    snprintf (json, sizeof (json),
              "{\"TableName\":\"events\",\"ZynPartitions\":4,"
              "\"ZynItemCollectionLimit\":%" PRId64 ","
              "\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"},"
              "{\"AttributeName\":\"sk\",\"KeyType\":\"RANGE\"}],"
              "\"AttributeDefinitions\":["
              "{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"},"
              "{\"AttributeName\":\"sk\",\"AttributeType\":\"N\"},"
              "{\"AttributeName\":\"ts\",\"AttributeType\":\"N\"},"
              "{\"AttributeName\":\"kind\",\"AttributeType\":\"S\"}],"
              "\"LocalSecondaryIndexes\":["
              "{\"IndexName\":\"byTime\",\"KeySchema\":["
              "{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"},"
              "{\"AttributeName\":\"ts\",\"KeyType\":\"RANGE\"}],"
              "\"Projection\":{\"ProjectionType\":\"KEYS_ONLY\"}},"
              "{\"IndexName\":\"byKind\",\"KeySchema\":["
              "{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"},"
              "{\"AttributeName\":\"kind\",\"KeyType\":\"RANGE\"}],"
              "\"Projection\":{\"ProjectionType\":\"INCLUDE\","
              "\"NonKeyAttributes\":[\"note\"]}}],"
              "\"BillingMode\":\"PAY_PER_REQUEST\"}",
              collection_limit);
    zyn_value_t *reply = zyn_testcluster_ok (client, "CreateTable", json);
    zyn_value_destroy (&reply);
    zyn_error_t err = { 0 };
    ck_assert_msg (zyn_client_wait_active (client, "events", 15000, &err)
                       == 0,
                   "table not ACTIVE: %s", err.message);
}

//  The values of attribute name (N or S) in a reply's Items, "a,b,c"
static void
s_column (const zyn_value_t *reply, const char *name, char *buf, size_t size)
{
    buf [0] = '\0';
    const zyn_value_t *items = zyn_value_map_get (reply, "Items");
    ck_assert_ptr_nonnull (items);
    for (size_t i = 0; i < zyn_value_size (items); i++) {
        const zyn_value_t *value = zyn_value_map_get (
            zyn_value_list_get (items, i), name);
        size_t used = strlen (buf);
        snprintf (buf + used, size - used, "%s%s", i ? "," : "",
                  value ? zyn_value_data (value) : "-");
    }
}

//  A strongly consistent Query of byTime for pk; the sk column
static void
s_query_time (zyn_client_t *client, const char *pk, char *buf, size_t size)
{
    char json [512];
    snprintf (json, sizeof (json),
              "{\"TableName\":\"events\",\"IndexName\":\"byTime\","
              "\"ConsistentRead\":true,"
              "\"KeyConditionExpression\":\"pk = :p\","
              "\"ExpressionAttributeValues\":{\":p\":{\"S\":\"%s\"}}}",
              pk);
    zyn_value_t *reply = zyn_testcluster_ok (client, "Query", json);
    s_column (reply, "sk", buf, size);
    zyn_value_destroy (&reply);
}

//  --------------------------------------------------------------------------
//  A write is in the index at once: put, update that moves, delete

START_TEST (test_query_after_write)
{
    zyn_testcluster_t *cluster = zyn_testcluster_new ("e2e-lsi-query", 2);
    zyn_client_t *client = zyn_testcluster_client (cluster);
    s_create_table (client, 0);

    char column [256];
    const char *puts [] = {
        "{\"TableName\":\"events\",\"Item\":{\"pk\":{\"S\":\"u1\"},"
        "\"sk\":{\"N\":\"1\"},\"ts\":{\"N\":\"300\"}}}",
        "{\"TableName\":\"events\",\"Item\":{\"pk\":{\"S\":\"u1\"},"
        "\"sk\":{\"N\":\"2\"},\"ts\":{\"N\":\"100\"}}}",
        "{\"TableName\":\"events\",\"Item\":{\"pk\":{\"S\":\"u1\"},"
        "\"sk\":{\"N\":\"3\"},\"ts\":{\"N\":\"200\"}}}"
    };
    const char *expected [] = { "1", "2,1", "2,3,1" };
    for (int i = 0; i < 3; i++) {
        zyn_value_t *reply = zyn_testcluster_ok (client, "PutItem", puts [i]);
        zyn_value_destroy (&reply);
        s_query_time (client, "u1", column, sizeof (column));
        ck_assert_str_eq (column, expected [i]);
    }
    zyn_value_t *reply = zyn_testcluster_ok (
        client, "UpdateItem",
        "{\"TableName\":\"events\",\"Key\":{\"pk\":{\"S\":\"u1\"},"
        "\"sk\":{\"N\":\"2\"}},\"UpdateExpression\":\"SET ts = :t\","
        "\"ExpressionAttributeValues\":{\":t\":{\"N\":\"400\"}}}");
    zyn_value_destroy (&reply);
    s_query_time (client, "u1", column, sizeof (column));
    ck_assert_str_eq (column, "3,1,2");
    reply = zyn_testcluster_ok (client, "DeleteItem",
                  "{\"TableName\":\"events\",\"Key\":{\"pk\":{\"S\":\"u1\"},"
                  "\"sk\":{\"N\":\"1\"}}}");
    zyn_value_destroy (&reply);
    s_query_time (client, "u1", column, sizeof (column));
    ck_assert_str_eq (column, "3,2");

    //  Select ALL_ATTRIBUTES reads the rest of the item from the table
    reply = zyn_testcluster_ok (client, "PutItem",
                  "{\"TableName\":\"events\",\"Item\":{\"pk\":{\"S\":\"u2\"},"
                  "\"sk\":{\"N\":\"1\"},\"kind\":{\"S\":\"click\"},"
                  "\"note\":{\"S\":\"n1\"},\"extra\":{\"S\":\"e1\"}}}");
    zyn_value_destroy (&reply);
    reply = zyn_testcluster_ok (client, "Query",
                  "{\"TableName\":\"events\",\"IndexName\":\"byKind\","
                  "\"KeyConditionExpression\":\"pk = :p AND kind = :k\","
                  "\"ExpressionAttributeValues\":{\":p\":{\"S\":\"u2\"},"
                  "\":k\":{\"S\":\"click\"}}}");
    s_column (reply, "note", column, sizeof (column));
    ck_assert_str_eq (column, "n1");
    s_column (reply, "extra", column, sizeof (column));
    ck_assert_str_eq (column, "-");
    zyn_value_destroy (&reply);
    reply = zyn_testcluster_ok (client, "Query",
                  "{\"TableName\":\"events\",\"IndexName\":\"byKind\","
                  "\"Select\":\"ALL_ATTRIBUTES\","
                  "\"KeyConditionExpression\":\"pk = :p\","
                  "\"ExpressionAttributeValues\":{\":p\":{\"S\":\"u2\"}}}");
    s_column (reply, "extra", column, sizeof (column));
    ck_assert_str_eq (column, "e1");
    zyn_value_destroy (&reply);

    zyn_testcluster_fails (client, "Query",
             "{\"TableName\":\"events\",\"IndexName\":\"nope\","
             "\"KeyConditionExpression\":\"pk = :p\","
             "\"ExpressionAttributeValues\":{\":p\":{\"S\":\"u2\"}}}",
             ZYN_ERR_VALIDATION,
             "The table does not have the specified index: nope");
    zyn_testcluster_fails (client, "PutItem",
             "{\"TableName\":\"events\",\"Item\":{\"pk\":{\"S\":\"u3\"},"
             "\"sk\":{\"N\":\"1\"},\"ts\":{\"S\":\"late\"}}}",
             ZYN_ERR_VALIDATION,
             "One or more parameter values were invalid: Type mismatch for "
             "Index Key ts Expected: N Actual: S IndexName: byTime");
    zyn_client_destroy (&client);
    zyn_testcluster_destroy (&cluster);
}
END_TEST

//  --------------------------------------------------------------------------
//  Scan of an index walks every partition, page by page

START_TEST (test_scan_index)
{
    zyn_testcluster_t *cluster = zyn_testcluster_new ("e2e-lsi-scan", 2);
    zyn_client_t *client = zyn_testcluster_client (cluster);
    s_create_table (client, 0);
    for (int i = 0; i < 20; i++) {
        char json [512];
        snprintf (json, sizeof (json),
                  "{\"TableName\":\"events\",\"Item\":{\"pk\":{\"S\":\"u%d\"},"
                  "\"sk\":{\"N\":\"%d\"},\"ts\":{\"N\":\"%d\"}}}",
                  i, i, i * 7);
        zyn_value_t *reply = zyn_testcluster_ok (client, "PutItem", json);
        zyn_value_destroy (&reply);
    }
    //  Items without ts are not in byTime
    zyn_value_t *reply = zyn_testcluster_ok (
        client, "PutItem",
        "{\"TableName\":\"events\",\"Item\":{\"pk\":{\"S\":\"v\"},"
        "\"sk\":{\"N\":\"1\"}}}");
    zyn_value_destroy (&reply);

    int seen = 0, pages = 0;
    char *start = NULL;
    while (true) {
        char json [1024];
        snprintf (json, sizeof (json),
                  "{\"TableName\":\"events\",\"IndexName\":\"byTime\","
                  "\"Limit\":3%s%s}",
                  start ? ",\"ExclusiveStartKey\":" : "", start ? start : "");
        zstr_free (&start);
        reply = zyn_testcluster_ok (client, "Scan", json);
        int64_t count = 0;
        ck_assert_int_eq (zyn_value_map_get_int (reply, "Count", &count), 0);
        seen += (int) count;
        pages++;
        zyn_value_t *last = zyn_value_map_get (reply, "LastEvaluatedKey");
        if (last) {
            ck_assert_ptr_nonnull (zyn_value_map_get (last, "ts"));
            start = zyn_value_to_json (last, true);
        }
        zyn_value_destroy (&reply);
        if (!start)
            break;
        ck_assert_int_lt (pages, 30);
    }
    ck_assert_int_eq (seen, 20);
    zyn_client_destroy (&client);
    zyn_testcluster_destroy (&cluster);
}
END_TEST

//  --------------------------------------------------------------------------
//  DescribeTable's LocalSecondaryIndexes; the item collection limit

START_TEST (test_describe_and_limit)
{
    zyn_testcluster_t *cluster = zyn_testcluster_new ("e2e-lsi-limit", 2);
    zyn_client_t *client = zyn_testcluster_client (cluster);
    s_create_table (client, 2000);

    zyn_value_t *reply = zyn_testcluster_ok (client, "DescribeTable",
                               "{\"TableName\":\"events\"}");
    zyn_value_t *indexes = zyn_value_map_get (
        zyn_value_map_get (reply, "Table"), "LocalSecondaryIndexes");
    ck_assert_ptr_nonnull (indexes);
    ck_assert_int_eq (zyn_value_size (indexes), 2);
    zyn_value_t *index = zyn_value_list_get (indexes, 1);
    ck_assert_str_eq (zyn_value_map_get_s (index, "IndexName"), "byKind");
    ck_assert_str_eq (zyn_value_map_get_s (zyn_value_map_get (index,
                                                              "Projection"),
                                           "ProjectionType"),
                      "INCLUDE");
    ck_assert_str_eq (zyn_value_map_get_s (index, "IndexArn"),
                      "arn:aws:dynamodb:us-east-1:000000000000:table/events"
                      "/index/byKind");
    ck_assert_ptr_nonnull (zyn_value_map_get (index, "IndexSizeBytes"));
    ck_assert_ptr_nonnull (zyn_value_map_get (index, "ItemCount"));
    ck_assert_ptr_null (zyn_value_map_get (index, "IndexStatus"));
    zyn_value_destroy (&reply);

    char filler [401];
    memset (filler, 'x', 400);
    filler [400] = '\0';
    int stored = 0;
    for (int i = 0; i < 10; i++) {
        char json [1024];
        snprintf (json, sizeof (json),
                  "{\"TableName\":\"events\",\"ReturnItemCollectionMetrics\":"
                  "\"SIZE\",\"Item\":{\"pk\":{\"S\":\"big\"},"
                  "\"sk\":{\"N\":\"%d\"},\"ts\":{\"N\":\"%d\"},"
                  "\"data\":{\"S\":\"%s\"}}}",
                  i, i, filler);
        zyn_error_t err = { 0 };
        reply = zyn_testcluster_call (client, "PutItem", json, &err);
        if (!reply) {
            ck_assert_str_eq (zyn_error_name (err.type),
                              "ItemCollectionSizeLimitExceededException");
            ck_assert_str_eq (err.message,
                              "Item collection size limit exceeded");
            break;
        }
        zyn_value_t *metrics = zyn_value_map_get (reply,
                                                  "ItemCollectionMetrics");
        ck_assert_ptr_nonnull (metrics);
        ck_assert_str_eq (
            zyn_value_map_get_s (zyn_value_map_get (metrics,
                                                    "ItemCollectionKey"),
                                 "pk"),
            "big");
        ck_assert_int_eq (zyn_value_size (zyn_value_map_get (
                              metrics, "SizeEstimateRangeGB")),
                          2);
        zyn_value_destroy (&reply);
        stored++;
    }
    //  About 420 bytes an item and 110 for its byTime entry
    ck_assert_int_eq (stored, 3);
    //  Another partition key value is not affected
    reply = zyn_testcluster_ok (client, "PutItem",
                  "{\"TableName\":\"events\",\"Item\":{\"pk\":{\"S\":\"small\"},"
                  "\"sk\":{\"N\":\"1\"},\"ts\":{\"N\":\"1\"}}}");
    zyn_value_destroy (&reply);
    zyn_client_destroy (&client);
    zyn_testcluster_destroy (&cluster);
}
END_TEST

//  --------------------------------------------------------------------------

static Suite *
zyn_e2e_lsi_suite (void)
{
    Suite *suite = suite_create ("e2e_lsi");
    TCase *tcase = tcase_create ("lsi");
    tcase_set_timeout (tcase, 60);
    tcase_add_test (tcase, test_query_after_write);
    tcase_add_test (tcase, test_scan_index);
    tcase_add_test (tcase, test_describe_and_limit);
    suite_add_tcase (suite, tcase);
    return suite;
}

ZYN_TEST_MAIN (zyn_e2e_lsi_suite)

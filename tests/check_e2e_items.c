/*  =========================================================================
    check_e2e_items - end-to-end suite of the complete item API (issue 3)

    Conditions and ReturnValues, UpdateItem's actions, projections,
    filters, Select, parallel Scan, batch operations, the legacy
    parameters, and concurrent conditional increments, all through
    libzynamo against real broker and worker processes.
    =========================================================================
*/

#include "zyn_prelude.h"
#include "zyn_json.h"
#include "zyn_testcluster.h"
#include "zyn_testutil.h"

#include <pthread.h>

//  Assert that value equals the DynamoDB JSON attribute map expect
static void
s_assert_item (const zyn_value_t *value, const char *expect)
{
    zyn_error_t err = { 0 };
    zyn_value_t *wanted = zyn_value_from_json (expect, true, &err);
    ck_assert_msg (wanted, "bad expected JSON %s", expect);
    char *got = value ? zyn_value_to_json (value, true) : strdup ("(none)");
    ck_assert_msg (value && zyn_value_equal (value, wanted),
                   "got %s, expected %s", got, expect);
    free (got);
    zyn_value_destroy (&wanted);
}

static zyn_value_t *
s_get (zyn_client_t *client, const char *table, const char *key_json)
{
    zyn_error_t err = { 0 };
    zyn_value_t *key = zyn_value_from_json (key_json, true, &err);
    zyn_value_t *item = zyn_client_get_item (client, table, key, true, &err);
    ck_assert_int_eq (err.type, ZYN_ERR_NONE);
    zyn_value_destroy (&key);
    return item;
}

static void
s_create_table (zyn_client_t *client, const char *table, bool sorted)
{
    char json [1024];
    snprintf (json, sizeof (json),
              "{\"TableName\":\"%s\","
              "\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"}%s],"
              "\"AttributeDefinitions\":[{\"AttributeName\":\"pk\","
              "\"AttributeType\":\"S\"}%s],"
              "\"BillingMode\":\"PAY_PER_REQUEST\"}",
              table,
              sorted ? ",{\"AttributeName\":\"sk\",\"KeyType\":\"RANGE\"}" : "",
              sorted ? ",{\"AttributeName\":\"sk\",\"AttributeType\":\"N\"}"
                     : "");
    zyn_value_t *reply = zyn_testcluster_ok (client, "CreateTable", json);
    zyn_value_destroy (&reply);
    zyn_error_t err = { 0 };
    ck_assert_int_eq (zyn_client_wait_active (client, table, 15000, &err), 0);
}

//  One cluster for the whole suite: each test uses its own tables
static zyn_testcluster_t *
s_cluster (void)
{
    return zyn_testcluster_new ("e2e-items", 2);
}

//  --------------------------------------------------------------------------

START_TEST (test_conditions)
{
    zyn_testcluster_t *cluster = s_cluster ();
    zyn_client_t *client = zyn_testcluster_client (cluster);
    s_create_table (client, "cond", false);
    const char *put = "{\"TableName\":\"cond\",\"Item\":{\"pk\":{\"S\":\"a\"},"
                      "\"v\":{\"N\":\"1\"}},"
                      "\"ConditionExpression\":\"attribute_not_exists(pk)\"}";
    zyn_value_t *reply = zyn_testcluster_ok (client, "PutItem", put);
    ck_assert_ptr_null (zyn_value_map_get (reply, "Attributes"));
    zyn_value_destroy (&reply);
    zyn_testcluster_fails (client, "PutItem", put,
                           ZYN_ERR_CONDITIONAL_CHECK_FAILED,
                           "The conditional request failed");

    //  ReturnValuesOnConditionCheckFailure hands back the item
    zyn_error_t err = { 0 };
    reply = zyn_testcluster_call (client, "PutItem",
                    "{\"TableName\":\"cond\",\"Item\":{\"pk\":{\"S\":\"a\"}},"
                    "\"ConditionExpression\":\"v > :n\","
                    "\"ExpressionAttributeValues\":{\":n\":{\"N\":\"5\"}},"
                    "\"ReturnValuesOnConditionCheckFailure\":\"ALL_OLD\"}",
                    &err);
    ck_assert_ptr_null (reply);
    ck_assert_int_eq (err.type, ZYN_ERR_CONDITIONAL_CHECK_FAILED);
    const zyn_value_t *body = zyn_client_error_body (client);
    ck_assert_ptr_nonnull (body);
    s_assert_item (zyn_value_map_get (body, "Item"),
                   "{\"pk\":{\"S\":\"a\"},\"v\":{\"N\":\"1\"}}");

    //  ReturnValues ALL_OLD on an overwrite and on a delete
    reply = zyn_testcluster_ok (client, "PutItem",
                  "{\"TableName\":\"cond\",\"Item\":{\"pk\":{\"S\":\"a\"},"
                  "\"v\":{\"N\":\"2\"}},\"ReturnValues\":\"ALL_OLD\","
                  "\"ConditionExpression\":\"v = :one\","
                  "\"ExpressionAttributeValues\":{\":one\":{\"N\":\"1\"}}}");
    s_assert_item (zyn_value_map_get (reply, "Attributes"),
                   "{\"pk\":{\"S\":\"a\"},\"v\":{\"N\":\"1\"}}");
    zyn_value_destroy (&reply);
    zyn_testcluster_fails (client, "PutItem",
             "{\"TableName\":\"cond\",\"Item\":{\"pk\":{\"S\":\"b\"}},"
             "\"ReturnValues\":\"ALL_NEW\"}",
             ZYN_ERR_VALIDATION, "ReturnValues can only be ALL_OLD or NONE");
    zyn_testcluster_fails (client, "DeleteItem",
             "{\"TableName\":\"cond\",\"Key\":{\"pk\":{\"S\":\"a\"}},"
             "\"ConditionExpression\":\"v = :three\","
             "\"ExpressionAttributeValues\":{\":three\":{\"N\":\"3\"}}}",
             ZYN_ERR_CONDITIONAL_CHECK_FAILED, "The conditional request failed");
    reply = zyn_testcluster_ok (client, "DeleteItem",
                  "{\"TableName\":\"cond\",\"Key\":{\"pk\":{\"S\":\"a\"}},"
                  "\"ConditionExpression\":\"v = :two\","
                  "\"ExpressionAttributeValues\":{\":two\":{\"N\":\"2\"}},"
                  "\"ReturnValues\":\"ALL_OLD\"}");
    s_assert_item (zyn_value_map_get (reply, "Attributes"),
                   "{\"pk\":{\"S\":\"a\"},\"v\":{\"N\":\"2\"}}");
    zyn_value_destroy (&reply);
    zyn_value_t *item = s_get (client, "cond", "{\"pk\":{\"S\":\"a\"}}");
    ck_assert_ptr_null (item);

    //  Broken expressions are refused and change nothing
    zyn_testcluster_fails (client, "PutItem",
             "{\"TableName\":\"cond\",\"Item\":{\"pk\":{\"S\":\"z\"}},"
             "\"ConditionExpression\":\"v = :missing\"}",
             ZYN_ERR_VALIDATION, NULL);
    item = s_get (client, "cond", "{\"pk\":{\"S\":\"z\"}}");
    ck_assert_ptr_null (item);
    zyn_client_destroy (&client);
    zyn_testcluster_destroy (&cluster);
}
END_TEST

START_TEST (test_update)
{
    zyn_testcluster_t *cluster = s_cluster ();
    zyn_client_t *client = zyn_testcluster_client (cluster);
    s_create_table (client, "upd", false);
    //  UpdateItem on a missing item creates it
    zyn_value_t *reply = zyn_testcluster_ok (
        client, "UpdateItem",
        "{\"TableName\":\"upd\",\"Key\":{\"pk\":{\"S\":\"u\"}},"
        "\"UpdateExpression\":\"SET c = :zero, l = :list, #s = :set, t2 = :set\","
        "\"ExpressionAttributeNames\":{\"#s\":\"tags\"},"
        "\"ExpressionAttributeValues\":{\":zero\":{\"N\":\"0\"},"
        "\":list\":{\"L\":[{\"S\":\"x\"}]},\":set\":{\"SS\":[\"a\",\"b\"]}},"
        "\"ReturnValues\":\"ALL_NEW\"}");
    s_assert_item (zyn_value_map_get (reply, "Attributes"),
                   "{\"pk\":{\"S\":\"u\"},\"c\":{\"N\":\"0\"},"
                   "\"l\":{\"L\":[{\"S\":\"x\"}]},\"tags\":{\"SS\":[\"a\",\"b\"]},"
                   "\"t2\":{\"SS\":[\"a\",\"b\"]}}");
    zyn_value_destroy (&reply);

    reply = zyn_testcluster_ok (
        client, "UpdateItem",
        "{\"TableName\":\"upd\",\"Key\":{\"pk\":{\"S\":\"u\"}},"
        "\"UpdateExpression\":\"SET c = c + :inc, l = list_append(l, :more), "
        "n = if_not_exists(n, :ten) REMOVE gone ADD tags :c DELETE t2 :a\","
        "\"ExpressionAttributeValues\":{\":inc\":{\"N\":\"1.5\"},"
        "\":more\":{\"L\":[{\"N\":\"7\"}]},\":ten\":{\"N\":\"10\"},"
        "\":c\":{\"SS\":[\"c\"]},\":a\":{\"SS\":[\"a\"]}},"
        "\"ReturnValues\":\"UPDATED_OLD\"}");
    s_assert_item (zyn_value_map_get (reply, "Attributes"),
                   "{\"c\":{\"N\":\"0\"},\"l\":{\"L\":[{\"S\":\"x\"}]},"
                   "\"tags\":{\"SS\":[\"a\",\"b\"]},"
                   "\"t2\":{\"SS\":[\"a\",\"b\"]}}");
    zyn_value_destroy (&reply);
    zyn_value_t *item = s_get (client, "upd", "{\"pk\":{\"S\":\"u\"}}");
    s_assert_item (item,
                   "{\"pk\":{\"S\":\"u\"},\"c\":{\"N\":\"1.5\"},"
                   "\"l\":{\"L\":[{\"S\":\"x\"},{\"N\":\"7\"}]},"
                   "\"n\":{\"N\":\"10\"},\"tags\":{\"SS\":[\"a\",\"b\",\"c\"]},"
                   "\"t2\":{\"SS\":[\"b\"]}}");
    zyn_value_destroy (&item);

    //  Nested paths and list element removal
    reply = zyn_testcluster_ok (client, "UpdateItem",
                  "{\"TableName\":\"upd\",\"Key\":{\"pk\":{\"S\":\"u\"}},"
                  "\"UpdateExpression\":\"SET m = :m REMOVE l[0]\","
                  "\"ExpressionAttributeValues\":{\":m\":{\"M\":{\"a\":{"
                  "\"M\":{\"b\":{\"N\":\"1\"}}}}}}}");
    zyn_value_destroy (&reply);
    reply = zyn_testcluster_ok (client, "UpdateItem",
                  "{\"TableName\":\"upd\",\"Key\":{\"pk\":{\"S\":\"u\"}},"
                  "\"UpdateExpression\":\"SET m.a.b = m.a.b + :one\","
                  "\"ExpressionAttributeValues\":{\":one\":{\"N\":\"1\"}},"
                  "\"ReturnValues\":\"UPDATED_NEW\"}");
    //  Only the updated path, nested
    s_assert_item (zyn_value_map_get (reply, "Attributes"),
                   "{\"m\":{\"M\":{\"a\":{\"M\":{\"b\":{\"N\":\"2\"}}}}}}");
    zyn_value_destroy (&reply);
    //  An update that only removes creates no item
    reply = zyn_testcluster_ok (client, "UpdateItem",
                  "{\"TableName\":\"upd\",\"Key\":{\"pk\":{\"S\":\"none\"}},"
                  "\"UpdateExpression\":\"REMOVE x\"}");
    zyn_value_destroy (&reply);
    zyn_value_t *none = s_get (client, "upd", "{\"pk\":{\"S\":\"none\"}}");
    ck_assert_ptr_null (none);
    item = s_get (client, "upd", "{\"pk\":{\"S\":\"u\"}}");
    s_assert_item (item,
                   "{\"pk\":{\"S\":\"u\"},\"c\":{\"N\":\"1.5\"},"
                   "\"l\":{\"L\":[{\"N\":\"7\"}]},\"n\":{\"N\":\"10\"},"
                   "\"tags\":{\"SS\":[\"a\",\"b\",\"c\"]},"
                   "\"t2\":{\"SS\":[\"b\"]},\"m\":{\"M\":{\"a\":{\"M\":{\"b\":{\"N\":\"2\"}}}}}}");
    zyn_value_destroy (&item);

    //  Errors: key attributes, type errors, bad syntax; item unchanged
    zyn_testcluster_fails (client, "UpdateItem",
             "{\"TableName\":\"upd\",\"Key\":{\"pk\":{\"S\":\"u\"}},"
             "\"UpdateExpression\":\"SET pk = :v\","
             "\"ExpressionAttributeValues\":{\":v\":{\"S\":\"w\"}}}",
             ZYN_ERR_VALIDATION,
             "One or more parameter values were invalid: Cannot update "
             "attribute pk. This attribute is part of the key");
    zyn_testcluster_fails (client, "UpdateItem",
             "{\"TableName\":\"upd\",\"Key\":{\"pk\":{\"S\":\"u\"}},"
             "\"UpdateExpression\":\"SET c = c + :s\","
             "\"ExpressionAttributeValues\":{\":s\":{\"S\":\"w\"}}}",
             ZYN_ERR_VALIDATION, NULL);
    zyn_testcluster_fails (client, "UpdateItem",
             "{\"TableName\":\"upd\",\"Key\":{\"pk\":{\"S\":\"u\"}},"
             "\"UpdateExpression\":\"SET c = \"}",
             ZYN_ERR_VALIDATION, NULL);
    item = s_get (client, "upd", "{\"pk\":{\"S\":\"u\"}}");
    ck_assert_str_eq (zyn_value_data (zyn_value_map_get (item, "c")), "1.5");
    zyn_value_destroy (&item);
    zyn_client_destroy (&client);
    zyn_testcluster_destroy (&cluster);
}
END_TEST

START_TEST (test_reads)
{
    zyn_testcluster_t *cluster = s_cluster ();
    zyn_client_t *client = zyn_testcluster_client (cluster);
    s_create_table (client, "reads", true);
    for (int i = 0; i < 20; i++) {
        char json [512];
        snprintf (json, sizeof (json),
                  "{\"TableName\":\"reads\",\"Item\":{\"pk\":{\"S\":\"p%d\"},"
                  "\"sk\":{\"N\":\"%d\"},\"odd\":{\"BOOL\":%s},"
                  "\"m\":{\"M\":{\"x\":{\"N\":\"%d\"},\"y\":{\"S\":\"y\"}}}}}",
                  i % 2, i, i % 2 ? "true" : "false", i);
        zyn_value_t *reply = zyn_testcluster_ok (client, "PutItem", json);
        zyn_value_destroy (&reply);
    }
    //  Projection with a nested path
    zyn_value_t *reply = zyn_testcluster_ok (
        client, "GetItem",
        "{\"TableName\":\"reads\",\"Key\":{\"pk\":{\"S\":\"p1\"},"
        "\"sk\":{\"N\":\"3\"}},\"ProjectionExpression\":\"m.x, #o\","
        "\"ExpressionAttributeNames\":{\"#o\":\"odd\"}}");
    s_assert_item (zyn_value_map_get (reply, "Item"),
                   "{\"m\":{\"M\":{\"x\":{\"N\":\"3\"}}},\"odd\":{\"BOOL\":true}}");
    zyn_value_destroy (&reply);

    //  Filter after the page: Count counts matches, ScannedCount reads
    reply = zyn_testcluster_ok (client, "Query",
                  "{\"TableName\":\"reads\",\"KeyConditionExpression\":"
                  "\"pk = :p\",\"FilterExpression\":\"m.x > :five\","
                  "\"ExpressionAttributeValues\":{\":p\":{\"S\":\"p0\"},"
                  "\":five\":{\"N\":\"5\"}},\"Limit\":6}");
    int64_t count = -1, scanned = -1;
    ck_assert_int_eq (zyn_value_map_get_int (reply, "Count", &count), 0);
    ck_assert_int_eq (zyn_value_map_get_int (reply, "ScannedCount", &scanned),
                      0);
    //  The first 6 of p0 are sk 0,2,4,6,8,10: three have m.x > 5
    ck_assert_int_eq (count, 3);
    ck_assert_int_eq (scanned, 6);
    ck_assert_ptr_nonnull (zyn_value_map_get (reply, "LastEvaluatedKey"));
    zyn_value_destroy (&reply);

    reply = zyn_testcluster_ok (client, "Query",
                  "{\"TableName\":\"reads\",\"KeyConditionExpression\":"
                  "\"pk = :p AND sk >= :s\",\"Select\":\"COUNT\","
                  "\"ExpressionAttributeValues\":{\":p\":{\"S\":\"p1\"},"
                  "\":s\":{\"N\":\"11\"}}}");
    ck_assert_int_eq (zyn_value_map_get_int (reply, "Count", &count), 0);
    ck_assert_int_eq (count, 5);
    ck_assert_ptr_null (zyn_value_map_get (reply, "Items"));
    zyn_value_destroy (&reply);

    //  Scan with a filter over all partitions
    reply = zyn_testcluster_ok (client, "Scan",
                  "{\"TableName\":\"reads\",\"FilterExpression\":\"odd = :t\","
                  "\"ExpressionAttributeValues\":{\":t\":{\"BOOL\":true}}}");
    ck_assert_int_eq (zyn_value_map_get_int (reply, "Count", &count), 0);
    ck_assert_int_eq (zyn_value_map_get_int (reply, "ScannedCount", &scanned),
                      0);
    ck_assert_int_eq (count, 10);
    ck_assert_int_eq (scanned, 20);
    zyn_value_destroy (&reply);

    //  Parallel scan: the segments partition the table
    int seen [20] = { 0 };
    for (int segment = 0; segment < 3; segment++) {
        char json [256];
        snprintf (json, sizeof (json),
                  "{\"TableName\":\"reads\",\"Segment\":%d,"
                  "\"TotalSegments\":3}", segment);
        reply = zyn_testcluster_ok (client, "Scan", json);
        ck_assert_ptr_null (zyn_value_map_get (reply, "LastEvaluatedKey"));
        zyn_value_t *items = zyn_value_map_get (reply, "Items");
        for (size_t i = 0; i < zyn_value_size (items); i++) {
            int64_t sk;
            zyn_value_map_get_int (zyn_value_list_get (items, i), "sk", &sk);
            seen [sk]++;
        }
        zyn_value_destroy (&reply);
    }
    for (int i = 0; i < 20; i++)
        ck_assert_int_eq (seen [i], 1);
    zyn_testcluster_fails (client, "Scan",
             "{\"TableName\":\"reads\",\"Segment\":3,\"TotalSegments\":3}",
             ZYN_ERR_VALIDATION, NULL);
    zyn_client_destroy (&client);
    zyn_testcluster_destroy (&cluster);
}
END_TEST

START_TEST (test_batch)
{
    zyn_testcluster_t *cluster = s_cluster ();
    zyn_client_t *client = zyn_testcluster_client (cluster);
    s_create_table (client, "bat1", false);
    s_create_table (client, "bat2", false);
    zyn_value_t *reply = zyn_testcluster_ok (
        client, "BatchWriteItem",
        "{\"RequestItems\":{\"bat1\":[{\"PutRequest\":{\"Item\":{\"pk\":{"
        "\"S\":\"a\"},\"v\":{\"N\":\"1\"}}}},{\"PutRequest\":{\"Item\":{"
        "\"pk\":{\"S\":\"b\"}}}}],\"bat2\":[{\"PutRequest\":{\"Item\":{"
        "\"pk\":{\"S\":\"c\"}}}}]}}");
    zyn_value_t *unprocessed = zyn_value_map_get (reply, "UnprocessedItems");
    ck_assert (unprocessed == NULL || zyn_value_size (unprocessed) == 0);
    zyn_value_destroy (&reply);
    reply = zyn_testcluster_ok (client, "BatchWriteItem",
                  "{\"RequestItems\":{\"bat1\":[{\"DeleteRequest\":{\"Key\":{"
                  "\"pk\":{\"S\":\"b\"}}}}]}}");
    zyn_value_destroy (&reply);
    reply = zyn_testcluster_ok (
        client, "BatchGetItem",
        "{\"RequestItems\":{\"bat1\":{\"Keys\":[{\"pk\":{\"S\":\"a\"}},"
        "{\"pk\":{\"S\":\"b\"}}]},\"bat2\":{\"Keys\":[{\"pk\":{\"S\":\"c\"}}],"
        "\"ProjectionExpression\":\"pk\"}}}");
    zyn_value_t *responses = zyn_value_map_get (reply, "Responses");
    zyn_value_t *one = zyn_value_map_get (responses, "bat1");
    ck_assert_int_eq (zyn_value_size (one), 1);
    s_assert_item (zyn_value_list_get (one, 0),
                   "{\"pk\":{\"S\":\"a\"},\"v\":{\"N\":\"1\"}}");
    zyn_value_t *two = zyn_value_map_get (responses, "bat2");
    ck_assert_int_eq (zyn_value_size (two), 1);
    s_assert_item (zyn_value_list_get (two, 0), "{\"pk\":{\"S\":\"c\"}}");
    zyn_value_destroy (&reply);
    zyn_testcluster_fails (client, "BatchWriteItem",
             "{\"RequestItems\":{\"bat1\":[{\"PutRequest\":{\"Item\":{\"pk\":"
             "{\"S\":\"d\"}}}},{\"DeleteRequest\":{\"Key\":{\"pk\":{\"S\":"
             "\"d\"}}}}]}}",
             ZYN_ERR_VALIDATION,
             "Provided list of item keys contains duplicates");
    zyn_value_t *item = s_get (client, "bat1", "{\"pk\":{\"S\":\"d\"}}");
    ck_assert_ptr_null (item);
    zyn_client_destroy (&client);
    zyn_testcluster_destroy (&cluster);
}
END_TEST

START_TEST (test_legacy)
{
    zyn_testcluster_t *cluster = s_cluster ();
    zyn_client_t *client = zyn_testcluster_client (cluster);
    s_create_table (client, "legacy", false);
    zyn_value_t *reply = zyn_testcluster_ok (
        client, "PutItem",
        "{\"TableName\":\"legacy\",\"Item\":{\"pk\":{\"S\":\"a\"},"
        "\"v\":{\"N\":\"1\"},\"w\":{\"S\":\"x\"}},"
        "\"Expected\":{\"pk\":{\"Exists\":false}}}");
    zyn_value_destroy (&reply);
    zyn_testcluster_fails (client, "PutItem",
             "{\"TableName\":\"legacy\",\"Item\":{\"pk\":{\"S\":\"a\"}},"
             "\"Expected\":{\"v\":{\"ComparisonOperator\":\"GT\","
             "\"AttributeValueList\":[{\"N\":\"1\"}]}}}",
             ZYN_ERR_CONDITIONAL_CHECK_FAILED, "The conditional request failed");
    reply = zyn_testcluster_ok (client, "UpdateItem",
                  "{\"TableName\":\"legacy\",\"Key\":{\"pk\":{\"S\":\"a\"}},"
                  "\"AttributeUpdates\":{\"v\":{\"Action\":\"ADD\",\"Value\":"
                  "{\"N\":\"4\"}},\"w\":{\"Action\":\"DELETE\"}}}");
    zyn_value_destroy (&reply);
    reply = zyn_testcluster_ok (client, "GetItem",
                  "{\"TableName\":\"legacy\",\"Key\":{\"pk\":{\"S\":\"a\"}},"
                  "\"AttributesToGet\":[\"v\"]}");
    s_assert_item (zyn_value_map_get (reply, "Item"), "{\"v\":{\"N\":\"5\"}}");
    zyn_value_destroy (&reply);
    reply = zyn_testcluster_ok (client, "Scan",
                  "{\"TableName\":\"legacy\",\"ScanFilter\":{\"v\":{"
                  "\"ComparisonOperator\":\"EQ\",\"AttributeValueList\":[{"
                  "\"N\":\"5\"}]}}}");
    int64_t count = -1;
    ck_assert_int_eq (zyn_value_map_get_int (reply, "Count", &count), 0);
    ck_assert_int_eq (count, 1);
    zyn_value_destroy (&reply);
    reply = zyn_testcluster_ok (client, "Query",
                  "{\"TableName\":\"legacy\",\"KeyConditions\":{\"pk\":{"
                  "\"ComparisonOperator\":\"EQ\",\"AttributeValueList\":[{"
                  "\"S\":\"a\"}]}}}");
    ck_assert_int_eq (zyn_value_map_get_int (reply, "Count", &count), 0);
    ck_assert_int_eq (count, 1);
    zyn_value_destroy (&reply);
    zyn_client_destroy (&client);
    zyn_testcluster_destroy (&cluster);
}
END_TEST

//  --------------------------------------------------------------------------
//  Concurrency: clients doing optimistic conditional increments of one
//  counter (read c, SET c = c + :one IF c = :seen) end exactly right

#define COUNTER_CLIENTS 6
#define COUNTER_INCREMENTS 40

typedef struct {
    const char *endpoint;
    int done;                   //  Successful increments
    int conflicts;              //  ConditionalCheckFailed retries
    int failures;               //  Anything else
} s_counter_job_t;

static void *
s_counter_thread (void *arg)
{
    s_counter_job_t *job = (s_counter_job_t *) arg;
    zyn_client_t *client = zyn_client_new (job->endpoint, NULL);
    while (job->done < COUNTER_INCREMENTS && job->failures == 0) {
        zyn_error_t err = { 0 };
        zyn_value_t *key = zyn_value_from_json ("{\"pk\":{\"S\":\"c\"}}", true,
                                                &err);
        zyn_value_t *item = zyn_client_get_item (client, "counter", key, true,
                                                 &err);
        zyn_value_destroy (&key);
        if (!item) {
            job->failures++;
            break;
        }
        const char *seen = zyn_value_data (zyn_value_map_get (item, "c"));
        char json [512];
        snprintf (json, sizeof (json),
                  "{\"TableName\":\"counter\",\"Key\":{\"pk\":{\"S\":\"c\"}},"
                  "\"UpdateExpression\":\"SET c = c + :one\","
                  "\"ConditionExpression\":\"c = :seen\","
                  "\"ExpressionAttributeValues\":{\":one\":{\"N\":\"1\"},"
                  "\":seen\":{\"N\":\"%s\"}}}", seen);
        zyn_value_destroy (&item);
        zyn_value_t *request = zyn_json_to_request (json, strlen (json), NULL);
        zyn_value_t *reply
            = zyn_client_call (client, "UpdateItem", request, &err);
        zyn_value_destroy (&request);
        if (reply)
            job->done++;
        else
        if (err.type == ZYN_ERR_CONDITIONAL_CHECK_FAILED)
            job->conflicts++;
        else
            job->failures++;
        zyn_value_destroy (&reply);
    }
    zyn_client_destroy (&client);
    return NULL;
}

START_TEST (test_concurrency)
{
    zyn_testcluster_t *cluster = s_cluster ();
    zyn_client_t *client = zyn_testcluster_client (cluster);
    s_create_table (client, "counter", false);
    zyn_value_t *reply = zyn_testcluster_ok (client, "PutItem",
                               "{\"TableName\":\"counter\",\"Item\":{\"pk\":"
                               "{\"S\":\"c\"},\"c\":{\"N\":\"0\"}}}");
    zyn_value_destroy (&reply);
    pthread_t threads [COUNTER_CLIENTS];
    s_counter_job_t jobs [COUNTER_CLIENTS];
    for (int i = 0; i < COUNTER_CLIENTS; i++) {
        jobs [i] = (s_counter_job_t) { zyn_testcluster_endpoint (cluster), 0,
                                       0, 0 };
        pthread_create (&threads [i], NULL, s_counter_thread, &jobs [i]);
    }
    int conflicts = 0;
    for (int i = 0; i < COUNTER_CLIENTS; i++) {
        pthread_join (threads [i], NULL);
        ck_assert_int_eq (jobs [i].failures, 0);
        ck_assert_int_eq (jobs [i].done, COUNTER_INCREMENTS);
        conflicts += jobs [i].conflicts;
    }
    zyn_value_t *item = s_get (client, "counter", "{\"pk\":{\"S\":\"c\"}}");
    char expect [64];
    snprintf (expect, sizeof (expect), "%d",
              COUNTER_CLIENTS * COUNTER_INCREMENTS);
    ck_assert_str_eq (zyn_value_data (zyn_value_map_get (item, "c")), expect);
    zyn_value_destroy (&item);
    //  Conflicts are expected and were all refused, not applied
    ck_assert_int_ge (conflicts, 0);
    zyn_client_destroy (&client);
    zyn_testcluster_destroy (&cluster);
}
END_TEST

Suite *
zyn_e2e_items_suite (void)
{
    Suite *suite = suite_create ("e2e_items");
    struct {
        const char *name;
        const TTest *test;
    } cases [] = {
        { "conditions", test_conditions },
        { "update", test_update },
        { "reads", test_reads },
        { "batch", test_batch },
        { "legacy", test_legacy },
        { "concurrency", test_concurrency },
    };
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases [0]); i++) {
        TCase *tc = tcase_create (cases [i].name);
        tcase_set_timeout (tc, 120);
        tcase_add_test (tc, cases [i].test);
        suite_add_tcase (suite, tc);
    }
    return suite;
}

ZYN_TEST_MAIN (zyn_e2e_items_suite)

/*  =========================================================================
    check_zyn_indexer - tests of the indexer module, run in-process
    against a real broker and worker
    =========================================================================
*/

#include "zyn_prelude.h"
#include "zyn_json.h"
#include "zyn_indexer.h"
#include "zyn_testcluster.h"
#include "zyn_testutil.h"

static zyn_value_t *
s_call (zyn_client_t *client, const char *operation, const char *json)
{
    zyn_error_t err = { 0 };
    zyn_value_t *request = zyn_json_to_request (json, strlen (json), &err);
    ck_assert_msg (request, "bad JSON %s", json);
    zyn_value_t *reply = zyn_client_call (client, operation, request, &err);
    zyn_value_destroy (&request);
    ck_assert_msg (reply, "%s failed: %s", operation, err.message);
    return reply;
}

START_TEST (test_lifecycle)
{
    char dir [1024];
    zyn_test_dir (dir, sizeof (dir), "indexer-lifecycle");
    //  A data path that is a file cannot hold a store
    char path [1100];
    snprintf (path, sizeof (path), "%s/file", dir);
    FILE *file = fopen (path, "w");
    ck_assert_ptr_nonnull (file);
    fclose (file);
    zyn_error_t err = { 0 };
    zyn_indexer_t *indexer
        = zyn_indexer_new ("tcp://127.0.0.1:1", path, &err);
    ck_assert_ptr_null (indexer);
    ck_assert_int_eq (err.type, ZYN_ERR_INTERNAL);

    //  Without a broker it keeps nothing and does not block for long
    snprintf (path, sizeof (path), "%s/store", dir);
    zyn_error_clear (&err);
    indexer = zyn_indexer_new ("tcp://127.0.0.1:1", path, &err);
    ck_assert_ptr_nonnull (indexer);
    ck_assert_uint_eq (zyn_indexer_size (indexer), 0);
    ck_assert_int_eq (zyn_indexer_lag (indexer, "t", "i"), -1);
    zyn_indexer_destroy (&indexer);
    zyn_indexer_destroy (&indexer);
    zyn_test_dir_remove (dir);
}
END_TEST

START_TEST (test_follows_and_resumes)
{
    zyn_testcluster_t *cluster = zyn_testcluster_new ("indexer-follow", 1);
    const char *endpoint = zyn_testcluster_endpoint (cluster);
    zyn_error_t err = { 0 };
    zyn_client_t *client = zyn_client_new (endpoint, &err);
    zyn_value_t *reply = s_call (
        client, "CreateTable",
        "{\"TableName\": \"follow\", \"BillingMode\": \"PAY_PER_REQUEST\","
        "\"KeySchema\": [{\"AttributeName\": \"pk\", \"KeyType\": \"HASH\"}],"
        "\"AttributeDefinitions\": ["
        "{\"AttributeName\": \"pk\", \"AttributeType\": \"S\"},"
        "{\"AttributeName\": \"g\", \"AttributeType\": \"S\"}],"
        "\"GlobalSecondaryIndexes\": [{\"IndexName\": \"byg\","
        "\"KeySchema\": [{\"AttributeName\": \"g\", \"KeyType\": \"HASH\"}],"
        "\"Projection\": {\"ProjectionType\": \"KEYS_ONLY\"}}]}");
    zyn_value_destroy (&reply);
    ck_assert_int_eq (zyn_client_wait_active (client, "follow", 15000, &err),
                      0);
    reply = s_call (client, "PutItem",
                    "{\"TableName\": \"follow\", \"Item\": {"
                    "\"pk\": {\"S\": \"a\"}, \"g\": {\"S\": \"x\"}}}");
    zyn_value_destroy (&reply);

    char store [1200];
    snprintf (store, sizeof (store), "%s/indexer",
              zyn_testcluster_dir (cluster));
    zyn_indexer_t *indexer = zyn_indexer_new (endpoint, store, &err);
    ck_assert_ptr_nonnull (indexer);
    const char *query = "{\"TableName\": \"follow\", \"IndexName\": \"byg\","
                        "\"KeyConditionExpression\": \"g = :g\","
                        "\"ExpressionAttributeValues\": "
                        "{\":g\": {\"S\": \"x\"}}}";
    int64_t deadline = zyn_mono_msecs () + 15000;
    int64_t count = 0;
    while (count != 1 && zyn_mono_msecs () < deadline) {
        zyn_indexer_step (indexer, 100);
        reply = s_call (client, "Query", query);
        zyn_value_map_get_int (reply, "Count", &count);
        zyn_value_destroy (&reply);
    }
    ck_assert_int_eq (count, 1);
    ck_assert_uint_eq (zyn_indexer_size (indexer), 1);
    zyn_indexer_destroy (&indexer);

    //  A new indexer on the same store resumes after the checkpoint
    reply = s_call (client, "PutItem",
                    "{\"TableName\": \"follow\", \"Item\": {"
                    "\"pk\": {\"S\": \"b\"}, \"g\": {\"S\": \"x\"}}}");
    zyn_value_destroy (&reply);
    indexer = zyn_indexer_new (endpoint, store, &err);
    ck_assert_ptr_nonnull (indexer);
    deadline = zyn_mono_msecs () + 15000;
    while (count != 2 && zyn_mono_msecs () < deadline) {
        zyn_indexer_step (indexer, 100);
        reply = s_call (client, "Query", query);
        zyn_value_map_get_int (reply, "Count", &count);
        zyn_value_destroy (&reply);
    }
    ck_assert_int_eq (count, 2);
    //  Lag is measured once a second: wait for a measurement of 0
    deadline = zyn_mono_msecs () + 15000;
    while (zyn_indexer_lag (indexer, "follow", "byg") != 0
           && zyn_mono_msecs () < deadline)
        zyn_indexer_step (indexer, 100);
    ck_assert_int_eq (zyn_indexer_lag (indexer, "follow", "byg"), 0);
    //  DescribeTable's ItemCount: the entries in the index's hidden
    //  table, as its workers report them with their next heartbeat
    int64_t item_count = -1;
    deadline = zyn_mono_msecs () + 15000;
    while (item_count != 2 && zyn_mono_msecs () < deadline) {
        reply = s_call (client, "DescribeTable",
                        "{\"TableName\": \"follow\"}");
        zyn_value_t *gsi = zyn_value_list_get (
            zyn_value_map_get (zyn_value_map_get (reply, "Table"),
                               "GlobalSecondaryIndexes"), 0);
        zyn_value_map_get_int (gsi, "ItemCount", &item_count);
        ck_assert_str_eq (zyn_value_map_get_s (gsi, "IndexStatus"),
                          "ACTIVE");
        zyn_value_destroy (&reply);
        if (item_count != 2)
            zclock_sleep (50);
    }
    ck_assert_int_eq (item_count, 2);
    zyn_indexer_destroy (&indexer);
    zyn_client_destroy (&client);
    zyn_testcluster_destroy (&cluster);
}
END_TEST

static Suite *
zyn_indexer_suite (void)
{
    Suite *suite = suite_create ("zyn_indexer");
    TCase *tcase = tcase_create ("lifecycle");
    tcase_add_test (tcase, test_lifecycle);
    suite_add_tcase (suite, tcase);
    tcase = tcase_create ("follow");
    tcase_set_timeout (tcase, 60);
    tcase_add_test (tcase, test_follows_and_resumes);
    suite_add_tcase (suite, tcase);
    return suite;
}

ZYN_TEST_MAIN (zyn_indexer_suite)

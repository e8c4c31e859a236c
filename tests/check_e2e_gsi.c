/*  =========================================================================
    check_e2e_gsi - end-to-end suite of global secondary indexes (issue 5)

    Real broker, worker and zynamo-indexer processes: an index converges
    on its base table after a burst of puts, updates and deletes (a full
    index scan equals the index computed from a base-table scan); an index
    added to a table of 100,000 items backfills while writes continue;
    an indexer killed with SIGKILL mid-burst resumes from its checkpoints
    and the index still converges exactly.
    =========================================================================
*/

#include "zyn_prelude.h"
#include "zyn_json.h"
#include "zyn_testcluster.h"
#include "zyn_testutil.h"

//  How many pipelined requests a burst keeps in flight
#define S_WINDOW 200

static zyn_value_t *
s_json (const char *json)
{
    zyn_error_t err = { 0 };
    zyn_value_t *value = zyn_json_to_request (json, strlen (json), &err);
    ck_assert_msg (value, "bad test JSON %s: %s", json, err.message);
    return value;
}

//  The table of every test: pk S, sk N; index byg on g (S) and n (N)
//  projecting v
static const char *s_attrs =
    "\"AttributeDefinitions\": ["
    "{\"AttributeName\": \"pk\", \"AttributeType\": \"S\"},"
    "{\"AttributeName\": \"sk\", \"AttributeType\": \"N\"},"
    "{\"AttributeName\": \"g\", \"AttributeType\": \"S\"},"
    "{\"AttributeName\": \"n\", \"AttributeType\": \"N\"}]";
static const char *s_index =
    "{\"IndexName\": \"byg\", \"KeySchema\": ["
    "{\"AttributeName\": \"g\", \"KeyType\": \"HASH\"},"
    "{\"AttributeName\": \"n\", \"KeyType\": \"RANGE\"}],"
    "\"Projection\": {\"ProjectionType\": \"INCLUDE\","
    "\"NonKeyAttributes\": [\"v\"]}}";

static void
s_create_table (zyn_client_t *client, const char *name, bool with_index)
{
    char json [2048];
    snprintf (json, sizeof (json),
              "{\"TableName\": \"%s\", \"KeySchema\": ["
              "{\"AttributeName\": \"pk\", \"KeyType\": \"HASH\"},"
              "{\"AttributeName\": \"sk\", \"KeyType\": \"RANGE\"}],"
              "%s, \"BillingMode\": \"PAY_PER_REQUEST\"%s%s%s}",
              name,
              with_index ? s_attrs
                         : "\"AttributeDefinitions\": ["
                           "{\"AttributeName\": \"pk\", "
                           "\"AttributeType\": \"S\"},"
                           "{\"AttributeName\": \"sk\", "
                           "\"AttributeType\": \"N\"}]",
              with_index ? ", \"GlobalSecondaryIndexes\": [" : "",
              with_index ? s_index : "", with_index ? "]" : "");
    zyn_value_t *reply = zyn_testcluster_ok (client, "CreateTable", json);
    zyn_value_destroy (&reply);
    zyn_error_t err = { 0 };
    ck_assert_msg (zyn_client_wait_active (client, name, 15000, &err) == 0,
                   "table not active: %s", err.message);
}

//  The request of write number i of a burst with seed: puts (some without
//  g: sparse), updates that move g and n, deletes, over 2000 keys
static zyn_value_t *
s_write (const char *table, uint32_t i, uint32_t seed, const char **op)
{
    uint32_t r = (i * 2654435761u) ^ (seed * 40503u);
    r ^= r >> 13;
    r *= 0x5bd1e995;
    r ^= r >> 15;
    char key [96];
    snprintf (key, sizeof (key),
              "\"pk\": {\"S\": \"p%u\"}, \"sk\": {\"N\": \"%u\"}",
              r % 400, (r >> 9) % 5);
    char json [512];
    uint32_t kind = (r >> 12) % 10;
    if (kind < 5) {
        *op = "PutItem";
        if (kind == 0)
            snprintf (json, sizeof (json),
                      "{\"TableName\": \"%s\", \"Item\": {%s, "
                      "\"v\": {\"N\": \"%u\"}}}", table, key, i);
        else
            snprintf (json, sizeof (json),
                      "{\"TableName\": \"%s\", \"Item\": {%s, "
                      "\"g\": {\"S\": \"g%u\"}, \"n\": {\"N\": \"%u\"}, "
                      "\"v\": {\"N\": \"%u\"}, \"w\": {\"S\": \"x\"}}}",
                      table, key, (r >> 16) % 8, (r >> 19) % 50, i);
    }
    else
    if (kind < 8) {
        *op = "UpdateItem";
        snprintf (json, sizeof (json),
                  "{\"TableName\": \"%s\", \"Key\": {%s}, "
                  "\"UpdateExpression\": \"SET g = :g, n = :n, v = :v\", "
                  "\"ExpressionAttributeValues\": {\":g\": {\"S\": \"g%u\"}, "
                  "\":n\": {\"N\": \"%u\"}, \":v\": {\"N\": \"%u\"}}}",
                  table, key, (r >> 16) % 8, (r >> 19) % 50, i);
    }
    else {
        *op = "DeleteItem";
        snprintf (json, sizeof (json),
                  "{\"TableName\": \"%s\", \"Key\": {%s}}", table, key);
    }
    return s_json (json);
}

//  A pipelined writer: keeps up to window requests in flight and sends a
//  write again when its reply is an error a client retries (a worker lost
//  under load on a busy machine); every write is idempotent
typedef zyn_value_t *(s_make_fn) (const char *table, uint32_t i,
                                  uint32_t seed, const char **op);

static void
s_pipeline (zyn_client_t *client, const char *table, uint32_t first,
            uint32_t count, uint32_t seed, uint32_t window, s_make_fn *make)
{
    zhashx_t *inflight = zhashx_new ();
    zlistx_t *again = zlistx_new ();
    uint32_t next = 0, done = 0;
    int64_t give_up = zyn_mono_msecs () + 150000;
    while (done < count) {
        while (zhashx_size (inflight) < window
               && (next < count || zlistx_size (again))) {
            uint32_t i = zlistx_size (again)
                       ? (uint32_t) (uintptr_t) zlistx_first (again) - 1
                       : first + next++;
            if (zlistx_size (again))
                zlistx_delete (again, zlistx_cursor (again));
            const char *op;
            zyn_value_t *request = make (table, i, seed, &op);
            zyn_error_t err = { 0 };
            uint64_t id = zyn_client_send (client, op, request, &err);
            zyn_value_destroy (&request);
            ck_assert_msg (id, "send failed: %s", err.message);
            char key [24];
            snprintf (key, sizeof (key), "%" PRIu64, id);
            zhashx_insert (inflight, key, (void *) (uintptr_t) (i + 1));
        }
        uint64_t id = 0;
        zyn_error_t err = { 0 };
        zyn_value_t *reply = zyn_client_recv (client, &id, 20000, &err);
        ck_assert_msg (id, "no reply within 20 s");
        char key [24];
        snprintf (key, sizeof (key), "%" PRIu64, id);
        void *slot = zhashx_lookup (inflight, key);
        if (!slot)
            continue;
        zhashx_delete (inflight, key);
        if (!reply && (zyn_error_is_retryable (err.type)
                       || err.type == ZYN_ERR_INTERNAL)) {
            ck_assert_msg (zyn_mono_msecs () < give_up,
                           "writes still failing: %s", err.message);
            zclock_sleep (20);          //  Back off, as a client does
            zlistx_add_end (again, slot);
            continue;
        }
        ck_assert_msg (reply, "write failed: %s: %s",
                       zyn_error_name (err.type), err.message);
        zyn_value_destroy (&reply);
        done++;
    }
    zlistx_destroy (&again);
    zhashx_destroy (&inflight);
}

//  Writes first .. first + count - 1 of a burst
static void
s_burst (zyn_client_t *client, const char *table, uint32_t first,
         uint32_t count, uint32_t seed)
{
    s_pipeline (client, table, first, count, seed, S_WINDOW, s_write);
}

//  Item i of a load: pk "L<i>", sk 0, with g and n
static zyn_value_t *
s_load_item (const char *table, uint32_t i, uint32_t seed, const char **op)
{
    (void) seed;
    char json [256];
    snprintf (json, sizeof (json),
              "{\"TableName\": \"%s\", \"Item\": {"
              "\"pk\": {\"S\": \"L%u\"}, \"sk\": {\"N\": \"0\"}, "
              "\"g\": {\"S\": \"g%u\"}, \"n\": {\"N\": \"%u\"}}}",
              table, i, i % 16, i % 1000);
    *op = "PutItem";
    return s_json (json);
}

//  Load count items quickly
static void
s_load (zyn_client_t *client, const char *table, uint32_t count)
{
    s_pipeline (client, table, 0, count, 0, 1000, s_load_item);
}

//  The identity of an index entry: index key, base key, projected v
static void
s_entry_key (const zyn_value_t *item, char *buf, size_t size)
{
    const char *names [] = { "g", "n", "pk", "sk", "v" };
    size_t used = 0;
    buf [0] = 0;
    for (int i = 0; i < 5; i++) {
        const zyn_value_t *value = zyn_value_map_get (item, names [i]);
        const char *data = value ? zyn_value_data (value) : NULL;
        used += (size_t) snprintf (buf + used, size - used, "%s|",
                                   data ? data : "-");
        if (used >= size)
            break;
    }
}

//  Scan table (or its index byg) in full: a set of entry identities. For
//  the base table only items with g and n count (the sparse index).
static zhashx_t *
s_scan_entries (zyn_client_t *client, const char *table, bool index)
{
    zhashx_t *entries = zhashx_new ();
    zyn_value_t *start = NULL;
    do {
        zyn_value_t *request = zyn_value_new_m ();
        zyn_value_map_put_s (request, "TableName", table);
        //  Small pages: a worker under ASan on a busy machine must not
        //  spend its heartbeat interval on one page
        zyn_value_map_put_int (request, "Limit", 1000);
        if (index)
            zyn_value_map_put_s (request, "IndexName", "byg");
        if (start)
            zyn_value_map_put (request, "ExclusiveStartKey", &start);
        zyn_error_t err = { 0 };
        zyn_value_t *page = NULL;
        int64_t give_up = zyn_mono_msecs () + 60000;
        while (!page) {
            //  A worker lost on a busy machine: retry, as a client does
            page = zyn_client_call (client, "Scan", request, &err);
            ck_assert_msg (page || ((zyn_error_is_retryable (err.type)
                                     || err.type == ZYN_ERR_INTERNAL)
                                    && zyn_mono_msecs () < give_up),
                           "scan failed: %s", err.message);
            if (!page)
                zclock_sleep (50);
        }
        zyn_value_destroy (&request);
        zyn_value_t *items = zyn_value_map_get (page, "Items");
        for (size_t i = 0; i < zyn_value_size (items); i++) {
            zyn_value_t *item = zyn_value_list_get (items, i);
            if (!zyn_value_map_get (item, "g")
                || !zyn_value_map_get (item, "n"))
                continue;
            ck_assert_msg (!index || !zyn_value_map_get (item, "w"),
                           "index projects an attribute it should not");
            char key [256];
            s_entry_key (item, key, sizeof (key));
            ck_assert_msg (!zhashx_lookup (entries, key),
                           "entry %s appears twice", key);
            zhashx_insert (entries, key, (void *) 1);
        }
        start = zyn_value_map_take (page, "LastEvaluatedKey");
        zyn_value_destroy (&page);
    } while (start);
    return entries;
}

//  Returns the number of differences between the two sets
static size_t
s_differences (zhashx_t *expected, zhashx_t *actual, char *example,
               size_t size)
{
    size_t differences = 0;
    example [0] = 0;
    for (void *item = zhashx_first (expected); item;
         item = zhashx_next (expected)) {
        const char *key = (const char *) zhashx_cursor (expected);
        if (!zhashx_lookup (actual, key)) {
            if (!differences++)
                snprintf (example, size, "missing %s", key);
        }
    }
    for (void *item = zhashx_first (actual); item;
         item = zhashx_next (actual)) {
        const char *key = (const char *) zhashx_cursor (actual);
        if (!zhashx_lookup (expected, key)) {
            if (!differences++)
                snprintf (example, size, "stale %s", key);
        }
    }
    return differences;
}

//  Wait until the index byg of table equals the index computed from the
//  base table, at most timeout_ms. Returns the number of entries.
static size_t
s_wait_converged (zyn_client_t *client, const char *table, int timeout_ms)
{
    int64_t deadline = zyn_mono_msecs () + timeout_ms;
    while (true) {
        zhashx_t *expected = s_scan_entries (client, table, false);
        zhashx_t *actual = s_scan_entries (client, table, true);
        char example [300];
        size_t differences = s_differences (expected, actual, example,
                                            sizeof (example));
        size_t size = zhashx_size (expected);
        zhashx_destroy (&expected);
        zhashx_destroy (&actual);
        if (differences == 0)
            return size;
        ck_assert_msg (zyn_mono_msecs () < deadline,
                       "index not converged: %zu differences, e.g. %s",
                       differences, example);
        zclock_sleep (200);
    }
}

//  The IndexStatus and Backfilling of byg in DescribeTable
static void
s_index_status (zyn_client_t *client, const char *table, char *status,
                size_t size, bool *backfilling)
{
    char json [128];
    snprintf (json, sizeof (json), "{\"TableName\": \"%s\"}", table);
    zyn_value_t *reply = zyn_testcluster_ok (client, "DescribeTable", json);
    zyn_value_t *gsis = zyn_value_map_get (
        zyn_value_map_get (reply, "Table"), "GlobalSecondaryIndexes");
    ck_assert_msg (gsis && zyn_value_size (gsis) == 1, "no index described");
    zyn_value_t *gsi = zyn_value_list_get (gsis, 0);
    snprintf (status, size, "%s", zyn_value_map_get_s (gsi, "IndexStatus"));
    zyn_value_t *flag = zyn_value_map_get (gsi, "Backfilling");
    *backfilling = flag && zyn_value_bool (flag);
    zyn_value_destroy (&reply);
}

//  --------------------------------------------------------------------------

START_TEST (test_converges_after_burst)
{
    zyn_testcluster_t *cluster = zyn_testcluster_new ("e2e-gsi-burst", 2);
    zyn_testcluster_start_indexer (cluster);
    zyn_error_t err = { 0 };
    zyn_client_t *client
        = zyn_client_new (zyn_testcluster_endpoint (cluster), &err);
    s_create_table (client, "burst", true);
    s_burst (client, "burst", 0, 6000, 1);
    size_t entries = s_wait_converged (client, "burst", 30000);
    ck_assert_uint_gt (entries, 100);

    //  Many items per index key, ordered by n then the base key
    zyn_value_t *reply = zyn_testcluster_ok (
        client, "Query",
        "{\"TableName\": \"burst\", \"IndexName\": \"byg\", "
        "\"KeyConditionExpression\": \"g = :g AND n BETWEEN :a AND :b\", "
        "\"ExpressionAttributeValues\": {\":g\": {\"S\": \"g3\"}, "
        "\":a\": {\"N\": \"10\"}, \":b\": {\"N\": \"30\"}}}");
    zyn_value_t *items = zyn_value_map_get (reply, "Items");
    ck_assert_uint_gt (zyn_value_size (items), 2);
    for (size_t i = 1; i < zyn_value_size (items); i++) {
        zyn_value_t *a = zyn_value_list_get (items, i - 1);
        zyn_value_t *b = zyn_value_list_get (items, i);
        int cmp = zyn_value_compare (zyn_value_map_get (a, "n"),
                                     zyn_value_map_get (b, "n"));
        if (cmp == 0)
            cmp = zyn_value_compare (zyn_value_map_get (a, "pk"),
                                     zyn_value_map_get (b, "pk"));
        if (cmp == 0)
            cmp = zyn_value_compare (zyn_value_map_get (a, "sk"),
                                     zyn_value_map_get (b, "sk"));
        ck_assert_int_lt (cmp, 0);
        ck_assert_str_eq (zyn_value_map_get_s (b, "g"), "g3");
    }
    zyn_value_destroy (&reply);

    //  Deleting the index drops it
    reply = zyn_testcluster_ok (client, "UpdateTable",
                  "{\"TableName\": \"burst\", \"GlobalSecondaryIndexUpdates\":"
                  " [{\"Delete\": {\"IndexName\": \"byg\"}}]}");
    zyn_value_destroy (&reply);
    reply = zyn_testcluster_call (client, "Query",
                    "{\"TableName\": \"burst\", \"IndexName\": \"byg\", "
                    "\"KeyConditionExpression\": \"g = :g\", "
                    "\"ExpressionAttributeValues\": {\":g\": {\"S\": \"g3\"}}}",
                    &err);
    ck_assert_ptr_null (reply);
    ck_assert_str_eq (zyn_error_name (err.type), "ValidationException");
    ck_assert_str_eq (err.message,
                      "The table does not have the specified index: byg");
    zyn_client_destroy (&client);
    zyn_testcluster_destroy (&cluster);
}
END_TEST

START_TEST (test_indexer_killed_mid_burst)
{
    zyn_testcluster_t *cluster = zyn_testcluster_new ("e2e-gsi-kill", 2);
    zyn_testcluster_start_indexer (cluster);
    zyn_error_t err = { 0 };
    zyn_client_t *client
        = zyn_client_new (zyn_testcluster_endpoint (cluster), &err);
    s_create_table (client, "killed", true);
    s_burst (client, "killed", 0, 4000, 2);
    zyn_testcluster_stop_indexer (cluster, SIGKILL);
    s_burst (client, "killed", 4000, 4000, 2);
    zyn_testcluster_start_indexer (cluster);
    s_burst (client, "killed", 8000, 2000, 2);
    s_wait_converged (client, "killed", 30000);

    //  And again while it is busy catching up
    zyn_testcluster_stop_indexer (cluster, SIGKILL);
    s_burst (client, "killed", 10000, 3000, 2);
    zyn_testcluster_start_indexer (cluster);
    s_burst (client, "killed", 13000, 3000, 2);
    zyn_testcluster_stop_indexer (cluster, SIGKILL);
    zyn_testcluster_start_indexer (cluster);
    s_wait_converged (client, "killed", 30000);
    zyn_client_destroy (&client);
    zyn_testcluster_destroy (&cluster);
}
END_TEST

START_TEST (test_backfill_while_writing)
{
    zyn_testcluster_t *cluster = zyn_testcluster_new ("e2e-gsi-backfill", 2);
    zyn_testcluster_start_indexer (cluster);
    zyn_error_t err = { 0 };
    zyn_client_t *client
        = zyn_client_new (zyn_testcluster_endpoint (cluster), &err);
    s_create_table (client, "filled", false);
    s_load (client, "filled", 100000);

    char json [2048];
    snprintf (json, sizeof (json),
              "{\"TableName\": \"filled\", %s, "
              "\"GlobalSecondaryIndexUpdates\": [{\"Create\": %s}]}",
              s_attrs, s_index);
    zyn_value_t *reply = zyn_testcluster_ok (client, "UpdateTable", json);
    zyn_value_destroy (&reply);
    char status [32];
    bool backfilling;
    s_index_status (client, "filled", status, sizeof (status), &backfilling);
    ck_assert_str_eq (status, "CREATING");
    ck_assert (backfilling);
    reply = zyn_testcluster_call (client, "Query",
                    "{\"TableName\": \"filled\", \"IndexName\": \"byg\", "
                    "\"KeyConditionExpression\": \"g = :g\", "
                    "\"ExpressionAttributeValues\": {\":g\": {\"S\": \"g3\"}}}",
                    &err);
    ck_assert_ptr_null (reply);
    ck_assert_str_eq (zyn_error_name (err.type), "ValidationException");
    ck_assert_str_eq (err.message,
                      "Cannot read from backfilling global secondary index");

    //  Writes go on while the index fills, and the indexer is killed and
    //  stopped mid-backfill: it resumes from its stored scan position
    s_burst (client, "filled", 0, 2500, 3);
    zyn_testcluster_stop_indexer (cluster, SIGKILL);
    zyn_testcluster_start_indexer (cluster);
    s_burst (client, "filled", 2500, 2500, 3);
    zyn_testcluster_stop_indexer (cluster, SIGTERM);
    zyn_testcluster_start_indexer (cluster);
    int64_t deadline = zyn_mono_msecs () + 120000;
    do {
        ck_assert_msg (zyn_mono_msecs () < deadline, "backfill not done");
        zclock_sleep (200);
        s_index_status (client, "filled", status, sizeof (status),
                        &backfilling);
    } while (!streq (status, "ACTIVE"));
    ck_assert (!backfilling);
    size_t entries = s_wait_converged (client, "filled", 30000);
    ck_assert_uint_gt (entries, 100000);
    zyn_client_destroy (&client);
    zyn_testcluster_destroy (&cluster);
}
END_TEST

static Suite *
zyn_e2e_gsi_suite (void)
{
    Suite *suite = suite_create ("e2e_gsi");
    TCase *tcase = tcase_create ("converge");
    tcase_set_timeout (tcase, 120);
    tcase_add_test (tcase, test_converges_after_burst);
    tcase_add_test (tcase, test_indexer_killed_mid_burst);
    suite_add_tcase (suite, tcase);
    tcase = tcase_create ("backfill");
    tcase_set_timeout (tcase, 300);
    tcase_add_test (tcase, test_backfill_while_writing);
    suite_add_tcase (suite, tcase);
    return suite;
}

ZYN_TEST_MAIN (zyn_e2e_gsi_suite)

/*  =========================================================================
    check_e2e_direct - end-to-end suite of the direct path: item requests
    sent by libzynamo straight to the worker holding the key

    Real broker and worker processes. Checks that item requests do take
    the direct path and give the same answers and errors as through the
    broker, that a stale route (a table dropped and created again) is
    sent again through the broker transparently, that a worker's front
    door refuses what it does not serve, and that a worker killed with
    requests in flight leaves none of them unanswered.
    =========================================================================
*/

#include "zyn_prelude.h"
#include "zyn_json.h"
#include "zyn_keycode.h"
#include "zyn_proto.h"
#include "zyn_wire.h"
#include "zyn_testcluster.h"
#include "zyn_testutil.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>

static zyn_value_t *
s_request (const char *json)
{
    zyn_error_t err = { 0 };
    zyn_value_t *request = zyn_json_to_request (json, strlen (json), &err);
    ck_assert_msg (request, "bad test request %s: %s", json, err.message);
    return request;
}

//  Call operation, asserting success; the reply is dropped
static void
s_ok (zyn_client_t *client, const char *operation, const char *json)
{
    zyn_value_t *reply = zyn_testcluster_ok (client, operation, json);
    zyn_value_destroy (&reply);
}

static void
s_create_table (zyn_client_t *client, const char *table)
{
    char json [512];
    snprintf (json, sizeof (json),
              "{\"TableName\":\"%s\",\"ZynPartitions\":4,"
              "\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"},"
              "{\"AttributeName\":\"sk\",\"KeyType\":\"RANGE\"}],"
              "\"AttributeDefinitions\":[{\"AttributeName\":\"pk\","
              "\"AttributeType\":\"S\"},{\"AttributeName\":\"sk\","
              "\"AttributeType\":\"N\"}],"
              "\"BillingMode\":\"PAY_PER_REQUEST\"}", table);
    s_ok (client, "CreateTable", json);
    zyn_error_t err = { 0 };
    ck_assert_msg (zyn_client_wait_active (client, table, 15000, &err) == 0,
                   "table %s not ACTIVE: %s", table, err.message);
}

static void
s_put (zyn_client_t *client, const char *table, int i, const char *value)
{
    char json [256];
    snprintf (json, sizeof (json),
              "{\"TableName\":\"%s\",\"Item\":{\"pk\":{\"S\":\"k%d\"},"
              "\"sk\":{\"N\":\"%d\"},\"v\":{\"S\":\"%s\"}}}",
              table, i, i % 7, value);
    s_ok (client, "PutItem", json);
}

//  The value "v" of item i, or NULL if there is none (caller frees)
static char *
s_get (zyn_client_t *client, const char *table, int i)
{
    char json [256];
    snprintf (json, sizeof (json),
              "{\"TableName\":\"%s\",\"Key\":{\"pk\":{\"S\":\"k%d\"},"
              "\"sk\":{\"N\":\"%d\"}},\"ConsistentRead\":true}",
              table, i, i % 7);
    zyn_error_t err = { 0 };
    zyn_value_t *reply = zyn_testcluster_call (client, "GetItem", json, &err);
    ck_assert_msg (reply, "GetItem k%d failed: %s", i, err.message);
    zyn_value_t *item = zyn_value_map_get (reply, "Item");
    const char *value = item ? zyn_value_map_get_s (item, "v") : NULL;
    char *copy = value ? strdup (value) : NULL;
    zyn_value_destroy (&reply);
    return copy;
}

static void
s_expect (zyn_client_t *client, const char *table, int i, const char *value)
{
    char *got = s_get (client, table, i);
    ck_assert_msg (got && streq (got, value), "k%d: got %s, expected %s", i,
                   got ? got : "(none)", value);
    free (got);
}

//  Read item 0 until the client has learnt the routes (it asks at most
//  every DIRECT_ROUTES_MIN_INTERVAL), at most 5 s
static void
s_wait_direct (zyn_client_t *client, const char *table, const char *value)
{
    uint64_t before = zyn_client_direct_sent (client);
    int64_t deadline = zyn_mono_msecs () + 5000;
    while (zyn_client_direct_sent (client) == before
           && zyn_mono_msecs () < deadline)
        s_expect (client, table, 0, value);
    ck_assert_uint_gt (zyn_client_direct_sent (client), before);
}

//  --------------------------------------------------------------------------
//  Item requests take the direct path and answer as the broker does

START_TEST (test_direct)
{
    zyn_testcluster_t *cluster = zyn_testcluster_new ("e2e-direct", 2);
    zyn_client_t *client = zyn_testcluster_client (cluster);
    s_create_table (client, "direct");
    s_put (client, "direct", 0, "one");
    s_wait_direct (client, "direct", "one");
    //  Once the routes are known, every item request goes straight to
    //  the workers
    uint64_t before = zyn_client_direct_sent (client);
    for (int i = 0; i < 200; i++)
        s_put (client, "direct", i, "one");
    for (int i = 0; i < 200; i++)
        s_expect (client, "direct", i, "one");
    ck_assert_uint_eq (zyn_client_direct_sent (client) - before, 400);
    ck_assert_uint_eq (zyn_client_direct_resent (client), 0);

    //  Updates, conditions and deletes, direct; a failed condition is the
    //  worker's own error
    s_ok (client, "UpdateItem",
          "{\"TableName\":\"direct\",\"Key\":{\"pk\":{\"S\":\"k3\"},"
          "\"sk\":{\"N\":\"3\"}},\"UpdateExpression\":\"SET v = :v\","
          "\"ExpressionAttributeValues\":{\":v\":{\"S\":\"two\"}}}");
    s_expect (client, "direct", 3, "two");
    zyn_testcluster_fails (client, "PutItem",
             "{\"TableName\":\"direct\",\"Item\":{\"pk\":{\"S\":\"k3\"},"
             "\"sk\":{\"N\":\"3\"}},"
             "\"ConditionExpression\":\"attribute_not_exists(pk)\"}",
             ZYN_ERR_CONDITIONAL_CHECK_FAILED, "The conditional request failed");
    s_ok (client, "DeleteItem",
          "{\"TableName\":\"direct\",\"Key\":{\"pk\":{\"S\":\"k4\"},"
          "\"sk\":{\"N\":\"4\"}}}");
    char *gone = s_get (client, "direct", 4);
    ck_assert_ptr_null (gone);

    //  What the broker refuses is still refused with its exact message
    //  (such requests are not sent direct)
    zyn_testcluster_fails (client, "GetItem",
             "{\"TableName\":\"direct\",\"Key\":{\"pk\":{\"S\":\"k1\"}}}",
             ZYN_ERR_VALIDATION,
             "The provided key element does not match the schema");
    zyn_testcluster_fails (client, "PutItem",
             "{\"TableName\":\"direct\",\"Item\":{\"pk\":{\"N\":\"1\"},"
             "\"sk\":{\"N\":\"1\"}}}",
             ZYN_ERR_VALIDATION,
             "One or more parameter values were invalid: Type mismatch for "
             "key pk expected: S actual: N");
    zyn_testcluster_fails (client, "PutItem",
             "{\"TableName\":\"direct\",\"Item\":{\"pk\":{\"S\":\"\"},"
             "\"sk\":{\"N\":\"1\"}}}",
             ZYN_ERR_VALIDATION,
             "One or more parameter values are not valid. The AttributeValue "
             "for a key attribute cannot contain an empty string value. "
             "Key: pk");
    zyn_testcluster_fails (client, "GetItem",
             "{\"TableName\":\"nosuch\",\"Key\":{\"pk\":{\"S\":\"k1\"},"
             "\"sk\":{\"N\":\"1\"}}}",
             ZYN_ERR_RESOURCE_NOT_FOUND, "Requested resource not found");
    //  A malformed expression is the worker's ValidationException
    zyn_testcluster_fails (client, "UpdateItem",
             "{\"TableName\":\"direct\",\"Key\":{\"pk\":{\"S\":\"k1\"},"
             "\"sk\":{\"N\":\"1\"}},\"UpdateExpression\":\"SET\"}",
             ZYN_ERR_VALIDATION,
             "Invalid UpdateExpression: Syntax error; token: \"<EOF>\", "
             "near: \"SET\"");
    s_expect (client, "direct", 1, "one");

    //  A client with the direct path off sees the same data, all through
    //  the broker
    zyn_client_t *plain = zyn_testcluster_client (cluster);
    zyn_client_set_direct (plain, false);
    for (int i = 0; i < 20; i++)
        if (i != 4)
            s_expect (plain, "direct", i, i == 3 ? "two" : "one");
    ck_assert_uint_eq (zyn_client_direct_sent (plain), 0);
    zyn_client_destroy (&plain);
    zyn_client_destroy (&client);
    zyn_testcluster_destroy (&cluster);
}
END_TEST

//  --------------------------------------------------------------------------
//  A table dropped and created again under the same name has a new id:
//  the client's old route is refused by the worker (ZynMisrouted) and the
//  request goes through the broker, then the routes are reloaded

START_TEST (test_stale_route)
{
    zyn_testcluster_t *cluster = zyn_testcluster_new ("e2e-stale", 2);
    zyn_client_t *client = zyn_testcluster_client (cluster);
    zyn_client_t *admin = zyn_testcluster_client (cluster);
    s_create_table (client, "again");
    for (int i = 0; i < 20; i++)
        s_put (client, "again", i, "old");
    s_wait_direct (client, "again", "old");

    //  Another client drops and recreates the table: this client's routes
    //  still name the old table id
    s_ok (admin, "DeleteTable", "{\"TableName\":\"again\"}");
    zyn_error_t err = { 0 };
    int64_t deadline = zyn_mono_msecs () + 15000;
    while (zyn_mono_msecs () < deadline) {
        zyn_value_t *reply = zyn_testcluster_call (admin, "DescribeTable",
                                     "{\"TableName\":\"again\"}", &err);
        if (!reply)
            break;
        zyn_value_destroy (&reply);
        zclock_sleep (50);
    }
    ck_assert_str_eq (zyn_error_name (err.type),
                      zyn_error_name (ZYN_ERR_RESOURCE_NOT_FOUND));
    s_create_table (admin, "again");

    uint64_t resent = zyn_client_direct_resent (client);
    for (int i = 0; i < 20; i++)
        s_put (client, "again", i, "new");
    ck_assert_uint_ge (zyn_client_direct_resent (client), resent + 1);
    for (int i = 0; i < 20; i++)
        s_expect (client, "again", i, "new");
    //  The old items went with the old table
    char *none = s_get (admin, "again", 25);
    ck_assert_ptr_null (none);

    //  Routes reloaded: direct again, without further resends
    s_wait_direct (client, "again", "new");
    uint64_t sent = zyn_client_direct_sent (client);
    resent = zyn_client_direct_resent (client);
    for (int i = 0; i < 20; i++)
        s_expect (client, "again", i, "new");
    ck_assert_uint_eq (zyn_client_direct_sent (client), sent + 20);
    ck_assert_uint_eq (zyn_client_direct_resent (client), resent);
    zyn_client_destroy (&admin);
    zyn_client_destroy (&client);
    zyn_testcluster_destroy (&cluster);
}
END_TEST

//  --------------------------------------------------------------------------
//  A worker's front door, spoken to with raw frames: it serves only item
//  requests for partitions and hashes it holds, and answers anything else
//  ZynMisrouted without doing it

//  Add one direct request's frame to msg: ZYN1 | request-id | route |
//  operation | body, written out here octet by octet
static void
s_direct_add (zmsg_t *msg, uint64_t request_id, const char *operation,
              uint64_t table_id, uint32_t partition_id, uint64_t hash,
              const char *json)
{
    zyn_value_t *request = s_request (json);
    size_t size;
    void *body = zyn_value_encode (request, &size);
    zyn_value_destroy (&request);
    size_t length = strlen (operation);
    zframe_t *frame = zframe_new (NULL, 4 + 8 + 20 + 1 + length + size);
    uint8_t *out = zframe_data (frame);
    memcpy (out, "ZYN1", 4);
    zyn_put_u64 (out + 4, request_id);
    zyn_put_u64 (out + 12, table_id);
    zyn_put_u32 (out + 20, partition_id);
    zyn_put_u64 (out + 24, hash);
    out [32] = (uint8_t) length;
    memcpy (out + 33, operation, length);
    memcpy (out + 33 + length, body, size);
    zmsg_append (msg, &frame);
    free (body);
}

//  Take answer frame apart (ZYN1 | request-id | status length | status
//  | body): checks the signature and the request id, returns the status
//  (caller frees) and where the body starts
static char *
s_answer (zframe_t *frame, uint64_t request_id, size_t *body_offset)
{
    ck_assert_ptr_nonnull (frame);
    const uint8_t *data = zframe_data (frame);
    size_t size = zframe_size (frame);
    ck_assert_uint_ge (size, 13);
    ck_assert_int_eq (memcmp (data, "ZYN1", 4), 0);
    ck_assert_uint_eq (zyn_get_u64 (data + 4), request_id);
    size_t length = data [12];
    ck_assert_uint_le (13 + length, size);
    char *status = (char *) malloc (length + 1);
    memcpy (status, data + 13, length);
    status [length] = 0;
    if (body_offset)
        *body_offset = 13 + length;
    return status;
}

//  Send one direct request and return the reply's status (caller frees)
static char *
s_direct_status (zsock_t *dealer, const char *operation, uint64_t table_id,
                 uint32_t partition_id, uint64_t hash, const char *json)
{
    zmsg_t *msg = zmsg_new ();
    s_direct_add (msg, 77, operation, table_id, partition_id, hash, json);
    ck_assert_int_eq (zmsg_send (&msg, dealer), 0);
    zsock_set_rcvtimeo (dealer, 5000);
    zmsg_t *reply = zmsg_recv (dealer);
    ck_assert_ptr_nonnull (reply);
    ck_assert_uint_eq (zmsg_size (reply), 1);
    char *status = s_answer (zmsg_first (reply), 77, NULL);
    zmsg_destroy (&reply);
    return status;
}

START_TEST (test_front_door)
{
    zyn_testcluster_t *cluster = zyn_testcluster_new ("e2e-front", 1);
    zyn_client_t *client = zyn_testcluster_client (cluster);
    s_create_table (client, "front");
    s_put (client, "front", 1, "one");

    zyn_error_t err = { 0 };
    zyn_value_t *routes
        = zyn_testcluster_call (client, "ZynGetRoutes", "{}", &err);
    ck_assert_ptr_nonnull (routes);
    zyn_value_t *tables = zyn_value_map_get (routes, "Tables");
    ck_assert_uint_eq (zyn_value_size (tables), 1);
    zyn_value_t *table = zyn_value_list_get (tables, 0);
    ck_assert_str_eq (zyn_value_map_get_s (table, "TableName"), "front");
    ck_assert_str_eq (zyn_value_map_get_s (table, "PartitionKey"), "pk");
    ck_assert_str_eq (zyn_value_map_get_s (table, "PartitionKeyType"), "S");
    ck_assert_str_eq (zyn_value_map_get_s (table, "SortKey"), "sk");
    ck_assert_str_eq (zyn_value_map_get_s (table, "SortKeyType"), "N");
    int64_t table_id = 0;
    ck_assert_int_eq (zyn_value_map_get_int (table, "TableId", &table_id), 0);
    zyn_value_t *parts = zyn_value_map_get (table, "Partitions");
    ck_assert_uint_eq (zyn_value_size (parts), 4);
    zyn_value_t *first = zyn_value_list_get (parts, 0);
    const char *endpoint = zyn_value_map_get_s (first, "Endpoint");
    ck_assert_ptr_nonnull (endpoint);
    ck_assert_int_eq (strncmp (endpoint, "tcp://127.0.0.1:", 16), 0);
    const char *front_id = zyn_value_map_get_s (first, "FrontId");
    ck_assert_ptr_nonnull (front_id);
    ck_assert_int_eq (strncmp (front_id, "zyn-", 4), 0);
    ck_assert_uint_eq (strlen (front_id), 4 + 24);
    //  And where clients on this host reach it: an abstract socket named
    //  after the front door, with this host's id (boot id / namespace)
    char local [80];
    snprintf (local, sizeof (local), "unix://@zynamo-%s", front_id);
    ck_assert_str_eq (zyn_value_map_get_s (first, "LocalEndpoint"), local);
    char host_id [64];
    ck_assert_int_eq (zyn_proto_host_id (host_id, sizeof (host_id)), 0);
    ck_assert_int_eq (host_id [36], '/');
    ck_assert_int_eq (strncmp (host_id + 37, "net:[", 5), 0);
    ck_assert_str_eq (zyn_value_map_get_s (first, "HostId"), host_id);
    int64_t partition_id = -1;
    zyn_value_map_get_int (first, "PartitionId", &partition_id);
    ck_assert_int_eq (partition_id, 0);
    //  Partition 0 holds the hashes 0 .. 2^62 - 1
    zsock_t *dealer = zsock_new_dealer (endpoint);
    ck_assert_ptr_nonnull (dealer);

    const char *put = "{\"TableName\":\"front\",\"Item\":{\"pk\":{\"S\":\"x\"},"
                      "\"sk\":{\"N\":\"1\"}}}";
    //  A partition it does not hold (another table id, a partition id
    //  past the table's), a hash outside the partition, an operation
    //  that is not an item request: ZynMisrouted, nothing written
    char *status = s_direct_status (dealer, "PutItem", (uint64_t) table_id + 99,
                                    0, 0, put);
    ck_assert_str_eq (status, ZYN_PROTO_MISROUTED);
    free (status);
    status = s_direct_status (dealer, "PutItem", (uint64_t) table_id, 9, 0,
                              put);
    ck_assert_str_eq (status, ZYN_PROTO_MISROUTED);
    free (status);
    status = s_direct_status (dealer, "PutItem", (uint64_t) table_id, 0,
                              UINT64_MAX, put);
    ck_assert_str_eq (status, ZYN_PROTO_MISROUTED);
    free (status);
    status = s_direct_status (dealer, "Scan", (uint64_t) table_id, 0, 0,
                              "{\"TableName\":\"front\"}");
    ck_assert_str_eq (status, ZYN_PROTO_MISROUTED);
    free (status);
    //  A route that claims the right partition for a key that is not in
    //  it: the worker's own fence refuses it (the key's real hash decides)
    uint64_t hash = 0;
    bool outside = false;
    for (int i = 0; i < 64 && !outside; i++) {
        //  Find a key whose hash is not in partition 0
        char key [32];
        snprintf (key, sizeof (key), "x%d", i);
        zyn_value_t *value = zyn_value_new_s (key);
        uint8_t buf [64];
        size_t size = 0;
        ck_assert_int_eq (zyn_keycode_append (buf, &size, value, NULL), 0);
        hash = zyn_keycode_hash (buf, size);
        zyn_value_destroy (&value);
        if (hash >= (1ULL << 62)) {
            char json [256];
            snprintf (json, sizeof (json),
                      "{\"TableName\":\"front\",\"Item\":{\"pk\":{\"S\":\"%s\"},"
                      "\"sk\":{\"N\":\"1\"}}}", key);
            status = s_direct_status (dealer, "PutItem", (uint64_t) table_id,
                                      0, 0, json);
            ck_assert_str_eq (status, "InternalServerError");
            free (status);
            outside = true;
        }
    }
    ck_assert (outside);
    //  Nothing of that was written
    zyn_value_t *scan = zyn_testcluster_call (
        client, "Scan", "{\"TableName\":\"front\"}", &err);
    ck_assert_ptr_nonnull (scan);
    int64_t count = 0;
    zyn_value_map_get_int (scan, "Count", &count);
    ck_assert_int_eq (count, 1);
    zyn_value_destroy (&scan);
    //  The process keeps serving: the right route is served
    uint8_t buf [64];
    size_t size = 0;
    zyn_value_t *value = zyn_value_new_s ("k1");
    zyn_keycode_append (buf, &size, value, NULL);
    zyn_value_destroy (&value);
    hash = zyn_keycode_hash (buf, size);
    uint32_t index = (uint32_t) (hash >> 62);
    zyn_value_t *part = zyn_value_list_get (parts, index);
    zsock_t *owner = zsock_new_dealer (zyn_value_map_get_s (part, "Endpoint"));
    status = s_direct_status (owner, "GetItem", (uint64_t) table_id, index,
                              hash,
                              "{\"TableName\":\"front\",\"Key\":{\"pk\":{"
                              "\"S\":\"k1\"},\"sk\":{\"N\":\"1\"}}}");
    ck_assert_str_eq (status, "OK");
    free (status);
    zsock_destroy (&owner);
    zsock_destroy (&dealer);
    zyn_value_destroy (&routes);
    zyn_client_destroy (&client);
    zyn_testcluster_destroy (&cluster);
}
END_TEST

//  --------------------------------------------------------------------------
//  Several requests in one front door message: one reply message, a
//  frame per request in order. A frame without the signature ends the
//  message; a message of more than ZYN_PROTO_DIRECT_BATCH_MAX requests is
//  dropped whole.

//  Check answer i of reply (ZYN1 | request-id | status | body) and
//  return its body decoded (caller destroys)
static zyn_value_t *
s_reply_group (zmsg_t *reply, size_t i, uint64_t request_id,
               const char *status)
{
    zframe_t *frame = zmsg_first (reply);
    for (size_t skip = 0; skip < i; skip++)
        frame = zmsg_next (reply);
    size_t offset = 0;
    char *got = s_answer (frame, request_id, &offset);
    ck_assert_str_eq (got, status);
    free (got);
    zyn_value_t *body = zyn_value_decode (zframe_data (frame) + offset,
                                          zframe_size (frame) - offset, NULL);
    ck_assert_ptr_nonnull (body);
    return body;
}

//  Send *msg_p on dealer and return the reply, which must have frames
//  frames (caller destroys it)
static zmsg_t *
s_exchange (zsock_t *dealer, zmsg_t **msg_p, size_t frames)
{
    ck_assert_int_eq (zmsg_send (msg_p, dealer), 0);
    zmsg_t *reply = zmsg_recv (dealer);
    ck_assert_ptr_nonnull (reply);
    ck_assert_uint_eq (zmsg_size (reply), frames);
    return reply;
}

//  As s_reply_group, for a group whose body is not looked at
static void
s_expect_group (zmsg_t *reply, size_t i, uint64_t request_id,
                const char *status)
{
    zyn_value_t *body = s_reply_group (reply, i, request_id, status);
    zyn_value_destroy (&body);
}

//  The routes (*routes_p, the caller destroys it) and where key "b" of
//  the only table lives: the table id, the partition holding it (of
//  four: hash >> 62) and the key's hash. Returns that partition's entry,
//  borrowed from the routes.
static zyn_value_t *
s_route_of_b (zyn_client_t *client, zyn_value_t **routes_p,
              uint64_t *table_id, uint32_t *index, uint64_t *hash)
{
    zyn_error_t err = { 0 };
    *routes_p = zyn_testcluster_call (client, "ZynGetRoutes", "{}", &err);
    ck_assert_ptr_nonnull (*routes_p);
    zyn_value_t *table = zyn_value_list_get (
        zyn_value_map_get (*routes_p, "Tables"), 0);
    int64_t id = 0;
    ck_assert_int_eq (zyn_value_map_get_int (table, "TableId", &id), 0);
    *table_id = (uint64_t) id;
    uint8_t buf [64];
    size_t size = 0;
    zyn_value_t *value = zyn_value_new_s ("b");
    zyn_keycode_append (buf, &size, value, NULL);
    zyn_value_destroy (&value);
    *hash = zyn_keycode_hash (buf, size);
    *index = (uint32_t) (*hash >> 62);
    zyn_value_t *part = zyn_value_list_get (
        zyn_value_map_get (table, "Partitions"), *index);
    ck_assert_ptr_nonnull (part);
    return part;
}

//  Two malformed request frames: cut short after request id 7, and
//  request id 8 with an operation of 200 octets running past the end
static void
s_malformed (uint8_t *cut, uint8_t *overlong)
{
    memcpy (cut, "ZYN1", 4);
    zyn_put_u64 (cut + 4, 7);
    memset (overlong, 0, 40);
    memcpy (overlong, "ZYN1", 4);
    zyn_put_u64 (overlong + 4, 8);
    overlong [32] = 200;
}

START_TEST (test_front_door_batch)
{
    zyn_testcluster_t *cluster = zyn_testcluster_new ("e2e-batch", 1);
    zyn_client_t *client = zyn_testcluster_client (cluster);
    s_create_table (client, "batch");
    zyn_error_t err = { 0 };
    zyn_value_t *routes = NULL;
    uint64_t table_id, hash;
    uint32_t index;
    zyn_value_t *part = s_route_of_b (client, &routes, &table_id, &index,
                                      &hash);
    //  Through the ZeroMQ front door, as clients on other machines go
    zsock_t *dealer = zsock_new_dealer (zyn_value_map_get_s (
                                            part, "Endpoint"));
    ck_assert_ptr_nonnull (dealer);
    zsock_set_rcvtimeo (dealer, 5000);
    const char *put = "{\"TableName\":\"batch\",\"Item\":{\"pk\":{\"S\":"
                      "\"b\"},\"sk\":{\"N\":\"1\"},\"v\":{\"S\":\"one\"}}}";
    const char *get = "{\"TableName\":\"batch\",\"Key\":{\"pk\":{\"S\":"
                      "\"b\"},\"sk\":{\"N\":\"1\"}}}";

    //  A write, a read of it, a misrouted write: three replies, in order,
    //  in one message; the read sees the write before it
    zmsg_t *msg = zmsg_new ();
    s_direct_add (msg, 1, "PutItem", table_id, index, hash, put);
    s_direct_add (msg, 2, "GetItem", table_id, index, hash, get);
    s_direct_add (msg, 3, "PutItem", table_id + 99, index, hash,
                  put);
    zmsg_t *reply = s_exchange (dealer, &msg, 3);
    s_expect_group (reply, 0, 1, ZYN_PROTO_OK);
    zyn_value_t *body = s_reply_group (reply, 1, 2, ZYN_PROTO_OK);
    zyn_value_t *item = zyn_value_map_get (body, "Item");
    ck_assert_ptr_nonnull (item);
    ck_assert_str_eq (zyn_value_map_get_s (item, "v"), "one");
    zyn_value_destroy (&body);
    s_expect_group (reply, 2, 3, ZYN_PROTO_MISROUTED);
    zmsg_destroy (&reply);

    //  The second frame without its signature: the first is answered,
    //  the rest dropped
    msg = zmsg_new ();
    s_direct_add (msg, 4, "GetItem", table_id, index, hash, get);
    zmsg_addstr (msg, "ZYN9");
    s_direct_add (msg, 5, "GetItem", table_id, index, hash, get);
    reply = s_exchange (dealer, &msg, 1);
    s_expect_group (reply, 0, 4, ZYN_PROTO_OK);
    zmsg_destroy (&reply);

    //  A frame cut short after its request id, and one whose operation
    //  runs past its end: answered as malformed, and the frame after
    //  them still served
    msg = zmsg_new ();
    s_direct_add (msg, 6, "GetItem", table_id, index, hash, get);
    uint8_t cut [12], overlong [40];
    s_malformed (cut, overlong);
    zmsg_addmem (msg, cut, sizeof (cut));
    zmsg_addmem (msg, overlong, sizeof (overlong));
    s_direct_add (msg, 9, "GetItem", table_id, index, hash, get);
    reply = s_exchange (dealer, &msg, 4);
    s_expect_group (reply, 0, 6, ZYN_PROTO_OK);
    body = s_reply_group (reply, 1, 7, "SerializationException");
    ck_assert_str_eq (zyn_value_map_get_s (body, "message"),
                      "Malformed request frames");
    zyn_value_destroy (&body);
    body = s_reply_group (reply, 2, 8, "SerializationException");
    ck_assert_str_eq (zyn_value_map_get_s (body, "message"),
                      "Malformed request frames");
    zyn_value_destroy (&body);
    s_expect_group (reply, 3, 9, ZYN_PROTO_OK);
    zmsg_destroy (&reply);

    //  One request too many: nothing of it is done or answered
    msg = zmsg_new ();
    for (int i = 0; i <= ZYN_PROTO_DIRECT_BATCH_MAX; i++)
        s_direct_add (msg, 100 + (uint64_t) i, "PutItem",
                      table_id, index, hash,
                      "{\"TableName\":\"batch\",\"Item\":{\"pk\":{\"S\":"
                      "\"b\"},\"sk\":{\"N\":\"1\"},\"v\":{\"S\":\"lost\"}}}");
    ck_assert_int_eq (zmsg_send (&msg, dealer), 0);
    //  The worker keeps serving, and the item is unchanged
    char *status = s_direct_status (dealer, "GetItem", table_id,
                                    index, hash, get);
    ck_assert_str_eq (status, "OK");
    free (status);
    zyn_value_t *got = zyn_testcluster_call (client, "GetItem", get, &err);
    ck_assert_ptr_nonnull (got);
    ck_assert_str_eq (zyn_value_map_get_s (zyn_value_map_get (got, "Item"),
                                           "v"), "one");
    zyn_value_destroy (&got);
    zsock_destroy (&dealer);
    zyn_value_destroy (&routes);
    zyn_client_destroy (&client);
    zyn_testcluster_destroy (&cluster);
}
END_TEST

//  --------------------------------------------------------------------------
//  The local front door: the same frames, length-prefixed, on a plain
//  Unix stream socket. Answers come in order; a frame without the
//  signature is dropped and the stream goes on; frames cut short are
//  answered as malformed; there is no per-message limit; a length no
//  frame may have closes the connection and nothing else

static zyn_wire_t *
s_local_connect (const char *endpoint)
{
    ck_assert_ptr_nonnull (endpoint);
    int fd = zyn_wire_connect (endpoint);
    ck_assert_msg (fd >= 0, "cannot connect to %s: %s", endpoint,
                   strerror (errno));
    return zyn_wire_new (fd);
}

//  Queue octets as one frame on wire
static void
s_local_raw (zyn_wire_t *wire, const void *data, size_t size)
{
    memcpy (zyn_wire_reserve (wire, size), data, size);
}

//  Queue one direct request frame on wire, as s_direct_add builds it
static void
s_local_add (zyn_wire_t *wire, uint64_t request_id, const char *operation,
             uint64_t table_id, uint32_t partition_id, uint64_t hash,
             const char *json)
{
    zmsg_t *msg = zmsg_new ();
    s_direct_add (msg, request_id, operation, table_id, partition_id, hash,
                  json);
    zframe_t *frame = zmsg_first (msg);
    s_local_raw (wire, zframe_data (frame), zframe_size (frame));
    zmsg_destroy (&msg);
}

//  Write what wire holds, then wait up to 5 s for the next answer frame:
//  returns it (caller destroys), or NULL if the worker closed the link
static zframe_t *
s_local_answer (zyn_wire_t *wire)
{
    while (zyn_wire_pending (wire)) {
        ck_assert_int_ge (zyn_wire_write (wire), 0);
        struct pollfd item = { zyn_wire_fd (wire), POLLOUT, 0 };
        if (zyn_wire_pending (wire))
            ck_assert_int_eq (poll (&item, 1, 5000), 1);
    }
    while (true) {
        const uint8_t *frame;
        size_t size;
        int rc = zyn_wire_next (wire, &frame, &size);
        ck_assert_int_ge (rc, 0);
        if (rc == 1)
            return zframe_new (frame, size);
        struct pollfd item = { zyn_wire_fd (wire), POLLIN, 0 };
        ck_assert_int_eq (poll (&item, 1, 5000), 1);
        if (zyn_wire_read (wire) < 0)
            return NULL;
    }
}

//  The next answer must be request_id's with status; returns its body
//  decoded (caller destroys)
static zyn_value_t *
s_local_expect (zyn_wire_t *wire, uint64_t request_id, const char *status)
{
    zframe_t *frame = s_local_answer (wire);
    ck_assert_ptr_nonnull (frame);
    size_t offset = 0;
    char *got = s_answer (frame, request_id, &offset);
    ck_assert_str_eq (got, status);
    free (got);
    zyn_value_t *body = zyn_value_decode (zframe_data (frame) + offset,
                                          zframe_size (frame) - offset, NULL);
    ck_assert_ptr_nonnull (body);
    zframe_destroy (&frame);
    return body;
}

START_TEST (test_local_front_door)
{
    zyn_testcluster_t *cluster = zyn_testcluster_new ("e2e-local", 1);
    zyn_client_t *client = zyn_testcluster_client (cluster);
    s_create_table (client, "local");
    zyn_error_t err = { 0 };
    zyn_value_t *routes = NULL;
    uint64_t id, hash;
    uint32_t index;
    zyn_value_t *part = s_route_of_b (client, &routes, &id, &index, &hash);
    const char *endpoint = zyn_value_map_get_s (part, "LocalEndpoint");
    ck_assert_int_eq (strncmp (endpoint, "unix://@zynamo-zyn-", 19), 0);
    zyn_wire_t *wire = s_local_connect (endpoint);
    const char *put = "{\"TableName\":\"local\",\"Item\":{\"pk\":{\"S\":"
                      "\"b\"},\"sk\":{\"N\":\"1\"},\"v\":{\"S\":\"one\"}}}";
    const char *get = "{\"TableName\":\"local\",\"Key\":{\"pk\":{\"S\":"
                      "\"b\"},\"sk\":{\"N\":\"1\"}}}";

    //  A write, a read of it, a misrouted write: answered in order, the
    //  read sees the write before it
    s_local_add (wire, 1, "PutItem", id, index, hash, put);
    s_local_add (wire, 2, "GetItem", id, index, hash, get);
    s_local_add (wire, 3, "PutItem", id + 99, index, hash, put);
    zyn_value_t *body = s_local_expect (wire, 1, ZYN_PROTO_OK);
    zyn_value_destroy (&body);
    body = s_local_expect (wire, 2, ZYN_PROTO_OK);
    ck_assert_str_eq (zyn_value_map_get_s (zyn_value_map_get (body, "Item"),
                                           "v"), "one");
    zyn_value_destroy (&body);
    body = s_local_expect (wire, 3, ZYN_PROTO_MISROUTED);
    zyn_value_destroy (&body);

    //  A frame without the signature is dropped; the next is served
    s_local_add (wire, 4, "GetItem", id, index, hash, get);
    s_local_raw (wire, "ZYN9", 4);
    s_local_raw (wire, "", 0);
    s_local_add (wire, 5, "GetItem", id, index, hash, get);
    body = s_local_expect (wire, 4, ZYN_PROTO_OK);
    zyn_value_destroy (&body);
    body = s_local_expect (wire, 5, ZYN_PROTO_OK);
    zyn_value_destroy (&body);

    //  Cut short after the request id, an operation past the end:
    //  malformed, and the frame after them served
    uint8_t cut [12], overlong [40];
    s_malformed (cut, overlong);
    s_local_raw (wire, cut, sizeof (cut));
    s_local_raw (wire, overlong, sizeof (overlong));
    s_local_add (wire, 9, "GetItem", id, index, hash, get);
    for (uint64_t request_id = 7; request_id <= 8; request_id++) {
        body = s_local_expect (wire, request_id, "SerializationException");
        ck_assert_str_eq (zyn_value_map_get_s (body, "message"),
                          "Malformed request frames");
        zyn_value_destroy (&body);
    }
    body = s_local_expect (wire, 9, ZYN_PROTO_OK);
    zyn_value_destroy (&body);

    //  More requests in one write than a ZeroMQ message may carry: all
    //  answered, in order
    for (uint64_t i = 0; i < 3 * ZYN_PROTO_DIRECT_BATCH_MAX; i++)
        s_local_add (wire, 100 + i, "GetItem", id, index, hash, get);
    for (uint64_t i = 0; i < 3 * ZYN_PROTO_DIRECT_BATCH_MAX; i++) {
        body = s_local_expect (wire, 100 + i, ZYN_PROTO_OK);
        zyn_value_destroy (&body);
    }

    //  A length no frame may have: the worker closes this connection...
    uint8_t bad [4] = { 0xff, 0xff, 0xff, 0xff };
    ck_assert_int_eq (write (zyn_wire_fd (wire), bad, 4), 4);
    ck_assert_ptr_null (s_local_answer (wire));
    zyn_wire_destroy (&wire);

    //  ...and a client that leaves with requests unanswered changes
    //  nothing; the worker goes on serving, the item unchanged
    zyn_wire_t *leaving = s_local_connect (endpoint);
    for (uint64_t i = 0; i < 50; i++)
        s_local_add (leaving, 1000 + i, "GetItem", id, index, hash, get);
    ck_assert_int_ge (zyn_wire_write (leaving), 0);
    zyn_wire_destroy (&leaving);
    wire = s_local_connect (endpoint);
    s_local_add (wire, 2000, "GetItem", id, index, hash, get);
    body = s_local_expect (wire, 2000, ZYN_PROTO_OK);
    ck_assert_str_eq (zyn_value_map_get_s (zyn_value_map_get (body, "Item"),
                                           "v"), "one");
    zyn_value_destroy (&body);
    zyn_wire_destroy (&wire);
    zyn_value_t *got = zyn_testcluster_call (client, "GetItem", get, &err);
    ck_assert_ptr_nonnull (got);
    ck_assert_str_eq (zyn_value_map_get_s (zyn_value_map_get (got, "Item"),
                                           "v"), "one");
    zyn_value_destroy (&got);
    zyn_value_destroy (&routes);
    zyn_client_destroy (&client);
    zyn_testcluster_destroy (&cluster);
}
END_TEST

//  --------------------------------------------------------------------------
//  A worker killed with direct requests in flight: every request gets an
//  answer (reads are sent again through the broker, writes fail as
//  InternalServerError or ServiceUnavailable), none hangs

START_TEST (test_worker_killed)
{
    zyn_testcluster_t *cluster = zyn_testcluster_new ("e2e-killed", 2);
    zyn_client_t *client = zyn_testcluster_client (cluster);
    s_create_table (client, "killed");
    for (int i = 0; i < 100; i++)
        s_put (client, "killed", i, "v");
    s_wait_direct (client, "killed", "v");
    int total = 2000, in_flight = 64, sent = 0, replies = 0, ok = 0;
    bool killed = false;
    uint64_t before = zyn_client_direct_sent (client);
    while (replies < total) {
        while (sent < total && sent - replies < in_flight) {
            char json [256];
            snprintf (json, sizeof (json),
                      "{\"TableName\":\"killed\",\"Key\":{\"pk\":{\"S\":\"k%d\"},"
                      "\"sk\":{\"N\":\"%d\"}}}", sent % 100, (sent % 100) % 7);
            zyn_value_t *request = s_request (json);
            zyn_error_t err = { 0 };
            ck_assert_uint_ne (zyn_client_send (client, "GetItem", request,
                                                &err), 0);
            zyn_value_destroy (&request);
            sent++;
        }
        uint64_t id = 0;
        zyn_error_t err = { 0 };
        zyn_value_t *reply = zyn_client_recv (client, &id, 15000, &err);
        ck_assert_msg (id != 0, "a request was left unanswered: %s",
                       err.message);
        if (reply) {
            ck_assert_str_eq (zyn_value_map_get_s (
                zyn_value_map_get (reply, "Item"), "v"), "v");
            ok++;
        }
        else
            ck_assert_msg (err.type == ZYN_ERR_SERVICE_UNAVAILABLE
                           || err.type == ZYN_ERR_INTERNAL,
                           "unexpected %s: %s", zyn_error_name (err.type),
                           err.message);
        zyn_value_destroy (&reply);
        replies++;
        if (!killed && replies == 300) {
            zyn_testcluster_stop_worker (cluster, 0, SIGKILL);
            killed = true;
        }
    }
    ck_assert (killed);
    ck_assert_int_ge (ok, 300);
    ck_assert_uint_gt (zyn_client_direct_sent (client) - before, 300);
    //  Back again: everything is there, and served
    zyn_testcluster_start_worker (cluster, 0);
    for (int i = 0; i < 100; i++)
        s_expect (client, "killed", i, "v");
    zyn_client_destroy (&client);
    zyn_testcluster_destroy (&cluster);
}
END_TEST

//  --------------------------------------------------------------------------
//  The same through zynamo-gateway: its direct path reads replies straight
//  off the router (zyn_direct_drain); a stale route and a worker killed
//  with requests in flight leave no HTTP request unanswered

//  Start zynamo-gateway on the cluster's broker; returns its pid and sets
//  *port
static pid_t
s_gateway_start (zyn_testcluster_t *cluster, int *port)
{
    const char *builddir = getenv ("ZYN_BUILDDIR");
    char program [1100];
    snprintf (program, sizeof (program), "%s/zynamo-gateway",
              builddir ? builddir : ".");
    char port_file [1200];
    snprintf (port_file, sizeof (port_file), "%s/gw.ports",
              zyn_testcluster_dir (cluster));
    char *args [] = { program, "--http", "127.0.0.1:0", "--broker",
                      (char *) zyn_testcluster_endpoint (cluster),
                      "--port-file", port_file, NULL };
    pid_t pid = fork ();
    ck_assert_int_ge (pid, 0);
    if (pid == 0) {
        execv (args [0], args);
        _exit (127);
    }
    *port = 0;
    for (int attempt = 0; attempt < 2000 && !*port; attempt++) {
        FILE *file = fopen (port_file, "r");
        if (file) {
            if (fscanf (file, "http=127.0.0.1:%d", port) != 1)
                *port = 0;
            fclose (file);
        }
        if (!*port)
            zclock_sleep (10);
    }
    ck_assert_int_gt (*port, 0);
    return pid;
}

//  Send one keep-alive POST of operation with body on fd
static void
s_http_post (int fd, const char *operation, const char *body)
{
    char request [1024];
    int length = snprintf (request, sizeof (request),
                           "POST / HTTP/1.1\r\nHost: x\r\n"
                           "X-Amz-Target: DynamoDB_20120810.%s\r\n"
                           "Content-Length: %zu\r\n\r\n%s", operation,
                           strlen (body), body);
    ck_assert_int_eq (write (fd, request, (size_t) length), length);
}

//  Read one response from fd into buf; returns its status
static int
s_http_response (int fd, char *buf, size_t size)
{
    size_t used = 0;
    while (used < size - 1) {
        ssize_t got = read (fd, buf + used, size - 1 - used);
        ck_assert_msg (got > 0, "no HTTP response");
        used += (size_t) got;
        buf [used] = 0;
        char *split = strstr (buf, "\r\n\r\n");
        const char *length = strcasestr (buf, "Content-Length:");
        if (split && length && length < split
            && used >= (size_t) (split + 4 - buf)
                           + strtoul (length + 15, NULL, 10)) {
            int status = 0;
            ck_assert_int_eq (sscanf (buf, "HTTP/1.1 %d", &status), 1);
            return status;
        }
    }
    ck_abort_msg ("response too large");
    return 0;
}

//  GetItem of item i on fd, as one keep-alive request
static void
s_http_get (int fd, const char *table, int i)
{
    char json [256];
    snprintf (json, sizeof (json),
              "{\"TableName\":\"%s\",\"Key\":{\"pk\":{\"S\":\"k%d\"},"
              "\"sk\":{\"N\":\"%d\"}}}", table, i, i % 7);
    s_http_post (fd, "GetItem", json);
}

START_TEST (test_gateway)
{
    zyn_testcluster_t *cluster = zyn_testcluster_new ("e2e-gateway", 2);
    zyn_client_t *admin = zyn_testcluster_client (cluster);
    int port = 0;
    pid_t gateway = s_gateway_start (cluster, &port);
    s_create_table (admin, "gwt");
    for (int i = 0; i < 50; i++)
        s_put (admin, "gwt", i, "old");
    int fd = zyn_test_connect (port, 20);
    char response [4096];
    //  The gateway asks for the routes with its first item request
    for (int i = 0; i < 50; i++) {
        s_http_get (fd, "gwt", i);
        ck_assert_int_eq (s_http_response (fd, response, sizeof (response)),
                          200);
        ck_assert_ptr_nonnull (strstr (response, "\"v\":{\"S\":\"old\"}"));
    }
    //  A stale route: the table dropped and created again
    s_ok (admin, "DeleteTable", "{\"TableName\":\"gwt\"}");
    zyn_error_t err = { 0 };
    int64_t deadline = zyn_mono_msecs () + 15000;
    while (zyn_mono_msecs () < deadline) {
        zyn_value_t *reply = zyn_testcluster_call (admin, "DescribeTable",
                                     "{\"TableName\":\"gwt\"}", &err);
        if (!reply)
            break;
        zyn_value_destroy (&reply);
        zclock_sleep (50);
    }
    s_create_table (admin, "gwt");
    for (int i = 0; i < 50; i++) {
        s_http_get (fd, "gwt", i);
        ck_assert_int_eq (s_http_response (fd, response, sizeof (response)),
                          200);
        ck_assert_ptr_nonnull (strstr (response, "\r\n\r\n{}"));
    }
    for (int i = 0; i < 50; i++)
        s_put (admin, "gwt", i, "v");
    close (fd);

    //  A worker killed with requests in flight on many connections
    enum { CONNECTIONS = 32, ROUNDS = 40 };
    int fds [CONNECTIONS];
    for (int c = 0; c < CONNECTIONS; c++)
        fds [c] = zyn_test_connect (port, 20);
    int ok = 0;
    for (int round = 0; round < ROUNDS; round++) {
        //  Reads on even connections (sent again through the broker),
        //  writes on odd ones (answered InternalServerError by the gateway
        //  itself: they may or may not have been applied)
        for (int c = 0; c < CONNECTIONS; c++) {
            int i = (round * CONNECTIONS + c) % 50;
            if (c % 2 == 0)
                s_http_get (fds [c], "gwt", i);
            else {
                char json [256];
                snprintf (json, sizeof (json),
                          "{\"TableName\":\"gwt\",\"Item\":{\"pk\":{\"S\":"
                          "\"k%d\"},\"sk\":{\"N\":\"%d\"},\"v\":{\"S\":"
                          "\"v\"}}}", i, i % 7);
                s_http_post (fds [c], "PutItem", json);
            }
        }
        if (round == 10)
            zyn_testcluster_stop_worker (cluster, 0, SIGKILL);
        for (int c = 0; c < CONNECTIONS; c++) {
            int status = s_http_response (fds [c], response,
                                          sizeof (response));
            if (status == 200) {
                ck_assert_ptr_nonnull (strstr (
                    response, c % 2 == 0 ? "\"v\":{\"S\":\"v\"}"
                                         : "\r\n\r\n{}"));
                ok++;
            }
            else
                ck_assert_msg ((status == 500
                                && strstr (response, "InternalServerError"))
                               || (status == 503
                                   && strstr (response,
                                              "ServiceUnavailable")),
                               "unexpected response %s", response);
        }
    }
    ck_assert_int_ge (ok, 10 * CONNECTIONS);
    for (int c = 0; c < CONNECTIONS; c++)
        close (fds [c]);
    zyn_testcluster_start_worker (cluster, 0);
    kill (gateway, SIGTERM);
    int status = 0;
    ck_assert_int_eq (waitpid (gateway, &status, 0), gateway);
    ck_assert (WIFEXITED (status) && WEXITSTATUS (status) == 0);
    zyn_client_destroy (&admin);
    zyn_testcluster_destroy (&cluster);
}
END_TEST

static Suite *
s_suite (void)
{
    Suite *suite = suite_create ("e2e_direct");
    TCase *tc = tcase_create ("direct");
    tcase_set_timeout (tc, 120);
    tcase_add_test (tc, test_direct);
    tcase_add_test (tc, test_stale_route);
    tcase_add_test (tc, test_front_door);
    tcase_add_test (tc, test_front_door_batch);
    tcase_add_test (tc, test_local_front_door);
    tcase_add_test (tc, test_worker_killed);
    tcase_add_test (tc, test_gateway);
    suite_add_tcase (suite, tc);
    return suite;
}

ZYN_TEST_MAIN (s_suite)

/*  =========================================================================
    check_zyn_broker - Check suite for the broker actor

    Starts the broker in-process on ephemeral ports, plays a worker with a
    real DEALER on the back door (READY, WELCOME, ASSIGN -> ASSIGNED,
    REQUEST -> REPLY) and a client with a real DEALER on the front door.
    =========================================================================
*/

#include "zyn_prelude.h"
#include "zyn_proto.h"
#include "zyn_broker.h"
#include "zyn_router.h"
//  zyn_testutil.h's path buffers trip -Wformat-truncation when inlined
#pragma GCC diagnostic ignored "-Wformat-truncation"
#include "../tests/zyn_testutil.h"
#include "../tests/zyn_brokertest.h"

typedef struct {
    char dir [2048];
    zactor_t *broker;
    char *front;
    char *back;
    char *hub_pub;
    char *hub_sub;
    zsock_t *client;
    uint64_t next_id;
} s_fixture_t;

static s_fixture_t *
s_fixture_new_timeout (const char *name, int heartbeat, int liveness,
                       int timeout);

static s_fixture_t *
s_fixture_new (const char *name, int heartbeat, int liveness)
{
    return s_fixture_new_timeout (name, heartbeat, liveness, 0);
}

static s_fixture_t *
s_fixture_new_timeout (const char *name, int heartbeat, int liveness,
                       int timeout)
{
    s_fixture_t *self = (s_fixture_t *) zmalloc (sizeof (s_fixture_t));
    zyn_test_dir (self->dir, sizeof (self->dir), name);
    zyn_broker_config_t config = { 0 };
    config.data_dir = self->dir;
    config.partitions = 4;
    config.heartbeat_msecs = heartbeat;
    config.heartbeat_liveness = liveness;
    config.request_timeout_msecs = timeout;
    zyn_error_t err = { 0 };
    self->broker = zyn_broker_new (&config, &err);
    ck_assert_msg (self->broker, "broker: %s", err.message);
    self->front = zyn_broker_bind (self->broker, "FRONT", "tcp://127.0.0.1:*");
    self->back = zyn_broker_bind (self->broker, "BACK", "tcp://127.0.0.1:*");
    self->hub_pub
        = zyn_broker_bind (self->broker, "HUB-PUB", "tcp://127.0.0.1:*");
    self->hub_sub
        = zyn_broker_bind (self->broker, "HUB-SUB", "tcp://127.0.0.1:*");
    ck_assert_ptr_nonnull (self->front);
    ck_assert_ptr_nonnull (self->back);
    ck_assert_ptr_nonnull (self->hub_pub);
    ck_assert_ptr_nonnull (self->hub_sub);
    ck_assert (strneq (self->front, self->back));
    ck_assert_int_eq (strncmp (self->front, "tcp://127.0.0.1:", 16), 0);
    self->client = zsock_new_dealer (self->front);
    zsock_set_rcvtimeo (self->client, 5000);
    self->next_id = 1;
    return self;
}

//  Stop the broker (keeping its data when keep is true)
static void
s_fixture_stop (s_fixture_t *self)
{
    zsock_destroy (&self->client);
    zactor_destroy (&self->broker);
    zstr_free (&self->front);
    zstr_free (&self->back);
    zstr_free (&self->hub_pub);
    zstr_free (&self->hub_sub);
}

static void
s_fixture_destroy (s_fixture_t **self_p)
{
    s_fixture_t *self = *self_p;
    s_fixture_stop (self);
    zyn_test_dir_remove (self->dir);
    free (self);
    *self_p = NULL;
}

//  Send a request from the client; returns its request id
static uint64_t
s_send (s_fixture_t *self, const char *operation, const char *json)
{
    zyn_value_t *body = s_request (json);
    size_t size;
    void *data = zyn_value_encode (body, &size);
    zyn_value_destroy (&body);
    uint64_t request_id = self->next_id++;
    zmsg_t *msg = zyn_proto_request_new (request_id, operation, data, size);
    free (data);
    zmsg_send (&msg, self->client);
    return request_id;
}

//  Receive a reply for request_id: its status (caller frees) and body
static char *
s_recv (s_fixture_t *self, uint64_t request_id, zyn_value_t **body_p)
{
    zmsg_t *msg = zmsg_recv (self->client);
    ck_assert_msg (msg, "no reply from broker");
    ck_assert_int_eq (zmsg_size (msg), 4);
    ck_assert (zframe_streq (zmsg_first (msg), "ZYN1"));
    ck_assert_uint_eq (zyn_proto_request_id (zmsg_next (msg)), request_id);
    char *status = zframe_strdup (zmsg_next (msg));
    zframe_t *body = zmsg_next (msg);
    zyn_error_t err = { 0 };
    zyn_value_t *value
        = zyn_value_decode (zframe_data (body), zframe_size (body), &err);
    ck_assert_msg (value, "reply body: %s", err.message);
    if (body_p)
        *body_p = value;
    else
        zyn_value_destroy (&value);
    zmsg_destroy (&msg);
    return status;
}

//  Receive the reply to request_id whatever its body; returns its status
//  (caller frees)
static char *
s_recv_any (s_fixture_t *self, uint64_t request_id)
{
    zmsg_t *msg = zmsg_recv (self->client);
    ck_assert_msg (msg, "no reply from broker");
    ck_assert_int_eq (zmsg_size (msg), 4);
    ck_assert (zframe_streq (zmsg_first (msg), "ZYN1"));
    ck_assert_uint_eq (zyn_proto_request_id (zmsg_next (msg)), request_id);
    char *status = zframe_strdup (zmsg_next (msg));
    zmsg_destroy (&msg);
    return status;
}

//  Call and expect OK; returns the reply body
static zyn_value_t *
s_call (s_fixture_t *self, const char *operation, const char *json)
{
    uint64_t request_id = s_send (self, operation, json);
    zyn_value_t *body = NULL;
    char *status = s_recv (self, request_id, &body);
    ck_assert_msg (streq (status, "OK"), "%s failed: %s %s", operation,
                   status, zyn_value_map_get_s (body, "message"));
    free (status);
    return body;
}

//  Expect the reply to request_id to be error status with message
static void
s_expect_error (s_fixture_t *self, uint64_t request_id, const char *status,
                const char *message)
{
    zyn_value_t *body = NULL;
    char *got = s_recv (self, request_id, &body);
    ck_assert_str_eq (got, status);
    if (message)
        ck_assert_str_eq (zyn_value_map_get_s (body, "message"), message);
    free (got);
    zyn_value_destroy (&body);
}

static void
s_fails (s_fixture_t *self, const char *operation, const char *json,
         const char *status, const char *message)
{
    s_expect_error (self, s_send (self, operation, json), status, message);
}

//  --------------------------------------------------------------------------
//  The fake worker

typedef struct {
    zsock_t *dealer;
    char id [32];
} s_worker_t;

static void
s_worker_send (s_worker_t *self, const char *command, zyn_value_t **body_p)
{
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, "ZYN1");
    zmsg_addstr (msg, command);
    if (streq (command, "READY"))
        zmsg_addstr (msg, self->id);
    if (body_p) {
        size_t size;
        void *data = zyn_value_encode (*body_p, &size);
        zmsg_addmem (msg, data, size);
        free (data);
        zyn_value_destroy (body_p);
    }
    zmsg_send (&msg, self->dealer);
}

//  Receive the next message other than HEARTBEAT (answering heartbeats
//  as a live worker does); returns it without signature, its command
//  frame first, or NULL on timeout
static zmsg_t *
s_worker_recv (s_worker_t *self, int timeout)
{
    int64_t deadline = zyn_mono_msecs () + timeout;
    while (zyn_mono_msecs () < deadline) {
        zsock_set_rcvtimeo (self->dealer,
                            (int) (deadline - zyn_mono_msecs ()) + 1);
        zmsg_t *msg = zmsg_recv (self->dealer);
        if (!msg)
            return NULL;
        ck_assert (zframe_streq (zmsg_first (msg), "ZYN1"));
        zframe_t *signature = zmsg_pop (msg);
        zframe_destroy (&signature);
        if (zframe_streq (zmsg_first (msg), "HEARTBEAT")) {
            s_worker_send (self, "HEARTBEAT", NULL);
            zmsg_destroy (&msg);
            continue;
        }
        return msg;
    }
    return NULL;
}

//  Expect command; returns its body decoded (NULL if none)
static zyn_value_t *
s_worker_expect (s_worker_t *self, const char *command)
{
    zmsg_t *msg = s_worker_recv (self, 5000);
    ck_assert_msg (msg, "worker got no %s", command);
    char *got = zmsg_popstr (msg);
    ck_assert_str_eq (got, command);
    free (got);
    zframe_t *body = zmsg_pop (msg);
    zyn_value_t *value = body
        ? zyn_value_decode (zframe_data (body), zframe_size (body), NULL)
        : NULL;
    zframe_destroy (&body);
    zmsg_destroy (&msg);
    return value;
}

//  Connect and register as worker id; checks WELCOME
static s_worker_t *
s_worker_new (s_fixture_t *fixture, const char *id, const char *partitions)
{
    s_worker_t *self = (s_worker_t *) zmalloc (sizeof (s_worker_t));
    snprintf (self->id, sizeof (self->id), "%s", id);
    self->dealer = zsock_new_dealer (fixture->back);
    char json [512];
    snprintf (json, sizeof (json), "{\"WorkerId\":\"%s\",\"Partitions\":%s}",
              id, partitions ? partitions : "[]");
    zyn_value_t *ready = s_request (json);
    s_worker_send (self, "READY", &ready);
    zyn_value_t *welcome = s_worker_expect (self, "WELCOME");
    ck_assert_str_eq (zyn_value_map_get_s (welcome, "StreamEndpoint"),
                      fixture->hub_sub);
    int64_t number = 0;
    ck_assert_int_eq (zyn_value_map_get_int (welcome, "HeartbeatInterval",
                                             &number), 0);
    ck_assert_int_gt (number, 0);
    zyn_value_destroy (&welcome);
    return self;
}

static void
s_worker_destroy (s_worker_t **self_p)
{
    s_worker_t *self = *self_p;
    if (self) {
        zsock_destroy (&self->dealer);
        free (self);
        *self_p = NULL;
    }
}

//  Take an ASSIGN and answer ASSIGNED; returns the partition id
static uint32_t
s_worker_assign (s_worker_t *self, uint64_t *table_id)
{
    zyn_value_t *assign = s_worker_expect (self, "ASSIGN");
    int64_t tid = 0, pid = 0;
    ck_assert_int_eq (zyn_value_map_get_int (assign, "TableId", &tid), 0);
    ck_assert_int_eq (zyn_value_map_get_int (assign, "PartitionId", &pid), 0);
    ck_assert_ptr_nonnull (zyn_value_map_get (assign, "KeySchema"));
    zyn_value_destroy (&assign);
    zyn_value_t *assigned = zyn_value_new_m ();
    zyn_value_map_put_int (assigned, "TableId", tid);
    zyn_value_map_put_int (assigned, "PartitionId", pid);
    zyn_value_map_put_int (assigned, "LastSequenceNumber", 10 + pid);
    s_worker_send (self, "ASSIGNED", &assigned);
    if (table_id)
        *table_id = (uint64_t) tid;
    return (uint32_t) pid;
}

//  A REQUEST the worker received
typedef struct {
    zframe_t *client;
    zframe_t *request_id;
    char *operation;
    uint64_t table_id;
    uint32_t partition_id;
    zyn_value_t *body;
} s_work_t;

static s_work_t *
s_worker_take (s_worker_t *self)
{
    zmsg_t *msg = s_worker_recv (self, 5000);
    ck_assert_msg (msg, "worker got no REQUEST");
    ck_assert_int_eq (zmsg_size (msg), 6);
    char *command = zmsg_popstr (msg);
    ck_assert_str_eq (command, "REQUEST");
    free (command);
    s_work_t *work = (s_work_t *) zmalloc (sizeof (s_work_t));
    work->client = zmsg_pop (msg);
    work->request_id = zmsg_pop (msg);
    work->operation = zmsg_popstr (msg);
    zframe_t *partition = zmsg_pop (msg);
    ck_assert_int_eq (zyn_proto_partition (partition, &work->table_id,
                                           &work->partition_id), 0);
    zframe_destroy (&partition);
    zframe_t *body = zmsg_pop (msg);
    work->body = zyn_value_decode (zframe_data (body), zframe_size (body),
                                   NULL);
    ck_assert_ptr_nonnull (work->body);
    zframe_destroy (&body);
    zmsg_destroy (&msg);
    return work;
}

//  Answer work with status and body (JSON), and free it
static void
s_worker_answer (s_worker_t *self, s_work_t **work_p, const char *status,
                 const char *json)
{
    s_work_t *work = *work_p;
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, "ZYN1");
    zmsg_addstr (msg, "REPLY");
    zmsg_append (msg, &work->client);
    zmsg_append (msg, &work->request_id);
    zmsg_addstr (msg, status);
    zyn_value_t *body = s_request (json);
    size_t size;
    void *data = zyn_value_encode (body, &size);
    zmsg_addmem (msg, data, size);
    free (data);
    zyn_value_destroy (&body);
    zmsg_send (&msg, self->dealer);
    free (work->operation);
    zyn_value_destroy (&work->body);
    free (work);
    *work_p = NULL;
}

static void
s_work_destroy (s_work_t **work_p)
{
    s_work_t *work = *work_p;
    zframe_destroy (&work->client);
    zframe_destroy (&work->request_id);
    free (work->operation);
    zyn_value_destroy (&work->body);
    free (work);
    *work_p = NULL;
}

//  Create table name with partitions on the worker(s), answer every
//  ASSIGN, and wait until it is ACTIVE
static void
s_create_active (s_fixture_t *self, s_worker_t **workers, size_t count,
                 const char *name, bool composite, int partitions)
{
    char json [1024];
    snprintf (json, sizeof (json),
              "{\"TableName\":\"%s\",\"ZynPartitions\":%d,\"KeySchema\":[{"
              "\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"}%s],"
              "\"AttributeDefinitions\":[{\"AttributeName\":\"pk\","
              "\"AttributeType\":\"S\"}%s],\"BillingMode\":"
              "\"PAY_PER_REQUEST\"}",
              name, partitions,
              composite ? ",{\"AttributeName\":\"sk\",\"KeyType\":\"RANGE\"}"
                        : "",
              composite ? ",{\"AttributeName\":\"sk\",\"AttributeType\":"
                          "\"N\"}"
                        : "");
    zyn_value_t *reply = s_call (self, "CreateTable", json);
    zyn_value_t *description = zyn_value_map_get (reply, "TableDescription");
    ck_assert_str_eq (zyn_value_map_get_s (description, "TableStatus"),
                      "CREATING");
    zyn_value_destroy (&reply);
    //  Round-robin: partition i goes to workers [i % count]
    for (int i = 0; i < partitions; i++)
        ck_assert_int_eq (s_worker_assign (workers [i % count], NULL),
                          (uint32_t) i);
    snprintf (json, sizeof (json), "{\"TableName\":\"%s\"}", name);
    int64_t deadline = zyn_mono_msecs () + 5000;
    while (true) {
        reply = s_call (self, "DescribeTable", json);
        const char *status = zyn_value_map_get_s (
            zyn_value_map_get (reply, "Table"), "TableStatus");
        bool active = streq (status, "ACTIVE");
        zyn_value_destroy (&reply);
        if (active)
            break;
        ck_assert_msg (zyn_mono_msecs () < deadline, "%s never ACTIVE", name);
    }
}

//  The partition (of count equal ones) that a string key routes to
static uint32_t
s_partition_of (const char *key, uint32_t count)
{
    zyn_value_t *value = zyn_value_new_s (key);
    uint64_t hash = 0;
    ck_assert_int_eq (zyn_router_value_hash (value, &hash, NULL), 0);
    zyn_value_destroy (&value);
    for (uint32_t i = 0; i < count; i++) {
        uint64_t start, end;
        zyn_router_slice (count, i, &start, &end);
        if (hash >= start && hash <= end)
            return i;
    }
    ck_abort ();
    return 0;
}

//  A key that routes to partition wanted of count
static void
s_key_in (char *buf, size_t size, uint32_t wanted, uint32_t count)
{
    for (int i = 0; i < 10000; i++) {
        snprintf (buf, size, "key-%d", i);
        if (s_partition_of (buf, count) == wanted)
            return;
    }
    ck_abort ();
}

//  --------------------------------------------------------------------------

START_TEST (test_lifecycle)
{
    s_fixture_t *fixture = s_fixture_new ("broker-lifecycle", 1000, 5);
    s_worker_t *worker = s_worker_new (fixture, "w1", NULL);
    s_create_active (fixture, &worker, 1, "items", false, 2);

    //  DescribeTable's fields
    zyn_value_t *reply = s_call (fixture, "DescribeTable",
                                 "{\"TableName\":\"items\"}");
    zyn_value_t *table = zyn_value_map_get (reply, "Table");
    ck_assert_str_eq (zyn_value_map_get_s (table, "TableName"), "items");
    ck_assert_str_eq (zyn_value_map_get_s (table, "TableArn"),
                      "arn:aws:dynamodb:us-east-1:000000000000:table/items");
    ck_assert_str_eq (zyn_value_map_get_s (zyn_value_map_get (
                                               table, "BillingModeSummary"),
                                           "BillingMode"),
                      "PAY_PER_REQUEST");
    zyn_value_destroy (&reply);

    //  Shards: last sequence numbers asked from the partitions themselves
    uint64_t request_id
        = s_send (fixture, "ZynGetShards", "{\"TableName\":\"items\"}");
    for (int i = 0; i < 2; i++) {
        s_work_t *work = s_worker_take (worker);
        ck_assert_str_eq (work->operation, "ZynGetStreamRecords");
        ck_assert_int_eq (zframe_size (work->client), 0);
        char json [128];
        snprintf (json, sizeof (json),
                  "{\"Records\":[],\"LastSequenceNumber\":%u",
                  100 + work->partition_id);
        strcat (json, "}");
        s_worker_answer (worker, &work, "OK", json);
    }
    zyn_value_t *body = NULL;
    char *status = s_recv (fixture, request_id, &body);
    ck_assert_str_eq (status, "OK");
    free (status);
    zyn_value_t *shards = zyn_value_map_get (body, "Shards");
    ck_assert_int_eq (zyn_value_size (shards), 2);
    int64_t number = 0;
    zyn_value_map_get_int (zyn_value_list_get (shards, 1),
                           "LastSequenceNumber", &number);
    ck_assert_int_eq (number, 101);
    zyn_value_map_get_int (body, "TableId", &number);
    ck_assert_int_eq (number, 1);
    zyn_value_destroy (&body);

    reply = s_call (fixture, "ZynDescribeEndpoints", "{}");
    ck_assert_str_eq (zyn_value_map_get_s (reply, "StreamEndpoint"),
                      fixture->hub_pub);
    zyn_value_destroy (&reply);
    reply = s_call (fixture, "ZynDescribeCluster", "{}");
    zyn_value_t *workers = zyn_value_map_get (reply, "Workers");
    ck_assert_int_eq (zyn_value_size (workers), 1);
    ck_assert_str_eq (zyn_value_map_get_s (zyn_value_list_get (workers, 0),
                                           "WorkerId"),
                      "w1");
    ck_assert (zyn_value_bool (zyn_value_map_get (
        zyn_value_list_get (workers, 0), "Live")));
    zyn_value_destroy (&reply);

    //  Errors of the table operations
    s_fails (fixture, "DescribeTable", "{\"TableName\":\"nope\"}",
             "ResourceNotFoundException",
             "Requested resource not found: Table: nope not found");
    s_fails (fixture, "DeleteTable", "{\"TableName\":\"nope\"}",
             "ResourceNotFoundException",
             "Requested resource not found: Table: nope not found");
    s_fails (fixture, "CreateTable",
             "{\"TableName\":\"items\",\"KeySchema\":[{\"AttributeName\":"
             "\"pk\",\"KeyType\":\"HASH\"}],\"AttributeDefinitions\":[{"
             "\"AttributeName\":\"pk\",\"AttributeType\":\"S\"}],"
             "\"BillingMode\":\"PAY_PER_REQUEST\"}",
             "ResourceInUseException", "Table already exists: items");
    s_fails (fixture, "DescribeTable", "{}", "ValidationException",
             "1 validation error detected: Value null at 'tableName' failed "
             "to satisfy constraint: Member must not be null");

    //  ListTables
    reply = s_call (fixture, "ListTables", "{}");
    zyn_value_t *names = zyn_value_map_get (reply, "TableNames");
    ck_assert_int_eq (zyn_value_size (names), 1);
    zyn_value_destroy (&reply);

    //  DeleteTable: DELETING, DROP to the worker, gone when DROPPED
    reply = s_call (fixture, "DeleteTable", "{\"TableName\":\"items\"}");
    ck_assert_str_eq (zyn_value_map_get_s (zyn_value_map_get (
                                               reply, "TableDescription"),
                                           "TableStatus"),
                      "DELETING");
    zyn_value_destroy (&reply);
    s_fails (fixture, "PutItem",
             "{\"TableName\":\"items\",\"Item\":{\"pk\":{\"S\":\"a\"}}}",
             "ResourceNotFoundException", "Requested resource not found");
    s_fails (fixture, "DeleteTable", "{\"TableName\":\"items\"}",
             "ResourceInUseException",
             "Attempt to change a resource which is still in use: Table is "
             "being deleted: items");
    for (int i = 0; i < 2; i++) {
        zyn_value_t *drop = s_worker_expect (worker, "DROP");
        s_worker_send (worker, "DROPPED", &drop);
    }
    int64_t deadline = zyn_mono_msecs () + 5000;
    while (true) {
        uint64_t id = s_send (fixture, "DescribeTable",
                              "{\"TableName\":\"items\"}");
        status = s_recv (fixture, id, NULL);
        bool gone = streq (status, "ResourceNotFoundException");
        free (status);
        if (gone)
            break;
        ck_assert_msg (zyn_mono_msecs () < deadline, "table never deleted");
    }
    s_worker_destroy (&worker);
    s_fixture_destroy (&fixture);
}
END_TEST

START_TEST (test_routing)
{
    s_fixture_t *fixture = s_fixture_new ("broker-routing", 1000, 5);
    s_worker_t *workers [2] = { s_worker_new (fixture, "w1", NULL),
                                s_worker_new (fixture, "w2", NULL) };
    s_create_active (fixture, workers, 2, "items", false, 4);

    //  Each key goes to its partition's worker, body unchanged; the reply
    //  comes back unchanged
    for (uint32_t wanted = 0; wanted < 4; wanted++) {
        char key [32];
        s_key_in (key, sizeof (key), wanted, 4);
        char json [256];
        snprintf (json, sizeof (json),
                  "{\"TableName\":\"items\",\"Item\":{\"pk\":{\"S\":\"%s\"},"
                  "\"v\":{\"N\":\"%u\"}}}", key, wanted);
        uint64_t request_id = s_send (fixture, "PutItem", json);
        s_work_t *work = s_worker_take (workers [wanted % 2]);
        ck_assert_str_eq (work->operation, "PutItem");
        ck_assert_uint_eq (work->table_id, 1);
        ck_assert_uint_eq (work->partition_id, wanted);
        ck_assert_str_eq (zyn_value_map_get_s (zyn_value_map_get (
                                                   work->body, "Item"),
                                               "pk"),
                          key);
        s_worker_answer (workers [wanted % 2], &work, "OK",
                         "{\"Attributes\":{\"x\":{\"S\":\"old\"}}}");
        zyn_value_t *body = NULL;
        char *status = s_recv (fixture, request_id, &body);
        ck_assert_str_eq (status, "OK");
        free (status);
        ck_assert_str_eq (zyn_value_map_get_s (zyn_value_map_get (
                                                   body, "Attributes"),
                                               "x"),
                          "old");
        zyn_value_destroy (&body);

        //  GetItem and Query by the same key go to the same place; an error
        //  reply is relayed as it is
        snprintf (json, sizeof (json),
                  "{\"TableName\":\"items\",\"Key\":{\"pk\":{\"S\":\"%s\"}}}",
                  key);
        request_id = s_send (fixture, "GetItem", json);
        work = s_worker_take (workers [wanted % 2]);
        ck_assert_uint_eq (work->partition_id, wanted);
        s_worker_answer (workers [wanted % 2], &work,
                         "ConditionalCheckFailedException",
                         "{\"message\":\"The conditional request failed\"}");
        s_expect_error (fixture, request_id,
                        "ConditionalCheckFailedException",
                        "The conditional request failed");
        snprintf (json, sizeof (json),
                  "{\"TableName\":\"items\",\"KeyConditionExpression\":"
                  "\"#p = :v\",\"ExpressionAttributeNames\":{\"#p\":\"pk\"},"
                  "\"ExpressionAttributeValues\":{\":v\":{\"S\":\"%s\"}}}",
                  key);
        request_id = s_send (fixture, "Query", json);
        work = s_worker_take (workers [wanted % 2]);
        ck_assert_str_eq (work->operation, "Query");
        ck_assert_uint_eq (work->partition_id, wanted);
        s_worker_answer (workers [wanted % 2], &work, "OK",
                         "{\"Items\":[],\"Count\":0,\"ScannedCount\":0}");
        zyn_value_destroy (&body);
        status = s_recv (fixture, request_id, NULL);
        ck_assert_str_eq (status, "OK");
        free (status);
    }
    //  Pipelined: many requests in flight, answered out of order
    uint64_t ids [8];
    s_work_t *works [8];
    for (int i = 0; i < 8; i++) {
        char key [32];
        s_key_in (key, sizeof (key), 0, 4);
        char json [256];
        snprintf (json, sizeof (json),
                  "{\"TableName\":\"items\",\"Key\":{\"pk\":{\"S\":\"%s\"}}}",
                  key);
        ids [i] = s_send (fixture, "GetItem", json);
    }
    for (int i = 0; i < 8; i++)
        works [i] = s_worker_take (workers [0]);
    for (int i = 7; i >= 0; i--)
        s_worker_answer (workers [0], &works [i], "OK", "{}");
    for (int i = 7; i >= 0; i--) {
        char *status = s_recv (fixture, ids [i], NULL);
        ck_assert_str_eq (status, "OK");
        free (status);
    }

    //  Bad requests never reach a worker
    s_fails (fixture, "PutItem",
             "{\"TableName\":\"items\",\"Item\":{\"pk\":{\"N\":\"1\"}}}",
             "ValidationException",
             "One or more parameter values were invalid: Type mismatch for "
             "key pk expected: S actual: N");
    s_fails (fixture, "PutItem", "{\"TableName\":\"items\"}",
             "ValidationException",
             "1 validation error detected: Value null at 'item' failed to "
             "satisfy constraint: Member must not be null");
    s_fails (fixture, "GetItem",
             "{\"TableName\":\"items\",\"Key\":{\"pk\":{\"S\":\"a\"},"
             "\"x\":{\"S\":\"b\"}}}",
             "ValidationException",
             "The provided key element does not match the schema");
    s_fails (fixture, "GetItem",
             "{\"TableName\":\"nosuch\",\"Key\":{\"pk\":{\"S\":\"a\"}}}",
             "ResourceNotFoundException", "Requested resource not found");
    s_fails (fixture, "Query",
             "{\"TableName\":\"items\",\"KeyConditionExpression\":"
             "\"x = :v\",\"ExpressionAttributeValues\":{\":v\":{\"S\":"
             "\"a\"}}}",
             "ValidationException",
             "Query condition missed key schema element: pk");
    s_fails (fixture, "FlyToTheMoon", "{}", "UnknownOperationException",
             "Unknown operation: FlyToTheMoon");

    //  Malformed frames and bodies
    zmsg_t *msg = zyn_proto_request_new (900, "PutItem", "\xc1\xff", 2);
    zmsg_send (&msg, fixture->client);
    s_expect_error (fixture, 900, "SerializationException", NULL);
    msg = zyn_proto_request_new (901, "GetItem", "\x93\x01\x02\x03", 4);
    zmsg_send (&msg, fixture->client);
    s_expect_error (fixture, 901, "SerializationException",
                    "Request body must be a MessagePack map");
    msg = zmsg_new ();
    zmsg_addstr (msg, "ZYN1");
    uint8_t id [8];
    zyn_proto_put_request_id (id, 902);
    zmsg_addmem (msg, id, 8);
    zmsg_addstr (msg, "GetItem");
    zmsg_send (&msg, fixture->client);
    s_expect_error (fixture, 902, "ValidationException", NULL);
    msg = zmsg_new ();
    zmsg_addstr (msg, "HTTP/1.1");
    zmsg_addstr (msg, "GET /");
    zmsg_send (&msg, fixture->client);
    msg = zmsg_new ();
    zmsg_addstr (msg, "ZYN1");
    zmsg_send (&msg, fixture->client);
    //  Still serving
    zyn_value_t *reply = s_call (fixture, "ListTables", "{}");
    zyn_value_destroy (&reply);

    s_worker_destroy (&workers [0]);
    s_worker_destroy (&workers [1]);
    s_fixture_destroy (&fixture);
}
END_TEST

START_TEST (test_scan_walk)
{
    s_fixture_t *fixture = s_fixture_new ("broker-scan", 1000, 5);
    s_worker_t *worker = s_worker_new (fixture, "w1", NULL);
    s_create_active (fixture, &worker, 1, "items", false, 3);

    //  Partition 0 gives one item and ends; partition 1 hits the limit
    uint64_t request_id = s_send (fixture, "Scan",
                                  "{\"TableName\":\"items\",\"Limit\":5}");
    s_work_t *work = s_worker_take (worker);
    ck_assert_str_eq (work->operation, "Scan");
    ck_assert_uint_eq (work->partition_id, 0);
    int64_t number = 0;
    zyn_value_map_get_int (work->body, "Limit", &number);
    ck_assert_int_eq (number, 5);
    zyn_value_map_get_int (work->body, "ZynPageBytes", &number);
    ck_assert_int_eq (number, 1024 * 1024);
    s_worker_answer (worker, &work, "OK",
                     "{\"Items\":[{\"pk\":{\"S\":\"a\"}}],\"Count\":1,"
                     "\"ScannedCount\":2}");
    work = s_worker_take (worker);
    ck_assert_uint_eq (work->partition_id, 1);
    zyn_value_map_get_int (work->body, "Limit", &number);
    ck_assert_int_eq (number, 3);
    ck_assert_ptr_null (zyn_value_map_get (work->body, "ExclusiveStartKey"));
    s_worker_answer (worker, &work, "OK",
                     "{\"Items\":[{\"pk\":{\"S\":\"b\"}},{\"pk\":{\"S\":"
                     "\"c\"}}],\"Count\":2,\"ScannedCount\":3,"
                     "\"LastEvaluatedKey\":{\"pk\":{\"S\":\"c\"}}}");
    zyn_value_t *body = NULL;
    char *status = s_recv (fixture, request_id, &body);
    ck_assert_str_eq (status, "OK");
    free (status);
    ck_assert_int_eq (zyn_value_size (zyn_value_map_get (body, "Items")), 3);
    zyn_value_map_get_int (body, "Count", &number);
    ck_assert_int_eq (number, 3);
    zyn_value_map_get_int (body, "ScannedCount", &number);
    ck_assert_int_eq (number, 5);
    ck_assert_str_eq (zyn_value_map_get_s (zyn_value_map_get (
                                               body, "LastEvaluatedKey"),
                                           "pk"),
                      "c");
    zyn_value_destroy (&body);

    //  Resume from a key in the last partition: the walk starts there and
    //  ends with it
    char key [32];
    s_key_in (key, sizeof (key), 2, 3);
    char json [256];
    snprintf (json, sizeof (json),
              "{\"TableName\":\"items\",\"ExclusiveStartKey\":{\"pk\":{"
              "\"S\":\"%s\"}}}", key);
    request_id = s_send (fixture, "Scan", json);
    work = s_worker_take (worker);
    ck_assert_uint_eq (work->partition_id, 2);
    ck_assert_ptr_nonnull (zyn_value_map_get (work->body,
                                              "ExclusiveStartKey"));
    ck_assert_ptr_null (zyn_value_map_get (work->body, "Limit"));
    s_worker_answer (worker, &work, "OK",
                     "{\"Items\":[],\"Count\":0,\"ScannedCount\":0}");
    status = s_recv (fixture, request_id, &body);
    ck_assert_str_eq (status, "OK");
    free (status);
    ck_assert_ptr_null (zyn_value_map_get (body, "LastEvaluatedKey"));
    ck_assert_int_eq (zyn_value_size (zyn_value_map_get (body, "Items")), 0);
    zyn_value_destroy (&body);

    //  A parallel segment touches only the partitions of its range
    request_id = s_send (fixture, "Scan",
                         "{\"TableName\":\"items\",\"Segment\":1,"
                         "\"TotalSegments\":2}");
    //  Segment 1 of 2 is [2^63, 2^64-1]: partitions 1 and 2 of 3
    for (uint32_t partition = 1; partition <= 2; partition++) {
        work = s_worker_take (worker);
        ck_assert_uint_eq (work->partition_id, partition);
        zyn_value_t *hash_start
            = zyn_value_map_get (work->body, "ZynHashStart");
        ck_assert_ptr_nonnull (hash_start);
        ck_assert_mem_eq (zyn_value_data (hash_start),
                          "\x80\0\0\0\0\0\0\0", 8);
        ck_assert_ptr_null (zyn_value_map_get (work->body, "Segment"));
        s_worker_answer (worker, &work, "OK",
                         "{\"Items\":[{\"pk\":{\"S\":\"z\"}}],\"Count\":1,"
                         "\"ScannedCount\":1}");
    }
    status = s_recv (fixture, request_id, &body);
    ck_assert_str_eq (status, "OK");
    free (status);
    ck_assert_int_eq (zyn_value_size (zyn_value_map_get (body, "Items")), 2);
    zyn_value_destroy (&body);

    //  A worker's error ends the walk with that error
    request_id = s_send (fixture, "Scan", "{\"TableName\":\"items\"}");
    work = s_worker_take (worker);
    s_worker_answer (worker, &work, "ValidationException",
                     "{\"message\":\"Invalid FilterExpression\"}");
    s_expect_error (fixture, request_id, "ValidationException",
                    "Invalid FilterExpression");
    s_fails (fixture, "Scan", "{\"TableName\":\"items\",\"Segment\":3,"
             "\"TotalSegments\":2}",
             "ValidationException",
             "The Segment parameter is zero-based and must be less than "
             "parameter TotalSegments: Segment: 3 is out of bounds for "
             "TotalSegments: 2");
    s_worker_destroy (&worker);
    s_fixture_destroy (&fixture);
}
END_TEST

START_TEST (test_batch)
{
    s_fixture_t *fixture = s_fixture_new ("broker-batch", 1000, 5);
    s_worker_t *workers [2] = { s_worker_new (fixture, "w1", NULL),
                                s_worker_new (fixture, "w2", NULL) };
    s_create_active (fixture, workers, 2, "items", false, 2);
    char keys [2][32];
    s_key_in (keys [0], sizeof (keys [0]), 0, 2);
    s_key_in (keys [1], sizeof (keys [1]), 1, 2);

    //  BatchWriteItem: one part per item, each to its partition
    char json [1024];
    snprintf (json, sizeof (json),
              "{\"RequestItems\":{\"items\":["
              "{\"PutRequest\":{\"Item\":{\"pk\":{\"S\":\"%s\"}}}},"
              "{\"DeleteRequest\":{\"Key\":{\"pk\":{\"S\":\"%s\"}}}}"
              "]}}", keys [0], keys [1]);
    uint64_t request_id = s_send (fixture, "BatchWriteItem", json);
    s_work_t *work = s_worker_take (workers [0]);
    ck_assert_str_eq (work->operation, "PutItem");
    ck_assert_uint_eq (work->partition_id, 0);
    ck_assert_str_eq (zyn_value_map_get_s (work->body, "TableName"), "items");
    s_worker_answer (workers [0], &work, "OK", "{}");
    work = s_worker_take (workers [1]);
    ck_assert_str_eq (work->operation, "DeleteItem");
    ck_assert_uint_eq (work->partition_id, 1);
    s_worker_answer (workers [1], &work, "OK", "{}");
    zyn_value_t *body = NULL;
    char *status = s_recv (fixture, request_id, &body);
    ck_assert_str_eq (status, "OK");
    free (status);
    ck_assert_int_eq (zyn_value_size (zyn_value_map_get (
                          body, "UnprocessedItems")), 0);
    zyn_value_destroy (&body);

    //  BatchGetItem: found and missing items; a retryable failure is
    //  unprocessed, not an error
    snprintf (json, sizeof (json),
              "{\"RequestItems\":{\"items\":{\"Keys\":["
              "{\"pk\":{\"S\":\"%s\"}},{\"pk\":{\"S\":\"%s\"}}],"
              "\"ConsistentRead\":true}}}", keys [0], keys [1]);
    request_id = s_send (fixture, "BatchGetItem", json);
    work = s_worker_take (workers [0]);
    ck_assert_str_eq (work->operation, "GetItem");
    ck_assert (zyn_value_bool (zyn_value_map_get (work->body,
                                                  "ConsistentRead")));
    s_worker_answer (workers [0], &work, "OK",
                     "{\"Item\":{\"pk\":{\"S\":\"found\"}}}");
    work = s_worker_take (workers [1]);
    s_worker_answer (workers [1], &work,
                     "ProvisionedThroughputExceededException",
                     "{\"message\":\"slow down\"}");
    status = s_recv (fixture, request_id, &body);
    ck_assert_str_eq (status, "OK");
    free (status);
    zyn_value_t *found = zyn_value_map_get (zyn_value_map_get (
                                                body, "Responses"), "items");
    ck_assert_int_eq (zyn_value_size (found), 1);
    ck_assert_str_eq (zyn_value_map_get_s (zyn_value_list_get (found, 0),
                                           "pk"), "found");
    zyn_value_t *unprocessed = zyn_value_map_get (zyn_value_map_get (
                                   body, "UnprocessedKeys"), "items");
    ck_assert_ptr_nonnull (unprocessed);
    ck_assert_int_eq (zyn_value_size (zyn_value_map_get (unprocessed,
                                                         "Keys")), 1);
    ck_assert (zyn_value_bool (zyn_value_map_get (unprocessed,
                                                  "ConsistentRead")));
    zyn_value_destroy (&body);

    //  A part's other error fails the request
    snprintf (json, sizeof (json),
              "{\"RequestItems\":{\"items\":{\"Keys\":["
              "{\"pk\":{\"S\":\"%s\"}}]}}}", keys [0]);
    request_id = s_send (fixture, "BatchGetItem", json);
    work = s_worker_take (workers [0]);
    s_worker_answer (workers [0], &work, "ValidationException",
                     "{\"message\":\"bad projection\"}");
    s_expect_error (fixture, request_id, "ValidationException",
                    "bad projection");

    //  Validation, before anything is sent
    s_fails (fixture, "BatchWriteItem",
             "{\"RequestItems\":{\"items\":["
             "{\"PutRequest\":{\"Item\":{\"pk\":{\"S\":\"a\"}}}},"
             "{\"DeleteRequest\":{\"Key\":{\"pk\":{\"S\":\"a\"}}}}"
             "]}}",
             "ValidationException",
             "Provided list of item keys contains duplicates");
    s_fails (fixture, "BatchGetItem",
             "{\"RequestItems\":{\"items\":{\"Keys\":["
             "{\"pk\":{\"S\":\"a\"}},{\"pk\":{\"S\":\"a\"}}]}}}",
             "ValidationException",
             "Provided list of item keys contains duplicates");
    s_fails (fixture, "BatchGetItem",
             "{\"RequestItems\":{\"nosuch\":{\"Keys\":["
             "{\"pk\":{\"S\":\"a\"}}]}}}",
             "ResourceNotFoundException", "Requested resource not found");
    s_fails (fixture, "BatchWriteItem", "{\"RequestItems\":{}}",
             "ValidationException",
             "1 validation error detected: Value '{}' at 'requestItems' "
             "failed to satisfy constraint: Member must have length greater "
             "than or equal to 1");
    s_fails (fixture, "BatchGetItem",
             "{\"RequestItems\":{\"items\":{\"Keys\":["
             "{\"pk\":{\"N\":\"1\"}}]}}}",
             "ValidationException",
             "The provided key element does not match the schema");
    //  101 keys
    char *big = (char *) zmalloc (8192);
    strcpy (big, "{\"RequestItems\":{\"items\":{\"Keys\":[");
    for (int i = 0; i < 101; i++)
        sprintf (big + strlen (big), "%s{\"pk\":{\"S\":\"k%d\"}}",
                 i ? "," : "", i);
    strcat (big, "]}}}");
    s_fails (fixture, "BatchGetItem", big, "ValidationException",
             "Too many items requested for the BatchGetItem call");
    free (big);
    s_worker_destroy (&workers [0]);
    s_worker_destroy (&workers [1]);
    s_fixture_destroy (&fixture);
}
END_TEST

//  Wait until worker id is reported not live, keeping alive the worker
//  alive (answering its heartbeats)
static void
s_wait_expired (s_fixture_t *fixture, const char *id, s_worker_t *alive)
{
    int64_t deadline = zyn_mono_msecs () + 5000;
    while (true) {
        zyn_value_t *reply = s_call (fixture, "ZynDescribeCluster", "{}");
        zyn_value_t *workers = zyn_value_map_get (reply, "Workers");
        bool live = false;
        for (size_t i = 0; i < zyn_value_size (workers); i++) {
            zyn_value_t *worker = zyn_value_list_get (workers, i);
            if (streq (zyn_value_map_get_s (worker, "WorkerId"), id))
                live = zyn_value_bool (zyn_value_map_get (worker, "Live"));
        }
        zyn_value_destroy (&reply);
        if (!live)
            return;
        ck_assert_msg (zyn_mono_msecs () < deadline, "%s never expired", id);
        zmsg_t *msg = s_worker_recv (alive, 50);
        ck_assert_ptr_null (msg);
    }
}

START_TEST (test_unavailable)
{
    s_fixture_t *fixture = s_fixture_new ("broker-unavailable", 100, 5);
    s_worker_t *workers [2] = { s_worker_new (fixture, "w1", NULL),
                                s_worker_new (fixture, "w2", NULL) };
    s_create_active (fixture, workers, 2, "items", false, 2);
    zsock_destroy (&workers [1]->dealer);
    s_wait_expired (fixture, "w2", workers [0]);

    //  A Scan walk that reaches the missing partition fails retryably
    uint64_t request_id
        = s_send (fixture, "Scan", "{\"TableName\":\"items\"}");
    s_work_t *work = s_worker_take (workers [0]);
    ck_assert_uint_eq (work->partition_id, 0);
    s_worker_answer (workers [0], &work, "OK",
                     "{\"Items\":[],\"Count\":0,\"ScannedCount\":0}");
    s_expect_error (fixture, request_id, "ServiceUnavailable",
                    "Partition 1 of table items is unavailable: its worker "
                    "is not connected");

    //  Shards: the live partition is asked, the other one is what the
    //  broker last knew (its ASSIGNED said 11)
    request_id = s_send (fixture, "ZynGetShards", "{\"TableName\":\"items\"}");
    work = s_worker_take (workers [0]);
    ck_assert_str_eq (work->operation, "ZynGetStreamRecords");
    s_worker_answer (workers [0], &work, "OK",
                     "{\"Records\":[],\"LastSequenceNumber\":42}");
    zyn_value_t *body = NULL;
    char *status = s_recv (fixture, request_id, &body);
    ck_assert_str_eq (status, "OK");
    free (status);
    zyn_value_t *shards = zyn_value_map_get (body, "Shards");
    int64_t number = 0;
    zyn_value_map_get_int (zyn_value_list_get (shards, 0),
                           "LastSequenceNumber", &number);
    ck_assert_int_eq (number, 42);
    zyn_value_map_get_int (zyn_value_list_get (shards, 1),
                           "LastSequenceNumber", &number);
    ck_assert_int_eq (number, 11);
    zyn_value_destroy (&body);
    s_fails (fixture, "ZynGetStreamRecords",
             "{\"TableName\":\"items\",\"PartitionId\":7}",
             "ResourceNotFoundException",
             "Requested resource not found: Shard does not exist");

    //  A worker the broker does not know is told to register
    zsock_t *stranger = zsock_new_dealer (fixture->back);
    zsock_set_rcvtimeo (stranger, 5000);
    zstr_sendx (stranger, "ZYN1", "HEARTBEAT", NULL);
    char *signature = NULL, *command = NULL;
    ck_assert_int_eq (zstr_recvx (stranger, &signature, &command, NULL), 2);
    ck_assert_str_eq (signature, "ZYN1");
    ck_assert_str_eq (command, "DISCONNECT");
    zstr_free (&signature);
    zstr_free (&command);
    zsock_destroy (&stranger);

    //  DeleteTable: the gone worker's partition counts as dropped, the
    //  live one must answer DROPPED
    zyn_value_t *reply = s_call (fixture, "DeleteTable",
                                 "{\"TableName\":\"items\"}");
    zyn_value_destroy (&reply);
    zyn_value_t *drop = s_worker_expect (workers [0], "DROP");
    number = -1;
    zyn_value_map_get_int (drop, "PartitionId", &number);
    ck_assert_int_eq (number, 0);
    reply = s_call (fixture, "DescribeTable", "{\"TableName\":\"items\"}");
    ck_assert_str_eq (zyn_value_map_get_s (zyn_value_map_get (reply, "Table"),
                                           "TableStatus"),
                      "DELETING");
    zyn_value_destroy (&reply);
    s_worker_send (workers [0], "DROPPED", &drop);
    int64_t deadline = zyn_mono_msecs () + 5000;
    while (true) {
        request_id = s_send (fixture, "DescribeTable",
                             "{\"TableName\":\"items\"}");
        status = s_recv (fixture, request_id, NULL);
        bool gone = streq (status, "ResourceNotFoundException");
        free (status);
        if (gone)
            break;
        ck_assert_msg (zyn_mono_msecs () < deadline, "table never deleted");
    }
    s_worker_destroy (&workers [0]);
    s_worker_destroy (&workers [1]);
    s_fixture_destroy (&fixture);
}
END_TEST

//  A live worker that never answers: the request fails after the timeout
START_TEST (test_request_timeout)
{
    s_fixture_t *fixture
        = s_fixture_new_timeout ("broker-timeout", 100, 50, 300);
    s_worker_t *worker = s_worker_new (fixture, "w1", NULL);
    s_create_active (fixture, &worker, 1, "items", false, 1);
    uint64_t request_id = s_send (fixture, "GetItem",
                                  "{\"TableName\":\"items\",\"Key\":{\"pk\":"
                                  "{\"S\":\"a\"}}}");
    s_work_t *work = s_worker_take (worker);
    //  Keep answering heartbeats, never the request
    zmsg_t *msg = s_worker_recv (worker, 600);
    ck_assert_ptr_null (msg);
    s_expect_error (fixture, request_id, "ServiceUnavailable",
                    "The worker holding this partition did not answer in "
                    "time; retry the request");
    //  Its late answer is dropped; the next request is served
    s_worker_answer (worker, &work, "OK", "{}");
    request_id = s_send (fixture, "GetItem",
                         "{\"TableName\":\"items\",\"Key\":{\"pk\":"
                         "{\"S\":\"b\"}}}");
    work = s_worker_take (worker);
    s_worker_answer (worker, &work, "OK", "{\"Item\":{\"pk\":{\"S\":\"b\"}}}");
    zyn_value_t *body = NULL;
    char *status = s_recv (fixture, request_id, &body);
    ck_assert_str_eq (status, "OK");
    free (status);
    zyn_value_destroy (&body);
    s_worker_destroy (&worker);
    s_fixture_destroy (&fixture);
}
END_TEST

START_TEST (test_expiry)
{
    //  Heartbeat 100 ms, liveness 5: silent for 500 ms means gone
    s_fixture_t *fixture = s_fixture_new ("broker-expiry", 100, 5);
    s_worker_t *worker = s_worker_new (fixture, "w1", NULL);
    s_create_active (fixture, &worker, 1, "items", false, 2);

    //  A request in flight when the worker goes silent is failed, not lost
    uint64_t request_id = s_send (fixture, "GetItem",
                                  "{\"TableName\":\"items\",\"Key\":{\"pk\":"
                                  "{\"S\":\"a\"}}}");
    s_work_t *work = s_worker_take (worker);
    s_work_destroy (&work);
    zsock_destroy (&worker->dealer);
    s_expect_error (fixture, request_id, "ServiceUnavailable", NULL);
    s_fails (fixture, "GetItem",
             "{\"TableName\":\"items\",\"Key\":{\"pk\":{\"S\":\"a\"}}}",
             "ServiceUnavailable", NULL);
    zyn_value_t *reply = s_call (fixture, "BatchWriteItem",
                                 "{\"RequestItems\":{\"items\":["
                                 "{\"PutRequest\":{\"Item\":{\"pk\":"
                                 "{\"S\":\"a\"}}}}]}}");
    ck_assert_int_eq (zyn_value_size (zyn_value_map_get (zyn_value_map_get (
                          reply, "UnprocessedItems"), "items")), 1);
    zyn_value_destroy (&reply);
    reply = s_call (fixture, "ZynDescribeCluster", "{}");
    ck_assert (!zyn_value_bool (zyn_value_map_get (
        zyn_value_list_get (zyn_value_map_get (reply, "Workers"), 0),
        "Live")));
    zyn_value_destroy (&reply);
    s_worker_destroy (&worker);

    //  Back with the same id: its partitions are given back to it; one
    //  it reports that the catalog does not know is dropped
    worker = s_worker_new (fixture, "w1",
                           "[{\"TableId\":77,\"PartitionId\":0,"
                           "\"LastSequenceNumber\":3}]");
    zyn_value_t *drop = s_worker_expect (worker, "DROP");
    int64_t number = 0;
    zyn_value_map_get_int (drop, "TableId", &number);
    ck_assert_int_eq (number, 77);
    zyn_value_destroy (&drop);
    ck_assert_int_eq (s_worker_assign (worker, NULL), 0);
    ck_assert_int_eq (s_worker_assign (worker, NULL), 1);
    //  Served again once ASSIGNED is in
    int64_t deadline = zyn_mono_msecs () + 5000;
    while (true) {
        request_id = s_send (fixture, "GetItem",
                             "{\"TableName\":\"items\",\"Key\":{\"pk\":"
                             "{\"S\":\"a\"}}}");
        zmsg_t *msg = s_worker_recv (worker, 200);
        if (msg) {
            zmsg_destroy (&msg);
            break;
        }
        s_expect_error (fixture, request_id, "ServiceUnavailable", NULL);
        ck_assert_msg (zyn_mono_msecs () < deadline, "never served again");
    }
    s_worker_destroy (&worker);
    s_fixture_destroy (&fixture);
}
END_TEST

START_TEST (test_restart)
{
    s_fixture_t *fixture = s_fixture_new ("broker-restart", 1000, 5);
    s_worker_t *worker = s_worker_new (fixture, "w1", NULL);
    s_create_active (fixture, &worker, 1, "kept", true, 2);
    s_worker_destroy (&worker);
    s_fixture_stop (fixture);

    //  Same data directory: the table and its assignments are back
    zyn_broker_config_t config = { 0 };
    config.data_dir = fixture->dir;
    config.heartbeat_msecs = 1000;
    zyn_error_t err = { 0 };
    fixture->broker = zyn_broker_new (&config, &err);
    ck_assert_ptr_nonnull (fixture->broker);
    fixture->front = zyn_broker_bind (fixture->broker, "FRONT",
                                      "tcp://127.0.0.1:*");
    fixture->back = zyn_broker_bind (fixture->broker, "BACK",
                                     "tcp://127.0.0.1:*");
    fixture->hub_sub = zyn_broker_bind (fixture->broker, "HUB-SUB",
                                        "tcp://127.0.0.1:*");
    fixture->client = zsock_new_dealer (fixture->front);
    zsock_set_rcvtimeo (fixture->client, 5000);
    zyn_value_t *reply = s_call (fixture, "DescribeTable",
                                 "{\"TableName\":\"kept\"}");
    zyn_value_t *table = zyn_value_map_get (reply, "Table");
    ck_assert_str_eq (zyn_value_map_get_s (table, "TableStatus"), "ACTIVE");
    ck_assert_int_eq (zyn_value_size (zyn_value_map_get (table, "KeySchema")),
                      2);
    zyn_value_destroy (&reply);
    s_fails (fixture, "GetItem",
             "{\"TableName\":\"kept\",\"Key\":{\"pk\":{\"S\":\"a\"},\"sk\":"
             "{\"N\":\"1\"}}}",
             "ServiceUnavailable", NULL);
    worker = s_worker_new (fixture, "w1",
                           "[{\"TableId\":1,\"PartitionId\":0,"
                           "\"LastSequenceNumber\":3}]");
    ck_assert_int_eq (s_worker_assign (worker, NULL), 0);
    ck_assert_int_eq (s_worker_assign (worker, NULL), 1);
    s_worker_destroy (&worker);
    s_fixture_destroy (&fixture);
}
END_TEST

//  Mutated requests of every operation: each gets exactly one reply and
//  the broker keeps serving
START_TEST (test_mutations)
{
    s_fixture_t *fixture = s_fixture_new ("broker-mutations", 1000, 5);
    const char *seeds [][2] = {
        { "CreateTable",
          "{\"TableName\":\"mut\",\"KeySchema\":[{\"AttributeName\":"
          "\"pk\",\"KeyType\":\"HASH\"},{\"AttributeName\":\"sk\","
          "\"KeyType\":\"RANGE\"}],\"AttributeDefinitions\":[{"
          "\"AttributeName\":\"pk\",\"AttributeType\":\"S\"},{"
          "\"AttributeName\":\"sk\",\"AttributeType\":\"N\"}],"
          "\"ProvisionedThroughput\":{\"ReadCapacityUnits\":1,"
          "\"WriteCapacityUnits\":1},\"LocalSecondaryIndexes\":[{"
          "\"IndexName\":\"lsi\",\"KeySchema\":[{\"AttributeName\":"
          "\"pk\",\"KeyType\":\"HASH\"},{\"AttributeName\":\"sk\","
          "\"KeyType\":\"RANGE\"}],\"Projection\":{\"ProjectionType\":"
          "\"ALL\"}}],\"StreamSpecification\":{\"StreamEnabled\":true,"
          "\"StreamViewType\":\"NEW_IMAGE\"}}" },
        { "PutItem", "{\"TableName\":\"mut\",\"Item\":{\"pk\":{\"S\":"
          "\"a\"},\"sk\":{\"N\":\"1\"}}}" },
        { "Query", "{\"TableName\":\"mut\",\"KeyConditionExpression\":"
          "\"pk = :v AND sk > :w\",\"ExpressionAttributeValues\":{\":v\":"
          "{\"S\":\"a\"},\":w\":{\"N\":\"1\"}}}" },
        { "Scan", "{\"TableName\":\"mut\",\"Limit\":3,\"Segment\":0,"
          "\"TotalSegments\":2,\"ExclusiveStartKey\":{\"pk\":{\"S\":"
          "\"a\"},\"sk\":{\"N\":\"1\"}}}" },
        { "BatchWriteItem", "{\"RequestItems\":{\"mut\":[{\"PutRequest\":"
          "{\"Item\":{\"pk\":{\"S\":\"a\"},\"sk\":{\"N\":\"1\"}}}}]}}" },
        { "BatchGetItem", "{\"RequestItems\":{\"mut\":{\"Keys\":[{\"pk\":"
          "{\"S\":\"a\"},\"sk\":{\"N\":\"1\"}}]}}}" },
        { "ListTables", "{\"Limit\":2,\"ExclusiveStartTableName\":\"abc\"}" },
        { "ZynGetShards", "{\"TableName\":\"mut\"}" },
        { "DeleteTable", "{\"TableName\":\"mut\"}" },
    };
    size_t seed_count = sizeof (seeds) / sizeof (seeds [0]);
    uint32_t random = 12345;
    for (int round = 0; round < 3000; round++) {
        size_t which = (size_t) round % seed_count;
        zyn_value_t *request = s_request (seeds [which][1]);
        size_t size;
        uint8_t *data = (uint8_t *) zyn_value_encode (request, &size);
        zyn_value_destroy (&request);
        int flips = 1 + round % 4;
        for (int f = 0; f < flips; f++) {
            random = random * 1103515245 + 12345;
            size_t at = (random >> 8) % size;
            random = random * 1103515245 + 12345;
            data [at] = (uint8_t) (random >> 16);
        }
        random = random * 1103515245 + 12345;
        if ((random >> 16) % 8 == 0)
            size = (random >> 4) % size;
        uint64_t request_id = fixture->next_id++;
        zmsg_t *msg = zyn_proto_request_new (request_id, seeds [which][0],
                                             data, size);
        free (data);
        zmsg_send (&msg, fixture->client);
        char *status = s_recv_any (fixture, request_id);
        ck_assert_ptr_nonnull (status);
        free (status);
    }
    zyn_value_t *reply = s_call (fixture, "ListTables", "{}");
    zyn_value_destroy (&reply);
    s_fixture_destroy (&fixture);
}
END_TEST

Suite *
zyn_broker_suite (void)
{
    Suite *suite = suite_create ("zyn_broker");
    TCase *tc = tcase_create ("tables");
    tcase_set_timeout (tc, 30);
    tcase_add_test (tc, test_lifecycle);
    tcase_add_test (tc, test_restart);
    suite_add_tcase (suite, tc);
    tc = tcase_create ("routing");
    tcase_set_timeout (tc, 30);
    tcase_add_test (tc, test_routing);
    tcase_add_test (tc, test_scan_walk);
    tcase_add_test (tc, test_batch);
    tcase_add_test (tc, test_mutations);
    suite_add_tcase (suite, tc);
    tc = tcase_create ("failover");
    tcase_set_timeout (tc, 30);
    tcase_add_test (tc, test_expiry);
    tcase_add_test (tc, test_unavailable);
    tcase_add_test (tc, test_request_timeout);
    suite_add_tcase (suite, tc);
    return suite;
}

ZYN_TEST_MAIN (zyn_broker_suite)

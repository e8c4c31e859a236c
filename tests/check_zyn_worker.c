/*  =========================================================================
    check_zyn_worker - the worker actor against a fake broker

    The test plays the broker: a real ROUTER on tcp://127.0.0.1:* for the
    back door and a SUB bound on tcp://127.0.0.1:* as the stream hub. It
    reads READY, sends WELCOME, ASSIGN and REQUESTs, and checks the
    replies and the published change records.
    =========================================================================
*/

#include "zyn_prelude.h"
#include "zyn_proto.h"
#include "zyn_worker.h"
#include "zyn_testutil.h"

typedef struct {
    char dir [1100];
    zsock_t *router;            //  The fake broker's back door
    zsock_t *sub;               //  The fake stream hub
    char *router_endpoint;
    char *sub_endpoint;
    zactor_t *worker;
    zframe_t *identity;         //  The worker's routing id
    uint64_t next_id;
} s_broker_t;

//  --------------------------------------------------------------------------
//  Helpers

static s_broker_t *
s_broker_new (void)
{
    s_broker_t *self = (s_broker_t *) zmalloc (sizeof (s_broker_t));
    zyn_test_dir (self->dir, sizeof (self->dir), "worker");
    self->router = zsock_new (ZMQ_ROUTER);
    int port = zsock_bind (self->router, "tcp://127.0.0.1:*");
    ck_assert_int_gt (port, 0);
    self->router_endpoint = zsys_sprintf ("tcp://127.0.0.1:%d", port);
    zsock_set_rcvtimeo (self->router, 5000);
    self->sub = zsock_new (ZMQ_SUB);
    zsock_set_subscribe (self->sub, "");
    port = zsock_bind (self->sub, "tcp://127.0.0.1:*");
    ck_assert_int_gt (port, 0);
    self->sub_endpoint = zsys_sprintf ("tcp://127.0.0.1:%d", port);
    self->next_id = 1;
    return self;
}

static void
s_broker_destroy (s_broker_t **self_p)
{
    s_broker_t *self = *self_p;
    zactor_destroy (&self->worker);
    zframe_destroy (&self->identity);
    zsock_destroy (&self->sub);
    zsock_destroy (&self->router);
    zstr_free (&self->router_endpoint);
    zstr_free (&self->sub_endpoint);
    zyn_test_dir_remove (self->dir);
    free (self);
    *self_p = NULL;
}

//  Start the worker actor on the test's data directory
static void
s_start_worker (s_broker_t *self)
{
    self->worker = zactor_new (zyn_worker_actor, NULL);
    char data [1200];
    snprintf (data, sizeof (data), "%s/worker-1", self->dir);
    zstr_sendx (self->worker, "START", "worker-1", data,
                self->router_endpoint, NULL);
    char *status = zstr_recv (self->worker);
    ck_assert_str_eq (status, "OK");
    zstr_free (&status);
}

//  Receive the next message from the worker that is not a HEARTBEAT;
//  pops identity and signature and returns the command in *command
static zmsg_t *
s_recv (s_broker_t *self, char **command)
{
    while (true) {
        zmsg_t *msg = zmsg_recv (self->router);
        ck_assert_msg (msg, "no message from the worker");
        zframe_t *identity = zmsg_pop (msg);
        //  Ephemeral ports are reused: a peer of another suite may still
        //  be reconnecting to this one. Only worker commands count.
        *command = zyn_proto_pop_signature (msg) == 0 ? zmsg_popstr (msg)
                                                      : NULL;
        if (*command
            && (streq (*command, ZYN_PROTO_READY)
                || streq (*command, ZYN_PROTO_ASSIGNED)
                || streq (*command, ZYN_PROTO_DROPPED)
                || streq (*command, ZYN_PROTO_REPLY)
                || streq (*command, ZYN_PROTO_DISCONNECT))) {
            zframe_destroy (&self->identity);
            self->identity = identity;
            return msg;
        }
        zframe_destroy (&identity);
        zstr_free (command);
        zmsg_destroy (&msg);
    }
}

//  Decode the next frame of msg as a map
static zyn_value_t *
s_body (zmsg_t *msg)
{
    zframe_t *frame = zmsg_pop (msg);
    ck_assert_ptr_nonnull (frame);
    zyn_error_t err = { 0 };
    zyn_value_t *body = zyn_value_decode (zframe_data (frame),
                                          zframe_size (frame), &err);
    ck_assert_msg (body, "bad body: %s", err.message);
    zframe_destroy (&frame);
    return body;
}

//  Send a command with a body (may be NULL) to the worker
static void
s_send (s_broker_t *self, const char *command, const zyn_value_t *body)
{
    zmsg_t *msg = zmsg_new ();
    zmsg_append (msg, &(zframe_t *) { zframe_dup (self->identity) });
    zmsg_addstr (msg, ZYN_PROTO_SIGNATURE);
    zmsg_addstr (msg, command);
    if (body) {
        size_t size;
        void *data = zyn_value_encode (body, &size);
        zmsg_addmem (msg, data, size);
        free (data);
    }
    zmsg_send (&msg, self->router);
}

//  Expect READY and return its body
static zyn_value_t *
s_expect_ready (s_broker_t *self)
{
    char *command;
    zmsg_t *msg = s_recv (self, &command);
    ck_assert_str_eq (command, ZYN_PROTO_READY);
    char *worker_id = zmsg_popstr (msg);
    ck_assert_str_eq (worker_id, "worker-1");
    zyn_value_t *body = s_body (msg);
    ck_assert_str_eq (zyn_value_map_get_s (body, "WorkerId"), "worker-1");
    zstr_free (&worker_id);
    zstr_free (&command);
    zmsg_destroy (&msg);
    return body;
}

static void
s_welcome (s_broker_t *self, int interval, int liveness)
{
    zyn_value_t *body = zyn_value_new_m ();
    zyn_value_map_put_s (body, "StreamEndpoint", self->sub_endpoint);
    zyn_value_map_put_int (body, "HeartbeatInterval", interval);
    zyn_value_map_put_int (body, "HeartbeatLiveness", liveness);
    s_send (self, ZYN_PROTO_WELCOME, body);
    zyn_value_destroy (&body);
}

//  ASSIGN a partition over the whole hash range, key pk (S); returns
//  ASSIGNED's LastSequenceNumber
static int64_t
s_assign_partition (s_broker_t *self, int64_t table_id, const char *name,
                    int64_t partition_id)
{
    zyn_value_t *descriptor = zyn_value_new_m ();
    zyn_value_map_put_int (descriptor, "TableId", table_id);
    zyn_value_map_put_s (descriptor, "TableName", name);
    zyn_value_map_put_int (descriptor, "PartitionId", partition_id);
    uint8_t hash [8];
    zyn_put_u64 (hash, 0);
    zyn_value_t *value = zyn_value_new_b (hash, 8);
    zyn_value_map_put (descriptor, "HashStart", &value);
    zyn_put_u64 (hash, UINT64_MAX);
    value = zyn_value_new_b (hash, 8);
    zyn_value_map_put (descriptor, "HashEnd", &value);
    zyn_value_t *list = zyn_value_new_l ();
    zyn_value_t *element = zyn_value_new_m ();
    zyn_value_map_put_s (element, "AttributeName", "pk");
    zyn_value_map_put_s (element, "KeyType", "HASH");
    zyn_value_list_append (list, &element);
    zyn_value_map_put (descriptor, "KeySchema", &list);
    list = zyn_value_new_l ();
    element = zyn_value_new_m ();
    zyn_value_map_put_s (element, "AttributeName", "pk");
    zyn_value_map_put_s (element, "AttributeType", "S");
    zyn_value_list_append (list, &element);
    zyn_value_map_put (descriptor, "AttributeDefinitions", &list);
    s_send (self, ZYN_PROTO_ASSIGN, descriptor);
    zyn_value_destroy (&descriptor);

    char *command;
    zmsg_t *msg = s_recv (self, &command);
    ck_assert_str_eq (command, ZYN_PROTO_ASSIGNED);
    zyn_value_t *body = s_body (msg);
    int64_t number;
    ck_assert_int_eq (zyn_value_map_get_int (body, "TableId", &number), 0);
    ck_assert_int_eq (number, table_id);
    ck_assert_int_eq (zyn_value_map_get_int (body, "PartitionId", &number),
                      0);
    ck_assert_int_eq (number, partition_id);
    int64_t seq = -1;
    ck_assert_int_eq (zyn_value_map_get_int (body, "LastSequenceNumber",
                                             &seq),
                      0);
    zyn_value_destroy (&body);
    zstr_free (&command);
    zmsg_destroy (&msg);
    return seq;
}

//  Assign partition 3 of table 7, Music
static int64_t
s_assign (s_broker_t *self)
{
    return s_assign_partition (self, 7, "Music", 3);
}

//  Send a REQUEST for partition table_id/partition_id with body given as
//  a map (or raw bytes when map is NULL); returns its request id
static uint64_t
s_request_to (s_broker_t *self, const char *operation, const zyn_value_t *map,
              uint32_t table_id, uint32_t partition_id)
{
    uint64_t request_id = self->next_id++;
    zmsg_t *msg = zmsg_new ();
    zmsg_append (msg, &(zframe_t *) { zframe_dup (self->identity) });
    zmsg_addstr (msg, ZYN_PROTO_SIGNATURE);
    zmsg_addstr (msg, ZYN_PROTO_REQUEST);
    zmsg_addstr (msg, "client-1");
    uint8_t id [8];
    zyn_proto_put_request_id (id, request_id);
    zmsg_addmem (msg, id, 8);
    zmsg_addstr (msg, operation);
    uint8_t partition [12];
    zyn_proto_put_partition (partition, table_id, partition_id);
    zmsg_addmem (msg, partition, 12);
    size_t size;
    void *data = zyn_value_encode (map, &size);
    zmsg_addmem (msg, data, size);
    free (data);
    zmsg_send (&msg, self->router);
    return request_id;
}

//  Send a REQUEST for partition 7/3
static uint64_t
s_request (s_broker_t *self, const char *operation, const zyn_value_t *map)
{
    return s_request_to (self, operation, map, 7, 3);
}

//  Receive a REPLY: checks client and request id, returns the status and
//  the body
static char *
s_reply (s_broker_t *self, uint64_t request_id, zyn_value_t **body)
{
    char *command;
    zmsg_t *msg = s_recv (self, &command);
    ck_assert_str_eq (command, ZYN_PROTO_REPLY);
    char *client = zmsg_popstr (msg);
    ck_assert_str_eq (client, "client-1");
    zframe_t *id = zmsg_pop (msg);
    ck_assert_uint_eq (zyn_proto_request_id (id), request_id);
    char *status = zmsg_popstr (msg);
    *body = s_body (msg);
    ck_assert_uint_eq (zmsg_size (msg), 0);
    zframe_destroy (&id);
    zstr_free (&client);
    zstr_free (&command);
    zmsg_destroy (&msg);
    return status;
}

static zyn_value_t *
s_map (const char *json)
{
    zyn_error_t err = { 0 };
    zyn_value_t *map = zyn_value_from_json (json, true, &err);
    ck_assert_msg (map, "bad JSON %s: %s", json, err.message);
    return map;
}

//  A PutItem request for item pk = key, n = number
static zyn_value_t *
s_put_request (const char *key, int number)
{
    zyn_value_t *request = zyn_value_new_m ();
    zyn_value_map_put_s (request, "TableName", "Music");
    zyn_value_t *item = zyn_value_new_m ();
    zyn_value_map_put_s (item, "pk", key);
    zyn_value_map_put_int (item, "n", number);
    zyn_value_map_put (request, "Item", &item);
    return request;
}

//  Send a GetItem of pk = key; returns its request id
static uint64_t
s_get (s_broker_t *self, const char *key)
{
    zyn_value_t *request = zyn_value_new_m ();
    zyn_value_t *key_map = zyn_value_new_m ();
    zyn_value_map_put_s (key_map, "pk", key);
    zyn_value_map_put (request, "Key", &key_map);
    uint64_t id = s_request (self, "GetItem", request);
    zyn_value_destroy (&request);
    return id;
}

//  Put and expect OK
static void
s_put_ok (s_broker_t *self, const char *key, int number)
{
    zyn_value_t *request = s_put_request (key, number);
    uint64_t id = s_request (self, "PutItem", request);
    zyn_value_destroy (&request);
    zyn_value_t *body;
    char *status = s_reply (self, id, &body);
    ck_assert_str_eq (status, "OK");
    zstr_free (&status);
    zyn_value_destroy (&body);
}

//  Receive one published record; returns its seq, or 0 on timeout
static uint64_t
s_record (s_broker_t *self, int timeout, zyn_value_t **record)
{
    zsock_set_rcvtimeo (self->sub, timeout);
    zmsg_t *msg = NULL;
    char *topic = NULL;
    while (true) {
        msg = zmsg_recv (self->sub);
        if (!msg)
            return 0;
        topic = zmsg_popstr (msg);
        //  Skip what a stray publisher on a reused port may send
        if (topic && streq (topic, "s/Music/3/"))
            break;
        zstr_free (&topic);
        zmsg_destroy (&msg);
    }
    ck_assert_uint_eq (zmsg_size (msg), 2);
    zframe_t *seq_frame = zmsg_pop (msg);
    ck_assert_uint_eq (zframe_size (seq_frame), 8);
    uint64_t seq = zyn_get_u64 (zframe_data (seq_frame));
    zyn_value_t *body = s_body (msg);
    int64_t body_seq;
    ck_assert_int_eq (zyn_value_map_get_int (body, "SequenceNumber",
                                             &body_seq),
                      0);
    ck_assert_uint_eq ((uint64_t) body_seq, seq);
    if (record)
        *record = body;
    else
        zyn_value_destroy (&body);
    zframe_destroy (&seq_frame);
    zstr_free (&topic);
    zmsg_destroy (&msg);
    return seq;
}

//  PUB/SUB drops what is published before the subscription arrives:
//  write until a record comes through. Returns the last seq written.
static uint64_t
s_warm_up (s_broker_t *self)
{
    for (int attempt = 0; attempt < 100; attempt++) {
        s_put_ok (self, "warm", attempt);
        uint64_t seq = s_record (self, 100, NULL);
        if (seq) {
            //  Drain anything else already sent
            while (s_record (self, 50, NULL))
                ;
            return (uint64_t) attempt + 1;
        }
    }
    ck_abort_msg ("no record published");
    return 0;
}

//  The worker's STATS: commits, requests, published; returns trimmed
static uint64_t
s_stats (s_broker_t *self, uint64_t *commits, uint64_t *requests,
         uint64_t *published)
{
    zstr_send (self->worker, "STATS");
    char *a, *b, *c, *d, *e, *f, *g;
    ck_assert_int_eq (zstr_recvx (self->worker, &a, &b, &c, &d, &e, &f, &g,
                                  NULL), 7);
    zstr_free (&e);
    zstr_free (&f);
    zstr_free (&g);
    *commits = strtoull (a, NULL, 10);
    *requests = strtoull (b, NULL, 10);
    *published = strtoull (c, NULL, 10);
    uint64_t trimmed = strtoull (d, NULL, 10);
    zstr_free (&a);
    zstr_free (&b);
    zstr_free (&c);
    zstr_free (&d);
    return trimmed;
}

//  Read the reply to GetItem request id: OK, with the item given as JSON
static void
s_expect_item (s_broker_t *self, uint64_t id, const char *item_json)
{
    zyn_value_t *body;
    char *status = s_reply (self, id, &body);
    ck_assert_str_eq (status, "OK");
    zyn_value_t *expected = s_map (item_json);
    ck_assert (zyn_value_equal (zyn_value_map_get (body, "Item"), expected));
    zyn_value_destroy (&expected);
    zyn_value_destroy (&body);
    zstr_free (&status);
}

//  A broker with a started worker, welcomed, serving partition 7/3
static s_broker_t *
s_serving (void)
{
    s_broker_t *self = s_broker_new ();
    s_start_worker (self);
    zyn_value_t *ready = s_expect_ready (self);
    zyn_value_destroy (&ready);
    s_welcome (self, 1000, 3);
    s_assign (self);
    return self;
}

//  --------------------------------------------------------------------------
//  READY, WELCOME, ASSIGN, requests, replies, records, DROP

START_TEST (test_protocol)
{
    s_broker_t *self = s_broker_new ();
    s_start_worker (self);
    zyn_value_t *ready = s_expect_ready (self);
    ck_assert_uint_eq (zyn_value_size (zyn_value_map_get (ready,
                                                          "Partitions")),
                       0);
    zyn_value_destroy (&ready);
    s_welcome (self, 1000, 3);
    ck_assert_int_eq (s_assign (self), 0);
    uint64_t seq = s_warm_up (self);

    //  A put, then its record; a get in a later batch sees it
    s_put_ok (self, "a", 42);
    zyn_value_t *record = NULL;
    ck_assert_uint_eq (s_record (self, 5000, &record), seq + 1);
    ck_assert_str_eq (zyn_value_map_get_s (record, "eventName"), "INSERT");
    zyn_value_destroy (&record);

    s_expect_item (self, s_get (self, "a"), "{\"pk\":{\"S\":\"a\"},"
                                            "\"n\":{\"N\":\"42\"}}");

    //  Errors: validation, unknown operation, malformed body
    zyn_value_t *item = zyn_value_new_m ();
    zyn_value_map_put_int (item, "n", 1);
    zyn_value_t *request = zyn_value_new_m ();
    zyn_value_map_put (request, "Item", &item);
    uint64_t id = s_request (self, "PutItem", request);
    zyn_value_destroy (&request);
    zyn_value_t *body;
    char *status = s_reply (self, id, &body);
    ck_assert_str_eq (status, "ValidationException");
    ck_assert_str_eq (zyn_value_map_get_s (body, "message"),
                      "One or more parameter values were invalid: Missing "
                      "the key pk in the item");
    zyn_value_destroy (&body);
    zstr_free (&status);

    request = zyn_value_new_m ();
    id = s_request (self, "FlyToTheMoon", request);
    zyn_value_destroy (&request);
    status = s_reply (self, id, &body);
    ck_assert_str_eq (status, "UnknownOperationException");
    zyn_value_destroy (&body);
    zstr_free (&status);

    //  A REQUEST whose body is not MessagePack
    zmsg_t *msg = zmsg_new ();
    zmsg_append (msg, &(zframe_t *) { zframe_dup (self->identity) });
    zmsg_addstr (msg, ZYN_PROTO_SIGNATURE);
    zmsg_addstr (msg, ZYN_PROTO_REQUEST);
    zmsg_addstr (msg, "client-1");
    uint8_t raw_id [8];
    zyn_proto_put_request_id (raw_id, 999);
    zmsg_addmem (msg, raw_id, 8);
    zmsg_addstr (msg, "PutItem");
    uint8_t partition [12];
    zyn_proto_put_partition (partition, 7, 3);
    zmsg_addmem (msg, partition, 12);
    zmsg_addmem (msg, "\xc1\xc1", 2);
    zmsg_send (&msg, self->router);
    status = s_reply (self, 999, &body);
    ck_assert_str_eq (status, "SerializationException");
    zyn_value_destroy (&body);
    zstr_free (&status);

    //  A REQUEST missing its partition and body frames
    msg = zmsg_new ();
    zmsg_append (msg, &(zframe_t *) { zframe_dup (self->identity) });
    zmsg_addstr (msg, ZYN_PROTO_SIGNATURE);
    zmsg_addstr (msg, ZYN_PROTO_REQUEST);
    zmsg_addstr (msg, "client-1");
    zyn_proto_put_request_id (raw_id, 1000);
    zmsg_addmem (msg, raw_id, 8);
    zmsg_addstr (msg, "PutItem");
    zmsg_send (&msg, self->router);
    status = s_reply (self, 1000, &body);
    ck_assert_str_eq (status, "SerializationException");
    zyn_value_destroy (&body);
    zstr_free (&status);

    //  Garbage without a signature is dropped; the worker goes on
    msg = zmsg_new ();
    zmsg_append (msg, &(zframe_t *) { zframe_dup (self->identity) });
    zmsg_addstr (msg, "HELLO");
    zmsg_send (&msg, self->router);

    //  The change log by request
    request = zyn_value_new_m ();
    zyn_value_map_put_s (request, "TableName", "Music");
    zyn_value_map_put_int (request, "PartitionId", 3);
    zyn_value_map_put_int (request, "StartSequenceNumber", (int64_t) seq);
    id = s_request (self, "ZynGetStreamRecords", request);
    zyn_value_destroy (&request);
    status = s_reply (self, id, &body);
    ck_assert_str_eq (status, "OK");
    const zyn_value_t *records = zyn_value_map_get (body, "Records");
    ck_assert_uint_eq (zyn_value_size (records), 2);
    int64_t last;
    ck_assert_int_eq (zyn_value_map_get_int (body, "LastSequenceNumber",
                                             &last),
                      0);
    ck_assert_int_eq (last, (int64_t) seq + 1);
    zyn_value_destroy (&body);
    zstr_free (&status);

    //  DROP removes the partition and its files
    zyn_value_t *drop = zyn_value_new_m ();
    zyn_value_map_put_int (drop, "TableId", 7);
    zyn_value_map_put_int (drop, "PartitionId", 3);
    s_send (self, ZYN_PROTO_DROP, drop);
    zyn_value_destroy (&drop);
    char *command;
    msg = s_recv (self, &command);
    ck_assert_str_eq (command, ZYN_PROTO_DROPPED);
    zstr_free (&command);
    zmsg_destroy (&msg);
    char path [1200];
    snprintf (path, sizeof (path), "%s/worker-1/p-7-3", self->dir);
    ck_assert (!zsys_file_exists (path));

    //  Requests for a partition not hosted here
    request = s_put_request ("b", 1);
    id = s_request (self, "PutItem", request);
    zyn_value_destroy (&request);
    status = s_reply (self, id, &body);
    ck_assert_str_eq (status, "InternalServerError");
    ck_assert_str_eq (zyn_value_map_get_s (body, "message"),
                      "partition 7-3 is not hosted by worker worker-1");
    zyn_value_destroy (&body);
    zstr_free (&status);
    s_broker_destroy (&self);
}
END_TEST

//  --------------------------------------------------------------------------
//  Group commit: pipelined writes share fsyncs, every record published
//  once in order

START_TEST (test_group_commit)
{
    s_broker_t *self = s_serving ();
    uint64_t seq = s_warm_up (self);
    uint64_t commits_before, requests, published;
    s_stats (self, &commits_before, &requests, &published);

    //  200 writes to 50 keys, then a read of key k0 in the same stream:
    //  it must see the last write to k0
    const int count = 200;
    uint64_t first_id = self->next_id;
    for (int i = 0; i < count; i++) {
        char key [16];
        snprintf (key, sizeof (key), "k%d", i % 50);
        zyn_value_t *request = s_put_request (key, i);
        s_request (self, "PutItem", request);
        zyn_value_destroy (&request);
    }
    uint64_t get_id = s_get (self, "k0");

    //  Replies come in request order
    for (int i = 0; i < count; i++) {
        zyn_value_t *body;
        char *status = s_reply (self, first_id + i, &body);
        ck_assert_str_eq (status, "OK");
        zstr_free (&status);
        zyn_value_destroy (&body);
    }
    s_expect_item (self, get_id, "{\"pk\":{\"S\":\"k0\"},"
                                 "\"n\":{\"N\":\"150\"}}");

    //  Every record, in order, no gap
    for (int i = 0; i < count; i++) {
        zyn_value_t *record = NULL;
        ck_assert_uint_eq (s_record (self, 5000, &record), seq + 1 + i);
        ck_assert_str_eq (zyn_value_map_get_s (record, "eventName"),
                          i < 50 ? "INSERT" : "MODIFY");
        zyn_value_destroy (&record);
    }
    uint64_t commits;
    s_stats (self, &commits, &requests, &published);
    if (getenv ("ZYN_TEST_VERBOSE"))
        printf ("%d writes took %" PRIu64 " commits\n", count,
                commits - commits_before);
    ck_assert_msg (commits - commits_before <= count / 4,
                   "%d writes took %" PRIu64 " commits", count,
                   commits - commits_before);
    ck_assert_uint_ge (published, (uint64_t) count);
    s_broker_destroy (&self);
}
END_TEST

//  --------------------------------------------------------------------------
//  Restart: READY lists the partitions on disk with their last seq

START_TEST (test_restart)
{
    s_broker_t *self = s_serving ();
    for (int i = 0; i < 5; i++)
        s_put_ok (self, "r", i);
    //  A clean stop says DISCONNECT
    zactor_destroy (&self->worker);
    char *command;
    zmsg_t *msg = s_recv (self, &command);
    ck_assert_str_eq (command, ZYN_PROTO_DISCONNECT);
    zstr_free (&command);
    zmsg_destroy (&msg);

    s_start_worker (self);
    zyn_value_t *ready = s_expect_ready (self);
    const zyn_value_t *partitions = zyn_value_map_get (ready, "Partitions");
    ck_assert_uint_eq (zyn_value_size (partitions), 1);
    const zyn_value_t *entry = zyn_value_list_get (partitions, 0);
    int64_t number;
    ck_assert_int_eq (zyn_value_map_get_int (entry, "TableId", &number), 0);
    ck_assert_int_eq (number, 7);
    ck_assert_int_eq (zyn_value_map_get_int (entry, "PartitionId", &number),
                      0);
    ck_assert_int_eq (number, 3);
    ck_assert_int_eq (zyn_value_map_get_int (entry, "LastSequenceNumber",
                                             &number),
                      0);
    ck_assert_int_eq (number, 5);
    zyn_value_destroy (&ready);
    s_welcome (self, 1000, 3);
    ck_assert_int_eq (s_assign (self), 5);

    //  A second worker on the same data directory cannot open it
    zactor_t *second = zactor_new (zyn_worker_actor, NULL);
    char data [1200];
    snprintf (data, sizeof (data), "%s/worker-1", self->dir);
    zstr_sendx (second, "START", "worker-2", data, self->router_endpoint,
                NULL);
    char *status, *message;
    ck_assert_int_eq (zstr_recvx (second, &status, &message, NULL), 2);
    ck_assert_str_eq (status, "ERROR");
    ck_assert_ptr_nonnull (strstr (message, "cannot open partition "));
    zstr_free (&status);
    zstr_free (&message);
    zactor_destroy (&second);
    s_broker_destroy (&self);
}
END_TEST

//  --------------------------------------------------------------------------
//  A silent broker: the worker reconnects and says READY again

START_TEST (test_reconnect)
{
    s_broker_t *self = s_broker_new ();
    self->worker = zactor_new (zyn_worker_actor, NULL);
    zstr_sendx (self->worker, "BACKOFF", "50", "200", NULL);
    char data [1200];
    snprintf (data, sizeof (data), "%s/worker-1", self->dir);
    zstr_sendx (self->worker, "START", "worker-1", data,
                self->router_endpoint, NULL);
    char *status = zstr_recv (self->worker);
    ck_assert_str_eq (status, "OK");
    zstr_free (&status);
    zyn_value_t *ready = s_expect_ready (self);
    zyn_value_destroy (&ready);
    s_welcome (self, 100, 2);

    //  We never answer: heartbeats arrive, then a new READY
    int64_t started = zyn_mono_msecs ();
    ready = s_expect_ready (self);
    ck_assert_int_ge (zyn_mono_msecs () - started, 150);
    zyn_value_destroy (&ready);
    s_broker_destroy (&self);
}
END_TEST

//  --------------------------------------------------------------------------
//  An unusable data directory is refused at START

START_TEST (test_bad_data_dir)
{
    s_broker_t *self = s_broker_new ();
    char file [1200];
    snprintf (file, sizeof (file), "%s/not-a-dir", self->dir);
    FILE *handle = fopen (file, "w");
    ck_assert_ptr_nonnull (handle);
    fclose (handle);
    self->worker = zactor_new (zyn_worker_actor, NULL);
    zstr_sendx (self->worker, "START", "worker-1", file,
                self->router_endpoint, NULL);
    char *status, *message;
    ck_assert_int_eq (zstr_recvx (self->worker, &status, &message, NULL), 2);
    ck_assert_str_eq (status, "ERROR");
    ck_assert_ptr_nonnull (strstr (message, "is not usable"));
    zstr_free (&status);
    zstr_free (&message);

    //  An endpoint ZeroMQ cannot use
    char data [1200];
    snprintf (data, sizeof (data), "%s/worker-1", self->dir);
    zstr_sendx (self->worker, "START", "worker-1", data, "nowhere", NULL);
    ck_assert_int_eq (zstr_recvx (self->worker, &status, &message, NULL), 2);
    ck_assert_str_eq (status, "ERROR");
    ck_assert_str_eq (message, "cannot connect to broker endpoint nowhere");
    zstr_free (&status);
    zstr_free (&message);
    s_broker_destroy (&self);
}
END_TEST

//  --------------------------------------------------------------------------
//  A batch that cannot be made durable is answered InternalServerError,
//  never OK, and its records are not published

START_TEST (test_commit_failure)
{
    s_broker_t *self = s_serving ();
    s_warm_up (self);
    uint64_t commits_before, requests, published_before;
    s_stats (self, &commits_before, &requests, &published_before);

    char dir [1300];
    snprintf (dir, sizeof (dir), "%s/worker-1/p-7-3/", self->dir);
    ck_assert_int_eq (zyn_test_fill_log (dir), 1);
    //  Pipelined: the first put's commit is in flight while the others
    //  are staged over it, and a read sees the lost write staged. None
    //  of them may come back OK with what was lost.
    const int count = 40;
    uint64_t first_id = self->next_id;
    for (int i = 0; i < count; i++) {
        zyn_value_t *request = s_put_request (i % 2 ? "other" : "lost", i);
        s_request (self, "PutItem", request);
        zyn_value_destroy (&request);
    }
    uint64_t get_id = s_get (self, "lost");
    for (int i = 0; i < count; i++) {
        zyn_value_t *body;
        char *status = s_reply (self, first_id + i, &body);
        ck_assert_str_eq (status, "InternalServerError");
        ck_assert_str_eq (zyn_value_map_get_s (body, "message"),
                          "Internal server error: the write could not be "
                          "made durable");
        zstr_free (&status);
        zyn_value_destroy (&body);
    }
    zyn_value_t *body;
    char *status = s_reply (self, get_id, &body);
    if (streq (status, "OK"))
        ck_assert_ptr_null (zyn_value_map_get (body, "Item"));
    else
        ck_assert_str_eq (status, "InternalServerError");
    zstr_free (&status);
    zyn_value_destroy (&body);

    uint64_t commits, published;
    s_stats (self, &commits, &requests, &published);
    ck_assert_uint_eq (commits, commits_before);
    ck_assert_uint_eq (published, published_before);
    ck_assert_uint_eq (s_record (self, 100, NULL), 0);
    s_broker_destroy (&self);
}
END_TEST

//  Two partitions with writes in one batch commit on two threads at once;
//  when one of them fails (the first or the second: _i), only its writes
//  are answered InternalServerError, the other's are durable and read back
START_TEST (test_commit_failure_split)
{
    s_broker_t *self = s_serving ();
    s_assign_partition (self, 8, "Songs", 1);
    s_warm_up (self);
    uint64_t commits_before, requests, published_before;
    s_stats (self, &commits_before, &requests, &published_before);

    //  Both partitions have committed in parallel before the failure
    const char *tables [2] = { "Music", "Songs" };
    const uint32_t table_ids [2] = { 7, 8 };
    const uint32_t partition_ids [2] = { 3, 1 };
    const int count = 40;
    for (int round = 0; round < 2; round++) {
        if (round == 1) {
            char dir [1300];
            snprintf (dir, sizeof (dir), "%s/worker-1/p-%u-%u/", self->dir,
                      table_ids [_i], partition_ids [_i]);
            ck_assert_int_eq (zyn_test_fill_log (dir), 1);
        }
        uint64_t first_id = self->next_id;
        for (int i = 0; i < count; i++) {
            zyn_value_t *request = s_put_request ("k", round * count + i);
            zyn_value_map_put_s (request, "TableName", tables [i % 2]);
            s_request_to (self, "PutItem", request, table_ids [i % 2],
                          partition_ids [i % 2]);
            zyn_value_destroy (&request);
        }
        for (int i = 0; i < count; i++) {
            zyn_value_t *body;
            char *status = s_reply (self, first_id + i, &body);
            if (round == 1 && i % 2 == _i)
                ck_assert_str_eq (status, "InternalServerError");
            else
                ck_assert_str_eq (status, "OK");
            zstr_free (&status);
            zyn_value_destroy (&body);
        }
    }
    //  The partition that did not fail holds its last write of round 1
    int good = 1 - _i;
    zyn_value_t *request = zyn_value_new_m ();
    zyn_value_t *key_map = zyn_value_new_m ();
    zyn_value_map_put_s (key_map, "pk", "k");
    zyn_value_map_put (request, "Key", &key_map);
    zyn_value_map_put_s (request, "TableName", tables [good]);
    uint64_t id = s_request_to (self, "GetItem", request, table_ids [good],
                                partition_ids [good]);
    zyn_value_destroy (&request);
    zyn_value_t *body;
    char *status = s_reply (self, id, &body);
    ck_assert_str_eq (status, "OK");
    char json [100];
    snprintf (json, sizeof (json), "{\"pk\":{\"S\":\"k\"},"
              "\"n\":{\"N\":\"%d\"}}", 2 * count - 2 + good);
    zyn_value_t *expected = s_map (json);
    ck_assert (zyn_value_equal (zyn_value_map_get (body, "Item"), expected));
    zyn_value_destroy (&expected);
    zyn_value_destroy (&body);
    zstr_free (&status);

    uint64_t commits, published;
    s_stats (self, &commits, &requests, &published);
    ck_assert_uint_ge (commits, commits_before + 3);
    ck_assert_uint_eq (published, published_before + count + count / 2);
    s_broker_destroy (&self);
}
END_TEST

//  The change log keeps the retention window: older records are deleted,
//  newer ones and every item stay, and sequence numbers go on
START_TEST (test_trim_log)
{
    s_broker_t *self = s_serving ();
    uint64_t seq = s_warm_up (self);
    for (int i = 0; i < 30; i++) {
        char key [16];
        snprintf (key, sizeof (key), "old%d", i);
        s_put_ok (self, key, i);
    }
    zclock_sleep (1200);
    for (int i = 0; i < 5; i++) {
        char key [16];
        snprintf (key, sizeof (key), "new%d", i);
        s_put_ok (self, key, i);
    }
    uint64_t commits, requests, published;
    ck_assert_uint_eq (s_stats (self, &commits, &requests, &published), 0);
    //  Keep one second: the warm-up's and the 30 old records go
    zstr_sendx (self->worker, "RETENTION", "1000", "60000", NULL);
    uint64_t trimmed = 0;
    for (int attempt = 0; attempt < 100 && trimmed == 0; attempt++) {
        zclock_sleep (20);
        trimmed = s_stats (self, &commits, &requests, &published);
    }
    ck_assert_uint_eq (trimmed, seq + 30);

    zyn_value_t *request = zyn_value_new_m ();
    zyn_value_map_put_s (request, "TableName", "Music");
    zyn_value_map_put_int (request, "StartSequenceNumber", 1);
    uint64_t id = s_request (self, "ZynGetStreamRecords", request);
    zyn_value_destroy (&request);
    zyn_value_t *body;
    char *status = s_reply (self, id, &body);
    ck_assert_str_eq (status, "OK");
    const zyn_value_t *records = zyn_value_map_get (body, "Records");
    ck_assert_uint_eq (zyn_value_size (records), 5);
    for (size_t i = 0; i < 5; i++) {
        const zyn_value_t *record = zyn_value_list_get (records, i);
        int64_t number;
        ck_assert_int_eq (zyn_value_map_get_int (record, "SequenceNumber",
                                                 &number), 0);
        ck_assert_int_eq (number, (int64_t) (seq + 31 + i));
    }
    zyn_value_destroy (&body);
    zstr_free (&status);

    //  The items written with the trimmed records are all there
    s_expect_item (self, s_get (self, "old0"),
                   "{\"pk\":{\"S\":\"old0\"},\"n\":{\"N\":\"0\"}}");

    //  A new write takes the next sequence number; nothing more is trimmed
    while (s_record (self, 50, NULL))
        ;
    s_put_ok (self, "after", 1);
    ck_assert_uint_eq (s_record (self, 5000, NULL), seq + 36);
    ck_assert_uint_eq (s_stats (self, &commits, &requests, &published),
                       seq + 30);
    s_broker_destroy (&self);
}
END_TEST

Suite *
zyn_worker_suite (void)
{
    Suite *suite = suite_create ("zyn_worker");
    TCase *tcase = tcase_create ("protocol");
    tcase_set_timeout (tcase, 30);
    tcase_add_test (tcase, test_protocol);
    tcase_add_test (tcase, test_restart);
    tcase_add_test (tcase, test_bad_data_dir);
    suite_add_tcase (suite, tcase);
    tcase = tcase_create ("group_commit");
    tcase_set_timeout (tcase, 30);
    tcase_add_test (tcase, test_group_commit);
    tcase_add_test (tcase, test_commit_failure);
    tcase_add_loop_test (tcase, test_commit_failure_split, 0, 2);
    tcase_add_test (tcase, test_trim_log);
    suite_add_tcase (suite, tcase);
    tcase = tcase_create ("heartbeats");
    tcase_set_timeout (tcase, 30);
    tcase_add_test (tcase, test_reconnect);
    suite_add_tcase (suite, tcase);
    return suite;
}

ZYN_TEST_MAIN (zyn_worker_suite)

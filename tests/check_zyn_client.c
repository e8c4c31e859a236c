//  check_zyn_client - the client library and stream subscription against a
//  fake broker (a ROUTER in an actor) and a fake stream hub (an XPUB here)

#include "zyn_prelude.h"
#include "zyn_proto.h"
#include "../tests/zyn_testutil.h"

//  --------------------------------------------------------------------------
//  The fake broker. Operations:
//    Echo            OK, the request body back
//    Fail            ConditionalCheckFailedException with message and Item
//    Flaky           ServiceUnavailable twice, then OK {"Attempts": n}
//    Throttled       ThrottlingException once, then OK
//    PutItem         never answers (a lost write)
//    GetItem         no answer the first time, then OK {"Item": ...}
//    DeleteItem      InternalServerError (a write: not retried)
//    Query           InternalServerError once, then OK (a read: retried)
//    Hold            held until Release, then answered in reverse order
//    Release         answers every held request, newest first, then OK
//    DescribeTable   CREATING twice, then ACTIVE
//    ZynDescribeEndpoints, ZynGetShards, ZynGetStreamRecords: the hub's
//                    endpoint and an in-memory change log, as a broker does
//  Pipe commands: PORT -> port; COUNT op -> times op was received;
//  HUB endpoint; APPEND partition record -> "OK" (adds to the log; the
//  seq is the next of that partition)

#define LOG_PARTITIONS 2

typedef struct {
    zsock_t *pipe;
    zsock_t *router;
    zhashx_t *counts;               //  op -> count (as a pointer-int)
    zlist_t *held;                  //  zmsg_t requests held
    zlist_t *log [LOG_PARTITIONS];  //  zframe_t records, seq = index + 1
    char hub [256];
} s_fake_t;

static void
s_fake_reply (s_fake_t *self, zframe_t *identity, zframe_t *id,
              const char *status, const zyn_value_t *body)
{
    size_t size;
    void *data = zyn_value_encode (body, &size);
    zmsg_t *reply = zmsg_new ();
    zmsg_addmem (reply, zframe_data (identity), zframe_size (identity));
    zmsg_addstr (reply, ZYN_PROTO_SIGNATURE);
    zmsg_addmem (reply, zframe_data (id), zframe_size (id));
    zmsg_addstr (reply, status);
    zmsg_addmem (reply, data, size);
    free (data);
    zmsg_send (&reply, self->router);
}

static void
s_fake_error (s_fake_t *self, zframe_t *identity, zframe_t *id,
              zyn_errtype_t type, const char *message)
{
    zyn_value_t *body = zyn_value_new_m ();
    zyn_value_map_put_s (body, "message", message);
    s_fake_reply (self, identity, id, zyn_error_name (type), body);
    zyn_value_destroy (&body);
}

static size_t
s_fake_count (s_fake_t *self, const char *operation, bool bump)
{
    size_t count = (size_t) zhashx_lookup (self->counts, operation);
    if (bump) {
        count++;
        zhashx_update (self->counts, operation, (void *) count);
    }
    return count;
}

static void
s_fake_stream_records (s_fake_t *self, zyn_value_t *request,
                       zyn_value_t *response)
{
    int64_t partition = -1, start = 1, limit = 1000;
    zyn_value_map_get_int (request, "PartitionId", &partition);
    zyn_value_map_get_int (request, "StartSequenceNumber", &start);
    zyn_value_map_get_int (request, "Limit", &limit);
    zyn_value_t *records = zyn_value_new_l ();
    if (partition >= 0 && partition < LOG_PARTITIONS) {
        zlist_t *log = self->log [partition];
        int64_t seq = 1;
        for (zframe_t *frame = (zframe_t *) zlist_first (log); frame;
             frame = (zframe_t *) zlist_next (log), seq++) {
            if (seq < start || (int64_t) zyn_value_size (records) >= limit)
                continue;
            zyn_value_t *record = zyn_value_decode (
                zframe_data (frame), zframe_size (frame), NULL);
            zyn_value_list_append (records, &record);
        }
        zyn_value_map_put_int (response, "LastSequenceNumber",
                               (int64_t) zlist_size (log));
    }
    zyn_value_map_put (response, "Records", &records);
}

static void
s_fake_handle_request (s_fake_t *self, zmsg_t *msg)
{
    zframe_t *identity = zmsg_pop (msg);
    char *signature = zmsg_popstr (msg);
    zframe_t *id = zmsg_pop (msg);
    char *operation = zmsg_popstr (msg);
    zframe_t *body = zmsg_pop (msg);
    ck_assert_str_eq (signature, ZYN_PROTO_SIGNATURE);
    ck_assert_uint_ne (zyn_proto_request_id (id), 0);
    zyn_value_t *request = zyn_value_decode (zframe_data (body),
                                             zframe_size (body), NULL);
    ck_assert_ptr_nonnull (request);
    size_t count = s_fake_count (self, operation, true);
    zyn_value_t *response = zyn_value_new_m ();
    if (streq (operation, "Echo"))
        s_fake_reply (self, identity, id, ZYN_PROTO_OK, request);
    else
    if (streq (operation, "Fail")) {
        zyn_value_t *extra = zyn_value_new_m ();
        zyn_value_map_put_s (extra, "message",
                             "The conditional request failed");
        zyn_value_t *item = zyn_value_new_m ();
        zyn_value_map_put_s (item, "pk", "a");
        zyn_value_map_put (extra, "Item", &item);
        s_fake_reply (self, identity, id, "ConditionalCheckFailedException",
                      extra);
        zyn_value_destroy (&extra);
    }
    else
    if (streq (operation, "Flaky") && count <= 2)
        s_fake_error (self, identity, id, ZYN_ERR_SERVICE_UNAVAILABLE,
                      "worker gone");
    else
    if (streq (operation, "Throttled") && count == 1)
        s_fake_error (self, identity, id, ZYN_ERR_THROTTLING,
                      "Rate of requests exceeds the allowed throughput.");
    else
    if (streq (operation, "Flaky") || streq (operation, "Throttled")) {
        zyn_value_map_put_int (response, "Attempts", (int64_t) count);
        s_fake_reply (self, identity, id, ZYN_PROTO_OK, response);
    }
    else
    if (streq (operation, "PutItem")
        || (streq (operation, "GetItem") && count == 1)) {
        zframe_destroy (&identity);
        zframe_destroy (&id);
    }
    else
    if (streq (operation, "GetItem")
        || (streq (operation, "Query") && count > 1)) {
        zyn_value_t *key = zyn_value_map_take (request, "Key");
        if (key)
            zyn_value_map_put (response, "Item", &key);
        s_fake_reply (self, identity, id, ZYN_PROTO_OK, response);
    }
    else
    if (streq (operation, "DeleteItem")
        || (streq (operation, "Query") && count == 1))
        s_fake_error (self, identity, id, ZYN_ERR_INTERNAL,
                      "Internal server error");
    else
    if (streq (operation, "Hold")) {
        zmsg_t *held = zmsg_new ();
        zmsg_append (held, &identity);
        zmsg_append (held, &id);
        zmsg_append (held, &body);
        zlist_push (self->held, held);
    }
    else
    if (streq (operation, "Release")) {
        zmsg_t *held;
        while ((held = (zmsg_t *) zlist_pop (self->held))) {
            zframe_t *held_identity = zmsg_pop (held);
            zframe_t *held_id = zmsg_pop (held);
            zframe_t *held_body = zmsg_pop (held);
            zyn_value_t *value = zyn_value_decode (
                zframe_data (held_body), zframe_size (held_body), NULL);
            s_fake_reply (self, held_identity, held_id, ZYN_PROTO_OK, value);
            zyn_value_destroy (&value);
            zframe_destroy (&held_identity);
            zframe_destroy (&held_id);
            zframe_destroy (&held_body);
            zmsg_destroy (&held);
        }
        s_fake_reply (self, identity, id, ZYN_PROTO_OK, response);
    }
    else
    if (streq (operation, "DescribeTable")) {
        zyn_value_t *table = zyn_value_new_m ();
        zyn_value_map_put_s (table, "TableStatus",
                             count <= 2 ? "CREATING" : "ACTIVE");
        zyn_value_map_put (response, "Table", &table);
        s_fake_reply (self, identity, id, ZYN_PROTO_OK, response);
    }
    else
    if (streq (operation, "ZynDescribeEndpoints")) {
        zyn_value_map_put_s (response, "StreamEndpoint", self->hub);
        s_fake_reply (self, identity, id, ZYN_PROTO_OK, response);
    }
    else
    if (streq (operation, "ZynGetShards")) {
        zyn_value_t *shards = zyn_value_new_l ();
        for (int partition = 0; partition < LOG_PARTITIONS; partition++) {
            zyn_value_t *shard = zyn_value_new_m ();
            zyn_value_map_put_int (shard, "PartitionId", partition);
            zyn_value_map_put_int (shard, "LastSequenceNumber",
                                   (int64_t) zlist_size (self->log [partition]));
            zyn_value_list_append (shards, &shard);
        }
        zyn_value_map_put (response, "Shards", &shards);
        s_fake_reply (self, identity, id, ZYN_PROTO_OK, response);
    }
    else
    if (streq (operation, "ZynGetStreamRecords")) {
        s_fake_stream_records (self, request, response);
        s_fake_reply (self, identity, id, ZYN_PROTO_OK, response);
    }
    else
        s_fake_error (self, identity, id, ZYN_ERR_UNKNOWN_OPERATION,
                      operation);
    zyn_value_destroy (&response);
    zyn_value_destroy (&request);
    zframe_destroy (&body);
    zframe_destroy (&id);
    zframe_destroy (&identity);
    free (operation);
    free (signature);
}

static void
s_fake_actor (zsock_t *pipe, void *args)
{
    (void) args;
    s_fake_t self = { .pipe = pipe };
    self.router = zsock_new (ZMQ_ROUTER);
    zsock_set_sndhwm (self.router, 100000);
    zsock_set_rcvhwm (self.router, 100000);
    int port = zsock_bind (self.router, "tcp://127.0.0.1:*");
    ck_assert_int_gt (port, 0);
    self.counts = zhashx_new ();
    self.held = zlist_new ();
    for (int partition = 0; partition < LOG_PARTITIONS; partition++)
        self.log [partition] = zlist_new ();
    zsock_signal (pipe, 0);
    zpoller_t *poller = zpoller_new (pipe, self.router, NULL);
    bool terminated = false;
    while (!terminated) {
        zsock_t *which = (zsock_t *) zpoller_wait (poller, -1);
        if (!which)
            break;
        zmsg_t *msg = zmsg_recv (which);
        if (!msg)
            break;
        if (which == self.router) {
            s_fake_handle_request (&self, msg);
            zmsg_destroy (&msg);
            continue;
        }
        char *command = zmsg_popstr (msg);
        if (streq (command, "$TERM"))
            terminated = true;
        else
        if (streq (command, "PORT"))
            zstr_sendf (pipe, "%d", port);
        else
        if (streq (command, "COUNT")) {
            char *operation = zmsg_popstr (msg);
            zstr_sendf (pipe, "%zu", s_fake_count (&self, operation, false));
            free (operation);
        }
        else
        if (streq (command, "HUB")) {
            char *hub = zmsg_popstr (msg);
            snprintf (self.hub, sizeof (self.hub), "%s", hub);
            free (hub);
            zstr_send (pipe, "OK");
        }
        else
        if (streq (command, "APPEND")) {
            char *partition = zmsg_popstr (msg);
            zframe_t *record = zmsg_pop (msg);
            zlist_append (self.log [atoi (partition)], record);
            free (partition);
            zstr_send (pipe, "OK");
        }
        free (command);
        zmsg_destroy (&msg);
    }
    zpoller_destroy (&poller);
    zmsg_t *held;
    while ((held = (zmsg_t *) zlist_pop (self.held)))
        zmsg_destroy (&held);
    zlist_destroy (&self.held);
    for (int partition = 0; partition < LOG_PARTITIONS; partition++) {
        zframe_t *frame;
        while ((frame = (zframe_t *) zlist_pop (self.log [partition])))
            zframe_destroy (&frame);
        zlist_destroy (&self.log [partition]);
    }
    zhashx_destroy (&self.counts);
    zsock_destroy (&self.router);
}

//  Start the fake broker; endpoint gets its front door
static zactor_t *
s_fake_new (char *endpoint, size_t size)
{
    zactor_t *fake = zactor_new (s_fake_actor, NULL);
    zstr_send (fake, "PORT");
    char *port = zstr_recv (fake);
    snprintf (endpoint, size, "tcp://127.0.0.1:%s", port);
    free (port);
    return fake;
}

static size_t
s_fake_received (zactor_t *fake, const char *operation)
{
    zstr_sendx (fake, "COUNT", operation, NULL);
    char *count = zstr_recv (fake);
    size_t result = (size_t) atol (count);
    free (count);
    return result;
}

static zyn_value_t *
s_json (const char *json)
{
    zyn_value_t *value = zyn_value_from_json (json, true, NULL);
    ck_assert_ptr_nonnull (value);
    return value;
}

//  --------------------------------------------------------------------------

START_TEST (test_sync_calls)
{
    char endpoint [64];
    zactor_t *fake = s_fake_new (endpoint, sizeof (endpoint));
    zyn_error_t err = { 0 };
    zyn_client_t *client = zyn_client_new (endpoint, &err);
    ck_assert_ptr_nonnull (client);
    zyn_client_set_timeout (client, 5000);

    zyn_value_t *request = s_json ("{\"TableName\":{\"S\":\"t\"},"
                                   "\"Limit\":{\"N\":\"3\"}}");
    zyn_value_t *response = zyn_client_call (client, "Echo", request, &err);
    ck_assert_ptr_nonnull (response);
    ck_assert (zyn_value_equal (response, request));
    zyn_value_destroy (&response);
    //  No request body: an empty map travels
    response = zyn_client_call (client, "Echo", NULL, &err);
    ck_assert_int_eq (zyn_value_type (response), ZYN_TYPE_M);
    ck_assert_uint_eq (zyn_value_size (response), 0);
    zyn_value_destroy (&response);
    ck_assert_ptr_null (zyn_client_error_body (client));

    //  An error reply: its name, message and body
    response = zyn_client_call (client, "Fail", request, &err);
    ck_assert_ptr_null (response);
    ck_assert_int_eq (err.type, ZYN_ERR_CONDITIONAL_CHECK_FAILED);
    ck_assert_str_eq (err.message, "The conditional request failed");
    const zyn_value_t *body = zyn_client_error_body (client);
    ck_assert_ptr_nonnull (body);
    ck_assert_str_eq (zyn_value_map_get_s (zyn_value_map_get (body, "Item"),
                                           "pk"),
                      "a");
    ck_assert_int_eq (s_fake_received (fake, "Fail"), 1);
    //  The next call clears it
    response = zyn_client_call (client, "Echo", request, &err);
    ck_assert_ptr_nonnull (response);
    ck_assert_ptr_null (zyn_client_error_body (client));
    zyn_value_destroy (&response);

    //  An unknown status name is an InternalServerError... and the name
    //  the broker sent for an unknown operation is kept
    zyn_error_clear (&err);
    response = zyn_client_call (client, "NoSuchOperation", request, &err);
    ck_assert_ptr_null (response);
    ck_assert_int_eq (err.type, ZYN_ERR_UNKNOWN_OPERATION);
    ck_assert_str_eq (err.message, "NoSuchOperation");

    //  A bad operation name never leaves
    zyn_error_clear (&err);
    ck_assert_ptr_null (zyn_client_call (client, "", request, &err));
    ck_assert_int_eq (err.type, ZYN_ERR_VALIDATION);
    zyn_value_destroy (&request);
    zyn_client_destroy (&client);
    zyn_client_destroy (&client);
    zactor_destroy (&fake);
}
END_TEST

START_TEST (test_retries)
{
    char endpoint [64];
    zactor_t *fake = s_fake_new (endpoint, sizeof (endpoint));
    zyn_error_t err = { 0 };
    zyn_client_t *client = zyn_client_new (endpoint, &err);
    zyn_client_set_timeout (client, 3000);

    //  ServiceUnavailable and throttling: retried for any operation
    zyn_value_t *response = zyn_client_call (client, "Flaky", NULL, &err);
    ck_assert_msg (response, "%s", err.message);
    int64_t attempts;
    ck_assert_int_eq (zyn_value_map_get_int (response, "Attempts", &attempts),
                      0);
    ck_assert_int_eq (attempts, 3);
    ck_assert_ptr_null (zyn_client_error_body (client));
    zyn_value_destroy (&response);
    response = zyn_client_call (client, "Throttled", NULL, &err);
    ck_assert_ptr_nonnull (response);
    zyn_value_destroy (&response);
    ck_assert_int_eq (s_fake_received (fake, "Throttled"), 2);

    //  InternalServerError: a read is retried, a write is not
    response = zyn_client_call (client, "Query", NULL, &err);
    ck_assert_msg (response, "%s", err.message);
    zyn_value_destroy (&response);
    ck_assert_int_eq (s_fake_received (fake, "Query"), 2);
    zyn_value_t *key = s_json ("{\"pk\":{\"S\":\"a\"}}");
    ck_assert_int_eq (zyn_client_delete_item (client, "t", key, &err), -1);
    ck_assert_int_eq (err.type, ZYN_ERR_INTERNAL);
    ck_assert_int_eq (s_fake_received (fake, "DeleteItem"), 1);

    //  A lost read is sent again on a fresh socket (Lazy Pirate)
    zyn_client_set_timeout (client, 1000);
    zyn_value_t *item = zyn_client_get_item (client, "t", key, true, &err);
    ck_assert_msg (item, "%s", err.message);
    ck_assert (zyn_value_equal (item, key));
    zyn_value_destroy (&item);
    ck_assert_int_eq (s_fake_received (fake, "GetItem"), 2);

    //  A lost write is never sent again: ServiceUnavailable after the
    //  timeout
    zyn_client_set_timeout (client, 300);
    zyn_error_clear (&err);
    int64_t start = zyn_mono_msecs ();
    ck_assert_int_eq (zyn_client_put_item (client, "t", key, &err), -1);
    int64_t took = zyn_mono_msecs () - start;
    ck_assert_int_eq (err.type, ZYN_ERR_SERVICE_UNAVAILABLE);
    ck_assert_int_ge (took, 290);
    ck_assert_int_lt (took, 2000);
    ck_assert (strncmp (err.message, "no reply from broker within ", 28)
               == 0);
    ck_assert_int_eq (s_fake_received (fake, "PutItem"), 1);
    //  The client still works afterwards
    zyn_client_set_timeout (client, 3000);
    response = zyn_client_call (client, "Echo", key, &err);
    ck_assert_ptr_nonnull (response);
    zyn_value_destroy (&response);
    zyn_value_destroy (&key);
    zyn_client_destroy (&client);
    zactor_destroy (&fake);
}
END_TEST

START_TEST (test_no_broker)
{
    //  A broker that never answers (a ROUTER nobody reads; a closed port
    //  could be taken by another test's broker meanwhile): a read is sent
    //  again on fresh sockets, then times out into ServiceUnavailable
    zyn_error_t err = { 0 };
    zsock_t *silent = zsock_new (ZMQ_ROUTER);
    int port = zsock_bind (silent, "tcp://127.0.0.1:*");
    ck_assert_int_gt (port, 0);
    char endpoint [64];
    snprintf (endpoint, sizeof (endpoint), "tcp://127.0.0.1:%d", port);
    zyn_client_t *client = zyn_client_new (endpoint, &err);
    ck_assert_ptr_nonnull (client);
    zyn_client_set_timeout (client, 400);
    int64_t start = zyn_mono_msecs ();
    zyn_value_t *response = zyn_client_call (client, "Scan", NULL, &err);
    ck_assert_ptr_null (response);
    ck_assert_int_eq (err.type, ZYN_ERR_SERVICE_UNAVAILABLE);
    ck_assert_int_ge (zyn_mono_msecs () - start, 390);
    zyn_client_destroy (&client);
    int sends = 0;
    zsock_set_rcvtimeo (silent, 0);
    zmsg_t *msg;
    while ((msg = zmsg_recv (silent))) {
        sends++;
        zmsg_destroy (&msg);
    }
    ck_assert_int_ge (sends, 2);
    zsock_destroy (&silent);

    //  Unusable endpoints
    zyn_error_clear (&err);
    ck_assert_ptr_null (zyn_client_new ("bogus", &err));
    ck_assert_int_eq (err.type, ZYN_ERR_VALIDATION);
    ck_assert_str_eq (err.message, "cannot connect to broker endpoint 'bogus'");
    ck_assert_ptr_null (zyn_client_new (NULL, NULL));
}
END_TEST

START_TEST (test_pipelined)
{
    char endpoint [64];
    zactor_t *fake = s_fake_new (endpoint, sizeof (endpoint));
    zyn_error_t err = { 0 };
    zyn_client_t *client = zyn_client_new (endpoint, &err);
    zyn_client_set_timeout (client, 5000);

    //  Thousands in flight, answered in any order
    enum { IN_FLIGHT = 2000 };
    uint64_t ids [IN_FLIGHT];
    for (int i = 0; i < IN_FLIGHT; i++) {
        zyn_value_t *request = zyn_value_new_m ();
        zyn_value_map_put_int (request, "N", i);
        ids [i] = zyn_client_send (client, i % 2 ? "Echo" : "Hold", request,
                                   &err);
        ck_assert_uint_ne (ids [i], 0);
        if (i)
            ck_assert_uint_gt (ids [i], ids [i - 1]);
        zyn_value_destroy (&request);
    }
    //  A synchronous call meanwhile keeps the pipelined replies it meets
    zyn_value_t *response = zyn_client_call (client, "Release", NULL, &err);
    ck_assert_msg (response, "%s", err.message);
    zyn_value_destroy (&response);
    bool seen [IN_FLIGHT] = { false };
    int previous_held = IN_FLIGHT;
    for (int received = 0; received < IN_FLIGHT; received++) {
        uint64_t id = 0;
        response = zyn_client_recv (client, &id, 5000, &err);
        ck_assert_msg (response, "reply %d: %s", received, err.message);
        int64_t n;
        ck_assert_int_eq (zyn_value_map_get_int (response, "N", &n), 0);
        ck_assert_uint_eq (id, ids [n]);
        ck_assert (!seen [n]);
        seen [n] = true;
        if (n % 2 == 0) {
            //  Held requests come back newest first
            ck_assert_int_lt (n, previous_held);
            previous_held = (int) n;
        }
        zyn_value_destroy (&response);
    }
    //  Nothing more: ServiceUnavailable, id 0
    uint64_t id = 99;
    zyn_error_clear (&err);
    ck_assert_ptr_null (zyn_client_recv (client, &id, 50, &err));
    ck_assert_uint_eq (id, 0);
    ck_assert_int_eq (err.type, ZYN_ERR_SERVICE_UNAVAILABLE);

    //  Raw: bytes in, bytes out; an error keeps its body
    zyn_value_t *request = s_json ("{\"a\":{\"S\":\"b\"}}");
    size_t size;
    void *encoded = zyn_value_encode (request, &size);
    uint64_t sent = zyn_client_send_raw (client, "Echo", encoded, size, &err);
    ck_assert_uint_ne (sent, 0);
    void *body = NULL;
    size_t body_size = 0;
    ck_assert_int_eq (zyn_client_recv_raw (client, &id, 5000, &body,
                                           &body_size, &err),
                      0);
    ck_assert_uint_eq (id, sent);
    ck_assert_uint_eq (body_size, size);
    ck_assert_int_eq (memcmp (body, encoded, size), 0);
    free (body);
    sent = zyn_client_send_raw (client, "Fail", encoded, size, &err);
    zyn_error_clear (&err);
    ck_assert_int_eq (zyn_client_recv_raw (client, &id, 5000, &body,
                                           &body_size, &err),
                      -1);
    ck_assert_uint_eq (id, sent);
    ck_assert_int_eq (err.type, ZYN_ERR_CONDITIONAL_CHECK_FAILED);
    ck_assert_ptr_nonnull (body);
    zyn_value_t *error_body = zyn_value_decode (body, body_size, NULL);
    ck_assert_str_eq (zyn_value_map_get_s (error_body, "message"),
                      "The conditional request failed");
    ck_assert_ptr_nonnull (zyn_client_error_body (client));
    zyn_value_destroy (&error_body);
    free (body);
    free (encoded);
    zyn_value_destroy (&request);
    zyn_client_destroy (&client);
    zactor_destroy (&fake);
}
END_TEST

START_TEST (test_shorthands)
{
    char endpoint [64];
    zactor_t *fake = s_fake_new (endpoint, sizeof (endpoint));
    zyn_error_t err = { 0 };
    zyn_client_t *client = zyn_client_new (endpoint, &err);
    zyn_client_set_timeout (client, 2000);
    //  CreateTable is unknown to the fake: the error comes through
    ck_assert_int_eq (zyn_client_create_table (client, "t", "pk", "S", "sk",
                                               "N", &err),
                      -1);
    ck_assert_int_eq (err.type, ZYN_ERR_UNKNOWN_OPERATION);
    //  DescribeTable says CREATING twice, then ACTIVE
    zyn_error_clear (&err);
    ck_assert_int_eq (zyn_client_wait_active (client, "t", 5000, &err), 0);
    ck_assert_int_eq (s_fake_received (fake, "DescribeTable"), 3);
    zyn_client_destroy (&client);
    zactor_destroy (&fake);
}
END_TEST

//  --------------------------------------------------------------------------
//  Stream subscription

typedef struct {
    zactor_t *fake;
    zsock_t *hub;                   //  XPUB: sees subscriptions
    char endpoint [64];
} s_stream_fixture_t;

static void
s_stream_fixture (s_stream_fixture_t *self)
{
    self->fake = s_fake_new (self->endpoint, sizeof (self->endpoint));
    self->hub = zsock_new (ZMQ_XPUB);
    zsock_set_xpub_verbose (self->hub, 1);
    int port = zsock_bind (self->hub, "tcp://127.0.0.1:*");
    ck_assert_int_gt (port, 0);
    //  The broker may name a wildcard host; the client uses its own
    char hub [64];
    snprintf (hub, sizeof (hub), "tcp://*:%d", port);
    zstr_sendx (self->fake, "HUB", hub, NULL);
    char *ok = zstr_recv (self->fake);
    free (ok);
}

static void
s_stream_fixture_end (s_stream_fixture_t *self)
{
    zsock_destroy (&self->hub);
    zactor_destroy (&self->fake);
}

//  Append a record for partition to the log; publish it live if publish
static void
s_commit (s_stream_fixture_t *self, int partition, uint64_t seq,
          bool publish)
{
    zyn_value_t *record = zyn_value_new_m ();
    zyn_value_map_put_s (record, "eventName", "INSERT");
    zyn_value_map_put_s (record, "TableName", "t");
    zyn_value_map_put_int (record, "PartitionId", partition);
    zyn_value_map_put_int (record, "SequenceNumber", (int64_t) seq);
    size_t size;
    void *data = zyn_value_encode (record, &size);
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, "APPEND");
    zmsg_addstrf (msg, "%d", partition);
    zmsg_addmem (msg, data, size);
    zmsg_send (&msg, self->fake);
    char *ok = zstr_recv (self->fake);
    free (ok);
    if (publish) {
        char topic [64];
        zyn_proto_stream_topic (topic, sizeof (topic), "t",
                                (uint32_t) partition);
        uint8_t seq_frame [8];
        zyn_put_u64 (seq_frame, seq);
        msg = zmsg_new ();
        zmsg_addstr (msg, topic);
        zmsg_addmem (msg, seq_frame, 8);
        zmsg_addmem (msg, data, size);
        zmsg_send (&msg, self->hub);
    }
    free (data);
    zyn_value_destroy (&record);
}

//  Wait until a subscriber's subscription reaches the hub
static void
s_wait_subscribed (s_stream_fixture_t *self)
{
    zsock_set_rcvtimeo (self->hub, 5000);
    zframe_t *frame = zframe_recv (self->hub);
    ck_assert_ptr_nonnull (frame);
    while (zframe_data (frame) [0] == 0) {
        //  An earlier subscriber leaving
        zframe_destroy (&frame);
        frame = zframe_recv (self->hub);
        ck_assert_ptr_nonnull (frame);
    }
    ck_assert_int_eq (zframe_data (frame) [0], 1);
    ck_assert_int_eq (memcmp (zframe_data (frame) + 1, "s/t/", 4), 0);
    zframe_destroy (&frame);
}

//  The next record must be partition's seq
static void
s_expect (zyn_stream_t *stream, int partition, uint64_t seq)
{
    zyn_error_t err = { 0 };
    zyn_value_t *record = zyn_stream_next (stream, 5000, &err);
    ck_assert_msg (record, "expected p%d seq %" PRIu64 ": %s", partition, seq,
                   err.message);
    int64_t got_partition, got_seq;
    ck_assert_int_eq (zyn_value_map_get_int (record, "PartitionId",
                                             &got_partition),
                      0);
    ck_assert_int_eq (zyn_value_map_get_int (record, "SequenceNumber",
                                             &got_seq),
                      0);
    ck_assert_msg (got_partition == partition && (uint64_t) got_seq == seq,
                   "expected p%d seq %" PRIu64 ", got p%" PRId64
                   " seq %" PRId64,
                   partition, seq, got_partition, got_seq);
    ck_assert_uint_eq (zyn_stream_checkpoint (stream, (uint32_t) partition),
                       seq);
    zyn_value_destroy (&record);
}

static void
s_expect_nothing (zyn_stream_t *stream, int timeout)
{
    zyn_error_t err = { 0 };
    zyn_value_t *record = zyn_stream_next (stream, timeout, &err);
    ck_assert_msg (!record, "unexpected record");
    ck_assert_int_eq (err.type, ZYN_ERR_NONE);
}

START_TEST (test_stream_gaps)
{
    s_stream_fixture_t fixture;
    s_stream_fixture (&fixture);
    //  Committed before anyone listens: only the log has them
    for (uint64_t seq = 1; seq <= 3; seq++)
        s_commit (&fixture, 0, seq, false);
    for (uint64_t seq = 1; seq <= 2; seq++)
        s_commit (&fixture, 1, seq, false);

    zyn_error_t err = { 0 };
    zyn_stream_t *stream = zyn_stream_new (fixture.endpoint, "t", &err);
    ck_assert_msg (stream, "%s", err.message);
    ck_assert_uint_eq (zyn_stream_partitions (stream), 2);
    zyn_stream_set_from_start (stream);
    s_wait_subscribed (&fixture);
    //  Catch-up from the log, in order per partition (partitions may
    //  interleave, so collect per partition)
    uint64_t last [2] = { 0, 0 };
    for (int received = 0; received < 5; received++) {
        zyn_value_t *record = zyn_stream_next (stream, 5000, &err);
        ck_assert_msg (record, "%s", err.message);
        int64_t partition, seq;
        zyn_value_map_get_int (record, "PartitionId", &partition);
        zyn_value_map_get_int (record, "SequenceNumber", &seq);
        ck_assert_uint_eq ((uint64_t) seq, last [partition] + 1);
        last [partition] = (uint64_t) seq;
        zyn_value_destroy (&record);
    }
    ck_assert_uint_eq (last [0], 3);
    ck_assert_uint_eq (last [1], 2);
    s_expect_nothing (stream, 100);

    //  Live, with seq 5 dropped by the feed: 4 live, 6 live shows the gap,
    //  5 comes from the log, then 6 from the buffer
    s_commit (&fixture, 0, 4, true);
    s_expect (stream, 0, 4);
    s_commit (&fixture, 0, 5, false);
    s_commit (&fixture, 0, 6, true);
    s_expect (stream, 0, 5);
    s_expect (stream, 0, 6);
    //  A duplicate on the feed is discarded
    s_commit (&fixture, 1, 3, true);
    s_expect (stream, 1, 3);
    char topic [64];
    zyn_proto_stream_topic (topic, sizeof (topic), "t", 1);
    uint8_t seq_frame [8];
    zyn_put_u64 (seq_frame, 3);
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, topic);
    zmsg_addmem (msg, seq_frame, 8);
    zmsg_addstr (msg, "not even a record");
    zmsg_send (&msg, fixture.hub);
    //  A malformed message is ignored too
    zstr_sendx (fixture.hub, "s/t/x/", "y", "z", NULL);
    //  A dropped last message is found by asking the log when quiet
    s_commit (&fixture, 1, 4, false);
    s_expect (stream, 1, 4);
    s_expect_nothing (stream, 200);
    zyn_stream_destroy (&stream);
    zyn_stream_destroy (&stream);
    s_stream_fixture_end (&fixture);
}
END_TEST

START_TEST (test_stream_checkpoints)
{
    s_stream_fixture_t fixture;
    s_stream_fixture (&fixture);
    for (uint64_t seq = 1; seq <= 6; seq++)
        s_commit (&fixture, 0, seq, false);
    s_commit (&fixture, 1, 1, false);

    //  Resume partition 0 after 4; partition 1 starts at its end
    zyn_error_t err = { 0 };
    zyn_stream_t *stream = zyn_stream_new (fixture.endpoint, "t", &err);
    ck_assert_ptr_nonnull (stream);
    s_wait_subscribed (&fixture);
    zyn_stream_set_checkpoint (stream, 0, 4);
    ck_assert_uint_eq (zyn_stream_checkpoint (stream, 0), 4);
    ck_assert_uint_eq (zyn_stream_checkpoint (stream, 1), 1);
    ck_assert_uint_eq (zyn_stream_checkpoint (stream, 7), 0);
    s_expect (stream, 0, 5);
    s_expect (stream, 0, 6);
    s_expect_nothing (stream, 100);
    //  A record far ahead: everything between comes from the log
    for (uint64_t seq = 2; seq <= 40; seq++)
        s_commit (&fixture, 1, seq, seq == 40);
    for (uint64_t seq = 2; seq <= 40; seq++)
        s_expect (stream, 1, seq);
    s_expect_nothing (stream, 100);
    zyn_stream_destroy (&stream);

    //  A subscriber at the end sees only what comes next
    stream = zyn_stream_new (fixture.endpoint, "t", &err);
    ck_assert_ptr_nonnull (stream);
    s_wait_subscribed (&fixture);
    s_expect_nothing (stream, 100);
    s_commit (&fixture, 0, 7, true);
    s_expect (stream, 0, 7);
    zyn_stream_destroy (&stream);

    //  Failures: no table name, no broker reply
    zyn_error_clear (&err);
    ck_assert_ptr_null (zyn_stream_new (fixture.endpoint, "", &err));
    ck_assert_int_eq (err.type, ZYN_ERR_VALIDATION);
    s_stream_fixture_end (&fixture);
}
END_TEST

Suite *
zyn_client_suite (void)
{
    Suite *suite = suite_create ("zyn_client");
    TCase *tc = tcase_create ("calls");
    tcase_set_timeout (tc, 30);
    tcase_add_test (tc, test_sync_calls);
    tcase_add_test (tc, test_retries);
    tcase_add_test (tc, test_no_broker);
    tcase_add_test (tc, test_pipelined);
    tcase_add_test (tc, test_shorthands);
    suite_add_tcase (suite, tc);
    tc = tcase_create ("stream");
    tcase_set_timeout (tc, 30);
    tcase_add_test (tc, test_stream_gaps);
    tcase_add_test (tc, test_stream_checkpoints);
    suite_add_tcase (suite, tc);
    return suite;
}

ZYN_TEST_MAIN (zyn_client_suite)

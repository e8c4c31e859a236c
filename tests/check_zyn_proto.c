/*  =========================================================================
    check_zyn_proto - Check suite for zyn_proto

    Builds every message zyn_proto makes and splits it again as a peer
    would: request and reply frames, error replies and their bodies,
    request-id and partition frames, the signature, stream topics; and
    malformed frames, which must be refused rather than trusted.
    =========================================================================
*/

#include "zyn_prelude.h"
#include "zyn_error.h"
#include "zyn_proto.h"
#include "../tests/zyn_testutil.h"

//  Pop the next frame as a string, or fail; caller frees
static char *
s_pop_string (zmsg_t *msg)
{
    char *string = zmsg_popstr (msg);
    ck_assert_ptr_nonnull (string);
    return string;
}

//  Pop the next frame and check it holds exactly size bytes of data
static void
s_pop_expect (zmsg_t *msg, const void *data, size_t size)
{
    zframe_t *frame = zmsg_pop (msg);
    ck_assert_ptr_nonnull (frame);
    ck_assert_uint_eq (zframe_size (frame), size);
    if (size)
        ck_assert_mem_eq (zframe_data (frame), data, size);
    zframe_destroy (&frame);
}


START_TEST (test_request_id)
{
    uint8_t buf [8];
    zyn_proto_put_request_id (buf, 0x0102030405060708ULL);
    ck_assert_mem_eq (buf, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
    zframe_t *frame = zframe_new (buf, 8);
    ck_assert (zyn_proto_request_id (frame) == 0x0102030405060708ULL);
    zframe_destroy (&frame);
    zyn_proto_put_request_id (buf, UINT64_MAX);
    frame = zframe_new (buf, 8);
    ck_assert (zyn_proto_request_id (frame) == UINT64_MAX);
    zframe_destroy (&frame);
    //  Malformed frames read as 0, which is never a valid id
    frame = zframe_new (buf, 7);
    ck_assert (zyn_proto_request_id (frame) == 0);
    zframe_destroy (&frame);
    frame = zframe_new (buf, 0);
    ck_assert (zyn_proto_request_id (frame) == 0);
    zframe_destroy (&frame);
    uint8_t nine [9] = { 0 };
    frame = zframe_new (nine, 9);
    ck_assert (zyn_proto_request_id (frame) == 0);
    zframe_destroy (&frame);
    ck_assert (zyn_proto_request_id (NULL) == 0);
}
END_TEST

START_TEST (test_partition)
{
    uint8_t buf [12];
    zyn_proto_put_partition (buf, 0x1122334455667788ULL, 0x99aabbccU);
    ck_assert_mem_eq (buf, "\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\xcc",
                      12);
    zframe_t *frame = zframe_new (buf, 12);
    uint64_t table_id = 0;
    uint32_t partition_id = 0;
    ck_assert_int_eq (zyn_proto_partition (frame, &table_id, &partition_id),
                      0);
    ck_assert (table_id == 0x1122334455667788ULL);
    ck_assert (partition_id == 0x99aabbccU);
    zframe_destroy (&frame);
    //  Wrong sizes are refused and leave the outputs alone
    table_id = 7;
    partition_id = 9;
    frame = zframe_new (buf, 11);
    ck_assert_int_eq (zyn_proto_partition (frame, &table_id, &partition_id),
                      -1);
    zframe_destroy (&frame);
    frame = zframe_new (buf, 8);
    ck_assert_int_eq (zyn_proto_partition (frame, &table_id, &partition_id),
                      -1);
    zframe_destroy (&frame);
    ck_assert_int_eq (zyn_proto_partition (NULL, &table_id, &partition_id),
                      -1);
    ck_assert (table_id == 7);
    ck_assert (partition_id == 9);
}
END_TEST

START_TEST (test_request)
{
    const char body [] = "\x81\xa9TableName\xa1t";
    zmsg_t *msg = zyn_proto_request_new (42, "PutItem", body,
                                         sizeof (body) - 1);
    ck_assert_uint_eq (zmsg_size (msg), 4);
    ck_assert_int_eq (zyn_proto_pop_signature (msg), 0);
    zframe_t *frame = zmsg_pop (msg);
    ck_assert (zyn_proto_request_id (frame) == 42);
    zframe_destroy (&frame);
    char *operation = s_pop_string (msg);
    ck_assert_str_eq (operation, "PutItem");
    free (operation);
    s_pop_expect (msg, body, sizeof (body) - 1);
    ck_assert_uint_eq (zmsg_size (msg), 0);
    zmsg_destroy (&msg);

    //  An empty body is a frame of its own
    msg = zyn_proto_request_new (1, "ListTables", NULL, 0);
    ck_assert_uint_eq (zmsg_size (msg), 4);
    ck_assert_uint_eq (zframe_size (zmsg_last (msg)), 0);
    zmsg_destroy (&msg);
}
END_TEST

START_TEST (test_reply)
{
    zyn_value_t *response = zyn_value_new_m ();
    zyn_value_map_put_int (response, "Count", 3);
    size_t size = 0;
    void *body = zyn_value_encode (response, &size);
    zmsg_t *msg = zyn_proto_reply_new (UINT64_MAX, body, size);
    free (body);
    ck_assert_uint_eq (zmsg_size (msg), 4);
    ck_assert_int_eq (zyn_proto_pop_signature (msg), 0);
    zframe_t *frame = zmsg_pop (msg);
    ck_assert (zyn_proto_request_id (frame) == UINT64_MAX);
    zframe_destroy (&frame);
    char *status = s_pop_string (msg);
    ck_assert_str_eq (status, ZYN_PROTO_OK);
    free (status);
    frame = zmsg_pop (msg);
    zyn_error_t err = { 0 };
    zyn_value_t *decoded = zyn_value_decode (zframe_data (frame),
                                             zframe_size (frame), &err);
    ck_assert_ptr_nonnull (decoded);
    ck_assert (zyn_value_equal (decoded, response));
    zyn_value_destroy (&decoded);
    zframe_destroy (&frame);
    zmsg_destroy (&msg);
    zyn_value_destroy (&response);
}
END_TEST

START_TEST (test_error_reply)
{
    zyn_error_t err = { 0 };
    zyn_error_set (&err, ZYN_ERR_CONDITIONAL_CHECK_FAILED,
                   "The conditional request failed");
    zyn_value_t *extra = zyn_value_new_m ();
    zyn_value_t *item = zyn_value_new_m ();
    zyn_value_map_put_s (item, "pk", "a");
    zyn_value_map_put (extra, "Item", &item);
    zmsg_t *msg = zyn_proto_error_new (7, &err, extra);
    ck_assert_uint_eq (zmsg_size (msg), 4);
    ck_assert_int_eq (zyn_proto_pop_signature (msg), 0);
    zframe_t *frame = zmsg_pop (msg);
    ck_assert (zyn_proto_request_id (frame) == 7);
    zframe_destroy (&frame);
    char *status = s_pop_string (msg);
    ck_assert_str_eq (status, "ConditionalCheckFailedException");
    frame = zmsg_pop (msg);
    //  The body: {"message": ..., "Item": {...}}
    zyn_value_t *body = zyn_value_decode (zframe_data (frame),
                                          zframe_size (frame), NULL);
    ck_assert_ptr_nonnull (body);
    ck_assert_uint_eq (zyn_value_size (body), 2);
    ck_assert_str_eq (zyn_value_map_get_s (body, "message"),
                      "The conditional request failed");
    zyn_value_t *item_back = zyn_value_map_get (body, "Item");
    ck_assert_ptr_nonnull (item_back);
    ck_assert_str_eq (zyn_value_map_get_s (item_back, "pk"), "a");
    zyn_value_destroy (&body);
    //  A client turns it back into the same error
    zyn_error_t received = { 0 };
    zyn_proto_error_from_reply (status, zframe_data (frame),
                                zframe_size (frame), &received);
    ck_assert_int_eq (received.type, ZYN_ERR_CONDITIONAL_CHECK_FAILED);
    ck_assert_str_eq (received.message, "The conditional request failed");
    free (status);
    zframe_destroy (&frame);
    zmsg_destroy (&msg);
    //  extra is copied, not taken
    ck_assert_uint_eq (zyn_value_size (extra), 1);
    zyn_value_destroy (&extra);
}
END_TEST

START_TEST (test_error_body)
{
    zyn_error_t err = { 0 };
    zyn_error_set (&err, ZYN_ERR_VALIDATION, "bad %s", "input");
    size_t size = 0;
    void *data = zyn_proto_error_body (&err, NULL, &size);
    zyn_value_t *body = zyn_value_decode (data, size, NULL);
    ck_assert_uint_eq (zyn_value_size (body), 1);
    ck_assert_str_eq (zyn_value_map_get_s (body, "message"), "bad input");
    zyn_value_destroy (&body);
    free (data);
    //  extra's "message" gives way to err's
    zyn_value_t *extra = zyn_value_new_m ();
    zyn_value_map_put_s (extra, "message", "stale");
    zyn_value_map_put_int (extra, "Other", 1);
    data = zyn_proto_error_body (&err, extra, &size);
    body = zyn_value_decode (data, size, NULL);
    ck_assert_uint_eq (zyn_value_size (body), 2);
    ck_assert_str_eq (zyn_value_map_get_s (body, "message"), "bad input");
    zyn_value_destroy (&body);
    zyn_value_destroy (&extra);
    free (data);
    //  An extra that is not a map is ignored
    extra = zyn_value_new_l ();
    data = zyn_proto_error_body (&err, extra, &size);
    body = zyn_value_decode (data, size, NULL);
    ck_assert_uint_eq (zyn_value_size (body), 1);
    zyn_value_destroy (&body);
    zyn_value_destroy (&extra);
    free (data);
}
END_TEST

START_TEST (test_error_from_reply)
{
    //  Every known exception name comes back as its type
    for (int type = ZYN_ERR_VALIDATION; type < ZYN_ERR_MAX; type++) {
        zyn_error_t err = { 0 };
        zyn_error_set (&err, (zyn_errtype_t) type, "message %d", type);
        zmsg_t *msg = zyn_proto_error_new (5, &err, NULL);
        ck_assert_int_eq (zyn_proto_pop_signature (msg), 0);
        zframe_t *id = zmsg_pop (msg);
        zframe_destroy (&id);
        char *status = zmsg_popstr (msg);
        ck_assert_str_eq (status, zyn_error_name ((zyn_errtype_t) type));
        zframe_t *body = zmsg_pop (msg);
        zyn_error_t received = { 0 };
        zyn_proto_error_from_reply (status, zframe_data (body),
                                    zframe_size (body), &received);
        ck_assert_int_eq (received.type, type);
        ck_assert_str_eq (received.message, err.message);
        free (status);
        zframe_destroy (&body);
        zmsg_destroy (&msg);
    }
    //  Unknown or missing names, and "OK", become InternalServerError
    const char *odd [] = { "NoSuchException", "", "OK", NULL };
    for (size_t i = 0; i < sizeof (odd) / sizeof (odd [0]); i++) {
        zyn_error_t received = { 0 };
        zyn_proto_error_from_reply (odd [i], NULL, 0, &received);
        ck_assert_int_eq (received.type, ZYN_ERR_INTERNAL);
        ck_assert_str_eq (received.message, odd [i] ? odd [i] : "");
    }
    //  A malformed body, or one without a string message: the status
    //  stands in for the message
    zyn_error_t received = { 0 };
    zyn_proto_error_from_reply ("ValidationException", "\xc1\xc1", 2,
                                &received);
    ck_assert_int_eq (received.type, ZYN_ERR_VALIDATION);
    ck_assert_str_eq (received.message, "ValidationException");
    zyn_value_t *map = zyn_value_new_m ();
    zyn_value_map_put_int (map, "message", 12);
    size_t size = 0;
    void *data = zyn_value_encode (map, &size);
    zyn_proto_error_from_reply ("ThrottlingException", data, size, &received);
    ck_assert_int_eq (received.type, ZYN_ERR_THROTTLING);
    ck_assert_str_eq (received.message, "ThrottlingException");
    free (data);
    zyn_value_destroy (&map);
    //  A body that is not a map at all
    zyn_value_t *list = zyn_value_new_l ();
    data = zyn_value_encode (list, &size);
    zyn_proto_error_from_reply ("ValidationException", data, size, &received);
    ck_assert_str_eq (received.message, "ValidationException");
    free (data);
    zyn_value_destroy (&list);
    //  NULL err is allowed
    zyn_proto_error_from_reply ("ValidationException", NULL, 0, NULL);
}
END_TEST

START_TEST (test_error_never_ok)
{
    //  An unset error still makes an error reply, never "OK"
    zyn_error_t err = { 0 };
    zmsg_t *msg = zyn_proto_error_new (9, &err, NULL);
    ck_assert_int_eq (zyn_proto_pop_signature (msg), 0);
    zframe_t *id = zmsg_pop (msg);
    zframe_destroy (&id);
    char *status = zmsg_popstr (msg);
    ck_assert_str_eq (status, "InternalServerError");
    free (status);
    zmsg_destroy (&msg);
}
END_TEST

START_TEST (test_signature)
{
    //  Wrong or missing signature: refused and the message is untouched
    zmsg_t *msg = zmsg_new ();
    ck_assert_int_eq (zyn_proto_pop_signature (msg), -1);
    zmsg_addstr (msg, "ZYN0");
    zmsg_addstr (msg, "payload");
    ck_assert_int_eq (zyn_proto_pop_signature (msg), -1);
    ck_assert_uint_eq (zmsg_size (msg), 2);
    zmsg_destroy (&msg);
    msg = zmsg_new ();
    zmsg_addstr (msg, "ZYN12");
    ck_assert_int_eq (zyn_proto_pop_signature (msg), -1);
    zmsg_destroy (&msg);
    msg = zmsg_new ();
    zmsg_addmem (msg, "ZYN", 3);
    ck_assert_int_eq (zyn_proto_pop_signature (msg), -1);
    ck_assert_uint_eq (zmsg_size (msg), 1);
    zmsg_destroy (&msg);
    //  The right one is popped
    msg = zmsg_new ();
    zmsg_addstr (msg, ZYN_PROTO_SIGNATURE);
    zmsg_addstr (msg, ZYN_PROTO_HEARTBEAT);
    ck_assert_int_eq (zyn_proto_pop_signature (msg), 0);
    ck_assert_uint_eq (zmsg_size (msg), 1);
    char *command = zmsg_popstr (msg);
    ck_assert_str_eq (command, "HEARTBEAT");
    free (command);
    zmsg_destroy (&msg);
}
END_TEST

START_TEST (test_over_sockets)
{
    //  A request and its error reply through a real DEALER/ROUTER pair
    zsock_t *router = zsock_new_router ("inproc://check-zyn-proto");
    zsock_t *dealer = zsock_new_dealer ("inproc://check-zyn-proto");
    ck_assert_ptr_nonnull (router);
    ck_assert_ptr_nonnull (dealer);
    zsock_set_rcvtimeo (router, 2000);
    zsock_set_rcvtimeo (dealer, 2000);
    zmsg_t *msg = zyn_proto_request_new (1234, "GetItem", "\x80", 1);
    ck_assert_int_eq (zmsg_send (&msg, dealer), 0);

    msg = zmsg_recv (router);
    ck_assert_ptr_nonnull (msg);
    zframe_t *identity = zmsg_pop (msg);
    ck_assert_int_eq (zyn_proto_pop_signature (msg), 0);
    zframe_t *id = zmsg_pop (msg);
    uint64_t request_id = zyn_proto_request_id (id);
    ck_assert (request_id == 1234);
    zframe_destroy (&id);
    char *operation = zmsg_popstr (msg);
    ck_assert_str_eq (operation, "GetItem");
    free (operation);
    zmsg_destroy (&msg);

    zyn_error_t err = { 0 };
    zyn_error_set (&err, ZYN_ERR_RESOURCE_NOT_FOUND,
                   "Requested resource not found");
    zmsg_t *reply = zyn_proto_error_new (request_id, &err, NULL);
    zmsg_prepend (reply, &identity);
    ck_assert_int_eq (zmsg_send (&reply, router), 0);

    reply = zmsg_recv (dealer);
    ck_assert_ptr_nonnull (reply);
    ck_assert_int_eq (zyn_proto_pop_signature (reply), 0);
    id = zmsg_pop (reply);
    ck_assert (zyn_proto_request_id (id) == 1234);
    zframe_destroy (&id);
    char *status = zmsg_popstr (reply);
    zframe_t *body = zmsg_pop (reply);
    zyn_error_t received = { 0 };
    zyn_proto_error_from_reply (status, zframe_data (body), zframe_size (body),
                                &received);
    ck_assert_int_eq (received.type, ZYN_ERR_RESOURCE_NOT_FOUND);
    ck_assert_str_eq (received.message, "Requested resource not found");
    free (status);
    zframe_destroy (&body);
    zmsg_destroy (&reply);
    zsock_destroy (&dealer);
    zsock_destroy (&router);
}
END_TEST

START_TEST (test_direct_frames)
{
    //  A request: head, then the body, taken apart again exactly
    uint8_t route [ZYN_PROTO_ROUTE_SIZE];
    zyn_proto_put_route (route, 7, 3, 0x0102030405060708ULL);
    uint8_t frame [128];
    size_t head = zyn_proto_direct_request_head (frame, 42, route, "GetItem");
    ck_assert_uint_eq (head, ZYN_PROTO_DIRECT_REQUEST_HEAD + 7);
    ck_assert_int_eq (memcmp (frame, "ZYN1", 4), 0);
    ck_assert_uint_eq (frame [32], 7);
    memcpy (frame + head, "\x81\xa1k\xa1v", 5);
    zyn_proto_direct_t parsed;
    ck_assert_int_eq (zyn_proto_direct_parse (frame, head + 5, false,
                                              &parsed), 0);
    ck_assert_uint_eq (parsed.request_id, 42);
    ck_assert_int_eq (memcmp (parsed.route, route, sizeof (route)), 0);
    ck_assert_uint_eq (parsed.name_size, 7);
    ck_assert_int_eq (memcmp (parsed.name, "GetItem", 7), 0);
    ck_assert_ptr_eq (parsed.body, frame + head);
    ck_assert_uint_eq (parsed.body_size, 5);
    //  An empty body is a request all the same
    ck_assert_int_eq (zyn_proto_direct_parse (frame, head, false, &parsed),
                      0);
    ck_assert_uint_eq (parsed.body_size, 0);
    //  Cut short anywhere in the head: -2, with the request id once it
    //  is all there
    for (size_t size = 4; size < head; size++) {
        ck_assert_int_eq (zyn_proto_direct_parse (frame, size, false,
                                                  &parsed), -2);
        ck_assert_uint_eq (parsed.request_id, size >= 12 ? 42 : 0);
    }
    //  No signature: -1
    ck_assert_int_eq (zyn_proto_direct_parse (frame, 3, false, &parsed), -1);
    frame [3] = '9';
    ck_assert_int_eq (zyn_proto_direct_parse (frame, head, false, &parsed),
                      -1);

    //  An answer: status, then the body
    head = zyn_proto_direct_answer_head (frame, 9, "ValidationException");
    ck_assert_uint_eq (head, ZYN_PROTO_DIRECT_ANSWER_HEAD + 19);
    memcpy (frame + head, "\x80", 1);
    ck_assert_int_eq (zyn_proto_direct_parse (frame, head + 1, true,
                                              &parsed), 0);
    ck_assert_uint_eq (parsed.request_id, 9);
    ck_assert_ptr_null (parsed.route);
    ck_assert_uint_eq (parsed.name_size, 19);
    ck_assert_int_eq (memcmp (parsed.name, "ValidationException", 19), 0);
    ck_assert_uint_eq (parsed.body_size, 1);
    ck_assert_int_eq (zyn_proto_direct_parse (frame, head - 1, true,
                                              &parsed), -2);
}
END_TEST

START_TEST (test_stream_topic)
{
    char topic [64];
    zyn_proto_stream_topic (topic, sizeof (topic), "Orders", 3);
    ck_assert_str_eq (topic, "s/Orders/3/");
    zyn_proto_stream_topic (topic, sizeof (topic), "t", UINT32_MAX);
    ck_assert_str_eq (topic, "s/t/4294967295/");
    //  A table's topic does not prefix another table's: the slash ends it
    char other [64];
    zyn_proto_stream_topic (other, sizeof (other), "Orders2", 3);
    ck_assert (strncmp (other, "s/Orders/", 9) != 0);
    //  Truncated, never overrun
    char small [8];
    zyn_proto_stream_topic (small, sizeof (small), "Orders", 3);
    ck_assert_str_eq (small, "s/Order");
}
END_TEST


Suite *
zyn_proto_suite (void)
{
    Suite *suite = suite_create ("zyn_proto");
    TCase *tc = tcase_create ("frames");
    tcase_add_test (tc, test_request_id);
    tcase_add_test (tc, test_partition);
    tcase_add_test (tc, test_signature);
    tcase_add_test (tc, test_stream_topic);
    tcase_add_test (tc, test_direct_frames);
    suite_add_tcase (suite, tc);
    tc = tcase_create ("messages");
    tcase_add_test (tc, test_request);
    tcase_add_test (tc, test_reply);
    tcase_add_test (tc, test_over_sockets);
    suite_add_tcase (suite, tc);
    tc = tcase_create ("errors");
    tcase_add_test (tc, test_error_reply);
    tcase_add_test (tc, test_error_body);
    tcase_add_test (tc, test_error_from_reply);
    tcase_add_test (tc, test_error_never_ok);
    suite_add_tcase (suite, tc);
    return suite;
}

ZYN_TEST_MAIN (zyn_proto_suite)

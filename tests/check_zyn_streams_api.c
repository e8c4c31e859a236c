/*  =========================================================================
    check_zyn_streams_api - the gateway's DynamoDB Streams API

    Stream ARNs, shard iterators and records as DynamoDB Streams renders
    them, and the Streams calls (DescribeStream, GetShardIterator,
    GetRecords) stepped through their broker calls with canned replies.
    =========================================================================
*/

#include "zyn_prelude.h"
#include "zyn_error.h"
#include "zyn_proto.h"
#include "zyn_optable.h"
#include "zyn_streams_api.h"
#include <math.h>
#include "zyn_testutil.h"

START_TEST (test_stream_arn)
{
    //  A table with a stream gets LatestStreamArn and LatestStreamLabel
    const zyn_op_t *op = zyn_optable_lookup ("DynamoDB_20120810.DescribeTable",
                                         NULL);
    zyn_value_t *request = zyn_value_new_m ();
    zyn_value_t *response = zyn_value_new_m ();
    zyn_value_t *table = zyn_value_new_m ();
    zyn_value_map_put_s (table, "TableName", "orders");
    zyn_value_map_put_n (table, "CreationDateTime", "1795464000.25");
    zyn_value_t *spec = zyn_value_new_m ();
    zyn_value_map_put_bool (spec, "StreamEnabled", true);
    zyn_value_map_put_s (spec, "StreamViewType", "NEW_IMAGE");
    zyn_value_map_put (table, "StreamSpecification", &spec);
    zyn_value_map_put (response, "Table", &table);
    zyn_optable_finish_response (op, request, response, "eu-west-1");
    table = zyn_value_map_get (response, "Table");
    ck_assert_str_eq (zyn_value_map_get_s (table, "LatestStreamLabel"),
                      "2026-11-23T20:00:00.250");
    ck_assert_str_eq (zyn_value_map_get_s (table, "LatestStreamArn"),
                      "arn:aws:dynamodb:eu-west-1:000000000000:table/orders/"
                      "stream/2026-11-23T20:00:00.250");
    char name [256];
    char label [64];
    ck_assert_int_eq (zyn_streams_parse_arn (
                          zyn_value_map_get_s (table, "LatestStreamArn"),
                          name, sizeof (name), label, sizeof (label)), 0);
    ck_assert_str_eq (name, "orders");
    ck_assert_str_eq (label, "2026-11-23T20:00:00.250");
    ck_assert_int_eq (zyn_streams_parse_arn ("arn:aws:dynamodb:x", name,
                                             sizeof (name), label,
                                             sizeof (label)), -1);
    ck_assert_int_eq (zyn_streams_parse_arn ("not-an-arn", name,
                                             sizeof (name), label,
                                             sizeof (label)), -1);
    zyn_value_destroy (&response);
    zyn_value_destroy (&request);

    //  A creation time no clock gives (a fuzzer found 1.79e20, which no
    //  time_t holds) labels as time 0, and so does one before 1970
    const char *times [] = { "179444000000000000000", "-5", "1e400" };
    for (size_t i = 0; i < sizeof (times) / sizeof (times [0]); i++) {
        char buf [64];
        double value = strtod (times [i], NULL);
        zyn_optable_stream_label (value, buf, sizeof (buf));
        ck_assert_str_eq (buf, "1970-01-01T00:00:00.000");
    }
    zyn_optable_stream_label (NAN, label, sizeof (label));
    ck_assert_str_eq (label, "1970-01-01T00:00:00.000");
    zyn_optable_stream_label (253402300799.5, label, sizeof (label));
    ck_assert_str_eq (label, "9999-12-31T23:59:59.500");
}
END_TEST

START_TEST (test_iterator)
{
    char *iterator = zyn_streams_iterator_new ("orders", 42, 3, 17,
                                               "KEYS_ONLY", 1795464000123);
    char table [256];
    uint64_t table_id = 0;
    uint32_t partition = 0;
    uint64_t sequence = 0;
    char view [32];
    int64_t created = 0;
    ck_assert_int_eq (zyn_streams_iterator_parse (iterator, table,
                                                  sizeof (table), &table_id,
                                                  &partition, &sequence, view,
                                                  &created), 0);
    ck_assert_str_eq (table, "orders");
    ck_assert_uint_eq (table_id, 42);
    ck_assert_uint_eq (partition, 3);
    ck_assert_uint_eq (sequence, 17);
    ck_assert_str_eq (view, "KEYS_ONLY");
    ck_assert_int_eq (created, 1795464000123);
    free (iterator);
    ck_assert_int_eq (zyn_streams_iterator_parse ("garbage!", table,
                                                  sizeof (table), &table_id,
                                                  &partition, &sequence, view,
                                                  &created), -1);
    ck_assert_int_eq (zyn_streams_iterator_parse ("", table, sizeof (table),
                                                  &table_id, &partition,
                                                  &sequence, view, &created),
                      -1);
}
END_TEST

START_TEST (test_record)
{
    zyn_value_t *record = zyn_value_new_m ();
    zyn_value_map_put_s (record, "eventID", "e1");
    zyn_value_map_put_s (record, "eventName", "MODIFY");
    zyn_value_map_put_int (record, "SequenceNumber", 7);
    zyn_value_map_put_int (record, "ApproximateCreationDateTime",
                           1795464000999);
    zyn_value_map_put_int (record, "SizeBytes", 26);
    zyn_value_t *keys = zyn_value_new_m ();
    zyn_value_map_put_s (keys, "pk", "a");
    zyn_value_map_put (record, "Keys", &keys);
    zyn_value_t *old_image = zyn_value_new_m ();
    zyn_value_map_put_s (old_image, "pk", "a");
    zyn_value_map_put_int (old_image, "n", 1);
    zyn_value_map_put (record, "OldImage", &old_image);
    zyn_value_t *new_image = zyn_value_new_m ();
    zyn_value_map_put_s (new_image, "pk", "a");
    zyn_value_map_put_int (new_image, "n", 2);
    zyn_value_map_put (record, "NewImage", &new_image);
    char *text = zyn_streams_record_json (record, "NEW_IMAGE", "us-east-1");
    ck_assert_str_eq (text,
                      "{\"eventID\":\"e1\",\"eventName\":\"MODIFY\","
                      "\"eventVersion\":\"1.1\",\"eventSource\":"
                      "\"aws:dynamodb\",\"awsRegion\":\"us-east-1\","
                      "\"dynamodb\":{\"ApproximateCreationDateTime\":"
                      "1795464000,\"Keys\":{\"pk\":{\"S\":\"a\"}},"
                      "\"NewImage\":{\"pk\":{\"S\":\"a\"},\"n\":{\"N\":"
                      "\"2\"}},\"SequenceNumber\":\"000000000000000000007\","
                      "\"SizeBytes\":26,\"StreamViewType\":\"NEW_IMAGE\"}}");
    free (text);
    text = zyn_streams_record_json (record, "KEYS_ONLY", "us-east-1");
    ck_assert_ptr_null (strstr (text, "Image"));
    free (text);
    text = zyn_streams_record_json (record, "NEW_AND_OLD_IMAGES", "x");
    ck_assert_ptr_nonnull (strstr (text, "\"OldImage\":{\"pk\":{\"S\":\"a\"},"
                                         "\"n\":{\"N\":\"1\"}}"));
    ck_assert_ptr_nonnull (strstr (text, "\"NewImage\""));
    free (text);
    zyn_value_destroy (&record);
}
END_TEST

//  A DescribeTable reply for table "orders" with a NEW_IMAGE stream
static zyn_value_t *
s_table_reply (void)
{
    zyn_value_t *reply = zyn_value_new_m ();
    zyn_value_t *table = zyn_value_new_m ();
    zyn_value_map_put_s (table, "TableName", "orders");
    zyn_value_map_put_n (table, "CreationDateTime", "1795464000.25");
    zyn_value_t *spec = zyn_value_new_m ();
    zyn_value_map_put_bool (spec, "StreamEnabled", true);
    zyn_value_map_put_s (spec, "StreamViewType", "NEW_IMAGE");
    zyn_value_map_put (table, "StreamSpecification", &spec);
    zyn_value_t *schema = zyn_value_new_l ();
    zyn_value_t *element = zyn_value_new_m ();
    zyn_value_map_put_s (element, "AttributeName", "pk");
    zyn_value_map_put_s (element, "KeyType", "HASH");
    zyn_value_list_append (schema, &element);
    zyn_value_map_put (table, "KeySchema", &schema);
    zyn_value_map_put (reply, "Table", &table);
    return reply;
}

//  A ZynGetShards reply: table id 10, partitions 0 and 1, last seqs 5, 0
static zyn_value_t *
s_shards_reply (void)
{
    zyn_value_t *reply = zyn_value_new_m ();
    zyn_value_map_put_int (reply, "TableId", 10);
    zyn_value_t *shards = zyn_value_new_l ();
    for (int partition = 0; partition < 2; partition++) {
        zyn_value_t *shard = zyn_value_new_m ();
        zyn_value_map_put_int (shard, "PartitionId", partition);
        zyn_value_map_put_int (shard, "LastSequenceNumber",
                               partition ? 0 : 5);
        //  Partition 0's log has been trimmed up to 2
        if (partition == 0)
            zyn_value_map_put_int (shard, "OldestSequenceNumber", 3);
        zyn_value_list_append (shards, &shard);
    }
    zyn_value_map_put (reply, "Shards", &shards);
    return reply;
}

#define S_ARN "arn:aws:dynamodb:us-east-1:000000000000:table/orders/stream/" \
              "2026-11-23T20:00:00.250"

//  Start a Streams call for operation with body (JSON)
static zyn_streams_call_t *
s_streams_call (const char *operation, const char *body)
{
    char target [128];
    snprintf (target, sizeof (target), "DynamoDBStreams_20120810.%s",
              operation);
    const zyn_op_t *op = zyn_optable_lookup (target, NULL);
    zyn_error_t err = { 0 };
    zyn_value_t *request = zyn_optable_parse_request (op, body, strlen (body),
                                                      &err);
    ck_assert_ptr_nonnull (request);
    return zyn_streams_call_new (op, &request, "us-east-1");
}

START_TEST (test_streams_describe)
{
    zyn_streams_call_t *call = s_streams_call (
        "DescribeStream", "{\"StreamArn\":\"" S_ARN "\"}");
    const char *operation = NULL;
    zyn_value_t *body = NULL;
    char *json = NULL;
    size_t size = 0;
    zyn_error_t err = { 0 };
    ck_assert_int_eq (zyn_streams_call_step (call, NULL, NULL, &operation,
                                             &body, &json, &size, &err), 1);
    ck_assert_str_eq (operation, "DescribeTable");
    ck_assert_str_eq (zyn_value_map_get_s (body, "TableName"), "orders");
    zyn_value_destroy (&body);
    zyn_value_t *reply = s_table_reply ();
    ck_assert_int_eq (zyn_streams_call_step (call, reply, NULL, &operation,
                                             &body, &json, &size, &err), 1);
    zyn_value_destroy (&reply);
    ck_assert_str_eq (operation, "ZynGetShards");
    zyn_value_destroy (&body);
    reply = s_shards_reply ();
    ck_assert_int_eq (zyn_streams_call_step (call, reply, NULL, &operation,
                                             &body, &json, &size, &err), 0);
    zyn_value_destroy (&reply);
    ck_assert_str_eq (json,
        "{\"StreamDescription\":{\"StreamArn\":\"" S_ARN "\","
        "\"StreamLabel\":\"2026-11-23T20:00:00.250\",\"StreamStatus\":"
        "\"ENABLED\",\"StreamViewType\":\"NEW_IMAGE\","
        "\"CreationRequestDateTime\":1795464000.25,\"TableName\":\"orders\","
        "\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"}],"
        "\"Shards\":[{\"ShardId\":\"shardId-00000000-000000000000000a\","
        "\"SequenceNumberRange\":{\"StartingSequenceNumber\":"
        "\"000000000000000000001\"}},{\"ShardId\":"
        "\"shardId-00000001-000000000000000a\",\"SequenceNumberRange\":"
        "{\"StartingSequenceNumber\":\"000000000000000000001\"}}]}}");
    ck_assert_uint_eq (size, strlen (json));
    free (json);
    zyn_streams_call_destroy (&call);

    //  A stream that is not the table's: ResourceNotFound
    call = s_streams_call ("DescribeStream",
                           "{\"StreamArn\":\"arn:aws:dynamodb:us-east-1:"
                           "000000000000:table/orders/stream/other\"}");
    zyn_streams_call_step (call, NULL, NULL, &operation, &body, &json, &size,
                           &err);
    zyn_value_destroy (&body);
    reply = s_table_reply ();
    ck_assert_int_eq (zyn_streams_call_step (call, reply, NULL, &operation,
                                             &body, &json, &size, &err), -1);
    zyn_value_destroy (&reply);
    ck_assert_int_eq (err.type, ZYN_ERR_RESOURCE_NOT_FOUND);
    ck_assert_str_eq (err.message,
                      "Requested resource not found: Stream: arn:aws:"
                      "dynamodb:us-east-1:000000000000:table/orders/stream/"
                      "other not found");
    zyn_streams_call_destroy (&call);
}
END_TEST

//  Run a GetShardIterator request through DescribeTable and ZynGetShards
//  (the canned replies); returns the last step's result, with json or err
static int
s_shard_iterator_call (const char *request, char **json, zyn_error_t *err)
{
    zyn_streams_call_t *call = s_streams_call ("GetShardIterator", request);
    const char *operation = NULL;
    zyn_value_t *body = NULL;
    size_t size = 0;
    zyn_streams_call_step (call, NULL, NULL, &operation, &body, json, &size,
                           err);
    zyn_value_destroy (&body);
    zyn_value_t *reply = s_table_reply ();
    zyn_streams_call_step (call, reply, NULL, &operation, &body, json, &size,
                           err);
    zyn_value_destroy (&reply);
    zyn_value_destroy (&body);
    reply = s_shards_reply ();
    int rc = zyn_streams_call_step (call, reply, NULL, &operation, &body,
                                    json, &size, err);
    zyn_value_destroy (&reply);
    zyn_value_destroy (&body);
    zyn_streams_call_destroy (&call);
    return rc;
}

//  s_shard_iterator_call for shard 0a of the canned table, with the
//  iterator type and sequence number given
static int
s_iterator_at (const char *type, const char *sequence, char **json,
               zyn_error_t *err)
{
    char request [512];
    snprintf (request, sizeof (request),
              "{\"StreamArn\":\"" S_ARN "\",\"ShardId\":"
              "\"shardId-00000000-000000000000000a\","
              "\"ShardIteratorType\":\"%s\",\"SequenceNumber\":\"%s\"}",
              type, sequence);
    return s_shard_iterator_call (request, json, err);
}

START_TEST (test_streams_iterators)
{
    const char *types [] = { "TRIM_HORIZON", "LATEST",
                             "AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER" };
    uint64_t expected [] = { 0, 6, 3, 4 };
    for (int i = 0; i < 4; i++) {
        char *json = NULL;
        zyn_error_t err = { 0 };
        ck_assert_int_eq (s_iterator_at (types [i], "000000000000000000003",
                                         &json, &err), 0);
        json_t *response = json_loads (json, 0, NULL);
        const char *iterator = json_string_value (
            json_object_get (response, "ShardIterator"));
        char table [256];
        uint64_t table_id = 0;
        uint32_t partition = 9;
        uint64_t sequence = 0;
        char view [32];
        int64_t created = 0;
        ck_assert_int_eq (zyn_streams_iterator_parse (
                              iterator, table, sizeof (table), &table_id,
                              &partition, &sequence, view, &created), 0);
        ck_assert_str_eq (table, "orders");
        ck_assert_uint_eq (table_id, 10);
        ck_assert_uint_eq (partition, 0);
        ck_assert_uint_eq (sequence, expected [i]);
        ck_assert_str_eq (view, "NEW_IMAGE");
        json_decref (response);
        free (json);
    }
    //  A sequence number the retention window has trimmed
    for (int i = 0; i < 2; i++) {
        char *json = NULL;
        zyn_error_t err = { 0 };
        ck_assert_int_eq (s_iterator_at (types [2 + i],
                                         "000000000000000000002", &json,
                                         &err), -1);
        ck_assert_int_eq (err.type, ZYN_ERR_TRIMMED_DATA_ACCESS);
        ck_assert_str_eq (err.message, "The data you are trying to access "
                                       "has been trimmed.");
    }
    //  An unknown shard
    char *json = NULL;
    zyn_error_t err = { 0 };
    ck_assert_int_eq (s_shard_iterator_call (
                          "{\"StreamArn\":\"" S_ARN "\",\"ShardId\":"
                          "\"shardId-00000007-000000000000000a\","
                          "\"ShardIteratorType\":\"LATEST\"}",
                          &json, &err), -1);
    ck_assert_int_eq (err.type, ZYN_ERR_RESOURCE_NOT_FOUND);
    ck_assert_str_eq (err.message,
                      "Requested resource not found: Shard does not exist");
}
END_TEST

START_TEST (test_streams_records)
{
    //  An iterator older than 15 minutes has expired
    char *iterator = zyn_streams_iterator_new (
        "orders", 10, 0, 1, "KEYS_ONLY", zyn_wall_msecs () - 16 * 60 * 1000);
    char request [512];
    snprintf (request, sizeof (request), "{\"ShardIterator\":\"%s\"}",
              iterator);
    free (iterator);
    zyn_streams_call_t *call = s_streams_call ("GetRecords", request);
    const char *operation = NULL;
    zyn_value_t *body = NULL;
    char *json = NULL;
    size_t size = 0;
    zyn_error_t err = { 0 };
    ck_assert_int_eq (zyn_streams_call_step (call, NULL, NULL, &operation,
                                             &body, &json, &size, &err), -1);
    ck_assert_int_eq (err.type, ZYN_ERR_EXPIRED_ITERATOR);
    ck_assert_int_eq (strncmp (err.message, "Iterator expired.", 17), 0);
    zyn_streams_call_destroy (&call);

    //  A fresh one reads from its sequence number and moves on
    iterator = zyn_streams_iterator_new ("orders", 10, 1, 4, "KEYS_ONLY",
                                         zyn_wall_msecs ());
    snprintf (request, sizeof (request),
              "{\"ShardIterator\":\"%s\",\"Limit\":2}", iterator);
    free (iterator);
    call = s_streams_call ("GetRecords", request);
    ck_assert_int_eq (zyn_streams_call_step (call, NULL, NULL, &operation,
                                             &body, &json, &size, &err), 1);
    ck_assert_str_eq (operation, "ZynGetStreamRecords");
    int64_t number = 0;
    zyn_value_map_get_int (body, "PartitionId", &number);
    ck_assert_int_eq (number, 1);
    zyn_value_map_get_int (body, "StartSequenceNumber", &number);
    ck_assert_int_eq (number, 4);
    zyn_value_map_get_int (body, "Limit", &number);
    ck_assert_int_eq (number, 2);
    ck_assert_str_eq (zyn_value_map_get_s (body, "TableName"), "orders");
    zyn_value_destroy (&body);
    zyn_value_t *reply = zyn_value_new_m ();
    zyn_value_t *records = zyn_value_new_l ();
    for (int sequence = 4; sequence <= 5; sequence++) {
        zyn_value_t *record = zyn_value_new_m ();
        zyn_value_map_put_s (record, "eventName", "INSERT");
        zyn_value_map_put_int (record, "SequenceNumber", sequence);
        zyn_value_t *keys = zyn_value_new_m ();
        zyn_value_map_put_s (keys, "pk", "a");
        zyn_value_map_put (record, "Keys", &keys);
        zyn_value_list_append (records, &record);
    }
    zyn_value_map_put (reply, "Records", &records);
    ck_assert_int_eq (zyn_streams_call_step (call, reply, NULL, &operation,
                                             &body, &json, &size, &err), 0);
    zyn_value_destroy (&reply);
    json_t *response = json_loads (json, 0, NULL);
    ck_assert_uint_eq (json_array_size (json_object_get (response,
                                                         "Records")), 2);
    const char *next = json_string_value (
        json_object_get (response, "NextShardIterator"));
    char table [256];
    uint64_t table_id = 0;
    uint32_t partition = 0;
    uint64_t sequence = 0;
    char view [32];
    int64_t created = 0;
    ck_assert_int_eq (zyn_streams_iterator_parse (next, table, sizeof (table),
                                                  &table_id, &partition,
                                                  &sequence, view, &created),
                      0);
    ck_assert_uint_eq (sequence, 6);
    ck_assert_uint_eq (partition, 1);
    json_decref (response);
    free (json);
    zyn_streams_call_destroy (&call);

    //  The retention window has trimmed the records up to 6 since: an
    //  iterator at 4 is told so, TRIM_HORIZON's 0 reads what is left
    for (uint64_t at = 0; at <= 4; at += 4) {
        iterator = zyn_streams_iterator_new ("orders", 10, 1, at,
                                             "KEYS_ONLY", zyn_wall_msecs ());
        snprintf (request, sizeof (request), "{\"ShardIterator\":\"%s\"}",
                  iterator);
        free (iterator);
        call = s_streams_call ("GetRecords", request);
        ck_assert_int_eq (zyn_streams_call_step (call, NULL, NULL,
                                                 &operation, &body, &json,
                                                 &size, &err), 1);
        zyn_value_map_get_int (body, "StartSequenceNumber", &number);
        ck_assert_int_eq (number, (int64_t) at);
        zyn_value_destroy (&body);
        reply = zyn_value_new_m ();
        records = zyn_value_new_l ();
        zyn_value_t *record = zyn_value_new_m ();
        zyn_value_map_put_s (record, "eventName", "INSERT");
        zyn_value_map_put_int (record, "SequenceNumber", 7);
        zyn_value_t *keys = zyn_value_new_m ();
        zyn_value_map_put_s (keys, "pk", "a");
        zyn_value_map_put (record, "Keys", &keys);
        zyn_value_list_append (records, &record);
        zyn_value_map_put (reply, "Records", &records);
        zyn_value_map_put_int (reply, "OldestSequenceNumber", 7);
        zyn_error_t trimmed = { 0 };
        int rc = zyn_streams_call_step (call, reply, NULL, &operation,
                                        &body, &json, &size, &trimmed);
        zyn_value_destroy (&reply);
        if (at == 4) {
            ck_assert_int_eq (rc, -1);
            ck_assert_int_eq (trimmed.type, ZYN_ERR_TRIMMED_DATA_ACCESS);
            ck_assert_str_eq (trimmed.message, "The data you are trying to "
                                               "access has been trimmed.");
        }
        else {
            ck_assert_int_eq (rc, 0);
            response = json_loads (json, 0, NULL);
            ck_assert_uint_eq (json_array_size (
                                   json_object_get (response, "Records")),
                               1);
            next = json_string_value (json_object_get (response,
                                                       "NextShardIterator"));
            ck_assert_int_eq (zyn_streams_iterator_parse (
                                  next, table, sizeof (table), &table_id,
                                  &partition, &sequence, view, &created), 0);
            ck_assert_uint_eq (sequence, 8);
            json_decref (response);
            free (json);
        }
        zyn_streams_call_destroy (&call);
    }
}
END_TEST

static Suite *
zyn_streams_api_suite (void)
{
    Suite *suite = suite_create ("zyn_streams_api");
    TCase *streams = tcase_create ("streams");
    tcase_add_test (streams, test_stream_arn);
    tcase_add_test (streams, test_iterator);
    tcase_add_test (streams, test_record);
    tcase_add_test (streams, test_streams_describe);
    tcase_add_test (streams, test_streams_iterators);
    tcase_add_test (streams, test_streams_records);
    suite_add_tcase (suite, streams);
    return suite;
}

ZYN_TEST_MAIN (zyn_streams_api_suite)

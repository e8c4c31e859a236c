//  check_zyn_json - DynamoDB JSON bodies <-> native maps, every shape

#include "zyn_prelude.h"
#include "zyn_json.h"
#include "../tests/zyn_testutil.h"

//  Convert json to a request and render it back; the text must come back
//  as expected (or as json itself when expected is NULL)
static void
s_round_trip (const char *json, const char *expected)
{
    zyn_error_t err = { 0 };
    zyn_value_t *request = zyn_json_to_request (json, strlen (json), &err);
    ck_assert_msg (request, "%s: %s", json, err.message);
    ck_assert_int_eq (err.type, ZYN_ERR_NONE);
    size_t size = 0;
    char *text = zyn_json_from_response (request, &size);
    ck_assert_str_eq (text, expected ? expected : json);
    ck_assert_uint_eq (size, strlen (text));
    free (text);
    zyn_value_destroy (&request);
}

//  The request must fail with type and exactly message
static void
s_fails (const char *json, zyn_errtype_t type, const char *message)
{
    zyn_error_t err = { 0 };
    zyn_value_t *request = zyn_json_to_request (json, strlen (json), &err);
    ck_assert_msg (!request, "%s parsed", json);
    ck_assert_msg (err.type == type, "%s: got %s: %s", json,
                   zyn_error_name (err.type), err.message);
    if (message)
        ck_assert_str_eq (err.message, message);
}

static zyn_value_t *
s_request (const char *json)
{
    zyn_error_t err = { 0 };
    zyn_value_t *request = zyn_json_to_request (json, strlen (json), &err);
    ck_assert_msg (request, "%s: %s", json, err.message);
    return request;
}

START_TEST (test_item_requests)
{
    //  PutItem: Item and ExpressionAttributeValues hold attribute values,
    //  numbers normalised; everything else is plain
    const char *json
        = "{\"TableName\":\"t\",\"Item\":{\"pk\":{\"S\":\"a\"},"
          "\"n\":{\"N\":\"01.50\"},\"b\":{\"B\":\"aGk=\"},"
          "\"m\":{\"M\":{\"l\":{\"L\":[{\"BOOL\":true},{\"NULL\":true}]}}},"
          "\"ss\":{\"SS\":[\"x\",\"y\"]},\"ns\":{\"NS\":[\"1\",\"2.50\"]}},"
          "\"ConditionExpression\":\"attribute_not_exists(pk)\","
          "\"ExpressionAttributeNames\":{\"#n\":\"n\"},"
          "\"ExpressionAttributeValues\":{\":v\":{\"N\":\"1e2\"}},"
          "\"ReturnValues\":\"ALL_OLD\"}";
    zyn_value_t *request = s_request (json);
    ck_assert_str_eq (zyn_value_map_get_s (request, "TableName"), "t");
    zyn_value_t *item = zyn_value_map_get (request, "Item");
    ck_assert_int_eq (zyn_value_type (item), ZYN_TYPE_M);
    ck_assert_str_eq (zyn_value_map_get_s (item, "pk"), "a");
    zyn_value_t *number = zyn_value_map_get (item, "n");
    ck_assert_int_eq (zyn_value_type (number), ZYN_TYPE_N);
    ck_assert_str_eq (zyn_value_data (number), "1.5");
    zyn_value_t *binary = zyn_value_map_get (item, "b");
    ck_assert_int_eq (zyn_value_type (binary), ZYN_TYPE_B);
    ck_assert_uint_eq (zyn_value_size (binary), 2);
    ck_assert_int_eq (memcmp (zyn_value_data (binary), "hi", 2), 0);
    ck_assert_int_eq (zyn_value_type (zyn_value_map_get (item, "ss")),
                      ZYN_TYPE_SS);
    zyn_value_t *names = zyn_value_map_get (request,
                                            "ExpressionAttributeNames");
    ck_assert_int_eq (zyn_value_type (names), ZYN_TYPE_M);
    ck_assert_str_eq (zyn_value_map_get_s (names, "#n"), "n");
    zyn_value_destroy (&request);
    s_round_trip (json,
                  "{\"TableName\":\"t\",\"Item\":{\"pk\":{\"S\":\"a\"},"
                  "\"n\":{\"N\":\"1.5\"},\"b\":{\"B\":\"aGk=\"},"
                  "\"m\":{\"M\":{\"l\":{\"L\":[{\"BOOL\":true},"
                  "{\"NULL\":true}]}}},"
                  "\"ss\":{\"SS\":[\"x\",\"y\"]},\"ns\":{\"NS\":[\"1\","
                  "\"2.5\"]}},"
                  "\"ConditionExpression\":\"attribute_not_exists(pk)\","
                  "\"ExpressionAttributeNames\":{\"#n\":\"n\"},"
                  "\"ExpressionAttributeValues\":{\":v\":{\"N\":\"100\"}},"
                  "\"ReturnValues\":\"ALL_OLD\"}");
    s_round_trip ("{\"TableName\":\"t\",\"Key\":{\"pk\":{\"S\":\"a\"}},"
                  "\"ConsistentRead\":true,"
                  "\"ProjectionExpression\":\"a, b.c[2]\"}",
                  NULL);
    s_round_trip ("{\"TableName\":\"t\",\"Key\":{\"pk\":{\"N\":\"7\"}},"
                  "\"UpdateExpression\":\"SET a = :a\","
                  "\"ExpressionAttributeValues\":{\":a\":{\"L\":[]}},"
                  "\"ReturnValues\":\"UPDATED_NEW\","
                  "\"ReturnValuesOnConditionCheckFailure\":\"ALL_OLD\"}",
                  NULL);
}
END_TEST

START_TEST (test_query_scan)
{
    const char *json
        = "{\"TableName\":\"t\",\"IndexName\":\"i\",\"Limit\":10,"
          "\"ScanIndexForward\":false,\"Select\":\"COUNT\","
          "\"KeyConditionExpression\":\"pk = :p\","
          "\"ExclusiveStartKey\":{\"pk\":{\"S\":\"a\"},\"sk\":{\"N\":\"3\"}},"
          "\"ExpressionAttributeValues\":{\":p\":{\"S\":\"a\"}}}";
    zyn_value_t *request = s_request (json);
    zyn_value_t *limit = zyn_value_map_get (request, "Limit");
    ck_assert_int_eq (zyn_value_type (limit), ZYN_TYPE_N);
    ck_assert_str_eq (zyn_value_data (limit), "10");
    zyn_value_t *forward = zyn_value_map_get (request, "ScanIndexForward");
    ck_assert_int_eq (zyn_value_type (forward), ZYN_TYPE_BOOL);
    ck_assert (!zyn_value_bool (forward));
    zyn_value_t *start = zyn_value_map_get (request, "ExclusiveStartKey");
    ck_assert_int_eq (zyn_value_type (zyn_value_map_get (start, "sk")),
                      ZYN_TYPE_N);
    zyn_value_destroy (&request);
    s_round_trip (json, NULL);
    s_round_trip ("{\"TableName\":\"t\",\"Segment\":1,\"TotalSegments\":4,"
                  "\"FilterExpression\":\"a > :x\","
                  "\"ExpressionAttributeValues\":{\":x\":{\"N\":\"-0.25\"}}}",
                  NULL);
    //  Responses
    s_round_trip ("{\"Items\":[{\"pk\":{\"S\":\"a\"}},{\"pk\":{\"S\":\"b\"},"
                  "\"v\":{\"BS\":[\"AAE=\"]}}],\"Count\":2,\"ScannedCount\":5,"
                  "\"LastEvaluatedKey\":{\"pk\":{\"S\":\"b\"}},"
                  "\"ConsumedCapacity\":{\"TableName\":\"t\","
                  "\"CapacityUnits\":0.5}}",
                  NULL);
    //  Legacy conditions: AttributeValueList and Value
    s_round_trip ("{\"TableName\":\"t\",\"KeyConditions\":{\"pk\":{"
                  "\"AttributeValueList\":[{\"S\":\"a\"}],"
                  "\"ComparisonOperator\":\"EQ\"}},"
                  "\"QueryFilter\":{\"n\":{\"AttributeValueList\":"
                  "[{\"N\":\"1\"},{\"N\":\"9\"}],"
                  "\"ComparisonOperator\":\"BETWEEN\"}},"
                  "\"AttributesToGet\":[\"pk\",\"n\"]}",
                  NULL);
}
END_TEST

START_TEST (test_legacy_writes)
{
    const char *json
        = "{\"TableName\":\"t\",\"Key\":{\"pk\":{\"S\":\"a\"}},"
          "\"AttributeUpdates\":{\"n\":{\"Value\":{\"N\":\"2\"},"
          "\"Action\":\"ADD\"}},"
          "\"Expected\":{\"n\":{\"Value\":{\"N\":\"1\"},\"Exists\":true},"
          "\"m\":{\"Exists\":false}},\"ConditionalOperator\":\"AND\"}";
    zyn_value_t *request = s_request (json);
    zyn_value_t *updates = zyn_value_map_get (request, "AttributeUpdates");
    zyn_value_t *value
        = zyn_value_map_get (zyn_value_map_get (updates, "n"), "Value");
    ck_assert_int_eq (zyn_value_type (value), ZYN_TYPE_N);
    ck_assert_str_eq (zyn_value_data (value), "2");
    zyn_value_destroy (&request);
    s_round_trip (json, NULL);
}
END_TEST

START_TEST (test_batch_transact)
{
    //  BatchGetItem: Keys is a list of keys; Responses maps tables to items
    const char *json = "{\"RequestItems\":{\"t\":{\"Keys\":[{\"pk\":{\"S\":"
                       "\"a\"}},{\"pk\":{\"S\":\"b\"}}],"
                       "\"ConsistentRead\":true}},"
                       "\"ReturnConsumedCapacity\":\"TOTAL\"}";
    zyn_value_t *request = s_request (json);
    zyn_value_t *keys = zyn_value_map_get (
        zyn_value_map_get (zyn_value_map_get (request, "RequestItems"), "t"),
        "Keys");
    ck_assert_int_eq (zyn_value_type (keys), ZYN_TYPE_L);
    ck_assert_uint_eq (zyn_value_size (keys), 2);
    ck_assert_str_eq (zyn_value_map_get_s (zyn_value_list_get (keys, 1), "pk"),
                      "b");
    zyn_value_destroy (&request);
    s_round_trip (json, NULL);
    s_round_trip ("{\"Responses\":{\"t\":[{\"pk\":{\"S\":\"a\"},"
                  "\"n\":{\"N\":\"1\"}}],\"u\":[]},"
                  "\"UnprocessedKeys\":{\"u\":{\"Keys\":[{\"id\":{\"N\":\"1\"}}]"
                  "}}}",
                  NULL);
    //  BatchWriteItem
    s_round_trip ("{\"RequestItems\":{\"t\":[{\"PutRequest\":{\"Item\":{"
                  "\"pk\":{\"S\":\"a\"}}}},{\"DeleteRequest\":{\"Key\":{"
                  "\"pk\":{\"S\":\"b\"}}}}]}}",
                  NULL);
    s_round_trip ("{\"UnprocessedItems\":{},\"ItemCollectionMetrics\":{\"t\":"
                  "[{\"ItemCollectionKey\":{\"pk\":{\"S\":\"a\"}},"
                  "\"SizeEstimateRangeGB\":[0,1]}]}}",
                  NULL);
    //  Transactions
    s_round_trip ("{\"TransactItems\":[{\"Put\":{\"TableName\":\"t\","
                  "\"Item\":{\"pk\":{\"S\":\"a\"}}}},{\"Update\":{"
                  "\"TableName\":\"t\",\"Key\":{\"pk\":{\"S\":\"b\"}},"
                  "\"UpdateExpression\":\"SET n = :n\","
                  "\"ExpressionAttributeValues\":{\":n\":{\"N\":\"1\"}}}},"
                  "{\"ConditionCheck\":{\"TableName\":\"t\",\"Key\":{\"pk\":{"
                  "\"S\":\"c\"}},\"ConditionExpression\":\"attribute_exists(pk)"
                  "\"}}],\"ClientRequestToken\":\"tok\"}",
                  NULL);
    s_round_trip ("{\"Responses\":[{\"Item\":{\"pk\":{\"S\":\"a\"}}},{}]}",
                  NULL);
    s_round_trip ("{\"message\":\"Transaction cancelled\","
                  "\"CancellationReasons\":[{\"Code\":\"None\"},"
                  "{\"Code\":\"ConditionalCheckFailed\",\"Item\":{\"pk\":{"
                  "\"S\":\"b\"}},\"Message\":\"The conditional request "
                  "failed\"}]}",
                  NULL);
    //  PartiQL
    s_round_trip ("{\"Statement\":\"SELECT * FROM t WHERE pk = ?\","
                  "\"Parameters\":[{\"S\":\"a\"},{\"N\":\"1\"}]}",
                  NULL);
}
END_TEST

START_TEST (test_tables_and_streams)
{
    const char *json
        = "{\"TableName\":\"t\",\"KeySchema\":[{\"AttributeName\":\"pk\","
          "\"KeyType\":\"HASH\"}],\"AttributeDefinitions\":[{"
          "\"AttributeName\":\"pk\",\"AttributeType\":\"S\"}],"
          "\"BillingMode\":\"PROVISIONED\",\"ProvisionedThroughput\":{"
          "\"ReadCapacityUnits\":5,\"WriteCapacityUnits\":5},"
          "\"StreamSpecification\":{\"StreamEnabled\":true,"
          "\"StreamViewType\":\"NEW_AND_OLD_IMAGES\"},"
          "\"Tags\":[{\"Key\":\"owner\",\"Value\":\"me\"}]}";
    zyn_value_t *request = s_request (json);
    zyn_value_t *tag = zyn_value_list_get (zyn_value_map_get (request, "Tags"),
                                           0);
    //  A tag's Key and Value are plain strings, not attribute values
    ck_assert_str_eq (zyn_value_map_get_s (tag, "Key"), "owner");
    ck_assert_str_eq (zyn_value_map_get_s (tag, "Value"), "me");
    zyn_value_destroy (&request);
    s_round_trip (json, NULL);
    //  DescribeTable reply: fractions and large integers
    s_round_trip ("{\"Table\":{\"TableName\":\"t\",\"TableStatus\":\"ACTIVE\","
                  "\"CreationDateTime\":1700000000.123,\"ItemCount\":0,"
                  "\"TableSizeBytes\":9007199254740993}}",
                  NULL);
    s_round_trip ("{\"TableNames\":[\"a\",\"b\"],"
                  "\"LastEvaluatedTableName\":\"b\"}",
                  NULL);
    //  A stream record: Keys is one key here
    const char *record
        = "{\"eventID\":\"1-2\",\"eventName\":\"MODIFY\","
          "\"SequenceNumber\":5,\"Keys\":{\"pk\":{\"S\":\"a\"}},"
          "\"OldImage\":{\"pk\":{\"S\":\"a\"},\"v\":{\"N\":\"1\"}},"
          "\"NewImage\":{\"pk\":{\"S\":\"a\"},\"v\":{\"N\":\"2\"}}}";
    request = s_request (record);
    ck_assert_int_eq (zyn_value_type (zyn_value_map_get (request, "Keys")),
                      ZYN_TYPE_M);
    zyn_value_destroy (&request);
    s_round_trip (record, NULL);
    s_round_trip ("{\"Records\":[{\"dynamodb\":{\"Keys\":{\"pk\":{\"S\":"
                  "\"a\"}},\"NewImage\":{\"pk\":{\"S\":\"a\"}}}}]}",
                  NULL);
}
END_TEST

START_TEST (test_plain_values)
{
    //  Unicode, escapes and NUL survive; nulls stay in plain positions
    s_round_trip ("{\"a\":\"\\u00e9\\u0000x\\n\",\"b\":null,\"c\":[],"
                  "\"d\":{},\"e\":-3,\"f\":1.5E3}",
                  "{\"a\":\"\xc3\xa9\\u0000x\\n\",\"b\":null,\"c\":[],"
                  "\"d\":{},\"e\":-3,\"f\":1500}");
    //  A null attribute-value parameter counts as absent
    s_round_trip ("{\"TableName\":\"t\",\"ExclusiveStartKey\":null}",
                  "{\"TableName\":\"t\"}");
    //  Native responses: B in a plain position is base64, sets are arrays
    zyn_value_t *response = zyn_value_new_m ();
    zyn_value_t *binary = zyn_value_new_b ("\x00\x01\xff", 3);
    zyn_value_map_put (response, "Blob", &binary);
    zyn_value_t *set = zyn_value_new_set (ZYN_TYPE_SS);
    zyn_value_t *element = zyn_value_new_s ("x");
    zyn_value_list_append (set, &element);
    zyn_value_map_put (response, "Set", &set);
    zyn_value_map_put_int (response, "Big", INT64_MAX);
    zyn_value_map_put_n (response, "Huge", "123456789012345678901234567890");
    zyn_value_map_put_n (response, "Tiny", "0.000001");
    char *text = zyn_json_from_response (response, NULL);
    ck_assert_str_eq (text, "{\"Blob\":\"AAH/\",\"Set\":[\"x\"],"
                            "\"Big\":9223372036854775807,"
                            "\"Huge\":1.23456789012346e29,"
                            "\"Tiny\":1e-6}");
    free (text);
    zyn_value_destroy (&response);
    text = zyn_json_from_response (NULL, NULL);
    ck_assert_str_eq (text, "{}");
    free (text);
}
END_TEST

START_TEST (test_errors)
{
    s_fails ("", ZYN_ERR_SERIALIZATION, NULL);
    s_fails ("{\"TableName\":", ZYN_ERR_SERIALIZATION, NULL);
    s_fails ("{\"a\":1} x", ZYN_ERR_SERIALIZATION, NULL);
    s_fails ("[1]", ZYN_ERR_SERIALIZATION,
             "Start of list found where not expected");
    s_fails ("\"x\"", ZYN_ERR_SERIALIZATION,
             "VALUE_STRING cannot be converted to Map");
    s_fails ("{\"Item\":\"x\"}", ZYN_ERR_SERIALIZATION,
             "VALUE_STRING cannot be converted to Map");
    s_fails ("{\"Item\":[]}", ZYN_ERR_SERIALIZATION,
             "Start of list found where not expected");
    s_fails ("{\"Items\":{}}", ZYN_ERR_SERIALIZATION,
             "Start of structure or map found where not expected.");
    s_fails ("{\"Parameters\":5}", ZYN_ERR_SERIALIZATION,
             "NUMBER_VALUE cannot be converted to List");
    s_fails ("{\"Item\":{\"a\":{}}}", ZYN_ERR_VALIDATION,
             "Supplied AttributeValue is empty, must contain exactly one of "
             "the supported datatypes");
    s_fails ("{\"Key\":{\"a\":{\"S\":\"x\",\"N\":\"1\"}}}", ZYN_ERR_VALIDATION,
             "Supplied AttributeValue has more than one datatypes set, must "
             "contain exactly one of the supported datatypes");
    s_fails ("{\"Item\":{\"a\":{\"NULL\":false}}}", ZYN_ERR_VALIDATION,
             "One or more parameter values were invalid: Null attribute "
             "value types must have the value of true");
    s_fails ("{\"ExpressionAttributeValues\":{\":a\":{\"N\":\"x\"}}}",
             ZYN_ERR_VALIDATION, NULL);
    s_fails ("{\"RequestItems\":{\"t\":{\"Keys\":[{\"a\":{\"S\":1}}]}}}",
             ZYN_ERR_SERIALIZATION,
             "NUMBER_VALUE cannot be converted to String");
    s_fails ("{\"Value\":\"x\"}", ZYN_ERR_SERIALIZATION,
             "VALUE_STRING cannot be converted to AttributeValue");
    //  Plain numbers beyond what DynamoDB parameters hold
    s_fails ("{\"Limit\":123456789012345678901234567890}",
             ZYN_ERR_SERIALIZATION, NULL);
    //  Nesting beyond reason
    char deep [2000];
    size_t length = 0;
    length += (size_t) snprintf (deep, sizeof (deep), "{\"a\":");
    for (int i = 0; i < 300; i++)
        deep [length++] = '[';
    for (int i = 0; i < 300; i++)
        deep [length++] = ']';
    deep [length++] = '}';
    deep [length] = 0;
    s_fails (deep, ZYN_ERR_SERIALIZATION,
             "JSON nested more than 256 levels deep");
}
END_TEST

Suite *
zyn_json_suite (void)
{
    Suite *suite = suite_create ("zyn_json");
    TCase *tc = tcase_create ("requests");
    tcase_add_test (tc, test_item_requests);
    tcase_add_test (tc, test_query_scan);
    tcase_add_test (tc, test_legacy_writes);
    tcase_add_test (tc, test_batch_transact);
    tcase_add_test (tc, test_tables_and_streams);
    suite_add_tcase (suite, tc);
    tc = tcase_create ("plain_values");
    tcase_add_test (tc, test_plain_values);
    suite_add_tcase (suite, tc);
    tc = tcase_create ("errors");
    tcase_add_test (tc, test_errors);
    suite_add_tcase (suite, tc);
    return suite;
}

ZYN_TEST_MAIN (zyn_json_suite)

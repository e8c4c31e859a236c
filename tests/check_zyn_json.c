//  check_zyn_json - DynamoDB JSON bodies <-> native maps, every shape

#include "zyn_prelude.h"
#include "zyn_json.h"
#include "zyn_value.h"
#include "../tests/zyn_testutil.h"

//  --------------------------------------------------------------------------
//  The reference renderer: the Jansson-based one zyn_json_from_response
//  had before it wrote text directly, kept here unchanged so that the
//  differential tests below can hold the new one to it byte for byte. Its
//  table of shapes is a copy of core/zyn_json.c's: change both together.

typedef enum {
    REF_PLAIN, REF_VALUE, REF_VALUE_LIST, REF_ITEM, REF_ITEM_LIST,
    REF_ITEM_OR_LIST, REF_RESPONSES
} s_ref_shape_t;

static const struct {
    const char *name;
    s_ref_shape_t shape;
} s_ref_shapes [] = {
    { "Item", REF_ITEM },
    { "Key", REF_ITEM },
    { "ExclusiveStartKey", REF_ITEM },
    { "LastEvaluatedKey", REF_ITEM },
    { "ExpressionAttributeValues", REF_ITEM },
    { "Attributes", REF_ITEM },
    { "NewImage", REF_ITEM },
    { "OldImage", REF_ITEM },
    { "ItemCollectionKey", REF_ITEM },
    { "Items", REF_ITEM_LIST },
    { "Keys", REF_ITEM_OR_LIST },
    { "Responses", REF_RESPONSES },
    { "Value", REF_VALUE },
    { "AttributeValueList", REF_VALUE_LIST },
    { "Parameters", REF_VALUE_LIST },
};

static s_ref_shape_t
s_ref_shape (const char *name, const char *parent)
{
    if (parent && streq (parent, "Tags"))
        return REF_PLAIN;
    for (size_t i = 0; i < sizeof (s_ref_shapes) / sizeof (s_ref_shapes [0]);
         i++)
        if (streq (s_ref_shapes [i].name, name))
            return s_ref_shapes [i].shape;
    return REF_PLAIN;
}

static json_t *
    s_ref_plain (const zyn_value_t *value, const char *parent);

static json_t *
s_ref_string (const char *data, size_t size)
{
    json_t *json = json_stringn (data, size);
    return json ? json : json_stringn_nocheck (data, size);
}

static json_t *
s_ref_number (const zyn_value_t *value)
{
    const char *text = zyn_value_data (value);
    if (!strpbrk (text, ".eE")) {
        errno = 0;
        char *end;
        long long integer = strtoll (text, &end, 10);
        if (errno == 0 && *end == 0)
            return json_integer (integer);
    }
    return json_real (strtod (text, NULL));
}

static json_t *
s_ref_binary (const zyn_value_t *value)
{
    size_t size = zyn_value_size (value);
    char *text = (char *) zmalloc (4 * ((size + 2) / 3) + 1);
    static const char alphabet []
        = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const uint8_t *data = (const uint8_t *) zyn_value_data (value);
    size_t out = 0;
    for (size_t i = 0; i < size; i += 3) {
        uint32_t chunk = (uint32_t) data [i] << 16;
        if (i + 1 < size)
            chunk |= (uint32_t) data [i + 1] << 8;
        if (i + 2 < size)
            chunk |= data [i + 2];
        text [out++] = alphabet [(chunk >> 18) & 63];
        text [out++] = alphabet [(chunk >> 12) & 63];
        text [out++] = i + 1 < size ? alphabet [(chunk >> 6) & 63] : '=';
        text [out++] = i + 2 < size ? alphabet [chunk & 63] : '=';
    }
    json_t *json = json_stringn (text, out);
    free (text);
    return json;
}

static json_t *
s_ref_item (const zyn_value_t *value)
{
    if (zyn_value_type (value) != ZYN_TYPE_M)
        return s_ref_plain (value, NULL);
    return zyn_value_to_jansson_map (value);
}

static json_t *
s_ref_item_list (const zyn_value_t *value)
{
    if (zyn_value_type (value) != ZYN_TYPE_L)
        return s_ref_plain (value, NULL);
    json_t *array = json_array ();
    for (size_t i = 0; i < zyn_value_size (value); i++)
        json_array_append_new (array,
                               s_ref_item (zyn_value_list_get (value, i)));
    return array;
}

static json_t *
s_ref_member (const zyn_value_t *value, const char *name, const char *parent)
{
    switch (s_ref_shape (name, parent)) {
        case REF_VALUE:
            return zyn_value_to_jansson (value);
        case REF_VALUE_LIST:
            if (zyn_value_type (value) == ZYN_TYPE_L) {
                json_t *array = json_array ();
                for (size_t i = 0; i < zyn_value_size (value); i++)
                    json_array_append_new (
                        array,
                        zyn_value_to_jansson (zyn_value_list_get (value, i)));
                return array;
            }
            break;
        case REF_ITEM:
            return s_ref_item (value);
        case REF_ITEM_LIST:
            return s_ref_item_list (value);
        case REF_ITEM_OR_LIST:
            if (zyn_value_type (value) == ZYN_TYPE_L)
                return s_ref_item_list (value);
            return s_ref_item (value);
        case REF_RESPONSES:
            if (zyn_value_type (value) == ZYN_TYPE_M) {
                json_t *object = json_object ();
                for (size_t i = 0; i < zyn_value_size (value); i++)
                    json_object_set_new (
                        object, zyn_value_map_name (value, i),
                        s_ref_item_list (zyn_value_map_value (value, i)));
                return object;
            }
            break;
        case REF_PLAIN:
            break;
    }
    return s_ref_plain (value, name);
}

static json_t *
s_ref_plain (const zyn_value_t *value, const char *parent)
{
    switch (zyn_value_type (value)) {
        case ZYN_TYPE_S:
            return s_ref_string (zyn_value_data (value),
                                 zyn_value_size (value));
        case ZYN_TYPE_N:
            return s_ref_number (value);
        case ZYN_TYPE_B:
            return s_ref_binary (value);
        case ZYN_TYPE_BOOL:
            return json_boolean (zyn_value_bool (value));
        case ZYN_TYPE_NULL:
            return json_null ();
        case ZYN_TYPE_M: {
            json_t *object = json_object ();
            for (size_t i = 0; i < zyn_value_size (value); i++) {
                const char *name = zyn_value_map_name (value, i);
                json_object_set_new_nocheck (
                    object, name,
                    s_ref_member (zyn_value_map_value (value, i), name,
                                  parent));
            }
            return object;
        }
        case ZYN_TYPE_L:
        case ZYN_TYPE_SS:
        case ZYN_TYPE_NS:
        case ZYN_TYPE_BS: {
            json_t *array = json_array ();
            for (size_t i = 0; i < zyn_value_size (value); i++)
                json_array_append_new (
                    array, s_ref_plain (zyn_value_list_get (value, i), parent));
            return array;
        }
    }
    return json_null ();
}

static char *
s_ref_render (const zyn_value_t *response)
{
    json_t *root = response ? s_ref_plain (response, NULL) : json_object ();
    char *text = json_dumps (root, JSON_COMPACT | JSON_ENCODE_ANY
                                       | JSON_REAL_PRECISION (15));
    json_decref (root);
    if (!text)
        text = strdup ("{}");
    return text;
}

//  The renderer must write exactly what the reference writes. Returns true
//  if that was more than "{}".

static bool
s_same_as_reference (const zyn_value_t *response)
{
    char *expected = s_ref_render (response);
    size_t size = 0;
    char *text = zyn_json_from_response (response, &size);
    ck_assert_str_eq (text, expected);
    ck_assert_uint_eq (size, strlen (expected));
    bool full = !streq (expected, "{}");
    free (text);
    free (expected);
    return full;
}

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
    s_same_as_reference (request);
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

//  --------------------------------------------------------------------------
//  Random responses for the differential tests

typedef struct {
    uint64_t state;             //  xorshift64 state, never 0
    bool invalid;               //  May produce text that is not UTF-8
} s_random_t;

static uint32_t
s_random (s_random_t *self, uint32_t limit)
{
    self->state ^= self->state << 13;
    self->state ^= self->state >> 7;
    self->state ^= self->state << 17;
    return (uint32_t) ((self->state >> 11) % limit);
}

//  Pieces of tricky text: escapes, control characters, '/', DEL, UTF-8 of
//  every length, and (only when allowed) byte runs that are not UTF-8
static const char *s_pieces [] = {
    "a", "Z", "0", " ", "\"", "\\", "/", "\\\\\"", "\x7f", "\x01", "\x1f",
    "\b", "\f", "\n", "\r", "\t", "\x0b", "\x1b", "{", "}", "[", "]", ":",
    ",", "\xc2\x80", "\xc3\xa9", "\xdf\xbf", "\xe0\xa0\x80", "\xe2\x82\xac",
    "\xed\x9f\xbf", "\xee\x80\x80", "\xef\xbf\xbf", "\xf0\x90\x80\x80",
    "\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf", "plain text", "u00e9"
};
static const char *s_bad_pieces [] = {
    "\x80", "\xbf", "\xc0\x80", "\xc1\xbf", "\xc2", "\xc2\x41", "\xe0\x80\x80",
    "\xe0\x9f\xbf", "\xed\xa0\x80", "\xed\xbf\xbf", "\xef\xbf", "\xf0\x80\x80\x80",
    "\xf0\x8f\xbf\xbf", "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xf8", "\xff"
};

#define PIECES(array) (sizeof (array) / sizeof (array [0]))

//  Random text into buffer (max bytes at least 256); returns its length.
//  May hold NUL bytes when nul is true.
static size_t
s_random_text (s_random_t *self, char *buffer, bool nul)
{
    size_t size = 0;
    uint32_t pieces = s_random (self, 4) ? s_random (self, 8) : 0;
    for (uint32_t i = 0; i < pieces; i++) {
        const char *piece;
        if (self->invalid && s_random (self, 12) == 0)
            piece = s_bad_pieces [s_random (self, PIECES (s_bad_pieces))];
        else
            piece = s_pieces [s_random (self, PIECES (s_pieces))];
        if (nul && s_random (self, 16) == 0)
            buffer [size++] = 0;
        size_t length = strlen (piece);
        memcpy (buffer + size, piece, length);
        size += length;
    }
    buffer [size] = 0;
    return size;
}

//  A valid N: integers of every size, fractions, exponents to the ends of
//  DynamoDB's range
static zyn_value_t *
s_random_number (s_random_t *self)
{
    static const char *fixed [] = {
        "0", "-0", "1", "-1", "10", "100000", "9223372036854775807",
        "-9223372036854775808", "9223372036854775808", "-9223372036854775809",
        "999999999999999999", "1000000000000000000", "12345678901234567890",
        "0.5", "1.0", "-0.25", "0.000001", "0.0001", "1e15", "1e14", "1e16",
        "123456789012345.6", "1234567890123456.7", "0.1", "0.3", "2.5e-5",
        "9.9999999999999999999999999999999999999E+125", "1E-130", "-1E-130",
        "-9.9999999999999999999999999999999999999E+125", "1E+100", "1e-100",
        "3.14159265358979323846264338327950288", "100.000", "007", "1.5E3",
        "99999999999999999999999999999999999999", "1000000000000000.5",
        "100000000000000.5", "999999999999999.5", "99999999999999.5",
        "0.0001", "0.00001", "0.00012345", "0.000123456789012345",
        "123456789.123456", "12345678.123456", "-0.0009999", "10.01"
    };
    zyn_error_t err = { 0 };
    if (s_random (self, 3) == 0)
        return zyn_value_new_n (fixed [s_random (self, PIECES (fixed))], &err);
    char text [64];
    size_t size = 0;
    if (s_random (self, 3) == 0)
        text [size++] = '-';
    uint32_t digits = 1 + s_random (self, 38);
    uint32_t point = s_random (self, digits + 1);
    for (uint32_t i = 0; i < digits; i++) {
        if (i == point && i > 0)
            text [size++] = '.';
        text [size++] = (char) ('0' + s_random (self, 10));
    }
    if (s_random (self, 3) == 0)
        size += (size_t) snprintf (text + size, sizeof (text) - size, "e%d",
                                   (int) s_random (self, 200) - 100);
    text [size] = 0;
    zyn_value_t *number = zyn_value_new_n (text, &err);
    return number ? number : zyn_value_new_n_int ((int64_t) s_random (self, 1000));
}

static zyn_value_t *
s_random_binary (s_random_t *self)
{
    uint8_t data [16];
    size_t size = s_random (self, 4) ? s_random (self, 17) : 0;
    for (size_t i = 0; i < size; i++)
        data [i] = (uint8_t) s_random (self, 256);
    return zyn_value_new_b (data, size);
}

static zyn_value_t *
s_random_string (s_random_t *self)
{
    char text [1024];
    size_t size = s_random_text (self, text, true);
    return zyn_value_new_sn (text, size);
}

//  Member names: every shape's name, Tags, plain names and tricky text
static const char *s_names [] = {
    "Item", "Key", "ExclusiveStartKey", "LastEvaluatedKey",
    "ExpressionAttributeValues", "Attributes", "NewImage", "OldImage",
    "ItemCollectionKey", "Items", "Keys", "Responses", "Value",
    "AttributeValueList", "Parameters", "Tags", "Count", "ScannedCount",
    "TableName", "ConsumedCapacity", "CapacityUnits", "Table", "S", "N",
    "M", "L", "NULL", "BOOL", "a", "pk", ""
};

static void
s_random_name (s_random_t *self, char *buffer)
{
    if (s_random (self, 3)) {
        strcpy (buffer, s_names [s_random (self, PIECES (s_names))]);
        return;
    }
    s_random_text (self, buffer, false);
}

static zyn_value_t *
s_random_value (s_random_t *self, int depth)
{
    uint32_t kind = s_random (self, depth > 0 ? 10 : 6);
    switch (kind) {
        case 0:
            return s_random_string (self);
        case 1:
            return s_random_number (self);
        case 2:
            return s_random_binary (self);
        case 3:
            return zyn_value_new_bool (s_random (self, 2));
        case 4:
            return zyn_value_new_null ();
        case 5: {
            zyn_type_t type = ZYN_TYPE_SS + s_random (self, 3);
            zyn_value_t *set = zyn_value_new_set (type);
            uint32_t count = 1 + s_random (self, 4);
            for (uint32_t i = 0; i < count; i++) {
                zyn_value_t *element
                    = type == ZYN_TYPE_SS ? s_random_string (self)
                    : type == ZYN_TYPE_NS ? s_random_number (self)
                                          : s_random_binary (self);
                zyn_value_list_append (set, &element);
            }
            return set;
        }
        case 6:
        case 7: {
            zyn_value_t *map = zyn_value_new_m ();
            uint32_t count = s_random (self, 6);
            for (uint32_t i = 0; i < count; i++) {
                char name [1024];
                s_random_name (self, name);
                zyn_value_t *member = s_random_value (self, depth - 1);
                zyn_value_map_put (map, name, &member);
            }
            return map;
        }
        default: {
            zyn_value_t *list = zyn_value_new_l ();
            uint32_t count = s_random (self, 6);
            for (uint32_t i = 0; i < count; i++) {
                zyn_value_t *element = s_random_value (self, depth - 1);
                zyn_value_list_append (list, &element);
            }
            return list;
        }
    }
}

//  A random response: a map at the top
static zyn_value_t *
s_random_response (s_random_t *self)
{
    zyn_value_t *response = zyn_value_new_m ();
    uint32_t count = s_random (self, 8);
    for (uint32_t i = 0; i < count; i++) {
        char name [1024];
        s_random_name (self, name);
        zyn_value_t *member = s_random_value (self, 1 + s_random (self, 5));
        zyn_value_map_put (response, name, &member);
    }
    return response;
}

START_TEST (test_differential_random)
{
    //  Over many random responses the renderer writes what the reference
    //  writes; one in eight may carry text that is not UTF-8
    s_random_t random = { 0x9E3779B97F4A7C15ull, false };
    int full = 0;
    int total = 0;
    for (int round = 0; round < 50000; round++) {
        random.invalid = round % 8 == 7;
        zyn_value_t *response = s_random_response (&random);
        if (s_same_as_reference (response))
            full++;
        total++;
        //  Every value also alone, as the top of a response
        zyn_value_t *value = s_random_value (&random, 3);
        s_same_as_reference (value);
        zyn_value_destroy (&value);
        zyn_value_destroy (&response);
    }
    //  The comparison is worth something only if most texts are not "{}"
    ck_assert_int_gt (full, total * 3 / 4);
}
END_TEST

//  A chain of depth lists and maps under an outer map's member name
static zyn_value_t *
s_deep (const char *name, int depth, bool attribute)
{
    zyn_value_t *value = zyn_value_new_s ("bottom");
    for (int i = 0; i < depth; i++) {
        zyn_value_t *outer;
        if (i % 2) {
            outer = zyn_value_new_l ();
            zyn_value_list_append (outer, &value);
        }
        else {
            outer = zyn_value_new_m ();
            zyn_value_map_put (outer, attribute ? "a" : "Item", &value);
        }
        value = outer;
    }
    zyn_value_t *response = zyn_value_new_m ();
    if (attribute) {
        zyn_value_t *item = zyn_value_new_m ();
        zyn_value_map_put (item, "deep", &value);
        zyn_value_map_put (response, name, &item);
    }
    else
        zyn_value_map_put (response, name, &value);
    return response;
}

//  The reply's bytes rendered straight must be the decoded tree's text;
//  returns false if the renderer declined (it may only when the bytes do
//  not decode, or hold what it leaves to the decoder)
static bool
s_item_reply_same (const void *data, size_t size)
{
    size_t json_size = 0;
    char *json = zyn_json_from_item_reply (data, size, &json_size);
    zyn_error_t err = { 0 };
    zyn_value_t *reply = zyn_value_decode (data, size, &err);
    if (!json) {
        zyn_value_destroy (&reply);
        return false;
    }
    ck_assert_ptr_nonnull (reply);
    char *expected = zyn_json_from_response (reply, NULL);
    ck_assert_str_eq (json, expected);
    ck_assert_uint_eq (json_size, strlen (expected));
    free (expected);
    free (json);
    zyn_value_destroy (&reply);
    return true;
}

START_TEST (test_item_reply)
{
    //  Random items of every type, and empty replies: rendered straight,
    //  always, and exactly as the tree is; items with text that is not
    //  UTF-8 never decode, so are always declined
    s_random_t random = { 0x2545F4914F6CDD1Dull, false };
    int rendered = 0;
    for (int round = 0; round < 20000; round++) {
        random.invalid = round % 10 == 9;
        zyn_value_t *reply = zyn_value_new_m ();
        if (round % 50) {
            zyn_value_t *item = zyn_value_new_m ();
            uint32_t count = s_random (&random, 12);
            for (uint32_t i = 0; i < count; i++) {
                char name [1024];
                s_random_name (&random, name);
                zyn_value_t *member = s_random_value (&random, 4);
                zyn_value_map_put (item, name, &member);
            }
            zyn_value_map_put (reply, "Item", &item);
        }
        size_t size = 0;
        void *data = zyn_value_encode (reply, &size);
        zyn_error_t err = { 0 };
        zyn_value_t *decoded = zyn_value_decode (data, size, &err);
        bool same = s_item_reply_same (data, size);
        ck_assert_int_eq (same, decoded != NULL);
        rendered += same;
        zyn_value_destroy (&decoded);
        free (data);
        zyn_value_destroy (&reply);
    }
    ck_assert_int_gt (rendered, 17000);

    //  A reply with a map nested 32 deep is rendered, 33 deep declined
    for (int depth = 31; depth <= 33; depth++) {
        zyn_value_t *value = zyn_value_new_s ("bottom");
        for (int i = 0; i < depth; i++) {
            zyn_value_t *outer = zyn_value_new_m ();
            zyn_value_map_put (outer, "a", &value);
            value = outer;
        }
        zyn_value_t *reply = zyn_value_new_m ();
        zyn_value_map_put (reply, "Item", &value);
        size_t size = 0;
        void *data = zyn_value_encode (reply, &size);
        ck_assert_int_eq (s_item_reply_same (data, size), depth <= 32);
        free (data);
        zyn_value_destroy (&reply);
    }

    //  Left to the decoder: a number as a MessagePack integer, a repeated
    //  name, an unknown ext type, bytes after the reply, other members, an
    //  Item that is not a map, a reply that is not a map
    const char *declined [] = {
        "\x81\xa4Item\x81\xa1\x61\x05",
        "\x81\xa4Item\x82\xa1\x61\xa1x\xa1\x61\xa1y",
        "\x81\xa4Item\x81\xa1\x61\xd4\x09\x31",
        "\x81\xa4Item\x80\xc0",
        "\x82\xa4Item\x80\xa5Other\xc0",
        "\x81\xa4Item\xa1x",
        "\x81\xa4Itex\x80",
        "\x91\x80",
        "\xa4Item"
    };
    const size_t sizes [] = { 10, 15, 12, 8, 14, 8, 7, 2, 5 };
    for (size_t i = 0; i < PIECES (declined); i++)
        ck_assert_ptr_null (zyn_json_from_item_reply (declined [i],
                                                      sizes [i], NULL));
    //  The repeated name still renders through the tree, the last value
    //  in the first place
    zyn_error_t err = { 0 };
    zyn_value_t *reply = zyn_value_decode (declined [1], sizes [1], &err);
    ck_assert_ptr_nonnull (reply);
    char *json = zyn_json_from_response (reply, NULL);
    ck_assert_str_eq (json, "{\"Item\":{\"a\":{\"S\":\"y\"}}}");
    free (json);
    zyn_value_destroy (&reply);

    //  Every prefix of a full reply is declined, and nothing is read
    //  beyond it (AddressSanitizer watches the copy's end)
    const char full [] = "\x81\xa4Item\x84\xa1s\xa2hi\xa1n\xc7\x04\x01-1.5"
                         "\xa1\x62\xc4\x02\x01\x02"
                         "\xa2ss\xc7\x05\x02\x92\xa1\x61\xa1\x62";
    size_t full_size = sizeof (full) - 1;
    ck_assert (s_item_reply_same (full, full_size));
    json = zyn_json_from_item_reply (full, full_size, NULL);
    ck_assert_str_eq (json, "{\"Item\":{\"s\":{\"S\":\"hi\"},\"n\":{\"N\":"
                            "\"-1.5\"},\"b\":{\"B\":\"AQI=\"},\"ss\":{\"SS\":"
                            "[\"a\",\"b\"]}}}");
    free (json);
    for (size_t cut = 0; cut < full_size; cut++) {
        char *copy = (char *) malloc (cut ? cut : 1);
        memcpy (copy, full, cut);
        ck_assert_ptr_null (zyn_json_from_item_reply (copy, cut, NULL));
        free (copy);
    }
    //  The empty reply
    json = zyn_json_from_item_reply ("\x80", 1, NULL);
    ck_assert_str_eq (json, "{}");
    free (json);
}
END_TEST

START_TEST (test_differential_edges)
{
    //  Deep nesting, in plain and attribute-value positions
    for (int depth = 1; depth <= 400; depth += 57) {
        zyn_value_t *response = s_deep ("Deep", depth, false);
        ck_assert (s_same_as_reference (response));
        zyn_value_destroy (&response);
        response = s_deep ("Item", depth, true);
        ck_assert (s_same_as_reference (response));
        zyn_value_destroy (&response);
    }
    //  Every byte alone, in a plain string, an attribute S, a name and a
    //  B; and every pair of bytes that starts a UTF-8 sequence
    for (int byte = 0; byte < 256; byte++) {
        char text [3] = { (char) byte, 0, 0 };
        zyn_value_t *response = zyn_value_new_m ();
        zyn_value_t *string = zyn_value_new_sn (text, 1);
        zyn_value_map_put (response, "Plain", &string);
        s_same_as_reference (response);
        zyn_value_destroy (&response);

        response = zyn_value_new_m ();
        zyn_value_t *item = zyn_value_new_m ();
        string = zyn_value_new_sn (text, 1);
        zyn_value_map_put (item, byte ? text : "nul", &string);
        zyn_value_t *binary = zyn_value_new_b (text, 1);
        zyn_value_map_put (item, "b", &binary);
        zyn_value_map_put (response, "Item", &item);
        s_same_as_reference (response);
        zyn_value_destroy (&response);

        for (int next = 0; next < 256 && byte >= 0xC0; next++) {
            text [1] = (char) next;
            response = zyn_value_new_m ();
            string = zyn_value_new_sn (text, 2);
            zyn_value_map_put (response, "Plain", &string);
            s_same_as_reference (response);
            zyn_value_destroy (&response);
        }
    }
    //  Empty strings, binaries, maps, lists and sets' neighbours
    zyn_value_t *response = zyn_value_new_m ();
    zyn_value_map_put_s (response, "", "");
    zyn_value_t *value = zyn_value_new_b ("", 0);
    zyn_value_map_put (response, "B", &value);
    value = zyn_value_new_m ();
    zyn_value_map_put (response, "M", &value);
    value = zyn_value_new_l ();
    zyn_value_map_put (response, "L", &value);
    zyn_value_t *item = zyn_value_new_m ();
    value = zyn_value_new_s ("");
    zyn_value_map_put (item, "", &value);
    value = zyn_value_new_b ("", 0);
    zyn_value_map_put (item, "b", &value);
    value = zyn_value_new_m ();
    zyn_value_map_put (item, "m", &value);
    value = zyn_value_new_l ();
    zyn_value_map_put (item, "l", &value);
    zyn_value_map_put (response, "Item", &item);
    value = zyn_value_new_l ();
    zyn_value_map_put (response, "Items", &value);
    value = zyn_value_new_m ();
    zyn_value_map_put (response, "Responses", &value);
    ck_assert (s_same_as_reference (response));
    zyn_value_destroy (&response);
    //  Big strings and binaries
    char *big = (char *) zmalloc (300000);
    for (size_t i = 0; i < 300000; i++)
        big [i] = (char) (i % 97 == 0 ? '\x01' : i % 89 == 0 ? '"' : 'x');
    response = zyn_value_new_m ();
    value = zyn_value_new_sn (big, 300000);
    zyn_value_map_put (response, "Big", &value);
    item = zyn_value_new_m ();
    value = zyn_value_new_sn (big, 300000);
    zyn_value_map_put (item, "s", &value);
    value = zyn_value_new_b (big, 299999);
    zyn_value_map_put (item, "b", &value);
    zyn_value_map_put (response, "Item", &item);
    ck_assert (s_same_as_reference (response));
    zyn_value_destroy (&response);
    free (big);
    //  No response at all
    ck_assert (!s_same_as_reference (NULL));
}
END_TEST

START_TEST (test_differential_responses)
{
    //  The shapes real responses have, from their JSON text
    const char *responses [] = {
        //  GetItem
        "{\"Item\":{\"pk\":{\"S\":\"user#1\"},\"sk\":{\"N\":\"42\"},"
        "\"name\":{\"S\":\"Ren\\u00e9e \\\"R\\\" O'Brien / \\u2603\"},"
        "\"blob\":{\"B\":\"AAECAwQ=\"},\"tags\":{\"SS\":[\"a\",\"b\"]},"
        "\"scores\":{\"NS\":[\"1\",\"2.5\",\"-3e10\"]},"
        "\"bins\":{\"BS\":[\"AA==\",\"AAE=\"]},\"ok\":{\"BOOL\":true},"
        "\"none\":{\"NULL\":true},\"m\":{\"M\":{\"l\":{\"L\":[{\"N\":\"1\"},"
        "{\"S\":\"\"},{\"M\":{}}]}}}},"
        "\"ConsumedCapacity\":{\"TableName\":\"t\",\"CapacityUnits\":0.5}}",
        "{}",
        //  Query and Scan
        "{\"Items\":[{\"pk\":{\"S\":\"a\"},\"n\":{\"N\":\"1\"}},"
        "{\"pk\":{\"S\":\"b\"}}],\"Count\":2,\"ScannedCount\":10,"
        "\"LastEvaluatedKey\":{\"pk\":{\"S\":\"b\"}},"
        "\"ConsumedCapacity\":{\"TableName\":\"t\",\"CapacityUnits\":1,"
        "\"Table\":{\"CapacityUnits\":1},\"GlobalSecondaryIndexes\":{\"i\":"
        "{\"CapacityUnits\":0.5}}}}",
        "{\"Items\":[],\"Count\":0,\"ScannedCount\":0}",
        //  DescribeTable
        "{\"Table\":{\"TableName\":\"t\",\"TableStatus\":\"ACTIVE\","
        "\"CreationDateTime\":1700000000.123,\"ItemCount\":12345,"
        "\"TableSizeBytes\":9876543210,\"TableArn\":"
        "\"arn:aws:dynamodb:us-east-1:000000000000:table/t\","
        "\"TableId\":\"0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0\","
        "\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"}],"
        "\"AttributeDefinitions\":[{\"AttributeName\":\"pk\","
        "\"AttributeType\":\"S\"}],\"ProvisionedThroughput\":{"
        "\"NumberOfDecreasesToday\":0,\"ReadCapacityUnits\":5,"
        "\"WriteCapacityUnits\":5,\"LastIncreaseDateTime\":1700000001.5},"
        "\"BillingModeSummary\":{\"BillingMode\":\"PAY_PER_REQUEST\","
        "\"LastUpdateToPayPerRequestDateTime\":1700000000},"
        "\"GlobalSecondaryIndexes\":[{\"IndexName\":\"i\",\"Projection\":{"
        "\"ProjectionType\":\"INCLUDE\",\"NonKeyAttributes\":[\"x\"]},"
        "\"IndexStatus\":\"ACTIVE\",\"Backfilling\":false}],"
        "\"StreamSpecification\":{\"StreamEnabled\":true,"
        "\"StreamViewType\":\"NEW_AND_OLD_IMAGES\"},"
        "\"LatestStreamLabel\":\"2026-11-23T23:29:32.123\"}}",
        //  Errors
        "{\"__type\":\"com.amazonaws.dynamodb.v20120810#"
        "ResourceNotFoundException\",\"message\":\"Requested resource not "
        "found\"}",
        "{\"__type\":\"com.amazonaws.dynamodb.v20120810#"
        "TransactionCanceledException\",\"Message\":\"Transaction cancelled, "
        "please refer cancellation reasons for specific reasons "
        "[ConditionalCheckFailed, None]\",\"CancellationReasons\":[{"
        "\"Code\":\"ConditionalCheckFailed\",\"Message\":\"The conditional "
        "request failed\",\"Item\":{\"pk\":{\"S\":\"a\"}}},{\"Code\":\"None\"}]}",
        //  Batches, transactions, streams, tags, PartiQL
        "{\"Responses\":{\"t\":[{\"pk\":{\"S\":\"a\"}}],\"u\":[]},"
        "\"UnprocessedKeys\":{\"t\":{\"Keys\":[{\"pk\":{\"S\":\"z\"}}],"
        "\"ProjectionExpression\":\"pk\"}},\"ConsumedCapacity\":[{"
        "\"TableName\":\"t\",\"CapacityUnits\":1.5}]}",
        "{\"Responses\":[{\"Item\":{\"pk\":{\"S\":\"a\"}}},{}]}",
        "{\"Attributes\":{\"n\":{\"N\":\"123456789012345678901234567890\"}},"
        "\"ItemCollectionMetrics\":{\"ItemCollectionKey\":{\"pk\":{\"S\":"
        "\"a\"}},\"SizeEstimateRangeGB\":[0,1]}}",
        "{\"Records\":[{\"eventID\":\"1\",\"eventName\":\"INSERT\","
        "\"dynamodb\":{\"ApproximateCreationDateTime\":1700000000,"
        "\"Keys\":{\"pk\":{\"S\":\"a\"}},\"NewImage\":{\"pk\":{\"S\":\"a\"}},"
        "\"OldImage\":{\"pk\":{\"S\":\"b\"}},\"SequenceNumber\":"
        "\"000000000000000000001\",\"SizeBytes\":12,"
        "\"StreamViewType\":\"NEW_AND_OLD_IMAGES\"}}],"
        "\"NextShardIterator\":\"it\"}",
        "{\"Tags\":[{\"Key\":\"Item\",\"Value\":\"x\"}],\"NextToken\":null}",
        "{\"Items\":[{\"a\":{\"N\":\"1\"}}],\"NextToken\":\"n\"}",
        "{\"Endpoints\":[{\"Address\":\"localhost:8000\","
        "\"CachePeriodInMinutes\":1440}]}",
        "{\"TimeToLiveDescription\":{\"TimeToLiveStatus\":\"DISABLED\"},"
        "\"Limit\":-9223372036854775808,\"Max\":9223372036854775807,"
        "\"Tiny\":1e-130,\"Huge\":9.99e125,\"Neg\":-0.0}"
    };
    for (size_t i = 0; i < PIECES (responses); i++) {
        zyn_value_t *response = s_request (responses [i]);
        s_same_as_reference (response);
        zyn_value_destroy (&response);
    }
}
END_TEST

//  --------------------------------------------------------------------------
//  Parsing: zyn_json_to_request (fast path, Jansson when it declines) must
//  give exactly what zyn_json_to_request_jansson gives: the same tree
//  (types, bytes, member order) or the same error and message

static bool
s_identical (const zyn_value_t *self, const zyn_value_t *other)
{
    zyn_type_t type = zyn_value_type (self);
    if (type != zyn_value_type (other)
    ||  zyn_value_size (self) != zyn_value_size (other))
        return false;
    switch (type) {
        case ZYN_TYPE_S:
        case ZYN_TYPE_N:
        case ZYN_TYPE_B:
            return memcmp (zyn_value_data (self), zyn_value_data (other),
                           zyn_value_size (self)) == 0;
        case ZYN_TYPE_BOOL:
            return zyn_value_bool (self) == zyn_value_bool (other);
        case ZYN_TYPE_NULL:
            return true;
        case ZYN_TYPE_M:
            for (size_t i = 0; i < zyn_value_size (self); i++)
                if (!streq (zyn_value_map_name (self, i),
                            zyn_value_map_name (other, i))
                ||  !s_identical (zyn_value_map_value (self, i),
                                  zyn_value_map_value (other, i)))
                    return false;
            return true;
        default:
            for (size_t i = 0; i < zyn_value_size (self); i++)
                if (!s_identical (zyn_value_list_get (self, i),
                                  zyn_value_list_get (other, i)))
                    return false;
            return true;
    }
}

//  Returns true if the text parsed
static bool
s_parses_as_reference (const char *json, size_t size)
{
    zyn_error_t err = { 0 };
    zyn_error_t reference_err = { 0 };
    zyn_value_t *request = zyn_json_to_request (json, size, &err);
    zyn_value_t *reference
        = zyn_json_to_request_jansson (json, size, &reference_err);
    ck_assert_msg (!request == !reference, "%.*s: %s / %s", (int) size, json,
                   err.message, reference_err.message);
    bool parsed = request != NULL;
    if (request) {
        ck_assert_msg (s_identical (request, reference), "%.*s", (int) size,
                       json);
        ck_assert_int_eq (err.type, ZYN_ERR_NONE);
    }
    else {
        ck_assert_int_eq (err.type, reference_err.type);
        ck_assert_str_eq (err.message, reference_err.message);
    }
    zyn_value_destroy (&request);
    zyn_value_destroy (&reference);
    return parsed;
}

START_TEST (test_parse_differential)
{
    const char *texts [] = {
        "{}", " { } ", "{\"a\":1}", "{\"a\" : [ 1 , -2 , 0 , true , false ,"
        " null , \"x\" , { } , [ ] ] }\n", "{\"a\":01}", "{\"a\":-0}",
        "{\"a\":1.5}", "{\"a\":1e5}", "{\"a\":123456789012345678}",
        "{\"a\":1234567890123456789}", "{\"a\":-}", "{\"a\":tru}",
        "{\"a\":truex}", "{\"a\":nul}", "{\"a\":1,}", "{,}", "{\"a\"}",
        "{\"a\":1} ", "{\"a\":1} x", "{\"a\":1}{}", "[]", "\"x\"", "",
        "{\"a\":\"\\u00e9\\ud83d\\ude00\\/\\b\\f\\n\\r\\t\\\"\\\\\"}",
        "{\"a\":\"\\u0000\"}", "{\"\\u0000\":1}", "{\"a\":\"\\ud800\"}",
        "{\"a\":\"\\udc00\"}", "{\"a\":\"\\ud800\\u0041\"}",
        "{\"a\":\"\\uZZZZ\"}", "{\"a\":\"\\x\"}", "{\"a\":\"\x01\"}",
        "{\"a\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\x7f\"}",
        "{\"a\":\"\xc3\"}", "{\"a\":\"\xed\xa0\x80\"}", "{\"a\":\"x",
        "{\"a\":1,\"a\":2}", "{\"a\":1,\"b\":2,\"a\":3}",
        "{\"Key\":null}", "{\"Key\":null,\"Key\":{\"k\":{\"S\":\"x\"}}}",
        "{\"Key\":{\"k\":{\"S\":\"x\"}},\"Key\":null}",
        "{\"TableName\":\"usertable\",\"Key\":{\"ycsb_key\":{\"S\":"
        "\"user6284781860667377211\"}}}",
        "{\"Item\":{\"s\":{\"S\":\"x\"},\"n\":{\"N\":\"01.50\"},"
        "\"b\":{\"B\":\"aGk=\"},\"t\":{\"BOOL\":true},\"f\":{\"BOOL\":false},"
        "\"z\":{\"NULL\":true},\"m\":{\"M\":{\"l\":{\"L\":[{\"N\":\"1\"},"
        "{\"SS\":[\"a\",\"b\"]},{\"NS\":[\"1\",\"1.0\"]},{\"BS\":[\"AA==\"]},"
        "{\"L\":[]},{\"M\":{}},{\"SS\":[]}]}}}}}",
        "{\"Item\":{\"a\":{\"S\":\"x\",\"N\":\"1\"}}}",
        "{\"Item\":{\"a\":{\"S\":\"x\",\"foo\":1}}}",
        "{\"Item\":{\"a\":{\"S\":\"x\",\"N\":null}}}",
        "{\"Item\":{\"a\":{\"N\":\"x\"}}}", "{\"Item\":{\"a\":{\"N\":1}}}",
        "{\"Item\":{\"a\":{\"S\":1}}}", "{\"Item\":{\"a\":{}}}",
        "{\"Item\":{\"a\":{\"NULL\":false}}}", "{\"Item\":{\"a\":{\"X\":1}}}",
        "{\"Item\":{\"a\":{\"S\":\"x\"},\"a\":{\"S\":\"y\"}}}",
        "{\"Item\":[]}", "{\"Item\":\"x\"}", "{\"Items\":{}}",
        "{\"Items\":[{\"a\":{\"S\":\"x\"}},{}]}", "{\"Keys\":[{}]}",
        "{\"Keys\":{\"a\":{\"N\":\"2\"}}}", "{\"Responses\":\"x\"}",
        "{\"Responses\":{\"t\":[{\"a\":{\"S\":\"x\"}}],\"u\":[]}}",
        "{\"Responses\":{\"t\":null}}", "{\"Responses\":[{\"Item\":{}}]}",
        "{\"Value\":{\"S\":\"x\"}}", "{\"Value\":\"x\"}",
        "{\"Parameters\":[{\"N\":\"1\"},{\"S\":\"a\"}]}",
        "{\"Parameters\":5}", "{\"AttributeValueList\":[]}",
        "{\"Tags\":[{\"Key\":\"k\",\"Value\":\"v\"}]}",
        "{\"TransactItems\":[{\"Put\":{\"TableName\":\"t\",\"Item\":{"
        "\"a\":{\"S\":\"x\"}}}},{\"Update\":{\"Key\":{\"a\":{\"S\":\"x\"}},"
        "\"ExpressionAttributeValues\":{\":v\":{\"N\":\"1e2\"}}}}]}",
        "{\"RequestItems\":{\"t\":{\"Keys\":[{\"a\":{\"S\":\"x\"}}]}}}",
        "{\"RequestItems\":{\"t\":[{\"PutRequest\":{\"Item\":{\"a\":{"
        "\"NS\":[\"1\",\"x\"]}}}}]}}",
        "{\"Item\":{\"a\":{\"L\":[{\"L\":[{\"L\":[{\"L\":[{\"S\":\"d\"}]}]}]}]}}}"
    };
    for (size_t i = 0; i < PIECES (texts); i++)
        s_parses_as_reference (texts [i], strlen (texts [i]));
    ck_assert (!s_parses_as_reference (NULL, 0));

    //  Deep nesting, plain and in attribute values, past both limits
    for (int depth = 1; depth < 300; depth += 7) {
        char text [4096];
        size_t size = 0;
        size += (size_t) snprintf (text, sizeof (text), "{\"a\":");
        for (int i = 0; i < depth; i++)
            text [size++] = '[';
        for (int i = 0; i < depth; i++)
            text [size++] = ']';
        text [size++] = '}';
        ck_assert (s_parses_as_reference (text, size) == (depth < 256));
        size = (size_t) snprintf (text, sizeof (text), "{\"Item\":{\"a\":");
        for (int i = 0; i < depth && i < 80; i++)
            size += (size_t) snprintf (text + size, sizeof (text) - size,
                                       "{\"L\":[");
        size += (size_t) snprintf (text + size, sizeof (text) - size,
                                   "{\"S\":\"x\"}");
        for (int i = 0; i < depth && i < 80; i++)
            size += (size_t) snprintf (text + size, sizeof (text) - size,
                                       "]}");
        size += (size_t) snprintf (text + size, sizeof (text) - size, "}}");
        s_parses_as_reference (text, size);
    }

    //  Rendered random responses, and each of them mutated: bytes changed,
    //  dropped, doubled, the text cut short
    s_random_t random = { 0x2545F4914F6CDD1Dull, false };
    int parsed = 0;
    for (int round = 0; round < 20000; round++) {
        random.invalid = round % 16 == 15;
        zyn_value_t *response = s_random_response (&random);
        size_t size = 0;
        char *text = zyn_json_from_response (response, &size);
        zyn_value_destroy (&response);
        if (s_parses_as_reference (text, size))
            parsed++;
        static const char bytes [] = "{}[]\",:\\ 0-1.eEtrufalsn\x01\xc3\xa9";
        for (int mutation = 0; mutation < 4 && size > 0; mutation++) {
            char *copy = (char *) zmalloc (size + 2);
            memcpy (copy, text, size);
            size_t at = s_random (&random, (uint32_t) size);
            size_t copy_size = size;
            switch (s_random (&random, 4)) {
                case 0:
                    copy [at] = bytes [s_random (&random, sizeof (bytes) - 1)];
                    break;
                case 1:
                    memmove (copy + at, copy + at + 1, size - at - 1);
                    copy_size--;
                    break;
                case 2:
                    memmove (copy + at + 1, copy + at, size - at);
                    copy_size++;
                    break;
                default:
                    copy_size = at;
            }
            s_parses_as_reference (copy, copy_size);
            free (copy);
        }
        free (text);
    }
    ck_assert_int_gt (parsed, 20000 / 3);
}
END_TEST

//  A typical GetItem response of about 1 KB
static zyn_value_t *
s_typical_response (void)
{
    return s_request (
        "{\"Item\":{\"pk\":{\"S\":\"user0000012345\"},"
        "\"field0\":{\"S\":\"4aT8kqf0Zc2vLd9wQ1mN7rX3bY6pE5sH8jK2uV0oI4gA1zC7\"},"
        "\"field1\":{\"S\":\"Wm3nB8vC1xZ6lK4jH9gF2dS5aP0oI7uY3tR8eQ1wM6nB4vC9\"},"
        "\"field2\":{\"S\":\"Lk5jH2gF8dS1aP6oI3uY9tR4eQ7wE0rT5yU2iO8pA3sD6fG1\"},"
        "\"field3\":{\"S\":\"Zx7cV4bN1mQ8wE5rT2yU9iO6pA3sD0fG7hJ4kL1zX8cV5bN2\"},"
        "\"field4\":{\"S\":\"Qa2wS9eD6rF3tG0yH7uJ4iK1oL8pZ5xC2vB9nM6qA3wS0eD7\"},"
        "\"field5\":{\"S\":\"Mn8bV5cX2zL9kJ6hG3fD0sA7pO4iU1yT8rE5wQ2mN9bV6cX3\"},"
        "\"field6\":{\"S\":\"Gf4dS1aP8oI5uY2tR9eQ6wM3nB0vC7xZ4lK1jH8gF5dS2aP9\"},"
        "\"field7\":{\"S\":\"Yt6rE3wQ0mN7bV4cX1zL8kJ5hG2fD9sA6pO3iU0yT7rE4wQ1\"},"
        "\"field8\":{\"S\":\"Hj2kL9zX6cV3bN0mQ7wE4rT1yU8iO5pA2sD9fG6hJ3kL0zX7\"},"
        "\"field9\":{\"S\":\"Cv1bN8mQ5wE2rT9yU6iO3pA0sD7fG4hJ1kL8zX5cV2bN9mQ6\"},"
        "\"count\":{\"N\":\"1234\"},\"price\":{\"N\":\"19.99\"},"
        "\"active\":{\"BOOL\":true},\"avatar\":{\"B\":\"iVBORw0KGgoAAAANSUhEUgAA\"},"
        "\"tags\":{\"SS\":[\"alpha\",\"beta\",\"gamma\"]},"
        "\"address\":{\"M\":{\"street\":{\"S\":\"1 Infinite Loop\"},"
        "\"city\":{\"S\":\"Cupertino\"},\"zip\":{\"N\":\"95014\"}}},"
        "\"history\":{\"L\":[{\"N\":\"1\"},{\"N\":\"2\"},{\"S\":\"three\"}]}},"
        "\"ConsumedCapacity\":{\"TableName\":\"usertable\","
        "\"CapacityUnits\":0.5}}");
}

START_TEST (test_benchmark)
{
    //  ZYN_JSON_BENCH=1000000 tests/check_zyn_json times the reference and
    //  the renderer over a typical 1 KB GetItem response, in the thread's
    //  CPU time (the machine may be shared)
    const char *setting = getenv ("ZYN_JSON_BENCH");
    long rounds = setting ? atol (setting) : 1000;
    zyn_value_t *response = s_typical_response ();
    size_t total = 0;
    for (int pass = 0; pass < 2; pass++) {
        struct timespec start, stop;
        clock_gettime (CLOCK_THREAD_CPUTIME_ID, &start);
        for (long i = 0; i < rounds; i++) {
            char *text = pass ? zyn_json_from_response (response, NULL)
                              : s_ref_render (response);
            total += text [0] == '{';
            free (text);
        }
        clock_gettime (CLOCK_THREAD_CPUTIME_ID, &stop);
        double used = (double) (stop.tv_sec - start.tv_sec) * 1e9
                    + (double) (stop.tv_nsec - start.tv_nsec);
        if (setting) {
            size_t size = 0;
            free (zyn_json_from_response (response, &size));
            printf ("zyn_json: %s: %zu bytes, %ld renders, %.0f ns each\n",
                    pass ? "direct" : "jansson", size, rounds,
                    used / (double) rounds);
        }
    }
    ck_assert_uint_eq (total, (size_t) rounds * 2);
    ck_assert (s_same_as_reference (response));
    zyn_value_destroy (&response);

    //  And parsing a GetItem request, through Jansson and the fast path
    const char *request_text
        = "{\"TableName\":\"usertable\",\"Key\":{\"ycsb_key\":{\"S\":"
          "\"user6284781860667377211\"}},\"ConsistentRead\":false}";
    size_t request_size = strlen (request_text);
    for (int pass = 0; pass < 2; pass++) {
        struct timespec start, stop;
        clock_gettime (CLOCK_THREAD_CPUTIME_ID, &start);
        for (long i = 0; i < rounds; i++) {
            zyn_error_t err = { 0 };
            zyn_value_t *request
                = pass ? zyn_json_to_request (request_text, request_size, &err)
                       : zyn_json_to_request_jansson (request_text,
                                                      request_size, &err);
            ck_assert_ptr_nonnull (request);
            zyn_value_destroy (&request);
        }
        clock_gettime (CLOCK_THREAD_CPUTIME_ID, &stop);
        double used = (double) (stop.tv_sec - start.tv_sec) * 1e9
                    + (double) (stop.tv_nsec - start.tv_nsec);
        if (setting)
            printf ("zyn_json: parse %s: %zu bytes, %ld parses, %.0f ns each\n",
                    pass ? "fast" : "jansson", request_size, rounds,
                    used / (double) rounds);
    }
    s_parses_as_reference (request_text, request_size);
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
    tc = tcase_create ("differential");
    tcase_set_timeout (tc, 120);
    tcase_add_test (tc, test_differential_random);
    tcase_add_test (tc, test_differential_edges);
    tcase_add_test (tc, test_item_reply);
    tcase_add_test (tc, test_differential_responses);
    tcase_add_test (tc, test_parse_differential);
    tcase_add_test (tc, test_benchmark);
    suite_add_tcase (suite, tc);
    return suite;
}

ZYN_TEST_MAIN (zyn_json_suite)

/*  =========================================================================
    check_zyn_gateway - the gateway's units and its HTTP path

    Units: CRC32, UUIDs, target lookup, DynamoDB's validation messages,
    error bodies, SigV4 (AWS's published get-vanilla vector and a request
    signed by botocore); the Streams API's are in check_zyn_streams_api.
    Then the whole HTTP path against a fake broker (a ROUTER answering canned
    replies) over real sockets: headers, CRC, error statuses, local
    operations, malformed input, and that the gateway keeps serving.
    =========================================================================
*/

#include "zyn_prelude.h"
#include "zyn_error.h"
#include "zyn_proto.h"
#include "zyn_optable.h"
#include "zyn_sigv4.h"
#include "zyn_streams_api.h"
#include "zyn_gateway.h"
#include "zyn_testutil.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/wait.h>

START_TEST (test_crc32)
{
    ck_assert_uint_eq (zyn_gateway_crc32 ("123456789", 9), 3421780262U);
    ck_assert_uint_eq (zyn_gateway_crc32 ("", 0), 0);
    ck_assert_uint_eq (zyn_gateway_crc32 ("{}", 2), 2745614147U);
    //  Every length and alignment the folding path and its tail take,
    //  against the CRC computed one bit at a time
    uint8_t *data = (uint8_t *) malloc (4200);
    ck_assert_ptr_nonnull (data);
    uint64_t state = 0x9e3779b97f4a7c15ULL;
    for (size_t i = 0; i < 4200; i++) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        data [i] = (uint8_t) state;
    }
    for (size_t size = 0; size <= 4100; size += size < 300 ? 1 : 97)
        for (size_t offset = 0; offset < 8; offset += 3) {
            uint32_t crc = 0xffffffffU;
            for (size_t i = 0; i < size; i++) {
                crc ^= data [offset + i];
                for (int bit = 0; bit < 8; bit++)
                    crc = (crc >> 1) ^ (0xedb88320U & (0U - (crc & 1)));
            }
            ck_assert_uint_eq (zyn_gateway_crc32 (data + offset, size),
                               crc ^ 0xffffffffU);
        }
    free (data);
}
END_TEST

START_TEST (test_uuid)
{
    char first [40];
    char second [40];
    zyn_gateway_uuid (first);
    zyn_gateway_uuid (second);
    ck_assert_uint_eq (strlen (first), 36);
    ck_assert_int_eq (first [8], '-');
    ck_assert_int_eq (first [13], '-');
    ck_assert_int_eq (first [14], '4');
    ck_assert_int_eq (first [18], '-');
    ck_assert_int_eq (first [23], '-');
    ck_assert_str_ne (first, second);
}
END_TEST

START_TEST (test_targets)
{
    zyn_error_t err = { 0 };
    const zyn_op_t *op = zyn_optable_lookup ("DynamoDB_20120810.PutItem", &err);
    ck_assert_ptr_nonnull (op);
    ck_assert_str_eq (zyn_op_name (op), "PutItem");
    ck_assert_int_eq (zyn_op_api (op), ZYN_API_DYNAMODB);
    ck_assert_int_eq (zyn_op_kind (op), ZYN_OP_FORWARD);
    op = zyn_optable_lookup ("DynamoDBStreams_20120810.GetRecords", &err);
    ck_assert_ptr_nonnull (op);
    ck_assert_int_eq (zyn_op_kind (op), ZYN_OP_STREAMS);
    //  Operations the cluster may add later go to the broker
    op = zyn_optable_lookup ("DynamoDB_20120810.TransactWriteItems", &err);
    ck_assert_ptr_nonnull (op);
    ck_assert_int_eq (zyn_op_kind (op), ZYN_OP_FORWARD);
    op = zyn_optable_lookup ("DynamoDB_20120810.DescribeEndpoints", &err);
    ck_assert_int_eq (zyn_op_kind (op), ZYN_OP_LOCAL);
    ck_assert_int_eq (err.type, ZYN_ERR_NONE);
    //  Streams operations only under the Streams prefix, and exact names
    ck_assert_ptr_null (zyn_optable_lookup ("DynamoDB_20120810.GetRecords", &err));
    ck_assert_int_eq (err.type, ZYN_ERR_UNKNOWN_OPERATION);
    ck_assert_ptr_null (zyn_optable_lookup ("DynamoDB_20120810.putitem", NULL));
    ck_assert_ptr_null (zyn_optable_lookup ("DynamoDB_20120810.", NULL));
    ck_assert_ptr_null (zyn_optable_lookup (NULL, NULL));
}
END_TEST

//  Parse body for operation; expect failure of type with message
static void
s_expect_error (const char *operation, const char *body, zyn_errtype_t type,
                const char *message)
{
    char target [128];
    snprintf (target, sizeof (target), "DynamoDB_20120810.%s", operation);
    const zyn_op_t *op = zyn_optable_lookup (target, NULL);
    ck_assert_ptr_nonnull (op);
    zyn_error_t err = { 0 };
    zyn_value_t *request = zyn_optable_parse_request (op, body, strlen (body),
                                                  &err);
    ck_assert_ptr_null (request);
    ck_assert_str_eq (zyn_error_name (err.type), zyn_error_name (type));
    ck_assert_str_eq (err.message, message);
}

START_TEST (test_validation)
{
    s_expect_error ("DescribeTable", "{}", ZYN_ERR_VALIDATION,
                    "1 validation error detected: Value null at 'tableName' "
                    "failed to satisfy constraint: Member must not be null");
    s_expect_error ("DescribeTable", "{\"TableName\":null}",
                    ZYN_ERR_VALIDATION,
                    "1 validation error detected: Value null at 'tableName' "
                    "failed to satisfy constraint: Member must not be null");
    s_expect_error ("DeleteTable", "{\"TableName\":\"ab\"}",
                    ZYN_ERR_VALIDATION,
                    "1 validation error detected: Value 'ab' at 'tableName' "
                    "failed to satisfy constraint: Member must have length "
                    "greater than or equal to 3");
    s_expect_error ("DescribeTable", "{\"TableName\":\"a!\"}",
                    ZYN_ERR_VALIDATION,
                    "2 validation errors detected: Value 'a!' at 'tableName' "
                    "failed to satisfy constraint: Member must satisfy "
                    "regular expression pattern: [a-zA-Z0-9_.-]+; Value 'a!' "
                    "at 'tableName' failed to satisfy constraint: Member "
                    "must have length greater than or equal to 3");
    //  A long value is shown by its first 100 characters
    char long_body [400];
    char long_expected [600];
    char name [301];
    memset (name, 'a', 300);
    name [300] = 0;
    snprintf (long_body, sizeof (long_body), "{\"TableName\":\"%s\"}", name);
    snprintf (long_expected, sizeof (long_expected),
              "1 validation error detected: Value '%.100s' at 'tableName' "
              "failed to satisfy constraint: Member must have length less "
              "than or equal to 255", name);
    s_expect_error ("DescribeTable", long_body, ZYN_ERR_VALIDATION,
                    long_expected);
    s_expect_error ("ListTables", "{\"Limit\":0}", ZYN_ERR_VALIDATION,
                    "1 validation error detected: Value '0' at 'limit' "
                    "failed to satisfy constraint: Member must have value "
                    "greater than or equal to 1");
    s_expect_error ("ListTables", "{\"Limit\":101}", ZYN_ERR_VALIDATION,
                    "1 validation error detected: Value '101' at 'limit' "
                    "failed to satisfy constraint: Member must have value "
                    "less than or equal to 100");
    s_expect_error ("PutItem",
                    "{\"TableName\":\"tab1\",\"Item\":{},\"ReturnValues\":"
                    "\"SOME\"}", ZYN_ERR_VALIDATION,
                    "1 validation error detected: Value 'SOME' at "
                    "'returnValues' failed to satisfy constraint: Member "
                    "must satisfy enum value set: [NONE, ALL_OLD, "
                    "UPDATED_OLD, ALL_NEW, UPDATED_NEW]");
    s_expect_error ("GetItem", "{\"TableName\":\"tab1\"}", ZYN_ERR_VALIDATION,
                    "1 validation error detected: Value null at 'key' "
                    "failed to satisfy constraint: Member must not be null");
    s_expect_error ("PutItem", "{}", ZYN_ERR_VALIDATION,
                    "2 validation errors detected: Value null at "
                    "'tableName' failed to satisfy constraint: Member must "
                    "not be null; Value null at 'item' failed to satisfy "
                    "constraint: Member must not be null");
    s_expect_error ("TransactWriteItems", "{}", ZYN_ERR_VALIDATION,
                    "1 validation error detected: Value null at "
                    "'transactItems' failed to satisfy constraint: Member "
                    "must not be null");
    s_expect_error ("BatchWriteItem", "{\"RequestItems\":{}}",
                    ZYN_ERR_VALIDATION,
                    "1 validation error detected: Value '{}' at "
                    "'requestItems' failed to satisfy constraint: Member "
                    "must have length greater than or equal to 1");
    //  Wrong JSON types fail in the reader, before validation
    s_expect_error ("DescribeTable", "{\"TableName\":123}",
                    ZYN_ERR_SERIALIZATION,
                    "NUMBER_VALUE cannot be converted to String");
    s_expect_error ("DescribeTable", "{\"TableName\":true}",
                    ZYN_ERR_SERIALIZATION,
                    "TRUE_VALUE cannot be converted to String");
    s_expect_error ("ListTables", "{\"Limit\":\"5\"}", ZYN_ERR_SERIALIZATION,
                    "STRING_VALUE cannot be converted to Integer");
    s_expect_error ("GetItem", "{\"TableName\":\"tab1\",\"Key\":{},"
                    "\"ExpressionAttributeNames\":[]}",
                    ZYN_ERR_SERIALIZATION,
                    "Unrecognized collection type java.util.Map<"
                    "java.lang.String, java.lang.String>");
    s_expect_error ("DescribeTable", "{\"TableName\":{}}",
                    ZYN_ERR_SERIALIZATION,
                    "Start of structure or map found where not expected");
    s_expect_error ("DescribeTable", "{\"TableName\":[]}",
                    ZYN_ERR_SERIALIZATION,
                    "Unrecognized collection type class java.lang.String");
    s_expect_error ("DescribeTable", "{\"TableName\":34.56}",
                    ZYN_ERR_SERIALIZATION,
                    "DECIMAL_VALUE cannot be converted to String");
    s_expect_error ("Scan", "{\"TableName\":\"tab1\",\"ConsistentRead\":"
                    "\"yes\"}", ZYN_ERR_SERIALIZATION,
                    "Unexpected token received from parser");
    s_expect_error ("Scan", "{\"TableName\":\"tab1\",\"ConsistentRead\":"
                    "1}", ZYN_ERR_SERIALIZATION,
                    "NUMBER_VALUE cannot be converted to Boolean");
    s_expect_error ("CreateTable", "{\"TableName\":\"tab1\","
                    "\"KeySchema\":\"x\"}", ZYN_ERR_SERIALIZATION,
                    "Unexpected field type");
    s_expect_error ("CreateTable", "{\"TableName\":\"tab1\","
                    "\"ProvisionedThroughput\":[]}", ZYN_ERR_SERIALIZATION,
                    "Unrecognized collection type class "
                    "com.amazonaws.dynamodb.v20120810.ProvisionedThroughput");

    //  A fraction where an integer is wanted is truncated, as DynamoDB's
    //  reader does
    const zyn_op_t *scan = zyn_optable_lookup ("DynamoDB_20120810.Scan",
                                               NULL);
    zyn_error_t scan_err = { 0 };
    const char *scan_body = "{\"TableName\":\"tab1\",\"Limit\":5.5}";
    zyn_value_t *scan_request = zyn_optable_parse_request (
        scan, scan_body, strlen (scan_body), &scan_err);
    ck_assert_ptr_nonnull (scan_request);
    ck_assert_str_eq (zyn_value_data (zyn_value_map_get (scan_request,
                                                         "Limit")), "5");
    zyn_value_destroy (&scan_request);
    scan_body = "{\"TableName\":\"tab1\",\"Limit\":0.5}";
    scan_request = zyn_optable_parse_request (scan, scan_body,
                                              strlen (scan_body), &scan_err);
    ck_assert_ptr_null (scan_request);
    ck_assert_str_eq (scan_err.message,
                      "1 validation error detected: Value '0' at 'limit' "
                      "failed to satisfy constraint: Member must have value "
                      "greater than or equal to 1");

    //  Good requests pass; an empty body is an empty request
    const zyn_op_t *op = zyn_optable_lookup ("DynamoDB_20120810.ListTables", NULL);
    zyn_error_t err = { 0 };
    zyn_value_t *request = zyn_optable_parse_request (op, "", 0, &err);
    ck_assert_ptr_nonnull (request);
    ck_assert_uint_eq (zyn_value_size (request), 0);
    zyn_value_destroy (&request);
    op = zyn_optable_lookup ("DynamoDB_20120810.PutItem", NULL);
    const char *body = "{\"TableName\":\"t-1.x_\",\"Item\":{\"pk\":{\"S\":"
                       "\"a\"}},\"ReturnValues\":\"ALL_OLD\"}";
    request = zyn_optable_parse_request (op, body, strlen (body), &err);
    ck_assert_ptr_nonnull (request);
    ck_assert_str_eq (zyn_value_map_get_s (request, "TableName"), "t-1.x_");
    zyn_value_destroy (&request);
}
END_TEST

START_TEST (test_malformed)
{
    const zyn_op_t *op = zyn_optable_lookup ("DynamoDB_20120810.ListTables", NULL);
    const char *bodies [] = { "{", "[]", "\"x\"", "{\"a\":}", "nul", "{}}" };
    for (size_t i = 0; i < sizeof (bodies) / sizeof (bodies [0]); i++) {
        zyn_error_t err = { 0 };
        zyn_value_t *request = zyn_optable_parse_request (op, bodies [i],
                                                      strlen (bodies [i]),
                                                      &err);
        ck_assert_ptr_null (request);
        ck_assert_int_eq (err.type, ZYN_ERR_SERIALIZATION);
    }
}
END_TEST

START_TEST (test_error_json)
{
    zyn_error_t err = { 0 };
    zyn_error_set (&err, ZYN_ERR_RESOURCE_NOT_FOUND,
                   "Requested resource not found");
    size_t size = 0;
    char *text = zyn_optable_error_json (&err, NULL, &size);
    ck_assert_str_eq (text,
                      "{\"__type\":\"com.amazonaws.dynamodb.v20120810#"
                      "ResourceNotFoundException\",\"message\":\"Requested "
                      "resource not found\"}");
    ck_assert_uint_eq (size, strlen (text));
    free (text);
    zyn_error_set (&err, ZYN_ERR_UNKNOWN_OPERATION, "%s", "");
    text = zyn_optable_error_json (&err, NULL, NULL);
    ck_assert_str_eq (text, "{\"__type\":\"com.amazon.coral.service#"
                            "UnknownOperationException\"}");
    free (text);
    zyn_error_set (&err, ZYN_ERR_VALIDATION,
                   "1 validation error detected: Value null at 'key' failed "
                   "to satisfy constraint: Member must not be null");
    text = zyn_optable_error_json (&err, NULL, NULL);
    ck_assert_ptr_nonnull (strstr (text, "\"com.amazon.coral.validate#"
                                         "ValidationException\""));
    free (text);
    zyn_error_set (&err, ZYN_ERR_VALIDATION,
                   "One or more parameter values were invalid: \"quoted\"");
    text = zyn_optable_error_json (&err, NULL, NULL);
    ck_assert_str_eq (text, "{\"__type\":\"com.amazonaws.dynamodb.v20120810#"
                            "ValidationException\",\"message\":\"One or more "
                            "parameter values were invalid: \\\"quoted\\\"\"}");
    free (text);
    //  Extra fields ride along: the failed condition's item
    zyn_error_set (&err, ZYN_ERR_CONDITIONAL_CHECK_FAILED,
                   "The conditional request failed");
    zyn_value_t *extra = zyn_value_new_m ();
    zyn_value_map_put_s (extra, "message", "ignored");
    zyn_value_t *item = zyn_value_new_m ();
    zyn_value_map_put_s (item, "pk", "a");
    zyn_value_map_put (extra, "Item", &item);
    text = zyn_optable_error_json (&err, extra, NULL);
    ck_assert_str_eq (text, "{\"__type\":\"com.amazonaws.dynamodb.v20120810#"
                            "ConditionalCheckFailedException\",\"message\":"
                            "\"The conditional request failed\",\"Item\":"
                            "{\"pk\":{\"S\":\"a\"}}}");
    free (text);
    zyn_value_destroy (&extra);
}
END_TEST

START_TEST (test_local)
{
    const zyn_op_t *op = zyn_optable_lookup ("DynamoDB_20120810.DescribeEndpoints",
                                         NULL);
    zyn_value_t *request = zyn_value_new_m ();
    zyn_value_t *response = zyn_optable_local_response (op, request,
                                                    "localhost:8000", NULL);
    const zyn_value_t *endpoint = zyn_value_list_get (
        zyn_value_map_get (response, "Endpoints"), 0);
    ck_assert_str_eq (zyn_value_map_get_s (endpoint, "Address"),
                      "localhost:8000");
    int64_t period = 0;
    ck_assert_int_eq (zyn_value_map_get_int (endpoint, "CachePeriodInMinutes",
                                             &period), 0);
    ck_assert_int_eq (period, 1440);
    zyn_value_destroy (&response);
    op = zyn_optable_lookup ("DynamoDB_20120810.DescribeLimits", NULL);
    response = zyn_optable_local_response (op, request, NULL, NULL);
    int64_t units = 0;
    zyn_value_map_get_int (response, "TableMaxReadCapacityUnits", &units);
    ck_assert_int_eq (units, 40000);
    zyn_value_destroy (&response);
    zyn_value_destroy (&request);
}
END_TEST

START_TEST (test_capacity)
{
    //  A 5000-byte item read eventually consistent: 2 units halved = 1
    const zyn_op_t *op = zyn_optable_lookup ("DynamoDB_20120810.GetItem", NULL);
    zyn_value_t *request = zyn_value_new_m ();
    zyn_value_map_put_s (request, "TableName", "tab1");
    zyn_value_map_put_s (request, "ReturnConsumedCapacity", "TOTAL");
    zyn_value_t *response = zyn_value_new_m ();
    zyn_value_t *item = zyn_value_new_m ();
    char big [5001];
    memset (big, 'x', 5000);
    big [5000] = 0;
    zyn_value_map_put_s (item, "data", big);
    zyn_value_map_put (response, "Item", &item);
    zyn_optable_finish_response (op, request, response, "us-east-1");
    const zyn_value_t *capacity = zyn_value_map_get (response,
                                                     "ConsumedCapacity");
    ck_assert_ptr_nonnull (capacity);
    ck_assert_str_eq (zyn_value_map_get_s (capacity, "TableName"), "tab1");
    ck_assert_str_eq (zyn_value_data (zyn_value_map_get (capacity,
                                                         "CapacityUnits")),
                      "1");
    zyn_value_destroy (&response);
    //  Strongly consistent: 2 units
    zyn_value_map_put_bool (request, "ConsistentRead", true);
    response = zyn_value_new_m ();
    item = zyn_value_new_m ();
    zyn_value_map_put_s (item, "data", big);
    zyn_value_map_put (response, "Item", &item);
    zyn_optable_finish_response (op, request, response, "us-east-1");
    capacity = zyn_value_map_get (response, "ConsumedCapacity");
    ck_assert_str_eq (zyn_value_data (zyn_value_map_get (capacity,
                                                         "CapacityUnits")),
                      "2");
    zyn_value_destroy (&response);
    zyn_value_destroy (&request);
    //  A 1.5 KB put: 2 write units; none without ReturnConsumedCapacity
    op = zyn_optable_lookup ("DynamoDB_20120810.PutItem", NULL);
    request = zyn_value_new_m ();
    zyn_value_map_put_s (request, "TableName", "tab1");
    item = zyn_value_new_m ();
    big [1500] = 0;
    zyn_value_map_put_s (item, "data", big);
    zyn_value_map_put (request, "Item", &item);
    response = zyn_value_new_m ();
    zyn_optable_finish_response (op, request, response, "us-east-1");
    ck_assert_ptr_null (zyn_value_map_get (response, "ConsumedCapacity"));
    zyn_value_map_put_s (request, "ReturnConsumedCapacity", "INDEXES");
    zyn_optable_finish_response (op, request, response, "us-east-1");
    capacity = zyn_value_map_get (response, "ConsumedCapacity");
    ck_assert_str_eq (zyn_value_data (zyn_value_map_get (capacity,
                                                         "CapacityUnits")),
                      "2");
    ck_assert_ptr_nonnull (zyn_value_map_get (capacity, "Table"));
    zyn_value_destroy (&response);
    zyn_value_destroy (&request);
}
END_TEST

//  SigV4 ---------------------------------------------------------------------

typedef struct {
    const char *names [8];
    const char *values [8];
} s_headers_t;

static const char *
s_lookup (void *arg, const char *name)
{
    s_headers_t *headers = (s_headers_t *) arg;
    for (int i = 0; i < 8 && headers->names [i]; i++)
        if (strcasecmp (headers->names [i], name) == 0)
            return headers->values [i];
    return NULL;
}

START_TEST (test_sigv4_vector)
{
    //  AWS's SigV4 test suite, "get-vanilla"
    char hex [65];
    zyn_sigv4_signature ("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                         "20150830T123600Z", "us-east-1", "service",
                         "GET\n/\n\nhost:example.amazonaws.com\n"
                         "x-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
                         "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca4"
                         "95991b7852b855", hex);
    ck_assert_str_eq (hex, "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d"
                           "9b8aae1d763fbf31");
}
END_TEST

#define S_SIGNED_AT 1795464000      //  20261123T200000Z
#define S_BOTOCORE_AUTH                                                     \
    "AWS4-HMAC-SHA256 Credential=AKIDZYNAMO/20261123/us-east-1/dynamodb/"    \
    "aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target," \
    " Signature=ceb4bb1da26ca941ba89a0fe4d79f98fedda9de1f03e2de3d60e28619084" \
    "2dde"

START_TEST (test_sigv4_verify)
{
    //  A DescribeTable request signed by botocore 1.29 (SigV4Auth)
    const char *body = "{\"TableName\":\"t1\"}";
    s_headers_t headers = {
        { "Content-Type", "X-Amz-Target", "X-Amz-Date", "Host",
          "Authorization", NULL },
        { "application/x-amz-json-1.0", "DynamoDB_20120810.DescribeTable",
          "20261123T200000Z", "127.0.0.1:8000", S_BOTOCORE_AUTH, NULL }
    };
    zyn_sigv4_t *keys = zyn_sigv4_new ();
    zyn_sigv4_add (keys, "AKIDZYNAMO", "zynamo-secret-key");
    zyn_error_t err = { 0 };
    ck_assert_int_eq (zyn_sigv4_verify (keys, "POST", "/", "", s_lookup,
                                        &headers, body, strlen (body),
                                        S_SIGNED_AT + 60, &err), 0);
    //  A changed body no longer matches
    ck_assert_int_eq (zyn_sigv4_verify (keys, "POST", "/", "", s_lookup,
                                        &headers, "{}", 2, S_SIGNED_AT,
                                        &err), -1);
    ck_assert_int_eq (err.type, ZYN_ERR_INVALID_SIGNATURE);
    ck_assert_str_eq (err.message,
                      "The request signature we calculated does not match "
                      "the signature you provided. Check your AWS Secret "
                      "Access Key and signing method. Consult the service "
                      "documentation for details.");
    //  Too old
    zyn_error_clear (&err);
    ck_assert_int_eq (zyn_sigv4_verify (keys, "POST", "/", "", s_lookup,
                                        &headers, body, strlen (body),
                                        S_SIGNED_AT + 3600, &err), -1);
    ck_assert_int_eq (err.type, ZYN_ERR_INVALID_SIGNATURE);
    ck_assert_str_eq (err.message,
                      "Signature expired: 20261123T200000Z is now earlier "
                      "than 20261123T204500Z (20261123T210000Z - 15 min.)");
    //  Wrong secret for the key
    zyn_sigv4_add (keys, "AKIDZYNAMO", "another-secret");
    ck_assert_int_eq (zyn_sigv4_verify (keys, "POST", "/", "", s_lookup,
                                        &headers, body, strlen (body),
                                        S_SIGNED_AT, &err), -1);
    ck_assert_int_eq (err.type, ZYN_ERR_INVALID_SIGNATURE);
    zyn_sigv4_destroy (&keys);
    //  Unknown key
    keys = zyn_sigv4_new ();
    zyn_sigv4_add (keys, "OTHER", "x");
    ck_assert_int_eq (zyn_sigv4_verify (keys, "POST", "/", "", s_lookup,
                                        &headers, body, strlen (body),
                                        S_SIGNED_AT, &err), -1);
    ck_assert_int_eq (err.type, ZYN_ERR_UNRECOGNIZED_CLIENT);
    ck_assert_str_eq (err.message,
                      "The security token included in the request is "
                      "invalid.");
    //  No Authorization header
    headers.names [4] = NULL;
    ck_assert_int_eq (zyn_sigv4_verify (keys, "POST", "/", "", s_lookup,
                                        &headers, body, strlen (body),
                                        S_SIGNED_AT, &err), -1);
    ck_assert_int_eq (err.type, ZYN_ERR_MISSING_AUTHENTICATION_TOKEN);
    ck_assert_str_eq (err.message, "Request is missing Authentication Token");
    //  Incomplete
    headers.names [4] = "Authorization";
    headers.values [4] = "AWS4-HMAC-SHA256 Credential=OTHER/20261123/"
                         "us-east-1/dynamodb/aws4_request";
    ck_assert_int_eq (zyn_sigv4_verify (keys, "POST", "/", "", s_lookup,
                                        &headers, body, strlen (body),
                                        S_SIGNED_AT, &err), -1);
    ck_assert_int_eq (err.type, ZYN_ERR_INCOMPLETE_SIGNATURE);
    ck_assert_str_eq (err.message,
                      "Authorization header requires 'Signature' parameter. "
                      "Authorization header requires 'SignedHeaders' "
                      "parameter. Authorization=AWS4-HMAC-SHA256 "
                      "Credential=OTHER/20261123/us-east-1/dynamodb/"
                      "aws4_request");
    zyn_sigv4_destroy (&keys);
}
END_TEST

START_TEST (test_sigv4_load)
{
    char dir [1100];
    zyn_test_dir (dir, sizeof (dir), "gateway-keys");
    char path [4200];
    snprintf (path, sizeof (path), "%s/credentials", dir);
    FILE *file = fopen (path, "w");
    fprintf (file, "# keys\nAKID1 secret1\n\n  AKID2   secret2  \n");
    fclose (file);
    zyn_sigv4_t *keys = zyn_sigv4_new ();
    zyn_error_t err = { 0 };
    ck_assert_int_eq (zyn_sigv4_load (keys, path, &err), 2);
    ck_assert_uint_eq (zyn_sigv4_size (keys), 2);
    file = fopen (path, "w");
    fprintf (file, "AKID1 secret1 extra\n");
    fclose (file);
    ck_assert_int_eq (zyn_sigv4_load (keys, path, &err), -1);
    ck_assert_int_eq (err.type, ZYN_ERR_VALIDATION);
    zyn_sigv4_destroy (&keys);
    zyn_test_dir_remove (dir);
}
END_TEST

//  HTTP against a fake broker -------------------------------------------------

//  Answers DescribeTable with a table, GetItem with ResourceNotFound,
//  everything else with {}
static void
s_fake_broker (zsock_t *pipe, void *args)
{
    //  args: the endpoint to bind, or NULL for an ephemeral port
    zsock_t *router = zsock_new_router (args ? (const char *) args
                                             : "tcp://127.0.0.1:*");
    assert (router);
    zsock_signal (pipe, 0);
    zstr_sendf (pipe, "%s", zsock_endpoint (router));
    zpoller_t *poller = zpoller_new (pipe, router, NULL);
    while (true) {
        zsock_t *which = (zsock_t *) zpoller_wait (poller, -1);
        if (which != router)
            break;
        zmsg_t *msg = zmsg_recv (router);
        zframe_t *identity = zmsg_pop (msg);
        zyn_proto_pop_signature (msg);
        zframe_t *id = zmsg_pop (msg);
        char *operation = zmsg_popstr (msg);
        uint64_t request_id = zyn_proto_request_id (id);
        zmsg_t *reply = NULL;
        if (request_id == 0) {
            //  As the broker: no request id, no answer
            zframe_destroy (&identity);
            zstr_free (&operation);
            zframe_destroy (&id);
            zmsg_destroy (&msg);
            continue;
        }
        if (streq (operation, "DescribeTable")) {
            zyn_value_t *response = zyn_value_new_m ();
            zyn_value_t *table = zyn_value_new_m ();
            zyn_value_map_put_s (table, "TableName", "tab1");
            zyn_value_map_put_s (table, "TableStatus", "ACTIVE");
            zyn_value_map_put (response, "Table", &table);
            size_t size = 0;
            void *body = zyn_value_encode (response, &size);
            reply = zyn_proto_reply_new (request_id, body, size);
            free (body);
            zyn_value_destroy (&response);
        }
        else
        if (streq (operation, "GetItem")) {
            zyn_error_t err = { 0 };
            zyn_error_set (&err, ZYN_ERR_RESOURCE_NOT_FOUND,
                           "Requested resource not found");
            reply = zyn_proto_error_new (request_id, &err, NULL);
        }
        else {
            zyn_value_t *response = zyn_value_new_m ();
            size_t size = 0;
            void *body = zyn_value_encode (response, &size);
            reply = zyn_proto_reply_new (request_id, body, size);
            free (body);
            zyn_value_destroy (&response);
        }
        zmsg_prepend (reply, &identity);
        zmsg_send (&reply, router);
        zstr_free (&operation);
        zframe_destroy (&id);
        zmsg_destroy (&msg);
    }
    zpoller_destroy (&poller);
    zsock_destroy (&router);
}

typedef struct {
    int status;
    char headers [16384];
    char body [16384];
} s_http_reply_t;

//  One HTTP/1.1 request on a new connection, read to EOF
static void
s_http (int port, const char *method, const char *target, const char *body,
        s_http_reply_t *reply)
{
    int fd = zyn_test_connect (port, 15);
    char request [8192];
    int length = snprintf (request, sizeof (request),
                           "%s / HTTP/1.1\r\nHost: localhost:%d\r\n"
                           "Connection: close\r\n"
                           "Content-Type: application/x-amz-json-1.0\r\n"
                           "%s%s%s"
                           "Content-Length: %zu\r\n\r\n%s", method, port,
                           target ? "X-Amz-Target: " : "",
                           target ? target : "", target ? "\r\n" : "",
                           strlen (body), body);
    ck_assert_int_eq (write (fd, request, (size_t) length), length);
    char response [16384];
    size_t used = 0;
    ssize_t got;
    while ((got = read (fd, response + used, sizeof (response) - 1 - used))
           > 0)
        used += (size_t) got;
    close (fd);
    response [used] = 0;
    ck_assert_int_eq (sscanf (response, "HTTP/1.1 %d", &reply->status), 1);
    char *split = strstr (response, "\r\n\r\n");
    ck_assert_ptr_nonnull (split);
    *split = 0;
    snprintf (reply->headers, sizeof (reply->headers), "%s", response);
    snprintf (reply->body, sizeof (reply->body), "%s", split + 4);
}

//  The value of a response header, copied into buf
static const char *
s_reply_header (s_http_reply_t *reply, const char *name, char *buf,
                size_t size)
{
    char *line = reply->headers;
    while (line && *line) {
        char *end = strstr (line, "\r\n");
        size_t length = end ? (size_t) (end - line) : strlen (line);
        size_t name_length = strlen (name);
        if (length > name_length + 1
            && strncasecmp (line, name, name_length) == 0
            && line [name_length] == ':') {
            const char *value = line + name_length + 1;
            while (*value == ' ')
                value++;
            snprintf (buf, size, "%.*s",
                      (int) (length - (size_t) (value - line)), value);
            return buf;
        }
        line = end ? end + 2 : NULL;
    }
    return NULL;
}

//  A gateway on an ephemeral port in front of the fake broker, with
//  threads event loops (0: the default)
typedef struct {
    zactor_t *broker;
    char *endpoint;
    zyn_gateway_t *gateway;
    int port;
} s_fixture_t;

static void
s_fixture_start (s_fixture_t *self, int threads)
{
    self->broker = zactor_new (s_fake_broker, NULL);
    self->endpoint = zstr_recv (self->broker);
    zyn_gateway_config_t config = { 0 };
    config.http = "127.0.0.1:0";
    config.broker = self->endpoint;
    config.threads = threads;
    self->gateway = zyn_gateway_new (&config, NULL);
    ck_assert_ptr_nonnull (self->gateway);
    self->port = zyn_gateway_port (self->gateway);
}

static void
s_fixture_stop (s_fixture_t *self)
{
    zyn_gateway_destroy (&self->gateway);
    zstr_free (&self->endpoint);
    zactor_destroy (&self->broker);
}

START_TEST (test_http)
{
    zactor_t *broker = zactor_new (s_fake_broker, NULL);
    char *endpoint = zstr_recv (broker);
    zyn_gateway_config_t config = { 0 };
    config.http = "127.0.0.1:0";
    config.broker = endpoint;
    config.timeout_ms = 2000;
    zyn_error_t err = { 0 };
    zyn_gateway_t *gateway = zyn_gateway_new (&config, &err);
    ck_assert_ptr_nonnull (gateway);
    int port = zyn_gateway_port (gateway);
    ck_assert_int_gt (port, 0);
    char value [256];

    //  A forwarded operation: 200, DynamoDB's headers, CRC of the body
    s_http_reply_t reply;
    s_http (port, "POST", "DynamoDB_20120810.DescribeTable",
            "{\"TableName\":\"tab1\"}", &reply);
    ck_assert_int_eq (reply.status, 200);
    ck_assert_str_eq (reply.body, "{\"Table\":{\"TableName\":\"tab1\","
                                  "\"TableStatus\":\"ACTIVE\"}}");
    ck_assert_str_eq (s_reply_header (&reply, "Content-Type", value,
                                      sizeof (value)),
                      "application/x-amz-json-1.0");
    char crc [32];
    snprintf (crc, sizeof (crc), "%" PRIu32,
              zyn_gateway_crc32 (reply.body, strlen (reply.body)));
    ck_assert_str_eq (s_reply_header (&reply, "x-amz-crc32", value,
                                      sizeof (value)), crc);
    ck_assert_uint_eq (strlen (s_reply_header (&reply, "x-amzn-RequestId",
                                               value, sizeof (value))), 36);

    //  The broker's error, rendered with its status
    s_http (port, "POST", "DynamoDB_20120810.GetItem",
            "{\"TableName\":\"tab1\",\"Key\":{\"pk\":{\"S\":\"a\"}}}", &reply);
    ck_assert_int_eq (reply.status, 400);
    ck_assert_str_eq (reply.body,
                      "{\"__type\":\"com.amazonaws.dynamodb.v20120810#"
                      "ResourceNotFoundException\",\"message\":\"Requested "
                      "resource not found\"}");
    snprintf (crc, sizeof (crc), "%" PRIu32,
              zyn_gateway_crc32 (reply.body, strlen (reply.body)));
    ck_assert_str_eq (s_reply_header (&reply, "x-amz-crc32", value,
                                      sizeof (value)), crc);

    //  Validation before the broker
    s_http (port, "POST", "DynamoDB_20120810.DescribeTable", "{}", &reply);
    ck_assert_int_eq (reply.status, 400);
    ck_assert_str_eq (reply.body,
                      "{\"__type\":\"com.amazon.coral.validate#"
                      "ValidationException\",\"message\":\"1 validation "
                      "error detected: Value null at 'tableName' failed to "
                      "satisfy constraint: Member must not be null\"}");
    //  Malformed JSON, unknown and missing targets
    s_http (port, "POST", "DynamoDB_20120810.ListTables", "{\"a\":", &reply);
    ck_assert_int_eq (reply.status, 400);
    ck_assert_ptr_nonnull (strstr (reply.body, "com.amazon.coral.service#"
                                               "SerializationException\","
                                               "\"Message\":"));
    s_http (port, "POST", "DynamoDB_20120810.Frobnicate", "{}", &reply);
    ck_assert_int_eq (reply.status, 400);
    ck_assert_str_eq (reply.body, "{\"__type\":\"com.amazon.coral.service#"
                                  "UnknownOperationException\"}");
    s_http (port, "POST", NULL, "{}", &reply);
    ck_assert_int_eq (reply.status, 400);
    ck_assert_ptr_nonnull (strstr (reply.body, "UnknownOperationException"));
    //  Local operations
    s_http (port, "POST", "DynamoDB_20120810.DescribeEndpoints", "{}",
            &reply);
    ck_assert_int_eq (reply.status, 200);
    char expected [256];
    snprintf (expected, sizeof (expected),
              "{\"Endpoints\":[{\"Address\":\"localhost:%d\","
              "\"CachePeriodInMinutes\":1440}]}", port);
    ck_assert_str_eq (reply.body, expected);
    //  Health check and wrong methods
    s_http (port, "GET", NULL, "", &reply);
    ck_assert_int_eq (reply.status, 200);
    ck_assert_str_eq (reply.body, "healthy: dynamodb.us-east-1.amazonaws.com ");
    s_http (port, "PUT", "DynamoDB_20120810.ListTables", "{}", &reply);
    ck_assert_int_eq (reply.status, 404);
    //  Still serving after all that
    s_http (port, "POST", "DynamoDB_20120810.ListTables", "{}", &reply);
    ck_assert_int_eq (reply.status, 200);
    ck_assert_str_eq (reply.body, "{}");

    zyn_gateway_destroy (&gateway);
    ck_assert_ptr_null (gateway);
    zstr_free (&endpoint);
    zactor_destroy (&broker);
}
END_TEST

START_TEST (test_http_limits)
{
    s_fixture_t fixture;
    s_fixture_start (&fixture, 0);
    int port = fixture.port;
    //  A body over 16 MB is refused without reading it into memory
    int fd = zyn_test_connect (port, 15);
    const char *head = "POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: "
                       "DynamoDB_20120810.ListTables\r\nContent-Length: "
                       "16777217\r\n\r\n";
    ck_assert_int_eq (write (fd, head, strlen (head)), (ssize_t) strlen (head));
    //  The body is read and dropped, then answered
    char *chunk = (char *) calloc (1, 1 << 20);
    size_t left = 16777217;
    while (left) {
        size_t step = left < (1 << 20) ? left : (1 << 20);
        ssize_t sent = write (fd, chunk, step);
        ck_assert_int_gt (sent, 0);
        left -= (size_t) sent;
    }
    free (chunk);
    char response [4096];
    ssize_t got = read (fd, response, sizeof (response) - 1);
    ck_assert_int_gt (got, 0);
    response [got] = 0;
    ck_assert_int_eq (strncmp (response, "HTTP/1.1 413", 12), 0);
    ck_assert_ptr_nonnull (strstr (response, "Request size exceeded "
                                             "16777216 bytes"));
    close (fd);
    //  A body far over the limit is refused before it is read
    fd = zyn_test_connect (port, 15);
    head = "POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: "
           "DynamoDB_20120810.ListTables\r\nContent-Length: "
           "1000000000\r\n\r\n{";
    ck_assert_int_eq (write (fd, head, strlen (head)), (ssize_t) strlen (head));
    got = read (fd, response, sizeof (response) - 1);
    ck_assert_int_gt (got, 0);
    response [got] = 0;
    ck_assert_int_eq (strncmp (response, "HTTP/1.1 413", 12), 0);
    close (fd);
    //  A gateway cannot bind a port already in use
    char busy [64];
    snprintf (busy, sizeof (busy), "127.0.0.1:%d", port);
    zyn_gateway_config_t config = { 0 };
    config.http = busy;
    config.broker = fixture.endpoint;
    zyn_error_t err = { 0 };
    ck_assert_ptr_null (zyn_gateway_new (&config, &err));
    ck_assert_int_eq (err.type, ZYN_ERR_VALIDATION);
    config.http = "nonsense";
    ck_assert_ptr_null (zyn_gateway_new (&config, &err));
    s_fixture_stop (&fixture);
}
END_TEST

//  A free port on 127.0.0.1 below the kernel's ephemeral range: while a
//  broker there is down, the gateway's reconnects cannot take its port as
//  their own source port (a TCP self-connect) and block the restart
static int
s_low_port (void)
{
    unsigned seed = (unsigned) getpid () ^ (unsigned) zyn_mono_msecs ();
    for (int attempt = 0; attempt < 200; attempt++) {
        int port = 20000 + (int) (rand_r (&seed) % 12000);
        int fd = socket (AF_INET, SOCK_STREAM, 0);
        ck_assert_int_ge (fd, 0);
        struct sockaddr_in address = zyn_test_loopback (port);
        int rc = bind (fd, (struct sockaddr *) &address, sizeof (address));
        close (fd);
        if (rc == 0)
            return port;
    }
    ck_abort_msg ("no free port");
    return 0;
}

START_TEST (test_broker_restart)
{
    //  The broker goes away and comes back on the same endpoint: calls
    //  meanwhile get ServiceUnavailable, then the gateway serves again
    char low [64];
    snprintf (low, sizeof (low), "tcp://127.0.0.1:%d", s_low_port ());
    zactor_t *broker = zactor_new (s_fake_broker, low);
    char *endpoint = zstr_recv (broker);
    ck_assert_str_eq (endpoint, low);
    zyn_gateway_config_t config = { 0 };
    config.http = "127.0.0.1:0";
    config.broker = endpoint;
    config.timeout_ms = 300;
    zyn_gateway_t *gateway = zyn_gateway_new (&config, NULL);
    ck_assert_ptr_nonnull (gateway);
    int port = zyn_gateway_port (gateway);
    s_http_reply_t reply;
    s_http (port, "POST", "DynamoDB_20120810.ListTables", "{}", &reply);
    ck_assert_int_eq (reply.status, 200);
    zactor_destroy (&broker);
    s_http (port, "POST", "DynamoDB_20120810.ListTables", "{}", &reply);
    ck_assert_int_eq (reply.status, 503);
    broker = zactor_new (s_fake_broker, endpoint);
    char *again = zstr_recv (broker);
    ck_assert_str_eq (again, endpoint);
    //  ZeroMQ reconnects on its own; a few tries cover its back-off
    int status = 0;
    for (int attempt = 0; attempt < 20 && status != 200; attempt++) {
        s_http (port, "POST", "DynamoDB_20120810.ListTables", "{}", &reply);
        status = reply.status;
    }
    ck_assert_int_eq (status, 200);
    zyn_gateway_destroy (&gateway);
    zstr_free (&again);
    zstr_free (&endpoint);
    zactor_destroy (&broker);
}
END_TEST

START_TEST (test_http_timeout)
{
    //  A broker that never answers: ServiceUnavailable after the timeout,
    //  and a clean stop with nothing in flight left behind
    zsock_t *silent = zsock_new_router ("tcp://127.0.0.1:*");
    zyn_gateway_config_t config = { 0 };
    config.http = "127.0.0.1:0";
    config.broker = zsock_endpoint (silent);
    config.timeout_ms = 300;
    zyn_gateway_t *gateway = zyn_gateway_new (&config, NULL);
    ck_assert_ptr_nonnull (gateway);
    s_http_reply_t reply;
    s_http (zyn_gateway_port (gateway), "POST",
            "DynamoDB_20120810.ListTables", "{}", &reply);
    ck_assert_int_eq (reply.status, 503);
    ck_assert_str_eq (reply.body,
                      "{\"__type\":\"com.amazonaws.dynamodb.v20120810#"
                      "ServiceUnavailable\",\"message\":\"The broker did not "
                      "answer in time\"}");
    zyn_gateway_destroy (&gateway);
    zsock_destroy (&silent);
}
END_TEST

//  Open a connection to port and send one keep-alive POST; returns the
//  socket
static int
s_http_send (int port, const char *target, const char *body)
{
    int fd = zyn_test_connect (port, 15);
    char request [1024];
    int length = snprintf (request, sizeof (request),
                           "POST / HTTP/1.1\r\nHost: localhost:%d\r\n"
                           "X-Amz-Target: %s\r\n"
                           "Content-Length: %zu\r\n\r\n%s", port, target,
                           strlen (body), body);
    ck_assert_int_eq (write (fd, request, (size_t) length), length);
    return fd;
}

//  Read one response with a Content-Length body from fd into buf
static void
s_http_read (int fd, char *buf, size_t size)
{
    size_t used = 0;
    while (used < size - 1) {
        ssize_t got = read (fd, buf + used, size - 1 - used);
        ck_assert_int_gt (got, 0);
        used += (size_t) got;
        buf [used] = 0;
        char *split = strstr (buf, "\r\n\r\n");
        const char *length = strcasestr (buf, "Content-Length:");
        if (split && length && length < split
            && used >= (size_t) (split + 4 - buf)
                           + strtoul (length + 15, NULL, 10))
            return;
    }
    ck_abort_msg ("response too large");
}

START_TEST (test_http_loops)
{
    //  Three event loops on one port: many connections at once, each
    //  with several requests in turn, all served
    s_fixture_t fixture;
    s_fixture_start (&fixture, 3);
    int port = fixture.port;
    enum { CONNECTIONS = 24, ROUNDS = 5 };
    int fds [CONNECTIONS];
    for (int i = 0; i < CONNECTIONS; i++)
        fds [i] = s_http_send (port, "DynamoDB_20120810.DescribeTable",
                               "{\"TableName\":\"tab1\"}");
    char response [4096];
    for (int round = 0; round < ROUNDS; round++)
        for (int i = 0; i < CONNECTIONS; i++) {
            s_http_read (fds [i], response, sizeof (response));
            ck_assert_int_eq (strncmp (response, "HTTP/1.1 200", 12), 0);
            ck_assert_ptr_nonnull (strstr (response,
                                           "\r\n\r\n{\"Table\":{\"TableName\":"
                                           "\"tab1\",\"TableStatus\":"
                                           "\"ACTIVE\"}}"));
            if (round + 1 < ROUNDS) {
                const char *next = "POST / HTTP/1.1\r\nHost: x\r\n"
                                   "X-Amz-Target: DynamoDB_20120810."
                                   "DescribeTable\r\nContent-Length: 20"
                                   "\r\n\r\n{\"TableName\":\"tab1\"}";
                ck_assert_int_eq (write (fds [i], next, strlen (next)),
                                  (ssize_t) strlen (next));
            }
        }
    for (int i = 0; i < CONNECTIONS; i++)
        close (fds [i]);
    s_fixture_stop (&fixture);
}
END_TEST

START_TEST (test_http_shutdown)
{
    //  Stopping with a call in flight: its client gets ServiceUnavailable
    //  and no connection is left suspended
    zsock_t *silent = zsock_new_router ("tcp://127.0.0.1:*");
    zyn_gateway_config_t config = { 0 };
    config.http = "127.0.0.1:0";
    config.broker = zsock_endpoint (silent);
    config.threads = 2;
    zyn_gateway_t *gateway = zyn_gateway_new (&config, NULL);
    ck_assert_ptr_nonnull (gateway);
    int fd = s_http_send (zyn_gateway_port (gateway),
                          "DynamoDB_20120810.ListTables", "{}");
    //  The call reached the broker, so the connection is suspended
    zpoller_t *poller = zpoller_new (silent, NULL);
    ck_assert_ptr_eq (zpoller_wait (poller, 5000), silent);
    zmsg_t *msg = zmsg_recv (silent);
    ck_assert_uint_eq (zmsg_size (msg), 5);
    zmsg_destroy (&msg);
    zpoller_destroy (&poller);
    zyn_gateway_destroy (&gateway);
    char response [4096];
    s_http_read (fd, response, sizeof (response));
    ck_assert_int_eq (strncmp (response, "HTTP/1.1 503", 12), 0);
    ck_assert_ptr_nonnull (strstr (response,
                                   "\r\n\r\n{\"__type\":\"com.amazonaws."
                                   "dynamodb.v20120810#ServiceUnavailable\","
                                   "\"message\":\"The gateway is shutting "
                                   "down\"}"));
    close (fd);
    zsock_destroy (&silent);
}
END_TEST

//  Holds every request until it has S_GATHER_BATCH of them, then answers
//  them all at once, last first: DescribeTable echoes the TableName asked
#define S_GATHER_BATCH 16

static void
s_gather_broker (zsock_t *pipe, void *args)
{
    (void) args;
    zsock_t *router = zsock_new_router ("tcp://127.0.0.1:*");
    assert (router);
    zsock_signal (pipe, 0);
    zstr_sendf (pipe, "%s", zsock_endpoint (router));
    zpoller_t *poller = zpoller_new (pipe, router, NULL);
    zmsg_t *held [S_GATHER_BATCH];
    int held_count = 0;
    while (zpoller_wait (poller, -1) == router) {
        zmsg_t *msg = zmsg_recv (router);
        zframe_t *identity = zmsg_pop (msg);
        zyn_proto_pop_signature (msg);
        zframe_t *id = zmsg_pop (msg);
        char *operation = zmsg_popstr (msg);
        zframe_t *body = zmsg_pop (msg);
        uint64_t request_id = zyn_proto_request_id (id);
        if (request_id && streq (operation, "DescribeTable")) {
            zyn_value_t *request = zyn_value_decode (
                zframe_data (body), zframe_size (body), NULL);
            const char *name = request
                ? zyn_value_map_get_s (request, "TableName") : NULL;
            zyn_value_t *response = zyn_value_new_m ();
            zyn_value_t *table = zyn_value_new_m ();
            zyn_value_map_put_s (table, "TableName", name ? name : "?");
            zyn_value_map_put (response, "Table", &table);
            size_t size = 0;
            void *encoded = zyn_value_encode (response, &size);
            zmsg_t *reply = zyn_proto_reply_new (request_id, encoded, size);
            free (encoded);
            zyn_value_destroy (&response);
            zyn_value_destroy (&request);
            zmsg_prepend (reply, &identity);
            held [held_count++] = reply;
        }
        zframe_destroy (&identity);
        zframe_destroy (&body);
        zstr_free (&operation);
        zframe_destroy (&id);
        zmsg_destroy (&msg);
        if (held_count == S_GATHER_BATCH)
            while (held_count)
                zmsg_send (&held [--held_count], router);
    }
    while (held_count)
        zmsg_destroy (&held [--held_count]);
    zpoller_destroy (&poller);
    zsock_destroy (&router);
}

//  Read one response from fd and check it is DescribeTable's for name
static void
s_expect_table (int fd, const char *name)
{
    char response [4096];
    s_http_read (fd, response, sizeof (response));
    ck_assert_msg (strncmp (response, "HTTP/1.1 200", 12) == 0, "%s", response);
    char expected [128];
    snprintf (expected, sizeof (expected),
              "\r\n\r\n{\"Table\":{\"TableName\":\"%s\"}}", name);
    ck_assert_ptr_nonnull (strstr (response, expected));
}

START_TEST (test_http_burst)
{
    //  Replies to many connections arrive in one burst (the broker holds
    //  them), in reverse order: one loop serves them all, each to its own
    //  connection. One connection has a request half read meanwhile.
    zactor_t *broker = zactor_new (s_gather_broker, NULL);
    char *endpoint = zstr_recv (broker);
    zyn_gateway_config_t config = { 0 };
    config.http = "127.0.0.1:0";
    config.broker = endpoint;
    zyn_gateway_t *gateway = zyn_gateway_new (&config, NULL);
    ck_assert_ptr_nonnull (gateway);
    int port = zyn_gateway_port (gateway);
    int partial = s_http_send (port, "DynamoDB_20120810.DescribeTable", "");
    const char *rest_head = "POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: "
                            "DynamoDB_20120810.DescribeTable\r\n"
                            "Content-Length: 20\r\n\r\n{\"TableName\"";
    ck_assert_int_eq (write (partial, rest_head, strlen (rest_head)),
                      (ssize_t) strlen (rest_head));
    for (int round = 0; round < 2; round++) {
        int fds [S_GATHER_BATCH];
        char name [32];
        for (int i = 0; i < S_GATHER_BATCH; i++) {
            char body [64];
            snprintf (body, sizeof (body), "{\"TableName\":\"t%02d-%d\"}", i,
                      round);
            fds [i] = s_http_send (port, "DynamoDB_20120810.DescribeTable",
                                   body);
        }
        for (int i = 0; i < S_GATHER_BATCH; i++) {
            snprintf (name, sizeof (name), "t%02d-%d", i, round);
            s_expect_table (fds [i], name);
            close (fds [i]);
        }
    }
    //  The half-read request is still served when its body completes
    //  (the empty one before it failed validation at once)
    char response [4096];
    s_http_read (partial, response, sizeof (response));
    ck_assert_int_eq (strncmp (response, "HTTP/1.1 400", 12), 0);
    const char *rest_tail = ":\"tprt\"}";
    ck_assert_int_eq (write (partial, rest_tail, strlen (rest_tail)),
                      (ssize_t) strlen (rest_tail));
    int fds [S_GATHER_BATCH - 1];
    for (int i = 0; i < S_GATHER_BATCH - 1; i++)
        fds [i] = s_http_send (port, "DynamoDB_20120810.DescribeTable",
                               "{\"TableName\":\"tfill\"}");
    s_expect_table (partial, "tprt");
    for (int i = 0; i < S_GATHER_BATCH - 1; i++) {
        s_expect_table (fds [i], "tfill");
        close (fds [i]);
    }
    close (partial);
    zyn_gateway_destroy (&gateway);
    zstr_free (&endpoint);
    zactor_destroy (&broker);
}
END_TEST

START_TEST (test_http_pipelined)
{
    //  Requests pipelined on one connection, all in one write: after each
    //  reply the next request is already read, and nothing on the socket
    //  wakes the loop for it
    s_fixture_t fixture;
    s_fixture_start (&fixture, 0);
    int port = fixture.port;
    int fd = s_http_send (port, "DynamoDB_20120810.DescribeTable",
                          "{\"TableName\":\"tab1\"}");
    enum { PIPELINED = 8 };
    char requests [PIPELINED * 160] = "";
    for (int i = 0; i < PIPELINED; i++)
        strcat (requests, "POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: "
                          "DynamoDB_20120810.DescribeTable\r\n"
                          "Content-Length: 20\r\n\r\n"
                          "{\"TableName\":\"tab1\"}");
    ck_assert_int_eq (write (fd, requests, strlen (requests)),
                      (ssize_t) strlen (requests));
    for (int i = 0; i < PIPELINED + 1; i++) {
        //  One response at a time: read exactly its bytes
        char response [1024];
        size_t used = 0;
        while (true) {
            ck_assert_int_eq (read (fd, response + used, 1), 1);
            used++;
            response [used] = 0;
            char *split = strstr (response, "\r\n\r\n");
            const char *length = strcasestr (response, "Content-Length:");
            if (split && length
                && used == (size_t) (split + 4 - response)
                               + strtoul (length + 15, NULL, 10))
                break;
            ck_assert_uint_lt (used, sizeof (response) - 1);
        }
        ck_assert_int_eq (strncmp (response, "HTTP/1.1 200", 12), 0);
        ck_assert_ptr_nonnull (strstr (response, "\"TableName\":\"tab1\""));
    }
    close (fd);
    s_fixture_stop (&fixture);
}
END_TEST

//  Run zynamo-gateway with args; returns its pid
static pid_t
s_spawn (char *const *args)
{
    pid_t pid = fork ();
    ck_assert_int_ge (pid, 0);
    if (pid == 0) {
        int null_fd = open ("/dev/null", O_WRONLY);
        dup2 (null_fd, 1);
        dup2 (null_fd, 2);
        execv (args [0], args);
        _exit (127);
    }
    return pid;
}

static int
s_wait_exit (pid_t pid)
{
    int status = 0;
    ck_assert_int_eq (waitpid (pid, &status, 0), pid);
    ck_assert (WIFEXITED (status));
    return WEXITSTATUS (status);
}

START_TEST (test_program)
{
    const char *builddir = getenv ("ZYN_BUILDDIR");
    char program [1100];
    snprintf (program, sizeof (program), "%s/zynamo-gateway",
              builddir ? builddir : ".");
    char dir [1100];
    zyn_test_dir (dir, sizeof (dir), "gateway-program");
    char port_file [1200];
    snprintf (port_file, sizeof (port_file), "%s/gw.ports", dir);

    char *help [] = { program, "--help", NULL };
    ck_assert_int_eq (s_wait_exit (s_spawn (help)), 0);
    char *bad [] = { program, "--bogus", NULL };
    ck_assert_int_eq (s_wait_exit (s_spawn (bad)), 1);
    char *no_keys [] = { program, "--auth", "--http", "127.0.0.1:0", NULL };
    ck_assert_int_eq (s_wait_exit (s_spawn (no_keys)), 1);

    zactor_t *broker = zactor_new (s_fake_broker, NULL);
    char *endpoint = zstr_recv (broker);
    char *run [] = { program, "--http", "127.0.0.1:0", "--broker", endpoint,
                     "--port-file", port_file, NULL };
    pid_t pid = s_spawn (run);
    //  Wait for the port file (written atomically once bound)
    int port = 0;
    for (int attempt = 0; attempt < 2000 && !port; attempt++) {
        FILE *file = fopen (port_file, "r");
        if (file) {
            if (fscanf (file, "http=127.0.0.1:%d", &port) != 1)
                port = 0;
            fclose (file);
        }
        if (!port)
            zclock_sleep (10);
    }
    ck_assert_int_gt (port, 0);
    s_http_reply_t reply;
    s_http (port, "POST", "DynamoDB_20120810.DescribeTable",
            "{\"TableName\":\"tab1\"}", &reply);
    ck_assert_int_eq (reply.status, 200);
    kill (pid, SIGTERM);
    ck_assert_int_eq (s_wait_exit (pid), 0);
    zstr_free (&endpoint);
    zactor_destroy (&broker);
    zyn_test_dir_remove (dir);
}
END_TEST

static Suite *
zyn_gateway_suite (void)
{
    Suite *suite = suite_create ("zyn_gateway");
    TCase *units = tcase_create ("units");
    tcase_add_test (units, test_crc32);
    tcase_add_test (units, test_uuid);
    tcase_add_test (units, test_targets);
    tcase_add_test (units, test_local);
    tcase_add_test (units, test_capacity);
    suite_add_tcase (suite, units);
    TCase *validation = tcase_create ("validation");
    tcase_add_test (validation, test_validation);
    tcase_add_test (validation, test_malformed);
    tcase_add_test (validation, test_error_json);
    suite_add_tcase (suite, validation);
    TCase *sigv4 = tcase_create ("sigv4");
    tcase_add_test (sigv4, test_sigv4_vector);
    tcase_add_test (sigv4, test_sigv4_verify);
    tcase_add_test (sigv4, test_sigv4_load);
    suite_add_tcase (suite, sigv4);
    TCase *http = tcase_create ("http");
    tcase_set_timeout (http, 60);
    tcase_add_test (http, test_http);
    tcase_add_test (http, test_http_limits);
    tcase_add_test (http, test_http_timeout);
    tcase_add_test (http, test_broker_restart);
    tcase_add_test (http, test_http_loops);
    tcase_add_test (http, test_http_shutdown);
    tcase_add_test (http, test_http_burst);
    tcase_add_test (http, test_http_pipelined);
    tcase_add_test (http, test_program);
    suite_add_tcase (suite, http);
    return suite;
}

ZYN_TEST_MAIN (zyn_gateway_suite)

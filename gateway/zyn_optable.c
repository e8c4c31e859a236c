/*  =========================================================================
    zyn_optable - the gateway's operation table: X-Amz-Target parsing, request
    validation, error bodies and the answers the gateway gives itself

    The constraints below are DynamoDB's API reference ones for top-level
    parameters (types, presence, lengths, patterns, enums, ranges). The
    cluster checks everything that needs a table's schema. Messages follow
    DynamoDB's: type errors are SerializationExceptions ("NUMBER_VALUE
    cannot be converted to String"), constraint failures are gathered into
    one ValidationException ("2 validation errors detected: ...; ...").
    Limits: nested members (KeySchema elements, RequestItems entries) are
    left to the cluster.
    =========================================================================
*/

#include "zyn_prelude.h"
#include "zyn_error.h"
#include "zyn_json.h"
#include "zyn_optable.h"

//  Parameter types as DynamoDB's JSON protocol sees them
typedef enum {
    P_STRING = 1,
    P_INTEGER,
    P_BOOLEAN,
    P_MAP,
    P_LIST
} s_ptype_t;

typedef struct {
    const char *name;                   //  DynamoDB's parameter name
    s_ptype_t type;
    bool required;
    int min_length;                     //  Strings (and maps): 0 = none
    int max_length;                     //  0 = none
    bool name_pattern;                  //  [a-zA-Z0-9_.-]+
    int64_t min_value;                  //  Integers, when has_range
    int64_t max_value;
    bool has_range;
    const char *enums;                  //  "[A, B, C]" or NULL
} s_param_t;

struct zyn_op {
    const char *name;
    zyn_api_t api;
    zyn_op_kind_t kind;
    const s_param_t *params;            //  Terminated by a NULL name
};

#define S_TABLE_NAME(req)                                                   \
    { "TableName", P_STRING, req, 3, 255, true, 0, 0, false, NULL }
#define S_INDEX_NAME                                                        \
    { "IndexName", P_STRING, false, 3, 255, true, 0, 0, false, NULL }
#define S_STRING(name, req)                                                 \
    { name, P_STRING, req, 0, 0, false, 0, 0, false, NULL }
#define S_MAP(name, req)                                                    \
    { name, P_MAP, req, 0, 0, false, 0, 0, false, NULL }
#define S_LIST(name, req)                                                   \
    { name, P_LIST, req, 0, 0, false, 0, 0, false, NULL }
#define S_BOOL(name)                                                        \
    { name, P_BOOLEAN, false, 0, 0, false, 0, 0, false, NULL }
#define S_RANGE(name, lo, hi)                                               \
    { name, P_INTEGER, false, 0, 0, false, lo, hi, true, NULL }
#define S_ENUM(name, values, req)                                           \
    { name, P_STRING, req, 0, 0, false, 0, 0, false, values }
#define S_END { NULL, 0, false, 0, 0, false, 0, 0, false, NULL }

#define S_RETURN_CAPACITY                                                   \
    S_ENUM ("ReturnConsumedCapacity", "[INDEXES, TOTAL, NONE]", false)
#define S_RETURN_METRICS                                                    \
    S_ENUM ("ReturnItemCollectionMetrics", "[SIZE, NONE]", false)
#define S_RETURN_VALUES                                                     \
    S_ENUM ("ReturnValues",                                                 \
            "[NONE, ALL_OLD, UPDATED_OLD, ALL_NEW, UPDATED_NEW]", false)
#define S_RETURN_ON_FAILURE                                                 \
    S_ENUM ("ReturnValuesOnConditionCheckFailure", "[ALL_OLD, NONE]", false)
#define S_CONDITIONAL_OPERATOR                                              \
    S_ENUM ("ConditionalOperator", "[AND, OR]", false)
#define S_SELECT                                                            \
    S_ENUM ("Select",                                                       \
            "[ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES, SPECIFIC_ATTRIBUTES, " \
            "COUNT]", false)
#define S_EXPRESSIONS                                                       \
    S_MAP ("ExpressionAttributeNames", false),                              \
    S_MAP ("ExpressionAttributeValues", false)

static const s_param_t s_create_table [] = {
    S_LIST ("AttributeDefinitions", true),
    S_TABLE_NAME (true),
    S_LIST ("KeySchema", true),
    S_LIST ("LocalSecondaryIndexes", false),
    S_LIST ("GlobalSecondaryIndexes", false),
    S_ENUM ("BillingMode", "[PROVISIONED, PAY_PER_REQUEST]", false),
    S_MAP ("ProvisionedThroughput", false),
    S_MAP ("StreamSpecification", false),
    S_ENUM ("TableClass", "[STANDARD, STANDARD_INFREQUENT_ACCESS]", false),
    S_BOOL ("DeletionProtectionEnabled"),
    S_END
};
static const s_param_t s_table_only [] = {
    S_TABLE_NAME (true),
    S_END
};
static const s_param_t s_update_table [] = {
    S_LIST ("AttributeDefinitions", false),
    S_TABLE_NAME (true),
    S_ENUM ("BillingMode", "[PROVISIONED, PAY_PER_REQUEST]", false),
    S_MAP ("ProvisionedThroughput", false),
    S_LIST ("GlobalSecondaryIndexUpdates", false),
    S_MAP ("StreamSpecification", false),
    S_ENUM ("TableClass", "[STANDARD, STANDARD_INFREQUENT_ACCESS]", false),
    S_END
};
static const s_param_t s_list_tables [] = {
    { "ExclusiveStartTableName", P_STRING, false, 3, 255, true, 0, 0, false,
      NULL },
    S_RANGE ("Limit", 1, 100),
    S_END
};
static const s_param_t s_put_item [] = {
    S_TABLE_NAME (true),
    S_MAP ("Item", true),
    S_MAP ("Expected", false),
    S_RETURN_VALUES,
    S_RETURN_CAPACITY,
    S_RETURN_METRICS,
    S_CONDITIONAL_OPERATOR,
    S_STRING ("ConditionExpression", false),
    S_EXPRESSIONS,
    S_RETURN_ON_FAILURE,
    S_END
};
static const s_param_t s_get_item [] = {
    S_TABLE_NAME (true),
    S_MAP ("Key", true),
    S_LIST ("AttributesToGet", false),
    S_BOOL ("ConsistentRead"),
    S_RETURN_CAPACITY,
    S_STRING ("ProjectionExpression", false),
    S_MAP ("ExpressionAttributeNames", false),
    S_END
};
static const s_param_t s_update_item [] = {
    S_TABLE_NAME (true),
    S_MAP ("Key", true),
    S_MAP ("AttributeUpdates", false),
    S_MAP ("Expected", false),
    S_CONDITIONAL_OPERATOR,
    S_RETURN_VALUES,
    S_RETURN_CAPACITY,
    S_RETURN_METRICS,
    S_STRING ("UpdateExpression", false),
    S_STRING ("ConditionExpression", false),
    S_EXPRESSIONS,
    S_RETURN_ON_FAILURE,
    S_END
};
static const s_param_t s_delete_item [] = {
    S_TABLE_NAME (true),
    S_MAP ("Key", true),
    S_MAP ("Expected", false),
    S_CONDITIONAL_OPERATOR,
    S_RETURN_VALUES,
    S_RETURN_CAPACITY,
    S_RETURN_METRICS,
    S_STRING ("ConditionExpression", false),
    S_EXPRESSIONS,
    S_RETURN_ON_FAILURE,
    S_END
};
static const s_param_t s_query [] = {
    S_TABLE_NAME (true),
    S_INDEX_NAME,
    S_SELECT,
    S_LIST ("AttributesToGet", false),
    S_RANGE ("Limit", 1, INT32_MAX),
    S_BOOL ("ConsistentRead"),
    S_MAP ("KeyConditions", false),
    S_MAP ("QueryFilter", false),
    S_CONDITIONAL_OPERATOR,
    S_BOOL ("ScanIndexForward"),
    S_MAP ("ExclusiveStartKey", false),
    S_RETURN_CAPACITY,
    S_STRING ("ProjectionExpression", false),
    S_STRING ("FilterExpression", false),
    S_STRING ("KeyConditionExpression", false),
    S_EXPRESSIONS,
    S_END
};
static const s_param_t s_scan [] = {
    S_TABLE_NAME (true),
    S_INDEX_NAME,
    S_LIST ("AttributesToGet", false),
    S_RANGE ("Limit", 1, INT32_MAX),
    S_SELECT,
    S_MAP ("ScanFilter", false),
    S_CONDITIONAL_OPERATOR,
    S_MAP ("ExclusiveStartKey", false),
    S_RETURN_CAPACITY,
    S_RANGE ("TotalSegments", 1, 1000000),
    S_RANGE ("Segment", 0, 999999),
    S_STRING ("ProjectionExpression", false),
    S_STRING ("FilterExpression", false),
    S_EXPRESSIONS,
    S_BOOL ("ConsistentRead"),
    S_END
};
static const s_param_t s_batch_get [] = {
    { "RequestItems", P_MAP, true, 1, 100, false, 0, 0, false, NULL },
    S_RETURN_CAPACITY,
    S_END
};
static const s_param_t s_batch_write [] = {
    { "RequestItems", P_MAP, true, 1, 25, false, 0, 0, false, NULL },
    S_RETURN_CAPACITY,
    S_RETURN_METRICS,
    S_END
};
static const s_param_t s_none [] = {
    S_END
};
static const s_param_t s_list_streams [] = {
    { "TableName", P_STRING, false, 3, 255, true, 0, 0, false, NULL },
    S_RANGE ("Limit", 1, 100),
    { "ExclusiveStartStreamArn", P_STRING, false, 37, 1024, false, 0, 0,
      false, NULL },
    S_END
};
static const s_param_t s_describe_stream [] = {
    { "StreamArn", P_STRING, true, 37, 1024, false, 0, 0, false, NULL },
    S_RANGE ("Limit", 1, 100),
    { "ExclusiveStartShardId", P_STRING, false, 28, 65, false, 0, 0, false,
      NULL },
    S_END
};
static const s_param_t s_get_shard_iterator [] = {
    { "StreamArn", P_STRING, true, 37, 1024, false, 0, 0, false, NULL },
    { "ShardId", P_STRING, true, 28, 65, false, 0, 0, false, NULL },
    S_ENUM ("ShardIteratorType",
            "[TRIM_HORIZON, LATEST, AT_SEQUENCE_NUMBER, "
            "AFTER_SEQUENCE_NUMBER]", true),
    { "SequenceNumber", P_STRING, false, 21, 40, false, 0, 0, false, NULL },
    S_END
};
static const s_param_t s_get_records [] = {
    { "ShardIterator", P_STRING, true, 1, 2048, false, 0, 0, false, NULL },
    S_RANGE ("Limit", 1, 1000),
    S_END
};

static const s_param_t s_transact [] = {
    S_LIST ("TransactItems", true),
    S_RETURN_CAPACITY,
    S_END
};
static const s_param_t s_resource_arn [] = {
    { "ResourceArn", P_STRING, true, 1, 1283, false, 0, 0, false, NULL },
    S_END
};

static const zyn_op_t s_ops [] = {
    { "CreateTable", ZYN_API_DYNAMODB, ZYN_OP_FORWARD, s_create_table },
    { "DescribeTable", ZYN_API_DYNAMODB, ZYN_OP_FORWARD, s_table_only },
    { "ListTables", ZYN_API_DYNAMODB, ZYN_OP_FORWARD, s_list_tables },
    { "DeleteTable", ZYN_API_DYNAMODB, ZYN_OP_FORWARD, s_table_only },
    { "UpdateTable", ZYN_API_DYNAMODB, ZYN_OP_FORWARD, s_update_table },
    { "PutItem", ZYN_API_DYNAMODB, ZYN_OP_FORWARD, s_put_item },
    { "GetItem", ZYN_API_DYNAMODB, ZYN_OP_FORWARD, s_get_item },
    { "UpdateItem", ZYN_API_DYNAMODB, ZYN_OP_FORWARD, s_update_item },
    { "DeleteItem", ZYN_API_DYNAMODB, ZYN_OP_FORWARD, s_delete_item },
    { "Query", ZYN_API_DYNAMODB, ZYN_OP_FORWARD, s_query },
    { "Scan", ZYN_API_DYNAMODB, ZYN_OP_FORWARD, s_scan },
    { "BatchGetItem", ZYN_API_DYNAMODB, ZYN_OP_FORWARD, s_batch_get },
    { "BatchWriteItem", ZYN_API_DYNAMODB, ZYN_OP_FORWARD, s_batch_write },
    //  The rest of DynamoDB's API goes to the broker, which answers
    //  UnknownOperationException for what the cluster does not have yet
    { "TransactWriteItems", ZYN_API_DYNAMODB, ZYN_OP_FORWARD, s_transact },
    { "TransactGetItems", ZYN_API_DYNAMODB, ZYN_OP_FORWARD, s_transact },
    { "DescribeTimeToLive", ZYN_API_DYNAMODB, ZYN_OP_FORWARD, s_table_only },
    { "UpdateTimeToLive", ZYN_API_DYNAMODB, ZYN_OP_FORWARD, s_table_only },
    { "DescribeContinuousBackups", ZYN_API_DYNAMODB, ZYN_OP_FORWARD,
      s_table_only },
    { "UpdateContinuousBackups", ZYN_API_DYNAMODB, ZYN_OP_FORWARD,
      s_table_only },
    { "ListTagsOfResource", ZYN_API_DYNAMODB, ZYN_OP_FORWARD,
      s_resource_arn },
    { "TagResource", ZYN_API_DYNAMODB, ZYN_OP_FORWARD, s_resource_arn },
    { "UntagResource", ZYN_API_DYNAMODB, ZYN_OP_FORWARD, s_resource_arn },
    { "BatchExecuteStatement", ZYN_API_DYNAMODB, ZYN_OP_FORWARD, s_none },
    { "ExecuteStatement", ZYN_API_DYNAMODB, ZYN_OP_FORWARD, s_none },
    { "ExecuteTransaction", ZYN_API_DYNAMODB, ZYN_OP_FORWARD, s_none },
    { "CreateBackup", ZYN_API_DYNAMODB, ZYN_OP_FORWARD, s_none },
    { "DeleteBackup", ZYN_API_DYNAMODB, ZYN_OP_FORWARD, s_none },
    { "DescribeBackup", ZYN_API_DYNAMODB, ZYN_OP_FORWARD, s_none },
    { "ListBackups", ZYN_API_DYNAMODB, ZYN_OP_FORWARD, s_none },
    { "RestoreTableFromBackup", ZYN_API_DYNAMODB, ZYN_OP_FORWARD, s_none },
    { "RestoreTableToPointInTime", ZYN_API_DYNAMODB, ZYN_OP_FORWARD,
      s_none },
    { "CreateGlobalTable", ZYN_API_DYNAMODB, ZYN_OP_FORWARD, s_none },
    { "DescribeGlobalTable", ZYN_API_DYNAMODB, ZYN_OP_FORWARD, s_none },
    { "DescribeGlobalTableSettings", ZYN_API_DYNAMODB, ZYN_OP_FORWARD,
      s_none },
    { "ListGlobalTables", ZYN_API_DYNAMODB, ZYN_OP_FORWARD, s_none },
    { "UpdateGlobalTable", ZYN_API_DYNAMODB, ZYN_OP_FORWARD, s_none },
    { "UpdateGlobalTableSettings", ZYN_API_DYNAMODB, ZYN_OP_FORWARD, s_none },
    { "DescribeTableReplicaAutoScaling", ZYN_API_DYNAMODB, ZYN_OP_FORWARD,
      s_none },
    { "UpdateTableReplicaAutoScaling", ZYN_API_DYNAMODB, ZYN_OP_FORWARD,
      s_none },
    { "DescribeContributorInsights", ZYN_API_DYNAMODB, ZYN_OP_FORWARD,
      s_none },
    { "ListContributorInsights", ZYN_API_DYNAMODB, ZYN_OP_FORWARD, s_none },
    { "UpdateContributorInsights", ZYN_API_DYNAMODB, ZYN_OP_FORWARD,
      s_none },
    { "DescribeKinesisStreamingDestination", ZYN_API_DYNAMODB,
      ZYN_OP_FORWARD, s_none },
    { "EnableKinesisStreamingDestination", ZYN_API_DYNAMODB, ZYN_OP_FORWARD,
      s_none },
    { "DisableKinesisStreamingDestination", ZYN_API_DYNAMODB, ZYN_OP_FORWARD,
      s_none },
    { "ExportTableToPointInTime", ZYN_API_DYNAMODB, ZYN_OP_FORWARD, s_none },
    { "DescribeExport", ZYN_API_DYNAMODB, ZYN_OP_FORWARD, s_none },
    { "ListExports", ZYN_API_DYNAMODB, ZYN_OP_FORWARD, s_none },
    { "ImportTable", ZYN_API_DYNAMODB, ZYN_OP_FORWARD, s_none },
    { "DescribeImport", ZYN_API_DYNAMODB, ZYN_OP_FORWARD, s_none },
    { "ListImports", ZYN_API_DYNAMODB, ZYN_OP_FORWARD, s_none },
    { "DescribeEndpoints", ZYN_API_DYNAMODB, ZYN_OP_LOCAL, s_none },
    { "DescribeLimits", ZYN_API_DYNAMODB, ZYN_OP_LOCAL, s_none },
    { "ListStreams", ZYN_API_STREAMS, ZYN_OP_STREAMS, s_list_streams },
    { "DescribeStream", ZYN_API_STREAMS, ZYN_OP_STREAMS, s_describe_stream },
    { "GetShardIterator", ZYN_API_STREAMS, ZYN_OP_STREAMS,
      s_get_shard_iterator },
    { "GetRecords", ZYN_API_STREAMS, ZYN_OP_STREAMS, s_get_records },
    { NULL, 0, 0, NULL }
};

#define S_DYNAMODB_PREFIX "DynamoDB_20120810."
#define S_STREAMS_PREFIX "DynamoDBStreams_20120810."

//  Most constraint failures DynamoDB lists in one message
#define S_VIOLATIONS_MAX 10


//  --------------------------------------------------------------------------
//  The operation named by an X-Amz-Target header value, or NULL with
//  UnknownOperationException.

const zyn_op_t *
zyn_optable_lookup (const char *target, zyn_error_t *err)
{
    if (target) {
        zyn_api_t api = 0;
        const char *name = NULL;
        if (strncmp (target, S_DYNAMODB_PREFIX, strlen (S_DYNAMODB_PREFIX))
            == 0) {
            api = ZYN_API_DYNAMODB;
            name = target + strlen (S_DYNAMODB_PREFIX);
        }
        else
        if (strncmp (target, S_STREAMS_PREFIX, strlen (S_STREAMS_PREFIX))
            == 0) {
            api = ZYN_API_STREAMS;
            name = target + strlen (S_STREAMS_PREFIX);
        }
        if (name)
            for (const zyn_op_t *op = s_ops; op->name; op++)
                if (op->api == api && streq (op->name, name))
                    return op;
    }
    //  DynamoDB answers a bare UnknownOperationException, no message
    zyn_error_set (err, ZYN_ERR_UNKNOWN_OPERATION, "%s", "");
    return NULL;
}

const char *
zyn_op_name (const zyn_op_t *op)
{
    assert (op);
    return op->name;
}

zyn_api_t
zyn_op_api (const zyn_op_t *op)
{
    assert (op);
    return op->api;
}

zyn_op_kind_t
zyn_op_kind (const zyn_op_t *op)
{
    assert (op);
    return op->kind;
}


static void
    s_truncate_integers (const zyn_op_t *op, zyn_value_t *request);

//  --------------------------------------------------------------------------
//  Parse and check a request body.

zyn_value_t *
zyn_optable_parse_request (const zyn_op_t *op, const char *body, size_t size,
                       zyn_error_t *err)
{
    assert (op);
    zyn_value_t *request = NULL;
    if (size == 0)
        //  An empty body is an empty request, as DynamoDB treats it
        request = zyn_value_new_m ();
    else {
        request = zyn_json_to_request (body, size, err);
        if (!request)
            return NULL;
        if (zyn_value_type (request) != ZYN_TYPE_M) {
            zyn_value_destroy (&request);
            zyn_error_set (err, ZYN_ERR_SERIALIZATION,
                           "Start of structure or map expected");
            return NULL;
        }
    }
    s_truncate_integers (op, request);
    if (zyn_optable_validate (op, request, err)) {
        zyn_value_destroy (&request);
        return NULL;
    }
    return request;
}

//  The member name DynamoDB's messages use: the parameter's name with its
//  first letter in lower case ("tableName")
static void
s_member_name (const char *name, char *buf, size_t size)
{
    snprintf (buf, size, "%s", name);
    buf [0] = (char) tolower ((unsigned char) buf [0]);
}

//  The token name DynamoDB's JSON reader gives a scalar
static const char *
s_json_kind (const zyn_value_t *value)
{
    switch (zyn_value_type (value)) {
        case ZYN_TYPE_N:
            return strpbrk (zyn_value_data (value), ".eE") ? "DECIMAL_VALUE"
                                                           : "NUMBER_VALUE";
        case ZYN_TYPE_S:
            return "STRING_VALUE";
        case ZYN_TYPE_BOOL:
            return zyn_value_bool (value) ? "TRUE_VALUE" : "FALSE_VALUE";
        default:
            return NULL;
    }
}

//  Check value's JSON type against the parameter's. Returns 0, or -1 with
//  the SerializationException DynamoDB's JSON reader gives.
static int
s_check_type (const s_param_t *param, const zyn_value_t *value,
              zyn_error_t *err)
{
    zyn_type_t type = zyn_value_type (value);
    static const zyn_type_t expected [] = {
        [P_STRING] = ZYN_TYPE_S,
        [P_INTEGER] = ZYN_TYPE_N,
        [P_BOOLEAN] = ZYN_TYPE_BOOL,
        [P_MAP] = ZYN_TYPE_M,
        [P_LIST] = ZYN_TYPE_L
    };
    static const char *java_class [] = {
        [P_STRING] = "java.lang.String",
        [P_INTEGER] = "java.lang.Integer",
        [P_BOOLEAN] = "java.lang.Boolean",
        [P_MAP] = "java.util.Map",      //  Not used: see below
        [P_LIST] = "java.util.List"
    };
    if (type == expected [param->type])
        return 0;
    if (type == ZYN_TYPE_M)
        return zyn_error_set (err, ZYN_ERR_SERIALIZATION,
                              "Start of structure or map found where not "
                              "expected");
    if (type == ZYN_TYPE_L && param->type == P_MAP) {
        //  Coral names the Java type it wanted
        const char *name = param->name;
        if (streq (name, "ExpressionAttributeNames"))
            return zyn_error_set (err, ZYN_ERR_SERIALIZATION,
                                  "Unrecognized collection type "
                                  "java.util.Map<java.lang.String, "
                                  "java.lang.String>");
        if (streq (name, "Item") || streq (name, "Key")
            || streq (name, "ExclusiveStartKey")
            || streq (name, "ExpressionAttributeValues"))
            return zyn_error_set (err, ZYN_ERR_SERIALIZATION,
                                  "Unrecognized collection type "
                                  "java.util.Map<java.lang.String, "
                                  "com.amazonaws.dynamodb.v20120810."
                                  "AttributeValue>");
        return zyn_error_set (err, ZYN_ERR_SERIALIZATION,
                              "Unrecognized collection type class "
                              "com.amazonaws.dynamodb.v20120810.%s", name);
    }
    if (type == ZYN_TYPE_L)
        return zyn_error_set (err, ZYN_ERR_SERIALIZATION,
                              "Unrecognized collection type class %s",
                              java_class [param->type]);
    const char *kind = s_json_kind (value);
    if (param->type == P_STRING)
        return zyn_error_set (err, ZYN_ERR_SERIALIZATION,
                              "%s cannot be converted to String", kind);
    if (param->type == P_INTEGER)
        return zyn_error_set (err, ZYN_ERR_SERIALIZATION,
                              "%s cannot be converted to Integer", kind);
    if (param->type == P_BOOLEAN)
        return type == ZYN_TYPE_S
             ? zyn_error_set (err, ZYN_ERR_SERIALIZATION,
                              "Unexpected token received from parser")
             : zyn_error_set (err, ZYN_ERR_SERIALIZATION,
                              "%s cannot be converted to Boolean", kind);
    return zyn_error_set (err, ZYN_ERR_SERIALIZATION,
                          "Unexpected field type");
}

//  DynamoDB's reader takes a fraction where an integer is wanted and drops
//  the fraction ("Limit": 5.5 is 5): do the same, so the cluster sees an
//  integer
static void
s_truncate_integers (const zyn_op_t *op, zyn_value_t *request)
{
    for (const s_param_t *param = op->params; param->name; param++) {
        if (param->type != P_INTEGER)
            continue;
        const zyn_value_t *value = zyn_value_map_get (request, param->name);
        int64_t number = 0;
        if (!value || zyn_value_type (value) != ZYN_TYPE_N
            || zyn_value_map_get_int (request, param->name, &number) == 0)
            continue;
        double real = strtod (zyn_value_data (value), NULL);
        if (real > -9.2e18 && real < 9.2e18)
            zyn_value_map_put_int (request, param->name, (int64_t) real);
    }
}

static bool
s_matches_name_pattern (const char *text, size_t size)
{
    for (size_t i = 0; i < size; i++) {
        unsigned char c = (unsigned char) text [i];
        if (!(isalnum (c) || c == '_' || c == '.' || c == '-'))
            return false;
    }
    return size > 0;
}

//  Append one violation to the list being built in buf
static void
s_violation (char *buf, size_t size, int *count, const char *value_text,
             const char *name, const char *constraint)
{
    if (*count >= S_VIOLATIONS_MAX)
        return;
    char member [64];
    s_member_name (name, member, sizeof (member));
    size_t used = strlen (buf);
    snprintf (buf + used, size - used,
              "%sValue %s at '%s' failed to satisfy constraint: %s",
              *count ? "; " : "", value_text, member, constraint);
    (*count)++;
}

//  A string parameter as a violation shows it: quoted, at most 100
//  characters; formatted once, when the first constraint fails
static const char *
s_show_string (char *shown, size_t size, const char *text, size_t length)
{
    if (!shown [0])
        snprintf (shown, size, "'%.*s'", (int) (length > 100 ? 100 : length),
                  text);
    return shown;
}

//  --------------------------------------------------------------------------
//  Check a native request's top-level parameters against op's constraints.

int
zyn_optable_validate (const zyn_op_t *op, const zyn_value_t *request,
                  zyn_error_t *err)
{
    assert (op);
    assert (request);
    //  Type errors first: DynamoDB's reader fails before validation runs
    for (const s_param_t *param = op->params; param->name; param++) {
        const zyn_value_t *value = zyn_value_map_get (request, param->name);
        if (value && zyn_value_type (value) != ZYN_TYPE_NULL
            && s_check_type (param, value, err))
            return -1;
    }
    //  Nothing here is formatted unless a constraint fails: every
    //  request passes through
    char violations [ZYN_ERROR_MESSAGE_MAX];
    violations [0] = 0;
    int count = 0;
    for (const s_param_t *param = op->params; param->name; param++) {
        const zyn_value_t *value = zyn_value_map_get (request, param->name);
        if (!value || zyn_value_type (value) == ZYN_TYPE_NULL) {
            if (param->required)
                s_violation (violations, sizeof (violations), &count, "null",
                             param->name, "Member must not be null");
            continue;
        }
        char shown [160];
        char constraint [192];
        if (param->type == P_STRING) {
            const char *text = zyn_value_data (value);
            size_t length = zyn_value_size (value);
            shown [0] = 0;
            if (param->enums) {
                bool found = false;
                //  The enum list is "[A, B, C]": look for the exact word
                const char *scan = param->enums + 1;
                while (*scan && !found) {
                    size_t word = strcspn (scan, ",]");
                    if (word == length && memcmp (scan, text, length) == 0)
                        found = true;
                    scan += word;
                    while (*scan == ',' || *scan == ' ' || *scan == ']')
                        scan++;
                }
                if (!found) {
                    snprintf (constraint, sizeof (constraint),
                              "Member must satisfy enum value set: %s",
                              param->enums);
                    s_violation (violations, sizeof (violations), &count,
                                 s_show_string (shown, sizeof (shown), text,
                                                length),
                                 param->name, constraint);
                }
            }
            if (param->name_pattern && !s_matches_name_pattern (text, length))
                s_violation (violations, sizeof (violations), &count,
                             s_show_string (shown, sizeof (shown), text,
                                            length),
                             param->name,
                             "Member must satisfy regular expression "
                             "pattern: [a-zA-Z0-9_.-]+");
            if (param->min_length && length < (size_t) param->min_length) {
                snprintf (constraint, sizeof (constraint),
                          "Member must have length greater than or equal "
                          "to %d", param->min_length);
                s_violation (violations, sizeof (violations), &count,
                             s_show_string (shown, sizeof (shown), text,
                                            length),
                             param->name, constraint);
            }
            if (param->max_length && length > (size_t) param->max_length) {
                snprintf (constraint, sizeof (constraint),
                          "Member must have length less than or equal to %d",
                          param->max_length);
                s_violation (violations, sizeof (violations), &count,
                             s_show_string (shown, sizeof (shown), text,
                                            length),
                             param->name, constraint);
            }
        }
        else
        if (param->type == P_INTEGER && param->has_range) {
            int64_t number = 0;
            const char *text = zyn_value_data (value);
            if (zyn_value_map_get_int (request, param->name, &number)) {
                zyn_error_set (err, ZYN_ERR_SERIALIZATION,
                               "NUMBER_VALUE cannot be converted to Integer");
                return -1;
            }
            if (number < param->min_value || number > param->max_value)
                snprintf (shown, sizeof (shown), "'%s'", text ? text : "");
            if (number < param->min_value) {
                snprintf (constraint, sizeof (constraint),
                          "Member must have value greater than or equal "
                          "to %" PRId64, param->min_value);
                s_violation (violations, sizeof (violations), &count, shown,
                             param->name, constraint);
            }
            if (number > param->max_value) {
                snprintf (constraint, sizeof (constraint),
                          "Member must have value less than or equal to %"
                          PRId64, param->max_value);
                s_violation (violations, sizeof (violations), &count, shown,
                             param->name, constraint);
            }
        }
        else
        if (param->type == P_MAP && param->min_length
            && zyn_value_size (value) < (size_t) param->min_length) {
            snprintf (constraint, sizeof (constraint),
                      "Member must have length greater than or equal to %d",
                      param->min_length);
            s_violation (violations, sizeof (violations), &count, "'{}'",
                         param->name, constraint);
        }
    }
    if (count == 0)
        return 0;
    return zyn_error_set (err, ZYN_ERR_VALIDATION,
                          "%d validation error%s detected: %s", count,
                          count == 1 ? "" : "s", violations);
}


//  --------------------------------------------------------------------------
//  The namespace of an error's __type.

const char *
zyn_optable_error_namespace (const zyn_error_t *err)
{
    assert (err);
    switch (err->type) {
        case ZYN_ERR_SERIALIZATION:
        case ZYN_ERR_UNKNOWN_OPERATION:
        case ZYN_ERR_MISSING_AUTHENTICATION_TOKEN:
        case ZYN_ERR_INCOMPLETE_SIGNATURE:
        case ZYN_ERR_INVALID_SIGNATURE:
        case ZYN_ERR_UNRECOGNIZED_CLIENT:
        case ZYN_ERR_ACCESS_DENIED:
            return "com.amazon.coral.service";
        case ZYN_ERR_VALIDATION:
            //  Constraint violations come from DynamoDB's framework layer
            if (strstr (err->message, "validation error")
                && strstr (err->message, " detected: Value "))
                return "com.amazon.coral.validate";
            return "com.amazonaws.dynamodb.v20120810";
        default:
            return "com.amazonaws.dynamodb.v20120810";
    }
}

//  --------------------------------------------------------------------------
//  Render an error body.

char *
zyn_optable_error_json (const zyn_error_t *err, const zyn_value_t *extra,
                    size_t *size)
{
    assert (err);
    char type [128];
    snprintf (type, sizeof (type), "%s#%s", zyn_optable_error_namespace (err),
              zyn_error_name (err->type));
    char *text = NULL;
    if (extra && zyn_value_type (extra) == ZYN_TYPE_M) {
        //  Extra fields hold attribute values (Item, CancellationReasons):
        //  zyn_json renders them by their parameter names
        zyn_value_t *body = zyn_value_new_m ();
        zyn_value_map_put_s (body, "__type", type);
        if (err->message [0])
            zyn_value_map_put_s (body, "message", err->message);
        for (size_t index = 0; index < zyn_value_size (extra); index++) {
            const char *name = zyn_value_map_name (extra, index);
            if (streq (name, "message") || streq (name, "__type"))
                continue;
            zyn_value_t *copy = zyn_value_dup (zyn_value_map_value (extra,
                                                                    index));
            zyn_value_map_put (body, name, &copy);
        }
        text = zyn_json_from_response (body, size);
        zyn_value_destroy (&body);
        if (text)
            return text;
    }
    json_t *object = json_object ();
    json_object_set_new (object, "__type", json_string (type));
    //  Coral's own exceptions spell it "Message", DynamoDB's "message"
    const char *message_key = err->type == ZYN_ERR_SERIALIZATION
                            || err->type == ZYN_ERR_ACCESS_DENIED
                            ? "Message" : "message";
    if (err->message [0]) {
        //  Messages may carry bytes from the request: keep the JSON valid
        json_t *message = json_stringn (err->message, strlen (err->message));
        if (!message)
            message = json_string ("Invalid UTF-8 in error message");
        json_object_set_new (object, message_key, message);
    }
    text = json_dumps (object, JSON_COMPACT);
    json_decref (object);
    assert (text);
    if (size)
        *size = strlen (text);
    return text;
}


//  --------------------------------------------------------------------------
//  Answer an operation of kind ZYN_OP_LOCAL.

zyn_value_t *
zyn_optable_local_response (const zyn_op_t *op, const zyn_value_t *request,
                        const char *address, zyn_error_t *err)
{
    assert (op);
    (void) request;
    zyn_value_t *response = zyn_value_new_m ();
    if (streq (op->name, "DescribeEndpoints")) {
        //  As DynamoDB Local answers: this endpoint, cached for a day
        zyn_value_t *endpoint = zyn_value_new_m ();
        zyn_value_map_put_s (endpoint, "Address",
                             address ? address : "localhost:8000");
        zyn_value_map_put_int (endpoint, "CachePeriodInMinutes", 1440);
        zyn_value_t *endpoints = zyn_value_new_l ();
        zyn_value_list_append (endpoints, &endpoint);
        zyn_value_map_put (response, "Endpoints", &endpoints);
    }
    else
    if (streq (op->name, "DescribeLimits")) {
        //  DynamoDB's default quotas
        zyn_value_map_put_int (response, "AccountMaxReadCapacityUnits",
                               80000);
        zyn_value_map_put_int (response, "AccountMaxWriteCapacityUnits",
                               80000);
        zyn_value_map_put_int (response, "TableMaxReadCapacityUnits", 40000);
        zyn_value_map_put_int (response, "TableMaxWriteCapacityUnits",
                               40000);
    }
    else {
        zyn_value_destroy (&response);
        zyn_error_set (err, ZYN_ERR_INTERNAL, "operation %s is not local",
                       op->name);
    }
    return response;
}


//  --------------------------------------------------------------------------
//  Consumed capacity, as DynamoDB documents it

//  Read units for size bytes read at once: 4 KB units, rounded up, at
//  least one; halved for eventually consistent reads
static double
s_read_units (size_t size, bool consistent)
{
    size_t units = (size + 4095) / 4096;
    if (units == 0)
        units = 1;
    return consistent ? (double) units : (double) units / 2;
}

//  Write units for an item of size bytes: 1 KB units, at least one
static double
s_write_units (size_t size)
{
    size_t units = (size + 1023) / 1024;
    return units ? (double) units : 1;
}

static zyn_value_t *
s_capacity_new (const char *table, double units, bool is_read, bool indexes)
{
    char text [64];
    snprintf (text, sizeof (text), "%.1f", units);
    zyn_value_t *capacity = zyn_value_new_m ();
    zyn_value_map_put_s (capacity, "TableName", table ? table : "");
    zyn_value_map_put_n (capacity, "CapacityUnits", text);
    zyn_value_map_put_n (capacity,
                         is_read ? "ReadCapacityUnits" : "WriteCapacityUnits",
                         text);
    if (indexes) {
        zyn_value_t *on_table = zyn_value_new_m ();
        zyn_value_map_put_n (on_table, "CapacityUnits", text);
        zyn_value_map_put_n (on_table,
                             is_read ? "ReadCapacityUnits"
                                     : "WriteCapacityUnits",
                             text);
        zyn_value_map_put (capacity, "Table", &on_table);
    }
    return capacity;
}

static bool
s_bool_param (const zyn_value_t *map, const char *name)
{
    const zyn_value_t *value = map ? zyn_value_map_get (map, name) : NULL;
    return value && zyn_value_type (value) == ZYN_TYPE_BOOL
        && zyn_value_bool (value);
}

static size_t
s_items_size (const zyn_value_t *items)
{
    size_t size = 0;
    if (items && zyn_value_type (items) == ZYN_TYPE_L)
        for (size_t index = 0; index < zyn_value_size (items); index++) {
            const zyn_value_t *item = zyn_value_list_get (items, index);
            if (zyn_value_type (item) == ZYN_TYPE_M)
                size += zyn_item_size (item);
        }
    return size;
}

//  BatchGetItem and BatchWriteItem: one ConsumedCapacity per table
static zyn_value_t *
s_batch_capacity (const zyn_op_t *op, const zyn_value_t *request,
                  const zyn_value_t *response, bool indexes)
{
    zyn_value_t *list = zyn_value_new_l ();
    const zyn_value_t *request_items
        = zyn_value_map_get (request, "RequestItems");
    if (!request_items || zyn_value_type (request_items) != ZYN_TYPE_M)
        return list;
    bool is_read = streq (op->name, "BatchGetItem");
    const zyn_value_t *responses = zyn_value_map_get (response, "Responses");
    for (size_t index = 0; index < zyn_value_size (request_items); index++) {
        const char *table = zyn_value_map_name (request_items, index);
        const zyn_value_t *entry = zyn_value_map_value (request_items, index);
        double units = 0;
        if (is_read) {
            bool consistent = s_bool_param (entry, "ConsistentRead");
            const zyn_value_t *items
                = responses && zyn_value_type (responses) == ZYN_TYPE_M
                ? zyn_value_map_get (responses, table) : NULL;
            if (items && zyn_value_type (items) == ZYN_TYPE_L)
                for (size_t i = 0; i < zyn_value_size (items); i++) {
                    const zyn_value_t *item = zyn_value_list_get (items, i);
                    if (zyn_value_type (item) == ZYN_TYPE_M)
                        units += s_read_units (zyn_item_size (item),
                                               consistent);
                }
        }
        else
        if (zyn_value_type (entry) == ZYN_TYPE_L)
            for (size_t i = 0; i < zyn_value_size (entry); i++) {
                const zyn_value_t *write = zyn_value_list_get (entry, i);
                const zyn_value_t *put
                    = zyn_value_type (write) == ZYN_TYPE_M
                    ? zyn_value_map_get (write, "PutRequest") : NULL;
                const zyn_value_t *item
                    = put && zyn_value_type (put) == ZYN_TYPE_M
                    ? zyn_value_map_get (put, "Item") : NULL;
                units += item && zyn_value_type (item) == ZYN_TYPE_M
                       ? s_write_units (zyn_item_size (item)) : 1;
            }
        zyn_value_t *capacity = s_capacity_new (table, units, is_read,
                                                indexes);
        zyn_value_list_append (list, &capacity);
    }
    return list;
}

static void
s_add_capacity (const zyn_op_t *op, const zyn_value_t *request,
                zyn_value_t *response)
{
    const char *mode = zyn_value_map_get_s (request, "ReturnConsumedCapacity");
    if (!mode || !(streq (mode, "TOTAL") || streq (mode, "INDEXES")))
        return;
    if (zyn_value_map_get (response, "ConsumedCapacity"))
        return;                 //  The cluster measured it
    bool indexes = streq (mode, "INDEXES");
    const char *table = zyn_value_map_get_s (request, "TableName");
    bool consistent = s_bool_param (request, "ConsistentRead");
    zyn_value_t *capacity = NULL;
    if (streq (op->name, "GetItem")) {
        const zyn_value_t *item = zyn_value_map_get (response, "Item");
        size_t size = item && zyn_value_type (item) == ZYN_TYPE_M
                    ? zyn_item_size (item) : 0;
        capacity = s_capacity_new (table, s_read_units (size, consistent),
                                   true, indexes);
    }
    else
    if (streq (op->name, "Query") || streq (op->name, "Scan")) {
        size_t size = s_items_size (zyn_value_map_get (response, "Items"));
        capacity = s_capacity_new (table, s_read_units (size, consistent),
                                   true, indexes);
    }
    else
    if (streq (op->name, "PutItem")) {
        const zyn_value_t *item = zyn_value_map_get (request, "Item");
        size_t size = item && zyn_value_type (item) == ZYN_TYPE_M
                    ? zyn_item_size (item) : 0;
        const zyn_value_t *old = zyn_value_map_get (response, "Attributes");
        if (old && zyn_value_type (old) == ZYN_TYPE_M
            && zyn_item_size (old) > size)
            size = zyn_item_size (old);
        capacity = s_capacity_new (table, s_write_units (size), false,
                                   indexes);
    }
    else
    if (streq (op->name, "UpdateItem") || streq (op->name, "DeleteItem")) {
        const zyn_value_t *attributes
            = zyn_value_map_get (response, "Attributes");
        size_t size = attributes && zyn_value_type (attributes) == ZYN_TYPE_M
                    ? zyn_item_size (attributes) : 0;
        capacity = s_capacity_new (table, s_write_units (size), false,
                                   indexes);
    }
    else
    if (streq (op->name, "BatchGetItem") || streq (op->name, "BatchWriteItem"))
        capacity = s_batch_capacity (op, request, response, indexes);
    if (capacity)
        zyn_value_map_put (response, "ConsumedCapacity", &capacity);
}


//  --------------------------------------------------------------------------
//  The ISO 8601 stream label of a table created at creation_time.

//  End of the creation times a label shows: year 10000, so that the date
//  has four digits; a time from then on, before 1970, or not a number is
//  taken as 0 (a time the broker would not send)
#define S_LABEL_TIME_END 253402300800.0

void
zyn_optable_stream_label (double creation_time, char *buf, size_t size)
{
    if (!(creation_time >= 0 && creation_time < S_LABEL_TIME_END))
        creation_time = 0;
    time_t seconds = (time_t) creation_time;
    int msecs = (int) ((creation_time - (double) seconds) * 1000);
    if (msecs < 0 || msecs > 999)
        msecs = 0;
    struct tm tm;
    gmtime_r (&seconds, &tm);
    char date [32];
    strftime (date, sizeof (date), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf (buf, size, "%s.%03d", date, msecs);
}

//  --------------------------------------------------------------------------
//  The stream ARN and label of a table description with a stream.

bool
zyn_optable_stream_arn (const zyn_value_t *table, const char *region, char *arn,
                    size_t arn_size, char *label, size_t label_size)
{
    if (!table || zyn_value_type (table) != ZYN_TYPE_M)
        return false;
    const zyn_value_t *spec = zyn_value_map_get (table, "StreamSpecification");
    if (!spec || zyn_value_type (spec) != ZYN_TYPE_M
        || !s_bool_param (spec, "StreamEnabled"))
        return false;
    const char *name = zyn_value_map_get_s (table, "TableName");
    if (!name)
        return false;
    const char *given_arn = zyn_value_map_get_s (table, "LatestStreamArn");
    const char *given_label = zyn_value_map_get_s (table, "LatestStreamLabel");
    if (given_arn && given_label) {
        snprintf (arn, arn_size, "%s", given_arn);
        snprintf (label, label_size, "%s", given_label);
        return true;
    }
    double created = 0;
    const zyn_value_t *when = zyn_value_map_get (table, "CreationDateTime");
    if (when && zyn_value_type (when) == ZYN_TYPE_N)
        created = strtod (zyn_value_data (when), NULL);
    zyn_optable_stream_label (created, label, label_size);
    snprintf (arn, arn_size,
              "arn:aws:dynamodb:%s:000000000000:table/%s/stream/%s",
              region ? region : "us-east-1", name, label);
    return true;
}

//  Add LatestStreamLabel and LatestStreamArn to a table description whose
//  stream is enabled, when the broker did not
static void
s_add_stream_arn (zyn_value_t *table, const char *region)
{
    char arn [512];
    char label [64];
    if (table && zyn_value_type (table) == ZYN_TYPE_M
        && !zyn_value_map_get (table, "LatestStreamArn")
        && zyn_optable_stream_arn (table, region, arn, sizeof (arn), label,
                               sizeof (label))) {
        zyn_value_map_put_s (table, "LatestStreamLabel", label);
        zyn_value_map_put_s (table, "LatestStreamArn", arn);
    }
}

//  --------------------------------------------------------------------------
//  Complete a broker's response the way DynamoDB shapes it.

void
zyn_optable_finish_response (const zyn_op_t *op, const zyn_value_t *request,
                         zyn_value_t *response, const char *region)
{
    assert (op);
    if (!request || !response || zyn_value_type (response) != ZYN_TYPE_M)
        return;
    s_add_capacity (op, request, response);
    s_add_stream_arn (zyn_value_map_get (response, "Table"),
                      region ? region : "us-east-1");
    s_add_stream_arn (zyn_value_map_get (response, "TableDescription"),
                      region ? region : "us-east-1");
}

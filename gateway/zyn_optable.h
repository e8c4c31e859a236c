/*  =========================================================================
    zyn_optable - the gateway's operation table: X-Amz-Target parsing, request
    validation, error bodies and the answers the gateway gives itself

    One static table lists every DynamoDB and DynamoDB Streams operation
    the gateway serves, how it is served (forwarded to the broker, answered
    locally, or by zyn_streams_api) and the top-level parameter constraints
    DynamoDB checks before it looks at a table ("1 validation error
    detected: ..."). Deep checks (key schemas, attribute values,
    expressions) are the cluster's. Also renders error bodies and adds the
    response fields the broker leaves to the gateway (ConsumedCapacity,
    LatestStreamArn). Used by zyn_gateway and by the fuzz target.
    =========================================================================
*/

#ifndef ZYN_OPTABLE_H_INCLUDED
#define ZYN_OPTABLE_H_INCLUDED

#include "zynamo.h"

//  Which API an operation belongs to (the X-Amz-Target prefix)
typedef enum {
    ZYN_API_DYNAMODB = 1,       //  DynamoDB_20120810.<Operation>
    ZYN_API_STREAMS             //  DynamoDBStreams_20120810.<Operation>
} zyn_api_t;

//  How the gateway serves an operation
typedef enum {
    ZYN_OP_FORWARD = 1,         //  Sent to the broker, reply rendered
    ZYN_OP_LOCAL,               //  Answered by the gateway itself
    ZYN_OP_STREAMS              //  DynamoDB Streams, see zyn_streams_api
} zyn_op_kind_t;

typedef struct zyn_op zyn_op_t;

//  Largest request body the gateway accepts, as DynamoDB's
#define ZYN_OPTABLE_BODY_MAX (16 * 1024 * 1024)

//  The operation named by an X-Amz-Target header value. Returns a static
//  entry, or NULL with UnknownOperationException in err (for a missing
//  target as well, target NULL).
const zyn_op_t *
    zyn_optable_lookup (const char *target, zyn_error_t *err);

//  The operation's name ("PutItem"). Static.
const char *
    zyn_op_name (const zyn_op_t *op);

//  The operation's API and kind.
zyn_api_t
    zyn_op_api (const zyn_op_t *op);
zyn_op_kind_t
    zyn_op_kind (const zyn_op_t *op);

//  Parse a request body (size bytes of JSON) and check it as DynamoDB
//  does before it reaches a table. Returns the native request (caller owns
//  it), or NULL with SerializationException (not JSON, wrong parameter
//  types) or ValidationException (DynamoDB's "N validation error(s)
//  detected: ..." message) in err.
zyn_value_t *
    zyn_optable_parse_request (const zyn_op_t *op, const char *body, size_t size,
                           zyn_error_t *err);

//  Check a native request's top-level parameters against op's
//  constraints. Returns 0, or -1 with err as zyn_optable_parse_request.
int
    zyn_optable_validate (const zyn_op_t *op, const zyn_value_t *request,
                      zyn_error_t *err);

//  The namespace DynamoDB gives an error's __type: "com.amazon.coral.
//  service" for protocol and authentication errors, "com.amazon.coral.
//  validate" for constraint violations, else "com.amazonaws.dynamodb.
//  v20120810". Static.
const char *
    zyn_optable_error_namespace (const zyn_error_t *err);

//  Render an error body: {"__type": "<namespace>#<Name>", "message":
//  "..."} (no message when err's is empty), plus extra's entries (a
//  native map: "Item", "CancellationReasons") when extra is not NULL.
//  Caller owns the string and must free () it; its length goes in *size.
char *
    zyn_optable_error_json (const zyn_error_t *err, const zyn_value_t *extra,
                        size_t *size);

//  Answer an operation of kind ZYN_OP_LOCAL: DescribeEndpoints (address
//  is the "host:port" clients reach the gateway on) and DescribeLimits.
//  Returns the native response (caller owns it), or NULL with err.
zyn_value_t *
    zyn_optable_local_response (const zyn_op_t *op, const zyn_value_t *request,
                            const char *address, zyn_error_t *err);

//  Complete a broker's response to request the way DynamoDB shapes it:
//  ConsumedCapacity when ReturnConsumedCapacity is TOTAL or INDEXES and
//  the broker gave none (4 KB read units, halved for eventually
//  consistent reads; 1 KB write units), and LatestStreamArn /
//  LatestStreamLabel for tables with a stream. region names the ARN's
//  region.
void
    zyn_optable_finish_response (const zyn_op_t *op, const zyn_value_t *request,
                             zyn_value_t *response, const char *region);

//  The ISO 8601 stream label DynamoDB derives from a table's creation
//  time, given in seconds since the epoch ("2026-11-23T20:37:21.123"),
//  into buf (at least 32 bytes). A time before 1970, after 9999 or not a
//  number gives the label of time 0.
void
    zyn_optable_stream_label (double creation_time, char *buf, size_t size);

//  If table (a native TableDescription) has its stream enabled, write its
//  stream ARN and label into arn and label and return true: the broker's
//  LatestStreamArn / LatestStreamLabel when it renders them, else
//  "arn:aws:dynamodb:<region>:000000000000:table/<T>/stream/<label>" with
//  the label from the table's CreationDateTime. False if not enabled.
bool
    zyn_optable_stream_arn (const zyn_value_t *table, const char *region,
                        char *arn, size_t arn_size, char *label,
                        size_t label_size);

#endif

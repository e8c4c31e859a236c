/*  =========================================================================
    zyn_expr - DynamoDB's expression language: one parser and one
    evaluator for condition, filter, key condition, projection and update
    expressions, and the legacy parameters translated into them

    A request's expressions are parsed together (zyn_expr_new) because
    DynamoDB checks ExpressionAttributeNames and ExpressionAttributeValues
    across all of them: an unused or missing placeholder is an error of the
    whole request. The result is then evaluated against items.
    =========================================================================
*/

#ifndef ZYN_EXPR_H_INCLUDED
#define ZYN_EXPR_H_INCLUDED

#include "zynamo.h"

typedef struct zyn_expr zyn_expr_t;

//  The sort key operator of a key condition
typedef enum {
    ZYN_SK_NONE = 0,            //  Partition key only
    ZYN_SK_EQ,
    ZYN_SK_LT,
    ZYN_SK_LE,
    ZYN_SK_GT,
    ZYN_SK_GE,
    ZYN_SK_BETWEEN,             //  sk1 <= sk <= sk2
    ZYN_SK_BEGINS_WITH          //  S or B prefix sk1
} zyn_sk_op_t;

//  A resolved key condition. Values are borrowed from the zyn_expr_t.
typedef struct {
    const zyn_value_t *pk;      //  Partition key value (equality)
    zyn_sk_op_t sk_op;
    const zyn_value_t *sk1;     //  Operand, or lower bound of BETWEEN
    const zyn_value_t *sk2;     //  Upper bound of BETWEEN, else NULL
} zyn_key_condition_t;

//  Parse and check every expression in request, the body of operation
//  (a DynamoDB operation name): ConditionExpression, FilterExpression,
//  KeyConditionExpression, ProjectionExpression, UpdateExpression with
//  ExpressionAttributeNames and ExpressionAttributeValues, and the legacy
//  parameters (Expected, ConditionalOperator, AttributesToGet,
//  KeyConditions, QueryFilter, ScanFilter, AttributeUpdates). Returns the
//  parsed set (caller owns it, even when it holds no expression), or NULL
//  with DynamoDB's ValidationException message in err. request is
//  borrowed and must outlive the result.
zyn_expr_t *
    zyn_expr_new (const char *operation, const zyn_value_t *request,
                  zyn_error_t *err);

//  Destroy. Sets *self_p to NULL.
void
    zyn_expr_destroy (zyn_expr_t **self_p);

//  True if the request has a condition (ConditionExpression or Expected).
bool
    zyn_expr_has_condition (zyn_expr_t *self);

//  True if the request has a filter (FilterExpression, QueryFilter or
//  ScanFilter).
bool
    zyn_expr_has_filter (zyn_expr_t *self);

//  True if the request has a projection (ProjectionExpression or
//  AttributesToGet).
bool
    zyn_expr_has_projection (zyn_expr_t *self);

//  True if the request has an update (UpdateExpression or
//  AttributeUpdates).
bool
    zyn_expr_has_update (zyn_expr_t *self);

//  Evaluate the condition against item (NULL if there is no item). Sets
//  *result. Returns 0, or -1 with err for evaluation errors DynamoDB
//  reports (for example a size () of an unsupported type is simply false,
//  but an invalid operand type in a comparison is not). No condition:
//  *result = true.
int
    zyn_expr_check_condition (zyn_expr_t *self, const zyn_value_t *item,
                              bool *result, zyn_error_t *err);

//  Evaluate the filter against item; as zyn_expr_check_condition.
int
    zyn_expr_check_filter (zyn_expr_t *self, const zyn_value_t *item,
                           bool *result, zyn_error_t *err);

//  Return a new item holding only the projected paths of item, nested as
//  DynamoDB nests them (caller owns it). Without a projection, a copy.
zyn_value_t *
    zyn_expr_project (zyn_expr_t *self, const zyn_value_t *item);

//  The top-level attribute names the projection reads, for callers that
//  must fetch them (index queries). Borrowed, NULL-terminated array.
const char **
    zyn_expr_projected_names (zyn_expr_t *self);

//  Apply the update to a copy of item (NULL if there is no item: the key
//  is then the starting item) and return the new item (caller owns it),
//  or NULL with err: ValidationException for type errors found only now
//  (adding to a string, list index on a map, overflow, ...). Refuses to
//  change key attributes (key_names, a NULL-terminated list of the
//  table's key attribute names). updated_names, if not NULL, receives the
//  top-level names the update touched (for ReturnValues UPDATED_*):
//  a list the caller must destroy.
zyn_value_t *
    zyn_expr_update (zyn_expr_t *self, const zyn_value_t *item,
                     const zyn_value_t *key, const char **key_names,
                     zyn_value_t **updated_names, zyn_error_t *err);

//  Resolve the key condition for a table whose partition key is pk_name
//  and sort key sk_name (NULL if none). Returns 0 and fills cond, or -1
//  with DynamoDB's message ("Query condition missed key schema element:
//  pk", an operator not allowed on a key, ...).
int
    zyn_expr_key_condition (zyn_expr_t *self, const char *pk_name,
                            const char *sk_name, zyn_key_condition_t *cond,
                            zyn_error_t *err);

//  Check, before reading the item, that the update touches no key
//  attribute (key_names, NULL-terminated), as DynamoDB validates it ahead
//  of any condition: "One or more parameter values were invalid: Cannot
//  update attribute pk. This attribute is part of the key". Returns 0 or
//  -1 with err. zyn_expr_update makes the same check.
int
    zyn_expr_check_update_keys (zyn_expr_t *self, const char **key_names,
                                zyn_error_t *err);

//  For ReturnValues UPDATED_OLD and UPDATED_NEW: a new map holding only
//  the paths the update touched, taken from item (the item before the
//  update for UPDATED_OLD, after it for UPDATED_NEW) and nested as
//  DynamoDB returns them (SET a.b returns {"a": {"b": ...}}). NULL if
//  there is no update or none of its paths is in item. Caller owns it.
zyn_value_t *
    zyn_expr_project_updated (zyn_expr_t *self, const zyn_value_t *item);

//  True if applying the update to an item that does not exist creates
//  it. DynamoDB creates no item for an update that only removes (REMOVE
//  and DELETE actions); any SET or ADD, or no action at all, creates it.
bool
    zyn_expr_update_creates (zyn_expr_t *self);

//  For Query: check that the filter names no key attribute of the table
//  or index queried (pk_name, and sk_name if not NULL), as DynamoDB
//  refuses ("Filter Expression can only contain non-primary key
//  attributes: Primary key attribute: pk", or "QueryFilter ..." for the
//  legacy parameter). Returns 0, or -1 with err.
int
    zyn_expr_check_filter_keys (zyn_expr_t *self, const char *pk_name,
                                const char *sk_name, zyn_error_t *err);

#endif

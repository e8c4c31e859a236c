/*  =========================================================================
    zyn_ops - the operations a worker executes against one partition

    PutItem, GetItem, DeleteItem, UpdateItem, Query, Scan and
    ZynGetStreamRecords, with DynamoDB's validation of what the worker
    sees (key schema, item size, ReturnValues), conditions, updates,
    filters and projections through zyn_expr, and the worker's fence: every
    key must hash into the partition's range. Mutations are staged in the
    partition (zyn_partition_write); the caller commits them.
    =========================================================================
*/

#ifndef ZYN_OPS_H_INCLUDED
#define ZYN_OPS_H_INCLUDED

#include "zynamo.h"
#include "zyn_partition.h"

//  Largest item, in DynamoDB's item size
#define ZYN_OPS_ITEM_MAX (400 * 1024)

//  A Query or Scan page holds at most this many bytes of items read
#define ZYN_OPS_PAGE_MAX (1024 * 1024)

//  Most change records one ZynGetStreamRecords returns
#define ZYN_OPS_RECORDS_MAX 1000

//  True if the worker executes operation.
bool
    zyn_ops_is_known (const char *operation);

//  True if operation reads committed rows only (Query, Scan), so the
//  caller must commit the partition's staged writes before executing it.
bool
    zyn_ops_needs_commit (const char *operation);

//  Execute operation with request (a map of DynamoDB parameters) against
//  partition. Returns the response map (caller owns it), or NULL with err
//  filled; *extra_p then may receive a map of extra error-body entries
//  (the "Item" of ReturnValuesOnConditionCheckFailure), which the caller
//  owns. Unknown operations give UnknownOperationException.
zyn_value_t *
    zyn_ops_execute (zyn_partition_t *partition, const char *operation,
                     const zyn_value_t *request, zyn_value_t **extra_p,
                     zyn_error_t *err);

//  As zyn_ops_execute, but returns the response encoded as MessagePack
//  (caller frees it) with its size in *size_p: the same bytes as
//  zyn_value_encode of zyn_ops_execute's response. GetItem without a
//  projection is answered from the stored bytes without decoding them.
void *
    zyn_ops_execute_encoded (zyn_partition_t *partition,
                             const char *operation,
                             const zyn_value_t *request, size_t *size_p,
                             zyn_value_t **extra_p, zyn_error_t *err);

#endif

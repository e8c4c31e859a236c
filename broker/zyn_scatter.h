/*  =========================================================================
    zyn_scatter - requests the broker splits over partitions and gathers:
    Scan (a walk over partitions in hash order within one request) and
    BatchGetItem / BatchWriteItem (one sub-request per key, gathered)

    A zyn_scan_t is a state machine the broker drives: it asks for the next
    sub-request, sends it to the partition's worker, and feeds the worker's
    reply back in, until the walk is over; then it takes the client's
    reply. It never touches a socket.

    Scan walk (docs/protocol.md, "Scan"): start at the partition holding
    ExclusiveStartKey (or the first partition of the segment), send Limit =
    what is left of the client's Limit and ZynPageBytes = what is left of
    1 MB; stop when a worker returns a LastEvaluatedKey (and return it),
    else go on to the next partition without a start key, until the limit
    or the bytes are used or the partitions are exhausted. A parallel Scan
    segment i of T covers hashes [i * 2^64 / T, (i + 1) * 2^64 / T - 1],
    passed to each partition as ZynHashStart / ZynHashEnd.
    =========================================================================
*/

#ifndef ZYN_SCATTER_H_INCLUDED
#define ZYN_SCATTER_H_INCLUDED

#include "zynamo.h"
#include "zyn_catalog.h"

//  A Scan's page budget, as DynamoDB's: 1 MB of data read
#define ZYN_SCAN_PAGE_BYTES (1024 * 1024)

typedef struct zyn_scan zyn_scan_t;

//  Check a Scan request (Limit, Segment, TotalSegments, ExclusiveStartKey)
//  against table as DynamoDB does and plan the walk. Takes ownership of
//  *request_p and sets it to NULL, even on failure. Returns the scan
//  (caller owns it), or NULL with err (ValidationException).
zyn_scan_t *
    zyn_scan_new (zyn_table_t *table, zyn_value_t **request_p,
                  zyn_error_t *err);

//  Destroy. Sets *self_p to NULL.
void
    zyn_scan_destroy (zyn_scan_t **self_p);

//  The next sub-request: sets *index (into table->partitions) and *body,
//  *size (MessagePack the caller must free ()). Returns 0, or -1 when the
//  walk is over and zyn_scan_result has the answer.
int
    zyn_scan_next (zyn_scan_t *self, zyn_table_t *table, uint32_t *index,
                   void **body, size_t *size);

//  Take in a worker's OK reply to the last sub-request. Returns 0, or -1
//  with err (InternalServerError) if the reply is malformed.
int
    zyn_scan_absorb (zyn_scan_t *self, const void *body, size_t size,
                     zyn_error_t *err);

//  The client's reply: {"Items", "Count", "ScannedCount",
//  "LastEvaluatedKey"}. Caller frees the MessagePack buffer.
void *
    zyn_scan_result (zyn_scan_t *self, size_t *size);

//  BatchGetItem's response cap, as DynamoDB's
#define ZYN_BATCH_RESPONSE_BYTES (16 * 1024 * 1024)

typedef struct zyn_batch zyn_batch_t;

//  Check a BatchGetItem or BatchWriteItem request (operation) as DynamoDB
//  does against the tables in catalog, and split it into one GetItem,
//  PutItem or DeleteItem per key or item. Returns the batch (caller owns
//  it), or NULL with err: ValidationException ("Too many items requested
//  for the BatchGetItem call", "Provided list of item keys contains
//  duplicates", key and item checks) or ResourceNotFoundException.
zyn_batch_t *
    zyn_batch_new (zyn_catalog_t *catalog, const char *operation,
                   const zyn_value_t *request, zyn_error_t *err);

//  Destroy. Sets *self_p to NULL.
void
    zyn_batch_destroy (zyn_batch_t **self_p);

//  The number of parts.
size_t
    zyn_batch_size (zyn_batch_t *self);

//  Part index: returns its table name (borrowed) and sets the partition
//  key's *hash, the *operation to send (static) and *body, *size
//  (MessagePack the caller must free ()).
const char *
    zyn_batch_part (zyn_batch_t *self, size_t index, uint64_t *hash,
                    const char **operation, void **body, size_t *size);

//  Record part index's outcome: status "OK" with the worker's reply body,
//  or an error name with its error body (body may be NULL). A part that
//  could not be sent is recorded as "ServiceUnavailable".
void
    zyn_batch_absorb (zyn_batch_t *self, size_t index, const char *status,
                      const void *body, size_t size);

//  True once every part has an outcome.
bool
    zyn_batch_is_done (zyn_batch_t *self);

//  The client's reply (caller frees the MessagePack buffer): Responses and
//  UnprocessedKeys, or UnprocessedItems. Parts that failed with a
//  retryable error are unprocessed. Returns NULL with err if a part failed
//  otherwise (the first such error).
void *
    zyn_batch_result (zyn_batch_t *self, size_t *size, zyn_error_t *err);

#endif

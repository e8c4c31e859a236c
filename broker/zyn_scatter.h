/*  =========================================================================
    zyn_scatter - requests the broker splits over partitions and gathers:
    Scan (a walk over partitions in hash order within one request)

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

#endif

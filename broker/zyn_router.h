/*  =========================================================================
    zyn_router - the partition map: from a key to a partition to a worker

    A table's hash space 0 .. 2^64-1 is cut into contiguous inclusive
    ranges, one per partition, sorted by start. A request is routed by
    the 64-bit hash (zyn_keycode_hash) of its partition key's encoding;
    the partition whose range holds the hash is the one to ask, and its
    assigned worker is the one to send to. Parallel Scan segments are cut
    from the hash space the same way.
    =========================================================================
*/

#ifndef ZYN_ROUTER_H_INCLUDED
#define ZYN_ROUTER_H_INCLUDED

#include "zynamo.h"
#include "zyn_catalog.h"

//  The index-th of count equal slices of the hash space:
//  [index * 2^64 / count, (index + 1) * 2^64 / count - 1]. count >= 1.
void
    zyn_router_slice (uint64_t count, uint64_t index, uint64_t *start,
                      uint64_t *end);

//  The partition of table whose range holds hash. Never NULL for a table
//  whose ranges cover the hash space. Borrowed.
zyn_partition_info_t *
    zyn_router_lookup (zyn_table_t *table, uint64_t hash);

//  The index (into table->partitions) of the partition holding hash.
uint32_t
    zyn_router_index (zyn_table_t *table, uint64_t hash);

//  Hash the partition key found in key (a map: an Item when is_item is
//  true, a Key otherwise) for table. Checks the key attributes as
//  DynamoDB does and returns 0 with the hash, or -1 with err:
//  ValidationException with DynamoDB's message ("One or more parameter
//  values were invalid: Missing the key pk in the item", "The provided key
//  element does not match the schema", ...).
int
    zyn_router_key_hash (zyn_table_t *table, const zyn_value_t *key,
                         bool is_item, uint64_t *hash, zyn_error_t *err);

//  Hash a partition key value (S, N or B). Returns 0 or -1 with err
//  (ValidationException) for a value that cannot be a key.
int
    zyn_router_value_hash (const zyn_value_t *value, uint64_t *hash,
                           zyn_error_t *err);

//  True if the partitions of table are sorted, contiguous and cover
//  0 .. 2^64-1 (an invariant; for tests and assertions).
bool
    zyn_router_is_complete (zyn_table_t *table);

#endif

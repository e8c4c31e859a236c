/*  =========================================================================
    zyn_lsi - the local secondary indexes of one table, as a partition
    keeps them

    Parsed from the partition descriptor's LocalSecondaryIndexes (the
    CreateTable definitions, already checked by the broker), with the key
    attributes of its GlobalSecondaryIndexes, which writes are checked
    against too. Builds the index rows a partition stages in the same
    WriteBatch as the item (docs/indexes.md, "Local secondary indexes"):

        'l' | index number | hash64 | enc(pk) | enc(index sk) | enc(sk)
            -> the projected item (MessagePack)

    and checks what DynamoDB checks of an item's index key attributes on
    write. An item without an index's sort key has no row in that index
    (sparse indexes). The item collection size of a partition key value
    (items plus their index entries) is kept in a counter row
    'c' | hash64 | enc(pk) -> N, and is capped by the table's item
    collection limit (10 GB unless ZynItemCollectionLimit says otherwise).

    Known limits: the size estimate counts DynamoDB's item size plus
    100 bytes per index entry, as DynamoDB documents it.
    =========================================================================
*/

#ifndef ZYN_LSI_H_INCLUDED
#define ZYN_LSI_H_INCLUDED

#include "zynamo.h"

typedef struct zyn_lsi zyn_lsi_t;

//  Row family of the item collection size counters
#define ZYN_ROW_COLLECTION 'c'

//  An index row key fits in this many bytes
#define ZYN_LSI_ROW_MAX (2 * 6400)

//  DynamoDB's item collection limit, 10 GB
#define ZYN_LSI_COLLECTION_LIMIT (10ULL * 1024 * 1024 * 1024)

//  Parse the LocalSecondaryIndexes of descriptor (a partition
//  descriptor, with KeySchema and AttributeDefinitions) for a table whose
//  partition key is pk_name and sort key sk_name. A descriptor without
//  them gives an empty set. Returns NULL with a ValidationException in err
//  if a definition is malformed. Caller owns the result.
zyn_lsi_t *
    zyn_lsi_new (const zyn_value_t *descriptor, const char *pk_name,
                 const char *sk_name, zyn_error_t *err);

//  Destroy. Sets *self_p to NULL.
void
    zyn_lsi_destroy (zyn_lsi_t **self_p);

//  Number of indexes (0 to 5).
size_t
    zyn_lsi_size (zyn_lsi_t *self);

//  True if zyn_lsi_check_item has anything to check: local indexes, or
//  the key attributes of global ones (the descriptor's
//  GlobalSecondaryIndexes, whose IndexName and KeySchema are read).
bool
    zyn_lsi_checks_items (zyn_lsi_t *self);

//  The index number of the index called name, or -1.
int
    zyn_lsi_find (zyn_lsi_t *self, const char *name);

//  The index's name, sort key name and type. Borrowed.
const char *
    zyn_lsi_name (zyn_lsi_t *self, int index);
const char *
    zyn_lsi_sk_name (zyn_lsi_t *self, int index);
zyn_type_t
    zyn_lsi_sk_type (zyn_lsi_t *self, int index);

//  True if the index projects ALL attributes.
bool
    zyn_lsi_projects_all (zyn_lsi_t *self, int index);

//  True if the index holds the attribute name (a key attribute, or one
//  its projection includes).
bool
    zyn_lsi_projects (zyn_lsi_t *self, int index, const char *name);

//  The item collection limit in bytes.
uint64_t
    zyn_lsi_collection_limit (zyn_lsi_t *self);

//  Check the index key attributes of item as DynamoDB does on write:
//  type, emptiness, size for local indexes; type and emptiness for the
//  keys of global ones. Returns 0, or -1 with a ValidationException.
int
    zyn_lsi_check_item (zyn_lsi_t *self, const zyn_value_t *item,
                        zyn_error_t *err);

//  Build into buf (ZYN_LSI_ROW_MAX bytes) the row of item in index.
//  Returns its length, or 0 if the item is not in the index (no index
//  sort key, or key attributes of the wrong type).
size_t
    zyn_lsi_row (zyn_lsi_t *self, int index, const zyn_value_t *item,
                 uint8_t *buf);

//  Build the row prefix of the collection pk in index, with the index
//  sort key value isk appended if not NULL, and the table sort key value
//  sk after it if not NULL. Returns its length and the hash of pk in
//  *hash, or 0 with err.
size_t
    zyn_lsi_row_prefix (zyn_lsi_t *self, int index, const zyn_value_t *pk,
                        const zyn_value_t *isk, const zyn_value_t *sk,
                        uint8_t *buf, uint64_t *hash, zyn_error_t *err);

//  The entry item of item in index: its key attributes and the projected
//  ones. Caller owns it.
zyn_value_t *
    zyn_lsi_entry (zyn_lsi_t *self, int index, const zyn_value_t *item);

//  The bytes item and its index entries add to its item collection (0
//  for NULL).
uint64_t
    zyn_lsi_collection_bytes (zyn_lsi_t *self, const zyn_value_t *item);

//  Build into buf (ZYN_LSI_ROW_MAX bytes) the counter row of the item
//  collection of pk. Returns its length, or 0 with err.
size_t
    zyn_lsi_counter_row (const zyn_value_t *pk, uint8_t *buf,
                         zyn_error_t *err);

//  The ItemCollectionMetrics of DynamoDB for the collection of pk (named
//  pk_name) holding size bytes. Caller owns it.
zyn_value_t *
    zyn_lsi_metrics (const char *pk_name, const zyn_value_t *pk,
                     uint64_t size);

#endif

/*  =========================================================================
    zyn_gsi - global secondary indexes as hidden tables: their names and
    definitions, the index entry of a base item, and the rewriting of a
    Query or Scan on an index into one on its hidden table (and of the
    reply back)

    A global secondary index of table T is a hidden table named
    "T/index/<IndexName>" ('/' cannot appear in a table name, so no client
    can name it and ListTables leaves it out). Its partition key is the
    index's partition key; its sort key is the binary attribute "zyn:isk"
    holding enc(index sort key) | enc(base pk) | enc(base sk), so that
    entries of one index key are ordered by the index sort key and then
    the base key, and many items may share an index key. See
    docs/indexes.md.

    Pure functions over the catalog's tables; the broker decides when to
    call them.

    Known limits: the encoded zyn:isk must fit in a sort key (1024 bytes);
    an entry whose keys are longer is not indexed.
    =========================================================================
*/

#ifndef ZYN_GSI_H_INCLUDED
#define ZYN_GSI_H_INCLUDED

#include "zynamo.h"
#include "zyn_catalog.h"

//  The sort key attribute of every hidden index table
#define ZYN_GSI_SORT_KEY "zyn:isk"

//  Most global secondary indexes a table may have
#define ZYN_GSI_MAX 20

//  The hidden table name of index of table. Caller frees it.
char *
    zyn_gsi_table_name (const char *table, const char *index);

//  True if name is a hidden index table's name.
bool
    zyn_gsi_is_hidden (const char *name);

//  The GlobalSecondaryIndexes entry of table named index, or NULL.
//  Borrowed.
zyn_value_t *
    zyn_gsi_find (zyn_table_t *table, const char *index);

//  The CreateTable-like definition of the hidden table of gsi (an entry of
//  base's GlobalSecondaryIndexes). Caller owns the result.
zyn_value_t *
    zyn_gsi_definition (zyn_table_t *base, const zyn_value_t *gsi);

//  The index row of item (a base item) for gsi: the projected attributes,
//  the keys and zyn:isk; with keys_only, only the hidden table's key.
//  Returns NULL if item is not in the index (it lacks an index key, or an
//  index key has the wrong type: a sparse index). Caller owns the result.
zyn_value_t *
    zyn_gsi_entry (zyn_table_t *base, const zyn_value_t *gsi,
                   const zyn_value_t *item, bool keys_only);

//  Rewrite a Query or Scan (operation) on gsi of base into the request for
//  the hidden table named hidden_name: checks what DynamoDB checks for an
//  index read (ConsistentRead, Select against the projection, a
//  backfilling index, key conditions on the index keys), translates the
//  sort key condition and ExclusiveStartKey. For Query, *hash receives the
//  partition key's hash. Returns the new request (caller owns it), or NULL
//  with err.
zyn_value_t *
    zyn_gsi_rewrite (zyn_table_t *base, const zyn_value_t *gsi,
                     const char *operation, const zyn_value_t *request,
                     const char *hidden_name, uint64_t *hash,
                     zyn_error_t *err);

//  Rewrite the reply of the hidden table (MessagePack) for the client:
//  drop zyn:isk from the items and turn LastEvaluatedKey into the index
//  and base key. Returns a MessagePack buffer the caller frees, or NULL if
//  the reply does not decode.
void *
    zyn_gsi_reply (zyn_table_t *base, const zyn_value_t *gsi,
                   const void *data, size_t size, size_t *new_size);

#endif

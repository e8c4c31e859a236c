/*  =========================================================================
    zyn_itemstats - a partition's item count and size, kept with its
    writes

    DescribeTable reports a table's ItemCount and TableSizeBytes (the
    DynamoDB size of its items, names and values). A partition keeps
    both in layers that follow its group commit (zyn_partition): the
    committed totals, the changes of the sealed generation being written,
    and the changes staged since. At every seal the totals as they will
    be once that generation commits are written in the same WriteBatch
    (the meta row 'm' | "stats", two 8-octet big-endian numbers), so
    they are as durable as the items they count. A partition whose
    LevelDB has no such row (written before it existed) counts its item
    rows once when it opens.
    =========================================================================
*/

#ifndef ZYN_ITEMSTATS_H_INCLUDED
#define ZYN_ITEMSTATS_H_INCLUDED

#include "zynamo.h"
#include <leveldb/c.h>

//  The meta row's name and its value's size
#define ZYN_ITEMSTATS_META "stats"
#define ZYN_ITEMSTATS_SIZE 16

typedef struct {
    int64_t items;
    int64_t bytes;
} zyn_itemstats_t;

typedef struct {
    zyn_itemstats_t committed;
    zyn_itemstats_t sealed;     //  Changes being committed
    zyn_itemstats_t staged;     //  Changes staged since
} zyn_itemstats_layers_t;

//  A write staged: the item was old_item (NULL if absent) and becomes
//  new_item (NULL for a delete).
void
    zyn_itemstats_stage (zyn_itemstats_layers_t *self,
                         const zyn_value_t *old_item,
                         const zyn_value_t *new_item);

//  The staged changes are sealed: they move to the sealed layer, and
//  value (ZYN_ITEMSTATS_SIZE octets) gets the totals once they commit.
void
    zyn_itemstats_seal (zyn_itemstats_layers_t *self, uint8_t *value);

//  The sealed changes committed (ok) or were dropped with the staged ones.
void
    zyn_itemstats_finish (zyn_itemstats_layers_t *self, bool ok);

//  The staged changes are forgotten.
void
    zyn_itemstats_abort (zyn_itemstats_layers_t *self);

//  The committed totals of a partition that opens: from its meta row's
//  value (data, size) if there is one, else by reading every item row of
//  db. Returns 0, or -1 with err (InternalServerError) if the row or an
//  item is corrupt.
int
    zyn_itemstats_recover (zyn_itemstats_layers_t *self, leveldb_t *db,
                           leveldb_readoptions_t *options, const char *data,
                           size_t size, zyn_error_t *err);

#endif

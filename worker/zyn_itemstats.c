/*  =========================================================================
    zyn_itemstats - a partition's item count and size, kept with its
    writes (see the header)
    =========================================================================
*/

#include "zyn_prelude.h"
#include "zyn_error.h"
#include "zyn_keycode.h"
#include "zyn_itemstats.h"

void
zyn_itemstats_stage (zyn_itemstats_layers_t *self,
                     const zyn_value_t *old_item, const zyn_value_t *new_item)
{
    assert (self);
    if (old_item) {
        self->staged.items--;
        self->staged.bytes -= (int64_t) zyn_item_size (old_item);
    }
    if (new_item) {
        self->staged.items++;
        self->staged.bytes += (int64_t) zyn_item_size (new_item);
    }
}

void
zyn_itemstats_seal (zyn_itemstats_layers_t *self, uint8_t *value)
{
    assert (self);
    assert (self->sealed.items == 0 && self->sealed.bytes == 0);
    self->sealed = self->staged;
    self->staged = (zyn_itemstats_t) { 0, 0 };
    zyn_put_u64 (value, (uint64_t) (self->committed.items
                                    + self->sealed.items));
    zyn_put_u64 (value + 8, (uint64_t) (self->committed.bytes
                                        + self->sealed.bytes));
}

void
zyn_itemstats_finish (zyn_itemstats_layers_t *self, bool ok)
{
    assert (self);
    if (ok) {
        self->committed.items += self->sealed.items;
        self->committed.bytes += self->sealed.bytes;
    }
    else
        self->staged = (zyn_itemstats_t) { 0, 0 };
    self->sealed = (zyn_itemstats_t) { 0, 0 };
}

void
zyn_itemstats_abort (zyn_itemstats_layers_t *self)
{
    assert (self);
    self->staged = (zyn_itemstats_t) { 0, 0 };
}

int
zyn_itemstats_recover (zyn_itemstats_layers_t *self, leveldb_t *db,
                       leveldb_readoptions_t *options, const char *data,
                       size_t size, zyn_error_t *err)
{
    assert (self);
    *self = (zyn_itemstats_layers_t) { { 0, 0 }, { 0, 0 }, { 0, 0 } };
    if (data) {
        if (size != ZYN_ITEMSTATS_SIZE)
            return zyn_error_set (err, ZYN_ERR_INTERNAL,
                                  "partition item stats are corrupt");
        self->committed.items = (int64_t) zyn_get_u64 ((const uint8_t *) data);
        self->committed.bytes
            = (int64_t) zyn_get_u64 ((const uint8_t *) data + 8);
        return 0;
    }
    //  Written before the stats row existed: count the item rows once
    leveldb_iterator_t *iter = leveldb_create_iterator (db, options);
    char start = ZYN_ROW_ITEM;
    int rc = 0;
    for (leveldb_iter_seek (iter, &start, 1); leveldb_iter_valid (iter);
         leveldb_iter_next (iter)) {
        size_t key_size, value_size;
        const char *key = leveldb_iter_key (iter, &key_size);
        if (key_size == 0 || key [0] != ZYN_ROW_ITEM)
            break;
        const char *value = leveldb_iter_value (iter, &value_size);
        zyn_error_t decode_err = { 0 };
        zyn_value_t *item = zyn_value_decode (value, value_size,
                                              &decode_err);
        if (!item) {
            rc = zyn_error_set (err, ZYN_ERR_INTERNAL,
                                "stored item is corrupt: %s",
                                decode_err.message);
            break;
        }
        self->committed.items++;
        self->committed.bytes += (int64_t) zyn_item_size (item);
        zyn_value_destroy (&item);
    }
    leveldb_iter_destroy (iter);
    return rc;
}

/*  =========================================================================
    zyn_router - the partition map: from a key to a partition to a worker

    Ranges are found by binary search over the table's partitions, which
    the catalog keeps sorted by hash_start. The key checks here are the
    ones the broker needs before it can route; the worker checks the whole
    item again (DESIGN.md section 4: a stale route never writes).
    =========================================================================
*/

#include "zyn_prelude.h"
#include "zyn_error.h"
#include "zyn_keycode.h"
#include "zyn_router.h"

//  --------------------------------------------------------------------------
//  The index-th of count equal slices of the hash space

void
zyn_router_slice (uint64_t count, uint64_t index, uint64_t *start,
                  uint64_t *end)
{
    assert (count >= 1 && index < count);
    unsigned __int128 space = (unsigned __int128) 1 << 64;
    *start = (uint64_t) ((space * index) / count);
    if (index + 1 == count)
        *end = UINT64_MAX;
    else
        *end = (uint64_t) ((space * (index + 1)) / count - 1);
}

//  --------------------------------------------------------------------------
//  The index of the partition holding hash

uint32_t
zyn_router_index (zyn_table_t *table, uint64_t hash)
{
    assert (table);
    assert (table->partition_count > 0);
    //  Last partition whose start is <= hash
    uint32_t low = 0;
    uint32_t high = table->partition_count - 1;
    while (low < high) {
        uint32_t middle = low + (high - low + 1) / 2;
        if (table->partitions [middle].hash_start <= hash)
            low = middle;
        else
            high = middle - 1;
    }
    return low;
}

//  --------------------------------------------------------------------------
//  The partition of table whose range holds hash

zyn_partition_info_t *
zyn_router_lookup (zyn_table_t *table, uint64_t hash)
{
    return &table->partitions [zyn_router_index (table, hash)];
}

//  --------------------------------------------------------------------------
//  Hash a partition key value

int
zyn_router_value_hash (const zyn_value_t *value, uint64_t *hash,
                       zyn_error_t *err)
{
    uint8_t buf [ZYN_KEYCODE_MAX];
    size_t size = 0;
    if (zyn_keycode_append (buf, &size, value, err))
        return -1;
    *hash = zyn_keycode_hash (buf, size);
    return 0;
}

//  Check one key attribute of key. Returns 0 or -1 with err.
static int
s_check_key_attribute (const zyn_value_t *key, const char *name,
                       zyn_type_t type, bool is_item, zyn_error_t *err)
{
    zyn_value_t *value = zyn_value_map_get (key, name);
    if (!value) {
        if (is_item)
            return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                  "One or more parameter values were "
                                  "invalid: Missing the key %s in the item",
                                  name);
        return zyn_error_set (err, ZYN_ERR_VALIDATION,
                              "The provided key element does not match "
                              "the schema");
    }
    if (zyn_value_type (value) != type) {
        if (is_item)
            return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                  "One or more parameter values were "
                                  "invalid: Type mismatch for key %s "
                                  "expected: %s actual: %s",
                                  name, zyn_type_name (type),
                                  zyn_type_name (zyn_value_type (value)));
        return zyn_error_set (err, ZYN_ERR_VALIDATION,
                              "The provided key element does not match "
                              "the schema");
    }
    if ((type == ZYN_TYPE_S || type == ZYN_TYPE_B)
        && zyn_value_size (value) == 0)
        return zyn_error_set (err, ZYN_ERR_VALIDATION,
                              "One or more parameter values are not valid. "
                              "The AttributeValue for a key attribute "
                              "cannot contain an empty %s value. Key: %s",
                              type == ZYN_TYPE_S ? "string" : "binary",
                              name);
    return 0;
}

//  --------------------------------------------------------------------------
//  Hash the partition key found in key for table, checking the key

int
zyn_router_key_hash (zyn_table_t *table, const zyn_value_t *key,
                     bool is_item, uint64_t *hash, zyn_error_t *err)
{
    assert (table);
    if (!key || zyn_value_type (key) != ZYN_TYPE_M)
        return zyn_error_set (err, ZYN_ERR_VALIDATION,
                              "The provided key element does not match "
                              "the schema");
    if (!is_item) {
        //  A Key holds exactly the key attributes, no more
        size_t expected = table->sk_name ? 2 : 1;
        if (zyn_value_size (key) != expected)
            return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                  "The provided key element does not "
                                  "match the schema");
    }
    if (s_check_key_attribute (key, table->pk_name, table->pk_type, is_item,
                               err))
        return -1;
    if (table->sk_name
        && s_check_key_attribute (key, table->sk_name, table->sk_type,
                                  is_item, err))
        return -1;
    return zyn_router_value_hash (zyn_value_map_get (key, table->pk_name),
                                  hash, err);
}

//  --------------------------------------------------------------------------
//  True if the partitions of table are sorted, contiguous and complete

bool
zyn_router_is_complete (zyn_table_t *table)
{
    assert (table);
    if (table->partition_count == 0 || table->partitions [0].hash_start != 0)
        return false;
    for (uint32_t i = 0; i < table->partition_count; i++) {
        zyn_partition_info_t *partition = &table->partitions [i];
        if (partition->hash_end < partition->hash_start)
            return false;
        if (i + 1 < table->partition_count) {
            if (partition->hash_end == UINT64_MAX
                || table->partitions [i + 1].hash_start
                       != partition->hash_end + 1)
                return false;
        }
        else
        if (partition->hash_end != UINT64_MAX)
            return false;
    }
    return true;
}

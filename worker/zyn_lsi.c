/*  =========================================================================
    zyn_lsi - the local secondary indexes of one table, as a partition
    keeps them

    Owns the parsed index definitions of one partition descriptor. Used by
    zyn_partition (to stage index rows and collection counters with each
    mutation) and zyn_ops (to check writes and to read indexes). See the
    header for the row layout.
    =========================================================================
*/

#include "zyn_prelude.h"
#include "zyn_error.h"
#include "zyn_keycode.h"
#include "zyn_lsi.h"

#define S_INDEX_MAX 5
#define S_GLOBAL_KEY_MAX (2 * 20)   //  20 global indexes, 2 keys each
#define S_ENTRY_OVERHEAD 100    //  DynamoDB counts 100 bytes per entry

typedef struct {
    char *name;                 //  Owned
    char *sk_name;              //  Owned
    zyn_type_t sk_type;
    bool all;                   //  ProjectionType ALL
    zlistx_t *attributes;       //  Owned, char *, NonKeyAttributes
} s_index_t;

//  A key attribute of a global secondary index, checked on write
typedef struct {
    char *index;                //  Owned, the index name
    char *name;                 //  Owned, the attribute name
    zyn_type_t type;
} s_global_key_t;

struct zyn_lsi {
    s_index_t indexes [S_INDEX_MAX];
    size_t size;
    s_global_key_t global_keys [S_GLOBAL_KEY_MAX];
    size_t global_key_count;
    char *pk_name;              //  Owned
    char *sk_name;              //  Owned, NULL without a sort key
    uint64_t collection_limit;
};

//  --------------------------------------------------------------------------
//  The AttributeType declared for name, or 0

static zyn_type_t
s_declared_type (const zyn_value_t *definitions, const char *name)
{
    for (size_t i = 0; definitions && i < zyn_value_size (definitions); i++) {
        const zyn_value_t *definition = zyn_value_list_get (definitions, i);
        const char *attribute = zyn_value_map_get_s (definition,
                                                     "AttributeName");
        const char *type = zyn_value_map_get_s (definition, "AttributeType");
        if (attribute && type && streq (attribute, name)) {
            zyn_type_t key_type = zyn_type_from_name (type);
            return key_type == ZYN_TYPE_S || key_type == ZYN_TYPE_N
                        || key_type == ZYN_TYPE_B
                     ? key_type : 0;
        }
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Take the key attributes of the GlobalSecondaryIndexes of descriptor,
//  which the broker sends so that writes are checked against them.
//  Returns 0, or -1 if they are malformed.

static int
s_parse_globals (zyn_lsi_t *self, const zyn_value_t *descriptor,
                 const zyn_value_t *definitions)
{
    const zyn_value_t *gsis = zyn_value_map_get (descriptor,
                                                 "GlobalSecondaryIndexes");
    if (!gsis || zyn_value_type (gsis) == ZYN_TYPE_NULL)
        return 0;
    if (zyn_value_type (gsis) != ZYN_TYPE_L)
        return -1;
    for (size_t i = 0; i < zyn_value_size (gsis); i++) {
        const zyn_value_t *gsi = zyn_value_list_get (gsis, i);
        const char *index = zyn_value_map_get_s (gsi, "IndexName");
        const zyn_value_t *schema = zyn_value_map_get (gsi, "KeySchema");
        if (!index || !schema || zyn_value_type (schema) != ZYN_TYPE_L
            || zyn_value_size (schema) < 1 || zyn_value_size (schema) > 2)
            return -1;
        for (size_t j = 0; j < zyn_value_size (schema); j++) {
            const char *name = zyn_value_map_get_s (
                zyn_value_list_get (schema, j), "AttributeName");
            zyn_type_t type = name ? s_declared_type (definitions, name)
                                   : 0;
            if (!type || self->global_key_count == S_GLOBAL_KEY_MAX)
                return -1;
            s_global_key_t *key
                = &self->global_keys [self->global_key_count++];
            key->index = strdup (index);
            key->name = strdup (name);
            key->type = type;
        }
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Parse the LocalSecondaryIndexes of descriptor

zyn_lsi_t *
zyn_lsi_new (const zyn_value_t *descriptor, const char *pk_name,
             const char *sk_name, zyn_error_t *err)
{
    assert (pk_name);
    zyn_lsi_t *self = (zyn_lsi_t *) zmalloc (sizeof (zyn_lsi_t));
    self->pk_name = strdup (pk_name);
    self->sk_name = sk_name ? strdup (sk_name) : NULL;
    self->collection_limit = ZYN_LSI_COLLECTION_LIMIT;
    int64_t limit = 0;
    if (zyn_value_map_get (descriptor, "ZynItemCollectionLimit")
        && zyn_value_map_get_int (descriptor, "ZynItemCollectionLimit",
                                  &limit) == 0
        && limit > 0)
        self->collection_limit = (uint64_t) limit;

    const zyn_value_t *definitions
        = zyn_value_map_get (descriptor, "AttributeDefinitions");
    if (s_parse_globals (self, descriptor, definitions)) {
        zyn_error_set (err, ZYN_ERR_VALIDATION,
                       "partition descriptor: bad GlobalSecondaryIndexes");
        zyn_lsi_destroy (&self);
        return NULL;
    }
    const zyn_value_t *lsis = zyn_value_map_get (descriptor,
                                                 "LocalSecondaryIndexes");
    if (!lsis || zyn_value_type (lsis) == ZYN_TYPE_NULL)
        return self;
    if (zyn_value_type (lsis) != ZYN_TYPE_L
        || zyn_value_size (lsis) > S_INDEX_MAX || !sk_name)
        goto malformed;
    for (size_t i = 0; i < zyn_value_size (lsis); i++) {
        const zyn_value_t *lsi = zyn_value_list_get (lsis, i);
        const char *name = zyn_value_map_get_s (lsi, "IndexName");
        const zyn_value_t *schema = zyn_value_map_get (lsi, "KeySchema");
        const zyn_value_t *projection = zyn_value_map_get (lsi,
                                                           "Projection");
        const char *projection_type
            = zyn_value_map_get_s (projection, "ProjectionType");
        if (!name || !schema || zyn_value_type (schema) != ZYN_TYPE_L
            || zyn_value_size (schema) != 2 || !projection_type)
            goto malformed;
        const char *index_sk = NULL;
        for (size_t j = 0; j < 2; j++) {
            const zyn_value_t *element = zyn_value_list_get (schema, j);
            const char *key_type = zyn_value_map_get_s (element, "KeyType");
            if (key_type && streq (key_type, "RANGE"))
                index_sk = zyn_value_map_get_s (element, "AttributeName");
        }
        zyn_type_t type = index_sk ? s_declared_type (definitions, index_sk)
                                   : 0;
        if (!type)
            goto malformed;
        s_index_t *index = &self->indexes [self->size++];
        index->name = strdup (name);
        index->sk_name = strdup (index_sk);
        index->sk_type = type;
        index->all = streq (projection_type, "ALL");
        index->attributes = zlistx_new ();
        zlistx_set_destructor (index->attributes,
                               (zlistx_destructor_fn *) zstr_free);
        zlistx_set_duplicator (index->attributes,
                               (zlistx_duplicator_fn *) strdup);
        const zyn_value_t *non_key = zyn_value_map_get (projection,
                                                        "NonKeyAttributes");
        if (streq (projection_type, "INCLUDE") && non_key
            && zyn_value_type (non_key) == ZYN_TYPE_L)
            for (size_t j = 0; j < zyn_value_size (non_key); j++) {
                const zyn_value_t *attribute = zyn_value_list_get (non_key,
                                                                   j);
                if (zyn_value_type (attribute) == ZYN_TYPE_S)
                    zlistx_add_end (index->attributes,
                                    (void *) zyn_value_data (attribute));
            }
    }
    return self;

malformed:
    zyn_error_set (err, ZYN_ERR_VALIDATION,
                   "partition descriptor: bad LocalSecondaryIndexes");
    zyn_lsi_destroy (&self);
    return NULL;
}

//  --------------------------------------------------------------------------
//  Destroy

void
zyn_lsi_destroy (zyn_lsi_t **self_p)
{
    assert (self_p);
    zyn_lsi_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->size; i++) {
        zstr_free (&self->indexes [i].name);
        zstr_free (&self->indexes [i].sk_name);
        zlistx_destroy (&self->indexes [i].attributes);
    }
    for (size_t i = 0; i < self->global_key_count; i++) {
        zstr_free (&self->global_keys [i].index);
        zstr_free (&self->global_keys [i].name);
    }
    zstr_free (&self->pk_name);
    zstr_free (&self->sk_name);
    free (self);
    *self_p = NULL;
}

//  --------------------------------------------------------------------------
//  Accessors

size_t
zyn_lsi_size (zyn_lsi_t *self)
{
    assert (self);
    return self->size;
}

bool
zyn_lsi_checks_items (zyn_lsi_t *self)
{
    assert (self);
    return self->size > 0 || self->global_key_count > 0;
}

int
zyn_lsi_find (zyn_lsi_t *self, const char *name)
{
    assert (self);
    for (size_t i = 0; name && i < self->size; i++)
        if (streq (self->indexes [i].name, name))
            return (int) i;
    return -1;
}

const char *
zyn_lsi_name (zyn_lsi_t *self, int index)
{
    assert (self);
    assert (index >= 0 && (size_t) index < self->size);
    return self->indexes [index].name;
}

const char *
zyn_lsi_sk_name (zyn_lsi_t *self, int index)
{
    assert (self);
    assert (index >= 0 && (size_t) index < self->size);
    return self->indexes [index].sk_name;
}

zyn_type_t
zyn_lsi_sk_type (zyn_lsi_t *self, int index)
{
    assert (self);
    assert (index >= 0 && (size_t) index < self->size);
    return self->indexes [index].sk_type;
}

bool
zyn_lsi_projects_all (zyn_lsi_t *self, int index)
{
    assert (self);
    assert (index >= 0 && (size_t) index < self->size);
    return self->indexes [index].all;
}

uint64_t
zyn_lsi_collection_limit (zyn_lsi_t *self)
{
    assert (self);
    return self->collection_limit;
}

//  --------------------------------------------------------------------------
//  True if the index holds the attribute name

bool
zyn_lsi_projects (zyn_lsi_t *self, int index, const char *name)
{
    assert (self);
    assert (index >= 0 && (size_t) index < self->size);
    s_index_t *lsi = &self->indexes [index];
    if (lsi->all || streq (name, self->pk_name)
        || (self->sk_name && streq (name, self->sk_name))
        || streq (name, lsi->sk_name))
        return true;
    const char *attribute = (const char *) zlistx_first (lsi->attributes);
    while (attribute) {
        if (streq (attribute, name))
            return true;
        attribute = (const char *) zlistx_next (lsi->attributes);
    }
    return false;
}

//  --------------------------------------------------------------------------
//  Check the index key attributes of item

//  Check one index key attribute value of an item. Returns 0, or -1 with
//  a ValidationException.
static int
s_check_key (const zyn_value_t *value, const char *name, zyn_type_t expected,
             const char *index, zyn_error_t *err)
{
    zyn_type_t type = zyn_value_type (value);
    if (type != expected)
        return zyn_error_set (err, ZYN_ERR_VALIDATION,
                              "One or more parameter values were "
                              "invalid: Type mismatch for Index Key %s "
                              "Expected: %s Actual: %s IndexName: %s",
                              name, zyn_type_name (expected),
                              zyn_type_name (type), index);
    if (type != ZYN_TYPE_N && zyn_value_size (value) == 0)
        return zyn_error_set (err, ZYN_ERR_VALIDATION,
                              "One or more parameter values are not "
                              "valid. A value specified for a secondary "
                              "index key is not supported. The "
                              "AttributeValue for a key attribute cannot "
                              "contain an empty %s value. IndexName: %s, "
                              "IndexKey: %s",
                              type == ZYN_TYPE_S ? "string" : "binary",
                              index, name);
    return 0;
}

int
zyn_lsi_check_item (zyn_lsi_t *self, const zyn_value_t *item,
                    zyn_error_t *err)
{
    assert (self);
    for (size_t i = 0; i < self->size; i++) {
        s_index_t *lsi = &self->indexes [i];
        const zyn_value_t *value = zyn_value_map_get (item, lsi->sk_name);
        if (!value)
            continue;
        if (s_check_key (value, lsi->sk_name, lsi->sk_type, lsi->name, err))
            return -1;
        uint8_t row [ZYN_LSI_ROW_MAX];
        uint64_t hash;
        zyn_error_t key_err = { 0 };
        const zyn_value_t *pk = zyn_value_map_get (item, self->pk_name);
        if (pk
            && zyn_keycode_item_row (row, pk, value, &hash, &key_err) == 0)
            return zyn_error_set (err, key_err.type, "%s", key_err.message);
    }
    //  A global index's keys: an item without them is just not in it
    for (size_t i = 0; i < self->global_key_count; i++) {
        s_global_key_t *key = &self->global_keys [i];
        const zyn_value_t *value = zyn_value_map_get (item, key->name);
        if (value && s_check_key (value, key->name, key->type, key->index,
                                  err))
            return -1;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Build the row prefix of the collection pk in index

size_t
zyn_lsi_row_prefix (zyn_lsi_t *self, int index, const zyn_value_t *pk,
                    const zyn_value_t *isk, const zyn_value_t *sk,
                    uint8_t *buf, uint64_t *hash, zyn_error_t *err)
{
    assert (self);
    assert (index >= 0 && (size_t) index < self->size);
    //  'i' | hash | enc(pk) | enc(isk), shifted one octet to the right
    buf [0] = ZYN_ROW_LSI;
    size_t size = zyn_keycode_item_row (buf + 1, pk, isk, hash, err);
    if (size == 0)
        return 0;
    buf [1] = (uint8_t) index;
    size++;
    if (sk && zyn_keycode_append (buf, &size, sk, err))
        return 0;
    return size;
}

//  --------------------------------------------------------------------------
//  Build the row of item in index, 0 if it has none

size_t
zyn_lsi_row (zyn_lsi_t *self, int index, const zyn_value_t *item,
             uint8_t *buf)
{
    assert (self);
    assert (index >= 0 && (size_t) index < self->size);
    if (!item || !self->sk_name)
        return 0;
    s_index_t *lsi = &self->indexes [index];
    const zyn_value_t *isk = zyn_value_map_get (item, lsi->sk_name);
    const zyn_value_t *pk = zyn_value_map_get (item, self->pk_name);
    const zyn_value_t *sk = zyn_value_map_get (item, self->sk_name);
    if (!isk || !pk || !sk || zyn_value_type (isk) != lsi->sk_type)
        return 0;
    uint64_t hash;
    zyn_error_t err = { 0 };
    return zyn_lsi_row_prefix (self, index, pk, isk, sk, buf, &hash, &err);
}

//  --------------------------------------------------------------------------
//  The entry item of item in index

zyn_value_t *
zyn_lsi_entry (zyn_lsi_t *self, int index, const zyn_value_t *item)
{
    assert (self);
    assert (index >= 0 && (size_t) index < self->size);
    s_index_t *lsi = &self->indexes [index];
    if (lsi->all)
        return zyn_value_dup (item);
    zyn_value_t *entry = zyn_value_new_m ();
    for (size_t i = 0; i < zyn_value_size (item); i++) {
        const char *name = zyn_value_map_name (item, i);
        if (zyn_lsi_projects (self, index, name)) {
            zyn_value_t *copy = zyn_value_dup (zyn_value_map_value (item, i));
            zyn_value_map_put (entry, name, &copy);
        }
    }
    return entry;
}

//  --------------------------------------------------------------------------
//  The bytes item and its index entries add to its item collection

uint64_t
zyn_lsi_collection_bytes (zyn_lsi_t *self, const zyn_value_t *item)
{
    assert (self);
    if (!item)
        return 0;
    uint64_t bytes = zyn_item_size (item);
    for (size_t i = 0; i < self->size; i++) {
        s_index_t *lsi = &self->indexes [i];
        const zyn_value_t *isk = zyn_value_map_get (item, lsi->sk_name);
        if (!isk || zyn_value_type (isk) != lsi->sk_type)
            continue;
        zyn_value_t *entry = zyn_lsi_entry (self, (int) i, item);
        bytes += zyn_item_size (entry) + S_ENTRY_OVERHEAD;
        zyn_value_destroy (&entry);
    }
    return bytes;
}

//  --------------------------------------------------------------------------
//  Build the counter row of the item collection of pk

size_t
zyn_lsi_counter_row (const zyn_value_t *pk, uint8_t *buf, zyn_error_t *err)
{
    uint64_t hash;
    size_t size = zyn_keycode_item_row (buf, pk, NULL, &hash, err);
    if (size)
        buf [0] = ZYN_ROW_COLLECTION;
    return size;
}

//  --------------------------------------------------------------------------
//  DynamoDB's ItemCollectionMetrics

zyn_value_t *
zyn_lsi_metrics (const char *pk_name, const zyn_value_t *pk, uint64_t size)
{
    zyn_value_t *metrics = zyn_value_new_m ();
    zyn_value_t *key = zyn_value_new_m ();
    zyn_value_t *copy = zyn_value_dup (pk);
    zyn_value_map_put (key, pk_name, &copy);
    zyn_value_map_put (metrics, "ItemCollectionKey", &key);
    //  DynamoDB gives a range one gigabyte wide around its estimate
    int64_t low = (int64_t) (size / (1024ULL * 1024 * 1024));
    zyn_value_t *range = zyn_value_new_l ();
    zyn_value_t *bound = zyn_value_new_n_int (low);
    zyn_value_list_append (range, &bound);
    bound = zyn_value_new_n_int (low + 1);
    zyn_value_list_append (range, &bound);
    zyn_value_map_put (metrics, "SizeEstimateRangeGB", &range);
    return metrics;
}

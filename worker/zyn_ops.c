/*  =========================================================================
    zyn_ops - the operations a worker executes against one partition

    One function per operation, looked up in a static table. Each checks
    what DynamoDB checks once the table is known (the broker has already
    found the table and the partition), parses the request's expressions
    once with zyn_expr_new, and works against the partition: reads see
    staged writes, mutations are staged with their change record. The
    worker commits. Error messages are DynamoDB's.

    Local secondary indexes (zyn_lsi) are kept by zyn_partition_write;
    the writes here check their keys and the item collection limit first,
    and Query and Scan read them when the request names an IndexName.

    Known limits: no consumed capacity in responses.
    =========================================================================
*/

#include "zyn_prelude.h"
#include "zyn_error.h"
#include "zyn_expr.h"
#include "zyn_keycode.h"
#include "zyn_lsi.h"
#include "zyn_partition.h"
#include "zyn_ops.h"

#define ZYN_OPS_HASH_KEY_MAX 2048
#define ZYN_OPS_RANGE_KEY_MAX 1024

typedef zyn_value_t *(s_handler_fn) (zyn_partition_t *partition,
                                     const zyn_value_t *request,
                                     zyn_value_t **extra_p, zyn_error_t *err);

//  A located item key: the row it lives under and its key attributes
typedef struct {
    uint8_t row [ZYN_LSI_ROW_MAX];
    size_t row_size;
    uint64_t hash;
    zyn_value_t *keys;          //  Owned, map of the key attributes
} s_key_t;

//  An empty key. Not an initializer: that would zero the whole row
//  buffer (12.8 KB), 5% of a worker's time per GetItem
static void
s_key_init (s_key_t *key)
{
    key->row_size = 0;
    key->hash = 0;
    key->keys = NULL;
}

//  --------------------------------------------------------------------------
//  Check one key attribute's value as DynamoDB does: type, emptiness,
//  size. in_item selects PutItem's messages over Key's.

static int
s_check_key_value (const char *name, const zyn_value_t *value,
                   zyn_type_t type, bool is_hash, bool in_item,
                   zyn_error_t *err)
{
    if (zyn_value_type (value) != type) {
        if (in_item)
            return zyn_error_set (
                err, ZYN_ERR_VALIDATION,
                "One or more parameter values were invalid: Type mismatch "
                "for key %s expected: %s actual: %s",
                name, zyn_type_name (type),
                zyn_type_name (zyn_value_type (value)));
        return zyn_error_set (err, ZYN_ERR_VALIDATION,
                              "The provided key element does not match the "
                              "schema");
    }
    if (type != ZYN_TYPE_N && zyn_value_size (value) == 0)
        return zyn_error_set (
            err, ZYN_ERR_VALIDATION,
            "One or more parameter values are not valid. The AttributeValue "
            "for a key attribute cannot contain an empty %s value. Key: %s",
            type == ZYN_TYPE_S ? "string" : "binary", name);
    if (is_hash && zyn_value_size (value) > ZYN_OPS_HASH_KEY_MAX)
        return zyn_error_set (
            err, ZYN_ERR_VALIDATION,
            "One or more parameter values were invalid: Size of hashkey has "
            "exceeded the maximum size limit of2048 bytes");
    if (!is_hash && zyn_value_size (value) > ZYN_OPS_RANGE_KEY_MAX)
        return zyn_error_set (
            err, ZYN_ERR_VALIDATION,
            "One or more parameter values were invalid: Aggregated size of "
            "all range keys has exceeded the size limit of 1024 bytes");
    return 0;
}

//  --------------------------------------------------------------------------
//  Locate the row of pk, sk and check the fence: the key must hash into
//  the partition's range.

static int
s_key_locate (zyn_partition_t *partition, s_key_t *key,
              const zyn_value_t *pk, const zyn_value_t *sk, zyn_error_t *err)
{
    key->row_size = zyn_keycode_item_row (key->row, pk, sk, &key->hash, err);
    if (key->row_size == 0)
        return -1;
    if (!zyn_partition_owns (partition, key->hash))
        return zyn_error_set (err, ZYN_ERR_INTERNAL,
                              "key does not belong to partition %s/%" PRIu32,
                              zyn_partition_table_name (partition),
                              zyn_partition_id (partition));
    key->keys = zyn_value_new_m ();
    zyn_value_t *copy = zyn_value_dup (pk);
    zyn_value_map_put (key->keys, zyn_partition_pk_name (partition), &copy);
    if (sk) {
        copy = zyn_value_dup (sk);
        zyn_value_map_put (key->keys, zyn_partition_sk_name (partition),
                           &copy);
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Take the key of an item (PutItem)

static int
s_key_from_item (zyn_partition_t *partition, const zyn_value_t *item,
                 s_key_t *key, zyn_error_t *err)
{
    const char *pk_name = zyn_partition_pk_name (partition);
    const char *sk_name = zyn_partition_sk_name (partition);
    const zyn_value_t *pk = zyn_value_map_get (item, pk_name);
    if (!pk)
        return zyn_error_set (err, ZYN_ERR_VALIDATION,
                              "One or more parameter values were invalid: "
                              "Missing the key %s in the item",
                              pk_name);
    const zyn_value_t *sk = sk_name ? zyn_value_map_get (item, sk_name)
                                    : NULL;
    if (sk_name && !sk)
        return zyn_error_set (err, ZYN_ERR_VALIDATION,
                              "One or more parameter values were invalid: "
                              "Missing the key %s in the item",
                              sk_name);
    if (s_check_key_value (pk_name, pk, zyn_partition_pk_type (partition),
                           true, true, err))
        return -1;
    if (sk
        && s_check_key_value (sk_name, sk, zyn_partition_sk_type (partition),
                              false, true, err))
        return -1;
    return s_key_locate (partition, key, pk, sk, err);
}

//  --------------------------------------------------------------------------
//  Take a Key parameter (GetItem, DeleteItem, UpdateItem, and with a
//  prefix for ExclusiveStartKey): exactly the key attributes

static int
s_key_from_key (zyn_partition_t *partition, const zyn_value_t *map,
                s_key_t *key, const char *prefix, zyn_error_t *err)
{
    const char *pk_name = zyn_partition_pk_name (partition);
    const char *sk_name = zyn_partition_sk_name (partition);
    const zyn_value_t *pk = map && zyn_value_type (map) == ZYN_TYPE_M
                          ? zyn_value_map_get (map, pk_name) : NULL;
    const zyn_value_t *sk = pk && sk_name ? zyn_value_map_get (map, sk_name)
                                          : NULL;
    size_t expected = sk_name ? 2 : 1;
    if (!pk || (sk_name && !sk) || zyn_value_size (map) != expected)
        return zyn_error_set (err, ZYN_ERR_VALIDATION,
                              "%sThe provided key element does not match the "
                              "schema",
                              prefix);
    zyn_error_t key_err = { 0 };
    if (s_check_key_value (pk_name, pk, zyn_partition_pk_type (partition),
                           true, false, &key_err)
        || (sk
            && s_check_key_value (sk_name, sk,
                                  zyn_partition_sk_type (partition), false,
                                  false, &key_err)))
        return zyn_error_set (err, key_err.type, "%s%s", prefix,
                              key_err.message);
    return s_key_locate (partition, key, pk, sk, err);
}

//  --------------------------------------------------------------------------
//  Read an enum parameter: NULL if absent, else its text; -1 with
//  DynamoDB's constraint message if it is not one of choices

static int
s_enum_param (const zyn_value_t *request, const char *name,
              const char *member, const char *const *choices,
              const char *choice_text, const char **value, zyn_error_t *err)
{
    *value = NULL;
    const zyn_value_t *param = zyn_value_map_get (request, name);
    if (!param)
        return 0;
    if (zyn_value_type (param) != ZYN_TYPE_S)
        return zyn_error_set (err, ZYN_ERR_SERIALIZATION,
                              "Unexpected value type for %s", name);
    const char *text = zyn_value_data (param);
    for (int i = 0; choices [i]; i++)
        if (streq (choices [i], text)) {
            *value = choices [i];
            return 0;
        }
    return zyn_error_set (err, ZYN_ERR_VALIDATION,
                          "1 validation error detected: Value '%s' at '%s' "
                          "failed to satisfy constraint: Member must satisfy "
                          "enum value set: [%s]",
                          text, member, choice_text);
}

static const char *const s_return_values [] = {
    "ALL_NEW", "UPDATED_OLD", "ALL_OLD", "NONE", "UPDATED_NEW", NULL
};
#define RETURN_VALUES_TEXT "ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW"

static const char *const s_on_failure_values [] = { "ALL_OLD", "NONE",
                                                    NULL };

//  --------------------------------------------------------------------------
//  Read ReturnValues and ReturnValuesOnConditionCheckFailure; only_old
//  restricts ReturnValues to NONE and ALL_OLD (PutItem, DeleteItem)

static int
s_return_params (const zyn_value_t *request, bool only_old,
                 const char **return_values, const char **on_failure,
                 zyn_error_t *err)
{
    if (s_enum_param (request, "ReturnValues", "returnValues",
                      s_return_values, RETURN_VALUES_TEXT, return_values,
                      err))
        return -1;
    if (!*return_values)
        *return_values = "NONE";
    if (only_old && !streq (*return_values, "NONE")
        && !streq (*return_values, "ALL_OLD"))
        return zyn_error_set (err, ZYN_ERR_VALIDATION,
                              "ReturnValues can only be ALL_OLD or NONE");
    if (s_enum_param (request, "ReturnValuesOnConditionCheckFailure",
                      "returnValuesOnConditionCheckFailure",
                      s_on_failure_values, "ALL_OLD, NONE", on_failure, err))
        return -1;
    if (!*on_failure)
        *on_failure = "NONE";
    return 0;
}

//  --------------------------------------------------------------------------
//  Evaluate the condition against old; on failure fill err and, for
//  ReturnValuesOnConditionCheckFailure ALL_OLD, *extra_p

static int
s_check_condition (zyn_expr_t *expr, const zyn_value_t *old,
                   const char *on_failure, zyn_value_t **extra_p,
                   zyn_error_t *err)
{
    if (!zyn_expr_has_condition (expr))
        return 0;
    bool result = false;
    if (zyn_expr_check_condition (expr, old, &result, err))
        return -1;
    if (result)
        return 0;
    if (old && streq (on_failure, "ALL_OLD") && extra_p) {
        *extra_p = zyn_value_new_m ();
        zyn_value_t *copy = zyn_value_dup (old);
        zyn_value_map_put (*extra_p, "Item", &copy);
    }
    return zyn_error_set (err, ZYN_ERR_CONDITIONAL_CHECK_FAILED,
                          "The conditional request failed");
}

//  --------------------------------------------------------------------------
//  Put a copy of item under "Attributes" in response

static void
s_put_attributes (zyn_value_t *response, const zyn_value_t *item)
{
    if (item && zyn_value_size (item) > 0) {
        zyn_value_t *copy = zyn_value_dup (item);
        zyn_value_map_put (response, "Attributes", &copy);
    }
}

//  --------------------------------------------------------------------------
//  Fetch the Item or Key parameter as a map

static const zyn_value_t *
s_map_param (const zyn_value_t *request, const char *name,
             const char *member, zyn_error_t *err)
{
    const zyn_value_t *map = zyn_value_map_get (request, name);
    if (!map) {
        zyn_error_set (err, ZYN_ERR_VALIDATION,
                       "1 validation error detected: Value null at '%s' "
                       "failed to satisfy constraint: Member must not be "
                       "null",
                       member);
        return NULL;
    }
    if (zyn_value_type (map) != ZYN_TYPE_M) {
        zyn_error_set (err, ZYN_ERR_SERIALIZATION,
                       "Unexpected value type for %s", name);
        return NULL;
    }
    return map;
}

//  --------------------------------------------------------------------------
//  Check a write against the table's secondary indexes: the index key
//  attributes of the new item, and the item collection limit (local
//  indexes only)

static int
s_check_indexes (zyn_partition_t *partition, const zyn_value_t *keys,
                 const zyn_value_t *old, const zyn_value_t *new_item,
                 zyn_error_t *err)
{
    zyn_lsi_t *lsi = zyn_partition_lsi (partition);
    if (!zyn_lsi_checks_items (lsi))
        return 0;
    if (new_item && zyn_lsi_check_item (lsi, new_item, err))
        return -1;
    if (zyn_lsi_size (lsi) == 0)
        return 0;
    uint64_t size;
    const zyn_value_t *pk = zyn_value_map_get (
        keys, zyn_partition_pk_name (partition));
    if (zyn_partition_collection_size (partition, pk, &size, err))
        return -1;
    uint64_t removed = zyn_lsi_collection_bytes (lsi, old);
    uint64_t added = zyn_lsi_collection_bytes (lsi, new_item);
    size = size > removed ? size - removed : 0;
    if (added > removed && size + added > zyn_lsi_collection_limit (lsi))
        return zyn_error_set (err,
                              ZYN_ERR_ITEM_COLLECTION_SIZE_LIMIT_EXCEEDED,
                              "Item collection size limit exceeded");
    return 0;
}

static const char *const s_metrics_values [] = { "SIZE", "NONE", NULL };

//  --------------------------------------------------------------------------
//  Read ReturnItemCollectionMetrics: true for SIZE

static int
s_metrics_param (const zyn_value_t *request, bool *wanted, zyn_error_t *err)
{
    const char *value;
    if (s_enum_param (request, "ReturnItemCollectionMetrics",
                      "returnItemCollectionMetrics", s_metrics_values,
                      "SIZE, NONE", &value, err))
        return -1;
    *wanted = value && streq (value, "SIZE");
    return 0;
}

//  --------------------------------------------------------------------------
//  Add ItemCollectionMetrics for the collection of keys to response, if
//  wanted and the table has local secondary indexes

static void
s_put_metrics (zyn_partition_t *partition, zyn_value_t *response,
               const zyn_value_t *keys, bool wanted)
{
    if (!wanted || zyn_lsi_size (zyn_partition_lsi (partition)) == 0)
        return;
    const char *pk_name = zyn_partition_pk_name (partition);
    const zyn_value_t *pk = zyn_value_map_get (keys, pk_name);
    uint64_t size = 0;
    if (zyn_partition_collection_size (partition, pk, &size, NULL))
        return;
    zyn_value_t *metrics = zyn_lsi_metrics (pk_name, pk, size);
    zyn_value_map_put (response, "ItemCollectionMetrics", &metrics);
}

//  --------------------------------------------------------------------------
//  PutItem

static zyn_value_t *
s_put_item (zyn_partition_t *partition, const zyn_value_t *request,
            zyn_value_t **extra_p, zyn_error_t *err)
{
    s_key_t key;
    s_key_init (&key);
    zyn_expr_t *expr = NULL;
    zyn_value_t *old = NULL;
    zyn_value_t *response = NULL;
    const char *return_values, *on_failure;
    bool metrics;

    const zyn_value_t *item = s_map_param (request, "Item", "item", err);
    if (!item
        || s_return_params (request, true, &return_values, &on_failure, err)
        || s_metrics_param (request, &metrics, err)
        || zyn_value_validate (item, err) || s_key_from_item (partition, item,
                                                              &key, err))
        goto done;
    if (zyn_item_size (item) > ZYN_OPS_ITEM_MAX) {
        zyn_error_set (err, ZYN_ERR_VALIDATION,
                       "Item size has exceeded the maximum allowed size");
        goto done;
    }
    expr = zyn_expr_new ("PutItem", request, err);
    if (!expr
        || zyn_partition_read (partition, key.row, key.row_size, &old, err)
        || s_check_condition (expr, old, on_failure, extra_p, err)
        || s_check_indexes (partition, key.keys, old, item, err))
        goto done;

    //  A put that changes nothing writes no change record, as DynamoDB
    //  Streams does not
    if (!old || !zyn_value_equal (old, item))
        zyn_partition_write (partition, key.row, key.row_size, key.keys, old,
                             item);
    response = zyn_value_new_m ();
    if (streq (return_values, "ALL_OLD"))
        s_put_attributes (response, old);
    s_put_metrics (partition, response, key.keys, metrics);
done:
    zyn_value_destroy (&old);
    zyn_expr_destroy (&expr);
    zyn_value_destroy (&key.keys);
    return response;
}

//  --------------------------------------------------------------------------
//  DeleteItem

static zyn_value_t *
s_delete_item (zyn_partition_t *partition, const zyn_value_t *request,
               zyn_value_t **extra_p, zyn_error_t *err)
{
    s_key_t key;
    s_key_init (&key);
    zyn_expr_t *expr = NULL;
    zyn_value_t *old = NULL;
    zyn_value_t *response = NULL;
    const char *return_values, *on_failure;
    bool metrics;

    const zyn_value_t *key_map = s_map_param (request, "Key", "key", err);
    if (!key_map
        || s_return_params (request, true, &return_values, &on_failure, err)
        || s_metrics_param (request, &metrics, err)
        || s_key_from_key (partition, key_map, &key, "", err))
        goto done;
    expr = zyn_expr_new ("DeleteItem", request, err);
    if (!expr
        || zyn_partition_read (partition, key.row, key.row_size, &old, err)
        || s_check_condition (expr, old, on_failure, extra_p, err))
        goto done;
    if (old)
        zyn_partition_write (partition, key.row, key.row_size, key.keys, old,
                             NULL);
    response = zyn_value_new_m ();
    if (streq (return_values, "ALL_OLD"))
        s_put_attributes (response, old);
    s_put_metrics (partition, response, key.keys, metrics);
done:
    zyn_value_destroy (&old);
    zyn_expr_destroy (&expr);
    zyn_value_destroy (&key.keys);
    return response;
}

//  --------------------------------------------------------------------------
//  UpdateItem

static zyn_value_t *
s_update_item (zyn_partition_t *partition, const zyn_value_t *request,
               zyn_value_t **extra_p, zyn_error_t *err)
{
    s_key_t key;
    s_key_init (&key);
    zyn_expr_t *expr = NULL;
    zyn_value_t *old = NULL;
    zyn_value_t *new_item = NULL;
    zyn_value_t *response = NULL;
    const char *return_values, *on_failure;
    bool metrics;

    const zyn_value_t *key_map = s_map_param (request, "Key", "key", err);
    if (!key_map
        || s_return_params (request, false, &return_values, &on_failure,
                            err)
        || s_metrics_param (request, &metrics, err)
        || s_key_from_key (partition, key_map, &key, "", err))
        goto done;
    //  DynamoDB reports an update of a key attribute before it looks at
    //  the item or the condition
    expr = zyn_expr_new ("UpdateItem", request, err);
    if (!expr
        || zyn_expr_check_update_keys (
            expr, zyn_partition_key_names (partition), err)
        || zyn_partition_read (partition, key.row, key.row_size, &old, err)
        || s_check_condition (expr, old, on_failure, extra_p, err))
        goto done;
    if (!old && zyn_expr_has_update (expr) && !zyn_expr_update_creates (expr)) {
        //  An update that only removes creates no item
        response = zyn_value_new_m ();
        s_put_metrics (partition, response, key.keys, metrics);
        goto done;
    }
    if (zyn_expr_has_update (expr)) {
        new_item = zyn_expr_update (expr, old, key.keys,
                                    zyn_partition_key_names (partition),
                                    NULL, err);
        if (!new_item)
            goto done;
    }
    else
        //  Without an update, UpdateItem still creates the item from
        //  its key, as DynamoDB's does
        new_item = zyn_value_dup (old ? old : key.keys);
    if (zyn_value_validate (new_item, err))
        goto done;
    if (zyn_item_size (new_item) > ZYN_OPS_ITEM_MAX) {
        zyn_error_set (err, ZYN_ERR_VALIDATION,
                       "Item size to update has exceeded the maximum "
                       "allowed size");
        goto done;
    }
    if (s_check_indexes (partition, key.keys, old, new_item, err))
        goto done;
    response = zyn_value_new_m ();
    if (streq (return_values, "ALL_OLD"))
        s_put_attributes (response, old);
    else
    if (streq (return_values, "ALL_NEW"))
        s_put_attributes (response, new_item);
    else
    if (streq (return_values, "UPDATED_OLD")
        || streq (return_values, "UPDATED_NEW")) {
        //  Only the paths the update touched, nested as DynamoDB returns
        zyn_value_t *picked = zyn_expr_project_updated (
            expr, streq (return_values, "UPDATED_OLD") ? old : new_item);
        s_put_attributes (response, picked);
        zyn_value_destroy (&picked);
    }
    //  An update that changes nothing writes no change record
    if (!old || !zyn_value_equal (old, new_item))
        zyn_partition_write (partition, key.row, key.row_size, key.keys, old,
                             new_item);
    s_put_metrics (partition, response, key.keys, metrics);
done:
    zyn_value_destroy (&new_item);
    zyn_value_destroy (&old);
    zyn_expr_destroy (&expr);
    zyn_value_destroy (&key.keys);
    return response;
}

//  --------------------------------------------------------------------------
//  Read a BOOL parameter, default when absent

static int
s_bool_param (const zyn_value_t *request, const char *name, bool fallback,
              bool *value, zyn_error_t *err)
{
    const zyn_value_t *param = zyn_value_map_get (request, name);
    *value = fallback;
    if (!param)
        return 0;
    if (zyn_value_type (param) != ZYN_TYPE_BOOL)
        return zyn_error_set (err, ZYN_ERR_SERIALIZATION,
                              "Unexpected value type for %s", name);
    *value = zyn_value_bool (param);
    return 0;
}

//  --------------------------------------------------------------------------
//  GetItem

static zyn_value_t *
s_get_item (zyn_partition_t *partition, const zyn_value_t *request,
            zyn_value_t **extra_p, zyn_error_t *err)
{
    (void) extra_p;
    s_key_t key;
    s_key_init (&key);
    zyn_expr_t *expr = NULL;
    zyn_value_t *item = NULL;
    zyn_value_t *response = NULL;
    bool consistent;

    const zyn_value_t *key_map = s_map_param (request, "Key", "key", err);
    if (!key_map
        || s_bool_param (request, "ConsistentRead", false, &consistent, err)
        || s_key_from_key (partition, key_map, &key, "", err))
        goto done;
    expr = zyn_expr_new ("GetItem", request, err);
    if (!expr
        || zyn_partition_read (partition, key.row, key.row_size, &item, err))
        goto done;
    response = zyn_value_new_m ();
    if (item) {
        zyn_value_t *projected = zyn_expr_project (expr, item);
        zyn_value_map_put (response, "Item", &projected);
    }
done:
    zyn_value_destroy (&item);
    zyn_expr_destroy (&expr);
    zyn_value_destroy (&key.keys);
    return response;
}

//  --------------------------------------------------------------------------
//  GetItem answered as encoded bytes. Without a projection the reply is
//  the stored item spliced into {"Item": ...} as it is, the same bytes
//  s_get_item's response encodes to, without decoding the item into a
//  tree, copying and encoding it again. Returns the reply body (caller
//  frees it) or NULL with err.

static uint8_t *
s_get_item_encoded (zyn_partition_t *partition, const zyn_value_t *request,
                    size_t *size_p, zyn_error_t *err)
{
    //  fixmap of 1, fixstr "Item"
    static const uint8_t head [] = { 0x81, 0xa4, 'I', 't', 'e', 'm' };
    s_key_t key;
    s_key_init (&key);
    zyn_expr_t *expr = NULL;
    uint8_t *data = NULL;
    zyn_value_t *item = NULL;
    zyn_value_t *response = NULL;
    size_t item_size = 0;
    bool consistent;

    const zyn_value_t *key_map = s_map_param (request, "Key", "key", err);
    if (!key_map
        || s_bool_param (request, "ConsistentRead", false, &consistent, err)
        || s_key_from_key (partition, key_map, &key, "", err))
        goto done;
    expr = zyn_expr_new ("GetItem", request, err);
    if (!expr)
        goto done;
    if (!zyn_expr_has_projection (expr)) {
        if (zyn_partition_read_raw (partition, key.row, key.row_size,
                                    sizeof (head), &data, &item_size, err))
            goto done;
        if (!data) {
            data = (uint8_t *) zmalloc (1);
            data [0] = 0x80;    //  fixmap of 0: {}
            *size_p = 1;
            goto done;
        }
        //  A stored item is a map; anything else takes the decoding path
        //  below, which reports the corruption
        uint8_t tag = item_size > 0 ? data [sizeof (head)] : 0;
        if ((tag & 0xf0) == 0x80 || tag == 0xde || tag == 0xdf) {
            memcpy (data, head, sizeof (head));
            *size_p = sizeof (head) + item_size;
            goto done;
        }
        free (data);
        data = NULL;
    }
    if (zyn_partition_read (partition, key.row, key.row_size, &item, err))
        goto done;
    response = zyn_value_new_m ();
    if (item) {
        zyn_value_t *projected = zyn_expr_project (expr, item);
        zyn_value_map_put (response, "Item", &projected);
    }
    data = (uint8_t *) zyn_value_encode (response, size_p);
done:
    zyn_value_destroy (&response);
    zyn_value_destroy (&item);
    zyn_expr_destroy (&expr);
    zyn_value_destroy (&key.keys);
    return data;
}

//  --------------------------------------------------------------------------
//  A page of Query or Scan results being gathered

typedef struct {
    zyn_partition_t *partition; //  Borrowed
    zyn_expr_t *expr;           //  Borrowed
    bool count_only;            //  Select COUNT
    int64_t limit;              //  Items to read, 0 for no limit
    size_t byte_cap;            //  Stop after the item crossing this
    size_t bytes;               //  Item bytes read so far
    int64_t scanned;
    int64_t count;
    zyn_value_t *items;         //  Owned, list
    zyn_value_t *last_key;      //  Owned, key of the last item read
    bool stopped;               //  Limit or byte cap reached
    int index;                  //  Local secondary index read, or -1
    bool fetch_base;            //  Read the base item of each entry
    bool all_attributes;        //  Select ALL_ATTRIBUTES on an index
} s_page_t;

static const char *const s_select_values [] = {
    "ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES", "SPECIFIC_ATTRIBUTES",
    "COUNT", NULL
};

//  --------------------------------------------------------------------------
//  Read the paging parameters shared by Query and Scan

static int
s_page_init (s_page_t *page, zyn_partition_t *partition, zyn_expr_t *expr,
             const zyn_value_t *request, bool is_query, int index,
             zyn_error_t *err)
{
    memset (page, 0, sizeof (*page));
    page->partition = partition;
    page->expr = expr;
    page->index = index;
    page->byte_cap = ZYN_OPS_PAGE_MAX;
    const zyn_value_t *param = zyn_value_map_get (request, "Limit");
    if (param) {
        if (zyn_value_map_get_int (request, "Limit", &page->limit))
            return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                  "1 validation error detected: Value '%s' "
                                  "at 'limit' failed to satisfy constraint: "
                                  "Member must have value greater than or "
                                  "equal to 1",
                                  zyn_value_data (param)
                                      ? zyn_value_data (param) : "?");
        if (page->limit < 1)
            return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                  "1 validation error detected: Value '%"
                                  PRId64 "' at 'limit' failed to satisfy "
                                  "constraint: Member must have value "
                                  "greater than or equal to 1",
                                  page->limit);
    }
    int64_t page_bytes;
    if (zyn_value_map_get (request, "ZynPageBytes")
        && zyn_value_map_get_int (request, "ZynPageBytes", &page_bytes) == 0
        && page_bytes > 0 && page_bytes < ZYN_OPS_PAGE_MAX)
        page->byte_cap = (size_t) page_bytes;

    const char *select;
    if (s_enum_param (request, "Select", "select", s_select_values,
                      "SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, "
                      "ALL_PROJECTED_ATTRIBUTES",
                      &select, err))
        return -1;
    if (select && streq (select, "ALL_PROJECTED_ATTRIBUTES") && index < 0)
        return zyn_error_set (err, ZYN_ERR_VALIDATION,
                              "ALL_PROJECTED_ATTRIBUTES can be used only "
                              "when Querying using an IndexName");
    if (select && zyn_expr_has_projection (expr)
        && !streq (select, "SPECIFIC_ATTRIBUTES"))
        return zyn_error_set (
            err, ZYN_ERR_VALIDATION,
            "Cannot specify the %s when choosing to get %s",
            zyn_value_map_get (request, "AttributesToGet")
                ? "AttributesToGet" : "ProjectionExpression",
            select);
    //  DynamoDB words this one with the envelope on Query only
    if (select && streq (select, "SPECIFIC_ATTRIBUTES")
        && !zyn_expr_has_projection (expr))
        return zyn_error_set (err, ZYN_ERR_VALIDATION,
                              "%sMust specify the AttributesToGet or "
                              "ProjectionExpression when choosing to get "
                              "SPECIFIC_ATTRIBUTES",
                              is_query ? "1 validation error detected: "
                                       : "");
    page->count_only = select && streq (select, "COUNT");
    page->items = zyn_value_new_l ();
    if (index >= 0) {
        //  An index holding less than the item reads the rest from the
        //  base item, as DynamoDB does for local indexes
        zyn_lsi_t *lsi = zyn_partition_lsi (partition);
        page->all_attributes = select && streq (select, "ALL_ATTRIBUTES");
        const char **names = zyn_expr_has_projection (expr)
                               ? zyn_expr_projected_names (expr) : NULL;
        bool outside = false;
        for (size_t i = 0; names && names [i]; i++)
            if (!zyn_lsi_projects (lsi, index, names [i]))
                outside = true;
        page->fetch_base = !zyn_lsi_projects_all (lsi, index)
                        && (page->all_attributes || outside
                            || zyn_expr_has_filter (expr));
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Read the base item of an index entry into *base_p (NULL if it is gone)

static int
s_page_fetch_base (s_page_t *page, const zyn_value_t *entry,
                   zyn_value_t **base_p, zyn_error_t *err)
{
    zyn_partition_t *partition = page->partition;
    const zyn_value_t *pk = zyn_value_map_get (
        entry, zyn_partition_pk_name (partition));
    const zyn_value_t *sk = zyn_value_map_get (
        entry, zyn_partition_sk_name (partition));
    uint8_t row [ZYN_KEYCODE_MAX];
    uint64_t hash;
    size_t row_size = pk && sk ? zyn_keycode_item_row (row, pk, sk, &hash,
                                                       err)
                               : 0;
    if (row_size == 0)
        return zyn_error_set (err, ZYN_ERR_INTERNAL,
                              "stored index entry has no table key");
    return zyn_partition_read (partition, row, row_size, base_p, err);
}

//  --------------------------------------------------------------------------
//  Take one item row into the page: count it, filter, project. Returns 0,
//  or -1 with err. Sets page->stopped when the page is full.

static int
s_page_add (s_page_t *page, const uint8_t *data, size_t size,
            zyn_error_t *err)
{
    zyn_error_t decode_err = { 0 };
    zyn_value_t *item = zyn_value_decode (data, size, &decode_err);
    if (!item)
        return zyn_error_set (err, ZYN_ERR_INTERNAL,
                              "stored item is corrupt: %s",
                              decode_err.message);
    page->scanned++;
    page->bytes += zyn_item_size (item);
    zyn_value_t *base = NULL;
    if (page->fetch_base && s_page_fetch_base (page, item, &base, err)) {
        zyn_value_destroy (&item);
        return -1;
    }
    const zyn_value_t *full = base ? base : item;
    bool keep = true;
    if (zyn_expr_has_filter (page->expr)
        && zyn_expr_check_filter (page->expr, full, &keep, err)) {
        zyn_value_destroy (&base);
        zyn_value_destroy (&item);
        return -1;
    }
    if (keep) {
        page->count++;
        if (!page->count_only) {
            zyn_value_t *projected
                = page->all_attributes ? zyn_value_dup (full)
                : zyn_expr_has_projection (page->expr)
                    ? zyn_expr_project (page->expr, full)
                    : zyn_value_dup (item);
            zyn_value_list_append (page->items, &projected);
        }
    }
    zyn_value_destroy (&base);
    zyn_value_destroy (&page->last_key);
    page->last_key = zyn_value_new_m ();
    //  An index page resumes from the index key and the table key
    const char *names [] = {
        zyn_partition_pk_name (page->partition),
        zyn_partition_sk_name (page->partition),
        page->index >= 0 ? zyn_lsi_sk_name (zyn_partition_lsi (page->partition),
                                            page->index)
                         : NULL
    };
    for (int i = 0; i < 3; i++) {
        const zyn_value_t *value = names [i] ? zyn_value_map_get (item,
                                                                  names [i])
                                             : NULL;
        if (value) {
            zyn_value_t *copy = zyn_value_dup (value);
            zyn_value_map_put (page->last_key, names [i], &copy);
        }
    }
    zyn_value_destroy (&item);
    //  DynamoDB stops after the item that reaches Limit or crosses the
    //  1 MB of data read, and says where with LastEvaluatedKey
    if ((page->limit && page->scanned >= page->limit)
        || page->bytes >= page->byte_cap)
        page->stopped = true;
    return 0;
}

//  --------------------------------------------------------------------------
//  The response of a finished page; destroys its parts

static zyn_value_t *
s_page_response (s_page_t *page)
{
    zyn_value_t *response = zyn_value_new_m ();
    if (!page->count_only)
        zyn_value_map_put (response, "Items", &page->items);
    zyn_value_map_put_int (response, "Count", page->count);
    zyn_value_map_put_int (response, "ScannedCount", page->scanned);
    if (page->stopped && page->last_key)
        zyn_value_map_put (response, "LastEvaluatedKey", &page->last_key);
    zyn_value_destroy (&page->items);
    zyn_value_destroy (&page->last_key);
    return response;
}

static void
s_page_destroy (s_page_t *page)
{
    zyn_value_destroy (&page->items);
    zyn_value_destroy (&page->last_key);
}

//  --------------------------------------------------------------------------
//  Where a sort key value lies against the key condition: -1 before the
//  matching range, 0 in it, +1 after it (in ascending order)

static int
s_sk_position (const zyn_key_condition_t *cond, const zyn_value_t *sk)
{
    if (cond->sk_op == ZYN_SK_NONE)
        return 0;
    if (!sk || zyn_value_type (sk) != zyn_value_type (cond->sk1))
        return 1;
    int cmp = zyn_value_compare (sk, cond->sk1);
    switch (cond->sk_op) {
        case ZYN_SK_EQ:
            return cmp < 0 ? -1 : cmp > 0 ? 1 : 0;
        case ZYN_SK_LT:
            return cmp < 0 ? 0 : 1;
        case ZYN_SK_LE:
            return cmp <= 0 ? 0 : 1;
        case ZYN_SK_GT:
            return cmp <= 0 ? -1 : 0;
        case ZYN_SK_GE:
            return cmp < 0 ? -1 : 0;
        case ZYN_SK_BETWEEN:
            if (cmp < 0)
                return -1;
            return zyn_value_compare (sk, cond->sk2) > 0 ? 1 : 0;
        case ZYN_SK_BEGINS_WITH: {
            size_t prefix = zyn_value_size (cond->sk1);
            if (zyn_value_size (sk) >= prefix
                && memcmp (zyn_value_data (sk), zyn_value_data (cond->sk1),
                           prefix)
                       == 0)
                return 0;
            return cmp < 0 ? -1 : 1;
        }
        default:
            return 1;
    }
}

//  --------------------------------------------------------------------------
//  Turn buf[0..*size) into the smallest key greater than every key it
//  prefixes

static void
s_prefix_successor (uint8_t *buf, size_t *size)
{
    while (*size > 0 && buf [*size - 1] == 0xff)
        (*size)--;
    if (*size > 0)
        buf [*size - 1]++;
}

//  --------------------------------------------------------------------------
//  Check that a key condition operand has the key's declared type

static int
s_check_operand (const zyn_value_t *value, zyn_type_t type, zyn_error_t *err)
{
    if (value && zyn_value_type (value) != type)
        return zyn_error_set (err, ZYN_ERR_VALIDATION,
                              "One or more parameter values were invalid: "
                              "Condition parameter type does not match "
                              "schema type");
    return 0;
}

//  --------------------------------------------------------------------------
//  Find the local secondary index the request names (IndexName): its
//  number in *index, -1 when the request names none

static int
s_index_param (zyn_partition_t *partition, const zyn_value_t *request,
               int *index, zyn_error_t *err)
{
    *index = -1;
    const zyn_value_t *param = zyn_value_map_get (request, "IndexName");
    if (!param)
        return 0;
    if (zyn_value_type (param) != ZYN_TYPE_S)
        return zyn_error_set (err, ZYN_ERR_SERIALIZATION,
                              "Unexpected value type for IndexName");
    *index = zyn_lsi_find (zyn_partition_lsi (partition),
                           zyn_value_data (param));
    if (*index < 0)
        return zyn_error_set (err, ZYN_ERR_VALIDATION,
                              "The table does not have the specified index: "
                              "%s",
                              zyn_value_data (param));
    return 0;
}

//  --------------------------------------------------------------------------
//  The row an index read resumes after: ExclusiveStartKey holds the table
//  key and the index key, as DynamoDB's LastEvaluatedKey of an index

static int
s_index_start (zyn_partition_t *partition, int index,
               const zyn_value_t *map, uint8_t *row, size_t *row_size,
               zyn_error_t *err)
{
    zyn_lsi_t *lsi = zyn_partition_lsi (partition);
    const char *names [3] = { zyn_partition_pk_name (partition),
                              zyn_lsi_sk_name (lsi, index),
                              zyn_partition_sk_name (partition) };
    zyn_type_t types [3] = { zyn_partition_pk_type (partition),
                             zyn_lsi_sk_type (lsi, index),
                             zyn_partition_sk_type (partition) };
    const zyn_value_t *values [3] = { NULL, NULL, NULL };
    for (int i = 0; i < 3; i++) {
        values [i] = map && zyn_value_type (map) == ZYN_TYPE_M
                   ? zyn_value_map_get (map, names [i]) : NULL;
        if (!values [i] || zyn_value_type (values [i]) != types [i])
            return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                  "The provided starting key is invalid: The "
                                  "provided key element does not match the "
                                  "schema");
    }
    uint64_t hash;
    zyn_error_t key_err = { 0 };
    *row_size = zyn_lsi_row_prefix (lsi, index, values [0], values [1],
                                    values [2], row, &hash, &key_err);
    if (*row_size == 0)
        return zyn_error_set (err, ZYN_ERR_VALIDATION,
                              "The provided starting key is invalid: %s",
                              key_err.message);
    return 0;
}

//  --------------------------------------------------------------------------
//  Query: one range scan of the item collection of one partition key, in
//  the table's item rows or in one local secondary index's rows

static zyn_value_t *
s_query (zyn_partition_t *partition, const zyn_value_t *request,
         zyn_value_t **extra_p, zyn_error_t *err)
{
    (void) extra_p;
    zyn_expr_t *expr = NULL;
    zyn_partition_iter_t *iter = NULL;
    zyn_value_t *response = NULL;
    s_page_t page = { .items = NULL };
    s_key_t start;
    s_key_init (&start);
    bool forward, consistent;
    zyn_key_condition_t cond;
    int index;
    zyn_lsi_t *lsi = zyn_partition_lsi (partition);

    if (s_index_param (partition, request, &index, err)
        || s_bool_param (request, "ScanIndexForward", true, &forward, err)
        || s_bool_param (request, "ConsistentRead", false, &consistent, err))
        goto done;
    const char *sk_name = index >= 0 ? zyn_lsi_sk_name (lsi, index)
                                     : zyn_partition_sk_name (partition);
    zyn_type_t sk_type = index >= 0 ? zyn_lsi_sk_type (lsi, index)
                                    : zyn_partition_sk_type (partition);
    expr = zyn_expr_new ("Query", request, err);
    if (!expr
        || zyn_expr_key_condition (expr, zyn_partition_pk_name (partition),
                                   sk_name, &cond, err)
        || zyn_expr_check_filter_keys (expr, zyn_partition_pk_name (partition),
                                       sk_name, err)
        || s_check_operand (cond.pk, zyn_partition_pk_type (partition), err)
        || s_check_operand (cond.sk1, sk_type, err)
        || s_check_operand (cond.sk2, sk_type, err)
        || s_check_key_value (zyn_partition_pk_name (partition), cond.pk,
                              zyn_partition_pk_type (partition), true, false,
                              err)
        || s_page_init (&page, partition, expr, request, true, index, err))
        goto done;

    //  The collection's rows all start with 'i' | hash | enc(pk), or in
    //  an index with 'l' | index | hash | enc(pk)
    uint8_t prefix [ZYN_LSI_ROW_MAX];
    uint64_t hash;
    size_t prefix_size
        = index >= 0 ? zyn_lsi_row_prefix (lsi, index, cond.pk, NULL, NULL,
                                           prefix, &hash, err)
                     : zyn_keycode_item_row (prefix, cond.pk, NULL, &hash,
                                             err);
    if (prefix_size == 0)
        goto done;
    if (!zyn_partition_owns (partition, hash)) {
        zyn_error_set (err, ZYN_ERR_INTERNAL,
                       "key does not belong to partition %s/%" PRIu32,
                       zyn_partition_table_name (partition),
                       zyn_partition_id (partition));
        goto done;
    }
    uint8_t start_row [ZYN_LSI_ROW_MAX];
    size_t start_size = 0;
    const zyn_value_t *start_key = zyn_value_map_get (request,
                                                      "ExclusiveStartKey");
    if (start_key && index >= 0
        && s_index_start (partition, index, start_key, start_row,
                          &start_size, err))
        goto done;
    if (start_key && index < 0) {
        if (s_key_from_key (partition, start_key, &start,
                            "The provided starting key is invalid: ", err))
            goto done;
        memcpy (start_row, start.row, start.row_size);
        start_size = start.row_size;
    }

    //  Position: after the start key if there is one, else at the
    //  condition's bound nearest the direction's start
    uint8_t seek [ZYN_LSI_ROW_MAX];
    size_t seek_size = 0;
    const zyn_value_t *bound = NULL;
    if (forward && (cond.sk_op == ZYN_SK_EQ || cond.sk_op == ZYN_SK_GT
                    || cond.sk_op == ZYN_SK_GE || cond.sk_op == ZYN_SK_BETWEEN
                    || cond.sk_op == ZYN_SK_BEGINS_WITH))
        bound = cond.sk1;
    else
    if (!forward && (cond.sk_op == ZYN_SK_EQ || cond.sk_op == ZYN_SK_LT
                     || cond.sk_op == ZYN_SK_LE))
        bound = cond.sk1;
    else
    if (!forward && cond.sk_op == ZYN_SK_BETWEEN)
        bound = cond.sk2;
    if (start_key) {
        memcpy (seek, start_row, start_size);
        seek_size = start_size;
    }
    else
    if (bound) {
        zyn_error_t bound_err = { 0 };
        seek_size = index >= 0
                  ? zyn_lsi_row_prefix (lsi, index, cond.pk, bound, NULL,
                                        seek, &hash, &bound_err)
                  : zyn_keycode_item_row (seek, cond.pk, bound, &hash,
                                          &bound_err);
        if (seek_size && !forward)
            //  Past every key whose sort key is <= bound: an index row
            //  goes on with the table's sort key after enc(bound)
            s_prefix_successor (seek, &seek_size);
    }
    if (seek_size == 0) {
        memcpy (seek, prefix, prefix_size);
        seek_size = prefix_size;
        if (!forward)
            s_prefix_successor (seek, &seek_size);
    }
    iter = zyn_partition_iter_new (partition);
    bool valid = zyn_partition_iter_seek (iter, seek, seek_size, !forward);
    if (valid && start_key && forward) {
        size_t size;
        const uint8_t *row = zyn_partition_iter_key (iter, &size);
        if (size == start_size && memcmp (row, start_row, size) == 0)
            valid = zyn_partition_iter_step (iter, true);
    }
    while (valid && !page.stopped) {
        size_t row_size, size;
        const uint8_t *row = zyn_partition_iter_key (iter, &row_size);
        if (row_size < prefix_size || memcmp (row, prefix, prefix_size) != 0)
            break;
        const uint8_t *data = zyn_partition_iter_value (iter, &size);
        int position = 0;
        if (cond.sk_op != ZYN_SK_NONE) {
            //  Read the sort key from the row, not the item: cheaper
            size_t used;
            zyn_value_t *sk = zyn_keycode_decode (sk_type, row + prefix_size,
                                                  row_size - prefix_size,
                                                  &used);
            position = sk ? s_sk_position (&cond, sk) : forward ? -1 : 1;
            zyn_value_destroy (&sk);
        }
        if (position == 0) {
            if (s_page_add (&page, data, size, err))
                goto done;
        }
        else
        if ((forward && position > 0) || (!forward && position < 0))
            break;
        valid = zyn_partition_iter_step (iter, forward);
    }
    response = s_page_response (&page);
done:
    s_page_destroy (&page);
    zyn_partition_iter_destroy (&iter);
    zyn_value_destroy (&start.keys);
    zyn_expr_destroy (&expr);
    return response;
}

//  --------------------------------------------------------------------------
//  Read an optional 8-octet hash bound (ZynHashStart, ZynHashEnd)

static int
s_hash_param (const zyn_value_t *request, const char *name, uint64_t *hash,
              zyn_error_t *err)
{
    const zyn_value_t *param = zyn_value_map_get (request, name);
    if (!param)
        return 0;
    if (zyn_value_type (param) != ZYN_TYPE_B || zyn_value_size (param) != 8)
        return zyn_error_set (err, ZYN_ERR_VALIDATION,
                              "%s must be 8 octets", name);
    *hash = zyn_get_u64 ((const uint8_t *) zyn_value_data (param));
    return 0;
}

//  --------------------------------------------------------------------------
//  Scan: the partition's item rows in hash order, within the hash range
//  the broker asks for (a parallel Scan segment)

static zyn_value_t *
s_scan (zyn_partition_t *partition, const zyn_value_t *request,
        zyn_value_t **extra_p, zyn_error_t *err)
{
    (void) extra_p;
    zyn_expr_t *expr = NULL;
    zyn_partition_iter_t *iter = NULL;
    zyn_value_t *response = NULL;
    s_page_t page = { .items = NULL };
    s_key_t start;
    s_key_init (&start);
    bool consistent;
    uint64_t hash_start = zyn_partition_hash_start (partition);
    uint64_t hash_end = zyn_partition_hash_end (partition);
    uint64_t segment_start = 0, segment_end = UINT64_MAX;
    int index;

    if (s_index_param (partition, request, &index, err)
        || s_bool_param (request, "ConsistentRead", false, &consistent, err)
        || s_hash_param (request, "ZynHashStart", &segment_start, err)
        || s_hash_param (request, "ZynHashEnd", &segment_end, err))
        goto done;
    expr = zyn_expr_new ("Scan", request, err);
    if (!expr
        || s_page_init (&page, partition, expr, request, false, index, err))
        goto done;
    if (segment_start > hash_start)
        hash_start = segment_start;
    if (segment_end < hash_end)
        hash_end = segment_end;

    //  Item rows are 'i' | hash | ..., an index's 'l' | index | hash | ...
    uint8_t head [2] = { ZYN_ROW_ITEM, 0 };
    size_t head_size = 1;
    if (index >= 0) {
        head [0] = ZYN_ROW_LSI;
        head [1] = (uint8_t) index;
        head_size = 2;
    }
    const zyn_value_t *start_key = zyn_value_map_get (request,
                                                      "ExclusiveStartKey");
    if (start_key && index >= 0) {
        if (s_index_start (partition, index, start_key, start.row,
                           &start.row_size, err))
            goto done;
    }
    else
    if (start_key) {
        //  The start key may lie outside this partition (the broker
        //  resumes a Scan by key): locate it without the fence
        zyn_error_t start_err = { 0 };
        if (s_key_from_key (partition, start_key, &start,
                            "The provided starting key is invalid: ",
                            &start_err)
            && start_err.type != ZYN_ERR_INTERNAL) {
            *err = start_err;
            goto done;
        }
        if (start_err.type == ZYN_ERR_INTERNAL)
            zyn_value_destroy (&start.keys);
    }
    uint8_t seek [ZYN_LSI_ROW_MAX];
    size_t seek_size = head_size + 8;
    memcpy (seek, head, head_size);
    zyn_put_u64 (seek + head_size, hash_start);
    bool skip_equal = false;
    if (start_key && start.row_size
        && memcmp (start.row, seek, seek_size) >= 0) {
        memcpy (seek, start.row, start.row_size);
        seek_size = start.row_size;
        skip_equal = true;
    }
    iter = zyn_partition_iter_new (partition);
    bool valid = hash_start <= hash_end
              && zyn_partition_iter_seek (iter, seek, seek_size, false);
    if (valid && skip_equal) {
        size_t size;
        const uint8_t *row = zyn_partition_iter_key (iter, &size);
        if (size == seek_size && memcmp (row, seek, size) == 0)
            valid = zyn_partition_iter_step (iter, true);
    }
    while (valid && !page.stopped) {
        size_t row_size, size;
        const uint8_t *row = zyn_partition_iter_key (iter, &row_size);
        if (row_size < head_size + 8 || memcmp (row, head, head_size) != 0
            || zyn_get_u64 (row + head_size) > hash_end)
            break;
        const uint8_t *data = zyn_partition_iter_value (iter, &size);
        if (s_page_add (&page, data, size, err))
            goto done;
        valid = zyn_partition_iter_step (iter, true);
    }
    response = s_page_response (&page);
done:
    s_page_destroy (&page);
    zyn_partition_iter_destroy (&iter);
    zyn_value_destroy (&start.keys);
    zyn_expr_destroy (&expr);
    return response;
}

//  --------------------------------------------------------------------------
//  ZynGetStreamRecords: read the change log from a sequence number, at
//  most Limit records and about 1 MB of them, as DynamoDB Streams'
//  GetRecords; the caller continues after the last record it got

static zyn_value_t *
s_get_stream_records (zyn_partition_t *partition, const zyn_value_t *request,
                      zyn_value_t **extra_p, zyn_error_t *err)
{
    (void) extra_p;
    int64_t start = 1;
    int64_t limit = ZYN_OPS_RECORDS_MAX;
    if (zyn_value_map_get (request, "StartSequenceNumber")
        && (zyn_value_map_get_int (request, "StartSequenceNumber", &start)
            || start < 0)) {
        zyn_error_set (err, ZYN_ERR_VALIDATION,
                       "StartSequenceNumber must be a sequence number");
        return NULL;
    }
    if (zyn_value_map_get (request, "Limit")
        && (zyn_value_map_get_int (request, "Limit", &limit) || limit < 1)) {
        zyn_error_set (err, ZYN_ERR_VALIDATION,
                       "1 validation error detected: Value at 'limit' failed "
                       "to satisfy constraint: Member must have value "
                       "greater than or equal to 1");
        return NULL;
    }
    if (limit > ZYN_OPS_RECORDS_MAX)
        limit = ZYN_OPS_RECORDS_MAX;
    if (start < 1)
        start = 1;
    zyn_value_t *records = zyn_partition_read_records (
        partition, (uint64_t) start, (size_t) limit, ZYN_OPS_PAGE_MAX, err);
    if (!records)
        return NULL;
    zyn_value_t *response = zyn_value_new_m ();
    zyn_value_map_put (response, "Records", &records);
    zyn_value_map_put_int (response, "LastSequenceNumber",
                           (int64_t) zyn_partition_last_seq (partition));
    //  What the retention window has not trimmed yet starts here
    zyn_value_map_put_int (response, "OldestSequenceNumber",
                           (int64_t) zyn_partition_first_seq (partition));
    return response;
}

//  --------------------------------------------------------------------------
//  The operation table

typedef struct {
    const char *name;
    s_handler_fn *handler;
    bool needs_commit;          //  Iterates committed rows
} s_operation_t;

static const s_operation_t s_operations [] = {
    { "PutItem", s_put_item, false },
    { "GetItem", s_get_item, false },
    { "DeleteItem", s_delete_item, false },
    { "UpdateItem", s_update_item, false },
    { "Query", s_query, true },
    { "Scan", s_scan, true },
    { "ZynGetStreamRecords", s_get_stream_records, false },
    { NULL, NULL, false }
};

static const s_operation_t *
s_operation_find (const char *name)
{
    for (const s_operation_t *op = s_operations; op->name; op++)
        if (streq (op->name, name))
            return op;
    return NULL;
}

//  --------------------------------------------------------------------------
//  True if the worker executes operation

bool
zyn_ops_is_known (const char *operation)
{
    return operation && s_operation_find (operation) != NULL;
}

//  --------------------------------------------------------------------------
//  True if operation reads committed rows only

bool
zyn_ops_needs_commit (const char *operation)
{
    const s_operation_t *op = operation ? s_operation_find (operation)
                                        : NULL;
    return op && op->needs_commit;
}

//  --------------------------------------------------------------------------
//  Execute operation with request against partition

zyn_value_t *
zyn_ops_execute (zyn_partition_t *partition, const char *operation,
                 const zyn_value_t *request, zyn_value_t **extra_p,
                 zyn_error_t *err)
{
    assert (partition);
    assert (operation);
    if (extra_p)
        *extra_p = NULL;
    const s_operation_t *op = s_operation_find (operation);
    if (!op) {
        zyn_error_set (err, ZYN_ERR_UNKNOWN_OPERATION,
                       "Unknown operation %s", operation);
        return NULL;
    }
    if (!request || zyn_value_type (request) != ZYN_TYPE_M) {
        zyn_error_set (err, ZYN_ERR_SERIALIZATION,
                       "Request body must be a map");
        return NULL;
    }
    zyn_error_t local = { 0 };
    zyn_value_t *response = op->handler (partition, request, extra_p,
                                         &local);
    if (!response) {
        if (local.type == ZYN_ERR_NONE)
            zyn_error_set (&local, ZYN_ERR_INTERNAL,
                           "%s failed without a reason", operation);
        if (err)
            *err = local;
    }
    return response;
}

//  --------------------------------------------------------------------------
//  Execute operation and return the response encoded

void *
zyn_ops_execute_encoded (zyn_partition_t *partition, const char *operation,
                         const zyn_value_t *request, size_t *size_p,
                         zyn_value_t **extra_p, zyn_error_t *err)
{
    assert (partition);
    assert (operation);
    assert (size_p);
    *size_p = 0;
    if (extra_p)
        *extra_p = NULL;
    if (streq (operation, "GetItem")
        && request && zyn_value_type (request) == ZYN_TYPE_M) {
        zyn_error_t local = { 0 };
        void *data = s_get_item_encoded (partition, request, size_p, &local);
        if (!data) {
            if (local.type == ZYN_ERR_NONE)
                zyn_error_set (&local, ZYN_ERR_INTERNAL,
                               "%s failed without a reason", operation);
            if (err)
                *err = local;
        }
        return data;
    }
    zyn_value_t *response = zyn_ops_execute (partition, operation, request,
                                             extra_p, err);
    if (!response)
        return NULL;
    void *data = zyn_value_encode (response, size_p);
    zyn_value_destroy (&response);
    return data;
}

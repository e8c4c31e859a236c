/*  =========================================================================
    zyn_scatter - requests the broker splits over partitions and gathers

    Limits: a worker MUST return LastEvaluatedKey whenever it stops because
    of Limit or ZynPageBytes (docs/protocol.md, "Scan"); the walk relies on
    it to hand the client a key to resume from.
    =========================================================================
*/

#include "zyn_prelude.h"
#include "zyn_error.h"
#include "zyn_router.h"
#include "zyn_keycode.h"
#include "zyn_proto.h"
#include "zyn_scatter.h"

struct zyn_scan {
    zyn_value_t *request;       //  Owned, the client's request
    int64_t limit;              //  Client's Limit, -1 if none
    int64_t bytes_left;         //  Of the 1 MB page
    bool segmented;             //  Parallel scan
    uint64_t segment_start;     //  Hash range of the segment, inclusive
    uint64_t segment_end;
    uint32_t index;             //  Next partition (into table->partitions)
    bool started;               //  Index was set from the start key
    bool first;                 //  Next sub-request is the first
    bool done;
    bool count_only;            //  Select COUNT: no Items
    zyn_value_t *items;         //  Owned, gathered Items
    int64_t count;
    int64_t scanned_count;
    zyn_value_t *last_key;      //  Owned, LastEvaluatedKey or NULL
};

static int
s_constraint (zyn_error_t *err, const zyn_value_t *value, const char *path,
              const char *rule)
{
    return zyn_error_set (err, ZYN_ERR_VALIDATION,
                          "1 validation error detected: Value '%s' at '%s' "
                          "failed to satisfy constraint: %s",
                          zyn_value_data (value), path, rule);
}

//  Read an integer parameter; 1 if absent, 0 if read, -1 with err
static int
s_get_integer (const zyn_value_t *request, const char *name, int64_t *number,
               zyn_error_t *err)
{
    zyn_value_t *value = zyn_value_map_get (request, name);
    if (!value || zyn_value_type (value) == ZYN_TYPE_NULL)
        return 1;
    if (zyn_value_type (value) != ZYN_TYPE_N)
        return zyn_error_set (err, ZYN_ERR_SERIALIZATION,
                              "class java.lang.%s can not be converted to an "
                              "Integer",
                              zyn_value_type (value) == ZYN_TYPE_S ? "String"
                              : "Object");
    if (zyn_value_map_get_int (request, name, number)) {
        //  Out of int64 range or not an integer: clamp so that the range
        //  checks below report it
        const char *text = zyn_value_data (value);
        *number = text [0] == '-' ? INT64_MIN : INT64_MAX;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Check a Scan request and plan the walk

zyn_scan_t *
zyn_scan_new (zyn_table_t *table, zyn_value_t **request_p, zyn_error_t *err)
{
    assert (table);
    assert (request_p);
    zyn_scan_t *self = (zyn_scan_t *) zmalloc (sizeof (zyn_scan_t));
    self->request = *request_p;
    *request_p = NULL;
    self->limit = -1;
    self->bytes_left = ZYN_SCAN_PAGE_BYTES;
    self->segment_end = UINT64_MAX;
    self->first = true;
    self->items = zyn_value_new_l ();
    zyn_value_t *request = self->request;

    int64_t limit = 0, segment = 0, total = 0;
    int has_limit = s_get_integer (request, "Limit", &limit, err);
    int has_segment = has_limit < 0
                    ? -1 : s_get_integer (request, "Segment", &segment, err);
    int has_total = has_segment < 0
                  ? -1 : s_get_integer (request, "TotalSegments", &total, err);
    if (has_total < 0)
        goto failed;
    if (has_limit == 0 && limit < 1) {
        s_constraint (err, zyn_value_map_get (request, "Limit"), "limit",
                      "Member must have value greater than or equal to 1");
        goto failed;
    }
    if (has_segment == 0 && segment < 0) {
        s_constraint (err, zyn_value_map_get (request, "Segment"), "segment",
                      "Member must have value greater than or equal to 0");
        goto failed;
    }
    if (has_segment == 0 && segment > 999999) {
        s_constraint (err, zyn_value_map_get (request, "Segment"), "segment",
                      "Member must have value less than or equal to 999999");
        goto failed;
    }
    if (has_total == 0 && total < 1) {
        s_constraint (err, zyn_value_map_get (request, "TotalSegments"),
                      "totalSegments",
                      "Member must have value greater than or equal to 1");
        goto failed;
    }
    if (has_total == 0 && total > 1000000) {
        s_constraint (err, zyn_value_map_get (request, "TotalSegments"),
                      "totalSegments",
                      "Member must have value less than or equal to "
                      "1000000");
        goto failed;
    }
    if (has_segment == 0 && has_total != 0) {
        zyn_error_set (err, ZYN_ERR_VALIDATION,
                       "The TotalSegments parameter is required but was not "
                       "provided");
        goto failed;
    }
    if (has_total == 0 && has_segment != 0) {
        zyn_error_set (err, ZYN_ERR_VALIDATION,
                       "The Segment parameter is required but was not "
                       "provided");
        goto failed;
    }
    if (has_total == 0 && segment >= total) {
        zyn_error_set (err, ZYN_ERR_VALIDATION,
                       "The Segment parameter is zero-based and must be less "
                       "than parameter TotalSegments: Segment: %" PRId64
                       " is out of bounds for TotalSegments: %" PRId64,
                       segment, total);
        goto failed;
    }
    if (has_limit == 0)
        self->limit = limit;
    if (has_total == 0) {
        self->segmented = true;
        zyn_router_slice ((uint64_t) total, (uint64_t) segment,
                          &self->segment_start, &self->segment_end);
    }
    const char *select = zyn_value_map_get_s (request, "Select");
    self->count_only = select && streq (select, "COUNT");

    uint64_t start_hash = self->segment_start;
    zyn_value_t *start_key = zyn_value_map_get (request, "ExclusiveStartKey");
    if (start_key && zyn_value_type (start_key) != ZYN_TYPE_NULL) {
        zyn_error_t key_err = { 0 };
        //  An index's start key also holds the index key attributes
        bool is_index = zyn_value_map_get (request, "IndexName") != NULL;
        if (zyn_router_key_hash (table, start_key, is_index, &start_hash,
                                 &key_err)) {
            zyn_error_set (err, ZYN_ERR_VALIDATION,
                           "The provided starting key is invalid: %s",
                           key_err.message);
            goto failed;
        }
        if (start_hash < self->segment_start
            || start_hash > self->segment_end) {
            zyn_error_set (err, ZYN_ERR_VALIDATION,
                           "The provided starting key is invalid: "
                           "ExclusiveStartKey does not belong to Segment %"
                           PRId64, segment);
            goto failed;
        }
    }
    self->index = zyn_router_index (table, start_hash);
    return self;

failed:
    zyn_scan_destroy (&self);
    return NULL;
}

//  --------------------------------------------------------------------------
//  Destroy

void
zyn_scan_destroy (zyn_scan_t **self_p)
{
    assert (self_p);
    zyn_scan_t *self = *self_p;
    if (self) {
        zyn_value_destroy (&self->last_key);
        zyn_value_destroy (&self->items);
        zyn_value_destroy (&self->request);
        free (self);
        *self_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  The next sub-request, or -1 when the walk is over

int
zyn_scan_next (zyn_scan_t *self, zyn_table_t *table, uint32_t *index,
               void **body, size_t *size)
{
    assert (self);
    assert (table);
    if (self->done || self->index >= table->partition_count
        || table->partitions [self->index].hash_start > self->segment_end
        || (self->limit >= 0 && self->scanned_count >= self->limit)) {
        self->done = true;
        return -1;
    }
    zyn_value_t *sub = zyn_value_dup (self->request);
    if (!self->first) {
        zyn_value_t *old = zyn_value_map_take (sub, "ExclusiveStartKey");
        zyn_value_destroy (&old);
    }
    if (self->limit >= 0)
        zyn_value_map_put_int (sub, "Limit",
                               self->limit - self->scanned_count);
    //  A nearly spent budget still reads one item, so the worker can hand
    //  back a key to resume from rather than an empty page
    zyn_value_map_put_int (sub, "ZynPageBytes",
                           self->bytes_left > 0 ? self->bytes_left : 1);
    if (self->segmented) {
        zyn_value_t *old = zyn_value_map_take (sub, "Segment");
        zyn_value_destroy (&old);
        old = zyn_value_map_take (sub, "TotalSegments");
        zyn_value_destroy (&old);
        uint8_t hash [8];
        zyn_put_u64 (hash, self->segment_start);
        zyn_value_t *value = zyn_value_new_b (hash, 8);
        zyn_value_map_put (sub, "ZynHashStart", &value);
        zyn_put_u64 (hash, self->segment_end);
        value = zyn_value_new_b (hash, 8);
        zyn_value_map_put (sub, "ZynHashEnd", &value);
    }
    *index = self->index;
    *body = zyn_value_encode (sub, size);
    zyn_value_destroy (&sub);
    self->first = false;
    return 0;
}

//  --------------------------------------------------------------------------
//  Take in a worker's OK reply to the last sub-request

int
zyn_scan_absorb (zyn_scan_t *self, const void *body, size_t size,
                 zyn_error_t *err)
{
    assert (self);
    zyn_value_t *reply = zyn_value_decode (body, size, NULL);
    if (!reply || zyn_value_type (reply) != ZYN_TYPE_M) {
        zyn_value_destroy (&reply);
        return zyn_error_set (err, ZYN_ERR_INTERNAL,
                              "Internal server error: malformed Scan reply "
                              "from a partition");
    }
    zyn_value_t *items = zyn_value_map_get (reply, "Items");
    while (items && zyn_value_size (items) > 0) {
        zyn_value_t *item = zyn_value_list_take (items, 0);
        zyn_value_list_append (self->items, &item);
    }
    int64_t number = 0;
    if (zyn_value_map_get_int (reply, "Count", &number) == 0)
        self->count += number;
    if (zyn_value_map_get_int (reply, "ScannedCount", &number) == 0)
        self->scanned_count += number;
    self->bytes_left -= (int64_t) size;
    zyn_value_t *last_key = zyn_value_map_take (reply, "LastEvaluatedKey");
    if (last_key && zyn_value_type (last_key) == ZYN_TYPE_M) {
        self->last_key = last_key;
        self->done = true;
    }
    else {
        zyn_value_destroy (&last_key);
        self->index++;
    }
    zyn_value_destroy (&reply);
    return 0;
}

//  --------------------------------------------------------------------------
//  The client's reply

void *
zyn_scan_result (zyn_scan_t *self, size_t *size)
{
    assert (self);
    zyn_value_t *reply = zyn_value_new_m ();
    if (!self->count_only) {
        zyn_value_map_put (reply, "Items", &self->items);
        self->items = zyn_value_new_l ();
    }
    zyn_value_map_put_int (reply, "Count", self->count);
    zyn_value_map_put_int (reply, "ScannedCount", self->scanned_count);
    if (self->last_key) {
        zyn_value_t *last_key = zyn_value_dup (self->last_key);
        zyn_value_map_put (reply, "LastEvaluatedKey", &last_key);
    }
    void *data = zyn_value_encode (reply, size);
    zyn_value_destroy (&reply);
    return data;
}

//  ==========================================================================
//  BatchGetItem and BatchWriteItem

//  One key or item of a batch
typedef struct {
    char *table;                //  Owned, table name
    uint64_t hash;              //  Partition key hash
    const char *operation;      //  GetItem, PutItem or DeleteItem
    zyn_value_t *body;          //  Owned, the sub-request
    zyn_value_t *original;      //  Owned, Key or WriteRequest as given
    bool done;
    bool unprocessed;
    zyn_value_t *item;          //  Owned, GetItem's Item, if any
    size_t item_size;           //  Its encoded size
} s_part_t;

struct zyn_batch {
    bool is_write;
    s_part_t *parts;            //  Owned
    size_t count;
    size_t done;
    zyn_value_t *params;        //  Owned, table -> BatchGetItem params
    zyn_error_t failure;        //  First non-retryable part error
};

#define S_INVALID "One or more parameter values were invalid: "

//  Check a key or item of table and append the part. Returns 0 or -1.
static int
s_batch_add (zyn_batch_t *self, zyn_table_t *table, zhashx_t *seen,
             const char *operation, const zyn_value_t *key, bool is_item,
             const zyn_value_t *original, zyn_error_t *err)
{
    uint64_t hash = 0;
    if (!key || zyn_value_type (key) != ZYN_TYPE_M)
        return zyn_error_set (err, ZYN_ERR_VALIDATION,
                              "The provided key element does not match the "
                              "schema");
    if (zyn_router_key_hash (table, key, is_item, &hash, err))
        return -1;
    if (is_item) {
        if (zyn_value_validate (key, err))
            return -1;
        if (zyn_item_size (key) > 400 * 1024)
            return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                  "Item size has exceeded the maximum "
                                  "allowed size");
    }
    //  Duplicates: the same table and primary key twice
    uint8_t row [ZYN_KEYCODE_MAX];
    uint64_t row_hash = 0;
    zyn_value_t *sk = table->sk_name
                    ? zyn_value_map_get (key, table->sk_name) : NULL;
    size_t row_size = zyn_keycode_item_row (
        row, zyn_value_map_get (key, table->pk_name), sk, &row_hash, err);
    if (row_size == 0)
        return -1;
    char *hex = (char *) zmalloc (2 * row_size + strlen (table->name) + 2);
    char *cursor = hex + sprintf (hex, "%s/", table->name);
    for (size_t i = 0; i < row_size; i++)
        cursor += sprintf (cursor, "%02x", row [i]);
    bool duplicate = zhashx_lookup (seen, hex) != NULL;
    if (!duplicate)
        zhashx_insert (seen, hex, (void *) "1");
    free (hex);
    if (duplicate)
        return zyn_error_set (err, ZYN_ERR_VALIDATION,
                              "Provided list of item keys contains "
                              "duplicates");

    s_part_t *part = &self->parts [self->count++];
    part->table = strdup (table->name);
    part->hash = hash;
    part->operation = operation;
    part->original = zyn_value_dup (original);
    part->body = zyn_value_new_m ();
    zyn_value_map_put_s (part->body, "TableName", table->name);
    zyn_value_t *copy = zyn_value_dup (key);
    zyn_value_map_put (part->body, is_item ? "Item" : "Key", &copy);
    return 0;
}

//  The ACTIVE table named name, or NULL with err
static zyn_table_t *
s_batch_table (zyn_catalog_t *catalog, const char *name, zyn_error_t *err)
{
    size_t length = strlen (name);
    bool pattern_ok = length > 0;
    for (size_t i = 0; i < length; i++)
        if (!isalnum ((unsigned char) name [i]) && !strchr ("_.-", name [i]))
            pattern_ok = false;
    if (length < 3 || length > 255) {
        zyn_error_set (err, ZYN_ERR_VALIDATION,
                       "TableName must be at least 3 characters long and at "
                       "most 255 characters long");
        return NULL;
    }
    if (!pattern_ok) {
        zyn_error_set (err, ZYN_ERR_VALIDATION,
                       "1 validation error detected: Value '%s' at "
                       "'requestItems' failed to satisfy constraint: Map "
                       "keys must satisfy constraint: [Member must satisfy "
                       "regular expression pattern: [a-zA-Z0-9_.-]+]", name);
        return NULL;
    }
    zyn_table_t *table = zyn_catalog_lookup (catalog, name);
    if (!table || table->status != ZYN_TABLE_ACTIVE) {
        zyn_error_set (err, ZYN_ERR_RESOURCE_NOT_FOUND,
                       "Requested resource not found");
        return NULL;
    }
    return table;
}

//  Split a BatchGetItem's RequestItems
static int
s_batch_split_get (zyn_batch_t *self, zyn_catalog_t *catalog,
                   const zyn_value_t *items, zhashx_t *seen,
                   zyn_error_t *err)
{
    static const char *copied [] = { "ConsistentRead", "ProjectionExpression",
                                     "ExpressionAttributeNames",
                                     "AttributesToGet", NULL };
    for (size_t t = 0; t < zyn_value_size (items); t++) {
        const char *name = zyn_value_map_name (items, t);
        zyn_value_t *entry = zyn_value_map_value (items, t);
        zyn_value_t *keys = zyn_value_type (entry) == ZYN_TYPE_M
                          ? zyn_value_map_get (entry, "Keys") : NULL;
        if (!keys || zyn_value_type (keys) != ZYN_TYPE_L)
            return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                  "1 validation error detected: Value null "
                                  "at 'requestItems.%s.member.keys' failed "
                                  "to satisfy constraint: Member must not be "
                                  "null", name);
        if (zyn_value_size (keys) == 0)
            return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                  "1 validation error detected: Value '[]' "
                                  "at 'requestItems.%s.member.keys' failed "
                                  "to satisfy constraint: Member must have "
                                  "length greater than or equal to 1", name);
        zyn_table_t *table = s_batch_table (catalog, name, err);
        if (!table)
            return -1;
        //  What applies to every key of the table, for sub-requests and
        //  for UnprocessedKeys
        zyn_value_t *params = zyn_value_new_m ();
        for (int i = 0; copied [i]; i++) {
            zyn_value_t *value = zyn_value_map_get (entry, copied [i]);
            if (value) {
                zyn_value_t *copy = zyn_value_dup (value);
                zyn_value_map_put (params, copied [i], &copy);
            }
        }
        for (size_t k = 0; k < zyn_value_size (keys); k++) {
            zyn_value_t *key = zyn_value_list_get (keys, k);
            if (self->count == 100) {
                zyn_value_destroy (&params);
                return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                      "Too many items requested for the "
                                      "BatchGetItem call");
            }
            if (s_batch_add (self, table, seen, "GetItem", key, false, key,
                             err)) {
                zyn_value_destroy (&params);
                return -1;
            }
            zyn_value_t *body = self->parts [self->count - 1].body;
            for (size_t i = 0; i < zyn_value_size (params); i++) {
                zyn_value_t *copy
                    = zyn_value_dup (zyn_value_map_value (params, i));
                zyn_value_map_put (body, zyn_value_map_name (params, i),
                                   &copy);
            }
        }
        zyn_value_map_put (self->params, name, &params);
    }
    return 0;
}

//  Split a BatchWriteItem's RequestItems
static int
s_batch_split_write (zyn_batch_t *self, zyn_catalog_t *catalog,
                     const zyn_value_t *items, zhashx_t *seen,
                     zyn_error_t *err)
{
    for (size_t t = 0; t < zyn_value_size (items); t++) {
        const char *name = zyn_value_map_name (items, t);
        zyn_value_t *requests = zyn_value_map_value (items, t);
        if (zyn_value_type (requests) != ZYN_TYPE_L
            || zyn_value_size (requests) < 1
            || zyn_value_size (requests) > 25)
            return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                  "1 validation error detected: Value at "
                                  "'requestItems' failed to satisfy "
                                  "constraint: Map value must satisfy "
                                  "constraint: [Member must have length "
                                  "less than or equal to 25, Member must "
                                  "have length greater than or equal to 1]");
        zyn_table_t *table = s_batch_table (catalog, name, err);
        if (!table)
            return -1;
        for (size_t r = 0; r < zyn_value_size (requests); r++) {
            zyn_value_t *request = zyn_value_list_get (requests, r);
            zyn_value_t *put = zyn_value_type (request) == ZYN_TYPE_M
                             ? zyn_value_map_get (request, "PutRequest")
                             : NULL;
            zyn_value_t *del = zyn_value_type (request) == ZYN_TYPE_M
                             ? zyn_value_map_get (request, "DeleteRequest")
                             : NULL;
            if ((put != NULL) == (del != NULL))
                return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                      "Supplied AttributeValue has more than "
                                      "one datatypes set, must contain "
                                      "exactly one of the supported "
                                      "datatypes");
            if (self->count == 25)
                return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                      "Too many items requested for the "
                                      "BatchWriteItem call");
            zyn_value_t *key = zyn_value_type (put ? put : del) == ZYN_TYPE_M
                ? zyn_value_map_get (put ? put : del, put ? "Item" : "Key")
                : NULL;
            if (!key)
                return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                      "1 validation error detected: Value "
                                      "null at 'requestItems.%s.member.%s' "
                                      "failed to satisfy constraint: Member "
                                      "must not be null", name,
                                      put ? "putRequest.item"
                                          : "deleteRequest.key");
            if (s_batch_add (self, table, seen,
                             put ? "PutItem" : "DeleteItem", key, put != NULL,
                             request, err))
                return -1;
        }
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Check a batch request and split it into parts

zyn_batch_t *
zyn_batch_new (zyn_catalog_t *catalog, const char *operation,
               const zyn_value_t *request, zyn_error_t *err)
{
    assert (catalog);
    assert (operation);
    zyn_batch_t *self = (zyn_batch_t *) zmalloc (sizeof (zyn_batch_t));
    self->is_write = streq (operation, "BatchWriteItem");
    self->parts = (s_part_t *) zmalloc (100 * sizeof (s_part_t));
    self->params = zyn_value_new_m ();
    zyn_value_t *items = zyn_value_map_get (request, "RequestItems");
    int rc = 0;
    if (!items || zyn_value_type (items) == ZYN_TYPE_NULL)
        rc = zyn_error_set (err, ZYN_ERR_VALIDATION,
                            "1 validation error detected: Value null at "
                            "'requestItems' failed to satisfy constraint: "
                            "Member must not be null");
    else
    if (zyn_value_type (items) != ZYN_TYPE_M)
        rc = zyn_error_set (err, ZYN_ERR_SERIALIZATION,
                            "Start of list found where not expected");
    else
    if (zyn_value_size (items) == 0)
        rc = zyn_error_set (err, ZYN_ERR_VALIDATION,
                            "1 validation error detected: Value '{}' at "
                            "'requestItems' failed to satisfy constraint: "
                            "Member must have length greater than or equal "
                            "to 1");
    else {
        zhashx_t *seen = zhashx_new ();
        rc = self->is_write
           ? s_batch_split_write (self, catalog, items, seen, err)
           : s_batch_split_get (self, catalog, items, seen, err);
        zhashx_destroy (&seen);
    }
    if (rc)
        zyn_batch_destroy (&self);
    return self;
}

//  --------------------------------------------------------------------------
//  Destroy

void
zyn_batch_destroy (zyn_batch_t **self_p)
{
    assert (self_p);
    zyn_batch_t *self = *self_p;
    if (self) {
        for (size_t i = 0; i < self->count; i++) {
            s_part_t *part = &self->parts [i];
            free (part->table);
            zyn_value_destroy (&part->body);
            zyn_value_destroy (&part->original);
            zyn_value_destroy (&part->item);
        }
        free (self->parts);
        zyn_value_destroy (&self->params);
        free (self);
        *self_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  The number of parts

size_t
zyn_batch_size (zyn_batch_t *self)
{
    assert (self);
    return self->count;
}

//  --------------------------------------------------------------------------
//  Part index: table name, hash, operation and encoded body

const char *
zyn_batch_part (zyn_batch_t *self, size_t index, uint64_t *hash,
                const char **operation, void **body, size_t *size)
{
    assert (self);
    assert (index < self->count);
    s_part_t *part = &self->parts [index];
    *hash = part->hash;
    *operation = part->operation;
    *body = zyn_value_encode (part->body, size);
    return part->table;
}

//  --------------------------------------------------------------------------
//  Record part index's outcome

void
zyn_batch_absorb (zyn_batch_t *self, size_t index, const char *status,
                  const void *body, size_t size)
{
    assert (self);
    assert (index < self->count);
    s_part_t *part = &self->parts [index];
    if (part->done)
        return;
    part->done = true;
    self->done++;
    if (streq (status, "OK")) {
        zyn_value_t *reply = body ? zyn_value_decode (body, size, NULL)
                                  : NULL;
        zyn_value_t *item = reply ? zyn_value_map_take (reply, "Item")
                                  : NULL;
        if (item && zyn_value_type (item) == ZYN_TYPE_M) {
            part->item = item;
            part->item_size = size;
        }
        else
            zyn_value_destroy (&item);
        zyn_value_destroy (&reply);
        return;
    }
    zyn_errtype_t type = zyn_error_type_from_name (status);
    if (type != ZYN_ERR_MAX && zyn_error_is_retryable (type))
        part->unprocessed = true;
    else
    if (self->failure.type == ZYN_ERR_NONE)
        zyn_proto_error_from_reply (status, body, size, &self->failure);
}

//  --------------------------------------------------------------------------
//  True once every part has an outcome

bool
zyn_batch_is_done (zyn_batch_t *self)
{
    assert (self);
    return self->done == self->count;
}

//  Append value (copied) to the list under name in map, making it
static void
s_append_under (zyn_value_t *map, const char *name, const zyn_value_t *value)
{
    zyn_value_t *list = zyn_value_map_get (map, name);
    if (!list) {
        zyn_value_t *fresh = zyn_value_new_l ();
        zyn_value_map_put (map, name, &fresh);
        list = zyn_value_map_get (map, name);
    }
    zyn_value_t *copy = zyn_value_dup (value);
    zyn_value_list_append (list, &copy);
}

//  --------------------------------------------------------------------------
//  The client's reply

void *
zyn_batch_result (zyn_batch_t *self, size_t *size, zyn_error_t *err)
{
    assert (self);
    if (self->failure.type != ZYN_ERR_NONE) {
        if (err)
            *err = self->failure;
        return NULL;
    }
    zyn_value_t *reply = zyn_value_new_m ();
    if (self->is_write) {
        zyn_value_t *unprocessed = zyn_value_new_m ();
        for (size_t i = 0; i < self->count; i++) {
            s_part_t *part = &self->parts [i];
            if (part->unprocessed || !part->done)
                s_append_under (unprocessed, part->table, part->original);
        }
        zyn_value_map_put (reply, "UnprocessedItems", &unprocessed);
    }
    else {
        zyn_value_t *responses = zyn_value_new_m ();
        zyn_value_t *unprocessed = zyn_value_new_m ();
        //  Every table asked for has a list, even an empty one
        for (size_t i = 0; i < zyn_value_size (self->params); i++) {
            zyn_value_t *list = zyn_value_new_l ();
            zyn_value_map_put (responses, zyn_value_map_name (self->params, i),
                               &list);
        }
        size_t response_bytes = 0;
        for (size_t i = 0; i < self->count; i++) {
            s_part_t *part = &self->parts [i];
            bool over = part->item
                     && response_bytes + part->item_size
                            > ZYN_BATCH_RESPONSE_BYTES;
            if (part->unprocessed || !part->done || over) {
                zyn_value_t *entry = zyn_value_map_get (unprocessed,
                                                        part->table);
                if (!entry) {
                    zyn_value_t *fresh = zyn_value_dup (
                        zyn_value_map_get (self->params, part->table));
                    zyn_value_map_put (unprocessed, part->table, &fresh);
                    entry = zyn_value_map_get (unprocessed, part->table);
                }
                s_append_under (entry, "Keys", part->original);
            }
            else
            if (part->item) {
                response_bytes += part->item_size;
                s_append_under (responses, part->table, part->item);
            }
        }
        zyn_value_map_put (reply, "Responses", &responses);
        zyn_value_map_put (reply, "UnprocessedKeys", &unprocessed);
    }
    void *data = zyn_value_encode (reply, size);
    zyn_value_destroy (&reply);
    return data;
}

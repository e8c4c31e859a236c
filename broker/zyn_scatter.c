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
        if (zyn_router_key_hash (table, start_key, false, &start_hash,
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

/*  =========================================================================
    zyn_streams_api - DynamoDB Streams over zynamo's change stream

    Each operation is a short sequence of broker calls:
        ListStreams       ListTables (all pages), DescribeTable per table
        DescribeStream    DescribeTable, ZynGetShards
        GetShardIterator  DescribeTable, ZynGetShards
        GetRecords        ZynGetStreamRecords
    Responses are rendered here with Jansson: stream records hold
    attribute maps (Keys, NewImage, OldImage) in DynamoDB JSON.
    =========================================================================
*/

#include "zyn_prelude.h"
#include "zyn_error.h"
#include "zyn_optable.h"
#include "zyn_streams_api.h"

struct zyn_streams_call {
    const zyn_op_t *op;                 //  Static
    zyn_value_t *request;               //  Owned: the validated request
    char region [64];
    int state;                          //  Step of the operation
    char table [256];                   //  Table the stream belongs to
    char arn [512];                     //  Stream ARN asked for
    zyn_value_t *table_desc;            //  Owned: DescribeTable's Table
    zlistx_t *names;                    //  Owned: ListStreams' tables
    json_t *streams;                    //  Owned: ListStreams' result
};

#define S_ITERATOR_MAGIC "zyn1"
#define S_SHARD_FORMAT "shardId-%08" PRIu32 "-%016" PRIx64
#define S_LIST_DEFAULT 100

//  --------------------------------------------------------------------------
//  Start serving a Streams request.

zyn_streams_call_t *
zyn_streams_call_new (const zyn_op_t *op, zyn_value_t **request_p,
                      const char *region)
{
    assert (op);
    assert (request_p && *request_p);
    zyn_streams_call_t *self
        = (zyn_streams_call_t *) zmalloc (sizeof (zyn_streams_call_t));
    self->op = op;
    self->request = *request_p;
    *request_p = NULL;
    snprintf (self->region, sizeof (self->region), "%s",
              region ? region : "us-east-1");
    return self;
}

//  --------------------------------------------------------------------------
//  Destroy.

void
zyn_streams_call_destroy (zyn_streams_call_t **self_p)
{
    assert (self_p);
    zyn_streams_call_t *self = *self_p;
    if (self) {
        json_decref (self->streams);
        zlistx_destroy (&self->names);
        zyn_value_destroy (&self->table_desc);
        zyn_value_destroy (&self->request);
        free (self);
        *self_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  JSON rendering

static json_t *
s_base64 (const void *data, size_t size)
{
    size_t length = sodium_base64_encoded_len (size,
                                               sodium_base64_VARIANT_ORIGINAL);
    char *text = (char *) malloc (length);
    assert (text);
    sodium_bin2base64 (text, length, (const unsigned char *) data, size,
                       sodium_base64_VARIANT_ORIGINAL);
    json_t *string = json_string (text);
    free (text);
    return string;
}

static json_t *
s_text (const zyn_value_t *value)
{
    json_t *string = json_stringn (zyn_value_data (value),
                                   zyn_value_size (value));
    return string ? string : json_string ("");
}

//  An attribute value in DynamoDB JSON: {"S": "x"}, {"N": "1"}, ...
static json_t *
s_attr_to_json (const zyn_value_t *value)
{
    json_t *inner = NULL;
    zyn_type_t type = zyn_value_type (value);
    switch (type) {
        case ZYN_TYPE_S:
        case ZYN_TYPE_N:
            inner = s_text (value);
            break;
        case ZYN_TYPE_B:
            inner = s_base64 (zyn_value_data (value), zyn_value_size (value));
            break;
        case ZYN_TYPE_BOOL:
            inner = json_boolean (zyn_value_bool (value));
            break;
        case ZYN_TYPE_NULL:
            inner = json_true ();
            break;
        case ZYN_TYPE_M:
            inner = json_object ();
            for (size_t i = 0; i < zyn_value_size (value); i++)
                json_object_set_new (inner, zyn_value_map_name (value, i),
                                     s_attr_to_json (
                                         zyn_value_map_value (value, i)));
            break;
        case ZYN_TYPE_L:
            inner = json_array ();
            for (size_t i = 0; i < zyn_value_size (value); i++)
                json_array_append_new (
                    inner, s_attr_to_json (zyn_value_list_get (value, i)));
            break;
        case ZYN_TYPE_SS:
        case ZYN_TYPE_NS:
        case ZYN_TYPE_BS:
            inner = json_array ();
            for (size_t i = 0; i < zyn_value_size (value); i++) {
                const zyn_value_t *member = zyn_value_list_get (value, i);
                json_array_append_new (
                    inner, type == ZYN_TYPE_BS
                               ? s_base64 (zyn_value_data (member),
                                           zyn_value_size (member))
                               : s_text (member));
            }
            break;
    }
    json_t *object = json_object ();
    json_object_set_new (object, zyn_type_name (type),
                         inner ? inner : json_null ());
    return object;
}

//  A map of attribute names to values
static json_t *
s_item_to_json (const zyn_value_t *item)
{
    json_t *object = json_object ();
    for (size_t i = 0; i < zyn_value_size (item); i++)
        json_object_set_new (object, zyn_value_map_name (item, i),
                             s_attr_to_json (zyn_value_map_value (item, i)));
    return object;
}

//  A plain parameter: strings, numbers, booleans, maps and lists
static json_t *
s_plain_to_json (const zyn_value_t *value)
{
    switch (zyn_value_type (value)) {
        case ZYN_TYPE_S:
            return s_text (value);
        case ZYN_TYPE_N: {
            const char *text = zyn_value_data (value);
            if (strpbrk (text, ".eE"))
                return json_real (strtod (text, NULL));
            errno = 0;
            long long number = strtoll (text, NULL, 10);
            return errno ? json_real (strtod (text, NULL))
                         : json_integer (number);
        }
        case ZYN_TYPE_BOOL:
            return json_boolean (zyn_value_bool (value));
        case ZYN_TYPE_M: {
            json_t *object = json_object ();
            for (size_t i = 0; i < zyn_value_size (value); i++)
                json_object_set_new (object, zyn_value_map_name (value, i),
                                     s_plain_to_json (
                                         zyn_value_map_value (value, i)));
            return object;
        }
        case ZYN_TYPE_L: {
            json_t *array = json_array ();
            for (size_t i = 0; i < zyn_value_size (value); i++)
                json_array_append_new (
                    array, s_plain_to_json (zyn_value_list_get (value, i)));
            return array;
        }
        default:
            return json_null ();
    }
}

static char *
s_dump (json_t *object, size_t *size)
{
    char *text = json_dumps (object, JSON_COMPACT);
    json_decref (object);
    assert (text);
    if (size)
        *size = strlen (text);
    return text;
}

static void
s_sequence_text (uint64_t sequence, char *buf, size_t size)
{
    snprintf (buf, size, "%021" PRIu64, sequence);
}

//  A record as a json_t, or NULL if malformed
static json_t *
s_record_json_new (const zyn_value_t *record, const char *view_type,
                   const char *region)
{
    const char *event_name = zyn_value_map_get_s (record, "eventName");
    int64_t sequence = 0;
    if (!event_name
        || zyn_value_map_get_int (record, "SequenceNumber", &sequence))
        return NULL;
    int64_t created_ms = 0;
    zyn_value_map_get_int (record, "ApproximateCreationDateTime",
                           &created_ms);
    int64_t size_bytes = 0;
    zyn_value_map_get_int (record, "SizeBytes", &size_bytes);
    const zyn_value_t *keys = zyn_value_map_get (record, "Keys");
    const zyn_value_t *old_image = zyn_value_map_get (record, "OldImage");
    const zyn_value_t *new_image = zyn_value_map_get (record, "NewImage");

    json_t *dynamodb = json_object ();
    json_object_set_new (dynamodb, "ApproximateCreationDateTime",
                         json_integer (created_ms / 1000));
    if (keys && zyn_value_type (keys) == ZYN_TYPE_M)
        json_object_set_new (dynamodb, "Keys", s_item_to_json (keys));
    bool want_new = streq (view_type, "NEW_IMAGE")
                 || streq (view_type, "NEW_AND_OLD_IMAGES");
    bool want_old = streq (view_type, "OLD_IMAGE")
                 || streq (view_type, "NEW_AND_OLD_IMAGES");
    if (want_new && new_image && zyn_value_type (new_image) == ZYN_TYPE_M)
        json_object_set_new (dynamodb, "NewImage",
                             s_item_to_json (new_image));
    if (want_old && old_image && zyn_value_type (old_image) == ZYN_TYPE_M)
        json_object_set_new (dynamodb, "OldImage",
                             s_item_to_json (old_image));
    char sequence_text [32];
    s_sequence_text ((uint64_t) sequence, sequence_text,
                     sizeof (sequence_text));
    json_object_set_new (dynamodb, "SequenceNumber",
                         json_string (sequence_text));
    json_object_set_new (dynamodb, "SizeBytes", json_integer (size_bytes));
    json_object_set_new (dynamodb, "StreamViewType", json_string (view_type));

    json_t *object = json_object ();
    const char *event_id = zyn_value_map_get_s (record, "eventID");
    char made_id [64];
    if (!event_id) {
        //  Unique per shard and sequence: good enough as an event id
        int64_t partition = 0;
        zyn_value_map_get_int (record, "PartitionId", &partition);
        snprintf (made_id, sizeof (made_id), "%08" PRIx64 "%016" PRIx64,
                  (uint64_t) partition, (uint64_t) sequence);
        event_id = made_id;
    }
    json_object_set_new (object, "eventID", json_string (event_id));
    json_object_set_new (object, "eventName", json_string (event_name));
    json_object_set_new (object, "eventVersion", json_string ("1.1"));
    json_object_set_new (object, "eventSource", json_string ("aws:dynamodb"));
    json_object_set_new (object, "awsRegion", json_string (region));
    json_object_set_new (object, "dynamodb", dynamodb);
    return object;
}

//  --------------------------------------------------------------------------
//  Render one native stream record as a DynamoDB Streams record.

char *
zyn_streams_record_json (const zyn_value_t *record, const char *view_type,
                         const char *region)
{
    if (!record || zyn_value_type (record) != ZYN_TYPE_M)
        return NULL;
    json_t *object = s_record_json_new (record, view_type, region);
    return object ? s_dump (object, NULL) : NULL;
}

//  --------------------------------------------------------------------------
//  Make a shard iterator.

char *
zyn_streams_iterator_new (const char *table, uint64_t table_id,
                          uint32_t partition, uint64_t sequence,
                          const char *view_type, int64_t created_ms)
{
    char plain [512];
    int length = snprintf (plain, sizeof (plain),
                           S_ITERATOR_MAGIC "|%" PRIu64 "|%" PRIu32 "|%" PRIu64
                           "|%s|%" PRId64 "|%s", table_id, partition,
                           sequence, view_type, created_ms, table);
    assert (length > 0 && (size_t) length < sizeof (plain));
    size_t encoded = sodium_base64_encoded_len (
        (size_t) length, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *iterator = (char *) malloc (encoded);
    assert (iterator);
    sodium_bin2base64 (iterator, encoded, (const unsigned char *) plain,
                       (size_t) length,
                       sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return iterator;
}

//  --------------------------------------------------------------------------
//  Decode a shard iterator.

int
zyn_streams_iterator_parse (const char *iterator, char *table,
                            size_t table_size, uint64_t *table_id,
                            uint32_t *partition, uint64_t *sequence,
                            char *view_type, int64_t *created_ms)
{
    char plain [512];
    size_t length = 0;
    if (!iterator
        || sodium_base642bin ((unsigned char *) plain, sizeof (plain) - 1,
                              iterator, strlen (iterator), NULL, &length,
                              NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING)
        || length == 0)
        return -1;
    plain [length] = 0;
    if (memchr (plain, 0, length))
        return -1;
    char view [32];
    int consumed = 0;
    if (sscanf (plain,
                S_ITERATOR_MAGIC "|%" SCNu64 "|%" SCNu32 "|%" SCNu64
                "|%31[A-Z_]|%" SCNd64 "|%n", table_id, partition, sequence,
                view, created_ms, &consumed) != 5
        || consumed == 0)
        return -1;
    const char *name = plain + consumed;
    if (strlen (name) < 3 || strlen (name) >= table_size)
        return -1;
    snprintf (table, table_size, "%s", name);
    snprintf (view_type, 32, "%s", view);
    return 0;
}

//  --------------------------------------------------------------------------
//  Split a stream ARN into table name and label.

int
zyn_streams_parse_arn (const char *arn, char *table, size_t table_size,
                       char *label, size_t label_size)
{
    if (!arn || strncmp (arn, "arn:", 4))
        return -1;
    //  arn:<partition>:dynamodb:<region>:<account>:table/<T>/stream/<label>
    const char *scan = arn;
    for (int colons = 0; colons < 5; colons++) {
        scan = strchr (scan, ':');
        if (!scan)
            return -1;
        scan++;
    }
    if (strncmp (scan, "table/", 6))
        return -1;
    const char *name = scan + 6;
    const char *slash = strstr (name, "/stream/");
    if (!slash || slash == name || (size_t) (slash - name) >= table_size)
        return -1;
    const char *stream_label = slash + 8;
    if (!*stream_label || strlen (stream_label) >= label_size
        || strchr (stream_label, '/'))
        return -1;
    memcpy (table, name, (size_t) (slash - name));
    table [slash - name] = 0;
    snprintf (label, label_size, "%s", stream_label);
    return 0;
}

//  --------------------------------------------------------------------------
//  The steps

static int
s_stream_not_found (zyn_streams_call_t *self, zyn_error_t *err)
{
    return zyn_error_set (err, ZYN_ERR_RESOURCE_NOT_FOUND,
                          "Requested resource not found: Stream: %s not "
                          "found", self->arn);
}

static zyn_value_t *
s_table_request (const char *table)
{
    zyn_value_t *body = zyn_value_new_m ();
    zyn_value_map_put_s (body, "TableName", table);
    return body;
}

static const char *
s_view_type (const zyn_value_t *table_desc)
{
    const zyn_value_t *spec
        = zyn_value_map_get (table_desc, "StreamSpecification");
    const char *view = spec && zyn_value_type (spec) == ZYN_TYPE_M
                     ? zyn_value_map_get_s (spec, "StreamViewType") : NULL;
    return view ? view : "NEW_AND_OLD_IMAGES";
}

//  DescribeStream and GetShardIterator start alike: parse the ARN and ask
//  for the table; then check its stream is the one asked for
static int
s_step_describe_table (zyn_streams_call_t *self, const char **operation,
                       zyn_value_t **body_p, zyn_error_t *err)
{
    const char *arn = zyn_value_map_get_s (self->request, "StreamArn");
    snprintf (self->arn, sizeof (self->arn), "%s", arn ? arn : "");
    char label [64];
    if (zyn_streams_parse_arn (self->arn, self->table, sizeof (self->table),
                               label, sizeof (label)))
        return zyn_error_set (err, ZYN_ERR_VALIDATION,
                              "Invalid StreamArn: %.200s", self->arn);
    *operation = "DescribeTable";
    *body_p = s_table_request (self->table);
    self->state = 1;
    return 1;
}

static int
s_check_table (zyn_streams_call_t *self, const zyn_value_t *reply,
               const zyn_error_t *reply_err, zyn_error_t *err)
{
    if (reply_err) {
        if (reply_err->type == ZYN_ERR_RESOURCE_NOT_FOUND)
            return s_stream_not_found (self, err);
        *err = *reply_err;
        return -1;
    }
    const zyn_value_t *table = zyn_value_map_get (reply, "Table");
    char arn [512];
    char label [64];
    if (!zyn_optable_stream_arn (table, self->region, arn, sizeof (arn), label,
                             sizeof (label))
        || !streq (arn, self->arn))
        return s_stream_not_found (self, err);
    zyn_value_destroy (&self->table_desc);
    self->table_desc = zyn_value_dup (table);
    return 0;
}

static json_t *
s_shards_json (zyn_streams_call_t *self, const zyn_value_t *reply,
               const char **last_shard)
{
    json_t *shards = json_array ();
    int64_t table_id = 0;
    zyn_value_map_get_int (reply, "TableId", &table_id);
    const zyn_value_t *list = zyn_value_map_get (reply, "Shards");
    const char *start = zyn_value_map_get_s (self->request,
                                             "ExclusiveStartShardId");
    int64_t limit = S_LIST_DEFAULT;
    zyn_value_map_get_int (self->request, "Limit", &limit);
    bool started = start == NULL;
    *last_shard = NULL;
    size_t count = list && zyn_value_type (list) == ZYN_TYPE_L
                 ? zyn_value_size (list) : 0;
    for (size_t i = 0; i < count; i++) {
        const zyn_value_t *shard = zyn_value_list_get (list, i);
        int64_t partition = 0;
        zyn_value_map_get_int (shard, "PartitionId", &partition);
        char shard_id [80];
        snprintf (shard_id, sizeof (shard_id), S_SHARD_FORMAT,
                  (uint32_t) partition, (uint64_t) table_id);
        if (!started) {
            started = streq (shard_id, start);
            continue;
        }
        if ((int64_t) json_array_size (shards) == limit) {
            //  More remain: the last one returned is where to go on
            json_t *last = json_array_get (shards, json_array_size (shards)
                                                   - 1);
            *last_shard = json_string_value (json_object_get (last,
                                                              "ShardId"));
            break;
        }
        json_t *entry = json_object ();
        json_object_set_new (entry, "ShardId", json_string (shard_id));
        int64_t parent = 0;
        if (zyn_value_map_get_int (shard, "ParentPartitionId", &parent) == 0) {
            char parent_id [80];
            snprintf (parent_id, sizeof (parent_id), S_SHARD_FORMAT,
                      (uint32_t) parent, (uint64_t) table_id);
            json_object_set_new (entry, "ParentShardId",
                                 json_string (parent_id));
        }
        json_t *range = json_object ();
        char first [32];
        int64_t first_sequence = 1;
        zyn_value_map_get_int (shard, "FirstSequenceNumber", &first_sequence);
        s_sequence_text ((uint64_t) first_sequence, first, sizeof (first));
        json_object_set_new (range, "StartingSequenceNumber",
                             json_string (first));
        int64_t ending = 0;
        if (zyn_value_map_get_int (shard, "EndingSequenceNumber", &ending)
            == 0) {
            char last [32];
            s_sequence_text ((uint64_t) ending, last, sizeof (last));
            json_object_set_new (range, "EndingSequenceNumber",
                                 json_string (last));
        }
        json_object_set_new (entry, "SequenceNumberRange", range);
        json_array_append_new (shards, entry);
    }
    return shards;
}

static int
s_describe_stream (zyn_streams_call_t *self, const zyn_value_t *reply,
                   const zyn_error_t *reply_err, const char **operation,
                   zyn_value_t **body_p, char **json_p, size_t *json_size,
                   zyn_error_t *err)
{
    if (self->state == 0)
        return s_step_describe_table (self, operation, body_p, err);
    if (self->state == 1) {
        if (s_check_table (self, reply, reply_err, err))
            return -1;
        *operation = "ZynGetShards";
        *body_p = s_table_request (self->table);
        self->state = 2;
        return 1;
    }
    if (reply_err) {
        *err = *reply_err;
        return -1;
    }
    const char *last_shard = NULL;
    json_t *shards = s_shards_json (self, reply, &last_shard);
    char arn [512];
    char label [64];
    zyn_optable_stream_arn (self->table_desc, self->region, arn, sizeof (arn),
                        label, sizeof (label));
    json_t *description = json_object ();
    json_object_set_new (description, "StreamArn", json_string (arn));
    json_object_set_new (description, "StreamLabel", json_string (label));
    json_object_set_new (description, "StreamStatus", json_string ("ENABLED"));
    json_object_set_new (description, "StreamViewType",
                         json_string (s_view_type (self->table_desc)));
    const zyn_value_t *created
        = zyn_value_map_get (self->table_desc, "CreationDateTime");
    if (created && zyn_value_type (created) == ZYN_TYPE_N)
        json_object_set_new (description, "CreationRequestDateTime",
                             s_plain_to_json (created));
    json_object_set_new (description, "TableName", json_string (self->table));
    const zyn_value_t *key_schema
        = zyn_value_map_get (self->table_desc, "KeySchema");
    if (key_schema)
        json_object_set_new (description, "KeySchema",
                             s_plain_to_json (key_schema));
    json_object_set_new (description, "Shards", shards);
    if (last_shard)
        json_object_set_new (description, "LastEvaluatedShardId",
                             json_string (last_shard));
    json_t *response = json_object ();
    json_object_set_new (response, "StreamDescription", description);
    *json_p = s_dump (response, json_size);
    return 0;
}

static int
s_get_shard_iterator (zyn_streams_call_t *self, const zyn_value_t *reply,
                      const zyn_error_t *reply_err, const char **operation,
                      zyn_value_t **body_p, char **json_p, size_t *json_size,
                      zyn_error_t *err)
{
    const char *type = zyn_value_map_get_s (self->request,
                                            "ShardIteratorType");
    const char *sequence_text = zyn_value_map_get_s (self->request,
                                                     "SequenceNumber");
    bool at = streq (type, "AT_SEQUENCE_NUMBER");
    bool after = streq (type, "AFTER_SEQUENCE_NUMBER");
    if (self->state == 0) {
        if ((at || after) && !sequence_text)
            return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                  "Must specify a SequenceNumber when "
                                  "ShardIteratorType is %s", type);
        return s_step_describe_table (self, operation, body_p, err);
    }
    if (self->state == 1) {
        if (s_check_table (self, reply, reply_err, err))
            return -1;
        *operation = "ZynGetShards";
        *body_p = s_table_request (self->table);
        self->state = 2;
        return 1;
    }
    if (reply_err) {
        *err = *reply_err;
        return -1;
    }
    const char *shard_id = zyn_value_map_get_s (self->request, "ShardId");
    int64_t table_id = 0;
    zyn_value_map_get_int (reply, "TableId", &table_id);
    const zyn_value_t *list = zyn_value_map_get (reply, "Shards");
    size_t count = list && zyn_value_type (list) == ZYN_TYPE_L
                 ? zyn_value_size (list) : 0;
    for (size_t i = 0; i < count; i++) {
        const zyn_value_t *shard = zyn_value_list_get (list, i);
        int64_t partition = 0;
        zyn_value_map_get_int (shard, "PartitionId", &partition);
        char candidate [80];
        snprintf (candidate, sizeof (candidate), S_SHARD_FORMAT,
                  (uint32_t) partition, (uint64_t) table_id);
        if (!streq (candidate, shard_id))
            continue;
        int64_t last = 0;
        zyn_value_map_get_int (shard, "LastSequenceNumber", &last);
        int64_t first = 1;
        zyn_value_map_get_int (shard, "FirstSequenceNumber", &first);
        //  TRIM_HORIZON: sequence 0, the oldest record the shard still
        //  has when it is read (a shard's first record may be trimmed)
        uint64_t next = first > 1 ? (uint64_t) first : 0;
        if (streq (type, "LATEST"))
            next = (uint64_t) last + 1;
        else
        if (at || after) {
            char *end = NULL;
            errno = 0;
            unsigned long long given = strtoull (sequence_text, &end, 10);
            if (errno || *end || !isdigit ((unsigned char) *sequence_text))
                return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                      "Invalid SequenceNumber: %.64s",
                                      sequence_text);
            if (given > (unsigned long long) last)
                return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                      "Invalid SequenceNumber %s for shard "
                                      "%s: beyond the end of the shard",
                                      sequence_text, shard_id);
            //  Below the oldest record the retention window has left
            int64_t oldest = 0;
            if (zyn_value_map_get_int (shard, "OldestSequenceNumber",
                                       &oldest) == 0
                && given < (unsigned long long) oldest)
                return zyn_error_set (err, ZYN_ERR_TRIMMED_DATA_ACCESS,
                                      "The data you are trying to access "
                                      "has been trimmed.");
            next = after ? given + 1 : given;
        }
        char *iterator = zyn_streams_iterator_new (
            self->table, (uint64_t) table_id, (uint32_t) partition, next,
            s_view_type (self->table_desc), zyn_wall_msecs ());
        json_t *response = json_object ();
        json_object_set_new (response, "ShardIterator",
                             json_string (iterator));
        free (iterator);
        *json_p = s_dump (response, json_size);
        return 0;
    }
    return zyn_error_set (err, ZYN_ERR_RESOURCE_NOT_FOUND,
                          "Requested resource not found: Shard does not "
                          "exist");
}

static int
s_get_records (zyn_streams_call_t *self, const zyn_value_t *reply,
               const zyn_error_t *reply_err, const char **operation,
               zyn_value_t **body_p, char **json_p, size_t *json_size,
               zyn_error_t *err)
{
    char table [256];
    uint64_t table_id = 0;
    uint32_t partition = 0;
    uint64_t sequence = 0;
    char view_type [32];
    int64_t created_ms = 0;
    const char *iterator = zyn_value_map_get_s (self->request,
                                                "ShardIterator");
    if (zyn_streams_iterator_parse (iterator, table, sizeof (table),
                                    &table_id, &partition, &sequence,
                                    view_type, &created_ms))
        return zyn_error_set (err, ZYN_ERR_VALIDATION,
                              "Invalid ShardIterator");
    if (self->state == 0) {
        int64_t now = zyn_wall_msecs ();
        if (now - created_ms > ZYN_STREAMS_ITERATOR_TTL_MS)
            return zyn_error_set (err, ZYN_ERR_EXPIRED_ITERATOR,
                                  "Iterator expired. The iterator was "
                                  "created at time %" PRId64 " while right "
                                  "now it's time %" PRId64 " which is "
                                  "further in the future than the tolerated "
                                  "delay of %d milliseconds.", created_ms,
                                  now, ZYN_STREAMS_ITERATOR_TTL_MS);
        int64_t limit = 1000;
        zyn_value_map_get_int (self->request, "Limit", &limit);
        zyn_value_t *body = s_table_request (table);
        zyn_value_map_put_int (body, "PartitionId", partition);
        zyn_value_map_put_int (body, "StartSequenceNumber",
                               (int64_t) sequence);
        zyn_value_map_put_int (body, "Limit", limit);
        *operation = "ZynGetStreamRecords";
        *body_p = body;
        self->state = 1;
        return 1;
    }
    if (reply_err) {
        *err = *reply_err;
        return -1;
    }
    //  An iterator at a record the retention window has trimmed since
    //  (not TRIM_HORIZON's 0, which follows the trim)
    int64_t oldest = 0;
    if (sequence > 0
        && zyn_value_map_get_int (reply, "OldestSequenceNumber", &oldest) == 0
        && sequence < (uint64_t) oldest)
        return zyn_error_set (err, ZYN_ERR_TRIMMED_DATA_ACCESS,
                              "The data you are trying to access has been "
                              "trimmed.");
    json_t *records = json_array ();
    uint64_t next = sequence;
    const zyn_value_t *list = zyn_value_map_get (reply, "Records");
    size_t count = list && zyn_value_type (list) == ZYN_TYPE_L
                 ? zyn_value_size (list) : 0;
    for (size_t i = 0; i < count; i++) {
        const zyn_value_t *record = zyn_value_list_get (list, i);
        int64_t record_sequence = 0;
        if (zyn_value_type (record) != ZYN_TYPE_M
            || zyn_value_map_get_int (record, "SequenceNumber",
                                      &record_sequence)
            || (uint64_t) record_sequence < sequence)
            continue;
        json_t *object = s_record_json_new (record, view_type, self->region);
        if (!object)
            continue;
        json_array_append_new (records, object);
        if ((uint64_t) record_sequence + 1 > next)
            next = (uint64_t) record_sequence + 1;
    }
    json_t *response = json_object ();
    json_object_set_new (response, "Records", records);
    char *next_iterator = zyn_streams_iterator_new (
        table, table_id, partition, next, view_type, zyn_wall_msecs ());
    json_object_set_new (response, "NextShardIterator",
                         json_string (next_iterator));
    free (next_iterator);
    *json_p = s_dump (response, json_size);
    return 0;
}

static int
s_compare_streams (const void *a, const void *b)
{
    json_t *x = *(json_t *const *) a;
    json_t *y = *(json_t *const *) b;
    return strcmp (json_string_value (json_object_get (x, "StreamArn")),
                   json_string_value (json_object_get (y, "StreamArn")));
}

static int
s_list_streams (zyn_streams_call_t *self, const zyn_value_t *reply,
                const zyn_error_t *reply_err, const char **operation,
                zyn_value_t **body_p, char **json_p, size_t *json_size,
                zyn_error_t *err)
{
    const char *only = zyn_value_map_get_s (self->request, "TableName");
    if (self->state == 0) {
        self->names = zlistx_new ();
        zlistx_set_destructor (self->names, (zlistx_destructor_fn *) zstr_free);
        zlistx_set_duplicator (self->names, (zlistx_duplicator_fn *) strdup);
        self->streams = json_array ();
        if (only) {
            zlistx_add_end (self->names, (void *) only);
            self->state = 2;
        }
        else {
            *operation = "ListTables";
            *body_p = zyn_value_new_m ();
            self->state = 1;
            return 1;
        }
    }
    else
    if (self->state == 1) {
        if (reply_err) {
            *err = *reply_err;
            return -1;
        }
        const zyn_value_t *names = zyn_value_map_get (reply, "TableNames");
        size_t count = names && zyn_value_type (names) == ZYN_TYPE_L
                     ? zyn_value_size (names) : 0;
        for (size_t i = 0; i < count; i++) {
            const zyn_value_t *name = zyn_value_list_get (names, i);
            if (zyn_value_type (name) == ZYN_TYPE_S)
                zlistx_add_end (self->names, (void *) zyn_value_data (name));
        }
        const char *last = zyn_value_map_get_s (reply,
                                                "LastEvaluatedTableName");
        if (last) {
            *operation = "ListTables";
            *body_p = zyn_value_new_m ();
            zyn_value_map_put_s (*body_p, "ExclusiveStartTableName", last);
            return 1;
        }
        self->state = 2;
    }
    else {
        //  state 3: a DescribeTable reply for the list's first name
        char *name = (char *) zlistx_first (self->names);
        if (reply_err) {
            //  A table deleted meanwhile has no stream; one asked for by
            //  name must exist
            if (only || reply_err->type != ZYN_ERR_RESOURCE_NOT_FOUND) {
                *err = *reply_err;
                return -1;
            }
        }
        else {
            const zyn_value_t *table = zyn_value_map_get (reply, "Table");
            char arn [512];
            char label [64];
            if (zyn_optable_stream_arn (table, self->region, arn, sizeof (arn),
                                    label, sizeof (label))) {
                json_t *entry = json_object ();
                json_object_set_new (entry, "StreamArn", json_string (arn));
                json_object_set_new (entry, "TableName", json_string (name));
                json_object_set_new (entry, "StreamLabel",
                                     json_string (label));
                json_array_append_new (self->streams, entry);
            }
        }
        zlistx_first (self->names);
        zlistx_delete (self->names, zlistx_cursor (self->names));
        self->state = 2;
    }
    //  state 2: describe the next table, or answer
    char *name = (char *) zlistx_first (self->names);
    if (name) {
        *operation = "DescribeTable";
        *body_p = s_table_request (name);
        self->state = 3;
        return 1;
    }
    size_t total = json_array_size (self->streams);
    json_t **sorted = (json_t **) zmalloc ((total + 1) * sizeof (json_t *));
    for (size_t i = 0; i < total; i++)
        sorted [i] = json_array_get (self->streams, i);
    qsort (sorted, total, sizeof (json_t *), s_compare_streams);
    const char *start = zyn_value_map_get_s (self->request,
                                             "ExclusiveStartStreamArn");
    int64_t limit = S_LIST_DEFAULT;
    zyn_value_map_get_int (self->request, "Limit", &limit);
    json_t *streams = json_array ();
    const char *last = NULL;
    for (size_t i = 0; i < total; i++) {
        const char *arn = json_string_value (json_object_get (sorted [i],
                                                              "StreamArn"));
        if (start && strcmp (arn, start) <= 0)
            continue;
        if ((int64_t) json_array_size (streams) == limit) {
            last = json_string_value (json_object_get (
                json_array_get (streams, json_array_size (streams) - 1),
                "StreamArn"));
            break;
        }
        json_array_append (streams, sorted [i]);
    }
    free (sorted);
    json_t *response = json_object ();
    json_object_set_new (response, "Streams", streams);
    if (last)
        json_object_set_new (response, "LastEvaluatedStreamArn",
                             json_string (last));
    *json_p = s_dump (response, json_size);
    return 0;
}

//  --------------------------------------------------------------------------
//  Advance the request.

int
zyn_streams_call_step (zyn_streams_call_t *self, const zyn_value_t *reply,
                       const zyn_error_t *reply_err, const char **operation,
                       zyn_value_t **body_p, char **json_p, size_t *json_size,
                       zyn_error_t *err)
{
    assert (self);
    assert (operation && body_p && json_p);
    if (reply_err && reply_err->type == ZYN_ERR_NONE)
        reply_err = NULL;
    if (!reply && !reply_err && self->state != 0)
        return zyn_error_set (err, ZYN_ERR_INTERNAL,
                              "The broker's reply was empty");
    const char *name = zyn_op_name (self->op);
    if (streq (name, "ListStreams"))
        return s_list_streams (self, reply, reply_err, operation, body_p,
                               json_p, json_size, err);
    if (streq (name, "DescribeStream"))
        return s_describe_stream (self, reply, reply_err, operation, body_p,
                                  json_p, json_size, err);
    if (streq (name, "GetShardIterator"))
        return s_get_shard_iterator (self, reply, reply_err, operation,
                                     body_p, json_p, json_size, err);
    if (streq (name, "GetRecords"))
        return s_get_records (self, reply, reply_err, operation, body_p,
                              json_p, json_size, err);
    return zyn_error_set (err, ZYN_ERR_UNKNOWN_OPERATION, "%s", "");
}

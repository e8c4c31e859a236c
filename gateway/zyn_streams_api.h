/*  =========================================================================
    zyn_streams_api - DynamoDB Streams (ListStreams, DescribeStream,
    GetShardIterator, GetRecords) over zynamo's change stream

    A Streams request needs one or more broker calls (DescribeTable,
    ListTables, ZynGetShards, ZynGetStreamRecords; docs/protocol.md). A
    zyn_streams_call_t is the state of one such request: the gateway asks
    it for the next broker call, feeds it the reply, and repeats until it
    has the response. Shards are partitions ("shardId-<partition, 8
    digits>-<table id, 16 hex digits>"); sequence numbers are the
    partition's, zero-padded to 21 digits so they sort as text; shard
    iterators are opaque base64 strings holding table, partition, next
    sequence number, view type and creation time, and expire after 15
    minutes. A TRIM_HORIZON iterator holds sequence number 0: the oldest
    record the shard still has when it is read. GetShardIterator at a
    sequence number the retention window has trimmed, and GetRecords
    with any other iterator at a record trimmed since, answer
    TrimmedDataAccessException. Limits: shards never
    close (no partition splits yet), so no EndingSequenceNumber.
    =========================================================================
*/

#ifndef ZYN_STREAMS_API_H_INCLUDED
#define ZYN_STREAMS_API_H_INCLUDED

#include "zynamo.h"
#include "zyn_optable.h"

typedef struct zyn_streams_call zyn_streams_call_t;

//  How long a shard iterator stays valid, as DynamoDB's
#define ZYN_STREAMS_ITERATOR_TTL_MS (15 * 60 * 1000)

//  Start serving a Streams request (op is of kind ZYN_OP_STREAMS; request
//  its validated native body). Takes ownership of *request_p and sets it
//  to NULL.
zyn_streams_call_t *
    zyn_streams_call_new (const zyn_op_t *op, zyn_value_t **request_p,
                          const char *region);

//  Destroy. Sets *self_p to NULL.
void
    zyn_streams_call_destroy (zyn_streams_call_t **self_p);

//  Advance the request. reply is the response of the broker call asked
//  for last (NULL on the first step, or when that call failed; then
//  reply_err says why). Returns 1 with the next broker call in *operation
//  (static) and *body_p (caller owns it); 0 with the JSON response in
//  *json_p (caller frees) and its length in *json_size; or -1 with
//  DynamoDB's error in err.
int
    zyn_streams_call_step (zyn_streams_call_t *self, const zyn_value_t *reply,
                           const zyn_error_t *reply_err,
                           const char **operation, zyn_value_t **body_p,
                           char **json_p, size_t *json_size,
                           zyn_error_t *err);

//  Make a shard iterator for table (id table_id), partition, the next
//  sequence number to read, the stream's view type, created at
//  created_ms (epoch msecs). Caller frees the string.
char *
    zyn_streams_iterator_new (const char *table, uint64_t table_id,
                              uint32_t partition, uint64_t sequence,
                              const char *view_type, int64_t created_ms);

//  Decode a shard iterator. Returns 0 and its parts (table and view_type
//  copied into buffers of table_size and 32 bytes), or -1 if it is not one
//  of ours.
int
    zyn_streams_iterator_parse (const char *iterator, char *table,
                                size_t table_size, uint64_t *table_id,
                                uint32_t *partition, uint64_t *sequence,
                                char *view_type, int64_t *created_ms);

//  Split a stream ARN ("arn:aws:dynamodb:<region>:<account>:table/<T>/
//  stream/<label>") into table name and label. Returns 0, or -1 if
//  malformed.
int
    zyn_streams_parse_arn (const char *arn, char *table, size_t table_size,
                           char *label, size_t label_size);

//  Render one native stream record (docs/protocol.md, "Stream records")
//  as a DynamoDB Streams record, images filtered by view_type
//  (KEYS_ONLY, NEW_IMAGE, OLD_IMAGE, NEW_AND_OLD_IMAGES). Returns the JSON
//  text (caller frees), or NULL if record is malformed.
char *
    zyn_streams_record_json (const zyn_value_t *record, const char *view_type,
                             const char *region);

#endif

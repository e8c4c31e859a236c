/*  =========================================================================
    zynamo.h - the public API of libzynamo

    libzynamo is the C client of zynamo, a DynamoDB-style database service.
    It holds DynamoDB's attribute values (zyn_value), the error type that
    carries DynamoDB's exception names (zyn_error), the connection to a
    cluster with synchronous and pipelined calls (zyn_client), and the
    change-stream subscription (zyn_stream).

    Requests and responses are maps whose keys are DynamoDB's parameter
    names ("TableName", "Key", "Item", "ExclusiveStartKey", ...), exactly
    as in DynamoDB's API reference; see docs/protocol.md.

    This header needs only <stddef.h>, <stdint.h> and <stdbool.h>.
    =========================================================================
*/

#ifndef ZYNAMO_H_INCLUDED
#define ZYNAMO_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ZYNAMO_VERSION_MAJOR 0
#define ZYNAMO_VERSION_MINOR 1
#define ZYNAMO_VERSION_PATCH 0
#define ZYNAMO_VERSION                                                      \
    (ZYNAMO_VERSION_MAJOR * 10000 + ZYNAMO_VERSION_MINOR * 100              \
     + ZYNAMO_VERSION_PATCH)

#ifdef __cplusplus
extern "C" {
#endif

//  --------------------------------------------------------------------------
//  Errors. zyn_errtype_t mirrors DynamoDB's exception names one for one;
//  zyn_error_name () gives the name ("ValidationException").

typedef enum {
    ZYN_ERR_NONE = 0,
    ZYN_ERR_VALIDATION,                 //  ValidationException
    ZYN_ERR_SERIALIZATION,              //  SerializationException
    ZYN_ERR_UNKNOWN_OPERATION,          //  UnknownOperationException
    ZYN_ERR_RESOURCE_NOT_FOUND,         //  ResourceNotFoundException
    ZYN_ERR_RESOURCE_IN_USE,            //  ResourceInUseException
    ZYN_ERR_LIMIT_EXCEEDED,             //  LimitExceededException
    ZYN_ERR_CONDITIONAL_CHECK_FAILED,   //  ConditionalCheckFailedException
    ZYN_ERR_ITEM_COLLECTION_SIZE_LIMIT_EXCEEDED,
    ZYN_ERR_PROVISIONED_THROUGHPUT_EXCEEDED,
    ZYN_ERR_REQUEST_LIMIT_EXCEEDED,     //  RequestLimitExceeded
    ZYN_ERR_THROTTLING,                 //  ThrottlingException
    ZYN_ERR_TRANSACTION_CANCELED,       //  TransactionCanceledException
    ZYN_ERR_TRANSACTION_CONFLICT,       //  TransactionConflictException
    ZYN_ERR_TRANSACTION_IN_PROGRESS,    //  TransactionInProgressException
    ZYN_ERR_IDEMPOTENT_PARAMETER_MISMATCH,
    ZYN_ERR_INTERNAL,                   //  InternalServerError
    ZYN_ERR_SERVICE_UNAVAILABLE,        //  ServiceUnavailable
    ZYN_ERR_MISSING_AUTHENTICATION_TOKEN,
    ZYN_ERR_INCOMPLETE_SIGNATURE,       //  IncompleteSignatureException
    ZYN_ERR_INVALID_SIGNATURE,          //  InvalidSignatureException
    ZYN_ERR_UNRECOGNIZED_CLIENT,        //  UnrecognizedClientException
    ZYN_ERR_ACCESS_DENIED,              //  AccessDeniedException
    ZYN_ERR_EXPIRED_ITERATOR,           //  ExpiredIteratorException
    ZYN_ERR_TRIMMED_DATA_ACCESS,        //  TrimmedDataAccessException
    ZYN_ERR_TABLE_NOT_FOUND,            //  TableNotFoundException
    ZYN_ERR_TABLE_ALREADY_EXISTS,       //  TableAlreadyExistsException
    ZYN_ERR_BACKUP_NOT_FOUND,           //  BackupNotFoundException
    ZYN_ERR_BACKUP_IN_USE,              //  BackupInUseException
    ZYN_ERR_CONTINUOUS_BACKUPS_UNAVAILABLE,
    ZYN_ERR_POINT_IN_TIME_RECOVERY_UNAVAILABLE,
    ZYN_ERR_INVALID_RESTORE_TIME,       //  InvalidRestoreTimeException
    ZYN_ERR_TABLE_IN_USE,               //  TableInUseException
    ZYN_ERR_DUPLICATE_ITEM,             //  DuplicateItemException
    ZYN_ERR_INDEX_NOT_FOUND,            //  IndexNotFoundException
    ZYN_ERR_MAX                         //  Not a type: the count
} zyn_errtype_t;

#define ZYN_ERROR_MESSAGE_MAX 512

//  Details of a failure. The caller puts one on its stack, zeroed
//  (zyn_error_t err = { 0 };), and passes its address as the last argument;
//  the callee fills it only on failure. Never needs freeing.
typedef struct {
    zyn_errtype_t type;                 //  ZYN_ERR_NONE when no error
    char message [ZYN_ERROR_MESSAGE_MAX];   //  Human text, always terminated
} zyn_error_t;

//  Fill err (if not NULL) with type and a printf-style message. Returns -1
//  so a caller can write "return zyn_error_set (err, ...);".
int
    zyn_error_set (zyn_error_t *err, zyn_errtype_t type, const char *format,
                   ...) __attribute__ ((format (printf, 3, 4)));

//  Reset err to ZYN_ERR_NONE with an empty message.
void
    zyn_error_clear (zyn_error_t *err);

//  DynamoDB's exception name for type ("ValidationException"). Static.
const char *
    zyn_error_name (zyn_errtype_t type);

//  The type whose exception name is name, or ZYN_ERR_MAX if none is.
zyn_errtype_t
    zyn_error_type_from_name (const char *name);

//  The HTTP status DynamoDB answers with for type (400, 500 or 503).
int
    zyn_error_http_status (zyn_errtype_t type);

//  True if retrying the same request later may succeed.
bool
    zyn_error_is_retryable (zyn_errtype_t type);


//  --------------------------------------------------------------------------
//  Attribute values: DynamoDB's ten types. A value is a tree: maps and
//  lists own their elements; sets own their elements, which are S, N or B
//  values. Numbers are held as normalised decimal text ("1.5").

typedef enum {
    ZYN_TYPE_S = 1,
    ZYN_TYPE_N,
    ZYN_TYPE_B,
    ZYN_TYPE_BOOL,
    ZYN_TYPE_NULL,
    ZYN_TYPE_M,
    ZYN_TYPE_L,
    ZYN_TYPE_SS,
    ZYN_TYPE_NS,
    ZYN_TYPE_BS
} zyn_type_t;

typedef struct zyn_value zyn_value_t;

//  Create a string value holding a copy of the NUL-terminated string.
zyn_value_t *
    zyn_value_new_s (const char *string);

//  Create a string value holding a copy of size bytes of data.
zyn_value_t *
    zyn_value_new_sn (const char *data, size_t size);

//  Create a number from its decimal text ("-12.50E3"), normalised. Returns
//  NULL and fills err with DynamoDB's ValidationException message if the
//  text is not a number or is out of DynamoDB's range.
zyn_value_t *
    zyn_value_new_n (const char *text, zyn_error_t *err);

//  Create a number from an integer.
zyn_value_t *
    zyn_value_new_n_int (int64_t number);

//  Create a binary value holding a copy of size bytes of data.
zyn_value_t *
    zyn_value_new_b (const void *data, size_t size);

//  Create a boolean value.
zyn_value_t *
    zyn_value_new_bool (bool boolean);

//  Create a NULL value.
zyn_value_t *
    zyn_value_new_null (void);

//  Create an empty map (M).
zyn_value_t *
    zyn_value_new_m (void);

//  Create an empty list (L).
zyn_value_t *
    zyn_value_new_l (void);

//  Create an empty set of type ZYN_TYPE_SS, ZYN_TYPE_NS or ZYN_TYPE_BS. A
//  set must hold at least one element before it is sent or stored.
zyn_value_t *
    zyn_value_new_set (zyn_type_t type);

//  Destroy a value and everything it holds. Sets *self_p to NULL.
void
    zyn_value_destroy (zyn_value_t **self_p);

//  Deep copy. Caller owns the result and must destroy it.
zyn_value_t *
    zyn_value_dup (const zyn_value_t *self);

//  The value's type.
zyn_type_t
    zyn_value_type (const zyn_value_t *self);

//  DynamoDB's name of type: "S", "N", "B", "BOOL", "NULL", "M", "L",
//  "SS", "NS" or "BS". Static.
const char *
    zyn_type_name (zyn_type_t type);

//  The type named name ("SS"), or 0 if none is.
zyn_type_t
    zyn_type_from_name (const char *name);

//  The bytes of an S, B or N value (N: its normalised decimal text). S and
//  N data are NUL-terminated. Returns a borrowed pointer; NULL for other
//  types.
const char *
    zyn_value_data (const zyn_value_t *self);

//  For S, B and N: the length of the data in bytes. For M, L and sets: the
//  number of elements. 0 for BOOL and NULL.
size_t
    zyn_value_size (const zyn_value_t *self);

//  The boolean of a BOOL value; false for other types.
bool
    zyn_value_bool (const zyn_value_t *self);

//  Put value under name in a map, replacing (and destroying) any value
//  already there. Takes ownership of *value_p and sets it to NULL.
void
    zyn_value_map_put (zyn_value_t *self, const char *name,
                       zyn_value_t **value_p);

//  The value under name in a map, or NULL. Returns a borrowed pointer.
zyn_value_t *
    zyn_value_map_get (const zyn_value_t *self, const char *name);

//  Remove the value under name from a map and return it (caller owns it),
//  or NULL if there was none.
zyn_value_t *
    zyn_value_map_take (zyn_value_t *self, const char *name);

//  The name of the map's index-th entry, in insertion order. Borrowed.
const char *
    zyn_value_map_name (const zyn_value_t *self, size_t index);

//  The value of the map's index-th entry. Borrowed.
zyn_value_t *
    zyn_value_map_value (const zyn_value_t *self, size_t index);

//  Append an element to a list or a set. For a set, the element must be of
//  the set's element type (S for SS, N for NS, B for BS); returns -1 and
//  destroys the element otherwise. Duplicates are checked when the value
//  is validated, not here. Takes ownership of *value_p and sets it to NULL.
int
    zyn_value_list_append (zyn_value_t *self, zyn_value_t **value_p);

//  Insert an element into a list at index (0 .. size). Takes ownership of
//  *value_p and sets it to NULL. Returns -1 if index is past the end.
int
    zyn_value_list_insert (zyn_value_t *self, size_t index,
                           zyn_value_t **value_p);

//  The index-th element of a list or set, or NULL. Borrowed.
zyn_value_t *
    zyn_value_list_get (const zyn_value_t *self, size_t index);

//  Replace the index-th element of a list or set. Takes ownership of
//  *value_p and sets it to NULL. Returns -1 if index is out of range.
int
    zyn_value_list_set (zyn_value_t *self, size_t index,
                        zyn_value_t **value_p);

//  Remove the index-th element of a list or set and return it (caller
//  owns it), or NULL if out of range.
zyn_value_t *
    zyn_value_list_take (zyn_value_t *self, size_t index);

//  DynamoDB equality: same type and same value; numbers compare
//  numerically, sets compare as sets (order ignored), maps by content.
bool
    zyn_value_equal (const zyn_value_t *self, const zyn_value_t *other);

//  Order two values of the same scalar type (S and B bytewise unsigned, N
//  numerically). Returns <0, 0 or >0. Values of other types or of
//  different types compare by type only.
int
    zyn_value_compare (const zyn_value_t *self, const zyn_value_t *other);

//  Shorthands for building maps: put a new S, N (decimal text, must be
//  valid), integer N or BOOL value under name.
void
    zyn_value_map_put_s (zyn_value_t *self, const char *name,
                         const char *string);
int
    zyn_value_map_put_n (zyn_value_t *self, const char *name,
                         const char *text);
void
    zyn_value_map_put_int (zyn_value_t *self, const char *name,
                           int64_t number);
void
    zyn_value_map_put_bool (zyn_value_t *self, const char *name,
                            bool boolean);

//  The string under name in a map if it is an S value, else NULL. Borrowed.
const char *
    zyn_value_map_get_s (const zyn_value_t *self, const char *name);

//  The number under name in a map as an integer: 0 and the value if it is
//  an N holding an integer in range, -1 otherwise.
int
    zyn_value_map_get_int (const zyn_value_t *self, const char *name,
                           int64_t *number);

//  Check a value as DynamoDB checks an attribute value: sets non-empty and
//  duplicate-free, numbers valid, nesting at most 32 levels deep. Returns
//  0, or -1 with DynamoDB's ValidationException message in err.
int
    zyn_value_validate (const zyn_value_t *self, zyn_error_t *err);

//  The size DynamoDB counts for an item (a map of attribute name to
//  value): the names' UTF-8 lengths plus each value's size, computed as
//  DynamoDB documents it.
size_t
    zyn_item_size (const zyn_value_t *item);

//  Encode as MessagePack (docs/protocol.md, "Values"). Returns a buffer
//  the caller owns and must free () with its size in *size.
void *
    zyn_value_encode (const zyn_value_t *self, size_t *size);

//  Decode one MessagePack object of exactly size bytes. Returns NULL and
//  fills err (SerializationException) on malformed input. Integers decode
//  as N. Caller owns the result.
zyn_value_t *
    zyn_value_decode (const void *data, size_t size, zyn_error_t *err);

//  Parse DynamoDB JSON: an attribute value ({"S":"x"}) when is_map is
//  false, or a map of names to attribute values ({"a":{"N":"1"}}) when it
//  is true. Returns NULL and fills err on malformed input.
zyn_value_t *
    zyn_value_from_json (const char *json, bool is_map, zyn_error_t *err);

//  Render as DynamoDB JSON, the inverse of zyn_value_from_json. Caller
//  owns the string and must free () it.
char *
    zyn_value_to_json (const zyn_value_t *self, bool is_map);


//  --------------------------------------------------------------------------
//  Client: a connection to a zynamo broker's front door.

typedef struct zyn_client zyn_client_t;

//  Connect to a broker ("tcp://127.0.0.1:7100"). Returns NULL and fills err
//  if the endpoint is unusable. The connection is made lazily, as ZeroMQ
//  does; a dead broker shows as ServiceUnavailable on the first call.
zyn_client_t *
    zyn_client_new (const char *endpoint, zyn_error_t *err);

//  Close the connection. Replies still outstanding are dropped. Sets
//  *self_p to NULL.
void
    zyn_client_destroy (zyn_client_t **self_p);

//  How long a synchronous call waits for its reply (default 10000 ms).
void
    zyn_client_set_timeout (zyn_client_t *self, int msecs);

//  Send item requests (GetItem, PutItem, UpdateItem, DeleteItem) straight
//  to the worker holding the key when the client knows the route (on by
//  default; the environment variable ZYNAMO_DIRECT=0 turns it off for
//  new clients). Off: every request goes through the broker.
void
    zyn_client_set_direct (zyn_client_t *self, bool direct);

//  Requests this client sent straight to workers so far, and those of
//  them it had to send again through the broker (a stale route, a worker
//  gone).
uint64_t
    zyn_client_direct_sent (zyn_client_t *self);
uint64_t
    zyn_client_direct_resent (zyn_client_t *self);

//  Call operation (a DynamoDB operation name, "PutItem") with request, a
//  map of DynamoDB parameters. Returns the response map (caller owns it),
//  or NULL with err filled. A ServiceUnavailable or timeout is retried
//  with back-off up to the timeout.
zyn_value_t *
    zyn_client_call (zyn_client_t *self, const char *operation,
                     const zyn_value_t *request, zyn_error_t *err);

//  The body of the last error reply on this client (it may carry "Item"
//  for ReturnValuesOnConditionCheckFailure or "CancellationReasons"), or
//  NULL. Borrowed, valid until the next call on self.
const zyn_value_t *
    zyn_client_error_body (zyn_client_t *self);

//  Pipelined interface: send a request without waiting. Returns the
//  request id (never 0), or 0 with err filled. Many requests may be in
//  flight; replies arrive in any order. An item request for a worker the
//  client reaches directly is held until the client next waits for a
//  reply (zyn_client_recv, _recv_raw or _call), so that the requests
//  sent in between travel to each worker as one message.
uint64_t
    zyn_client_send (zyn_client_t *self, const char *operation,
                     const zyn_value_t *request, zyn_error_t *err);

//  The same with a request already encoded as MessagePack.
uint64_t
    zyn_client_send_raw (zyn_client_t *self, const char *operation,
                         const void *body, size_t size, zyn_error_t *err);

//  Receive the next reply, waiting at most timeout_ms (-1: forever). Sets
//  *request_id to the id it answers. Returns the response map (caller
//  owns it), or NULL with err filled: the reply's error, or
//  ServiceUnavailable with *request_id 0 on timeout.
zyn_value_t *
    zyn_client_recv (zyn_client_t *self, uint64_t *request_id,
                     int timeout_ms, zyn_error_t *err);

//  Receive the next reply undecoded: returns 0 and a MessagePack body the
//  caller must free () in *body, *size; or -1 with err filled (the body of
//  an error reply is still returned when there is one).
int
    zyn_client_recv_raw (zyn_client_t *self, uint64_t *request_id,
                         int timeout_ms, void **body, size_t *size,
                         zyn_error_t *err);

//  Shorthands for the common calls. Each builds the request map and calls
//  zyn_client_call; see DynamoDB's API reference for the parameters.

//  Put item (a map) into table. Returns 0 or -1.
int
    zyn_client_put_item (zyn_client_t *self, const char *table,
                         const zyn_value_t *item, zyn_error_t *err);

//  Get the item with key (a map) from table. Returns the item (caller owns
//  it), or NULL: err says why, or is untouched if there is no such item.
zyn_value_t *
    zyn_client_get_item (zyn_client_t *self, const char *table,
                         const zyn_value_t *key, bool consistent_read,
                         zyn_error_t *err);

//  Delete the item with key from table. Returns 0 or -1.
int
    zyn_client_delete_item (zyn_client_t *self, const char *table,
                            const zyn_value_t *key, zyn_error_t *err);

//  Create a table with a partition key (and a sort key if sort_key is not
//  NULL); key types are "S", "N" or "B". Returns 0 or -1. The table starts
//  CREATING; zyn_client_wait_active waits for ACTIVE.
int
    zyn_client_create_table (zyn_client_t *self, const char *table,
                             const char *partition_key,
                             const char *partition_key_type,
                             const char *sort_key, const char *sort_key_type,
                             zyn_error_t *err);

//  Wait until table is ACTIVE, at most timeout_ms. Returns 0 or -1.
int
    zyn_client_wait_active (zyn_client_t *self, const char *table,
                            int timeout_ms, zyn_error_t *err);


//  --------------------------------------------------------------------------
//  Change streams: every committed mutation of a table, exactly once and
//  in sequence order per partition, resuming from a checkpoint
//  (docs/streams.md).

typedef struct zyn_stream zyn_stream_t;

//  Subscribe to table's change stream through the broker at endpoint. The
//  subscription starts at each partition's current end unless checkpoints
//  are set before the first zyn_stream_next. Returns NULL and fills err.
zyn_stream_t *
    zyn_stream_new (const char *endpoint, const char *table,
                    zyn_error_t *err);

//  Stop the subscription. Sets *self_p to NULL.
void
    zyn_stream_destroy (zyn_stream_t **self_p);

//  Resume partition after sequence number seq: the next record delivered
//  for it is seq + 1. Use 0 to read the partition from its beginning.
void
    zyn_stream_set_checkpoint (zyn_stream_t *self, uint32_t partition,
                               uint64_t seq);

//  Start every partition at its beginning (sequence 1) rather than at its
//  current end. Call before the first zyn_stream_next.
void
    zyn_stream_set_from_start (zyn_stream_t *self);

//  The last sequence number delivered for partition (0 if none).
uint64_t
    zyn_stream_checkpoint (zyn_stream_t *self, uint32_t partition);

//  The number of partitions (shards) of the table.
uint32_t
    zyn_stream_partitions (zyn_stream_t *self);

//  The next change record, waiting at most timeout_ms. Returns the record
//  map (caller owns it; see docs/streams.md for its fields), or NULL: on
//  timeout with err untouched, on failure with err filled.
zyn_value_t *
    zyn_stream_next (zyn_stream_t *self, int timeout_ms, zyn_error_t *err);

#ifdef __cplusplus
}
#endif

#endif

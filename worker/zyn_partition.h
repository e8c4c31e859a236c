/*  =========================================================================
    zyn_partition - one hash range of one table, stored in LevelDB

    A partition is one LevelDB under <data>/p-<TableId>-<PartitionId>/
    holding the row families of DESIGN.md section 3: item rows
    'i' | hash64 | enc(pk) | enc(sk) -> MessagePack item, change-log rows
    's' | seq (8 octets) -> MessagePack stream record, and meta rows
    'm' | name (the ASSIGN descriptor, the last sequence number, the item
    count and size).

    Writes are staged: zyn_partition_write adds an item change and its
    change record to a pending WriteBatch and to an in-memory overlay, so
    later reads (zyn_partition_read) see it before it is durable; then
    zyn_partition_commit writes the batch with sync (one fsync for all of
    it) or zyn_partition_abort forgets it. A pipelined commit seals the
    batch, writes it on another thread and finishes on the owner's,
    which meanwhile stages the next writes apart (zyn_partition_seal). This is the group commit of
    DESIGN.md section 3; the worker decides when to commit. Iterating
    reads (zyn_partition_iter_*) see only committed rows: the caller
    commits first.

    Reads go through a bounded row cache (zyn_rowcache) that holds
    committed bytes only: filled by reads, refreshed by commits.

    Local secondary index rows 'l' and item collection counters 'c' (see
    zyn_lsi) are staged with the item.

    The change log is kept for the stream window: zyn_partition_trim
    deletes the records older than a given time (the worker's retention,
    24 hours by default, as DynamoDB Streams keeps them).

    Known limits: no transaction locks.
    =========================================================================
*/

#ifndef ZYN_PARTITION_H_INCLUDED
#define ZYN_PARTITION_H_INCLUDED

#include "zynamo.h"
#include "zyn_lsi.h"

//  LevelDB settings of every partition: the memtable size unless
//  zyn_partition_open is given another, and the table block size (octets)
#define ZYN_PARTITION_WRITE_BUFFER (64 * 1024 * 1024)
#define ZYN_PARTITION_BLOCK_SIZE (16 * 1024)
//  The row cache's bound until zyn_partition_set_row_cache
#define ZYN_PARTITION_ROW_CACHE (8 * 1024 * 1024)

typedef struct zyn_partition zyn_partition_t;

//  Opaque LevelDB iterator over a partition's committed rows
typedef struct zyn_partition_iter zyn_partition_iter_t;

//  Open the partition stored under path, creating it if missing. If
//  descriptor (an ASSIGN body) is not NULL it is stored and used;
//  otherwise the descriptor stored earlier is read back (an error if
//  there is none). The last sequence number is recovered from the meta
//  row and the change log. Returns NULL and fills err (InternalServerError
//  for storage errors, ValidationException for a bad descriptor).
zyn_partition_t *
    zyn_partition_new (const char *path, const zyn_value_t *descriptor,
                       zyn_error_t *err);

//  zyn_partition_new with a memtable of write_buffer octets (LevelDB's
//  write_buffer_size; ZYN_PARTITION_WRITE_BUFFER if 0)
zyn_partition_t *
    zyn_partition_open (const char *path, const zyn_value_t *descriptor,
                        size_t write_buffer, zyn_error_t *err);

//  Close the partition (pending writes are forgotten). Sets *self_p to
//  NULL.
void
    zyn_partition_destroy (zyn_partition_t **self_p);

//  Close the partition and remove its directory with all it holds.
//  Returns 0, or -1 with err. Sets *self_p to NULL either way.
int
    zyn_partition_destroy_files (zyn_partition_t **self_p, zyn_error_t *err);

//  Remove the partition stored under path (which must not be open) with
//  all it holds. Returns 0, or -1 with err.
int
    zyn_partition_remove (const char *path, zyn_error_t *err);

//  Replace the descriptor (a new ASSIGN for an open partition, for
//  example with a changed hash range); stored durably. Returns 0 or -1.
int
    zyn_partition_set_descriptor (zyn_partition_t *self,
                                  const zyn_value_t *descriptor,
                                  zyn_error_t *err);

//  Accessors. Strings and values are borrowed, valid while self lives
//  and its descriptor is not replaced.
uint64_t
    zyn_partition_table_id (zyn_partition_t *self);
uint32_t
    zyn_partition_id (zyn_partition_t *self);
const char *
    zyn_partition_table_name (zyn_partition_t *self);
const char *
    zyn_partition_path (zyn_partition_t *self);
uint64_t
    zyn_partition_hash_start (zyn_partition_t *self);
uint64_t
    zyn_partition_hash_end (zyn_partition_t *self);
const zyn_value_t *
    zyn_partition_descriptor (zyn_partition_t *self);

//  The key schema: partition key name and type, sort key name and type
//  (NULL and 0 when the table has no sort key).
const char *
    zyn_partition_pk_name (zyn_partition_t *self);
zyn_type_t
    zyn_partition_pk_type (zyn_partition_t *self);
const char *
    zyn_partition_sk_name (zyn_partition_t *self);
zyn_type_t
    zyn_partition_sk_type (zyn_partition_t *self);

//  The key attribute names, NULL-terminated (for zyn_expr_update).
//  Borrowed.
const char **
    zyn_partition_key_names (zyn_partition_t *self);

//  The table's local secondary indexes (possibly none). Borrowed, valid
//  while self lives and its descriptor is not replaced.
zyn_lsi_t *
    zyn_partition_lsi (zyn_partition_t *self);

//  The item collection size of partition key value pk (items and their
//  local secondary index entries, see zyn_lsi), seeing staged writes.
//  Kept only for tables with local secondary indexes. Returns 0, or -1
//  with err.
int
    zyn_partition_collection_size (zyn_partition_t *self,
                                   const zyn_value_t *pk, uint64_t *size,
                                   zyn_error_t *err);

//  The sequence number of the last durable change record (0 if none).
uint64_t
    zyn_partition_last_seq (zyn_partition_t *self);

//  True if hash falls in the partition's hash range (inclusive).
bool
    zyn_partition_owns (zyn_partition_t *self, uint64_t hash);

//  True if there are staged writes not yet committed.
bool
    zyn_partition_is_dirty (zyn_partition_t *self);

//  Bound the partition's row cache to limit bytes (0: none). Reads fill
//  it with the committed rows LevelDB returned; a commit writes the new
//  bytes of the rows it holds through it (zyn_rowcache).
void
    zyn_partition_set_row_cache (zyn_partition_t *self, size_t limit);

//  The row cache's lookups that found their row and that did not, and
//  the bytes it holds
void
    zyn_partition_row_cache_stats (zyn_partition_t *self, uint64_t *hits,
                                   uint64_t *misses, size_t *bytes);

//  Read the item stored under row (an item row key), seeing staged
//  writes. Returns 0 and the item in *item_p (caller owns it) or NULL in
//  *item_p if there is none; -1 with err on a storage or decoding error.
int
    zyn_partition_read (zyn_partition_t *self, const uint8_t *row,
                        size_t row_size, zyn_value_t **item_p,
                        zyn_error_t *err);

//  Read the stored MessagePack bytes of the item under row, seeing staged
//  writes, into a new buffer that starts with headroom bytes left free for
//  the caller. Returns 0 and the buffer in *data_p (caller frees it) with
//  the item's size (not counting headroom) in *size_p, or NULL in *data_p
//  if there is none; -1 with err on a storage error. The bytes are not
//  decoded: they are the item as zyn_value_encode wrote it.
int
    zyn_partition_read_raw (zyn_partition_t *self, const uint8_t *row,
                            size_t row_size, size_t headroom,
                            uint8_t **data_p, size_t *size_p,
                            zyn_error_t *err);

//  Stage one mutation of the item under row: new_item NULL deletes it.
//  keys is the item's key attributes, old_item the item before (NULL if
//  there was none). Builds the change record (INSERT, MODIFY or REMOVE,
//  the next sequence number) and stages it with the item change in the
//  pending batch, with the item's local secondary index rows and its
//  item collection counter (the caller checks zyn_lsi_check_item and
//  the collection limit first). new_item stays the caller's: it is
//  encoded once, into the record, and the item row takes those bytes.
//  Returns the record's sequence number.
uint64_t
    zyn_partition_write (zyn_partition_t *self, const uint8_t *row,
                         size_t row_size, const zyn_value_t *keys,
                         const zyn_value_t *old_item,
                         const zyn_value_t *new_item);

//  Write the pending batch with sync. Returns 0 and makes the staged
//  records available to zyn_partition_next_record, or -1 with err (an
//  InternalServerError); the staged writes are then forgotten. Without
//  staged writes, returns 0 at once. No commit may be under way: this is
//  zyn_partition_seal, zyn_partition_write_sealed and
//  zyn_partition_finish in a row.
int
    zyn_partition_commit (zyn_partition_t *self, zyn_error_t *err);

//  A commit in three steps, so that the caller goes on staging writes
//  while the last ones are written (a pipelined group commit):
//  zyn_partition_seal turns the staged writes into the sealed ones
//  (false if nothing was staged), and later writes are staged apart.
//  Reads see both, the staged first. No commit may be under way.
bool
    zyn_partition_seal (zyn_partition_t *self);

//  Write the sealed batch with sync. Touches only the sealed batch and
//  LevelDB, so it may run on another thread while the owner stages
//  more writes and reads; nothing else may call into the partition
//  from that thread. Returns 0, or -1 with err.
int
    zyn_partition_write_sealed (zyn_partition_t *self, zyn_error_t *err);

//  On the owner's thread, with the result of zyn_partition_write_sealed:
//  rc 0 makes the sealed writes committed (their records go to
//  zyn_partition_next_record, zyn_partition_last_seq moves on); else
//  they are forgotten, and so are the writes staged since, which were
//  made on top of them.
void
    zyn_partition_finish (zyn_partition_t *self, int rc);

//  True from zyn_partition_seal to zyn_partition_finish.
bool
    zyn_partition_in_flight (zyn_partition_t *self);

//  The sequence number of the last staged write (zyn_partition_last_seq
//  if none is staged or under way): a reply that saw the staged writes
//  may go once zyn_partition_last_seq reaches it.
uint64_t
    zyn_partition_staged_seq (zyn_partition_t *self);

//  The number of committed items and their DynamoDB size in octets (names
//  and values), for DescribeTable's ItemCount and TableSizeBytes.
void
    zyn_partition_item_stats (zyn_partition_t *self, int64_t *items,
                              int64_t *bytes);

//  Forget every staged write (not the sealed ones under way).
void
    zyn_partition_abort (zyn_partition_t *self);

//  The next committed record not yet taken, oldest first: returns its
//  MessagePack bytes (caller owns the zchunk) and its sequence number in
//  *seq, or NULL when none is left.
zchunk_t *
    zyn_partition_next_record (zyn_partition_t *self, uint64_t *seq);

//  Trim the change log: delete the oldest records whose
//  ApproximateCreationDateTime is before before_ms (wall clock, ms), at
//  most max of them, never one that is not yet durable. Returns how many
//  were deleted (0 if none is that old), or -1 with err. The deletes need
//  no fsync: a trim lost in a crash is done again.
int64_t
    zyn_partition_trim (zyn_partition_t *self, int64_t before_ms,
                        size_t max, zyn_error_t *err);

//  The oldest sequence number still in the change log (the one after the
//  last durable one if the log is empty)
uint64_t
    zyn_partition_first_seq (zyn_partition_t *self);

//  Read up to limit change records starting at sequence number start,
//  stopping after the record that brings their stored size to max_bytes
//  (0 for no cap). Returns a list value of record maps (caller owns it),
//  or NULL with err.
zyn_value_t *
    zyn_partition_read_records (zyn_partition_t *self, uint64_t start,
                                size_t limit, size_t max_bytes,
                                zyn_error_t *err);

//  Iterate committed rows. An iterator belongs to one partition and must
//  be destroyed before it.
zyn_partition_iter_t *
    zyn_partition_iter_new (zyn_partition_t *self);
void
    zyn_partition_iter_destroy (zyn_partition_iter_t **self_p);

//  Position at the first row >= key; at the last row < key when
//  before is true. Returns true if positioned on a row.
bool
    zyn_partition_iter_seek (zyn_partition_iter_t *self, const uint8_t *key,
                             size_t size, bool before);

//  Step forward (or backward). Returns true if positioned on a row.
bool
    zyn_partition_iter_step (zyn_partition_iter_t *self, bool forward);

//  The current row's key and value. Borrowed, valid until the iterator
//  moves.
const uint8_t *
    zyn_partition_iter_key (zyn_partition_iter_t *self, size_t *size);
const uint8_t *
    zyn_partition_iter_value (zyn_partition_iter_t *self, size_t *size);

#endif

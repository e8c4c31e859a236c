/*  =========================================================================
    zyn_indexer - keeps global secondary indexes from their base tables'
    change streams, and backfills new ones

    The indexer learns the indexes from the broker (ZynListIndexes, every
    second). For each index it follows the base table's change stream with
    libzynamo's checkpointed, gap-filling subscription (zyn_stream) and,
    for each record, removes the entry of the old image and writes the
    entry of the new one (ZynIndexWrite, pipelined). A batch's checkpoints
    are stored in the indexer's own LevelDB, with sync, only after every
    write of the batch was acknowledged, so after a crash it replays from
    the last stored checkpoint: index entries are keyed by the base key,
    so a replay converges. An index added to a populated table is first
    backfilled: record each base partition's last sequence S, scan the
    table, then follow the stream from S + 1; once caught up it reports
    the index ACTIVE (ZynIndexStatus). It reports each index's lag (change
    records not yet applied) to the broker and in its log.

    See docs/indexes.md. Known limits: one index at a time is backfilled,
    and while it is, the indexer's other indexes wait.
    =========================================================================
*/

#ifndef ZYN_INDEXER_H_INCLUDED
#define ZYN_INDEXER_H_INCLUDED

#include "zynamo.h"

typedef struct zyn_indexer zyn_indexer_t;

//  Create an indexer for the broker at endpoint (its front door), keeping
//  its checkpoints in a LevelDB under data (created if missing). Returns
//  NULL and fills err (InternalServerError) if the store cannot be
//  opened.
zyn_indexer_t *
    zyn_indexer_new (const char *endpoint, const char *data,
                     zyn_error_t *err);

//  Destroy the indexer, closing its store. Sets *self_p to NULL.
void
    zyn_indexer_destroy (zyn_indexer_t **self_p);

//  Log every batch.
void
    zyn_indexer_set_verbose (zyn_indexer_t *self, bool verbose);

//  Do one round of work: refresh the list of indexes when due, backfill
//  a new index, apply one batch of change records to each index, report
//  lag. Waits at most about timeout_ms for records when there is nothing
//  to do (a backfill may take longer). Returns the number of change
//  records applied.
size_t
    zyn_indexer_step (zyn_indexer_t *self, int timeout_ms);

//  The number of indexes the indexer keeps.
size_t
    zyn_indexer_size (zyn_indexer_t *self);

//  The change records of index of table not yet applied, as last measured
//  (at most a second old), or -1 if the indexer does not keep that index.
int64_t
    zyn_indexer_lag (zyn_indexer_t *self, const char *table,
                     const char *index);

#endif

/*  =========================================================================
    zyn_commit - a worker's group commit: every partition with staged
    writes commits at once

    zyn_commit_all writes the pending WriteBatch of each dirty partition
    (zyn_partition_commit: one fsync each): all but the first on
    committer threads, the first on the caller's thread, then waits for
    all, so the partitions of one group commit fsync in parallel
    (docs/performance.md, History 2026-11-24 04:25 UTC). The caller does
    not touch the partitions meanwhile: it is blocked in the call.
    Committer threads are made as the dirty partitions of one commit
    outnumber them, and kept.
    =========================================================================
*/

#ifndef ZYN_COMMIT_H_INCLUDED
#define ZYN_COMMIT_H_INCLUDED

#include "zynamo.h"
#include "zyn_partition.h"

typedef struct zyn_commit zyn_commit_t;

zyn_commit_t *
    zyn_commit_new (void);

//  Stop the committer threads
void
    zyn_commit_destroy (zyn_commit_t **self_p);

//  Commit every partition of partitions (table-partition key ->
//  zyn_partition_t) that has staged writes, and wait for all. Logs each
//  failure. Returns how many commits succeeded.
size_t
    zyn_commit_all (zyn_commit_t *self, zhashx_t *partitions);

//  After zyn_commit_all: true if partition was committed by it and its
//  commit failed (its writes are not durable)
bool
    zyn_commit_failed (zyn_commit_t *self, zyn_partition_t *partition);

#endif

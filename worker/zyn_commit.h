/*  =========================================================================
    zyn_commit - a worker's pipelined group commit: committer threads
    write sealed partitions with sync while the worker goes on

    The worker seals a partition's staged writes (zyn_partition_seal)
    and hands it to zyn_commit_start, which returns at once: a committer
    thread writes the sealed batch (zyn_partition_write_sealed, one
    fsync) while the worker executes the next requests, staged apart.
    When a commit is done, the descriptor of zyn_commit_fd turns
    readable and zyn_commit_next gives its partition and result, for the
    worker to zyn_partition_finish on its own thread. Partitions commit
    in parallel, each at most once at a time (docs/performance.md,
    History 2026-11-24 04:25 UTC and 2026-11-24 23:00 UTC). Committer
    threads are made as the commits under way outnumber them, and kept.
    =========================================================================
*/

#ifndef ZYN_COMMIT_H_INCLUDED
#define ZYN_COMMIT_H_INCLUDED

#include "zynamo.h"
#include "zyn_partition.h"

typedef struct zyn_commit zyn_commit_t;

//  Returns NULL if the wake-up descriptor cannot be made
zyn_commit_t *
    zyn_commit_new (void);

//  Wait for the commits under way, then stop the committer threads
void
    zyn_commit_destroy (zyn_commit_t **self_p);

//  Write partition's sealed batch on a committer thread. The partition
//  must have been sealed and must not be touched from anywhere but the
//  caller's thread until zyn_commit_next returns it.
void
    zyn_commit_start (zyn_commit_t *self, zyn_partition_t *partition);

//  How many commits were started and not yet returned by zyn_commit_next
size_t
    zyn_commit_under_way (zyn_commit_t *self);

//  A descriptor that polls readable when a commit may be done
int
    zyn_commit_fd (zyn_commit_t *self);

//  A finished commit: returns its partition, with 0 in *rc_p or -1 and
//  err, or NULL if none has finished. With wait, blocks until one has,
//  unless none is under way.
zyn_partition_t *
    zyn_commit_next (zyn_commit_t *self, bool wait, int *rc_p,
                     zyn_error_t *err);

#endif

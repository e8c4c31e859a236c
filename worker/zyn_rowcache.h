/*  =========================================================================
    zyn_rowcache - a bounded cache of committed rows, in front of LevelDB

    Maps a row key to the bytes LevelDB holds for it, so a read of a hot
    item skips LevelDB's memtable search, its table lookups and its two
    copies of the value. One cache per partition: the partition fills it
    on a read that LevelDB answered and writes every committed row
    through it (zyn_partition_commit), so it never holds bytes that are
    not the committed state. Staged writes stay in the partition's
    overlay until their commit.

    Bounded by bytes (each entry is charged its key, its value and its
    header); eviction is CLOCK (second chance): a hit only sets a flag,
    and the hand clears flags until it finds an entry not used since it
    last passed. A value larger than an eighth of the limit is not
    cached. Not thread safe: the partition's owner uses it from one
    thread at a time.
    =========================================================================
*/

#ifndef ZYN_ROWCACHE_H_INCLUDED
#define ZYN_ROWCACHE_H_INCLUDED

#include "zynamo.h"

typedef struct zyn_rowcache zyn_rowcache_t;

//  Create a cache holding at most limit bytes (0: caches nothing)
zyn_rowcache_t *
    zyn_rowcache_new (size_t limit);

void
    zyn_rowcache_destroy (zyn_rowcache_t **self_p);

//  The cached value of key, or NULL. The pointer is valid until the next
//  put, remove or set_limit. Counts a hit or a miss.
const uint8_t *
    zyn_rowcache_get (zyn_rowcache_t *self, const uint8_t *key,
                      size_t key_size, size_t *value_size);

//  Cache value under key (copied), replacing what key held; evicts as
//  needed. Returns the cached copy (valid as zyn_rowcache_get's), or
//  NULL if the value is too large to cache: then key is removed.
const uint8_t *
    zyn_rowcache_put (zyn_rowcache_t *self, const uint8_t *key,
                      size_t key_size, const uint8_t *value,
                      size_t value_size);

//  If key is cached, cache value in its place (value NULL: forget key).
//  For writes: a row written becomes cached only when it is read.
void
    zyn_rowcache_refresh (zyn_rowcache_t *self, const uint8_t *key,
                          size_t key_size, const uint8_t *value,
                          size_t value_size);

//  Forget key, if cached
void
    zyn_rowcache_remove (zyn_rowcache_t *self, const uint8_t *key,
                         size_t key_size);

//  Change the limit, evicting down to it
void
    zyn_rowcache_set_limit (zyn_rowcache_t *self, size_t limit);

size_t
    zyn_rowcache_limit (zyn_rowcache_t *self);

//  Bytes charged and entries held
size_t
    zyn_rowcache_bytes (zyn_rowcache_t *self);

size_t
    zyn_rowcache_count (zyn_rowcache_t *self);

//  Lookups that found their key, and that did not, since creation
uint64_t
    zyn_rowcache_hits (zyn_rowcache_t *self);

uint64_t
    zyn_rowcache_misses (zyn_rowcache_t *self);

#endif

/*  =========================================================================
    zyn_rowcache - a bounded cache of committed rows, in front of LevelDB

    A chained hash table of entries, each one allocation holding its key
    and value, and a ring of the same entries for the CLOCK hand. An
    entry knows its place in the ring, so removing one moves the ring's
    last entry into its place.
    =========================================================================
*/

#include "zyn_prelude.h"
#include "zyn_rowcache.h"

typedef struct s_entry s_entry_t;
struct s_entry {
    s_entry_t *next;            //  Next in the bucket's chain
    uint64_t hash;
    size_t slot;                //  Index in the ring
    uint32_t key_size;
    uint32_t value_size;
    bool referenced;            //  Used since the hand last passed
    uint8_t data [];            //  key_size octets of key, then the value
};

struct zyn_rowcache {
    size_t limit;               //  Most bytes charged
    size_t bytes;               //  Bytes charged
    s_entry_t **buckets;        //  Owned array, bucket_count chains
    size_t bucket_count;        //  A power of two
    s_entry_t **ring;           //  Owned array, count entries in use
    size_t count;
    size_t ring_max;
    size_t hand;                //  The CLOCK hand, an index in the ring
    uint64_t hits;
    uint64_t misses;
};

#define S_MIN_BUCKETS 64

//  --------------------------------------------------------------------------
//  A 64-bit hash of the key, eight octets at a step

static uint64_t
s_hash (const uint8_t *key, size_t size)
{
    uint64_t hash = 0x9e3779b97f4a7c15ULL ^ (uint64_t) size;
    while (size >= 8) {
        uint64_t word;
        memcpy (&word, key, 8);
        hash = (hash ^ word) * 0xff51afd7ed558ccdULL;
        hash ^= hash >> 32;
        key += 8;
        size -= 8;
    }
    uint64_t word = 0;
    memcpy (&word, key, size);
    hash = (hash ^ word) * 0xc4ceb9fe1a85ec53ULL;
    hash ^= hash >> 29;
    return hash;
}

static size_t
s_charge (size_t key_size, size_t value_size)
{
    return sizeof (s_entry_t) + key_size + value_size;
}

//  --------------------------------------------------------------------------
//  Create a cache holding at most limit bytes

zyn_rowcache_t *
zyn_rowcache_new (size_t limit)
{
    zyn_rowcache_t *self = (zyn_rowcache_t *) zmalloc (sizeof (*self));
    self->limit = limit;
    self->bucket_count = S_MIN_BUCKETS;
    self->buckets = (s_entry_t **) zmalloc (self->bucket_count
                                            * sizeof (s_entry_t *));
    return self;
}

void
zyn_rowcache_destroy (zyn_rowcache_t **self_p)
{
    assert (self_p);
    zyn_rowcache_t *self = *self_p;
    if (self) {
        for (size_t i = 0; i < self->count; i++)
            free (self->ring [i]);
        free (self->ring);
        free (self->buckets);
        free (self);
        *self_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  The entry for key, or NULL; sets *link_p to the pointer that holds it
//  (or would end the chain)

static s_entry_t *
s_find (zyn_rowcache_t *self, const uint8_t *key, size_t key_size,
        uint64_t hash, s_entry_t ***link_p)
{
    s_entry_t **link = &self->buckets [hash & (self->bucket_count - 1)];
    while (*link) {
        s_entry_t *entry = *link;
        if (entry->hash == hash && entry->key_size == key_size
            && memcmp (entry->data, key, key_size) == 0)
            break;
        link = &entry->next;
    }
    if (link_p)
        *link_p = link;
    return *link;
}

//  --------------------------------------------------------------------------
//  Unlink entry from its chain and the ring, and free it

static void
s_drop (zyn_rowcache_t *self, s_entry_t *entry)
{
    s_entry_t **link = NULL;
    s_find (self, entry->data, entry->key_size, entry->hash, &link);
    assert (*link == entry);
    *link = entry->next;
    size_t last = --self->count;
    if (entry->slot != last) {
        self->ring [entry->slot] = self->ring [last];
        self->ring [entry->slot]->slot = entry->slot;
    }
    self->bytes -= s_charge (entry->key_size, entry->value_size);
    free (entry);
}

//  --------------------------------------------------------------------------
//  Evict until need more bytes fit under the limit

static void
s_evict (zyn_rowcache_t *self, size_t need)
{
    while (self->count && self->bytes + need > self->limit) {
        if (self->hand >= self->count)
            self->hand = 0;
        s_entry_t *entry = self->ring [self->hand];
        if (entry->referenced) {
            entry->referenced = false;
            self->hand++;
        }
        else
            s_drop (self, entry);   //  The last entry takes its slot
    }
}

//  --------------------------------------------------------------------------
//  Double the buckets once entries outnumber them

static void
s_grow (zyn_rowcache_t *self)
{
    size_t bucket_count = self->bucket_count * 2;
    s_entry_t **buckets = (s_entry_t **) zmalloc (bucket_count
                                                  * sizeof (s_entry_t *));
    for (size_t i = 0; i < self->bucket_count; i++) {
        s_entry_t *entry = self->buckets [i];
        while (entry) {
            s_entry_t *next = entry->next;
            s_entry_t **head = &buckets [entry->hash & (bucket_count - 1)];
            entry->next = *head;
            *head = entry;
            entry = next;
        }
    }
    free (self->buckets);
    self->buckets = buckets;
    self->bucket_count = bucket_count;
}

//  --------------------------------------------------------------------------
//  The cached value of key, or NULL

const uint8_t *
zyn_rowcache_get (zyn_rowcache_t *self, const uint8_t *key, size_t key_size,
                  size_t *value_size)
{
    assert (self);
    assert (value_size);
    s_entry_t *entry = self->count
                     ? s_find (self, key, key_size, s_hash (key, key_size),
                               NULL)
                     : NULL;
    if (!entry) {
        self->misses++;
        return NULL;
    }
    self->hits++;
    entry->referenced = true;
    *value_size = entry->value_size;
    return entry->data + entry->key_size;
}

//  --------------------------------------------------------------------------
//  Insert key (not cached) with value, evicting as needed. Returns the
//  new entry, or NULL if the value is too large to cache.

static s_entry_t *
s_insert (zyn_rowcache_t *self, const uint8_t *key, size_t key_size,
          const uint8_t *value, size_t value_size)
{
    size_t charge = s_charge (key_size, value_size);
    if (charge > self->limit / 8 || key_size > UINT32_MAX
        || value_size > UINT32_MAX)
        return NULL;
    s_evict (self, charge);

    s_entry_t *entry = (s_entry_t *) malloc (charge);
    assert (entry);
    entry->hash = s_hash (key, key_size);
    entry->key_size = (uint32_t) key_size;
    entry->value_size = (uint32_t) value_size;
    entry->referenced = false;
    memcpy (entry->data, key, key_size);
    if (value_size)
        memcpy (entry->data + key_size, value, value_size);

    if (self->count == self->ring_max) {
        self->ring_max = self->ring_max ? self->ring_max * 2 : 64;
        self->ring = (s_entry_t **) realloc (self->ring, self->ring_max
                                             * sizeof (s_entry_t *));
        assert (self->ring);
    }
    entry->slot = self->count;
    self->ring [self->count++] = entry;
    if (self->count > self->bucket_count)
        s_grow (self);
    s_entry_t **head = &self->buckets [entry->hash
                                       & (self->bucket_count - 1)];
    entry->next = *head;
    *head = entry;
    self->bytes += charge;
    return entry;
}

//  --------------------------------------------------------------------------
//  Cache value under key, replacing what key held

const uint8_t *
zyn_rowcache_put (zyn_rowcache_t *self, const uint8_t *key, size_t key_size,
                  const uint8_t *value, size_t value_size)
{
    assert (self);
    assert (key);
    assert (value || value_size == 0);
    zyn_rowcache_remove (self, key, key_size);
    s_entry_t *entry = s_insert (self, key, key_size, value, value_size);
    return entry ? entry->data + entry->key_size : NULL;
}

//  --------------------------------------------------------------------------
//  If key is cached, cache value in its place (value NULL: forget key)

void
zyn_rowcache_refresh (zyn_rowcache_t *self, const uint8_t *key,
                      size_t key_size, const uint8_t *value,
                      size_t value_size)
{
    assert (self);
    if (self->count == 0)
        return;
    s_entry_t *entry = s_find (self, key, key_size, s_hash (key, key_size),
                               NULL);
    if (!entry)
        return;
    bool referenced = entry->referenced;
    s_drop (self, entry);
    entry = value ? s_insert (self, key, key_size, value, value_size) : NULL;
    if (entry)
        entry->referenced = referenced;
}

//  --------------------------------------------------------------------------
//  Forget key, if cached

void
zyn_rowcache_remove (zyn_rowcache_t *self, const uint8_t *key,
                     size_t key_size)
{
    assert (self);
    if (self->count == 0)
        return;
    s_entry_t *entry = s_find (self, key, key_size, s_hash (key, key_size),
                               NULL);
    if (entry)
        s_drop (self, entry);
}

//  --------------------------------------------------------------------------
//  Change the limit, evicting down to it

void
zyn_rowcache_set_limit (zyn_rowcache_t *self, size_t limit)
{
    assert (self);
    self->limit = limit;
    s_evict (self, 0);
}

size_t
zyn_rowcache_limit (zyn_rowcache_t *self)
{
    assert (self);
    return self->limit;
}

size_t
zyn_rowcache_bytes (zyn_rowcache_t *self)
{
    assert (self);
    return self->bytes;
}

size_t
zyn_rowcache_count (zyn_rowcache_t *self)
{
    assert (self);
    return self->count;
}

uint64_t
zyn_rowcache_hits (zyn_rowcache_t *self)
{
    assert (self);
    return self->hits;
}

uint64_t
zyn_rowcache_misses (zyn_rowcache_t *self)
{
    assert (self);
    return self->misses;
}

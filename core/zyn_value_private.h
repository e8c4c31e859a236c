/*  =========================================================================
    zyn_value_private - the layout of the attribute value tree, shared by
    zyn_value.c and zyn_value_codec.c; not a public contract

    zyn_value.c owns the tree and every operation on it; zyn_value_codec.c
    reads and writes it as MessagePack and DynamoDB JSON, and builds nodes
    directly rather than through the public constructors, which would
    check and copy again. No other file may include this header: the rest
    of the process uses include/zynamo.h and core/zyn_value.h.
    =========================================================================
*/

#ifndef ZYN_VALUE_PRIVATE_H_INCLUDED
#define ZYN_VALUE_PRIVATE_H_INCLUDED

#include "zynamo.h"

//  DynamoDB's message for a value nested deeper than it accepts
#define ZYN_VALUE_NESTING_MESSAGE                                           \
    "Nesting Levels have exceeded supported limits: Attributes in the item " \
    "have nested levels beyond supported limit"

//  Every node starts with this header. Scalars (S, N, B) carry their data
//  right after it, NUL-terminated; containers are a zyn_value_coll_t.
struct zyn_value {
    uint8_t type;                   //  zyn_type_t
    bool boolean;                   //  BOOL's value
    size_t size;                    //  Data bytes, or element count
};

typedef struct {
    size_t name_offset;             //  Of the name in the map's names
    size_t name_size;               //  strlen (name)
    uint32_t hash;                  //  s_hash (name) in zyn_value.c
    zyn_value_t *value;             //  Owned
} zyn_value_entry_t;

typedef struct {
    zyn_value_t head;
    size_t capacity;                //  Allocated elements or entries
    zyn_value_t **elements;         //  L and sets: owned elements
    zyn_value_entry_t *entries;     //  M: owned entries
    char *names;                    //  M: owned, every name NUL-terminated
    size_t names_used;              //  M: bytes used in names
    size_t names_capacity;          //  M: bytes allocated for names
    size_t names_garbage;           //  M: bytes of names taken out
    uint32_t *index;                //  M: entry + 1 per slot, 0 is empty
    size_t index_slots;             //  Power of two, or 0 without index
} zyn_value_coll_t;

//  The bytes of a scalar (S, N, B), NUL-terminated. Returns a borrowed
//  pointer, valid while self lives.
static inline const char *
zyn_value_bytes (const zyn_value_t *self)
{
    return (const char *) (self + 1);
}

//  The container behind an M, L or set node
static inline zyn_value_coll_t *
zyn_value_coll (const zyn_value_t *self)
{
    return (zyn_value_coll_t *) self;
}

//  The name of a map entry. Returns a borrowed pointer, valid until the
//  next put or take on the map.
static inline const char *
zyn_value_entry_name (const zyn_value_coll_t *coll,
                      const zyn_value_entry_t *entry)
{
    return coll->names + entry->name_offset;
}

//  Make a scalar node of type holding a copy of size bytes of data, with
//  no checks: N must already be normalised. Caller owns the result.
zyn_value_t *
    zyn_value_new_scalar (int type, const void *data, size_t size);

//  Make an empty M, L or set node. Caller owns the result.
zyn_value_t *
    zyn_value_new_collection (int type);

//  Make room in a container for at least wanted elements or entries
void
    zyn_value_coll_grow (zyn_value_coll_t *coll, size_t wanted);

//  Put a value into an M under a name of name_size bytes, replacing any
//  value already there. Takes ownership of value.
void
    zyn_value_map_put_sn (zyn_value_t *self, const char *name,
                          size_t name_size, zyn_value_t *value);

#endif

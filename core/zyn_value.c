/*  =========================================================================
    zyn_value - DynamoDB's attribute values: the tree, its checks and item
    size

    A value is one of DynamoDB's ten types. S, B and N hold their bytes in
    the same allocation as the node (N as normalised decimal text, so two
    equal numbers have equal bytes); M keeps its entries in insertion
    order with a hash index once it grows past S_INDEX_MIN entries; L and
    the sets hold element pointers. The node layout is in
    zyn_value_private.h; the MessagePack and DynamoDB JSON forms are in
    zyn_value_codec.c.

    Known limits: map_take and list_insert/take are linear in the size of
    the container, as they keep order.
    =========================================================================
*/

#include "zyn_prelude.h"
#include <sodium.h>
#include "zyn_error.h"
#include "zyn_decimal.h"
#include "zyn_value.h"
#include "zyn_value_private.h"

//  Maps index their names by hash past this many entries
#define S_INDEX_MIN 16

static const char *s_type_names [] = {
    NULL, "S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS"
};

static inline bool
s_is_scalar (const zyn_value_t *self)
{
    return self->type == ZYN_TYPE_S || self->type == ZYN_TYPE_N
        || self->type == ZYN_TYPE_B;
}

static inline bool
s_is_set_type (int type)
{
    return type == ZYN_TYPE_SS || type == ZYN_TYPE_NS || type == ZYN_TYPE_BS;
}

static inline bool
s_is_collection (const zyn_value_t *self)
{
    return self->type == ZYN_TYPE_M || self->type == ZYN_TYPE_L
        || s_is_set_type (self->type);
}

//  The element type of a set type
static int
s_set_element_type (int set_type)
{
    return set_type == ZYN_TYPE_SS ? ZYN_TYPE_S
         : set_type == ZYN_TYPE_NS ? ZYN_TYPE_N
                                   : ZYN_TYPE_B;
}

//  FNV-1a, for map names
static uint32_t
s_hash (const char *name, size_t size)
{
    uint32_t hash = 2166136261u;
    for (size_t i = 0; i < size; i++) {
        hash ^= (uint8_t) name [i];
        hash *= 16777619u;
    }
    return hash;
}


//  --------------------------------------------------------------------------
//  Nodes: what zyn_value_private.h shares with zyn_value_codec.c

//  Make a scalar node of type holding a copy of size bytes of data, with
//  no checks: N must already be normalised. Caller owns the result.
zyn_value_t *
zyn_value_new_scalar (int type, const void *data, size_t size)
{
    zyn_value_t *self
        = (zyn_value_t *) malloc (sizeof (zyn_value_t) + size + 1);
    assert (self);
    self->type = (uint8_t) type;
    self->boolean = false;
    self->size = size;
    char *target = (char *) (self + 1);
    if (size)
        memcpy (target, data, size);
    target [size] = 0;
    return self;
}

//  Make an empty M, L or set node. Caller owns the result.
zyn_value_t *
zyn_value_new_collection (int type)
{
    zyn_value_coll_t *coll
        = (zyn_value_coll_t *) zmalloc (sizeof (zyn_value_coll_t));
    coll->head.type = (uint8_t) type;
    return &coll->head;
}

//  Make room in a container for at least wanted elements or entries
void
zyn_value_coll_grow (zyn_value_coll_t *coll, size_t wanted)
{
    if (wanted <= coll->capacity)
        return;
    size_t capacity = coll->capacity ? coll->capacity * 2 : 4;
    while (capacity < wanted)
        capacity *= 2;
    if (coll->head.type == ZYN_TYPE_M) {
        coll->entries = (zyn_value_entry_t *) realloc (
            coll->entries, capacity * sizeof (zyn_value_entry_t));
        assert (coll->entries);
    }
    else {
        coll->elements = (zyn_value_t **) realloc (
            coll->elements, capacity * sizeof (zyn_value_t *));
        assert (coll->elements);
    }
    coll->capacity = capacity;
}


//  --------------------------------------------------------------------------
//  Constructors and destructor

zyn_value_t *
zyn_value_new_s (const char *string)
{
    assert (string);
    return zyn_value_new_scalar (ZYN_TYPE_S, string, strlen (string));
}

zyn_value_t *
zyn_value_new_sn (const char *data, size_t size)
{
    assert (data || size == 0);
    return zyn_value_new_scalar (ZYN_TYPE_S, data, size);
}

zyn_value_t *
zyn_value_new_n (const char *text, zyn_error_t *err)
{
    assert (text);
    char canonical [ZYN_DECIMAL_TEXT_MAX];
    int length = zyn_decimal_normalize (text, strlen (text), canonical, err);
    if (length < 0)
        return NULL;
    return zyn_value_new_scalar (ZYN_TYPE_N, canonical, (size_t) length);
}

zyn_value_t *
zyn_value_new_n_int (int64_t number)
{
    //  An integer's plain decimal text is already canonical
    char text [32];
    int length = snprintf (text, sizeof (text), "%" PRId64, number);
    return zyn_value_new_scalar (ZYN_TYPE_N, text, (size_t) length);
}

zyn_value_t *
zyn_value_new_b (const void *data, size_t size)
{
    assert (data || size == 0);
    return zyn_value_new_scalar (ZYN_TYPE_B, data, size);
}

zyn_value_t *
zyn_value_new_bool (bool boolean)
{
    zyn_value_t *self = (zyn_value_t *) zmalloc (sizeof (zyn_value_t));
    self->type = ZYN_TYPE_BOOL;
    self->boolean = boolean;
    return self;
}

zyn_value_t *
zyn_value_new_null (void)
{
    zyn_value_t *self = (zyn_value_t *) zmalloc (sizeof (zyn_value_t));
    self->type = ZYN_TYPE_NULL;
    return self;
}

zyn_value_t *
zyn_value_new_m (void)
{
    return zyn_value_new_collection (ZYN_TYPE_M);
}

zyn_value_t *
zyn_value_new_l (void)
{
    return zyn_value_new_collection (ZYN_TYPE_L);
}

zyn_value_t *
zyn_value_new_set (zyn_type_t type)
{
    assert (s_is_set_type (type));
    return zyn_value_new_collection (type);
}

void
zyn_value_destroy (zyn_value_t **self_p)
{
    assert (self_p);
    zyn_value_t *self = *self_p;
    if (!self)
        return;
    if (s_is_collection (self)) {
        zyn_value_coll_t *coll = zyn_value_coll (self);
        if (self->type == ZYN_TYPE_M) {
            for (size_t i = 0; i < self->size; i++)
                zyn_value_destroy (&coll->entries [i].value);
            free (coll->entries);
            free (coll->names);
            free (coll->index);
        }
        else {
            for (size_t i = 0; i < self->size; i++)
                zyn_value_destroy (&coll->elements [i]);
            free (coll->elements);
        }
    }
    free (self);
    *self_p = NULL;
}


//  --------------------------------------------------------------------------
//  Accessors

zyn_type_t
zyn_value_type (const zyn_value_t *self)
{
    assert (self);
    return (zyn_type_t) self->type;
}

const char *
zyn_type_name (zyn_type_t type)
{
    if (type < ZYN_TYPE_S || type > ZYN_TYPE_BS)
        return "?";
    return s_type_names [type];
}

zyn_type_t
zyn_type_from_name (const char *name)
{
    if (name)
        for (int type = ZYN_TYPE_S; type <= ZYN_TYPE_BS; type++)
            if (streq (name, s_type_names [type]))
                return (zyn_type_t) type;
    return (zyn_type_t) 0;
}

const char *
zyn_value_data (const zyn_value_t *self)
{
    assert (self);
    return s_is_scalar (self) ? zyn_value_bytes (self) : NULL;
}

size_t
zyn_value_size (const zyn_value_t *self)
{
    assert (self);
    return self->size;
}

bool
zyn_value_bool (const zyn_value_t *self)
{
    assert (self);
    return self->type == ZYN_TYPE_BOOL && self->boolean;
}


//  --------------------------------------------------------------------------
//  Maps

//  Copy a name into the map's names buffer; returns its offset. Names
//  share one allocation so a map entry costs no allocation of its own.
static size_t
s_names_add (zyn_value_coll_t *coll, const char *name, size_t name_size)
{
    if (coll->names_used + name_size + 1 > coll->names_capacity) {
        size_t capacity = coll->names_capacity ? coll->names_capacity * 2 : 64;
        while (capacity < coll->names_used + name_size + 1)
            capacity *= 2;
        coll->names = (char *) realloc (coll->names, capacity);
        assert (coll->names);
        coll->names_capacity = capacity;
    }
    size_t offset = coll->names_used;
    memcpy (coll->names + offset, name, name_size);
    coll->names [offset + name_size] = 0;
    coll->names_used += name_size + 1;
    return offset;
}

//  Drop the bytes of names taken out of the map, once they are most of
//  the buffer, so puts and takes in a loop do not grow it for ever
static void
s_names_compact (zyn_value_coll_t *coll)
{
    if (coll->names_garbage < 256 || coll->names_garbage * 2 < coll->names_used)
        return;
    size_t capacity = coll->names_used - coll->names_garbage + 1;
    char *names = (char *) malloc (capacity);
    assert (names);
    size_t used = 0;
    for (size_t i = 0; i < coll->head.size; i++) {
        zyn_value_entry_t *entry = &coll->entries [i];
        memcpy (names + used, coll->names + entry->name_offset,
                entry->name_size + 1);
        entry->name_offset = used;
        used += entry->name_size + 1;
    }
    free (coll->names);
    coll->names = names;
    coll->names_used = used;
    coll->names_capacity = capacity;
    coll->names_garbage = 0;
}

//  Rebuild the hash index from the entries (or drop it for small maps)
static void
s_index_rebuild (zyn_value_coll_t *coll)
{
    free (coll->index);
    coll->index = NULL;
    coll->index_slots = 0;
    if (coll->head.size <= S_INDEX_MIN)
        return;
    size_t slots = 64;
    while (slots < coll->head.size * 2)
        slots *= 2;
    coll->index = (uint32_t *) zmalloc (slots * sizeof (uint32_t));
    coll->index_slots = slots;
    for (size_t i = 0; i < coll->head.size; i++) {
        size_t slot = coll->entries [i].hash & (slots - 1);
        while (coll->index [slot])
            slot = (slot + 1) & (slots - 1);
        coll->index [slot] = (uint32_t) (i + 1);
    }
}

//  The position of name in the map's entries, or -1
static ssize_t
s_map_find (const zyn_value_coll_t *coll, const char *name, size_t name_size,
            uint32_t hash)
{
    if (coll->index) {
        size_t mask = coll->index_slots - 1;
        size_t slot = hash & mask;
        while (coll->index [slot]) {
            const zyn_value_entry_t *entry
                = &coll->entries [coll->index [slot] - 1];
            if (entry->hash == hash && entry->name_size == name_size
                && memcmp (zyn_value_entry_name (coll, entry), name,
                           name_size) == 0)
                return (ssize_t) coll->index [slot] - 1;
            slot = (slot + 1) & mask;
        }
        return -1;
    }
    for (size_t i = 0; i < coll->head.size; i++) {
        const zyn_value_entry_t *entry = &coll->entries [i];
        if (entry->hash == hash && entry->name_size == name_size
            && memcmp (zyn_value_entry_name (coll, entry), name, name_size)
                   == 0)
            return (ssize_t) i;
    }
    return -1;
}

//  Put a value into an M under a name of name_size bytes, replacing any
//  value already there. Takes ownership of value.
void
zyn_value_map_put_sn (zyn_value_t *self, const char *name, size_t name_size,
                      zyn_value_t *value)
{
    zyn_value_coll_t *coll = zyn_value_coll (self);
    uint32_t hash = s_hash (name, name_size);
    ssize_t position = s_map_find (coll, name, name_size, hash);
    if (position >= 0) {
        zyn_value_destroy (&coll->entries [position].value);
        coll->entries [position].value = value;
        return;
    }
    zyn_value_coll_grow (coll, self->size + 1);
    zyn_value_entry_t *entry = &coll->entries [self->size];
    entry->name_offset = s_names_add (coll, name, name_size);
    entry->name_size = name_size;
    entry->hash = hash;
    entry->value = value;
    self->size++;
    if (coll->index && self->size * 2 <= coll->index_slots) {
        size_t mask = coll->index_slots - 1;
        size_t slot = hash & mask;
        while (coll->index [slot])
            slot = (slot + 1) & mask;
        coll->index [slot] = (uint32_t) self->size;
    }
    else
    if (self->size > S_INDEX_MIN)
        s_index_rebuild (coll);
}

void
zyn_value_map_put (zyn_value_t *self, const char *name,
                   zyn_value_t **value_p)
{
    assert (self && self->type == ZYN_TYPE_M);
    assert (name && value_p && *value_p);
    zyn_value_t *value = *value_p;
    *value_p = NULL;
    zyn_value_map_put_sn (self, name, strlen (name), value);
}

zyn_value_t *
zyn_value_map_get (const zyn_value_t *self, const char *name)
{
    assert (self && name);
    if (self->type != ZYN_TYPE_M)
        return NULL;
    size_t name_size = strlen (name);
    ssize_t position = s_map_find (zyn_value_coll (self), name, name_size,
                                   s_hash (name, name_size));
    return position < 0 ? NULL
                        : zyn_value_coll (self)->entries [position].value;
}

zyn_value_t *
zyn_value_map_take (zyn_value_t *self, const char *name)
{
    assert (self && name);
    if (self->type != ZYN_TYPE_M)
        return NULL;
    zyn_value_coll_t *coll = zyn_value_coll (self);
    size_t name_size = strlen (name);
    ssize_t position
        = s_map_find (coll, name, name_size, s_hash (name, name_size));
    if (position < 0)
        return NULL;
    zyn_value_t *value = coll->entries [position].value;
    coll->names_garbage += coll->entries [position].name_size + 1;
    memmove (&coll->entries [position], &coll->entries [position + 1],
             (self->size - (size_t) position - 1) * sizeof (zyn_value_entry_t));
    self->size--;
    s_names_compact (coll);
    if (coll->index)
        s_index_rebuild (coll);
    return value;
}

const char *
zyn_value_map_name (const zyn_value_t *self, size_t index)
{
    assert (self);
    if (self->type != ZYN_TYPE_M || index >= self->size)
        return NULL;
    return zyn_value_entry_name (zyn_value_coll (self),
                                 &zyn_value_coll (self)->entries [index]);
}

zyn_value_t *
zyn_value_map_value (const zyn_value_t *self, size_t index)
{
    assert (self);
    if (self->type != ZYN_TYPE_M || index >= self->size)
        return NULL;
    return zyn_value_coll (self)->entries [index].value;
}

void
zyn_value_map_put_s (zyn_value_t *self, const char *name, const char *string)
{
    zyn_value_t *value = zyn_value_new_s (string);
    zyn_value_map_put (self, name, &value);
}

int
zyn_value_map_put_n (zyn_value_t *self, const char *name, const char *text)
{
    zyn_value_t *value = zyn_value_new_n (text, NULL);
    if (!value)
        return -1;
    zyn_value_map_put (self, name, &value);
    return 0;
}

void
zyn_value_map_put_int (zyn_value_t *self, const char *name, int64_t number)
{
    zyn_value_t *value = zyn_value_new_n_int (number);
    zyn_value_map_put (self, name, &value);
}

void
zyn_value_map_put_bool (zyn_value_t *self, const char *name, bool boolean)
{
    zyn_value_t *value = zyn_value_new_bool (boolean);
    zyn_value_map_put (self, name, &value);
}

const char *
zyn_value_map_get_s (const zyn_value_t *self, const char *name)
{
    zyn_value_t *value = zyn_value_map_get (self, name);
    return value && value->type == ZYN_TYPE_S ? zyn_value_bytes (value) : NULL;
}

int
zyn_value_map_get_int (const zyn_value_t *self, const char *name,
                       int64_t *number)
{
    assert (number);
    zyn_value_t *value = zyn_value_map_get (self, name);
    if (!value || value->type != ZYN_TYPE_N)
        return -1;
    zyn_decimal_t decimal;
    if (zyn_decimal_parse (&decimal, zyn_value_bytes (value), value->size,
                           NULL))
        return -1;
    return zyn_decimal_to_int64 (&decimal, number);
}


//  --------------------------------------------------------------------------
//  Lists and sets

static bool
s_is_sequence (const zyn_value_t *self)
{
    return self->type == ZYN_TYPE_L || s_is_set_type (self->type);
}

//  True if value may go into self (any value into a list, the element
//  type into a set)
static bool
s_fits (const zyn_value_t *self, const zyn_value_t *value)
{
    return self->type == ZYN_TYPE_L
        || value->type == s_set_element_type (self->type);
}

int
zyn_value_list_append (zyn_value_t *self, zyn_value_t **value_p)
{
    return zyn_value_list_insert (self, self->size, value_p);
}

int
zyn_value_list_insert (zyn_value_t *self, size_t index, zyn_value_t **value_p)
{
    assert (self && s_is_sequence (self));
    assert (value_p && *value_p);
    if (index > self->size || !s_fits (self, *value_p)) {
        zyn_value_destroy (value_p);
        return -1;
    }
    zyn_value_coll_t *coll = zyn_value_coll (self);
    zyn_value_coll_grow (coll, self->size + 1);
    memmove (&coll->elements [index + 1], &coll->elements [index],
             (self->size - index) * sizeof (zyn_value_t *));
    coll->elements [index] = *value_p;
    *value_p = NULL;
    self->size++;
    return 0;
}

zyn_value_t *
zyn_value_list_get (const zyn_value_t *self, size_t index)
{
    assert (self);
    if (!s_is_sequence (self) || index >= self->size)
        return NULL;
    return zyn_value_coll (self)->elements [index];
}

int
zyn_value_list_set (zyn_value_t *self, size_t index, zyn_value_t **value_p)
{
    assert (self && s_is_sequence (self));
    assert (value_p && *value_p);
    if (index >= self->size || !s_fits (self, *value_p)) {
        zyn_value_destroy (value_p);
        return -1;
    }
    zyn_value_coll_t *coll = zyn_value_coll (self);
    zyn_value_destroy (&coll->elements [index]);
    coll->elements [index] = *value_p;
    *value_p = NULL;
    return 0;
}

zyn_value_t *
zyn_value_list_take (zyn_value_t *self, size_t index)
{
    assert (self);
    if (!s_is_sequence (self) || index >= self->size)
        return NULL;
    zyn_value_coll_t *coll = zyn_value_coll (self);
    zyn_value_t *value = coll->elements [index];
    memmove (&coll->elements [index], &coll->elements [index + 1],
             (self->size - index - 1) * sizeof (zyn_value_t *));
    self->size--;
    return value;
}


//  --------------------------------------------------------------------------
//  Deep copy. Caller owns the result and must destroy it.

zyn_value_t *
zyn_value_dup (const zyn_value_t *self)
{
    if (!self)
        return NULL;
    if (s_is_scalar (self))
        return zyn_value_new_scalar (self->type, zyn_value_bytes (self),
                                     self->size);
    if (self->type == ZYN_TYPE_BOOL)
        return zyn_value_new_bool (self->boolean);
    if (self->type == ZYN_TYPE_NULL)
        return zyn_value_new_null ();

    const zyn_value_coll_t *coll = zyn_value_coll (self);
    zyn_value_t *copy = zyn_value_new_collection (self->type);
    zyn_value_coll_t *copy_coll = zyn_value_coll (copy);
    zyn_value_coll_grow (copy_coll, self->size);
    if (self->type == ZYN_TYPE_M) {
        if (coll->names_used) {
            copy_coll->names = (char *) malloc (coll->names_used);
            assert (copy_coll->names);
            memcpy (copy_coll->names, coll->names, coll->names_used);
            copy_coll->names_used = coll->names_used;
            copy_coll->names_capacity = coll->names_used;
            copy_coll->names_garbage = coll->names_garbage;
        }
        for (size_t i = 0; i < self->size; i++) {
            copy_coll->entries [i] = coll->entries [i];
            copy_coll->entries [i].value
                = zyn_value_dup (coll->entries [i].value);
        }
        copy->size = self->size;
        if (coll->index)
            s_index_rebuild (copy_coll);
    }
    else {
        for (size_t i = 0; i < self->size; i++)
            copy_coll->elements [i] = zyn_value_dup (coll->elements [i]);
        copy->size = self->size;
    }
    return copy;
}


//  --------------------------------------------------------------------------
//  Equality and order

//  Bytewise order of two scalars of one type: by bytes, then by length.
//  For N this is an order on canonical text, good for sorting and
//  duplicate checks (equal numbers have equal text), not numeric order.
static int
s_bytes_compare (const zyn_value_t *a, const zyn_value_t *b)
{
    size_t common = a->size < b->size ? a->size : b->size;
    int rc = memcmp (zyn_value_bytes (a), zyn_value_bytes (b), common);
    if (rc)
        return rc;
    return a->size < b->size ? -1 : a->size > b->size ? 1 : 0;
}

static int
s_element_compare (const void *a, const void *b)
{
    return s_bytes_compare (*(const zyn_value_t *const *) a,
                            *(const zyn_value_t *const *) b);
}

//  A sorted copy of a set's element pointers; caller frees it
static zyn_value_t **
s_set_sorted (const zyn_value_t *self)
{
    size_t count = self->size ? self->size : 1;
    zyn_value_t **sorted = (zyn_value_t **) malloc (count * sizeof (zyn_value_t *));
    assert (sorted);
    if (self->size) {
        memcpy (sorted, zyn_value_coll (self)->elements,
                self->size * sizeof (zyn_value_t *));
        qsort (sorted, self->size, sizeof (zyn_value_t *), s_element_compare);
    }
    return sorted;
}

bool
zyn_value_equal (const zyn_value_t *self, const zyn_value_t *other)
{
    assert (self && other);
    if (self->type != other->type)
        return false;
    switch (self->type) {
        case ZYN_TYPE_S:
        case ZYN_TYPE_B:
        case ZYN_TYPE_N:
            return self->size == other->size
                && memcmp (zyn_value_bytes (self), zyn_value_bytes (other),
                           self->size) == 0;
        case ZYN_TYPE_BOOL:
            return self->boolean == other->boolean;
        case ZYN_TYPE_NULL:
            return true;
        case ZYN_TYPE_L: {
            if (self->size != other->size)
                return false;
            for (size_t i = 0; i < self->size; i++)
                if (!zyn_value_equal (zyn_value_coll (self)->elements [i],
                                      zyn_value_coll (other)->elements [i]))
                    return false;
            return true;
        }
        case ZYN_TYPE_M: {
            if (self->size != other->size)
                return false;
            for (size_t i = 0; i < self->size; i++) {
                const zyn_value_entry_t *entry
                    = &zyn_value_coll (self)->entries [i];
                ssize_t position = s_map_find (
                    zyn_value_coll (other),
                    zyn_value_entry_name (zyn_value_coll (self), entry),
                    entry->name_size, entry->hash);
                if (position < 0
                    || !zyn_value_equal (
                        entry->value,
                        zyn_value_coll (other)->entries [position].value))
                    return false;
            }
            return true;
        }
        default: {
            if (self->size != other->size)
                return false;
            zyn_value_t **mine = s_set_sorted (self);
            zyn_value_t **theirs = s_set_sorted (other);
            bool equal = true;
            for (size_t i = 0; i < self->size && equal; i++)
                equal = s_bytes_compare (mine [i], theirs [i]) == 0;
            free (mine);
            free (theirs);
            return equal;
        }
    }
}

int
zyn_value_compare (const zyn_value_t *self, const zyn_value_t *other)
{
    assert (self && other);
    if (self->type != other->type)
        return self->type < other->type ? -1 : 1;
    if (self->type == ZYN_TYPE_S || self->type == ZYN_TYPE_B)
        return s_bytes_compare (self, other);
    if (self->type == ZYN_TYPE_N) {
        zyn_decimal_t a, b;
        if (zyn_decimal_parse (&a, zyn_value_bytes (self), self->size, NULL)
            || zyn_decimal_parse (&b, zyn_value_bytes (other), other->size,
                                  NULL))
            return s_bytes_compare (self, other);
        return zyn_decimal_compare (&a, &b);
    }
    return 0;
}


//  --------------------------------------------------------------------------
//  Validation

//  Render a set's elements as DynamoDB does in its duplicates message:
//  "[a, b, a]" (binary elements in base64), cut short to fit.
static void
s_set_render (const zyn_value_t *self, char *buf, size_t size)
{
    size_t used = 0;
    buf [used++] = '[';
    for (size_t i = 0; i < self->size && used + 8 < size; i++) {
        const zyn_value_t *element = zyn_value_coll (self)->elements [i];
        if (i) {
            buf [used++] = ',';
            buf [used++] = ' ';
        }
        if (element->type == ZYN_TYPE_B) {
            size_t b64_size = sodium_base64_ENCODED_LEN (
                element->size, sodium_base64_VARIANT_ORIGINAL);
            if (used + b64_size + 2 >= size)
                break;
            sodium_bin2base64 (
                buf + used, b64_size,
                (const unsigned char *) zyn_value_bytes (element),
                element->size, sodium_base64_VARIANT_ORIGINAL);
            used += strlen (buf + used);
        }
        else {
            size_t length = element->size;
            if (used + length + 2 >= size)
                length = size - used - 2;
            memcpy (buf + used, zyn_value_bytes (element), length);
            used += length;
        }
    }
    buf [used++] = ']';
    buf [used] = 0;
}

static int
s_validate_set (const zyn_value_t *self, zyn_error_t *err)
{
    if (self->size == 0) {
        if (self->type == ZYN_TYPE_BS)
            return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                  "One or more parameter values were invalid: "
                                  "Binary sets should not be empty");
        return zyn_error_set (err, ZYN_ERR_VALIDATION,
                              "One or more parameter values were invalid: "
                              "An %s set  may not be empty",
                              self->type == ZYN_TYPE_SS ? "string" : "number");
    }
    if (self->type == ZYN_TYPE_NS)
        for (size_t i = 0; i < self->size; i++) {
            const zyn_value_t *element = zyn_value_coll (self)->elements [i];
            zyn_decimal_t decimal;
            if (zyn_decimal_parse (&decimal, zyn_value_bytes (element),
                                   element->size, err))
                return -1;
        }
    zyn_value_t **sorted = s_set_sorted (self);
    bool duplicates = false;
    for (size_t i = 1; i < self->size && !duplicates; i++)
        duplicates = s_bytes_compare (sorted [i - 1], sorted [i]) == 0;
    free (sorted);
    if (!duplicates)
        return 0;
    if (self->type == ZYN_TYPE_NS)
        return zyn_error_set (err, ZYN_ERR_VALIDATION,
                              "Input collection contains duplicates");
    char rendered [400];
    s_set_render (self, rendered, sizeof (rendered));
    return zyn_error_set (err, ZYN_ERR_VALIDATION,
                          "One or more parameter values were invalid: "
                          "Input collection %s%s contains duplicates.",
                          rendered,
                          self->type == ZYN_TYPE_BS ? "of type BS" : "");
}

//  Check self, which sits depth maps and lists deep
static int
s_validate (const zyn_value_t *self, int depth, zyn_error_t *err)
{
    switch (self->type) {
        case ZYN_TYPE_N: {
            zyn_decimal_t decimal;
            return zyn_decimal_parse (&decimal, zyn_value_bytes (self),
                                      self->size, err);
        }
        case ZYN_TYPE_M:
        case ZYN_TYPE_L:
            if (depth + 1 > ZYN_VALUE_DEPTH_MAX)
                return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                      ZYN_VALUE_NESTING_MESSAGE);
            for (size_t i = 0; i < self->size; i++) {
                const zyn_value_t *child
                    = self->type == ZYN_TYPE_M
                        ? zyn_value_coll (self)->entries [i].value
                        : zyn_value_coll (self)->elements [i];
                if (s_validate (child, depth + 1, err))
                    return -1;
            }
            return 0;
        case ZYN_TYPE_SS:
        case ZYN_TYPE_NS:
        case ZYN_TYPE_BS:
            return s_validate_set (self, err);
        default:
            return 0;
    }
}

int
zyn_value_validate (const zyn_value_t *self, zyn_error_t *err)
{
    assert (self);
    return s_validate (self, 0, err);
}

int
zyn_item_validate (const zyn_value_t *item, zyn_error_t *err)
{
    assert (item && item->type == ZYN_TYPE_M);
    for (size_t i = 0; i < item->size; i++)
        if (s_validate (zyn_value_coll (item)->entries [i].value, 0, err))
            return -1;
    return 0;
}


//  --------------------------------------------------------------------------
//  Item size, as DynamoDB documents it ("DynamoDB item sizes and formats")

static size_t
s_number_size (const zyn_value_t *self)
{
    zyn_decimal_t decimal;
    if (zyn_decimal_parse (&decimal, zyn_value_bytes (self), self->size, NULL))
        return self->size;
    return zyn_decimal_storage_size (&decimal);
}

static size_t
s_value_size (const zyn_value_t *self)
{
    switch (self->type) {
        case ZYN_TYPE_S:
        case ZYN_TYPE_B:
            return self->size;
        case ZYN_TYPE_N:
            return s_number_size (self);
        case ZYN_TYPE_BOOL:
        case ZYN_TYPE_NULL:
            return 1;
        case ZYN_TYPE_M: {
            size_t size = 3;
            for (size_t i = 0; i < self->size; i++) {
                const zyn_value_entry_t *entry
                    = &zyn_value_coll (self)->entries [i];
                size += entry->name_size + s_value_size (entry->value) + 1;
            }
            return size;
        }
        case ZYN_TYPE_L: {
            size_t size = 3;
            for (size_t i = 0; i < self->size; i++)
                size += s_value_size (zyn_value_coll (self)->elements [i]) + 1;
            return size;
        }
        default: {
            size_t size = 0;
            for (size_t i = 0; i < self->size; i++)
                size += s_value_size (zyn_value_coll (self)->elements [i]);
            return size;
        }
    }
}

size_t
zyn_item_size (const zyn_value_t *item)
{
    assert (item);
    if (item->type != ZYN_TYPE_M)
        return s_value_size (item);
    size_t size = 0;
    for (size_t i = 0; i < item->size; i++) {
        const zyn_value_entry_t *entry = &zyn_value_coll (item)->entries [i];
        size += entry->name_size + s_value_size (entry->value);
    }
    return size;
}

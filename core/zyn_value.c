/*  =========================================================================
    zyn_value - DynamoDB's attribute values: the tree, its checks, item
    size, and its MessagePack and DynamoDB JSON forms

    A value is one of DynamoDB's ten types. S, B and N hold their bytes in
    the same allocation as the node (N as normalised decimal text, so two
    equal numbers have equal bytes); M keeps its entries in insertion
    order with a hash index once it grows past S_INDEX_MIN entries; L and
    the sets hold element pointers. The MessagePack mapping is specified in
    docs/protocol.md, "Values"; the JSON form is DynamoDB's wire JSON.

    Known limits: map_take and list_insert/take are linear in the size of
    the container, as they keep order.
    =========================================================================
*/

#include "zyn_prelude.h"
#include <jansson.h>
#include <sodium.h>
#include "zyn_error.h"
#include "zyn_decimal.h"
#include "zyn_value.h"

//  Maps index their names by hash past this many entries
#define S_INDEX_MIN 16
//  Deepest MessagePack or JSON nesting the decoders follow; DynamoDB's own
//  limit (ZYN_VALUE_DEPTH_MAX) is checked by zyn_value_validate
#define S_DECODE_DEPTH_MAX 64

#define S_NESTING_MESSAGE                                                   \
    "Nesting Levels have exceeded supported limits: Attributes in the item " \
    "have nested levels beyond supported limit"

//  Every node starts with this header. Scalars (S, N, B) carry their data
//  right after it, NUL-terminated; containers are an s_coll_t.
struct zyn_value {
    uint8_t type;                   //  zyn_type_t
    bool boolean;                   //  BOOL's value
    size_t size;                    //  Data bytes, or element count
};

typedef struct {
    size_t name_offset;             //  Of the name in the map's names
    size_t name_size;               //  strlen (name)
    uint32_t hash;                  //  s_hash (name)
    zyn_value_t *value;             //  Owned
} s_entry_t;

typedef struct {
    zyn_value_t head;
    size_t capacity;                //  Allocated elements or entries
    zyn_value_t **elements;         //  L and sets: owned elements
    s_entry_t *entries;             //  M: owned entries
    char *names;                    //  M: owned, every name NUL-terminated
    size_t names_used;              //  M: bytes used in names
    size_t names_capacity;          //  M: bytes allocated for names
    size_t names_garbage;           //  M: bytes of names taken out
    uint32_t *index;                //  M: entry + 1 per slot, 0 is empty
    size_t index_slots;             //  Power of two, or 0 without index
} s_coll_t;

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

static inline const char *
s_data (const zyn_value_t *self)
{
    return (const char *) (self + 1);
}

static inline s_coll_t *
s_coll (const zyn_value_t *self)
{
    return (s_coll_t *) self;
}

static inline const char *
s_entry_name (const s_coll_t *coll, const s_entry_t *entry)
{
    return coll->names + entry->name_offset;
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

static zyn_value_t *
s_new_scalar (int type, const void *data, size_t size)
{
    zyn_value_t *self = (zyn_value_t *) malloc (sizeof (zyn_value_t) + size + 1);
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

static zyn_value_t *
s_new_collection (int type)
{
    s_coll_t *coll = (s_coll_t *) zmalloc (sizeof (s_coll_t));
    coll->head.type = (uint8_t) type;
    return &coll->head;
}

//  Make room for one more element or entry
static void
s_coll_grow (s_coll_t *coll, size_t wanted)
{
    if (wanted <= coll->capacity)
        return;
    size_t capacity = coll->capacity ? coll->capacity * 2 : 4;
    while (capacity < wanted)
        capacity *= 2;
    if (coll->head.type == ZYN_TYPE_M) {
        coll->entries = (s_entry_t *) realloc (coll->entries,
                                               capacity * sizeof (s_entry_t));
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
    return s_new_scalar (ZYN_TYPE_S, string, strlen (string));
}

zyn_value_t *
zyn_value_new_sn (const char *data, size_t size)
{
    assert (data || size == 0);
    return s_new_scalar (ZYN_TYPE_S, data, size);
}

zyn_value_t *
zyn_value_new_n (const char *text, zyn_error_t *err)
{
    assert (text);
    char canonical [ZYN_DECIMAL_TEXT_MAX];
    int length = zyn_decimal_normalize (text, strlen (text), canonical, err);
    if (length < 0)
        return NULL;
    return s_new_scalar (ZYN_TYPE_N, canonical, (size_t) length);
}

zyn_value_t *
zyn_value_new_n_int (int64_t number)
{
    //  An integer's plain decimal text is already canonical
    char text [32];
    int length = snprintf (text, sizeof (text), "%" PRId64, number);
    return s_new_scalar (ZYN_TYPE_N, text, (size_t) length);
}

zyn_value_t *
zyn_value_new_b (const void *data, size_t size)
{
    assert (data || size == 0);
    return s_new_scalar (ZYN_TYPE_B, data, size);
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
    return s_new_collection (ZYN_TYPE_M);
}

zyn_value_t *
zyn_value_new_l (void)
{
    return s_new_collection (ZYN_TYPE_L);
}

zyn_value_t *
zyn_value_new_set (zyn_type_t type)
{
    assert (s_is_set_type (type));
    return s_new_collection (type);
}

void
zyn_value_destroy (zyn_value_t **self_p)
{
    assert (self_p);
    zyn_value_t *self = *self_p;
    if (!self)
        return;
    if (s_is_collection (self)) {
        s_coll_t *coll = s_coll (self);
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
    return s_is_scalar (self) ? s_data (self) : NULL;
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
s_names_add (s_coll_t *coll, const char *name, size_t name_size)
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
s_names_compact (s_coll_t *coll)
{
    if (coll->names_garbage < 256 || coll->names_garbage * 2 < coll->names_used)
        return;
    size_t capacity = coll->names_used - coll->names_garbage + 1;
    char *names = (char *) malloc (capacity);
    assert (names);
    size_t used = 0;
    for (size_t i = 0; i < coll->head.size; i++) {
        s_entry_t *entry = &coll->entries [i];
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
s_index_rebuild (s_coll_t *coll)
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
s_map_find (const s_coll_t *coll, const char *name, size_t name_size,
            uint32_t hash)
{
    if (coll->index) {
        size_t mask = coll->index_slots - 1;
        size_t slot = hash & mask;
        while (coll->index [slot]) {
            const s_entry_t *entry = &coll->entries [coll->index [slot] - 1];
            if (entry->hash == hash && entry->name_size == name_size
                && memcmp (s_entry_name (coll, entry), name, name_size) == 0)
                return (ssize_t) coll->index [slot] - 1;
            slot = (slot + 1) & mask;
        }
        return -1;
    }
    for (size_t i = 0; i < coll->head.size; i++) {
        const s_entry_t *entry = &coll->entries [i];
        if (entry->hash == hash && entry->name_size == name_size
            && memcmp (s_entry_name (coll, entry), name, name_size) == 0)
            return (ssize_t) i;
    }
    return -1;
}

//  Put a value under a name of name_size bytes; takes the value
static void
s_map_put (zyn_value_t *self, const char *name, size_t name_size,
           zyn_value_t *value)
{
    s_coll_t *coll = s_coll (self);
    uint32_t hash = s_hash (name, name_size);
    ssize_t position = s_map_find (coll, name, name_size, hash);
    if (position >= 0) {
        zyn_value_destroy (&coll->entries [position].value);
        coll->entries [position].value = value;
        return;
    }
    s_coll_grow (coll, self->size + 1);
    s_entry_t *entry = &coll->entries [self->size];
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
    s_map_put (self, name, strlen (name), value);
}

zyn_value_t *
zyn_value_map_get (const zyn_value_t *self, const char *name)
{
    assert (self && name);
    if (self->type != ZYN_TYPE_M)
        return NULL;
    size_t name_size = strlen (name);
    ssize_t position
        = s_map_find (s_coll (self), name, name_size, s_hash (name, name_size));
    return position < 0 ? NULL : s_coll (self)->entries [position].value;
}

zyn_value_t *
zyn_value_map_take (zyn_value_t *self, const char *name)
{
    assert (self && name);
    if (self->type != ZYN_TYPE_M)
        return NULL;
    s_coll_t *coll = s_coll (self);
    size_t name_size = strlen (name);
    ssize_t position
        = s_map_find (coll, name, name_size, s_hash (name, name_size));
    if (position < 0)
        return NULL;
    zyn_value_t *value = coll->entries [position].value;
    coll->names_garbage += coll->entries [position].name_size + 1;
    memmove (&coll->entries [position], &coll->entries [position + 1],
             (self->size - (size_t) position - 1) * sizeof (s_entry_t));
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
    return s_entry_name (s_coll (self), &s_coll (self)->entries [index]);
}

zyn_value_t *
zyn_value_map_value (const zyn_value_t *self, size_t index)
{
    assert (self);
    if (self->type != ZYN_TYPE_M || index >= self->size)
        return NULL;
    return s_coll (self)->entries [index].value;
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
    return value && value->type == ZYN_TYPE_S ? s_data (value) : NULL;
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
    if (zyn_decimal_parse (&decimal, s_data (value), value->size, NULL))
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
    s_coll_t *coll = s_coll (self);
    s_coll_grow (coll, self->size + 1);
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
    return s_coll (self)->elements [index];
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
    s_coll_t *coll = s_coll (self);
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
    s_coll_t *coll = s_coll (self);
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
        return s_new_scalar (self->type, s_data (self), self->size);
    if (self->type == ZYN_TYPE_BOOL)
        return zyn_value_new_bool (self->boolean);
    if (self->type == ZYN_TYPE_NULL)
        return zyn_value_new_null ();

    const s_coll_t *coll = s_coll (self);
    zyn_value_t *copy = s_new_collection (self->type);
    s_coll_t *copy_coll = s_coll (copy);
    s_coll_grow (copy_coll, self->size);
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
    int rc = memcmp (s_data (a), s_data (b), common);
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
        memcpy (sorted, s_coll (self)->elements,
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
                && memcmp (s_data (self), s_data (other), self->size) == 0;
        case ZYN_TYPE_BOOL:
            return self->boolean == other->boolean;
        case ZYN_TYPE_NULL:
            return true;
        case ZYN_TYPE_L: {
            if (self->size != other->size)
                return false;
            for (size_t i = 0; i < self->size; i++)
                if (!zyn_value_equal (s_coll (self)->elements [i],
                                      s_coll (other)->elements [i]))
                    return false;
            return true;
        }
        case ZYN_TYPE_M: {
            if (self->size != other->size)
                return false;
            for (size_t i = 0; i < self->size; i++) {
                const s_entry_t *entry = &s_coll (self)->entries [i];
                ssize_t position = s_map_find (
                    s_coll (other), s_entry_name (s_coll (self), entry),
                    entry->name_size, entry->hash);
                if (position < 0
                    || !zyn_value_equal (
                        entry->value, s_coll (other)->entries [position].value))
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
        if (zyn_decimal_parse (&a, s_data (self), self->size, NULL)
            || zyn_decimal_parse (&b, s_data (other), other->size, NULL))
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
        const zyn_value_t *element = s_coll (self)->elements [i];
        if (i) {
            buf [used++] = ',';
            buf [used++] = ' ';
        }
        if (element->type == ZYN_TYPE_B) {
            size_t b64_size = sodium_base64_ENCODED_LEN (
                element->size, sodium_base64_VARIANT_ORIGINAL);
            if (used + b64_size + 2 >= size)
                break;
            sodium_bin2base64 (buf + used, b64_size,
                               (const unsigned char *) s_data (element),
                               element->size, sodium_base64_VARIANT_ORIGINAL);
            used += strlen (buf + used);
        }
        else {
            size_t length = element->size;
            if (used + length + 2 >= size)
                length = size - used - 2;
            memcpy (buf + used, s_data (element), length);
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
            const zyn_value_t *element = s_coll (self)->elements [i];
            zyn_decimal_t decimal;
            if (zyn_decimal_parse (&decimal, s_data (element), element->size,
                                   err))
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
            return zyn_decimal_parse (&decimal, s_data (self), self->size,
                                      err);
        }
        case ZYN_TYPE_M:
        case ZYN_TYPE_L:
            if (depth + 1 > ZYN_VALUE_DEPTH_MAX)
                return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                      S_NESTING_MESSAGE);
            for (size_t i = 0; i < self->size; i++) {
                const zyn_value_t *child
                    = self->type == ZYN_TYPE_M
                        ? s_coll (self)->entries [i].value
                        : s_coll (self)->elements [i];
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
        if (s_validate (s_coll (item)->entries [i].value, 0, err))
            return -1;
    return 0;
}


//  --------------------------------------------------------------------------
//  Item size, as DynamoDB documents it ("DynamoDB item sizes and formats")

static size_t
s_number_size (const zyn_value_t *self)
{
    zyn_decimal_t decimal;
    if (zyn_decimal_parse (&decimal, s_data (self), self->size, NULL))
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
                const s_entry_t *entry = &s_coll (self)->entries [i];
                size += entry->name_size + s_value_size (entry->value) + 1;
            }
            return size;
        }
        case ZYN_TYPE_L: {
            size_t size = 3;
            for (size_t i = 0; i < self->size; i++)
                size += s_value_size (s_coll (self)->elements [i]) + 1;
            return size;
        }
        default: {
            size_t size = 0;
            for (size_t i = 0; i < self->size; i++)
                size += s_value_size (s_coll (self)->elements [i]);
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
        const s_entry_t *entry = &s_coll (item)->entries [i];
        size += entry->name_size + s_value_size (entry->value);
    }
    return size;
}


//  --------------------------------------------------------------------------
//  MessagePack encoding (docs/protocol.md, "Values")

typedef struct {
    uint8_t *data;
    size_t size;
    size_t capacity;
} s_buf_t;

static inline uint8_t *
s_buf_reserve (s_buf_t *buf, size_t extra)
{
    if (buf->size + extra > buf->capacity) {
        size_t capacity = buf->capacity ? buf->capacity * 2 : 256;
        while (capacity < buf->size + extra)
            capacity *= 2;
        buf->data = (uint8_t *) realloc (buf->data, capacity);
        assert (buf->data);
        buf->capacity = capacity;
    }
    return buf->data + buf->size;
}

//  Write a header of one tag byte and a big-endian length of width bytes
static inline void
s_put_header (s_buf_t *buf, uint8_t tag, size_t length, int width)
{
    uint8_t *target = s_buf_reserve (buf, 1 + (size_t) width);
    *target++ = tag;
    for (int i = width - 1; i >= 0; i--)
        *target++ = (uint8_t) (length >> (8 * i));
    buf->size += 1 + (size_t) width;
}

static inline void
s_put_bytes (s_buf_t *buf, const void *data, size_t size)
{
    if (size) {
        memcpy (s_buf_reserve (buf, size), data, size);
        buf->size += size;
    }
}

static void
s_put_str (s_buf_t *buf, const char *data, size_t size)
{
    if (size < 32)
        s_put_header (buf, (uint8_t) (0xa0 | size), 0, 0);
    else
    if (size < 256)
        s_put_header (buf, 0xd9, size, 1);
    else
    if (size < 65536)
        s_put_header (buf, 0xda, size, 2);
    else
        s_put_header (buf, 0xdb, size, 4);
    s_put_bytes (buf, data, size);
}

static size_t
s_str_header_size (size_t size)
{
    return size < 32 ? 1 : size < 256 ? 2 : size < 65536 ? 3 : 5;
}

static void
s_put_bin (s_buf_t *buf, const void *data, size_t size)
{
    if (size < 256)
        s_put_header (buf, 0xc4, size, 1);
    else
    if (size < 65536)
        s_put_header (buf, 0xc5, size, 2);
    else
        s_put_header (buf, 0xc6, size, 4);
    s_put_bytes (buf, data, size);
}

static size_t
s_bin_header_size (size_t size)
{
    return size < 256 ? 2 : size < 65536 ? 3 : 5;
}

static void
s_put_array_header (s_buf_t *buf, size_t count)
{
    if (count < 16)
        s_put_header (buf, (uint8_t) (0x90 | count), 0, 0);
    else
    if (count < 65536)
        s_put_header (buf, 0xdc, count, 2);
    else
        s_put_header (buf, 0xdd, count, 4);
}

static size_t
s_array_header_size (size_t count)
{
    return count < 16 ? 1 : count < 65536 ? 3 : 5;
}

static void
s_put_map_header (s_buf_t *buf, size_t count)
{
    if (count < 16)
        s_put_header (buf, (uint8_t) (0x80 | count), 0, 0);
    else
    if (count < 65536)
        s_put_header (buf, 0xde, count, 2);
    else
        s_put_header (buf, 0xdf, count, 4);
}

static void
s_put_ext_header (s_buf_t *buf, int8_t ext_type, size_t size)
{
    if (size == 1)
        s_put_header (buf, 0xd4, 0, 0);
    else
    if (size == 2)
        s_put_header (buf, 0xd5, 0, 0);
    else
    if (size == 4)
        s_put_header (buf, 0xd6, 0, 0);
    else
    if (size == 8)
        s_put_header (buf, 0xd7, 0, 0);
    else
    if (size == 16)
        s_put_header (buf, 0xd8, 0, 0);
    else
    if (size < 256)
        s_put_header (buf, 0xc7, size, 1);
    else
    if (size < 65536)
        s_put_header (buf, 0xc8, size, 2);
    else
        s_put_header (buf, 0xc9, size, 4);
    s_put_header (buf, (uint8_t) ext_type, 0, 0);
}

static void
s_encode (const zyn_value_t *self, s_buf_t *buf)
{
    switch (self->type) {
        case ZYN_TYPE_S:
            s_put_str (buf, s_data (self), self->size);
            break;
        case ZYN_TYPE_B:
            s_put_bin (buf, s_data (self), self->size);
            break;
        case ZYN_TYPE_N:
            s_put_ext_header (buf, 1, self->size);
            s_put_bytes (buf, s_data (self), self->size);
            break;
        case ZYN_TYPE_BOOL:
            s_put_header (buf, self->boolean ? 0xc3 : 0xc2, 0, 0);
            break;
        case ZYN_TYPE_NULL:
            s_put_header (buf, 0xc0, 0, 0);
            break;
        case ZYN_TYPE_M:
            s_put_map_header (buf, self->size);
            for (size_t i = 0; i < self->size; i++) {
                const s_entry_t *entry = &s_coll (self)->entries [i];
                s_put_str (buf, s_entry_name (s_coll (self), entry),
                           entry->name_size);
                s_encode (entry->value, buf);
            }
            break;
        case ZYN_TYPE_L:
            s_put_array_header (buf, self->size);
            for (size_t i = 0; i < self->size; i++)
                s_encode (s_coll (self)->elements [i], buf);
            break;
        default: {
            //  A set is an ext whose payload is an array of str (SS, and NS
            //  as decimal text) or bin (BS); its length comes first
            bool binary = self->type == ZYN_TYPE_BS;
            size_t payload = s_array_header_size (self->size);
            for (size_t i = 0; i < self->size; i++) {
                size_t size = s_coll (self)->elements [i]->size;
                payload += size
                         + (binary ? s_bin_header_size (size)
                                   : s_str_header_size (size));
            }
            int8_t ext_type = self->type == ZYN_TYPE_SS   ? 2
                            : self->type == ZYN_TYPE_NS ? 3
                                                        : 4;
            s_put_ext_header (buf, ext_type, payload);
            s_put_array_header (buf, self->size);
            for (size_t i = 0; i < self->size; i++) {
                const zyn_value_t *element = s_coll (self)->elements [i];
                if (binary)
                    s_put_bin (buf, s_data (element), element->size);
                else
                    s_put_str (buf, s_data (element), element->size);
            }
        }
    }
}

void
zyn_value_encode_append (const zyn_value_t *self, uint8_t **data,
                         size_t *size, size_t *capacity)
{
    assert (self && data && size && capacity);
    s_buf_t buf = { *data, *size, *capacity };
    s_encode (self, &buf);
    *data = buf.data;
    *size = buf.size;
    *capacity = buf.capacity;
}

void *
zyn_value_encode (const zyn_value_t *self, size_t *size)
{
    assert (self && size);
    s_buf_t buf = { NULL, 0, 0 };
    s_encode (self, &buf);
    *size = buf.size;
    return buf.data;
}


//  --------------------------------------------------------------------------
//  MessagePack decoding: a bounded recursive-descent parser that checks
//  every length against the bytes left before it allocates.

typedef struct {
    const uint8_t *cursor;
    const uint8_t *end;
    zyn_error_t *err;
} s_reader_t;

#define S_MALFORMED "Malformed MessagePack value: "

static inline size_t
s_left (const s_reader_t *reader)
{
    return (size_t) (reader->end - reader->cursor);
}

static int
s_truncated (s_reader_t *reader)
{
    return zyn_error_set (reader->err, ZYN_ERR_SERIALIZATION,
                          S_MALFORMED "truncated input");
}

//  Read a big-endian unsigned integer of width bytes
static int
s_read_uint (s_reader_t *reader, int width, uint64_t *value)
{
    if (s_left (reader) < (size_t) width)
        return s_truncated (reader);
    uint64_t result = 0;
    for (int i = 0; i < width; i++)
        result = (result << 8) | *reader->cursor++;
    *value = result;
    return 0;
}

//  True if data is valid UTF-8 (no overlongs, surrogates or values past
//  U+10FFFF), as DynamoDB's strings must be
static bool
s_utf8_valid (const uint8_t *data, size_t size)
{
    size_t i = 0;
    while (i < size) {
        //  Fast path over runs of ASCII, eight bytes at a time
        while (i + 8 <= size) {
            uint64_t chunk;
            memcpy (&chunk, data + i, 8);
            if (chunk & 0x8080808080808080ull)
                break;
            i += 8;
        }
        if (i >= size)
            break;
        uint8_t byte = data [i];
        if (byte < 0x80) {
            i++;
            continue;
        }
        size_t extra;
        uint32_t code;
        if (byte >= 0xc2 && byte <= 0xdf) {
            extra = 1;
            code = byte & 0x1f;
        }
        else
        if (byte >= 0xe0 && byte <= 0xef) {
            extra = 2;
            code = byte & 0x0f;
        }
        else
        if (byte >= 0xf0 && byte <= 0xf4) {
            extra = 3;
            code = byte & 0x07;
        }
        else
            return false;
        if (i + extra >= size)
            return false;
        for (size_t j = 1; j <= extra; j++) {
            if ((data [i + j] & 0xc0) != 0x80)
                return false;
            code = (code << 6) | (data [i + j] & 0x3f);
        }
        if ((extra == 2 && code < 0x800) || (extra == 3 && code < 0x10000)
            || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff))
            return false;
        i += extra + 1;
    }
    return true;
}

//  Read the header of a str; sets *data and *size to its bytes
static int
s_read_str (s_reader_t *reader, const char *what, const uint8_t **data,
            size_t *size)
{
    if (s_left (reader) < 1)
        return s_truncated (reader);
    uint8_t tag = *reader->cursor++;
    uint64_t length = 0;
    if ((tag & 0xe0) == 0xa0)
        length = tag & 0x1f;
    else
    if (tag == 0xd9 || tag == 0xda || tag == 0xdb) {
        if (s_read_uint (reader, tag == 0xd9 ? 1 : tag == 0xda ? 2 : 4,
                         &length))
            return -1;
    }
    else
        return zyn_error_set (reader->err, ZYN_ERR_SERIALIZATION,
                              S_MALFORMED "%s is not a string", what);
    if (s_left (reader) < length)
        return s_truncated (reader);
    if (!s_utf8_valid (reader->cursor, length))
        return zyn_error_set (reader->err, ZYN_ERR_SERIALIZATION,
                              S_MALFORMED "string is not valid UTF-8");
    *data = reader->cursor;
    *size = length;
    reader->cursor += length;
    return 0;
}

//  True if text is an integer in canonical form ("0", "-12", "1500"), the
//  common case, which needs no normalising
static bool
s_is_canonical_integer (const char *text, size_t size)
{
    size_t start = size && text [0] == '-' ? 1 : 0;
    if (size == start || size - start > ZYN_DECIMAL_DIGITS)
        return false;
    if (text [start] == '0')
        return size == 1;
    for (size_t i = start; i < size; i++)
        if (text [i] < '0' || text [i] > '9')
            return false;
    return true;
}

//  Make an N from decimal text, or fail with a SerializationException
static zyn_value_t *
s_number_from_text (s_reader_t *reader, const char *text, size_t size)
{
    if (s_is_canonical_integer (text, size))
        return s_new_scalar (ZYN_TYPE_N, text, size);
    char canonical [ZYN_DECIMAL_TEXT_MAX];
    zyn_error_t number_err = { 0 };
    int length = zyn_decimal_normalize (text, size, canonical, &number_err);
    if (length < 0) {
        zyn_error_set (reader->err, ZYN_ERR_SERIALIZATION,
                       S_MALFORMED "bad number: %s", number_err.message);
        return NULL;
    }
    return s_new_scalar (ZYN_TYPE_N, canonical, (size_t) length);
}

static zyn_value_t *
s_decode (s_reader_t *reader, int depth);

//  Decode the payload of a set ext (an array of str or bin)
static zyn_value_t *
s_decode_set (s_reader_t *outer, int set_type, size_t payload)
{
    s_reader_t reader = { outer->cursor, outer->cursor + payload, outer->err };
    outer->cursor += payload;
    if (s_left (&reader) < 1) {
        s_truncated (&reader);
        return NULL;
    }
    uint8_t tag = *reader.cursor++;
    uint64_t count = 0;
    if ((tag & 0xf0) == 0x90)
        count = tag & 0x0f;
    else
    if (tag == 0xdc || tag == 0xdd) {
        if (s_read_uint (&reader, tag == 0xdc ? 2 : 4, &count))
            return NULL;
    }
    else {
        zyn_error_set (reader.err, ZYN_ERR_SERIALIZATION,
                       S_MALFORMED "set payload is not an array");
        return NULL;
    }
    if (count > s_left (&reader)) {
        s_truncated (&reader);
        return NULL;
    }
    zyn_value_t *set = s_new_collection (set_type);
    s_coll_grow (s_coll (set), (size_t) count);
    for (uint64_t i = 0; i < count; i++) {
        zyn_value_t *element = NULL;
        if (set_type == ZYN_TYPE_BS) {
            if (s_left (&reader) < 1) {
                s_truncated (&reader);
                goto failed;
            }
            uint8_t bin_tag = *reader.cursor++;
            uint64_t length = 0;
            if (bin_tag < 0xc4 || bin_tag > 0xc6) {
                zyn_error_set (reader.err, ZYN_ERR_SERIALIZATION,
                               S_MALFORMED "binary set element is not bin");
                goto failed;
            }
            if (s_read_uint (&reader, bin_tag == 0xc4 ? 1 : bin_tag == 0xc5 ? 2 : 4,
                             &length))
                goto failed;
            if (s_left (&reader) < length) {
                s_truncated (&reader);
                goto failed;
            }
            element = s_new_scalar (ZYN_TYPE_B, reader.cursor, length);
            reader.cursor += length;
        }
        else {
            const uint8_t *data;
            size_t size;
            if (s_read_str (&reader,
                            set_type == ZYN_TYPE_SS ? "string set element"
                                                    : "number set element",
                            &data, &size))
                goto failed;
            if (set_type == ZYN_TYPE_SS)
                element = s_new_scalar (ZYN_TYPE_S, data, size);
            else {
                element = s_number_from_text (&reader, (const char *) data,
                                              size);
                if (!element)
                    goto failed;
            }
        }
        s_coll (set)->elements [set->size++] = element;
    }
    if (s_left (&reader)) {
        zyn_error_set (reader.err, ZYN_ERR_SERIALIZATION,
                       S_MALFORMED "trailing bytes in set payload");
        goto failed;
    }
    return set;

failed:
    zyn_value_destroy (&set);
    return NULL;
}

static zyn_value_t *
s_decode_ext (s_reader_t *reader, size_t payload)
{
    if (s_left (reader) < 1 + payload) {
        s_truncated (reader);
        return NULL;
    }
    int8_t ext_type = (int8_t) *reader->cursor++;
    if (ext_type == 1) {
        zyn_value_t *number = s_number_from_text (
            reader, (const char *) reader->cursor, payload);
        reader->cursor += payload;
        return number;
    }
    if (ext_type >= 2 && ext_type <= 4)
        return s_decode_set (reader,
                             ext_type == 2   ? ZYN_TYPE_SS
                             : ext_type == 3 ? ZYN_TYPE_NS
                                             : ZYN_TYPE_BS,
                             payload);
    zyn_error_set (reader->err, ZYN_ERR_SERIALIZATION,
                   S_MALFORMED "unknown ext type %d", ext_type);
    return NULL;
}

static zyn_value_t *
s_decode_array (s_reader_t *reader, uint64_t count, int depth)
{
    //  Every element takes at least one byte
    if (count > s_left (reader)) {
        s_truncated (reader);
        return NULL;
    }
    zyn_value_t *list = s_new_collection (ZYN_TYPE_L);
    s_coll_grow (s_coll (list), (size_t) count);
    for (uint64_t i = 0; i < count; i++) {
        zyn_value_t *element = s_decode (reader, depth + 1);
        if (!element) {
            zyn_value_destroy (&list);
            return NULL;
        }
        s_coll (list)->elements [list->size++] = element;
    }
    return list;
}

static zyn_value_t *
s_decode_map (s_reader_t *reader, uint64_t count, int depth)
{
    //  Every entry takes at least two bytes
    if (count > s_left (reader) / 2) {
        s_truncated (reader);
        return NULL;
    }
    zyn_value_t *map = s_new_collection (ZYN_TYPE_M);
    s_coll_grow (s_coll (map), (size_t) count);
    for (uint64_t i = 0; i < count; i++) {
        const uint8_t *name;
        size_t name_size;
        if (s_read_str (reader, "map key", &name, &name_size))
            goto failed;
        if (memchr (name, 0, name_size)) {
            zyn_error_set (reader->err, ZYN_ERR_SERIALIZATION,
                           S_MALFORMED "map key holds a NUL byte");
            goto failed;
        }
        zyn_value_t *value = s_decode (reader, depth + 1);
        if (!value)
            goto failed;
        //  A repeated name replaces the earlier value, as DynamoDB's JSON
        //  parser does
        s_map_put (map, (const char *) name, name_size, value);
    }
    return map;

failed:
    zyn_value_destroy (&map);
    return NULL;
}

static zyn_value_t *
s_decode (s_reader_t *reader, int depth)
{
    if (depth > S_DECODE_DEPTH_MAX) {
        zyn_error_set (reader->err, ZYN_ERR_SERIALIZATION,
                       S_MALFORMED "nested more than %d levels deep",
                       S_DECODE_DEPTH_MAX);
        return NULL;
    }
    if (s_left (reader) < 1) {
        s_truncated (reader);
        return NULL;
    }
    uint8_t tag = *reader->cursor;
    uint64_t length = 0;
    char text [40];

    if (tag <= 0x7f) {
        reader->cursor++;
        return zyn_value_new_n_int (tag);
    }
    if (tag >= 0xe0) {
        reader->cursor++;
        return zyn_value_new_n_int ((int8_t) tag);
    }
    if ((tag & 0xe0) == 0xa0 || tag == 0xd9 || tag == 0xda || tag == 0xdb) {
        const uint8_t *data;
        size_t size;
        if (s_read_str (reader, "value", &data, &size))
            return NULL;
        return s_new_scalar (ZYN_TYPE_S, data, size);
    }
    reader->cursor++;
    if ((tag & 0xf0) == 0x80)
        return s_decode_map (reader, tag & 0x0f, depth);
    if ((tag & 0xf0) == 0x90)
        return s_decode_array (reader, tag & 0x0f, depth);

    switch (tag) {
        case 0xc0:
            return zyn_value_new_null ();
        case 0xc2:
        case 0xc3:
            return zyn_value_new_bool (tag == 0xc3);
        case 0xc4:
        case 0xc5:
        case 0xc6:
            if (s_read_uint (reader, tag == 0xc4 ? 1 : tag == 0xc5 ? 2 : 4,
                             &length))
                return NULL;
            if (s_left (reader) < length) {
                s_truncated (reader);
                return NULL;
            }
            reader->cursor += length;
            return s_new_scalar (ZYN_TYPE_B, reader->cursor - length, length);
        case 0xc7:
        case 0xc8:
        case 0xc9:
            if (s_read_uint (reader, tag == 0xc7 ? 1 : tag == 0xc8 ? 2 : 4,
                             &length))
                return NULL;
            return s_decode_ext (reader, length);
        case 0xd4:
        case 0xd5:
        case 0xd6:
        case 0xd7:
        case 0xd8:
            return s_decode_ext (reader, (size_t) 1 << (tag - 0xd4));
        case 0xca:
        case 0xcb: {
            uint64_t bits = 0;
            if (s_read_uint (reader, tag == 0xca ? 4 : 8, &bits))
                return NULL;
            double number;
            if (tag == 0xca) {
                uint32_t bits32 = (uint32_t) bits;
                float number32;
                memcpy (&number32, &bits32, 4);
                number = number32;
            }
            else
                memcpy (&number, &bits, 8);
            if (!isfinite (number)) {
                zyn_error_set (reader->err, ZYN_ERR_SERIALIZATION,
                               S_MALFORMED "float is not a finite number");
                return NULL;
            }
            int size = snprintf (text, sizeof (text), "%.17g", number);
            return s_number_from_text (reader, text, (size_t) size);
        }
        case 0xcc:
        case 0xcd:
        case 0xce:
        case 0xcf: {
            uint64_t number = 0;
            if (s_read_uint (reader, 1 << (tag - 0xcc), &number))
                return NULL;
            int size = snprintf (text, sizeof (text), "%" PRIu64, number);
            return s_new_scalar (ZYN_TYPE_N, text, (size_t) size);
        }
        case 0xd0:
        case 0xd1:
        case 0xd2:
        case 0xd3: {
            int width = 1 << (tag - 0xd0);
            uint64_t bits = 0;
            if (s_read_uint (reader, width, &bits))
                return NULL;
            //  Sign-extend from width bytes
            int shift = 64 - 8 * width;
            int64_t number = (int64_t) (bits << shift) >> shift;
            return zyn_value_new_n_int (number);
        }
        case 0xdc:
        case 0xdd:
            if (s_read_uint (reader, tag == 0xdc ? 2 : 4, &length))
                return NULL;
            return s_decode_array (reader, length, depth);
        case 0xde:
        case 0xdf:
            if (s_read_uint (reader, tag == 0xde ? 2 : 4, &length))
                return NULL;
            return s_decode_map (reader, length, depth);
        default:
            zyn_error_set (reader->err, ZYN_ERR_SERIALIZATION,
                           S_MALFORMED "invalid type byte 0x%02x", tag);
            return NULL;
    }
}

zyn_value_t *
zyn_value_decode_prefix (const void *data, size_t size, size_t *used,
                         zyn_error_t *err)
{
    assert (data || size == 0);
    assert (used);
    const uint8_t *bytes = (const uint8_t *) data;
    s_reader_t reader = { bytes, bytes + size, err };
    zyn_value_t *value = s_decode (&reader, 0);
    *used = value ? (size_t) (reader.cursor - bytes) : 0;
    return value;
}

zyn_value_t *
zyn_value_decode (const void *data, size_t size, zyn_error_t *err)
{
    size_t used;
    zyn_value_t *value = zyn_value_decode_prefix (data, size, &used, err);
    if (value && used != size) {
        zyn_value_destroy (&value);
        zyn_error_set (err, ZYN_ERR_SERIALIZATION,
                       S_MALFORMED "%zu trailing bytes", size - used);
    }
    return value;
}


//  --------------------------------------------------------------------------
//  DynamoDB JSON

//  The JSON token name DynamoDB's parser reports for a JSON value
static const char *
s_json_token (const json_t *json)
{
    switch (json_typeof (json)) {
        case JSON_OBJECT:
            return "START_OBJECT";
        case JSON_ARRAY:
            return "START_ARRAY";
        case JSON_STRING:
            return "VALUE_STRING";
        case JSON_INTEGER:
            return "NUMBER_VALUE";
        case JSON_REAL:
            return "NUMBER_VALUE";
        case JSON_TRUE:
            return "TRUE_VALUE";
        case JSON_FALSE:
            return "FALSE_VALUE";
        default:
            return "NULL_VALUE";
    }
}

static int
s_json_type_error (const json_t *json, const char *expected,
                   zyn_error_t *err)
{
    if (json_is_object (json))
        return zyn_error_set (err, ZYN_ERR_SERIALIZATION,
                              "Start of structure or map found where not "
                              "expected.");
    if (json_is_array (json))
        return zyn_error_set (err, ZYN_ERR_SERIALIZATION,
                              "Start of list found where not expected");
    return zyn_error_set (err, ZYN_ERR_SERIALIZATION,
                          "%s cannot be converted to %s",
                          s_json_token (json), expected);
}

//  Decode a base64 (standard alphabet, padded) blob the way DynamoDB
//  checks it. Returns a B value or NULL with a SerializationException.
static zyn_value_t *
s_b64_decode (const json_t *json, zyn_error_t *err)
{
    if (!json_is_string (json)) {
        s_json_type_error (json, "Blob", err);
        return NULL;
    }
    const char *text = json_string_value (json);
    size_t size = json_string_length (json);
    if (size % 4) {
        zyn_error_set (err, ZYN_ERR_SERIALIZATION,
                       "'%.200s' can not be converted to a Blob: Base64 "
                       "encoded length is expected a multiple of 4 bytes but "
                       "found: %zu",
                       text, size);
        return NULL;
    }
    for (size_t i = 0; i < size; i++) {
        char c = text [i];
        bool ok = isalnum ((unsigned char) c) || c == '+' || c == '/'
               || (c == '=' && (i + 1 == size || text [i + 1] == '='));
        if (!ok || (c == '=' && i + 2 < size)) {
            zyn_error_set (err, ZYN_ERR_SERIALIZATION,
                           "'%.200s' can not be converted to a Blob: Invalid "
                           "Base64 character: '%c'",
                           text, c);
            return NULL;
        }
    }
    size_t capacity = size / 4 * 3 + 1;
    unsigned char *bytes = (unsigned char *) malloc (capacity);
    assert (bytes);
    size_t length = 0;
    const char *end = NULL;
    if (sodium_base642bin (bytes, capacity, text, size, NULL, &length, &end,
                           sodium_base64_VARIANT_ORIGINAL)
        || end != text + size) {
        free (bytes);
        zyn_error_set (err, ZYN_ERR_SERIALIZATION,
                       "'%.200s' can not be converted to a Blob: Invalid last "
                       "non-pad Base64 character dectected",
                       text);
        return NULL;
    }
    zyn_value_t *value = s_new_scalar (ZYN_TYPE_B, bytes, length);
    free (bytes);
    return value;
}

static zyn_value_t *
s_from_jansson (json_t *json, int depth, zyn_error_t *err);

//  An M from a JSON object of names to attribute values
static zyn_value_t *
s_map_from_jansson (json_t *json, int depth, zyn_error_t *err)
{
    if (!json_is_object (json)) {
        s_json_type_error (json, "Map", err);
        return NULL;
    }
    zyn_value_t *map = s_new_collection (ZYN_TYPE_M);
    s_coll_grow (s_coll (map), json_object_size (json));
    const char *name;
    json_t *member;
    json_object_foreach (json, name, member) {
        zyn_value_t *value = s_from_jansson (member, depth + 1, err);
        if (!value) {
            zyn_value_destroy (&map);
            return NULL;
        }
        s_map_put (map, name, strlen (name), value);
    }
    return map;
}

//  A set from a JSON array of strings (base64 for BS)
static zyn_value_t *
s_set_from_jansson (json_t *json, int set_type, zyn_error_t *err)
{
    if (!json_is_array (json)) {
        s_json_type_error (json, "List", err);
        return NULL;
    }
    zyn_value_t *set = s_new_collection (set_type);
    s_coll_grow (s_coll (set), json_array_size (json));
    size_t i;
    json_t *member;
    json_array_foreach (json, i, member) {
        zyn_value_t *element = NULL;
        if (set_type == ZYN_TYPE_BS)
            element = s_b64_decode (member, err);
        else
        if (!json_is_string (member))
            s_json_type_error (member, "String", err);
        else
        if (set_type == ZYN_TYPE_SS)
            element = s_new_scalar (ZYN_TYPE_S, json_string_value (member),
                                    json_string_length (member));
        else {
            char canonical [ZYN_DECIMAL_TEXT_MAX];
            int length = zyn_decimal_normalize (
                json_string_value (member), json_string_length (member),
                canonical, err);
            if (length >= 0)
                element = s_new_scalar (ZYN_TYPE_N, canonical, (size_t) length);
        }
        if (!element) {
            zyn_value_destroy (&set);
            return NULL;
        }
        s_coll (set)->elements [set->size++] = element;
    }
    return set;
}

static zyn_value_t *
s_from_jansson (json_t *json, int depth, zyn_error_t *err)
{
    if (!json_is_object (json)) {
        s_json_type_error (json, "AttributeValue", err);
        return NULL;
    }
    if (depth > S_DECODE_DEPTH_MAX) {
        zyn_error_set (err, ZYN_ERR_VALIDATION, S_NESTING_MESSAGE);
        return NULL;
    }
    //  DynamoDB's parser ignores members it does not know, then counts the
    //  data types that were set
    const char *type_name = NULL;
    json_t *member = NULL;
    size_t types_set = 0;
    const char *name;
    json_t *candidate;
    json_object_foreach (json, name, candidate) {
        if (zyn_type_from_name (name) && !json_is_null (candidate)) {
            types_set++;
            type_name = name;
            member = candidate;
        }
    }
    if (types_set == 0) {
        zyn_error_set (err, ZYN_ERR_VALIDATION,
                       "Supplied AttributeValue is empty, must contain "
                       "exactly one of the supported datatypes");
        return NULL;
    }
    if (types_set > 1) {
        zyn_error_set (err, ZYN_ERR_VALIDATION,
                       "Supplied AttributeValue has more than one datatypes "
                       "set, must contain exactly one of the supported "
                       "datatypes");
        return NULL;
    }
    zyn_type_t type = zyn_type_from_name (type_name);
    switch (type) {
        case ZYN_TYPE_S:
            if (!json_is_string (member)) {
                s_json_type_error (member, "String", err);
                return NULL;
            }
            return s_new_scalar (ZYN_TYPE_S, json_string_value (member),
                                 json_string_length (member));
        case ZYN_TYPE_N: {
            if (!json_is_string (member)) {
                s_json_type_error (member, "String", err);
                return NULL;
            }
            char canonical [ZYN_DECIMAL_TEXT_MAX];
            int length = zyn_decimal_normalize (json_string_value (member),
                                                json_string_length (member),
                                                canonical, err);
            if (length < 0)
                return NULL;
            return s_new_scalar (ZYN_TYPE_N, canonical, (size_t) length);
        }
        case ZYN_TYPE_B:
            return s_b64_decode (member, err);
        case ZYN_TYPE_BOOL:
            if (!json_is_boolean (member)) {
                s_json_type_error (member, "Boolean", err);
                return NULL;
            }
            return zyn_value_new_bool (json_is_true (member));
        case ZYN_TYPE_NULL:
            if (!json_is_boolean (member)) {
                s_json_type_error (member, "Boolean", err);
                return NULL;
            }
            if (!json_is_true (member)) {
                zyn_error_set (err, ZYN_ERR_VALIDATION,
                               "One or more parameter values were invalid: "
                               "Null attribute value types must have the "
                               "value of true");
                return NULL;
            }
            return zyn_value_new_null ();
        case ZYN_TYPE_M:
            return s_map_from_jansson (member, depth, err);
        case ZYN_TYPE_L: {
            if (!json_is_array (member)) {
                s_json_type_error (member, "List", err);
                return NULL;
            }
            zyn_value_t *list = s_new_collection (ZYN_TYPE_L);
            s_coll_grow (s_coll (list), json_array_size (member));
            size_t i;
            json_t *element_json;
            json_array_foreach (member, i, element_json) {
                zyn_value_t *element
                    = s_from_jansson (element_json, depth + 1, err);
                if (!element) {
                    zyn_value_destroy (&list);
                    return NULL;
                }
                s_coll (list)->elements [list->size++] = element;
            }
            return list;
        }
        default:
            return s_set_from_jansson (member, type, err);
    }
}

zyn_value_t *
zyn_value_from_jansson (json_t *json, zyn_error_t *err)
{
    assert (json);
    return s_from_jansson (json, 0, err);
}

zyn_value_t *
zyn_value_from_jansson_map (json_t *json, zyn_error_t *err)
{
    assert (json);
    return s_map_from_jansson (json, 0, err);
}

static json_t *
s_b64_encode (const zyn_value_t *self)
{
    size_t b64_size
        = sodium_base64_ENCODED_LEN (self->size, sodium_base64_VARIANT_ORIGINAL);
    char *text = (char *) malloc (b64_size);
    assert (text);
    sodium_bin2base64 (text, b64_size, (const unsigned char *) s_data (self),
                       self->size, sodium_base64_VARIANT_ORIGINAL);
    json_t *json = json_string_nocheck (text);
    free (text);
    return json;
}

//  A string that may hold NUL bytes or, from a careless caller, invalid
//  UTF-8 (then replaced by an empty string rather than failing)
static json_t *
s_string_to_jansson (const zyn_value_t *self)
{
    json_t *json = json_stringn (s_data (self), self->size);
    return json ? json : json_string ("");
}

json_t *
zyn_value_to_jansson_map (const zyn_value_t *self)
{
    assert (self && self->type == ZYN_TYPE_M);
    json_t *object = json_object ();
    for (size_t i = 0; i < self->size; i++) {
        const s_entry_t *entry = &s_coll (self)->entries [i];
        json_object_set_new (object, s_entry_name (s_coll (self), entry),
                             zyn_value_to_jansson (entry->value));
    }
    return object;
}

json_t *
zyn_value_to_jansson (const zyn_value_t *self)
{
    assert (self);
    json_t *member = NULL;
    switch (self->type) {
        case ZYN_TYPE_S:
            member = s_string_to_jansson (self);
            break;
        case ZYN_TYPE_N:
            member = json_stringn_nocheck (s_data (self), self->size);
            break;
        case ZYN_TYPE_B:
            member = s_b64_encode (self);
            break;
        case ZYN_TYPE_BOOL:
            member = json_boolean (self->boolean);
            break;
        case ZYN_TYPE_NULL:
            member = json_true ();
            break;
        case ZYN_TYPE_M:
            member = zyn_value_to_jansson_map (self);
            break;
        default:
            member = json_array ();
            for (size_t i = 0; i < self->size; i++) {
                const zyn_value_t *element = s_coll (self)->elements [i];
                json_t *element_json
                    = self->type == ZYN_TYPE_L  ? zyn_value_to_jansson (element)
                    : self->type == ZYN_TYPE_BS ? s_b64_encode (element)
                    : element->type == ZYN_TYPE_S
                        ? s_string_to_jansson (element)
                        : json_stringn_nocheck (s_data (element), element->size);
                json_array_append_new (member, element_json);
            }
    }
    json_t *json = json_object ();
    json_object_set_new_nocheck (json, s_type_names [self->type], member);
    return json;
}

zyn_value_t *
zyn_value_from_json (const char *json, bool is_map, zyn_error_t *err)
{
    assert (json);
    json_error_t json_err;
    json_t *root = json_loads (json, JSON_DECODE_ANY | JSON_ALLOW_NUL, &json_err);
    if (!root) {
        zyn_error_set (err, ZYN_ERR_SERIALIZATION, "Malformed JSON: %s",
                       json_err.text);
        return NULL;
    }
    zyn_value_t *value = is_map ? zyn_value_from_jansson_map (root, err)
                                : zyn_value_from_jansson (root, err);
    json_decref (root);
    return value;
}

char *
zyn_value_to_json (const zyn_value_t *self, bool is_map)
{
    assert (self);
    json_t *root = is_map ? zyn_value_to_jansson_map (self)
                          : zyn_value_to_jansson (self);
    char *text = json_dumps (root, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref (root);
    return text;
}

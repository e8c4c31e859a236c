/*  =========================================================================
    zyn_value_codec - attribute values as MessagePack and as DynamoDB JSON

    Encodes a value tree as MessagePack (docs/protocol.md, "Values") and
    decodes it with a bounded recursive-descent parser that checks every
    length against the bytes left before it allocates. Converts between
    values and DynamoDB's wire JSON held in Jansson trees, failing with
    DynamoDB's own SerializationException and ValidationException
    messages. MessagePack is how values cross the wire and reach LevelDB
    (zyn_proto, zyn_partition); JSON is how the gateway and zyn_json see
    them. The tree itself is zyn_value.c's; the layout both files share is
    in zyn_value_private.h.

    Known limits: the decoders follow at most S_DECODE_DEPTH_MAX levels of
    nesting, deeper than DynamoDB's own limit, which zyn_value_validate
    checks.
    =========================================================================
*/

#include "zyn_prelude.h"
#include <jansson.h>
#include <sodium.h>
#include "zyn_error.h"
#include "zyn_decimal.h"
#include "zyn_value.h"
#include "zyn_value_private.h"

//  Deepest MessagePack or JSON nesting the decoders follow; DynamoDB's own
//  limit (ZYN_VALUE_DEPTH_MAX) is checked by zyn_value_validate
#define S_DECODE_DEPTH_MAX 64


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
            s_put_str (buf, zyn_value_bytes (self), self->size);
            break;
        case ZYN_TYPE_B:
            s_put_bin (buf, zyn_value_bytes (self), self->size);
            break;
        case ZYN_TYPE_N:
            s_put_ext_header (buf, 1, self->size);
            s_put_bytes (buf, zyn_value_bytes (self), self->size);
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
                const zyn_value_entry_t *entry
                    = &zyn_value_coll (self)->entries [i];
                s_put_str (buf,
                           zyn_value_entry_name (zyn_value_coll (self), entry),
                           entry->name_size);
                s_encode (entry->value, buf);
            }
            break;
        case ZYN_TYPE_L:
            s_put_array_header (buf, self->size);
            for (size_t i = 0; i < self->size; i++)
                s_encode (zyn_value_coll (self)->elements [i], buf);
            break;
        default: {
            //  A set is an ext whose payload is an array of str (SS, and NS
            //  as decimal text) or bin (BS); its length comes first
            bool binary = self->type == ZYN_TYPE_BS;
            size_t payload = s_array_header_size (self->size);
            for (size_t i = 0; i < self->size; i++) {
                size_t size = zyn_value_coll (self)->elements [i]->size;
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
                const zyn_value_t *element
                    = zyn_value_coll (self)->elements [i];
                if (binary)
                    s_put_bin (buf, zyn_value_bytes (element), element->size);
                else
                    s_put_str (buf, zyn_value_bytes (element), element->size);
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

//  Make an N from decimal text, or fail with a SerializationException
static zyn_value_t *
s_number_from_text (s_reader_t *reader, const char *text, size_t size)
{
    if (zyn_decimal_is_canonical_integer (text, size))
        return zyn_value_new_scalar (ZYN_TYPE_N, text, size);
    char canonical [ZYN_DECIMAL_TEXT_MAX];
    zyn_error_t number_err = { 0 };
    int length = zyn_decimal_normalize (text, size, canonical, &number_err);
    if (length < 0) {
        zyn_error_set (reader->err, ZYN_ERR_SERIALIZATION,
                       S_MALFORMED "bad number: %s", number_err.message);
        return NULL;
    }
    return zyn_value_new_scalar (ZYN_TYPE_N, canonical, (size_t) length);
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
    zyn_value_t *set = zyn_value_new_collection (set_type);
    zyn_value_coll_grow (zyn_value_coll (set), (size_t) count);
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
            element = zyn_value_new_scalar (ZYN_TYPE_B, reader.cursor, length);
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
                element = zyn_value_new_scalar (ZYN_TYPE_S, data, size);
            else {
                element = s_number_from_text (&reader, (const char *) data,
                                              size);
                if (!element)
                    goto failed;
            }
        }
        zyn_value_coll (set)->elements [set->size++] = element;
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
    zyn_value_t *list = zyn_value_new_collection (ZYN_TYPE_L);
    zyn_value_coll_grow (zyn_value_coll (list), (size_t) count);
    for (uint64_t i = 0; i < count; i++) {
        zyn_value_t *element = s_decode (reader, depth + 1);
        if (!element) {
            zyn_value_destroy (&list);
            return NULL;
        }
        zyn_value_coll (list)->elements [list->size++] = element;
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
    zyn_value_t *map = zyn_value_new_collection (ZYN_TYPE_M);
    zyn_value_coll_grow (zyn_value_coll (map), (size_t) count);
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
        zyn_value_map_put_sn (map, (const char *) name, name_size, value);
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
        return zyn_value_new_scalar (ZYN_TYPE_S, data, size);
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
            return zyn_value_new_scalar (ZYN_TYPE_B, reader->cursor - length,
                                         length);
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
            return zyn_value_new_scalar (ZYN_TYPE_N, text, (size_t) size);
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
    zyn_value_t *value = zyn_value_new_scalar (ZYN_TYPE_B, bytes, length);
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
    zyn_value_t *map = zyn_value_new_collection (ZYN_TYPE_M);
    zyn_value_coll_grow (zyn_value_coll (map), json_object_size (json));
    const char *name;
    json_t *member;
    json_object_foreach (json, name, member) {
        zyn_value_t *value = s_from_jansson (member, depth + 1, err);
        if (!value) {
            zyn_value_destroy (&map);
            return NULL;
        }
        zyn_value_map_put_sn (map, name, strlen (name), value);
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
    zyn_value_t *set = zyn_value_new_collection (set_type);
    zyn_value_coll_grow (zyn_value_coll (set), json_array_size (json));
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
            element = zyn_value_new_scalar (ZYN_TYPE_S,
                                            json_string_value (member),
                                            json_string_length (member));
        else {
            char canonical [ZYN_DECIMAL_TEXT_MAX];
            int length = zyn_decimal_normalize (
                json_string_value (member), json_string_length (member),
                canonical, err);
            if (length >= 0)
                element = zyn_value_new_scalar (ZYN_TYPE_N, canonical,
                                                (size_t) length);
        }
        if (!element) {
            zyn_value_destroy (&set);
            return NULL;
        }
        zyn_value_coll (set)->elements [set->size++] = element;
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
        zyn_error_set (err, ZYN_ERR_VALIDATION, ZYN_VALUE_NESTING_MESSAGE);
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
            return zyn_value_new_scalar (ZYN_TYPE_S,
                                         json_string_value (member),
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
            return zyn_value_new_scalar (ZYN_TYPE_N, canonical,
                                         (size_t) length);
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
            zyn_value_t *list = zyn_value_new_collection (ZYN_TYPE_L);
            zyn_value_coll_grow (zyn_value_coll (list),
                                 json_array_size (member));
            size_t i;
            json_t *element_json;
            json_array_foreach (member, i, element_json) {
                zyn_value_t *element
                    = s_from_jansson (element_json, depth + 1, err);
                if (!element) {
                    zyn_value_destroy (&list);
                    return NULL;
                }
                zyn_value_coll (list)->elements [list->size++] = element;
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
    sodium_bin2base64 (text, b64_size,
                       (const unsigned char *) zyn_value_bytes (self),
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
    json_t *json = json_stringn (zyn_value_bytes (self), self->size);
    return json ? json : json_string ("");
}

json_t *
zyn_value_to_jansson_map (const zyn_value_t *self)
{
    assert (self && self->type == ZYN_TYPE_M);
    json_t *object = json_object ();
    for (size_t i = 0; i < self->size; i++) {
        const zyn_value_entry_t *entry = &zyn_value_coll (self)->entries [i];
        json_object_set_new (
            object, zyn_value_entry_name (zyn_value_coll (self), entry),
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
            member = json_stringn_nocheck (zyn_value_bytes (self), self->size);
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
                const zyn_value_t *element
                    = zyn_value_coll (self)->elements [i];
                json_t *element_json
                    = self->type == ZYN_TYPE_L  ? zyn_value_to_jansson (element)
                    : self->type == ZYN_TYPE_BS ? s_b64_encode (element)
                    : element->type == ZYN_TYPE_S
                        ? s_string_to_jansson (element)
                        : json_stringn_nocheck (zyn_value_bytes (element),
                                                element->size);
                json_array_append_new (member, element_json);
            }
    }
    json_t *json = json_object ();
    json_object_set_new_nocheck (json, zyn_type_name (self->type), member);
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

/*  =========================================================================
    zyn_json_reply - a GetItem reply's MessagePack rendered as DynamoDB's
    JSON without a value tree

    The gateway answers most GetItem calls with the item the worker sent:
    decoding it into a tree, rendering the tree and freeing it was a tenth
    of the gateway's CPU per request. This writes the same text straight
    from the bytes. It renders only what it can render exactly as
    zyn_value_decode and zyn_json_from_response would, and declines
    (returns NULL) everything else, so the caller falls back on them and
    every error and corner case stays theirs: bytes that do not decode,
    numbers sent as MessagePack integers or floats, a map that repeats a
    name or holds more than S_NAMES_MAX, nesting deeper than DynamoDB's 32
    levels, a reply with members other than Item.
    =========================================================================
*/

#include "zyn_prelude.h"
#include "zyn_decimal.h"
#include "zyn_json.h"
#include "zyn_json_private.h"

//  Most members of one map whose names are checked for repeats; a larger
//  map is declined
#define S_NAMES_MAX 64
//  Deepest nesting of maps and lists rendered (DynamoDB's own limit)
#define S_DEPTH_MAX 32

typedef struct {
    const uint8_t *cursor;
    const uint8_t *limit;
} s_reader_t;

//  What a MessagePack header announces
typedef enum {
    S_STR, S_BIN, S_MAP, S_ARRAY, S_EXT, S_NIL, S_TRUE, S_FALSE, S_OTHER
} s_kind_t;

//  Read a big-endian length of width bytes; false if truncated
static bool
s_read_length (s_reader_t *self, int width, size_t *length)
{
    if (self->limit - self->cursor < width)
        return false;
    uint64_t value = 0;
    for (int i = 0; i < width; i++)
        value = value << 8 | *self->cursor++;
    *length = (size_t) value;
    return true;
}

//  Read one header: its kind and length (bytes for str, bin and ext,
//  entries for map and array; ext's type byte is read too, into ext).
//  False if truncated, or if the announced bytes are not all there.
static bool
s_read_header (s_reader_t *self, s_kind_t *kind, size_t *length, int *ext)
{
    if (self->cursor == self->limit)
        return false;
    uint8_t tag = *self->cursor++;
    *length = 0;
    *kind = S_OTHER;
    int width = 0;
    if (tag >= 0xa0 && tag <= 0xbf) {
        *kind = S_STR;
        *length = tag & 0x1f;
    }
    else
    if (tag >= 0x80 && tag <= 0x8f) {
        *kind = S_MAP;
        *length = tag & 0x0f;
    }
    else
    if (tag >= 0x90 && tag <= 0x9f) {
        *kind = S_ARRAY;
        *length = tag & 0x0f;
    }
    else
    switch (tag) {
        case 0xc0: *kind = S_NIL; break;
        case 0xc2: *kind = S_FALSE; break;
        case 0xc3: *kind = S_TRUE; break;
        case 0xd9: *kind = S_STR; width = 1; break;
        case 0xda: *kind = S_STR; width = 2; break;
        case 0xdb: *kind = S_STR; width = 4; break;
        case 0xc4: *kind = S_BIN; width = 1; break;
        case 0xc5: *kind = S_BIN; width = 2; break;
        case 0xc6: *kind = S_BIN; width = 4; break;
        case 0xdc: *kind = S_ARRAY; width = 2; break;
        case 0xdd: *kind = S_ARRAY; width = 4; break;
        case 0xde: *kind = S_MAP; width = 2; break;
        case 0xdf: *kind = S_MAP; width = 4; break;
        case 0xd4: *kind = S_EXT; *length = 1; break;
        case 0xd5: *kind = S_EXT; *length = 2; break;
        case 0xd6: *kind = S_EXT; *length = 4; break;
        case 0xd7: *kind = S_EXT; *length = 8; break;
        case 0xd8: *kind = S_EXT; *length = 16; break;
        case 0xc7: *kind = S_EXT; width = 1; break;
        case 0xc8: *kind = S_EXT; width = 2; break;
        case 0xc9: *kind = S_EXT; width = 4; break;
        default:
            return true;                //  S_OTHER: numbers, reserved
    }
    if (width && !s_read_length (self, width, length))
        return false;
    size_t left = (size_t) (self->limit - self->cursor);
    if (*kind == S_EXT) {
        if (left < 1 + *length)
            return false;
        *ext = (int8_t) *self->cursor++;
    }
    else
    if ((*kind == S_STR || *kind == S_BIN) && left < *length)
        return false;
    else
    if ((*kind == S_MAP && *length > left / 2)
    ||  (*kind == S_ARRAY && *length > left))
        return false;                   //  Not even a byte per entry
    return true;
}

//  Write a str of size bytes at the cursor as a JSON string; false if it
//  is not UTF-8
static bool
s_put_str (s_reader_t *self, zyn_json_text_t *text, size_t size)
{
    const char *data = (const char *) self->cursor;
    self->cursor += size;
    return zyn_json_put_string (text, data, size, false) == 0;
}

//  Write decimal text (size bytes at the cursor) as a JSON string in its
//  canonical form, as the decoder would hold it; false if it is not a
//  number
static bool
s_put_number (s_reader_t *self, zyn_json_text_t *text, size_t size)
{
    const char *data = (const char *) self->cursor;
    self->cursor += size;
    char canonical [ZYN_DECIMAL_TEXT_MAX];
    if (!zyn_decimal_is_canonical_integer (data, size)) {
        zyn_error_t err = { 0 };
        int length = zyn_decimal_normalize (data, size, canonical, &err);
        if (length < 0)
            return false;
        data = canonical;
        size = (size_t) length;
    }
    zyn_json_text_reserve (text, size + 2);
    text->data [text->size++] = '"';
    memcpy (text->data + text->size, data, size);
    text->size += size;
    text->data [text->size++] = '"';
    return true;
}

static bool
    s_put_item (s_reader_t *self, zyn_json_text_t *text, size_t count,
                int depth);

//  A set's elements: its payload (size bytes at the cursor) must be one
//  array of str (SS, NS) or bin (BS) and nothing more
static bool
s_put_set (s_reader_t *self, zyn_json_text_t *text, int ext, size_t size)
{
    s_reader_t payload = { self->cursor, self->cursor + size };
    self->cursor += size;
    s_kind_t kind;
    size_t count;
    int unused;
    if (!s_read_header (&payload, &kind, &count, &unused) || kind != S_ARRAY)
        return false;
    zyn_json_text_put (text, ext == 2 ? "\"SS\":[" : ext == 3 ? "\"NS\":["
                                                              : "\"BS\":[",
                       6);
    for (size_t i = 0; i < count; i++) {
        size_t length;
        if (!s_read_header (&payload, &kind, &length, &unused)
        ||  kind != (ext == 4 ? S_BIN : S_STR))
            return false;
        if (i)
            zyn_json_text_putc (text, ',');
        if (ext == 2) {
            if (!s_put_str (&payload, text, length))
                return false;
        }
        else
        if (ext == 3) {
            if (!s_put_number (&payload, text, length))
                return false;
        }
        else {
            zyn_json_put_base64 (text, payload.cursor, length);
            payload.cursor += length;
        }
    }
    zyn_json_text_putc (text, ']');
    return payload.cursor == payload.limit;
}

//  One attribute value in typed form: {"S":"x"}
static bool
s_put_attribute (s_reader_t *self, zyn_json_text_t *text, int depth)
{
    s_kind_t kind;
    size_t length;
    int ext = 0;
    if (!s_read_header (self, &kind, &length, &ext))
        return false;
    zyn_json_text_putc (text, '{');
    switch (kind) {
        case S_STR:
            zyn_json_text_put (text, "\"S\":", 4);
            if (!s_put_str (self, text, length))
                return false;
            break;
        case S_BIN:
            zyn_json_text_put (text, "\"B\":", 4);
            zyn_json_put_base64 (text, self->cursor, length);
            self->cursor += length;
            break;
        case S_TRUE:
            zyn_json_text_put (text, "\"BOOL\":true", 11);
            break;
        case S_FALSE:
            zyn_json_text_put (text, "\"BOOL\":false", 12);
            break;
        case S_NIL:
            zyn_json_text_put (text, "\"NULL\":true", 11);
            break;
        case S_MAP:
            if (depth >= S_DEPTH_MAX)
                return false;
            zyn_json_text_put (text, "\"M\":", 4);
            if (!s_put_item (self, text, length, depth + 1))
                return false;
            break;
        case S_ARRAY:
            if (depth >= S_DEPTH_MAX)
                return false;
            zyn_json_text_put (text, "\"L\":[", 5);
            for (size_t i = 0; i < length; i++) {
                if (i)
                    zyn_json_text_putc (text, ',');
                if (!s_put_attribute (self, text, depth + 1))
                    return false;
            }
            zyn_json_text_putc (text, ']');
            break;
        case S_EXT:
            if (ext == 1) {
                zyn_json_text_put (text, "\"N\":", 4);
                if (!s_put_number (self, text, length))
                    return false;
            }
            else
            if (ext >= 2 && ext <= 4) {
                if (!s_put_set (self, text, ext, length))
                    return false;
            }
            else
                return false;
            break;
        default:
            return false;               //  A number not in ext 1
    }
    zyn_json_text_putc (text, '}');
    return true;
}

//  A map of count members, name -> attribute value
static bool
s_put_item (s_reader_t *self, zyn_json_text_t *text, size_t count, int depth)
{
    if (count > S_NAMES_MAX)
        return false;
    const uint8_t *names [S_NAMES_MAX];
    size_t sizes [S_NAMES_MAX];
    zyn_json_text_putc (text, '{');
    for (size_t i = 0; i < count; i++) {
        s_kind_t kind;
        size_t length;
        int unused;
        if (!s_read_header (self, &kind, &length, &unused) || kind != S_STR)
            return false;
        const uint8_t *name = self->cursor;
        if (memchr (name, 0, length))
            return false;
        //  The decoder keeps the last of repeated names in the first's
        //  place: left to it
        for (size_t j = 0; j < i; j++)
            if (sizes [j] == length && memcmp (names [j], name, length) == 0)
                return false;
        names [i] = name;
        sizes [i] = length;
        if (i)
            zyn_json_text_putc (text, ',');
        if (!s_put_str (self, text, length))
            return false;
        zyn_json_text_putc (text, ':');
        if (!s_put_attribute (self, text, depth))
            return false;
    }
    zyn_json_text_putc (text, '}');
    return true;
}

//  --------------------------------------------------------------------------
//  Render a GetItem reply; see the header.

char *
zyn_json_from_item_reply (const void *data, size_t size, size_t *json_size)
{
    assert (data || size == 0);
    s_reader_t reader = { (const uint8_t *) data,
                          (const uint8_t *) data + size };
    s_kind_t kind;
    size_t count;
    int unused;
    if (!s_read_header (&reader, &kind, &count, &unused) || kind != S_MAP
    ||  count > 1)
        return NULL;
    zyn_json_text_t text = { NULL, 0, 2048, false };
    text.data = (char *) malloc (text.max);
    assert (text.data);
    zyn_json_text_putc (&text, '{');
    if (count == 1) {
        size_t length;
        if (!s_read_header (&reader, &kind, &length, &unused)
        ||  kind != S_STR || length != 4
        ||  memcmp (reader.cursor, "Item", 4) != 0)
            goto declined;
        reader.cursor += 4;
        if (!s_read_header (&reader, &kind, &count, &unused)
        ||  kind != S_MAP)
            goto declined;
        zyn_json_text_put (&text, "\"Item\":", 7);
        if (!s_put_item (&reader, &text, count, 1))
            goto declined;
    }
    zyn_json_text_putc (&text, '}');
    if (reader.cursor != reader.limit)
        goto declined;                  //  Bytes after the reply
    zyn_json_text_putc (&text, 0);
    if (json_size)
        *json_size = text.size - 1;
    return text.data;

declined:
    free (text.data);
    return NULL;
}

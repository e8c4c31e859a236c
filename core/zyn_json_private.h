/*  =========================================================================
    zyn_json_private - the JSON text writer shared by zyn_json.c (which
    renders value trees) and zyn_json_reply.c (which renders MessagePack
    replies without a tree); not a public contract

    No other file may include this header.
    =========================================================================
*/

#ifndef ZYN_JSON_PRIVATE_H_INCLUDED
#define ZYN_JSON_PRIVATE_H_INCLUDED

#include "zynamo.h"

//  JSON text being written into one growing buffer
typedef struct {
    char *data;                 //  The text so far, not NUL-terminated
    size_t size;                //  Bytes in data
    size_t max;                 //  Bytes allocated
    bool failed;                //  Text that is not UTF-8 was met
} zyn_json_text_t;

//  Make room for extra more bytes
static inline void
zyn_json_text_reserve (zyn_json_text_t *self, size_t extra)
{
    if (self->size + extra <= self->max)
        return;
    size_t max = self->max;
    while (max < self->size + extra)
        max *= 2;
    self->data = (char *) realloc (self->data, max);
    assert (self->data);
    self->max = max;
}

static inline void
zyn_json_text_put (zyn_json_text_t *self, const char *data, size_t size)
{
    zyn_json_text_reserve (self, size);
    memcpy (self->data + self->size, data, size);
    self->size += size;
}

static inline void
zyn_json_text_putc (zyn_json_text_t *self, char c)
{
    zyn_json_text_reserve (self, 1);
    self->data [self->size++] = c;
}

//  Length of the UTF-8 sequence at data (size bytes left), or 0 if it is
//  not one: an overlong form, a surrogate or beyond U+10FFFF is not
size_t
    zyn_json_utf8_length (const uint8_t *data, size_t size);

//  Write a quoted JSON string: '"', '\\' and control characters escaped,
//  '/' and non-ASCII as they are. If the data is not UTF-8, returns -1
//  with nothing written, or when partial is true, with what Jansson's
//  dump wrote before it gave up.
int
    zyn_json_put_string (zyn_json_text_t *self, const char *string,
                         size_t size, bool partial);

//  Write size bytes of data as quoted base64 text
void
    zyn_json_put_base64 (zyn_json_text_t *self, const uint8_t *data,
                         size_t size);

#endif

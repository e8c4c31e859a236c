/*  =========================================================================
    zyn_keycode - order-preserving encodings of key attributes and the
    row keys of a partition's LevelDB

    Key attribute values (S, N, B) are encoded so that bytewise order of
    the encodings is DynamoDB's order of the values, and each encoding is
    self-delimiting so composite keys concatenate. The partition key's
    encoding is hashed to 64 bits to route it. Row keys follow DESIGN.md
    section 3: 'i' | hash64 (big-endian) | enc(pk) | enc(sk).
    =========================================================================
*/

#ifndef ZYN_KEYCODE_H_INCLUDED
#define ZYN_KEYCODE_H_INCLUDED

#include "zynamo.h"

//  Partition key <= 2048 bytes and sort key <= 1024 bytes, at most doubled
//  by escaping, plus terminators, tags and the row prefix, fit in this
#define ZYN_KEYCODE_MAX 6400

//  Row families of a partition's LevelDB (DESIGN.md section 3)
#define ZYN_ROW_ITEM 'i'
#define ZYN_ROW_STREAM 's'
#define ZYN_ROW_LSI 'l'
#define ZYN_ROW_META 'm'
#define ZYN_ROW_TXN 't'

//  Append the order-preserving encoding of a key value (S, N or B) to buf
//  at *size, which must leave ZYN_KEYCODE_MAX bytes; advances *size.
//  Returns 0, or -1 with a ValidationException in err for other types,
//  empty S or B values, numbers that fail to parse, or values longer than
//  a partition key may be (2048 bytes).
int
    zyn_keycode_append (uint8_t *buf, size_t *size, const zyn_value_t *value,
                        zyn_error_t *err);

//  As zyn_keycode_append, naming the key attribute (may be NULL) so that
//  the empty-value message ends as DynamoDB's does ("... Key: pk").
int
    zyn_keycode_append_named (uint8_t *buf, size_t *size, const char *name,
                              const zyn_value_t *value, zyn_error_t *err);

//  Append the encoding of an S or B value without its terminator: every
//  key that begins with value (begins_with) has an encoding that starts
//  with these bytes. An empty value appends nothing. Returns 0, or -1
//  with a ValidationException in err for other types.
int
    zyn_keycode_append_prefix (uint8_t *buf, size_t *size,
                               const zyn_value_t *value, zyn_error_t *err);

//  Decode one key value of type (ZYN_TYPE_S, _N or _B) from the start of
//  data. Returns the value (caller owns it) and the bytes used in *used,
//  or NULL if data is not a valid encoding.
zyn_value_t *
    zyn_keycode_decode (zyn_type_t type, const uint8_t *data, size_t size,
                        size_t *used);

//  The 64-bit routing hash of an encoded partition key. Stable forever:
//  the layout on disk depends on it.
uint64_t
    zyn_keycode_hash (const uint8_t *data, size_t size);

//  Build the item row key for pk and (optional, may be NULL) sk into buf
//  (ZYN_KEYCODE_MAX bytes). Returns the length and the partition key's
//  hash in *hash, or 0 with err filled (see zyn_keycode_append; also
//  DynamoDB's messages for a partition key over 2048 bytes or a sort key
//  over 1024). With sk NULL the row key is the prefix of every row of
//  the item collection.
size_t
    zyn_keycode_item_row (uint8_t *buf, const zyn_value_t *pk,
                          const zyn_value_t *sk, uint64_t *hash,
                          zyn_error_t *err);

//  As zyn_keycode_item_row, naming the key attributes (either may be
//  NULL) for DynamoDB's empty-value messages.
size_t
    zyn_keycode_item_row_named (uint8_t *buf, const char *pk_name,
                                const zyn_value_t *pk, const char *sk_name,
                                const zyn_value_t *sk, uint64_t *hash,
                                zyn_error_t *err);

//  Split an item row key back into its key values. pk_type and sk_type
//  (0 if the table has no sort key) say how to decode. Returns 0 and the
//  values (caller owns them), or -1 if the row is malformed.
int
    zyn_keycode_parse_item_row (const uint8_t *row, size_t size,
                                zyn_type_t pk_type, zyn_type_t sk_type,
                                zyn_value_t **pk_p, zyn_value_t **sk_p);

#endif

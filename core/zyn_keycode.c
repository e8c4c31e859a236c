/*  =========================================================================
    zyn_keycode - order-preserving encodings of key attributes and the
    row keys of a partition's LevelDB

    Owns the byte layout of keys on disk, used by the worker (rows), the
    broker (routing hash) and the indexers. Encodings, chosen so that
    LevelDB's bytewise order is DynamoDB's order of the values:

        S, B    the bytes, each 0x00 written as 0x00 0xFF, then 0x00 0x00
        N       zyn_decimal_encode_key (class, exponent, digit pairs,
                terminator)

    Every encoding is self-delimiting, so a composite key is the
    concatenation enc(pk) | enc(sk) and orders by pk, then sk. For S and B
    a value that is a prefix of another sorts first, because its
    terminator 0x00 0x00 is below both an escaped 0x00 (0x00 0xFF) and any
    other byte. Key values carry no type tag: the table's schema says
    which type each key attribute has.

    Item rows are 'i' | hash64 (big-endian) | enc(pk) | enc(sk), where
    hash64 is SipHash-2-4 (libsodium's crypto_shorthash) of enc(pk) under
    an all-zero key, read big-endian. The hash is part of the layout on
    disk and of the partition map: it must never change.

    Limits and messages are DynamoDB's: empty S or B key values, partition
    keys over 2048 bytes, sort keys over 1024 bytes (the value's bytes; a
    number counts its item size). The caller may prefix more context.
    =========================================================================
*/

#include "zyn_prelude.h"
#include "zyn_error.h"
#include "zyn_decimal.h"
#include "zyn_keycode.h"

#define S_PARTITION_KEY_MAX 2048
#define S_SORT_KEY_MAX 1024
#define S_ROW_PREFIX_SIZE 9     //  'i' and the 8-octet hash

static const char s_msg_schema []
    = "The provided key element does not match the schema";
static const char s_msg_hashkey_size []
    = "One or more parameter values were invalid: Size of hashkey has "
      "exceeded the maximum size limit of2048 bytes";
static const char s_msg_rangekey_size []
    = "One or more parameter values were invalid: Aggregated size of all "
      "range keys has exceeded the size limit of 1024 bytes";


//  --------------------------------------------------------------------------
//  The size DynamoDB counts for a key value, or -1 with err filled if the
//  value cannot be a key (wrong type, empty, not a number). number gets
//  the parsed value of an N.

static int64_t
s_key_size (const char *name, const zyn_value_t *value,
            zyn_decimal_t *number, zyn_error_t *err)
{
    if (!value)
        return zyn_error_set (err, ZYN_ERR_VALIDATION, "%s", s_msg_schema);
    zyn_type_t type = zyn_value_type (value);
    if (type == ZYN_TYPE_S || type == ZYN_TYPE_B) {
        size_t size = zyn_value_size (value);
        if (size == 0) {
            const char *what = type == ZYN_TYPE_S ? "string" : "binary";
            if (name)
                return zyn_error_set (
                    err, ZYN_ERR_VALIDATION,
                    "One or more parameter values are not valid. The "
                    "AttributeValue for a key attribute cannot contain an "
                    "empty %s value. Key: %s",
                    what, name);
            return zyn_error_set (
                err, ZYN_ERR_VALIDATION,
                "One or more parameter values are not valid. The "
                "AttributeValue for a key attribute cannot contain an empty "
                "%s value",
                what);
        }
        return (int64_t) size;
    }
    if (type == ZYN_TYPE_N) {
        const char *text = zyn_value_data (value);
        if (zyn_decimal_parse (number, text, zyn_value_size (value), err))
            return -1;
        return (int64_t) zyn_decimal_storage_size (number);
    }
    return zyn_error_set (err, ZYN_ERR_VALIDATION, "%s", s_msg_schema);
}


//  --------------------------------------------------------------------------
//  Append the escaped bytes of data, without a terminator

static void
s_append_escaped (uint8_t *buf, size_t *size, const uint8_t *data,
                  size_t data_size)
{
    size_t pos = *size;
    for (size_t i = 0; i < data_size; i++) {
        buf [pos++] = data [i];
        if (data [i] == 0x00)
            buf [pos++] = 0xFF;
    }
    *size = pos;
}


//  --------------------------------------------------------------------------
//  Append the encoding of a value already checked by s_key_size

static void
s_append_checked (uint8_t *buf, size_t *size, const zyn_value_t *value,
                  const zyn_decimal_t *number)
{
    if (zyn_value_type (value) == ZYN_TYPE_N)
        *size += zyn_decimal_encode_key (number, buf + *size);
    else {
        s_append_escaped (buf, size, (const uint8_t *) zyn_value_data (value),
                          zyn_value_size (value));
        buf [(*size)++] = 0x00;
        buf [(*size)++] = 0x00;
    }
}


//  --------------------------------------------------------------------------
//  Append the order-preserving encoding of a key value (S, N or B) to buf
//  at *size. Returns 0, or -1 with a ValidationException in err.

int
zyn_keycode_append (uint8_t *buf, size_t *size, const zyn_value_t *value,
                    zyn_error_t *err)
{
    return zyn_keycode_append_named (buf, size, NULL, value, err);
}


//  --------------------------------------------------------------------------
//  As zyn_keycode_append, naming the key attribute for the messages.

int
zyn_keycode_append_named (uint8_t *buf, size_t *size, const char *name,
                          const zyn_value_t *value, zyn_error_t *err)
{
    assert (buf);
    assert (size);
    zyn_decimal_t number;
    int64_t key_size = s_key_size (name, value, &number, err);
    if (key_size < 0)
        return -1;
    //  The larger of the two key limits bounds every encoding, so that
    //  ZYN_KEYCODE_MAX holds any row key
    if (key_size > S_PARTITION_KEY_MAX)
        return zyn_error_set (err, ZYN_ERR_VALIDATION, "%s",
                              s_msg_hashkey_size);
    s_append_checked (buf, size, value, &number);
    return 0;
}


//  --------------------------------------------------------------------------
//  Append the encoding of an S or B value without its terminator.

int
zyn_keycode_append_prefix (uint8_t *buf, size_t *size,
                           const zyn_value_t *value, zyn_error_t *err)
{
    assert (buf);
    assert (size);
    if (!value
        || (zyn_value_type (value) != ZYN_TYPE_S
            && zyn_value_type (value) != ZYN_TYPE_B))
        return zyn_error_set (err, ZYN_ERR_VALIDATION, "%s", s_msg_schema);
    if (zyn_value_size (value) > S_PARTITION_KEY_MAX)
        return zyn_error_set (err, ZYN_ERR_VALIDATION, "%s",
                              s_msg_hashkey_size);
    s_append_escaped (buf, size, (const uint8_t *) zyn_value_data (value),
                      zyn_value_size (value));
    return 0;
}


//  --------------------------------------------------------------------------
//  Decode one S or B encoding; returns the value or NULL

static zyn_value_t *
s_decode_bytes (zyn_type_t type, const uint8_t *data, size_t size,
                size_t *used)
{
    uint8_t *bytes = (uint8_t *) malloc (size ? size : 1);
    assert (bytes);
    size_t length = 0;
    size_t pos = 0;
    zyn_value_t *value = NULL;
    while (pos < size) {
        uint8_t byte = data [pos++];
        if (byte != 0x00) {
            bytes [length++] = byte;
            continue;
        }
        if (pos >= size)
            break;              //  Truncated escape or terminator
        uint8_t next = data [pos++];
        if (next == 0xFF)
            bytes [length++] = 0x00;
        else
        if (next == 0x00) {
            //  Encodings of empty values are never written
            if (length > 0) {
                value = type == ZYN_TYPE_S
                      ? zyn_value_new_sn ((const char *) bytes, length)
                      : zyn_value_new_b (bytes, length);
                *used = pos;
            }
            break;
        }
        else
            break;              //  Not an escape we write
    }
    free (bytes);
    return value;
}


//  --------------------------------------------------------------------------
//  Decode one key value of type from the start of data. Returns the value
//  (caller owns it) and the bytes used in *used, or NULL.

zyn_value_t *
zyn_keycode_decode (zyn_type_t type, const uint8_t *data, size_t size,
                    size_t *used)
{
    assert (used);
    if (!data)
        return NULL;
    if (type == ZYN_TYPE_S || type == ZYN_TYPE_B)
        return s_decode_bytes (type, data, size, used);
    if (type == ZYN_TYPE_N) {
        zyn_decimal_t number;
        size_t key_size = zyn_decimal_decode_key (&number, data, size);
        if (key_size == 0)
            return NULL;
        char text [ZYN_DECIMAL_TEXT_MAX];
        zyn_decimal_format (&number, text);
        zyn_value_t *value = zyn_value_new_n (text, NULL);
        assert (value);         //  A decoded number is always valid
        *used = key_size;
        return value;
    }
    return NULL;
}


//  --------------------------------------------------------------------------
//  The 64-bit routing hash of an encoded partition key. Stable forever.

uint64_t
zyn_keycode_hash (const uint8_t *data, size_t size)
{
    //  SipHash-2-4 with a fixed all-zero key: keys are not secret here, the
    //  hash only has to spread them and never change
    const unsigned char key [crypto_shorthash_KEYBYTES] = { 0 };
    unsigned char out [crypto_shorthash_BYTES];
    crypto_shorthash (out, data, (unsigned long long) size, key);
    return zyn_get_u64 (out);
}


//  --------------------------------------------------------------------------
//  Build the item row key for pk and (optional) sk into buf. Returns the
//  length and the partition key's hash in *hash, or 0 with err filled.

size_t
zyn_keycode_item_row (uint8_t *buf, const zyn_value_t *pk,
                      const zyn_value_t *sk, uint64_t *hash,
                      zyn_error_t *err)
{
    return zyn_keycode_item_row_named (buf, NULL, pk, NULL, sk, hash, err);
}


//  --------------------------------------------------------------------------
//  As zyn_keycode_item_row, naming the key attributes for the messages.

size_t
zyn_keycode_item_row_named (uint8_t *buf, const char *pk_name,
                            const zyn_value_t *pk, const char *sk_name,
                            const zyn_value_t *sk, uint64_t *hash,
                            zyn_error_t *err)
{
    assert (buf);
    zyn_decimal_t pk_number;
    int64_t pk_size = s_key_size (pk_name, pk, &pk_number, err);
    if (pk_size < 0)
        return 0;
    if (pk_size > S_PARTITION_KEY_MAX) {
        zyn_error_set (err, ZYN_ERR_VALIDATION, "%s", s_msg_hashkey_size);
        return 0;
    }
    zyn_decimal_t sk_number;
    if (sk) {
        int64_t sk_size = s_key_size (sk_name, sk, &sk_number, err);
        if (sk_size < 0)
            return 0;
        if (sk_size > S_SORT_KEY_MAX) {
            zyn_error_set (err, ZYN_ERR_VALIDATION, "%s",
                           s_msg_rangekey_size);
            return 0;
        }
    }
    size_t size = S_ROW_PREFIX_SIZE;
    s_append_checked (buf, &size, pk, &pk_number);
    uint64_t pk_hash = zyn_keycode_hash (buf + S_ROW_PREFIX_SIZE,
                                         size - S_ROW_PREFIX_SIZE);
    buf [0] = ZYN_ROW_ITEM;
    zyn_put_u64 (buf + 1, pk_hash);
    if (sk)
        s_append_checked (buf, &size, sk, &sk_number);
    assert (size <= ZYN_KEYCODE_MAX);
    if (hash)
        *hash = pk_hash;
    return size;
}


//  --------------------------------------------------------------------------
//  Split an item row key back into its key values. Returns 0 and the
//  values (caller owns them), or -1 if the row is malformed.

int
zyn_keycode_parse_item_row (const uint8_t *row, size_t size,
                            zyn_type_t pk_type, zyn_type_t sk_type,
                            zyn_value_t **pk_p, zyn_value_t **sk_p)
{
    assert (pk_p);
    *pk_p = NULL;
    if (sk_p)
        *sk_p = NULL;
    if (!row || size <= S_ROW_PREFIX_SIZE || row [0] != ZYN_ROW_ITEM)
        return -1;
    size_t pos = S_ROW_PREFIX_SIZE;
    size_t used = 0;
    zyn_value_t *pk = zyn_keycode_decode (pk_type, row + pos, size - pos,
                                          &used);
    if (!pk)
        return -1;
    //  The stored hash must be the hash of the stored key
    if (zyn_get_u64 (row + 1) != zyn_keycode_hash (row + pos, used)) {
        zyn_value_destroy (&pk);
        return -1;
    }
    pos += used;
    zyn_value_t *sk = NULL;
    if (sk_type) {
        sk = zyn_keycode_decode (sk_type, row + pos, size - pos, &used);
        if (!sk || !sk_p) {
            zyn_value_destroy (&pk);
            zyn_value_destroy (&sk);
            return -1;
        }
        pos += used;
    }
    if (pos != size) {
        zyn_value_destroy (&pk);
        zyn_value_destroy (&sk);
        return -1;
    }
    *pk_p = pk;
    if (sk_p)
        *sk_p = sk;
    return 0;
}

/*  =========================================================================
    check_zyn_keycode - Check suite for zyn_keycode

    Random S, B and N keys sorted by their encodings must be in DynamoDB's
    order (S and B bytewise unsigned, N numerically); composite keys order
    by partition key, then sort key; encodings decode back and delimit
    themselves; errors carry DynamoDB's messages; the routing hash has
    fixed values that must never change.
    =========================================================================
*/

#include "zyn_prelude.h"
#include "zyn_error.h"
#include "zyn_decimal.h"
#include "zyn_keycode.h"
#include "../tests/zyn_testutil.h"

#define MSG_SCHEMA "The provided key element does not match the schema"
#define MSG_EMPTY_S                                                         \
    "One or more parameter values are not valid. The AttributeValue for a " \
    "key attribute cannot contain an empty string value"
#define MSG_EMPTY_B                                                         \
    "One or more parameter values are not valid. The AttributeValue for a " \
    "key attribute cannot contain an empty binary value"
#define MSG_HASHKEY                                                         \
    "One or more parameter values were invalid: Size of hashkey has "       \
    "exceeded the maximum size limit of2048 bytes"
#define MSG_RANGEKEY                                                        \
    "One or more parameter values were invalid: Aggregated size of all "    \
    "range keys has exceeded the size limit of 1024 bytes"

//  xorshift64*, state held by the caller
static uint64_t
s_random (uint64_t *state)
{
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    return *state * 2685821657736338717ULL;
}

//  Bytewise unsigned order, a prefix first: DynamoDB's order of S and B
static int
s_bytes_compare (const void *a, size_t a_size, const void *b, size_t b_size)
{
    size_t common = a_size < b_size ? a_size : b_size;
    int rc = memcmp (a, b, common);
    if (rc)
        return rc < 0 ? -1 : 1;
    return (a_size > b_size) - (a_size < b_size);
}

//  DynamoDB's order of two key values of one type
static int
s_value_order (const zyn_value_t *a, const zyn_value_t *b)
{
    if (zyn_value_type (a) == ZYN_TYPE_N) {
        zyn_decimal_t number_a, number_b;
        if (zyn_decimal_parse (&number_a, zyn_value_data (a),
                               zyn_value_size (a), NULL)
            || zyn_decimal_parse (&number_b, zyn_value_data (b),
                                  zyn_value_size (b), NULL))
            ck_abort_msg ("a number value does not parse");
        int rc = zyn_decimal_compare (&number_a, &number_b);
        return (rc > 0) - (rc < 0);
    }
    return s_bytes_compare (zyn_value_data (a), zyn_value_size (a),
                            zyn_value_data (b), zyn_value_size (b));
}

//  A random key value of type: short byte strings over a small alphabet
//  (so that prefixes, 0x00 and 0xFF are common), or numbers
static zyn_value_t *
s_random_value (zyn_type_t type, uint64_t *state)
{
    if (type == ZYN_TYPE_N) {
        char text [64];
        int digits = 1 + (int) (s_random (state) % 5);
        int pos = 0;
        if (s_random (state) % 2)
            text [pos++] = '-';
        for (int i = 0; i < digits; i++)
            text [pos++] = (char) ('0' + s_random (state) % 10);
        snprintf (text + pos, sizeof (text) - (size_t) pos, "e%d",
                  (int) (s_random (state) % 9) - 4);
        return zyn_value_new_n (text, NULL);
    }
    static const uint8_t alphabet [] = { 0x00, 0x01, 'a', 'b', 0x7F, 0x80,
                                         0xFE, 0xFF };
    uint8_t bytes [8];
    size_t size = 1 + s_random (state) % sizeof (bytes);
    for (size_t i = 0; i < size; i++)
        bytes [i] = alphabet [s_random (state) % sizeof (alphabet)];
    return type == ZYN_TYPE_S ? zyn_value_new_sn ((const char *) bytes, size)
                              : zyn_value_new_b (bytes, size);
}

typedef struct {
    zyn_value_t *pk;
    zyn_value_t *sk;
    uint8_t key [64];
    size_t key_size;
} s_keyed_t;

static int
s_by_value (const void *a, const void *b)
{
    const s_keyed_t *x = (const s_keyed_t *) a;
    const s_keyed_t *y = (const s_keyed_t *) b;
    int rc = s_value_order (x->pk, y->pk);
    if (rc == 0 && x->sk)
        rc = s_value_order (x->sk, y->sk);
    return rc;
}

//  Encode count random keys (with sort keys if sk_type), sort them by
//  DynamoDB's order and check the encodings sort the same way, decode
//  back and delimit themselves
static void
s_check_order (zyn_type_t pk_type, zyn_type_t sk_type, uint64_t seed)
{
    const size_t count = 3000;
    s_keyed_t *keyed = (s_keyed_t *) calloc (count, sizeof (s_keyed_t));
    uint64_t state = seed;
    for (size_t i = 0; i < count; i++) {
        keyed [i].pk = s_random_value (pk_type, &state);
        ck_assert_ptr_nonnull (keyed [i].pk);
        zyn_error_t err = { 0 };
        ck_assert_int_eq (zyn_keycode_append (keyed [i].key,
                                              &keyed [i].key_size,
                                              keyed [i].pk, &err),
                          0);
        if (sk_type) {
            keyed [i].sk = s_random_value (sk_type, &state);
            ck_assert_int_eq (zyn_keycode_append (keyed [i].key,
                                                  &keyed [i].key_size,
                                                  keyed [i].sk, &err),
                              0);
        }
        //  Decode back, the first value then the second
        size_t used = 0;
        zyn_value_t *pk = zyn_keycode_decode (pk_type, keyed [i].key,
                                              keyed [i].key_size, &used);
        ck_assert_ptr_nonnull (pk);
        ck_assert_int_eq (s_value_order (pk, keyed [i].pk), 0);
        ck_assert_str_eq (zyn_type_name (zyn_value_type (pk)),
                          zyn_type_name (pk_type));
        zyn_value_destroy (&pk);
        size_t rest = 0;
        if (sk_type) {
            zyn_value_t *sk = zyn_keycode_decode (
                sk_type, keyed [i].key + used, keyed [i].key_size - used,
                &rest);
            ck_assert_ptr_nonnull (sk);
            ck_assert_int_eq (s_value_order (sk, keyed [i].sk), 0);
            zyn_value_destroy (&sk);
        }
        ck_assert_uint_eq (used + rest, keyed [i].key_size);
    }
    qsort (keyed, count, sizeof (s_keyed_t), s_by_value);
    for (size_t i = 1; i < count; i++) {
        int by_value = s_by_value (&keyed [i - 1], &keyed [i]);
        int by_key = s_bytes_compare (keyed [i - 1].key, keyed [i - 1].key_size,
                                      keyed [i].key, keyed [i].key_size);
        if (by_value != by_key)
            ck_abort_msg ("order differs at %zu: value %d, encoding %d", i,
                          by_value, by_key);
        //  In sorted order every key that starts with a key follows it
        //  directly, so neighbours cover the self-delimiting property
        if (!sk_type && keyed [i - 1].key_size < keyed [i].key_size
            && memcmp (keyed [i - 1].key, keyed [i].key,
                       keyed [i - 1].key_size) == 0)
            ck_abort_msg ("encoding %zu is a prefix of %zu", i - 1, i);
    }
    for (size_t i = 0; i < count; i++) {
        zyn_value_destroy (&keyed [i].pk);
        zyn_value_destroy (&keyed [i].sk);
    }
    free (keyed);
}


START_TEST (test_order_s)
{
    s_check_order (ZYN_TYPE_S, 0, 0x5151515151515151ULL);
}
END_TEST

START_TEST (test_order_b)
{
    s_check_order (ZYN_TYPE_B, 0, 0xb0b0b0b0b0b0b0b0ULL);
}
END_TEST

START_TEST (test_order_n)
{
    s_check_order (ZYN_TYPE_N, 0, 0x4e4e4e4e4e4e4e4eULL);
}
END_TEST

START_TEST (test_order_composite)
{
    s_check_order (ZYN_TYPE_S, ZYN_TYPE_S, 0x1111222233334444ULL);
    s_check_order (ZYN_TYPE_S, ZYN_TYPE_N, 0x5555666677778888ULL);
    s_check_order (ZYN_TYPE_N, ZYN_TYPE_B, 0x99990000aaaabbbbULL);
    s_check_order (ZYN_TYPE_B, ZYN_TYPE_S, 0xccccddddeeeeffffULL);
}
END_TEST

START_TEST (test_encoding_bytes)
{
    //  The exact bytes, which live on disk
    uint8_t buf [ZYN_KEYCODE_MAX];
    size_t size = 0;
    zyn_value_t *value = zyn_value_new_s ("ab");
    ck_assert_int_eq (zyn_keycode_append (buf, &size, value, NULL), 0);
    zyn_value_destroy (&value);
    ck_assert_uint_eq (size, 4);
    ck_assert_mem_eq (buf, "ab\x00\x00", 4);

    value = zyn_value_new_b ("\x00\xff\x00", 3);
    ck_assert_int_eq (zyn_keycode_append (buf, &size, value, NULL), 0);
    zyn_value_destroy (&value);
    ck_assert_uint_eq (size, 4 + 7);
    ck_assert_mem_eq (buf + 4, "\x00\xff\xff\x00\xff\x00\x00", 7);

    value = zyn_value_new_n ("-12.3", NULL);
    ck_assert_int_eq (zyn_keycode_append (buf, &size, value, NULL), 0);
    zyn_value_destroy (&value);
    ck_assert_uint_eq (size, 4 + 7 + 5);
    ck_assert_mem_eq (buf + 11, "\x10\x7C\xF2\xE0\xFF", 5);

    //  A prefix of S or B: no terminator
    size = 0;
    value = zyn_value_new_s ("a\0b");
    ck_assert_int_eq (zyn_keycode_append_prefix (buf, &size, value, NULL), 0);
    zyn_value_destroy (&value);
    ck_assert_uint_eq (size, 1);
    value = zyn_value_new_sn ("a\0b", 3);
    size = 0;
    ck_assert_int_eq (zyn_keycode_append_prefix (buf, &size, value, NULL), 0);
    zyn_value_destroy (&value);
    ck_assert_uint_eq (size, 4);
    ck_assert_mem_eq (buf, "a\x00\xff" "b", 4);
}
END_TEST

START_TEST (test_prefix)
{
    //  Every key beginning with the prefix has an encoding starting with
    //  the prefix's bytes, and no other key does
    uint64_t state = 0x0123456789abcdefULL;
    zyn_value_t *prefix = zyn_value_new_sn ("a\0", 2);
    uint8_t prefix_bytes [16];
    size_t prefix_size = 0;
    ck_assert_int_eq (zyn_keycode_append_prefix (prefix_bytes, &prefix_size,
                                                 prefix, NULL),
                      0);
    for (int i = 0; i < 5000; i++) {
        zyn_value_t *value = s_random_value (ZYN_TYPE_S, &state);
        uint8_t key [64];
        size_t key_size = 0;
        ck_assert_int_eq (zyn_keycode_append (key, &key_size, value, NULL), 0);
        bool begins = zyn_value_size (value) >= 2
                   && memcmp (zyn_value_data (value), "a\0", 2) == 0;
        bool encoded_begins = key_size >= prefix_size
                           && memcmp (key, prefix_bytes, prefix_size) == 0;
        if (begins != encoded_begins)
            ck_abort_msg ("begins_with disagrees for value %d", i);
        zyn_value_destroy (&value);
    }
    zyn_value_destroy (&prefix);
    //  Only S and B have prefixes
    zyn_value_t *number = zyn_value_new_n_int (5);
    size_t size = 0;
    zyn_error_t err = { 0 };
    ck_assert_int_eq (zyn_keycode_append_prefix (prefix_bytes, &size, number,
                                                 &err),
                      -1);
    ck_assert_str_eq (err.message, MSG_SCHEMA);
    zyn_value_destroy (&number);
}
END_TEST

START_TEST (test_errors)
{
    uint8_t buf [ZYN_KEYCODE_MAX];
    size_t size = 0;
    zyn_error_t err = { 0 };
    //  Types that cannot be keys
    zyn_value_t *wrong [] = {
        zyn_value_new_bool (true), zyn_value_new_null (),
        zyn_value_new_m (), zyn_value_new_l (),
        zyn_value_new_set (ZYN_TYPE_SS),
    };
    for (size_t i = 0; i < sizeof (wrong) / sizeof (wrong [0]); i++) {
        zyn_error_clear (&err);
        ck_assert_int_eq (zyn_keycode_append (buf, &size, wrong [i], &err),
                          -1);
        ck_assert_int_eq (err.type, ZYN_ERR_VALIDATION);
        ck_assert_str_eq (err.message, MSG_SCHEMA);
        ck_assert_uint_eq (size, 0);
        zyn_value_destroy (&wrong [i]);
    }
    ck_assert_int_eq (zyn_keycode_append (buf, &size, NULL, &err), -1);
    ck_assert_str_eq (err.message, MSG_SCHEMA);

    //  Empty values, with and without the attribute's name
    zyn_value_t *empty_s = zyn_value_new_s ("");
    zyn_value_t *empty_b = zyn_value_new_b ("", 0);
    ck_assert_int_eq (zyn_keycode_append (buf, &size, empty_s, &err), -1);
    ck_assert_str_eq (err.message, MSG_EMPTY_S);
    ck_assert_int_eq (zyn_keycode_append_named (buf, &size, "pk", empty_s,
                                                &err),
                      -1);
    ck_assert_str_eq (err.message, MSG_EMPTY_S ". Key: pk");
    ck_assert_int_eq (zyn_keycode_append_named (buf, &size, "data", empty_b,
                                                &err),
                      -1);
    ck_assert_str_eq (err.message, MSG_EMPTY_B ". Key: data");
    ck_assert_uint_eq (size, 0);
    uint64_t hash = 0;
    zyn_value_t *pk = zyn_value_new_s ("p");
    ck_assert_uint_eq (zyn_keycode_item_row_named (buf, "pk", pk, "sk",
                                                   empty_b, &hash, &err),
                       0);
    ck_assert_str_eq (err.message, MSG_EMPTY_B ". Key: sk");
    ck_assert_uint_eq (zyn_keycode_item_row_named (buf, "id", empty_s, "sk",
                                                   pk, &hash, &err),
                       0);
    ck_assert_str_eq (err.message, MSG_EMPTY_S ". Key: id");
    ck_assert_uint_eq (zyn_keycode_item_row (buf, empty_s, NULL, &hash, &err),
                       0);
    ck_assert_str_eq (err.message, MSG_EMPTY_S);
    ck_assert (hash == 0);
    zyn_value_destroy (&empty_s);
    zyn_value_destroy (&empty_b);

    //  Key sizes: 2048 bytes of partition key and 1024 of sort key fit
    char *long_text = (char *) malloc (3001);
    memset (long_text, 'k', 3000);
    long_text [3000] = 0;
    zyn_value_t *pk_max = zyn_value_new_sn (long_text, 2048);
    zyn_value_t *pk_over = zyn_value_new_sn (long_text, 2049);
    zyn_value_t *sk_max = zyn_value_new_b (long_text, 1024);
    zyn_value_t *sk_over = zyn_value_new_b (long_text, 1025);
    zyn_value_t *sk_far_over = zyn_value_new_sn (long_text, 3000);
    size_t row_size = zyn_keycode_item_row (buf, pk_max, sk_max, &hash, &err);
    ck_assert_uint_eq (row_size, 9 + 2050 + 1026);
    ck_assert_uint_eq (zyn_keycode_item_row (buf, pk_over, NULL, &hash, &err),
                       0);
    ck_assert_str_eq (err.message, MSG_HASHKEY);
    ck_assert_uint_eq (zyn_keycode_item_row (buf, pk_max, sk_over, &hash,
                                             &err),
                       0);
    ck_assert_str_eq (err.message, MSG_RANGEKEY);
    ck_assert_uint_eq (zyn_keycode_item_row (buf, pk, sk_far_over, &hash,
                                             &err),
                       0);
    ck_assert_str_eq (err.message, MSG_RANGEKEY);
    //  Without a role, the larger limit holds
    size = 0;
    ck_assert_int_eq (zyn_keycode_append (buf, &size, pk_max, &err), 0);
    ck_assert_uint_eq (size, 2050);
    ck_assert_int_eq (zyn_keycode_append (buf, &size, sk_far_over, &err), -1);
    ck_assert_str_eq (err.message, MSG_HASHKEY);
    ck_assert_uint_eq (size, 2050);
    //  The worst case: every byte escaped
    memset (long_text, 0, 3000);
    zyn_value_t *pk_zeros = zyn_value_new_b (long_text, 2048);
    zyn_value_t *sk_zeros = zyn_value_new_b (long_text, 1024);
    row_size = zyn_keycode_item_row (buf, pk_zeros, sk_zeros, &hash, &err);
    ck_assert_uint_eq (row_size, 9 + 4098 + 2050);
    ck_assert_uint_le (row_size, ZYN_KEYCODE_MAX);
    zyn_value_t *pk_back = NULL;
    zyn_value_t *sk_back = NULL;
    ck_assert_int_eq (zyn_keycode_parse_item_row (buf, row_size, ZYN_TYPE_B,
                                                  ZYN_TYPE_B, &pk_back,
                                                  &sk_back),
                      0);
    ck_assert (zyn_value_equal (pk_back, pk_zeros));
    ck_assert (zyn_value_equal (sk_back, sk_zeros));
    zyn_value_destroy (&pk_back);
    zyn_value_destroy (&sk_back);
    zyn_value_destroy (&pk_zeros);
    zyn_value_destroy (&sk_zeros);
    zyn_value_destroy (&pk_max);
    zyn_value_destroy (&pk_over);
    zyn_value_destroy (&sk_max);
    zyn_value_destroy (&sk_over);
    zyn_value_destroy (&sk_far_over);
    zyn_value_destroy (&pk);
    free (long_text);
}
END_TEST

START_TEST (test_decode_invalid)
{
    size_t used = 99;
    const struct {
        zyn_type_t type;
        const char *data;
        size_t size;
    } invalid [] = {
        { ZYN_TYPE_S, "", 0 },
        { ZYN_TYPE_S, "abc", 3 },               //  No terminator
        { ZYN_TYPE_S, "abc\x00", 4 },           //  Half a terminator
        { ZYN_TYPE_S, "\x00\x00", 2 },          //  Empty value
        { ZYN_TYPE_B, "a\x00\x01", 3 },         //  Unknown escape
        { ZYN_TYPE_B, "a\x00\xff", 3 },         //  Escape, no terminator
        { ZYN_TYPE_N, "", 0 },
        { ZYN_TYPE_N, "\x30\x82\x0B", 3 },      //  No terminator
        { ZYN_TYPE_N, "\x40", 1 },              //  Unknown class
        { ZYN_TYPE_BOOL, "\x00\x00", 2 },       //  Not a key type
    };
    for (size_t i = 0; i < sizeof (invalid) / sizeof (invalid [0]); i++) {
        zyn_value_t *value = zyn_keycode_decode (
            invalid [i].type, (const uint8_t *) invalid [i].data,
            invalid [i].size, &used);
        ck_assert_msg (value == NULL, "case %zu decoded", i);
    }
    ck_assert_uint_eq (used, 99);
    ck_assert_ptr_null (zyn_keycode_decode (ZYN_TYPE_S, NULL, 0, &used));
    //  Trailing bytes are left for the next value
    zyn_value_t *value = zyn_keycode_decode (
        ZYN_TYPE_S, (const uint8_t *) "x\x00\xffy\x00\x00zz", 8, &used);
    ck_assert_ptr_nonnull (value);
    ck_assert_uint_eq (used, 6);
    ck_assert_uint_eq (zyn_value_size (value), 3);
    ck_assert_mem_eq (zyn_value_data (value), "x\0y", 3);
    zyn_value_destroy (&value);
}
END_TEST

START_TEST (test_item_rows)
{
    uint8_t row [ZYN_KEYCODE_MAX];
    uint64_t hash = 0;
    zyn_error_t err = { 0 };
    zyn_value_t *pk = zyn_value_new_s ("user#0001");
    zyn_value_t *sk = zyn_value_new_n ("42.50", NULL);
    size_t size = zyn_keycode_item_row (row, pk, sk, &hash, &err);
    //  'i' | hash | "user#0001" 00 00 | number
    ck_assert_uint_eq (size, 1 + 8 + 11 + 5);
    ck_assert_int_eq (row [0], 'i');
    ck_assert (hash == 0xd01a0db75a47afd6ULL);
    ck_assert_mem_eq (row + 1, "\xd0\x1a\x0d\xb7\x5a\x47\xaf\xd6", 8);
    ck_assert_mem_eq (row + 9, "user#0001\x00\x00", 11);
    ck_assert_mem_eq (row + 20, "\x30\x83\x2B\x33\x00", 5);

    zyn_value_t *pk_back = NULL;
    zyn_value_t *sk_back = NULL;
    ck_assert_int_eq (zyn_keycode_parse_item_row (row, size, ZYN_TYPE_S,
                                                  ZYN_TYPE_N, &pk_back,
                                                  &sk_back),
                      0);
    ck_assert_str_eq (zyn_value_data (pk_back), "user#0001");
    ck_assert_str_eq (zyn_value_data (sk_back), "42.5");
    zyn_value_destroy (&pk_back);
    zyn_value_destroy (&sk_back);

    //  Without a sort key the row is the collection's prefix
    uint8_t prefix [ZYN_KEYCODE_MAX];
    uint64_t prefix_hash = 0;
    size_t prefix_size = zyn_keycode_item_row (prefix, pk, NULL, &prefix_hash,
                                               &err);
    ck_assert_uint_eq (prefix_size, 20);
    ck_assert (prefix_hash == hash);
    ck_assert_mem_eq (prefix, row, prefix_size);
    ck_assert_int_eq (zyn_keycode_parse_item_row (prefix, prefix_size,
                                                  ZYN_TYPE_S, 0, &pk_back,
                                                  &sk_back),
                      0);
    ck_assert_str_eq (zyn_value_data (pk_back), "user#0001");
    ck_assert_ptr_null (sk_back);
    zyn_value_destroy (&pk_back);
    //  hash may be NULL
    ck_assert_uint_eq (zyn_keycode_item_row (prefix, pk, NULL, NULL, NULL),
                       20);

    //  Malformed rows
    uint8_t bad [ZYN_KEYCODE_MAX];
    memcpy (bad, row, size);
    bad [0] = 's';
    ck_assert_int_eq (zyn_keycode_parse_item_row (bad, size, ZYN_TYPE_S,
                                                  ZYN_TYPE_N, &pk_back,
                                                  &sk_back),
                      -1);
    memcpy (bad, row, size);
    bad [3] ^= 1;               //  Hash does not match the key
    ck_assert_int_eq (zyn_keycode_parse_item_row (bad, size, ZYN_TYPE_S,
                                                  ZYN_TYPE_N, &pk_back,
                                                  &sk_back),
                      -1);
    for (size_t cut = 0; cut < size; cut++)
        ck_assert_int_eq (zyn_keycode_parse_item_row (row, cut, ZYN_TYPE_S,
                                                      ZYN_TYPE_N, &pk_back,
                                                      &sk_back),
                          -1);
    memcpy (bad, row, size);
    bad [size] = 0x00;          //  Trailing byte
    ck_assert_int_eq (zyn_keycode_parse_item_row (bad, size + 1, ZYN_TYPE_S,
                                                  ZYN_TYPE_N, &pk_back,
                                                  &sk_back),
                      -1);
    //  Wrong schema: no sort key expected, or the wrong type
    ck_assert_int_eq (zyn_keycode_parse_item_row (row, size, ZYN_TYPE_S, 0,
                                                  &pk_back, &sk_back),
                      -1);
    ck_assert_int_eq (zyn_keycode_parse_item_row (row, size, ZYN_TYPE_S,
                                                  ZYN_TYPE_S, &pk_back,
                                                  &sk_back),
                      -1);
    ck_assert_int_eq (zyn_keycode_parse_item_row (NULL, 0, ZYN_TYPE_S, 0,
                                                  &pk_back, NULL),
                      -1);
    ck_assert_ptr_null (pk_back);
    ck_assert_ptr_null (sk_back);
    zyn_value_destroy (&pk);
    zyn_value_destroy (&sk);
}
END_TEST

START_TEST (test_item_row_order)
{
    //  Within one partition key, rows order by sort key; every row of the
    //  collection starts with the collection's prefix
    uint64_t state = 0xfeedfacecafebeefULL;
    zyn_value_t *pk = zyn_value_new_s ("tenant");
    uint8_t prefix [ZYN_KEYCODE_MAX];
    size_t prefix_size = zyn_keycode_item_row (prefix, pk, NULL, NULL, NULL);
    zyn_value_t *previous_sk = NULL;
    uint8_t previous [ZYN_KEYCODE_MAX];
    size_t previous_size = 0;
    for (int i = 0; i < 2000; i++) {
        zyn_value_t *sk = s_random_value (ZYN_TYPE_N, &state);
        uint8_t row [ZYN_KEYCODE_MAX];
        size_t size = zyn_keycode_item_row (row, pk, sk, NULL, NULL);
        if (size <= prefix_size || memcmp (row, prefix, prefix_size) != 0)
            ck_abort_msg ("row %d is outside its collection", i);
        if (previous_sk) {
            int by_value = s_value_order (previous_sk, sk);
            int by_row = s_bytes_compare (previous, previous_size, row, size);
            if (by_value != by_row)
                ck_abort_msg ("row order differs at %d", i);
        }
        zyn_value_destroy (&previous_sk);
        previous_sk = sk;
        memcpy (previous, row, size);
        previous_size = size;
    }
    zyn_value_destroy (&previous_sk);
    zyn_value_destroy (&pk);
}
END_TEST

START_TEST (test_hash)
{
    //  libsodium's crypto_shorthash is SipHash-2-4: the reference vector
    //  from the SipHash paper (key 00..0f, message 00..0e)
    unsigned char key [crypto_shorthash_KEYBYTES];
    unsigned char message [15];
    for (int i = 0; i < 16; i++)
        key [i] = (unsigned char) i;
    for (int i = 0; i < 15; i++)
        message [i] = (unsigned char) i;
    unsigned char out [crypto_shorthash_BYTES];
    crypto_shorthash (out, message, sizeof (message), key);
    ck_assert_mem_eq (out, "\xe5\x45\xbe\x49\x61\xca\x29\xa1", 8);

    //  Fixed values of the routing hash, computed independently. These
    //  place every item on disk: they must never change.
    const struct {
        const char *data;
        size_t size;
        uint64_t hash;
    } fixed [] = {
        { "", 0, 0xd70077739d4b921eULL },
        { "a\x00\x00", 3, 0x48e9763118069f33ULL },
        { "hello\x00\x00", 7, 0x50112bf8b6a4663eULL },
        { "\x00\xff\x00\x00", 4, 0xe5e11800c636caeeULL },
        { "\x30\x82\x0b\x00", 4, 0x8961cedb40321554ULL },
        { "\x20", 1, 0x575b0d589a4392bbULL },
        { "user#0001\x00\x00", 11, 0xd01a0db75a47afd6ULL },
    };
    for (size_t i = 0; i < sizeof (fixed) / sizeof (fixed [0]); i++)
        ck_assert_msg (zyn_keycode_hash ((const uint8_t *) fixed [i].data,
                                         fixed [i].size)
                           == fixed [i].hash,
                       "hash %zu changed", i);
    //  Through the encoders: S "a", N 1, N 0
    struct {
        zyn_value_t *value;
        uint64_t hash;
    } encoded [] = {
        { zyn_value_new_s ("a"), 0x48e9763118069f33ULL },
        { zyn_value_new_n ("1.000", NULL), 0x8961cedb40321554ULL },
        { zyn_value_new_n ("-0", NULL), 0x575b0d589a4392bbULL },
    };
    for (size_t i = 0; i < sizeof (encoded) / sizeof (encoded [0]); i++) {
        uint8_t buf [ZYN_KEYCODE_MAX];
        uint64_t hash = 0;
        size_t size = zyn_keycode_item_row (buf, encoded [i].value, NULL,
                                            &hash, NULL);
        ck_assert_uint_gt (size, 9);
        ck_assert (hash == encoded [i].hash);
        ck_assert (zyn_get_u64 (buf + 1) == encoded [i].hash);
        zyn_value_destroy (&encoded [i].value);
    }
}
END_TEST

START_TEST (test_decode_random)
{
    //  Random bytes never crash a decoder; whatever one accepts encodes
    //  back to exactly the bytes it used. Row keys with one byte changed
    //  either fail to parse or parse to keys that build the same row.
    uint64_t state = 0xbadc0ffee0ddf00dULL;
    const zyn_type_t types [] = { ZYN_TYPE_S, ZYN_TYPE_B, ZYN_TYPE_N };
    int decoded_count = 0;
    for (int i = 0; i < 60000; i++) {
        uint8_t data [16];
        size_t size = s_random (&state) % sizeof (data);
        for (size_t j = 0; j < size; j++) {
            uint64_t r = s_random (&state);
            data [j] = (uint8_t) (r % 3 == 0 ? 0x00 : r % 3 == 1 ? 0xFF
                                                                : r % 64);
        }
        if (size && s_random (&state) % 3 == 0)
            data [0] = 0x30;
        zyn_type_t type = types [i % 3];
        size_t used = 0;
        zyn_value_t *value = zyn_keycode_decode (type, data, size, &used);
        if (!value)
            continue;
        decoded_count++;
        uint8_t again [64];
        size_t again_size = 0;
        if (zyn_keycode_append (again, &again_size, value, NULL)
            || again_size != used || memcmp (again, data, used))
            ck_abort_msg ("decoded value %d does not encode back", i);
        zyn_value_destroy (&value);
    }
    ck_assert_int_gt (decoded_count, 1000);

    zyn_value_t *pk = zyn_value_new_b ("\x00k\xff", 3);
    zyn_value_t *sk = zyn_value_new_n ("-1.25e-3", NULL);
    uint8_t row [ZYN_KEYCODE_MAX];
    size_t row_size = zyn_keycode_item_row (row, pk, sk, NULL, NULL);
    for (size_t at = 0; at < row_size; at++)
        for (int bit = 0; bit < 8; bit++) {
            uint8_t changed [ZYN_KEYCODE_MAX];
            memcpy (changed, row, row_size);
            changed [at] ^= (uint8_t) (1 << bit);
            zyn_value_t *pk_back = NULL;
            zyn_value_t *sk_back = NULL;
            if (zyn_keycode_parse_item_row (changed, row_size, ZYN_TYPE_B,
                                            ZYN_TYPE_N, &pk_back, &sk_back))
                continue;
            uint8_t rebuilt [ZYN_KEYCODE_MAX];
            size_t rebuilt_size = zyn_keycode_item_row (rebuilt, pk_back,
                                                        sk_back, NULL, NULL);
            if (rebuilt_size != row_size
                || memcmp (rebuilt, changed, row_size))
                ck_abort_msg ("changed row at %zu/%d parsed wrongly", at,
                              bit);
            zyn_value_destroy (&pk_back);
            zyn_value_destroy (&sk_back);
        }
    zyn_value_destroy (&pk);
    zyn_value_destroy (&sk);
}
END_TEST


Suite *
zyn_keycode_suite (void)
{
    Suite *suite = suite_create ("zyn_keycode");
    TCase *tc = tcase_create ("order");
    tcase_set_timeout (tc, 60);
    tcase_add_test (tc, test_order_s);
    tcase_add_test (tc, test_order_b);
    tcase_add_test (tc, test_order_n);
    tcase_add_test (tc, test_order_composite);
    tcase_add_test (tc, test_prefix);
    suite_add_tcase (suite, tc);
    tc = tcase_create ("encoding");
    tcase_add_test (tc, test_encoding_bytes);
    tcase_add_test (tc, test_decode_invalid);
    tcase_add_test (tc, test_decode_random);
    suite_add_tcase (suite, tc);
    tc = tcase_create ("errors");
    tcase_add_test (tc, test_errors);
    suite_add_tcase (suite, tc);
    tc = tcase_create ("item_rows");
    tcase_add_test (tc, test_item_rows);
    tcase_add_test (tc, test_item_row_order);
    suite_add_tcase (suite, tc);
    tc = tcase_create ("hash");
    tcase_add_test (tc, test_hash);
    suite_add_tcase (suite, tc);
    return suite;
}

ZYN_TEST_MAIN (zyn_keycode_suite)

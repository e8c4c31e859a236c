/*  =========================================================================
    check_zyn_value - Check suite for zyn_value: the value tree, equality
    and order, validation, item size, MessagePack and DynamoDB JSON
    =========================================================================
*/

#include "zyn_prelude.h"
#include <jansson.h>
#include "zyn_error.h"
#include "zyn_value.h"
#include "../tests/zyn_testutil.h"

//  Decode bytes that must fail with a SerializationException
static void
s_assert_decode_fails (const void *data, size_t size, const char *message)
{
    zyn_error_t err = { 0 };
    zyn_value_t *value = zyn_value_decode (data, size, &err);
    ck_assert_ptr_null (value);
    ck_assert_int_eq (err.type, ZYN_ERR_SERIALIZATION);
    if (message)
        ck_assert_str_eq (err.message, message);
}

//  Encode, decode, and check the copy equals the original and encodes
//  to the same bytes
static void
s_assert_round_trip (const zyn_value_t *value)
{
    size_t size;
    void *data = zyn_value_encode (value, &size);
    ck_assert_ptr_nonnull (data);
    zyn_error_t err = { 0 };
    zyn_value_t *copy = zyn_value_decode (data, size, &err);
    ck_assert_msg (copy, "decode failed: %s", err.message);
    ck_assert (zyn_value_equal (value, copy));
    size_t copy_size;
    void *copy_data = zyn_value_encode (copy, &copy_size);
    ck_assert_uint_eq (size, copy_size);
    ck_assert_int_eq (memcmp (data, copy_data, size), 0);
    free (data);
    free (copy_data);
    zyn_value_destroy (&copy);
}

static zyn_value_t *
s_json (const char *json)
{
    zyn_error_t err = { 0 };
    zyn_value_t *value = zyn_value_from_json (json, false, &err);
    ck_assert_msg (value, "%s: %s", json, err.message);
    return value;
}

static zyn_value_t *
s_number (const char *text)
{
    zyn_error_t err = { 0 };
    zyn_value_t *value = zyn_value_new_n (text, &err);
    ck_assert_msg (value, "%s: %s", text, err.message);
    return value;
}

static zyn_value_t *
s_set (zyn_type_t type, const char **elements)
{
    zyn_value_t *set = zyn_value_new_set (type);
    for (size_t i = 0; elements [i]; i++) {
        zyn_value_t *element
            = type == ZYN_TYPE_SS ? zyn_value_new_s (elements [i])
            : type == ZYN_TYPE_NS ? s_number (elements [i])
                                  : zyn_value_new_b (elements [i],
                                                     strlen (elements [i]));
        ck_assert_int_eq (zyn_value_list_append (set, &element), 0);
        ck_assert_ptr_null (element);
    }
    return set;
}


//  --------------------------------------------------------------------------
//  Constructors and accessors

START_TEST (test_scalars)
{
    zyn_value_t *s = zyn_value_new_s ("hello");
    ck_assert_int_eq (zyn_value_type (s), ZYN_TYPE_S);
    ck_assert_str_eq (zyn_value_data (s), "hello");
    ck_assert_uint_eq (zyn_value_size (s), 5);
    ck_assert (!zyn_value_bool (s));
    zyn_value_destroy (&s);
    ck_assert_ptr_null (s);
    zyn_value_destroy (&s);

    zyn_value_t *sn = zyn_value_new_sn ("a\0b", 3);
    ck_assert_uint_eq (zyn_value_size (sn), 3);
    ck_assert_int_eq (memcmp (zyn_value_data (sn), "a\0b", 4), 0);
    zyn_value_destroy (&sn);

    zyn_value_t *empty = zyn_value_new_s ("");
    ck_assert_uint_eq (zyn_value_size (empty), 0);
    ck_assert_str_eq (zyn_value_data (empty), "");
    zyn_value_destroy (&empty);

    uint8_t bytes [] = { 0, 0xff, 0x80 };
    zyn_value_t *b = zyn_value_new_b (bytes, 3);
    ck_assert_int_eq (zyn_value_type (b), ZYN_TYPE_B);
    ck_assert_uint_eq (zyn_value_size (b), 3);
    ck_assert_int_eq (memcmp (zyn_value_data (b), bytes, 3), 0);
    zyn_value_destroy (&b);

    zyn_value_t *t = zyn_value_new_bool (true);
    zyn_value_t *f = zyn_value_new_bool (false);
    ck_assert_int_eq (zyn_value_type (t), ZYN_TYPE_BOOL);
    ck_assert (zyn_value_bool (t));
    ck_assert (!zyn_value_bool (f));
    ck_assert_ptr_null (zyn_value_data (t));
    ck_assert_uint_eq (zyn_value_size (t), 0);
    zyn_value_destroy (&t);
    zyn_value_destroy (&f);

    zyn_value_t *null = zyn_value_new_null ();
    ck_assert_int_eq (zyn_value_type (null), ZYN_TYPE_NULL);
    ck_assert_uint_eq (zyn_value_size (null), 0);
    zyn_value_destroy (&null);
}
END_TEST

START_TEST (test_numbers)
{
    static const struct {
        const char *text;
        const char *canonical;
    } cases [] = {
        { "1", "1" },
        { "01.50", "1.5" },
        { "-12.50E3", "-12500" },
        { "0.0", "0" },
        { "-0", "0" },
        { "1e-3", "0.001" },
        { "+7", "7" },
        { "123456789012345678901234567890.12345678", "123456789012345678901234567890.12345678" },
    };
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases [0]); i++) {
        zyn_value_t *n = s_number (cases [i].text);
        ck_assert_int_eq (zyn_value_type (n), ZYN_TYPE_N);
        ck_assert_str_eq (zyn_value_data (n), cases [i].canonical);
        ck_assert_uint_eq (zyn_value_size (n), strlen (cases [i].canonical));
        zyn_value_destroy (&n);
    }
    static const char *bad [] = { "", "abc", "1.2.3", "--1", "1e", " 1", NULL };
    for (size_t i = 0; bad [i]; i++) {
        zyn_error_t err = { 0 };
        ck_assert_ptr_null (zyn_value_new_n (bad [i], &err));
        ck_assert_int_eq (err.type, ZYN_ERR_VALIDATION);
    }
    zyn_error_t err = { 0 };
    ck_assert_ptr_null (
        zyn_value_new_n ("123456789012345678901234567890123456789", &err));
    ck_assert_str_eq (err.message,
                      "Attempting to store more than 38 significant digits "
                      "in a Number");

    static const struct {
        const char *text;
        const char *message;
    } errors [] = {
        { "abc", "A value provided cannot be converted into a number" },
        { "1E+126", "Number overflow. Attempting to store a number with "
                    "magnitude larger than supported range" },
        { "1E-131", "Number underflow. Attempting to store a number with "
                    "magnitude smaller than supported range" },
    };
    for (size_t i = 0; i < sizeof (errors) / sizeof (errors [0]); i++) {
        zyn_error_t number_err = { 0 };
        ck_assert_ptr_null (zyn_value_new_n (errors [i].text, &number_err));
        ck_assert_int_eq (number_err.type, ZYN_ERR_VALIDATION);
        ck_assert_str_eq (number_err.message, errors [i].message);
    }
    //  The extremes of the range are numbers
    zyn_value_t *extreme = s_number ("9.9999999999999999999999999999999999999E+125");
    zyn_value_destroy (&extreme);
    extreme = s_number ("-1E-130");
    ck_assert_uint_eq (zyn_value_size (extreme), 133);
    zyn_value_destroy (&extreme);

    static const int64_t ints [] = { 0, 1, -1, 42, INT64_MAX, INT64_MIN };
    static const char *texts [] = { "0", "1", "-1", "42",
                                    "9223372036854775807",
                                    "-9223372036854775808" };
    for (size_t i = 0; i < 6; i++) {
        zyn_value_t *n = zyn_value_new_n_int (ints [i]);
        ck_assert_str_eq (zyn_value_data (n), texts [i]);
        zyn_value_destroy (&n);
    }
}
END_TEST

START_TEST (test_type_names)
{
    static const char *names [] = { "S", "N", "B", "BOOL", "NULL",
                                    "M", "L", "SS", "NS", "BS" };
    for (int type = ZYN_TYPE_S; type <= ZYN_TYPE_BS; type++) {
        ck_assert_str_eq (zyn_type_name ((zyn_type_t) type), names [type - 1]);
        ck_assert_int_eq (zyn_type_from_name (names [type - 1]), type);
    }
    ck_assert_int_eq (zyn_type_from_name ("X"), 0);
    ck_assert_int_eq (zyn_type_from_name ("s"), 0);
    ck_assert_int_eq (zyn_type_from_name (NULL), 0);
}
END_TEST


//  --------------------------------------------------------------------------
//  Maps

START_TEST (test_map_ops)
{
    zyn_value_t *map = zyn_value_new_m ();
    ck_assert_int_eq (zyn_value_type (map), ZYN_TYPE_M);
    ck_assert_uint_eq (zyn_value_size (map), 0);
    ck_assert_ptr_null (zyn_value_map_get (map, "a"));
    ck_assert_ptr_null (zyn_value_map_take (map, "a"));
    ck_assert_ptr_null (zyn_value_map_name (map, 0));
    ck_assert_ptr_null (zyn_value_map_value (map, 0));

    zyn_value_map_put_s (map, "name", "zyn");
    zyn_value_map_put_int (map, "count", 3);
    ck_assert_int_eq (zyn_value_map_put_n (map, "price", "01.50"), 0);
    ck_assert_int_eq (zyn_value_map_put_n (map, "bad", "x"), -1);
    zyn_value_map_put_bool (map, "ok", true);
    ck_assert_uint_eq (zyn_value_size (map), 4);
    ck_assert_str_eq (zyn_value_map_name (map, 0), "name");
    ck_assert_str_eq (zyn_value_map_name (map, 3), "ok");
    ck_assert_ptr_null (zyn_value_map_name (map, 4));
    ck_assert_str_eq (zyn_value_map_get_s (map, "name"), "zyn");
    ck_assert_ptr_null (zyn_value_map_get_s (map, "count"));
    ck_assert_ptr_null (zyn_value_map_get_s (map, "missing"));
    int64_t number = 0;
    ck_assert_int_eq (zyn_value_map_get_int (map, "count", &number), 0);
    ck_assert_int_eq (number, 3);
    ck_assert_int_eq (zyn_value_map_get_int (map, "price", &number), -1);
    ck_assert_int_eq (zyn_value_map_get_int (map, "name", &number), -1);
    ck_assert_int_eq (zyn_value_map_get_int (map, "missing", &number), -1);
    ck_assert_str_eq (zyn_value_data (zyn_value_map_get (map, "price")), "1.5");
    ck_assert (zyn_value_bool (zyn_value_map_get (map, "ok")));

    //  Replacing keeps the position
    zyn_value_map_put_s (map, "count", "three");
    ck_assert_uint_eq (zyn_value_size (map), 4);
    ck_assert_str_eq (zyn_value_map_name (map, 1), "count");
    ck_assert_str_eq (zyn_value_map_get_s (map, "count"), "three");

    zyn_value_t *taken = zyn_value_map_take (map, "name");
    ck_assert_str_eq (zyn_value_data (taken), "zyn");
    zyn_value_destroy (&taken);
    ck_assert_uint_eq (zyn_value_size (map), 3);
    ck_assert_str_eq (zyn_value_map_name (map, 0), "count");
    ck_assert_ptr_null (zyn_value_map_get (map, "name"));
    ck_assert_ptr_null (zyn_value_map_take (map, "name"));

    //  Names are compared by content, including the empty name
    zyn_value_map_put_s (map, "", "empty");
    ck_assert_str_eq (zyn_value_map_get_s (map, ""), "empty");

    //  A non-map answers nothing
    zyn_value_t *list = zyn_value_new_l ();
    ck_assert_ptr_null (zyn_value_map_get (list, "a"));
    ck_assert_ptr_null (zyn_value_map_take (list, "a"));
    zyn_value_destroy (&list);
    zyn_value_destroy (&map);
}
END_TEST

START_TEST (test_map_large)
{
    //  Past the hash index threshold: puts, gets, replaces and takes
    zyn_value_t *map = zyn_value_new_m ();
    char name [32];
    for (int i = 0; i < 5000; i++) {
        snprintf (name, sizeof (name), "attr%d", i);
        zyn_value_map_put_int (map, name, i);
    }
    ck_assert_uint_eq (zyn_value_size (map), 5000);
    for (int i = 0; i < 5000; i++) {
        snprintf (name, sizeof (name), "attr%d", i);
        int64_t number;
        ck_assert_int_eq (zyn_value_map_get_int (map, name, &number), 0);
        ck_assert_int_eq (number, i);
        ck_assert_str_eq (zyn_value_map_name (map, (size_t) i), name);
    }
    ck_assert_ptr_null (zyn_value_map_get (map, "attr5000"));
    zyn_value_map_put_s (map, "attr17", "replaced");
    ck_assert_uint_eq (zyn_value_size (map), 5000);
    ck_assert_str_eq (zyn_value_map_get_s (map, "attr17"), "replaced");
    for (int i = 0; i < 5000; i += 2) {
        snprintf (name, sizeof (name), "attr%d", i);
        zyn_value_t *taken = zyn_value_map_take (map, name);
        ck_assert_ptr_nonnull (taken);
        zyn_value_destroy (&taken);
    }
    ck_assert_uint_eq (zyn_value_size (map), 2500);
    ck_assert_ptr_null (zyn_value_map_get (map, "attr0"));
    ck_assert_str_eq (zyn_value_map_get_s (map, "attr17"), "replaced");
    ck_assert_str_eq (zyn_value_map_name (map, 0), "attr1");
    //  Puts and takes in a loop reuse the names' space
    for (int i = 0; i < 20000; i++) {
        snprintf (name, sizeof (name), "loop-name-%d", i);
        zyn_value_map_put_int (map, name, i);
        zyn_value_t *taken = zyn_value_map_take (map, name);
        ck_assert_ptr_nonnull (taken);
        zyn_value_destroy (&taken);
    }
    for (int i = 0; i < 1000; i++) {
        snprintf (name, sizeof (name), "later-%d", i);
        zyn_value_map_put_int (map, name, i);
    }
    ck_assert_uint_eq (zyn_value_size (map), 3500);
    ck_assert_str_eq (zyn_value_map_name (map, 2500), "later-0");
    ck_assert_str_eq (zyn_value_map_name (map, 0), "attr1");
    zyn_value_t *copy = zyn_value_dup (map);
    ck_assert (zyn_value_equal (map, copy));
    ck_assert_ptr_nonnull (zyn_value_map_get (copy, "attr4999"));
    ck_assert_ptr_nonnull (zyn_value_map_get (copy, "later-999"));
    zyn_value_map_put_s (copy, "after-dup", "x");
    ck_assert_str_eq (zyn_value_map_get_s (copy, "after-dup"), "x");
    ck_assert_ptr_null (zyn_value_map_get (map, "after-dup"));
    zyn_value_destroy (&copy);
    zyn_value_destroy (&map);
}
END_TEST


//  --------------------------------------------------------------------------
//  Lists and sets

START_TEST (test_list_ops)
{
    zyn_value_t *list = zyn_value_new_l ();
    ck_assert_int_eq (zyn_value_type (list), ZYN_TYPE_L);
    ck_assert_ptr_null (zyn_value_list_get (list, 0));
    ck_assert_ptr_null (zyn_value_list_take (list, 0));

    zyn_value_t *value = zyn_value_new_s ("b");
    ck_assert_int_eq (zyn_value_list_append (list, &value), 0);
    ck_assert_ptr_null (value);
    value = zyn_value_new_s ("d");
    ck_assert_int_eq (zyn_value_list_append (list, &value), 0);
    value = zyn_value_new_s ("a");
    ck_assert_int_eq (zyn_value_list_insert (list, 0, &value), 0);
    value = zyn_value_new_s ("c");
    ck_assert_int_eq (zyn_value_list_insert (list, 2, &value), 0);
    value = zyn_value_new_s ("e");
    ck_assert_int_eq (zyn_value_list_insert (list, 4, &value), 0);
    value = zyn_value_new_s ("x");
    ck_assert_int_eq (zyn_value_list_insert (list, 6, &value), -1);
    ck_assert_ptr_null (value);
    ck_assert_uint_eq (zyn_value_size (list), 5);
    const char *expected [] = { "a", "b", "c", "d", "e" };
    for (size_t i = 0; i < 5; i++)
        ck_assert_str_eq (zyn_value_data (zyn_value_list_get (list, i)),
                          expected [i]);
    ck_assert_ptr_null (zyn_value_list_get (list, 5));

    //  Lists take any type, including nested lists
    value = zyn_value_new_l ();
    ck_assert_int_eq (zyn_value_list_set (list, 1, &value), 0);
    ck_assert_ptr_null (value);
    ck_assert_int_eq (zyn_value_type (zyn_value_list_get (list, 1)),
                      ZYN_TYPE_L);
    value = zyn_value_new_null ();
    ck_assert_int_eq (zyn_value_list_set (list, 5, &value), -1);
    ck_assert_ptr_null (value);

    zyn_value_t *taken = zyn_value_list_take (list, 0);
    ck_assert_str_eq (zyn_value_data (taken), "a");
    zyn_value_destroy (&taken);
    taken = zyn_value_list_take (list, 3);
    ck_assert_str_eq (zyn_value_data (taken), "e");
    zyn_value_destroy (&taken);
    ck_assert_ptr_null (zyn_value_list_take (list, 3));
    ck_assert_uint_eq (zyn_value_size (list), 3);
    ck_assert_str_eq (zyn_value_data (zyn_value_list_get (list, 2)), "d");
    zyn_value_destroy (&list);
}
END_TEST

START_TEST (test_set_ops)
{
    zyn_value_t *ss = zyn_value_new_set (ZYN_TYPE_SS);
    zyn_value_t *ns = zyn_value_new_set (ZYN_TYPE_NS);
    zyn_value_t *bs = zyn_value_new_set (ZYN_TYPE_BS);
    ck_assert_int_eq (zyn_value_type (ss), ZYN_TYPE_SS);
    ck_assert_int_eq (zyn_value_type (ns), ZYN_TYPE_NS);
    ck_assert_int_eq (zyn_value_type (bs), ZYN_TYPE_BS);

    //  Elements must be of the set's element type
    zyn_value_t *value = zyn_value_new_n_int (1);
    ck_assert_int_eq (zyn_value_list_append (ss, &value), -1);
    ck_assert_ptr_null (value);
    value = zyn_value_new_s ("1");
    ck_assert_int_eq (zyn_value_list_append (ns, &value), -1);
    value = zyn_value_new_s ("1");
    ck_assert_int_eq (zyn_value_list_append (bs, &value), -1);
    value = zyn_value_new_null ();
    ck_assert_int_eq (zyn_value_list_insert (ss, 0, &value), -1);

    value = zyn_value_new_s ("x");
    ck_assert_int_eq (zyn_value_list_append (ss, &value), 0);
    value = zyn_value_new_n_int (2);
    ck_assert_int_eq (zyn_value_list_append (ns, &value), 0);
    value = zyn_value_new_b ("\x01", 1);
    ck_assert_int_eq (zyn_value_list_append (bs, &value), 0);
    ck_assert_uint_eq (zyn_value_size (ss), 1);

    value = zyn_value_new_b ("y", 1);
    ck_assert_int_eq (zyn_value_list_set (ss, 0, &value), -1);
    ck_assert_ptr_null (value);
    value = zyn_value_new_s ("y");
    ck_assert_int_eq (zyn_value_list_set (ss, 0, &value), 0);
    ck_assert_str_eq (zyn_value_data (zyn_value_list_get (ss, 0)), "y");

    zyn_value_t *taken = zyn_value_list_take (ns, 0);
    ck_assert_str_eq (zyn_value_data (taken), "2");
    zyn_value_destroy (&taken);
    ck_assert_uint_eq (zyn_value_size (ns), 0);

    zyn_value_destroy (&ss);
    zyn_value_destroy (&ns);
    zyn_value_destroy (&bs);
}
END_TEST


//  --------------------------------------------------------------------------
//  Dup, equal, compare

START_TEST (test_equal_compare)
{
    static const struct {
        const char *a;
        const char *b;
        bool equal;
    } cases [] = {
        { "{\"S\":\"x\"}", "{\"S\":\"x\"}", true },
        { "{\"S\":\"x\"}", "{\"S\":\"y\"}", false },
        { "{\"S\":\"x\"}", "{\"S\":\"xx\"}", false },
        { "{\"N\":\"1.0\"}", "{\"N\":\"1\"}", true },
        { "{\"N\":\"100\"}", "{\"N\":\"1E2\"}", true },
        { "{\"N\":\"1\"}", "{\"S\":\"1\"}", false },
        { "{\"B\":\"AAE=\"}", "{\"B\":\"AAE=\"}", true },
        { "{\"B\":\"AAE=\"}", "{\"B\":\"AAI=\"}", false },
        { "{\"BOOL\":true}", "{\"BOOL\":true}", true },
        { "{\"BOOL\":true}", "{\"BOOL\":false}", false },
        { "{\"NULL\":true}", "{\"NULL\":true}", true },
        { "{\"SS\":[\"a\",\"b\",\"c\"]}", "{\"SS\":[\"c\",\"a\",\"b\"]}", true },
        { "{\"SS\":[\"a\",\"b\"]}", "{\"SS\":[\"a\",\"c\"]}", false },
        { "{\"SS\":[\"a\",\"b\"]}", "{\"SS\":[\"a\"]}", false },
        { "{\"NS\":[\"1.0\",\"2\"]}", "{\"NS\":[\"2.00\",\"1\"]}", true },
        { "{\"BS\":[\"AQ==\",\"Ag==\"]}", "{\"BS\":[\"Ag==\",\"AQ==\"]}", true },
        { "{\"SS\":[\"a\"]}", "{\"NS\":[\"1\"]}", false },
        { "{\"L\":[{\"S\":\"a\"},{\"N\":\"1\"}]}",
          "{\"L\":[{\"S\":\"a\"},{\"N\":\"1.00\"}]}", true },
        { "{\"L\":[{\"S\":\"a\"},{\"N\":\"1\"}]}",
          "{\"L\":[{\"N\":\"1\"},{\"S\":\"a\"}]}", false },
        { "{\"L\":[]}", "{\"L\":[{\"NULL\":true}]}", false },
        { "{\"M\":{\"a\":{\"N\":\"1\"},\"b\":{\"S\":\"x\"}}}",
          "{\"M\":{\"b\":{\"S\":\"x\"},\"a\":{\"N\":\"1.0\"}}}", true },
        { "{\"M\":{\"a\":{\"N\":\"1\"}}}", "{\"M\":{\"b\":{\"N\":\"1\"}}}", false },
        { "{\"M\":{\"a\":{\"N\":\"1\"}}}", "{\"M\":{\"a\":{\"N\":\"2\"}}}", false },
        { "{\"M\":{}}", "{\"L\":[]}", false },
    };
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases [0]); i++) {
        zyn_value_t *a = s_json (cases [i].a);
        zyn_value_t *b = s_json (cases [i].b);
        ck_assert_msg (zyn_value_equal (a, b) == cases [i].equal,
                       "case %zu: %s vs %s", i, cases [i].a, cases [i].b);
        ck_assert (zyn_value_equal (b, a) == cases [i].equal);
        zyn_value_t *copy = zyn_value_dup (a);
        ck_assert (zyn_value_equal (a, copy));
        ck_assert_ptr_ne (copy, a);
        zyn_value_destroy (&copy);
        zyn_value_destroy (&a);
        zyn_value_destroy (&b);
    }
    ck_assert_ptr_null (zyn_value_dup (NULL));

    static const struct {
        const char *a;
        const char *b;
        int sign;
    } orders [] = {
        { "{\"S\":\"a\"}", "{\"S\":\"b\"}", -1 },
        { "{\"S\":\"ab\"}", "{\"S\":\"a\"}", 1 },
        { "{\"S\":\"a\"}", "{\"S\":\"a\"}", 0 },
        { "{\"S\":\"\"}", "{\"S\":\"a\"}", -1 },
        //  UTF-8 bytes compare unsigned: é (0xc3 0xa9) sorts after z
        { "{\"S\":\"\\u00e9\"}", "{\"S\":\"z\"}", 1 },
        { "{\"B\":\"/w==\"}", "{\"B\":\"AA==\"}", 1 },
        { "{\"B\":\"AA==\"}", "{\"B\":\"AAA=\"}", -1 },
        { "{\"N\":\"10\"}", "{\"N\":\"9\"}", 1 },
        { "{\"N\":\"-10\"}", "{\"N\":\"-9\"}", -1 },
        { "{\"N\":\"1.5\"}", "{\"N\":\"1.50\"}", 0 },
        { "{\"N\":\"-1\"}", "{\"N\":\"0\"}", -1 },
        { "{\"N\":\"0.001\"}", "{\"N\":\"0.01\"}", -1 },
        { "{\"N\":\"1E10\"}", "{\"N\":\"999999999\"}", 1 },
        { "{\"S\":\"1\"}", "{\"N\":\"1\"}", -1 },
        { "{\"N\":\"1\"}", "{\"S\":\"1\"}", 1 },
    };
    for (size_t i = 0; i < sizeof (orders) / sizeof (orders [0]); i++) {
        zyn_value_t *a = s_json (orders [i].a);
        zyn_value_t *b = s_json (orders [i].b);
        int rc = zyn_value_compare (a, b);
        int sign = rc < 0 ? -1 : rc > 0 ? 1 : 0;
        ck_assert_msg (sign == orders [i].sign, "order case %zu", i);
        rc = zyn_value_compare (b, a);
        ck_assert_int_eq (rc < 0 ? -1 : rc > 0 ? 1 : 0, -orders [i].sign);
        zyn_value_destroy (&a);
        zyn_value_destroy (&b);
    }
}
END_TEST

START_TEST (test_dup_deep)
{
    zyn_value_t *item = s_json (
        "{\"M\":{\"a\":{\"L\":[{\"S\":\"x\"},{\"M\":{\"b\":{\"NS\":[\"1\",\"2\"]}}},"
        "{\"BS\":[\"AQ==\"]},{\"NULL\":true},{\"BOOL\":false}]},"
        "\"c\":{\"B\":\"\"},\"d\":{\"SS\":[\"p\",\"q\"]}}}");
    zyn_value_t *copy = zyn_value_dup (item);
    ck_assert (zyn_value_equal (item, copy));
    //  The copy is independent
    zyn_value_t *inner = zyn_value_list_get (zyn_value_map_get (copy, "a"), 1);
    zyn_value_map_put_s (inner, "b", "changed");
    ck_assert (!zyn_value_equal (item, copy));
    zyn_value_destroy (&copy);
    zyn_value_destroy (&item);
}
END_TEST


//  --------------------------------------------------------------------------
//  Validation

START_TEST (test_validate)
{
    static const struct {
        const char *json;
        const char *message;            //  NULL: valid
    } cases [] = {
        { "{\"S\":\"\"}", NULL },
        { "{\"SS\":[\"\"]}", NULL },
        { "{\"SS\":[]}", "One or more parameter values were invalid: An string "
                         "set  may not be empty" },
        { "{\"NS\":[]}", "One or more parameter values were invalid: An number "
                         "set  may not be empty" },
        { "{\"BS\":[]}", "One or more parameter values were invalid: Binary "
                         "sets should not be empty" },
        { "{\"SS\":[\"a\",\"b\",\"a\"]}",
          "One or more parameter values were invalid: Input collection "
          "[a, b, a] contains duplicates." },
        { "{\"NS\":[\"1\",\"1.0\"]}", "Input collection contains duplicates" },
        { "{\"BS\":[\"QUE=\",\"QUE=\"]}",
          "One or more parameter values were invalid: Input collection "
          "[QUE=, QUE=]of type BS contains duplicates." },
        { "{\"M\":{\"a\":{\"SS\":[]}}}", "One or more parameter values were "
                                        "invalid: An string set  may not be "
                                        "empty" },
        { "{\"L\":[{\"NS\":[\"2\",\"2\"]}]}",
          "Input collection contains duplicates" },
        { "{\"M\":{}}", NULL },
        { "{\"L\":[]}", NULL },
    };
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases [0]); i++) {
        zyn_value_t *value = s_json (cases [i].json);
        zyn_error_t err = { 0 };
        int rc = zyn_value_validate (value, &err);
        if (cases [i].message) {
            ck_assert_msg (rc == -1, "case %zu should fail", i);
            ck_assert_int_eq (err.type, ZYN_ERR_VALIDATION);
            ck_assert_str_eq (err.message, cases [i].message);
        }
        else {
            ck_assert_msg (rc == 0, "case %zu: %s", i, err.message);
            ck_assert_int_eq (err.type, ZYN_ERR_NONE);
        }
        zyn_value_destroy (&value);
    }
    //  Through the API too
    const char *elements [] = { "AA", "B", "AA", NULL };
    zyn_value_t *bs = s_set (ZYN_TYPE_BS, elements);
    zyn_error_t bs_err = { 0 };
    ck_assert_int_eq (zyn_value_validate (bs, &bs_err), -1);
    ck_assert_str_eq (bs_err.message,
                      "One or more parameter values were invalid: Input "
                      "collection [QUE=, Qg==, QUE=]of type BS contains "
                      "duplicates.");
    zyn_value_destroy (&bs);
    const char *numbers [] = { "1", "10", "1e1", NULL };
    zyn_value_t *ns = s_set (ZYN_TYPE_NS, numbers);
    ck_assert_int_eq (zyn_value_validate (ns, NULL), -1);
    zyn_value_destroy (&ns);
    zyn_value_t *set = zyn_value_new_set (ZYN_TYPE_SS);
    zyn_error_t err = { 0 };
    ck_assert_int_eq (zyn_value_validate (set, NULL), -1);
    ck_assert_int_eq (zyn_value_validate (set, &err), -1);
    zyn_value_destroy (&set);
}
END_TEST

//  A value nested depth maps and lists deep, alternating
static zyn_value_t *
s_nested (int depth)
{
    zyn_value_t *value = zyn_value_new_s ("leaf");
    for (int level = 0; level < depth; level++) {
        zyn_value_t *outer = level % 2 ? zyn_value_new_m () : zyn_value_new_l ();
        if (level % 2)
            zyn_value_map_put (outer, "x", &value);
        else
            zyn_value_list_append (outer, &value);
        value = outer;
    }
    return value;
}

START_TEST (test_validate_depth)
{
    zyn_value_t *ok = s_nested (ZYN_VALUE_DEPTH_MAX);
    zyn_error_t err = { 0 };
    ck_assert_int_eq (zyn_value_validate (ok, &err), 0);
    zyn_value_t *item = zyn_value_new_m ();
    zyn_value_map_put (item, "deep", &ok);
    ck_assert_int_eq (zyn_item_validate (item, &err), 0);
    zyn_value_destroy (&item);

    zyn_value_t *deep = s_nested (ZYN_VALUE_DEPTH_MAX + 1);
    ck_assert_int_eq (zyn_value_validate (deep, &err), -1);
    ck_assert_int_eq (err.type, ZYN_ERR_VALIDATION);
    ck_assert_str_eq (err.message,
                      "Nesting Levels have exceeded supported limits: "
                      "Attributes in the item have nested levels beyond "
                      "supported limit");
    item = zyn_value_new_m ();
    zyn_value_map_put (item, "deep", &deep);
    zyn_error_clear (&err);
    ck_assert_int_eq (zyn_item_validate (item, &err), -1);
    ck_assert_int_eq (err.type, ZYN_ERR_VALIDATION);
    zyn_value_destroy (&item);
}
END_TEST


//  --------------------------------------------------------------------------
//  Item size

START_TEST (test_item_size)
{
    static const struct {
        const char *json;
        size_t size;
    } cases [] = {
        //  The developer guide's rules, one type at a time
        { "{\"a\":{\"S\":\"hello\"}}", 1 + 5 },
        { "{\"name\":{\"S\":\"\\u00e9t\\u00e9\"}}", 4 + 5 },
        { "{\"\\u00e9\":{\"S\":\"\"}}", 2 },
        { "{\"n\":{\"N\":\"12345\"}}", 1 + 4 },
        { "{\"n\":{\"N\":\"2099\"}}", 1 + 3 },
        { "{\"n\":{\"N\":\"1\"}}", 1 + 2 },
        { "{\"n\":{\"N\":\"0.000012\"}}", 1 + 2 },
        { "{\"n\":{\"N\":\"1000000\"}}", 1 + 2 },
        { "{\"n\":{\"N\":\"1.5\"}}", 1 + 3 },
        { "{\"n\":{\"N\":\"-42\"}}", 1 + 3 },
        { "{\"n\":{\"N\":\"0\"}}", 1 + 1 },
        { "{\"b\":{\"B\":\"AAECAw==\"}}", 1 + 4 },
        { "{\"t\":{\"BOOL\":true},\"nul\":{\"NULL\":true}}", 1 + 1 + 3 + 1 },
        { "{\"m\":{\"M\":{}}}", 1 + 3 },
        { "{\"l\":{\"L\":[]}}", 1 + 3 },
        //  List: 3 + (1 + 1) + (2 + 1)
        { "{\"l\":{\"L\":[{\"S\":\"x\"},{\"N\":\"12\"}]}}", 1 + 3 + 2 + 3 },
        //  Map: 3 + ("k" + "vv" + 1)
        { "{\"m\":{\"M\":{\"k\":{\"S\":\"vv\"}}}}", 1 + 3 + 4 },
        { "{\"ss\":{\"SS\":[\"ab\",\"c\"]}}", 2 + 3 },
        { "{\"ns\":{\"NS\":[\"1\",\"12345\"]}}", 2 + 2 + 4 },
        { "{\"bs\":{\"BS\":[\"AQ==\",\"AQI=\"]}}", 2 + 3 },
        //  An example item: "itemType"..."expiresAt" comes to 141 bytes
        { "{\"itemType\":{\"S\":\"SLOT\"},\"id\":{\"S\":\"abc1231\"},"
          "\"hostName\":{\"S\":\"Harry Mason\"},"
          "\"timeSlot\":{\"S\":\"February 23, 1999\"},"
          "\"slotStatus\":{\"S\":\"OPEN\"},"
          "\"createdAt\":{\"S\":\"February 1, 1999\"},"
          "\"updatedAt\":{\"S\":\"February 1, 1999\"},"
          "\"expiresAt\":{\"N\":\"2099\"}}", 141 },
    };
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases [0]); i++) {
        zyn_error_t err = { 0 };
        zyn_value_t *item = zyn_value_from_json (cases [i].json, true, &err);
        ck_assert_msg (item, "%s", err.message);
        ck_assert_msg (zyn_item_size (item) == cases [i].size,
                       "case %zu: %zu != %zu", i, zyn_item_size (item),
                       cases [i].size);
        zyn_value_destroy (&item);
    }
}
END_TEST


//  --------------------------------------------------------------------------
//  MessagePack

START_TEST (test_msgpack_types)
{
    static const char *values [] = {
        "{\"S\":\"\"}",
        "{\"S\":\"hello\"}",
        "{\"S\":\"\\u00e9\\u4e2d\\ud83d\\ude00\"}",
        "{\"N\":\"0\"}",
        "{\"N\":\"-1.5\"}",
        "{\"N\":\"12345678901234567890123456789012345678\"}",
        "{\"N\":\"0.0000001\"}",
        "{\"B\":\"\"}",
        "{\"B\":\"AP8=\"}",
        "{\"BOOL\":true}",
        "{\"BOOL\":false}",
        "{\"NULL\":true}",
        "{\"M\":{}}",
        "{\"M\":{\"a\":{\"S\":\"x\"},\"\":{\"N\":\"2\"}}}",
        "{\"L\":[]}",
        "{\"L\":[{\"S\":\"a\"},{\"L\":[{\"NULL\":true}]},{\"M\":{}}]}",
        "{\"SS\":[\"a\",\"b\",\"\"]}",
        "{\"NS\":[\"1\",\"-2.5\",\"1E+10\"]}",
        "{\"BS\":[\"AQ==\",\"\",\"AgME\"]}",
    };
    for (size_t i = 0; i < sizeof (values) / sizeof (values [0]); i++) {
        zyn_value_t *value = s_json (values [i]);
        s_assert_round_trip (value);
        zyn_value_destroy (&value);
    }
}
END_TEST

START_TEST (test_msgpack_bytes)
{
    //  The exact bytes of docs/protocol.md, "Values"
    zyn_value_t *value = zyn_value_new_s ("ab");
    size_t size;
    uint8_t *data = (uint8_t *) zyn_value_encode (value, &size);
    ck_assert_uint_eq (size, 3);
    ck_assert_int_eq (memcmp (data, "\xa2" "ab", 3), 0);
    free (data);
    zyn_value_destroy (&value);

    value = s_number ("1.5");
    data = (uint8_t *) zyn_value_encode (value, &size);
    ck_assert_uint_eq (size, 6);
    ck_assert_int_eq (memcmp (data, "\xc7\x03\x01" "1.5", 6), 0);
    free (data);
    zyn_value_destroy (&value);

    value = zyn_value_new_n_int (12);
    data = (uint8_t *) zyn_value_encode (value, &size);
    ck_assert_uint_eq (size, 4);
    ck_assert_int_eq (memcmp (data, "\xd5\x01" "12", 4), 0);
    free (data);
    zyn_value_destroy (&value);

    value = zyn_value_new_b ("\x00\x01", 2);
    data = (uint8_t *) zyn_value_encode (value, &size);
    ck_assert_uint_eq (size, 4);
    ck_assert_int_eq (memcmp (data, "\xc4\x02\x00\x01", 4), 0);
    free (data);
    zyn_value_destroy (&value);

    value = s_json ("{\"SS\":[\"a\"]}");
    data = (uint8_t *) zyn_value_encode (value, &size);
    ck_assert_uint_eq (size, 6);
    ck_assert_int_eq (memcmp (data, "\xc7\x03\x02\x91\xa1" "a", 6), 0);
    free (data);
    zyn_value_destroy (&value);

    value = s_json ("{\"NS\":[\"7\"]}");
    data = (uint8_t *) zyn_value_encode (value, &size);
    ck_assert_int_eq (memcmp (data, "\xc7\x03\x03\x91\xa1" "7", 6), 0);
    free (data);
    zyn_value_destroy (&value);

    value = s_json ("{\"BS\":[\"AQ==\"]}");
    data = (uint8_t *) zyn_value_encode (value, &size);
    ck_assert_uint_eq (size, 6);
    ck_assert_int_eq (memcmp (data, "\xd6\x04\x91\xc4\x01\x01", 6), 0);
    free (data);
    zyn_value_destroy (&value);

    value = s_json ("{\"M\":{\"k\":{\"BOOL\":true},\"n\":{\"NULL\":true}}}");
    data = (uint8_t *) zyn_value_encode (value, &size);
    ck_assert_uint_eq (size, 7);
    ck_assert_int_eq (memcmp (data, "\x82\xa1k\xc3\xa1n\xc0", 7), 0);
    free (data);
    zyn_value_destroy (&value);

    //  encode_append adds to what is there
    value = zyn_value_new_bool (false);
    uint8_t *buffer = NULL;
    size_t used = 0, capacity = 0;
    zyn_value_encode_append (value, &buffer, &used, &capacity);
    zyn_value_encode_append (value, &buffer, &used, &capacity);
    ck_assert_uint_eq (used, 2);
    ck_assert_int_eq (memcmp (buffer, "\xc2\xc2", 2), 0);
    size_t taken;
    zyn_value_t *first = zyn_value_decode_prefix (buffer, used, &taken, NULL);
    ck_assert_ptr_nonnull (first);
    ck_assert_uint_eq (taken, 1);
    zyn_value_destroy (&first);
    free (buffer);
    zyn_value_destroy (&value);
}
END_TEST

START_TEST (test_msgpack_large)
{
    //  Big strings, binaries, lists, maps and sets cross every header width
    static const size_t sizes [] = { 31, 32, 255, 256, 65535, 65536, 200000 };
    for (size_t i = 0; i < sizeof (sizes) / sizeof (sizes [0]); i++) {
        char *text = (char *) malloc (sizes [i]);
        memset (text, 'x', sizes [i]);
        zyn_value_t *s = zyn_value_new_sn (text, sizes [i]);
        s_assert_round_trip (s);
        zyn_value_destroy (&s);
        zyn_value_t *b = zyn_value_new_b (text, sizes [i]);
        s_assert_round_trip (b);
        zyn_value_destroy (&b);
        free (text);
    }
    static const size_t counts [] = { 15, 16, 65535, 65536 };
    for (size_t i = 0; i < sizeof (counts) / sizeof (counts [0]); i++) {
        zyn_value_t *list = zyn_value_new_l ();
        zyn_value_t *map = zyn_value_new_m ();
        zyn_value_t *ss = zyn_value_new_set (ZYN_TYPE_SS);
        zyn_value_t *ns = zyn_value_new_set (ZYN_TYPE_NS);
        zyn_value_t *bs = zyn_value_new_set (ZYN_TYPE_BS);
        for (size_t j = 0; j < counts [i]; j++) {
            char name [32];
            snprintf (name, sizeof (name), "e%zu", j);
            zyn_value_t *element = zyn_value_new_n_int ((int64_t) j);
            zyn_value_list_append (list, &element);
            zyn_value_map_put_int (map, name, (int64_t) j);
            element = zyn_value_new_s (name);
            zyn_value_list_append (ss, &element);
            element = zyn_value_new_n_int ((int64_t) j * 3);
            zyn_value_list_append (ns, &element);
            element = zyn_value_new_b (name, strlen (name));
            zyn_value_list_append (bs, &element);
        }
        s_assert_round_trip (list);
        s_assert_round_trip (map);
        s_assert_round_trip (ss);
        s_assert_round_trip (ns);
        s_assert_round_trip (bs);
        ck_assert_int_eq (zyn_value_validate (ss, NULL), 0);
        ck_assert_int_eq (zyn_value_validate (ns, NULL), 0);
        ck_assert_int_eq (zyn_value_validate (bs, NULL), 0);
        zyn_value_destroy (&list);
        zyn_value_destroy (&map);
        zyn_value_destroy (&ss);
        zyn_value_destroy (&ns);
        zyn_value_destroy (&bs);
    }
    //  Deep but within the decoder's bound
    zyn_value_t *deep = s_nested (60);
    s_assert_round_trip (deep);
    zyn_value_destroy (&deep);
}
END_TEST

START_TEST (test_msgpack_integers)
{
    static const struct {
        const char *bytes;
        size_t size;
        const char *number;
    } cases [] = {
        { "\x00", 1, "0" },
        { "\x7f", 1, "127" },
        { "\xff", 1, "-1" },
        { "\xe0", 1, "-32" },
        { "\xcc\xff", 2, "255" },
        { "\xcd\xff\xff", 3, "65535" },
        { "\xce\xff\xff\xff\xff", 5, "4294967295" },
        { "\xcf\xff\xff\xff\xff\xff\xff\xff\xff", 9, "18446744073709551615" },
        { "\xd0\x80", 2, "-128" },
        { "\xd1\x80\x00", 3, "-32768" },
        { "\xd2\x80\x00\x00\x00", 5, "-2147483648" },
        { "\xd3\x80\x00\x00\x00\x00\x00\x00\x00", 9, "-9223372036854775808" },
        { "\xcb\x3f\xf8\x00\x00\x00\x00\x00\x00", 9, "1.5" },
        { "\xca\x3f\xc0\x00\x00", 5, "1.5" },
        { "\xcb\x00\x00\x00\x00\x00\x00\x00\x00", 9, "0" },
        { "\xcb\x3f\xb9\x99\x99\x99\x99\x99\x9a", 9, "0.10000000000000001" },
        //  ext 1 with non-canonical text is normalised
        { "\xd6\x01" "01.0", 6, "1" },
        { "\xc7\x02\x01" "-0", 5, "0" },
        { "\xd5\x01" "00", 4, "0" },
        { "\xd6\x01" "-120", 6, "-120" },
        { "\xc7\x26\x01" "12345678901234567890123456789012345678", 41,
          "12345678901234567890123456789012345678" },
        { "\xc7\x29\x01" "-1234567890123456789012345678901234567800", 44,
          "-1234567890123456789012345678901234567800" },
    };
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases [0]); i++) {
        zyn_error_t err = { 0 };
        zyn_value_t *value = zyn_value_decode (cases [i].bytes, cases [i].size,
                                               &err);
        ck_assert_msg (value, "case %zu: %s", i, err.message);
        ck_assert_int_eq (zyn_value_type (value), ZYN_TYPE_N);
        ck_assert_str_eq (zyn_value_data (value), cases [i].number);
        zyn_value_destroy (&value);
    }
}
END_TEST

START_TEST (test_msgpack_malformed)
{
    static const struct {
        const char *bytes;
        size_t size;
        const char *message;
    } cases [] = {
        { "", 0, "Malformed MessagePack value: truncated input" },
        { "\xa3" "ab", 3, "Malformed MessagePack value: truncated input" },
        { "\xd9", 1, "Malformed MessagePack value: truncated input" },
        { "\xc4\x05" "abc", 5, "Malformed MessagePack value: truncated input" },
        { "\x92\x01", 2, "Malformed MessagePack value: truncated input" },
        { "\x81\xa1" "a", 3, "Malformed MessagePack value: truncated input" },
        { "\xc0\xc0", 2, "Malformed MessagePack value: 1 trailing bytes" },
        { "\xc1", 1, "Malformed MessagePack value: invalid type byte 0xc1" },
        { "\x81\x01\xc0", 3, "Malformed MessagePack value: map key is not a "
                             "string" },
        { "\x81\xa2" "a\0" "\xc0", 5, "Malformed MessagePack value: map key "
                                      "holds a NUL byte" },
        { "\xd4\x07\x00", 3, "Malformed MessagePack value: unknown ext type 7" },
        { "\xd4\xff\x00", 3, "Malformed MessagePack value: unknown ext type -1" },
        { "\xd5\x01" "ab", 4, NULL },
        { "\xc7\x27\x01" "123456789012345678901234567890123456789", 42,
          NULL },
        { "\xc7\x01\x01" "-", 4, NULL },
        { "\xc7\x00\x01", 3, NULL },
        { "\xd4\x01", 2, "Malformed MessagePack value: truncated input" },
        { "\xc7\x00\x02", 3, "Malformed MessagePack value: truncated input" },
        { "\xc7\x01\x02\xc0", 4, "Malformed MessagePack value: set payload is "
                                 "not an array" },
        { "\xc7\x02\x02\x91\x01", 5, "Malformed MessagePack value: string set "
                                     "element is not a string" },
        { "\xc7\x02\x03\x91\x01", 5, "Malformed MessagePack value: number set "
                                     "element is not a string" },
        { "\xc7\x03\x03\x91\xa1" "x", 6, NULL },
        { "\xc7\x03\x04\x91\xa1" "x", 6, "Malformed MessagePack value: binary "
                                         "set element is not bin" },
        { "\xc7\x03\x02\x90\xc0\xc0", 6, "Malformed MessagePack value: "
                                         "trailing bytes in set payload" },
        { "\xc7\x03\x02\x92\xa1" "a", 6, "Malformed MessagePack value: "
                                         "truncated input" },
        { "\xa2\xc3\x28", 3, "Malformed MessagePack value: string is not "
                             "valid UTF-8" },
        { "\xa3\xed\xa0\x80", 4, "Malformed MessagePack value: string is not "
                                 "valid UTF-8" },
        { "\xa2\xc0\x80", 3, "Malformed MessagePack value: string is not "
                             "valid UTF-8" },
        { "\xa1\xe2", 2, "Malformed MessagePack value: string is not valid "
                         "UTF-8" },
        { "\xcb\x7f\xf8\x00\x00\x00\x00\x00\x00", 9, "Malformed MessagePack "
                                                     "value: float is not a "
                                                     "finite number" },
        { "\xcb\x7f\xf0\x00\x00\x00\x00\x00\x00", 9, "Malformed MessagePack "
                                                     "value: float is not a "
                                                     "finite number" },
        { "\xcb\x3f", 2, "Malformed MessagePack value: truncated input" },
        //  Huge declared lengths fail before anything is allocated
        { "\xdb\xff\xff\xff\xff", 5, "Malformed MessagePack value: truncated "
                                     "input" },
        { "\xc6\xff\xff\xff\xff", 5, "Malformed MessagePack value: truncated "
                                     "input" },
        { "\xdd\xff\xff\xff\xff", 5, "Malformed MessagePack value: truncated "
                                     "input" },
        { "\xdf\xff\xff\xff\xff", 5, "Malformed MessagePack value: truncated "
                                     "input" },
        { "\xc9\xff\xff\xff\xff\x01", 6, "Malformed MessagePack value: "
                                         "truncated input" },
        { "\xc7\x05\x02\xdd\xff\xff\xff\xff", 8, "Malformed MessagePack "
                                                 "value: truncated input" },
    };
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases [0]); i++) {
        zyn_error_t err = { 0 };
        zyn_value_t *value = zyn_value_decode (cases [i].bytes, cases [i].size,
                                               &err);
        ck_assert_msg (!value, "case %zu decoded", i);
        ck_assert_int_eq (err.type, ZYN_ERR_SERIALIZATION);
        if (cases [i].message)
            ck_assert_msg (streq (err.message, cases [i].message),
                           "case %zu: %s", i, err.message);
        else
            ck_assert_msg (strstr (err.message, "bad number"), "case %zu: %s",
                           i, err.message);
        //  Without err, too
        ck_assert_ptr_null (
            zyn_value_decode (cases [i].bytes, cases [i].size, NULL));
    }
    s_assert_decode_fails (NULL, 0, "Malformed MessagePack value: truncated "
                                    "input");
}
END_TEST

START_TEST (test_msgpack_depth)
{
    //  65 nested arrays pass the decoder's bound of 64; 66 do not
    uint8_t bytes [100];
    for (int i = 0; i < 64; i++)
        bytes [i] = 0x91;
    bytes [64] = 0xc0;
    zyn_error_t err = { 0 };
    zyn_value_t *value = zyn_value_decode (bytes, 65, &err);
    ck_assert_ptr_nonnull (value);
    zyn_value_destroy (&value);
    for (int i = 0; i < 65; i++)
        bytes [i] = 0x91;
    bytes [65] = 0xc0;
    s_assert_decode_fails (bytes, 66, "Malformed MessagePack value: nested "
                                      "more than 64 levels deep");
    //  Maps too
    uint8_t map_bytes [400];
    size_t size = 0;
    for (int i = 0; i < 70; i++) {
        map_bytes [size++] = 0x81;
        map_bytes [size++] = 0xa1;
        map_bytes [size++] = 'k';
    }
    map_bytes [size++] = 0xc0;
    s_assert_decode_fails (map_bytes, size, "Malformed MessagePack value: "
                                            "nested more than 64 levels deep");
}
END_TEST

START_TEST (test_msgpack_duplicates)
{
    //  A repeated map key keeps the last value, at the first position
    const char bytes [] = "\x83\xa1" "a\x01\xa1" "b\x02\xa1" "a\x03";
    zyn_value_t *value = zyn_value_decode (bytes, sizeof (bytes) - 1, NULL);
    ck_assert_ptr_nonnull (value);
    ck_assert_uint_eq (zyn_value_size (value), 2);
    ck_assert_str_eq (zyn_value_map_name (value, 0), "a");
    ck_assert_str_eq (zyn_value_data (zyn_value_map_get (value, "a")), "3");
    zyn_value_destroy (&value);
}
END_TEST


//  --------------------------------------------------------------------------
//  DynamoDB JSON

START_TEST (test_json_round_trip)
{
    static const struct {
        const char *json;
        const char *expected;           //  NULL: same as json
    } cases [] = {
        { "{\"S\":\"x\"}", NULL },
        { "{\"S\":\"\"}", NULL },
        { "{\"S\":\"a\\u0000b\"}", NULL },
        { "{\"N\":\"1.5\"}", NULL },
        { "{\"N\":\"01.50\"}", "{\"N\":\"1.5\"}" },
        { "{\"N\":\"-1e2\"}", "{\"N\":\"-100\"}" },
        { "{\"B\":\"AAECAw==\"}", NULL },
        { "{\"B\":\"\"}", NULL },
        { "{\"BOOL\":true}", NULL },
        { "{\"BOOL\":false}", NULL },
        { "{\"NULL\":true}", NULL },
        { "{\"M\":{}}", NULL },
        { "{\"M\":{\"b\":{\"S\":\"1\"},\"a\":{\"N\":\"2\"}}}", NULL },
        { "{\"L\":[]}", NULL },
        { "{\"L\":[{\"S\":\"a\"},{\"L\":[{\"NULL\":true}]}]}", NULL },
        { "{\"SS\":[\"a\",\"b\"]}", NULL },
        { "{\"NS\":[\"1\",\"2.50\"]}", "{\"NS\":[\"1\",\"2.5\"]}" },
        { "{\"BS\":[\"AQ==\",\"AgM=\"]}", NULL },
        //  Unknown members are ignored, as DynamoDB's parser does
        { "{\"S\":\"x\",\"Z\":1}", "{\"S\":\"x\"}" },
        { "{\"S\":\"x\",\"N\":null}", "{\"S\":\"x\"}" },
    };
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases [0]); i++) {
        zyn_value_t *value = s_json (cases [i].json);
        char *text = zyn_value_to_json (value, false);
        ck_assert_str_eq (text, cases [i].expected ? cases [i].expected
                                                   : cases [i].json);
        s_assert_round_trip (value);
        free (text);
        zyn_value_destroy (&value);
    }
    //  Maps of attributes (Item, Key)
    const char *item = "{\"pk\":{\"S\":\"a\"},\"n\":{\"N\":\"3\"}}";
    zyn_error_t err = { 0 };
    zyn_value_t *value = zyn_value_from_json (item, true, &err);
    ck_assert_ptr_nonnull (value);
    ck_assert_int_eq (zyn_value_type (value), ZYN_TYPE_M);
    ck_assert_str_eq (zyn_value_map_get_s (value, "pk"), "a");
    char *text = zyn_value_to_json (value, true);
    ck_assert_str_eq (text, item);
    free (text);
    zyn_value_destroy (&value);

    //  Duplicate JSON keys: the last wins
    value = zyn_value_from_json ("{\"a\":{\"S\":\"1\"},\"a\":{\"S\":\"2\"}}",
                                 true, &err);
    ck_assert_ptr_nonnull (value);
    ck_assert_uint_eq (zyn_value_size (value), 1);
    ck_assert_str_eq (zyn_value_map_get_s (value, "a"), "2");
    zyn_value_destroy (&value);

    //  The Jansson interface, for zyn_json
    json_error_t json_err;
    json_t *json = json_loads ("{\"L\":[{\"N\":\"1.0\"}]}", 0, &json_err);
    value = zyn_value_from_jansson (json, &err);
    json_decref (json);
    ck_assert_ptr_nonnull (value);
    json = zyn_value_to_jansson (value);
    text = json_dumps (json, JSON_COMPACT);
    ck_assert_str_eq (text, "{\"L\":[{\"N\":\"1\"}]}");
    free (text);
    json_decref (json);
    zyn_value_destroy (&value);
    json = json_loads ("{\"k\":{\"S\":\"v\"}}", 0, &json_err);
    value = zyn_value_from_jansson_map (json, &err);
    json_decref (json);
    ck_assert_str_eq (zyn_value_map_get_s (value, "k"), "v");
    json = zyn_value_to_jansson_map (value);
    text = json_dumps (json, JSON_COMPACT);
    ck_assert_str_eq (text, "{\"k\":{\"S\":\"v\"}}");
    free (text);
    json_decref (json);
    zyn_value_destroy (&value);
}
END_TEST

START_TEST (test_json_errors)
{
    static const struct {
        const char *json;
        bool is_map;
        zyn_errtype_t type;
        const char *message;            //  NULL: any message
    } cases [] = {
        { "{}", false, ZYN_ERR_VALIDATION,
          "Supplied AttributeValue is empty, must contain exactly one of the "
          "supported datatypes" },
        { "{\"X\":\"y\"}", false, ZYN_ERR_VALIDATION,
          "Supplied AttributeValue is empty, must contain exactly one of the "
          "supported datatypes" },
        { "{\"S\":\"x\",\"N\":\"1\"}", false, ZYN_ERR_VALIDATION,
          "Supplied AttributeValue has more than one datatypes set, must "
          "contain exactly one of the supported datatypes" },
        { "{\"NULL\":false}", false, ZYN_ERR_VALIDATION,
          "One or more parameter values were invalid: Null attribute value "
          "types must have the value of true" },
        { "{\"N\":\"abc\"}", false, ZYN_ERR_VALIDATION, NULL },
        { "{\"N\":\"\"}", false, ZYN_ERR_VALIDATION, NULL },
        { "{\"NS\":[\"1\",\"x\"]}", false, ZYN_ERR_VALIDATION, NULL },
        { "{\"N\":1}", false, ZYN_ERR_SERIALIZATION,
          "NUMBER_VALUE cannot be converted to String" },
        { "{\"S\":true}", false, ZYN_ERR_SERIALIZATION,
          "TRUE_VALUE cannot be converted to String" },
        { "{\"S\":[]}", false, ZYN_ERR_SERIALIZATION,
          "Start of list found where not expected" },
        { "{\"S\":{}}", false, ZYN_ERR_SERIALIZATION,
          "Start of structure or map found where not expected." },
        { "{\"BOOL\":\"true\"}", false, ZYN_ERR_SERIALIZATION,
          "VALUE_STRING cannot be converted to Boolean" },
        { "{\"NULL\":1}", false, ZYN_ERR_SERIALIZATION,
          "NUMBER_VALUE cannot be converted to Boolean" },
        { "{\"M\":[]}", false, ZYN_ERR_SERIALIZATION,
          "Start of list found where not expected" },
        { "{\"L\":{}}", false, ZYN_ERR_SERIALIZATION,
          "Start of structure or map found where not expected." },
        { "{\"SS\":\"a\"}", false, ZYN_ERR_SERIALIZATION,
          "VALUE_STRING cannot be converted to List" },
        { "{\"SS\":[1]}", false, ZYN_ERR_SERIALIZATION,
          "NUMBER_VALUE cannot be converted to String" },
        { "{\"L\":[\"a\"]}", false, ZYN_ERR_SERIALIZATION,
          "VALUE_STRING cannot be converted to AttributeValue" },
        { "{\"M\":{\"a\":{}}}", false, ZYN_ERR_VALIDATION,
          "Supplied AttributeValue is empty, must contain exactly one of the "
          "supported datatypes" },
        { "{\"B\":\"abc\"}", false, ZYN_ERR_SERIALIZATION,
          "'abc' can not be converted to a Blob: Base64 encoded length is "
          "expected a multiple of 4 bytes but found: 3" },
        { "{\"B\":\"ab!=\"}", false, ZYN_ERR_SERIALIZATION,
          "'ab!=' can not be converted to a Blob: Invalid Base64 character: "
          "'!'" },
        { "{\"B\":\"a=bc\"}", false, ZYN_ERR_SERIALIZATION,
          "'a=bc' can not be converted to a Blob: Invalid Base64 character: "
          "'='" },
        { "{\"B\":\"AB==\"}", false, ZYN_ERR_SERIALIZATION,
          "'AB==' can not be converted to a Blob: Invalid last non-pad Base64 "
          "character dectected" },
        { "{\"BS\":[\"AQ==\",\"A\"]}", false, ZYN_ERR_SERIALIZATION, NULL },
        { "{\"B\":5}", false, ZYN_ERR_SERIALIZATION,
          "NUMBER_VALUE cannot be converted to Blob" },
        { "[]", false, ZYN_ERR_SERIALIZATION,
          "Start of list found where not expected" },
        { "\"x\"", true, ZYN_ERR_SERIALIZATION,
          "VALUE_STRING cannot be converted to Map" },
        { "{\"a\":1}", true, ZYN_ERR_SERIALIZATION,
          "NUMBER_VALUE cannot be converted to AttributeValue" },
        { "{\"a\":", true, ZYN_ERR_SERIALIZATION, NULL },
        { "", false, ZYN_ERR_SERIALIZATION, NULL },
    };
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases [0]); i++) {
        zyn_error_t err = { 0 };
        zyn_value_t *value
            = zyn_value_from_json (cases [i].json, cases [i].is_map, &err);
        ck_assert_msg (!value, "case %zu parsed", i);
        ck_assert_msg (err.type == cases [i].type, "case %zu: type %d (%s)",
                       i, err.type, err.message);
        if (cases [i].message)
            ck_assert_msg (streq (err.message, cases [i].message),
                           "case %zu: %s", i, err.message);
        ck_assert_ptr_null (
            zyn_value_from_json (cases [i].json, cases [i].is_map, NULL));
    }
}
END_TEST

START_TEST (test_json_depth)
{
    //  Deeper than the decoder follows: DynamoDB's nesting message
    char json [4096] = "";
    for (int i = 0; i < 70; i++)
        strcat (json, "{\"L\":[");
    strcat (json, "{\"NULL\":true}");
    for (int i = 0; i < 70; i++)
        strcat (json, "]}");
    zyn_error_t err = { 0 };
    ck_assert_ptr_null (zyn_value_from_json (json, false, &err));
    ck_assert_int_eq (err.type, ZYN_ERR_VALIDATION);
    ck_assert_str_eq (err.message,
                      "Nesting Levels have exceeded supported limits: "
                      "Attributes in the item have nested levels beyond "
                      "supported limit");
}
END_TEST

Suite *
zyn_value_suite (void)
{
    Suite *suite = suite_create ("zyn_value");
    TCase *tc = tcase_create ("constructors");
    tcase_add_test (tc, test_scalars);
    tcase_add_test (tc, test_numbers);
    tcase_add_test (tc, test_type_names);
    suite_add_tcase (suite, tc);

    tc = tcase_create ("containers");
    tcase_add_test (tc, test_map_ops);
    tcase_add_test (tc, test_map_large);
    tcase_add_test (tc, test_list_ops);
    tcase_add_test (tc, test_set_ops);
    suite_add_tcase (suite, tc);

    tc = tcase_create ("equality");
    tcase_add_test (tc, test_equal_compare);
    tcase_add_test (tc, test_dup_deep);
    suite_add_tcase (suite, tc);

    tc = tcase_create ("validation");
    tcase_add_test (tc, test_validate);
    tcase_add_test (tc, test_validate_depth);
    tcase_add_test (tc, test_item_size);
    suite_add_tcase (suite, tc);

    tc = tcase_create ("msgpack");
    tcase_set_timeout (tc, 30);
    tcase_add_test (tc, test_msgpack_types);
    tcase_add_test (tc, test_msgpack_bytes);
    tcase_add_test (tc, test_msgpack_large);
    tcase_add_test (tc, test_msgpack_integers);
    tcase_add_test (tc, test_msgpack_malformed);
    tcase_add_test (tc, test_msgpack_depth);
    tcase_add_test (tc, test_msgpack_duplicates);
    suite_add_tcase (suite, tc);

    tc = tcase_create ("json");
    tcase_add_test (tc, test_json_round_trip);
    tcase_add_test (tc, test_json_errors);
    tcase_add_test (tc, test_json_depth);
    suite_add_tcase (suite, tc);
    return suite;
}

ZYN_TEST_MAIN (zyn_value_suite)

/*  =========================================================================
    fuzz_expr - libFuzzer target for zyn_expr

    The first byte picks an operation; the rest is one or two expressions
    separated by a newline (or, for the legacy mode, a request in typed
    DynamoDB JSON). Every #name and :value the expressions use is defined,
    from fixed pools chosen by a hash of the placeholder, so most inputs
    get past the placeholder checks into evaluation against a fixed item.
    Any input must parse or fail with a ValidationException message, and
    never crash, leak or hang. Built and run by tests/fuzz/run.sh.
    =========================================================================
*/
// fuzz-sources: core/zyn_expr.c core/zyn_expr_parse.c core/zyn_expr_eval.c core/zyn_expr_update.c core/zyn_expr_legacy.c core/zyn_reserved.c core/zyn_value.c core/zyn_value_codec.c core/zyn_decimal.c core/zyn_error.c

#include "zyn_prelude.h"
#include "zyn_error.h"
#include "zyn_expr.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static const char *s_item_json =
    "{\"pk\":{\"S\":\"k1\"},\"sk\":{\"N\":\"3\"},\"a\":{\"N\":\"5\"},"
    "\"s\":{\"S\":\"hello\"},\"b\":{\"B\":\"AQID\"},"
    "\"m\":{\"M\":{\"x\":{\"N\":\"1\"},\"y\":{\"L\":[{\"S\":\"p\"},"
    "{\"N\":\"2\"}]}}},\"l\":{\"L\":[{\"N\":\"1\"},{\"S\":\"two\"},"
    "{\"M\":{\"z\":{\"BOOL\":true}}}]},\"ss\":{\"SS\":[\"x\",\"y\"]},"
    "\"ns\":{\"NS\":[\"1\",\"2\"]},\"bs\":{\"BS\":[\"AQ==\"]},"
    "\"t\":{\"BOOL\":true},\"n\":{\"NULL\":true}}";

static const char *const s_values [] = {
    "{\"N\":\"1\"}", "{\"N\":\"-2.5\"}", "{\"S\":\"he\"}", "{\"S\":\"S\"}",
    "{\"B\":\"AQ==\"}", "{\"BOOL\":true}", "{\"NULL\":true}",
    "{\"L\":[{\"N\":\"4\"}]}", "{\"M\":{\"q\":{\"S\":\"r\"}}}",
    "{\"SS\":[\"x\",\"z\"]}", "{\"NS\":[\"2\",\"3\"]}", "{\"BS\":[\"AQ==\"]}",
    "{\"N\":\"9.9999999999999999999999999999999999999E+125\"}",
    "{\"N\":\"1E-130\"}",
};

static const char *const s_names [] = {
    "a", "s", "b", "m", "l", "ss", "ns", "t", "n", "x", "y", "z", "status",
    "pk", "sk", "m.x", "",
};

static uint32_t
s_hash (const char *text, size_t size)
{
    uint32_t hash = 2166136261u;
    for (size_t i = 0; i < size; i++)
        hash = (hash ^ (uint8_t) text [i]) * 16777619u;
    return hash;
}

//  Define every #name and :value that text uses
static void
s_define (zyn_value_t *names, zyn_value_t *values, const char *text)
{
    for (const char *c = text; *c; c++) {
        if (*c != '#' && *c != ':')
            continue;
        size_t len = 1;
        while (isalnum ((unsigned char) c [len]) || c [len] == '_')
            len++;
        if (len == 1)
            continue;
        char key [300];
        if (len >= sizeof (key))
            len = sizeof (key) - 1;
        memcpy (key, c, len);
        key [len] = 0;
        uint32_t hash = s_hash (key, len);
        if (*c == '#')
            zyn_value_map_put_s (names, key,
                                 s_names [hash % (sizeof (s_names)
                                                  / sizeof (s_names [0]))]);
        else {
            zyn_value_t *value = zyn_value_from_json (
                s_values [hash % (sizeof (s_values) / sizeof (s_values [0]))],
                false, NULL);
            assert (value);
            zyn_value_map_put (values, key, &value);
        }
        c += len - 1;
    }
}

static void
s_check_error (zyn_error_t *err)
{
    assert (err->type == ZYN_ERR_VALIDATION
            || err->type == ZYN_ERR_SERIALIZATION);
    assert (strlen (err->message) > 0);
}

static void
s_exercise (zyn_expr_t *expr, const zyn_value_t *item)
{
    zyn_error_t err = { 0 };
    bool result;
    assert (zyn_expr_check_condition (expr, item, &result, &err) == 0);
    assert (zyn_expr_check_condition (expr, NULL, &result, &err) == 0);
    assert (zyn_expr_check_filter (expr, item, &result, &err) == 0);
    zyn_value_t *projected = zyn_expr_project (expr, item);
    assert (projected);
    zyn_value_destroy (&projected);
    const char **names = zyn_expr_projected_names (expr);
    for (size_t i = 0; names && names [i]; i++)
        assert (strlen (names [i]) < 100000);
    zyn_key_condition_t cond;
    if (zyn_expr_key_condition (expr, "pk", "sk", &cond, &err))
        s_check_error (&err);
    zyn_error_clear (&err);
    if (zyn_expr_key_condition (expr, "pk", NULL, &cond, &err))
        s_check_error (&err);
    if (zyn_expr_has_update (expr)) {
        zyn_value_t *key = zyn_value_new_m ();
        zyn_value_map_put_s (key, "pk", "k1");
        const char *key_names [] = { "pk", "sk", NULL };
        for (int pass = 0; pass < 2; pass++) {
            zyn_value_t *updated = NULL;
            zyn_error_clear (&err);
            zyn_value_t *after = zyn_expr_update (
                expr, pass ? NULL : item, key, key_names, &updated, &err);
            if (after) {
                assert (zyn_value_type (after) == ZYN_TYPE_M);
                assert (updated);
            }
            else
                s_check_error (&err);
            zyn_value_destroy (&after);
            zyn_value_destroy (&updated);
        }
        zyn_value_destroy (&key);
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static const char *const modes [][3] = {
        { "PutItem", "ConditionExpression", NULL },
        { "Scan", "FilterExpression", "ProjectionExpression" },
        { "Query", "KeyConditionExpression", "FilterExpression" },
        { "UpdateItem", "UpdateExpression", "ConditionExpression" },
        { "GetItem", "ProjectionExpression", NULL },
        { "DeleteItem", NULL, NULL },
    };
    static const char *const legacy_ops [] = {
        "PutItem", "Scan", "Query", "UpdateItem", "GetItem", "DeleteItem"
    };
    size_t mode = data [0] % 6;
    char *text = (char *) malloc (size);
    memcpy (text, data + 1, size - 1);
    text [size - 1] = 0;
    zyn_value_t *item = zyn_value_from_json (s_item_json, true, NULL);
    assert (item);
    zyn_value_t *request = NULL;

    if (modes [mode][1]) {
        //  Expressions must be text without NULs
        if (memchr (data + 1, 0, size - 1))
            goto done;
        char *second = strchr (text, '\n');
        if (second)
            *second++ = 0;
        request = zyn_value_new_m ();
        zyn_value_t *names = zyn_value_new_m ();
        zyn_value_t *values = zyn_value_new_m ();
        zyn_value_map_put_s (request, modes [mode][1], text);
        s_define (names, values, text);
        if (second && modes [mode][2]) {
            zyn_value_map_put_s (request, modes [mode][2], second);
            s_define (names, values, second);
        }
        if (zyn_value_size (names))
            zyn_value_map_put (request, "ExpressionAttributeNames", &names);
        if (zyn_value_size (values))
            zyn_value_map_put (request, "ExpressionAttributeValues", &values);
        zyn_value_destroy (&names);
        zyn_value_destroy (&values);
    }
    else {
        //  Legacy parameters: a typed JSON map; the operation is the next
        //  byte
        if (size < 2)
            goto done;
        request = zyn_value_from_json (text + 1, true, NULL);
        if (!request)
            goto done;
        mode = (size_t) (uint8_t) text [0] % 6;
    }
    zyn_error_t err = { 0 };
    zyn_expr_t *expr = zyn_expr_new (legacy_ops [mode], request, &err);
    if (expr)
        s_exercise (expr, item);
    else
        s_check_error (&err);
    zyn_expr_destroy (&expr);

done:
    zyn_value_destroy (&request);
    zyn_value_destroy (&item);
    free (text);
    return 0;
}

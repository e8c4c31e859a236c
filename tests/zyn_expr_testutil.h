/*  =========================================================================
    zyn_expr_testutil - what the zyn_expr Check suites share

    The item most condition cases run against, and builders for requests:
    s_json parses DynamoDB JSON, s_request makes a request map with one
    expression parameter and its placeholders, and s_pool_request fills in
    ExpressionAttributeValues from a fixed pool. Used by check_zyn_expr.c
    and check_zyn_expr_update.c; include it after zyn_prelude.h and
    zyn_testutil.h.
    =========================================================================
*/

#ifndef ZYN_EXPR_TESTUTIL_H_INCLUDED
#define ZYN_EXPR_TESTUTIL_H_INCLUDED

//  The item most condition cases run against
static const char *s_item_json =
    "{\"pk\":{\"S\":\"k1\"},\"a\":{\"N\":\"5\"},\"s\":{\"S\":\"hello\"},"
    "\"b\":{\"B\":\"AQID\"},"
    "\"m\":{\"M\":{\"x\":{\"N\":\"1\"},\"y\":{\"L\":[{\"S\":\"p\"},"
    "{\"N\":\"2\"}]}}},"
    "\"l\":{\"L\":[{\"N\":\"1\"},{\"S\":\"two\"},{\"M\":{\"z\":"
    "{\"BOOL\":true}}}]},"
    "\"ss\":{\"SS\":[\"x\",\"y\"]},\"ns\":{\"NS\":[\"1\",\"2\"]},"
    "\"bs\":{\"BS\":[\"AQ==\"]},\"t\":{\"BOOL\":true},\"n\":{\"NULL\":true},"
    "\"status\":{\"S\":\"on\"},\"e\":{\"S\":\"\"}}";

static inline zyn_value_t *
s_json (const char *json, bool is_map)
{
    zyn_error_t err = { 0 };
    zyn_value_t *value = zyn_value_from_json (json, is_map, &err);
    ck_assert_msg (value, "bad test JSON %s: %s", json, err.message);
    return value;
}

//  Build ExpressionAttributeNames from "#a=x;#b=y"
static inline zyn_value_t *
s_names (const char *spec)
{
    zyn_value_t *names = zyn_value_new_m ();
    char buf [1024];
    snprintf (buf, sizeof (buf), "%s", spec);
    char *save = NULL;
    for (char *entry = strtok_r (buf, ";", &save); entry;
         entry = strtok_r (NULL, ";", &save)) {
        char *eq = strchr (entry, '=');
        ck_assert (eq);
        *eq = 0;
        zyn_value_map_put_s (names, entry, eq + 1);
    }
    return names;
}

//  A request map: kind is the expression parameter
static inline zyn_value_t *
s_request (const char *param, const char *expr, const char *names,
           const char *values)
{
    zyn_value_t *request = zyn_value_new_m ();
    if (expr)
        zyn_value_map_put_s (request, param, expr);
    if (names) {
        zyn_value_t *map = s_names (names);
        zyn_value_map_put (request, "ExpressionAttributeNames", &map);
    }
    if (values) {
        zyn_value_t *map = s_json (values, true);
        zyn_value_map_put (request, "ExpressionAttributeValues", &map);
    }
    return request;
}

//  Build ExpressionAttributeValues holding only the placeholders expr uses,
//  from a fixed pool (so no case trips over unused values)
static const char *const s_pool [][2] = {
    { ":p", "{\"S\":\"k1\"}" }, { ":s", "{\"S\":\"s1\"}" },
    { ":a", "{\"N\":\"1\"}" }, { ":b", "{\"N\":\"2\"}" },
    { ":v", "{\"N\":\"2\"}" }, { ":w", "{\"N\":\"3\"}" },
    { ":str", "{\"S\":\"str\"}" }, { ":bool", "{\"BOOL\":false}" },
    { ":l", "{\"L\":[{\"N\":\"4\"}]}" }, { ":m", "{\"M\":{}}" },
    { ":ss", "{\"SS\":[\"b\",\"c\"]}" }, { ":ssa", "{\"SS\":[\"a\"]}" },
    { ":ssab", "{\"SS\":[\"b\",\"a\"]}" }, { ":ns", "{\"NS\":[\"3\",\"1\"]}" },
    { ":bs", "{\"BS\":[\"AQ==\"]}" }, { ":nul", "{\"NULL\":true}" },
    { ":bin", "{\"B\":\"AQ==\"}" }, { ":tenth", "{\"N\":\"0.1\"}" },
    { ":big", "{\"N\":\"99999999999999999999999999999999999999\"}" },
    { ":huge", "{\"N\":\"9.9999999999999999999999999999999999999E+125\"}" },
    { ":tiny", "{\"N\":\"1E-130\"}" },
};

static inline zyn_value_t *
s_pool_values (const char *expr)
{
    zyn_value_t *values = zyn_value_new_m ();
    for (size_t i = 0; i < sizeof (s_pool) / sizeof (s_pool [0]); i++) {
        const char *name = s_pool [i][0];
        size_t len = strlen (name);
        for (const char *at = strstr (expr, name); at;
             at = strstr (at + 1, name))
            if (!isalnum ((unsigned char) at [len]) && at [len] != '_') {
                zyn_value_t *value = s_json (s_pool [i][1], false);
                zyn_value_map_put (values, name, &value);
                break;
            }
    }
    if (zyn_value_size (values) == 0)
        zyn_value_destroy (&values);
    return values;
}

static inline zyn_value_t *
s_pool_request (const char *param, const char *expr, const char *names)
{
    zyn_value_t *request = s_request (param, expr, names, NULL);
    zyn_value_t *values = s_pool_values (expr);
    if (values)
        zyn_value_map_put (request, "ExpressionAttributeValues", &values);
    return request;
}

#endif

/*  =========================================================================
    zyn_brokertest - what the broker's Check suites share

    s_request builds a request map from plain JSON (objects become maps,
    arrays lists, strings S, numbers N, booleans BOOL), so that tests can
    write DynamoDB requests as they appear in the API reference. Attribute
    values are written in their typed form ({"S": "x"}) and stay maps here;
    s_attr_map turns such a map of typed values into real values.
    =========================================================================
*/

#ifndef ZYN_BROKERTEST_H_INCLUDED
#define ZYN_BROKERTEST_H_INCLUDED

#include <jansson.h>

static zyn_value_t *
s_from_json_value (json_t *json)
{
    if (json_is_object (json)) {
        zyn_value_t *map = zyn_value_new_m ();
        const char *name;
        json_t *member;
        json_object_foreach (json, name, member) {
            zyn_value_t *value = s_from_json_value (member);
            zyn_value_map_put (map, name, &value);
        }
        return map;
    }
    if (json_is_array (json)) {
        zyn_value_t *list = zyn_value_new_l ();
        size_t index;
        json_t *member;
        json_array_foreach (json, index, member) {
            zyn_value_t *value = s_from_json_value (member);
            zyn_value_list_append (list, &value);
        }
        return list;
    }
    if (json_is_string (json))
        return zyn_value_new_s (json_string_value (json));
    if (json_is_integer (json))
        return zyn_value_new_n_int (json_integer_value (json));
    if (json_is_boolean (json))
        return zyn_value_new_bool (json_is_true (json));
    return zyn_value_new_null ();
}

//  A request map from plain JSON; typed attribute values ({"S": "x"}) under
//  Item, Key, ExclusiveStartKey and ExpressionAttributeValues become real
//  values.
static zyn_value_t *
s_request (const char *text)
{
    json_error_t error;
    json_t *json = json_loads (text, 0, &error);
    ck_assert_msg (json, "bad test JSON %s: %s", text, error.text);
    zyn_value_t *request = s_from_json_value (json);
    json_decref (json);
    const char *typed [] = { "Item", "Key", "ExclusiveStartKey",
                             "ExpressionAttributeValues", "Attributes",
                             "LastEvaluatedKey", NULL };
    for (int i = 0; typed [i]; i++) {
        zyn_value_t *map = zyn_value_map_get (request, typed [i]);
        if (!map)
            continue;
        json_t *original = json_loads (text, 0, &error);
        char *member = json_dumps (json_object_get (original, typed [i]), 0);
        json_decref (original);
        zyn_error_t err = { 0 };
        zyn_value_t *values = zyn_value_from_json (member, true, &err);
        ck_assert_msg (values, "bad typed JSON %s: %s", member, err.message);
        free (member);
        zyn_value_map_put (request, typed [i], &values);
    }
    //  Items: a list of typed maps
    if (zyn_value_map_get (request, "Items")) {
        json_t *original = json_loads (text, 0, &error);
        json_t *items = json_object_get (original, "Items");
        zyn_value_t *list = zyn_value_new_l ();
        size_t index;
        json_t *member;
        json_array_foreach (items, index, member) {
            char *item_text = json_dumps (member, 0);
            zyn_value_t *item = zyn_value_from_json (item_text, true, NULL);
            ck_assert_ptr_nonnull (item);
            free (item_text);
            zyn_value_list_append (list, &item);
        }
        json_decref (original);
        zyn_value_map_put (request, "Items", &list);
    }
    return request;
}

#endif

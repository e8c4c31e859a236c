/*  =========================================================================
    zyn_brokertest - what the broker's Check suites share

    s_request builds a request map from plain JSON (objects become maps,
    arrays lists, strings S, numbers N, booleans BOOL), so that tests can
    write DynamoDB requests as they appear in the API reference. Members
    that hold attribute values in DynamoDB's API (Item, Key, Attributes,
    ExclusiveStartKey, LastEvaluatedKey, ExpressionAttributeValues, and
    the elements of Keys and Items) are read as DynamoDB JSON ({"S": "x"})
    into real values, at any depth.
    =========================================================================
*/

#ifndef ZYN_BROKERTEST_H_INCLUDED
#define ZYN_BROKERTEST_H_INCLUDED

#include <jansson.h>

//  Read json as DynamoDB JSON: a map of names to typed values
static zyn_value_t *
s_typed_map (json_t *json)
{
    char *text = json_dumps (json, 0);
    zyn_error_t err = { 0 };
    zyn_value_t *value = zyn_value_from_json (text, true, &err);
    ck_assert_msg (value, "bad typed JSON %s: %s", text, err.message);
    free (text);
    return value;
}

static bool
s_holds_typed_map (const char *name)
{
    const char *names [] = { "Item", "Key", "Attributes", "ExclusiveStartKey",
                             "LastEvaluatedKey", "ExpressionAttributeValues",
                             NULL };
    for (int i = 0; names [i]; i++)
        if (streq (name, names [i]))
            return true;
    return false;
}

static zyn_value_t *
s_from_json_value (json_t *json)
{
    if (json_is_object (json)) {
        zyn_value_t *map = zyn_value_new_m ();
        const char *name;
        json_t *member;
        json_object_foreach (json, name, member) {
            zyn_value_t *value = NULL;
            if (json_is_object (member) && s_holds_typed_map (name))
                value = s_typed_map (member);
            else
            if (json_is_array (member)
                && (streq (name, "Keys") || streq (name, "Items"))) {
                value = zyn_value_new_l ();
                size_t index;
                json_t *element;
                json_array_foreach (member, index, element) {
                    zyn_value_t *typed = s_typed_map (element);
                    zyn_value_list_append (value, &typed);
                }
            }
            else
                value = s_from_json_value (member);
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

//  A request map from plain JSON
static zyn_value_t *
s_request (const char *text)
{
    json_error_t error;
    json_t *json = json_loads (text, 0, &error);
    ck_assert_msg (json, "bad test JSON %s: %s", text, error.text);
    zyn_value_t *request = s_from_json_value (json);
    json_decref (json);
    return request;
}

#endif

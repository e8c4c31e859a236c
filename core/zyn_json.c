/*  =========================================================================
    zyn_json - DynamoDB's JSON API bodies to native request maps and back

    DynamoDB's JSON carries attribute values in typed form ({"S": "x"}) only
    at positions named by the parameter that holds them: Item, Key,
    ExpressionAttributeValues, Items, Responses, Value, AttributeValueList,
    Parameters and a few more (s_shape). Everything else is plain JSON and
    maps onto the value tree mechanically: string S, number N, boolean
    BOOL, null NULL, object M, array L. The attribute values themselves are
    converted by zyn_value_from_jansson / zyn_value_to_jansson, so both
    directions share DynamoDB's validation and messages.

    Limits: non-attribute numbers travel through Jansson, so an integer
    beyond 64 bits is refused and a fraction keeps 17 significant digits.
    No DynamoDB parameter outside attribute values needs more.
    =========================================================================
*/

#include "zyn_prelude.h"
#include <jansson.h>
#include "zyn_json.h"
#include "zyn_value.h"

//  What a JSON member holds, known from its name (and its parent's)
typedef enum {
    SHAPE_PLAIN,            //  Plain JSON, mapped mechanically
    SHAPE_VALUE,            //  One attribute value: Value
    SHAPE_VALUE_LIST,       //  List of attribute values: Parameters
    SHAPE_ITEM,             //  Map of name -> attribute value: Item, Key
    SHAPE_ITEM_LIST,        //  List of items: Items
    SHAPE_ITEM_OR_LIST,     //  Item or list of items: Keys
    SHAPE_RESPONSES         //  Table -> list of items, or plain: Responses
} s_shape_t;

typedef struct {
    const char *name;
    s_shape_t shape;
} s_shape_entry_t;

static const s_shape_entry_t s_shapes [] = {
    { "Item", SHAPE_ITEM },
    { "Key", SHAPE_ITEM },
    { "ExclusiveStartKey", SHAPE_ITEM },
    { "LastEvaluatedKey", SHAPE_ITEM },
    { "ExpressionAttributeValues", SHAPE_ITEM },
    { "Attributes", SHAPE_ITEM },
    { "NewImage", SHAPE_ITEM },
    { "OldImage", SHAPE_ITEM },
    { "ItemCollectionKey", SHAPE_ITEM },
    { "Items", SHAPE_ITEM_LIST },
    { "Keys", SHAPE_ITEM_OR_LIST },
    { "Responses", SHAPE_RESPONSES },
    { "Value", SHAPE_VALUE },
    { "AttributeValueList", SHAPE_VALUE_LIST },
    { "Parameters", SHAPE_VALUE_LIST },
};

//  Deepest plain JSON nesting we follow; Jansson stops at 2048 already
#define JSON_DEPTH_MAX 256

//  --------------------------------------------------------------------------
//  The shape of member name inside a member called parent. Tags hold
//  {"Key": str, "Value": str} pairs, which are plain.

static s_shape_t
s_shape (const char *name, const char *parent)
{
    if (parent && streq (parent, "Tags"))
        return SHAPE_PLAIN;
    for (size_t i = 0; i < sizeof (s_shapes) / sizeof (s_shapes [0]); i++)
        if (streq (s_shapes [i].name, name))
            return s_shapes [i].shape;
    return SHAPE_PLAIN;
}

//  --------------------------------------------------------------------------
//  Coral's message for a JSON value of the wrong kind where expected (a
//  Java type name: "List") was wanted; the same words zyn_value uses

static int
s_unexpected (const json_t *json, const char *expected, zyn_error_t *err)
{
    if (json_is_object (json))
        return zyn_error_set (err, ZYN_ERR_SERIALIZATION,
                              "Start of structure or map found where not "
                              "expected.");
    if (json_is_array (json))
        return zyn_error_set (err, ZYN_ERR_SERIALIZATION,
                              "Start of list found where not expected");
    const char *token = json_is_string (json)   ? "VALUE_STRING"
                      : json_is_number (json)   ? "NUMBER_VALUE"
                      : json_is_true (json)     ? "TRUE_VALUE"
                      : json_is_false (json)    ? "FALSE_VALUE"
                                                : "NULL_VALUE";
    return zyn_error_set (err, ZYN_ERR_SERIALIZATION,
                          "%s cannot be converted to %s", token, expected);
}

//  --------------------------------------------------------------------------
//  A JSON number as a normalised N. Integers keep all their digits; reals
//  take the shortest text that reads back as the same double.

static zyn_value_t *
s_number_from_json (const json_t *json, zyn_error_t *err)
{
    char text [64];
    if (json_is_integer (json))
        snprintf (text, sizeof (text), "%" JSON_INTEGER_FORMAT,
                  json_integer_value (json));
    else {
        double real = json_real_value (json);
        for (int precision = 15; precision <= 17; precision++) {
            snprintf (text, sizeof (text), "%.*g", precision, real);
            if (strtod (text, NULL) == real)
                break;
        }
    }
    return zyn_value_new_n (text, err);
}

static zyn_value_t *
    s_plain_from_json (json_t *json, const char *parent, int depth,
                       zyn_error_t *err);

//  --------------------------------------------------------------------------
//  A list whose every element is converted by convert

static zyn_value_t *
s_list_from_json (json_t *json,
                  zyn_value_t *(*convert) (json_t *, zyn_error_t *),
                  zyn_error_t *err)
{
    if (!json_is_array (json)) {
        s_unexpected (json, "List", err);
        return NULL;
    }
    zyn_value_t *list = zyn_value_new_l ();
    size_t index;
    json_t *element;
    json_array_foreach (json, index, element) {
        zyn_value_t *value = convert (element, err);
        if (!value) {
            zyn_value_destroy (&list);
            return NULL;
        }
        zyn_value_list_append (list, &value);
    }
    return list;
}

//  --------------------------------------------------------------------------
//  An item: an object of attribute names to attribute values

static zyn_value_t *
s_item_from_json (json_t *json, zyn_error_t *err)
{
    return zyn_value_from_jansson_map (json, err);
}

static zyn_value_t *
s_item_list_from_json (json_t *json, zyn_error_t *err)
{
    return s_list_from_json (json, s_item_from_json, err);
}

static zyn_value_t *
s_value_from_json (json_t *json, zyn_error_t *err)
{
    return zyn_value_from_jansson (json, err);
}

//  --------------------------------------------------------------------------
//  Convert one member's value according to its shape

static zyn_value_t *
s_member_from_json (json_t *json, const char *name, const char *parent,
                    int depth, zyn_error_t *err)
{
    switch (s_shape (name, parent)) {
        case SHAPE_VALUE:
            return s_value_from_json (json, err);
        case SHAPE_VALUE_LIST:
            return s_list_from_json (json, s_value_from_json, err);
        case SHAPE_ITEM:
            return s_item_from_json (json, err);
        case SHAPE_ITEM_LIST:
            return s_item_list_from_json (json, err);
        case SHAPE_ITEM_OR_LIST:
            if (json_is_array (json))
                return s_item_list_from_json (json, err);
            return s_item_from_json (json, err);
        case SHAPE_RESPONSES:
            if (json_is_object (json)) {
                //  BatchGetItem: table name -> list of items
                zyn_value_t *map = zyn_value_new_m ();
                const char *table;
                json_t *items;
                json_object_foreach (json, table, items) {
                    zyn_value_t *list = s_item_list_from_json (items, err);
                    if (!list) {
                        zyn_value_destroy (&map);
                        return NULL;
                    }
                    zyn_value_map_put (map, table, &list);
                }
                return map;
            }
            //  TransactGetItems: a list of {"Item": ...}
            return s_plain_from_json (json, name, depth + 1, err);
        case SHAPE_PLAIN:
            break;
    }
    return s_plain_from_json (json, name, depth + 1, err);
}

//  --------------------------------------------------------------------------
//  Plain JSON, held under a member called parent (NULL at the top)

static zyn_value_t *
s_plain_from_json (json_t *json, const char *parent, int depth,
                   zyn_error_t *err)
{
    if (depth > JSON_DEPTH_MAX) {
        zyn_error_set (err, ZYN_ERR_SERIALIZATION,
                       "JSON nested more than %d levels deep", JSON_DEPTH_MAX);
        return NULL;
    }
    switch (json_typeof (json)) {
        case JSON_OBJECT: {
            zyn_value_t *map = zyn_value_new_m ();
            const char *name;
            json_t *member;
            json_object_foreach (json, name, member) {
                //  A null parameter is an absent one, as in DynamoDB
                if (json_is_null (member)
                    && s_shape (name, parent) != SHAPE_PLAIN)
                    continue;
                zyn_value_t *value
                    = s_member_from_json (member, name, parent, depth, err);
                if (!value) {
                    zyn_value_destroy (&map);
                    return NULL;
                }
                zyn_value_map_put (map, name, &value);
            }
            return map;
        }
        case JSON_ARRAY: {
            zyn_value_t *list = zyn_value_new_l ();
            size_t index;
            json_t *element;
            json_array_foreach (json, index, element) {
                zyn_value_t *value
                    = s_plain_from_json (element, parent, depth + 1, err);
                if (!value) {
                    zyn_value_destroy (&list);
                    return NULL;
                }
                zyn_value_list_append (list, &value);
            }
            return list;
        }
        case JSON_STRING:
            return zyn_value_new_sn (json_string_value (json),
                                     json_string_length (json));
        case JSON_INTEGER:
        case JSON_REAL:
            return s_number_from_json (json, err);
        case JSON_TRUE:
            return zyn_value_new_bool (true);
        case JSON_FALSE:
            return zyn_value_new_bool (false);
        case JSON_NULL:
            return zyn_value_new_null ();
    }
    s_unexpected (json, "Map", err);
    return NULL;
}

//  --------------------------------------------------------------------------
//  Convert the JSON text of a DynamoDB request into a native request map.
//  Returns the map (caller owns it), or NULL with err.

zyn_value_t *
zyn_json_to_request (const char *json, size_t size, zyn_error_t *err)
{
    json_error_t jerr;
    json_t *root = json_loadb (json ? json : "", json ? size : 0,
                              JSON_ALLOW_NUL | JSON_DECODE_ANY, &jerr);
    if (!root) {
        zyn_error_set (err, ZYN_ERR_SERIALIZATION,
                       "%s at line %d, column %d", jerr.text, jerr.line,
                       jerr.column);
        return NULL;
    }
    zyn_value_t *request = NULL;
    if (json_is_object (root))
        request = s_plain_from_json (root, NULL, 0, err);
    else
        s_unexpected (root, "Map", err);
    json_decref (root);
    return request;
}

//  --------------------------------------------------------------------------
//  Rendering: the inverse of the above

static json_t *
    s_plain_to_json (const zyn_value_t *value, const char *parent);

//  A string, even if it is not valid UTF-8 (which a native peer may send)

static json_t *
s_string_to_json (const char *data, size_t size)
{
    json_t *json = json_stringn (data, size);
    return json ? json : json_stringn_nocheck (data, size);
}

//  An N as a JSON number: integers as integers while they fit, else a real

static json_t *
s_number_to_json (const zyn_value_t *value)
{
    const char *text = zyn_value_data (value);
    if (!strpbrk (text, ".eE")) {
        errno = 0;
        char *end;
        long long integer = strtoll (text, &end, 10);
        if (errno == 0 && *end == 0)
            return json_integer (integer);
    }
    return json_real (strtod (text, NULL));
}

//  Binary as base64 text

static json_t *
s_binary_to_json (const zyn_value_t *value)
{
    size_t size = zyn_value_size (value);
    char *text = (char *) zmalloc (4 * ((size + 2) / 3) + 1);
    static const char alphabet []
        = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const uint8_t *data = (const uint8_t *) zyn_value_data (value);
    size_t out = 0;
    for (size_t i = 0; i < size; i += 3) {
        uint32_t chunk = (uint32_t) data [i] << 16;
        if (i + 1 < size)
            chunk |= (uint32_t) data [i + 1] << 8;
        if (i + 2 < size)
            chunk |= data [i + 2];
        text [out++] = alphabet [(chunk >> 18) & 63];
        text [out++] = alphabet [(chunk >> 12) & 63];
        text [out++] = i + 1 < size ? alphabet [(chunk >> 6) & 63] : '=';
        text [out++] = i + 2 < size ? alphabet [chunk & 63] : '=';
    }
    json_t *json = json_stringn (text, out);
    free (text);
    return json;
}

static json_t *
s_item_to_json (const zyn_value_t *value)
{
    if (zyn_value_type (value) != ZYN_TYPE_M)
        return s_plain_to_json (value, NULL);
    return zyn_value_to_jansson_map (value);
}

static json_t *
s_item_list_to_json (const zyn_value_t *value)
{
    if (zyn_value_type (value) != ZYN_TYPE_L)
        return s_plain_to_json (value, NULL);
    json_t *array = json_array ();
    for (size_t i = 0; i < zyn_value_size (value); i++)
        json_array_append_new (array,
                               s_item_to_json (zyn_value_list_get (value, i)));
    return array;
}

static json_t *
s_member_to_json (const zyn_value_t *value, const char *name,
                  const char *parent)
{
    switch (s_shape (name, parent)) {
        case SHAPE_VALUE:
            return zyn_value_to_jansson (value);
        case SHAPE_VALUE_LIST:
            if (zyn_value_type (value) == ZYN_TYPE_L) {
                json_t *array = json_array ();
                for (size_t i = 0; i < zyn_value_size (value); i++)
                    json_array_append_new (
                        array,
                        zyn_value_to_jansson (zyn_value_list_get (value, i)));
                return array;
            }
            break;
        case SHAPE_ITEM:
            return s_item_to_json (value);
        case SHAPE_ITEM_LIST:
            return s_item_list_to_json (value);
        case SHAPE_ITEM_OR_LIST:
            if (zyn_value_type (value) == ZYN_TYPE_L)
                return s_item_list_to_json (value);
            return s_item_to_json (value);
        case SHAPE_RESPONSES:
            if (zyn_value_type (value) == ZYN_TYPE_M) {
                json_t *object = json_object ();
                for (size_t i = 0; i < zyn_value_size (value); i++)
                    json_object_set_new (
                        object, zyn_value_map_name (value, i),
                        s_item_list_to_json (zyn_value_map_value (value, i)));
                return object;
            }
            break;
        case SHAPE_PLAIN:
            break;
    }
    return s_plain_to_json (value, name);
}

static json_t *
s_plain_to_json (const zyn_value_t *value, const char *parent)
{
    switch (zyn_value_type (value)) {
        case ZYN_TYPE_S:
            return s_string_to_json (zyn_value_data (value),
                                     zyn_value_size (value));
        case ZYN_TYPE_N:
            return s_number_to_json (value);
        case ZYN_TYPE_B:
            return s_binary_to_json (value);
        case ZYN_TYPE_BOOL:
            return json_boolean (zyn_value_bool (value));
        case ZYN_TYPE_NULL:
            return json_null ();
        case ZYN_TYPE_M: {
            json_t *object = json_object ();
            for (size_t i = 0; i < zyn_value_size (value); i++) {
                const char *name = zyn_value_map_name (value, i);
                json_object_set_new_nocheck (
                    object, name,
                    s_member_to_json (zyn_value_map_value (value, i), name,
                                      parent));
            }
            return object;
        }
        case ZYN_TYPE_L:
        case ZYN_TYPE_SS:
        case ZYN_TYPE_NS:
        case ZYN_TYPE_BS: {
            json_t *array = json_array ();
            for (size_t i = 0; i < zyn_value_size (value); i++)
                json_array_append_new (
                    array,
                    s_plain_to_json (zyn_value_list_get (value, i), parent));
            return array;
        }
    }
    return json_null ();
}

//  --------------------------------------------------------------------------
//  Render a native response map as DynamoDB's JSON response text. Caller
//  owns the string and must free () it; its length goes into *size.

char *
zyn_json_from_response (const zyn_value_t *response, size_t *size)
{
    json_t *root = response ? s_plain_to_json (response, NULL)
                            : json_object ();
    char *text = json_dumps (root, JSON_COMPACT | JSON_ENCODE_ANY
                                       | JSON_REAL_PRECISION (15));
    json_decref (root);
    if (!text)
        text = strdup ("{}");
    if (size)
        *size = strlen (text);
    return text;
}

/*  =========================================================================
    zyn_json - DynamoDB's JSON API bodies to native request maps and back

    DynamoDB's JSON carries attribute values in typed form ({"S": "x"}) only
    at positions named by the parameter that holds them: Item, Key,
    ExpressionAttributeValues, Items, Responses, Value, AttributeValueList,
    Parameters and a few more (s_shape). Everything else is plain JSON and
    maps onto the value tree mechanically: string S, number N, boolean
    BOOL, null NULL, object M, array L. Requests are parsed by Jansson and
    their attribute values converted by zyn_value_from_jansson, so they
    share DynamoDB's validation and messages. Responses are written
    straight into one growing buffer, with no tree in between: that was a
    quarter of the gateway's CPU.

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
        if (s_shapes [i].name [0] == name [0]
            && streq (s_shapes [i].name, name))
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
//  Rendering: the inverse of the above, written straight into one growing
//  buffer. The text is byte for byte what Jansson's json_dumps made of the
//  equivalent tree (JSON_COMPACT, JSON_REAL_PRECISION (15)), which this
//  renderer replaced; tests/check_zyn_json.c keeps that renderer and
//  compares the two. Where Jansson would have dropped a member (a number
//  that is not finite, an item member name that is not UTF-8) this drops
//  it too, and where its dump would have failed (other text that is not
//  UTF-8) the whole response is "{}".

typedef struct {
    char *data;                 //  The text so far, not NUL-terminated
    size_t size;                //  Bytes in data
    size_t max;                 //  Bytes allocated
    bool failed;                //  Text that is not UTF-8 was met
} s_text_t;

//  Result of rendering one value
#define RENDERED 0
#define DROPPED -1              //  No text; the container leaves it out

//  Make room for extra more bytes
static inline void
s_text_reserve (s_text_t *self, size_t extra)
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
s_text_put (s_text_t *self, const char *data, size_t size)
{
    s_text_reserve (self, size);
    memcpy (self->data + self->size, data, size);
    self->size += size;
}

static inline void
s_text_putc (s_text_t *self, char c)
{
    s_text_reserve (self, 1);
    self->data [self->size++] = c;
}

//  Length of the UTF-8 sequence at data (size bytes left), or 0 if it is
//  not one: an overlong form, a surrogate or beyond U+10FFFF is not

static size_t
s_utf8_length (const uint8_t *data, size_t size)
{
    uint8_t first = data [0];
    size_t length;
    uint32_t point;
    if (first >= 0xC2 && first <= 0xDF) {
        length = 2;
        point = first & 0x1F;
    }
    else
    if (first >= 0xE0 && first <= 0xEF) {
        length = 3;
        point = first & 0x0F;
    }
    else
    if (first >= 0xF0 && first <= 0xF4) {
        length = 4;
        point = first & 0x07;
    }
    else
        return 0;
    if (length > size)
        return 0;
    for (size_t i = 1; i < length; i++) {
        if (data [i] < 0x80 || data [i] > 0xBF)
            return 0;
        point = (point << 6) | (data [i] & 0x3F);
    }
    if (point > 0x10FFFF
    || (point >= 0xD800 && point <= 0xDFFF)
    || (length == 3 && point < 0x800)
    || (length == 4 && point < 0x10000))
        return 0;
    return length;
}

//  True if the NUL-terminated string is UTF-8

static bool
s_is_utf8 (const char *string)
{
    const uint8_t *data = (const uint8_t *) string;
    size_t size = strlen (string);
    for (size_t i = 0; i < size; ) {
        if (data [i] < 0x80)
            i++;
        else {
            size_t length = s_utf8_length (data + i, size - i);
            if (!length)
                return false;
            i += length;
        }
    }
    return true;
}

//  A quoted JSON string: '"', '\\' and control characters escaped, '/'
//  and non-ASCII as they are. If the data is not UTF-8, returns -1 with
//  nothing written, or when partial is true, with what Jansson's dump
//  wrote before it gave up: the opening quote and the text up to the last
//  escape before the fault.

static int
s_put_string (s_text_t *self, const char *string, size_t size, bool partial)
{
    static const char hex [] = "0123456789ABCDEF";
    //  At worst every byte becomes \u00XX
    s_text_reserve (self, size * 6 + 2);
    char *out = self->data + self->size;
    const uint8_t *data = (const uint8_t *) string;
    const uint8_t *limit = data + size;
    *out++ = '"';
    char *flushed = out;
    while (data < limit) {
        uint8_t c = *data;
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            *out++ = (char) c;
            data++;
        }
        else
        if (c >= 0x80) {
            size_t length = s_utf8_length (data, (size_t) (limit - data));
            if (!length) {
                if (partial)
                    self->size = (size_t) (flushed - self->data);
                return -1;
            }
            memcpy (out, data, length);
            out += length;
            data += length;
        }
        else {
            *out++ = '\\';
            switch (c) {
                case '"':  *out++ = '"'; break;
                case '\\': *out++ = '\\'; break;
                case '\b': *out++ = 'b'; break;
                case '\f': *out++ = 'f'; break;
                case '\n': *out++ = 'n'; break;
                case '\r': *out++ = 'r'; break;
                case '\t': *out++ = 't'; break;
                default:
                    *out++ = 'u';
                    *out++ = '0';
                    *out++ = '0';
                    *out++ = hex [c >> 4];
                    *out++ = hex [c & 15];
            }
            data++;
            flushed = out;
        }
    }
    *out++ = '"';
    self->size = (size_t) (out - self->data);
    return 0;
}

//  A string whose failure to be UTF-8 fails the whole text

static void
s_put_string_or_fail (s_text_t *self, const char *string, size_t size)
{
    if (s_put_string (self, string, size, false))
        self->failed = true;
}

//  A member name and its colon. Jansson's dump ignored a name that was
//  not UTF-8, leaving what it had written of it, and carried on; so does
//  this (only a plain map's names can be such: an item's are checked).

static void
s_put_name (s_text_t *self, const char *name)
{
    s_put_string (self, name, strlen (name), true);
    s_text_putc (self, ':');
}

//  Binary as quoted base64 text

static void
s_put_binary (s_text_t *self, const zyn_value_t *value)
{
    static const char alphabet []
        = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t size = zyn_value_size (value);
    const uint8_t *data = (const uint8_t *) zyn_value_data (value);
    s_text_reserve (self, 4 * ((size + 2) / 3) + 2);
    char *out = self->data + self->size;
    *out++ = '"';
    size_t i = 0;
    for (; i + 3 <= size; i += 3) {
        uint32_t chunk = (uint32_t) data [i] << 16
                       | (uint32_t) data [i + 1] << 8 | data [i + 2];
        *out++ = alphabet [(chunk >> 18) & 63];
        *out++ = alphabet [(chunk >> 12) & 63];
        *out++ = alphabet [(chunk >> 6) & 63];
        *out++ = alphabet [chunk & 63];
    }
    if (i < size) {
        uint32_t chunk = (uint32_t) data [i] << 16;
        if (i + 1 < size)
            chunk |= (uint32_t) data [i + 1] << 8;
        *out++ = alphabet [(chunk >> 18) & 63];
        *out++ = alphabet [(chunk >> 12) & 63];
        *out++ = i + 1 < size ? alphabet [(chunk >> 6) & 63] : '=';
        *out++ = '=';
    }
    *out++ = '"';
    self->size = (size_t) (out - self->data);
}

//  True if text is how printf's %lld writes some long long: an optional
//  '-', then "0" or up to 18 digits not starting with 0, and not "-0"

static bool
s_is_plain_integer (const char *text)
{
    const char *digits = *text == '-' ? text + 1 : text;
    size_t count = 0;
    while (digits [count] >= '0' && digits [count] <= '9')
        count++;
    if (count == 0 || count > 18 || digits [count])
        return false;
    if (digits [0] == '0')
        return count == 1 && digits == text;
    return true;
}

//  If text is a plain decimal fraction ([-]digits.digits) that printf's
//  %.15g writes without an exponent and without rounding, writes what it
//  writes (with Jansson's ".0" if that has no '.') and returns true. That
//  is the digits with the fraction's trailing zeros (and then a bare '.')
//  cut, so long as there are at most 15 significant digits (a double holds
//  15 exactly) and the number is at least 1e-4, below 1e15 and not zero.

static bool
s_put_short_fraction (s_text_t *self, const char *text)
{
    const char *digits = *text == '-' ? text + 1 : text;
    const char *point = NULL;
    const char *first = NULL;        //  First nonzero digit
    const char *last = NULL;         //  Last nonzero digit
    const char *cursor = digits;
    for (; *cursor; cursor++) {
        if (*cursor == '.') {
            if (point)
                return false;
            point = cursor;
        }
        else
        if (*cursor >= '0' && *cursor <= '9') {
            if (*cursor != '0') {
                if (!first)
                    first = cursor;
                last = cursor;
            }
        }
        else
            return false;
    }
    if (!point || !first || point == digits || !point [1])
        return false;
    //  Significant digits, not counting the point
    size_t significant = (size_t) (last - first) + 1
                       - (first < point && last > point);
    if (significant > 15)
        return false;
    if (first > point) {
        //  0.000ddd: %g writes an exponent below 1e-4
        if (digits [0] != '0' || point != digits + 1 || first - point > 4)
            return false;
    }
    else
    if (digits [0] == '0' || point - digits > 15)
        return false;           //  A leading zero, or 1e15 or more
    //  Cut at the last nonzero digit, or before the point
    const char *end = last > point ? last + 1 : point;
    s_text_put (self, text, (size_t) (end - text));
    if (end == point)
        s_text_put (self, ".0", 2);
    return true;
}

//  An N as a JSON number: integers as integers while they fit in 64 bits,
//  else a real with 15 significant digits, always with a '.' or an
//  exponent, the exponent without '+' or leading zeros. A number that is
//  not finite is dropped.

static int
s_put_number (s_text_t *self, const zyn_value_t *value)
{
    const char *text = zyn_value_data (value);
    char number [100];
    if (!strpbrk (text, ".eE")) {
        if (s_is_plain_integer (text)) {
            s_text_put (self, text, zyn_value_size (value));
            return RENDERED;
        }
        errno = 0;
        char *end;
        long long integer = strtoll (text, &end, 10);
        if (errno == 0 && *end == 0) {
            int length = snprintf (number, sizeof (number), "%lld", integer);
            s_text_put (self, number, (size_t) length);
            return RENDERED;
        }
    }
    else
    if (s_put_short_fraction (self, text))
        return RENDERED;
    double real = strtod (text, NULL);
    if (!isfinite (real))
        return DROPPED;
    size_t length
        = (size_t) snprintf (number, sizeof (number), "%.15g", real);
    if (!strchr (number, '.') && !strchr (number, 'e')) {
        memcpy (number + length, ".0", 3);
        length += 2;
    }
    char *exponent = strchr (number, 'e');
    if (exponent) {
        char *start = exponent + 1;
        if (*start == '-')
            start++;
        char *digits = start;
        if (*digits == '+')
            digits++;
        while (*digits == '0' && digits [1])
            digits++;
        size_t tail = length - (size_t) (digits - number);
        memmove (start, digits, tail + 1);
        length = (size_t) (start - number) + tail;
    }
    s_text_put (self, number, length);
    return RENDERED;
}

static void
    s_put_attribute (s_text_t *self, const zyn_value_t *value);

//  An attribute value's S: text that is not UTF-8 becomes ""

static void
s_put_attribute_string (s_text_t *self, const zyn_value_t *value)
{
    if (s_put_string (self, zyn_value_data (value), zyn_value_size (value),
                      false))
        s_text_put (self, "\"\"", 2);
}

//  An item: attribute name -> attribute value. A member whose name is not
//  UTF-8 is left out.

static void
s_put_item (s_text_t *self, const zyn_value_t *value)
{
    s_text_putc (self, '{');
    bool first = true;
    for (size_t i = 0; i < zyn_value_size (value); i++) {
        const char *name = zyn_value_map_name (value, i);
        if (!s_is_utf8 (name))
            continue;
        if (!first)
            s_text_putc (self, ',');
        first = false;
        s_put_name (self, name);
        s_put_attribute (self, zyn_value_map_value (value, i));
    }
    s_text_putc (self, '}');
}

//  One attribute value in typed form: {"S":"x"}

static void
s_put_attribute (s_text_t *self, const zyn_value_t *value)
{
    zyn_type_t type = zyn_value_type (value);
    s_text_putc (self, '{');
    s_put_name (self, zyn_type_name (type));
    switch (type) {
        case ZYN_TYPE_S:
            s_put_attribute_string (self, value);
            break;
        case ZYN_TYPE_N:
            s_put_string_or_fail (self, zyn_value_data (value),
                                  zyn_value_size (value));
            break;
        case ZYN_TYPE_B:
            s_put_binary (self, value);
            break;
        case ZYN_TYPE_BOOL:
            if (zyn_value_bool (value))
                s_text_put (self, "true", 4);
            else
                s_text_put (self, "false", 5);
            break;
        case ZYN_TYPE_NULL:
            s_text_put (self, "true", 4);
            break;
        case ZYN_TYPE_M:
            s_put_item (self, value);
            break;
        default:
            s_text_putc (self, '[');
            for (size_t i = 0; i < zyn_value_size (value); i++) {
                const zyn_value_t *element = zyn_value_list_get (value, i);
                if (i)
                    s_text_putc (self, ',');
                if (type == ZYN_TYPE_L)
                    s_put_attribute (self, element);
                else
                if (type == ZYN_TYPE_BS)
                    s_put_binary (self, element);
                else
                if (zyn_value_type (element) == ZYN_TYPE_S)
                    s_put_attribute_string (self, element);
                else
                    s_put_string_or_fail (self, zyn_value_data (element),
                                          zyn_value_size (element));
            }
            s_text_putc (self, ']');
    }
    s_text_putc (self, '}');
}

static int
    s_put_plain (s_text_t *self, const zyn_value_t *value,
                 const char *parent);

//  An item in an item position, or plain JSON if it is not a map

static int
s_put_item_or_plain (s_text_t *self, const zyn_value_t *value)
{
    if (zyn_value_type (value) != ZYN_TYPE_M)
        return s_put_plain (self, value, NULL);
    s_put_item (self, value);
    return RENDERED;
}

//  A list of items, or plain JSON if it is not a list

static int
s_put_item_list (s_text_t *self, const zyn_value_t *value)
{
    if (zyn_value_type (value) != ZYN_TYPE_L)
        return s_put_plain (self, value, NULL);
    s_text_putc (self, '[');
    bool first = true;
    for (size_t i = 0; i < zyn_value_size (value); i++) {
        size_t mark = self->size;
        if (!first)
            s_text_putc (self, ',');
        if (s_put_item_or_plain (self, zyn_value_list_get (value, i))
            == DROPPED)
            self->size = mark;
        else
            first = false;
    }
    s_text_putc (self, ']');
    return RENDERED;
}

//  One member's value according to its shape

static int
s_put_member (s_text_t *self, const zyn_value_t *value, const char *name,
              const char *parent)
{
    zyn_type_t type = zyn_value_type (value);
    switch (s_shape (name, parent)) {
        case SHAPE_VALUE:
            s_put_attribute (self, value);
            return RENDERED;
        case SHAPE_VALUE_LIST:
            if (type == ZYN_TYPE_L) {
                s_text_putc (self, '[');
                for (size_t i = 0; i < zyn_value_size (value); i++) {
                    if (i)
                        s_text_putc (self, ',');
                    s_put_attribute (self, zyn_value_list_get (value, i));
                }
                s_text_putc (self, ']');
                return RENDERED;
            }
            break;
        case SHAPE_ITEM:
            return s_put_item_or_plain (self, value);
        case SHAPE_ITEM_LIST:
            return s_put_item_list (self, value);
        case SHAPE_ITEM_OR_LIST:
            if (type == ZYN_TYPE_L)
                return s_put_item_list (self, value);
            return s_put_item_or_plain (self, value);
        case SHAPE_RESPONSES:
            if (type == ZYN_TYPE_M) {
                //  Table name -> list of items
                s_text_putc (self, '{');
                bool first = true;
                for (size_t i = 0; i < zyn_value_size (value); i++) {
                    const char *table = zyn_value_map_name (value, i);
                    if (!s_is_utf8 (table))
                        continue;
                    size_t mark = self->size;
                    if (!first)
                        s_text_putc (self, ',');
                    s_put_name (self, table);
                    if (s_put_item_list (self, zyn_value_map_value (value, i))
                        == DROPPED)
                        self->size = mark;
                    else
                        first = false;
                }
                s_text_putc (self, '}');
                return RENDERED;
            }
            break;
        case SHAPE_PLAIN:
            break;
    }
    return s_put_plain (self, value, name);
}

//  Plain JSON, held under a member called parent (NULL at the top)

static int
s_put_plain (s_text_t *self, const zyn_value_t *value, const char *parent)
{
    switch (zyn_value_type (value)) {
        case ZYN_TYPE_S:
            s_put_string_or_fail (self, zyn_value_data (value),
                                  zyn_value_size (value));
            return RENDERED;
        case ZYN_TYPE_N:
            return s_put_number (self, value);
        case ZYN_TYPE_B:
            s_put_binary (self, value);
            return RENDERED;
        case ZYN_TYPE_BOOL:
            if (zyn_value_bool (value))
                s_text_put (self, "true", 4);
            else
                s_text_put (self, "false", 5);
            return RENDERED;
        case ZYN_TYPE_NULL:
            break;
        case ZYN_TYPE_M: {
            s_text_putc (self, '{');
            bool first = true;
            for (size_t i = 0; i < zyn_value_size (value); i++) {
                const char *name = zyn_value_map_name (value, i);
                size_t mark = self->size;
                if (!first)
                    s_text_putc (self, ',');
                s_put_name (self, name);
                if (s_put_member (self, zyn_value_map_value (value, i), name,
                                  parent) == DROPPED)
                    self->size = mark;
                else
                    first = false;
            }
            s_text_putc (self, '}');
            return RENDERED;
        }
        case ZYN_TYPE_L:
        case ZYN_TYPE_SS:
        case ZYN_TYPE_NS:
        case ZYN_TYPE_BS: {
            s_text_putc (self, '[');
            bool first = true;
            for (size_t i = 0; i < zyn_value_size (value); i++) {
                size_t mark = self->size;
                if (!first)
                    s_text_putc (self, ',');
                if (s_put_plain (self, zyn_value_list_get (value, i), parent)
                    == DROPPED)
                    self->size = mark;
                else
                    first = false;
            }
            s_text_putc (self, ']');
            return RENDERED;
        }
    }
    s_text_put (self, "null", 4);
    return RENDERED;
}

//  --------------------------------------------------------------------------
//  Render a native response map as DynamoDB's JSON response text. Caller
//  owns the string and must free () it; its length goes into *size.

char *
zyn_json_from_response (const zyn_value_t *response, size_t *size)
{
    s_text_t text = { NULL, 0, 2048, false };
    text.data = (char *) malloc (text.max);
    assert (text.data);
    if (!response
    ||  s_put_plain (&text, response, NULL) == DROPPED
    ||  text.failed) {
        text.size = 0;
        s_text_put (&text, "{}", 2);
    }
    s_text_putc (&text, 0);
    if (size)
        *size = text.size - 1;
    return text.data;
}

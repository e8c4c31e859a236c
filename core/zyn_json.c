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
#include "zyn_json_private.h"
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
//  Convert the JSON text of a DynamoDB request into a native request map
//  through Jansson: what zyn_json_to_request does when its fast path
//  declines. Returns the map (caller owns it), or NULL with err.

zyn_value_t *
zyn_json_to_request_jansson (const char *json, size_t size, zyn_error_t *err)
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

//  Result of rendering one value
#define RENDERED 0
#define DROPPED -1              //  No text; the container leaves it out

//  Length of the UTF-8 sequence at data (size bytes left), or 0 if it is
//  not one: an overlong form, a surrogate or beyond U+10FFFF is not

size_t
zyn_json_utf8_length (const uint8_t *data, size_t size)
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
            size_t length = zyn_json_utf8_length (data + i, size - i);
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

int
zyn_json_put_string (zyn_json_text_t *self, const char *string, size_t size,
                     bool partial)
{
    static const char hex [] = "0123456789ABCDEF";
    //  At worst every byte becomes \u00XX
    zyn_json_text_reserve (self, size * 6 + 2);
    char *out = self->data + self->size;
    const uint8_t *data = (const uint8_t *) string;
    const uint8_t *limit = data + size;
    *out++ = '"';
    char *flushed = out;
    while (data < limit) {
        //  Eight plain bytes at a time (none below 0x20, none from 0x80,
        //  no '"' or '\\'): most of an item's text
        while (limit - data >= 8) {
            uint64_t word;
            memcpy (&word, data, 8);
            const uint64_t ones = 0x0101010101010101ULL;
            const uint64_t highs = 0x8080808080808080ULL;
            uint64_t quote = word ^ (ones * '"');
            uint64_t slash = word ^ (ones * '\\');
            //  A byte's high bit: set from 0x80 (word), or by the borrow
            //  of a byte below 0x20, or of a '"' or '\\' (a zero byte of
            //  quote or slash). A borrow may also mark the bytes above a
            //  special one, never a plain word.
            uint64_t special = ((word - ones * 0x20)
                                | (quote - ones) | (slash - ones) | word)
                             & highs;
            if (special)
                break;
            memcpy (out, data, 8);
            out += 8;
            data += 8;
        }
        if (data == limit)
            break;
        uint8_t c = *data;
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            *out++ = (char) c;
            data++;
        }
        else
        if (c >= 0x80) {
            size_t length = zyn_json_utf8_length (data, (size_t) (limit - data));
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
s_put_string_or_fail (zyn_json_text_t *self, const char *string, size_t size)
{
    if (zyn_json_put_string (self, string, size, false))
        self->failed = true;
}

//  A member name and its colon. Jansson's dump ignored a name that was
//  not UTF-8, leaving what it had written of it, and carried on; so does
//  this (only a plain map's names can be such: an item's are checked).

static void
s_put_name (zyn_json_text_t *self, const char *name)
{
    zyn_json_put_string (self, name, strlen (name), true);
    zyn_json_text_putc (self, ':');
}

//  Binary as quoted base64 text

void
zyn_json_put_base64 (zyn_json_text_t *self, const uint8_t *data, size_t size)
{
    static const char alphabet []
        = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    zyn_json_text_reserve (self, 4 * ((size + 2) / 3) + 2);
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

static void
s_put_binary (zyn_json_text_t *self, const zyn_value_t *value)
{
    zyn_json_put_base64 (self, (const uint8_t *) zyn_value_data (value),
                         zyn_value_size (value));
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
s_put_short_fraction (zyn_json_text_t *self, const char *text)
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
    zyn_json_text_put (self, text, (size_t) (end - text));
    if (end == point)
        zyn_json_text_put (self, ".0", 2);
    return true;
}

//  An N as a JSON number: integers as integers while they fit in 64 bits,
//  else a real with 15 significant digits, always with a '.' or an
//  exponent, the exponent without '+' or leading zeros. A number that is
//  not finite is dropped.

static int
s_put_number (zyn_json_text_t *self, const zyn_value_t *value)
{
    const char *text = zyn_value_data (value);
    char number [100];
    if (!strpbrk (text, ".eE")) {
        if (s_is_plain_integer (text)) {
            zyn_json_text_put (self, text, zyn_value_size (value));
            return RENDERED;
        }
        errno = 0;
        char *end;
        long long integer = strtoll (text, &end, 10);
        if (errno == 0 && *end == 0) {
            int length = snprintf (number, sizeof (number), "%lld", integer);
            zyn_json_text_put (self, number, (size_t) length);
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
    zyn_json_text_put (self, number, length);
    return RENDERED;
}

static void
    s_put_attribute (zyn_json_text_t *self, const zyn_value_t *value);

//  An attribute value's S: text that is not UTF-8 becomes ""

static void
s_put_attribute_string (zyn_json_text_t *self, const zyn_value_t *value)
{
    if (zyn_json_put_string (self, zyn_value_data (value), zyn_value_size (value),
                      false))
        zyn_json_text_put (self, "\"\"", 2);
}

//  An item: attribute name -> attribute value. A member whose name is not
//  UTF-8 is left out.

static void
s_put_item (zyn_json_text_t *self, const zyn_value_t *value)
{
    zyn_json_text_putc (self, '{');
    bool first = true;
    for (size_t i = 0; i < zyn_value_size (value); i++) {
        const char *name = zyn_value_map_name (value, i);
        if (!s_is_utf8 (name))
            continue;
        if (!first)
            zyn_json_text_putc (self, ',');
        first = false;
        s_put_name (self, name);
        s_put_attribute (self, zyn_value_map_value (value, i));
    }
    zyn_json_text_putc (self, '}');
}

//  One attribute value in typed form: {"S":"x"}

static void
s_put_attribute (zyn_json_text_t *self, const zyn_value_t *value)
{
    zyn_type_t type = zyn_value_type (value);
    zyn_json_text_putc (self, '{');
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
                zyn_json_text_put (self, "true", 4);
            else
                zyn_json_text_put (self, "false", 5);
            break;
        case ZYN_TYPE_NULL:
            zyn_json_text_put (self, "true", 4);
            break;
        case ZYN_TYPE_M:
            s_put_item (self, value);
            break;
        default:
            zyn_json_text_putc (self, '[');
            for (size_t i = 0; i < zyn_value_size (value); i++) {
                const zyn_value_t *element = zyn_value_list_get (value, i);
                if (i)
                    zyn_json_text_putc (self, ',');
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
            zyn_json_text_putc (self, ']');
    }
    zyn_json_text_putc (self, '}');
}

static int
    s_put_plain (zyn_json_text_t *self, const zyn_value_t *value,
                 const char *parent);

//  An item in an item position, or plain JSON if it is not a map

static int
s_put_item_or_plain (zyn_json_text_t *self, const zyn_value_t *value)
{
    if (zyn_value_type (value) != ZYN_TYPE_M)
        return s_put_plain (self, value, NULL);
    s_put_item (self, value);
    return RENDERED;
}

//  A list of items, or plain JSON if it is not a list

static int
s_put_item_list (zyn_json_text_t *self, const zyn_value_t *value)
{
    if (zyn_value_type (value) != ZYN_TYPE_L)
        return s_put_plain (self, value, NULL);
    zyn_json_text_putc (self, '[');
    bool first = true;
    for (size_t i = 0; i < zyn_value_size (value); i++) {
        size_t mark = self->size;
        if (!first)
            zyn_json_text_putc (self, ',');
        if (s_put_item_or_plain (self, zyn_value_list_get (value, i))
            == DROPPED)
            self->size = mark;
        else
            first = false;
    }
    zyn_json_text_putc (self, ']');
    return RENDERED;
}

//  One member's value according to its shape

static int
s_put_member (zyn_json_text_t *self, const zyn_value_t *value, const char *name,
              const char *parent)
{
    zyn_type_t type = zyn_value_type (value);
    switch (s_shape (name, parent)) {
        case SHAPE_VALUE:
            s_put_attribute (self, value);
            return RENDERED;
        case SHAPE_VALUE_LIST:
            if (type == ZYN_TYPE_L) {
                zyn_json_text_putc (self, '[');
                for (size_t i = 0; i < zyn_value_size (value); i++) {
                    if (i)
                        zyn_json_text_putc (self, ',');
                    s_put_attribute (self, zyn_value_list_get (value, i));
                }
                zyn_json_text_putc (self, ']');
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
                zyn_json_text_putc (self, '{');
                bool first = true;
                for (size_t i = 0; i < zyn_value_size (value); i++) {
                    const char *table = zyn_value_map_name (value, i);
                    if (!s_is_utf8 (table))
                        continue;
                    size_t mark = self->size;
                    if (!first)
                        zyn_json_text_putc (self, ',');
                    s_put_name (self, table);
                    if (s_put_item_list (self, zyn_value_map_value (value, i))
                        == DROPPED)
                        self->size = mark;
                    else
                        first = false;
                }
                zyn_json_text_putc (self, '}');
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
s_put_plain (zyn_json_text_t *self, const zyn_value_t *value, const char *parent)
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
                zyn_json_text_put (self, "true", 4);
            else
                zyn_json_text_put (self, "false", 5);
            return RENDERED;
        case ZYN_TYPE_NULL:
            break;
        case ZYN_TYPE_M: {
            zyn_json_text_putc (self, '{');
            bool first = true;
            for (size_t i = 0; i < zyn_value_size (value); i++) {
                const char *name = zyn_value_map_name (value, i);
                size_t mark = self->size;
                if (!first)
                    zyn_json_text_putc (self, ',');
                s_put_name (self, name);
                if (s_put_member (self, zyn_value_map_value (value, i), name,
                                  parent) == DROPPED)
                    self->size = mark;
                else
                    first = false;
            }
            zyn_json_text_putc (self, '}');
            return RENDERED;
        }
        case ZYN_TYPE_L:
        case ZYN_TYPE_SS:
        case ZYN_TYPE_NS:
        case ZYN_TYPE_BS: {
            zyn_json_text_putc (self, '[');
            bool first = true;
            for (size_t i = 0; i < zyn_value_size (value); i++) {
                size_t mark = self->size;
                if (!first)
                    zyn_json_text_putc (self, ',');
                if (s_put_plain (self, zyn_value_list_get (value, i), parent)
                    == DROPPED)
                    self->size = mark;
                else
                    first = false;
            }
            zyn_json_text_putc (self, ']');
            return RENDERED;
        }
    }
    zyn_json_text_put (self, "null", 4);
    return RENDERED;
}

//  --------------------------------------------------------------------------
//  Render a native response map as DynamoDB's JSON response text. Caller
//  owns the string and must free () it; its length goes into *size.

char *
zyn_json_from_response (const zyn_value_t *response, size_t *size)
{
    zyn_json_text_t text = { NULL, 0, 2048, false };
    text.data = (char *) malloc (text.max);
    assert (text.data);
    if (!response
    ||  s_put_plain (&text, response, NULL) == DROPPED
    ||  text.failed) {
        text.size = 0;
        zyn_json_text_put (&text, "{}", 2);
    }
    zyn_json_text_putc (&text, 0);
    if (size)
        *size = text.size - 1;
    return text.data;
}

//  --------------------------------------------------------------------------
//  Parsing's fast path: the common requests, read straight from the text
//  into the value tree. It takes only what it can convert exactly as
//  Jansson and the conversions above would (same values, same order) and
//  declines everything else by returning NULL: any syntax or conversion
//  error, reals, integers beyond 18 digits, \u0000, B and BS values, a
//  null where an attribute value goes, duplicate member names, names of
//  256 bytes or more, deep nesting. zyn_json_to_request then parses the
//  text again through Jansson, which gives the error or the value; so
//  errors and their messages are Jansson's and DynamoDB's as before.

typedef struct {
    const uint8_t *cursor;      //  Next byte of the text
    const uint8_t *limit;       //  End of the text
    zyn_json_text_t scratch;           //  The last string read, unescaped
} s_parser_t;

//  Deepest nesting the fast path follows, plain and attribute values
#define FAST_DEPTH_MAX 32
//  Longest member name it takes, NUL included
#define FAST_NAME_MAX 256

static zyn_value_t *
    s_fast_plain (s_parser_t *self, const char *parent, int depth);

static inline void
s_fast_skip (s_parser_t *self)
{
    while (self->cursor < self->limit
        && (*self->cursor == ' ' || *self->cursor == '\n'
         || *self->cursor == '\r' || *self->cursor == '\t'))
        self->cursor++;
}

//  True if the next token is c (which it then consumes)
static inline bool
s_fast_accept (s_parser_t *self, char c)
{
    s_fast_skip (self);
    if (self->cursor < self->limit && *self->cursor == (uint8_t) c) {
        self->cursor++;
        return true;
    }
    return false;
}

//  True if the next token starts with c (not consumed)
static inline bool
s_fast_peek (s_parser_t *self, char c)
{
    s_fast_skip (self);
    return self->cursor < self->limit && *self->cursor == (uint8_t) c;
}

//  Four hex digits at the cursor, or -1
static int32_t
s_fast_hex4 (s_parser_t *self)
{
    if (self->limit - self->cursor < 4)
        return -1;
    int32_t point = 0;
    for (int i = 0; i < 4; i++) {
        uint8_t c = self->cursor [i];
        point <<= 4;
        if (c >= '0' && c <= '9')
            point |= c - '0';
        else
        if (c >= 'a' && c <= 'f')
            point |= c - 'a' + 10;
        else
        if (c >= 'A' && c <= 'F')
            point |= c - 'A' + 10;
        else
            return -1;
    }
    self->cursor += 4;
    return point;
}

//  A \\u escape's code point (the cursor after the 'u') into scratch as
//  UTF-8; false for U+0000 and for surrogates not in a proper pair
static bool
s_fast_unicode (s_parser_t *self)
{
    int32_t point = s_fast_hex4 (self);
    if (point <= 0 || (point >= 0xDC00 && point <= 0xDFFF))
        return false;
    if (point >= 0xD800 && point <= 0xDBFF) {
        if (self->limit - self->cursor < 2
        ||  self->cursor [0] != '\\' || self->cursor [1] != 'u')
            return false;
        self->cursor += 2;
        int32_t low = s_fast_hex4 (self);
        if (low < 0xDC00 || low > 0xDFFF)
            return false;
        point = 0x10000 + ((point - 0xD800) << 10) + (low - 0xDC00);
    }
    char utf8 [4];
    size_t length;
    if (point < 0x80) {
        utf8 [0] = (char) point;
        length = 1;
    }
    else
    if (point < 0x800) {
        utf8 [0] = (char) (0xC0 | (point >> 6));
        utf8 [1] = (char) (0x80 | (point & 0x3F));
        length = 2;
    }
    else
    if (point < 0x10000) {
        utf8 [0] = (char) (0xE0 | (point >> 12));
        utf8 [1] = (char) (0x80 | ((point >> 6) & 0x3F));
        utf8 [2] = (char) (0x80 | (point & 0x3F));
        length = 3;
    }
    else {
        utf8 [0] = (char) (0xF0 | (point >> 18));
        utf8 [1] = (char) (0x80 | ((point >> 12) & 0x3F));
        utf8 [2] = (char) (0x80 | ((point >> 6) & 0x3F));
        utf8 [3] = (char) (0x80 | (point & 0x3F));
        length = 4;
    }
    zyn_json_text_put (&self->scratch, utf8, length);
    return true;
}

//  A JSON string into scratch (unescaped, not NUL-terminated)
static bool
s_fast_string (s_parser_t *self)
{
    if (!s_fast_accept (self, '"'))
        return false;
    self->scratch.size = 0;
    const uint8_t *run = self->cursor;
    while (self->cursor < self->limit) {
        uint8_t c = *self->cursor;
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            self->cursor++;
            continue;
        }
        if (c >= 0x80) {
            size_t length = zyn_json_utf8_length (
                self->cursor, (size_t) (self->limit - self->cursor));
            if (!length)
                return false;
            self->cursor += length;
            continue;
        }
        if (c < 0x20)
            return false;
        zyn_json_text_put (&self->scratch, (const char *) run,
                    (size_t) (self->cursor - run));
        self->cursor++;
        if (c == '"')
            return true;
        //  A backslash escape
        if (self->cursor >= self->limit)
            return false;
        char escape = (char) *self->cursor++;
        switch (escape) {
            case '"':
            case '\\':
            case '/':
                zyn_json_text_putc (&self->scratch, escape);
                break;
            case 'b': zyn_json_text_putc (&self->scratch, '\b'); break;
            case 'f': zyn_json_text_putc (&self->scratch, '\f'); break;
            case 'n': zyn_json_text_putc (&self->scratch, '\n'); break;
            case 'r': zyn_json_text_putc (&self->scratch, '\r'); break;
            case 't': zyn_json_text_putc (&self->scratch, '\t'); break;
            case 'u':
                if (!s_fast_unicode (self))
                    return false;
                break;
            default:
                return false;
        }
        run = self->cursor;
    }
    return false;
}

//  A member name and its colon into name (FAST_NAME_MAX bytes)
static bool
s_fast_name (s_parser_t *self, char *name)
{
    if (!s_fast_string (self) || self->scratch.size >= FAST_NAME_MAX)
        return false;
    memcpy (name, self->scratch.data, self->scratch.size);
    name [self->scratch.size] = 0;
    return s_fast_accept (self, ':');
}

//  The literal word at the cursor, which must end there
static bool
s_fast_literal (s_parser_t *self, const char *word)
{
    s_fast_skip (self);
    size_t length = strlen (word);
    if ((size_t) (self->limit - self->cursor) < length
    ||  memcmp (self->cursor, word, length))
        return false;
    self->cursor += length;
    return self->cursor == self->limit || !isalnum (*self->cursor);
}

//  An N from a JSON integer of at most 18 digits (Jansson reads it as an
//  integer and s_number_from_json prints it back the same)
static zyn_value_t *
s_fast_integer (s_parser_t *self)
{
    s_fast_skip (self);
    char text [24];
    size_t size = 0;
    if (self->cursor < self->limit && *self->cursor == '-')
        text [size++] = (char) *self->cursor++;
    size_t digits = 0;
    while (self->cursor < self->limit
        && *self->cursor >= '0' && *self->cursor <= '9') {
        if (++digits > 18)
            return NULL;
        text [size++] = (char) *self->cursor++;
    }
    if (digits == 0
    || (text [size - digits] == '0' && (digits > 1 || size > 1)))
        return NULL;            //  No digits, a leading zero, or -0
    if (self->cursor < self->limit
    && (*self->cursor == '.' || *self->cursor == 'e'
     || *self->cursor == 'E'))
        return NULL;            //  A real
    text [size] = 0;
    zyn_error_t err = { 0 };
    return zyn_value_new_n (text, &err);
}

static zyn_value_t *
    s_fast_attribute (s_parser_t *self, int depth);

//  A map of name -> attribute value (an item, or an M's members)
static zyn_value_t *
s_fast_item (s_parser_t *self, int depth)
{
    if (!s_fast_accept (self, '{'))
        return NULL;
    zyn_value_t *map = zyn_value_new_m ();
    if (s_fast_accept (self, '}'))
        return map;
    do {
        char name [FAST_NAME_MAX];
        if (!s_fast_name (self, name) || zyn_value_map_get (map, name))
            goto decline;
        zyn_value_t *value = s_fast_attribute (self, depth + 1);
        if (!value)
            goto decline;
        zyn_value_map_put (map, name, &value);
    } while (s_fast_accept (self, ','));
    if (s_fast_accept (self, '}'))
        return map;
decline:
    zyn_value_destroy (&map);
    return NULL;
}

//  A JSON array, each element read by read; "[]" too
static zyn_value_t *
s_fast_array (s_parser_t *self, zyn_value_t *list,
              zyn_value_t *(*read) (s_parser_t *, int), int depth)
{
    if (!s_fast_accept (self, '['))
        goto decline;
    if (s_fast_accept (self, ']'))
        return list;
    do {
        zyn_value_t *element = read (self, depth);
        if (!element || zyn_value_list_append (list, &element))
            goto decline;
    } while (s_fast_accept (self, ','));
    if (s_fast_accept (self, ']'))
        return list;
decline:
    zyn_value_destroy (&list);
    return NULL;
}

static zyn_value_t *
s_fast_set_string (s_parser_t *self, int depth)
{
    (void) depth;
    if (!s_fast_string (self))
        return NULL;
    return zyn_value_new_sn (self->scratch.data, self->scratch.size);
}

static zyn_value_t *
s_fast_set_number (s_parser_t *self, int depth)
{
    (void) depth;
    if (!s_fast_string (self))
        return NULL;
    zyn_json_text_putc (&self->scratch, 0);
    if (memchr (self->scratch.data, 0, self->scratch.size - 1))
        return NULL;
    zyn_error_t err = { 0 };
    return zyn_value_new_n (self->scratch.data, &err);
}

//  One attribute value: an object with exactly one member, its type
static zyn_value_t *
s_fast_attribute (s_parser_t *self, int depth)
{
    if (depth > FAST_DEPTH_MAX || !s_fast_accept (self, '{'))
        return NULL;
    char name [FAST_NAME_MAX];
    if (!s_fast_name (self, name))
        return NULL;
    zyn_value_t *value = NULL;
    switch (zyn_type_from_name (name)) {
        case ZYN_TYPE_S:
            if (s_fast_string (self))
                value = zyn_value_new_sn (self->scratch.data,
                                          self->scratch.size);
            break;
        case ZYN_TYPE_N:
            value = s_fast_set_number (self, depth);
            break;
        case ZYN_TYPE_BOOL:
            if (s_fast_literal (self, "true"))
                value = zyn_value_new_bool (true);
            else
            if (s_fast_literal (self, "false"))
                value = zyn_value_new_bool (false);
            break;
        case ZYN_TYPE_NULL:
            if (s_fast_literal (self, "true"))
                value = zyn_value_new_null ();
            break;
        case ZYN_TYPE_M:
            value = s_fast_item (self, depth);
            break;
        case ZYN_TYPE_L:
            value = s_fast_array (self, zyn_value_new_l (), s_fast_attribute,
                                  depth + 1);
            break;
        case ZYN_TYPE_SS:
            value = s_fast_array (self, zyn_value_new_set (ZYN_TYPE_SS),
                                  s_fast_set_string, depth);
            break;
        case ZYN_TYPE_NS:
            value = s_fast_array (self, zyn_value_new_set (ZYN_TYPE_NS),
                                  s_fast_set_number, depth);
            break;
        default:
            //  B and BS (base64 checks), and names that are not types
            break;
    }
    if (value && !s_fast_accept (self, '}'))
        zyn_value_destroy (&value);
    return value;
}

static zyn_value_t *
s_fast_item_at_top (s_parser_t *self, int depth)
{
    (void) depth;
    return s_fast_item (self, 0);
}

static zyn_value_t *
s_fast_attribute_at_top (s_parser_t *self, int depth)
{
    (void) depth;
    return s_fast_attribute (self, 0);
}

static zyn_value_t *
s_fast_item_list (s_parser_t *self)
{
    return s_fast_array (self, zyn_value_new_l (), s_fast_item_at_top, 0);
}

//  One member's value according to its shape, as s_member_from_json
static zyn_value_t *
s_fast_member (s_parser_t *self, const char *name, const char *parent,
               int depth)
{
    switch (s_shape (name, parent)) {
        case SHAPE_VALUE:
            return s_fast_attribute (self, 0);
        case SHAPE_VALUE_LIST:
            return s_fast_array (self, zyn_value_new_l (),
                                 s_fast_attribute_at_top, 0);
        case SHAPE_ITEM:
            return s_fast_item (self, 0);
        case SHAPE_ITEM_LIST:
            return s_fast_item_list (self);
        case SHAPE_ITEM_OR_LIST:
            if (s_fast_peek (self, '['))
                return s_fast_item_list (self);
            return s_fast_item (self, 0);
        case SHAPE_RESPONSES:
            if (s_fast_accept (self, '{')) {
                zyn_value_t *map = zyn_value_new_m ();
                if (s_fast_accept (self, '}'))
                    return map;
                do {
                    char table [FAST_NAME_MAX];
                    if (!s_fast_name (self, table)
                    ||  zyn_value_map_get (map, table))
                        break;
                    zyn_value_t *list = s_fast_item_list (self);
                    if (!list)
                        break;
                    zyn_value_map_put (map, table, &list);
                    if (s_fast_accept (self, '}'))
                        return map;
                } while (s_fast_accept (self, ','));
                zyn_value_destroy (&map);
                return NULL;
            }
            return s_fast_plain (self, name, depth + 1);
        case SHAPE_PLAIN:
            break;
    }
    return s_fast_plain (self, name, depth + 1);
}

//  Plain JSON under a member called parent, as s_plain_from_json
static zyn_value_t *
s_fast_plain (s_parser_t *self, const char *parent, int depth)
{
    if (depth > FAST_DEPTH_MAX)
        return NULL;
    s_fast_skip (self);
    if (self->cursor >= self->limit)
        return NULL;
    switch (*self->cursor) {
        case '{': {
            self->cursor++;
            zyn_value_t *map = zyn_value_new_m ();
            if (s_fast_accept (self, '}'))
                return map;
            do {
                char name [FAST_NAME_MAX];
                if (!s_fast_name (self, name) || zyn_value_map_get (map, name))
                    break;
                //  A null parameter counts as absent: Jansson's path
                //  handles that
                if (s_shape (name, parent) != SHAPE_PLAIN
                &&  s_fast_peek (self, 'n'))
                    break;
                zyn_value_t *value
                    = s_fast_member (self, name, parent, depth);
                if (!value)
                    break;
                zyn_value_map_put (map, name, &value);
                if (s_fast_accept (self, '}'))
                    return map;
            } while (s_fast_accept (self, ','));
            zyn_value_destroy (&map);
            return NULL;
        }
        case '[': {
            self->cursor++;
            zyn_value_t *list = zyn_value_new_l ();
            if (s_fast_accept (self, ']'))
                return list;
            do {
                zyn_value_t *element = s_fast_plain (self, parent, depth + 1);
                if (!element)
                    break;
                zyn_value_list_append (list, &element);
                if (s_fast_accept (self, ']'))
                    return list;
            } while (s_fast_accept (self, ','));
            zyn_value_destroy (&list);
            return NULL;
        }
        case '"':
            if (!s_fast_string (self))
                return NULL;
            return zyn_value_new_sn (self->scratch.data, self->scratch.size);
        case 't':
            return s_fast_literal (self, "true") ? zyn_value_new_bool (true)
                                                 : NULL;
        case 'f':
            return s_fast_literal (self, "false") ? zyn_value_new_bool (false)
                                                  : NULL;
        case 'n':
            return s_fast_literal (self, "null") ? zyn_value_new_null ()
                                                 : NULL;
        default:
            return s_fast_integer (self);
    }
}

//  --------------------------------------------------------------------------
//  Convert the JSON text of a DynamoDB request into a native request map.
//  Returns the map (caller owns it), or NULL with err.

zyn_value_t *
zyn_json_to_request (const char *json, size_t size, zyn_error_t *err)
{
    if (json && size) {
        s_parser_t parser = {
            (const uint8_t *) json, (const uint8_t *) json + size,
            { NULL, 0, 256, false }
        };
        parser.scratch.data = (char *) malloc (parser.scratch.max);
        assert (parser.scratch.data);
        zyn_value_t *request = NULL;
        if (s_fast_peek (&parser, '{')) {
            request = s_fast_plain (&parser, NULL, 0);
            s_fast_skip (&parser);
            if (request && parser.cursor != parser.limit)
                zyn_value_destroy (&request);
        }
        free (parser.scratch.data);
        if (request)
            return request;
    }
    return zyn_json_to_request_jansson (json, size, err);
}

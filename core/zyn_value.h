/*  =========================================================================
    zyn_value - internal extras of the attribute value tree

    The public API of values is in include/zynamo.h ("Attribute values").
    This header adds what other modules of the process share but an
    application never sees: conversion between a Jansson json_t holding a
    DynamoDB JSON attribute value and a zyn_value_t (used by zyn_json, the
    request-level translator), and item-level checks.
    =========================================================================
*/

#ifndef ZYN_VALUE_H_INCLUDED
#define ZYN_VALUE_H_INCLUDED

#include "zynamo.h"

//  Jansson's json_t, declared here so this header needs no <jansson.h>
struct json_t;

//  Deepest nesting of maps and lists DynamoDB accepts
#define ZYN_VALUE_DEPTH_MAX 32

//  Convert one DynamoDB JSON attribute value ({"S": "x"}, {"M": {...}})
//  held in a Jansson tree into a value. Does not take ownership of json.
//  Returns NULL and fills err on malformed input: ValidationException for
//  what DynamoDB rejects as invalid (no or several type keys, NULL not
//  true, bad numbers), SerializationException for wrong JSON types and bad
//  base64. Caller owns the result.
zyn_value_t *
    zyn_value_from_jansson (struct json_t *json, zyn_error_t *err);

//  Convert a map of attribute names to DynamoDB JSON attribute values (an
//  Item or Key object) into an M value. As zyn_value_from_jansson.
zyn_value_t *
    zyn_value_from_jansson_map (struct json_t *json, zyn_error_t *err);

//  Render a value as a DynamoDB JSON attribute value ({"N": "1.5"}).
//  Caller owns the new reference (json_decref). Never NULL for a valid
//  value.
struct json_t *
    zyn_value_to_jansson (const zyn_value_t *self);

//  Render an M value as a JSON object of attribute names to DynamoDB JSON
//  attribute values (the shape of Item and Key). Caller owns the result.
struct json_t *
    zyn_value_to_jansson_map (const zyn_value_t *self);

//  Check every attribute of an item (a map) as zyn_value_validate checks a
//  value; the item map itself is not counted as a nesting level. Returns 0,
//  or -1 with DynamoDB's ValidationException message in err.
int
    zyn_item_validate (const zyn_value_t *item, zyn_error_t *err);

//  Append the MessagePack encoding of self to buf (a zchunk-free growable
//  buffer: *data of *size bytes used, *capacity allocated; all may start
//  as NULL/0). Lets zyn_proto embed values in larger bodies without a copy.
void
    zyn_value_encode_append (const zyn_value_t *self, uint8_t **data,
                             size_t *size, size_t *capacity);

//  Decode one MessagePack value from the start of data (size bytes
//  available), and set *used to the bytes it took. Returns NULL and fills
//  err (SerializationException) on malformed or truncated input. Trailing
//  bytes are left to the caller. Caller owns the result.
zyn_value_t *
    zyn_value_decode_prefix (const void *data, size_t size, size_t *used,
                             zyn_error_t *err);

#endif

/*  =========================================================================
    zyn_json - DynamoDB's JSON API bodies to native request maps and back

    A native body is a map keyed by DynamoDB's parameter names, with
    attribute values in their typed form (docs/protocol.md, "Values"). The
    JSON form is what DynamoDB's HTTP API and the AWS CLI carry. Which
    JSON positions hold attribute values is known from the parameter names
    (Item, Key, ExpressionAttributeValues, ExclusiveStartKey, ...); every
    other JSON number becomes an N, string an S, boolean a BOOL, object an
    M and array an L, and back. Used by the gateway and by `zyn`.
    =========================================================================
*/

#ifndef ZYN_JSON_H_INCLUDED
#define ZYN_JSON_H_INCLUDED

#include "zynamo.h"

//  Convert the JSON text of a DynamoDB request (size bytes) into a native
//  request map. Returns the map (caller owns it), or NULL with err:
//  SerializationException for text that is not JSON or not an object,
//  ValidationException for a malformed attribute value (with DynamoDB's
//  message).
zyn_value_t *
    zyn_json_to_request (const char *json, size_t size, zyn_error_t *err);

//  Internal: zyn_json_to_request through Jansson alone, which it falls
//  back on for anything its fast path declines. Same results and errors;
//  for tests.
zyn_value_t *
    zyn_json_to_request_jansson (const char *json, size_t size,
                                 zyn_error_t *err);

//  Render a native response map as DynamoDB's JSON response text, the
//  inverse of zyn_json_to_request. Caller owns the string and must free ()
//  it; its length goes into *size if size is not NULL.
char *
    zyn_json_from_response (const zyn_value_t *response, size_t *size);

//  Render a GetItem reply, the MessagePack map {"Item": item} or {}, as
//  DynamoDB's JSON straight from its bytes: the same text as
//  zyn_json_from_response makes of zyn_value_decode's tree, without the
//  tree. Returns NULL for anything it does not render exactly so (other
//  members, bytes that do not decode, numbers not in decimal text, a map
//  that repeats a name or has more than 64 members, nesting beyond 32
//  levels): the caller then decodes. Caller owns the text and must free ()
//  it; its length goes into *json_size if that is not NULL.
char *
    zyn_json_from_item_reply (const void *data, size_t size,
                              size_t *json_size);

#endif

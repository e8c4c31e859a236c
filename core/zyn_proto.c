/*  =========================================================================
    zyn_proto - the frames of zynamo's native protocol (docs/protocol.md)

    Builds and splits the messages exchanged by clients, the broker and
    workers. It owns no socket: callers send and receive.
    =========================================================================
*/

#include "zyn_prelude.h"
#include "zyn_proto.h"

//  --------------------------------------------------------------------------
//  Encode the 8-octet request id frame

void
zyn_proto_put_request_id (uint8_t *buf, uint64_t request_id)
{
    zyn_put_u64 (buf, request_id);
}

//  --------------------------------------------------------------------------
//  The direct path's request and answer frames

size_t
zyn_proto_direct_request_head (uint8_t *buf, uint64_t request_id,
                               const uint8_t *route, const char *operation)
{
    size_t length = strlen (operation);
    assert (length <= 255);
    memcpy (buf, ZYN_PROTO_SIGNATURE, 4);
    zyn_put_u64 (buf + 4, request_id);
    memcpy (buf + 12, route, ZYN_PROTO_ROUTE_SIZE);
    buf [12 + ZYN_PROTO_ROUTE_SIZE] = (uint8_t) length;
    memcpy (buf + ZYN_PROTO_DIRECT_REQUEST_HEAD, operation, length);
    return ZYN_PROTO_DIRECT_REQUEST_HEAD + length;
}

size_t
zyn_proto_direct_answer_head (uint8_t *buf, uint64_t request_id,
                              const char *status)
{
    size_t length = strlen (status);
    assert (length <= 255);
    memcpy (buf, ZYN_PROTO_SIGNATURE, 4);
    zyn_put_u64 (buf + 4, request_id);
    buf [12] = (uint8_t) length;
    memcpy (buf + ZYN_PROTO_DIRECT_ANSWER_HEAD, status, length);
    return ZYN_PROTO_DIRECT_ANSWER_HEAD + length;
}

int
zyn_proto_direct_parse (const void *data, size_t size, bool answer,
                        zyn_proto_direct_t *parsed)
{
    const uint8_t *bytes = (const uint8_t *) data;
    memset (parsed, 0, sizeof (*parsed));
    if (size < 4 || memcmp (bytes, ZYN_PROTO_SIGNATURE, 4) != 0)
        return -1;
    if (size < 12)
        return -2;
    parsed->request_id = zyn_get_u64 (bytes + 4);
    size_t head = answer ? ZYN_PROTO_DIRECT_ANSWER_HEAD
                         : ZYN_PROTO_DIRECT_REQUEST_HEAD;
    if (size < head || size - head < bytes [head - 1])
        return -2;
    if (!answer)
        parsed->route = bytes + 12;
    parsed->name = (const char *) bytes + head;
    parsed->name_size = bytes [head - 1];
    parsed->body = bytes + head + parsed->name_size;
    parsed->body_size = size - head - parsed->name_size;
    return 0;
}

//  --------------------------------------------------------------------------
//  Decode the 8-octet request id frame; 0 if the frame is malformed

uint64_t
zyn_proto_request_id (zframe_t *frame)
{
    if (!frame || zframe_size (frame) != 8)
        return 0;
    return zyn_get_u64 (zframe_data (frame));
}

//  --------------------------------------------------------------------------
//  Encode the 12-octet partition frame

void
zyn_proto_put_partition (uint8_t *buf, uint64_t table_id,
                         uint32_t partition_id)
{
    zyn_put_u64 (buf, table_id);
    zyn_put_u32 (buf + 8, partition_id);
}

//  --------------------------------------------------------------------------
//  Decode the 12-octet partition frame. Returns 0, or -1 if malformed.

int
zyn_proto_partition (zframe_t *frame, uint64_t *table_id,
                     uint32_t *partition_id)
{
    if (!frame || zframe_size (frame) != 12)
        return -1;
    *table_id = zyn_get_u64 (zframe_data (frame));
    *partition_id = zyn_get_u32 (zframe_data (frame) + 8);
    return 0;
}

//  --------------------------------------------------------------------------
//  The route frame of the direct path

void
zyn_proto_put_route (uint8_t *buf, uint64_t table_id, uint32_t partition_id,
                     uint64_t hash)
{
    zyn_proto_put_partition (buf, table_id, partition_id);
    zyn_put_u64 (buf + 12, hash);
}

int
zyn_proto_route (zframe_t *frame, uint64_t *table_id, uint32_t *partition_id,
                 uint64_t *hash)
{
    if (!frame || zframe_size (frame) != ZYN_PROTO_ROUTE_SIZE)
        return -1;
    *table_id = zyn_get_u64 (zframe_data (frame));
    *partition_id = zyn_get_u32 (zframe_data (frame) + 8);
    *hash = zyn_get_u64 (zframe_data (frame) + 12);
    return 0;
}

//  --------------------------------------------------------------------------
//  Build a client request. Body bytes are copied.

zmsg_t *
zyn_proto_request_new (uint64_t request_id, const char *operation,
                       const void *body, size_t size)
{
    zmsg_t *msg = zmsg_new ();
    uint8_t id [8];
    zyn_proto_put_request_id (id, request_id);
    zmsg_addstr (msg, ZYN_PROTO_SIGNATURE);
    zmsg_addmem (msg, id, 8);
    zmsg_addstr (msg, operation);
    zmsg_addmem (msg, body, size);
    return msg;
}

//  --------------------------------------------------------------------------
//  Build an OK reply to a client. Body bytes are copied.

zmsg_t *
zyn_proto_reply_new (uint64_t request_id, const void *body, size_t size)
{
    zmsg_t *msg = zmsg_new ();
    uint8_t id [8];
    zyn_proto_put_request_id (id, request_id);
    zmsg_addstr (msg, ZYN_PROTO_SIGNATURE);
    zmsg_addmem (msg, id, 8);
    zmsg_addstr (msg, ZYN_PROTO_OK);
    zmsg_addmem (msg, body, size);
    return msg;
}

//  --------------------------------------------------------------------------
//  Encode an error body: {"message": ...} plus extra's entries

void *
zyn_proto_error_body (const zyn_error_t *err, const zyn_value_t *extra,
                      size_t *size)
{
    //  Only a map's entries can join the body; anything else is dropped
    zyn_value_t *body = extra && zyn_value_type (extra) == ZYN_TYPE_M
                      ? zyn_value_dup (extra) : zyn_value_new_m ();
    zyn_value_map_put_s (body, "message", err->message);
    void *data = zyn_value_encode (body, size);
    zyn_value_destroy (&body);
    return data;
}

//  --------------------------------------------------------------------------
//  Build an error reply to a client

zmsg_t *
zyn_proto_error_new (uint64_t request_id, const zyn_error_t *err,
                     const zyn_value_t *extra)
{
    size_t size;
    void *body = zyn_proto_error_body (err, extra, &size);
    zmsg_t *msg = zmsg_new ();
    uint8_t id [8];
    zyn_proto_put_request_id (id, request_id);
    zmsg_addstr (msg, ZYN_PROTO_SIGNATURE);
    zmsg_addmem (msg, id, 8);
    //  An error reply never says OK, even for an unset err
    zyn_errtype_t type = err->type > ZYN_ERR_NONE && err->type < ZYN_ERR_MAX
                       ? err->type : ZYN_ERR_INTERNAL;
    zmsg_addstr (msg, zyn_error_name (type));
    zmsg_addmem (msg, body, size);
    free (body);
    return msg;
}

//  --------------------------------------------------------------------------
//  Fill err from a status string and an error body

void
zyn_proto_error_from_reply (const char *status, const void *body,
                            size_t size, zyn_error_t *err)
{
    if (!status)
        status = "";
    zyn_errtype_t type = zyn_error_type_from_name (status);
    if (type == ZYN_ERR_MAX || type == ZYN_ERR_NONE)
        type = ZYN_ERR_INTERNAL;
    zyn_value_t *map = body && size ? zyn_value_decode (body, size, NULL)
                                    : NULL;
    const char *message = map ? zyn_value_map_get_s (map, "message") : NULL;
    zyn_error_set (err, type, "%s", message ? message : status);
    zyn_value_destroy (&map);
}

//  --------------------------------------------------------------------------
//  Pop and check the signature frame. Returns 0, or -1 if it is not ZYN1.

int
zyn_proto_pop_signature (zmsg_t *msg)
{
    zframe_t *frame = zmsg_first (msg);
    if (!frame || !zframe_streq (frame, ZYN_PROTO_SIGNATURE))
        return -1;
    frame = zmsg_pop (msg);
    zframe_destroy (&frame);
    return 0;
}

//  --------------------------------------------------------------------------
//  Build a stream topic "s/<table>/<partition>/"

void
zyn_proto_stream_topic (char *buf, size_t size, const char *table,
                        uint32_t partition_id)
{
    snprintf (buf, size, "s/%s/%" PRIu32 "/", table, partition_id);
}

//  --------------------------------------------------------------------------
//  Key hash by request ids

static size_t
s_id_hash (const void *key)
{
    return (size_t) ((uint64_t) (uintptr_t) key * 0x9E3779B97F4A7C15ULL);
}

static int
s_id_compare (const void *a, const void *b)
{
    uintptr_t x = (uintptr_t) a;
    uintptr_t y = (uintptr_t) b;
    return x < y ? -1 : x > y ? 1 : 0;
}

void
zyn_proto_set_id_keys (zhashx_t *hash)
{
    assert (hash);
    zhashx_set_key_hasher (hash, s_id_hash);
    zhashx_set_key_comparator (hash, s_id_compare);
    zhashx_set_key_duplicator (hash, NULL);
    zhashx_set_key_destructor (hash, NULL);
}

//  --------------------------------------------------------------------------
//  This machine's identity (see the header)

int
zyn_proto_host_id (char *buf, size_t size)
{
    assert (buf && size >= 64);
    buf [0] = 0;
    FILE *file = fopen ("/proc/sys/kernel/random/boot_id", "r");
    if (!file)
        return -1;
    bool read = fgets (buf, (int) size, file) != NULL;
    fclose (file);
    if (!read)
        return -1;
    buf [strcspn (buf, "\r\n")] = 0;
    //  "net:[inode]": containers on one host share the boot id, not this
    char netns [64];
    ssize_t length = readlink ("/proc/self/ns/net", netns, sizeof (netns) - 1);
    if (length <= 0 || strlen (buf) + (size_t) length + 2 > size)
        return -1;
    netns [length] = 0;
    strcat (buf, "/");
    strcat (buf, netns);
    return 0;
}

/*  =========================================================================
    zyn_proto - the frames of zynamo's native protocol (docs/protocol.md)

    Every message starts with the signature frame "ZYN1". Client and broker
    exchange REQUEST and REPLY; broker and worker exchange the commands
    below. Bodies are MessagePack maps (zyn_value_encode). This module
    builds and splits messages; sockets stay with their owners.

    client  -> broker   ZYN1 | request-id | operation | body
    broker  -> client   ZYN1 | request-id | status | body
    worker  -> broker   ZYN1 | READY | worker-id | body
    broker  -> worker   ZYN1 | WELCOME | body
    either              ZYN1 | HEARTBEAT
    worker  -> broker   ZYN1 | DISCONNECT
    broker  -> worker   ZYN1 | ASSIGN | body          (partition descriptor)
    worker  -> broker   ZYN1 | ASSIGNED | body
    broker  -> worker   ZYN1 | DROP | body
    worker  -> broker   ZYN1 | DROPPED | body
    broker  -> worker   ZYN1 | REQUEST | client | request-id | operation |
                        partition | body
    worker  -> broker   ZYN1 | REPLY | client | request-id | status | body
    worker  -> hub      topic | seq | record      (PUB, topic
                        "s/<table>/<partition>/", seq 8 octets)

    The direct path (a worker's front door, a ROUTER whose routing id is
    "zyn-" and 24 random hex digits, new for each process; the worker
    announces "Endpoint" and "FrontId" in READY, clients learn both with
    ZynGetRoutes and address the worker by that id, so a reused port
    never reaches another process):

    client  -> worker   ZYN1 | request-id | operation | route | body
    worker  -> client   ZYN1 | request-id | status | body

    route: 20 octets, the partition frame then the 8-octet hash of the
    request's partition key. A worker that does not hold that partition,
    or whose range does not hold the hash, answers status "ZynMisrouted"
    and does nothing: the client sends the request again through the
    broker.

    request-id: 8 octets big-endian, never 0. status: "OK" or a DynamoDB
    error name; an error body is a map with "message" and, depending on
    the error, "Item" or "CancellationReasons". partition: 12 octets,
    table id (8, big-endian) then partition id (4, big-endian). client: the
    broker's routing identity of the client; empty for requests the broker
    makes itself.
    =========================================================================
*/

#ifndef ZYN_PROTO_H_INCLUDED
#define ZYN_PROTO_H_INCLUDED

#include "zynamo.h"

#define ZYN_PROTO_SIGNATURE "ZYN1"
#define ZYN_PROTO_OK "OK"

//  Worker <-> broker commands
#define ZYN_PROTO_READY "READY"
#define ZYN_PROTO_WELCOME "WELCOME"
#define ZYN_PROTO_HEARTBEAT "HEARTBEAT"
#define ZYN_PROTO_DISCONNECT "DISCONNECT"
#define ZYN_PROTO_ASSIGN "ASSIGN"
#define ZYN_PROTO_ASSIGNED "ASSIGNED"
#define ZYN_PROTO_DROP "DROP"
#define ZYN_PROTO_DROPPED "DROPPED"
#define ZYN_PROTO_REQUEST "REQUEST"
#define ZYN_PROTO_REPLY "REPLY"

//  Direct path: the worker does not serve this route, ask the broker
#define ZYN_PROTO_MISROUTED "ZynMisrouted"
#define ZYN_PROTO_ROUTE_SIZE 20
//  Most requests one direct-path message carries: a pipelining client
//  sends the requests it has queued for a worker as one message, a frame
//  per request
#define ZYN_PROTO_DIRECT_BATCH_MAX 128

//  The direct path's frames (docs/protocol.md section 4.1): a request is
//  one frame ZYN1 | request-id (8) | route (20) | operation length (1) |
//  operation | body, an answer one frame ZYN1 | request-id (8) | status
//  length (1) | status | body.
#define ZYN_PROTO_DIRECT_REQUEST_HEAD (4 + 8 + ZYN_PROTO_ROUTE_SIZE + 1)
#define ZYN_PROTO_DIRECT_ANSWER_HEAD (4 + 8 + 1)

//  A direct-path frame taken apart: pointers into the frame
typedef struct {
    uint64_t request_id;                //  0 if the frame holds none
    const uint8_t *route;               //  ZYN_PROTO_ROUTE_SIZE octets,
                                        //  NULL in an answer
    const char *name;                   //  Operation or status, not
    size_t name_size;                   //  terminated
    const uint8_t *body;
    size_t body_size;
} zyn_proto_direct_t;

//  Largest body accepted on any socket (a 16 MB BatchGetItem reply plus
//  framing); larger messages are refused with a ValidationException
#define ZYN_PROTO_BODY_MAX (20 * 1024 * 1024)

//  Longest operation name
#define ZYN_PROTO_OPERATION_MAX 64

//  Encode / decode the 8-octet request id frame
void
    zyn_proto_put_request_id (uint8_t *buf, uint64_t request_id);
uint64_t
    zyn_proto_request_id (zframe_t *frame);

//  Encode / decode the 12-octet partition frame. Decode returns 0, or -1
//  if the frame is not 12 octets.
void
    zyn_proto_put_partition (uint8_t *buf, uint64_t table_id,
                             uint32_t partition_id);
int
    zyn_proto_partition (zframe_t *frame, uint64_t *table_id,
                         uint32_t *partition_id);

//  Encode / decode the 20-octet route frame of the direct path. Decode
//  returns 0, or -1 if the frame is not ZYN_PROTO_ROUTE_SIZE octets.
void
    zyn_proto_put_route (uint8_t *buf, uint64_t table_id,
                         uint32_t partition_id, uint64_t hash);
int
    zyn_proto_route (zframe_t *frame, uint64_t *table_id,
                     uint32_t *partition_id, uint64_t *hash);

//  Write a direct request's head (ZYN_PROTO_DIRECT_REQUEST_HEAD octets plus
//  the operation's length) into buf; the body goes right after it.
//  Returns the head's length. The operation is at most 255 octets.
size_t
    zyn_proto_direct_request_head (uint8_t *buf, uint64_t request_id,
                                   const uint8_t *route,
                                   const char *operation);

//  Write a direct answer's head (ZYN_PROTO_DIRECT_ANSWER_HEAD octets plus
//  the status's length) into buf; the body goes right after it. Returns
//  the head's length. The status is at most 255 octets.
size_t
    zyn_proto_direct_answer_head (uint8_t *buf, uint64_t request_id,
                                  const char *status);

//  Take a direct request (answer false) or answer (answer true) frame of
//  size octets apart into parsed. Returns 0; -1 if it does not start with
//  the signature; -2 if it is cut short of its head (parsed->request_id
//  is then set if the frame holds one, else 0).
int
    zyn_proto_direct_parse (const void *data, size_t size, bool answer,
                            zyn_proto_direct_t *parsed);

//  Build a client request. Body bytes are copied.
zmsg_t *
    zyn_proto_request_new (uint64_t request_id, const char *operation,
                           const void *body, size_t size);

//  Build a reply to a client with status "OK" and body (copied).
zmsg_t *
    zyn_proto_reply_new (uint64_t request_id, const void *body, size_t size);

//  Build an error reply: status is the error's name and the body a map
//  {"message": err->message}, plus extra's entries if extra (a map) is not
//  NULL.
zmsg_t *
    zyn_proto_error_new (uint64_t request_id, const zyn_error_t *err,
                         const zyn_value_t *extra);

//  Encode an error body: {"message": ...} plus extra's entries. Caller
//  frees the returned buffer.
void *
    zyn_proto_error_body (const zyn_error_t *err, const zyn_value_t *extra,
                          size_t *size);

//  Fill err from a status string and an error body (as a client does on
//  receipt). Unknown names become InternalServerError.
void
    zyn_proto_error_from_reply (const char *status, const void *body,
                                size_t size, zyn_error_t *err);

//  Key hash by request ids: a key is the id itself cast to a pointer
//  ((void *) (uintptr_t) id), hashed and compared as a number, neither
//  copied nor freed (no allocation, no formatting per request)
void
    zyn_proto_set_id_keys (zhashx_t *hash);

//  This host's identity for the direct path's local front doors: the
//  kernel's boot id (a random UUID drawn at each boot) and the network
//  namespace, which processes that can reach each other's abstract
//  sockets share and no others have. Writes it, terminated, into buf (at
//  least 64 octets) and returns 0, or -1 if it is not known.
int
    zyn_proto_host_id (char *buf, size_t size);

//  Pop and check the signature frame from msg. Returns 0, or -1 if the
//  first frame is not "ZYN1" (msg is then left as it was).
int
    zyn_proto_pop_signature (zmsg_t *msg);

//  Build a stream topic "s/<table>/<partition>/" into buf (size bytes).
void
    zyn_proto_stream_topic (char *buf, size_t size, const char *table,
                            uint32_t partition_id);

#endif

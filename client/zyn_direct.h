/*  =========================================================================
    zyn_direct - the direct path: item requests straight to the worker
    that holds the key, skipping the broker's two hops

    Internal to libzynamo, used by zyn_client (and any other front end
    that keeps its own broker connection). The broker answers ZynGetRoutes
    with every ACTIVE table's key schema and, per partition, its hash
    range and the front door of the worker serving it. A GetItem, PutItem,
    UpdateItem or DeleteItem whose table is known and whose key checks out
    is then sent on one ROUTER socket straight to that worker, with a
    route frame (table id, partition id, key hash) the worker checks; the
    worker's reply has the broker's reply format. Anything irregular
    (unknown table, a key the broker would refuse, no route, a worker
    not yet connected) goes through the broker, which gives the exact
    DynamoDB error.

    The module keeps each direct request's operation and body until its
    reply, so that:
    - a ZynMisrouted reply (stale route: the table was recreated, the
      partition moved) turns into a resend through the broker, under the
      same request id, and a routes refresh;
    - when the connection to a worker drops (a socket monitor reports it),
      its unanswered reads are resent through the broker and its
      unanswered writes are answered InternalServerError (the outcome is
      unknown), as the broker does for a worker that dies.
    Once routes have proven wrong, every request goes through the broker
    until they are reloaded. The caller never sees the difference: replies
    request ids it sent.

    Not thread-safe: one thread owns a zyn_direct_t and its sockets.
    =========================================================================
*/

#ifndef ZYN_DIRECT_H_INCLUDED
#define ZYN_DIRECT_H_INCLUDED

#include "zynamo.h"

typedef struct zyn_direct zyn_direct_t;

//  A request to send again through the broker, under its request id.
//  body is owned by the receiver (free ()).
typedef struct {
    uint64_t request_id;
    char operation [65];
    void *body;
    size_t size;
} zyn_direct_resend_t;

//  Create the direct path (a ROUTER socket and its monitor).
zyn_direct_t *
    zyn_direct_new (void);

//  Destroy it; replies still due are dropped.
void
    zyn_direct_destroy (zyn_direct_t **self_p);

//  Try to send a request straight to its worker. body is the encoded
//  request; decoded, if the caller has it, the same request as a value
//  (saves decoding it again), else NULL. Returns true if taken: it waits
//  in its worker's outbox until zyn_direct_flush (or until the outbox
//  holds ZYN_PROTO_DIRECT_BATCH_MAX requests), and its reply, or a
//  resend through the broker if the worker cannot take it then, will
//  come out of zyn_direct_drain. Returns false if the caller must send
//  it through the broker (then nothing was kept).
bool
    zyn_direct_send (zyn_direct_t *self, uint64_t request_id,
                     const char *operation, const void *body, size_t size,
                     const zyn_value_t *decoded);

//  Send every outbox, one message per worker: the requests taken since
//  the last flush travel together, which saves each its own wake-ups on
//  both sides. Call it before waiting for replies. Returns how many
//  requests left the outboxes (those a worker could not take come back
//  from zyn_direct_drain as resends).
size_t
    zyn_direct_flush (zyn_direct_t *self);

//  The sockets to poll for input: the ROUTER and the monitor
zsock_t *
    zyn_direct_socket (zyn_direct_t *self);
zsock_t *
    zyn_direct_monitor (zyn_direct_t *self);

//  A reply taken by zyn_direct_drain: its frame, moved out of ZeroMQ
//  uncopied, and where its status and body lie in it. The receiver closes
//  frame (zmq_msg_close). Needs zmq.h (zyn_prelude.h) before this header.
typedef struct {
    uint64_t request_id;
    zmq_msg_t frame;
    size_t status_offset;               //  Status text, not terminated
    size_t status_size;
    size_t body_offset;                 //  Body (MessagePack)
    size_t body_size;
} zyn_direct_reply_t;

//  Take the next input without blocking, for a caller that reads until
//  nothing is left (the sockets' ZMQ_FDs only wake again once a read has
//  found nothing). Reads the monitor first if monitor is true (once per
//  round is enough; disconnects decide what replies will never come),
//  and the router, after what is already in memory, if router is true
//  (a caller that knows the router has nothing new, as its ZMQ_FD has
//  not fired since it was read empty and not sent on, saves the read),
//  and the local links if local is true (their descriptor fired).
//  Returns:
//   1 and *reply: a reply for the caller;
//   2 and *resend: a request to send through the broker now;
//   0: an input was taken in with nothing for the caller;
//   -1: no input is left (nothing queued, the router empty or unread).
int
    zyn_direct_drain (zyn_direct_t *self, bool monitor, bool router,
                      bool local, zyn_direct_reply_t *reply,
                      zyn_direct_resend_t *resend);

//  True (once) if, since the last call, something happened that no
//  descriptor will announce: a send on the router (libzmq may have taken
//  a reply's wake-up), a request handed back for the broker, a local
//  link that failed. The caller then drains before it sleeps. Sends on
//  local links alone need nothing: their answers wake the local fd.
bool
    zyn_direct_needs_read (zyn_direct_t *self);

//  A descriptor that polls readable when a local link (a worker on this
//  host, reached over a unix:// socket) has input or room for output
//  that waits: poll it with the router, and pass local true to
//  zyn_direct_drain when it fired.
int
    zyn_direct_local_fd (zyn_direct_t *self);

//  True if the routes should be asked for now (never asked, or found
//  stale and not asked in the last half second, and none in flight).
bool
    zyn_direct_wants_routes (zyn_direct_t *self, int64_t now);

//  The caller sent ZynGetRoutes to the broker as request_id
void
    zyn_direct_routes_asked (zyn_direct_t *self, uint64_t request_id,
                             int64_t now);

//  If request_id is the routes request in flight, take its reply (status
//  and body) and return true; the caller then drops the reply.
bool
    zyn_direct_routes_reply (zyn_direct_t *self, uint64_t request_id,
                             const char *status, const void *body,
                             size_t size);

//  Load routes from a ZynGetRoutes response. Returns 0, or -1 (routes
//  left empty) if the response is malformed. For tests.
int
    zyn_direct_load (zyn_direct_t *self, const zyn_value_t *response);

//  Direct requests sent and resent through the broker so far (for tests
//  and statistics)
uint64_t
    zyn_direct_sent (zyn_direct_t *self);
uint64_t
    zyn_direct_resent (zyn_direct_t *self);

#endif

/*  =========================================================================
    zyn_dispatch - the gateway's connection to the broker: many HTTP
    requests in flight on one DEALER socket

    A plain single-thread object, owned and driven by one gateway event
    loop: zyn_dispatch_submit gives a call a request id and sends it at
    once; the loop polls the sockets zyn_dispatch_pollitems names and calls
    zyn_dispatch_process, which matches every waiting reply by id (in any
    order) and fails every call past its deadline, reporting each through
    the call's callback. Calls that wait longer than the timeout complete
    with ServiceUnavailable; at stop or destroy every call still in flight
    completes the same way.

    Item requests take the direct path (zyn_direct, docs/protocol.md 4.1)
    once the routes are known: straight to the worker holding the key, on
    a second socket; a stale route or a worker gone is sent again through
    the broker under the same request id, so callers see no difference. Bodies are MessagePack, never decoded here and
    never copied: request bodies go to ZeroMQ as they are, reply bodies
    stay in their frames. Include zyn_prelude.h (for zmq_msg_t and
    zmq_pollitem_t) before this header.
    =========================================================================
*/

#ifndef ZYN_DISPATCH_H_INCLUDED
#define ZYN_DISPATCH_H_INCLUDED

#include "zynamo.h"

typedef struct zyn_dispatch zyn_dispatch_t;
typedef struct zyn_call zyn_call_t;

//  Called from zyn_dispatch_process, _stop or _destroy once call has its
//  reply (or failed). The call is the caller's again from this point.
typedef void (zyn_call_done_fn) (zyn_call_t *call, void *arg);

//  One broker call. The caller owns the struct (usually inside its own
//  request) and fills the first block; the dispatcher fills the second.
struct zyn_call {
    char operation [64];                //  "PutItem", "ZynGetShards", ...
    void *body;                         //  Request (MessagePack, malloc),
    size_t size;                        //  owned; handed to ZeroMQ to send
    const zyn_value_t *request;         //  The same request decoded, if
                                        //  the caller has it (borrowed,
                                        //  for the submit only), else NULL
    zyn_call_done_fn *done;             //  Completion callback
    void *arg;                          //  Its argument
    //  Results
    char status [64];                   //  "OK" or a DynamoDB error name
    char message [128];                 //  Set when the gateway failed the
                                        //  call itself (timeout, shutdown)
    const void *reply;                  //  Reply body (MessagePack), in
    size_t reply_size;                  //  reply_msg; zyn_call_reset frees
    zmq_msg_t reply_msg;                //  The body frame, zero-copy
    bool has_reply_msg;
    //  Dispatcher's own
    uint64_t request_id;
    int64_t deadline;                   //  Monotonic msecs
    zyn_call_t *prev;                   //  In the deadline list
    zyn_call_t *next;
};

//  Create a dispatcher connected to the broker at endpoint; calls time
//  out after timeout_ms (0: 10 s). Returns NULL with err if the endpoint
//  is unusable.
zyn_dispatch_t *
    zyn_dispatch_new (const char *endpoint, int timeout_ms, bool verbose,
                      zyn_error_t *err);

//  Stop (see zyn_dispatch_stop), then free the dispatcher and its
//  sockets. Sets *self_p to NULL.
void
    zyn_dispatch_destroy (zyn_dispatch_t **self_p);

//  Complete every call in flight with ServiceUnavailable ("The gateway is
//  shutting down") and refuse later submits. Safe to call more than once.
void
    zyn_dispatch_stop (zyn_dispatch_t *self);

//  Send a call: through the broker at once, on the direct path with the
//  next zyn_dispatch_flush (or zyn_dispatch_process). Returns 0: call->done will run from a later
//  zyn_dispatch_process (or _stop), never before this returns. Returns -1
//  if the call cannot go out (stopping, broker queue full): call->status
//  and call->message then hold the ServiceUnavailable, done is not called
//  and the call stays the caller's.
int
    zyn_dispatch_submit (zyn_dispatch_t *self, zyn_call_t *call);

//  Fill up to max poll items (ZMQ_POLLIN) with the sockets replies come
//  in on (at most four: the dealer, the direct path's router and monitor,
//  and its local links' descriptor, an item with a NULL socket). Returns
//  how many it filled; they stay valid until destroy.
int
    zyn_dispatch_pollitems (zyn_dispatch_t *self, zmq_pollitem_t *items,
                            int max);

//  Complete every call whose reply is waiting (without blocking) and every
//  call past its deadline. Returns how many calls it completed.
int
    zyn_dispatch_process (zyn_dispatch_t *self);

//  As zyn_dispatch_process, but reads only the sockets whose items (as
//  zyn_dispatch_pollitems filled them, in that order) have ZMQ_POLLIN in
//  revents, and those a call went out on since they were last read. For
//  a caller that waits on the sockets' ZMQ_FDs: each socket it reads is
//  read until it has nothing more, so its ZMQ_FD wakes on the next input.
int
    zyn_dispatch_process_ready (zyn_dispatch_t *self, zmq_pollitem_t *items,
                                int count);

//  Send the direct calls submitted since the last flush, one message per
//  worker (requests that travel together save each their own wake-ups
//  on both sides). Call it before waiting on the ZMQ_FDs.
void
    zyn_dispatch_flush (zyn_dispatch_t *self);

//  True if a socket must be read before the caller waits on the ZMQ_FDs:
//  a call went out on it (libzmq may have taken the wakeup of a reply
//  already waiting as it sent) or a batch left input behind.
bool
    zyn_dispatch_has_unread (zyn_dispatch_t *self);

//  Msecs until the earliest deadline of a call in flight (0 if one has
//  passed), or -1 if no call is in flight.
long
    zyn_dispatch_timeout (zyn_dispatch_t *self);

//  Calls in flight.
size_t
    zyn_dispatch_pending (zyn_dispatch_t *self);

//  Reset a call's results, freeing any reply, so it can be reused.
void
    zyn_call_reset (zyn_call_t *call);

#endif

/*  =========================================================================
    zyn_dispatch - the gateway's one connection to the broker: many HTTP
    requests in flight on one DEALER socket

    HTTP threads hand calls over with zyn_dispatch_submit; a dedicated
    actor thread owns the DEALER socket, gives each call a request id,
    sends it, matches replies by id (in any order) and reports each call's
    completion through its callback, on the actor's thread. The hand-over
    queue is the module's one mutex (STYLE.md section 7): ZeroMQ sockets
    must not be shared between threads. Calls that wait longer than the
    timeout complete with ServiceUnavailable; at destroy every call still
    queued or in flight completes the same way. Bodies are MessagePack,
    never decoded here and never copied: request bodies go to ZeroMQ as
    they are, reply bodies stay in their frames. Include zyn_prelude.h
    (for zmq_msg_t) before this header.
    =========================================================================
*/

#ifndef ZYN_DISPATCH_H_INCLUDED
#define ZYN_DISPATCH_H_INCLUDED

#include "zynamo.h"

typedef struct zyn_dispatch zyn_dispatch_t;
typedef struct zyn_call zyn_call_t;

//  Called on the dispatcher's thread once call has its reply. The call is
//  the caller's again from this point; the callback must not block.
typedef void (zyn_call_done_fn) (zyn_call_t *call, void *arg);

//  One broker call. The caller owns the struct (usually inside its own
//  request) and fills the first block; the dispatcher fills the second.
struct zyn_call {
    char operation [64];                //  "PutItem", "ZynGetShards", ...
    void *body;                         //  Request (MessagePack, malloc),
    size_t size;                        //  owned; handed to ZeroMQ to send
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
    zyn_call_t *next;                   //  In the hand-over queue
};

//  Start the dispatcher connected to the broker at endpoint; calls time
//  out after timeout_ms. Returns NULL with err if the endpoint is unusable.
zyn_dispatch_t *
    zyn_dispatch_new (const char *endpoint, int timeout_ms, bool verbose,
                      zyn_error_t *err);

//  Stop the dispatcher: every pending call completes with
//  ServiceUnavailable first. Sets *self_p to NULL.
void
    zyn_dispatch_destroy (zyn_dispatch_t **self_p);

//  Stop the dispatcher thread without freeing it: every pending call
//  completes with ServiceUnavailable, later submits are refused. Safe to
//  call more than once; destroy calls it.
void
    zyn_dispatch_stop (zyn_dispatch_t *self);

//  Hand a call over. Returns 0 (call->done will run, on another thread,
//  possibly before this returns), or -1 if the dispatcher is stopping
//  (the call is untouched and stays the caller's).
int
    zyn_dispatch_submit (zyn_dispatch_t *self, zyn_call_t *call);

//  Reset a call's results, freeing any reply, so it can be reused.
void
    zyn_call_reset (zyn_call_t *call);

#endif

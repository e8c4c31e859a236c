/*  =========================================================================
    zyn_client - a connection to a zynamo broker's front door

    One DEALER socket speaks docs/protocol.md's REQUEST / REPLY frames.
    Request ids come from a per-client counter, so synchronous calls and
    pipelined sends mix on one socket: a synchronous call keeps any reply
    for another request it meets while waiting, for zyn_client_recv.

    Item requests go straight to the worker holding the key when the
    routes are known (zyn_direct): the client asks the broker for them
    (ZynGetRoutes) at its first request and again when they prove stale;
    a request the direct path cannot take goes through the broker. Both
    paths' replies come out of the same receive calls.

    Synchronous calls follow the zguide's Lazy Pirate: when no reply comes
    in time the socket is closed and reopened, and the request is sent
    again only when that is safe. Reads are retried after a timeout;
    writes never are (the broker may have applied them), they fail with
    ServiceUnavailable instead. An error reply that proves the request was
    not applied (ServiceUnavailable, throttling) is retried for every
    operation, InternalServerError only for reads. Pipelined requests are
    the caller's to retry.
    =========================================================================
*/

#include "zyn_prelude.h"
#include "zyn_proto.h"
#include "zyn_error.h"
#include "zyn_direct.h"

//  Default time a synchronous call may take, retries included
#define CLIENT_TIMEOUT_DEFAULT 10000
//  Back-off between retries: first, and largest
#define CLIENT_BACKOFF_MIN 20
#define CLIENT_BACKOFF_MAX 1000
//  Highest count of requests queued on the socket
#define CLIENT_HWM 100000

struct zyn_client {
    char *endpoint;                 //  Owned
    zsock_t *dealer;                //  Owned, reopened by Lazy Pirate
    uint64_t next_id;               //  Last request id used
    uint64_t next_routes_id;        //  Last routes request (high bit set)
    int timeout;                    //  Msecs a synchronous call may take
    zhashx_t *pending;              //  Pipelined ids awaiting a reply
    zlist_t *replies;               //  s_reply_t replies kept for recv,
                                    //  owned
    zyn_value_t *error_body;        //  Owned, body of the last error reply
    zyn_direct_t *direct;           //  Owned, NULL when off
    //  A socket is due to be read until empty before the client sleeps:
    //  its ZMQ_FD fired, it was sent on (libzmq may then have taken the
    //  wake-up of a reply), or it is new
    bool dealer_due;
    bool router_due;
    bool monitor_due;
    bool local_due;                 //  The direct path's local links
};

//  A reply taken off a socket: its id, its status and its body, which
//  points into what the reply owns: the broker's message, or the body
//  frame of a direct reply (moved out of ZeroMQ, not copied)
typedef struct {
    uint64_t request_id;
    char status [ZYN_PROTO_OPERATION_MAX + 1];
    const void *body;
    size_t size;
    zmsg_t *msg;                    //  Owned, a broker reply, or NULL
    zmq_msg_t frame;                //  Owned if has_frame
    bool has_frame;
} s_reply_t;

//  Free what a reply owns
static void
s_reply_close (s_reply_t *reply)
{
    zmsg_destroy (&reply->msg);
    if (reply->has_frame)
        zmq_msg_close (&reply->frame);
    reply->has_frame = false;
}

//  Move a reply from *from into *to (from is left empty)
static void
s_reply_move (s_reply_t *to, s_reply_t *from)
{
    *to = *from;
    if (from->has_frame) {
        //  A small frame keeps its bytes inside the zmq_msg_t
        zmq_msg_init (&to->frame);
        zmq_msg_move (&to->frame, &from->frame);
        to->body = zmq_msg_data (&to->frame);
        zmq_msg_close (&from->frame);
        from->has_frame = false;
    }
    from->msg = NULL;
}

//  --------------------------------------------------------------------------
//  Open (or reopen) the DEALER socket. Returns 0, or -1 if the endpoint is
//  unusable.

static int
s_client_open (zyn_client_t *self)
{
    zsock_destroy (&self->dealer);
    self->dealer = zsock_new (ZMQ_DEALER);
    assert (self->dealer);
    zsock_set_linger (self->dealer, 0);
    zsock_set_sndhwm (self->dealer, CLIENT_HWM);
    zsock_set_rcvhwm (self->dealer, CLIENT_HWM);
    //  s_wait_reply reads without asking first: an empty read returns
    zsock_set_rcvtimeo (self->dealer, 0);
    self->dealer_due = true;
    if (zsock_connect (self->dealer, "%s", self->endpoint)) {
        zsock_destroy (&self->dealer);
        return -1;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Connect to a broker. Returns NULL and fills err if the endpoint is
//  unusable.

zyn_client_t *
zyn_client_new (const char *endpoint, zyn_error_t *err)
{
    if (!endpoint || !*endpoint) {
        zyn_error_set (err, ZYN_ERR_VALIDATION, "no broker endpoint given");
        return NULL;
    }
    zyn_client_t *self = (zyn_client_t *) zmalloc (sizeof (zyn_client_t));
    self->endpoint = strdup (endpoint);
    self->timeout = CLIENT_TIMEOUT_DEFAULT;
    self->pending = zhashx_new ();
    zyn_proto_set_id_keys (self->pending);
    self->replies = zlist_new ();
    const char *direct = getenv ("ZYNAMO_DIRECT");
    if (!direct || !streq (direct, "0"))
        self->direct = zyn_direct_new ();
    self->router_due = true;
    self->monitor_due = true;
    self->local_due = true;
    if (s_client_open (self)) {
        zyn_error_set (err, ZYN_ERR_VALIDATION,
                       "cannot connect to broker endpoint '%s'", endpoint);
        zyn_client_destroy (&self);
        return NULL;
    }
    return self;
}

//  --------------------------------------------------------------------------
//  Close the connection. Replies still outstanding are dropped.

void
zyn_client_destroy (zyn_client_t **self_p)
{
    assert (self_p);
    zyn_client_t *self = *self_p;
    if (!self)
        return;
    zyn_value_destroy (&self->error_body);
    while (zlist_size (self->replies)) {
        s_reply_t *reply = (s_reply_t *) zlist_pop (self->replies);
        s_reply_close (reply);
        free (reply);
    }
    zlist_destroy (&self->replies);
    zhashx_destroy (&self->pending);
    zyn_direct_destroy (&self->direct);
    zsock_destroy (&self->dealer);
    free (self->endpoint);
    free (self);
    *self_p = NULL;
}

//  --------------------------------------------------------------------------
//  How long a synchronous call waits for its reply.

void
zyn_client_set_timeout (zyn_client_t *self, int msecs)
{
    assert (self);
    self->timeout = msecs > 0 ? msecs : 1;
}

//  --------------------------------------------------------------------------
//  The direct path: on or off, and its counters

void
zyn_client_set_direct (zyn_client_t *self, bool direct)
{
    assert (self);
    if (direct && !self->direct)
        self->direct = zyn_direct_new ();
    else
    if (!direct)
        zyn_direct_destroy (&self->direct);
}

uint64_t
zyn_client_direct_sent (zyn_client_t *self)
{
    assert (self);
    return self->direct ? zyn_direct_sent (self->direct) : 0;
}

uint64_t
zyn_client_direct_resent (zyn_client_t *self)
{
    assert (self);
    return self->direct ? zyn_direct_resent (self->direct) : 0;
}

//  --------------------------------------------------------------------------
//  The body of the last error reply, or NULL. Borrowed.

const zyn_value_t *
zyn_client_error_body (zyn_client_t *self)
{
    assert (self);
    return self->error_body;
}

//  --------------------------------------------------------------------------
//  Operations that change nothing, so a lost request may be sent again

static bool
s_is_read_only (const char *operation)
{
    static const char *const reads [] = {
        "GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems",
    };
    for (size_t i = 0; i < sizeof (reads) / sizeof (reads [0]); i++)
        if (streq (operation, reads [i]))
            return true;
    return strncmp (operation, "Describe", 8) == 0
        || strncmp (operation, "List", 4) == 0
        || strncmp (operation, "Zyn", 3) == 0;
}

//  An error reply after which sending the request again is safe

static bool
s_is_retry_safe (zyn_errtype_t type, const char *operation)
{
    switch (type) {
        case ZYN_ERR_SERVICE_UNAVAILABLE:
        case ZYN_ERR_THROTTLING:
        case ZYN_ERR_PROVISIONED_THROUGHPUT_EXCEEDED:
        case ZYN_ERR_REQUEST_LIMIT_EXCEEDED:
            return true;
        case ZYN_ERR_INTERNAL:
            return s_is_read_only (operation);
        default:
            return false;
    }
}

//  --------------------------------------------------------------------------
//  Key of a request id in the pending table (zyn_proto_set_id_keys)

static void *
s_id_key (uint64_t request_id)
{
    return (void *) (uintptr_t) request_id;
}

//  --------------------------------------------------------------------------
//  Send one request to the broker. Returns 0, or -1 with err.

static int
s_send_broker (zyn_client_t *self, uint64_t request_id, const char *operation,
               const void *body, size_t size, zyn_error_t *err)
{
    zmsg_t *msg = zyn_proto_request_new (request_id, operation, body, size);
    self->dealer_due = true;
    if (zmsg_send (&msg, self->dealer)) {
        zmsg_destroy (&msg);
        return zyn_error_set (err, ZYN_ERR_SERVICE_UNAVAILABLE,
                              "cannot send to broker: %s",
                              zmq_strerror (errno));
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Send one request frame set, straight to its worker if it can, else to
//  the broker. decoded is the request as a value when the caller has it
//  (the direct path then need not decode body), else NULL. Returns the
//  request id, or 0 with err.

static uint64_t
s_send (zyn_client_t *self, const char *operation, const void *body,
        size_t size, const zyn_value_t *decoded, zyn_error_t *err)
{
    if (!operation || !*operation
        || strlen (operation) > ZYN_PROTO_OPERATION_MAX) {
        zyn_error_set (err, ZYN_ERR_VALIDATION, "invalid operation name");
        return 0;
    }
    if (size > ZYN_PROTO_BODY_MAX) {
        zyn_error_set (err, ZYN_ERR_VALIDATION,
                       "Request size %zu exceeds the maximum of %d bytes",
                       size, ZYN_PROTO_BODY_MAX);
        return 0;
    }
    if (!self->dealer && s_client_open (self)) {
        zyn_error_set (err, ZYN_ERR_SERVICE_UNAVAILABLE,
                       "cannot connect to broker endpoint '%s'",
                       self->endpoint);
        return 0;
    }
    uint64_t request_id = ++self->next_id;
    if (request_id == 0)
        request_id = ++self->next_id;
    if (self->direct
        && zyn_direct_send (self->direct, request_id, operation, body, size,
                            decoded)) {
        //  It may have sent a full outbox
        if (zyn_direct_needs_read (self->direct))
            self->router_due = true;
        return request_id;
    }
    if (s_send_broker (self, request_id, operation, body, size, err))
        return 0;
    //  Learn the routes (once, and again when they prove stale)
    int64_t now = zyn_mono_msecs ();
    if (self->direct && zyn_direct_wants_routes (self->direct, now)) {
        //  Its own id space: the caller's ids stay consecutive
        uint64_t routes_id = (1ULL << 63) | ++self->next_routes_id;
        if (s_send_broker (self, routes_id, "ZynGetRoutes", "\x80", 1, NULL)
            == 0)
            zyn_direct_routes_asked (self->direct, routes_id, now);
    }
    return request_id;
}

//  --------------------------------------------------------------------------
//  Take a reply message from the broker into reply (which owns it then).
//  Returns 0, or -1 if it is malformed (msg is left to the caller).

static int
s_reply_parse (zmsg_t *msg, s_reply_t *reply)
{
    memset (reply, 0, sizeof (*reply));
    if (zmsg_size (msg) != 4)
        return -1;
    zframe_t *frame = zmsg_first (msg);
    if (!zframe_streq (frame, ZYN_PROTO_SIGNATURE))
        return -1;
    reply->request_id = zyn_proto_request_id (zmsg_next (msg));
    frame = zmsg_next (msg);
    size_t status_size = zframe_size (frame);
    if (reply->request_id == 0 || status_size == 0
        || status_size > ZYN_PROTO_OPERATION_MAX)
        return -1;
    memcpy (reply->status, zframe_data (frame), status_size);
    reply->status [status_size] = 0;
    frame = zmsg_next (msg);
    reply->body = zframe_data (frame);
    reply->size = zframe_size (frame);
    reply->msg = msg;
    return 0;
}

//  A reply taken from the direct path: its status is copied, its frame
//  moved. Closes the direct reply's frame.

static void
s_reply_from_direct (zyn_direct_reply_t *direct, s_reply_t *reply)
{
    memset (reply, 0, sizeof (*reply));
    reply->request_id = direct->request_id;
    size_t status_size = direct->status_size;
    if (status_size > ZYN_PROTO_OPERATION_MAX)
        status_size = ZYN_PROTO_OPERATION_MAX;
    memcpy (reply->status,
            (const char *) zmq_msg_data (&direct->frame)
            + direct->status_offset, status_size);
    reply->status [status_size] = 0;
    zmq_msg_init (&reply->frame);
    zmq_msg_move (&reply->frame, &direct->frame);
    reply->has_frame = true;
    reply->body = (const uint8_t *) zmq_msg_data (&reply->frame)
                + direct->body_offset;
    reply->size = direct->body_size;
    zmq_msg_close (&direct->frame);
}

//  Take the next input of the direct path without blocking, reading its
//  monitor and its router if they are due. Returns 1 and a reply in
//  *reply; 0 if an input was taken in (a resend now sent through the
//  broker, a route reload, a stale reply); -1 if none waits.

static int
s_take_direct (zyn_client_t *self, s_reply_t *reply)
{
    zyn_direct_reply_t direct;
    zyn_direct_resend_t resend;
    bool monitor = self->monitor_due;
    self->monitor_due = false;
    int rc = zyn_direct_drain (self->direct, monitor, self->router_due,
                               self->local_due, &direct, &resend);
    if (rc == -1) {
        self->router_due = false;       //  Read until empty
        self->local_due = false;
    }
    if (rc == 1) {
        s_reply_from_direct (&direct, reply);
        return 1;
    }
    if (rc == 2) {
        //  A stale route or a lost worker: the broker takes it
        if (s_send_broker (self, resend.request_id, resend.operation,
                           resend.body, resend.size, NULL))
            zsys_warning ("zyn_client: resend through the broker failed");
        free (resend.body);
        return 0;
    }
    return rc;
}

//  --------------------------------------------------------------------------
//  Wait up to timeout_ms (-1: forever) for any reply on the sockets.
//  Returns 0 and the reply in *reply (the caller closes it), or -1 on
//  timeout. Malformed messages are dropped.

static int
s_wait_reply (zyn_client_t *self, int timeout_ms, s_reply_t *reply)
{
    if (!self->dealer)
        return -1;
    int64_t deadline = zyn_mono_msecs () + timeout_ms;
    while (true) {
        //  Replies are read without asking first whether one waits (each
        //  ask is a system call): the sockets have a zero receive
        //  timeout, so a read that finds nothing returns at once. Only
        //  the due sockets are read.
        if (self->direct) {
            int taken = s_take_direct (self, reply);
            if (taken == 1)
                return 0;
            if (taken == 0)
                continue;
        }
        zmsg_t *msg = self->dealer_due ? zmsg_recv (self->dealer) : NULL;
        if (!msg)
            self->dealer_due = false;
        //  Nothing waits: the requests held back go out now, and the
        //  router is read again (a send may take a reply's wake-up)
        if (!msg && self->direct) {
            zyn_direct_flush (self->direct);
            if (zyn_direct_needs_read (self->direct)) {
                self->router_due = true;
                continue;
            }
        }
        if (!msg) {
            long wait = -1;
            if (timeout_ms >= 0) {
                wait = (long) (deadline - zyn_mono_msecs ());
                if (wait < 0)
                    wait = 0;
            }
            //  Every socket was read until it had nothing, so each one's
            //  ZMQ_FD turns readable when something new arrives: one poll
            //  of the descriptors, not zmq_poll's check of each socket
            //  before and after it (two system calls each); the local
            //  links' descriptor is level-triggered
            struct pollfd items [4];
            int count = 0;
            items [count++].fd = zsock_fd (self->dealer);
            if (self->direct) {
                items [count++].fd = zsock_fd (zyn_direct_socket (
                                                   self->direct));
                items [count++].fd = zsock_fd (zyn_direct_monitor (
                                                   self->direct));
                items [count++].fd = zyn_direct_local_fd (self->direct);
            }
            for (int i = 0; i < count; i++) {
                items [i].events = POLLIN;
                items [i].revents = 0;
            }
            int rc = poll (items, (nfds_t) count, (int) wait);
            if (rc < 0 && errno == EINTR) {
                if (timeout_ms >= 0 && zyn_mono_msecs () >= deadline)
                    return -1;
                continue;
            }
            if (rc <= 0)
                return -1;
            self->dealer_due = items [0].revents != 0;
            if (self->direct) {
                self->router_due = items [1].revents != 0;
                self->monitor_due = items [2].revents != 0;
                self->local_due = items [3].revents != 0;
            }
            continue;
        }
        if (s_reply_parse (msg, reply) == 0) {
            if (self->direct
                && zyn_direct_routes_reply (self->direct, reply->request_id,
                                            reply->status, reply->body,
                                            reply->size)) {
                s_reply_close (reply);
                continue;
            }
            return 0;
        }
        zsys_warning ("zyn_client: malformed reply dropped frames=%zu",
                      zmsg_size (msg));
        zmsg_destroy (&msg);
    }
}

//  --------------------------------------------------------------------------
//  Fill err from an error reply and keep its body

static void
s_take_error (zyn_client_t *self, const s_reply_t *reply, zyn_error_t *err)
{
    zyn_proto_error_from_reply (reply->status, reply->body, reply->size, err);
    zyn_value_destroy (&self->error_body);
    if (reply->size)
        self->error_body = zyn_value_decode (reply->body, reply->size, NULL);
}

//  --------------------------------------------------------------------------
//  Decode an OK reply body

static zyn_value_t *
s_decode_body (const s_reply_t *reply, zyn_error_t *err)
{
    if (reply->size == 0)
        return zyn_value_new_m ();
    zyn_error_t decode_err = { 0 };
    zyn_value_t *response
        = zyn_value_decode (reply->body, reply->size, &decode_err);
    if (!response)
        zyn_error_set (err, ZYN_ERR_INTERNAL, "malformed reply body: %s",
                       decode_err.message);
    return response;
}

//  --------------------------------------------------------------------------
//  Wait until the reply to request_id arrives or the deadline passes,
//  keeping replies to pipelined requests met on the way. Returns 0 and
//  the reply in *reply (the caller closes it), or -1 on timeout.

static int
s_wait_for (zyn_client_t *self, uint64_t request_id, int64_t deadline,
            s_reply_t *reply)
{
    while (true) {
        int64_t wait = deadline - zyn_mono_msecs ();
        if (s_wait_reply (self, wait > 0 ? (int) wait : 0, reply))
            return -1;
        if (reply->request_id == request_id)
            return 0;
        if (zhashx_lookup (self->pending, s_id_key (reply->request_id))) {
            s_reply_t *kept = (s_reply_t *) malloc (sizeof (s_reply_t));
            assert (kept);
            s_reply_move (kept, reply);
            zlist_append (self->replies, kept);
        }
        else
            s_reply_close (reply);      //  Late answer to a retried call
    }
}

//  --------------------------------------------------------------------------
//  Call operation with request. Returns the response map (caller owns
//  it), or NULL with err filled. Lazy Pirate, as the file header says.

zyn_value_t *
zyn_client_call (zyn_client_t *self, const char *operation,
                 const zyn_value_t *request, zyn_error_t *err)
{
    assert (self);
    zyn_value_destroy (&self->error_body);
    size_t size = 0;
    void *body = NULL;
    if (request)
        body = zyn_value_encode (request, &size);
    else {
        zyn_value_t *empty = zyn_value_new_m ();
        body = zyn_value_encode (empty, &size);
        zyn_value_destroy (&empty);
    }
    bool read_only = operation && s_is_read_only (operation);
    int64_t start = zyn_mono_msecs ();
    int64_t deadline = start + self->timeout;
    //  zguide Lazy Pirate: several tries within the caller's timeout
    int attempt_timeout = read_only ? self->timeout / 4 : self->timeout;
    if (attempt_timeout < 50)
        attempt_timeout = 50;
    int backoff = CLIENT_BACKOFF_MIN;
    zyn_value_t *response = NULL;
    while (true) {
        uint64_t request_id = s_send (self, operation, body, size, request,
                                      err);
        if (!request_id)
            break;
        int64_t attempt_deadline = zyn_mono_msecs () + attempt_timeout;
        if (attempt_deadline > deadline)
            attempt_deadline = deadline;
        s_reply_t reply;
        if (s_wait_for (self, request_id, attempt_deadline, &reply) == 0) {
            if (streq (reply.status, ZYN_PROTO_OK)) {
                //  An error body of a retried attempt is not this call's
                zyn_value_destroy (&self->error_body);
                response = s_decode_body (&reply, err);
                s_reply_close (&reply);
                break;
            }
            zyn_error_t reply_err = { 0 };
            s_take_error (self, &reply, &reply_err);
            s_reply_close (&reply);
            if (s_is_retry_safe (reply_err.type, operation)
                && zyn_mono_msecs () + backoff < deadline) {
                zclock_sleep (backoff);
                backoff = backoff * 2 > CLIENT_BACKOFF_MAX
                            ? CLIENT_BACKOFF_MAX : backoff * 2;
                continue;
            }
            if (err)
                *err = reply_err;
            break;
        }
        //  No reply: the broker may be gone or the request lost. A fresh
        //  socket drops whatever is queued for the dead peer; replies to
        //  pipelined requests would be lost with it, so keep it then.
        if (zhashx_size (self->pending) == 0)
            s_client_open (self);
        if (read_only && zyn_mono_msecs () < deadline) {
            continue;
        }
        zyn_error_set (err, ZYN_ERR_SERVICE_UNAVAILABLE,
                       "no reply from broker within %d ms",
                       (int) (zyn_mono_msecs () - start));
        break;
    }
    free (body);
    return response;
}

//  --------------------------------------------------------------------------
//  Pipelined interface: send a request without waiting. Returns the
//  request id (never 0), or 0 with err filled.

static uint64_t
s_send_pipelined (zyn_client_t *self, const char *operation,
                  const void *body, size_t size, const zyn_value_t *decoded,
                  zyn_error_t *err)
{
    uint64_t request_id = s_send (self, operation, body, size, decoded, err);
    if (request_id) {
        zhashx_insert (self->pending, s_id_key (request_id), (void *) 1);
    }
    return request_id;
}

uint64_t
zyn_client_send_raw (zyn_client_t *self, const char *operation,
                     const void *body, size_t size, zyn_error_t *err)
{
    assert (self);
    return s_send_pipelined (self, operation, body, size, NULL, err);
}

uint64_t
zyn_client_send (zyn_client_t *self, const char *operation,
                 const zyn_value_t *request, zyn_error_t *err)
{
    assert (self);
    size_t size = 0;
    void *body;
    if (request)
        body = zyn_value_encode (request, &size);
    else {
        zyn_value_t *empty = zyn_value_new_m ();
        body = zyn_value_encode (empty, &size);
        zyn_value_destroy (&empty);
    }
    uint64_t request_id = s_send_pipelined (self, operation, body, size,
                                            request, err);
    free (body);
    return request_id;
}

//  --------------------------------------------------------------------------
//  The next reply to a pipelined request: from those a synchronous call
//  kept, else from the sockets. Replies to ids no longer pending are
//  dropped. Returns 0 and the reply in *reply (the caller closes it), or
//  -1 on timeout.

static int
s_next_pipelined (zyn_client_t *self, int timeout_ms, s_reply_t *reply)
{
    s_reply_t *kept = (s_reply_t *) zlist_pop (self->replies);
    if (kept) {
        s_reply_move (reply, kept);
        free (kept);
    }
    else {
        int64_t deadline = zyn_mono_msecs () + timeout_ms;
        while (true) {
            int wait = -1;
            if (timeout_ms >= 0) {
                int64_t remaining = deadline - zyn_mono_msecs ();
                wait = remaining > 0 ? (int) remaining : 0;
            }
            if (s_wait_reply (self, wait, reply))
                return -1;
            if (zhashx_lookup (self->pending, s_id_key (reply->request_id)))
                break;
            s_reply_close (reply);
        }
    }
    zhashx_delete (self->pending, s_id_key (reply->request_id));
    return 0;
}

//  --------------------------------------------------------------------------
//  Receive the next reply, waiting at most timeout_ms. Returns the
//  response map (caller owns it), or NULL with err filled.

zyn_value_t *
zyn_client_recv (zyn_client_t *self, uint64_t *request_id, int timeout_ms,
                 zyn_error_t *err)
{
    assert (self);
    zyn_value_destroy (&self->error_body);
    if (request_id)
        *request_id = 0;
    s_reply_t reply;
    if (s_next_pipelined (self, timeout_ms, &reply)) {
        zyn_error_set (err, ZYN_ERR_SERVICE_UNAVAILABLE,
                       "no reply from broker within %d ms", timeout_ms);
        return NULL;
    }
    if (request_id)
        *request_id = reply.request_id;
    zyn_value_t *response = NULL;
    if (streq (reply.status, ZYN_PROTO_OK))
        response = s_decode_body (&reply, err);
    else
        s_take_error (self, &reply, err);
    s_reply_close (&reply);
    return response;
}

//  --------------------------------------------------------------------------
//  Receive the next reply undecoded. Returns 0 and the MessagePack body
//  in *body, *size (caller frees), or -1 with err (and the error body).

int
zyn_client_recv_raw (zyn_client_t *self, uint64_t *request_id,
                     int timeout_ms, void **body, size_t *size,
                     zyn_error_t *err)
{
    assert (self);
    assert (body && size);
    zyn_value_destroy (&self->error_body);
    *body = NULL;
    *size = 0;
    if (request_id)
        *request_id = 0;
    s_reply_t reply;
    if (s_next_pipelined (self, timeout_ms, &reply))
        return zyn_error_set (err, ZYN_ERR_SERVICE_UNAVAILABLE,
                              "no reply from broker within %d ms",
                              timeout_ms);
    if (request_id)
        *request_id = reply.request_id;
    *size = reply.size;
    *body = malloc (reply.size ? reply.size : 1);
    assert (*body);
    memcpy (*body, reply.body, reply.size);
    int rc = 0;
    if (!streq (reply.status, ZYN_PROTO_OK)) {
        s_take_error (self, &reply, err);
        rc = -1;
    }
    s_reply_close (&reply);
    return rc;
}

//  --------------------------------------------------------------------------
//  Shorthands

static zyn_value_t *
s_request_for (const char *table)
{
    zyn_value_t *request = zyn_value_new_m ();
    zyn_value_map_put_s (request, "TableName", table);
    return request;
}

static void
s_put_copy (zyn_value_t *map, const char *name, const zyn_value_t *value)
{
    zyn_value_t *copy = value ? zyn_value_dup (value) : zyn_value_new_m ();
    zyn_value_map_put (map, name, &copy);
}

//  Put item into table. Returns 0 or -1.

int
zyn_client_put_item (zyn_client_t *self, const char *table,
                     const zyn_value_t *item, zyn_error_t *err)
{
    zyn_value_t *request = s_request_for (table);
    s_put_copy (request, "Item", item);
    zyn_value_t *response = zyn_client_call (self, "PutItem", request, err);
    zyn_value_destroy (&request);
    int rc = response ? 0 : -1;
    zyn_value_destroy (&response);
    return rc;
}

//  Get the item with key from table. Returns the item (caller owns it), or
//  NULL: err says why, or is untouched if there is no such item.

zyn_value_t *
zyn_client_get_item (zyn_client_t *self, const char *table,
                     const zyn_value_t *key, bool consistent_read,
                     zyn_error_t *err)
{
    zyn_value_t *request = s_request_for (table);
    s_put_copy (request, "Key", key);
    if (consistent_read)
        zyn_value_map_put_bool (request, "ConsistentRead", true);
    zyn_value_t *response = zyn_client_call (self, "GetItem", request, err);
    zyn_value_destroy (&request);
    zyn_value_t *item = response ? zyn_value_map_take (response, "Item")
                                 : NULL;
    zyn_value_destroy (&response);
    return item;
}

//  Delete the item with key from table. Returns 0 or -1.

int
zyn_client_delete_item (zyn_client_t *self, const char *table,
                        const zyn_value_t *key, zyn_error_t *err)
{
    zyn_value_t *request = s_request_for (table);
    s_put_copy (request, "Key", key);
    zyn_value_t *response = zyn_client_call (self, "DeleteItem", request,
                                             err);
    zyn_value_destroy (&request);
    int rc = response ? 0 : -1;
    zyn_value_destroy (&response);
    return rc;
}

//  One KeySchema and one AttributeDefinitions entry for a key attribute

static void
s_add_key (zyn_value_t *schema, zyn_value_t *definitions, const char *name,
           const char *type, const char *key_type)
{
    zyn_value_t *element = zyn_value_new_m ();
    zyn_value_map_put_s (element, "AttributeName", name);
    zyn_value_map_put_s (element, "KeyType", key_type);
    zyn_value_list_append (schema, &element);
    zyn_value_t *definition = zyn_value_new_m ();
    zyn_value_map_put_s (definition, "AttributeName", name);
    zyn_value_map_put_s (definition, "AttributeType", type);
    zyn_value_list_append (definitions, &definition);
}

//  Create a table with a partition key and an optional sort key.

int
zyn_client_create_table (zyn_client_t *self, const char *table,
                         const char *partition_key,
                         const char *partition_key_type, const char *sort_key,
                         const char *sort_key_type, zyn_error_t *err)
{
    zyn_value_t *request = s_request_for (table);
    zyn_value_t *schema = zyn_value_new_l ();
    zyn_value_t *definitions = zyn_value_new_l ();
    s_add_key (schema, definitions, partition_key, partition_key_type,
               "HASH");
    if (sort_key)
        s_add_key (schema, definitions, sort_key,
                   sort_key_type ? sort_key_type : "S", "RANGE");
    zyn_value_map_put (request, "KeySchema", &schema);
    zyn_value_map_put (request, "AttributeDefinitions", &definitions);
    zyn_value_map_put_s (request, "BillingMode", "PAY_PER_REQUEST");
    zyn_value_t *response = zyn_client_call (self, "CreateTable", request,
                                             err);
    zyn_value_destroy (&request);
    int rc = response ? 0 : -1;
    zyn_value_destroy (&response);
    return rc;
}

//  Wait until table is ACTIVE, at most timeout_ms. A table not found yet
//  is waited for, as the AWS CLI's table-exists waiter does.

int
zyn_client_wait_active (zyn_client_t *self, const char *table,
                        int timeout_ms, zyn_error_t *err)
{
    int64_t deadline = zyn_mono_msecs () + timeout_ms;
    zyn_value_t *request = s_request_for (table);
    int rc = -1;
    while (true) {
        zyn_error_t call_err = { 0 };
        zyn_value_t *response = zyn_client_call (self, "DescribeTable",
                                                 request, &call_err);
        const zyn_value_t *description
            = response ? zyn_value_map_get (response, "Table") : NULL;
        const char *status
            = description ? zyn_value_map_get_s (description, "TableStatus")
                          : NULL;
        bool active = status && streq (status, "ACTIVE");
        zyn_value_destroy (&response);
        if (active) {
            rc = 0;
            break;
        }
        if (call_err.type != ZYN_ERR_NONE
            && call_err.type != ZYN_ERR_RESOURCE_NOT_FOUND) {
            if (err)
                *err = call_err;
            break;
        }
        if (zyn_mono_msecs () + 50 >= deadline) {
            zyn_error_set (err, ZYN_ERR_SERVICE_UNAVAILABLE,
                           "table %s not ACTIVE within %d ms", table,
                           timeout_ms);
            break;
        }
        zclock_sleep (50);
    }
    zyn_value_destroy (&request);
    return rc;
}

/*  =========================================================================
    zyn_dispatch - the gateway's connection to the broker: many HTTP
    requests in flight on one DEALER socket

    No thread of its own: the gateway's event loop submits, polls and
    processes, all on one thread, so a request goes out on the DEALER in
    the same loop turn that parsed it. A call in flight sits in a slot
    table (its request id is the slot's index and generation, so a reply
    finds it without a hash or an allocation) and in a list ordered by
    deadline: every call gets the same timeout, so submission order is
    deadline order and expiry only looks at the list's head. The wire
    format is docs/protocol.md's client REQUEST / REPLY; s_send and
    s_receive are its two ends.
    =========================================================================
*/

#include "zyn_prelude.h"
#include "zyn_error.h"
#include "zyn_proto.h"
#include "zyn_dispatch.h"
#include "zyn_direct.h"

#define S_NO_SLOT UINT32_MAX

//  A request id is generation << 32 | index: a late reply to a slot that
//  has been reused since finds a different generation. Generations start
//  at 1 and skip 0, so no id is 0 (the protocol's "no request id")
typedef struct {
    zyn_call_t *call;                   //  Borrowed; NULL when free
    uint32_t generation;
    uint32_t next_free;                 //  Free list, S_NO_SLOT ends it
} s_slot_t;

struct zyn_dispatch {
    zsock_t *dealer;                    //  Owned: to the broker
    zyn_direct_t *direct;               //  Owned: to the workers, or NULL
    uint32_t routes_asked;              //  Routes requests so far
    s_slot_t *slots;                    //  Owned: calls in flight by id
    uint32_t slot_count;                //  Slots in use or freed
    uint32_t slot_capacity;
    uint32_t free_slot;                 //  Head of the free list
    zyn_call_t *oldest;                 //  Borrowed: calls in flight, in
    zyn_call_t *newest;                 //  deadline order
    size_t pending;
    bool dealer_unread;                 //  Sent on, or not read to the
    bool router_unread;                 //  end, since last read
    int timeout_ms;
    bool stopping;                      //  No more submits
    bool verbose;
};

//  At most this many replies per socket in one zyn_dispatch_process, so
//  a flood of replies cannot starve the HTTP side
#define S_BATCH_MAX 1024

static void
s_free_body (void *data, void *hint)
{
    (void) hint;
    free (data);
}

//  Take a free slot for call and give the call its request id
static void
s_slot_take (zyn_dispatch_t *self, zyn_call_t *call)
{
    uint32_t index = self->free_slot;
    if (index != S_NO_SLOT)
        self->free_slot = self->slots [index].next_free;
    else {
        if (self->slot_count == self->slot_capacity) {
            self->slot_capacity = self->slot_capacity ? self->slot_capacity * 2
                                                      : 256;
            self->slots = (s_slot_t *) realloc (
                self->slots, self->slot_capacity * sizeof (s_slot_t));
            assert (self->slots);
        }
        index = self->slot_count++;
        self->slots [index].generation = 1;
    }
    s_slot_t *slot = &self->slots [index];
    slot->call = call;
    slot->next_free = S_NO_SLOT;
    call->request_id = (uint64_t) slot->generation << 32 | index;
}

//  The call in flight with request_id, or NULL (a late or unknown reply)
static zyn_call_t *
s_slot_lookup (zyn_dispatch_t *self, uint64_t request_id)
{
    uint32_t index = (uint32_t) (request_id & 0xffffffffU);
    if (index >= self->slot_count)
        return NULL;
    s_slot_t *slot = &self->slots [index];
    if (!slot->call || slot->generation != (uint32_t) (request_id >> 32))
        return NULL;
    return slot->call;
}

//  Give call's slot back
static void
s_slot_free (zyn_dispatch_t *self, zyn_call_t *call)
{
    uint32_t index = (uint32_t) (call->request_id & 0xffffffffU);
    s_slot_t *slot = &self->slots [index];
    assert (slot->call == call);
    slot->call = NULL;
    if (++slot->generation == 0)
        slot->generation = 1;
    slot->next_free = self->free_slot;
    self->free_slot = index;
}

//  Take call out of flight: free its slot, unlink it from the deadline
//  list
static void
s_release (zyn_dispatch_t *self, zyn_call_t *call)
{
    s_slot_free (self, call);
    if (call->prev)
        call->prev->next = call->next;
    else
        self->oldest = call->next;
    if (call->next)
        call->next->prev = call->prev;
    else
        self->newest = call->prev;
    call->prev = call->next = NULL;
    self->pending--;
}

static void
s_call_set_failed (zyn_call_t *call, const char *message)
{
    snprintf (call->status, sizeof (call->status), "%s",
              zyn_error_name (ZYN_ERR_SERVICE_UNAVAILABLE));
    snprintf (call->message, sizeof (call->message), "%s", message);
}

//  Send one request on socket: ZYN1 | request-id | operation | body (a
//  DEALER adds no envelope). The body (malloc'd, or NULL for an empty
//  frame) is taken: it goes as it is and ZeroMQ frees it once sent.
//  Returns 0 or -1.
static int
s_send_body (void *socket, uint64_t request_id, const char *operation,
             void *data, size_t size)
{
    uint8_t id [8];
    zyn_put_u64 (id, request_id);
    int rc = zmq_send (socket, ZYN_PROTO_SIGNATURE, 4,
                       ZMQ_SNDMORE | ZMQ_DONTWAIT);
    if (rc >= 0)
        rc = zmq_send (socket, id, 8, ZMQ_SNDMORE);
    if (rc >= 0)
        rc = zmq_send (socket, operation, strlen (operation), ZMQ_SNDMORE);
    if (rc >= 0) {
        zmq_msg_t body;
        if (data)
            zmq_msg_init_data (&body, data, size, s_free_body, NULL);
        else
            zmq_msg_init (&body);
        data = NULL;
        rc = zmq_msg_send (&body, socket, 0);
        if (rc < 0)
            zmq_msg_close (&body);
    }
    free (data);
    return rc < 0 ? -1 : 0;
}

//  Send one call to the broker; takes its body
static int
s_send (void *socket, zyn_call_t *call)
{
    void *data = call->body;
    call->body = NULL;
    return s_send_body (socket, call->request_id, call->operation, data,
                        call->size);
}

//  Ask the broker for the routes, when the direct path wants them. The
//  request id's index is S_NO_SLOT, which no call ever has.
static void
s_ask_routes (zyn_dispatch_t *self)
{
    int64_t now = zyn_mono_msecs ();
    if (!self->direct || !zyn_direct_wants_routes (self->direct, now))
        return;
    uint64_t id = (uint64_t) ++self->routes_asked << 32 | S_NO_SLOT;
    void *empty = malloc (1);
    assert (empty);
    memcpy (empty, "\x80", 1);
    self->dealer_unread = true;
    if (s_send_body (zsock_resolve (self->dealer), id, "ZynGetRoutes", empty,
                     1) == 0)
        zyn_direct_routes_asked (self->direct, id, now);
}

//  Take one input of the direct path, if one is waiting: complete a
//  call with its reply, or send a request again through the broker.
//  Reads the monitor first if monitor is true. Returns false if there was
//  none.
static bool
s_receive_direct (zyn_dispatch_t *self, bool monitor)
{
    zyn_direct_reply_t reply;
    zyn_direct_resend_t resend;
    int rc = zyn_direct_drain (self->direct, monitor, true, true, &reply,
                               &resend);
    if (rc == 2) {
        //  A stale route or a worker gone: the broker takes it
        self->dealer_unread = true;
        if (s_send_body (zsock_resolve (self->dealer), resend.request_id,
                         resend.operation, resend.body, resend.size))
            zsys_warning ("zyn_dispatch: resend to the broker failed");
        s_ask_routes (self);
    }
    else
    if (rc == 1) {
        zyn_call_t *call = s_slot_lookup (self, reply.request_id);
        if (call) {
            s_release (self, call);
            size_t length = reply.status_size;
            if (length >= sizeof (call->status))
                length = sizeof (call->status) - 1;
            memcpy (call->status,
                    (const char *) zmq_msg_data (&reply.frame)
                    + reply.status_offset, length);
            call->status [length] = 0;
            //  The answer's frame moves into the call, uncopied
            zmq_msg_init (&call->reply_msg);
            zmq_msg_move (&call->reply_msg, &reply.frame);
            call->has_reply_msg = true;
            call->reply = (const uint8_t *) zmq_msg_data (&call->reply_msg)
                        + reply.body_offset;
            call->reply_size = reply.body_size;
        }
        zmq_msg_close (&reply.frame);
        if (call)
            call->done (call, call->arg);
    }
    return rc >= 0;
}

//  Receive one reply from socket, if one is waiting, and complete its
//  call. Returns false if there was none. The reply is four frames: ZYN1 |
//  request-id | status | body
static bool
s_receive (zyn_dispatch_t *self, void *socket)
{
    zmq_msg_t frames [4];
    int count = 0;
    bool more = true;
    while (more) {
        zmq_msg_t frame;
        zmq_msg_init (&frame);
        //  Only the first frame may be missing; the rest arrive with it
        if (zmq_msg_recv (&frame, socket, count ? 0 : ZMQ_DONTWAIT) < 0) {
            zmq_msg_close (&frame);
            if (count == 0)
                return false;
            break;
        }
        more = zmq_msg_more (&frame);
        if (count < 4)
            frames [count++] = frame;
        else {
            zmq_msg_close (&frame);
            count = 5;          //  Too many frames: malformed
        }
    }
    zyn_call_t *call = NULL;
    if (count == 4 && zmq_msg_size (&frames [0]) == 4
        && memcmp (zmq_msg_data (&frames [0]), ZYN_PROTO_SIGNATURE, 4) == 0
        && zmq_msg_size (&frames [1]) == 8) {
        uint64_t request_id
            = zyn_get_u64 ((const uint8_t *) zmq_msg_data (&frames [1]));
        char status [ZYN_PROTO_OPERATION_MAX + 1] = "";
        size_t length = zmq_msg_size (&frames [2]);
        if (length <= ZYN_PROTO_OPERATION_MAX)
            memcpy (status, zmq_msg_data (&frames [2]), length);
        //  The routes, for the direct path; else the reply of a call (a
        //  late reply to a call that timed out finds nobody waiting)
        if (self->direct
            && zyn_direct_routes_reply (self->direct, request_id, status,
                                        zmq_msg_data (&frames [3]),
                                        zmq_msg_size (&frames [3])))
            call = NULL;
        else
            call = s_slot_lookup (self, request_id);
        if (call)
            s_release (self, call);
    }
    else
        zsys_warning ("zyn_dispatch: malformed reply from broker");
    if (call) {
        size_t length = zmq_msg_size (&frames [2]);
        if (length >= sizeof (call->status))
            length = sizeof (call->status) - 1;
        memcpy (call->status, zmq_msg_data (&frames [2]), length);
        call->status [length] = 0;
        //  The body frame moves into the call, uncopied
        zmq_msg_init (&call->reply_msg);
        zmq_msg_move (&call->reply_msg, &frames [3]);
        call->has_reply_msg = true;
        call->reply = zmq_msg_data (&call->reply_msg);
        call->reply_size = zmq_msg_size (&call->reply_msg);
    }
    for (int i = 0; i < count && i < 4; i++)
        zmq_msg_close (&frames [i]);
    if (call)
        call->done (call, call->arg);
    return true;
}

//  Fail every call in flight whose deadline passed (all, if force).
//  Returns how many.
static int
s_expire (zyn_dispatch_t *self, bool force)
{
    int expired = 0;
    int64_t now = force ? INT64_MAX : zyn_mono_msecs ();
    while (self->oldest && self->oldest->deadline <= now) {
        zyn_call_t *call = self->oldest;
        s_release (self, call);
        s_call_set_failed (call, force ? "The gateway is shutting down"
                                       : "The broker did not answer in time");
        if (self->verbose)
            zsys_debug ("zyn_dispatch: failed op=%s: %s", call->operation,
                        call->message);
        call->done (call, call->arg);
        expired++;
    }
    return expired;
}

//  --------------------------------------------------------------------------
//  Create a dispatcher connected to the broker at endpoint.

zyn_dispatch_t *
zyn_dispatch_new (const char *endpoint, int timeout_ms, bool verbose,
                  zyn_error_t *err)
{
    assert (endpoint);
    zyn_dispatch_t *self = (zyn_dispatch_t *) zmalloc (sizeof (zyn_dispatch_t));
    self->timeout_ms = timeout_ms > 0 ? timeout_ms : 10000;
    self->verbose = verbose;
    self->free_slot = S_NO_SLOT;
    self->dealer = zsock_new (ZMQ_DEALER);
    assert (self->dealer);
    const char *direct = getenv ("ZYNAMO_DIRECT");
    if (!direct || !streq (direct, "0"))
        self->direct = zyn_direct_new ();
    zsock_set_sndhwm (self->dealer, 0);
    zsock_set_rcvhwm (self->dealer, 0);
    zsock_set_linger (self->dealer, 0);
    if (zsock_connect (self->dealer, "%s", endpoint)) {
        zyn_error_set (err, ZYN_ERR_VALIDATION,
                       "cannot connect to broker endpoint %s", endpoint);
        zyn_dispatch_destroy (&self);
    }
    return self;
}

//  --------------------------------------------------------------------------
//  Stop, then free the dispatcher.

void
zyn_dispatch_destroy (zyn_dispatch_t **self_p)
{
    assert (self_p);
    zyn_dispatch_t *self = *self_p;
    if (self) {
        zyn_dispatch_stop (self);
        zyn_direct_destroy (&self->direct);
        zsock_destroy (&self->dealer);
        free (self->slots);
        free (self);
        *self_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  Complete every call in flight with ServiceUnavailable, refuse later
//  submits.

void
zyn_dispatch_stop (zyn_dispatch_t *self)
{
    assert (self);
    self->stopping = true;
    s_expire (self, true);
}

//  --------------------------------------------------------------------------
//  Send a call at once.

int
zyn_dispatch_submit (zyn_dispatch_t *self, zyn_call_t *call)
{
    assert (self);
    assert (call);
    assert (call->done);
    if (self->stopping) {
        free (call->body);
        call->body = NULL;
        s_call_set_failed (call, "The gateway is shutting down");
        return -1;
    }
    s_slot_take (self, call);
    //  A full outbox is sent at once, and sending may take the wakeup of
    //  a reply already waiting (libzmq reads its commands then): the
    //  socket must be read again
    if (self->direct)
        self->router_unread = true;
    if (self->direct
        && zyn_direct_send (self->direct, call->request_id, call->operation,
                            call->body, call->size, call->request)) {
        //  The direct path keeps its own copy until the reply
        free (call->body);
        call->body = NULL;
    }
    else {
        self->dealer_unread = true;
        if (s_send (zsock_resolve (self->dealer), call)) {
            //  The slot goes back at once: nothing is in flight
            s_slot_free (self, call);
            free (call->body);
            call->body = NULL;
            s_call_set_failed (call, "The broker cannot take more requests");
            return -1;
        }
    }
    call->request = NULL;
    s_ask_routes (self);
    call->deadline = zyn_mono_msecs () + self->timeout_ms;
    call->next = NULL;
    call->prev = self->newest;
    if (self->newest)
        self->newest->next = call;
    else
        self->oldest = call;
    self->newest = call;
    self->pending++;
    return 0;
}

//  --------------------------------------------------------------------------
//  The sockets replies come in on.

int
zyn_dispatch_pollitems (zyn_dispatch_t *self, zmq_pollitem_t *items, int max)
{
    assert (self);
    assert (items);
    if (max < 1)
        return 0;
    items [0] = (zmq_pollitem_t) { zsock_resolve (self->dealer), 0,
                                   ZMQ_POLLIN, 0 };
    if (!self->direct || max < 3)
        return 1;
    items [1] = (zmq_pollitem_t) {
        zsock_resolve (zyn_direct_socket (self->direct)), 0, ZMQ_POLLIN, 0 };
    items [2] = (zmq_pollitem_t) {
        zsock_resolve (zyn_direct_monitor (self->direct)), 0, ZMQ_POLLIN, 0 };
    if (max < 4)
        return 3;
    items [3] = (zmq_pollitem_t) {
        NULL, zyn_direct_local_fd (self->direct), ZMQ_POLLIN, 0 };
    return 4;
}

//  Read the sockets named (the dealer, the direct path's router and
//  monitor), each until it has nothing more, and any sent on since last
//  read; then fail the calls past their deadline
static int
s_process (zyn_dispatch_t *self, bool dealer, bool router, bool monitor)
{
    int completed = 0;
    zyn_dispatch_flush (self);
    dealer = dealer || self->dealer_unread;
    router = router || self->router_unread;
    self->dealer_unread = false;
    self->router_unread = false;
    if (self->direct && (router || monitor)) {
        //  The direct path first: its resends go out on the dealer
        int direct = 0;
        while (direct < S_BATCH_MAX && s_receive_direct (self, monitor)) {
            monitor = false;
            direct++;
        }
        //  A batch cut short leaves input that wakes nobody
        if (direct == S_BATCH_MAX)
            self->router_unread = true;
        completed += direct;
    }
    if (dealer || self->dealer_unread) {
        self->dealer_unread = false;
        void *socket = zsock_resolve (self->dealer);
        int count = 0;
        while (count < S_BATCH_MAX && s_receive (self, socket))
            count++;
        if (count == S_BATCH_MAX)
            self->dealer_unread = true;
        completed += count;
    }
    if (self->oldest)
        completed += s_expire (self, false);
    return completed;
}

//  --------------------------------------------------------------------------
//  Complete every call whose reply is waiting and every call past its
//  deadline.

int
zyn_dispatch_process (zyn_dispatch_t *self)
{
    assert (self);
    return s_process (self, true, true, true);
}

//  --------------------------------------------------------------------------
//  As zyn_dispatch_process, reading only the sockets whose items have
//  ZMQ_POLLIN in revents and those sent on since they were last read.

int
zyn_dispatch_process_ready (zyn_dispatch_t *self, zmq_pollitem_t *items,
                            int count)
{
    assert (self);
    assert (items || count == 0);
    bool ready [4] = { false, false, false, false };
    for (int i = 0; i < count && i < 4; i++)
        ready [i] = (items [i].revents & ZMQ_POLLIN) != 0;
    //  The router and the local links are read together
    return s_process (self, ready [0], ready [1] || ready [3], ready [2]);
}

//  --------------------------------------------------------------------------
//  Send the direct requests submitted since the last flush, one message
//  per worker. Call it once per loop turn, before sleeping.

void
zyn_dispatch_flush (zyn_dispatch_t *self)
{
    assert (self);
    //  A send may take the wake-up of a reply already waiting, and
    //  requests a worker could not take come back as resends
    if (self->direct) {
        zyn_direct_flush (self->direct);
        if (zyn_direct_needs_read (self->direct))
            self->router_unread = true;
    }
}

//  --------------------------------------------------------------------------
//  True if a socket must be read before the caller sleeps.

bool
zyn_dispatch_has_unread (zyn_dispatch_t *self)
{
    assert (self);
    return self->dealer_unread || self->router_unread;
}

//  --------------------------------------------------------------------------
//  Msecs until the earliest deadline, or -1.

long
zyn_dispatch_timeout (zyn_dispatch_t *self)
{
    assert (self);
    if (!self->oldest)
        return -1;
    int64_t wait = self->oldest->deadline - zyn_mono_msecs ();
    return wait > 0 ? (long) wait : 0;
}

//  --------------------------------------------------------------------------
//  Calls in flight.

size_t
zyn_dispatch_pending (zyn_dispatch_t *self)
{
    assert (self);
    return self->pending;
}

//  --------------------------------------------------------------------------
//  Reset a call's results so it can be reused.

void
zyn_call_reset (zyn_call_t *call)
{
    assert (call);
    free (call->body);
    call->body = NULL;
    call->size = 0;
    if (call->has_reply_msg)
        zmq_msg_close (&call->reply_msg);
    call->has_reply_msg = false;
    call->reply = NULL;
    call->reply_size = 0;
    call->status [0] = 0;
    call->message [0] = 0;
    call->prev = NULL;
    call->next = NULL;
}

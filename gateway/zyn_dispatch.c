/*  =========================================================================
    zyn_dispatch - the gateway's one connection to the broker: many HTTP
    requests in flight on one DEALER socket

    HTTP threads push calls on a mutex-protected queue and wake the actor
    through an eventfd; the actor polls its pipe, the DEALER and the
    eventfd with zmq_poll (zpoller cannot poll a plain file descriptor).
    Pending calls sit in a hash by request id until their reply comes or
    their deadline passes. The wire format is docs/protocol.md's client
    REQUEST / REPLY.
    =========================================================================
*/

#include "zyn_prelude.h"
#include "zyn_error.h"
#include "zyn_proto.h"
#include "zyn_dispatch.h"

#include <pthread.h>
#include <sys/eventfd.h>

struct zyn_dispatch {
    zactor_t *actor;                    //  Owned: the dispatcher thread
    pthread_mutex_t mutex;              //  Guards the queue and stopping
    zyn_call_t *head;                   //  Hand-over queue (borrowed calls)
    zyn_call_t *tail;
    bool stopping;                      //  No more submits
    int wakeup;                         //  Owned eventfd
    char *endpoint;                     //  Owned
    int timeout_ms;
    bool verbose;
    bool connect_failed;                //  Set by the actor before ready
};

//  The actor's state
typedef struct {
    zyn_dispatch_t *dispatch;           //  Borrowed: the owner
    zsock_t *pipe;                      //  Borrowed: actor pipe
    zsock_t *dealer;                    //  Owned: to the broker
    zhashx_t *pending;                  //  Request id -> borrowed call
    uint64_t next_id;
    bool terminated;
} s_self_t;

static void
s_call_fail (zyn_call_t *call, zyn_errtype_t type, const char *message)
{
    snprintf (call->status, sizeof (call->status), "%s",
              zyn_error_name (type));
    snprintf (call->message, sizeof (call->message), "%s", message);
    free (call->body);
    call->body = NULL;
    call->done (call, call->arg);
}

static size_t
s_id_hash (const void *key)
{
    uint64_t id = (uint64_t) (uintptr_t) key;
    return (size_t) (id * 0x9E3779B97F4A7C15ULL);
}

static int
s_id_compare (const void *a, const void *b)
{
    uintptr_t x = (uintptr_t) a;
    uintptr_t y = (uintptr_t) b;
    return x < y ? -1 : x > y ? 1 : 0;
}

static void
s_free_body (void *data, void *hint)
{
    (void) hint;
    free (data);
}

//  Take every queued call and send it
static void
s_self_drain_queue (s_self_t *self)
{
    uint64_t counter;
    if (read (self->dispatch->wakeup, &counter, sizeof (counter)) < 0
        && errno != EAGAIN)
        zsys_warning ("zyn_dispatch: eventfd read failed: %s",
                      strerror (errno));
    pthread_mutex_lock (&self->dispatch->mutex);
    zyn_call_t *call = self->dispatch->head;
    self->dispatch->head = self->dispatch->tail = NULL;
    pthread_mutex_unlock (&self->dispatch->mutex);
    int64_t now = zyn_mono_msecs ();
    void *socket = zsock_resolve (self->dealer);
    while (call) {
        zyn_call_t *next = call->next;
        call->next = NULL;
        call->request_id = self->next_id++;
        call->deadline = now + self->dispatch->timeout_ms;
        uint8_t id [8];
        zyn_put_u64 (id, call->request_id);
        //  DEALER, no envelope: ZYN1 | id | operation | body
        int rc = zmq_send (socket, ZYN_PROTO_SIGNATURE, 4,
                           ZMQ_SNDMORE | ZMQ_DONTWAIT);
        if (rc >= 0)
            rc = zmq_send (socket, id, 8, ZMQ_SNDMORE);
        if (rc >= 0)
            rc = zmq_send (socket, call->operation, strlen (call->operation),
                           ZMQ_SNDMORE);
        if (rc >= 0) {
            //  The body goes as it is; ZeroMQ frees it once sent
            zmq_msg_t body;
            if (call->body)
                zmq_msg_init_data (&body, call->body, call->size, s_free_body,
                                   NULL);
            else
                zmq_msg_init (&body);
            call->body = NULL;
            rc = zmq_msg_send (&body, socket, 0);
            if (rc < 0)
                zmq_msg_close (&body);
        }
        if (rc < 0)
            s_call_fail (call, ZYN_ERR_SERVICE_UNAVAILABLE,
                         "The broker cannot take more requests");
        else
            zhashx_insert (self->pending,
                           (void *) (uintptr_t) call->request_id, call);
        call = next;
    }
}

//  Receive one reply, if one is waiting, and complete its call. Returns
//  false if there was none. The reply is four frames: ZYN1 | request-id |
//  status | body
static bool
s_self_handle_dealer (s_self_t *self)
{
    void *socket = zsock_resolve (self->dealer);
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
        uint64_t request_id = zyn_get_u64 (
            (const uint8_t *) zmq_msg_data (&frames [1]));
        call = (zyn_call_t *) zhashx_lookup (self->pending,
                                             (void *) (uintptr_t) request_id);
        //  A late reply to a call that timed out finds nobody waiting
        if (call)
            zhashx_delete (self->pending, (void *) (uintptr_t) request_id);
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

//  Fail every pending call whose deadline passed (all, if force)
static void
s_self_expire (s_self_t *self, bool force)
{
    int64_t now = zyn_mono_msecs ();
    zlistx_t *expired = zlistx_new ();
    for (zyn_call_t *call = (zyn_call_t *) zhashx_first (self->pending); call;
         call = (zyn_call_t *) zhashx_next (self->pending))
        if (force || call->deadline <= now)
            zlistx_add_end (expired, call);
    for (zyn_call_t *call = (zyn_call_t *) zlistx_first (expired); call;
         call = (zyn_call_t *) zlistx_next (expired)) {
        zhashx_delete (self->pending, (void *) (uintptr_t) call->request_id);
        s_call_fail (call, ZYN_ERR_SERVICE_UNAVAILABLE,
                     force ? "The gateway is shutting down"
                           : "The broker did not answer in time");
    }
    zlistx_destroy (&expired);
}

static void
s_dispatch_actor (zsock_t *pipe, void *args)
{
    s_self_t self = { 0 };
    self.dispatch = (zyn_dispatch_t *) args;
    self.pipe = pipe;
    self.next_id = 1;
    self.dealer = zsock_new (ZMQ_DEALER);
    assert (self.dealer);
    zsock_set_sndhwm (self.dealer, 0);
    zsock_set_rcvhwm (self.dealer, 0);
    zsock_set_linger (self.dealer, 0);
    int rc = zsock_connect (self.dealer, "%s", self.dispatch->endpoint);
    self.pending = zhashx_new ();
    zhashx_set_key_hasher (self.pending, s_id_hash);
    zhashx_set_key_comparator (self.pending, s_id_compare);
    zhashx_set_key_duplicator (self.pending, NULL);
    zhashx_set_key_destructor (self.pending, NULL);
    //  zactor_new waits for this: new () reads connect_failed after it
    self.dispatch->connect_failed = rc != 0;
    zsock_signal (pipe, 0);
    zmq_pollitem_t items [] = {
        { zsock_resolve (pipe), 0, ZMQ_POLLIN, 0 },
        { zsock_resolve (self.dealer), 0, ZMQ_POLLIN, 0 },
        { NULL, self.dispatch->wakeup, ZMQ_POLLIN, 0 }
    };
    int64_t next_expiry = zyn_mono_msecs () + 100;
    while (!self.terminated && rc == 0) {
        long wait = (long) (next_expiry - zyn_mono_msecs ());
        if (wait < 0)
            wait = 0;
        if (zmq_poll (items, 3, wait) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (items [0].revents & ZMQ_POLLIN) {
            char *command = zstr_recv (pipe);
            if (!command || streq (command, "$TERM"))
                self.terminated = true;
            else {
                zsys_error ("zyn_dispatch: invalid command '%s'", command);
                assert (false);
            }
            zstr_free (&command);
        }
        //  Replies first: they free HTTP threads; then new calls
        for (int batch = 0; batch < 1000; batch++)
            if (!s_self_handle_dealer (&self))
                break;
        if (items [2].revents & ZMQ_POLLIN)
            s_self_drain_queue (&self);
        if (zyn_mono_msecs () >= next_expiry) {
            s_self_expire (&self, false);
            next_expiry = zyn_mono_msecs () + 100;
        }
    }
    //  Stopping: nothing more comes in; answer everything still waiting
    pthread_mutex_lock (&self.dispatch->mutex);
    self.dispatch->stopping = true;
    pthread_mutex_unlock (&self.dispatch->mutex);
    s_self_drain_queue (&self);
    s_self_expire (&self, true);
    zhashx_destroy (&self.pending);
    zsock_destroy (&self.dealer);
}

//  --------------------------------------------------------------------------
//  Start the dispatcher connected to the broker at endpoint.

zyn_dispatch_t *
zyn_dispatch_new (const char *endpoint, int timeout_ms, bool verbose,
                  zyn_error_t *err)
{
    assert (endpoint);
    zyn_dispatch_t *self = (zyn_dispatch_t *) zmalloc (sizeof (zyn_dispatch_t));
    pthread_mutex_init (&self->mutex, NULL);
    self->endpoint = strdup (endpoint);
    self->timeout_ms = timeout_ms > 0 ? timeout_ms : 10000;
    self->verbose = verbose;
    self->wakeup = eventfd (0, EFD_NONBLOCK | EFD_CLOEXEC);
    assert (self->wakeup >= 0);
    self->actor = zactor_new (s_dispatch_actor, self);
    assert (self->actor);
    if (self->connect_failed) {
        zyn_error_set (err, ZYN_ERR_VALIDATION,
                       "cannot connect to broker endpoint %s", endpoint);
        zyn_dispatch_destroy (&self);
    }
    return self;
}

//  --------------------------------------------------------------------------
//  Stop the dispatcher.

void
zyn_dispatch_destroy (zyn_dispatch_t **self_p)
{
    assert (self_p);
    zyn_dispatch_t *self = *self_p;
    if (self) {
        zyn_dispatch_stop (self);
        //  The actor failed everything it held; calls submitted since
        //  are refused, so the queue is empty here
        assert (self->head == NULL);
        close (self->wakeup);
        pthread_mutex_destroy (&self->mutex);
        free (self->endpoint);
        free (self);
        *self_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  Stop the dispatcher thread without freeing it.

void
zyn_dispatch_stop (zyn_dispatch_t *self)
{
    assert (self);
    zactor_destroy (&self->actor);
    pthread_mutex_lock (&self->mutex);
    self->stopping = true;
    pthread_mutex_unlock (&self->mutex);
}

//  --------------------------------------------------------------------------
//  Hand a call over.

int
zyn_dispatch_submit (zyn_dispatch_t *self, zyn_call_t *call)
{
    assert (self);
    assert (call);
    assert (call->done);
    call->next = NULL;
    pthread_mutex_lock (&self->mutex);
    if (self->stopping) {
        pthread_mutex_unlock (&self->mutex);
        return -1;
    }
    bool was_empty = self->head == NULL;
    if (self->tail)
        self->tail->next = call;
    else
        self->head = call;
    self->tail = call;
    pthread_mutex_unlock (&self->mutex);
    if (was_empty) {
        //  One wake-up per batch: the actor drains the whole queue
        uint64_t one = 1;
        if (write (self->wakeup, &one, sizeof (one)) < 0)
            zsys_warning ("zyn_dispatch: eventfd write failed: %s",
                          strerror (errno));
    }
    return 0;
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
    call->next = NULL;
}

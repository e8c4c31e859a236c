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
        //  DEALER: empty-free framing, ZYN1 | id | operation | body
        int rc = zmq_send (socket, ZYN_PROTO_SIGNATURE, 4,
                           ZMQ_SNDMORE | ZMQ_DONTWAIT);
        if (rc >= 0)
            rc = zmq_send (socket, id, 8, ZMQ_SNDMORE);
        if (rc >= 0)
            rc = zmq_send (socket, call->operation, strlen (call->operation),
                           ZMQ_SNDMORE);
        if (rc >= 0)
            rc = zmq_send (socket, call->body ? call->body : "",
                           call->body ? call->size : 0, 0);
        if (rc < 0)
            s_call_fail (call, ZYN_ERR_SERVICE_UNAVAILABLE,
                         "The broker cannot take more requests");
        else {
            free (call->body);
            call->body = NULL;
            zhashx_insert (self->pending,
                           (void *) (uintptr_t) call->request_id, call);
        }
        call = next;
    }
}

//  Receive one reply and complete its call
static void
s_self_handle_dealer (s_self_t *self)
{
    zmsg_t *msg = zmsg_recv (self->dealer);
    if (!msg)
        return;
    if (zyn_proto_pop_signature (msg) || zmsg_size (msg) != 3) {
        zsys_warning ("zyn_dispatch: malformed reply from broker");
        zmsg_destroy (&msg);
        return;
    }
    zframe_t *id_frame = zmsg_pop (msg);
    uint64_t request_id = zyn_proto_request_id (id_frame);
    zframe_destroy (&id_frame);
    zyn_call_t *call = (zyn_call_t *) zhashx_lookup (
        self->pending, (void *) (uintptr_t) request_id);
    if (!call) {
        //  Late reply to a call that timed out: nobody waits for it
        zmsg_destroy (&msg);
        return;
    }
    zhashx_delete (self->pending, (void *) (uintptr_t) request_id);
    zframe_t *status = zmsg_pop (msg);
    size_t length = zframe_size (status);
    if (length >= sizeof (call->status))
        length = sizeof (call->status) - 1;
    memcpy (call->status, zframe_data (status), length);
    call->status [length] = 0;
    zframe_destroy (&status);
    zframe_t *body = zmsg_pop (msg);
    call->reply_size = zframe_size (body);
    call->reply = malloc (call->reply_size ? call->reply_size : 1);
    assert (call->reply);
    memcpy (call->reply, zframe_data (body), call->reply_size);
    zframe_destroy (&body);
    zmsg_destroy (&msg);
    call->done (call, call->arg);
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
        for (int batch = 0; batch < 1000; batch++) {
            if (!(zsock_events (self.dealer) & ZMQ_POLLIN))
                break;
            s_self_handle_dealer (&self);
        }
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
    free (call->reply);
    call->reply = NULL;
    call->reply_size = 0;
    call->status [0] = 0;
    call->message [0] = 0;
    call->next = NULL;
}

/*  =========================================================================
    zyn_replies - a worker's replies waiting for the group commit (see
    the header)
    =========================================================================
*/

#include "zyn_prelude.h"
#include "zyn_error.h"
#include "zyn_proto.h"
#include "zyn_replies.h"

//  A reply waiting. Replies live in an array reused from batch to batch:
//  queuing one allocates nothing but its body.
typedef struct {
    uint8_t client [ZYN_REPLIES_CLIENT_MAX];
    size_t client_size;
    uint64_t request_id;
    const char *status;         //  A static string
    uint8_t *body;              //  Owned
    size_t body_size;
    zyn_partition_t *partition; //  Borrowed, the partition it waits on,
                                //  or NULL
    uint64_t wait_seq;          //  It goes once partition's last durable
                                //  sequence number reaches this
    bool direct;                //  For the front door, not the broker
    bool local;                 //  For the local front door
} s_reply_t;

struct zyn_replies {
    s_reply_t *replies;         //  Owned, oldest first
    size_t count;
    size_t max;
};

zyn_replies_t *
zyn_replies_new (void)
{
    return (zyn_replies_t *) zmalloc (sizeof (zyn_replies_t));
}

void
zyn_replies_destroy (zyn_replies_t **self_p)
{
    assert (self_p);
    zyn_replies_t *self = *self_p;
    if (self) {
        for (size_t i = 0; i < self->count; i++)
            free (self->replies [i].body);
        free (self->replies);
        free (self);
        *self_p = NULL;
    }
}

size_t
zyn_replies_size (zyn_replies_t *self)
{
    assert (self);
    return self->count;
}

//  --------------------------------------------------------------------------
//  Queue a reply

void
zyn_replies_add (zyn_replies_t *self, const zyn_replies_to_t *to,
                 const char *status, uint8_t *body, size_t body_size,
                 zyn_partition_t *partition)
{
    assert (self);
    assert (to->client_size <= ZYN_REPLIES_CLIENT_MAX);
    if (self->count == self->max) {
        self->max = self->max ? self->max * 2 : 64;
        self->replies = (s_reply_t *) realloc (
            self->replies, self->max * sizeof (s_reply_t));
        assert (self->replies);
    }
    s_reply_t *reply = &self->replies [self->count++];
    memcpy (reply->client, to->client, to->client_size);
    reply->client_size = to->client_size;
    reply->request_id = to->request_id;
    reply->status = status;
    reply->body = body;
    reply->body_size = body_size;
    reply->partition = partition;
    reply->wait_seq = partition ? zyn_partition_staged_seq (partition) : 0;
    reply->direct = to->direct;
    reply->local = to->local;
}

static void
s_reply_error (s_reply_t *reply, const zyn_error_t *err,
               const zyn_value_t *extra)
{
    free (reply->body);
    reply->status = zyn_error_name (err->type);
    reply->body = (uint8_t *) zyn_proto_error_body (err, extra,
                                                    &reply->body_size);
}

void
zyn_replies_error_last (zyn_replies_t *self, const zyn_error_t *err,
                        const zyn_value_t *extra)
{
    assert (self);
    assert (self->count);
    s_reply_error (&self->replies [self->count - 1], err, extra);
}

//  --------------------------------------------------------------------------
//  A failed commit: what its replies saw is gone

void
zyn_replies_fail (zyn_replies_t *self, zyn_partition_t *partition)
{
    assert (self);
    uint64_t durable = zyn_partition_last_seq (partition);
    zyn_error_t err = { 0 };
    zyn_error_set (&err, ZYN_ERR_INTERNAL,
                   "Internal server error: the write could not be made "
                   "durable");
    for (size_t i = 0; i < self->count; i++) {
        s_reply_t *reply = &self->replies [i];
        if (reply->partition == partition && reply->wait_seq > durable) {
            s_reply_error (reply, &err, NULL);
            reply->partition = NULL;
        }
    }
}

//  --------------------------------------------------------------------------
//  Send one reply: to a front door client (its routing id first, for the
//  first of a message only) one frame ZYN1 | request-id | status | body,
//  to the broker ZYN1 | REPLY | client | request-id | status | body.
//  Frees its body.

//  Bodies up to this size are copied into their frame (ZeroMQ keeps
//  those inside the message); larger ones are handed over
#define S_BODY_COPY_MAX 64

static void
s_free_body (void *data, void *hint)
{
    (void) hint;
    free (data);
}

static void
s_send_reply (s_reply_t *reply, zsock_t *front, zsock_t *dealer,
              zyn_local_t *local, bool first, bool more, bool *front_sent,
              bool *dealer_sent)
{
    zsock_t *socket = reply->direct ? front : dealer;
    if (reply->local) {
        //  Into the link's output, written out by zyn_local_flush
        uint64_t link;
        memcpy (&link, reply->client, sizeof (link));
        size_t status_size = strlen (reply->status);
        uint8_t *out = local
            ? zyn_local_reserve (local, link,
                                 ZYN_PROTO_DIRECT_ANSWER_HEAD + status_size
                                 + reply->body_size)
            : NULL;
        if (out) {
            size_t head = zyn_proto_direct_answer_head (
                out, reply->request_id, reply->status);
            if (reply->body_size)
                memcpy (out + head, reply->body, reply->body_size);
        }
    }
    else
    if (socket && reply->direct) {
        void *handle = zsock_resolve (socket);
        if (first)
            zmq_send (handle, reply->client, reply->client_size,
                      ZMQ_SNDMORE);
        zmq_msg_t frame;
        zmq_msg_init_size (&frame, ZYN_PROTO_DIRECT_ANSWER_HEAD
                                   + strlen (reply->status)
                                   + reply->body_size);
        uint8_t *out = (uint8_t *) zmq_msg_data (&frame);
        size_t head = zyn_proto_direct_answer_head (out, reply->request_id,
                                                    reply->status);
        if (reply->body_size)
            memcpy (out + head, reply->body, reply->body_size);
        if (zmq_msg_send (&frame, handle, more ? ZMQ_SNDMORE : 0) < 0)
            zmq_msg_close (&frame);
        *front_sent = true;
    }
    else
    if (socket) {
        void *handle = zsock_resolve (socket);
        uint8_t id [8];
        zyn_proto_put_request_id (id, reply->request_id);
        zmq_send (handle, ZYN_PROTO_SIGNATURE, 4, ZMQ_SNDMORE);
        zmq_send (handle, ZYN_PROTO_REPLY, strlen (ZYN_PROTO_REPLY),
                  ZMQ_SNDMORE);
        zmq_send (handle, reply->client, reply->client_size, ZMQ_SNDMORE);
        zmq_send (handle, id, 8, ZMQ_SNDMORE);
        zmq_send (handle, reply->status, strlen (reply->status),
                  ZMQ_SNDMORE);
        //  A large body (an item) goes without a copy: ZeroMQ takes the
        //  buffer and frees it when it has been written out
        zmq_msg_t frame;
        if (reply->body_size > S_BODY_COPY_MAX
            && zmq_msg_init_data (&frame, reply->body, reply->body_size,
                                  s_free_body, NULL) == 0) {
            reply->body = NULL;
            if (zmq_msg_send (&frame, handle, more ? ZMQ_SNDMORE : 0) < 0)
                zmq_msg_close (&frame);
        }
        else
            zmq_send (handle, reply->body, reply->body_size,
                      more ? ZMQ_SNDMORE : 0);
        *dealer_sent = true;
    }
    free (reply->body);
    reply->body = NULL;
}

//  True if next (or NULL) may go in the same reply message as reply
static bool
s_joins (const s_reply_t *reply, const s_reply_t *next)
{
    return next && reply->direct && next->direct && !reply->local
        && !next->local && reply->client_size == next->client_size
        && memcmp (reply->client, next->client, reply->client_size) == 0;
}

//  --------------------------------------------------------------------------
//  Send the replies that may go

size_t
zyn_replies_send (zyn_replies_t *self, zsock_t *front, zsock_t *dealer,
                  zyn_local_t *local, bool *front_sent, bool *dealer_sent)
{
    assert (self);
    size_t ready = 0;
    while (ready < self->count) {
        s_reply_t *reply = &self->replies [ready];
        if (reply->partition
            && zyn_partition_last_seq (reply->partition) < reply->wait_seq)
            break;
        ready++;
    }
    bool joined = false;        //  The last reply's message goes on
    for (size_t i = 0; i < ready; i++) {
        s_reply_t *reply = &self->replies [i];
        //  Replies to one front door client in a row go as one message,
        //  as its requests came
        bool first = !joined;
        joined = s_joins (reply, i + 1 < ready ? reply + 1 : NULL);
        s_send_reply (reply, front, dealer, local, first, joined,
                      front_sent, dealer_sent);
    }
    self->count -= ready;
    if (ready && self->count)
        memmove (self->replies, self->replies + ready,
                 self->count * sizeof (s_reply_t));
    return ready;
}

/*  =========================================================================
    zyn_replies - a worker's replies waiting for the group commit

    Each reply waits for the writes it saw to be durable: those staged
    on its partition when it was queued (zyn_partition_staged_seq). The
    commit is pipelined (zyn_commit), so a reply may wait across
    batches. zyn_replies_send sends the replies that may go, in the order
    their requests came, up to the first that still waits: to a front
    door client, to the broker, or into a local front door link. A
    commit that fails turns the replies that saw its writes into
    InternalServerError (zyn_replies_fail): a reply never reveals a write
    that is not durable.
    =========================================================================
*/

#ifndef ZYN_REPLIES_H_INCLUDED
#define ZYN_REPLIES_H_INCLUDED

#include "zynamo.h"
#include "zyn_partition.h"
#include "zyn_local.h"

//  Longest client address a reply keeps: a ZeroMQ routing id is at most
//  255 octets
#define ZYN_REPLIES_CLIENT_MAX 255

typedef struct zyn_replies zyn_replies_t;

zyn_replies_t *
    zyn_replies_new (void);

void
    zyn_replies_destroy (zyn_replies_t **self_p);

//  Where a reply goes: the broker's client address, a front door
//  client's routing id, or (local) a local front door link's id, 8
//  octets in host order; direct for the front doors
typedef struct {
    const void *client;
    size_t client_size;             //  At most ZYN_REPLIES_CLIENT_MAX
    uint64_t request_id;
    bool direct;
    bool local;
} zyn_replies_to_t;

//  Queue a reply: status (a static string) and body, which it takes
//  (NULL if none). It waits for partition's writes staged so far, or
//  for nothing if partition is NULL; nothing may close partition while
//  a reply waits on it.
void
    zyn_replies_add (zyn_replies_t *self, const zyn_replies_to_t *to,
                     const char *status, uint8_t *body, size_t body_size,
                     zyn_partition_t *partition);

//  Turn the reply queued last into an error reply for err
void
    zyn_replies_error_last (zyn_replies_t *self, const zyn_error_t *err,
                            const zyn_value_t *extra);

//  After a failed commit of partition (zyn_partition_finish): the
//  replies that wait on writes past its last durable sequence number
//  become InternalServerError and wait no more
void
    zyn_replies_fail (zyn_replies_t *self, zyn_partition_t *partition);

//  Send the replies that may go, in order, up to the first that waits:
//  on front (front door), dealer (broker; skipped if NULL) or into local.
//  Replies to one front door client in a row go as one message. Sets
//  *front_sent and *dealer_sent if it sent on them. Returns how many
//  went.
size_t
    zyn_replies_send (zyn_replies_t *self, zsock_t *front, zsock_t *dealer,
                      zyn_local_t *local, bool *front_sent,
                      bool *dealer_sent);

//  How many replies are queued
size_t
    zyn_replies_size (zyn_replies_t *self);

#endif

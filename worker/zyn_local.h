/*  =========================================================================
    zyn_local - the worker's local front door: direct requests from
    clients on the same host over plain Unix stream sockets

    Listens on a unix:// endpoint and keeps one zyn_wire_t per client
    connection (a link). The worker's actor polls the descriptors it
    hands out, takes request frames one at a time (the same direct
    frames as the ZeroMQ front door, docs/protocol.md section 4), and
    queues each answer frame on the link it came from; a flush writes
    them out. A link whose peer closes, sends a length over the limit or
    stops reading is closed; answers still due on it are dropped, as a
    ZeroMQ ROUTER drops them for a peer that left. Not thread safe.
    =========================================================================
*/

#ifndef ZYN_LOCAL_H_INCLUDED
#define ZYN_LOCAL_H_INCLUDED

#include "zynamo.h"

//  Most client connections at once; more are closed as they come
#define ZYN_LOCAL_LINKS_MAX 1024

typedef struct zyn_local zyn_local_t;

//  Listen on endpoint (unix://@NAME or unix:///PATH). Returns NULL with
//  errno set if it cannot.
zyn_local_t *
    zyn_local_new (const char *endpoint);

//  Close every link and the listener (and remove a socket file)
void
    zyn_local_destroy (zyn_local_t **self_p);

const char *
    zyn_local_endpoint (zyn_local_t *self);

//  How many descriptors zyn_local_pollfds fills: the listener and one
//  per link
size_t
    zyn_local_pollfd_count (zyn_local_t *self);

//  Fill items (room for zyn_local_pollfd_count) for poll: POLLIN on
//  each, POLLOUT on links with output waiting. Returns how many.
size_t
    zyn_local_pollfds (zyn_local_t *self, struct pollfd *items);

//  After poll: note which links have input, write to those that can take
//  their waiting output. items and count as zyn_local_pollfds gave.
void
    zyn_local_ready (zyn_local_t *self, const struct pollfd *items,
                     size_t count);

//  True if a link or the listener may have input not yet taken
bool
    zyn_local_due (zyn_local_t *self);

//  Take the next request frame of any link with input, accepting new
//  connections on the way. Returns 1, the link it came on and the frame
//  (valid until the next call), or 0 if no input is left.
int
    zyn_local_next (zyn_local_t *self, uint64_t *link, const uint8_t **frame,
                    size_t *size);

//  Room for an answer frame of size octets on link, or NULL if the link
//  is gone
uint8_t *
    zyn_local_reserve (zyn_local_t *self, uint64_t link, size_t size);

//  Write every link's waiting output; close the links that fail
void
    zyn_local_flush (zyn_local_t *self);

//  Links open now
size_t
    zyn_local_links (zyn_local_t *self);

#endif

/*  =========================================================================
    zyn_wire - length-prefixed frames on a stream socket

    The local direct path (docs/protocol.md section 4.2): a client and a
    worker on one host exchange direct frames over a plain Unix stream
    socket, without ZeroMQ's I/O threads between them. Each frame goes
    as a 4-octet big-endian length and that many octets.

    A zyn_wire_t owns one non-blocking socket, an input buffer that reads
    fill and frames are taken from, and an output buffer that frames are
    built in and writes drain. Not thread safe.

    The address helpers take "unix://@NAME" (an abstract socket, gone
    with the process that bound it) or "unix:///PATH" (a file).
    =========================================================================
*/

#ifndef ZYN_WIRE_H_INCLUDED
#define ZYN_WIRE_H_INCLUDED

#include "zynamo.h"

//  Octets before each frame: its length
#define ZYN_WIRE_PREFIX 4

//  The longest frame taken: a direct frame's head, an operation name and
//  a body of ZYN_PROTO_BODY_MAX. A longer length ends the connection.
#define ZYN_WIRE_FRAME_MAX (20 * 1024 * 1024 + 1024)

//  Output buffered beyond this ends the connection (a peer that does not
//  read)
#define ZYN_WIRE_PENDING_MAX (256 * 1024 * 1024)

typedef struct zyn_wire zyn_wire_t;

//  Take over fd, a connected stream socket (made non-blocking here)
zyn_wire_t *
    zyn_wire_new (int fd);

//  Close the socket and free the buffers
void
    zyn_wire_destroy (zyn_wire_t **self_p);

int
    zyn_wire_fd (zyn_wire_t *self);

//  Read what the socket holds (one read of up to the buffer's free room,
//  at least 64 KB). Returns 1 if it read something, 0 if nothing was
//  waiting, -1 if the peer closed or the socket failed. Frames taken
//  before it stay valid only until this call.
int
    zyn_wire_read (zyn_wire_t *self);

//  True if the last zyn_wire_read took less than it had room for: the
//  socket held no more then, so a level-triggered poll is the next
//  thing to ask (another read would most likely find nothing)
bool
    zyn_wire_drained (zyn_wire_t *self);

//  Take the next whole frame read. Returns 1 and the frame (inside the
//  input buffer), 0 if no whole frame is buffered, -1 if the next
//  frame's length is over ZYN_WIRE_FRAME_MAX (the stream cannot be
//  trusted past it).
int
    zyn_wire_next (zyn_wire_t *self, const uint8_t **frame, size_t *size);

//  Room for one frame of size octets at the end of the output, its
//  length written; the caller fills the size octets returned before the
//  next call.
uint8_t *
    zyn_wire_reserve (zyn_wire_t *self, size_t size);

//  Write out what the output holds. Returns 0 if all of it left, 1 if
//  some waits for the socket to take more (poll it for POLLOUT), -1 if
//  the socket failed or more than ZYN_WIRE_PENDING_MAX waits.
int
    zyn_wire_write (zyn_wire_t *self);

//  Octets of output not yet written
size_t
    zyn_wire_pending (zyn_wire_t *self);

//  Connect a non-blocking stream socket to a unix:// endpoint. Returns
//  the fd, or -1 with errno set (EINVAL for an endpoint not unix://,
//  ECONNREFUSED when nobody listens, EAGAIN when the listener's queue
//  is full).
int
    zyn_wire_connect (const char *endpoint);

//  Bind and listen on a unix:// endpoint (a socket file left there is
//  replaced; any other file makes it fail, EADDRINUSE). Returns the
//  non-blocking listening fd, or -1 with errno set.
int
    zyn_wire_listen (const char *endpoint);

//  Accept one waiting connection on a listening fd. Returns a
//  non-blocking fd, or -1 (errno EAGAIN: none is waiting).
int
    zyn_wire_accept (int listener);

#endif

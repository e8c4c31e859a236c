/*  =========================================================================
    zyn_wire - length-prefixed frames on a stream socket (see the header)
    =========================================================================
*/

#include "zyn_prelude.h"
#include "zyn_wire.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

//  Free room a read asks for; the input buffer starts this large
#define S_READ_ROOM (64 * 1024)
//  An empty input buffer larger than this is given back
#define S_KEEP_MAX (1024 * 1024)

typedef struct {
    uint8_t *data;              //  Owned
    size_t capacity;
    size_t start;               //  First octet not yet taken
    size_t end;                 //  One past the last octet held
} s_buffer_t;

struct zyn_wire {
    int fd;                     //  Owned
    s_buffer_t in;
    s_buffer_t out;
    bool drained;               //  The last read was short
};

//  --------------------------------------------------------------------------
//  Make room for need more octets at the end of buffer: move what is
//  held to the front, then grow

static void
s_room (s_buffer_t *buffer, size_t need)
{
    if (buffer->capacity - buffer->end >= need)
        return;
    if (buffer->start) {
        memmove (buffer->data, buffer->data + buffer->start,
                 buffer->end - buffer->start);
        buffer->end -= buffer->start;
        buffer->start = 0;
    }
    if (buffer->capacity - buffer->end >= need)
        return;
    size_t capacity = buffer->capacity ? buffer->capacity : S_READ_ROOM;
    while (capacity - buffer->end < need)
        capacity *= 2;
    buffer->data = (uint8_t *) realloc (buffer->data, capacity);
    assert (buffer->data);
    buffer->capacity = capacity;
}

//  An empty buffer starts over at the front, and gives back what a large
//  frame made it take
static void
s_settle (s_buffer_t *buffer)
{
    if (buffer->start != buffer->end)
        return;
    buffer->start = buffer->end = 0;
    if (buffer->capacity > S_KEEP_MAX) {
        free (buffer->data);
        buffer->data = NULL;
        buffer->capacity = 0;
    }
}

//  --------------------------------------------------------------------------
//  Take over fd

zyn_wire_t *
zyn_wire_new (int fd)
{
    assert (fd >= 0);
    zyn_wire_t *self = (zyn_wire_t *) zmalloc (sizeof (zyn_wire_t));
    self->fd = fd;
    int flags = fcntl (fd, F_GETFL, 0);
    if (flags >= 0 && !(flags & O_NONBLOCK))
        fcntl (fd, F_SETFL, flags | O_NONBLOCK);
    return self;
}

void
zyn_wire_destroy (zyn_wire_t **self_p)
{
    assert (self_p);
    zyn_wire_t *self = *self_p;
    if (self) {
        close (self->fd);
        free (self->in.data);
        free (self->out.data);
        free (self);
        *self_p = NULL;
    }
}

int
zyn_wire_fd (zyn_wire_t *self)
{
    assert (self);
    return self->fd;
}

//  --------------------------------------------------------------------------
//  Read what the socket holds

int
zyn_wire_read (zyn_wire_t *self)
{
    assert (self);
    s_buffer_t *in = &self->in;
    s_settle (in);
    //  Room for the frame begun, whole, and at least S_READ_ROOM more
    size_t need = S_READ_ROOM;
    size_t held = in->end - in->start;
    if (held >= ZYN_WIRE_PREFIX) {
        uint32_t length = zyn_get_u32 (in->data + in->start);
        if (length <= ZYN_WIRE_FRAME_MAX
            && ZYN_WIRE_PREFIX + (size_t) length > held + need)
            need = ZYN_WIRE_PREFIX + (size_t) length - held;
    }
    s_room (in, need);
    while (true) {
        size_t room = in->capacity - in->end;
        ssize_t got = recv (self->fd, in->data + in->end, room, 0);
        if (got > 0) {
            in->end += (size_t) got;
            self->drained = (size_t) got < room;
            return 1;
        }
        self->drained = true;
        if (got == 0)
            return -1;                  //  The peer closed
        if (errno == EINTR)
            continue;
        return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
    }
}

bool
zyn_wire_drained (zyn_wire_t *self)
{
    assert (self);
    return self->drained;
}

//  --------------------------------------------------------------------------
//  Take the next whole frame

int
zyn_wire_next (zyn_wire_t *self, const uint8_t **frame, size_t *size)
{
    assert (self);
    assert (frame && size);
    s_buffer_t *in = &self->in;
    size_t held = in->end - in->start;
    if (held < ZYN_WIRE_PREFIX)
        return 0;
    uint32_t length = zyn_get_u32 (in->data + in->start);
    if (length > ZYN_WIRE_FRAME_MAX)
        return -1;
    if (held - ZYN_WIRE_PREFIX < length)
        return 0;
    *frame = in->data + in->start + ZYN_WIRE_PREFIX;
    *size = length;
    in->start += ZYN_WIRE_PREFIX + length;
    return 1;
}

//  --------------------------------------------------------------------------
//  Room for one frame at the end of the output

uint8_t *
zyn_wire_reserve (zyn_wire_t *self, size_t size)
{
    assert (self);
    assert (size <= ZYN_WIRE_FRAME_MAX);
    s_buffer_t *out = &self->out;
    s_room (out, ZYN_WIRE_PREFIX + size);
    zyn_put_u32 (out->data + out->end, (uint32_t) size);
    uint8_t *frame = out->data + out->end + ZYN_WIRE_PREFIX;
    out->end += ZYN_WIRE_PREFIX + size;
    return frame;
}

//  --------------------------------------------------------------------------
//  Write out what the output holds

int
zyn_wire_write (zyn_wire_t *self)
{
    assert (self);
    s_buffer_t *out = &self->out;
    while (out->start < out->end) {
        ssize_t sent = send (self->fd, out->data + out->start,
                             out->end - out->start, MSG_NOSIGNAL);
        if (sent > 0) {
            out->start += (size_t) sent;
            continue;
        }
        if (sent < 0 && errno == EINTR)
            continue;
        if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        return -1;
    }
    if (out->start == out->end) {
        s_settle (out);
        return 0;
    }
    return out->end - out->start > ZYN_WIRE_PENDING_MAX ? -1 : 1;
}

size_t
zyn_wire_pending (zyn_wire_t *self)
{
    assert (self);
    return self->out.end - self->out.start;
}

//  --------------------------------------------------------------------------
//  Addresses: unix://@NAME (abstract) or unix:///PATH

static int
s_address (const char *endpoint, struct sockaddr_un *address,
           socklen_t *length)
{
    if (!endpoint || strncmp (endpoint, "unix://", 7) != 0) {
        errno = EINVAL;
        return -1;
    }
    const char *name = endpoint + 7;
    size_t size = strlen (name);
    memset (address, 0, sizeof (*address));
    address->sun_family = AF_UNIX;
    if (size < 2 || size >= sizeof (address->sun_path)
        || (name [0] != '@' && name [0] != '/')) {
        errno = EINVAL;
        return -1;
    }
    if (name [0] == '@') {
        //  Abstract: a NUL, then the name, not terminated
        memcpy (address->sun_path + 1, name + 1, size - 1);
        *length = (socklen_t) (offsetof (struct sockaddr_un, sun_path)
                               + size);
    }
    else {
        memcpy (address->sun_path, name, size + 1);
        *length = (socklen_t) (offsetof (struct sockaddr_un, sun_path)
                               + size + 1);
    }
    return 0;
}

//  Close fd after a call on it failed, keeping that call's errno
static int
s_fail (int fd)
{
    int saved = errno;
    close (fd);
    errno = saved;
    return -1;
}

int
zyn_wire_connect (const char *endpoint)
{
    struct sockaddr_un address;
    socklen_t length;
    if (s_address (endpoint, &address, &length))
        return -1;
    int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (connect (fd, (struct sockaddr *) &address, length) < 0)
        return s_fail (fd);
    return fd;
}

int
zyn_wire_listen (const char *endpoint)
{
    struct sockaddr_un address;
    socklen_t length;
    if (s_address (endpoint, &address, &length))
        return -1;
    struct stat status;
    if (address.sun_path [0] && lstat (address.sun_path, &status) == 0
        && S_ISSOCK (status.st_mode))
        unlink (address.sun_path);      //  A socket file left behind
    int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (bind (fd, (struct sockaddr *) &address, length) < 0
        || listen (fd, 128) < 0)
        return s_fail (fd);
    return fd;
}

int
zyn_wire_accept (int listener)
{
    while (true) {
        int fd = accept4 (listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0 || errno != EINTR)
            return fd;
    }
}

/*  =========================================================================
    zyn_local - the worker's local front door (see the header)
    =========================================================================
*/

#include "zyn_prelude.h"
#include "zyn_wire.h"
#include "zyn_local.h"

typedef struct {
    zyn_wire_t *wire;           //  Owned
    uint64_t id;                //  Never reused
    bool due;                   //  May have input not yet taken
    bool drained;               //  The last read emptied the socket
    bool flush;                 //  Has output not yet written
} s_link_t;

struct zyn_local {
    char *endpoint;             //  Owned
    int listener;
    bool listener_due;
    s_link_t *links;            //  Owned array
    size_t count;
    size_t max;
    size_t cursor;              //  The link zyn_local_next reads first
    size_t last;                //  The link zyn_local_reserve found last
    uint64_t next_id;
};

zyn_local_t *
zyn_local_new (const char *endpoint)
{
    assert (endpoint);
    int listener = zyn_wire_listen (endpoint);
    if (listener < 0)
        return NULL;
    zyn_local_t *self = (zyn_local_t *) zmalloc (sizeof (zyn_local_t));
    self->endpoint = strdup (endpoint);
    self->listener = listener;
    self->listener_due = true;
    self->next_id = 1;
    return self;
}

void
zyn_local_destroy (zyn_local_t **self_p)
{
    assert (self_p);
    zyn_local_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->count; i++)
        zyn_wire_destroy (&self->links [i].wire);
    free (self->links);
    close (self->listener);
    if (strncmp (self->endpoint, "unix:///", 8) == 0)
        unlink (self->endpoint + 7);
    free (self->endpoint);
    free (self);
    *self_p = NULL;
}

const char *
zyn_local_endpoint (zyn_local_t *self)
{
    assert (self);
    return self->endpoint;
}

size_t
zyn_local_links (zyn_local_t *self)
{
    assert (self);
    return self->count;
}

//  --------------------------------------------------------------------------
//  Close link index; the last link takes its place

static void
s_close (zyn_local_t *self, size_t index)
{
    zyn_wire_destroy (&self->links [index].wire);
    self->links [index] = self->links [--self->count];
    if (self->cursor >= self->count)
        self->cursor = 0;
    self->last = 0;
}

//  Accept every connection waiting
static void
s_accept (zyn_local_t *self)
{
    while (true) {
        int fd = zyn_wire_accept (self->listener);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                zsys_warning ("zyn_local: accept failed: %s",
                              strerror (errno));
            return;
        }
        if (self->count == ZYN_LOCAL_LINKS_MAX) {
            zsys_warning ("zyn_local: more than %d local clients, "
                          "connection closed", ZYN_LOCAL_LINKS_MAX);
            close (fd);
            continue;
        }
        if (self->count == self->max) {
            self->max = self->max ? self->max * 2 : 8;
            self->links = (s_link_t *) realloc (self->links,
                                                self->max * sizeof (s_link_t));
            assert (self->links);
        }
        s_link_t *link = &self->links [self->count++];
        link->wire = zyn_wire_new (fd);
        link->id = self->next_id++;
        link->due = true;
        link->drained = false;
        link->flush = false;
    }
}

//  --------------------------------------------------------------------------
//  Polling

size_t
zyn_local_pollfd_count (zyn_local_t *self)
{
    assert (self);
    return 1 + self->count;
}

size_t
zyn_local_pollfds (zyn_local_t *self, struct pollfd *items)
{
    assert (self);
    items [0] = (struct pollfd) { self->listener, POLLIN, 0 };
    for (size_t i = 0; i < self->count; i++) {
        zyn_wire_t *wire = self->links [i].wire;
        short events = POLLIN;
        if (zyn_wire_pending (wire))
            events |= POLLOUT;
        items [i + 1] = (struct pollfd) { zyn_wire_fd (wire), events, 0 };
    }
    return 1 + self->count;
}

void
zyn_local_ready (zyn_local_t *self, const struct pollfd *items, size_t count)
{
    assert (self);
    if (count && items [0].revents)
        self->listener_due = true;
    //  The links are as they were when items was filled
    for (size_t i = 1; i < count && i <= self->count; i++) {
        s_link_t *link = &self->links [i - 1];
        if (items [i].revents & (POLLIN | POLLHUP | POLLERR))
            link->due = true;
        if (items [i].revents & POLLOUT)
            link->flush = true;
    }
    zyn_local_flush (self);
}

bool
zyn_local_due (zyn_local_t *self)
{
    assert (self);
    if (self->listener_due)
        return true;
    for (size_t i = 0; i < self->count; i++)
        if (self->links [i].due)
            return true;
    return false;
}

//  --------------------------------------------------------------------------
//  Take the next request frame

int
zyn_local_next (zyn_local_t *self, uint64_t *link_id, const uint8_t **frame,
                size_t *size)
{
    assert (self);
    if (self->listener_due) {
        self->listener_due = false;
        s_accept (self);
    }
    size_t tried = 0;
    while (tried < self->count) {
        if (self->cursor >= self->count)
            self->cursor = 0;
        s_link_t *link = &self->links [self->cursor];
        if (!link->due) {
            self->cursor++;
            tried++;
            continue;
        }
        int rc = zyn_wire_next (link->wire, frame, size);
        if (rc == 0 && link->drained) {
            //  The last read emptied the socket: poll says when more
            //  comes, a read now would most likely find nothing
            link->drained = false;
            link->due = false;
            self->cursor++;
            tried++;
            continue;
        }
        if (rc == 0) {
            rc = zyn_wire_read (link->wire);
            link->drained = rc == 1 && zyn_wire_drained (link->wire);
            if (rc == 1)
                continue;               //  Take a frame from what came
            if (rc == 0) {
                link->due = false;      //  Read until empty
                self->cursor++;
                tried++;
                continue;
            }
        }
        if (rc < 0) {
            //  The peer left, or sent a length no frame may have
            s_close (self, self->cursor);
            continue;
        }
        *link_id = link->id;
        return 1;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Output

uint8_t *
zyn_local_reserve (zyn_local_t *self, uint64_t link_id, size_t size)
{
    assert (self);
    size_t index = self->last;
    if (index >= self->count || self->links [index].id != link_id) {
        for (index = 0; index < self->count; index++)
            if (self->links [index].id == link_id)
                break;
        if (index == self->count)
            return NULL;
        self->last = index;
    }
    s_link_t *link = &self->links [index];
    link->flush = true;
    return zyn_wire_reserve (link->wire, size);
}

void
zyn_local_flush (zyn_local_t *self)
{
    assert (self);
    size_t index = 0;
    while (index < self->count) {
        s_link_t *link = &self->links [index];
        if (link->flush) {
            link->flush = false;
            if (zyn_wire_write (link->wire) < 0) {
                s_close (self, index);
                continue;
            }
        }
        index++;
    }
}

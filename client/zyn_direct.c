/*  =========================================================================
    zyn_direct - the direct path: item requests straight to the worker
    that holds the key (see the header)
    =========================================================================
*/

#include "zyn_prelude.h"
#include "zyn_error.h"
#include "zyn_keycode.h"
#include "zyn_proto.h"
#include "zyn_wire.h"
#include "zyn_direct.h"

#include <sys/epoll.h>

//  Least time between two routes requests
#define DIRECT_ROUTES_MIN_INTERVAL 500
//  A routes request unanswered this long is taken as lost
#define DIRECT_ROUTES_LOST 5000
//  Messages queued per worker before sends fall back to the broker
#define DIRECT_HWM 100000

//  A worker's front door; interned, lives as long as the zyn_direct_t
typedef struct {
    char *endpoint;                     //  Owned
    char front_id [256];                //  The worker's routing id there
    bool connected;
    bool listed;                        //  In the routes being loaded
    bool local;                         //  A unix:// local front door,
    zyn_wire_t *wire;                   //  Owned, its link when connected
    bool writing;                       //  Output waits for the link
    bool lost;                          //  Link closed, its requests not
                                        //  yet settled
    struct s_pending **outbox;          //  Owned array of borrowed
    size_t out_count;                   //  requests not yet sent
    size_t out_max;
} s_endpoint_t;

typedef struct {
    uint64_t start;
    uint64_t end;
    uint32_t id;
    s_endpoint_t *endpoint;             //  Borrowed, NULL: no route
} s_part_t;

typedef struct {
    uint64_t id;
    char *pk;                           //  Owned
    char *sk;                           //  Owned, NULL without sort key
    zyn_type_t pk_type;
    zyn_type_t sk_type;
    size_t count;
    s_part_t *parts;                    //  Owned, sorted by start
} s_table_t;

//  A direct request awaiting its reply (or still in its endpoint's
//  outbox); the body follows the struct
typedef struct s_pending {
    s_endpoint_t *endpoint;             //  Borrowed
    uint64_t request_id;
    uint8_t route [ZYN_PROTO_ROUTE_SIZE];
    char operation [65];
    size_t size;
    uint8_t body [];
} s_pending_t;

struct zyn_direct {
    zsock_t *router;                    //  Owned, to the workers
    zsock_t *monitor;                   //  Owned, its disconnect events
    zhashx_t *tables;                   //  Owned, name -> s_table_t
    zhashx_t *endpoints;                //  Owned, endpoint -> s_endpoint_t
    zhashx_t *pending;                  //  Owned, request id -> s_pending_t
    zlistx_t *ready;                    //  Owned, zmsg_t replies made here
    zlistx_t *resends;                  //  Owned, zyn_direct_resend_t
    zmq_msg_t *in;                      //  Owned, the frames of the reply
    size_t in_count;                    //  message being taken apart
    size_t in_max;
    size_t in_next;                     //  Its next frame group
    int epoll;                          //  Owned, the local links' fds
    zmq_msg_t *local_in;                //  Owned, answers read from local
    size_t local_count;                 //  links, not yet taken
    size_t local_max;
    size_t local_next;
    size_t lost_count;                  //  Endpoints with lost set
    bool needs_read;                    //  Input may wait that no
                                        //  descriptor will announce
    bool stale;                         //  Ask for routes again
    bool broken;                        //  Proven wrong: no direct sends
                                        //  until they are reloaded
    bool asked_ever;
    uint64_t routes_id;                 //  Routes request in flight, or 0
    int64_t routes_at;                  //  When routes were last asked
    uint64_t sent;
    uint64_t resent;
    char host_id [64];                  //  This machine, or ""
};

//  --------------------------------------------------------------------------
//  Destructors and the id hash

static void
s_table_free (void **item_p)
{
    s_table_t *table = (s_table_t *) *item_p;
    if (table) {
        free (table->pk);
        free (table->sk);
        free (table->parts);
        free (table);
        *item_p = NULL;
    }
}

static void
s_endpoint_free (void **item_p)
{
    s_endpoint_t *endpoint = (s_endpoint_t *) *item_p;
    if (endpoint) {
        zyn_wire_destroy (&endpoint->wire);
        free (endpoint->endpoint);
        free (endpoint->outbox);
        free (endpoint);
        *item_p = NULL;
    }
}

static void
s_pending_free (void **item_p)
{
    free (*item_p);
    *item_p = NULL;
}

static void
s_msg_free (void **item_p)
{
    zmsg_destroy ((zmsg_t **) item_p);
}

static void
s_resend_free (void **item_p)
{
    zyn_direct_resend_t *resend = (zyn_direct_resend_t *) *item_p;
    if (resend) {
        free (resend->body);
        free (resend);
        *item_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  Create the direct path

zyn_direct_t *
zyn_direct_new (void)
{
    zyn_direct_t *self = (zyn_direct_t *) zmalloc (sizeof (zyn_direct_t));
    self->router = zsock_new (ZMQ_ROUTER);
    assert (self->router);
    zsock_set_linger (self->router, 0);
    zsock_set_sndhwm (self->router, DIRECT_HWM);
    zsock_set_rcvhwm (self->router, DIRECT_HWM);
    //  A send to a worker not (yet) connected fails at once, and goes
    //  through the broker instead of being dropped
    zsock_set_router_mandatory (self->router, 1);
    //  A worker machine that vanishes without closing its sockets is
    //  noticed by ZeroMQ's heartbeats
    zsock_set_heartbeat_ivl (self->router, 1000);
    zsock_set_heartbeat_timeout (self->router, 3000);
    //  A name of its own: an address could be reused by the next
    //  zyn_direct_t before ZeroMQ has released the old monitor's name
    char monitor [80];
    zuuid_t *uuid = zuuid_new ();
    snprintf (monitor, sizeof (monitor), "inproc://zyn-direct-%s",
              zuuid_str (uuid));
    zuuid_destroy (&uuid);
    int rc = zmq_socket_monitor (zsock_resolve (self->router), monitor,
                                 ZMQ_EVENT_DISCONNECTED);
    assert (rc == 0);
    self->monitor = zsock_new (ZMQ_PAIR);
    assert (self->monitor);
    rc = zsock_connect (self->monitor, "%s", monitor);
    assert (rc == 0);
    //  Reads never block: a read finds out that nothing is waiting, at the
    //  cost of one ZMQ_EVENTS check (zyn_direct_drain relies on it)
    zsock_set_rcvtimeo (self->router, 0);
    zsock_set_rcvtimeo (self->monitor, 0);
    self->tables = zhashx_new ();
    zhashx_set_destructor (self->tables, s_table_free);
    self->endpoints = zhashx_new ();
    zhashx_set_destructor (self->endpoints, s_endpoint_free);
    self->pending = zhashx_new ();
    zyn_proto_set_id_keys (self->pending);
    zhashx_set_destructor (self->pending, s_pending_free);
    self->ready = zlistx_new ();
    zlistx_set_destructor (self->ready, s_msg_free);
    self->resends = zlistx_new ();
    zlistx_set_destructor (self->resends, s_resend_free);
    zyn_proto_host_id (self->host_id, sizeof (self->host_id));
    self->epoll = epoll_create1 (EPOLL_CLOEXEC);
    assert (self->epoll >= 0);
    return self;
}

//  --------------------------------------------------------------------------
//  Destroy the direct path

void
zyn_direct_destroy (zyn_direct_t **self_p)
{
    assert (self_p);
    zyn_direct_t *self = *self_p;
    if (!self)
        return;
    zmq_socket_monitor (zsock_resolve (self->router), NULL, 0);
    zsock_destroy (&self->monitor);
    zsock_destroy (&self->router);
    zhashx_destroy (&self->pending);
    zhashx_destroy (&self->tables);
    zhashx_destroy (&self->endpoints);
    zlistx_destroy (&self->ready);
    zlistx_destroy (&self->resends);
    for (size_t i = 0; i < self->in_count; i++)
        zmq_msg_close (&self->in [i]);
    free (self->in);
    for (size_t i = self->local_next; i < self->local_count; i++)
        zmq_msg_close (&self->local_in [i]);
    free (self->local_in);
    close (self->epoll);
    free (self);
    *self_p = NULL;
}

//  --------------------------------------------------------------------------
//  Routes

static zyn_type_t
s_key_type (const char *name)
{
    if (name && streq (name, "S"))
        return ZYN_TYPE_S;
    if (name && streq (name, "N"))
        return ZYN_TYPE_N;
    if (name && streq (name, "B"))
        return ZYN_TYPE_B;
    return ZYN_TYPE_NULL;
}

static int
s_hash_of (const zyn_value_t *value, uint64_t *hash)
{
    if (!value || zyn_value_type (value) != ZYN_TYPE_B
        || zyn_value_size (value) != 8)
        return -1;
    *hash = zyn_get_u64 ((const uint8_t *) zyn_value_data (value));
    return 0;
}

static s_endpoint_t *
s_endpoint_intern (zyn_direct_t *self, const char *name, const char *front_id)
{
    s_endpoint_t *endpoint
        = (s_endpoint_t *) zhashx_lookup (self->endpoints, name);
    if (!endpoint) {
        endpoint = (s_endpoint_t *) zmalloc (sizeof (s_endpoint_t));
        endpoint->endpoint = strdup (name);
        endpoint->local = strncmp (name, "unix://", 7) == 0;
        zhashx_insert (self->endpoints, name, endpoint);
    }
    endpoint->listed = true;
    snprintf (endpoint->front_id, sizeof (endpoint->front_id), "%s",
              front_id);
    return endpoint;
}

//  Where to reach a partition's worker: its local front door if it runs
//  on this host (in this network namespace), else its Endpoint (or NULL)
static const char *
s_part_endpoint (zyn_direct_t *self, const zyn_value_t *part)
{
    const char *local = zyn_value_map_get_s (part, "LocalEndpoint");
    const char *host_id = zyn_value_map_get_s (part, "HostId");
    if (local && host_id && *self->host_id && streq (host_id, self->host_id)
        && strncmp (local, "unix://", 7) == 0)
        return local;
    return zyn_value_map_get_s (part, "Endpoint");
}

//  One table of a ZynGetRoutes response, or NULL if malformed
static s_table_t *
s_table_load (zyn_direct_t *self, const zyn_value_t *entry)
{
    int64_t id = 0;
    const char *pk = zyn_value_map_get_s (entry, "PartitionKey");
    const char *sk = zyn_value_map_get_s (entry, "SortKey");
    zyn_value_t *parts = zyn_value_map_get (entry, "Partitions");
    if (zyn_value_map_get_int (entry, "TableId", &id) || !pk || !parts
        || zyn_value_type (parts) != ZYN_TYPE_L || zyn_value_size (parts) == 0)
        return NULL;
    s_table_t *table = (s_table_t *) zmalloc (sizeof (s_table_t));
    table->id = (uint64_t) id;
    table->pk = strdup (pk);
    table->pk_type = s_key_type (zyn_value_map_get_s (entry,
                                                      "PartitionKeyType"));
    table->sk = sk ? strdup (sk) : NULL;
    table->sk_type = s_key_type (zyn_value_map_get_s (entry, "SortKeyType"));
    table->count = zyn_value_size (parts);
    table->parts = (s_part_t *) zmalloc (table->count * sizeof (s_part_t));
    bool valid = table->pk_type != ZYN_TYPE_NULL
              && (!sk || table->sk_type != ZYN_TYPE_NULL);
    for (size_t i = 0; valid && i < table->count; i++) {
        zyn_value_t *part = zyn_value_list_get (parts, i);
        s_part_t *into = &table->parts [i];
        int64_t part_id = 0;
        if (zyn_value_map_get_int (part, "PartitionId", &part_id)
            || part_id < 0 || part_id > UINT32_MAX
            || s_hash_of (zyn_value_map_get (part, "HashStart"), &into->start)
            || s_hash_of (zyn_value_map_get (part, "HashEnd"), &into->end)
            || into->end < into->start
            || (i > 0 && into->start != table->parts [i - 1].end + 1)) {
            valid = false;
            break;
        }
        into->id = (uint32_t) part_id;
        const char *endpoint = s_part_endpoint (self, part);
        const char *front_id = zyn_value_map_get_s (part, "FrontId");
        if (endpoint && *endpoint && strlen (endpoint) < 256 && front_id
            && *front_id && strlen (front_id) < 256)
            into->endpoint = s_endpoint_intern (self, endpoint, front_id);
    }
    if (!valid) {
        s_table_free ((void **) &table);
        return NULL;
    }
    return table;
}

//  --------------------------------------------------------------------------
//  Send endpoint's outbox as one message: its front id, then per request
//  ZYN1 | request-id | operation | route | body. The first frame picks
//  the worker: it fails at once (and nothing is sent) if that worker is
//  not connected or its queue is full; the requests then go through the
//  broker. Returns how many left the outbox.

static void
    s_queue_resend (zyn_direct_t *self, s_pending_t *pending, bool count);

//  Hand endpoint's outbox to the broker, unsent
static void
s_outbox_to_broker (zyn_direct_t *self, s_endpoint_t *endpoint)
{
    for (size_t i = 0; i < endpoint->out_count; i++) {
        s_pending_t *pending = endpoint->outbox [i];
        s_queue_resend (self, pending, false);
        zhashx_delete (self->pending,
                       (void *) (uintptr_t) pending->request_id);
    }
    endpoint->out_count = 0;
}

static void
    s_link_failed (zyn_direct_t *self, s_endpoint_t *endpoint);
static void
    s_watch (zyn_direct_t *self, s_endpoint_t *endpoint, bool writing);

//  A local link's outbox: each request one length-prefixed frame in the
//  link's output, written at once; what the socket does not take waits
//  for POLLOUT
static size_t
s_flush_link (zyn_direct_t *self, s_endpoint_t *endpoint)
{
    size_t count = endpoint->out_count;
    if (!endpoint->wire) {
        s_outbox_to_broker (self, endpoint);
        return count;
    }
    endpoint->out_count = 0;
    for (size_t i = 0; i < count; i++) {
        s_pending_t *pending = endpoint->outbox [i];
        uint8_t *out = zyn_wire_reserve (
            endpoint->wire, ZYN_PROTO_DIRECT_REQUEST_HEAD
                            + strlen (pending->operation) + pending->size);
        size_t head = zyn_proto_direct_request_head (
            out, pending->request_id, pending->route, pending->operation);
        memcpy (out + head, pending->body, pending->size);
    }
    self->sent += count;
    if (!endpoint->writing) {
        int rc = zyn_wire_write (endpoint->wire);
        if (rc < 0)
            s_link_failed (self, endpoint);
        else
        if (rc == 1)
            s_watch (self, endpoint, true);
    }
    return count;
}

static size_t
s_flush_endpoint (zyn_direct_t *self, s_endpoint_t *endpoint)
{
    size_t count = endpoint->out_count;
    if (count == 0)
        return 0;
    if (endpoint->local)
        return s_flush_link (self, endpoint);
    void *router = zsock_resolve (self->router);
    if (zmq_send (router, endpoint->front_id, strlen (endpoint->front_id),
                  ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) {
        s_outbox_to_broker (self, endpoint);
        return count;
    }
    endpoint->out_count = 0;
    for (size_t i = 0; i < count; i++) {
        //  One frame: ZYN1 | request-id | route | operation | body
        s_pending_t *pending = endpoint->outbox [i];
        zmq_msg_t frame;
        zmq_msg_init_size (&frame, ZYN_PROTO_DIRECT_REQUEST_HEAD
                                   + strlen (pending->operation)
                                   + pending->size);
        uint8_t *out = (uint8_t *) zmq_msg_data (&frame);
        size_t head = zyn_proto_direct_request_head (
            out, pending->request_id, pending->route, pending->operation);
        memcpy (out + head, pending->body, pending->size);
        if (zmq_msg_send (&frame, router, i + 1 < count ? ZMQ_SNDMORE : 0)
            < 0)
            zmq_msg_close (&frame);
    }
    self->sent += count;
    //  libzmq may have taken the wake-up of a reply in the send
    self->needs_read = true;
    return count;
}

int
zyn_direct_load (zyn_direct_t *self, const zyn_value_t *response)
{
    assert (self);
    zhashx_purge (self->tables);
    for (s_endpoint_t *endpoint
             = (s_endpoint_t *) zhashx_first (self->endpoints);
         endpoint; endpoint = (s_endpoint_t *) zhashx_next (self->endpoints))
        endpoint->listed = false;
    zyn_value_t *tables = response ? zyn_value_map_get (response, "Tables")
                                   : NULL;
    int rc = tables && zyn_value_type (tables) == ZYN_TYPE_L ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < zyn_value_size (tables); i++) {
        zyn_value_t *entry = zyn_value_list_get (tables, i);
        const char *name = zyn_value_map_get_s (entry, "TableName");
        s_table_t *table = name ? s_table_load (self, entry) : NULL;
        if (table)
            zhashx_update (self->tables, name, table);
    }
    if (rc)
        zhashx_purge (self->tables);
    //  Connect to new front doors, leave those no longer listed
    void *router = zsock_resolve (self->router);
    for (s_endpoint_t *endpoint
             = (s_endpoint_t *) zhashx_first (self->endpoints);
         endpoint; endpoint = (s_endpoint_t *) zhashx_next (self->endpoints)) {
        if (endpoint->listed && !endpoint->connected && endpoint->local) {
            //  The socket is named after the worker process's front id:
            //  only that process can take our requests
            int fd = zyn_wire_connect (endpoint->endpoint);
            if (fd >= 0) {
                endpoint->wire = zyn_wire_new (fd);
                endpoint->writing = false;
                struct epoll_event event = { .events = EPOLLIN,
                                             .data.ptr = endpoint };
                int rc = epoll_ctl (self->epoll, EPOLL_CTL_ADD, fd, &event);
                assert (rc == 0);
                endpoint->connected = true;
            }
        }
        else
        if (endpoint->listed && !endpoint->connected) {
            //  The peer is known by the routing id it announces: only the
            //  worker process the routes name can take our requests
            endpoint->connected
                = zmq_connect (router, endpoint->endpoint) == 0;
        }
        else
        if (!endpoint->listed && endpoint->connected && endpoint->local)
            s_link_failed (self, endpoint);
        else
        if (!endpoint->listed && endpoint->connected) {
            s_outbox_to_broker (self, endpoint);
            zmq_disconnect (router, endpoint->endpoint);
            endpoint->connected = false;
        }
    }
    self->stale = false;
    self->broken = false;
    return rc;
}

bool
zyn_direct_wants_routes (zyn_direct_t *self, int64_t now)
{
    assert (self);
    //  A routes request lost with a reopened socket is asked again
    if (self->routes_id && now - self->routes_at < DIRECT_ROUTES_LOST)
        return false;
    if (!self->asked_ever)
        return true;
    return self->stale && now - self->routes_at >= DIRECT_ROUTES_MIN_INTERVAL;
}

void
zyn_direct_routes_asked (zyn_direct_t *self, uint64_t request_id,
                         int64_t now)
{
    assert (self);
    self->routes_id = request_id;
    self->routes_at = now;
    self->asked_ever = true;
}

bool
zyn_direct_routes_reply (zyn_direct_t *self, uint64_t request_id,
                         const char *status, const void *body, size_t size)
{
    assert (self);
    if (!self->routes_id || request_id != self->routes_id)
        return false;
    self->routes_id = 0;
    zyn_value_t *response = streq (status, ZYN_PROTO_OK)
                          ? zyn_value_decode (body, size, NULL) : NULL;
    if (!response || zyn_direct_load (self, response))
        self->stale = true;         //  Try again later
    zyn_value_destroy (&response);
    return true;
}

//  --------------------------------------------------------------------------
//  Find the route of an item request: the worker and the route frame.
//  Checks the key as the broker does; anything it would refuse has no
//  route, so the broker gives the error.

static s_endpoint_t *
s_route (zyn_direct_t *self, const char *operation, const zyn_value_t *request,
         uint8_t *route)
{
    bool is_put = streq (operation, "PutItem");
    if (!is_put && !streq (operation, "GetItem")
        && !streq (operation, "UpdateItem") && !streq (operation, "DeleteItem"))
        return NULL;
    const char *name = zyn_value_map_get_s (request, "TableName");
    if (!name)
        return NULL;
    s_table_t *table = (s_table_t *) zhashx_lookup (self->tables, name);
    if (!table) {
        self->stale = true;
        return NULL;
    }
    zyn_value_t *key = zyn_value_map_get (request, is_put ? "Item" : "Key");
    if (!key || zyn_value_type (key) != ZYN_TYPE_M)
        return NULL;
    if (!is_put && zyn_value_size (key) != (table->sk ? 2u : 1u))
        return NULL;
    const zyn_value_t *pk = zyn_value_map_get (key, table->pk);
    if (!pk || zyn_value_type (pk) != table->pk_type)
        return NULL;
    if (table->sk) {
        const zyn_value_t *sk = zyn_value_map_get (key, table->sk);
        if (!sk || zyn_value_type (sk) != table->sk_type
            || (table->sk_type != ZYN_TYPE_N && zyn_value_size (sk) == 0))
            return NULL;
    }
    if (table->pk_type != ZYN_TYPE_N && zyn_value_size (pk) == 0)
        return NULL;
    uint8_t buf [ZYN_KEYCODE_MAX];
    size_t size = 0;
    if (zyn_keycode_append (buf, &size, pk, NULL))
        return NULL;
    uint64_t hash = zyn_keycode_hash (buf, size);
    size_t low = 0, high = table->count;
    while (high - low > 1) {
        size_t middle = low + (high - low) / 2;
        if (table->parts [middle].start <= hash)
            low = middle;
        else
            high = middle;
    }
    s_part_t *part = &table->parts [low];
    if (hash < part->start || hash > part->end || !part->endpoint
        || !part->endpoint->connected)
        return NULL;
    zyn_proto_put_route (route, table->id, part->id, hash);
    return part->endpoint;
}

//  --------------------------------------------------------------------------
//  Send a request straight to its worker, if it has a route

bool
zyn_direct_send (zyn_direct_t *self, uint64_t request_id,
                 const char *operation, const void *body, size_t size,
                 const zyn_value_t *decoded)
{
    assert (self);
    if (self->broken || !operation
        || strlen (operation) >= sizeof (((s_pending_t *) 0)->operation))
        return false;
    if (zhashx_size (self->tables) == 0) {
        //  No table known yet: ask again (at most every half second)
        self->stale = true;
        return false;
    }
    zyn_value_t *request = decoded ? NULL : zyn_value_decode (body, size, NULL);
    const zyn_value_t *map = decoded ? decoded : request;
    if (!map)
        return false;
    uint8_t route [ZYN_PROTO_ROUTE_SIZE];
    s_endpoint_t *endpoint = zyn_value_type (map) == ZYN_TYPE_M
                           ? s_route (self, operation, map, route)
                           : NULL;
    zyn_value_destroy (&request);
    if (!endpoint)
        return false;
    s_pending_t *pending = (s_pending_t *) malloc (sizeof (s_pending_t) + size);
    assert (pending);
    pending->endpoint = endpoint;
    pending->request_id = request_id;
    memcpy (pending->route, route, sizeof (route));
    memcpy (pending->operation, operation, strlen (operation) + 1);
    pending->size = size;
    memcpy (pending->body, body, size);
    void *key = (void *) (uintptr_t) request_id;
    zhashx_delete (self->pending, key);
    zhashx_insert (self->pending, key, pending);
    if (endpoint->out_count == endpoint->out_max) {
        endpoint->out_max = endpoint->out_max ? endpoint->out_max * 2 : 16;
        endpoint->outbox = (s_pending_t **) realloc (
            endpoint->outbox, endpoint->out_max * sizeof (s_pending_t *));
        assert (endpoint->outbox);
    }
    endpoint->outbox [endpoint->out_count++] = pending;
    if (endpoint->out_count >= ZYN_PROTO_DIRECT_BATCH_MAX)
        s_flush_endpoint (self, endpoint);
    return true;
}

//  --------------------------------------------------------------------------
//  Send what waits in the outboxes

size_t
zyn_direct_flush (zyn_direct_t *self)
{
    assert (self);
    size_t sent = 0;
    for (s_endpoint_t *endpoint
             = (s_endpoint_t *) zhashx_first (self->endpoints);
         endpoint; endpoint = (s_endpoint_t *) zhashx_next (self->endpoints))
        sent += s_flush_endpoint (self, endpoint);
    return sent;
}

//  --------------------------------------------------------------------------
//  Input

zsock_t *
zyn_direct_socket (zyn_direct_t *self)
{
    assert (self);
    return self->router;
}

zsock_t *
zyn_direct_monitor (zyn_direct_t *self)
{
    assert (self);
    return self->monitor;
}

//  Queue a copy of pending as a resend through the broker, counted as a
//  resend if count (a request that never left is not)
static void
s_queue_resend (zyn_direct_t *self, s_pending_t *pending, bool count)
{
    zyn_direct_resend_t *resend
        = (zyn_direct_resend_t *) zmalloc (sizeof (zyn_direct_resend_t));
    resend->request_id = pending->request_id;
    snprintf (resend->operation, sizeof (resend->operation), "%s",
              pending->operation);
    resend->size = pending->size;
    resend->body = malloc (pending->size ? pending->size : 1);
    assert (resend->body);
    memcpy (resend->body, pending->body, pending->size);
    zlistx_add_end (self->resends, resend);
    self->needs_read = true;
    if (count)
        self->resent++;
}

//  Take the oldest queued resend into resend (its body becomes the
//  caller's). Returns false if none is queued.
static bool
s_take_resend (zyn_direct_t *self, zyn_direct_resend_t *resend)
{
    zyn_direct_resend_t *queued
        = (zyn_direct_resend_t *) zlistx_first (self->resends);
    if (!queued)
        return false;
    *resend = *queued;
    queued->body = NULL;
    zlistx_delete (self->resends, zlistx_cursor (self->resends));
    return true;
}

static void
    s_endpoint_lost (zyn_direct_t *self, s_endpoint_t *endpoint);

//  The connection to endpoint dropped: nothing it owed will come
static void
s_handle_disconnect (zyn_direct_t *self, const char *name)
{
    s_endpoint_t *endpoint
        = (s_endpoint_t *) zhashx_lookup (self->endpoints, name);
    if (endpoint && !endpoint->local)
        s_endpoint_lost (self, endpoint);
}

//  Watch a local link for input, and for room to write if writing
static void
s_watch (zyn_direct_t *self, s_endpoint_t *endpoint, bool writing)
{
    endpoint->writing = writing;
    struct epoll_event event = { .events = EPOLLIN | (writing ? EPOLLOUT : 0),
                                 .data.ptr = endpoint };
    int rc = epoll_ctl (self->epoll, EPOLL_CTL_MOD,
                        zyn_wire_fd (endpoint->wire), &event);
    assert (rc == 0);
}

//  Nothing endpoint owes will come: its outbox goes through the broker,
//  its reads are sent again that way, its writes fail (their outcome is
//  unknown); a local link is closed, to be connected again with the next
//  routes
static void
s_endpoint_lost (zyn_direct_t *self, s_endpoint_t *endpoint)
{
    self->stale = true;
    self->broken = true;
    //  What it has not been sent yet goes through the broker
    s_outbox_to_broker (self, endpoint);
    zlistx_t *lost = zlistx_new ();
    for (s_pending_t *pending = (s_pending_t *) zhashx_first (self->pending);
         pending; pending = (s_pending_t *) zhashx_next (self->pending))
        if (pending->endpoint == endpoint)
            zlistx_add_end (lost, (void *) zhashx_cursor (self->pending));
    for (void *key = zlistx_first (lost); key; key = zlistx_next (lost)) {
        uint64_t request_id = (uint64_t) (uintptr_t) key;
        s_pending_t *pending = (s_pending_t *) zhashx_lookup (self->pending,
                                                              key);
        if (streq (pending->operation, "GetItem"))
            s_queue_resend (self, pending, true);
        else {
            //  A write may or may not have been applied
            zyn_error_t err = { 0 };
            zyn_error_set (&err, ZYN_ERR_INTERNAL,
                           "Internal server error: the worker serving the "
                           "key went away before it answered; the write "
                           "may or may not have been applied");
            zmsg_t *msg = zyn_proto_error_new (request_id, &err, NULL);
            zlistx_add_end (self->ready, msg);
        }
        zhashx_delete (self->pending, key);
    }
    zlistx_destroy (&lost);
}

//  Read every disconnect event waiting on the monitor
static void
s_read_monitor (zyn_direct_t *self)
{
    zmsg_t *event = NULL;
    while ((event = zmsg_recv (self->monitor))) {
        zframe_t *head = zmsg_first (event);
        zframe_t *address = zmsg_next (event);
        if (head && zframe_size (head) >= 2 && address) {
            uint16_t type;
            memcpy (&type, zframe_data (head), 2);
            char *name = zframe_strdup (address);
            if (type == ZMQ_EVENT_DISCONNECTED)
                s_handle_disconnect (self, name);
            free (name);
        }
        zmsg_destroy (&event);
    }
}

//  Move a reply made here (zyn_proto's four frames) into reply, as one
//  answer frame
static void
s_reply_from_msg (zmsg_t **msg_p, zyn_direct_reply_t *reply)
{
    zmsg_t *msg = *msg_p;
    zmsg_first (msg);
    zframe_t *id = zmsg_next (msg);
    zframe_t *status = zmsg_next (msg);
    zframe_t *body = zmsg_next (msg);
    reply->request_id = id ? zyn_proto_request_id (id) : 0;
    char text [256] = "";
    if (status && zframe_size (status) < sizeof (text))
        memcpy (text, zframe_data (status), zframe_size (status));
    size_t body_size = body ? zframe_size (body) : 0;
    zmq_msg_init_size (&reply->frame, ZYN_PROTO_DIRECT_ANSWER_HEAD
                                      + strlen (text) + body_size);
    uint8_t *out = (uint8_t *) zmq_msg_data (&reply->frame);
    size_t head = zyn_proto_direct_answer_head (out, reply->request_id, text);
    if (body_size)
        memcpy (out + head, zframe_data (body), body_size);
    reply->status_offset = ZYN_PROTO_DIRECT_ANSWER_HEAD;
    reply->status_size = strlen (text);
    reply->body_offset = head;
    reply->body_size = body_size;
    zmsg_destroy (msg_p);
}

//  Read the next reply message from the router into self->in, after
//  closing the last one's frames. Returns 0 if it holds one or more whole
//  replies (from self->in_next on), -1 if none was waiting. A malformed
//  message is dropped.
static int
s_read_message (zyn_direct_t *self)
{
    void *router = zsock_resolve (self->router);
    while (true) {
        for (size_t i = 0; i < self->in_count; i++)
            zmq_msg_close (&self->in [i]);
        self->in_count = 0;
        self->in_next = 0;
        bool more = true;
        while (more) {
            if (self->in_count == self->in_max) {
                self->in_max = self->in_max ? self->in_max * 2 : 64;
                self->in = (zmq_msg_t *) realloc (
                    self->in, self->in_max * sizeof (zmq_msg_t));
                assert (self->in);
            }
            zmq_msg_t *frame = &self->in [self->in_count];
            zmq_msg_init (frame);
            //  The receive timeout is zero; the rest of a message arrives
            //  with its first frame
            if (zmq_msg_recv (frame, router, 0) < 0) {
                zmq_msg_close (frame);
                if (self->in_count == 0)
                    return -1;
                break;
            }
            self->in_count++;
            more = zmq_msg_more (frame);
        }
        if (self->in_count >= 2) {
            self->in_next = 1;          //  Past the peer's id
            return 0;
        }
        zsys_warning ("zyn_direct: malformed reply dropped frames=%zu",
                      self->in_count);
    }
}

//  A local link failed or is no longer listed: it is closed now (it
//  leaves the epoll set); its requests are settled (s_endpoint_lost)
//  once the answers read from it before have been taken
static void
s_link_failed (zyn_direct_t *self, s_endpoint_t *endpoint)
{
    zyn_wire_destroy (&endpoint->wire);
    endpoint->connected = false;
    endpoint->writing = false;
    if (!endpoint->lost) {
        endpoint->lost = true;
        self->lost_count++;
    }
    self->needs_read = true;
    self->stale = true;
    self->broken = true;
}

//  Settle the requests of the links closed since the last read
static void
s_settle_lost (zyn_direct_t *self)
{
    for (s_endpoint_t *endpoint
             = (s_endpoint_t *) zhashx_first (self->endpoints);
         endpoint && self->lost_count;
         endpoint = (s_endpoint_t *) zhashx_next (self->endpoints))
        if (endpoint->lost) {
            endpoint->lost = false;
            self->lost_count--;
            s_endpoint_lost (self, endpoint);
        }
}

//  Read the local links epoll reports: write what waits for room, and
//  copy each whole answer frame read into self->local_in. Returns 0 if
//  that holds one or more answers, -1 if none was read.
static int
s_read_links (zyn_direct_t *self)
{
    for (size_t i = self->local_next; i < self->local_count; i++)
        zmq_msg_close (&self->local_in [i]);
    self->local_count = self->local_next = 0;
    struct epoll_event events [16];
    int ready = epoll_wait (self->epoll, events, 16, 0);
    for (int i = 0; i < ready; i++) {
        s_endpoint_t *endpoint = (s_endpoint_t *) events [i].data.ptr;
        if (!endpoint->wire)
            continue;                   //  Lost earlier in this round
        if (events [i].events & EPOLLOUT) {
            int rc = zyn_wire_write (endpoint->wire);
            if (rc == 0)
                s_watch (self, endpoint, false);
            if (rc < 0) {
                s_link_failed (self, endpoint);
                continue;
            }
        }
        if (!(events [i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
            continue;
        int rc = zyn_wire_read (endpoint->wire);
        const uint8_t *frame;
        size_t size;
        int taken;
        while ((taken = zyn_wire_next (endpoint->wire, &frame, &size)) == 1) {
            if (self->local_count == self->local_max) {
                self->local_max = self->local_max ? self->local_max * 2 : 64;
                self->local_in = (zmq_msg_t *) realloc (
                    self->local_in, self->local_max * sizeof (zmq_msg_t));
                assert (self->local_in);
            }
            zmq_msg_t *copy = &self->local_in [self->local_count++];
            zmq_msg_init_size (copy, size);
            memcpy (zmq_msg_data (copy), frame, size);
        }
        //  The answers read before a close or a bad length still count
        if (rc < 0 || taken < 0)
            s_link_failed (self, endpoint);
    }
    return self->local_count ? 0 : -1;
}

//  As s_take, for zyn_direct_drain: a reply from the router moves its
//  frames into reply, with no copy and no allocation
static int
s_take_reply (zyn_direct_t *self, zyn_direct_reply_t *reply,
              zyn_direct_resend_t *resend, bool router, bool local,
              bool *empty)
{
    //  Once the answers read from a closed link are taken, its other
    //  requests are settled
    if (self->lost_count && self->local_next >= self->local_count)
        s_settle_lost (self);
    if (s_take_resend (self, resend))
        return 2;
    zmsg_t *made = (zmsg_t *) zlistx_first (self->ready);
    if (made) {
        zlistx_detach_cur (self->ready);
        s_reply_from_msg (&made, reply);
        return 1;
    }
    //  From the router: peer, then per reply one frame ZYN1 | request-id
    //  | status | body; from a local link the same frames, one by one
    zmq_msg_t *frame = NULL;
    bool from_link = false;
    if (self->in_next < self->in_count)
        frame = &self->in [self->in_next++];
    else
    if (self->local_next < self->local_count)
        from_link = true;
    else
    if (router && s_read_message (self) == 0)
        frame = &self->in [self->in_next++];
    else
    if (local && s_read_links (self) == 0)
        from_link = true;
    if (from_link)
        frame = &self->local_in [self->local_next++];
    if (!frame) {
        *empty = true;
        return 0;
    }
    const uint8_t *data = (const uint8_t *) zmq_msg_data (frame);
    zyn_proto_direct_t parsed;
    uint64_t request_id = 0;
    if (zyn_proto_direct_parse (data, zmq_msg_size (frame), true, &parsed)
        == 0)
        request_id = parsed.request_id;
    void *key = (void *) (uintptr_t) request_id;
    s_pending_t *pending = request_id
        ? (s_pending_t *) zhashx_lookup (self->pending, key) : NULL;
    int rc = 0;
    if (!pending)
        ;                       //  Malformed, or the answer to a request
                                //  given up on
    else
    if (parsed.name_size == strlen (ZYN_PROTO_MISROUTED)
        && memcmp (parsed.name, ZYN_PROTO_MISROUTED,
                   strlen (ZYN_PROTO_MISROUTED)) == 0) {
        self->stale = true;
        self->broken = true;
        s_queue_resend (self, pending, true);
        zhashx_delete (self->pending, key);
        s_take_resend (self, resend);
        rc = 2;
    }
    else {
        zhashx_delete (self->pending, key);
        reply->request_id = request_id;
        reply->status_offset = (size_t) ((const uint8_t *) parsed.name - data);
        reply->status_size = parsed.name_size;
        reply->body_offset = (size_t) (parsed.body - data);
        reply->body_size = parsed.body_size;
        zmq_msg_init (&reply->frame);
        zmq_msg_move (&reply->frame, frame);
        rc = 1;
    }
    if (from_link)
        zmq_msg_close (frame);          //  Taken, or not needed
    return rc;
}

int
zyn_direct_drain (zyn_direct_t *self, bool monitor, bool router, bool local,
                  zyn_direct_reply_t *reply, zyn_direct_resend_t *resend)
{
    assert (self);
    assert (reply && resend);
    if (monitor)
        s_read_monitor (self);
    bool empty = false;
    int rc = s_take_reply (self, reply, resend, router, local, &empty);
    return empty ? -1 : rc;
}

bool
zyn_direct_needs_read (zyn_direct_t *self)
{
    assert (self);
    bool needs_read = self->needs_read;
    self->needs_read = false;
    return needs_read;
}

int
zyn_direct_local_fd (zyn_direct_t *self)
{
    assert (self);
    return self->epoll;
}

uint64_t
zyn_direct_sent (zyn_direct_t *self)
{
    assert (self);
    return self->sent;
}

uint64_t
zyn_direct_resent (zyn_direct_t *self)
{
    assert (self);
    return self->resent;
}

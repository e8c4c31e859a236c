/*  =========================================================================
    zyn_worker - the worker: hosts partitions, executes requests with
    group commit, publishes committed change records

    Owns the DEALER to the broker, the PUB to the stream hub and every
    open partition. See the header for the commands and docs/protocol.md
    for the messages. Request execution is zyn_ops; storage is
    zyn_partition. The group commit is pipelined: committer threads
    (zyn_commit) write the partitions sealed at the end of a batch, one
    fsync each, in parallel, while the actor executes the next requests;
    replies wait in zyn_replies until what they saw is durable. The
    change logs are trimmed to the retention window from the timer.

    Known limits: no replication, no epochs yet; a partition found on disk
    is served until the broker drops it.
    =========================================================================
*/

#include "zyn_prelude.h"
#include <pthread.h>
#include "zyn_error.h"
#include "zyn_proto.h"
#include "zyn_partition.h"
#include "zyn_ops.h"
#include "zyn_local.h"
#include "zyn_commit.h"
#include "zyn_replies.h"
#include "zyn_worker.h"

#define HEARTBEAT_INTERVAL_DEFAULT 1000
#define HEARTBEAT_LIVENESS_DEFAULT 3
#define BACKOFF_MIN_DEFAULT 1000
#define BACKOFF_MAX_DEFAULT 32000
//  The change log keeps a day of records, as DynamoDB Streams does, and
//  is trimmed once a minute, at most TRIM_MAX records per partition at
//  a time (then again soon, until it is done)
#define RETENTION_DEFAULT (24 * 3600 * 1000)
#define TRIM_INTERVAL_DEFAULT 60000
#define TRIM_MAX 5000
#define TRIM_AGAIN 100

//  Most frames a front door message has: the client's id and one per
//  request
#define S_FRONT_FRAMES (1 + ZYN_PROTO_DIRECT_BATCH_MAX)

//  A request's parts, borrowed from the frames it came in: from the
//  broker client | request-id | operation | partition | body, on the
//  front door (direct) the client's routing id and request-id |
//  operation | route | body
typedef struct {
    const void *client;
    size_t client_size;
    const void *request_id;     //  8 octets
    size_t request_id_size;
    const void *operation;      //  Not terminated
    size_t operation_size;
    const void *route;          //  12 octets (broker) or 20 (direct)
    size_t route_size;
    const void *body;
    size_t body_size;
    bool local;                 //  From the local front door: client is
                                //  the link's id (8 octets, host order)
} s_request_t;

typedef struct {
    zsock_t *pipe;              //  Actor pipe, borrowed
    bool terminated;
    //  A socket is due to be read until empty before the actor sleeps:
    //  its ZMQ_FD fired, or it was sent on (libzmq may then have taken
    //  the wake-up of a message that came meanwhile), or it is new
    bool pipe_due;
    bool dealer_due;
    bool front_due;
    bool commit_due;            //  A commit may be done
    bool verbose;
    bool started;
    char *id;                   //  Owned, worker id
    char *data;                 //  Owned, data directory
    char *endpoint;             //  Owned, broker back door
    zsock_t *dealer;            //  Owned, NULL while disconnected
    zsock_t *front;             //  Owned, the direct path, or NULL
    char *front_endpoint;       //  Owned, where clients reach front
    char *local_endpoint;       //  Owned, where clients on this machine
                                //  reach local, or NULL
    zyn_local_t *local;         //  Owned, the local front door, or NULL
    struct pollfd *items;       //  Owned, the actor's poll set
    size_t item_max;
    char *front_id;             //  Owned, front's routing id: unique to
                                //  this process, so a client never takes
                                //  another peer on a reused port for us
    zsock_t *pub;               //  Owned, NULL until WELCOME
    char *stream_endpoint;      //  Owned, where pub connects
    zhashx_t *partitions;       //  Owned, "table-partition" -> partition
    zmq_msg_t front_frames [S_FRONT_FRAMES + 1];
                                //  A front door message's frames, and
                                //  one more so a longer one shows
    zyn_replies_t *replies;     //  Owned, replies waiting for commits
    zyn_commit_t *commit;       //  Owned, the group commit
    int64_t heartbeat_interval;
    int64_t heartbeat_liveness;
    int64_t heartbeat_at;       //  When we next send a HEARTBEAT
    int64_t expiry_at;          //  When the broker counts as dead
    int64_t backoff_min;
    int64_t backoff_max;
    int64_t backoff;            //  Delay before the next reconnect
    int64_t reconnect_at;       //  When to reconnect, while disconnected
    int64_t retention;          //  How long change records are kept, ms
    int64_t trim_interval;      //  How often the change logs are trimmed
    int64_t trim_at;            //  When we next trim them
    uint64_t trimmed;           //  Change records trimmed
    uint64_t commits;           //  Partition WriteBatches written
    uint64_t requests;          //  Requests executed
    uint64_t published;         //  Change records published
    size_t row_cache;           //  Row cache bytes, shared by partitions
    size_t write_buffer;        //  Memtable bytes per partition, 0: default
} self_t;


//  --------------------------------------------------------------------------
//  Destructors for the containers

static void
s_partition_free (void **item_p)
{
    zyn_partition_destroy ((zyn_partition_t **) item_p);
}

//  --------------------------------------------------------------------------
//  The key of a partition in self->partitions

static void
s_partition_key (char *buf, size_t size, uint64_t table_id,
                 uint32_t partition_id)
{
    //  Every request looks its partition up: digits by hand, not snprintf
    char digits [44];
    char *end = digits + sizeof (digits);
    char *start = end;
    uint64_t value = partition_id;
    do {
        *--start = (char) ('0' + value % 10);
        value /= 10;
    } while (value);
    *--start = '-';
    value = table_id;
    do {
        *--start = (char) ('0' + value % 10);
        value /= 10;
    } while (value);
    size_t length = (size_t) (end - start);
    assert (length < size);
    memcpy (buf, start, length);
    buf [length] = 0;
}

//  --------------------------------------------------------------------------
//  Create and destroy the actor's state

static self_t *
s_self_new (zsock_t *pipe)
{
    self_t *self = (self_t *) zmalloc (sizeof (self_t));
    self->pipe = pipe;
    self->pipe_due = true;
    self->partitions = zhashx_new ();
    zhashx_set_destructor (self->partitions, s_partition_free);
    self->commit = zyn_commit_new ();
    assert (self->commit);
    self->replies = zyn_replies_new ();
    self->heartbeat_interval = HEARTBEAT_INTERVAL_DEFAULT;
    self->heartbeat_liveness = HEARTBEAT_LIVENESS_DEFAULT;
    self->backoff_min = BACKOFF_MIN_DEFAULT;
    self->backoff_max = BACKOFF_MAX_DEFAULT;
    self->backoff = self->backoff_min;
    self->retention = RETENTION_DEFAULT;
    self->trim_interval = TRIM_INTERVAL_DEFAULT;
    self->row_cache = ZYN_WORKER_ROW_CACHE;
    return self;
}

static void
s_self_destroy (self_t **self_p)
{
    assert (self_p);
    self_t *self = *self_p;
    if (!self)
        return;
    zyn_commit_destroy (&self->commit);
    zyn_replies_destroy (&self->replies);
    zhashx_destroy (&self->partitions);
    zsock_destroy (&self->pub);
    zsock_destroy (&self->dealer);
    zsock_destroy (&self->front);
    zyn_local_destroy (&self->local);
    free (self->items);
    zstr_free (&self->front_endpoint);
    zstr_free (&self->local_endpoint);
    zstr_free (&self->front_id);
    zstr_free (&self->stream_endpoint);
    zstr_free (&self->endpoint);
    zstr_free (&self->data);
    zstr_free (&self->id);
    free (self);
    *self_p = NULL;
}

//  --------------------------------------------------------------------------
//  Send a command with an optional MessagePack body to the broker

static void
s_send_command (self_t *self, const char *command, const zyn_value_t *body)
{
    if (!self->dealer)
        return;
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, ZYN_PROTO_SIGNATURE);
    zmsg_addstr (msg, command);
    if (streq (command, ZYN_PROTO_READY))
        zmsg_addstr (msg, self->id);
    if (body) {
        size_t size;
        void *data = zyn_value_encode (body, &size);
        zmsg_addmem (msg, data, size);
        free (data);
    }
    zmsg_send (&msg, self->dealer);
    self->dealer_due = true;
}

//  --------------------------------------------------------------------------
//  The heartbeat's body: each partition's committed item count and size,
//  for DescribeTable

static zyn_value_t *
s_item_stats (self_t *self)
{
    zyn_value_t *list = zyn_value_new_l ();
    zyn_partition_t *partition =
        (zyn_partition_t *) zhashx_first (self->partitions);
    while (partition) {
        int64_t items, bytes;
        zyn_partition_item_stats (partition, &items, &bytes);
        zyn_value_t *entry = zyn_value_new_m ();
        zyn_value_map_put_int (entry, "TableId",
                               (int64_t) zyn_partition_table_id (partition));
        zyn_value_map_put_int (entry, "PartitionId",
                               zyn_partition_id (partition));
        zyn_value_map_put_int (entry, "ItemCount", items);
        zyn_value_map_put_int (entry, "SizeBytes", bytes);
        zyn_value_list_append (list, &entry);
        partition = (zyn_partition_t *) zhashx_next (self->partitions);
    }
    zyn_value_t *body = zyn_value_new_m ();
    zyn_value_map_put (body, "Partitions", &list);
    return body;
}

//  --------------------------------------------------------------------------
//  Say READY with every partition we hold

static void
s_send_ready (self_t *self)
{
    zyn_value_t *body = zyn_value_new_m ();
    zyn_value_map_put_s (body, "WorkerId", self->id);
    if (self->front_endpoint) {
        zyn_value_map_put_s (body, "Endpoint", self->front_endpoint);
        zyn_value_map_put_s (body, "FrontId", self->front_id);
        char host_id [64];
        if (self->local_endpoint
            && zyn_proto_host_id (host_id, sizeof (host_id)) == 0) {
            zyn_value_map_put_s (body, "LocalEndpoint",
                                 self->local_endpoint);
            zyn_value_map_put_s (body, "HostId", host_id);
        }
    }
    zyn_value_t *list = zyn_value_new_l ();
    zyn_partition_t *partition =
        (zyn_partition_t *) zhashx_first (self->partitions);
    while (partition) {
        zyn_value_t *entry = zyn_value_new_m ();
        zyn_value_map_put_int (entry, "TableId",
                               (int64_t) zyn_partition_table_id (partition));
        zyn_value_map_put_int (entry, "PartitionId",
                               zyn_partition_id (partition));
        zyn_value_map_put_int (entry, "LastSequenceNumber",
                               (int64_t) zyn_partition_last_seq (partition));
        zyn_value_list_append (list, &entry);
        partition = (zyn_partition_t *) zhashx_next (self->partitions);
    }
    zyn_value_map_put (body, "Partitions", &list);
    s_send_command (self, ZYN_PROTO_READY, body);
    zyn_value_destroy (&body);
}

//  --------------------------------------------------------------------------
//  Connect to the broker and say READY

static void
s_connect (self_t *self)
{
    assert (!self->dealer);
    self->dealer = zsock_new (ZMQ_DEALER);
    assert (self->dealer);
    zsock_set_rcvhwm (self->dealer, 0);
    zsock_set_sndhwm (self->dealer, 0);
    zsock_set_rcvtimeo (self->dealer, 0);     //  s_handle_batch
    if (zsock_connect (self->dealer, "%s", self->endpoint)) {
        zsys_error ("zyn_worker: cannot connect endpoint=%s",
                    self->endpoint);
        zsock_destroy (&self->dealer);
        self->reconnect_at = zyn_mono_msecs () + self->backoff;
        return;
    }
    self->dealer_due = true;
    s_send_ready (self);
    int64_t now = zyn_mono_msecs ();
    self->heartbeat_at = now + self->heartbeat_interval;
    self->expiry_at = now + self->heartbeat_interval
                          * self->heartbeat_liveness;
    zsys_info ("zyn_worker: connecting id=%s broker=%s", self->id,
               self->endpoint);
}

//  --------------------------------------------------------------------------
//  Drop the connection to the broker and schedule a reconnect with
//  exponential back-off

static void
s_disconnect (self_t *self)
{
    zsock_destroy (&self->dealer);
    self->reconnect_at = zyn_mono_msecs () + self->backoff;
    zsys_warning ("zyn_worker: broker silent, reconnecting in %" PRId64
                  " ms id=%s",
                  self->backoff, self->id);
    self->backoff *= 2;
    if (self->backoff > self->backoff_max)
        self->backoff = self->backoff_max;
}

//  --------------------------------------------------------------------------
//  Split the row cache evenly among the partitions, at least 1 MB each

static void
s_share_row_cache (self_t *self)
{
    size_t count = zhashx_size (self->partitions);
    size_t share = count ? self->row_cache / count : self->row_cache;
    if (self->row_cache && share < 1024 * 1024)
        share = 1024 * 1024;
    zyn_partition_t *partition =
        (zyn_partition_t *) zhashx_first (self->partitions);
    while (partition) {
        zyn_partition_set_row_cache (partition, share);
        partition = (zyn_partition_t *) zhashx_next (self->partitions);
    }
}

//  --------------------------------------------------------------------------
//  The row caches' hits, misses and bytes, summed over the partitions

static void
s_row_cache_stats (self_t *self, uint64_t *hits, uint64_t *misses,
                   size_t *bytes)
{
    *hits = *misses = 0;
    *bytes = 0;
    zyn_partition_t *partition =
        (zyn_partition_t *) zhashx_first (self->partitions);
    while (partition) {
        uint64_t partition_hits, partition_misses;
        size_t partition_bytes;
        zyn_partition_row_cache_stats (partition, &partition_hits,
                                       &partition_misses, &partition_bytes);
        *hits += partition_hits;
        *misses += partition_misses;
        *bytes += partition_bytes;
        partition = (zyn_partition_t *) zhashx_next (self->partitions);
    }
}

//  --------------------------------------------------------------------------
//  Open every partition found under the data directory. A partition
//  directory is p-<TableId>-<PartitionId> holding a LevelDB (its
//  CURRENT file).

static int
s_open_data (self_t *self, char *message, size_t size)
{
    errno = 0;
    bool usable = zsys_dir_create ("%s", self->data) == 0;
    if (usable && !S_ISDIR (zsys_file_mode (self->data))) {
        usable = false;
        errno = ENOTDIR;
    }
    if (usable && access (self->data, R_OK | W_OK | X_OK))
        usable = false;
    if (!usable) {
        snprintf (message, size, "data directory %s is not usable: %s",
                  self->data, strerror (errno));
        return -1;
    }
    zdir_t *dir = zdir_new (self->data, NULL);
    if (!dir) {
        snprintf (message, size, "data directory %s is not readable",
                  self->data);
        return -1;
    }
    int rc = 0;
    zfile_t **files = zdir_flatten (dir);
    for (size_t i = 0; files [i]; i++) {
        const char *path = zfile_filename (files [i], NULL);
        const char *base = strrchr (path, '/');
        if (!base || !streq (base + 1, "CURRENT"))
            continue;
        char *parent = strndup (path, base - path);
        const char *name = strrchr (parent, '/');
        name = name ? name + 1 : parent;
        uint64_t table_id;
        uint32_t partition_id;
        char tail;
        if (sscanf (name, "p-%" SCNu64 "-%" SCNu32 "%c", &table_id,
                    &partition_id, &tail)
            == 2) {
            zyn_error_t err = { 0 };
            zyn_partition_t *partition =
                zyn_partition_open (parent, NULL, self->write_buffer, &err);
            if (partition) {
                char key [64];
                s_partition_key (key, sizeof (key), table_id, partition_id);
                zhashx_update (self->partitions, key, partition);
                s_share_row_cache (self);
                zsys_info ("zyn_worker: partition open table=%" PRIu64
                           " partition=%" PRIu32 " seq=%" PRIu64,
                           table_id, partition_id,
                           zyn_partition_last_seq (partition));
            }
            else {
                //  Locked by another worker, or damaged: serving without
                //  it would hide its data, so the data dir is unusable
                snprintf (message, size, "cannot open partition %s: %s",
                          parent, err.message);
                rc = -1;
            }
        }
        free (parent);
        if (rc)
            break;
    }
    zdir_flatten_free (&files);
    zdir_destroy (&dir);
    return rc;
}

//  --------------------------------------------------------------------------
//  Publish the committed change records of partition on the PUB socket.
//  The log is the truth: without a PUB socket they are simply not
//  announced, subscribers catch up from the log.

static void
s_publish (self_t *self, zyn_partition_t *partition)
{
    char topic [512];
    zyn_proto_stream_topic (topic, sizeof (topic),
                            zyn_partition_table_name (partition),
                            zyn_partition_id (partition));
    size_t topic_size = strlen (topic);
    //  topic | seq | record, sent as parts: no zmsg or zframe per record
    void *handle = self->pub ? zsock_resolve (self->pub) : NULL;
    uint64_t seq;
    zchunk_t *record;
    while ((record = zyn_partition_next_record (partition, &seq))) {
        if (handle) {
            uint8_t seq_frame [8];
            zyn_put_u64 (seq_frame, seq);
            zmq_send (handle, topic, topic_size, ZMQ_SNDMORE);
            zmq_send (handle, seq_frame, 8, ZMQ_SNDMORE);
            zmq_send (handle, zchunk_data (record), zchunk_size (record), 0);
            self->published++;
        }
        zchunk_destroy (&record);
    }
}

//  --------------------------------------------------------------------------
//  The group commit, pipelined: at the end of a batch every partition
//  with staged writes and no commit under way is sealed and handed to a
//  committer thread (one WriteBatch and one fsync each, partitions in
//  parallel), and the actor goes on with the next requests, whose
//  writes are staged apart. A finished commit wakes the actor, which
//  finishes it, seals what was staged meanwhile and sends the replies
//  that may go. Replies go in the order their requests came, each once
//  the writes it saw are durable: a reply never reveals a write that is
//  not. A request whose partition failed to commit is answered
//  InternalServerError.

static void
s_commit_failed (zyn_partition_t *partition, const char *message)
{
    zsys_error ("zyn_worker: commit failed table=%s partition=%" PRIu32
                ": %s", zyn_partition_table_name (partition),
                zyn_partition_id (partition), message);
}

//  Seal and start the commit of every partition that has staged writes
//  and no commit under way
static void
s_start_commits (self_t *self)
{
    zyn_partition_t *partition =
        (zyn_partition_t *) zhashx_first (self->partitions);
    while (partition) {
        if (!zyn_partition_in_flight (partition)
            && zyn_partition_seal (partition))
            zyn_commit_start (self->commit, partition);
        partition = (zyn_partition_t *) zhashx_next (self->partitions);
    }
}

//  Finish the commits that are done, or with wait every one under way.
//  Returns true if one succeeded (its records wait to be published).
static bool
s_finish_commits (self_t *self, bool wait)
{
    bool succeeded = false;
    int rc = 0;
    zyn_error_t err = { 0 };
    zyn_partition_t *partition;
    while ((partition = zyn_commit_next (self->commit, wait, &rc, &err))) {
        zyn_partition_finish (partition, rc);
        if (rc == 0) {
            self->commits++;
            succeeded = true;
            continue;
        }
        s_commit_failed (partition, err.message);
        //  Everything a reply saw on that partition and not yet durable
        //  is gone
        zyn_replies_fail (self->replies, partition);
        memset (&err, 0, sizeof (err));
    }
    return succeeded;
}

//  Send the replies that may go
static void
s_send_answers (self_t *self)
{
    bool front_sent = false, dealer_sent = false;
    zyn_replies_send (self->replies, self->front, self->dealer, self->local,
                      &front_sent, &dealer_sent);
    //  Sent on: libzmq may have taken the wake-up of a message meanwhile
    self->front_due |= front_sent;
    self->dealer_due |= dealer_sent;
    if (self->local)
        zyn_local_flush (self->local);
}

static void
s_publish_all (self_t *self)
{
    zyn_partition_t *partition =
        (zyn_partition_t *) zhashx_first (self->partitions);
    while (partition) {
        s_publish (self, partition);
        partition = (zyn_partition_t *) zhashx_next (self->partitions);
    }
}

//  After a batch, or when a commit is done: finish what is done, start
//  what may start, send what may go
static void
s_pump (self_t *self)
{
    bool committed = s_finish_commits (self, false);
    s_start_commits (self);
    s_send_answers (self);
    if (committed)
        s_publish_all (self);
}

//  Make everything staged durable and answer every reply, waiting for
//  the commits: before a range read, a command, or the end
static void
s_flush (self_t *self)
{
    bool committed = s_finish_commits (self, true);
    s_start_commits (self);
    committed |= s_finish_commits (self, true);
    s_send_answers (self);
    assert (zyn_replies_size (self->replies) == 0);
    if (committed)
        s_publish_all (self);
}

//  --------------------------------------------------------------------------
//  Execute one request and queue its reply (see s_request_t for where its
//  parts come from)

static bool
s_is_direct_operation (const char *operation)
{
    return streq (operation, "GetItem") || streq (operation, "PutItem")
        || streq (operation, "UpdateItem") || streq (operation, "DeleteItem");
}

static void
s_execute (self_t *self, const s_request_t *request, bool direct)
{
    uint64_t request_id = request->request_id_size == 8
                        ? zyn_get_u64 ((const uint8_t *) request->request_id)
                        : 0;
    //  The broker's own calls (a scatter's parts) have an empty client
    if (!request->client || request->client_size > ZYN_REPLIES_CLIENT_MAX
        || request_id == 0) {
        zsys_warning ("zyn_worker: malformed REQUEST dropped");
        return;
    }
    char operation [ZYN_PROTO_OPERATION_MAX + 1] = "";
    //  A group cut short has no operation frame at all
    if (request->operation
        && request->operation_size <= ZYN_PROTO_OPERATION_MAX) {
        memcpy (operation, request->operation, request->operation_size);
        operation [request->operation_size] = 0;
    }
    zyn_error_t err = { 0 };
    zyn_value_t *body = NULL;
    uint8_t *response = NULL;
    size_t response_size = 0;
    zyn_value_t *extra = NULL;
    zyn_partition_t *partition = NULL;
    const uint8_t *route = (const uint8_t *) request->route;
    uint64_t table_id = 0;
    uint32_t partition_id = 0;
    uint64_t hash = 0;
    bool misrouted = false;

    size_t route_size = direct ? ZYN_PROTO_ROUTE_SIZE : 12;
    if (!*operation || strlen (operation) != request->operation_size
        || !request->body || request->route_size != route_size) {
        zsys_warning ("zyn_worker: malformed REQUEST answered");
        zyn_error_set (&err, ZYN_ERR_SERIALIZATION,
                       "Malformed request frames");
        goto reply;
    }
    table_id = zyn_get_u64 (route);
    partition_id = zyn_get_u32 (route + 8);
    if (direct)
        hash = zyn_get_u64 (route + 12);
    self->requests++;
    if (self->verbose)
        zsys_debug ("zyn_worker: request op=%s table=%" PRIu64
                    " partition=%" PRIu32 "%s",
                    operation, table_id, partition_id,
                    direct ? " direct" : "");
    if (!zyn_ops_is_known (operation)) {
        zyn_error_set (&err, ZYN_ERR_UNKNOWN_OPERATION,
                       "Unknown operation %s", operation);
        goto reply;
    }
    char key [64];
    s_partition_key (key, sizeof (key), table_id, partition_id);
    partition = (zyn_partition_t *) zhashx_lookup (self->partitions, key);
    if (direct
        && (!partition || !zyn_partition_owns (partition, hash)
            || !s_is_direct_operation (operation))) {
        //  A stale or wrong route: nothing is done, the client asks the
        //  broker instead
        misrouted = true;
        partition = NULL;
        goto reply;
    }
    if (!partition) {
        zyn_error_set (&err, ZYN_ERR_INTERNAL,
                       "partition %s is not hosted by worker %s", key,
                       self->id);
        goto reply;
    }
    if (request->body_size > ZYN_PROTO_BODY_MAX) {
        zyn_error_set (&err, ZYN_ERR_VALIDATION,
                       "Request body exceeds the maximum size");
        goto reply;
    }
    body = zyn_value_decode (request->body, request->body_size, &err);
    if (!body)
        goto reply;

    //  Range reads see only committed rows: make the staged writes
    //  before them durable first, so they read what earlier requests
    //  wrote
    if (zyn_ops_needs_commit (operation) && zyn_partition_is_dirty (partition))
        s_flush (self);
    response = (uint8_t *) zyn_ops_execute_encoded (
        partition, operation, body, &response_size, &extra, &err);

reply:;
    //  A reply waits for its partition's commit if the partition holds
    //  staged writes or writes being committed: they may be what it read
    //  or wrote
    zyn_partition_t *waits_on = partition && zyn_partition_is_dirty (partition)
                              ? partition : NULL;
    zyn_replies_to_t to = { request->client, request->client_size,
                            request_id, direct, request->local };
    if (response)
        zyn_replies_add (self->replies, &to, ZYN_PROTO_OK, response,
                         response_size, waits_on);
    else
    if (misrouted) {
        uint8_t *empty = (uint8_t *) malloc (1);
        assert (empty);
        empty [0] = 0x80;               //  An empty map
        zyn_replies_add (self->replies, &to, ZYN_PROTO_MISROUTED, empty, 1,
                         NULL);
    }
    else {
        zyn_replies_add (self->replies, &to, ZYN_PROTO_OK, NULL, 0,
                         waits_on);
        zyn_replies_error_last (self->replies, &err, extra);
    }
    zyn_value_destroy (&extra);
    zyn_value_destroy (&body);
}

//  REQUEST from the broker: client | request-id | operation | partition |
//  body are the frames left in msg
static void
s_handle_request (self_t *self, zmsg_t *msg)
{
    s_request_t request = { 0 };
    const void **data [] = { &request.client, &request.request_id,
                             &request.operation, &request.route,
                             &request.body };
    size_t *sizes [] = { &request.client_size, &request.request_id_size,
                         &request.operation_size, &request.route_size,
                         &request.body_size };
    zframe_t *frame = zmsg_first (msg);
    for (size_t i = 0; i < 5 && frame; i++) {
        *data [i] = zframe_data (frame);
        *sizes [i] = zframe_size (frame);
        frame = zmsg_next (msg);
    }
    if (frame)
        request.body = NULL;            //  Too many frames: malformed
    s_execute (self, &request, false);
}

//  One direct request frame ZYN1 | request-id | route | operation | body
//  from client (local: a link of the local front door). Returns -1 if
//  the frame has no signature (nothing is done), else 0.
static int
s_execute_frame (self_t *self, const void *client, size_t client_size,
                 bool local, const uint8_t *data, size_t size)
{
    zyn_proto_direct_t parsed;
    int rc = zyn_proto_direct_parse (data, size, false, &parsed);
    if (rc == -1) {
        zsys_warning ("zyn_worker: direct request without signature "
                      "dropped");
        return -1;
    }
    s_request_t request = { 0 };
    request.client = client;
    request.client_size = client_size;
    request.local = local;
    if (parsed.request_id || size >= 12) {
        request.request_id = data + 4;
        request.request_id_size = 8;
    }
    if (rc == 0) {
        request.operation = parsed.name;
        request.operation_size = parsed.name_size;
        request.route = parsed.route;
        request.route_size = ZYN_PROTO_ROUTE_SIZE;
        request.body = parsed.body;
        request.body_size = parsed.body_size;
    }
    //  else cut short: body NULL, answered as malformed
    s_execute (self, &request, true);
    return 0;
}

//  A message on the front door: client, then one or more request frames
//  ZYN1 | request-id | route | operation | body, in frames [0] ..
//  [count - 1]. A frame without the signature ends the message: it and
//  the rest are dropped. Returns how many requests it held.
static size_t
s_handle_direct (self_t *self, zmq_msg_t *frames, size_t count)
{
    size_t executed = 0;
    if (count > S_FRONT_FRAMES) {
        zsys_warning ("zyn_worker: direct message of more than %d requests "
                      "dropped", ZYN_PROTO_DIRECT_BATCH_MAX);
        return 0;
    }
    for (size_t index = 1; index < count; index++) {
        if (s_execute_frame (self, zmq_msg_data (&frames [0]),
                             zmq_msg_size (&frames [0]), false,
                             (const uint8_t *) zmq_msg_data (&frames [index]),
                             zmq_msg_size (&frames [index])))
            break;
        executed++;
    }
    return executed;
}

//  --------------------------------------------------------------------------
//  WELCOME: heartbeat settings and the stream hub to publish to

static void
s_handle_welcome (self_t *self, zmsg_t *msg)
{
    zframe_t *frame = zmsg_pop (msg);
    zyn_value_t *body = frame ? zyn_value_decode (zframe_data (frame),
                                                  zframe_size (frame), NULL)
                              : NULL;
    zframe_destroy (&frame);
    if (!body || zyn_value_type (body) != ZYN_TYPE_M) {
        zsys_warning ("zyn_worker: malformed WELCOME ignored");
        zyn_value_destroy (&body);
        return;
    }
    int64_t number;
    if (zyn_value_map_get_int (body, "HeartbeatInterval", &number) == 0
        && number > 0)
        self->heartbeat_interval = number;
    if (zyn_value_map_get_int (body, "HeartbeatLiveness", &number) == 0
        && number > 0)
        self->heartbeat_liveness = number;
    const char *endpoint = zyn_value_map_get_s (body, "StreamEndpoint");
    if (endpoint
        && (!self->stream_endpoint
            || !streq (endpoint, self->stream_endpoint))) {
        zsock_destroy (&self->pub);
        zstr_free (&self->stream_endpoint);
        self->pub = zsock_new (ZMQ_PUB);
        assert (self->pub);
        zsock_set_sndhwm (self->pub, 100000);
        if (zsock_connect (self->pub, "%s", endpoint) == 0)
            self->stream_endpoint = strdup (endpoint);
        else {
            zsys_warning ("zyn_worker: cannot connect stream endpoint=%s",
                          endpoint);
            zsock_destroy (&self->pub);
        }
    }
    self->backoff = self->backoff_min;
    int64_t now = zyn_mono_msecs ();
    self->heartbeat_at = now + self->heartbeat_interval;
    self->expiry_at = now + self->heartbeat_interval
                          * self->heartbeat_liveness;
    zsys_info ("zyn_worker: welcomed id=%s stream=%s", self->id,
               self->stream_endpoint ? self->stream_endpoint : "-");
    zyn_value_destroy (&body);
}

//  --------------------------------------------------------------------------
//  Decode the TableId and PartitionId of an ASSIGN or DROP body

static zyn_value_t *
s_partition_body (zmsg_t *msg, uint64_t *table_id, uint32_t *partition_id)
{
    zframe_t *frame = zmsg_pop (msg);
    zyn_value_t *body = frame ? zyn_value_decode (zframe_data (frame),
                                                  zframe_size (frame), NULL)
                              : NULL;
    zframe_destroy (&frame);
    int64_t table, partition;
    if (!body || zyn_value_type (body) != ZYN_TYPE_M
        || zyn_value_map_get_int (body, "TableId", &table) || table < 0
        || zyn_value_map_get_int (body, "PartitionId", &partition)
        || partition < 0 || partition > UINT32_MAX) {
        zyn_value_destroy (&body);
        return NULL;
    }
    *table_id = (uint64_t) table;
    *partition_id = (uint32_t) partition;
    return body;
}

//  --------------------------------------------------------------------------
//  ASSIGN: open (or create) the partition and store its descriptor

static void
s_handle_assign (self_t *self, zmsg_t *msg)
{
    uint64_t table_id;
    uint32_t partition_id;
    zyn_value_t *body = s_partition_body (msg, &table_id, &partition_id);
    if (!body) {
        zsys_warning ("zyn_worker: malformed ASSIGN ignored");
        return;
    }
    char key [64];
    s_partition_key (key, sizeof (key), table_id, partition_id);
    zyn_error_t err = { 0 };
    zyn_partition_t *partition =
        (zyn_partition_t *) zhashx_lookup (self->partitions, key);
    if (partition) {
        if (zyn_partition_set_descriptor (partition, body, &err))
            partition = NULL;
    }
    else {
        char path [PATH_MAX];
        snprintf (path, sizeof (path), "%s/p-%" PRIu64 "-%" PRIu32,
                  self->data, table_id, partition_id);
        partition = zyn_partition_open (path, body, self->write_buffer,
                                        &err);
        if (partition) {
            zhashx_update (self->partitions, key, partition);
            s_share_row_cache (self);
        }
    }
    zyn_value_t *reply = zyn_value_new_m ();
    zyn_value_map_put_int (reply, "TableId", (int64_t) table_id);
    zyn_value_map_put_int (reply, "PartitionId", partition_id);
    if (partition) {
        zyn_value_map_put_int (reply, "LastSequenceNumber",
                               (int64_t) zyn_partition_last_seq (partition));
        zsys_info ("zyn_worker: partition assigned table=%s partition=%"
                   PRIu32 " seq=%" PRIu64,
                   zyn_partition_table_name (partition), partition_id,
                   zyn_partition_last_seq (partition));
    }
    else {
        zsys_error ("zyn_worker: cannot open partition %s: %s", key,
                    err.message);
        zyn_value_map_put_s (reply, "Error", zyn_error_name (err.type));
        zyn_value_map_put_s (reply, "message", err.message);
    }
    s_send_command (self, ZYN_PROTO_ASSIGNED, reply);
    zyn_value_destroy (&reply);
    zyn_value_destroy (&body);
}

//  --------------------------------------------------------------------------
//  DROP: close the partition and delete its directory

static void
s_handle_drop (self_t *self, zmsg_t *msg)
{
    uint64_t table_id;
    uint32_t partition_id;
    zyn_value_t *body = s_partition_body (msg, &table_id, &partition_id);
    if (!body) {
        zsys_warning ("zyn_worker: malformed DROP ignored");
        return;
    }
    char key [64];
    s_partition_key (key, sizeof (key), table_id, partition_id);
    zyn_partition_t *partition =
        (zyn_partition_t *) zhashx_lookup (self->partitions, key);
    char path [PATH_MAX];
    snprintf (path, sizeof (path), "%s/p-%" PRIu64 "-%" PRIu32, self->data,
              table_id, partition_id);
    if (partition) {
        snprintf (path, sizeof (path), "%s", zyn_partition_path (partition));
        zhashx_delete (self->partitions, key);      //  Closes it
        s_share_row_cache (self);
    }
    if (zsys_file_exists (path)) {
        zyn_error_t err = { 0 };
        if (zyn_partition_remove (path, &err))
            zsys_error ("zyn_worker: cannot remove partition %s: %s", key,
                        err.message);
        else
            zsys_info ("zyn_worker: partition dropped table=%" PRIu64
                       " partition=%" PRIu32,
                       table_id, partition_id);
    }
    zyn_value_t *reply = zyn_value_new_m ();
    zyn_value_map_put_int (reply, "TableId", (int64_t) table_id);
    zyn_value_map_put_int (reply, "PartitionId", partition_id);
    s_send_command (self, ZYN_PROTO_DROPPED, reply);
    zyn_value_destroy (&reply);
    zyn_value_destroy (&body);
}

//  --------------------------------------------------------------------------
//  One message from the broker. Anything but a REQUEST ends the batch
//  first, so commands see a committed state.

static void
s_handle_message (self_t *self, zmsg_t *msg)
{
    if (zyn_proto_pop_signature (msg)) {
        zsys_warning ("zyn_worker: message without signature dropped");
        return;
    }
    char *command = zmsg_popstr (msg);
    if (!command) {
        zsys_warning ("zyn_worker: empty message dropped");
        return;
    }
    if (streq (command, ZYN_PROTO_REQUEST))
        s_handle_request (self, msg);
    else {
        s_flush (self);
        if (streq (command, ZYN_PROTO_HEARTBEAT))
            ;
        else
        if (streq (command, ZYN_PROTO_WELCOME))
            s_handle_welcome (self, msg);
        else
        if (streq (command, ZYN_PROTO_ASSIGN))
            s_handle_assign (self, msg);
        else
        if (streq (command, ZYN_PROTO_DROP))
            s_handle_drop (self, msg);
        else
        if (streq (command, ZYN_PROTO_DISCONNECT)) {
            //  The broker forgot us: say READY again at once
            zsock_destroy (&self->dealer);
            self->backoff = self->backoff_min;
            s_connect (self);
        }
        else
            zsys_warning ("zyn_worker: unknown command %s dropped",
                          command);
    }
    zstr_free (&command);
}

//  --------------------------------------------------------------------------
//  The broker's socket or the front door is readable: execute every
//  message already waiting on either (up to a bound) as one batch, then
//  commit and reply

//  Read one message from the front door into frames (at most max; the
//  rest of a longer one is read and dropped). Returns how many frames
//  were kept, 0 if none was waiting.

static size_t
s_recv_frames (void *socket, zmq_msg_t *frames, size_t max)
{
    size_t count = 0;
    bool more = true;
    while (more) {
        zmq_msg_t frame;
        zmq_msg_init (&frame);
        if (zmq_msg_recv (&frame, socket, 0) < 0) {
            zmq_msg_close (&frame);
            break;                      //  Nothing waiting
        }
        more = zmq_msg_more (&frame);
        if (count < max)
            frames [count++] = frame;
        else
            zmq_msg_close (&frame);
    }
    return count;
}

static void
s_handle_batch (self_t *self)
{
    //  Both sockets read with a zero timeout: a read that finds nothing
    //  costs a check of the socket's commands, as ZMQ_EVENTS would, but
    //  a read that finds a message costs no system call
    int count = 0;
    bool broker_empty = !self->dealer || !self->dealer_due;
    bool front_empty = !self->front || !self->front_due;
    bool local_empty = !self->local || !zyn_local_due (self->local);
    zmq_msg_t *frames = self->front_frames;
    while (count < ZYN_WORKER_BATCH_MAX
           && !(broker_empty && front_empty && local_empty)) {
        if (!self->dealer)
            broker_empty = true;        //  A command dropped it
        if (!broker_empty) {
            zmsg_t *msg = zmsg_recv (self->dealer);
            broker_empty = !msg;
            if (broker_empty)
                self->dealer_due = false;
            if (msg) {
                count++;
                self->expiry_at = zyn_mono_msecs ()
                    + self->heartbeat_interval * self->heartbeat_liveness;
                s_handle_message (self, msg);
                zmsg_destroy (&msg);
                continue;
            }
        }
        if (!front_empty) {
            size_t size = s_recv_frames (zsock_resolve (self->front), frames,
                                         S_FRONT_FRAMES + 1);
            front_empty = size == 0;
            if (front_empty)
                self->front_due = false;
            if (size) {
                count += (int) s_handle_direct (self, frames, size);
                for (size_t i = 0; i < size; i++)
                    zmq_msg_close (&frames [i]);
            }
        }
        //  One local request per turn, so that the sockets take turns
        if (!local_empty) {
            uint64_t link;
            const uint8_t *frame;
            size_t size;
            if (zyn_local_next (self->local, &link, &frame, &size) == 1) {
                s_execute_frame (self, &link, sizeof (link), true, frame,
                                 size);
                count++;
            }
            else
                local_empty = true;
        }
    }
    s_pump (self);
}

//  --------------------------------------------------------------------------
//  Commands on the actor pipe

//  The next frame of msg, a decimal number (the caller sends one)
static int64_t
s_pop_number (zmsg_t *msg)
{
    char *text = zmsg_popstr (msg);
    assert (text);
    int64_t number = atoll (text);
    zstr_free (&text);
    return number;
}

static void
s_handle_pipe (self_t *self)
{
    zmsg_t *msg = zmsg_recv (self->pipe);
    if (!msg) {
        self->terminated = true;
        return;
    }
    char *command = zmsg_popstr (msg);
    assert (command);
    if (streq (command, "$TERM"))
        self->terminated = true;
    else
    if (streq (command, "VERBOSE"))
        self->verbose = true;
    else
    if (streq (command, "FRONT")) {
        //  Before START: bind the front door for the direct path
        char *bind = zmsg_popstr (msg);
        char *announce = zmsg_popstr (msg);
        assert (bind && !self->front);
        self->front = zsock_new (ZMQ_ROUTER);
        assert (self->front);
        zsock_set_sndhwm (self->front, 100000);
        zsock_set_rcvhwm (self->front, 100000);
        zsock_set_linger (self->front, 0);
        zsock_set_rcvtimeo (self->front, 0);      //  s_handle_batch
        zuuid_t *uuid = zuuid_new ();
        //  28 octets: ZeroMQ keeps an id of up to 33 octets inside the
        //  message, a longer one in a heap block, which libzmq 4.3.4
        //  may leave behind when the socket closes right after the
        //  handshake (LeakSanitizer saw it in one-shot zyn calls)
        self->front_id = zsys_sprintf ("zyn-%.24s", zuuid_str (uuid));
        zuuid_destroy (&uuid);
        zsock_set_identity (self->front, self->front_id);
        if (zsock_bind (self->front, "%s", bind) < 0) {
            char message [512];
            snprintf (message, sizeof (message),
                      "cannot bind front door %s: %s", bind,
                      zmq_strerror (zmq_errno ()));
            zsock_destroy (&self->front);
            zstr_sendx (self->pipe, "ERROR", message, NULL);
        }
        else {
            self->front_endpoint = strdup (
                announce && *announce ? announce
                                      : zsock_endpoint (self->front));
            self->front_due = true;
            zstr_sendx (self->pipe, "OK", self->front_endpoint, NULL);
        }
        zstr_free (&bind);
        zstr_free (&announce);
    }
    else
    if (streq (command, "LOCAL")) {
        //  After FRONT, before START: a local front door where clients on
        //  this machine reach the worker more cheaply, a plain Unix
        //  stream socket (zyn_local): no TCP/IP stack, and no ZeroMQ I/O
        //  thread on either side
        char *bind = zmsg_popstr (msg);
        assert (bind);
        if (self->front && !*bind) {
            //  By default an abstract socket (Linux): no file to leave
            //  behind, named after this process's front door
            zstr_free (&bind);
            bind = zsys_sprintf ("unix://@zynamo-%s", self->front_id);
        }
        if (!self->front)
            zstr_sendx (self->pipe, "ERROR", "no front door", NULL);
        else
        if (self->local)
            zstr_sendx (self->pipe, "ERROR", "local front door already open",
                        NULL);
        else
        if (!(self->local = zyn_local_new (bind))) {
            char message [512];
            snprintf (message, sizeof (message),
                      "cannot bind local front door %s: %s", bind,
                      errno == EINVAL ? "not a unix://@NAME or "
                                        "unix:///PATH endpoint"
                                      : strerror (errno));
            zstr_sendx (self->pipe, "ERROR", message, NULL);
        }
        else {
            zstr_free (&self->local_endpoint);
            self->local_endpoint = strdup (bind);
            zstr_sendx (self->pipe, "OK", self->local_endpoint, NULL);
        }
        zstr_free (&bind);
    }
    else
    if (streq (command, "START")) {
        assert (!self->started);
        zstr_free (&self->id);
        zstr_free (&self->data);
        zstr_free (&self->endpoint);
        self->id = zmsg_popstr (msg);
        self->data = zmsg_popstr (msg);
        self->endpoint = zmsg_popstr (msg);
        assert (self->id && self->data && self->endpoint);
        char message [1024];
        if (s_open_data (self, message, sizeof (message)))
            zstr_sendx (self->pipe, "ERROR", message, NULL);
        else {
            s_connect (self);
            if (self->dealer) {
                self->started = true;
                zstr_sendx (self->pipe, "OK", NULL);
            }
            else {
                snprintf (message, sizeof (message),
                          "cannot connect to broker endpoint %s",
                          self->endpoint);
                zstr_sendx (self->pipe, "ERROR", message, NULL);
            }
        }
    }
    else
    if (streq (command, "BACKOFF")) {
        self->backoff_min = s_pop_number (msg);
        self->backoff_max = s_pop_number (msg);
        self->backoff = self->backoff_min;
    }
    else
    if (streq (command, "RETENTION")) {
        self->retention = s_pop_number (msg);
        self->trim_interval = s_pop_number (msg);
        self->trim_at = zyn_mono_msecs ();
    }
    else
    if (streq (command, "ROWCACHE")) {
        self->row_cache = (size_t) s_pop_number (msg);
        s_share_row_cache (self);
    }
    else
    if (streq (command, "WRITEBUFFER"))
        self->write_buffer = (size_t) s_pop_number (msg);
    else
    if (streq (command, "STATS")) {
        uint64_t hits, misses;
        size_t bytes;
        s_row_cache_stats (self, &hits, &misses, &bytes);
        uint64_t values [7] = { self->commits, self->requests,
                                self->published, self->trimmed, hits,
                                misses, (uint64_t) bytes };
        zmsg_t *reply = zmsg_new ();
        for (int i = 0; i < 7; i++)
            zmsg_addstrf (reply, "%" PRIu64, values [i]);
        zmsg_send (&reply, self->pipe);
    }
    else {
        zsys_error ("zyn_worker: invalid command %s", command);
        assert (false);
    }
    zstr_free (&command);
    zmsg_destroy (&msg);
}

//  --------------------------------------------------------------------------
//  Trim every partition's change log to the retention window. Returns
//  true if a partition has more to trim than one go takes.

static bool
s_trim (self_t *self)
{
    bool more = false;
    int64_t before = zyn_wall_msecs () - self->retention;
    zyn_partition_t *partition =
        (zyn_partition_t *) zhashx_first (self->partitions);
    while (partition) {
        zyn_error_t err = { 0 };
        int64_t trimmed = zyn_partition_trim (partition, before, TRIM_MAX,
                                              &err);
        if (trimmed < 0)
            zsys_warning ("zyn_worker: trim failed table=%s "
                          "partition=%" PRIu32 ": %s",
                          zyn_partition_table_name (partition),
                          zyn_partition_id (partition), err.message);
        else {
            self->trimmed += (uint64_t) trimmed;
            if (trimmed == TRIM_MAX)
                more = true;
        }
        partition = (zyn_partition_t *) zhashx_next (self->partitions);
    }
    return more;
}

//  --------------------------------------------------------------------------
//  Heartbeats, reconnects and trims, on the monotonic clock

static void
s_handle_timers (self_t *self)
{
    int64_t now = zyn_mono_msecs ();
    if (self->started && now >= self->trim_at) {
        bool more = s_trim (self);
        now = zyn_mono_msecs ();
        self->trim_at = now + (more ? TRIM_AGAIN : self->trim_interval);
    }
    if (self->dealer) {
        //  A busy batch may have kept us from reading the broker's
        //  heartbeats: what waits on the socket counts before expiry
        if (now >= self->expiry_at
            && !(zsock_events (self->dealer) & ZMQ_POLLIN)) {
            s_flush (self);
            s_disconnect (self);
            return;
        }
        if (now >= self->heartbeat_at) {
            zyn_value_t *stats = s_item_stats (self);
            s_send_command (self, ZYN_PROTO_HEARTBEAT, stats);
            zyn_value_destroy (&stats);
            self->heartbeat_at = now + self->heartbeat_interval;
        }
    }
    else
    if (self->started && now >= self->reconnect_at)
        s_connect (self);
}

//  --------------------------------------------------------------------------
//  How long the poller may wait before a timer is due

static int
s_next_timeout (self_t *self)
{
    if (!self->started)
        return -1;
    int64_t now = zyn_mono_msecs ();
    int64_t due = self->dealer
                ? (self->heartbeat_at < self->expiry_at ? self->heartbeat_at
                                                        : self->expiry_at)
                : self->reconnect_at;
    if (self->trim_at < due)
        due = self->trim_at;
    int64_t wait = due - now;
    return wait < 0 ? 0 : wait > 60000 ? 60000 : (int) wait;
}

//  --------------------------------------------------------------------------
//  The actor

void
zyn_worker_actor (zsock_t *pipe, void *args)
{
    (void) args;
    pthread_setname_np (pthread_self (), "zyn-worker");
    self_t *self = s_self_new (pipe);
    zsock_signal (pipe, 0);
    while (!self->terminated) {
        if (self->pipe_due) {
            self->pipe_due = false;
            while (!self->terminated
                   && (zsock_events (self->pipe) & ZMQ_POLLIN))
                s_handle_pipe (self);
            if (self->terminated)
                break;
        }
        //  A finished commit is dealt with after the requests waiting
        //  (the batch ends with s_pump): they join the next commit
        bool local_due = self->local && zyn_local_due (self->local);
        if ((self->dealer_due && self->dealer)
            || (self->front_due && self->front) || local_due)
            s_handle_batch (self);
        else
        if (self->commit_due)
            s_pump (self);
        self->commit_due = false;
        s_handle_timers (self);
        local_due = self->local && zyn_local_due (self->local);
        if ((self->dealer_due && self->dealer)
            || (self->front_due && self->front) || local_due)
            continue;                   //  Sent on: read again first
        //  Every socket was read until empty, so its ZMQ_FD fires on
        //  whatever comes next: one poll of the descriptors, not
        //  zmq_poll's events check of each socket before and after it
        //  (two system calls each); then the local front door's
        size_t want = 4 + (self->local ? zyn_local_pollfd_count (self->local)
                                       : 0);
        if (want > self->item_max) {
            self->item_max = want * 2;
            self->items = (struct pollfd *) realloc (
                self->items, self->item_max * sizeof (struct pollfd));
            assert (self->items);
        }
        struct pollfd *items = self->items;
        zsock_t *sockets [3];
        nfds_t count = 0;
        zsock_t *candidates [3] = { self->pipe, self->dealer, self->front };
        for (int i = 0; i < 3; i++)
            if (candidates [i]) {
                sockets [count] = candidates [i];
                items [count].fd = zsock_fd (candidates [i]);
                items [count].events = POLLIN;
                items [count].revents = 0;
                count++;
            }
        nfds_t zmq_count = count;
        //  The committers' wake-up, while commits are under way
        bool committing = zyn_commit_under_way (self->commit) > 0;
        if (committing) {
            items [count].fd = zyn_commit_fd (self->commit);
            items [count].events = POLLIN;
            items [count].revents = 0;
            count++;
        }
        nfds_t local_at = count;
        if (self->local)
            count += (nfds_t) zyn_local_pollfds (self->local, items + count);
        int rc = poll (items, count, s_next_timeout (self));
        for (nfds_t i = 0; rc > 0 && i < zmq_count; i++)
            if (items [i].revents) {
                if (sockets [i] == self->pipe)
                    self->pipe_due = true;
                else
                if (sockets [i] == self->dealer)
                    self->dealer_due = true;
                else
                    self->front_due = true;
            }
        if (rc > 0 && committing && items [zmq_count].revents)
            self->commit_due = true;
        if (rc > 0 && self->local)
            zyn_local_ready (self->local, items + local_at,
                             count - local_at);
    }
    //  Clean shutdown: what is staged is committed and answered, the
    //  broker hears we are leaving, every LevelDB is closed
    s_flush (self);
    if (self->dealer) {
        zsock_set_linger (self->dealer, 500);
        s_send_command (self, ZYN_PROTO_DISCONNECT, NULL);
    }
    uint64_t hits, misses;
    size_t bytes;
    s_row_cache_stats (self, &hits, &misses, &bytes);
    zsys_info ("zyn_worker: row cache hits=%" PRIu64 " misses=%" PRIu64
               " bytes=%zu", hits, misses, bytes);
    zsys_info ("zyn_worker: stopped id=%s", self->id ? self->id : "-");
    s_self_destroy (&self);
}

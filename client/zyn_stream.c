/*  =========================================================================
    zyn_stream - a table's change stream, exactly once and in order

    The zguide's Clone pattern (docs/streams.md): subscribe to the broker's
    stream hub first (SUB on "s/<table>/"), then learn each partition's
    last sequence number (ZynGetShards), then deliver per partition the
    records checkpoint + 1, + 2, ... taking each from the live feed when it
    is the next one, and from the partition's change log
    (ZynGetStreamRecords) when the live feed shows a gap, when the
    subscriber starts behind, and when a partition has been quiet for a
    while (so a dropped last message is still found). Live records above
    the next expected sequence wait in a bounded buffer; records at or
    below the checkpoint are discarded.

    Everything happens inside zyn_stream_next, on the caller's thread: no
    background actor. Limits: partitions that appear after zyn_stream_new
    (splits) are picked up when a live record names them; their parents
    are not ordered before them.
    =========================================================================
*/

#include "zyn_prelude.h"
#include "zyn_proto.h"
#include "zyn_error.h"

//  docs/streams.md, "Catching up": records asked for per log request
#define STREAM_FETCH_LIMIT 1000
//  docs/streams.md, "Quiet partitions": ask the log after this long
//  without a record from a partition
#define STREAM_QUIET_MSECS 500
//  After a failed log request, wait this long before the next
#define STREAM_RETRY_MSECS 500
//  Live records buffered per partition while a gap is filled
#define STREAM_BUFFER_MAX 10000
//  Time a request to the broker may take, and the least it is given
#define STREAM_CALL_TIMEOUT 3000
#define STREAM_CALL_MIN 500
//  Receive high-water mark of the SUB socket
#define STREAM_HWM 100000

typedef struct {
    uint32_t partition_id;
    uint64_t next_seq;              //  Next sequence to accept
    uint64_t delivered;             //  Last sequence returned by next
    uint64_t end_seq;               //  Highest sequence known to exist
    zhashx_t *buffer;               //  Owned: seq key -> live record
    int64_t checked_at;             //  When the partition last showed news
    int64_t retry_at;               //  No log request before this
    bool checkpoint_set;            //  Set by zyn_stream_set_checkpoint
} s_partition_t;

//  A record accepted in order, waiting to be returned by next
typedef struct {
    s_partition_t *partition;       //  Borrowed
    uint64_t seq;
    zyn_value_t *record;            //  Owned
} s_ready_t;

struct zyn_stream {
    char *table;                    //  Owned
    char *prefix;                   //  Owned, "s/<table>/"
    zyn_client_t *client;           //  Owned, for shards and the log
    zsock_t *sub;                   //  Owned, on the hub's XPUB side
    s_partition_t **partitions;     //  Owned array
    uint32_t partition_count;
    zlist_t *ready;                 //  Owned s_ready_t, in delivery order
    bool started;                   //  First next has run
    bool from_start;                //  Start at sequence 1
};

//  --------------------------------------------------------------------------
//  Buffer keys

static void
s_seq_key (char *buf, uint64_t seq)
{
    snprintf (buf, 17, "%016" PRIx64, seq);
}

//  Destroy every buffered record and empty the buffer. The buffer has no
//  destructor so that a record can leave it without being destroyed.

static void
s_buffer_purge (zhashx_t *buffer)
{
    zyn_value_t *record = (zyn_value_t *) zhashx_first (buffer);
    while (record) {
        zyn_value_destroy (&record);
        record = (zyn_value_t *) zhashx_next (buffer);
    }
    zhashx_purge (buffer);
}

//  --------------------------------------------------------------------------
//  Partition lifecycle

static s_partition_t *
s_partition_new (uint32_t partition_id, uint64_t last_seq)
{
    s_partition_t *self = (s_partition_t *) zmalloc (sizeof (s_partition_t));
    self->partition_id = partition_id;
    self->next_seq = last_seq + 1;
    self->delivered = last_seq;
    self->end_seq = last_seq;
    self->buffer = zhashx_new ();
    self->checked_at = zyn_mono_msecs ();
    return self;
}

static void
s_partition_destroy (s_partition_t **self_p)
{
    s_partition_t *self = *self_p;
    if (self) {
        s_buffer_purge (self->buffer);
        zhashx_destroy (&self->buffer);
        free (self);
        *self_p = NULL;
    }
}

static s_partition_t *
s_partition_find (zyn_stream_t *self, uint32_t partition_id)
{
    for (uint32_t i = 0; i < self->partition_count; i++)
        if (self->partitions [i]->partition_id == partition_id)
            return self->partitions [i];
    return NULL;
}

//  --------------------------------------------------------------------------
//  The hub endpoint as this client can reach it: a wildcard host becomes
//  the broker's host

static char *
s_reachable_endpoint (const char *hub, const char *broker)
{
    const char *host = strstr (hub, "://");
    const char *port = host ? strrchr (host + 3, ':') : NULL;
    if (!host || !port)
        return strdup (hub);
    host += 3;
    size_t host_size = (size_t) (port - host);
    bool wildcard = (host_size == 1 && *host == '*')
                 || (host_size == 7 && strncmp (host, "0.0.0.0", 7) == 0);
    const char *broker_host = strstr (broker, "://");
    const char *broker_port = broker_host ? strrchr (broker_host + 3, ':')
                                          : NULL;
    if (!wildcard || !broker_port)
        return strdup (hub);
    broker_host += 3;
    return zsys_sprintf ("tcp://%.*s%s", (int) (broker_port - broker_host),
                         broker_host, port);
}

//  --------------------------------------------------------------------------
//  Ask the broker for the table's shards and add those we do not know.
//  New partitions found after the start begin at sequence 1. Returns 0 or
//  -1 with err.

static int
s_stream_load_shards (zyn_stream_t *self, bool at_end, zyn_error_t *err)
{
    zyn_value_t *request = zyn_value_new_m ();
    zyn_value_map_put_s (request, "TableName", self->table);
    zyn_value_t *response = zyn_client_call (self->client, "ZynGetShards",
                                             request, err);
    zyn_value_destroy (&request);
    if (!response)
        return -1;
    const zyn_value_t *shards = zyn_value_map_get (response, "Shards");
    if (!shards || zyn_value_type (shards) != ZYN_TYPE_L) {
        zyn_value_destroy (&response);
        return zyn_error_set (err, ZYN_ERR_INTERNAL,
                              "ZynGetShards reply has no Shards list");
    }
    for (size_t i = 0; i < zyn_value_size (shards); i++) {
        const zyn_value_t *shard = zyn_value_list_get (shards, i);
        int64_t partition_id, last_seq = 0;
        if (zyn_value_map_get_int (shard, "PartitionId", &partition_id)
            || partition_id < 0 || partition_id > UINT32_MAX)
            continue;
        if (s_partition_find (self, (uint32_t) partition_id))
            continue;
        zyn_value_map_get_int (shard, "LastSequenceNumber", &last_seq);
        s_partition_t *partition = s_partition_new (
            (uint32_t) partition_id,
            at_end && last_seq > 0 ? (uint64_t) last_seq : 0);
        if (!at_end)
            partition->end_seq = last_seq > 0 ? (uint64_t) last_seq : 0;
        self->partitions = (s_partition_t **) realloc (
            self->partitions,
            (self->partition_count + 1) * sizeof (s_partition_t *));
        assert (self->partitions);
        self->partitions [self->partition_count++] = partition;
    }
    zyn_value_destroy (&response);
    return 0;
}

//  --------------------------------------------------------------------------
//  Subscribe to table's change stream through the broker at endpoint.

zyn_stream_t *
zyn_stream_new (const char *endpoint, const char *table, zyn_error_t *err)
{
    if (!table || !*table) {
        zyn_error_set (err, ZYN_ERR_VALIDATION, "no table name given");
        return NULL;
    }
    zyn_client_t *client = zyn_client_new (endpoint, err);
    if (!client)
        return NULL;
    zyn_client_set_timeout (client, STREAM_CALL_TIMEOUT);
    zyn_value_t *response
        = zyn_client_call (client, "ZynDescribeEndpoints", NULL, err);
    const char *hub = response ? zyn_value_map_get_s (response,
                                                      "StreamEndpoint")
                               : NULL;
    if (!hub) {
        if (response)
            zyn_error_set (err, ZYN_ERR_INTERNAL,
                           "ZynDescribeEndpoints reply has no "
                           "StreamEndpoint");
        zyn_value_destroy (&response);
        zyn_client_destroy (&client);
        return NULL;
    }
    zyn_stream_t *self = (zyn_stream_t *) zmalloc (sizeof (zyn_stream_t));
    self->table = strdup (table);
    self->prefix = zsys_sprintf ("s/%s/", table);
    self->client = client;
    self->ready = zlist_new ();
    //  Subscribe before asking where each partition ends, so no record
    //  committed in between is missed (docs/streams.md, "Start")
    self->sub = zsock_new (ZMQ_SUB);
    assert (self->sub);
    zsock_set_linger (self->sub, 0);
    zsock_set_rcvhwm (self->sub, STREAM_HWM);
    zsock_set_subscribe (self->sub, self->prefix);
    char *hub_endpoint = s_reachable_endpoint (hub, endpoint);
    int rc = zsock_connect (self->sub, "%s", hub_endpoint);
    if (rc)
        zyn_error_set (err, ZYN_ERR_INTERNAL,
                       "cannot connect to stream hub '%s'", hub_endpoint);
    free (hub_endpoint);
    zyn_value_destroy (&response);
    if (rc == 0)
        rc = s_stream_load_shards (self, true, err);
    if (rc) {
        zyn_stream_destroy (&self);
        return NULL;
    }
    return self;
}

//  --------------------------------------------------------------------------
//  Stop the subscription.

void
zyn_stream_destroy (zyn_stream_t **self_p)
{
    assert (self_p);
    zyn_stream_t *self = *self_p;
    if (!self)
        return;
    while (zlist_size (self->ready)) {
        s_ready_t *ready = (s_ready_t *) zlist_pop (self->ready);
        zyn_value_destroy (&ready->record);
        free (ready);
    }
    zlist_destroy (&self->ready);
    for (uint32_t i = 0; i < self->partition_count; i++)
        s_partition_destroy (&self->partitions [i]);
    free (self->partitions);
    zsock_destroy (&self->sub);
    zyn_client_destroy (&self->client);
    free (self->prefix);
    free (self->table);
    free (self);
    *self_p = NULL;
}

//  --------------------------------------------------------------------------
//  Forget what is queued for partition (its position changed)

static void
s_stream_purge (zyn_stream_t *self, s_partition_t *partition)
{
    s_ready_t *ready = (s_ready_t *) zlist_first (self->ready);
    while (ready) {
        s_ready_t *next = (s_ready_t *) zlist_next (self->ready);
        if (ready->partition == partition) {
            zlist_remove (self->ready, ready);
            zyn_value_destroy (&ready->record);
            free (ready);
        }
        ready = next;
    }
    s_buffer_purge (partition->buffer);
}

//  --------------------------------------------------------------------------
//  Resume partition after sequence number seq.

void
zyn_stream_set_checkpoint (zyn_stream_t *self, uint32_t partition_id,
                           uint64_t seq)
{
    assert (self);
    s_partition_t *partition = s_partition_find (self, partition_id);
    if (!partition) {
        //  A partition we have not seen yet: remember where it resumes
        partition = s_partition_new (partition_id, seq);
        self->partitions = (s_partition_t **) realloc (
            self->partitions,
            (self->partition_count + 1) * sizeof (s_partition_t *));
        assert (self->partitions);
        self->partitions [self->partition_count++] = partition;
    }
    s_stream_purge (self, partition);
    uint64_t end_seq = partition->end_seq;
    partition->next_seq = seq + 1;
    partition->delivered = seq;
    partition->end_seq = end_seq > seq ? end_seq : seq;
    partition->checkpoint_set = true;
    partition->checked_at = 0;          //  Ask the log at once
}

//  --------------------------------------------------------------------------
//  Start every partition at its beginning.

void
zyn_stream_set_from_start (zyn_stream_t *self)
{
    assert (self);
    self->from_start = true;
}

//  --------------------------------------------------------------------------
//  The last sequence number delivered for partition (0 if none).

uint64_t
zyn_stream_checkpoint (zyn_stream_t *self, uint32_t partition_id)
{
    assert (self);
    s_partition_t *partition = s_partition_find (self, partition_id);
    return partition ? partition->delivered : 0;
}

//  --------------------------------------------------------------------------
//  The number of partitions (shards) of the table.

uint32_t
zyn_stream_partitions (zyn_stream_t *self)
{
    assert (self);
    return self->partition_count;
}

//  --------------------------------------------------------------------------
//  Queue record as partition's next, then any buffered records that now
//  follow it. Takes ownership of *record_p.

static void
s_stream_accept (zyn_stream_t *self, s_partition_t *partition,
                 zyn_value_t **record_p)
{
    while (*record_p) {
        s_ready_t *ready = (s_ready_t *) zmalloc (sizeof (s_ready_t));
        ready->partition = partition;
        ready->seq = partition->next_seq;
        ready->record = *record_p;
        *record_p = NULL;
        zlist_append (self->ready, ready);
        if (partition->end_seq < partition->next_seq)
            partition->end_seq = partition->next_seq;
        partition->next_seq++;
        char key [17];
        s_seq_key (key, partition->next_seq);
        zyn_value_t *buffered
            = (zyn_value_t *) zhashx_lookup (partition->buffer, key);
        if (buffered) {
            zhashx_delete (partition->buffer, key);
            *record_p = buffered;
        }
    }
}

//  --------------------------------------------------------------------------
//  Read partition's log from its next sequence: one request of up to
//  STREAM_FETCH_LIMIT records. Returns 0, or -1 with err.

static int
s_stream_fetch (zyn_stream_t *self, s_partition_t *partition,
                zyn_error_t *err)
{
    partition->checked_at = zyn_mono_msecs ();
    zyn_value_t *request = zyn_value_new_m ();
    zyn_value_map_put_s (request, "TableName", self->table);
    zyn_value_map_put_int (request, "PartitionId",
                           (int64_t) partition->partition_id);
    zyn_value_map_put_int (request, "StartSequenceNumber",
                           (int64_t) partition->next_seq);
    zyn_value_map_put_int (request, "Limit", STREAM_FETCH_LIMIT);
    zyn_value_t *response = zyn_client_call (
        self->client, "ZynGetStreamRecords", request, err);
    zyn_value_destroy (&request);
    if (!response)
        return -1;
    int64_t last_seq = 0;
    if (zyn_value_map_get_int (response, "LastSequenceNumber", &last_seq)
            == 0
        && last_seq > 0 && (uint64_t) last_seq > partition->end_seq)
        partition->end_seq = (uint64_t) last_seq;
    zyn_value_t *records = zyn_value_map_get (response, "Records");
    size_t count = records && zyn_value_type (records) == ZYN_TYPE_L
                     ? zyn_value_size (records) : 0;
    for (size_t i = 0; i < count; i++) {
        zyn_value_t *record = zyn_value_list_get (records, i);
        int64_t seq;
        if (zyn_value_map_get_int (record, "SequenceNumber", &seq) || seq < 1
            || (uint64_t) seq < partition->next_seq)
            continue;
        if ((uint64_t) seq > partition->next_seq) {
            //  The log no longer holds what we wanted (trimmed by the
            //  retention window): continue from what it has
            zsys_warning ("zyn_stream: records trimmed table=%s "
                          "partition=%" PRIu32 " from=%" PRIu64
                          " to=%" PRId64,
                          self->table, partition->partition_id,
                          partition->next_seq, seq - 1);
            partition->next_seq = (uint64_t) seq;
        }
        zyn_value_t *copy = zyn_value_dup (record);
        char key [17];
        s_seq_key (key, partition->next_seq);
        zyn_value_t *buffered
            = (zyn_value_t *) zhashx_lookup (partition->buffer, key);
        if (buffered) {
            zhashx_delete (partition->buffer, key);
            zyn_value_destroy (&buffered);
        }
        s_stream_accept (self, partition, &copy);
    }
    zyn_value_destroy (&response);
    return 0;
}

//  --------------------------------------------------------------------------
//  Handle one message from the live feed: topic | seq | record

static void
s_stream_handle_live (zyn_stream_t *self, zmsg_t *msg)
{
    zframe_t *topic = zmsg_first (msg);
    zframe_t *seq_frame = zmsg_next (msg);
    zframe_t *body = zmsg_next (msg);
    size_t prefix_size = strlen (self->prefix);
    if (zmsg_size (msg) != 3 || zframe_size (seq_frame) != 8
        || zframe_size (topic) <= prefix_size
        || zframe_size (topic) > prefix_size + 11
        || memcmp (zframe_data (topic), self->prefix, prefix_size) != 0)
        return;                         //  Not ours, or malformed
    char digits [12] = { 0 };
    memcpy (digits, zframe_data (topic) + prefix_size,
            zframe_size (topic) - prefix_size);
    char *end;
    unsigned long partition_id = strtoul (digits, &end, 10);
    if (end == digits || *end != '/' || partition_id > UINT32_MAX)
        return;
    uint64_t seq = zyn_get_u64 (zframe_data (seq_frame));
    s_partition_t *partition = s_partition_find (self,
                                                 (uint32_t) partition_id);
    if (!partition) {
        //  A partition born after we started (a split): learn it
        if (s_stream_load_shards (self, false, NULL) == 0)
            partition = s_partition_find (self, (uint32_t) partition_id);
        if (!partition)
            return;
    }
    //  docs/streams.md, "Live records"
    if (seq < partition->next_seq)
        return;
    partition->checked_at = zyn_mono_msecs ();
    if (seq > partition->end_seq)
        partition->end_seq = seq;
    zyn_value_t *record = zyn_value_decode (zframe_data (body),
                                            zframe_size (body), NULL);
    if (!record)
        return;                         //  The log still has it
    if (seq == partition->next_seq)
        s_stream_accept (self, partition, &record);
    else
    if (zhashx_size (partition->buffer) < STREAM_BUFFER_MAX) {
        char key [17];
        s_seq_key (key, seq);
        if (zhashx_insert (partition->buffer, key, record))
            zyn_value_destroy (&record);
    }
    else
        zyn_value_destroy (&record);    //  The log still has it
}

//  --------------------------------------------------------------------------
//  The first next: apply from_start to partitions without a checkpoint

static void
s_stream_start (zyn_stream_t *self)
{
    self->started = true;
    if (!self->from_start)
        return;
    for (uint32_t i = 0; i < self->partition_count; i++) {
        s_partition_t *partition = self->partitions [i];
        if (!partition->checkpoint_set) {
            partition->next_seq = 1;
            partition->delivered = 0;
            partition->checked_at = 0;
        }
    }
}

//  --------------------------------------------------------------------------
//  Ask the log for every partition that is behind or has been quiet.
//  Returns 0, or -1 with err on an error a retry cannot cure.

static int
s_stream_catch_up (zyn_stream_t *self, int64_t deadline, zyn_error_t *err)
{
    int64_t now = zyn_mono_msecs ();
    //  A log request may overrun the caller's timeout a little, never by
    //  a full call timeout
    int64_t call_timeout = deadline - now;
    if (call_timeout < STREAM_CALL_MIN)
        call_timeout = STREAM_CALL_MIN;
    if (call_timeout > STREAM_CALL_TIMEOUT)
        call_timeout = STREAM_CALL_TIMEOUT;
    zyn_client_set_timeout (self->client, (int) call_timeout);
    for (uint32_t i = 0; i < self->partition_count; i++) {
        s_partition_t *partition = self->partitions [i];
        bool behind = partition->end_seq >= partition->next_seq;
        bool quiet = now - partition->checked_at >= STREAM_QUIET_MSECS;
        if ((!behind && !quiet) || now < partition->retry_at)
            continue;
        zyn_error_t fetch_err = { 0 };
        if (s_stream_fetch (self, partition, &fetch_err)) {
            if (!zyn_error_is_retryable (fetch_err.type)) {
                if (err)
                    *err = fetch_err;
                return -1;
            }
            partition->retry_at = zyn_mono_msecs () + STREAM_RETRY_MSECS;
        }
        if (zlist_size (self->ready))
            break;                      //  Deliver before reading more
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Milliseconds until some partition should be asked again

static int64_t
s_stream_next_check (zyn_stream_t *self, int64_t now)
{
    int64_t next = now + STREAM_QUIET_MSECS;
    for (uint32_t i = 0; i < self->partition_count; i++) {
        s_partition_t *partition = self->partitions [i];
        int64_t due = partition->checked_at + STREAM_QUIET_MSECS;
        if (partition->end_seq >= partition->next_seq)
            due = partition->retry_at;
        if (due < partition->retry_at)
            due = partition->retry_at;
        if (due < next)
            next = due;
    }
    return next;
}

//  --------------------------------------------------------------------------
//  The next change record, waiting at most timeout_ms. Returns the record
//  map (caller owns it), or NULL: on timeout with err untouched, on
//  failure with err filled.

zyn_value_t *
zyn_stream_next (zyn_stream_t *self, int timeout_ms, zyn_error_t *err)
{
    assert (self);
    if (!self->started)
        s_stream_start (self);
    int64_t deadline = zyn_mono_msecs () + (timeout_ms < 0 ? 0 : timeout_ms);
    while (true) {
        s_ready_t *ready = (s_ready_t *) zlist_pop (self->ready);
        if (ready) {
            zyn_value_t *record = ready->record;
            ready->partition->delivered = ready->seq;
            free (ready);
            return record;
        }
        if (s_stream_catch_up (self, timeout_ms < 0 ? INT64_MAX : deadline,
                               err))
            return NULL;
        if (zlist_size (self->ready))
            continue;
        int64_t now = zyn_mono_msecs ();
        if (timeout_ms >= 0 && now >= deadline)
            return NULL;
        int64_t until = s_stream_next_check (self, now);
        if (timeout_ms >= 0 && until > deadline)
            until = deadline;
        long wait = until > now ? (long) (until - now) : 0;
        zmq_pollitem_t item = { zsock_resolve (self->sub), 0, ZMQ_POLLIN, 0 };
        int rc = zmq_poll (&item, 1, wait);
        if (rc < 0 && errno != EINTR)
            return NULL;
        //  Drain what has arrived, then deliver
        while (rc > 0) {
            zmsg_t *msg = zmsg_recv (self->sub);
            if (!msg)
                break;
            s_stream_handle_live (self, msg);
            zmsg_destroy (&msg);
            rc = zmq_poll (&item, 1, 0);
        }
    }
}

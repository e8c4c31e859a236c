/*  =========================================================================
    zyn_worker - the worker: hosts partitions, executes requests with
    group commit, publishes committed change records

    A CZMQ actor. It connects a DEALER to the broker's back door, says
    READY with the partitions it has on disk, and follows the broker's
    WELCOME, ASSIGN, DROP and REQUEST commands (docs/protocol.md).
    Heartbeats go both ways; when the broker falls silent for
    HeartbeatLiveness intervals the worker reconnects with exponential
    back-off (1 s .. 32 s) and says READY again (the zguide's Paranoid
    Pirate).

    Requests are executed in arrival order in batches of up to
    ZYN_WORKER_BATCH_MAX: every request already waiting is executed
    against the partitions' staged writes, then each touched partition
    writes one WriteBatch with fsync, and only then are the replies sent
    and the change records published on a PUB socket connected to the
    broker's stream hub.

    Commands on the actor pipe:

        START id data-dir broker-endpoint
            Open (create) the data directory, open the partitions found
            there and connect to the broker. Replies "OK", or "ERROR" and
            a one-line message.
        FRONT bind-endpoint [announce-endpoint]
            Before START: bind a ROUTER front door at bind-endpoint for
            the direct path (clients send item requests straight to the
            worker, docs/protocol.md) and announce it to the broker in
            READY as announce-endpoint, or as the endpoint bound. Replies
            "OK" and the announced endpoint, or "ERROR" and a message.
        LOCAL bind-endpoint
            After FRONT, before START: the front door also binds
            bind-endpoint (an ipc:// endpoint; empty: the abstract socket
            ipc://@zynamo-FRONTID), announced in READY with this host's
            id, so clients on the same host reach it without TCP. Replies
            "OK" and the endpoint, or "ERROR" and a message.
        VERBOSE
            Log every request at debug level.
        BACKOFF min-msecs max-msecs
            Reconnect back-off bounds (default 1000 and 32000).
        RETENTION retention-msecs interval-msecs
            Keep change records retention-msecs (default a day, as
            DynamoDB Streams does) and trim the change logs every
            interval-msecs (default a minute), the first time now.
        ROWCACHE bytes
            Bound the row caches of all partitions together to bytes
            (default ZYN_WORKER_ROW_CACHE; 0 turns them off), split
            evenly among the partitions, at least 1 MB each.
        WRITEBUFFER bytes
            The LevelDB memtable of each partition opened from now on
            (default ZYN_PARTITION_WRITE_BUFFER). Send it before START.
        STATS
            Replies seven decimal strings: the partition commits (fsync'd
            WriteBatches) so far, the requests executed, the change
            records published, the change records trimmed, the row
            caches' hits and misses, and the bytes they hold.
        $TERM
            Commit what is staged, reply, say DISCONNECT, close every
            partition and end.
    =========================================================================
*/

#ifndef ZYN_WORKER_H_INCLUDED
#define ZYN_WORKER_H_INCLUDED

#include "zynamo.h"

//  The row caches' bound for all partitions together, in bytes
#define ZYN_WORKER_ROW_CACHE (128 * 1024 * 1024)

//  Most requests executed before one group commit
#define ZYN_WORKER_BATCH_MAX 512

//  The worker actor; create it with zactor_new (zyn_worker_actor, NULL)
void
    zyn_worker_actor (zsock_t *pipe, void *args);

#endif

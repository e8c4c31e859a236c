/*  =========================================================================
    zyn_broker_self - the broker actor's state, shared by its two halves:
    zyn_broker.c (sockets, workers, requests in flight) and
    zyn_broker_ops.c (the operations)

    Private to the broker: one thread owns all of it.
    =========================================================================
*/

#ifndef ZYN_BROKER_SELF_H_INCLUDED
#define ZYN_BROKER_SELF_H_INCLUDED

#include "zynamo.h"
#include "zyn_catalog.h"
#include "zyn_scatter.h"

//  A worker, known by its stable WorkerId
typedef struct {
    char *id;                       //  Owned
    zframe_t *address;              //  Owned, routing identity on back
    char *address_key;              //  Owned, hex of address
    char *endpoint;                 //  Owned, its front door, or NULL
    char *front_id;                 //  Owned, the front door's routing id
    char *local_endpoint;           //  Owned, its front door for clients
                                    //  on its machine, or NULL
    char *host_id;                  //  Owned, its machine, or NULL
    bool live;
    int64_t expiry;                 //  Monotonic ms
} worker_t;

//  Kinds of gathers
typedef enum {
    ZYN_GATHER_SCAN = 1,
    ZYN_GATHER_SHARDS,
    ZYN_GATHER_BATCH,
    ZYN_GATHER_INDEX                //  Query on a global secondary index
} gather_kind_t;

//  A client request the broker answers from several worker replies
typedef struct {
    uint64_t id;
    gather_kind_t kind;
    zframe_t *client;               //  Owned, client address
    uint64_t request_id;            //  The client's request id
    uint64_t table_id;
    zyn_scan_t *scan;               //  Owned, ZYN_GATHER_SCAN
    zyn_value_t *response;          //  Owned, ZYN_GATHER_SHARDS being built
    size_t outstanding;             //  ZYN_GATHER_SHARDS replies awaited
    zyn_batch_t *batch;             //  Owned, ZYN_GATHER_BATCH
    char *index_name;               //  Owned, the global secondary index
                                    //  read (Query or Scan), else NULL
    uint64_t base_id;               //  Its base table
} gather_t;

//  A request forwarded to a worker and not yet answered
typedef struct {
    char *key;                      //  Owned, "<client hex>/<request id>"
    char *worker_id;                //  Owned
    zframe_t *client;               //  Owned, empty for broker-made
    uint64_t request_id;
    uint64_t gather_id;             //  0 if relayed to the client as is
    size_t slot;                    //  Which part of the gather
    int64_t deadline;               //  Monotonic ms; failed after it
    bool mutation;                  //  May have been applied unanswered
} pending_t;

typedef struct {
    zsock_t *pipe;                  //  Actor pipe
    zsock_t *front;                 //  Owned, ROUTER for clients
    zsock_t *back;                  //  Owned, ROUTER for workers
    zsock_t *hub_sub;               //  Owned, XSUB for workers' PUB
    zsock_t *hub_pub;               //  Owned, XPUB for subscribers
    zpoller_t *poller;              //  Owned
    zyn_catalog_t *catalog;         //  Owned
    char *region;                   //  Owned
    char *endpoint [4];             //  Owned, bound endpoints by kind
    uint32_t partitions;
    int heartbeat_msecs;
    int heartbeat_liveness;
    int request_timeout_msecs;      //  Longest wait for a worker's reply
    zhashx_t *workers;              //  Owned, id -> worker_t
    zhashx_t *addresses;            //  Owned, address hex -> worker_t
    zhashx_t *pending;              //  Owned, key -> pending_t
    zhashx_t *gathers;              //  Owned, id text -> gather_t
    uint64_t next_request_id;       //  For broker-made requests
    uint64_t next_gather_id;
    int64_t next_heartbeat;         //  Monotonic ms
    bool verbose;
    bool terminated;
} self_t;

//  A client request being handled
typedef struct {
    zframe_t *address;              //  Borrowed, client address
    uint64_t request_id;
    const char *operation;          //  Borrowed
    zframe_t *body_frame;           //  Owned by the caller, the body as
                                    //  received; a handler may take it
    zyn_value_t *body;              //  Borrowed, decoded body
} request_t;

//  Replies to clients. Send status and body (taken; NULL sends {}).
void
    zyn_broker_reply_frames (self_t *self, zframe_t *client,
                             uint64_t request_id, const char *status,
                             zframe_t **body_p);
void
    zyn_broker_reply_error (self_t *self, zframe_t *client,
                            uint64_t request_id, const zyn_error_t *err);
//  Reply OK with value as the body. Takes ownership of *value_p.
void
    zyn_broker_reply_value (self_t *self, zframe_t *client,
                            uint64_t request_id, zyn_value_t **value_p);
void
    zyn_broker_reply_unavailable (self_t *self, zframe_t *client,
                                  uint64_t request_id, zyn_table_t *table,
                                  uint32_t partition_id);

//  Commands to a worker; body may be NULL
void
    zyn_broker_send_worker (self_t *self, worker_t *worker,
                            const char *command, const zyn_value_t *body);
void
    zyn_broker_send_assign (self_t *self, worker_t *worker, zyn_table_t *table,
                            zyn_partition_info_t *partition);
void
    zyn_broker_send_drop (self_t *self, worker_t *worker, uint64_t table_id,
                          uint32_t partition_id);
//  ASSIGN every partition of table to its live worker
void
    zyn_broker_assign_table (self_t *self, zyn_table_t *table);

//  The live worker a partition is assigned to, or NULL. Borrowed.
worker_t *
    zyn_broker_partition_worker (self_t *self,
                                 zyn_partition_info_t *partition);

//  Forward a request to partition's worker and remember it until the
//  worker answers (or is gone). Takes ownership of *body_p. Returns 0, or
//  -1 if the partition has no live worker (nothing is sent).
int
    zyn_broker_forward (self_t *self, zframe_t *client, uint64_t request_id,
                        const char *operation, zyn_table_t *table,
                        zyn_partition_info_t *partition, zframe_t **body_p,
                        uint64_t gather_id, size_t slot);

//  Table state changes once every partition is ASSIGNED / DROPPED.
//  check_dropped returns true if the table was removed.
void
    zyn_broker_table_check_active (self_t *self, zyn_table_t *table);
bool
    zyn_broker_table_check_dropped (self_t *self, zyn_table_t *table);

//  Gathers (zyn_broker_ops.c)
gather_t *
    zyn_broker_gather_new (self_t *self, gather_kind_t kind,
                           request_t *request, uint64_t table_id);
void
    zyn_broker_gather_remove (self_t *self, gather_t *gather);
gather_t *
    zyn_broker_gather_lookup (self_t *self, uint64_t gather_id);
//  A worker's reply (or a failure standing in for one) to part slot of
//  gather; body may be NULL
void
    zyn_broker_gather_reply (self_t *self, gather_t *gather, size_t slot,
                             const char *status, zframe_t *body);
//  Next step of a Scan walk, or its answer (zyn_broker_ops.c)
void
    zyn_broker_scan_step (self_t *self, gather_t *gather);
//  Ids of the live workers, sorted, NULL-terminated; the caller frees the
//  array, the strings are borrowed
const char **
    zyn_broker_live_workers (self_t *self);

//  Global secondary indexes (zyn_broker_gsi.c)
typedef void (zyn_broker_handler_fn) (self_t *self, request_t *request);
//  The handler of a native or table operation of the module, or NULL
zyn_broker_handler_fn *
    zyn_broker_gsi_handler (const char *operation);
//  Create (delete) the hidden tables of a table's indexes
void
    zyn_broker_gsi_table_created (self_t *self, zyn_table_t *table);
void
    zyn_broker_gsi_table_deleting (self_t *self, zyn_table_t *table);
//  Set each index's IndexStatus for DescribeTable
void
    zyn_broker_gsi_refresh (self_t *self, zyn_table_t *table);
//  Answer a Query or Scan whose IndexName is a global secondary index of
//  table; returns false (nothing done) if it names none
bool
    zyn_broker_gsi_read (self_t *self, request_t *request,
                         zyn_table_t *table);
//  Relay an index read's reply, rewritten. Takes ownership of *body_p.
void
    zyn_broker_gsi_reply (self_t *self, gather_t *gather, const char *status,
                          zframe_t **body_p);

//  Operations (zyn_broker_ops.c)
bool
    zyn_broker_is_operation (const char *operation);
void
    zyn_broker_dispatch (self_t *self, request_t *request);

#endif

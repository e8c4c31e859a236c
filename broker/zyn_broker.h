/*  =========================================================================
    zyn_broker - the broker actor: client front door, worker back door,
    catalog, routing, scatter/gather and the stream hub

    Sockets (docs/protocol.md, "Architecture"):
        front    ROUTER, clients' DEALERs connect; REQUEST / REPLY
        back     ROUTER, workers' DEALERs connect; READY, HEARTBEAT, ASSIGN,
                 REQUEST, REPLY, ...
        hub-sub  XSUB, workers' PUB sockets connect
        hub-pub  XPUB, stream subscribers connect
    The hub is proxied inside the actor's own poll loop.

    Commands on the pipe:
        BIND kind endpoint   kind is FRONT, BACK, HUB-PUB or HUB-SUB; replies
                             with the connectable endpoint actually bound
                             ("tcp://127.0.0.1:PORT"), or "" on failure
        ENDPOINT kind        replies with the bound endpoint, or ""
        VERBOSE              log every request at debug level
        $TERM                end the actor
    =========================================================================
*/

#ifndef ZYN_BROKER_H_INCLUDED
#define ZYN_BROKER_H_INCLUDED

#include "zynamo.h"

//  Settings of one broker
typedef struct {
    const char *data_dir;       //  Catalog goes in <data_dir>/broker/
    uint32_t partitions;        //  Partitions of a new table (default 4)
    int heartbeat_msecs;        //  Heartbeat interval (default 1000)
    int heartbeat_liveness;     //  Intervals of silence before expiry (3)
    int request_timeout_msecs;  //  Longest wait for a worker's reply
                                //  before ServiceUnavailable (30000)
    const char *region;         //  For ARNs (default "us-east-1")
    bool verbose;
} zyn_broker_config_t;

//  Open the catalog under config's data directory and start the broker
//  actor. Returns the actor (caller owns it: zactor_destroy stops it), or
//  NULL with err if the catalog cannot be opened. Then BIND its sockets.
zactor_t *
    zyn_broker_new (const zyn_broker_config_t *config, zyn_error_t *err);

//  The actor function (zactor_new (zyn_broker_actor, args)); args are
//  made by zyn_broker_new.
void
    zyn_broker_actor (zsock_t *pipe, void *args);

//  Ask a running broker actor to bind kind ("FRONT", "BACK", "HUB-PUB",
//  "HUB-SUB") to endpoint. Returns the connectable endpoint bound (caller
//  frees it), or NULL if the bind failed.
char *
    zyn_broker_bind (zactor_t *broker, const char *kind, const char *endpoint);

#endif

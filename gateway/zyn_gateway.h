/*  =========================================================================
    zyn_gateway - the DynamoDB-compatible HTTP server

    Serves DynamoDB's JSON protocol (POST / with X-Amz-Target) and DynamoDB
    Streams' over HTTP/1.1 with keep-alive. Each of its event loops (one
    thread each, --threads) runs an HTTP server (zyn_http) and a
    zyn_dispatch pipeline to the cluster: a request is parsed,
    authenticated (SigV4, unless open), validated (zyn_optable) and, for
    cluster operations, sent from the same thread; the HTTP connection
    waits meanwhile, so many requests from many clients are in flight at
    once without a thread each. Responses carry
    x-amzn-RequestId and x-amz-crc32 as DynamoDB's do.
    =========================================================================
*/

#ifndef ZYN_GATEWAY_H_INCLUDED
#define ZYN_GATEWAY_H_INCLUDED

#include "zynamo.h"

typedef struct zyn_gateway zyn_gateway_t;

typedef struct {
    const char *http;                   //  "HOST:PORT" to listen on; port
                                        //  0 = ephemeral
    const char *broker;                 //  Broker front door endpoint
    const char *region;                 //  For ARNs and stream records
    const char *credentials;            //  Key file for --auth, or NULL
    bool auth;                          //  Verify SigV4 (else open mode)
    int threads;                        //  Event loops (0: 1)
    int timeout_ms;                     //  Broker call timeout (0: 10 s)
    bool verbose;
} zyn_gateway_config_t;

//  Start a gateway: bind the HTTP port and connect to the broker. Returns
//  NULL with err if the address cannot be bound or the credentials file
//  is unusable.
zyn_gateway_t *
    zyn_gateway_new (const zyn_gateway_config_t *config, zyn_error_t *err);

//  Stop serving: requests in flight get ServiceUnavailable, connections
//  close. Sets *self_p to NULL.
void
    zyn_gateway_destroy (zyn_gateway_t **self_p);

//  The TCP port the gateway listens on.
int
    zyn_gateway_port (zyn_gateway_t *self);

//  CRC32 (IEEE 802.3, as zlib's crc32 and botocore's x-amz-crc32 check).
uint32_t
    zyn_gateway_crc32 (const void *data, size_t size);

//  Write a random (version 4) UUID, 36 characters and a NUL, into buf.
void
    zyn_gateway_uuid (char *buf);

#endif

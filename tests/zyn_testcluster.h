/*  =========================================================================
    zyn_testcluster - a real zynamo cluster for end-to-end tests

    Starts the real binaries (zynamo-broker and N zynamo-worker, optionally
    zynamo-gateway) as child processes with a temporary data directory under
    tests/tmp/ and ephemeral ports on 127.0.0.1, and stops, kills and
    restarts them on request. Each child logs to <dir>/<name>.log, which is
    printed when the child ends unexpectedly or when ZYN_E2E_LOGS is set.
    =========================================================================
*/

#ifndef ZYN_TESTCLUSTER_H_INCLUDED
#define ZYN_TESTCLUSTER_H_INCLUDED

#include "zynamo.h"

typedef struct zyn_testcluster zyn_testcluster_t;

//  Start a broker and workers worker processes, and wait until every
//  worker has registered. Aborts the test on failure.
zyn_testcluster_t *
    zyn_testcluster_new (const char *name, int workers);

//  Stop every child with SIGTERM and check that each exits 0; remove the
//  data directory. Sets *self_p to NULL.
void
    zyn_testcluster_destroy (zyn_testcluster_t **self_p);

//  The broker's front door endpoint ("tcp://127.0.0.1:PORT"). Borrowed.
const char *
    zyn_testcluster_endpoint (zyn_testcluster_t *self);

//  The data directory. Borrowed.
const char *
    zyn_testcluster_dir (zyn_testcluster_t *self);

//  Send signal to worker index (0-based) and wait for it to end. With
//  SIGTERM, asserts a clean exit 0.
void
    zyn_testcluster_stop_worker (zyn_testcluster_t *self, int index,
                                 int signal);

//  Start worker index again (same id, same data) and wait until it has
//  registered again.
void
    zyn_testcluster_start_worker (zyn_testcluster_t *self, int index);

//  Stop the broker with SIGTERM (asserting exit 0) and start it again on
//  the same ports and data; waits until the workers have registered.
void
    zyn_testcluster_restart_broker (zyn_testcluster_t *self);

//  Start zynamo-indexer for the cluster (data under <dir>/indexer). Use
//  again after zyn_testcluster_stop_indexer to restart it on its data.
void
    zyn_testcluster_start_indexer (zyn_testcluster_t *self);

//  Send signal to the indexer and wait for it to end. With SIGTERM,
//  asserts a clean exit 0. destroy stops a running indexer.
void
    zyn_testcluster_stop_indexer (zyn_testcluster_t *self, int signal);

//  Wait until the broker reports workers live workers, at most timeout_ms.
//  Returns 0 or -1.
int
    zyn_testcluster_wait_workers (zyn_testcluster_t *self, int workers,
                                  int timeout_ms);

//  A client of the cluster's broker front door, with a 10 s timeout.
//  Aborts the test on failure.
zyn_client_t *
    zyn_testcluster_client (zyn_testcluster_t *self);

//  Call operation with a request in DynamoDB JSON (zyn_json_to_request;
//  a bad test request aborts the test). Returns the reply (caller
//  destroys it), or NULL with err filled.
zyn_value_t *
    zyn_testcluster_call (zyn_client_t *client, const char *operation,
                          const char *json, zyn_error_t *err);

//  The same, asserting that it succeeds; returns the reply (caller
//  destroys it).
zyn_value_t *
    zyn_testcluster_ok (zyn_client_t *client, const char *operation,
                        const char *json);

//  The same, asserting that it fails with type and, unless message is
//  NULL, exactly message.
void
    zyn_testcluster_fails (zyn_client_t *client, const char *operation,
                           const char *json, zyn_errtype_t type,
                           const char *message);

#endif

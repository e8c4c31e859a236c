/*  =========================================================================
    zyn_bench_http - a minimal keep-alive HTTP/1.1 client for DynamoDB's
    JSON API, with AWS Signature Version 4

    One connection per object, one request at a time (no pipelining:
    DynamoDB endpoints answer in order but few accept pipelined requests).
    A request is sent, then its response read, waiting or not, so one
    thread can keep many connections busy by polling their sockets.
    Requests are POST / with DynamoDB's headers and a SigV4 Authorization
    header signed with HMAC-SHA256 (libsodium). Responses are read with
    Content-Length or chunked transfer coding. The connection is opened
    on first use and reopened once if the server closed it between
    requests. Buffers grow to the largest message and are then reused, so
    a steady load allocates nothing. Known limits: no TLS, no proxies, no
    100-continue, IPv4 and IPv6 by name lookup only at set-up.
    =========================================================================
*/

#ifndef ZYN_BENCH_HTTP_H_INCLUDED
#define ZYN_BENCH_HTTP_H_INCLUDED

#include "zynamo.h"

typedef struct _zyn_bench_http_t zyn_bench_http_t;

//  Create a client for endpoint ("http://host:port"), signing for region
//  with the access key and secret. Returns NULL and fills err if the
//  endpoint is not an http URL or the host cannot be resolved.
zyn_bench_http_t *
    zyn_bench_http_new (const char *endpoint, const char *region,
                        const char *access_key, const char *secret_key,
                        zyn_error_t *err);

//  Close the connection and free the client. Sets *self_p to NULL.
void
    zyn_bench_http_destroy (zyn_bench_http_t **self_p);

//  POST a DynamoDB request: operation is "GetItem" (sent as X-Amz-Target
//  DynamoDB_20120810.GetItem), body its JSON. Returns the HTTP status,
//  with the response body in *response (borrowed, valid until the next
//  call, NUL-terminated) and its size in *response_size; or -1 with err
//  filled on a connection failure.
int
    zyn_bench_http_post (zyn_bench_http_t *self, const char *operation,
                         const char *body, size_t size,
                         const char **response, size_t *response_size,
                         zyn_error_t *err);

//  Send a DynamoDB request as zyn_bench_http_post does, connecting if
//  needed, without reading the response. Returns 0, or -1 with err
//  filled.
int
    zyn_bench_http_send (zyn_bench_http_t *self, const char *operation,
                         const char *body, size_t size, zyn_error_t *err);

//  Read the response to the request sent. If wait, blocks until it is
//  whole; else reads what has come and returns 0 if that is not all of
//  it. Returns the HTTP status once it is whole, with the body as for
//  zyn_bench_http_post, or -1 with err filled. If the server had closed
//  the kept-alive connection, the request is sent once more on a new
//  one (whose socket zyn_bench_http_fd then returns).
int
    zyn_bench_http_receive (zyn_bench_http_t *self, bool wait,
                            const char **response, size_t *response_size,
                            zyn_error_t *err);

//  Close the connection, dropping a request in flight on it and any
//  answer still to come; the next send connects again.
void
    zyn_bench_http_close (zyn_bench_http_t *self);

//  The connection's socket, for polling; -1 when not connected. If
//  connection is not NULL, sets it to the number of connections made so
//  far, which tells a new socket from a closed one that had the same
//  number.
int
    zyn_bench_http_fd (zyn_bench_http_t *self, uint64_t *connection);

//  A SigV4 signing key, kept for the day, region, service and secret it
//  was derived from, as the AWS SDKs keep it: deriving it is four of the
//  seven SHA-256 digests a signature takes. Zero it before first use.
typedef struct {
    char scope [256];               //  What it was derived from, or ""
    uint8_t key [32];
} zyn_bench_sigv4_key_t;

//  The Authorization header value of AWS Signature Version 4 for one
//  request. header_names must be lower-case and sorted, with their values
//  trimmed; they are all signed. amz_date is "YYYYMMDDTHHMMSSZ". cache,
//  if not NULL, keeps the signing key between calls. Writes into
//  authorization (size bytes). Returns 0, or -1 if it does not fit.
int
    zyn_bench_sigv4 (char *authorization, size_t size, const char *method,
                     const char *path, const char *const *header_names,
                     const char *const *header_values, int header_count,
                     const void *payload, size_t payload_size,
                     const char *access_key, const char *secret_key,
                     const char *region, const char *service,
                     const char *amz_date, zyn_bench_sigv4_key_t *cache);

//  Format a whole DynamoDB request (headers and body) into buffer (size
//  bytes): POST / HTTP/1.1 with Host, Content-Type, X-Amz-Date,
//  X-Amz-Target, Authorization and Content-Length; cache as for
//  zyn_bench_sigv4. Returns the length, or -1 if it does not fit.
int
    zyn_bench_http_format (char *buffer, size_t size, const char *host,
                           const char *operation, const char *body,
                           size_t body_size, const char *access_key,
                           const char *secret_key, const char *region,
                           const char *amz_date,
                           zyn_bench_sigv4_key_t *cache);

//  Parse one HTTP response at the start of data (size bytes). Returns 0
//  if it is not complete yet, -1 if it is malformed, else the number of
//  bytes it takes, with the status in *status and the body's offset and
//  size in *body_offset, *body_size. A chunked body is decoded in place
//  (so data is modified). *close is set when the server will close the
//  connection.
long
    zyn_bench_http_parse (char *data, size_t size, int *status,
                          size_t *body_offset, size_t *body_size,
                          bool *close);

#endif

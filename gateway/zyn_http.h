/*  =========================================================================
    zyn_http - the gateway's HTTP/1.1 server: a request parser and the
    connections of one event loop

    One zyn_http_t serves the connections one gateway loop accepts. It
    keeps them in an epoll set of its own (zyn_http_fd), edge-triggered,
    so a connection is registered once when it is accepted and never
    touched again: a request costs one recv and one send. Each
    connection reads into one buffer; when a request's head and whole
    body are in, the handler gets an exchange whose method, target,
    headers and body point into that buffer. The handler answers with
    zyn_http_respond, at once or later (after a call to the cluster);
    until then the connection reads nothing more, and requests pipelined
    behind it wait in the buffer or the socket. A response is written at
    once with one sendmsg; what the socket does not take is kept and sent
    when it drains, and the connection reads its next request only then.

    HTTP/1.1 as RFC 9112 has it: keep-alive by default (HTTP/1.0 only
    with Connection: keep-alive), Content-Length or chunked request
    bodies, Expect: 100-continue, pipelining. Limits: a head of at most
    ZYN_HTTP_HEAD_MAX bytes and ZYN_HTTP_FIELDS_MAX header fields (431),
    a body of at most the configured body_max (the handler is told, and
    the body is read and dropped), idle connections closed after
    idle_ms. Malformed requests get 400 (501 for a transfer coding other
    than chunked, 505 for a version other than 1.x) and the connection
    closes. No TLS.
    =========================================================================
*/

#ifndef ZYN_HTTP_H_INCLUDED
#define ZYN_HTTP_H_INCLUDED

#include "zynamo.h"

//  The longest request head (request line and header fields)
#define ZYN_HTTP_HEAD_MAX (32 * 1024)
//  The most header fields in one request
#define ZYN_HTTP_FIELDS_MAX 64

//  One header field; both NUL-terminated, the value without surrounding
//  white space
typedef struct {
    const char *name;
    const char *value;
} zyn_http_field_t;

//  A parsed request head
typedef struct {
    const char *method;             //  "POST", ...
    const char *target;             //  "/", ...
    int minor;                      //  HTTP/1.minor
    zyn_http_field_t fields [ZYN_HTTP_FIELDS_MAX];
    int field_count;
    uint64_t content_length;        //  0 when chunked or absent
    bool chunked;                   //  Transfer-Encoding: chunked
    bool keep_alive;                //  The connection stays open after
    bool expect_continue;           //  Expect: 100-continue
    int status;                     //  When malformed: the HTTP status
    const char *reason;             //  and why (static text)
} zyn_http_head_t;

//  Parse the request head at the start of data (size bytes). Returns its
//  length (through the blank line) once it is whole, 0 if it is not yet,
//  or -1 if it is malformed, with head->status and head->reason set. A
//  whole head is split in place: data is modified, and head's pointers
//  point into it.
long
    zyn_http_parse_head (char *data, size_t size, zyn_http_head_t *head);

//  Scan a chunked body at the start of data (size bytes), without
//  changing it. Returns the bytes it takes (through its trailer's blank
//  line) once it is whole, with the size of what it carries in
//  *decoded_size; 0 if it is not whole yet; -1 if it is malformed; -2 if
//  it carries more than max bytes.
long
    zyn_http_scan_chunked (const char *data, size_t size, uint64_t max,
                           uint64_t *decoded_size);

//  Decode a whole chunked body of size bytes (what zyn_http_scan_chunked
//  returned for it) in place; returns the size of what it carries, now
//  at the start of data.
size_t
    zyn_http_decode_chunked (char *data, size_t size);

typedef struct _zyn_http_t zyn_http_t;
typedef struct _zyn_http_exchange_t zyn_http_exchange_t;

//  Called when a request is whole (or its head is in and its body is
//  over body_max). The handler must answer it with zyn_http_respond,
//  once, now or later; the exchange stays valid until then, even if the
//  client goes away.
typedef void (zyn_http_handler_fn) (zyn_http_exchange_t *exchange,
                                    void *arg);

typedef struct {
    size_t body_max;                //  Larger bodies are refused
    int64_t idle_ms;                //  Idle connections close after
    int connection_max;             //  More are accepted and closed
} zyn_http_config_t;

//  Serve the connections accepted on listen_fd (a non-blocking listening
//  socket, owned from now on), calling handler for each request. Returns
//  NULL and fills err if the epoll set cannot be made.
zyn_http_t *
    zyn_http_new (int listen_fd, const zyn_http_config_t *config,
                  zyn_http_handler_fn *handler, void *arg, zyn_error_t *err);

//  Close every connection (what is left to send is sent if the socket
//  takes it now) and the listening socket. Responses still owed are not
//  sent. Sets *self_p to NULL.
void
    zyn_http_destroy (zyn_http_t **self_p);

//  The epoll descriptor to wait on: readable when zyn_http_run has
//  something to do.
int
    zyn_http_fd (zyn_http_t *self);

//  Do what is ready, without waiting: accept, read, call the handler,
//  send, close idle connections.
void
    zyn_http_run (zyn_http_t *self);

//  Msecs until zyn_http_run must run even if zyn_http_fd stays quiet (0:
//  at once, a response made room for the next request), or -1.
long
    zyn_http_timeout (zyn_http_t *self);

//  The connections open now
int
    zyn_http_connections (zyn_http_t *self);

//  The exchange's request: method, target, a header field's value (name
//  compared without case; NULL if absent), the body (NULL when it was
//  too large) and whether it was too large.
const char *
    zyn_http_method (zyn_http_exchange_t *exchange);
const char *
    zyn_http_target (zyn_http_exchange_t *exchange);
const char *
    zyn_http_header (zyn_http_exchange_t *exchange, const char *name);
const char *
    zyn_http_body (zyn_http_exchange_t *exchange, size_t *size);
bool
    zyn_http_too_large (zyn_http_exchange_t *exchange);

//  Answer the exchange: status, then header lines (each "Name: value"
//  and CRLF, or NULL), then size bytes of body (not sent for HEAD).
//  Content-Length, Date and, when the connection closes after,
//  Connection: close are added. The body is copied or sent before this
//  returns; the exchange is gone after.
void
    zyn_http_respond (zyn_http_exchange_t *exchange, int status,
                      const char *headers, const void *body, size_t size);

#endif

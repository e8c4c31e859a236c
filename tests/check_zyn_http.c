/*  =========================================================================
    check_zyn_http - the gateway's HTTP/1.1 layer: the head parser, the
    chunked body decoder, and the server over real loopback sockets
    (keep-alive, pipelining behind a waiting answer, 100-continue,
    oversized bodies, malformed heads, idle timeout, a client gone while
    its answer was owed, the connection limit)

    The server runs on the test's own thread: s_pump runs it for a while,
    and the client sockets are read without blocking in between.
    =========================================================================
*/

#include "zyn_prelude.h"
#include "zyn_http.h"
#include "zyn_testutil.h"

#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/wait.h>

//  --------------------------------------------------------------------------
//  The parser

START_TEST (test_parse_head)
{
    char data [] = "\r\nPOST /path?q=1 HTTP/1.1\r\nHost: example:8000\r\n"
                   "X-Amz-Target:  DynamoDB_20120810.GetItem  \r\n"
                   "content-length: 12\r\nConnection: Keep-Alive, Upgrade\r\n"
                   "\r\n{\"a\":\"body\"}";
    size_t head_size = strlen (data) - 12;
    //  Every prefix short of the blank line is "not yet", and unchanged
    for (size_t size = 0; size < head_size; size++) {
        char copy [sizeof (data)];
        memcpy (copy, data, sizeof (data));
        zyn_http_head_t head;
        ck_assert_int_eq (zyn_http_parse_head (copy, size, &head), 0);
        ck_assert_int_eq (memcmp (copy, data, sizeof (data)), 0);
    }
    zyn_http_head_t head;
    ck_assert_int_eq (zyn_http_parse_head (data, sizeof (data) - 1, &head),
                      (long) head_size);
    ck_assert_str_eq (head.method, "POST");
    ck_assert_str_eq (head.target, "/path?q=1");
    ck_assert_int_eq (head.minor, 1);
    ck_assert_int_eq (head.field_count, 4);
    ck_assert_str_eq (head.fields [0].name, "Host");
    ck_assert_str_eq (head.fields [0].value, "example:8000");
    ck_assert_str_eq (head.fields [1].value, "DynamoDB_20120810.GetItem");
    ck_assert_str_eq (head.fields [2].name, "content-length");
    ck_assert_uint_eq (head.content_length, 12);
    ck_assert (head.keep_alive);
    ck_assert (!head.chunked);
    ck_assert (!head.expect_continue);

    //  HTTP/1.0 closes unless asked not to; bare LF line ends are taken
    char old [] = "GET / HTTP/1.0\nHost: x\n\n";
    long old_size = (long) strlen (old);
    ck_assert_int_eq (zyn_http_parse_head (old, strlen (old), &head),
                      old_size);
    ck_assert_int_eq (head.minor, 0);
    ck_assert (!head.keep_alive);
    ck_assert_uint_eq (head.content_length, 0);
    char kept [] = "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
    ck_assert_int_gt (zyn_http_parse_head (kept, strlen (kept), &head), 0);
    ck_assert (head.keep_alive);
    char closing [] = "GET / HTTP/1.1\r\nConnection: close\r\n\r\n";
    ck_assert_int_gt (zyn_http_parse_head (closing, strlen (closing), &head),
                      0);
    ck_assert (!head.keep_alive);
    char chunked [] = "POST / HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n"
                      "Content-Length: 5\r\nExpect: 100-Continue\r\n\r\n";
    ck_assert_int_gt (zyn_http_parse_head (chunked, strlen (chunked), &head),
                      0);
    ck_assert (head.chunked);
    ck_assert (head.expect_continue);
    //  Transfer-Encoding wins over Content-Length, and the connection
    //  closes after
    ck_assert_uint_eq (head.content_length, 0);
    ck_assert (!head.keep_alive);
}
END_TEST

START_TEST (test_parse_errors)
{
    struct {
        const char *head;
        int status;
        const char *reason;
    } cases [] = {
        { "P@ST / HTTP/1.1\r\n\r\n", 400, "malformed request line" },
        { "POST  HTTP/1.1\r\n\r\n", 400, "malformed request line" },
        { "POST / HTTP/1.1 \r\n\r\n", 400, "malformed HTTP version" },
        { "POST /\x01 HTTP/1.1\r\n\r\n", 400, "malformed request target" },
        { "POST / HTTP/2.0\r\n\r\n", 505, "only HTTP/1.x is served" },
        { "POST / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", 400,
          "folded header line" },
        { "POST / HTTP/1.1\r\nNo colon here\r\n\r\n", 400,
          "malformed header line" },
        { "POST / HTTP/1.1\r\nHost : x\r\n\r\n", 400,
          "malformed header line" },
        { "POST / HTTP/1.1\r\nContent-Length: 12a\r\n\r\n", 400,
          "bad Content-Length" },
        { "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400,
          "bad Content-Length" },
        { "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
          400, "conflicting Content-Length fields" },
        { "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 501,
          "only the chunked transfer coding is served" },
        { "POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501,
          "only the chunked transfer coding is served" },
        { "POST / HTTP/1.1\r\nExpect: something\r\n\r\n", 417,
          "only 100-continue is expected" },
        { "POST / HTTP/1.1\r\nX-Bad: a\x7f b\r\n\r\n", 400,
          "control character in a header value" },
    };
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases [0]); i++) {
        char data [256];
        snprintf (data, sizeof (data), "%s", cases [i].head);
        zyn_http_head_t head;
        ck_assert_msg (zyn_http_parse_head (data, strlen (data), &head) == -1,
                       "case %zu was taken", i);
        ck_assert_int_eq (head.status, cases [i].status);
        ck_assert_str_eq (head.reason, cases [i].reason);
    }
    //  A NUL inside the head
    char with_nul [] = "POST / HTTP/1.1\r\nA: b\0c\r\n\r\n";
    zyn_http_head_t head;
    ck_assert_int_eq (zyn_http_parse_head (with_nul, sizeof (with_nul) - 1,
                                           &head),
                      -1);
    ck_assert_str_eq (head.reason, "NUL in the request head");
    //  One field too many
    char many [ZYN_HTTP_HEAD_MAX];
    size_t length = (size_t) snprintf (many, sizeof (many),
                                       "POST / HTTP/1.1\r\n");
    for (int i = 0; i <= ZYN_HTTP_FIELDS_MAX; i++)
        length += (size_t) snprintf (many + length, sizeof (many) - length,
                                     "X-%d: %d\r\n", i, i);
    length += (size_t) snprintf (many + length, sizeof (many) - length, "\r\n");
    ck_assert_int_eq (zyn_http_parse_head (many, length, &head), -1);
    ck_assert_int_eq (head.status, 431);
}
END_TEST

START_TEST (test_chunked)
{
    const char *body = "5;name=value\r\nhello\r\n7\r\n, world\r\n0\r\n"
                       "Trailer: x\r\n\r\nPOST";
    size_t whole = strlen (body) - 4;
    uint64_t decoded = 0;
    for (size_t size = 0; size < whole; size++)
        ck_assert_int_eq (zyn_http_scan_chunked (body, size, 100, &decoded),
                          0);
    ck_assert_int_eq (zyn_http_scan_chunked (body, strlen (body), 100,
                                             &decoded),
                      (long) whole);
    ck_assert_uint_eq (decoded, 12);
    char copy [128];
    snprintf (copy, sizeof (copy), "%s", body);
    ck_assert_uint_eq (zyn_http_decode_chunked (copy, whole), 12);
    ck_assert_int_eq (memcmp (copy, "hello, world", 12), 0);
    //  Bare LFs, upper-case hex, no trailer
    const char *plain = "A\nabcdefghij\n0\n\n";
    ck_assert_int_eq (zyn_http_scan_chunked (plain, strlen (plain), 100,
                                             &decoded),
                      (long) strlen (plain));
    ck_assert_uint_eq (decoded, 10);
    //  Malformed: no size, data not ended by its line end, junk after
    //  the size; and more than max
    ck_assert_int_eq (zyn_http_scan_chunked ("\r\n", 2, 100, &decoded), -1);
    ck_assert_int_eq (zyn_http_scan_chunked ("2\r\nabc\r\n", 8, 100,
                                             &decoded),
                      -1);
    ck_assert_int_eq (zyn_http_scan_chunked ("2x\r\nab\r\n", 8, 100,
                                             &decoded),
                      -1);
    ck_assert_int_eq (zyn_http_scan_chunked ("65\r\n", 4, 100, &decoded), -2);
    ck_assert_int_eq (zyn_http_scan_chunked ("1234567890abcdef\r\n", 18,
                                             100, &decoded),
                      -1);
}
END_TEST

//  --------------------------------------------------------------------------
//  The server

typedef struct {
    bool defer;                     //  Keep exchanges instead of answering
    size_t big;                     //  If set, answer this many bytes
    zyn_http_exchange_t *held [4];
    int held_count;
    int calls;
    char method [16];
    char body [256];
    bool too_large;
} s_handler_t;

//  Answer with what came: "METHOD TARGET:BODY", or 413 if too large
static void
s_answer (zyn_http_exchange_t *exchange)
{
    if (zyn_http_too_large (exchange)) {
        zyn_http_respond (exchange, 413, NULL, "too large", 9);
        return;
    }
    size_t size = 0;
    const char *body = zyn_http_body (exchange, &size);
    char text [512];
    int length = snprintf (text, sizeof (text), "%s %s:%.*s",
                           zyn_http_method (exchange),
                           zyn_http_target (exchange), (int) size,
                           body ? body : "");
    zyn_http_respond (exchange, 200, "X-Test: yes\r\n", text,
                      (size_t) length);
}

static void
s_handler (zyn_http_exchange_t *exchange, void *arg)
{
    s_handler_t *self = (s_handler_t *) arg;
    self->calls++;
    snprintf (self->method, sizeof (self->method), "%s",
              zyn_http_method (exchange));
    size_t size = 0;
    const char *body = zyn_http_body (exchange, &size);
    snprintf (self->body, sizeof (self->body), "%.*s", (int) size,
              body ? body : "");
    self->too_large = zyn_http_too_large (exchange);
    if (self->defer) {
        ck_assert_int_lt (self->held_count, 4);
        self->held [self->held_count++] = exchange;
        return;
    }
    if (self->big) {
        //  Bytes that say where they are: byte i is 'a' + i % 26
        char *text = (char *) malloc (self->big);
        for (size_t i = 0; i < self->big; i++)
            text [i] = (char) ('a' + i % 26);
        zyn_http_respond (exchange, 200, NULL, text, self->big);
        free (text);
        return;
    }
    s_answer (exchange);
}

//  A server on a free loopback port, body_max 100, idle_ms as given
static zyn_http_t *
s_server (s_handler_t *handler, int64_t idle_ms, int connection_max,
          int *port)
{
    int fd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    ck_assert_int_ge (fd, 0);
    struct sockaddr_in address = zyn_test_loopback (0);
    ck_assert_int_eq (bind (fd, (struct sockaddr *) &address,
                            sizeof (address)),
                      0);
    ck_assert_int_eq (listen (fd, 16), 0);
    socklen_t size = sizeof (address);
    getsockname (fd, (struct sockaddr *) &address, &size);
    *port = ntohs (address.sin_port);
    zyn_http_config_t config = { 0 };
    config.body_max = 100;
    config.idle_ms = idle_ms;
    config.connection_max = connection_max;
    zyn_http_t *server = zyn_http_new (fd, &config, s_handler, handler, NULL);
    ck_assert_ptr_nonnull (server);
    return server;
}

//  Run the server for msecs
static void
s_pump (zyn_http_t *server, int msecs)
{
    int64_t end = zyn_mono_msecs () + msecs;
    do {
        struct pollfd item = { .fd = zyn_http_fd (server), .events = POLLIN };
        long wait = zyn_http_timeout (server);
        poll (&item, 1, wait >= 0 && wait < 5 ? (int) wait : 5);
        zyn_http_run (server);
    } while (zyn_mono_msecs () < end);
}

static void
s_write (int fd, const char *text)
{
    ck_assert_int_eq (write (fd, text, strlen (text)),
                      (ssize_t) strlen (text));
}

//  Pump the server until one whole response (Content-Length) is in on
//  fd, or fd ends; returns its length (0 at the end), the text in buf
static size_t
s_response (zyn_http_t *server, int fd, char *buf, size_t size)
{
    size_t used = 0;
    int64_t end = zyn_mono_msecs () + 3000;
    while (zyn_mono_msecs () < end) {
        s_pump (server, 5);
        //  One byte at a time, so a pipelined next response stays
        while (used < size - 1) {
            ssize_t got = recv (fd, buf + used, 1, MSG_DONTWAIT);
            if (got == 0)
                return used;
            if (got < 0)
                break;
            used++;
            buf [used] = 0;
            char *split = strstr (buf, "\r\n\r\n");
            const char *length = strcasestr (buf, "Content-Length:");
            if (split && length && length < split
                && used == (size_t) (split + 4 - buf)
                               + strtoul (length + 15, NULL, 10))
                return used;
        }
    }
    ck_abort_msg ("no whole response: %.*s", (int) used, buf);
    return 0;
}

//  True once fd is closed by the server (pumping meanwhile)
static bool
s_closed (zyn_http_t *server, int fd)
{
    int64_t end = zyn_mono_msecs () + 3000;
    while (zyn_mono_msecs () < end) {
        s_pump (server, 5);
        char byte;
        ssize_t got = recv (fd, &byte, 1, MSG_DONTWAIT);
        if (got == 0 || (got < 0 && errno == ECONNRESET))
            return true;
        if (got > 0)
            return false;
    }
    return false;
}

START_TEST (test_server_keep_alive)
{
    s_handler_t handler = { 0 };
    int port = 0;
    zyn_http_t *server = s_server (&handler, 0, 0, &port);
    int fd = zyn_test_connect (port, 5);
    char response [1024];
    for (int round = 0; round < 3; round++) {
        s_write (fd, "POST /t HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n"
                     "hello");
        s_response (server, fd, response, sizeof (response));
        ck_assert_int_eq (strncmp (response, "HTTP/1.1 200 OK\r\nDate: ", 23),
                          0);
        ck_assert_ptr_nonnull (strstr (response, " GMT\r\nContent-Length: 13"
                                                 "\r\nX-Test: yes\r\n\r\n"
                                                 "POST /t:hello"));
        ck_assert_ptr_null (strstr (response, "Connection: close"));
    }
    ck_assert_int_eq (handler.calls, 3);
    ck_assert_int_eq (zyn_http_connections (server), 1);
    //  HEAD: the length of what GET would send, no body
    s_write (fd, "HEAD /h HTTP/1.1\r\n\r\n");
    s_pump (server, 50);
    ssize_t got = recv (fd, response, sizeof (response) - 1, MSG_DONTWAIT);
    ck_assert_int_gt (got, 0);
    response [got] = 0;
    ck_assert_ptr_nonnull (strstr (response, "Content-Length: 8\r\n"));
    ck_assert_str_eq (strstr (response, "\r\n\r\n"), "\r\n\r\n");
    //  HTTP/1.0 asking to keep the connection is told it is kept
    s_write (fd, "GET /kept HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    s_response (server, fd, response, sizeof (response));
    ck_assert_ptr_nonnull (strstr (response, "Connection: keep-alive\r\n"));
    ck_assert_ptr_nonnull (strstr (response, "\r\n\r\nGET /kept:"));
    //  HTTP/1.0: answered, then closed
    s_write (fd, "GET /old HTTP/1.0\r\n\r\n");
    s_response (server, fd, response, sizeof (response));
    ck_assert_ptr_nonnull (strstr (response, "Connection: close\r\n"));
    ck_assert_ptr_nonnull (strstr (response, "\r\n\r\nGET /old:"));
    ck_assert (s_closed (server, fd));
    close (fd);
    s_pump (server, 20);
    ck_assert_int_eq (zyn_http_connections (server), 0);
    zyn_http_destroy (&server);
    ck_assert_ptr_null (server);
}
END_TEST

START_TEST (test_server_pipelined)
{
    //  Two requests in one write while the first one's answer is owed:
    //  the second waits, unread, until the first is answered
    s_handler_t handler = { 0 };
    handler.defer = true;
    int port = 0;
    zyn_http_t *server = s_server (&handler, 0, 0, &port);
    int fd = zyn_test_connect (port, 5);
    s_write (fd, "POST /1 HTTP/1.1\r\nContent-Length: 3\r\n\r\none"
                 "POST /2 HTTP/1.1\r\nContent-Length: 3\r\n\r\ntwo");
    s_pump (server, 50);
    ck_assert_int_eq (handler.calls, 1);
    ck_assert_str_eq (handler.body, "one");
    //  Answered from outside the server's run: the next run goes on
    s_answer (handler.held [0]);
    s_pump (server, 50);
    ck_assert_int_eq (handler.calls, 2);
    ck_assert_str_eq (handler.body, "two");
    s_answer (handler.held [1]);
    char response [1024];
    s_response (server, fd, response, sizeof (response));
    ck_assert_ptr_nonnull (strstr (response, "\r\n\r\nPOST /1:one"));
    s_response (server, fd, response, sizeof (response));
    ck_assert_ptr_nonnull (strstr (response, "\r\n\r\nPOST /2:two"));
    close (fd);
    zyn_http_destroy (&server);
}
END_TEST

START_TEST (test_server_slow_reader)
{
    //  A response far larger than the socket takes at once, to a client
    //  that reads late: the rest goes out as the socket drains, whole and
    //  in order, and the pipelined request behind it is served after
    s_handler_t handler = { 0 };
    handler.big = 8 * 1024 * 1024;
    int port = 0;
    zyn_http_t *server = s_server (&handler, 0, 0, &port);
    int fd = zyn_test_connect (port, 5);
    s_write (fd, "GET /big HTTP/1.1\r\n\r\nGET /next HTTP/1.1\r\n\r\n");
    s_pump (server, 100);
    ck_assert_int_eq (handler.calls, 1);
    //  Read it all, pumping the server between reads
    size_t total = 2 * handler.big + 1024;
    char *got = (char *) malloc (total);
    size_t used = 0;
    size_t wanted = 0;
    int64_t end = zyn_mono_msecs () + 10000;
    while ((wanted == 0 || used < wanted) && zyn_mono_msecs () < end) {
        zyn_http_run (server);
        ssize_t rc = recv (fd, got + used, total - used, MSG_DONTWAIT);
        if (rc > 0)
            used += (size_t) rc;
        else
            usleep (1000);
        if (!wanted) {
            char *split = (char *) memmem (got, used, "\r\n\r\n", 4);
            if (split)
                wanted = (size_t) (split + 4 - got) + handler.big;
        }
    }
    ck_assert_uint_gt (wanted, 0);
    ck_assert_uint_ge (used, wanted);
    ck_assert_ptr_nonnull (memmem (got, 200, "Content-Length: 8388608\r\n", 25));
    const char *body = (const char *) memmem (got, used, "\r\n\r\n", 4) + 4;
    for (size_t i = 0; i < handler.big; i++)
        if (body [i] != (char) ('a' + i % 26))
            ck_abort_msg ("byte %zu is wrong", i);
    //  The second request was served only once the first was answered
    //  (it is answered the same way)
    ck_assert_int_eq (handler.calls, 2);
    free (got);
    close (fd);
    zyn_http_destroy (&server);
}
END_TEST

START_TEST (test_server_continue_chunked)
{
    //  Expect: 100-continue gets its interim answer before the body is
    //  sent; the chunked body reaches the handler decoded
    s_handler_t handler = { 0 };
    int port = 0;
    zyn_http_t *server = s_server (&handler, 0, 0, &port);
    int fd = zyn_test_connect (port, 5);
    s_write (fd, "POST /c HTTP/1.1\r\nExpect: 100-continue\r\n"
                 "Transfer-Encoding: chunked\r\n\r\n");
    s_pump (server, 50);
    char interim [64] = "";
    ssize_t got = recv (fd, interim, sizeof (interim) - 1, MSG_DONTWAIT);
    ck_assert_int_eq (got, 25);
    ck_assert_str_eq (interim, "HTTP/1.1 100 Continue\r\n\r\n");
    ck_assert_int_eq (handler.calls, 0);
    s_write (fd, "4\r\nabcd\r\n");
    s_pump (server, 20);
    s_write (fd, "2\r\nef\r\n0\r\n\r\n");
    char response [1024];
    s_response (server, fd, response, sizeof (response));
    ck_assert_int_eq (handler.calls, 1);
    ck_assert_str_eq (handler.body, "abcdef");
    ck_assert_ptr_nonnull (strstr (response, "\r\n\r\nPOST /c:abcdef"));
    close (fd);
    zyn_http_destroy (&server);
}
END_TEST

START_TEST (test_server_too_large)
{
    //  body_max is 100: a body of 300 is refused, read and dropped, and
    //  the connection serves the next request; one of 1000 closes it
    s_handler_t handler = { 0 };
    int port = 0;
    zyn_http_t *server = s_server (&handler, 0, 0, &port);
    int fd = zyn_test_connect (port, 5);
    s_write (fd, "POST /big HTTP/1.1\r\nContent-Length: 300\r\n\r\n");
    char filler [300];
    memset (filler, 'x', sizeof (filler));
    ck_assert_int_eq (write (fd, filler, 150), 150);
    char response [1024];
    s_response (server, fd, response, sizeof (response));
    ck_assert_int_eq (strncmp (response, "HTTP/1.1 413 Content Too Large", 30),
                      0);
    ck_assert (handler.too_large);
    ck_assert_ptr_null (strstr (response, "Connection: close"));
    ck_assert_int_eq (write (fd, filler, 150), 150);
    s_write (fd, "POST /next HTTP/1.1\r\nContent-Length: 2\r\n\r\nok");
    s_response (server, fd, response, sizeof (response));
    ck_assert_ptr_nonnull (strstr (response, "\r\n\r\nPOST /next:ok"));
    ck_assert (!handler.too_large);
    ck_assert_int_eq (handler.calls, 2);
    s_write (fd, "POST /huge HTTP/1.1\r\nContent-Length: 1000\r\n\r\n");
    s_response (server, fd, response, sizeof (response));
    ck_assert_int_eq (strncmp (response, "HTTP/1.1 413", 12), 0);
    ck_assert_ptr_nonnull (strstr (response, "Connection: close\r\n"));
    ck_assert (s_closed (server, fd));
    close (fd);
    zyn_http_destroy (&server);
}
END_TEST

START_TEST (test_server_malformed)
{
    //  A malformed head: 400 with the reason, then closed; a head too
    //  large: 431. The server serves on.
    s_handler_t handler = { 0 };
    int port = 0;
    zyn_http_t *server = s_server (&handler, 0, 0, &port);
    int fd = zyn_test_connect (port, 5);
    s_write (fd, "POST / HTTP/1.1\r\nBad Header\r\n\r\n");
    char response [1024];
    s_response (server, fd, response, sizeof (response));
    ck_assert_int_eq (strncmp (response, "HTTP/1.1 400 Bad Request\r\n", 26),
                      0);
    ck_assert_ptr_nonnull (strstr (response, "Connection: close\r\n"));
    ck_assert_ptr_nonnull (strstr (response, "\r\n\r\nmalformed header line\n"));
    ck_assert (s_closed (server, fd));
    close (fd);

    fd = zyn_test_connect (port, 5);
    char *big = (char *) malloc (ZYN_HTTP_HEAD_MAX + 64);
    int length = snprintf (big, 64, "POST / HTTP/1.1\r\nX-Big: ");
    memset (big + length, 'a', ZYN_HTTP_HEAD_MAX);
    ck_assert_int_eq (write (fd, big, (size_t) length + ZYN_HTTP_HEAD_MAX),
                      length + ZYN_HTTP_HEAD_MAX);
    free (big);
    s_response (server, fd, response, sizeof (response));
    ck_assert_int_eq (strncmp (response, "HTTP/1.1 431", 12), 0);
    close (fd);
    ck_assert_int_eq (handler.calls, 0);

    fd = zyn_test_connect (port, 5);
    s_write (fd, "GET /fine HTTP/1.1\r\n\r\n");
    s_response (server, fd, response, sizeof (response));
    ck_assert_ptr_nonnull (strstr (response, "\r\n\r\nGET /fine:"));
    close (fd);
    zyn_http_destroy (&server);
}
END_TEST

START_TEST (test_server_idle_and_gone)
{
    //  An idle connection closes after idle_ms; a client that resets
    //  while its answer is owed leaves nothing behind once answered
    s_handler_t handler = { 0 };
    int port = 0;
    zyn_http_t *server = s_server (&handler, 100, 0, &port);
    int idle = zyn_test_connect (port, 5);
    s_pump (server, 20);
    ck_assert_int_eq (zyn_http_connections (server), 1);
    ck_assert (s_closed (server, idle));
    ck_assert_int_eq (zyn_http_connections (server), 0);
    close (idle);

    handler.defer = true;
    int fd = zyn_test_connect (port, 5);
    s_write (fd, "POST /gone HTTP/1.1\r\nContent-Length: 1\r\n\r\nx");
    s_pump (server, 50);
    ck_assert_int_eq (handler.calls, 1);
    struct linger reset = { 1, 0 };
    setsockopt (fd, SOL_SOCKET, SO_LINGER, &reset, sizeof (reset));
    close (fd);
    s_pump (server, 50);
    ck_assert_int_eq (zyn_http_connections (server), 0);
    //  A waiting exchange does not time out
    s_pump (server, 150);
    s_answer (handler.held [0]);
    s_pump (server, 20);
    zyn_http_destroy (&server);
}
END_TEST

START_TEST (test_server_limit)
{
    //  connection_max 1: a second connection is accepted and closed
    s_handler_t handler = { 0 };
    int port = 0;
    zyn_http_t *server = s_server (&handler, 0, 1, &port);
    int first = zyn_test_connect (port, 5);
    s_pump (server, 20);
    int second = zyn_test_connect (port, 5);
    ck_assert (s_closed (server, second));
    close (second);
    ck_assert_int_eq (zyn_http_connections (server), 1);
    s_write (first, "GET /one HTTP/1.1\r\n\r\n");
    char response [1024];
    s_response (server, first, response, sizeof (response));
    ck_assert_ptr_nonnull (strstr (response, "\r\n\r\nGET /one:"));
    close (first);
    zyn_http_destroy (&server);
}
END_TEST

START_TEST (test_server_out_of_descriptors)
{
    //  With no descriptor left the server closes new connections at once
    //  (it does not spin on the listening socket), and serves again once
    //  descriptors are free
    s_handler_t handler = { 0 };
    int port = 0;
    zyn_http_t *server = s_server (&handler, 0, 0, &port);
    struct rlimit limit;
    ck_assert_int_eq (getrlimit (RLIMIT_NOFILE, &limit), 0);
    struct rlimit lower = limit;
    lower.rlim_cur = 512;
    ck_assert_int_eq (setrlimit (RLIMIT_NOFILE, &lower), 0);
    int spare [512];
    int count = 0;
    while (count < 512) {
        int fd = open ("/dev/null", O_RDONLY);
        if (fd < 0)
            break;
        spare [count++] = fd;
    }
    ck_assert_int_eq (errno, EMFILE);
    //  The client connects from a child, which has descriptors of its own
    pid_t child = fork ();
    ck_assert_int_ge (child, 0);
    if (child == 0) {
        for (int i = 0; i < count; i++)
            close (spare [i]);
        int fd = zyn_test_connect (port, 5);
        char byte;
        //  Closed by the server: read returns 0, not a timeout
        _exit (read (fd, &byte, 1) == 0 ? 0 : 1);
    }
    int status = -1;
    int64_t end = zyn_mono_msecs () + 5000;
    while (zyn_mono_msecs () < end
           && waitpid (child, &status, WNOHANG) == 0)
        s_pump (server, 10);
    ck_assert_int_eq (status, 0);
    ck_assert_int_eq (zyn_http_connections (server), 0);
    for (int i = 0; i < count; i++)
        close (spare [i]);
    ck_assert_int_eq (setrlimit (RLIMIT_NOFILE, &limit), 0);
    int fd = zyn_test_connect (port, 5);
    s_write (fd, "GET /again HTTP/1.1\r\n\r\n");
    char response [1024];
    s_response (server, fd, response, sizeof (response));
    ck_assert_ptr_nonnull (strstr (response, "\r\n\r\nGET /again:"));
    close (fd);
    zyn_http_destroy (&server);
}
END_TEST

static Suite *
zyn_http_suite (void)
{
    Suite *suite = suite_create ("zyn_http");
    TCase *parser = tcase_create ("parser");
    tcase_add_test (parser, test_parse_head);
    tcase_add_test (parser, test_parse_errors);
    tcase_add_test (parser, test_chunked);
    suite_add_tcase (suite, parser);
    TCase *server = tcase_create ("server");
    tcase_set_timeout (server, 30);
    tcase_add_test (server, test_server_keep_alive);
    tcase_add_test (server, test_server_pipelined);
    tcase_add_test (server, test_server_slow_reader);
    tcase_add_test (server, test_server_continue_chunked);
    tcase_add_test (server, test_server_too_large);
    tcase_add_test (server, test_server_malformed);
    tcase_add_test (server, test_server_idle_and_gone);
    tcase_add_test (server, test_server_limit);
    tcase_add_test (server, test_server_out_of_descriptors);
    suite_add_tcase (suite, server);
    return suite;
}

ZYN_TEST_MAIN (zyn_http_suite)

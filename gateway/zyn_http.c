/*  =========================================================================
    zyn_http - the gateway's HTTP/1.1 server: a request parser and the
    connections of one event loop

    A connection is in one of these states: reading (gathering a
    request), busy (the handler has it, nothing more is read), or a
    zombie (the client went away while busy: the socket is closed, the
    structure waits for the handler's answer). Idle connections (reading,
    nothing owed) sit on a list in the order they were last active, so
    the idle timeout looks at the head only. Connections that answered
    while the loop was elsewhere go on a ready list, so the next
    zyn_http_run reads their next request: the socket's edge may have
    passed while they were busy.
    =========================================================================
*/

#include "zyn_prelude.h"
#include "zyn_http.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>

//  The read buffer a connection starts with and goes back to
#define S_BUFFER_MIN (16 * 1024)
//  Events taken per epoll_wait
#define S_EVENTS 64
//  Connections accepted per zyn_http_run
#define S_ACCEPTS 64
//  Oversized bodies up to this many times body_max are read and dropped
//  (so the client reads the answer); larger ones close the connection
#define S_DISCARD_FACTOR 4

typedef struct s_conn s_conn_t;

struct _zyn_http_exchange_t {
    s_conn_t *conn;                 //  Borrowed: its connection
    zyn_http_head_t head;           //  Points into conn->in
    const char *body;
    size_t body_size;
    bool too_large;
    size_t request_size;            //  Bytes of conn->in it takes
};

struct s_conn {
    zyn_http_t *server;             //  Borrowed
    int fd;                         //  -1 once closed
    char *in;                       //  Owned: bytes read, not yet used
    size_t in_size;
    size_t in_capacity;
    size_t head_size;               //  The head parsed, or 0
    char *out;                      //  Owned: response bytes not yet sent
    size_t out_size;
    size_t out_sent;
    size_t out_capacity;
    uint64_t discard;               //  Body bytes to read and drop
    bool readable;                  //  The socket may hold more
    bool busy;                      //  The handler has the exchange
    bool in_handler;                //  ... and has not returned yet
    bool close_after;               //  Close once the response is out
    bool continued;                 //  100 Continue sent for this request
    bool ready;                     //  On the ready list
    int64_t active_at;              //  Last read, for the idle timeout
    zyn_http_exchange_t exchange;
    s_conn_t *prev;                 //  On the idle or the busy list
    s_conn_t *next;
    s_conn_t *ready_next;           //  On the ready list
};

struct _zyn_http_t {
    int epoll_fd;
    int listen_fd;
    int spare_fd;                   //  /dev/null, given up to shed a
                                    //  connection when out of descriptors
    bool shed_logged;
    zyn_http_config_t config;
    zyn_http_handler_fn *handler;
    void *arg;
    int connections;                //  Open sockets
    s_conn_t *idle_head;            //  Least recently active first
    s_conn_t *idle_tail;
    s_conn_t *ready;                //  Answered, to read on
    s_conn_t *busy;                 //  Singly linked through next: busy
                                    //  and zombie connections, for destroy
    time_t date_at;                 //  The second date was made for
    char date [40];                 //  "Date: ...\r\n"
};

//  --------------------------------------------------------------------------
//  The parser

//  RFC 9110 tchar: ALPHA, DIGIT and !#$%&'*+-.^_`|~, as bits of two
//  masks over ASCII (the characters 0-63, then 64-127)
static inline bool
s_is_tchar (unsigned char c)
{
    static const uint64_t masks [2] = {
        0x03ff6cfa00000000ULL, 0x57ffffffc7fffffeULL
    };
    return c < 128 && (masks [c >> 6] >> (c & 63)) & 1;
}

//  True if the comma-separated list value holds token (no case)
static bool
s_list_has (const char *value, const char *token)
{
    size_t length = strlen (token);
    const char *at = value;
    while (*at) {
        while (*at == ' ' || *at == '\t' || *at == ',')
            at++;
        const char *end = at;
        while (*end && *end != ',')
            end++;
        const char *last = end;
        while (last > at && (last [-1] == ' ' || last [-1] == '\t'))
            last--;
        if ((size_t) (last - at) == length && strncasecmp (at, token, length) == 0)
            return true;
        at = end;
    }
    return false;
}

static long
s_malformed (zyn_http_head_t *head, int status, const char *reason)
{
    head->status = status;
    head->reason = reason;
    return -1;
}

//  The end of the line that starts at line (before end): the CR or LF
//  that ends it, which is NUL'ed; *next is the line after
static char *
s_line_end (char *line, char *end, char **next)
{
    char *newline = (char *) memchr (line, '\n', (size_t) (end - line));
    assert (newline);               //  The head's end was found
    *next = newline + 1;
    if (newline > line && newline [-1] == '\r')
        newline--;
    *newline = 0;
    return newline;
}

//  Parse the request line at line; false with head's status if malformed
static bool
s_parse_request_line (char *line, char *line_end, zyn_http_head_t *head)
{
    char *at = line;
    while (at < line_end && s_is_tchar ((unsigned char) *at))
        at++;
    if (at == line || at - line > 32 || *at != ' ')
        return s_malformed (head, 400, "malformed request line") == 0;
    *at++ = 0;
    head->method = line;
    char *target = at;
    while (at < line_end && *at != ' ') {
        if ((unsigned char) *at <= 32 || *at == 127)
            return s_malformed (head, 400, "malformed request target") == 0;
        at++;
    }
    if (at == target || *at != ' ')
        return s_malformed (head, 400, "malformed request line") == 0;
    *at++ = 0;
    head->target = target;
    if (line_end - at != 8 || strncmp (at, "HTTP/", 5) != 0
        || !isdigit ((unsigned char) at [5]) || at [6] != '.'
        || !isdigit ((unsigned char) at [7]))
        return s_malformed (head, 400, "malformed HTTP version") == 0;
    if (at [5] != '1')
        return s_malformed (head, 505, "only HTTP/1.x is served") == 0;
    head->minor = at [7] - '0';
    return true;
}

//  Take the meaning of one header field into head; false if malformed
static bool
s_parse_field (const char *name, const char *value, zyn_http_head_t *head,
               bool *length_seen)
{
    if (strcasecmp (name, "Content-Length") == 0) {
        if (!*value || strlen (value) > 15)
            return s_malformed (head, 400, "bad Content-Length") == 0;
        uint64_t length = 0;
        for (const char *digit = value; *digit; digit++) {
            if (!isdigit ((unsigned char) *digit))
                return s_malformed (head, 400, "bad Content-Length") == 0;
            length = length * 10 + (uint64_t) (*digit - '0');
        }
        if (*length_seen && length != head->content_length)
            return s_malformed (head, 400,
                                "conflicting Content-Length fields") == 0;
        *length_seen = true;
        head->content_length = length;
    }
    else
    if (strcasecmp (name, "Transfer-Encoding") == 0) {
        //  Only chunked, as the last (and here only) coding
        const char *last = strrchr (value, ',');
        last = last ? last + 1 : value;
        while (*last == ' ' || *last == '\t')
            last++;
        if (strcasecmp (last, "chunked") != 0 || last != value)
            return s_malformed (head, 501,
                                "only the chunked transfer coding is "
                                "served") == 0;
        if (head->chunked)
            return s_malformed (head, 400, "chunked twice") == 0;
        head->chunked = true;
    }
    else
    if (strcasecmp (name, "Connection") == 0) {
        if (s_list_has (value, "close"))
            head->keep_alive = false;
        else
        if (s_list_has (value, "keep-alive"))
            head->keep_alive = true;
    }
    else
    if (strcasecmp (name, "Expect") == 0) {
        if (strcasecmp (value, "100-continue") != 0)
            return s_malformed (head, 417, "only 100-continue is "
                                           "expected") == 0;
        head->expect_continue = true;
    }
    return true;
}

//  --------------------------------------------------------------------------
//  Parse a request head.

long
zyn_http_parse_head (char *data, size_t size, zyn_http_head_t *head)
{
    assert (data);
    assert (head);
    memset (head, 0, sizeof (*head));
    //  Empty lines before the request line are ignored (RFC 9112 2.2)
    size_t start = 0;
    while (start < size && (data [start] == '\r' || data [start] == '\n'))
        start++;
    //  The head ends at the first empty line; look before changing it
    size_t end = 0;
    size_t at = start;
    while (at < size) {
        const char *newline = (const char *) memchr (data + at, '\n',
                                                     size - at);
        if (!newline)
            break;
        at = (size_t) (newline - data) + 1;
        if (at < size && data [at] == '\n') {
            end = at + 1;
            break;
        }
        if (at + 1 < size && data [at] == '\r' && data [at + 1] == '\n') {
            end = at + 2;
            break;
        }
    }
    if (!end)
        return 0;
    if (memchr (data + start, 0, end - start))
        return s_malformed (head, 400, "NUL in the request head");
    char *limit = data + end;
    char *next = NULL;
    char *line = data + start;
    char *line_end = s_line_end (line, limit, &next);
    if (!s_parse_request_line (line, line_end, head))
        return -1;
    head->keep_alive = head->minor >= 1;
    bool length_seen = false;
    while (true) {
        line = next;
        line_end = s_line_end (line, limit, &next);
        if (line == line_end)
            break;                  //  The empty line
        if (*line == ' ' || *line == '\t')
            return s_malformed (head, 400, "folded header line");
        char *colon = line;
        while (colon < line_end && s_is_tchar ((unsigned char) *colon))
            colon++;
        if (colon == line || *colon != ':')
            return s_malformed (head, 400, "malformed header line");
        *colon = 0;
        char *value = colon + 1;
        while (*value == ' ' || *value == '\t')
            value++;
        char *value_end = line_end;
        while (value_end > value
               && (value_end [-1] == ' ' || value_end [-1] == '\t'))
            value_end--;
        *value_end = 0;
        for (char *c = value; c < value_end; c++)
            if (((unsigned char) *c < 32 && *c != '\t') || *c == 127)
                return s_malformed (head, 400, "control character in a "
                                               "header value");
        if (head->field_count == ZYN_HTTP_FIELDS_MAX)
            return s_malformed (head, 431, "too many header fields");
        head->fields [head->field_count].name = line;
        head->fields [head->field_count].value = value;
        head->field_count++;
        if (!s_parse_field (line, value, head, &length_seen))
            return -1;
    }
    if (head->chunked) {
        //  Transfer-Encoding overrides Content-Length (RFC 9112 6.3);
        //  such a request may be an attack, so the connection closes
        if (length_seen)
            head->keep_alive = false;
        head->content_length = 0;
    }
    return (long) end;
}

//  The chunk-size line at data (before end): the size, and the offset of
//  the line after in *next. Returns 1, 0 if the line is not whole, -1 if
//  it is malformed.
static int
s_chunk_line (const char *data, const char *end, uint64_t *chunk,
              size_t *next)
{
    const char *at = data;
    uint64_t value = 0;
    int digits = 0;
    while (at < end && isxdigit ((unsigned char) *at)) {
        if (++digits > 15)
            return -1;
        int digit = isdigit ((unsigned char) *at)
                  ? *at - '0' : (tolower ((unsigned char) *at) - 'a' + 10);
        value = value * 16 + (uint64_t) digit;
        at++;
    }
    if (at == end)
        return 0;
    if (!digits)
        return -1;
    //  Extensions are allowed and ignored, up to the line's end
    const char *newline = (const char *) memchr (at, '\n', (size_t) (end - at));
    if (!newline)
        return (size_t) (end - at) > 4096 ? -1 : 0;
    if (at != newline && *at != ';' && *at != '\r' && *at != ' '
        && *at != '\t')
        return -1;
    *chunk = value;
    *next = (size_t) (newline + 1 - data);
    return 1;
}

//  --------------------------------------------------------------------------
//  Scan a chunked body.

long
zyn_http_scan_chunked (const char *data, size_t size, uint64_t max,
                       uint64_t *decoded_size)
{
    assert (data || size == 0);
    const char *end = data + size;
    size_t at = 0;
    uint64_t total = 0;
    while (true) {
        uint64_t chunk = 0;
        size_t next = 0;
        int rc = s_chunk_line (data + at, end, &chunk, &next);
        if (rc <= 0)
            return rc;
        at += next;
        if (chunk == 0)
            break;
        total += chunk;
        if (total > max)
            return -2;
        //  The chunk's data and its CRLF
        if (size - at < chunk + 1)
            return 0;
        at += chunk;
        if (data [at] == '\r') {
            if (size - at < 2)
                return 0;
            at++;
        }
        if (data [at] != '\n')
            return -1;
        at++;
    }
    //  The trailer: header lines (ignored) to an empty line
    while (true) {
        const char *newline = (const char *) memchr (data + at, '\n', size - at);
        if (!newline)
            return size - at > ZYN_HTTP_HEAD_MAX ? -1 : 0;
        size_t length = (size_t) (newline - (data + at));
        bool empty = length == 0 || (length == 1 && data [at] == '\r');
        at += length + 1;
        if (empty)
            break;
    }
    *decoded_size = total;
    return (long) at;
}

//  --------------------------------------------------------------------------
//  Decode a scanned chunked body in place.

size_t
zyn_http_decode_chunked (char *data, size_t size)
{
    assert (data);
    size_t at = 0;
    size_t out = 0;
    while (true) {
        uint64_t chunk = 0;
        size_t next = 0;
        //  Scanned already: every line is whole and well formed
        int rc = s_chunk_line (data + at, data + size, &chunk, &next);
        assert (rc == 1);
        at += next;
        if (chunk == 0)
            return out;
        memmove (data + out, data + at, (size_t) chunk);
        out += (size_t) chunk;
        at += (size_t) chunk;
        at += data [at] == '\r' ? 2 : 1;
    }
}

//  --------------------------------------------------------------------------
//  The server

static const char *
s_reason (int status)
{
    switch (status) {
        case 100: return "Continue";
        case 200: return "OK";
        case 400: return "Bad Request";
        case 403: return "Forbidden";
        case 404: return "Not Found";
        case 413: return "Content Too Large";
        case 417: return "Expectation Failed";
        case 431: return "Request Header Fields Too Large";
        case 500: return "Internal Server Error";
        case 501: return "Not Implemented";
        case 503: return "Service Unavailable";
        case 505: return "HTTP Version Not Supported";
        default:
            return status < 300 ? "OK"
                 : status < 500 ? "Bad Request" : "Internal Server Error";
    }
}

//  The lists a connection is on: idle (open, not busy) or busy (busy,
//  open or a zombie), doubly linked through prev and next
static void
s_list_remove (s_conn_t **head, s_conn_t **tail, s_conn_t *conn)
{
    if (conn->prev)
        conn->prev->next = conn->next;
    else
        *head = conn->next;
    if (conn->next)
        conn->next->prev = conn->prev;
    else
    if (tail)
        *tail = conn->prev;
    conn->prev = conn->next = NULL;
}

static void
s_idle_append (zyn_http_t *self, s_conn_t *conn)
{
    conn->next = NULL;
    conn->prev = self->idle_tail;
    if (self->idle_tail)
        self->idle_tail->next = conn;
    else
        self->idle_head = conn;
    self->idle_tail = conn;
}

static void
s_busy_push (zyn_http_t *self, s_conn_t *conn)
{
    conn->prev = NULL;
    conn->next = self->busy;
    if (self->busy)
        self->busy->prev = conn;
    self->busy = conn;
}

static void
s_conn_free (s_conn_t *conn)
{
    free (conn->in);
    free (conn->out);
    free (conn);
}

//  Close conn's socket. A busy connection becomes a zombie until its
//  answer; one on the ready list is freed there; any other is freed now.
//  The caller must not touch conn after, unless it was busy.
static void
s_conn_close (s_conn_t *conn)
{
    zyn_http_t *self = conn->server;
    if (conn->fd >= 0) {
        close (conn->fd);           //  Which takes it out of the epoll set
        conn->fd = -1;
        self->connections--;
        //  An open connection is on the idle list unless busy
        if (!conn->busy)
            s_list_remove (&self->idle_head, &self->idle_tail, conn);
    }
    if (!conn->busy && !conn->ready)
        s_conn_free (conn);
}

//  Send what is kept in out; returns 0, or -1 if the connection broke
static int
s_conn_flush (s_conn_t *conn)
{
    while (conn->out_sent < conn->out_size) {
        ssize_t rc = send (conn->fd, conn->out + conn->out_sent,
                           conn->out_size - conn->out_sent, MSG_NOSIGNAL);
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;               //  EPOLLOUT's edge brings the rest
        if (rc <= 0)
            return -1;
        conn->out_sent += (size_t) rc;
    }
    conn->out_sent = conn->out_size = 0;
    return 0;
}

//  Keep size bytes of data to send later
static void
s_conn_keep (s_conn_t *conn, const char *data, size_t size)
{
    if (conn->out_size + size > conn->out_capacity) {
        size_t capacity = conn->out_capacity ? conn->out_capacity : 4096;
        while (capacity < conn->out_size + size)
            capacity *= 2;
        conn->out = (char *) realloc (conn->out, capacity);
        assert (conn->out);
        conn->out_capacity = capacity;
    }
    memcpy (conn->out + conn->out_size, data, size);
    conn->out_size += size;
}

//  Send the pieces (at once if nothing is waiting before them, else after
//  it); a broken connection is marked to close
static void
s_conn_send (s_conn_t *conn, struct iovec *pieces, int count)
{
    if (conn->fd < 0)
        return;
    size_t sent = 0;
    if (conn->out_sent == conn->out_size) {
        struct msghdr message = { 0 };
        message.msg_iov = pieces;
        message.msg_iovlen = (size_t) count;
        ssize_t rc;
        do
            rc = sendmsg (conn->fd, &message, MSG_NOSIGNAL);
        while (rc < 0 && errno == EINTR);
        if (rc < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
            conn->close_after = true;
            conn->out_sent = conn->out_size = 0;
            return;
        }
        sent = rc > 0 ? (size_t) rc : 0;
    }
    for (int i = 0; i < count; i++) {
        size_t length = pieces [i].iov_len;
        if (sent >= length) {
            sent -= length;
            continue;
        }
        s_conn_keep (conn, (const char *) pieces [i].iov_base + sent,
                     length - sent);
        sent = 0;
    }
}

//  "Date: <IMF-fixdate>\r\n" for now, made once a second
static const char *
s_date (zyn_http_t *self)
{
    time_t now = time (NULL);
    if (now != self->date_at) {
        struct tm utc;
        gmtime_r (&now, &utc);
        strftime (self->date, sizeof (self->date),
                  "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &utc);
        self->date_at = now;
    }
    return self->date;
}

//  Answer a request that cannot be served (malformed, too large a head)
//  in plain text, and close once it is out
static void
s_conn_fail (s_conn_t *conn, int status, const char *reason)
{
    char head [512];
    int length = snprintf (head, sizeof (head),
                           "HTTP/1.1 %d %s\r\n%sContent-Type: text/plain\r\n"
                           "Content-Length: %zu\r\nConnection: close\r\n\r\n"
                           "%s\n",
                           status, s_reason (status), s_date (conn->server),
                           strlen (reason) + 1, reason);
    struct iovec piece = { head, (size_t) length };
    s_conn_send (conn, &piece, 1);
    conn->close_after = true;
    conn->in_size = 0;
    conn->head_size = 0;
    conn->readable = false;
}

//  Make room for capacity bytes in conn's read buffer
static void
s_conn_reserve (s_conn_t *conn, size_t capacity)
{
    if (capacity <= conn->in_capacity)
        return;
    conn->in = (char *) realloc (conn->in, capacity);
    assert (conn->in);
    conn->in_capacity = capacity;
}

//  Call the handler for conn's exchange
static void
s_conn_dispatch (s_conn_t *conn)
{
    zyn_http_t *self = conn->server;
    conn->busy = true;
    s_list_remove (&self->idle_head, &self->idle_tail, conn);
    s_busy_push (self, conn);
    conn->exchange.conn = conn;
    conn->in_handler = true;
    self->handler (&conn->exchange, self->arg);
    conn->in_handler = false;
}

//  Take the next request from conn's buffer: returns 1 if something was
//  done (the handler called, or an error answered), 0 if more bytes are
//  needed
static int
s_conn_take (s_conn_t *conn)
{
    zyn_http_t *self = conn->server;
    zyn_http_exchange_t *exchange = &conn->exchange;
    zyn_http_head_t *head = &exchange->head;
    if (!conn->head_size) {
        long rc = zyn_http_parse_head (conn->in, conn->in_size, head);
        if (rc == 0) {
            if (conn->in_size >= ZYN_HTTP_HEAD_MAX) {
                s_conn_fail (conn, 431, "request head too large");
                return 1;
            }
            return 0;
        }
        if (rc < 0) {
            s_conn_fail (conn, head->status, head->reason);
            return 1;
        }
        conn->head_size = (size_t) rc;
        conn->continued = false;
        exchange->body = NULL;
        exchange->body_size = 0;
        exchange->too_large = false;
        if (!head->chunked && head->content_length > self->config.body_max) {
            //  Refused: the handler answers without a body; the body is
            //  read and dropped after, or the connection closes
            exchange->too_large = true;
            size_t here = conn->in_size - conn->head_size;
            if (here > head->content_length)
                here = (size_t) head->content_length;
            exchange->request_size = conn->head_size + here;
            conn->discard = head->content_length - here;
            if (head->content_length
                    > S_DISCARD_FACTOR * (uint64_t) self->config.body_max
                || head->expect_continue) {
                conn->discard = 0;
                head->keep_alive = false;
            }
            s_conn_dispatch (conn);
            return 1;
        }
        if (!head->chunked)
            s_conn_reserve (conn, conn->head_size
                                    + (size_t) head->content_length + 4096);
    }
    size_t have = conn->in_size - conn->head_size;
    char *body = conn->in + conn->head_size;
    if (head->chunked) {
        uint64_t decoded = 0;
        long rc = zyn_http_scan_chunked (body, have, self->config.body_max,
                                         &decoded);
        if (rc == -2) {
            head->keep_alive = false;
            exchange->too_large = true;
            exchange->request_size = conn->in_size;
            s_conn_dispatch (conn);
            return 1;
        }
        if (rc < 0) {
            s_conn_fail (conn, 400, "malformed chunked body");
            return 1;
        }
        if (rc == 0) {
            if (have > 2 * self->config.body_max + ZYN_HTTP_HEAD_MAX) {
                s_conn_fail (conn, 413, "chunked body too large");
                return 1;
            }
            goto more;
        }
        exchange->request_size = conn->head_size + (size_t) rc;
        exchange->body_size = zyn_http_decode_chunked (body, (size_t) rc);
        exchange->body = body;
        body [exchange->body_size] = 0;
        s_conn_dispatch (conn);
        return 1;
    }
    if (have < head->content_length)
        goto more;
    exchange->request_size = conn->head_size + (size_t) head->content_length;
    exchange->body = body;
    exchange->body_size = (size_t) head->content_length;
    s_conn_dispatch (conn);
    return 1;

more:
    if (head->expect_continue && !conn->continued) {
        conn->continued = true;
        static const char go_on [] = "HTTP/1.1 100 Continue\r\n\r\n";
        struct iovec piece = { (void *) go_on, sizeof (go_on) - 1 };
        s_conn_send (conn, &piece, 1);
    }
    return 0;
}

//  Read what the socket has into conn's buffer; returns 0, or -1 if the
//  connection closed (and may be freed)
static int
s_conn_read (s_conn_t *conn)
{
    if (conn->in_capacity - conn->in_size < 4096)
        s_conn_reserve (conn, conn->in_capacity * 2);
    size_t space = conn->in_capacity - conn->in_size;
    ssize_t rc = recv (conn->fd, conn->in + conn->in_size, space, 0);
    if (rc > 0) {
        conn->in_size += (size_t) rc;
        //  A short read took all there was: the next bytes bring an edge
        if ((size_t) rc < space)
            conn->readable = false;
        zyn_http_t *self = conn->server;
        conn->active_at = zyn_mono_msecs ();
        if (self->idle_tail != conn) {
            s_list_remove (&self->idle_head, &self->idle_tail, conn);
            s_idle_append (self, conn);
        }
        return 0;
    }
    if (rc < 0 && errno == EINTR)
        return 0;
    if (rc < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        conn->readable = false;
        return 0;
    }
    s_conn_close (conn);
    return -1;
}

//  Serve conn until it is busy or has nothing more to do. The connection
//  may be closed and freed: the caller must not touch it after.
static void
s_conn_process (s_conn_t *conn)
{
    while (!conn->busy) {
        if (conn->fd < 0) {
            s_conn_close (conn);
            return;
        }
        if (conn->close_after) {
            if (conn->out_sent == conn->out_size)
                s_conn_close (conn);
            return;
        }
        //  A client that does not read its answers gets no more of them:
        //  the next request waits until this one's answer is out
        if (conn->out_sent < conn->out_size)
            return;
        if (conn->discard) {
            size_t drop = conn->in_size < conn->discard
                        ? conn->in_size : (size_t) conn->discard;
            memmove (conn->in, conn->in + drop, conn->in_size - drop);
            conn->in_size -= drop;
            conn->discard -= drop;
            if (conn->discard) {
                if (!conn->readable || s_conn_read (conn))
                    return;
                continue;
            }
        }
        if (s_conn_take (conn))
            continue;
        if (!conn->readable || s_conn_read (conn))
            return;
    }
}

//  Accept the connections waiting, at most S_ACCEPTS
static void
s_accept (zyn_http_t *self)
{
    for (int i = 0; i < S_ACCEPTS; i++) {
        int fd = accept4 (self->listen_fd, NULL, NULL,
                          SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0 && (errno == EMFILE || errno == ENFILE)
            && self->spare_fd >= 0) {
            //  Out of descriptors: the listening socket would stay
            //  readable and the loop spin. The spare descriptor makes
            //  room to take the connection and close it at once.
            close (self->spare_fd);
            fd = accept4 (self->listen_fd, NULL, NULL, SOCK_CLOEXEC);
            if (fd >= 0)
                close (fd);
            self->spare_fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);
            if (!self->shed_logged) {
                zsys_warning ("zyn_http: out of file descriptors, "
                              "connections are closed at once");
                self->shed_logged = true;
            }
            continue;
        }
        if (fd < 0)
            return;                 //  None left
        if (self->connections >= self->config.connection_max) {
            close (fd);
            continue;
        }
        int one = 1;
        setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof (one));
        s_conn_t *conn = (s_conn_t *) zmalloc (sizeof (s_conn_t));
        conn->server = self;
        conn->fd = fd;
        conn->in_capacity = S_BUFFER_MIN;
        conn->in = (char *) malloc (conn->in_capacity);
        assert (conn->in);
        conn->active_at = zyn_mono_msecs ();
        struct epoll_event event = {
            .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
            .data.ptr = conn
        };
        if (epoll_ctl (self->epoll_fd, EPOLL_CTL_ADD, fd, &event)) {
            close (fd);
            s_conn_free (conn);
            continue;
        }
        self->connections++;
        s_idle_append (self, conn);
    }
}

//  --------------------------------------------------------------------------
//  Serve the connections accepted on listen_fd.

zyn_http_t *
zyn_http_new (int listen_fd, const zyn_http_config_t *config,
              zyn_http_handler_fn *handler, void *arg, zyn_error_t *err)
{
    assert (config);
    assert (handler);
    int epoll_fd = epoll_create1 (EPOLL_CLOEXEC);
    if (epoll_fd < 0) {
        close (listen_fd);
        zyn_error_set (err, ZYN_ERR_INTERNAL, "cannot make an epoll set: %s",
                       strerror (errno));
        return NULL;
    }
    //  Loops sharing the socket: only one of them wakes for a connection
    struct epoll_event event = { .events = EPOLLIN | EPOLLEXCLUSIVE,
                                 .data.ptr = NULL };
    if (epoll_ctl (epoll_fd, EPOLL_CTL_ADD, listen_fd, &event)) {
        zyn_error_set (err, ZYN_ERR_INTERNAL, "cannot watch the listening "
                       "socket: %s", strerror (errno));
        close (listen_fd);
        close (epoll_fd);
        return NULL;
    }
    zyn_http_t *self = (zyn_http_t *) zmalloc (sizeof (zyn_http_t));
    self->epoll_fd = epoll_fd;
    self->listen_fd = listen_fd;
    self->spare_fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);
    //  Logging starts CZMQ, which needs descriptors: start it now, not
    //  when they have run out
    zsys_init ();
    self->config = *config;
    if (self->config.connection_max <= 0)
        self->config.connection_max = 10000;
    self->handler = handler;
    self->arg = arg;
    return self;
}

//  --------------------------------------------------------------------------
//  Close every connection and the listening socket.

void
zyn_http_destroy (zyn_http_t **self_p)
{
    assert (self_p);
    zyn_http_t *self = *self_p;
    if (self) {
        //  Closed connections still on the ready list are on no other
        while (self->ready) {
            s_conn_t *conn = self->ready;
            self->ready = conn->ready_next;
            conn->ready = false;
            if (conn->fd < 0 && !conn->busy)
                s_conn_free (conn);
        }
        s_conn_t *lists [2] = { self->idle_head, self->busy };
        for (int i = 0; i < 2; i++)
            while (lists [i]) {
                s_conn_t *conn = lists [i];
                lists [i] = conn->next;
                if (conn->fd >= 0) {
                    if (conn->out_sent < conn->out_size)
                        s_conn_flush (conn);
                    close (conn->fd);
                }
                s_conn_free (conn);
            }
        close (self->listen_fd);
        close (self->epoll_fd);
        if (self->spare_fd >= 0)
            close (self->spare_fd);
        free (self);
        *self_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  The epoll descriptor to wait on.

int
zyn_http_fd (zyn_http_t *self)
{
    assert (self);
    return self->epoll_fd;
}

//  --------------------------------------------------------------------------
//  Do what is ready, without waiting.

void
zyn_http_run (zyn_http_t *self)
{
    assert (self);
    //  Connections that answered since: their next request, or close
    while (self->ready) {
        s_conn_t *conn = self->ready;
        self->ready = conn->ready_next;
        conn->ready = false;
        s_conn_process (conn);
    }
    struct epoll_event events [S_EVENTS];
    int count = epoll_wait (self->epoll_fd, events, S_EVENTS, 0);
    for (int i = 0; i < count; i++) {
        s_conn_t *conn = (s_conn_t *) events [i].data.ptr;
        if (!conn) {
            s_accept (self);
            continue;
        }
        uint32_t flags = events [i].events;
        if (flags & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
            conn->readable = true;
        if ((flags & (EPOLLOUT | EPOLLHUP | EPOLLERR))
            && conn->out_sent < conn->out_size && s_conn_flush (conn)) {
            conn->out_sent = conn->out_size = 0;
            conn->close_after = true;
        }
        if (conn->busy) {
            //  Nothing is read until the answer; a client gone away
            //  makes the connection a zombie
            if ((flags & (EPOLLHUP | EPOLLERR))
                || (conn->close_after && conn->out_sent == conn->out_size))
                s_conn_close (conn);
            continue;
        }
        s_conn_process (conn);
    }
    //  Idle connections past their time
    if (self->config.idle_ms > 0) {
        int64_t now = zyn_mono_msecs ();
        while (self->idle_head
               && now - self->idle_head->active_at >= self->config.idle_ms
               && !self->idle_head->ready)
            s_conn_close (self->idle_head);
    }
}

//  --------------------------------------------------------------------------
//  Msecs until zyn_http_run must run again, or -1.

long
zyn_http_timeout (zyn_http_t *self)
{
    assert (self);
    if (self->ready)
        return 0;
    if (!self->idle_head || self->config.idle_ms <= 0)
        return -1;
    int64_t left = self->idle_head->active_at + self->config.idle_ms
                 - zyn_mono_msecs ();
    return left > 0 ? (long) left : 0;
}

//  --------------------------------------------------------------------------
//  The connections open now.

int
zyn_http_connections (zyn_http_t *self)
{
    assert (self);
    return self->connections;
}

//  --------------------------------------------------------------------------
//  The exchange's request.

const char *
zyn_http_method (zyn_http_exchange_t *exchange)
{
    assert (exchange);
    return exchange->head.method;
}

const char *
zyn_http_target (zyn_http_exchange_t *exchange)
{
    assert (exchange);
    return exchange->head.target;
}

const char *
zyn_http_header (zyn_http_exchange_t *exchange, const char *name)
{
    assert (exchange);
    const zyn_http_head_t *head = &exchange->head;
    //  Names that differ in their first letter (in any case) are passed
    //  over without a call: most lookups are of names a request lacks
    unsigned char first = (unsigned char) name [0] | 0x20;
    for (int i = 0; i < head->field_count; i++) {
        const char *field = head->fields [i].name;
        if (((unsigned char) field [0] | 0x20) == first
            && strcasecmp (field, name) == 0)
            return head->fields [i].value;
    }
    return NULL;
}

const char *
zyn_http_body (zyn_http_exchange_t *exchange, size_t *size)
{
    assert (exchange);
    if (size)
        *size = exchange->body_size;
    return exchange->body;
}

bool
zyn_http_too_large (zyn_http_exchange_t *exchange)
{
    assert (exchange);
    return exchange->too_large;
}

//  --------------------------------------------------------------------------
//  Answer the exchange.

void
zyn_http_respond (zyn_http_exchange_t *exchange, int status,
                  const char *headers, const void *body, size_t size)
{
    assert (exchange);
    s_conn_t *conn = exchange->conn;
    assert (conn && conn->busy);
    zyn_http_t *self = conn->server;
    s_list_remove (&self->busy, NULL, conn);
    conn->busy = false;
    if (conn->fd < 0) {
        //  The client went away while the handler had its request
        if (!conn->ready)
            s_conn_free (conn);
        return;
    }
    bool closing = !exchange->head.keep_alive || conn->close_after;
    //  The status line, Date, Content-Length and maybe Connection, put
    //  together without printf (one of these per request)
    assert (status >= 100 && status <= 999);
    char head [256] = "HTTP/1.1 ";
    size_t length = 9;
    head [length++] = (char) ('0' + status / 100);
    head [length++] = (char) ('0' + status / 10 % 10);
    head [length++] = (char) ('0' + status % 10);
    head [length++] = ' ';
    zyn_text_put (head, &length, s_reason (status));
    zyn_text_put (head, &length, "\r\n");
    zyn_text_put (head, &length, s_date (self));
    zyn_text_put (head, &length, "Content-Length: ");
    char digits [ZYN_U64_TEXT];
    zyn_text_put (head, &length, zyn_u64_text (digits, size));
    //  An HTTP/1.0 client keeps the connection only if told so
    zyn_text_put (head, &length,
                  closing ? "\r\nConnection: close\r\n"
                  : exchange->head.minor == 0
                  ? "\r\nConnection: keep-alive\r\n" : "\r\n");
    assert (length < sizeof (head));
    bool head_only = streq (exchange->head.method, "HEAD");
    struct iovec pieces [4] = {
        { head, length },
        { (void *) (headers ? headers : ""), headers ? strlen (headers) : 0 },
        { (void *) "\r\n", 2 },
        { (void *) body, head_only ? 0 : size }
    };
    s_conn_send (conn, pieces, 4);
    if (closing)
        conn->close_after = true;
    //  The request's bytes are done with; a pipelined one moves up
    size_t used = exchange->request_size;
    assert (used <= conn->in_size);
    memmove (conn->in, conn->in + used, conn->in_size - used);
    conn->in_size -= used;
    conn->head_size = 0;
    if (conn->in_capacity > 4 * S_BUFFER_MIN && conn->in_size < S_BUFFER_MIN) {
        conn->in = (char *) realloc (conn->in, S_BUFFER_MIN);
        assert (conn->in);
        conn->in_capacity = S_BUFFER_MIN;
    }
    conn->active_at = zyn_mono_msecs ();
    s_idle_append (self, conn);
    if (!conn->in_handler && !conn->ready) {
        //  The next zyn_http_run reads on
        conn->ready = true;
        conn->ready_next = self->ready;
        self->ready = conn;
    }
}

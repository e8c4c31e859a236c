/*  =========================================================================
    zyn_bench_http - a minimal keep-alive HTTP/1.1 client for DynamoDB's
    JSON API, with AWS Signature Version 4

    SigV4 as AWS documents it: a canonical request (method, path, query,
    signed headers, hex SHA-256 of the payload), a string to sign with the
    credential scope date/region/service/aws4_request, and a signing key
    derived by HMAC-SHA256 from "AWS4" + secret over date, region, service
    and "aws4_request".
    =========================================================================
*/

#include "zyn_prelude.h"
#include "zyn_bench_http.h"

#define TARGET_PREFIX "DynamoDB_20120810."
#define CONTENT_TYPE "application/x-amz-json-1.0"
#define HEADERS_MAX 65536

struct _zyn_bench_http_t {
    char host [256];                //  "host:port", for Host and signing
    char *region;                   //  Owned
    char *access_key;               //  Owned
    char *secret_key;               //  Owned
    struct sockaddr_storage address;
    socklen_t address_size;
    int fd;                         //  -1 when not connected
    bool reused;                    //  fd has served a request already
    size_t request_size;            //  The request in send_buffer
    size_t received;                //  Bytes of the response so far
    uint64_t connections;           //  Connections made so far
    zyn_bench_sigv4_key_t signing_key;  //  Derived once a day
    time_t date_at;                 //  The second amz_date was made for
    char amz_date [32];             //  "YYYYMMDDTHHMMSSZ" of date_at
    char *send_buffer;              //  Owned, grows
    size_t send_capacity;
    char *recv_buffer;              //  Owned, grows
    size_t recv_capacity;
};

//  Hex of size bytes of data into out (2 * size + 1 bytes)
static void
s_hex (const uint8_t *data, size_t size, char *out)
{
    static const char digits [] = "0123456789abcdef";
    for (size_t i = 0; i < size; i++) {
        out [2 * i] = digits [data [i] >> 4];
        out [2 * i + 1] = digits [data [i] & 15];
    }
    out [2 * size] = 0;
}

static void
s_hmac (uint8_t *out, const uint8_t *key, size_t key_size, const char *data,
        size_t data_size)
{
    crypto_auth_hmacsha256_state state;
    crypto_auth_hmacsha256_init (&state, key, key_size);
    crypto_auth_hmacsha256_update (&state, (const unsigned char *) data,
                                   data_size);
    crypto_auth_hmacsha256_final (&state, out);
}

//  Append the texts that follow (up to a NULL) to buffer (size bytes) at
//  *length, keeping it NUL-terminated. Returns false, with buffer left
//  as it was, if they do not fit. (Requests are built per call: this is
//  what snprintf cost most of.)
static bool
s_append (char *buffer, size_t size, size_t *length, ...)
{
    va_list args;
    va_start (args, length);
    size_t at = *length;
    const char *text;
    bool fits = true;
    while ((text = va_arg (args, const char *))) {
        size_t text_size = strlen (text);
        if (at + text_size >= size) {
            fits = false;
            break;
        }
        memcpy (buffer + at, text, text_size);
        at += text_size;
    }
    va_end (args);
    if (!fits) {
        if (*length < size)
            buffer [*length] = 0;
        return false;
    }
    buffer [at] = 0;
    *length = at;
    return true;
}

//  --------------------------------------------------------------------------
//  The Authorization header value of AWS Signature Version 4.

int
zyn_bench_sigv4 (char *authorization, size_t size, const char *method,
                 const char *path, const char *const *header_names,
                 const char *const *header_values, int header_count,
                 const void *payload, size_t payload_size,
                 const char *access_key, const char *secret_key,
                 const char *region, const char *service,
                 const char *amz_date, zyn_bench_sigv4_key_t *cache)
{
    uint8_t digest [crypto_hash_sha256_BYTES];
    char payload_hash [2 * crypto_hash_sha256_BYTES + 1];
    crypto_hash_sha256 (digest, (const unsigned char *) payload, payload_size);
    s_hex (digest, sizeof (digest), payload_hash);

    //  Canonical request: method, path, (empty) query, headers, signed
    //  header list, payload hash
    char canonical [4096];
    char signed_headers [512];
    size_t length = 0, signed_length = 0;
    if (!s_append (canonical, sizeof (canonical), &length, method, "\n",
                   path, "\n\n", NULL))
        return -1;
    signed_headers [0] = 0;
    for (int i = 0; i < header_count; i++)
        if (!s_append (canonical, sizeof (canonical), &length,
                       header_names [i], ":", header_values [i], "\n", NULL)
            || !s_append (signed_headers, sizeof (signed_headers),
                          &signed_length, i ? ";" : "", header_names [i],
                          NULL))
            return -1;
    if (!s_append (canonical, sizeof (canonical), &length, "\n",
                   signed_headers, "\n", payload_hash, NULL))
        return -1;

    char canonical_hash [2 * crypto_hash_sha256_BYTES + 1];
    crypto_hash_sha256 (digest, (const unsigned char *) canonical, length);
    s_hex (digest, sizeof (digest), canonical_hash);

    char date [9];
    size_t date_size = strnlen (amz_date, 8);
    memcpy (date, amz_date, date_size);
    date [date_size] = 0;
    char scope [256];
    size_t scope_length = 0;
    if (!s_append (scope, sizeof (scope), &scope_length, date, "/", region,
                   "/", service, "/aws4_request", NULL))
        return -1;
    char to_sign [1024];
    size_t to_sign_length = 0;
    if (!s_append (to_sign, sizeof (to_sign), &to_sign_length,
                   "AWS4-HMAC-SHA256\n", amz_date, "\n", scope, "\n",
                   canonical_hash, NULL))
        return -1;

    //  The key depends on the scope and the secret only
    uint8_t key [crypto_auth_hmacsha256_BYTES];
    char key_scope [sizeof (cache->scope)];
    size_t key_scope_length = 0;
    bool keepable = s_append (key_scope, sizeof (key_scope),
                              &key_scope_length, scope, "/", secret_key,
                              NULL);
    if (cache && keepable && streq (cache->scope, key_scope))
        memcpy (key, cache->key, sizeof (key));
    else {
        char secret [256];
        size_t secret_length = 0;
        if (!s_append (secret, sizeof (secret), &secret_length, "AWS4",
                       secret_key, NULL))
            return -1;
        s_hmac (key, (const uint8_t *) secret, secret_length, date,
                date_size);
        s_hmac (key, key, sizeof (key), region, strlen (region));
        s_hmac (key, key, sizeof (key), service, strlen (service));
        s_hmac (key, key, sizeof (key), "aws4_request", 12);
        if (cache && keepable) {
            memcpy (cache->scope, key_scope, key_scope_length + 1);
            memcpy (cache->key, key, sizeof (key));
        }
    }
    uint8_t signature [crypto_auth_hmacsha256_BYTES];
    s_hmac (signature, key, sizeof (key), to_sign, to_sign_length);
    char signature_hex [2 * crypto_auth_hmacsha256_BYTES + 1];
    s_hex (signature, sizeof (signature), signature_hex);

    size_t written = 0;
    return s_append (authorization, size, &written,
                     "AWS4-HMAC-SHA256 Credential=", access_key, "/", scope,
                     ", SignedHeaders=", signed_headers, ", Signature=",
                     signature_hex, NULL) ? 0 : -1;
}

//  --------------------------------------------------------------------------
//  Format a whole DynamoDB request into buffer.

int
zyn_bench_http_format (char *buffer, size_t size, const char *host,
                       const char *operation, const char *body,
                       size_t body_size, const char *access_key,
                       const char *secret_key, const char *region,
                       const char *amz_date, zyn_bench_sigv4_key_t *cache)
{
    char target [128];
    size_t target_length = 0;
    if (!s_append (target, sizeof (target), &target_length, TARGET_PREFIX,
                   operation, NULL))
        return -1;
    const char *names []
        = { "content-type", "host", "x-amz-date", "x-amz-target" };
    const char *values [] = { CONTENT_TYPE, host, amz_date, target };
    char authorization [512];
    if (zyn_bench_sigv4 (authorization, sizeof (authorization), "POST", "/",
                         names, values, 4, body, body_size, access_key,
                         secret_key, region, "dynamodb", amz_date, cache))
        return -1;
    char digits [ZYN_U64_TEXT];
    const char *number = zyn_u64_text (digits, body_size);
    size_t length = 0;
    if (!s_append (buffer, size, &length, "POST / HTTP/1.1\r\nHost: ", host,
                   "\r\nContent-Type: " CONTENT_TYPE "\r\nX-Amz-Date: ",
                   amz_date, "\r\nX-Amz-Target: ", target,
                   "\r\nAuthorization: ", authorization,
                   "\r\nContent-Length: ", number, "\r\n\r\n", NULL)
        || length + body_size >= size)
        return -1;
    memcpy (buffer + length, body, body_size);
    return (int) (length + body_size);
}

//  True if the header line at line (length bytes) is name (lower-case,
//  with its colon), case-insensitively; sets *value to what follows
static bool
s_header_is (const char *line, size_t length, const char *name,
             const char **value, size_t *value_size)
{
    size_t name_size = strlen (name);
    if (length < name_size || strncasecmp (line, name, name_size) != 0)
        return false;
    const char *start = line + name_size;
    const char *end = line + length;
    while (start < end && (*start == ' ' || *start == '\t'))
        start++;
    *value = start;
    *value_size = (size_t) (end - start);
    return true;
}

static bool
s_contains (const char *value, size_t size, const char *word)
{
    size_t word_size = strlen (word);
    for (size_t i = 0; i + word_size <= size; i++)
        if (strncasecmp (value + i, word, word_size) == 0)
            return true;
    return false;
}

//  --------------------------------------------------------------------------
//  Parse one HTTP response at the start of data.

long
zyn_bench_http_parse (char *data, size_t size, int *status,
                      size_t *body_offset, size_t *body_size, bool *close)
{
    const char *end = (const char *) memmem (data, size, "\r\n\r\n", 4);
    if (!end)
        return size > HEADERS_MAX ? -1 : 0;
    size_t header_size = (size_t) (end - data) + 4;
    if (size < 12 || memcmp (data, "HTTP/1.", 7) != 0 || data [8] != ' '
        || !isdigit ((unsigned char) data [9])
        || !isdigit ((unsigned char) data [10])
        || !isdigit ((unsigned char) data [11]))
        return -1;
    *status = (data [9] - '0') * 100 + (data [10] - '0') * 10
            + (data [11] - '0');
    //  HTTP/1.0 closes unless told otherwise
    *close = data [7] == '0';
    bool chunked = false;
    bool has_length = false;
    size_t content_length = 0;
    const char *line = (const char *) memchr (data, '\n', header_size) + 1;
    while (line < end) {
        const char *line_end
            = (const char *) memchr (line, '\r', (size_t) (end + 2 - line));
        size_t length = (size_t) (line_end - line);
        const char *value;
        size_t value_size;
        if (s_header_is (line, length, "content-length:", &value,
                         &value_size)) {
            content_length = 0;
            for (size_t i = 0; i < value_size && isdigit ((unsigned char) value [i]);
                 i++)
                content_length = content_length * 10 + (size_t) (value [i] - '0');
            has_length = true;
        }
        else
        if (s_header_is (line, length, "transfer-encoding:", &value,
                         &value_size))
            chunked = s_contains (value, value_size, "chunked");
        else
        if (s_header_is (line, length, "connection:", &value, &value_size)) {
            if (s_contains (value, value_size, "close"))
                *close = true;
            else
            if (s_contains (value, value_size, "keep-alive"))
                *close = false;
        }
        line = line_end + 2;
    }
    *body_offset = header_size;
    if (chunked) {
        //  First make sure every chunk is here, then decode in place
        size_t position = header_size;
        size_t decoded = 0;
        while (true) {
            const char *crlf = (const char *) memmem (data + position,
                                                      size - position, "\r\n", 2);
            if (!crlf)
                return 0;
            char *hex_end = NULL;
            unsigned long chunk = strtoul (data + position, &hex_end, 16);
            if (hex_end == data + position)
                return -1;
            position = (size_t) (crlf - data) + 2;
            if (chunk == 0) {
                //  Trailer lines, then an empty line
                while (true) {
                    const char *next = (const char *) memmem (
                        data + position, size - position, "\r\n", 2);
                    if (!next)
                        return 0;
                    bool empty = next == data + position;
                    position = (size_t) (next - data) + 2;
                    if (empty)
                        break;
                }
                break;
            }
            if (size - position < chunk + 2)
                return 0;
            position += chunk + 2;
            decoded += chunk;
        }
        size_t total = position;
        size_t read_at = header_size, write_at = header_size;
        while (true) {
            char *hex_end = NULL;
            unsigned long chunk = strtoul (data + read_at, &hex_end, 16);
            const char *crlf = (const char *) memmem (data + read_at,
                                                      total - read_at, "\r\n", 2);
            read_at = (size_t) (crlf - data) + 2;
            if (chunk == 0)
                break;
            memmove (data + write_at, data + read_at, chunk);
            write_at += chunk;
            read_at += chunk + 2;
        }
        *body_size = decoded;
        return (long) total;
    }
    if (!has_length) {
        if (*status == 204 || *status == 304 || *status < 200) {
            *body_size = 0;
            return (long) header_size;
        }
        return -1;
    }
    if (size - header_size < content_length)
        return 0;
    *body_size = content_length;
    return (long) (header_size + content_length);
}

//  --------------------------------------------------------------------------
//  Create a client for endpoint.

zyn_bench_http_t *
zyn_bench_http_new (const char *endpoint, const char *region,
                    const char *access_key, const char *secret_key,
                    zyn_error_t *err)
{
    if (!endpoint || strncmp (endpoint, "http://", 7) != 0) {
        zyn_error_set (err, ZYN_ERR_VALIDATION,
                       "endpoint '%s' is not http://host:port",
                       endpoint ? endpoint : "");
        return NULL;
    }
    char host [256];
    snprintf (host, sizeof (host), "%s", endpoint + 7);
    char *slash = strchr (host, '/');
    if (slash)
        *slash = 0;
    char name [256];
    snprintf (name, sizeof (name), "%s", host);
    const char *port = "80";
    char *colon = strrchr (name, ':');
    if (colon) {
        *colon = 0;
        port = colon + 1;
    }
    struct addrinfo hints = { 0 };
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    struct addrinfo *found = NULL;
    if (getaddrinfo (name, port, &hints, &found) != 0 || !found) {
        zyn_error_set (err, ZYN_ERR_VALIDATION, "cannot resolve '%s'", host);
        return NULL;
    }
    zyn_bench_http_t *self
        = (zyn_bench_http_t *) zmalloc (sizeof (zyn_bench_http_t));
    snprintf (self->host, sizeof (self->host), "%s", host);
    memcpy (&self->address, found->ai_addr, found->ai_addrlen);
    self->address_size = found->ai_addrlen;
    freeaddrinfo (found);
    self->region = strdup (region);
    self->access_key = strdup (access_key);
    self->secret_key = strdup (secret_key);
    self->fd = -1;
    self->send_capacity = 4096;
    self->send_buffer = (char *) zmalloc (self->send_capacity);
    self->recv_capacity = 16384;
    self->recv_buffer = (char *) zmalloc (self->recv_capacity);
    return self;
}

//  --------------------------------------------------------------------------
//  Close the connection and free the client.

void
zyn_bench_http_destroy (zyn_bench_http_t **self_p)
{
    assert (self_p);
    zyn_bench_http_t *self = *self_p;
    if (self) {
        if (self->fd >= 0)
            close (self->fd);
        free (self->region);
        free (self->access_key);
        free (self->secret_key);
        free (self->send_buffer);
        free (self->recv_buffer);
        free (self);
        *self_p = NULL;
    }
}

static int
s_connect (zyn_bench_http_t *self, zyn_error_t *err)
{
    self->fd = socket (self->address.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (self->fd < 0)
        return zyn_error_set (err, ZYN_ERR_SERVICE_UNAVAILABLE, "socket: %s",
                              strerror (errno));
    if (connect (self->fd, (struct sockaddr *) &self->address,
                 self->address_size)
        != 0) {
        zyn_error_set (err, ZYN_ERR_SERVICE_UNAVAILABLE,
                       "cannot connect to %s: %s", self->host,
                       strerror (errno));
        close (self->fd);
        self->fd = -1;
        return -1;
    }
    int one = 1;
    setsockopt (self->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof (one));
    self->reused = false;
    self->connections++;
    return 0;
}

static void
s_disconnect (zyn_bench_http_t *self)
{
    if (self->fd >= 0)
        close (self->fd);
    self->fd = -1;
}

//  Send the request in send_buffer. Returns 0, -1 on a failure, or -2 if
//  a reused connection turned out closed (retry once)
static int
s_send (zyn_bench_http_t *self, zyn_error_t *err)
{
    size_t sent = 0;
    self->received = 0;
    while (sent < self->request_size) {
        ssize_t rc = send (self->fd, self->send_buffer + sent,
                           self->request_size - sent, MSG_NOSIGNAL);
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc <= 0) {
            int reason = errno;
            s_disconnect (self);
            if (self->reused && sent == 0)
                return -2;
            return zyn_error_set (err, ZYN_ERR_SERVICE_UNAVAILABLE,
                                  "send to %s: %s", self->host,
                                  strerror (reason));
        }
        sent += (size_t) rc;
    }
    return 0;
}

//  Connect if needed and send the request in send_buffer, once more on
//  a new connection if a reused one was closed. Returns 0 or -1.
static int
s_start (zyn_bench_http_t *self, zyn_error_t *err)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        if (self->fd < 0 && s_connect (self, err))
            return -1;
        int rc = s_send (self, err);
        if (rc != -2)
            return rc;
    }
    return zyn_error_set (err, ZYN_ERR_SERVICE_UNAVAILABLE,
                          "%s closed the connection", self->host);
}

//  Read what has come of the response, waiting for data if wait. Returns
//  the status once it is whole, 0 if not yet, -1 on a failure, or -2 if
//  a reused connection turned out closed before any of it came
static int
s_read (zyn_bench_http_t *self, bool wait, const char **response,
        size_t *response_size, zyn_error_t *err)
{
    while (true) {
        if (self->recv_capacity - self->received < 4096) {
            self->recv_capacity *= 2;
            self->recv_buffer
                = (char *) realloc (self->recv_buffer, self->recv_capacity);
            assert (self->recv_buffer);
        }
        ssize_t rc = recv (self->fd, self->recv_buffer + self->received,
                           self->recv_capacity - self->received - 1,
                           wait ? 0 : MSG_DONTWAIT);
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc < 0 && !wait && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        if (rc <= 0) {
            int reason = rc == 0 ? ECONNRESET : errno;
            s_disconnect (self);
            if (self->reused && self->received == 0)
                return -2;
            return zyn_error_set (err, ZYN_ERR_SERVICE_UNAVAILABLE,
                                  "receive from %s: %s", self->host,
                                  strerror (reason));
        }
        self->received += (size_t) rc;
        int status = 0;
        size_t body_offset = 0, body_size = 0;
        bool closing = false;
        long taken = zyn_bench_http_parse (self->recv_buffer, self->received,
                                           &status, &body_offset, &body_size,
                                           &closing);
        if (taken < 0) {
            s_disconnect (self);
            return zyn_error_set (err, ZYN_ERR_SERVICE_UNAVAILABLE,
                                  "malformed HTTP response from %s",
                                  self->host);
        }
        if (taken > 0) {
            self->recv_buffer [body_offset + body_size] = 0;
            *response = self->recv_buffer + body_offset;
            *response_size = body_size;
            self->reused = true;
            self->received = 0;
            if (closing)
                s_disconnect (self);
            return status;
        }
    }
}

//  --------------------------------------------------------------------------
//  Start a DynamoDB request.

int
zyn_bench_http_send (zyn_bench_http_t *self, const char *operation,
                     const char *body, size_t size, zyn_error_t *err)
{
    assert (self);
    size_t needed = size + 2048;
    if (self->send_capacity < needed) {
        self->send_capacity = needed * 2;
        self->send_buffer
            = (char *) realloc (self->send_buffer, self->send_capacity);
        assert (self->send_buffer);
    }
    time_t now = time (NULL);
    if (now != self->date_at || !self->amz_date [0]) {
        struct tm utc;
        gmtime_r (&now, &utc);
        strftime (self->amz_date, sizeof (self->amz_date), "%Y%m%dT%H%M%SZ",
                  &utc);
        self->date_at = now;
    }
    int length = zyn_bench_http_format (
        self->send_buffer, self->send_capacity, self->host, operation, body,
        size, self->access_key, self->secret_key, self->region,
        self->amz_date, &self->signing_key);
    if (length < 0)
        return zyn_error_set (err, ZYN_ERR_VALIDATION, "request too large");
    self->request_size = (size_t) length;
    return s_start (self, err);
}

//  --------------------------------------------------------------------------
//  Read the response to the request sent.

int
zyn_bench_http_receive (zyn_bench_http_t *self, bool wait,
                        const char **response, size_t *response_size,
                        zyn_error_t *err)
{
    assert (self);
    if (self->fd < 0)
        return zyn_error_set (err, ZYN_ERR_SERVICE_UNAVAILABLE,
                              "no request in flight to %s", self->host);
    int status = s_read (self, wait, response, response_size, err);
    if (status == -2) {
        //  The server had closed the kept-alive connection: once more on
        //  a new one, never again on that one
        self->reused = false;
        if (s_start (self, err))
            return -1;
        status = s_read (self, wait, response, response_size, err);
        if (status == -2)
            return zyn_error_set (err, ZYN_ERR_SERVICE_UNAVAILABLE,
                                  "%s closed the connection", self->host);
    }
    return status;
}

//  --------------------------------------------------------------------------
//  Close the connection, dropping what is in flight on it.

void
zyn_bench_http_close (zyn_bench_http_t *self)
{
    assert (self);
    s_disconnect (self);
    self->received = 0;
    self->reused = false;
}

//  --------------------------------------------------------------------------
//  The connection's socket, or -1, and which connection it is.

int
zyn_bench_http_fd (zyn_bench_http_t *self, uint64_t *connection)
{
    assert (self);
    if (connection)
        *connection = self->connections;
    return self->fd;
}

//  --------------------------------------------------------------------------
//  POST a DynamoDB request and wait for its response.

int
zyn_bench_http_post (zyn_bench_http_t *self, const char *operation,
                     const char *body, size_t size, const char **response,
                     size_t *response_size, zyn_error_t *err)
{
    if (zyn_bench_http_send (self, operation, body, size, err))
        return -1;
    return zyn_bench_http_receive (self, true, response, response_size, err);
}

/*  =========================================================================
    check_zyn_wire - Check suite for zyn_wire

    Frames over real Unix stream sockets: byte-exact round trips of sizes
    from empty to a megabyte, the octets a frame makes on the socket,
    frames cut at every octet, lengths over the limit, a peer that closes,
    a peer that does not read (backpressure) and a peer gone while
    writing; and the endpoint helpers on abstract and file sockets, with
    the endpoints they refuse.
    =========================================================================
*/

#include "zyn_prelude.h"
#include "zyn_wire.h"
#include "../tests/zyn_testutil.h"

//  Every poll in this suite gives up after this long
#define S_POLL_MS 10000

//  Fill size octets with a pattern that differs per seed and per offset,
//  so a frame swapped, shifted or cut does not compare equal
static void
s_fill (uint8_t *data, size_t size, uint32_t seed)
{
    uint32_t state = seed * 2654435761U + 1;
    for (size_t i = 0; i < size; i++) {
        state = state * 1103515245U + 12345U;
        data [i] = (uint8_t) (state >> 16);
    }
}

//  Check a frame is size octets of the pattern for seed
static void
s_expect (const uint8_t *frame, size_t got, size_t size, uint32_t seed)
{
    ck_assert_uint_eq (got, size);
    uint8_t *expected = (uint8_t *) malloc (size ? size : 1);
    s_fill (expected, size, seed);
    if (size)
        ck_assert_int_eq (memcmp (frame, expected, size), 0);
    free (expected);
}

//  A connected pair: a wire on one end, the other end raw (blocking)
static zyn_wire_t *
s_pair (int *raw)
{
    int fds [2];
    ck_assert_int_eq (socketpair (AF_UNIX, SOCK_STREAM, 0, fds), 0);
    *raw = fds [1];
    return zyn_wire_new (fds [0]);
}

//  Write size octets to a raw blocking socket
static void
s_write_raw (int fd, const void *data, size_t size)
{
    const uint8_t *octets = (const uint8_t *) data;
    while (size) {
        ssize_t sent = write (fd, octets, size);
        ck_assert_int_gt (sent, 0);
        octets += sent;
        size -= (size_t) sent;
    }
}

//  Reserve one frame of size octets, filled with the pattern for seed
static void
s_reserve (zyn_wire_t *wire, size_t size, uint32_t seed)
{
    uint8_t *frame = zyn_wire_reserve (wire, size);
    ck_assert_ptr_nonnull (frame);
    s_fill (frame, size, seed);
}

//  Move the writer's output to the reader, polling both, until the
//  reader has taken count frames; frame i must be sizes [i] octets of the
//  pattern for seed i. Ends with nothing pending and nothing more to read.
static void
s_pump (zyn_wire_t *writer, zyn_wire_t *reader, const size_t *sizes,
        size_t count)
{
    size_t taken = 0;
    while (taken < count) {
        struct pollfd items [2] = {
            { zyn_wire_fd (writer), zyn_wire_pending (writer) ? POLLOUT : 0,
              0 },
            { zyn_wire_fd (reader), POLLIN, 0 }
        };
        ck_assert_int_gt (poll (items, 2, S_POLL_MS), 0);
        if (items [0].revents & POLLOUT) {
            int rc = zyn_wire_write (writer);
            ck_assert (rc == 0 || rc == 1);
            ck_assert_int_eq (rc == 0, zyn_wire_pending (writer) == 0);
        }
        if (items [1].revents & POLLIN) {
            ck_assert_int_eq (zyn_wire_read (reader), 1);
            const uint8_t *frame;
            size_t size;
            while (zyn_wire_next (reader, &frame, &size) == 1) {
                ck_assert_uint_lt (taken, count);
                s_expect (frame, size, sizes [taken], (uint32_t) taken);
                taken++;
            }
        }
        ck_assert_int_eq (items [0].revents & (POLLERR | POLLHUP), 0);
        ck_assert_int_eq (items [1].revents & (POLLERR | POLLHUP), 0);
    }
    ck_assert_uint_eq (zyn_wire_pending (writer), 0);
    ck_assert_int_eq (zyn_wire_write (writer), 0);
    const uint8_t *frame;
    size_t size;
    ck_assert_int_eq (zyn_wire_next (reader, &frame, &size), 0);
    ck_assert_int_eq (zyn_wire_read (reader), 0);
}

START_TEST (test_lifecycle)
{
    int fds [2];
    ck_assert_int_eq (socketpair (AF_UNIX, SOCK_STREAM, 0, fds), 0);
    ck_assert_int_eq (fcntl (fds [0], F_GETFL, 0) & O_NONBLOCK, 0);
    zyn_wire_t *wire = zyn_wire_new (fds [0]);
    ck_assert_ptr_nonnull (wire);
    ck_assert_int_eq (zyn_wire_fd (wire), fds [0]);
    ck_assert_int_ne (fcntl (fds [0], F_GETFL, 0) & O_NONBLOCK, 0);
    ck_assert_uint_eq (zyn_wire_pending (wire), 0);
    //  Nothing to write, nothing to read
    ck_assert_int_eq (zyn_wire_write (wire), 0);
    ck_assert_int_eq (zyn_wire_read (wire), 0);
    const uint8_t *frame = NULL;
    size_t size = 99;
    ck_assert_int_eq (zyn_wire_next (wire, &frame, &size), 0);
    ck_assert_ptr_null (frame);
    ck_assert_uint_eq (size, 99);
    //  Destroy closes the socket: the peer reads the end
    zyn_wire_destroy (&wire);
    ck_assert_ptr_null (wire);
    zyn_wire_destroy (&wire);
    errno = 0;
    ck_assert_int_eq (fcntl (fds [0], F_GETFD), -1);
    ck_assert_int_eq (errno, EBADF);
    struct pollfd item = { fds [1], POLLIN, 0 };
    ck_assert_int_eq (poll (&item, 1, S_POLL_MS), 1);
    char octet;
    ck_assert_int_eq (read (fds [1], &octet, 1), 0);
    close (fds [1]);
}
END_TEST

START_TEST (test_encoding)
{
    //  The octets on the socket: a big-endian length, then the frame
    int raw;
    zyn_wire_t *wire = s_pair (&raw);
    memcpy (zyn_wire_reserve (wire, 3), "abc", 3);
    zyn_wire_reserve (wire, 0);
    uint8_t *frame = zyn_wire_reserve (wire, 0x010203);
    memset (frame, 0x5a, 0x010203);
    ck_assert_uint_eq (zyn_wire_pending (wire), 4 + 3 + 4 + 4 + 0x010203);
    size_t total = zyn_wire_pending (wire);
    uint8_t *got = (uint8_t *) malloc (total);
    size_t held = 0;
    while (held < total) {
        int rc = zyn_wire_write (wire);
        ck_assert (rc == 0 || rc == 1);
        ssize_t size = read (raw, got + held, total - held);
        ck_assert_int_gt (size, 0);
        held += (size_t) size;
    }
    ck_assert_int_eq (zyn_wire_write (wire), 0);
    ck_assert_uint_eq (zyn_wire_pending (wire), 0);
    ck_assert_int_eq (memcmp (got, "\x00\x00\x00\x03" "abc"
                                   "\x00\x00\x00\x00"
                                   "\x00\x01\x02\x03", 15), 0);
    for (size_t i = 15; i < total; i++)
        ck_assert_uint_eq (got [i], 0x5a);
    free (got);

    //  And raw octets in, frames out
    s_write_raw (raw, "\x00\x00\x00\x05" "hello" "\x00\x00\x00\x00"
                      "\x00\x00\x01\x00", 17);
    uint8_t long_frame [256];
    s_fill (long_frame, sizeof (long_frame), 7);
    s_write_raw (raw, long_frame, sizeof (long_frame));
    ck_assert_int_eq (zyn_wire_read (wire), 1);
    const uint8_t *taken;
    size_t size;
    ck_assert_int_eq (zyn_wire_next (wire, &taken, &size), 1);
    ck_assert_uint_eq (size, 5);
    ck_assert_mem_eq (taken, "hello", 5);
    ck_assert_int_eq (zyn_wire_next (wire, &taken, &size), 1);
    ck_assert_uint_eq (size, 0);
    ck_assert_int_eq (zyn_wire_next (wire, &taken, &size), 1);
    s_expect (taken, size, 256, 7);
    ck_assert_int_eq (zyn_wire_next (wire, &taken, &size), 0);
    zyn_wire_destroy (&wire);
    close (raw);
}
END_TEST

START_TEST (test_round_trip)
{
    int fds [2];
    ck_assert_int_eq (socketpair (AF_UNIX, SOCK_STREAM, 0, fds), 0);
    zyn_wire_t *writer = zyn_wire_new (fds [0]);
    zyn_wire_t *reader = zyn_wire_new (fds [1]);
    //  Small frames: one write sends them all, one read takes them all
    const size_t small [] = { 0, 1, 3, 4, 100 };
    for (size_t i = 0; i < 5; i++)
        s_reserve (writer, small [i], (uint32_t) i);
    ck_assert_uint_eq (zyn_wire_pending (writer), 5 * 4 + 108);
    ck_assert_int_eq (zyn_wire_write (writer), 0);
    ck_assert_uint_eq (zyn_wire_pending (writer), 0);
    ck_assert_int_eq (zyn_wire_read (reader), 1);
    const uint8_t *frame;
    size_t size;
    for (size_t i = 0; i < 5; i++) {
        ck_assert_int_eq (zyn_wire_next (reader, &frame, &size), 1);
        s_expect (frame, size, small [i], (uint32_t) i);
    }
    ck_assert_int_eq (zyn_wire_next (reader, &frame, &size), 0);
    ck_assert_int_eq (zyn_wire_read (reader), 0);

    //  Every size, in one output, more than the socket holds at once
    const size_t sizes [] = {
        0, 1, 3, 4, 100, 65535, 65536, 1024 * 1024, 4, 0
    };
    size_t count = sizeof (sizes) / sizeof (sizes [0]);
    size_t total = 0;
    for (size_t i = 0; i < count; i++) {
        s_reserve (writer, sizes [i], (uint32_t) i);
        total += 4 + sizes [i];
    }
    ck_assert_uint_eq (zyn_wire_pending (writer), total);
    ck_assert_int_eq (zyn_wire_write (writer), 1);
    ck_assert_uint_gt (zyn_wire_pending (writer), 0);
    ck_assert_uint_lt (zyn_wire_pending (writer), total);
    s_pump (writer, reader, sizes, count);

    //  A small frame after the large ones: the buffers they grew are
    //  given back, and taken up again
    s_reserve (writer, 5, 5);
    ck_assert_int_eq (zyn_wire_write (writer), 0);
    ck_assert_int_eq (zyn_wire_read (reader), 1);
    ck_assert_int_eq (zyn_wire_next (reader, &frame, &size), 1);
    s_expect (frame, size, 5, 5);
    ck_assert_int_eq (zyn_wire_next (reader, &frame, &size), 0);

    //  And back the other way, after the buffers have grown and settled
    for (size_t i = 0; i < count; i++)
        s_reserve (reader, sizes [i], (uint32_t) i);
    s_pump (reader, writer, sizes, count);
    zyn_wire_destroy (&writer);
    zyn_wire_destroy (&reader);
}
END_TEST

START_TEST (test_split)
{
    int raw;
    zyn_wire_t *wire = s_pair (&raw);
    //  A 300-octet frame then an empty one, one octet per write
    uint8_t stream [4 + 300 + 4];
    zyn_put_u32 (stream, 300);
    s_fill (stream + 4, 300, 11);
    zyn_put_u32 (stream + 304, 0);
    const uint8_t *frame;
    size_t size;
    for (size_t i = 0; i < sizeof (stream); i++) {
        s_write_raw (raw, stream + i, 1);
        ck_assert_int_eq (zyn_wire_read (wire), 1);
        ck_assert_int_eq (zyn_wire_read (wire), 0);
        int rc = zyn_wire_next (wire, &frame, &size);
        if (i == 303) {
            ck_assert_int_eq (rc, 1);
            s_expect (frame, size, 300, 11);
        }
        else
        if (i == sizeof (stream) - 1) {
            ck_assert_int_eq (rc, 1);
            ck_assert_uint_eq (size, 0);
        }
        else
            ck_assert_int_eq (rc, 0);
    }
    ck_assert_int_eq (zyn_wire_next (wire, &frame, &size), 0);

    //  A frame larger than a read's room, in chunks that never line up
    //  with the length: the input grows to hold it whole
    size_t big = 200000;
    uint8_t *data = (uint8_t *) malloc (4 + big);
    zyn_put_u32 (data, (uint32_t) big);
    s_fill (data + 4, big, 12);
    size_t chunk = 7001;
    for (size_t sent = 0; sent < 4 + big; sent += chunk) {
        size_t part = 4 + big - sent < chunk ? 4 + big - sent : chunk;
        s_write_raw (raw, data + sent, part);
        ck_assert_int_eq (zyn_wire_read (wire), 1);
        ck_assert_int_eq (zyn_wire_read (wire), 0);
        int rc = zyn_wire_next (wire, &frame, &size);
        ck_assert_int_eq (rc, sent + part == 4 + big ? 1 : 0);
    }
    s_expect (frame, size, big, 12);
    ck_assert_int_eq (zyn_wire_next (wire, &frame, &size), 0);
    free (data);
    zyn_wire_destroy (&wire);
    close (raw);
}
END_TEST

START_TEST (test_frame_max)
{
    const uint8_t *frame;
    size_t size;
    //  One over the limit, and the largest length: refused, and refused
    //  again
    const uint32_t refused [] = { ZYN_WIRE_FRAME_MAX + 1, UINT32_MAX };
    for (size_t i = 0; i < 2; i++) {
        int raw;
        zyn_wire_t *wire = s_pair (&raw);
        uint8_t head [8];
        zyn_put_u32 (head, refused [i]);
        memcpy (head + 4, "abcd", 4);
        s_write_raw (raw, head, 3);
        ck_assert_int_eq (zyn_wire_read (wire), 1);
        ck_assert_int_eq (zyn_wire_next (wire, &frame, &size), 0);
        s_write_raw (raw, head + 3, 5);
        ck_assert_int_eq (zyn_wire_read (wire), 1);
        ck_assert_int_eq (zyn_wire_next (wire, &frame, &size), -1);
        ck_assert_int_eq (zyn_wire_next (wire, &frame, &size), -1);
        s_write_raw (raw, "\x00\x00\x00\x00", 4);
        ck_assert_int_eq (zyn_wire_read (wire), 1);
        ck_assert_int_eq (zyn_wire_next (wire, &frame, &size), -1);
        zyn_wire_destroy (&wire);
        close (raw);
    }

    //  Exactly the limit is taken: 0 while incomplete, then the frame
    int raw;
    zyn_wire_t *wire = s_pair (&raw);
    size_t total = 4 + ZYN_WIRE_FRAME_MAX;
    uint8_t *data = (uint8_t *) malloc (total);
    zyn_put_u32 (data, ZYN_WIRE_FRAME_MAX);
    s_fill (data + 4, ZYN_WIRE_FRAME_MAX, 13);
    size_t chunk = 32 * 1024;
    int rc = 0;
    for (size_t sent = 0; sent < total; sent += chunk) {
        size_t part = total - sent < chunk ? total - sent : chunk;
        s_write_raw (raw, data + sent, part);
        ck_assert_int_eq (zyn_wire_read (wire), 1);
        rc = zyn_wire_next (wire, &frame, &size);
        ck_assert_int_eq (rc, sent + part == total ? 1 : 0);
    }
    ck_assert_int_eq (rc, 1);
    ck_assert_uint_eq (size, ZYN_WIRE_FRAME_MAX);
    ck_assert_int_eq (memcmp (frame, data + 4, ZYN_WIRE_FRAME_MAX), 0);
    ck_assert_int_eq (zyn_wire_next (wire, &frame, &size), 0);
    free (data);
    zyn_wire_destroy (&wire);
    close (raw);
}
END_TEST

START_TEST (test_peer_close)
{
    const uint8_t *frame;
    size_t size;
    //  Frames, then the close, all in one read: the frames come first
    int raw;
    zyn_wire_t *wire = s_pair (&raw);
    s_write_raw (raw, "\x00\x00\x00\x02" "hi" "\x00\x00\x00\x03" "you"
                      "\x00\x00\x00\x09" "cut", 17);
    close (raw);
    ck_assert_int_eq (zyn_wire_read (wire), 1);
    ck_assert_int_eq (zyn_wire_next (wire, &frame, &size), 1);
    ck_assert_uint_eq (size, 2);
    ck_assert_mem_eq (frame, "hi", 2);
    ck_assert_int_eq (zyn_wire_next (wire, &frame, &size), 1);
    ck_assert_uint_eq (size, 3);
    ck_assert_mem_eq (frame, "you", 3);
    ck_assert_int_eq (zyn_wire_next (wire, &frame, &size), 0);
    ck_assert_int_eq (zyn_wire_read (wire), -1);
    ck_assert_int_eq (zyn_wire_read (wire), -1);
    ck_assert_int_eq (zyn_wire_next (wire, &frame, &size), 0);
    zyn_wire_destroy (&wire);

    //  The close seen before the frames are taken: they are still there
    wire = s_pair (&raw);
    s_write_raw (raw, "\x00\x00\x00\x02" "hi" "\x00\x00\x00\x03" "you", 13);
    close (raw);
    ck_assert_int_eq (zyn_wire_read (wire), 1);
    ck_assert_int_eq (zyn_wire_read (wire), -1);
    ck_assert_int_eq (zyn_wire_next (wire, &frame, &size), 1);
    ck_assert_uint_eq (size, 2);
    ck_assert_mem_eq (frame, "hi", 2);
    ck_assert_int_eq (zyn_wire_next (wire, &frame, &size), 1);
    ck_assert_uint_eq (size, 3);
    ck_assert_mem_eq (frame, "you", 3);
    ck_assert_int_eq (zyn_wire_next (wire, &frame, &size), 0);
    ck_assert_int_eq (zyn_wire_read (wire), -1);
    zyn_wire_destroy (&wire);
}
END_TEST

START_TEST (test_backpressure)
{
    int fds [2];
    ck_assert_int_eq (socketpair (AF_UNIX, SOCK_STREAM, 0, fds), 0);
    zyn_wire_t *writer = zyn_wire_new (fds [0]);
    zyn_wire_t *reader = zyn_wire_new (fds [1]);
    //  8 MB in frames of varied sizes, around 64 KB each
    size_t count = 128;
    size_t sizes [130];
    size_t total = 0;
    for (size_t i = 0; i < count; i++) {
        sizes [i] = 65536 - 64 + (i * 37) % 128;
        s_reserve (writer, sizes [i], (uint32_t) i);
        total += 4 + sizes [i];
    }
    ck_assert_uint_gt (total, 8 * 1000 * 1000);
    ck_assert_uint_eq (zyn_wire_pending (writer), total);
    ck_assert_int_eq (zyn_wire_write (writer), 1);
    size_t pending = zyn_wire_pending (writer);
    ck_assert_uint_gt (pending, 0);
    ck_assert_uint_lt (pending, total);
    //  The reader does not read: the socket takes nothing more
    struct pollfd item = { fds [0], POLLOUT, 0 };
    ck_assert_int_eq (poll (&item, 1, 0), 0);
    ck_assert_int_eq (zyn_wire_write (writer), 1);
    ck_assert_uint_eq (zyn_wire_pending (writer), pending);
    //  Frames added while blocked go out after the others
    sizes [count] = 3;
    s_reserve (writer, 3, (uint32_t) count++);
    sizes [count] = 200000;
    s_reserve (writer, 200000, (uint32_t) count++);
    ck_assert_uint_eq (zyn_wire_pending (writer), pending + 4 + 3 + 4 + 200000);
    s_pump (writer, reader, sizes, count);
    zyn_wire_destroy (&writer);
    zyn_wire_destroy (&reader);
}
END_TEST

START_TEST (test_closed_peer)
{
    //  SIGPIPE stays fatal, so a write that raised it would end the test
    signal (SIGPIPE, SIG_DFL);
    int raw;
    zyn_wire_t *wire = s_pair (&raw);
    close (raw);
    s_reserve (wire, 10, 1);
    ck_assert_int_eq (zyn_wire_write (wire), -1);
    ck_assert_uint_eq (zyn_wire_pending (wire), 14);
    ck_assert_int_eq (zyn_wire_read (wire), -1);
    zyn_wire_destroy (&wire);

    //  The peer goes while output waits for it
    wire = s_pair (&raw);
    for (size_t i = 0; i < 64; i++)
        s_reserve (wire, 65536, (uint32_t) i);
    ck_assert_int_eq (zyn_wire_write (wire), 1);
    close (raw);
    ck_assert_int_eq (zyn_wire_write (wire), -1);
    zyn_wire_destroy (&wire);
}
END_TEST

//  Send a frame from one wire to the other and check it arrives
static void
s_exchange (int from_fd, int to_fd)
{
    zyn_wire_t *from = zyn_wire_new (from_fd);
    zyn_wire_t *to = zyn_wire_new (to_fd);
    const size_t sizes [] = { 1000, 0, 17 };
    for (size_t i = 0; i < 3; i++)
        s_reserve (from, sizes [i], (uint32_t) i);
    s_pump (from, to, sizes, 3);
    zyn_wire_destroy (&from);
    zyn_wire_destroy (&to);
}

//  Wait until a listener has a connection to accept
static void
s_wait_accept (int listener)
{
    struct pollfd item = { listener, POLLIN, 0 };
    ck_assert_int_eq (poll (&item, 1, S_POLL_MS), 1);
}

//  Connect to endpoint and accept on listener: both ends, checked
static void
s_connect_pair (const char *endpoint, int listener, int *client, int *server)
{
    *client = zyn_wire_connect (endpoint);
    ck_assert_int_ge (*client, 0);
    s_wait_accept (listener);
    *server = zyn_wire_accept (listener);
    ck_assert_int_ge (*server, 0);
}

START_TEST (test_abstract)
{
    char endpoint [64];
    snprintf (endpoint, sizeof (endpoint), "unix://@zyn-wire-test-%d-%d",
              (int) getpid (), 0);
    int listener = zyn_wire_listen (endpoint);
    ck_assert_int_ge (listener, 0);
    ck_assert_int_ne (fcntl (listener, F_GETFL, 0) & O_NONBLOCK, 0);
    //  Nobody waiting
    errno = 0;
    ck_assert_int_eq (zyn_wire_accept (listener), -1);
    ck_assert_int_eq (errno, EAGAIN);
    //  The name is taken while bound
    errno = 0;
    ck_assert_int_eq (zyn_wire_listen (endpoint), -1);
    ck_assert_int_eq (errno, EADDRINUSE);

    int client = zyn_wire_connect (endpoint);
    ck_assert_int_ge (client, 0);
    ck_assert_int_ne (fcntl (client, F_GETFL, 0) & O_NONBLOCK, 0);
    s_wait_accept (listener);
    int server = zyn_wire_accept (listener);
    ck_assert_int_ge (server, 0);
    ck_assert_int_ne (fcntl (server, F_GETFL, 0) & O_NONBLOCK, 0);
    errno = 0;
    ck_assert_int_eq (zyn_wire_accept (listener), -1);
    ck_assert_int_eq (errno, EAGAIN);
    int client2, server2;
    s_connect_pair (endpoint, listener, &client2, &server2);
    s_exchange (client, server);
    s_exchange (server2, client2);
    close (listener);

    //  Nobody listens there any more
    errno = 0;
    ck_assert_int_eq (zyn_wire_connect (endpoint), -1);
    ck_assert_int_eq (errno, ECONNREFUSED);
    snprintf (endpoint, sizeof (endpoint), "unix://@zyn-wire-test-%d-%d",
              (int) getpid (), 1);
    errno = 0;
    ck_assert_int_eq (zyn_wire_connect (endpoint), -1);
    ck_assert_int_eq (errno, ECONNREFUSED);

    //  The longest name taken: 107 octets after unix://
    char longest [7 + 107 + 1];
    memcpy (longest, "unix://@", 8);
    int length = snprintf (longest + 8, sizeof (longest) - 8, "%d-",
                           (int) getpid ());
    memset (longest + 8 + length, 'n', 106 - (size_t) length);
    longest [7 + 107] = 0;
    ck_assert_uint_eq (strlen (longest), 7 + 107);
    listener = zyn_wire_listen (longest);
    ck_assert_int_ge (listener, 0);
    s_connect_pair (longest, listener, &client, &server);
    s_exchange (client, server);
    close (listener);
}
END_TEST

START_TEST (test_file)
{
    char dir [512];
    zyn_test_dir (dir, sizeof (dir), "wire");
    //  A file endpoint is an absolute path
    char *absolute = realpath (dir, NULL);
    ck_assert_ptr_nonnull (absolute);
    char endpoint [PATH_MAX + 32];
    snprintf (endpoint, sizeof (endpoint), "unix://%s/front.sock", absolute);
    free (absolute);
    ck_assert_uint_lt (strlen (endpoint) - 7, 108);
    const char *path = endpoint + 7;
    ck_assert_int_eq (access (path, F_OK), -1);
    errno = 0;
    ck_assert_int_eq (zyn_wire_connect (endpoint), -1);
    ck_assert_int_eq (errno, ENOENT);

    int listener = zyn_wire_listen (endpoint);
    ck_assert_int_ge (listener, 0);
    struct stat status;
    ck_assert_int_eq (stat (path, &status), 0);
    ck_assert (S_ISSOCK (status.st_mode));
    errno = 0;
    ck_assert_int_eq (zyn_wire_accept (listener), -1);
    ck_assert_int_eq (errno, EAGAIN);
    int client, server;
    s_connect_pair (endpoint, listener, &client, &server);
    s_exchange (client, server);

    //  A second listen on the path replaces the first: connections go to
    //  the new listener, the old one hears nothing
    int second = zyn_wire_listen (endpoint);
    ck_assert_int_ge (second, 0);
    s_connect_pair (endpoint, second, &client, &server);
    errno = 0;
    ck_assert_int_eq (zyn_wire_accept (listener), -1);
    ck_assert_int_eq (errno, EAGAIN);
    s_exchange (server, client);
    close (listener);
    close (second);

    //  A socket file left behind by a listener gone: refused, then replaced
    ck_assert_int_eq (stat (path, &status), 0);
    errno = 0;
    ck_assert_int_eq (zyn_wire_connect (endpoint), -1);
    ck_assert_int_eq (errno, ECONNREFUSED);
    listener = zyn_wire_listen (endpoint);
    ck_assert_int_ge (listener, 0);
    s_connect_pair (endpoint, listener, &client, &server);
    s_exchange (client, server);
    close (listener);

    //  Any file there that is not a socket is left alone: the listen
    //  fails
    char plain [1200];
    snprintf (plain, sizeof (plain), "%s/plain", dir);
    FILE *file = fopen (plain, "w");
    ck_assert_ptr_nonnull (file);
    fputs ("keep me", file);
    fclose (file);
    char plain_endpoint [1300];
    snprintf (plain_endpoint, sizeof (plain_endpoint), "unix://%s", plain);
    errno = 0;
    ck_assert_int_eq (zyn_wire_listen (plain_endpoint), -1);
    ck_assert_int_eq (errno, EADDRINUSE);
    ck_assert_int_eq (stat (plain, &status), 0);
    ck_assert (S_ISREG (status.st_mode));
    ck_assert_int_eq (status.st_size, 7);
    zyn_test_dir_remove (dir);
}
END_TEST

START_TEST (test_bad_endpoints)
{
    char too_long [7 + 108 + 1];
    memcpy (too_long, "unix://@", 8);
    memset (too_long + 8, 'n', 107);
    too_long [7 + 108] = 0;
    char too_long_file [7 + 108 + 1];
    memcpy (too_long_file, "unix:///", 8);
    memset (too_long_file + 8, 'f', 107);
    too_long_file [7 + 108] = 0;
    const char *endpoints [] = {
        "tcp://x", "unix://", "unix://x", "unix://@", "unix:///",
        "unix:/@x", "UNIX://@x", "unix://zyn-none/x", "unix://#x", "",
        too_long, too_long_file, NULL
    };
    size_t count = sizeof (endpoints) / sizeof (endpoints [0]);
    for (size_t i = 0; i < count; i++) {
        errno = 0;
        ck_assert_msg (zyn_wire_connect (endpoints [i]) == -1,
                       "connect %s", endpoints [i]);
        ck_assert_msg (errno == EINVAL, "connect %s errno %d",
                       endpoints [i], errno);
        errno = 0;
        ck_assert_msg (zyn_wire_listen (endpoints [i]) == -1,
                       "listen %s", endpoints [i]);
        ck_assert_msg (errno == EINVAL, "listen %s errno %d",
                       endpoints [i], errno);
    }
}
END_TEST

START_TEST (test_accept_nothing)
{
    char endpoint [64];
    snprintf (endpoint, sizeof (endpoint), "unix://@zyn-wire-test-%d-%d",
              (int) getpid (), 2);
    int listener = zyn_wire_listen (endpoint);
    ck_assert_int_ge (listener, 0);
    errno = 0;
    ck_assert_int_eq (zyn_wire_accept (listener), -1);
    ck_assert_int_eq (errno, EAGAIN);
    //  A connection accepted, then none again
    int client, server;
    s_connect_pair (endpoint, listener, &client, &server);
    errno = 0;
    ck_assert_int_eq (zyn_wire_accept (listener), -1);
    ck_assert_int_eq (errno, EAGAIN);
    close (client);
    close (server);
    close (listener);
}
END_TEST


Suite *
zyn_wire_suite (void)
{
    Suite *suite = suite_create ("zyn_wire");
    TCase *tc = tcase_create ("frames");
    tcase_set_timeout (tc, 30);
    tcase_add_test (tc, test_lifecycle);
    tcase_add_test (tc, test_encoding);
    tcase_add_test (tc, test_round_trip);
    tcase_add_test (tc, test_split);
    tcase_add_test (tc, test_frame_max);
    suite_add_tcase (suite, tc);
    tc = tcase_create ("peers");
    tcase_set_timeout (tc, 30);
    tcase_add_test (tc, test_peer_close);
    tcase_add_test (tc, test_backpressure);
    tcase_add_test (tc, test_closed_peer);
    suite_add_tcase (suite, tc);
    tc = tcase_create ("endpoints");
    tcase_add_test (tc, test_abstract);
    tcase_add_test (tc, test_file);
    tcase_add_test (tc, test_bad_endpoints);
    tcase_add_test (tc, test_accept_nothing);
    suite_add_tcase (suite, tc);
    return suite;
}

ZYN_TEST_MAIN (zyn_wire_suite)

/*  =========================================================================
    fuzz_wire - libFuzzer target for zyn_wire's framing

    The input after its first octet is a byte stream, written into one end
    of a socketpair in chunks whose sizes the first octet picks, so frames
    split at varied places. The other end is a zyn_wire_t, read and taken
    apart until nothing is left. Every frame taken must be the octets
    written, in order; once a length is refused it stays refused; the
    frames taken, written again by another wire, must be a prefix of the
    stream. Each frame is also fed to zyn_proto_direct_parse as request
    and as answer. Built and run by tests/fuzz/run.sh.
    =========================================================================
*/
// fuzz-sources: core/zyn_wire.c core/zyn_proto.c core/zyn_value.c core/zyn_value_codec.c core/zyn_decimal.c core/zyn_error.c

#include "zyn_prelude.h"
#include "zyn_error.h"
#include "zyn_proto.h"
#include "zyn_wire.h"

#include <sys/socket.h>

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

typedef struct {
    const uint8_t *stream;      //  The input after its first octet
    size_t written;             //  Octets of it written so far
    size_t taken;               //  Offset of the next frame's length
    bool refused;               //  Next gave -1
    zyn_wire_t *reader;
    zyn_wire_t *echo;           //  Frames taken, written again
} s_state_t;

//  A frame lies inside the stream, and a parser takes it or refuses it
static void
s_check_frame (s_state_t *state, const uint8_t *frame, size_t frame_size)
{
    assert (state->taken + ZYN_WIRE_PREFIX + frame_size <= state->written);
    assert (zyn_get_u32 (state->stream + state->taken) == frame_size);
    assert (memcmp (frame, state->stream + state->taken + ZYN_WIRE_PREFIX,
                    frame_size) == 0);
    state->taken += ZYN_WIRE_PREFIX + frame_size;
    uint8_t *copy = zyn_wire_reserve (state->echo, frame_size);
    if (frame_size)
        memcpy (copy, frame, frame_size);
    for (int answer = 0; answer < 2; answer++) {
        zyn_proto_direct_t parsed;
        int rc = zyn_proto_direct_parse (frame, frame_size, answer, &parsed);
        assert (rc == 0 || rc == -1 || rc == -2);
        if (rc == 0)
            assert (parsed.body + parsed.body_size == frame + frame_size);
    }
}

//  Read all the socket holds, then take every whole frame; what is left
//  must be a frame cut short or a length refused
static void
s_take (s_state_t *state, bool closed)
{
    while (true) {
        int rc = zyn_wire_read (state->reader);
        if (rc == 0) {
            assert (!closed);
            break;
        }
        if (rc == -1) {
            assert (closed);
            break;
        }
        assert (rc == 1);
    }
    while (true) {
        const uint8_t *frame;
        size_t frame_size;
        int rc = zyn_wire_next (state->reader, &frame, &frame_size);
        size_t left = state->written - state->taken;
        uint32_t length = left >= ZYN_WIRE_PREFIX
                        ? zyn_get_u32 (state->stream + state->taken) : 0;
        if (rc == 1) {
            assert (!state->refused);
            s_check_frame (state, frame, frame_size);
            continue;
        }
        if (rc == 0) {
            assert (!state->refused);
            assert (left < ZYN_WIRE_PREFIX
                    || (length <= ZYN_WIRE_FRAME_MAX
                        && left - ZYN_WIRE_PREFIX < length));
        }
        else {
            assert (rc == -1);
            assert (left >= ZYN_WIRE_PREFIX && length > ZYN_WIRE_FRAME_MAX);
            state->refused = true;
            assert (zyn_wire_next (state->reader, &frame, &frame_size)
                    == -1);
        }
        break;
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    //  Chunks of 1 to 2^(shape % 16) octets, their sizes from a generator
    //  the first octet seeds
    uint32_t shape = data [0];
    size_t chunk_max = (size_t) 1 << (shape % 16);
    uint32_t generator = shape * 2654435761U + 1;

    int fds [2];
    int rc = socketpair (AF_UNIX, SOCK_STREAM, 0, fds);
    assert (rc == 0);
    int room = 1024 * 1024;
    setsockopt (fds [0], SOL_SOCKET, SO_SNDBUF, &room, sizeof (room));
    int echo_fds [2];
    rc = socketpair (AF_UNIX, SOCK_STREAM, 0, echo_fds);
    assert (rc == 0);
    s_state_t state = {
        .stream = data + 1,
        .reader = zyn_wire_new (fds [1]),
        .echo = zyn_wire_new (echo_fds [0])
    };
    size_t stream_size = size - 1;

    while (state.written < stream_size) {
        generator = generator * 1103515245U + 12345U;
        size_t chunk = 1 + (generator >> 8) % chunk_max;
        if (chunk > stream_size - state.written)
            chunk = stream_size - state.written;
        ssize_t sent = write (fds [0], state.stream + state.written, chunk);
        assert (sent > 0);
        state.written += (size_t) sent;
        s_take (&state, false);
    }
    //  The writer closes: the reader sees the end after the frames
    close (fds [0]);
    s_take (&state, true);
    assert (zyn_wire_read (state.reader) == -1);

    //  The frames taken, framed again, are the stream up to the first
    //  frame not taken
    uint8_t *echoed = (uint8_t *) malloc (state.taken + 1);
    size_t echoed_size = 0;
    while (true) {
        rc = zyn_wire_write (state.echo);
        assert (rc == 0 || rc == 1);
        ssize_t got = recv (echo_fds [1], echoed + echoed_size,
                            state.taken + 1 - echoed_size, MSG_DONTWAIT);
        if (got > 0)
            echoed_size += (size_t) got;
        else
            assert (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
        if (rc == 0 && got <= 0)
            break;
    }
    assert (zyn_wire_pending (state.echo) == 0);
    assert (echoed_size == state.taken);
    assert (memcmp (echoed, state.stream, state.taken) == 0);
    free (echoed);

    zyn_wire_destroy (&state.reader);
    zyn_wire_destroy (&state.echo);
    close (echo_fds [1]);
    return 0;
}

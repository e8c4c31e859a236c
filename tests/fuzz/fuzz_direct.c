/*  =========================================================================
    fuzz_direct - libFuzzer target for zyn_proto_direct_parse

    Any frame, as a request or as an answer, must be taken apart or
    refused, never crash or read beyond its bytes; what is taken apart
    must lie inside the frame and write back to the same octets. Built and
    run by tests/fuzz/run.sh.
    =========================================================================
*/
// fuzz-sources: core/zyn_proto.c core/zyn_value.c core/zyn_value_codec.c core/zyn_decimal.c core/zyn_error.c

#include "zyn_prelude.h"
#include "zyn_error.h"
#include "zyn_proto.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    for (int answer = 0; answer < 2; answer++) {
        zyn_proto_direct_t parsed;
        int rc = zyn_proto_direct_parse (data, size, answer, &parsed);
        assert (rc == 0 || rc == -1 || rc == -2);
        if (rc != 0)
            continue;
        assert (parsed.body + parsed.body_size == data + size);
        assert ((const uint8_t *) parsed.name + parsed.name_size
                == parsed.body);
        //  Written back, the head is the same octets
        char name [256];
        memcpy (name, parsed.name, parsed.name_size);
        name [parsed.name_size] = 0;
        if (strlen (name) != parsed.name_size)
            continue;               //  A NUL inside: not ours to write
        uint8_t head [ZYN_PROTO_DIRECT_REQUEST_HEAD + 255];
        size_t length = answer
            ? zyn_proto_direct_answer_head (head, parsed.request_id, name)
            : zyn_proto_direct_request_head (head, parsed.request_id,
                                             parsed.route, name);
        assert (length == (size_t) (parsed.body - data));
        assert (memcmp (head, data, length) == 0);
    }
    return 0;
}

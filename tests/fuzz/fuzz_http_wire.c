/*  =========================================================================
    fuzz_http_wire - libFuzzer target for the gateway's HTTP/1.1 parser

    The input is what a client writes on a connection: a request head,
    then maybe a body. It runs what zyn_http runs on it: the head parser,
    and for a chunked body the scanner and the in-place decoder; also the
    scanner and decoder on the input as a body of its own. Checks: a
    malformed head names an HTTP error status and a reason; a whole head
    lies inside the input, its pointers are NUL-terminated text, and no
    shorter prefix of it is whole; a whole chunked body decodes to the
    size the scanner reported. Never a crash, overread, leak or hang.
    Built and run by tests/fuzz/run.sh.
    =========================================================================
*/
// fuzz-sources: gateway/zyn_http.c core/zyn_error.c

#include "zyn_prelude.h"
#include "../../gateway/zyn_http.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

//  A chunked body at body (size bytes, changed in place): whole ones
//  decode to what the scan said
static void
s_check_chunked (char *body, size_t size)
{
    uint64_t decoded = 0;
    long taken = zyn_http_scan_chunked (body, size, 1 << 20, &decoded);
    assert (taken >= -2 && (taken < 0 || (size_t) taken <= size));
    if (taken > 0) {
        assert (decoded < (uint64_t) taken);
        assert (zyn_http_decode_chunked (body, (size_t) taken) == decoded);
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    //  Exactly size bytes, so reading past the input is caught
    char *copy = (char *) malloc (size ? size : 1);
    assert (copy);
    memcpy (copy, data, size);
    zyn_http_head_t head;
    long rc = zyn_http_parse_head (copy, size, &head);
    if (rc < 0) {
        assert (head.status >= 400 && head.status < 600);
        assert (head.reason && *head.reason);
    }
    else
    if (rc > 0) {
        assert ((size_t) rc <= size);
        assert (head.method && *head.method && head.target && *head.target);
        assert (head.minor >= 0 && head.minor <= 9);
        assert (head.field_count >= 0
                && head.field_count <= ZYN_HTTP_FIELDS_MAX);
        for (int i = 0; i < head.field_count; i++) {
            assert (*head.fields [i].name);
            assert (strlen (head.fields [i].value) < (size_t) rc);
        }
        assert (!head.chunked || head.content_length == 0);
        //  The head was not whole one byte earlier
        char *shorter = (char *) malloc ((size_t) rc);
        assert (shorter);
        memcpy (shorter, data, (size_t) rc - 1);
        zyn_http_head_t again;
        assert (zyn_http_parse_head (shorter, (size_t) rc - 1, &again) == 0);
        free (shorter);
        if (head.chunked)
            s_check_chunked (copy + rc, size - (size_t) rc);
    }
    //  The whole input as a chunked body
    memcpy (copy, data, size);
    s_check_chunked (copy, size);
    free (copy);
    return 0;
}

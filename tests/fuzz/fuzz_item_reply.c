/*  =========================================================================
    fuzz_item_reply - libFuzzer target for zyn_json_from_item_reply

    Any input must render or be declined, never crash, leak, hang or read
    beyond its bytes. Whatever renders must decode (zyn_value_decode) and
    must be byte for byte the text zyn_json_from_response makes of the
    decoded tree. Built and run by tests/fuzz/run.sh.
    =========================================================================
*/
// fuzz-sources: core/zyn_json_reply.c core/zyn_json.c core/zyn_value.c core/zyn_value_codec.c core/zyn_decimal.c core/zyn_error.c

#include "zyn_prelude.h"
#include "zyn_error.h"
#include "zyn_json.h"
#include "zyn_value.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    size_t json_size = 0;
    char *json = zyn_json_from_item_reply (data, size, &json_size);
    if (!json)
        return 0;
    assert (strlen (json) == json_size);
    zyn_error_t err = { 0 };
    zyn_value_t *reply = zyn_value_decode (data, size, &err);
    assert (reply);
    char *expected = zyn_json_from_response (reply, NULL);
    assert (streq (json, expected));
    free (expected);
    free (json);
    zyn_value_destroy (&reply);
    return 0;
}

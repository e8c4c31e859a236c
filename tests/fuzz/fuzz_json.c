/*  =========================================================================
    fuzz_json - libFuzzer target for zyn_json_to_request

    Any input must convert or fail cleanly (SerializationException or
    ValidationException with a message), never crash, leak or hang. A
    request that converts must render back to JSON that converts again,
    and that second rendering must be identical to the first (the
    translation is stable after one normalisation). Built and run by
    tests/fuzz/run.sh.
    =========================================================================
*/
// fuzz-sources: core/zyn_json.c core/zyn_value.c core/zyn_value_codec.c core/zyn_decimal.c core/zyn_error.c

#include "zyn_prelude.h"
#include "zyn_error.h"
#include "zyn_json.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    zyn_error_t err = { 0 };
    zyn_value_t *request
        = zyn_json_to_request ((const char *) data, size, &err);
    if (!request) {
        assert (err.type == ZYN_ERR_SERIALIZATION
                || err.type == ZYN_ERR_VALIDATION);
        assert (strlen (err.message) > 0);
        return 0;
    }
    size_t text_size = 0;
    char *text = zyn_json_from_response (request, &text_size);
    assert (text && strlen (text) == text_size);
    zyn_error_t again_err = { 0 };
    zyn_value_t *again = zyn_json_to_request (text, text_size, &again_err);
    assert (again);
    char *text_again = zyn_json_from_response (again, NULL);
    zyn_value_t *third = zyn_json_to_request (text_again, strlen (text_again),
                                              NULL);
    assert (third);
    char *text_third = zyn_json_from_response (third, NULL);
    assert (streq (text_again, text_third));
    free (text_third);
    free (text_again);
    free (text);
    zyn_value_destroy (&third);
    zyn_value_destroy (&again);
    zyn_value_destroy (&request);
    return 0;
}

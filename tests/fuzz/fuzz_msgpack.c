/*  =========================================================================
    fuzz_msgpack - libFuzzer target for zyn_value_decode

    Any input must decode or fail cleanly (SerializationException), never
    crash, leak or hang. A value that decodes must survive validation and
    item sizing, re-encode to bytes that decode to an equal value and
    encode identically, and make the same round trip through DynamoDB JSON.
    Built and run by tests/fuzz/run.sh.
    =========================================================================
*/
// fuzz-sources: core/zyn_value.c core/zyn_value_codec.c core/zyn_decimal.c core/zyn_error.c

#include "zyn_prelude.h"
#include "zyn_error.h"
#include "zyn_value.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    zyn_error_t err = { 0 };
    zyn_value_t *value = zyn_value_decode (data, size, &err);
    if (!value) {
        assert (err.type == ZYN_ERR_SERIALIZATION);
        assert (strlen (err.message) > 0);
        return 0;
    }
    zyn_error_t validate_err = { 0 };
    if (zyn_value_validate (value, &validate_err))
        assert (validate_err.type == ZYN_ERR_VALIDATION);
    (void) zyn_item_size (value);

    size_t encoded_size;
    void *encoded = zyn_value_encode (value, &encoded_size);
    zyn_value_t *copy = zyn_value_decode (encoded, encoded_size, &err);
    assert (copy);
    assert (zyn_value_equal (value, copy));
    size_t again_size;
    void *again = zyn_value_encode (copy, &again_size);
    assert (again_size == encoded_size);
    assert (memcmp (again, encoded, encoded_size) == 0);
    free (again);
    free (encoded);
    zyn_value_destroy (&copy);

    char *json = zyn_value_to_json (value, false);
    assert (json);
    zyn_value_t *from_json = zyn_value_from_json (json, false, &err);
    assert (from_json);
    assert (zyn_value_equal (value, from_json));
    zyn_value_destroy (&from_json);
    free (json);

    zyn_value_destroy (&value);
    return 0;
}

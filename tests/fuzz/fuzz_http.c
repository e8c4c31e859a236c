/*  =========================================================================
    fuzz_http - libFuzzer target for the gateway's JSON request path

    The input is an X-Amz-Target value, a newline, then the request body:
    what zynamo-gateway gets from the network. It runs what the gateway
    runs before and after the broker, without the network: target lookup,
    JSON parse and validation (zyn_optable), the error body, local
    answers, the first step of a Streams request (iterator and ARN
    parsing), and the response completion (ConsumedCapacity, stream ARNs)
    with the request itself standing in for a response. An input whose
    first line starts "AUTH " is an Authorization header instead, checked
    by zyn_sigv4 against one key with the rest as body. Any input must
    end in a request or a DynamoDB error whose body is valid JSON; never a
    crash, leak or hang. Built and run by tests/fuzz/run.sh.
    =========================================================================
*/
// fuzz-sources: gateway/zyn_optable.c gateway/zyn_streams_api.c gateway/zyn_sigv4.c core/zyn_json.c core/zyn_value.c core/zyn_value_codec.c core/zyn_decimal.c core/zyn_error.c

#include "zyn_prelude.h"
#include "zyn_error.h"
#include "../../gateway/zyn_optable.h"
#include "../../gateway/zyn_streams_api.h"
#include "../../gateway/zyn_sigv4.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

//  An error body must be one JSON object with a __type
static void
s_check_error (const zyn_error_t *err)
{
    assert (err->type > ZYN_ERR_NONE && err->type < ZYN_ERR_MAX);
    size_t length = 0;
    char *text = zyn_optable_error_json (err, NULL, &length);
    json_error_t parse_error;
    json_t *body = json_loadb (text, length, 0, &parse_error);
    assert (body && json_is_string (json_object_get (body, "__type")));
    json_decref (body);
    free (text);
}

static const char *
s_auth_header (void *arg, const char *name)
{
    if (strcasecmp (name, "Authorization") == 0)
        return (const char *) arg;
    if (strcasecmp (name, "X-Amz-Date") == 0)
        return "20261123T200000Z";
    if (strcasecmp (name, "Host") == 0)
        return "localhost:8000";
    return NULL;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    const uint8_t *newline = (const uint8_t *) memchr (data, '\n', size);
    size_t target_size = newline ? (size_t) (newline - data) : size;
    if (target_size > 256)
        return 0;
    char target [257];
    memcpy (target, data, target_size);
    target [target_size] = 0;
    const char *body = newline ? (const char *) newline + 1 : "";
    size_t body_size = newline ? size - target_size - 1 : 0;

    zyn_error_t err = { 0 };
    if (strncmp (target, "AUTH ", 5) == 0) {
        zyn_sigv4_t *keys = zyn_sigv4_new ();
        zyn_sigv4_add (keys, "AKIDFUZZ", "fuzz-secret");
        if (zyn_sigv4_verify (keys, "POST", "/", "", s_auth_header,
                              target + 5, body, body_size, 1795464000, &err))
            s_check_error (&err);
        zyn_sigv4_destroy (&keys);
        return 0;
    }
    const zyn_op_t *op = zyn_optable_lookup (target, &err);
    if (!op) {
        s_check_error (&err);
        return 0;
    }
    zyn_value_t *request = zyn_optable_parse_request (op, body, body_size,
                                                      &err);
    if (!request) {
        s_check_error (&err);
        return 0;
    }
    assert (zyn_value_type (request) == ZYN_TYPE_M);
    if (zyn_op_kind (op) == ZYN_OP_LOCAL) {
        zyn_value_t *response = zyn_optable_local_response (
            op, request, "localhost:8000", &err);
        assert (response);
        zyn_value_destroy (&response);
    }
    else
    if (zyn_op_kind (op) == ZYN_OP_STREAMS) {
        zyn_streams_call_t *call = zyn_streams_call_new (op, &request,
                                                         "us-east-1");
        const char *operation = NULL;
        zyn_value_t *next = NULL;
        char *json = NULL;
        size_t json_size = 0;
        int rc = zyn_streams_call_step (call, NULL, NULL, &operation, &next,
                                        &json, &json_size, &err);
        if (rc == 1)
            assert (operation && next);
        else
        if (rc == -1)
            s_check_error (&err);
        zyn_value_destroy (&next);
        free (json);
        zyn_streams_call_destroy (&call);
    }
    else {
        //  The request's own shapes stand in for a response: Item,
        //  Attributes, Items, Table, TableDescription, Responses
        zyn_value_t *response = zyn_value_dup (request);
        zyn_optable_finish_response (op, request, response, "us-east-1");
        zyn_value_destroy (&response);
    }
    zyn_value_destroy (&request);
    return 0;
}

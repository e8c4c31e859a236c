/*  =========================================================================
    zyn_sigv4 - AWS Signature Version 4 verification for the gateway

    Holds the access keys the gateway accepts (loaded from a credentials
    file, lines "ACCESS_KEY_ID SECRET_KEY") and checks a request's
    Authorization header against them, answering DynamoDB's errors
    (MissingAuthenticationTokenException, IncompleteSignatureException,
    UnrecognizedClientException, InvalidSignatureException) with its exact
    texts. HMAC-SHA256 and SHA-256 come from libsodium. Limits: header
    signing only (no presigned query strings), no session tokens.
    =========================================================================
*/

#ifndef ZYN_SIGV4_H_INCLUDED
#define ZYN_SIGV4_H_INCLUDED

#include "zynamo.h"

typedef struct zyn_sigv4 zyn_sigv4_t;

//  Looks up a request header by name (case-insensitive); returns its
//  value, borrowed, or NULL.
typedef const char *(zyn_sigv4_header_fn) (void *arg, const char *name);

//  Create an empty key store.
zyn_sigv4_t *
    zyn_sigv4_new (void);

//  Destroy the key store. Sets *self_p to NULL.
void
    zyn_sigv4_destroy (zyn_sigv4_t **self_p);

//  Add one access key.
void
    zyn_sigv4_add (zyn_sigv4_t *self, const char *access_key_id,
                   const char *secret_key);

//  Load keys from a file of lines "ACCESS_KEY_ID SECRET_KEY" (blank lines
//  and lines starting with '#' are skipped). Returns the number of keys
//  loaded, or -1 with err if the file cannot be read or a line is
//  malformed.
int
    zyn_sigv4_load (zyn_sigv4_t *self, const char *path, zyn_error_t *err);

//  The number of keys held.
size_t
    zyn_sigv4_size (zyn_sigv4_t *self);

//  Verify a request signed with SigV4: method ("POST"), path ("/"), query
//  (the raw query string, "" if none), header to read headers, the body,
//  and now (seconds since the epoch) for the clock-skew check (15
//  minutes). Returns 0, or -1 with DynamoDB's authentication error in err.
int
    zyn_sigv4_verify (zyn_sigv4_t *self, const char *method,
                      const char *path, const char *query,
                      zyn_sigv4_header_fn *header, void *arg,
                      const void *body, size_t size, int64_t now,
                      zyn_error_t *err);

//  Compute a SigV4 signature as 64 lower-case hex digits into hex (65
//  bytes): secret key, the request's X-Amz-Date ("20150830T123600Z"),
//  the scope's region and service, and the canonical request text.
void
    zyn_sigv4_signature (const char *secret_key, const char *amz_date,
                         const char *region, const char *service,
                         const char *canonical_request, char *hex);

#endif

/*  =========================================================================
    zyn_sigv4 - AWS Signature Version 4 verification for the gateway

    Follows AWS's "Create a signed AWS API request" steps: canonical
    request, string to sign, derived signing key, HMAC-SHA256. The
    signature is compared in constant time. Messages are DynamoDB's.
    =========================================================================
*/

#include "zyn_prelude.h"
#include "zyn_error.h"
#include "zyn_sigv4.h"

struct zyn_sigv4 {
    zhashx_t *keys;                     //  Owned: access key id -> secret
};

#define S_ALGORITHM "AWS4-HMAC-SHA256"
//  Clock skew DynamoDB tolerates between X-Amz-Date and its own clock
#define S_SKEW_SECS (15 * 60)
//  Longest canonical request we build (signed headers are small)
#define S_CANONICAL_MAX 16384

//  --------------------------------------------------------------------------
//  Create an empty key store.

zyn_sigv4_t *
zyn_sigv4_new (void)
{
    zyn_sigv4_t *self = (zyn_sigv4_t *) zmalloc (sizeof (zyn_sigv4_t));
    self->keys = zhashx_new ();
    zhashx_set_destructor (self->keys, (zhashx_destructor_fn *) zstr_free);
    zhashx_set_duplicator (self->keys, (zhashx_duplicator_fn *) strdup);
    return self;
}

//  --------------------------------------------------------------------------
//  Destroy the key store.

void
zyn_sigv4_destroy (zyn_sigv4_t **self_p)
{
    assert (self_p);
    zyn_sigv4_t *self = *self_p;
    if (self) {
        zhashx_destroy (&self->keys);
        free (self);
        *self_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  Add one access key.

void
zyn_sigv4_add (zyn_sigv4_t *self, const char *access_key_id,
               const char *secret_key)
{
    assert (self);
    zhashx_update (self->keys, access_key_id, (void *) secret_key);
}

//  --------------------------------------------------------------------------
//  Load keys from a credentials file.

int
zyn_sigv4_load (zyn_sigv4_t *self, const char *path, zyn_error_t *err)
{
    assert (self);
    FILE *file = fopen (path, "r");
    if (!file)
        return zyn_error_set (err, ZYN_ERR_VALIDATION,
                              "cannot read credentials file %s: %s", path,
                              strerror (errno));
    char line [1024];
    int count = 0;
    int line_number = 0;
    while (fgets (line, sizeof (line), file)) {
        line_number++;
        char *start = line;
        while (isspace ((unsigned char) *start))
            start++;
        if (*start == 0 || *start == '#')
            continue;
        char key_id [256];
        char secret [512];
        char extra [2];
        if (sscanf (start, "%255s %511s %1s", key_id, secret, extra) != 2) {
            fclose (file);
            return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                  "%s:%d: expected ACCESS_KEY_ID SECRET_KEY",
                                  path, line_number);
        }
        zyn_sigv4_add (self, key_id, secret);
        count++;
    }
    fclose (file);
    return count;
}

//  --------------------------------------------------------------------------
//  The number of keys held.

size_t
zyn_sigv4_size (zyn_sigv4_t *self)
{
    assert (self);
    return zhashx_size (self->keys);
}

static void
s_hmac (const uint8_t *key, size_t key_size, const char *data, uint8_t *out)
{
    crypto_auth_hmacsha256_state state;
    crypto_auth_hmacsha256_init (&state, key, key_size);
    crypto_auth_hmacsha256_update (&state, (const uint8_t *) data,
                                   strlen (data));
    crypto_auth_hmacsha256_final (&state, out);
}

static void
s_sha256_hex (const void *data, size_t size, char *hex)
{
    uint8_t digest [crypto_hash_sha256_BYTES];
    crypto_hash_sha256 (digest, (const uint8_t *) data, size);
    sodium_bin2hex (hex, 65, digest, sizeof (digest));
}

//  --------------------------------------------------------------------------
//  Compute a SigV4 signature as hex.

void
zyn_sigv4_signature (const char *secret_key, const char *amz_date,
                     const char *region, const char *service,
                     const char *canonical_request, char *hex)
{
    char date [9];
    snprintf (date, sizeof (date), "%.8s", amz_date);
    char request_hash [65];
    s_sha256_hex (canonical_request, strlen (canonical_request),
                  request_hash);
    char to_sign [512];
    snprintf (to_sign, sizeof (to_sign),
              S_ALGORITHM "\n%s\n%s/%s/%s/aws4_request\n%s", amz_date, date,
              region, service, request_hash);
    char first_key [600];
    snprintf (first_key, sizeof (first_key), "AWS4%s", secret_key);
    uint8_t key [32];
    s_hmac ((const uint8_t *) first_key, strlen (first_key), date, key);
    s_hmac (key, 32, region, key);
    s_hmac (key, 32, service, key);
    s_hmac (key, 32, "aws4_request", key);
    uint8_t signature [32];
    s_hmac (key, 32, to_sign, signature);
    sodium_bin2hex (hex, 65, signature, sizeof (signature));
    sodium_memzero (first_key, sizeof (first_key));
    sodium_memzero (key, sizeof (key));
}

//  Find "name=" in the Authorization parameters and copy its value (up to
//  ',' or the end, trimmed) into buf. Returns true if present.
static bool
s_auth_param (const char *params, const char *name, char *buf, size_t size)
{
    size_t name_length = strlen (name);
    const char *scan = params;
    while (*scan) {
        while (*scan == ' ' || *scan == ',')
            scan++;
        if (strncmp (scan, name, name_length) == 0
            && scan [name_length] == '=') {
            const char *value = scan + name_length + 1;
            size_t length = strcspn (value, ",");
            while (length && value [length - 1] == ' ')
                length--;
            if (length >= size)
                length = size - 1;
            memcpy (buf, value, length);
            buf [length] = 0;
            return true;
        }
        scan += strcspn (scan, ",");
    }
    return false;
}

//  Append "name:value\n" with the value trimmed and inner runs of spaces
//  collapsed, as the canonical headers want
static bool
s_append_header (char *buf, size_t size, size_t *used, const char *name,
                 const char *value)
{
    int written = snprintf (buf + *used, size - *used, "%s:", name);
    if (written < 0 || (size_t) written >= size - *used)
        return false;
    *used += (size_t) written;
    while (*value == ' ' || *value == '\t')
        value++;
    bool space = false;
    for (; *value; value++) {
        if (*value == ' ' || *value == '\t') {
            space = true;
            continue;
        }
        if (*used + 3 >= size)
            return false;
        if (space)
            buf [(*used)++] = ' ';
        space = false;
        buf [(*used)++] = *value;
    }
    buf [(*used)++] = '\n';
    buf [*used] = 0;
    return true;
}

//  Parse "YYYYMMDDTHHMMSSZ" into seconds since the epoch, or -1
static int64_t
s_parse_amz_date (const char *text)
{
    struct tm tm = { 0 };
    if (!text || strlen (text) != 16 || text [8] != 'T' || text [15] != 'Z')
        return -1;
    const char *end = strptime (text, "%Y%m%dT%H%M%SZ", &tm);
    if (!end || *end)
        return -1;
    return (int64_t) timegm (&tm);
}

static void
s_format_amz_date (int64_t when, char *buf, size_t size)
{
    time_t seconds = (time_t) when;
    struct tm tm;
    gmtime_r (&seconds, &tm);
    strftime (buf, size, "%Y%m%dT%H%M%SZ", &tm);
}

//  --------------------------------------------------------------------------
//  Verify a request signed with SigV4.

int
zyn_sigv4_verify (zyn_sigv4_t *self, const char *method, const char *path,
                  const char *query, zyn_sigv4_header_fn *header, void *arg,
                  const void *body, size_t size, int64_t now,
                  zyn_error_t *err)
{
    assert (self);
    assert (header);
    const char *authorization = header (arg, "Authorization");
    if (!authorization || !*authorization)
        return zyn_error_set (err, ZYN_ERR_MISSING_AUTHENTICATION_TOKEN,
                              "Request is missing Authentication Token");
    const char *amz_date = header (arg, "X-Amz-Date");
    if (strncmp (authorization, S_ALGORITHM " ", strlen (S_ALGORITHM) + 1))
        return zyn_error_set (err, ZYN_ERR_INCOMPLETE_SIGNATURE,
                              "Authorization header requires 'Credential' "
                              "parameter. Authorization header requires "
                              "'Signature' parameter. Authorization header "
                              "requires 'SignedHeaders' parameter. "
                              "Authorization=%.200s", authorization);
    const char *params = authorization + strlen (S_ALGORITHM) + 1;
    char credential [512];
    char signed_headers [1024];
    char signature [128];
    bool has_credential = s_auth_param (params, "Credential", credential,
                                        sizeof (credential));
    bool has_signature = s_auth_param (params, "Signature", signature,
                                       sizeof (signature));
    bool has_signed = s_auth_param (params, "SignedHeaders", signed_headers,
                                    sizeof (signed_headers));
    if (!has_credential || !has_signature || !has_signed || !amz_date) {
        char message [ZYN_ERROR_MESSAGE_MAX] = "";
        if (!has_credential)
            strcat (message, "Authorization header requires 'Credential' "
                             "parameter. ");
        if (!has_signature)
            strcat (message, "Authorization header requires 'Signature' "
                             "parameter. ");
        if (!has_signed)
            strcat (message, "Authorization header requires "
                             "'SignedHeaders' parameter. ");
        if (!amz_date)
            strcat (message, "Authorization header requires existence of "
                             "either a 'X-Amz-Date' or a 'Date' header. ");
        return zyn_error_set (err, ZYN_ERR_INCOMPLETE_SIGNATURE,
                              "%sAuthorization=%.200s", message,
                              authorization);
    }
    //  Credential = key-id/date/region/service/aws4_request
    char *parts [5] = { NULL };
    int part_count = 0;
    char *cursor = credential;
    while (part_count < 5) {
        parts [part_count++] = cursor;
        char *slash = strchr (cursor, '/');
        if (!slash)
            break;
        *slash = 0;
        cursor = slash + 1;
    }
    if (part_count != 5 || strchr (parts [4], '/'))
        return zyn_error_set (err, ZYN_ERR_INCOMPLETE_SIGNATURE,
                              "Credential should be scoped to a valid "
                              "region, not '%s'. ", parts [part_count - 1]);
    if (!streq (parts [4], "aws4_request"))
        return zyn_error_set (err, ZYN_ERR_INCOMPLETE_SIGNATURE,
                              "Credential should be scoped with a valid "
                              "terminator: 'aws4_request', not '%s'. ",
                              parts [4]);
    const char *secret = (const char *) zhashx_lookup (self->keys, parts [0]);
    if (!secret)
        return zyn_error_set (err, ZYN_ERR_UNRECOGNIZED_CLIENT,
                              "The security token included in the request "
                              "is invalid.");
    int64_t signed_at = s_parse_amz_date (amz_date);
    if (signed_at < 0)
        return zyn_error_set (err, ZYN_ERR_INCOMPLETE_SIGNATURE,
                              "Date must be in ISO-8601 'basic format'. Got "
                              "'%.64s'. See http://en.wikipedia.org/wiki/"
                              "ISO_8601", amz_date);
    if (signed_at < now - S_SKEW_SECS || signed_at > now + S_SKEW_SECS) {
        char bound [32];
        char now_text [32];
        s_format_amz_date (now, now_text, sizeof (now_text));
        if (signed_at < now - S_SKEW_SECS) {
            s_format_amz_date (now - S_SKEW_SECS, bound, sizeof (bound));
            return zyn_error_set (err, ZYN_ERR_INVALID_SIGNATURE,
                                  "Signature expired: %s is now earlier "
                                  "than %s (%s - 15 min.)", amz_date, bound,
                                  now_text);
        }
        s_format_amz_date (now + S_SKEW_SECS, bound, sizeof (bound));
        return zyn_error_set (err, ZYN_ERR_INVALID_SIGNATURE,
                              "Signature not yet current: %s is still later "
                              "than %s (%s + 15 min.)", amz_date, bound,
                              now_text);
    }
    //  The canonical request
    char *canonical = (char *) zmalloc (S_CANONICAL_MAX);
    int used_int = snprintf (canonical, S_CANONICAL_MAX, "%s\n%s\n%s\n",
                             method, path && *path ? path : "/",
                             query ? query : "");
    size_t used = used_int > 0 ? (size_t) used_int : 0;
    bool fits = used < S_CANONICAL_MAX;
    char names [1024];
    snprintf (names, sizeof (names), "%s", signed_headers);
    char *saveptr = NULL;
    for (char *name = strtok_r (names, ";", &saveptr); name && fits;
         name = strtok_r (NULL, ";", &saveptr)) {
        const char *value = header (arg, name);
        fits = s_append_header (canonical, S_CANONICAL_MAX, &used, name,
                                value ? value : "");
    }
    char payload_hash [65];
    s_sha256_hex (body, size, payload_hash);
    if (fits) {
        int written = snprintf (canonical + used, S_CANONICAL_MAX - used,
                                "\n%s\n%s", signed_headers, payload_hash);
        fits = written > 0 && (size_t) written < S_CANONICAL_MAX - used;
    }
    char expected [65] = "";
    if (fits)
        zyn_sigv4_signature (secret, amz_date, parts [2], parts [3],
                             canonical, expected);
    free (canonical);
    if (!fits || strlen (signature) != 64
        || sodium_memcmp (expected, signature, 64) != 0)
        return zyn_error_set (err, ZYN_ERR_INVALID_SIGNATURE,
                              "The request signature we calculated does not "
                              "match the signature you provided. Check your "
                              "AWS Secret Access Key and signing method. "
                              "Consult the service documentation for "
                              "details.");
    return 0;
}

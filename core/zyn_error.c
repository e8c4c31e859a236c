/*  =========================================================================
    zyn_error - DynamoDB's exception names, HTTP statuses and retry hints

    One static table maps each zyn_errtype_t to the name DynamoDB gives the
    exception, the HTTP status it answers with, and whether a retry may
    help. The wire carries the name; the gateway renders it as __type.
    =========================================================================
*/

#include "zyn_prelude.h"
#include "zyn_error.h"

typedef struct {
    const char *name;
    int http_status;
    bool retryable;
} s_errinfo_t;

static const s_errinfo_t s_errinfo [ZYN_ERR_MAX] = {
    [ZYN_ERR_NONE] = { "OK", 200, false },
    [ZYN_ERR_VALIDATION] = { "ValidationException", 400, false },
    [ZYN_ERR_SERIALIZATION] = { "SerializationException", 400, false },
    [ZYN_ERR_UNKNOWN_OPERATION] = { "UnknownOperationException", 400, false },
    [ZYN_ERR_RESOURCE_NOT_FOUND] = { "ResourceNotFoundException", 400, false },
    [ZYN_ERR_RESOURCE_IN_USE] = { "ResourceInUseException", 400, false },
    [ZYN_ERR_LIMIT_EXCEEDED] = { "LimitExceededException", 400, false },
    [ZYN_ERR_CONDITIONAL_CHECK_FAILED]
        = { "ConditionalCheckFailedException", 400, false },
    [ZYN_ERR_ITEM_COLLECTION_SIZE_LIMIT_EXCEEDED]
        = { "ItemCollectionSizeLimitExceededException", 400, false },
    [ZYN_ERR_PROVISIONED_THROUGHPUT_EXCEEDED]
        = { "ProvisionedThroughputExceededException", 400, true },
    [ZYN_ERR_REQUEST_LIMIT_EXCEEDED] = { "RequestLimitExceeded", 400, true },
    [ZYN_ERR_THROTTLING] = { "ThrottlingException", 400, true },
    [ZYN_ERR_TRANSACTION_CANCELED]
        = { "TransactionCanceledException", 400, false },
    [ZYN_ERR_TRANSACTION_CONFLICT]
        = { "TransactionConflictException", 400, false },
    [ZYN_ERR_TRANSACTION_IN_PROGRESS]
        = { "TransactionInProgressException", 400, false },
    [ZYN_ERR_IDEMPOTENT_PARAMETER_MISMATCH]
        = { "IdempotentParameterMismatchException", 400, false },
    [ZYN_ERR_INTERNAL] = { "InternalServerError", 500, true },
    [ZYN_ERR_SERVICE_UNAVAILABLE] = { "ServiceUnavailable", 503, true },
    [ZYN_ERR_MISSING_AUTHENTICATION_TOKEN]
        = { "MissingAuthenticationTokenException", 400, false },
    [ZYN_ERR_INCOMPLETE_SIGNATURE]
        = { "IncompleteSignatureException", 400, false },
    [ZYN_ERR_INVALID_SIGNATURE] = { "InvalidSignatureException", 400, false },
    [ZYN_ERR_UNRECOGNIZED_CLIENT]
        = { "UnrecognizedClientException", 400, false },
    [ZYN_ERR_ACCESS_DENIED] = { "AccessDeniedException", 400, false },
    [ZYN_ERR_EXPIRED_ITERATOR] = { "ExpiredIteratorException", 400, false },
    [ZYN_ERR_TRIMMED_DATA_ACCESS]
        = { "TrimmedDataAccessException", 400, false },
    [ZYN_ERR_TABLE_NOT_FOUND] = { "TableNotFoundException", 400, false },
    [ZYN_ERR_TABLE_ALREADY_EXISTS]
        = { "TableAlreadyExistsException", 400, false },
    [ZYN_ERR_BACKUP_NOT_FOUND] = { "BackupNotFoundException", 400, false },
    [ZYN_ERR_BACKUP_IN_USE] = { "BackupInUseException", 400, false },
    [ZYN_ERR_CONTINUOUS_BACKUPS_UNAVAILABLE]
        = { "ContinuousBackupsUnavailableException", 400, false },
    [ZYN_ERR_POINT_IN_TIME_RECOVERY_UNAVAILABLE]
        = { "PointInTimeRecoveryUnavailableException", 400, false },
    [ZYN_ERR_INVALID_RESTORE_TIME]
        = { "InvalidRestoreTimeException", 400, false },
    [ZYN_ERR_TABLE_IN_USE] = { "TableInUseException", 400, false },
    [ZYN_ERR_DUPLICATE_ITEM] = { "DuplicateItemException", 400, false },
    [ZYN_ERR_INDEX_NOT_FOUND] = { "IndexNotFoundException", 400, false },
};

//  --------------------------------------------------------------------------
//  Fill err (if not NULL) with type and a printf-style message. Returns -1.

int
zyn_error_set (zyn_error_t *err, zyn_errtype_t type, const char *format, ...)
{
    assert (type > ZYN_ERR_NONE && type < ZYN_ERR_MAX);
    if (err) {
        err->type = type;
        va_list args;
        va_start (args, format);
        vsnprintf (err->message, sizeof (err->message), format, args);
        va_end (args);
    }
    return -1;
}

//  --------------------------------------------------------------------------
//  Reset err to ZYN_ERR_NONE with an empty message.

void
zyn_error_clear (zyn_error_t *err)
{
    if (err) {
        err->type = ZYN_ERR_NONE;
        err->message [0] = 0;
    }
}

//  --------------------------------------------------------------------------
//  DynamoDB's exception name for type. Static.

const char *
zyn_error_name (zyn_errtype_t type)
{
    if (type < 0 || type >= ZYN_ERR_MAX)
        return "InternalServerError";
    return s_errinfo [type].name;
}

//  --------------------------------------------------------------------------
//  The type whose exception name is name, or ZYN_ERR_MAX if none is.

zyn_errtype_t
zyn_error_type_from_name (const char *name)
{
    for (int type = 0; type < ZYN_ERR_MAX; type++)
        if (streq (s_errinfo [type].name, name))
            return (zyn_errtype_t) type;
    return ZYN_ERR_MAX;
}

//  --------------------------------------------------------------------------
//  The HTTP status DynamoDB answers with for type.

int
zyn_error_http_status (zyn_errtype_t type)
{
    if (type < 0 || type >= ZYN_ERR_MAX)
        return 500;
    return s_errinfo [type].http_status;
}

//  --------------------------------------------------------------------------
//  True if retrying the same request later may succeed.

bool
zyn_error_is_retryable (zyn_errtype_t type)
{
    if (type < 0 || type >= ZYN_ERR_MAX)
        return false;
    return s_errinfo [type].retryable;
}

/*  =========================================================================
    zyn_error - DynamoDB's exception names, HTTP statuses and retry hints

    The public half (zyn_error_t, zyn_errtype_t and their functions) is in
    include/zynamo.h; this header only adds what the processes share.
    =========================================================================
*/

#ifndef ZYN_ERROR_H_INCLUDED
#define ZYN_ERROR_H_INCLUDED

#include "zynamo.h"

//  True if err is set (not NULL and not ZYN_ERR_NONE).
static inline bool
zyn_error_is_set (const zyn_error_t *err)
{
    return err && err->type != ZYN_ERR_NONE;
}

#endif

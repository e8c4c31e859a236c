/*  =========================================================================
    zyn_expr_legacy - the legacy parameters (Expected, AttributesToGet,
    KeyConditions, QueryFilter, ScanFilter, AttributeUpdates) translated
    into the same trees the expressions parse into
    =========================================================================
*/

#include "zyn_prelude.h"
#include "zyn_expr_ast.h"

int
zyn_expr_legacy (zyn_expr_t *self, const char *operation,
                 const zyn_value_t *request, zyn_error_t *err)
{
    (void) self;
    (void) operation;
    (void) request;
    (void) err;
    return 0;
}

/*  =========================================================================
    zyn_reserved - DynamoDB's reserved words, which an expression may not
    use as an unquoted attribute name
    =========================================================================
*/

#ifndef ZYN_RESERVED_H_INCLUDED
#define ZYN_RESERVED_H_INCLUDED

#include "zynamo.h"

//  True if the size bytes of name are a DynamoDB reserved word, in any
//  letter case.
bool
    zyn_reserved_is (const char *name, size_t size);

//  The number of reserved words (573).
size_t
    zyn_reserved_count (void);

#endif

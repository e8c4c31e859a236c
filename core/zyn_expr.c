//  zyn_expr - being written
#include "zyn_prelude.h"

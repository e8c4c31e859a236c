//  zyn_decimal - being written
#include "zyn_prelude.h"

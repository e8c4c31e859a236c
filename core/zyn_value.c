//  zyn_value - being written
#include "zyn_prelude.h"

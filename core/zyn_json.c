//  zyn_json - being written
#include "zyn_prelude.h"

//  zyn_client - being written
#include "zyn_prelude.h"

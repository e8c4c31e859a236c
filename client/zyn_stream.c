//  zyn_stream - being written
#include "zyn_prelude.h"

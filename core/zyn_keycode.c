//  zyn_keycode - being written
#include "zyn_prelude.h"

/*  =========================================================================
    zyn_compactions - LevelDB's compaction thread, started below the
    priority of requests

    On two cores a worker's actor and committers compete for the CPU with
    LevelDB's compaction thread; at nice 10 it yields to them
    (docs/performance.md, History 2026-11-24 20:55 UTC). Its thread is
    named zyn-compaction.
    =========================================================================
*/

#ifndef ZYN_COMPACTIONS_H_INCLUDED
#define ZYN_COMPACTIONS_H_INCLUDED

#include "zynamo.h"

//  Start LevelDB's compaction thread, shared by every partition of the
//  process, at nice value nice (1-19), so that flushes and compactions
//  yield the CPU to requests. LevelDB starts that thread once per
//  process, from the first thread that needs a compaction, and a thread
//  inherits its creator's nice value: so this opens a scratch LevelDB
//  under dir from a thread of its own at that nice value and compacts
//  it (creating dir if missing). Call it before any partition is opened;
//  once LevelDB's thread exists it changes nothing. Returns 0, or -1 with
//  err.
int
    zyn_compactions_start (const char *dir, int nice, zyn_error_t *err);

#endif

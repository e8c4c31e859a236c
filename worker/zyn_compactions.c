/*  =========================================================================
    zyn_compactions - LevelDB's compaction thread, below requests (see
    the header)
    =========================================================================
*/

#include "zyn_prelude.h"
#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include "zyn_error.h"
#include "zyn_partition.h"
#include "zyn_compactions.h"

//  --------------------------------------------------------------------------
//  Start LevelDB's compaction thread from a thread at nice, then remove
//  the scratch LevelDB

typedef struct {
    const char *path;
    int nice;
    zyn_error_t *err;
    int rc;
} s_starter_t;

static void *
s_start_compactions (void *args)
{
    s_starter_t *starter = (s_starter_t *) args;
    pid_t tid = (pid_t) syscall (SYS_gettid);
    if (setpriority (PRIO_PROCESS, (id_t) tid, starter->nice)) {
        starter->rc = zyn_error_set (starter->err, ZYN_ERR_INTERNAL,
                                     "cannot set the nice value %d: %s",
                                     starter->nice, strerror (errno));
        return NULL;
    }
    //  LevelDB's thread takes this name too: top -H and perf show it
    pthread_setname_np (pthread_self (), "zyn-compaction");
    leveldb_options_t *options = leveldb_options_create ();
    leveldb_options_set_create_if_missing (options, 1);
    char *errptr = NULL;
    leveldb_t *db = leveldb_open (options, starter->path, &errptr);
    if (db) {
        //  A compaction of the memtable runs on LevelDB's thread, which
        //  the first one starts, from this thread
        leveldb_writeoptions_t *write = leveldb_writeoptions_create ();
        leveldb_put (db, write, "k", 1, "v", 1, &errptr);
        leveldb_writeoptions_destroy (write);
        if (!errptr)
            leveldb_compact_range (db, NULL, 0, NULL, 0);
        leveldb_close (db);
    }
    if (errptr) {
        starter->rc = zyn_error_set (starter->err, ZYN_ERR_INTERNAL,
                                     "cannot start compactions: %s", errptr);
        leveldb_free (errptr);
    }
    leveldb_options_destroy (options);
    return NULL;
}

int
zyn_compactions_start (const char *dir, int nice, zyn_error_t *err)
{
    assert (dir);
    assert (nice >= 1 && nice <= 19);
    if (zsys_dir_create ("%s", dir))
        return zyn_error_set (err, ZYN_ERR_INTERNAL, "cannot create %s: %s",
                              dir, strerror (errno));
    //  A fixed name: what a killed process left behind is reopened and
    //  removed this time (one process per data directory)
    char path [PATH_MAX];
    snprintf (path, sizeof (path), "%s/.compactions", dir);
    s_starter_t starter = { path, nice, err, 0 };
    pthread_t thread;
    if (pthread_create (&thread, NULL, s_start_compactions, &starter))
        return zyn_error_set (err, ZYN_ERR_INTERNAL,
                              "cannot start a thread: %s", strerror (errno));
    pthread_join (thread, NULL);
    zyn_error_t remove_err = { 0 };
    if (zyn_partition_remove (path, &remove_err) && starter.rc == 0)
        starter.rc = zyn_error_set (err, remove_err.type, "%s",
                                    remove_err.message);
    return starter.rc;
}

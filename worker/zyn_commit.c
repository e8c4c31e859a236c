/*  =========================================================================
    zyn_commit - a worker's group commit (see the header)
    =========================================================================
*/

#include "zyn_prelude.h"
#include "zyn_error.h"
#include "zyn_commit.h"

struct zyn_commit {
    zactor_t **committers;      //  Owned, the committer threads
    size_t committer_count;
    zyn_partition_t **dirty;    //  Owned array, the last commit's
    int *rcs;                   //  partitions and their results
    size_t count;
    size_t max;
};

//  --------------------------------------------------------------------------
//  A committer: writes the commit of each partition it is handed on its
//  own thread and answers rc and error message

static void
s_committer_actor (zsock_t *pipe, void *args)
{
    (void) args;
    zsock_signal (pipe, 0);
    while (true) {
        char *command = NULL;
        void *partition = NULL;
        if (zsock_recv (pipe, "sp", &command, &partition) == -1)
            break;                  //  Interrupted
        bool term = streq (command, "$TERM");
        zstr_free (&command);
        if (term)
            break;
        zyn_error_t err = { 0 };
        int rc = zyn_partition_commit ((zyn_partition_t *) partition, &err);
        zsock_send (pipe, "is", rc, err.message);
    }
}

static void
s_commit_failed (zyn_partition_t *partition, const char *message)
{
    zsys_error ("zyn_worker: commit failed table=%s partition=%" PRIu32
                ": %s", zyn_partition_table_name (partition),
                zyn_partition_id (partition), message);
}

zyn_commit_t *
zyn_commit_new (void)
{
    return (zyn_commit_t *) zmalloc (sizeof (zyn_commit_t));
}

void
zyn_commit_destroy (zyn_commit_t **self_p)
{
    assert (self_p);
    zyn_commit_t *self = *self_p;
    if (self) {
        for (size_t i = 0; i < self->committer_count; i++)
            zactor_destroy (&self->committers [i]);
        free (self->committers);
        free (self->dirty);
        free (self->rcs);
        free (self);
        *self_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  Commit every dirty partition, all at once

size_t
zyn_commit_all (zyn_commit_t *self, zhashx_t *partitions)
{
    assert (self);
    self->count = 0;
    zyn_partition_t *partition =
        (zyn_partition_t *) zhashx_first (partitions);
    while (partition) {
        if (zyn_partition_is_dirty (partition)) {
            if (self->count == self->max) {
                self->max = self->max ? self->max * 2 : 4;
                self->dirty = (zyn_partition_t **) realloc (
                    self->dirty, self->max * sizeof (zyn_partition_t *));
                self->rcs = (int *) realloc (self->rcs,
                                             self->max * sizeof (int));
                assert (self->dirty && self->rcs);
            }
            self->dirty [self->count++] = partition;
        }
        partition = (zyn_partition_t *) zhashx_next (partitions);
    }
    if (self->count == 0)
        return 0;
    while (self->committer_count < self->count - 1) {
        self->committers = (zactor_t **) realloc (
            self->committers,
            (self->committer_count + 1) * sizeof (zactor_t *));
        assert (self->committers);
        self->committers [self->committer_count++] =
            zactor_new (s_committer_actor, NULL);
    }
    for (size_t i = 1; i < self->count; i++)
        zsock_send (self->committers [i - 1], "sp", "COMMIT",
                    (void *) self->dirty [i]);
    zyn_error_t err = { 0 };
    self->rcs [0] = zyn_partition_commit (self->dirty [0], &err);
    if (self->rcs [0])
        s_commit_failed (self->dirty [0], err.message);
    for (size_t i = 1; i < self->count; i++) {
        char *message = NULL;
        int rc = -1;
        if (zsock_recv (self->committers [i - 1], "is", &rc, &message) == -1)
            rc = -1;                    //  Interrupted: never acknowledged
        self->rcs [i] = rc;
        if (rc)
            s_commit_failed (self->dirty [i],
                             message ? message : "interrupted");
        zstr_free (&message);
    }
    size_t succeeded = 0;
    for (size_t i = 0; i < self->count; i++)
        if (self->rcs [i] == 0)
            succeeded++;
    return succeeded;
}

bool
zyn_commit_failed (zyn_commit_t *self, zyn_partition_t *partition)
{
    assert (self);
    for (size_t i = 0; i < self->count; i++)
        if (self->dirty [i] == partition)
            return self->rcs [i] != 0;
    return false;
}

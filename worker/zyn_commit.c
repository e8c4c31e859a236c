/*  =========================================================================
    zyn_commit - a worker's pipelined group commit (see the header)
    =========================================================================
*/

#include "zyn_prelude.h"
#include "zyn_error.h"
#include "zyn_commit.h"
#include <pthread.h>
#include <sys/eventfd.h>

//  A commit done, waiting for zyn_commit_next
typedef struct {
    zyn_partition_t *partition;
    int rc;
    zyn_error_t err;
} s_done_t;

struct zyn_commit {
    pthread_mutex_t lock;       //  Guards everything below but wakeup
    pthread_cond_t work;        //  Signalled when a job or stop comes
    pthread_cond_t finished;    //  Signalled when a commit is done
    int wakeup;                 //  Owned eventfd, readable when done
    pthread_t *threads;         //  Owned array, the committers
    size_t thread_count;
    size_t idle;                //  Committers waiting for a job
    bool stopping;
    zyn_partition_t **jobs;     //  Owned array, FIFO of sealed partitions
    size_t job_head;
    size_t job_count;
    size_t job_max;
    s_done_t *done;             //  Owned array, commits done
    size_t done_count;
    size_t done_max;
    size_t under_way;           //  Started, not yet returned
};

//  --------------------------------------------------------------------------
//  A committer: writes the sealed batch of each partition it takes

static void *
s_committer (void *args)
{
    zyn_commit_t *self = (zyn_commit_t *) args;
    pthread_setname_np (pthread_self (), "zyn-committer");
    pthread_mutex_lock (&self->lock);
    while (true) {
        while (self->job_count == 0 && !self->stopping) {
            self->idle++;
            pthread_cond_wait (&self->work, &self->lock);
            self->idle--;
        }
        if (self->job_count == 0)
            break;                      //  Stopping, nothing left to do
        zyn_partition_t *partition = self->jobs [self->job_head];
        self->job_head = (self->job_head + 1) % self->job_max;
        self->job_count--;
        pthread_mutex_unlock (&self->lock);

        zyn_error_t err = { 0 };
        int rc = zyn_partition_write_sealed (partition, &err);

        pthread_mutex_lock (&self->lock);
        if (self->done_count == self->done_max) {
            self->done_max = self->done_max ? self->done_max * 2 : 8;
            self->done = (s_done_t *) realloc (
                self->done, self->done_max * sizeof (s_done_t));
            assert (self->done);
        }
        s_done_t *done = &self->done [self->done_count++];
        done->partition = partition;
        done->rc = rc;
        done->err = err;
        pthread_cond_broadcast (&self->finished);
        //  After the entry is there: a reader that empties the
        //  descriptor then takes every entry
        uint64_t one = 1;
        ssize_t written = write (self->wakeup, &one, sizeof (one));
        (void) written;                 //  Full counter: already readable
    }
    pthread_mutex_unlock (&self->lock);
    return NULL;
}

zyn_commit_t *
zyn_commit_new (void)
{
    zyn_commit_t *self = (zyn_commit_t *) zmalloc (sizeof (zyn_commit_t));
    self->wakeup = eventfd (0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (self->wakeup < 0) {
        free (self);
        return NULL;
    }
    pthread_mutex_init (&self->lock, NULL);
    pthread_cond_init (&self->work, NULL);
    pthread_cond_init (&self->finished, NULL);
    return self;
}

void
zyn_commit_destroy (zyn_commit_t **self_p)
{
    assert (self_p);
    zyn_commit_t *self = *self_p;
    if (!self)
        return;
    //  Committers finish the jobs queued, then end
    pthread_mutex_lock (&self->lock);
    self->stopping = true;
    pthread_cond_broadcast (&self->work);
    pthread_mutex_unlock (&self->lock);
    for (size_t i = 0; i < self->thread_count; i++)
        pthread_join (self->threads [i], NULL);
    pthread_cond_destroy (&self->finished);
    pthread_cond_destroy (&self->work);
    pthread_mutex_destroy (&self->lock);
    close (self->wakeup);
    free (self->threads);
    free (self->jobs);
    free (self->done);
    free (self);
    *self_p = NULL;
}

//  --------------------------------------------------------------------------
//  Hand a sealed partition to a committer

void
zyn_commit_start (zyn_commit_t *self, zyn_partition_t *partition)
{
    assert (self);
    assert (partition);
    pthread_mutex_lock (&self->lock);
    if (self->job_count == self->job_max) {
        //  Grow the ring, its entries moved to the front in order
        size_t max = self->job_max ? self->job_max * 2 : 8;
        zyn_partition_t **jobs = (zyn_partition_t **) malloc (
            max * sizeof (zyn_partition_t *));
        assert (jobs);
        for (size_t i = 0; i < self->job_count; i++)
            jobs [i] = self->jobs [(self->job_head + i) % self->job_max];
        free (self->jobs);
        self->jobs = jobs;
        self->job_head = 0;
        self->job_max = max;
    }
    self->jobs [(self->job_head + self->job_count) % self->job_max] =
        partition;
    self->job_count++;
    self->under_way++;
    if (self->idle < self->job_count) {
        //  Every committer is busy: one more, so no commit waits for
        //  another's fsync
        self->threads = (pthread_t *) realloc (
            self->threads, (self->thread_count + 1) * sizeof (pthread_t));
        assert (self->threads);
        int rc = pthread_create (&self->threads [self->thread_count], NULL,
                                 s_committer, self);
        if (rc == 0)
            self->thread_count++;
        else
            zsys_warning ("zyn_commit: cannot start a committer: %s",
                          strerror (rc));
        assert (self->thread_count > 0);
    }
    pthread_cond_signal (&self->work);
    pthread_mutex_unlock (&self->lock);
}

size_t
zyn_commit_under_way (zyn_commit_t *self)
{
    assert (self);
    return self->under_way;             //  Only the owner changes it
}

int
zyn_commit_fd (zyn_commit_t *self)
{
    assert (self);
    return self->wakeup;
}

//  --------------------------------------------------------------------------
//  A finished commit, oldest first

zyn_partition_t *
zyn_commit_next (zyn_commit_t *self, bool wait, int *rc_p, zyn_error_t *err)
{
    assert (self);
    if (self->under_way == 0)
        return NULL;
    uint64_t count;
    ssize_t got = read (self->wakeup, &count, sizeof (count));
    (void) got;                         //  Empty: nothing to clear
    pthread_mutex_lock (&self->lock);
    while (wait && self->done_count == 0)
        pthread_cond_wait (&self->finished, &self->lock);
    zyn_partition_t *partition = NULL;
    if (self->done_count) {
        s_done_t *done = &self->done [0];
        partition = done->partition;
        *rc_p = done->rc;
        if (done->rc)
            *err = done->err;
        self->done_count--;
        memmove (self->done, self->done + 1,
                 self->done_count * sizeof (s_done_t));
        self->under_way--;
    }
    pthread_mutex_unlock (&self->lock);
    return partition;
}

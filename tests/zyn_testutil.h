/*  =========================================================================
    zyn_testutil - what every Check suite shares

    ZYN_TEST_MAIN (zyn_foo_suite) gives a suite its main (); zyn_test_dir
    makes a fresh directory under tests/tmp/ and zyn_test_dir_remove takes
    it away again, so a suite leaves nothing behind; zyn_test_fill_log
    makes the next synced LevelDB write under a directory fail;
    zyn_test_connect opens a TCP connection to a port on 127.0.0.1
    (zyn_test_loopback is its address); ZYN_TEST_DESCRIPTOR_JSON is a
    partition's descriptor for the suites that open one.
    =========================================================================
*/

#ifndef ZYN_TESTUTIL_H_INCLUDED
#define ZYN_TESTUTIL_H_INCLUDED

#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ZYN_TEST_MAIN(suite_fn)                                             \
    int main (void)                                                         \
    {                                                                       \
        SRunner *runner = srunner_create (suite_fn ());                     \
        srunner_run_all (runner, CK_NORMAL);                                \
        int failed = srunner_ntests_failed (runner);                        \
        srunner_free (runner);                                              \
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;                        \
    }

//  Make a fresh, empty directory tests/tmp/<name>-<pid>-<n> under the build
//  directory and write its path into path (size bytes).
static inline void
zyn_test_dir (char *path, size_t size, const char *name)
{
    static int counter = 0;     //  Test-only: one process, one thread
    const char *builddir = getenv ("ZYN_BUILDDIR");
    char base [900];
    snprintf (base, sizeof (base), "%s/tests/tmp", builddir ? builddir : ".");
    char parent [900];
    snprintf (parent, sizeof (parent), "%s/tests", builddir ? builddir : ".");
    mkdir (parent, 0755);
    mkdir (base, 0755);
    int length = snprintf (path, size, "%s/%s-%d-%d", base, name,
                           (int) getpid (), counter++);
    if (length < 0 || (size_t) length >= size)
        ck_abort_msg ("test directory path too long");
    char command [2048];
    if (snprintf (command, sizeof (command), "rm -rf '%s'", path)
        >= (int) sizeof (command))
        ck_abort_msg ("test directory path too long");
    if (system (command) != 0)
        ck_abort_msg ("cannot clear %s", path);
    ck_assert_int_eq (mkdir (path, 0755), 0);
}

//  Remove a directory made by zyn_test_dir, with everything in it.
static inline void
zyn_test_dir_remove (const char *path)
{
    char command [2048];
    snprintf (command, sizeof (command), "rm -rf '%s'", path);
    ck_assert_int_eq (system (command), 0);
}

//  Point every LevelDB log (*.log file) this process holds open under dir
//  at /dev/full, so the next synced write there fails with ENOSPC.
//  Returns the number of descriptors replaced.
static inline int
zyn_test_fill_log (const char *dir)
{
    int replaced = 0;
    DIR *fds = opendir ("/proc/self/fd");
    ck_assert_ptr_nonnull (fds);
    struct dirent *entry;
    while ((entry = readdir (fds))) {
        char link [300], target [PATH_MAX];
        snprintf (link, sizeof (link), "/proc/self/fd/%s", entry->d_name);
        ssize_t size = readlink (link, target, sizeof (target) - 1);
        if (size <= 4)
            continue;
        target [size] = 0;
        if (strncmp (target, dir, strlen (dir)) == 0
            && strcmp (target + size - 4, ".log") == 0) {
            int full = open ("/dev/full", O_WRONLY);
            ck_assert_int_ge (full, 0);
            ck_assert_int_ge (dup2 (full, atoi (entry->d_name)), 0);
            close (full);
            replaced++;
        }
    }
    closedir (fds);
    return replaced;
}

//  An ASSIGN descriptor in DynamoDB JSON: table 1 "t", partition 1 over
//  the whole hash range, key pk (S), a NEW_AND_OLD_IMAGES stream
#define ZYN_TEST_DESCRIPTOR_JSON                                            \
    "{\"TableId\":{\"N\":\"1\"},\"TableName\":{\"S\":\"t\"},"               \
    "\"PartitionId\":{\"N\":\"1\"},"                                        \
    "\"HashStart\":{\"B\":\"AAAAAAAAAAA=\"},"                               \
    "\"HashEnd\":{\"B\":\"//////////8=\"},"                                 \
    "\"KeySchema\":{\"L\":[{\"M\":{\"AttributeName\":{\"S\":\"pk\"},"       \
    "\"KeyType\":{\"S\":\"HASH\"}}}]},"                                     \
    "\"AttributeDefinitions\":{\"L\":[{\"M\":{\"AttributeName\":"           \
    "{\"S\":\"pk\"},\"AttributeType\":{\"S\":\"S\"}}}]},"                   \
    "\"StreamViewType\":{\"S\":\"NEW_AND_OLD_IMAGES\"}}"

//  The address of port on 127.0.0.1 (0: any free port)
static inline struct sockaddr_in
zyn_test_loopback (int port)
{
    struct sockaddr_in address = { 0 };
    address.sin_family = AF_INET;
    address.sin_port = htons ((uint16_t) port);
    address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    return address;
}

//  Connect to port on 127.0.0.1, with a receive timeout of timeout_s
//  seconds. Returns the socket (the caller closes it).
static inline int
zyn_test_connect (int port, int timeout_s)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge (fd, 0);
    struct sockaddr_in address = zyn_test_loopback (port);
    ck_assert_int_eq (connect (fd, (struct sockaddr *) &address,
                               sizeof (address)), 0);
    struct timeval timeout = { timeout_s, 0 };
    setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof (timeout));
    return fd;
}

#endif

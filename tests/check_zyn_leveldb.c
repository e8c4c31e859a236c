/*  =========================================================================
    check_zyn_leveldb - a partition's LevelDB settings: the memtable size
    given at open, and the priority of LevelDB's compaction thread
    =========================================================================
*/

#include "zyn_prelude.h"
#include <sys/resource.h>
#include "zyn_partition.h"
#include "zyn_compactions.h"
#include "zyn_testutil.h"

//  How many LevelDB table files (*.ldb) the directory holds
static int
s_table_files (const char *path)
{
    DIR *dir = opendir (path);
    ck_assert_ptr_nonnull (dir);
    int count = 0;
    struct dirent *entry;
    while ((entry = readdir (dir))) {
        size_t length = strlen (entry->d_name);
        if (length > 4 && streq (entry->d_name + length - 4, ".ldb"))
            count++;
    }
    closedir (dir);
    return count;
}


static zyn_value_t *
s_json (const char *json)
{
    zyn_error_t err = { 0 };
    zyn_value_t *value = zyn_value_from_json (json, true, &err);
    ck_assert_msg (value, "bad JSON: %s", err.message);
    return value;
}

//  Write 24 items of 100 KB (about 4.8 MB with their change records),
//  a commit each, into a partition opened with write_buffer
static void
s_fill (const char *path, size_t write_buffer)
{
    zyn_value_t *descriptor = s_json (ZYN_TEST_DESCRIPTOR_JSON);
    zyn_error_t err = { 0 };
    zyn_partition_t *partition =
        zyn_partition_open (path, descriptor, write_buffer, &err);
    ck_assert_msg (partition, "open failed: %s", err.message);
    zyn_value_destroy (&descriptor);
    size_t size = 100 * 1024;
    char *json = (char *) malloc (size + 64);
    for (int index = 0; index < 24; index++) {
        char key [64];
        snprintf (key, sizeof (key), "{\"pk\":{\"S\":\"k%d\"}}", index);
        int length = snprintf (json, 64, "{\"pk\":{\"S\":\"k%d\"},"
                               "\"v\":{\"S\":\"", index);
        memset (json + length, 'a' + index, size);
        strcpy (json + length + size, "\"}}");
        zyn_value_t *keys = s_json (key);
        zyn_value_t *item = s_json (json);
        uint8_t row [16] = { 'i' };
        row [1] = (uint8_t) index;
        zyn_partition_write (partition, row, sizeof (row), keys, NULL, item);
        ck_assert_int_eq (zyn_partition_commit (partition, &err), 0);
        uint64_t seq;
        zchunk_t *record;
        while ((record = zyn_partition_next_record (partition, &seq)))
            zchunk_destroy (&record);
        zyn_value_destroy (&keys);
        zyn_value_destroy (&item);
    }
    free (json);
    zyn_partition_destroy (&partition);
}

//  The memtable size given at open is LevelDB's: a 1 MB one spills the
//  writes into table files, the default (64 MB) keeps them in the log
START_TEST (test_write_buffer)
{
    char dir [1100], path [1200];
    zyn_test_dir (dir, sizeof (dir), "partition");
    snprintf (path, sizeof (path), "%s/p-1-1", dir);
    s_fill (path, 1024 * 1024);
    ck_assert_int_ge (s_table_files (path), 2);
    snprintf (path, sizeof (path), "%s/p-1-2", dir);
    s_fill (path, 0);
    ck_assert_int_eq (s_table_files (path), 0);
    zyn_test_dir_remove (dir);
}
END_TEST

//  The nice value of the calling process's thread tid, from its stat line
static int
s_thread_nice (const char *tid)
{
    char path [300], line [1024];
    snprintf (path, sizeof (path), "/proc/self/task/%s/stat", tid);
    FILE *file = fopen (path, "r");
    if (!file)
        return -100;            //  The thread is gone
    size_t size = fread (line, 1, sizeof (line) - 1, file);
    fclose (file);
    line [size] = 0;
    //  After "(comm) ": state ppid pgrp session tty tpgid flags minflt
    //  cminflt majflt cmajflt utime stime cutime cstime priority nice
    const char *field = strrchr (line, ')');
    ck_assert_ptr_nonnull (field);
    int nice = -100;
    for (int index = 0; index < 17 && field; index++) {
        field = strchr (field + 1, ' ');
        if (index == 16 && field)
            nice = atoi (field + 1);
    }
    return nice;
}

//  LevelDB's compaction thread starts at the nice value asked for; the
//  caller's own stays as it was, and the scratch LevelDB is gone
START_TEST (test_start_compactions)
{
    char dir [1100];
    zyn_test_dir (dir, sizeof (dir), "partition");
    zyn_error_t err = { 0 };
    ck_assert_int_eq (zyn_compactions_start (dir, 7, &err), 0);
    int niced = 0;
    DIR *tasks = opendir ("/proc/self/task");
    ck_assert_ptr_nonnull (tasks);
    struct dirent *entry;
    while ((entry = readdir (tasks)))
        if (entry->d_name [0] != '.' && s_thread_nice (entry->d_name) == 7)
            niced++;
    closedir (tasks);
    ck_assert_int_eq (niced, 1);
    ck_assert_int_eq (getpriority (PRIO_PROCESS, 0), 0);
    DIR *left = opendir (dir);
    ck_assert_ptr_nonnull (left);
    int entries = 0;
    while ((entry = readdir (left)))
        if (!streq (entry->d_name, ".") && !streq (entry->d_name, ".."))
            entries++;
    closedir (left);
    ck_assert_int_eq (entries, 0);

    //  Partitions opened after it compact on that thread: their writes
    //  reach table files as before
    char path [1200];
    snprintf (path, sizeof (path), "%s/p-1-1", dir);
    s_fill (path, 1024 * 1024);
    ck_assert_int_ge (s_table_files (path), 2);
    zyn_test_dir_remove (dir);
}
END_TEST

Suite *
zyn_leveldb_suite (void)
{
    Suite *suite = suite_create ("zyn_leveldb");
    TCase *tcase = tcase_create ("leveldb");
    tcase_set_timeout (tcase, 30);
    tcase_add_test (tcase, test_write_buffer);
    tcase_add_test (tcase, test_start_compactions);
    suite_add_tcase (suite, tcase);
    return suite;
}

ZYN_TEST_MAIN (zyn_leveldb_suite)

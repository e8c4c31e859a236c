/*  =========================================================================
    check_zyn_commit - the pipelined group commit: a partition's sealed
    and staged generations, the committer threads, and the replies that
    wait for them, on real LevelDB files and real ZeroMQ sockets
    =========================================================================
*/

#include "zyn_prelude.h"
#include <poll.h>
#include "zyn_proto.h"
#include "zyn_partition.h"
#include "zyn_commit.h"
#include "zyn_replies.h"
#include "zyn_testutil.h"


static zyn_value_t *
s_json (const char *json)
{
    zyn_error_t err = { 0 };
    zyn_value_t *value = zyn_value_from_json (json, true, &err);
    ck_assert_msg (value, "bad JSON: %s", err.message);
    return value;
}

static zyn_partition_t *
s_open (const char *path, bool create)
{
    zyn_value_t *descriptor = create ? s_json (ZYN_TEST_DESCRIPTOR_JSON)
                                     : NULL;
    zyn_error_t err = { 0 };
    zyn_partition_t *partition = zyn_partition_new (path, descriptor, &err);
    ck_assert_msg (partition, "open failed: %s", err.message);
    zyn_value_destroy (&descriptor);
    return partition;
}

//  The item row of key (a test's own row keys: 'i' and the key's bytes)
static size_t
s_row (const char *key, uint8_t *row)
{
    row [0] = 'i';
    memcpy (row + 1, key, strlen (key));
    return 1 + strlen (key);
}

//  key's item as read now (staged writes included), or NULL
static zyn_value_t *
s_read (zyn_partition_t *partition, const char *key)
{
    uint8_t row [64];
    size_t row_size = s_row (key, row);
    zyn_value_t *item = NULL;
    zyn_error_t err = { 0 };
    ck_assert_int_eq (zyn_partition_read (partition, row, row_size, &item,
                                          &err), 0);
    return item;
}

//  Stage a put of {pk: key, v: value}; returns its sequence number
static uint64_t
s_put (zyn_partition_t *partition, const char *key, int value)
{
    char json [128];
    snprintf (json, sizeof (json), "{\"pk\":{\"S\":\"%s\"}}", key);
    zyn_value_t *keys = s_json (json);
    snprintf (json, sizeof (json),
              "{\"pk\":{\"S\":\"%s\"},\"v\":{\"N\":\"%d\"}}", key, value);
    zyn_value_t *item = s_json (json);
    zyn_value_t *old = s_read (partition, key);
    uint8_t row [64];
    size_t row_size = s_row (key, row);
    uint64_t seq = zyn_partition_write (partition, row, row_size, keys, old,
                                        item);
    zyn_value_destroy (&old);
    zyn_value_destroy (&keys);
    zyn_value_destroy (&item);
    return seq;
}

//  The v of key's item as read now, -1 if there is none
static int
s_value (zyn_partition_t *partition, const char *key)
{
    zyn_value_t *item = s_read (partition, key);
    int64_t value = -1;
    if (item)
        ck_assert_int_eq (zyn_value_map_get_int (item, "v", &value), 0);
    zyn_value_destroy (&item);
    return (int) value;
}

//  How many change records the log holds from seq 1 on
static size_t
s_logged (zyn_partition_t *partition)
{
    zyn_error_t err = { 0 };
    zyn_value_t *records = zyn_partition_read_records (partition, 1, 100, 0,
                                                       &err);
    ck_assert_ptr_nonnull (records);
    size_t count = zyn_value_size (records);
    zyn_value_destroy (&records);
    return count;
}

//  Take the committed records to publish; returns how many, and checks
//  they come in order from first
static size_t
s_take_records (zyn_partition_t *partition, uint64_t first)
{
    size_t count = 0;
    uint64_t seq;
    zchunk_t *record;
    while ((record = zyn_partition_next_record (partition, &seq))) {
        ck_assert_uint_eq (seq, first + count);
        count++;
        zchunk_destroy (&record);
    }
    return count;
}

//  Stage the delete of key's item
static void
s_delete (zyn_partition_t *partition, const char *key)
{
    char json [128];
    snprintf (json, sizeof (json), "{\"pk\":{\"S\":\"%s\"}}", key);
    zyn_value_t *keys = s_json (json);
    zyn_value_t *old = s_read (partition, key);
    uint8_t row [64];
    size_t row_size = s_row (key, row);
    zyn_partition_write (partition, row, row_size, keys, old, NULL);
    zyn_value_destroy (&old);
    zyn_value_destroy (&keys);
}

//  The DynamoDB size of s_put's item {pk: key, v: value}
static int64_t
s_size (const char *key, int value)
{
    char json [128];
    snprintf (json, sizeof (json),
              "{\"pk\":{\"S\":\"%s\"},\"v\":{\"N\":\"%d\"}}", key, value);
    zyn_value_t *item = s_json (json);
    int64_t size = (int64_t) zyn_item_size (item);
    zyn_value_destroy (&item);
    return size;
}

//  Assert the committed item count and size
static void
s_assert_stats (zyn_partition_t *partition, int64_t items, int64_t bytes)
{
    int64_t got_items = -1, got_bytes = -1;
    zyn_partition_item_stats (partition, &got_items, &got_bytes);
    ck_assert_int_eq (got_items, items);
    ck_assert_int_eq (got_bytes, bytes);
}

//  --------------------------------------------------------------------------
//  A sealed generation is written while the next is staged: reads see
//  the staged writes over the sealed ones over the committed ones; the
//  sealed writes count as committed only once finished

START_TEST (test_generations)
{
    char dir [1100], path [1200];
    zyn_test_dir (dir, sizeof (dir), "commit");
    snprintf (path, sizeof (path), "%s/p-1-1", dir);
    zyn_partition_t *partition = s_open (path, true);

    ck_assert (!zyn_partition_seal (partition));       //  Nothing staged
    ck_assert_uint_eq (s_put (partition, "a", 1), 1);
    ck_assert_uint_eq (s_put (partition, "c", 1), 2);
    ck_assert (zyn_partition_seal (partition));
    ck_assert (zyn_partition_in_flight (partition));
    ck_assert (zyn_partition_is_dirty (partition));
    ck_assert_uint_eq (zyn_partition_last_seq (partition), 0);
    ck_assert_uint_eq (zyn_partition_staged_seq (partition), 2);

    //  The next writes are staged apart, numbered after the sealed ones
    ck_assert_uint_eq (s_put (partition, "a", 2), 3);
    ck_assert_uint_eq (s_put (partition, "b", 1), 4);
    ck_assert_uint_eq (zyn_partition_staged_seq (partition), 4);
    ck_assert_int_eq (s_value (partition, "a"), 2);
    ck_assert_int_eq (s_value (partition, "b"), 1);
    ck_assert_int_eq (s_value (partition, "c"), 1);
    ck_assert_int_eq (s_value (partition, "d"), -1);

    //  Written but not finished: durable, not yet counted or published
    ck_assert_uint_eq (s_logged (partition), 0);
    zyn_error_t err = { 0 };
    ck_assert_int_eq (zyn_partition_write_sealed (partition, &err), 0);
    ck_assert_uint_eq (s_logged (partition), 2);
    ck_assert_uint_eq (zyn_partition_last_seq (partition), 0);
    ck_assert_uint_eq (s_take_records (partition, 1), 0);
    zyn_partition_finish (partition, 0);
    ck_assert (!zyn_partition_in_flight (partition));
    ck_assert (zyn_partition_is_dirty (partition));     //  a=2, b=1
    ck_assert_uint_eq (zyn_partition_last_seq (partition), 2);
    ck_assert_uint_eq (s_take_records (partition, 1), 2);
    ck_assert_int_eq (s_value (partition, "a"), 2);
    ck_assert_int_eq (s_value (partition, "c"), 1);

    //  The staged generation commits next, the same way
    ck_assert (zyn_partition_seal (partition));
    ck_assert_int_eq (zyn_partition_write_sealed (partition, &err), 0);
    zyn_partition_finish (partition, 0);
    ck_assert (!zyn_partition_is_dirty (partition));
    ck_assert_uint_eq (zyn_partition_last_seq (partition), 4);
    ck_assert_uint_eq (s_take_records (partition, 3), 2);

    //  A failed commit takes the writes staged on top of it along:
    //  reads saw them, and their sequence numbers follow its own
    ck_assert_uint_eq (s_put (partition, "d", 1), 5);
    ck_assert (zyn_partition_seal (partition));
    ck_assert_uint_eq (s_put (partition, "e", 1), 6);
    ck_assert_uint_eq (s_put (partition, "a", 3), 7);
    zyn_partition_finish (partition, -1);
    ck_assert (!zyn_partition_in_flight (partition));
    ck_assert (!zyn_partition_is_dirty (partition));
    ck_assert_uint_eq (zyn_partition_last_seq (partition), 4);
    ck_assert_uint_eq (zyn_partition_staged_seq (partition), 4);
    ck_assert_uint_eq (s_take_records (partition, 5), 0);
    ck_assert_int_eq (s_value (partition, "d"), -1);
    ck_assert_int_eq (s_value (partition, "e"), -1);
    ck_assert_int_eq (s_value (partition, "a"), 2);
    //  No gap: the next write takes the lost writes' first number
    ck_assert_uint_eq (s_put (partition, "f", 1), 5);
    ck_assert_int_eq (zyn_partition_commit (partition, &err), 0);
    ck_assert_uint_eq (s_take_records (partition, 5), 1);
    zyn_partition_destroy (&partition);

    //  What was finished is what is stored
    partition = s_open (path, false);
    ck_assert_uint_eq (zyn_partition_last_seq (partition), 5);
    ck_assert_uint_eq (s_logged (partition), 5);
    ck_assert_int_eq (s_value (partition, "a"), 2);
    ck_assert_int_eq (s_value (partition, "b"), 1);
    ck_assert_int_eq (s_value (partition, "c"), 1);
    ck_assert_int_eq (s_value (partition, "d"), -1);
    ck_assert_int_eq (s_value (partition, "e"), -1);
    ck_assert_int_eq (s_value (partition, "f"), 1);
    zyn_partition_destroy (&partition);
    zyn_test_dir_remove (dir);
}
END_TEST

//  --------------------------------------------------------------------------
//  The item count and size follow the generations: only finished commits
//  count, failed and aborted writes never do, and the totals are stored
//  with the items (or counted from them when a partition has none)

START_TEST (test_item_stats)
{
    char dir [1100], path [1200];
    zyn_test_dir (dir, sizeof (dir), "stats");
    snprintf (path, sizeof (path), "%s/p-1-1", dir);
    zyn_partition_t *partition = s_open (path, true);
    s_assert_stats (partition, 0, 0);
    s_put (partition, "a", 1);
    s_assert_stats (partition, 0, 0);                   //  Staged only
    zyn_error_t err = { 0 };
    ck_assert_int_eq (zyn_partition_commit (partition, &err), 0);
    s_assert_stats (partition, 1, s_size ("a", 1));

    //  An overwrite changes the size only; writes staged during a commit
    //  wait for their own
    s_put (partition, "b", 2);
    s_put (partition, "a", 12345);
    ck_assert (zyn_partition_seal (partition));
    s_put (partition, "c", 3);
    ck_assert_int_eq (zyn_partition_write_sealed (partition, &err), 0);
    zyn_partition_finish (partition, 0);
    int64_t two = s_size ("a", 12345) + s_size ("b", 2);
    s_assert_stats (partition, 2, two);
    //  A failed commit counts nothing, nor the writes staged on it
    ck_assert (zyn_partition_seal (partition));         //  c
    s_put (partition, "d", 4);
    zyn_partition_finish (partition, -1);
    s_assert_stats (partition, 2, two);
    s_put (partition, "e", 5);
    zyn_partition_abort (partition);
    ck_assert_int_eq (zyn_partition_commit (partition, &err), 0);
    s_assert_stats (partition, 2, two);
    //  A delete takes the item out; deleting nothing changes nothing
    s_delete (partition, "b");
    s_delete (partition, "zz");
    ck_assert_int_eq (zyn_partition_commit (partition, &err), 0);
    s_assert_stats (partition, 1, s_size ("a", 12345));
    zyn_partition_destroy (&partition);

    //  Stored with the items
    partition = s_open (path, false);
    s_assert_stats (partition, 1, s_size ("a", 12345));
    s_put (partition, "f", 6);
    ck_assert_int_eq (zyn_partition_commit (partition, &err), 0);
    zyn_partition_destroy (&partition);

    //  A partition stored without the totals counts its items at open;
    //  corrupt totals are refused
    leveldb_options_t *options = leveldb_options_create ();
    leveldb_writeoptions_t *write = leveldb_writeoptions_create ();
    char *error = NULL;
    leveldb_t *db = leveldb_open (options, path, &error);
    ck_assert_msg (db, "open: %s", error);
    leveldb_delete (db, write, "mstats", 6, &error);
    ck_assert_ptr_null (error);
    leveldb_close (db);
    partition = s_open (path, false);
    s_assert_stats (partition, 2, s_size ("a", 12345) + s_size ("f", 6));
    zyn_partition_destroy (&partition);
    db = leveldb_open (options, path, &error);
    ck_assert_msg (db, "open: %s", error);
    leveldb_put (db, write, "mstats", 6, "abc", 3, &error);
    ck_assert_ptr_null (error);
    leveldb_close (db);
    ck_assert_ptr_null (zyn_partition_new (path, NULL, &err));
    ck_assert_str_eq (err.message, "partition item stats are corrupt");
    leveldb_writeoptions_destroy (write);
    leveldb_options_destroy (options);
    zyn_test_dir_remove (dir);
}
END_TEST

//  --------------------------------------------------------------------------
//  Committer threads write sealed partitions while the caller stages
//  more; the descriptor wakes it, zyn_commit_next hands them back

START_TEST (test_committers)
{
    char dir [1100], path [1200];
    zyn_test_dir (dir, sizeof (dir), "commit");
    zyn_partition_t *partitions [3];
    for (int i = 0; i < 3; i++) {
        snprintf (path, sizeof (path), "%s/p-1-%d", dir, i + 1);
        partitions [i] = s_open (path, true);
    }
    zyn_commit_t *commit = zyn_commit_new ();
    ck_assert_ptr_nonnull (commit);
    zyn_error_t err = { 0 };
    int rc = -1;
    ck_assert_ptr_null (zyn_commit_next (commit, true, &rc, &err));

    for (int round = 0; round < 50; round++) {
        for (int i = 0; i < 3; i++) {
            char key [16];
            snprintf (key, sizeof (key), "k%d", round);
            s_put (partitions [i], key, round);
            ck_assert (zyn_partition_seal (partitions [i]));
            zyn_commit_start (commit, partitions [i]);
        }
        ck_assert_uint_eq (zyn_commit_under_way (commit), 3);
        //  Meanwhile, writes staged and read on this thread
        for (int i = 0; i < 3; i++) {
            s_put (partitions [i], "staged", round);
            ck_assert_int_eq (s_value (partitions [i], "staged"), round);
        }
        //  The descriptor wakes the caller; each comes back once
        struct pollfd item = { zyn_commit_fd (commit), POLLIN, 0 };
        ck_assert_int_eq (poll (&item, 1, 10000), 1);
        bool seen [3] = { false, false, false };
        for (int done = 0; done < 3; done++) {
            zyn_partition_t *partition = zyn_commit_next (commit, true,
                                                          &rc, &err);
            ck_assert_ptr_nonnull (partition);
            ck_assert_int_eq (rc, 0);
            int i = partition == partitions [0] ? 0
                  : partition == partitions [1] ? 1 : 2;
            ck_assert_ptr_eq (partition, partitions [i]);
            ck_assert (!seen [i]);
            seen [i] = true;
            zyn_partition_finish (partition, rc);
        }
        ck_assert_uint_eq (zyn_commit_under_way (commit), 0);
        ck_assert_ptr_null (zyn_commit_next (commit, false, &rc, &err));
        for (int i = 0; i < 3; i++) {
            //  The staged write is dropped: its number is taken again
            ck_assert_uint_eq (zyn_partition_last_seq (partitions [i]),
                               (uint64_t) round + 1);
            zyn_partition_abort (partitions [i]);
            ck_assert_uint_eq (s_take_records (partitions [i],
                                               (uint64_t) round + 1), 1);
        }
    }
    zyn_commit_destroy (&commit);
    ck_assert_ptr_null (commit);
    for (int i = 0; i < 3; i++) {
        zyn_partition_destroy (&partitions [i]);
        snprintf (path, sizeof (path), "%s/p-1-%d", dir, i + 1);
        partitions [i] = s_open (path, false);
        ck_assert_uint_eq (zyn_partition_last_seq (partitions [i]), 50);
        ck_assert_int_eq (s_value (partitions [i], "k49"), 49);
        ck_assert_int_eq (s_value (partitions [i], "staged"), -1);
        zyn_partition_destroy (&partitions [i]);
    }
    zyn_test_dir_remove (dir);
}
END_TEST

//  --------------------------------------------------------------------------
//  Replies go in order, each once the writes it saw are durable; those
//  that saw a failed commit are answered InternalServerError

//  Receive one front door message: its replies' request ids and status
//  into ids and statuses; returns how many
static size_t
s_recv_answers (zsock_t *client, uint64_t *ids, char statuses [][32],
                size_t max)
{
    zmsg_t *msg = zmsg_recv (client);
    ck_assert_ptr_nonnull (msg);
    size_t count = 0;
    zframe_t *frame = zmsg_first (msg);
    while (frame) {
        ck_assert_uint_lt (count, max);
        zyn_proto_direct_t answer;
        ck_assert_int_eq (zyn_proto_direct_parse (zframe_data (frame),
                                                  zframe_size (frame), true,
                                                  &answer), 0);
        ids [count] = answer.request_id;
        snprintf (statuses [count], 32, "%.*s", (int) answer.name_size,
                  answer.name);
        count++;
        frame = zmsg_next (msg);
    }
    zmsg_destroy (&msg);
    return count;
}

static void
s_add (zyn_replies_t *replies, uint64_t request_id,
       zyn_partition_t *partition)
{
    zyn_replies_to_t to = { "client", 6, request_id, true, false };
    uint8_t *body = (uint8_t *) malloc (1);
    body [0] = 0x80;                    //  An empty map
    zyn_replies_add (replies, &to, ZYN_PROTO_OK, body, 1, partition);
}

START_TEST (test_replies)
{
    char dir [1100], path [1200];
    zyn_test_dir (dir, sizeof (dir), "commit");
    snprintf (path, sizeof (path), "%s/p-1-1", dir);
    zyn_partition_t *partition = s_open (path, true);
    zsock_t *front = zsock_new_router ("inproc://check-zyn-commit");
    ck_assert_ptr_nonnull (front);
    zsock_t *client = zsock_new (ZMQ_DEALER);
    zsock_set_identity (client, "client");
    zsock_set_rcvtimeo (client, 5000);
    ck_assert_int_eq (zsock_connect (client, "inproc://check-zyn-commit"),
                      0);
    zyn_replies_t *replies = zyn_replies_new ();
    bool front_sent = false, dealer_sent = false;

    //  A write, then a read of another partition behind it: both wait
    //  for the write's commit, and go together, in order
    s_put (partition, "a", 1);
    s_add (replies, 1, partition);
    s_add (replies, 2, NULL);
    ck_assert (zyn_partition_seal (partition));
    ck_assert_uint_eq (zyn_replies_send (replies, front, NULL, NULL,
                                         &front_sent, &dealer_sent), 0);
    ck_assert (!front_sent);
    //  A write staged during the commit waits for the next one
    s_put (partition, "b", 1);
    s_add (replies, 3, partition);
    zyn_error_t err = { 0 };
    ck_assert_int_eq (zyn_partition_write_sealed (partition, &err), 0);
    zyn_partition_finish (partition, 0);
    ck_assert_uint_eq (zyn_replies_send (replies, front, NULL, NULL,
                                         &front_sent, &dealer_sent), 2);
    ck_assert (front_sent && !dealer_sent);
    ck_assert_uint_eq (zyn_replies_size (replies), 1);
    uint64_t ids [4];
    char statuses [4][32];
    ck_assert_uint_eq (s_recv_answers (client, ids, statuses, 4), 2);
    ck_assert_uint_eq (ids [0], 1);
    ck_assert_uint_eq (ids [1], 2);
    ck_assert_str_eq (statuses [0], ZYN_PROTO_OK);
    ck_assert_str_eq (statuses [1], ZYN_PROTO_OK);

    //  Its commit fails: it and a reply that saw it are answered
    //  InternalServerError; the reply after them that saw nothing not
    ck_assert (zyn_partition_seal (partition));
    s_put (partition, "c", 1);
    s_add (replies, 4, partition);
    s_add (replies, 5, NULL);
    zyn_partition_finish (partition, -1);
    zyn_replies_fail (replies, partition);
    ck_assert_uint_eq (zyn_replies_send (replies, front, NULL, NULL,
                                         &front_sent, &dealer_sent), 3);
    ck_assert_uint_eq (s_recv_answers (client, ids, statuses, 4), 3);
    ck_assert_uint_eq (ids [0], 3);
    ck_assert_str_eq (statuses [0], "InternalServerError");
    ck_assert_uint_eq (ids [1], 4);
    ck_assert_str_eq (statuses [1], "InternalServerError");
    ck_assert_uint_eq (ids [2], 5);
    ck_assert_str_eq (statuses [2], ZYN_PROTO_OK);
    ck_assert_uint_eq (zyn_replies_size (replies), 0);
    ck_assert_int_eq (s_value (partition, "b"), -1);
    ck_assert_int_eq (s_value (partition, "c"), -1);

    //  Replies still queued are freed with the queue
    s_put (partition, "d", 1);
    s_add (replies, 6, partition);
    zyn_replies_destroy (&replies);
    ck_assert_ptr_null (replies);
    zsock_destroy (&client);
    zsock_destroy (&front);
    zyn_partition_destroy (&partition);
    zyn_test_dir_remove (dir);
}
END_TEST

Suite *
zyn_commit_suite (void)
{
    Suite *suite = suite_create ("zyn_commit");
    TCase *tcase = tcase_create ("commit");
    tcase_set_timeout (tcase, 60);
    tcase_add_test (tcase, test_generations);
    tcase_add_test (tcase, test_item_stats);
    tcase_add_test (tcase, test_committers);
    tcase_add_test (tcase, test_replies);
    suite_add_tcase (suite, tcase);
    return suite;
}

ZYN_TEST_MAIN (zyn_commit_suite)

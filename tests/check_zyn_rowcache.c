/*  =========================================================================
    check_zyn_rowcache - the bounded row cache: lookups, replacement,
    CLOCK eviction, the byte bound, write-through refresh, and a long
    random run checked against a plain table of the latest values
    =========================================================================
*/

#include "zyn_prelude.h"
#include "zyn_rowcache.h"
#include "zyn_testutil.h"

//  What one entry of key_size and value_size octets is charged: the
//  cache's header plus both; measured by caching one and reading bytes
static size_t
s_charge (size_t key_size, size_t value_size)
{
    zyn_rowcache_t *cache = zyn_rowcache_new (1024 * 1024);
    uint8_t key [64] = { 0 }, value [256] = { 0 };
    ck_assert (key_size <= sizeof (key) && value_size <= sizeof (value));
    zyn_rowcache_put (cache, key, key_size, value, value_size);
    size_t charge = zyn_rowcache_bytes (cache);
    zyn_rowcache_destroy (&cache);
    ck_assert_uint_gt (charge, key_size + value_size);
    return charge;
}

static void
s_assert_value (zyn_rowcache_t *cache, const char *key, const char *value)
{
    size_t size = 0;
    const uint8_t *data = zyn_rowcache_get (cache, (const uint8_t *) key,
                                            strlen (key), &size);
    if (!value) {
        ck_assert_msg (data == NULL, "%s should not be cached", key);
        return;
    }
    ck_assert_msg (data != NULL, "%s should be cached", key);
    ck_assert_uint_eq (size, strlen (value));
    ck_assert_mem_eq (data, value, size);
}

static void
s_put (zyn_rowcache_t *cache, const char *key, const char *value)
{
    zyn_rowcache_put (cache, (const uint8_t *) key, strlen (key),
                      (const uint8_t *) value, strlen (value));
}

//  --------------------------------------------------------------------------
//  Get, put, replace, remove and the counters

START_TEST (test_basics)
{
    zyn_rowcache_t *cache = zyn_rowcache_new (1024 * 1024);
    ck_assert_uint_eq (zyn_rowcache_limit (cache), 1024 * 1024);
    s_assert_value (cache, "a", NULL);
    s_put (cache, "a", "one");
    s_put (cache, "ab", "two");
    s_put (cache, "", "empty key");
    s_put (cache, "z", "");
    s_assert_value (cache, "a", "one");
    s_assert_value (cache, "ab", "two");
    s_assert_value (cache, "", "empty key");
    s_assert_value (cache, "z", "");
    s_assert_value (cache, "b", NULL);
    ck_assert_uint_eq (zyn_rowcache_count (cache), 4);
    ck_assert_uint_eq (zyn_rowcache_hits (cache), 4);
    ck_assert_uint_eq (zyn_rowcache_misses (cache), 2);
    ck_assert_uint_eq (zyn_rowcache_bytes (cache),
                       s_charge (1, 3) + s_charge (2, 3) + s_charge (0, 9)
                       + s_charge (1, 0));

    //  A put hands back the cached copy, and counts no lookup
    uint64_t hits = zyn_rowcache_hits (cache);
    const uint8_t *copy = zyn_rowcache_put (cache, (const uint8_t *) "c", 1,
                                            (const uint8_t *) "three", 5);
    ck_assert_ptr_nonnull (copy);
    ck_assert_mem_eq (copy, "three", 5);
    ck_assert_uint_eq (zyn_rowcache_hits (cache), hits);
    zyn_rowcache_remove (cache, (const uint8_t *) "c", 1);

    //  A put replaces; a remove forgets; removing what is missing is a
    //  no-op
    s_put (cache, "a", "uno, longer");
    s_assert_value (cache, "a", "uno, longer");
    ck_assert_uint_eq (zyn_rowcache_count (cache), 4);
    zyn_rowcache_remove (cache, (const uint8_t *) "ab", 2);
    zyn_rowcache_remove (cache, (const uint8_t *) "nope", 4);
    s_assert_value (cache, "ab", NULL);
    s_assert_value (cache, "a", "uno, longer");
    ck_assert_uint_eq (zyn_rowcache_count (cache), 3);
    ck_assert_uint_eq (zyn_rowcache_bytes (cache),
                       s_charge (1, 11) + s_charge (0, 9) + s_charge (1, 0));

    //  Keys that differ only past their eighth octet, or in length
    s_put (cache, "12345678x", "x");
    s_put (cache, "12345678y", "y");
    s_put (cache, "12345678", "none");
    s_assert_value (cache, "12345678x", "x");
    s_assert_value (cache, "12345678y", "y");
    s_assert_value (cache, "12345678", "none");
    zyn_rowcache_destroy (&cache);
    ck_assert_ptr_null (cache);
}
END_TEST

//  --------------------------------------------------------------------------
//  The byte bound and CLOCK: an entry read since the hand last passed
//  gets a second chance

START_TEST (test_eviction)
{
    //  Room for exactly eight entries of a one-octet key and a 100-octet
    //  value: each is an eighth of the limit, the most one entry may be
    size_t charge = s_charge (1, 100);
    zyn_rowcache_t *cache = zyn_rowcache_new (8 * charge);
    char value [101];
    memset (value, 'v', 100);
    value [100] = '\0';
    char key [2] = "0";
    //  Eight fit: 0 .. 7, none referenced yet
    for (int i = 0; i < 8; i++) {
        key [0] = (char) ('0' + i);
        s_put (cache, key, value);
    }
    ck_assert_uint_eq (zyn_rowcache_count (cache), 8);
    ck_assert_uint_eq (zyn_rowcache_bytes (cache), 8 * charge);

    //  Read 0, then add 8: the hand passes 0 (clearing its flag) and
    //  evicts 1
    s_assert_value (cache, "0", value);
    s_put (cache, "8", value);
    ck_assert_uint_eq (zyn_rowcache_count (cache), 8);
    ck_assert_uint_eq (zyn_rowcache_bytes (cache), 8 * charge);
    s_assert_value (cache, "1", NULL);
    for (int i = 0; i <= 8; i++) {
        key [0] = (char) ('0' + i);
        s_assert_value (cache, key, i == 1 ? NULL : value);
    }
    //  Everything referenced: the hand clears all flags, then evicts
    //  one; the bound holds
    s_put (cache, "9", value);
    ck_assert_uint_eq (zyn_rowcache_count (cache), 8);
    ck_assert_uint_eq (zyn_rowcache_bytes (cache), 8 * charge);
    s_assert_value (cache, "9", value);

    //  A value over an eighth of the limit is not cached, and its put
    //  forgets what the key held
    char large [102];
    memset (large, 'L', 101);
    large [101] = '\0';
    ck_assert_ptr_null (zyn_rowcache_put (cache, (const uint8_t *) "9", 1,
                                          (const uint8_t *) large,
                                          strlen (large)));
    s_assert_value (cache, "9", NULL);
    ck_assert_uint_eq (zyn_rowcache_count (cache), 7);

    //  Shrinking the limit evicts down to it; 0 empties the cache and
    //  caches nothing more
    zyn_rowcache_set_limit (cache, 2 * charge);
    ck_assert_uint_le (zyn_rowcache_bytes (cache), 2 * charge);
    ck_assert_uint_le (zyn_rowcache_count (cache), 2);
    zyn_rowcache_set_limit (cache, 0);
    ck_assert_uint_eq (zyn_rowcache_bytes (cache), 0);
    ck_assert_uint_eq (zyn_rowcache_count (cache), 0);
    s_put (cache, "6", "small");
    s_assert_value (cache, "6", NULL);
    ck_assert_uint_eq (zyn_rowcache_limit (cache), 0);
    zyn_rowcache_destroy (&cache);
}
END_TEST

//  --------------------------------------------------------------------------
//  Refresh: writes replace what is cached and add nothing new

START_TEST (test_refresh)
{
    zyn_rowcache_t *cache = zyn_rowcache_new (1024 * 1024);
    s_put (cache, "k", "old");
    zyn_rowcache_refresh (cache, (const uint8_t *) "k", 1,
                          (const uint8_t *) "new value", 9);
    s_assert_value (cache, "k", "new value");
    zyn_rowcache_refresh (cache, (const uint8_t *) "other", 5,
                          (const uint8_t *) "x", 1);
    s_assert_value (cache, "other", NULL);
    ck_assert_uint_eq (zyn_rowcache_count (cache), 1);
    //  A delete (NULL) forgets the key
    zyn_rowcache_refresh (cache, (const uint8_t *) "k", 1, NULL, 0);
    s_assert_value (cache, "k", NULL);
    ck_assert_uint_eq (zyn_rowcache_count (cache), 0);
    ck_assert_uint_eq (zyn_rowcache_bytes (cache), 0);
    //  Refreshing an empty cache is a no-op
    zyn_rowcache_refresh (cache, (const uint8_t *) "k", 1,
                          (const uint8_t *) "v", 1);
    s_assert_value (cache, "k", NULL);
    zyn_rowcache_destroy (&cache);
}
END_TEST

//  --------------------------------------------------------------------------
//  Many entries: the table grows and every one is still found

START_TEST (test_many)
{
    zyn_rowcache_t *cache = zyn_rowcache_new (64 * 1024 * 1024);
    char key [32], value [32];
    for (int i = 0; i < 20000; i++) {
        snprintf (key, sizeof (key), "row-%d", i);
        snprintf (value, sizeof (value), "value-%d", i * 7);
        s_put (cache, key, value);
    }
    ck_assert_uint_eq (zyn_rowcache_count (cache), 20000);
    for (int i = 0; i < 20000; i++) {
        snprintf (key, sizeof (key), "row-%d", i);
        snprintf (value, sizeof (value), "value-%d", i * 7);
        s_assert_value (cache, key, value);
    }
    ck_assert_uint_eq (zyn_rowcache_hits (cache), 20000);
    zyn_rowcache_destroy (&cache);
}
END_TEST

//  --------------------------------------------------------------------------
//  A long random run against a plain table: a lookup finds either
//  nothing or exactly the latest value, and the bound always holds

#define S_KEYS 300

START_TEST (test_random)
{
    char *latest [S_KEYS] = { NULL };
    size_t limit = 40 * 1024;
    zyn_rowcache_t *cache = zyn_rowcache_new (limit);
    unsigned int seed = 20261124;
    uint64_t found = 0;
    for (int step = 0; step < 100000; step++) {
        int index = (int) (rand_r (&seed) % S_KEYS);
        char key [16];
        snprintf (key, sizeof (key), "k%d", index);
        int action = (int) (rand_r (&seed) % 10);
        if (action < 5) {
            size_t size = 0;
            const uint8_t *data = zyn_rowcache_get (
                cache, (const uint8_t *) key, strlen (key), &size);
            if (data) {
                ck_assert_msg (latest [index], "%s cached after removal",
                               key);
                ck_assert_uint_eq (size, strlen (latest [index]));
                ck_assert_mem_eq (data, latest [index], size);
                found++;
            }
        }
        else
        if (action < 8) {
            //  Values from empty to a little over an eighth of the limit
            size_t length = (size_t) (rand_r (&seed) % (limit / 7));
            char *value = (char *) malloc (length + 1);
            for (size_t i = 0; i < length; i++)
                value [i] = (char) ('a' + (step + i) % 26);
            value [length] = '\0';
            free (latest [index]);
            latest [index] = value;
            if (action < 7)
                s_put (cache, key, value);
            else
                zyn_rowcache_refresh (cache, (const uint8_t *) key,
                                      strlen (key), (const uint8_t *) value,
                                      length);
        }
        else {
            free (latest [index]);
            latest [index] = NULL;
            if (action == 8)
                zyn_rowcache_remove (cache, (const uint8_t *) key,
                                     strlen (key));
            else
                zyn_rowcache_refresh (cache, (const uint8_t *) key,
                                      strlen (key), NULL, 0);
        }
        ck_assert_uint_le (zyn_rowcache_bytes (cache), limit);
    }
    //  The run must have exercised hits, misses and eviction
    ck_assert_uint_gt (found, 1000);
    ck_assert_uint_eq (zyn_rowcache_hits (cache), found);
    ck_assert_uint_gt (zyn_rowcache_misses (cache), 1000);
    ck_assert_uint_lt (zyn_rowcache_count (cache), S_KEYS);
    for (int i = 0; i < S_KEYS; i++)
        free (latest [i]);
    zyn_rowcache_destroy (&cache);
}
END_TEST

Suite *
zyn_rowcache_suite (void)
{
    Suite *suite = suite_create ("zyn_rowcache");
    TCase *tcase = tcase_create ("rowcache");
    tcase_add_test (tcase, test_basics);
    tcase_add_test (tcase, test_eviction);
    tcase_add_test (tcase, test_refresh);
    tcase_add_test (tcase, test_many);
    tcase_add_test (tcase, test_random);
    suite_add_tcase (suite, tcase);
    return suite;
}

ZYN_TEST_MAIN (zyn_rowcache_suite)

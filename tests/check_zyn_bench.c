/*  =========================================================================
    check_zyn_bench - zynamo-bench's workload generator, distributions,
    latency histogram, SigV4 signer and HTTP request formatting
    =========================================================================
*/

#include "zyn_prelude.h"
#include "zyn_bench_gen.h"
#include "zyn_bench_hist.h"
#include "zyn_bench_http.h"
#include "zyn_testutil.h"

//  A workload of config name with record_count records
static zyn_bench_workload_t *
s_workload (const char *name, uint64_t records, uint64_t operations)
{
    zyn_bench_config_t config = { 0 };
    ck_assert_int_eq (zyn_bench_config_preset (&config, name), 0);
    config.record_count = records;
    config.operation_count = operations;
    return zyn_bench_workload_new (&config);
}

//  Zeta (n, 0.99), the normaliser of the Zipfian over n items
static double
s_zeta (uint64_t n)
{
    return zyn_bench_zeta (0, n, ZYN_BENCH_ZIPFIAN_CONSTANT, 0);
}

START_TEST (test_presets)
{
    zyn_bench_config_t config = { 0 };
    ck_assert_int_eq (zyn_bench_config_preset (&config, "e"), 0);
    ck_assert_str_eq (config.name, "e");
    ck_assert (config.proportion [ZYN_BENCH_SCAN] == 0.95);
    ck_assert (config.proportion [ZYN_BENCH_INSERT] == 0.05);
    ck_assert_int_eq (config.distribution, ZYN_BENCH_DIST_ZIPFIAN);
    ck_assert_int_eq (config.field_count, 10);
    ck_assert_int_eq (config.field_length, 100);
    ck_assert_int_eq (config.max_scan_length, 100);
    ck_assert_int_eq (zyn_bench_config_preset (&config, "d"), 0);
    ck_assert_int_eq (config.distribution, ZYN_BENCH_DIST_LATEST);
    ck_assert_int_eq (zyn_bench_config_preset (&config, "durable-put"), 0);
    ck_assert (config.proportion [ZYN_BENCH_INSERT] == 1.0);
    ck_assert_int_eq (zyn_bench_config_preset (&config, "g"), -1);
    ck_assert_str_eq (zyn_bench_op_name (ZYN_BENCH_RMW), "READ-MODIFY-WRITE");
}
END_TEST

//  Draw count operation types from workload name; fraction of each
static void
s_proportions (const char *name, int count, double *fraction)
{
    zyn_bench_workload_t *workload = s_workload (name, 1000, 1000);
    zyn_bench_chooser_t chooser;
    zyn_bench_chooser_init (&chooser, workload, 42);
    int seen [ZYN_BENCH_OP_MAX] = { 0 };
    for (int i = 0; i < count; i++)
        seen [zyn_bench_chooser_op (&chooser)]++;
    for (int i = 0; i < ZYN_BENCH_OP_MAX; i++)
        fraction [i] = (double) seen [i] / count;
    zyn_bench_workload_destroy (&workload);
    ck_assert_ptr_null (workload);
}

START_TEST (test_proportions)
{
    double fraction [ZYN_BENCH_OP_MAX];
    s_proportions ("b", 100000, fraction);
    ck_assert_double_eq_tol (fraction [ZYN_BENCH_READ], 0.95, 0.01);
    ck_assert_double_eq_tol (fraction [ZYN_BENCH_UPDATE], 0.05, 0.01);
    ck_assert_double_eq (fraction [ZYN_BENCH_INSERT], 0);
    s_proportions ("a", 100000, fraction);
    ck_assert_double_eq_tol (fraction [ZYN_BENCH_READ], 0.5, 0.01);
    ck_assert_double_eq_tol (fraction [ZYN_BENCH_UPDATE], 0.5, 0.01);
    s_proportions ("c", 10000, fraction);
    ck_assert_double_eq (fraction [ZYN_BENCH_READ], 1.0);
    s_proportions ("e", 100000, fraction);
    ck_assert_double_eq_tol (fraction [ZYN_BENCH_SCAN], 0.95, 0.01);
    ck_assert_double_eq_tol (fraction [ZYN_BENCH_INSERT], 0.05, 0.01);
    s_proportions ("f", 100000, fraction);
    ck_assert_double_eq_tol (fraction [ZYN_BENCH_READ], 0.5, 0.01);
    ck_assert_double_eq_tol (fraction [ZYN_BENCH_RMW], 0.5, 0.01);
    s_proportions ("d", 100000, fraction);
    ck_assert_double_eq_tol (fraction [ZYN_BENCH_READ], 0.95, 0.01);
    ck_assert_double_eq_tol (fraction [ZYN_BENCH_INSERT], 0.05, 0.01);
}
END_TEST

START_TEST (test_key_names)
{
    //  YCSB's first key with hashed inserts, well known from its logs
    char key [ZYN_BENCH_KEY_MAX];
    ck_assert_uint_eq (zyn_bench_key_name (0, key), 23);
    ck_assert_str_eq (key, "user6284781860667377211");
    zyn_bench_key_name (1, key);
    ck_assert_str_eq (key, "user8517097267634966620");
    ck_assert_uint_eq (zyn_bench_fnv64 (0), 6284781860667377211ULL);
}
END_TEST

START_TEST (test_zipfian)
{
    //  Item 0 has probability 1 / zeta(n), item 1 0.5^0.99 / zeta(n)
    zyn_bench_zipf_t zipf;
    zyn_bench_zipf_init (&zipf, 0, 999, ZYN_BENCH_ZIPFIAN_CONSTANT, 0);
    ck_assert_double_eq_tol (zipf.zetan, 7.72895, 0.0001);
    zyn_bench_rng_t rng;
    zyn_bench_rng_seed (&rng, 7);
    int draws = 200000;
    int *seen = (int *) calloc (1000, sizeof (int));
    for (int i = 0; i < draws; i++) {
        uint64_t item = zyn_bench_zipf_next (&zipf, &rng, 1000);
        ck_assert_uint_lt (item, 1000);
        seen [item]++;
    }
    double expected0 = 1.0 / s_zeta (1000);
    double expected1 = pow (0.5, 0.99) / s_zeta (1000);
    ck_assert_double_eq_tol ((double) seen [0] / draws, expected0,
                             expected0 * 0.03);
    ck_assert_double_eq_tol ((double) seen [1] / draws, expected1,
                             expected1 * 0.05);
    //  Skewed: the first 10 items take about zeta(10) / zeta(1000) of the
    //  draws (Gray's method is exact for items 0 and 1 only)
    int head = 0;
    for (int i = 0; i < 10; i++)
        head += seen [i];
    ck_assert_double_eq_tol ((double) head / draws,
                             s_zeta (10) / s_zeta (1000), 0.025);
    free (seen);
}
END_TEST

START_TEST (test_scrambled)
{
    //  The scrambled generator keeps the skew but moves the popular items
    //  to hashed places spread over the whole range
    zyn_bench_scrambled_t scrambled;
    zyn_bench_scrambled_init (&scrambled, 0, 9999);
    zyn_bench_rng_t rng;
    zyn_bench_rng_seed (&rng, 11);
    int draws = 200000;
    int *seen = (int *) calloc (10000, sizeof (int));
    int deciles [10] = { 0 };
    double sum = 0;
    for (int i = 0; i < draws; i++) {
        uint64_t item = zyn_bench_scrambled_next (&scrambled, &rng);
        ck_assert_uint_lt (item, 10000);
        seen [item]++;
        deciles [item / 1000]++;
        sum += (double) item;
    }
    int top = 0;
    for (int i = 1; i < 10000; i++)
        if (seen [i] > seen [top])
            top = i;
    ck_assert_int_eq (top, (int) (zyn_bench_fnv64 (0) % 10000));
    double expected = 1.0 / ZYN_BENCH_SCRAMBLED_ZETAN;
    ck_assert_double_eq_tol ((double) seen [top] / draws, expected,
                             expected * 0.1);
    //  Not clustered at the low end as the plain Zipfian is
    ck_assert_int_lt (seen [0], draws / 100);
    for (int i = 0; i < 10; i++)
        ck_assert_int_gt (deciles [i], draws / 30);
    ck_assert_double_eq_tol (sum / draws, 4999.5, 500);
    free (seen);
}
END_TEST

START_TEST (test_uniform)
{
    zyn_bench_config_t config = { 0 };
    zyn_bench_config_preset (&config, "c");
    config.distribution = ZYN_BENCH_DIST_UNIFORM;
    config.record_count = 100;
    config.operation_count = 100000;
    zyn_bench_workload_t *workload = zyn_bench_workload_new (&config);
    zyn_bench_chooser_t chooser;
    zyn_bench_chooser_init (&chooser, workload, 3);
    int seen [100] = { 0 };
    for (int i = 0; i < 100000; i++) {
        uint64_t keynum = zyn_bench_chooser_keynum (&chooser);
        ck_assert_uint_lt (keynum, 100);
        seen [keynum]++;
    }
    for (int i = 0; i < 100; i++) {
        ck_assert_int_gt (seen [i], 850);
        ck_assert_int_lt (seen [i], 1150);
    }
    zyn_bench_workload_destroy (&workload);
}
END_TEST

START_TEST (test_latest)
{
    //  Workload D's reads favour the newest records, and follow inserts
    zyn_bench_workload_t *workload = s_workload ("d", 1000, 100000);
    ck_assert_uint_eq (zyn_bench_workload_last_insert (workload), 999);
    zyn_bench_chooser_t chooser;
    zyn_bench_chooser_init (&chooser, workload, 5);
    int draws = 100000;
    int *seen = (int *) calloc (2000, sizeof (int));
    for (int i = 0; i < draws; i++) {
        uint64_t keynum = zyn_bench_chooser_keynum (&chooser);
        ck_assert_uint_le (keynum, 999);
        seen [keynum]++;
    }
    int top = 0;
    for (int i = 1; i < 2000; i++)
        if (seen [i] > seen [top])
            top = i;
    ck_assert_int_eq (top, 999);
    ck_assert_double_eq_tol ((double) seen [999] / draws, 1 / s_zeta (999),
                             0.01);
    int recent = 0;
    for (int i = 990; i <= 999; i++)
        recent += seen [i];
    ck_assert_double_eq_tol ((double) recent / draws,
                             s_zeta (10) / s_zeta (999), 0.025);

    //  Insert ten more: the newest becomes the favourite
    for (int i = 0; i < 10; i++) {
        uint64_t keynum = zyn_bench_workload_next_insert (workload);
        ck_assert_uint_eq (keynum, 1000 + (uint64_t) i);
        zyn_bench_workload_ack_insert (workload, keynum);
    }
    ck_assert_uint_eq (zyn_bench_workload_last_insert (workload), 1009);
    memset (seen, 0, 2000 * sizeof (int));
    for (int i = 0; i < draws; i++) {
        uint64_t keynum = zyn_bench_chooser_keynum (&chooser);
        ck_assert_uint_le (keynum, 1009);
        seen [keynum]++;
    }
    top = 0;
    for (int i = 1; i < 2000; i++)
        if (seen [i] > seen [top])
            top = i;
    ck_assert_int_eq (top, 1009);
    free (seen);
    zyn_bench_workload_destroy (&workload);
}
END_TEST

START_TEST (test_acknowledged)
{
    //  Inserts finishing out of order only expose a contiguous prefix
    zyn_bench_workload_t *workload = s_workload ("d", 100, 100);
    uint64_t a = zyn_bench_workload_next_insert (workload);
    uint64_t b = zyn_bench_workload_next_insert (workload);
    uint64_t c = zyn_bench_workload_next_insert (workload);
    ck_assert_uint_eq (a, 100);
    ck_assert_uint_eq (c, 102);
    zyn_bench_workload_ack_insert (workload, b);
    ck_assert_uint_eq (zyn_bench_workload_last_insert (workload), 99);
    zyn_bench_workload_ack_insert (workload, a);
    ck_assert_uint_eq (zyn_bench_workload_last_insert (workload), 101);
    zyn_bench_workload_ack_insert (workload, c);
    ck_assert_uint_eq (zyn_bench_workload_last_insert (workload), 102);

    //  Claims stop at the operation count; the load phase at the records
    int claimed = 0;
    while (zyn_bench_workload_claim (workload))
        claimed++;
    ck_assert_int_eq (claimed, 100);
    int loaded = 0;
    while (zyn_bench_workload_next_load (workload) >= 0)
        loaded++;
    ck_assert_int_eq (loaded, 100);
    zyn_bench_workload_destroy (&workload);
}
END_TEST

START_TEST (test_scan_length)
{
    zyn_bench_workload_t *workload = s_workload ("e", 1000, 10000);
    zyn_bench_chooser_t chooser;
    zyn_bench_chooser_init (&chooser, workload, 9);
    int scans = 0, shortest = 1000, longest = 0;
    double sum = 0;
    for (int i = 0; i < 20000; i++) {
        zyn_bench_request_t request;
        zyn_bench_chooser_next (&chooser, &request);
        if (request.type == ZYN_BENCH_INSERT) {
            ck_assert_uint_ge (request.keynum, 1000);
            zyn_bench_workload_ack_insert (workload, request.keynum);
            continue;
        }
        ck_assert_int_eq (request.type, ZYN_BENCH_SCAN);
        ck_assert_uint_le (request.keynum,
                           zyn_bench_workload_last_insert (workload));
        ck_assert_int_ge (request.scan_length, 1);
        ck_assert_int_le (request.scan_length, 100);
        ck_assert_int_ge (request.field, 0);
        ck_assert_int_le (request.field, 9);
        ck_assert_int_eq (strncmp (request.key, "user", 4), 0);
        ck_assert_uint_eq (strlen (request.key), request.key_size);
        shortest = request.scan_length < shortest ? request.scan_length
                                                  : shortest;
        longest = request.scan_length > longest ? request.scan_length
                                                : longest;
        sum += request.scan_length;
        scans++;
    }
    ck_assert_int_eq (shortest, 1);
    ck_assert_int_eq (longest, 100);
    ck_assert_double_eq_tol (sum / scans, 50.5, 1.0);

    //  Field data is printable and needs no JSON escaping
    char value [1000];
    zyn_bench_chooser_fill (&chooser, value, sizeof (value));
    for (size_t i = 0; i < sizeof (value); i++) {
        ck_assert (value [i] >= ' ' && value [i] <= '~');
        ck_assert (value [i] != '"' && value [i] != '\\');
    }
    zyn_bench_workload_destroy (&workload);
}
END_TEST

START_TEST (test_hist_buckets)
{
    //  Exact below 256; every bucket's width within 1/128 of its values
    for (uint64_t v = 0; v < 256; v++) {
        ck_assert_uint_eq (zyn_bench_hist_index (v), v);
        ck_assert_uint_eq (zyn_bench_hist_lowest (v), v);
        ck_assert_uint_eq (zyn_bench_hist_highest (v), v);
    }
    uint64_t samples [] = { 256, 257, 511, 512, 1000, 123456, 999999937,
                            (uint64_t) 1 << 40, ((uint64_t) 1 << 41) - 1 };
    for (size_t i = 0; i < sizeof (samples) / sizeof (samples [0]); i++) {
        size_t index = zyn_bench_hist_index (samples [i]);
        uint64_t low = zyn_bench_hist_lowest (index);
        uint64_t high = zyn_bench_hist_highest (index);
        ck_assert_uint_le (low, samples [i]);
        ck_assert_uint_ge (high, samples [i]);
        ck_assert ((double) (high - low) / (double) low < 1.0 / 128);
        ck_assert_uint_eq (zyn_bench_hist_index (low), index);
        ck_assert_uint_eq (zyn_bench_hist_index (high), index);
        if (index + 1 < ZYN_BENCH_HIST_BUCKETS)
            ck_assert_uint_eq (zyn_bench_hist_index (high + 1), index + 1);
    }
    ck_assert_uint_eq (zyn_bench_hist_index (UINT64_MAX),
                       ZYN_BENCH_HIST_BUCKETS - 1);
}
END_TEST

START_TEST (test_hist_quantiles)
{
    //  1..100000 microseconds (in ns): each percentile within 1%
    zyn_bench_hist_t *hist = zyn_bench_hist_new ();
    ck_assert_uint_eq (zyn_bench_hist_quantile (hist, 0.5), 0);
    for (uint64_t v = 1; v <= 100000; v++)
        zyn_bench_hist_record (hist, v * 1000);
    ck_assert_uint_eq (hist->count, 100000);
    ck_assert_uint_eq (hist->min, 1000);
    ck_assert_uint_eq (hist->max, 100000000);
    double quantiles [] = { 0.5, 0.95, 0.99, 0.999, 0.0001 };
    for (size_t i = 0; i < 5; i++) {
        double expected = quantiles [i] * 100000 * 1000;
        double got = (double) zyn_bench_hist_quantile (hist, quantiles [i]);
        ck_assert_double_eq_tol (got, expected, expected * 0.01);
    }
    ck_assert_uint_eq (zyn_bench_hist_quantile (hist, 1.0), 100000000);
    ck_assert_double_eq_tol (zyn_bench_hist_mean (hist), 50000.5 * 1000, 1);

    //  A skewed set: 990 fast values, 10 slow ones
    zyn_bench_hist_t *skewed = zyn_bench_hist_new ();
    for (int i = 0; i < 990; i++)
        zyn_bench_hist_record (skewed, 100);
    for (int i = 0; i < 10; i++)
        zyn_bench_hist_record (skewed, 5000000);
    ck_assert_uint_eq (zyn_bench_hist_quantile (skewed, 0.99), 100);
    ck_assert_double_eq_tol (
        (double) zyn_bench_hist_quantile (skewed, 0.995), 5000000, 50000);
    zyn_bench_hist_destroy (&skewed);
    zyn_bench_hist_destroy (&hist);
    ck_assert_ptr_null (hist);
}
END_TEST

START_TEST (test_hist_merge)
{
    //  Two halves merged answer as one histogram of everything does
    zyn_bench_hist_t *whole = zyn_bench_hist_new ();
    zyn_bench_hist_t *odd = zyn_bench_hist_new ();
    zyn_bench_hist_t *even = zyn_bench_hist_new ();
    zyn_bench_rng_t rng;
    zyn_bench_rng_seed (&rng, 1);
    for (int i = 0; i < 50000; i++) {
        uint64_t value = 1000 + zyn_bench_rng_range (&rng, 0, 10000000);
        zyn_bench_hist_record (whole, value);
        zyn_bench_hist_record (i % 2 ? odd : even, value);
    }
    zyn_bench_hist_t *merged = zyn_bench_hist_new ();
    zyn_bench_hist_merge (merged, odd);
    zyn_bench_hist_merge (merged, even);
    ck_assert_uint_eq (merged->count, whole->count);
    ck_assert_uint_eq (merged->sum, whole->sum);
    ck_assert_uint_eq (merged->min, whole->min);
    ck_assert_uint_eq (merged->max, whole->max);
    ck_assert_int_eq (memcmp (merged->buckets, whole->buckets,
                              sizeof (whole->buckets)),
                      0);
    ck_assert_uint_eq (zyn_bench_hist_quantile (merged, 0.99),
                       zyn_bench_hist_quantile (whole, 0.99));

    //  Subtracting a half leaves the other half
    zyn_bench_hist_subtract (merged, odd);
    ck_assert_uint_eq (merged->count, even->count);
    ck_assert_uint_eq (merged->sum, even->sum);
    ck_assert_uint_eq (zyn_bench_hist_quantile (merged, 0.5),
                       zyn_bench_hist_quantile (even, 0.5));
    zyn_bench_hist_reset (merged);
    ck_assert_uint_eq (merged->count, 0);
    zyn_bench_hist_destroy (&merged);
    zyn_bench_hist_destroy (&whole);
    zyn_bench_hist_destroy (&odd);
    zyn_bench_hist_destroy (&even);
}
END_TEST

START_TEST (test_sigv4_vector)
{
    //  AWS's Signature Version 4 test suite, "get-vanilla"
    const char *names [] = { "host", "x-amz-date" };
    const char *values [] = { "example.amazonaws.com", "20150830T123600Z" };
    char authorization [512];
    ck_assert_int_eq (
        zyn_bench_sigv4 (authorization, sizeof (authorization), "GET", "/",
                         names, values, 2, "", 0, "AKIDEXAMPLE",
                         "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                         "us-east-1", "service", "20150830T123600Z", NULL),
        0);
    const char *expected =
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/"
        "aws4_request, SignedHeaders=host;x-amz-date, Signature="
        "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";
    ck_assert_str_eq (authorization, expected);

    //  With a kept signing key: derived on the first call, used on the
    //  next, derived again for another day or another secret
    zyn_bench_sigv4_key_t cache = { "", { 0 } };
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq (
            zyn_bench_sigv4 (authorization, sizeof (authorization), "GET",
                             "/", names, values, 2, "", 0, "AKIDEXAMPLE",
                             "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                             "us-east-1", "service", "20150830T123600Z",
                             &cache),
            0);
        ck_assert_str_eq (authorization, expected);
        ck_assert_str_eq (cache.scope,
                          "20150830/us-east-1/service/aws4_request/"
                          "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
    }
    char other [512], fresh [512];
    const char *next_values [] = { "example.amazonaws.com",
                                   "20150831T000000Z" };
    ck_assert_int_eq (
        zyn_bench_sigv4 (other, sizeof (other), "GET", "/", names,
                         next_values, 2, "", 0, "AKIDEXAMPLE", "other",
                         "us-east-1", "service", "20150831T000000Z", &cache),
        0);
    ck_assert_int_eq (
        zyn_bench_sigv4 (fresh, sizeof (fresh), "GET", "/", names,
                         next_values, 2, "", 0, "AKIDEXAMPLE", "other",
                         "us-east-1", "service", "20150831T000000Z", NULL),
        0);
    ck_assert_str_eq (other, fresh);
    ck_assert_str_ne (other, expected);
    //  Too small a buffer is refused, not truncated
    ck_assert_int_eq (
        zyn_bench_sigv4 (authorization, 40, "GET", "/", names, values, 2, "",
                         0, "AKIDEXAMPLE", "secret", "us-east-1", "service",
                         "20150830T123600Z", NULL),
        -1);
}
END_TEST

START_TEST (test_http_format)
{
    //  A DynamoDB request as the JSON API wants it; the signature was
    //  computed independently (Python's hmac and hashlib)
    const char *body = "{\"TableName\":\"usertable\"}";
    char request [2048];
    int length = zyn_bench_http_format (
        request, sizeof (request), "127.0.0.1:8000", "DescribeTable", body,
        strlen (body), "zynamo", "zynamo", "us-east-1", "20240101T000000Z",
        NULL);
    ck_assert_int_gt (length, 0);
    request [length] = 0;
    ck_assert_str_eq (
        request,
        "POST / HTTP/1.1\r\n"
        "Host: 127.0.0.1:8000\r\n"
        "Content-Type: application/x-amz-json-1.0\r\n"
        "X-Amz-Date: 20240101T000000Z\r\n"
        "X-Amz-Target: DynamoDB_20120810.DescribeTable\r\n"
        "Authorization: AWS4-HMAC-SHA256 Credential=zynamo/20240101/"
        "us-east-1/dynamodb/aws4_request, SignedHeaders=content-type;host;"
        "x-amz-date;x-amz-target, Signature="
        "479b3bd2ff8c9d9b4abe1aeca6a8f11adda8968124151b8eda46a10c3147f5b3\r\n"
        "Content-Length: 25\r\n"
        "\r\n"
        "{\"TableName\":\"usertable\"}");
    ck_assert_int_eq (zyn_bench_http_format (request, 100, "h", "GetItem",
                                             body, strlen (body), "a", "b",
                                             "r", "20240101T000000Z", NULL),
                      -1);
}
END_TEST

START_TEST (test_http_parse)
{
    int status = 0;
    size_t offset = 0, size = 0;
    bool closing = false;

    char plain [] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    "content-length: 2\r\n\r\n{}HTTP/1.1";
    size_t plain_size = strlen (plain);
    //  Incomplete until the whole body is there
    ck_assert_int_eq (zyn_bench_http_parse (plain, 20, &status, &offset,
                                            &size, &closing),
                      0);
    ck_assert_int_eq (zyn_bench_http_parse (plain, plain_size - 9, &status,
                                            &offset, &size, &closing),
                      0);
    long taken = zyn_bench_http_parse (plain, plain_size, &status, &offset,
                                       &size, &closing);
    ck_assert_int_eq (taken, (long) plain_size - 8);
    ck_assert_int_eq (status, 200);
    ck_assert_uint_eq (size, 2);
    ck_assert_int_eq (memcmp (plain + offset, "{}", 2), 0);
    ck_assert (!closing);

    char chunked [] = "HTTP/1.1 400 Bad Request\r\nTransfer-Encoding: chunked\r\n"
                      "Connection: close\r\n\r\n"
                      "5\r\n{\"__t\r\n"
                      "9\r\nype\":\"x\"}\r\n"
                      "0\r\n\r\n";
    size_t chunked_size = strlen (chunked);
    ck_assert_int_eq (zyn_bench_http_parse (chunked, chunked_size - 2,
                                            &status, &offset, &size,
                                            &closing),
                      0);
    taken = zyn_bench_http_parse (chunked, chunked_size, &status, &offset,
                                  &size, &closing);
    ck_assert_int_eq (taken, (long) chunked_size);
    ck_assert_int_eq (status, 400);
    ck_assert (closing);
    ck_assert_uint_eq (size, 14);
    ck_assert_int_eq (memcmp (chunked + offset, "{\"__type\":\"x\"}", 14),
                      0);

    char http10 [] = "HTTP/1.0 204 No Content\r\n\r\n";
    ck_assert_int_eq (zyn_bench_http_parse (http10, strlen (http10), &status,
                                            &offset, &size, &closing),
                      (long) strlen (http10));
    ck_assert_int_eq (status, 204);
    ck_assert (closing);

    char garbage [] = "SMTP ready\r\n\r\n";
    ck_assert_int_eq (zyn_bench_http_parse (garbage, strlen (garbage),
                                            &status, &offset, &size,
                                            &closing),
                      -1);

    //  An endpoint that is not http:// is refused
    zyn_error_t err = { 0 };
    ck_assert_ptr_null (zyn_bench_http_new ("tcp://127.0.0.1:1", "r", "a",
                                            "b", &err));
    ck_assert_int_eq (err.type, ZYN_ERR_VALIDATION);
    ck_assert_str_eq (err.message,
                      "endpoint 'tcp://127.0.0.1:1' is not http://host:port");
}
END_TEST

//  A listening socket on an ephemeral loopback port, its URL in endpoint
static int
s_listen (char *endpoint, size_t size)
{
    int listener = socket (AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge (listener, 0);
    struct sockaddr_in address = zyn_test_loopback (0);
    ck_assert_int_eq (bind (listener, (struct sockaddr *) &address,
                            sizeof (address)),
                      0);
    socklen_t address_size = sizeof (address);
    getsockname (listener, (struct sockaddr *) &address, &address_size);
    ck_assert_int_eq (listen (listener, 2), 0);
    snprintf (endpoint, size, "http://127.0.0.1:%d", ntohs (address.sin_port));
    return listener;
}

//  Read from peer until text has come; false if the connection ended
static bool
s_read_until (int peer, const char *text)
{
    char request [4096];
    size_t received = 0;
    while (!memmem (request, received, text, strlen (text))) {
        ssize_t rc = recv (peer, request + received,
                           sizeof (request) - received, 0);
        if (rc <= 0)
            return false;
        received += (size_t) rc;
    }
    return true;
}

//  Wait until fd is readable (at most 5 s)
static void
s_wait_readable (int fd)
{
    struct pollfd item = { .fd = fd, .events = POLLIN };
    ck_assert_int_eq (poll (&item, 1, 5000), 1);
}

START_TEST (test_http_exchange)
{
    //  One request over a real socket to a one-shot server: the request
    //  arrives whole and the chunked answer is decoded
    char endpoint [64];
    int listener = s_listen (endpoint, sizeof (endpoint));
    zyn_error_t err = { 0 };
    zyn_bench_http_t *http
        = zyn_bench_http_new (endpoint, "us-east-1", "a", "b", &err);
    ck_assert_ptr_nonnull (http);

    pid_t child = fork ();
    ck_assert_int_ge (child, 0);
    if (child == 0) {
        int peer = accept (listener, NULL, NULL);
        char request [4096];
        size_t received = 0;
        while (!memmem (request, received, "\"x\"}", 4)) {
            ssize_t rc = recv (peer, request + received,
                               sizeof (request) - received, 0);
            if (rc <= 0)
                _exit (1);
            received += (size_t) rc;
        }
        bool good = memmem (request, received,
                            "X-Amz-Target: DynamoDB_20120810.GetItem", 39)
                 && memmem (request, received, "Content-Length: 5\r\n", 19);
        const char *answer
            = good ? "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "3\r\n{\"a\r\n4\r\n\":1}\r\n0\r\n\r\n"
                   : "HTTP/1.1 500 Bad\r\nContent-Length: 0\r\n\r\n";
        if (send (peer, answer, strlen (answer), 0) < 0)
            _exit (1);
        close (peer);
        _exit (0);
    }
    close (listener);
    const char *response = NULL;
    size_t response_size = 0;
    int status = zyn_bench_http_post (http, "GetItem", "{\"x\"}", 5,
                                      &response, &response_size, &err);
    ck_assert_int_eq (status, 200);
    ck_assert_str_eq (response, "{\"a\":1}");
    ck_assert_uint_eq (response_size, 7);
    int child_status = 0;
    waitpid (child, &child_status, 0);
    ck_assert_int_eq (child_status, 0);
    zyn_bench_http_destroy (&http);
    ck_assert_ptr_null (http);
}
END_TEST

START_TEST (test_http_receive_parts)
{
    //  The polled interface: a response read as it comes, in two parts,
    //  and a kept-alive connection the server closed between requests,
    //  where the request goes once more on a new connection
    char endpoint [64];
    int listener = s_listen (endpoint, sizeof (endpoint));
    int go [2];
    ck_assert_int_eq (pipe (go), 0);
    zyn_error_t err = { 0 };
    zyn_bench_http_t *http
        = zyn_bench_http_new (endpoint, "us-east-1", "a", "b", &err);
    ck_assert_ptr_nonnull (http);
    uint64_t connection = 7;
    ck_assert_int_eq (zyn_bench_http_fd (http, &connection), -1);
    ck_assert_uint_eq (connection, 0);

    pid_t child = fork ();
    ck_assert_int_ge (child, 0);
    if (child == 0) {
        close (go [1]);
        //  First connection: one whole answer, then closed
        int peer = accept (listener, NULL, NULL);
        const char *first = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}";
        if (!s_read_until (peer, "\"1\"}")
            || send (peer, first, strlen (first), 0) < 0)
            _exit (1);
        close (peer);
        //  Second: the answer in two parts, the second when told
        peer = accept (listener, NULL, NULL);
        const char *head = "HTTP/1.1 400 Bad Request\r\n"
                           "Content-Length: 10\r\n\r\n{\"__ty";
        const char *tail = "pe\"}";
        char byte;
        if (!s_read_until (peer, "\"2\"}")
            || send (peer, head, strlen (head), 0) < 0
            || read (go [0], &byte, 1) != 1
            || send (peer, tail, strlen (tail), 0) < 0)
            _exit (1);
        close (peer);
        _exit (0);
    }
    close (listener);
    close (go [0]);
    const char *response = NULL;
    size_t response_size = 0;
    ck_assert_int_eq (zyn_bench_http_send (http, "GetItem", "{\"1\"}", 5, &err),
                      0);
    int fd = zyn_bench_http_fd (http, &connection);
    ck_assert_int_ge (fd, 0);
    ck_assert_uint_eq (connection, 1);
    s_wait_readable (fd);
    int status = 0;
    while ((status = zyn_bench_http_receive (http, false, &response,
                                             &response_size, &err))
           == 0)
        s_wait_readable (fd);
    ck_assert_int_eq (status, 200);
    ck_assert_str_eq (response, "{}");

    //  The server has closed that connection: the send still goes out on
    //  it, the read finds it closed and sends again on a second one
    usleep (100000);
    ck_assert_int_eq (zyn_bench_http_send (http, "GetItem", "{\"2\"}", 5, &err),
                      0);
    fd = zyn_bench_http_fd (http, &connection);
    s_wait_readable (fd);
    ck_assert_int_eq (zyn_bench_http_receive (http, false, &response,
                                              &response_size, &err),
                      0);
    fd = zyn_bench_http_fd (http, &connection);
    ck_assert_uint_eq (connection, 2);
    //  Only the first part comes (it may have been read already)
    struct pollfd item = { .fd = fd, .events = POLLIN };
    if (poll (&item, 1, 200) == 1)
        ck_assert_int_eq (zyn_bench_http_receive (http, false, &response,
                                                  &response_size, &err),
                          0);
    ck_assert_int_eq (write (go [1], "g", 1), 1);
    s_wait_readable (fd);
    while ((status = zyn_bench_http_receive (http, false, &response,
                                             &response_size, &err))
           == 0)
        s_wait_readable (fd);
    ck_assert_int_eq (status, 400);
    ck_assert_str_eq (response, "{\"__type\"}");
    ck_assert_uint_eq (response_size, 10);
    close (go [1]);
    int child_status = 0;
    waitpid (child, &child_status, 0);
    ck_assert_int_eq (child_status, 0);

    //  Closed by the caller (a request given up on): no socket, and
    //  nothing in flight is a clear error
    ck_assert_int_ge (zyn_bench_http_fd (http, NULL), 0);
    zyn_bench_http_close (http);
    ck_assert_int_eq (zyn_bench_http_fd (http, &connection), -1);
    ck_assert_uint_eq (connection, 2);
    ck_assert_int_eq (zyn_bench_http_receive (http, true, &response,
                                              &response_size, &err),
                      -1);
    zyn_bench_http_destroy (&http);
}
END_TEST

static Suite *
zyn_bench_suite (void)
{
    Suite *suite = suite_create ("zyn_bench");
    TCase *generator = tcase_create ("generator");
    tcase_set_timeout (generator, 30);
    tcase_add_test (generator, test_presets);
    tcase_add_test (generator, test_proportions);
    tcase_add_test (generator, test_key_names);
    tcase_add_test (generator, test_zipfian);
    tcase_add_test (generator, test_scrambled);
    tcase_add_test (generator, test_uniform);
    tcase_add_test (generator, test_latest);
    tcase_add_test (generator, test_acknowledged);
    tcase_add_test (generator, test_scan_length);
    suite_add_tcase (suite, generator);
    TCase *histogram = tcase_create ("histogram");
    tcase_add_test (histogram, test_hist_buckets);
    tcase_add_test (histogram, test_hist_quantiles);
    tcase_add_test (histogram, test_hist_merge);
    suite_add_tcase (suite, histogram);
    TCase *http = tcase_create ("http");
    tcase_add_test (http, test_sigv4_vector);
    tcase_add_test (http, test_http_format);
    tcase_add_test (http, test_http_parse);
    tcase_add_test (http, test_http_exchange);
    tcase_add_test (http, test_http_receive_parts);
    suite_add_tcase (suite, http);
    return suite;
}

ZYN_TEST_MAIN (zyn_bench_suite)

//  check_zyn_proto - Check suite for zyn_proto (being written)
#include "zyn_prelude.h"
#include "../tests/zyn_testutil.h"

START_TEST (test_placeholder)
{
    ck_assert_int_eq (1, 1);
}
END_TEST

Suite *
zyn_proto_suite (void)
{
    Suite *suite = suite_create ("zyn_proto");
    TCase *tc = tcase_create ("placeholder");
    tcase_add_test (tc, test_placeholder);
    suite_add_tcase (suite, tc);
    return suite;
}

ZYN_TEST_MAIN (zyn_proto_suite)

/*
 * tern-check.h: the common main() of tern's Check unit tests.
 *
 * Each test file defines one Suite and ends with TERN_CHECK_MAIN(its_suite).
 * Results are printed as TAP on stdout so that meson counts every case.
 */
#ifndef TESTS_UNIT_TERN_CHECK_H
#define TESTS_UNIT_TERN_CHECK_H

#include <check.h>
#include <stdlib.h>

#define TERN_CHECK_MAIN(suite_fn)                                   \
    int main(void)                                                  \
    {                                                               \
        SRunner *sr = srunner_create(suite_fn());                   \
        int failed;                                                 \
        srunner_set_tap(sr, "/dev/stdout");                         \
        srunner_run_all(sr, CK_SILENT);                             \
        failed = srunner_ntests_failed(sr);                         \
        srunner_free(sr);                                           \
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;                \
    }

#endif /* TESTS_UNIT_TERN_CHECK_H */

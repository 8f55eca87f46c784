/*
 * tern-check.h: the common main() of tern's Check unit tests.
 *
 * Each test file defines one Suite and ends with TERN_CHECK_MAIN(its_suite).
 * Results are printed as TAP on stdout so that meson counts every case.
 */
#ifndef TESTS_UNIT_TERN_CHECK_H
#define TESTS_UNIT_TERN_CHECK_H

#include <check.h>
#include <glib.h>
#include <stdlib.h>
#include <unistd.h>

/*
 * tern_check_rmdir: remove the files of the flat temporary directory @dir
 * (made with g_dir_make_tmp), then @dir itself, and free the name.
 */
static inline void tern_check_rmdir(char *dir)
{
    GDir *d = dir ? g_dir_open(dir, 0, NULL) : NULL;
    const char *name;

    while (d && (name = g_dir_read_name(d))) {
        char *path = g_build_filename(dir, name, NULL);

        unlink(path);
        g_free(path);
    }
    if (d) {
        g_dir_close(d);
    }
    if (dir) {
        rmdir(dir);
    }
    g_free(dir);
}

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

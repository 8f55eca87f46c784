/*
 * test-unix-listen.c: listening unix sockets renamed into place
 * (util/unix-listen.c).
 */
#include "util/osdep.h"
#include "util/unix-listen.h"
#include "tern-check.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

static char *dir;

static void setup(void)
{
    dir = g_dir_make_tmp("tern-unix-XXXXXX", NULL);
    ck_assert_ptr_nonnull(dir);
}

static void teardown(void)
{
    tern_check_rmdir(g_steal_pointer(&dir));
}

static int connect_to(const char *path)
{
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    g_strlcpy(sun.sun_path, path, sizeof(sun.sun_path));
    ck_assert_int_ge(fd, 0);
    if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
        close(fd);
        return -errno;
    }
    return fd;
}

/* The names in the directory, sorted and joined with spaces. */
static char *dir_listing(void)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const char *name;

    while ((name = g_dir_read_name(d))) {
        g_ptr_array_add(names, g_strdup(name));
    }
    g_dir_close(d);
    g_ptr_array_sort(names, (GCompareFunc)g_ascii_strcasecmp);
    g_ptr_array_add(names, NULL);
    return g_strjoinv(" ", (char **)names->pdata);
}

/* Once it returns, the file is there, listening, and nothing else is. */
START_TEST(test_listens_in_place)
{
    g_autofree char *path = g_build_filename(dir, "m.sock", NULL);
    g_autofree char *listing = NULL;
    const char *failed = NULL;
    struct stat st;
    int fd, c;

    /* an old file there (a socket left by a killed process) is replaced */
    ck_assert(g_file_set_contents(path, "old", -1, NULL));
    fd = unix_listen_path(path, 4, &failed);
    ck_assert_msg(fd >= 0, "%s: %s", failed, g_strerror(-fd));
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert(S_ISSOCK(st.st_mode));
    listing = dir_listing();
    ck_assert_str_eq(listing, "m.sock");       /* no temporary name left */
    c = connect_to(path);
    ck_assert_int_ge(c, 0);
    close(c);
    close(fd);
}
END_TEST

START_TEST(test_errors)
{
    g_autofree char *missing = g_build_filename(dir, "no", "x.sock", NULL);
    g_autofree char *listing = NULL;
    const char *failed = NULL;
    int fd = unix_listen_path(missing, 4, &failed);

    ck_assert_int_eq(fd, -ENOENT);
    ck_assert_str_eq(failed, "bind");
    listing = dir_listing();
    ck_assert_str_eq(listing, "");
}
END_TEST

static Suite *unix_listen_suite(void)
{
    Suite *s = suite_create("unix-listen");
    TCase *tc = tcase_create("listen");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_listens_in_place);
    tcase_add_test(tc, test_errors);
    suite_add_tcase(s, tc);
    return s;
}

TERN_CHECK_MAIN(unix_listen_suite)

/* test_file_io.c: reading a file whole under a cap -- contents, the cap to
 * the byte, and errors that name the file for missing, unreadable and
 * directory paths. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file_io.h"
#include "test_util.h"

static void
test_reads_whole_file (void **state)
{
    char path[512];
    tu_path_join (path, sizeof path, *state, "data.bin");
    /* Binary content, NUL bytes and a CR included: nothing is translated. */
    const char data[] = "line 1\r\nline\0 2\n\xff";
    tu_file_write (path, data, sizeof data - 1);

    char *text = NULL;
    size_t len = 0;
    int open_errno = -1;
    char err[1024] = "";
    int rc = rnd_file_read (path, NULL, 1000, &text, &len, &open_errno, err, sizeof err);
    if (rc != 0)
        fail_msg ("%s", err);
    assert_int_equal (len, sizeof data - 1);
    assert_memory_equal (text, data, len);
    assert_int_equal (open_errno, 0);
    free (text);

    /* An empty file is an empty text; open_errno may be left out. */
    tu_file_write (path, "", 0);
    assert_int_equal (rnd_file_read (path, NULL, 1000, &text, &len, NULL, err, sizeof err), 0);
    assert_int_equal (len, 0);
    free (text);
}

static void
test_cap_to_the_byte (void **state)
{
    const size_t cap = 4096;
    char *data = malloc (cap + 1);
    assert_non_null (data);
    for (size_t i = 0; i <= cap; i++)
        data[i] = (char)('a' + i % 26);
    char path[512];
    tu_path_join (path, sizeof path, *state, "capped.txt");
    char *text = NULL;
    size_t len = 0;
    char err[1024] = "";

    /* Exactly at the cap: read whole. */
    tu_file_write (path, data, cap);
    int rc = rnd_file_read (path, NULL, cap, &text, &len, NULL, err, sizeof err);
    if (rc != 0)
        fail_msg ("%s", err);
    assert_int_equal (len, cap);
    assert_memory_equal (text, data, cap);
    free (text);

    /* One byte over: refused, naming the file and the cap, with the first
     * cap + 1 bytes handed back for a look at the signature. */
    tu_file_write (path, data, cap + 1);
    int open_errno = -1;
    rc = rnd_file_read (path, NULL, cap, &text, &len, &open_errno, err, sizeof err);
    assert_int_equal (rc, RND_FILE_TOO_LARGE);
    char expected[1100];
    snprintf (expected, sizeof expected, "%s: larger than 4096 bytes", path);
    assert_string_equal (err, expected);
    assert_int_equal (open_errno, 0);
    assert_non_null (text);
    assert_int_equal (len, cap + 1);
    assert_memory_equal (text, data, cap + 1);
    free (text);

    /* Far over: the same, and never more than cap + 1 bytes read. */
    free (data);
    data = calloc (10 * cap, 1);
    assert_non_null (data);
    tu_file_write (path, data, 10 * cap);
    assert_int_equal (rnd_file_read (path, "thing", cap, &text, &len, NULL, err, sizeof err),
                      RND_FILE_TOO_LARGE);
    assert_int_equal (len, cap + 1);
    snprintf (expected, sizeof expected, "thing %s: larger than 4096 bytes", path);
    assert_string_equal (err, expected);
    free (text);
    free (data);
}

/* Reads path expecting -1: nothing handed back, *open_errno_out set to
 * want_errno, and the message "[label ]path: reason". */
static void
s_expect_failure (const char *path, const char *label, int want_errno, const char *reason)
{
    char *text = (char *)"untouched";
    size_t len = 99;
    int open_errno = -1;
    char err[1024] = "";
    assert_int_equal (rnd_file_read (path, label, 100, &text, &len, &open_errno, err, sizeof err),
                      -1);
    assert_null (text);
    assert_int_equal (len, 0);
    assert_int_equal (open_errno, want_errno);
    char expected[1100];
    snprintf (expected, sizeof expected, "%s%s%s: %s", label ? label : "", label ? " " : "", path,
              reason);
    assert_string_equal (err, expected);
}

static void
test_missing_file (void **state)
{
    char path[512];
    tu_path_join (path, sizeof path, *state, "no-such-file");
    s_expect_failure (path, NULL, ENOENT, "cannot open: No such file or directory");
    /* A label goes first. */
    s_expect_failure (path, "palette", ENOENT, "cannot open: No such file or directory");
}

/* A directory opens (on Linux) but does not read: open_errno is 0, since
 * opening worked. */
static void
test_directory (void **state)
{
    s_expect_failure (*state, NULL, 0, "read error: Is a directory");
}

/* A path through a plain file cannot be opened, whoever asks. */
static void
test_path_through_file (void **state)
{
    char file[512], path[600];
    tu_file_write (tu_path_join (file, sizeof file, *state, "plain"), "x", 1);
    s_expect_failure (tu_path_join (path, sizeof path, file, "child"), NULL, ENOTDIR,
                      "cannot open: Not a directory");
}

/* Without read permission: refused at open. root reads anything, so there
 * the case cannot be made. */
static void
test_unreadable (void **state)
{
    if (geteuid () == 0) {
        print_message ("running as root, which may read anything; skipping\n");
        skip ();
    }
    char path[512];
    tu_file_write (tu_path_join (path, sizeof path, *state, "secret.txt"), "x", 1);
    assert_int_equal (chmod (path, 0), 0);
    s_expect_failure (path, NULL, EACCES, "cannot open: Permission denied");
}

/* A short error buffer is truncated, never overrun. */
static void
test_short_error_buffer (void **state)
{
    char path[512];
    tu_path_join (path, sizeof path, *state, "missing");
    char *text = NULL;
    size_t len = 0;
    char small[8];
    memset (small, 'z', sizeof small);
    assert_int_equal (rnd_file_read (path, NULL, 100, &text, &len, NULL, small, 5), -1);
    assert_int_equal (small[4], '\0');
    assert_int_equal (small[5], 'z');
    assert_int_equal (rnd_file_read (path, NULL, 100, &text, &len, NULL, NULL, 0), -1);
}

int
main (void)
{
    /* One directory for the group; each test uses its own file names. */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_reads_whole_file),   cmocka_unit_test (test_cap_to_the_byte),
        cmocka_unit_test (test_missing_file),       cmocka_unit_test (test_directory),
        cmocka_unit_test (test_path_through_file),  cmocka_unit_test (test_unreadable),
        cmocka_unit_test (test_short_error_buffer),
    };
    return cmocka_run_group_tests (tests, tu_setup_dir, tu_teardown_dir);
}

/* test_netkey.c: the network secret file and `p2pfractal keygen`. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "netkey.h"
#include "test_util.h"

static const char s_valid[] = "p2pfractal-network-key 1\n"
                              "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n";

static void
s_write_mode (const char *path, const char *text, mode_t mode)
{
    tu_file_write (path, text, strlen (text));
    assert_int_equal (chmod (path, mode), 0);
}

/* Files in dir (., .. left out). */
static int
s_count_files (const char *dir)
{
    DIR *d = opendir (dir);
    assert_non_null (d);
    int n = 0;
    for (struct dirent *e; (e = readdir (d));)
        n += strcmp (e->d_name, ".") != 0 && strcmp (e->d_name, "..") != 0;
    closedir (d);
    return n;
}

static void
test_generate_and_load (void **state)
{
    const char *dir = *state;
    char a[512], b[512], err[4200];
    tu_path_join (a, sizeof a, dir, "a.key");
    tu_path_join (b, sizeof b, dir, "b.key");
    assert_int_equal (app_netkey_generate (a, 0, err, sizeof err), 0);
    assert_int_equal (app_netkey_generate (b, 0, err, sizeof err), 0);
    struct stat st;
    assert_int_equal (stat (a, &st), 0);
    assert_int_equal (st.st_mode & 0777, 0600);
    uint8_t ka[APP_NETKEY_BYTES], kb[APP_NETKEY_BYTES];
    assert_int_equal (app_netkey_load (a, ka, err, sizeof err), 0);
    assert_int_equal (app_netkey_load (b, kb, err, sizeof err), 0);
    assert_memory_not_equal (ka, kb, sizeof ka);

    /* An existing file is never overwritten without force... */
    assert_int_equal (app_netkey_generate (a, 0, err, sizeof err), -1);
    assert_non_null (strstr (err, "a.key"));
    assert_non_null (strstr (err, "exists"));
    uint8_t again[APP_NETKEY_BYTES];
    assert_int_equal (app_netkey_load (a, again, err, sizeof err), 0);
    assert_memory_equal (again, ka, sizeof ka);
    /* ...and is replaced whole with it, leaving no temporary file. */
    assert_int_equal (app_netkey_generate (a, 1, err, sizeof err), 0);
    assert_int_equal (app_netkey_load (a, again, err, sizeof err), 0);
    assert_memory_not_equal (again, ka, sizeof ka);
    assert_int_equal (stat (a, &st), 0);
    assert_int_equal (st.st_mode & 0777, 0600);
    assert_int_equal (s_count_files (dir), 2);
}

static void
test_load_refuses (void **state)
{
    const char *dir = *state;
    char path[512], err[4200];
    uint8_t key[APP_NETKEY_BYTES];
    tu_path_join (path, sizeof path, dir, "k.key");
    s_write_mode (path, s_valid, 0600);
    assert_int_equal (app_netkey_load (path, key, err, sizeof err), 0);
    assert_int_equal (key[0], 0x00);
    assert_int_equal (key[1], 0x11);
    assert_int_equal (key[31], 0xff);

    static const struct {
        const char *text;
        mode_t mode;
        const char *needle;
    } bad[] = {
        { s_valid, 0644, "others may read it (mode 644)" },
        { s_valid, 0640, "chmod 600" },
        { "p2pfractal-network-key 2\n"
          "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n",
          0600, "not a p2pfractal network key" },
        { "p2pfractal-network-key 1\n00112233\n", 0600, "not a p2pfractal network key" },
        { "p2pfractal-network-key 1\n"
          "00112233445566778899aabbccddeeff00112233445566778899aabbccddeefg\n",
          0600, "not a p2pfractal network key" },
        { "p2pfractal-network-key 1\n"
          "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\nx",
          0600, "not a p2pfractal network key" },
        { "", 0600, "not a p2pfractal network key" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        s_write_mode (path, bad[i].text, bad[i].mode);
        err[0] = '\0';
        if (app_netkey_load (path, key, err, sizeof err) != -1 || !strstr (err, bad[i].needle) ||
            !strstr (err, "k.key"))
            fail_msg ("case %zu: wanted -1 and '%s', got '%s'", i, bad[i].needle, err);
    }
    tu_path_join (path, sizeof path, dir, "missing.key");
    assert_int_equal (app_netkey_load (path, key, err, sizeof err), -1);
    assert_non_null (strstr (err, "missing.key"));
    assert_int_equal (app_netkey_load (dir, key, err, sizeof err), -1);
    assert_non_null (strstr (err, "not a regular file"));
}

/* The command: exit 0 and a key; 1 (one line) over an existing file; 2 for
 * a bad command line. */
static void
test_keygen_command (void **state)
{
    const char *dir = *state;
    char path[512], err_path[256], err[4096];
    tu_path_join (path, sizeof path, dir, "lab.key");
    struct {
        const char *args[6];
        int status;
        const char *needle;
    } cases[] = {
        { { "keygen", "-o", path, NULL }, 0, "wrote a network key" },
        { { "keygen", "-o", path, NULL }, 1, "exists (--force replaces it)" },
        { { "keygen", "-o", path, "--force", NULL }, 0, "wrote a network key" },
        { { "keygen", NULL }, 2, "-o: missing" },
        { { "keygen", "-o", path, "--bogus", NULL }, 2, "--bogus" },
        { { "keygen", "-o", path, "extra", NULL }, 2, "unexpected argument" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int status =
            tu_run_wait (tu_spawn (dir, "keygen", cases[i].args, err_path, sizeof err_path), 30000);
        tu_slurp (err_path, err, sizeof err);
        const char *nl = strchr (err, '\n');
        if (status != cases[i].status || !strstr (err, cases[i].needle) || !nl || nl[1] != '\0')
            fail_msg ("case %zu: exit %d (wanted %d), stderr '%s' (wanted one line with '%s')", i,
                      status, cases[i].status, err, cases[i].needle);
    }
    char e[4200];
    uint8_t key[APP_NETKEY_BYTES];
    assert_int_equal (app_netkey_load (path, key, e, sizeof e), 0);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_generate_and_load, tu_setup_dir, tu_teardown_dir),
        cmocka_unit_test_setup_teardown (test_load_refuses, tu_setup_dir, tu_teardown_dir),
        cmocka_unit_test_setup_teardown (test_keygen_command, tu_setup_dir, tu_teardown_dir),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

/* test_util.c: helpers shared by the cmocka tests (see test_util.h). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "test_util.h"

/* Set per test program by p2pf_test, so that a directory left behind by a
 * crashed test says whose it is. */
#ifndef P2PF_TEST_NAME
#define P2PF_TEST_NAME "p2pf_test"
#endif

char *
tu_dir_new (const char *name)
{
    size_t size = strlen ("/tmp/") + strlen (name) + strlen (".XXXXXX") + 1;
    char *dir = malloc (size);
    if (!dir)
        return NULL;
    snprintf (dir, size, "/tmp/%s.XXXXXX", name);
    if (!mkdtemp (dir)) {
        free (dir);
        return NULL;
    }
    return dir;
}

/* Removes path: a directory with its contents, anything else by unlink. */
static int
s_remove (const char *path)
{
    struct stat st;
    if (lstat (path, &st) != 0)
        return -1;
    if (!S_ISDIR (st.st_mode))
        return unlink (path);
    int rc = 0;
    DIR *d = opendir (path);
    if (!d)
        return -1;
    struct dirent *e;
    while ((e = readdir (d))) {
        if (strcmp (e->d_name, ".") == 0 || strcmp (e->d_name, "..") == 0)
            continue;
        size_t size = strlen (path) + 1 + strlen (e->d_name) + 1;
        char *child = malloc (size);
        if (!child) {
            rc = -1;
            continue;
        }
        if (s_remove (tu_path_join (child, size, path, e->d_name)) != 0)
            rc = -1;
        free (child);
    }
    closedir (d);
    return rmdir (path) == 0 ? rc : -1;
}

int
tu_dir_remove (char **dir_p)
{
    if (!*dir_p)
        return 0;
    int rc = s_remove (*dir_p);
    free (*dir_p);
    *dir_p = NULL;
    return rc;
}

int
tu_setup_dir (void **state)
{
    char *dir = tu_dir_new (P2PF_TEST_NAME);
    if (!dir)
        return -1;
    *state = dir;
    return 0;
}

int
tu_teardown_dir (void **state)
{
    char *dir = *state;
    *state = NULL;
    return tu_dir_remove (&dir);
}

void
tu_file_write (const char *path, const void *data, size_t len)
{
    FILE *f = fopen (path, "wb");
    if (!f)
        fail_msg ("cannot create %s", path);
    assert_int_equal (fwrite (data, 1, len, f), len);
    assert_int_equal (fclose (f), 0);
}

char *
tu_path_join (char *buf, size_t size, const char *dir, const char *name)
{
    int len = snprintf (buf, size, "%s/%s", dir, name);
    if (len < 0 || (size_t)len >= size)
        fail_msg ("path %s/%s longer than %zu bytes", dir, name, size - 1);
    return buf;
}

uint64_t
tu_seed (const char *test)
{
    const char *env = getenv ("P2PF_SEED");
    uint64_t seed;
    if (env && *env) {
        char *end = NULL;
        seed = strtoull (env, &end, 0);
        if (*end) {
            fprintf (stderr, "%s: P2PF_SEED=%s is not a number\n", test, env);
            exit (1);
        }
    } else {
        struct timespec ts;
        clock_gettime (CLOCK_REALTIME, &ts);
        seed = (uint64_t)ts.tv_sec * 1000000007ull ^ (uint64_t)ts.tv_nsec ^
               ((uint64_t)getpid () << 32);
    }
    printf ("%s: seed %llu (P2PF_SEED=%llu replays it)\n", test, (unsigned long long)seed,
            (unsigned long long)seed);
    fflush (stdout);
    return seed;
}

ovl_id_t
tu_id (const char *hex)
{
    ovl_id_t id = { 0, 0 };
    if (ovl_id_from_hex (hex, &id))
        fail_msg ("bad test id %s", hex);
    return id;
}

void
tu_lines_feed (tu_lines_t *lines, const char *data, size_t n,
               void (*on_line) (int who, const char *line), int who)
{
    for (size_t k = 0; k < n; k++) {
        if (data[k] == '\n' || lines->len == TU_LINE_MAX - 1) {
            lines->buf[lines->len] = '\0';
            on_line (who, lines->buf);
            lines->len = 0;
            if (data[k] == '\n')
                continue;
        }
        lines->buf[lines->len++] = data[k];
    }
}

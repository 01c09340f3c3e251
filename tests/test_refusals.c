/* test_refusals.c: refusals always reach the refused. A closed network's
 * first peer, a keyed joiner and a keyless joiner are started at the same
 * moment, P2PF_REFUSAL_RUNS times (default 100): every time, the keyless
 * one exits 1 saying the network is closed, and the keyed one joins. As
 * many times, a keyless joiner given a dead address first and the closed
 * network second is told too (its join moves on to the second address).
 *
 * Whether libzmq reports the keyless joiner's handshake as a mechanism
 * mismatch or as a hang-up is a race (the first peer may close before our
 * greeting is read); the peer must say the same either way, and must not
 * wait out its join timeout saying "no answer" (2 of 5 runs once did).
 * How fast it is told is a figure, not an assertion: the test prints the
 * median and the maximum, and fails only past S_TOLD_MAX_MS (docs/
 * BENCHMARKS.md keeps the measured figure). Every child is SIGKILLed and
 * reaped before the next run. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "test_util.h"

#define S_RUNS_DEFAULT 100
#define S_TOLD_MAX_MS 8000 /* well under the joiner's --join-timeout */
#define S_JOINED_MS 10000  /* the keyed joiner's `joined` line */
#define S_KEYGEN_MS 30000

static char *s_dir;

/* Runs of each test: P2PF_REFUSAL_RUNS, or S_RUNS_DEFAULT. */
static int
s_runs (void)
{
    const char *env = getenv ("P2PF_REFUSAL_RUNS");
    return env && atoi (env) > 0 ? atoi (env) : S_RUNS_DEFAULT;
}

static int
s_cmp_u64 (const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Wait for `needle` in the file at path, until deadline_ms. */
static int
s_file_says (const char *path, const char *needle, uint64_t deadline_ms)
{
    char buf[8192];
    for (;;) {
        tu_slurp (path, buf, sizeof buf);
        if (strstr (buf, needle))
            return 1;
        if (tu_now_ms () >= deadline_ms)
            return 0;
        struct timespec nap = { 0, 20 * 1000 * 1000 }; /* 20 ms between looks */
        nanosleep (&nap, NULL);
    }
}

/* A network key in key (a path in the test's directory), and room for
 * runs timings (the caller gives them to s_report). */
static uint64_t *
s_begin (char *key, size_t key_size, int runs)
{
    char err_path[256];
    tu_path_join (key, key_size, s_dir, "lab.key");
    const char *keygen[] = { "keygen", "-o", key, NULL };
    assert_int_equal (
        tu_run_wait (tu_spawn (s_dir, "keygen", keygen, err_path, sizeof err_path), S_KEYGEN_MS),
        0);
    uint64_t *told = calloc ((size_t)runs, sizeof *told);
    assert_non_null (told);
    return told;
}

/* Every run passed: say how fast the keyless joiners were told, and free
 * the timings. */
static void
s_report (uint64_t *told, int runs, const char *how)
{
    qsort (told, (size_t)runs, sizeof *told, s_cmp_u64);
    print_message ("%d of %d keyless joiners%s told the network is closed: median %llu ms, max "
                   "%llu ms (from its start)\n",
                   runs, runs, how, (unsigned long long)told[runs / 2],
                   (unsigned long long)told[runs - 1]);
    free (told);
}

static void
test_keyless_joiner_always_told (void **state)
{
    (void)state;
    int runs = s_runs ();
    char key[256];
    uint64_t *told = s_begin (key, sizeof key, runs);
    for (int r = 0; r < runs; r++) {
        char port[16], join[32], first_png[256], keyed_png[256], keyless_png[256];
        snprintf (port, sizeof port, "%d", tu_free_port ());
        snprintf (join, sizeof join, "127.0.0.1:%s", port);
        char name[32];
        snprintf (name, sizeof name, "first-%d.png", r); /* images are never overwritten */
        tu_path_join (first_png, sizeof first_png, s_dir, name);
        snprintf (name, sizeof name, "keyed-%d.png", r);
        tu_path_join (keyed_png, sizeof keyed_png, s_dir, name);
        snprintf (name, sizeof name, "keyless-%d.png", r);
        tu_path_join (keyless_png, sizeof keyless_png, s_dir, name);
        /* A job long enough to outlast the run. */
        const char *first[] = { "peer",       "--headless", "--key",  key,       "--port", port,
                                "--size",     "160x90",     "--iter", "300000",  "-t",     "1",
                                "--throttle", "50",         "-o",     first_png, NULL };
        const char *keyed[] = { "peer", "--headless", "--key", key,       "--join", join,
                                "-t",   "1",          "-o",    keyed_png, NULL };
        const char *keyless[] = { "peer", "--headless", "--join", join, "--join-timeout",
                                  "20",   "-t",         "1",      "-o", keyless_png,
                                  NULL };
        char first_err[256], keyed_err[256], keyless_err[256];
        pid_t p_first = tu_spawn (s_dir, "first", first, first_err, sizeof first_err);
        pid_t p_keyed = tu_spawn (s_dir, "keyed", keyed, keyed_err, sizeof keyed_err);
        uint64_t t0 = tu_now_ms ();
        pid_t p_keyless = tu_spawn (s_dir, "keyless", keyless, keyless_err, sizeof keyless_err);
        int status = tu_run_wait (p_keyless, S_TOLD_MAX_MS);
        told[r] = tu_now_ms () - t0;
        char err[8192];
        tu_slurp (keyless_err, err, sizeof err);
        int joined = s_file_says (keyed_err, "joined the ring", tu_now_ms () + S_JOINED_MS);
        tu_proc_kill (&p_first);
        tu_proc_kill (&p_keyed);
        if (status != 1 || !strstr (err, "cannot join through") ||
            !strstr (err, "it runs a closed network"))
            fail_msg ("run %d of %d: the keyless joiner exited %d after %llu ms; stderr:\n%s",
                      r + 1, runs, status, (unsigned long long)told[r], err);
        if (!joined)
            fail_msg ("run %d of %d: the keyed joiner did not join within %d ms", r + 1, runs,
                      S_JOINED_MS);
    }
    s_report (told, runs, "");
}

/* The refusing network is the second --join address, the first dead: the
 * join moves on, and the refusal must reach the joiner through the second
 * address too -- P2PF_REFUSAL_RUNS times. Its handshake is watched from
 * before its connection opens (one monitor per --join address): a watch
 * attached when the join moved on missed a handshake libzmq had already
 * finished (1 run in ~8 under ASan on a loaded machine). */
static void
test_refused_through_second_address (void **state)
{
    (void)state;
    int runs = s_runs ();
    char key[256];
    uint64_t *told = s_begin (key, sizeof key, runs);
    for (int r = 0; r < runs; r++) {
        char port[16], join[64], first_png[256], keyless_png[256], first_err[256], keyless_err[256],
            name[32];
        snprintf (port, sizeof port, "%d", tu_free_port ());
        snprintf (join, sizeof join, "127.0.0.1:%d,127.0.0.1:%s", tu_free_port (), port);
        snprintf (name, sizeof name, "second-first-%d.png", r);
        tu_path_join (first_png, sizeof first_png, s_dir, name);
        snprintf (name, sizeof name, "second-keyless-%d.png", r);
        tu_path_join (keyless_png, sizeof keyless_png, s_dir, name);
        const char *first[] = { "peer", "--headless", "--key",      key,      "--port", port,
                                "-t",   "1",          "--size",     "160x90", "--iter", "300000",
                                "-o",   first_png,    "--throttle", "50",     NULL };
        const char *keyless[] = { "peer", "--headless", "--join", join, "--join-timeout",
                                  "20",   "-t",         "1",      "-o", keyless_png,
                                  NULL };
        pid_t p_first = tu_spawn (s_dir, "first", first, first_err, sizeof first_err);
        if (!s_file_says (first_err, "listening on", tu_now_ms () + S_JOINED_MS)) {
            tu_proc_kill (&p_first);
            fail_msg ("run %d of %d: the first peer did not start", r + 1, runs);
        }
        uint64_t t0 = tu_now_ms ();
        pid_t p_keyless = tu_spawn (s_dir, "keyless", keyless, keyless_err, sizeof keyless_err);
        int status = tu_run_wait (p_keyless, S_TOLD_MAX_MS);
        told[r] = tu_now_ms () - t0;
        tu_proc_kill (&p_first);
        char err[8192];
        tu_slurp (keyless_err, err, sizeof err);
        if (status != 1 || !strstr (err, "it runs a closed network"))
            fail_msg ("run %d of %d: a dead address first: the keyless joiner exited %d after "
                      "%llu ms; stderr:\n%s",
                      r + 1, runs, status, (unsigned long long)told[r], err);
    }
    s_report (told, runs, ", a dead address first,");
}

static int
s_setup (void **state)
{
    (void)state;
    s_dir = tu_dir_new ("p2pf-refusals");
    return s_dir ? 0 : -1;
}

static int
s_teardown (void **state)
{
    (void)state;
    return tu_dir_remove (&s_dir);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_keyless_joiner_always_told, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_refused_through_second_address, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

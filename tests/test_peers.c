/* test_peers.c: real `p2pfractal peer` processes on loopback rendering one
 * job while its master and then its tree's root are SIGKILLed and a late
 * peer joins; every survivor must write the image, pixel for pixel what
 * `p2pfractal render` writes. A joiner that is the node closest to the
 * network group's key must still learn the job. And bad command lines
 * exit 2.
 *
 * The peers' JSON Lines logs (--log-json) say who is master and root and
 * how far the job is. The swarm harness of test_util.c runs the peers:
 * waits are polls with deadlines (an inotify descriptor on the log
 * directory wakes the test when a log grows, and child exits are collected
 * on every pass), and every child is SIGKILLed and reaped in teardown,
 * whatever happened. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "id.h"
#include "png_io.h"
#include "rng.h"
#include "test_util.h"

#define S_FIRST 5                /* peers started at first */
#define S_PEERS (S_FIRST + 1)    /* and the late joiner */
#define S_START_TIMEOUT_MS 10000 /* a peer logs `started`, everyone adopts the job */
#define S_PHASE_TIMEOUT_MS 30000 /* a kill's consequence shows in the logs */
#define S_DONE_TIMEOUT_MS 120000 /* every survivor logs job_done */
#define S_EXIT_TIMEOUT_MS 10000  /* a peer exits after SIGTERM */
#define S_RUN_TIMEOUT_MS 60000   /* a one-shot command finishes */
#define S_KILL_AFTER_SLICES 4    /* slices done before the master dies */
/* Render-plus-throttle seconds the whole job should cost, so that it lasts
 * several seconds on five peers however fast this build renders. */
#define S_JOB_BUSY_S 30.0

/* The job: small, with enough iterations that a slice is real work. */
static const char *const s_view[] = { "--size", "320x180", "--iter", "300000", NULL };

/* The peers' job: the view and its slice count. */
static const char *const s_job[] = {
    "--size", "320x180", "--iter", "300000", "--slices", "48", NULL
};

static tu_swarm_t s_sw;
static uint64_t s_seeds[S_PEERS];  /* peer i runs with --seed s_seeds[i] */
static char s_killed_node[33];     /* the master SIGKILLed, once it is */
static uint64_t s_kill_unix_ms;    /* when (Unix ms, the logs' clock) */
static uint64_t s_first_assign_ms; /* first slice_assigned by another master */
static uint64_t s_first_remote_ms; /* the first of them to another peer */
static uint64_t s_elect_took_ms;   /* took_ms of the election after the kill */
static uint64_t s_elect_term;      /* and its term */

/* What the recovery after the master's kill took, from the logs. */
static void
s_on_line (tu_swarm_t *sw, int i, const char *event, const char *line)
{
    const tu_peer_t *p = &sw->peers[i];
    char who[33];
    if (!s_killed_node[0])
        return;
    if (strcmp (event, "master_elected") == 0) {
        uint64_t term = tu_json_u64 (line, "term");
        if (tu_json_str (line, "master", who, sizeof who) == 0 &&
            strcmp (who, s_killed_node) != 0 && term > s_elect_term) {
            s_elect_term = term;
            s_elect_took_ms = tu_json_u64 (line, "took_ms");
        }
    } else if (strcmp (event, "slice_assigned") == 0) {
        /* Only a master logs assignments: this one's are the new master's. */
        uint64_t t = tu_json_u64 (line, "t");
        if (strcmp (p->node, s_killed_node) != 0 && t >= s_kill_unix_ms) {
            if (!s_first_assign_ms)
                s_first_assign_ms = t;
            if (!s_first_remote_ms && tu_json_str (line, "to", who, sizeof who) == 0 &&
                strcmp (who, p->node) != 0)
                s_first_remote_ms = t;
        }
    }
}

#define S_FAIL(...)                                                                                \
    do {                                                                                           \
        tu_swarm_dump (&s_sw);                                                                     \
        fail_msg (__VA_ARGS__);                                                                    \
    } while (0)

static void
s_spawn_peer (int i, int join_port, const char *throttle, int exit_when_done)
{
    tu_swarm_spawn_peer (&s_sw, i, s_seeds[i], throttle, join_port, exit_when_done, s_job);
}

/* --- conditions ---------------------------------------------------------- */

static int
s_master_mid_job (tu_swarm_t *sw)
{
    int m = tu_swarm_find (sw, 0);
    return tu_swarm_crashed (sw) || tu_swarm_any_done (sw) ||
           (m >= 0 && sw->peers[m].slices_done >= S_KILL_AFTER_SLICES);
}

/* The new master hands out work to others: the network has recovered. */
static int
s_reassigned (tu_swarm_t *sw)
{
    return tu_swarm_crashed (sw) || s_first_remote_ms != 0;
}

static int
s_root_known (tu_swarm_t *sw)
{
    return tu_swarm_crashed (sw) || tu_swarm_find (sw, 1) >= 0;
}

static int
s_late_started (tu_swarm_t *sw)
{
    return tu_swarm_crashed (sw) || sw->peers[S_FIRST].port > 0;
}

/* The id `p2pfractal peer --seed seed` takes (as cmd_peer.c draws it). */
static ovl_id_t
s_peer_id (uint64_t seed)
{
    ovl_rng_t rng;
    ovl_rng_seed (&rng, seed);
    return ovl_rng_id (&rng);
}

/* Peer i runs with --seed base + i: ids are random, a failing run
 * replays with P2PF_SEED. */
static void
s_pick_seeds (uint64_t base)
{
    for (int i = 0; i < S_PEERS; i++)
        s_seeds[i] = base + (uint64_t)i;
}

/* --- fixtures ------------------------------------------------------------ */

static int
s_setup (void **state)
{
    (void)state;
    s_killed_node[0] = '\0';
    s_kill_unix_ms = s_first_assign_ms = s_first_remote_ms = s_elect_took_ms = s_elect_term = 0;
    int rc = tu_swarm_open (&s_sw, "test_peers");
    s_sw.on_line = s_on_line;
    return rc;
}

/* Whatever happened: no child outlives the test. */
static int
s_teardown (void **state)
{
    (void)state;
    return tu_swarm_close (&s_sw, 0);
}

/* --- the tests ----------------------------------------------------------- */

/* `p2pfractal render` of the job's view into the directory's
 * reference.png (its path into ref_path): how long the job's compute takes
 * in this build. */
static double
s_reference (char *ref_path, size_t size)
{
    tu_path_join (ref_path, size, s_sw.dir, "reference.png");
    return tu_render_reference (s_sw.dir, s_view, ref_path);
}

static void
test_kills_and_late_joiner (void **state)
{
    (void)state;
    tu_swarm_t *sw = &s_sw;
    s_pick_seeds (tu_seed ("test_peers"));
    char ref_path[256];
    double job_s = s_reference (ref_path, sizeof ref_path);
    /* The throttle stretches every slice by the same factor, so the job
     * lasts several seconds whatever this build's speed (ASan included). */
    char throttle[32];
    tu_throttle (S_JOB_BUSY_S, job_s, throttle, sizeof throttle);
    print_message ("reference render %.3f s on one thread: --throttle %s\n", job_s, throttle);

    uint64_t took_ms = tu_swarm_start (sw, S_FIRST, s_seeds, throttle, s_job, S_START_TIMEOUT_MS);
    print_message ("%d peers adopted the job in %llu ms\n", S_FIRST, (unsigned long long)took_ms);

    /* The master dies mid-job. */
    if (!tu_swarm_wait (sw, s_master_mid_job, tu_now_ms () + S_PHASE_TIMEOUT_MS) ||
        tu_swarm_crashed (sw))
        S_FAIL ("no master with %d slices done within %d ms", S_KILL_AFTER_SLICES,
                S_PHASE_TIMEOUT_MS);
    if (tu_swarm_any_done (sw))
        S_FAIL ("the job finished before the master could be killed: slices too fast");
    int m = tu_swarm_find (sw, 0);
    snprintf (s_killed_node, sizeof s_killed_node, "%s", sw->peers[m].node);
    s_kill_unix_ms = tu_unix_ms ();
    tu_swarm_kill (sw, m);
    print_message ("SIGKILLed master: peer %d (%s) after %d slices done there\n", m, s_killed_node,
                   sw->peers[m].slices_done);
    if (!tu_swarm_wait (sw, s_reassigned, tu_now_ms () + S_PHASE_TIMEOUT_MS) ||
        tu_swarm_crashed (sw))
        S_FAIL ("no new master assigned a slice to another peer within %d ms of the kill",
                S_PHASE_TIMEOUT_MS);
    print_message ("master SIGKILL -> first slice_assigned by a new master: %llu ms, to another "
                   "peer: %llu ms (election term %llu, took_ms %llu)\n",
                   (unsigned long long)(s_first_assign_ms - s_kill_unix_ms),
                   (unsigned long long)(s_first_remote_ms - s_kill_unix_ms),
                   (unsigned long long)s_elect_term, (unsigned long long)s_elect_took_ms);

    /* Then the job tree's root. */
    if (!tu_swarm_wait (sw, s_root_known, tu_now_ms () + S_PHASE_TIMEOUT_MS) ||
        tu_swarm_crashed (sw))
        S_FAIL ("no surviving peer says it is the job tree's root within %d ms",
                S_PHASE_TIMEOUT_MS);
    if (tu_swarm_any_done (sw))
        S_FAIL ("the job finished before the root could be killed: slices too fast");
    int r = tu_swarm_find (sw, 1);
    tu_swarm_kill (sw, r);
    print_message ("SIGKILLed root: peer %d (%s)%s\n", r, sw->peers[r].node,
                   sw->peers[r].master ? ", also the new master" : "");

    /* And a newcomer joins through a survivor, and leaves when done. */
    int via = -1;
    for (int i = 0; i < sw->n && via < 0; i++)
        if (tu_swarm_alive (sw, i))
            via = i;
    assert_true (via >= 0);
    s_spawn_peer (S_FIRST, sw->peers[via].port, throttle, 1);
    if (!tu_swarm_wait (sw, s_late_started, tu_now_ms () + S_START_TIMEOUT_MS) ||
        tu_swarm_crashed (sw))
        S_FAIL ("the late joiner did not start within %d ms", S_START_TIMEOUT_MS);

    uint64_t t0 = tu_now_ms ();
    if (!tu_swarm_wait (sw, tu_swarm_survivors_done, t0 + S_DONE_TIMEOUT_MS) ||
        tu_swarm_crashed (sw))
        S_FAIL ("not every surviving peer logged job_done within %d ms", S_DONE_TIMEOUT_MS);
    print_message ("every survivor done %llu ms after the late joiner started\n",
                   (unsigned long long)(tu_now_ms () - t0));

    tu_swarm_check_pngs (sw, ref_path);

    /* The late joiner left by itself; the others leave on SIGTERM. */
    tu_swarm_stop (sw, S_EXIT_TIMEOUT_MS);
}

static int
s_joiner_done (tu_swarm_t *sw)
{
    return tu_swarm_crashed (sw) || sw->peers[1].job_done;
}

/* A peer joining a network in which it is the node closest to the
 * network group's key: its JobQuery, routed to that key, reaches itself,
 * and it must still learn the job (once it did not). */
static void
test_joiner_closest_to_network_key (void **state)
{
    (void)state;
    tu_swarm_t *sw = &s_sw;
    uint64_t base = tu_seed ("test_peers");
    ovl_id_t key = ovl_id_from_name ("net/default", strlen ("net/default"));
    s_seeds[0] = base;
    s_seeds[1] = base + 1;
    if (ovl_id_cmp (ovl_id_ring_dist (s_peer_id (s_seeds[1]), key),
                    ovl_id_ring_dist (s_peer_id (s_seeds[0]), key)) > 0) {
        s_seeds[0] = base + 1;
        s_seeds[1] = base;
    }
    tu_swarm_start (sw, 1, s_seeds, "1", s_job, S_START_TIMEOUT_MS);
    s_spawn_peer (1, sw->peers[0].port, "1", 1);
    if (!tu_swarm_wait (sw, s_joiner_done, tu_now_ms () + S_START_TIMEOUT_MS) &&
        !tu_swarm_crashed (sw))
        S_FAIL ("the joiner closest to the network key did not get the job within %d ms",
                S_START_TIMEOUT_MS);
    if (tu_swarm_crashed (sw))
        S_FAIL ("a peer exited on its own");
    char ref_path[256];
    s_reference (ref_path, sizeof ref_path);
    tu_swarm_check_pngs (sw, ref_path);
}

/* A joiner given a dead address first and the live peer second
 * (--join repeated) joins through the second once the first JOIN timed
 * out, and gets the whole image. */
static void
test_join_tries_next_address (void **state)
{
    (void)state;
    tu_swarm_t *sw = &s_sw;
    uint64_t base = tu_seed ("test_peers");
    s_seeds[0] = base;
    s_seeds[1] = base + 1;
    tu_swarm_start (sw, 1, s_seeds, "1", s_job, S_START_TIMEOUT_MS);
    static const char *const dead_first[] = { "--join", "127.0.0.1:1", NULL };
    sw->extra = dead_first;
    s_spawn_peer (1, sw->peers[0].port, "1", 1);
    sw->extra = NULL;
    /* A join timeout (3 s) more than the joiner above needs. */
    if (!tu_swarm_wait (sw, s_joiner_done, tu_now_ms () + S_START_TIMEOUT_MS + 3000) &&
        !tu_swarm_crashed (sw))
        S_FAIL ("the joiner given a dead address first did not finish within %d ms",
                S_START_TIMEOUT_MS + 3000);
    if (tu_swarm_crashed (sw))
        S_FAIL ("a peer exited on its own");
    char ref_path[256];
    s_reference (ref_path, sizeof ref_path);
    tu_swarm_check_pngs (sw, ref_path);
}

/* Into a file, the progress line is written when it changed only: a lone
 * peer that finished its job and serves on for three seconds logs its
 * final count once (it used to repeat it every second for ever). */
static void
test_progress_only_when_changed (void **state)
{
    (void)state;
    char png[256], err_path[256], err[16384];
    tu_path_join (png, sizeof png, s_sw.dir, "quiet.png");
    const char *args[] = { "peer", "--headless", "--size", "64x36", "--iter", "100", "--slices",
                           "4",    "-t",         "1",      "-o",    png,      NULL };
    pid_t pid = tu_spawn (s_sw.dir, "quiet", args, err_path, sizeof err_path);
    struct timespec nap = { 0, 20 * 1000 * 1000 };
    for (uint64_t deadline = tu_now_ms () + S_START_TIMEOUT_MS;;) {
        tu_slurp (err_path, err, sizeof err);
        if (strstr (err, "done: wrote") || tu_now_ms () >= deadline)
            break;
        nanosleep (&nap, NULL);
    }
    assert_non_null (strstr (err, "done: wrote"));
    /* What is tested is that time passes with nothing new: three progress
     * periods. */
    uint64_t until = tu_now_ms () + 3500;
    while (tu_now_ms () < until)
        nanosleep (&nap, NULL);
    tu_proc_kill (&pid);
    tu_slurp (err_path, err, sizeof err);
    int finals = 0;
    for (const char *p = err; (p = strstr (p, "4/4 slices")) != NULL; p++)
        finals++;
    if (finals != 1)
        fail_msg ("the final progress line appears %d times, want 1:\n%s", finals, err);
}

/* Exit 2 with one line on stderr that names `needle`. */
static void
s_expect_usage (const char *needle, ...)
{
    const char *args[32];
    int n = 0;
    args[n++] = "peer";
    va_list ap;
    va_start (ap, needle);
    for (const char *a = va_arg (ap, const char *); a && n < 31; a = va_arg (ap, const char *))
        args[n++] = a;
    va_end (ap);
    args[n] = NULL;
    char err_path[256], err[4096];
    int status = tu_run_wait (tu_spawn (s_sw.dir, "usage", args, err_path, sizeof err_path),
                              S_RUN_TIMEOUT_MS);
    tu_slurp (err_path, err, sizeof err);
    if (status != 2)
        fail_msg ("peer %s ...: exit %d, wanted 2; stderr: %s", args[1], status, err);
    const char *nl = strchr (err, '\n');
    if (strncmp (err, "p2pfractal: ", 12) != 0 || !nl || nl[1] != '\0')
        fail_msg ("peer %s ...: stderr is not one 'p2pfractal: ' line: %s", args[1], err);
    if (!strstr (err, needle))
        fail_msg ("peer %s ...: stderr does not name '%s': %s", args[1], needle, err);
}

static void
test_bad_values_exit_2 (void **state)
{
    (void)state;
    s_expect_usage ("--threads", "--threads", "0", NULL);
    s_expect_usage ("--throttle", "--throttle", "0.5", NULL);
    s_expect_usage ("--throttle", "--throttle", "fast", NULL);
    s_expect_usage ("--slices", "--slices", "0", NULL);
    s_expect_usage ("--slices", "--slices", "5000", NULL);
    s_expect_usage ("--port", "--port", "70000", NULL);
    s_expect_usage ("--join", "--join", "nohost", NULL);
    s_expect_usage ("--join", "--join", "127.0.0.1:0", NULL);
    s_expect_usage ("--join", "--join", "127.0.0.1:5,nohost", NULL);
    s_expect_usage ("--join", "--join", "127.0.0.1:5,", NULL);
    s_expect_usage ("--join", "--join", "a:1,a:2,a:3,a:4,a:5,a:6,a:7,a:8,a:9", NULL);
    s_expect_usage ("--bind", "--bind", "1.2.3.4:5", NULL);
    s_expect_usage ("--advertise", "--advertise", "*", NULL);
    s_expect_usage ("--network", "--network", "a b", NULL);
    s_expect_usage ("--network", "--network", "", NULL);
    s_expect_usage ("--kernel", "--kernel", "sse9", NULL);
    s_expect_usage ("--seed", "--seed", "-1", NULL);
    s_expect_usage ("--size", "--size", "0x10", NULL);
    s_expect_usage ("nosuch", "--palette", "nosuch", NULL);
    s_expect_usage ("--slices", "--size", "16000x8000", "--slices", "2", NULL);
    s_expect_usage ("--size", "--join", "127.0.0.1:9", "--size", "0x10", NULL);
    s_expect_usage ("--log-json", "--log-json", "/nonexistent/dir/x.json", NULL);
    s_expect_usage ("-o", "-o", "/nonexistent/dir/x.png", NULL);
    s_expect_usage ("--bogus", "--bogus", NULL);
    s_expect_usage ("needs a value", "--port", NULL);
    s_expect_usage ("stray", "stray", NULL);
    s_expect_usage ("--geometry", "--geometry", "640", NULL);
    s_expect_usage ("--geometry", "--geometry", "32x32", NULL);
    s_expect_usage ("--geometry", "--geometry", " 640x360", NULL);
    s_expect_usage ("--geometry", "--geometry", "640x360+10", NULL);
    s_expect_usage ("--geometry", "--geometry", "640x360+1+2+3", NULL);
    s_expect_usage ("--geometry", "--geometry", "640x360+99999999999+0", NULL);
    s_expect_usage ("--geometry", "--geometry", "640x+360", NULL);
    s_expect_usage ("--join-timeout", "--join-timeout", "0", NULL);
    s_expect_usage ("--join-timeout", "--join-timeout", "soon", NULL);
}

/* A peer that cannot join (nobody at the address) says so, and with
 * --join-timeout (or --exit-when-done's default) gives up: exit 1. */
static void
test_join_gives_up (void **state)
{
    (void)state;
    const char *args[] = { "peer",           "--headless", "--join", "127.0.0.1:1",
                           "--join-timeout", "1",          NULL };
    char err_path[256], err[4096];
    uint64_t t0 = tu_now_ms ();
    int status = tu_run_wait (tu_spawn (s_sw.dir, "nojoin", args, err_path, sizeof err_path),
                              S_RUN_TIMEOUT_MS);
    tu_slurp (err_path, err, sizeof err);
    if (status != 1 || !strstr (err, "could not join through 127.0.0.1:1"))
        fail_msg ("peer --join to nobody: exit %d after %llu ms, wanted 1; stderr: %s", status,
                  (unsigned long long)(tu_now_ms () - t0), err);
}

int
main (void)
{
    /* A hung child must not hang the suite: ctest's TIMEOUT is the
     * watchdog, and teardown kills every child. */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_bad_values_exit_2, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_join_gives_up, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_joiner_closest_to_network_key, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_join_tries_next_address, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_progress_only_when_changed, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_kills_and_late_joiner, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

/* test_leave.c: what peers say when others go, end to end -- real
 * `p2pfractal peer` processes on loopback (the swarm harness of
 * test_util.c):
 *   - a peer that leaves gracefully (SIGTERM, as q or --exit-when-done)
 *     is logged "peer_left" by every other peer, a SIGKILLed one
 *     "peer_lost" with how long it was silent -- never the other way;
 *   - peers joining one by one with no fault log no election beyond the
 *     job's start and hand-overs (the spurious "master lost" on join);
 *   - the last peer quitting an unfinished job says so and saves the
 *     slices it has as <stem>.partial.png, exit 0.
 * Every wait polls the logs with a deadline; every child is killed and
 * reaped in teardown. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "png_io.h"
#include "test_util.h"

#define S_START_TIMEOUT_MS 10000 /* peers start and adopt the job */
#define S_EVENT_TIMEOUT_MS 15000 /* a leave or a kill shows in the logs */
#define S_DONE_TIMEOUT_MS 60000  /* a short job is done everywhere */
#define S_EXIT_TIMEOUT_MS 10000  /* a peer exits after SIGTERM */
#define S_JOIN_RUNS 5            /* swarms built one join at a time */

/* A job that lasts: every slice real work (throttled 10x it takes three
 * peers a second or two, 100x long enough to strike mid-job). */
static const char *const s_job[] = {
    "--size", "320x180", "--iter", "300000", "--slices", "96", NULL
};

static tu_swarm_t s_sw;

/* What the logs said, per observer: of the peer that left (0) and of the
 * one killed (1). */
static int s_up[TU_SWARM_MAX][2], s_left[TU_SWARM_MAX][2], s_lost[TU_SWARM_MAX][2];
static uint64_t s_lost_silent_ms[TU_SWARM_MAX];
static int s_leaver = -1, s_victim = -1;
/* master_elected lines whose reason is neither the job's start nor a
 * hand-over: elections, which need a fault. */
static int s_elections;
static char s_election_line[512];
static int s_partials;           /* "partial" lines */
static char s_partial_file[256]; /* the last one's file */

static void
s_on_line (tu_swarm_t *sw, int i, const char *event, const char *line)
{
    char peer[40] = "", reason[80] = "";
    if (strcmp (event, "peer_up") == 0) {
        /* Before the leave and the kill: who knows whom (the node ids are
         * all known by then). */
        tu_json_str (line, "peer", peer, sizeof peer);
        for (int k = 0; k < 2; k++)
            for (int j = 0; j < sw->n; j++)
                if ((k ? j == 3 : j == 2) && sw->peers[j].node[0] &&
                    strcmp (peer, sw->peers[j].node) == 0)
                    s_up[i][k]++;
    } else if (strcmp (event, "peer_left") == 0 || strcmp (event, "peer_lost") == 0) {
        tu_json_str (line, "peer", peer, sizeof peer);
        int left = event[5] == 'l' && event[6] == 'e';
        for (int k = 0; k < 2; k++) {
            int who = k ? s_victim : s_leaver;
            if (who < 0 || strcmp (peer, sw->peers[who].node) != 0)
                continue;
            if (left)
                s_left[i][k]++;
            else
                s_lost[i][k]++;
            if (!left && k == 1)
                s_lost_silent_ms[i] = tu_json_u64 (line, "silent_ms");
        }
    } else if (strcmp (event, "master_elected") == 0) {
        tu_json_str (line, "reason", reason, sizeof reason);
        if (strcmp (reason, "start") != 0 && strncmp (reason, "handover", 8) != 0) {
            s_elections++;
            snprintf (s_election_line, sizeof s_election_line, "peer %d: %.400s", i, line);
        }
    } else if (strcmp (event, "partial") == 0) {
        s_partials++;
        tu_json_str (line, "file", s_partial_file, sizeof s_partial_file);
    }
}

static int
s_setup (void **state)
{
    (void)state;
    memset (s_up, 0, sizeof s_up);
    memset (s_left, 0, sizeof s_left);
    memset (s_lost, 0, sizeof s_lost);
    memset (s_lost_silent_ms, 0, sizeof s_lost_silent_ms);
    s_leaver = s_victim = -1;
    s_elections = s_partials = 0;
    s_election_line[0] = s_partial_file[0] = '\0';
    int rc = tu_swarm_open (&s_sw, "test_leave");
    s_sw.on_line = s_on_line;
    return rc;
}

static int
s_teardown (void **state)
{
    (void)state;
    return tu_swarm_close (&s_sw, 0);
}

/* Every survivor (peers 0 and 1) that knew the leaver heard it leave,
 * and some survivor found the victim lost (a survivor that knew it only
 * from its routing table never watches it: it may say nothing). */
static int
s_both_heard (tu_swarm_t *sw)
{
    (void)sw;
    int lost = 0;
    for (int i = 0; i < 2; i++) {
        if (s_up[i][0] && !s_left[i][0])
            return 0;
        lost += s_lost[i][1] > 0;
    }
    return lost > 0;
}

/* A graceful leave and a crash at the same moment: every survivor logs
 * the first as left, the second as lost after its silence -- never the
 * other words. */
static void
test_left_is_not_lost (void **state)
{
    (void)state;
    tu_swarm_t *sw = &s_sw;
    uint64_t base = tu_seed ("test_leave");
    uint64_t seeds[4] = { base, base + 1, base + 2, base + 3 };
    tu_swarm_start (sw, 4, seeds, "100", s_job, S_START_TIMEOUT_MS);
    s_leaver = 2;
    s_victim = 3;
    assert_int_equal (kill (sw->peers[s_leaver].pid, SIGTERM), 0);
    tu_swarm_kill (sw, s_victim);
    if (!tu_swarm_wait (sw, s_both_heard, tu_now_ms () + S_EVENT_TIMEOUT_MS)) {
        tu_swarm_dump (sw);
        fail_msg ("within %d ms: peer 0 heard left %d, lost %d; peer 1 left %d, lost %d",
                  S_EVENT_TIMEOUT_MS, s_left[0][0], s_lost[0][1], s_left[1][0], s_lost[1][1]);
    }
    assert_true (s_up[0][0] + s_up[1][0] > 0); /* someone knew the leaver */
    tu_swarm_stop (sw, S_EXIT_TIMEOUT_MS);
    assert_int_equal (sw->peers[s_leaver].status, 0);
    for (int i = 0; i < 2; i++) {
        if (s_lost[i][0] || s_left[i][1]) {
            tu_swarm_dump (sw);
            fail_msg ("peer %d: the leaver lost %d times, the killed peer left %d times", i,
                      s_lost[i][0], s_left[i][1]);
        }
        /* Detected by silence: at least the failure timeout (1 s), less
         * a probe interval's slack. */
        if (s_lost[i][1] && s_lost_silent_ms[i] < 800)
            fail_msg ("peer %d: the killed peer lost after %llu ms of silence", i,
                      (unsigned long long)s_lost_silent_ms[i]);
    }
}

static int s_joiner; /* the peer test_joins_elect_nobody waits for */

static int
s_joiner_has_job (tu_swarm_t *sw)
{
    return sw->peers[s_joiner].job_started || tu_swarm_crashed (sw);
}

/* Three peers, the first starts the job and the others join it one by
 * one; nobody is killed: no election, in any run. */
static void
test_joins_elect_nobody (void **state)
{
    (void)state;
    tu_swarm_t *sw = &s_sw;
    uint64_t base = tu_seed ("test_leave") + 100;
    for (int run = 0; run < S_JOIN_RUNS; run++) {
        uint64_t seeds[3] = { base + 3 * (uint64_t)run, base + 3 * (uint64_t)run + 1,
                              base + 3 * (uint64_t)run + 2 };
        uint64_t t0 = tu_now_ms ();
        tu_swarm_start (sw, 1, seeds, "10", s_job, S_START_TIMEOUT_MS);
        /* One at a time: the next joins once the last one has adopted
         * the job, while it runs -- when the job tree's root moves to a
         * joiner and the master, root until then, hands over. */
        for (int j = 1; j < 3; j++) {
            s_joiner = j;
            tu_swarm_spawn_peer (sw, j, seeds[j], "10", sw->peers[0].port, 0, NULL);
            if (!tu_swarm_wait (sw, s_joiner_has_job, tu_now_ms () + S_START_TIMEOUT_MS)) {
                tu_swarm_dump (sw);
                fail_msg ("run %d: peer %d did not adopt the job within %d ms", run, j,
                          S_START_TIMEOUT_MS);
            }
        }
        if (sw->peers[0].job_done)
            fail_msg ("run %d: the job was done before the joiners adopted it: no test", run);
        if (!tu_swarm_wait (sw, tu_swarm_survivors_done, tu_now_ms () + S_DONE_TIMEOUT_MS) ||
            tu_swarm_crashed (sw)) {
            tu_swarm_dump (sw);
            fail_msg ("run %d: the job was not done everywhere within %d ms", run,
                      S_DONE_TIMEOUT_MS);
        }
        print_message ("run %d: done everywhere in %llu ms\n", run,
                       (unsigned long long)(tu_now_ms () - t0));
        tu_swarm_stop (sw, S_EXIT_TIMEOUT_MS);
        if (s_elections) {
            tu_swarm_dump (sw);
            fail_msg ("run %d: %d election(s) with no fault, the last: %s", run, s_elections,
                      s_election_line);
        }
        /* A fresh swarm for the next run. */
        assert_int_equal (tu_swarm_close (sw, 0), 0);
        assert_int_equal (tu_swarm_open (sw, "test_leave"), 0);
        sw->on_line = s_on_line;
    }
    print_message ("%d runs of 3 peers joining: 0 elections\n", S_JOIN_RUNS);
}

static int
s_some_slice_done (tu_swarm_t *sw)
{
    return sw->peers[0].slices_done >= 2;
}

/* The only peer quits mid-job: it says so, and the slices it computed
 * are in <stem>.partial.png -- not silently gone with exit 0. */
static void
test_last_peer_saves_partial (void **state)
{
    (void)state;
    tu_swarm_t *sw = &s_sw;
    uint64_t seeds[1] = { tu_seed ("test_leave") + 50 };
    /* Throttled 3x, not 100x: tiles are handed out from the centre, and
     * this view's centre tiles are its dearest (the first two hold ~30% of
     * the work; throttled 100x they took 12 and 22 s here, minutes under
     * ASan). The rest of the job is still 2-3 times as long as the wait
     * for two, time to quit mid-job on any build or load. */
    tu_swarm_start (sw, 1, seeds, "3", s_job, S_START_TIMEOUT_MS);
    if (!tu_swarm_wait (sw, s_some_slice_done, tu_now_ms () + S_EVENT_TIMEOUT_MS))
        fail_msg ("no slice done within %d ms", S_EVENT_TIMEOUT_MS);
    tu_swarm_stop (sw, S_EXIT_TIMEOUT_MS);
    char want[300];
    tu_path_join (want, sizeof want, sw->dir, "peer0.partial.png");
    if (s_partials != 1 || strcmp (s_partial_file, want) != 0) {
        tu_swarm_dump (sw);
        fail_msg ("%d partial images logged (last %s), wanted %s", s_partials, s_partial_file,
                  want);
    }
    uint8_t *rgb = NULL;
    int w = 0, h = 0;
    char err[512];
    if (rnd_png_read_rgb (want, &rgb, &w, &h, err, sizeof err) != 0)
        fail_msg ("%s", err);
    assert_int_equal (w, 320);
    assert_int_equal (h, 180);
    /* Some tiles rendered, some grey (missing). */
    size_t grey = 0, npx = (size_t)w * (size_t)h;
    for (size_t i = 0; i < npx; i++)
        grey += rgb[3 * i] == 0x30 && rgb[3 * i + 1] == 0x30 && rgb[3 * i + 2] == 0x30;
    free (rgb);
    assert_true (grey > 0 && grey < npx);
    char errs[16384];
    tu_slurp (sw->peers[0].err_path, errs, sizeof errs);
    if (!strstr (errs, "unfinished") || !strstr (errs, "images: ") ||
        !strstr (errs, "peer0.partial.png"))
        fail_msg ("stderr does not say the job was unfinished and where it went: %s", errs);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_left_is_not_lost, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_joins_elect_nobody, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_last_peer_saves_partial, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

/* test_deep_peers.c: a deep job across the swarm. Three headless
 * `p2pfractal peer` processes on loopback render a 96x64 view 1e-300 wide
 * (by perturbation around a 1,067-bit reference orbit, far below what
 * doubles place): every peer that renders computes the orbit itself, once
 * per job, every slice it sends carries the orbit's hash, nobody rejects
 * anybody's slices, and every PNG is byte for byte what `p2pfractal
 * render` writes for the same view. Then a fourth peer joins that claims
 * another orbit (P2PF_TEST_CORRUPT_SLICES=2: right pixels, wrong hash):
 * the others reject its slices, each says once that it is that peer whose
 * orbit differs, and their images are still render's -- that second job
 * 1e-1000 wide (floatexp deltas, a 3,400-bit orbit). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deep_views.h"
#include "test_util.h"

#define S_PEERS 3
#define S_JOB_BUSY_S 6.0         /* render + throttle seconds of the whole job */
#define S_START_TIMEOUT_MS 20000 /* the peers adopt the job */
#define S_DONE_TIMEOUT_MS 120000 /* they finish */
#define S_EXIT_TIMEOUT_MS 10000  /* they leave on SIGTERM */

#define S_CENTER BENCH_MIS_RE "," BENCH_MIS_IM
static const char *const s_view[] = { "--center", S_CENTER, "--width", "1e-300", "--size",
                                      "96x64",    "--iter", "20000",   NULL };
static const char *const s_job[] = { "--center", S_CENTER, "--width",  "1e-300", "--size", "96x64",
                                     "--iter",   "20000",  "--slices", "16",     NULL };
/* The second test goes past what doubles' exponents hold (floatexp deltas)
 * and deeper than the 1e-1000; counts there are ~60,000 (at
 * 20,000 iterations the image would be one flat black). */
static const char *const s_view_floatexp[] = { "--center", S_CENTER, "--width", "1e-1000", "--size",
                                               "96x64",    "--iter", "100000",  NULL };
static const char *const s_job_floatexp[] = { "--center", S_CENTER, "--width", "1e-1000",
                                              "--size",   "96x64",  "--iter",  "100000",
                                              "--slices", "16",     NULL };

static tu_swarm_t s_sw;
static int s_references[TU_SWARM_MAX]; /* `reference` events: orbits computed */
static int s_rejected[TU_SWARM_MAX];   /* `slice_rejected` events */
static int s_bad_orbit[TU_SWARM_MAX];  /* of them: the liar's, for its orbit */

static void
s_on_line (tu_swarm_t *sw, int i, const char *event, const char *line)
{
    if (strcmp (event, "reference") == 0) {
        s_references[i]++;
    } else if (strcmp (event, "slice_rejected") == 0) {
        s_rejected[i]++;
        char from[33], reason[64];
        if (sw->n > S_PEERS && tu_json_str (line, "from", from, sizeof from) == 0 &&
            strcmp (from, sw->peers[S_PEERS].node) == 0 &&
            tu_json_str (line, "reason", reason, sizeof reason) == 0 &&
            strcmp (reason, "reference orbit differs") == 0)
            s_bad_orbit[i]++;
    }
}

static int
s_setup (void **state)
{
    (void)state;
    int rc = tu_swarm_open (&s_sw, "test_deep_peers");
    s_sw.on_line = s_on_line;
    return rc;
}

static int
s_teardown (void **state)
{
    (void)state;
    return tu_swarm_close (&s_sw, 0);
}

static void
test_deep_job_on_three_peers (void **state)
{
    (void)state;
    tu_swarm_t *sw = &s_sw;
    uint64_t seed = tu_seed ("test_deep_peers");
    uint64_t seeds[S_PEERS];
    for (int i = 0; i < S_PEERS; i++)
        seeds[i] = seed + (uint64_t)i;
    char ref_path[256];
    tu_path_join (ref_path, sizeof ref_path, sw->dir, "ref.png");
    double job_s = tu_render_reference (sw->dir, s_view, ref_path);
    /* Stretched so that every peer gets slices, whatever this build's speed. */
    char throttle[32];
    tu_throttle (S_JOB_BUSY_S, job_s, throttle, sizeof throttle);
    print_message ("reference render %.3f s on one thread: --throttle %s\n", job_s, throttle);
    tu_swarm_start (sw, S_PEERS, seeds, throttle, s_job, S_START_TIMEOUT_MS);
    if (!tu_swarm_wait (sw, tu_swarm_survivors_done, tu_now_ms () + S_DONE_TIMEOUT_MS) ||
        tu_swarm_crashed (sw)) {
        tu_swarm_dump (sw);
        fail_msg ("not every peer finished the deep job within %d ms", S_DONE_TIMEOUT_MS);
    }
    tu_swarm_check_pngs (sw, ref_path);
    int computed = 0;
    for (int i = 0; i < S_PEERS; i++) {
        print_message ("peer %d: %d slices done, %d reference orbit(s) computed, %d rejected\n", i,
                       sw->peers[i].slices_done, s_references[i], s_rejected[i]);
        /* Once per job at most, however many slices it rendered. */
        assert_true (s_references[i] <= 1);
        computed += s_references[i];
        assert_int_equal (s_rejected[i], 0);
    }
    /* The work was shared: more than one peer computed its own orbit. */
    assert_true (computed >= 2);
    tu_swarm_stop (sw, S_EXIT_TIMEOUT_MS);
}

static int
s_honest_done (tu_swarm_t *sw)
{
    if (tu_swarm_crashed (sw))
        return 1;
    for (int i = 0; i < S_PEERS; i++)
        if (!sw->peers[i].job_done)
            return 0;
    return 1;
}

static void
test_other_orbit_is_rejected (void **state)
{
    (void)state;
    tu_swarm_t *sw = &s_sw;
    memset (s_rejected, 0, sizeof s_rejected);
    memset (s_bad_orbit, 0, sizeof s_bad_orbit);
    uint64_t seed = tu_seed ("test_deep_peers");
    uint64_t seeds[S_PEERS];
    for (int i = 0; i < S_PEERS; i++)
        seeds[i] = seed + 10 + (uint64_t)i;
    char ref_path[256];
    tu_path_join (ref_path, sizeof ref_path, sw->dir, "ref.png");
    double job_s = tu_render_reference (sw->dir, s_view_floatexp, ref_path);
    char throttle[32];
    tu_throttle (S_JOB_BUSY_S * 2, job_s, throttle, sizeof throttle);
    tu_swarm_start (sw, S_PEERS, seeds, throttle, s_job_floatexp, S_START_TIMEOUT_MS);
    /* The liar joins unthrottled: it wants work. */
    setenv ("P2PF_TEST_CORRUPT_SLICES", "2", 1);
    tu_swarm_spawn_peer (sw, S_PEERS, seed + 10 + S_PEERS, "1", sw->peers[0].port, 0, NULL);
    unsetenv ("P2PF_TEST_CORRUPT_SLICES");
    if (!tu_swarm_wait (sw, s_honest_done, tu_now_ms () + S_DONE_TIMEOUT_MS) ||
        tu_swarm_crashed (sw)) {
        tu_swarm_dump (sw);
        fail_msg ("the honest peers did not finish within %d ms", S_DONE_TIMEOUT_MS);
    }
    int caught = 0;
    for (int i = 0; i < S_PEERS; i++) {
        print_message ("peer %d: %d rejected, %d for the liar's orbit\n", i, s_rejected[i],
                       s_bad_orbit[i]);
        /* Once per sender and job, and only the liar, for its orbit. */
        assert_true (s_rejected[i] <= 1);
        assert_int_equal (s_rejected[i], s_bad_orbit[i]);
        caught += s_bad_orbit[i];
    }
    if (caught == 0) {
        tu_swarm_dump (sw);
        fail_msg ("nobody rejected the peer with another orbit");
    }
    tu_swarm_kill (sw, S_PEERS);
    tu_swarm_check_pngs (sw, ref_path);
    tu_swarm_stop (sw, S_EXIT_TIMEOUT_MS);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_deep_job_on_three_peers, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_other_orbit_is_rejected, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

/* test_deep_peers.c: a deep job across the swarm. Three headless
 * `p2pfractal peer` processes on loopback render a 96x64 view 1e-300 wide
 * (by perturbation around a 1,067-bit reference orbit, far below what
 * doubles place): every peer that renders computes the orbit itself, once
 * per job, every slice it sends carries the orbit's hash, nobody rejects
 * anybody's slices, and every PNG is byte for byte what `p2pfractal
 * render` writes for the same view. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
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

static tu_swarm_t s_sw;
static int s_references[TU_SWARM_MAX]; /* `reference` events: orbits computed */
static int s_rejected[TU_SWARM_MAX];   /* `slice_rejected` events */

static void
s_on_line (tu_swarm_t *sw, int i, const char *event, const char *line)
{
    (void)sw;
    (void)line;
    if (strcmp (event, "reference") == 0)
        s_references[i]++;
    else if (strcmp (event, "slice_rejected") == 0)
        s_rejected[i]++;
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

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_deep_job_on_three_peers, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

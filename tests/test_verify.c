/* test_verify.c: received slices are checked. Three honest peers render a
 * job; a fourth joins that lies about every slice it renders
 * (P2PF_TEST_CORRUPT_SLICES=1, read only by p2pfractal-test, shifts each value to another one a
 * kernel could produce). Every honest peer spot-checks what it receives
 * (a few pixels drawn from its own seeded stream, recomputed on its render
 * threads), drops the liar's slices, logs it once (`slice_rejected`) and
 * ignores it for the rest of the job; the master hands those slices out
 * again. The honest peers' PNGs must be `p2pfractal render`'s, byte for
 * byte, and no slice of theirs may be credited to the liar.
 *
 * With the check off (P2PF_TEST_CHECK_PIXELS=0 in the environment, which
 * every peer inherits) this test fails: the honest images take the
 * liar's slices.
 *
 * Waits are polls with deadlines (test_util.c's swarm harness); every
 * peer is SIGKILLed and reaped on every way out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "test_util.h"

#define S_HONEST 3
#define S_LIAR S_HONEST           /* the liar's index */
#define S_JOB_BUSY_S 12.0         /* render + throttle seconds of the whole job */
#define S_START_TIMEOUT_MS 20000  /* the peers adopt the job */
#define S_REJECT_TIMEOUT_MS 60000 /* a lie is caught */
#define S_DONE_TIMEOUT_MS 120000  /* the honest peers finish */
#define S_EXIT_TIMEOUT_MS 10000   /* they leave on SIGTERM */

static const char *const s_view[] = { "--size", "320x180", "--iter", "300000", NULL };
static const char *const s_job[] = {
    "--size", "320x180", "--iter", "300000", "--slices", "48", NULL
};

#define S_REJECTS_MAX 8

static tu_swarm_t s_sw;
static int s_rejected[TU_SWARM_MAX];                 /* slice_rejected events, per peer */
static char s_from[TU_SWARM_MAX][S_REJECTS_MAX][33]; /* whom each named */
static int s_from_liar[TU_SWARM_MAX];                /* slices done, credited to the liar */

static void
s_on_line (tu_swarm_t *sw, int i, const char *event, const char *line)
{
    if (strcmp (event, "slice_done") == 0 && sw->n > S_LIAR && sw->peers[S_LIAR].node[0]) {
        char by[33];
        if (tu_json_str (line, "by", by, sizeof by) == 0 &&
            strcmp (by, sw->peers[S_LIAR].node) == 0)
            s_from_liar[i]++;
        return;
    }
    if (strcmp (event, "slice_rejected") != 0)
        return;
    if (s_rejected[i] < S_REJECTS_MAX &&
        tu_json_str (line, "from", s_from[i][s_rejected[i]], sizeof s_from[i][0]) != 0)
        s_from[i][s_rejected[i]][0] = '\0';
    s_rejected[i]++;
}

/* 1 if the two files hold the same bytes. */
static int
s_files_equal (const char *a, const char *b)
{
    FILE *fa = fopen (a, "rb"), *fb = fopen (b, "rb");
    int same = fa && fb;
    while (same) {
        int ca = getc (fa), cb = getc (fb);
        same = ca == cb;
        if (ca == EOF || cb == EOF)
            break;
    }
    if (fa)
        fclose (fa);
    if (fb)
        fclose (fb);
    return same;
}

static int
s_caught (tu_swarm_t *sw)
{
    if (tu_swarm_crashed (sw))
        return 1;
    for (int i = 0; i < S_HONEST; i++)
        if (s_rejected[i])
            return 1;
    return 0;
}

static int
s_honest_done (tu_swarm_t *sw)
{
    if (tu_swarm_crashed (sw))
        return 1;
    for (int i = 0; i < S_HONEST; i++)
        if (!sw->peers[i].job_done)
            return 0;
    return 1;
}

static int
s_setup (void **state)
{
    (void)state;
    int rc = tu_swarm_open (&s_sw, "test_verify");
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
test_liar_is_caught (void **state)
{
    (void)state;
    tu_swarm_t *sw = &s_sw;
    uint64_t seed = tu_seed ("test_verify");
    uint64_t seeds[S_HONEST];
    for (int i = 0; i < S_HONEST; i++)
        seeds[i] = seed + (uint64_t)i;
    char ref_path[256];
    tu_path_join (ref_path, sizeof ref_path, sw->dir, "ref.png");
    double job_s = tu_render_reference (sw->dir, s_view, ref_path);
    char throttle[32];
    tu_throttle (S_JOB_BUSY_S, job_s, throttle, sizeof throttle);
    tu_swarm_start (sw, S_HONEST, seeds, throttle, s_job, S_START_TIMEOUT_MS);

    /* The liar joins, unthrottled (it wants work), lying. */
    setenv ("P2PF_TEST_CORRUPT_SLICES", "1", 1);
    tu_swarm_spawn_peer (sw, S_LIAR, seed + S_HONEST, "1", sw->peers[0].port, 0, NULL);
    unsetenv ("P2PF_TEST_CORRUPT_SLICES");

    if (!tu_swarm_wait (sw, s_honest_done, tu_now_ms () + S_DONE_TIMEOUT_MS) ||
        tu_swarm_crashed (sw)) {
        tu_swarm_dump (sw);
        fail_msg ("the honest peers did not finish within %d ms", S_DONE_TIMEOUT_MS);
    }
    for (int i = 0; i < S_HONEST; i++)
        print_message ("peer %d: %d slice_rejected, %d slices credited to the liar\n", i,
                       s_rejected[i], s_from_liar[i]);
    /* The images first: with the check off, this is what fails. */
    for (int i = 0; i < S_HONEST; i++)
        if (!s_files_equal (sw->peers[i].png_path, ref_path)) {
            tu_swarm_dump (sw);
            fail_msg ("peer %d's image %s is not the reference %s, byte for byte", i,
                      sw->peers[i].png_path, ref_path);
        }
    for (int i = 0; i < S_HONEST; i++)
        assert_int_equal (s_from_liar[i], 0);
    if (!s_caught (sw) || tu_swarm_crashed (sw)) {
        tu_swarm_dump (sw);
        fail_msg ("no honest peer caught the liar");
    }
    /* Only the liar was ever accused, and each honest peer accused it at
     * most once: it is ignored after its first lie. */
    for (int i = 0; i < S_HONEST; i++) {
        assert_true (s_rejected[i] <= 1);
        for (int k = 0; k < s_rejected[i] && k < S_REJECTS_MAX; k++)
            assert_string_equal (s_from[i][k], sw->peers[S_LIAR].node);
    }
    /* The liar's own image is wrong, and it is not an honest peer's. */
    tu_swarm_kill (sw, S_LIAR);
    tu_swarm_check_pngs (sw, ref_path);
    tu_swarm_stop (sw, S_EXIT_TIMEOUT_MS);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_liar_is_caught, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

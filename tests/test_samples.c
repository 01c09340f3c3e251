/* test_samples.c: anti-aliasing (--samples K). `render --samples 3` of a
 * small view is, pixel for pixel, the average this test computes itself
 * of the colours of a 3x larger render of the same view; --samples 1 is
 * today's output byte for byte; the PNG's Comment carries the samples and
 * --params renders the same image again; the stored sub-pixel values
 * recolour with another palette into what render writes with it; a deep
 * view derives its reference orbit from the sample grid; and
 * three headless peers on loopback render a --samples 2 job into PNGs
 * identical to render's. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deep_views.h"
#include "kernel.h"
#include "palette.h"
#include "params.h"
#include "png_io.h"
#include "samples.h"
#include "test_util.h"

/* A view with filaments on every scale: aliasing shows. */
#define S_VIEW "--center", "-0.7435,0.1314", "--width", "0.004", "--iter", "600"
#define S_W 40
#define S_H 30

#define S_PEERS 3
#define S_JOB_BUSY_S 5.0         /* render + throttle seconds of the whole job */
#define S_START_TIMEOUT_MS 20000 /* the peers adopt the job */
#define S_DONE_TIMEOUT_MS 120000 /* they finish */
#define S_EXIT_TIMEOUT_MS 10000  /* they leave on SIGTERM */

static tu_swarm_t s_sw;
static int s_own[TU_SWARM_MAX];      /* slices each peer computed itself */
static int s_rejected[TU_SWARM_MAX]; /* slices it rejected (spot checks, orbits) */

static void
s_on_line (tu_swarm_t *sw, int i, const char *event, const char *line)
{
    char by[33];
    if (strcmp (event, "slice_done") == 0 && tu_json_str (line, "by", by, sizeof by) == 0 &&
        strcmp (by, sw->peers[i].node) == 0)
        s_own[i]++;
    else if (strcmp (event, "slice_rejected") == 0)
        s_rejected[i]++;
}

static int
s_setup (void **state)
{
    (void)state;
    int rc = tu_swarm_open (&s_sw, "test_samples");
    s_sw.on_line = s_on_line;
    return rc;
}

static int
s_teardown (void **state)
{
    (void)state;
    return tu_swarm_close (&s_sw, 0);
}

/* path read as RGB of w x h, or the test fails. */
static uint8_t *
s_read (const char *path, int w, int h)
{
    uint8_t *rgb;
    int pw, ph;
    char err[512];
    if (rnd_png_read_rgb (path, &rgb, &pw, &ph, err, sizeof err) != 0)
        fail_msg ("%s", err);
    if (pw != w || ph != h)
        fail_msg ("%s is %dx%d, not %dx%d", path, pw, ph, w, h);
    return rgb;
}

/* The test's own K x K box average of an image k times the size of w x h:
 * each channel summed over the block, rounded to nearest. */
static uint8_t *
s_box_average (const uint8_t *big, int w, int h, int k)
{
    uint8_t *out = malloc ((size_t)w * (size_t)h * 3);
    assert_non_null (out);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < 3; c++) {
                unsigned sum = 0;
                for (int j = 0; j < k; j++)
                    for (int i = 0; i < k; i++)
                        sum +=
                            big[3 * ((size_t)(y * k + j) * (size_t)(w * k) + (size_t)(x * k + i)) +
                                (size_t)c];
                out[3 * ((size_t)y * (size_t)w + (size_t)x) + (size_t)c] =
                    (uint8_t)((sum + (unsigned)(k * k) / 2) / (unsigned)(k * k));
            }
    return out;
}

static size_t
s_file (const char *path, char *buf, size_t size)
{
    FILE *f = fopen (path, "rb");
    assert_non_null (f);
    size_t n = fread (buf, 1, size, f);
    fclose (f);
    return n;
}

static void
test_render_averages_a_larger_render (void **state)
{
    (void)state;
    const char *dir = s_sw.dir;
    char k3[256], big[256], k1[256], plain[256], again[256];
    tu_path_join (k3, sizeof k3, dir, "k3.png");
    tu_path_join (big, sizeof big, dir, "big.png");
    tu_path_join (k1, sizeof k1, dir, "k1.png");
    tu_path_join (plain, sizeof plain, dir, "plain.png");
    tu_path_join (again, sizeof again, dir, "again.png");
    tu_render_reference (
        dir, (const char *const[]){ S_VIEW, "--size", "40x30", "--samples", "3", NULL }, k3);
    tu_render_reference (dir, (const char *const[]){ S_VIEW, "--size", "120x90", NULL }, big);
    tu_render_reference (
        dir, (const char *const[]){ S_VIEW, "--size", "40x30", "--samples", "1", NULL }, k1);
    tu_render_reference (dir, (const char *const[]){ S_VIEW, "--size", "40x30", NULL }, plain);

    uint8_t *got = s_read (k3, S_W, S_H), *sub = s_read (big, 3 * S_W, 3 * S_H);
    uint8_t *want = s_box_average (sub, S_W, S_H, 3), *one = s_read (k1, S_W, S_H);
    size_t n = (size_t)S_W * S_H * 3, differ = 0;
    for (size_t i = 0; i < n; i++)
        if (got[i] != want[i])
            fail_msg ("byte %zu (pixel %zu, %zu): %d, the 3x3 average of the large render is %d", i,
                      i / 3 % S_W, i / 3 / S_W, got[i], want[i]);
    for (size_t i = 0; i < n; i++)
        differ += got[i] != one[i];
    /* Anti-aliasing changed the picture (this view has filaments). */
    print_message ("%zu of %zu bytes differ from the 1-sample render\n", differ, n);
    assert_true (differ > n / 10);

    /* --samples 1 is no option at all, byte for byte (Comment included). */
    static char a[1 << 16], b[1 << 16];
    size_t la = s_file (k1, a, sizeof a), lb = s_file (plain, b, sizeof b);
    assert_int_equal (la, lb);
    assert_memory_equal (a, b, la);

    /* The Comment says samples=3; --params renders the same bytes again. */
    char *comment = NULL, err[512];
    assert_int_equal (rnd_png_read_comment (k3, &comment, err, sizeof err), 0);
    assert_non_null (strstr (comment, "\nsamples=3\n"));
    assert_null (strstr (a, "samples="));
    free (comment);
    tu_render_reference (dir, (const char *const[]){ "--params", k3, NULL }, again);
    la = s_file (k3, a, sizeof a);
    lb = s_file (again, b, sizeof b);
    assert_int_equal (la, lb);
    assert_memory_equal (a, b, la);
    free (got);
    free (sub);
    free (want);
    free (one);
}

/* Recolouring: the sub-pixel values, kept, coloured with another palette
 * give what render writes with that palette -- the averaging checked by
 * this test's own sum of each sub-pixel's colour. */
static void
test_recolour_from_stored_values (void **state)
{
    (void)state;
    const char *dir = s_sw.dir;
    char ember[256];
    tu_path_join (ember, sizeof ember, dir, "ember.png");
    tu_render_reference (dir,
                         (const char *const[]){ S_VIEW, "--size", "40x30", "--samples", "3",
                                                "--palette", "ember", NULL },
                         ember);
    rnd_view_t v;
    rnd_view_default (&v);
    char err[512];
    char text[] = "p2pfractal-params 2\ncenter_re=-0.7435\ncenter_im=0.1314\nwidth=0.004\n"
                  "max_iter=600\nsize=40x30\nsamples=3\n";
    assert_int_equal (rnd_params_parse (text, strlen (text), "t", &v, err, sizeof err), 0);
    assert_int_equal (rnd_view_validate (&v, err, sizeof err), 0);
    /* The values a peer stores: the 120x90 sample grid. */
    rnd_kjob_t job;
    rnd_kjob_init (&job, &v);
    assert_int_equal (job.width_px, 3 * S_W);
    assert_int_equal (job.height_px, 3 * S_H);
    size_t ng = (size_t)job.width_px * (size_t)job.height_px;
    float *grid = malloc (ng * sizeof *grid);
    uint8_t *sub = malloc (ng * 3), *rgb = malloc ((size_t)S_W * S_H * 3);
    assert_true (grid && sub && rgb);
    rnd_kernel_run (RND_KERNEL_AUTO, &job, 0, job.height_px, grid);
    rnd_palette_t def, emb;
    assert_int_equal (rnd_palette_load (&def, "default", err, sizeof err), 0);
    assert_int_equal (rnd_palette_load (&emb, "ember", err, sizeof err), 0);
    rnd_rect_t all = { 0, 0, S_W, S_H };
    /* First the job's palette, then a palette change over the same values. */
    rnd_colourise_rect (&def, RND_COLOURING_SMOOTH, grid, S_W, 3, all, rgb);
    rnd_colourise_rect (&emb, RND_COLOURING_SMOOTH, grid, S_W, 3, all, rgb);
    rnd_colourise (&emb, RND_COLOURING_SMOOTH, grid, ng, sub);
    uint8_t *want = s_box_average (sub, S_W, S_H, 3), *got = s_read (ember, S_W, S_H);
    assert_memory_equal (rgb, want, (size_t)S_W * S_H * 3);
    assert_memory_equal (rgb, got, (size_t)S_W * S_H * 3);
    /* A part recoloured alone is the same as in the whole. */
    memset (rgb, 0, (size_t)S_W * S_H * 3);
    rnd_colourise_rect (&emb, RND_COLOURING_SMOOTH, grid, S_W, 3, (rnd_rect_t){ 7, 5, 23, 19 },
                        rgb);
    for (int y = 5; y < 19; y++)
        assert_memory_equal (rgb + 3 * ((size_t)y * S_W + 7), want + 3 * ((size_t)y * S_W + 7),
                             3 * 16);
    assert_int_equal (rgb[0], 0);
    free (grid);
    free (sub);
    free (rgb);
    free (want);
    free (got);
}

/* Deep views: the perturbation parameters come from the sample grid. A
 * 32x24 view of 2x2 samples prepares the very reference orbit (hash) of
 * the 64x48 view -- not that of 32x24 pixels, whose precision is a bit
 * less -- and renders the 64x48 view's values, bit for bit. */
static void
test_deep_derives_from_the_grid (void **state)
{
    (void)state;
    rnd_view_t aa, big, small;
    rnd_view_default (&aa);
    assert_int_equal (rnd_view_set_center_text (&aa, BENCH_MIS_RE, BENCH_MIS_IM), 0);
    assert_int_equal (rnd_view_set_width_text (&aa, "1e-60"), 0);
    aa.max_iter = 6000;
    aa.width_px = 32;
    aa.height_px = 24;
    small = aa;
    aa.samples = 2;
    rnd_view_samples_grid (&aa, &big);
    assert_int_equal (big.width_px, 64);
    assert_int_equal (big.samples, 1);
    char err[512];
    rnd_view_field_t bad;
    assert_int_equal (rnd_view_validate_deep (&aa, &bad, err, sizeof err), 0);
    rnd_kjob_t ja, jb, js;
    assert_int_equal (rnd_kjob_prepare (&ja, &aa, 0, err, sizeof err), 0);
    assert_int_equal (rnd_kjob_prepare (&jb, &big, 0, err, sizeof err), 0);
    assert_int_equal (rnd_kjob_prepare (&js, &small, 0, err, sizeof err), 0);
    assert_true (ja.perturb && jb.perturb);
    uint8_t ha[RND_REF_HASH_BYTES], hb[RND_REF_HASH_BYTES], hs[RND_REF_HASH_BYTES];
    assert_int_equal (rnd_kjob_ref_hash (&ja, ha), 1);
    assert_int_equal (rnd_kjob_ref_hash (&jb, hb), 1);
    assert_int_equal (rnd_kjob_ref_hash (&js, hs), 1);
    assert_memory_equal (ha, hb, sizeof ha);
    assert_true (memcmp (ha, hs, sizeof ha) != 0);
    assert_int_equal (rnd_kjob_ref_bits (&ja), rnd_kjob_ref_bits (&jb));
    size_t n = 64 * 48;
    float *a = malloc (n * sizeof *a), *b = malloc (n * sizeof *b);
    assert_true (a && b);
    rnd_kernel_run (RND_KERNEL_AUTO, &ja, 0, ja.height_px, a);
    rnd_kernel_run (RND_KERNEL_SCALAR, &jb, 0, jb.height_px, b);
    assert_memory_equal (a, b, n * sizeof *a);
    rnd_kjob_release (&ja);
    rnd_kjob_release (&jb);
    rnd_kjob_release (&js);
    free (a);
    free (b);
}

static void
test_swarm_renders_samples (void **state)
{
    (void)state;
    tu_swarm_t *sw = &s_sw;
    uint64_t seed = tu_seed ("test_samples");
    uint64_t seeds[S_PEERS];
    for (int i = 0; i < S_PEERS; i++)
        seeds[i] = seed + (uint64_t)i;
    char ref_path[256];
    tu_path_join (ref_path, sizeof ref_path, sw->dir, "ref.png");
    double job_s = tu_render_reference (
        sw->dir, (const char *const[]){ S_VIEW, "--size", "96x64", "--samples", "2", NULL },
        ref_path);
    char throttle[32];
    tu_throttle (S_JOB_BUSY_S, job_s, throttle, sizeof throttle);
    print_message ("reference render %.3f s on one thread: --throttle %s\n", job_s, throttle);
    tu_swarm_start (sw, S_PEERS, seeds, throttle,
                    (const char *const[]){ S_VIEW, "--size", "96x64", "--samples", "2", "--slices",
                                           "16", NULL },
                    S_START_TIMEOUT_MS);
    if (!tu_swarm_wait (sw, tu_swarm_survivors_done, tu_now_ms () + S_DONE_TIMEOUT_MS) ||
        tu_swarm_crashed (sw)) {
        tu_swarm_dump (sw);
        fail_msg ("not every peer finished the --samples 2 job within %d ms", S_DONE_TIMEOUT_MS);
    }
    tu_swarm_check_pngs (sw, ref_path);
    /* Slices of K x K values a pixel crossed the wire and passed the spot
     * checks: more than one peer computed some, nobody rejected any. */
    int sharing = 0;
    for (int i = 0; i < S_PEERS; i++) {
        print_message ("peer %d: %d slices done, %d computed here, %d rejected\n", i,
                       sw->peers[i].slices_done, s_own[i], s_rejected[i]);
        sharing += s_own[i] > 0;
        assert_int_equal (s_rejected[i], 0);
    }
    assert_true (sharing >= 2);
    tu_swarm_stop (sw, S_EXIT_TIMEOUT_MS);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_render_averages_a_larger_render),
        cmocka_unit_test (test_recolour_from_stored_values),
        cmocka_unit_test (test_deep_derives_from_the_grid),
        cmocka_unit_test (test_swarm_renders_samples),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}

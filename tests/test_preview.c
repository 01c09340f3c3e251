/* test_preview.c: the window's progressive preview (app/window/preview.c):
 * its samples' order and coverage, where their values are drawn, and that
 * a coarse sample arriving late never covers a finer one. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "preview.h"

/* The value a sample carries in these tests: its index, so the picture
 * says which sample each pixel shows. */
static float *
s_values (size_t n)
{
    float *v = malloc (n * sizeof *v);
    assert_non_null (v);
    for (size_t i = 0; i < n; i++)
        v[i] = (float)i;
    return v;
}

/* NaN pixels of an image. */
static size_t
s_missing (const float *image, size_t npx)
{
    size_t n = 0;
    for (size_t i = 0; i < npx; i++)
        n += isnan (image[i]) != 0;
    return n;
}

/* One sample per 8x8 block, each inside the block it stands for, on
 * that block's side's grid, no pixel twice; the 32-px pass first, centre
 * first, then the 16-px one, then the rest; before any put, no picture. */
static void
test_samples (void **state)
{
    (void)state;
    const int w = 101, h = 67; /* blocks cut at both edges */
    app_preview_t *pv = app_preview_new (w, h);
    assert_non_null (pv);
    size_t n = app_preview_count (pv);
    assert_int_equal (n, 13 * 9);
    assert_null (app_preview_image (pv));
    const rnd_xy_t *px = app_preview_px (pv);
    const uint8_t *side = app_preview_sides (pv);
    uint8_t *seen = calloc ((size_t)w * h, 1);
    assert_non_null (seen);
    for (size_t i = 0; i < n; i++) {
        assert_true (px[i].x >= 0 && px[i].x < w && px[i].y >= 0 && px[i].y < h);
        assert_true (side[i] == 32 || side[i] == 16 || side[i] == 8);
        if (i > 0)
            assert_true (side[i] <= side[i - 1]);
        int cx = px[i].x / side[i] * side[i] / 8, cy = px[i].y / side[i] * side[i] / 8;
        int want = cx % 4 == 0 && cy % 4 == 0 ? 32 : cx % 2 == 0 && cy % 2 == 0 ? 16 : 8;
        assert_int_equal (side[i], want);
        assert_int_equal (seen[(size_t)px[i].y * w + px[i].x], 0);
        seen[(size_t)px[i].y * w + px[i].x] = 1;
    }
    free (seen);
    /* The coarse pass: a block per 32-px grid point (4 x 3 of them), the
     * one nearest the centre first. */
    for (size_t i = 0; i < 12; i++)
        assert_int_equal (side[i], 32);
    assert_int_equal (side[12], 16);
    assert_int_equal (px[0].x / 32, 1);
    assert_int_equal (px[0].y / 32, 1);
    app_preview_destroy (&pv);
    assert_null (pv);
    app_preview_destroy (&pv); /* idempotent */
    assert_null (app_preview_new (0, 10));
}

/* After the coarse pass the whole picture is there; after every sample
 * each 8x8 block shows its own; a coarse sample put after a finer one
 * covers nothing of it. */
static void
test_put (void **state)
{
    (void)state;
    const int w = 100, h = 70;
    app_preview_t *pv = app_preview_new (w, h);
    assert_non_null (pv);
    size_t n = app_preview_count (pv), npx = (size_t)w * h;
    float *v = s_values (n);
    const rnd_xy_t *px = app_preview_px (pv);
    const uint8_t *side = app_preview_sides (pv);
    /* The last sample first (an 8-px block: the finest pass is last),
     * then the rest in order. */
    const rnd_xy_t *last = &px[n - 1];
    assert_int_equal (side[n - 1], 8);
    int bx = last->x / 8 * 8, by = last->y / 8 * 8;
    size_t block =
        (size_t)((bx + 8 < w ? bx + 8 : w) - bx) * (size_t)((by + 8 < h ? by + 8 : h) - by);
    assert_int_equal (app_preview_put (pv, n - 1, v + n - 1, 1, NULL, NULL), 0);
    const float *img = app_preview_image (pv);
    assert_non_null (img);
    assert_int_equal (s_missing (img, npx), npx - block);
    size_t coarse = 0;
    while (coarse < n && side[coarse] == 32)
        coarse++;
    assert_int_equal (app_preview_whole (pv), 0);
    assert_int_equal (app_preview_put (pv, 0, v, coarse - 1, NULL, NULL), 0);
    assert_int_equal (app_preview_whole (pv), 0);
    assert_int_equal (app_preview_put (pv, coarse - 1, v + coarse - 1, 1, NULL, NULL), 0);
    assert_int_equal (app_preview_whole (pv), 1);
    assert_int_equal (s_missing (img, npx), 0);
    /* Not covered by the coarse block around it. */
    assert_true (img[(size_t)last->y * w + last->x] == (float)(n - 1));
    assert_int_equal (app_preview_put (pv, coarse, v + coarse, n - 1 - coarse, NULL, NULL), 0);
    /* Each 8x8 block shows the sample whose block's corner it is. */
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            size_t got = (size_t)img[(size_t)y * w + x];
            assert_int_equal (px[got].x / side[got] * side[got], x / 8 * 8);
            assert_int_equal (px[got].y / side[got] * side[got], y / 8 * 8);
        }
    /* Out of range: nothing drawn. */
    assert_int_equal (app_preview_put (pv, n, v, 1, NULL, NULL), -1);
    assert_int_equal (app_preview_put (pv, n - 1, v, 2, NULL, NULL), -1);
    free (v);
    app_preview_destroy (&pv);
}

/* The budget: every sample for a few peers, fewer for more, never fewer
 * than the 32-px pass. */
static void
test_budget (void **state)
{
    (void)state;
    app_preview_t *pv = app_preview_new (960, 540);
    assert_non_null (pv);
    size_t n = app_preview_count (pv);
    assert_int_equal (n, 120 * 68);
    assert_int_equal (app_preview_budget (pv, 0), n);
    assert_int_equal (app_preview_budget (pv, 1), n);
    assert_int_equal (app_preview_budget (pv, 3), n);
    assert_int_equal (app_preview_budget (pv, 10), 960 * 540 / 20 / 10);
    assert_int_equal (app_preview_budget (pv, 1000), 30 * 17); /* the first pass */
    app_preview_destroy (&pv);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_samples),
        cmocka_unit_test (test_put),
        cmocka_unit_test (test_budget),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

/* test_slice.c: the tiles of a job's image (render/slice.h) -- every pixel
 * in exactly one tile, for any size and count; tiles numbered from the
 * centre outward; near-square; derived counts; the same rectangles however
 * often and in whatever order they are asked for; and tiles rendered by
 * every kernel put together into the image one render gives. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "kernel.h"
#include "slice.h"
#include "view.h"

/* Every pixel of a w x h image in exactly one of the k tiles, each tile
 * non-empty and inside the image. */
static void
s_assert_cover (int w, int h, int k)
{
    uint8_t *seen = calloc ((size_t)w * h, 1);
    assert_non_null (seen);
    size_t total = 0, most = 0;
    for (int i = 0; i < k; i++) {
        rnd_rect_t r = rnd_slice_rect (w, h, k, i);
        if (!(0 <= r.x0 && r.x0 < r.x1 && r.x1 <= w && 0 <= r.y0 && r.y0 < r.y1 && r.y1 <= h))
            fail_msg ("%dx%d, k %d: tile %d is [%d,%d)x[%d,%d)", w, h, k, i, r.x0, r.x1, r.y0,
                      r.y1);
        for (int y = r.y0; y < r.y1; y++)
            for (int x = r.x0; x < r.x1; x++) {
                if (seen[(size_t)y * w + x]++)
                    fail_msg ("%dx%d, k %d: pixel (%d, %d) in two tiles", w, h, k, x, y);
            }
        total += rnd_rect_px (r);
        most = rnd_rect_px (r) > most ? rnd_rect_px (r) : most;
    }
    assert_int_equal (total, (size_t)w * h);
    assert_int_equal (rnd_slice_px_max (w, h, k), most);
    free (seen);
}

/* Twice the tile's centre minus twice the image's, squared. */
static long long
s_d2 (rnd_rect_t r, int w, int h)
{
    long long dx = (long long)r.x0 + r.x1 - w, dy = (long long)r.y0 + r.y1 - h;
    return dx * dx + dy * dy;
}

/* Numbered from the centre: tile 0 holds the centre pixel, and a tile is
 * never nearer the centre than the one before it. */
static void
s_assert_centre_out (int w, int h, int k)
{
    rnd_rect_t first = rnd_slice_rect (w, h, k, 0);
    int cx = (w - 1) / 2, cy = (h - 1) / 2;
    if (k > 1 && !(first.x0 <= cx + 1 && cx <= first.x1 && first.y0 <= cy + 1 && cy <= first.y1))
        fail_msg ("%dx%d, k %d: tile 0 [%d,%d)x[%d,%d) is not at the centre", w, h, k, first.x0,
                  first.x1, first.y0, first.y1);
    for (int i = 1; i < k; i++)
        if (s_d2 (rnd_slice_rect (w, h, k, i), w, h) < s_d2 (rnd_slice_rect (w, h, k, i - 1), w, h))
            fail_msg ("%dx%d, k %d: tile %d is nearer the centre than tile %d", w, h, k, i, i - 1);
}

static void
test_tiles_cover_every_pixel_once (void **state)
{
    (void)state;
    static const int sizes[][2] = { { 1, 1 },    { 1, 7 },    { 7, 1 },      { 3, 5 },
                                    { 24, 10 },  { 160, 90 }, { 97, 61 },    { 480, 270 },
                                    { 33, 500 }, { 1001, 3 }, { 1920, 1080 } };
    static const int counts[] = { 1, 2, 3, 5, 7, 16, 31, 64, 97, 128, 1000, RND_SLICES_MAX };
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        int w = sizes[s][0], h = sizes[s][1];
        for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
            int k = rnd_slice_count (w, h, counts[c]);
            assert_true (k >= 1 && k <= counts[c] && (long long)k <= (long long)w * h);
            s_assert_cover (w, h, k);
            s_assert_centre_out (w, h, k);
        }
        int k = rnd_slice_count (w, h, 0);
        s_assert_cover (w, h, k);
        s_assert_centre_out (w, h, k);
    }
    /* k = 1 is the whole image. */
    rnd_rect_t all = rnd_slice_rect (97, 61, 1, 0);
    assert_int_equal (all.x0, 0);
    assert_int_equal (all.y0, 0);
    assert_int_equal (all.x1, 97);
    assert_int_equal (all.y1, 61);
}

static void
test_counts_and_shapes (void **state)
{
    (void)state;
    /* Derived: ~32x32 px a tile, at least 16, at most the cap and W*H. */
    assert_int_equal (rnd_slice_count (1920, 1080, 0), 2025);
    assert_int_equal (rnd_slice_count (480, 270, 0), 127);
    assert_int_equal (rnd_slice_count (960, 540, 0), 506);
    assert_int_equal (rnd_slice_count (64, 36, 0), RND_SLICES_MIN_DERIVED);
    assert_int_equal (rnd_slice_count (3, 2, 0), 6);
    assert_int_equal (rnd_slice_count (16384, 8192, 0), RND_SLICES_MAX);
    /* Asked for: as asked, at most W*H. */
    assert_int_equal (rnd_slice_count (1920, 1080, 7), 7);
    assert_int_equal (rnd_slice_count (4, 3, 128), 12);
    /* Near-square: in a 16:9 image the derived tiles are within 2:3 of
     * square, not the 2-px stripes of 128 row bands. */
    int k = rnd_slice_count (480, 270, 0);
    for (int i = 0; i < k; i++) {
        rnd_rect_t r = rnd_slice_rect (480, 270, k, i);
        int tw = r.x1 - r.x0, th = r.y1 - r.y0;
        if (3 * tw < 2 * th || 3 * th < 2 * tw)
            fail_msg ("tile %d of 480x270 is %dx%d", i, tw, th);
    }
    /* The 4 tiles around the centre of a 4x4 grid come first. */
    for (int i = 0; i < 4; i++) {
        rnd_rect_t r = rnd_slice_rect (400, 400, 16, i);
        assert_true (r.x0 == 100 || r.x0 == 200);
        assert_true (r.y0 == 100 || r.y0 == 200);
    }
}

/* The same rectangles whatever was asked before: more tilings than the
 * table keeps, interleaved. */
static void
test_same_answers_in_any_order (void **state)
{
    (void)state;
    enum { N = 7, K = 50 };
    rnd_rect_t first[N][K];
    for (int t = 0; t < N; t++)
        for (int i = 0; i < K; i++)
            first[t][i] = rnd_slice_rect (300 + t, 200 - t, K, i);
    for (int round = 0; round < 3; round++)
        for (int i = K - 1; i >= 0; i--)
            for (int t = 0; t < N; t++) {
                rnd_rect_t r = rnd_slice_rect (300 + t, 200 - t, K, i);
                assert_memory_equal (&r, &first[t][i], sizeof r);
            }
}

/* Tiles rendered by each kernel and put back together are the image one
 * render of all rows gives, bit for bit; the copies in and out agree. */
static void
test_tiles_render_the_image (void **state)
{
    (void)state;
    rnd_view_t v;
    rnd_view_default (&v);
    v.center_re = -0.74;
    v.center_im = 0.15;
    v.width = 0.05;
    v.width_px = 97;
    v.height_px = 61;
    v.max_iter = 400;
    char err[256];
    assert_int_equal (rnd_view_validate (&v, err, sizeof err), 0);
    rnd_kjob_t job;
    rnd_kjob_init (&job, &v);
    size_t npx = (size_t)v.width_px * v.height_px;
    float *whole = malloc (npx * sizeof *whole), *part = malloc (npx * sizeof *part);
    float *tile = malloc (npx * sizeof *tile), *back = malloc (npx * sizeof *back);
    assert_true (whole && part && tile && back);
    rnd_kernel_run (RND_KERNEL_SCALAR, &job, 0, v.height_px, whole);
    static const int counts[] = { 1, 7, 16, 61 };
    for (int kern = RND_KERNEL_SCALAR; kern < RND_KERNEL_COUNT_; kern++) {
        if (!rnd_kernel_supported ((rnd_kernel_t)kern))
            continue;
        for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
            int k = rnd_slice_count (v.width_px, v.height_px, counts[c]);
            memset (part, 0x55, npx * sizeof *part);
            for (int i = 0; i < k; i++) {
                rnd_rect_t r = rnd_slice_rect (v.width_px, v.height_px, k, i);
                rnd_kernel_run_rect ((rnd_kernel_t)kern, &job, r, tile);
                rnd_rect_put (part, v.width_px, r, tile);
                rnd_rect_get (whole, v.width_px, r, back);
                assert_memory_equal (back, tile, rnd_rect_px (r) * sizeof *tile);
            }
            if (memcmp (part, whole, npx * sizeof *part) != 0)
                fail_msg ("%s, %d tiles: the image differs", rnd_kernel_name ((rnd_kernel_t)kern),
                          k);
            memset (part, 0, npx * sizeof *part);
            for (int i = 0; i < k; i++)
                rnd_rect_copy (part, whole, v.width_px,
                               rnd_slice_rect (v.width_px, v.height_px, k, i));
            assert_memory_equal (part, whole, npx * sizeof *part);
        }
    }
    free (whole);
    free (part);
    free (tile);
    free (back);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_tiles_cover_every_pixel_once),
        cmocka_unit_test (test_counts_and_shapes),
        cmocka_unit_test (test_same_answers_in_any_order),
        cmocka_unit_test (test_tiles_render_the_image),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

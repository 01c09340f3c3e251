/* test_gui_math.c: the window's pure geometry (app/window/gui_math.c) -- the image
 * fitted into any window with its aspect kept, zooms that keep the point
 * under the cursor or show the whole dragged box -- exactly, so a chain of
 * 200 clicks keeps rendering -- the depth the HUD shows, and peer colours
 * that are stable, bright and tell peers apart. No display needed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deep_views.h"
#include "gui.h"
#include "kernel.h"
#include "rng.h"
#include "test_util.h"

static void
s_expect_fit (int iw, int ih, int ww, int wh, int x, int y, int w, int h)
{
    int gx, gy, gw, gh;
    app_gui_fit (iw, ih, ww, wh, &gx, &gy, &gw, &gh);
    assert_int_equal (gx, x);
    assert_int_equal (gy, y);
    assert_int_equal (gw, w);
    assert_int_equal (gh, h);
}

/* The legend goes in the top-right corner unless it would meet the HUD
 * across (then below it, a gap apart). */
static void
test_corner_y (void **state)
{
    (void)state;
    /* 1600-px window, HUD 360 wide at (10, 10), legend 400 wide: apart. */
    assert_int_equal (app_gui_corner_y (1590, 10, 400, 10, 10, 360, 150, 10), 10);
    /* 800-px window, legend 440 wide: its left edge (350) is over the HUD. */
    assert_int_equal (app_gui_corner_y (790, 10, 440, 10, 10, 360, 150, 10), 170);
    /* Touching within the gap counts as meeting. */
    assert_int_equal (app_gui_corner_y (785, 10, 400, 10, 10, 370, 150, 10), 170);
    assert_int_equal (app_gui_corner_y (790, 10, 400, 10, 10, 370, 150, 10), 10);
    /* No HUD (turned off, or the presenter view): the corner. */
    assert_int_equal (app_gui_corner_y (790, 10, 400, 0, 0, 0, 0, 10), 10);
}

static void
test_fit (void **state)
{
    (void)state;
    /* The image's own size: exactly 1:1, the screenshot test relies on it. */
    s_expect_fit (640, 360, 640, 360, 0, 0, 640, 360);
    s_expect_fit (1920, 1080, 1920, 1080, 0, 0, 1920, 1080);
    /* A taller window: bars above and below. */
    s_expect_fit (640, 360, 640, 600, 0, 120, 640, 360);
    /* A wider window: bars left and right. */
    s_expect_fit (640, 360, 1000, 360, 180, 0, 640, 360);
    /* Scaled down and up, aspect kept (rounded to the nearest pixel). */
    s_expect_fit (1920, 1080, 800, 800, 0, 175, 800, 450);
    s_expect_fit (1920, 1080, 1000, 300, 233, 0, 533, 300);
    s_expect_fit (100, 100, 300, 200, 50, 0, 200, 200);
    /* Odd leftovers split with the extra pixel after the image. */
    s_expect_fit (10, 10, 21, 10, 5, 0, 10, 10);
    /* A sliver of a window still shows a pixel; nothing to show, nothing. */
    s_expect_fit (4096, 16, 10, 1000, 0, 499, 10, 1);
    s_expect_fit (0, 10, 100, 100, 0, 0, 0, 0);
    s_expect_fit (10, 10, 0, 100, 0, 0, 0, 0);
}

static void
s_view (rnd_view_t *v, int w, int h)
{
    rnd_view_default (v);
    v->width_px = w;
    v->height_px = h;
}

/* a and b agree to 1e-12 of the larger of their size and the view's width
 * (relative to the coordinate alone would be too strict near 0). */
static void
s_expect_close (double a, double b, double width)
{
    double tol = 1e-12 * fmax (fmax (fabs (a), fabs (b)), width);
    if (!(fabs (a - b) <= tol))
        fail_msg ("%.17g != %.17g (tolerance %g)", a, b, tol);
}

static void
s_expect_fixed_point (const rnd_view_t *v, int px, int py, double factor)
{
    rnd_view_t z;
    app_gui_zoom_at (v, px, py, factor, &z);
    assert_true (fabs (z.width - v->width / factor) <= 1e-15 * v->width);
    double re0, im0, re1, im1;
    rnd_view_pixel (v, px, py, &re0, &im0);
    rnd_view_pixel (&z, px, py, &re1, &im1);
    s_expect_close (re0, re1, z.width);
    s_expect_close (im0, im1, z.width);
    /* Everything but the centre and the width is kept. */
    assert_int_equal (z.width_px, v->width_px);
    assert_int_equal (z.height_px, v->height_px);
    assert_int_equal (z.max_iter, v->max_iter);
    assert_string_equal (z.palette, v->palette);
}

static void
test_zoom_at_keeps_the_point (void **state)
{
    (void)state;
    rnd_view_t v;
    s_view (&v, 640, 360);
    v.center_re = -0.5;
    v.center_im = 0.0;
    v.width = 3.0;
    s_expect_fixed_point (&v, 0, 0, 2.0);
    s_expect_fixed_point (&v, 639, 359, 2.0);
    s_expect_fixed_point (&v, 100, 300, 0.5);
    s_expect_fixed_point (&v, 17, 5, 1.25 * 1.25 * 1.25);
    /* Deep, off-centre, in a view of odd size. */
    s_view (&v, 1001, 333);
    v.center_re = -0.743643887037151;
    v.center_im = 0.131825904205330;
    v.width = 3e-9;
    s_expect_fixed_point (&v, 1000, 1, 2.0);
    s_expect_fixed_point (&v, 3, 200, 1 / 1.25);

    /* The centre pixel's centre is the view's centre (W, H even: between
     * pixels), so zooming there only changes the width... */
    s_view (&v, 64, 64);
    v.center_re = 0.25;
    v.center_im = -0.125;
    v.width = 2.0;
    rnd_view_t z;
    app_gui_zoom_at (&v, 31.5, 31.5, 4.0, &z);
    assert_true (z.center_re == 0.25 && z.center_im == -0.125 && z.width == 0.5);
    /* ...while zooming in 2x at the left edge halves the distance to it. */
    app_gui_zoom_at (&v, -0.5, 31.5, 2.0, &z);
    assert_true (fabs (z.center_re - (0.25 - 0.5)) < 1e-15);
    /* The output may be the input. */
    app_gui_zoom_at (&v, -0.5, 31.5, 2.0, &v);
    assert_true (v.center_re == z.center_re && v.width == z.width);
}

/* Where a zoom's old image goes: the part of the old image the new view
 * shows (a preview), and where the old image lies in the new one (the
 * underlay after a zoom), which is the same map the other way round. */
static void
test_region (void **state)
{
    (void)state;
    rnd_view_t v, z;
    s_view (&v, 640, 360);
    v.center_re = -0.5;
    v.center_im = 0.25;
    v.width = 3.0;
    /* A 2x zoom about pixel (100, 60): the point stays where it is. */
    app_gui_zoom_at (&v, 100, 60, 2.0, &z);
    double r[4];
    app_gui_region (&v, &z, r); /* z's view in v's pixels: half the size */
    s_expect_close (r[2], 320, 1e-9);
    s_expect_close (r[3], 180, 1e-9);
    s_expect_close (r[0] + (100.5 / 640) * r[2], 100.5, 1e-9);
    s_expect_close (r[1] + (60.5 / 360) * r[3], 60.5, 1e-9);
    app_gui_region (&z, &v, r); /* v's image in z's pixels: twice the size */
    s_expect_close (r[2], 1280, 1e-9);
    s_expect_close (r[3], 720, 1e-9);
    s_expect_close (r[0] + (100.5 / 640) * r[2], 100.5, 1e-9);
    s_expect_close (r[1] + (60.5 / 360) * r[3], 60.5, 1e-9);
    /* The same view: the whole image, in place. */
    app_gui_region (&v, &v, r);
    s_expect_close (r[0], 0, 1e-9);
    s_expect_close (r[1], 0, 1e-9);
    s_expect_close (r[2], 640, 1e-9);
    s_expect_close (r[3], 360, 1e-9);
}

static void
test_zoom_box (void **state)
{
    (void)state;
    rnd_view_t v, z;
    s_view (&v, 400, 200);
    v.center_re = 0.0;
    v.center_im = 0.0;
    v.width = 4.0; /* 0.01 per pixel */
    /* A box of the image's aspect, corners in any order, is shown exactly:
     * pixel-centre coordinates 99.5..199.5 span re -1.0..0.0. */
    app_gui_zoom_box (&v, 199.5, 149.5, 99.5, 99.5, &z);
    s_expect_close (z.width, 1.0, 1.0);
    s_expect_close (z.center_re, -0.5, 1.0);
    s_expect_close (z.center_im, -0.25, 1.0);
    /* A tall box is widened: its height fills the image... */
    app_gui_zoom_box (&v, 100, 0, 110, 100, &z);
    s_expect_close (z.width / z.width_px * z.height_px, 100 * 0.01, 1.0);
    s_expect_close (z.width, 200 * 0.01, 1.0);
    /* ...a wide one keeps its width; the aspect is the image's. */
    app_gui_zoom_box (&v, 10, 50, 90, 52, &z);
    s_expect_close (z.width, 80 * 0.01, 1.0);
    assert_int_equal (z.width_px, 400);
    assert_int_equal (z.height_px, 200);
    /* Its centre becomes the view's centre. */
    double re, im;
    rnd_view_pixel (&v, 50, 51, &re, &im);
    s_expect_close (z.center_re, re, z.width);
    s_expect_close (z.center_im, im, z.width);
}

static void
test_peer_colour (void **state)
{
    (void)state;
    ovl_id_t a = tu_id ("79f066aa00000000000000000000a001");
    ovl_id_t b = tu_id ("79f066aa00000000000000000000a002");
    ovl_id_t c = tu_id ("2d2c3300000000000000000000000000");
    uint8_t ca[3], ca2[3], cb[3], cc[3];
    app_gui_peer_colour (a, ca);
    app_gui_peer_colour (a, ca2);
    app_gui_peer_colour (b, cb);
    app_gui_peer_colour (c, cc);
    /* Stable: the same id, the same colour, on every call and every peer. */
    assert_memory_equal (ca, ca2, 3);
    /* Ids that differ in one bit or in every byte get other colours. */
    assert_memory_not_equal (ca, cb, 3);
    assert_memory_not_equal (ca, cc, 3);
    assert_memory_not_equal (cb, cc, 3);
    /* Bright (HSV v = 1: the largest channel is full) and coloured (s =
     * 0.75: the smallest is a quarter). */
    const uint8_t *all[] = { ca, cb, cc };
    for (int i = 0; i < 3; i++) {
        uint8_t hi = all[i][0], lo = all[i][0];
        for (int k = 1; k < 3; k++) {
            hi = all[i][k] > hi ? all[i][k] : hi;
            lo = all[i][k] < lo ? all[i][k] : lo;
        }
        assert_int_equal (hi, 255);
        assert_int_equal (lo, 64);
    }
    /* Hues spread: 64 ids in a row cover every sixth of the wheel. */
    int sectors[6] = { 0 };
    for (uint64_t i = 0; i < 64; i++) {
        ovl_id_t id = { 0x1234, i };
        uint8_t rgb[3];
        app_gui_peer_colour (id, rgb);
        int r = rgb[0], g = rgb[1], bl = rgb[2];
        int sector = r == 255 ? (g >= bl ? 0 : 5) : g == 255 ? (r > bl ? 1 : 2) : (g > r ? 3 : 4);
        sectors[sector]++;
    }
    for (int i = 0; i < 6; i++)
        assert_true (sectors[i] > 0);
}

/* OKLab (Ottosson 2020) of 0xRRGGBB: distances in it are what eyes see. */
static void
s_oklab (uint32_t rgb, double lab[3])
{
    double c[3];
    for (int i = 0; i < 3; i++) {
        double v = (double)((rgb >> (16 - 8 * i)) & 255) / 255.0;
        c[i] = v <= 0.04045 ? v / 12.92 : pow ((v + 0.055) / 1.055, 2.4);
    }
    double l = cbrt (0.4122214708 * c[0] + 0.5363325363 * c[1] + 0.0514459929 * c[2]);
    double m = cbrt (0.2119034982 * c[0] + 0.6806995451 * c[1] + 0.1073969566 * c[2]);
    double s = cbrt (0.0883024619 * c[0] + 0.2817188376 * c[1] + 0.6299787005 * c[2]);
    lab[0] = 0.2104542553 * l + 0.7936177850 * m - 0.0040720468 * s;
    lab[1] = 1.9779984951 * l - 2.4285922050 * m + 0.4505937099 * s;
    lab[2] = 0.0259040371 * l + 0.7827717662 * m - 0.8086757660 * s;
}

static double
s_colour_dist (uint32_t a, uint32_t b)
{
    double x[3], y[3];
    s_oklab (a, x);
    s_oklab (b, y);
    return sqrt ((x[0] - y[0]) * (x[0] - y[0]) + (x[1] - y[1]) * (x[1] - y[1]) +
                 (x[2] - y[2]) * (x[2] - y[2]));
}

/* The smallest distance between two of n colours. */
static double
s_min_dist (const uint32_t *rgb, size_t n)
{
    double d = 1e9;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            d = fmin (d, s_colour_dist (rgb[i], rgb[j]));
    return d;
}

static void
test_peer_colours_as_a_set (void **state)
{
    (void)state;
    static const uint32_t okabe_ito[7] = { 0xe69f00, 0x56b4e9, 0x009e73, 0xf0e442,
                                           0x0072b2, 0xd55e00, 0xcc79a7 };
    /* The collision, two of three peers: #FF4240 and #FF4067 are
     * 0.046 apart; the set's colours are more than twice that. */
    assert_true (s_colour_dist (0xff4240, 0xff4067) < 0.05);
    uint64_t seed = tu_seed ("test_gui_math");
    ovl_rng_t rng;
    ovl_rng_seed (&rng, seed);
    for (int round = 0; round < 200; round++) {
        size_t n = 1 + (size_t)ovl_rng_below (&rng, 40);
        ovl_id_t ids[40], shuffled[40];
        uint32_t rgb[40], rgb2[40];
        for (size_t i = 0; i < n; i++)
            ids[i] = ovl_rng_id (&rng);
        app_gui_peer_colours (ids, n, rgb);
        /* The set decides, not the order: every peer gets the same. */
        memcpy (shuffled, ids, n * sizeof *ids);
        for (size_t i = n; i > 1; i--) {
            size_t j = (size_t)ovl_rng_below (&rng, i);
            ovl_id_t t = shuffled[i - 1];
            shuffled[i - 1] = shuffled[j];
            shuffled[j] = t;
        }
        app_gui_peer_colours (shuffled, n, rgb2);
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < n; j++)
                if (ovl_id_eq (ids[i], shuffled[j]))
                    assert_int_equal (rgb[i], rgb2[j]);
        /* Up to the table's size, no two alike and all far apart; up to
         * seven, Okabe-Ito's alone. */
        if (n <= APP_GUI_PEER_COLOURS && s_min_dist (rgb, n) < 0.10)
            fail_msg ("seed %llu round %d: %zu peers, two colours %.3f apart",
                      (unsigned long long)seed, round, n, s_min_dist (rgb, n));
        /* Beyond, the table is used up: all its colours, once each. */
        size_t distinct = 0;
        for (size_t i = 0; i < n; i++) {
            size_t j = 0;
            while (j < i && rgb[j] != rgb[i])
                j++;
            distinct += j == i;
        }
        assert_true (distinct >= (n < APP_GUI_PEER_COLOURS ? n : APP_GUI_PEER_COLOURS));
        for (size_t i = 0; i < n && n <= 7; i++) {
            int found = 0;
            for (int c = 0; c < 7; c++)
                found |= rgb[i] == okabe_ito[c];
            assert_true (found);
        }
        if (n <= 7)
            assert_true (s_min_dist (rgb, n) >= 0.15);
    }
}

/* The view's line: the centre to a pixel's precision (a one-pixel move
 * changes it), the width, the iterations. */
static void
test_view_text (void **state)
{
    (void)state;
    rnd_view_t v;
    rnd_view_default (&v);
    v.width_px = 320;
    v.height_px = 200;
    v.max_iter = 2000;
    v.center_re = -0.74364283;
    v.center_im = 0.13182618;
    v.width = 1.4e-05;
    char buf[160], moved[160];
    app_gui_view_text (&v, buf, sizeof buf);
    assert_string_equal (buf, "-0.74364283,0.13182618 w 1.4e-05 \xc2\xb7 2000 it");
    v.center_re += v.width / v.width_px;
    app_gui_view_text (&v, moved, sizeof moved);
    assert_string_not_equal (moved, buf);
    /* Wide views keep two decimals. */
    v.center_re = -0.5;
    v.center_im = 0;
    v.width = 16;
    app_gui_view_text (&v, buf, sizeof buf);
    assert_string_equal (buf, "-0.50,0.00 w 16 \xc2\xb7 2000 it");
    v.samples = 3;
    app_gui_view_text (&v, buf, sizeof buf);
    assert_string_equal (buf, "-0.50,0.00 w 16 \xc2\xb7 2000 it \xc2\xb7 3x3 samples");
    v.samples = 1;
    /* The depth: 4 / width, two digits, plain when short. */
    app_gui_zoom_text (&v, buf, sizeof buf);
    assert_string_equal (buf, "zoom 0.25");
    v.width = 1.4e-05;
    app_gui_zoom_text (&v, buf, sizeof buf);
    assert_string_equal (buf, "zoom 2.9e5");
    v.width = 4.01e-6; /* 9.975e5 rounds to 1e6, not 10e5 */
    app_gui_zoom_text (&v, buf, sizeof buf);
    assert_string_equal (buf, "zoom 1e6");
    /* Below the doubles, from the width's text. */
    assert_int_equal (rnd_view_set_width_text (&v, "1.3e-500"), 0);
    app_gui_zoom_text (&v, buf, sizeof buf);
    assert_string_equal (buf, "zoom 3.1e500");
    app_gui_view_text (&v, buf, sizeof buf);
    assert_non_null (strstr (buf, " w 1.3e-500 \xc2\xb7 2000 it"));
}

/* 200 clicks zooming x2, each at the pixel nearest a Misiurewicz point
 * (a user following a spiral): the width halves every time, the clicked
 * point stays where it was on the screen, the old image's region the new
 * view shows is its clicked quarter, and the view 1e60 times deeper than
 * doubles go still validates and renders with structure. */
static void
test_click_chain_has_no_precision_wall (void **state)
{
    (void)state;
    rnd_view_t target, v;
    rnd_view_default (&target);
    assert_int_equal (rnd_view_set_center_text (&target, BENCH_MIS_RE, BENCH_MIS_IM), 0);
    rnd_view_default (&v);
    v.width_px = 32;
    v.height_px = 24;
    v.max_iter = 20000;
    v.center_re = -0.7756;
    v.center_im = 0.1365;
    v.width = 1e-3;
    for (int k = 0; k < 200; k++) {
        /* the target's pixel in v: where a user would click */
        double dx, dy, ratio;
        rnd_view_relative (&v, &target, &dx, &dy, &ratio);
        double px = floor (dx + v.width_px / 2.0), py = floor (v.height_px / 2.0 - dy);
        assert_true (px >= 0 && px < v.width_px && py >= 0 && py < v.height_px);
        rnd_view_t z;
        assert_int_equal (app_gui_zoom_at (&v, px, py, 2.0, &z), 0);
        /* Where the clicked pixel's centre was, it still is: in z's
         * pixels, z's centre lies (px + 0.5 - W/2) of v's pixels -- half
         * that distance in v's -- from v's centre. */
        rnd_view_relative (&v, &z, &dx, &dy, &ratio);
        assert_true (fabs (ratio - 0.5) < 1e-15);
        assert_true (fabs (dx - (px + 0.5 - v.width_px / 2.0) / 2) < 1e-9);
        assert_true (fabs (dy - (v.height_px / 2.0 - py - 0.5) / 2) < 1e-9);
        double r[4];
        app_gui_region (&v, &z, r);
        assert_true (fabs (r[2] - v.width_px / 2.0) < 1e-9);
        assert_true (fabs (r[0] + r[2] * (px + 0.5) / v.width_px - (px + 0.5)) < 1e-9);
        char err[256];
        rnd_view_field_t bad;
        assert_int_equal (rnd_view_validate_deep (&z, &bad, err, sizeof err), 0);
        v = z;
    }
    assert_true (rnd_view_is_deep (&v));
    double wm, zm;
    long we, ze;
    app_gui_depth (&v, &wm, &we, &zm, &ze);
    /* 1e-3 / 2^200 = 6.2e-64: zoom 6.4e63 */
    assert_int_equal (we, -64);
    assert_int_equal (ze, 63);
    char text[256], want[64];
    app_gui_zoom_text (&v, text, sizeof text);
    snprintf (want, sizeof want, "zoom %.2ge63", round (zm * 10) / 10);
    assert_string_equal (text, want);
    app_gui_view_text (&v, text, sizeof text);
    snprintf (want, sizeof want, " w %.3ge-64 \xc2\xb7 20000 it", wm);
    if (!strstr (text, want))
        fail_msg ("'%s' does not say '%s'", text, want);
    /* And it renders: spirals, not one flat colour. */
    rnd_kjob_t job;
    char err[256];
    assert_int_equal (rnd_kjob_prepare (&job, &v, 0, err, sizeof err), 0);
    float *px = malloc ((size_t)v.width_px * v.height_px * sizeof *px);
    assert_non_null (px);
    rnd_kernel_run (RND_KERNEL_AUTO, &job, 0, v.height_px, px);
    int distinct = 0;
    for (int i = 0; i < v.width_px * v.height_px; i++) {
        int seen = 0;
        for (int j = 0; j < i && !seen; j++)
            seen = rnd_smooth_count (px[j]) == rnd_smooth_count (px[i]);
        distinct += !seen;
    }
    print_message ("after 200 clicks: %s, %d distinct counts\n", text, distinct);
    assert_true (distinct > 10);
    free (px);
    rnd_kjob_release (&job);
}

/* Auto-iterations: the budget doubles when 1 in 1000 pixels escaped in
 * its top quarter, and only then; interior pixels do not count; capped. */
static void
test_auto_iter (void **state)
{
    (void)state;
    enum { N = 10000 };
    static float s[N];
    for (int i = 0; i < N; i++)
        s[i] = i % 3 ? 10.5f + (float)(i % 500) : RND_INTERIOR; /* all far below 1000 */
    assert_int_equal (app_gui_auto_iter (s, N, 1000), 1000);
    /* 9 pixels at 751..759: under 1 in 1000, unchanged */
    for (int i = 0; i < 9; i++)
        s[3 * i + 1] = 751.0f + (float)i;
    assert_int_equal (app_gui_auto_iter (s, N, 1000), 1000);
    /* exactly 750 is not above the quarter */
    s[100] = 750.0f;
    assert_int_equal (app_gui_auto_iter (s, N, 1000), 1000);
    /* the tenth: doubled */
    s[101] = 999.5f;
    assert_int_equal (app_gui_auto_iter (s, N, 1000), 2000);
    /* capped at the largest budget */
    for (int i = 0; i < N; i++)
        s[i] = (float)(RND_VIEW_ITER_MAX - 2);
    assert_int_equal (app_gui_auto_iter (s, N, RND_VIEW_ITER_MAX - 1), RND_VIEW_ITER_MAX);
    assert_int_equal (app_gui_auto_iter (s, N, RND_VIEW_ITER_MAX), RND_VIEW_ITER_MAX);
    assert_int_equal (app_gui_auto_iter (s, 0, 1000), 1000);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_fit),
        cmocka_unit_test (test_corner_y),
        cmocka_unit_test (test_zoom_at_keeps_the_point),
        cmocka_unit_test (test_region),
        cmocka_unit_test (test_zoom_box),
        cmocka_unit_test (test_peer_colour),
        cmocka_unit_test (test_peer_colours_as_a_set),
        cmocka_unit_test (test_view_text),
        cmocka_unit_test (test_click_chain_has_no_precision_wall),
        cmocka_unit_test (test_auto_iter),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

/* test_view.c: view validation names the bad field, and the pixel mapping
 * follows the documented contract. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "view.h"

static void
s_expect_invalid (const rnd_view_t *v, const char *needle)
{
    char err[256] = "";
    assert_int_equal (rnd_view_validate (v, err, sizeof err), -1);
    if (!strstr (err, needle))
        fail_msg ("error '%s' does not mention '%s'", err, needle);
}

static void
test_default_is_valid (void **state)
{
    (void)state;
    rnd_view_t v;
    rnd_view_default (&v);
    char err[256];
    assert_int_equal (rnd_view_validate (&v, err, sizeof err), 0);
    assert_int_equal (v.fractal, RND_FRACTAL_MANDELBROT);
    assert_string_equal (v.palette, "default");
}

static void
test_rejects_bad_values (void **state)
{
    (void)state;
    rnd_view_t v;
    rnd_view_default (&v);
    v.width_px = 0;
    s_expect_invalid (&v, "size");
    rnd_view_default (&v);
    v.height_px = RND_VIEW_SIZE_MAX_PX + 1;
    s_expect_invalid (&v, "size");
    rnd_view_default (&v);
    v.width_px = 16384;
    v.height_px = 16384;
    s_expect_invalid (&v, "pixels");
    rnd_view_default (&v);
    v.max_iter = 0;
    s_expect_invalid (&v, "iterations");
    rnd_view_default (&v);
    v.max_iter = RND_VIEW_ITER_MAX + 1;
    s_expect_invalid (&v, "iterations");
    rnd_view_default (&v);
    v.width = -1.0;
    s_expect_invalid (&v, "width");
    rnd_view_default (&v);
    v.width = NAN;
    s_expect_invalid (&v, "width");
    rnd_view_default (&v);
    v.center_re = INFINITY;
    s_expect_invalid (&v, "center");
    rnd_view_default (&v);
    v.bailout = 1.5;
    s_expect_invalid (&v, "bailout");
    rnd_view_default (&v);
    v.fractal = RND_FRACTAL_JULIA;
    v.julia_re = 3.0;
    v.julia_im = 0.0;
    v.bailout = 2.0;
    s_expect_invalid (&v, "julia");
    v.bailout = 3.0; /* R >= |c| is fine */
    char err[256];
    assert_int_equal (rnd_view_validate (&v, err, sizeof err), 0);
    rnd_view_default (&v);
    v.width = 1e-14; /* adjacent pixels would collapse onto one double */
    s_expect_invalid (&v, "too deep");
    rnd_view_default (&v);
    v.palette[0] = '\0';
    s_expect_invalid (&v, "palette");
    rnd_view_default (&v);
    v.fractal = (rnd_fractal_t)7;
    s_expect_invalid (&v, "fractal");
}

static void
test_pixel_mapping_contract (void **state)
{
    (void)state;
    rnd_view_t v;
    rnd_view_default (&v);
    v.center_re = -0.5;
    v.center_im = 0.25;
    v.width = 4.0;
    v.width_px = 400;
    v.height_px = 200;
    double re, im;
    /* top-left pixel centre: half a pixel in from the corner */
    rnd_view_pixel (&v, 0, 0, &re, &im);
    assert_true (re == -0.5 - 2.0 + 0.005);
    assert_true (im == 0.25 + 1.0 - 0.005);
    /* y grows downwards */
    double re2, im2;
    rnd_view_pixel (&v, 0, 1, &re2, &im2);
    assert_true (im2 < im);
    assert_true (re2 == re);
    /* square pixels: the pitch is width / W on both axes */
    rnd_view_pixel (&v, 399, 199, &re2, &im2);
    assert_true (fabs ((re2 - re) - 399 * 0.01) < 1e-12);
    assert_true (fabs ((im - im2) - 199 * 0.01) < 1e-12);
}

/* samples: 1..RND_VIEW_SAMPLES_MAX, the sub-pixels within the pixel
 * limit, the grid K times the view, and the deep/shallow choice made on
 * the grid's pitch. */
static void
test_samples (void **state)
{
    (void)state;
    rnd_view_t v, g;
    rnd_view_default (&v);
    assert_int_equal (v.samples, 1);
    rnd_view_samples_grid (&v, &g);
    assert_memory_equal (&v, &g, sizeof v);
    char err[256];
    rnd_view_field_t bad;
    for (int k = 0; k <= RND_VIEW_SAMPLES_MAX + 1; k++) {
        v.samples = k;
        int ok = k >= 1 && k <= RND_VIEW_SAMPLES_MAX;
        assert_int_equal (rnd_view_validate_field (&v, &bad, err, sizeof err), ok ? 0 : -1);
        assert_int_equal (bad, ok ? RND_FIELD_NONE : RND_FIELD_SAMPLES);
    }
    v.samples = 3;
    rnd_view_samples_grid (&v, &g);
    assert_int_equal (g.width_px, 3 * 1920);
    assert_int_equal (g.height_px, 3 * 1080);
    assert_int_equal (g.samples, 1);
    assert_int_equal (rnd_view_grid_w (&v), 3 * 1920);
    assert_int_equal (rnd_view_grid_h (&v), 3 * 1080);
    /* 8192x8192 of 2x2 is 2^28 sub-pixels: over; 8192x4096 is the limit. */
    v.samples = 2;
    v.width_px = 8192;
    v.height_px = 8192;
    assert_int_equal (rnd_view_validate_field (&v, &bad, err, sizeof err), -1);
    assert_int_equal (bad, RND_FIELD_SAMPLES);
    assert_non_null (strstr (err, "134217728"));
    v.height_px = 4096;
    assert_int_equal (rnd_view_validate_field (&v, &bad, err, sizeof err), 0);
    /* A width whose pixels doubles still tell apart, but not its 8x8
     * sub-pixels: deep only with the samples. */
    rnd_view_default (&v);
    v.center_re = -1.25;
    v.center_im = 0.0;
    v.width_px = 1000;
    v.height_px = 1000;
    v.width = 1000 * 1.25 * 0x1p-46;
    assert_false (rnd_view_is_deep (&v));
    v.samples = 8;
    assert_true (rnd_view_is_deep (&v));
}

static void
test_fractal_names (void **state)
{
    (void)state;
    rnd_fractal_t f;
    assert_int_equal (rnd_fractal_from_name ("julia", &f), 0);
    assert_int_equal (f, RND_FRACTAL_JULIA);
    assert_int_equal (rnd_fractal_from_name ("mandelbrot", &f), 0);
    assert_int_equal (f, RND_FRACTAL_MANDELBROT);
    assert_int_equal (rnd_fractal_from_name ("Mandelbrot ", &f), -1);
    assert_string_equal (rnd_fractal_name (RND_FRACTAL_JULIA), "julia");
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_default_is_valid),       cmocka_unit_test (test_rejects_bad_values),
        cmocka_unit_test (test_pixel_mapping_contract), cmocka_unit_test (test_samples),
        cmocka_unit_test (test_fractal_names),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

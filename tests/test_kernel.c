/* test_kernel.c: the kernels agree with each other to the bit, the interior
 * shortcuts change nothing, and the escape counts agree with an independent
 * plain-double loop and with the published golden totals. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel.h"
#include "naive.h"

typedef struct {
    const char *name;
    rnd_fractal_t fractal;
    double re, im, width;
    int w, h, max_iter;
    double bailout, jre, jim;
} s_case_t;

/* Small images (the scalar reference is slow), chosen to hit the edges:
 * odd sizes that leave SIMD lanes idle, max_iter below and off a multiple
 * of the 16-iteration block, the cardioid and bulb boundaries, large
 * bailouts, Julia sets, a deep zoom. */
static const s_case_t s_cases[] = {
    { "full", RND_FRACTAL_MANDELBROT, -0.75, 0.0, 3.0, 160, 90, 1000, 2.0, 0, 0 },
    { "seahorse", RND_FRACTAL_MANDELBROT, -0.743643887037151, 0.131825904205330, 2.5e-5, 96, 54,
      3000, 2.0, 0, 0 },
    { "default-area", RND_FRACTAL_MANDELBROT, -0.74364283, 0.13182618, 1.4e-5, 64, 36, 20000, 256.0,
      0, 0 },
    { "cusp", RND_FRACTAL_MANDELBROT, 0.25, 0.0, 0.01, 61, 37, 2000, 2.0, 0, 0 },
    { "bulb-edge", RND_FRACTAL_MANDELBROT, -0.75, 0.1, 0.05, 57, 33, 1500, 4.0, 0, 0 },
    { "iter1", RND_FRACTAL_MANDELBROT, -0.5, 0.0, 5.0, 33, 19, 1, 2.0, 0, 0 },
    { "iter17", RND_FRACTAL_MANDELBROT, -0.5, 0.0, 3.0, 45, 27, 17, 2.0, 0, 0 },
    { "iter15-bail1e6", RND_FRACTAL_MANDELBROT, -0.5, 0.0, 3.0, 45, 27, 15, 1e6, 0, 0 },
    { "julia", RND_FRACTAL_JULIA, 0.0, 0.0, 3.2, 128, 72, 500, 2.0, -0.8, 0.156 },
    { "julia-dendrite", RND_FRACTAL_JULIA, 0.0, 0.0, 3.0, 71, 41, 800, 1000.0, 0.0, 1.0 },
    { "julia-bail-eq-c", RND_FRACTAL_JULIA, 0.1, -0.2, 4.0, 50, 30, 300, 2.0, -2.0, 0.0 },
    { "one-pixel", RND_FRACTAL_MANDELBROT, -0.1, 0.65, 0.1, 1, 1, 5000, 2.0, 0, 0 },
};
#define N_CASES (sizeof s_cases / sizeof s_cases[0])

static void
s_view (const s_case_t *c, rnd_view_t *v)
{
    rnd_view_default (v);
    v->fractal = c->fractal;
    v->center_re = c->re;
    v->center_im = c->im;
    v->width = c->width;
    v->width_px = c->w;
    v->height_px = c->h;
    v->max_iter = c->max_iter;
    v->bailout = c->bailout;
    v->julia_re = c->jre;
    v->julia_im = c->jim;
    char err[256];
    if (rnd_view_validate (v, err, sizeof err))
        fail_msg ("case %s invalid: %s", c->name, err);
}

static float *
s_render (rnd_kernel_t k, const rnd_view_t *v, int interior)
{
    rnd_kjob_t job;
    rnd_kjob_init (&job, v);
    job.interior_check = interior;
    float *out = malloc ((size_t)v->width_px * v->height_px * sizeof *out);
    assert_non_null (out);
    /* Several bands with odd boundaries, as the pool and the peers cut them. */
    int y = 0, band = 1;
    while (y < v->height_px) {
        int y1 = y + band < v->height_px ? y + band : v->height_px;
        rnd_kernel_run (k, &job, y, y1, out + (size_t)y * v->width_px);
        y = y1;
        band = band * 2 + 1;
    }
    return out;
}

static void
s_assert_same (const float *a, const float *b, const rnd_view_t *v, const char *what)
{
    size_t n = (size_t)v->width_px * v->height_px;
    for (size_t i = 0; i < n; i++) {
        if (memcmp (&a[i], &b[i], sizeof a[i]) != 0)
            fail_msg ("%s: pixel (%zu, %zu) differs: %.9g vs %.9g", what, i % v->width_px,
                      i / v->width_px, (double)a[i], (double)b[i]);
    }
}

static void
test_variants_bit_identical (void **state)
{
    (void)state;
    int compared = 0;
    for (size_t ci = 0; ci < N_CASES; ci++) {
        rnd_view_t v;
        s_view (&s_cases[ci], &v);
        float *ref = s_render (RND_KERNEL_SCALAR, &v, 1);
        for (int k = RND_KERNEL_AVX2; k < RND_KERNEL_COUNT_; k++) {
            if (!rnd_kernel_supported ((rnd_kernel_t)k))
                continue;
            float *got = s_render ((rnd_kernel_t)k, &v, 1);
            char what[128];
            snprintf (what, sizeof what, "%s vs scalar on %s", rnd_kernel_name ((rnd_kernel_t)k),
                      s_cases[ci].name);
            s_assert_same (ref, got, &v, what);
            free (got);
            compared++;
        }
        free (ref);
    }
    if (compared == 0)
        skip (); /* a CPU without AVX2: only the reference exists */
}

/* rnd_kernel_run_pixels gives, for every variant, the very value the
 * band render gives: lists of every length around the lane counts (1, a
 * few, lanes - 1 .. lanes + 1, several times the lanes, the whole image),
 * in a seeded-random order with repeats, interior pixels and far
 * corners included, with the interior shortcuts on and off. */
static void
test_pixel_lists_bit_identical (void **state)
{
    (void)state;
    uint64_t rng = 0x9e3779b97f4a7c15ull;
    for (size_t ci = 0; ci < N_CASES; ci++) {
        rnd_view_t v;
        s_view (&s_cases[ci], &v);
        int npx = v.width_px * v.height_px;
        for (int interior = 0; interior <= 1; interior++) {
            float *ref = s_render (RND_KERNEL_SCALAR, &v, interior);
            rnd_kjob_t job;
            rnd_kjob_init (&job, &v);
            job.interior_check = interior;
            const int lens[] = { 1, 3, 23, 24, 25, 63, 64, 65, 200, npx };
            for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
                int n = lens[li];
                rnd_xy_t *px = malloc ((size_t)n * sizeof *px);
                float *got = malloc ((size_t)n * sizeof *got);
                assert_non_null (px);
                assert_non_null (got);
                for (int i = 0; i < n; i++) {
                    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
                    int at = (int)((rng >> 33) % (uint64_t)npx);
                    if (n == npx)
                        at = npx - 1 - i; /* every pixel, backwards */
                    else if (i == 0)
                        at = npx - 1; /* the far corner */
                    px[i].x = at % v.width_px;
                    px[i].y = at / v.width_px;
                }
                for (int k = RND_KERNEL_SCALAR; k < RND_KERNEL_COUNT_; k++) {
                    if (!rnd_kernel_supported ((rnd_kernel_t)k))
                        continue;
                    memset (got, 0x55, (size_t)n * sizeof *got);
                    rnd_kernel_run_pixels ((rnd_kernel_t)k, &job, px, n, got);
                    for (int i = 0; i < n; i++) {
                        const float *want = &ref[(size_t)px[i].y * v.width_px + px[i].x];
                        if (memcmp (want, &got[i], sizeof got[i]) != 0)
                            fail_msg ("%s, %d pixels, interior %d, on %s: pixel (%d, %d) is "
                                      "%.9g, the band says %.9g",
                                      rnd_kernel_name ((rnd_kernel_t)k), n, interior,
                                      s_cases[ci].name, px[i].x, px[i].y, (double)got[i],
                                      (double)*want);
                        if (k == RND_KERNEL_SCALAR) {
                            float one = rnd_kernel_pixel (&job, px[i].x, px[i].y);
                            assert_memory_equal (&one, want, sizeof one);
                        }
                    }
                    /* The same list riding along a tile (the middle
                     * third of the rows and columns, or one pixel). */
                    rnd_rect_t t;
                    t.x0 = v.width_px / 3;
                    t.x1 = t.x0 + (v.width_px / 3 ? v.width_px / 3 : 1);
                    t.y0 = v.height_px / 3;
                    t.y1 = t.y0 + (v.height_px / 3 ? v.height_px / 3 : 1);
                    size_t tw = (size_t)(t.x1 - t.x0), nb = tw * (size_t)(t.y1 - t.y0);
                    float *mix = malloc ((nb + (size_t)n) * sizeof *mix);
                    assert_non_null (mix);
                    memset (mix, 0x55, (nb + (size_t)n) * sizeof *mix);
                    rnd_kernel_run_with_pixels ((rnd_kernel_t)k, &job, t, px, n, mix);
                    char what[160];
                    snprintf (what, sizeof what, "%s tile + %d pixels on %s",
                              rnd_kernel_name ((rnd_kernel_t)k), n, s_cases[ci].name);
                    for (int y = t.y0; y < t.y1; y++)
                        if (memcmp (mix + (size_t)(y - t.y0) * tw,
                                    ref + (size_t)y * v.width_px + (size_t)t.x0,
                                    tw * sizeof *mix) != 0)
                            fail_msg ("%s: the tile differs in row %d", what, y);
                    if (memcmp (mix + nb, got, (size_t)n * sizeof *got) != 0)
                        fail_msg ("%s: the pixels differ", what);
                    free (mix);
                }
                free (px);
                free (got);
            }
            free (ref);
        }
    }
    assert_int_equal (rnd_kernel_lanes (RND_KERNEL_SCALAR), 1);
    assert_true (rnd_kernel_lanes (RND_KERNEL_AUTO) >= 1);
    if (rnd_kernel_supported (RND_KERNEL_AVX512))
        assert_int_equal (rnd_kernel_lanes (RND_KERNEL_AVX512), 64);
}

static void
test_interior_shortcut_changes_nothing (void **state)
{
    (void)state;
    for (size_t ci = 0; ci < N_CASES; ci++) {
        if (s_cases[ci].fractal != RND_FRACTAL_MANDELBROT)
            continue;
        rnd_view_t v;
        s_view (&s_cases[ci], &v);
        float *with = s_render (rnd_kernel_best (), &v, 1);
        float *without = s_render (rnd_kernel_best (), &v, 0);
        s_assert_same (without, with, &v, s_cases[ci].name);
        free (with);
        free (without);
    }
}

/* The shortcut must actually fire, or the test above proves nothing. */
static void
test_interior_shortcut_is_used (void **state)
{
    (void)state;
    rnd_view_t v;
    s_view (&s_cases[0], &v);
    rnd_kjob_t job;
    rnd_kjob_init (&job, &v);
    assert_int_equal (job.interior_check, 1);
    int interior = 0;
    for (int y = 0; y < v.height_px; y++)
        for (int x = 0; x < v.width_px; x++) {
            double re, im;
            rnd_view_pixel (&v, x, y, &re, &im);
            double q = (re - 0.25) * (re - 0.25) + im * im;
            interior += q * (q + re - 0.25) < 0.2 * im * im; /* well inside the cardioid */
        }
    assert_true (interior > 1000);
}

/* An independent implementation (bench/naive.c: a plain double loop, no FMA)
 * agrees on the escape count of nearly every pixel; FMA rounding may move
 * boundary pixels by an iteration or more. */
static void
test_counts_match_naive (void **state)
{
    (void)state;
    for (size_t ci = 0; ci < N_CASES; ci++) {
        rnd_view_t v;
        s_view (&s_cases[ci], &v);
        size_t n = (size_t)v.width_px * v.height_px;
        float *s = s_render (rnd_kernel_best (), &v, 1);
        uint32_t *counts = malloc (n * sizeof *counts);
        assert_non_null (counts);
        bench_naive_rows (&v, 0, v.height_px, counts);
        size_t agree = 0;
        for (size_t i = 0; i < n; i++) {
            agree += rnd_smooth_count (s[i]) == counts[i];
            /* the smooth value's contract */
            if (s[i] >= 0.0f) {
                assert_true (s[i] >= 1.0f);
                assert_true (floorf (s[i]) <= (float)v.max_iter);
            } else {
                assert_true (s[i] == RND_INTERIOR);
            }
        }
        /* Deep zooms at these tiny sizes are nearly all boundary, where one
         * rounding difference changes a chaotic orbit: 99.1% measured on
         * default-area, 99.4% on seahorse; shallow views agree >= 99.8%. */
        size_t need = v.width < 1e-3 ? n * 985 / 1000 : n * 995 / 1000;
        if (agree < need)
            fail_msg ("%s: only %zu of %zu counts agree with the naive loop", s_cases[ci].name,
                      agree, n);
        free (s);
        free (counts);
    }
}

/* The full-set view at 1920x1080 against the golden total from
 * shared/research/kernel-anchors.md (630,294,096 without FMA; FMA moves a
 * few hundred boundary iterations). */
static void
test_golden_total_full_view (void **state)
{
    (void)state;
    rnd_view_t v;
    rnd_view_default (&v);
    v.center_re = -0.75;
    v.center_im = 0.0;
    v.width = 3.0;
    v.max_iter = 1000;
    v.bailout = 2.0;
    v.width_px = 1920;
    v.height_px = 1080;
    float *s = s_render (rnd_kernel_best (), &v, 1);
    uint64_t total = 0, inside = 0;
    for (size_t i = 0; i < (size_t)1920 * 1080; i++) {
        total += rnd_smooth_iterations (s[i], v.max_iter);
        inside += s[i] < 0;
    }
    free (s);
    double rel = fabs ((double)total - 630294096.0) / 630294096.0;
    if (rel > 1e-5)
        fail_msg ("total %llu is %.3g away from the golden 630294096", (unsigned long long)total,
                  rel);
    assert_true (llabs ((long long)inside - 617228) < 50);
}

static void
test_smooth_contract (void **state)
{
    (void)state;
    assert_int_equal (rnd_smooth_count (RND_INTERIOR), 0);
    assert_int_equal (rnd_smooth_count (7.999f), 7);
    assert_int_equal (rnd_smooth_iterations (RND_INTERIOR, 500), 500);
    assert_int_equal (rnd_smooth_iterations (12.5f, 500), 12);
    /* smooth values grow continuously outward: along a ray leaving the set,
     * s decreases monotonically and never jumps by more than ~1 */
    rnd_view_t v;
    rnd_view_default (&v);
    v.center_re = -2.5;
    v.center_im = 0.0;
    v.width = 1.0;
    v.width_px = 200;
    v.height_px = 1;
    v.max_iter = 1000;
    v.bailout = 1000.0;
    float *s = s_render (RND_KERNEL_SCALAR, &v, 1);
    for (int x = 1; x < 200; x++) {
        /* moving right from -3 towards -2: closer to the set, slower escape */
        assert_true (s[x] >= s[x - 1]);
        assert_true (s[x] - s[x - 1] < 1.0f);
    }
    free (s);
}

static void
test_names_and_support (void **state)
{
    (void)state;
    rnd_kernel_t k;
    assert_int_equal (rnd_kernel_from_name ("avx512", &k), 0);
    assert_int_equal (k, RND_KERNEL_AVX512);
    assert_int_equal (rnd_kernel_from_name ("scalar", &k), 0);
    assert_int_equal (k, RND_KERNEL_SCALAR);
    assert_int_equal (rnd_kernel_from_name ("auto", &k), 0);
    assert_int_equal (k, RND_KERNEL_AUTO);
    assert_int_equal (rnd_kernel_from_name ("sse9", &k), -1);
    assert_string_equal (rnd_kernel_name (RND_KERNEL_AVX2), "avx2");
    assert_true (rnd_kernel_supported (RND_KERNEL_SCALAR));
    assert_true (rnd_kernel_supported (rnd_kernel_best ()));
    assert_true (rnd_kernel_best () != RND_KERNEL_AUTO);
    if (rnd_kernel_supported (RND_KERNEL_AVX512))
        assert_int_equal (rnd_kernel_best (), RND_KERNEL_AVX512);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_names_and_support),
        cmocka_unit_test (test_smooth_contract),
        cmocka_unit_test (test_variants_bit_identical),
        cmocka_unit_test (test_pixel_lists_bit_identical),
        cmocka_unit_test (test_interior_shortcut_changes_nothing),
        cmocka_unit_test (test_interior_shortcut_is_used),
        cmocka_unit_test (test_counts_match_naive),
        cmocka_unit_test (test_golden_total_full_view),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

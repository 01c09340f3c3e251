/* test_perturb_simd.c: every perturbation kernel this CPU has -- scalar
 * (libm's fma), scalar -mfma, AVX2, AVX-512 -- gives the same smooth values,
 * bit for bit, at deep views (1e-50, 1e-113, 3e-200, 1e-300; Mandelbrot
 * and Julia), BLA on (two epsilons) and off, whole bands, uneven slices and
 * lists of pixels. */
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
#include "tu_view.h"
#include "view.h"

/* Index of the first float whose bits differ, or -1. */
static long
s_first_diff (const float *a, const float *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (memcmp (&a[i], &b[i], sizeof *a) != 0)
            return (long)i;
    return -1;
}

static void
s_expect_same (const float *want, const float *got, size_t n, const char *what, const char *width,
               int flags)
{
    long d = s_first_diff (want, got, n);
    if (d >= 0)
        fail_msg ("%s at %s (flags %d): pixel %ld is %.9g, the scalar kernel says %.9g", what,
                  width, flags, d, (double)got[d], (double)want[d]);
}

/* The Misiurewicz point cut to 32 decimals: a centre ~1e-33 outside the
 * set, whose reference escapes at iteration 1,973. In views far narrower
 * than that distance every pixel's delta stays within the BLA radii to
 * the end, so a skip lands on the escaped last index: it is undone and
 * redone step by step (plain_until) -- on all 1,200 pixels at 1e-70, and
 * at 1e-50 with the largest epsilon (measured). */
#define S_OUT_RE "-0.77568376800905379746948350393474"

/* Views; those with fewer iterations than their slowest pixels need also
 * end pixels at max_iter (interior), in any step of a SIMD pass (AVX-512
 * runs 4 a pass: max_iter 2900 to 2903 put that end in each). */
static const struct {
    rnd_fractal_t f;
    const char *re, *im, *width;
    int iter;
    double eps; /* BLA epsilon; 0: the default */
} s_views[] = {
    { RND_FRACTAL_MANDELBROT, BENCH_MIS_RE, BENCH_MIS_IM, "1e-50", 4000, 0 },
    { RND_FRACTAL_MANDELBROT, BENCH_MIS_RE, BENCH_MIS_IM, "1e-50", 2900, 0 },
    { RND_FRACTAL_MANDELBROT, BENCH_MIS_RE, BENCH_MIS_IM, "1e-50", 2901, 0 },
    { RND_FRACTAL_MANDELBROT, BENCH_MIS_RE, BENCH_MIS_IM, "1e-50", 2902, 0 },
    { RND_FRACTAL_MANDELBROT, BENCH_MIS_RE, BENCH_MIS_IM, "1e-50", 2903, 0 },
    { RND_FRACTAL_MANDELBROT, BENCH_MIS_RE, BENCH_MIS_IM, "1e-50", 4000, 0x1p-10 },
    { RND_FRACTAL_MANDELBROT, BENCH_MIS_RE, BENCH_MIS_IM, "1e-113", 35000, 0 },
    { RND_FRACTAL_MANDELBROT, BENCH_MIS_RE, BENCH_MIS_IM, "3e-200", 14000, 0 },
    { RND_FRACTAL_MANDELBROT, BENCH_MIS_RE, BENCH_MIS_IM, "1e-300", 20000, 0 },
    { RND_FRACTAL_MANDELBROT, S_OUT_RE, BENCH_MIS_IM, "1e-70", 20000, 0 },
    { RND_FRACTAL_MANDELBROT, S_OUT_RE, BENCH_MIS_IM, "1e-50", 20000, 0x1p-10 },
    { RND_FRACTAL_JULIA, BENCH_BETA_RE, BENCH_BETA_IM, "1e-50", 3000, 0 },
    { RND_FRACTAL_JULIA, BENCH_BETA_RE, BENCH_BETA_IM, "1e-113", 6000, 0 },
    { RND_FRACTAL_JULIA, BENCH_BETA_RE, BENCH_BETA_IM, "1e-113", 700, 0 },
};

/* Each view, BLA on and off: the scalar kernel's generic build is the
 * reference; its -mfma build, and AVX2 and AVX-512 over the whole image,
 * over uneven slices and over a list of pixels, must equal it. */
static void
test_every_kernel_same_bits (void **state)
{
    (void)state;
    const int w = 40, h = 30;
    const size_t npx = (size_t)w * h;
    float *want = malloc (npx * sizeof *want), *got = malloc ((npx + 64) * sizeof *got);
    assert_true (want && got);
    int compared = 0, interior = 0;
    for (size_t i = 0; i < sizeof s_views / sizeof s_views[0]; i++) {
        for (int f = 0; f < 2; f++) {
            int flags = f ? RND_KJOB_NO_BLA : 0;
            rnd_view_t v;
            tu_view_deep (&v, s_views[i].f, s_views[i].re, s_views[i].im, s_views[i].width, w, h,
                          s_views[i].iter);
            if (s_views[i].eps > 0)
                v.bla_epsilon = s_views[i].eps;
            rnd_kjob_t job;
            char err[256];
            assert_int_equal (rnd_kjob_prepare (&job, &v, flags, err, sizeof err), 0);
            assert_true (job.perturb);
            /* 1e-300 is below RND_FLOATEXP_WIDTH: a floatexp job, where the
             * SIMD variants run the scalar kernel -- still compared */
            int fma = job.perturb_fma;
            job.perturb_fma = 0;
            rnd_kernel_run (RND_KERNEL_SCALAR, &job, 0, h, want);
            job.perturb_fma = fma;
            int escaped = 0;
            for (size_t p = 0; p < npx; p++)
                escaped += want[p] >= 0.0f;
            assert_true (escaped > 0); /* not a black image */
            interior += (int)npx - escaped;
            if (fma) {
                rnd_kernel_run (RND_KERNEL_SCALAR, &job, 0, h, got);
                s_expect_same (want, got, npx, "scalar -mfma", s_views[i].width, flags);
            }
            for (rnd_kernel_t k = RND_KERNEL_AVX2; k <= RND_KERNEL_AVX512; k++) {
                if (!rnd_kernel_supported (k)) {
                    printf ("%s: not on this CPU\n", rnd_kernel_name (k));
                    continue;
                }
                memset (got, 0, npx * sizeof *got);
                rnd_kernel_run (k, &job, 0, h, got);
                s_expect_same (want, got, npx, rnd_kernel_name (k), s_views[i].width, flags);
                /* uneven slices */
                memset (got, 0, npx * sizeof *got);
                int cuts[] = { 0, 1, 8, 9, 23, h };
                for (size_t c = 0; c + 1 < sizeof cuts / sizeof cuts[0]; c++)
                    rnd_kernel_run (k, &job, cuts[c], cuts[c + 1], got + (size_t)cuts[c] * w);
                s_expect_same (want, got, npx, rnd_kernel_name (k), s_views[i].width, flags);
                /* a band with a list of pixels riding along, and a list alone */
                rnd_xy_t px[37];
                for (int p = 0; p < 37; p++)
                    px[p] = (rnd_xy_t){ (p * 7) % w, (p * 13) % h };
                rnd_kernel_run_with_pixels (k, &job, (rnd_rect_t){ 0, 3, w, 5 }, px, 37, got);
                s_expect_same (want + 3 * w, got, 2 * (size_t)w, rnd_kernel_name (k),
                               s_views[i].width, flags);
                float lone[37];
                rnd_kernel_run_pixels (k, &job, px, 37, lone);
                for (int p = 0; p < 37; p++) {
                    const float *e = &want[px[p].y * w + px[p].x];
                    assert_memory_equal (e, &got[2 * w + p], sizeof *e);
                    assert_memory_equal (e, &lone[p], sizeof *e);
                }
                /* a tile: columns [5, w - 3) of rows [4, h - 2), row by row */
                rnd_rect_t t = { 5, 4, w - 3, h - 2 };
                memset (got, 0, npx * sizeof *got);
                rnd_kernel_run_rect (k, &job, t, got);
                for (int y = t.y0; y < t.y1; y++)
                    s_expect_same (want + (size_t)y * w + t.x0,
                                   got + (size_t)(y - t.y0) * (t.x1 - t.x0), (size_t)(t.x1 - t.x0),
                                   rnd_kernel_name (k), s_views[i].width, flags);
                compared++;
            }
            rnd_kjob_release (&job);
        }
    }
    printf ("%d (view, BLA, SIMD variant) combinations equal the scalar kernel; %d interior "
            "pixels\n",
            compared, interior);
    assert_true (interior > 100); /* the end at max_iter is exercised */
    free (got);
    free (want);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_every_kernel_same_bits),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

/* kernel_common.h: what every kernel variant shares, so that they agree to
 * the bit: the pixel coordinate, the Mandelbrot interior tests, one
 * iteration step, and the scalar function that finishes a smooth value.
 * Internal to render/. */
#ifndef RND_KERNEL_COMMON_H
#define RND_KERNEL_COMMON_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "kernel.h"

/* Iterations between escape tests in the SIMD kernels. After a block the
 * kernel checks |z|^2 once; a lane that escaped anywhere in the block (|z|
 * only grows past the bailout, see rnd_view_validate) is re-run from its
 * saved state with a test every iteration to find the exact n. */
#ifndef RND_BLOCK_ITERS
#define RND_BLOCK_ITERS 16
#endif
_Static_assert(RND_BLOCK_ITERS % 2 == 0, "iteration parity must survive a block");

/* Pixel (x, y) -> c, exactly as rnd_view_pixel (same operations, same order). */
static inline void
rnd_k_pixel (const rnd_kjob_t *job, int x, int y, double *re, double *im)
{
    *re = job->center_re + ((double)x + 0.5 - job->width_px / 2.0) * job->scale;
    *im = job->center_im + (job->height_px / 2.0 - (double)y - 0.5) * job->scale;
}

/* Exact interior tests for Mandelbrot: the main cardioid and the period-2
 * bulb. Points inside never escape, so skipping them changes no result. The
 * tests are shrunk by a relative margin far above rounding error, so a point
 * on the boundary is iterated rather than guessed. */
static inline int
rnd_k_interior (double cr, double ci)
{
    double xq = cr - 0.25;
    double y2 = ci * ci;
    double q = xq * xq + y2;
    if (q * (q + xq) < 0.25 * y2 * (1.0 - 1e-9))
        return 1;
    double xb = cr + 1.0;
    return xb * xb + y2 < 0.0625 * (1.0 - 1e-9);
}

/* 1 if some pixel of the rectangle r could pass rnd_k_interior. The
 * cardioid lies within |c - 1/4| <= 1 (c - 1/4 = -(e^it - 1)^2 / 4 on its
 * boundary) and the bulb within |c + 1| <= 1/4; a slice whose rectangle
 * misses both disks skips the per-pixel test, which is the costly part of
 * handing a pixel to a lane. */
static inline int
rnd_k_rect_may_be_interior (const rnd_kjob_t *job, rnd_rect_t r)
{
    double re0, im0, re1, im1;
    rnd_k_pixel (job, r.x0, r.y0, &re0, &im0);
    rnd_k_pixel (job, r.x1 - 1, r.y1 - 1, &re1, &im1);
    /* squared distance from (px, 0) to the rectangle [re0, re1] x [im1, im0] */
    double margin = 1.0 + 1e-6;
    double dx = re0 > 0.25 ? re0 - 0.25 : (re1 < 0.25 ? 0.25 - re1 : 0.0);
    double dy = im1 > 0.0 ? im1 : (im0 < 0.0 ? -im0 : 0.0);
    if (dx * dx + dy * dy <= margin * margin)
        return 1;
    dx = re0 > -1.0 ? re0 + 1.0 : (re1 < -1.0 ? -1.0 - re1 : 0.0);
    return dx * dx + dy * dy <= 0.0625 * margin * margin;
}

/* One iteration z <- z^2 + c, n being the number of the iteration (1 for
 * z_1), written exactly as the vector kernels compute it:
 *   odd n:   x' = fma(x + y, x - y, cr)         (3 adds, 1 fma on the way)
 *   even n:  x' = fma(x, x, fma(-y, y, cr))      (2 fmas)
 *   both:    y' = fma(x + x, y, ci)
 * Alternating balances the adder and FMA pipes on CPUs that keep them apart
 * (AMD Zen 4: +17% on the inner loop over either form alone); on CPUs where
 * they share ports (Intel Ice Lake) it costs ~10%. The parity is the same
 * in every lane of a block because lanes start at block boundaries and
 * RND_BLOCK_ITERS is even. */
static inline void
rnd_k_step (double *x, double *y, double cr, double ci, int n)
{
    double a = *x + *x;
    double xn;
    if (n & 1) {
        xn = fma (*x + *y, *x - *y, cr);
    } else {
        double t = fma (-*y, *y, cr);
        xn = fma (*x, *x, t);
    }
    *y = fma (a, *y, ci);
    *x = xn;
}

/* |z|^2 as every variant computes it. */
static inline double
rnd_k_mag2 (double x, double y)
{
    return fma (x, x, y * y);
}

/* log2 of a positive, finite, normal double, from plain IEEE operations
 * (no libm: glibc picks different code paths per CPU, which could change
 * the last bit between peers). Accurate to ~1e-11, ample for a float32.
 * Branch-free and free of int<->double conversions that AVX-512F lacks, so
 * a loop of it vectorizes to the very same operations lane by lane. */
static inline double
rnd_k_log2 (double v)
{
    uint64_t bits, ebits;
    memcpy (&bits, &v, sizeof bits);
    /* The biased exponent as a double, exactly: 2^52 + e_biased - 2^52. */
    ebits = (bits >> 52) | 0x4330000000000000ull;
    double e;
    memcpy (&e, &ebits, sizeof e);
    e = e - (0x1p52 + 1023.0);
    bits = (bits & 0x000fffffffffffffull) | 0x3ff0000000000000ull; /* m in [1, 2) */
    double m;
    memcpy (&m, &bits, sizeof m);
    int big = m > 1.4142135623730951;
    m = big ? m * 0.5 : m;
    e = big ? e + 1.0 : e;
    /* log2(m) = 2/ln2 * atanh(s), s = (m-1)/(m+1), |s| <= 0.1716 */
    double s = (m - 1.0) / (m + 1.0);
    double s2 = s * s;
    double p = 1.0 / 13;
    p = p * s2 + 1.0 / 11;
    p = p * s2 + 1.0 / 9;
    p = p * s2 + 1.0 / 7;
    p = p * s2 + 1.0 / 5;
    p = p * s2 + 1.0 / 3;
    p = p * s2 + 1.0;
    return e + 2.8853900817779268 * s * p;
}

/* The smooth value of a pixel that escaped at iteration n (n <= max_iter)
 * with |z_n|^2 = m2: n + clamp(1 - log2(log2 m2 / log2 R^2), 0, 1), rounded
 * so that floor() of the float is still n. Branch-free, like rnd_k_log2. */
static inline float
rnd_k_smooth (const rnd_kjob_t *job, int n, double m2)
{
    double r = rnd_k_log2 (m2) / job->log2_bail2;
    /* r <= 1 only through rounding just above the bailout: a full fraction. */
    double frac = r > 1.0 ? 1.0 - rnd_k_log2 (r) : 1.0;
    frac = frac > 0.0 ? frac : 0.0;
    float s = (float)((double)n + frac);
    float top = (float)(n + 1);
    /* The float just below top (top is positive and normal). */
    uint32_t below_bits;
    memcpy (&below_bits, &top, sizeof below_bits);
    below_bits -= 1;
    float below;
    memcpy (&below, &below_bits, sizeof below);
    s = s >= top ? below : s;
    return s;
}

/* out[e] = smooth value of entries e < count; n[e] > max_iter means the
 * pixel did not escape in time (interior). */
static inline void
rnd_k_finish (const rnd_kjob_t *job, const int *n, const double *m2, const int *pix, int count,
              float *tmp, float *out)
{
    for (int e = 0; e < count; e++) {
        float s = rnd_k_smooth (job, n[e], m2[e]);
        tmp[e] = n[e] <= job->max_iter ? s : RND_INTERIOR;
    }
    for (int e = 0; e < count; e++)
        out[pix[e]] = tmp[e];
}

/* One pixel of a perturbation job (kernel_perturb.c): what every variant
 * computes for it. */
float rnd_k_perturb_pixel (const rnd_kjob_t *job, int x, int y);
/* The same, built with -mfma (kernel_perturb_fma.c); only where the CPU
 * has FMA. */
float rnd_k_perturb_pixel_fma (const rnd_kjob_t *job, int x, int y);

/* The per-variant entry points, called by rnd_kernel_run_rect. */
void rnd_kernel_scalar_rect (const rnd_kjob_t *job, rnd_rect_t r, float *out);
void rnd_kernel_avx2_rect (const rnd_kjob_t *job, rnd_rect_t r, float *out);
void rnd_kernel_avx512_rect (const rnd_kjob_t *job, rnd_rect_t r, float *out);
/* The rectangle r into out, then the n pixels px after its pixels. */
void rnd_kernel_scalar_pixels (const rnd_kjob_t *job, rnd_rect_t r, const rnd_xy_t *px, int n,
                               float *out);
void rnd_kernel_avx2_pixels (const rnd_kjob_t *job, rnd_rect_t r, const rnd_xy_t *px, int n,
                             float *out);
void rnd_kernel_avx512_pixels (const rnd_kjob_t *job, rnd_rect_t r, const rnd_xy_t *px, int n,
                               float *out);
/* The perturbation kernel in SIMD lanes (kernel_perturb_simd.h): the
 * rectangle r, then the n pixels px, as the *_pixels entry points above.
 * Double-delta jobs only (not job->floatexp). */
void rnd_kernel_avx2_perturb_pixels (const rnd_kjob_t *job, rnd_rect_t r, const rnd_xy_t *px, int n,
                                     float *out);
void rnd_kernel_avx512_perturb_pixels (const rnd_kjob_t *job, rnd_rect_t r, const rnd_xy_t *px,
                                       int n, float *out);
/* Lanes of the SIMD variants (K_CHAINS * vector width). */
#define RND_AVX2_LANES 24
#define RND_AVX512_LANES 64

#endif

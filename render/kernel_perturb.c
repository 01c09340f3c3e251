/* kernel_perturb.c: the perturbation kernel for deep views, scalar.
 *
 * A pixel is iterated as its delta z from a reference orbit Z (reference.c,
 * MPFR, rounded to doubles): with c the pixel's delta from the centre
 * (0 for Julia, whose c is in the reference),
 *   z <- (2 Z_m + z) z + c,  m <- m + 1,   escaped once |Z_m + z|^2 > R^2,
 * and Zhuoran's rebasing: once |Z_m + z| < |z| (or the reference ends),
 * z <- Z_m + z and m <- 0 on the orbit that starts at 0 (ref->base). One
 * reference then serves every pixel, with no glitch detection.
 *
 * Deterministic like the double kernels: every operation written out, fma
 * where meant, no libm; the smooth value is finished by rnd_k_smooth.
 *
 * Below RND_FLOATEXP_WIDTH the pitch and c underflow the doubles: such jobs
 * keep a delta in floatexp (floatexp.h) while it is tiny and in doubles
 * once it is not (|z| >= 2^-400: then z^2 and 2Zz stay normal, and c,
 * below 2^-960, is far under their last bit, so the double step may drop
 * it), switching back whenever z shrinks below again (rebasing). A
 * floatexp step is ~5x a double step; most of a deep orbit is spent above
 * 2^-400, so the cost stays near the double path's.
 *
 * BLA (bla.h) skips runs of iterations while |z| is small enough, in both
 * paths. A skip that lands escaped may have passed the escape (the
 * reference orbit escapes just there): it is undone and redone step by
 * step, so the count is plain perturbation's.
 *
 * Built twice: here for any x86-64, where fma() is a call into libm (a
 * fifth of the time), and as kernel_perturb_fma.c with -mfma, where it is
 * one instruction. fma is correctly rounded by definition, so the two
 * give the same bits; rnd_kjob_prepare picks the second when the CPU has
 * FMA (job->perturb_fma). The AVX2 and AVX-512 variants run this same loop
 * in their lanes (kernel_perturb_simd.h), double deltas only. */
#include <stdio.h>
#include <stdlib.h>

/* The entry point's name: kernel_perturb_fma.c builds this file again
 * with -mfma under another name. */
#ifndef K_PERTURB_FN
#define K_PERTURB_FN rnd_k_perturb_pixel
#endif

#include "floatexp.h"
#include "kernel_common.h"
#include "reference.h"

/* Below this |z| exponent a delta goes to floatexp (see above). */
#define S_FE_EXP (-400)

static void
s_need_ref (const rnd_kjob_t *job)
{
    if (!job->ref) {
        /* A programming error: a deep view digested by rnd_kjob_init. */
        fprintf (stderr, "p2pfractal: internal error: a deep view without a reference orbit "
                         "(use rnd_kjob_prepare)\n");
        abort ();
    }
}

static float s_pixel_fe (const rnd_kjob_t *job, int x, int y);

/* One step of a double delta from index m: the BLA entry b's `steps`
 * iterations at once (A z + B c) when skip, else (2Z + z) z + c written as
 * (ax + i ay)(zx + i zy) + c with two fmas a part. The new index. */
static inline int
s_step (const rnd_bla_t *b, int skip, int steps, const double *zr, const double *zi, int m,
        double *zx, double *zy, double cx, double cy)
{
    double x = *zx, y = *zy;
    if (skip) {
        *zx = fma (b->ax, x, fma (-b->ay, y, fma (b->bx, cx, -(b->by * cy))));
        *zy = fma (b->ax, y, fma (b->ay, x, fma (b->bx, cy, b->by * cx)));
        return m + steps;
    }
    double ax = (zr[m] + zr[m]) + x, ay = (zi[m] + zi[m]) + y;
    *zx = fma (ax, x, fma (-ay, y, cx));
    *zy = fma (ax, y, fma (ay, x, cy));
    return m + 1;
}

float
K_PERTURB_FN (const rnd_kjob_t *job, int x, int y)
{
    s_need_ref (job);
    if (job->floatexp)
        return s_pixel_fe (job, x, y);
    const struct rnd_ref *ref = job->ref;
    double dcx = ((double)x + 0.5 - job->width_px / 2.0) * job->scale;
    double dcy = (job->height_px / 2.0 - (double)y - 0.5) * job->scale;
    double zx = job->julia ? dcx : 0.0, zy = job->julia ? dcy : 0.0;
    double cx = job->julia ? 0.0 : dcx, cy = job->julia ? 0.0 : dcy;
    const double *zr = ref->start.re, *zi = ref->start.im;
    int last = ref->start.len - 1;
    int m = 0;
    const rnd_bla_table_t *bla = &ref->bla_start;
    int plain_until = 0; /* no BLA before this n: a skip overshot an escape */
    for (int n = 1; n <= job->max_iter; n++) {
        int steps = 0, n0 = n, m0 = m;
        double zx0 = zx, zy0 = zy;
        const rnd_bla_t *b = n < plain_until ? 0
                                             : rnd_bla_lookup (bla, m, fabs (zx) + fabs (zy),
                                                               job->max_iter - n + 1, &steps);
        int skip = b && steps > 1;
        m = s_step (b, skip, steps, zr, zi, m, &zx, &zy, cx, cy);
        n += skip ? steps - 1 : 0;
        double fx = zr[m] + zx, fy = zi[m] + zy;
        double m2 = rnd_k_mag2 (fx, fy);
        if (m2 > job->bail2) {
            if (skip) {
                /* escaped somewhere in the skip: redo it step by step */
                zx = zx0;
                zy = zy0;
                m = m0;
                plain_until = n0 + steps;
                n = n0 - 1;
                continue;
            }
            return rnd_k_smooth (job, n, m2);
        }
        if (m == last || m2 < rnd_k_mag2 (zx, zy)) {
            zx = fx;
            zy = fy;
            m = 0;
            zr = ref->base.re;
            zi = ref->base.im;
            last = ref->base.len - 1;
            bla = &ref->bla_base;
        }
    }
    return RND_INTERIOR;
}

/* 1 if a double delta is small enough to belong in floatexp. */
static int
s_tiny (double x, double y)
{
    return fabs (x) < 0x1p-400 && fabs (y) < 0x1p-400;
}

/* A pixel of a floatexp job: as K_PERTURB_FN, but the delta lives
 * in floatexp while it is tiny (fe) and in doubles (zx, zy) otherwise. */
static float
s_pixel_fe (const rnd_kjob_t *job, int x, int y)
{
    const struct rnd_ref *ref = job->ref;
    double ox = (double)x + 0.5 - job->width_px / 2.0;
    double oy = job->height_px / 2.0 - (double)y - 0.5;
    rnd_fe_t dc = rnd_fe_norm (ox * ref->pitch_m, oy * ref->pitch_m, ref->pitch_e);
    rnd_fe_t c = dc, fe = rnd_fe_norm (0.0, 0.0, 0);
    if (job->julia) {
        fe = dc;
        c = rnd_fe_norm (0.0, 0.0, 0);
    }
    double cx, cy; /* c as doubles, for the double steps (0 when tiny) */
    rnd_fe_to_double (c, &cx, &cy);
    int in_fe = 1;
    double zx = 0.0, zy = 0.0;
    const double *zr = ref->start.re, *zi = ref->start.im;
    int last = ref->start.len - 1;
    int m = 0;
    const rnd_bla_table_t *bla = &ref->bla_start;
    int plain_until = 0; /* as in K_PERTURB_FN */
    for (int n = 1; n <= job->max_iter; n++) {
        double fx, fy;
        int smaller; /* |Z + z| < |z|: rebase */
        rnd_fe_t full, fe0 = fe;
        int steps = 0, n0 = n, m0 = m;
        double zx0 = zx, zy0 = zy;
        /* a bound of |z| as a double; in floatexp 0 when below the doubles,
         * which any entry with r > 0 covers */
        double zn =
            in_fe ? (fabs (fe.x) + fabs (fe.y)) * rnd_fe_pow2 (fe.e) : fabs (zx) + fabs (zy);
        const rnd_bla_t *b =
            n < plain_until ? 0 : rnd_bla_lookup (bla, m, zn, job->max_iter - n + 1, &steps);
        int skip = b && steps > 1;
        if (in_fe) {
            if (skip) {
                rnd_fe_t az = rnd_fe_mul (rnd_fe_from_double (b->ax, b->ay), fe);
                fe = job->julia
                         ? az
                         : rnd_fe_add (az, rnd_fe_mul (rnd_fe_from_double (b->bx, b->by), c));
                m += steps;
                n += steps - 1;
            } else {
                rnd_fe_t zm = rnd_fe_from_double (zr[m], zi[m]);
                zm.e += 1; /* 2 Z_m */
                fe = rnd_fe_mul (rnd_fe_add (zm, fe), fe);
                if (!job->julia)
                    fe = rnd_fe_add (fe, c);
                m++;
            }
            full = rnd_fe_add (rnd_fe_from_double (zr[m], zi[m]), fe);
            rnd_fe_to_double (full, &fx, &fy);
            smaller = rnd_fe_cmp_mag (full, fe) < 0;
        } else {
            m = s_step (b, skip, steps, zr, zi, m, &zx, &zy, cx, cy);
            n += skip ? steps - 1 : 0;
            fx = zr[m] + zx;
            fy = zi[m] + zy;
            smaller = rnd_k_mag2 (fx, fy) < rnd_k_mag2 (zx, zy);
        }
        double m2 = rnd_k_mag2 (fx, fy);
        if (m2 > job->bail2) {
            if (skip) {
                fe = fe0;
                zx = zx0;
                zy = zy0;
                m = m0;
                plain_until = n0 + steps;
                n = n0 - 1;
                continue;
            }
            return rnd_k_smooth (job, n, m2);
        }
        if (m == last || smaller) {
            m = 0;
            zr = ref->base.re;
            zi = ref->base.im;
            last = ref->base.len - 1;
            bla = &ref->bla_base;
            if (in_fe) {
                fe = full;
            } else {
                zx = fx;
                zy = fy;
            }
        }
        /* the delta's number type for the next step */
        if (in_fe && fe.e > S_FE_EXP) {
            rnd_fe_to_double (fe, &zx, &zy);
            in_fe = 0;
        } else if (!in_fe && s_tiny (zx, zy)) {
            fe = rnd_fe_from_double (zx, zy);
            in_fe = 1;
        }
    }
    return RND_INTERIOR;
}

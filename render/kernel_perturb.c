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
 * 2^-400, so the cost stays near the double path's. */
#include <stdio.h>
#include <stdlib.h>

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

float
rnd_k_perturb_pixel (const rnd_kjob_t *job, int x, int y)
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
    for (int n = 1; n <= job->max_iter; n++) {
        /* (2Z + z) z + c, as (ax + i ay)(zx + i zy) + c with two fmas a part */
        double ax = (zr[m] + zr[m]) + zx, ay = (zi[m] + zi[m]) + zy;
        double nx = fma (ax, zx, fma (-ay, zy, cx));
        double ny = fma (ax, zy, fma (ay, zx, cy));
        zx = nx;
        zy = ny;
        m++;
        double fx = zr[m] + zx, fy = zi[m] + zy;
        double m2 = rnd_k_mag2 (fx, fy);
        if (m2 > job->bail2)
            return rnd_k_smooth (job, n, m2);
        if (m == last || m2 < rnd_k_mag2 (zx, zy)) {
            zx = fx;
            zy = fy;
            m = 0;
            zr = ref->base.re;
            zi = ref->base.im;
            last = ref->base.len - 1;
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

/* A pixel of a floatexp job: as rnd_k_perturb_pixel, but the delta lives
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
    for (int n = 1; n <= job->max_iter; n++) {
        double fx, fy;
        int smaller; /* |Z + z| < |z|: rebase */
        rnd_fe_t full;
        if (in_fe) {
            rnd_fe_t zm = rnd_fe_from_double (zr[m], zi[m]);
            zm.e += 1; /* 2 Z_m */
            fe = rnd_fe_mul (rnd_fe_add (zm, fe), fe);
            if (!job->julia)
                fe = rnd_fe_add (fe, c);
            m++;
            full = rnd_fe_add (rnd_fe_from_double (zr[m], zi[m]), fe);
            rnd_fe_to_double (full, &fx, &fy);
            smaller = rnd_fe_cmp_mag (full, fe) < 0;
        } else {
            double ax = (zr[m] + zr[m]) + zx, ay = (zi[m] + zi[m]) + zy;
            double nx = fma (ax, zx, fma (-ay, zy, cx));
            double ny = fma (ax, zy, fma (ay, zx, cy));
            zx = nx;
            zy = ny;
            m++;
            fx = zr[m] + zx;
            fy = zi[m] + zy;
            smaller = rnd_k_mag2 (fx, fy) < rnd_k_mag2 (zx, zy);
        }
        double m2 = rnd_k_mag2 (fx, fy);
        if (m2 > job->bail2)
            return rnd_k_smooth (job, n, m2);
        if (m == last || smaller) {
            m = 0;
            zr = ref->base.re;
            zi = ref->base.im;
            last = ref->base.len - 1;
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
